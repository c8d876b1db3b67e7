//! `list-timers` from the database and the unit files: when each timer last
//! triggered and how the run it started ended. No timer elapses without the
//! daemon, so none has a next elapse.

use std::collections::BTreeMap;

use sundial_calendar::Timestamp;

use super::Offline;
use crate::daemon::handlers::matches_any;
use crate::ipc::types::TimerRow;
use crate::ipc::{ErrorCode, Response};
use crate::store::{RunResult, Store};

/// The timers of the unit files and those that started runs, matching
/// `patterns`. They are all inactive without a daemon, so `--all` changes
/// nothing: every one is listed.
pub fn list_timers(offline: &Offline, patterns: &[String]) -> Response {
    match rows(offline, patterns) {
        Ok(timers) => Response::Timers { timers },
        Err(e) => Response::error(ErrorCode::Failed, e.to_string()),
    }
}

fn rows(offline: &Offline, patterns: &[String]) -> crate::store::Result<Vec<TimerRow>> {
    let store = &offline.store;
    // What each timer activates: its file says, else the runs it started.
    let mut activates: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let units = offline.units();
    for timer in units.loaded.timers() {
        activates.insert(
            timer.name.as_str().to_owned(),
            vec![timer.triggers.as_str().to_owned()],
        );
    }
    let mut last_runs: BTreeMap<String, Timestamp> = BTreeMap::new();
    let mut started: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for run in store.timer_runs()? {
        let last = last_runs.entry(run.timer.clone()).or_insert(run.last_start);
        *last = (*last).max(run.last_start);
        started.entry(run.timer).or_default().push(run.unit);
    }
    for (timer, units) in started {
        activates.entry(timer).or_insert(units);
    }
    let mut rows = Vec::new();
    for (timer, activates) in activates {
        if !matches_any(patterns, &timer) {
            continue;
        }
        // The stamp is the trigger itself (Persistent=); a run starts just
        // after it, and is all a timer without a stamp leaves.
        let stamps = [
            store.stamp(&timer)?,
            store.monotonic_stamp(&timer)?.map(|s| s.realtime),
            last_runs.get(&timer).copied(),
        ];
        let last_trigger = stamps.into_iter().flatten().max();
        let last_result = match activates.first() {
            Some(unit) => last_result(store, unit)?,
            None => None,
        };
        rows.push(TimerRow {
            unit: timer,
            activates,
            next_elapse_usec: None,
            last_trigger_usec: last_trigger.map(Timestamp::as_usec),
            last_result,
            node: None,
        });
    }
    Ok(rows)
}

/// The result of the last finished run of `unit`, as the daemon's RESULT.
fn last_result(store: &Store, unit: &str) -> crate::store::Result<Option<RunResult>> {
    Ok(store
        .history(Some(unit), 8)?
        .into_iter()
        .find_map(|r| r.outcome.map(|o| o.result)))
}
