//! Each [Timer] directive alone and combined, through simulated time.

mod scheduler_support;

use scheduler_support::{fired, Sim};
use sundial::scheduler::Event;

const BOOT: &str = "2024-06-03 00:00:00";

fn timer(body: &str) -> String {
    format!("[Timer]\nAccuracySec=1us\n{body}\n")
}

#[test]
fn on_calendar_alone_fires_at_each_elapse() {
    let t = timer("OnCalendar=*-*-* 0/6:00");
    let mut s = Sim::new(&[("a.timer", &t)], "UTC", BOOT, "2024-06-03 01:00", "0");
    s.start_all();
    let got = s.run("2024-06-04 07:00");
    let want = fired(
        "a.timer",
        &[
            "2024-06-03 06:00",
            "2024-06-03 12:00",
            "2024-06-03 18:00",
            "2024-06-04 00:00",
            "2024-06-04 06:00",
        ],
        &s.zone,
    );
    assert_eq!(got, want);
    assert_eq!(s.state("a.timer"), "waiting");
}

#[test]
fn several_calendars_take_the_earliest() {
    let t = timer("OnCalendar=*-*-* 08:00\nOnCalendar=*-*-* 20:00\nOnCalendar=Mon *-*-* 12:00");
    let mut s = Sim::new(&[("a.timer", &t)], "UTC", BOOT, "2024-06-03 01:00", "0");
    s.start_all();
    let want = fired(
        "a.timer",
        &[
            "2024-06-03 08:00",
            "2024-06-03 12:00",
            "2024-06-03 20:00",
            "2024-06-04 08:00",
        ],
        &s.zone,
    );
    assert_eq!(s.run("2024-06-04 09:00"), want);
}

#[test]
fn on_boot_sec_fires_once_and_at_once_if_already_past() {
    // Daemon started 5 minutes after boot: fires at 15 min, then never.
    let t = timer("OnBootSec=15min");
    let mut s = Sim::new(&[("a.timer", &t)], "UTC", BOOT, "2024-06-03 00:05", "0");
    s.start_all();
    assert_eq!(
        s.run("2024-06-05 00:00"),
        fired("a.timer", &["2024-06-03 00:15"], &s.zone)
    );
    assert_eq!(s.state("a.timer"), "elapsed");
    // Daemon started an hour after boot: the value has passed but the timer
    // has not fired yet, so it fires right away (systemd's one-shot rule).
    let mut s = Sim::new(&[("a.timer", &t)], "UTC", BOOT, "2024-06-03 01:00", "0");
    s.start_all();
    assert_eq!(
        s.run("2024-06-05 00:00"),
        fired("a.timer", &["2024-06-03 01:00"], &s.zone)
    );
}

#[test]
fn on_startup_sec_counts_from_the_daemon_start() {
    let t = timer("OnStartupSec=10min");
    let mut s = Sim::new(&[("a.timer", &t)], "UTC", BOOT, "2024-06-03 02:00", "0");
    s.start_all();
    assert_eq!(
        s.run("2024-06-04 00:00"),
        fired("a.timer", &["2024-06-03 02:10"], &s.zone)
    );
}

#[test]
fn on_active_sec_rearms_when_the_timer_restarts() {
    let t = timer("OnActiveSec=5min");
    let mut s = Sim::new(&[("a.timer", &t)], "UTC", BOOT, "2024-06-03 02:00", "0");
    s.start_all();
    assert_eq!(
        s.run("2024-06-03 03:00"),
        fired("a.timer", &["2024-06-03 02:05"], &s.zone)
    );
    assert_eq!(s.state("a.timer"), "elapsed");
    s.send(Event::Stop("a.timer".into()));
    s.start_all();
    assert_eq!(
        s.run("2024-06-03 04:00"),
        fired("a.timer", &["2024-06-03 03:05"], &s.zone)
    );
}

#[test]
fn on_unit_active_sec_chains_after_each_run() {
    // Runs take 10 min; OnUnitActiveSec counts from each start.
    let t = timer("OnBootSec=1min\nOnUnitActiveSec=1h");
    let mut s = Sim::new(
        &[("a.timer", &t)],
        "UTC",
        BOOT,
        "2024-06-03 00:00:30",
        "10min",
    );
    s.start_all();
    let want = fired(
        "a.timer",
        &[
            "2024-06-03 00:01",
            "2024-06-03 01:01",
            "2024-06-03 02:01",
            "2024-06-03 03:01",
        ],
        &s.zone,
    );
    assert_eq!(s.run("2024-06-03 03:30"), want);
}

