//! The verbs that read or change unit files: cat, enable, disable, mask,
//! unmask, and is-enabled's state.
//!
//! As systemctl does, enable links `<target>.wants/<unit>` (and `.requires/`,
//! aliases) in the first unit directory, disable removes every such link to
//! the unit, mask links the unit's name to /dev/null there; each is followed by
//! a daemon-reload, and `--now` starts or stops the units too.

use std::fs;
use std::io;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use tokio::sync::oneshot;

use super::jobs::start_or_stop;
use super::reload::reload_units;
use super::{answer, not_found, unit_name};
use crate::daemon::state::State;
use crate::ipc::types::{FileChange, FileChangeKind, UnitFile, UnitFiles};
use crate::ipc::{ErrorCode, Reply, Response};
use crate::unit::{Unit, UnitName};

/// systemctl's is-enabled word for `name`.
pub fn is_enabled(state: &State, name: &str) -> String {
    let name = state.units.canonical(name);
    if state.units.load_state(name) == "masked" {
        return "masked".into();
    }
    // systemd: a unit made at runtime (systemd-run) is `transient`.
    if state.transient.contains(name) {
        return "transient".into();
    }
    if !links_to(state, name).is_empty() {
        return "enabled".into();
    }
    match state.units.get(name) {
        Some(unit) if unit.source().fragment.is_none() => "static".into(),
        Some(unit) if unit.install().is_empty() => "static".into(),
        Some(_) => "disabled".into(),
        None if state.units.knows(name) => "bad".into(),
        None => template_state(state, name).unwrap_or_else(|| "not-found".into()),
    }
}

/// is-enabled of a template (`foo@.timer`), which is never loaded itself:
/// `enabled` when its DefaultInstance= is linked, `indirect` when only other
/// instances are, else `disabled` or `static` from its `[Install]` section.
/// None when `name` is no template or its file does not exist.
fn template_state(state: &State, name: &str) -> Option<String> {
    let template = UnitName::parse(name).ok().filter(UnitName::is_template)?;
    // [Install] is read through an instance, as enable reads it.
    let probe = template.instantiate("default").ok()?;
    let unit = state.units.peek(probe.as_str())?;
    let install = unit.install();
    let default = install
        .default_instance
        .as_ref()
        .and_then(|i| template.instantiate(i).ok());
    if default.is_some_and(|d| !links_to(state, d.as_str()).is_empty()) {
        return Some("enabled".into());
    }
    let is_instance_link = |file_name: &str| {
        UnitName::parse(file_name)
            .ok()
            .and_then(|n| n.template())
            .is_some_and(|t| t == template)
    };
    if !wants_links(state, is_instance_link).is_empty() {
        return Some("indirect".into());
    }
    Some(
        if install.is_empty() {
            "static"
        } else {
            "disabled"
        }
        .into(),
    )
}

/// Every `.wants/`/`.requires/` link named `name` in the unit directories.
fn links_to(state: &State, name: &str) -> Vec<PathBuf> {
    let mut links = Vec::new();
    for dir in wants_dirs(state) {
        let link = dir.join(name);
        if fs::symlink_metadata(&link).is_ok() {
            links.push(link);
        }
    }
    links
}

/// The `.wants/` and `.requires/` directories of the unit directories.
fn wants_dirs(state: &State) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for dir in &state.paths.search_path.dirs {
        let Ok(entries) = fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let file_name = entry.file_name();
            let file_name = file_name.to_string_lossy();
            if file_name.ends_with(".wants") || file_name.ends_with(".requires") {
                dirs.push(entry.path());
            }
        }
    }
    dirs
}

/// Every `.wants/`/`.requires/` entry of the unit directories whose file
/// name `wanted` accepts.
fn wants_links(state: &State, wanted: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut links = Vec::new();
    for dir in wants_dirs(state) {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        links.extend(
            entries
                .flatten()
                .filter(|l| wanted(&l.file_name().to_string_lossy()))
                .map(|l| l.path()),
        );
    }
    links
}

/// Answers `cat`: each unit's fragment and drop-ins.
pub fn cat(state: &mut State, units: &[String]) -> Response {
    let mut out = Vec::new();
    for raw in units {
        let name = unit_name(raw);
        if !state.units.knows(&name) && !state.units.load_extra(&name) {
            return not_found(&name);
        }
        let name = state.units.canonical(&name).to_owned();
        let mut files = Vec::new();
        if let Some(mask) = state.units.loaded.masked.get(&name) {
            files.push(UnitFile {
                path: mask.display().to_string(),
                text: String::new(),
            });
        } else if let Some(unit) = state.units.get(&name) {
            let source = unit.source();
            for path in source.fragment.iter().chain(&source.dropins) {
                match fs::read_to_string(path) {
                    Ok(text) => files.push(UnitFile {
                        path: path.display().to_string(),
                        text,
                    }),
                    Err(e) => {
                        return Response::error(
                            ErrorCode::Failed,
                            format!("{}: {e}", path.display()),
                        )
                    }
                }
            }
        }
        out.push(UnitFiles { unit: name, files });
    }
    Response::Files { units: out }
}

