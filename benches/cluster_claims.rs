//! Claims per second through one PostgreSQL server: three nodes (three
//! cluster threads, as three daemons run them, each with its own
//! connection) and 10,000 cluster timers due in the same minute. Every
//! node claims every elapse, as every daemon computes it; the claims go
//! through the real cluster task (its batching, the rendezvous preference
//! and the deferral of the nodes an elapse does not prefer) and the real
//! backend. Figures:
//!
//! - claims answered per second (won and lost, all three nodes),
//! - the added lateness per elapse: from the moment the elapse is due (its
//!   claim handed to the task) to the moment its winner has the answer and
//!   can start the unit: p50, p99 and max.
//!
//! `cargo bench --bench cluster_claims`; `SUNDIAL_BENCH_TIMERS=N` for
//! another count. Needs Debian's postgresql package (skips and says so
//! without it). It asserts correctness (each elapse won exactly once),
//! nothing about speed.
#![allow(clippy::unwrap_used)]

#[path = "../tests/cluster_support/postgres.rs"]
mod postgres;

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use sundial::cluster::postgres::Postgres as Backend;
use sundial::cluster::{ClaimRequest, ClusterConfig};
use sundial::daemon::cluster_task::{spawn, ClusterEvent, Command};
use sundial::unit::extensions::ClusterFailover;

const NODES: usize = 3;
/// 2030-01-01 00:00:00 UTC: the minute every timer is due in.
const DUE: i64 = 1_893_456_000_000_000;

fn percentile(sorted: &[Duration], q: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[(sorted.len() * q / 100).min(sorted.len() - 1)]
}

fn main() {
    let timers: usize = std::env::var("SUNDIAL_BENCH_TIMERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().unwrap();
    let pg = match postgres::Postgres::start(dir.path()) {
        Ok(pg) => pg,
        Err(why) => {
            eprintln!("cluster_claims: skipped: {why}");
            return;
        }
    };
    let mut handles = Vec::new();
    for i in 0..NODES {
        let config = ClusterConfig::new(
            Some(pg.connection()),
            None,
            Some(format!("node-{i}")),
            Some(Duration::from_secs(30)),
            None,
            None,
            || Ok(String::new()),
        )
        .unwrap();
        let handle = spawn(
            Backend::new(pg.connection()),
            config,
            Duration::from_secs(3600),
        )
        .unwrap();
        handles.push(handle);
    }
    // Every node up and aware of the others (two heartbeats).
    for h in &mut handles {
        loop {
            match h.events.blocking_recv() {
                Some(ClusterEvent::Up) => break,
                Some(ClusterEvent::Down(why)) if !why.contains("connecting") => {
                    panic!("cannot connect: {why}")
                }
                Some(_) => {}
                None => panic!("the cluster thread ended"),
            }
        }
    }
    std::thread::sleep(Duration::from_millis(2500));

    let start = Arc::new(Barrier::new(NODES + 1));
    let mut collectors = Vec::new();
    for (i, mut h) in handles.into_iter().enumerate() {
        let start = Arc::clone(&start);
        collectors.push(std::thread::spawn(move || {
            let requests: Vec<ClaimRequest> = (0..timers)
                .map(|t| ClaimRequest {
                    timer: format!("t{t:05}.timer"),
                    unit: format!("t{t:05}.service"),
                    scheduled_usec: DUE,
                    started_usec: DUE,
                    failover: ClusterFailover::Rerun,
                })
                .collect();
            start.wait();
            let due = Instant::now();
            for r in requests {
                h.commands.send(Command::Claim(r)).unwrap();
            }
            let mut answered = 0;
            let mut won = Vec::new();
            while answered < timers {
                match h.events.blocking_recv() {
                    Some(ClusterEvent::Claimed(answers)) => {
                        let at = due.elapsed();
                        answered += answers.len();
                        won.extend(answers.iter().filter(|a| a.won).map(|_| at));
                    }
                    Some(ClusterEvent::Unavailable(r)) => {
                        panic!("node-{i}: {} claims not made", r.len())
                    }
                    Some(_) => {}
                    None => panic!("the cluster thread ended"),
                }
            }
            (won, due.elapsed())
        }));
    }
    start.wait();
    let began = Instant::now();
    let mut lateness: Vec<Duration> = Vec::new();
    let mut per_node = Vec::new();
    let mut last_answer = Duration::ZERO;
    for c in collectors {
        let (won, done) = c.join().unwrap();
        per_node.push(won.len());
        lateness.extend(won);
        last_answer = last_answer.max(done);
    }
    let all = began.elapsed().max(last_answer);
    lateness.sort();
    let won: usize = per_node.iter().sum();
    let rows = pg.query("SELECT count(*), count(DISTINCT timer) FROM sundial_claims");
    assert_eq!(won, timers, "each elapse won exactly once: {per_node:?}");
    assert_eq!(rows, [format!("{timers}|{timers}")]);
    let claims = NODES * timers;
    println!(
        "cluster_claims: {NODES} nodes x {timers} timers due in the same minute: \
         {claims} claims answered in {:.3}s = {:.0} claims/s (the deferred losers included); \
         every elapse won in {:.3}s = {:.0} elapses/s",
        all.as_secs_f64(),
        claims as f64 / all.as_secs_f64(),
        percentile(&lateness, 100).as_secs_f64(),
        timers as f64 / percentile(&lateness, 100).as_secs_f64().max(1e-9),
    );
    println!(
        "cluster_claims: added lateness per elapse (due -> winner has its claim): \
         min {:.1}ms, p50 {:.1}ms, p99 {:.1}ms, max {:.1}ms; won per node {per_node:?}",
        percentile(&lateness, 0).as_secs_f64() * 1e3,
        percentile(&lateness, 50).as_secs_f64() * 1e3,
        percentile(&lateness, 99).as_secs_f64() * 1e3,
        percentile(&lateness, 100).as_secs_f64() * 1e3,
    );
}
