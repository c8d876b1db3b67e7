//! Requests that name many units (`status`, `show`, `cat`, `is-active`,
//! `is-enabled`, `is-failed`), answered a slice of units per loop turn:
//! each slice goes through the request's own handler, the answers are put
//! together, and between slices the loop serves everything else. A
//! `status` naming 50,000 units then delays other clients by one slice, not
//! by the whole request; requests of different uids take turns.

use crate::ipc::{ShowRequest, StatusRequest, UnitsRequest};
use tokio::sync::oneshot;

use super::{answer, files, first_invalid, invalid_name, query, show, status};
use crate::daemon::backlog::{Cursor, UNITS_PER_SLICE};
use crate::daemon::state::State;
use crate::ipc::protocol::MAX_RESPONSE_FRAME;
use crate::ipc::{ErrorCode, Peer, Reply, Request, Response};

/// Large requests of one uid in progress at once: each holds its request
/// and its answer so far (up to a frame's limit) in memory.
pub const MAX_PER_UID: usize = 4;

/// A request being answered a slice at a time.
#[derive(Debug)]
pub struct Sliced {
    request: Request,
    peer: Peer,
    reply: oneshot::Sender<Reply>,
    cursor: Cursor,
    /// The slices answered so far, put together.
    answer: Option<Response>,
    /// Their size in JSON, about.
    answer_bytes: usize,
}

/// The units a request names, if it is one that can be answered in slices.
fn units_of(request: &Request) -> Option<&[String]> {
    match request {
        // Without units these mean "every active unit" or "the manager".
        Request::Status(StatusRequest { units, .. }) | Request::Show(ShowRequest { units, .. })
            if units.is_empty() =>
        {
            None
        }
        Request::Status(StatusRequest { units, .. })
        | Request::Show(ShowRequest { units, .. })
        | Request::Cat(UnitsRequest { units })
        | Request::IsActive(UnitsRequest { units })
        | Request::IsEnabled(UnitsRequest { units })
        | Request::IsFailed(UnitsRequest { units }) => Some(units),
        _ => None,
    }
}

/// Whether `request` names more units than one slice.
pub fn wants_slicing(request: &Request) -> bool {
    units_of(request).is_some_and(|units| units.len() > UNITS_PER_SLICE)
}

/// Queues `request` to be answered in slices, in its uid's turn; refuses
/// it if the uid has [`MAX_PER_UID`] in progress.
pub fn begin(state: &mut State, request: Request, peer: Peer, reply: oneshot::Sender<Reply>) {
    if state.backlog.requests.len_of(peer.uid) >= MAX_PER_UID {
        let message = format!(
            "uid {} has {MAX_PER_UID} requests naming many units in progress; try again when they are answered",
            peer.uid
        );
        answer(reply, Response::error(ErrorCode::Busy, message));
        return;
    }
    let len = units_of(&request).map_or(0, <[String]>::len);
    let sliced = Sliced {
        request,
        peer,
        reply,
        cursor: Cursor::new(len),
        answer: None,
        answer_bytes: 0,
    };
    state.backlog.requests.push(peer.uid, sliced);
}

/// Answers the next slice of the request whose uid's turn it is; the
/// request goes back in line unless it is done.
pub fn work(state: &mut State) {
    let Some((uid, mut sliced)) = state.backlog.requests.pop() else {
        return;
    };
    // The client went away: nobody wants the rest.
    if sliced.reply.is_closed() {
        return;
    }
    let units = units_of(&sliced.request).unwrap_or_default();
    let part = match sliced.cursor.next_slice(UNITS_PER_SLICE) {
        Some(range) => match first_invalid(&units[range.clone()]) {
            Some(bad) => invalid_name(bad),
            None => answer_slice(state, &sliced.request, &units[range], &sliced.peer),
        },
        None => Response::error(ErrorCode::Internal, "a sliced request had no units"),
    };
    // Stop as soon as the answer cannot be sent, rather than at the end.
    sliced.answer_bytes += json_len(&part);
    if sliced.answer_bytes > MAX_RESPONSE_FRAME {
        let message = format!(
            "the answer for {} units exceeds the limit of {MAX_RESPONSE_FRAME} bytes; ask for fewer units at a time",
            units.len()
        );
        answer(
            sliced.reply,
            Response::error(ErrorCode::FrameTooLarge, message),
        );
        return;
    }
    match merge(sliced.answer.take(), part) {
        Ok(whole) if sliced.cursor.is_done() => answer(sliced.reply, whole),
        Ok(so_far) => {
            sliced.answer = Some(so_far);
            state.backlog.requests.push(uid, sliced);
        }
        // The first error answers the request, as it would have unsliced.
        Err(error) => answer(sliced.reply, error),
    }
}

