//! `sundial analyze blame`: units by how long their last run took, longest
//! first, as `systemd-analyze blame` lists units by their start-up time.
//! For the oneshot jobs timers start, the run is the start; a service that
//! runs on is timed until it ended, or is left out while it runs.

use std::collections::BTreeMap;
use std::fmt::Write;

use sundial_calendar::timespan::format_timespan;
use sundial_calendar::Timespan;

use crate::ipc::types::RunRow;
use crate::store::RunResult;

/// Each unit's last finished run that ran (not skipped, not refused by a
/// start limit), with its duration in µs, longest first (then by name).
pub fn blame(rows: &[RunRow]) -> Vec<(&str, i64)> {
    let mut last: BTreeMap<&str, &RunRow> = BTreeMap::new();
    for row in rows {
        let ran = !matches!(
            row.result,
            None | Some(RunResult::Skipped | RunResult::StartLimitHit)
        );
        if !ran || row.end_usec.is_none() {
            continue;
        }
        match last.get(row.unit.as_str()) {
            Some(l) if l.start_usec > row.start_usec => {}
            _ => {
                last.insert(&row.unit, row);
            }
        }
    }
    let mut out: Vec<(&str, i64)> = last
        .into_iter()
        .map(|(unit, row)| {
            (
                unit,
                row.end_usec.unwrap_or(row.start_usec) - row.start_usec,
            )
        })
        .collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    out
}

/// The lines: the duration right-aligned (milliseconds, as systemd
/// prints them), then the unit.
pub fn render(blamed: &[(&str, i64)]) -> String {
    let times: Vec<String> = blamed
        .iter()
        .map(|(_, usec)| {
            format_timespan(
                Timespan::from_usec(u64::try_from(*usec).unwrap_or(0)),
                Timespan::from_usec(1000),
            )
        })
        .collect();
    let width = times.iter().map(String::len).max().unwrap_or(0);
    let mut out = String::new();
    for ((unit, _), time) in blamed.iter().zip(&times) {
        let _ = writeln!(out, "{time:>width$} {unit}");
    }
    out
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::activation::Activation;
    use crate::store::InvocationId;

    pub(in crate::cli::analyze) fn row(
        unit: &str,
        start: i64,
        end: Option<i64>,
        result: Option<RunResult>,
    ) -> RunRow {
        RunRow {
            unit: unit.into(),
            invocation: InvocationId::from_u128(start as u128),
            trigger: Activation::MANUAL,
            start_usec: start,
            end_usec: end,
            result,
            status: None,
            memory_peak: None,
            cpu_usec: None,
        }
    }

    #[test]
    fn the_last_run_that_ran_counts_longest_first() {
        let ok = Some(RunResult::Success);
        let rows = [
            row("a.service", 0, Some(9_000_000), ok),
            row("a.service", 100_000_000, Some(100_250_000), ok),
            row("b.service", 0, Some(61_500_000), Some(RunResult::ExitCode)),
            row(
                "b.service",
                200_000_000,
                Some(200_000_000),
                Some(RunResult::Skipped),
            ),
            row("c.service", 0, None, None),
        ];
        let blamed = blame(&rows);
        assert_eq!(blamed, [("b.service", 61_500_000), ("a.service", 250_000)]);
        assert_eq!(
            render(&blamed),
            "1min 1.500s b.service\n      250ms a.service\n"
        );
    }
}
