//! The PostgreSQL backend of [`Coordinator`]: one connection, each operation
//! one statement (and so one transaction), leases on the database's clock.
//!
//! The claim is `INSERT ... ON CONFLICT (timer, scheduled) DO NOTHING` on
//! the claims table's primary key: of the nodes claiming the same elapse,
//! exactly one inserts the row, whatever the interleaving. A takeover locks
//! the expired claims it takes (`FOR UPDATE SKIP LOCKED`), and PostgreSQL
//! checks the lease again on the row it locks, so two nodes never take the
//! same lost run.

use std::time::Duration;

use tokio_postgres::{Client, NoTls};

use super::schema::{MIGRATIONS, MIGRATION_LOCK};
use super::{
    ClaimAnswer, ClaimRequest, ClusterRun, CoordinationError, Coordinator, Finished, Heartbeat,
    LastRun, Lease, NodeRow, Takeover,
};

/// A connection string and, while connected, the client.
pub struct Postgres {
    connection: String,
    client: Option<Client>,
}

/// Never shows the connection string: it may hold a password.
impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Postgres")
            .field("connected", &self.client.is_some())
            .finish()
    }
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

impl Postgres {
    /// A backend for this connection string; nothing is connected yet.
    pub fn new(connection: String) -> Postgres {
        Postgres {
            connection,
            client: None,
        }
    }

    fn client(&mut self, what: &'static str) -> Result<&Client, CoordinationError> {
        match &self.client {
            Some(c) if !c.is_closed() => Ok(self.client.as_ref().expect("checked above")),
            _ => {
                self.client = None;
                Err(CoordinationError {
                    what,
                    message: "not connected".into(),
                })
            }
        }
    }

    /// The error of a failed statement; a closed connection is dropped so
    /// that the next [`Coordinator::open`] connects again.
    fn failed(&mut self, what: &'static str, e: tokio_postgres::Error) -> CoordinationError {
        if self.client.as_ref().is_none_or(Client::is_closed) || e.is_closed() {
            self.client = None;
        }
        let message = match e.as_db_error() {
            Some(db) => db.message().to_owned(),
            None => e.to_string(),
        };
        CoordinationError { what, message }
    }
}

const TAKE_OVER: &str = "
WITH exp AS (
    SELECT timer, scheduled, node, attempt FROM sundial_claims
    WHERE state = 'running' AND lease_until < now() AND timer = ANY($2)
    ORDER BY lease_until LIMIT 100
    FOR UPDATE SKIP LOCKED
), lost AS (
    UPDATE sundial_runs r SET result = 'lease-lost', ended_usec = coalesce(r.ended_usec, $4)
    FROM exp
    WHERE r.timer = exp.timer AND r.scheduled = exp.scheduled AND r.attempt = exp.attempt
      AND r.result IS NULL
), upd AS (
    UPDATE sundial_claims c SET
        node = CASE WHEN c.failover = 'rerun' THEN $1 ELSE c.node END,
        attempt = CASE WHEN c.failover = 'rerun' THEN c.attempt + 1 ELSE c.attempt END,
        state = CASE WHEN c.failover = 'rerun' THEN 'running' ELSE 'failed' END,
        lease_until = now() + $3::bigint * interval '1 microsecond'
    FROM exp
    WHERE c.timer = exp.timer AND c.scheduled = exp.scheduled
    RETURNING c.timer, c.unit, c.scheduled, c.attempt, exp.node AS from_node,
              c.failover = 'rerun' AS rerun
), run AS (
    INSERT INTO sundial_runs (timer, unit, scheduled, attempt, node, started_usec)
    SELECT timer, unit, scheduled, attempt, $1::text, $4::bigint FROM upd WHERE rerun
)
SELECT timer, unit, scheduled, attempt, from_node, rerun FROM upd";

