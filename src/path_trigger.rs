//! The state machine of a `.path` unit, pure: it is told what happened (an
//! inotify event, the triggered unit's change), what the filesystem shows
//! now and whether the triggered unit is active, and returns what to do.
//! The daemon's `path_watch` module looks at the filesystem and carries
//! the actions out.
//!
//! systemd 252's `path.c` is the reference: `PathExists=`,
//! `PathExistsGlob=` and `DirectoryNotEmpty=` are levels: the unit
//! triggers while one holds and the triggered unit is not active, so after
//! the service finishes it triggers again if the condition still holds.
//! `PathChanged=` and `PathModified=` are edges: an event on the path
//! itself, or the path appearing or going away.
//!
//! Where sundial differs: systemd drops its watches while the triggered
//! unit runs, so a `PathChanged=` change during the run is lost. Here the
//! watches stay, and changes seen during a run (any number of them) make
//! one more run after it.

use std::fmt;
use std::path::PathBuf;

use crate::unit::{PathSection, PathSpec};

/// systemd's path states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PathState {
    /// Not started (or stopped).
    Dead,
    /// Watching; the triggered unit is not active.
    Waiting,
    /// The triggered unit was started (or is active); still watching.
    Running,
    /// Stopped by a failure; watching no more until started again.
    Failed(PathFailure),
}

/// Why a path unit failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PathFailure {
    /// `TriggerLimitBurst=` triggers within `TriggerLimitIntervalSec=`.
    TriggerLimitHit,
    /// The triggered unit could not be queued.
    Resources,
    /// The triggered unit refused to start: its start limit was hit.
    UnitStartLimitHit,
}

impl PathFailure {
    /// systemd's Result= name.
    pub fn as_str(self) -> &'static str {
        match self {
            PathFailure::TriggerLimitHit => "trigger-limit-hit",
            PathFailure::Resources => "resources",
            PathFailure::UnitStartLimitHit => "unit-start-limit-hit",
        }
    }
}

impl PathState {
    /// systemd's sub-state name.
    pub fn as_str(self) -> &'static str {
        match self {
            PathState::Dead => "dead",
            PathState::Waiting => "waiting",
            PathState::Running => "running",
            PathState::Failed(_) => "failed",
        }
    }

    /// Whether the unit watches its paths (ActiveState `active`).
    pub fn is_active(self) -> bool {
        matches!(self, PathState::Waiting | PathState::Running)
    }
}

impl fmt::Display for PathState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathEvent {
    /// `start`: begin watching.
    Start,
    /// `stop`: stop watching.
    Stop,
    /// An inotify event on the path of spec `spec` itself (a
    /// `PathChanged=` or `PathModified=` spec), or events were lost.
    Changed {
        /// The index of the spec in [`PathSection::specs`].
        spec: usize,
    },
    /// Any other inotify event: something on the way to a path appeared
    /// or went away, or a level path changed. The conditions are looked
    /// at again.
    Recheck,
    /// The triggered unit became active or inactive, or a start of it
    /// ended without running it.
    UnitChanged,
    /// The start of the triggered unit could not be queued.
    StartFailed,
    /// The triggered unit hit its start limit (systemd fails the path
    /// unit then, rather than trigger into the limit again and again).
    UnitStartLimitHit,
}

/// What the daemon saw when it looked, right before the event is handled.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// For each spec: whether its level condition holds; for
    /// `PathChanged=`/`PathModified=`, whether the path exists.
    pub observed: &'a [bool],
    /// Whether the triggered unit is active, activating or deactivating.
    pub unit_active: bool,
    /// The monotonic clock, µs (for the trigger limit).
    pub now_usec: u64,
}

/// What the daemon is to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathAction {
    /// Start the triggered unit because `path` triggered.
    StartUnit {
        /// The spec's path: `$TRIGGER_PATH`.
        path: PathBuf,
    },
    /// The state changed (logged with `SUNDIAL_DEBUG=1`).
    StateChanged {
        /// Before.
        from: PathState,
        /// After.
        to: PathState,
    },
    /// A message for the unit's log.
    Warn(String),
}

/// systemd's `RateLimit` as `TriggerLimit*=` use it: at most `burst`
/// triggers in a window of `interval` that starts at the first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TriggerLimit {
    interval_usec: u64,
    burst: u32,
    begin: Option<u64>,
    count: u32,
}

