//! `status` from the unit files and the database: what each unit is, what
//! triggers it, how its last run ended and its last log lines. Nothing is
//! active without the daemon: a unit whose last run failed is shown failed,
//! as the daemon left it; the others inactive.

use super::Offline;
use crate::daemon::handlers::{glob_match, is_glob, unit_name};
use crate::daemon::units::UnitSet;
use crate::ipc::types::{LogLine, StatusBlock};
use crate::ipc::{ErrorCode, Response};
use crate::store::{LogQuery, RunResult};
use crate::unit::Unit;

/// The status blocks of `units` (names or patterns of the units in the
/// unit files), each with its last `lines` log lines.
pub fn status(offline: &Offline, units: &[String], lines: u32) -> Response {
    let mut set = offline.units();
    let names: Vec<String> = units
        .iter()
        .map(|u| unit_name(u))
        .flat_map(|n| {
            if is_glob(&n) {
                set.loaded
                    .units
                    .keys()
                    .filter(|u| glob_match(&n, u.as_str()))
                    .map(|u| u.to_string())
                    .collect()
            } else {
                vec![n]
            }
        })
        .collect();
    let mut blocks = Vec::with_capacity(names.len());
    for name in names {
        match block(offline, &mut set, &name, lines) {
            Ok(b) => blocks.push(b),
            Err(e) => return Response::error(ErrorCode::Failed, e.to_string()),
        }
    }
    Response::Status { units: blocks }
}

fn block(
    offline: &Offline,
    set: &mut UnitSet,
    name: &str,
    lines: u32,
) -> crate::store::Result<StatusBlock> {
    // An instance is loaded from its template, as the daemon loads it.
    if !set.knows(name) {
        set.load_extra(name);
    }
    let name = set.canonical(name).to_owned();
    let unit = set.get(&name);
    let mut b = StatusBlock {
        unit: name.clone(),
        description: unit
            .and_then(|u| u.unit_section().description.clone())
            .unwrap_or_else(|| name.clone()),
        load_state: set.load_state(&name).to_string(),
        active_state: "inactive".to_owned(),
        sub_state: "dead".to_owned(),
        ..StatusBlock::default()
    };
    if let Some(unit) = unit {
        let source = unit.source();
        b.fragment_path = source.fragment.as_ref().map(|p| p.display().to_string());
        b.drop_in_paths = source
            .dropins
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        if let Unit::Timer(t) = unit {
            b.triggers = vec![t.triggers.as_str().to_owned()];
        }
        if let Unit::Path(p) = unit {
            b.triggers = vec![p.triggers.as_str().to_owned()];
            b.paths = p
                .path
                .specs
                .iter()
                .map(|s| crate::ipc::types::PathRow {
                    path: s.path.display().to_string(),
                    condition: s.condition.directive().to_owned(),
                })
                .collect();
        }
    }
    b.triggered_by = set
        .loaded
        .triggered_by(&name)
        .into_iter()
        .map(str::to_owned)
        .collect();
    let store = &offline.store;
    let runs = store.history(Some(&name), 8)?;
    if let Some(last) = runs.first() {
        b.invocation = Some(last.invocation);
        if let (Some(end), Some(outcome)) = (last.end, last.outcome) {
            b.state_change_usec = Some(end.as_usec());
            b.exit_status = outcome.status;
            if !matches!(outcome.result, RunResult::Success | RunResult::Skipped) {
                "failed".clone_into(&mut b.active_state);
                "failed".clone_into(&mut b.sub_state);
            }
        }
    }
    b.last_result = runs.iter().find_map(|r| r.outcome.map(|o| o.result));
    if lines > 0 {
        let query = LogQuery {
            units: vec![name],
            last: Some(lines as usize),
            ..LogQuery::default()
        };
        b.recent_logs = store.logs(&query)?.into_iter().map(LogLine::from).collect();
    }
    Ok(b)
}
