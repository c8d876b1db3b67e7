//! Jobs and the dependencies between units: what a start or stop pulls in,
//! which job waits for which (After=/Before=), and what a failure or a stop
//! propagates to (Requires=, BindsTo=, PartOf=, OnFailure=, OnSuccess=).
//!
//! The rules, from systemd.unit(5): a start pulls in the start of Requires=,
//! Wants= and BindsTo= units and the stop of Conflicts= units; Requisite=
//! units must already be active. Ordering only orders jobs that exist: if A is
//! After=B, A's start waits for B's job, and B's stop waits for A's. A stop is
//! ordered before a start of an ordered unit whatever the direction. When a
//! required unit's start fails, ordered dependents fail with "dependency";
//! stopping a unit stops the units that require it, bind to it or are part
//! of it.

use std::time::{Duration, Instant};

use crate::activation::Activation;
use crate::unit::{UnitName, UnitSection};

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobType {
    Start,
    Stop,
    /// Stop if active, then start.
    Restart,
    Reload,
}

impl JobType {
    /// systemd's name of the job type (`Job a.service/start ...`).
    pub fn verb(self) -> &'static str {
        match self {
            JobType::Start => "start",
            JobType::Stop => "stop",
            JobType::Restart => "restart",
            JobType::Reload => "reload",
        }
    }

    /// The word of systemd's done messages (`Timed out starting ...`).
    pub fn doing(self) -> &'static str {
        match self {
            JobType::Start => "starting",
            JobType::Stop => "stopping",
            JobType::Restart => "restarting",
            JobType::Reload => "reloading",
        }
    }
}

/// How a job ended (systemd's job results).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobResult {
    Done,
    Failed,
    /// A unit it required failed to start.
    Dependency,
    /// A Condition*= did not hold: nothing was started, nothing failed.
    Skipped,
    /// An Assert*= did not hold: nothing was started, the job failed.
    Assert,
    /// Superseded by a conflicting job (a stop replacing a start).
    Canceled,
    /// Not done within its unit's JobTimeoutSec= or JobRunningTimeoutSec=:
    /// cancelled, the unit left as it is.
    Timeout,
}

impl JobResult {
    pub fn as_str(self) -> &'static str {
        match self {
            JobResult::Done => "done",
            JobResult::Failed => "failed",
            JobResult::Dependency => "dependency",
            JobResult::Skipped => "skipped",
            JobResult::Assert => "assert",
            JobResult::Canceled => "canceled",
            JobResult::Timeout => "timeout",
        }
    }

    /// Whether a client waiting for the job is told it failed.
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            JobResult::Failed | JobResult::Dependency | JobResult::Assert | JobResult::Timeout
        )
    }
}

/// A job's identity, for callers that wait for it.
pub type JobId = u64;

/// Where a restart job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Waiting,
    Running,
    /// A restart whose stop half is done and whose start runs.
    RestartStarting,
}

/// One queued job.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: JobId,
    pub unit: String,
    pub ty: JobType,
    pub phase: Phase,
    /// Why it was queued: what the run a start (or a restart's start)
    /// begins is activated by.
    pub activation: Option<Activation>,
    /// When it is cancelled with [`JobResult::Timeout`], if ever.
    pub deadline: Option<Instant>,
}

impl Job {
    /// Starts (and restarts) are ordered forwards, stops backwards.
    pub fn is_stop_like(&self) -> bool {
        self.ty == JobType::Stop
            || (self.ty == JobType::Restart && self.phase != Phase::RestartStarting)
    }
}

/// Whether `a` is ordered after `b` by either unit's settings.
pub fn ordered_after(
    a_name: &str,
    a: Option<&UnitSection>,
    b_name: &str,
    b: Option<&UnitSection>,
) -> bool {
    a.is_some_and(|u| u.dependencies.after.iter().any(|n| n.as_str() == b_name))
        || b.is_some_and(|u| u.dependencies.before.iter().any(|n| n.as_str() == a_name))
}

