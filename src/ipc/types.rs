//! The data carried by responses: plain serde structs, one per kind of row.
//!
//! Times are realtime microseconds since the epoch (`*_usec`), as in the store;
//! the client formats them in its own time zone.

use serde::{Deserialize, Serialize};

use crate::activation::Activation;
use crate::store::{ExitStatus, InvocationId, LogEntry, Run, RunResult, Stream};

/// A row of `list-timers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimerRow {
    /// The timer, e.g. `backup.timer`.
    pub unit: String,
    /// The units it activates (ACTIVATES).
    pub activates: Vec<String>,
    /// Its next elapse (NEXT); `None` when it will not elapse again.
    pub next_elapse_usec: Option<i64>,
    /// Its last trigger (LAST); `None` if it never triggered.
    pub last_trigger_usec: Option<i64>,
    /// The result of the activated service's last run (RESULT, a sundial column).
    pub last_result: Option<RunResult>,
    /// For an `X-Sundial-Cluster=once` timer: the node that holds its
    /// newest elapse (NODE, shown when a timer has one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
}

/// A row of `list-sockets`: one listening address of a socket unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocketRow {
    /// The address (LISTEN): `/run/x.sock`, `127.0.0.1:80`, `@name`.
    pub listen: String,
    /// systemd's type word (TYPE): `Stream`, `Datagram`, `FIFO`, ...
    pub kind: String,
    /// The socket unit (UNIT).
    pub unit: String,
    /// What it activates (ACTIVATES).
    pub activates: Vec<String>,
}

/// A row of `list-units`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitRow {
    /// The unit name.
    pub unit: String,
    /// LOAD: loaded, not-found, bad-setting, error, masked.
    pub load_state: String,
    /// ACTIVE: active, reloading, inactive, failed, activating, deactivating.
    pub active_state: String,
    /// SUB: the type-specific state (running, exited, waiting, elapsed, dead...).
    pub sub_state: String,
    /// DESCRIPTION.
    pub description: String,
}

/// One unit's answer to `is-active`, `is-enabled` or `is-failed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitState {
    /// The unit as asked.
    pub unit: String,
    /// Its load state (`loaded`, `not-found`, `masked`, ...): `is-active` and
    /// `is-failed` exit with 4 when every unit asked for is `not-found`.
    #[serde(default)]
    pub load_state: String,
    /// The state word systemctl prints (`active`, `inactive`, `enabled`,
    /// `disabled`, `static`, `masked`, `failed`, ...); the client derives the
    /// exit code from it.
    pub state: String,
}

/// A row of `history`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRow {
    /// The service.
    pub unit: String,
    /// Its invocation id.
    pub invocation: InvocationId,
    /// What started it, as its label.
    #[serde(with = "crate::activation::as_label")]
    pub trigger: Activation,
    /// When it started.
    pub start_usec: i64,
    /// When it ended; `None` while it runs.
    pub end_usec: Option<i64>,
    /// How it ended; `None` while it runs.
    pub result: Option<RunResult>,
    /// The main process's exit status or killing signal.
    pub status: Option<ExitStatus>,
    /// Its peak memory in bytes, where a memory controller counted it.
    #[serde(default)]
    pub memory_peak: Option<u64>,
    /// Its CPU time in µs, where its cgroups counted it.
    #[serde(default)]
    pub cpu_usec: Option<u64>,
}

impl From<Run> for RunRow {
    fn from(run: Run) -> RunRow {
        RunRow {
            unit: run.unit,
            invocation: run.invocation,
            trigger: run.trigger,
            start_usec: run.start.as_usec(),
            end_usec: run.end.map(|t| t.as_usec()),
            result: run.outcome.map(|o| o.result),
            status: run.outcome.and_then(|o| o.status),
            memory_peak: run.usage.memory_peak,
            cpu_usec: run.usage.cpu_usec,
        }
    }
}

