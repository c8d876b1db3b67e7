//! A service's seccomp filters: `SystemCallFilter=`, `RestrictAddressFamilies=`,
//! `RestrictNamespaces=`, `ProtectClock=`, ... compiled to BPF in the daemon
//! (seccompiler) before the child exists; the child only installs them.
//!
//! As systemd does, each concern is a filter of its own and the kernel
//! applies the strictest answer of all (a kill before an error before an
//! allow). Every filter also refuses system calls of another architecture
//! (seccompiler's check, which kills): `SystemCallArchitectures=native` is
//! implied by any filter.

use std::collections::BTreeMap;

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen as Len, SeccompCmpOp as Op, SeccompCondition,
    SeccompFilter, SeccompRule, TargetArch,
};

use crate::unit::sandbox::{FilterAction, Sandbox, SyscallFilter, ALL_NAMESPACES, NAMESPACES};
use crate::unit::syscall_groups;

/// Why filters could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SeccompError {
    #[error("system call filters are not supported on this architecture")]
    Architecture,
    #[error("compiling the {what} filter: {source}")]
    Compile {
        what: &'static str,
        source: seccompiler::BackendError,
    },
}

/// The rules of one filter: system call number -> rules (an empty list
/// matches every call).
type Rules = BTreeMap<i64, Vec<SeccompRule>>;

/// The BPF programs for `sb`, in the order they are installed; empty when
/// nothing is filtered.
pub fn filters(sb: &Sandbox) -> Result<Vec<BpfProgram>, SeccompError> {
    let mut out = Filters::new()?;
    let default = action(sb.system_call_error_number.unwrap_or(FilterAction::Kill));
    if let Some(f) = &sb.system_call_log {
        let calls = out.numbers(f.calls.keys().map(String::as_str));
        let (matched, other) = if f.allow_list {
            (SeccompAction::Log, SeccompAction::Allow)
        } else {
            (SeccompAction::Allow, SeccompAction::Log)
        };
        out.push("SystemCallLog=", calls, other, matched)?;
    }
    // Protections that answer EPERM to whole system calls.
    let mut denied: Vec<String> = Vec::new();
    let mut group = |g: &str| denied.extend(syscall_groups::expand(g, &[]).unwrap_or_default());
    if sb.protect_clock {
        group("@clock");
    }
    if sb.protect_kernel_modules {
        group("@module");
    }
    if sb.private_devices {
        group("@raw-io");
    }
    if sb.protect_kernel_logs {
        denied.push("syslog".into());
    }
    if sb.protect_hostname {
        denied.extend(["sethostname".into(), "setdomainname".into()]);
    }
    if !denied.is_empty() {
        let calls = out.numbers(denied.iter().map(String::as_str));
        out.push("protection", calls, SeccompAction::Allow, eperm())?;
    }
    if let Some(af) = &sb.restrict_address_families {
        let rules = if af.allow_list {
            // One rule: a family that is none of the allowed ones.
            let conditions: Vec<_> = af
                .families
                .iter()
                .map(|f| cond(0, Len::Dword, Op::Ne, *f as u64))
                .collect();
            if conditions.is_empty() {
                Vec::new()
            } else {
                vec![rule(conditions)?]
            }
        } else {
            af.families
                .iter()
                .map(|f| rule(vec![cond(0, Len::Dword, Op::Eq, *f as u64)]))
                .collect::<Result<_, _>>()?
        };
        if !af.allow_list && rules.is_empty() {
            // An empty deny list denies nothing.
        } else {
            let calls = BTreeMap::from([(libc::SYS_socket, rules)]);
            out.push(
                "RestrictAddressFamilies=",
                calls,
                SeccompAction::Allow,
                SeccompAction::Errno(libc::EAFNOSUPPORT as u32),
            )?;
        }
    }
    if let Some(allowed) = sb.restrict_namespaces {
        out.restrict_namespaces(ALL_NAMESPACES & !allowed)?;
    }
    if sb.restrict_realtime {
        // SCHED_FIFO, SCHED_RR, SCHED_DEADLINE, with or without
        // SCHED_RESET_ON_FORK. sched_setattr's policy is behind a pointer:
        // refused whole.
        let rules = [1u64, 2, 6]
            .iter()
            .map(|p| rule(vec![cond(1, Len::Dword, Op::MaskedEq(0x3fff_ffff), *p)]))
            .collect::<Result<_, _>>()?;
        let calls = BTreeMap::from([
            (libc::SYS_sched_setscheduler, rules),
            (libc::SYS_sched_setattr, Vec::new()),
        ]);
        out.push("RestrictRealtime=", calls, SeccompAction::Allow, eperm())?;
    }
    if sb.restrict_suid_sgid {
        out.restrict_suid_sgid()?;
    }
    if sb.lock_personality {
        // PER_LINUX, and 0xffffffff (a query) only.
        let r = rule(vec![
            cond(0, Len::Dword, Op::Ne, 0),
            cond(0, Len::Dword, Op::Ne, 0xffff_ffff),
        ])?;
        let calls = BTreeMap::from([(libc::SYS_personality, vec![r])]);
        out.push("LockPersonality=", calls, SeccompAction::Allow, eperm())?;
    }
    if sb.memory_deny_write_execute {
        let wx = (libc::PROT_WRITE | libc::PROT_EXEC) as u64;
        let x = libc::PROT_EXEC as u64;
        let calls = BTreeMap::from([
            (
                libc::SYS_mmap,
                vec![rule(vec![cond(2, Len::Dword, Op::MaskedEq(wx), wx)])?],
            ),
            (
                libc::SYS_mprotect,
                vec![rule(vec![cond(2, Len::Dword, Op::MaskedEq(x), x)])?],
            ),
            (
                libc::SYS_pkey_mprotect,
                vec![rule(vec![cond(2, Len::Dword, Op::MaskedEq(x), x)])?],
            ),
            (
                libc::SYS_shmat,
                vec![rule(vec![cond(
                    2,
                    Len::Dword,
                    Op::MaskedEq(libc::SHM_EXEC as u64),
                    libc::SHM_EXEC as u64,
                )])?],
            ),
        ]);
        out.push(
            "MemoryDenyWriteExecute=",
            calls,
            SeccompAction::Allow,
            eperm(),
        )?;
    }
    // Last: it may refuse seccomp() and prctl(), which installing the
    // others takes.
    if let Some(f) = &sb.system_call_filter {
        out.system_call_filter(f, default)?;
    }
    if sb.system_call_architectures_native && out.programs.is_empty() {
        // Only the architecture check.
        out.push(
            "SystemCallArchitectures=",
            Rules::new(),
            SeccompAction::Allow,
            SeccompAction::KillProcess,
        )?;
    }
    Ok(out.programs)
}