/// Whether `job` must wait for `other` (both queued, different units).
pub fn blocked_by(
    job: &Job,
    job_unit: Option<&UnitSection>,
    other: &Job,
    other_unit: Option<&UnitSection>,
) -> bool {
    if job.unit == other.unit {
        return false;
    }
    let job_after = ordered_after(&job.unit, job_unit, &other.unit, other_unit);
    let other_after = ordered_after(&other.unit, other_unit, &job.unit, job_unit);
    match (job.is_stop_like(), other.is_stop_like()) {
        (false, false) => job_after,
        (true, true) => other_after,
        // A stop goes before a start of an ordered unit, either way round.
        (false, true) => job_after || other_after,
        (true, false) => false,
    }
}

/// The units a start of `unit` pulls in for starting.
pub fn pulled_by_start(unit: &UnitSection) -> impl Iterator<Item = &UnitName> {
    unit.dependencies
        .requires
        .iter()
        .chain(&unit.dependencies.binds_to)
        .chain(&unit.dependencies.wants)
}

/// Whether `dependent` needs `dependency` to be up (its start fails when the
/// dependency's start fails and it is ordered after it).
pub fn requires(dependent: &UnitSection, dependency: &str) -> bool {
    dependent
        .dependencies
        .requires
        .iter()
        .chain(&dependent.dependencies.binds_to)
        .chain(&dependent.dependencies.requisite)
        .any(|n| n.as_str() == dependency)
}

/// Whether stopping `stopped` stops `dependent`.
pub fn stop_propagates(dependent: &UnitSection, stopped: &str) -> bool {
    dependent
        .dependencies
        .requires
        .iter()
        .chain(&dependent.dependencies.binds_to)
        .chain(&dependent.dependencies.part_of)
        .any(|n| n.as_str() == stopped)
}

/// Whether `dependent` is bound to `unit` (stops whenever `unit` goes
/// inactive, even on its own).
pub fn bound_to(dependent: &UnitSection, unit: &str) -> bool {
    dependent
        .dependencies
        .binds_to
        .iter()
        .any(|n| n.as_str() == unit)
}

/// A job's deadline once it is queued at `queued` (`JobTimeoutSec=`).
pub fn queued_deadline(unit: Option<&UnitSection>, queued: Instant) -> Option<Instant> {
    finite(unit?.jobs().job_timeout).and_then(|d| queued.checked_add(d))
}

