//! The record of the last daemon on this database: its pid, socket and unit
//! directories, when it started and when it stopped. A client that finds no
//! daemon reads it (see [`Store::open_read_only`]) to look at the same unit
//! files and to say when the daemon stopped, as journalctl reads the journal
//! without systemd.

use std::path::PathBuf;

use rusqlite::{params, OptionalExtension};
use sundial_calendar::Timestamp;

use super::{Result, Store};

/// The daemon that last used the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaemonRecord {
    /// Its process id.
    pub pid: u32,
    /// Its control socket.
    pub socket: PathBuf,
    /// The directories it read unit files from, in order (its transient and
    /// crontab units' directories included).
    pub unit_path: Vec<PathBuf>,
    /// When it started.
    pub started: Timestamp,
    /// When it stopped in order; `None` while it runs, or after it was
    /// killed or crashed.
    pub stopped: Option<Timestamp>,
}

impl Store {
    /// Records a daemon that starts now, replacing the last one's record;
    /// durable once the batch is committed (at once without batching).
    pub fn set_daemon_started(&mut self, record: &DaemonRecord) -> Result<()> {
        let unit_path: Vec<String> = record
            .unit_path
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        let unit_path = serde_json::to_string(&unit_path).expect("a list of strings serializes");
        self.durable()?;
        self.conn
            .prepare_cached(
                "INSERT OR REPLACE INTO daemon
                     (id, pid, socket, unit_path, started_usec, stopped_usec)
                 VALUES (0, ?1, ?2, ?3, ?4, ?5)",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    record.pid,
                    record.socket.display().to_string(),
                    unit_path,
                    record.started.as_usec(),
                    record.stopped.map(Timestamp::as_usec),
                ])
            })
            .map_err(self.sqlite("record the daemon"))?;
        Ok(())
    }

    /// Records that the daemon stops in order at `at`.
    pub fn set_daemon_stopped(&mut self, at: Timestamp) -> Result<()> {
        self.durable()?;
        self.conn
            .prepare_cached("UPDATE daemon SET stopped_usec = ?1 WHERE id = 0")
            .and_then(|mut stmt| stmt.execute([at.as_usec()]))
            .map_err(self.sqlite("record the daemon's stop"))?;
        Ok(())
    }

    /// The last daemon's record; `None` when no daemon of this version has
    /// run on the database (a file of an older version has no such table).
    pub fn daemon_record(&self) -> Result<Option<DaemonRecord>> {
        let err = self.sqlite("read the daemon's record");
        let has_table: bool = self
            .conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'daemon')",
            )
            .and_then(|mut stmt| stmt.query_row([], |row| row.get(0)))
            .map_err(&err)?;
        if !has_table {
            return Ok(None);
        }
        let raw: Option<(i64, String, String, i64, Option<i64>)> = self
            .conn
            .prepare_cached(
                "SELECT pid, socket, unit_path, started_usec, stopped_usec FROM daemon WHERE id = 0",
            )
            .and_then(|mut stmt| {
                stmt.query_row([], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?))
                })
                .optional()
            })
            .map_err(&err)?;
        let Some((pid, socket, unit_path, started, stopped)) = raw else {
            return Ok(None);
        };
        let pid =
            u32::try_from(pid).map_err(|_| self.corrupt("daemon", 0, "pid", pid.to_string()))?;
        let unit_path: Vec<String> = serde_json::from_str(&unit_path)
            .map_err(|_| self.corrupt("daemon", 0, "unit_path", unit_path.clone()))?;
        Ok(Some(DaemonRecord {
            pid,
            socket: PathBuf::from(socket),
            unit_path: unit_path.into_iter().map(PathBuf::from).collect(),
            started: Timestamp::from_usec(started),
            stopped: stopped.map(Timestamp::from_usec),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> DaemonRecord {
        DaemonRecord {
            pid: 42,
            socket: "/run/user/1000/sundial/control.sock".into(),
            unit_path: vec![
                "/run/x/transient".into(),
                "/home/ann/.config/sundial/user".into(),
            ],
            started: Timestamp::from_secs(100),
            stopped: None,
        }
    }

    #[test]
    fn the_record_is_replaced_at_each_start_and_stamped_at_the_stop() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("state.db")).unwrap();
        assert_eq!(store.daemon_record().unwrap(), None);
        store.set_daemon_started(&record()).unwrap();
        assert_eq!(store.daemon_record().unwrap(), Some(record()));
        store.set_daemon_stopped(Timestamp::from_secs(200)).unwrap();
        let stopped = store.daemon_record().unwrap().unwrap();
        assert_eq!(stopped.stopped, Some(Timestamp::from_secs(200)));
        let next = DaemonRecord {
            pid: 43,
            started: Timestamp::from_secs(300),
            ..record()
        };
        store.set_daemon_started(&next).unwrap();
        assert_eq!(store.daemon_record().unwrap(), Some(next));
    }
}
