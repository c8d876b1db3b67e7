//! `history --cluster` and `cluster status`: questions for the shared
//! tables. The loop hands each to the cluster thread and goes on; a task
//! of its own waits for the answer and replies, so a slow database never
//! holds up the loop.

use tokio::sync::oneshot;

use super::answer;
use crate::daemon::cluster::Link;
use crate::daemon::cluster_task::Command;
use crate::daemon::state::State;
use crate::ipc::server::Reply;
use crate::ipc::{ErrorCode, HistoryRequest, Response};

fn no_cluster() -> Response {
    Response::error(
        ErrorCode::Failed,
        "this daemon is in no cluster: sundial.toml has no [cluster] section",
    )
}

/// Replies with what the cluster thread answers, from a task of its own.
fn reply_later<T: Send + 'static>(
    answer_rx: oneshot::Receiver<Result<T, String>>,
    reply: oneshot::Sender<Reply>,
    make: impl FnOnce(T) -> Response + Send + 'static,
) {
    tokio::spawn(async move {
        let response = match answer_rx.await {
            Ok(Ok(value)) => make(value),
            Ok(Err(why)) => Response::error(ErrorCode::Failed, why),
            Err(_) => Response::error(ErrorCode::Internal, "the cluster thread has stopped"),
        };
        let _ = reply.send(Reply::One(response));
    });
}

/// `history --cluster [UNIT] [-n N]`.
pub fn history(state: &mut State, request: HistoryRequest, reply: oneshot::Sender<Reply>) {
    if state.cluster.config.is_none() {
        return answer(reply, no_cluster());
    }
    let (tx, rx) = oneshot::channel();
    let limit = request.limit.map_or(10_000, |n| n as usize);
    let command = Command::Runs {
        unit: request.unit,
        limit,
        reply: tx,
    };
    if !state.cluster.send(command) {
        return answer(
            reply,
            Response::error(ErrorCode::Internal, "the cluster thread has stopped"),
        );
    }
    reply_later(rx, reply, |runs| Response::ClusterRuns { runs });
}

/// `cluster status`.
pub fn status(state: &mut State, reply: oneshot::Sender<Reply>) {
    let Some(node) = state.cluster.node().map(str::to_owned) else {
        return answer(reply, no_cluster());
    };
    let link = match &state.cluster.link {
        Link::Up => "connected".to_owned(),
        Link::Down(why) => why.clone(),
        Link::Off => "off".to_owned(),
    };
    let (tx, rx) = oneshot::channel();
    if !state.cluster.send(Command::Nodes { reply: tx }) {
        return answer(
            reply,
            Response::error(ErrorCode::Internal, "the cluster thread has stopped"),
        );
    }
    // Down, the reply still says who this node is and why it is down.
    let (fallback_node, fallback_link) = (node.clone(), link.clone());
    tokio::spawn(async move {
        let response = match rx.await {
            Ok(Ok(nodes)) => Response::ClusterStatus {
                node,
                state: link,
                nodes,
            },
            Ok(Err(_)) | Err(_) => Response::ClusterStatus {
                node: fallback_node,
                state: fallback_link,
                nodes: Vec::new(),
            },
        };
        let _ = reply.send(Reply::One(response));
    });
}
