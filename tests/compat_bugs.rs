//! Issue 12, item 10: the compatibility bugs found by running Debian 12's
//! unit files and differential runs against systemd 252, in the issue's
//! order. Every check runs the real binary (a daemon in a temp dir where a
//! daemon is needed); where systemd-analyze is installed, its answer is
//! compared too.

// Test helpers may panic: a failure is the test's verdict.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::Path;
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

// ---- `simulate --seed`: a timer's random delays ------------------------

/// `(start_usec, random_delay_usec)` of every start of `timer` that
/// `sundial simulate --seed SEED` lists for the units in `dir`, simulating
/// `only` (every timer when empty).
fn simulated_delays(dir: &Path, seed: u64, only: &[&str], timer: &str) -> Vec<(u64, u64)> {
    let seed = seed.to_string();
    let mut args = vec![
        "simulate",
        "--unit-dir",
        dir.to_str().unwrap(),
        "--from",
        "2026-03-01 00:00 UTC",
        "--for",
        "2d",
        "--seed",
        &seed,
        "--output",
        "json",
    ];
    args.extend_from_slice(only);
    let out = Command::new(SUNDIAL)
        .args(&args)
        .env("TZ", "UTC")
        .env_remove("SUNDIAL_UNIT_PATH")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let starts: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    starts
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["timer"] == timer)
        .map(|s| {
            (
                s["start_usec"].as_u64().unwrap(),
                s["random_delay_usec"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn simulate_seed_gives_a_timer_the_same_delays_whatever_else_is_simulated() {
    let dir = tempfile::tempdir().unwrap();
    let unit = |name: &str, body: &str| fs::write(dir.path().join(name), body).unwrap();
    unit(
        "backup.timer",
        "[Timer]\nOnCalendar=*-*-* 00/6:00\nRandomizedDelaySec=2h\n",
    );
    unit("backup.service", "[Service]\nExecStart=/bin/true\n");
    unit(
        "often.timer",
        "[Timer]\nOnCalendar=*:0/7\nRandomizedDelaySec=5min\n",
    );
    unit("often.service", "[Service]\nExecStart=/bin/true\n");
    unit(
        "boot.timer",
        "[Timer]\nOnBootSec=1h\nOnUnitActiveSec=3h\nRandomizedDelaySec=30min\n",
    );
    unit("boot.service", "[Service]\nExecStart=/bin/true\n");

    let alone = simulated_delays(dir.path(), 42, &["backup.timer"], "backup.timer");
    assert_eq!(alone.len(), 7, "{alone:?}");
    assert!(alone.iter().any(|(_, delay)| *delay > 0), "{alone:?}");
    let with_one = simulated_delays(
        dir.path(),
        42,
        &["backup.timer", "often.timer"],
        "backup.timer",
    );
    let with_all = simulated_delays(dir.path(), 42, &[], "backup.timer");
    assert_eq!(alone, with_one, "often.timer changed backup.timer's delays");
    assert_eq!(
        alone, with_all,
        "the other timers changed backup.timer's delays"
    );
    // The same for the monotonic timer, and another seed is another outcome.
    let boot_alone = simulated_delays(dir.path(), 42, &["boot.timer"], "boot.timer");
    assert!(boot_alone.len() > 10, "{boot_alone:?}");
    assert_eq!(
        boot_alone,
        simulated_delays(dir.path(), 42, &[], "boot.timer")
    );
    assert_ne!(
        alone,
        simulated_delays(dir.path(), 43, &["backup.timer"], "backup.timer")
    );
}
