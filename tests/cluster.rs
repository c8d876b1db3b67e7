//! Cluster timers against a real PostgreSQL server: three daemons on this
//! machine as three nodes (separate state dirs and sockets, one
//! `[cluster]`), driven through their manual clocks.
#![allow(clippy::unwrap_used)]

mod cluster_support;
mod daemon_support;

use std::collections::BTreeMap;
use std::fs;
use std::time::{Duration, Instant};

use cluster_support::{fleet, Fleet, Postgres};
use daemon_support::{wait_for, Daemon};

/// 2030-01-01 00:00:30 UTC: half a minute before the first elapse of a
/// minutely timer.
const START: i64 = 1_893_456_030_000_000;
const MINUTE: i64 = 60_000_000;

/// A server, or the reason the test skips.
fn postgres(dir: &std::path::Path) -> Option<Postgres> {
    match Postgres::start(dir) {
        Ok(pg) => Some(pg),
        Err(why) => {
            eprintln!("skipped: {why}");
            None
        }
    }
}

fn connected(d: &Daemon) -> bool {
    d.stderr().contains("connected; cluster units run")
}

/// Waits until every node is connected and has seen the others' heartbeats.
fn wait_connected(f: &Fleet, pg: &Postgres) {
    for d in &f.nodes {
        assert!(
            wait_for(Duration::from_secs(30), || connected(d)),
            "not connected: {}",
            d.stderr()
        );
    }
    let n = f.nodes.len().to_string();
    assert!(wait_for(Duration::from_secs(10), || pg
        .query("SELECT count(*) FROM sundial_nodes")
        == [n.clone()]));
    // One more heartbeat each: every node's list of live nodes is whole.
    std::thread::sleep(Duration::from_millis(1200));
}

