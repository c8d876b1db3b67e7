//! The control verbs against a real daemon: `sundial daemon` runs in a temp
//! dir and `sundial <verb>` talks to it through `SUNDIAL_SOCKET`, as a user
//! would. What is checked is what a user sees: text, exit codes, files.

use std::fs;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::Value;

const SUNDIAL: &str = env!("CARGO_BIN_EXE_sundial");

/// A daemon in a temp dir; stopped with SIGTERM when dropped.
struct Daemon {
    child: Child,
    dir: tempfile::TempDir,
}

impl Daemon {
    /// Writes `units` into a fresh unit dir and starts a daemon on it (and on
    /// `more_dirs` after it), waiting until its socket answers.
    fn start(units: &[(&str, &str)], more_dirs: &[&Path]) -> Daemon {
        let dir = tempfile::tempdir().expect("temp dir");
        let unit_dir = dir.path().join("units");
        fs::create_dir(&unit_dir).expect("unit dir");
        for (name, text) in units {
            fs::write(unit_dir.join(name), text).expect("unit file");
        }
        let mut cmd = Command::new(SUNDIAL);
        cmd.arg("daemon").arg("--unit-dir").arg(&unit_dir);
        for d in more_dirs {
            cmd.arg("--unit-dir").arg(d);
        }
        let log = |name: &str| fs::File::create(dir.path().join(name)).expect("log file");
        let child = cmd
            .arg("--state-dir")
            .arg(dir.path().join("state"))
            .arg("--socket")
            .arg(dir.path().join("c.sock"))
            .env("TZ", "UTC")
            .stdin(Stdio::null())
            .stdout(log("daemon.out"))
            .stderr(log("daemon.err"))
            .spawn()
            .expect("spawn sundial daemon");
        let d = Daemon { child, dir };
        let up = wait_for(Duration::from_secs(20), || {
            UnixStream::connect(d.socket()).is_ok()
        });
        assert!(up, "the daemon did not come up: {}", d.stderr());
        d
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("c.sock")
    }

    fn units(&self) -> PathBuf {
        self.dir.path().join("units")
    }

    fn stderr(&self) -> String {
        fs::read_to_string(self.dir.path().join("daemon.err")).unwrap_or_default()
    }

    /// Runs `sundial ARGS` against this daemon.
    fn run(&self, args: &[&str]) -> Run {
        run_sundial(args, Some(&self.socket()))
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

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.stdout))
    }
}

fn run_sundial(args: &[&str], socket: Option<&Path>) -> Run {
    let mut cmd = Command::new(SUNDIAL);
    cmd.args(args).env("TZ", "UTC").env_remove("SUNDIAL_SOCKET");
    if let Some(socket) = socket {
        cmd.env("SUNDIAL_SOCKET", socket);
    }
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("run sundial");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// Polls `f` every few milliseconds until it holds or `limit` passes.
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

const HELLO: &str = "\
[Unit]
Description=Say hello

[Service]
Type=oneshot
ExecStart=/bin/sh -c 'for i in 1 2 3 4 5; do echo line-$i; done'
";

const STAY: &str = "\
[Unit]
Description=Stays active

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/true
";

const FAIL: &str = "\
[Unit]
Description=Always fails

[Service]
Type=oneshot
ExecStart=/bin/sh -c 'echo giving up >&2; exit 3'
";

const TICK_TIMER: &str = "\
[Unit]
Description=Tick every hour

[Timer]
OnActiveSec=1h

[Install]
WantedBy=timers.target
";

const TICK_SERVICE: &str = "\
[Unit]
Description=Tick

[Service]
Type=oneshot
ExecStart=/bin/true
";

fn daemon() -> Daemon {
    Daemon::start(
        &[
            ("hello.service", HELLO),
            ("stay.service", STAY),
            ("fail.service", FAIL),
            ("tick.timer", TICK_TIMER),
            ("tick.service", TICK_SERVICE),
        ],
        &[],
    )
}

#[test]
fn list_timers_shows_the_example_timers_with_next() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/units");
    let d = Daemon::start(&[], &[&examples]);
    let out = d.run(&["list-timers"]);
    assert_eq!(out.code, 0, "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        [
            "NEXT",
            "LEFT",
            "LAST",
            "PASSED",
            "RESULT",
            "UNIT",
            "ACTIVATES"
        ],
        "{out:?}"
    );
    for timer in [
        "backup.timer",
        "cleanup.timer",
        "healthcheck.timer",
        "report.timer",
    ] {
        let row = lines
            .iter()
            .find(|l| l.contains(timer))
            .unwrap_or_else(|| panic!("{timer} missing: {}", out.stdout));
        // NEXT is a weekday and a date, LEFT counts down.
        assert!(!row.starts_with("n/a"), "{row}");
        assert!(row.contains(" UTC ") && row.contains(" left "), "{row}");
    }
    let listed = lines.len() - 4; // header, blank line, footer, hint
    assert_eq!(lines[lines.len() - 2], format!("{listed} timers listed."));
    assert_eq!(
        lines[lines.len() - 1],
        "Pass --all to see loaded but inactive timers, too."
    );

    let json = d.run(&["list-timers", "--output", "json"]).json();
    let rows = json.as_array().expect("an array");
    assert_eq!(rows.len(), listed);
    let backup = rows
        .iter()
        .find(|r| r["unit"] == "backup.timer")
        .expect("backup.timer row");
    assert!(backup["next"].as_i64().is_some(), "{backup}");
    assert_eq!(backup["activates"][0], "backup.service");
}

