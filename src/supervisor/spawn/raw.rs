//! System calls for a child between clone and exec, made without the C
//! library.
//!
//! A child cloned with `CLONE_VM` but without `CLONE_VFORK` runs beside the
//! daemon's thread on the same memory and the same thread-local storage: a
//! C library wrapper that fails would write `errno` into the daemon thread's
//! slot while that thread runs. These calls return the kernel's result
//! (`-errno` on failure) and touch no memory but their arguments.
//!
//! The inline version is for x86-64 only, the one architecture this is
//! tested on. Elsewhere the C library's `syscall(2)` is used and the spawn
//! keeps the parent waiting for the exec (`CLONE_VFORK`), so the two never
//! run at once.

use std::io;

/// Whether the calls below leave `errno` alone, so that a child may run
/// beside its parent before exec.
pub const ERRNO_FREE: bool = cfg!(target_arch = "x86_64");

/// One system call with up to six arguments; the result as the kernel gives
/// it: a value, or `-errno` (from -4095 to -1).
///
/// # Safety
/// The arguments must be valid for the call `nr`, as with syscall(2).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub unsafe fn call(nr: libc::c_long, args: [usize; 6]) -> isize {
    let ret: isize;
    // SAFETY: the x86-64 Linux system call convention; the kernel clobbers
    // rcx and r11 only.
    unsafe {
        std::arch::asm!(
            "syscall",
            inlateout("rax") nr as isize => ret,
            in("rdi") args[0],
            in("rsi") args[1],
            in("rdx") args[2],
            in("r10") args[3],
            in("r8") args[4],
            in("r9") args[5],
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    ret
}

/// See the x86-64 version.
///
/// # Safety
/// The arguments must be valid for the call `nr`, as with syscall(2).
#[cfg(not(target_arch = "x86_64"))]
pub unsafe fn call(nr: libc::c_long, args: [usize; 6]) -> isize {
    // SAFETY: forwarded as given.
    unsafe { call_through_libc(nr, args) }
}

/// The same through the C library's syscall(2), which sets `errno` on
/// failure: for a child that does not run beside its parent.
///
/// # Safety
/// The arguments must be valid for the call `nr`, as with syscall(2).
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
pub unsafe fn call_through_libc(nr: libc::c_long, args: [usize; 6]) -> isize {
    // SAFETY: forwarded as given.
    let ret = unsafe { libc::syscall(nr, args[0], args[1], args[2], args[3], args[4], args[5]) };
    if ret < 0 {
        -(io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EINVAL) as isize)
    } else {
        ret as isize
    }
}

// The calls that take 32-bit user and group ids: on 32-bit x86 and Arm the
// plain ones take 16-bit ids.
#[cfg(not(any(target_arch = "x86", target_arch = "arm")))]
pub use libc::{
    SYS_setgroups as SYS_SETGROUPS, SYS_setresgid as SYS_SETRESGID, SYS_setresuid as SYS_SETRESUID,
};
#[cfg(any(target_arch = "x86", target_arch = "arm"))]
pub use libc::{
    SYS_setgroups32 as SYS_SETGROUPS, SYS_setresgid32 as SYS_SETRESGID,
    SYS_setresuid32 as SYS_SETRESUID,
};

/// The kernel's number of signals (`_NSIG`), the size of its signal sets.
pub const NSIG: libc::c_int = if cfg!(any(target_arch = "mips", target_arch = "mips64")) {
    128
} else {
    64
};

/// A system call: `sys!(SYS_name, args...)`, each argument cast to a
/// register's width; see [`call`].
macro_rules! sys {
    ($nr:ident $(, $arg:expr)* $(,)?) => {
        $crate::supervisor::spawn::raw::call(
            libc::$nr,
            $crate::supervisor::spawn::raw::args([$($arg as usize),*]),
        )
    };
}
pub(super) use sys;

/// A call's arguments, zero-filled to six.
pub fn args<const N: usize>(given: [usize; N]) -> [usize; 6] {
    let mut all = [0; 6];
    all[..N].copy_from_slice(&given);
    all
}

/// Whether a result is an error.
pub fn failed(ret: isize) -> bool {
    (-4095..0).contains(&ret)
}

/// Ends the calling process at once with `code`.
pub fn exit(code: i32) -> ! {
    loop {
        // SAFETY: exit_group takes a plain integer and does not return.
        unsafe { call(libc::SYS_exit_group, args([code as usize])) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_the_kernels_with_errno_untouched() {
        // SAFETY: close and getpid on plain integers.
        unsafe {
            *libc::__errno_location() = 0;
            assert_eq!(
                call(libc::SYS_close, args([usize::MAX >> 1])),
                -(libc::EBADF as isize)
            );
            assert_eq!(call(libc::SYS_getpid, args([])), libc::getpid() as isize);
            if ERRNO_FREE {
                assert_eq!(*libc::__errno_location(), 0);
            }
            assert_eq!(
                call_through_libc(libc::SYS_close, args([usize::MAX >> 1])),
                -(libc::EBADF as isize)
            );
        }
        assert!(failed(-1) && failed(-4095) && !failed(0) && !failed(-4096) && !failed(3));
    }
}