fn lines(path: &std::path::Path) -> Vec<String> {
    fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn sub_state(d: &Daemon, unit: &str) -> String {
    d.property(Some(unit), "SubState")
}

/// Lets a minute pass on every node's clock, then waits until every
/// node's `timer` waits for its next elapse again (its claim answered, its
/// run ended).
fn step_all(f: &Fleet, timer: &str) {
    for d in &f.nodes {
        d.clock(&format!("advance {MINUTE}"));
    }
    for d in &f.nodes {
        assert!(
            wait_for(Duration::from_secs(20), || sub_state(d, timer) == "waiting"),
            "{timer} did not wait again: {}",
            d.stderr()
        );
    }
}

const ONCE_TIMER: &str = "[Timer]\nOnCalendar=*-*-* *:*:00\nAccuracySec=1us\n\
                          X-Sundial-Cluster=once\n[Install]\nWantedBy=timers.target\n";

#[test]
fn each_elapse_runs_exactly_once_across_three_nodes_and_runs_spread() {
    let dir = tempfile::tempdir().unwrap();
    let Some(pg) = postgres(dir.path()) else {
        return;
    };
    let elapses: i64 = if std::env::var("SUNDIAL_RELIABILITY_LONG").as_deref() == Ok("1") {
        1000
    } else {
        300
    };
    let units = [
        ("tick.timer", ONCE_TIMER),
        (
            "tick.service",
            "[Unit]\nStartLimitIntervalSec=0\n[Service]\nType=oneshot\n\
             ExecStart=/bin/sh -c 'echo \"$SUNDIAL_CLUSTER_ELAPSE_USEC $SUNDIAL_CLUSTER_NODE \
             $SUNDIAL_CLUSTER_ATTEMPT\" >> @SHARED@/runs'\n",
        ),
    ];
    let f = fleet(
        dir.path(),
        &pg,
        3,
        &units,
        &[("timers.target", "tick.timer")],
        "5s",
        START,
    );
    wait_connected(&f, &pg);
    let began = Instant::now();
    for k in 1..=elapses {
        let at = f.nodes[0].clock("now");
        assert_eq!(at, START + (k - 1) * MINUTE);
        step_all(&f, "tick.timer");
    }
    let took = began.elapsed();
    let runs = lines(&f.shared.join("runs"));
    let mut per_elapse: BTreeMap<i64, usize> = BTreeMap::new();
    let mut per_node: BTreeMap<String, usize> = BTreeMap::new();
    for line in &runs {
        let mut words = line.split_whitespace();
        let elapse: i64 = words.next().unwrap().parse().unwrap();
        *per_elapse.entry(elapse).or_default() += 1;
        *per_node
            .entry(words.next().unwrap().to_owned())
            .or_default() += 1;
        assert_eq!(words.next(), Some("1"), "a first attempt: {line}");
    }
    eprintln!(
        "reliability: {elapses} elapses on 3 nodes in {:.1}s; runs per node {per_node:?}",
        took.as_secs_f64()
    );
    // Every elapse (its scheduled time, the same on every node) ran once.
    let expected: Vec<i64> = (1..=elapses)
        .map(|k| START - 30_000_000 + k * MINUTE)
        .collect();
    assert_eq!(per_elapse.keys().copied().collect::<Vec<_>>(), expected);
    assert!(per_elapse.values().all(|n| *n == 1), "{per_elapse:?}");
    // And spread: each node ran a fair share (a third is 100 of 300).
    assert_eq!(per_node.len(), 3, "{per_node:?}");
    let share = usize::try_from(elapses).unwrap() / 6;
    assert!(per_node.values().all(|n| *n >= share), "{per_node:?}");
    // The shared runs table agrees, with the node of each run.
    let rows = pg.query(
        "SELECT count(*), count(DISTINCT scheduled), count(*) FILTER (WHERE result = 'success') \
         FROM sundial_runs WHERE timer = 'tick.timer'",
    );
    assert_eq!(rows, [format!("{elapses}|{elapses}|{elapses}")]);
    // Each node's own history holds its runs, labelled with its name.
    let mut local = 0;
    for (i, d) in f.nodes.iter().enumerate() {
        let history = d.finished("tick.service");
        for run in &history {
            assert_eq!(run.trigger.label(), format!("cluster:tick.timer@node-{i}"));
        }
        assert_eq!(history.len(), per_node[&format!("node-{i}")]);
        local += history.len();
        // `history` names the node in a NODE column, `-o json` in a field.
        let table = cli(d, &["history", "tick.service", "-n", "3"]);
        let header: Vec<&str> = table.lines().next().unwrap().split_whitespace().collect();
        assert_eq!(header[2..4], ["UNIT", "NODE"], "{table}");
        let rows: Vec<Vec<&str>> = table
            .lines()
            .skip(1)
            .take_while(|l| !l.is_empty())
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(rows.len(), 3, "{table}");
        for row in rows {
            let unit = row.iter().position(|w| *w == "tick.service").unwrap();
            assert_eq!(row[unit + 1], format!("node-{i}"), "{table}");
        }
        let json: serde_json::Value =
            serde_json::from_str(&cli(d, &["history", "tick.service", "-o", "json"])).unwrap();
        let json = json.as_array().unwrap();
        assert_eq!(json.len(), history.len());
        assert!(
            json.iter().all(|r| r["node"] == format!("node-{i}")),
            "{json:?}"
        );
    }
    assert_eq!(local, runs.len());
}

/// Runs `sundial ARGS... --socket <the node's socket>`; its stdout.
fn cli(d: &Daemon, args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sundial"))
        .arg("--socket")
        .arg(&d.socket)
        .args(args)
        .env("TZ", "UTC")
        .env("SYSTEMD_PAGER", "")
        .env("SUNDIAL_PAGER", "")
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

fn long() -> bool {
    std::env::var("SUNDIAL_RELIABILITY_LONG").as_deref() == Ok("1")
}

/// The pid in a service's `start NODE ATTEMPT PID` line, and its node.
fn started(line: &str) -> (String, u32, i32) {
    let w: Vec<&str> = line.split_whitespace().collect();
    (
        w[1].to_owned(),
        w[2].parse().unwrap(),
        w[3].parse().unwrap(),
    )
}

#[test]
fn a_killed_nodes_run_is_run_again_by_another_node_after_its_lease() {
    let dir = tempfile::tempdir().unwrap();
    let Some(pg) = postgres(dir.path()) else {
        return;
    };
    let lease = Duration::from_secs(2);
    let units = [
        ("job.timer", ONCE_TIMER),
        (
            "job.service",
            "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo \"start \
             $SUNDIAL_CLUSTER_NODE $SUNDIAL_CLUSTER_ATTEMPT $$$$\" >> @SHARED@/log; exec sleep 3'\n",
        ),
    ];
    let mut f = fleet(
        dir.path(),
        &pg,
        3,
        &units,
        &[("timers.target", "job.timer")],
        "2s",
        START,
    );
    wait_connected(&f, &pg);
    for d in &f.nodes {
        d.clock(&format!("advance {MINUTE}"));
    }
    let log = f.shared.join("log");
    assert!(wait_for(Duration::from_secs(20), || !lines(&log).is_empty()));
    let (first, attempt, pid) = started(&lines(&log)[0]);
    assert_eq!(attempt, 1);
    // The node dies, and with it its host's processes.
    let index: usize = first.trim_start_matches("node-").parse().unwrap();
    f.nodes[index].kill9();
    let killed = Instant::now();
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    );
    assert!(
        wait_for(Duration::from_secs(30), || lines(&log).len() >= 2),
        "no other node ran it again: {:?}",
        lines(&log)
    );
    let after = killed.elapsed();
    let (second, attempt, _) = started(&lines(&log)[1]);
    eprintln!(
        "reliability: rerun on {second} {:.2}s after {first} was killed (lease {}s)",
        after.as_secs_f64(),
        lease.as_secs()
    );
    assert_ne!(second, first);
    assert_eq!(attempt, 2);
    // Within the lease and a second (checked loosely on a busy machine,
    // strictly in the long mode).
    let slack = if long() {
        Duration::ZERO
    } else {
        Duration::from_secs(3)
    };
    assert!(after <= lease + Duration::from_secs(1) + slack, "{after:?}");
    // The rerun ends, and the shared history shows both attempts.
    let second_index: usize = second.trim_start_matches("node-").parse().unwrap();
    let survivor = &f.nodes[second_index];
    assert!(wait_for(Duration::from_secs(20), || survivor
        .finished("job.service")
        .len()
        == 1));
    assert!(wait_for(Duration::from_secs(10), || pg.query(
        "SELECT count(*) FROM sundial_runs WHERE result = 'success'"
    ) == ["1"]));
    let rows = pg.query("SELECT attempt, node, result FROM sundial_runs ORDER BY attempt");
    assert_eq!(
        rows,
        [
            format!("1|{first}|lease-lost"),
            format!("2|{second}|success")
        ]
    );
    // Only one run at all: the third node neither ran nor reran it.
    assert_eq!(lines(&log).len(), 2, "{:?}", lines(&log));
    // Every node's `history --cluster` shows both attempts and their nodes.
    let shown = cli(
        survivor,
        &["history", "--cluster", "job.timer", "--no-legend"],
    );
    let rows: Vec<Vec<&str>> = shown
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 2, "{shown}");
    assert!(
        rows[0].contains(&first.as_str()) && rows[0].contains(&"lease-lost"),
        "{shown}"
    );
    assert!(
        rows[1].contains(&second.as_str()) && rows[1].contains(&"success"),
        "{shown}"
    );
}

/// Waits until every node's `timer` waits for its next elapse.
fn wait_waiting(f: &Fleet, timer: &str) {
    for d in &f.nodes {
        assert!(
            wait_for(Duration::from_secs(20), || sub_state(d, timer) == "waiting"),
            "{timer} did not wait again: {}",
            d.stderr()
        );
    }
}

