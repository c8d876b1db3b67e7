//! The signals the daemon acts on. SIGCHLD belongs to the supervisor, which
//! reaps every child, orphans included (the daemon is child subreaper, and as
//! PID 1 of a container every orphan of the container is its child).
//!
//! - SIGTERM, SIGINT: stop every service in reverse dependency order, each
//!   within its TimeoutStopSec=, then exit. Stopping sends the services their
//!   KillSignal=, which is how a container's `docker stop` reaches them. A
//!   second SIGTERM or SIGINT during the stop exits at once.
//! - SIGHUP: daemon-reload, as systemd does.
//!
//! As PID 1 the kernel drops signals that have no handler; installing these
//! handlers is what makes `docker stop` work at all.

use std::io;

use tokio::signal::unix::{signal, Signal, SignalKind};

/// What a signal asks of the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DaemonSignal {
    /// SIGTERM or SIGINT.
    Terminate(&'static str),
    /// SIGHUP.
    Reload,
}

/// The handlers, installed at once.
#[derive(Debug)]
pub struct Signals {
    term: Signal,
    int: Signal,
    hup: Signal,
}

impl Signals {
    /// Installs the handlers. Needs a tokio runtime.
    pub fn install() -> io::Result<Signals> {
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    /// The next signal. Cancel-safe.
    pub async fn recv(&mut self) -> DaemonSignal {
        tokio::select! {
            Some(()) = self.term.recv() => DaemonSignal::Terminate("SIGTERM"),
            Some(()) = self.int.recv() => DaemonSignal::Terminate("SIGINT"),
            Some(()) = self.hup.recv() => DaemonSignal::Reload,
        }
    }
}
