//! Where the daemon reads the time: the kernel's three clocks, or, for tests,
//! a manual clock that moves only when told to.
//!
//! The manual clock is driven over its own small socket (`clock.sock` beside
//! the control socket), one command per line, so that a test can jump the
//! daemon's wall clock forward and back without touching the machine's:
//!
//! ```text
//! now                    -> ok <realtime> <monotonic> <boottime>   (µs)
//! set-realtime <usec>    -> the wall clock jumps (as when an administrator steps it)
//! advance <usec>         -> time passes on all three clocks
//! suspend <usec>         -> the machine sleeps: realtime and boottime move
//! ```
//!
//! Every command answers with the clock after the daemon has acted on it, so
//! the elapses it caused have been started when the answer arrives. It is
//! enabled only by `--clock=manual` together with
//! `SUNDIAL_ALLOW_MANUAL_CLOCK=1`, so a production daemon cannot be fooled;
//! `SUNDIAL_MANUAL_CLOCK_START` sets the wall time it starts at, and
//! `SUNDIAL_MANUAL_CLOCK_UPTIME` with `SUNDIAL_MANUAL_CLOCK_BOOT_ID` the
//! monotonic clocks and the boot id, so that a test can restart the daemon
//! as if the machine had rebooted.

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use nix::time::{clock_gettime, ClockId as NixClock};
use sundial_calendar::{Timespan, Timestamp};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixListener;
use tokio::sync::{mpsc, oneshot};

use crate::scheduler::clock::{Boottime, Clock, ClockSnapshot, ManualClock, Monotonic};

/// The environment variable that must be `1` for `--clock=manual`.
pub const MANUAL_CLOCK_ENV: &str = "SUNDIAL_ALLOW_MANUAL_CLOCK";

/// Where the manual clock's wall time starts (µs since the epoch); the
/// monotonic clocks start at the kernel's readings.
pub const MANUAL_CLOCK_START_ENV: &str = "SUNDIAL_MANUAL_CLOCK_START";

/// Where the manual clock's monotonic clocks start (µs since "boot"); by
/// default at the kernel's readings.
pub const MANUAL_CLOCK_UPTIME_ENV: &str = "SUNDIAL_MANUAL_CLOCK_UPTIME";

/// The boot id a daemon on the manual clock believes in; by default the
/// kernel's.
pub const MANUAL_CLOCK_BOOT_ID_ENV: &str = "SUNDIAL_MANUAL_CLOCK_BOOT_ID";

/// The kernel's clocks.
#[derive(Debug, Clone, Copy, Default)]
pub struct RealClock;

fn read_usec(clock: NixClock) -> u64 {
    // clock_gettime fails only for an unknown clock id; these three exist on
    // every Linux the daemon supports.
    let ts = clock_gettime(clock).expect("CLOCK_REALTIME/MONOTONIC/BOOTTIME are always readable");
    (ts.tv_sec() as u64)
        .saturating_mul(1_000_000)
        .saturating_add(ts.tv_nsec() as u64 / 1000)
}

impl Clock for RealClock {
    fn now(&self) -> ClockSnapshot {
        let monotonic = read_usec(NixClock::CLOCK_MONOTONIC);
        let realtime = clock_gettime(NixClock::CLOCK_REALTIME)
            .map(|ts| ts.tv_sec() * 1_000_000 + ts.tv_nsec() / 1000)
            .expect("CLOCK_REALTIME is always readable");
        let boottime = read_usec(NixClock::CLOCK_BOOTTIME);
        ClockSnapshot {
            realtime: Timestamp::from_usec(realtime),
            monotonic: Monotonic::from_usec(monotonic),
            boottime: Boottime::from_usec(boottime),
        }
    }
}

/// The daemon's clock.
#[derive(Debug, Clone)]
pub enum DaemonClock {
    /// The kernel's clocks; elapses wake the daemon through timerfds.
    Real(RealClock),
    /// A test's clock; it moves by [`ClockCommand`]s.
    Manual(ManualClock),
}

