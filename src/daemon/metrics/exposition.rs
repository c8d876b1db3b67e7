//! The Prometheus text exposition format (version 0.0.4) of a
//! [`Snapshot`]: `# HELP` and `# TYPE` once per family, then one line per
//! series. Pure: the scrape task calls it off the event loop.

use std::fmt::Write;

use sundial_calendar::Timestamp;

use super::{Histogram, Snapshot};
use crate::store::ExitStatus;

/// The `Content-Type` of the output.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Renders `s` into `out`.
pub fn render(s: &Snapshot, out: &mut String) {
    let d = &s.daemon;
    family(
        out,
        "sundial_build_info",
        "gauge",
        "The running sundial's version.",
    );
    let _ = writeln!(
        out,
        "sundial_build_info{{version=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION")
    );
    if let Some(started) = d.started {
        family(
            out,
            "sundial_daemon_start_time_seconds",
            "gauge",
            "When the daemon started, in seconds since the epoch.",
        );
        let _ = writeln!(
            out,
            "sundial_daemon_start_time_seconds {}",
            seconds(started)
        );
    }
    family(
        out,
        "sundial_units_loaded",
        "gauge",
        "Units loaded from unit files and crontabs.",
    );
    let _ = writeln!(out, "sundial_units_loaded {}", d.units_loaded);
    family(
        out,
        "sundial_timers_waiting",
        "gauge",
        "Timers waiting for their next elapse.",
    );
    let _ = writeln!(out, "sundial_timers_waiting {}", d.timers_waiting);
    if let Some(c) = &d.cluster {
        family(
            out,
            "sundial_cluster_connected",
            "gauge",
            "1 while this node does cluster work, 0 while it cannot reach the cluster's \
             database or its clock is too far off.",
        );
        let _ = writeln!(out, "sundial_cluster_connected {}", u8::from(c.connected));
        family(
            out,
            "sundial_cluster_claims_total",
            "counter",
            "Claims of cluster timers' elapses by outcome: won here, held by another node, \
             not made because the cluster was down.",
        );
        for (outcome, n) in [
            ("won", c.claims.won),
            ("lost", c.claims.lost),
            ("unavailable", c.claims.unavailable),
        ] {
            let _ = writeln!(
                out,
                "sundial_cluster_claims_total{{outcome=\"{outcome}\"}} {n}"
            );
        }
    }
    family(
        out,
        "sundial_event_loop_turns_total",
        "counter",
        "Wake-ups of the daemon's event loop.",
    );
    let _ = writeln!(out, "sundial_event_loop_turns_total {}", d.loop_turns);
    family(
        out,
        "sundial_event_loop_longest_turn_seconds",
        "gauge",
        "The longest event-loop turn since the daemon started.",
    );
    let _ = writeln!(
        out,
        "sundial_event_loop_longest_turn_seconds {}",
        d.longest_turn.as_secs_f64()
    );
    family(
        out,
        "sundial_store_commit_duration_seconds",
        "histogram",
        "Time to commit a turn's stamps and run rows to the state database.",
    );
    histogram(
        out,
        "sundial_store_commit_duration_seconds",
        &[],
        &s.store_commits,
    );

    family(
        out,
        "sundial_timer_next_elapse_timestamp_seconds",
        "gauge",
        "A waiting timer's next elapse, in seconds since the epoch.",
    );
    for t in &s.schedule {
        if let Some(next) = t.next {
            series(
                out,
                "sundial_timer_next_elapse_timestamp_seconds",
                &[("timer", t.unit.name.as_str())],
            );
            let _ = writeln!(out, " {}", seconds(next));
        }
    }
    family(
        out,
        "sundial_timer_last_elapse_timestamp_seconds",
        "gauge",
        "When a timer last elapsed, in seconds since the epoch.",
    );
    for t in &s.schedule {
        if let Some(last) = t.last {
            series(
                out,
                "sundial_timer_last_elapse_timestamp_seconds",
                &[("timer", t.unit.name.as_str())],
            );
            let _ = writeln!(out, " {}", seconds(last));
        }
    }
    family(
        out,
        "sundial_timer_elapses_total",
        "counter",
        "Elapses that started the timer's unit since the daemon started.",
    );
    for t in s.timers.iter() {
        series(out, "sundial_timer_elapses_total", &[("timer", &t.timer)]);
        let _ = writeln!(out, " {}", t.elapses);
    }
    family(
        out,
        "sundial_timer_lateness_seconds",
        "histogram",
        "From a timer's due time to the start of its service's first process.",
    );
    for t in s.timers.iter() {
        histogram(
            out,
            "sundial_timer_lateness_seconds",
            &[("timer", &t.timer)],
            &t.lateness,
        );
    }

    family(
        out,
        "sundial_unit_runs_started_total",
        "counter",
        "Runs started since the daemon started, by unit and the timer that started them.",
    );
    for u in s.units.iter() {
        for (timer, n) in &u.started {
            match timer {
                Some(t) => series(
                    out,
                    "sundial_unit_runs_started_total",
                    &[("unit", &u.unit), ("timer", t)],
                ),
                None => series(out, "sundial_unit_runs_started_total", &[("unit", &u.unit)]),
            }
            let _ = writeln!(out, " {n}");
        }
    }
    family(out, "sundial_unit_runs_total", "counter", "Runs ended (or starts recorded without a run) since the daemon started, by unit and result.");
    for u in s.units.iter() {
        for (result, n) in &u.finished {
            series(
                out,
                "sundial_unit_runs_total",
                &[("unit", &u.unit), ("result", result.as_str())],
            );
            let _ = writeln!(out, " {n}");
        }
    }
    family(
        out,
        "sundial_unit_running",
        "gauge",
        "Runs of the unit in flight.",
    );
    for u in s.units.iter() {
        series(out, "sundial_unit_running", &[("unit", &u.unit)]);
        let _ = writeln!(out, " {}", u.running);
    }
    family(
        out,
        "sundial_unit_last_start_timestamp_seconds",
        "gauge",
        "When the unit's last run started, in seconds since the epoch.",
    );
    for u in s.units.iter() {
        if let Some(at) = u.last_start {
            series(
                out,
                "sundial_unit_last_start_timestamp_seconds",
                &[("unit", &u.unit)],
            );
            let _ = writeln!(out, " {}", seconds(at));
        }
    }
    family(
        out,
        "sundial_unit_last_end_timestamp_seconds",
        "gauge",
        "When the unit's last run ended, in seconds since the epoch.",
    );
    for u in s.units.iter() {
        if let Some(at) = u.last_end {
            series(
                out,
                "sundial_unit_last_end_timestamp_seconds",
                &[("unit", &u.unit)],
            );
            let _ = writeln!(out, " {}", seconds(at));
        }
    }
    family(
        out,
        "sundial_unit_last_exit_status",
        "gauge",
        "The exit status of the last run's main process (absent when a signal ended it).",
    );
    for u in s.units.iter() {
        if let Some(ExitStatus::Code(code)) = u.last_exit {
            series(out, "sundial_unit_last_exit_status", &[("unit", &u.unit)]);
            let _ = writeln!(out, " {code}");
        }
    }
    family(
        out,
        "sundial_unit_last_exit_signal",
        "gauge",
        "The signal that ended the last run's main process (absent when it exited).",
    );
    for u in s.units.iter() {
        if let Some(ExitStatus::Signal(signal)) = u.last_exit {
            series(out, "sundial_unit_last_exit_signal", &[("unit", &u.unit)]);
            let _ = writeln!(out, " {signal}");
        }
    }
    family(
        out,
        "sundial_unit_run_duration_seconds",
        "histogram",
        "How long the unit's runs took, from the start to the end of the run.",
    );
    for u in s.units.iter() {
        histogram(
            out,
            "sundial_unit_run_duration_seconds",
            &[("unit", &u.unit)],
            &u.durations,
        );
    }
}

