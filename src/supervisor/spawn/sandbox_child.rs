//! The sandbox in the child: namespaces entered, the mount plan run, seccomp
//! filters installed; everything prepared by the parent
//! ([`SandboxImage::new`]), only raw system calls here.

use std::ffi::{CStr, CString};

use seccompiler::BpfProgram;

use super::raw::{self, sys};
use super::{cstring, exit_code, SpawnFailure};
use crate::supervisor::namespaces::MountStep;
use crate::supervisor::user_namespace::UserMaps;

/// The sandbox of one command, as the supervisor asks for it.
#[derive(Debug, Default)]
pub struct SandboxRequest {
    /// `CLONE_NEW*` flags to unshare.
    pub unshare: i32,
    /// Bring the loopback device up (`PrivateNetwork=`).
    pub loopback_up: bool,
    pub mounts: Vec<MountStep>,
    pub filters: Vec<BpfProgram>,
    /// `PrivateUsers=`: a user namespace with these maps.
    pub user_namespace: Option<UserMaps>,
}

/// The most mount tree copies one plan may hold at once.
pub const MAX_CLONES: usize = 64;

/// A mount step with its paths as C strings.
enum Step {
    Clone {
        path: CString,
        flags: u32,
        slot: usize,
        optional: bool,
    },
    Attach {
        slot: usize,
        target: CString,
        optional: bool,
    },
    BindSelf {
        target: CString,
        optional: bool,
    },
    SetAttr {
        target: CString,
        attr: [u64; 4],
        flags: u32,
        optional: bool,
    },
    Mount {
        fstype: CString,
        target: CString,
        flags: u64,
        data: CString,
        optional: bool,
    },
    MakeFile(CString),
    MakeDir(CString, u32),
    Symlink(CString, CString),
    Chroot(CString),
}

impl Step {
    /// The path a step works on, for the failure report.
    fn path(&self) -> &CStr {
        match self {
            Step::Clone { path, .. }
            | Step::MakeFile(path)
            | Step::MakeDir(path, _)
            | Step::Chroot(path) => path,
            Step::Attach { target, .. }
            | Step::BindSelf { target, .. }
            | Step::SetAttr { target, .. }
            | Step::Mount { target, .. } => target,
            Step::Symlink(_, link) => link,
        }
    }
}

/// What the child reads.
pub(super) struct SandboxImage {
    unshare: i32,
    loopback_up: bool,
    steps: Vec<Step>,
    /// `struct sock_fprog`s pointing into `_programs`.
    filters: Vec<libc::sock_fprog>,
    _programs: Vec<BpfProgram>,
    /// The exec report, where a failure is told (see `ExecReport`).
    report: Option<i32>,
    users: Option<UserImage>,
}

/// The maps of `PrivateUsers=`, as the helper writes them.
struct UserImage {
    uid_map: Vec<u8>,
    gid_map: Vec<u8>,
    deny_setgroups: bool,
}

const OPEN_TREE_CLONE: u32 = 1;
const AT_RECURSIVE: u32 = 0x8000;
const MOVE_MOUNT_F_EMPTY_PATH: u32 = 0x4;