#[test]
fn on_unit_inactive_sec_counts_from_each_end() {
    let t = timer("OnBootSec=1min\nOnUnitInactiveSec=30min");
    let mut s = Sim::new(
        &[("a.timer", &t)],
        "UTC",
        BOOT,
        "2024-06-03 00:00:30",
        "10min",
    );
    s.start_all();
    let want = fired(
        "a.timer",
        &[
            "2024-06-03 00:01",
            "2024-06-03 00:41",
            "2024-06-03 01:21",
            "2024-06-03 02:01",
        ],
        &s.zone,
    );
    assert_eq!(s.run("2024-06-03 02:30"), want);
}

#[test]
fn on_unit_active_sec_alone_waits_for_the_unit_to_run() {
    // systemd: with no start of the unit to count from, the value is ignored.
    let t = timer("OnUnitActiveSec=1h");
    let mut s = Sim::new(&[("a.timer", &t)], "UTC", BOOT, "2024-06-03 00:10", "0");
    s.start_all();
    assert_eq!(s.run("2024-06-03 05:00"), Vec::<String>::new());
    assert_eq!(s.state("a.timer"), "elapsed");
    // Someone starts the unit by hand: the chain begins.
    s.send(Event::UnitChanged {
        unit: "a.service".into(),
        active: true,
    });
    s.send(Event::UnitChanged {
        unit: "a.service".into(),
        active: false,
    });
    let want = fired(
        "a.timer",
        &["2024-06-03 06:00", "2024-06-03 07:00"],
        &s.zone,
    );
    assert_eq!(s.run("2024-06-03 07:30"), want);
}

#[test]
fn a_long_run_overlapping_the_next_elapse_restarts_once_at_its_end() {
    let t = timer("OnCalendar=*-*-* 0/3:00");
    let mut s = Sim::new(&[("a.timer", &t)], "UTC", BOOT, "2024-06-03 00:00:30", "7h");
    s.start_all();
    // 03:00 and 06:00 pass while the 03:00… run goes on; the timer is
    // "running" and arms nothing. When the run ends at 10:00 both are in the
    // past and the unit starts once, at once.
    assert_eq!(s.state("a.timer"), "waiting");
    let got = s.run("2024-06-03 03:30");
    assert_eq!(got, fired("a.timer", &["2024-06-03 03:00"], &s.zone));
    assert_eq!(s.state("a.timer"), "running");
    assert!(s
        .sim
        .scheduler
        .wakeups()
        .earliest_realtime(&s.now())
        .is_none());
    let got = s.run("2024-06-03 18:30");
    let want = fired(
        "a.timer",
        &["2024-06-03 10:00", "2024-06-03 17:00"],
        &s.zone,
    );
    assert_eq!(got, want);
}

#[test]
fn defer_reactivation_drops_elapses_missed_during_a_run() {
    let t = timer("OnCalendar=*-*-* 0/3:00\nDeferReactivation=yes");
    let mut s = Sim::new(&[("a.timer", &t)], "UTC", BOOT, "2024-06-03 00:00:30", "7h");
    s.start_all();
    let want = fired(
        "a.timer",
        &["2024-06-03 03:00", "2024-06-03 12:00"],
        &s.zone,
    );
    assert_eq!(s.run("2024-06-03 18:30"), want);
}

#[test]
fn remain_after_elapse_no_stops_the_timer() {
    let t = timer("OnActiveSec=1min\nRemainAfterElapse=no");
    let mut s = Sim::new(&[("a.timer", &t)], "UTC", BOOT, "2024-06-03 01:00", "5min");
    s.start_all();
    s.run("2024-06-03 01:03");
    assert_eq!(s.state("a.timer"), "running");
    s.run("2024-06-03 02:00");
    assert_eq!(s.state("a.timer"), "dead");
}

#[test]
fn unit_setting_names_the_started_unit_and_trigger_data() {
    let t = timer("OnCalendar=12:00\nUnit=other.service");
    let mut s = Sim::new(&[("a.timer", &t)], "UTC", BOOT, "2024-06-03 01:00", "0");
    s.start_all();
    let starts = s.sim.run_until(
        scheduler_support::at("2024-06-03 13:00", &s.zone),
        &mut s.stamps,
    );
    assert_eq!(starts.len(), 1);
    let start = &starts[0].start;
    assert_eq!(start.unit, "other.service");
    let env = start.activation().environment();
    assert_eq!(env[0], ("TRIGGER_UNIT".to_owned(), "a.timer".to_owned()));
    assert_eq!(env[1].1, start.at.realtime.as_usec().to_string());
    assert_eq!(start.cause.to_string(), "OnCalendar=*-*-* 12:00:00");
}

