//! systemctl's and journalctl's habits (issue 12, item 7), through the real
//! binary: `logs -p/-b/-e/-x`, the pager and `--no-pager`,
//! `list-unit-files`, `edit`, `cat` of several units, `daemon-reexec`.
//! Each test runs `sundial` as a user would and checks what the user sees.
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::fs::{self, File};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use daemon_support::{wait_for, Daemon};
use sundial::store::{NewLogLine, Store, Stream};
use sundial::unit::SyslogLevel;
use sundial_calendar::Timestamp;

const SUNDIAL: &str = env!("CARGO_BIN_EXE_sundial");

/// `sundial ARGS` against `daemon`, its output and exit code.
fn sundial(daemon: &Daemon, args: &[&str]) -> Output {
    command(daemon, args).output().expect("sundial runs")
}

fn command(daemon: &Daemon, args: &[&str]) -> Command {
    let mut cmd = Command::new(SUNDIAL);
    cmd.args(args)
        .env("SUNDIAL_SOCKET", &daemon.socket)
        .env("HOME", &daemon.dir)
        .env("XDG_CONFIG_HOME", daemon.dir.join("config"))
        .env("TZ", "UTC")
        .env_remove("SUNDIAL_UNIT_PATH")
        .env_remove("SYSTEMD_PAGER")
        .env_remove("PAGER");
    cmd
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Starts `unit` and waits for the job, whatever its result.
fn start(daemon: &Daemon, unit: &str) {
    let _ = sundial(daemon, &["start", unit]);
}

/// Lines written straight into the state database before the daemon runs,
/// as an earlier daemon would have left them.
fn seed_logs(state_dir: &Path, lines: &[(&str, i64, &str)]) {
    fs::create_dir_all(state_dir).unwrap();
    let mut store = Store::open(state_dir.join("state.db")).unwrap();
    let lines: Vec<NewLogLine<'_>> = lines
        .iter()
        .map(|(unit, usec, text)| NewLogLine {
            unit,
            invocation: None,
            stream: Stream::Stdout,
            at: Timestamp::from_usec(*usec),
            line: text,
            priority: SyslogLevel::Info,
        })
        .collect();
    store.append_logs(&lines).unwrap();
}

/// The wall clock when this boot began.
fn boot_start_usec() -> i64 {
    use nix::time::{clock_gettime, ClockId};
    let usec = |clock| {
        let t = clock_gettime(clock).unwrap();
        t.tv_sec() * 1_000_000 + t.tv_nsec() / 1000
    };
    usec(ClockId::CLOCK_REALTIME) - usec(ClockId::CLOCK_BOOTTIME)
}

const NOISY: &str = "\
[Service]
Type=oneshot
ExecStart=/bin/sh -c 'echo \"<3>disk failed\"; echo \"<4>low space\"; echo plain; echo \"<7>detail\"; exit 1'
";

#[test]
fn logs_p_filters_by_priority_the_prefix_sets_it_and_sundials_lines_carry_theirs() {
    let dir = tempfile::tempdir().unwrap();
    let unprefixed = NOISY.replace("[Service]", "[Service]\nSyslogLevelPrefix=no");
    let mut daemon = Daemon::new(
        dir.path(),
        &[("noisy.service", NOISY), ("raw.service", &unprefixed)],
    );
    daemon.start();
    start(&daemon, "noisy.service");
    start(&daemon, "raw.service");

    let logs = |args: &[&str]| {
        let out = sundial(&daemon, args);
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    // The prefix is read and removed; without -p every line shows.
    let all = logs(&["logs", "-u", "noisy", "-o", "cat"]);
    for line in ["disk failed", "low space", "plain", "detail"] {
        assert!(all.lines().any(|l| l == line), "{line} missing in {all}");
    }
    assert_eq!(
        logs(&["logs", "-u", "noisy", "-p", "err..warning", "-o", "cat"]),
        "disk failed\nlow space\nnoisy.service: Failed with result 'exit-code'.\n\
         Failed to start noisy.service.\n"
    );
    assert_eq!(
        logs(&["logs", "-u", "noisy", "-p", "err", "-o", "cat"]),
        "disk failed\nFailed to start noisy.service.\n"
    );
    // The failed exit is a notice.
    assert_eq!(
        logs(&["logs", "-u", "noisy", "-p", "notice..notice", "-o", "cat"]),
        "noisy.service: Main process exited, code=exited, status=1/FAILURE\n"
    );
    // SyslogLevelPrefix=no: the text is kept and the line is info.
    let raw = logs(&["logs", "-u", "raw", "-p", "info..info", "-o", "cat"]);
    assert!(raw.contains("<3>disk failed\n"), "{raw}");
    // JSON carries the priority as the journal does.
    let json = logs(&["logs", "-u", "noisy", "-p", "3", "-o", "json"]);
    assert!(
        json.lines().next().unwrap().contains("\"PRIORITY\":\"3\""),
        "{json}"
    );

    let bad = sundial(&daemon, &["logs", "-p", "loud"]);
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("Unknown log level loud"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn logs_b_shows_this_boot_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut daemon = Daemon::new(dir.path(), &[]);
    let boot = boot_start_usec();
    seed_logs(
        &daemon.state,
        &[
            ("old.service", boot - 3_600_000_000, "before this boot"),
            ("old.service", boot + 1_000_000, "after the boot"),
        ],
    );
    daemon.start();
    let out = sundial(&daemon, &["logs", "-u", "old", "-o", "cat"]);
    assert_eq!(stdout(&out), "before this boot\nafter the boot\n");
    for flag in [&["-b"][..], &["-b", "0"], &["--boot"]] {
        let mut args = vec!["logs", "-u", "old", "-o", "cat"];
        args.extend_from_slice(flag);
        let out = sundial(&daemon, &args);
        assert_eq!(
            stdout(&out),
            "after the boot\n",
            "{flag:?}: {}",
            stderr(&out)
        );
    }
    let id = fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap();
    let out = sundial(
        &daemon,
        &["logs", "-u", "old", "-o", "cat", "-b", id.trim()],
    );
    assert_eq!(stdout(&out), "after the boot\n", "{}", stderr(&out));
    let out = sundial(&daemon, &["logs", "--boot=-1"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("Data from the specified boot (-1) is not available"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn logs_x_explains_sundials_lines() {
    let dir = tempfile::tempdir().unwrap();
    let mut daemon = Daemon::new(dir.path(), &[("noisy.service", NOISY)]);
    daemon.start();
    start(&daemon, "noisy.service");
    let out = sundial(&daemon, &["logs", "-u", "noisy", "-x", "-p", "warning"]);
    let text = stdout(&out);
    let failed = text
        .lines()
        .position(|l| l.ends_with("noisy.service: Failed with result 'exit-code'."))
        .unwrap_or_else(|| panic!("no failure line in {text}"));
    let after: Vec<&str> = text.lines().skip(failed + 1).take(2).collect();
    assert_eq!(after, ["░░ Subject: Unit failed", "░░ Defined-By: sundial"]);
    // Output lines have no explanation.
    let plain = stdout(&sundial(
        &daemon,
        &["logs", "-u", "noisy", "-x", "-p", "err"],
    ));
    let disk = plain
        .lines()
        .position(|l| l.ends_with("disk failed"))
        .unwrap();
    assert!(
        !plain.lines().nth(disk + 1).unwrap().starts_with("░░"),
        "{plain}"
    );
}

// ---- the pager --------------------------------------------------------

/// A pseudo-terminal: the master, kept open while the test runs, and the
/// slave opened as a file for a child's stdout and stderr.
fn pty() -> (OwnedFd, File) {
    // SAFETY: plain calls on a descriptor this function owns; ptsname's
    // static buffer is copied before anything else can call it.
    unsafe {
        let fd = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
        assert!(fd >= 0, "posix_openpt");
        let master = OwnedFd::from_raw_fd(fd);
        assert_eq!(libc::grantpt(fd), 0, "grantpt");
        assert_eq!(libc::unlockpt(fd), 0, "unlockpt");
        let name = libc::ptsname(fd);
        assert!(!name.is_null(), "ptsname");
        let path = std::ffi::CStr::from_ptr(name)
            .to_string_lossy()
            .into_owned();
        let slave = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOCTTY)
            .open(path)
            .unwrap();
        (master, slave)
    }
}

/// A pager that writes what it got (its arguments, $LESS, $LESSSECURE,
/// the text) to `record`.
fn fake_pager(dir: &Path) -> (PathBuf, PathBuf) {
    let script = dir.join("fake-pager");
    let record = dir.join("paged.txt");
    fs::write(
        &script,
        format!(
            "#!/bin/sh\n{{ echo \"args:$*\"; echo \"LESS=$LESS\"; echo \"LESSSECURE=$LESSSECURE\"; \
             cat; }} > {}\n",
            record.display()
        ),
    )
    .unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    (script, record)
}

/// Runs `cmd` with stdout and stderr on a terminal, $TERM set, and the
/// fake pager trusted ($SYSTEMD_PAGERSECURE=0); returns its exit status.
fn on_terminal(mut cmd: Command, pager: &Path) -> std::process::ExitStatus {
    let (_master, slave) = pty();
    let mut child = cmd
        .env("TERM", "xterm")
        .env("SYSTEMD_PAGER", pager)
        .env("SYSTEMD_PAGERSECURE", "0")
        .stdin(Stdio::null())
        .stdout(slave.try_clone().unwrap())
        .stderr(slave)
        .spawn()
        .unwrap();
    let mut status = None;
    assert!(
        wait_for(Duration::from_secs(20), || {
            status = child.try_wait().unwrap();
            status.is_some()
        }),
        "sundial did not finish: {}",
        String::from_utf8_lossy(
            &Command::new("ps")
                .args([
                    "-o",
                    "pid,ppid,stat,wchan,cmd",
                    "-p",
                    &child.id().to_string()
                ])
                .output()
                .unwrap()
                .stdout
        )
    );
    status.unwrap()
}

#[test]
fn logs_e_pages_the_last_thousand_lines_from_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let mut daemon = Daemon::new(dir.path(), &[]);
    let texts: Vec<String> = (0..1005).map(|n| format!("line {n}")).collect();
    let now = Timestamp::from_usec(boot_start_usec() + 1_000_000);
    let lines: Vec<(&str, i64, &str)> = texts
        .iter()
        .map(|t| ("many.service", now.as_usec(), t.as_str()))
        .collect();
    seed_logs(&daemon.state, &lines);
    daemon.start();
    let (pager, record) = fake_pager(dir.path());

    let status = on_terminal(command(&daemon, &["logs", "-e", "-o", "cat"]), &pager);
    assert!(status.success());
    let paged = fs::read_to_string(&record).unwrap();
    let mut paged_lines = paged.lines();
    assert_eq!(paged_lines.next(), Some("args:"));
    assert_eq!(paged_lines.next(), Some("LESS=FRSXMK +G"));
    assert_eq!(paged_lines.next(), Some("LESSSECURE="));
    let shown: Vec<&str> = paged_lines.collect();
    assert_eq!(shown.len(), 1000);
    assert_eq!(shown[0], "line 5");
    assert_eq!(shown[999], "line 1004");

    // Without -e: from the start, every line; $SYSTEMD_LESS replaces the
    // options.
    fs::remove_file(&record).unwrap();
    let mut cmd = command(&daemon, &["logs", "-o", "cat"]);
    cmd.env("SYSTEMD_LESS", "R");
    assert!(on_terminal(cmd, &pager).success());
    let paged = fs::read_to_string(&record).unwrap();
    assert!(paged.contains("LESS=R\n"), "{paged}");
    assert_eq!(paged.lines().count(), 3 + 1005);

    // --no-pager, or a pipe instead of a terminal: no pager. (A few lines:
    // nobody reads the terminal.)
    fs::remove_file(&record).unwrap();
    let no_pager = command(&daemon, &["logs", "--no-pager", "-n", "3"]);
    assert!(on_terminal(no_pager, &pager).success());
    assert!(!record.exists());
    let piped = command(&daemon, &["logs", "-o", "cat", "-n", "1"])
        .env("TERM", "xterm")
        .env("SYSTEMD_PAGER", &pager)
        .env("SYSTEMD_PAGERSECURE", "0")
        .output()
        .unwrap();
    assert_eq!(stdout(&piped), "line 1004\n");
    assert!(!record.exists());
}

// ---- list-unit-files --------------------------------------------------

/// A root with unit files under etc/systemd/system and usr/lib/systemd/system
/// and preset files beside them, links relative so that they mean the same
/// to `systemctl --root` and to sundial.
fn unit_file_root(root: &Path) -> (PathBuf, PathBuf) {
    use std::os::unix::fs::symlink;
    let etc = root.join("etc/systemd/system");
    let lib = root.join("usr/lib/systemd/system");
    fs::create_dir_all(etc.join("timers.target.wants")).unwrap();
    fs::create_dir_all(&lib).unwrap();
    fs::create_dir_all(root.join("usr/lib/systemd/system-preset")).unwrap();
    let installable = "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n";
    let timer = "[Timer]\nOnCalendar=daily\n[Install]\nWantedBy=timers.target\n";
    fs::write(
        lib.join("backup.service"),
        "[Service]\nExecStart=/bin/true\n",
    )
    .unwrap();
    fs::write(lib.join("backup.timer"), timer).unwrap();
    fs::write(lib.join("report.timer"), timer).unwrap();
    fs::write(lib.join("web.service"), installable).unwrap();
    fs::write(lib.join("sync@.service"), installable).unwrap();
    fs::write(lib.join("Zeta.target"), "[Unit]\nDescription=z\n").unwrap();
    symlink(
        "../../../../usr/lib/systemd/system/backup.timer",
        etc.join("timers.target.wants/backup.timer"),
    )
    .unwrap();
    symlink(
        "../../../../usr/lib/systemd/system/sync@.service",
        etc.join("timers.target.wants/sync@home.service"),
    )
    .unwrap();
    symlink("/dev/null", etc.join("old.service")).unwrap();
    symlink(
        "../../../usr/lib/systemd/system/web.service",
        etc.join("www.service"),
    )
    .unwrap();
    fs::write(
        root.join("usr/lib/systemd/system-preset/90-default.preset"),
        "enable backup.*\nenable web.service\ndisable *\n",
    )
    .unwrap();
    (etc, lib)
}

const UNIT_FILES: &str = "\
UNIT FILE      STATE    PRESET
backup.service static   -
old.service    masked   disabled
sync@.service  indirect disabled
web.service    indirect enabled
www.service    alias    -
Zeta.target    static   -
backup.timer   enabled  enabled
report.timer   disabled disabled

8 unit files listed.
";

#[test]
fn list_unit_files_shows_state_and_preset_without_a_daemon() {
    let dir = tempfile::tempdir().unwrap();
    let (etc, lib) = unit_file_root(dir.path());
    let list = |extra: &[&str]| {
        let mut cmd = Command::new(SUNDIAL);
        cmd.arg("list-unit-files")
            .arg("--unit-dir")
            .arg(&etc)
            .arg("--unit-dir")
            .arg(&lib)
            .args(extra)
            .env_remove("SUNDIAL_UNIT_PATH")
            // No daemon runs there: none is needed.
            .env("SUNDIAL_SOCKET", dir.path().join("nobody.sock"));
        cmd.output().unwrap()
    };
    let out = list(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), UNIT_FILES);
    let out = list(&["--state=enabled,masked", "--no-legend"]);
    assert_eq!(
        stdout(&out),
        "old.service  masked  disabled\nbackup.timer enabled enabled\n"
    );
    let out = list(&["-t", "timer", "-o", "json"]);
    assert_eq!(
        stdout(&out),
        "[{\"unit_file\":\"backup.timer\",\"state\":\"enabled\",\"preset\":\"enabled\"},\
         {\"unit_file\":\"report.timer\",\"state\":\"disabled\",\"preset\":\"disabled\"}]\n"
    );
    let out = list(&["nothing*"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        "UNIT FILE STATE PRESET\n\n0 unit files listed.\n"
    );

    // The same tree under `systemctl --root`, where systemctl is installed.
    let systemctl = Command::new("systemctl")
        .args(["list-unit-files", "--no-pager", "--root"])
        .arg(dir.path())
        .output();
    match systemctl {
        Ok(oracle) => {
            assert!(oracle.status.success(), "systemctl: {}", stderr(&oracle));
            assert_eq!(stdout(&oracle), UNIT_FILES, "systemctl disagrees");
        }
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::NotFound, "{e}"),
    }
}
