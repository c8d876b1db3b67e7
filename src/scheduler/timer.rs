//! One timer: its configuration, what it remembers, and the computation of
//! its next elapse (systemd: timer_enter_waiting()).

use std::sync::Arc;

use sundial_calendar::{Timespan, Timestamp, Zone};

use crate::unit::list::List;
use crate::unit::{MonotonicBase, TimerTrigger, TimerUnit};

use super::clock::{ClockId, ClockSnapshot};
use super::queue::Armed;
use super::random::{
    randomized_delay, randomized_offset, HostIdentity, Occurrence, RandomSource, SeededDraws,
};
use super::timer_state::{Cause, LastTrigger, Note, Pending, TimerState, Waiting};
use super::trigger::{next_calendar, CalendarHow};

/// When a triggered unit last changed between inactive and active.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UnitTimes {
    /// Whether it is active (or activating, or deactivating) now.
    pub active: bool,
    /// When it last left the inactive state (`OnUnitActiveSec=` counts from here).
    pub inactive_exit: Option<ClockSnapshot>,
    /// When it last entered inactive or failed (`OnUnitInactiveSec=`).
    pub inactive_enter: Option<ClockSnapshot>,
}

/// What the computation of a timer's next elapse needs besides the timer.
#[derive(Debug)]
pub struct Context<'a> {
    /// The clocks now.
    pub now: ClockSnapshot,
    /// When the manager (the daemon) started.
    pub startup: ClockSnapshot,
    /// In a container `OnBootSec=` counts from the manager's start, as systemd does.
    pub in_container: bool,
    /// The local time zone.
    pub zone: &'a Zone,
    /// The host, for stable per-unit delays.
    pub host: &'a HostIdentity,
    /// Where random delays come from.
    pub random: &'a mut dyn RandomSource,
    /// The cluster's seed, for `X-Sundial-Cluster=once` timers: their
    /// delays and offsets are drawn from it alone, so that every node
    /// computes the same elapse.
    pub cluster_seed: Option<u64>,
    /// The triggered unit's history.
    pub unit: UnitTimes,
}

/// The newest run of a cluster timer's unit anywhere in the cluster (from
/// the shared runs table): what its `OnUnitActiveSec=` and
/// `OnUnitInactiveSec=` count from, on the wall clock, so that every node
/// computes the same elapse whichever node ran the unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClusterLast {
    /// When it started, on the clock of the node that ran it.
    pub started: Timestamp,
    /// When it ended; `None` while it runs.
    pub ended: Option<Timestamp>,
}

impl ClusterLast {
    /// Whether `self` is news to a timer that knows `known`: a later run,
    /// or the end of the run it knows.
    pub fn newer_than(&self, known: Option<&ClusterLast>) -> bool {
        match known {
            None => true,
            Some(k) => {
                self.started > k.started
                    || (self.started == k.started && self.ended.is_some() && k.ended.is_none())
            }
        }
    }
}

/// When a timer was started; `OnActiveSec=` counts from here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activated {
    /// Started at these clock readings.
    At(ClockSnapshot),
    /// Started again at `realtime` by a restarted manager, but first started
    /// earlier (a transient timer kept across restarts): where that first
    /// start lies on this boot's CLOCK_MONOTONIC and CLOCK_BOOTTIME, negative
    /// before the boot. Calendar values count from the restart, as for any
    /// timer that starts.
    Resumed {
        /// The wall clock at the restart.
        realtime: Timestamp,
        /// The first start on CLOCK_MONOTONIC.
        monotonic: i64,
        /// The first start on CLOCK_BOOTTIME.
        boottime: i64,
    },
}

impl Activated {
    /// The wall clock at the (re)start.
    pub fn realtime(self) -> Timestamp {
        match self {
            Activated::At(s) => s.realtime,
            Activated::Resumed { realtime, .. } => realtime,
        }
    }

