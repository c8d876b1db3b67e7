//! What a client may read through the daemon. The daemon reads unit files
//! as its own user (root, for the system manager); a client must get only
//! what it could read itself, so each file is checked against the peer's
//! user and groups before its text is sent. Logs follow journald's rule: in
//! the system daemon, a user outside the `adm` and `systemd-journal` groups
//! reads only the logs of units that run as that user.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::daemon::state::State;
use crate::ipc::Peer;
use crate::unit::Scope;
use crate::unit::Unit;

/// The groups whose members read every unit's log, as journald grants
/// them the system journal.
pub const LOG_READER_GROUPS: [&str; 2] = ["adm", "systemd-journal"];

/// Whose logs a client may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogAccess {
    /// Every unit's: root, the user daemon's owner, the log reader groups.
    All,
    /// Only those of units whose processes run as this uid.
    RunningAs(u32),
}

impl LogAccess {
    /// The rule for `peer` of a daemon of `scope`.
    pub fn of(scope: Scope, peer: &Peer) -> LogAccess {
        // A user daemon admits only its owner, whose units they all are.
        if scope != Scope::System || peer.uid == 0 {
            return LogAccess::All;
        }
        let readers: Vec<u32> = LOG_READER_GROUPS
            .iter()
            .filter_map(|g| nix::unistd::Group::from_name(g).ok().flatten())
            .map(|g| g.gid.as_raw())
            .collect();
        if groups_of(peer).iter().any(|g| readers.contains(g)) {
            LogAccess::All
        } else {
            LogAccess::RunningAs(peer.uid)
        }
    }

    /// Whether the log of `unit` may be read. A unit that is no longer
    /// loaded cannot be told whose it was: only `All` reads it.
    pub fn admits(self, state: &State, unit: &str) -> bool {
        let LogAccess::RunningAs(uid) = self else {
            return true;
        };
        let service = match state.units.get(unit) {
            Some(Unit::Service(s)) => Some(s.clone()),
            // A timer's lines are about the service it starts.
            Some(Unit::Timer(t)) => match state.units.get(t.triggers.as_str()) {
                Some(Unit::Service(s)) => Some(s.clone()),
                _ => None,
            },
            _ => None,
        };
        service.is_some_and(|s| runs_as(s.service.process.user.as_deref()) == Some(uid))
    }
}

/// The uid a service with `User=user` runs as in the system daemon: root
/// without one.
fn runs_as(user: Option<&str>) -> Option<u32> {
    let Some(user) = user else {
        return Some(0);
    };
    if let Ok(uid) = user.parse::<u32>() {
        return Some(uid);
    }
    nix::unistd::User::from_name(user)
        .ok()
        .flatten()
        .map(|u| u.uid.as_raw())
}

/// Whether `peer` could open `path` for reading by its mode bits: root
/// always, else the owner's, the group's or the others' read bit as the
/// kernel picks the class (owner first, then any of the peer's groups).
pub fn may_read(path: &Path, peer: &Peer) -> bool {
    if peer.uid == 0 {
        return true;
    }
    let Ok(meta) = fs::metadata(path) else {
        // Whatever is missing is told as missing, by the caller's read.
        return true;
    };
    let mode = meta.mode();
    if meta.uid() == peer.uid {
        return mode & 0o400 != 0;
    }
    if groups_of(peer).contains(&meta.gid()) {
        return mode & 0o040 != 0;
    }
    mode & 0o004 != 0
}

/// The peer's primary group and, when its process can still be looked at,
/// its supplementary groups (`Groups:` of /proc/PID/status).
fn groups_of(peer: &Peer) -> Vec<u32> {
    let mut groups = vec![peer.gid];
    if let Some(pid) = peer.pid {
        if let Ok(status) = fs::read_to_string(format!("/proc/{pid}/status")) {
            if let Some(line) = status.lines().find_map(|l| l.strip_prefix("Groups:")) {
                groups.extend(
                    line.split_whitespace()
                        .filter_map(|g| g.parse::<u32>().ok()),
                );
            }
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn peer(uid: u32, gid: u32) -> Peer {
        Peer {
            uid,
            gid,
            pid: None,
        }
    }

    #[test]
    fn mode_bits_decide_by_class() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secret.service");
        fs::write(&file, "[Service]\n").unwrap();
        let meta = fs::metadata(&file).unwrap();
        let (owner, group) = (meta.uid(), meta.gid());
        let set = |mode| fs::set_permissions(&file, fs::Permissions::from_mode(mode)).unwrap();

        set(0o600);
        assert!(may_read(&file, &peer(0, 0)), "root reads anything");
        if owner != 0 {
            assert!(may_read(&file, &peer(owner, group)));
        }
        assert!(!may_read(&file, &peer(65534, 65534)), "others may not");
        assert!(!may_read(&file, &peer(65534, group)), "nor the group");
        set(0o640);
        assert!(may_read(&file, &peer(65534, group)), "the group may");
        assert!(!may_read(&file, &peer(65534, 65534)));
        set(0o644);
        assert!(
            may_read(&file, &peer(65534, 65534)),
            "a world-readable file"
        );
        if owner != 0 {
            set(0o044);
            assert!(
                !may_read(&file, &peer(owner, group)),
                "the owner class wins"
            );
        }
        assert!(may_read(&dir.path().join("missing"), &peer(65534, 65534)));
    }
}
