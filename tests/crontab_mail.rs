//! Imported crontab jobs under the real daemon: their output mailed as cron
//! mails it (through a fake sendmail that records its arguments and
//! standard input), nothing for a silent success, a mail for a failure; and
//! an `@reboot` job run once per boot.
#![allow(clippy::unwrap_used)]

mod daemon_support;
#[path = "common/fake_sendmail.rs"]
mod fake_sendmail;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;
use sundial::ipc::UnitsRequest;

use daemon_support::{wait_for, Daemon};
use fake_sendmail::fake_sendmail;
use sundial::ipc::{Request, Response};

/// Imports `crontab` as the user's into the daemon's unit directory, with
/// `sendmail` as the mailer.
fn import(d: &Daemon, crontab: &str, sendmail: Option<&Path>) -> Output {
    let file = d.dir.join("jobs.cron");
    fs::write(&file, crontab).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sundial"));
    cmd.args(["crontab", "import", "--user"])
        .arg(&file)
        .arg("--out")
        .arg(&d.units)
        .env_remove("SENDMAIL");
    if let Some(s) = sendmail {
        cmd.env("SENDMAIL", s);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn mails(dir: &Path) -> Vec<String> {
    let mut paths: Vec<PathBuf> = fs::read_dir(dir.join("mail"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| fs::read_to_string(p).unwrap())
        .collect()
}

fn start(d: &Daemon, unit: &str) {
    match d.call(Request::Start(UnitsRequest {
        units: vec![unit.into()],
    })) {
        Response::Done { .. } | Response::Error { .. } => {}
        other => panic!("start: {other:?}"),
    }
}

/// Waits until the mail unit for `job` has run `n` times.
fn wait_mailer(d: &Daemon, job: &str, n: usize) {
    let mailer = format!("sundial-cron-mail@{job}.service");
    let done = wait_for(Duration::from_secs(20), || d.finished(&mailer).len() >= n);
    assert!(done, "{mailer} did not run: {}", d.stderr());
}

fn hostname() -> String {
    let out = Command::new("hostname").output().unwrap();
    let name = String::from_utf8(out.stdout).unwrap();
    name.trim().split('.').next().unwrap().to_owned()
}

fn user() -> String {
    let out = Command::new("id").arg("-un").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

const CRONTAB: &str = "MAILTO=ops@example.com\n\
    GREETING=hello from cron\n\
    # chatty\n\
    0 3 * * * echo \"$GREETING\"; echo to stderr >&2; cat\n\
    # silent\n\
    0 4 * * * true\n\
    # failing\n\
    0 5 * * * exit 3\n\
    # only on errors\n\
    0 6 * * * -n echo fine\n";

#[test]
fn output_and_failures_are_mailed_as_cron_mails_them() {
    let tmp = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(tmp.path(), &[]);
    let sendmail = fake_sendmail(tmp.path());
    import(
        &d,
        &CRONTAB.replace("; cat\n", "; cat%standard%input\n"),
        Some(&sendmail),
    );
    d.start();

    start(&d, "chatty.service");
    wait_mailer(&d, "chatty", 1);
    let all = mails(tmp.path());
    assert_eq!(all.len(), 1, "{all:?}");
    let mail = &all[0];
    let user = user();
    let (head, body) = mail.split_once("\n\n").unwrap();
    let lines: Vec<&str> = head.lines().collect();
    assert_eq!(
        lines[..10],
        [
            format!("ARGS: -FCronDaemon -i -odi -oem -oi -t -f {user}").as_str(),
            &format!("From: \"(Cron Daemon)\" <{user}>"),
            "To: ops@example.com",
            &format!(
                "Subject: Cron <{user}@{}> echo \"$GREETING\"; echo to stderr >&2; cat",
                hostname()
            ),
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=UTF-8",
            "Content-Transfer-Encoding: 8bit",
            "Auto-Submitted: auto-generated",
            "Precedence: bulk",
            "X-Cron-Env: <MAILTO=ops@example.com>",
        ]
    );
    assert!(
        lines.contains(&"X-Cron-Env: <GREETING=hello from cron>"),
        "{head}"
    );
    assert!(
        lines.contains(&format!("X-Cron-Env: <LOGNAME={user}>").as_str()),
        "{head}"
    );
    let mut body: Vec<&str> = body.lines().collect();
    body.sort();
    assert_eq!(body, ["hello from cron", "input", "standard", "to stderr"]);

    // A silent success: the mailer runs and sends nothing.
    start(&d, "silent.service");
    wait_mailer(&d, "silent", 1);
    assert_eq!(mails(tmp.path()).len(), 1);

    // A silent failure: a mail that says so.
    start(&d, "failing.service");
    wait_mailer(&d, "failing", 1);
    let all = mails(tmp.path());
    assert_eq!(all.len(), 2);
    let failed = all
        .iter()
        .find(|m| m.contains("Subject: Cron") && m.contains("> exit 3\n"))
        .unwrap();
    assert!(
        failed.ends_with("\n\nThe job failed (exit-code: exited, status=3) without output.\n"),
        "{failed}"
    );

    // cronie's -n: no mail unit runs after a success.
    start(&d, "only-on-errors.service");
    let ran = wait_for(Duration::from_secs(20), || {
        !d.finished("only-on-errors.service").is_empty()
    });
    assert!(ran);
    std::thread::sleep(Duration::from_millis(300));
    assert!(d
        .finished("sundial-cron-mail@only-on-errors.service")
        .is_empty());
    assert_eq!(mails(tmp.path()).len(), 2);
    assert!(d.terminate());
}

#[test]
fn without_sendmail_the_output_stays_in_the_logs() {
    let tmp = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(tmp.path(), &[]);
    let out = import(&d, CRONTAB, None);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no sendmail on this system"));
    assert!(!d.units.join("sundial-cron-mail@.service").exists());
    d.start();
    start(&d, "chatty.service");
    let ran = wait_for(Duration::from_secs(20), || {
        !d.finished("chatty.service").is_empty()
    });
    assert!(ran);
    let lines = d.log_lines("chatty.service");
    assert!(lines.iter().any(|l| l == "hello from cron"), "{lines:?}");
    assert!(d.terminate());
}

#[test]
fn reboot_jobs_run_once_per_boot() {
    let tmp = tempfile::tempdir().unwrap();
    let marker = tmp.path().join("booted");
    let mut d = Daemon::new(tmp.path(), &[]);
    import(
        &d,
        &format!(
            "MAILTO=\"\"\n# at boot\n@reboot echo up >> {}\n",
            marker.display()
        ),
        None,
    );
    let runs = || {
        fs::read_to_string(&marker)
            .map(|s| s.lines().count())
            .unwrap_or(0)
    };
    d.start();
    assert!(
        wait_for(Duration::from_secs(20), || runs() == 1),
        "{}",
        d.stderr()
    );
    // A reload does not fire it again.
    assert!(matches!(
        d.call(Request::DaemonReload),
        Response::Done { .. }
    ));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(runs(), 1);
    // Nor does a restart of the daemon in the same boot (the kernel's boot
    // id is the same; in a container too, whose kernel is the host's).
    assert!(d.terminate());
    d.start();
    let again = wait_for(Duration::from_secs(3), || runs() > 1);
    assert!(!again, "fired again after a restart: {}", d.stderr());
    assert_eq!(runs(), 1);
    assert!(d.terminate());
}

#[test]
fn an_import_into_the_unit_directory_reloads_the_daemon_and_starts_the_timers() {
    let tmp = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(tmp.path(), &[]);
    d.start();
    let file = tmp.path().join("jobs.cron");
    fs::write(
        &file,
        "MAILTO=\"\"\n# hourly report\n0 * * * * report\n@reboot warm-cache\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_sundial"))
            .args(args)
            .arg("--socket")
            .arg(&d.socket)
            // The user's first unit directory is the daemon's.
            .env("SUNDIAL_UNIT_PATH", &d.units)
            .env("XDG_CONFIG_HOME", tmp.path().join("config"))
            .env_remove("SENDMAIL")
            .output()
            .unwrap()
    };
    let out = run(&["crontab", "import", "--user", file.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(d.units.join("hourly-report.timer").is_file());
    // Started now, except the @reboot timer, which waits for a boot.
    assert!(
        stdout.contains("The daemon reloaded its units and started hourly-report.timer.\n"),
        "{stdout}"
    );
    let active = |unit: &str| match d.call(Request::IsActive(UnitsRequest {
        units: vec![unit.into()],
    })) {
        Response::States { states } => states[0].state.clone(),
        other => panic!("is-active: {other:?}"),
    };
    assert_eq!(active("hourly-report.timer"), "active");
    assert_eq!(active("warm-cache.timer"), "inactive");

    // Sundial's own crontab: installing it asks the daemon to reload.
    let own = tmp.path().join("own.cron");
    fs::write(&own, "MAILTO=\"\"\n0 1 * * * true\n").unwrap();
    let out = run(&["crontab", "--user", own.to_str().unwrap()]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("no daemon"), "{stderr}");
    assert!(tmp.path().join("config/sundial/crontab").is_file());
    assert!(d.terminate());
}
