//! The daemon's persistent state in one SQLite file: Persistent= stamps, run
//! history, captured log lines and the transient units of `sundial run`.
//!
//! Durability: the file is in WAL mode. Stamps and run rows commit with
//! `synchronous=FULL` (fsync at every commit), so neither `kill -9` nor a power
//! loss after a call returned can lose them. Log lines commit in batches with
//! `synchronous=NORMAL`: a `kill -9` still loses nothing that was committed (the
//! WAL is in the kernel's page cache), a power loss may lose the last batches, and
//! a chatty service costs one transaction per batch rather than an fsync per line.
//! SQLite's journaling keeps the file consistent in every case.
//!
//! The daemon moves the fsyncs and checkpoints to a thread of their own
//! ([`Store::sync_in_background`]): every commit is then safe from `kill -9`
//! when it returns, and from a power loss a few milliseconds later, and the
//! event loop never waits for the disk.
//!
//! Batches: with [`Store::set_batching`] on, the durable writes (stamps, run
//! rows, transient units) open one transaction that stays open until [`Store::commit`], so the
//! writes of one event-loop turn cost one fsync together. Nothing written in
//! a batch is durable before `commit` returns; the owner commits before it
//! acts on a write (starts the service a stamp precedes, tells a client
//! about a run).
//!
//! The store is used by one owner (the daemon's event loop); it is `Send` but not
//! shared. Another process (a second daemon, a test) may open the same file: the
//! busy timeout serializes writers.

mod background;
mod daemon_record;
mod logs;
mod run_processes;
mod runs;
pub mod schema;
mod stamps;
mod transient;

#[cfg(test)]
mod crash_tests;

use std::cell::Cell;

pub use background::lower_thread_priority;

/// The size the WAL is cut back to when it starts over from its beginning
/// after a checkpoint (`journal_size_limit`): what SQLite's own automatic
/// checkpoints let it reach.
pub const WAL_SIZE_LIMIT: u64 = background::CHECKPOINT_BYTES;
use background::BackgroundSync;
use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

pub use daemon_record::DaemonRecord;
pub use logs::{row_cost, LogEntry, LogQuery, LogRetention, NewLogLine, PruneStats, Stream};
pub use run_processes::{ProcessRole, RunProcess};
pub use runs::{ExitStatus, InvocationId, NewRun, Run, RunOutcome, RunResult, RunUsage, TimerRun};
pub use stamps::MonotonicStamp;
pub use transient::TransientUnit;

/// How long a writer waits for another connection's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Waits while another connection holds the lock, in steps from 20 µs up to
/// 1 ms; false (give up) after about [`BUSY_TIMEOUT`]. SQLite's own busy
/// timeout sleeps in steps of up to 100 ms, far longer than the other
/// connection here (the daemon's log writer) ever holds the lock, and the
/// event loop would sleep through its elapses.
fn wait_for_lock(attempt: i32) -> bool {
    const MAX_STEP_USEC: u64 = 1_000;
    let attempt = u32::try_from(attempt).unwrap_or(0);
    // 20 µs doubling: the steps reach 1 ms at the seventh attempt; the
    // waits until then sum to about 1.3 ms.
    let step = (20u64 << attempt.min(6)).min(MAX_STEP_USEC);
    let waited_usec = u64::from(attempt.saturating_sub(6)) * MAX_STEP_USEC + 1_300;
    if waited_usec > BUSY_TIMEOUT.as_micros() as u64 {
        return false;
    }
    std::thread::sleep(Duration::from_micros(step));
    true
}

/// Prepared statements kept per connection; the store uses about twenty.
const STATEMENT_CACHE: usize = 64;

