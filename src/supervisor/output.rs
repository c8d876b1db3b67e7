//! StandardOutput=/StandardError=: where a command's output goes, and the
//! capture of `journal` output line by line into a [`LogSink`].
//!
//! All commands of one service run (ExecStartPre through ExecStopPost) write
//! into the same pair of pipes, so the lines of commands that run one after
//! the other arrive in the order they were written.
//!
//! A command's end of a capture pipe is opened for reading and writing
//! ([`open_both_ways`]): the service itself holds a reader of its pipe, so
//! that when the daemon is killed (and its read end with it) the service's
//! writes do not fail with `EPIPE` (nor raise SIGPIPE); they fill the
//! pipe's buffer (64 KiB) and then block, as writes to a full journal do,
//! until the next daemon, adopting the service, reads the pipe again
//! ([`Capture::adopt`], from what [`crate::supervisor::adopt`] finds under
//! `/proc/PID/fd`).

use std::fs::OpenOptions;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use sundial_calendar::Timestamp;
use tokio::sync::mpsc::UnboundedSender;

use super::input::{self, Input, Source};
use super::output_queue::{line_cost, Credit, OutputQueue};
use super::rate_limit::{RateLimit, RateLimiter, Verdict};
use super::spawn::{self, StdioSpec};
use crate::unit::service::{ServiceSection, StandardOutput};
use crate::unit::SyslogLevel;

/// Which stream a captured line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// One captured line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    pub unit: String,
    pub invocation_id: String,
    pub stream: Stream,
    /// When the line was read (realtime, µs).
    pub timestamp: Timestamp,
    /// The line without its newline (and without its `<N>` prefix, when
    /// that was read); invalid UTF-8 replaced.
    pub line: String,
    /// Its priority: the unit's `SyslogLevel=`, or what its `<N>` prefix
    /// says.
    pub priority: SyslogLevel,
    /// Its room in the output queue, given back when the line is dropped
    /// (once stored).
    pub credit: Credit,
}

/// What the pipe readers send the supervisor.
#[derive(Debug)]
pub enum Captured {
    /// Lines, in the order they were read.
    Lines(Vec<LogRecord>),
    /// Lines were dropped by the rate limit (journald's "Suppressed N
    /// messages from UNIT").
    Suppressed(ManagerRecord),
}

/// Where the pipe readers send what they read, and the queue whose room
/// they take: every line in the channel holds room, so the channel is as
/// bounded as the queue.
#[derive(Debug, Clone)]
pub struct OutputTx {
    pub tx: UnboundedSender<Captured>,
    pub queue: OutputQueue,
}

/// What the supervisor says about a unit (state changes, failures), the
/// lines systemd logs as `systemd[1]: foo.service: ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagerRecord {
    pub unit: String,
    pub invocation_id: String,
    pub timestamp: Timestamp,
    pub message: String,
    /// The message is a sentence that names the unit itself
    /// (`Started x.service.`); otherwise it is shown as `unit: message`.
    pub standalone: bool,
    /// Its priority, as systemd logs the same message.
    pub priority: SyslogLevel,
}

impl ManagerRecord {
    /// The line as the journal would show it.
    pub fn text(&self) -> String {
        if self.standalone {
            self.message.clone()
        } else {
            format!("{}: {}", self.unit, self.message)
        }
    }
}

/// Where captured output and manager messages go (the store, in the daemon).
pub trait LogSink {
    fn output(&mut self, record: LogRecord);
    fn manager(&mut self, record: ManagerRecord);
}

/// A sink that keeps everything in memory (without bound: for tests and
/// short-lived embedders); clones share the same records.
#[derive(Debug, Clone, Default)]
pub struct MemorySink {
    pub lines: Arc<Mutex<Vec<LogRecord>>>,
    pub messages: Arc<Mutex<Vec<ManagerRecord>>>,
}

impl MemorySink {
    /// The captured lines of `unit`, in arrival order.
    pub fn lines_of(&self, unit: &str) -> Vec<String> {
        let lines = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        lines
            .iter()
            .filter(|r| r.unit == unit)
            .map(|r| r.line.clone())
            .collect()
    }

    /// The manager messages about `unit`.
    pub fn messages_of(&self, unit: &str) -> Vec<String> {
        let messages = self.messages.lock().unwrap_or_else(|p| p.into_inner());
        messages
            .iter()
            .filter(|r| r.unit == unit)
            .map(|r| r.message.clone())
            .collect()
    }
}

