//! The job engine: the jobs queued on services (start, stop, restart,
//! reload), the order they run in (After=/Before=), what a job pulls in or
//! propagates to (Requires=, Wants=, BindsTo=, Conflicts=, PartOf=), and
//! when a job is done (systemd's job.c and the job parts of unit.c:
//! Condition*=/Assert*= before a start, OnFailure=/OnSuccess= hooks).
//!
//! The job types and the dependency rules are in [`deps`], the queue in
//! [`queue`]; this file is the part of [`Supervisor`] that runs them: a
//! request queues a job, [`Supervisor::dispatch`] runs the jobs that are no
//! longer held up, and each job ends once its service's machine says so.

pub(super) mod deps;
pub(super) mod queue;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use super::conditions::{self, Check};
use super::lease_gate::{self, Gate, LeaseAnswer};
use super::machine::StartOutcome;
use super::state::{ActiveState, ServiceResult, ServiceState};
use super::{journal, JobError, Supervisor};
use crate::activation::{Activation, Monitor};
use crate::unit::{ServiceUnit, UnitName};
use deps::{Job, JobId, JobResult, JobType, Phase};

impl Supervisor {
    // ---- requests ------------------------------------------------------

    /// A client's start, of a user not known.
    pub fn start(&mut self, name: &str) -> Result<JobId, JobError> {
        self.start_with(name, Activation::MANUAL)
    }

    /// A start for `activation` (a timer, a client, a target's dependency):
    /// the run it begins carries it.
    pub fn start_with(&mut self, name: &str, activation: Activation) -> Result<JobId, JobError> {
        self.ensure_loaded(name)?;
        let id = self.enqueue_start(name, activation, &mut BTreeSet::new())?;
        self.dispatch();
        Ok(id)
    }

    pub fn stop(&mut self, name: &str) -> Result<JobId, JobError> {
        self.ensure_loaded(name)?;
        let id = self.enqueue(name, JobType::Stop, None);
        self.propagate_stop(name);
        self.dispatch();
        Ok(id)
    }

    /// A client's restart, of a user not known.
    pub fn restart(&mut self, name: &str) -> Result<JobId, JobError> {
        self.restart_with(name, Activation::MANUAL)
    }

    /// A restart whose new run carries `activation`.
    pub fn restart_with(&mut self, name: &str, activation: Activation) -> Result<JobId, JobError> {
        self.ensure_loaded(name)?;
        let id = self.enqueue(name, JobType::Restart, Some(activation));
        self.dispatch();
        Ok(id)
    }

    pub fn reload(&mut self, name: &str) -> Result<JobId, JobError> {
        self.ensure_loaded(name)?;
        let id = self.enqueue(name, JobType::Reload, None);
        self.propagate_reload(name, &mut BTreeSet::from([name.to_owned()]));
        self.dispatch();
        Ok(id)
    }

    /// A reload of `name` reloads the units it propagates to
    /// (PropagatesReloadTo=, ReloadPropagatedFrom=) that are active, and
    /// on from them, as systemd queues a try-reload for each; an inactive
    /// one is left alone.
    fn propagate_reload(&mut self, name: &str, seen: &mut BTreeSet<String>) {
        let section = self.services.get(name).map(|s| &s.machine.unit().unit);
        let others = self
            .services
            .iter()
            .map(|(n, s)| (n.as_str(), &s.machine.unit().unit))
            .filter(|(_, u)| !u.jobs().reload_propagated_from.is_empty());
        let targets = deps::reload_targets(name, section, others);
        for t in targets {
            if !seen.insert(t.clone()) {
                continue;
            }
            let active = self.services.get(&t).is_some_and(|s| {
                matches!(
                    s.machine.state().active_state(),
                    ActiveState::Active | ActiveState::Reloading
                )
            });
            if active {
                self.enqueue(&t, JobType::Reload, None);
                self.propagate_reload(&t, seen);
            }
        }
    }

    /// `systemctl reset-failed`: forget the failure and the start limit.
    pub fn reset_failed(&mut self, name: &str) {
        if let Some(s) = self.services.get_mut(name) {
            s.machine.reset_failed();
            self.touch(name);
            // failed -> dead is a state change like any other: the owner
            // hears of it now, not at the next job.
            self.flush_reports();
        }
    }