#[test]
fn a_started_oneshot_shows_in_history_and_logs() {
    let d = daemon();
    let start = d.run(&["start", "hello"]);
    assert_eq!(start.code, 0, "{start:?}");

    let history = d.run(&["history", "hello"]);
    assert_eq!(history.code, 0, "{history:?}");
    let row = history
        .stdout
        .lines()
        .find(|l| l.contains("hello.service"))
        .unwrap_or_else(|| panic!("no run: {history:?}"));
    for word in [" manual ", " success ", " status=0/SUCCESS "] {
        assert!(row.contains(word), "{word:?} missing in {row:?}");
    }
    assert!(
        history.stdout.ends_with("\n1 runs listed.\n"),
        "{history:?}"
    );

    // The status block lists the command that ran and how it ended.
    let status = d.run(&["status", "hello"]);
    let pid = runs_pid(&status.stdout);
    assert!(
        status.stdout.contains(&format!(
            "    Process: {pid} ExecStart=/bin/sh -c for i in 1 2 3 4 5; do echo line-$i; done (code=exited, status=0/SUCCESS)\n   \
             Main PID: {pid} (code=exited, status=0/SUCCESS)\n"
        )),
        "{status:?}"
    );
    let show = d.run(&["show", "-p", "ExecMainPID", "hello"]);
    assert_eq!(show.stdout, format!("ExecMainPID={pid}\n"));

    let runs = d.run(&["history", "-o", "json", "hello.service"]).json();
    assert_eq!(runs[0]["unit"], "hello.service");
    assert_eq!(runs[0]["trigger"], "manual");
    assert_eq!(runs[0]["result"], "success");
    let invocation = runs[0]["invocation"].as_str().expect("an id").to_owned();

    // The service's lines, and sundial's own about the run, as journalctl
    // shows systemd's (the manager's may come before the last output lines:
    // both are read as they come).
    let logs = d.run(&["logs", "-u", "hello"]);
    assert_eq!(logs.code, 0, "{logs:?}");
    let lines: Vec<&str> = logs.stdout.lines().collect();
    let output: Vec<&str> = lines
        .iter()
        .filter(|l| !l.contains(" sundial: "))
        .filter_map(|l| l.split_once(" hello.service: ").map(|(_, text)| text))
        .collect();
    assert_eq!(
        output,
        ["line-1", "line-2", "line-3", "line-4", "line-5"],
        "{logs:?}"
    );
    for said in [
        " sundial: Starting hello.service",
        " sundial: hello.service: Deactivated successfully.",
        " sundial: Finished hello.service",
    ] {
        assert!(
            lines.iter().any(|l| l.contains(said)),
            "{said:?} in {logs:?}"
        );
    }
    assert_eq!(lines.len(), 8, "{logs:?}");

    // -n N: the last N lines; -o cat: the text only.
    let all = d.run(&["logs", "-u", "hello.service", "-o", "cat"]);
    let tail = d.run(&["logs", "-u", "hello.service", "-n", "2", "-o", "cat"]);
    let last_two: Vec<&str> = all.stdout.lines().skip(6).collect();
    assert_eq!(
        tail.stdout.lines().collect::<Vec<_>>(),
        last_two,
        "{tail:?}"
    );

    // The run's lines by its invocation id, as JSON objects, one per line.
    let by_run = d.run(&["logs", "--invocation", &invocation, "-o", "json"]);
    let entries: Vec<Value> = by_run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let printed: Vec<&Value> = entries
        .iter()
        .filter(|e| e["SUNDIAL_STREAM"] == "stdout")
        .collect();
    assert_eq!(printed.len(), 5, "{by_run:?}");
    assert_eq!(printed[4]["MESSAGE"], "line-5");
    assert_eq!(printed[4]["_SYSTEMD_UNIT"], "hello.service");
    assert_eq!(printed[4]["_SYSTEMD_INVOCATION_ID"], invocation.as_str());
    assert!(
        entries
            .iter()
            .any(|e| e["SUNDIAL_STREAM"] == "manager" && e["_TRANSPORT"] == "journal"),
        "{by_run:?}"
    );

    // A time window before the run holds nothing.
    let none = d.run(&["logs", "-u", "hello", "--until", "-1h"]);
    assert_eq!(none.stdout, "-- No entries --\n", "{none:?}");
}

