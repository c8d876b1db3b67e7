//! A real `sundial daemon` in a temp dir, and a client for it.
#![allow(dead_code, clippy::unwrap_used)]

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::symlink;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use sundial::ipc::{HistoryRequest, LogsRequest, ShowRequest, UnitsRequest};

use sundial::ipc::types::RunRow;
use sundial::ipc::{Client, Request, Response};

/// A daemon process and its directories.
pub struct Daemon {
    pub dir: PathBuf,
    pub units: PathBuf,
    pub state: PathBuf,
    pub socket: PathBuf,
    child: Option<Child>,
    env: Vec<(String, String)>,
    unset: Vec<String>,
    args: Vec<String>,
    wrapper: Vec<String>,
    system: bool,
    /// The PID namespaces seen below the wrapper, for their cgroups.
    namespaces: Vec<u64>,
}

/// Writes a unit file.
pub fn write_unit(dir: &Path, name: &str, text: &str) {
    fs::create_dir_all(dir).unwrap();
    fs::write(dir.join(name), text).unwrap();
}

/// Links `unit` into `<target>.wants/` (what `enable` does).
pub fn enable(dir: &Path, target: &str, unit: &str) {
    let wants = dir.join(format!("{target}.wants"));
    fs::create_dir_all(&wants).unwrap();
    symlink(dir.join(unit), wants.join(unit)).unwrap();
}