    pub(super) fn ensure_loaded(&mut self, name: &str) -> Result<(), JobError> {
        if self.services.contains_key(name) {
            return Ok(());
        }
        let parsed = UnitName::parse(name).map_err(|_| JobError::NoSuchUnit(name.to_owned()))?;
        let unit = self
            .resolver
            .as_mut()
            .and_then(|r| r(&parsed))
            .ok_or_else(|| JobError::NoSuchUnit(name.to_owned()))?;
        self.add_unit(unit);
        Ok(())
    }

    // ---- cluster singletons -------------------------------------------

    /// Whether this daemon is in a cluster: only then does a singleton
    /// start under its lease.
    pub fn set_cluster(&mut self, enabled: bool) {
        self.lease_gate.enabled = enabled;
    }

    /// This node holds the lease of the singleton `name`: its starts run.
    pub fn lease_held(&mut self, name: &str) {
        self.lease_gate.open(name);
    }

    /// This node gave the lease of `name` up: its next start asks again.
    pub fn lease_given_up(&mut self, name: &str) {
        self.lease_gate.close(name);
    }

    /// The singletons whose waiting starts need the cluster's answer, since
    /// the last call.
    pub fn take_lease_requests(&mut self) -> Vec<String> {
        self.lease_gate.take_requests()
    }

    /// The cluster's answer for the singleton `name`: with the lease its
    /// waiting starts run, their runs carrying `lease` (what a run under
    /// this node's lease is started by); else they end as
    /// `lease_gate::refused_result` says. True if a job waits for the
    /// lease (false: nothing took it, and the owner gives it back).
    pub fn lease_answer(&mut self, name: &str, answer: LeaseAnswer, lease: Activation) -> bool {
        let inactive = self
            .services
            .get(name)
            .is_some_and(|s| s.machine.state().is_inactive());
        let waiting: Vec<Job> = self
            .jobs
            .of_unit(name)
            .filter(|j| {
                (j.ty == JobType::Start && j.phase == Phase::Waiting)
                    || (j.ty == JobType::Restart && j.phase == Phase::Running && inactive)
            })
            .cloned()
            .collect();
        if answer == LeaseAnswer::Mine {
            for job in &waiting {
                self.jobs.set_activation(job.id, lease.clone());
            }
            self.lease_gate.open(name);
            self.job_dirty.insert(name.to_owned());
            self.dispatch();
            return !waiting.is_empty();
        }
        self.lease_gate.refused(name);
        for job in waiting {
            let (result, text) = lease_gate::refused_result(name, job.activation.as_ref(), &answer);
            self.log_manager(name, text);
            if result == JobResult::Skipped {
                self.skipped.push((name.to_owned(), job.activation.clone()));
            }
            self.finish_job(job.id, result);
        }
        self.dispatch();
        false
    }

    fn lease_gate_check(&mut self, name: &str) -> Gate {
        let singleton = self.services.get(name).is_some_and(|s| {
            s.machine.unit().service.rare().cluster
                == crate::unit::extensions::ClusterMode::Singleton
        });
        self.lease_gate.check(name, singleton)
    }

    // ---- jobs ----------------------------------------------------------

    /// Queues a job; a job of the same type already queued stays, with
    /// its activation.
    pub(super) fn enqueue(
        &mut self,
        name: &str,
        ty: JobType,
        activation: Option<Activation>,
    ) -> JobId {
        if let Some(j) = self.jobs.of_unit(name).find(|j| j.ty == ty) {
            return j.id;
        }
        // A new stop replaces a waiting start of the same unit and the other
        // way round (systemd's job mode "replace").
        let canceled: Vec<JobId> = self
            .jobs
            .of_unit(name)
            .filter(|j| j.phase == Phase::Waiting && j.ty != ty)
            .map(|j| j.id)
            .collect();
        for id in canceled {
            if let Some(j) = self.jobs.remove(id) {
                self.finished_jobs
                    .push((j.id, j.unit, j.ty, JobResult::Canceled));
            }
        }
        let id = self.next_job;
        self.next_job += 1;
        self.job_dirty.insert(name.to_owned());
        let section = self.services.get(name).map(|s| &s.machine.unit().unit);
        let deadline = deps::queued_deadline(section, Instant::now());
        self.jobs.push(Job {
            id,
            unit: name.to_owned(),
            ty,
            phase: Phase::Waiting,
            activation,
            deadline,
        });
        id
    }