impl TriggerLimit {
    /// systemd's `ratelimit_below`.
    fn below(&mut self, now: u64) -> bool {
        if self.interval_usec == 0 || self.burst == 0 {
            return true;
        }
        match self.begin {
            Some(begin) if now.saturating_sub(begin) <= self.interval_usec => {
                self.count = self.count.saturating_add(1);
                self.count <= self.burst
            }
            _ => {
                self.begin = Some(now);
                self.count = 1;
                true
            }
        }
    }
}

/// One path unit's trigger state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathTrigger {
    specs: Vec<PathSpec>,
    state: PathState,
    /// For `PathChanged=`/`PathModified=` specs: whether the path existed
    /// when last looked at (appearing or going away is a change).
    previous_exists: Vec<bool>,
    /// A change seen while the triggered unit ran: the spec that saw it.
    pending: Option<usize>,
    limit: TriggerLimit,
}

impl PathTrigger {
    /// A dead path unit with `section`'s specs and limits.
    pub fn new(section: &PathSection) -> PathTrigger {
        PathTrigger {
            specs: section.specs.clone(),
            state: PathState::Dead,
            previous_exists: vec![false; section.specs.len()],
            pending: None,
            limit: TriggerLimit {
                interval_usec: section.trigger_limit_interval.as_usec(),
                burst: section.trigger_limit_burst,
                begin: None,
                count: 0,
            },
        }
    }

    /// The current state.
    pub fn state(&self) -> PathState {
        self.state
    }

    /// The specs watched.
    pub fn specs(&self) -> &[PathSpec] {
        &self.specs
    }

    /// Whether a change seen during the run waits for the run to end.
    pub fn has_pending(&self) -> bool {
        self.pending.is_some()
    }

    /// Handles one event; `facts` must have one entry per spec.
    pub fn handle(&mut self, event: PathEvent, facts: &Facts<'_>) -> Vec<PathAction> {
        debug_assert_eq!(facts.observed.len(), self.specs.len());
        let mut out = Vec::new();
        match (event, self.state) {
            (PathEvent::Start, s) if s.is_active() => {}
            (PathEvent::Start, _) => {
                // A start begins a new trigger window (systemd: the limit
                // that failed the unit is over when it is started again).
                self.limit.begin = None;
                self.pending = None;
                self.enter_waiting(true, false, facts, &mut out);
            }
            (PathEvent::Stop, _) => {
                self.pending = None;
                self.set_state(PathState::Dead, &mut out);
            }
            (PathEvent::Changed { spec }, PathState::Waiting) => {
                self.remember_existence(spec, facts);
                self.enter_running(spec, facts, &mut out);
            }
            (PathEvent::Changed { spec }, PathState::Running) => {
                self.remember_existence(spec, facts);
                self.pending = Some(spec);
            }
            (PathEvent::Recheck, PathState::Waiting) => {
                self.enter_waiting(false, false, facts, &mut out);
            }
            (PathEvent::Recheck, PathState::Running) => {
                // Levels are looked at when the run ends; an edge path that
                // appeared or went away is a change to run for then.
                if let Some(spec) = self.existence_flip(facts) {
                    self.pending = Some(spec);
                }
            }
            (PathEvent::UnitChanged, PathState::Running) if !facts.unit_active => {
                self.enter_waiting(false, true, facts, &mut out);
            }
            (PathEvent::StartFailed, PathState::Running) => {
                self.pending = None;
                self.set_state(PathState::Failed(PathFailure::Resources), &mut out);
            }
            (PathEvent::UnitStartLimitHit, s) if s.is_active() => {
                self.pending = None;
                self.set_state(PathState::Failed(PathFailure::UnitStartLimitHit), &mut out);
            }
            // systemd (path_trigger_notify): a path unit that waits ignores
            // its unit's changes; a dead or failed one ignores everything
            // but a start.
            _ => {}
        }
        out
    }

