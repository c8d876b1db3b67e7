//! `start`, `stop`, `restart`, `reload`, `try-restart`, `reload-or-restart`:
//! one job per unit, waited for as systemctl waits; they differ only in the
//! request sent.

use crate::ipc::UnitsRequest;
use std::process::ExitCode;

use super::connect::SocketEnv;
use super::{exit, mangle_unit_names, print_messages, unexpected, Connection};
use crate::ipc::{ErrorCode, Request, Response};

pub(crate) const START_EXAMPLES: &str = "Examples:\n  \
    $ sundial start backup.service\n  \
    $ sundial start backup            # the same: a bare name is a service\n  \
    $ sundial start --user sync.timer";
pub(crate) const STOP_EXAMPLES: &str = "Examples:\n  $ sundial stop backup.service backup.timer";
pub(crate) const RESTART_EXAMPLES: &str = "Examples:\n  $ sundial restart web.service";
pub(crate) const RELOAD_EXAMPLES: &str = "Examples:\n  $ sundial reload web.service";
pub(crate) const TRY_RESTART_EXAMPLES: &str = "Examples:\n  $ sundial try-restart web.service";
pub(crate) const RELOAD_OR_RESTART_EXAMPLES: &str =
    "Examples:\n  $ sundial reload-or-restart web.service";

/// Arguments of the job verbs.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Units (a name without suffix means NAME.service).
    #[arg(required = true, value_name = "UNIT")]
    pub units: Vec<String>,
    #[command(flatten)]
    pub connection: Connection,
}

/// Which job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// `start`.
    Start,
    /// `stop`.
    Stop,
    /// `restart`.
    Restart,
    /// `reload`.
    Reload,
    /// `try-restart`.
    TryRestart,
    /// `reload-or-restart`.
    ReloadOrRestart,
}

impl Job {
    /// The verb as systemctl words it in "Failed to start x: ...".
    pub fn verb(self) -> &'static str {
        match self {
            Job::Start => "start",
            Job::Stop => "stop",
            Job::Restart => "restart",
            Job::Reload => "reload",
            Job::TryRestart => "try-restart",
            Job::ReloadOrRestart => "reload-or-restart",
        }
    }

    fn request(self, units: Vec<String>) -> Request {
        match self {
            Job::Start => Request::Start(UnitsRequest { units }),
            Job::Stop => Request::Stop(UnitsRequest { units }),
            Job::Restart => Request::Restart(UnitsRequest { units }),
            Job::Reload => Request::Reload(UnitsRequest { units }),
            Job::TryRestart => Request::TryRestart(UnitsRequest { units }),
            Job::ReloadOrRestart => Request::ReloadOrRestart(UnitsRequest { units }),
        }
    }
}

/// Runs a job verb.
pub fn run(job: Job, args: Args) -> anyhow::Result<ExitCode> {
    let units = mangle_unit_names(&args.units)?;
    let response = args.connection.call(&job.request(units.clone()))?;
    match response {
        Response::Done { messages } => {
            print_messages(&messages);
            Ok(ExitCode::SUCCESS)
        }
        Response::Error { code, message } => {
            let sundial = args.connection.command(&SocketEnv::from_process());
            eprint!(
                "{}",
                job_failure(&sundial, job.verb(), &units, code, &message)
            );
            Ok(ExitCode::from(job_exit_code(code)))
        }
        other => Err(unexpected(job.verb(), &other)),
    }
}

/// systemctl's exit code for a failed job request
/// (`translate_bus_error_to_exit_status`).
pub fn job_exit_code(code: ErrorCode) -> u8 {
    match code {
        ErrorCode::PermissionDenied => exit::UNKNOWN,
        ErrorCode::NoSuchUnit => exit::NOT_INSTALLED,
        _ => exit::FAILURE,
    }
}

/// What a failed job prints, as systemctl prints it. The daemon names the
/// unit in what it says about a job ("Job for a.service failed ...",
/// "Failed to start a.service: ..."); other answers are bare causes and get
/// systemctl's "Failed to VERB UNIT: " before them. Like systemctl, it points
/// at the unit's status and logs unless the unit is missing, masked or cannot
/// take the job at all; `sundial` is the command with the flags that reach
/// the same daemon ([`Connection::command`]).
pub fn job_failure(
    sundial: &str,
    verb: &str,
    units: &[String],
    code: ErrorCode,
    message: &str,
) -> String {
    // systemctl: "Assertion failed on job for X." alone, no hint.
    if message.starts_with("Assertion failed on job for ") {
        return format!("{message}\n");
    }
    let mut text = if message.starts_with("Job for ") || message.starts_with("Failed to ") {
        format!("{message}\n")
    } else {
        format!("Failed to {verb} {}: {message}\n", units.join(" "))
    };
    let logs_help = code == ErrorCode::Failed
        && !message.ends_with(" is masked.")
        && !message.contains(" is not applicable for unit ");
    if logs_help {
        if let [unit] = units {
            text.push_str(&format!(
                "See \"{sundial} status {unit}\" and \"{sundial} logs -u {unit}\" for details.\n"
            ));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_systemctl() {
        assert_eq!(job_exit_code(ErrorCode::NoSuchUnit), 5);
        assert_eq!(job_exit_code(ErrorCode::PermissionDenied), 4);
        assert_eq!(job_exit_code(ErrorCode::Failed), 1);
    }

    #[test]
    fn a_failed_assertion_is_told_alone() {
        let units = vec!["a.service".to_owned()];
        assert_eq!(
            job_failure(
                "sundial",
                "start",
                &units,
                ErrorCode::Failed,
                "Assertion failed on job for a.service."
            ),
            "Assertion failed on job for a.service.\n"
        );
    }

    #[test]
    fn the_hint_reaches_the_same_daemon() {
        let units = vec!["a.service".to_owned()];
        assert_eq!(
            job_failure(
                "sundial --user",
                "start",
                &units,
                ErrorCode::Failed,
                "Failed to start a.service: Unit a.service has a bad unit file setting."
            ),
            "Failed to start a.service: Unit a.service has a bad unit file setting.\n\
             See \"sundial --user status a.service\" and \"sundial --user logs -u a.service\" \
             for details.\n"
        );
    }

    #[test]
    fn failure_text_points_at_status_and_logs() {
        let units = vec!["a.service".to_owned()];
        assert_eq!(
            job_failure(
                "sundial",
                "start",
                &units,
                ErrorCode::Failed,
                "Job for a.service failed because the control process exited with error code."
            ),
            "Job for a.service failed because the control process exited with error code.\n\
             See \"sundial status a.service\" and \"sundial logs -u a.service\" for details.\n"
        );
        assert_eq!(
            job_failure(
                "sundial",
                "stop",
                &units,
                ErrorCode::NoSuchUnit,
                "Unit a.service not found."
            ),
            "Failed to stop a.service: Unit a.service not found.\n"
        );
        // Refused before anything ran: the daemon's sentence as it is; no
        // logs to look at for a masked unit.
        assert_eq!(
            job_failure(
                "sundial",
                "start",
                &units,
                ErrorCode::Failed,
                "Failed to start a.service: Unit a.service is masked."
            ),
            "Failed to start a.service: Unit a.service is masked.\n"
        );
        let template = vec!["a@.service".to_owned()];
        assert_eq!(
            job_failure(
                "sundial",
                "start",
                &template,
                ErrorCode::Failed,
                "Failed to start a@.service: Unit name a@.service is missing the instance name."
            ),
            "Failed to start a@.service: Unit name a@.service is missing the instance name.\n\
             See \"sundial status a@.service\" and \"sundial logs -u a@.service\" for details.\n"
        );
    }
}