    /// The soonest job deadline (JobTimeoutSec=, JobRunningTimeoutSec=).
    pub(super) fn next_job_deadline(&self) -> Option<Instant> {
        self.jobs.next_deadline()
    }

    /// Cancels the jobs whose deadline passed, with result `timeout`; their
    /// units go on as they were (systemd's job_dispatch_timer).
    pub(super) fn fire_job_deadlines(&mut self, now: Instant) {
        for id in self.jobs.due(now) {
            let Some((unit, ty)) = self.jobs.get(id).map(|j| (j.unit.clone(), j.ty)) else {
                continue;
            };
            let label = self
                .services
                .get(&unit)
                .map(|s| journal::label(&unit, s.machine.unit().unit.description.as_deref()));
            let label = label.unwrap_or_else(|| unit.clone());
            self.log_line(
                &unit,
                journal::Line::Sentence(format!("Job {unit}/{} timed out.", ty.verb())),
            );
            let done = format!("Timed out {} {label}.", ty.doing());
            self.log_line(&unit, journal::Line::Sentence(done));
            self.finish_job(id, JobResult::Timeout);
        }
    }

    fn enqueue_start(
        &mut self,
        name: &str,
        activation: Activation,
        seen: &mut BTreeSet<String>,
    ) -> Result<JobId, JobError> {
        seen.insert(name.to_owned());
        let section = self
            .services
            .get(name)
            .map(|s| s.machine.unit().unit.clone());
        let id = self.enqueue(name, JobType::Start, Some(activation));
        let Some(section) = section else {
            return Ok(id);
        };
        for dep in deps::pulled_by_start(&section) {
            let dep = dep.as_str();
            if seen.contains(dep) || !dep.ends_with(".service") {
                continue;
            }
            let required = section
                .dependencies
                .requires
                .iter()
                .chain(&section.dependencies.binds_to)
                .any(|n| n.as_str() == dep);
            match self.ensure_loaded(dep) {
                Ok(()) => {
                    self.enqueue_start(dep, Activation::dependency(name), seen)?;
                }
                Err(e) if required => {
                    self.finish_job(id, JobResult::Dependency);
                    return Err(e);
                }
                Err(_) => {}
            }
        }
        for dep in &section.dependencies.requisite {
            let active = self.services.get(dep.as_str()).is_some_and(|s| {
                matches!(
                    s.machine.state().active_state(),
                    ActiveState::Active | ActiveState::Reloading
                )
            });
            if !active && dep.as_str().ends_with(".service") {
                self.finish_job(id, JobResult::Dependency);
                return Ok(id);
            }
        }
        let mut conflicting: BTreeSet<String> = section
            .dependencies
            .conflicts
            .iter()
            .map(|c| c.as_str())
            .filter(|c| self.services.contains_key(*c))
            .map(str::to_owned)
            .collect();
        if let Some(by) = self.conflicted_by.get(name) {
            conflicting.extend(
                by.iter()
                    .filter(|n| self.services.contains_key(n.as_str()))
                    .cloned(),
            );
        }
        for other in conflicting {
            self.enqueue(&other, JobType::Stop, None);
        }
        Ok(id)
    }

    /// Stopping `name` stops the units that require it, bind to it or are
    /// part of it.
    fn propagate_stop(&mut self, name: &str) {
        let dependents: Vec<String> = self
            .busy_services()
            .filter(|(n, s)| {
                n.as_str() != name
                    && !s.machine.state().is_inactive()
                    && deps::stop_propagates(&s.machine.unit().unit, name)
            })
            .map(|(n, _)| n.clone())
            .collect();
        for d in dependents {
            if !self.jobs.of_unit(&d).any(|j| j.ty == JobType::Stop) {
                self.enqueue(&d, JobType::Stop, None);
                self.propagate_stop(&d);
            }
        }
    }

    fn finish_job(&mut self, id: JobId, result: JobResult) {
        if let Some(job) = self.jobs.remove(id) {
            self.finished_jobs
                .push((job.id, job.unit.clone(), job.ty, result));
            if job.ty == JobType::Start
                && matches!(
                    result,
                    JobResult::Failed | JobResult::Dependency | JobResult::Assert
                )
            {
                self.fail_dependents(&job.unit);
            }
        }
    }

