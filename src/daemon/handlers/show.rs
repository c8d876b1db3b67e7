//! `show`: properties as `Name=value`, as `systemctl show` prints them. Without
//! units, the manager's own properties, including the daemon's counters
//! (loop wake-ups, timer lateness) that the benchmark reads.

use std::path::PathBuf;

use sundial_calendar::timestamp;
use sundial_calendar::Timestamp;

use super::{is_enabled, unit_name};
use crate::daemon::state::State;
use crate::daemon::units::LoadState;
use crate::ipc::types::{Property, UnitProperties};
use crate::ipc::{Peer, Response};
use crate::unit::{CollectMode, Unit, UnitName};

/// Answers `show`.
pub fn show(state: &mut State, units: &[String], properties: &[String], peer: &Peer) -> Response {
    let mut out = Vec::new();
    if units.is_empty() {
        out.push(UnitProperties {
            unit: String::new(),
            properties: filter(manager(state), properties),
        });
    }
    for raw in units {
        let name = unit_name(raw);
        // As systemctl show: an instance is loaded from its template, and a
        // unit that does not exist is shown with LoadState=not-found.
        if !state.knows(&name) {
            state.units.load_extra(&name);
        }
        let name = state.units.canonical(&name).to_owned();
        let mut all = unit_properties(state, &name);
        // The assignments come from the unit file: a user who may not read
        // the file does not see them (stricter than systemd, which shows
        // Environment= to everyone; a secret there is a mistake, but a
        // common one).
        let fragment = state
            .units
            .get(&name)
            .and_then(|u| u.source().fragment.clone());
        if fragment.is_some_and(|f| !super::access::may_read(&f, peer)) {
            all.retain(|p| p.name != "Environment");
        }
        out.push(UnitProperties {
            properties: filter(all, properties),
            unit: name,
        });
    }
    Response::Properties { units: out }
}

fn filter(all: Vec<Property>, wanted: &[String]) -> Vec<Property> {
    if wanted.is_empty() {
        return all;
    }
    // `-p A,B` may arrive as one string.
    let wanted: Vec<&str> = wanted.iter().flat_map(|w| w.split(',')).collect();
    all.into_iter()
        .filter(|p| wanted.contains(&p.name.as_str()))
        .collect()
}

struct Props(Vec<Property>);

impl Props {
    fn add(&mut self, name: &str, value: impl ToString) {
        self.0.push(Property {
            name: name.to_owned(),
            value: value.to_string(),
        });
    }
}