impl SandboxImage {
    pub(super) fn new(
        req: &SandboxRequest,
        report: Option<i32>,
    ) -> Result<SandboxImage, SpawnFailure> {
        let c = |p: &std::path::Path| {
            use std::os::unix::ffi::OsStrExt;
            cstring(p.as_os_str().as_bytes())
        };
        let mut steps = Vec::with_capacity(req.mounts.len());
        for s in &req.mounts {
            steps.push(match s {
                MountStep::Clone {
                    path,
                    recursive,
                    slot,
                    optional,
                } => {
                    if *slot >= MAX_CLONES {
                        return Err(SpawnFailure {
                            exit_status: exit_code::NAMESPACE,
                            error: std::io::Error::other("too many paths in one mount plan"),
                        });
                    }
                    let recursive = if *recursive { AT_RECURSIVE } else { 0 };
                    Step::Clone {
                        path: c(path)?,
                        flags: OPEN_TREE_CLONE | libc::O_CLOEXEC as u32 | recursive,
                        slot: *slot,
                        optional: *optional,
                    }
                }
                MountStep::Attach {
                    slot,
                    target,
                    optional,
                } => Step::Attach {
                    slot: *slot,
                    target: c(target)?,
                    optional: *optional,
                },
                MountStep::BindSelf { target, optional } => Step::BindSelf {
                    target: c(target)?,
                    optional: *optional,
                },
                MountStep::SetAttr {
                    target,
                    set,
                    recursive,
                    optional,
                } => Step::SetAttr {
                    target: c(target)?,
                    attr: [*set, 0, 0, 0],
                    flags: if *recursive { AT_RECURSIVE } else { 0 },
                    optional: *optional,
                },
                MountStep::Mount {
                    fstype,
                    target,
                    flags,
                    data,
                    optional,
                } => Step::Mount {
                    fstype: cstring(fstype.as_bytes())?,
                    target: c(target)?,
                    flags: *flags,
                    data: cstring(data.as_bytes())?,
                    optional: *optional,
                },
                MountStep::MakeFile { path } => Step::MakeFile(c(path)?),
                MountStep::MakeDir { path, mode } => Step::MakeDir(c(path)?, *mode),
                MountStep::Symlink { target, link } => Step::Symlink(c(target)?, c(link)?),
                MountStep::Chroot { root } => Step::Chroot(c(root)?),
            });
        }
        let programs = req.filters.clone();
        let filters = programs
            .iter()
            .map(|p| libc::sock_fprog {
                len: p.len() as u16,
                filter: p.as_ptr().cast_mut().cast(),
            })
            .collect();
        Ok(SandboxImage {
            unshare: req.unshare,
            loopback_up: req.loopback_up,
            steps,
            filters,
            _programs: programs,
            report,
            users: req.user_namespace.as_ref().map(|m| UserImage {
                uid_map: m.uid_map.clone().into_bytes(),
                gid_map: m.gid_map.clone().into_bytes(),
                deny_setgroups: m.deny_setgroups,
            }),
        })
    }

    /// A user namespace cannot be entered by a task that shares its
    /// parent's memory (unshare refuses CLONE_NEWUSER with CLONE_VM): such
    /// a command is forked.
    pub(super) fn needs_fork(&self) -> bool {
        self.users.is_some()
    }
}

/// Tells the exec report what failed (2, errno, what), then ends the child
/// with 226/NAMESPACE.
unsafe fn namespace_failed(s: &SandboxImage, what: &CStr, ret: isize) -> ! {
    // SAFETY: as the caller's.
    unsafe { setup_failed(s, exit_code::NAMESPACE, what, ret) }
}

/// Tells the exec report what failed, then ends the child with `code`.
unsafe fn setup_failed(s: &SandboxImage, code: i32, what: &CStr, ret: isize) -> ! {
    if let Some(fd) = s.report {
        let errno = (-ret as i32).to_ne_bytes();
        let head = [2, errno[0], errno[1], errno[2], errno[3]];
        let what = what.to_bytes();
        let parts = [
            libc::iovec {
                iov_base: head.as_ptr().cast_mut().cast(),
                iov_len: head.len(),
            },
            libc::iovec {
                iov_base: what.as_ptr().cast_mut().cast(),
                iov_len: what.len(),
            },
        ];
        // SAFETY: one writev of buffers on this stack and in `s`.
        unsafe { sys!(SYS_writev, fd, parts.as_ptr(), parts.len()) };
    }
    raw::exit(code)
}

