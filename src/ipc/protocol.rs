//! The messages: a versioned envelope around a request or a response.
//!
//! A request frame holds `{"version": 1, "request": {"type": "start", ...}}`, a
//! response frame `{"version": 1, "response": {"type": "done", ...}}`. The version
//! is in every request, so a client and a daemon of different releases find out
//! at the first request, and the daemon answers with an error naming both
//! versions instead of misreading fields. Framing is in [`super::frame`].

use serde::{Deserialize, Serialize};

pub use super::frame::{
    encode_frame, read_frame, read_frame_blocking, write_frame, write_frame_blocking, FrameError,
};
use super::types::{
    DependencyNode, FileChange, LogLine, RunRow, SocketRow, StatusBlock, TimerRow, UnitFiles,
    UnitProperties, UnitRow, UnitState,
};

/// The protocol version this build speaks.
pub const PROTOCOL_VERSION: u32 = 1;

/// The largest request frame body the daemon reads: requests are small.
pub const MAX_REQUEST_FRAME: usize = 1 << 20;

/// The largest response frame body a client reads: `cat` of big unit files or a
/// `status` of many units; log lines come in several frames.
pub const MAX_RESPONSE_FRAME: usize = 16 << 20;

/// The request as sent: version plus request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestEnvelope {
    /// [`PROTOCOL_VERSION`] of the sender.
    pub version: u32,
    /// The request.
    pub request: Request,
}

/// The response as sent: version plus response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseEnvelope {
    /// [`PROTOCOL_VERSION`] of the daemon.
    pub version: u32,
    /// The response.
    pub response: Response,
}

/// A [`ResponseEnvelope`] that borrows its response: the same bytes on the
/// wire, without copying a listing of a hundred thousand rows to send it.
#[derive(Debug, Serialize)]
pub struct ResponseEnvelopeRef<'a> {
    pub version: u32,
    pub response: &'a Response,
}

pub use crate::supervisor::KillWhom;

/// A client's request, named after the systemctl (or journalctl) verb. A
/// request with arguments carries them in a struct of its own (pueue's
/// way); on the wire its fields stand beside `type`, as they always did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Request {
    /// `start UNIT...`
    Start(UnitsRequest),
    /// `stop UNIT...`
    Stop(UnitsRequest),
    /// `restart UNIT...`
    Restart(UnitsRequest),
    /// `reload UNIT...`
    Reload(UnitsRequest),
    /// `try-restart UNIT...`: restart only running units.
    TryRestart(UnitsRequest),
    /// `reload-or-restart UNIT...`
    ReloadOrRestart(UnitsRequest),
    /// `isolate UNIT`: start the unit and what it pulls in, stop every other
    /// active unit (systemctl isolate).
    Isolate(IsolateRequest),
    /// `kill --signal=N [--kill-whom=W] UNIT...`
    Kill(KillRequest),
    /// `status [UNIT...]`; `lines` = `-n`, the number of log lines shown.
    Status(StatusRequest),
    /// `list-timers [--all] [PATTERN...]`
    ListTimers(ListTimersRequest),
    /// `list-units [--all] [--type=T] [--state=S] [PATTERN...]`
    ListUnits(ListUnitsRequest),
    /// `list-sockets [--all] [PATTERN...]`
    ListSockets(ListTimersRequest),
    /// `show [-p PROP...] [UNIT...]`; no units = the manager's properties.
    Show(ShowRequest),
    /// `cat UNIT...`
    Cat(UnitsRequest),
    /// `list-dependencies [--reverse] UNIT`
    ListDependencies(ListDependenciesRequest),
    /// `enable [--now] UNIT...`
    Enable(EnablementRequest),
    /// `disable [--now] UNIT...`
    Disable(EnablementRequest),
    /// `mask UNIT...`
    Mask(UnitsRequest),
    /// `unmask UNIT...`
    Unmask(UnitsRequest),
    /// `is-active UNIT...`
    IsActive(UnitsRequest),
    /// `is-enabled UNIT...`
    IsEnabled(UnitsRequest),
    /// `is-failed UNIT...`
    IsFailed(UnitsRequest),
    /// `reset-failed [UNIT...]`
    ResetFailed(ResetFailedRequest),
    /// `daemon-reload`
    DaemonReload,
    /// `daemon-reexec`: the daemon executes itself again, keeping its
    /// services running. No reply on success: the connection closes with
    /// the old program.
    DaemonReexec,
    /// `logs [-u UNIT...] [-f] [-n N] [--since T] [--until T] [--invocation ID]
    /// [-p FROM..TO]`; times already parsed by the client into realtime µs
    /// (`-b` too: it is a `--since`).
    Logs(LogsRequest),
    /// `history [UNIT] [-n LIMIT]`
    History(HistoryRequest),
    /// `show-environment`: the manager environment every service starts from.
    ShowEnvironment,
    /// `set-environment NAME=VALUE...`
    SetEnvironment(SetEnvironmentRequest),
    /// `unset-environment NAME|NAME=VALUE...`
    UnsetEnvironment(UnsetEnvironmentRequest),
    /// `run [OPTIONS] COMMAND...`: a transient service, and a transient timer
    /// for it when `timer_properties` has any (systemd-run).
    Run(RunRequest),
    /// `history --cluster [UNIT] [-n LIMIT]`: the runs of the cluster's
    /// shared table, on every node.
    ClusterHistory(HistoryRequest),
    /// `cluster status`: the nodes, their heartbeats and what each runs.
    ClusterStatus,
}

