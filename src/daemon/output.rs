//! Captured output on its way to the store: batched, optionally echoed to the
//! daemon's stdout with the unit name in front (`--log-stdout`, for container
//! logs), written by a thread of its own, and handed to `logs -f` clients
//! after each batch is committed.

use std::io::Write;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};

use super::report::report;
use crate::ipc::types::LogLine;
use crate::ipc::Response;
use crate::store::{InvocationId, LogQuery, NewLogLine, Store, Stream};
use crate::supervisor::Credit;
use crate::supervisor::{now_realtime, LogRecord, LogSink, ManagerRecord, Stream as CaptureStream};
use crate::unit::SyslogLevel;
use sundial_calendar::Timestamp;

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

/// A line on its way to the store.
#[derive(Debug)]
struct PendingLine {
    unit: String,
    invocation: Option<InvocationId>,
    stream: Stream,
    at: Timestamp,
    line: String,
    priority: SyslogLevel,
    /// Its room in the output queue, held until the line is written and
    /// then given back (by its drop).
    _credit: Credit,
}

/// What the event loop asks of the log writer thread, in order.
#[derive(Debug)]
enum WriterCommand {
    /// Store these lines (one transaction) and feed the followers.
    Batch(Vec<PendingLine>),
    /// Answer once everything sent before is in the store.
    Barrier(std::sync::mpsc::SyncSender<()>),
    /// A new `logs -f` client.
    Follow(Follower),
}

/// Lines waiting to be written, and the thread that writes them.
///
/// Writing a batch (inserts, pruning, the commit) takes milliseconds, which
/// the event loop does not wait for: batches go to a thread with its own
/// connection to the store, which also feeds the `logs -f` clients. A query
/// that must see every line so far calls [`LogPipe::sync`] first.
#[derive(Debug)]
pub struct LogPipe {
    pending: Vec<PendingLine>,
    /// Bytes of text in `pending`.
    pending_bytes: usize,
    since: Option<Instant>,
    flush_interval: Duration,
    echo: bool,
    writer: Option<LogWriter>,
}

#[derive(Debug)]
struct LogWriter {
    tx: std::sync::mpsc::Sender<WriterCommand>,
    thread: JoinHandle<()>,
}

/// A batch is handed to the writer at once when it reaches this many lines
/// or [`BATCH_BYTES`].
const BATCH_LINES: usize = 512;

/// Bytes of text that make a batch full: long lines must not wait for the
/// flush interval while their room in the output queue is used up.
const BATCH_BYTES: usize = 256 * 1024;

/// The WAL size past which the writer checkpoints itself: twice what the
/// WAL is cut back to when it starts over, so that the file grows past it
/// only when the sync thread's checkpoints do not catch up.
const WAL_CAP: u64 = 2 * crate::store::WAL_SIZE_LIMIT;

/// How often the writer removes lines older than the configured age.
const AGE_PRUNE_INTERVAL: Duration = Duration::from_secs(3600);

/// Lines per frame of a `logs` reply.
pub const LINES_PER_FRAME: usize = 1000;

impl LogPipe {
    /// A pipe that hands batches to a writer thread on `store` at least
    /// every `flush_interval`; `echo` also prints every line to stdout.
    pub fn new(flush_interval: Duration, echo: bool, store: Store) -> std::io::Result<LogPipe> {
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("log-writer".into())
            .spawn(move || write_batches(store, &rx))?;
        Ok(LogPipe {
            pending: Vec::new(),
            pending_bytes: 0,
            since: None,
            flush_interval,
            echo,
            writer: Some(LogWriter { tx, thread }),
        })
    }

    /// Takes one captured line.
    pub fn push(&mut self, record: LogRecord) {
        if self.echo {
            echo(&record.unit, &record.line);
        }
        self.queue(PendingLine {
            invocation: record.invocation_id.parse().ok(),
            unit: record.unit,
            stream: match record.stream {
                CaptureStream::Stdout => Stream::Stdout,
                CaptureStream::Stderr => Stream::Stderr,
            },
            at: record.timestamp,
            line: record.line,
            priority: record.priority,
            _credit: record.credit,
        });
    }

    /// Takes one line of the supervisor's about a unit.
    pub fn push_manager(&mut self, record: ManagerRecord) {
        if self.echo {
            echo("sundial", &record.text());
        }
        self.record_manager(record);
    }

