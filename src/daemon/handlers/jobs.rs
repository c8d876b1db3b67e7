//! start, stop, restart, reload, try-restart, reload-or-restart, kill,
//! reset-failed.
//!
//! Service jobs go to the supervisor and the client is answered when they are
//! done (systemctl's default `--wait`-for-job behaviour); timers and targets
//! change at once.

use crate::ipc::{KillRequest, ResetFailedRequest, UnitsRequest};
use std::collections::BTreeSet;

use tokio::sync::oneshot;

use super::{answer, not_found, unit_name};
use crate::activation::Activation;
use crate::daemon::cluster_singletons as singletons;
use crate::daemon::state::State;
use crate::ipc::{ErrorCode, KillWhom, Peer, Reply, Request, Response};
use crate::supervisor::JobError;
use crate::unit::{Signal, UnitType};

/// The verbs that queue jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verb {
    Start,
    Stop,
    Restart,
    Reload,
    TryRestart,
    ReloadOrRestart,
}

impl Verb {
    fn name(self) -> &'static str {
        match self {
            Verb::Start => "start",
            Verb::Stop => "stop",
            Verb::Restart => "restart",
            Verb::Reload => "reload",
            Verb::TryRestart => "try-restart",
            Verb::ReloadOrRestart => "reload-or-restart",
        }
    }
}

/// Handles one job request of the client `peer`.
pub fn handle(state: &mut State, request: Request, peer: &Peer, reply: oneshot::Sender<Reply>) {
    let (verb, units) = match request {
        Request::Start(UnitsRequest { units }) => (Verb::Start, units),
        Request::Stop(UnitsRequest { units }) => (Verb::Stop, units),
        Request::Restart(UnitsRequest { units }) => (Verb::Restart, units),
        Request::Reload(UnitsRequest { units }) => (Verb::Reload, units),
        Request::TryRestart(UnitsRequest { units }) => (Verb::TryRestart, units),
        Request::ReloadOrRestart(UnitsRequest { units }) => (Verb::ReloadOrRestart, units),
        Request::Kill(KillRequest {
            units,
            signal,
            whom,
        }) => return answer(reply, kill(state, &units, signal, whom)),
        Request::ResetFailed(ResetFailedRequest { units }) => {
            return answer(reply, reset_failed(state, &units))
        }
        _ => {
            return answer(
                reply,
                Response::error(ErrorCode::Internal, "not a job request"),
            )
        }
    };
    if state.shutting_down && matches!(verb, Verb::Start | Verb::Restart | Verb::ReloadOrRestart) {
        return answer(
            reply,
            Response::error(ErrorCode::Busy, "the daemon is shutting down"),
        );
    }
    // Check every name first, so that a typo starts nothing (systemctl
    // refuses the whole transaction too).
    let mut names = Vec::new();
    for raw in &units {
        match checked_name(state, verb, raw) {
            Ok(name) => names.push(name),
            Err(response) => return answer(reply, response),
        }
    }
    let by = Activation::Command {
        uid: Some(peer.uid),
    };
    let job = PendingJob {
        verb,
        names,
        by,
        reply,
    };
    // A cluster singleton runs where its lease is: a start here waits for
    // the lease (and is refused if another node holds it); a stop gives it
    // up and this node no longer asks for it.
    if matches!(verb, Verb::Start | Verb::Restart | Verb::ReloadOrRestart) {
        let leases: Vec<String> = job
            .names
            .iter()
            .filter(|n| singletons::needs_lease(state, n))
            .cloned()
            .collect();
        if !leases.is_empty() {
            return singletons::ask_leases(state, leases, job);
        }
    }
    if verb == Verb::Stop {
        for name in &job.names {
            singletons::stopped_by_hand(state, name);
        }
    }
    resume(state, job, &BTreeSet::new());
}

/// A client's job request, checked, that may wait for cluster leases.
#[derive(Debug)]
pub(crate) struct PendingJob {
    verb: Verb,
    names: Vec<String>,
    by: Activation,
    reply: oneshot::Sender<Reply>,
}

