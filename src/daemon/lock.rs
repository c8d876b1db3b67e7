//! One daemon per state database. A second daemon on the same database would
//! fire the same timers and, at start-up, close the first one's runs in
//! flight as if their daemon had died; so the daemon holds an exclusive
//! `flock(2)` on `state.db.lock` beside the database for as long as it runs,
//! and a second one stops before it touches anything.
//!
//! The lock is on a file of its own, not on the database: SQLite's POSIX
//! record locks and a whole-file lock of the same process must not meet
//! (where `flock` is emulated with record locks, as on NFS, they would).

use std::fs::{self, File};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

/// Why the state database could not be claimed.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds the lock.
    #[error(
        "{}: another sundial daemon uses this state database; stop it first, or give this one \
         its own --state-dir",
        database.display()
    )]
    InUse {
        /// The database the other daemon uses.
        database: PathBuf,
    },
    /// The lock file could not be created or locked.
    #[error("{}: cannot lock the state database: {source}", path.display())]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
}

/// The held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct StateLock {
    _lock: Flock<File>,
}

/// The lock file of `database`.
pub fn lock_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

impl StateLock {
    /// Takes the lock of `database`, creating its directory (mode 0700, as
    /// the store does) and the lock file if needed.
    pub fn acquire(database: &Path) -> Result<StateLock, LockError> {
        let path = lock_path(database);
        let io_error = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(parent)
                .map_err(io_error)?;
        }
        let file = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&path)
            .map_err(io_error)?;
        // A daemon killed while it was starting a service leaves that child
        // holding the lock (the descriptor is close-on-exec, so only until
        // its exec, a few milliseconds): wait that long before saying that
        // another daemon runs.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        let mut file = file;
        loop {
            match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
                Ok(lock) => return Ok(StateLock { _lock: lock }),
                Err((back, Errno::EWOULDBLOCK)) if std::time::Instant::now() < deadline => {
                    file = back;
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err((_, Errno::EWOULDBLOCK)) => {
                    return Err(LockError::InUse {
                        database: database.to_path_buf(),
                    })
                }
                Err((_, errno)) => return Err(io_error(io::Error::from(errno))),
            }
        }
    }
}

/// The process holding the lock of `database`, found in /proc/locks without
/// opening the lock file, so that a client that only looks never takes the
/// lock a starting daemon needs. `None` when the file does not exist, no
/// process holds it, or /proc/locks cannot be read. The pid is as /proc/locks
/// gives it: 0 for a holder outside this PID namespace.
pub fn holder(database: &Path) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    let meta = fs::metadata(lock_path(database)).ok()?;
    let locks = fs::read_to_string("/proc/locks").ok()?;
    let dev = meta.dev();
    find_flock(&locks, libc::major(dev), libc::minor(dev), meta.ino())
}

/// The pid of a FLOCK entry of /proc/locks on the file `major:minor:inode`.
/// A line reads `1: FLOCK  ADVISORY  WRITE 4242 fe:00:7030728 0 EOF`, the
/// device numbers in hex (a blocked waiter's line has `->` after the number).
fn find_flock(locks: &str, major: u32, minor: u32, inode: u64) -> Option<u32> {
    locks.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let at = fields.iter().position(|f| *f == "FLOCK")?;
        if fields.get(at.checked_sub(1)?).is_some_and(|f| *f == "->") {
            return None;
        }
        let pid = fields.get(at + 3)?.parse().ok()?;
        let mut file = fields.get(at + 4)?.split(':');
        let hex = |s: Option<&str>| s.and_then(|s| u32::from_str_radix(s, 16).ok());
        let found = (
            hex(file.next())?,
            hex(file.next())?,
            file.next()?.parse::<u64>().ok()?,
        );
        (found == (major, minor, inode)).then_some(pid)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_holder_is_found_without_taking_the_lock() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("state.db");
        assert_eq!(holder(&db), None);
        let lock = StateLock::acquire(&db).expect("lock");
        // Where /proc/locks is not there to read, nothing can be said.
        if fs::metadata("/proc/locks").is_ok() {
            assert_eq!(holder(&db), Some(std::process::id()));
        }
        drop(lock);
        assert_eq!(holder(&db), None);
        // Looking took nothing: the daemon can still lock.
        assert!(StateLock::acquire(&db).is_ok());
    }

    #[test]
    fn proc_locks_lines() {
        let locks = "1: FLOCK  ADVISORY  WRITE 23070 fe:00:7030728 0 EOF\n\
                     2: POSIX  ADVISORY  WRITE 22081 fe:00:42 0 EOF\n\
                     3: FLOCK  ADVISORY  WRITE 555 08:1a:42 0 EOF\n\
                     3: -> FLOCK  ADVISORY  WRITE 556 08:1a:42 0 EOF\n";
        assert_eq!(find_flock(locks, 0xfe, 0, 7_030_728), Some(23070));
        assert_eq!(find_flock(locks, 8, 0x1a, 42), Some(555));
        assert_eq!(find_flock(locks, 0xfe, 0, 42), None);
        assert_eq!(find_flock("", 8, 0x1a, 42), None);
    }

    #[test]
    fn a_second_lock_on_the_same_database_is_refused_until_the_first_goes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("new/state.db");
        let first = StateLock::acquire(&db).expect("first lock");
        assert!(lock_path(&db).exists());
        match StateLock::acquire(&db) {
            Err(LockError::InUse { database }) => assert_eq!(database, db),
            other => panic!("{other:?}"),
        }
        let other_db = dir.path().join("other/state.db");
        assert!(StateLock::acquire(&other_db).is_ok());
        drop(first);
        assert!(StateLock::acquire(&db).is_ok());
    }
}