    /// Where the start lies on `clock`, in µs.
    pub fn on(self, clock: ClockId) -> i64 {
        match (self, clock) {
            (Activated::At(s), clock) => s.usec(clock) as i64,
            (Activated::Resumed { realtime, .. }, ClockId::Realtime) => realtime.as_usec(),
            (Activated::Resumed { monotonic, .. }, ClockId::Monotonic) => monotonic,
            (Activated::Resumed { boottime, .. }, ClockId::Boottime) => boottime,
        }
    }
}

/// The outcome of computing a timer's next elapse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Something can still fire.
    Waiting(Waiting),
    /// Nothing can; `leave_around` when `OnUnit…Sec=` values may come back
    /// once the unit runs again.
    Elapsed {
        /// Keep the timer even with `RemainAfterElapse=no`.
        leave_around: bool,
    },
}

/// The trigger values of a timer that the one-shot rule disabled: a bit
/// per value for the first 64 (inline; a `Vec<bool>` cost an allocation per
/// timer), the indices past them in a list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Disabled {
    low: u64,
    high: List<usize>,
}

impl Disabled {
    /// Whether value `index` is disabled.
    pub fn get(&self, index: usize) -> bool {
        match index {
            0..64 => self.low & (1 << index) != 0,
            _ => self.high.contains(&index),
        }
    }

    /// Disables (`true`) or enables value `index`.
    pub fn set(&mut self, index: usize, on: bool) {
        match (index, on) {
            (0..64, true) => self.low |= 1 << index,
            (0..64, false) => self.low &= !(1 << index),
            (_, true) if !self.high.contains(&index) => self.high.push(index),
            (_, true) => {}
            (_, false) => self.high.retain(|&i| i != index),
        }
    }

    /// One flag per value, for `values` values (the saved state's form).
    pub fn to_flags(&self, values: usize) -> Vec<bool> {
        (0..values).map(|i| self.get(i)).collect()
    }

    /// From one flag per value.
    pub fn from_flags(flags: &[bool]) -> Disabled {
        let mut disabled = Disabled::default();
        for (i, _) in flags.iter().enumerate().filter(|(_, &on)| on) {
            disabled.set(i, true);
        }
        disabled
    }
}

/// A loaded timer and its memory.
#[derive(Debug)]
pub struct Timer {
    /// The unit file, shared with the daemon's unit set.
    pub unit: Arc<TimerUnit>,
    /// Its state.
    pub state: TimerState,
    /// When it last triggered.
    pub last_trigger: Option<LastTrigger>,
    /// When it was last started (left `dead`).
    pub activated: Option<Activated>,
    /// Per trigger value: disabled by the one-shot rule.
    pub disabled: Disabled,
    /// For a cluster timer: the cluster's newest run of its unit, once
    /// known.
    pub cluster_last: Option<ClusterLast>,
    /// For a cluster timer: the scheduled time of the last
    /// `OnUnitActiveSec=`/`OnUnitInactiveSec=` elapse it fired here. The
    /// next one counts from no earlier than it, so that an elapse no node
    /// ran (the cluster was down) is not fired again and again, and the
    /// rhythm goes on from it, the same on every node.
    pub cluster_elapse: Option<Timestamp>,
    /// Its entries in the clock queues: the realtime and the monotonic
    /// elapse of [`Waiting`], in that order (inline: a list would cost an
    /// allocation per timer).
    pub(super) armed: [Option<(ClockId, Armed)>; 2],
}

impl Timer {
    /// The cause of an elapse from trigger value `index`, marked overdue
    /// when it is already due.
    fn value_cause(&self, index: usize, overdue: bool) -> Cause {
        Cause::Value {
            index,
            unit: Arc::clone(&self.unit),
            note: if overdue { Note::Overdue } else { Note::None },
        }
    }

    /// The next elapse on the wall clock: the earlier of the calendar and
    /// the monotonic elapse (list-timers' NEXT); `None` unless waiting.
    pub fn next_elapse(&self, now: &ClockSnapshot) -> Option<Timestamp> {
        let TimerState::Waiting(w) = &self.state else {
            return None;
        };
        [&w.realtime, &w.monotonic]
            .into_iter()
            .flatten()
            .map(|p| now.realtime_of(p.clock, p.at as i64))
            .min()
    }

