//! The privileges and scheduling of a child before exec: OOM score,
//! I/O and CPU scheduling, CPU affinity, the capability bounding set,
//! securebits, ambient capabilities, no_new_privs and SIGPIPE.
//!
//! [`Privileges`] is what the parent decided (see
//! `supervisor::privileges::plan`); the `apply_*` functions are the child's
//! steps, called by `child_setup` in the order agreed for the child (see
//! there): raw system calls on data prepared here, nothing allocated.

use super::exit_code;
use super::raw::{self, sys};

/// `prctl` options and capability constants (linux/prctl.h,
/// linux/capability.h, linux/securebits.h).
const PR_CAPBSET_DROP: usize = 24;
const PR_SET_SECUREBITS: usize = 28;
const PR_SET_NO_NEW_PRIVS: usize = 38;
const PR_CAP_AMBIENT: usize = 47;
const PR_CAP_AMBIENT_RAISE: usize = 2;
const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;
/// Keeps the permitted set through a change from uid 0 to another.
pub const SECBIT_KEEP_CAPS: u32 = 1 << 4;
const SCHED_RESET_ON_FORK: i32 = 0x4000_0000;
const IOPRIO_WHO_PROCESS: usize = 1;

/// A `sched_setscheduler` call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scheduler {
    /// `SCHED_*`.
    pub policy: i32,
    pub priority: i32,
    pub reset_on_fork: bool,
}

/// The three capability sets a `capset` call installs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CapSets {
    pub effective: u64,
    pub permitted: u64,
    pub inheritable: u64,
}

/// What the child changes about itself beyond credentials; all off by
/// default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Privileges {
    /// Written to /proc/self/oom_score_adj.
    pub oom_score_adj: Option<i32>,
    /// An ioprio value (class << 13 | data).
    pub ioprio: Option<i32>,
    pub scheduler: Option<Scheduler>,
    /// The CPU mask, 64 CPUs per word.
    pub cpu_affinity: Option<Vec<u64>>,
    /// Capabilities dropped from the bounding set.
    pub bounding_drop: Vec<u32>,
    /// Set with PR_SET_SECUREBITS before the credential change.
    pub secure_bits: Option<u32>,
    /// Installed after the credential change, then `ambient` raised.
    pub cap_sets: Option<CapSets>,
    /// Capabilities raised into the ambient set.
    pub ambient: Vec<u32>,
    pub no_new_privs: bool,
    /// SIGPIPE ignored rather than at its default (IgnoreSIGPIPE=).
    pub ignore_sigpipe: bool,
    /// KeyringMode=: 0 inherit, 1 a new session keyring, 2 one with the
    /// user's keyring linked in; after the credential change, so that the
    /// keyring is the service user's.
    pub keyring: u8,
}

impl Privileges {
    /// Nothing changed: the child keeps what it inherits.
    pub const NONE: Privileges = Privileges {
        oom_score_adj: None,
        ioprio: None,
        scheduler: None,
        cpu_affinity: None,
        bounding_drop: Vec::new(),
        secure_bits: None,
        cap_sets: None,
        ambient: Vec::new(),
        no_new_privs: false,
        ignore_sigpipe: false,
        keyring: 0,
    };

    /// Whether the child must be forked rather than cloned beside the
    /// daemon: the OOM score belongs to every process sharing the memory
    /// (the kernel sets it for all of them), and capability changes are
    /// credential changes (see `spawn`). SIGPIPE alone is the child's own.
    pub fn needs_fork(&self) -> bool {
        let ignore_sigpipe = self.ignore_sigpipe;
        *self
            != Privileges {
                ignore_sigpipe,
                ..Privileges::NONE
            }
    }
}

impl Default for Privileges {
    fn default() -> Privileges {
        Privileges::NONE
    }
}

/// [`Privileges`] as the child reads them: numbers in place.
#[derive(Debug)]
pub(super) struct Prepared {
    p: Privileges,
    /// `"-500\n"` for /proc/self/oom_score_adj, and its length.
    oom_text: [u8; 16],
    oom_len: usize,
}

impl Prepared {
    pub(super) fn new(p: Privileges) -> Prepared {
        let mut oom_text = [0u8; 16];
        let mut oom_len = 0;
        if let Some(n) = p.oom_score_adj {
            let text = format!("{n}\n");
            oom_len = text.len().min(16);
            oom_text[..oom_len].copy_from_slice(&text.as_bytes()[..oom_len]);
        }
        Prepared {
            p,
            oom_text,
            oom_len,
        }
    }

    pub(super) fn ignore_sigpipe(&self) -> bool {
        self.p.ignore_sigpipe
    }

    pub(super) fn needs_fork(&self) -> bool {
        self.p.needs_fork()
    }
}