/// The unit to enable for a name: an instance of a template gets the
/// template's file; a bare template its DefaultInstance=.
fn resolve_install(state: &mut State, raw: &str) -> Result<(String, Unit), Response> {
    let mut name = unit_name(raw);
    if let Ok(parsed) = UnitName::parse(&name) {
        if parsed.is_template() {
            // Load an instance to read [Install] (templates are not loaded
            // on their own); DefaultInstance= decides which one.
            let probe = parsed
                .instantiate("default")
                .map_err(|_| not_found(&name))?;
            let default = state
                .units
                .peek(probe.as_str())
                .ok_or_else(|| not_found(&name))?
                .install()
                .default_instance
                .clone();
            match default.and_then(|i| parsed.instantiate(&i).ok()) {
                Some(instance) => name = instance.as_str().to_owned(),
                None => {
                    return Err(Response::error(
                        ErrorCode::Failed,
                        format!("Failed to enable {name}: a template without DefaultInstance= needs an instance name."),
                    ))
                }
            }
        }
    }
    if !state.units.knows(&name) && !state.units.load_extra(&name) {
        return Err(not_found(&name));
    }
    match state.units.get(&name) {
        Some(u) => Ok((name.clone(), u.clone())),
        None if state.units.load_state(&name) == "masked" => Err(Response::error(
            ErrorCode::Failed,
            format!("Failed to enable unit: Unit {name} is masked."),
        )),
        None => Err(not_found(&name)),
    }
}

fn write_dir(state: &State) -> Result<PathBuf, Response> {
    state
        .paths
        .first_unit_dir()
        .map(Path::to_path_buf)
        .ok_or_else(|| Response::error(ErrorCode::Failed, "no unit directory to write to"))
}

fn io_error(path: &Path, e: io::Error) -> Response {
    Response::error(ErrorCode::Failed, format!("{}: {e}", path.display()))
}

/// Creates `link -> target` unless it is already there.
fn make_link(link: &Path, target: &Path, changes: &mut Vec<FileChange>) -> Result<(), Response> {
    if let Ok(existing) = fs::read_link(link) {
        // A link to the same file spelt another way (`../backup.timer`, as
        // made by hand or a package) is already what enable would make.
        let same_file = || {
            let resolved = fs::canonicalize(link).ok();
            resolved.is_some() && resolved == fs::canonicalize(target).ok()
        };
        if existing == target || same_file() {
            return Ok(());
        }
        fs::remove_file(link).map_err(|e| io_error(link, e))?;
    }
    if let Some(parent) = link.parent() {
        fs::create_dir_all(parent).map_err(|e| io_error(parent, e))?;
    }
    symlink(target, link).map_err(|e| io_error(link, e))?;
    changes.push(FileChange {
        kind: FileChangeKind::Symlink,
        path: link.display().to_string(),
        target: Some(target.display().to_string()),
    });
    Ok(())
}

fn enable_links(
    state: &mut State,
    raw: &str,
    changes: &mut Vec<FileChange>,
    messages: &mut Vec<String>,
    depth: usize,
    enabled: &mut Vec<String>,
) -> Result<(), Response> {
    let (name, unit) = resolve_install(state, raw)?;
    let dir = write_dir(state)?;
    let install = unit.install().clone();
    let Some(fragment) = unit.source().fragment.clone() else {
        return Err(not_found(&name));
    };
    if install.is_empty() {
        messages.push(format!(
            "The unit files have no installation config (WantedBy=, RequiredBy=, Also=, Alias= settings in the [Install] section, and DefaultInstance= for template units). {name} was not enabled."
        ));
    }
    for target in &install.wanted_by {
        make_link(
            &dir.join(format!("{target}.wants")).join(&name),
            &fragment,
            changes,
        )?;
    }
    for target in &install.required_by {
        make_link(
            &dir.join(format!("{target}.requires")).join(&name),
            &fragment,
            changes,
        )?;
    }
    for alias in &install.alias {
        make_link(&dir.join(alias.as_str()), &fragment, changes)?;
    }
    enabled.push(name);
    // Also= units are enabled with this one (bounded against cycles).
    if depth < 8 {
        for also in &install.also {
            enable_links(state, also.as_str(), changes, messages, depth + 1, enabled)?;
        }
    }
    Ok(())
}