/// The units of a verb that takes a list of them and nothing else (`start`,
/// `stop`, `cat`, `mask`, `is-active` ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitsRequest {
    pub units: Vec<String>,
}

/// `isolate UNIT`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IsolateRequest {
    pub unit: String,
}

/// `kill --signal=N [--kill-whom=W] UNIT...`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KillRequest {
    pub units: Vec<String>,
    pub signal: i32,
    #[serde(default)]
    pub whom: KillWhom,
}

/// `status [UNIT...]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusRequest {
    pub units: Vec<String>,
    #[serde(default)]
    pub lines: Option<u32>,
}

/// `list-timers [--all] [PATTERN...]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListTimersRequest {
    #[serde(default)]
    pub all: bool,
    #[serde(default)]
    pub patterns: Vec<String>,
}

/// `list-units [--all] [--type=T] [--state=S] [PATTERN...]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListUnitsRequest {
    #[serde(default)]
    pub all: bool,
    #[serde(default)]
    pub types: Vec<String>,
    #[serde(default)]
    pub states: Vec<String>,
    #[serde(default)]
    pub patterns: Vec<String>,
}

/// `show [-p PROP...] [UNIT...]`; no units = the manager's properties.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShowRequest {
    pub units: Vec<String>,
    #[serde(default)]
    pub properties: Vec<String>,
}

/// `list-dependencies [--reverse] UNIT`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListDependenciesRequest {
    pub unit: String,
    #[serde(default)]
    pub reverse: bool,
}

/// `enable [--now] UNIT...` and `disable [--now] UNIT...`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnablementRequest {
    pub units: Vec<String>,
    #[serde(default)]
    pub now: bool,
}

/// `reset-failed [UNIT...]`; no units: every failed unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetFailedRequest {
    #[serde(default)]
    pub units: Vec<String>,
}

/// `logs [-u UNIT...] [-f] [-n N] [--since T] [--until T] [--invocation ID]
/// [-p FROM..TO]`; times already parsed by the client into realtime µs
/// (`-b` too: it is a `--since`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogsRequest {
    #[serde(default)]
    pub units: Vec<String>,
    #[serde(default)]
    pub follow: bool,
    #[serde(default)]
    pub lines: Option<u64>,
    #[serde(default)]
    pub since_usec: Option<i64>,
    #[serde(default)]
    pub until_usec: Option<i64>,
    #[serde(default)]
    pub invocation: Option<String>,
    /// `-p`: only lines whose priority lies in `[high, low]`, numbers
    /// 0 (emerg) to 7 (debug).
    #[serde(default)]
    pub priorities: Option<[u8; 2]>,
}

