//! Transient units: what `sundial run` makes (systemd-run's transient
//! services and timers). They live in the store until they are done, and in
//! files under the runtime directory's `transient/`, which comes first in
//! the search path (systemd's /run/systemd/transient), so that `cat`,
//! `status` and `daemon-reload` see them as any unit.
//!
//! - **Made**: the text is loaded as a unit file is (with drop-ins); any
//!   problem but a directive sundial does not implement refuses it, and
//!   nothing is made. Then the rows are stored and committed, the files
//!   written, and the units added to the loaded set, the supervisor and the
//!   scheduler.
//! - **Durable**: at start the daemon writes the files again from the store
//!   before it loads units, and starts each transient timer with its first
//!   start and last trigger ([`Resume`]): `OnActiveSec=` elapses at
//!   creation + span whatever restarted in between, and a one-shot value
//!   that fired does not fire again. A transient timer's trigger is recorded
//!   as a monotonic stamp, committed before its service starts, as
//!   Persistent= stamps are. Services are not restarted: one that ran when
//!   the daemon stopped was stopped with it (or, after `kill -9`, its run is
//!   closed as cut off), and is done.
//! - **Done** (systemd's garbage collection of transient units): a timer
//!   when it is stopped or can never elapse again (`dead`); a service when
//!   it is inactive and no transient timer that starts it is left; with
//!   `CollectMode=inactive-or-failed` also when failed, otherwise a failed
//!   one stays until `reset-failed`. It is unloaded, and its file, row and
//!   stamps go; its runs and captured lines stay (`collect.rs`).

mod collect;

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sundial_calendar::Timestamp;

use super::state::{report, State};
use crate::ipc::Response;
use crate::scheduler::persistent::{BootStamp, Resume};
use crate::scheduler::{Event, Start};
use crate::store::{MonotonicStamp, Store, StoreError, TransientUnit};
use crate::supervisor::ActiveState;
use crate::unit::assemble::{assemble, LexedFile};
use crate::unit::lexer::lex;
use crate::unit::{Diagnostic, LoadedUnits, ParseEnv, Problem, Unit, UnitName};

/// The directory of transient unit files, in the runtime directory.
pub fn directory(runtime_dir: &Path) -> PathBuf {
    runtime_dir.join("transient")
}

/// When a transient unit was made, on every clock, with its boot.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Created {
    boot_id: String,
    realtime: Timestamp,
    monotonic_usec: u64,
    boottime_usec: u64,
}

/// The transient units the daemon has.
#[derive(Debug, Default)]
pub struct TransientUnits {
    dir: PathBuf,
    units: BTreeMap<String, Created>,
}

/// A unit to make: its name and unit file.
#[derive(Debug, Clone)]
pub struct NewUnit {
    pub name: UnitName,
    pub text: String,
}

impl TransientUnits {
    /// The units of the store, their files written afresh into `dir`:
    /// whatever the directory held is from an earlier life, and the store is
    /// what counts. Called before the units are loaded.
    pub fn restore(dir: PathBuf, store: &Store) -> TransientUnits {
        if let Err(e) = empty_directory(&dir) {
            report(format!(
                "{}: cannot prepare the directory: {e}",
                dir.display()
            ));
        }
        let rows = store.transient_units().unwrap_or_else(|e| {
            report(format!("cannot read the transient units: {e}"));
            Vec::new()
        });
        let mut units = BTreeMap::new();
        for row in rows {
            write_file(&dir, &row.unit, &row.text);
            units.insert(
                row.unit,
                Created {
                    boot_id: row.boot_id,
                    realtime: row.created_realtime,
                    monotonic_usec: row.created_monotonic_usec,
                    boottime_usec: row.created_boottime_usec,
                },
            );
        }
        TransientUnits { dir, units }
    }

    /// The directory of their files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether `name` is a transient unit.
    pub fn contains(&self, name: &str) -> bool {
        self.units.contains_key(name)
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }
}

