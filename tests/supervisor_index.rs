//! The supervisor looks only at services that are not at rest and finds
//! Conflicts= through an index; these tests hold that to the rules it
//! replaced: Conflicts= in both directions and after a reload, bound units,
//! and many idle services around a busy one.

mod supervisor_util;

use sundial::supervisor::{ActiveState, SubState};
use supervisor_util::Harness;

const SLEEPER: &str = "[Service]\nExecStart=/bin/sleep 60\n";

#[tokio::test]
async fn conflicts_stop_the_other_unit_whichever_names_it() {
    let mut h = Harness::new();
    h.add(
        "a.service",
        "[Unit]\nConflicts=b.service\n[Service]\nExecStart=/bin/sleep 60\n",
    );
    h.add("b.service", SLEEPER);
    // b does not name a; starting b stops a all the same.
    h.sup.start("a.service").expect("start a");
    h.wait_sub("a.service", SubState::Running, 3000).await;
    h.sup.start("b.service").expect("start b");
    h.wait_sub("a.service", SubState::Dead, 3000).await;
    h.wait_sub("b.service", SubState::Running, 3000).await;
    // a names b: starting a stops b.
    h.sup.start("a.service").expect("start a again");
    h.wait_sub("b.service", SubState::Dead, 3000).await;
    h.wait_sub("a.service", SubState::Running, 3000).await;

    // Loaded again without the conflict (daemon-reload): both may run.
    h.add("a.service", SLEEPER);
    h.sup.start("b.service").expect("start b");
    h.wait_sub("b.service", SubState::Running, 3000).await;
    h.run_for(50).await;
    assert_eq!(h.sub("a.service"), SubState::Running);
    h.sup.stop("a.service").expect("stop a");
    h.sup.stop("b.service").expect("stop b");
    h.wait_sub("a.service", SubState::Dead, 3000).await;
    h.wait_sub("b.service", SubState::Dead, 3000).await;
}

#[tokio::test]
async fn a_bound_unit_follows_and_idle_services_stay_untouched() {
    let mut h = Harness::new();
    for i in 0..2000 {
        h.add(&format!("idle{i:04}.service"), SLEEPER);
    }
    h.add("main.service", SLEEPER);
    h.add(
        "bound.service",
        "[Unit]\nBindsTo=main.service\nAfter=main.service\n[Service]\nExecStart=/bin/sleep 60\n",
    );
    h.sup.start("bound.service").expect("start bound");
    h.wait_sub("main.service", SubState::Running, 3000).await;
    h.wait_sub("bound.service", SubState::Running, 3000).await;
    // A oneshot run among the idle ones comes and goes.
    h.add(
        "once.service",
        "[Service]\nType=oneshot\nExecStart=/bin/true\n",
    );
    for _ in 0..3 {
        h.sup.start("once.service").expect("start once");
        h.wait_sub("once.service", SubState::Dead, 3000).await;
    }
    // The main process dies: the bound unit is stopped with it.
    let main = h.status("main.service").main_pid.expect("main pid");
    nix::sys::signal::kill(main, nix::sys::signal::Signal::SIGKILL).expect("kill main");
    h.wait_sub("main.service", SubState::Failed, 3000).await;
    h.wait_sub("bound.service", SubState::Dead, 3000).await;
    h.run_for(20).await;
    assert!(h.sup.is_settled());
    assert!((0..2000).all(|i| h.active(&format!("idle{i:04}.service")) == ActiveState::Inactive));
    // Where services get cgroups, once.service's empty one is kept for its
    // next run a short while, then removed: the only deadline left, and
    // gone after that.
    // (kept 2 s, pruned at most once a second: 5 s is ample).
    let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while h.sup.next_deadline().is_some() && std::time::Instant::now() < until {
        h.run_for(100).await;
    }
    assert_eq!(h.sup.next_deadline(), None);
}

#[tokio::test]
async fn an_equal_unit_from_a_reload_replaces_the_old_copy_and_only_that() {
    let mut h = Harness::new();
    h.add("a.service", SLEEPER);
    let old = std::sync::Arc::clone(h.sup.unit("a.service").expect("loaded"));
    let equal = std::sync::Arc::new(supervisor_util::service("a.service", SLEEPER));
    h.sup.share_unit(std::sync::Arc::clone(&equal));
    let held = h.sup.unit("a.service").expect("still loaded");
    assert!(std::sync::Arc::ptr_eq(held, &equal));
    assert_eq!(**held, *old);

    // A different definition is not swapped in this way.
    let other = std::sync::Arc::new(supervisor_util::service(
        "a.service",
        "[Service]\nExecStart=/bin/sleep 61\n",
    ));
    h.sup.share_unit(other);
    let held = h.sup.unit("a.service").expect("still loaded");
    assert!(std::sync::Arc::ptr_eq(held, &equal));
    assert_eq!(h.sub("a.service"), SubState::Dead);
}
