//! StandardOutput=/StandardError=: where a command's output goes, and the
//! capture of `journal` output line by line into a [`LogSink`].
//!
//! All commands of one service run (ExecStartPre through ExecStopPost) write
//! into the same pair of pipes, so the lines of commands that run one after
//! the other arrive in the order they were written.

use std::fs::OpenOptions;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::{Arc, Mutex, Weak};
use std::time::{SystemTime, UNIX_EPOCH};

use sundial_calendar::Timestamp;
use tokio::sync::mpsc::UnboundedSender;

use super::input::{self, Input, Source};
use super::spawn::{self, StdioSpec};
use crate::unit::service::StandardOutput;
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

/// A sink that keeps everything in memory; clones share the same records.
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
    fn output(&mut self, record: LogRecord) {
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
    /// The partial line read so far.
    pub pending: Vec<u8>,
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
}

impl Capture {
    /// The descriptor for `stream`: the shared pipe, created (with its reader
    /// task) on first use.
    fn pipe_for(
        &mut self,
        stream: Stream,
        tag: &CaptureTag,
        tx: &UnboundedSender<LogRecord>,
    ) -> io::Result<OwnedFd> {
        let slot = match stream {
            Stream::Stdout => &mut self.stdout,
            Stream::Stderr => &mut self.stderr,
        };
        if slot.is_none() {
            let (read, write) = spawn::pipe()?;
            let reader = start_reader(read, tag.clone(), stream, tx.clone())?;
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
    pub fn read_now(&self) {
        for reader in self.readers.iter().filter_map(Weak::upgrade) {
            reader.read_available();
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
            reader.read_available();
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
            });
        }
        pipes
    }

    /// The capture of a run whose pipes the daemon's previous program read:
    /// readers on the inherited descriptors, each with its partial line.
    /// The write ends are gone; the next command of the run gets new pipes.
    pub fn take_over(
        pipes: &[PipeHandover],
        tx: &UnboundedSender<LogRecord>,
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
            };
            let stream = if p.stdout {
                Stream::Stdout
            } else {
                Stream::Stderr
            };
            let reader = start_reader(fd, tag, stream, tx.clone())?;
            reader.lock().pending.clone_from(&p.pending);
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
        tx: &UnboundedSender<LogRecord>,
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
        tx: &UnboundedSender<LogRecord>,
    ) -> io::Result<StdioSpec> {
        Ok(match spec {
            StandardOutput::Null => StdioSpec::Null,
            // systemd: stdout duplicates stdin when that is a stream
            // (terminal or file); the loader keeps inherit only for terminal
            // input. A command denied the terminal still writes to it.
            StandardOutput::Inherit => match &input.source {
                Source::Terminal(_) | Source::File(_) => copy(&input.spec)?,
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
            // journal, kmsg, their +console forms, socket and fd: captured.
            _ => StdioSpec::Fd(self.pipe_for(stream, tag, tx)?),
        })
    }
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

/// Reads `fd` until end of file and sends every line to `tx`.
/// One capture pipe's read end and the partial line read so far, shared by
/// its reader task and [`Capture::read_now`] (both on the supervisor's
/// thread; the lock is never contended).
#[derive(Debug)]
struct PipeReader {
    pipe: tokio::net::unix::pipe::Receiver,
    state: Mutex<ReaderState>,
    tag: CaptureTag,
    stream: Stream,
    tx: UnboundedSender<LogRecord>,
}

#[derive(Debug, Default)]
struct ReaderState {
    pending: Vec<u8>,
    done: bool,
}

impl PipeReader {
    fn lock(&self) -> std::sync::MutexGuard<'_, ReaderState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn is_done(&self) -> bool {
        self.lock().done
    }

    /// Reads without waiting until the pipe is empty; sends the complete
    /// lines (and the rest at end of file).
    fn read_available(&self) {
        let mut state = self.lock();
        let mut buf = [0u8; 16 * 1024];
        while !state.done {
            match self.pipe.try_read(&mut buf) {
                Ok(0) => state.done = true,
                Ok(n) => state.pending.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => state.done = true,
            }
        }
        let at_eof = state.done;
        emit_lines(&mut state.pending, &self.tag, self.stream, &self.tx, at_eof);
    }
}

