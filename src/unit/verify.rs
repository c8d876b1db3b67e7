//! `sundial verify`: load units and report every problem, judging validity as
//! `systemd-analyze verify` does.
//!
//! systemd-analyze prints the problems of every unit it loads, but its exit
//! status depends only on the units named: each must load, its start job must
//! be creatable (everything it `Requires=`, `Requisite=` or `BindsTo=`, also
//! indirectly, must exist and load; devices, mounts, swaps, slices and scopes
//! exist without a file), and every command of a service must be an
//! executable file unless prefixed with `-`. Why a named unit does not load
//! is said as systemd-analyze says it (`Unit x.service is masked.`); what
//! keeps its start job from being created as `x.service: Failed to create
//! x.service/start: …`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::assemble::Unit;
use super::diag::{Diagnostic, Problem};
use super::foreign::Foreign;
use super::host::find_executable;
use super::load::{load_units, missing_trigger_warnings, LoadContext, LoadedUnits, UnitIndex};
use super::name::{UnitName, UnitType};
use super::search_path::SearchPath;

/// What to verify: a file on disk or a unit name in the search path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyTarget {
    /// A unit file; its directory is searched first.
    File(PathBuf),
    /// A unit name.
    Unit(String),
}

impl VerifyTarget {
    /// A command-line argument: a path when it contains `/` or names an
    /// existing file, else a unit name.
    pub fn from_arg(arg: &str) -> VerifyTarget {
        if arg.contains('/') || Path::new(arg).is_file() {
            VerifyTarget::File(PathBuf::from(arg))
        } else {
            VerifyTarget::Unit(arg.to_owned())
        }
    }
}

/// The outcome of a verification.
#[derive(Debug, Clone, Default)]
pub struct VerifyReport {
    /// Every problem found, in order.
    pub diagnostics: Vec<Diagnostic>,
    /// Whether any named unit is invalid.
    pub failed: bool,
}

/// Verifies `targets`. File targets put their directories in front of the
/// context's search path.
pub fn verify(cx: &LoadContext<'_>, targets: &[VerifyTarget]) -> VerifyReport {
    let mut report = VerifyReport::default();
    let mut dirs: Vec<PathBuf> = Vec::new();
    let mut names: Vec<(UnitName, PathBuf)> = Vec::new();
    for target in targets {
        let (name, where_) = match target {
            VerifyTarget::File(path) => {
                let file_name = path
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let dir = path
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
                if !dirs.contains(&dir) {
                    dirs.push(dir);
                }
                (file_name, path.clone())
            }
            VerifyTarget::Unit(name) => (name.clone(), PathBuf::from(name)),
        };
        match UnitName::parse(&name) {
            Ok(n) if n.unit_type() == UnitType::Other => {
                fail(
                    &mut report,
                    &where_,
                    format!("{n}: unit type not supported by sundial"),
                );
            }
            // systemd-analyze verifies a template as the instance
            // "test_instance".
            Ok(n) if n.is_template() => match n.instantiate("test_instance") {
                Ok(i) => names.push((i, where_)),
                Err(e) => fail(&mut report, &where_, format!("invalid unit name: {e}")),
            },
            Ok(n) => names.push((n, where_)),
            Err(e) => fail(&mut report, &where_, format!("invalid unit name: {e}")),
        }
    }
    dirs.extend(cx.search_path.dirs.iter().cloned());
    let mut cx = cx.clone();
    cx.search_path = SearchPath::build(&dirs, None, Vec::new());
    let index = UnitIndex::scan(&cx.search_path);
    let requested: Vec<UnitName> = names.iter().map(|(n, _)| n.clone()).collect();
    let loaded = load_units(&cx, &index, &requested);
    report
        .diagnostics
        .extend(loaded.diagnostics.iter().cloned());
    report.diagnostics.extend(missing_trigger_warnings(&loaded));
    for (name, where_) in &names {
        check_unit(&loaded, &index, name, where_, &mut report);
    }
    report
}

