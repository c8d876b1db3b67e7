//! The typed `.timer` unit.

use sundial_calendar::{CalendarSpec, Timespan};

use super::extensions::DstPolicy;
use super::install::InstallSection;
use super::list::List;
use super::name::UnitName;
use super::source::UnitSource;
use super::unit::UnitSection;

/// What a monotonic trigger counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MonotonicBase {
    /// `OnActiveSec=`: when the timer unit was activated.
    Active,
    /// `OnBootSec=`: kernel boot.
    Boot,
    /// `OnStartupSec=`: when the manager started.
    Startup,
    /// `OnUnitActiveSec=`: when the triggered unit last became active.
    UnitActive,
    /// `OnUnitInactiveSec=`: when the triggered unit last became inactive.
    UnitInactive,
}

impl MonotonicBase {
    /// The directive that sets a trigger of this base.
    pub fn directive(self) -> &'static str {
        match self {
            MonotonicBase::Active => "OnActiveSec",
            MonotonicBase::Boot => "OnBootSec",
            MonotonicBase::Startup => "OnStartupSec",
            MonotonicBase::UnitActive => "OnUnitActiveSec",
            MonotonicBase::UnitInactive => "OnUnitInactiveSec",
        }
    }
}

/// One entry of the timer's shared trigger list.
// A timer has a handful of triggers; keeping the spec inline keeps matching
// on it simple for the scheduler.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimerTrigger {
    /// `On…Sec=`: a span after a base event.
    Monotonic {
        /// What the span counts from.
        base: MonotonicBase,
        /// The span.
        span: Timespan,
    },
    /// `OnCalendar=`: a wall-clock schedule.
    Calendar(CalendarSpec),
}

/// The `[Timer]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimerSection {
    /// `OnActiveSec=`, `OnBootSec=`, `OnStartupSec=`, `OnUnitActiveSec=`,
    /// `OnUnitInactiveSec=` and `OnCalendar=`, in file order. One shared list:
    /// an empty assignment to any of them clears all.
    pub triggers: List<TimerTrigger>,
    /// `AccuracySec=` (default 1 min).
    pub accuracy: Timespan,
    /// `RandomizedDelaySec=` (default 0).
    pub randomized_delay: Timespan,
    /// `FixedRandomDelay=` (default no).
    pub fixed_random_delay: bool,
    /// `RandomizedOffsetSec=` (default 0; systemd 258).
    pub randomized_offset: Timespan,
    /// `DeferReactivation=` (default no; systemd 257).
    pub defer_reactivation: bool,
    /// `OnClockChange=` (default no).
    pub on_clock_change: bool,
    /// `OnTimezoneChange=` (default no).
    pub on_timezone_change: bool,
    /// `Unit=` as written (specifiers expanded); `None` = same name as the timer.
    pub unit: Option<UnitName>,
    /// `Persistent=` (default no).
    pub persistent: bool,
    /// `WakeSystem=` (default no).
    pub wake_system: bool,
    /// `RemainAfterElapse=` (default yes).
    pub remain_after_elapse: bool,
    /// `X-Sundial-PersistentMonotonic=` (sundial's, default no): the last
    /// trigger is stamped for monotonic values too, so that after downtime an
    /// `OnUnitActiveSec=` interval that passed catches up once, and a daemon
    /// restart within one boot does not fire a passed `OnBootSec=` value
    /// again (docs/extensions.md).
    pub persistent_monotonic: bool,
    /// `X-Sundial-DSTPolicy=` (sundial's, default `systemd`): what calendar
    /// values do in a spring-forward gap and a repeated autumn hour.
    pub dst_policy: DstPolicy,
    /// `X-Sundial-Cluster=` (sundial's, default local): `once` runs each
    /// elapse on one node of the cluster.
    pub cluster: super::extensions::ClusterMode,
    /// `X-Sundial-ClusterFailover=` (sundial's, default rerun).
    pub cluster_failover: super::extensions::ClusterFailover,
}

impl Default for TimerSection {
    fn default() -> TimerSection {
        TimerSection {
            triggers: List::new(),
            // systemd: DefaultTimerAccuracySec= 1min
            accuracy: Timespan::from_secs(60),
            randomized_delay: Timespan::ZERO,
            fixed_random_delay: false,
            randomized_offset: Timespan::ZERO,
            defer_reactivation: false,
            on_clock_change: false,
            on_timezone_change: false,
            unit: None,
            persistent: false,
            wake_system: false,
            remain_after_elapse: true,
            persistent_monotonic: false,
            dst_policy: DstPolicy::Systemd,
            cluster: super::extensions::ClusterMode::Local,
            cluster_failover: super::extensions::ClusterFailover::Rerun,
        }
    }
}

impl TimerSection {
    /// Cuts the trigger list to its length (a list grown by one push holds
    /// room for four triggers of 272 bytes each).
    pub fn shrink_to_fit(&mut self) {
        self.triggers.shrink_to_fit();
    }

    /// The calendar triggers.
    pub fn calendars(&self) -> impl Iterator<Item = &CalendarSpec> {
        self.triggers.iter().filter_map(|t| match t {
            TimerTrigger::Calendar(spec) => Some(spec),
            TimerTrigger::Monotonic { .. } => None,
        })
    }

    /// The monotonic triggers.
    pub fn monotonic(&self) -> impl Iterator<Item = (MonotonicBase, Timespan)> + '_ {
        self.triggers.iter().filter_map(|t| match t {
            TimerTrigger::Monotonic { base, span } => Some((*base, *span)),
            TimerTrigger::Calendar(_) => None,
        })
    }

    /// Whether the timer can ever fire: systemd refuses a timer without any
    /// trigger value unless OnClockChange= or OnTimezoneChange= is set.
    pub fn has_trigger(&self) -> bool {
        !self.triggers.is_empty() || self.on_clock_change || self.on_timezone_change
    }
}

/// A loaded, validated `.timer` unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimerUnit {
    /// The unit's name (`backup.timer`, `backup@home.timer`).
    pub name: UnitName,
    /// Where it was loaded from.
    pub source: UnitSource,
    /// `[Unit]`.
    pub unit: UnitSection,
    /// `[Timer]`.
    pub timer: TimerSection,
    /// `[Install]`.
    pub install: InstallSection,
    /// The unit this timer starts: `Unit=`, or the timer's own name with the
    /// `.service` suffix (template instances keep their instance).
    pub triggers: UnitName,
}
