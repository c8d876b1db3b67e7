//! What started a run, as systemd attaches one `ActivationDetails` to a job:
//! the job engine attaches it when it queues the start, the supervisor keeps
//! it with the run and reports it with every state change of that run, the
//! run's commands get its environment (`$TRIGGER_*`, `$MONITOR_*`) and the
//! run history stores its label (`timer:backup.timer`, `manual`, ...).
//!
//! A label names the kind and the unit only: an activation read back from a
//! stored label has no elapse times, monitored run or triggering path.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a run started.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Activation {
    /// `timer:foo.timer`: a timer elapsed (or caught up a Persistent= miss).
    Timer(Fired),
    /// `socket:foo.socket`: a connection or datagram on a socket unit.
    Socket { unit: String },
    /// `path:foo.path`: a path unit saw `path` change.
    Path { unit: String, path: Option<PathBuf> },
    /// `dependency:foo.service`: pulled in by the Wants=/Requires=/BindsTo=
    /// of a unit being started (or a target's).
    Dependency { unit: String },
    /// `on-failure:foo.service`: OnFailure= of the named unit.
    OnFailure(Monitor),
    /// `on-success:foo.service`: OnSuccess= of the named unit.
    OnSuccess(Monitor),
    /// `restart`: Restart= after the previous run ended. The commands keep
    /// the environment of what started the first run (systemd keeps the
    /// unit's activation details across automatic restarts).
    Restart { previous: Option<Box<Activation>> },
    /// `manual`: a client's start, restart or reload-or-restart, by the
    /// user `uid` where the daemon's socket told it.
    Command { uid: Option<u32> },
    /// `crontab:/etc/crontab:12`: the job of a crontab line the daemon runs
    /// as it is, started by its generated timer.
    Crontab {
        file: PathBuf,
        line: usize,
        timer: Option<Fired>,
    },
    /// `cluster:backup.timer@node-a`: an elapse of an
    /// `X-Sundial-Cluster=once` timer this node claimed in the cluster (or
    /// took over after the node running it lost its lease), or
    /// `cluster:web.service@node-a`: the lease of an
    /// `X-Sundial-Cluster=singleton` service.
    Cluster(ClusterClaim),
}

/// A claim this node holds in the cluster (`crate::cluster`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ClusterClaim {
    /// The node holding it (this one).
    pub node: String,
    /// The timer whose elapse it is, or the singleton service.
    pub what: ClaimOf,
}

/// What a cluster claim is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ClaimOf {
    /// One elapse of a cluster timer: the claim key is the timer and the
    /// scheduled time, which every node computes alike.
    Elapse {
        fired: Fired,
        /// The scheduled elapse (µs since the epoch); `None` when read
        /// back from a label.
        scheduled_usec: Option<i64>,
        /// 1 for the first run of the elapse, more for reruns after a lost
        /// lease; `None` when read back from a label.
        attempt: Option<u32>,
    },
    /// The lease of a singleton service.
    Lease { unit: String },
}

/// A timer that elapsed, and when.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Fired {
    pub timer: String,
    /// `None` when read back from a label.
    pub elapse: Option<Elapse>,
}

/// Both clocks when a timer elapsed, in µs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Elapse {
    pub realtime_usec: i64,
    pub monotonic_usec: u64,
}

/// The unit an OnFailure=/OnSuccess= hook reports on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Monitor {
    pub unit: String,
    /// `None` when read back from a label.
    pub run: Option<MonitoredRun>,
}

/// How the monitored unit's run ended.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MonitoredRun {
    /// Its Result= (`exit-code`, `success`, ...).
    pub result: String,
    /// `exited`, `killed` or `dumped`, when the main process ended.
    pub exit_code: Option<String>,
    /// The exit status or signal name, when the main process ended.
    pub exit_status: Option<String>,
    pub invocation_id: String,
}

impl Activation {
    /// A client's request, of a user not known.
    pub const MANUAL: Activation = Activation::Command { uid: None };

    /// A timer's elapse.
    pub fn timer(timer: &str, realtime_usec: i64, monotonic_usec: u64) -> Activation {
        Activation::Timer(Fired {
            timer: timer.to_owned(),
            elapse: Some(Elapse {
                realtime_usec,
                monotonic_usec,
            }),
        })
    }

    /// A pull by a unit's dependency.
    pub fn dependency(unit: &str) -> Activation {
        Activation::Dependency {
            unit: unit.to_owned(),
        }
    }