#[test]
fn is_active_is_failed_and_status_exit_codes() {
    let d = daemon();
    let inactive = d.run(&["is-active", "stay"]);
    assert_eq!((inactive.code, inactive.stdout.as_str()), (3, "inactive\n"));
    assert_eq!(d.run(&["start", "stay.service"]).code, 0);
    let active = d.run(&["is-active", "stay.service"]);
    assert_eq!((active.code, active.stdout.as_str()), (0, "active\n"));
    assert_eq!(d.run(&["is-active", "--quiet", "stay"]).stdout, "");
    let missing = d.run(&["is-active", "no-such"]);
    assert_eq!(missing.code, 4, "{missing:?}");

    let status = d.run(&["status", "stay"]);
    assert_eq!(status.code, 0, "{status:?}");
    assert!(
        status.stdout.starts_with("● stay.service - Stays active\n"),
        "{status:?}"
    );
    assert!(
        status
            .stdout
            .contains("\n     Active: active (exited) since "),
        "{status:?}"
    );

    // A failing start: exit 1, the unit is failed until reset-failed.
    let start = d.run(&["start", "fail"]);
    assert_eq!(start.code, 1, "{start:?}");
    assert!(start.stderr.contains("fail.service"), "{start:?}");
    let failed = d.run(&["is-failed", "fail"]);
    assert_eq!((failed.code, failed.stdout.as_str()), (0, "failed\n"));
    let status = d.run(&["status", "fail"]);
    assert_eq!(status.code, 3, "{status:?}");
    assert!(status.stdout.starts_with("× fail.service"), "{status:?}");
    assert!(
        status.stdout.contains("failed (Result: exit-code)"),
        "{status:?}"
    );
    assert!(
        status.stdout.contains("fail.service: giving up"),
        "{status:?}"
    );
    assert_eq!(d.run(&["reset-failed", "fail"]).code, 0);
    let not_failed = d.run(&["is-failed", "fail"]);
    assert_eq!(not_failed.code, 1, "{not_failed:?}");

    let unknown = d.run(&["status", "no-such.service"]);
    assert_eq!(unknown.code, 4, "{unknown:?}");
    let unknown_start = d.run(&["start", "no-such"]);
    assert_eq!(unknown_start.code, 5, "{unknown_start:?}");
    assert!(
        unknown_start
            .stderr
            .starts_with("Failed to start no-such.service: "),
        "{unknown_start:?}"
    );
}

