//! A unit's state change reaches the timers that trigger it, found through
//! an index of Unit= that follows reloads and unloads.

mod scheduler_support;

use std::sync::Arc;

use scheduler_support::{fired, load, Sim};
use sundial::scheduler::Event;
use sundial::unit::TimerUnit;

const BOOT: &str = "2024-06-03 00:00:00";
const TIMER: &str = "[Timer]\nAccuracySec=1us\nOnUnitActiveSec=1h\n";

fn ran(s: &mut Sim, unit: &str) {
    for active in [true, false] {
        s.send(Event::UnitChanged {
            unit: unit.into(),
            active,
        });
    }
}

#[test]
fn unit_changes_follow_unit_across_reloads_and_unloads() {
    let mut s = Sim::new(
        &[("a.timer", TIMER), ("other.timer", TIMER)],
        "UTC",
        BOOT,
        "2024-06-03 00:10",
        "0",
    );
    s.start_all();
    assert_eq!(s.run("2024-06-03 01:00"), Vec::<String>::new());

    // Reloaded to trigger b.service: a.service no longer counts.
    let text = format!("{TIMER}Unit=b.service\n");
    let reloaded = load(&[("a.timer", &text)], &s.zone).remove(0);
    s.send(Event::Load(Arc::new(reloaded)));
    ran(&mut s, "a.service");
    assert_eq!(s.run("2024-06-03 02:30"), Vec::<String>::new());
    ran(&mut s, "b.service");
    assert_eq!(
        s.run("2024-06-03 03:45"),
        fired("a.timer", &["2024-06-03 03:30"], &s.zone)
    );

    // Unloaded: b.service's runs reach no timer; the other timer still
    // follows its own unit.
    s.send(Event::Unload("a.timer".into()));
    ran(&mut s, "b.service");
    ran(&mut s, "other.service");
    assert_eq!(
        s.run("2024-06-03 05:00"),
        fired("other.timer", &["2024-06-03 04:45"], &s.zone)
    );
}

#[test]
fn an_unchanged_timer_keeps_its_state_and_takes_the_new_snapshots_unit() {
    let mut s = Sim::new(&[("a.timer", TIMER)], "UTC", BOOT, "2024-06-03 00:10", "0");
    s.start_all();
    ran(&mut s, "a.service");
    let before = s.sim.scheduler.timer("a.timer").map(|t| t.state.clone());

    // daemon-reload of unchanged files: an equal unit in a new allocation.
    let old = s.sim.scheduler.timer("a.timer").expect("loaded");
    let reloaded = Arc::new(TimerUnit::clone(&old.unit));
    s.send(Event::Load(Arc::clone(&reloaded)));
    let timer = s.sim.scheduler.timer("a.timer").expect("still loaded");
    assert_eq!(Some(timer.state.clone()), before);
    assert!(
        Arc::ptr_eq(&timer.unit, &reloaded),
        "the old snapshot's unit is let go"
    );
}
