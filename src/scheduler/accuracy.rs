//! `AccuracySec=`: coalescing wake-ups, as sd-event does for every timer of
//! a manager on one clock.
//!
//! A clock holds sources due at `next` that may wait until `next + accuracy`.
//! The clock wakes once, at a point inside `[a, b]` where `a` is the earliest
//! `next` and `b` the smallest `next + accuracy`, and every source with
//! `next` at or before the wake-up is dispatched together. The point is the
//! latest instant of the form `k·1min + P` before `b`, `P` being a per-host,
//! per-boot perturbation; failing that, the same on a 10 s, 1 s and 250 ms
//! grid; failing that, `b`. All timers of one host thus fire at the same
//! second offset within the minute.

use std::hash::Hasher;

use siphasher::sip::SipHasher24;

const MINUTE: u64 = 60_000_000;

/// The grids tried in turn, coarsest first (systemd: sleep_between()).
const GRIDS: [u64; 4] = [MINUTE, 10_000_000, 1_000_000, 250_000];

/// The per-host, per-boot offset inside the minute at which coalesced
/// timers wake, in microseconds (`0 ≤ P < 1 min`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Perturbation(u64);

impl Perturbation {
    /// Derived from the boot id, so that it is stable during one boot and
    /// differs between hosts. (systemd hashes the boot id too; the hash
    /// function differs, so the offset differs from systemd's own.)
    pub fn from_boot_id(boot_id: &[u8; 16]) -> Perturbation {
        let mut hasher = SipHasher24::new_with_keys(0x7375_6e64_6961_6c21, 0x6163_6375_7261_6379);
        hasher.write(boot_id);
        Perturbation(hasher.finish() % MINUTE)
    }

    /// A given offset (taken modulo one minute).
    pub fn from_usec(usec: u64) -> Perturbation {
        Perturbation(usec % MINUTE)
    }

    /// The offset in microseconds.
    pub fn as_usec(self) -> u64 {
        self.0
    }

    /// The wake-up for a window from `a` (earliest due) to `b` (latest
    /// acceptable), both in microseconds on one clock.
    pub fn wake_between(self, a: u64, b: u64) -> u64 {
        if b <= a.saturating_add(1) {
            return a;
        }
        for grid in GRIDS {
            let offset = self.0 % grid;
            let mut c = (b / grid) * grid + offset;
            if c >= b {
                // The grid point of b's period is too late: take the previous one.
                if c < grid {
                    return b;
                }
                c -= grid;
            }
            if c >= a {
                return c;
            }
        }
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000;

    #[test]
    fn prefers_the_minute_grid() {
        let p = Perturbation::from_usec(17 * S);
        // Due at 12:00:00, may wait a minute: wakes at 12:00:17.
        let a = 43_200 * S;
        assert_eq!(p.wake_between(a, a + 60 * S), a + 17 * S);
        // Due at 12:00:30, may wait until 12:01:30: wakes at 12:01:17.
        let a = 43_230 * S;
        assert_eq!(p.wake_between(a, a + 60 * S), a + 47 * S);
    }

    #[test]
    fn falls_back_to_finer_grids_then_b() {
        let p = Perturbation::from_usec(17 * S + 300_000);
        let a = 43_200 * S;
        // 5 s of slack: no :17 minute point; 10 s grid point 12:00:07.3 > b;
        // 1 s grid: 12:00:04.3.
        assert_eq!(p.wake_between(a, a + 5 * S), a + 4 * S + 300_000);
        // 100 ms of slack: the 250 ms grid point at +50 ms fits a window
        // that starts before it, not one that starts after it.
        assert_eq!(p.wake_between(a + 10_000, a + 110_000), a + 50_000);
        assert_eq!(p.wake_between(a + 60_000, a + 110_000), a + 110_000);
        // One microsecond of accuracy: exactly on time.
        assert_eq!(p.wake_between(a, a + 1), a);
    }

    #[test]
    fn wake_stays_inside_the_window() {
        let p = Perturbation::from_boot_id(&[7; 16]);
        for a in (0..10_000_000_000_u64).step_by(7_777_777) {
            for slack in [1, 999, 250_000, 999_999, 10 * S, 60 * S, 3600 * S] {
                let w = p.wake_between(a, a + slack);
                assert!(w >= a && w <= a + slack, "a={a} slack={slack} w={w}");
            }
        }
    }
}