#[test]
fn enable_and_disable_make_and_remove_the_wants_link() {
    let d = daemon();
    let link = d.units().join("timers.target.wants/tick.timer");
    let enabled = d.run(&["enable", "tick.timer"]);
    assert_eq!(enabled.code, 0, "{enabled:?}");
    assert_eq!(
        enabled.stderr,
        format!(
            "Created symlink {} → {}.\n",
            link.display(),
            d.units().join("tick.timer").display()
        )
    );
    assert!(fs::symlink_metadata(&link).is_ok(), "no link at {link:?}");
    let is = d.run(&["is-enabled", "tick.timer"]);
    assert_eq!((is.code, is.stdout.as_str()), (0, "enabled\n"));

    let disabled = d.run(&["disable", "tick.timer"]);
    assert_eq!(disabled.code, 0, "{disabled:?}");
    assert_eq!(
        disabled.stderr,
        format!("Removed \"{}\".\n", link.display())
    );
    assert!(
        fs::symlink_metadata(&link).is_err(),
        "link left at {link:?}"
    );
    let is = d.run(&["is-enabled", "tick.timer"]);
    assert_eq!((is.code, is.stdout.as_str()), (1, "disabled\n"));

    // --now starts the timer too; list-timers then lists it.
    assert_eq!(d.run(&["enable", "--now", "tick.timer"]).code, 0);
    let timers = d.run(&["list-timers", "-o", "json"]).json();
    assert!(
        timers
            .as_array()
            .expect("an array")
            .iter()
            .any(|t| t["unit"] == "tick.timer" && t["next"].is_i64()),
        "{timers}"
    );
}

#[test]
fn listings_print_json_that_parses() {
    let d = daemon();
    assert_eq!(d.run(&["start", "tick.timer", "stay"]).code, 0);
    let units = d.run(&["list-units", "--all", "-o", "json"]).json();
    let tick = units
        .as_array()
        .expect("an array")
        .iter()
        .find(|u| u["unit"] == "tick.timer")
        .cloned()
        .expect("tick.timer listed");
    assert_eq!(tick["active"], "active");
    assert_eq!(tick["sub"], "waiting");

    let status = d.run(&["status", "-o", "json", "tick.timer"]).json();
    assert_eq!(status[0]["unit"], "tick.timer");
    assert!(status[0]["next_elapse_usec"].is_i64(), "{status}");

    let show = d.run(&["show", "-p", "ActiveState,SubState", "-o", "json", "stay"]);
    assert_eq!(
        show.json(),
        serde_json::json!([{"ActiveState": "active", "SubState": "exited"}])
    );
    let show = d.run(&["show", "-p", "ActiveState", "-p", "Id", "stay"]);
    assert_eq!(
        show.stdout, "Id=stay.service\nActiveState=active\n",
        "{show:?}"
    );

    let deps = d
        .run(&["list-dependencies", "-o", "json", "tick.timer"])
        .json();
    assert_eq!(deps["unit"], "tick.timer");

    let history = d.run(&["history", "--output", "json-pretty"]).json();
    assert!(history.is_array(), "{history}");
}

#[test]
fn list_timers_text_of_a_started_timer() {
    let d = daemon();
    assert_eq!(d.run(&["start", "tick.timer"]).code, 0);
    let out = d.run(&["list-timers", "tick*"]);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{out:?}");
    let header = lines[0];
    let row = lines[1];
    // Each value starts under its column's name.
    let under = |column: &str| &row[header.find(column).expect("column")..];
    assert!(under("LEFT").starts_with("59min left "), "{out:?}");
    assert!(under("LAST").starts_with("n/a "), "{out:?}");
    assert!(under("UNIT").starts_with("tick.timer "), "{out:?}");
    assert_eq!(under("ACTIVATES"), "tick.service", "{out:?}");
    assert_eq!(lines[3], "1 timers listed.");
}

#[test]
fn a_missing_daemon_is_reported_with_its_socket() {
    let dir = tempfile::tempdir().expect("temp dir");
    let socket = dir.path().join("nobody.sock");
    let out = run_sundial(&["list-timers"], Some(&socket));
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "sundial: cannot connect to the daemon at {0}: No such file or directory. \
             Is it running? Start it with `sundial daemon --socket {0}`. Without it, pass \
             --state-dir DIR (its --state-dir) or set $SUNDIAL_STATE_DIR to read what it \
             recorded: no state.db beside {0}.\n",
            socket.display()
        )
    );
    // Flags before the command name work as after it, as with systemctl.
    let before = run_sundial(&["--socket", "/nonexistent/y.sock", "status", "a"], None);
    assert_eq!(before.code, 1, "{before:?}");
    assert!(before.stderr.contains("/nonexistent/y.sock"), "{before:?}");
    // --socket wins over the environment.
    let out = run_sundial(
        &["is-active", "--socket", "/nonexistent/x.sock", "a"],
        Some(&socket),
    );
    assert!(out.stderr.contains("/nonexistent/x.sock"), "{out:?}");
}

