//! One handler per family of requests. Each gets the daemon's state for the
//! duration of the call and answers on the request's reply channel, at once
//! or, for jobs, when they are done.

mod access;
mod cluster;
mod deps;
mod enablement;
mod environment;
mod files;
mod isolate;
mod jobs;
pub(crate) use jobs::{resume as resume_job, PendingJob};
mod listing;
mod logs;
mod query;
mod reexec;
mod reload;
mod run;
mod show;
mod sliced;
mod status;

use crate::ipc::{
    EnablementRequest, HistoryRequest, IsolateRequest, KillRequest, ListDependenciesRequest,
    ListTimersRequest, ListUnitsRequest, ResetFailedRequest, SetEnvironmentRequest, ShowRequest,
    StatusRequest, UnitsRequest, UnsetEnvironmentRequest,
};
use tokio::sync::oneshot;

use super::state::State;
use crate::ipc::{ErrorCode, Incoming, Reply, Request, Response};

pub use enablement::is_enabled;
pub use sliced::{work as work_slice, Sliced};

/// Carries out one request.
pub fn handle(state: &mut State, incoming: Incoming) {
    let Incoming {
        request,
        reply,
        peer,
    } = incoming;
    // Checked slice by slice (the names too) when answered in slices.
    if sliced::wants_slicing(&request) {
        sliced::begin(state, request, peer, reply);
        return;
    }
    if let Some(bad) = invalid_unit_name(&request) {
        // systemd checks names before anything else: a name with a `/`
        // would otherwise lead file operations out of the unit directories.
        answer(reply, invalid_name(bad));
        return;
    }
    match request {
        Request::Start(UnitsRequest { .. })
        | Request::Stop(UnitsRequest { .. })
        | Request::Restart(UnitsRequest { .. })
        | Request::Reload(UnitsRequest { .. })
        | Request::TryRestart(UnitsRequest { .. })
        | Request::ReloadOrRestart(UnitsRequest { .. })
        | Request::Kill(KillRequest { .. })
        | Request::ResetFailed(ResetFailedRequest { .. }) => {
            jobs::handle(state, request, &peer, reply)
        }
        Request::Isolate(IsolateRequest { unit }) => isolate::handle(state, &unit, &peer, reply),
        Request::Status(StatusRequest { units, lines }) => {
            answer(reply, status::status(state, &units, lines, &peer))
        }
        Request::ListTimers(ListTimersRequest { all, patterns }) => {
            answer(reply, listing::list_timers(state, all, &patterns))
        }
        Request::ListSockets(ListTimersRequest { all, patterns }) => {
            answer(reply, listing::list_sockets(state, all, &patterns))
        }
        Request::ListUnits(ListUnitsRequest {
            all,
            types,
            states,
            patterns,
        }) => answer(
            reply,
            listing::list_units(state, all, &types, &states, &patterns),
        ),
        Request::Show(ShowRequest { units, properties }) => {
            answer(reply, show::show(state, &units, &properties, &peer))
        }
        Request::Cat(UnitsRequest { units }) => answer(reply, files::cat(state, &units, &peer)),
        Request::ListDependencies(ListDependenciesRequest { unit, reverse }) => {
            answer(reply, deps::list_dependencies(state, &unit, reverse))
        }
        Request::Enable(EnablementRequest { units, now }) => {
            files::enable(state, &units, now, reply)
        }
        Request::Disable(EnablementRequest { units, now }) => {
            files::disable(state, &units, now, reply)
        }
        Request::Mask(UnitsRequest { units }) => answer(reply, files::mask(state, &units)),
        Request::Unmask(UnitsRequest { units }) => answer(reply, files::unmask(state, &units)),
        Request::IsActive(UnitsRequest { units }) => answer(reply, query::is_active(state, &units)),
        Request::IsEnabled(UnitsRequest { units }) => {
            answer(reply, query::is_enabled(state, &units))
        }
        Request::IsFailed(UnitsRequest { units }) => answer(reply, query::is_failed(state, &units)),
        Request::DaemonReload => answer(reply, reload::daemon_reload(state)),
        Request::DaemonReexec => reexec::daemon_reexec(state, reply),
        Request::Logs(request) => {
            let _ = reply.send(logs::logs(state, request, &peer));
        }
        Request::History(HistoryRequest { unit, limit }) => {
            answer(reply, logs::history(state, unit, limit))
        }
        Request::Run(request) => run::run(state, request, reply),
        Request::ClusterHistory(request) => cluster::history(state, request, reply),
        Request::ClusterStatus => cluster::status(state, reply),
        Request::ShowEnvironment => answer(reply, environment::show(state)),
        Request::SetEnvironment(SetEnvironmentRequest { assignments }) => {
            answer(reply, environment::set(state, &assignments))
        }
        Request::UnsetEnvironment(UnsetEnvironmentRequest { names }) => {
            answer(reply, environment::unset(state, &names))
        }
    }
}

fn answer(reply: oneshot::Sender<Reply>, response: Response) {
    // The client may have gone; nothing to do then.
    let _ = reply.send(Reply::One(response));
}

