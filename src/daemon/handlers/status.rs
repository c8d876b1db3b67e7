//! `status`: the systemctl status block of each unit, with its last log lines.

use super::access::LogAccess;
use super::{glob_match, is_enabled, is_glob, unit_name};
use crate::daemon::state::State;
use crate::ipc::types::{CommandRow, LogLine, PathRow, ProcessRow, StatusBlock, UsageRow};
use crate::ipc::{Peer, Response};
use crate::store::{LogQuery, RunResult};
use crate::supervisor::ActiveState;
use crate::unit::Unit;

/// systemctl's default `-n`.
const DEFAULT_LINES: u32 = 10;

/// Answers `status`. Without units: every unit that is not inactive.
///
/// Each block's log lines are those `peer` may read ([`LogAccess`]):
/// none for a unit that runs as another user, in the system daemon.
pub fn status(state: &mut State, units: &[String], lines: Option<u32>, peer: &Peer) -> Response {
    let access = LogAccess::of(state.paths.scope, peer);
    // Lines read but not written yet belong in the answer.
    state.sync_logs_briefly();
    let names: Vec<String> = if units.is_empty() {
        state
            .all_units()
            .into_iter()
            .filter(|n| state.active_state(n).0 != ActiveState::Inactive)
            .collect()
    } else {
        // A pattern stands for the loaded units it matches, as in systemctl.
        let all = state.all_units();
        units
            .iter()
            .map(|u| unit_name(u))
            .flat_map(|n| {
                if is_glob(&n) {
                    all.iter().filter(|u| glob_match(&n, u)).cloned().collect()
                } else {
                    vec![n]
                }
            })
            .collect()
    };
    let mut blocks = Vec::with_capacity(names.len());
    for name in names {
        // An instance nothing has started yet is loaded from its template, as
        // systemd loads a unit a client asks about. A unit that does not
        // exist gets a block too, with LoadState not-found: systemctl reports
        // it and goes on with the others.
        if !state.knows(&name) {
            state.units.load_extra(&name);
        }
        let lines = if access.admits(state, state.units.canonical(&name)) {
            lines.unwrap_or(DEFAULT_LINES)
        } else {
            0
        };
        blocks.push(block(state, &name, lines));
    }
    Response::Status { units: blocks }
}