#[test]
fn on_calendar_and_monotonic_combined_fire_whichever_is_first() {
    let t = timer("OnBootSec=30min\nOnCalendar=*-*-* 00:45\nOnUnitActiveSec=2h");
    let mut s = Sim::new(&[("a.timer", &t)], "UTC", BOOT, "2024-06-03 00:05", "0");
    s.start_all();
    let want = fired(
        "a.timer",
        &[
            "2024-06-03 00:30",
            "2024-06-03 00:45",
            "2024-06-03 02:45",
            "2024-06-03 04:45",
        ],
        &s.zone,
    );
    assert_eq!(s.run("2024-06-03 05:00"), want);
}

#[test]
fn accuracy_coalesces_at_the_host_offset() {
    // Default AccuracySec=1min: two timers due 20 s apart share one wake-up,
    // at the minute grid point (perturbation 0 here) inside the window
    // [12:00:10, 12:01:10].
    let a = "[Timer]\nOnCalendar=*-*-* 12:00:10\n";
    let b = "[Timer]\nOnCalendar=*-*-* 12:00:30\n";
    let mut s = Sim::new(
        &[("a.timer", a), ("b.timer", b)],
        "UTC",
        BOOT,
        "2024-06-03 01:00",
        "0",
    );
    s.start_all();
    let got = s.run("2024-06-03 13:00");
    let want = [
        fired("a.timer", &["2024-06-03 12:01:00"], &s.zone),
        fired("b.timer", &["2024-06-03 12:01:00"], &s.zone),
    ]
    .concat();
    assert_eq!(got, want);
}

#[test]
fn randomized_delay_stays_within_its_bound_and_is_redrawn() {
    let t = timer("OnCalendar=hourly\nRandomizedDelaySec=20min");
    let mut s = Sim::new(&[("a.timer", &t)], "UTC", BOOT, "2024-06-03 00:00:30", "0");
    s.start_all();
    let starts = s.sim.run_until(
        scheduler_support::at("2024-06-06 00:00", &s.zone),
        &mut s.stamps,
    );
    assert!(starts.len() >= 70, "{}", starts.len());
    let mut delays = std::collections::BTreeSet::new();
    for st in &starts {
        let scheduled = st.start.scheduled.expect("calendar start");
        let late = st.start.at.realtime.saturating_since(scheduled);
        assert!(late < scheduler_support::span("20min"), "{late:?}");
        assert_eq!(late, st.start.random_delay);
        delays.insert(late);
    }
    assert!(delays.len() > 60, "delays are redrawn: {}", delays.len());
}

#[test]
fn fixed_random_delay_is_stable_across_restarts() {
    let t = timer("OnCalendar=daily\nRandomizedDelaySec=6h\nFixedRandomDelay=yes");
    let delays: Vec<_> = (0..3)
        .map(|seed| {
            let mut s = Sim::with_stamps(
                &[("a.timer", &t)],
                "UTC",
                BOOT,
                "2024-06-03 01:00",
                "0",
                Default::default(),
                seed,
            );
            s.start_all();
            let starts = s.sim.run_until(
                scheduler_support::at("2024-06-07 00:00", &s.zone),
                &mut s.stamps,
            );
            let d: Vec<_> = starts.iter().map(|st| st.start.random_delay).collect();
            assert_eq!(d.len(), 3);
            assert!(d.windows(2).all(|w| w[0] == w[1]));
            d[0]
        })
        .collect();
    assert!(delays.windows(2).all(|w| w[0] == w[1]));
    assert!(delays[0] < scheduler_support::span("6h"));
}

#[test]
fn wake_system_counts_monotonic_values_through_suspend() {
    let plain = timer("OnBootSec=2h");
    let wake = timer("OnBootSec=2h\nWakeSystem=yes");
    let mut s = Sim::new(
        &[("plain.timer", &plain), ("wake.timer", &wake)],
        "UTC",
        BOOT,
        "2024-06-03 00:10",
        "0",
    );
    s.start_all();
    s.run("2024-06-03 01:00");
    s.sim.clock.suspend(scheduler_support::span("3h"));
    // 04:00 wall clock: boottime is 4 h (fires at once), monotonic 1 h.
    let got = s.run("2024-06-03 06:00");
    let want = [
        fired("wake.timer", &["2024-06-03 04:00"], &s.zone),
        fired("plain.timer", &["2024-06-03 05:00"], &s.zone),
    ]
    .concat();
    assert_eq!(got, want);
}

