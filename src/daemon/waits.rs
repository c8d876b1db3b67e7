//! Clients waiting for their jobs: `sundial start foo.service` answers when
//! the start job is done, as `systemctl start` does, with systemd's wording
//! when it failed.

use std::collections::BTreeSet;

use tokio::sync::oneshot;

use crate::ipc::{ErrorCode, Reply, Response};
use crate::supervisor::deps::{JobId, JobResult};
use crate::supervisor::state::ServiceResult;

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
                if matches!(result, JobResult::Failed | JobResult::Dependency) {
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
}