/// A failure of the state store; every variant names the database file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The directory holding the database could not be created.
    #[error("{path}: cannot create the state directory: {source}")]
    CreateDir {
        /// The database file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The database file could not be created.
    #[error("{path}: cannot create the state file: {source}")]
    CreateFile {
        /// The database file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// SQLite failed while doing `op`.
    #[error("{path}: {op}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// What the store was doing.
        op: &'static str,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// The schema could not be brought to this build's version.
    #[error("{path}: {source}")]
    Schema {
        /// The database file.
        path: PathBuf,
        /// The migration error.
        source: schema::MigrateError,
    },
    /// The file refused WAL mode (it is on a file system without shared memory,
    /// or another process holds it in another mode).
    #[error("{path}: cannot switch to WAL journal mode (SQLite kept {mode:?})")]
    NoWal {
        /// The database file.
        path: PathBuf,
        /// The mode SQLite reported.
        mode: String,
    },
    /// A stored value is not one sundial writes.
    #[error("{path}: {table} row {row}: bad {column} {value:?}")]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// The table read.
        table: &'static str,
        /// The row id or key.
        row: String,
        /// The column holding the bad value.
        column: &'static str,
        /// The value found.
        value: String,
    },
    /// The background sync thread could not be started.
    #[error("{path}: cannot start the sync thread: {source}")]
    Thread {
        /// The database file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The background sync thread failed to make commits durable.
    #[error("{path}: background sync: {message}")]
    Sync {
        /// The database file.
        path: PathBuf,
        /// What failed (fsync or checkpoint), with the OS's or SQLite's words.
        message: String,
    },
    /// `finish_run` named an invocation that has no in-flight run.
    #[error("{path}: no run in flight with invocation id {invocation}")]
    NoSuchRun {
        /// The database file.
        path: PathBuf,
        /// The invocation id given.
        invocation: InvocationId,
    },
}

/// Result of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The SQLite `synchronous` level of the next commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Durability {
    /// fsync at every commit: stamps and runs.
    Full,
    /// fsync only at checkpoints: log batches.
    Normal,
    /// No fsync on this connection at all: the sync thread does them all
    /// (see [`background`]).
    Off,
}

/// The open state database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    sync: Cell<Durability>,
    retention: LogRetention,
    /// Durable writes join one open transaction until `commit`.
    batching: bool,
    /// Set by [`Store::sync_in_background`]; shared with the connections
    /// made by [`Store::another_connection`].
    background: Option<Arc<BackgroundSync>>,
}

