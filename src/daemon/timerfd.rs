//! One timerfd per clock, armed at the scheduler's earliest deadline on it.
//!
//! The realtime timerfd is always armed with `TFD_TIMER_ABSTIME |
//! TFD_TIMER_CANCEL_ON_SET`, at the far future when no calendar timer waits, so
//! that a step of the wall clock (set by hand, NTP stepping, a VM resumed) makes
//! its read fail with ECANCELED at once and the daemon recomputes calendar
//! elapses (systemd does the same with its own timerfd). Nothing else wakes an
//! idle daemon: there is no polling tick.

use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};

use nix::errno::Errno;
use nix::sys::time::TimeSpec;
use nix::sys::timerfd::{ClockId, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags};
use tokio::io::unix::AsyncFd;

use crate::scheduler::clock::ClockId as Which;
use crate::scheduler::Wakeups;

/// What woke the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fired {
    /// A clock reached its armed deadline.
    Elapsed(Which),
    /// The wall clock was set: calendar deadlines must be recomputed.
    ClockChanged,
}

/// Far enough that it never fires (about 35,000 years), small enough that the
/// kernel takes it without clamping surprises.
const FAR_FUTURE_SECS: i64 = 1 << 40;

/// The three timerfds and what each is armed at (µs on its clock), so that an
/// unchanged deadline costs no system call.
#[derive(Debug)]
pub struct ClockTimers {
    realtime: AsyncFd<Tfd>,
    monotonic: AsyncFd<Tfd>,
    boottime: AsyncFd<Tfd>,
    armed: [Option<u64>; 3],
}

/// A timerfd as tokio's reactor wants it.
#[derive(Debug)]
struct Tfd(TimerFd);

impl AsRawFd for Tfd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

fn create(clock: ClockId) -> io::Result<AsyncFd<Tfd>> {
    let fd = Tfd(TimerFd::new(
        clock,
        TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC,
    )?);
    // SAFETY: the TimerFd owns its descriptor (an OwnedFd it never replaces)
    // and closes it only when dropped, after the AsyncFd that holds it.
    unsafe { AsyncFd::register(fd) }.map_err(|e| e.into_parts().1)
}

fn timespec(usec: u64) -> TimeSpec {
    // An all-zero absolute expiry would disarm the timer instead of firing it.
    let usec = usec.max(1);
    TimeSpec::new(
        i64::try_from(usec / 1_000_000).unwrap_or(FAR_FUTURE_SECS),
        ((usec % 1_000_000) * 1000) as i64,
    )
}

fn index(which: Which) -> usize {
    match which {
        Which::Realtime => 0,
        Which::Monotonic => 1,
        Which::Boottime => 2,
    }
}

impl ClockTimers {
    /// Creates the three timerfds, none armed yet. Needs a tokio runtime.
    pub fn new() -> io::Result<ClockTimers> {
        let timers = ClockTimers {
            realtime: create(ClockId::CLOCK_REALTIME)?,
            monotonic: create(ClockId::CLOCK_MONOTONIC)?,
            boottime: create(ClockId::CLOCK_BOOTTIME)?,
            armed: [None; 3],
        };
        Ok(timers)
    }

    fn fd(&self, which: Which) -> &AsyncFd<Tfd> {
        match which {
            Which::Realtime => &self.realtime,
            Which::Monotonic => &self.monotonic,
            Which::Boottime => &self.boottime,
        }
    }

    /// Arms each clock's timerfd at its deadline in `wakeups` (disarms the
    /// monotonic ones that have none; the realtime one goes to the far future).
    pub fn arm(&mut self, wakeups: &Wakeups) -> io::Result<()> {
        let realtime = wakeups
            .realtime
            .map(|t| t.as_usec().max(1) as u64)
            .unwrap_or(FAR_FUTURE_SECS as u64 * 1_000_000);
        self.set(Which::Realtime, Some(realtime))?;
        self.set(Which::Monotonic, wakeups.monotonic.map(|m| m.as_usec()))?;
        self.set(Which::Boottime, wakeups.boottime.map(|b| b.as_usec()))
    }

