//! A socket unit's start and stop on the daemon's state, through systemd's
//! states: `start-pre` (ExecStartPre=), the ports opened, `start-post`
//! (ExecStartPost=), `listening`; `stop-pre` (ExecStopPre=), the ports
//! closed, `stop-post` (ExecStopPost=), inactive or failed. The commands
//! run on a task ([`super::socket_commands`]); the loop goes on when they
//! end ([`State::socket_commands_done`]).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use super::socket_commands::{self, CommandSpec, CommandsDone, Outcome, Phase};
use super::socket_open;
use super::socket_units::{ActiveSocket, SocketState};
use super::sockets::port;
use super::state::{report, State};
use crate::unit::{SocketUnit, Unit};

impl State {
    /// Starts the socket unit `name`: runs ExecStartPre=, opens every
    /// `Listen*=` line, runs ExecStartPost=, then watches them (the
    /// commands run on a task; [`State::socket_commands_done`] goes on).
    /// A socket already started stays as it is.
    pub fn start_socket(&mut self, name: &str) -> Result<(), String> {
        let name = self.units.canonical(name).to_owned();
        match self.sockets.active.get_mut(&name) {
            // systemd queues the start after the stop: it starts anew
            // once its stop commands have run.
            Some(s) if matches!(s.state, SocketState::StopPre | SocketState::StopPost) => {
                s.start_after_stop = true;
                return Ok(());
            }
            Some(s) if !matches!(s.state, SocketState::Failed(_)) => return Ok(()),
            _ => {}
        }
        let Some(Unit::Socket(unit)) = self.units.get(&name).cloned() else {
            return Err(format!("Unit {name} not found."));
        };
        if unit.socket.listen.is_empty() {
            return Err(format!(
                "{name} has no Listen*= line sundial can open (ListenMessageQueue=, \
                 ListenUSBFunction= and vsock addresses are not supported)"
            ));
        }
        if let Some(old) = self.sockets.active.remove(&name) {
            self.sockets
                .detached_instances
                .extend(old.instances.into_keys());
        }
        self.sockets.active.insert(
            name.clone(),
            ActiveSocket {
                unit: Arc::clone(&unit),
                state: SocketState::StartPre,
                ports: Vec::new(),
                n_accepted: 0,
                n_refused: 0,
                instances: BTreeMap::new(),
                triggers: VecDeque::new(),
                recheck: false,
                control: None,
                failure: None,
                start_after_stop: false,
            },
        );
        self.runs.touch(&name, self.now().realtime);
        if unit.socket.exec_start_pre.is_empty() {
            return self.open_ports(&name);
        }
        self.run_commands(&name, Phase::StartPre);
        Ok(())
    }

    /// After ExecStartPre=: opens the ports, then ExecStartPost= or
    /// listening. An error closes what was opened and fails the socket.
    fn open_ports(&mut self, name: &str) -> Result<(), String> {
        let Some(unit) = self.sockets.active.get(name).map(|s| Arc::clone(&s.unit)) else {
            return Ok(());
        };
        let mut ports = Vec::new();
        for listen in &unit.socket.listen {
            match socket_open::open(listen, &unit.socket) {
                Ok(fd) => ports.push(port(listen.kind, listen.address.to_string(), fd)),
                Err(e) => {
                    let message = format!("{name}: Failed to create listening socket ({e})");
                    report(&message);
                    drop(ports);
                    self.socket_failed(&unit, "resources");
                    return Err(message);
                }
            }
        }
        for problem in socket_open::make_symlinks(&unit.socket) {
            report(format!("{name}: {problem}"));
        }
        if let Some(s) = self.sockets.active.get_mut(name) {
            s.ports = ports;
        }
        if unit.socket.exec_start_post.is_empty() {
            self.enter_listening(name);
        } else {
            self.set_socket_state(name, SocketState::StartPost);
            self.run_commands(name, Phase::StartPost);
        }
        Ok(())
    }

    fn enter_listening(&mut self, name: &str) {
        self.set_socket_state(name, SocketState::Listening);
        let Some(s) = self.sockets.active.get_mut(name) else {
            return;
        };
        // A connection may be waiting from before the start.
        s.recheck = true;
        let service = s.unit.triggers.as_str().to_owned();
        self.pass_fds_of(name, &service);
    }

    /// Starts the task that runs the socket's commands of `phase`.
    fn run_commands(&mut self, name: &str, phase: Phase) {
        let Some(s) = self.sockets.active.get_mut(name) else {
            return;
        };
        let mut base = vec![(
            "PATH".to_owned(),
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_owned(),
        )];
        base.extend(self.config.default_environment.iter().cloned());
        let default = Duration::from_micros(self.config.defaults.timeout_start.as_usec());
        let spec = CommandSpec::of(&s.unit, phase, &base, default);
        if let Some(old) = s.control.take() {
            old.abort();
        }
        let task = socket_commands::run(name.to_owned(), phase, spec);
        s.control = Some(self.sockets.commands.spawn(task));
    }