/// `PrivateUsers=`: unshares a user namespace whose maps a helper process
/// (forked first, so still outside it and with the daemon's privileges)
/// writes once told; ends the child with 217/USER on failure, as systemd.
/// The helper opens the maps through a descriptor of the child's /proc
/// directory, taken before the fork: no pid is formatted, nothing
/// allocated.
///
/// # Safety
/// In the child before exec: raw system calls on `s`'s memory only.
pub(super) unsafe fn enter_user_namespace(s: &SandboxImage) {
    let Some(u) = &s.users else {
        return;
    };
    // SAFETY (whole function): system calls on C strings and buffers owned
    // by `s` or on this stack; the helper is a fork (no shared memory) that
    // makes raw system calls only and ends with exit_group.
    unsafe {
        let fail = |what: &CStr, ret: isize| setup_failed(s, exit_code::USER, what, ret);
        let flags = libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC;
        let dir = sys!(SYS_openat, libc::AT_FDCWD, c"/proc/self".as_ptr(), flags, 0);
        if raw::failed(dir) {
            fail(c"/proc/self", dir);
        }
        let mut pipe = [-1i32; 2];
        let ret = sys!(SYS_pipe2, pipe.as_mut_ptr(), libc::O_CLOEXEC);
        if raw::failed(ret) {
            fail(c"pipe", ret);
        }
        let helper = sys!(SYS_clone, libc::SIGCHLD, 0, 0, 0, 0);
        if raw::failed(helper) {
            fail(c"fork", helper);
        }
        if helper == 0 {
            sys!(SYS_close, pipe[1]);
            let mut go = 0u8;
            if sys!(SYS_read, pipe[0], std::ptr::from_mut(&mut go), 1) != 1 {
                raw::exit(0);
            }
            let mut files = [
                (c"setgroups", &b"deny"[..]),
                (c"uid_map", &u.uid_map[..]),
                (c"gid_map", &u.gid_map[..]),
            ]
            .into_iter()
            .skip(usize::from(!u.deny_setgroups));
            let failed = files.find_map(|(name, text)| {
                let fd = sys!(
                    SYS_openat,
                    dir,
                    name.as_ptr(),
                    libc::O_WRONLY | libc::O_CLOEXEC,
                    0
                );
                if raw::failed(fd) {
                    return Some(fd);
                }
                let ret = sys!(SYS_write, fd, text.as_ptr(), text.len());
                sys!(SYS_close, fd);
                raw::failed(ret).then_some(ret)
            });
            // The errno, for the child's report.
            raw::exit(failed.map_or(0, |ret| (-ret) as i32 & 0xff));
        }
        sys!(SYS_close, pipe[0]);
        let unshared = sys!(SYS_unshare, libc::CLONE_NEWUSER);
        if !raw::failed(unshared) {
            sys!(SYS_write, pipe[1], [1u8].as_ptr(), 1);
        }
        sys!(SYS_close, pipe[1]);
        let mut status = 0i32;
        let waited = loop {
            let ret = sys!(SYS_wait4, helper, std::ptr::from_mut(&mut status), 0, 0);
            if ret != -(libc::EINTR as isize) {
                break ret;
            }
        };
        sys!(SYS_close, dir);
        if raw::failed(unshared) {
            fail(c"unshare(CLONE_NEWUSER)", unshared);
        }
        if raw::failed(waited) {
            fail(c"uid_map", waited);
        }
        if status != 0 {
            let errno = if status & 0x7f == 0 {
                (status >> 8) & 0xff
            } else {
                libc::EIO
            };
            fail(c"uid_map", -(errno as isize));
        }
    }
}

/// Whether a step's failure is a missing optional path.
fn skipped(ret: isize, optional: bool) -> bool {
    optional && ret == -(libc::ENOENT as isize)
}

/// Enters the namespaces and runs the mount plan; ends the child with
/// 226/NAMESPACE on failure.
///
/// # Safety
/// In the child before exec: raw system calls on `s`'s memory only.
pub(super) unsafe fn enter_namespaces(s: &SandboxImage) {
    // SAFETY (whole function): system calls on C strings and buffers owned
    // by `s` or on this stack.
    unsafe {
        if s.unshare != 0 {
            let ret = sys!(SYS_unshare, s.unshare);
            if raw::failed(ret) {
                namespace_failed(s, c"unshare", ret);
            }
        }
        if s.unshare & libc::CLONE_NEWNS != 0 {
            // Nothing done below reaches the host; the host's new mounts
            // still reach the service (systemd's choice).
            let root = c"/";
            let ret = sys!(
                SYS_mount,
                0,
                root.as_ptr(),
                0,
                libc::MS_REC | libc::MS_SLAVE,
                0
            );
            if raw::failed(ret) {
                namespace_failed(s, root, ret);
            }
        }
        let mut fds = [-1isize; MAX_CLONES];
        for step in &s.steps {
            let (ret, optional) = run_step(step, &mut fds);
            if raw::failed(ret) && !skipped(ret, optional) {
                namespace_failed(s, step.path(), ret);
            }
        }
        for fd in fds.iter().filter(|fd| **fd >= 0) {
            sys!(SYS_close, *fd);
        }
        if s.loopback_up {
            let ret = loopback_up();
            if raw::failed(ret) {
                namespace_failed(s, c"lo", ret);
            }
        }
    }
}