#[test]
fn without_the_database_no_cluster_unit_runs_local_ones_do_and_persistent_catches_up_once() {
    let dir = tempfile::tempdir().unwrap();
    let Some(mut pg) = postgres(dir.path()) else {
        return;
    };
    let cluster_timer = "[Timer]\nOnCalendar=*-*-* *:*:00\nAccuracySec=1us\nPersistent=true\n\
                         X-Sundial-Cluster=once\n[Install]\nWantedBy=timers.target\n";
    let local_timer =
        "[Timer]\nOnCalendar=*-*-* *:*:00\nAccuracySec=1us\n[Install]\nWantedBy=timers.target\n";
    let units = [
        ("c.timer", cluster_timer),
        (
            "c.service",
            "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo \
             \"$SUNDIAL_CLUSTER_ELAPSE_USEC $SUNDIAL_CLUSTER_NODE\" >> @SHARED@/c'\n",
        ),
        (
            "plain.timer",
            cluster_timer.replace("Persistent=true\n", "").leak(),
        ),
        (
            "plain.service",
            "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo x >> @SHARED@/plain'\n",
        ),
        ("local.timer", local_timer),
        (
            "local.service",
            "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo x >> @SHARED@/local'\n",
        ),
    ];
    let f = fleet(
        dir.path(),
        &pg,
        3,
        &units,
        &[
            ("timers.target", "c.timer"),
            ("timers.target", "plain.timer"),
            ("timers.target", "local.timer"),
        ],
        "4s",
        START,
    );
    wait_connected(&f, &pg);
    let c = f.shared.join("c");
    let plain = f.shared.join("plain");
    let local = f.shared.join("local");
    let minute = |f: &Fleet| {
        for d in &f.nodes {
            d.clock(&format!("advance {MINUTE}"));
        }
        for timer in ["c.timer", "plain.timer", "local.timer"] {
            wait_waiting(f, timer);
        }
    };
    minute(&f);
    assert!(wait_for(Duration::from_secs(10), || lines(&local).len() == 3));
    assert!(wait_for(Duration::from_secs(10), || lines(&c).len() == 1
        && lines(&plain).len() == 1));

    pg.stop();
    let stopped = Instant::now();
    for d in &f.nodes {
        assert!(
            wait_for(Duration::from_secs(10), || d.stderr().contains(
                "cluster: running no cluster units: cannot reach the cluster database"
            )),
            "{}",
            d.stderr()
        );
    }
    // Status says so: the manager's property and the unit's Cluster: line.
    for d in &f.nodes {
        let why = d.property(None, "ClusterState");
        assert!(
            why.starts_with("cannot reach the cluster database"),
            "{why}"
        );
        let status = cli(d, &["status", "c.timer", "-n", "0"]);
        assert!(
            status.contains("Cluster: once; node node-")
                && status.contains("running no cluster units: cannot reach"),
            "{status}"
        );
    }
    // Three elapses while the database is away: local units run on every
    // node, cluster units on none.
    for k in 1..=3 {
        minute(&f);
        assert!(
            wait_for(Duration::from_secs(10), || lines(&local).len() == 3 + 3 * k),
            "{:?}",
            lines(&local)
        );
    }
    assert_eq!(lines(&c).len(), 1);
    assert_eq!(lines(&plain).len(), 1);
    for d in &f.nodes {
        assert!(d
            .stderr()
            .contains("c.timer: elapse not run, the cluster is down"));
    }
    let down = Duration::from_secs(10);
    if let Some(rest) = down.checked_sub(stopped.elapsed()) {
        std::thread::sleep(rest);
    }
    assert_eq!(lines(&c).len(), 1);
    pg.start_again().unwrap();
    // The Persistent= timer catches up once, on one node, with the newest
    // missed elapse; the other does not.
    assert!(
        wait_for(Duration::from_secs(20), || lines(&c).len() == 2),
        "{:?}",
        f.nodes[0].stderr()
    );
    std::thread::sleep(Duration::from_secs(3));
    let c_lines = lines(&c);
    assert_eq!(c_lines.len(), 2, "{c_lines:?}");
    let missed = START - 30_000_000 + 4 * MINUTE;
    assert!(c_lines[1].starts_with(&format!("{missed} ")), "{c_lines:?}");
    assert_eq!(lines(&plain).len(), 1);
    for d in &f.nodes {
        assert!(
            wait_for(Duration::from_secs(10), || d.property(None, "ClusterState")
                == "connected"),
            "{}",
            d.property(None, "ClusterState")
        );
    }
    // And the timers go on as before.
    minute(&f);
    assert!(wait_for(Duration::from_secs(10), || lines(&c).len() == 3));
    assert_eq!(lines(&c).len(), 3);
}

/// Kills a process group and its leader (a host's processes dying with it).
fn kill_group(pid: i32) {
    use nix::sys::signal::{kill, killpg, Signal};
    use nix::unistd::Pid;
    let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
    let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
}

