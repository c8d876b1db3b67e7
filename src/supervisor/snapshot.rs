//! The supervisor written down for `daemon-reexec` and built again in the
//! new program: every service that ran, with its machine, its processes,
//! the read ends of its capture pipes (inherited across the exec) and what
//! started it; the processes left to reap; the manager environment.
//!
//! Only a supervisor at rest is written: no job queued or running, no
//! service between states. [`Supervisor::not_at_rest`] says what it waits
//! for.

use std::path::PathBuf;
use std::time::Instant;

use nix::unistd::Pid;
use serde::{Deserialize, Serialize};

use super::kill::ProcessSet;
use super::machine::snapshot::MachineSnapshot;
use super::machine::ServiceMachine;
use super::output::{Capture, PipeHandover};
use super::procs::Claims;
use super::state::ActiveState;
use super::Supervisor;
use crate::activation::Activation;
use crate::unit::UnitName;

/// One service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceSnapshot {
    /// Its name.
    pub name: String,
    /// Its machine.
    pub machine: MachineSnapshot,
    /// The sessions (process groups) of its commands.
    pub sessions: Vec<i32>,
    /// The orphans it adopted.
    pub orphans: Vec<i32>,
    /// What started the current run; read from an earlier daemon's
    /// `trigger` too. One that cannot be read is dropped: the run goes on
    /// without it.
    #[serde(default, alias = "trigger", deserialize_with = "lenient")]
    pub activation: Option<Activation>,
    /// Its cgroup's `cgroup.procs`, when it has one.
    pub cgroup_procs: Option<PathBuf>,
    /// The cgroup problem was told.
    pub cgroup_reported: bool,
    /// Its capture pipes.
    pub pipes: Vec<PipeHandover>,
}

/// The supervisor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupervisorSnapshot {
    /// The services that ran or run.
    pub services: Vec<ServiceSnapshot>,
    /// Processes that belong to no service, still to be reaped.
    pub strays: Vec<i32>,
    /// The manager environment (`set-environment` included).
    pub default_environment: Vec<(String, String)>,
    /// Processes taken over after a crash, watched rather than reaped:
    /// `(unit, pid, start ticks)`.
    #[serde(default)]
    pub adopted: Vec<(String, i32, u64)>,
}

impl SupervisorSnapshot {
    /// Every descriptor the next program must inherit.
    pub fn descriptors(&self) -> Vec<i32> {
        self.services
            .iter()
            .flat_map(|s| s.pipes.iter().map(|p| p.fd))
            .collect()
    }
}

impl Supervisor {
    /// What keeps the supervisor from being written down now: queued jobs
    /// and services between states, as `unit (sub-state)`; empty when it is
    /// at rest.
    pub fn not_at_rest(&self) -> Vec<String> {
        let mut busy: Vec<String> = self
            .jobs
            .iter()
            .map(|j| format!("{} ({} job)", j.unit, format!("{:?}", j.ty).to_lowercase()))
            .collect();
        let now = Instant::now();
        for (name, s) in self.busy_services() {
            let settled = matches!(
                s.machine.state().active_state(),
                ActiveState::Inactive | ActiveState::Active | ActiveState::Failed
            );
            if !settled || s.machine.snapshot(now).is_none() {
                busy.push(format!("{name} ({})", s.machine.state().sub_state()));
            }
        }
        busy.sort();
        busy.dedup();
        busy
    }

