//! Transient units (`sundial run`): their unit files and when they were
//! made, kept until they are done so that a restarted daemon has them again.
//!
//! The creation time is kept on all three clocks with the boot it belongs
//! to: a transient timer's `OnActiveSec=` counts from it, and a monotonic
//! reading means something only in its own boot.

use rusqlite::params;
use sundial_calendar::Timestamp;

use super::{Result, Store};

/// One transient unit as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransientUnit {
    /// Its name (`run-….service`, `run-….timer`).
    pub unit: String,
    /// Its unit file.
    pub text: String,
    /// The boot it was made in (`/proc/sys/kernel/random/boot_id`).
    pub boot_id: String,
    /// The wall clock when it was made.
    pub created_realtime: Timestamp,
    /// CLOCK_MONOTONIC then, µs.
    pub created_monotonic_usec: u64,
    /// CLOCK_BOOTTIME then, µs.
    pub created_boottime_usec: u64,
}

impl Store {
    /// Records a new transient unit; durable once the batch is committed
    /// (at once without batching). A unit of that name already stored is an
    /// error.
    pub fn add_transient(&mut self, unit: &TransientUnit) -> Result<()> {
        // SQLite integers are i64; the clocks would need 292,000 years of
        // uptime to leave that range.
        let usec = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        self.durable()?;
        let mut stmt = self
            .conn
            .prepare_cached(
                "INSERT INTO transient_units (unit, text, boot_id, created_realtime_usec,
                     created_monotonic_usec, created_boottime_usec)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .map_err(self.sqlite("add transient unit"))?;
        stmt.execute(params![
            unit.unit,
            unit.text,
            unit.boot_id,
            unit.created_realtime.as_usec(),
            usec(unit.created_monotonic_usec),
            usec(unit.created_boottime_usec),
        ])
        .map_err(self.sqlite("add transient unit"))?;
        Ok(())
    }

    /// Every transient unit, by name.
    pub fn transient_units(&self) -> Result<Vec<TransientUnit>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT unit, text, boot_id, created_realtime_usec, created_monotonic_usec,
                     created_boottime_usec
                 FROM transient_units ORDER BY unit",
            )
            .map_err(self.sqlite("read transient units"))?;
        let rows = stmt
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, i64>(3)?,
                    row.get::<_, i64>(4)?,
                    row.get::<_, i64>(5)?,
                ))
            })
            .map_err(self.sqlite("read transient units"))?;
        let mut units = Vec::new();
        for row in rows {
            let (unit, text, boot_id, real, mono, boot) =
                row.map_err(self.sqlite("read transient units"))?;
            let clock = |value: i64, column| {
                u64::try_from(value)
                    .map_err(|_| self.corrupt("transient_units", &unit, column, value.to_string()))
            };
            units.push(TransientUnit {
                created_monotonic_usec: clock(mono, "created_monotonic_usec")?,
                created_boottime_usec: clock(boot, "created_boottime_usec")?,
                created_realtime: Timestamp::from_usec(real),
                unit,
                text,
                boot_id,
            });
        }
        Ok(units)
    }

    /// Forgets a transient unit that is done; returns whether it was stored.
    pub fn remove_transient(&mut self, unit: &str) -> Result<bool> {
        self.durable()?;
        let removed = self
            .conn
            .prepare_cached("DELETE FROM transient_units WHERE unit = ?1")
            .and_then(|mut stmt| stmt.execute([unit]))
            .map_err(self.sqlite("remove transient unit"))?;
        Ok(removed > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(name: &str) -> TransientUnit {
        TransientUnit {
            unit: name.into(),
            text: format!("[Service]\nExecStart=/bin/echo {name}\n"),
            boot_id: "boot-a".into(),
            created_realtime: Timestamp::from_secs(1_700_000_000),
            created_monotonic_usec: 5_000_000,
            created_boottime_usec: 7_000_000,
        }
    }

    #[test]
    fn units_are_kept_until_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let mut store = Store::open(&path).unwrap();
        store.add_transient(&unit("run-b.service")).unwrap();
        store.add_transient(&unit("run-a.timer")).unwrap();
        // A second unit of the same name is refused, the first kept.
        let mut again = unit("run-b.service");
        again.text = "[Service]\nExecStart=/bin/false\n".into();
        assert!(store.add_transient(&again).is_err());
        drop(store);
        let mut store = Store::open(&path).unwrap();
        assert_eq!(
            store.transient_units().unwrap(),
            [unit("run-a.timer"), unit("run-b.service")]
        );
        assert!(store.remove_transient("run-a.timer").unwrap());
        assert!(!store.remove_transient("run-a.timer").unwrap());
        assert_eq!(store.transient_units().unwrap(), [unit("run-b.service")]);
    }

    #[test]
    fn a_batch_keeps_them_until_it_is_committed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let mut store = Store::open(&path).unwrap();
        let other = Store::open(&path).unwrap();
        store.set_batching(true).unwrap();
        store.add_transient(&unit("run-c.service")).unwrap();
        assert!(other.transient_units().unwrap().is_empty());
        store.commit().unwrap();
        assert_eq!(other.transient_units().unwrap().len(), 1);
    }

    #[test]
    fn a_negative_clock_reading_is_reported_as_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("state.db")).unwrap();
        store
            .conn
            .execute_batch("INSERT INTO transient_units VALUES ('run-d.timer', 'x', 'b', 0, -1, 0)")
            .unwrap();
        let err = store.transient_units().unwrap_err();
        assert!(err.to_string().contains("run-d.timer"), "{err}");
        assert!(err.to_string().contains("created_monotonic_usec"), "{err}");
    }
}
