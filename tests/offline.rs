//! Issue 12, item 6: reading without a daemon. A user daemon runs on its
//! default directories (under a temp HOME) or on the README's layout, runs
//! a service, and stops (or is killed); then `history`, `logs`,
//! `list-timers` and `status` read what it recorded, say that it is not
//! running, and change nothing in its state directory.

use std::fs;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

const SUNDIAL: &str = env!("CARGO_BIN_EXE_sundial");

/// A user's home in a temp dir, with the XDG directories under it.
struct Home {
    dir: tempfile::TempDir,
}

/// What a command printed and how it exited.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Home {
    fn new() -> Home {
        let home = Home {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        fs::create_dir(home.path().join("run")).expect("runtime dir");
        home
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn unit_dir(&self) -> PathBuf {
        self.path().join("config/sundial/user")
    }

    /// The user daemon's state directory by default.
    fn state_dir(&self) -> PathBuf {
        self.path().join("state/sundial")
    }

    fn write_unit(&self, name: &str, text: &str) {
        fs::create_dir_all(self.unit_dir()).expect("unit dir");
        fs::write(self.unit_dir().join(name), text).expect("unit file");
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(SUNDIAL);
        cmd.args(args)
            .current_dir(self.path())
            .env("HOME", self.path())
            .env("XDG_CONFIG_HOME", self.path().join("config"))
            .env("XDG_STATE_HOME", self.path().join("state"))
            .env("XDG_RUNTIME_DIR", self.path().join("run"))
            .env("LANG", "C.UTF-8")
            .env("TZ", "UTC")
            .env_remove("SUNDIAL_SOCKET")
            .env_remove("SUNDIAL_STATE_DIR")
            .env_remove("SUNDIAL_UNIT_PATH");
        cmd
    }

    fn run_with(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = self.command(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run sundial");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `sundial ARGS --user` (the tests may run as root).
    fn user(&self, args: &[&str]) -> Run {
        let mut args = args.to_vec();
        args.push("--user");
        self.run_with(&args, &[])
    }

    /// Starts `sundial ARGS` and waits until `socket` answers.
    fn daemon(&self, args: &[&str], socket: &Path) -> Daemon {
        let log = |name: &str| fs::File::create(self.path().join(name)).expect("log file");
        let child = self
            .command(args)
            .stdin(Stdio::null())
            .stdout(log("daemon.out"))
            .stderr(log("daemon.err"))
            .spawn()
            .expect("spawn the daemon");
        let daemon = Daemon {
            child,
            err: self.path().join("daemon.err"),
        };
        let up = wait_for(Duration::from_secs(20), || {
            UnixStream::connect(socket).is_ok()
        });
        assert!(up, "the daemon did not come up: {}", daemon.stderr());
        daemon
    }

    fn user_daemon(&self) -> Daemon {
        self.daemon(
            &["daemon", "--user"],
            &self.path().join("run/sundial/control.sock"),
        )
    }
}

/// A running daemon: stopped with SIGTERM (waiting for its end) by `stop`
/// or when dropped.
struct Daemon {
    child: Child,
    err: PathBuf,
}

impl Daemon {
    fn stderr(&self) -> String {
        fs::read_to_string(&self.err).unwrap_or_default()
    }

    fn signal(&mut self, signal: Signal) {
        let pid = Pid::from_raw(i32::try_from(self.child.id()).expect("pid fits"));
        let _ = kill(pid, signal);
        let ended = wait_for(Duration::from_secs(20), || {
            matches!(self.child.try_wait(), Ok(Some(_)))
        });
        assert!(ended, "the daemon did not end: {}", self.stderr());
    }

    fn stop(mut self) {
        self.signal(Signal::SIGTERM);
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let pid = Pid::from_raw(i32::try_from(self.child.id()).expect("pid fits"));
            let _ = kill(pid, Signal::SIGTERM);
            if !wait_for(Duration::from_secs(10), || {
                matches!(self.child.try_wait(), Ok(Some(_)))
            }) {
                let _ = self.child.kill();
                let _ = self.child.wait();
            }
        }
    }
}

/// `text` with every run of spaces made one, so that a row is matched
/// whatever the widths of the table's columns.
fn squeeze(text: &str) -> String {
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

fn wait_for(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if f() {
            return true;
        }
        sleep(Duration::from_millis(10));
    }
    f()
}

/// Every file under `dir` with its size and modification time: what a
/// reader must leave as it found it.
fn snapshot(dir: &Path) -> Vec<(PathBuf, u64, SystemTime)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).expect("read dir") {
            let entry = entry.expect("entry");
            let meta = fs::symlink_metadata(entry.path()).expect("metadata");
            if meta.is_dir() {
                stack.push(entry.path());
            }
            files.push((entry.path(), meta.len(), meta.modified().expect("mtime")));
        }
    }
    files.sort();
    files
}

const FAILS_SERVICE: &str = "\
[Unit]
Description=Says hello and fails

[Service]
Type=oneshot
ExecStart=/bin/sh -c 'echo hello from fails; exit 3'
";

