//! Which service a process the daemon inherited belongs to.
//!
//! The daemon is child subreaper: every process of a service whose parent
//! dies is re-parented to it. Where the service has a cgroup, the cgroup
//! says whose the process is, and nothing the process does changes that.
//! Without one (no writable cgroup v2 tree, or `SUNDIAL_CGROUPS=off`) the
//! daemon goes by what it can still see, best first:
//!
//! 1. the process tree it saw earlier: an [`OwnershipMap`] of (pid, start
//!    time) to unit, filled from scans of /proc (at a child's exit, before
//!    a stop, and every [`SCAN_INTERVAL`] while a service without a cgroup
//!    has processes), in which every descendant of a service's sessions is
//!    that service's;
//! 2. `$INVOCATION_ID` in its environment;
//! 3. its standard streams: a service's captured output pipe;
//! 4. the service that just lost a process (its parent, most likely).
//!
//! A process none of these claims is a stray. The race this cannot close: a
//! process that leaves its session (setsid), clears its environment, closes
//! its standard streams and is orphaned, all between two scans, carries
//! nothing that tells its service. What is done about it: the stray is kept
//! in view (with its start time), and ended (SIGKILL) when a service whose
//! run began before the stray started is stopped (or found stopping) with
//! `KillMode=control-group` or `mixed`: it may be that service's. It may also be another running service's, started
//! after the stopped one began: that one loses it. A stray older than every
//! stopping run is left alone (a process an earlier run left behind).

use std::collections::HashMap;
use std::time::Duration;

use nix::unistd::Pid;

use super::procs::ProcInfo;

/// How often the process tree is read while a service without a cgroup has
/// processes.
pub const SCAN_INTERVAL: Duration = Duration::from_secs(1);

/// The least time between two scans made for a child's exit: a burst of
/// exits costs one scan, and with the ticks there are at most two a second
/// (a read of 1,000 processes takes some 25 ms, see
/// tests/reliability_escape.rs).
pub const SCAN_AT_EXIT_GAP: Duration = Duration::from_millis(500);

/// (pid, start time) -> unit, as last seen in the process tree.
#[derive(Debug, Default, Clone)]
pub struct OwnershipMap {
    by_process: HashMap<(i32, u64), String>,
}

impl OwnershipMap {
    /// Takes a new scan: every process in `owned` (unit, its processes in
    /// `table`) is that unit's; processes gone from `table` are forgotten.
    pub fn refresh<'a>(
        &mut self,
        table: &[ProcInfo],
        owned: impl IntoIterator<Item = (&'a str, Vec<Pid>)>,
    ) {
        let start_of: HashMap<Pid, u64> = table
            .iter()
            .filter(|p| !p.zombie)
            .map(|p| (p.pid, p.start))
            .collect();
        self.by_process
            .retain(|(pid, start), _| start_of.get(&Pid::from_raw(*pid)) == Some(start));
        for (unit, pids) in owned {
            for pid in pids {
                if let Some(start) = start_of.get(&pid) {
                    self.by_process
                        .insert((pid.as_raw(), *start), unit.to_owned());
                }
            }
        }
    }

    /// The unit `pid`, started at `start`, was seen in.
    pub fn owner(&self, pid: Pid, start: u64) -> Option<&str> {
        self.by_process
            .get(&(pid.as_raw(), start))
            .map(String::as_str)
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.by_process.len()
    }
}

/// What tells whose an inherited process is, each as the unit it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Evidence<U> {
    /// The service cgroup it is in.
    pub cgroup: Option<U>,
    /// The ownership map.
    pub seen: Option<U>,
    /// `$INVOCATION_ID`.
    pub invocation: Option<U>,
    /// It carries an `$INVOCATION_ID` of no current run (a process an
    /// earlier run left behind, or another manager's): not ours to end, and
    /// the clues below do not apply to it.
    pub foreign: bool,
    /// A captured output pipe on its standard streams.
    pub output: Option<U>,
    /// The only service (or the session leader's) that just lost a process.
    pub lost_parent: Option<U>,
}

impl<U> Default for Evidence<U> {
    fn default() -> Self {
        Evidence {
            cgroup: None,
            seen: None,
            invocation: None,
            foreign: false,
            output: None,
            lost_parent: None,
        }
    }
}

/// What becomes of a process the daemon inherited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict<U> {
    /// It is this unit's.
    Owner(U),
    /// No unit claims it: a stray, ended at a stop that may be its
    /// service's (see [`stray_ended`]).
    Stray,
    /// No unit claims it yet, but an exit of ours is still to be reaped
    /// (its parent's, maybe, which would tell): looked at again then.
    Wait,
    /// No unit claims it, but it is not ended (see `foreign`): reaped when
    /// it exits.
    Reap,
    /// No unit claims it and inherited processes are not this supervisor's
    /// to judge (one of several in a process with children of its own).
    Leave,
}