    /// A socket's command list ended: the socket goes on to its next state
    /// (systemd's socket.c `socket_sigchld_event`).
    pub fn socket_commands_done(&mut self, done: CommandsDone) {
        let name = done.socket.as_str();
        self.log_command_output(&done);
        let Some(s) = self.sockets.active.get_mut(name) else {
            return;
        };
        let expected = match done.phase {
            Phase::StartPre => SocketState::StartPre,
            Phase::StartPost => SocketState::StartPost,
            Phase::StopPre => SocketState::StopPre,
            Phase::StopPost => SocketState::StopPost,
        };
        if s.state != expected {
            return;
        }
        s.control = None;
        let failed = match &done.outcome {
            Outcome::Success => None,
            Outcome::Failed(word, message) => {
                report(format!("{name}: {message}"));
                Some(*word)
            }
        };
        let unit = Arc::clone(&s.unit);
        match (done.phase, failed) {
            (Phase::StartPre, None) => {
                let _ = self.open_ports(name);
            }
            // systemd: nothing was opened; the socket fails at once.
            (Phase::StartPre, Some(word)) => self.socket_failed(&unit, word),
            (Phase::StartPost, None) => self.enter_listening(name),
            (Phase::StartPost, Some(word)) => {
                if let Some(s) = self.sockets.active.get_mut(name) {
                    s.failure = Some(word);
                }
                self.enter_stop_pre(name);
            }
            (Phase::StopPre, word) => {
                if let (Some(s), Some(word)) = (self.sockets.active.get_mut(name), word) {
                    s.failure.get_or_insert(word);
                }
                self.enter_stop_post(name);
            }
            (Phase::StopPost, word) => self.socket_stopped(&unit, word),
        }
        self.settle();
    }

    /// The end of a stop: inactive, or failed with the first failure's
    /// result; then a start that came during the stop.
    fn socket_stopped(&mut self, unit: &Arc<SocketUnit>, failure: Option<&'static str>) {
        let name = unit.name.as_str();
        let Some(s) = self.sockets.active.get(name) else {
            return;
        };
        let start_again = s.start_after_stop;
        match s.failure.or(failure) {
            Some(word) => self.socket_failed(unit, word),
            None => {
                self.sockets.active.remove(name);
                self.runs.touch(name, self.now().realtime);
            }
        }
        if start_again {
            if let Err(e) = self.start_socket(name) {
                report(format!("{name}: {e}"));
            }
        }
    }

    /// The commands' output and messages, in the socket unit's log.
    fn log_command_output(&mut self, done: &CommandsDone) {
        let at = crate::supervisor::now_realtime();
        for l in &done.lines {
            self.logs.push(crate::supervisor::LogRecord {
                unit: done.socket.clone(),
                invocation_id: String::new(),
                stream: if l.stderr {
                    crate::supervisor::Stream::Stderr
                } else {
                    crate::supervisor::Stream::Stdout
                },
                timestamp: at,
                line: l.line.clone(),
                priority: if l.stderr {
                    crate::unit::SyslogLevel::Err
                } else {
                    crate::unit::SyslogLevel::Info
                },
                credit: crate::supervisor::Credit::default(),
            });
        }
        if let Outcome::Failed(_, message) = &done.outcome {
            self.logs.push_manager(crate::supervisor::ManagerRecord {
                unit: done.socket.clone(),
                invocation_id: String::new(),
                timestamp: at,
                message: message.clone(),
                standalone: false,
                priority: crate::unit::SyslogLevel::Err,
            });
        }
    }

    /// Stops the socket unit `name`: runs ExecStopPre=, closes its
    /// descriptors (a service running keeps its copies) and removes its
    /// files (RemoveOnStop=), then runs ExecStopPost=. A start's commands
    /// still running are ended.
    pub fn stop_socket(&mut self, name: &str) {
        let name = self.units.canonical(name).to_owned();
        let Some(s) = self.sockets.active.get_mut(&name) else {
            return;
        };
        match s.state {
            SocketState::StopPre | SocketState::StopPost => {}
            SocketState::Failed(_) => {
                self.sockets.active.remove(&name);
                self.runs.touch(&name, self.now().realtime);
            }
            // systemd: the start's command is killed and ExecStopPost=
            // runs, not ExecStopPre=.
            SocketState::StartPre | SocketState::StartPost => {
                if let Some(task) = s.control.take() {
                    task.abort();
                }
                self.enter_stop_post(&name);
            }
            _ => self.enter_stop_pre(&name),
        }
    }

    fn enter_stop_pre(&mut self, name: &str) {
        let Some(s) = self.sockets.active.get_mut(name) else {
            return;
        };
        if let Some(task) = s.control.take() {
            task.abort();
        }
        if s.unit.socket.exec_stop_pre.is_empty() {
            self.enter_stop_post(name);
        } else {
            self.set_socket_state(name, SocketState::StopPre);
            self.run_commands(name, Phase::StopPre);
        }
    }

    /// Closes the ports, then ExecStopPost= or inactive.
    fn enter_stop_post(&mut self, name: &str) {
        let Some(s) = self.sockets.active.get_mut(name) else {
            return;
        };
        // Their connections stay open until they end, as in systemd.
        let instances = std::mem::take(&mut s.instances);
        let unit = Arc::clone(&s.unit);
        s.ports.clear();
        self.sockets
            .detached_instances
            .extend(instances.into_keys());
        socket_open::remove_files(&unit.socket);
        self.pass_fds_of(unit.name.as_str(), unit.triggers.as_str());
        if unit.socket.exec_stop_post.is_empty() {
            self.socket_stopped(&unit, None);
        } else {
            self.set_socket_state(name, SocketState::StopPost);
            self.run_commands(name, Phase::StopPost);
        }
    }
}