fn fail(report: &mut VerifyReport, path: &Path, msg: String) {
    report.failed = true;
    report
        .diagnostics
        .push(Diagnostic::error(path, 0, Problem::Unit(msg)));
}

fn check_unit(
    loaded: &LoadedUnits,
    index: &UnitIndex,
    name: &UnitName,
    where_: &Path,
    report: &mut VerifyReport,
) {
    // systemd-analyze says why a named unit is not loaded as such, and
    // what keeps its start job from being created otherwise.
    if let Some(reason) = own_refusal(loaded, name) {
        fail(report, where_, reason);
        return;
    }
    if let Some(reason) = start_job_error(loaded, index, name, &mut BTreeSet::new()) {
        fail(
            report,
            where_,
            format!("{name}: Failed to create {name}/start: {reason}"),
        );
        return;
    }
    let Some(Unit::Service(service)) = loaded.get(name.as_str()) else {
        return;
    };
    let path = service.source.fragment.clone().unwrap_or_default();
    let s = &service.service;
    let lists = [
        &s.exec_condition,
        &s.exec_start_pre,
        &s.exec_start,
        &s.exec_start_post,
        &s.exec_reload,
        &s.stop.exec_stop,
        &s.stop.exec_stop_post,
    ];
    for command in lists.into_iter().flatten() {
        if command.ignore_failure {
            continue;
        }
        if find_executable(&command.path).is_none() {
            fail(
                report,
                &path,
                format!(
                    "{name}: Command {} is not executable: No such file or directory",
                    command.path
                ),
            );
        }
    }
}

/// Why the named unit itself cannot be started (systemd-analyze's
/// `bus_unit_validate_load_state`): masked, broken, or missing.
fn own_refusal(loaded: &LoadedUnits, name: &UnitName) -> Option<String> {
    let canonical = loaded
        .aliases
        .get(name.as_str())
        .map_or(name.as_str(), String::as_str);
    if let Some(refusal) = loaded.load_refusal(canonical) {
        return Some(refusal);
    }
    if name.unit_type() != UnitType::Other && loaded.get(canonical).is_none() {
        return Some(format!("Unit {name} not found."));
    }
    None
}

/// Why a start job for `name` could not be created, as systemd's transaction
/// code decides: the unit and everything it requires must be loadable.
fn start_job_error(
    loaded: &LoadedUnits,
    index: &UnitIndex,
    name: &UnitName,
    visiting: &mut BTreeSet<String>,
) -> Option<String> {
    if !visiting.insert(name.as_str().to_owned()) {
        return None;
    }
    if let Some(refusal) = loaded.load_refusal(name.as_str()) {
        return Some(refusal);
    }
    if name.unit_type() == UnitType::Other {
        // sundial does not load sockets, mounts, …: existing is enough, and
        // devices, mounts, swaps, slices and scopes exist without a file
        // (systemd loads them from the kernel's view).
        return match index.lookup(name) {
            super::load::Lookup::Masked(_) => Some(format!("Unit {name} is masked.")),
            super::load::Lookup::Found { .. } => None,
            super::load::Lookup::NotFound if Foreign::of(name).is_some() => None,
            super::load::Lookup::NotFound => Some(not_found(index, name)),
        };
    }
    let Some(unit) = loaded.get(name.as_str()) else {
        return Some(not_found(index, name));
    };
    let section = unit.unit_section();
    section
        .dependencies
        .requires
        .iter()
        .chain(&section.dependencies.requisite)
        .chain(&section.dependencies.binds_to)
        .find_map(|dep| start_job_error(loaded, index, dep, visiting))
}

/// `Unit NAME not found.`, with what its entry is when it is a link to
/// nothing.
fn not_found(index: &super::load::UnitIndex, name: &UnitName) -> String {
    match index.broken(name.as_str()) {
        Some((path, why)) => format!("Unit {name} not found: {} is a {why}.", path.display()),
        None => format!("Unit {name} not found."),
    }
}
