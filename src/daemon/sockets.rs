//! The steps of socket activation on the daemon's state: a ready port
//! starting its service, and the socket following its service back to
//! `listening` (see [`super::socket_units`] for the rules; starting and
//! stopping are in [`super::socket_lifecycle`]).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use tokio::io::unix::AsyncFd;

use super::socket_open;
use super::socket_units::{ActiveSocket, Port, Ready, SharedFd, SocketState};
use super::state::{report, State};
use crate::activation::Activation;
use crate::supervisor::socket_fds::{PassedFd, SocketFds};
use crate::unit::socket::ListenKind;
use crate::unit::SocketUnit;

/// How many connections one wake-up accepts: a flood of connections must
/// not hold the loop; the rest are taken at the next turn.
const ACCEPTS_PER_TURN: usize = 64;

impl State {
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
                .dependencies
                .requires
                .iter()
                .chain(&section.dependencies.wants)
                .chain(&section.dependencies.binds_to)
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
    pub(super) fn set_socket_state(&mut self, name: &str, new: SocketState) {
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

    /// Gives `service` the descriptors of the sockets that trigger it now,
    /// and every service whose Sockets= lists `socket` its descriptors: a
    /// socket opened or closed changes what they get.
    pub(super) fn pass_fds_of(&mut self, socket: &str, service: &str) {
        self.pass_fds_to(service);
        let listing: Vec<String> = self
            .units
            .loaded
            .services()
            .filter(|s| {
                s.service
                    .rare()
                    .sockets
                    .iter()
                    .any(|n| n.as_str() == socket)
            })
            .map(|s| s.name.as_str().to_owned())
            .collect();
        for other in listing {
            if other != service {
                self.pass_fds_to(&other);
            }
        }
    }

    /// Gives `service` the descriptors of the sockets that trigger it now.
    pub(super) fn pass_fds_to(&mut self, service: &str) {
        let listed: Vec<crate::unit::UnitName> = match self.units.get(service) {
            Some(crate::unit::Unit::Service(s)) => s.service.rare().sockets.clone(),
            _ => Vec::new(),
        };
        let fds = self.sockets.fds_for(service, &listed);
        self.supervisor.set_socket_fds(service, fds);
    }

    /// The socket fails with systemd's result word; its descriptors close.
    pub(super) fn socket_failed(&mut self, unit: &Arc<SocketUnit>, result: &'static str) {
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
        self.pass_fds_of(&name, unit.triggers.as_str());
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

pub(super) fn port(kind: ListenKind, address: String, fd: std::os::fd::OwnedFd) -> Port {
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