const FAILS_TIMER: &str = "\
[Unit]
Description=Starts fails.service on New Year

[Timer]
OnCalendar=*-01-01 00:00
Persistent=true

[Install]
WantedBy=timers.target
";

#[test]
fn history_logs_list_timers_and_status_read_the_database_of_a_stopped_daemon() {
    let home = Home::new();
    home.write_unit("fails.service", FAILS_SERVICE);
    home.write_unit("fails.timer", FAILS_TIMER);
    let daemon = home.user_daemon();
    let enable = home.user(&["enable", "--now", "fails.timer"]);
    assert_eq!(enable.code, 0, "{enable:?}");
    let start = home.user(&["start", "fails.service"]);
    assert_eq!(start.code, 1, "{start:?}");
    daemon.stop();
    let before = snapshot(&home.state_dir());

    let history = home.user(&["history", "fails"]);
    assert_eq!(history.code, 0, "{history:?}");
    let rows: Vec<&str> = history.stdout.lines().collect();
    assert_eq!(rows.len(), 4, "{history:?}");
    assert!(
        squeeze(rows[1]).contains(" fails.service manual exit-code status=3/"),
        "{history:?}"
    );
    // Nothing is missing a daemon to say here: the runs are what they were.
    assert_eq!(history.stderr, "", "{history:?}");

    let logs = home.user(&["logs", "-u", "fails", "-o", "cat"]);
    assert_eq!(logs.code, 0, "{logs:?}");
    assert!(logs.stdout.contains("hello from fails\n"), "{logs:?}");
    let pattern = home.user(&["logs", "-u", "fai*", "-o", "cat"]);
    assert_eq!(pattern.stdout, logs.stdout, "{pattern:?}");
    let follow = home.user(&["logs", "-f", "-u", "fails", "-o", "cat"]);
    assert_eq!(follow.code, 1, "{follow:?}");
    assert!(follow.stdout.contains("hello from fails\n"), "{follow:?}");
    assert!(
        follow
            .stderr
            .contains("cannot follow: the daemon is not running"),
        "{follow:?}"
    );

    let timers = home.user(&["list-timers"]);
    assert_eq!(timers.code, 0, "{timers:?}");
    let row = timers
        .stdout
        .lines()
        .find(|l| l.contains("fails.timer"))
        .unwrap_or_else(|| panic!("no fails.timer row: {timers:?}"));
    let columns: Vec<&str> = row.split_whitespace().collect();
    // NEXT and LEFT are n/a: nothing elapses without the daemon. LAST is
    // the stamp Persistent= made; RESULT how the service's last run ended.
    assert_eq!(&columns[..2], ["n/a", "n/a"], "{timers:?}");
    assert!(
        squeeze(row).ends_with(" exit-code fails.timer fails.service"),
        "{timers:?}"
    );
    assert!(
        timers
            .stderr
            .starts_with("sundial: the daemon is not running (it stopped "),
        "{timers:?}"
    );
    assert!(
        timers
            .stderr
            .contains(&home.state_dir().join("state.db").display().to_string()),
        "{timers:?}"
    );
    assert!(!timers.stdout.contains("Pass --all"), "{timers:?}");

    let status = home.user(&["status", "fails.service", "fails.timer"]);
    assert_eq!(status.code, 3, "{status:?}");
    let unit_file = home.unit_dir().join("fails.service");
    assert!(
        status.stdout.starts_with(&format!(
            "× fails.service - Says hello and fails\n     \
             Loaded: loaded ({})\n     \
             Active: failed (Result: exit-code) since ",
            unit_file.display()
        )),
        "{status:?}"
    );
    assert!(
        status.stdout.contains("TriggeredBy: ● fails.timer\n"),
        "{status:?}"
    );
    assert!(
        status.stdout.contains(" fails.service: hello from fails\n"),
        "{status:?}"
    );
    assert!(
        status.stdout.contains("status=3"),
        "the manager's lines say how it ended: {status:?}"
    );
    assert!(
        status
            .stdout
            .contains("○ fails.timer - Starts fails.service on New Year\n")
            && status.stdout.contains("    Trigger: n/a\n"),
        "{status:?}"
    );
    assert!(
        status
            .stderr
            .starts_with("sundial: the daemon is not running (it stopped "),
        "{status:?}"
    );
    let missing = home.user(&["status", "nope.service"]);
    assert_eq!(missing.code, 4, "{missing:?}");
    assert!(
        missing
            .stderr
            .ends_with("Unit nope.service could not be found.\n"),
        "{missing:?}"
    );
    let all = home.user(&["status"]);
    assert_eq!(all.code, 1, "{all:?}");
    assert!(all.stderr.contains("name the units"), "{all:?}");

    // cat reads the unit files, as it always did.
    let cat = home.user(&["cat", "fails.timer"]);
    assert!(cat.stdout.contains("OnCalendar=*-01-01 00:00"), "{cat:?}");

    // JSON listings work as with the daemon.
    let json = home.user(&["history", "-o", "json"]);
    let runs: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(runs[0]["result"], "exit-code", "{json:?}");

    // Read-only: the state directory is as the daemon left it, and the
    // next daemon starts (no lock was taken).
    assert_eq!(snapshot(&home.state_dir()), before);
    let daemon = home.user_daemon();
    let history = home.user(&["history", "fails"]);
    assert!(history.stdout.contains("exit-code"), "{history:?}");
    daemon.stop();
}

