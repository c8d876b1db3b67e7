//! Persistent= stamps: when each timer last triggered.
//!
//! systemd keeps the realtime of a calendar timer's last trigger in a stamp file
//! and, after downtime, fires once if an elapse was missed. sundial keeps the same
//! value here. The `X-Sundial-PersistentMonotonic=` extension does the same for
//! monotonic timers, which needs the monotonic clock reading and the boot it
//! belongs to (a monotonic value from another boot means nothing), plus the
//! realtime of the same instant to measure across reboots.

use rusqlite::{params, OptionalExtension};
use sundial_calendar::Timestamp;

use super::{Result, Store};

/// The last trigger of a monotonic timer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonotonicStamp {
    /// The boot the monotonic reading belongs to (`/proc/sys/kernel/random/boot_id`).
    pub boot_id: String,
    /// CLOCK_MONOTONIC (or BOOTTIME) at the trigger, µs.
    pub monotonic_usec: u64,
    /// The realtime clock at the same instant.
    pub realtime: Timestamp,
}

impl Store {
    /// The realtime of `timer`'s last trigger, if it ever triggered.
    pub fn stamp(&self, timer: &str) -> Result<Option<Timestamp>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT last_trigger_usec FROM timer_stamps WHERE timer = ?1")
            .map_err(self.sqlite("read stamp"))?;
        let usec: Option<i64> = stmt
            .query_row([timer], |row| row.get(0))
            .optional()
            .map_err(self.sqlite("read stamp"))?;
        Ok(usec.map(Timestamp::from_usec))
    }

    /// Every realtime stamp, by timer name.
    pub fn stamps(&self) -> Result<Vec<(String, Timestamp)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT timer, last_trigger_usec FROM timer_stamps ORDER BY timer")
            .map_err(self.sqlite("read stamps"))?;
        let rows = stmt
            .query_map([], |row| {
                Ok((row.get(0)?, Timestamp::from_usec(row.get(1)?)))
            })
            .map_err(self.sqlite("read stamps"))?;
        rows.collect::<Result<_, _>>()
            .map_err(self.sqlite("read stamps"))
    }

    /// Records that `timer` triggered at `at`; durable when this returns.
    ///
    /// The daemon calls this before it starts the service, as systemd touches the
    /// stamp file first: a crash in between then skips one run rather than
    /// running it twice.
    pub fn set_stamp(&mut self, timer: &str, at: Timestamp) -> Result<()> {
        self.durable()?;
        let mut stmt = self
            .conn
            .prepare_cached(
                "INSERT INTO timer_stamps (timer, last_trigger_usec) VALUES (?1, ?2)
                 ON CONFLICT (timer) DO UPDATE SET last_trigger_usec = excluded.last_trigger_usec",
            )
            .map_err(self.sqlite("write stamp"))?;
        stmt.execute(params![timer, at.as_usec()])
            .map_err(self.sqlite("write stamp"))?;
        Ok(())
    }

    /// The monotonic stamp of `timer`, if any.
    pub fn monotonic_stamp(&self, timer: &str) -> Result<Option<MonotonicStamp>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT boot_id, monotonic_usec, realtime_usec
                 FROM timer_monotonic_stamps WHERE timer = ?1",
            )
            .map_err(self.sqlite("read monotonic stamp"))?;
        let found: Option<(String, i64, i64)> = stmt
            .query_row([timer], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .optional()
            .map_err(self.sqlite("read monotonic stamp"))?;
        found
            .map(|(boot_id, mono, real)| {
                let monotonic_usec = u64::try_from(mono).map_err(|_| {
                    self.corrupt(
                        "timer_monotonic_stamps",
                        timer,
                        "monotonic_usec",
                        mono.to_string(),
                    )
                })?;
                Ok(MonotonicStamp {
                    boot_id,
                    monotonic_usec,
                    realtime: Timestamp::from_usec(real),
                })
            })
            .transpose()
    }

    /// Records `timer`'s monotonic trigger; durable when this returns.
    pub fn set_monotonic_stamp(&mut self, timer: &str, stamp: &MonotonicStamp) -> Result<()> {
        // SQLite integers are i64; a monotonic clock would need 292,000 years of
        // uptime to pass that, so saturating cannot happen in practice.
        let mono = i64::try_from(stamp.monotonic_usec).unwrap_or(i64::MAX);
        self.durable()?;
        let mut stmt = self
            .conn
            .prepare_cached(
                "INSERT INTO timer_monotonic_stamps (timer, boot_id, monotonic_usec, realtime_usec)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (timer) DO UPDATE SET boot_id = excluded.boot_id,
                     monotonic_usec = excluded.monotonic_usec,
                     realtime_usec = excluded.realtime_usec",
            )
            .map_err(self.sqlite("write monotonic stamp"))?;
        stmt.execute(params![
            timer,
            stamp.boot_id,
            mono,
            stamp.realtime.as_usec()
        ])
        .map_err(self.sqlite("write monotonic stamp"))?;
        Ok(())
    }

    /// Forgets both stamps of `timer` (`systemctl clean --what=state`); returns
    /// whether there was one.
    pub fn remove_stamps(&mut self, timer: &str) -> Result<bool> {
        self.durable()?;
        self.in_transaction("remove stamps", |store| {
            let mut removed = 0;
            for sql in [
                "DELETE FROM timer_stamps WHERE timer = ?1",
                "DELETE FROM timer_monotonic_stamps WHERE timer = ?1",
            ] {
                removed += store
                    .conn
                    .prepare_cached(sql)
                    .and_then(|mut stmt| stmt.execute([timer]))
                    .map_err(store.sqlite("remove stamps"))?;
            }
            Ok(removed > 0)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("state.db")).unwrap();
        (dir, store)
    }

    #[test]
    fn realtime_stamp_round_trip_and_overwrite() {
        let (_dir, mut store) = store();
        assert_eq!(store.stamp("a.timer").unwrap(), None);
        store
            .set_stamp("a.timer", Timestamp::from_usec(1_700_000_000_123_456))
            .unwrap();
        store.set_stamp("b.timer", Timestamp::from_secs(5)).unwrap();
        store
            .set_stamp("a.timer", Timestamp::from_usec(1_700_000_100_000_001))
            .unwrap();
        assert_eq!(
            store.stamp("a.timer").unwrap(),
            Some(Timestamp::from_usec(1_700_000_100_000_001))
        );
        assert_eq!(
            store.stamps().unwrap(),
            [
                (
                    "a.timer".to_string(),
                    Timestamp::from_usec(1_700_000_100_000_001)
                ),
                ("b.timer".to_string(), Timestamp::from_secs(5)),
            ]
        );
    }

    #[test]
    fn monotonic_stamp_round_trip() {
        let (_dir, mut store) = store();
        assert_eq!(store.monotonic_stamp("m.timer").unwrap(), None);
        let stamp = MonotonicStamp {
            boot_id: "6f1c0ffee".into(),
            monotonic_usec: 12_345_678,
            realtime: Timestamp::from_secs(1_700_000_000),
        };
        store.set_monotonic_stamp("m.timer", &stamp).unwrap();
        assert_eq!(
            store.monotonic_stamp("m.timer").unwrap(),
            Some(stamp.clone())
        );
        let later = MonotonicStamp {
            monotonic_usec: 99,
            boot_id: "other-boot".into(),
            ..stamp
        };
        store.set_monotonic_stamp("m.timer", &later).unwrap();
        assert_eq!(store.monotonic_stamp("m.timer").unwrap(), Some(later));
        // The realtime stamp table is separate.
        assert_eq!(store.stamp("m.timer").unwrap(), None);
    }

    #[test]
    fn remove_stamps_clears_both_kinds() {
        let (_dir, mut store) = store();
        assert!(!store.remove_stamps("x.timer").unwrap());
        store.set_stamp("x.timer", Timestamp::from_secs(1)).unwrap();
        store
            .set_monotonic_stamp(
                "x.timer",
                &MonotonicStamp {
                    boot_id: "b".into(),
                    monotonic_usec: 1,
                    realtime: Timestamp::from_secs(1),
                },
            )
            .unwrap();
        assert!(store.remove_stamps("x.timer").unwrap());
        assert_eq!(store.stamp("x.timer").unwrap(), None);
        assert_eq!(store.monotonic_stamp("x.timer").unwrap(), None);
    }

    #[test]
    fn negative_monotonic_value_is_reported_as_corrupt() {
        let (_dir, store) = store();
        store
            .conn
            .execute_batch("INSERT INTO timer_monotonic_stamps VALUES ('bad.timer', 'b', -1, 0)")
            .unwrap();
        let err = store.monotonic_stamp("bad.timer").unwrap_err();
        assert!(err.to_string().contains("bad.timer"), "{err}");
        assert!(err.to_string().contains("monotonic_usec"), "{err}");
    }
}