impl LogSink for MemorySink {
    fn output(&mut self, mut record: LogRecord) {
        // Kept for good: its room in the output queue goes back now, or a
        // service that printed more than the room would block for ever.
        record.credit = Credit::default();
        self.lines
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(record);
    }

    fn manager(&mut self, record: ManagerRecord) {
        self.messages
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(record);
    }
}

/// The realtime clock as a Timestamp (the edge where the supervisor reads it).
pub fn now_realtime() -> Timestamp {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::from_usec(i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// journald's default line limit: longer lines are split.
const LINE_MAX: usize = 48 * 1024;

/// The capture pipes of one service run; the write ends are kept so that each
/// command gets a copy, and dropped when the run ends.
#[derive(Debug, Default)]
pub struct Capture {
    stdout: Option<OwnedFd>,
    stderr: Option<OwnedFd>,
    /// The read ends, owned by their reader tasks: a pipe is closed as soon
    /// as its task has read to the end (a service's last pipes must not stay
    /// open until its next run: with a thousand services that is a thousand
    /// descriptors, which every spawn copies).
    readers: Vec<Weak<PipeReader>>,
    /// The unit's rate limit state, shared by its pipes and kept across
    /// its runs (journald keys it by unit).
    limiter: Arc<Mutex<RateLimiter>>,
}

/// A capture pipe's read end handed to the daemon's next program
/// (`daemon-reexec`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PipeHandover {
    /// The descriptor, open across the exec.
    pub fd: i32,
    /// stdout (else stderr).
    pub stdout: bool,
    /// The unit whose lines it carries.
    pub unit: String,
    /// Its run.
    pub invocation_id: String,
    /// `SyslogLevel=` as a number.
    pub level: u8,
    /// `SyslogLevelPrefix=`.
    pub level_prefix: bool,
    /// What was read and not sent yet: whole lines waiting for room in
    /// the queue, then the partial line.
    pub pending: Vec<u8>,
    /// `LogRateLimitIntervalSec=` in effect, µs (absent from an older
    /// daemon: the manager's default).
    #[serde(default)]
    pub rate_limit_usec: Option<u64>,
    /// `LogRateLimitBurst=` in effect.
    #[serde(default)]
    pub rate_limit_burst: Option<u32>,
}

/// What identifies captured lines.
#[derive(Debug, Clone)]
pub struct CaptureTag {
    pub unit: String,
    pub invocation_id: String,
    /// `SyslogLevel=`: the priority of a line without a prefix.
    pub level: SyslogLevel,
    /// `SyslogLevelPrefix=`: read a `<N>` at the start of a line.
    pub level_prefix: bool,
    /// `LogRateLimitIntervalSec=` and `LogRateLimitBurst=` in effect.
    pub rate_limit: RateLimit,
}

impl CaptureTag {
    /// The tag of the lines of `unit`'s run `invocation_id`, from its
    /// service settings; `default_limit`: the manager's rate limit.
    pub fn of(
        unit: &str,
        invocation_id: &str,
        service: &ServiceSection,
        default_limit: RateLimit,
    ) -> CaptureTag {
        CaptureTag {
            unit: unit.to_owned(),
            invocation_id: invocation_id.to_owned(),
            level: service.process.syslog_level,
            level_prefix: service.process.syslog_level_prefix,
            rate_limit: default_limit.for_unit(
                service
                    .process
                    .log_rate_limit_interval
                    .map(|t| std::time::Duration::from_micros(t.as_usec())),
                service.process.log_rate_limit_burst,
            ),
        }
    }
}

impl Capture {
    /// The descriptor for `stream`: the shared pipe, created (with its reader
    /// task) on first use.
    fn pipe_for(&mut self, stream: Stream, tag: &CaptureTag, tx: &OutputTx) -> io::Result<OwnedFd> {
        let slot = match stream {
            Stream::Stdout => &mut self.stdout,
            Stream::Stderr => &mut self.stderr,
        };
        if slot.is_none() {
            let (read, write) = spawn::pipe()?;
            // Without /proc the plain write end: the service works as ever,
            // and would die of SIGPIPE after a crash of the daemon.
            let write = open_both_ways(&write).unwrap_or(write);
            let reader = start_reader(
                read,
                tag.clone(),
                stream,
                tx.clone(),
                Arc::clone(&self.limiter),
            )?;
            self.readers.retain(|r| r.strong_count() > 0);
            self.readers.push(Arc::downgrade(&reader));
            *slot = Some(write);
        }
        slot.as_ref()
            .map(OwnedFd::try_clone)
            .unwrap_or_else(|| Err(io::ErrorKind::Other.into()))
    }

    /// Reads what the service's processes have written so far, now rather
    /// than when the reader tasks next run: a process that exited has written
    /// all it will, and its lines belong before what the manager says about
    /// its end.
    ///
    /// A pipe that goes on being written is read a bounded amount here, and
    /// lines with no room in the queue wait for the reader task.
    pub fn read_now(&self) {
        for reader in self.readers.iter().filter_map(Weak::upgrade) {
            reader.read_some();
        }
    }

    /// Reads what the pipes hold now and describes each read end still
    /// open, for a re-executed daemon to go on reading: the descriptors stay
    /// open (the caller clears their close-on-exec flag), the partial line
    /// read so far goes along.
    pub fn hand_over(&self) -> Vec<PipeHandover> {
        use std::os::fd::AsRawFd;
        let mut pipes = Vec::new();
        for reader in self.readers.iter().filter_map(Weak::upgrade) {
            reader.read_some();
            let state = reader.lock();
            if state.done {
                continue;
            }
            pipes.push(PipeHandover {
                fd: reader.pipe.as_raw_fd(),
                stdout: reader.stream == Stream::Stdout,
                unit: reader.tag.unit.clone(),
                invocation_id: reader.tag.invocation_id.clone(),
                level: reader.tag.level.number(),
                level_prefix: reader.tag.level_prefix,
                pending: state.pending.clone(),
                rate_limit_usec: Some(
                    u64::try_from(reader.tag.rate_limit.interval.as_micros()).unwrap_or(u64::MAX),
                ),
                rate_limit_burst: Some(reader.tag.rate_limit.burst),
            });
        }
        pipes
    }

    /// The capture of a run whose pipes the daemon's previous program read:
    /// readers on the inherited descriptors, each with its partial line.
    /// The write ends are gone; the next command of the run gets new pipes.
    pub fn take_over(
        pipes: &[PipeHandover],
        tx: &OutputTx,
        default_limit: RateLimit,
    ) -> io::Result<Capture> {
        use std::os::fd::FromRawFd;
        let mut capture = Capture::default();
        for p in pipes {
            // SAFETY: the descriptor was inherited across exec for exactly
            // this pipe, and nothing else in this process owns it.
            let fd = unsafe { OwnedFd::from_raw_fd(p.fd) };
            set_cloexec(&fd, true)?;
            let tag = CaptureTag {
                unit: p.unit.clone(),
                invocation_id: p.invocation_id.clone(),
                level: SyslogLevel::from_number(p.level).unwrap_or_default(),
                level_prefix: p.level_prefix,
                rate_limit: default_limit.for_unit(
                    p.rate_limit_usec.map(std::time::Duration::from_micros),
                    p.rate_limit_burst,
                ),
            };
            let stream = if p.stdout {
                Stream::Stdout
            } else {
                Stream::Stderr
            };
            let reader = start_reader(fd, tag, stream, tx.clone(), Arc::clone(&capture.limiter))?;
            reader.lock().pending.clone_from(&p.pending);
            capture.readers.push(Arc::downgrade(&reader));
        }
        Ok(capture)
    }

    /// The capture of a run adopted after the daemon was killed: readers
    /// on the pipes its main process writes to, opened anew through
    /// `/proc`, tagged as the run's own lines. What the killed daemon had
    /// read and not stored yet is lost with it; what the service wrote
    /// since waits in the pipe (up to its buffer) and is read first. The
    /// write ends are the service's alone: a reader ends when the service's
    /// last process closes its copy.
    pub fn adopt(
        pipes: Vec<(OwnedFd, Stream)>,
        tag: &CaptureTag,
        tx: &OutputTx,
    ) -> io::Result<Capture> {
        let mut capture = Capture::default();
        for (fd, stream) in pipes {
            let reader = start_reader(
                fd,
                tag.clone(),
                stream,
                tx.clone(),
                Arc::clone(&capture.limiter),
            )?;
            capture.readers.push(Arc::downgrade(&reader));
        }
        Ok(capture)
    }

    /// Closes the write ends: readers end once the last child closes its copy.
    pub fn close(&mut self) {
        self.stdout = None;
        self.stderr = None;
    }

    /// Builds stdout and stderr for one command from the unit's settings.
    /// `stdout = None` is the manager default (journal); `stderr = None` is
    /// inherit, i.e. the same as stdout. `input` is the command's stdin,
    /// which `inherit`, `tty` and `file:` on the same path share; `tty` is
    /// the unit's terminal, if it has one (terminal input or TTYPath=).
    pub fn stdio(
        &mut self,
        stdout: Option<&StandardOutput>,
        stderr: Option<&StandardOutput>,
        input: &Input,
        tty: Option<&Path>,
        tag: &CaptureTag,
        tx: &OutputTx,
    ) -> io::Result<(StdioSpec, StdioSpec)> {
        let out = self.target(
            stdout.unwrap_or(&StandardOutput::Journal),
            Stream::Stdout,
            input,
            tty,
            tag,
            tx,
        )?;
        let err = match stderr.unwrap_or(&StandardOutput::Inherit) {
            StandardOutput::Inherit => copy(&out)?,
            other => self.target(other, Stream::Stderr, input, tty, tag, tx)?,
        };
        Ok((out, err))
    }

    fn target(
        &mut self,
        spec: &StandardOutput,
        stream: Stream,
        input: &Input,
        tty: Option<&Path>,
        tag: &CaptureTag,
        tx: &OutputTx,
    ) -> io::Result<StdioSpec> {
        Ok(match spec {
            StandardOutput::Null => StdioSpec::Null,
            // systemd: stdout duplicates stdin when that is a stream
            // (terminal or file); the loader keeps inherit only for terminal
            // input. A command denied the terminal still writes to it.
            StandardOutput::Inherit => match &input.source {
                Source::Terminal(_) | Source::File(_) | Source::Socket => copy(&input.spec)?,
                Source::TerminalWithheld(p) => StdioSpec::Fd(open_terminal(p)?),
                Source::Null | Source::Data => StdioSpec::Null,
            },
            StandardOutput::Tty => match (&input.source, tty) {
                (Source::Terminal(_), _) => copy(&input.spec)?,
                (_, Some(p)) => StdioSpec::Fd(open_terminal(p)?),
                // No terminal configured: the daemon's own stream.
                (_, None) => StdioSpec::Inherit,
            },
            // systemd opens a file shared with stdin once, read-write.
            StandardOutput::File(p) if input.source == Source::File(p.clone()) => {
                copy(&input.spec)?
            }
            StandardOutput::File(p) => StdioSpec::Fd(open_output(p, OpenMode::Start)?),
            StandardOutput::Append(p) => StdioSpec::Fd(open_output(p, OpenMode::Append)?),
            StandardOutput::Truncate(p) => StdioSpec::Fd(open_output(p, OpenMode::Truncate)?),
            StandardOutput::Socket if input.source == Source::Socket => copy(&input.spec)?,
            // journal, kmsg, their +console forms, socket and fd: captured.
            _ => StdioSpec::Fd(self.pipe_for(stream, tag, tx)?),
        })
    }
}

/// The pipe whose write end is `write`, opened again for reading and
/// writing: on Linux, opening `/proc/self/fd/N` of a pipe opens the pipe
/// itself (not a copy of the descriptor), and a read-write open of a pipe
/// never waits. A process holding it is a reader of its own pipe, so its
/// writes never fail with `EPIPE` (see the module's text); the pipe still
/// reaches end of file once every such descriptor is closed. Its access
/// mode, read-write, is also how the next daemon knows the pipe it finds
/// on an adopted process's stdout as one a daemon made.
pub fn open_both_ways(write: &OwnedFd) -> io::Result<OwnedFd> {
    use std::os::fd::AsRawFd;
    let path = format!("/proc/self/fd/{}", write.as_raw_fd());
    // std opens with O_CLOEXEC.
    let file = OpenOptions::new().read(true).write(true).open(path)?;
    Ok(OwnedFd::from(file))
}

/// Sets or clears a descriptor's close-on-exec flag: cleared on the
/// descriptors `daemon-reexec` hands to the next program, set again there so
/// that the services it spawns do not inherit them.
pub fn set_cloexec(fd: &impl std::os::fd::AsFd, on: bool) -> io::Result<()> {
    use nix::fcntl::{fcntl, FcntlArg, FdFlag};
    let flags = if on {
        FdFlag::FD_CLOEXEC
    } else {
        FdFlag::empty()
    };
    fcntl(fd, FcntlArg::F_SETFD(flags)).map_err(io::Error::from)?;
    Ok(())
}

/// The same target once more (a copy of the descriptor).
fn copy(spec: &StdioSpec) -> io::Result<StdioSpec> {
    Ok(match spec {
        StdioSpec::Fd(fd) => StdioSpec::Fd(fd.try_clone()?),
        StdioSpec::Null => StdioSpec::Null,
        StdioSpec::Inherit => StdioSpec::Inherit,
    })
}

fn open_terminal(path: &Path) -> io::Result<OwnedFd> {
    input::open_terminal(path, false).map_err(|e| io::Error::new(e.error.kind(), e))
}

#[derive(Debug, Clone, Copy)]
enum OpenMode {
    Start,
    Append,
    Truncate,
}

fn open_output(path: &Path, mode: OpenMode) -> io::Result<OwnedFd> {
    let mut o = OpenOptions::new();
    o.write(true).create(true).mode(0o644);
    match mode {
        OpenMode::Start => {}
        OpenMode::Append => {
            o.append(true);
        }
        OpenMode::Truncate => {
            o.truncate(true);
        }
    }
    input::open_without_waiting(&mut o, 0, path)
}

/// How much one turn of a reader reads: a flooding pipe is read a little at
/// a time, with the daemon's other work (timers, clients) in between.
const READ_CHUNK: usize = 16 * 1024;

/// Turns [`Capture::read_now`] takes at most: the pipe's buffer (64 KiB by
/// default) and then some.
const READ_NOW_TURNS: usize = 8;

/// One capture pipe's read end and what was read and not sent yet, shared
/// by its reader task and [`Capture::read_now`] (both on the supervisor's
/// thread; the lock is never contended).
#[derive(Debug)]
struct PipeReader {
    pipe: tokio::net::unix::pipe::Receiver,
    state: Mutex<ReaderState>,
    tag: CaptureTag,
    stream: Stream,
    out: OutputTx,
    limiter: Arc<Mutex<RateLimiter>>,
}

#[derive(Debug, Default)]
struct ReaderState {
    /// Read and not sent: whole lines waiting for room, then a partial line.
    pending: Vec<u8>,
    /// The first line of `pending` was judged by the rate limit already
    /// and waits for room.
    judged: Option<Verdict>,
    /// End of file was read.
    eof: bool,
    /// Everything was sent: the reader is finished.
    done: bool,
}

/// What a reader does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Turn {
    /// Read on (after the other tasks had their turn).
    Again,
    /// The pipe is empty: wait until it is readable.
    Idle,
    /// The next line, costing this much, has no room: wait for room, and do
    /// not read meanwhile, so that the writer blocks on a full pipe.
    Full(usize),
    /// End of file and every line sent.
    Done,
}