/// Waits up to `timeout` for `f` to hold, checking every few milliseconds.
pub fn wait_for(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() > until {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

impl Daemon {
    /// A daemon over `units` (name, text) in `dir`, not started yet.
    pub fn new(dir: &Path, units: &[(&str, &str)]) -> Daemon {
        let units_dir = dir.join("units");
        fs::create_dir_all(&units_dir).unwrap();
        for (name, text) in units {
            write_unit(&units_dir, name, text);
        }
        Daemon {
            dir: dir.to_path_buf(),
            socket: dir.join("state/control.sock"),
            state: dir.join("state"),
            units: units_dir,
            child: None,
            env: Vec::new(),
            unset: Vec::new(),
            args: Vec::new(),
            wrapper: Vec::new(),
            system: false,
            namespaces: Vec::new(),
        }
    }

    /// Adds an environment variable for the daemon.
    pub fn env(mut self, key: &str, value: &str) -> Daemon {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Removes an inherited environment variable for the daemon.
    pub fn env_remove(mut self, key: &str) -> Daemon {
        self.unset.push(key.into());
        self
    }

    /// Runs the daemon as the system manager (`--system`) instead of a
    /// user's; the paths stay in the test's directory.
    pub fn system(mut self) -> Daemon {
        self.system = true;
        self
    }

    /// Adds command-line arguments.
    pub fn arg(mut self, arg: &str) -> Daemon {
        self.args.push(arg.into());
        self
    }

    /// Runs the daemon under another program (`unshare --pid --fork`):
    /// `argv` comes first, then the path of the sundial binary and its
    /// arguments. [`Daemon::pid`] is then the wrapper's pid.
    pub fn wrapped(mut self, argv: &[&str]) -> Daemon {
        self.wrapper = argv.iter().map(|a| (*a).to_owned()).collect();
        self
    }

    /// Starts the daemon and waits until it answers.
    pub fn start(&mut self) {
        let stderr = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("daemon.err"))
            .unwrap();
        let stdout = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("daemon.out"))
            .unwrap();
        let mut cmd = match self.wrapper.split_first() {
            Some((program, args)) => {
                let mut cmd = Command::new(program);
                cmd.args(args).arg(env!("CARGO_BIN_EXE_sundial"));
                cmd
            }
            None => Command::new(env!("CARGO_BIN_EXE_sundial")),
        };
        cmd.arg("daemon")
            .arg(if self.system { "--system" } else { "--user" })
            .arg("--unit-dir")
            .arg(&self.units)
            .arg("--state-dir")
            .arg(&self.state)
            .arg("--socket")
            .arg(&self.socket)
            .args(&self.args)
            .env("HOME", &self.dir)
            .env("XDG_CONFIG_HOME", self.dir.join("config"))
            .env("XDG_STATE_HOME", self.dir.join("xdg-state"))
            .env_remove("SUNDIAL_UNIT_PATH")
            .env_remove("XDG_RUNTIME_DIR")
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr);
        for k in &self.unset {
            cmd.env_remove(k);
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("the sundial binary starts");
        let socket = self.socket.clone();
        let up = wait_for(Duration::from_secs(20), || {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("daemon exited early with {status}");
            }
            UnixStream::connect(&socket).is_ok()
        });
        assert!(up, "daemon did not listen: {}", self.stderr());
        self.child = Some(child);
        self.note_namespaces();
    }

    /// The daemon's stderr so far.
    pub fn stderr(&self) -> String {
        fs::read_to_string(self.dir.join("daemon.err")).unwrap_or_default()
    }

    /// The daemon's stdout so far.
    pub fn stdout(&self) -> String {
        fs::read_to_string(self.dir.join("daemon.out")).unwrap_or_default()
    }

    /// The daemon's pid.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("started").id()
    }

    /// Sends one request and returns its response.
    pub fn call(&self, request: Request) -> Response {
        let mut client = Client::connect(&self.socket).expect("connects");
        client
            .set_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        client.call(&request).expect("answers")
    }

    /// The runs of `unit`, newest first.
    pub fn history(&self, unit: &str) -> Vec<RunRow> {
        match self.call(Request::History(HistoryRequest {
            unit: Some(unit.into()),
            limit: Some(10_000),
        })) {
            Response::Runs { runs } => runs,
            other => panic!("history: {other:?}"),
        }
    }

    /// The finished runs of `unit`.
    pub fn finished(&self, unit: &str) -> Vec<RunRow> {
        self.history(unit)
            .into_iter()
            .filter(|r| r.end_usec.is_some())
            .collect()
    }

    /// `start UNIT`, which must succeed.
    pub fn start_unit(&self, unit: &str) {
        self.job(Request::Start(UnitsRequest {
            units: vec![unit.into()],
        }));
    }

    /// `stop UNIT`, which must succeed.
    pub fn stop_unit(&self, unit: &str) {
        self.job(Request::Stop(UnitsRequest {
            units: vec![unit.into()],
        }));
    }

    fn job(&self, request: Request) {
        let what = format!("{request:?}");
        match self.call(request) {
            Response::Done { .. } => {}
            other => panic!("{what}: {other:?}"),
        }
    }

    /// Every captured line of `unit`.
    pub fn log_lines(&self, unit: &str) -> Vec<String> {
        let client = Client::connect(&self.socket).expect("connects");
        client
            .set_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        let request = Request::Logs(LogsRequest {
            units: vec![unit.into()],
            follow: false,
            lines: None,
            since_usec: None,
            until_usec: None,
            invocation: None,
            priorities: None,
        });
        let mut lines = Vec::new();
        for response in client.stream(&request).expect("streams") {
            match response.expect("a frame") {
                Response::Logs { lines: batch } => lines.extend(batch.into_iter().map(|l| l.line)),
                other => panic!("logs: {other:?}"),
            }
        }
        lines
    }

    /// A manager or unit property from `show`.
    pub fn property(&self, unit: Option<&str>, name: &str) -> String {
        let response = self.call(Request::Show(ShowRequest {
            units: unit.into_iter().map(str::to_owned).collect(),
            properties: vec![name.into()],
        }));
        match response {
            Response::Properties { units } => units[0]
                .properties
                .iter()
                .find(|p| p.name == name)
                .map(|p| p.value.clone())
                .unwrap_or_default(),
            other => panic!("show: {other:?}"),
        }
    }

    /// Sends a command to the manual clock; returns the wall clock after it.
    pub fn clock(&self, command: &str) -> i64 {
        // The clock socket is bound just after the control socket, which is
        // what `start` waits for.
        let path = self.state.join("clock.sock");
        let mut stream = None;
        wait_for(Duration::from_secs(10), || {
            stream = UnixStream::connect(&path).ok();
            stream.is_some()
        });
        let mut stream = stream.expect("clock socket");
        writeln!(stream, "{command}").unwrap();
        let mut line = String::new();
        BufReader::new(stream).read_line(&mut line).unwrap();
        let mut words = line.split_whitespace();
        assert_eq!(words.next(), Some("ok"), "clock answered {line:?}");
        words.next().unwrap().parse().unwrap()
    }

    /// SIGKILL, and wait for it to be gone.
    pub fn kill9(&mut self) {
        self.note_namespaces();
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Waits for the daemon (or its wrapper) to exit; its exit code, None
    /// when a signal ended it.
    pub fn wait_exit(&mut self) -> Option<i32> {
        self.note_namespaces();
        let mut child = self.child.take()?;
        child.wait().ok()?.code()
    }

    /// Waits for the daemon (or its wrapper) to end; how it ended.
    pub fn wait_status(&mut self) -> Option<std::process::ExitStatus> {
        self.note_namespaces();
        let mut child = self.child.take()?;
        child.wait().ok()
    }

    /// SIGTERM, and wait for the exit; returns whether it exited 0.
    pub fn terminate(&mut self) -> bool {
        self.note_namespaces();
        let Some(mut child) = self.child.take() else {
            return false;
        };
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
        child.wait().map(|s| s.success()).unwrap_or(false)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        // The daemon's own pid, where it is not started through a wrapper:
        // its cgroups are named after it.
        let pid = self
            .child
            .as_ref()
            .filter(|_| self.wrapper.is_empty())
            .map(Child::id);
        self.kill9();
        let namespaces = std::mem::take(&mut self.namespaces);
        if let Some(pid) = pid {
            let prefix = format!("sundial-{pid}-");
            remove_cgroups_where(|name| name.starts_with(&prefix));
        }
        // Once no process is left in them (the wrapper's end kills what it
        // started, a moment later).
        let deadline = Instant::now() + Duration::from_secs(5);
        while namespaces
            .iter()
            .any(|ns| live_pid_namespaces().contains(ns))
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        for ns in namespaces {
            let mark = format!("-ns{ns}");
            if !live_pid_namespaces().contains(&ns) {
                remove_cgroups_where(|name| name.starts_with("sundial-") && name.ends_with(&mark));
            }
        }
    }
}