    /// The supervisor written down; reads what the capture pipes hold so
    /// far (the owner passes those lines on before the exec). `Err` names
    /// what is not at rest.
    pub fn snapshot(&self) -> Result<SupervisorSnapshot, Vec<String>> {
        let busy = self.not_at_rest();
        if !busy.is_empty() {
            return Err(busy);
        }
        let now = Instant::now();
        let mut services = Vec::new();
        let mut names: Vec<&String> = self.services.keys().collect();
        names.sort();
        for name in names {
            let s = &self.services[name];
            let Some(machine) = s.machine.snapshot(now) else {
                return Err(vec![name.clone()]);
            };
            // A service that never ran has nothing to carry over.
            let fresh = machine.invocation_id.is_empty()
                && !self.busy.contains(name)
                && s.procs.orphans.is_empty();
            if fresh {
                continue;
            }
            services.push(ServiceSnapshot {
                name: name.clone(),
                machine,
                sessions: s.procs.sessions.iter().map(|p| p.as_raw()).collect(),
                orphans: s.procs.orphans.iter().map(|p| p.as_raw()).collect(),
                activation: s.activation.clone(),
                cgroup_procs: s
                    .procs
                    .cgroup
                    .as_ref()
                    .map(|cg| cg.dir.join("cgroup.procs")),
                cgroup_reported: s.cgroup_reported,
                pipes: s.capture.hand_over(),
            });
        }
        Ok(SupervisorSnapshot {
            services,
            strays: self.strays.iter().map(|p| p.as_raw()).collect(),
            default_environment: self.config.default_environment.clone(),
            adopted: self.watched(),
        })
    }

    /// Builds the services of `snapshot` again, their units from the
    /// resolver (the unit files as they are now). A service whose unit is
    /// gone cannot be supervised: its processes are left to run and reaped
    /// when they end, which the returned messages say.
    pub fn restore(&mut self, snapshot: SupervisorSnapshot) -> Vec<String> {
        let mut messages = Vec::new();
        let now = Instant::now();
        self.config.default_environment = snapshot.default_environment;
        let mut claims = Claims::lock();
        for pid in &snapshot.strays {
            claims.claim(Pid::from_raw(*pid));
            self.strays.insert(Pid::from_raw(*pid));
        }
        drop(claims);
        for s in snapshot.services {
            let unit = UnitName::parse(&s.name)
                .ok()
                .and_then(|name| self.resolver.as_mut().and_then(|r| r(&name)));
            let restored = unit
                .ok_or_else(|| "its unit file is gone".to_owned())
                .and_then(|unit| {
                    let machine = ServiceMachine::restore(
                        unit.clone(),
                        &self.config.defaults,
                        &s.machine,
                        now,
                    )
                    .map_err(|e| e.to_string())?;
                    let capture =
                        Capture::take_over(&s.pipes, &self.log_tx, self.config.log_rate_limit)
                            .map_err(|e| format!("cannot read its output again: {e}"))?;
                    Ok((unit, machine, capture))
                });
            let (unit, machine, capture) = match restored {
                Ok(r) => r,
                Err(why) => {
                    messages.push(leave_behind(&mut self.strays, &s, &why));
                    continue;
                }
            };
            self.add_unit(unit);
            let Some(service) = self.services.get_mut(&s.name) else {
                continue;
            };
            let mut claims = Claims::lock();
            for pid in s
                .machine
                .main_pid
                .iter()
                .chain(&s.orphans)
                .map(|p| Pid::from_raw(*p))
            {
                claims.claim(pid);
            }
            drop(claims);
            service.machine = machine;
            service.procs = ProcessSet {
                sessions: s.sessions.iter().map(|p| Pid::from_raw(*p)).collect(),
                orphans: s.orphans.iter().map(|p| Pid::from_raw(*p)).collect(),
                // The same program's subtree (it keeps its pid and start
                // time across the exec).
                cgroup: s
                    .cgroup_procs
                    .as_deref()
                    .and_then(|p| p.parent())
                    .and_then(|dir| self.cgroups.as_mut()?.adopt(&s.name, dir)),
                v1: self
                    .resources
                    .v1
                    .as_ref()
                    .map(|g| g.existing(&s.name))
                    .unwrap_or_default(),
                oom_kills: None,
                // Counted anew from the next run (the maps went with the
                // program that held them).
                ip_counters: None,
                output_pipes: Default::default(),
                since: None,
                first: None,
                run_environment: Some(Box::new(super::run_environment::adopted(
                    &s.name,
                    service.machine.unit().service.exec_context(),
                    &self.config.exec_roots,
                ))),
                ..ProcessSet::default()
            };
            service.capture = capture;
            service.activation = s.activation;
            service.cgroup_reported = s.cgroup_reported;
            self.touch(&s.name);
        }
        self.watch_again(&snapshot.adopted);
        messages
    }
}

