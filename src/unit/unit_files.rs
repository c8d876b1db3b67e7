//! The unit files of a search path and their enablement state, as
//! `systemctl list-unit-files` shows them (systemd 252's
//! `unit_file_lookup_state`): read from the files and links on disk alone,
//! whether or not a daemon runs or has loaded them.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use super::install::{read_install, InstallFile, InstallSection};
use super::load::{LoadContext, Lookup, UnitIndex};
use super::name::UnitName;

/// systemd's `UnitFileState` words for what sundial's search path can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnitFileState {
    /// A `.wants/`/`.requires/` link or an `Alias=` symlink names it.
    Enabled,
    /// The unit's own name is a symlink to a file of the same name (outside
    /// the search path, as `systemctl link` makes them).
    Linked,
    /// A symlink to another unit file.
    Alias,
    /// Linked to `/dev/null`, or empty.
    Masked,
    /// No `[Install]` rules (`WantedBy=`, `RequiredBy=`, `Alias=`).
    Static,
    /// Not enabled, but known under other names (other instances of a
    /// template, aliases `enable` did not make), or only `Also=`.
    Indirect,
    /// `[Install]` rules, and no link.
    Disabled,
}

impl UnitFileState {
    /// The word systemctl prints.
    pub fn as_str(self) -> &'static str {
        match self {
            UnitFileState::Enabled => "enabled",
            UnitFileState::Linked => "linked",
            UnitFileState::Alias => "alias",
            UnitFileState::Masked => "masked",
            UnitFileState::Static => "static",
            UnitFileState::Indirect => "indirect",
            UnitFileState::Disabled => "disabled",
        }
    }

    /// Whether systemctl shows a preset for this state (it does not for
    /// aliases and static units, "it'll only confuse users").
    pub fn shows_preset(self) -> bool {
        !matches!(self, UnitFileState::Alias | UnitFileState::Static)
    }
}

/// One unit file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitFile {
    /// Its name (the file name).
    pub name: String,
    /// The file (or link) that defines the name: the first of the search
    /// path.
    pub path: PathBuf,
    /// Its state.
    pub state: UnitFileState,
}

/// Every unit file name of the search path (the first of each name),
/// with its state, in systemctl's order: by type suffix, then by name,
/// ignoring case.
pub fn list_unit_files(cx: &LoadContext<'_>) -> Vec<UnitFile> {
    let index = UnitIndex::scan(&cx.search_path);
    let links = dependency_links(&cx.search_path.dirs);
    // A unit that owns a `.wants/` directory is named twice.
    let names: BTreeSet<&str> = index.names().collect();
    let mut files: Vec<UnitFile> = names
        .into_iter()
        .filter_map(|name| {
            // The owners of `.wants/` directories have no file of their own.
            let path = first_entry(&cx.search_path.dirs, name)?;
            let state = state(cx, &index, &links, name, &path);
            Some(UnitFile {
                name: name.to_owned(),
                path,
                state,
            })
        })
        .collect();
    files.sort_by_key(|f| sort_key(&f.name));
    files
}

/// systemctl's order: the type suffix, then the name, ignoring case.
pub fn sort_key(name: &str) -> (String, String) {
    let suffix = name.rsplit_once('.').map_or("", |(_, s)| s);
    (suffix.to_ascii_lowercase(), name.to_ascii_lowercase())
}

/// The first search directory's entry named `name`.
fn first_entry(dirs: &[PathBuf], name: &str) -> Option<PathBuf> {
    dirs.iter()
        .map(|d| d.join(name))
        .find(|p| fs::symlink_metadata(p).is_ok())
}

/// The names of every entry of every `.wants/` and `.requires/` directory
/// of the search path.
fn dependency_links(dirs: &[PathBuf]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for dir in dirs {
        let Ok(entries) = fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let dir_name = entry.file_name();
            let dir_name = dir_name.to_string_lossy();
            if !(dir_name.ends_with(".wants") || dir_name.ends_with(".requires")) {
                continue;
            }
            let Ok(links) = fs::read_dir(entry.path()) else {
                continue;
            };
            names.extend(
                links
                    .flatten()
                    .map(|l| l.file_name().to_string_lossy().into_owned()),
            );
        }
    }
    names
}

/// The state of the unit file `name`, whose first entry is `path`.
fn state(
    cx: &LoadContext<'_>,
    index: &UnitIndex,
    links: &BTreeSet<String>,
    name: &str,
    path: &Path,
) -> UnitFileState {
    let Ok(parsed) = UnitName::parse(name) else {
        return UnitFileState::Static;
    };
    // A template's [Install] is read through an instance, as enable reads it.
    let probe = if parsed.is_template() {
        parsed.instantiate("default").ok()
    } else {
        Some(parsed.clone())
    };
    let Some(probe) = probe else {
        return UnitFileState::Static;
    };
    if index.is_alias(name) {
        // systemd: a name that leads to a file of another name is an alias
        // (an instance of a template is not).
        return UnitFileState::Alias;
    }
    let install = match read_install(cx, index, &probe) {
        InstallFile::Found { install, .. } => install,
        InstallFile::Masked(_) => return UnitFileState::Masked,
        InstallFile::NotFound => return UnitFileState::Static,
    };
    let other_names = names_leading_to(index, &parsed);
    let known = known_names(&parsed, &install);
    let enabled = links.iter().chain(&other_names).any(|l| known.contains(l));
    if enabled {
        return UnitFileState::Enabled;
    }
    if is_linked(path, &cx.search_path.dirs) {
        return UnitFileState::Linked;
    }
    let elsewhere = !other_names.is_empty()
        || (parsed.is_template() && links.iter().any(|l| is_instance_of(l, &parsed)));
    if elsewhere {
        UnitFileState::Indirect
    } else if has_rules(&install) {
        UnitFileState::Disabled
    } else if !install.also.is_empty() {
        UnitFileState::Indirect
    } else {
        UnitFileState::Static
    }
}