    /// Stores a line of sundial's about a unit without echoing it: one the
    /// daemon has printed on stderr already (a unit file's problem).
    pub fn record_manager(&mut self, record: ManagerRecord) {
        let line = record.text();
        self.queue(PendingLine {
            invocation: record.invocation_id.parse().ok(),
            unit: record.unit,
            stream: Stream::Manager,
            at: record.timestamp,
            line,
            priority: record.priority,
            _credit: Credit::default(),
        });
    }

    fn queue(&mut self, line: PendingLine) {
        if self.pending.is_empty() {
            self.since = Some(Instant::now());
        }
        self.pending_bytes += line.line.len();
        self.pending.push(line);
    }

    /// Whether the batch is big enough to write now.
    pub fn is_full(&self) -> bool {
        self.pending.len() >= BATCH_LINES || self.pending_bytes >= BATCH_BYTES
    }

    /// When the pending batch must be written; `None` when nothing waits (so
    /// an idle daemon arms no timer).
    pub fn deadline(&self) -> Option<Instant> {
        self.since.map(|s| s + self.flush_interval)
    }

    /// Hands the pending lines to the writer, without waiting.
    pub fn flush(&mut self) {
        self.since = None;
        self.pending_bytes = 0;
        if !self.pending.is_empty() {
            let batch = std::mem::take(&mut self.pending);
            self.send(WriterCommand::Batch(batch));
        }
    }

    /// Flushes, and waits until every line so far is in the store.
    pub fn sync(&mut self) {
        let _ = self.barrier().recv();
    }

    /// Flushes, and waits until every line so far is in the store or
    /// `limit` has passed: the lines waiting for the writer are bounded by
    /// the output queue, but a slow disk should not hold the caller longer.
    pub fn sync_within(&mut self, limit: Duration) {
        let _ = self.barrier().recv_timeout(limit);
    }

    /// Flushes; the receiver hears once every line so far is in the store
    /// (or is closed when the writer is gone).
    pub fn barrier(&mut self) -> std::sync::mpsc::Receiver<()> {
        self.flush();
        let (ack_tx, ack_rx) = std::sync::mpsc::sync_channel(1);
        self.send(WriterCommand::Barrier(ack_tx));
        ack_rx
    }

    /// What registers a `logs -f` client from another thread (see
    /// [`Followers::follow`]).
    pub fn followers(&self) -> Followers {
        Followers(self.writer.as_ref().map(|w| w.tx.clone()))
    }

    /// Writes what is pending, ends every follow and the writer (at
    /// shutdown).
    pub fn close(&mut self) {
        self.flush();
        if let Some(writer) = self.writer.take() {
            drop(writer.tx);
            if writer.thread.join().is_err() {
                report("the log writer thread panicked");
            }
        }
    }

    /// Whether the writer took the command (it is gone only after `close`
    /// or a panic).
    fn send(&mut self, command: WriterCommand) -> bool {
        let sent = self
            .writer
            .as_ref()
            .is_some_and(|w| w.tx.send(command).is_ok());
        if !sent {
            report("captured output lost: the log writer is gone");
        }
        sent
    }
}

/// The way to the writer for `logs -f` clients, usable off the event loop.
#[derive(Debug, Clone)]
pub struct Followers(Option<std::sync::mpsc::Sender<WriterCommand>>);

impl Followers {
    /// Adds a `logs -f` client that has been sent everything up to `after`.
    pub fn follow(&self, mut query: LogQuery, after: i64, tx: mpsc::Sender<Response>) {
        query.after = Some(after);
        query.last = None;
        query.limit = Some(LINES_PER_FRAME);
        if let Some(writer) = &self.0 {
            let _ = writer.send(WriterCommand::Follow(Follower { query, tx }));
        }
    }
}