    /// A required unit failed to start: waiting starts ordered after it fail.
    fn fail_dependents(&mut self, failed: &str) {
        let doomed: Vec<JobId> = self
            .jobs
            .waiting()
            .filter_map(|id| self.jobs.get(id))
            .filter(|j| j.ty == JobType::Start)
            .filter(|j| {
                self.services.get(&j.unit).is_some_and(|s| {
                    let u = &s.machine.unit().unit;
                    deps::requires(u, failed)
                        && u.dependencies.after.iter().any(|n| n.as_str() == failed)
                })
            })
            .map(|j| j.id)
            .collect();
        for id in doomed {
            self.finish_job(id, JobResult::Dependency);
        }
    }

    /// Whether another queued job must go first. A pair of jobs is ordered
    /// only by the settings of one of their units, so a job whose unit has
    /// none needs to look only at the jobs of `ordered_units`, not at every
    /// queued job: with a backlog of jobs, looking up both units of every
    /// pair made each pass quadratic.
    fn blocked(&self, job: &Job) -> bool {
        if self.ordered_units.is_empty() {
            return false;
        }
        let section = |n: &str| self.services.get(n).map(|s| &s.machine.unit().unit);
        let job_section = section(&job.unit);
        let blocks = |other: &Job| {
            other.id != job.id && deps::blocked_by(job, job_section, other, section(&other.unit))
        };
        if self.ordered_units.contains(&job.unit) {
            self.jobs.iter().any(blocks)
        } else {
            self.jobs
                .iter()
                .filter(|j| self.ordered_units.contains(&j.unit))
                .any(blocks)
        }
    }

    /// Runs every job that may run, and completes the ones that are done.
    pub(super) fn dispatch(&mut self) {
        loop {
            let mut progress = false;
            // Waiting jobs are few and each is tried again; a running job can
            // only finish when its unit's machine ran (`job_dirty`), so a
            // backlog of running jobs costs nothing per event.
            let dirty = std::mem::take(&mut self.job_dirty);
            let mut ids: BTreeSet<JobId> = self.jobs.waiting().collect();
            for unit in &dirty {
                ids.extend(self.jobs.of_unit(unit).map(|j| j.id));
            }
            for id in ids {
                let Some(job) = self.jobs.get(id).cloned() else {
                    continue;
                };
                if job.phase == Phase::Waiting && !self.blocked(&job) {
                    progress |= self.run_job(&job);
                } else if job.phase != Phase::Waiting {
                    progress |= self.check_job(&job);
                }
            }
            self.flush_reports();
            if !progress {
                break;
            }
        }
        self.release_fd_stores();
    }

    /// Moves a job on; a job that begins to run gets its
    /// JobRunningTimeoutSec= deadline.
    fn set_phase(&mut self, id: JobId, phase: Phase) {
        let Some(job) = self.jobs.get(id) else {
            return;
        };
        if job.phase == Phase::Waiting && phase != Phase::Waiting {
            let section = self.services.get(&job.unit).map(|s| &s.machine.unit().unit);
            let deadline = deps::running_deadline(section, job.deadline, Instant::now());
            if deadline != job.deadline {
                self.jobs.set_deadline(id, deadline);
            }
        }
        self.jobs.set_phase(id, phase);
    }

