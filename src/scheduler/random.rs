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

/// Where random delays come from.
pub trait RandomSource: fmt::Debug {
    /// A uniformly distributed 64-bit number.
    fn next_u64(&mut self) -> u64;
}

/// SplitMix64: a small, fast generator, deterministic for a given seed. The
/// daemon seeds it from the kernel; tests from a constant.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }
}

impl RandomSource for SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
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
    unit: &str,
    random: &mut dyn RandomSource,
) -> Timespan {
    if max.is_zero() || max.is_infinite() {
        return Timespan::ZERO;
    }
    let draw = if fixed {
        host.unit_hash(unit)
    } else {
        random.next_u64()
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

    #[test]
    fn fixed_delay_is_stable_and_depends_on_inputs() {
        let host = HostIdentity {
            machine_id: [1; 16],
            uid: 1000,
            ..HostIdentity::default()
        };
        let max = Timespan::from_secs(3600);
        let mut r = SplitMix64::new(1);
        let a = randomized_delay(max, true, &host, "backup.timer", &mut r);
        assert_eq!(
            a,
            randomized_delay(max, true, &host, "backup.timer", &mut r)
        );
        assert!(a < max);
        assert_ne!(a, randomized_delay(max, true, &host, "other.timer", &mut r));
        let other_host = HostIdentity {
            machine_id: [2; 16],
            ..host
        };
        assert_ne!(
            a,
            randomized_delay(max, true, &other_host, "backup.timer", &mut r)
        );
    }

    #[test]
    fn random_delay_stays_in_bound_and_varies() {
        let host = HostIdentity::default();
        let max = Timespan::from_secs(30);
        let mut r = SplitMix64::new(42);
        let draws: Vec<_> = (0..1000)
            .map(|_| randomized_delay(max, false, &host, "x.timer", &mut r))
            .collect();
        assert!(draws.iter().all(|d| *d < max));
        let distinct: std::collections::BTreeSet<_> = draws.iter().collect();
        assert!(distinct.len() > 900);
        assert_eq!(
            randomized_delay(Timespan::ZERO, false, &host, "x.timer", &mut r),
            Timespan::ZERO
        );
    }
}
