//! What a new child does between clone (or fork) and exec: its standard
//! streams, its execution environment, then execve. Only raw system calls
//! ([`raw`]) on memory the parent prepared.

use super::privileges;
use super::raw::{self, sys, NSIG};
use super::sandbox_child;
use super::{exit_code, ChildImage, ChildSetup, ControllingTerminal};

/// What the child does: stdio, setup, execve. Never returns: a failed
/// execve ends the child with 203/EXEC, a failed setup step with its own
/// code (systemd's).
///
/// Only raw system calls on memory the parent prepared: the child is either
/// a fork of a multi-threaded process or runs on the parent's memory beside
/// it, and must neither allocate, take a lock nor touch `errno`.
pub(super) unsafe fn exec_child(image: &ChildImage) -> ! {
    // SAFETY (whole function): system calls on pointers into `image`.
    unsafe {
        child_stdio(&image.stdio);
        pass_fds(&image.passed_fds);
        close_inherited(3 + image.passed_fds.len(), image.exec_report);
        child_setup(&image.setup);
        if let Some(digits) = image.listen_pid_digits {
            write_pid(digits);
        }
        if let Some(fd) = image.exec_report {
            sys!(SYS_write, fd, [1u8].as_ptr(), 1);
        }
        // Last before exec: a filter may refuse what the steps above take.
        if let Some(sandbox) = &image.setup.sandbox {
            sandbox_child::install_filters(sandbox);
        }
        let ret = sys!(
            SYS_execve,
            image.program.as_ptr(),
            image.argv.as_ptr(),
            image.envp.as_ptr()
        );
        if let Some(fd) = image.exec_report {
            let errno = -(ret as i32);
            sys!(SYS_write, fd, std::ptr::from_ref(&errno), 4);
        }
        raw::exit(exit_code::EXEC)
    }
}

/// Puts the socket-activation descriptors on 3, 4, ... (sd_listen_fds(3)),
/// without close-on-exec. As for the standard streams they are first moved
/// above every target number.
unsafe fn pass_fds(fds: &[i32]) {
    const MAX: usize = 256;
    if fds.is_empty() {
        return;
    }
    let n = fds.len().min(MAX);
    // SAFETY (whole function): descriptor calls on plain integers.
    unsafe {
        let mut moved = [-1isize; MAX];
        for i in 0..n {
            moved[i] = sys!(SYS_fcntl, fds[i], libc::F_DUPFD, 3 + n);
            if raw::failed(moved[i]) {
                raw::exit(exit_code::FDS);
            }
        }
        for (i, fd) in moved[..n].iter().enumerate() {
            if raw::failed(sys!(SYS_dup3, *fd, 3 + i, 0)) {
                raw::exit(exit_code::FDS);
            }
        }
        for fd in &moved[..n] {
            sys!(SYS_close, *fd);
        }
    }
}

/// Writes the calling process's pid as decimal digits and a NUL at `at`
/// (room for eleven bytes): `$LISTEN_PID` names the child itself.
unsafe fn write_pid(at: *mut u8) {
    // SAFETY: getpid has no arguments; `at` points at the image's buffer of
    // eleven bytes, which only this child writes.
    unsafe {
        let mut pid = sys!(SYS_getpid) as u32;
        let mut digits = [0u8; 10];
        let mut len = 0;
        loop {
            digits[len] = b'0' + (pid % 10) as u8;
            len += 1;
            pid /= 10;
            if pid == 0 {
                break;
            }
        }
        for i in 0..len {
            *at.add(i) = digits[len - 1 - i];
        }
        *at.add(len) = 0;
    }
}

/// Closes every descriptor from `first_closed` on but the exec report, as systemd's
/// exec_child does: the daemon's are all close-on-exec anyway, but until
/// the exec they would stay open here, and the setup before it can take a
/// while (a move into a cgroup waits for the kernel's cgroup lock): a
/// daemon killed meanwhile must not live on through its listening socket or
/// its state lock. Descriptors the daemon itself inherited without
/// close-on-exec are not passed on either. A kernel without close_range
/// (before 5.9) leaves them to the exec.
unsafe fn close_inherited(first_closed: usize, keep: Option<i32>) {
    const ALL: usize = u32::MAX as usize;
    // SAFETY (whole function): close_range on plain integers.
    unsafe {
        match keep {
            // The report is above the passed descriptors (see `spawn`).
            Some(fd) if fd as usize >= first_closed => {
                let fd = fd as usize;
                if fd > first_closed {
                    sys!(SYS_close_range, first_closed, fd - 1, 0);
                }
                sys!(SYS_close_range, fd + 1, ALL, 0);
            }
            _ => {
                sys!(SYS_close_range, first_closed, ALL, 0);
            }
        }
    }
}

/// The exit codes for a failure to set up stdin, stdout, stderr.
const STDIO_CODES: [i32; 3] = [exit_code::STDIN, exit_code::STDOUT, exit_code::STDERR];

/// Puts the chosen descriptors on 0, 1 and 2. They are first moved above 2
/// so that one landing on another's target number cannot be overwritten.
unsafe fn child_stdio(stdio: &[Option<i32>; 3]) {
    // SAFETY (whole function): descriptor calls on plain integers.
    unsafe {
        let mut moved = [-1isize; 3];
        for (i, fd) in stdio.iter().enumerate() {
            if let Some(fd) = fd {
                moved[i] = sys!(SYS_fcntl, *fd, libc::F_DUPFD, 3);
                if raw::failed(moved[i]) {
                    raw::exit(STDIO_CODES[i]);
                }
            }
        }
        // dup3, not dup2 (which some architectures lack): the moved
        // descriptors are above 2, so never equal to their targets.
        for (i, fd) in moved.iter().enumerate() {
            if *fd >= 0 && raw::failed(sys!(SYS_dup3, *fd, i, 0)) {
                raw::exit(STDIO_CODES[i]);
            }
        }
        for fd in moved.iter().filter(|fd| **fd >= 0) {
            sys!(SYS_close, *fd);
        }
    }
}

