//! The timer wheel against a `BTreeMap` model: same expiries, same next
//! deadline, whatever the mix of inserts, cancels and time steps.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use sundial::scheduler::wheel::{Handle, Tick, Wheel};

#[derive(Debug, Clone)]
enum Op {
    /// Insert a timer this many ticks from now (possibly in the past).
    Insert(i64),
    /// Cancel the n-th timer ever inserted (whether or not still pending).
    Cancel(usize),
    /// Move time forward.
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    // Deltas of every magnitude, so that all levels and cascades are exercised.
    let delta = prop_oneof![
        -100_i64..200,
        0_i64..5_000,
        0_i64..1_000_000,
        0_i64..(1 << 40),
        Just(i64::MAX / 2),
    ];
    let step = prop_oneof![0_u64..70, 0_u64..5_000, 0_u64..2_000_000, 0_u64..(1 << 41)];
    prop_oneof![
        4 => delta.prop_map(Op::Insert),
        1 => (0_usize..400).prop_map(Op::Cancel),
        2 => step.prop_map(Op::Advance),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn wheel_matches_btreemap(start in 0_u64..1 << 45, ops in prop::collection::vec(op(), 1..300)) {
        let mut wheel = Wheel::new(start);
        // (deadline, id) -> (), the model of pending timers.
        let mut model: BTreeSet<(Tick, usize)> = BTreeSet::new();
        let mut handles: Vec<(Handle, Tick)> = Vec::new();
        let mut now = start;
        for op in ops {
            match op {
                Op::Insert(delta) => {
                    let deadline = now.saturating_add_signed(delta);
                    let id = handles.len();
                    handles.push((wheel.insert(deadline, id), deadline));
                    model.insert((deadline, id));
                }
                Op::Cancel(n) => {
                    if let Some(&(handle, deadline)) = handles.get(n) {
                        let was_pending = model.remove(&(deadline, n));
                        prop_assert_eq!(wheel.cancel(handle), was_pending.then_some(n));
                    }
                }
                Op::Advance(step) => {
                    now = now.saturating_add(step);
                    let mut got = Vec::new();
                    wheel.expire(now, |_, _, id| got.push(id));
                    let due: BTreeMap<usize, Tick> =
                        model.iter().filter(|(d, _)| *d <= now).map(|&(d, id)| (id, d)).collect();
                    model.retain(|(d, _)| *d > now);
                    let got_set: BTreeSet<usize> = got.iter().copied().collect();
                    prop_assert_eq!(got.len(), got_set.len());
                    prop_assert_eq!(got_set, due.keys().copied().collect::<BTreeSet<_>>());
                }
            }
            prop_assert_eq!(wheel.len(), model.len());
            prop_assert_eq!(wheel.next_deadline(), model.first().map(|(d, _)| *d));
        }
    }

    #[test]
    fn expiry_order_follows_deadlines(deadlines in prop::collection::vec(1_u64..1 << 30, 1..200)) {
        let mut wheel = Wheel::new(0);
        for (i, d) in deadlines.iter().enumerate() {
            wheel.insert(*d, i);
        }
        let mut got = Vec::new();
        wheel.expire(u64::MAX, |_, d, id| got.push((d, id)));
        prop_assert!(got.windows(2).all(|w| w[0].0 <= w[1].0));
        prop_assert!(got.iter().all(|&(d, id)| deadlines[id] == d));
        prop_assert_eq!(got.len(), deadlines.len());
    }
}