#[test]
fn logs_follow_prints_lines_as_they_are_written() {
    use std::io::{BufRead, BufReader};
    use std::sync::mpsc;

    let d = daemon();
    let mut follower = Command::new(SUNDIAL)
        .args(["logs", "-f", "-u", "hello", "-o", "cat"])
        .env("SUNDIAL_SOCKET", d.socket())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn sundial logs -f");
    let stdout = follower.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // Whether the follower is connected before the run or not, the last ten
    // lines it starts with and those that follow hold all five, once each.
    assert_eq!(d.run(&["start", "hello"]).code, 0);
    let mut seen: Vec<String> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while seen.iter().filter(|l| l.starts_with("line-")).count() < 5 && Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(50)) {
            seen.push(line);
        }
    }
    let _ = follower.kill();
    let _ = follower.wait();
    // sundial's own lines about the run come in between.
    seen.retain(|l| l.starts_with("line-"));
    assert_eq!(seen, ["line-1", "line-2", "line-3", "line-4", "line-5"]);
}

/// The pid of the first `Process:` line of a status block.
fn runs_pid(status: &str) -> u32 {
    status
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("Process: "))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|pid| pid.parse().ok())
        .unwrap_or_else(|| panic!("no Process: line in {status}"))
}

const SLEEPER: &str = "\
[Service]
ExecStart=/bin/sleep 60
";

#[test]
fn kill_signals_every_unit_that_exists_and_reports_the_first_that_does_not() {
    let d = Daemon::start(&[("sleeper.service", SLEEPER)], &[]);
    assert_eq!(d.run(&["start", "sleeper"]).code, 0);
    assert_eq!(d.run(&["is-active", "sleeper"]).code, 0);
    let kill = d.run(&["kill", "nope", "sleeper", "other"]);
    assert_eq!(
        (kill.code, kill.stderr.as_str()),
        (
            1,
            "Failed to kill unit nope.service: Unit nope.service not loaded.\n"
        )
    );
    // SIGTERM is a clean end for a service's main process.
    let stopped = wait_for(Duration::from_secs(10), || {
        d.run(&["is-active", "sleeper"]).stdout == "inactive\n"
    });
    assert!(stopped, "{:?}", d.run(&["status", "sleeper"]));
}

const SYNC_TEMPLATE: &str = "\
[Unit]
Description=Sync %i

[Service]
Type=oneshot
ExecStart=/bin/echo %i

[Install]
WantedBy=timers.target
DefaultInstance=home
";

const BAD_TIMER: &str = "\
[Timer]
OnCalendar=Mnday 10:00
";

