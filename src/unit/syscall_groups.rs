//! systemd's named system call groups (`@system-service`, `@mount`, ...), as
//! `SystemCallFilter=` and `SystemCallLog=` name them. The table is data
//! (`syscall_groups.txt`, systemd 252's `syscall_filter_sets`); this module
//! only reads it. Which of the names an architecture has is the seccomp
//! compiler's business (`supervisor::seccomp`).

use std::collections::BTreeSet;

/// The table: one group a line, its name then its members.
const TABLE: &str = include_str!("syscall_groups.txt");

/// The members of a group as the table lists them (system calls and other
/// groups), or `None` for a name that is not a group. `@known` is not in
/// the table: it is every system call of the architecture (see
/// [`expand`]).
pub fn members(group: &str) -> Option<impl Iterator<Item = &'static str>> {
    TABLE.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        let mut words = l.split_ascii_whitespace();
        (words.next() == Some(group)).then_some(words)
    })
}

/// The x86-64 system call numbers (the kernel's `asm/unistd_64.h`).
const X86_64: &str = include_str!("syscalls_x86_64.txt");

/// The system calls of the architecture sundial is built for, with their
/// numbers; empty where sundial has no table (seccomp filters are then
/// refused).
pub fn known() -> Vec<(&'static str, i64)> {
    if !cfg!(target_arch = "x86_64") {
        return Vec::new();
    }
    X86_64
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (name, nr) = l.split_once(' ')?;
            Some((name, nr.trim().parse().ok()?))
        })
        .collect()
}

/// The names of every group, `@known` included, in the table's order.
pub fn names() -> impl Iterator<Item = &'static str> {
    TABLE
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_ascii_whitespace().next())
        .chain(std::iter::once("@known"))
}

/// Whether `name` is a group (`@known` included).
pub fn is_group(name: &str) -> bool {
    name == "@known" || members(name).is_some()
}

/// Every system call a name stands for: a group's members, nested groups
/// resolved; a plain name stands for itself. `known` lists the
/// architecture's system calls, which `@known` stands for. `None` for an
/// unknown group.
pub fn expand(name: &str, known: &[&'static str]) -> Option<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    if !name.starts_with('@') {
        out.insert(name.to_owned());
        return Some(out);
    }
    if name == "@known" {
        out.extend(known.iter().map(|s| (*s).to_owned()));
        return Some(out);
    }
    let mut pending = vec![name];
    let mut seen = BTreeSet::new();
    while let Some(group) = pending.pop() {
        if !seen.insert(group) {
            continue;
        }
        for m in members(group)? {
            if m.starts_with('@') {
                pending.push(m);
            } else {
                out.insert(m.to_owned());
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_groups_of_systemd_252_are_all_there() {
        for g in [
            "@system-service",
            "@mount",
            "@privileged",
            "@clock",
            "@module",
            "@raw-io",
            "@reboot",
            "@swap",
            "@obsolete",
            "@cpu-emulation",
            "@debug",
            "@default",
            "@basic-io",
            "@file-system",
            "@io-event",
            "@ipc",
            "@keyring",
            "@memlock",
            "@network-io",
            "@process",
            "@resources",
            "@setuid",
            "@signal",
            "@sync",
            "@timer",
            "@aio",
            "@chown",
            "@pkey",
            "@sandbox",
            "@known",
        ] {
            assert!(is_group(g), "{g}");
            assert!(names().any(|n| n == g), "{g}");
        }
        assert!(!is_group("@nonsense") && expand("@nonsense", &[]).is_none());
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn names_resolve_to_x86_64_numbers() {
        let known = known();
        let nr = |n: &str| known.iter().find(|(k, _)| *k == n).map(|(_, nr)| *nr);
        assert_eq!(nr("read"), Some(libc::SYS_read));
        assert_eq!(nr("mount"), Some(libc::SYS_mount));
        assert_eq!(nr("clone3"), Some(libc::SYS_clone3));
        assert_eq!(nr("sethostname"), Some(libc::SYS_sethostname));
        assert!(known.len() > 300);
        // Every group has members on x86-64 (names of other architectures,
        // like mmap2 or set_tls, are skipped there).
        for g in names().filter(|g| *g != "@known") {
            let members = expand(g, &[]).expect("a group");
            assert!(members.iter().any(|m| nr(m).is_some()), "{g}");
        }
    }

    #[test]
    fn nested_groups_resolve_to_their_members() {
        let mount = expand("@mount", &[]).expect("a group");
        assert!(
            mount.contains("mount") && mount.contains("umount2") && mount.contains("pivot_root")
        );
        assert!(!mount.contains("read"));
        // @system-service includes @basic-io (read) and @signal (kill) but not @mount.
        let service = expand("@system-service", &[]).expect("a group");
        assert!(service.contains("read") && service.contains("kill") && service.contains("execve"));
        assert!(!service.contains("mount") && !service.contains("reboot"));
        // @privileged includes @chown, @clock, @module, @raw-io, @reboot, @swap.
        let privileged = expand("@privileged", &[]).expect("a group");
        for s in [
            "chown",
            "settimeofday",
            "init_module",
            "iopl",
            "reboot",
            "swapon",
        ] {
            assert!(privileged.contains(s), "{s}");
        }
        assert_eq!(
            expand("@known", &["read", "write"]).map(|s| s.len()),
            Some(2)
        );
        assert_eq!(
            expand("getpid", &[]).map(|s| s.into_iter().collect::<Vec<_>>()),
            Some(vec!["getpid".to_owned()])
        );
    }
}
