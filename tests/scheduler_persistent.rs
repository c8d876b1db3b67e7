//! Persistent= catch-up across simulated downtime, clock jumps, zone
//! changes and the X-Sundial-PersistentMonotonic= extension.

mod scheduler_support;

use std::sync::Arc;

use scheduler_support::{at, fired, zone, Sim};
use sundial::scheduler::persistent::{BootStamp, MemoryStamps, Resume, StampStore};
use sundial::scheduler::{Action, Event};

const BOOT: &str = "2024-06-03 00:00:00";

fn daily(persistent: bool) -> String {
    format!("[Timer]\nAccuracySec=1us\nOnCalendar=*-*-* 06:00\nPersistent={persistent}\n")
}

#[test]
fn persistent_catches_up_exactly_once_after_downtime() {
    let t = daily(true);
    let mut s = Sim::new(&[("a.timer", &t)], "UTC", BOOT, "2024-06-03 01:00", "0");
    // A new timer without a stamp: a stamp is created, nothing fires at once.
    s.start_all();
    assert!(s
        .sim
        .actions
        .iter()
        .any(|a| matches!(a, Action::WriteStamp { .. })));
    assert_eq!(
        s.run("2024-06-04 12:00"),
        fired(
            "a.timer",
            &["2024-06-03 06:00", "2024-06-04 06:00"],
            &s.zone
        )
    );
    assert_eq!(
        s.stamps.load("a.timer"),
        Some(at("2024-06-04 06:00", &s.zone))
    );
    // Down for three days (three elapses missed); the daemon starts again.
    let stamps = s.stamps.clone();
    let mut s = Sim::with_stamps(
        &[("a.timer", &t)],
        "UTC",
        "2024-06-07 09:00",
        "2024-06-07 09:00:20",
        "0",
        stamps,
        1,
    );
    s.start_all();
    let want = fired(
        "a.timer",
        &["2024-06-07 09:00:20", "2024-06-08 06:00"],
        &s.zone,
    );
    assert_eq!(s.run("2024-06-08 12:00"), want);
}

#[test]
fn without_persistent_missed_elapses_are_lost() {
    let t = daily(false);
    let mut stamps = MemoryStamps::new();
    stamps.store("a.timer", at("2024-06-04 06:00", &zone("UTC")));
    let mut s = Sim::with_stamps(
        &[("a.timer", &t)],
        "UTC",
        "2024-06-07 09:00",
        "2024-06-07 09:00:20",
        "0",
        stamps,
        1,
    );
    s.start_all();
    assert_eq!(
        s.run("2024-06-08 12:00"),
        fired("a.timer", &["2024-06-08 06:00"], &s.zone)
    );
}

#[test]
fn a_stamp_in_the_future_is_ignored_with_a_warning() {
    let t = daily(true);
    let mut stamps = MemoryStamps::new();
    stamps.store("a.timer", at("2030-01-01 00:00", &zone("UTC")));
    let mut s = Sim::with_stamps(
        &[("a.timer", &t)],
        "UTC",
        BOOT,
        "2024-06-03 09:00",
        "0",
        stamps,
        1,
    );
    s.start_all();
    assert!(s
        .sim
        .actions
        .iter()
        .any(|a| matches!(a, Action::Warn { .. })));
    assert_eq!(
        s.run("2024-06-04 12:00"),
        fired("a.timer", &["2024-06-04 06:00"], &s.zone)
    );
}

#[test]
fn clock_jump_forward_fires_once_not_per_missed_elapse() {
    let t = "[Timer]\nAccuracySec=1us\nOnCalendar=hourly\n";
    let m = "[Timer]\nAccuracySec=1us\nOnBootSec=1min\nOnUnitActiveSec=2h\n";
    let mut s = Sim::new(
        &[("cal.timer", t), ("mono.timer", m)],
        "UTC",
        BOOT,
        "2024-06-03 00:00:30",
        "0",
    );
    s.start_all();
    let got = s.run("2024-06-03 01:30");
    let want = [
        fired("mono.timer", &["2024-06-03 00:01"], &s.zone),
        fired("cal.timer", &["2024-06-03 01:00"], &s.zone),
    ]
    .concat();
    assert_eq!(got, want);
    // The wall clock jumps five hours ahead; the monotonic clock does not.
    s.sim.clock.set_realtime(at("2024-06-03 06:30", &s.zone));
    let starts = s.send(Event::ClockChanged);
    assert!(starts.is_empty());
    let got = s.run("2024-06-03 08:10");
    // One catch-up start for the calendar timer; the monotonic timer fires
    // 2 h after its last start by its own clock (00:01 + 2 h = 02:01
    // monotonic, which the wall clock now reads as 07:01).
    let want = [
        fired("cal.timer", &["2024-06-03 06:30"], &s.zone),
        fired("cal.timer", &["2024-06-03 07:00"], &s.zone),
        fired("mono.timer", &["2024-06-03 07:01"], &s.zone),
        fired("cal.timer", &["2024-06-03 08:00"], &s.zone),
    ]
    .concat();
    assert_eq!(got, want);
}