#[test]
fn a_singleton_runs_on_one_node_at_a_time_and_fails_over() {
    let dir = tempfile::tempdir().unwrap();
    let Some(pg) = postgres(dir.path()) else {
        return;
    };
    // The service takes a lock on a file every node shares and holds it
    // while it runs: a second copy anywhere finds it taken and says so.
    let units = [(
        "single.service",
        "[Service]\nX-Sundial-Cluster=singleton\nExecStart=/bin/sh -c 'flock -n \
         @SHARED@/lock /bin/sh -c \"echo $SUNDIAL_CLUSTER_NODE $$$$ >> @SHARED@/single; \
         exec sleep 1000\" || echo DOUBLE $SUNDIAL_CLUSTER_NODE >> @SHARED@/single'\n\
         [Install]\nWantedBy=default.target\n",
    )];
    let mut f = fleet(
        dir.path(),
        &pg,
        3,
        &units,
        &[("default.target", "single.service")],
        "2s",
        START,
    );
    wait_connected(&f, &pg);
    let log = f.shared.join("single");
    assert!(wait_for(Duration::from_secs(20), || !lines(&log).is_empty()));
    // Settled: one copy, on one node; the others wait.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        lines(&log).len(),
        1,
        "{:?} {:?}",
        lines(&log),
        f.nodes
            .iter()
            .map(|d| d.log_lines("single.service"))
            .collect::<Vec<_>>()
    );
    let holder = |line: &str| -> (usize, i32) {
        let w: Vec<&str> = line.split_whitespace().collect();
        assert_ne!(w[0], "DOUBLE", "two copies at once: {line}");
        (
            w[0].trim_start_matches("node-").parse().unwrap(),
            w[1].parse().unwrap(),
        )
    };
    let (first, _) = holder(&lines(&log)[0]);
    let running: Vec<usize> = (0..3)
        .filter(|i| f.nodes[*i].property(Some("single.service"), "ActiveState") == "active")
        .collect();
    assert_eq!(running, [first]);

    // Its node is stopped: another takes over.
    assert!(f.nodes[first].terminate());
    let stopped = Instant::now();
    assert!(
        wait_for(Duration::from_secs(20), || lines(&log).len() >= 2),
        "no failover: {:?}",
        lines(&log)
    );
    eprintln!(
        "reliability: singleton failed over {:.2}s after its node stopped",
        stopped.elapsed().as_secs_f64()
    );
    let (second, pid) = holder(&lines(&log)[1]);
    assert_ne!(second, first);

    // That node dies (kill -9, its processes with it): the last takes over.
    f.nodes[second].kill9();
    kill_group(pid);
    assert!(
        wait_for(Duration::from_secs(20), || lines(&log).len() >= 3),
        "no failover after kill -9: {:?}",
        lines(&log)
    );
    std::thread::sleep(Duration::from_secs(3));
    let all = lines(&log);
    assert_eq!(all.len(), 3, "{all:?}");
    let (third, pid3) = holder(&all[2]);
    assert!(third != first && third != second, "{all:?}");
    // `cluster status` on the holder shows it running the singleton.
    let status = cli(&f.nodes[third], &["cluster", "status"]);
    assert!(
        status.contains(&format!("This node: node-{third} (connected)")),
        "{status}"
    );
    let holder_row = status
        .lines()
        .find(|l| l.starts_with(&format!("node-{third} ")))
        .unwrap_or_default();
    assert!(holder_row.contains("single.service"), "{status}");
    // The shared runs table shows the three holders in turn.
    let rows = pg.query("SELECT node FROM sundial_runs WHERE unit = 'single.service' ORDER BY id");
    assert_eq!(
        rows,
        [
            format!("node-{first}"),
            format!("node-{second}"),
            format!("node-{third}")
        ]
    );
    kill_group(pid3);
}

#[test]
fn a_node_whose_clock_is_off_beyond_the_bound_refuses_cluster_work_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let Some(pg) = postgres(dir.path()) else {
        return;
    };
    // Two nodes: one 10 s ahead of the database (bound 2 s), one 1 s ahead.
    let node = |name: &str, offset_usec: i64| {
        let node_dir = dir.path().join(name);
        std::fs::create_dir_all(&node_dir).unwrap();
        let config = node_dir.join("sundial.toml");
        std::fs::write(
            &config,
            format!(
                "[cluster]\ndatabase = \"{}\"\nnode = \"{name}\"\nlease = \"5s\"\n\
                 max_clock_skew = \"2s\"\n",
                pg.connection()
            ),
        )
        .unwrap();
        let mut d = Daemon::new(&node_dir, &[])
            .arg("--config")
            .arg(config.to_str().unwrap())
            .env(
                "SUNDIAL_TEST_CLUSTER_CLOCK_OFFSET_USEC",
                &offset_usec.to_string(),
            );
        d.start();
        d
    };
    let off = node("off", 10_000_000);
    let near = node("near", 1_000_000);
    assert!(
        wait_for(Duration::from_secs(30), || connected(&near)),
        "within the bound: {}",
        near.stderr()
    );
    let state = |d: &Daemon| d.property(None, "ClusterState");
    assert!(
        wait_for(Duration::from_secs(30), || state(&off)
            .contains("max_clock_skew")),
        "beyond the bound: {:?}\n{}",
        state(&off),
        off.stderr()
    );
    assert!(!connected(&off), "{}", off.stderr());
    assert_eq!(state(&near), "connected");
    // The refusing node says so in the shared table too.
    assert!(wait_for(Duration::from_secs(10), || pg
        .query("SELECT count(*) FROM sundial_nodes")
        == ["2".to_owned()]));
}

/// A singleton service that holds a lock on a shared file while it runs
/// and writes `NODE PID` (or `DOUBLE NODE` if the lock is taken) to
/// `@SHARED@/<log>`.
fn locking_singleton(log: &str) -> String {
    format!(
        "[Service]\nX-Sundial-Cluster=singleton\nExecStart=/bin/sh -c 'flock -n \
         @SHARED@/{log}.lock /bin/sh -c \"echo $SUNDIAL_CLUSTER_NODE $$$$ >> @SHARED@/{log}; \
         exec sleep 1000\" || echo DOUBLE $SUNDIAL_CLUSTER_NODE >> @SHARED@/{log}'\n\
         [Install]\nWantedBy=default.target\n"
    )
}

/// The nodes on which `unit` is active.
fn active_on(f: &Fleet, unit: &str) -> Vec<usize> {
    (0..f.nodes.len())
        .filter(|i| f.nodes[*i].property(Some(unit), "ActiveState") == "active")
        .collect()
}