/// Removes the files of `dir` (creating it if needed, private).
fn empty_directory(dir: &Path) -> io::Result<()> {
    match fs::read_dir(dir) {
        Ok(entries) => {
            for entry in entries.flatten() {
                if entry.file_type().is_ok_and(|t| !t.is_dir()) {
                    fs::remove_file(entry.path())?;
                }
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Writes a unit file; a failure is reported, not fatal: the unit is loaded
/// from the text, and the file is written again at the next start.
fn write_file(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    if let Err(e) = fs::write(&path, text) {
        report(format!(
            "{}: cannot write the unit file: {e}",
            path.display()
        ));
    }
}

/// Why transient units were not made.
#[derive(Debug, thiserror::Error)]
pub enum TransientError {
    /// A drop-in of the unit cannot be read.
    #[error("{}: {source}", path.display())]
    DropIn { path: PathBuf, source: io::Error },
    /// Settings systemd would refuse for a transient unit; every problem,
    /// one per line.
    #[error("{}", refusals.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Refused { refusals: Vec<Diagnostic> },
    /// A unit's row cannot be written.
    #[error("cannot store {unit}: {source}")]
    Store {
        unit: String,
        source: Box<StoreError>,
    },
    /// The rows cannot be committed.
    #[error("cannot store the transient units: {0}")]
    Commit(Box<StoreError>),
}

/// Loads a transient unit from its text as the loader loads a file, with
/// the drop-ins the search path has for it. The unit and the warnings to
/// pass on, or every problem.
fn load(state: &State, name: &UnitName, text: &str) -> Result<(Unit, Vec<String>), TransientError> {
    let path = state.transient.dir.join(name.as_str());
    let mut files = vec![LexedFile {
        lexed: lex(&path, text),
        path: path.clone(),
    }];
    for dropin in state.units.index.dropins(name, &[]) {
        let bytes = match fs::read(&dropin) {
            Ok(bytes) => bytes,
            Err(source) => {
                return Err(TransientError::DropIn {
                    path: dropin,
                    source,
                })
            }
        };
        files.push(LexedFile {
            lexed: lex(&dropin, &String::from_utf8_lossy(&bytes)),
            path: dropin,
        });
    }
    let cx = &state.units.cx;
    let env = ParseEnv {
        specifiers: &cx.specifiers,
        local_zone: &cx.local_zone,
        zones: cx.zones,
    };
    let mut diagnostics = Vec::new();
    let unit = assemble(name, Some(&path), &files, &env, &mut diagnostics);
    // systemd refuses a transient setting it does not know or cannot parse,
    // where a unit file would only have the line ignored; a directive
    // sundial does not implement is reported as in a file.
    let (warnings, refusals): (Vec<_>, Vec<_>) = diagnostics
        .into_iter()
        .partition(|d| !d.is_error() && matches!(d.problem, Problem::Unsupported { .. }));
    match unit {
        Some(unit) if refusals.is_empty() => {
            Ok((unit, warnings.iter().map(ToString::to_string).collect()))
        }
        _ => Err(TransientError::Refused { refusals }),
    }
}

/// Makes transient units, all or none; the warnings to pass on, or why
/// nothing was made. They are durable when this returns; the caller starts
/// them.
pub fn create(state: &mut State, new: &[NewUnit]) -> Result<Vec<String>, TransientError> {
    let mut loaded = Vec::with_capacity(new.len());
    let mut warnings = Vec::new();
    for u in new {
        let (unit, w) = load(state, &u.name, &u.text)?;
        loaded.push(unit);
        warnings.extend(w);
    }
    let now = state.now();
    let created = Created {
        boot_id: state.boot_id.clone(),
        realtime: now.realtime,
        monotonic_usec: now.monotonic.as_usec(),
        boottime_usec: now.boottime.as_usec(),
    };
    let mut stored: Vec<&str> = Vec::new();
    for u in new {
        let row = TransientUnit {
            unit: u.name.to_string(),
            text: u.text.clone(),
            boot_id: created.boot_id.clone(),
            created_realtime: created.realtime,
            created_monotonic_usec: created.monotonic_usec,
            created_boottime_usec: created.boottime_usec,
        };
        if let Err(e) = state.store.add_transient(&row) {
            for name in stored {
                let _ = state.store.remove_transient(name);
            }
            return Err(TransientError::Store {
                unit: u.name.to_string(),
                source: Box::new(e),
            });
        }
        stored.push(u.name.as_str());
    }
    // A client hears of a unit only once it is durable.
    if let Err(e) = state.store.commit() {
        return Err(TransientError::Commit(Box::new(e)));
    }
    for u in new {
        write_file(&state.transient.dir, u.name.as_str(), &u.text);
    }
    edit_loaded(state, |set| {
        for unit in &loaded {
            set.units.insert(unit.name().clone(), unit.clone());
        }
    });
    for unit in loaded {
        state
            .transient
            .units
            .insert(unit.name().to_string(), created.clone());
        match unit {
            Unit::Service(s) => state.supervisor.add_unit(s),
            Unit::Timer(t) => state.schedule(Event::Load(t)),
            Unit::Target(_) | Unit::Socket(_) | Unit::Path(_) => {}
        }
    }
    Ok(warnings)
}

/// Starts the transient timers restored at start, each with its first start
/// and last trigger. Called before anything can collect them.
pub fn resume_timers(state: &mut State) {
    let timers: Vec<(String, Created)> = state
        .transient
        .units
        .iter()
        .filter(|(name, _)| name.ends_with(".timer"))
        .map(|(name, created)| (name.clone(), created.clone()))
        .collect();
    let now = state.now();
    for (name, created) in timers {
        let Some(clock) = state.scheduler.timer(&name).map(|t| t.monotonic_clock()) else {
            continue;
        };
        let reading = match clock {
            crate::scheduler::clock::ClockId::Boottime => created.boottime_usec,
            _ => created.monotonic_usec,
        };
        // A reading ahead of the clock cannot be from this boot, whatever
        // the boot id says (a container sharing its host's).
        let this_boot =
            (created.boot_id == state.boot_id && reading <= now.usec(clock)).then_some(reading);
        let resume = Resume {
            activated: BootStamp {
                realtime: created.realtime,
                this_boot,
            },
            last_trigger: state.boot_stamp(&name, clock),
        };
        state.start_timer_resumed(&name, resume);
    }
}

/// Records the trigger of a transient timer (its monotonic stamp), for its
/// next life; returns whether it wrote one, which the caller commits before
/// the start.
pub fn record_trigger(state: &mut State, start: &Start) -> bool {
    // While the daemon stops, the start is not carried out: the next life
    // must see the timer as not fired.
    if state.shutting_down || !state.transient.contains(&start.timer) {
        return false;
    }
    let Some(clock) = state
        .scheduler
        .timer(&start.timer)
        .map(|t| t.monotonic_clock())
    else {
        return false;
    };
    let stamp = MonotonicStamp {
        boot_id: state.boot_id.clone(),
        monotonic_usec: start.at.usec(clock),
        realtime: start.at.realtime,
    };
    if let Err(e) = state.store.set_monotonic_stamp(&start.timer, &stamp) {
        report(format!("{}: cannot record its trigger: {e}", start.timer));
    }
    true
}

/// After the supervisor's changes are applied: tells `run --wait` clients
/// whose service is done how it ended, then removes the transient units
/// that are done.
pub fn settle(state: &mut State) {
    answer_finished(state);
    collect::collect(state);
}

/// A service is done for `run --wait` once it is inactive or failed with no
/// job left (a restart queued is not the end).
fn answer_finished(state: &mut State) {
    if state.run_waits.is_empty() {
        return;
    }
    let supervisor = &state.supervisor;
    let done = state.run_waits.take_done(|unit| {
        !supervisor.has_job(unit)
            && supervisor
                .status(unit)
                .is_none_or(|s| matches!(s.active, ActiveState::Inactive | ActiveState::Failed))
    });
    for (unit, frames) in done {
        // The channel holds the two frames of a wait: this cannot be full.
        let _ = frames.try_send(summary(state, &unit));
    }
}

/// How a service ended, for `run --wait`.
fn summary(state: &State, unit: &str) -> Response {
    let status = state.supervisor.status(unit);
    let exit = status.as_ref().and_then(|s| s.main_exit);
    let runtime_usec = match state.store.last_run(unit) {
        Ok(Some(run)) => run
            .end
            .map(|end| u64::try_from(end.as_usec() - run.start.as_usec()).unwrap_or(0)),
        _ => None,
    };
    Response::Finished {
        service: unit.to_owned(),
        result: status
            .as_ref()
            .map_or("success", |s| s.result.as_str())
            .to_owned(),
        exit_code: exit.map(|e| e.code_name().to_owned()),
        exit_status: exit.map(|e| e.status_text()),
        runtime_usec,
    }
}

/// Changes the loaded units in place. The supervisor's resolver shares
/// them; it lets go first, so that they are not copied (100,000 units
/// would take milliseconds), and gets the changed set after.
fn edit_loaded(state: &mut State, change: impl FnOnce(&mut LoadedUnits)) {
    state.supervisor.set_resolver(Box::new(|_| None));
    change(Arc::make_mut(&mut state.units.loaded));
    state.supervisor.set_resolver(state.units.resolver());
}
