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

// ---- edit -------------------------------------------------------------

/// An editor that counts its runs, keeps what it was given as
/// `seen-N`, and replaces it by `edit-N` when the test wrote one.
fn fake_editor(dir: &Path) -> PathBuf {
    let script = dir.join("fake-editor");
    fs::write(
        &script,
        format!(
            "#!/bin/sh\nd={}\nn=$(cat $d/count 2>/dev/null || echo 0); n=$((n+1)); echo $n > $d/count\n\
             for f in \"$@\"; do cp \"$f\" $d/seen-$n; [ -e $d/edit-$n ] && cp $d/edit-$n \"$f\"; done\n\
             exit 0\n",
            dir.display()
        ),
    )
    .unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    script
}

/// Runs `cmd` with stdin, stdout and stderr on a terminal, `input` typed
/// in advance; returns the exit status and everything it printed.
fn on_terminal_typing(mut cmd: Command, input: &str) -> (std::process::ExitStatus, String) {
    use std::io::{Read, Write};
    let (master, slave) = pty();
    let mut master = File::from(master);
    master.write_all(input.as_bytes()).unwrap();
    let mut child = cmd
        .env("TERM", "xterm")
        .stdin(slave.try_clone().unwrap())
        .stdout(slave.try_clone().unwrap())
        .stderr(slave)
        .spawn()
        .unwrap();
    drop(cmd);
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        // Ends with EIO once no process holds the terminal.
        while let Ok(n) = master.read(&mut buf) {
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&out).replace("\r\n", "\n")
    });
    let status = child.wait().unwrap();
    (status, reader.join().unwrap())
}

const GREETER: &str = "\
[Service]
Type=oneshot
ExecStart=/bin/sh -c 'echo greeting=$GREETING'
";

#[test]
fn edit_saves_a_checked_drop_in_offers_to_edit_again_and_reloads_the_daemon() {
    let dir = tempfile::tempdir().unwrap();
    let mut daemon = Daemon::new(dir.path(), &[("greeter.service", GREETER)]);
    daemon.start();
    let editor = fake_editor(dir.path());
    // First a second ExecStart=, which a simple service may not have; then
    // a good drop-in, written with the markers and the comments below.
    fs::write(
        dir.path().join("edit-1"),
        "[Service]\nType=simple\nExecStart=/bin/true\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("edit-2"),
        "### Editing x\n### Anything between here and the comment below will become the new \
         contents of the file\n\n[Service]\nEnvironment=GREETING=hello\n\n\
         ### Lines below this comment will be discarded\n\n### junk\n# [Service]\n",
    )
    .unwrap();
    let mut cmd = command(&daemon, &["edit", "greeter"]);
    cmd.arg("--unit-dir")
        .arg(&daemon.units)
        .env("SYSTEMD_EDITOR", &editor);
    let (status, output) = on_terminal_typing(cmd, "y\n");
    assert!(status.success(), "{output}");
    assert!(output.contains("Edit again? [(y)es, (n)o]"), "{output}");
    assert!(
        output.contains("greeter.service would not be valid"),
        "{output}"
    );
    // What the editor was given: the markers, then the unit file commented.
    let seen = fs::read_to_string(dir.path().join("seen-1")).unwrap();
    let override_path = daemon.units.join("greeter.service.d/override.conf");
    assert!(
        seen.starts_with(&format!(
            "### Editing {}\n### Anything between here",
            override_path.display()
        )),
        "{seen}"
    );
    assert!(
        seen.contains("# ExecStart=/bin/sh -c 'echo greeting=$GREETING'\n"),
        "{seen}"
    );
    // The second run got the first run's text back.
    assert_eq!(
        fs::read_to_string(dir.path().join("seen-2")).unwrap(),
        fs::read_to_string(dir.path().join("edit-1")).unwrap()
    );
    assert_eq!(
        fs::read_to_string(&override_path).unwrap(),
        "[Service]\nEnvironment=GREETING=hello\n"
    );
    let leftovers: Vec<_> = fs::read_dir(override_path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["override.conf"]);
    // The daemon was reloaded: the drop-in applies at the next start.
    start(&daemon, "greeter.service");
    assert_eq!(
        stdout(&sundial(
            &daemon,
            &["logs", "-u", "greeter", "-o", "cat", "-p", "info..info"]
        ))
        .lines()
        .find(|l| l.starts_with("greeting=")),
        Some("greeting=hello")
    );
}

