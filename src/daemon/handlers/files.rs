//! The verbs that read or change unit files: cat, enable, disable, mask,
//! unmask (is-enabled's word is in [`super::enablement`]).
//!
//! As systemctl does, they look units up in the unit files on disk, whether
//! the daemon has loaded them or not; enable links `<target>.wants/<unit>`
//! (and `.requires/`, aliases) in the first unit directory, disable removes
//! every such link to the unit, mask links the unit's name to /dev/null
//! there; each is followed by a daemon-reload, and `--now` starts or stops
//! the units too.

use std::fs;
use std::io;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use tokio::sync::oneshot;

use super::enablement::{is_instance_of, links_to, on_disk, wants_links};
use super::jobs::start_or_stop;
use super::reload::reload_units;
use super::{answer, not_found, unit_name};
use crate::daemon::state::State;
use crate::ipc::types::{FileChange, FileChangeKind, UnitFile, UnitFiles};
use crate::ipc::Peer;
use crate::ipc::{ErrorCode, Reply, Response};
use crate::unit::{read_install, InstallFile, InstallSection, Lookup, UnitIndex, UnitName};

/// Answers `cat`: each unit's fragment and drop-ins, as they are on disk.
pub fn cat(state: &mut State, units: &[String], peer: &Peer) -> Response {
    let index = on_disk(state);
    let mut out = Vec::new();
    for raw in units {
        let name = unit_name(raw);
        let Ok(parsed) = UnitName::parse(&name) else {
            return not_found(&name);
        };
        let mut files = Vec::new();
        let unit = match index.lookup(&parsed) {
            Lookup::Found {
                name: canonical,
                fragment,
                aliases,
            } => {
                let dropins = index.dropins(&canonical, &aliases);
                for path in std::iter::once(fragment).chain(dropins) {
                    // The daemon reads as its own user; the client gets only
                    // what it could read itself.
                    if !super::access::may_read(&path, peer) {
                        return Response::error(
                            ErrorCode::PermissionDenied,
                            format!("Failed to open {}: Permission denied", path.display()),
                        );
                    }
                    match fs::read_to_string(&path) {
                        Ok(text) => files.push(UnitFile {
                            path: path.display().to_string(),
                            text,
                        }),
                        Err(e) => return io_error(&path, e),
                    }
                }
                canonical.as_str().to_owned()
            }
            Lookup::Masked(mask) => {
                files.push(UnitFile {
                    path: mask.display().to_string(),
                    text: String::new(),
                });
                name
            }
            // A target that exists only as `.wants/` links: no file to show.
            Lookup::NotFound if state.units.get(&name).is_some() => name,
            Lookup::NotFound => return not_found(&name),
        };
        out.push(UnitFiles { unit, files });
    }
    Response::Files { units: out }
}

/// What `enable` needs of a unit: its canonical name, the file to link to
/// and its `[Install]` section, read from disk. An instance of a template
/// gets the template's file; a bare template its DefaultInstance=.
fn resolve_install(
    state: &State,
    index: &UnitIndex,
    raw: &str,
) -> Result<(String, PathBuf, InstallSection), Response> {
    let name = unit_name(raw);
    let parsed = UnitName::parse(&name).map_err(|_| not_found(&name))?;
    let masked = |name: &str| {
        Response::error(
            ErrorCode::Failed,
            format!("Failed to enable unit: Unit {name} is masked."),
        )
    };
    let parsed = if parsed.is_template() {
        // [Install] is read through an instance; DefaultInstance= decides
        // which one is enabled.
        let probe = parsed
            .instantiate("default")
            .map_err(|_| not_found(&name))?;
        let default = match read_install(&state.units.cx, index, &probe) {
            InstallFile::Found { install, .. } => install.default_instance,
            InstallFile::Masked(_) => return Err(masked(&name)),
            InstallFile::NotFound => return Err(not_found(&name)),
        };
        match default.and_then(|i| parsed.instantiate(&i).ok()) {
            Some(instance) => instance,
            None => {
                return Err(Response::error(
                    ErrorCode::Failed,
                    format!("Failed to enable {name}: a template without DefaultInstance= needs an instance name."),
                ))
            }
        }
    } else {
        parsed
    };
    match read_install(&state.units.cx, index, &parsed) {
        InstallFile::Found {
            name,
            fragment,
            install,
        } => Ok((name.as_str().to_owned(), fragment, install)),
        InstallFile::Masked(_) => Err(masked(parsed.as_str())),
        InstallFile::NotFound => Err(not_found(parsed.as_str())),
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
    state: &State,
    index: &UnitIndex,
    raw: &str,
    done: &mut FileChanges,
    depth: usize,
    enabled: &mut Vec<String>,
) -> Result<(), Response> {
    let (name, fragment, install) = resolve_install(state, index, raw)?;
    let dir = write_dir(state)?;
    if install.is_empty() {
        done.messages.push(format!(
            "The unit files have no installation config (WantedBy=, RequiredBy=, Also=, Alias= settings in the [Install] section, and DefaultInstance= for template units). {name} was not enabled."
        ));
    }
    let changes = &mut done.changes;
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
            enable_links(state, index, also.as_str(), done, depth + 1, enabled)?;
        }
    }
    Ok(())
}

/// Answers `enable [--now]`.
pub fn enable(state: &mut State, units: &[String], now: bool, reply: oneshot::Sender<Reply>) {
    let index = on_disk(state);
    let mut done = FileChanges::default();
    let mut enabled = Vec::new();
    for raw in units {
        if let Err(response) = enable_links(state, &index, raw, &mut done, 0, &mut enabled) {
            reload_units(state);
            return answer(reply, response);
        }
    }
    done.messages.extend(reload_about(state, &enabled));
    finish(state, enabled, now, true, done, reply);
}

#[derive(Default)]
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

/// Answers `disable [--now]`: removes the links to the unit and its
/// aliases, or for a template those of every instance.
pub fn disable(state: &mut State, units: &[String], now: bool, reply: oneshot::Sender<Reply>) {
    let index = on_disk(state);
    let mut changes = Vec::new();
    let mut names = Vec::new();
    for raw in units {
        let name = unit_name(raw);
        let Ok(parsed) = UnitName::parse(&name) else {
            return answer(reply, not_found(&name));
        };
        let (name, aliases) = match read_install(&state.units.cx, &index, &parsed) {
            InstallFile::Found { name, install, .. } => (name, install.alias),
            InstallFile::Masked(_) => (parsed, Default::default()),
            InstallFile::NotFound => return answer(reply, not_found(&name)),
        };
        let mut doomed = if name.is_template() {
            wants_links(state, |l| is_instance_of(l, &name))
        } else {
            links_to(state, name.as_str())
        };
        for alias in &aliases {
            for dir in &state.paths.search_path.dirs {
                let link = dir.join(alias.as_str());
                if fs::symlink_metadata(&link).is_ok_and(|m| m.file_type().is_symlink()) {
                    doomed.push(link);
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
        names.push(name.as_str().to_owned());
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
/// of the units the change named, warnings too (`path:line: message`): like
/// systemctl, enable and mask say nothing about the others
/// (`daemon-reload` lists their errors).
fn reload_about(state: &mut State, names: &[String]) -> Vec<String> {
    reload_units(state);
    let loaded = &state.units.loaded;
    let mut seen = std::collections::BTreeSet::new();
    names
        .iter()
        .map(|n| loaded.aliases.get(n).unwrap_or(n))
        .filter(|n| seen.insert(n.as_str()))
        .flat_map(|n| loaded.problems_of(n))
        .map(ToString::to_string)
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