impl PipeReader {
    fn lock(&self) -> MutexGuard<'_, ReaderState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sends the lines waiting, then reads at most [`READ_CHUNK`] bytes
    /// and sends their lines, as far as the queue has room.
    fn turn(&self) -> Turn {
        let mut state = self.lock();
        if state.done {
            return Turn::Done;
        }
        if let Err(cost) = self.send_lines(&mut state) {
            return Turn::Full(cost);
        }
        if !state.eof {
            let start = state.pending.len();
            state.pending.resize(start + READ_CHUNK, 0);
            let read = self.pipe.try_read(&mut state.pending[start..]);
            let n = match read {
                Ok(n) => n,
                Err(e) => {
                    state.pending.truncate(start);
                    match e.kind() {
                        io::ErrorKind::WouldBlock => return Turn::Idle,
                        io::ErrorKind::Interrupted => return Turn::Again,
                        // Nothing more can be read.
                        _ => 0,
                    }
                }
            };
            state.pending.truncate(start + n);
            state.eof = n == 0;
            if let Err(cost) = self.send_lines(&mut state) {
                return Turn::Full(cost);
            }
        }
        if state.eof {
            // At end of file every byte was part of a line: all sent.
            let suppressed = lock(&self.limiter).take_suppressed();
            if suppressed > 0 {
                self.send_suppressed(suppressed, now_realtime());
            }
            state.done = true;
            return Turn::Done;
        }
        Turn::Again
    }

