//! `sundial status [UNIT...]`: systemctl's status block per unit: the state
//! line, where it was loaded from, since when it is in its state, what
//! triggers it, its main process and its last log lines.

use crate::ipc::StatusRequest;
use std::process::ExitCode;

use sundial_calendar::timespan::format_relative;
use sundial_calendar::{timestamp, Timestamp, Zone};

use super::connect::exchange;
use super::logs::{hostname, short_line};
use super::offline::{self, Source, StateDirArg};
use super::{
    exit, mangle_unit_names, print_json, print_text, report_error, state_glyph, unexpected,
    Connection, Output,
};
use crate::cli::time_common::TimeEnv;
use crate::ipc::types::StatusBlock;
use crate::ipc::{ErrorCode, Request, Response};
use crate::store::{ExitStatus, RunResult};
use crate::supervisor::{format_bytes, format_cpu};
use crate::unit::exit_status::exit_status_name;
use crate::unit::Signal;

const EXAMPLES: &str = "Examples:\n  \
    $ sundial status backup.timer backup.service\n  \
    ● backup.timer - Nightly backup\n       \
         Loaded: loaded (/etc/sundial/system/backup.timer; enabled)\n       \
         Active: active (waiting) since Thu 2024-02-29 00:00:00 UTC; 5min ago\n      \
        Trigger: Fri 2024-03-01 03:00:00 UTC; 1 day 2h left\n     \
       Triggers: ● backup.service\n  \
    ...\n  \
    $ sundial status -n 50 backup        # with the last 50 log lines\n  \
    $ sundial status -o json backup.timer";

/// Arguments of `sundial status`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Show the state of units, with their last log lines",
    long_about = "Show the state of units as systemctl status does: load state and unit file, \
                  active state since when, what triggers them or what they trigger, a timer's \
                  next elapse, the main process and the last log lines. Exits 0 when every unit \
                  is active; else the first unit that is not decides: 3 if it exists, 4 if it \
                  does not. Without a running daemon, the named units are shown from their unit \
                  files and the state database (read-only; see --state-dir): how the last run \
                  ended and its log lines; none is active.",
    after_long_help = EXAMPLES
)]
pub struct Args {
    /// Units (a name without suffix means NAME.service, a pattern the loaded units it
    /// matches); none: every unit that is not inactive.
    #[arg(value_name = "UNIT")]
    pub units: Vec<String>,
    /// How many log lines to show.
    #[arg(short = 'n', long = "lines", value_name = "N", default_value_t = 10)]
    pub lines: u32,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = Output::Short)]
    pub output: Output,
    #[command(flatten)]
    pub connection: Connection,
    #[command(flatten)]
    pub state: StateDirArg,
}

/// Runs `sundial status`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let request = Request::Status(StatusRequest {
        units: mangle_unit_names(&args.units)?,
        lines: Some(args.lines),
    });
    let env = TimeEnv::from_process();
    let response = match offline::reach(&args.connection, &args.state)? {
        Source::Daemon(client) => exchange(client, &request)?,
        Source::Offline(off) => {
            if args.units.is_empty() {
                anyhow::bail!(
                    "{}: name the units to show what it recorded of them.",
                    off.situation(&env.local)
                );
            }
            eprintln!("sundial: {}", off.notice(&env.local));
            offline::status(&off, &mangle_unit_names(&args.units)?, args.lines)
        }
    };
    let blocks = match response {
        Response::Status { units } => units,
        Response::Error {
            code: ErrorCode::NoSuchUnit,
            message,
        } => {
            // systemctl: "Unit nope.service could not be found."
            eprintln!("{message}");
            return Ok(ExitCode::from(exit::UNKNOWN));
        }
        Response::Error { code, message } => return Ok(report_error(code, &message)),
        other => return Err(unexpected("status", &other)),
    };
    if args.output.is_json() {
        print_json(args.output, &blocks)?;
    } else {
        let host = hostname();
        let mut text = String::new();
        for (i, block) in blocks.iter().filter(|b| !is_missing(b)).enumerate() {
            if i > 0 {
                text.push('\n');
            }
            text.push_str(&format_status(block, env.now, &env.local, &host));
        }
        print_text(&text)?;
        for block in blocks.iter().filter(|b| is_missing(b)) {
            eprintln!("Unit {} could not be found.", block.unit);
        }
    }
    Ok(ExitCode::from(status_exit_code(&blocks)))
}

