//! What a new user does first, in the order of issue 12: a daemon in user
//! mode with its default directories (under a temp HOME), unit files written
//! while it runs, the commands typed as the README shows them. Every command
//! is the real binary; what is checked is what the user sees.

use std::fs;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

const SUNDIAL: &str = env!("CARGO_BIN_EXE_sundial");

/// A user's home in a temp dir: the XDG directories under it, the user
/// daemon's unit directory, socket and state where the defaults put them.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        let home = Home {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        fs::create_dir(home.runtime_dir()).expect("runtime dir");
        home
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `$XDG_CONFIG_HOME/sundial/user`: where the README puts unit files.
    fn unit_dir(&self) -> PathBuf {
        self.path().join("config/sundial/user")
    }

    fn runtime_dir(&self) -> PathBuf {
        self.path().join("run")
    }

    fn write_unit(&self, name: &str, text: &str) -> PathBuf {
        fs::create_dir_all(self.unit_dir()).expect("unit dir");
        let path = self.unit_dir().join(name);
        fs::write(&path, text).expect("unit file");
        path
    }

    /// `sundial ARGS` with this home's environment and no `$SUNDIAL_SOCKET`:
    /// the client finds the daemon where the defaults put it.
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(SUNDIAL);
        cmd.args(args)
            .current_dir(self.path())
            .env("HOME", self.path())
            .env("XDG_CONFIG_HOME", self.path().join("config"))
            .env("XDG_STATE_HOME", self.path().join("state"))
            .env("XDG_RUNTIME_DIR", self.runtime_dir())
            .env("LANG", "C.UTF-8")
            .env("TZ", "UTC")
            .env_remove("SUNDIAL_SOCKET")
            .env_remove("SUNDIAL_UNIT_PATH");
        cmd
    }

    /// Runs `sundial ARGS`.
    fn run(&self, args: &[&str]) -> Run {
        let out = self.command(args).output().expect("run sundial");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `sundial ARGS --user`: the tests may run as root, whose default is
    /// the system daemon.
    fn user(&self, args: &[&str]) -> Run {
        let mut args = args.to_vec();
        args.push("--user");
        self.run(&args)
    }

    /// Starts `sundial ARGS` as the daemon and waits for its socket.
    fn daemon(&self, args: &[&str]) -> Daemon {
        let log = |name: &str| fs::File::create(self.path().join(name)).expect("log file");
        let child = self
            .command(args)
            .stdin(Stdio::null())
            .stdout(log("daemon.out"))
            .stderr(log("daemon.err"))
            .spawn()
            .expect("spawn the daemon");
        let d = Daemon {
            child,
            err: self.path().join("daemon.err"),
        };
        let socket = self.runtime_dir().join("sundial/control.sock");
        let up = wait_for(Duration::from_secs(20), || {
            UnixStream::connect(&socket).is_ok()
        });
        assert!(up, "the daemon did not come up: {}", d.stderr());
        d
    }

    /// `sundial daemon --user`, as the README starts it.
    fn user_daemon(&self) -> Daemon {
        self.daemon(&["daemon", "--user"])
    }
}

/// A running daemon; stopped with SIGTERM when dropped.
struct Daemon {
    child: Child,
    err: PathBuf,
}