    /// A stopped timer.
    pub fn new(unit: Arc<TimerUnit>) -> Timer {
        Timer {
            unit,
            state: TimerState::Dead,
            last_trigger: None,
            activated: None,
            cluster_last: None,
            cluster_elapse: None,
            disabled: Disabled::default(),
            armed: [None, None],
        }
    }

    /// The timer's name.
    pub fn name(&self) -> &str {
        self.unit.name.as_str()
    }

    /// The clock of its monotonic values: `WakeSystem=yes` counts suspend too.
    pub fn monotonic_clock(&self) -> ClockId {
        if self.unit.timer.wake_system {
            ClockId::Boottime
        } else {
            ClockId::Monotonic
        }
    }

    /// Whether this unit, as a cluster timer, counts its `OnUnitActiveSec=`
    /// and `OnUnitInactiveSec=` values from the cluster's runs.
    pub fn counts_from_cluster_runs(unit: &TimerUnit) -> bool {
        unit.timer.cluster == crate::unit::extensions::ClusterMode::Once
            && unit.timer.triggers.iter().any(|t| {
                matches!(
                    t,
                    TimerTrigger::Monotonic {
                        base: MonotonicBase::UnitActive | MonotonicBase::UnitInactive,
                        ..
                    }
                )
            })
    }

    /// Whether it writes a stamp on each trigger.
    pub fn stamps(&self) -> bool {
        self.unit.timer.persistent || self.unit.timer.persistent_monotonic
    }