/// `history [UNIT] [-n LIMIT]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryRequest {
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub limit: Option<u32>,
}

/// `set-environment NAME=VALUE...`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetEnvironmentRequest {
    pub assignments: Vec<String>,
}

/// `unset-environment NAME|NAME=VALUE...`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnsetEnvironmentRequest {
    pub names: Vec<String>,
}

/// `run [OPTIONS] COMMAND...`: a transient service, and a transient timer
/// for it when `timer_properties` has any (systemd-run).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// `--unit`: the name, with or without its suffix; none: the daemon
    /// makes one up (`run-r<32 hex digits>`).
    #[serde(default)]
    pub unit: Option<String>,
    /// The command; `command[0]` is an absolute path (the client searched
    /// its `$PATH`).
    pub command: Vec<String>,
    /// `[Unit]` and `[Service]` assignments, unit-file syntax (`-p`, and
    /// what the client made of its other options).
    #[serde(default)]
    pub properties: Vec<String>,
    /// `[Unit]` and `[Timer]` assignments of the timer.
    #[serde(default)]
    pub timer_properties: Vec<String>,
    /// `$VAR` in the command expands when it starts (systemd-run's
    /// `--expand-environment`, on by default).
    #[serde(default = "yes")]
    pub expand_environment: bool,
    /// Answer once the unit is queued, not when its start job is done.
    #[serde(default)]
    pub no_block: bool,
    /// `--wait`: the reply is a stream: [`Response::Transient`] when the
    /// service has started, [`Response::Finished`] when it is done.
    #[serde(default)]
    pub wait: bool,
}

impl RunRequest {
    /// Whether a timer is made too.
    pub fn with_timer(&self) -> bool {
        !self.timer_properties.is_empty()
    }
}

fn yes() -> bool {
    true
}

impl Request {
    /// The `type` names of every request, as on the wire.
    pub const KINDS: &'static [&'static str] = &[
        "start",
        "stop",
        "restart",
        "reload",
        "try-restart",
        "reload-or-restart",
        "isolate",
        "kill",
        "status",
        "list-timers",
        "list-units",
        "list-sockets",
        "show",
        "cat",
        "list-dependencies",
        "enable",
        "disable",
        "mask",
        "unmask",
        "is-active",
        "is-enabled",
        "is-failed",
        "reset-failed",
        "daemon-reload",
        "daemon-reexec",
        "logs",
        "history",
        "show-environment",
        "set-environment",
        "unset-environment",
        "run",
        "cluster-history",
        "cluster-status",
    ];

    /// Whether the request only reads state; in system mode, users other than
    /// root may send only these.
    pub fn is_read_only(&self) -> bool {
        match self {
            Request::Status(StatusRequest { .. })
            | Request::ListTimers(ListTimersRequest { .. })
            | Request::ListUnits(ListUnitsRequest { .. })
            | Request::ListSockets(ListTimersRequest { .. })
            | Request::Show(ShowRequest { .. })
            | Request::Cat(UnitsRequest { .. })
            | Request::ListDependencies(ListDependenciesRequest { .. })
            | Request::IsActive(UnitsRequest { .. })
            | Request::IsEnabled(UnitsRequest { .. })
            | Request::IsFailed(UnitsRequest { .. })
            | Request::Logs(LogsRequest { .. })
            | Request::History(HistoryRequest { .. })
            | Request::ShowEnvironment
            | Request::ClusterHistory(HistoryRequest { .. })
            | Request::ClusterStatus => true,
            Request::Start(UnitsRequest { .. })
            | Request::Stop(UnitsRequest { .. })
            | Request::Restart(UnitsRequest { .. })
            | Request::Reload(UnitsRequest { .. })
            | Request::TryRestart(UnitsRequest { .. })
            | Request::ReloadOrRestart(UnitsRequest { .. })
            | Request::Isolate(IsolateRequest { .. })
            | Request::Kill(KillRequest { .. })
            | Request::Enable(EnablementRequest { .. })
            | Request::Disable(EnablementRequest { .. })
            | Request::Mask(UnitsRequest { .. })
            | Request::Unmask(UnitsRequest { .. })
            | Request::ResetFailed(ResetFailedRequest { .. })
            | Request::DaemonReload
            | Request::DaemonReexec
            | Request::SetEnvironment(SetEnvironmentRequest { .. })
            | Request::UnsetEnvironment(UnsetEnvironmentRequest { .. })
            | Request::Run(RunRequest { .. }) => false,
        }
    }

    /// Whether the reply is a stream of frames ending when the daemon closes
    /// the connection: `logs`, so that any number of lines fits in bounded
    /// frames (without `follow` the daemon closes after the last matching
    /// line), and `run --wait` (started, then finished).
    pub fn streams(&self) -> bool {
        matches!(
            self,
            Request::Logs(LogsRequest { .. }) | Request::Run(RunRequest { wait: true, .. })
        )
    }
}

