//! The activation a start job carries: every state change the supervisor
//! reports carries the activation of the run it concerns, a dependency's
//! and a hook's runs carry why the job engine queued them, and a run's
//! commands get its environment and no other run's.

mod supervisor_util;

use sundial::activation::Activation;
use sundial::supervisor::SubState;
use sundial::supervisor::{Supervisor, UnitTransition};
use supervisor_util::Harness;

/// The labels of the activations `unit`'s changes carried, one per change.
fn labels(transitions: &[UnitTransition], unit: &str) -> Vec<String> {
    transitions
        .iter()
        .filter(|t| t.unit == unit)
        .map(|t| {
            t.activation
                .as_ref()
                .map_or("none".to_owned(), Activation::label)
        })
        .collect()
}

async fn settle(h: &mut Harness, unit: &str, sub: SubState) {
    h.wait_sub(unit, sub, 5000).await;
    // The reports of the last change go out with the next turn.
    h.run_for(50).await;
}

#[tokio::test]
async fn each_change_carries_its_runs_activation() {
    let mut h = Harness::new();
    let out = h.path("hook");
    h.add(
        "a.service",
        "[Unit]\nWants=b.service\nOnFailure=h.service\n[Service]\nType=oneshot\nExecStart=/bin/sh -c 'exit 2'\n",
    );
    h.add(
        "b.service",
        "[Service]\nType=oneshot\nExecStart=/bin/true\n",
    );
    h.add(
        "h.service",
        &format!(
            "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo \"$MONITOR_UNIT $MONITOR_EXIT_STATUS [$TRIGGER_UNIT]\" > {}'\n",
            out.display()
        ),
    );
    h.sup
        .start_with("a.service", Activation::timer("a.timer", 5, 6))
        .expect("start job");
    // h and b are dead before they run too: wait for what h wrote, and
    // for every run to have ended.
    let sub = |s: &Supervisor, u: &str| s.status(u).map(|st| st.sub);
    let ran = h
        .wait(5000, |s, _| {
            out.exists()
                && sub(s, "h.service") == Some(SubState::Dead)
                && sub(s, "b.service") == Some(SubState::Dead)
                && sub(s, "a.service") == Some(SubState::Failed)
        })
        .await;
    assert!(
        ran,
        "the hook did not run: {:?}",
        h.sink.messages_of("h.service")
    );
    settle(&mut h, "h.service", SubState::Dead).await;
    let changes = h.sup.take_transitions();

    let a = labels(&changes, "a.service");
    assert!(a.len() >= 2, "{changes:#?}");
    assert!(a.iter().all(|l| l == "timer:a.timer"), "{a:?}");
    let b = labels(&changes, "b.service");
    assert!(b.len() >= 2, "{changes:#?}");
    assert!(b.iter().all(|l| l == "dependency:a.service"), "{b:?}");
    let hook: Vec<&UnitTransition> = changes.iter().filter(|t| t.unit == "h.service").collect();
    assert!(hook.len() >= 2, "{changes:#?}");
    for t in &hook {
        let Some(Activation::OnFailure(m)) = &t.activation else {
            panic!("not OnFailure=: {t:?}");
        };
        assert_eq!(m.unit, "a.service");
        let run = m.run.as_ref().expect("the failed run");
        assert_eq!(run.result, "exit-code");
        assert_eq!(run.exit_status.as_deref(), Some("2"));
    }
    // The hook gets a's end, not a's timer.
    assert_eq!(
        std::fs::read_to_string(&out).expect("the hook ran"),
        "a.service 2 []\n"
    );

    // b again, by hand: its new run is the client's, not the dependency's.
    h.sup.start("b.service").expect("start job");
    settle(&mut h, "b.service", SubState::Dead).await;
    let b = labels(&h.sup.take_transitions(), "b.service");
    assert!(b.len() >= 2, "{b:?}");
    assert!(b.iter().all(|l| l == "manual"), "{b:?}");
}

/// A start of a service that is already active starts no run: the running
/// run keeps its activation, and its later changes carry it.
#[tokio::test]
async fn a_start_of_an_active_service_leaves_its_runs_activation() {
    let mut h = Harness::new();
    h.add(
        "s.service",
        "[Service]\nType=simple\nExecStart=/bin/sleep 30\n",
    );
    h.sup
        .start_with("s.service", Activation::timer("s.timer", 1, 2))
        .expect("start job");
    settle(&mut h, "s.service", SubState::Running).await;
    h.sup.start("s.service").expect("start job");
    h.run_for(50).await;
    h.sup.stop("s.service").expect("stop job");
    settle(&mut h, "s.service", SubState::Dead).await;
    let s = labels(&h.sup.take_transitions(), "s.service");
    assert!(s.len() >= 3, "{s:?}");
    assert!(s.iter().all(|l| l == "timer:s.timer"), "{s:?}");
}