impl Clock for DaemonClock {
    fn now(&self) -> ClockSnapshot {
        match self {
            DaemonClock::Real(c) => c.now(),
            DaemonClock::Manual(c) => c.now(),
        }
    }
}

impl DaemonClock {
    /// The wall-clock times of earlier readings of the monotonic clock
    /// (`std::time::Instant`s the supervisor took), as seen from now. The
    /// manual clock stands still between its commands: everything since the
    /// last one happened at its `now`.
    pub fn wall_times(&self) -> WallTimes {
        // The instant first: the wall clock read after it is never early.
        let reference = std::time::Instant::now();
        WallTimes {
            reference,
            now: self.now().realtime,
            frozen: matches!(self, DaemonClock::Manual(_)),
        }
    }
}

/// Turns `Instant`s into wall-clock times (see [`DaemonClock::wall_times`]).
#[derive(Debug, Clone, Copy)]
pub struct WallTimes {
    reference: std::time::Instant,
    now: Timestamp,
    frozen: bool,
}

impl WallTimes {
    /// The wall-clock time of `at`, which is not after the reference.
    pub fn of(&self, at: std::time::Instant) -> Timestamp {
        if self.frozen {
            return self.now;
        }
        let ago = self.reference.saturating_duration_since(at);
        let ago = i64::try_from(ago.as_micros()).unwrap_or(i64::MAX);
        Timestamp::from_usec(self.now.as_usec().saturating_sub(ago))
    }
}

/// A move of the manual clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockMove {
    /// Read it only.
    Now,
    /// The wall clock jumps to this instant.
    SetRealtime(Timestamp),
    /// Time passes.
    Advance(Timespan),
    /// The machine is suspended for this long.
    Suspend(Timespan),
}

/// Why a line is no manual clock command; each names the verb or word.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClockMoveError {
    #[error("{verb}: expected microseconds, found {found:?}")]
    NotMicroseconds { verb: String, found: Option<String> },
    #[error("{verb}: a span cannot be negative")]
    NegativeSpan { verb: String },
    #[error("unknown command {0:?}: expected now, set-realtime, advance or suspend")]
    UnknownCommand(String),
}

impl ClockMove {
    /// Parses one command line.
    pub fn parse(line: &str) -> Result<ClockMove, ClockMoveError> {
        let mut words = line.split_whitespace();
        let verb = words.next().unwrap_or_default();
        let arg = words.next();
        let number = || -> Result<i64, ClockMoveError> {
            arg.and_then(|a| a.parse().ok())
                .ok_or_else(|| ClockMoveError::NotMicroseconds {
                    verb: verb.to_owned(),
                    found: arg.map(str::to_owned),
                })
        };
        let span = || -> Result<Timespan, ClockMoveError> {
            u64::try_from(number()?)
                .map(Timespan::from_usec)
                .map_err(|_| ClockMoveError::NegativeSpan {
                    verb: verb.to_owned(),
                })
        };
        match verb {
            "now" => Ok(ClockMove::Now),
            "set-realtime" => Ok(ClockMove::SetRealtime(Timestamp::from_usec(number()?))),
            "advance" => Ok(ClockMove::Advance(span()?)),
            "suspend" => Ok(ClockMove::Suspend(span()?)),
            _ => Err(ClockMoveError::UnknownCommand(verb.to_owned())),
        }
    }

    /// Applies the move; true when the wall clock jumped relative to the
    /// monotonic clock (what TFD_TIMER_CANCEL_ON_SET reports).
    pub fn apply(self, clock: &mut ManualClock) -> bool {
        match self {
            ClockMove::Now => false,
            ClockMove::SetRealtime(t) => {
                clock.set_realtime(t);
                true
            }
            ClockMove::Advance(span) => {
                clock.advance(span);
                false
            }
            ClockMove::Suspend(span) => {
                clock.suspend(span);
                false
            }
        }
    }
}

/// A command for the event loop; it answers with the clock afterwards.
#[derive(Debug)]
pub struct ClockCommand {
    /// The move.
    pub action: ClockMove,
    /// Where the answer goes.
    pub reply: oneshot::Sender<ClockSnapshot>,
}