    /// Starts a job's action; true if anything changed.
    fn run_job(&mut self, job: &Job) -> bool {
        let now = Instant::now();
        match job.ty {
            JobType::Start => {
                // A timer's or a dependency's start of a unit whose action
                // would reboot: refused as a client's is (the handler says
                // so to the client first).
                let refused = self.services.get(&job.unit).and_then(|s| {
                    crate::unit::EmergencyAction::refusal(
                        &s.machine.unit().unit,
                        std::process::id(),
                    )
                });
                if let Some(why) = refused {
                    self.log_line(
                        &job.unit,
                        journal::Line::Sentence(format!("Refusing to start: {why}.")),
                    );
                    self.finish_job(job.id, JobResult::Failed);
                    return true;
                }
                if let Some(skip) = self.check_fails(&job.unit, Check::Condition) {
                    self.log_manager(&job.unit, skip);
                    self.skipped
                        .push((job.unit.clone(), job.activation.clone()));
                    self.finish_job(job.id, JobResult::Skipped);
                    return true;
                }
                // systemd: asserts after conditions; the job fails, the
                // unit stays as it was (no failed state, no OnFailure=).
                if let Some(failed) = self.check_fails(&job.unit, Check::Assert) {
                    self.log_manager(&job.unit, failed);
                    let label = self.services.get(&job.unit).map(|s| {
                        journal::label(&job.unit, s.machine.unit().unit.description.as_deref())
                    });
                    let label = label.unwrap_or_else(|| job.unit.clone());
                    self.log_line(
                        &job.unit,
                        journal::Line::Sentence(format!("Assertion failed for {label}.")),
                    );
                    self.finish_job(job.id, JobResult::Assert);
                    return true;
                }
                // A cluster singleton starts only under its lease, whatever
                // queued the start: the job waits for the cluster's answer.
                if self.lease_gate_check(&job.unit) == Gate::Wait {
                    return false;
                }
                let earlier = self.begin_run(&job.unit, job.activation.clone());
                if self.jobs.get(job.id).is_none() {
                    // The reports passed on first canceled it (a hook's
                    // Conflicts=).
                    self.keep_run(&job.unit, earlier);
                    return true;
                }
                match self.with_machine(&job.unit, |m, rt| m.start(now, rt)) {
                    Some(StartOutcome::Started) => {
                        self.set_phase(job.id, Phase::Running);
                        true
                    }
                    Some(StartOutcome::AlreadyActive) => {
                        self.keep_run(&job.unit, earlier);
                        self.finish_job(job.id, JobResult::Done);
                        true
                    }
                    // Failed without running: the failure is this start's.
                    Some(StartOutcome::StartLimitHit) => {
                        self.finish_job(job.id, JobResult::Failed);
                        true
                    }
                    Some(StartOutcome::Busy) => {
                        self.keep_run(&job.unit, earlier);
                        false
                    }
                    None => {
                        self.finish_job(job.id, JobResult::Failed);
                        true
                    }
                }
            }
            // A restart stops first; the start follows when the stop is done.
            JobType::Stop | JobType::Restart => {
                // Daemons that left the session were re-parented here without
                // a word; take them now so that the stop reaches them.
                self.refresh_ownership(Duration::ZERO);
                self.adopt_orphans(&[]);
                let since = self.stray_window(&job.unit);
                let restart = job.ty == JobType::Restart;
                self.with_machine(&job.unit, |m, rt| {
                    if restart {
                        m.stop_for_restart(now, rt);
                    } else {
                        m.stop(now, rt);
                    }
                });
                self.end_suspects(since);
                self.set_phase(job.id, Phase::Running);
                true
            }
            JobType::Reload => {
                match self.with_machine(&job.unit, |m, rt| m.reload(now, rt)) {
                    Some(Ok(())) => self.set_phase(job.id, Phase::Running),
                    _ => self.finish_job(job.id, JobResult::Failed),
                }
                true
            }
        }
    }

