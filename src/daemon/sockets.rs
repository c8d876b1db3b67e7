//! The steps of socket activation on the daemon's state: starting and
//! stopping socket units, a ready port starting its service, and the
//! socket following its service back to `listening` (see
//! [`super::socket_units`] for the rules).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::unix::AsyncFd;

use super::socket_commands::{self, CommandSpec, CommandsDone, Outcome, Phase};
use super::socket_open;
use super::socket_units::{ActiveSocket, Port, Ready, SharedFd, SocketState};
use super::state::{report, State};
use crate::activation::Activation;
use crate::supervisor::socket_fds::{PassedFd, SocketFds};
use crate::unit::socket::ListenKind;
use crate::unit::{SocketUnit, Unit};

/// How many connections one wake-up accepts: a flood of connections must
/// not hold the loop; the rest are taken at the next turn.
const ACCEPTS_PER_TURN: usize = 64;

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
                "{name} has no Listen*= line sundial can open (ListenNetlink=, \
                 ListenMessageQueue=, ListenUSBFunction= and vsock addresses are not supported)"
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
        self.pass_fds_to(&service);
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
        self.pass_fds_to(unit.triggers.as_str());
        if unit.socket.exec_stop_post.is_empty() {
            self.socket_stopped(&unit, None);
        } else {
            self.set_socket_state(name, SocketState::StopPost);
            self.run_commands(name, Phase::StopPost);
        }
    }

    /// Starts the socket units that starting `unit` pulls in through
    /// Requires=, Wants= and BindsTo=, also through the services it pulls
    /// in, before the supervisor queues the start: the services find their
    /// sockets open, as systemd's transaction orders them (a socket is
    /// Before= the service it triggers).
    pub fn start_pulled_sockets(&mut self, unit: &str) {
        let mut queue = vec![unit.to_owned()];
        let mut seen = std::collections::BTreeSet::new();
        let mut sockets = Vec::new();
        while let Some(name) = queue.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            // Borrowed, not copied: this runs before every timer's start.
            let section = match self.units.get(&name) {
                Some(u) => u.unit_section(),
                None => match self.supervisor.unit(&name) {
                    Some(s) => &s.unit,
                    None => continue,
                },
            };
            for dep in section
                .requires
                .iter()
                .chain(&section.wants)
                .chain(&section.binds_to)
            {
                match dep.unit_type() {
                    crate::unit::UnitType::Socket => sockets.push(dep.as_str().to_owned()),
                    crate::unit::UnitType::Service => queue.push(dep.as_str().to_owned()),
                    _ => {}
                }
            }
        }
        for socket in sockets {
            // A socket that cannot open is reported; the service starts
            // without it (a Requires= failing the service is not modelled).
            let _ = self.start_socket(&socket);
        }
    }

    /// The one place a started socket changes between `listening` and
    /// `running`: the change is stamped (status's "since") and told as old
    /// -> new under `SUNDIAL_DEBUG=1`.
    fn set_socket_state(&mut self, name: &str, new: SocketState) {
        let now = self.now().realtime;
        let Some(s) = self.sockets.active.get_mut(name) else {
            return;
        };
        if self.debug {
            report(format!("{name}: {} -> {}", s.state.sub(), new.sub()));
        }
        s.state = new;
        self.runs.touch(name, now);
    }

    /// `reset-failed`: a failed socket becomes inactive (dead).
    pub fn reset_failed_socket(&mut self, name: &str) {
        let name = self.units.canonical(name).to_owned();
        let failed = self
            .sockets
            .active
            .get(&name)
            .is_some_and(|s| matches!(s.state, SocketState::Failed(_)));
        if failed {
            self.sockets.active.remove(&name);
            self.runs.touch(&name, self.now().realtime);
        }
    }

    /// Gives `service` the descriptors of the sockets that trigger it now.
    fn pass_fds_to(&mut self, service: &str) {
        let fds = self.sockets.fds_for(service);
        self.supervisor.set_socket_fds(service, fds);
    }

    /// The socket fails with systemd's result word; its descriptors close.
    fn socket_failed(&mut self, unit: &Arc<SocketUnit>, result: &'static str) {
        let name = unit.name.as_str().to_owned();
        report(format!("{name}: Failed with result '{result}'."));
        let failed = ActiveSocket {
            unit: Arc::clone(unit),
            state: SocketState::Failed(result),
            ports: Vec::new(),
            n_accepted: 0,
            n_refused: 0,
            instances: BTreeMap::new(),
            triggers: VecDeque::new(),
            recheck: false,
            control: None,
            failure: None,
            start_after_stop: false,
        };
        if let Some(old) = self.sockets.active.insert(name.clone(), failed) {
            self.sockets
                .detached_instances
                .extend(old.instances.into_keys());
            socket_open::remove_files(&old.unit.socket);
        }
        self.runs.touch(&name, self.now().realtime);
        self.pass_fds_to(unit.triggers.as_str());
    }

    /// A watched port is ready: start the service (Accept=no) or accept
    /// connections and start an instance for each (Accept=yes).
    pub fn socket_ready(&mut self, ready: Ready) {
        let Some(s) = self.sockets.active.get_mut(&ready.socket) else {
            return;
        };
        let Some(port) = s.ports.get(ready.port) else {
            return;
        };
        if s.unit.socket.accept {
            self.accept_connections(&ready);
        } else if socket_open::readable_now(&port.fd) {
            self.trigger_service(&ready.socket);
        }
        self.settle();
    }

    fn trigger_service(&mut self, name: &str) {
        let Some(s) = self.sockets.active.get_mut(name) else {
            return;
        };
        let unit = Arc::clone(&s.unit);
        if !s.allow_trigger(Instant::now()) {
            report(format!(
                "{name}: Trigger limit hit, refusing further activation."
            ));
            self.socket_failed(&unit, "trigger-limit-hit");
            return;
        }
        self.set_socket_state(name, SocketState::Running);
        let service = unit.triggers.as_str().to_owned();
        self.pass_fds_to(&service);
        let by = Activation::Socket {
            unit: name.to_owned(),
        };
        if let Err(e) = self.supervisor.start_with(&service, by) {
            report(format!("{name}: Failed to queue service startup job: {e}"));
            self.socket_failed(&unit, "resources");
        }
    }

    fn accept_connections(&mut self, ready: &Ready) {
        let name = ready.socket.as_str();
        for _ in 0..ACCEPTS_PER_TURN {
            let Some(s) = self.sockets.active.get_mut(name) else {
                return;
            };
            let Some(port) = s.ports.get(ready.port) else {
                return;
            };
            let listener = socket2::SockRef::from(&*port.fd);
            let conn = match listener.accept() {
                Ok((conn, _)) => conn,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    // ECONNABORTED and co.: that connection is gone.
                    report(format!("{name}: accept failed: {e}"));
                    continue;
                }
            };
            let unit = Arc::clone(&s.unit);
            if !s.allow_trigger(Instant::now()) {
                report(format!(
                    "{name}: Trigger limit hit, refusing further activation."
                ));
                self.socket_failed(&unit, "trigger-limit-hit");
                return;
            }
            let max = unit.socket.max_connections as usize;
            if s.instances.len() >= max {
                report(format!(
                    "{name}: Too many incoming connections ({}), dropping connection.",
                    s.instances.len()
                ));
                s.n_refused += 1;
                continue;
            }
            let (instance, source, env) = super::socket_units::instance_name(s.n_accepted, &conn);
            let per_source = unit.socket.per_source_limit() as usize;
            if s.from_source(&source) >= per_source {
                report(format!(
                    "{name}: Too many incoming connections ({}) from source, dropping connection.",
                    s.from_source(&source)
                ));
                s.n_refused += 1;
                continue;
            }
            s.n_accepted += 1;
            let service = match unit.triggers.instantiate(&instance) {
                Ok(n) => n.as_str().to_owned(),
                Err(e) => {
                    report(format!("{name}: {e}"));
                    continue;
                }
            };
            s.instances.insert(service.clone(), source);
            // Blocking, as the service expects a plain connection.
            let _ = conn.set_nonblocking(false);
            let fds = SocketFds {
                fds: vec![PassedFd {
                    fd: Arc::new(conn.into()),
                    name: "connection".into(),
                }],
                env,
                connection: true,
            };
            self.supervisor.set_socket_fds(&service, Some(fds));
            let by = Activation::Socket {
                unit: name.to_owned(),
            };
            if let Err(e) = self.supervisor.start_with(&service, by) {
                report(format!("{name}: Failed to queue service startup job: {e}"));
                self.supervisor.set_socket_fds(&service, None);
                if let Some(s) = self.sockets.active.get_mut(name) {
                    s.instances.remove(&service);
                }
            }
        }
        // More may be waiting: look again at the next turn.
        if let Some(s) = self.sockets.active.get_mut(name) {
            s.recheck = true;
        }
    }

    /// After the supervisor's changes: a `running` socket whose service is
    /// at rest listens again (a connection left waiting starts it again),
    /// and the instances of ended connections are let go.
    pub fn settle_sockets(&mut self) {
        if self.sockets.active.is_empty()
            && self.sockets.detached_instances.is_empty()
            && self.sockets.ended_instances.is_empty()
        {
            return;
        }
        let at_rest = |state: &State, service: &str| {
            !state.supervisor.has_job(service)
                && state
                    .supervisor
                    .status(service)
                    .is_none_or(|st| st.active.is_inactive_or_failed())
        };
        let mut resumed = Vec::new();
        let mut ended = Vec::new();
        for (name, s) in &self.sockets.active {
            if s.state == SocketState::Running && at_rest(self, s.unit.triggers.as_str()) {
                resumed.push(name.clone());
            }
            for instance in s.instances.keys() {
                if at_rest(self, instance) {
                    ended.push((name.clone(), instance.clone()));
                }
            }
        }
        for name in resumed {
            self.set_socket_state(&name, SocketState::Listening);
            if let Some(s) = self.sockets.active.get_mut(&name) {
                // A connection may have come while it was not watched.
                s.recheck = true;
            }
        }
        let detached: Vec<String> = self
            .sockets
            .detached_instances
            .iter()
            .filter(|i| at_rest(self, i))
            .cloned()
            .collect();
        for instance in detached {
            self.sockets.detached_instances.remove(&instance);
            ended.push((String::new(), instance));
        }
        for (name, instance) in ended {
            if let Some(s) = self.sockets.active.get_mut(&name) {
                s.instances.remove(&instance);
            }
            // The connection closes with the last copy; the instance is
            // forgotten, as systemd collects it.
            self.supervisor.set_socket_fds(&instance, None);
            self.sockets.ended_instances.insert(instance);
        }
        let supervisor = &mut self.supervisor;
        self.sockets
            .ended_instances
            .retain(|instance| !supervisor.remove_unit(instance));
    }
}

fn port(kind: ListenKind, address: String, fd: std::os::fd::OwnedFd) -> Port {
    let fd = Arc::new(fd);
    // A file epoll refuses (a regular file as ListenSpecial=) is passed
    // but never triggers.
    // SAFETY: the `SharedFd` holds its own reference to the descriptor, so
    // it stays open, and the same, for as long as the registration.
    let watch = unsafe {
        AsyncFd::register_with_interest(SharedFd(Arc::clone(&fd)), tokio::io::Interest::READABLE)
    }
    .ok();
    Port {
        kind,
        address,
        watch,
        fd,
    }
}