#[test]
fn edit_refused_or_emptied_saves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let units = dir.path().join("units");
    fs::create_dir_all(&units).unwrap();
    fs::write(units.join("greeter.service"), GREETER).unwrap();
    let editor = fake_editor(dir.path());
    let edit = |args: &[&str], input: &str| {
        let mut cmd = Command::new(SUNDIAL);
        cmd.arg("edit")
            .args(args)
            .arg("--unit-dir")
            .arg(&units)
            .env("SYSTEMD_EDITOR", &editor)
            .env("SUNDIAL_SOCKET", dir.path().join("nobody.sock"))
            .env_remove("SUNDIAL_UNIT_PATH");
        on_terminal_typing(cmd, input)
    };
    // Broken, and the user does not want to edit again.
    fs::write(
        dir.path().join("edit-1"),
        "[Unit]\nRequires=missing.service\n",
    )
    .unwrap();
    let (status, output) = edit(&["greeter"], "n\n");
    assert_eq!(status.code(), Some(1), "{output}");
    assert!(
        output.contains("Unit missing.service not found."),
        "{output}"
    );
    assert!(output.contains("override.conf: not saved."), "{output}");
    assert!(!units.join("greeter.service.d").exists());
    // Left empty: canceled, as systemctl does.
    let (status, output) = edit(&["greeter"], "");
    assert!(status.success(), "{output}");
    assert!(
        output.contains("canceled: temporary file is empty."),
        "{output}"
    );
    assert!(!units.join("greeter.service.d").exists());
    // A unit without a file needs --force; a masked one cannot be edited.
    let (status, output) = edit(&["new.timer"], "");
    assert_eq!(status.code(), Some(1));
    assert!(
        output.contains("No files found for new.timer.\nRun 'sundial edit --force --full new.timer' to create a new unit."),
        "{output}"
    );
    std::os::unix::fs::symlink("/dev/null", units.join("gone.service")).unwrap();
    let (status, output) = edit(&["gone"], "");
    assert_eq!(status.code(), Some(1));
    assert!(
        output.contains("Cannot edit gone.service: unit is masked."),
        "{output}"
    );
    // Not on a terminal.
    let piped = Command::new(SUNDIAL)
        .args(["edit", "greeter", "--unit-dir"])
        .arg(&units)
        .output()
        .unwrap();
    assert_eq!(piped.status.code(), Some(1));
    assert!(stderr(&piped).contains("Cannot edit units if not on a tty."));
}

#[test]
fn edit_full_copies_the_file_into_the_first_directory_and_force_makes_new_units() {
    let dir = tempfile::tempdir().unwrap();
    let etc = dir.path().join("etc");
    let lib = dir.path().join("lib");
    fs::create_dir_all(&lib).unwrap();
    fs::write(lib.join("greeter.service"), GREETER).unwrap();
    let editor = fake_editor(dir.path());
    let edit = |args: &[&str]| {
        let mut cmd = Command::new(SUNDIAL);
        cmd.arg("edit")
            .args(args)
            .arg("--unit-dir")
            .arg(&etc)
            .arg("--unit-dir")
            .arg(&lib)
            .env("SYSTEMD_EDITOR", &editor)
            .env("SUNDIAL_SOCKET", dir.path().join("nobody.sock"))
            .env_remove("SUNDIAL_UNIT_PATH");
        on_terminal_typing(cmd, "")
    };
    let changed = GREETER.replace("greeting=", "hi=");
    fs::write(dir.path().join("edit-1"), &changed).unwrap();
    let (status, output) = edit(&["--full", "greeter.service"]);
    assert!(status.success(), "{output}");
    // The editor saw the vendor file as it is; the copy went to etc/.
    assert_eq!(
        fs::read_to_string(dir.path().join("seen-1")).unwrap(),
        GREETER
    );
    assert_eq!(
        fs::read_to_string(etc.join("greeter.service")).unwrap(),
        changed
    );
    assert_eq!(
        fs::read_to_string(lib.join("greeter.service")).unwrap(),
        GREETER
    );

    fs::write(
        dir.path().join("edit-2"),
        "[Timer]\nOnCalendar=daily\n[Install]\nWantedBy=timers.target\n",
    )
    .unwrap();
    let (status, output) = edit(&["--force", "--full", "greeter.timer"]);
    assert!(status.success(), "{output}");
    assert!(etc.join("greeter.timer").exists());
    // --drop-in names the file.
    fs::write(dir.path().join("edit-3"), "[Service]\nNice=5\n").unwrap();
    let (status, output) = edit(&["--drop-in=nice", "greeter"]);
    assert!(status.success(), "{output}");
    assert_eq!(
        fs::read_to_string(etc.join("greeter.service.d/nice.conf")).unwrap(),
        "[Service]\nNice=5\n"
    );
}