/// Whether `block` is of a unit that does not exist: no file and nothing
/// to show (systemctl shows a unit without a file that is in some state, a
/// service running from a file deleted since, or one whose last run failed).
fn is_missing(block: &StatusBlock) -> bool {
    block.load_state == "not-found" && block.active_state == "inactive"
}

/// systemctl status's exit code: 4 if a unit does not exist, else 3 if one
/// is not active, else 0; the first unit that is not fine decides.
pub fn status_exit_code(blocks: &[StatusBlock]) -> u8 {
    blocks
        .iter()
        .map(|b| {
            if is_missing(b) {
                exit::UNKNOWN
            } else if matches!(b.active_state.as_str(), "active" | "reloading") {
                exit::OK
            } else {
                exit::NOT_RUNNING
            }
        })
        .find(|&code| code != exit::OK)
        .unwrap_or(exit::OK)
}

/// The status block of one unit, as text ending in a newline.
pub fn format_status(block: &StatusBlock, now: Timestamp, zone: &Zone, host: &str) -> String {
    let b = block;
    let mut out = if b.description.is_empty() || b.description == b.unit {
        format!("{} {}\n", state_glyph(&b.active_state), b.unit)
    } else {
        format!(
            "{} {} - {}\n",
            state_glyph(&b.active_state),
            b.unit,
            b.description
        )
    };
    // Labels end in column 12, continuation lines start in column 14.
    let mut line = |label: &str, value: &str| {
        out.push_str(&format!("{label:>12} {value}\n"));
    };

    let loaded = match (&b.fragment_path, &b.unit_file_state) {
        (Some(path), Some(state)) if !state.is_empty() => {
            format!("{} ({path}; {state})", b.load_state)
        }
        (Some(path), _) => format!("{} ({path})", b.load_state),
        // systemctl gives the reason where there is no file to show.
        (None, _) => match b.load_state.as_str() {
            "bad-setting" => format!(
                "bad-setting (Reason: Unit {} has a bad unit file setting.)",
                b.unit
            ),
            "masked" => format!("masked (Reason: Unit {} is masked.)", b.unit),
            "not-found" => format!("not-found (Reason: Unit {} not found.)", b.unit),
            other => other.to_owned(),
        },
    };
    line("Loaded:", &loaded);
    for (i, dropin_line) in dropin_lines(&b.drop_in_paths).iter().enumerate() {
        line(if i == 0 { "Drop-In:" } else { "" }, dropin_line);
    }

    let mut active = if b.sub_state.is_empty() || b.sub_state == b.active_state {
        b.active_state.clone()
    } else {
        format!("{} ({})", b.active_state, b.sub_state)
    };
    // systemd resets a service's result when it starts again: the result of
    // an earlier run says nothing about a unit running now.
    let ended = b.active_state == "failed" || b.sub_state == "auto-restart";
    if let Some(result) = b.last_result.filter(|r| ended && *r != RunResult::Success) {
        active.push_str(&format!(" (Result: {result})"));
    }
    if let Some(since) = b.state_change_usec {
        let since = Timestamp::from_usec(since);
        active.push_str(&format!(
            " since {}; {}",
            timestamp::format(since, zone),
            format_relative(now, since)
        ));
    }
    line("Active:", &active);

    for (i, unit) in b.triggered_by.iter().enumerate() {
        line(
            if i == 0 { "TriggeredBy:" } else { "" },
            &format!("● {unit}"),
        );
    }
    if b.unit.ends_with(".timer") {
        let trigger = match b.next_elapse_usec {
            Some(t) => {
                let t = Timestamp::from_usec(t);
                format!(
                    "{}; {}",
                    timestamp::format(t, zone),
                    format_relative(now, t)
                )
            }
            None => "n/a".to_owned(),
        };
        line("Trigger:", &trigger);
    }
    for (i, unit) in b.triggers.iter().enumerate() {
        line(if i == 0 { "Triggers:" } else { "" }, &format!("● {unit}"));
    }
    if let Some(cluster) = &b.cluster {
        line("Cluster:", cluster);
    }
    for (i, listen) in b.listen.iter().enumerate() {
        line(if i == 0 { "Listen:" } else { "" }, listen);
    }
    if let Some([accepted, connected, refused]) = b.connections {
        let mut counts = format!("{accepted}; Connected: {connected};");
        if refused > 0 {
            counts.push_str(&format!(" Refused: {refused}"));
        }
        line("Accepted:", &counts);
    }
    for (i, p) in b.paths.iter().enumerate() {
        line(
            if i == 0 { "Path:" } else { "" },
            &format!("{} ({})", p.path, p.condition),
        );
    }

    for c in &b.commands {
        line(
            "Process:",
            &format!(
                "{} {}={} ({})",
                c.pid,
                c.directive,
                c.command,
                exit_status_text(c.exit_status, None)
            ),
        );
    }
    if let Some(pid) = b.main_pid {
        line("Main PID:", &main_pid(b, pid));
    }
    let usage = b.usage.unwrap_or_default();
    if let Some(ip) = usage.ip {
        line(
            "IP:",
            &format!(
                "{} in, {} out",
                format_bytes(ip.ingress_bytes),
                format_bytes(ip.egress_bytes)
            ),
        );
    }
    let tasks = usage
        .tasks
        .or((!b.processes.is_empty()).then_some(b.processes.len() as u64));
    if let Some(n) = tasks {
        let limit = usage
            .tasks_max
            .map_or(String::new(), |m| format!(" (limit: {m})"));
        line("Tasks:", &format!("{n}{limit}"));
    }
    if let Some(m) = usage.memory_current {
        let peak = usage
            .memory_peak
            .map_or(String::new(), |p| format!(" (peak: {})", format_bytes(p)));
        line("Memory:", &format!("{}{peak}", format_bytes(m)));
    }
    if let Some(ns) = usage.cpu_nsec {
        line("CPU:", &format_cpu(ns));
    }
    match &b.control_group {
        // systemctl's tree of the cgroup's processes.
        Some(cg) => {
            line("CGroup:", cg);
            for (i, p) in b.processes.iter().enumerate() {
                let branch = if i + 1 == b.processes.len() {
                    "└─"
                } else {
                    "├─"
                };
                line("", &format!("{branch}{} {}", p.pid, p.command));
            }
        }
        None => {
            for (i, p) in b.processes.iter().enumerate() {
                line(
                    if i == 0 { "Processes:" } else { "" },
                    &format!("{} {}", p.pid, p.command),
                );
            }
        }
    }

    if !b.recent_logs.is_empty() {
        out.push('\n');
        for l in &b.recent_logs {
            out.push_str(&short_line(l, zone, host));
        }
    }
    out
}

