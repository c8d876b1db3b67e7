//! The `[Install]` section: read only by enable/disable, never at run time,
//! and reading it alone from a unit's files.

use std::fs;
use std::path::PathBuf;

use super::directives::{apply_install, DirectiveCx};
use super::lexer::lex;
use super::list::List;
use super::load::{LoadContext, Lookup, UnitIndex};
use super::name::UnitName;
use super::specifiers::Specifiers;

/// The `[Install]` section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstallSection {
    /// `WantedBy=`: enabling links the unit into `<target>.wants/`.
    pub wanted_by: List<UnitName>,
    /// `RequiredBy=`: enabling links the unit into `<target>.requires/`.
    pub required_by: List<UnitName>,
    /// `Alias=`: further names, same type suffix.
    pub alias: List<UnitName>,
    /// `Also=`: units enabled and disabled together with this one.
    pub also: List<UnitName>,
    /// `DefaultInstance=`: the instance a template is enabled as.
    pub default_instance: Option<String>,
}

impl InstallSection {
    /// Cuts every list to its length.
    pub fn shrink_to_fit(&mut self) {
        for names in [
            &mut self.wanted_by,
            &mut self.required_by,
            &mut self.alias,
            &mut self.also,
        ] {
            names.shrink_to_fit();
        }
    }

    /// Whether the section says nothing (the unit is "static").
    pub fn is_empty(&self) -> bool {
        self.wanted_by.is_empty()
            && self.required_by.is_empty()
            && self.alias.is_empty()
            && self.also.is_empty()
            && self.default_instance.is_none()
    }
}

/// A unit's `[Install]` section read from its files on disk, or why there is
/// none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstallFile {
    /// The unit's file (a template's for an instance) and its section.
    Found {
        /// The canonical name (aliases followed).
        name: UnitName,
        /// The file enable links to.
        fragment: PathBuf,
        /// `[Install]` of the fragment and its drop-ins.
        install: InstallSection,
    },
    /// Masked by the file at this path.
    Masked(PathBuf),
    /// No file of this name or of its template.
    NotFound,
}

/// Reads only the `[Install]` section of `name`'s files as `index` finds
/// them, as systemctl's enable does: a unit whose other settings are broken,
/// or that the daemon has not loaded yet, can still be enabled, disabled and
/// asked about. Problems in the section are ignored here; loading the unit
/// reports them.
pub fn read_install(cx: &LoadContext<'_>, index: &UnitIndex, name: &UnitName) -> InstallFile {
    let (name, fragment, aliases) = match index.lookup(name) {
        Lookup::Found {
            name,
            fragment,
            aliases,
        } => (name, fragment, aliases),
        Lookup::Masked(path) => return InstallFile::Masked(path),
        Lookup::NotFound => return InstallFile::NotFound,
    };
    let mut install = InstallSection::default();
    let mut ignored = Vec::new();
    let specifiers = Specifiers::new(&cx.specifiers, &name, Some(&fragment));
    let mut paths = vec![fragment.clone()];
    paths.extend(index.dropins(&name, &aliases));
    for path in &paths {
        let Ok(bytes) = fs::read(path) else {
            continue;
        };
        let lexed = lex(path, &String::from_utf8_lossy(&bytes));
        for entry in lexed.entries.iter().filter(|e| e.section == "Install") {
            let mut dcx = DirectiveCx {
                path,
                line: entry.line,
                key: &entry.key,
                specifiers,
                local_zone: &cx.local_zone,
                zones: cx.zones,
                diagnostics: &mut ignored,
            };
            apply_install(&mut install, &mut dcx, &entry.value);
        }
    }
    install.shrink_to_fit();
    InstallFile::Found {
        name,
        fragment,
        install,
    }
}