#[test]
fn list_timers_rows() {
    let a = timer("OnCalendar=*-*-* 12:00");
    let b = timer("OnBootSec=1h\nOnUnitActiveSec=1d");
    let mut s = Sim::new(
        &[("a.timer", &a), ("b.timer", &b)],
        "UTC",
        BOOT,
        "2024-06-03 00:30",
        "0",
    );
    s.start_all();
    s.run("2024-06-03 02:00");
    let rows = s.sim.scheduler.list(s.now());
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].timer, "a.timer");
    assert_eq!(rows[0].activates, "a.service");
    assert_eq!(
        rows[0].next,
        Some(scheduler_support::at("2024-06-03 12:00", &s.zone))
    );
    assert_eq!(rows[0].left, Some(scheduler_support::span("10h")));
    assert_eq!(rows[0].last, None);
    assert_eq!(rows[1].timer, "b.timer");
    assert_eq!(
        rows[1].last,
        Some(scheduler_support::at("2024-06-03 01:00", &s.zone))
    );
    assert_eq!(rows[1].passed, Some(scheduler_support::span("1h")));
    assert_eq!(
        rows[1].next,
        Some(scheduler_support::at("2024-06-04 01:00", &s.zone))
    );
    assert_eq!(
        rows[1]
            .next_cause
            .as_ref()
            .map(|c| c.to_string())
            .as_deref(),
        Some("OnUnitActiveSec=1d")
    );
}

#[test]
fn a_cluster_timer_s_delay_comes_from_the_cluster_seed_not_the_node() {
    let cluster = timer("OnCalendar=*-*-* 06:00\nRandomizedDelaySec=1h\nX-Sundial-Cluster=once");
    let local = timer("OnCalendar=*-*-* 06:00\nRandomizedDelaySec=1h");
    // Each node draws its own random numbers (seed `node`).
    let elapses = |node: u64, cluster_seed: u64| {
        let mut s = Sim::with_stamps(
            &[("c.timer", &cluster), ("l.timer", &local)],
            "UTC",
            BOOT,
            "2024-06-03 01:00",
            "0",
            sundial::scheduler::persistent::MemoryStamps::new(),
            node,
        );
        s.sim.scheduler.set_cluster_seed(Some(cluster_seed));
        s.start_all();
        let got = s.run("2024-06-05 08:00");
        let of = |name: &str| -> Vec<String> {
            got.iter()
                .filter(|g| g.starts_with(name))
                .cloned()
                .collect()
        };
        (of("c.timer"), of("l.timer"))
    };
    let (c1, l1) = elapses(1, 7);
    let (c2, l2) = elapses(2, 7);
    assert_eq!(c1.len(), 3, "{c1:?}");
    assert_eq!(c1, c2, "the nodes compute the same elapses");
    assert_ne!(l1, l2, "a local timer's delays are each node's own");
    let (c3, _) = elapses(1, 8);
    assert_ne!(c1, c3, "another cluster, other delays");
    // The delay is drawn anew for each elapse.
    assert_ne!(c1[0][c1[0].len() - 8..], c1[1][c1[1].len() - 8..]);
}

/// A node of a cluster: booted at `boot`, its daemon started at `start`,
/// with `c.timer` (a cluster timer whose body is `body`).
fn cluster_node(body: &str, boot: &str, start: &str) -> Sim {
    let mut s = Sim::new(&[("c.timer", &timer(body))], "UTC", boot, start, "5s");
    s.sim.scheduler.set_cluster_seed(Some(7));
    s
}

fn cluster_run(s: &mut Sim, started: &str, ended: Option<&str>) -> Vec<String> {
    let at = |t: &str| scheduler_support::at(t, &s.zone);
    let last = sundial::scheduler::ClusterLast {
        started: at(started),
        ended: ended.map(at),
    };
    let starts = s.send(Event::ClusterRun {
        timer: "c.timer".into(),
        last,
    });
    s.describe(&starts)
}

