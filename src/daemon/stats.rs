//! What the daemon counts about itself, shown by `sundial show` without a
//! unit: how often the event loop woke up (an idle daemon must not), and how
//! late timers started their services.

/// Lateness samples kept: the newest this many elapses.
const SAMPLES: usize = 1 << 16;

/// The daemon's counters.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Event-loop iterations: one per wake-up.
    pub loop_iterations: u64,
    /// The longest an iteration took, from its wake-up until it waits
    /// again (µs): how long the loop may keep a client waiting.
    pub longest_turn_usec: u64,
    /// Timer elapses that started a unit.
    pub elapses: u64,
    /// Lateness of the newest elapses (µs from the due time to the start of
    /// the service's first process), a ring buffer.
    lateness: Vec<u64>,
    next: usize,
}

impl Stats {
    /// Records one elapse that started its unit `lateness_usec` late.
    pub fn elapsed(&mut self, lateness_usec: u64) {
        self.elapses += 1;
        if self.lateness.len() < SAMPLES {
            self.lateness.push(lateness_usec);
        } else {
            self.lateness[self.next] = lateness_usec;
            self.next = (self.next + 1) % SAMPLES;
        }
    }

    /// The `p`th percentile (0..=100) of the kept lateness samples.
    pub fn lateness_percentile(&self, p: u32) -> Option<u64> {
        if self.lateness.is_empty() {
            return None;
        }
        let mut sorted = self.lateness.clone();
        sorted.sort_unstable();
        let rank = (u64::from(p.min(100)) * (sorted.len() as u64 - 1)).div_ceil(100);
        sorted.get(rank as usize).copied()
    }

    /// Forgets the lateness samples (a benchmark's phases).
    pub fn reset_lateness(&mut self) {
        self.lateness.clear();
        self.next = 0;
    }

    /// Records how long one iteration of the loop took.
    pub fn turn(&mut self, took: std::time::Duration) {
        let usec = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.longest_turn_usec = self.longest_turn_usec.max(usec);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_the_samples() {
        let mut s = Stats::default();
        assert_eq!(s.lateness_percentile(50), None);
        for v in 1..=100 {
            s.elapsed(v);
        }
        assert_eq!(s.elapses, 100);
        assert_eq!(s.lateness_percentile(0), Some(1));
        assert_eq!(s.lateness_percentile(50), Some(51));
        assert_eq!(s.lateness_percentile(99), Some(100));
        assert_eq!(s.lateness_percentile(100), Some(100));
        s.reset_lateness();
        assert_eq!(s.lateness_percentile(50), None);
    }

    #[test]
    fn the_ring_keeps_the_newest() {
        let mut s = Stats::default();
        for _ in 0..SAMPLES {
            s.elapsed(1);
        }
        for _ in 0..SAMPLES {
            s.elapsed(9);
        }
        assert_eq!(s.lateness_percentile(0), Some(9));
    }
}