    /// The timer behind this start: the one that elapsed, a crontab line's
    /// timer, or the timer behind the run an automatic restart repeats.
    pub fn timer_name(&self) -> Option<&str> {
        match self {
            Activation::Timer(fired)
            | Activation::Crontab {
                timer: Some(fired), ..
            } => Some(&fired.timer),
            Activation::Restart {
                previous: Some(previous),
            } => previous.timer_name(),
            Activation::Cluster(ClusterClaim {
                what: ClaimOf::Elapse { fired, .. },
                ..
            }) => Some(&fired.timer),
            _ => None,
        }
    }

    /// The cluster node whose claim or lease started this run (also for
    /// an automatic restart of such a run): `history`'s NODE column.
    pub fn cluster_node(&self) -> Option<&str> {
        match self {
            Activation::Cluster(claim) => Some(&claim.node),
            Activation::Restart {
                previous: Some(previous),
            } => previous.cluster_node(),
            _ => None,
        }
    }

    /// The activation of an automatic restart after a run started by
    /// `self`.
    pub fn restarted(self) -> Activation {
        match self {
            restart @ Activation::Restart { .. } => restart,
            first => Activation::Restart {
                previous: Some(Box::new(first)),
            },
        }
    }

    /// The variables systemd sets for the run's commands, in its names
    /// (systemd.exec(5) "Environment Variables Set or Propagated by the
    /// Service Manager"): $TRIGGER_* for a timer or a path unit,
    /// $MONITOR_* for OnFailure=/OnSuccess=. Sockets have none (their
    /// file descriptors come with $LISTEN_*, the socket unit's business).
    pub fn environment(&self) -> Vec<(String, String)> {
        let var = |k: &str, v: String| (k.to_owned(), v);
        match self {
            Activation::Timer(fired)
            | Activation::Crontab {
                timer: Some(fired), ..
            } => {
                let mut env = vec![var("TRIGGER_UNIT", fired.timer.clone())];
                if let Some(e) = fired.elapse {
                    env.push(var(
                        "TRIGGER_TIMER_REALTIME_USEC",
                        e.realtime_usec.to_string(),
                    ));
                    env.push(var(
                        "TRIGGER_TIMER_MONOTONIC_USEC",
                        e.monotonic_usec.to_string(),
                    ));
                }
                env
            }
            Activation::Path { unit, path } => {
                let mut env = vec![var("TRIGGER_UNIT", unit.clone())];
                env.extend(
                    path.as_ref()
                        .map(|p| var("TRIGGER_PATH", p.to_string_lossy().into_owned())),
                );
                env
            }
            Activation::OnFailure(monitor) | Activation::OnSuccess(monitor) => {
                let Some(run) = &monitor.run else {
                    return vec![var("MONITOR_UNIT", monitor.unit.clone())];
                };
                let mut env = vec![
                    var("MONITOR_SERVICE_RESULT", run.result.clone()),
                    var("MONITOR_INVOCATION_ID", run.invocation_id.clone()),
                    var("MONITOR_UNIT", monitor.unit.clone()),
                ];
                env.extend(run.exit_code.clone().map(|c| var("MONITOR_EXIT_CODE", c)));
                env.extend(
                    run.exit_status
                        .clone()
                        .map(|s| var("MONITOR_EXIT_STATUS", s)),
                );
                env
            }
            Activation::Restart { previous } => {
                previous.as_ref().map_or_else(Vec::new, |p| p.environment())
            }
            Activation::Cluster(claim) => {
                let mut env = match &claim.what {
                    ClaimOf::Elapse { fired, .. } => Activation::Timer(fired.clone()).environment(),
                    ClaimOf::Lease { .. } => Vec::new(),
                };
                env.push(var("SUNDIAL_CLUSTER_NODE", claim.node.clone()));
                if let ClaimOf::Elapse {
                    scheduled_usec,
                    attempt,
                    ..
                } = &claim.what
                {
                    env.extend(
                        scheduled_usec.map(|u| var("SUNDIAL_CLUSTER_ELAPSE_USEC", u.to_string())),
                    );
                    env.extend(attempt.map(|a| var("SUNDIAL_CLUSTER_ATTEMPT", a.to_string())));
                }
                env
            }
            Activation::Socket { .. }
            | Activation::Dependency { .. }
            | Activation::Command { .. }
            | Activation::Crontab { timer: None, .. } => Vec::new(),
        }
    }

    /// The label stored in the run history (`kind[:what]`); see
    /// [`Activation::from_label`].
    pub fn label(&self) -> String {
        self.to_string()
    }

