//! A timer's state and the data its states carry.

use std::fmt;
use std::sync::Arc;

use sundial_calendar::{Timespan, Timestamp};

use super::clock::{ClockId, ClockSnapshot};
use crate::unit::{MonotonicBase, TimerTrigger, TimerUnit};

/// Why a timer went to `failed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureReason {
    /// The start job for the triggered unit could not be queued.
    Resources,
    /// The timer hit its start limit.
    StartLimitHit,
}

/// A timer's sub-state (systemd's `SUB` column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimerState {
    /// Stopped.
    Dead,
    /// Armed: the pending elapses.
    Waiting(Waiting),
    /// Triggered; the unit it started is still active, and nothing is armed.
    Running,
    /// Nothing left to fire; kept around (`RemainAfterElapse=yes`, or
    /// `OnUnit…Sec=` values that may come back).
    Elapsed,
    /// Failed.
    Failed(FailureReason),
}

/// A timer's sub-state without the data its variants carry: what a change
/// of state reports, and what `list-timers` filters on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimerSubState {
    Dead,
    Waiting,
    Running,
    Elapsed,
    Failed,
}

impl TimerSubState {
    /// The name systemd uses for this sub-state.
    pub fn as_str(self) -> &'static str {
        match self {
            TimerSubState::Dead => "dead",
            TimerSubState::Waiting => "waiting",
            TimerSubState::Running => "running",
            TimerSubState::Elapsed => "elapsed",
            TimerSubState::Failed => "failed",
        }
    }

    /// Whether the timer unit is active (waiting, running or elapsed):
    /// systemd's ActiveState of a timer is `active` in these, `inactive`
    /// when dead and `failed` when failed.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            TimerSubState::Waiting | TimerSubState::Running | TimerSubState::Elapsed
        )
    }
}

impl fmt::Display for TimerSubState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TimerState {
    /// The sub-state, without its data.
    pub fn sub(&self) -> TimerSubState {
        match self {
            TimerState::Dead => TimerSubState::Dead,
            TimerState::Waiting(_) => TimerSubState::Waiting,
            TimerState::Running => TimerSubState::Running,
            TimerState::Elapsed => TimerSubState::Elapsed,
            TimerState::Failed(_) => TimerSubState::Failed,
        }
    }

    /// The name systemd uses for this sub-state.
    pub fn name(&self) -> &'static str {
        self.sub().as_str()
    }

    /// Whether the timer unit is active (waiting, running or elapsed).
    pub fn is_active(&self) -> bool {
        self.sub().is_active()
    }
}

impl fmt::Display for TimerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The elapses a waiting timer is armed for; at least one of the two, or
/// only clock/zone-change triggers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Waiting {
    /// The next calendar elapse.
    pub realtime: Option<Pending>,
    /// The next monotonic elapse, on `CLOCK_MONOTONIC` or `CLOCK_BOOTTIME`.
    pub monotonic: Option<Pending>,
}

/// One armed elapse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The clock it is on.
    pub clock: ClockId,
    /// When it may fire, in microseconds on `clock`, random delay included.
    pub at: u64,
    /// When the trigger value itself elapses, before the random delay.
    pub scheduled: u64,
    /// The random delay added (`RandomizedDelaySec=`).
    pub random_delay: Timespan,
    /// The trigger value responsible.
    pub cause: Cause,
}

/// What made (or will make) a timer elapse.
#[derive(Clone)]
pub enum Cause {
    /// A trigger value of the unit file, printed as written
    /// (`OnCalendar=daily`, `OnUnitActiveSec=1h`).
    Value {
        /// Position in the timer's trigger list.
        index: usize,
        /// The unit the value is in (shared: the text is made when printed,
        /// not kept for every waiting timer).
        unit: Arc<TimerUnit>,
        /// How the elapse relates to the value's own schedule.
        note: Note,
    },
    /// `OnClockChange=yes` and the wall clock jumped.
    ClockChange,
    /// `OnTimezoneChange=yes` and the zone changed.
    TimezoneChange,
}

impl Cause {
    /// The trigger value, for [`Cause::Value`].
    pub fn value(&self) -> Option<&TimerTrigger> {
        match self {
            Cause::Value { index, unit, .. } => unit.timer.triggers.get(*index),
            Cause::ClockChange | Cause::TimezoneChange => None,
        }
    }

