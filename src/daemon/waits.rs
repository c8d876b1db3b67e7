//! Clients waiting for their jobs: `sundial start foo.service` answers when
//! the start job is done, as `systemctl start` does, with systemd's wording
//! when it failed; `sundial run --wait` hears when its service has started
//! and again when it is done ([`RunWaits`]).

use std::collections::BTreeSet;

use tokio::sync::{mpsc, oneshot};

use crate::ipc::{ErrorCode, Reply, Response};
use crate::supervisor::ServiceResult;
use crate::supervisor::{JobId, JobResult};

/// One client's request, waiting for its jobs.
#[derive(Debug)]
struct Wait {
    jobs: BTreeSet<JobId>,
    failed: Vec<(String, JobResult)>,
    success: Response,
    reply: oneshot::Sender<Reply>,
}

/// Every waiting request.
#[derive(Debug, Default)]
pub struct JobWaits {
    waits: Vec<Wait>,
}

/// Why a job failed, in systemctl's words (`Job for X failed because ...`).
/// The client adds where to look next.
pub fn failure_message(unit: &str, job: JobResult, result: Option<ServiceResult>) -> String {
    if job == JobResult::Dependency {
        return format!("A dependency job for {unit} failed.");
    }
    if job == JobResult::Timeout {
        return format!("Job for {unit} timed out.");
    }
    if job == JobResult::Assert {
        return format!("Assertion failed on job for {unit}.");
    }
    let because = match result {
        Some(ServiceResult::ExitCode) => "the control process exited with error code",
        Some(ServiceResult::Timeout) => "a timeout was exceeded",
        Some(ServiceResult::Signal) => "a fatal signal was delivered to the control process",
        Some(ServiceResult::CoreDump) => {
            "a fatal signal was delivered causing the control process to dump core"
        }
        Some(ServiceResult::StartLimitHit) => "the start of the service was attempted too often",
        Some(ServiceResult::Resources) => "of unavailable resources or another system error",
        Some(ServiceResult::Protocol) => {
            "the service did not take the steps required by its unit configuration"
        }
        Some(ServiceResult::Watchdog) => "the watchdog timed out",
        Some(ServiceResult::OomKill) => "the OOM killer ended one of its processes",
        _ => "the job failed",
    };
    format!("Job for {unit} failed because {because}.")
}

impl JobWaits {
    /// Waits for `jobs` before answering on `reply` with `success`, or with
    /// an error if one failed. Jobs already finished must not be listed.
    pub fn add(&mut self, jobs: BTreeSet<JobId>, success: Response, reply: oneshot::Sender<Reply>) {
        if jobs.is_empty() {
            let _ = reply.send(Reply::One(success));
            return;
        }
        self.waits.push(Wait {
            jobs,
            failed: Vec::new(),
            success,
            reply,
        });
    }

    /// A job ended; answers the requests that waited for it last.
    /// `result_of` gives a service's Result= for the message.
    pub fn finished(
        &mut self,
        id: JobId,
        unit: &str,
        result: JobResult,
        result_of: &dyn Fn(&str) -> Option<ServiceResult>,
    ) {
        let mut i = 0;
        while i < self.waits.len() {
            let w = &mut self.waits[i];
            if w.jobs.remove(&id) {
                if result.is_failure() {
                    w.failed.push((unit.to_owned(), result));
                }
                if w.jobs.is_empty() {
                    let w = self.waits.swap_remove(i);
                    let response = match w.failed.first() {
                        None => w.success,
                        Some((unit, job)) => Response::error(
                            ErrorCode::Failed,
                            failure_message(unit, *job, result_of(unit)),
                        ),
                    };
                    let _ = w.reply.send(Reply::One(response));
                    continue;
                }
            }
            i += 1;
        }
    }

    /// Whether any request waits.
    pub fn is_empty(&self) -> bool {
        self.waits.is_empty()
    }
}

/// One `run --wait` client.
#[derive(Debug)]
struct RunWait {
    unit: String,
    /// The start job while it runs; afterwards the wait is for the unit to
    /// come to rest.
    job: Option<JobId>,
    /// What the client is told when the start job is done.
    started: Option<Response>,
    frames: mpsc::Sender<Response>,
}

/// The clients of `run --wait`: each gets a stream of two frames, the
/// started reply once the start job is done (or the job's failure, which
/// ends the stream), then how the service ended.
#[derive(Debug, Default)]
pub struct RunWaits {
    waits: Vec<RunWait>,
}

impl RunWaits {
    /// Waits for `job` (the start job of `unit`), then for `unit` to be
    /// done; `started` is the first frame.
    pub fn add(
        &mut self,
        unit: &str,
        job: JobId,
        started: Response,
        frames: mpsc::Sender<Response>,
    ) {
        self.waits.push(RunWait {
            unit: unit.to_owned(),
            job: Some(job),
            started: Some(started),
            frames,
        });
    }

    /// A job ended: the client of a start job hears that its service
    /// started, or why it did not (and nothing more).
    pub fn job_finished(
        &mut self,
        id: JobId,
        result: JobResult,
        result_of: &dyn Fn(&str) -> Option<ServiceResult>,
    ) {
        self.waits.retain_mut(|w| {
            if w.job != Some(id) {
                return true;
            }
            w.job = None;
            if result.is_failure() {
                let message = failure_message(&w.unit, result, result_of(&w.unit));
                let _ = w
                    .frames
                    .try_send(Response::error(ErrorCode::Failed, message));
                return false;
            }
            match w.started.take() {
                Some(started) => w.frames.try_send(started).is_ok(),
                None => true,
            }
        });
    }