    /// Turns until the pipe is empty, its lines wait for room, or a bounded
    /// amount was read.
    fn read_some(&self) {
        for _ in 0..READ_NOW_TURNS {
            if self.turn() != Turn::Again {
                break;
            }
        }
    }

    /// Sends the whole lines of `pending` (every byte at end of file) that
    /// the rate limit keeps and the queue has room for; `Err` with the cost
    /// of the first line that has none.
    fn send_lines(&self, state: &mut ReaderState) -> Result<(), usize> {
        let ReaderState {
            pending,
            judged,
            eof,
            ..
        } = state;
        // The clocks are read once per turn: the lines of one read came
        // together.
        let now = Instant::now();
        let at = now_realtime();
        let unit = &self.tag.unit;
        let queue = &self.out.queue;
        let mut credit: Option<Credit> = None;
        let mut batch = Vec::new();
        let mut start = 0;
        let mut blocked = None;
        let mut limiter = lock(&self.limiter);
        while let Some((end, next)) = next_line(pending, start, *eof) {
            let text = String::from_utf8_lossy(&pending[start..end]);
            let (priority, line) = match SyslogLevel::strip_prefix(&text) {
                Some((level, rest)) if self.tag.level_prefix => (level, rest),
                _ => (self.tag.level, &*text),
            };
            let verdict = judged
                .take()
                .unwrap_or_else(|| limiter.test(self.tag.rate_limit, priority, now));
            if verdict == Verdict::Drop {
                start = next;
                continue;
            }
            let cost = line_cost(line.len(), unit.len());
            let credit = credit.get_or_insert_with(|| queue.credit(unit));
            if !queue.try_take(credit, unit, cost) {
                *judged = Some(verdict);
                blocked = Some(cost);
                break;
            }
            if let Verdict::KeepAfterSuppressed(n) = verdict {
                self.send(std::mem::take(&mut batch));
                self.send_suppressed(n, at);
            }
            batch.push(LogRecord {
                unit: unit.clone(),
                invocation_id: self.tag.invocation_id.clone(),
                stream: self.stream,
                timestamp: at,
                line: line.to_owned(),
                priority,
                credit: credit.clone(),
            });
            start = next;
        }
        drop(limiter);
        pending.drain(..start);
        self.send(batch);
        blocked.map_or(Ok(()), Err)
    }