/// Judges one inherited process: the first piece of evidence, in order of
/// trust; else, where strays are this supervisor's (`strays_ours`), ended,
/// unless an exit still to be reaped may yet tell.
pub fn judge<U>(e: Evidence<U>, strays_ours: bool, exits_pending: bool) -> Verdict<U> {
    let mut owner = e.cgroup.or(e.seen).or(e.invocation);
    if !e.foreign {
        owner = owner.or(e.output).or(e.lost_parent);
    }
    match owner {
        Some(unit) => Verdict::Owner(unit),
        None if !strays_ours => Verdict::Leave,
        None if e.foreign => Verdict::Reap,
        None if exits_pending => Verdict::Wait,
        None => Verdict::Stray,
    }
}

/// Whether a stray that started at `start` (clock ticks since boot) is
/// ended now, given when the runs of the services being stopped began: it
/// is if one of them began no later, so that the stray may be its.
pub fn stray_ended(start: u64, stopping_since: impl IntoIterator<Item = u64>) -> bool {
    stopping_since.into_iter().any(|since| since <= start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(pid: i32, start: u64) -> ProcInfo {
        ProcInfo {
            pid: Pid::from_raw(pid),
            ppid: Pid::from_raw(1),
            pgid: Pid::from_raw(pid),
            sid: Pid::from_raw(pid),
            zombie: false,
            start,
        }
    }

    #[test]
    fn the_map_names_a_process_by_pid_and_start_time() {
        let mut map = OwnershipMap::default();
        let table = [info(10, 100), info(11, 101), info(12, 102)];
        map.refresh(
            &table,
            [
                ("a.service", vec![Pid::from_raw(10), Pid::from_raw(11)]),
                ("b.service", vec![Pid::from_raw(12)]),
            ],
        );
        assert_eq!(map.owner(Pid::from_raw(11), 101), Some("a.service"));
        assert_eq!(map.owner(Pid::from_raw(12), 102), Some("b.service"));
        // The pid again, another process: not the unit's.
        assert_eq!(map.owner(Pid::from_raw(11), 999), None);
        // A later scan: 10 is gone, 11 was re-parented (no longer in a
        // session of a.service) and is still known, 12's pid was reused.
        let table = [info(11, 101), info(12, 555)];
        map.refresh(&table, [("a.service", vec![])]);
        assert_eq!(map.owner(Pid::from_raw(10), 100), None);
        assert_eq!(map.owner(Pid::from_raw(11), 101), Some("a.service"));
        assert_eq!(map.owner(Pid::from_raw(12), 555), None);
        assert_eq!(map.len(), 1);
    }

    #[test]
    fn evidence_is_taken_in_order_of_trust() {
        let all = Evidence {
            cgroup: Some("c"),
            seen: Some("s"),
            invocation: Some("i"),
            foreign: false,
            output: Some("o"),
            lost_parent: Some("l"),
        };
        assert_eq!(judge(all, true, false), Verdict::Owner("c"));
        let no_cgroup = Evidence {
            cgroup: None,
            ..all
        };
        assert_eq!(judge(no_cgroup, true, false), Verdict::Owner("s"));
        // env -i setsid: only the output pipe is left.
        let escaped = Evidence {
            output: Some("o"),
            ..Evidence::default()
        };
        assert_eq!(judge(escaped, true, false), Verdict::Owner("o"));
        let parent = Evidence {
            lost_parent: Some("l"),
            ..Evidence::default()
        };
        assert_eq!(judge(parent, true, true), Verdict::Owner("l"));
        // Another run's process is not taken for the one that lost a
        // process, nor ended.
        let foreign = Evidence {
            foreign: true,
            ..parent
        };
        assert_eq!(judge(foreign, true, false), Verdict::Reap);
        assert_eq!(judge(foreign, false, false), Verdict::Leave);
    }

    #[test]
    fn a_stray_is_ended_by_the_stop_of_a_run_older_than_it() {
        assert!(stray_ended(500, [100]));
        assert!(stray_ended(500, [500]));
        assert!(stray_ended(500, [900, 300]));
        // Started before every stopping run began: not theirs.
        assert!(!stray_ended(500, [600, 700]));
        assert!(!stray_ended(500, []));
    }

    #[test]
    fn a_process_nothing_claims_is_a_stray_once_no_exit_may_tell() {
        let none = Evidence::<&str>::default();
        assert_eq!(judge(none, true, false), Verdict::Stray);
        assert_eq!(judge(none, true, true), Verdict::Wait);
        assert_eq!(judge(none, false, false), Verdict::Leave);
        assert_eq!(judge(none, false, true), Verdict::Leave);
    }
}