impl Daemon {
    /// Started through a wrapper (`unshare --pid`): notes the PID
    /// namespaces below it, whose daemons mark their subtrees `-nsN`,
    /// before the wrapper is waited for.
    fn note_namespaces(&mut self) {
        let Some(child) = self.child.as_ref().filter(|_| !self.wrapper.is_empty()) else {
            return;
        };
        let own = pid_namespace_of(std::process::id());
        for ns in descendants(child.id())
            .into_iter()
            .filter_map(pid_namespace_of)
        {
            if Some(ns) != own && !self.namespaces.contains(&ns) {
                self.namespaces.push(ns);
            }
        }
    }
}

/// Every process below `pid`, from the threads' lists of children.
fn descendants(pid: u32) -> Vec<u32> {
    let mut found = Vec::new();
    let mut next = vec![pid];
    while let Some(p) = next.pop() {
        let Ok(tasks) = fs::read_dir(format!("/proc/{p}/task")) else {
            continue;
        };
        for t in tasks.filter_map(Result::ok) {
            let list = fs::read_to_string(t.path().join("children")).unwrap_or_default();
            for c in list.split_whitespace().filter_map(|c| c.parse().ok()) {
                found.push(c);
                next.push(c);
            }
        }
    }
    found
}

/// The inode of the PID namespace process `pid` is in.
fn pid_namespace_of(pid: u32) -> Option<u64> {
    let link = fs::read_link(format!("/proc/{pid}/ns/pid")).ok()?;
    link.to_str()?
        .strip_prefix("pid:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

/// The PID namespaces some process is in.
fn live_pid_namespaces() -> Vec<u64> {
    fs::read_dir("/proc")
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .filter_map(pid_namespace_of)
                .collect()
        })
        .unwrap_or_default()
}

/// Removes the cgroups a killed daemon left (its subtrees beside the test's
/// own cgroup in each hierarchy whose names `matches`, with the services'
/// processes in them), which only the next daemon started there would
/// otherwise remove. Nothing else is touched.
fn remove_cgroups_where(matches: impl Fn(&str) -> bool) {
    let own = fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    let mounts = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    for line in own.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let Some(mount) = cgroup_mount(&mounts, controllers) else {
            continue;
        };
        let parent = mount.join(path.trim_start_matches('/'));
        let Ok(entries) = fs::read_dir(&parent) else {
            continue;
        };
        for e in entries.filter_map(Result::ok) {
            if matches(&e.file_name().to_string_lossy()) {
                purge_cgroup(&e.path());
            }
        }
    }
}

/// Where the hierarchy of `controllers` (as /proc/self/cgroup names them;
/// empty for cgroup v2) is mounted.
fn cgroup_mount(mountinfo: &str, controllers: &str) -> Option<PathBuf> {
    mountinfo.lines().find_map(|m| {
        let (pre, post) = m.split_once(" - ")?;
        let mut post = post.split_whitespace();
        let fstype = post.next()?;
        let options = post.nth(1).unwrap_or("");
        let wanted = if controllers.is_empty() {
            fstype == "cgroup2"
        } else {
            fstype == "cgroup"
                && controllers
                    .split(',')
                    .all(|c| options.split(',').any(|o| o == c))
        };
        let point = pre.split_whitespace().nth(4)?;
        wanted.then(|| PathBuf::from(point))
    })
}

/// Kills what is left in `dir` and below, then removes the directories,
/// deepest first.
fn purge_cgroup(dir: &Path) {
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.filter_map(Result::ok) {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                purge_cgroup(&e.path());
            }
        }
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let _ = fs::write(dir.join("cgroup.kill"), "1");
        let procs = fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default();
        let pids: Vec<i32> = procs
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect();
        if pids.is_empty() || Instant::now() > deadline {
            break;
        }
        for p in pids {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(p),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = fs::remove_dir(dir);
}

/// A process's resident memory in KiB (`VmRSS` of /proc/PID/status; 0 if
/// it cannot be read).
pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}
