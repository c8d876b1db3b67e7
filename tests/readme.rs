//! Issue 12, item 9: what the README says is so. Its command table's
//! examples that need no daemon run as written from the repository root;
//! the bundled examples load without a warning; the quick start's cadence
//! and the user socket without `XDG_RUNTIME_DIR` are where the README puts
//! them.

use std::fs;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

const SUNDIAL: &str = env!("CARGO_BIN_EXE_sundial");

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn readme() -> String {
    fs::read_to_string(repo().join("README.md")).expect("README.md")
}

/// The README's text with its line breaks made spaces, for phrases that a
/// paragraph may wrap.
fn readme_flowing() -> String {
    readme().split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `sundial ...` run by the shell in `dir` with a HOME of its own and no
/// sundial variables, as a user new to it would.
fn shell(command: &str, dir: &Path, home: &Path) -> Output {
    let script = command.replacen("sundial", SUNDIAL, 1);
    Command::new("/bin/sh")
        .arg("-c")
        .arg(&script)
        .current_dir(dir)
        .env("HOME", home)
        .env("TZ", "UTC")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_STATE_HOME")
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("SUNDIAL_SOCKET")
        .env_remove("SUNDIAL_STATE_DIR")
        .env_remove("SUNDIAL_UNIT_PATH")
        .output()
        .expect("run sh")
}

/// The examples of the README's command table for `command`: the
/// backquoted `sundial ...` of its row.
fn table_examples(command: &str) -> Vec<String> {
    let row_start = format!("| `{command}` |");
    let text = readme();
    let row = text
        .lines()
        .find(|l| l.starts_with(&row_start))
        .unwrap_or_else(|| panic!("no row for {command}"));
    row.split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| s.starts_with("sundial "))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_command_table_examples_that_need_no_daemon_run_as_written() {
    let home = tempfile::tempdir().expect("temp dir");
    for command in ["simulate", "verify", "calendar", "timespan", "timestamp"] {
        let examples = table_examples(command);
        assert!(!examples.is_empty(), "no example for {command}");
        for example in examples {
            let out = shell(&example, repo(), home.path());
            assert!(
                out.status.success(),
                "`{example}` failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            // verify says nothing of a good unit, as systemd-analyze.
            assert!(
                command == "verify" || !out.stdout.is_empty(),
                "`{example}` printed nothing"
            );
        }
    }
}

#[test]
fn the_quick_start_timer_comes_every_ten_to_eleven_seconds_as_the_readme_says() {
    let text = readme_flowing();
    let command = "sundial simulate --unit-dir examples/units --for 1min timer_script.timer";
    assert!(
        text.contains(&format!("`{command}`")),
        "README names {command}"
    );
    assert!(
        text.contains("then every ten to eleven seconds"),
        "README says ten to eleven"
    );
    let home = tempfile::tempdir().expect("temp dir");
    let out = shell(
        &format!("{command} --from '2026-03-28 12:00:00' -o json"),
        repo(),
        home.path(),
    );
    assert!(out.status.success(), "{out:?}");
    let starts: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let times: Vec<i64> = starts
        .as_array()
        .expect("an array")
        .iter()
        .map(|s| s["start_usec"].as_i64().expect("start_usec"))
        .collect();
    assert!(times.len() >= 4, "{starts}");
    for pair in times.windows(2) {
        let gap = pair[1] - pair[0];
        assert!((10_000_000..=11_000_000).contains(&gap), "{gap}: {starts}");
    }
}

/// The README's quick-start daemon in a temp dir; stopped when dropped.
struct QuickStart {
    child: Child,
    dir: tempfile::TempDir,
}

impl QuickStart {
    fn start() -> QuickStart {
        let dir = tempfile::tempdir().expect("temp dir");
        let child = Command::new(SUNDIAL)
            .current_dir(dir.path())
            .args(["daemon", "--unit-dir"])
            .arg(repo().join("examples/units"))
            .args([
                "--state-dir",
                ".sundial-state",
                "--socket",
                ".sundial-state/control.sock",
                "--log-stdout",
            ])
            .env("HOME", dir.path())
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .env_remove("SUNDIAL_UNIT_PATH")
            .env_remove("SUNDIAL_STATE_DIR")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(dir.path().join("err")).expect("err file"))
            .spawn()
            .expect("sundial starts");
        let quick = QuickStart { child, dir };
        let until = Instant::now() + Duration::from_secs(20);
        while UnixStream::connect(quick.socket()).is_err() {
            assert!(Instant::now() < until, "the daemon did not listen");
            std::thread::sleep(Duration::from_millis(5));
        }
        quick
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join(".sundial-state/control.sock")
    }

    fn stderr(&self) -> String {
        fs::read_to_string(self.dir.path().join("err")).unwrap_or_default()
    }
}

impl Drop for QuickStart {
    fn drop(&mut self) {
        let pid = Pid::from_raw(i32::try_from(self.child.id()).expect("pid fits"));
        let _ = kill(pid, Signal::SIGTERM);
        let _ = self.child.wait();
    }
}

#[test]
fn the_bundled_examples_load_without_a_warning() {
    let quick = QuickStart::start();
    let until = Instant::now() + Duration::from_secs(20);
    while !quick.stderr().contains("sundial: started: ") {
        assert!(Instant::now() < until, "no start line: {}", quick.stderr());
        std::thread::sleep(Duration::from_millis(5));
    }
    let err = quick.stderr();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert!(
        lines[0].starts_with("sundial: reading unit files from "),
        "{err}"
    );
    assert!(lines[1].contains(" processes "), "{err}");
    assert!(lines[2].starts_with("sundial: started: "), "{err}");
    // docker.service's Delegate= is read, as systemd reads it.
    let show = Command::new(SUNDIAL)
        .args(["show", "-p", "Delegate", "docker.service", "--socket"])
        .arg(quick.socket())
        .output()
        .expect("show");
    assert_eq!(String::from_utf8_lossy(&show.stdout), "Delegate=yes\n");
}

#[test]
fn without_xdg_runtime_dir_the_user_socket_is_where_the_readme_says() {
    let text = readme_flowing();
    assert!(
        text.contains("without `XDG_RUNTIME_DIR`, `control.sock` in the state directory"),
        "README says where the socket goes"
    );
    let home = tempfile::tempdir().expect("temp dir");
    let socket = home.path().join(".local/state/sundial/control.sock");
    let mut daemon = Command::new(SUNDIAL)
        .args(["daemon", "--user"])
        .current_dir(home.path())
        .env("HOME", home.path())
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_STATE_HOME")
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("SUNDIAL_STATE_DIR")
        .env_remove("SUNDIAL_UNIT_PATH")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sundial starts");
    let until = Instant::now() + Duration::from_secs(20);
    while UnixStream::connect(&socket).is_err() {
        assert!(Instant::now() < until, "no socket at {}", socket.display());
        std::thread::sleep(Duration::from_millis(5));
    }
    // A client in the same environment finds it there.
    let out = shell("sundial --user list-timers", home.path(), home.path());
    assert!(out.status.success(), "{out:?}");
    let pid = Pid::from_raw(i32::try_from(daemon.id()).expect("pid fits"));
    let _ = kill(pid, Signal::SIGTERM);
    let _ = daemon.wait();
}