const CLAIM: &str = "
WITH want AS (
    SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::text[])
        AS w(timer, scheduled, unit, started, failover)
), ins AS (
    INSERT INTO sundial_claims (timer, scheduled, unit, node, attempt, state, failover, lease_until)
    SELECT timer, scheduled, unit, $6::text, 1, 'running', failover,
           now() + $7::bigint * interval '1 microsecond'
    FROM want
    ON CONFLICT (timer, scheduled) DO NOTHING
    RETURNING timer, scheduled
), run AS (
    INSERT INTO sundial_runs (timer, unit, scheduled, attempt, node, started_usec)
    SELECT w.timer, w.unit, w.scheduled, 1, $6::text, w.started
    FROM want w JOIN ins ON ins.timer = w.timer AND ins.scheduled = w.scheduled
)
SELECT w.timer, w.scheduled, ins.timer IS NOT NULL AS won,
       CASE WHEN ins.timer IS NOT NULL THEN $6::text ELSE c.node END AS holder,
       CASE WHEN ins.timer IS NOT NULL THEN w.started ELSE r.started_usec END,
       CASE WHEN ins.timer IS NOT NULL THEN NULL ELSE r.ended_usec END
FROM want w
LEFT JOIN ins ON ins.timer = w.timer AND ins.scheduled = w.scheduled
LEFT JOIN sundial_claims c ON c.timer = w.timer AND c.scheduled = w.scheduled
LEFT JOIN LATERAL (
    SELECT started_usec, ended_usec FROM sundial_runs n
    WHERE n.timer = w.timer AND n.started_usec IS NOT NULL ORDER BY n.id DESC LIMIT 1
) r ON true";

/// The newest run of each timer (one index probe each).
const LAST_RUNS: &str = "
SELECT t.timer, r.started_usec, r.ended_usec
FROM unnest($1::text[]) AS t(timer)
CROSS JOIN LATERAL (
    SELECT started_usec, ended_usec FROM sundial_runs n
    WHERE n.timer = t.timer AND n.started_usec IS NOT NULL ORDER BY n.id DESC LIMIT 1
) r";

/// A claim's answer from its row: (timer, scheduled, won, holder,
/// started, ended).
fn answer(r: &tokio_postgres::Row) -> ClaimAnswer {
    let started: Option<i64> = r.get(4);
    ClaimAnswer {
        timer: r.get(0),
        scheduled_usec: r.get(1),
        won: r.get(2),
        holder: r.get(3),
        last: started.map(|started_usec| LastRun {
            started_usec,
            ended_usec: r.get(5),
        }),
    }
}

impl Coordinator for Postgres {
    async fn open(&mut self) -> Result<(), CoordinationError> {
        if self.client.as_ref().is_some_and(|c| !c.is_closed()) {
            return Ok(());
        }
        let (mut client, connection) = tokio_postgres::connect(&self.connection, NoTls)
            .await
            .map_err(|e| CoordinationError {
                what: "connect",
                message: e.to_string(),
            })?;
        tokio::spawn(async move {
            // Its end shows as a closed client; the error is the next
            // statement's.
            let _ = connection.await;
        });
        migrate(&mut client).await?;
        self.client = Some(client);
        Ok(())
    }

    fn close(&mut self) {
        self.client = None;
    }

    async fn heartbeat(
        &mut self,
        node: &str,
        lease: Duration,
        skew_usec: i64,
        refusing: Option<&str>,
    ) -> Result<Heartbeat, CoordinationError> {
        let sql = "
WITH hb AS (
    INSERT INTO sundial_nodes (node, heartbeat, skew_usec, refusing) VALUES ($1, now(), $3, $4)
    ON CONFLICT (node) DO UPDATE SET heartbeat = now(), skew_usec = $3, refusing = $4
)
SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint,
       ARRAY(SELECT node FROM sundial_nodes
             WHERE heartbeat > now() - $2::bigint * interval '1 microsecond' AND refusing IS NULL
               AND node <> $1)";
        let client = self.client("heartbeat")?;
        let row = client
            .query_one(sql, &[&node, &micros(lease), &skew_usec, &refusing])
            .await;
        let row = row.map_err(|e| self.failed("heartbeat", e))?;
        let mut live_nodes: Vec<String> = row.get(1);
        if refusing.is_none() {
            live_nodes.push(node.to_owned());
        }
        live_nodes.sort();
        Ok(Heartbeat {
            server_usec: row.get(0),
            live_nodes,
        })
    }