    /// Computes the next elapse. `time_change`: recomputing because the wall
    /// clock jumped, when past one-shot values are not disabled.
    pub fn compute_next(&mut self, ctx: &mut Context<'_>, time_change: bool) -> Next {
        let config = &self.unit.timer;
        let clock = self.monotonic_clock();
        let now_mono = ctx.now.usec(clock) as i64;
        let mut realtime: Option<(Timestamp, Cause)> = None;
        let mut monotonic: Option<(i64, Cause)> = None;
        let mut leave_around = false;
        // A cluster timer's delays are the cluster's, not the host's.
        let cluster_seed = ctx
            .cluster_seed
            .filter(|_| config.cluster == crate::unit::extensions::ClusterMode::Once);
        let cluster_host = cluster_seed.map(HostIdentity::of_cluster);
        let rhythm = cluster_seed.is_some() && Timer::counts_from_cluster_runs(&self.unit);
        let host = cluster_host.as_ref().unwrap_or(ctx.host);
        let offset = randomized_offset(config.randomized_offset, host, self.name());
        for (index, value) in config.triggers.iter().enumerate() {
            if self.disabled.get(index) {
                continue;
            }
            match value {
                TimerTrigger::Calendar(spec) => {
                    let base = self.calendar_base(ctx);
                    let Some((mut next, how)) =
                        next_calendar(spec, base, ctx.zone, self.unit.timer.dst_policy, offset)
                    else {
                        continue;
                    };
                    let due = next;
                    // systemd: an elapse before the manager started is moved to
                    // the start, so that a missed one fires once, at boot, with
                    // its random delay counted from there.
                    let rebased = ctx
                        .now
                        .realtime_of(ClockId::Monotonic, ctx.startup.monotonic.as_usec() as i64);
                    next = next.max(rebased);
                    let note = match how {
                        _ if due < rebased && next <= ctx.now.realtime => Note::Missed(due),
                        _ if next <= ctx.now.realtime => Note::Overdue,
                        CalendarHow::Spec => Note::None,
                        CalendarHow::AfterGap => Note::AfterGap,
                        CalendarHow::RepeatedHour => Note::RepeatedHour,
                    };
                    if realtime.as_ref().is_none_or(|(t, _)| next < *t) {
                        realtime = Some((
                            next,
                            Cause::Value {
                                index,
                                unit: Arc::clone(&self.unit),
                                note,
                            },
                        ));
                    }
                }
                TimerTrigger::Monotonic { base, span } => {
                    if span.is_infinite() {
                        continue;
                    }
                    let unit_relative = matches!(
                        base,
                        MonotonicBase::UnitActive | MonotonicBase::UnitInactive
                    );
                    if unit_relative {
                        leave_around = true;
                    }
                    if rhythm && unit_relative {
                        // The cluster's last start or end, on the wall
                        // clock: the same elapse on every node. Nothing
                        // while the cluster has no run (or, for the end,
                        // while its newest run runs).
                        let fired = self.cluster_elapse;
                        let base_time = match (base, self.cluster_last) {
                            (MonotonicBase::UnitActive, last) => last.map(|l| l.started).max(fired),
                            (_, Some(ClusterLast { ended: None, .. })) => None,
                            (_, last) => last.and_then(|l| l.ended).max(fired),
                        };
                        let Some(base_time) = base_time else {
                            continue;
                        };
                        let next = Timestamp::from_usec(
                            base_time.as_usec().saturating_add(span.as_usec() as i64),
                        );
                        if realtime.as_ref().is_none_or(|(t, _)| next < *t) {
                            realtime =
                                Some((next, self.value_cause(index, next <= ctx.now.realtime)));
                        }
                        continue;
                    }
                    // The node's own OnActiveSec=, OnBootSec= and
                    // OnStartupSec= start the cluster's rhythm while it has
                    // no run of the unit; afterwards the cluster's runs set
                    // it, so that a node starting later does not run the
                    // unit again at its own boot.
                    if rhythm && (self.cluster_last.is_some() || self.cluster_elapse.is_some()) {
                        continue;
                    }
                    let Some(from) = self.monotonic_base(*base, clock, ctx) else {
                        continue;
                    };
                    let next = from.saturating_add(span.as_usec() as i64);
                    let one_shot = matches!(
                        base,
                        MonotonicBase::Active | MonotonicBase::Boot | MonotonicBase::Startup
                    );
                    // systemd: a boot/startup/active value that has passed
                    // after the timer fired once is done for good. (systemd
                    // compares with `<`; its trigger always lies a little
                    // after the elapse, while simulated time can stand still,
                    // so a value elapsing exactly now counts as passed.)
                    if one_shot && self.triggered_this_boot() && !time_change && next <= now_mono {
                        self.disabled.set(index, true);
                        continue;
                    }
                    if monotonic.as_ref().is_none_or(|(t, _)| next < *t) {
                        monotonic = Some((next, self.value_cause(index, next <= now_mono)));
                    }
                }
            }
        }
        if realtime.is_none() && monotonic.is_none() {
            if !config.on_clock_change && !config.on_timezone_change {
                return Next::Elapsed { leave_around };
            }
            return Next::Waiting(Waiting::default());
        }
        let mut cluster_draws = cluster_seed.map(SeededDraws::new);
        let random: &mut dyn RandomSource = match cluster_draws.as_mut() {
            Some(draws) => draws,
            None => &mut *ctx.random,
        };
        let delay_max = config.randomized_delay;
        let fixed = config.fixed_random_delay;
        let mut pending = |clock: ClockId, scheduled: u64, cause: Cause| {
            let occurrence = Occurrence {
                unit: self.name(),
                clock,
                scheduled,
            };
            let random_delay = randomized_delay(delay_max, fixed, host, occurrence, random);
            Pending {
                clock,
                at: scheduled.saturating_add(random_delay.as_usec()),
                scheduled,
                random_delay,
                cause,
            }
        };
        // Monotonic first, then realtime: the order in which systemd draws.
        let monotonic = monotonic.map(|(t, cause)| pending(clock, t.max(0) as u64, cause));
        let realtime =
            realtime.map(|(t, cause)| pending(ClockId::Realtime, t.as_usec().max(0) as u64, cause));
        Next::Waiting(Waiting {
            realtime,
            monotonic,
        })
    }