impl PendingJob {
    /// Answers the client with an error; nothing is started.
    pub(crate) fn refuse(self, message: String) {
        answer(self.reply, Response::error(ErrorCode::Failed, message));
    }

    /// The verb's name (`start`, ...), for messages.
    pub(crate) fn verb_name(&self) -> &'static str {
        self.verb.name()
    }
}

/// Queues the jobs of `job` and answers when they are done. `leased`: the
/// singletons whose lease was just taken for it, started under that lease
/// (a failure to queue gives it back).
pub(crate) fn resume(state: &mut State, job: PendingJob, leased: &BTreeSet<String>) {
    let PendingJob {
        verb,
        names,
        by,
        reply,
    } = job;
    let mut jobs = BTreeSet::new();
    for name in &names {
        let by = match leased.contains(name) {
            true => singletons::lease_activation(state, name),
            false => by.clone(),
        };
        match run_verb(state, verb, name, &by) {
            Ok(Some(id)) => {
                jobs.insert(id);
            }
            Ok(None) => {}
            Err(response) => {
                for unit in leased {
                    singletons::give_back_unstarted(state, unit);
                }
                state.settle();
                return answer(reply, response);
            }
        }
    }
    state
        .waits
        .add(jobs, Response::Done { messages: vec![] }, reply);
    state.settle();
}

/// The canonical name of the unit `raw` names for a `verb` job of a
/// client, or the refusal: a template, a unit that does not exist, one
/// that cannot load, or one that refuses manual starts and stops.
pub(super) fn checked_name(state: &mut State, verb: Verb, raw: &str) -> Result<String, Response> {
    let starts = matches!(verb, Verb::Start | Verb::Restart | Verb::ReloadOrRestart);
    let name = unit_name(raw);
    // systemd: a template is no unit; only its instances can be started.
    if crate::unit::UnitName::parse(&name).is_ok_and(|n| n.is_template()) {
        return Err(Response::error(
            ErrorCode::Failed,
            format!(
                "Failed to {} {name}: Unit name {name} is missing the instance name.",
                verb.name()
            ),
        ));
    }
    if !state.knows(&name) && !state.units.load_extra(&name) {
        return Err(super::not_found_in(state, &name));
    }
    let name = state.units.canonical(&name).to_owned();
    let refusal = if starts {
        state.units.loaded.load_refusal(&name)
    } else {
        None
    };
    // systemd (unit_start/unit_stop for a job of the client's
    // transaction): a dependency or a timer may still start it.
    let refuses = state.units.get(&name).is_some_and(|u| {
        let u = u.unit_section();
        (verb != Verb::Stop && u.options.refuse_manual_start)
            || (matches!(
                verb,
                Verb::Stop | Verb::Restart | Verb::TryRestart | Verb::ReloadOrRestart
            ) && u.options.refuse_manual_stop)
    }) && verb != Verb::Reload;
    let refusal = refusal.or_else(|| {
        let u = state.units.get(&name)?;
        starts
            .then(|| crate::unit::EmergencyAction::refusal(u.unit_section(), std::process::id()))
            .flatten()
    });
    let refusal = refusal.or_else(|| {
        refuses.then(|| {
            format!(
                "Operation refused, unit {name} may be requested by dependency only (it is configured to refuse manual start/stop)."
            )
        })
    });
    match refusal {
        Some(cause) => Err(Response::error(
            ErrorCode::Failed,
            format!("Failed to {} {name}: {cause}", verb.name()),
        )),
        None => Ok(name),
    }
}

/// Starts (`start`) or stops units for `enable --now`/`disable --now`; the
/// service jobs to wait for.
pub(super) fn start_or_stop(
    state: &mut State,
    names: &[String],
    start: bool,
) -> Result<BTreeSet<u64>, Response> {
    let verb = if start { Verb::Start } else { Verb::Stop };
    let mut jobs = BTreeSet::new();
    for name in names {
        if let Some(id) = run_verb(state, verb, name, &Activation::MANUAL)? {
            jobs.insert(id);
        }
    }
    Ok(jobs)
}