#[test]
fn a_singleton_added_by_daemon_reload_asks_for_its_lease_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let Some(pg) = postgres(dir.path()) else {
        return;
    };
    // The fleet starts without the singleton.
    let f = fleet(dir.path(), &pg, 3, &[], &[], "5s", START);
    wait_connected(&f, &pg);
    let text = locking_singleton("added").replace("@SHARED@", f.shared.to_str().unwrap());
    for d in &f.nodes {
        daemon_support::write_unit(&d.units, "added.service", &text);
        daemon_support::enable(&d.units, "default.target", "added.service");
    }
    let log = f.shared.join("added");
    std::thread::sleep(Duration::from_secs(2));
    assert!(lines(&log).is_empty(), "started before the reload");
    for d in &f.nodes {
        assert!(matches!(
            d.call(sundial::ipc::Request::DaemonReload),
            sundial::ipc::Response::Done { .. }
        ));
    }
    assert!(
        wait_for(Duration::from_secs(10), || !lines(&log).is_empty()),
        "no node started it after the reload: {}",
        f.nodes[0].stderr()
    );
    std::thread::sleep(Duration::from_secs(3));
    let all = lines(&log);
    assert_eq!(all.len(), 1, "{all:?}");
    let node: usize = all[0]
        .split_whitespace()
        .next()
        .unwrap()
        .trim_start_matches("node-")
        .parse()
        .unwrap();
    assert_eq!(active_on(&f, "added.service"), [node]);
    for d in &f.nodes {
        assert!(
            d.stderr().contains("added.service: a cluster singleton"),
            "{}",
            d.stderr()
        );
    }
    let pid: i32 = all[0].split_whitespace().nth(1).unwrap().parse().unwrap();
    kill_group(pid);
}

/// Runs `sundial ARGS... --socket <the node's socket>`, which must fail;
/// its stderr.
fn cli_fails(d: &Daemon, args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sundial"))
        .arg("--socket")
        .arg(&d.socket)
        .args(args)
        .output()
        .unwrap();
    assert!(!out.status.success(), "{args:?} succeeded: {out:?}");
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn a_start_by_hand_of_a_singleton_respects_its_lease_and_a_stop_releases_it() {
    let dir = tempfile::tempdir().unwrap();
    let Some(mut pg) = postgres(dir.path()) else {
        return;
    };
    // Not enabled anywhere: only the hand starts below run it.
    let units = [("hand.service", locking_singleton("hand"))];
    let units: Vec<(&str, &str)> = units.iter().map(|(n, t)| (*n, t.as_str())).collect();
    let f = fleet(dir.path(), &pg, 3, &units, &[], "5s", START);
    wait_connected(&f, &pg);
    let log = f.shared.join("hand");
    let node_of = |line: &str| line.split_whitespace().next().unwrap().to_owned();

    // node-0 takes the lease and starts it.
    cli(&f.nodes[0], &["start", "hand.service"]);
    assert!(wait_for(Duration::from_secs(10), || lines(&log).len() == 1));
    assert_eq!(node_of(&lines(&log)[0]), "node-0");
    // node-1's start is refused, naming the holder; nothing runs there.
    let refused = cli_fails(&f.nodes[1], &["start", "hand.service"]);
    assert!(refused.contains("node node-0 holds its lease"), "{refused}");
    assert_eq!(active_on(&f, "hand.service"), [0]);

    // node-0's stop gives the lease up (and node-0 does not take it again).
    cli(&f.nodes[0], &["stop", "hand.service"]);
    assert!(wait_for(Duration::from_secs(10), || pg.query(
        "SELECT count(*) FROM sundial_singletons WHERE unit = 'hand.service' \
         AND lease_until > now()"
    ) == ["0"]));
    // node-1 can start it now.
    cli(&f.nodes[1], &["start", "hand.service"]);
    assert!(wait_for(Duration::from_secs(10), || lines(&log).len() == 2));
    std::thread::sleep(Duration::from_secs(2));
    let all = lines(&log);
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(node_of(&all[1]), "node-1", "{all:?}");
    assert_eq!(active_on(&f, "hand.service"), [1]);
    let refused = cli_fails(&f.nodes[0], &["start", "hand.service"]);
    assert!(refused.contains("node node-1 holds its lease"), "{refused}");
    // The shared runs table has both holders in turn.
    let rows =
        pg.query("SELECT node, result FROM sundial_runs WHERE unit = 'hand.service' ORDER BY id");
    assert_eq!(rows[0], "node-0|success");
    assert_eq!(rows[1], "node-1|");

    // Without the database a start is refused and says why.
    pg.stop();
    assert!(wait_for(Duration::from_secs(10), || f.nodes[2]
        .stderr()
        .contains("cluster: running no cluster units")));
    let refused = cli_fails(&f.nodes[2], &["start", "hand.service"]);
    assert!(
        refused.contains("the cluster database is unreachable"),
        "{refused}"
    );
    assert_ne!(
        f.nodes[2].property(Some("hand.service"), "ActiveState"),
        "active"
    );
    let pid: i32 = all[1].split_whitespace().nth(1).unwrap().parse().unwrap();
    kill_group(pid);
}

#[test]
fn an_elapse_fired_late_is_claimed_under_its_scheduled_time() {
    let dir = tempfile::tempdir().unwrap();
    let Some(pg) = postgres(dir.path()) else {
        return;
    };
    let units = [
        ("late.timer", ONCE_TIMER),
        (
            "late.service",
            "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo \
             \"$SUNDIAL_CLUSTER_ELAPSE_USEC $SUNDIAL_CLUSTER_NODE\" >> @SHARED@/late'\n",
        ),
    ];
    let f = fleet(
        dir.path(),
        &pg,
        3,
        &units,
        &[("timers.target", "late.timer")],
        "5s",
        START,
    );
    wait_connected(&f, &pg);
    let log = f.shared.join("late");
    let due = START + 30_000_000;
    // node-0's wall clock jumps 45 s past the elapse, node-1 sleeps (a
    // suspend) 40 s past it; both fire it late, at different moments.
    // node-2 fires it on time, last.
    f.nodes[0].clock(&format!("set-realtime {}", due + 45_000_000));
    f.nodes[1].clock(&format!("suspend {}", 70_000_000));
    assert!(wait_for(Duration::from_secs(10), || lines(&log).len() == 1));
    f.nodes[2].clock("advance 30000000");
    wait_waiting(&f, "late.timer");
    std::thread::sleep(Duration::from_secs(2));
    let runs = lines(&log);
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert!(runs[0].starts_with(&format!("{due} ")), "{runs:?}");
    let rows = pg.query("SELECT scheduled, count(*) FROM sundial_runs GROUP BY scheduled");
    assert_eq!(rows, [format!("{due}|1")]);
    // Every node claimed that one key and knows its holder.
    let held: Vec<String> = f
        .nodes
        .iter()
        .map(|d| {
            let status = cli(d, &["status", "late.timer", "-n", "0"]);
            let at = status.find("; elapse ").expect(&status);
            status[at..].lines().next().unwrap().to_owned()
        })
        .collect();
    assert!(held.iter().all(|h| *h == held[0]), "{held:?}");
    assert!(
        held[0].starts_with(&format!("; elapse @{} held by node-", due / SECOND)),
        "{held:?}"
    );
}

#[test]
fn an_elapse_counted_from_the_cluster_s_last_start_fired_late_is_claimed_under_its_scheduled_time()
{
    let dir = tempfile::tempdir().unwrap();
    let Some(pg) = postgres(dir.path()) else {
        return;
    };
    let units = [
        ("r.timer", RHYTHM_TIMER),
        (
            "r.service",
            "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo \
             \"$SUNDIAL_CLUSTER_ELAPSE_USEC $SUNDIAL_CLUSTER_NODE\" >> @SHARED@/r'\n",
        ),
    ];
    let f = fleet(
        dir.path(),
        &pg,
        3,
        &units,
        &[("timers.target", "r.timer")],
        "5s",
        START,
    );
    wait_connected(&f, &pg);
    let log = f.shared.join("r");
    // The first run, at 00:01:30 on every node.
    for d in &f.nodes {
        d.clock(&format!("advance {MINUTE}"));
    }
    assert!(wait_for(Duration::from_secs(10), || elapses(&log).len() == 1));
    wait_waiting(&f, "r.timer");
    for d in &f.nodes {
        assert!(
            wait_for(Duration::from_secs(10), || next_elapse(d, "r.timer")
                .contains("00:06:30")),
            "{}",
            next_elapse(d, "r.timer")
        );
    }
    // node-0's wall clock jumps 45 s past the next elapse, node-1 sleeps
    // 40 s past it (its monotonic clock stands still); node-2 is on time,
    // last.
    let due = START + 6 * MINUTE;
    f.nodes[0].clock(&format!("set-realtime {}", due + 45 * SECOND));
    f.nodes[1].clock(&format!("suspend {}", 5 * MINUTE + 40 * SECOND));
    assert!(wait_for(Duration::from_secs(10), || elapses(&log).len() == 2));
    f.nodes[2].clock(&format!("advance {}", 5 * MINUTE));
    wait_waiting(&f, "r.timer");
    std::thread::sleep(Duration::from_secs(2));
    let got = elapses(&log);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[1].0, due, "{got:?}");
    let rows = pg.query(
        "SELECT count(*), count(DISTINCT scheduled) FROM sundial_runs WHERE timer = 'r.timer'",
    );
    assert_eq!(rows, ["2|2"]);
    // And every node counts the next from that one run's start.
    let next = next_elapse(&f.nodes[2], "r.timer");
    for d in &f.nodes {
        assert!(
            wait_for(Duration::from_secs(10), || next_elapse(d, "r.timer")
                == next),
            "{} {next}",
            next_elapse(d, "r.timer")
        );
    }
}