/// The writer thread: runs the commands until the pipe closes its end.
fn write_batches(mut store: Store, rx: &std::sync::mpsc::Receiver<WriterCommand>) {
    crate::store::lower_thread_priority();
    let mut followers = Vec::new();
    // The daemon pruned by age at start; a long-running one does it again
    // now and then, when it writes anyway (so an idle daemon stays asleep).
    let mut pruned = Instant::now();
    while let Ok(command) = rx.recv() {
        match command {
            WriterCommand::Batch(batch) => {
                if let Err(e) = append(&mut store, &batch) {
                    report(format!("cannot store captured output: {e}"));
                }
                if store.wal_size() > WAL_CAP {
                    if let Err(e) = store.checkpoint_logs() {
                        report(format!("cannot checkpoint the state database: {e}"));
                    }
                }
                if pruned.elapsed() >= AGE_PRUNE_INTERVAL {
                    pruned = Instant::now();
                    if let Err(e) = store.prune_logs(now_realtime()) {
                        report(format!("cannot prune old log lines: {e}"));
                    }
                }
                feed_followers(&store, &mut followers);
            }
            WriterCommand::Barrier(ack) => {
                let _ = ack.send(());
            }
            WriterCommand::Follow(follower) => {
                followers.push(follower);
                feed_followers(&store, &mut followers);
            }
        }
    }
}

/// Lines per transaction of the writer. The event loop's own commits wait
/// while the writer holds the lock; a short transaction (well under a
/// millisecond) keeps that wait short.
const LINES_PER_TRANSACTION: usize = 64;

fn append(store: &mut Store, batch: &[PendingLine]) -> Result<(), crate::store::StoreError> {
    for chunk in batch.chunks(LINES_PER_TRANSACTION) {
        let lines: Vec<NewLogLine<'_>> = chunk
            .iter()
            .map(|l| NewLogLine {
                unit: &l.unit,
                invocation: l.invocation,
                stream: l.stream,
                at: l.at,
                line: &l.line,
                priority: l.priority,
            })
            .collect();
        store.append_logs(&lines)?;
    }
    Ok(())
}

/// `--log-stdout`: one line with its source in front.
fn echo(source: &str, line: &str) {
    let mut out = std::io::stdout().lock();
    // A closed stdout must not stop the daemon.
    let _ = writeln!(out, "{source}: {line}");
}

/// Sends each follower the lines after its cursor; drops the ones that are
/// gone or do not keep up.
fn feed_followers(store: &Store, followers: &mut Vec<Follower>) {
    followers.retain_mut(|f| loop {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn record(n: usize) -> LogRecord {
        LogRecord {
            unit: "chatty.service".into(),
            invocation_id: String::new(),
            stream: CaptureStream::Stdout,
            timestamp: sundial_calendar::Timestamp::from_secs(1_700_000_000),
            line: format!("line {n}"),
            priority: crate::unit::SyslogLevel::Info,
            credit: Credit::default(),
        }
    }

    fn lines(store: &Store) -> Vec<String> {
        store
            .logs(&LogQuery::default())
            .unwrap()
            .into_iter()
            .map(|e| e.line)
            .collect()
    }

    #[test]
    fn sync_waits_for_every_line_and_followers_get_what_comes_after() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("state.db")).unwrap();
        store.sync_in_background().unwrap();
        let mut pipe = LogPipe::new(
            Duration::from_millis(200),
            false,
            store.another_connection().unwrap(),
        )
        .unwrap();
        for n in 0..1200 {
            pipe.push(record(n));
            if pipe.is_full() {
                pipe.flush();
            }
        }
        assert!(pipe.deadline().is_some());
        pipe.sync();
        assert!(pipe.deadline().is_none());
        let stored = lines(&store);
        assert_eq!(stored.len(), 1200);
        assert_eq!(stored[1199], "line 1199");

        let cursor = store
            .logs(&LogQuery::default())
            .unwrap()
            .last()
            .unwrap()
            .cursor;
        let (tx, mut rx) = mpsc::channel(16);
        pipe.followers().follow(LogQuery::default(), cursor, tx);
        pipe.push(record(1200));
        pipe.sync();
        match rx.try_recv() {
            Ok(Response::Logs { lines }) => {
                let text: Vec<&str> = lines.iter().map(|l| l.line.as_str()).collect();
                assert_eq!(text, ["line 1200"]);
            }
            other => panic!("follower got {other:?}"),
        }
        // Closing writes what is pending and ends the follow.
        pipe.push(record(1201));
        pipe.close();
        assert_eq!(lines(&store).len(), 1202);
        assert!(matches!(rx.try_recv(), Ok(Response::Logs { .. })));
        assert!(rx.try_recv().is_err());
    }
}