#[test]
fn clock_jump_back_fires_nothing_twice_at_the_jump() {
    let t = "[Timer]\nAccuracySec=1us\nOnCalendar=hourly\n";
    let m = "[Timer]\nAccuracySec=1us\nOnBootSec=1min\nOnUnitActiveSec=2h\n";
    let mut s = Sim::new(
        &[("cal.timer", t), ("mono.timer", m)],
        "UTC",
        BOOT,
        "2024-06-03 00:00:30",
        "0",
    );
    s.start_all();
    s.run("2024-06-03 05:30");
    // Back by three hours: nothing fires because of the jump itself, the
    // monotonic timer keeps its own pace (next at monotonic 06:01, i.e. wall
    // 03:01 now), and the calendar timer resumes at the next full hour after
    // the jump (its last trigger, now in the future, is pulled back to now,
    // as systemd does).
    s.sim.clock.set_realtime(at("2024-06-03 02:30", &s.zone));
    assert!(s.send(Event::ClockChanged).is_empty());
    let got = s.run("2024-06-03 04:30");
    let want = [
        fired("cal.timer", &["2024-06-03 03:00"], &s.zone),
        fired("mono.timer", &["2024-06-03 03:01"], &s.zone),
        fired("cal.timer", &["2024-06-03 04:00"], &s.zone),
    ]
    .concat();
    assert_eq!(got, want);
    // No start twice at one instant.
    let mut seen = std::collections::BTreeSet::new();
    assert!(got.iter().all(|g| seen.insert(g.clone())));
}

#[test]
fn on_clock_change_and_on_timezone_change_trigger() {
    let t = "[Timer]\nOnClockChange=yes\nOnTimezoneChange=yes\n";
    let mut s = Sim::new(&[("a.timer", t)], "UTC", BOOT, "2024-06-03 01:00", "0");
    s.start_all();
    assert_eq!(s.state("a.timer"), "waiting");
    assert!(s.run("2024-06-05 00:00").is_empty());
    s.sim.clock.set_realtime(at("2024-06-06 00:00", &s.zone));
    let starts = s.send(Event::ClockChanged);
    assert_eq!(
        s.describe(&starts),
        fired("a.timer", &["2024-06-06 00:00"], &s.zone)
    );
    let starts = s.send(Event::ZoneChanged(zone("Europe/Berlin")));
    assert_eq!(starts.len(), 1);
    assert_eq!(starts[0].start.cause.to_string(), "OnTimezoneChange=yes");
}

#[test]
fn zone_change_moves_calendar_elapses() {
    let t = "[Timer]\nAccuracySec=1us\nOnCalendar=*-*-* 12:00\n";
    let mut s = Sim::new(&[("a.timer", t)], "UTC", BOOT, "2024-06-03 01:00", "0");
    s.start_all();
    s.send(Event::ZoneChanged(zone("Asia/Tokyo")));
    // 12:00 in Tokyo is 03:00 UTC.
    assert_eq!(
        s.run("2024-06-03 04:00"),
        fired("a.timer", &["2024-06-03 03:00"], &s.zone)
    );
}

#[test]
fn persistent_monotonic_extension_catches_up_intervals() {
    let plain = "[Timer]\nAccuracySec=1us\nOnUnitActiveSec=6h\n";
    let ext = "[Timer]\nAccuracySec=1us\nOnUnitActiveSec=6h\nX-Sundial-PersistentMonotonic=yes\n";
    let utc = zone("UTC");
    let mut stamps = MemoryStamps::new();
    stamps.store("plain.timer", at("2024-06-02 12:00", &utc));
    stamps.store("ext.timer", at("2024-06-02 12:00", &utc));
    // Rebooted at 2024-06-03 00:00, daemon up at 00:05: the interval from
    // the last run (12:00 yesterday) has passed, so the extension fires once,
    // at once, and then every 6 h; systemd's behaviour waits forever.
    let mut s = Sim::with_stamps(
        &[("plain.timer", plain), ("ext.timer", ext)],
        "UTC",
        BOOT,
        "2024-06-03 00:05",
        "0",
        stamps,
        1,
    );
    s.start_all();
    let want = fired(
        "ext.timer",
        &["2024-06-03 00:05", "2024-06-03 06:05"],
        &s.zone,
    );
    assert_eq!(s.run("2024-06-03 07:00"), want);
}

