//! Transient units that are done go (systemd's garbage collection of
//! transient units; see the parent module for when).

use std::collections::BTreeSet;
use std::fs;
use std::io;

use super::{edit_loaded, State};
use crate::daemon::state::report;
use crate::scheduler::{Event, TimerState};
use crate::supervisor::ActiveState;
use crate::unit::{CollectMode, UnitName, UnitType};

fn collect_mode(state: &State, name: &str) -> CollectMode {
    state.units.get(name).map_or(CollectMode::Inactive, |u| {
        u.unit_section().options.collect_mode
    })
}

/// Removes the transient units that are done (see the parent module).
pub(super) fn collect(state: &mut State) {
    if state.transient.is_empty() {
        return;
    }
    let mut done = Vec::new();
    let mut timers_left = Vec::new();
    for name in state.transient.units.keys() {
        if !name.ends_with(".timer") {
            continue;
        }
        let gone = match state.scheduler.timer(name).map(|t| &t.state) {
            None | Some(TimerState::Dead) => true,
            Some(TimerState::Failed(_)) => {
                collect_mode(state, name) == CollectMode::InactiveOrFailed
            }
            Some(_) => false,
        };
        if gone {
            done.push(name.clone());
        } else {
            timers_left.push(name.as_str());
        }
    }
    // A service stays while a timer of its own may start it.
    let held: BTreeSet<&str> = timers_left
        .iter()
        .filter_map(|t| state.scheduler.timer(t))
        .map(|t| t.unit.triggers.as_str())
        .collect();
    for name in state.transient.units.keys() {
        if !name.ends_with(".service")
            || held.contains(name.as_str())
            || state.supervisor.has_job(name)
            || state.run_waits.waits_for(name)
        {
            continue;
        }
        let gone = match state.supervisor.status(name) {
            // Made for a timer that never started it.
            None => true,
            Some(s) => match s.active {
                ActiveState::Inactive => true,
                ActiveState::Failed => collect_mode(state, name) == CollectMode::InactiveOrFailed,
                _ => false,
            },
        };
        if gone {
            done.push(name.clone());
        }
    }
    if !done.is_empty() {
        remove(state, &done);
    }
}

/// Unloads transient units and removes their files, rows and stamps.
fn remove(state: &mut State, names: &[String]) {
    let mut removed = Vec::new();
    for name in names {
        match UnitName::parse(name).map(|n| n.unit_type()) {
            Ok(UnitType::Timer) => {
                state.schedule(Event::Unload(name.clone()));
                if let Err(e) = state.store.remove_stamps(name) {
                    report(format!("{name}: cannot remove its stamps: {e}"));
                }
            }
            Ok(UnitType::Service) => {
                // Not at rest after all (reports not passed on yet): the
                // next pass takes it.
                if state.supervisor.status(name).is_some() && !state.supervisor.remove_unit(name) {
                    continue;
                }
                state.scheduler.forget_unit(name);
            }
            _ => {}
        }
        state.runs.forget(name);
        if let Err(e) = state.store.remove_transient(name) {
            report(format!("{name}: cannot remove the transient unit: {e}"));
        }
        let path = state.transient.dir.join(name);
        if let Err(e) = fs::remove_file(&path) {
            if e.kind() != io::ErrorKind::NotFound {
                report(format!("{}: cannot remove: {e}", path.display()));
            }
        }
        state.transient.units.remove(name);
        if state.debug {
            report(format!("{name}: transient unit done, removed"));
        }
        removed.push(name);
    }
    if removed.is_empty() {
        return;
    }
    edit_loaded(state, |set| {
        for name in removed {
            set.units.remove(name.as_str());
        }
    });
}