/// `42 (backup.sh)` while it runs, `42 (code=exited, status=1/FAILURE)` after.
fn main_pid(b: &StatusBlock, pid: u32) -> String {
    match b.exit_status {
        Some(status) => format!("{pid} ({})", exit_status_text(status, b.last_result)),
        None => {
            let comm = b
                .processes
                .iter()
                .find(|p| p.pid == pid)
                .and_then(|p| p.command.split_whitespace().next())
                .map(|argv0| argv0.rsplit('/').next().unwrap_or(argv0));
            match comm {
                // The kernel's comm is at most 15 bytes; systemctl shows that.
                Some(comm) => format!("{pid} ({})", comm.chars().take(15).collect::<String>()),
                None => pid.to_string(),
            }
        }
    }
}

/// `code=exited, status=1/FAILURE` or `code=killed, signal=TERM`.
pub fn exit_status_text(status: ExitStatus, result: Option<RunResult>) -> String {
    match status {
        ExitStatus::Code(code) => {
            // systemctl status names libc's and systemd's own codes only.
            let name = u8::try_from(code)
                .ok()
                .filter(|&c| c <= 1 || c >= 200)
                .and_then(exit_status_name);
            match name {
                Some(name) => format!("code=exited, status={code}/{name}"),
                None => format!("code=exited, status={code}"),
            }
        }
        ExitStatus::Signal(signal) => {
            let how = if result == Some(RunResult::CoreDump) {
                "dumped"
            } else {
                "killed"
            };
            format!("code={how}, signal={}", signal_name(signal))
        }
    }
}

