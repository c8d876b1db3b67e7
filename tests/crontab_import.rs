//! `sundial crontab import` through the real binary, on the sample system in
//! tests/data/crontab/root (a Debian-like /etc/crontab, a cron.d file and
//! anacron's, /etc/anacrontab, a cron.daily directory, a user's crontab in
//! the spool): the units it writes load in `sundial verify`, `--dry-run`
//! prints exactly them, a second import changes nothing, and a broken line
//! writes nothing.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::SystemTime;

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/crontab")
}

fn sundial(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sundial"));
    cmd.args(args)
        .env_remove("SENDMAIL")
        .env_remove("SUNDIAL_UNIT_PATH")
        .env("TZ", "UTC")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Imports the sample system into `out`.
fn import(root: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "crontab",
        "import",
        "--system",
        "--root",
        root.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend(extra);
    sundial(&args, &[("SENDMAIL", "/usr/sbin/sendmail")], None)
}

/// Every file and link under `dir`: path → (contents or link target,
/// modification time).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (String, SystemTime)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let meta = fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                stack.push(path);
            } else if meta.file_type().is_symlink() {
                let target = fs::read_link(&path).unwrap();
                out.insert(
                    path,
                    (format!("-> {}", target.display()), meta.modified().unwrap()),
                );
            } else {
                out.insert(
                    path.clone(),
                    (fs::read_to_string(&path).unwrap(), meta.modified().unwrap()),
                );
            }
        }
    }
    out
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn the_sample_system_imports_into_units_that_verify_accepts() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let result = import(&data().join("root"), &out, &[]);
    let stderr = text(&result.stderr);
    assert!(result.status.success(), "{stderr}");
    assert_eq!(
        names(&out),
        [
            "cron-daily.service",
            "cron-daily.timer",
            "cron-hourly.service",
            "cron-hourly.timer",
            "cron-monthly.service",
            "cron-monthly.timer",
            "cron-weekly.service",
            "cron-weekly.timer",
            "database-dump.service",
            "database-dump.timer",
            "php-artisan-schedule-run.service",
            "php-artisan-schedule-run.timer",
            "rotate-reports.service",
            "rotate-reports.timer",
            "sundial-anacron-mail@.service",
            "sundial-cron-mail@.service",
            "timers.target.wants",
            "users",
        ]
    );
    assert_eq!(
        names(&out.join("users/alice")),
        [
            "nightly-backup.service",
            "nightly-backup.timer",
            "report-on-the-1st-and-the-15th-and-every-friday.service",
            "report-on-the-1st-and-the-15th-and-every-friday.timer",
            "start-agent.service",
            "start-agent.timer",
            "sundial-cron-mail@.service",
            "tidy-downloads.service",
            "tidy-downloads.timer",
            "timers.target.wants",
        ]
    );
    // What is reported: the line that starts anacron (not imported), and
    // anacron's periods that are not calendars.
    assert!(
        stderr.contains("/etc/cron.d/anacron:5: warning: starts anacron"),
        "{stderr}"
    );
    assert!(
        stderr.contains("/etc/anacrontab:16: warning: anacron runs this job when 3 days"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("dpkg-old"),
        "cron skips dpkg's leftovers: {stderr}"
    );

    // The units load, with nothing to say but SourcePath= (sundial reads it
    // as systemd does, and does not use it).
    for (dir, scope) in [
        (out.clone(), "--system"),
        (out.join("users/alice"), "--user"),
    ] {
        let mut args = vec!["verify", scope, "--unit-dir", dir.to_str().unwrap()];
        let units: Vec<String> = names(&dir)
            .into_iter()
            .filter(|n| n.ends_with(".timer") || (n.ends_with(".service") && !n.contains('@')))
            .collect();
        args.extend(units.iter().map(String::as_str));
        let verify = sundial(&args, &[], None);
        let complaints: Vec<String> = text(&verify.stderr)
            .lines()
            .filter(|l| !l.ends_with("SourcePath=: not supported, ignoring"))
            .map(str::to_owned)
            .collect();
        assert!(
            verify.status.success() && complaints.is_empty(),
            "{complaints:#?}"
        );
    }

    // A few things the sample exercises, as the files say them.
    let read = |p: &str| fs::read_to_string(out.join(p)).unwrap();
    assert!(read("cron-daily.timer").contains("OnCalendar=*-*-* 06:30:00\n"));
    assert!(read("cron-daily.timer").contains("Persistent=true\nRandomizedDelaySec=30min\n"));
    assert!(read("php-artisan-schedule-run.service")
        .contains("User=www-data\nWorkingDirectory=/var/www\n"));
    assert!(read("database-dump.service").contains(
        "OnFailure=sundial-cron-mail@database-dump.service\nOnSuccess=sundial-cron-mail@database-dump.service\n"
    ));
    let report = read("users/alice/report-on-the-1st-and-the-15th-and-every-friday.timer");
    assert!(report.contains(
        "OnCalendar=*-*-01,15 09:00:00 Europe/Berlin\nOnCalendar=Fri *-*-* 09:00:00 Europe/Berlin\n"
    ));
    assert!(report.contains("RandomizedDelaySec=10min\nFixedRandomDelay=yes\n"));
    let report = read("users/alice/report-on-the-1st-and-the-15th-and-every-friday.service");
    // "Weekly report\nattached\n"
    assert!(
        report.contains("StandardInputData=V2Vla2x5IHJlcG9ydAphdHRhY2hlZAo=\n"),
        "{report}"
    );
    assert!(report.contains("-c \"$$HOME/bin/report | mail -s \\\"Report 100%% done\\\" alice\"\n"));
    assert!(read("users/alice/start-agent.timer")
        .contains("OnBootSec=0\nX-Sundial-PersistentMonotonic=yes\n"));
    assert_eq!(
        fs::read_link(out.join("users/alice/timers.target.wants/nightly-backup.timer")).unwrap(),
        Path::new("../nightly-backup.timer")
    );
}

