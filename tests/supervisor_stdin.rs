//! StandardInput=: data, files and terminals fed to real commands, and the
//! outputs that share stdin's descriptor.

mod supervisor_util;

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use sundial::supervisor::{ServiceResult, SubState};
use supervisor_util::Harness;

/// Starts `name` and waits until it is dead or failed.
async fn run(h: &mut Harness, name: &str, body: &str) {
    h.add(name, &format!("[Service]\n{body}\n"));
    h.sup.start(name).expect("start job");
    let done = h
        .wait(3000, |s, _| {
            s.status(name)
                .is_some_and(|st| matches!(st.sub, SubState::Dead | SubState::Failed))
        })
        .await;
    assert!(done, "{name} did not finish: {:?}", h.sup.status(name));
}

/// Waits until `name` has captured `n` lines (they arrive after the exit).
async fn lines(h: &mut Harness, name: &str, n: usize) -> Vec<String> {
    h.wait(2000, |_, sink| sink.lines_of(name).len() >= n).await;
    h.lines(name)
}

#[tokio::test]
async fn data_reaches_every_command_from_the_start() {
    let mut h = Harness::new();
    // "d29ybGQK" is "world\n"; the escapes and %N are resolved at load time.
    run(
        &mut h,
        "feed.service",
        "Type=oneshot\nStandardInputText=hello\\tthere %N\nStandardInputData=d29y \\\n  bGQK\n\
         ExecStartPre=/bin/cat\nExecStart=/bin/cat\nExecStopPost=/bin/cat",
    )
    .await;
    assert_eq!(h.sub("feed.service"), SubState::Dead);
    let got = lines(&mut h, "feed.service", 6).await;
    assert_eq!(got, ["hello\tthere feed", "world"].repeat(3));
}

#[tokio::test]
async fn data_without_bytes_reads_as_null() {
    let mut h = Harness::new();
    run(
        &mut h,
        "empty.service",
        "Type=oneshot\nStandardInput=data\nStandardInputText=gone\nStandardInputText=\n\
         ExecStart=/bin/sh -c 'wc -c; readlink /proc/self/fd/0'",
    )
    .await;
    assert_eq!(lines(&mut h, "empty.service", 2).await, ["0", "/dev/null"]);
}

#[tokio::test]
async fn a_file_is_read_and_inherit_output_goes_to_the_default() {
    let mut h = Harness::new();
    let input = h.path("input.txt");
    std::fs::write(&input, "first\nsecond\n").expect("write input");
    // systemd 252 turns StandardOutput=inherit into the default (journal)
    // when stdin is a file: nothing is written into the file.
    run(
        &mut h,
        "file.service",
        &format!(
            "Type=oneshot\nStandardInput=file:{}\nStandardOutput=inherit\nStandardError=inherit\n\
             ExecStart=/bin/sh -c 'cat; echo done; echo oops >&2'",
            input.display()
        ),
    )
    .await;
    assert_eq!(h.sub("file.service"), SubState::Dead);
    assert_eq!(
        lines(&mut h, "file.service", 4).await,
        ["first", "second", "done", "oops"]
    );
    assert_eq!(
        std::fs::read_to_string(&input).expect("read input"),
        "first\nsecond\n"
    );
}

#[tokio::test]
async fn the_same_file_for_input_and_output_is_opened_once_read_write() {
    let mut h = Harness::new();
    let path = h.path("conversation");
    std::fs::write(&path, "question\n").expect("write");
    // One descriptor: the answer is written where the reading stopped.
    run(
        &mut h,
        "rw.service",
        &format!(
            "Type=oneshot\nStandardInput=file:{0}\nStandardOutput=file:{0}\n\
             ExecStart=/bin/sh -c 'read q; echo \"answer to $q\"'",
            path.display()
        ),
    )
    .await;
    assert_eq!(h.sub("rw.service"), SubState::Dead);
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        "question\nanswer to question\n"
    );
}

#[tokio::test]
async fn a_missing_input_file_fails_with_208() {
    let mut h = Harness::new();
    let missing = h.path("no-such-input");
    run(
        &mut h,
        "missing.service",
        &format!(
            "StandardInput=file:{}\nExecStart=/bin/cat",
            missing.display()
        ),
    )
    .await;
    let st = h.status("missing.service");
    assert_eq!(st.sub, SubState::Failed);
    assert_eq!(st.result, ServiceResult::ExitCode);
    assert_eq!(st.main_exit.and_then(|e| e.exit_code()), Some(208));
    let messages = h.sink.messages_of("missing.service");
    let expected = format!(
        "Failed to set up standard input: {}: No such file or directory (os error 2)",
        missing.display()
    );
    assert!(messages.contains(&expected), "{messages:#?}");
}