/// Why a request failed; the client maps these to exit codes and messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorCode {
    /// The frame held no valid request envelope (bad JSON, missing fields).
    BadRequest,
    /// The request `type` is not one this daemon knows.
    UnknownRequest,
    /// The envelope's version is not [`PROTOCOL_VERSION`].
    UnsupportedVersion,
    /// The frame's length exceeds the limit; the connection is closed.
    FrameTooLarge,
    /// The connection closed inside a frame.
    Truncated,
    /// The peer may not connect, or may not send this request.
    PermissionDenied,
    /// A named unit does not exist (systemctl's exit code 4).
    NoSuchUnit,
    /// The operation failed (a job failed, a file could not be written).
    Failed,
    /// The daemon cannot take the request now (shutting down, too many clients).
    Busy,
    /// A bug in the daemon.
    Internal,
}

/// The daemon's answer.
///
/// Unlike requests, where an unknown field is an option the daemon would
/// silently ignore, responses tolerate unknown fields: a client shows what it
/// understands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Response {
    /// The request was carried out (start, stop, reload, daemon-reload, ...);
    /// `messages` are warnings to print.
    Done {
        #[serde(default)]
        messages: Vec<String>,
    },
    /// `status`.
    Status { units: Vec<StatusBlock> },
    /// `list-timers`.
    Timers { timers: Vec<TimerRow> },
    /// `list-units`.
    Units { units: Vec<UnitRow> },
    /// `list-sockets`.
    Sockets { sockets: Vec<SocketRow> },
    /// `show`.
    Properties { units: Vec<UnitProperties> },
    /// `cat`.
    Files { units: Vec<UnitFiles> },
    /// `list-dependencies`.
    Dependencies { tree: DependencyNode },
    /// `is-active`, `is-enabled`, `is-failed`.
    States { states: Vec<UnitState> },
    /// `enable`, `disable`, `mask`, `unmask`: the symlinks made and removed.
    FileChanges {
        changes: Vec<FileChange>,
        #[serde(default)]
        messages: Vec<String>,
    },
    /// `logs`: one batch of lines; the reply to `logs` is a batch per frame
    /// until the daemon closes the connection (see [`Request::streams`]).
    Logs { lines: Vec<LogLine> },
    /// `history`.
    Runs { runs: Vec<RunRow> },
    /// `show-environment`: `NAME=value` entries, sorted by name.
    Environment { variables: Vec<String> },
    /// `run`: the transient units made and started.
    Transient {
        service: String,
        /// The timer, when one was made; then the service waits for it.
        #[serde(default)]
        timer: Option<String>,
        /// Warnings about the assignments (directives sundial ignores).
        #[serde(default)]
        messages: Vec<String>,
    },
    /// `run --wait`: how the service ended, in the words of systemd's
    /// properties.
    Finished {
        service: String,
        /// `Result=`: `success`, `exit-code`, `signal`, ...
        result: String,
        /// `ExecMainCode=` as a word: `exited`, `killed` or `dumped`.
        #[serde(default)]
        exit_code: Option<String>,
        /// `ExecMainStatus=`: the exit status, or the signal's name (`TERM`).
        #[serde(default)]
        exit_status: Option<String>,
        /// From leaving the inactive state to entering it again.
        #[serde(default)]
        runtime_usec: Option<u64>,
    },
    /// `history --cluster`: the shared runs, newest first.
    ClusterRuns {
        runs: Vec<crate::cluster::ClusterRun>,
    },
    /// `cluster status`: this node, whether it does cluster work, and every
    /// node the shared tables know.
    ClusterStatus {
        node: String,
        /// `connected`, or why this node runs no cluster units.
        state: String,
        nodes: Vec<crate::cluster::NodeRow>,
    },
    /// The request failed.
    Error { code: ErrorCode, message: String },
}