/// A service that cannot be supervised again: its main process and
/// orphans become strays (reaped when they end), its pipes are closed.
fn leave_behind(
    strays: &mut std::collections::BTreeSet<Pid>,
    s: &ServiceSnapshot,
    why: &str,
) -> String {
    use std::os::fd::{FromRawFd, OwnedFd};
    for p in &s.pipes {
        // SAFETY: inherited for this pipe alone; closing it is all that is
        // left to do with it.
        drop(unsafe { OwnedFd::from_raw_fd(p.fd) });
    }
    let pids: Vec<i32> = s
        .machine
        .main_pid
        .iter()
        .chain(&s.orphans)
        .copied()
        .collect();
    let mut claims = Claims::lock();
    for pid in &pids {
        claims.claim(Pid::from_raw(*pid));
        strays.insert(Pid::from_raw(*pid));
    }
    if pids.is_empty() {
        format!("{}: not carried over: {why}", s.name)
    } else {
        format!(
            "{}: not carried over: {why}; its processes {pids:?} go on unsupervised",
            s.name
        )
    }
}

/// An activation as written, or as daemons before the activation type
/// wrote their run's trigger, or none where it cannot be read.
fn lenient<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Activation>, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    if let Ok(a) = serde_json::from_value(value.clone()) {
        return Ok(a);
    }
    Ok(serde_json::from_value::<EarlierTrigger>(value)
        .ok()
        .map(EarlierTrigger::activation))
}

/// A run's trigger as daemons before the activation type handed it on.
#[derive(Deserialize)]
enum EarlierTrigger {
    Timer {
        unit: String,
        realtime_usec: i64,
        monotonic_usec: u64,
    },
    /// An OnFailure= or OnSuccess= hook's: which one was not written; the
    /// result tells.
    Monitor {
        unit: String,
        result: String,
        exit_code: Option<String>,
        exit_status: Option<String>,
        invocation_id: String,
    },
}

impl EarlierTrigger {
    fn activation(self) -> Activation {
        match self {
            EarlierTrigger::Timer {
                unit,
                realtime_usec,
                monotonic_usec,
            } => Activation::timer(&unit, realtime_usec, monotonic_usec),
            EarlierTrigger::Monitor {
                unit,
                result,
                exit_code,
                exit_status,
                invocation_id,
            } => {
                let success = result == "success";
                let monitor = crate::activation::Monitor {
                    unit,
                    run: Some(crate::activation::MonitoredRun {
                        result,
                        exit_code,
                        exit_status,
                        invocation_id,
                    }),
                };
                if success {
                    Activation::OnSuccess(monitor)
                } else {
                    Activation::OnFailure(monitor)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Holder {
        #[serde(default, alias = "trigger", deserialize_with = "lenient")]
        activation: Option<Activation>,
    }

    fn read(json: &str) -> Option<Activation> {
        serde_json::from_str::<Holder>(json)
            .expect("a snapshot reads")
            .activation
    }

    #[test]
    fn an_activation_goes_over_and_an_earlier_daemons_trigger_is_read() {
        let a = Activation::timer("a.timer", 1, 2).restarted();
        let json = format!(
            "{{\"activation\":{}}}",
            serde_json::to_string(&a).expect("serializable")
        );
        assert_eq!(read(&json), Some(a));
        // What daemons before the activation type wrote.
        let old =
            r#"{"trigger":{"Timer":{"unit":"a.timer","realtime_usec":1,"monotonic_usec":2}}}"#;
        assert_eq!(read(old), Some(Activation::timer("a.timer", 1, 2)));
        let old = r#"{"trigger":{"Monitor":{"unit":"x.service","result":"exit-code",
            "exit_code":"exited","exit_status":"3","invocation_id":"ab"}}}"#;
        let Some(Activation::OnFailure(m)) = read(old) else {
            panic!("not an OnFailure= activation");
        };
        assert_eq!(m.unit, "x.service");
        assert_eq!(m.run.map(|r| r.exit_status), Some(Some("3".to_owned())));
        // A shape no daemon wrote: the run goes on without it.
        assert_eq!(read(r#"{"trigger":{"Socket":5}}"#), None);
        assert_eq!(read("{}"), None);
        assert_eq!(read(r#"{"activation":null}"#), None);
    }
}
