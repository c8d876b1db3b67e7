//! The job queue: jobs in the order they were queued, found by id, by unit,
//! and the waiting ones on their own, so that no event has to walk a
//! backlog of thousands of running jobs to find the few that can move,
//! and the job deadlines in time order, so that the next one is found
//! without walking the queue either.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

use super::deps::{Job, JobId, Phase};
use crate::activation::Activation;

/// The queued jobs.
#[derive(Debug, Default)]
pub struct JobQueue {
    /// Ids grow, so this is queue order.
    jobs: BTreeMap<JobId, Job>,
    by_unit: HashMap<String, Vec<JobId>>,
    waiting: BTreeSet<JobId>,
    /// The jobs that have a deadline, soonest first.
    deadlines: BTreeSet<(Instant, JobId)>,
}

impl JobQueue {
    /// Queues `job` (its id must be larger than every id so far).
    pub fn push(&mut self, job: Job) {
        debug_assert!(self
            .jobs
            .last_key_value()
            .is_none_or(|(id, _)| *id < job.id));
        if job.phase == Phase::Waiting {
            self.waiting.insert(job.id);
        }
        if let Some(d) = job.deadline {
            self.deadlines.insert((d, job.id));
        }
        self.by_unit
            .entry(job.unit.clone())
            .or_default()
            .push(job.id);
        self.jobs.insert(job.id, job);
    }

    /// Takes a job off the queue.
    pub fn remove(&mut self, id: JobId) -> Option<Job> {
        let job = self.jobs.remove(&id)?;
        self.waiting.remove(&id);
        if let Some(d) = job.deadline {
            self.deadlines.remove(&(d, id));
        }
        if let Some(ids) = self.by_unit.get_mut(&job.unit) {
            ids.retain(|i| *i != id);
            if ids.is_empty() {
                self.by_unit.remove(&job.unit);
            }
        }
        Some(job)
    }

    /// Moves a job to `phase`.
    pub fn set_phase(&mut self, id: JobId, phase: Phase) {
        if let Some(job) = self.jobs.get_mut(&id) {
            job.phase = phase;
            if phase == Phase::Waiting {
                self.waiting.insert(id);
            } else {
                self.waiting.remove(&id);
            }
        }
    }

    /// Gives a job the activation its run is to carry.
    pub fn set_activation(&mut self, id: JobId, activation: Activation) {
        if let Some(job) = self.jobs.get_mut(&id) {
            job.activation = Some(activation);
        }
    }

    /// Gives a job a new deadline (or none).
    pub fn set_deadline(&mut self, id: JobId, deadline: Option<Instant>) {
        if let Some(job) = self.jobs.get_mut(&id) {
            if let Some(d) = job.deadline {
                self.deadlines.remove(&(d, id));
            }
            job.deadline = deadline;
            if let Some(d) = deadline {
                self.deadlines.insert((d, id));
            }
        }
    }

    /// The soonest job deadline.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.first().map(|(d, _)| *d)
    }

    /// The jobs whose deadline is `now` or before, soonest first.
    pub fn due(&self, now: Instant) -> Vec<JobId> {
        self.deadlines
            .iter()
            .take_while(|(d, _)| *d <= now)
            .map(|(_, id)| *id)
            .collect()
    }

    pub fn get(&self, id: JobId) -> Option<&Job> {
        self.jobs.get(&id)
    }

    /// The jobs of `unit`, in queue order.
    pub fn of_unit<'a>(&'a self, unit: &str) -> impl Iterator<Item = &'a Job> + 'a {
        self.by_unit
            .get(unit)
            .into_iter()
            .flatten()
            .filter_map(|id| self.jobs.get(id))
    }

    /// The ids of the jobs still waiting to run.
    pub fn waiting(&self) -> impl Iterator<Item = JobId> + '_ {
        self.waiting.iter().copied()
    }

    /// Every job, in queue order.
    pub fn iter(&self) -> impl Iterator<Item = &Job> {
        self.jobs.values()
    }

    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::super::deps::JobType;
    use super::*;

    fn job(id: JobId, unit: &str) -> Job {
        Job {
            id,
            unit: unit.to_owned(),
            ty: JobType::Start,
            phase: Phase::Waiting,
            activation: None,
            deadline: None,
        }
    }

    #[test]
    fn finds_jobs_by_unit_and_keeps_the_waiting_set() {
        let mut q = JobQueue::default();
        q.push(job(1, "a.service"));
        q.push(job(2, "b.service"));
        q.push(job(3, "a.service"));
        let ids = |q: &JobQueue, u: &str| q.of_unit(u).map(|j| j.id).collect::<Vec<_>>();
        assert_eq!(ids(&q, "a.service"), [1, 3]);
        assert_eq!(q.waiting().collect::<Vec<_>>(), [1, 2, 3]);

        q.set_phase(2, Phase::Running);
        assert_eq!(q.waiting().collect::<Vec<_>>(), [1, 3]);
        assert_eq!(q.get(2).map(|j| j.phase), Some(Phase::Running));

        assert_eq!(q.remove(1).map(|j| j.id), Some(1));
        assert_eq!(ids(&q, "a.service"), [3]);
        assert_eq!(q.remove(3).map(|j| j.id), Some(3));
        assert!(ids(&q, "a.service").is_empty());
        assert!(!q.by_unit.contains_key("a.service"));
        assert_eq!(q.iter().map(|j| j.id).collect::<Vec<_>>(), [2]);
        assert!(q.remove(3).is_none());
        q.remove(2);
        assert!(q.is_empty());
    }

    #[test]
    fn keeps_deadlines_in_time_order_and_forgets_removed_jobs() {
        let t0 = Instant::now();
        let at = |s: u64| t0 + std::time::Duration::from_secs(s);
        let mut q = JobQueue::default();
        let mut a = job(1, "a.service");
        a.deadline = Some(at(30));
        q.push(a);
        q.push(job(2, "b.service"));
        let mut c = job(3, "c.service");
        c.deadline = Some(at(10));
        q.push(c);
        assert_eq!(q.next_deadline(), Some(at(10)));
        assert_eq!(q.due(at(9)), Vec::<JobId>::new());
        assert_eq!(q.due(at(30)), [3, 1]);

        // A running job's earlier deadline replaces the one it had.
        q.set_deadline(1, Some(at(5)));
        assert_eq!(q.due(at(10)), [1, 3]);
        q.set_deadline(2, Some(at(20)));
        q.remove(1);
        q.remove(3);
        assert_eq!(q.next_deadline(), Some(at(20)));
        q.set_deadline(2, None);
        assert_eq!(q.next_deadline(), None);
        assert!(q.due(at(100)).is_empty());
    }
}
