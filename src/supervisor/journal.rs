//! The lines the manager writes about a service's state changes, worded as
//! systemd's journal has them (`Starting backup.service - Backup...`,
//! `backup.service: Deactivated successfully.`), so that `sundial status`
//! and `sundial logs` read like `systemctl status` and `journalctl -u`.

use super::state::{ActiveState, ServiceResult, SubState, Transition};
use crate::unit::SyslogLevel;

/// One manager line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// A remark about the unit, shown as `unit: text`.
    About(String),
    /// A sentence that names the unit itself (job progress).
    Sentence(String),
}

/// What the lines need to know about the service besides the change.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// `name - Description`, or the name without a description.
    pub label: &'a str,
    /// A stop (or the stop half of a restart) is under way.
    pub stopping: bool,
    /// `Type=oneshot`: its start finishes rather than starts.
    pub oneshot: bool,
}

/// The label of a unit: systemd's combined status format.
pub fn label(name: &str, description: Option<&str>) -> String {
    match description {
        Some(d) if !d.is_empty() && d != name => format!("{name} - {d}"),
        _ => name.to_owned(),
    }
}

fn at_rest(s: ActiveState) -> bool {
    matches!(s, ActiveState::Inactive | ActiveState::Failed)
}

/// The lines for `t`, in the order systemd writes them.
pub fn lines(t: &Transition, cx: Context<'_>) -> Vec<Line> {
    let (old, new) = (t.old.active_state(), t.new.active_state());
    let label = cx.label;
    let failure = t.result != ServiceResult::Success;
    let mut out = Vec::new();
    let about = |out: &mut Vec<Line>, s: String| out.push(Line::About(s));
    let sentence = |out: &mut Vec<Line>, s: String| out.push(Line::Sentence(s));

    // The machine itself says "Scheduled restart job ..." when it schedules.
    if t.new == SubState::AutoRestart {
        if failure {
            about(&mut out, format!("Failed with result '{}'.", t.result));
        }
        return out;
    }
    let restarting = t.old == SubState::AutoRestart;
    if (at_rest(old) || restarting) && matches!(new, ActiveState::Activating | ActiveState::Active)
    {
        if restarting {
            sentence(&mut out, format!("Stopped {label}."));
        }
        sentence(&mut out, format!("Starting {label}..."));
        if new == ActiveState::Active {
            sentence(&mut out, started(label, cx.oneshot));
        }
        return out;
    }
    if old == ActiveState::Activating && new == ActiveState::Active {
        sentence(&mut out, started(label, cx.oneshot));
        return out;
    }
    if matches!(
        old,
        ActiveState::Active | ActiveState::Activating | ActiveState::Reloading
    ) && new == ActiveState::Deactivating
        && cx.stopping
    {
        sentence(&mut out, format!("Stopping {label}..."));
        return out;
    }
    if at_rest(new) && !at_rest(old) {
        if new == ActiveState::Failed {
            about(&mut out, format!("Failed with result '{}'.", t.result));
        } else {
            about(&mut out, "Deactivated successfully.".to_owned());
        }
        if cx.stopping {
            sentence(&mut out, format!("Stopped {label}."));
        } else if old == ActiveState::Activating {
            if new == ActiveState::Failed {
                sentence(&mut out, format!("Failed to start {label}."));
            } else if cx.oneshot {
                sentence(&mut out, format!("Finished {label}."));
            }
        }
    }
    out
}

/// The priority systemd 252 logs the same message with (`journalctl -p`
/// filters on it). The manager's wordings are fixed, so they are told apart
/// by their words; a remark not listed is informational.
pub fn priority(line: &Line) -> SyslogLevel {
    match line {
        // systemd: job_emit_done_message, JOB_FAILED is LOG_ERR; the other
        // job messages (Starting, Started, Stopped, Finished) LOG_INFO.
        Line::Sentence(s) if s.starts_with("Failed to start ") => SyslogLevel::Err,
        // JOB_ASSERT: LOG_WARNING.
        Line::Sentence(s) if s.starts_with("Assertion failed for ") => SyslogLevel::Warning,
        Line::Sentence(_) => SyslogLevel::Info,
        Line::About(s) => about_priority(s),
    }
}

fn about_priority(s: &str) -> SyslogLevel {
    // systemd: service_sigchld_event logs a failed exit at LOG_NOTICE.
    if s.starts_with("Main process exited, ") || s.contains(" process exited, ") {
        return SyslogLevel::Notice;
    }
    // systemd: log_unit_error for the watchdog and for what could not be
    // set up or run ("Failed to execute ...", "Failed to set up ...").
    if s.starts_with("Watchdog timeout") || s.starts_with("Failed to ") {
        return SyslogLevel::Err;
    }
    // systemd: unit_log_failure, the start limit, service_dispatch_timer's
    // timeouts, a PID file not read, a notification refused, resource
    // settings not applied: log_unit_warning.
    let warnings = [
        "Failed with result ",
        // systemd: a failed assertion is logged at LOG_WARNING.
        "Assert",
        "None of the trigger assertions were met.",
        "Start request repeated too quickly.",
        "PID file ",
        "Got notification message from PID ",
        "Service reached runtime time limit.",
        "Reload operation timed out.",
        "Stopping timed out.",
        "State '",
    ];
    if warnings.iter().any(|w| s.starts_with(w))
        || s.contains(" operation timed out.")
        || s.contains(" not enforced: ")
    {
        return SyslogLevel::Warning;
    }
    SyslogLevel::Info
}