fn start_reader(
    fd: OwnedFd,
    tag: CaptureTag,
    stream: Stream,
    tx: UnboundedSender<LogRecord>,
) -> io::Result<Arc<PipeReader>> {
    let reader = Arc::new(PipeReader {
        pipe: tokio::net::unix::pipe::Receiver::from_owned_fd(fd)?,
        state: Mutex::new(ReaderState::default()),
        tag,
        stream,
        tx,
    });
    let task = Arc::clone(&reader);
    tokio::spawn(async move {
        while !task.is_done() {
            if task.pipe.readable().await.is_err() {
                break;
            }
            task.read_available();
        }
    });
    Ok(reader)
}

/// Sends the complete lines in `pending` (and the rest, at end of file).
fn emit_lines(
    pending: &mut Vec<u8>,
    tag: &CaptureTag,
    stream: Stream,
    tx: &UnboundedSender<LogRecord>,
    at_eof: bool,
) {
    let mut start = 0;
    while let Some(nl) = pending[start..].iter().position(|b| *b == b'\n') {
        send_line(&pending[start..start + nl], tag, stream, tx);
        start += nl + 1;
    }
    while pending.len() - start >= LINE_MAX {
        send_line(&pending[start..start + LINE_MAX], tag, stream, tx);
        start += LINE_MAX;
    }
    if at_eof && start < pending.len() {
        send_line(&pending[start..], tag, stream, tx);
        start = pending.len();
    }
    pending.drain(..start);
}

fn send_line(bytes: &[u8], tag: &CaptureTag, stream: Stream, tx: &UnboundedSender<LogRecord>) {
    let text = String::from_utf8_lossy(bytes);
    let (priority, line) = match SyslogLevel::strip_prefix(&text) {
        Some((level, rest)) if tag.level_prefix => (level, rest),
        _ => (tag.level, &*text),
    };
    let _ = tx.send(LogRecord {
        unit: tag.unit.clone(),
        invocation_id: tag.invocation_id.clone(),
        stream,
        timestamp: now_realtime(),
        line: line.to_owned(),
        priority,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_lines_and_keeps_partial_ones() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let tag = CaptureTag {
            unit: "a.service".into(),
            invocation_id: "0".repeat(32),
            level: SyslogLevel::Info,
            level_prefix: true,
        };
        let mut pending = b"one\ntwo\nthr".to_vec();
        emit_lines(&mut pending, &tag, Stream::Stdout, &tx, false);
        assert_eq!(pending, b"thr");
        pending.extend_from_slice(b"ee");
        emit_lines(&mut pending, &tag, Stream::Stdout, &tx, true);
        let mut got = Vec::new();
        while let Ok(r) = rx.try_recv() {
            got.push(r.line);
        }
        assert_eq!(got, vec!["one", "two", "three"]);
    }

    #[test]
    fn a_level_prefix_sets_the_priority_unless_turned_off() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut tag = CaptureTag {
            unit: "a.service".into(),
            invocation_id: "0".repeat(32),
            level: SyslogLevel::Notice,
            level_prefix: true,
        };
        let mut pending = b"<3>bad\nplain\n<9>odd\n".to_vec();
        emit_lines(&mut pending, &tag, Stream::Stderr, &tx, false);
        tag.level_prefix = false;
        let mut pending = b"<3>kept\n".to_vec();
        emit_lines(&mut pending, &tag, Stream::Stdout, &tx, false);
        let mut got = Vec::new();
        while let Ok(r) = rx.try_recv() {
            got.push((r.priority, r.line));
        }
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
    async fn captures_a_child_line_by_line() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let tag = CaptureTag {
            unit: "a.service".into(),
            invocation_id: "0".repeat(32),
            level: SyslogLevel::Info,
            level_prefix: true,
        };
        let mut cap = Capture::default();
        let stdin = Input {
            spec: StdioSpec::Null,
            source: Source::Null,
            controlling_terminal: None,
        };
        let (out, err) = cap
            .stdio(None, None, &stdin, None, &tag, &tx)
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
        while let Some(r) = rx.recv().await {
            got.push((r.stream, r.line));
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
