//! `PrivateUsers=`: the user and group maps of a service's user namespace,
//! as systemd 252 writes them (exec_child's setup_private_users). Pure: the
//! ids are arguments; `spawn::sandbox_child` enters the namespace and a
//! helper process writes the maps from outside it.

/// What a helper outside the namespace writes into the child's
/// `/proc/PID/{setgroups,uid_map,gid_map}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserMaps {
    pub uid_map: String,
    pub gid_map: String,
    /// `deny` goes into `setgroups` first: an unprivileged writer may map
    /// only its own group, and only so (user_namespaces(7)).
    pub deny_setgroups: bool,
}

/// The maps of a service running as `uid`/`gid`, started by a daemon
/// running as `own_uid`/`own_gid`. systemd 252: "maps the root user and
/// group as well as the unit's own user and group to themselves and
/// everything else to the nobody user"; a daemon that is not root can only
/// map its own ids, and does.
pub fn maps(own_uid: u32, own_gid: u32, uid: u32, gid: u32) -> UserMaps {
    let lines = |own: u32, id: u32| {
        if own != 0 {
            format!("{own} {own} 1\n")
        } else if id == 0 {
            "0 0 1\n".to_owned()
        } else {
            format!("0 0 1\n{id} {id} 1\n")
        }
    };
    UserMaps {
        uid_map: lines(own_uid, uid),
        gid_map: lines(own_uid, if own_uid == 0 { gid } else { own_gid }),
        deny_setgroups: own_uid != 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_maps_root_and_the_services_ids_to_themselves() {
        let m = maps(0, 0, 1000, 100);
        assert_eq!(m.uid_map, "0 0 1\n1000 1000 1\n");
        assert_eq!(m.gid_map, "0 0 1\n100 100 1\n");
        assert!(!m.deny_setgroups);
        // A service running as root: one line each.
        let m = maps(0, 0, 0, 0);
        assert_eq!(
            (m.uid_map.as_str(), m.gid_map.as_str()),
            ("0 0 1\n", "0 0 1\n")
        );
    }

    #[test]
    fn a_user_daemon_maps_only_itself() {
        let m = maps(1000, 1000, 1000, 1000);
        assert_eq!(m.uid_map, "1000 1000 1\n");
        assert_eq!(m.gid_map, "1000 1000 1\n");
        assert!(m.deny_setgroups);
    }
}