/// The dry run's `==> PATH <==` blocks: path → text, or `-> target` for a
/// link. Each block ends with an empty line.
fn parse_dry_run(output: &str) -> BTreeMap<PathBuf, String> {
    let mut blocks = BTreeMap::new();
    let mut current: Option<(PathBuf, String)> = None;
    for line in output.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("==> ") {
            blocks.extend(current.take());
            let (path, after) = rest.split_once(" <==").unwrap();
            current = Some((PathBuf::from(path), after.trim().to_owned()));
        } else if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
        }
    }
    blocks.extend(current);
    blocks
        .into_iter()
        .map(|(path, body)| {
            let body = body.strip_suffix('\n').map(str::to_owned).unwrap_or(body);
            (path, body)
        })
        .collect()
}

#[test]
fn dry_run_prints_exactly_what_out_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let dry = import(&data().join("root"), &out, &["--dry-run"]);
    assert!(dry.status.success(), "{}", text(&dry.stderr));
    assert!(!out.exists(), "a dry run writes nothing");
    let printed = parse_dry_run(&text(&dry.stdout));
    let written = import(&data().join("root"), &out, &[]);
    assert!(written.status.success());
    let files: BTreeMap<PathBuf, String> = snapshot(&out)
        .into_iter()
        .map(|(p, (t, _))| (p, t))
        .collect();
    assert_eq!(
        printed.keys().collect::<Vec<_>>(),
        files.keys().collect::<Vec<_>>()
    );
    for (path, text) in &files {
        assert_eq!(&printed[path], text, "{}", path.display());
    }
}

#[test]
fn importing_twice_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    assert!(import(&data().join("root"), &out, &[]).status.success());
    let before = snapshot(&out);
    let again = import(&data().join("root"), &out, &[]);
    assert!(again.status.success());
    assert!(
        text(&again.stdout).starts_with("0 unit files written, 25 unchanged, 0 removed"),
        "{}",
        text(&again.stdout)
    );
    assert_eq!(snapshot(&out), before, "contents and modification times");
}