    /// Whether the value counts from the unit's runs (`OnUnitActiveSec=`,
    /// `OnUnitInactiveSec=`).
    pub fn is_unit_relative(&self) -> bool {
        matches!(
            self.value(),
            Some(TimerTrigger::Monotonic {
                base: MonotonicBase::UnitActive | MonotonicBase::UnitInactive,
                ..
            })
        )
    }

    /// Whether the value counts from this node's own start or boot
    /// (`OnActiveSec=`, `OnBootSec=`, `OnStartupSec=`).
    pub fn is_node_relative(&self) -> bool {
        matches!(
            self.value(),
            Some(TimerTrigger::Monotonic {
                base: MonotonicBase::Active | MonotonicBase::Boot | MonotonicBase::Startup,
                ..
            })
        )
    }
}

/// Two causes are equal when they name the same value of the same
/// position with the same note.
impl PartialEq for Cause {
    fn eq(&self, other: &Cause) -> bool {
        match (self, other) {
            (
                Cause::Value {
                    index: a, note: x, ..
                },
                Cause::Value {
                    index: b, note: y, ..
                },
            ) => a == b && x == y && self.value() == other.value(),
            (Cause::ClockChange, Cause::ClockChange)
            | (Cause::TimezoneChange, Cause::TimezoneChange) => true,
            _ => false,
        }
    }
}

impl Eq for Cause {}

impl fmt::Debug for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::Value { index, note, .. } => f
                .debug_struct("Value")
                .field("index", index)
                .field("setting", &format_args!("{}", Setting(self.value())))
                .field("note", note)
                .finish(),
            Cause::ClockChange => f.write_str("ClockChange"),
            Cause::TimezoneChange => f.write_str("TimezoneChange"),
        }
    }
}

/// A trigger value as its `Directive=value` line.
struct Setting<'a>(Option<&'a TimerTrigger>);

impl fmt::Display for Setting<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(TimerTrigger::Calendar(spec)) => write!(f, "OnCalendar={spec}"),
            Some(TimerTrigger::Monotonic { base, span }) => {
                write!(f, "{}={span}", base.directive())
            }
            None => Ok(()),
        }
    }
}

/// Why an elapse is not simply the value's schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Note {
    /// It is.
    None,
    /// The elapse had passed (missed while down, or while the unit ran) and
    /// fires now, once.
    Overdue,
    /// A calendar elapse due before the daemon started (missed while it was
    /// down), moved to the start as systemd moves it: when it was due. A
    /// cluster claims it under that time, which every node computes alike.
    Missed(Timestamp),
    /// `X-Sundial-DSTPolicy=catch-up`: right after a spring-forward gap.
    AfterGap,
    /// `X-Sundial-DSTPolicy=catch-up`: second pass of a repeated hour.
    RepeatedHour,
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::Value { note, .. } => {
                write!(f, "{}", Setting(self.value()))?;
                match note {
                    Note::None => Ok(()),
                    Note::Overdue | Note::Missed(_) => f.write_str(" (overdue)"),
                    Note::AfterGap => f.write_str(" (after DST gap)"),
                    Note::RepeatedHour => f.write_str(" (repeated hour)"),
                }
            }
            Cause::ClockChange => f.write_str("OnClockChange=yes"),
            Cause::TimezoneChange => f.write_str("OnTimezoneChange=yes"),
        }
    }
}

/// When a timer last triggered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastTrigger {
    /// Wall-clock time.
    pub realtime: Timestamp,
    /// The monotonic clocks, when the trigger happened during this boot
    /// (a stamp loaded for `Persistent=` has none).
    pub monotonic: Option<ClockSnapshot>,
    /// For a stamp loaded under `X-Sundial-PersistentMonotonic=yes`: where
    /// the trigger lies on the monotonic clocks of this boot, negative if
    /// before it, so that intervals count from it.
    pub mapped: Option<(i64, i64)>,
}

impl LastTrigger {
    /// A trigger that happened at `now`.
    pub fn at(now: ClockSnapshot) -> LastTrigger {
        LastTrigger {
            realtime: now.realtime,
            monotonic: Some(now),
            mapped: None,
        }
    }

    /// The trigger's reading of a monotonic-kind `clock`, if known; for
    /// mapped stamps possibly negative.
    pub fn on(&self, clock: ClockId) -> Option<i64> {
        if let Some(snapshot) = self.monotonic {
            return Some(snapshot.usec(clock) as i64);
        }
        self.mapped.map(|(mono, boot)| match clock {
            ClockId::Boottime => boot,
            _ => mono,
        })
    }
}