impl Daemon {
    fn stderr(&self) -> String {
        fs::read_to_string(&self.err).unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let pid = Pid::from_raw(i32::try_from(self.child.id()).expect("pid fits"));
        let _ = kill(pid, Signal::SIGTERM);
        let stopped = wait_for(Duration::from_secs(10), || {
            matches!(self.child.try_wait(), Ok(Some(_)))
        });
        if !stopped {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// What a command printed and how it exited.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
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

const T1_TIMER: &str = "\
[Unit]
Description=Written after the daemon started

[Timer]
OnActiveSec=1h

[Install]
WantedBy=timers.target
";

const T1_SERVICE: &str = "[Service]\nType=oneshot\nExecStart=/bin/true\n";

const BROKEN_TIMER: &str = "\
[Timer]
OnCalendar=Mnday 10:00

[Install]
WantedBy=timers.target
";

/// Item 1: the file verbs read unit files from disk, loaded or not.
#[test]
fn a_unit_file_written_while_the_daemon_runs_can_be_enabled_at_once() {
    let home = Home::new();
    let _daemon = home.user_daemon();
    let timer = home.write_unit("t1.timer", T1_TIMER);
    home.write_unit("t1.service", T1_SERVICE);

    let is = home.user(&["is-enabled", "t1.timer"]);
    assert_eq!((is.code, is.stdout.as_str()), (1, "disabled\n"), "{is:?}");
    let cat = home.user(&["cat", "t1.timer"]);
    assert_eq!(cat.code, 0, "{cat:?}");
    assert!(cat.stdout.contains("OnActiveSec=1h"), "{cat:?}");
    let verify = home.user(&["verify", "t1.timer", "t1.service"]);
    assert_eq!((verify.code, verify.stderr.as_str()), (0, ""), "{verify:?}");

    let link = home.unit_dir().join("timers.target.wants/t1.timer");
    let enable = home.user(&["enable", "--now", "t1.timer"]);
    assert_eq!(enable.code, 0, "{enable:?}");
    assert_eq!(
        enable.stderr,
        format!(
            "Created symlink {} → {}.\n",
            link.display(),
            timer.display()
        )
    );
    let timers = home.user(&["list-timers"]);
    assert!(timers.stdout.contains(" t1.timer "), "{timers:?}");
    let active = home.user(&["is-active", "t1.timer"]);
    assert_eq!(active.stdout, "active\n", "{active:?}");

    // A broken file is enabled (its [Install] section is fine), and says
    // why it cannot start instead of "not found".
    let broken = home.write_unit("broken.timer", BROKEN_TIMER);
    let enable = home.user(&["enable", "--now", "broken.timer"]);
    assert_eq!(enable.code, 1, "{enable:?}");
    let lines: Vec<&str> = enable.stderr.lines().collect();
    assert_eq!(
        lines,
        [
            format!(
                "Created symlink {} → {}.",
                home.unit_dir()
                    .join("timers.target.wants/broken.timer")
                    .display(),
                broken.display()
            )
            .as_str(),
            format!(
                "{}:2: OnCalendar=: failed to parse calendar specification 'Mnday 10:00': \
                 expected a weekday or a date, found 'Mnday'",
                broken.display()
            )
            .as_str(),
            format!(
                "{}: broken.timer: Timer unit lacks value setting. Refusing.",
                broken.display()
            )
            .as_str(),
            "Failed to start broken.timer: Unit broken.timer has a bad unit file setting.",
            "See \"sundial --user status broken.timer\" and \"sundial --user logs -u \
             broken.timer\" for details.",
        ],
        "{enable:?}"
    );

    // Links made by hand (or a package) to a file the daemon never loaded
    // are removed by disable.
    let t3 = home.write_unit("t3.timer", T1_TIMER);
    let t3_link = home.unit_dir().join("timers.target.wants/t3.timer");
    std::os::unix::fs::symlink(&t3, &t3_link).expect("link");
    let disable = home.user(&["disable", "t3.timer"]);
    assert_eq!(
        (disable.code, disable.stderr.clone()),
        (0, format!("Removed \"{}\".\n", t3_link.display())),
        "{disable:?}"
    );
    let disable = home.user(&["disable", "--now", "t1.timer"]);
    assert_eq!(disable.code, 0, "{disable:?}");
    assert!(fs::symlink_metadata(&link).is_err());
    let active = home.user(&["is-active", "t1.timer"]);
    assert_eq!(active.stdout, "inactive\n", "{active:?}");
}

/// The user's account as the user database has it: (name, shell).
fn account() -> (String, String) {
    let user = nix::unistd::User::from_uid(nix::unistd::getuid())
        .expect("user database")
        .expect("an entry for the test's user");
    (user.name, user.shell.to_string_lossy().into_owned())
}

/// The `KEY=value` lines `env.service` printed in its last run.
fn env_of_last_run(home: &Home) -> Vec<String> {
    let logs = home.user(&["logs", "-u", "env.service", "-o", "cat"]);
    let lines: Vec<&str> = logs.stdout.lines().collect();
    let start = lines
        .iter()
        .rposition(|l| l.starts_with("Starting env.service"))
        .expect("a run");
    lines[start + 1..]
        .iter()
        .take_while(|l| l.contains('=') && !l.starts_with("env.service: "))
        .map(|l| (*l).to_owned())
        .collect()
}

/// Item 2: HOME, USER, LOGNAME, SHELL, XDG_RUNTIME_DIR and LANG, and the
/// manager environment shown and changed.
#[test]
fn services_see_the_users_environment_and_set_environment_changes_it() {
    let home = Home::new();
    home.write_unit(
        "env.service",
        "[Service]\nType=oneshot\nExecStart=/usr/bin/env\n",
    );
    let _daemon = home.user_daemon();
    assert_eq!(home.user(&["start", "env"]).code, 0);
    let env = env_of_last_run(&home);
    let (name, shell) = account();
    let socket = home.runtime_dir().join("sundial/control.sock");
    for expected in [
        format!("HOME={}", home.path().display()),
        format!("USER={name}"),
        format!("LOGNAME={name}"),
        format!("SHELL={shell}"),
        format!("XDG_RUNTIME_DIR={}", home.runtime_dir().display()),
        "LANG=C.UTF-8".to_owned(),
        format!("SUNDIAL_SOCKET={}", socket.display()),
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_owned(),
    ] {
        assert!(env.contains(&expected), "{expected} missing from {env:?}");
    }

    let show = home.user(&["show-environment"]);
    assert_eq!(show.code, 0, "{show:?}");
    assert!(
        show.stdout
            .starts_with(&format!("HOME={}\nLANG=C.UTF-8\n", home.path().display())),
        "{show:?}"
    );
    let set = home.user(&["set-environment", "GREETING=hello world", "MAILTO=ops"]);
    assert_eq!((set.code, set.stderr.as_str()), (0, ""), "{set:?}");
    let show = home.user(&["show-environment"]);
    assert!(
        show.stdout.starts_with("GREETING=$'hello world'\nHOME="),
        "{show:?}"
    );
    assert_eq!(home.user(&["start", "env"]).code, 0);
    let env = env_of_last_run(&home);
    assert!(env.contains(&"GREETING=hello world".to_owned()), "{env:?}");
    assert!(env.contains(&"MAILTO=ops".to_owned()), "{env:?}");

    let unset = home.user(&["unset-environment", "GREETING", "MAILTO=other"]);
    assert_eq!(unset.code, 0, "{unset:?}");
    assert_eq!(home.user(&["start", "env"]).code, 0);
    let env = env_of_last_run(&home);
    assert!(!env.iter().any(|l| l.starts_with("GREETING=")), "{env:?}");
    assert!(env.contains(&"MAILTO=ops".to_owned()), "{env:?}");

    let bad = home.user(&["set-environment", "OK=1", "1BAD=x"]);
    assert_eq!(
        (bad.code, bad.stderr.as_str()),
        (
            1,
            "Failed to set environment: Invalid environment assignments\n"
        )
    );
    assert!(!home.user(&["show-environment"]).stdout.contains("OK=1"));
}

const BACKUP_SERVICE: &str = "\
[Unit]
Description=Back up my documents

[Service]
Type=oneshot
ExecStart=tar -czf %h/documents.tar.gz -C %h Documents
";

const BACKUP_TIMER: &str = "\
[Unit]
Description=Nightly backup

[Timer]
OnCalendar=*-*-* 02:30
Persistent=true

[Install]
WantedBy=timers.target
";

/// Item 3: the daemon says where it looks; verify reads the files given.
#[test]
fn the_daemon_names_its_unit_directories_and_verify_takes_files() {
    let home = Home::new();
    let daemon = home.user_daemon();
    let said = format!(
        "sundial: reading unit files from {} (missing), ",
        home.unit_dir().display()
    );
    assert!(
        wait_for(Duration::from_secs(10), || daemon.stderr().contains(&said)),
        "{}",
        daemon.stderr()
    );
    drop(daemon);

    // Files in some directory, checked from there by their names, as a
    // user (a name found in the user's unit directory) or as root (the
    // system directories do not have them: the files given are read).
    let elsewhere = home.path().join("drafts");
    fs::create_dir(&elsewhere).expect("drafts dir");
    fs::write(elsewhere.join("backup.service"), BACKUP_SERVICE).expect("write");
    fs::write(elsewhere.join("backup.timer"), BACKUP_TIMER).expect("write");
    for scope in ["--user", "--system"] {
        let verify = home
            .command(&["verify", scope, "backup.timer", "backup.service"])
            .current_dir(&elsewhere)
            .output()
            .expect("verify");
        assert!(verify.status.success(), "{scope}: {verify:?}");
        assert!(verify.stderr.is_empty(), "{scope}: {verify:?}");
    }

    home.write_unit("backup.service", BACKUP_SERVICE);
    home.write_unit("backup.timer", BACKUP_TIMER);
    let daemon = home.user_daemon();
    let said = format!(
        "sundial: reading unit files from {} (2 unit files), ",
        home.unit_dir().display()
    );
    assert!(
        wait_for(Duration::from_secs(10), || daemon.stderr().contains(&said)),
        "{}",
        daemon.stderr()
    );
}

/// Item 4: `--user`, `--system` and `--socket` before or after any command.
#[test]
fn scope_flags_go_before_or_after_any_command() {
    let home = Home::new();
    home.write_unit("t1.timer", T1_TIMER);
    home.write_unit("t1.service", T1_SERVICE);
    let _daemon = home.daemon(&["--user", "daemon"]);
    let socket = home.runtime_dir().join("sundial/control.sock");
    let socket = socket.to_str().expect("a UTF-8 path");
    for args in [
        &["--user", "list-timers", "--all"][..],
        &["list-timers", "--all", "--user"],
        &["--socket", socket, "list-timers", "--all"],
        &["--user", "verify", "t1.timer"],
        &["--user", "cat", "t1.timer"],
        &["--user", "simulate", "--for", "2h", "t1.timer"],
        &["--system", "calendar", "daily"],
        &["calendar", "--user", "daily"],
        &["timespan", "1h", "--system"],
        &["--user", "timestamp", "@0"],
        &["--user", "completions", "bash"],
        &["man", "--user"],
    ] {
        let run = home.run(args);
        assert_eq!(run.code, 0, "sundial {args:?}: {run:?}");
    }
    // The last flag before or after the command wins, as in systemctl.
    let status = home.run(&["--system", "is-enabled", "t1.timer", "--user"]);
    assert_eq!(status.stdout, "disabled\n", "{status:?}");
}

const BROKEN_SERVICE: &str = "\
[Unit]
Description=Forgot the command

[Service]
Type=oneshot
Restart=sometimes
";

/// Item 5: why a unit is broken is in its log and its status, and the hint
/// reaches the same daemon.
#[test]
fn a_broken_unit_tells_why_in_its_status_and_logs() {
    let home = Home::new();
    let path = home.write_unit("broken.service", BROKEN_SERVICE);
    let _daemon = home.user_daemon();
    let problems = [
        format!(
            "{}:6: Restart=: invalid value 'sometimes', expected one of: no, always, \
             on-success, on-failure, on-abnormal, on-abort, on-watchdog",
            path.display()
        ),
        format!(
            "{}: Service has no ExecStart=, ExecStop=, or SuccessAction=. Refusing.",
            path.display()
        ),
    ];

    let start = home.run(&["--user", "start", "broken"]);
    assert_eq!(
        (start.code, start.stderr.as_str()),
        (
            1,
            "Failed to start broken.service: Unit broken.service has a bad unit file setting.\n\
             See \"sundial --user status broken.service\" and \"sundial --user logs -u \
             broken.service\" for details.\n"
        )
    );
    let status = home.run(&["--user", "status", "broken.service"]);
    assert_eq!(status.code, 3, "{status:?}");
    assert!(
        status.stdout.starts_with(
            "○ broken.service\n     \
             Loaded: bad-setting (Reason: Unit broken.service has a bad unit file setting.)\n"
        ),
        "{status:?}"
    );
    for problem in &problems {
        assert!(
            status.stdout.contains(&format!(" sundial: {problem}\n")),
            "{problem} missing: {status:?}"
        );
    }
    let logs = home.run(&["--user", "logs", "-u", "broken.service", "-o", "cat"]);
    assert_eq!(
        logs.stdout,
        format!("{}\n", problems.join("\n")),
        "{logs:?}"
    );
}