#[tokio::test]
async fn a_fifo_with_nobody_at_the_other_end_does_not_hold_the_supervisor() {
    // Opening a FIFO waits for its other end; the supervisor must not. If it
    // did, this test would hang: a watchdog ends the process instead.
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watched = std::sync::Arc::clone(&done);
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(30));
        if !watched.load(std::sync::atomic::Ordering::SeqCst) {
            eprintln!("the supervisor is stuck opening a FIFO");
            std::process::abort();
        }
    });
    let mut h = Harness::new();
    let fifo = h.path("fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).expect("mkfifo");
    // Input: no writer ever comes; the command reads end of file.
    let out = h.path("out");
    run(
        &mut h,
        "reader.service",
        &format!(
            "StandardInput=file:{}\nStandardOutput=file:{}\nExecStart=/bin/sh -c 'cat; echo read-all'",
            fifo.display(),
            out.display()
        ),
    )
    .await;
    assert_eq!(h.sub("reader.service"), SubState::Dead);
    assert_eq!(std::fs::read_to_string(&out).expect("out"), "read-all\n");
    // Output: no reader; the command fails with 209/STDOUT at once.
    run(
        &mut h,
        "writer.service",
        &format!(
            "StandardOutput=file:{}\nExecStart=/bin/echo hi",
            fifo.display()
        ),
    )
    .await;
    let st = h.status("writer.service");
    assert_eq!(st.main_exit.and_then(|e| e.exit_code()), Some(209));
    // The same FIFO as the terminal of StandardOutput=tty.
    run(
        &mut h,
        "tty-writer.service",
        &format!(
            "StandardOutput=tty\nTTYPath={}\nExecStart=/bin/echo hi",
            fifo.display()
        ),
    )
    .await;
    let st = h.status("tty-writer.service");
    assert_eq!(st.main_exit.and_then(|e| e.exit_code()), Some(209));
    done.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// A pseudo-terminal pair: the master to read from and the slave's path.
fn pty() -> (File, PathBuf) {
    // SAFETY: plain calls on a descriptor this function owns; ptsname's
    // static buffer is copied before anything else can call it.
    unsafe {
        let fd = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
        assert!(fd >= 0, "posix_openpt");
        let master = OwnedFd::from_raw_fd(fd);
        assert_eq!(libc::grantpt(fd), 0, "grantpt");
        assert_eq!(libc::unlockpt(fd), 0, "unlockpt");
        let name = libc::ptsname(fd);
        assert!(!name.is_null(), "ptsname");
        let path = std::ffi::CStr::from_ptr(name)
            .to_string_lossy()
            .into_owned();
        (File::from(master), PathBuf::from(path))
    }
}

/// Everything the terminal's master can read now.
fn drain(master: &File) -> String {
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
    String::from_utf8_lossy(&out).replace("\r\n", "\n")
}

#[tokio::test]
async fn a_terminal_is_stdin_stdout_and_controlling_terminal() {
    let mut h = Harness::new();
    let (master, slave) = pty();
    // The test holds the terminal open too, so that it is not hung up
    // between commands; O_NOCTTY keeps it from becoming ours.
    let _keep = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY)
        .open(&slave)
        .expect("open slave");
    // ExecStartPost= does not get the terminal as stdin, but its inherited
    // output still goes there.
    run(
        &mut h,
        "tty.service",
        &format!(
            "Type=oneshot\nStandardInput=tty\nTTYPath={}\n\
             ExecStart=/bin/sh -c 'test -t 0 && echo stdin-is-tty; tty; : </dev/tty && echo controlling'\n\
             ExecStartPost=/bin/sh -c 'test -t 0 || echo post-stdin-not-tty; echo post-output'",
            slave.display()
        ),
    )
    .await;
    assert_eq!(
        h.sub("tty.service"),
        SubState::Dead,
        "{:?}",
        h.sink.messages_of("tty.service")
    );
    assert_eq!(
        drain(&master),
        format!(
            "stdin-is-tty\n{}\ncontrolling\npost-stdin-not-tty\npost-output\n",
            slave.display()
        )
    );
    assert!(h.lines("tty.service").is_empty());
}

#[tokio::test]
async fn tty_fail_fails_when_another_session_controls_the_terminal() {
    let mut h = Harness::new();
    let (_master, slave) = pty();
    let tty = slave.display();
    // The first service's session takes the terminal and keeps it.
    h.add(
        "holder.service",
        &format!("[Service]\nStandardInput=tty-fail\nTTYPath={tty}\nExecStart=/bin/sleep 30"),
    );
    h.sup.start("holder.service").expect("start job");
    h.wait_sub("holder.service", SubState::Running, 3000).await;
    // Running means started, not yet set up: wait for its exec, after the
    // terminal is taken.
    let holder = h.status("holder.service").main_pid.expect("running");
    let comm = format!("/proc/{holder}/comm");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    while std::fs::read_to_string(&comm).unwrap_or_default() != "sleep\n" {
        assert!(std::time::Instant::now() < deadline, "holder never exec'd");
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    run(
        &mut h,
        "second.service",
        &format!("StandardInput=tty-fail\nTTYPath={tty}\nExecStart=/bin/true"),
    )
    .await;
    assert_eq!(h.sub("second.service"), SubState::Failed);
    assert_eq!(
        h.status("second.service")
            .main_exit
            .and_then(|e| e.exit_code()),
        Some(208)
    );
    // Plain tty runs without it instead of waiting as systemd would.
    run(
        &mut h,
        "third.service",
        &format!(
            "Type=oneshot\nStandardInput=tty\nTTYPath={tty}\nStandardOutput=journal\n\
             ExecStart=/bin/sh -c 'test -t 0 && echo tty; ( : </dev/tty ) 2>/dev/null || echo no-controlling'"
        ),
    )
    .await;
    assert_eq!(
        h.sub("third.service"),
        SubState::Dead,
        "{:?} {:?} {:?}",
        h.status("third.service"),
        h.sink.messages_of("third.service"),
        h.lines("third.service")
    );
    assert_eq!(
        lines(&mut h, "third.service", 2).await,
        ["tty", "no-controlling"]
    );
    h.sup.stop("holder.service").expect("stop job");
    h.wait_sub("holder.service", SubState::Dead, 3000).await;
}

#[tokio::test]
async fn a_missing_terminal_fails_with_208() {
    let mut h = Harness::new();
    run(
        &mut h,
        "notty.service",
        "StandardInput=tty\nTTYPath=/dev/sundial-no-such-tty\nExecStart=/bin/true",
    )
    .await;
    assert_eq!(h.sub("notty.service"), SubState::Failed);
    assert_eq!(
        h.status("notty.service")
            .main_exit
            .and_then(|e| e.exit_code()),
        Some(208)
    );
}