impl Store {
    /// Opens (creating if needed) the database at `path`, with its parent
    /// directories, and brings its schema up to date.
    ///
    /// New directories are mode 0700 and a new file 0600: captured output may
    /// hold secrets.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        let path = path.as_ref().to_path_buf();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(parent)
                .map_err(|source| StoreError::CreateDir {
                    path: path.clone(),
                    source,
                })?;
        }
        // Create the file ourselves so that it gets our mode; SQLite would use
        // 0644, and its -wal and -shm files copy the main file's mode.
        fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&path)
            .map_err(|source| StoreError::CreateFile {
                path: path.clone(),
                source,
            })?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn =
            Connection::open_with_flags(&path, flags).map_err(|source| StoreError::Sqlite {
                path: path.clone(),
                op: "open",
                source,
            })?;
        let sqlite = |op| {
            let path = path.clone();
            move |source| StoreError::Sqlite { path, op, source }
        };
        conn.busy_handler(Some(wait_for_lock))
            .map_err(sqlite("set busy handler"))?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(sqlite("set journal mode"))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::NoWal { path, mode });
        }
        conn.execute_batch("PRAGMA synchronous = FULL")
            .map_err(sqlite("set synchronous"))?;
        // A WAL that grew (a flood of log lines) is cut back to this when
        // it starts over, rather than keep its largest size on disk.
        conn.execute_batch(&format!("PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}"))
            .map_err(sqlite("set the WAL size limit"))?;
        schema::migrate_to(&mut conn, schema::VERSION).map_err(|source| StoreError::Schema {
            path: path.clone(),
            source,
        })?;
        Ok(Store {
            conn,
            path,
            sync: Cell::new(Durability::Full),
            retention: LogRetention::default(),
            batching: false,
            background: None,
        })
    }

    /// Opens the database at `path` for reading only, as a client does when
    /// no daemon runs: nothing is created or written, the schema is not
    /// migrated, and the daemon's lock file is not touched.
    ///
    /// A database in WAL mode makes SQLite create its `-wal` and `-shm`
    /// files even for a read-only connection. A daemon that stopped in order
    /// left no `-wal` file, or an empty one (its last checkpoint emptied it):
    /// then all content is in the main file, which is opened `immutable`,
    /// without those files or any locking, unless `writer_may_run` says that
    /// a daemon may be writing (its WAL can be empty between checkpoints).
    /// Otherwise (a daemon that runs, or was killed with commits still in
    /// its WAL) the WAL is read as SQLite reads it, which may mean writing
    /// the `-shm` index, never the data.
    pub fn open_read_only(path: impl AsRef<Path>, writer_may_run: bool) -> Result<Store> {
        let path = path.as_ref().to_path_buf();
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let wal_is_empty = fs::metadata(&wal).map_or(true, |m| m.len() == 0);
        let immutable = wal_is_empty && !writer_may_run;
        let mut uri = String::from("file:");
        for byte in path.as_os_str().as_encoded_bytes() {
            // A URI's path is percent-encoded; `?` and `#` would end it.
            match byte {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                    uri.push(char::from(*byte));
                }
                other => uri.push_str(&format!("%{other:02X}")),
            }
        }
        uri.push_str(if immutable {
            "?mode=ro&immutable=1"
        } else {
            "?mode=ro"
        });
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn =
            Connection::open_with_flags(&uri, flags).map_err(|source| StoreError::Sqlite {
                path: path.clone(),
                op: "open for reading",
                source,
            })?;
        conn.busy_handler(Some(wait_for_lock))
            .map_err(sqlite_at(&path, "set busy handler"))?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let schema_error = |source| StoreError::Schema {
            path: path.clone(),
            source,
        };
        // An older file is read as it is (a table it lacks is an error when
        // asked for); a newer one may mean something this build misreads.
        match schema::version(&conn).map_err(schema_error)? {
            found if found < 0 => return Err(schema_error(schema::MigrateError::Invalid(found))),
            found if found > schema::VERSION => {
                return Err(schema_error(schema::MigrateError::TooNew {
                    found,
                    known: schema::VERSION,
                }))
            }
            _ => {}
        }
        Ok(Store {
            conn,
            path,
            sync: Cell::new(Durability::Full),
            retention: LogRetention::default(),
            batching: false,
            background: None,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The size of the WAL file (0 when there is none).
    pub fn wal_size(&self) -> u64 {
        let mut wal = self.path.as_os_str().to_owned();
        wal.push("-wal");
        fs::metadata(wal).map_or(0, |m| m.len())
    }

    /// `PRAGMA integrity_check`: `["ok"]` for a sound file, else SQLite's findings.
    pub fn integrity_check(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare("PRAGMA integrity_check")
            .map_err(self.sqlite("integrity check"))?;
        let rows = stmt
            .query_map([], |row| row.get(0))
            .map_err(self.sqlite("integrity check"))?;
        rows.collect::<Result<Vec<String>, _>>()
            .map_err(self.sqlite("integrity check"))
    }

    /// Moves the WAL's content into the main file and truncates the WAL (the
    /// daemon calls this at exit; until then the sync thread checkpoints, or
    /// without one SQLite itself every 1000 pages).
    pub fn checkpoint(&mut self) -> Result<()> {
        // A checkpoint writes the main file from the WAL: it must sync both,
        // which a connection that leaves its syncs to the sync thread skips.
        self.set_sync(Durability::Full)?;
        self.conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .map_err(self.sqlite("checkpoint"))
    }

    /// An error mapper naming this store's file and `op`.
    fn sqlite(&self, op: &'static str) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        sqlite_at(&self.path, op)
    }

    /// Gathers the durable writes into one transaction per [`Store::commit`]
    /// (on) or commits each at once (off; what every write did before).
    /// Turning batching off commits what is open.
    pub fn set_batching(&mut self, on: bool) -> Result<()> {
        if !on {
            self.commit()?;
        }
        self.batching = on;
        Ok(())
    }

    /// Whether a batch is open: written rows a commit would make durable.
    pub fn has_pending_writes(&self) -> bool {
        !self.conn.is_autocommit()
    }

    /// Commits the open batch, if any: everything written since the last
    /// commit is durable when this returns. A failed commit rolls the batch
    /// back (the error says so), so that the next write starts afresh.
    pub fn commit(&mut self) -> Result<()> {
        if self.conn.is_autocommit() {
            return Ok(());
        }
        if let Err(source) = self.conn.execute_batch("COMMIT") {
            let _ = self.conn.execute_batch("ROLLBACK");
            return Err(self.sqlite("commit batch")(source));
        }
        self.committed()
    }

    /// Hands the fsyncs and checkpoints to a thread of their own (see
    /// the `background` module): from now on a commit returns once its rows are in the
    /// kernel's page cache, safe from `kill -9`, and the thread makes them
    /// safe from a power loss right after. Commits what is open first.
    pub fn sync_in_background(&mut self) -> Result<()> {
        if self.background.is_some() {
            return Ok(());
        }
        self.commit()?;
        self.set_sync(Durability::Off)?;
        self.background = Some(Arc::new(BackgroundSync::start(&self.path)?));
        self.conn
            .execute_batch("PRAGMA wal_autocheckpoint = 0")
            .map_err(self.sqlite("turn automatic checkpoints off"))
    }

    /// A second connection to the same file, for another thread (the
    /// daemon's log writer): same log limits, and its commits go through the
    /// same sync thread when this store has one.
    pub fn another_connection(&self) -> Result<Store> {
        let mut other = Store::open(&self.path)?;
        other.retention = self.retention;
        if let Some(background) = &self.background {
            other.set_sync(Durability::Off)?;
            other
                .conn
                .execute_batch("PRAGMA wal_autocheckpoint = 0")
                .map_err(other.sqlite("turn automatic checkpoints off"))?;
            other.background = Some(Arc::clone(background));
        }
        Ok(other)
    }

    /// Called after every commit: tells the sync thread, and reports a
    /// failure of its last round.
    fn committed(&self) -> Result<()> {
        let Some(background) = &self.background else {
            return Ok(());
        };
        background.nudge();
        match background.take_error() {
            Some(message) => Err(StoreError::Sync {
                path: self.path.clone(),
                message,
            }),
            None => Ok(()),
        }
    }

    /// Prepares a write of log lines, which commit on their own: an open
    /// batch is committed first, and the level is `synchronous=NORMAL`
    /// (unless the sync thread does the syncs).
    fn prepare_log_write(&mut self) -> Result<()> {
        self.commit()?;
        if self.background.is_some() {
            return Ok(());
        }
        self.set_sync(Durability::Normal)
    }

    /// Whether writes are waiting for [`Store::commit`].
    pub fn has_uncommitted(&self) -> bool {
        !self.conn.is_autocommit()
    }

    /// Prepares a durable write (stamps, runs): `synchronous=FULL` (unless
    /// the sync thread does it), and in batch mode the batch's transaction.
    fn durable(&mut self) -> Result<()> {
        if self.background.is_none() {
            self.set_sync(Durability::Full)?;
        }
        if self.batching && self.conn.is_autocommit() {
            self.conn
                .execute_batch("BEGIN IMMEDIATE")
                .map_err(self.sqlite("begin batch"))?;
        }
        Ok(())
    }

    /// Sets the `synchronous` level for the next commits; a no-op when
    /// unchanged. SQLite refuses the change inside a transaction, so an open
    /// batch is committed first.
    fn set_sync(&mut self, sync: Durability) -> Result<()> {
        if self.sync.get() != sync {
            self.commit()?;
            let sql = match sync {
                Durability::Full => "PRAGMA synchronous = FULL",
                Durability::Normal => "PRAGMA synchronous = NORMAL",
                Durability::Off => "PRAGMA synchronous = OFF",
            };
            self.conn
                .execute_batch(sql)
                .map_err(self.sqlite("set synchronous"))?;
            self.sync.set(sync);
        }
        Ok(())
    }

    /// Runs `f` in one transaction, committed if it succeeds and rolled back if
    /// not; inside an open batch, a savepoint of it. (rusqlite's
    /// `Transaction` borrows the connection, which would keep `f` from
    /// calling the store's own methods.)
    fn in_transaction<T>(
        &mut self,
        op: &'static str,
        f: impl FnOnce(&mut Store) -> Result<T>,
    ) -> Result<T> {
        if !self.conn.is_autocommit() {
            self.conn
                .execute_batch("SAVEPOINT part")
                .map_err(self.sqlite(op))?;
            let result = f(self);
            let end = if result.is_ok() {
                "RELEASE part"
            } else {
                "ROLLBACK TO part; RELEASE part"
            };
            self.conn.execute_batch(end).map_err(self.sqlite(op))?;
            return result;
        }
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(self.sqlite(op))?;
        match f(self) {
            Ok(value) => {
                if let Err(source) = self.conn.execute_batch("COMMIT") {
                    // A failed COMMIT may leave the transaction open; end it so the
                    // next call does not run inside it.
                    let _ = self.conn.execute_batch("ROLLBACK");
                    return Err(self.sqlite(op)(source));
                }
                self.committed()?;
                Ok(value)
            }
            Err(err) => {
                // The error from `f` is the one worth reporting; a failing
                // ROLLBACK means SQLite already rolled back.
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(err)
            }
        }
    }

    fn corrupt(
        &self,
        table: &'static str,
        row: impl ToString,
        column: &'static str,
        value: impl Into<String>,
    ) -> StoreError {
        StoreError::Corrupt {
            path: self.path.clone(),
            table,
            row: row.to_string(),
            column,
            value: value.into(),
        }
    }
}

/// An error mapper naming `path` and `op`, for methods that hold `self.conn`
/// mutably (a transaction) and so can only borrow the path field.
fn sqlite_at<'p>(path: &'p Path, op: &'static str) -> impl Fn(rusqlite::Error) -> StoreError + 'p {
    move |source| StoreError::Sqlite {
        path: path.to_path_buf(),
        op,
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    use sundial_calendar::Timestamp;

    #[test]
    fn open_creates_parents_with_private_modes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/state.db");
        let store = Store::open(&path).unwrap();
        assert_eq!(store.path(), path);
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        assert_eq!(mode(&path), 0o600);
        assert_eq!(store.integrity_check().unwrap(), ["ok"]);
        let journal: String = store
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(journal, "wal");
    }

    #[test]
    fn reopen_keeps_data_and_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        Store::open(&path)
            .unwrap()
            .set_stamp("a.timer", Timestamp::from_secs(7))
            .unwrap();
        let store = Store::open(&path).unwrap();
        assert_eq!(
            store.stamp("a.timer").unwrap(),
            Some(Timestamp::from_secs(7))
        );
        assert_eq!(schema::version(&store.conn).unwrap(), schema::VERSION);
    }

    #[test]
    fn errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        // A directory where the file should be.
        let path = dir.path().join("state.db");
        fs::create_dir(&path).unwrap();
        let err = Store::open(&path).unwrap_err();
        assert!(
            err.to_string().starts_with(&path.display().to_string()),
            "{err}"
        );

        // A parent that is a file.
        let blocker = dir.path().join("file");
        fs::write(&blocker, "x").unwrap();
        let err = Store::open(blocker.join("state.db")).unwrap_err();
        assert!(matches!(err, StoreError::CreateDir { .. }), "{err}");
        assert!(err.to_string().contains("file/state.db"), "{err}");
    }

    fn listing(dir: &Path) -> Vec<(String, u64)> {
        let mut files: Vec<(String, u64)> = fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let len = e.metadata().unwrap().len();
                (e.file_name().to_string_lossy().into_owned(), len)
            })
            .collect();
        files.sort();
        files
    }

    #[test]
    fn read_only_opening_of_a_closed_database_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        {
            let mut store = Store::open(&path).unwrap();
            store.set_stamp("a.timer", Timestamp::from_secs(7)).unwrap();
            store.checkpoint().unwrap();
        }
        let before = listing(dir.path());
        assert_eq!(before, [("state.db".to_owned(), before[0].1)]);
        let mut store = Store::open_read_only(&path, false).unwrap();
        assert_eq!(
            store.stamp("a.timer").unwrap(),
            Some(Timestamp::from_secs(7))
        );
        assert!(store.history(None, 10).unwrap().is_empty());
        assert!(store.set_stamp("b.timer", Timestamp::from_secs(8)).is_err());
        drop(store);
        assert_eq!(listing(dir.path()), before);
        // An empty WAL left behind (by another reader) holds nothing either.
        let wal = dir.path().join("state.db-wal");
        fs::write(&wal, "").unwrap();
        let before = listing(dir.path());
        drop(Store::open_read_only(&path, false).unwrap());
        assert_eq!(listing(dir.path()), before);
    }

    #[test]
    fn read_only_opening_beside_a_writer_sees_its_commits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let mut writer = Store::open(&path).unwrap();
        writer
            .set_stamp("a.timer", Timestamp::from_secs(7))
            .unwrap();
        let reader = Store::open_read_only(&path, true).unwrap();
        assert_eq!(
            reader.stamp("a.timer").unwrap(),
            Some(Timestamp::from_secs(7))
        );
        writer
            .set_stamp("a.timer", Timestamp::from_secs(9))
            .unwrap();
        assert_eq!(
            reader.stamp("a.timer").unwrap(),
            Some(Timestamp::from_secs(9))
        );
    }

    #[test]
    fn read_only_opening_creates_no_file_and_refuses_newer_schemas() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("odd name?#%.db");
        let err = Store::open_read_only(&path, false).unwrap_err();
        assert!(err.to_string().contains("odd name?#%.db"), "{err}");
        assert!(listing(dir.path()).is_empty());
        drop(Store::open(&path).unwrap());
        assert!(Store::open_read_only(&path, false).is_ok());
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA user_version = 99").unwrap();
        drop(conn);
        let err = Store::open_read_only(&path, false).unwrap_err();
        assert!(matches!(err, StoreError::Schema { .. }), "{err}");
    }

    #[test]
    fn not_a_database_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        fs::write(&path, vec![0x5a; 8192]).unwrap();
        let err = Store::open(&path).unwrap_err();
        assert!(err.to_string().contains("state.db"), "{err}");
    }

    #[test]
    fn newer_schema_is_refused_with_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        drop(Store::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA user_version = 99").unwrap();
        drop(conn);
        let err = Store::open(&path).unwrap_err();
        assert!(matches!(err, StoreError::Schema { .. }), "{err}");
        assert!(err.to_string().contains("state.db"), "{err}");
        assert!(err.to_string().contains("99"), "{err}");
    }

    #[test]
    fn two_handles_on_one_file_write_concurrently() {
        // A second process (a CLI reading history, a test) may hold the file
        // while the daemon writes: the busy timeout must serialize writers
        // instead of failing with SQLITE_BUSY.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        drop(Store::open(&path).unwrap());
        let writers: Vec<_> = (0..2u128)
            .map(|w| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let mut store = Store::open(&path).unwrap();
                    for n in 0..50u128 {
                        let trigger = crate::activation::Activation::MANUAL;
                        let run = NewRun {
                            unit: "c.service",
                            invocation: InvocationId::from_u128(w << 64 | n),
                            trigger: &trigger,
                            start: Timestamp::from_usec(n as i64),
                        };
                        store.start_run(&run).unwrap();
                        store.set_stamp(&format!("w{w}.timer"), run.start).unwrap();
                        let line = NewLogLine {
                            unit: "c.service",
                            invocation: Some(run.invocation),
                            stream: Stream::Stdout,
                            at: run.start,
                            line: "x",
                            priority: crate::unit::SyslogLevel::Info,
                        };
                        store.append_logs(&[line; 10]).unwrap();
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.history(None, usize::MAX).unwrap().len(), 100);
        assert_eq!(store.log_usage().unwrap().rows, 1000);
        assert_eq!(store.logs(&LogQuery::default()).unwrap().len(), 1000);
    }

    #[test]
    fn a_batch_is_one_transaction_committed_on_demand() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let mut store = Store::open(&path).unwrap();
        store.set_batching(true).unwrap();
        let other = Store::open(&path).unwrap();
        let trigger = crate::activation::Activation::MANUAL;
        let run = |n: u128| NewRun {
            unit: "b.service",
            invocation: InvocationId::from_u128(n),
            trigger: &trigger,
            start: Timestamp::from_secs(n as i64),
        };
        store.start_run(&run(1)).unwrap();
        store.set_stamp("b.timer", Timestamp::from_secs(1)).unwrap();
        let outcome = RunOutcome {
            result: RunResult::Success,
            status: Some(ExitStatus::Code(0)),
        };
        store
            .finish_run(InvocationId::from_u128(1), Timestamp::from_secs(2), outcome)
            .unwrap();
        // A run recorded at once nests in the batch (a savepoint) ...
        store
            .record_run(&run(2), Timestamp::from_secs(2), outcome)
            .unwrap();
        // ... and a failed write leaves the rest of the batch alone.
        assert!(matches!(
            store.finish_run(InvocationId::from_u128(9), Timestamp::from_secs(2), outcome),
            Err(StoreError::NoSuchRun { .. })
        ));
        assert!(store.has_uncommitted());
        // The owner sees its writes; another connection does not, yet.
        assert_eq!(store.history(None, 10).unwrap().len(), 2);
        assert!(other.history(None, 10).unwrap().is_empty());
        assert_eq!(other.stamp("b.timer").unwrap(), None);
        store.commit().unwrap();
        assert!(!store.has_uncommitted());
        assert_eq!(other.history(None, 10).unwrap().len(), 2);
        assert_eq!(
            other.stamp("b.timer").unwrap(),
            Some(Timestamp::from_secs(1))
        );
        // Committing with nothing open is a no-op.
        store.commit().unwrap();
    }

    #[test]
    fn log_lines_and_the_end_of_batching_commit_the_open_batch() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let mut store = Store::open(&path).unwrap();
        let other = Store::open(&path).unwrap();
        store.set_batching(true).unwrap();
        store.set_stamp("l.timer", Timestamp::from_secs(5)).unwrap();
        // Log lines commit with another synchronous level, which SQLite
        // cannot change inside a transaction: the batch goes first.
        store
            .append_logs(&[NewLogLine {
                unit: "l.service",
                invocation: None,
                stream: Stream::Stdout,
                at: Timestamp::from_secs(5),
                line: "x",
                priority: crate::unit::SyslogLevel::Info,
            }])
            .unwrap();
        assert_eq!(
            other.stamp("l.timer").unwrap(),
            Some(Timestamp::from_secs(5))
        );
        store.set_stamp("l.timer", Timestamp::from_secs(6)).unwrap();
        store.set_batching(false).unwrap();
        assert_eq!(
            other.stamp("l.timer").unwrap(),
            Some(Timestamp::from_secs(6))
        );
        // Without batching each write commits at once again.
        store.set_stamp("l.timer", Timestamp::from_secs(7)).unwrap();
        assert!(!store.has_uncommitted());
        assert_eq!(
            other.stamp("l.timer").unwrap(),
            Some(Timestamp::from_secs(7))
        );
    }

    /// Builds a file at each older version with rows that version can hold, then
    /// checks that opening it migrates to the current version and keeps them.
    #[test]
    fn upgrades_from_every_older_version_keep_data() {
        for old in 0..schema::VERSION {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("state.db");
            {
                let mut conn = Connection::open(&path).unwrap();
                schema::migrate_to(&mut conn, old).unwrap();
                if old >= 1 {
                    conn.execute_batch(
                        "INSERT INTO timer_stamps VALUES ('old.timer', 1000000);
                         INSERT INTO runs (invocation, unit, trigger, start_usec, end_usec,
                                           result, exit_code)
                         VALUES ('0123456789abcdef0123456789abcdef', 'old.service',
                                 'timer:old.timer', 1000000, 2000000, 'exit-code', 3);",
                    )
                    .unwrap();
                }
                if old >= 2 {
                    conn.execute_batch(
                        "INSERT INTO logs (unit, invocation, stream, ts_usec, line)
                         VALUES ('old.service', '0123456789abcdef0123456789abcdef', 1,
                                 1500000, 'hello');
                         UPDATE log_totals SET rows = 1, bytes = 5;",
                    )
                    .unwrap();
                }
            }
            let mut store = Store::open(&path).unwrap();
            assert_eq!(schema::version(&store.conn).unwrap(), schema::VERSION);
            if old >= 1 {
                assert_eq!(
                    store.stamp("old.timer").unwrap(),
                    Some(Timestamp::from_secs(1))
                );
                let runs = store.history(Some("old.service"), 10).unwrap();
                assert_eq!(runs.len(), 1, "from version {old}");
                assert_eq!(runs[0].outcome.unwrap().status, Some(ExitStatus::Code(3)));
            }
            if old >= 2 {
                let lines = store.logs(&LogQuery::default()).unwrap();
                assert_eq!(lines.len(), 1);
                assert_eq!(lines[0].line, "hello");
            }
            // Every table of the current version is usable after the upgrade.
            let stamp = MonotonicStamp {
                boot_id: "b".into(),
                monotonic_usec: 5,
                realtime: Timestamp::from_secs(9),
            };
            store.set_monotonic_stamp("new.timer", &stamp).unwrap();
            store
                .add_transient(&TransientUnit {
                    unit: "run-new.service".into(),
                    text: "[Service]\nExecStart=/bin/true\n".into(),
                    boot_id: "b".into(),
                    created_realtime: Timestamp::from_secs(9),
                    created_monotonic_usec: 1,
                    created_boottime_usec: 1,
                })
                .unwrap();
            store
                .append_logs(&[NewLogLine {
                    unit: "new.service",
                    invocation: None,
                    stream: Stream::Stdout,
                    at: Timestamp::from_secs(3),
                    line: "x",
                    priority: crate::unit::SyslogLevel::Info,
                }])
                .unwrap();
            assert_eq!(store.integrity_check().unwrap(), ["ok"]);
        }
    }
}
