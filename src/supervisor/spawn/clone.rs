//! Starting a child that shares the daemon's memory until its exec, without
//! waiting for the exec: `clone(CLONE_VM | CLONE_CHILD_CLEARTID)`, with what
//! the child reads kept until the kernel says it is done with it.

use std::io;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use nix::unistd::Pid;

use super::child::exec_child;
use super::{raw, BlockedSignals, ChildImage};

/// The stack a cloned child runs on (it must not use the parent's, which the
/// parent goes on using): anonymous memory with a guard page below.
struct ChildStack {
    base: *mut libc::c_void,
    len: usize,
}

// SAFETY: a mapping owned by the value alone; any thread may use or unmap it.
unsafe impl Send for ChildStack {}

impl ChildStack {
    /// Enough for `exec_child`, whose frames are small and fixed.
    const SIZE: usize = 64 * 1024;

    fn new() -> io::Result<ChildStack> {
        // SAFETY: sysconf has no preconditions.
        let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096);
        let len = Self::SIZE + page;
        // SAFETY: a fresh private anonymous mapping; no existing memory involved.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let stack = ChildStack { base, len };
        // The stack grows down: an overflow faults instead of writing below.
        // SAFETY: the first page of the mapping made above.
        if unsafe { libc::mprotect(base, page, libc::PROT_NONE) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(stack)
    }

    /// The initial stack pointer: the end of the mapping (page-aligned).
    fn top(&self) -> *mut libc::c_void {
        // SAFETY: one past the end of the mapping, which is what clone wants.
        unsafe { self.base.cast::<u8>().add(self.len).cast() }
    }
}

impl Drop for ChildStack {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`; the child that ran on it has
        // exec'd or exited (see `InFlight`), so nothing runs on it any more.
        unsafe { libc::munmap(self.base, self.len) };
    }
}

/// A child started by `clone_exec` and everything it reads until its exec.
/// Allocated once and reached through a [`Flight`] pointer only: nothing
/// owns it uniquely (no `Box`, no `&mut`) while the child may read it.
struct InFlight {
    /// 1 until the child has exec'd or ended; the kernel then writes 0 here
    /// (`CLONE_CHILD_CLEARTID`: the word is cleared when the child lets go
    /// of the shared memory, at exec as at exit).
    running: AtomicU32,
    image: ChildImage,
    stack: ChildStack,
}

/// The address of a leaked [`InFlight`], freed by [`Flight::retire`].
struct Flight(NonNull<InFlight>);

// SAFETY: an InFlight's pointers point into its own buffers, and nothing in
// it belongs to the thread that made it; it is only read through shared
// references (the one word written to is an atomic) until it is retired.
unsafe impl Send for Flight {}

/// Children that have not exec'd yet, with what they read, kept until they
/// have (checked at each spawn).
static IN_FLIGHT: Mutex<Vec<Flight>> = Mutex::new(Vec::new());

/// Stacks of children that have exec'd, for the next ones: mapping a new one
/// takes the address space's write lock, which the daemon's threads would
/// wait for.
static SPARE_STACKS: Mutex<Vec<ChildStack>> = Mutex::new(Vec::new());
const SPARE_STACKS_KEPT: usize = 16;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl InFlight {
    fn exec_done(&self) -> bool {
        self.running.load(Ordering::Acquire) == 0
    }
}

impl Flight {
    fn new(flight: InFlight) -> Flight {
        Flight(NonNull::from(Box::leak(Box::new(flight))))
    }

    fn get(&self) -> &InFlight {
        // SAFETY: allocated in `new` and freed only by `retire`, which takes
        // `self`; only ever shared.
        unsafe { self.0.as_ref() }
    }

    /// Frees what the child read, keeping its stack for another.
    ///
    /// # Safety
    /// The child no longer reads it: its `running` word is 0, or the clone
    /// failed.
    unsafe fn retire(self) {
        // SAFETY: made by Box::leak in `new`; the caller vouches that the
        // child is done with it.
        let flight = unsafe { Box::from_raw(self.0.as_ptr()) };
        let mut spare = lock(&SPARE_STACKS);
        if spare.len() < SPARE_STACKS_KEPT {
            spare.push(flight.stack);
        }
    }
}

/// Retires every in-flight child that has exec'd or ended.
fn retire_finished() {
    let finished: Vec<Flight> = {
        let mut in_flight = lock(&IN_FLIGHT);
        let mut finished = Vec::new();
        let mut i = 0;
        while i < in_flight.len() {
            if in_flight[i].get().exec_done() {
                finished.push(in_flight.swap_remove(i));
            } else {
                i += 1;
            }
        }
        finished
    };
    for flight in finished {
        // SAFETY: its word is 0: the child has exec'd or ended.
        unsafe { flight.retire() };
    }
}

extern "C" fn clone_child(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `arg` is the InFlight of a Flight, which the parent keeps until
    // the kernel clears its `running` word: after this child's exec or exit.
    unsafe { exec_child(&(*arg.cast::<InFlight>()).image) }
}

/// clone(CLONE_VM | CLONE_CHILD_CLEARTID): the child runs on the parent's
/// memory, beside it, until its exec. Returns at once (after the exec where
/// the child's calls need the C library, see [`raw`]).
pub(super) fn clone_exec(image: ChildImage) -> io::Result<Pid> {
    retire_finished();
    let spare = lock(&SPARE_STACKS).pop();
    let stack = match spare {
        Some(stack) => stack,
        None => ChildStack::new()?,
    };
    let flight = Flight::new(InFlight {
        running: AtomicU32::new(1),
        image,
        stack,
    });
    let shared = flight.get();
    // Where the C library's syscall(2) is used in the child, it may set
    // errno: the parent must wait for the exec there.
    let vfork = if raw::ERRNO_FREE {
        0
    } else {
        libc::CLONE_VFORK
    };
    // Signals blocked across the clone: a handler of the daemon must not run
    // in the child, on the daemon's memory. The child inherits the mask,
    // resets every disposition, then clears the mask before exec.
    let blocked = BlockedSignals::all();
    // SAFETY: the child runs on its own stack and reads only `shared`, kept
    // until its word is cleared (see `Flight`).
    let pid = unsafe {
        libc::clone(
            clone_child,
            shared.stack.top(),
            libc::CLONE_VM | libc::CLONE_CHILD_CLEARTID | vfork | libc::SIGCHLD,
            flight.0.as_ptr().cast(),
            std::ptr::null_mut::<libc::pid_t>(),
            std::ptr::null_mut::<libc::c_void>(),
            shared.running.as_ptr(),
        )
    };
    let clone_error = io::Error::last_os_error();
    drop(blocked);
    if pid < 0 {
        // SAFETY: there is no child.
        unsafe { flight.retire() };
        return Err(clone_error);
    }
    if shared.exec_done() {
        // SAFETY: the child has exec'd or ended.
        unsafe { flight.retire() };
    } else {
        lock(&IN_FLIGHT).push(flight);
    }
    Ok(Pid::from_raw(pid))
}

/// How many children are still in flight, after retiring those that are
/// done.
#[cfg(test)]
pub(super) fn in_flight() -> usize {
    retire_finished();
    lock(&IN_FLIGHT).len()
}