/// The manual clock's socket in `runtime_dir`.
pub fn clock_socket(runtime_dir: &Path) -> PathBuf {
    runtime_dir.join("clock.sock")
}

/// Listens on the clock socket and forwards commands to the event loop until
/// its receiver is dropped.
pub fn serve_manual_clock(path: &Path) -> io::Result<mpsc::Receiver<ClockCommand>> {
    let _ = std::fs::remove_file(path);
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let tx = tx.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    let answer = match ClockMove::parse(&line) {
                        Ok(action) => {
                            let (reply, answer) = oneshot::channel();
                            if tx.send(ClockCommand { action, reply }).await.is_err() {
                                return;
                            }
                            match answer.await {
                                Ok(now) => format!(
                                    "ok {} {} {}\n",
                                    now.realtime.as_usec(),
                                    now.monotonic.as_usec(),
                                    now.boottime.as_usec()
                                ),
                                Err(_) => return,
                            }
                        }
                        Err(e) => format!("error {e}\n"),
                    };
                    if write.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    Ok(rx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_clock_reads_three_sane_clocks() {
        let a = RealClock.now();
        let b = RealClock.now();
        assert!(a.realtime.as_usec() > 1_600_000_000_000_000);
        assert!(b.monotonic >= a.monotonic);
        assert!(a.boottime.as_usec() >= a.monotonic.as_usec());
    }

    #[test]
    fn commands_parse_and_move_the_clock() {
        let start = ClockSnapshot::booted_at(Timestamp::from_secs(1000), Timespan::from_secs(5));
        let mut clock = ManualClock::new(start);
        assert!(!ClockMove::parse("advance 1000000")
            .unwrap()
            .apply(&mut clock));
        assert_eq!(clock.now().monotonic.as_usec(), 6_000_000);
        assert!(ClockMove::parse("set-realtime 50")
            .unwrap()
            .apply(&mut clock));
        assert_eq!(clock.now().realtime, Timestamp::from_usec(50));
        assert_eq!(clock.now().monotonic.as_usec(), 6_000_000);
        ClockMove::parse("suspend 2000000")
            .unwrap()
            .apply(&mut clock);
        assert_eq!(clock.now().monotonic.as_usec(), 6_000_000);
        assert_eq!(clock.now().boottime.as_usec(), 8_000_000);
        assert_eq!(ClockMove::parse(" now "), Ok(ClockMove::Now));
        assert!(ClockMove::parse("advance -5").is_err());
        assert!(ClockMove::parse("advance").is_err());
        assert!(ClockMove::parse("rewind 5").is_err());
        assert_eq!(
            ClockMove::parse("advance -5").unwrap_err().to_string(),
            "advance: a span cannot be negative"
        );
        assert_eq!(
            ClockMove::parse("set-realtime soon")
                .unwrap_err()
                .to_string(),
            "set-realtime: expected microseconds, found Some(\"soon\")"
        );
        assert_eq!(
            ClockMove::parse("rewind 5").unwrap_err(),
            ClockMoveError::UnknownCommand("rewind".into())
        );
    }

    #[test]
    fn instants_become_wall_times_of_their_own() {
        let earlier = std::time::Instant::now();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let later = std::time::Instant::now();
        let times = DaemonClock::Real(RealClock).wall_times();
        let (a, b) = (times.of(earlier), times.of(later));
        assert!(b.as_usec() - a.as_usec() >= 20_000, "{a:?} {b:?}");
        assert!(b <= RealClock.now().realtime);
        // The manual clock's time stands still: all at its now.
        let start = ClockSnapshot::booted_at(Timestamp::from_secs(1000), Timespan::from_secs(5));
        let manual = DaemonClock::Manual(ManualClock::new(start));
        let times = manual.wall_times();
        let now = manual.now().realtime;
        assert_eq!(times.of(earlier), now);
        assert_eq!(times.of(later), now);
    }
}