/// systemctl's name mangling: a name without a unit suffix is a service.
pub fn unit_name(name: &str) -> String {
    let has_suffix = name
        .rsplit_once('.')
        .is_some_and(|(_, s)| crate::unit::UnitType::from_suffix(s).is_some());
    if has_suffix || is_glob(name) {
        name.to_owned()
    } else {
        format!("{name}.service")
    }
}

/// The first unit name of `request` that is no valid unit name (patterns
/// aside), as systemd's `unit_name_is_valid()` judges: no `/`, a known
/// suffix, allowed characters, at most 255 bytes.
fn invalid_unit_name(request: &Request) -> Option<&str> {
    let names: &[String] = match request {
        Request::Start(UnitsRequest { units })
        | Request::Stop(UnitsRequest { units })
        | Request::Restart(UnitsRequest { units })
        | Request::Reload(UnitsRequest { units })
        | Request::TryRestart(UnitsRequest { units })
        | Request::ReloadOrRestart(UnitsRequest { units })
        | Request::Kill(KillRequest { units, .. })
        | Request::Status(StatusRequest { units, .. })
        | Request::Show(ShowRequest { units, .. })
        | Request::Cat(UnitsRequest { units })
        | Request::Enable(EnablementRequest { units, .. })
        | Request::Disable(EnablementRequest { units, .. })
        | Request::Mask(UnitsRequest { units })
        | Request::Unmask(UnitsRequest { units })
        | Request::IsActive(UnitsRequest { units })
        | Request::IsEnabled(UnitsRequest { units })
        | Request::IsFailed(UnitsRequest { units })
        | Request::ResetFailed(ResetFailedRequest { units }) => units,
        Request::ListDependencies(ListDependenciesRequest { unit, .. })
        | Request::Isolate(IsolateRequest { unit }) => std::slice::from_ref(unit),
        _ => return None,
    };
    first_invalid(names)
}

/// The first of `names` that is no valid unit name (patterns aside).
fn first_invalid(names: &[String]) -> Option<&str> {
    names.iter().map(String::as_str).find(|raw| {
        let name = unit_name(raw);
        raw.contains('/') || (!is_glob(&name) && crate::unit::UnitName::parse(&name).is_err())
    })
}

/// `Unit name NAME is not valid.`
fn invalid_name(bad: &str) -> Response {
    Response::error(ErrorCode::Failed, format!("Unit name {bad} is not valid."))
}

/// `Unit NAME not found.`
pub fn not_found(name: &str) -> Response {
    Response::error(ErrorCode::NoSuchUnit, format!("Unit {name} not found."))
}

/// `Unit NAME not found.`, saying what its entry in the search path is
/// when it is a link to nothing.
pub fn not_found_in(state: &State, name: &str) -> Response {
    match state.units.index.broken(name) {
        Some((path, why)) => Response::error(
            ErrorCode::NoSuchUnit,
            format!("Unit {name} not found: {} is a {why}.", path.display()),
        ),
        None => not_found(name),
    }
}

/// Whether a pattern has glob characters.
pub fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// fnmatch(3) without flags: `*`, `?`, `[...]` with ranges and `!`/`^`.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    glob_at(&p, &n)
}

fn glob_at(p: &[char], n: &[char]) -> bool {
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, ni));
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, len)) = class(&p[pi..], n[ni]) {
                        if matched {
                            pi += len;
                            ni += 1;
                            continue;
                        }
                    } else if n[ni] == '[' {
                        pi += 1;
                        ni += 1;
                        continue;
                    }
                }
                c if c == n[ni] => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, sn)) => {
                pi = sp + 1;
                ni = sn + 1;
                star = Some((sp, sn + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Matches `c` against the bracket expression at the start of `p`; returns
/// whether it matched and the expression's length, or None if unterminated.
fn class(p: &[char], c: char) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = matches!(p.get(i), Some('!' | '^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == ']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            matched |= p[i] <= c && c <= p[i + 2];
            i += 3;
        } else {
            matched |= p[i] == c;
            i += 1;
        }
    }
    None
}

/// Whether `name` matches any of `patterns` (all match when there are none).
pub fn matches_any(patterns: &[String], name: &str) -> bool {
    patterns.is_empty()
        || patterns
            .iter()
            .any(|p| glob_match(&unit_name(p), name) || glob_match(p, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_get_the_service_suffix() {
        assert_eq!(unit_name("backup"), "backup.service");
        assert_eq!(unit_name("backup.timer"), "backup.timer");
        assert_eq!(unit_name("a.b"), "a.b.service");
        assert_eq!(unit_name("back*"), "back*");
    }

    #[test]
    fn globs() {
        assert!(glob_match("*.timer", "backup.timer"));
        assert!(!glob_match("*.timer", "backup.service"));
        assert!(glob_match("b?ckup.*", "backup.timer"));
        assert!(glob_match("sync@*.timer", "sync@home.timer"));
        assert!(glob_match("[a-c]*", "backup.timer"));
        assert!(!glob_match("[!a-c]*", "backup.timer"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("a", ""));
        assert!(glob_match("[a", "[a"));
        assert!(matches_any(&[], "x.service"));
        assert!(matches_any(&["backup".into()], "backup.service"));
    }
}