/// The length of `response` as JSON, counted without keeping it.
fn json_len(response: &Response) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Encoding a response fails only for maps with non-string keys, which
    // responses do not have; it would then fail at the end as well.
    let _ = serde_json::to_writer(&mut count, response);
    count.0
}

/// The answer of `request` for `units` only, from its own handler.
fn answer_slice(state: &mut State, request: &Request, units: &[String], peer: &Peer) -> Response {
    match request {
        Request::Status(StatusRequest { lines, .. }) => status::status(state, units, *lines, peer),
        Request::Show(ShowRequest { properties, .. }) => show::show(state, units, properties, peer),
        Request::Cat(UnitsRequest { .. }) => files::cat(state, units, peer),
        Request::IsActive(UnitsRequest { .. }) => query::is_active(state, units),
        Request::IsEnabled(UnitsRequest { .. }) => query::is_enabled(state, units),
        Request::IsFailed(UnitsRequest { .. }) => query::is_failed(state, units),
        _ => Response::error(
            ErrorCode::Internal,
            "this request is not answered in slices",
        ),
    }
}

/// Puts the answer of one more slice behind the ones before; an error (or
/// an answer of another kind) is what the whole request gets.
fn merge(so_far: Option<Response>, part: Response) -> Result<Response, Response> {
    let Some(so_far) = so_far else {
        return match part {
            error @ Response::Error { .. } => Err(error),
            part => Ok(part),
        };
    };
    match (so_far, part) {
        (Response::Status { units: mut all }, Response::Status { units }) => {
            all.extend(units);
            Ok(Response::Status { units: all })
        }
        (Response::Properties { units: mut all }, Response::Properties { units }) => {
            all.extend(units);
            Ok(Response::Properties { units: all })
        }
        (Response::Files { units: mut all }, Response::Files { units }) => {
            all.extend(units);
            Ok(Response::Files { units: all })
        }
        (Response::States { states: mut all }, Response::States { states }) => {
            all.extend(states);
            Ok(Response::States { states: all })
        }
        (_, error @ Response::Error { .. }) => Err(error),
        (_, other) => Err(Response::error(
            ErrorCode::Internal,
            format!("slices of one request answered differently: {other:?}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipc::types::UnitState;

    fn states(names: &[&str]) -> Response {
        Response::States {
            states: names
                .iter()
                .map(|n| UnitState {
                    unit: (*n).to_owned(),
                    load_state: "loaded".into(),
                    state: "active".into(),
                })
                .collect(),
        }
    }

    #[test]
    fn slices_are_put_together_in_order() {
        let whole = merge(None, states(&["a.service"])).unwrap();
        let whole = merge(Some(whole), states(&["b.service", "c.service"])).unwrap();
        assert_eq!(whole, states(&["a.service", "b.service", "c.service"]));
    }

    #[test]
    fn an_error_answers_the_whole_request() {
        let error = Response::error(ErrorCode::NoSuchUnit, "Unit x.service not found.");
        assert_eq!(merge(None, error.clone()), Err(error.clone()));
        let so_far = merge(None, states(&["a.service"])).unwrap();
        assert_eq!(merge(Some(so_far), error.clone()), Err(error));
        let so_far = merge(None, states(&["a.service"])).unwrap();
        let mixed = merge(Some(so_far), Response::Status { units: vec![] });
        assert!(matches!(
            mixed,
            Err(Response::Error {
                code: ErrorCode::Internal,
                ..
            })
        ));
    }

    #[test]
    fn only_long_unit_lists_are_sliced() {
        let names = |n: usize| (0..n).map(|i| format!("u{i}.service")).collect::<Vec<_>>();
        assert!(!wants_slicing(&Request::IsActive(UnitsRequest {
            units: names(UNITS_PER_SLICE)
        })));
        assert!(wants_slicing(&Request::IsActive(UnitsRequest {
            units: names(UNITS_PER_SLICE + 1)
        })));
        assert!(wants_slicing(&Request::Status(StatusRequest {
            units: names(50_000),
            lines: None
        })));
        // Starting many units is not a read: it stays one job request.
        assert!(!wants_slicing(&Request::Start(UnitsRequest {
            units: names(50_000)
        })));
        assert!(!wants_slicing(&Request::Status(StatusRequest {
            units: vec![],
            lines: None
        })));
    }
}