    /// The activation a stored label names. Every label written so far is
    /// accepted: `manual`, `restart`, `timer:`, `dependency:`,
    /// `on-failure:`, `on-success:`, and `socket:`, `path:`, `crontab:`.
    pub fn from_label(label: &str) -> Result<Activation, InvalidLabel> {
        let bad = || InvalidLabel(label.to_owned());
        let Some((kind, what)) = label.split_once(':') else {
            return match label {
                "manual" => Ok(Activation::MANUAL),
                "restart" => Ok(Activation::Restart { previous: None }),
                _ => Err(bad()),
            };
        };
        if what.is_empty() {
            return Err(bad());
        }
        let unit = what.to_owned();
        let monitor = || Monitor {
            unit: what.to_owned(),
            run: None,
        };
        match kind {
            "timer" => Ok(Activation::Timer(Fired {
                timer: unit,
                elapse: None,
            })),
            "socket" => Ok(Activation::Socket { unit }),
            "path" => Ok(Activation::Path { unit, path: None }),
            "dependency" => Ok(Activation::Dependency { unit }),
            "on-failure" => Ok(Activation::OnFailure(monitor())),
            "on-success" => Ok(Activation::OnSuccess(monitor())),
            // Node names hold no '@'; unit names may.
            "cluster" => {
                let (unit, node) = what.rsplit_once('@').ok_or_else(bad)?;
                if unit.is_empty() || node.is_empty() {
                    return Err(bad());
                }
                let what = if unit.ends_with(".timer") {
                    ClaimOf::Elapse {
                        fired: Fired {
                            timer: unit.to_owned(),
                            elapse: None,
                        },
                        scheduled_usec: None,
                        attempt: None,
                    }
                } else {
                    ClaimOf::Lease {
                        unit: unit.to_owned(),
                    }
                };
                Ok(Activation::Cluster(ClusterClaim {
                    node: node.to_owned(),
                    what,
                }))
            }
            // The file may hold colons; the line number follows the last.
            "crontab" => {
                let (file, line) = what.rsplit_once(':').ok_or_else(bad)?;
                let line = line.parse().map_err(|_| bad())?;
                if file.is_empty() {
                    return Err(bad());
                }
                Ok(Activation::Crontab {
                    file: PathBuf::from(file),
                    line,
                    timer: None,
                })
            }
            _ => Err(bad()),
        }
    }
}

/// The stored label.
impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Activation::Timer(fired) => write!(f, "timer:{}", fired.timer),
            Activation::Socket { unit } => write!(f, "socket:{unit}"),
            Activation::Path { unit, .. } => write!(f, "path:{unit}"),
            Activation::Dependency { unit } => write!(f, "dependency:{unit}"),
            Activation::OnFailure(m) => write!(f, "on-failure:{}", m.unit),
            Activation::OnSuccess(m) => write!(f, "on-success:{}", m.unit),
            Activation::Restart { .. } => f.write_str("restart"),
            // The uid is not stored: `manual` is what every history so far
            // holds and shows.
            Activation::Command { .. } => f.write_str("manual"),
            Activation::Crontab { file, line, .. } => {
                write!(f, "crontab:{}:{line}", file.display())
            }
            Activation::Cluster(claim) => match &claim.what {
                ClaimOf::Elapse { fired, .. } => {
                    write!(f, "cluster:{}@{}", fired.timer, claim.node)
                }
                ClaimOf::Lease { unit } => write!(f, "cluster:{unit}@{}", claim.node),
            },
        }
    }
}

impl FromStr for Activation {
    type Err = InvalidLabel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Activation::from_label(s)
    }
}

/// Why a string is not an activation's label.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid trigger {0:?}: expected manual, restart, timer:|socket:|path:|dependency:|on-failure:|on-success: followed by a unit name, crontab:FILE:LINE, or cluster:UNIT@NODE")]
pub struct InvalidLabel(pub String);

