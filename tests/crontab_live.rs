//! `sundial daemon --crontab FILE`: a crontab run as it is, as a container's
//! cron (supercronic) runs it. A six-field every-second job prints, with its
//! name in front, on the daemon's stdout; editing the file changes the
//! schedule without a restart; a broken edit keeps the jobs that ran and
//! says why; a broken crontab at start stops the start; the user's own
//! crontab, installed with `sundial crontab FILE`, runs without a restart.
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use daemon_support::{wait_for, Daemon};

fn lines_of(d: &Daemon, prefix: &str) -> usize {
    d.stdout().lines().filter(|l| l.starts_with(prefix)).count()
}

/// Replaces `path` the way editors and `crontab -e` do: a new file renamed
/// over the old one.
fn replace(path: &Path, text: &str) {
    let tmp = path.with_extension("new");
    fs::write(&tmp, text).unwrap();
    fs::rename(&tmp, path).unwrap();
}

#[test]
fn a_live_crontab_runs_and_follows_edits_without_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let crontab = tmp.path().join("crontab");
    fs::write(
        &crontab,
        "# A six-field line: every second.\n# ticker\n* * * * * * echo tick\n",
    )
    .unwrap();
    let mut d = Daemon::new(tmp.path(), &[])
        .arg("--crontab")
        .arg(crontab.to_str().unwrap())
        .arg("--log-stdout");
    d.start();
    let pid = d.pid();
    assert!(
        wait_for(Duration::from_secs(15), || lines_of(
            &d,
            "ticker.service: tick"
        ) >= 3),
        "no ticks: stdout {:?}, stderr {:?}",
        d.stdout(),
        d.stderr()
    );

    // An edit in place of the job: the new one runs, the old one stops.
    replace(&crontab, "# tocker\n* * * * * * echo tock\n");
    assert!(
        wait_for(Duration::from_secs(15), || lines_of(
            &d,
            "tocker.service: tock"
        ) >= 2),
        "the edit did not take: stdout {:?}, stderr {:?}",
        d.stdout(),
        d.stderr()
    );
    let ticks = lines_of(&d, "ticker.service: tick");
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(
        lines_of(&d, "ticker.service: tick"),
        ticks,
        "the removed job still runs"
    );

    // A broken edit keeps the jobs of the last good version, and says why.
    replace(
        &crontab,
        "# tocker\n* * * * * * echo tock\n61 * * * * echo bad\n",
    );
    assert!(
        wait_for(Duration::from_secs(15), || d
            .stderr()
            .contains("keeping the jobs of its previous version")),
        "{}",
        d.stderr()
    );
    let err = d.stderr();
    assert!(
        err.contains(&format!("{}:3", crontab.display())) && err.contains("out of range"),
        "the error names file and line: {err}"
    );
    let tocks = lines_of(&d, "tocker.service: tock");
    assert!(
        wait_for(Duration::from_secs(10), || lines_of(
            &d,
            "tocker.service: tock"
        ) > tocks + 1),
        "the good job stopped with the broken edit"
    );
    assert_eq!(d.pid(), pid, "no restart");
    assert!(d.terminate(), "stops cleanly: {}", d.stderr());
}

/// `sundial daemon --crontab CRONTAB` in `dir`, expected to refuse to
/// start: its stderr.
fn refused_start(dir: &Path, crontab: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sundial"))
        .args(["daemon", "--user", "--unit-dir"])
        .arg(dir.join("units"))
        .arg("--state-dir")
        .arg(dir.join("state"))
        .arg("--socket")
        .arg(dir.join("state/control.sock"))
        .arg("--crontab")
        .arg(crontab)
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env_remove("XDG_RUNTIME_DIR")
        .output()
        .unwrap();
    assert!(!out.status.success(), "started with {}", crontab.display());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_broken_crontab_at_start_stops_the_start_with_its_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let crontab = tmp.path().join("crontab");
    fs::write(&crontab, "0 * * * * true\n*/0 * * * * false\n").unwrap();
    let err = refused_start(tmp.path(), &crontab);
    assert!(
        err.contains(&format!("{}:2", crontab.display())),
        "names file and line: {err}"
    );
    let err = refused_start(tmp.path(), &tmp.path().join("nope"));
    assert!(err.contains("no such crontab"), "{err}");
}

#[test]
fn the_own_crontab_installed_with_the_crontab_command_runs_without_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(tmp.path(), &[]).arg("--log-stdout");
    d.start();
    let file = tmp.path().join("mine");
    fs::write(&file, "# greeter\n* * * * * * echo hello from my crontab\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sundial"))
        .args(["crontab", "--user", "--socket"])
        .arg(&d.socket)
        .arg(&file)
        .env("HOME", tmp.path())
        .env("XDG_CONFIG_HOME", tmp.path().join("config"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        wait_for(Duration::from_secs(15), || lines_of(
            &d,
            "greeter.service: hello from my crontab"
        ) >= 2),
        "stdout {:?}, stderr {:?}",
        d.stdout(),
        d.stderr()
    );
    // `crontab -r`: the jobs stop.
    let out = Command::new(env!("CARGO_BIN_EXE_sundial"))
        .args(["crontab", "--user", "-r", "--socket"])
        .arg(&d.socket)
        .env("HOME", tmp.path())
        .env("XDG_CONFIG_HOME", tmp.path().join("config"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::thread::sleep(Duration::from_millis(500));
    let seen = lines_of(&d, "greeter.service: hello");
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(lines_of(&d, "greeter.service: hello"), seen, "still runs");
}

/// The crontab the container example runs translates without a problem.
#[test]
fn the_example_crontab_translates_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/crontab/app.cron");
    let out = Command::new(env!("CARGO_BIN_EXE_sundial"))
        .args([
            "crontab",
            "import",
            "--user",
            "--seconds",
            "--dry-run",
            "--out",
        ])
        .arg(tmp.path())
        .arg(&example)
        .env("HOME", tmp.path())
        .env("XDG_CONFIG_HOME", tmp.path().join("config"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        !err.lines()
            .any(|l| l.contains("warning") && !l.contains("sendmail")),
        "{err}"
    );
    let units = String::from_utf8_lossy(&out.stdout);
    for name in [
        "heartbeat.timer",
        "hourly-report.timer",
        "warm-the-cache.timer",
    ] {
        assert!(units.contains(name), "{name} missing from {units}");
    }
}

/// A unit file of a job's name in a unit directory loads instead of the
/// job's unit: the daemon says so rather than run the wrong thing silently.
#[test]
fn a_unit_file_that_shadows_a_job_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let crontab = tmp.path().join("crontab");
    fs::write(
        &crontab,
        "MAILTO=\"\"\n# backup\n0 3 * * * echo from cron\n",
    )
    .unwrap();
    let mut d = Daemon::new(
        tmp.path(),
        &[(
            "backup.service",
            "[Service]\nType=oneshot\nExecStart=/bin/echo mine\n",
        )],
    )
    .arg("--crontab")
    .arg(crontab.to_str().unwrap());
    d.start();
    let err = d.stderr();
    assert!(
        err.contains("backup.service: a crontab job's unit has the name of")
            && err.contains("units/backup.service"),
        "{err}"
    );
    assert!(!err.contains("backup.timer: a crontab job's"), "{err}");
    assert!(d.terminate());
}