    fn send(&self, lines: Vec<LogRecord>) {
        if !lines.is_empty() {
            let _ = self.out.tx.send(Captured::Lines(lines));
        }
    }

    /// journald's note, as its own driver message (priority info), about
    /// the unit: `journalctl -u` shows it too.
    fn send_suppressed(&self, n: u64, at: Timestamp) {
        let unit = &self.tag.unit;
        let _ = self.out.tx.send(Captured::Suppressed(ManagerRecord {
            unit: unit.clone(),
            invocation_id: self.tag.invocation_id.clone(),
            timestamp: at,
            message: format!("Suppressed {n} messages from {unit}"),
            standalone: true,
            priority: SyslogLevel::Info,
        }));
    }
}

fn lock(limiter: &Mutex<RateLimiter>) -> MutexGuard<'_, RateLimiter> {
    limiter.lock().unwrap_or_else(|p| p.into_inner())
}

fn start_reader(
    fd: OwnedFd,
    tag: CaptureTag,
    stream: Stream,
    out: OutputTx,
    limiter: Arc<Mutex<RateLimiter>>,
) -> io::Result<Arc<PipeReader>> {
    let reader = Arc::new(PipeReader {
        pipe: tokio::net::unix::pipe::Receiver::from_owned_fd(fd)?,
        state: Mutex::new(ReaderState::default()),
        tag,
        stream,
        out,
        limiter,
    });
    let task = Arc::clone(&reader);
    tokio::spawn(async move {
        loop {
            match task.turn() {
                Turn::Again => tokio::task::yield_now().await,
                Turn::Idle => {
                    if task.pipe.readable().await.is_err() {
                        break;
                    }
                }
                Turn::Full(cost) => task.out.queue.room(&task.tag.unit, cost).await,
                Turn::Done => break,
            }
        }
    });
    Ok(reader)
}

