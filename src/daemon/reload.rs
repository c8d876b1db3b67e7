//! daemon-reload (and SIGHUP): read the unit files again and carry the running
//! state over.
//!
//! As in systemd:
//! - an unchanged timer keeps its state, last trigger and next elapse; a
//!   changed one that was waiting recomputes its next elapse from its new
//!   settings (keeping its last trigger);
//! - a running service keeps running; its new definition applies to the
//!   commands it spawns from now on (ExecStop=, the next start);
//! - a service whose file is gone stays as it is until stopped (systemd keeps
//!   it loaded as `not-found` while it is active);
//! - a timer whose file is gone or masked is stopped and forgotten: with no
//!   file there is nothing that could make it elapse (systemd leaves such a
//!   timer loaded but unable to fire).
//!
//! It also reads the local zone file again (see [`super::localtime`]), so
//! that a zone change is noticed even where the inotify watch could not be
//! set up.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::state::{report, State};
use super::units::UnitSet;
use crate::scheduler::Event;
use crate::supervisor::ManagerRecord;
use crate::unit::{Severity, SyslogLevel, Unit, UnitType};

/// Writes the problems found while loading each unit into that unit's log,
/// as systemd logs them with the unit's name: `sundial status` and
/// `sundial logs -u` then say why a unit is broken, not only the daemon's
/// own output.
pub fn record_problems(state: &mut State) {
    let at = state.now().realtime;
    let loaded = &state.units.loaded;
    for (unit, range) in &loaded.problems {
        for d in loaded.diagnostics.get(range.clone()).unwrap_or(&[]) {
            state.logs.record_manager(ManagerRecord {
                unit: unit.clone(),
                invocation_id: String::new(),
                timestamp: at,
                message: d.to_string(),
                standalone: true,
                // systemd: log_syntax at LOG_WARNING for what it ignores,
                // LOG_ERR for what keeps the unit from loading.
                priority: match d.severity {
                    Severity::Error => SyslogLevel::Err,
                    Severity::Warning => SyslogLevel::Warning,
                },
            });
        }
    }
    state.flush_logs();
}

/// Reloads the unit files. Returns the errors found, for the client.
pub fn reload(state: &mut State) -> Vec<String> {
    // Where inotify could not watch, this is when a new zone is noticed.
    state.check_local_zone();
    // And when crontabs are read again (`sundial crontab -e` asks for it).
    let crontabs = state.crontabs.refresh();
    for m in &crontabs.messages {
        report(m);
    }
    let messages = reload_units(state);
    start_crontab_timers(state);
    messages
}

/// A crontab file changed: its units are written again and loaded, and
/// the timers of new jobs start. A file with errors changes nothing.
pub fn crontabs_changed(state: &mut State) {
    let refresh = state.crontabs.refresh();
    for m in &refresh.messages {
        report(m);
    }
    if refresh.changed {
        report("crontab changed: reloading its jobs");
        reload_units(state);
        start_crontab_timers(state);
    }
}

/// Starts the timers of crontab jobs that are not running: a job is in
/// the crontab, so it runs, as under cron.
fn start_crontab_timers(state: &mut State) {
    let idle: Vec<String> = state
        .crontabs
        .enabled_timers()
        .filter(|name| {
            state
                .scheduler
                .timer(name)
                .is_some_and(|t| !t.state.is_active())
        })
        .map(str::to_owned)
        .collect();
    for name in idle {
        state.start_timer(&name);
    }
    state.advance();
}

/// Reads the unit files again and carries the running state over.
fn reload_units(state: &mut State) -> Vec<String> {
    let fresh = UnitSet::load(state.units.cx.clone());
    let mut messages = Vec::new();
    for d in fresh.diagnostics() {
        report(d.to_string());
        if d.is_error() {
            messages.push(d.to_string());
        }
    }
    state.units = fresh;
    record_problems(state);
    state.supervisor.set_resolver(state.units.resolver());

    let kept: BTreeSet<String> = state
        .units
        .names_of(UnitType::Timer)
        .map(str::to_owned)
        .collect();
    let gone: Vec<String> = state
        .scheduler
        .timers()
        .map(|t| t.name().to_owned())
        .filter(|n| !kept.contains(n))
        .collect();
    for name in gone {
        report(format!(
            "{name}: unit file removed or masked, stopping the timer"
        ));
        state.stop_timer(&name);
        state.schedule(Event::Unload(name));
    }
    state.load_timers();
    super::path_watch::reload(state);

    let services: Vec<String> = state
        .supervisor
        .service_names()
        .map(str::to_owned)
        .collect();
    for name in services {
        if let Some(Unit::Service(new)) = state.units.get(&name) {
            let new = Arc::clone(new);
            let changed = state.supervisor.unit(&name).is_none_or(|old| *old != new);
            if changed {
                state.supervisor.add_unit(new);
            } else {
                // The same definition: only let go of the old snapshot's copy.
                state.supervisor.share_unit(new);
            }
        }
    }
    super::cluster_singletons::reloaded(state);
    state.settle();
    super::heap::release_free_pages();
    messages
}
