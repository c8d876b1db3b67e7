//! `run`: a transient service, and a transient timer that starts it, as
//! systemd-run makes them (see [`crate::daemon::transient`] for their life).
//!
//! The client is answered at once for a timer (and with `--no-block`), when
//! the start job is done for a service, and with `--wait` in two frames,
//! when it has started and when it is done.

use std::collections::BTreeSet;

use tokio::sync::{mpsc, oneshot};

use super::answer;
use crate::activation::Activation;
use crate::daemon::runs::fresh_invocation;
use crate::daemon::state::State;
use crate::daemon::transient::{self, NewUnit};
use crate::ipc::{ErrorCode, Reply, Response, RunRequest};
use crate::unit::load::Lookup;
use crate::unit::name::NameError;
use crate::unit::transient::{service_text, timer_text, ServiceSpec};
use crate::unit::{UnitName, UnitType};

fn failed(message: impl Into<String>) -> Response {
    Response::error(ErrorCode::Failed, message)
}

/// Makes and starts the units.
pub fn run(state: &mut State, request: RunRequest, reply: oneshot::Sender<Reply>) {
    if state.shutting_down {
        return answer(
            reply,
            Response::error(ErrorCode::Busy, "the daemon is shutting down"),
        );
    }
    if request.wait && (request.with_timer() || request.no_block) {
        return answer(
            reply,
            Response::error(
                ErrorCode::BadRequest,
                "--wait waits for a service started now: it cannot be combined with a timer or \
                 --no-block",
            ),
        );
    }
    let (service, timer) = match names(state, &request) {
        Ok(names) => names,
        Err(e) => return answer(reply, failed(e.to_string())),
    };
    let mut new = Vec::new();
    let text = service_text(&ServiceSpec {
        command: &request.command,
        expand_environment: request.expand_environment,
        properties: &request.properties,
    });
    match text {
        Ok(text) => new.push(NewUnit {
            name: service.clone(),
            text,
        }),
        Err(e) => return answer(reply, failed(format!("{service}: {e}"))),
    }
    if let Some(timer) = &timer {
        match timer_text(&request.timer_properties) {
            Ok(text) => new.push(NewUnit {
                name: timer.clone(),
                text,
            }),
            Err(e) => return answer(reply, failed(format!("{timer}: {e}"))),
        }
    }
    let messages = match transient::create(state, &new) {
        Ok(messages) => messages,
        Err(e) => return answer(reply, failed(e.to_string())),
    };
    let made = Response::Transient {
        service: service.to_string(),
        timer: timer.as_ref().map(ToString::to_string),
        messages,
    };
    if let Some(timer) = &timer {
        state.start_timer(timer.as_str());
        state.settle();
        return answer(reply, made);
    }
    let service = service.as_str();
    let job = match state.supervisor.start_with(service, Activation::MANUAL) {
        Ok(job) => job,
        Err(e) => {
            // The service never ran: the next settle removes it.
            state.settle();
            return answer(reply, failed(format!("Failed to start {service}: {e}")));
        }
    };
    if request.wait {
        // Two frames: started, then finished.
        let (frames, stream) = mpsc::channel(2);
        state.run_waits.add(service, job, made, frames);
        let _ = reply.send(Reply::Stream(stream));
    } else if request.no_block {
        answer(reply, made);
    } else {
        state.waits.add(BTreeSet::from([job]), made, reply);
    }
    state.settle();
}

/// Why the names of a `run` request's units are refused; each names the
/// `--unit` given or the unit made of it.
#[derive(Debug, thiserror::Error)]
enum RunNameError {
    #[error("'' is not a unit name")]
    Empty,
    /// `--unit` has the suffix of another type.
    #[error(
        "{unit}: sundial run makes a service{}; name it NAME or NAME.service{}",
        if *with_timer { " and a timer" } else { "" },
        if *with_timer { " (or NAME.timer)" } else { "" }
    )]
    WrongType { unit: String, with_timer: bool },
    #[error(transparent)]
    Name(#[from] NameError),
    #[error("{0} is a template: a transient unit needs an instance name")]
    Template(UnitName),
    #[error(
        "Unit {0} already exists: it is loaded, or a unit file of that name is in the search path."
    )]
    Exists(UnitName),
}

/// The service's name and the timer's: from `--unit` (with or without its
/// suffix), or made up; refused when a unit of that name exists or has a
/// file (systemd: a transient unit cannot replace one).
fn names(
    state: &State,
    request: &RunRequest,
) -> Result<(UnitName, Option<UnitName>), RunNameError> {
    let base = match &request.unit {
        Some(unit) => stem(unit, request.with_timer())?,
        None => loop {
            // 128 random bits, as systemd-run's `run-r…` names: a clash is
            // as good as impossible, and a run's history is its own.
            let candidate = format!("run-r{}", fresh_invocation());
            if !exists(state, &format!("{candidate}.service")) {
                break candidate;
            }
        },
    };
    let service = UnitName::parse(&format!("{base}.service"))?;
    if service.is_template() {
        return Err(RunNameError::Template(service));
    }
    let timer = match request.with_timer() {
        true => Some(service.with_suffix("timer")?),
        false => None,
    };
    for name in std::iter::once(&service).chain(&timer) {
        if exists(state, name.as_str()) {
            return Err(RunNameError::Exists(name.clone()));
        }
    }
    Ok((service, timer))
}

/// `--unit` without its suffix: `.service` may be given, and `.timer` when
/// a timer is made; no other type.
fn stem(unit: &str, with_timer: bool) -> Result<String, RunNameError> {
    if unit.is_empty() {
        return Err(RunNameError::Empty);
    }
    let Ok(name) = UnitName::parse(unit) else {
        // No suffix (or an unknown one, which makes it part of the name).
        return Ok(unit.to_owned());
    };
    match name.unit_type() {
        UnitType::Service => Ok(name.without_suffix().to_owned()),
        UnitType::Timer if with_timer => Ok(name.without_suffix().to_owned()),
        _ => Err(RunNameError::WrongType {
            unit: unit.to_owned(),
            with_timer,
        }),
    }
}

/// Whether a unit called `name` exists for the daemon or has a file.
fn exists(state: &State, name: &str) -> bool {
    if state.transient.contains(name) || state.knows(name) {
        return true;
    }
    UnitName::parse(name).is_ok_and(|n| state.units.index.lookup(&n) != Lookup::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_name_loses_its_suffix() {
        assert_eq!(stem("backup", false).unwrap(), "backup");
        assert_eq!(stem("backup.service", false).unwrap(), "backup");
        assert_eq!(stem("backup.timer", true).unwrap(), "backup");
        assert_eq!(stem("sync@home.service", true).unwrap(), "sync@home");
        // An unknown suffix is part of the name, as systemctl mangles it.
        assert_eq!(stem("a.b", false).unwrap(), "a.b");
        let err = stem("backup.timer", false).unwrap_err().to_string();
        assert_eq!(
            err,
            "backup.timer: sundial run makes a service; name it NAME or NAME.service"
        );
        let err = stem("web.target", true).unwrap_err().to_string();
        assert_eq!(
            err,
            "web.target: sundial run makes a service and a timer; name it NAME or \
             NAME.service (or NAME.timer)"
        );
        assert!(stem("web.target", true).is_err());
        assert!(stem("", true).is_err());
    }
}
