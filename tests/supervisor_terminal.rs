//! TTYReset=, TTYVHangup=, TTYVTDisallocate= on a pseudo-terminal the test
//! opens as TTYPath= (never a real console): the line settings a program
//! left wrong are reset before the command and after the run, a hangup
//! reaches whoever held the terminal, a terminal that is no virtual console
//! is cleared.

mod supervisor_util;

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use sundial::supervisor::SubState;
use supervisor_util::Harness;

/// A pseudo-terminal: the master, an open slave (held so that the kernel
/// does not reset the pty's settings at its last close) and the slave's path.
fn pty() -> (File, File, PathBuf) {
    // SAFETY: plain calls on descriptors this function owns; ptsname's
    // static buffer is copied before anything else can call it.
    unsafe {
        let fd = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
        assert!(fd >= 0, "posix_openpt");
        let master = OwnedFd::from_raw_fd(fd);
        assert_eq!(libc::grantpt(fd), 0, "grantpt");
        assert_eq!(libc::unlockpt(fd), 0, "unlockpt");
        let name = libc::ptsname(fd);
        assert!(!name.is_null(), "ptsname");
        let path = PathBuf::from(
            std::ffi::CStr::from_ptr(name)
                .to_string_lossy()
                .into_owned(),
        );
        let slave = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOCTTY)
            .open(&path)
            .expect("open slave");
        (File::from(master), slave, path)
    }
}

fn termios(f: &File) -> libc::termios {
    // SAFETY: plain data filled by tcgetattr on a descriptor `f` owns.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        assert_eq!(libc::tcgetattr(f.as_raw_fd(), &mut t), 0, "tcgetattr");
        t
    }
}

/// Line settings as a program that crashed in raw mode leaves them.
fn spoil(f: &File) {
    let mut t = termios(f);
    t.c_iflag = (t.c_iflag | libc::IGNCR | libc::INLCR) & !libc::ICRNL;
    t.c_lflag &= !(libc::ECHO | libc::ICANON);
    t.c_cc[libc::VMIN] = 5;
    // SAFETY: as in `termios`.
    assert_eq!(
        unsafe { libc::tcsetattr(f.as_raw_fd(), libc::TCSANOW, &t) },
        0,
        "tcsetattr"
    );
}

fn is_sane(t: &libc::termios) -> bool {
    t.c_iflag & libc::ICRNL != 0
        && t.c_iflag & (libc::IGNCR | libc::INLCR) == 0
        && t.c_lflag & libc::ECHO != 0
        && t.c_lflag & libc::ICANON != 0
        && t.c_cc[libc::VMIN] == 1
}

/// Everything the master can read now.
fn drain(master: &File) -> Vec<u8> {
    // SAFETY: fcntl on a descriptor `master` owns.
    unsafe {
        let flags = libc::fcntl(master.as_raw_fd(), libc::F_GETFL);
        libc::fcntl(master.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK);
    }
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let mut reader = master;
    while let Ok(n) = reader.read(&mut buf) {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    out
}

async fn run(h: &mut Harness, name: &str, body: &str) {
    h.add(name, &format!("[Service]\nType=oneshot\n{body}\n"));
    h.sup.start(name).expect("start job");
    let done = h
        .wait(5000, |s, _| {
            s.status(name)
                .is_some_and(|st| matches!(st.sub, SubState::Dead | SubState::Failed))
        })
        .await;
    assert!(done, "{name} did not finish: {:?}", h.sup.status(name));
    assert_eq!(
        h.sub(name),
        SubState::Dead,
        "{:?}",
        h.sink.messages_of(name)
    );
}

/// Waits until `name` has captured `n` lines (they arrive after the exit).
async fn lines(h: &mut Harness, name: &str, n: usize) -> Vec<String> {
    h.wait(3000, |_, sink| sink.lines_of(name).len() >= n).await;
    h.lines(name)
}

#[tokio::test]
async fn tty_reset_gives_the_command_sane_settings_and_restores_them_after_the_run() {
    let mut h = Harness::new();
    let (_master, slave, path) = pty();
    spoil(&slave);
    assert!(!is_sane(&termios(&slave)));
    // Before: the command reads the settings it was given.
    run(
        &mut h,
        "reset.service",
        &format!(
            "TTYReset=yes\nTTYPath={}\nStandardInput=tty\nStandardOutput=journal\n\
             ExecStart=/bin/sh -c 'stty -a | xargs echo'",
            path.display()
        ),
    )
    .await;
    let words: Vec<String> = lines(&mut h, "reset.service", 1)
        .await
        .join(" ")
        .split([' ', ';'])
        .map(str::to_owned)
        .collect();
    for w in ["icrnl", "-igncr", "-inlcr", "echo", "icanon"] {
        assert!(words.iter().any(|x| x == w), "{w} not in {words:?}");
    }
    assert!(is_sane(&termios(&slave)));

    // After: what the command spoils is reset when the run ends; without
    // TTYReset= it stays spoiled.
    let spoiler = |reset: &str| {
        format!(
            "TTYReset={reset}\nTTYPath={}\nStandardInput=tty\nStandardOutput=journal\n\
             ExecStart=/bin/stty -icrnl igncr -echo min 5",
            path.display()
        )
    };
    run(&mut h, "spoil.service", &spoiler("no")).await;
    assert!(!is_sane(&termios(&slave)), "the command changed nothing");
    run(&mut h, "respoil.service", &spoiler("yes")).await;
    assert!(is_sane(&termios(&slave)), "not reset after the run");
}

#[tokio::test]
async fn tty_vhangup_hangs_up_the_previous_holders_but_not_the_command() {
    if !supervisor_util::is_root() {
        eprintln!("skipped: a hangup (TIOCVHANGUP) needs CAP_SYS_ADMIN");
        return;
    }
    let mut h = Harness::new();
    let (_master, mut slave, path) = pty();
    let unit = |hangup: &str| {
        format!(
            "TTYVHangup={hangup}\nTTYPath={}\nStandardInput=tty\nStandardOutput=journal\n\
             ExecStart=/bin/sh -c 'test -t 0 && stty -g >/dev/null && echo stdin-works'",
            path.display()
        )
    };
    run(&mut h, "keep.service", &unit("no")).await;
    assert!(slave.write_all(b"x").is_ok(), "without TTYVHangup=");
    run(&mut h, "hangup.service", &unit("yes")).await;
    assert_eq!(lines(&mut h, "hangup.service", 1).await, ["stdin-works"]);
    let e = slave
        .write_all(b"x")
        .expect_err("the test's descriptor is hung up");
    assert_eq!(e.raw_os_error(), Some(libc::EIO), "{e}");
}

#[tokio::test]
async fn tty_vt_disallocate_clears_a_terminal_that_is_no_console_before_and_after() {
    let mut h = Harness::new();
    let (master, _slave, path) = pty();
    run(
        &mut h,
        "clear.service",
        &format!(
            "TTYVTDisallocate=yes\nTTYPath={}\nStandardOutput=journal\nExecStart=/bin/true",
            path.display()
        ),
    )
    .await;
    let clear: &[u8] = b"\x1b[r\x1b[H\x1b[3J";
    assert_eq!(drain(&master), [clear, clear].concat());
    // A command that does not get the terminal (ExecStartPost=) does not
    // clear it; only the run's end does.
    run(
        &mut h,
        "post.service",
        &format!(
            "TTYVTDisallocate=yes\nTTYPath={}\nExecStart=/bin/true\nExecStartPost=/bin/true",
            path.display()
        ),
    )
    .await;
    assert_eq!(drain(&master), [clear, clear].concat());
}