/// A captured line, for `logs` and `status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// Position in the log; a client following resumes after it.
    pub cursor: i64,
    /// The unit that printed it.
    pub unit: String,
    /// The run it belongs to.
    pub invocation: Option<InvocationId>,
    /// stdout or stderr.
    pub stream: Stream,
    /// When the daemon read it.
    pub timestamp_usec: i64,
    /// The text.
    pub line: String,
    /// Its syslog priority, 0 (emerg) to 7 (debug).
    #[serde(default = "info")]
    pub priority: u8,
}

/// A line's priority when a daemon does not say (info).
fn info() -> u8 {
    crate::unit::SyslogLevel::Info.number()
}

impl From<LogEntry> for LogLine {
    fn from(entry: LogEntry) -> LogLine {
        LogLine {
            cursor: entry.cursor,
            unit: entry.unit,
            invocation: entry.invocation,
            stream: entry.stream,
            timestamp_usec: entry.at.as_usec(),
            line: entry.line,
            priority: entry.priority.number(),
        }
    }
}

/// A process of a unit, for the status block's process list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessRow {
    /// Its pid.
    pub pid: u32,
    /// Its command line.
    pub command: String,
}

/// A service's cgroup counters; None where no hierarchy counts one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageRow {
    pub memory_current: Option<u64>,
    pub memory_peak: Option<u64>,
    pub cpu_nsec: Option<u64>,
    pub tasks: Option<u64>,
    pub tasks_max: Option<u64>,
    /// `IPAccounting=`'s counts, where it is on.
    #[serde(default)]
    pub ip: Option<IpUsageRow>,
}

/// Bytes and packets a service received and sent (`IPAccounting=`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpUsageRow {
    pub ingress_bytes: u64,
    pub ingress_packets: u64,
    pub egress_bytes: u64,
    pub egress_packets: u64,
}

/// A command of a service's current start that has ended, for the status
/// block's `Process:` lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandRow {
    pub pid: u32,
    /// `ExecStartPre`, `ExecStart`, ...
    pub directive: String,
    /// Its argument vector, joined by spaces.
    pub command: String,
    pub exit_status: ExitStatus,
}

/// What `systemctl status` shows for one unit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusBlock {
    /// The unit name.
    pub unit: String,
    /// Description=.
    pub description: String,
    /// loaded, not-found, masked, ...
    pub load_state: String,
    /// The unit file.
    pub fragment_path: Option<String>,
    /// Drop-in files, in the order applied.
    pub drop_in_paths: Vec<String>,
    /// enabled, disabled, static, masked, ...
    pub unit_file_state: Option<String>,
    /// active, inactive, failed, ...
    pub active_state: String,
    /// running, exited, waiting, dead, ...
    pub sub_state: String,
    /// When the active state last changed ("since ...").
    pub state_change_usec: Option<i64>,
    /// The current or last run.
    pub invocation: Option<InvocationId>,
    /// Triggers= (a timer's service).
    pub triggers: Vec<String>,
    /// TriggeredBy= (a service's timers).
    pub triggered_by: Vec<String>,
    /// A timer's next elapse ("Trigger:").
    pub next_elapse_usec: Option<i64>,
    /// A socket's addresses with their type (`Listen: /run/x.sock
    /// (Stream)`).
    #[serde(default)]
    pub listen: Vec<String>,
    /// An Accept=yes socket's counts: accepted, connected now, refused
    /// (`Accepted: 5; Connected: 1;`).
    #[serde(default)]
    pub connections: Option<[u64; 3]>,
    /// A path unit's watched paths ("Path:").
    #[serde(default)]
    pub paths: Vec<PathRow>,
    /// A service's main process; once it has exited, the last one (with
    /// `exit_status`), as systemctl shows `Main PID: 42 (code=exited, ...)`.
    pub main_pid: Option<u32>,
    /// How the last main process ended, once it has.
    #[serde(default)]
    pub exit_status: Option<ExitStatus>,
    /// The commands of the current start that have ended.
    #[serde(default)]
    pub commands: Vec<CommandRow>,
    /// The service's processes.
    pub processes: Vec<ProcessRow>,
    /// Its cgroup below the mount point (`CGroup:`), while it has one.
    #[serde(default)]
    pub control_group: Option<String>,
    /// Its cgroups' counters (`Tasks:`, `Memory:`, `CPU:`), while it has
    /// cgroups.
    #[serde(default)]
    pub usage: Option<UsageRow>,
    /// The result of the last run.
    pub last_result: Option<RunResult>,
    /// The unit's last log lines.
    pub recent_logs: Vec<LogLine>,
    /// A cluster unit's line (`Cluster:`): how it is coordinated, this
    /// node, and whether the node does cluster work now (or why not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
}