fn job_error(verb: Verb, name: &str, e: JobError) -> Response {
    match e {
        JobError::NoSuchUnit(_) => not_found(name),
        other => Response::error(
            ErrorCode::Failed,
            format!("Failed to {} {name}: {other}", verb.name()),
        ),
    }
}

/// Queues the job for one unit, a start or restart for `by`; `Some(id)` for
/// a service job to wait for.
pub(super) fn run_verb(
    state: &mut State,
    verb: Verb,
    name: &str,
    by: &Activation,
) -> Result<Option<u64>, Response> {
    let ty = crate::unit::UnitName::parse(name)
        .map(|n| n.unit_type())
        .unwrap_or(UnitType::Other);
    let (active, _) = state.active_state(name);
    let is_active = active.is_active_or_activating();
    match ty {
        UnitType::Service => {
            if matches!(
                verb,
                Verb::Start | Verb::Restart | Verb::TryRestart | Verb::ReloadOrRestart
            ) {
                state.start_pulled_sockets(name);
            }
            let result = match verb {
                Verb::Start => state.supervisor.start_with(name, by.clone()),
                Verb::Stop => state.supervisor.stop(name),
                Verb::Restart => state.supervisor.restart_with(name, by.clone()),
                Verb::TryRestart if !is_active => return Ok(None),
                Verb::TryRestart => state.supervisor.restart_with(name, by.clone()),
                Verb::Reload => state.supervisor.reload(name),
                Verb::ReloadOrRestart => {
                    let reloadable = state
                        .supervisor
                        .unit(name)
                        .is_some_and(|u| !u.service.exec_reload.is_empty());
                    if is_active && reloadable {
                        state.supervisor.reload(name)
                    } else {
                        state.supervisor.restart_with(name, by.clone())
                    }
                }
            };
            result.map(Some).map_err(|e| job_error(verb, name, e))
        }
        UnitType::Timer => {
            match verb {
                Verb::Start => state.start_timer(name),
                Verb::Stop => state.stop_timer(name),
                Verb::Restart | Verb::ReloadOrRestart => {
                    state.stop_timer(name);
                    state.start_timer(name);
                }
                Verb::TryRestart if is_active => {
                    state.stop_timer(name);
                    state.start_timer(name);
                }
                Verb::TryRestart => {}
                Verb::Reload => return Err(not_reloadable(name)),
            }
            Ok(None)
        }
        UnitType::Path => {
            let start = |state: &mut State| {
                crate::daemon::path_watch::start(state, name).map_err(|e| {
                    Response::error(
                        ErrorCode::Failed,
                        format!("Failed to {} {name}: {e}", verb.name()),
                    )
                })
            };
            match verb {
                Verb::Start => start(state)?,
                Verb::Stop => crate::daemon::path_watch::stop(state, name),
                Verb::Restart | Verb::ReloadOrRestart => {
                    crate::daemon::path_watch::stop(state, name);
                    start(state)?;
                }
                Verb::TryRestart if is_active => {
                    crate::daemon::path_watch::stop(state, name);
                    start(state)?;
                }
                Verb::TryRestart => {}
                Verb::Reload => return Err(not_reloadable(name)),
            }
            state.settle();
            Ok(None)
        }
        UnitType::Target => {
            match verb {
                Verb::Start | Verb::Restart | Verb::ReloadOrRestart => start_target(state, name),
                Verb::Stop => {
                    state.active_targets.remove(name);
                }
                Verb::TryRestart => {}
                Verb::Reload => return Err(not_reloadable(name)),
            }
            Ok(None)
        }
        UnitType::Socket => {
            match verb {
                Verb::Start => state.start_socket(name).map_err(|e| {
                    Response::error(ErrorCode::Failed, format!("Failed to start {name}: {e}"))
                })?,
                Verb::Stop => state.stop_socket(name),
                Verb::Restart | Verb::ReloadOrRestart => {
                    state.stop_socket(name);
                    state.start_socket(name).map_err(|e| {
                        Response::error(ErrorCode::Failed, format!("Failed to restart {name}: {e}"))
                    })?;
                }
                Verb::TryRestart if is_active => {
                    state.stop_socket(name);
                    let _ = state.start_socket(name);
                }
                Verb::TryRestart => {}
                Verb::Reload => return Err(not_reloadable(name)),
            }
            Ok(None)
        }
        UnitType::Other => Err(Response::error(
            ErrorCode::Failed,
            format!(
                "Failed to {} {name}: unit type not supported by sundial.",
                verb.name()
            ),
        )),
    }
}

