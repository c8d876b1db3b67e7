//! The mount plan of a sandboxed service: its `PrivateTmp=`, `ProtectSystem=`,
//! `ReadWritePaths=`, ... turned into a flat list of steps that a child runs
//! in its own mount namespace, with raw system calls, before exec. Pure: what
//! the host's file system looks like comes in through a probe.
//!
//! As systemd's namespace.c: the entries are sorted by path and applied in
//! that order, so a deeper path (`ReadWritePaths=/srv/data`) overrides a
//! shallower one (`ProtectSystem=strict`'s `/`). Sources that must be seen
//! as the host has them (the sources of binds, the paths made writable
//! again) are copied first, before anything is changed (`open_tree` clones),
//! and attached in their turn: a writable path under a read-only one keeps
//! the host's own flags, never more.

use std::path::{Path, PathBuf};

use crate::unit::sandbox::{ProtectHome, ProtectProc, ProtectSystem, Sandbox};

/// What a path on the host is, as far as the plan cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Directory,
    /// Anything else (a file, a device node, a socket).
    Other,
}

/// One step in the child. `optional` steps are skipped when their path
/// does not exist (systemd's `-` prefix and its own optional entries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountStep {
    /// Keeps a detached copy of the mount tree at `path` in `slot`
    /// (`open_tree(OPEN_TREE_CLONE)`), taken before any step changes it.
    Clone {
        path: PathBuf,
        recursive: bool,
        slot: usize,
        optional: bool,
    },
    /// Attaches the copy in `slot` at `target` (`move_mount`).
    Attach {
        slot: usize,
        target: PathBuf,
        optional: bool,
    },
    /// Binds `target` onto itself, making it a mount point of its own.
    BindSelf {
        target: PathBuf,
        optional: bool,
    },
    /// Sets mount attributes (`MOUNT_ATTR_*`) on `target`.
    SetAttr {
        target: PathBuf,
        set: u64,
        recursive: bool,
        optional: bool,
    },
    /// Mounts a new file system (tmpfs, proc).
    Mount {
        fstype: &'static str,
        target: PathBuf,
        flags: u64,
        data: String,
        optional: bool,
    },
    /// Creates an empty file to bind a device node on.
    MakeFile {
        path: PathBuf,
    },
    /// Creates a directory with this mode.
    MakeDir {
        path: PathBuf,
        mode: u32,
    },
    Symlink {
        target: PathBuf,
        link: PathBuf,
    },
    /// Enters `RootDirectory=`: chdir, chroot.
    Chroot {
        root: PathBuf,
    },
}

/// Where the plan takes the host paths it needs.
#[derive(Debug, Clone)]
pub struct HostPaths {
    /// The invocation's private /tmp and /var/tmp (`PrivateTmp=`).
    pub private_tmp: Option<(PathBuf, PathBuf)>,
    /// An empty directory and an empty file, both mode 000, bound over
    /// inaccessible paths.
    pub inaccessible_dir: PathBuf,
    pub inaccessible_file: PathBuf,
}

/// `MOUNT_ATTR_*` (linux/mount.h).
pub const ATTR_RDONLY: u64 = 0x1;
pub const ATTR_NOSUID: u64 = 0x2;
pub const ATTR_NODEV: u64 = 0x4;
pub const ATTR_NOEXEC: u64 = 0x8;

/// The device nodes of `PrivateDevices=`'s /dev (systemd's list).
const DEVICE_NODES: [&str; 6] = ["null", "zero", "full", "random", "urandom", "tty"];

