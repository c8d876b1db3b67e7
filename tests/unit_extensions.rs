//! sundial's `X-Sundial-…` settings end to end: `sundial verify` reports bad
//! values and unknown keys where it finds them, systemd accepts the same
//! files without a word, and `sundial simulate` follows the typed setting,
//! drop-ins included.

// Test helpers may panic: a failure is the test's verdict.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn sundial(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sundial"))
        .args(args)
        .arg("--unit-dir")
        .arg(dir)
        .env("TZ", "Europe/Berlin")
        .env_remove("SUNDIAL_UNIT_PATH")
        .output()
        .unwrap()
}

/// A timer with a bad value for each extension, an unknown sundial key and
/// a foreign `X-` key, and the service it starts.
fn units_with_bad_extensions(dir: &Path) {
    write(
        &dir.join("t.timer"),
        "[Timer]\nOnCalendar=*-*-* 02:30\nX-Sundial-DSTPolicy=skip\n\
         X-Sundial-PersistentMonotonic=maybe\nX-Sundial-DSTPolcy=catch-up\nX-Vendor-Thing=1\n",
    );
    write(&dir.join("t.service"), "[Service]\nExecStart=/bin/true\n");
}

#[test]
fn verify_reports_bad_values_and_unknown_sundial_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    units_with_bad_extensions(dir);
    let out = sundial(&["verify", "t.timer"], dir);
    // Ignored assignments are warnings: the unit still loads.
    assert!(out.status.success(), "{out:?}");
    let t = dir.join("t.timer");
    let t = t.display();
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "{t}:3: X-Sundial-DSTPolicy=: invalid value 'skip', expected one of: systemd, catch-up, cron-fixed, cron-wildcard\n\
             {t}:4: X-Sundial-PersistentMonotonic=: failed to parse boolean value 'maybe'\n\
             {t}:5: X-Sundial-DSTPolcy=: unknown sundial extension in section [Timer], ignoring\n"
        )
    );
}

#[test]
fn systemd_accepts_sundial_keys_silently() {
    let available = Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        eprintln!("systemd-analyze is not installed: skipping the portability check");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    units_with_bad_extensions(dir);
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(dir.join("t.timer"))
        .env("SYSTEMD_LOG_LEVEL", "warning")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("X-"), "{stderr}");
}

/// The start times `sundial simulate` lists for t.timer, as printed.
fn simulated_starts(dir: &Path) -> (Vec<String>, String) {
    let out = sundial(
        &[
            "simulate",
            "--from",
            "2024-03-30 00:00",
            "--until",
            "2024-04-01 12:00",
            "t.timer",
        ],
        dir,
    );
    assert!(out.status.success(), "{out:?}");
    let starts = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("t.timer"))
        .map(|l| l.split("  ").next().unwrap().to_owned())
        .collect();
    (starts, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn simulate_follows_the_dst_policy_of_fragment_and_dropins() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(
        &dir.join("t.timer"),
        "[Timer]\nOnCalendar=*-*-* 02:30\nAccuracySec=1us\n",
    );
    write(&dir.join("t.service"), "[Service]\nExecStart=/bin/true\n");
    let systemd = [
        "Sat 2024-03-30 02:30:00 CET",
        "Mon 2024-04-01 02:30:00 CEST",
    ];
    let catch_up = [
        "Sat 2024-03-30 02:30:00 CET",
        "Sun 2024-03-31 03:00:00 CEST",
        "Mon 2024-04-01 02:30:00 CEST",
    ];
    // systemd skips 02:30 on the day it does not exist.
    assert_eq!(simulated_starts(dir).0, systemd);

    // A drop-in turns catch-up on: the job runs right after the gap.
    let dropins = dir.join("t.timer.d");
    write(
        &dropins.join("10-dst.conf"),
        "[Timer]\nX-Sundial-DSTPolicy=catch-up\n",
    );
    let (starts, stderr) = simulated_starts(dir);
    assert_eq!(starts, catch_up);
    assert_eq!(stderr, "");

    // A bad value in a later drop-in is reported and leaves catch-up on.
    let bad = dropins.join("20-bad.conf");
    write(&bad, "[Timer]\nX-Sundial-DSTPolicy=skip-the-gap\n");
    let (starts, stderr) = simulated_starts(dir);
    assert_eq!(starts, catch_up);
    assert_eq!(
        stderr,
        format!(
            "{}:2: X-Sundial-DSTPolicy=: invalid value 'skip-the-gap', expected one of: systemd, catch-up, cron-fixed, cron-wildcard\n",
            bad.display()
        )
    );

    // An empty assignment resets to systemd's behaviour.
    write(&bad, "[Timer]\nX-Sundial-DSTPolicy=\n");
    assert_eq!(simulated_starts(dir).0, systemd);
}
