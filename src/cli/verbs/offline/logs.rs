//! `logs` from the database: the lines as the daemon streams them.

use sundial_calendar::Timestamp;

use super::Offline;
use crate::daemon::handlers::{glob_match, is_glob, unit_name};
use crate::ipc::types::LogLine;
use crate::ipc::{ErrorCode, Response};
use crate::store::{InvocationId, LogQuery};
use crate::unit::SyslogLevel;

/// The lines a `logs` request asks for, in one response (`-f` aside: the
/// caller says that nothing can be followed).
pub fn logs(
    offline: &Offline,
    units: &[String],
    lines: Option<u64>,
    since_usec: Option<i64>,
    until_usec: Option<i64>,
    invocation: Option<&str>,
    priorities: Option<(SyslogLevel, SyslogLevel)>,
) -> Response {
    let invocation = match invocation.map(str::parse::<InvocationId>).transpose() {
        Ok(id) => id,
        Err(e) => return Response::error(ErrorCode::BadRequest, e.to_string()),
    };
    let units = match expand_units(offline, units) {
        Ok(units) => units,
        Err(e) => return Response::error(ErrorCode::Failed, e.to_string()),
    };
    let query = LogQuery {
        units,
        since: since_usec.map(Timestamp::from_usec),
        until: until_usec.map(Timestamp::from_usec),
        invocation,
        after: None,
        last: lines.map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        limit: None,
        priorities,
    };
    match offline.store.logs(&query) {
        Ok(entries) => Response::Logs {
            lines: entries.into_iter().map(LogLine::from).collect(),
        },
        Err(e) => Response::error(ErrorCode::Failed, e.to_string()),
    }
}

/// The units of `-u`: a bare name is a service; a pattern stands for the
/// units with lines that it matches, as journalctl matches the units of its
/// journal (one that matches none stays, matching no line).
fn expand_units(offline: &Offline, units: &[String]) -> crate::store::Result<Vec<String>> {
    let mut logged: Option<Vec<String>> = None;
    let mut names = Vec::new();
    for u in units {
        let name = unit_name(u);
        if !is_glob(&name) {
            names.push(name);
            continue;
        }
        if logged.is_none() {
            logged = Some(offline.store.logged_units()?);
        }
        let matched: Vec<String> = logged
            .iter()
            .flatten()
            .filter(|n| glob_match(&name, n))
            .cloned()
            .collect();
        if matched.is_empty() {
            names.push(name);
        } else {
            names.extend(matched);
        }
    }
    Ok(names)
}