/// The next line of `pending` from `start`: its end and where the one
/// after begins. A line ends at a newline, after [`LINE_MAX`] bytes
/// (journald splits longer ones), or, at end of file, at the end.
fn next_line(pending: &[u8], start: usize, at_eof: bool) -> Option<(usize, usize)> {
    let rest = pending.get(start..).filter(|r| !r.is_empty())?;
    let window = &rest[..rest.len().min(LINE_MAX + 1)];
    if let Some(nl) = window.iter().position(|b| *b == b'\n') {
        return Some((start + nl, start + nl + 1));
    }
    if rest.len() >= LINE_MAX {
        return Some((start + LINE_MAX, start + LINE_MAX));
    }
    at_eof.then_some((pending.len(), pending.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::time::Duration;
    use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

    fn tag(limit: RateLimit) -> CaptureTag {
        CaptureTag {
            unit: "a.service".into(),
            invocation_id: "0".repeat(32),
            level: SyslogLevel::Info,
            level_prefix: true,
            rate_limit: limit,
        }
    }

    const NO_LIMIT: RateLimit = RateLimit {
        interval: Duration::ZERO,
        burst: 0,
    };

    /// A reader on a new pipe without its task (the test turns it), the
    /// pipe's write end and what the reader sends.
    fn reader(
        tag: CaptureTag,
        queue: OutputQueue,
    ) -> (PipeReader, std::fs::File, UnboundedReceiver<Captured>) {
        let (read, write) = spawn::pipe().expect("pipe");
        let (tx, rx) = unbounded_channel();
        let reader = PipeReader {
            pipe: tokio::net::unix::pipe::Receiver::from_owned_fd(read).expect("nonblocking"),
            state: Mutex::new(ReaderState::default()),
            tag,
            stream: Stream::Stdout,
            out: OutputTx { tx, queue },
            limiter: Arc::default(),
        };
        (reader, std::fs::File::from(write), rx)
    }

    /// Turns until the reader waits or is done; an empty pipe is given a
    /// moment (the reader knows a pipe is readable only once it asked).
    async fn turns(reader: &PipeReader) -> Turn {
        loop {
            match reader.turn() {
                Turn::Again => continue,
                Turn::Idle => {
                    let wait = Duration::from_millis(100);
                    match tokio::time::timeout(wait, reader.pipe.readable()).await {
                        Ok(Ok(())) => continue,
                        _ => return Turn::Idle,
                    }
                }
                other => return other,
            }
        }
    }

    fn received(rx: &mut UnboundedReceiver<Captured>) -> Vec<Captured> {
        let mut got = Vec::new();
        while let Ok(c) = rx.try_recv() {
            got.push(c);
        }
        got
    }

    fn texts(got: &[Captured]) -> Vec<String> {
        got.iter()
            .flat_map(|c| match c {
                Captured::Lines(lines) => lines.iter().map(|l| l.line.clone()).collect(),
                Captured::Suppressed(m) => vec![format!("[{}]", m.message)],
            })
            .collect()
    }

    #[tokio::test]
    async fn splits_lines_and_keeps_partial_ones() {
        let (r, mut w, mut rx) = reader(tag(NO_LIMIT), OutputQueue::default());
        w.write_all(b"one\ntwo\nthr").unwrap();
        assert_eq!(turns(&r).await, Turn::Idle);
        assert_eq!(texts(&received(&mut rx)), ["one", "two"]);
        assert_eq!(r.lock().pending, b"thr");
        w.write_all(b"ee").unwrap();
        drop(w);
        assert_eq!(turns(&r).await, Turn::Done);
        assert_eq!(texts(&received(&mut rx)), ["three"]);
    }

    #[test]
    fn long_lines_are_split_as_journald_does() {
        let mut pending = vec![b'x'; LINE_MAX + 10];
        pending.push(b'\n');
        assert_eq!(next_line(&pending, 0, false), Some((LINE_MAX, LINE_MAX)));
        assert_eq!(
            next_line(&pending, LINE_MAX, false),
            Some((LINE_MAX + 10, LINE_MAX + 11))
        );
        assert_eq!(next_line(&pending, LINE_MAX + 11, true), None);
        assert_eq!(next_line(b"abc", 0, false), None);
        assert_eq!(next_line(b"abc", 0, true), Some((3, 3)));
    }

    #[tokio::test]
    async fn a_level_prefix_sets_the_priority_unless_turned_off() {
        let (r, mut w, mut rx) = reader(
            CaptureTag {
                level: SyslogLevel::Notice,
                ..tag(NO_LIMIT)
            },
            OutputQueue::default(),
        );
        w.write_all(b"<3>bad\nplain\n<9>odd\n").unwrap();
        drop(w);
        assert_eq!(turns(&r).await, Turn::Done);
        let (r2, mut w2, mut rx2) = reader(
            CaptureTag {
                level: SyslogLevel::Notice,
                level_prefix: false,
                ..tag(NO_LIMIT)
            },
            OutputQueue::default(),
        );
        w2.write_all(b"<3>kept\n").unwrap();
        drop(w2);
        assert_eq!(turns(&r2).await, Turn::Done);
        let mut got = received(&mut rx);
        got.extend(received(&mut rx2));
        let got: Vec<(SyslogLevel, String)> = got
            .into_iter()
            .flat_map(|c| match c {
                Captured::Lines(l) => l.into_iter().map(|r| (r.priority, r.line)).collect(),
                Captured::Suppressed(_) => Vec::new(),
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (SyslogLevel::Err, "bad".to_owned()),
                (SyslogLevel::Notice, "plain".to_owned()),
                (SyslogLevel::Notice, "<9>odd".to_owned()),
                (SyslogLevel::Notice, "<3>kept".to_owned()),
            ]
        );
    }

    #[tokio::test]
    async fn a_full_queue_stops_the_reading_until_lines_are_stored() {
        let one = line_cost(4, "a.service".len());
        // Room for three lines of "nnnn".
        let queue = OutputQueue::new(3 * one, 100 * one);
        let (r, mut w, mut rx) = reader(tag(NO_LIMIT), queue.clone());
        for n in 0..10 {
            writeln!(w, "{n:04}").unwrap();
        }
        assert_eq!(turns(&r).await, Turn::Full(one));
        let first = received(&mut rx);
        assert_eq!(texts(&first), ["0000", "0001", "0002"]);
        assert_eq!(queue.queued("a.service"), 3 * one);
        // While full, the pipe is not read: what waits is what was read.
        let waiting = r.lock().pending.len();
        w.write_all(b"more\n").unwrap();
        assert_eq!(r.turn(), Turn::Full(one));
        assert_eq!(r.lock().pending.len(), waiting);
        // Stored (dropped): room again, and the lines come in order.
        drop(first);
        assert_eq!(queue.queued("a.service"), 0);
        assert_eq!(turns(&r).await, Turn::Full(one));
        let second = received(&mut rx);
        assert_eq!(texts(&second), ["0003", "0004", "0005"]);
        drop(second);
        drop(w);
        let mut all = Vec::new();
        loop {
            let turn = turns(&r).await;
            all.extend(texts(&received(&mut rx)));
            if turn == Turn::Done {
                break;
            }
        }
        assert_eq!(all, ["0006", "0007", "0008", "0009", "more"]);
        assert_eq!(queue.total(), 0);
    }

    #[tokio::test]
    async fn the_rate_limit_drops_past_the_burst_and_says_how_many() {
        let limit = RateLimit {
            interval: Duration::from_secs(3600),
            burst: 3,
        };
        let (r, mut w, mut rx) = reader(tag(limit), OutputQueue::default());
        for n in 0..10 {
            writeln!(w, "{n}").unwrap();
        }
        drop(w);
        assert_eq!(turns(&r).await, Turn::Done);
        assert_eq!(
            texts(&received(&mut rx)),
            ["0", "1", "2", "[Suppressed 7 messages from a.service]"]
        );
    }

    #[tokio::test]
    async fn captures_a_child_line_by_line() {
        let (tx, mut rx) = unbounded_channel();
        let out = OutputTx {
            tx,
            queue: OutputQueue::default(),
        };
        let mut cap = Capture::default();
        let stdin = Input {
            spec: StdioSpec::Null,
            source: Source::Null,
            controlling_terminal: None,
        };
        let (out, err) = cap
            .stdio(None, None, &stdin, None, &tag(RateLimit::default()), &out)
            .expect("pipes");
        let mut req = spawn::SpawnRequest::new(
            "/bin/sh",
            vec![
                "sh".into(),
                "-c".into(),
                "echo hello; echo oops >&2; printf tail".into(),
            ],
        );
        req.stdout = out;
        req.stderr = err;
        let pid = spawn::spawn(req).expect("sh runs");
        cap.close();
        let mut got = Vec::new();
        while let Some(c) = rx.recv().await {
            if let Captured::Lines(lines) = c {
                got.extend(lines.into_iter().map(|r| (r.stream, r.line)));
            }
            if got.len() == 3 {
                break;
            }
        }
        nix::sys::wait::waitpid(pid, None).expect("reap");
        // stderr inherits stdout's pipe by default, so all three come in order.
        assert_eq!(
            got,
            vec![
                (Stream::Stdout, "hello".to_string()),
                (Stream::Stdout, "oops".to_string()),
                (Stream::Stdout, "tail".to_string())
            ]
        );
    }
}