    async fn claim(
        &mut self,
        node: &str,
        lease: Duration,
        requests: &[ClaimRequest],
    ) -> Result<Vec<ClaimAnswer>, CoordinationError> {
        let timers: Vec<&str> = requests.iter().map(|r| r.timer.as_str()).collect();
        let scheduled: Vec<i64> = requests.iter().map(|r| r.scheduled_usec).collect();
        let units: Vec<&str> = requests.iter().map(|r| r.unit.as_str()).collect();
        let started: Vec<i64> = requests.iter().map(|r| r.started_usec).collect();
        let failover: Vec<&str> = requests.iter().map(|r| r.failover.as_str()).collect();
        let client = self.client("claim")?;
        let rows = client
            .query(
                CLAIM,
                &[
                    &timers,
                    &scheduled,
                    &units,
                    &started,
                    &failover,
                    &node,
                    &micros(lease),
                ],
            )
            .await;
        let rows = rows.map_err(|e| self.failed("claim", e))?;
        let mut answers: Vec<ClaimAnswer> = rows.iter().map(answer).collect();
        // A claim lost to a node whose insert committed while this
        // statement ran finds neither that claim nor its run in the
        // statement's snapshot: a second statement sees them.
        let unknown: Vec<usize> = (0..answers.len())
            .filter(|&i| !answers[i].won && answers[i].holder.is_none())
            .collect();
        if !unknown.is_empty() {
            let timers: Vec<&str> = unknown.iter().map(|&i| answers[i].timer.as_str()).collect();
            let scheduled: Vec<i64> = unknown.iter().map(|&i| answers[i].scheduled_usec).collect();
            let sql = "
SELECT w.timer, w.scheduled, false, c.node, r.started_usec, r.ended_usec
FROM unnest($1::text[], $2::bigint[]) AS w(timer, scheduled)
LEFT JOIN sundial_claims c ON c.timer = w.timer AND c.scheduled = w.scheduled
LEFT JOIN LATERAL (
    SELECT started_usec, ended_usec FROM sundial_runs n
    WHERE n.timer = w.timer AND n.started_usec IS NOT NULL ORDER BY n.id DESC LIMIT 1
) r ON true";
            let client = self.client("claim")?;
            let rows = client.query(sql, &[&timers, &scheduled]).await;
            let rows = rows.map_err(|e| self.failed("claim", e))?;
            for row in &rows {
                let found = answer(row);
                if let Some(a) = answers.iter_mut().find(|a| {
                    !a.won && a.timer == found.timer && a.scheduled_usec == found.scheduled_usec
                }) {
                    *a = found;
                }
            }
        }
        Ok(answers)
    }