fn started(label: &str, oneshot: bool) -> String {
    if oneshot {
        format!("Finished {label}.")
    } else {
        format!("Started {label}.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities_follow_systemds_levels() {
        let about = |s: &str| priority(&Line::About(s.to_owned()));
        let sentence = |s: &str| priority(&Line::Sentence(s.to_owned()));
        assert_eq!(sentence("Failed to start x.service."), SyslogLevel::Err);
        assert_eq!(sentence("Started x.service."), SyslogLevel::Info);
        assert_eq!(
            sentence("Assertion failed for x.service."),
            SyslogLevel::Warning
        );
        assert_eq!(about("AssertPathExists=/x failed."), SyslogLevel::Warning);
        assert_eq!(
            about("Failed with result 'exit-code'."),
            SyslogLevel::Warning
        );
        assert_eq!(
            about("Main process exited, code=exited, status=1/FAILURE"),
            SyslogLevel::Notice
        );
        assert_eq!(
            about("ExecStartPre process exited, code=exited, status=1/FAILURE"),
            SyslogLevel::Notice
        );
        assert_eq!(
            about("Failed to execute /x: No such file"),
            SyslogLevel::Err
        );
        assert_eq!(
            about("Start operation timed out. Terminating."),
            SyslogLevel::Warning
        );
        assert_eq!(
            about("State 'stop-sigterm' timed out. Killing."),
            SyslogLevel::Warning
        );
        assert_eq!(about("Deactivated successfully."), SyslogLevel::Info);
        assert_eq!(
            about("Scheduled restart job, restart counter is at 2."),
            SyslogLevel::Info
        );
    }

    fn t(old: SubState, new: SubState, result: ServiceResult) -> Transition {
        Transition { old, new, result }
    }

    fn text(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| match l {
                Line::About(s) => format!("x.service: {s}"),
                Line::Sentence(s) => s.clone(),
            })
            .collect()
    }

    const CX: Context<'static> = Context {
        label: "x.service - X",
        stopping: false,
        oneshot: false,
    };

    #[test]
    fn a_oneshot_run_reads_as_in_the_journal() {
        let oneshot = Context {
            oneshot: true,
            ..CX
        };
        use ServiceResult::Success;
        assert_eq!(
            text(&lines(
                &t(SubState::Dead, SubState::Start, Success),
                oneshot
            )),
            ["Starting x.service - X..."]
        );
        assert_eq!(
            text(&lines(
                &t(SubState::Start, SubState::Dead, Success),
                oneshot
            )),
            [
                "x.service: Deactivated successfully.",
                "Finished x.service - X."
            ]
        );
        assert_eq!(
            text(&lines(
                &t(SubState::Start, SubState::Exited, Success),
                oneshot
            )),
            ["Finished x.service - X."]
        );
        assert_eq!(
            text(&lines(
                &t(SubState::Start, SubState::Failed, ServiceResult::ExitCode),
                oneshot
            )),
            [
                "x.service: Failed with result 'exit-code'.",
                "Failed to start x.service - X."
            ]
        );
    }

    #[test]
    fn a_long_running_service_starts_stops_and_restarts() {
        use ServiceResult::Success;
        assert_eq!(
            text(&lines(&t(SubState::Dead, SubState::Running, Success), CX)),
            ["Starting x.service - X...", "Started x.service - X."]
        );
        let stopping = Context {
            stopping: true,
            ..CX
        };
        assert_eq!(
            text(&lines(
                &t(SubState::Running, SubState::StopSigterm, Success),
                stopping
            )),
            ["Stopping x.service - X..."]
        );
        // Deactivating on its own (a failure) is not a stop job.
        assert!(lines(&t(SubState::Running, SubState::StopSigterm, Success), CX).is_empty());
        assert_eq!(
            text(&lines(
                &t(SubState::StopSigterm, SubState::Dead, Success),
                stopping
            )),
            [
                "x.service: Deactivated successfully.",
                "Stopped x.service - X."
            ]
        );
        assert_eq!(
            text(&lines(
                &t(
                    SubState::Running,
                    SubState::AutoRestart,
                    ServiceResult::Signal
                ),
                CX
            )),
            ["x.service: Failed with result 'signal'."]
        );
        assert_eq!(
            text(&lines(
                &t(SubState::AutoRestart, SubState::Running, Success),
                CX
            )),
            [
                "Stopped x.service - X.",
                "Starting x.service - X...",
                "Started x.service - X."
            ]
        );
    }

    #[test]
    fn the_label_combines_name_and_description() {
        assert_eq!(label("a.service", Some("Backup")), "a.service - Backup");
        assert_eq!(label("a.service", None), "a.service");
        assert_eq!(label("a.service", Some("a.service")), "a.service");
    }
}
