//! The shared tables, as numbered migrations. A node applies the ones the
//! database lacks under an advisory lock, so that nodes starting together
//! do not race; `sundial_schema` holds the version reached.

/// The advisory lock key the migrations run under ("sundial" in ASCII).
pub const MIGRATION_LOCK: i64 = 0x73_75_6e_64_69_61_6c;

/// Migration `i` brings the schema from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: nodes, claims, runs, singleton leases.
    "CREATE TABLE sundial_nodes (
         node text PRIMARY KEY,
         heartbeat timestamptz NOT NULL,
         skew_usec bigint NOT NULL DEFAULT 0,
         refusing text
     );
     -- One row per (timer, scheduled elapse): the unique key every claim
     -- inserts on. The lease belongs to the attempt running now.
     CREATE TABLE sundial_claims (
         timer text NOT NULL,
         scheduled bigint NOT NULL,
         unit text NOT NULL,
         node text NOT NULL,
         attempt integer NOT NULL,
         state text NOT NULL CHECK (state IN ('running', 'done', 'failed')),
         failover text NOT NULL CHECK (failover IN ('rerun', 'fail')),
         lease_until timestamptz NOT NULL,
         recorded timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (timer, scheduled)
     );
     -- The takeover scan: running claims by lease end.
     CREATE INDEX sundial_claims_lease ON sundial_claims (lease_until) WHERE state = 'running';
     CREATE INDEX sundial_claims_node ON sundial_claims (node) WHERE state = 'running';
     CREATE TABLE sundial_runs (
         id bigserial PRIMARY KEY,
         timer text NOT NULL,
         unit text NOT NULL,
         scheduled bigint NOT NULL,
         attempt integer NOT NULL,
         node text NOT NULL,
         started_usec bigint,
         ended_usec bigint,
         result text,
         exit_status integer,
         recorded timestamptz NOT NULL DEFAULT now(),
         UNIQUE (timer, scheduled, attempt)
     );
     CREATE INDEX sundial_runs_recorded ON sundial_runs (recorded);
     CREATE INDEX sundial_runs_unit ON sundial_runs (unit, id);
     CREATE TABLE sundial_singletons (
         unit text PRIMARY KEY,
         node text NOT NULL,
         epoch bigint NOT NULL,
         lease_until timestamptz NOT NULL
     );",
    // 2: a timer's newest run, for timers that count from the cluster's
    // runs (OnUnitActiveSec=, OnUnitInactiveSec=).
    "CREATE INDEX sundial_runs_timer ON sundial_runs (timer, id);",
];
