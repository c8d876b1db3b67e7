//! Issue 12, item 10: the compatibility bugs found by running Debian 12's
//! unit files and differential runs against systemd 252, in the issue's
//! order. Every check runs the real binary (a daemon in a temp dir where a
//! daemon is needed); where systemd-analyze is installed, its answer is
//! compared too.

// Test helpers may panic: a failure is the test's verdict.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Output};

const SUNDIAL: &str = env!("CARGO_BIN_EXE_sundial");

/// The locale variables a test sets or clears explicitly.
const LOCALE_VARS: [&str; 14] = [
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_CTYPE",
    "LC_MESSAGES",
    "LC_NUMERIC",
    "LC_TIME",
    "LC_COLLATE",
    "LC_MONETARY",
    "LC_PAPER",
    "LC_NAME",
    "LC_ADDRESS",
    "LC_TELEPHONE",
    "LC_MEASUREMENT",
];

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn systemd_analyze_available() -> bool {
    Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `program ARGS` with only the locale variables of `locale` set.
fn with_locale(program: &str, args: &[&str], locale: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(program);
    cmd.args(args);
    for v in LOCALE_VARS {
        cmd.env_remove(v);
    }
    for (k, v) in locale {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

// ---- `μs` or `us` in `timespan` ---------------------------------------

#[test]
fn timespan_labels_microseconds_by_locale_as_systemd_analyze() {
    // systemd 252's is_locale_utf8(): the μ glyph in a UTF-8 locale, and in
    // the implicit C locale when no LC_ALL, LC_CTYPE or LANG is set at all.
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("LC_ALL", "C")], "us:"),
        (&[("LANG", "POSIX")], "us:"),
        (&[("LANG", "C")], "us:"),
        (&[("LC_CTYPE", "C")], "us:"),
        (&[("LANG", "")], "us:"),
        (&[("LANG", "C.UTF-8")], "μs:"),
        (&[("LC_ALL", "C.UTF-8"), ("LANG", "C")], "μs:"),
        (&[("LANG", "C.UTF-8"), ("LC_CTYPE", "POSIX")], "us:"),
        (&[("LC_MESSAGES", "C")], "μs:"),
        (&[], "μs:"),
    ];
    let compare = systemd_analyze_available();
    if !compare {
        eprintln!("systemd-analyze not found: checking sundial's labels only");
    }
    for (locale, label) in cases {
        let ours = with_locale(SUNDIAL, &["timespan", "1.5s"], locale);
        assert!(ours.status.success());
        let ours = text(&ours.stdout);
        assert_eq!(
            ours,
            format!("Original: 1.5s\n      {label} 1500000\n   Human: 1.500000s\n"),
            "locale {locale:?}"
        );
        if compare {
            let theirs = with_locale("systemd-analyze", &["timespan", "1.5s"], locale);
            assert_eq!(ours, text(&theirs.stdout), "locale {locale:?}");
        }
    }
}
