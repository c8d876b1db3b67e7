//! `sundial analyze critical-chain [UNIT...]`: the chain of After=
//! dependencies that held a unit back, as `systemd-analyze critical-chain`
//! prints it: each unit with `@` when it became active (from the daemon's
//! start) and `+` how long its start took, then the dependency that became
//! active last before it, recursively. A service's times come from its last
//! recorded run: it started at the run's start and became active at its
//! end for `Type=oneshot` (whose start is its whole run), at the start
//! otherwise; a target became active when the last of its After=
//! dependencies did.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write;

use sundial_calendar::timespan::format_timespan;
use sundial_calendar::Timespan;

/// When a unit started and became active (µs since the epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Times {
    pub activating: i64,
    pub activated: i64,
}

/// What the chains are drawn from.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    /// Each unit's After= dependencies (Before= of others turned around).
    pub after: BTreeMap<String, Vec<String>>,
    /// The units with times.
    pub times: BTreeMap<String, Times>,
    /// The daemon's start.
    pub origin: i64,
}

impl Graph {
    /// A target's times: when the last of its dependencies with times
    /// became active (none: it has none).
    pub fn fill_targets(&mut self) {
        let targets: Vec<String> = self
            .after
            .keys()
            .filter(|n| n.ends_with(".target"))
            .cloned()
            .collect();
        for _ in 0..8 {
            for t in &targets {
                let latest = self.after[t]
                    .iter()
                    .filter_map(|d| self.times.get(d))
                    .map(|x| x.activated)
                    .max();
                if let Some(at) = latest {
                    self.times.insert(
                        t.clone(),
                        Times {
                            activating: at,
                            activated: at,
                        },
                    );
                }
            }
        }
    }

    /// The dependencies of `unit` that became active last before it
    /// started.
    fn critical(&self, unit: &str, times: Times) -> Vec<&str> {
        let Some(deps) = self.after.get(unit) else {
            return Vec::new();
        };
        let eligible: Vec<(&str, i64)> = deps
            .iter()
            .filter_map(|d| self.times.get(d).map(|t| (d.as_str(), t.activated)))
            .filter(|(_, at)| *at <= times.activating)
            .collect();
        let Some(latest) = eligible.iter().map(|(_, at)| *at).max() else {
            return Vec::new();
        };
        let mut out: Vec<&str> = eligible
            .into_iter()
            .filter(|(_, at)| *at == latest)
            .map(|(d, _)| d)
            .collect();
        out.sort_unstable();
        out
    }
}

/// The header systemd-analyze prints.
pub const HEADER: &str = "The time when unit became active or started is printed after the \"@\" character.\nThe time the unit took to start is printed after the \"+\" character.\n\n";

/// The chain of `unit`, or `None` when it has no recorded times.
pub fn chain(graph: &Graph, unit: &str) -> Option<String> {
    let times = *graph.times.get(unit)?;
    let mut out = String::new();
    line(&mut out, graph, unit, times, 0);
    let mut seen = HashSet::new();
    walk(&mut out, graph, unit, times, 1, &mut seen);
    Some(out)
}

fn walk<'a>(
    out: &mut String,
    graph: &'a Graph,
    unit: &'a str,
    times: Times,
    depth: usize,
    seen: &mut HashSet<&'a str>,
) {
    if depth > 32 || !seen.insert(unit) {
        return;
    }
    for dep in graph.critical(unit, times) {
        let t = graph.times[dep];
        line(out, graph, dep, t, depth);
        walk(out, graph, dep, t, depth + 1, seen);
    }
}

fn line(out: &mut String, graph: &Graph, unit: &str, t: Times, depth: usize) {
    let span = |usec: i64| {
        format_timespan(
            Timespan::from_usec(u64::try_from(usec).unwrap_or(0)),
            Timespan::from_usec(1000),
        )
    };
    if depth > 0 {
        out.push_str(&"  ".repeat(depth - 1));
        out.push_str("└─");
    }
    let _ = write!(out, "{unit} @{}", span(t.activated - graph.origin));
    if t.activated > t.activating {
        let _ = write!(out, " +{}", span(t.activated - t.activating));
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000;

    fn graph() -> Graph {
        let mut g = Graph {
            origin: 100 * S,
            ..Graph::default()
        };
        let mut add = |unit: &str, after: &[&str], times: Option<(i64, i64)>| {
            g.after
                .insert(unit.into(), after.iter().map(|s| (*s).to_owned()).collect());
            if let Some((a, b)) = times {
                g.times.insert(
                    unit.into(),
                    Times {
                        activating: a * S,
                        activated: b * S,
                    },
                );
            }
        };
        add(
            "report.service",
            &["backup.service", "fetch.service", "late.service"],
            Some((130, 135)),
        );
        add("backup.service", &["mount.service"], Some((110, 128)));
        add("fetch.service", &[], Some((101, 105)));
        add("late.service", &[], Some((131, 140)));
        add("mount.service", &[], Some((102, 109)));
        add("app.target", &["report.service", "fetch.service"], None);
        g
    }

    #[test]
    fn the_dependency_active_last_before_the_start_is_followed() {
        let g = graph();
        let text = chain(&g, "report.service").expect("has times");
        assert_eq!(
            text,
            "report.service @35s +5s\n└─backup.service @28s +18s\n  └─mount.service @9s +7s\n"
        );
        assert_eq!(chain(&g, "nothing.service"), None);
    }

    #[test]
    fn a_target_is_active_when_its_last_dependency_is() {
        let mut g = graph();
        g.fill_targets();
        let text = chain(&g, "app.target").expect("filled");
        assert!(
            text.starts_with("app.target @35s\n└─report.service @35s +5s\n"),
            "{text}"
        );
    }
}