/// Runs in the child between clone and exec; exits the child on failure.
unsafe fn child_setup(s: &ChildSetup) {
    // SAFETY (whole function): plain system calls on valid pointers to data
    // owned by `s`, which lives until exec.
    unsafe {
        // Signals ignored by the supervisor stay ignored across exec; systemd
        // starts every service with default dispositions. Handled ones too,
        // before the mask is cleared below: the child must not run the
        // daemon's handlers. The child has its own copy of the handler table
        // (no CLONE_SIGHAND), so this leaves the daemon's alone. The kernel's
        // call takes every signal, even the two the C library keeps for
        // itself (32, 33); a zeroed kernel sigaction is SIG_DFL with no flags
        // on every architecture.
        let default_action = [0u64; 8];
        for sig in 1..=NSIG {
            if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                sys!(SYS_rt_sigaction, sig, default_action.as_ptr(), 0, NSIG / 8);
            }
        }
        // IgnoreSIGPIPE=: the handler comes first in the kernel's sigaction.
        if s.privileges.ignore_sigpipe() {
            let ignore = [libc::SIG_IGN as u64, 0, 0, 0, 0, 0, 0, 0];
            sys!(
                SYS_rt_sigaction,
                libc::SIGPIPE,
                ignore.as_ptr(),
                0,
                NSIG / 8
            );
        }
        // Its own session and process group: the unit of killing.
        if raw::failed(sys!(SYS_setsid)) {
            raw::exit(exit_code::SETSID);
        }
        if let Some(mode) = s.controlling_terminal {
            // Only a session leader without a terminal may take one: right
            // after setsid().
            let force = libc::c_int::from(mode == ControllingTerminal::Force);
            if raw::failed(sys!(SYS_ioctl, 0, libc::TIOCSCTTY, force))
                && mode != ControllingTerminal::IfFree
            {
                raw::exit(exit_code::STDIN);
            }
        }
        for path in &s.cgroup_procs {
            let fd = sys!(
                SYS_openat,
                libc::AT_FDCWD,
                path.as_ptr(),
                libc::O_WRONLY | libc::O_CLOEXEC,
                0
            );
            if raw::failed(fd) || raw::failed(sys!(SYS_write, fd, b"0\n".as_ptr(), 2)) {
                raw::exit(exit_code::CGROUP);
            }
            sys!(SYS_close, fd);
        }
        for l in &s.limits {
            let limit: [u64; 2] = [l.soft, l.hard];
            if raw::failed(sys!(SYS_prlimit64, 0, l.resource, limit.as_ptr(), 0)) {
                raw::exit(exit_code::LIMITS);
            }
        }
        if let Some(nice) = s.nice {
            if raw::failed(sys!(SYS_setpriority, libc::PRIO_PROCESS, 0, nice)) {
                raw::exit(exit_code::NICE);
            }
        }
        if let Some(mask) = s.umask {
            sys!(SYS_umask, mask);
        }
        // Before the credential change: mounts need the daemon's privileges.
        if let Some(sandbox) = &s.sandbox {
            sandbox_child::enter_namespaces(sandbox);
        }
        privileges::apply_scheduling(&s.privileges);
        let ids = |nr, id: u32| raw::call(nr, raw::args([id as usize; 3]));
        // systemd's order: the groups in the host's namespace (supplementary
        // groups need not be mapped), then the user namespace, then the
        // bounding set (the namespace's set starts full) and the user.
        if let Some(c) = &s.credentials {
            let groups = [c.groups.len(), c.groups.as_ptr() as usize];
            if raw::failed(raw::call(raw::SYS_SETGROUPS, raw::args(groups))) {
                raw::exit(exit_code::GROUP);
            }
            if raw::failed(ids(raw::SYS_SETRESGID, c.gid)) {
                raw::exit(exit_code::GROUP);
            }
        }
        if let Some(sandbox) = &s.sandbox {
            sandbox_child::enter_user_namespace(sandbox);
        }
        privileges::apply_bounding(&s.privileges);
        if let Some(c) = &s.credentials {
            if raw::failed(ids(raw::SYS_SETRESUID, c.uid)) {
                raw::exit(exit_code::USER);
            }
        }
        privileges::apply_ambient(&s.privileges);
        privileges::apply_keyring(&s.privileges);
        // After the credential change, as systemd does: the directory must be
        // reachable by the service's user.
        if let Some(dir) = &s.working_directory {
            if raw::failed(sys!(SYS_chdir, dir.as_ptr())) && !s.working_directory_missing_ok {
                raw::exit(exit_code::CHDIR);
            }
        }
        privileges::apply_no_new_privs(&s.privileges);
        let empty: u64 = 0;
        if raw::failed(sys!(
            SYS_rt_sigprocmask,
            libc::SIG_SETMASK,
            std::ptr::from_ref(&empty),
            0,
            NSIG / 8
        )) {
            raw::exit(exit_code::SIGNAL_MASK);
        }
    }
}