#[test]
fn persistent_monotonic_extension_does_not_refire_boot_values_on_daemon_restart() {
    let t = "[Timer]\nAccuracySec=1us\nOnBootSec=10min\nX-Sundial-PersistentMonotonic=yes\n";
    let mut s = Sim::new(&[("a.timer", t)], "UTC", BOOT, "2024-06-03 00:05", "0");
    s.start_all();
    assert_eq!(
        s.run("2024-06-03 01:00"),
        fired("a.timer", &["2024-06-03 00:10"], &s.zone)
    );
    // The daemon restarts within the same boot.
    let stamps = s.stamps.clone();
    let mut s = Sim::with_stamps(
        &[("a.timer", t)],
        "UTC",
        BOOT,
        "2024-06-03 01:00",
        "0",
        stamps.clone(),
        1,
    );
    s.start_all();
    assert!(s.run("2024-06-03 05:00").is_empty());
    // After a reboot it fires again.
    let mut s = Sim::with_stamps(
        &[("a.timer", t)],
        "UTC",
        "2024-06-04 00:00",
        "2024-06-04 00:01",
        "0",
        stamps,
        1,
    );
    s.start_all();
    assert_eq!(
        s.run("2024-06-04 05:00"),
        fired("a.timer", &["2024-06-04 00:10"], &s.zone)
    );
}

#[test]
fn persistent_monotonic_boot_stamp_outlasts_a_wall_clock_step() {
    let t = "[Timer]\nAccuracySec=1us\nOnBootSec=10min\nX-Sundial-PersistentMonotonic=yes\n";
    let mut s = Sim::new(&[("a.timer", t)], "UTC", BOOT, "2024-06-03 00:05", "0");
    s.start_all();
    assert_eq!(
        s.run("2024-06-03 00:30"),
        fired("a.timer", &["2024-06-03 00:10"], &s.zone)
    );
    let stamp = s
        .sim
        .actions
        .iter()
        .find_map(|a| match a {
            Action::WriteStamp {
                at,
                monotonic: Some(reading),
                ..
            } => Some(BootStamp {
                realtime: *at,
                this_boot: Some(*reading),
            }),
            _ => None,
        })
        .expect("a trigger stamps the monotonic clock");
    assert_eq!(stamp.this_boot, Some(600_000_000));
    // Same boot, one hour in, but the wall clock was stepped two hours
    // ahead meanwhile: it now puts the boot at 02:00, and the realtime stamp
    // (00:10) before it.
    let restart = |stamps: MemoryStamps| {
        Sim::with_stamps(
            &[("a.timer", t)],
            "UTC",
            "2024-06-03 02:00",
            "2024-06-03 03:00",
            "0",
            stamps,
            1,
        )
    };
    // With the boot's own reading the trigger is where it was: OnBootSec=
    // is done for this boot.
    let mut s2 = restart(s.stamps.clone());
    s2.send(Event::Start {
        timer: "a.timer".into(),
        stamp: s.stamps.load("a.timer"),
        boot_stamp: Some(stamp),
        resume: None,
    });
    assert!(s2.run("2024-06-03 06:00").is_empty());
    // Measured by the wall clock alone it looks like a new boot.
    let mut s3 = restart(s.stamps.clone());
    s3.start_all();
    assert_eq!(
        s3.run("2024-06-03 06:00"),
        fired("a.timer", &["2024-06-03 03:00"], &s3.zone)
    );
}