/// OOM score, I/O priority, CPU scheduler, CPU affinity; after umask.
///
/// # Safety
/// Child only: raw system calls on `p`'s data.
pub(super) unsafe fn apply_scheduling(p: &Prepared) {
    // SAFETY (whole function): system calls on pointers into `p`.
    unsafe {
        if p.p.oom_score_adj.is_some() {
            let path = c"/proc/self/oom_score_adj";
            let fd = sys!(
                SYS_openat,
                libc::AT_FDCWD,
                path.as_ptr(),
                libc::O_WRONLY | libc::O_CLOEXEC,
                0
            );
            if raw::failed(fd) || raw::failed(sys!(SYS_write, fd, p.oom_text.as_ptr(), p.oom_len)) {
                raw::exit(exit_code::OOM_ADJUST);
            }
            sys!(SYS_close, fd);
        }
        if let Some(prio) = p.p.ioprio {
            if raw::failed(sys!(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, prio)) {
                raw::exit(exit_code::IOPRIO);
            }
        }
        if let Some(s) = p.p.scheduler {
            let param: libc::c_int = s.priority;
            let policy = s.policy
                | if s.reset_on_fork {
                    SCHED_RESET_ON_FORK
                } else {
                    0
                };
            if raw::failed(sys!(
                SYS_sched_setscheduler,
                0,
                policy,
                std::ptr::from_ref(&param)
            )) {
                raw::exit(exit_code::SETSCHEDULER);
            }
        }
        if let Some(mask) = &p.p.cpu_affinity {
            if raw::failed(sys!(
                SYS_sched_setaffinity,
                0,
                mask.len() * 8,
                mask.as_ptr()
            )) {
                raw::exit(exit_code::CPUAFFINITY);
            }
        }
    }
}

/// The bounding set and securebits; before the credential change.
///
/// # Safety
/// Child only.
pub(super) unsafe fn apply_bounding(p: &Prepared) {
    // SAFETY (whole function): prctl on plain integers.
    unsafe {
        for cap in &p.p.bounding_drop {
            if raw::failed(sys!(SYS_prctl, PR_CAPBSET_DROP, *cap)) {
                raw::exit(exit_code::CAPABILITIES);
            }
        }
        if let Some(bits) = p.p.secure_bits {
            if raw::failed(sys!(SYS_prctl, PR_SET_SECUREBITS, bits)) {
                raw::exit(exit_code::SECUREBITS);
            }
        }
    }
}

/// The capability sets and the ambient set; after the credential change.
///
/// # Safety
/// Child only.
pub(super) unsafe fn apply_ambient(p: &Prepared) {
    // SAFETY (whole function): capset and prctl on data in `p` and on the
    // stack.
    unsafe {
        if let Some(sets) = p.p.cap_sets {
            let header: [u32; 2] = [LINUX_CAPABILITY_VERSION_3, 0];
            let word = |v: u64, i: u32| (v >> (32 * i)) as u32;
            let data: [u32; 6] = [
                word(sets.effective, 0),
                word(sets.permitted, 0),
                word(sets.inheritable, 0),
                word(sets.effective, 1),
                word(sets.permitted, 1),
                word(sets.inheritable, 1),
            ];
            if raw::failed(sys!(SYS_capset, header.as_ptr(), data.as_ptr())) {
                raw::exit(exit_code::CAPABILITIES);
            }
        }
        for cap in &p.p.ambient {
            if raw::failed(sys!(
                SYS_prctl,
                PR_CAP_AMBIENT,
                PR_CAP_AMBIENT_RAISE,
                *cap,
                0,
                0
            )) {
                raw::exit(exit_code::CAPABILITIES);
            }
        }
    }
}

/// The session keyring (KeyringMode=); after the credential change.
/// Where the kernel has no keyrings or a filter refuses them (a
/// container's seccomp profile), the command keeps the one it inherited,
/// as under systemd.
///
/// # Safety
/// Child only.
pub(super) unsafe fn apply_keyring(p: &Prepared) {
    const KEYCTL_JOIN_SESSION_KEYRING: usize = 1;
    const KEYCTL_LINK: usize = 8;
    const KEY_SPEC_USER_KEYRING: isize = -4;
    const KEY_SPEC_SESSION_KEYRING: isize = -3;
    if p.p.keyring == 0 {
        return;
    }
    // SAFETY: keyctl on plain integers and a null name.
    unsafe {
        let ret = sys!(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, 0usize);
        if raw::failed(ret) {
            let errno = -(ret as i32);
            if !matches!(
                errno,
                libc::ENOSYS | libc::EPERM | libc::EACCES | libc::EDQUOT
            ) {
                raw::exit(exit_code::KEYRING);
            }
            return;
        }
        if p.p.keyring == 2
            && raw::failed(sys!(
                SYS_keyctl,
                KEYCTL_LINK,
                KEY_SPEC_USER_KEYRING,
                KEY_SPEC_SESSION_KEYRING
            ))
        {
            raw::exit(exit_code::KEYRING);
        }
    }
}

/// no_new_privs; after chdir, before the system-call filter.
///
/// # Safety
/// Child only.
pub(super) unsafe fn apply_no_new_privs(p: &Prepared) {
    // SAFETY: prctl on plain integers.
    unsafe {
        if p.p.no_new_privs && raw::failed(sys!(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
            raw::exit(exit_code::NO_NEW_PRIVILEGES);
        }
    }
}
