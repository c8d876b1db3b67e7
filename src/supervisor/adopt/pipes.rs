//! The capture pipes of a process taken over after the daemon was killed:
//! found under `/proc/PID/fd` and opened again for reading.
//!
//! A daemon gives each command its end of a capture pipe opened read-write
//! ([`crate::supervisor::output::open_both_ways`]), so the service lives
//! through the daemon's death and its pipe stays whole. The next daemon
//! reads a descriptor of the taken-over process as its capture pipe only
//! when it is a pipe (`pipe:[INODE]`) opened read-write: a pipe the
//! service made itself (`pipe()` gives a read-only and a write-only end),
//! say to a logger of its own, is never read, which would take lines from
//! their reader. stdout and stderr on the same pipe (stderr inheriting
//! stdout, the default) are read once, as stdout.
//!
//! A daemon older than this check gave services write-only ends: their
//! output is not read again (and they die of SIGPIPE at their next write,
//! as they did).

use std::fs::OpenOptions;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};

use nix::unistd::Pid;

use crate::supervisor::output::Stream;

/// What a descriptor of another process is, as far as capture goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdSeen {
    /// The pipe's inode (from `pipe:[INODE]`); `None`: not a pipe.
    pub pipe: Option<u64>,
    /// Opened read-write.
    pub read_write: bool,
}

impl FdSeen {
    fn capture_pipe(self) -> Option<u64> {
        self.pipe.filter(|_| self.read_write)
    }
}

/// Which of stdout (`out`) and stderr (`err`) to read, and as which
/// stream: the capture pipes among them, a pipe shared by both once.
pub fn to_read(out: Option<FdSeen>, err: Option<FdSeen>) -> Vec<(i32, Stream, u64)> {
    let out = out.and_then(FdSeen::capture_pipe);
    let err = err.and_then(FdSeen::capture_pipe);
    let mut read = Vec::new();
    if let Some(inode) = out {
        read.push((1, Stream::Stdout, inode));
    }
    if let Some(inode) = err.filter(|i| Some(*i) != out) {
        read.push((2, Stream::Stderr, inode));
    }
    read
}

/// The inode of a `pipe:[INODE]` link target.
pub fn parse_pipe_link(target: &str) -> Option<u64> {
    target
        .strip_prefix("pipe:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

/// Whether a `/proc/PID/fdinfo/N` text says the descriptor is open
/// read-write (its `flags:` line, octal).
pub fn parse_read_write(fdinfo: &str) -> bool {
    fdinfo
        .lines()
        .find_map(|l| l.strip_prefix("flags:"))
        .and_then(|f| u32::from_str_radix(f.trim(), 8).ok())
        .is_some_and(|flags| flags & (libc::O_ACCMODE as u32) == libc::O_RDWR as u32)
}

/// What descriptor `fd` of `pid` is; `None` when it is not open (or
/// `/proc` does not tell).
fn look(pid: Pid, fd: i32) -> Option<FdSeen> {
    let target = std::fs::read_link(format!("/proc/{pid}/fd/{fd}")).ok()?;
    let fdinfo = std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{fd}")).ok()?;
    Some(FdSeen {
        pipe: target.to_str().and_then(parse_pipe_link),
        read_write: parse_read_write(&fdinfo),
    })
}

/// The capture pipes of `pid`, opened for reading (non-blocking,
/// close-on-exec), each with the stream its lines are; `alive`: the
/// process's pidfd, which says whether `pid` still names the process that
/// was taken over once the pipes are open. Nothing when `/proc` does not
/// say (the output is then not captured; the process runs on).
pub fn open(pid: Pid, alive: Option<&OwnedFd>) -> io::Result<Vec<(OwnedFd, Stream)>> {
    let mut pipes = Vec::new();
    for (fd, stream, inode) in to_read(look(pid, 1), look(pid, 2)) {
        let file = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(format!("/proc/{pid}/fd/{fd}"))?;
        // The descriptor may have been replaced since it was looked at.
        if file.metadata()?.ino() != inode {
            continue;
        }
        pipes.push((OwnedFd::from(file), stream));
    }
    if alive.is_some_and(exited) {
        return Ok(Vec::new());
    }
    Ok(pipes)
}

/// Whether the process of a pidfd has exited (its pidfd is readable).
fn exited(pidfd: &OwnedFd) -> bool {
    let mut fds = [libc::pollfd {
        fd: pidfd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    }];
    // SAFETY: poll reads and writes the one pollfd passed, which lives
    // through the call; a timeout of 0 does not wait.
    let n = unsafe { libc::poll(fds.as_mut_ptr(), 1, 0) };
    n > 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supervisor::output::open_both_ways;
    use crate::supervisor::spawn;
    use std::io::{Read, Write};

    const PIPE: FdSeen = FdSeen {
        pipe: Some(7),
        read_write: true,
    };

    #[test]
    fn only_read_write_pipes_are_read_and_a_shared_one_once() {
        assert_eq!(to_read(Some(PIPE), Some(PIPE)), [(1, Stream::Stdout, 7)]);
        let other = FdSeen {
            pipe: Some(8),
            ..PIPE
        };
        assert_eq!(
            to_read(Some(PIPE), Some(other)),
            [(1, Stream::Stdout, 7), (2, Stream::Stderr, 8)]
        );
        // StandardOutput=null, StandardError=journal.
        let null = FdSeen {
            pipe: None,
            read_write: true,
        };
        assert_eq!(to_read(Some(null), Some(other)), [(2, Stream::Stderr, 8)]);
        // A pipe the service made (write-only), or a closed descriptor.
        let own = FdSeen {
            read_write: false,
            ..PIPE
        };
        assert_eq!(to_read(Some(own), None), []);
        assert_eq!(to_read(None, Some(own)), []);
    }

    #[test]
    fn proc_texts_are_read() {
        assert_eq!(parse_pipe_link("pipe:[2754416]"), Some(2_754_416));
        assert_eq!(parse_pipe_link("/dev/null"), None);
        assert_eq!(parse_pipe_link("socket:[12]"), None);
        assert!(parse_read_write("pos:\t0\nflags:\t02100002\nmnt_id:\t15\n"));
        assert!(!parse_read_write(
            "pos:\t0\nflags:\t02000001\nmnt_id:\t15\n"
        ));
        assert!(!parse_read_write("pos:\t0\n"));
    }

    /// The whole trip on this process's own descriptors: a service's end
    /// of its capture pipe outlives the daemon's read end, and a new reader
    /// found through /proc reads what was written meanwhile, then end of
    /// file once the service's end is closed.
    #[test]
    fn a_pipe_outlives_its_reader_and_is_found_again() {
        let (read, write) = spawn::pipe().expect("pipe");
        let service = open_both_ways(&write).expect("/proc/self/fd reopens the pipe");
        drop(write);
        drop(read);
        let mut service = std::fs::File::from(service);
        // No EPIPE (and no SIGPIPE, which the test harness would die of).
        service.write_all(b"after the crash\n").expect("written");
        let me = Pid::this();
        let fd = service.as_raw_fd();
        let seen = look(me, fd).expect("seen");
        assert!(seen.read_write);
        let inode = seen.pipe.expect("a pipe");
        let mut reader = std::fs::File::from(OwnedFd::from(
            OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(format!("/proc/self/fd/{fd}"))
                .expect("opened for reading"),
        ));
        assert_eq!(reader.metadata().unwrap().ino(), inode);
        drop(service);
        let mut got = String::new();
        reader
            .read_to_string(&mut got)
            .expect("read to end of file");
        assert_eq!(got, "after the crash\n");
    }
}