const SECOND: i64 = 1_000_000;

/// A cluster timer counting from the cluster's runs: its first run from
/// each node's own start (a minute after), then every five minutes after
/// the cluster's last start.
const RHYTHM_TIMER: &str = "[Timer]\nOnActiveSec=1min\nOnUnitActiveSec=5min\nAccuracySec=1us\n\
                            X-Sundial-Cluster=once\n[Install]\nWantedBy=timers.target\n";

fn next_elapse(d: &Daemon, timer: &str) -> String {
    d.property(Some(timer), "NextElapseUSecRealtime")
}

/// The `ELAPSE NODE` lines of the rhythm test's service.
fn elapses(log: &std::path::Path) -> Vec<(i64, String)> {
    lines(log)
        .iter()
        .map(|l| {
            let mut w = l.split_whitespace();
            (
                w.next().unwrap().parse().unwrap(),
                w.next().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn on_unit_active_sec_counts_from_the_cluster_s_last_start_on_every_node() {
    let dir = tempfile::tempdir().unwrap();
    let Some(pg) = postgres(dir.path()) else {
        return;
    };
    let units = [
        ("r.timer", RHYTHM_TIMER),
        (
            "r.service",
            "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo \
             \"$SUNDIAL_CLUSTER_ELAPSE_USEC $SUNDIAL_CLUSTER_NODE\" >> @SHARED@/r'\n",
        ),
    ];
    let f = fleet(
        dir.path(),
        &pg,
        3,
        &units,
        &[("timers.target", "r.timer")],
        "5s",
        START,
    );
    wait_connected(&f, &pg);
    let log = f.shared.join("r");
    // node-0's OnActiveSec= comes first: the cluster's first run.
    f.nodes[0].clock(&format!("advance {MINUTE}"));
    assert!(
        wait_for(Duration::from_secs(10), || elapses(&log).len() == 1),
        "{}",
        f.nodes[0].stderr()
    );
    assert_eq!(
        elapses(&log)[0],
        (0, "node-0".to_owned()),
        "the first run's key"
    );
    // The others, which never ran it, count from that run's start.
    // Once node-0 has seen its run end (until then the timer is running
    // and has no next elapse).
    assert!(
        wait_for(Duration::from_secs(10), || next_elapse(
            &f.nodes[0],
            "r.timer"
        )
        .contains("00:06:30")),
        "{}",
        next_elapse(&f.nodes[0], "r.timer")
    );
    let first_next = next_elapse(&f.nodes[0], "r.timer");
    for d in &f.nodes[1..] {
        assert!(
            wait_for(Duration::from_secs(10), || next_elapse(d, "r.timer")
                == first_next),
            "{} {}",
            next_elapse(d, "r.timer"),
            d.stderr()
        );
    }
    // And their own OnActiveSec= does not run it again.
    for d in &f.nodes[1..] {
        d.clock(&format!("advance {MINUTE}"));
    }
    wait_waiting(&f, "r.timer");
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(elapses(&log).len(), 1, "{:?}", elapses(&log));

    // The nodes reach the elapse at different moments: node-0 first, 7 s
    // late, so the run starts at 00:06:37 and the next elapse counts from
    // there on every node, not from when each node fired.
    let key1 = START + 6 * MINUTE;
    f.nodes[0].clock(&format!("advance {}", 5 * MINUTE + 7 * SECOND));
    assert!(wait_for(Duration::from_secs(10), || elapses(&log).len() == 2));
    f.nodes[1].clock(&format!("advance {}", 5 * MINUTE + 3 * SECOND));
    f.nodes[2].clock(&format!("advance {}", 5 * MINUTE + 5 * SECOND));
    wait_waiting(&f, "r.timer");
    std::thread::sleep(Duration::from_secs(1));
    let got = elapses(&log);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[1], (key1, "node-0".to_owned()));
    assert!(
        wait_for(Duration::from_secs(10), || next_elapse(
            &f.nodes[0],
            "r.timer"
        )
        .contains("00:11:37")),
        "{}",
        next_elapse(&f.nodes[0], "r.timer")
    );
    let second_next = next_elapse(&f.nodes[0], "r.timer");
    for d in &f.nodes[1..] {
        assert!(
            wait_for(Duration::from_secs(10), || next_elapse(d, "r.timer")
                == second_next),
            "{}",
            next_elapse(d, "r.timer")
        );
    }
    // All three reach 00:11:37 together: one run, under that key.
    let key2 = key1 + 5 * MINUTE + 7 * SECOND;
    for (d, late) in f.nodes.iter().zip([0, 4, 2]) {
        d.clock(&format!("advance {}", 5 * MINUTE + late * SECOND));
    }
    assert!(wait_for(Duration::from_secs(10), || elapses(&log).len() == 3));
    wait_waiting(&f, "r.timer");
    std::thread::sleep(Duration::from_secs(1));
    let got = elapses(&log);
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[2].0, key2, "{got:?}");
    let rows = pg.query(
        "SELECT count(*), count(DISTINCT scheduled) FROM sundial_runs WHERE timer = 'r.timer'",
    );
    assert_eq!(rows, ["3|3"]);
    // `history --cluster` names the first run as such.
    let shown = cli(&f.nodes[1], &["history", "--cluster", "r.timer"]);
    assert!(shown.contains("first run"), "{shown}");
}

/// The node holding the lease of `unit` in the database (empty if none).
fn lease_holder(pg: &Postgres, unit: &str) -> String {
    pg.query(&format!(
        "SELECT node FROM sundial_singletons WHERE unit = '{unit}' AND lease_until > now()"
    ))
    .into_iter()
    .next()
    .unwrap_or_default()
}

#[test]
fn a_singleton_started_as_a_dependency_or_by_enable_now_goes_through_its_lease() {
    let dir = tempfile::tempdir().unwrap();
    let Some(mut pg) = postgres(dir.path()) else {
        return;
    };
    // Not enabled anywhere: only what the test starts pulls it in.
    let single = locking_singleton("dep");
    let app = "[Unit]\nWants=single.service\n[Service]\nExecStart=/bin/sleep 1000\n";
    let group = "[Unit]\nWants=single.service\n";
    let tick = "[Timer]\nOnCalendar=*-*-* *:*:00\nAccuracySec=1us\nUnit=single.service\n";
    let broken = "[Unit]\nOnFailure=single.service\n[Service]\nExecStart=/bin/false\n";
    let units = [
        ("single.service", single.as_str()),
        ("app.service", app),
        ("group.target", group),
        ("tick.timer", tick),
        ("broken.service", broken),
    ];
    let f = fleet(dir.path(), &pg, 2, &units, &[], "5s", START);
    wait_connected(&f, &pg);
    let log = f.shared.join("dep");
    let node_of = |line: &str| line.split_whitespace().next().unwrap().to_owned();

    // node-0: a unit started by hand pulls the singleton in; it takes the
    // lease before it starts.
    cli(&f.nodes[0], &["start", "app.service"]);
    assert!(
        wait_for(Duration::from_secs(10), || lines(&log).len() == 1),
        "{}",
        f.nodes[0].stderr()
    );
    assert_eq!(node_of(&lines(&log)[0]), "node-0");
    assert_eq!(lease_holder(&pg, "single.service"), "node-0");

    // node-1: the same start runs app.service there, and the singleton is
    // satisfied by node-0 (skipped, not failed, not started twice).
    cli(&f.nodes[1], &["start", "app.service"]);
    assert!(wait_for(Duration::from_secs(10), || f.nodes[1]
        .stderr()
        .contains(
            "single.service: a cluster singleton whose lease node node-0 holds"
        )));
    assert_eq!(
        f.nodes[1].property(Some("app.service"), "ActiveState"),
        "active"
    );
    // A target started by hand, and enable --now, do not start it either.
    cli(&f.nodes[1], &["start", "group.target"]);
    let refused = cli_fails(&f.nodes[1], &["enable", "--now", "single.service"]);
    assert!(refused.contains("node node-0 holds its lease"), "{refused}");
    // The target's start left a word in the unit's log.
    let said = f.nodes[1].log_lines("single.service");
    assert!(
        said.iter()
            .any(|l| l
                .contains("a cluster singleton and node node-0 holds its lease: it runs there")),
        "{said:?}"
    );
    // An OnFailure= hook and a local (not cluster) timer neither.
    let skipped = |d: &Daemon| {
        d.log_lines("single.service")
            .iter()
            .filter(|l| l.contains("node node-0 holds its lease: it runs there"))
            .count()
    };
    let before = skipped(&f.nodes[1]);
    cli(&f.nodes[1], &["start", "broken.service"]);
    assert!(
        wait_for(Duration::from_secs(10), || skipped(&f.nodes[1]) > before),
        "{}",
        f.nodes[1].stderr()
    );
    let before = skipped(&f.nodes[1]);
    cli(&f.nodes[1], &["start", "tick.timer"]);
    f.nodes[1].clock(&format!("advance {MINUTE}"));
    assert!(
        wait_for(Duration::from_secs(10), || skipped(&f.nodes[1]) > before),
        "{}",
        f.nodes[1].stderr()
    );
    // The timer waits for its next elapse, as after a skipped start.
    assert!(wait_for(Duration::from_secs(10), || sub_state(
        &f.nodes[1],
        "tick.timer"
    ) == "waiting"));
    cli(&f.nodes[1], &["stop", "tick.timer"]);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(lines(&log).len(), 1, "{:?}", lines(&log));
    assert_eq!(active_on(&f, "single.service"), [0]);
    cli(&f.nodes[1], &["disable", "single.service"]);

    // node-0 stops it (and gives the lease up); node-1's target, started
    // again, now takes the lease and runs it there.
    cli(&f.nodes[0], &["stop", "single.service"]);
    assert!(wait_for(Duration::from_secs(10), || lease_holder(
        &pg,
        "single.service"
    )
    .is_empty()));
    cli(&f.nodes[1], &["stop", "group.target"]);
    cli(&f.nodes[1], &["start", "group.target"]);
    assert!(
        wait_for(Duration::from_secs(10), || lines(&log).len() == 2),
        "{}",
        f.nodes[1].stderr()
    );
    assert_eq!(node_of(&lines(&log)[1]), "node-1");
    assert_eq!(lease_holder(&pg, "single.service"), "node-1");
    assert_eq!(active_on(&f, "single.service"), [1]);

    // Without the database a dependency's start does not run it either,
    // and says why; the unit that wants it runs.
    cli(&f.nodes[0], &["stop", "app.service"]);
    pg.stop();
    assert!(wait_for(Duration::from_secs(10), || f.nodes[0]
        .stderr()
        .contains("cluster: running no cluster units")));
    cli(&f.nodes[0], &["start", "app.service"]);
    assert!(wait_for(Duration::from_secs(10), || f.nodes[0]
        .stderr()
        .contains(
            "single.service: a cluster singleton, not started: this node cannot take its lease"
        )));
    assert_eq!(
        f.nodes[0].property(Some("app.service"), "ActiveState"),
        "active"
    );
    assert_ne!(
        f.nodes[0].property(Some("single.service"), "ActiveState"),
        "active"
    );
    assert_eq!(lines(&log).len(), 2);
    for d in &f.nodes {
        cli(d, &["stop", "app.service"]);
    }
    let pid: i32 = lines(&log)[1]
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    kill_group(pid);
}

#[test]
fn a_singleton_running_across_daemon_reexec_keeps_its_lease_and_gives_it_up_at_its_end() {
    let dir = tempfile::tempdir().unwrap();
    let Some(pg) = postgres(dir.path()) else {
        return;
    };
    let text = locking_singleton("rx");
    let units = [("rx.service", text.as_str())];
    let enable = [("default.target", "rx.service")];
    // daemon-reexec is not done with the manual clock: real clocks here.
    let f = cluster_support::fleet_on(dir.path(), &pg, 2, &units, &enable, "4s", None);
    wait_connected(&f, &pg);
    let log = f.shared.join("rx");
    assert!(wait_for(Duration::from_secs(10), || lines(&log).len() == 1));
    let first = lines(&log)[0].clone();
    let holder: usize = first
        .split_whitespace()
        .next()
        .unwrap()
        .trim_start_matches("node-")
        .parse()
        .unwrap();
    let other = 1 - holder;
    let node = format!("node-{holder}");
    let pid = f.nodes[holder].property(Some("rx.service"), "MainPID");
    assert_eq!(active_on(&f, "rx.service"), [holder]);

    cli(&f.nodes[holder], &["daemon-reexec"]);
    assert!(
        wait_for(Duration::from_secs(20), || f.nodes[holder]
            .stderr()
            .matches("connected; cluster units run")
            .count()
            == 2),
        "{}",
        f.nodes[holder].stderr()
    );
    // Two leases' time: the lease is renewed by the new program (else it
    // would have run out and the other node, which wants it, taken it).
    std::thread::sleep(Duration::from_secs(9));
    assert_eq!(lines(&log), [first], "started again or twice");
    assert_eq!(active_on(&f, "rx.service"), [holder]);
    assert_eq!(f.nodes[holder].property(Some("rx.service"), "MainPID"), pid);
    assert_eq!(lease_holder(&pg, "rx.service"), node);

    // The run's end gives the lease up: the other node takes it over.
    cli(&f.nodes[holder], &["stop", "rx.service"]);
    assert!(
        wait_for(Duration::from_secs(15), || lines(&log).len() == 2),
        "the lease was not given up: {}",
        f.nodes[holder].stderr()
    );
    let second = lines(&log)[1].clone();
    assert!(second.starts_with(&format!("node-{other} ")), "{second}");
    assert!(wait_for(Duration::from_secs(10), || active_on(
        &f,
        "rx.service"
    ) == [other]));
    let pid: i32 = second.split_whitespace().nth(1).unwrap().parse().unwrap();
    kill_group(pid);
}