#[test]
fn reload_keeps_unchanged_timers_and_recomputes_changed_ones() {
    let t = "[Timer]\nAccuracySec=1us\nOnCalendar=*-*-* 12:00\nRandomizedDelaySec=1h\n";
    let mut s = Sim::new(&[("a.timer", t)], "UTC", BOOT, "2024-06-03 01:00", "0");
    s.start_all();
    let before = s.sim.scheduler.list(s.now())[0].next;
    let unit = s.units[0].clone();
    s.send(Event::Load(Arc::new(unit)));
    assert_eq!(s.sim.scheduler.list(s.now())[0].next, before);
    let changed = "[Timer]\nAccuracySec=1us\nOnCalendar=*-*-* 18:00\n";
    let unit = scheduler_support::load(&[("a.timer", changed)], &s.zone)
        .into_iter()
        .next()
        .expect("one timer");
    s.send(Event::Load(Arc::new(unit)));
    assert_eq!(
        s.run("2024-06-03 19:00"),
        fired("a.timer", &["2024-06-03 18:00"], &s.zone)
    );
}

#[test]
fn a_resumed_timer_counts_from_its_first_start_and_its_last_trigger() {
    let t = "[Timer]\nAccuracySec=1us\nOnActiveSec=1h\nOnUnitActiveSec=2h\n";
    let start = |s: &mut Sim, resume| {
        s.send(Event::Start {
            timer: "a.timer".into(),
            stamp: None,
            boot_stamp: None,
            resume: Some(resume),
        })
    };
    // Made at 00:10, ten minutes after boot; the manager restarts at 00:40
    // in the same boot: OnActiveSec= still elapses at 01:10, not 01:40.
    let z = zone("UTC");
    let made = BootStamp {
        realtime: at("2024-06-03 00:10", &z),
        this_boot: Some(600_000_000),
    };
    let mut s = Sim::new(&[("a.timer", t)], "UTC", BOOT, "2024-06-03 00:40", "0");
    start(
        &mut s,
        Resume {
            activated: made,
            last_trigger: None,
        },
    );
    assert_eq!(
        s.run("2024-06-03 02:00"),
        fired("a.timer", &["2024-06-03 01:10"], &z)
    );
    // It fired at 01:10; restarted at 01:30, OnActiveSec= is done and
    // OnUnitActiveSec= counts from that trigger.
    let fired_at = BootStamp {
        realtime: at("2024-06-03 01:10", &z),
        this_boot: Some(70 * 60_000_000),
    };
    let mut s = Sim::new(&[("a.timer", t)], "UTC", BOOT, "2024-06-03 01:30", "0");
    start(
        &mut s,
        Resume {
            activated: made,
            last_trigger: Some(fired_at),
        },
    );
    assert_eq!(
        s.run("2024-06-03 04:00"),
        fired("a.timer", &["2024-06-03 03:10"], &z)
    );
    // Another boot (up since 00:35): the wall clock places the first start.
    let other_boot = BootStamp {
        this_boot: None,
        ..made
    };
    let mut s = Sim::new(
        &[("a.timer", t)],
        "UTC",
        "2024-06-03 00:35",
        "2024-06-03 00:40",
        "0",
    );
    start(
        &mut s,
        Resume {
            activated: other_boot,
            last_trigger: None,
        },
    );
    assert_eq!(
        s.run("2024-06-03 02:00"),
        fired("a.timer", &["2024-06-03 01:10"], &z)
    );
}

#[test]
fn a_catch_up_names_the_elapse_that_was_missed() {
    // Two daemons (two cluster nodes) with the same stamp start at different
    // times after the same downtime: their catch-ups fire at their own
    // starts but name the same missed elapse, the first after the stamp.
    let t = daily(true);
    let missed_of = |start: &str| {
        let mut stamps = MemoryStamps::new();
        stamps.store("a.timer", at("2024-06-04 06:00", &zone("UTC")));
        let mut s = Sim::with_stamps(&[("a.timer", &t)], "UTC", start, start, "0", stamps, 1);
        s.start_all();
        let starts = s
            .sim
            .run_until(at("2024-06-07 12:00", &s.zone), &mut s.stamps);
        let first = starts.first().expect("a catch-up").start.clone();
        assert_eq!(first.at.realtime, at(start, &s.zone), "fired at the start");
        match first.cause {
            sundial::scheduler::timer_state::Cause::Value {
                note: sundial::scheduler::timer_state::Note::Missed(due),
                ..
            } => due,
            other => panic!("not a missed elapse: {other:?}"),
        }
    };
    let due = at("2024-06-05 06:00", &zone("UTC"));
    assert_eq!(missed_of("2024-06-07 09:00:20"), due);
    assert_eq!(missed_of("2024-06-07 09:03:41"), due);
}
