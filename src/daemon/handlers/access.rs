//! What a client may read through the daemon. The daemon reads unit files
//! as its own user (root, for the system manager); a client must get only
//! what it could read itself, so each file is checked against the peer's
//! user and groups before its text is sent.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::ipc::Peer;

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
