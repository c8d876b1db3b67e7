//! The read-only dashboard (`--http-listen`): server-rendered pages of the
//! timers, the recent runs, each unit's runs and last lines, and the next
//! day's schedule as a picture. It reads what any client reads: it asks the
//! daemon over its own control socket (so it answers what the daemon's
//! user may see, and can change nothing: it sends only queries), and for
//! the picture asks the event loop for the loaded timers, whose simulation
//! runs on the blocking pool.

pub mod page;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sundial_calendar::{Timespan, Timestamp, Zone};
use tokio::sync::{mpsc, oneshot};

use super::http::{request_target, Listener, Reply};
use crate::ipc::{Client, HistoryRequest, ListTimersRequest, LogsRequest, Request, Response};
use crate::scheduler::random::HostIdentity;
use crate::scheduler::simulation::{simulate_window, Window};
use crate::unit::TimerUnit;

/// Recent runs on the overview.
const RECENT_RUNS: u32 = 50;
/// A unit page's runs and lines.
const UNIT_RUNS: u32 = 50;
const UNIT_LINES: u64 = 50;

/// The loaded timers and the local zone, from the event loop.
pub type TimersReply = (Vec<Arc<TimerUnit>>, Zone);
/// The dashboard's question to the event loop.
pub type TimersAsk = oneshot::Sender<TimersReply>;

/// What the pages are served from.
#[derive(Debug, Clone)]
pub struct Sources {
    /// The daemon's control socket.
    pub control: PathBuf,
    /// `system` or `user`.
    pub scope: &'static str,
    /// Questions for the event loop.
    pub timers: mpsc::Sender<TimersAsk>,
}

/// Serves the dashboard on `listener`.
pub async fn serve(listener: Listener, sources: Sources) {
    listener
        .serve(move |head| {
            let sources = sources.clone();
            async move { answer(&head, sources).await }
        })
        .await;
}

async fn answer(head: &str, sources: Sources) -> Reply {
    let (path, head_only) = match request_target(head) {
        Ok(target) => target,
        Err(reply) => return reply,
    };
    let mut reply = if path == "/schedule.svg" {
        schedule(&sources).await
    } else {
        let control = sources.control.clone();
        let scope = sources.scope;
        tokio::task::spawn_blocking(move || page_for(&path, &control, scope))
            .await
            .unwrap_or_else(|_| Reply::error("500 Internal Server Error", "the page failed"))
    };
    reply.head_only = head_only;
    reply
}

const HTML: &str = "text/html; charset=utf-8";

/// A page from the daemon's answers (blocking: runs on the pool).
fn page_for(path: &str, control: &std::path::Path, scope: &str) -> Reply {
    let now = now();
    let zone = local_zone();
    let ask = |request: Request| -> Result<Response, Reply> {
        let mut client = Client::connect(control)
            .map_err(|e| Reply::error("503 Service Unavailable", &e.to_string()))?;
        let _ = client.set_timeout(Some(Duration::from_secs(30)));
        client
            .call(&request)
            .map_err(|e| Reply::error("503 Service Unavailable", &e.to_string()))
    };
    let result = (|| -> Result<Reply, Reply> {
        if path == "/" {
            let Response::Timers { timers } = ask(Request::ListTimers(ListTimersRequest {
                all: true,
                patterns: Vec::new(),
            }))?
            else {
                return Err(Reply::error("502 Bad Gateway", "unexpected answer"));
            };
            let mut runs = runs_of(&ask, None, RECENT_RUNS)?;
            runs.reverse();
            let html = page::overview(&page::Overview {
                timers: &timers,
                runs: &runs,
                now,
                zone: &zone,
                scope,
            });
            return Ok(Reply::ok(HTML, html));
        }
        let Some(unit) = path.strip_prefix("/unit/").and_then(page::percent_decode) else {
            return Err(Reply::error("404 Not Found", "not found"));
        };
        let mut runs = runs_of(&ask, Some(&unit), UNIT_RUNS)?;
        runs.reverse();
        let lines = lines_of(control, &unit)?;
        let html = page::unit_page(&page::UnitPage {
            unit: &unit,
            runs: &runs,
            lines: &lines,
            now,
            zone: &zone,
        });
        Ok(Reply::ok(HTML, html))
    })();
    result.unwrap_or_else(|e| e)
}

fn runs_of(
    ask: &dyn Fn(Request) -> Result<Response, Reply>,
    unit: Option<&str>,
    limit: u32,
) -> Result<Vec<crate::ipc::types::RunRow>, Reply> {
    match ask(Request::History(HistoryRequest {
        unit: unit.map(str::to_owned),
        limit: Some(limit),
    }))? {
        Response::Runs { runs } => Ok(runs),
        Response::Error { message, .. } => Err(Reply::error("404 Not Found", &message)),
        _ => Err(Reply::error("502 Bad Gateway", "unexpected answer")),
    }
}

fn lines_of(
    control: &std::path::Path,
    unit: &str,
) -> Result<Vec<crate::ipc::types::LogLine>, Reply> {
    let unavailable =
        |e: crate::ipc::ClientError| Reply::error("503 Service Unavailable", &e.to_string());
    let client = Client::connect(control).map_err(unavailable)?;
    let _ = client.set_timeout(Some(Duration::from_secs(30)));
    let request = Request::Logs(LogsRequest {
        units: vec![unit.to_owned()],
        follow: false,
        lines: Some(UNIT_LINES),
        since_usec: None,
        until_usec: None,
        invocation: None,
        priorities: None,
    });
    let mut lines = Vec::new();
    for response in client.stream(&request).map_err(unavailable)? {
        match response.map_err(unavailable)? {
            Response::Logs { lines: batch } => lines.extend(batch),
            _ => break,
        }
    }
    Ok(lines)
}

/// The next day of the loaded timers as a picture.
async fn schedule(sources: &Sources) -> Reply {
    let (tx, rx) = oneshot::channel();
    let unavailable = || Reply::error("503 Service Unavailable", "the daemon is stopping");
    if sources.timers.send(tx).await.is_err() {
        return unavailable();
    }
    let Ok((timers, zone)) = rx.await else {
        return unavailable();
    };
    let drawn = tokio::task::spawn_blocking(move || {
        let from = now();
        let until = from
            .checked_add(Timespan::from_secs(86_400))
            .unwrap_or(from);
        let starts = simulate_window(
            &timers,
            Window {
                boot: from,
                from,
                until,
                run_time: Timespan::ZERO,
            },
            &zone,
            HostIdentity::default(),
            0,
        );
        let picture = crate::schedule_picture::Schedule {
            starts: &starts,
            timers: timers
                .iter()
                .map(|t| (t.name.as_str().to_owned(), t.timer.randomized_delay))
                .collect(),
            run_times: Default::default(),
            run_times_from: "not drawn here (sundial simulate --svg draws the recorded ones)"
                .into(),
            from,
            until,
        };
        crate::schedule_picture::render(&picture, &zone)
    })
    .await;
    match drawn {
        Ok(svg) => Reply::ok("image/svg+xml", svg),
        Err(_) => Reply::error("500 Internal Server Error", "the picture failed"),
    }
}

fn now() -> Timestamp {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::from_usec(i64::try_from(since.as_micros()).unwrap_or(i64::MAX))
}

fn local_zone() -> Zone {
    let zones =
        sundial_calendar::zone::SystemZones::from_tzdir_env(std::env::var("TZDIR").ok().as_deref());
    sundial_calendar::zone::local_zone(std::env::var("TZ").ok().as_deref(), &zones)
}
