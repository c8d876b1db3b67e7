//! The versioned schema of the state database.
//!
//! The schema is the sequence of [`MIGRATIONS`]: version `n` is what the first `n`
//! steps build, and `PRAGMA user_version` records how many have run. Opening a
//! database runs the missing steps, each in its own transaction together with the
//! `user_version` bump, so a crash between two steps leaves a valid older version
//! that the next open continues from. Steps are append-only: a released step is
//! never edited, a change is a new step.

use rusqlite::Connection;

/// One step from version `n` to `n + 1`.
#[derive(Debug)]
pub struct Migration {
    /// What the step does, for error messages.
    pub what: &'static str,
    /// The SQL run in one transaction.
    pub sql: &'static str,
}

/// Every step, oldest first; the schema version is the number of steps run.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        what: "timer stamps and run history",
        sql: "
            CREATE TABLE timer_stamps (
                timer TEXT PRIMARY KEY NOT NULL,
                last_trigger_usec INTEGER NOT NULL
            ) WITHOUT ROWID;
            CREATE TABLE runs (
                id INTEGER PRIMARY KEY,
                invocation TEXT NOT NULL UNIQUE,
                unit TEXT NOT NULL,
                trigger TEXT NOT NULL,
                start_usec INTEGER NOT NULL,
                end_usec INTEGER,
                result TEXT,
                exit_code INTEGER,
                signal INTEGER
            );
            CREATE INDEX runs_by_unit ON runs (unit, id);
        ",
    },
    Migration {
        what: "captured log lines",
        sql: "
            CREATE TABLE logs (
                id INTEGER PRIMARY KEY,
                unit TEXT NOT NULL,
                invocation TEXT,
                stream INTEGER NOT NULL,
                ts_usec INTEGER NOT NULL,
                line TEXT NOT NULL
            );
            CREATE INDEX logs_by_unit ON logs (unit, id);
            CREATE INDEX logs_by_invocation ON logs (invocation) WHERE invocation IS NOT NULL;
            CREATE INDEX logs_by_time ON logs (ts_usec);
            -- Running totals so that size limits are checked without scanning the table.
            CREATE TABLE log_totals (
                id INTEGER PRIMARY KEY CHECK (id = 0),
                rows INTEGER NOT NULL,
                bytes INTEGER NOT NULL
            );
            INSERT INTO log_totals (id, rows, bytes) VALUES (0, 0, 0);
        ",
    },
    Migration {
        what: "monotonic stamps (X-Sundial-PersistentMonotonic)",
        sql: "
            CREATE TABLE timer_monotonic_stamps (
                timer TEXT PRIMARY KEY NOT NULL,
                boot_id TEXT NOT NULL,
                monotonic_usec INTEGER NOT NULL,
                realtime_usec INTEGER NOT NULL
            ) WITHOUT ROWID;
        ",
    },
    Migration {
        what: "transient units (sundial run)",
        sql: "
            CREATE TABLE transient_units (
                unit TEXT PRIMARY KEY NOT NULL,
                text TEXT NOT NULL,
                boot_id TEXT NOT NULL,
                created_realtime_usec INTEGER NOT NULL,
                created_monotonic_usec INTEGER NOT NULL,
                created_boottime_usec INTEGER NOT NULL
            ) WITHOUT ROWID;
        ",
    },
    Migration {
        what: "the daemon's record (read by clients when it is not running)",
        sql: "
            -- One row: the last daemon on this database, its socket and unit
            -- directories, when it started and when it stopped.
            CREATE TABLE daemon (
                id INTEGER PRIMARY KEY CHECK (id = 0),
                pid INTEGER NOT NULL,
                socket TEXT NOT NULL,
                unit_path TEXT NOT NULL,
                started_usec INTEGER NOT NULL,
                stopped_usec INTEGER
            );
        ",
    },
    Migration {
        what: "log line priorities (journalctl -p)",
        sql: "
            -- syslog's 0 (emerg) .. 7 (debug); lines written before had
            -- journald's default for a service's output, info.
            ALTER TABLE logs ADD COLUMN priority INTEGER NOT NULL DEFAULT 6;
        ",
    },
    Migration {
        what: "the storage cost of log lines (size limits count rows, not only text)",
        sql: "
            -- What the rows take in the file, estimated per row as
            -- logs::ROW_COST_SQL does (the expression is repeated here, as a
            -- step never changes).
            ALTER TABLE log_totals ADD COLUMN cost INTEGER NOT NULL DEFAULT 0;
            UPDATE log_totals SET cost = (
                SELECT coalesce(sum(length(CAST(line AS BLOB)) * 5 / 4
                    + 2 * length(CAST(unit AS BLOB))
                    + CASE WHEN invocation IS NULL THEN 0 ELSE 2 * length(invocation) + 16 END
                    + 60), 0)
                FROM logs
            ) WHERE id = 0;
        ",
    },
    Migration {
        what: "the processes of runs in flight (adopted after a crash)",
        sql: "
            -- The main and control process of each service's run in flight,
            -- written in the batch that records the start: what a daemon
            -- restarted after a crash adopts or ends. start_ticks is field 22
            -- of /proc/PID/stat, which tells the process from a later one
            -- that was given the same pid.
            CREATE TABLE run_processes (
                unit TEXT NOT NULL,
                role TEXT NOT NULL CHECK (role IN ('main', 'control')),
                invocation TEXT NOT NULL,
                directive TEXT NOT NULL,
                command_index INTEGER NOT NULL,
                sub_state TEXT NOT NULL,
                pid INTEGER NOT NULL,
                start_ticks INTEGER NOT NULL,
                session INTEGER,
                cgroup_procs TEXT,
                PRIMARY KEY (unit, role)
            ) WITHOUT ROWID;
        ",
    },
    Migration {
        what: "each run's peak memory and CPU time",
        sql: "
            -- From the run's cgroups as it ended: memory.peak (v2) or
            -- memory.max_usage_in_bytes (v1) in bytes, cpu.stat's
            -- usage_usec (v2) or cpuacct.usage (v1) in microseconds; NULL
            -- where no controller counted them.
            ALTER TABLE runs ADD COLUMN memory_peak INTEGER;
            ALTER TABLE runs ADD COLUMN cpu_usec INTEGER;
        ",
    },
];

