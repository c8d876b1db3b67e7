//! `show-environment`, `set-environment`, `unset-environment`: the manager
//! environment every service starts from, as systemctl changes systemd's.
//! A change applies to the commands spawned after it, and lasts until the
//! daemon exits.

use std::collections::BTreeMap;

use crate::daemon::state::State;
use crate::ipc::{ErrorCode, Response};
use crate::supervisor::valid_name;

/// The environment as a map: of several entries with one name, the last.
fn effective(environment: &[(String, String)]) -> BTreeMap<String, String> {
    environment.iter().cloned().collect()
}

/// Answers `show-environment`: every `NAME=value`, sorted by name.
pub fn show(state: &State) -> Response {
    let variables = effective(state.supervisor.default_environment())
        .into_iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    Response::Environment { variables }
}

/// Answers `set-environment`: all assignments or, if one is invalid, none.
pub fn set(state: &mut State, assignments: &[String]) -> Response {
    match with_assignments(state.supervisor.default_environment(), assignments) {
        Ok(environment) => {
            state.supervisor.set_default_environment(environment);
            Response::Done {
                messages: Vec::new(),
            }
        }
        // systemd's words for its SetEnvironment() refusal.
        Err(()) => Response::error(ErrorCode::Failed, "Invalid environment assignments"),
    }
}

/// Answers `unset-environment`.
pub fn unset(state: &mut State, names: &[String]) -> Response {
    match without(state.supervisor.default_environment(), names) {
        Ok(environment) => {
            state.supervisor.set_default_environment(environment);
            Response::Done {
                messages: Vec::new(),
            }
        }
        Err(()) => Response::error(
            ErrorCode::Failed,
            "Invalid environment variable names or assignments",
        ),
    }
}

/// `environment` with each `NAME=value` of `assignments` set; an error if
/// one is no valid assignment (systemd: a valid name; any value).
fn with_assignments(
    environment: &[(String, String)],
    assignments: &[String],
) -> Result<Vec<(String, String)>, ()> {
    let mut map = effective(environment);
    for assignment in assignments {
        let (name, value) = assignment.split_once('=').ok_or(())?;
        if !valid_name(name) {
            return Err(());
        }
        map.insert(name.to_owned(), value.to_owned());
    }
    Ok(map.into_iter().collect())
}

/// `environment` without the variables `names` names: a bare name goes
/// whatever its value, `NAME=value` only with that value (systemctl's
/// unset-environment).
fn without(
    environment: &[(String, String)],
    names: &[String],
) -> Result<Vec<(String, String)>, ()> {
    let mut map = effective(environment);
    for entry in names {
        let (name, value) = match entry.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (entry.as_str(), None),
        };
        if !valid_name(name) {
            return Err(());
        }
        if value.is_none_or(|v| map.get(name).is_some_and(|current| current == v)) {
            map.remove(name);
        }
    }
    Ok(map.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn words(w: &[&str]) -> Vec<String> {
        w.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn set_replaces_and_adds_and_refuses_bad_names_whole() {
        let base = env(&[("PATH", "/bin"), ("LANG", "C"), ("PATH", "/usr/bin")]);
        assert_eq!(
            with_assignments(&base, &words(&["LANG=de_DE.UTF-8", "A=x=y", "EMPTY="])).unwrap(),
            env(&[
                ("A", "x=y"),
                ("EMPTY", ""),
                ("LANG", "de_DE.UTF-8"),
                ("PATH", "/usr/bin")
            ])
        );
        for bad in ["NOEQUALS", "1X=a", "=a", "A-B=c"] {
            assert!(
                with_assignments(&base, &words(&["OK=1", bad])).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn unset_by_name_or_by_name_and_value() {
        let base = env(&[("A", "1"), ("B", "2"), ("C", "3")]);
        assert_eq!(
            without(&base, &words(&["A", "B=other", "C=3", "MISSING"])).unwrap(),
            env(&[("B", "2")])
        );
        assert!(without(&base, &words(&["B", "2X"])).is_err());
    }
}