    /// What calendar values count from (systemd ≥ 257 with DeferReactivation=).
    fn calendar_base(&self, ctx: &Context<'_>) -> Timestamp {
        // A stamp loaded only for X-Sundial-PersistentMonotonic= leaves
        // calendar values as systemd has them.
        let last = self
            .last_trigger
            .filter(|l| l.monotonic.is_some() || self.unit.timer.persistent)
            .map(|l| l.realtime);
        if self.unit.timer.defer_reactivation {
            if let Some(inactive) = ctx.unit.inactive_enter {
                return last.map_or(inactive.realtime, |l| l.max(inactive.realtime));
            }
        }
        last.or(self.activated.map(Activated::realtime))
            .unwrap_or(ctx.now.realtime)
    }

    /// What a monotonic value counts from, on `clock`; `None` while there is
    /// nothing to count from.
    fn monotonic_base(
        &self,
        base: MonotonicBase,
        clock: ClockId,
        ctx: &Context<'_>,
    ) -> Option<i64> {
        let on = |s: ClockSnapshot| s.usec(clock) as i64;
        let last = self.last_trigger.and_then(|l| l.on(clock));
        let unit_base = |event: Option<ClockSnapshot>| {
            // systemd: the later of the unit's event and the last trigger;
            // ignored while neither exists.
            match (event.map(on), last) {
                (None, None) => None,
                (a, b) => {
                    let base = a.unwrap_or(i64::MIN).max(b.unwrap_or(i64::MIN));
                    (base > 0 || self.unit.timer.persistent_monotonic).then_some(base)
                }
            }
        };
        match base {
            MonotonicBase::Active => Some(self.activated.map_or(on(ctx.now), |a| a.on(clock))),
            MonotonicBase::Boot if !ctx.in_container => Some(0),
            MonotonicBase::Boot | MonotonicBase::Startup => Some(on(ctx.startup)),
            MonotonicBase::UnitActive => unit_base(ctx.unit.inactive_exit),
            MonotonicBase::UnitInactive => unit_base(ctx.unit.inactive_enter),
        }
    }

    /// Whether the one-shot rule applies. systemd: any last trigger, even a
    /// stamp from an earlier boot; with `X-Sundial-PersistentMonotonic=yes`
    /// only a trigger during this boot, so that a new boot fires `OnBootSec=`
    /// again but a daemon restart does not.
    fn triggered_this_boot(&self) -> bool {
        match self.last_trigger {
            None => false,
            Some(last) if self.unit.timer.persistent_monotonic => {
                last.monotonic.is_some() || last.mapped.is_some_and(|(mono, _)| mono >= 0)
            }
            Some(_) => true,
        }
    }

    /// Spans for the list: the configured accuracy.
    pub fn accuracy(&self) -> Timespan {
        self.unit.timer.accuracy
    }
}

#[cfg(test)]
mod tests {
    use super::{ClusterLast, Disabled};
    use sundial_calendar::Timestamp;

    #[test]
    fn a_cluster_run_is_news_when_later_or_when_it_ended() {
        let run = |started: i64, ended: Option<i64>| ClusterLast {
            started: Timestamp::from_usec(started),
            ended: ended.map(Timestamp::from_usec),
        };
        assert!(run(5, None).newer_than(None));
        assert!(run(6, None).newer_than(Some(&run(5, Some(7)))));
        assert!(run(5, Some(9)).newer_than(Some(&run(5, None))));
        assert!(!run(5, None).newer_than(Some(&run(5, None))));
        assert!(!run(5, None).newer_than(Some(&run(5, Some(9)))));
        assert!(!run(4, Some(9)).newer_than(Some(&run(5, None))));
    }

    #[test]
    fn disabled_values_below_and_past_the_inline_bits() {
        let mut d = Disabled::default();
        for i in [0, 5, 63, 64, 200] {
            assert!(!d.get(i));
            d.set(i, true);
            d.set(i, true);
            assert!(d.get(i), "{i}");
        }
        assert!(!d.get(1) && !d.get(65));
        d.set(64, false);
        d.set(5, false);
        assert!(!d.get(64) && !d.get(5) && d.get(200) && d.get(63));
        let flags = d.to_flags(201);
        assert_eq!(flags.iter().filter(|&&on| on).count(), 3);
        assert_eq!(Disabled::from_flags(&flags), d);
        assert!(std::mem::size_of::<Disabled>() <= 16);
    }
}
