//! StandardInput=: what a command reads on descriptor 0.
//!
//! Every command of a run gets its own descriptor: a fresh read-only view of
//! the StandardInputData= bytes (each command reads them from the start), the
//! file opened anew, or the terminal. Terminal input applies only to the
//! commands systemd gives it to (ExecCondition=, ExecStartPre=, ExecStart=,
//! ExecStopPost=); the others read /dev/null but still write to the terminal
//! when their output inherits.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use nix::fcntl::{fcntl, FcntlArg, OFlag};

use super::exec_chain::ExecKind;
use super::spawn::{ControllingTerminal, StdioSpec};
use crate::unit::service::{ServiceSection, StandardInput, StandardOutput};

/// The standard input of one command, with what output resolution needs to
/// know about it.
#[derive(Debug)]
pub struct Input {
    /// What goes on descriptor 0.
    pub spec: StdioSpec,
    /// What it is.
    pub source: Source,
    /// Set for terminal input.
    pub controlling_terminal: Option<ControllingTerminal>,
}

/// Where descriptor 0 of a command comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// /dev/null (also StandardInput=data without data).
    Null,
    /// The data buffer.
    Data,
    /// `file:PATH`, opened read-write when stdout or stderr is `file:` on
    /// the same path.
    File(PathBuf),
    /// The terminal at this path.
    Terminal(PathBuf),
    /// The service has terminal input but this command does not get it
    /// (ExecStartPost=, ExecReload=, ExecStop=): /dev/null, while inherited
    /// output still goes to the terminal.
    TerminalWithheld(PathBuf),
    /// The connection of an Accept=yes socket (StandardInput=socket).
    Socket,
}

/// Why standard input could not be set up; the command then fails with
/// 208/STDIN.
#[derive(Debug, thiserror::Error)]
#[error("{what}: {error}")]
pub struct InputError {
    /// The path, or what else could not be made.
    pub what: String,
    pub error: io::Error,
}

impl InputError {
    fn at(path: &Path) -> impl FnOnce(io::Error) -> InputError + '_ {
        move |error| InputError {
            what: path.display().to_string(),
            error,
        }
    }
}

/// Whether `kind` commands get the terminal (systemd's EXEC_APPLY_TTY_STDIN).
pub(super) fn gets_terminal(kind: ExecKind) -> bool {
    matches!(
        kind,
        ExecKind::Condition | ExecKind::StartPre | ExecKind::Start | ExecKind::StopPost
    )
}

/// `open_with` without a connection.
#[cfg(test)]
pub fn open(s: &ServiceSection, kind: ExecKind) -> Result<Input, InputError> {
    open_with(s, kind, None)
}

/// Opens the standard input of one `kind` command of the service `s`;
/// `connection` is what an Accept=yes socket passes to the command, for
/// StandardInput=socket.
pub fn open_with(
    s: &ServiceSection,
    kind: ExecKind,
    connection: Option<&OwnedFd>,
) -> Result<Input, InputError> {
    let plain = |spec, source| Input {
        spec,
        source,
        controlling_terminal: None,
    };
    Ok(match &s.process.standard_input {
        StandardInput::Null => plain(StdioSpec::Null, Source::Null),
        StandardInput::Data if s.process.standard_input_data.is_empty() => {
            plain(StdioSpec::Null, Source::Null)
        }
        StandardInput::Data => {
            let fd = data_fd(&s.process.standard_input_data).map_err(|error| InputError {
                what: "memory file for StandardInputText=/StandardInputData=".into(),
                error,
            })?;
            plain(StdioSpec::Fd(fd), Source::Data)
        }
        StandardInput::File(path) => {
            let shared = |o: &Option<StandardOutput>| matches!(o, Some(StandardOutput::File(p)) if p == path);
            let write = shared(&s.process.standard_output) || shared(&s.process.standard_error);
            let fd = open_path(path, write)?;
            plain(StdioSpec::Fd(fd), Source::File(path.clone()))
        }
        StandardInput::Socket => {
            match connection {
                Some(conn) => {
                    let copy = conn.try_clone().map_err(|error| InputError {
                        what: "the socket connection".into(),
                        error,
                    })?;
                    plain(StdioSpec::Fd(copy), Source::Socket)
                }
                // systemd: only the command that gets the socket reads it.
                None if kind != ExecKind::Start => plain(StdioSpec::Null, Source::Null),
                None => return Err(InputError {
                    what: "StandardInput=socket".into(),
                    error: io::Error::new(
                        io::ErrorKind::NotFound,
                        "no connection: the service was not started by a socket with Accept=yes",
                    ),
                }),
            }
        }
        terminal => {
            let path = s.tty_path().to_path_buf();
            if !gets_terminal(kind) {
                return Ok(plain(StdioSpec::Null, Source::TerminalWithheld(path)));
            }
            let fd = open_terminal(&path, true)?;
            Input {
                spec: StdioSpec::Fd(fd),
                source: Source::Terminal(path),
                controlling_terminal: Some(match terminal {
                    StandardInput::TtyForce => ControllingTerminal::Force,
                    StandardInput::TtyFail => ControllingTerminal::OrFail,
                    _ => ControllingTerminal::IfFree,
                }),
            }
        }
    })
}

fn open_path(path: &Path, write: bool) -> Result<OwnedFd, InputError> {
    let mut o = OpenOptions::new();
    o.read(true).write(write);
    open_without_waiting(&mut o, libc::O_NOCTTY, path).map_err(InputError::at(path))
}

