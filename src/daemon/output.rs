//! Captured output on its way to the store: batched, optionally echoed to the
//! daemon's stdout with the unit name in front (`--log-stdout`, for container
//! logs), and handed to `logs -f` clients after each batch is committed.

use std::io::Write;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};

use crate::ipc::types::LogLine;
use crate::ipc::Response;
use crate::store::{InvocationId, LogQuery, NewLogLine, Store, Stream};
use crate::supervisor::output::{LogRecord, LogSink, ManagerRecord, Stream as CaptureStream};

/// What the supervisor's sink passes to the event loop.
#[derive(Debug)]
pub enum SinkItem {
    /// A line a service printed.
    Output(LogRecord),
    /// A line about a service from the supervisor.
    Manager(ManagerRecord),
}

/// The supervisor's log sink: a channel into the event loop, which owns the
/// store.
#[derive(Debug)]
pub struct ChannelSink(pub UnboundedSender<SinkItem>);

impl LogSink for ChannelSink {
    fn output(&mut self, record: LogRecord) {
        let _ = self.0.send(SinkItem::Output(record));
    }

    fn manager(&mut self, record: ManagerRecord) {
        let _ = self.0.send(SinkItem::Manager(record));
    }
}

/// A sink and the receiving end the event loop drains.
pub fn channel_sink() -> (ChannelSink, UnboundedReceiver<SinkItem>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (ChannelSink(tx), rx)
}

/// A `logs -f` client.
#[derive(Debug)]
struct Follower {
    query: LogQuery,
    tx: mpsc::Sender<Response>,
}

/// Lines waiting to be written, and the clients following the log.
#[derive(Debug)]
pub struct LogPipe {
    pending: Vec<LogRecord>,
    since: Option<Instant>,
    flush_interval: Duration,
    echo: bool,
    followers: Vec<Follower>,
}

/// A batch is written at once when it reaches this many lines.
const BATCH_LINES: usize = 512;

/// Lines per frame of a `logs` reply.
pub const LINES_PER_FRAME: usize = 1000;

impl LogPipe {
    /// A pipe that writes batches at least every `flush_interval`; `echo`
    /// also prints every line to stdout.
    pub fn new(flush_interval: Duration, echo: bool) -> LogPipe {
        LogPipe {
            pending: Vec::new(),
            since: None,
            flush_interval,
            echo,
            followers: Vec::new(),
        }
    }

    /// Takes one captured line.
    pub fn push(&mut self, record: LogRecord) {
        if self.echo {
            let mut out = std::io::stdout().lock();
            // A closed stdout must not stop the daemon.
            let _ = writeln!(out, "{}: {}", record.unit, record.line);
        }
        if self.pending.is_empty() {
            self.since = Some(Instant::now());
        }
        self.pending.push(record);
    }

    /// Whether the batch is big enough to write now.
    pub fn is_full(&self) -> bool {
        self.pending.len() >= BATCH_LINES
    }

    /// When the pending batch must be written; `None` when nothing waits (so
    /// an idle daemon arms no timer).
    pub fn deadline(&self) -> Option<Instant> {
        self.since.map(|s| s + self.flush_interval)
    }

    /// Writes the pending lines in one transaction and feeds the followers.
    pub fn flush(&mut self, store: &mut Store) -> Result<(), String> {
        self.since = None;
        if !self.pending.is_empty() {
            let batch = std::mem::take(&mut self.pending);
            let lines: Vec<NewLogLine<'_>> = batch
                .iter()
                .map(|r| NewLogLine {
                    unit: &r.unit,
                    invocation: r.invocation_id.parse::<InvocationId>().ok(),
                    stream: match r.stream {
                        CaptureStream::Stdout => Stream::Stdout,
                        CaptureStream::Stderr => Stream::Stderr,
                    },
                    at: r.timestamp,
                    line: &r.line,
                })
                .collect();
            store.append_logs(&lines).map_err(|e| e.to_string())?;
        }
        self.feed_followers(store);
        Ok(())
    }

    /// Adds a `logs -f` client that has been sent everything up to `after`.
    pub fn follow(&mut self, mut query: LogQuery, after: i64, tx: mpsc::Sender<Response>) {
        query.after = Some(after);
        query.last = None;
        query.limit = Some(LINES_PER_FRAME);
        self.followers.push(Follower { query, tx });
    }

    fn feed_followers(&mut self, store: &Store) {
        self.followers.retain_mut(|f| loop {
            if f.tx.is_closed() {
                return false;
            }
            let Ok(entries) = store.logs(&f.query) else {
                return false;
            };
            let Some(last) = entries.last() else {
                return true;
            };
            f.query.after = Some(last.cursor);
            let full = entries.len() >= LINES_PER_FRAME;
            let lines = entries.into_iter().map(LogLine::from).collect();
            // A client that does not keep up is dropped rather than letting
            // its backlog grow in the daemon.
            if f.tx.try_send(Response::Logs { lines }).is_err() {
                return false;
            }
            if !full {
                return true;
            }
        });
    }

    /// Ends every follow (at shutdown).
    pub fn close(&mut self) {
        self.followers.clear();
    }
}