    /// Completes a running job whose unit reached its goal.
    fn check_job(&mut self, job: &Job) -> bool {
        let Some(s) = self.services.get(&job.unit) else {
            self.finish_job(job.id, JobResult::Failed);
            return true;
        };
        let state = s.machine.state().clone();
        let result = s.machine.result();
        let inactive = state.is_inactive();
        match (job.ty, job.phase) {
            (JobType::Start, _) | (JobType::Restart, Phase::RestartStarting) => {
                let outcome = match state {
                    ServiceState::Running { .. } | ServiceState::Exited => Some(JobResult::Done),
                    ServiceState::Dead
                    | ServiceState::Failed
                    | ServiceState::AutoRestart { .. } => Some(if result.is_failure() {
                        JobResult::Failed
                    } else {
                        JobResult::Done
                    }),
                    _ => None,
                };
                match outcome {
                    Some(r) => {
                        self.finish_job(job.id, r);
                        true
                    }
                    None => false,
                }
            }
            (JobType::Stop, _) if inactive => {
                self.finish_job(job.id, JobResult::Done);
                true
            }
            (JobType::Restart, Phase::Running) if inactive => {
                if self.lease_gate_check(&job.unit) == Gate::Wait {
                    return false;
                }
                let now = Instant::now();
                let earlier = self.begin_run(&job.unit, job.activation.clone());
                if self.jobs.get(job.id).is_none() {
                    self.keep_run(&job.unit, earlier);
                    return true;
                }
                match self.with_machine(&job.unit, |m, rt| m.start(now, rt)) {
                    Some(StartOutcome::Started) => {
                        self.set_phase(job.id, Phase::RestartStarting);
                    }
                    Some(StartOutcome::Busy) => {
                        self.keep_run(&job.unit, earlier);
                        return false;
                    }
                    Some(StartOutcome::AlreadyActive) => {
                        self.keep_run(&job.unit, earlier);
                        self.finish_job(job.id, JobResult::Done)
                    }
                    _ => self.finish_job(job.id, JobResult::Failed),
                }
                true
            }
            (JobType::Reload, _) if !matches!(state, ServiceState::Reload { .. }) => {
                let ok = self
                    .services
                    .get(&job.unit)
                    .is_some_and(|s| s.machine.reload_result() == ServiceResult::Success);
                self.finish_job(
                    job.id,
                    if ok {
                        JobResult::Done
                    } else {
                        JobResult::Failed
                    },
                );
                true
            }
            _ => false,
        }
    }

    /// The jobs a run's end (not followed by a restart) queues: its
    /// OnFailure= or OnSuccess= units' starts, and the stops of the units
    /// bound to it (BindsTo=).
    pub(super) fn jobs_after_run(
        &mut self,
        name: &str,
        result: ServiceResult,
        unit: &ServiceUnit,
        monitor: Monitor,
    ) {
        let (hooks, activation) = if result.is_failure() {
            (
                &unit.unit.dependencies.on_failure,
                Activation::OnFailure(monitor),
            )
        } else {
            (
                &unit.unit.dependencies.on_success,
                Activation::OnSuccess(monitor),
            )
        };
        for hook in hooks {
            if let Err(e) = self.start_hook(hook.as_str(), activation.clone()) {
                self.log_manager(name, format!("Failed to enqueue {}: {e}", hook.as_str()));
            }
        }
        // BindsTo=: bound units follow this one down.
        let mut bound: Vec<String> = self
            .binding_units
            .iter()
            .filter_map(|n| self.services.get_key_value(n))
            .filter(|(n, s)| {
                n.as_str() != name
                    && !s.machine.state().is_inactive()
                    && deps::bound_to(&s.machine.unit().unit, name)
            })
            .map(|(n, _)| n.clone())
            .collect();
        // In name order, as when every busy service was looked at.
        bound.sort();
        for b in bound {
            self.enqueue(&b, JobType::Stop, None);
        }
    }

    fn start_hook(&mut self, name: &str, activation: Activation) -> Result<JobId, JobError> {
        self.ensure_loaded(name)?;
        self.enqueue_start(name, activation, &mut BTreeSet::new())
    }

    /// Gives a service the activation of the run a job is about to start;
    /// the one it had comes back, for [`Supervisor::keep_run`] should no run
    /// start. The reports of the run before go out first, with its own.
    fn begin_run(&mut self, name: &str, activation: Option<Activation>) -> Option<Activation> {
        if self.touched.contains(name) {
            self.flush_reports();
        }
        let s = self.services.get_mut(name)?;
        match activation {
            Some(a) => s.activation.replace(a),
            None => s.activation.clone(),
        }
    }

    /// The job started no run (the service was active or busy): the
    /// current run keeps its activation.
    fn keep_run(&mut self, name: &str, earlier: Option<Activation>) {
        if let Some(s) = self.services.get_mut(name) {
            s.activation = earlier;
        }
    }

    /// Evaluates the Condition*= or the Assert*= of `name`; the message of
    /// the first that does not hold.
    fn check_fails(&self, name: &str, check: Check) -> Option<String> {
        let s = self.services.get(name)?;
        let unit = &s.machine.unit().unit;
        let list = match check {
            Check::Condition => &unit.options.conditions,
            Check::Assert => &unit.options.asserts,
        };
        conditions::first_failure(list, &self.config.manager_environment, check)
    }
}