// ---- cat --------------------------------------------------------------

#[test]
fn cat_prints_several_units_and_the_units_a_pattern_matches() {
    let dir = tempfile::tempdir().unwrap();
    let units = dir.path().join("units");
    fs::create_dir_all(units.join("backup.service.d")).unwrap();
    fs::write(
        units.join("backup.service"),
        "[Service]\nExecStart=/bin/true\n",
    )
    .unwrap();
    fs::write(
        units.join("backup.service.d/nice.conf"),
        "[Service]\nNice=5\n",
    )
    .unwrap();
    fs::write(units.join("backup.timer"), "[Timer]\nOnCalendar=daily\n").unwrap();
    fs::write(
        units.join("web.service"),
        "[Service]\nExecStart=/bin/true\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("/dev/null", units.join("old.service")).unwrap();
    let cat = |args: &[&str]| {
        Command::new(SUNDIAL)
            .arg("cat")
            .args(args)
            .arg("--unit-dir")
            .arg(&units)
            .env_remove("SUNDIAL_UNIT_PATH")
            .output()
            .unwrap()
    };
    let u = units.display();
    let backup_service = format!(
        "# {u}/backup.service\n[Service]\nExecStart=/bin/true\n\n\
         # {u}/backup.service.d/nice.conf\n[Service]\nNice=5\n"
    );
    let backup_timer = format!("# {u}/backup.timer\n[Timer]\nOnCalendar=daily\n");
    // Several units: a blank line between files, a masked one as a comment,
    // a missing one on stderr and exit 1.
    let out = cat(&["backup", "old", "nope", "backup.timer"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        format!("{backup_service}# Unit old.service is masked.\n\n{backup_timer}")
    );
    assert_eq!(stderr(&out), "No files found for nope.service.\n");
    // A pattern: the unit files it matches, in order; none is no error.
    let out = cat(&["backup*"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("{backup_service}\n{backup_timer}"));
    let out = cat(&["nothing*"]);
    assert!(out.status.success());
    assert_eq!(stdout(&out), "");
}

// ---- daemon-reexec ----------------------------------------------------

/// A property of `unit` from `sundial show`.
fn property(daemon: &Daemon, unit: &str, name: &str) -> String {
    let out = sundial(daemon, &["show", unit, "-p", name, "--value"]);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out).trim().to_owned()
}

#[test]
fn daemon_reexec_keeps_a_running_service_its_pid_and_its_output() {
    let dir = tempfile::tempdir().unwrap();
    let go = dir.path().join("go");
    // It prints, leaves half a line in its pipe, waits for the test (not
    // for ever: a failed test leaves it behind), then finishes the line and
    // prints more.
    let talker = format!(
        "[Service]\nExecStart=/bin/sh -c 'echo before; printf partial; n=0; \
         while [ ! -e {} ] && [ $$n -lt 400 ]; do sleep 0.05; n=$$((n+1)); done; \
         echo \" line\"; echo after; exec sleep 60'\n",
        go.display()
    );
    let mut daemon = Daemon::new(
        dir.path(),
        &[
            ("talker.service", &talker),
            ("tick.timer", "[Timer]\nOnActiveSec=1h\n"),
            ("tick.service", "[Service]\nExecStart=/bin/true\n"),
        ],
    );
    daemon.start();
    assert!(sundial(&daemon, &["start", "talker", "tick.timer"])
        .status
        .success());
    assert!(wait_for(Duration::from_secs(10), || {
        daemon
            .log_lines("talker.service")
            .iter()
            .any(|l| l == "before")
    }));
    let main_pid = property(&daemon, "talker.service", "MainPID");
    let invocation = property(&daemon, "talker.service", "InvocationID");
    // The next elapse, on the wall clock: a monotonic one is converted at
    // each query, to within a few µs.
    let timers = |d: &Daemon| {
        let json: serde_json::Value =
            serde_json::from_str(&stdout(&sundial(d, &["list-timers", "-o", "json"]))).unwrap();
        json[0]["next"].as_i64().unwrap() / 1000
    };
    let timers_before = timers(&daemon);
    assert_ne!(main_pid, "0");

    let out = sundial(&daemon, &["daemon-reexec"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // The same daemon process runs a new program.
    assert!(
        daemon.stderr().contains("sundial: re-executed:"),
        "{}",
        daemon.stderr()
    );
    assert!(Path::new(&format!("/proc/{}", daemon.pid())).exists());
    // The service runs on, the same process of the same run.
    assert_eq!(property(&daemon, "talker.service", "MainPID"), main_pid);
    assert_eq!(
        property(&daemon, "talker.service", "InvocationID"),
        invocation
    );
    assert_eq!(property(&daemon, "talker.service", "ActiveState"), "active");
    assert!((timers(&daemon) - timers_before).abs() <= 1);

    // What it prints now is still captured, the half line completed.
    assert!(!daemon
        .log_lines("talker.service")
        .iter()
        .any(|l| l == "after"));
    File::create(&go).unwrap();
    assert!(
        wait_for(Duration::from_secs(10), || {
            daemon
                .log_lines("talker.service")
                .iter()
                .any(|l| l == "after")
        }),
        "{:?}",
        daemon.log_lines("talker.service")
    );
    let lines = daemon.log_lines("talker.service");
    assert!(lines.iter().any(|l| l == "partial line"), "{lines:?}");

    // And it is still supervised: stopped, its run ends in the history.
    let out = sundial(&daemon, &["stop", "talker"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(property(&daemon, "talker.service", "MainPID"), "0");
    // Reaped by the new program, as its child.
    assert!(!Path::new(&format!("/proc/{main_pid}")).exists());
    let runs = daemon.finished("talker.service");
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].invocation.to_string(), invocation);
    assert!(daemon.terminate(), "{}", daemon.stderr());
}

#[test]
fn daemon_reexec_is_refused_where_it_cannot_be_done() {
    let dir = tempfile::tempdir().unwrap();
    let mut daemon = Daemon::new(dir.path(), &[])
        .arg("--clock=manual")
        .env("SUNDIAL_ALLOW_MANUAL_CLOCK", "1");
    daemon.start();
    let out = sundial(&daemon, &["daemon-reexec"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "sundial: Cannot re-execute: not with the manual test clock.\n"
    );
}

#[test]
fn daemon_reexec_waits_for_a_starting_service_and_its_client_gets_the_answer() {
    let dir = tempfile::tempdir().unwrap();
    let mut daemon = Daemon::new(
        dir.path(),
        &[(
            "slow.service",
            "[Service]\nType=oneshot\nExecStart=/bin/sleep 1\nExecStart=/bin/echo done\n",
        )],
    );
    daemon.start();
    let mut start = command(&daemon, &["start", "slow"]).spawn().unwrap();
    assert!(wait_for(Duration::from_secs(10), || {
        property(&daemon, "slow.service", "ActiveState") == "activating"
    }));
    let out = sundial(&daemon, &["daemon-reexec"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // The start finished first and its client was told.
    assert!(start.wait().unwrap().success());
    assert_eq!(
        daemon.log_lines("slow.service").last().map(String::as_str),
        Some("Finished slow.service.")
    );
    assert!(daemon.stderr().contains("sundial: re-executed:"));
    assert_eq!(daemon.finished("slow.service").len(), 1);
}
