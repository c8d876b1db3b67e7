//! The store's disk work off the owner's thread: the fsync that makes a
//! commit survive a power loss, and the checkpoints that keep the WAL short.
//!
//! With [`Store::sync_in_background`] the owner's connection (and the ones
//! made from it) commit at `synchronous=OFF` with automatic checkpoints off:
//! a commit is a `write` into the WAL, in the kernel's page cache, which is
//! all a `kill -9` of the daemon needs, and never an fsync (at NORMAL, the
//! writer that starts the WAL over after a checkpoint would fsync its
//! header). After each commit the owner nudges this thread, which fsyncs the
//! WAL, header included (so a power loss costs at most the commits of the
//! last few milliseconds), and, once the WAL has grown past
//! [`CHECKPOINT_BYTES`], copies it into the main file with a passive
//! checkpoint on its own connection, at `synchronous=FULL`, which never
//! blocks the owner's writes. The thread sleeps until nudged, so an idle
//! daemon has no wake-ups from it.
//!
//! [`Store::sync_in_background`]: super::Store::sync_in_background

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use rusqlite::{Connection, OpenFlags};

use super::{sqlite_at, wait_for_lock, Result, StoreError};

/// WAL size from which the thread checkpoints: SQLite's own default of 1,000
/// pages of 4 KiB.
pub const CHECKPOINT_BYTES: u64 = 4 * 1024 * 1024;

#[derive(Debug, Default)]
struct Flags {
    /// A commit happened since the thread last looked.
    dirty: bool,
    /// The store is closing: sync once more and end.
    stop: bool,
    /// The last failure, for the owner's next commit to report.
    error: Option<String>,
}

#[derive(Debug, Default)]
struct Shared {
    flags: Mutex<Flags>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Flags> {
        // A panic on the sync thread leaves plain flags behind: still usable.
        self.flags
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The handle the store keeps; dropping it syncs what is left and joins the
/// thread.
#[derive(Debug)]
pub struct BackgroundSync {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl BackgroundSync {
    /// Opens a second connection to `db` and starts the thread.
    pub fn start(db: &Path) -> Result<BackgroundSync> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(db, flags)
            .map_err(sqlite_at(db, "open the checkpoint connection"))?;
        conn.busy_handler(Some(wait_for_lock))
            .map_err(sqlite_at(db, "set busy handler"))?;
        let shared = Arc::new(Shared::default());
        let worker = Worker {
            conn,
            wal_path: wal_path(db),
            wal: None,
            shared: Arc::clone(&shared),
        };
        let thread = std::thread::Builder::new()
            .name("store-sync".into())
            .spawn(move || worker.run())
            .map_err(|source| StoreError::Thread {
                path: db.to_path_buf(),
                source,
            })?;
        Ok(BackgroundSync {
            shared,
            thread: Some(thread),
        })
    }

    /// Tells the thread that a commit happened.
    pub fn nudge(&self) {
        let mut flags = self.shared.lock();
        if !flags.dirty {
            flags.dirty = true;
            self.shared.wake.notify_one();
        }
    }

    /// The thread's last failure since the previous call, if any.
    pub fn take_error(&self) -> Option<String> {
        self.shared.lock().error.take()
    }
}

impl Drop for BackgroundSync {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn wal_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

struct Worker {
    conn: Connection,
    wal_path: PathBuf,
    /// Opened at the first sync: the WAL exists once something was written.
    wal: Option<File>,
    shared: Arc<Shared>,
}

/// Lowers the calling thread's scheduling priority: the store's threads do
/// work that can wait, and on a busy machine the event loop, which has
/// elapses to keep, should get the processor first.
pub fn lower_thread_priority() {
    // SAFETY: gettid and setpriority take plain integers and touch no
    // memory of ours; a failure only leaves the priority as it was.
    unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, BACKGROUND_NICE);
    }
}

/// The nice value of the store's threads.
const BACKGROUND_NICE: libc::c_int = 10;

impl Worker {
    fn run(mut self) {
        lower_thread_priority();
        loop {
            let stop = {
                let mut flags = self.shared.lock();
                while !flags.dirty && !flags.stop {
                    flags = self
                        .shared
                        .wake
                        .wait(flags)
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                }
                flags.dirty = false;
                flags.stop
            };
            if let Err(e) = self.sync() {
                self.shared.lock().error = Some(e.to_string());
            }
            if stop {
                return;
            }
        }
    }