    /// Takes the waits whose start job is over and whose unit `done` says
    /// is done, with where their last frame goes; forgets those whose client
    /// went away.
    pub fn take_done(
        &mut self,
        done: impl Fn(&str) -> bool,
    ) -> Vec<(String, mpsc::Sender<Response>)> {
        let mut out = Vec::new();
        self.waits.retain(|w| {
            if w.frames.is_closed() {
                return false;
            }
            if w.job.is_some() || !done(&w.unit) {
                return true;
            }
            out.push((w.unit.clone(), w.frames.clone()));
            false
        });
        out
    }

    /// Whether a client waits for `unit`.
    pub fn waits_for(&self, unit: &str) -> bool {
        self.waits.iter().any(|w| w.unit == unit)
    }

    /// Whether any client waits.
    pub fn is_empty(&self) -> bool {
        self.waits.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(rx: &mut oneshot::Receiver<Reply>) -> Option<Response> {
        match rx.try_recv() {
            Ok(Reply::One(r)) => Some(r),
            _ => None,
        }
    }

    #[test]
    fn answers_when_the_last_job_ends() {
        let mut waits = JobWaits::default();
        let (tx, mut rx) = oneshot::channel();
        let done = Response::Done {
            messages: vec!["note".into()],
        };
        waits.add(BTreeSet::from([1, 2]), done, tx);
        let none = |_: &str| None;
        waits.finished(1, "a.service", JobResult::Done, &none);
        assert!(answer(&mut rx).is_none());
        waits.finished(2, "b.service", JobResult::Done, &none);
        assert_eq!(
            answer(&mut rx),
            Some(Response::Done {
                messages: vec!["note".into()]
            })
        );
        assert!(waits.is_empty());
    }

    #[test]
    fn a_timed_out_job_says_so_whatever_the_unit_s_result() {
        let msg = failure_message(
            "a.service",
            JobResult::Timeout,
            Some(ServiceResult::Success),
        );
        assert_eq!(msg, "Job for a.service timed out.");
        assert!(JobResult::Timeout.is_failure());
    }

    #[test]
    fn a_failed_job_answers_with_systemctls_message() {
        let mut waits = JobWaits::default();
        let (tx, mut rx) = oneshot::channel();
        waits.add(BTreeSet::from([7]), Response::Done { messages: vec![] }, tx);
        waits.finished(7, "a.service", JobResult::Failed, &|_| {
            Some(ServiceResult::ExitCode)
        });
        match answer(&mut rx) {
            Some(Response::Error { code, message }) => {
                assert_eq!(code, ErrorCode::Failed);
                // The client adds the "See ..." line.
                assert_eq!(
                    message,
                    "Job for a.service failed because the control process exited with error code."
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn nothing_to_wait_for_answers_at_once() {
        let mut waits = JobWaits::default();
        let (tx, mut rx) = oneshot::channel();
        waits.add(BTreeSet::new(), Response::Done { messages: vec![] }, tx);
        assert!(matches!(answer(&mut rx), Some(Response::Done { .. })));
        assert!(waits.is_empty());
    }

    fn transient(unit: &str) -> Response {
        Response::Transient {
            service: unit.into(),
            timer: None,
            messages: vec![],
        }
    }

    #[test]
    fn a_run_wait_hears_of_the_start_then_of_the_end() {
        let mut waits = RunWaits::default();
        let (tx, mut rx) = mpsc::channel(4);
        waits.add("run-a.service", 3, transient("run-a.service"), tx);
        // Done or not, nothing is said before the start job ends.
        assert!(waits.take_done(|_| true).is_empty());
        waits.job_finished(2, JobResult::Done, &|_| None);
        assert!(rx.try_recv().is_err());
        waits.job_finished(3, JobResult::Done, &|_| None);
        assert_eq!(rx.try_recv().ok(), Some(transient("run-a.service")));
        assert!(waits.take_done(|_| false).is_empty());
        assert!(waits.waits_for("run-a.service"));
        let done = waits.take_done(|u| u == "run-a.service");
        assert_eq!(done.len(), 1);
        assert!(waits.is_empty());
    }

    #[test]
    fn a_failed_start_ends_the_run_wait_with_the_failure() {
        let mut waits = RunWaits::default();
        let (tx, mut rx) = mpsc::channel(4);
        waits.add("run-b.service", 1, transient("run-b.service"), tx);
        waits.job_finished(1, JobResult::Failed, &|_| Some(ServiceResult::ExitCode));
        match rx.try_recv() {
            Ok(Response::Error { message, .. }) => assert!(
                message.starts_with("Job for run-b.service failed because"),
                "{message}"
            ),
            other => panic!("{other:?}"),
        }
        assert!(waits.is_empty());
    }

    #[test]
    fn a_client_that_left_is_forgotten() {
        let mut waits = RunWaits::default();
        let (tx, rx) = mpsc::channel(4);
        waits.add("run-c.service", 1, transient("run-c.service"), tx);
        waits.job_finished(1, JobResult::Done, &|_| None);
        drop(rx);
        assert!(waits.take_done(|_| false).is_empty());
        assert!(waits.is_empty());
    }
}
