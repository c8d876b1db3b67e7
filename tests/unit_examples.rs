//! Every unit in examples/units loads without errors, and the loader builds
//! the links the daemon relies on.

// Test helpers may panic: a failure is the test's verdict.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use sundial::unit::{
    load_all, LoadContext, SearchPath, ServiceType, SpecifierContext, TimerTrigger, Unit,
};
use sundial_calendar::zone::BundledZones;
use sundial_calendar::Zone;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/units")
}

#[test]
fn all_examples_load_without_errors() {
    let zones = BundledZones::new();
    let cx = LoadContext {
        search_path: SearchPath::build(&[examples()], None, Vec::new()),
        specifiers: SpecifierContext::system(),
        local_zone: Zone::utc(),
        zones: &zones,
    };
    let loaded = load_all(&cx);
    let errors: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(ToString::to_string)
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    assert!(loaded.failed.is_empty(), "{:?}", loaded.failed);

    // The seeds' units.
    for name in [
        "myproject.service",
        "redis-django.service",
        "simple_script.service",
        "timer_script.timer",
        "timer_script.service",
        "pre_post_script.service",
        "simple_oneshot.service",
        "docker.service",
        "gunicorn.service",
        "web_app.service",
    ] {
        assert!(loaded.get(name).is_some(), "{name} not loaded");
    }
    // The bundled examples load without a warning; docker.service's
    // Delegate=yes is read as systemd reads it.
    let problems: Vec<String> = loaded.diagnostics.iter().map(ToString::to_string).collect();
    assert_eq!(problems, Vec::<String>::new());
    let Some(Unit::Service(docker)) = loaded.get("docker.service") else {
        panic!("docker.service is not a service");
    };
    assert!(docker.service.delegate);
    assert_eq!(docker.service.delegate_controllers.len(), 13);

    let Some(Unit::Service(oneshot)) = loaded.get("simple_oneshot.service") else {
        panic!("simple_oneshot.service is not a service");
    };
    assert_eq!(oneshot.service.service_type, ServiceType::Oneshot);
    assert!(oneshot.service.remain_after_exit);

    // timers.target wants the timers linked into timers.target.wants/,
    // including an instance of the template timer.
    let Some(Unit::Target(target)) = loaded.get("timers.target") else {
        panic!("timers.target not loaded");
    };
    let wants: Vec<&str> = target
        .unit
        .dependencies
        .wants
        .iter()
        .map(|n| n.as_str())
        .collect();
    for t in [
        "backup.timer",
        "healthcheck.timer",
        "sync@home.timer",
        "report.timer",
    ] {
        assert!(wants.contains(&t), "{t} not in {wants:?}");
    }
    let Some(Unit::Timer(sync)) = loaded.get("sync@home.timer") else {
        panic!("sync@home.timer not loaded");
    };
    assert_eq!(sync.triggers.as_str(), "sync@home.service");
    let Some(Unit::Service(sync_service)) = loaded.get("sync@home.service") else {
        panic!("sync@home.service not loaded");
    };
    assert_eq!(
        sync_service.service.exec_start[0].argv,
        vec!["/bin/echo", "syncing /home (instance home)"]
    );

    let Some(Unit::Timer(report)) = loaded.get("report.timer") else {
        panic!("report.timer not loaded");
    };
    assert_eq!(report.triggers.as_str(), "daily-report.service");
    assert!(
        matches!(report.timer.triggers[0], TimerTrigger::Calendar(ref c)
        if c.to_string() == "Mon..Fri *-*-* 09:00:00 Europe/Berlin")
    );

    let Some(Unit::Timer(seed_timer)) = loaded.get("timer_script.timer") else {
        panic!("timer_script.timer not loaded");
    };
    assert_eq!(seed_timer.triggers.as_str(), "timer_script.service");
    assert_eq!(seed_timer.timer.triggers.len(), 2);
    assert!(loaded
        .get("backup.timer")
        .is_some_and(|u| matches!(u, Unit::Timer(t) if t.timer.persistent)));

    // The spool example: a path unit on a directory, with %S expanded.
    let Some(Unit::Path(spool)) = loaded.get("spool.path") else {
        panic!("spool.path is not a path unit");
    };
    assert_eq!(spool.triggers.as_str(), "spool.service");
    assert_eq!(
        spool.path.specs[0].condition,
        sundial::unit::PathCondition::DirectoryNotEmpty
    );
    assert_eq!(
        spool.path.specs[0].path,
        Path::new("/var/lib/sundial-spool/in")
    );
    assert!(spool.path.make_directory);
    assert_eq!(spool.path.directory_mode, 0o750);
}