/// The first version whose `logs` rows have a `priority`: a file an older
/// daemon left, read without migrating it, has none.
pub const LOG_PRIORITIES: i64 = 6;

/// The schema version this build writes.
pub const VERSION: i64 = MIGRATIONS.len() as i64;

/// Why the schema could not be brought up to date.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The file was written by a newer sundial; running old code on it could
    /// misread or damage what the newer version stored.
    #[error(
        "schema version {found} is newer than the {known} this sundial knows; refusing to use it"
    )]
    TooNew {
        /// `PRAGMA user_version` of the file.
        found: i64,
        /// [`VERSION`].
        known: i64,
    },
    /// `user_version` is negative: not a file sundial wrote.
    #[error("schema version {0} is not one sundial writes")]
    Invalid(i64),
    /// A step failed; the file stays at `from`.
    #[error("migration {from} -> {} ({what}): {source}", from + 1)]
    Step {
        /// The version the step started from.
        from: i64,
        /// [`Migration::what`].
        what: &'static str,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// Reading `user_version` failed.
    #[error("cannot read the schema version: {0}")]
    Read(#[source] rusqlite::Error),
}

/// The `user_version` of `conn`.
pub fn version(conn: &Connection) -> Result<i64, MigrateError> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(MigrateError::Read)
}

/// Runs the missing steps up to `target` (normally [`VERSION`]); returns the
/// version found before.
pub fn migrate_to(conn: &mut Connection, target: i64) -> Result<i64, MigrateError> {
    let found = version(conn)?;
    if found < 0 {
        return Err(MigrateError::Invalid(found));
    }
    if found > VERSION {
        return Err(MigrateError::TooNew {
            found,
            known: VERSION,
        });
    }
    for from in found..target.min(VERSION) {
        let step = &MIGRATIONS[usize::try_from(from).expect("0 <= from < VERSION")];
        let fail = |source| MigrateError::Step {
            from,
            what: step.what,
            source,
        };
        // IMMEDIATE takes the write lock at once, so two processes opening the same
        // file cannot both run a step: the second waits (busy_timeout), then sees
        // the new version and skips it.
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(fail)?;
        let now = version(&tx)?;
        if now != from {
            // Another process migrated meanwhile; start over from what it left.
            drop(tx);
            return migrate_to(conn, target).map(|_| found);
        }
        tx.execute_batch(step.sql).map_err(fail)?;
        // PRAGMA takes no parameters; `from + 1` is an integer we computed.
        tx.execute_batch(&format!("PRAGMA user_version = {}", from + 1))
            .map_err(fail)?;
        tx.commit().map_err(fail)?;
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_priorities_come_with_their_step() {
        let step = &MIGRATIONS[usize::try_from(LOG_PRIORITIES - 1).unwrap()];
        assert!(step.sql.contains("ADD COLUMN priority"), "{}", step.what);
    }

    fn tables(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn empty_database_reaches_current_version() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(migrate_to(&mut conn, VERSION).unwrap(), 0);
        assert_eq!(version(&conn).unwrap(), VERSION);
        assert_eq!(
            tables(&conn),
            [
                "daemon",
                "log_totals",
                "logs",
                "run_processes",
                "runs",
                "timer_monotonic_stamps",
                "timer_stamps",
                "transient_units"
            ]
        );
        // A second run finds nothing to do.
        assert_eq!(migrate_to(&mut conn, VERSION).unwrap(), VERSION);
    }

    #[test]
    fn each_step_reaches_its_version_and_continues() {
        for start in 0..=VERSION {
            let mut conn = Connection::open_in_memory().unwrap();
            migrate_to(&mut conn, start).unwrap();
            assert_eq!(version(&conn).unwrap(), start);
            assert_eq!(migrate_to(&mut conn, VERSION).unwrap(), start);
            assert_eq!(version(&conn).unwrap(), VERSION);
        }
    }

    #[test]
    fn newer_file_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(&format!("PRAGMA user_version = {}", VERSION + 1))
            .unwrap();
        let err = migrate_to(&mut conn, VERSION).unwrap_err();
        assert!(matches!(err, MigrateError::TooNew { found, .. } if found == VERSION + 1));
        assert!(err.to_string().contains("newer"), "{err}");
    }

    #[test]
    fn negative_version_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("PRAGMA user_version = -3").unwrap();
        assert!(matches!(
            migrate_to(&mut conn, VERSION),
            Err(MigrateError::Invalid(-3))
        ));
    }

    #[test]
    fn failed_step_leaves_the_older_version() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, 1).unwrap();
        // A table in the way of step 2 makes it fail half-way; the transaction
        // must leave neither the step's other tables nor a bumped version.
        conn.execute_batch("CREATE TABLE log_totals (x)").unwrap();
        let err = migrate_to(&mut conn, VERSION).unwrap_err();
        assert!(matches!(err, MigrateError::Step { from: 1, .. }), "{err}");
        assert!(err.to_string().contains("migration 1 -> 2"), "{err}");
        assert_eq!(version(&conn).unwrap(), 1);
        assert!(!tables(&conn).contains(&"logs".to_string()));
    }
}
