//! `logs` (journalctl's -u, -n, --since, --until, --invocation, -f) and
//! `history`.
//!
//! A `logs` reply is a stream of frames of at most
//! [`LINES_PER_FRAME`] lines; without
//! `-f` the stream ends after the last matching line, with `-f` the client
//! is added to the log pipe's followers and gets each new batch as it is
//! committed.
//!
//! The lines are read on a thread of the runtime's blocking pool with a
//! connection of its own, after the lines read so far are written (waiting
//! at most [`LOGS_WAIT`] for that), so that a reply under a flood of output
//! holds up neither the event loop nor itself for long: it answers from
//! what is stored.

use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::time::Duration;

use tokio::sync::mpsc;

use super::access::LogAccess;
use super::{glob_match, is_glob, not_found, unit_name};
use crate::daemon::output::{Followers, LINES_PER_FRAME};
use crate::daemon::state::State;
use crate::ipc::types::{LogLine, RunRow};
use crate::ipc::{ErrorCode, LogsRequest, Peer, Reply, Response};
use crate::store::{InvocationId, LogQuery, Store};
use crate::unit::SyslogLevel;
use sundial_calendar::Timestamp;

/// How long a `logs` reply waits for the lines read before it to be written.
const LOGS_WAIT: Duration = Duration::from_secs(1);

/// Frames a reply may have ready before the client reads them (a follower
/// that falls this far behind is dropped).
const FRAMES_AHEAD: usize = 64;

/// `history` without `-n`.
const DEFAULT_HISTORY: u32 = 1000;

fn error(code: ErrorCode, message: String) -> Reply {
    Reply::One(Response::error(code, message))
}

/// Answers `logs` for `peer`, with only the units whose logs it may read
/// ([`LogAccess`]).
pub fn logs(state: &mut State, request: LogsRequest, peer: &Peer) -> Reply {
    let invocation = match request
        .invocation
        .as_deref()
        .map(str::parse::<InvocationId>)
    {
        None => None,
        Some(Ok(id)) => Some(id),
        Some(Err(e)) => return error(ErrorCode::BadRequest, e.to_string()),
    };
    let priorities = match request.priorities {
        None => None,
        Some([high, low]) => match (
            SyslogLevel::from_number(high),
            SyslogLevel::from_number(low),
        ) {
            (Some(high), Some(low)) => Some((high.min(low), high.max(low))),
            _ => {
                return error(
                    ErrorCode::BadRequest,
                    format!("priorities {high}..{low}: not within 0..7"),
                )
            }
        },
    };
    let access = LogAccess::of(state.paths.scope, peer);
    let mut units = expand_units(state, &request.units);
    if access != LogAccess::All {
        if units.is_empty() {
            units = state.all_units().into_iter().collect();
        }
        units.retain(|u| access.admits(state, u));
        if units.is_empty() {
            // Nothing this user may read: journalctl shows no entries.
            let (_tx, rx) = mpsc::channel(1);
            return Reply::Stream(rx);
        }
    }
    let query = LogQuery {
        units,
        since: request.since_usec.map(Timestamp::from_usec),
        until: request.until_usec.map(Timestamp::from_usec),
        invocation,
        after: None,
        last: request
            .lines
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        limit: None,
        priorities,
    };
    let reply = Answer {
        db: state.store.path().to_owned(),
        query,
        written: state.logs.barrier(),
        followers: request.follow.then(|| state.logs.followers()),
    };
    let (tx, rx) = mpsc::channel(FRAMES_AHEAD);
    tokio::task::spawn_blocking(move || reply.send(&tx));
    Reply::Stream(rx)
}

/// A `logs` reply on its way, off the event loop.
struct Answer {
    db: PathBuf,
    query: LogQuery,
    /// Hears when the lines read before the request are written.
    written: Receiver<()>,
    followers: Option<Followers>,
}

impl Answer {
    fn send(self, tx: &mpsc::Sender<Response>) {
        let _ = self.written.recv_timeout(LOGS_WAIT);
        let failed = |e: crate::store::StoreError| {
            let _ = tx.blocking_send(Response::error(ErrorCode::Failed, e.to_string()));
        };
        let store = match Store::open_read_only(&self.db, true) {
            Ok(s) => s,
            Err(e) => return failed(e),
        };
        let entries = match store.logs(&self.query) {
            Ok(e) => e,
            Err(e) => return failed(e),
        };
        let mut cursor = entries.last().map(|e| e.cursor);
        for chunk in entries.chunks(LINES_PER_FRAME) {
            let lines = chunk.iter().cloned().map(LogLine::from).collect();
            if tx.blocking_send(Response::Logs { lines }).is_err() {
                // The client is gone.
                return;
            }
        }
        let Some(followers) = self.followers else {
            return;
        };
        if cursor.is_none() {
            // Nothing matched yet: follow from the newest line of all.
            let newest = LogQuery {
                last: Some(1),
                ..LogQuery::default()
            };
            cursor = store
                .logs(&newest)
                .ok()
                .and_then(|e| e.last().map(|l| l.cursor));
        }
        followers.follow(self.query, cursor.unwrap_or(0), tx.clone());
    }
}

/// The units of `-u`: names as given (a bare name is a service), patterns
/// as the units they match. journalctl matches patterns against the units in
/// its journal; these are matched against the units the daemon knows, so a
/// removed unit's lines need its exact name. A pattern that matches nothing
/// stays as it is, matching no line, rather than leaving no filter at all.
fn expand_units(state: &State, units: &[String]) -> Vec<String> {
    let mut names = Vec::new();
    for u in units {
        let name = unit_name(u);
        if !is_glob(&name) {
            names.push(name);
            continue;
        }
        let matched: Vec<String> = state
            .all_units()
            .into_iter()
            .filter(|n| glob_match(&name, n))
            .collect();
        if matched.is_empty() {
            names.push(name);
        } else {
            names.extend(matched);
        }
    }
    names
}

/// Answers `history`: runs newest first.
pub fn history(state: &mut State, unit: Option<String>, limit: Option<u32>) -> Response {
    let unit = unit.map(|u| unit_name(&u));
    let limit = limit.unwrap_or(DEFAULT_HISTORY) as usize;
    match state.store.history(unit.as_deref(), limit) {
        // A typo is told apart from a unit that has not run yet; a unit
        // removed since keeps its recorded runs.
        Ok(runs) if runs.is_empty() => match unit.as_deref() {
            // An instance exists as soon as its template does (load_extra).
            Some(u) if !is_glob(u) && !state.knows(u) && !state.units.load_extra(u) => not_found(u),
            _ => Response::Runs { runs: vec![] },
        },
        Ok(runs) => Response::Runs {
            runs: runs.into_iter().map(RunRow::from).collect(),
        },
        Err(e) => Response::error(ErrorCode::Failed, e.to_string()),
    }
}
