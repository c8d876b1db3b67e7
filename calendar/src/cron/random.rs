//! Values for cronie's `~` ranges, picked from the caller's seed.
//!
//! cronie picks with `random()` each time it loads a crontab, so a job's
//! minute moves whenever cron restarts. Here the pick is a function of the
//! seed and of the item's place in the expression: the same job keeps its
//! value, and two `~` items of one expression get independent values.
//! Changing this function moves every `~` job; the unit tests pin it.

/// Picks values for the `~` items of one expression, in reading order.
#[derive(Debug)]
pub(super) struct Picker {
    seed: u64,
    picked: u64,
}

impl Picker {
    pub(super) fn new(seed: u64) -> Picker {
        Picker { seed, picked: 0 }
    }

    /// A value in `low..=high` (`low <= high`).
    pub(super) fn pick(&mut self, low: u32, high: u32) -> u32 {
        let n = self.picked;
        self.picked += 1;
        let span = u64::from(high - low) + 1;
        let x = splitmix64(self.seed ^ splitmix64(n));
        // span is at most 60: the bias of the remainder is below 1e-17.
        low + (x % span) as u32
    }
}

/// Sebastiano Vigna's SplitMix64 finalizer: every bit of the input moves
/// about half of the output bits.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
