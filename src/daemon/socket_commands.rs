//! A socket unit's own commands (`ExecStartPre=`, `ExecStartPost=`,
//! `ExecStopPre=`, `ExecStopPost=`): run one after another as asynchronous
//! children on a task of their own, whose end the event loop receives as
//! a [`CommandsDone`]; the loop never waits for them. As in systemd's
//! socket.c, each command is bounded by the socket's `TimeoutSec=` (the
//! manager's DefaultTimeoutStartSec= where unset), a failure ends the list
//! unless the line has the `-` prefix, and the commands run with the
//! socket's `User=`, `Group=`, `Environment=` and `WorkingDirectory=`.
//! Their output goes to the socket unit's log when each command ends.

use std::process::Stdio;
use std::time::Duration;

use nix::unistd::Pid;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

use crate::supervisor::{expand_argv, Env};
use crate::unit::exec::ExecCommand;
use crate::unit::SocketUnit;

/// Lines kept from one command's output: a chatty command must not fill
/// the daemon's memory.
const MAX_LINES: usize = 1000;
/// Bytes kept of one line.
const MAX_LINE: usize = 4096;

/// Which list runs (systemd's socket states of the same names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    StartPre,
    StartPost,
    StopPre,
    StopPost,
}

impl Phase {
    /// The directive, for messages.
    pub fn directive(self) -> &'static str {
        match self {
            Phase::StartPre => "ExecStartPre",
            Phase::StartPost => "ExecStartPost",
            Phase::StopPre => "ExecStopPre",
            Phase::StopPost => "ExecStopPost",
        }
    }

    /// Its commands in `unit`.
    pub fn commands(self, unit: &SocketUnit) -> &[ExecCommand] {
        let s = &unit.socket;
        match self {
            Phase::StartPre => &s.exec_start_pre,
            Phase::StartPost => &s.exec_start_post,
            Phase::StopPre => &s.exec_stop_pre,
            Phase::StopPost => &s.exec_stop_post,
        }
    }
}

/// How one list ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every command succeeded (or its failure was ignored).
    Success,
    /// A command failed: systemd's result word (`exit-code`, `signal`,
    /// `timeout`, `resources`) and what happened.
    Failed(&'static str, String),
}

/// One line of a command's output.
#[derive(Debug, Clone)]
pub struct OutputLine {
    pub stderr: bool,
    pub line: String,
}

/// What the task hands back to the event loop.
#[derive(Debug)]
pub struct CommandsDone {
    pub socket: String,
    pub phase: Phase,
    pub outcome: Outcome,
    /// The output and the messages about failures ignored, in order.
    pub lines: Vec<OutputLine>,
}

/// What a list needs to run, taken from the unit and the manager.
#[derive(Debug, Clone)]
pub struct CommandSpec {
    pub commands: Vec<ExecCommand>,
    pub env: Env,
    pub user: Option<String>,
    pub group: Option<String>,
    pub working_directory: Option<std::path::PathBuf>,
    /// None: no timeout (`TimeoutSec=0`).
    pub timeout: Option<Duration>,
}

impl CommandSpec {
    /// The commands of `phase` in `unit`, with `base` (the manager's
    /// environment for units) under the unit's Environment=.
    pub fn of(
        unit: &SocketUnit,
        phase: Phase,
        base: &[(String, String)],
        default: Duration,
    ) -> Self {
        let mut env: Env = base.iter().cloned().collect();
        env.extend(unit.socket.environment.iter().cloned());
        let timeout = match unit.socket.timeout {
            Some(t) if t.as_usec() == 0 => None,
            Some(t) => Some(Duration::from_micros(t.as_usec())),
            None => Some(default),
        };
        CommandSpec {
            commands: phase.commands(unit).to_vec(),
            env,
            user: unit.socket.user.clone(),
            group: unit.socket.group.clone(),
            working_directory: unit.socket.working_directory.clone(),
            timeout,
        }
    }
}

/// Runs the list and says how it went.
pub async fn run(socket: String, phase: Phase, spec: CommandSpec) -> CommandsDone {
    let mut lines = Vec::new();
    let mut outcome = Outcome::Success;
    for command in &spec.commands {
        let result = run_one(command, &spec, &mut lines).await;
        if let Err((word, what)) = result {
            let message = format!("{}= '{}' {what}", phase.directive(), command.path);
            if command.ignore_failure {
                lines.push(OutputLine {
                    stderr: true,
                    line: format!("{message} (ignored: '-' prefix)"),
                });
                continue;
            }
            outcome = Outcome::Failed(word, message);
            break;
        }
    }
    CommandsDone {
        socket,
        phase,
        outcome,
        lines,
    }
}