/// systemd 252's tables (namespace.c): path, optional.
const KERNEL_TUNABLES_READ_ONLY: [&str; 15] = [
    "/proc/acpi",
    "/proc/apm",
    "/proc/asound",
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/latency_stats",
    "/proc/mtrr",
    "/proc/scsi",
    "/proc/sys",
    "/proc/sysrq-trigger",
    "/proc/timer_stats",
    "/sys",
    "/sys/kernel/debug",
    "/sys/kernel/tracing",
];
const KERNEL_TUNABLES_INACCESSIBLE: [&str; 2] = ["/proc/kallsyms", "/proc/kcore"];
const KERNEL_MODULES: [&str; 2] = ["/lib/modules", "/usr/lib/modules"];
const KERNEL_LOGS: [&str; 2] = ["/proc/kmsg", "/dev/kmsg"];
const HOME: [&str; 3] = ["/home", "/root", "/run/user"];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Mode {
    ReadOnly,
    /// Back to the host's own flags.
    ReadWrite,
    Inaccessible,
    Tmpfs {
        data: String,
        flags: u64,
        read_only: bool,
    },
    Bind {
        source: PathBuf,
        recursive: bool,
        read_only: bool,
    },
    PrivateDev,
    Proc {
        data: String,
    },
}

#[derive(Debug, Clone)]
struct Entry {
    path: PathBuf,
    mode: Mode,
    optional: bool,
}

/// The steps for `sb`; empty when it needs no mount namespace. `probe`
/// says what a host path is (`None`: missing).
pub fn plan(
    sb: &Sandbox,
    root: Option<&Path>,
    host: &HostPaths,
    probe: &dyn Fn(&Path) -> Option<FileKind>,
) -> Vec<MountStep> {
    if !sb.mounts(root) {
        return Vec::new();
    }
    let in_root = |p: &str| match root {
        Some(r) => r.join(p.trim_start_matches('/')),
        None => PathBuf::from(p),
    };
    let mut entries = Vec::new();
    let mut add = |path: PathBuf, mode: Mode, optional: bool| {
        entries.push(Entry {
            path,
            mode,
            optional,
        })
    };
    match sb.protect_system {
        ProtectSystem::No => {}
        ProtectSystem::Yes | ProtectSystem::Full => {
            add(in_root("/usr"), Mode::ReadOnly, false);
            add(in_root("/boot"), Mode::ReadOnly, true);
            add(in_root("/efi"), Mode::ReadOnly, true);
            if sb.protect_system == ProtectSystem::Full {
                add(in_root("/etc"), Mode::ReadOnly, false);
            }
        }
        ProtectSystem::Strict => {
            add(in_root("/"), Mode::ReadOnly, false);
            // The API trees stay as they are (ProtectKernelTunables=,
            // PrivateDevices= protect them).
            for api in ["/proc", "/sys", "/dev"] {
                add(in_root(api), Mode::ReadWrite, true);
            }
        }
    }
    let home_mode = match sb.protect_home {
        ProtectHome::No => None,
        ProtectHome::Yes => Some(Mode::Inaccessible),
        ProtectHome::ReadOnly => Some(Mode::ReadOnly),
        ProtectHome::Tmpfs => Some(Mode::Tmpfs {
            data: "mode=0755".into(),
            flags: libc::MS_NODEV | libc::MS_STRICTATIME,
            read_only: true,
        }),
    };
    if let Some(mode) = home_mode {
        for h in HOME {
            add(in_root(h), mode.clone(), true);
        }
    }
    let user_path = |p: &crate::unit::sandbox::SandboxPath| {
        if p.in_root {
            in_root(p.path.to_str().unwrap_or("/"))
        } else {
            p.path.clone()
        }
    };
    for p in &sb.read_write_paths {
        add(user_path(p), Mode::ReadWrite, p.ignore_missing);
    }
    for p in &sb.read_only_paths {
        add(user_path(p), Mode::ReadOnly, p.ignore_missing);
    }
    for p in &sb.inaccessible_paths {
        add(user_path(p), Mode::Inaccessible, p.ignore_missing);
    }
    for t in &sb.temporary_file_systems {
        let (flags, data, read_only) = tmpfs_options(&t.options);
        add(
            in_root(t.path.to_str().unwrap_or("/")),
            Mode::Tmpfs {
                data,
                flags,
                read_only,
            },
            false,
        );
    }
    for b in &sb.bind_paths {
        add(
            in_root(b.destination.to_str().unwrap_or("/")),
            Mode::Bind {
                source: b.source.clone(),
                recursive: b.recursive,
                read_only: b.read_only,
            },
            b.ignore_missing,
        );
    }
    if let Some((tmp, var_tmp)) = &host.private_tmp {
        for (source, target) in [(tmp, "/tmp"), (var_tmp, "/var/tmp")] {
            add(
                in_root(target),
                Mode::Bind {
                    source: source.clone(),
                    recursive: false,
                    read_only: false,
                },
                false,
            );
        }
    }
    if sb.private_devices {
        add(in_root("/dev"), Mode::PrivateDev, false);
    }
    if sb.protect_kernel_tunables {
        for p in KERNEL_TUNABLES_READ_ONLY {
            add(in_root(p), Mode::ReadOnly, p != "/sys");
        }
        if !sb.protect_control_groups {
            // systemd: the cgroup tree stays writable unless
            // ProtectControlGroups= says otherwise.
            add(in_root("/sys/fs/cgroup"), Mode::ReadWrite, true);
        }
        for p in KERNEL_TUNABLES_INACCESSIBLE {
            add(in_root(p), Mode::Inaccessible, true);
        }
    }
    if sb.protect_kernel_modules {
        for p in KERNEL_MODULES {
            add(in_root(p), Mode::Inaccessible, true);
        }
    }
    if sb.protect_kernel_logs {
        for p in KERNEL_LOGS {
            add(in_root(p), Mode::Inaccessible, true);
        }
    }
    if sb.protect_control_groups {
        add(in_root("/sys/fs/cgroup"), Mode::ReadOnly, false);
    }
    if sb.protect_proc != ProtectProc::Default || sb.proc_subset_pid {
        let mut options = Vec::new();
        if let Some(h) = sb.protect_proc.hidepid() {
            options.push(format!("hidepid={h}"));
        }
        if sb.proc_subset_pid {
            options.push("subset=pid".to_owned());
        }
        add(
            in_root("/proc"),
            Mode::Proc {
                data: options.join(","),
            },
            false,
        );
    }
    // By path (a parent before its children); equal paths keep their order.
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    steps(entries, root, host, probe)
}