#[test]
fn unknown_units_templates_and_broken_units_answer_as_systemctl() {
    let d = Daemon::start(
        &[
            ("stay.service", STAY),
            ("sync@.service", SYNC_TEMPLATE),
            ("bad.timer", BAD_TIMER),
        ],
        &[],
    );
    // status goes on after a unit that does not exist, and exits 4.
    assert_eq!(d.run(&["start", "stay"]).code, 0);
    let status = d.run(&["status", "nope", "stay"]);
    assert_eq!(status.code, 4, "{status:?}");
    assert!(
        status.stdout.starts_with("● stay.service - Stays active\n"),
        "{status:?}"
    );
    assert_eq!(status.stderr, "Unit nope.service could not be found.\n");
    // kill and reset-failed fail plainly, naming it.
    let kill = d.run(&["kill", "nope"]);
    assert_eq!(
        (kill.code, kill.stderr.as_str()),
        (
            1,
            "Failed to kill unit nope.service: Unit nope.service not loaded.\n"
        )
    );
    // history tells a typo from a unit that has not run yet.
    let history = d.run(&["history", "nope"]);
    assert_eq!(
        (history.code, history.stderr.as_str()),
        (4, "sundial: Unit nope.service not found.\n")
    );
    let history = d.run(&["history", "sync@never"]);
    assert_eq!(
        (history.code, history.stdout.ends_with("\n0 runs listed.\n")),
        (0, true),
        "{history:?}"
    );
    let reset = d.run(&["reset-failed", "nope", "stay"]);
    assert_eq!(
        (reset.code, reset.stderr.as_str()),
        (
            1,
            "Failed to reset failed state of unit nope.service: Unit nope.service not loaded.\n"
        )
    );
    // list-dependencies shows it alone, like default.target, which no
    // file defines here.
    let deps = d.run(&["list-dependencies", "nope"]);
    assert_eq!((deps.code, deps.stdout.as_str()), (0, "nope.service\n"));
    let deps = d.run(&["list-dependencies"]);
    assert_eq!((deps.code, deps.stdout.as_str()), (0, "default.target\n"));
    let bad_type = d.run(&["list-units", "--type=serivce"]);
    assert_eq!(bad_type.code, 1, "{bad_type:?}");
    assert!(
        bad_type
            .stderr
            .starts_with("sundial: unknown unit type 'serivce' in --type"),
        "{bad_type:?}"
    );
    // show describes it instead of failing.
    let show = d.run(&["show", "-p", "LoadState,ActiveState", "nope"]);
    assert_eq!(
        (show.code, show.stdout.as_str()),
        (0, "LoadState=not-found\nActiveState=inactive\n"),
        "{show:?}"
    );
    // An instance exists as soon as its template does.
    let instance = d.run(&["is-active", "sync@docs"]);
    assert_eq!((instance.code, instance.stdout.as_str()), (3, "inactive\n"));
    // Patterns select units, in logs as in status.
    assert_eq!(d.run(&["start", "sync@docs", "sync@music"]).code, 0);
    let logs = d.run(&["logs", "-u", "sync@*", "-o", "cat"]);
    let printed: Vec<&str> = logs.stdout.lines().collect();
    assert!(
        logs.code == 0 && printed.contains(&"docs") && printed.contains(&"music"),
        "{logs:?}"
    );
    let none = d.run(&["logs", "-u", "nothing*", "-o", "cat"]);
    assert_eq!((none.code, none.stdout.as_str()), (0, ""), "{none:?}");
    let status = d.run(&["status", "sync@music"]);
    assert_eq!(status.code, 3, "{status:?}");
    assert!(
        status
            .stdout
            .starts_with("○ sync@music.service - Sync music\n"),
        "{status:?}"
    );
    // A template is no unit to start, and its enablement is its instances'.
    let start = d.run(&["start", "sync@.service"]);
    assert_eq!(start.code, 1, "{start:?}");
    assert!(
        start.stderr.starts_with(
            "Failed to start sync@.service: Unit name sync@.service is missing the instance name.\n"
        ),
        "{start:?}"
    );
    let is = d.run(&["is-enabled", "sync@.service"]);
    assert_eq!((is.code, is.stdout.as_str()), (1, "disabled\n"), "{is:?}");
    let enable = d.run(&["enable", "sync@.service"]);
    assert_eq!(enable.code, 0, "{enable:?}");
    // It says what it linked, and nothing about the broken bad.timer.
    assert!(
        enable.stderr.starts_with("Created symlink ") && enable.stderr.lines().count() == 1,
        "{enable:?}"
    );
    let is = d.run(&["is-enabled", "sync@.service"]);
    assert_eq!((is.code, is.stdout.as_str()), (0, "enabled\n"), "{is:?}");
    // Enabled already, by a relative link as a package would make it:
    // nothing to do, nothing to say.
    let link = d.units().join("timers.target.wants/sync@home.service");
    fs::remove_file(&link).expect("remove the link");
    std::os::unix::fs::symlink("../sync@.service", &link).expect("relative link");
    let again = d.run(&["enable", "sync@.service"]);
    assert_eq!((again.code, again.stderr.as_str()), (0, ""), "{again:?}");
    assert_eq!(
        fs::read_link(&link).expect("still a link"),
        Path::new("../sync@.service")
    );
    // Disabling the template removes the links of its instances.
    let disable = d.run(&["disable", "sync@.service"]);
    assert_eq!(
        (disable.code, disable.stderr.clone()),
        (0, format!("Removed \"{}\".\n", link.display())),
        "{disable:?}"
    );
    let is = d.run(&["is-enabled", "sync@.service"]);
    assert_eq!((is.code, is.stdout.as_str()), (1, "disabled\n"), "{is:?}");
    // A unit whose file is broken is not started.
    let start = d.run(&["start", "bad.timer"]);
    assert_eq!(start.code, 1, "{start:?}");
    assert!(
        start.stderr.starts_with(
            "Failed to start bad.timer: Unit bad.timer has a bad unit file setting.\n"
        ),
        "{start:?}"
    );
    // A masked one neither, and there are no logs to look at.
    let mask = d.run(&["mask", "--quiet", "masked.service"]);
    assert_eq!((mask.code, mask.stderr.as_str()), (0, ""));
    // Inactive, it is listed only with --all, as the broken timer.
    let listed = d.run(&["list-units", "--no-legend"]);
    assert!(
        !listed.stdout.contains("masked.service") && !listed.stdout.contains("bad.timer"),
        "{listed:?}"
    );
    let listed = d.run(&["list-units", "--all", "--no-legend"]);
    assert!(
        listed.stdout.contains("masked.service") && listed.stdout.contains("bad.timer"),
        "{listed:?}"
    );
    let start = d.run(&["start", "masked"]);
    assert_eq!(
        (start.code, start.stderr.as_str()),
        (
            1,
            "Failed to start masked.service: Unit masked.service is masked.\n"
        )
    );
}