/// A copy of the sample system to change.
fn copy_root(to: &Path) {
    let status = Command::new("cp")
        .arg("-a")
        .arg(data().join("root"))
        .arg(to)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn a_broken_line_writes_nothing_and_says_where() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    copy_root(&root);
    let mut f = fs::OpenOptions::new()
        .append(true)
        .open(root.join("etc/cron.d/backup"))
        .unwrap();
    f.write_all(b"0 24 * * * root /usr/bin/true\n5 4 * * *\n")
        .unwrap();
    let out = tmp.path().join("out");
    let result = import(&root, &out, &[]);
    assert_eq!(result.status.code(), Some(1));
    let stderr = text(&result.stderr);
    assert!(
        stderr.contains("/etc/cron.d/backup:7:3: hour 24 out of range 0-23\n"),
        "{stderr}"
    );
    assert!(stderr.contains("/etc/cron.d/backup:8:"), "{stderr}");
    assert!(
        stderr.contains("sundial: 2 errors in the crontabs: nothing written"),
        "{stderr}"
    );
    assert!(!out.exists());
}

#[test]
fn jobs_that_are_gone_take_their_units_along_and_other_files_stay() {
    let tmp = tempfile::tempdir().unwrap();
    let tab = tmp.path().join("jobs.cron");
    let out = tmp.path().join("out");
    fs::write(
        &tab,
        "MAILTO=\"\"\n# first\n0 1 * * * one\n# second\n0 2 * * * two\n",
    )
    .unwrap();
    let args = [
        "crontab",
        "import",
        "--user",
        tab.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    assert!(sundial(&args, &[], None).status.success());
    assert!(out.join("second.timer").exists());
    fs::write(out.join("mine.timer"), "[Timer]\nOnCalendar=daily\n").unwrap();
    fs::write(&tab, "MAILTO=\"\"\n# first\n0 1 * * * one\n").unwrap();
    let result = sundial(&args, &[], None);
    assert!(result.status.success());
    assert_eq!(
        names(&out),
        [
            "first.service",
            "first.timer",
            "mine.timer",
            "timers.target.wants"
        ]
    );
    assert_eq!(names(&out.join("timers.target.wants")), ["first.timer"]);
    // A job now named like a file sundial did not write: refused, nothing
    // written.
    fs::write(
        &tab,
        "MAILTO=\"\"\n# mine\n0 1 * * * mine\n# third\n0 3 * * * three\n",
    )
    .unwrap();
    let result = sundial(&args, &[], None);
    assert_eq!(result.status.code(), Some(1));
    assert!(text(&result.stderr).contains("mine.timer exists and was not generated"));
    assert!(!out.join("third.timer").exists());
}

#[test]
fn files_and_standard_input_with_their_kind() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let out_s = out.to_str().unwrap();
    let system = data().join("root/etc/cron.d/backup");
    let result = sundial(
        &[
            "crontab",
            "import",
            "--system",
            "--kind",
            "system",
            system.to_str().unwrap(),
            "--out",
            out_s,
        ],
        &[],
        None,
    );
    assert!(result.status.success(), "{}", text(&result.stderr));
    let dump = fs::read_to_string(out.join("database-dump.service")).unwrap();
    assert!(dump.contains(&format!("SourcePath={}\n", system.display())));
    assert!(dump.contains("User=root\n"));
    // Without sendmail, the import says the output is not mailed.
    assert!(text(&result.stderr).contains("warning: no sendmail on this system"));
    assert!(!dump.contains("OnFailure"));

    let out2 = tmp.path().join("out2");
    let result = sundial(
        &[
            "crontab",
            "import",
            "--user",
            "-",
            "--out",
            out2.to_str().unwrap(),
        ],
        &[],
        Some("MAILTO=\"\"\n@daily date\n"),
    );
    assert!(result.status.success(), "{}", text(&result.stderr));
    let timer = fs::read_to_string(out2.join("date.timer")).unwrap();
    assert!(timer.contains("# (standard input):2: @daily date\n"));
    assert!(timer.contains("OnCalendar=*-*-* 00:00:00\n"));
    assert!(!timer.contains("SourcePath"));
}