fn names(list: &[UnitName]) -> String {
    list.iter()
        .map(UnitName::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

fn manager(state: &State) -> Vec<Property> {
    let mut p = Props(Vec::new());
    let stats = &state.stats;
    p.add("Version", env!("CARGO_PKG_VERSION"));
    p.add(
        "Scope",
        match state.paths.scope {
            crate::unit::Scope::System => "system",
            crate::unit::Scope::User => "user",
        },
    );
    p.add(
        "SystemState",
        if state.shutting_down {
            "stopping"
        } else {
            "running"
        },
    );
    // The transient units' directory first, as systemd's
    // /run/systemd/transient.
    p.add(
        "UnitPath",
        std::iter::once(state.transient.dir())
            .chain(state.paths.search_path.dirs.iter().map(PathBuf::as_path))
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(" "),
    );
    p.add("StateDirectory", state.paths.state_dir.display());
    p.add("CgroupMode", state.supervisor.cgroup_mode().as_str());
    p.add("CgroupControllers", state.supervisor.cgroup_controllers());
    p.add("ControlSocket", state.paths.socket.display());
    p.add("NNames", state.units.loaded.units.len());
    p.add("NTimers", state.scheduler.timers().count());
    p.add("NFailedUnits", state.units.loaded.failed.len());
    // sundial's own: the cluster node's name and whether it does cluster
    // work (`connected`, or why not), empty without `[cluster]`.
    p.add("ClusterNode", state.cluster.node().unwrap_or_default());
    p.add(
        "ClusterState",
        match &state.cluster.link {
            crate::daemon::cluster::Link::Off => String::new(),
            crate::daemon::cluster::Link::Up => "connected".to_owned(),
            crate::daemon::cluster::Link::Down(why) => why.clone(),
        },
    );
    // sundial's own: when the daemon started (µs since the epoch), what
    // `analyze critical-chain` counts its `@` times from.
    p.add("DaemonStartTimestampUSec", state.started.realtime.as_usec());
    p.add("LoopIterations", stats.loop_iterations);
    p.add("LoopTurnMaxUSec", stats.longest_turn_usec);
    p.add("TimerElapses", stats.elapses);
    let percentile = |q| {
        stats
            .lateness_percentile(q)
            .map_or_else(String::new, |v| v.to_string())
    };
    p.add("TimerLatenessP50USec", percentile(50));
    p.add("TimerLatenessP99USec", percentile(99));
    p.add("TimerLatenessMaxUSec", percentile(100));
    p.0
}

fn unit_properties(state: &mut State, name: &str) -> Vec<Property> {
    let mut p = Props(Vec::new());
    let zone = state.scheduler.zone().clone();
    let time = |t: Option<Timestamp>| t.map_or_else(String::new, |t| timestamp::format(t, &zone));
    let (active, sub) = state.active_state(name);
    p.add("Id", name);
    p.add("Description", state.description(name));
    let load_state = state.units.load_state(name);
    p.add("LoadState", load_state.as_str());
    if load_state == LoadState::NotFound && !state.knows(name) {
        p.add(
            "LoadError",
            format!("org.freedesktop.systemd1.NoSuchUnit \"Unit {name} not found.\""),
        );
    }
    p.add("ActiveState", active.as_str());
    p.add("SubState", sub);
    p.add("UnitFileState", is_enabled(state, name));
    p.add("StateChangeTimestamp", time(state.runs.state_change(name)));
    let unit = state.units.get(name).cloned();
    if let Some(unit) = &unit {
        let source = unit.source();
        let mut all_names = vec![name.to_owned()];
        all_names.extend(source.aliases.iter().cloned());
        p.add("Names", all_names.join(" "));
        p.add(
            "FragmentPath",
            source
                .fragment
                .as_ref()
                .map(|f| f.display().to_string())
                .unwrap_or_default(),
        );
        p.add(
            "DropInPaths",
            source
                .dropins
                .iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(" "),
        );
        let s = unit.unit_section();
        p.add("SourcePath", s.options.source_path.as_deref().unwrap_or(""));
        p.add("Transient", yes_no(state.transient.contains(name)));
        p.add(
            "CollectMode",
            match s.options.collect_mode {
                CollectMode::Inactive => "inactive",
                CollectMode::InactiveOrFailed => "inactive-or-failed",
            },
        );
        p.add("Requires", names(&s.dependencies.requires));
        p.add("Wants", names(&s.dependencies.wants));
        p.add("BindsTo", names(&s.dependencies.binds_to));
        p.add("Conflicts", names(&s.dependencies.conflicts));
        p.add("After", names(&s.dependencies.after));
        p.add("Before", names(&s.dependencies.before));
        p.add("OnFailure", names(&s.dependencies.on_failure));
        p.add("OnSuccess", names(&s.dependencies.on_success));
    }
    match &unit {
        Some(Unit::Timer(t)) => {
            p.add("Unit", t.triggers.as_str());
            p.add("Triggers", t.triggers.as_str());
            p.add("Persistent", yes_no(t.timer.persistent));
            p.add("AccuracyUSec", t.timer.accuracy);
            p.add("RandomizedDelayUSec", t.timer.randomized_delay);
            p.add("RemainAfterElapse", yes_no(t.timer.remain_after_elapse));
            p.add("WakeSystem", yes_no(t.timer.wake_system));
            for spec in t.timer.calendars() {
                p.add("TimersCalendar", format!("{{ OnCalendar={spec} }}"));
            }
            for (base, span) in t.timer.monotonic() {
                p.add(
                    "TimersMonotonic",
                    format!("{{ {}={span} }}", base.directive()),
                );
            }
            let now = state.now();
            if let Some(timer) = state.scheduler.timer(name) {
                p.add("NextElapseUSecRealtime", time(timer.next_elapse(&now)));
                p.add(
                    "LastTriggerUSec",
                    time(timer.last_trigger.map(|l| l.realtime)),
                );
                let result = match &timer.state {
                    crate::scheduler::TimerState::Failed(_) => "resources",
                    _ => "success",
                };
                p.add("Result", result);
            }
        }
        Some(Unit::Service(svc)) => {
            let s = &svc.service;
            p.add("Type", format!("{:?}", s.service_type).to_lowercase());
            p.add("Restart", format!("{:?}", s.restart).to_lowercase());
            p.add("RemainAfterExit", yes_no(s.remain_after_exit));
            p.add("Environment", environment_words(&s.environment));
            p.add("User", s.process.user.as_deref().unwrap_or(""));
            p.add("OOMPolicy", s.stop.oom_policy.as_str());
            p.add("Delegate", yes_no(s.delegate));
            // Without Slice= the cgroup is at the top of the daemon's
            // subtree: its root slice.
            p.add("Slice", s.slice.as_ref().map_or("-.slice", |n| n.as_str()));
            if s.delegate {
                p.add("DelegateControllers", s.delegate_controllers.join(" "));
            }
            let mut by: Vec<String> = state
                .units
                .loaded
                .triggered_by(name)
                .into_iter()
                .map(str::to_owned)
                .collect();
            by.extend(super::status::sockets_triggering(state, name));
            by.sort();
            p.add("TriggeredBy", by.join(" "));
        }
        Some(Unit::Socket(sock)) => {
            let s = &sock.socket;
            p.add(
                "Triggers",
                super::status::socket_triggers(state, sock).join(" "),
            );
            p.add("Accept", yes_no(s.accept));
            for l in &s.listen {
                p.add("Listen", format!("{} ({})", l.address, l.kind.type_word()));
            }
            p.add("FileDescriptorName", sock.fd_name());
            p.add("MaxConnections", s.max_connections);
            p.add("MaxConnectionsPerSource", s.per_source_limit());
            let active = state.sockets.active.get(name);
            p.add("NAccepted", active.map_or(0, |a| a.n_accepted));
            p.add("NConnections", active.map_or(0, |a| a.instances.len()));
            p.add("NRefused", active.map_or(0, |a| a.n_refused));
            let result = match active.map(|a| &a.state) {
                Some(crate::daemon::socket_units::SocketState::Failed(r)) => r,
                _ => "success",
            };
            p.add("Result", result);
        }
        Some(Unit::Path(u)) => {
            p.add("Unit", u.triggers.as_str());
            p.add("Triggers", u.triggers.as_str());
            for spec in &u.path.specs {
                p.add(
                    "Paths",
                    format!("{{ {}={} }}", spec.condition, spec.path.display()),
                );
            }
            p.add("MakeDirectory", yes_no(u.path.make_directory));
            p.add("DirectoryMode", format!("{:04o}", u.path.directory_mode));
            p.add("TriggerLimitIntervalUSec", u.path.trigger_limit_interval);
            p.add("TriggerLimitBurst", u.path.trigger_limit_burst);
            let result = match state.path_units.state(name) {
                Some(crate::path_trigger::PathState::Failed(why)) => why.as_str(),
                _ => "success",
            };
            p.add("Result", result);
        }
        _ => {}
    }
    if let Some(s) = state.supervisor.status(name) {
        p.add("MainPID", s.main_pid.map_or(0, |pid| pid.as_raw()));
        p.add("Result", s.result.as_str());
        p.add("NRestarts", s.n_restarts);
        if let Some(u) = state.supervisor.unit(name) {
            p.add(
                "FileDescriptorStoreMax",
                u.service.rare().file_descriptor_store_max,
            );
        }
        p.add("NFileDescriptorStore", state.supervisor.fd_store_len(name));
        p.add("InvocationID", &s.invocation_id);
        p.add("StatusText", s.status_text.clone().unwrap_or_default());
        p.add("ExecMainPID", s.exec_main_pid.map_or(0, |pid| pid.as_raw()));
        p.add(
            "ControlGroup",
            state.supervisor.control_group(name).unwrap_or_default(),
        );
        // systemd's names; `[not set]` where no controller counts it.
        let usage = state.supervisor.usage(name).unwrap_or_default();
        let counter = |v: Option<u64>| v.map_or("[not set]".to_owned(), |n| n.to_string());
        p.add("MemoryCurrent", counter(usage.memory_current));
        p.add("MemoryPeak", counter(usage.memory_peak));
        p.add("CPUUsageNSec", counter(usage.cpu_nsec));
        p.add("TasksCurrent", counter(usage.tasks));
        // `[no data]` without IPAccounting=, as systemctl shows it.
        let ip = |f: fn(&crate::supervisor::IpTraffic) -> u64| {
            usage
                .ip
                .as_ref()
                .map_or("[no data]".to_owned(), |t| f(t).to_string())
        };
        p.add("IPIngressBytes", ip(|t| t.ingress_bytes));
        p.add("IPIngressPackets", ip(|t| t.ingress_packets));
        p.add("IPEgressBytes", ip(|t| t.egress_bytes));
        p.add("IPEgressPackets", ip(|t| t.egress_packets));
        if let Some(exit) = s.main_exit {
            p.add("ExecMainCode", exit.code_name());
            p.add("ExecMainStatus", exit.status_text());
        }
    } else if name.ends_with(".service") {
        p.add("MainPID", 0);
    }
    if name.ends_with(".service") {
        let last = state.last_result(name);
        p.add("LastRunResult", last.map_or("", |r| r.as_str()));
    }
    p.0
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// `Environment=` as systemctl shows it: the assignments as words separated
/// by spaces, a word with blanks, quotes, backslashes or control characters
/// in double quotes with those escaped, so that the value splits back into
/// the same assignments.
fn environment_words(assignments: &[(String, String)]) -> String {
    let mut out = String::new();
    for (name, value) in assignments {
        if !out.is_empty() {
            out.push(' ');
        }
        let word = format!("{name}={value}");
        let plain = !word
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\\' | '\''));
        if plain {
            out.push_str(&word);
            continue;
        }
        out.push('"');
        for c in word.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                c if c.is_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
                c => out.push(c),
            }
        }
        out.push('"');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::environment_words;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn environment_words_quote_only_what_needs_it() {
        assert_eq!(environment_words(&[]), "");
        assert_eq!(
            environment_words(&pairs(&[("A", "b"), ("MAILTO", "ops@example.com")])),
            "A=b MAILTO=ops@example.com"
        );
        assert_eq!(
            environment_words(&pairs(&[
                ("GREETING", "hello world"),
                ("Q", "say \"hi\"\\n")
            ])),
            "\"GREETING=hello world\" \"Q=say \\\"hi\\\"\\\\n\""
        );
        assert_eq!(environment_words(&pairs(&[("NL", "a\nb")])), "\"NL=a\\nb\"");
    }
}
