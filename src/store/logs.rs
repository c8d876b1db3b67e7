//! Captured output of services: one row per line.
//!
//! Lines arrive in batches ([`Store::append_logs`], one transaction each). The row
//! id is the cursor: it grows with every line, so `logs -f` asks for rows after
//! the last cursor it saw. Retention keeps the table within a row count, a byte
//! count and an age, deleting the oldest rows in bounded batches so that
//! pruning never holds the write lock for long.
//!
//! The byte count is what the rows cost in the file, not only their text: a
//! one-byte line takes some 165 bytes with its unit, invocation id, columns
//! and three index entries, so counting text alone let a flood of short
//! lines grow the file to many times its limit. [`row_cost`] estimates it
//! (measured on this schema); SQLite reuses the pages that pruning frees, so
//! the file stays near the limit.

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter};
use serde::{Deserialize, Serialize};
use sundial_calendar::{Timespan, Timestamp};

use super::{sqlite_at, InvocationId, Result, Store};
use crate::unit::SyslogLevel;

/// Rows deleted per pruning transaction.
const PRUNE_BATCH: u64 = 5_000;

/// What a row costs besides its text, its unit name and its invocation id
/// (each of those is stored twice, in the row and in an index): the
/// columns, the rowid in three indexes, cell and page overhead at the fill
/// an appended b-tree has. Measured: a one-byte line of a 13-byte unit with
/// an invocation id takes 164 bytes of file.
const ROW_BASE: u64 = 60;

/// [`row_cost`] in SQL, over a row of `logs`.
const ROW_COST_SQL: &str = "length(CAST(line AS BLOB)) * 5 / 4 + 2 * length(CAST(unit AS BLOB)) \
     + CASE WHEN invocation IS NULL THEN 0 ELSE 2 * length(invocation) + 16 END + 60";

/// The bytes of file a line is counted as. The text counts a quarter more:
/// longer rows fill the table's pages less well (measured: a 1000-byte line
/// takes some 1,460 bytes, a 90-byte one 274 where this counts 286).
pub fn row_cost(line: &NewLogLine<'_>) -> u64 {
    let invocation = line.invocation.map_or(0, |_| 2 * 32 + 16);
    line.line.len() as u64 * 5 / 4 + 2 * line.unit.len() as u64 + invocation + ROW_BASE
}

/// Size pruning removes down to this share of a limit, so that a table at its
/// limit is not pruned again at every batch (parts per thousand).
const LOW_WATER_PERMILLE: u64 = 900;

/// Which output a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
    /// What sundial itself says about the unit (started, failed, why), the
    /// lines systemd writes to the journal as `systemd[1]`.
    Manager,
}

impl Stream {
    fn to_sql(self) -> i64 {
        match self {
            Stream::Stdout => 1,
            Stream::Stderr => 2,
            Stream::Manager => 3,
        }
    }

    fn from_sql(n: i64) -> Option<Stream> {
        match n {
            1 => Some(Stream::Stdout),
            2 => Some(Stream::Stderr),
            3 => Some(Stream::Manager),
            _ => None,
        }
    }
}

/// A line to store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewLogLine<'a> {
    /// The unit that printed it.
    pub unit: &'a str,
    /// The run it belongs to, when known.
    pub invocation: Option<InvocationId>,
    /// stdout or stderr.
    pub stream: Stream,
    /// When the daemon read it.
    pub at: Timestamp,
    /// The text, without its newline.
    pub line: &'a str,
    /// Its syslog priority.
    pub priority: SyslogLevel,
}

/// A stored line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// The row id: pass it as [`LogQuery::after`] to continue after this line.
    pub cursor: i64,
    /// The unit that printed it.
    pub unit: String,
    /// The run it belongs to.
    pub invocation: Option<InvocationId>,
    /// stdout or stderr.
    pub stream: Stream,
    /// When the daemon read it.
    pub at: Timestamp,
    /// The text.
    pub line: String,
    /// Its syslog priority.
    pub priority: SyslogLevel,
}