    /// Makes every commit so far durable, and checkpoints a long WAL.
    fn sync(&mut self) -> std::result::Result<(), SyncError> {
        let wal_error = |source| SyncError::Wal {
            path: self.wal_path.clone(),
            source,
        };
        if self.wal.is_none() {
            match File::open(&self.wal_path) {
                Ok(f) => self.wal = Some(f),
                // No WAL: nothing was written that needs a sync.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(wal_error(e)),
            }
        }
        let wal = self.wal.as_ref().expect("opened above");
        wal.sync_data().map_err(|source| SyncError::Fsync {
            path: self.wal_path.clone(),
            source,
        })?;
        let len = wal.metadata().map_err(wal_error)?.len();
        if len >= CHECKPOINT_BYTES {
            // PASSIVE copies what no reader still needs and never waits for
            // the writer; the writer restarts the WAL from its beginning once
            // all of it is in the main file.
            self.conn
                .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                .map_err(SyncError::Checkpoint)?;
        }
        Ok(())
    }
}

/// Why the store's thread could not make the commits durable.
#[derive(Debug, thiserror::Error)]
enum SyncError {
    #[error("{}: {source}", path.display())]
    Wal {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: fsync: {source}", path.display())]
    Fsync {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("checkpoint: {0}")]
    Checkpoint(rusqlite::Error),
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use sundial_calendar::Timestamp;

    use super::CHECKPOINT_BYTES;
    use crate::store::{NewLogLine, Store, Stream};

    /// 500 lines of `text`, about half a megabyte with 1,000-byte lines.
    fn batch(text: &str) -> Vec<NewLogLine<'_>> {
        (0..500)
            .map(|i| NewLogLine {
                unit: "chatty.service",
                invocation: None,
                stream: Stream::Stdout,
                at: Timestamp::from_secs(i),
                line: text,
                priority: crate::unit::SyslogLevel::Info,
            })
            .collect()
    }

    fn size(path: &std::path::Path) -> u64 {
        std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
    }

    #[test]
    fn commits_are_visible_at_once_and_the_thread_checkpoints_a_long_wal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let mut store = Store::open(&path).unwrap();
        store.set_batching(true).unwrap();
        store.sync_in_background().unwrap();
        store.set_stamp("a.timer", Timestamp::from_secs(7)).unwrap();
        store.commit().unwrap();
        let other = Store::open(&path).unwrap();
        assert_eq!(
            other.stamp("a.timer").unwrap(),
            Some(Timestamp::from_secs(7))
        );
        drop(other);

        // Automatic checkpoints are off on the owner's connection, so only the
        // thread can move the WAL into the main file.
        let before = size(&path);
        let text = "x".repeat(1000);
        let lines = batch(&text);
        let mut written = 0;
        while written < 2 * CHECKPOINT_BYTES {
            store.append_logs(&lines).unwrap();
            written += 500 * 1000;
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        while size(&path) < before + CHECKPOINT_BYTES && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(
            size(&path) >= before + CHECKPOINT_BYTES,
            "main file still {} bytes",
            size(&path)
        );
        assert_eq!(store.integrity_check().unwrap(), ["ok"]);
    }

    #[test]
    fn without_the_thread_the_owner_still_checkpoints_itself() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let mut store = Store::open(&path).unwrap();
        let text = "y".repeat(1000);
        let lines = batch(&text);
        for _ in 0..20 {
            store.append_logs(&lines).unwrap();
        }
        // SQLite's own automatic checkpoint ran during the appends.
        assert!(size(&path) >= CHECKPOINT_BYTES);
    }
}