/// `# HELP` and `# TYPE` of a family.
fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A series' name and labels, without the value.
fn series(out: &mut String, name: &str, labels: &[(&str, &str)]) {
    out.push_str(name);
    labels_of(out, labels, None);
}

/// `{a="x",b="y"}` with `le` last when given (`Some(None)`: +Inf);
/// nothing for no labels.
fn labels_of(out: &mut String, labels: &[(&str, &str)], le: Option<Option<f64>>) {
    if labels.is_empty() && le.is_none() {
        return;
    }
    out.push('{');
    for (i, (k, v)) in labels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(k);
        out.push_str("=\"");
        escape(out, v);
        out.push('"');
    }
    if let Some(le) = le {
        if !labels.is_empty() {
            out.push(',');
        }
        match le {
            Some(bound) => {
                let _ = write!(out, "le=\"{bound}\"");
            }
            None => out.push_str("le=\"+Inf\""),
        }
    }
    out.push('}');
}

/// A label value as the format quotes it: backslash, double quote and line
/// feed escaped.
fn escape(out: &mut String, value: &str) {
    if !value.contains(['\\', '"', '\n']) {
        out.push_str(value);
        return;
    }
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// A histogram's `_bucket`, `_sum` and `_count` series.
fn histogram(out: &mut String, name: &str, labels: &[(&str, &str)], h: &Histogram) {
    for (le, count) in h.cumulative() {
        out.push_str(name);
        out.push_str("_bucket");
        labels_of(out, labels, Some(le));
        let _ = writeln!(out, " {count}");
    }
    out.push_str(name);
    out.push_str("_sum");
    labels_of(out, labels, None);
    let _ = writeln!(out, " {}", h.sum());
    out.push_str(name);
    out.push_str("_count");
    labels_of(out, labels, None);
    let _ = writeln!(out, " {}", h.count());
}

/// Seconds since the epoch, with the microseconds.
fn seconds(t: Timestamp) -> f64 {
    t.as_usec() as f64 / 1e6
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::{DaemonFigures, Metrics, RunEnded, RunStarted};
    use super::*;
    use crate::store::RunResult;

    fn sample() -> String {
        let mut m = Metrics::default();
        m.run_started(&RunStarted {
            unit: "a\"b\\c.service".into(),
            at: Timestamp::from_usec(1_500_000),
            timer: Some("a.timer".into()),
        });
        m.run_ended(&RunEnded {
            unit: "a\"b\\c.service".into(),
            at: Timestamp::from_usec(3_750_000),
            result: RunResult::ExitCode,
            status: Some(ExitStatus::Code(3)),
            ran: true,
        });
        m.timer_elapsed("a.timer", Some(Duration::from_micros(50)));
        let snapshot = m.snapshot(
            Vec::new(),
            DaemonFigures {
                units_loaded: 2,
                timers_waiting: 1,
                loop_turns: 9,
                longest_turn: Duration::from_millis(2),
                started: Some(Timestamp::from_usec(1_000_000)),
                cluster: Some(super::super::ClusterFigures {
                    connected: false,
                    claims: crate::daemon::cluster::ClaimCounts {
                        won: 2,
                        lost: 5,
                        unavailable: 1,
                    },
                }),
            },
        );
        let mut out = String::new();
        render(&snapshot, &mut out);
        out
    }

    #[test]
    fn series_carry_their_labels_escaped_and_values() {
        let out = sample();
        for line in [
            r#"sundial_unit_runs_started_total{unit="a\"b\\c.service",timer="a.timer"} 1"#,
            "sundial_cluster_connected 0",
            r#"sundial_cluster_claims_total{outcome="lost"} 5"#,
            r#"sundial_unit_runs_total{unit="a\"b\\c.service",result="exit-code"} 1"#,
            r#"sundial_unit_running{unit="a\"b\\c.service"} 0"#,
            r#"sundial_unit_last_start_timestamp_seconds{unit="a\"b\\c.service"} 1.5"#,
            r#"sundial_unit_last_exit_status{unit="a\"b\\c.service"} 3"#,
            r#"sundial_unit_run_duration_seconds_bucket{unit="a\"b\\c.service",le="1"} 0"#,
            r#"sundial_unit_run_duration_seconds_bucket{unit="a\"b\\c.service",le="5"} 1"#,
            r#"sundial_unit_run_duration_seconds_bucket{unit="a\"b\\c.service",le="+Inf"} 1"#,
            r#"sundial_unit_run_duration_seconds_sum{unit="a\"b\\c.service"} 2.25"#,
            r#"sundial_timer_lateness_seconds_bucket{timer="a.timer",le="0.0001"} 1"#,
            r#"sundial_timer_elapses_total{timer="a.timer"} 1"#,
            "sundial_units_loaded 2",
            "sundial_event_loop_turns_total 9",
            "sundial_daemon_start_time_seconds 1",
        ] {
            assert!(out.lines().any(|l| l == line), "missing {line:?} in\n{out}");
        }
        assert!(!out.contains("sundial_unit_last_exit_signal{"));
    }

    #[test]
    fn every_family_is_declared_once_before_its_series() {
        let out = sample();
        let mut declared: Vec<String> = Vec::new();
        for line in out.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let name = rest.split(' ').next().unwrap().to_owned();
                assert!(!declared.contains(&name), "{name} declared twice");
                declared.push(name);
            } else if !line.starts_with('#') {
                let name = line.split(['{', ' ']).next().unwrap();
                let family = ["_bucket", "_sum", "_count"]
                    .iter()
                    .find_map(|s| {
                        name.strip_suffix(s)
                            .filter(|f| declared.iter().any(|d| d == f))
                    })
                    .unwrap_or(name);
                assert_eq!(declared.last().map(String::as_str), Some(family), "{line}");
            }
        }
    }
}