/// Which lines to read; every filter given must match. Lines come oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogQuery {
    /// Only these units (`-u`, repeatable); empty = all.
    pub units: Vec<String>,
    /// Only lines at or after this instant (`--since`).
    pub since: Option<Timestamp>,
    /// Only lines at or before this instant (`--until`).
    pub until: Option<Timestamp>,
    /// Only this run (`--invocation`).
    pub invocation: Option<InvocationId>,
    /// Only lines after this cursor (following).
    pub after: Option<i64>,
    /// Only the newest N matching lines (`-n N`), still returned oldest first.
    pub last: Option<usize>,
    /// At most this many lines, the oldest matching (paging while following);
    /// ignored when `last` is given.
    pub limit: Option<usize>,
    /// Only lines whose priority lies in this range, both ends included
    /// (`-p`; the more important end first).
    pub priorities: Option<(SyslogLevel, SyslogLevel)>,
}

/// Limits on stored log lines; `None` = unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogRetention {
    /// Bytes of file the lines take, as [`row_cost`] counts them.
    pub max_bytes: Option<u64>,
    /// Number of lines.
    pub max_rows: Option<u64>,
    /// Age of a line relative to the `now` given to [`Store::prune_logs`].
    pub max_age: Option<Timespan>,
}

/// What a prune removed (or, from [`Store::log_usage`], what is stored).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneStats {
    /// Lines.
    pub rows: u64,
    /// Bytes of text.
    pub bytes: u64,
    /// Bytes of file, as [`row_cost`] counts them.
    pub cost: u64,
}

impl PruneStats {
    fn add(&mut self, other: PruneStats) {
        self.rows += other.rows;
        self.bytes += other.bytes;
        self.cost += other.cost;
    }
}

impl Store {
    /// Sets the limits that [`Store::append_logs`] (sizes) and
    /// [`Store::prune_logs`] (sizes and age) enforce.
    pub fn set_log_retention(&mut self, retention: LogRetention) {
        self.retention = retention;
    }

    /// Stores `lines` in one transaction, then prunes the oldest lines if a size
    /// limit is exceeded.
    pub fn append_logs(&mut self, lines: &[NewLogLine<'_>]) -> Result<PruneStats> {
        if lines.is_empty() {
            return Ok(PruneStats::default());
        }
        self.prepare_log_write()?;
        self.insert_logs(lines)?;
        self.prune_to_size()
    }

    /// The insert part of [`Store::append_logs`].
    fn insert_logs(&mut self, lines: &[NewLogLine<'_>]) -> Result<()> {
        let err = sqlite_at(&self.path, "append log lines");
        let tx = self.conn.transaction().map_err(&err)?;
        let mut bytes = 0u64;
        let mut cost = 0u64;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO logs (unit, invocation, stream, ts_usec, line, priority)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(&err)?;
            for line in lines {
                insert
                    .execute(params![
                        line.unit,
                        line.invocation.map(|i| i.to_string()),
                        line.stream.to_sql(),
                        line.at.as_usec(),
                        line.line,
                        line.priority.number()
                    ])
                    .map_err(&err)?;
                bytes += line.line.len() as u64;
                cost += row_cost(line);
            }
        }
        tx.prepare_cached(
            "UPDATE log_totals SET rows = rows + ?1, bytes = bytes + ?2, cost = cost + ?3
             WHERE id = 0",
        )
        .and_then(|mut stmt| stmt.execute(params![lines.len() as i64, bytes as i64, cost as i64]))
        .map_err(&err)?;
        tx.commit().map_err(&err)?;
        self.committed()
    }

    /// Copies the WAL into the main file, from the log writer's thread
    /// between its transactions. A writer that appends all the time starves
    /// the sync thread's passive checkpoints (new frames come in while it
    /// copies, so it never catches up and the WAL is never started over: it
    /// grew past 100 MiB under a flood); with nothing appended meanwhile this
    /// one copies the whole WAL, and RESTART waits for the readers still on
    /// the old frames (`logs` replies, a few milliseconds) so that the next
    /// write starts the WAL over. The owner's commits wait meanwhile, as
    /// they wait for any transaction of the writer. Synced, as every
    /// checkpoint.
    pub fn checkpoint_logs(&mut self) -> Result<()> {
        let before = self.sync.get();
        self.set_sync(super::Durability::Full)?;
        let done = self
            .conn
            .query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(()));
        self.set_sync(before)?;
        done.map_err(self.sqlite("checkpoint"))
    }

