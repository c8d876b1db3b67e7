//! Who may talk to the daemon, decided from the peer's credentials
//! (SO_PEERCRED, which the kernel fills in at connect time and a client cannot
//! forge).

use super::protocol::Request;

/// The connecting process, as the kernel reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    /// Effective user id at connect time.
    pub uid: u32,
    /// Effective group id at connect time.
    pub gid: u32,
    /// Process id, when the kernel reports one.
    pub pid: Option<i32>,
}

/// The daemon's access rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// The system daemon: everyone may read, only root may change state (as
    /// systemctl's polkit-less default for unprivileged users).
    System,
    /// A user's daemon: only its owner may connect, as only the owner reaches
    /// a systemd user manager's bus.
    User {
        /// The uid the daemon runs as.
        owner: u32,
    },
}

impl Policy {
    /// Whether `peer` may connect at all.
    pub fn admits(self, peer: Peer) -> bool {
        match self {
            Policy::System => true,
            Policy::User { owner } => peer.uid == owner,
        }
    }

    /// Whether `peer` may send `request`.
    pub fn allows(self, peer: Peer, request: &Request) -> bool {
        match self {
            Policy::System => peer.uid == 0 || request.is_read_only(),
            Policy::User { .. } => self.admits(peer),
        }
    }

    /// The mode for the socket file: the kernel's own check in front of ours.
    pub fn socket_mode(self) -> u32 {
        match self {
            Policy::System => 0o666,
            Policy::User { .. } => 0o600,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipc::{HistoryRequest, StatusRequest, UnitsRequest};

    fn peer(uid: u32) -> Peer {
        Peer {
            uid,
            gid: uid,
            pid: None,
        }
    }

    #[test]
    fn system_mode_lets_others_read_only() {
        let start = Request::Start(UnitsRequest {
            units: vec!["a.service".into()],
        });
        let status = Request::Status(StatusRequest {
            units: vec![],
            lines: None,
        });
        assert!(Policy::System.admits(peer(1000)));
        assert!(Policy::System.allows(peer(0), &start));
        assert!(!Policy::System.allows(peer(1000), &start));
        assert!(Policy::System.allows(peer(1000), &status));
        assert!(!Policy::System.allows(peer(1000), &Request::DaemonReload));
    }

    #[test]
    fn user_mode_admits_only_the_owner() {
        let policy = Policy::User { owner: 1000 };
        let start = Request::Start(UnitsRequest {
            units: vec!["a.service".into()],
        });
        assert!(policy.admits(peer(1000)));
        assert!(policy.allows(peer(1000), &start));
        assert!(!policy.admits(peer(1001)));
        assert!(!policy.admits(peer(0)));
        assert!(!policy.allows(
            peer(1001),
            &Request::History(HistoryRequest {
                unit: None,
                limit: None
            })
        ));
    }
}