fn action(a: FilterAction) -> SeccompAction {
    match a {
        FilterAction::Kill => SeccompAction::KillProcess,
        FilterAction::Log => SeccompAction::Log,
        FilterAction::Errno(n) => SeccompAction::Errno(n as u32),
    }
}

fn eperm() -> SeccompAction {
    SeccompAction::Errno(libc::EPERM as u32)
}

fn cond(arg: u8, len: Len, op: Op, value: u64) -> SeccompCondition {
    SeccompCondition::new(arg, len, op, value).expect("argument indexes used here are below 6")
}

fn rule(conditions: Vec<SeccompCondition>) -> Result<SeccompRule, SeccompError> {
    SeccompRule::new(conditions).map_err(|source| SeccompError::Compile {
        what: "rule",
        source,
    })
}

struct Filters {
    known: Vec<(&'static str, i64)>,
    programs: Vec<BpfProgram>,
}

impl Filters {
    fn new() -> Result<Filters, SeccompError> {
        let known = syscall_groups::known();
        if known.is_empty() || !cfg!(target_arch = "x86_64") {
            return Err(SeccompError::Architecture);
        }
        Ok(Filters {
            known,
            programs: Vec::new(),
        })
    }

    /// The numbers of the named calls this architecture has (others are
    /// skipped, as systemd skips them), each matched unconditionally.
    fn numbers<'a>(&self, names: impl Iterator<Item = &'a str>) -> Rules {
        names
            .filter_map(|n| self.known.iter().find(|(k, _)| *k == n))
            .map(|(_, nr)| (*nr, Vec::new()))
            .collect()
    }

    fn push(
        &mut self,
        what: &'static str,
        rules: Rules,
        other: SeccompAction,
        matched: SeccompAction,
    ) -> Result<(), SeccompError> {
        let compile = |source| SeccompError::Compile { what, source };
        let filter =
            SeccompFilter::new(rules, other, matched, TargetArch::x86_64).map_err(compile)?;
        self.programs
            .push(BpfProgram::try_from(filter).map_err(compile)?);
        Ok(())
    }

    fn system_call_filter(
        &mut self,
        f: &SyscallFilter,
        default: SeccompAction,
    ) -> Result<(), SeccompError> {
        if f.allow_list {
            let rules = self.numbers(f.calls.keys().map(String::as_str));
            return self.push("SystemCallFilter=", rules, default, SeccompAction::Allow);
        }
        // A deny list: one filter per answer (`name:ERRNO` entries differ).
        let mut by_action: BTreeMap<Option<i32>, Vec<&str>> = BTreeMap::new();
        for (call, errno) in &f.calls {
            by_action.entry(*errno).or_default().push(call);
        }
        for (errno, calls) in by_action {
            let matched = errno.map_or(default.clone(), |n| SeccompAction::Errno(n as u32));
            let rules = self.numbers(calls.into_iter());
            if matched != SeccompAction::Allow && !rules.is_empty() {
                self.push("SystemCallFilter=", rules, SeccompAction::Allow, matched)?;
            }
        }
        Ok(())
    }

