//! `isolate UNIT`: start the unit and what its start pulls in, and stop
//! every other active unit (systemctl isolate; systemd's job mode
//! `isolate`, `transaction_add_isolate_jobs`). Refused unless the unit says
//! `AllowIsolate=yes`; a unit with `IgnoreOnIsolate=yes` is left running.
//!
//! Only the unit types sundial runs are stopped (services, timers, sockets,
//! paths, targets); the host's devices, mounts, swaps, slices and scopes are
//! not sundial's to stop.

use std::collections::BTreeSet;

use tokio::sync::oneshot;

use super::answer;
use super::jobs::{checked_name, run_verb, Verb};
use crate::activation::Activation;
use crate::daemon::state::State;
use crate::ipc::{ErrorCode, Peer, Reply, Response};
use crate::unit::{UnitSection, UnitType};

/// What an isolate does: the units it keeps (the unit and what its start
/// pulls in) and the active ones it stops, in name order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub keep: BTreeSet<String>,
    pub stop: Vec<String>,
}

/// The plan for isolating `unit`. `section` looks a unit's `[Unit]` section
/// up; `active` are the units running now with whether they ignore an
/// isolate. As systemd's transaction: a start pulls in Requires=, BindsTo=,
/// Requisite= and Wants=, transitively; every other unit not ignoring an
/// isolate gets a stop job.
pub fn plan<'a>(
    unit: &str,
    section: impl Fn(&str) -> Option<&'a UnitSection>,
    active: impl IntoIterator<Item = (String, bool)>,
) -> Plan {
    let mut keep = BTreeSet::new();
    let mut todo = vec![unit.to_owned()];
    while let Some(name) = todo.pop() {
        if !keep.insert(name.clone()) {
            continue;
        }
        if let Some(s) = section(&name) {
            todo.extend(
                s.dependencies
                    .requires
                    .iter()
                    .chain(&s.dependencies.binds_to)
                    .chain(&s.dependencies.requisite)
                    .chain(&s.dependencies.wants)
                    .map(|n| n.as_str().to_owned())
                    .filter(|n| !keep.contains(n)),
            );
        }
    }
    let stop = active
        .into_iter()
        .filter(|(name, ignores)| !ignores && !keep.contains(name))
        .map(|(name, _)| name)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    Plan { keep, stop }
}

/// The unit types whose units sundial starts and stops.
fn runs(name: &str) -> bool {
    crate::unit::UnitName::parse(name).is_ok_and(|n| {
        matches!(
            n.unit_type(),
            UnitType::Service
                | UnitType::Timer
                | UnitType::Socket
                | UnitType::Path
                | UnitType::Target
        )
    })
}

/// Handles `isolate UNIT` of the client `peer`: answered when the stop and
/// start jobs of services are done, as `start` is.
pub fn handle(state: &mut State, unit: &str, peer: &Peer, reply: oneshot::Sender<Reply>) {
    if state.shutting_down {
        return answer(
            reply,
            Response::error(ErrorCode::Busy, "the daemon is shutting down"),
        );
    }
    let name = match checked_name(state, Verb::Start, unit) {
        Ok(name) => name,
        Err(response) => return answer(reply, response),
    };
    // systemd: BUS_ERROR_NO_ISOLATION.
    if !state
        .units
        .get(&name)
        .is_some_and(|u| u.unit_section().options.allow_isolate)
    {
        return answer(
            reply,
            Response::error(
                ErrorCode::Failed,
                format!(
                    "Failed to start {name}: Operation refused, unit may not be isolated \
                     (it does not set AllowIsolate=yes)."
                ),
            ),
        );
    }
    let mut active: Vec<(String, bool)> = Vec::new();
    let mut candidates = state.all_units();
    candidates.extend(state.active_targets.iter().cloned());
    for n in candidates.into_iter().filter(|n| runs(n)) {
        let (a, _) = state.active_state(&n);
        if a.is_active_or_activating() || a == crate::supervisor::ActiveState::Deactivating {
            let ignores = state
                .units
                .get(&n)
                .map(|u| u.unit_section().options.ignore_on_isolate)
                .or_else(|| {
                    state
                        .supervisor
                        .unit(&n)
                        .map(|u| u.unit.options.ignore_on_isolate)
                })
                .unwrap_or(false);
            active.push((n, ignores));
        }
    }
    let plan = plan(
        &name,
        |n| state.units.get(n).map(|u| u.unit_section()),
        active,
    );
    let by = Activation::Command {
        uid: Some(peer.uid),
    };
    let mut jobs = BTreeSet::new();
    for other in &plan.stop {
        match run_verb(state, Verb::Stop, other, &by) {
            Ok(id) => jobs.extend(id),
            Err(response) => {
                state.settle();
                return answer(reply, response);
            }
        }
    }
    match run_verb(state, Verb::Start, &name, &by) {
        Ok(id) => jobs.extend(id),
        Err(response) => {
            state.settle();
            return answer(reply, response);
        }
    }
    state
        .waits
        .add(jobs, Response::Done { messages: vec![] }, reply);
    state.settle();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::UnitName;

    fn section(deps: &[(&str, &str)]) -> UnitSection {
        let mut s = UnitSection::default();
        for (kind, name) in deps {
            let n = UnitName::parse(name).expect("a name");
            match *kind {
                "requires" => s.dependencies.requires.push(n),
                "wants" => s.dependencies.wants.push(n),
                "binds_to" => s.dependencies.binds_to.push(n),
                "requisite" => s.dependencies.requisite.push(n),
                "after" => s.dependencies.after.push(n),
                _ => unreachable!("{kind}"),
            }
        }
        s
    }

    #[test]
    fn keeps_what_the_start_pulls_in_and_stops_the_rest() {
        let units = [
            (
                "rescue.target",
                section(&[("requires", "shell.service"), ("wants", "log.socket")]),
            ),
            (
                "shell.service",
                section(&[("binds_to", "tty.path"), ("after", "web.service")]),
            ),
            ("log.socket", section(&[("requisite", "base.target")])),
        ];
        let lookup = |n: &str| units.iter().find(|(u, _)| *u == n).map(|(_, s)| s);
        let active = [
            ("web.service", false),
            ("shell.service", false),
            ("ssh.service", true),
            ("backup.timer", false),
            ("base.target", false),
            ("web.service", false),
        ]
        .map(|(n, i)| (n.to_owned(), i));
        let p = plan("rescue.target", lookup, active);
        assert_eq!(
            p.keep.iter().map(String::as_str).collect::<Vec<_>>(),
            [
                "base.target",
                "log.socket",
                "rescue.target",
                "shell.service",
                "tty.path"
            ]
        );
        // After= orders, it does not pull in: web.service goes; ssh.service
        // ignores isolates.
        assert_eq!(p.stop, ["backup.timer", "web.service"]);
    }

    #[test]
    fn dependency_cycles_end() {
        let a = section(&[("wants", "b.service")]);
        let b = section(&[("requires", "a.service")]);
        let lookup = |n: &str| match n {
            "a.service" => Some(&a),
            "b.service" => Some(&b),
            _ => None,
        };
        let p = plan("a.service", lookup, [("c.service".to_owned(), false)]);
        assert_eq!(p.keep.len(), 2);
        assert_eq!(p.stop, ["c.service"]);
    }
}