impl Response {
    /// An error response.
    pub fn error(code: ErrorCode, message: impl Into<String>) -> Response {
        Response::Error {
            code,
            message: message.into(),
        }
    }
}

/// Decodes a request frame body, or says which error to answer with.
pub fn decode_request(body: &[u8]) -> Result<Request, Response> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| Response::error(ErrorCode::BadRequest, format!("malformed JSON: {e}")))?;
    let version = value
        .get("version")
        .ok_or_else(|| Response::error(ErrorCode::BadRequest, "request without \"version\""))?;
    if version.as_u64() != Some(u64::from(PROTOCOL_VERSION)) {
        return Err(Response::error(
            ErrorCode::UnsupportedVersion,
            format!(
                "client speaks protocol version {version}, the daemon speaks {PROTOCOL_VERSION}"
            ),
        ));
    }
    let mut value = value;
    let request = value
        .get_mut("request")
        .map(serde_json::Value::take)
        .ok_or_else(|| Response::error(ErrorCode::BadRequest, "envelope without \"request\""))?;
    if let Some(kind) = request.get("type").and_then(|t| t.as_str()) {
        if !Request::KINDS.contains(&kind) {
            return Err(Response::error(
                ErrorCode::UnknownRequest,
                format!("unknown request type {kind:?}"),
            ));
        }
    }
    serde_json::from_value(request)
        .map_err(|e| Response::error(ErrorCode::BadRequest, format!("invalid request: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn units() -> Vec<String> {
        vec!["a.service".into()]
    }

    #[test]
    fn a_borrowed_envelope_is_the_same_on_the_wire() {
        let response = Response::error(ErrorCode::NoSuchUnit, "Unit a.service not found.");
        let owned = serde_json::to_vec(&ResponseEnvelope {
            version: PROTOCOL_VERSION,
            response: response.clone(),
        })
        .unwrap();
        let borrowed = serde_json::to_vec(&ResponseEnvelopeRef {
            version: PROTOCOL_VERSION,
            response: &response,
        })
        .unwrap();
        assert_eq!(owned, borrowed);
    }

    /// One of every request, in [`Request::KINDS`] order.
    fn every_request() -> Vec<Request> {
        vec![
            Request::Start(UnitsRequest { units: units() }),
            Request::Stop(UnitsRequest { units: units() }),
            Request::Restart(UnitsRequest { units: units() }),
            Request::Reload(UnitsRequest { units: units() }),
            Request::TryRestart(UnitsRequest { units: units() }),
            Request::ReloadOrRestart(UnitsRequest { units: units() }),
            Request::Isolate(IsolateRequest {
                unit: "rescue.target".into(),
            }),
            Request::Kill(KillRequest {
                units: units(),
                signal: 15,
                whom: KillWhom::Main,
            }),
            Request::Status(StatusRequest {
                units: units(),
                lines: Some(5),
            }),
            Request::ListTimers(ListTimersRequest {
                all: true,
                patterns: vec![],
            }),
            Request::ListUnits(ListUnitsRequest {
                all: false,
                types: vec!["timer".into()],
                states: vec!["failed".into()],
                patterns: vec!["a*".into()],
            }),
            Request::ListSockets(ListTimersRequest {
                all: false,
                patterns: vec!["a*".into()],
            }),
            Request::Show(ShowRequest {
                units: units(),
                properties: vec!["ActiveState".into()],
            }),
            Request::Cat(UnitsRequest { units: units() }),
            Request::ListDependencies(ListDependenciesRequest {
                unit: "a.target".into(),
                reverse: true,
            }),
            Request::Enable(EnablementRequest {
                units: units(),
                now: true,
            }),
            Request::Disable(EnablementRequest {
                units: units(),
                now: false,
            }),
            Request::Mask(UnitsRequest { units: units() }),
            Request::Unmask(UnitsRequest { units: units() }),
            Request::IsActive(UnitsRequest { units: units() }),
            Request::IsEnabled(UnitsRequest { units: units() }),
            Request::IsFailed(UnitsRequest { units: units() }),
            Request::ResetFailed(ResetFailedRequest { units: vec![] }),
            Request::DaemonReload,
            Request::DaemonReexec,
            Request::Logs(LogsRequest {
                units: units(),
                follow: true,
                lines: Some(10),
                since_usec: Some(1),
                until_usec: None,
                invocation: Some("0".repeat(32)),
                priorities: Some([3, 4]),
            }),
            Request::History(HistoryRequest {
                unit: None,
                limit: Some(20),
            }),
            Request::ShowEnvironment,
            Request::SetEnvironment(SetEnvironmentRequest {
                assignments: vec!["LANG=C.UTF-8".into()],
            }),
            Request::UnsetEnvironment(UnsetEnvironmentRequest {
                names: vec!["LANG".into()],
            }),
            Request::Run(RunRequest {
                unit: Some("once".into()),
                command: vec!["/bin/sh".into(), "-c".into(), "echo hi".into()],
                properties: vec!["Nice=5".into()],
                timer_properties: vec!["OnActiveSec=1s".into()],
                expand_environment: false,
                no_block: false,
                wait: true,
            }),
            Request::ClusterHistory(HistoryRequest {
                unit: Some("a.timer".into()),
                limit: None,
            }),
            Request::ClusterStatus,
        ]
    }

    fn envelope(request: Request) -> Vec<u8> {
        serde_json::to_vec(&RequestEnvelope {
            version: PROTOCOL_VERSION,
            request,
        })
        .unwrap()
    }

    #[test]
    fn every_request_round_trips_and_is_listed() {
        let all = every_request();
        assert_eq!(all.len(), Request::KINDS.len());
        for (request, kind) in all.into_iter().zip(Request::KINDS) {
            let body = envelope(request.clone());
            let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(value["request"]["type"], *kind);
            assert_eq!(decode_request(&body).unwrap(), request);
        }
    }

    #[test]
    fn only_logs_stream_and_reads_are_classified() {
        let streaming: Vec<_> = every_request()
            .into_iter()
            .filter(Request::streams)
            .collect();
        assert!(
            matches!(
                streaming[..],
                [
                    Request::Logs(LogsRequest { .. }),
                    Request::Run(RunRequest { wait: true, .. })
                ]
            ),
            "{streaming:?}"
        );
        let reads: Vec<_> = every_request()
            .iter()
            .zip(Request::KINDS)
            .filter(|(r, _)| r.is_read_only())
            .map(|(_, kind)| *kind)
            .collect();
        assert_eq!(
            reads,
            [
                "status",
                "list-timers",
                "list-units",
                "list-sockets",
                "show",
                "cat",
                "list-dependencies",
                "is-active",
                "is-enabled",
                "is-failed",
                "logs",
                "history",
                "show-environment",
                "cluster-history",
                "cluster-status"
            ]
        );
    }

    #[test]
    fn wire_format_is_stable() {
        let body = envelope(Request::Kill(KillRequest {
            units: units(),
            signal: 9,
            whom: KillWhom::All,
        }));
        assert_eq!(
            String::from_utf8(body).unwrap(),
            r#"{"version":1,"request":{"type":"kill","units":["a.service"],"signal":9,"whom":"all"}}"#
        );
        let response = ResponseEnvelope {
            version: 1,
            response: Response::error(ErrorCode::NoSuchUnit, "Unit x.service not found."),
        };
        assert_eq!(
            serde_json::to_string(&response).unwrap(),
            r#"{"version":1,"response":{"type":"error","code":"no-such-unit","message":"Unit x.service not found."}}"#
        );
    }

    /// The bytes of every request as the protocol's first release sent them
    /// (and of the requests added since, as they were added): a client of
    /// that release still talks to this daemon, and this client to that
    /// daemon.
    const FIRST_RELEASE_WIRE: &[&str] = &[
        r#"{"version":1,"request":{"type":"start","units":["a.service"]}}"#,
        r#"{"version":1,"request":{"type":"stop","units":["a.service"]}}"#,
        r#"{"version":1,"request":{"type":"restart","units":["a.service"]}}"#,
        r#"{"version":1,"request":{"type":"reload","units":["a.service"]}}"#,
        r#"{"version":1,"request":{"type":"try-restart","units":["a.service"]}}"#,
        r#"{"version":1,"request":{"type":"reload-or-restart","units":["a.service"]}}"#,
        // Added with isolate; the others are unchanged.
        r#"{"version":1,"request":{"type":"isolate","unit":"rescue.target"}}"#,
        r#"{"version":1,"request":{"type":"kill","units":["a.service"],"signal":15,"whom":"main"}}"#,
        r#"{"version":1,"request":{"type":"status","units":["a.service"],"lines":5}}"#,
        r#"{"version":1,"request":{"type":"list-timers","all":true,"patterns":[]}}"#,
        r#"{"version":1,"request":{"type":"list-units","all":false,"types":["timer"],"states":["failed"],"patterns":["a*"]}}"#,
        // Added with socket units; the others are unchanged.
        r#"{"version":1,"request":{"type":"list-sockets","all":false,"patterns":["a*"]}}"#,
        r#"{"version":1,"request":{"type":"show","units":["a.service"],"properties":["ActiveState"]}}"#,
        r#"{"version":1,"request":{"type":"cat","units":["a.service"]}}"#,
        r#"{"version":1,"request":{"type":"list-dependencies","unit":"a.target","reverse":true}}"#,
        r#"{"version":1,"request":{"type":"enable","units":["a.service"],"now":true}}"#,
        r#"{"version":1,"request":{"type":"disable","units":["a.service"],"now":false}}"#,
        r#"{"version":1,"request":{"type":"mask","units":["a.service"]}}"#,
        r#"{"version":1,"request":{"type":"unmask","units":["a.service"]}}"#,
        r#"{"version":1,"request":{"type":"is-active","units":["a.service"]}}"#,
        r#"{"version":1,"request":{"type":"is-enabled","units":["a.service"]}}"#,
        r#"{"version":1,"request":{"type":"is-failed","units":["a.service"]}}"#,
        r#"{"version":1,"request":{"type":"reset-failed","units":[]}}"#,
        r#"{"version":1,"request":{"type":"daemon-reload"}}"#,
        r#"{"version":1,"request":{"type":"daemon-reexec"}}"#,
        r#"{"version":1,"request":{"type":"logs","units":["a.service"],"follow":true,"lines":10,"since_usec":1,"until_usec":null,"invocation":"00000000000000000000000000000000","priorities":[3,4]}}"#,
        r#"{"version":1,"request":{"type":"history","unit":null,"limit":20}}"#,
        r#"{"version":1,"request":{"type":"show-environment"}}"#,
        r#"{"version":1,"request":{"type":"set-environment","assignments":["LANG=C.UTF-8"]}}"#,
        r#"{"version":1,"request":{"type":"unset-environment","names":["LANG"]}}"#,
        r#"{"version":1,"request":{"type":"run","unit":"once","command":["/bin/sh","-c","echo hi"],"properties":["Nice=5"],"timer_properties":["OnActiveSec=1s"],"expand_environment":false,"no_block":false,"wait":true}}"#,
        // Added with cluster timers.
        r#"{"version":1,"request":{"type":"cluster-history","unit":"a.timer","limit":null}}"#,
        r#"{"version":1,"request":{"type":"cluster-status"}}"#,
    ];

    #[test]
    fn every_request_encodes_as_the_first_release_did() {
        let all = every_request();
        assert_eq!(all.len(), FIRST_RELEASE_WIRE.len());
        for (request, wire) in all.into_iter().zip(FIRST_RELEASE_WIRE) {
            assert_eq!(String::from_utf8(envelope(request.clone())).unwrap(), *wire);
            assert_eq!(decode_request(wire.as_bytes()).unwrap(), request);
        }
    }

    #[test]
    fn defaults_fill_optional_fields() {
        let body = json!({"version": 1, "request": {"type": "list-timers"}}).to_string();
        assert_eq!(
            decode_request(body.as_bytes()).unwrap(),
            Request::ListTimers(ListTimersRequest {
                all: false,
                patterns: vec![]
            })
        );
        let body = json!({"version": 1, "request": {"type": "logs"}}).to_string();
        assert!(matches!(
            decode_request(body.as_bytes()),
            Ok(Request::Logs(LogsRequest { follow: false, .. }))
        ));
        let body =
            json!({"version": 1, "request": {"type": "run", "command": ["/bin/true"]}}).to_string();
        assert_eq!(
            decode_request(body.as_bytes()).unwrap(),
            Request::Run(RunRequest {
                unit: None,
                command: vec!["/bin/true".into()],
                properties: vec![],
                timer_properties: vec![],
                expand_environment: true,
                no_block: false,
                wait: false,
            })
        );
    }

    fn code(body: &[u8]) -> ErrorCode {
        match decode_request(body) {
            Err(Response::Error { code, .. }) => code,
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn bad_requests_get_the_right_code() {
        assert_eq!(code(b""), ErrorCode::BadRequest);
        assert_eq!(code(b"{not json"), ErrorCode::BadRequest);
        assert_eq!(code(b"[1,2]"), ErrorCode::BadRequest);
        assert_eq!(
            code(br#"{"request":{"type":"start","units":[]}}"#),
            ErrorCode::BadRequest
        );
        assert_eq!(code(br#"{"version":1}"#), ErrorCode::BadRequest);
        assert_eq!(
            code(br#"{"version":2,"request":{"type":"start","units":[]}}"#),
            ErrorCode::UnsupportedVersion
        );
        assert_eq!(
            code(br#"{"version":"1","request":{}}"#),
            ErrorCode::UnsupportedVersion
        );
        assert_eq!(
            code(br#"{"version":1,"request":{"type":"reboot"}}"#),
            ErrorCode::UnknownRequest
        );
        assert_eq!(
            code(br#"{"version":1,"request":{"type":"start"}}"#),
            ErrorCode::BadRequest
        );
        assert_eq!(
            code(br#"{"version":1,"request":{"type":"start","units":[],"force":true}}"#),
            ErrorCode::BadRequest
        );
        assert_eq!(
            code(br#"{"version":1,"request":{"type":"kill","units":[],"signal":"x"}}"#),
            ErrorCode::BadRequest
        );
        // Deep nesting hits serde_json's recursion limit, not the stack.
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(code(deep.as_bytes()), ErrorCode::BadRequest);
        let message = match decode_request(br#"{"version":7,"request":{}}"#) {
            Err(Response::Error { message, .. }) => message,
            other => panic!("{other:?}"),
        };
        assert!(message.contains('7') && message.contains('1'), "{message}");
    }
}
