//! The Exec*= lists: their order, how a command's end is judged, how the
//! program is found, and which prefixes (`-`, `@`, `:`, `+`, `!`) change what.

use std::path::{Path, PathBuf};

use super::exit::ProcessExit;
use super::state::ServiceResult;
use crate::unit::service::ServiceSection;
use crate::unit::{ExecCommand, ExecPrivileges, ExitStatusSet};

/// Which Exec*= list a command comes from (ordered as systemd lists them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ExecKind {
    Condition,
    StartPre,
    Start,
    StartPost,
    Reload,
    Stop,
    StopPost,
}

impl ExecKind {
    /// Every list, in systemd's order.
    pub const ALL: [ExecKind; 7] = [
        ExecKind::Condition,
        ExecKind::StartPre,
        ExecKind::Start,
        ExecKind::StartPost,
        ExecKind::Reload,
        ExecKind::Stop,
        ExecKind::StopPost,
    ];

    /// The list named `directive` (`ExecStartPre`, ...).
    pub fn from_directive(directive: &str) -> Option<ExecKind> {
        ExecKind::ALL
            .into_iter()
            .find(|k| k.directive() == directive)
    }

    pub fn directive(self) -> &'static str {
        match self {
            ExecKind::Condition => "ExecCondition",
            ExecKind::StartPre => "ExecStartPre",
            ExecKind::Start => "ExecStart",
            ExecKind::StartPost => "ExecStartPost",
            ExecKind::Reload => "ExecReload",
            ExecKind::Stop => "ExecStop",
            ExecKind::StopPost => "ExecStopPost",
        }
    }

    pub fn commands(self, s: &ServiceSection) -> &[ExecCommand] {
        match self {
            ExecKind::Condition => &s.exec_condition,
            ExecKind::StartPre => &s.exec_start_pre,
            ExecKind::Start => &s.exec_start,
            ExecKind::StartPost => &s.exec_start_post,
            ExecKind::Reload => &s.exec_reload,
            ExecKind::Stop => &s.stop.exec_stop,
            ExecKind::StopPost => &s.stop.exec_stop_post,
        }
    }

    /// ExecStop= and ExecStopPost= see $SERVICE_RESULT, $EXIT_CODE and
    /// $EXIT_STATUS.
    pub fn gets_result_env(self) -> bool {
        matches!(self, ExecKind::Stop | ExecKind::StopPost)
    }
}

/// What a finished control command means for its list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Go on with the next command (or the next phase).
    Continue,
    /// ExecCondition= exited 1..254: skip the start, without failing.
    SkipStart,
    /// The list failed with this result.
    Fail(ServiceResult),
}

/// Judges the end of a control command (or an ExecStart= of a oneshot or
/// forking service). Signals are failures here; `-` turns any failure into
/// success.
pub fn judge(
    kind: ExecKind,
    cmd: &ExecCommand,
    exit: ProcessExit,
    success: &ExitStatusSet,
) -> Verdict {
    if cmd.ignore_failure {
        return Verdict::Continue;
    }
    match exit.result(success, false) {
        ServiceResult::Success => Verdict::Continue,
        _ if kind == ExecKind::Condition
            && matches!(exit, ProcessExit::Exited(code) if (1..=254).contains(&code)) =>
        {
            Verdict::SkipStart
        }
        result => Verdict::Fail(result),
    }
}

/// Where bare program names are looked up: a fixed path, not the service's
/// $PATH, as systemd looks them up in its own built-in search path.
pub const SEARCH_PATH: &[&str] = &[
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];

/// The file to execute for `cmd`: its absolute path, or the first executable
/// file of that name in [`SEARCH_PATH`]. None when a bare name is not found
/// (the spawn then fails with 203/EXEC, as in systemd).
pub fn resolve_program(cmd: &ExecCommand) -> Option<PathBuf> {
    if !cmd.needs_search() {
        return Some(PathBuf::from(&cmd.path));
    }
    SEARCH_PATH
        .iter()
        .map(|dir| Path::new(dir).join(&cmd.path))
        .find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Whether User=/Group=/SupplementaryGroups= apply to this command: not for
/// `+` and `!`, and `!!` acts like `!` only without ambient capabilities,
/// which every kernel sundial supports has (4.3), so it changes nothing.
pub fn applies_credentials(cmd: &ExecCommand) -> bool {
    matches!(
        cmd.privileges,
        ExecPrivileges::Normal | ExecPrivileges::AmbientFallback
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::Signal;

    #[test]
    fn condition_verdicts() {
        let none = ExitStatusSet::default();
        let cmd = ExecCommand::new(["/bin/true"]);
        let judge_c = |e| judge(ExecKind::Condition, &cmd, e, &none);
        assert_eq!(judge_c(ProcessExit::Exited(0)), Verdict::Continue);
        assert_eq!(judge_c(ProcessExit::Exited(1)), Verdict::SkipStart);
        assert_eq!(judge_c(ProcessExit::Exited(254)), Verdict::SkipStart);
        assert_eq!(
            judge_c(ProcessExit::Exited(255)),
            Verdict::Fail(ServiceResult::ExitCode)
        );
        assert_eq!(
            judge_c(ProcessExit::Killed(Signal::TERM)),
            Verdict::Fail(ServiceResult::Signal)
        );
    }

    #[test]
    fn dash_prefix_ignores_failure_and_signals_fail_commands() {
        let none = ExitStatusSet::default();
        let mut cmd = ExecCommand::new(["/bin/false"]);
        assert_eq!(
            judge(ExecKind::StartPre, &cmd, ProcessExit::Exited(1), &none),
            Verdict::Fail(ServiceResult::ExitCode)
        );
        assert_eq!(
            judge(
                ExecKind::Stop,
                &cmd,
                ProcessExit::Killed(Signal::TERM),
                &none
            ),
            Verdict::Fail(ServiceResult::Signal)
        );
        cmd.ignore_failure = true;
        assert_eq!(
            judge(ExecKind::StartPre, &cmd, ProcessExit::Exited(1), &none),
            Verdict::Continue
        );
    }

    #[test]
    fn bare_names_use_the_fixed_search_path() {
        let cmd = ExecCommand::new(["sh", "-c", "true"]);
        let found = resolve_program(&cmd).expect("sh is installed");
        assert!(found.is_absolute() && found.ends_with("sh"));
        assert_eq!(
            resolve_program(&ExecCommand::new(["no-such-program-xyz"])),
            None
        );
    }
}
