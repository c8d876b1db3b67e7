//! A recording [`Runtime`] for the machine's tests: no process is started or
//! signalled. It hands out fake pids, records every call, and lets the test
//! decide what the system would say — whether a command gets to exec (or
//! fails with a status such as 203), which processes are alive, what a
//! PIDFile= contains, which process a forking service left behind.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use nix::unistd::Pid;

use super::{CommandSpec, Runtime};
use crate::supervisor::exec_chain::ExecKind;
use crate::supervisor::kill::KillScope;
use crate::unit::Signal;

/// One call the machine made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    Spawn {
        kind: ExecKind,
        index: usize,
        /// The command's argv[0] as written (after prefixes).
        path: String,
        extra_env: Vec<(String, String)>,
        /// What the fake answered.
        outcome: Result<Pid, i32>,
    },
    Kill {
        scope: KillScope,
        signal: Signal,
        main: Option<Pid>,
        control: Option<Pid>,
        /// How many processes the fake said were reached.
        reached: usize,
    },
    ReadPidFile(PathBuf),
    GuessMainPid,
}

/// The fake edge. Spawned processes are alive until the test ends them
/// ([`FakeRuntime::end`]); `others` are further processes of the run (a
/// forked daemon, a grandchild) that only the whole-group scope reaches.
#[derive(Debug)]
pub struct FakeRuntime {
    pub calls: Vec<Call>,
    next_pid: i32,
    /// Commands that do not get to exec: (list, index) -> exit status.
    pub exec_failures: HashMap<(ExecKind, usize), i32>,
    /// Spawned processes not yet ended.
    pub alive: BTreeSet<Pid>,
    /// Other processes of the run, alive until removed.
    pub others: BTreeSet<Pid>,
    /// What PIDFile= contains (None: missing or unreadable).
    pub pid_file: Option<Pid>,
    /// What guess_main_pid answers.
    pub guessed_main: Option<Pid>,
    invocations: u32,
}

impl Default for FakeRuntime {
    fn default() -> Self {
        FakeRuntime {
            calls: Vec::new(),
            next_pid: 100,
            exec_failures: HashMap::new(),
            alive: BTreeSet::new(),
            others: BTreeSet::new(),
            pid_file: None,
            guessed_main: None,
            invocations: 0,
        }
    }
}

impl FakeRuntime {
    /// Makes command `index` of `kind` fail before exec with `status`.
    pub fn fail_exec(&mut self, kind: ExecKind, index: usize, status: i32) {
        self.exec_failures.insert((kind, index), status);
    }

    /// The process is gone (the test then tells the machine).
    pub fn end(&mut self, pid: Pid) {
        self.alive.remove(&pid);
        self.others.remove(&pid);
    }

    /// The spawns, as (list, index, outcome).
    pub fn spawns(&self) -> Vec<(ExecKind, usize, Result<Pid, i32>)> {
        self.calls
            .iter()
            .filter_map(|c| match c {
                Call::Spawn {
                    kind,
                    index,
                    outcome,
                    ..
                } => Some((*kind, *index, *outcome)),
                _ => None,
            })
            .collect()
    }

    /// The spawned lists and indexes, in order.
    pub fn spawned(&self) -> Vec<(ExecKind, usize)> {
        self.spawns().into_iter().map(|(k, i, _)| (k, i)).collect()
    }

    /// The signal rounds, as (scope, signal).
    pub fn kills(&self) -> Vec<(KillScope, Signal)> {
        self.calls
            .iter()
            .filter_map(|c| match c {
                Call::Kill { scope, signal, .. } => Some((*scope, *signal)),
                _ => None,
            })
            .collect()
    }

    /// The pid the last spawn of (`kind`, `index`) got.
    pub fn pid_of(&self, kind: ExecKind, index: usize) -> Pid {
        self.spawns()
            .into_iter()
            .rev()
            .find_map(|(k, i, o)| (k == kind && i == index).then_some(o.ok()).flatten())
            .unwrap_or_else(|| panic!("{kind:?}[{index}] was not spawned: {:?}", self.calls))
    }

    /// The extra environment the last spawn of `kind` got.
    pub fn env_of(&self, kind: ExecKind) -> Vec<(String, String)> {
        self.calls
            .iter()
            .rev()
            .find_map(|c| match c {
                Call::Spawn {
                    kind: k, extra_env, ..
                } if *k == kind => Some(extra_env.clone()),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// Forgets the calls so far.
    pub fn clear(&mut self) {
        self.calls.clear();
    }
}

impl Runtime for FakeRuntime {
    fn new_invocation_id(&mut self) -> String {
        self.invocations += 1;
        format!("{:032x}", self.invocations)
    }

    fn spawn(&mut self, spec: CommandSpec<'_>) -> Result<Pid, i32> {
        let outcome = match self.exec_failures.get(&(spec.kind, spec.index)) {
            Some(status) => Err(*status),
            None => {
                let pid = Pid::from_raw(self.next_pid);
                self.next_pid += 1;
                self.alive.insert(pid);
                Ok(pid)
            }
        };
        self.calls.push(Call::Spawn {
            kind: spec.kind,
            index: spec.index,
            path: spec.command.path.clone(),
            extra_env: spec.extra_env,
            outcome,
        });
        outcome
    }

    fn kill(
        &mut self,
        scope: KillScope,
        signal: Signal,
        main: Option<Pid>,
        control: Option<Pid>,
    ) -> usize {
        let named = main.into_iter().chain(control).collect::<BTreeSet<_>>();
        let reached = match scope {
            KillScope::Nothing => 0,
            KillScope::MainAndControl => named.iter().filter(|p| self.alive.contains(p)).count(),
            KillScope::All => {
                let mut all = named;
                all.extend(self.alive.iter().copied());
                all.extend(self.others.iter().copied());
                all.iter()
                    .filter(|p| self.alive.contains(p) || self.others.contains(p))
                    .count()
            }
        };
        self.calls.push(Call::Kill {
            scope,
            signal,
            main,
            control,
            reached,
        });
        reached
    }

    fn has_processes(&mut self) -> bool {
        !self.alive.is_empty() || !self.others.is_empty()
    }

    fn read_pid_file(&mut self, path: &Path) -> Option<Pid> {
        self.calls.push(Call::ReadPidFile(path.to_owned()));
        if let Some(pid) = self.pid_file {
            self.others.remove(&pid);
            self.alive.insert(pid);
        }
        self.pid_file
    }

    fn guess_main_pid(&mut self) -> Option<Pid> {
        self.calls.push(Call::GuessMainPid);
        self.guessed_main
    }

    fn belongs(&mut self, pid: Pid) -> bool {
        self.alive.contains(&pid) || self.others.contains(&pid)
    }
}
