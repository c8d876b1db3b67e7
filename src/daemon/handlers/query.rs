//! is-active, is-enabled, is-failed: one state word per unit; the client
//! turns them into systemctl's exit codes.

use super::{is_enabled as enabled_word, unit_name};
use crate::daemon::state::State;
use crate::ipc::types::UnitState;
use crate::ipc::Response;

fn states(state: &State, units: &[String], word: impl Fn(&State, &str) -> String) -> Response {
    let states = units
        .iter()
        .map(|raw| {
            let name = unit_name(raw);
            let state_word = word(state, &name);
            UnitState {
                load_state: state.units.load_state(&name).to_owned(),
                unit: name,
                state: state_word,
            }
        })
        .collect();
    Response::States { states }
}

/// `is-active`: the ActiveState (`inactive` for units nobody knows, as systemctl).
pub fn is_active(state: &State, units: &[String]) -> Response {
    states(state, units, |s, n| s.active_state(n).0.to_owned())
}

/// `is-failed`: the ActiveState too; the client checks for `failed`.
pub fn is_failed(state: &State, units: &[String]) -> Response {
    is_active(state, units)
}

/// `is-enabled`: enabled, disabled, static, masked, not-found.
pub fn is_enabled(state: &State, units: &[String]) -> Response {
    states(state, units, enabled_word)
}