/// Answers `enable [--now]`.
pub fn enable(state: &mut State, units: &[String], now: bool, reply: oneshot::Sender<Reply>) {
    let mut changes = Vec::new();
    let mut messages = Vec::new();
    let mut enabled = Vec::new();
    for raw in units {
        if let Err(response) =
            enable_links(state, raw, &mut changes, &mut messages, 0, &mut enabled)
        {
            reload_units(state);
            return answer(reply, response);
        }
    }
    messages.extend(reload_about(state, &enabled));
    finish(
        state,
        enabled,
        now,
        true,
        FileChanges { changes, messages },
        reply,
    );
}

struct FileChanges {
    changes: Vec<FileChange>,
    messages: Vec<String>,
}

fn finish(
    state: &mut State,
    names: Vec<String>,
    now: bool,
    start: bool,
    done: FileChanges,
    reply: oneshot::Sender<Reply>,
) {
    let success = Response::FileChanges {
        changes: done.changes,
        messages: done.messages,
    };
    if !now {
        return answer(reply, success);
    }
    match start_or_stop(state, &names, start) {
        Ok(jobs) => {
            state.waits.add(jobs, success, reply);
            state.settle();
        }
        Err(response) => {
            state.settle();
            answer(reply, response);
        }
    }
}

/// Answers `disable [--now]`.
pub fn disable(state: &mut State, units: &[String], now: bool, reply: oneshot::Sender<Reply>) {
    let mut changes = Vec::new();
    let mut names = Vec::new();
    for raw in units {
        let name = unit_name(raw);
        if !state.units.knows(&name) && !state.units.load_extra(&name) {
            return answer(reply, not_found(&name));
        }
        let name = state.units.canonical(&name).to_owned();
        let mut doomed = links_to(state, &name);
        if let Some(unit) = state.units.get(&name) {
            for alias in &unit.install().alias {
                for dir in &state.paths.search_path.dirs {
                    let link = dir.join(alias.as_str());
                    if fs::symlink_metadata(&link).is_ok_and(|m| m.file_type().is_symlink()) {
                        doomed.push(link);
                    }
                }
            }
        }
        for link in doomed {
            match fs::remove_file(&link) {
                Ok(()) => changes.push(FileChange {
                    kind: FileChangeKind::Unlink,
                    path: link.display().to_string(),
                    target: None,
                }),
                Err(e) => return answer(reply, io_error(&link, e)),
            }
        }
        names.push(name);
    }
    let messages = reload_about(state, &names);
    finish(
        state,
        names,
        now,
        false,
        FileChanges { changes, messages },
        reply,
    );
}

/// Answers `mask`.
pub fn mask(state: &mut State, units: &[String]) -> Response {
    let dir = match write_dir(state) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let mut changes = Vec::new();
    for raw in units {
        let name = unit_name(raw);
        let link = dir.join(&name);
        let null = Path::new("/dev/null");
        match fs::symlink_metadata(&link) {
            Ok(m)
                if m.file_type().is_symlink() && fs::read_link(&link).is_ok_and(|t| t == null) =>
            {
                continue
            }
            Ok(_) => {
                return Response::error(
                    ErrorCode::Failed,
                    format!(
                        "Failed to mask unit: File {} already exists.",
                        link.display()
                    ),
                )
            }
            Err(_) => {}
        }
        if let Err(r) = make_link(&link, null, &mut changes) {
            return r;
        }
    }
    let names: Vec<String> = units.iter().map(|u| unit_name(u)).collect();
    let messages = reload_about(state, &names);
    Response::FileChanges { changes, messages }
}

/// Re-reads the unit files after a change to them, and returns the problems
/// found in the units the change named: like systemctl, enable and mask say
/// nothing about the others (`daemon-reload` lists them all).
fn reload_about(state: &mut State, names: &[String]) -> Vec<String> {
    reload_units(state)
        .into_iter()
        .filter(|m| names.iter().any(|n| m.contains(n.as_str())))
        .collect()
}

/// Answers `unmask`.
pub fn unmask(state: &mut State, units: &[String]) -> Response {
    let mut changes = Vec::new();
    for raw in units {
        let name = unit_name(raw);
        for dir in &state.paths.search_path.dirs {
            let link = dir.join(&name);
            if fs::read_link(&link).is_ok_and(|t| t == Path::new("/dev/null")) {
                if let Err(e) = fs::remove_file(&link) {
                    return io_error(&link, e);
                }
                changes.push(FileChange {
                    kind: FileChangeKind::Unlink,
                    path: link.display().to_string(),
                    target: None,
                });
            }
        }
    }
    let names: Vec<String> = units.iter().map(|u| unit_name(u)).collect();
    let messages = reload_about(state, &names);
    Response::FileChanges { changes, messages }
}