/// Opens a file for a command in the daemon without waiting: a FIFO with
/// nobody at its other end would otherwise hold the daemon in open(2). The
/// descriptor is opened non-blocking (a FIFO read end then opens at once, a
/// write end with no reader fails with ENXIO), then made blocking again for
/// the command.
pub fn open_without_waiting(o: &mut OpenOptions, flags: i32, path: &Path) -> io::Result<OwnedFd> {
    let fd = OwnedFd::from(o.custom_flags(flags | libc::O_NONBLOCK).open(path)?);
    let status = fcntl(&fd, FcntlArg::F_GETFL)?;
    let blocking = OFlag::from_bits_retain(status) & !OFlag::O_NONBLOCK;
    fcntl(&fd, FcntlArg::F_SETFL(blocking))?;
    Ok(fd)
}

/// Opens a terminal without making it the daemon's controlling terminal.
/// Nor waiting for it: a serial line without carrier, or a FIFO given as
/// TTYPath=, would hold the daemon in open(2).
pub fn open_terminal(path: &Path, read: bool) -> Result<OwnedFd, InputError> {
    let mut o = OpenOptions::new();
    o.read(read).write(true);
    open_without_waiting(&mut o, libc::O_NOCTTY, path).map_err(InputError::at(path))
}

/// A read-only descriptor on `data`: a sealed memfd, so nothing writes to it
/// and nothing blocks, read from its start.
fn data_fd(data: &[u8]) -> io::Result<OwnedFd> {
    // SAFETY: the name is a NUL-terminated literal; the result is checked.
    let raw = unsafe {
        libc::memfd_create(
            c"sundial-stdin".as_ptr(),
            libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING,
        )
    };
    if raw < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a descriptor just returned by memfd_create, owned by nobody else.
    let mut file = unsafe { File::from_raw_fd(raw) };
    file.write_all(data)?;
    let seals = libc::F_SEAL_SEAL | libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE;
    // SAFETY: fcntl on a descriptor we own.
    if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_ADD_SEALS, seals) } < 0 {
        return Err(io::Error::last_os_error());
    }
    // A new open file description, read-only and at offset 0, through /proc;
    // without /proc, the sealed descriptor rewound serves as well.
    match OpenOptions::new()
        .read(true)
        .open(format!("/proc/self/fd/{}", file.as_raw_fd()))
    {
        Ok(reopened) => Ok(reopened.into()),
        Err(_) => {
            use std::io::Seek;
            file.rewind()?;
            Ok(file.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn section(input: StandardInput) -> ServiceSection {
        let mut section = ServiceSection::default();
        section.process.standard_input = input;
        section
    }

    fn read_all(spec: StdioSpec) -> Vec<u8> {
        let StdioSpec::Fd(fd) = spec else {
            panic!("not a descriptor: {spec:?}")
        };
        let mut out = Vec::new();
        File::from(fd).read_to_end(&mut out).expect("readable");
        out
    }

    #[test]
    fn data_is_read_only_and_read_from_the_start_by_every_command() {
        let mut s = section(StandardInput::Data);
        s.process.standard_input_data = b"line\n\xff\x00bytes".to_vec();
        for kind in [ExecKind::StartPre, ExecKind::Start, ExecKind::Stop] {
            let input = open(&s, kind).expect("memfd");
            assert_eq!(input.source, Source::Data);
            let StdioSpec::Fd(fd) = &input.spec else {
                panic!("not a descriptor")
            };
            let mut file = File::from(fd.try_clone().expect("dup"));
            assert!(file.write_all(b"x").is_err(), "writable");
            assert_eq!(read_all(input.spec), s.process.standard_input_data);
        }
        s.process.standard_input_data.clear();
        let input = open(&s, ExecKind::Start).expect("null");
        assert!(matches!(input.spec, StdioSpec::Null));
        assert_eq!(input.source, Source::Null);
    }

    #[test]
    fn a_file_is_read_only_unless_output_shares_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("in");
        std::fs::write(&path, "content").expect("write");
        let mut s = section(StandardInput::File(path.clone()));
        let input = open(&s, ExecKind::Stop).expect("exists");
        let StdioSpec::Fd(fd) = input.spec else {
            panic!("not a descriptor")
        };
        assert!(File::from(fd).write_all(b"x").is_err(), "writable");
        s.process.standard_output = Some(StandardOutput::File(path.clone()));
        let input = open(&s, ExecKind::Start).expect("exists");
        let StdioSpec::Fd(fd) = input.spec else {
            panic!("not a descriptor")
        };
        File::from(fd).write_all(b"C").expect("read-write");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "Content");

        let missing = dir.path().join("missing");
        let err = open(
            &section(StandardInput::File(missing.clone())),
            ExecKind::Start,
        )
        .expect_err("missing file");
        assert_eq!(err.what, missing.display().to_string());
        assert_eq!(
            err.to_string(),
            format!(
                "{}: No such file or directory (os error 2)",
                missing.display()
            )
        );
    }

    #[test]
    fn the_terminal_goes_to_the_commands_systemd_gives_it_to() {
        let mut s = section(StandardInput::TtyFail);
        // /dev/null is no terminal, but opens like one.
        s.process.tty_path = Some("/dev/null".into());
        let input = open(&s, ExecKind::StopPost).expect("opens");
        assert_eq!(input.source, Source::Terminal("/dev/null".into()));
        assert_eq!(
            input.controlling_terminal,
            Some(ControllingTerminal::OrFail)
        );
        let input = open(&s, ExecKind::Reload).expect("withheld");
        assert!(matches!(input.spec, StdioSpec::Null));
        assert_eq!(input.source, Source::TerminalWithheld("/dev/null".into()));
        assert_eq!(input.controlling_terminal, None);
        s.process.tty_path = Some("/nonexistent/tty".into());
        let err = open(&s, ExecKind::Start).expect_err("no terminal");
        assert_eq!(err.what, "/nonexistent/tty");
    }
}
