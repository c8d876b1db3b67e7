//! `RandomizedDelaySec=`, `FixedRandomDelay=` and `RandomizedOffsetSec=`.
//!
//! A randomized delay is drawn from an injected [`RandomSource`] each time a
//! timer's next elapse is computed, so tests choose their numbers. The fixed
//! delay and the randomized offset are a hash of who runs the timer (machine,
//! system or user manager, uid, unit name): stable across restarts, different
//! between hosts and units.

use std::fmt;
use std::hash::Hasher;

use siphasher::sip::SipHasher24;
use sundial_calendar::Timespan;

use super::clock::ClockId;

/// One elapse of a timer that gets a random delay: the timer, and when the
/// elapse is scheduled before the delay (microseconds on `clock`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence<'a> {
    /// The timer's unit name.
    pub unit: &'a str,
    /// The clock of `scheduled`.
    pub clock: ClockId,
    /// The scheduled elapse.
    pub scheduled: u64,
}

/// Where random delays come from.
pub trait RandomSource: fmt::Debug {
    /// A uniformly distributed 64-bit number for the delay of `occurrence`.
    fn draw(&mut self, occurrence: Occurrence<'_>) -> u64;
}

/// SplitMix64: a small, fast generator, deterministic for a given seed. The
/// daemon seeds it from the kernel and draws anew at every computation, as
/// systemd does; tests seed it with a constant.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    /// The next number of the sequence.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl RandomSource for SplitMix64 {
    fn draw(&mut self, _: Occurrence<'_>) -> u64 {
        self.next_u64()
    }
}

/// Draws that are a hash of a seed and the occurrence alone (`sundial
/// simulate --seed`): a timer's delays do not depend on which other timers
/// are simulated, nor on how often its elapse is computed again.
#[derive(Debug, Clone)]
pub struct SeededDraws {
    seed: u64,
}

impl SeededDraws {
    /// Draws keyed by `seed`.
    pub fn new(seed: u64) -> SeededDraws {
        SeededDraws { seed }
    }
}

impl RandomSource for SeededDraws {
    fn draw(&mut self, o: Occurrence<'_>) -> u64 {
        let mut hasher = SipHasher24::new_with_keys(self.seed, 0x7369_6d75_6c61_7465);
        hasher.write(o.unit.as_bytes());
        hasher.write_u8(0xff);
        hasher.write_u8(match o.clock {
            ClockId::Realtime => 0,
            ClockId::Monotonic => 1,
            ClockId::Boottime => 2,
        });
        hasher.write_u64(o.scheduled);
        hasher.finish()
    }
}

/// Who runs the timers: the inputs of the per-unit hashes and of the
/// coalescing perturbation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct HostIdentity {
    /// `/etc/machine-id` as 16 bytes (all zero if unknown, as systemd does).
    pub machine_id: [u8; 16],
    /// `/proc/sys/kernel/random/boot_id` as 16 bytes.
    pub boot_id: [u8; 16],
    /// Whether this is the system manager (otherwise a user's).
    pub system: bool,
    /// The manager's uid.
    pub uid: u32,
}

impl HostIdentity {
    /// The identity every node of a cluster shares (their seed in place of
    /// the machine), for the delays of cluster timers.
    pub fn of_cluster(seed: u64) -> HostIdentity {
        let mut machine_id = [0u8; 16];
        machine_id[..8].copy_from_slice(&seed.to_le_bytes());
        machine_id[8..].copy_from_slice(b"cluster\0");
        HostIdentity {
            machine_id,
            boot_id: [0; 16],
            system: true,
            uid: 0,
        }
    }

    /// The stable hash of this host and `unit` (`FixedRandomDelay=`,
    /// `RandomizedOffsetSec=`). Same inputs as systemd's; the hash key is
    /// sundial's own, so the resulting delay differs from systemd's.
    pub fn unit_hash(&self, unit: &str) -> u64 {
        let mut hasher = SipHasher24::new_with_keys(0x7375_6e64_6961_6c2d, 0x6669_7865_642d_7264);
        hasher.write(&self.machine_id);
        hasher.write_u8(u8::from(self.system));
        hasher.write_u32(self.uid);
        hasher.write(unit.as_bytes());
        hasher.finish()
    }
}