#[test]
fn the_readme_layout_is_found_through_the_socket_or_named_with_state_dir() {
    let home = Home::new();
    let units = home.path().join("units");
    fs::create_dir(&units).expect("units");
    fs::write(units.join("fails.service"), FAILS_SERVICE).expect("unit");
    let socket = home.path().join(".sundial-state/control.sock");
    let daemon = home.daemon(
        &[
            "daemon",
            "--user",
            "--unit-dir",
            "units",
            "--state-dir",
            ".sundial-state",
            "--socket",
            ".sundial-state/control.sock",
        ],
        &socket,
    );
    let sock = socket.display().to_string();
    let start = home.run_with(&["start", "fails"], &[("SUNDIAL_SOCKET", &sock)]);
    assert_eq!(start.code, 1, "{start:?}");
    daemon.stop();

    // $SUNDIAL_SOCKET names the daemon; its state is beside the socket.
    let history = home.run_with(&["history"], &[("SUNDIAL_SOCKET", &sock)]);
    assert_eq!(history.code, 0, "{history:?}");
    assert!(history.stdout.contains(" fails.service "), "{history:?}");
    // status finds the unit in the daemon's own --unit-dir.
    let status = home.run_with(&["status", "fails"], &[("SUNDIAL_SOCKET", &sock)]);
    assert!(
        status.stdout.contains(&format!(
            "Loaded: loaded ({})",
            units.join("fails.service").display()
        )),
        "{status:?}"
    );

    // Elsewhere, the state directory must be named.
    let elsewhere = home.user(&["history", "--socket", "/nonexistent/c.sock"]);
    assert_eq!(elsewhere.code, 1, "{elsewhere:?}");
    assert!(
        elsewhere
            .stderr
            .contains("cannot connect to the daemon at /nonexistent/c.sock")
            && elsewhere.stderr.contains("--state-dir"),
        "{elsewhere:?}"
    );
    let named = home.user(&[
        "history",
        "--socket",
        "/nonexistent/c.sock",
        "--state-dir",
        ".sundial-state",
    ]);
    assert!(named.stdout.contains(" fails.service "), "{named:?}");
    let by_env = home.run_with(
        &["logs", "--user", "-o", "cat"],
        &[("SUNDIAL_STATE_DIR", ".sundial-state")],
    );
    assert!(by_env.stdout.contains("hello from fails"), "{by_env:?}");

    // Neither daemon nor database: the connection error, and that there is
    // nothing to read.
    let empty = Home::new();
    let nothing = empty.user(&["history"]);
    assert_eq!(nothing.code, 1, "{nothing:?}");
    assert!(
        nothing.stderr.contains("Is it running?")
            && nothing.stderr.contains("no state database at"),
        "{nothing:?}"
    );
}

#[test]
fn a_killed_daemon_left_its_runs_cut_off_and_a_live_one_is_named() {
    let home = Home::new();
    let pid_file = home.path().join("sleeper.pid");
    home.write_unit(
        "sleeper.service",
        &format!(
            // `$$$$` is the shell's `$$` once systemd's `$$` escape is read.
            "[Service]\nExecStart=/bin/sh -c 'echo $$$$ > {0}.new; mv {0}.new {0}; exec sleep 60'\n",
            pid_file.display()
        ),
    );
    let mut daemon = home.user_daemon();
    let start = home.user(&["start", "sleeper"]);
    assert_eq!(start.code, 0, "{start:?}");
    assert!(wait_for(Duration::from_secs(10), || pid_file.exists()));

    // A daemon that runs, reached through another socket: its database is
    // read, and the process using it is named.
    let state = home.state_dir().display().to_string();
    let aside = home.user(&[
        "list-timers",
        "--socket",
        "/nonexistent/c.sock",
        "--state-dir",
        &state,
    ]);
    assert_eq!(aside.code, 0, "{aside:?}");
    assert!(
        aside.stderr.contains(&format!(
            "no daemon answers at /nonexistent/c.sock, but process {} uses",
            daemon.child.id()
        )) && aside.stderr.contains("it listens at "),
        "{aside:?}"
    );

    daemon.signal(Signal::SIGKILL);
    let sleeper: i32 = fs::read_to_string(&pid_file)
        .expect("pid")
        .trim()
        .parse()
        .expect("a pid");
    let _ = kill(Pid::from_raw(sleeper), Signal::SIGKILL);

    let history = home.user(&["history", "sleeper"]);
    assert!(
        squeeze(&history.stdout).contains(" - sleeper.service manual cut-off - "),
        "{history:?}"
    );
    let status = home.user(&["status", "sleeper"]);
    assert!(
        status
            .stderr
            .contains("did not stop in order: killed, or crashed"),
        "{status:?}"
    );
}
