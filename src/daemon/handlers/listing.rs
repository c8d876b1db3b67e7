//! `list-timers`, `list-sockets` and `list-units`.

use super::matches_any;
use crate::daemon::state::State;
use crate::ipc::types::{SocketRow, TimerRow, UnitRow};
use crate::ipc::Response;
use crate::supervisor::ActiveState;

/// Answers `list-timers`: active timers (all with `all`), soonest first.
pub fn list_timers(state: &mut State, all: bool, patterns: &[String]) -> Response {
    let now = state.now();
    let infos = state
        .scheduler
        .list_where(now, |t| matches_any(patterns, t.name()));
    let mut timers = Vec::with_capacity(infos.len());
    for info in infos {
        if !all && !info.state.is_active() {
            continue;
        }
        let last_result = state.last_result(&info.activates);
        let node = state.cluster.last.get(&info.timer).map(|(_, n)| n.clone());
        timers.push(TimerRow {
            unit: info.timer,
            activates: vec![info.activates],
            next_elapse_usec: info.next.map(|t| t.as_usec()),
            last_trigger_usec: info.last.map(|t| t.as_usec()),
            last_result,
            node,
        });
    }
    Response::Timers { timers }
}

/// Answers `list-sockets`: one row per address of each started socket
/// unit (with `all`, of every loaded one), in systemctl's order (by
/// address, then type).
pub fn list_sockets(state: &mut State, all: bool, patterns: &[String]) -> Response {
    let mut sockets = Vec::new();
    for unit in state.units.loaded.units.values() {
        let crate::unit::Unit::Socket(s) = unit else {
            continue;
        };
        let name = s.name.as_str();
        if !matches_any(patterns, name) {
            continue;
        }
        let started = state
            .sockets
            .active
            .get(name)
            .is_some_and(|a| !a.ports.is_empty());
        if !all && !started {
            continue;
        }
        let activates = super::status::socket_triggers(state, s);
        for l in &s.socket.listen {
            sockets.push(SocketRow {
                listen: l.address.to_string(),
                kind: l.kind.type_word().to_owned(),
                unit: name.to_owned(),
                activates: activates.clone(),
            });
        }
    }
    sockets.sort_by(|a, b| (&a.listen, &a.kind).cmp(&(&b.listen, &b.kind)));
    Response::Sockets { sockets }
}

/// Answers `list-units`: by default the units that are not inactive (active,
/// failed or busy); with `all` every unit known. `types` and `states` filter by unit
/// type and by load, active or sub state.
pub fn list_units(
    state: &mut State,
    all: bool,
    types: &[String],
    states: &[String],
    patterns: &[String],
) -> Response {
    let mut units = Vec::new();
    for name in state.all_units() {
        let suffix = name.rsplit_once('.').map_or("", |(_, s)| s);
        if !types.is_empty() && !types.iter().any(|t| t == suffix) {
            continue;
        }
        if !matches_any(patterns, &name) {
            continue;
        }
        let (active, sub) = state.active_state(&name);
        let load = state.units.load_state(&name);
        if !states.is_empty() {
            // The filter words are text; the states are compared by name.
            let named = |s: &String| s == active.as_str() || s == sub || s == load.as_str();
            if !states.iter().any(named) {
                continue;
            }
        } else if !all && active == ActiveState::Inactive {
            // systemctl hides every inactive unit without --all, whatever
            // its load state (a masked or broken one too).
            continue;
        }
        units.push(UnitRow {
            description: state.description(&name),
            unit: name,
            load_state: load.to_string(),
            active_state: active.to_string(),
            sub_state: sub.to_owned(),
        });
    }
    Response::Units { units }
}
