//! is-active, is-enabled, is-failed: one state word per unit; the client
//! turns them into systemctl's exit codes.

use super::{is_enabled as enabled_word, unit_name};
use crate::daemon::state::State;
use crate::daemon::units::LoadState;
use crate::ipc::types::UnitState;
use crate::ipc::Response;

fn states(state: &mut State, units: &[String], word: impl Fn(&State, &str) -> String) -> Response {
    let names: Vec<String> = units.iter().map(|raw| unit_name(raw)).collect();
    // An instance nothing has started yet exists as soon as its template
    // does: load it, as systemd loads a unit a client asks about.
    for name in &names {
        if !state.knows(name) {
            state.units.load_extra(name);
        }
    }
    let state = &*state;
    let states = names
        .into_iter()
        .map(|name| {
            let state_word = word(state, &name);
            let load_state = match state.units.load_state(&name) {
                // A template is never loaded, but its file may exist: then
                // is-enabled has found it, and it is not missing.
                LoadState::NotFound if state_word != "not-found" && state_word != "inactive" => {
                    LoadState::Loaded
                }
                other => other,
            };
            UnitState {
                load_state: load_state.to_string(),
                unit: name,
                state: state_word,
            }
        })
        .collect();
    Response::States { states }
}

/// `is-active`: the ActiveState (`inactive` for units nobody knows, as systemctl).
pub fn is_active(state: &mut State, units: &[String]) -> Response {
    states(state, units, |s, n| s.active_state(n).0.to_string())
}

/// `is-failed`: the ActiveState too; the client checks for `failed`.
pub fn is_failed(state: &mut State, units: &[String]) -> Response {
    is_active(state, units)
}

/// `is-enabled`: enabled, disabled, static, masked, not-found.
pub fn is_enabled(state: &mut State, units: &[String]) -> Response {
    states(state, units, enabled_word)
}
