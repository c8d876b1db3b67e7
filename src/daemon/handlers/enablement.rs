//! is-enabled's word for a unit (`enabled`, `disabled`, `static`,
//! `indirect`, `masked`, `not-found`), from the `.wants/`/`.requires/`
//! links and the unit's `[Install]` section, as systemctl reads them on disk.

use std::fs;
use std::path::PathBuf;

use crate::daemon::state::State;
use crate::daemon::units::LoadState;
use crate::unit::{read_install, InstallFile, UnitIndex, UnitName};

/// systemctl's is-enabled word for `name`. A unit the daemon has not
/// loaded, or could not load, is looked up on disk, as systemctl reads the
/// unit files there.
pub fn is_enabled(state: &State, name: &str) -> String {
    let name = state.units.canonical(name);
    if state.units.load_state(name) == LoadState::Masked {
        return "masked".into();
    }
    // systemd: a unit made at runtime (systemd-run) is `transient`.
    if state.transient.contains(name) {
        return "transient".into();
    }
    match state.units.get(name) {
        // An implicit target (only `.wants/` links) has no file to install.
        Some(unit) => link_state(
            state,
            name,
            unit.source().fragment.is_some() && !unit.install().is_empty(),
        ),
        // A unit that failed to load is in the last load's index; only one
        // the daemon has never seen needs a fresh look at the directories
        // (`status` of every unit asks for each).
        None if state.units.knows(name) => on_disk_state(state, &state.units.index, name),
        None => on_disk_state(state, &on_disk(state), name),
    }
}

/// `enabled` when a `.wants/` or `.requires/` link names the unit, else
/// `disabled` when its `[Install]` section could make one, `static` when not.
fn link_state(state: &State, name: &str, installable: bool) -> String {
    if !links_to(state, name).is_empty() {
        "enabled"
    } else if installable {
        "disabled"
    } else {
        "static"
    }
    .into()
}

/// is-enabled from the unit files alone, as `index` finds them.
fn on_disk_state(state: &State, index: &UnitIndex, name: &str) -> String {
    let Ok(parsed) = UnitName::parse(name) else {
        return "not-found".into();
    };
    if parsed.is_template() {
        return template_state(state, index, &parsed).unwrap_or_else(|| "not-found".into());
    }
    match read_install(&state.units.cx, index, &parsed) {
        InstallFile::Found { name, install, .. } => {
            link_state(state, name.as_str(), !install.is_empty())
        }
        InstallFile::Masked(_) => "masked".into(),
        InstallFile::NotFound => "not-found".into(),
    }
}

/// The unit files as they are on disk now. The file verbs read them there,
/// as systemctl does: a unit written after the daemon started, or one the
/// daemon could not load, is found all the same.
pub(super) fn on_disk(state: &State) -> UnitIndex {
    UnitIndex::scan(&state.units.cx.search_path)
}

/// is-enabled of a template (`foo@.timer`), which is never loaded itself:
/// `enabled` when its DefaultInstance= is linked, `indirect` when only other
/// instances are, else `disabled` or `static` from its `[Install]` section.
/// None when its file does not exist.
fn template_state(state: &State, index: &UnitIndex, template: &UnitName) -> Option<String> {
    // [Install] is read through an instance, as enable reads it.
    let probe = template.instantiate("default").ok()?;
    let install = match read_install(&state.units.cx, index, &probe) {
        InstallFile::Found { install, .. } => install,
        InstallFile::Masked(_) => return Some("masked".into()),
        InstallFile::NotFound => return None,
    };
    let default = install
        .default_instance
        .as_ref()
        .and_then(|i| template.instantiate(i).ok());
    if default.is_some_and(|d| !links_to(state, d.as_str()).is_empty()) {
        return Some("enabled".into());
    }
    if !wants_links(state, |l| is_instance_of(l, template)).is_empty() {
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

/// Whether the link file name `file_name` is an instance of `template`.
pub(super) fn is_instance_of(file_name: &str, template: &UnitName) -> bool {
    UnitName::parse(file_name)
        .ok()
        .and_then(|n| n.template())
        .is_some_and(|t| t == *template)
}

/// Every `.wants/`/`.requires/` link named `name` in the unit directories.
pub(super) fn links_to(state: &State, name: &str) -> Vec<PathBuf> {
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
pub(super) fn wants_links(state: &State, wanted: impl Fn(&str) -> bool) -> Vec<PathBuf> {
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