/// The block of one unit.
pub fn block(state: &mut State, name: &str, lines: u32) -> StatusBlock {
    let name = state.units.canonical(name).to_owned();
    let (active, sub) = state.active_state(&name);
    let mut b = StatusBlock {
        unit: name.clone(),
        description: state.description(&name),
        load_state: state.units.load_state(&name).to_string(),
        active_state: active.to_string(),
        sub_state: sub.to_owned(),
        state_change_usec: state.runs.state_change(&name).map(|t| t.as_usec()),
        unit_file_state: Some(is_enabled(state, &name)),
        cluster: crate::daemon::cluster::describe_unit(state, &name),
        ..StatusBlock::default()
    };
    if let Some(unit) = state.units.get(&name) {
        b.fragment_path = unit
            .source()
            .fragment
            .as_ref()
            .map(|p| p.display().to_string());
        b.drop_in_paths = unit
            .source()
            .dropins
            .iter()
            .map(|p| p.display().to_string())
            .collect();
    }
    match state.units.get(&name) {
        Some(Unit::Timer(t)) => b.triggers = vec![t.triggers.as_str().to_owned()],
        Some(Unit::Socket(s)) => {
            b.triggers = socket_triggers(state, s);
            b.listen = s
                .socket
                .listen
                .iter()
                .map(|l| format!("{} ({})", l.address, l.kind.type_word()))
                .collect();
            if s.socket.accept {
                let active = state.sockets.active.get(s.name.as_str());
                b.connections = Some(active.map_or([0; 3], |a| {
                    [a.n_accepted, a.instances.len() as u64, a.n_refused]
                }));
            }
        }
        _ => {}
    }
    if let Some(timer) = state.scheduler.timer(&name) {
        let now = state.now();
        b.next_elapse_usec = timer.next_elapse(&now).map(|t| t.as_usec());
        b.triggers = vec![timer.unit.triggers.as_str().to_owned()];
    }
    if let Some(Unit::Path(p)) = state.units.get(&name) {
        b.triggers = vec![p.triggers.as_str().to_owned()];
        b.paths = p
            .path
            .specs
            .iter()
            .map(|s| PathRow {
                path: s.path.display().to_string(),
                condition: s.condition.directive().to_owned(),
            })
            .collect();
    }
    b.triggered_by = state
        .units
        .loaded
        .triggered_by(&name)
        .into_iter()
        .map(str::to_owned)
        .collect();
    b.triggered_by.extend(sockets_triggering(state, &name));
    if let Some(s) = state.supervisor.status(&name) {
        b.invocation = s.invocation_id.parse().ok();
        // Once the main process has exited, the last one with how it ended.
        let exited_main = s.exec_main_pid.filter(|_| s.main_exit.is_some());
        b.main_pid = s.main_pid.or(exited_main).map(|p| p.as_raw() as u32);
        b.exit_status = s.main_exit.map(crate::daemon::runs::exit_status);
        b.commands = state
            .supervisor
            .ended_commands(&name)
            .iter()
            .map(|c| CommandRow {
                pid: c.pid.as_raw() as u32,
                directive: c.directive.to_owned(),
                command: c.command.clone(),
                exit_status: crate::daemon::runs::exit_status(c.exit),
            })
            .collect();
        b.control_group = state.supervisor.control_group(&name);
        b.usage = state.supervisor.usage(&name).map(|u| UsageRow {
            memory_current: u.memory_current,
            memory_peak: u.memory_peak,
            cpu_nsec: u.cpu_nsec,
            tasks: u.tasks,
            tasks_max: u.tasks_max,
            ip: u.ip.map(|ip| crate::ipc::types::IpUsageRow {
                ingress_bytes: ip.ingress_bytes,
                ingress_packets: ip.ingress_packets,
                egress_bytes: ip.egress_bytes,
                egress_packets: ip.egress_packets,
            }),
        });
        b.processes = state
            .supervisor
            .processes(&name)
            .into_iter()
            .map(|pid| ProcessRow {
                pid: pid.as_raw() as u32,
                command: command_line(pid.as_raw()),
            })
            .collect();
    }
    b.last_result = state.last_result(&name);
    // A failed unit's result is the supervisor's, which may come after the
    // last run: a restart refused by the start limit is 'start-limit-hit'.
    if active == ActiveState::Failed {
        let current = state
            .supervisor
            .status(&name)
            .and_then(|s| s.result.as_str().parse::<RunResult>().ok());
        if current.is_some() {
            b.last_result = current;
        }
    }
    if lines > 0 {
        let query = LogQuery {
            units: vec![name.clone()],
            last: Some(lines as usize),
            ..LogQuery::default()
        };
        match state.store.logs(&query) {
            Ok(entries) => b.recent_logs = entries.into_iter().map(LogLine::from).collect(),
            Err(e) => crate::daemon::state::report(format!("{name}: cannot read its log: {e}")),
        }
    }
    b
}

/// A process's command line from /proc, as `ps` shows it.
fn command_line(pid: i32) -> String {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|bytes| {
            bytes
                .split(|b| *b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

/// The services a socket unit triggers: its service, or with Accept=yes
/// the instances running for its connections (systemd lists those).
pub(super) fn socket_triggers(state: &State, s: &crate::unit::SocketUnit) -> Vec<String> {
    if !s.socket.accept {
        return vec![s.triggers.as_str().to_owned()];
    }
    state
        .sockets
        .active
        .get(s.name.as_str())
        .map(|a| a.instances.keys().cloned().collect())
        .unwrap_or_default()
}

/// The loaded socket units that trigger `service` (or started the instance
/// `service` for a connection).
pub(super) fn sockets_triggering(state: &State, service: &str) -> Vec<String> {
    let mut names: Vec<String> = state
        .units
        .loaded
        .units
        .values()
        .filter_map(|u| match u {
            Unit::Socket(s) if !s.socket.accept && s.triggers.as_str() == service => {
                Some(s.name.as_str().to_owned())
            }
            _ => None,
        })
        .collect();
    for n in state.sockets.triggering(service) {
        if !names.contains(&n) {
            names.push(n);
        }
    }
    names.sort();
    names
}