/// Splits `TemporaryFileSystem=`'s options into mount flags, the tmpfs's
/// own options, and read-only.
fn tmpfs_options(options: &str) -> (u64, String, bool) {
    let mut flags = libc::MS_NODEV | libc::MS_STRICTATIME;
    let mut read_only = false;
    let mut data = vec!["mode=0755".to_owned()];
    for o in options.split(',').filter(|o| !o.is_empty()) {
        match o {
            "ro" => read_only = true,
            "rw" => read_only = false,
            "nosuid" => flags |= libc::MS_NOSUID,
            "suid" => flags &= !libc::MS_NOSUID,
            "nodev" => flags |= libc::MS_NODEV,
            "dev" => flags &= !libc::MS_NODEV,
            "noexec" => flags |= libc::MS_NOEXEC,
            "exec" => flags &= !libc::MS_NOEXEC,
            _ if o.starts_with("mode=") => data[0] = o.to_owned(),
            _ => data.push(o.to_owned()),
        }
    }
    (flags, data.join(","), read_only)
}

fn steps(
    entries: Vec<Entry>,
    root: Option<&Path>,
    host: &HostPaths,
    probe: &dyn Fn(&Path) -> Option<FileKind>,
) -> Vec<MountStep> {
    let mut clones = Vec::new();
    let mut rest = Vec::new();
    if let Some(r) = root {
        rest.push(MountStep::BindSelf {
            target: r.to_owned(),
            optional: false,
        });
    }
    let clone = |clones: &mut Vec<MountStep>, path: &Path, recursive: bool, optional| {
        let slot = clones.len();
        clones.push(MountStep::Clone {
            path: path.to_owned(),
            recursive,
            slot,
            optional,
        });
        slot
    };
    for e in entries {
        let (target, optional) = (e.path, e.optional);
        match e.mode {
            Mode::ReadOnly => {
                if Some(target.as_path()) != root && target != Path::new("/") {
                    rest.push(MountStep::BindSelf {
                        target: target.clone(),
                        optional,
                    });
                }
                rest.push(MountStep::SetAttr {
                    target,
                    set: ATTR_RDONLY,
                    recursive: true,
                    optional,
                });
            }
            Mode::ReadWrite => {
                let slot = clone(&mut clones, &target, true, optional);
                rest.push(MountStep::Attach {
                    slot,
                    target,
                    optional,
                });
            }
            Mode::Inaccessible => {
                let kind = probe(&target);
                if kind.is_none() && optional {
                    continue;
                }
                let node = match kind {
                    Some(FileKind::Other) => &host.inaccessible_file,
                    _ => &host.inaccessible_dir,
                };
                let slot = clone(&mut clones, node, false, false);
                rest.push(MountStep::Attach {
                    slot,
                    target: target.clone(),
                    optional,
                });
                rest.push(MountStep::SetAttr {
                    target,
                    set: ATTR_RDONLY | ATTR_NOSUID | ATTR_NODEV | ATTR_NOEXEC,
                    recursive: false,
                    optional,
                });
            }
            Mode::Tmpfs {
                data,
                flags,
                read_only,
            } => {
                rest.push(MountStep::Mount {
                    fstype: "tmpfs",
                    target: target.clone(),
                    flags,
                    data,
                    optional,
                });
                if read_only {
                    rest.push(MountStep::SetAttr {
                        target,
                        set: ATTR_RDONLY,
                        recursive: false,
                        optional,
                    });
                }
            }
            Mode::Bind {
                source,
                recursive,
                read_only,
            } => {
                if optional && probe(&source).is_none() {
                    continue;
                }
                let slot = clone(&mut clones, &source, recursive, false);
                rest.push(MountStep::Attach {
                    slot,
                    target: target.clone(),
                    optional: false,
                });
                if read_only {
                    rest.push(MountStep::SetAttr {
                        target,
                        set: ATTR_RDONLY,
                        recursive,
                        optional: false,
                    });
                }
            }
            Mode::PrivateDev => {
                rest.push(MountStep::Mount {
                    fstype: "tmpfs",
                    target: target.clone(),
                    flags: libc::MS_NOSUID | libc::MS_NOEXEC | libc::MS_STRICTATIME,
                    data: "mode=0755".into(),
                    optional: false,
                });
                for node in DEVICE_NODES {
                    let host_node = Path::new("/dev").join(node);
                    if probe(&host_node).is_none() {
                        continue;
                    }
                    let slot = clone(&mut clones, &host_node, false, false);
                    let path = target.join(node);
                    rest.push(MountStep::MakeFile { path: path.clone() });
                    rest.push(MountStep::Attach {
                        slot,
                        target: path,
                        optional: false,
                    });
                }
                for (dir, mode) in [("pts", 0o755), ("shm", 0o1777), ("mqueue", 0o755)] {
                    let host_dir = Path::new("/dev").join(dir);
                    if probe(&host_dir) != Some(FileKind::Directory) {
                        continue;
                    }
                    let slot = clone(&mut clones, &host_dir, true, false);
                    let path = target.join(dir);
                    rest.push(MountStep::MakeDir {
                        path: path.clone(),
                        mode,
                    });
                    rest.push(MountStep::Attach {
                        slot,
                        target: path,
                        optional: false,
                    });
                }
                for (link, to) in [
                    ("ptmx", "pts/ptmx"),
                    ("fd", "/proc/self/fd"),
                    ("stdin", "/proc/self/fd/0"),
                    ("stdout", "/proc/self/fd/1"),
                    ("stderr", "/proc/self/fd/2"),
                ] {
                    rest.push(MountStep::Symlink {
                        target: PathBuf::from(to),
                        link: target.join(link),
                    });
                }
                rest.push(MountStep::SetAttr {
                    target,
                    set: ATTR_RDONLY,
                    recursive: false,
                    optional: false,
                });
            }
            Mode::Proc { data } => rest.push(MountStep::Mount {
                fstype: "proc",
                target,
                flags: libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
                data,
                optional: false,
            }),
        }
    }
    if let Some(r) = root {
        rest.push(MountStep::Chroot { root: r.to_owned() });
    }
    clones.extend(rest);
    clones
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::test_text::service_unit;

    fn host() -> HostPaths {
        HostPaths {
            private_tmp: None,
            inaccessible_dir: "/run/s/inaccessible/dir".into(),
            inaccessible_file: "/run/s/inaccessible/file".into(),
        }
    }

    fn sandbox(lines: &str) -> Sandbox {
        let u = service_unit(&format!("ExecStart=/bin/true\n{lines}"));
        u.service
            .rare()
            .sandbox
            .as_deref()
            .cloned()
            .unwrap_or_default()
    }

    fn every_path_exists(p: &Path) -> Option<FileKind> {
        Some(if p.starts_with("/dev") && p != Path::new("/dev") {
            FileKind::Other
        } else {
            FileKind::Directory
        })
    }

    #[test]
    fn strict_then_a_writable_path_under_it() {
        let sb = sandbox("ProtectSystem=strict\nReadWritePaths=/srv/data");
        let steps = plan(&sb, None, &host(), &every_path_exists);
        // Clones first (the API trees and the writable path, as the host has them).
        let clones: Vec<_> = steps
            .iter()
            .filter_map(|s| match s {
                MountStep::Clone { path, .. } => Some(path.to_str().unwrap_or("")),
                _ => None,
            })
            .collect();
        assert_eq!(clones, ["/dev", "/proc", "/srv/data", "/sys"]);
        let root_ro = steps
            .iter()
            .position(|s| matches!(s, MountStep::SetAttr { target, set: ATTR_RDONLY, recursive: true, .. } if target == Path::new("/")))
            .expect("/ made read-only");
        let data_back = steps
            .iter()
            .position(|s| matches!(s, MountStep::Attach { target, .. } if target == Path::new("/srv/data")))
            .expect("/srv/data attached");
        assert!(root_ro < data_back);
        assert!(!steps
            .iter()
            .any(|s| matches!(s, MountStep::BindSelf { target, .. } if target == Path::new("/"))));
    }

    #[test]
    fn missing_optional_paths_are_left_out() {
        let sb = sandbox("ProtectHome=yes\nInaccessiblePaths=-/nope /etc/shadow");
        let probe = |p: &Path| (p == Path::new("/etc/shadow")).then_some(FileKind::Other);
        let steps = plan(&sb, None, &host(), &probe);
        let attached: Vec<_> = steps
            .iter()
            .filter_map(|s| match s {
                MountStep::Attach { target, .. } => Some(target.to_str().unwrap_or("")),
                _ => None,
            })
            .collect();
        assert_eq!(attached, ["/etc/shadow"]);
        assert!(steps.contains(&MountStep::Clone {
            path: "/run/s/inaccessible/file".into(),
            recursive: false,
            slot: 0,
            optional: false
        }));
    }

    #[test]
    fn private_tmp_devices_proc_and_root() {
        let sb =
            sandbox("PrivateTmp=yes\nPrivateDevices=yes\nProtectProc=invisible\nProcSubset=pid");
        let mut h = host();
        h.private_tmp = Some(("/run/s/tmp/a/tmp".into(), "/run/s/tmp/a/var-tmp".into()));
        let steps = plan(&sb, Some(Path::new("/srv/root")), &h, &every_path_exists);
        assert!(matches!(steps.last(), Some(MountStep::Chroot { .. })));
        assert!(steps.iter().any(|s| matches!(s, MountStep::Attach { target, .. } if target == Path::new("/srv/root/tmp"))));
        assert!(steps.iter().any(|s| matches!(s, MountStep::Attach { target, .. } if target == Path::new("/srv/root/dev/null"))));
        assert!(steps.iter().any(|s| matches!(s, MountStep::Mount { fstype: "proc", data, .. } if data == "hidepid=invisible,subset=pid")));
        assert!(plan(&sandbox("ProtectClock=yes"), None, &h, &every_path_exists).is_empty());
        assert_eq!(
            tmpfs_options("ro,size=10M,noexec"),
            (
                libc::MS_NODEV | libc::MS_STRICTATIME | libc::MS_NOEXEC,
                "mode=0755,size=10M".to_owned(),
                true
            )
        );
    }
}