    fn set(&mut self, which: Which, at: Option<u64>) -> io::Result<()> {
        let i = index(which);
        if self.armed[i] == at {
            return Ok(());
        }
        let fd = &self.fd(which).get_ref().0;
        match at {
            Some(usec) => {
                let mut flags = TimerSetTimeFlags::TFD_TIMER_ABSTIME;
                if which == Which::Realtime {
                    flags |= TimerSetTimeFlags::TFD_TIMER_CANCEL_ON_SET;
                }
                fd.set(Expiration::OneShot(timespec(usec)), flags)?;
            }
            None => fd.unset()?,
        }
        self.armed[i] = at;
        Ok(())
    }

    /// Forgets what the realtime timer is armed at, so the next
    /// [`ClockTimers::arm`] sets it again (after a cancel, the kernel wants a
    /// fresh `timerfd_settime` to watch for the next clock change).
    pub fn forget_realtime(&mut self) {
        self.armed[0] = None;
    }

    /// Waits until a timer fires or the wall clock is set. Cancel-safe.
    pub async fn wait(&mut self) -> io::Result<Fired> {
        let fired = tokio::select! {
            r = Self::wait_one(&self.realtime, Which::Realtime) => r?,
            r = Self::wait_one(&self.monotonic, Which::Monotonic) => r?,
            r = Self::wait_one(&self.boottime, Which::Boottime) => r?,
        };
        // A one-shot timer that fired is disarmed by the kernel, and a
        // cancelled one must be set again.
        match fired {
            Fired::Elapsed(which) => self.armed[index(which)] = None,
            Fired::ClockChanged => self.forget_realtime(),
        }
        Ok(fired)
    }

    async fn wait_one(fd: &AsyncFd<Tfd>, which: Which) -> io::Result<Fired> {
        loop {
            let mut guard = fd.readable().await?;
            let mut expirations = [0u8; 8];
            match nix::unistd::read(guard.get_inner().0.as_fd(), &mut expirations) {
                Ok(_) => return Ok(Fired::Elapsed(which)),
                Err(Errno::ECANCELED) => return Ok(Fired::ClockChanged),
                Err(Errno::EAGAIN) | Err(Errno::EINTR) => guard.clear_ready(),
                Err(e) => return Err(e.into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::clock::RealClock;
    use crate::scheduler::clock::Clock;
    use std::time::{Duration, Instant};
    use sundial_calendar::Timespan;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn fires_at_the_monotonic_deadline_and_not_before() {
        runtime().block_on(async {
            let mut timers = ClockTimers::new().unwrap();
            let now = RealClock.now();
            let due = now.monotonic + Timespan::from_usec(30_000);
            timers
                .arm(&Wakeups {
                    monotonic: Some(due),
                    ..Wakeups::default()
                })
                .unwrap();
            let started = Instant::now();
            let fired = tokio::time::timeout(Duration::from_secs(5), timers.wait())
                .await
                .expect("fires within 5 s")
                .unwrap();
            assert_eq!(fired, Fired::Elapsed(Which::Monotonic));
            assert!(started.elapsed() >= Duration::from_millis(25));
            assert!(RealClock.now().monotonic >= due);
        });
    }

    #[test]
    fn realtime_deadline_in_the_past_fires_at_once() {
        runtime().block_on(async {
            let mut timers = ClockTimers::new().unwrap();
            let now = RealClock.now();
            timers
                .arm(&Wakeups {
                    realtime: Some(now.realtime),
                    ..Wakeups::default()
                })
                .unwrap();
            let fired = tokio::time::timeout(Duration::from_secs(5), timers.wait())
                .await
                .expect("fires at once")
                .unwrap();
            assert_eq!(fired, Fired::Elapsed(Which::Realtime));
        });
    }

    #[test]
    fn disarmed_timers_stay_quiet() {
        runtime().block_on(async {
            let mut timers = ClockTimers::new().unwrap();
            let soon = RealClock.now().monotonic + Timespan::from_usec(10_000);
            timers
                .arm(&Wakeups {
                    monotonic: Some(soon),
                    ..Wakeups::default()
                })
                .unwrap();
            timers.arm(&Wakeups::default()).unwrap();
            let waited = tokio::time::timeout(Duration::from_millis(60), timers.wait()).await;
            assert!(waited.is_err(), "nothing is due: {waited:?}");
        });
    }
}