/// The names that `enable` would link: the unit's own (a template's
/// DefaultInstance=) and its `Alias=` names.
fn known_names(name: &UnitName, install: &InstallSection) -> BTreeSet<String> {
    let mut known = BTreeSet::new();
    if name.is_template() {
        if let Some(default) = install
            .default_instance
            .as_deref()
            .and_then(|i| name.instantiate(i).ok())
        {
            known.insert(default.as_str().to_owned());
        }
    } else {
        known.insert(name.as_str().to_owned());
    }
    known.extend(install.alias.iter().map(|a| a.as_str().to_owned()));
    known
}

/// The alias symlinks of the search path that lead to `name`.
fn names_leading_to(index: &UnitIndex, name: &UnitName) -> BTreeSet<String> {
    index
        .names()
        .filter(|n| index.is_alias(n))
        .filter(|n| {
            UnitName::parse(n).is_ok_and(|alias| {
                matches!(index.lookup(&alias), Lookup::Found { name: target, .. } if target == *name)
            })
        })
        .map(str::to_owned)
        .collect()
}

/// `[Install]` rules that `enable` acts on (systemd's
/// `install_info_has_rules`).
fn has_rules(install: &InstallSection) -> bool {
    !install.wanted_by.is_empty() || !install.required_by.is_empty() || !install.alias.is_empty()
}

/// Whether `file_name` names an instance of `template`.
fn is_instance_of(file_name: &str, template: &UnitName) -> bool {
    UnitName::parse(file_name)
        .ok()
        .and_then(|n| n.template())
        .is_some_and(|t| t == *template)
}

/// Whether the entry at `path` is a symlink to a file of the same name
/// outside the search path.
fn is_linked(path: &Path, dirs: &[PathBuf]) -> bool {
    let Ok(target) = fs::read_link(path) else {
        return false;
    };
    let target = match path.parent() {
        Some(parent) if target.is_relative() => parent.join(target),
        _ => target,
    };
    target.file_name() == path.file_name()
        && !dirs.iter().any(|d| target.parent() == Some(d.as_path()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::{SearchPath, SpecifierContext};
    use std::os::unix::fs::symlink;
    use sundial_calendar::zone::SystemZones;
    use sundial_calendar::Zone;

    const INSTALLABLE: &str =
        "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n";

    /// The fixture systemctl 252 was run on (`systemctl list-unit-files
    /// --root=...`), and what it printed.
    #[test]
    fn states_as_systemctl_252_reports_them() {
        let tmp = tempfile::tempdir().unwrap();
        let etc = tmp.path().join("etc");
        let lib = tmp.path().join("lib");
        let opt = tmp.path().join("opt");
        for d in [&etc, &lib, &opt] {
            fs::create_dir_all(d).unwrap();
        }
        let write = |dir: &Path, name: &str, text: &str| fs::write(dir.join(name), text).unwrap();
        write(&etc, "en.service", INSTALLABLE);
        fs::create_dir_all(etc.join("multi-user.target.wants")).unwrap();
        symlink(
            etc.join("en.service"),
            etc.join("multi-user.target.wants/en.service"),
        )
        .unwrap();
        write(&lib, "dis.service", INSTALLABLE);
        write(&lib, "stat.service", "[Service]\nExecStart=/bin/true\n");
        write(
            &lib,
            "Backup.timer",
            "[Timer]\nOnCalendar=daily\n[Install]\nWantedBy=timers.target\n",
        );
        write(
            &lib,
            "ind.service",
            "[Service]\nExecStart=/bin/true\n[Install]\nAlso=dis.service\n",
        );
        write(&lib, "tmpl@.service", INSTALLABLE);
        write(
            &lib,
            "def@.service",
            &format!("{INSTALLABLE}DefaultInstance=x\n"),
        );
        symlink(
            lib.join("tmpl@.service"),
            etc.join("multi-user.target.wants/tmpl@a.service"),
        )
        .unwrap();
        symlink("/dev/null", etc.join("masked.service")).unwrap();
        symlink(lib.join("stat.service"), etc.join("alias.service")).unwrap();
        write(&opt, "linked.service", INSTALLABLE);
        symlink(opt.join("linked.service"), etc.join("linked.service")).unwrap();
        write(&lib, "empty.service", "");
        write(&lib, "multi-user.target", "[Unit]\nDescription=t\n");

        let zones = SystemZones::from_tzdir_env(None);
        let cx = LoadContext {
            search_path: SearchPath {
                dirs: vec![etc, lib],
            },
            specifiers: SpecifierContext::system(),
            local_zone: Zone::utc(),
            zones: &zones,
        };
        let got: Vec<(String, &str)> = list_unit_files(&cx)
            .into_iter()
            .map(|f| (f.name, f.state.as_str()))
            .collect();
        let want = [
            ("alias.service", "alias"),
            ("def@.service", "disabled"),
            ("dis.service", "disabled"),
            ("empty.service", "masked"),
            ("en.service", "enabled"),
            ("ind.service", "indirect"),
            ("linked.service", "linked"),
            ("masked.service", "masked"),
            ("stat.service", "indirect"),
            ("tmpl@.service", "indirect"),
            ("multi-user.target", "static"),
            ("Backup.timer", "disabled"),
        ];
        let want: Vec<(String, &str)> = want.iter().map(|(n, s)| ((*n).to_owned(), *s)).collect();
        assert_eq!(got, want);
    }
}