    async fn last_runs(
        &mut self,
        timers: &[String],
    ) -> Result<Vec<(String, LastRun)>, CoordinationError> {
        if timers.is_empty() {
            return Ok(Vec::new());
        }
        let client = self.client("read last runs")?;
        let rows = client.query(LAST_RUNS, &[&timers]).await;
        let rows = rows.map_err(|e| self.failed("read last runs", e))?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    r.get(0),
                    LastRun {
                        started_usec: r.get(1),
                        ended_usec: r.get(2),
                    },
                )
            })
            .collect())
    }

    async fn renew(&mut self, node: &str, lease: Duration) -> Result<(), CoordinationError> {
        let sql = "
WITH c AS (
    UPDATE sundial_claims SET lease_until = now() + $2::bigint * interval '1 microsecond'
    WHERE node = $1 AND state = 'running'
)
UPDATE sundial_singletons SET lease_until = now() + $2::bigint * interval '1 microsecond'
WHERE node = $1";
        let client = self.client("renew")?;
        let done = client.execute(sql, &[&node, &micros(lease)]).await;
        done.map_err(|e| self.failed("renew", e))?;
        Ok(())
    }

    async fn take_over(
        &mut self,
        node: &str,
        lease: Duration,
        timers: &[String],
        now_usec: i64,
    ) -> Result<Vec<Takeover>, CoordinationError> {
        if timers.is_empty() {
            return Ok(Vec::new());
        }
        let client = self.client("take over")?;
        let rows = client
            .query(TAKE_OVER, &[&node, &timers, &micros(lease), &now_usec])
            .await;
        let rows = rows.map_err(|e| self.failed("take over", e))?;
        Ok(rows
            .iter()
            .map(|r| Takeover {
                timer: r.get(0),
                unit: r.get(1),
                scheduled_usec: r.get(2),
                attempt: u32::try_from(r.get::<_, i32>(3)).unwrap_or(0),
                from: r.get(4),
                rerun: r.get(5),
            })
            .collect())
    }

    async fn finish(&mut self, node: &str, run: &Finished) -> Result<(), CoordinationError> {
        // A run stopped because this node lost the database gives its claim
        // back expired: the takeover scan then reruns or fails it as the
        // timer says.
        let sql = "
WITH c AS (
    UPDATE sundial_claims SET
        state = CASE WHEN $6::text = 'lease-lost' THEN 'running' ELSE 'done' END,
        lease_until = CASE WHEN $6 = 'lease-lost' THEN now() - interval '1 microsecond'
                           ELSE lease_until END
    WHERE timer = $1 AND scheduled = $2 AND node = $3 AND attempt = $4 AND state = 'running'
)
UPDATE sundial_runs SET ended_usec = $5, result = $6, exit_status = $7
WHERE timer = $1 AND scheduled = $2 AND attempt = $4 AND node = $3 AND result IS NULL";
        let attempt = i32::try_from(run.attempt).unwrap_or(i32::MAX);
        let client = self.client("finish")?;
        let done = client
            .execute(
                sql,
                &[
                    &run.timer,
                    &run.scheduled_usec,
                    &node,
                    &attempt,
                    &run.ended_usec,
                    &run.result,
                    &run.exit_status,
                ],
            )
            .await;
        done.map_err(|e| self.failed("finish", e))?;
        Ok(())
    }

    async fn acquire(
        &mut self,
        node: &str,
        lease: Duration,
        unit: &str,
        now_usec: i64,
    ) -> Result<Lease, CoordinationError> {
        // A new holder (or this node after its lease ended) gets the next
        // epoch and a run row (scheduled is the epoch), so that `history
        // --cluster` shows each failover; a released lease is kept, expired,
        // so that the epochs go on. The holder is read from the statement's
        // snapshot, before the upsert: the other node when it was refused.
        let sql = "
WITH s AS (
    INSERT INTO sundial_singletons AS s (unit, node, epoch, lease_until)
    VALUES ($1, $2, 1, now() + $3::bigint * interval '1 microsecond')
    ON CONFLICT (unit) DO UPDATE SET
        node = EXCLUDED.node,
        epoch = s.epoch + CASE WHEN s.node = EXCLUDED.node AND s.lease_until >= now()
                               THEN 0 ELSE 1 END,
        lease_until = EXCLUDED.lease_until
    WHERE s.lease_until < now() OR s.node = EXCLUDED.node
    RETURNING epoch
), run AS (
    INSERT INTO sundial_runs (timer, unit, scheduled, attempt, node, started_usec)
    SELECT $1::text, $1::text, epoch, 1, $2::text, $4::bigint FROM s
    ON CONFLICT (timer, scheduled, attempt) DO NOTHING
)
SELECT (SELECT epoch FROM s), (SELECT node FROM sundial_singletons WHERE unit = $1)";
        let client = self.client("acquire")?;
        let row = client
            .query_one(sql, &[&unit, &node, &micros(lease), &now_usec])
            .await;
        let row = row.map_err(|e| self.failed("acquire", e))?;
        let epoch: Option<i64> = row.get(0);
        let holder: Option<String> = row.get(1);
        Ok(match (epoch, holder) {
            (Some(_), _) => Lease::Mine,
            (None, holder) => Lease::HeldBy(holder.unwrap_or_else(|| "another node".into())),
        })
    }

    async fn release(
        &mut self,
        node: &str,
        unit: &str,
        now_usec: i64,
        result: &str,
    ) -> Result<(), CoordinationError> {
        let sql = "
WITH s AS (
    UPDATE sundial_singletons SET lease_until = now() - interval '1 microsecond'
    WHERE unit = $1 AND node = $2 RETURNING epoch
)
UPDATE sundial_runs r SET ended_usec = $3, result = $4
FROM s WHERE r.timer = $1 AND r.scheduled = s.epoch AND r.node = $2 AND r.result IS NULL";
        let client = self.client("release")?;
        let done = client
            .execute(sql, &[&unit, &node, &now_usec, &result])
            .await;
        done.map_err(|e| self.failed("release", e))?;
        Ok(())
    }

    async fn runs(
        &mut self,
        unit: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ClusterRun>, CoordinationError> {
        let sql = "
SELECT timer, unit, scheduled, attempt, node, started_usec, ended_usec, result, exit_status
FROM sundial_runs WHERE $1::text IS NULL OR unit = $1 OR timer = $1
ORDER BY id DESC LIMIT $2";
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let client = self.client("read runs")?;
        let rows = client.query(sql, &[&unit, &limit]).await;
        let rows = rows.map_err(|e| self.failed("read runs", e))?;
        Ok(rows
            .iter()
            .map(|r| ClusterRun {
                timer: r.get(0),
                unit: r.get(1),
                scheduled_usec: r.get(2),
                attempt: u32::try_from(r.get::<_, i32>(3)).unwrap_or(0),
                node: r.get(4),
                started_usec: r.get(5),
                ended_usec: r.get(6),
                result: r.get(7),
                exit_status: r.get(8),
            })
            .collect())
    }

    async fn nodes(&mut self) -> Result<Vec<NodeRow>, CoordinationError> {
        let sql = "
SELECT n.node, (extract(epoch FROM n.heartbeat) * 1000000)::bigint, n.skew_usec, n.refusing,
       ARRAY(SELECT c.timer || '@' || c.scheduled || '#' || c.attempt FROM sundial_claims c
             WHERE c.node = n.node AND c.state = 'running'
             UNION ALL
             SELECT s.unit FROM sundial_singletons s
             WHERE s.node = n.node AND s.lease_until > now())
FROM sundial_nodes n ORDER BY n.node";
        let client = self.client("read nodes")?;
        let rows = client.query(sql, &[]).await;
        let rows = rows.map_err(|e| self.failed("read nodes", e))?;
        Ok(rows
            .iter()
            .map(|r| NodeRow {
                node: r.get(0),
                heartbeat_usec: r.get(1),
                skew_usec: r.get(2),
                refusing: r.get(3),
                running: r.get(4),
            })
            .collect())
    }

    async fn prune(&mut self, older_than: Duration) -> Result<u64, CoordinationError> {
        let sql = "
WITH c AS (
    DELETE FROM sundial_claims
    WHERE state <> 'running' AND recorded < now() - $1::bigint * interval '1 microsecond'
)
DELETE FROM sundial_runs
WHERE result IS NOT NULL AND recorded < now() - $1::bigint * interval '1 microsecond'";
        let client = self.client("prune")?;
        let done = client.execute(sql, &[&micros(older_than)]).await;
        done.map_err(|e| self.failed("prune", e))
    }
}