/// One watched path of a path unit: `status` and `list-paths`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathRow {
    /// The path (a glob for `PathExistsGlob=`).
    pub path: String,
    /// The directive that watches it (`DirectoryNotEmpty`).
    pub condition: String,
}

/// A property of `show`, as `Name=value`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Property {
    /// The property name, e.g. `ActiveState`.
    pub name: String,
    /// Its value as systemctl prints it.
    pub value: String,
}

/// The properties of one unit, in the order shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitProperties {
    /// The unit name.
    pub unit: String,
    /// Its properties.
    pub properties: Vec<Property>,
}

/// One file of `cat`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitFile {
    /// The path, printed as `# /path`.
    pub path: String,
    /// The file's text.
    pub text: String,
}

/// The files of one unit: the fragment, then its drop-ins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitFiles {
    /// The unit name.
    pub unit: String,
    /// Its files.
    pub files: Vec<UnitFile>,
}

/// A node of `list-dependencies`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DependencyNode {
    /// The unit name.
    pub unit: String,
    /// Its active state (the tree's colored dot).
    pub active_state: String,
    /// Its dependencies (or, reversed, its dependents).
    pub children: Vec<DependencyNode>,
}

/// What a file change did, as systemctl reports enable/disable/mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileChangeKind {
    /// `Created symlink PATH → TARGET.`
    Symlink,
    /// `Removed "PATH".`
    Unlink,
}

/// One file change of enable, disable, mask or unmask.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChange {
    /// Symlink or unlink.
    pub kind: FileChangeKind,
    /// The link's path.
    pub path: String,
    /// Where a new symlink points.
    pub target: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::RunOutcome;
    use sundial_calendar::Timestamp;

    #[test]
    fn run_row_from_store_run() {
        let run = Run {
            id: 4,
            unit: "a.service".into(),
            invocation: InvocationId::from_u128(0xabc),
            trigger: "timer:a.timer".parse().expect("a label"),
            start: Timestamp::from_secs(10),
            end: Some(Timestamp::from_secs(12)),
            outcome: Some(RunOutcome {
                result: RunResult::ExitCode,
                status: Some(ExitStatus::Code(3)),
            }),
            usage: crate::store::RunUsage {
                memory_peak: Some(4096),
                cpu_usec: None,
            },
        };
        let row = RunRow::from(run);
        assert_eq!(row.memory_peak, Some(4096));
        assert_eq!(row.end_usec, Some(12_000_000));
        assert_eq!(row.status, Some(ExitStatus::Code(3)));
        let json = serde_json::to_value(&row).unwrap();
        assert_eq!(json["trigger"], "timer:a.timer");
        assert_eq!(json["result"], "exit-code");
        assert_eq!(json["status"], serde_json::json!({"code": 3}));
        assert_eq!(json["invocation"], format!("{:032x}", 0xabc));
        assert_eq!(serde_json::from_value::<RunRow>(json).unwrap(), row);
    }

    #[test]
    fn log_line_from_store_entry() {
        let entry = LogEntry {
            cursor: 9,
            unit: "a.service".into(),
            invocation: None,
            stream: Stream::Stderr,
            at: Timestamp::from_usec(5),
            line: "boom".into(),
            priority: crate::unit::SyslogLevel::Info,
        };
        let line = LogLine::from(entry);
        assert_eq!(line.timestamp_usec, 5);
        let json = serde_json::to_value(&line).unwrap();
        assert_eq!(json["stream"], "stderr");
        assert_eq!(serde_json::from_value::<LogLine>(json).unwrap(), line);
    }
}
