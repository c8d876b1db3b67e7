//! `sundial enable|disable [--now] UNIT...`: create or remove the symlinks a
//! unit's `[Install]` section asks for (`timers.target.wants/backup.timer`) in
//! the daemon's first unit directory, as systemctl does.

use crate::ipc::EnablementRequest;
use std::process::ExitCode;

use super::jobs::{self, Job};
use super::{exit, mangle_unit_names, print_messages, unexpected, Connection};
use crate::ipc::types::{FileChange, FileChangeKind};
use crate::ipc::{Request, Response};

pub(crate) const ENABLE_EXAMPLES: &str = "Examples:\n  \
    $ sundial enable backup.timer            # links timers.target.wants/backup.timer\n  \
    $ sundial enable --now backup.timer      # and start it";
pub(crate) const DISABLE_EXAMPLES: &str = "Examples:\n  \
    $ sundial disable backup.timer\n  \
    Removed \"/etc/sundial/system/timers.target.wants/backup.timer\".\n  \
    $ sundial disable --now backup.timer     # and stop it";

/// Arguments of `sundial enable` and `sundial disable`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Also start (enable) or stop (disable) the units.
    #[arg(long)]
    pub now: bool,
    /// Do not print the symlinks made and removed.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Units (a name without suffix means NAME.service).
    #[arg(required = true, value_name = "UNIT")]
    pub units: Vec<String>,
    #[command(flatten)]
    pub connection: Connection,
}

/// Enable or disable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// `enable`.
    Enable,
    /// `disable`.
    Disable,
}

/// Runs `sundial enable` or `sundial disable`. With `--now` the units are
/// started or stopped afterwards, by name, as a job of their own: as
/// systemctl does, so that a unit file just written is loaded by the
/// enable's reload before its start, and a start that fails is reported as
/// `start` reports it (after the links made and the file's problems).
pub fn run(change: Change, args: Args) -> anyhow::Result<ExitCode> {
    let units = mangle_unit_names(&args.units)?;
    let (request, verb, job) = match change {
        Change::Enable => (
            Request::Enable(EnablementRequest {
                units: units.clone(),
                now: false,
            }),
            "enable",
            Job::Start,
        ),
        Change::Disable => (
            Request::Disable(EnablementRequest {
                units: units.clone(),
                now: false,
            }),
            "disable",
            Job::Stop,
        ),
    };
    let response = args.connection.call(&request)?;
    let code = print_file_changes(verb, response, args.quiet)?;
    if !args.now || code != ExitCode::SUCCESS {
        return Ok(code);
    }
    jobs::run(
        job,
        jobs::Args {
            units,
            connection: args.connection,
        },
    )
}

/// Prints the reply of enable, disable, mask or unmask: the symlinks made and
/// removed and the daemon's warnings on stderr (as systemctl logs them), or
/// "Failed to enable unit: REASON".
pub(crate) fn print_file_changes(
    verb: &str,
    response: Response,
    quiet: bool,
) -> anyhow::Result<ExitCode> {
    match response {
        Response::FileChanges { changes, messages } => {
            if !quiet {
                eprint!("{}", format_changes(&changes));
            }
            print_messages(&messages);
            Ok(ExitCode::SUCCESS)
        }
        Response::Done { messages } => {
            print_messages(&messages);
            Ok(ExitCode::SUCCESS)
        }
        Response::Error { message, .. } => {
            eprintln!("{}", failure_line(verb, &message));
            Ok(ExitCode::from(exit::FAILURE))
        }
        other => Err(unexpected(verb, &other)),
    }
}

/// "Failed to mask unit: REASON", unless the daemon already said what failed.
pub fn failure_line(verb: &str, message: &str) -> String {
    if message.starts_with("Failed to ") {
        message.to_owned()
    } else {
        format!("Failed to {verb} unit: {message}")
    }
}

/// systemctl's words for file changes: `Created symlink PATH → TARGET.` and
/// `Removed "PATH".`
pub fn format_changes(changes: &[FileChange]) -> String {
    changes
        .iter()
        .map(|c| match (c.kind, &c.target) {
            (FileChangeKind::Symlink, Some(target)) => {
                format!("Created symlink {} → {target}.\n", c.path)
            }
            (FileChangeKind::Symlink, None) => format!("Created symlink {}.\n", c.path),
            (FileChangeKind::Unlink, _) => format!("Removed \"{}\".\n", c.path),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_lines_like_systemctl_252() {
        let changes = [
            FileChange {
                kind: FileChangeKind::Symlink,
                path: "/u/timers.target.wants/b.timer".into(),
                target: Some("/u/b.timer".into()),
            },
            FileChange {
                kind: FileChangeKind::Unlink,
                path: "/u/default.target.wants/b.service".into(),
                target: None,
            },
        ];
        assert_eq!(
            format_changes(&changes),
            "Created symlink /u/timers.target.wants/b.timer → /u/b.timer.\n\
             Removed \"/u/default.target.wants/b.service\".\n"
        );
    }

    #[test]
    fn failures_are_said_once() {
        assert_eq!(
            failure_line(
                "mask",
                "Failed to mask unit: File /u/b.service already exists."
            ),
            "Failed to mask unit: File /u/b.service already exists."
        );
        assert_eq!(
            failure_line("enable", "Unit b.service not found."),
            "Failed to enable unit: Unit b.service not found."
        );
    }
}