/// One step: the kernel's result and whether the step is optional.
unsafe fn run_step(step: &Step, fds: &mut [isize; MAX_CLONES]) -> (isize, bool) {
    let cwd = libc::AT_FDCWD;
    // SAFETY (whole function): as `enter_namespaces`.
    unsafe {
        match step {
            Step::Clone {
                path,
                flags,
                slot,
                optional,
            } => {
                let fd = sys!(SYS_open_tree, cwd, path.as_ptr(), *flags);
                if !raw::failed(fd) {
                    fds[*slot] = fd;
                }
                (fd, *optional)
            }
            Step::Attach {
                slot,
                target,
                optional,
            } => {
                let fd = fds[*slot];
                if fd < 0 {
                    // Its copy was an optional path that is missing.
                    return (0, *optional);
                }
                let ret = sys!(
                    SYS_move_mount,
                    fd,
                    c"".as_ptr(),
                    cwd,
                    target.as_ptr(),
                    MOVE_MOUNT_F_EMPTY_PATH
                );
                (ret, *optional)
            }
            Step::BindSelf { target, optional } => {
                let ret = sys!(
                    SYS_mount,
                    target.as_ptr(),
                    target.as_ptr(),
                    0,
                    libc::MS_BIND | libc::MS_REC,
                    0
                );
                (ret, *optional)
            }
            Step::SetAttr {
                target,
                attr,
                flags,
                optional,
            } => {
                let ret = sys!(
                    SYS_mount_setattr,
                    cwd,
                    target.as_ptr(),
                    *flags,
                    attr.as_ptr(),
                    std::mem::size_of_val(attr)
                );
                (ret, *optional)
            }
            Step::Mount {
                fstype,
                target,
                flags,
                data,
                optional,
            } => {
                let ret = sys!(
                    SYS_mount,
                    fstype.as_ptr(),
                    target.as_ptr(),
                    fstype.as_ptr(),
                    *flags,
                    data.as_ptr()
                );
                (ret, *optional)
            }
            Step::MakeFile(path) => {
                let flags = libc::O_CREAT | libc::O_WRONLY | libc::O_CLOEXEC | libc::O_NOFOLLOW;
                let fd = sys!(SYS_openat, cwd, path.as_ptr(), flags, 0o644);
                if !raw::failed(fd) {
                    sys!(SYS_close, fd);
                }
                (fd, false)
            }
            Step::MakeDir(path, mode) => {
                let ret = sys!(SYS_mkdirat, cwd, path.as_ptr(), *mode);
                if raw::failed(ret) {
                    return (ret, false);
                }
                // The umask is the service's by now.
                (sys!(SYS_fchmodat, cwd, path.as_ptr(), *mode, 0), false)
            }
            Step::Symlink(target, link) => (
                sys!(SYS_symlinkat, target.as_ptr(), cwd, link.as_ptr()),
                false,
            ),
            Step::Chroot(root) => {
                let ret = sys!(SYS_chdir, root.as_ptr());
                if raw::failed(ret) {
                    return (ret, false);
                }
                (sys!(SYS_chroot, c".".as_ptr()), false)
            }
        }
    }
}

/// Sets IFF_UP on `lo` (a new network namespace has it down); the kernel's
/// result.
unsafe fn loopback_up() -> isize {
    // SAFETY (whole function): socket and ioctl calls on a stack buffer
    // shaped as `struct ifreq` (name, then the flags at offset 16).
    unsafe {
        let fd = sys!(
            SYS_socket,
            libc::AF_INET,
            libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
            0
        );
        if raw::failed(fd) {
            return fd;
        }
        let mut ifreq = [0u8; 40];
        ifreq[..2].copy_from_slice(b"lo");
        let mut ret = sys!(SYS_ioctl, fd, libc::SIOCGIFFLAGS, ifreq.as_mut_ptr());
        if !raw::failed(ret) {
            let flags = u16::from_ne_bytes([ifreq[16], ifreq[17]]) | libc::IFF_UP as u16;
            ifreq[16..18].copy_from_slice(&flags.to_ne_bytes());
            ret = sys!(SYS_ioctl, fd, libc::SIOCSIFFLAGS, ifreq.as_ptr());
        }
        sys!(SYS_close, fd);
        ret
    }
}

/// Installs the filters, last before exec; ends the child with
/// 228/SECCOMP on failure. Without CAP_SYS_ADMIN the kernel wants
/// no_new_privs first: set then, as systemd does.
///
/// # Safety
/// In the child before exec: raw system calls on `s`'s memory only.
pub(super) unsafe fn install_filters(s: &SandboxImage) {
    // SAFETY (whole function): seccomp and prctl on programs owned by `s`.
    unsafe {
        for prog in &s.filters {
            let install = || {
                sys!(
                    SYS_seccomp,
                    libc::SECCOMP_SET_MODE_FILTER,
                    0,
                    std::ptr::from_ref(prog)
                )
            };
            let mut ret = install();
            if ret == -(libc::EACCES as isize) {
                if raw::failed(sys!(SYS_prctl, libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
                    raw::exit(exit_code::SECCOMP);
                }
                ret = install();
            }
            if raw::failed(ret) {
                if let Some(fd) = s.report {
                    let errno = (-ret as i32).to_ne_bytes();
                    let report = [3, errno[0], errno[1], errno[2], errno[3]];
                    sys!(SYS_write, fd, report.as_ptr(), report.len());
                }
                raw::exit(exit_code::SECCOMP);
            }
        }
    }
}