    /// `RestrictNamespaces=`: unshare/clone with a refused flag, setns
    /// into a refused type (or any type, 0) get EPERM; clone3, whose flags
    /// are behind a pointer, gets ENOSYS so that the C library falls back
    /// to clone (systemd's way).
    fn restrict_namespaces(&mut self, refused: u64) -> Result<(), SeccompError> {
        if refused == 0 {
            return Ok(());
        }
        let flag_rules = |arg: u8| -> Result<Vec<SeccompRule>, SeccompError> {
            NAMESPACES
                .iter()
                .filter(|(_, f)| refused & f != 0)
                .map(|(_, f)| rule(vec![cond(arg, Len::Qword, Op::MaskedEq(*f), *f)]))
                .collect()
        };
        let mut setns = flag_rules(1)?;
        setns.push(rule(vec![cond(1, Len::Dword, Op::Eq, 0)])?);
        let calls = BTreeMap::from([
            (libc::SYS_unshare, flag_rules(0)?),
            (libc::SYS_clone, flag_rules(0)?),
            (libc::SYS_setns, setns),
        ]);
        self.push("RestrictNamespaces=", calls, SeccompAction::Allow, eperm())?;
        let clone3 = BTreeMap::from([(libc::SYS_clone3, Vec::new())]);
        self.push(
            "RestrictNamespaces=",
            clone3,
            SeccompAction::Allow,
            SeccompAction::Errno(libc::ENOSYS as u32),
        )
    }

    /// `RestrictSUIDSGID=`: no file made set-user-ID or set-group-ID, by
    /// chmod or at creation.
    fn restrict_suid_sgid(&mut self) -> Result<(), SeccompError> {
        let bits = [libc::S_ISUID as u64, libc::S_ISGID as u64];
        let mode = |arg: u8| -> Result<Vec<SeccompRule>, SeccompError> {
            bits.iter()
                .map(|b| rule(vec![cond(arg, Len::Dword, Op::MaskedEq(*b), *b)]))
                .collect()
        };
        let creating = |flags_arg: u8, mode_arg: u8| -> Result<Vec<SeccompRule>, SeccompError> {
            let o_creat = libc::O_CREAT as u64;
            bits.iter()
                .map(|b| {
                    rule(vec![
                        cond(flags_arg, Len::Dword, Op::MaskedEq(o_creat), o_creat),
                        cond(mode_arg, Len::Dword, Op::MaskedEq(*b), *b),
                    ])
                })
                .collect()
        };
        let calls = BTreeMap::from([
            (libc::SYS_chmod, mode(1)?),
            (libc::SYS_fchmod, mode(1)?),
            (libc::SYS_fchmodat, mode(2)?),
            (libc::SYS_mkdir, mode(1)?),
            (libc::SYS_mkdirat, mode(2)?),
            (libc::SYS_mknod, mode(1)?),
            (libc::SYS_mknodat, mode(2)?),
            (libc::SYS_creat, mode(1)?),
            (libc::SYS_open, creating(1, 2)?),
            (libc::SYS_openat, creating(2, 3)?),
        ]);
        self.push("RestrictSUIDSGID=", calls, SeccompAction::Allow, eperm())?;
        // openat2's flags are behind a pointer: ENOSYS, so that callers
        // fall back to openat.
        let openat2 = BTreeMap::from([(libc::SYS_openat2, Vec::new())]);
        self.push(
            "RestrictSUIDSGID=",
            openat2,
            SeccompAction::Allow,
            SeccompAction::Errno(libc::ENOSYS as u32),
        )
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;
    use crate::unit::test_text::service_unit;

    fn sandbox(lines: &str) -> Sandbox {
        let u = service_unit(&format!("ExecStart=/bin/true\n{lines}"));
        u.service
            .rare()
            .sandbox
            .as_deref()
            .cloned()
            .unwrap_or_default()
    }

    #[test]
    fn each_concern_is_a_filter_of_its_own() {
        assert!(filters(&Sandbox::default()).expect("compiles").is_empty());
        let f = filters(&sandbox("SystemCallFilter=~@mount")).expect("compiles");
        assert_eq!(f.len(), 1);
        let f = filters(&sandbox(
            "SystemCallFilter=~@mount\nSystemCallFilter=~reboot:EIO\nRestrictAddressFamilies=AF_UNIX\n\
             ProtectClock=yes\nRestrictNamespaces=yes\nRestrictRealtime=yes\nRestrictSUIDSGID=yes\n\
             LockPersonality=yes\nMemoryDenyWriteExecute=yes\nSystemCallLog=open",
        ))
        .expect("compiles");
        // mount group, reboot:EIO, log, protection, families, namespaces x2,
        // realtime, suid x2, personality, w^x.
        assert_eq!(f.len(), 12);
        let f = filters(&sandbox("SystemCallArchitectures=native")).expect("compiles");
        assert_eq!(f.len(), 1);
        // An allow list as big as @system-service fits in one program.
        let f = filters(&sandbox("SystemCallFilter=@system-service")).expect("compiles");
        assert_eq!(f.len(), 1);
        assert!(f[0].len() < 4096, "{} instructions", f[0].len());
    }
}