/// Brings the schema to [`MIGRATIONS`]' version, in one transaction under
/// an advisory lock; a database migrated by a newer sundial is refused.
async fn migrate(client: &mut Client) -> Result<(), CoordinationError> {
    let err = |e: tokio_postgres::Error| CoordinationError {
        what: "migrate the schema",
        message: match e.as_db_error() {
            Some(db) => db.message().to_owned(),
            None => e.to_string(),
        },
    };
    let tx = client.transaction().await.map_err(err)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(err)?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS sundial_schema (version integer NOT NULL)")
        .await
        .map_err(err)?;
    let version: Option<i32> = tx
        .query_opt("SELECT max(version) FROM sundial_schema", &[])
        .await
        .map_err(err)?
        .and_then(|r| r.get(0));
    let version = usize::try_from(version.unwrap_or(0)).unwrap_or(0);
    if version > MIGRATIONS.len() {
        return Err(CoordinationError {
            what: "migrate the schema",
            message: format!(
                "the database's schema is version {version}, newer than this sundial's ({})",
                MIGRATIONS.len()
            ),
        });
    }
    for migration in &MIGRATIONS[version..] {
        tx.batch_execute(migration).await.map_err(err)?;
    }
    let current = i32::try_from(MIGRATIONS.len()).unwrap_or(i32::MAX);
    tx.execute("DELETE FROM sundial_schema", &[])
        .await
        .map_err(err)?;
    tx.execute(
        "INSERT INTO sundial_schema (version) VALUES ($1)",
        &[&current],
    )
    .await
    .map_err(err)?;
    tx.commit().await.map_err(err)
}