/// A job's deadline once it begins to run at `now`: the earlier of the one
/// it had and `JobRunningTimeoutSec=` from now.
pub fn running_deadline(
    unit: Option<&UnitSection>,
    had: Option<Instant>,
    now: Instant,
) -> Option<Instant> {
    let running = unit
        .and_then(|u| finite(u.jobs().job_running_timeout))
        .and_then(|d| now.checked_add(d));
    match (had, running) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn finite(t: sundial_calendar::Timespan) -> Option<Duration> {
    (t != sundial_calendar::Timespan::INFINITY && !t.is_zero())
        .then(|| Duration::from_micros(t.as_usec()))
}

/// The units a reload of `name` (whose section is `unit`) propagates to:
/// its `PropagatesReloadTo=` and the units of `others` naming it in
/// `ReloadPropagatedFrom=`, each once, in that order.
pub fn reload_targets<'a>(
    name: &str,
    unit: Option<&UnitSection>,
    others: impl Iterator<Item = (&'a str, &'a UnitSection)>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |n: &str| {
        if n != name && !out.iter().any(|o| o == n) {
            out.push(n.to_owned());
        }
    };
    for n in unit
        .into_iter()
        .flat_map(|u| u.jobs().propagates_reload_to.iter())
    {
        add(n.as_str());
    }
    for (other, section) in others {
        if section
            .jobs()
            .reload_propagated_from
            .iter()
            .any(|n| n.as_str() == name)
        {
            add(other);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::dependencies::Dependencies;
    use crate::unit::sparse::Sparse;

    fn name(s: &str) -> UnitName {
        UnitName::parse(s).expect("valid name")
    }

    fn job(unit: &str, ty: JobType) -> Job {
        Job {
            id: 0,
            unit: unit.into(),
            ty,
            phase: Phase::Waiting,
            activation: None,
            deadline: None,
        }
    }

    #[test]
    fn ordering_between_jobs() {
        let web = UnitSection {
            dependencies: Sparse::from(Dependencies {
                after: vec![name("redis.service")].into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let redis = UnitSection::default();
        let start_web = job("web.service", JobType::Start);
        let start_redis = job("redis.service", JobType::Start);
        assert!(blocked_by(
            &start_web,
            Some(&web),
            &start_redis,
            Some(&redis)
        ));
        assert!(!blocked_by(
            &start_redis,
            Some(&redis),
            &start_web,
            Some(&web)
        ));
        // Stopping goes the other way round.
        let stop_web = job("web.service", JobType::Stop);
        let stop_redis = job("redis.service", JobType::Stop);
        assert!(blocked_by(&stop_redis, Some(&redis), &stop_web, Some(&web)));
        assert!(!blocked_by(
            &stop_web,
            Some(&web),
            &stop_redis,
            Some(&redis)
        ));
        // A start waits for the stop of an ordered unit in either direction.
        assert!(blocked_by(
            &start_redis,
            Some(&redis),
            &stop_web,
            Some(&web)
        ));
        // Before= on the other side orders the same way.
        let a = UnitSection {
            dependencies: Sparse::from(Dependencies {
                before: vec![name("b.service")].into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(blocked_by(
            &job("b.service", JobType::Start),
            None,
            &job("a.service", JobType::Start),
            Some(&a)
        ));
    }

    #[test]
    fn requirement_and_stop_propagation() {
        let web = UnitSection {
            dependencies: Sparse::from(Dependencies {
                requires: vec![name("redis.service")].into(),
                part_of: vec![name("app.service")].into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(requires(&web, "redis.service"));
        assert!(!requires(&web, "app.service"));
        assert!(stop_propagates(&web, "redis.service"));
        assert!(stop_propagates(&web, "app.service"));
        let pulled: Vec<&str> = pulled_by_start(&web).map(UnitName::as_str).collect();
        assert_eq!(pulled, vec!["redis.service"]);
    }

    #[test]
    fn a_reload_propagates_to_both_directions_once() {
        let mut a = UnitSection::default();
        a.jobs_mut()
            .propagates_reload_to
            .push(UnitName::parse("b.service").expect("name"));
        a.jobs_mut()
            .propagates_reload_to
            .push(UnitName::parse("a.service").expect("name"));
        let mut b = UnitSection::default();
        b.jobs_mut()
            .reload_propagated_from
            .push(UnitName::parse("a.service").expect("name"));
        let mut c = UnitSection::default();
        c.jobs_mut()
            .reload_propagated_from
            .push(UnitName::parse("a.service").expect("name"));
        let d = UnitSection::default();
        let others = [("b.service", &b), ("c.service", &c), ("d.service", &d)];
        assert_eq!(
            reload_targets("a.service", Some(&a), others.iter().copied()),
            ["b.service", "c.service"]
        );
        assert!(reload_targets("b.service", Some(&b), others.iter().copied()).is_empty());
    }

    #[test]
    fn a_running_job_s_deadline_is_the_earlier_of_the_two() {
        use sundial_calendar::Timespan;
        let t0 = Instant::now();
        let secs = Duration::from_secs;
        let mut u = UnitSection::default();
        assert_eq!(queued_deadline(Some(&u), t0), None);
        assert_eq!(running_deadline(Some(&u), None, t0), None);
        u.jobs_mut().job_timeout = Timespan::parse("10s").expect("span");
        u.jobs_mut().job_running_timeout = Timespan::parse("3s").expect("span");
        let queued = queued_deadline(Some(&u), t0);
        assert_eq!(queued, Some(t0 + secs(10)));
        assert_eq!(
            running_deadline(Some(&u), queued, t0 + secs(2)),
            Some(t0 + secs(5))
        );
        assert_eq!(
            running_deadline(Some(&u), queued, t0 + secs(9)),
            Some(t0 + secs(10))
        );
    }
}