/// The delay added to one computed elapse: uniform in `[0, max)`.
pub fn randomized_delay(
    max: Timespan,
    fixed: bool,
    host: &HostIdentity,
    occurrence: Occurrence<'_>,
    random: &mut dyn RandomSource,
) -> Timespan {
    if max.is_zero() || max.is_infinite() {
        return Timespan::ZERO;
    }
    let draw = if fixed {
        host.unit_hash(occurrence.unit)
    } else {
        random.draw(occurrence)
    };
    Timespan::from_usec(draw % max.as_usec())
}

/// The stable offset added to a unit's calendar elapses
/// (`RandomizedOffsetSec=`), uniform in `[0, max)`.
pub fn randomized_offset(max: Timespan, host: &HostIdentity, unit: &str) -> Timespan {
    if max.is_zero() || max.is_infinite() {
        return Timespan::ZERO;
    }
    // Salted differently from the fixed delay so that a unit using both does
    // not get the same number twice.
    let salted = host.unit_hash(unit) ^ 0x5bd1_e995_5bd1_e995;
    Timespan::from_usec(salted.wrapping_mul(0x9E37_79B9_7F4A_7C15) % max.as_usec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(unit: &str, scheduled: u64) -> Occurrence<'_> {
        Occurrence {
            unit,
            clock: ClockId::Realtime,
            scheduled,
        }
    }

    #[test]
    fn fixed_delay_is_stable_and_depends_on_inputs() {
        let host = HostIdentity {
            machine_id: [1; 16],
            uid: 1000,
            ..HostIdentity::default()
        };
        let max = Timespan::from_secs(3600);
        let mut r = SplitMix64::new(1);
        let a = randomized_delay(max, true, &host, at("backup.timer", 1), &mut r);
        assert_eq!(
            a,
            randomized_delay(max, true, &host, at("backup.timer", 2), &mut r)
        );
        assert!(a < max);
        assert_ne!(
            a,
            randomized_delay(max, true, &host, at("other.timer", 1), &mut r)
        );
        let other_host = HostIdentity {
            machine_id: [2; 16],
            ..host
        };
        assert_ne!(
            a,
            randomized_delay(max, true, &other_host, at("backup.timer", 1), &mut r)
        );
    }

    #[test]
    fn random_delay_stays_in_bound_and_varies() {
        let host = HostIdentity::default();
        let max = Timespan::from_secs(30);
        let mut r = SplitMix64::new(42);
        let draws: Vec<_> = (0..1000)
            .map(|_| randomized_delay(max, false, &host, at("x.timer", 1), &mut r))
            .collect();
        assert!(draws.iter().all(|d| *d < max));
        let distinct: std::collections::BTreeSet<_> = draws.iter().collect();
        assert!(distinct.len() > 900);
        assert_eq!(
            randomized_delay(Timespan::ZERO, false, &host, at("x.timer", 1), &mut r),
            Timespan::ZERO
        );
    }

    #[test]
    fn seeded_draws_depend_on_the_seed_and_the_occurrence_only() {
        let max = Timespan::from_secs(3600);
        let host = HostIdentity::default();
        let delay = |seed: u64, o: Occurrence<'_>| {
            randomized_delay(max, false, &host, o, &mut SeededDraws::new(seed))
        };
        let mut shared = SeededDraws::new(7);
        // Drawing for other timers in between changes nothing.
        let first = randomized_delay(max, false, &host, at("a.timer", 10), &mut shared);
        for i in 0..5 {
            randomized_delay(max, false, &host, at("b.timer", i), &mut shared);
        }
        let again = randomized_delay(max, false, &host, at("a.timer", 10), &mut shared);
        assert_eq!(first, again);
        assert_eq!(first, delay(7, at("a.timer", 10)));
        assert_ne!(first, delay(8, at("a.timer", 10)));
        assert_ne!(first, delay(7, at("a.timer", 11)));
        assert_ne!(first, delay(7, at("c.timer", 10)));
        let monotonic = Occurrence {
            clock: ClockId::Monotonic,
            ..at("a.timer", 10)
        };
        assert_ne!(first, delay(7, monotonic));
    }
}
