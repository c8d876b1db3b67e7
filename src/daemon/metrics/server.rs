//! The metrics endpoint: `GET /metrics` on the [`http`](crate::daemon::http)
//! edge. Each request asks the event loop for a [`Snapshot`] and renders it
//! on the blocking pool, so a scrape of many units never holds up the loop.

use tokio::sync::{mpsc, oneshot};

use super::{exposition, Snapshot};
use crate::daemon::http::{request_target, Listener, Reply};

/// A scrape's request to the event loop: the snapshot goes back on the
/// channel.
pub type Scrape = oneshot::Sender<Snapshot>;

/// Serves `/metrics` (and a pointer to it at `/`); each scrape asks the
/// loop through `scrapes` (once the loop has ended, connections are closed
/// unanswered).
pub async fn serve(listener: Listener, scrapes: mpsc::Sender<Scrape>) {
    listener
        .serve(move |head| {
            let scrapes = scrapes.clone();
            async move { answer(&head, scrapes).await }
        })
        .await;
}

async fn answer(head: &str, scrapes: mpsc::Sender<Scrape>) -> Reply {
    let (path, head_only) = match request_target(head) {
        Ok(target) => target,
        Err(reply) => return reply,
    };
    let mut reply = match path.as_str() {
        "/metrics" => {
            let (tx, rx) = oneshot::channel();
            let unavailable = || Reply::error("503 Service Unavailable", "the daemon is stopping");
            if scrapes.send(tx).await.is_err() {
                return unavailable();
            }
            let Ok(snapshot) = rx.await else {
                return unavailable();
            };
            let rendered = tokio::task::spawn_blocking(move || {
                let mut out = String::new();
                exposition::render(&snapshot, &mut out);
                out
            })
            .await;
            match rendered {
                Ok(body) => Reply::ok(exposition::CONTENT_TYPE, body),
                Err(_) => Reply::error("500 Internal Server Error", "rendering failed"),
            }
        }
        "/" => Reply::ok(
            "text/plain; charset=utf-8",
            "sundial: metrics are at /metrics\n",
        ),
        _ => Reply::error("404 Not Found", "not found"),
    };
    reply.head_only = head_only;
    reply
}