#[test]
fn a_second_daemon_on_the_same_state_stops_before_touching_it() {
    let d = Daemon::start(
        &[(
            "long.service",
            "[Service]\nExecStart=/bin/sh -c 'exec sleep 60'\n",
        )],
        &[],
    );
    assert_eq!(d.run(&["start", "long"]).code, 0);
    let state = d.dir.path().join("state");
    // Another socket, so that only the state database is shared.
    let mut child = Command::new(SUNDIAL)
        .arg("daemon")
        .arg("--unit-dir")
        .arg(d.units())
        .arg("--state-dir")
        .arg(&state)
        .arg("--socket")
        .arg(d.dir.path().join("second.sock"))
        .env("TZ", "UTC")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn a second daemon");
    let exited = wait_for(Duration::from_secs(20), || {
        matches!(child.try_wait(), Ok(Some(_)))
    });
    if !exited {
        let _ = child.kill();
    }
    let second = child
        .wait_with_output()
        .expect("the second daemon's output");
    assert!(exited, "a second daemon ran on the same state: {second:?}");
    assert_eq!(second.status.code(), Some(1), "{second:?}");
    assert_eq!(
        String::from_utf8_lossy(&second.stderr),
        format!(
            "sundial: {}: another sundial daemon uses this state database; stop it first, or \
             give this one its own --state-dir\n",
            state.join("state.db").display()
        )
    );
    // The first daemon's run is still in flight, not closed as abandoned.
    let history = d.run(&["history", "long", "-o", "json"]).json();
    assert!(
        history[0]["result"].is_null() && history[0]["end_usec"].is_null(),
        "{history}"
    );
}

#[test]
fn a_unit_dir_that_does_not_exist_is_reported() {
    let missing = Path::new("/nonexistent/sundial-units");
    let d = Daemon::start(&[("stay.service", STAY)], &[missing]);
    // The socket answers before the units are loaded: wait for the report.
    let reported = wait_for(Duration::from_secs(10), || {
        d.stderr()
            .contains("sundial: --unit-dir /nonexistent/sundial-units: no such directory\n")
    });
    assert!(reported, "{}", d.stderr());
    // The directories that exist are read all the same.
    assert_eq!(d.run(&["start", "stay"]).code, 0);
}

#[test]
fn a_unit_stopped_by_its_start_limit_shows_that_result() {
    let d = Daemon::start(
        &[(
            "crash.service",
            "[Unit]\nStartLimitBurst=2\nStartLimitIntervalSec=60\n\n\
             [Service]\nExecStart=/bin/false\nRestart=on-failure\nRestartSec=10ms\n",
        )],
        &[],
    );
    assert_eq!(d.run(&["start", "crash"]).code, 0);
    let failed = wait_for(Duration::from_secs(10), || {
        d.run(&["is-failed", "--quiet", "crash"]).code == 0
    });
    assert!(failed, "{:?}", d.run(&["status", "crash"]));
    let status = d.run(&["status", "crash"]);
    assert!(
        status
            .stdout
            .contains("Active: failed (Result: start-limit-hit) since "),
        "{status:?}"
    );
}