    /// systemd's `path_enter_waiting`: running if the unit is active,
    /// triggered if a condition holds, else waiting. `initial`: the
    /// unit's start; `from_unit`: the triggered unit just became inactive.
    fn enter_waiting(
        &mut self,
        initial: bool,
        from_unit: bool,
        facts: &Facts<'_>,
        out: &mut Vec<PathAction>,
    ) {
        if facts.unit_active {
            self.set_state(PathState::Running, out);
            return;
        }
        let level = self
            .specs
            .iter()
            .zip(facts.observed)
            .position(|(s, &holds)| s.condition.is_level() && holds);
        // The existence of edge paths is remembered in every case; a flip
        // triggers only outside a start or a unit's end (systemd).
        let flipped = self.existence_flip(facts);
        let edge = flipped.filter(|_| !initial && !from_unit);
        let pending = if from_unit { self.pending.take() } else { None };
        match level.or(edge).or(pending) {
            Some(spec) => self.enter_running(spec, facts, out),
            None => self.set_state(PathState::Waiting, out),
        }
    }

    /// systemd's `path_enter_running`: the trigger limit, then the start.
    fn enter_running(&mut self, spec: usize, facts: &Facts<'_>, out: &mut Vec<PathAction>) {
        if !self.limit.below(facts.now_usec) {
            out.push(PathAction::Warn(
                "Trigger limit hit, refusing further activation.".into(),
            ));
            self.pending = None;
            self.set_state(PathState::Failed(PathFailure::TriggerLimitHit), out);
            return;
        }
        self.pending = None;
        out.push(PathAction::StartUnit {
            path: self.specs[spec].path.clone(),
        });
        self.set_state(PathState::Running, out);
    }

    /// Updates the remembered existence of every edge path; the first
    /// spec whose path appeared or went away.
    fn existence_flip(&mut self, facts: &Facts<'_>) -> Option<usize> {
        let mut first = None;
        for (i, spec) in self.specs.iter().enumerate() {
            if spec.condition.is_level() {
                continue;
            }
            let now = facts.observed[i];
            if now != self.previous_exists[i] && first.is_none() {
                first = Some(i);
            }
            self.previous_exists[i] = now;
        }
        first
    }

    fn remember_existence(&mut self, spec: usize, facts: &Facts<'_>) {
        if let Some(slot) = self.previous_exists.get_mut(spec) {
            *slot = facts.observed[spec];
        }
    }

