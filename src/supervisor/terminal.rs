//! `TTYReset=`, `TTYVHangup=`, `TTYVTDisallocate=`: what is done to a
//! service's terminal (`TTYPath=`, default /dev/console) before each command
//! that gets the terminal and again when the run ends, as systemd's
//! `exec_context_tty_reset` does in the child and `exec_context_revert_tty`
//! when the service goes dead (systemd.exec(5): "before and after
//! execution").
//!
//! sundial does it in the daemon, right before it opens the terminal for the
//! command: the command's descriptors are opened by the daemon, and a hangup
//! after that would cut the command off its own terminal (a hangup revokes
//! every open file of the terminal). Failures are ignored, as systemd
//! ignores them (a terminal that is not a virtual console refuses the
//! console ioctls, an ordinary user the hangup), and reported to the caller.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::unit::exec_context::ExecContext;

/// `KDSETMODE` and `KD_TEXT` (linux/kd.h): the console in text mode.
const KDSETMODE: libc::Ioctl = 0x4B3A;
const KD_TEXT: libc::c_int = 0;
/// `KDSKBMODE`, `K_XLATE`, `K_UNICODE` (linux/kd.h): the keyboard mode.
const KDSKBMODE: libc::Ioctl = 0x4B45;
const K_XLATE: libc::c_int = 1;
const K_UNICODE: libc::c_int = 3;
/// `VT_DISALLOCATE` (linux/vt.h).
const VT_DISALLOCATE: libc::Ioctl = 0x5608;

/// What systemd writes to a terminal it cannot deallocate: reset the
/// scrolling region, cursor home, clear the screen and the scrollback.
pub const CLEAR: &[u8] = b"\x1b[r\x1b[H\x1b[3J";

/// Which of the three operations to carry out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TtyActions {
    pub vhangup: bool,
    pub reset: bool,
    pub vt_disallocate: bool,
}

impl TtyActions {
    /// The actions `c` asks for.
    pub fn of(c: &ExecContext) -> TtyActions {
        TtyActions {
            vhangup: c.tty_vhangup,
            reset: c.tty_reset,
            vt_disallocate: c.tty_vt_disallocate,
        }
    }

    pub fn any(self) -> bool {
        self.vhangup || self.reset || self.vt_disallocate
    }
}

/// Carries out `actions` on the terminal at `path`, in systemd's order:
/// hang up, reset, deallocate. Returns what failed, for the debug log.
pub fn apply(path: &Path, actions: TtyActions) -> Vec<String> {
    apply_beside(path, actions, &[libc::STDOUT_FILENO, libc::STDERR_FILENO])
}

/// [`apply`], where `own` are the daemon's own descriptors that must not be
/// hung up (its standard output and error).
fn apply_beside(path: &Path, actions: TtyActions, own: &[RawFd]) -> Vec<String> {
    let mut problems = Vec::new();
    if actions.vhangup || actions.reset {
        match open(path) {
            Ok(fd) => {
                // Diverges: systemd (PID 1) reopens the console for each
                // log line; a daemon logging to this very terminal
                // (`--log-stdout` on a container's console) would lose its
                // output to the hangup.
                if actions.vhangup && own.iter().any(|o| same_terminal(&fd, *o)) {
                    problems.push(format!(
                        "Not hanging up {}: the daemon writes its own output to it",
                        path.display()
                    ));
                } else if actions.vhangup {
                    if let Err(e) = ioctl_none(&fd, libc::TIOCVHANGUP) {
                        problems.push(format!("Failed to hang up {}: {e}", path.display()));
                    }
                }
                if actions.reset {
                    if let Err(e) = reset(&fd) {
                        problems.push(format!("Failed to reset {}: {e}", path.display()));
                    }
                }
            }
            Err(e) => problems.push(format!("Failed to open {}: {e}", path.display())),
        }
    }
    if actions.vt_disallocate {
        if let Err(e) = vt_disallocate(path) {
            problems.push(format!("Failed to deallocate {}: {e}", path.display()));
        }
    }
    problems
}

/// Whether the descriptor `other` is open on the same terminal device as `fd`.
fn same_terminal(fd: &OwnedFd, other: RawFd) -> bool {
    let rdev = |raw: RawFd| {
        // SAFETY: plain data, filled by fstat below.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: fstat fills a stat we own; a closed descriptor fails.
        let ok = unsafe { libc::fstat(raw, &mut st) } == 0;
        (ok && st.st_mode & libc::S_IFMT == libc::S_IFCHR).then_some(st.st_rdev)
    };
    rdev(fd.as_raw_fd()).is_some_and(|r| rdev(other) == Some(r))
}