fn not_reloadable(name: &str) -> Response {
    Response::error(
        ErrorCode::Failed,
        format!("Failed to reload {name}: Job type reload is not applicable for unit {name}."),
    )
}

/// Starts a target: it becomes active and what it wants starts.
fn start_target(state: &mut State, name: &str) {
    state.active_targets.insert(name.to_owned());
    let Some(unit) = state.units.get(name) else {
        return;
    };
    let section = unit.unit_section();
    let wanted: Vec<String> = section
        .dependencies
        .wants
        .iter()
        .chain(&section.dependencies.requires)
        .map(|n| n.as_str().to_owned())
        .collect();
    for w in wanted {
        match crate::unit::UnitName::parse(&w).map(|n| n.unit_type()) {
            Ok(UnitType::Timer) => state.start_timer(&w),
            Ok(UnitType::Socket) => {
                let _ = state.start_socket(&w);
            }
            Ok(UnitType::Path) => {
                if let Err(e) = crate::daemon::path_watch::start(state, &w) {
                    crate::daemon::report(format!("{w}: cannot start: {e}"));
                }
            }
            // A target it pulls in starts too (once: a cycle ends at a
            // target already active).
            Ok(UnitType::Target)
                if !state.active_targets.contains(&w) && state.units.get(&w).is_some() =>
            {
                start_target(state, &w);
            }
            Ok(UnitType::Service) => {
                state.start_pulled_sockets(&w);
                // A unit that cannot be loaded is left out, as systemd
                // does with a Wants= that cannot be met.
                let _ = state
                    .supervisor
                    .start_with(&w, Activation::dependency(name));
            }
            _ => {}
        }
    }
}

fn kill(state: &mut State, units: &[String], signal: i32, whom: KillWhom) -> Response {
    let Some(signal) = Signal::from_number(signal) else {
        return Response::error(
            ErrorCode::BadRequest,
            format!("invalid signal number {signal}"),
        );
    };
    // As systemctl: every unit that exists is signalled, the first failure
    // is reported.
    let mut failure = None;
    for raw in units {
        let name = unit_name(raw);
        if !state.knows(&name) {
            failure.get_or_insert_with(|| not_loaded("kill unit", &name));
            continue;
        }
        // A service never started has no processes: nothing to signal.
        if state.supervisor.status(&name).is_some() {
            if let Err(e) = state.supervisor.kill(&name, whom, signal) {
                failure.get_or_insert_with(|| Response::error(ErrorCode::Failed, e.to_string()));
            }
        }
    }
    state.settle();
    failure.unwrap_or(Response::Done { messages: vec![] })
}

fn reset_failed(state: &mut State, units: &[String]) -> Response {
    let names: Vec<String> = if units.is_empty() {
        let mut names: Vec<String> = state
            .supervisor
            .service_names()
            .map(str::to_owned)
            .collect();
        names.extend(state.sockets.failed().map(str::to_owned));
        names
    } else {
        units.iter().map(|u| unit_name(u)).collect()
    };
    // As systemctl: every unit that exists is reset, the first that does not
    // is reported.
    let mut missing = None;
    for name in &names {
        if state.knows(name) {
            state.supervisor.reset_failed(name);
            state.reset_failed_socket(name);
        } else if missing.is_none() {
            missing = Some(name);
        }
    }
    state.settle();
    match missing {
        Some(name) => not_loaded("reset failed state of unit", name),
        None => Response::Done { messages: vec![] },
    }
}

/// systemd's answer when an operation on a unit finds none loaded:
/// "Failed to kill unit x.service: Unit x.service not loaded."
fn not_loaded(what: &str, name: &str) -> Response {
    Response::error(
        ErrorCode::NoSuchUnit,
        format!("Failed to {what} {name}: Unit {name} not loaded."),
    )
}