/// `TERM` for 15; the number when it is no signal.
pub fn signal_name(signal: i32) -> String {
    Signal::from_number(signal)
        .map(Signal::name)
        .unwrap_or_else(|| signal.to_string())
}

/// The Drop-In lines: each directory, then `└─` and its files joined by
/// ", ", as systemctl groups them.
fn dropin_lines(paths: &[String]) -> Vec<String> {
    let split = |p: &str| match p.rsplit_once('/') {
        Some((dir, file)) => (dir.to_owned(), file.to_owned()),
        None => (String::new(), p.to_owned()),
    };
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for path in paths {
        let (dir, file) = split(path);
        match groups.last_mut() {
            Some((last, files)) if *last == dir => files.push(file),
            _ => groups.push((dir, vec![file])),
        }
    }
    groups
        .into_iter()
        .flat_map(|(dir, files)| [dir, format!("└─{}", files.join(", "))])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipc::types::{CommandRow, LogLine, ProcessRow};
    use crate::store::{InvocationId, Stream};

    const NOW: i64 = 1_709_165_100_000_000; // Thu 2024-02-29 00:05:00 UTC

    fn timer() -> StatusBlock {
        StatusBlock {
            unit: "backup.timer".into(),
            description: "Nightly backup".into(),
            load_state: "loaded".into(),
            fragment_path: Some("/etc/sundial/system/backup.timer".into()),
            unit_file_state: Some("enabled".into()),
            active_state: "active".into(),
            sub_state: "waiting".into(),
            state_change_usec: Some(1_709_164_800_000_000),
            triggers: vec!["backup.service".into()],
            next_elapse_usec: Some(1_709_262_000_000_000),
            ..StatusBlock::default()
        }
    }

    fn status(b: &StatusBlock) -> String {
        format_status(b, Timestamp::from_usec(NOW), &Zone::utc(), "box")
    }

    #[test]
    fn timer_block() {
        assert_eq!(
            status(&timer()),
            "● backup.timer - Nightly backup\n     \
             Loaded: loaded (/etc/sundial/system/backup.timer; enabled)\n     \
             Active: active (waiting) since Thu 2024-02-29 00:00:00 UTC; 5min ago\n    \
             Trigger: Fri 2024-03-01 03:00:00 UTC; 1 day 2h left\n   \
             Triggers: ● backup.service\n"
        );
    }

    #[test]
    fn path_block_shows_what_it_triggers_and_its_paths() {
        let b = StatusBlock {
            unit: "spool.path".into(),
            description: "Process the spool".into(),
            load_state: "loaded".into(),
            fragment_path: Some("/etc/sundial/system/spool.path".into()),
            unit_file_state: Some("enabled".into()),
            active_state: "active".into(),
            sub_state: "waiting".into(),
            state_change_usec: Some(1_709_164_800_000_000),
            triggers: vec!["spool.service".into()],
            paths: vec![
                crate::ipc::types::PathRow {
                    path: "/var/spool/in".into(),
                    condition: "DirectoryNotEmpty".into(),
                },
                crate::ipc::types::PathRow {
                    path: "/etc/spool.conf".into(),
                    condition: "PathChanged".into(),
                },
            ],
            ..StatusBlock::default()
        };
        assert_eq!(
            status(&b),
            "● spool.path - Process the spool\n     \
             Loaded: loaded (/etc/sundial/system/spool.path; enabled)\n     \
             Active: active (waiting) since Thu 2024-02-29 00:00:00 UTC; 5min ago\n   \
             Triggers: ● spool.service\n       \
             Path: /var/spool/in (DirectoryNotEmpty)\n             \
             /etc/spool.conf (PathChanged)\n"
        );
    }

    #[test]
    fn running_service_with_drop_ins_processes_and_logs() {
        let b = StatusBlock {
            unit: "backup.service".into(),
            description: "Nightly backup".into(),
            load_state: "loaded".into(),
            fragment_path: Some("/etc/sundial/system/backup.service".into()),
            drop_in_paths: vec![
                "/etc/sundial/system/service.d/10-all.conf".into(),
                "/etc/sundial/system/backup.service.d/a.conf".into(),
                "/etc/sundial/system/backup.service.d/b.conf".into(),
            ],
            unit_file_state: Some("static".into()),
            active_state: "active".into(),
            sub_state: "running".into(),
            state_change_usec: Some(NOW - 90_000_000),
            invocation: Some(InvocationId::from_u128(7)),
            triggered_by: vec!["backup.timer".into()],
            main_pid: Some(4242),
            processes: vec![
                ProcessRow {
                    pid: 4242,
                    command: "/usr/local/bin/backup-everything-now --full".into(),
                },
                ProcessRow {
                    pid: 4250,
                    command: "sleep 10".into(),
                },
            ],
            recent_logs: vec![LogLine {
                cursor: 1,
                unit: "backup.service".into(),
                invocation: Some(InvocationId::from_u128(7)),
                stream: Stream::Stdout,
                timestamp_usec: NOW - 89_000_000,
                line: "starting".into(),
                priority: 6,
            }],
            ..StatusBlock::default()
        };
        assert_eq!(
            status(&b),
            "● backup.service - Nightly backup\n     \
             Loaded: loaded (/etc/sundial/system/backup.service; static)\n    \
             Drop-In: /etc/sundial/system/service.d\n             \
             └─10-all.conf\n             \
             /etc/sundial/system/backup.service.d\n             \
             └─a.conf, b.conf\n     \
             Active: active (running) since Thu 2024-02-29 00:03:30 UTC; 1min 30s ago\n\
             TriggeredBy: ● backup.timer\n   \
             Main PID: 4242 (backup-everythi)\n      \
             Tasks: 2\n  \
             Processes: 4242 /usr/local/bin/backup-everything-now --full\n             \
             4250 sleep 10\n\
             \n\
             Feb 29 00:03:31 box backup.service: starting\n"
        );
    }

    #[test]
    fn failed_oneshot_shows_result_and_exit_status() {
        let b = StatusBlock {
            unit: "job.service".into(),
            description: "job.service".into(),
            load_state: "loaded".into(),
            active_state: "failed".into(),
            sub_state: "failed".into(),
            state_change_usec: Some(NOW - 3_600_000_000 * 30),
            main_pid: Some(17),
            exit_status: Some(ExitStatus::Code(203)),
            last_result: Some(RunResult::ExitCode),
            commands: vec![
                CommandRow {
                    pid: 16,
                    directive: "ExecStartPre".into(),
                    command: "/bin/echo pre".into(),
                    exit_status: ExitStatus::Code(0),
                },
                CommandRow {
                    pid: 17,
                    directive: "ExecStart".into(),
                    command: "/usr/bin/job --now".into(),
                    exit_status: ExitStatus::Code(203),
                },
            ],
            ..StatusBlock::default()
        };
        assert_eq!(
            status(&b),
            "× job.service\n     \
             Loaded: loaded\n     \
             Active: failed (Result: exit-code) since Tue 2024-02-27 18:05:00 UTC; 1 day 6h ago\n    \
             Process: 16 ExecStartPre=/bin/echo pre (code=exited, status=0/SUCCESS)\n    \
             Process: 17 ExecStart=/usr/bin/job --now (code=exited, status=203/EXEC)\n   \
             Main PID: 17 (code=exited, status=203/EXEC)\n"
        );
        assert_eq!(status_exit_code(&[b]), 3);
    }

    #[test]
    fn a_unit_without_a_file_says_why() {
        let b = StatusBlock {
            unit: "bad.timer".into(),
            description: "bad.timer".into(),
            load_state: "bad-setting".into(),
            active_state: "inactive".into(),
            sub_state: "dead".into(),
            ..StatusBlock::default()
        };
        assert!(
            status(&b).starts_with(
                "○ bad.timer\n     \
                 Loaded: bad-setting (Reason: Unit bad.timer has a bad unit file setting.)\n"
            ),
            "{}",
            status(&b)
        );
    }

    #[test]
    fn a_running_unit_shows_no_result_of_an_earlier_run() {
        let mut b = StatusBlock {
            unit: "flaky.service".into(),
            description: "flaky.service".into(),
            load_state: "loaded".into(),
            active_state: "active".into(),
            sub_state: "running".into(),
            last_result: Some(RunResult::ExitCode),
            ..StatusBlock::default()
        };
        assert_eq!(
            status(&b),
            "● flaky.service\n     Loaded: loaded\n     Active: active (running)\n"
        );
        // Waiting to be restarted after that failure, it does.
        b.active_state = "activating".into();
        b.sub_state = "auto-restart".into();
        assert!(
            status(&b).contains("Active: activating (auto-restart) (Result: exit-code)\n"),
            "{}",
            status(&b)
        );
    }

    #[test]
    fn exit_status_words() {
        assert_eq!(
            exit_status_text(ExitStatus::Code(0), Some(RunResult::Success)),
            "code=exited, status=0/SUCCESS"
        );
        // LSB and BSD codes are not named by systemctl status.
        assert_eq!(
            exit_status_text(ExitStatus::Code(75), None),
            "code=exited, status=75"
        );
        assert_eq!(
            exit_status_text(ExitStatus::Signal(9), Some(RunResult::Signal)),
            "code=killed, signal=KILL"
        );
        assert_eq!(
            exit_status_text(ExitStatus::Signal(6), Some(RunResult::CoreDump)),
            "code=dumped, signal=ABRT"
        );
    }

    #[test]
    fn inactive_timer_without_next_elapse_and_exit_codes() {
        let mut b = timer();
        b.active_state = "inactive".into();
        b.sub_state = "dead".into();
        b.state_change_usec = None;
        b.next_elapse_usec = None;
        b.unit_file_state = None;
        assert_eq!(
            status(&b),
            "○ backup.timer - Nightly backup\n     \
             Loaded: loaded (/etc/sundial/system/backup.timer)\n     \
             Active: inactive (dead)\n    \
             Trigger: n/a\n   \
             Triggers: ● backup.service\n"
        );
        let missing = StatusBlock {
            unit: "nope.service".into(),
            load_state: "not-found".into(),
            active_state: "inactive".into(),
            ..StatusBlock::default()
        };
        assert_eq!(status_exit_code(&[timer()]), 0);
        assert_eq!(status_exit_code(&[timer(), b.clone()]), 3);
        assert_eq!(status_exit_code(&[missing.clone(), b.clone()]), 4);
        // Without a file but failed (a file deleted since the run): shown.
        let gone = StatusBlock {
            active_state: "failed".into(),
            sub_state: "failed".into(),
            last_result: Some(RunResult::ExitCode),
            ..missing
        };
        assert!(status(&gone).starts_with(
            "× nope.service\n     \
             Loaded: not-found (Reason: Unit nope.service not found.)\n     \
             Active: failed (Result: exit-code)\n"
        ));
        assert_eq!(status_exit_code(&[gone, b]), 3);
    }
}