    /// Lines matching `query`, oldest first.
    pub fn logs(&self, query: &LogQuery) -> Result<Vec<LogEntry>> {
        // A file an older daemon left, read without migrating it, has no
        // priorities: its lines are info, as journald's default.
        let priority = if super::schema::version(&self.conn)
            .is_ok_and(|v| v >= super::schema::LOG_PRIORITIES)
        {
            "priority"
        } else {
            "6"
        };
        let mut sql = format!(
            "SELECT id, unit, invocation, stream, ts_usec, line, {priority} FROM logs WHERE 1"
        );
        let mut args: Vec<Value> = Vec::new();
        if !query.units.is_empty() {
            // One parameter whatever the number of units keeps the statement
            // text, and so the cached statement, the same.
            let json = serde_json::to_string(&query.units).expect("a list of strings serializes");
            args.push(Value::Text(json));
            sql += &format!(
                " AND unit IN (SELECT value FROM json_each(?{}))",
                args.len()
            );
        }
        let mut filter = |column_test: &str, value: Value| {
            args.push(value);
            sql += &format!(" AND {column_test}?{}", args.len());
        };
        if let Some(since) = query.since {
            filter("ts_usec >= ", Value::Integer(since.as_usec()));
        }
        if let Some(until) = query.until {
            filter("ts_usec <= ", Value::Integer(until.as_usec()));
        }
        if let Some(invocation) = query.invocation {
            filter("invocation = ", Value::Text(invocation.to_string()));
        }
        if let Some(after) = query.after {
            filter("id > ", Value::Integer(after));
        }
        if let Some((high, low)) = query.priorities {
            filter(
                &format!("{priority} >= "),
                Value::Integer(high.number().into()),
            );
            filter(
                &format!("{priority} <= "),
                Value::Integer(low.number().into()),
            );
        }
        let (order, limit) = match (query.last, query.limit) {
            (Some(last), _) => ("DESC", Some(last)),
            (None, limit) => ("ASC", limit),
        };
        sql += &format!(" ORDER BY id {order}");
        if let Some(limit) = limit {
            args.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
            sql += &format!(" LIMIT ?{}", args.len());
        }

        let err = self.sqlite("read log lines");
        let mut stmt = self.conn.prepare_cached(&sql).map_err(&err)?;
        let raws = stmt
            .query_map(params_from_iter(args), |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, Option<String>>(2)?,
                    row.get::<_, i64>(3)?,
                    row.get::<_, i64>(4)?,
                    row.get::<_, String>(5)?,
                    row.get::<_, i64>(6)?,
                ))
            })
            .map_err(&err)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(&err)?;
        let mut entries = raws
            .into_iter()
            .map(|(cursor, unit, invocation, stream, at, line, priority)| {
                let invocation = invocation
                    .map(|s| {
                        s.parse()
                            .map_err(|_| self.corrupt("logs", cursor, "invocation", s.clone()))
                    })
                    .transpose()?;
                let stream = Stream::from_sql(stream)
                    .ok_or_else(|| self.corrupt("logs", cursor, "stream", stream.to_string()))?;
                let priority = u8::try_from(priority)
                    .ok()
                    .and_then(SyslogLevel::from_number)
                    .ok_or_else(|| {
                        self.corrupt("logs", cursor, "priority", priority.to_string())
                    })?;
                Ok(LogEntry {
                    cursor,
                    unit,
                    invocation,
                    stream,
                    at: Timestamp::from_usec(at),
                    line,
                    priority,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        if query.last.is_some() {
            entries.reverse();
        }
        Ok(entries)
    }

    /// Every unit with stored lines, by name: what a pattern of `logs -u`
    /// is matched against, as journalctl matches the units of its journal.
    pub fn logged_units(&self) -> Result<Vec<String>> {
        let err = self.sqlite("read the units of log lines");
        let mut stmt = self
            .conn
            .prepare_cached("SELECT DISTINCT unit FROM logs ORDER BY unit")
            .map_err(&err)?;
        let rows = stmt.query_map([], |row| row.get(0)).map_err(&err)?;
        rows.collect::<Result<_, _>>().map_err(&err)
    }

    /// The number of stored lines, bytes of text and bytes of file.
    pub fn log_usage(&self) -> Result<PruneStats> {
        let (rows, bytes, cost): (i64, i64, i64) = self
            .conn
            .prepare_cached("SELECT rows, bytes, cost FROM log_totals WHERE id = 0")
            .and_then(|mut stmt| {
                stmt.query_row([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            })
            .map_err(self.sqlite("read log usage"))?;
        Ok(PruneStats {
            rows: u64::try_from(rows).unwrap_or(0),
            bytes: u64::try_from(bytes).unwrap_or(0),
            cost: u64::try_from(cost).unwrap_or(0),
        })
    }

    /// Enforces every retention limit: lines older than `now - max_age`, then
    /// the size limits.
    pub fn prune_logs(&mut self, now: Timestamp) -> Result<PruneStats> {
        let mut stats = PruneStats::default();
        if let Some(cutoff) = self.retention.max_age.and_then(|age| now.checked_sub(age)) {
            loop {
                let batch = self.delete_logs(
                    &format!(
                        "DELETE FROM logs WHERE id IN
                           (SELECT id FROM logs WHERE ts_usec < ?1 ORDER BY id LIMIT ?2)
                         RETURNING length(CAST(line AS BLOB)), {ROW_COST_SQL}"
                    ),
                    params![cutoff.as_usec(), PRUNE_BATCH as i64],
                )?;
                stats.add(batch);
                if batch.rows < PRUNE_BATCH {
                    break;
                }
            }
        }
        stats.add(self.prune_to_size()?);
        Ok(stats)
    }

    /// Deletes the oldest lines while a size limit is exceeded, down to the low
    /// water mark.
    fn prune_to_size(&mut self) -> Result<PruneStats> {
        let limits = self.retention;
        let mut stats = PruneStats::default();
        if limits.max_rows.is_none() && limits.max_bytes.is_none() {
            return Ok(stats);
        }
        let usage = self.log_usage()?;
        let over = |limit: Option<u64>, have: u64| limit.is_some_and(|l| have > l);
        if !over(limits.max_rows, usage.rows) && !over(limits.max_bytes, usage.cost) {
            return Ok(stats);
        }
        // l * 900 / 1000 without overflowing near u64::MAX.
        let low = |limit: Option<u64>| {
            limit.map(|l| l / 1000 * LOW_WATER_PERMILLE + l % 1000 * LOW_WATER_PERMILLE / 1000)
        };
        let (rows_target, bytes_target) = (low(limits.max_rows), low(limits.max_bytes));
        let mut usage = usage;
        loop {
            let excess_rows = rows_target.map_or(0, |t| usage.rows.saturating_sub(t));
            let excess_bytes = bytes_target.map_or(0, |t| usage.cost.saturating_sub(t));
            if excess_rows == 0 && excess_bytes == 0 {
                break;
            }
            let cutoff = self.size_cutoff(excess_rows.min(PRUNE_BATCH), excess_bytes)?;
            let Some(cutoff) = cutoff else { break };
            let batch = self.delete_logs(
                &format!(
                    "DELETE FROM logs WHERE id <= ?1
                     RETURNING length(CAST(line AS BLOB)), {ROW_COST_SQL}"
                ),
                params![cutoff],
            )?;
            if batch.rows == 0 {
                break;
            }
            stats.add(batch);
            usage.rows = usage.rows.saturating_sub(batch.rows);
            usage.bytes = usage.bytes.saturating_sub(batch.bytes);
            usage.cost = usage.cost.saturating_sub(batch.cost);
        }
        Ok(stats)
    }

    /// The id of the last line to delete so that at least `rows` lines and
    /// `bytes` bytes of file go, looking at no more than [`PRUNE_BATCH`] of
    /// the oldest lines; `None` when the table is empty.
    fn size_cutoff(&self, rows: u64, bytes: u64) -> Result<Option<i64>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT id, {ROW_COST_SQL} FROM logs ORDER BY id LIMIT ?1"
            ))
            .map_err(self.sqlite("plan log pruning"))?;
        let mut found = stmt
            .query(params![PRUNE_BATCH as i64])
            .map_err(self.sqlite("plan log pruning"))?;
        let (mut seen_rows, mut seen_bytes, mut cutoff) = (0u64, 0u64, None);
        while let Some(row) = found.next().map_err(self.sqlite("plan log pruning"))? {
            let id: i64 = row.get(0).map_err(self.sqlite("plan log pruning"))?;
            let len: i64 = row.get(1).map_err(self.sqlite("plan log pruning"))?;
            cutoff = Some(id);
            seen_rows += 1;
            seen_bytes += u64::try_from(len).unwrap_or(0);
            if seen_rows >= rows && seen_bytes >= bytes {
                break;
            }
        }
        Ok(cutoff)
    }

    /// Runs one deleting statement that returns each deleted line's length
    /// and cost, and updates the totals, in one transaction.
    fn delete_logs(&mut self, sql: &str, args: impl rusqlite::Params) -> Result<PruneStats> {
        self.prepare_log_write()?;
        let err = sqlite_at(&self.path, "prune log lines");
        let tx = self.conn.transaction().map_err(&err)?;
        let mut stats = PruneStats::default();
        {
            let mut delete = tx.prepare_cached(sql).map_err(&err)?;
            let mut deleted = delete.query(args).map_err(&err)?;
            while let Some(row) = deleted.next().map_err(&err)? {
                let len: i64 = row.get(0).map_err(&err)?;
                let cost: i64 = row.get(1).map_err(&err)?;
                stats.rows += 1;
                stats.bytes += u64::try_from(len).unwrap_or(0);
                stats.cost += u64::try_from(cost).unwrap_or(0);
            }
        }
        tx.prepare_cached(
            "UPDATE log_totals SET rows = rows - ?1, bytes = bytes - ?2, cost = cost - ?3
             WHERE id = 0",
        )
        .and_then(|mut stmt| {
            stmt.execute(params![
                stats.rows as i64,
                stats.bytes as i64,
                stats.cost as i64
            ])
        })
        .map_err(&err)?;
        tx.commit().map_err(&err)?;
        self.committed()?;
        Ok(stats)
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

    fn line<'a>(unit: &'a str, secs: i64, text: &'a str) -> NewLogLine<'a> {
        NewLogLine {
            unit,
            invocation: None,
            stream: Stream::Stdout,
            at: Timestamp::from_secs(secs),
            line: text,
            priority: SyslogLevel::Info,
        }
    }

    fn texts(entries: &[LogEntry]) -> Vec<&str> {
        entries.iter().map(|e| e.line.as_str()).collect()
    }

    /// Ten lines: a.service at 0, 2, 4, .. s; b.service at 1, 3, ..; the text is
    /// the second.
    fn fill(store: &mut Store) {
        let names: Vec<String> = (0..10).map(|n| n.to_string()).collect();
        let lines: Vec<_> = (0..10)
            .map(|n| {
                let unit = if n % 2 == 0 { "a.service" } else { "b.service" };
                NewLogLine {
                    invocation: Some(InvocationId::from_u128(n as u128 % 2)),
                    stream: if n == 3 {
                        Stream::Stderr
                    } else {
                        Stream::Stdout
                    },
                    ..line(unit, n, &names[n as usize])
                }
            })
            .collect();
        store.append_logs(&lines).unwrap();
    }

    #[test]
    fn priorities_are_kept_and_filtered_by_range() {
        let (_dir, mut store) = store();
        let levels = [SyslogLevel::Err, SyslogLevel::Warning, SyslogLevel::Info];
        let lines: Vec<_> = levels
            .iter()
            .enumerate()
            .map(|(n, level)| NewLogLine {
                priority: *level,
                ..line("a.service", n as i64, level.as_str())
            })
            .collect();
        store.append_logs(&lines).unwrap();
        let all = store.logs(&LogQuery::default()).unwrap();
        assert_eq!(all.iter().map(|e| e.priority).collect::<Vec<_>>(), levels);
        let query = |high, low| LogQuery {
            priorities: Some((high, low)),
            ..LogQuery::default()
        };
        let errors_and_warnings = store
            .logs(&query(SyslogLevel::Err, SyslogLevel::Warning))
            .unwrap();
        assert_eq!(texts(&errors_and_warnings), ["err", "warning"]);
        let up_to_err = store
            .logs(&query(SyslogLevel::Emerg, SyslogLevel::Err))
            .unwrap();
        assert_eq!(texts(&up_to_err), ["err"]);
    }

    #[test]
    fn a_file_from_before_priorities_reads_as_info() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        super::super::schema::migrate_to(&mut conn, super::super::schema::LOG_PRIORITIES - 1)
            .unwrap();
        conn.execute(
            "INSERT INTO logs (unit, stream, ts_usec, line) VALUES ('a.service', 1, 5, 'old')",
            [],
        )
        .unwrap();
        drop(conn);
        let store = Store::open_read_only(&path, false).unwrap();
        let all = store.logs(&LogQuery::default()).unwrap();
        assert_eq!(all[0].priority, SyslogLevel::Info);
        let errors = LogQuery {
            priorities: Some((SyslogLevel::Emerg, SyslogLevel::Err)),
            ..LogQuery::default()
        };
        assert!(store.logs(&errors).unwrap().is_empty());
    }

    #[test]
    fn filters_combine() {
        let (_dir, mut store) = store();
        fill(&mut store);
        let q = |q: LogQuery| texts(&store.logs(&q).unwrap()).join(" ");
        assert_eq!(q(LogQuery::default()), "0 1 2 3 4 5 6 7 8 9");
        let a = vec!["a.service".to_string()];
        assert_eq!(
            q(LogQuery {
                units: a.clone(),
                ..Default::default()
            }),
            "0 2 4 6 8"
        );
        let both = vec!["b.service".to_string(), "a.service".to_string()];
        assert_eq!(
            q(LogQuery {
                units: both,
                last: Some(3),
                ..Default::default()
            }),
            "7 8 9"
        );
        assert_eq!(
            q(LogQuery {
                since: Some(Timestamp::from_secs(3)),
                until: Some(Timestamp::from_secs(6)),
                ..Default::default()
            }),
            "3 4 5 6"
        );
        assert_eq!(
            q(LogQuery {
                invocation: Some(InvocationId::from_u128(1)),
                last: Some(2),
                ..Default::default()
            }),
            "7 9"
        );
        assert_eq!(
            q(LogQuery {
                units: a,
                last: Some(100),
                ..Default::default()
            }),
            "0 2 4 6 8"
        );
        assert_eq!(
            q(LogQuery {
                units: vec!["c.service".into()],
                ..Default::default()
            }),
            ""
        );
        let entries = store.logs(&LogQuery::default()).unwrap();
        assert_eq!(entries[3].stream, Stream::Stderr);
        assert_eq!(entries[3].unit, "b.service");
        assert_eq!(entries[3].at, Timestamp::from_secs(3));
        assert_eq!(entries[3].invocation, Some(InvocationId::from_u128(1)));
    }

    #[test]
    fn follow_from_cursor_pages_through_new_lines() {
        let (_dir, mut store) = store();
        fill(&mut store);
        let tail = store
            .logs(&LogQuery {
                last: Some(1),
                ..Default::default()
            })
            .unwrap();
        let mut cursor = tail[0].cursor;
        let page = |cursor| LogQuery {
            after: Some(cursor),
            limit: Some(2),
            ..Default::default()
        };
        assert!(store.logs(&page(cursor)).unwrap().is_empty());
        store
            .append_logs(&[
                line("a.service", 20, "x"),
                line("a.service", 21, "y"),
                line("b.service", 22, "z"),
            ])
            .unwrap();
        let mut seen = Vec::new();
        loop {
            let got = store.logs(&page(cursor)).unwrap();
            let Some(last) = got.last() else { break };
            cursor = last.cursor;
            seen.extend(got.into_iter().map(|e| e.line));
        }
        assert_eq!(seen, ["x", "y", "z"]);
    }

    #[test]
    fn totals_track_appends() {
        let (_dir, mut store) = store();
        assert_eq!(store.log_usage().unwrap(), PruneStats::default());
        store
            .append_logs(&[line("a", 1, "héllo"), line("a", 2, "")])
            .unwrap();
        // Bytes of UTF-8, not characters.
        // Each costs its text, twice its unit name and ROW_BASE.
        assert_eq!(
            store.log_usage().unwrap(),
            PruneStats {
                rows: 2,
                bytes: 6,
                cost: 6 * 5 / 4 + 2 + 60 + 2 + 60
            }
        );
        assert_eq!(store.append_logs(&[]).unwrap(), PruneStats::default());
    }

    #[test]
    fn row_limit_prunes_oldest_to_low_water() {
        let (_dir, mut store) = store();
        store.set_log_retention(LogRetention {
            max_rows: Some(100),
            ..Default::default()
        });
        let text: Vec<String> = (0..100).map(|n| n.to_string()).collect();
        let batch: Vec<_> = text.iter().map(|t| line("a", 0, t)).collect();
        // At the limit: nothing goes.
        assert_eq!(store.append_logs(&batch).unwrap().rows, 0);
        // One over: prune down to 90.
        let pruned = store.append_logs(&[line("a", 0, "100")]).unwrap();
        assert_eq!(pruned.rows, 11);
        let usage = store.log_usage().unwrap();
        assert_eq!(usage.rows, 90);
        let lines = store.logs(&LogQuery::default()).unwrap();
        assert_eq!(lines.len(), 90);
        assert_eq!(lines[0].line, "11");
        assert_eq!(lines[89].line, "100");
        let real_bytes: usize = lines.iter().map(|e| e.line.len()).sum();
        assert_eq!(usage.bytes, real_bytes as u64);
    }

    #[test]
    fn byte_limit_prunes_in_batches_beyond_one_batch() {
        let (_dir, mut store) = store();
        let text = "0123456789"; // 10 bytes a line
        let batch: Vec<_> = (0..12_000).map(|_| line("a", 0, text)).collect();
        store.append_logs(&batch).unwrap();
        let each = row_cost(&batch[0]);
        assert_eq!(each, 12 + 2 + ROW_BASE);
        // 1000 lines' worth, so pruning must delete 12000 - 900 lines: more than
        // one PRUNE_BATCH.
        store.set_log_retention(LogRetention {
            max_bytes: Some(1000 * each),
            ..Default::default()
        });
        let pruned = store.prune_logs(Timestamp::from_secs(0)).unwrap();
        assert_eq!(
            pruned,
            PruneStats {
                rows: 11_100,
                bytes: 111_000,
                cost: 11_100 * each
            }
        );
        assert_eq!(
            store.log_usage().unwrap(),
            PruneStats {
                rows: 900,
                bytes: 9_000,
                cost: 900 * each
            }
        );
        assert_eq!(store.logs(&LogQuery::default()).unwrap().len(), 900);
    }

    #[test]
    fn age_limit_prunes_old_lines_only() {
        let (_dir, mut store) = store();
        fill(&mut store);
        store.set_log_retention(LogRetention {
            max_age: Some(Timespan::from_secs(5)),
            ..Default::default()
        });
        // Appending never prunes by age: only prune_logs knows `now`.
        store.append_logs(&[line("a.service", 0, "old")]).unwrap();
        assert_eq!(store.log_usage().unwrap().rows, 11);
        let pruned = store.prune_logs(Timestamp::from_secs(12)).unwrap();
        // Lines before 12 - 5 = 7 s go: 0..=6 and "old".
        assert_eq!(pruned.rows, 8);
        assert_eq!(
            texts(&store.logs(&LogQuery::default()).unwrap()),
            ["7", "8", "9"]
        );
        let usage = store.log_usage().unwrap();
        assert_eq!((usage.rows, usage.bytes), (3, 3));
        assert_eq!(usage.cost, 3 * (1 + 2 * 9 + 2 * 32 + 16 + ROW_BASE));
    }

    fn cost_in_sql(store: &Store) -> u64 {
        let sum: i64 = store
            .conn
            .query_row(
                &format!("SELECT coalesce(sum({ROW_COST_SQL}), 0) FROM logs"),
                [],
                |r| r.get(0),
            )
            .unwrap();
        sum as u64
    }

    #[test]
    fn the_cost_counted_is_the_cost_pruning_sees() {
        let (_dir, mut store) = store();
        fill(&mut store);
        store
            .append_logs(&[line("ünïcode.service", 1, "héllo wörld"), line("a", 2, "")])
            .unwrap();
        assert_eq!(store.log_usage().unwrap().cost, cost_in_sql(&store));
        store.set_log_retention(LogRetention {
            max_bytes: Some(400),
            ..Default::default()
        });
        store.prune_logs(Timestamp::from_secs(0)).unwrap();
        let usage = store.log_usage().unwrap();
        assert!(usage.cost <= 360, "{usage:?}");
        assert_eq!(usage.cost, cost_in_sql(&store));
    }

    #[test]
    fn the_migration_counts_the_cost_of_the_lines_already_stored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        let before_cost = super::super::schema::MIGRATIONS
            .iter()
            .position(|m| m.what.starts_with("the storage cost of log lines"))
            .expect("the step is there") as i64;
        super::super::schema::migrate_to(&mut conn, before_cost).unwrap();
        conn.execute_batch(
            "INSERT INTO logs (unit, invocation, stream, ts_usec, line)
               VALUES ('a.service', '0123456789abcdef0123456789abcdef', 1, 5, 'old'),
                      ('b.service', NULL, 1, 6, 'older');
             UPDATE log_totals SET rows = 2, bytes = 8;",
        )
        .unwrap();
        drop(conn);
        let store = Store::open(&path).unwrap();
        let usage = store.log_usage().unwrap();
        assert_eq!(usage.cost, (3 + 18 + 80 + ROW_BASE) + (6 + 18 + ROW_BASE));
        assert_eq!(usage.cost, cost_in_sql(&store));
    }

    #[test]
    fn corrupt_stream_is_reported() {
        let (_dir, store) = store();
        store
            .conn
            .execute_batch("INSERT INTO logs (unit, stream, ts_usec, line) VALUES ('a', 7, 0, 'x')")
            .unwrap();
        let err = store.logs(&LogQuery::default()).unwrap_err();
        assert!(err.to_string().contains("stream"), "{err}");
    }
}
