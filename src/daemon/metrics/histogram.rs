//! A Prometheus histogram with fixed bucket bounds: counts per bucket, the
//! sum and the count of the observations.

/// Upper bounds (seconds) for run durations: from a quick check to a
/// four-hour backup.
pub const DURATION_BOUNDS: &[f64] = &[
    0.01, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 14400.0,
];

/// Upper bounds (seconds) for timer lateness: the goal is under a
/// millisecond; the upper buckets catch a loaded machine.
pub const LATENESS_BOUNDS: &[f64] = &[0.0001, 0.001, 0.01, 0.1, 1.0, 10.0];

/// Observations in fixed buckets. The counts are per bucket (not
/// cumulative); [`Histogram::cumulative`] gives Prometheus' view.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    bounds: &'static [f64],
    /// One count per bound, then the count above the last bound.
    counts: Box<[u64]>,
    sum: f64,
}

impl Histogram {
    /// An empty histogram over `bounds` (ascending).
    pub fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds,
            counts: vec![0; bounds.len() + 1].into_boxed_slice(),
            sum: 0.0,
        }
    }

    /// Adds one observation of `value` seconds.
    pub fn observe(&mut self, value: f64) {
        let bucket = self
            .bounds
            .iter()
            .position(|b| value <= *b)
            .unwrap_or(self.bounds.len());
        self.counts[bucket] += 1;
        self.sum += value;
    }

    /// `(le, cumulative count)` per bound, the last with `le` = +Inf
    /// (`None`).
    pub fn cumulative(&self) -> impl Iterator<Item = (Option<f64>, u64)> + '_ {
        let mut total = 0;
        self.counts.iter().enumerate().map(move |(i, c)| {
            total += c;
            (self.bounds.get(i).copied(), total)
        })
    }

    /// How many observations.
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Their sum.
    pub fn sum(&self) -> f64 {
        self.sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_bounds_inclusive() {
        let mut h = Histogram::new(&[1.0, 5.0]);
        for v in [0.5, 1.0, 2.0, 7.0, 7.5] {
            h.observe(v);
        }
        let buckets: Vec<_> = h.cumulative().collect();
        assert_eq!(buckets, [(Some(1.0), 2), (Some(5.0), 3), (None, 5)]);
        assert_eq!(h.count(), 5);
        assert!((h.sum() - 18.0).abs() < 1e-9);
    }

    #[test]
    fn bounds_ascend() {
        for bounds in [DURATION_BOUNDS, LATENESS_BOUNDS] {
            assert!(bounds.windows(2).all(|w| w[0] < w[1]));
        }
    }
}