/// Opens the terminal without making it the daemon's controlling terminal
/// and without waiting for a carrier.
fn open(path: &Path) -> io::Result<OwnedFd> {
    Ok(OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY | libc::O_NONBLOCK)
        .open(path)?
        .into())
}

fn ioctl_none(fd: &OwnedFd, request: libc::Ioctl) -> io::Result<()> {
    // SAFETY: an ioctl without argument on a descriptor we own.
    if unsafe { libc::ioctl(fd.as_raw_fd(), request) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn ioctl_int(fd: &OwnedFd, request: libc::Ioctl, arg: libc::c_int) -> io::Result<()> {
    // SAFETY: an ioctl with an integer argument on a descriptor we own.
    if unsafe { libc::ioctl(fd.as_raw_fd(), request, arg) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// systemd's `reset_terminal_fd(fd, true)`: exclusive mode off, a console
/// back in text mode with its default keyboard mode, sane line settings,
/// pending input and output flushed.
fn reset(fd: &OwnedFd) -> io::Result<()> {
    // SAFETY: isatty on a descriptor we own.
    if unsafe { libc::isatty(fd.as_raw_fd()) } != 1 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a terminal",
        ));
    }
    // Each of these fails on what is not a virtual console; systemd goes on.
    let _ = ioctl_none(fd, libc::TIOCNXCL);
    let _ = ioctl_int(fd, KDSETMODE, KD_TEXT);
    let _ = ioctl_int(fd, KDSKBMODE, keyboard_mode());
    // SAFETY: termios is plain data; tcgetattr fills it.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: a descriptor we own and a termios we own.
    let result = if unsafe { libc::tcgetattr(fd.as_raw_fd(), &mut t) } < 0 {
        Err(io::Error::last_os_error())
    } else {
        let t = sane(t);
        // SAFETY: as above.
        if unsafe { libc::tcsetattr(fd.as_raw_fd(), libc::TCSANOW, &t) } < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    };
    // SAFETY: as above.
    unsafe { libc::tcflush(fd.as_raw_fd(), libc::TCIOFLUSH) };
    result
}

/// systemd's `vt_default_utf8`: the consoles' default keyboard mode.
fn keyboard_mode() -> libc::c_int {
    match std::fs::read_to_string("/sys/module/vt/parameters/default_utf8") {
        Ok(v) if v.trim() == "0" => K_XLATE,
        _ => K_UNICODE,
    }
}

/// The line settings of systemd's `reset_terminal_fd`: only what matters to
/// software; the hardware settings (speed, parity) are left as they are.
pub fn sane(mut t: libc::termios) -> libc::termios {
    t.c_iflag &=
        !(libc::IGNBRK | libc::BRKINT | libc::ISTRIP | libc::INLCR | libc::IGNCR | libc::IUCLC);
    t.c_iflag |= libc::ICRNL | libc::IMAXBEL | libc::IUTF8;
    t.c_oflag |= libc::ONLCR;
    t.c_cflag |= libc::CREAD;
    t.c_lflag = libc::ISIG
        | libc::ICANON
        | libc::IEXTEN
        | libc::ECHO
        | libc::ECHOE
        | libc::ECHOK
        | libc::ECHOCTL
        | libc::ECHOPRT
        | libc::ECHOKE;
    let cc = [
        (libc::VINTR, 0o3),     // ^C
        (libc::VQUIT, 0o34),    // ^\
        (libc::VERASE, 0o177),  // DEL
        (libc::VKILL, 0o25),    // ^U
        (libc::VEOF, 0o4),      // ^D
        (libc::VSTART, 0o21),   // ^Q
        (libc::VSTOP, 0o23),    // ^S
        (libc::VSUSP, 0o32),    // ^Z
        (libc::VLNEXT, 0o26),   // ^V
        (libc::VWERASE, 0o27),  // ^W
        (libc::VREPRINT, 0o22), // ^R
        (libc::VEOL, 0),
        (libc::VEOL2, 0),
        (libc::VTIME, 0),
        (libc::VMIN, 1),
    ];
    for (i, v) in cc {
        t.c_cc[i] = v;
    }
    t
}

/// The number of a virtual console path, `/dev/tty1` → 1 (systemd's
/// `tty_is_vc` and the number `vt_disallocate` takes); `None` for anything
/// else, /dev/tty0 (the current console) included.
pub fn vt_number(path: &Path) -> Option<u32> {
    let digits = path.to_str()?.strip_prefix("/dev/tty")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|n| *n > 0)
}