/// The ids `User=`/`Group=` name: numbers or names in the user database.
fn ids(spec: &CommandSpec) -> Result<(Option<u32>, Option<u32>), String> {
    let mut uid = None;
    let mut gid = None;
    if let Some(user) = &spec.user {
        let found = match user.parse::<u32>() {
            Ok(n) => nix::unistd::User::from_uid(n.into()),
            Err(_) => nix::unistd::User::from_name(user),
        };
        match found {
            Ok(Some(u)) => {
                uid = Some(u.uid.as_raw());
                gid = Some(u.gid.as_raw());
            }
            _ => return Err(format!("User={user}: no such user")),
        }
    }
    if let Some(group) = &spec.group {
        let found = match group.parse::<u32>() {
            Ok(n) => nix::unistd::Group::from_gid(n.into()),
            Err(_) => nix::unistd::Group::from_name(group),
        };
        match found {
            Ok(Some(g)) => gid = Some(g.gid.as_raw()),
            _ => return Err(format!("Group={group}: no such group")),
        }
    }
    Ok((uid, gid))
}

async fn run_one(
    command: &ExecCommand,
    spec: &CommandSpec,
    lines: &mut Vec<OutputLine>,
) -> Result<(), (&'static str, String)> {
    let (uid, gid) = ids(spec).map_err(|e| ("resources", format!("cannot run: {e}")))?;
    let argv = if command.no_env_expand {
        command.argv.clone()
    } else {
        expand_argv(&command.argv, &spec.env)
    };
    let mut cmd = std::process::Command::new(&command.path);
    {
        use std::os::unix::process::CommandExt;
        if let Some(arg0) = argv.first() {
            cmd.arg0(arg0);
        }
        // Its own process group, so that a timeout ends what it started.
        cmd.process_group(0);
        if let Some(gid) = gid {
            cmd.gid(gid);
        }
        // std drops the supplementary groups when it changes the uid.
        if let Some(uid) = uid {
            cmd.uid(uid);
        }
    }
    cmd.args(argv.iter().skip(1))
        .env_clear()
        .envs(&spec.env)
        .current_dir(spec.working_directory.as_deref().unwrap_or("/".as_ref()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut cmd = tokio::process::Command::from(cmd);
    cmd.kill_on_drop(true);
    // Claimed while spawning, so that the supervisor's reaping of strays
    // leaves this child to its own wait.
    let (mut child, claim) = {
        let mut claims = crate::supervisor::Claims::lock();
        let child = cmd
            .spawn()
            .map_err(|e| ("exit-code", format!("could not be executed: {e}")))?;
        let pid = Pid::from_raw(child.id().map_or(0, |p| p as i32));
        claims.claim(pid);
        (child, Claim(pid, false))
    };
    let pid = claim.0;
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let mut out = Vec::new();
    let mut err = Vec::new();
    let work = async {
        let (status, (), ()) = tokio::join!(
            child.wait(),
            read_lines(stdout, &mut out),
            read_lines(stderr, &mut err)
        );
        status
    };
    let status = match spec.timeout {
        Some(t) => tokio::time::timeout(t, work).await,
        None => Ok(work.await),
    };
    let result = match status {
        Ok(Ok(status)) => {
            use std::os::unix::process::ExitStatusExt;
            match (status.code(), status.signal()) {
                (Some(0), _) => Ok(()),
                (Some(code), _) => Err(("exit-code", format!("exited with status {code}"))),
                (_, Some(sig)) => Err(("signal", format!("was killed by signal {sig}"))),
                _ => Err(("exit-code", "ended".to_owned())),
            }
        }
        Ok(Err(e)) => Err(("resources", format!("cannot be waited for: {e}"))),
        Err(_) => {
            // Its group, then the child itself (kill_on_drop reaps it).
            let _ = nix::sys::signal::killpg(pid, nix::sys::signal::Signal::SIGKILL);
            let _ = child.start_kill();
            let _ = child.wait().await;
            Err(("timeout", "timed out, killed".to_owned()))
        }
    };
    // Reaped: its group may be gone, or another's now.
    let mut claim = claim;
    claim.1 = true;
    drop(claim);
    let take =
        |v: Vec<String>, stderr: bool| v.into_iter().map(move |line| OutputLine { stderr, line });
    lines.extend(take(out, false));
    lines.extend(take(err, true));
    result
}

async fn read_lines(pipe: Option<impl AsyncRead + Unpin>, into: &mut Vec<String>) {
    let Some(pipe) = pipe else { return };
    let mut reader = BufReader::new(pipe);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                if into.len() < MAX_LINES {
                    let end = buf.len().min(MAX_LINE);
                    let line = String::from_utf8_lossy(&buf[..end]);
                    into.push(line.trim_end_matches('\n').to_owned());
                }
            }
        }
    }
}

/// A child's claim, let go when the run ends or its task is aborted (a
/// stop during a start): then what the command started is killed too.
struct Claim(Pid, bool);

impl Drop for Claim {
    fn drop(&mut self) {
        if !self.1 {
            let _ = nix::sys::signal::killpg(self.0, nix::sys::signal::Signal::SIGKILL);
        }
        crate::supervisor::release_claim(self.0);
    }
}