/// Serde as the label (`#[serde(with = "crate::activation::as_label")]`):
/// how the history's rows carry their trigger over the socket.
pub mod as_label {
    use super::Activation;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(a: &Activation, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(a)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Activation, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn failed_run() -> MonitoredRun {
        MonitoredRun {
            result: "exit-code".into(),
            exit_code: Some("exited".into()),
            exit_status: Some("3".into()),
            invocation_id: "0123456789abcdef0123456789abcdef".into(),
        }
    }

    /// One activation of every kind, with all its details, and its label.
    fn every_kind() -> Vec<(Activation, &'static str)> {
        vec![
            (
                Activation::timer("backup.timer", 1_700_000_000_000_000, 5),
                "timer:backup.timer",
            ),
            (
                Activation::Socket {
                    unit: "web.socket".into(),
                },
                "socket:web.socket",
            ),
            (
                Activation::Path {
                    unit: "spool.path".into(),
                    path: Some("/var/spool/in/a".into()),
                },
                "path:spool.path",
            ),
            (
                Activation::dependency("app.service"),
                "dependency:app.service",
            ),
            (
                Activation::OnFailure(Monitor {
                    unit: "web.service".into(),
                    run: Some(failed_run()),
                }),
                "on-failure:web.service",
            ),
            (
                Activation::OnSuccess(Monitor {
                    unit: "job.service".into(),
                    run: Some(MonitoredRun {
                        result: "success".into(),
                        exit_code: None,
                        exit_status: None,
                        invocation_id: "ff".into(),
                    }),
                }),
                "on-success:job.service",
            ),
            (Activation::timer("a.timer", 1, 2).restarted(), "restart"),
            (Activation::Command { uid: Some(1000) }, "manual"),
            (Activation::MANUAL, "manual"),
            (
                Activation::Crontab {
                    file: "/etc/cron.d/my:job".into(),
                    line: 12,
                    timer: Some(Fired {
                        timer: "cron-backup.timer".into(),
                        elapse: Some(Elapse {
                            realtime_usec: 7,
                            monotonic_usec: 8,
                        }),
                    }),
                },
                "crontab:/etc/cron.d/my:job:12",
            ),
            (cluster_elapse(), "cluster:tpl@x.timer@node-a"),
            (
                Activation::Cluster(ClusterClaim {
                    node: "node-b".into(),
                    what: ClaimOf::Lease {
                        unit: "web.service".into(),
                    },
                }),
                "cluster:web.service@node-b",
            ),
        ]
    }

    fn cluster_elapse() -> Activation {
        Activation::Cluster(ClusterClaim {
            node: "node-a".into(),
            what: ClaimOf::Elapse {
                fired: Fired {
                    timer: "tpl@x.timer".into(),
                    elapse: Some(Elapse {
                        realtime_usec: 7,
                        monotonic_usec: 8,
                    }),
                },
                scheduled_usec: Some(6),
                attempt: Some(2),
            },
        })
    }

    #[test]
    fn a_cluster_elapse_exports_its_timer_node_elapse_and_attempt() {
        let a = cluster_elapse();
        assert_eq!(a.timer_name(), Some("tpl@x.timer"));
        assert_eq!(
            a.environment(),
            pairs(&[
                ("TRIGGER_UNIT", "tpl@x.timer"),
                ("TRIGGER_TIMER_REALTIME_USEC", "7"),
                ("TRIGGER_TIMER_MONOTONIC_USEC", "8"),
                ("SUNDIAL_CLUSTER_NODE", "node-a"),
                ("SUNDIAL_CLUSTER_ELAPSE_USEC", "6"),
                ("SUNDIAL_CLUSTER_ATTEMPT", "2"),
            ])
        );
        assert!(Activation::from_label("cluster:foo.timer").is_err());
        assert!(Activation::from_label("cluster:@node").is_err());
    }

    #[test]
    fn timer_sets_trigger_unit_and_both_clocks() {
        let a = Activation::timer("backup.timer", 1_700_000_000_000_000, 5);
        assert_eq!(
            a.environment(),
            pairs(&[
                ("TRIGGER_UNIT", "backup.timer"),
                ("TRIGGER_TIMER_REALTIME_USEC", "1700000000000000"),
                ("TRIGGER_TIMER_MONOTONIC_USEC", "5"),
            ])
        );
    }

    #[test]
    fn path_sets_trigger_unit_and_path() {
        let a = Activation::Path {
            unit: "spool.path".into(),
            path: Some("/var/spool/in/a".into()),
        };
        assert_eq!(
            a.environment(),
            pairs(&[
                ("TRIGGER_UNIT", "spool.path"),
                ("TRIGGER_PATH", "/var/spool/in/a")
            ])
        );
    }

    #[test]
    fn on_failure_sets_monitor_variables() {
        let a = Activation::OnFailure(Monitor {
            unit: "web.service".into(),
            run: Some(failed_run()),
        });
        assert_eq!(
            a.environment(),
            pairs(&[
                ("MONITOR_SERVICE_RESULT", "exit-code"),
                ("MONITOR_INVOCATION_ID", "0123456789abcdef0123456789abcdef"),
                ("MONITOR_UNIT", "web.service"),
                ("MONITOR_EXIT_CODE", "exited"),
                ("MONITOR_EXIT_STATUS", "3"),
            ])
        );
    }

    #[test]
    fn on_success_without_a_main_exit_has_no_exit_variables() {
        let (a, _) = &every_kind()[5];
        assert_eq!(
            a.environment(),
            pairs(&[
                ("MONITOR_SERVICE_RESULT", "success"),
                ("MONITOR_INVOCATION_ID", "ff"),
                ("MONITOR_UNIT", "job.service"),
            ])
        );
    }

    #[test]
    fn restart_keeps_the_first_runs_environment_once() {
        let first = Activation::timer("a.timer", 1, 2);
        let again = first.clone().restarted().restarted();
        assert_eq!(again.environment(), first.environment());
        assert_eq!(
            again,
            Activation::Restart {
                previous: Some(Box::new(first))
            }
        );
    }

    #[test]
    fn crontab_exports_its_timer() {
        let (a, _) = &every_kind()[9];
        assert_eq!(
            a.environment(),
            pairs(&[
                ("TRIGGER_UNIT", "cron-backup.timer"),
                ("TRIGGER_TIMER_REALTIME_USEC", "7"),
                ("TRIGGER_TIMER_MONOTONIC_USEC", "8"),
            ])
        );
    }

    #[test]
    fn socket_dependency_and_command_set_nothing() {
        for a in [
            Activation::Socket {
                unit: "web.socket".into(),
            },
            Activation::dependency("app.service"),
            Activation::Command { uid: Some(0) },
            Activation::Restart { previous: None },
        ] {
            assert_eq!(a.environment(), [], "{a:?}");
        }
    }

    #[test]
    fn every_kind_has_its_label_and_reads_back_to_it() {
        for (a, label) in every_kind() {
            assert_eq!(a.label(), label);
            let back = Activation::from_label(label).expect(label);
            assert_eq!(back.label(), label);
            // The same kind, without what a label does not keep.
            assert_eq!(
                std::mem::discriminant(&back),
                std::mem::discriminant(&a),
                "{label}"
            );
        }
    }

    #[test]
    fn labels_written_by_earlier_versions_read_back() {
        let old = [
            (
                "timer:foo.timer",
                Activation::Timer(Fired {
                    timer: "foo.timer".into(),
                    elapse: None,
                }),
            ),
            ("manual", Activation::MANUAL),
            ("dependency:x.service", Activation::dependency("x.service")),
            ("restart", Activation::Restart { previous: None }),
            (
                "on-failure:y.service",
                Activation::OnFailure(Monitor {
                    unit: "y.service".into(),
                    run: None,
                }),
            ),
            (
                "on-success:z.service",
                Activation::OnSuccess(Monitor {
                    unit: "z.service".into(),
                    run: None,
                }),
            ),
        ];
        for (label, want) in old {
            let a: Activation = label.parse().expect(label);
            assert_eq!(a, want);
            assert_eq!(a.to_string(), label);
        }
    }

    #[test]
    fn bad_labels_are_refused_with_the_label() {
        for bad in [
            "",
            "timer",
            "timer:",
            "bogus:x",
            "cron:x",
            "Manual",
            "crontab:/etc/crontab",
            "crontab:/etc/crontab:x",
            "crontab::3",
            "restart:x.service",
        ] {
            let e = Activation::from_label(bad).expect_err(bad);
            assert!(e.to_string().contains(&format!("{bad:?}")), "{e}");
        }
    }

    #[test]
    fn label_serde_is_the_label_and_full_serde_keeps_the_details() {
        #[derive(Serialize, Deserialize)]
        struct Row {
            #[serde(with = "as_label")]
            trigger: Activation,
        }
        let row = Row {
            trigger: Activation::timer("a.timer", 1, 2),
        };
        let json = serde_json::to_string(&row).expect("serializable");
        assert_eq!(json, r#"{"trigger":"timer:a.timer"}"#);
        let back: Row = serde_json::from_str(&json).expect("a label");
        assert_eq!(back.trigger.label(), "timer:a.timer");
        for (a, _) in every_kind() {
            let json = serde_json::to_string(&a).expect("serializable");
            let back: Activation = serde_json::from_str(&json).expect("its own output");
            assert_eq!(back, a);
        }
    }
}