/// systemd's `vt_disallocate`: a virtual console is deallocated, which
/// clears it and its scrollback; one that cannot be (the active one, or a
/// terminal that is no console) is at least cleared.
fn vt_disallocate(path: &Path) -> io::Result<()> {
    if !path.starts_with("/dev/") {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a device path",
        ));
    }
    if let Some(n) = vt_number(path) {
        let console = open(Path::new("/dev/tty0"))?;
        match ioctl_int(&console, VT_DISALLOCATE, n as libc::c_int) {
            Ok(()) => return Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {}
            Err(e) => return Err(e),
        }
    }
    let mut terminal = std::fs::File::from(open(path)?);
    terminal.write_all(CLEAR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sane_settings_undo_what_a_program_left() {
        // SAFETY: plain data.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        t.c_iflag = libc::IGNCR | libc::INLCR | libc::IXON;
        t.c_oflag = libc::OPOST;
        t.c_cflag = libc::CS8 | libc::B38400;
        t.c_lflag = libc::TOSTOP;
        t.c_cc[libc::VMIN] = 5;
        t.c_cc[libc::VINTR] = b'x';
        let s = sane(t);
        assert_eq!(s.c_iflag & (libc::IGNCR | libc::INLCR), 0);
        assert_ne!(s.c_iflag & libc::ICRNL, 0);
        assert_ne!(s.c_iflag & libc::IXON, 0, "flow control is the hardware's");
        assert_eq!(s.c_oflag, libc::OPOST | libc::ONLCR);
        assert_eq!(s.c_cflag, libc::CS8 | libc::B38400 | libc::CREAD);
        assert_eq!(s.c_lflag & libc::TOSTOP, 0);
        assert_ne!(s.c_lflag & libc::ECHO, 0);
        assert_eq!((s.c_cc[libc::VMIN], s.c_cc[libc::VINTR]), (1, 3));
    }

    #[test]
    fn only_numbered_consoles_are_virtual_consoles() {
        assert_eq!(vt_number(Path::new("/dev/tty1")), Some(1));
        assert_eq!(vt_number(Path::new("/dev/tty63")), Some(63));
        for p in [
            "/dev/tty0",
            "/dev/tty",
            "/dev/ttyS0",
            "/dev/pts/3",
            "/dev/console",
        ] {
            assert_eq!(vt_number(Path::new(p)), None, "{p}");
        }
    }

    #[test]
    fn the_daemons_own_output_terminal_is_not_hung_up() {
        // SAFETY: plain calls on a descriptor the test owns; ptsname's
        // buffer is copied at once.
        let (master, path) = unsafe {
            let fd = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
            assert!(fd >= 0 && libc::grantpt(fd) == 0 && libc::unlockpt(fd) == 0);
            let name = std::ffi::CStr::from_ptr(libc::ptsname(fd));
            (
                <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd),
                std::path::PathBuf::from(name.to_string_lossy().into_owned()),
            )
        };
        let output = open(&path).expect("the slave");
        let hangup = TtyActions {
            vhangup: true,
            ..TtyActions::default()
        };
        let problems = apply_beside(&path, hangup, &[output.as_raw_fd()]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("own output"), "{problems:?}");
        // Not hung up: the daemon's descriptor still writes.
        let mut out = std::fs::File::from(output);
        out.write_all(b"x").expect("still writable");
        assert!(
            !same_terminal(&master, out.as_raw_fd()),
            "master and slave differ"
        );
    }

    #[test]
    fn nothing_asked_touches_nothing() {
        let none = TtyActions::default();
        assert!(!none.any());
        assert!(apply(Path::new("/nonexistent/tty"), none).is_empty());
        let problems = apply(
            Path::new("/nonexistent/tty"),
            TtyActions {
                reset: true,
                ..none
            },
        );
        assert_eq!(problems.len(), 1, "{problems:?}");
    }
}