/// The next elapse of `c.timer` on the wall clock, and what it is claimed
/// under (its scheduled time, on the wall clock).
fn next_of(s: &Sim) -> Option<String> {
    let now = s.now();
    let t = s.sim.scheduler.timer("c.timer")?;
    t.next_elapse(&now)
        .map(|n| scheduler_support::fmt(n, &s.zone))
}

#[test]
fn a_cluster_timer_counts_on_unit_active_sec_from_the_cluster_s_last_start() {
    let body = "OnActiveSec=1min\nOnUnitActiveSec=10min\nX-Sundial-Cluster=once";
    // Two nodes booted at different times, their daemons started at
    // different times: their monotonic clocks have nothing in common.
    let mut a = cluster_node(body, "2024-06-03 00:00:00", "2024-06-03 01:00:00");
    let mut b = cluster_node(body, "2024-06-02 07:13:00", "2024-06-03 01:00:20");
    a.start_all();
    b.start_all();
    // No cluster run yet: each node's own OnActiveSec= (as systemd with no
    // last trigger).
    assert_eq!(next_of(&a).as_deref(), Some("Mon 2024-06-03 01:01:00 UTC"));
    assert_eq!(next_of(&b).as_deref(), Some("Mon 2024-06-03 01:01:20 UTC"));
    // The cluster's first run started at 01:01:07 (on node a): every
    // node counts from it, node b too, which never ran the unit.
    for s in [&mut a, &mut b] {
        assert!(cluster_run(s, "2024-06-03 01:01:07", None).is_empty());
        assert_eq!(next_of(s).as_deref(), Some("Mon 2024-06-03 01:11:07 UTC"));
    }
    // It fires there on both, scheduled at that time (the claim key).
    let fired_a = a.sim.run_until(
        scheduler_support::at("2024-06-03 01:11:30", &a.zone),
        &mut a.stamps,
    );
    let fired_b = b.sim.run_until(
        scheduler_support::at("2024-06-03 01:11:30", &b.zone),
        &mut b.stamps,
    );
    assert_eq!(fired_a.len(), 1, "{:?}", a.describe(&fired_a));
    assert_eq!(fired_b.len(), 1, "{:?}", b.describe(&fired_b));
    let scheduled = |f: &[sundial::scheduler::simulation::SimStart]| f[0].start.scheduled;
    assert_eq!(scheduled(&fired_a), scheduled(&fired_b));
    assert_eq!(
        scheduled(&fired_a).map(|t| scheduler_support::fmt(t, &a.zone)),
        Some("Mon 2024-06-03 01:11:07 UTC".to_owned())
    );
    // An older run is no news; OnActiveSec= does not come back.
    assert!(cluster_run(&mut a, "2024-06-03 00:30:00", None).is_empty());
    let latest = "2024-06-03 01:11:09";
    for s in [&mut a, &mut b] {
        cluster_run(s, latest, None);
        assert_eq!(next_of(s).as_deref(), Some("Mon 2024-06-03 01:21:09 UTC"));
    }
}

#[test]
fn a_cluster_timer_counts_on_unit_inactive_sec_from_the_cluster_s_last_end() {
    let body = "OnUnitInactiveSec=1h\nX-Sundial-Cluster=once";
    let mut a = cluster_node(body, "2024-06-03 00:00:00", "2024-06-03 01:00:00");
    a.start_all();
    // Nothing to count from yet; none of the node's own values either.
    assert_eq!(next_of(&a), None);
    assert_eq!(a.state("c.timer"), "elapsed");
    // A run elsewhere that still runs: nothing yet.
    cluster_run(&mut a, "2024-06-03 01:05:00", None);
    assert_eq!(next_of(&a), None);
    // Its end: an hour after it.
    cluster_run(&mut a, "2024-06-03 01:05:00", Some("2024-06-03 01:07:30"));
    assert_eq!(a.state("c.timer"), "waiting");
    assert_eq!(next_of(&a).as_deref(), Some("Mon 2024-06-03 02:07:30 UTC"));
    // Outside a cluster the same unit counts from its own runs only.
    let mut local = Sim::new(
        &[("c.timer", &timer(body))],
        "UTC",
        "2024-06-03 00:00:00",
        "2024-06-03 01:00:00",
        "5s",
    );
    local.start_all();
    cluster_run(
        &mut local,
        "2024-06-03 01:05:00",
        Some("2024-06-03 01:07:30"),
    );
    assert_eq!(next_of(&local), None);
}
