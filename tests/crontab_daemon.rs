//! Imported crontabs under the real daemon, on its manual clock: a system
//! crontab (user field), an anacrontab and a user crontab with `%` standard
//! input and MAILTO, imported with `sundial crontab import`, run through two
//! days of the clock. Every job runs exactly when cron (and anacron) would
//! run it, the `%` lines reach the job's standard input, and its output is
//! mailed through a fake sendmail that records what it got.
#![allow(clippy::unwrap_used)]

mod daemon_support;
#[path = "common/fake_sendmail.rs"]
mod fake_sendmail;

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;
use sundial::ipc::HistoryRequest;

use daemon_support::{wait_for, Daemon};
use fake_sendmail::fake_sendmail;
use sundial::ipc::types::RunRow;
use sundial::ipc::{Request, Response};

/// 2030-01-01 00:00:00 UTC, a Tuesday.
const START: i64 = 1_893_456_000_000_000;
const MINUTE: i64 = 60_000_000;
const HOUR: i64 = 60 * MINUTE;

fn user() -> String {
    let out = Command::new("id").arg("-un").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn import(d: &Daemon, name: &str, kind: &str, text: &str, sendmail: &Path) {
    let file = d.dir.join(name);
    fs::write(&file, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sundial"))
        .args(["crontab", "import", "--user", "--kind", kind])
        .arg(&file)
        .arg("--out")
        .arg(&d.units)
        .env("SENDMAIL", sendmail)
        .env("TZ", "UTC")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn all_runs(d: &Daemon) -> Vec<RunRow> {
    match d.call(Request::History(HistoryRequest {
        unit: None,
        limit: Some(100_000),
    })) {
        Response::Runs { runs } => runs,
        other => panic!("history: {other:?}"),
    }
}

/// Minutes after START at which `unit` started, each run's start
/// truncated to its minute.
fn run_minutes(d: &Daemon, unit: &str) -> Vec<i64> {
    let mut minutes: Vec<i64> = d
        .history(unit)
        .iter()
        .map(|r| (r.start_usec - START).div_euclid(MINUTE))
        .collect();
    minutes.sort_unstable();
    minutes
}

#[test]
fn imported_crontabs_run_when_cron_would_run_them() {
    let tmp = tempfile::tempdir().unwrap();
    let sendmail = fake_sendmail(tmp.path());
    let me = user();
    let mut d = Daemon::new(tmp.path(), &[])
        .arg("--clock=manual")
        .env("SUNDIAL_ALLOW_MANUAL_CLOCK", "1")
        .env("SUNDIAL_MANUAL_CLOCK_START", &START.to_string())
        .env("TZ", "UTC");
    import(
        &d,
        "crontab",
        "system",
        &format!(
            "MAILTO=\"\"\n\
             # every quarter\n*/15 * * * * {me} echo quarter\n\
             # nightly\n30 2 * * * {me} echo nightly\n"
        ),
        &sendmail,
    );
    import(
        &d,
        "anacrontab",
        "anacron",
        // anacron takes values as written (no quotes): an empty MAILTO is `MAILTO=`.
        "SHELL=/bin/sh\nMAILTO=\n1\t5\tdaily.job\techo anacron daily\n",
        &sendmail,
    );
    import(
        &d,
        "mine.cron",
        "user",
        "MAILTO=ops@example.com\n\
         # with input\n0 3 * * * cat%line one%line two\n\
         MAILTO=\"\"\n# either day\n0 4 2 * fri echo either\n\
         # both days\n0 5 */2 * wed echo both\n",
        &sendmail,
    );
    d.start();

    // Two days in steps of a quarter of an hour (plus the accuracy of one
    // second), each step's jobs finished before the next.
    let mut now = START;
    while now < START + 48 * HOUR - 15 * MINUTE {
        now += 15 * MINUTE;
        d.clock(&format!("set-realtime {}", now + 2_000_000));
        let settled = wait_for(Duration::from_secs(20), || {
            all_runs(&d).iter().all(|r| r.end_usec.is_some())
        });
        assert!(settled, "jobs did not finish: {}", d.stderr());
    }

    let quarters: Vec<i64> = (1..192).map(|q| q * 15).collect();
    assert_eq!(run_minutes(&d, "every-quarter.service"), quarters);
    assert_eq!(
        run_minutes(&d, "nightly.service"),
        [150, 24 * 60 + 150],
        "02:30 on both days"
    );
    let daily: Vec<i64> = run_minutes(&d, "daily-job.service");
    assert_eq!(daily.len(), 2, "anacron's daily job once a day: {daily:?}");
    assert!(daily[0] < 24 * 60 && daily[1] >= 24 * 60, "{daily:?}");
    assert_eq!(run_minutes(&d, "with-input.service"), [180, 24 * 60 + 180]);
    // 0 4 2 * fri: the 2nd (a Wednesday) counts although it is no Friday.
    assert_eq!(run_minutes(&d, "either-day.service"), [24 * 60 + 240]);
    // 0 5 */2 * wed: `*/2` makes both count, and the 2nd is even.
    assert!(run_minutes(&d, "both-days.service").is_empty());

    // `%`: the rest of the line, with `%` as newline, is the job's input.
    let lines = d.log_lines("with-input.service");
    assert_eq!(
        lines.iter().filter(|l| *l == "line one").count(),
        2,
        "{lines:?}"
    );
    assert_eq!(lines.iter().filter(|l| *l == "line two").count(), 2);
    // Mailed, once a run, with the output as the body.
    let mailed = wait_for(Duration::from_secs(20), || {
        fs::read_dir(tmp.path().join("mail")).unwrap().count() == 2
    });
    assert!(
        mailed,
        "mails: {:?}, mailer runs: {:?}, {}",
        fs::read_dir(tmp.path().join("mail"))
            .unwrap()
            .map(|e| fs::read_to_string(e.unwrap().path()).unwrap())
            .collect::<Vec<_>>(),
        d.history("sundial-cron-mail@with-input.service").len(),
        d.log_lines("sundial-cron-mail@with-input.service")
            .join("\n")
    );
    for entry in fs::read_dir(tmp.path().join("mail")).unwrap() {
        let mail = fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(mail.contains("To: ops@example.com"), "{mail}");
        assert!(mail.contains(&format!("Subject: Cron <{me}@")), "{mail}");
        assert!(mail.ends_with("line one\nline two\n"), "{mail}");
    }
    assert!(d.terminate());
}