    fn set_state(&mut self, to: PathState, out: &mut Vec<PathAction>) {
        let from = self.state;
        if from != to {
            self.state = to;
            out.push(PathAction::StateChanged { from, to });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::PathCondition;
    use sundial_calendar::Timespan;

    fn section(specs: &[(PathCondition, &str)]) -> PathSection {
        PathSection {
            specs: specs
                .iter()
                .map(|(condition, path)| PathSpec {
                    condition: *condition,
                    path: PathBuf::from(path),
                })
                .collect(),
            ..PathSection::default()
        }
    }

    /// A machine and the facts fed to it, changed by the tests as the
    /// filesystem and the unit would change.
    struct Rig {
        trigger: PathTrigger,
        observed: Vec<bool>,
        unit_active: bool,
        now_usec: u64,
        starts: Vec<PathBuf>,
    }

    impl Rig {
        fn new(specs: &[(PathCondition, &str)]) -> Rig {
            Rig::with(section(specs))
        }

        fn with(section: PathSection) -> Rig {
            let n = section.specs.len();
            Rig {
                trigger: PathTrigger::new(&section),
                observed: vec![false; n],
                unit_active: false,
                now_usec: 1_000_000,
                starts: Vec::new(),
            }
        }

        /// Feeds `event`; a start makes the unit active, as the daemon's
        /// supervisor would. Returns the number of starts it caused.
        fn feed(&mut self, event: PathEvent) -> usize {
            let facts = Facts {
                observed: &self.observed,
                unit_active: self.unit_active,
                now_usec: self.now_usec,
            };
            let actions = self.trigger.handle(event, &facts);
            let mut started = 0;
            for a in actions {
                if let PathAction::StartUnit { path } = a {
                    self.starts.push(path);
                    self.unit_active = true;
                    started += 1;
                }
            }
            started
        }

        /// The triggered unit's run ends.
        fn finish(&mut self) -> usize {
            self.unit_active = false;
            self.feed(PathEvent::UnitChanged)
        }

        fn state(&self) -> PathState {
            self.trigger.state()
        }
    }

    use PathCondition::*;

    #[test]
    fn a_level_condition_triggers_at_start_and_again_while_it_holds() {
        let mut rig = Rig::new(&[(DirectoryNotEmpty, "/spool")]);
        rig.observed[0] = true;
        assert_eq!(rig.feed(PathEvent::Start), 1);
        assert_eq!(rig.state(), PathState::Running);
        assert_eq!(rig.starts, vec![PathBuf::from("/spool")]);
        // The service left a file behind: it runs again.
        assert_eq!(rig.finish(), 1);
        // It emptied the directory: the unit waits.
        rig.observed[0] = false;
        assert_eq!(rig.finish(), 0);
        assert_eq!(rig.state(), PathState::Waiting);
        // A file lands.
        rig.observed[0] = true;
        assert_eq!(rig.feed(PathEvent::Recheck), 1);
    }

    #[test]
    fn a_level_condition_does_not_trigger_while_the_unit_is_active() {
        let mut rig = Rig::new(&[(Exists, "/flag")]);
        rig.unit_active = true;
        rig.observed[0] = true;
        assert_eq!(rig.feed(PathEvent::Start), 0);
        assert_eq!(rig.state(), PathState::Running);
        assert_eq!(rig.feed(PathEvent::Recheck), 0);
        assert_eq!(rig.finish(), 1, "it holds when the unit ends");
    }

    #[test]
    fn a_change_triggers_but_an_existing_file_at_start_does_not() {
        let mut rig = Rig::new(&[(Changed, "/etc/app.conf")]);
        rig.observed[0] = true;
        assert_eq!(rig.feed(PathEvent::Start), 0);
        assert_eq!(rig.state(), PathState::Waiting);
        assert_eq!(rig.feed(PathEvent::Recheck), 0, "nothing flipped");
        assert_eq!(rig.feed(PathEvent::Changed { spec: 0 }), 1);
        assert_eq!(rig.finish(), 0, "an edge does not trigger again by itself");
        assert_eq!(rig.state(), PathState::Waiting);
    }

    #[test]
    fn a_burst_during_the_run_makes_exactly_one_more_run() {
        let mut rig = Rig::new(&[(Changed, "/in/file")]);
        rig.observed[0] = true;
        rig.feed(PathEvent::Start);
        assert_eq!(rig.feed(PathEvent::Changed { spec: 0 }), 1);
        for _ in 0..50 {
            assert_eq!(rig.feed(PathEvent::Changed { spec: 0 }), 0);
        }
        assert!(rig.trigger.has_pending());
        assert_eq!(rig.finish(), 1, "one run for the burst");
        assert_eq!(rig.finish(), 0, "and no more");
        assert_eq!(rig.starts.len(), 2);
    }

    #[test]
    fn a_path_appearing_or_going_away_is_a_change() {
        let mut rig = Rig::new(&[(Changed, "/not/yet/file")]);
        rig.feed(PathEvent::Start);
        // A parent directory appears: not the file yet.
        assert_eq!(rig.feed(PathEvent::Recheck), 0);
        rig.observed[0] = true;
        assert_eq!(rig.feed(PathEvent::Recheck), 1, "the file was created");
        rig.finish();
        // Deleted while waiting.
        rig.observed[0] = false;
        assert_eq!(rig.feed(PathEvent::Recheck), 1, "the file went away");
        // Created again while the unit runs: one more run after it.
        rig.observed[0] = true;
        assert_eq!(rig.feed(PathEvent::Recheck), 0);
        assert_eq!(rig.finish(), 1);
    }

    #[test]
    fn the_trigger_limit_fails_the_unit_until_it_is_started_again() {
        let mut s = section(&[(DirectoryNotEmpty, "/spool")]);
        s.trigger_limit_burst = 3;
        s.trigger_limit_interval = Timespan::from_secs(2);
        let mut rig = Rig::with(s);
        rig.observed[0] = true;
        assert_eq!(rig.feed(PathEvent::Start), 1);
        assert_eq!(rig.finish(), 1);
        assert_eq!(rig.finish(), 1);
        // The fourth trigger within 2s.
        assert_eq!(rig.finish(), 0);
        assert_eq!(rig.state(), PathState::Failed(PathFailure::TriggerLimitHit));
        assert_eq!(
            rig.feed(PathEvent::Recheck),
            0,
            "a failed unit watches no more"
        );
        // Later, started again.
        rig.now_usec += 10_000_000;
        assert_eq!(rig.feed(PathEvent::Start), 1);
    }

    #[test]
    fn the_window_moves_on_after_the_interval() {
        let mut s = section(&[(DirectoryNotEmpty, "/spool")]);
        s.trigger_limit_burst = 2;
        let mut rig = Rig::with(s);
        rig.observed[0] = true;
        rig.feed(PathEvent::Start);
        rig.finish();
        rig.now_usec += 2_000_001;
        assert_eq!(rig.finish(), 1, "a new window");
        assert!(rig.state().is_active());
    }

    #[test]
    fn a_zero_burst_or_interval_turns_the_limit_off() {
        for (burst, interval) in [(0, 2), (5, 0)] {
            let mut s = section(&[(Exists, "/f")]);
            s.trigger_limit_burst = burst;
            s.trigger_limit_interval = Timespan::from_secs(interval);
            let mut rig = Rig::with(s);
            rig.observed[0] = true;
            rig.feed(PathEvent::Start);
            for _ in 0..1000 {
                assert_eq!(rig.finish(), 1);
            }
        }
    }

    #[test]
    fn stop_ends_watching_and_forgets_a_pending_change() {
        let mut rig = Rig::new(&[(Modified, "/log")]);
        rig.feed(PathEvent::Start);
        rig.feed(PathEvent::Changed { spec: 0 });
        rig.feed(PathEvent::Changed { spec: 0 });
        assert_eq!(rig.feed(PathEvent::Stop), 0);
        assert_eq!(rig.state(), PathState::Dead);
        assert_eq!(rig.finish(), 0);
        assert_eq!(rig.feed(PathEvent::Changed { spec: 0 }), 0);
    }

    #[test]
    fn the_first_spec_that_holds_names_the_trigger_path() {
        let mut rig = Rig::new(&[(Changed, "/a"), (Exists, "/b"), (DirectoryNotEmpty, "/c")]);
        rig.observed = vec![true, false, true];
        assert_eq!(rig.feed(PathEvent::Start), 1);
        assert_eq!(rig.starts, vec![PathBuf::from("/c")]);
    }

    #[test]
    fn a_start_that_cannot_be_queued_fails_the_unit() {
        let mut rig = Rig::new(&[(Exists, "/f")]);
        rig.observed[0] = true;
        rig.feed(PathEvent::Start);
        rig.unit_active = false;
        rig.feed(PathEvent::StartFailed);
        assert_eq!(rig.state(), PathState::Failed(PathFailure::Resources));
    }

    #[test]
    fn the_units_start_limit_fails_the_path_unit() {
        let mut rig = Rig::new(&[(DirectoryNotEmpty, "/spool")]);
        rig.observed[0] = true;
        rig.feed(PathEvent::Start);
        rig.unit_active = false;
        assert_eq!(rig.feed(PathEvent::UnitStartLimitHit), 0);
        assert_eq!(
            rig.state(),
            PathState::Failed(PathFailure::UnitStartLimitHit)
        );
        assert_eq!(rig.finish(), 0);
    }

    #[test]
    fn a_waiting_unit_ignores_its_units_changes() {
        let mut rig = Rig::new(&[(Changed, "/f")]);
        rig.feed(PathEvent::Start);
        rig.unit_active = true;
        assert_eq!(rig.feed(PathEvent::UnitChanged), 0);
        assert_eq!(rig.state(), PathState::Waiting);
    }

    #[test]
    fn every_transition_is_reported_once() {
        let mut t = PathTrigger::new(&section(&[(Exists, "/f")]));
        let facts = Facts {
            observed: &[true],
            unit_active: false,
            now_usec: 0,
        };
        let actions = t.handle(PathEvent::Start, &facts);
        assert_eq!(
            actions,
            vec![
                PathAction::StartUnit { path: "/f".into() },
                PathAction::StateChanged {
                    from: PathState::Dead,
                    to: PathState::Running
                },
            ]
        );
        assert!(t.handle(PathEvent::Start, &facts).is_empty());
    }
}
