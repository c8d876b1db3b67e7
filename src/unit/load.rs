//! Loading units from the search path: find each unit's fragment (or its
//! template's), resolve aliases and masks, apply drop-ins and `.wants/` links,
//! and build the typed units. A broken unit is reported and skipped; the
//! others still load.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sundial_calendar::{Zone, ZoneSource};

use super::assemble::{TargetUnit, Unit};
use super::diag::{Diagnostic, Problem};
use super::dropins::{conf_files, dependency_links, DirIndex};
use super::read_ahead::{parse_files, ReadAhead};

use super::loose::LooseCheck;
use super::name::{UnitName, UnitType};
use super::name_table::NameTable;
use super::search_path::SearchPath;
use super::service::ServiceUnit;
use super::source::UnitSource;
use super::specifiers::SpecifierContext;
use super::timer::TimerUnit;
use super::unit::UnitSection;

/// Everything the loader needs; the caller fills it (reading the environment,
/// the host name, the local zone).
#[derive(Debug, Clone)]
pub struct LoadContext<'a> {
    /// Where unit files are looked up.
    pub search_path: SearchPath,
    /// Values of the `%` specifiers.
    pub specifiers: SpecifierContext,
    /// The local time zone.
    pub local_zone: Zone,
    /// Named time zones for `OnCalendar=`.
    pub zones: &'a dyn ZoneSource,
}

/// What a unit-name entry in a search directory is. The index keeps one for
/// every unit file of the search path, so an entry is small: a file's path
/// is its search directory (by position) joined with its name, and the rare
/// alias is boxed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    /// A unit file (or a symlink to one with the same name) in the search
    /// directory at this position.
    File(usize),
    /// A symlink to `/dev/null` or an empty file, in the search directory
    /// at this position.
    Masked(usize),
    /// A symlink to a unit of another name.
    Alias(Box<AliasTarget>),
}

/// Where an alias symlink points.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AliasTarget {
    /// The unit name it points to.
    name: String,
    /// The file it points to.
    path: PathBuf,
}

/// A unit-name entry of a search directory that leads to no file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrokenLink {
    /// A symlink whose target does not exist.
    Dangling(PathBuf),
    /// A symlink that leads back to itself, directly or through other
    /// links or aliases.
    Loop,
    /// The link cannot be followed for another reason.
    Unreadable(String),
}

impl std::fmt::Display for BrokenLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BrokenLink::Dangling(target) => {
                write!(f, "dangling symlink to {}", target.display())
            }
            BrokenLink::Loop => f.write_str("symlink loop (too many levels of symbolic links)"),
            BrokenLink::Unreadable(e) => write!(f, "cannot follow the link: {e}"),
        }
    }
}

/// The result of looking a name up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The unit's file: `name` is the canonical name (aliases resolved),
    /// `fragment` the file to read, `aliases` the names that led to it.
    Found {
        /// Canonical name.
        name: UnitName,
        /// The file to read (a template's for instances).
        fragment: PathBuf,
        /// Alias names that were followed.
        aliases: Vec<String>,
    },
    /// Masked by the file at this path.
    Masked(PathBuf),
    /// No file of this name or of its template.
    NotFound,
}

/// The unit files of a search path, scanned once.
#[derive(Debug, Clone, Default)]
pub struct UnitIndex {
    search: SearchPath,
    // Each name once, with the position at which it was first found (the
    // order of loading) and its entry: at 100,000 unit files a second copy
    // of every name, in an order list, was about 5 MB. Keyed by the parsed
    // name, whose text the loaded unit's name then shares.
    entries: HashMap<UnitName, (u32, Entry)>,
    // Names that own a .wants/ or .requires/ directory.
    link_owners: Vec<String>,
    dirs: DirIndex,
    // Unit names whose first entry in the search path is a link to nothing,
    // with the entry's path.
    broken: BTreeMap<String, (PathBuf, BrokenLink)>,
    // Scanned by [`UnitIndex::scan_deferred`]: plain files were not
    // `stat`ed, so an empty one (a mask) shows as a file until it is read.
    deferred: bool,
    // What each search directory held, as the scan found it.
    dir_contents: Vec<DirContents>,
}

/// What one directory of the search path held when it was scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirContents {
    /// It does not exist.
    Missing,
    /// It cannot be read, and why.
    Unreadable(String),
    /// This many entries with a unit's name that are not directories
    /// (files, links, masks; those a higher directory hides included).
    UnitFiles(usize),
}

impl DirContents {
    /// What `dir` holds now, read for this alone.
    pub fn read(dir: &Path) -> DirContents {
        match fs::read_dir(dir) {
            Err(_) if !dir.exists() => DirContents::Missing,
            Err(e) => DirContents::Unreadable(e.to_string()),
            Ok(entries) => DirContents::UnitFiles(
                entries
                    .flatten()
                    .filter(|e| e.file_type().is_ok_and(|t| !t.is_dir()))
                    .filter(|e| UnitName::parse(&e.file_name().to_string_lossy()).is_ok())
                    .count(),
            ),
        }
    }
}

/// `dir (contents), dir (contents), ...`.
pub fn describe_dirs<'a>(dirs: impl Iterator<Item = (&'a PathBuf, &'a DirContents)>) -> String {
    dirs.map(|(dir, found)| format!("{} ({found})", dir.display()))
        .collect::<Vec<_>>()
        .join(", ")
}

impl std::fmt::Display for DirContents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DirContents::Missing => f.write_str("missing"),
            DirContents::Unreadable(e) => write!(f, "unreadable: {e}"),
            DirContents::UnitFiles(0) => f.write_str("no unit files"),
            DirContents::UnitFiles(1) => f.write_str("1 unit file"),
            DirContents::UnitFiles(n) => write!(f, "{n} unit files"),
        }
    }
}

impl UnitIndex {
    /// Reads every directory of `search`. Missing directories are skipped.
    pub fn scan(search: &SearchPath) -> UnitIndex {
        UnitIndex::scan_with(search, false)
    }

    /// [`UnitIndex::scan`] without a `stat` of each plain unit file (a
    /// template's aside): the directory entry's type says it is a file, and
    /// whether it is empty (a mask) is learnt when the loader reads it,
    /// from the `fstat` it makes anyway. At 100,000 unit files that `stat`
    /// was a tenth of a start-up. [`UnitIndex::settle`] then records the
    /// masks the loader found, so that later lookups see them.
    pub fn scan_deferred(search: &SearchPath) -> UnitIndex {
        UnitIndex::scan_with(search, true)
    }

    fn scan_with(search: &SearchPath, deferred: bool) -> UnitIndex {
        let mut index = UnitIndex {
            search: search.clone(),
            deferred,
            ..UnitIndex::default()
        };
        for (position, dir) in search.dirs.iter().enumerate() {
            let entries = match fs::read_dir(dir) {
                Ok(entries) => entries,
                Err(_) if !dir.exists() => {
                    index.dir_contents.push(DirContents::Missing);
                    continue;
                }
                Err(e) => {
                    index
                        .dir_contents
                        .push(DirContents::Unreadable(e.to_string()));
                    continue;
                }
            };
            let mut unit_files = 0;
            for entry in entries.flatten() {
                let file_name = entry.file_name().to_string_lossy().into_owned();
                let path = entry.path();
                let Ok(file_type) = entry.file_type() else {
                    continue;
                };
                let is_unit_name = UnitName::parse(&file_name).ok();
                if !file_type.is_dir() && is_unit_name.is_some() {
                    unit_files += 1;
                }
                if [".d", ".wants", ".requires"]
                    .iter()
                    .any(|s| file_name.ends_with(s))
                    && path.is_dir()
                {
                    // The owner of a .wants/ or .requires/ directory is loaded
                    // even without a file (an implicit timers.target).
                    if let Some(owner) = file_name
                        .strip_suffix(".wants")
                        .or_else(|| file_name.strip_suffix(".requires"))
                    {
                        if UnitName::parse(owner).is_ok()
                            && !index.link_owners.iter().any(|o| o == owner)
                        {
                            index.link_owners.push(owner.to_owned());
                        }
                    }
                    index.dirs.insert(path);
                    continue;
                }
                let Some(name) = is_unit_name else {
                    continue;
                };
                if index.entries.contains_key(file_name.as_str())
                    || index.broken.contains_key(&file_name)
                {
                    continue;
                }
                // Only what the loader reads under its own name: its read
                // tells a mask.
                if deferred
                    && file_type.is_file()
                    && !name.is_template()
                    && name.unit_type() != UnitType::Other
                {
                    let found = u32::try_from(index.entries.len()).unwrap_or(u32::MAX);
                    index.entries.insert(name, (found, Entry::File(position)));
                    continue;
                }
                // A plain file's metadata from its directory entry: a stat
                // relative to the open directory, not a walk of its path.
                let entry_meta = || entry.metadata();
                match classify(
                    &path,
                    &file_name,
                    file_type.is_symlink(),
                    position,
                    entry_meta,
                ) {
                    Ok(Some(kind)) => {
                        let found = u32::try_from(index.entries.len()).unwrap_or(u32::MAX);
                        index.entries.insert(name, (found, kind));
                    }
                    Ok(None) => {}
                    Err(broken) => {
                        index.broken.insert(file_name, (path, broken));
                    }
                }
            }
            index.dir_contents.push(DirContents::UnitFiles(unit_files));
        }
        index.entries.shrink_to_fit();
        index
    }

    /// Each of `dirs` with what the scan found in it (one that was not
    /// scanned is read now): `/etc/sundial/units (12 unit files),
    /// /usr/lib/... (missing)`.
    pub fn describe_dirs(&self, dirs: &[PathBuf]) -> String {
        let found: Vec<DirContents> = dirs
            .iter()
            .map(|dir| {
                self.search
                    .dirs
                    .iter()
                    .position(|d| d == dir)
                    .and_then(|at| self.dir_contents.get(at).cloned())
                    .unwrap_or_else(|| DirContents::read(dir))
            })
            .collect();
        describe_dirs(dirs.iter().zip(&found))
    }

    /// The search path this index was built from.
    pub fn search_path(&self) -> &SearchPath {
        &self.search
    }

    /// Resolves `name` to its fragment: the file of that name, else its
    /// template's; aliases are followed.
    pub fn lookup(&self, name: &UnitName) -> Lookup {
        self.lookup_depth(name, Vec::new(), 0)
    }

    fn lookup_depth(&self, name: &UnitName, mut aliases: Vec<String>, depth: usize) -> Lookup {
        // A cycle of aliases ends the search.
        if depth > 16 {
            return Lookup::NotFound;
        }
        let template = name.template();
        let (key, entry, via_template) = match self.entry(name.as_str()) {
            Some(e) => (name.as_str(), e, false),
            None => match &template {
                Some(t) => match self.entry(t.as_str()) {
                    Some(e) => (t.as_str(), e, true),
                    None => return Lookup::NotFound,
                },
                None => return Lookup::NotFound,
            },
        };
        match entry {
            // Reached through an alias, a file of a deferred scan is looked
            // at here: the loader tells a mask from its read only for a file
            // found under its own name.
            Entry::File(dir)
                if self.deferred
                    && depth > 0
                    && fs::metadata(self.search.dirs[*dir].join(key))
                        .is_ok_and(|m| m.len() == 0) =>
            {
                Lookup::Masked(self.search.dirs[*dir].join(key))
            }
            Entry::File(dir) => Lookup::Found {
                name: name.clone(),
                fragment: self.search.dirs[*dir].join(key),
                aliases,
            },
            Entry::Masked(dir) => Lookup::Masked(self.search.dirs[*dir].join(key)),
            Entry::Alias(target) => {
                let Ok(mut target_name) = UnitName::parse(&target.name) else {
                    return Lookup::NotFound;
                };
                if via_template {
                    match name
                        .instance()
                        .and_then(|i| target_name.instantiate(i).ok())
                    {
                        Some(t) => target_name = t,
                        None => return Lookup::NotFound,
                    }
                }
                aliases.push(name.as_str().to_owned());
                match self.lookup_depth(&target_name, aliases.clone(), depth + 1) {
                    Lookup::NotFound if !via_template && target.path.is_file() => Lookup::Found {
                        name: target_name,
                        fragment: target.path.clone(),
                        aliases,
                    },
                    other => other,
                }
            }
        }
    }

    /// Records as masks the files of a deferred scan that `loaded` found
    /// empty.
    pub fn settle(&mut self, loaded: &LoadedUnits) {
        if !self.deferred {
            return;
        }
        for name in loaded.masked.keys() {
            if let Some((_, entry @ Entry::File(_))) = self.entries.get_mut(name.as_str()) {
                if let Entry::File(dir) = *entry {
                    *entry = Entry::Masked(dir);
                }
            }
        }
    }

    /// Every name with an entry (file, mask or alias), in search order,
    /// then the owners of `.wants/` and `.requires/` directories.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entry_names()
            .map(UnitName::as_str)
            .chain(self.link_owners.iter().map(String::as_str))
    }

    /// The names with an entry, in search order (as [`UnitIndex::names`]
    /// without the link owners), as the index holds them: a clone shares
    /// the text.
    pub fn entry_names(&self) -> impl Iterator<Item = &UnitName> {
        let mut found: Vec<(u32, &UnitName)> =
            self.entries.iter().map(|(n, (at, _))| (*at, n)).collect();
        found.sort_unstable_by_key(|(at, _)| *at);
        found.into_iter().map(|(_, name)| name)
    }

    fn entry(&self, name: &str) -> Option<&Entry> {
        self.entries.get(name).map(|(_, entry)| entry)
    }

    /// Why `name` has no file although the search path has an entry of
    /// that name: the entry's path and what is wrong with it. An alias
    /// chain that goes round in a circle, or ends at a target that does
    /// not exist, counts too.
    pub fn broken(&self, name: &str) -> Option<(PathBuf, BrokenLink)> {
        if let Some((path, why)) = self.broken.get(name) {
            return Some((path.clone(), why.clone()));
        }
        let Some(Entry::Alias(first)) = self.entry(name) else {
            return None;
        };
        let path = self.entry_path(name)?;
        let mut target = first.as_ref();
        let mut seen = BTreeSet::from([name]);
        loop {
            if !seen.insert(target.name.as_str()) {
                return Some((path, BrokenLink::Loop));
            }
            match self.entry(&target.name) {
                Some(Entry::Alias(next)) => target = next,
                Some(_) => return None,
                None if self.broken.contains_key(&target.name) => {
                    return self.broken(&target.name).map(|(_, why)| (path, why));
                }
                None if target.path.exists() => return None,
                None => return Some((path, BrokenLink::Dangling(target.path.clone()))),
            }
        }
    }

    /// Every broken entry of the search path, by unit name.
    pub fn broken_names(&self) -> Vec<String> {
        let aliases = self
            .entries
            .iter()
            .filter(|(_, (_, e))| matches!(e, Entry::Alias(_)))
            .map(|(n, _)| n.as_str());
        self.broken
            .keys()
            .map(String::as_str)
            .chain(aliases)
            .filter(|n| self.broken(n).is_some())
            .map(str::to_owned)
            .collect()
    }

    // The path of an alias entry: the first search directory that has it.
    fn entry_path(&self, name: &str) -> Option<PathBuf> {
        self.search
            .dirs
            .iter()
            .map(|d| d.join(name))
            .find(|p| fs::symlink_metadata(p).is_ok())
    }

    /// Whether `name` is an alias entry.
    pub fn is_alias(&self, name: &str) -> bool {
        matches!(self.entry(name), Some(Entry::Alias(_)))
    }

    /// The drop-in files of `name` (with its aliases), in the order they
    /// apply.
    pub fn dropins(&self, name: &UnitName, aliases: &[String]) -> Vec<PathBuf> {
        conf_files(&self.dirs.dirs_for(&self.search, name, aliases, ".d"))
    }

    /// The `.wants/` or `.requires/` directories of `name`.
    pub fn dependency_dirs(
        &self,
        name: &UnitName,
        aliases: &[String],
        suffix: &str,
    ) -> Vec<PathBuf> {
        self.dirs.dirs_for(&self.search, name, aliases, suffix)
    }
}

/// What the entry `file_name` of the search directory at `position` is;
/// `path` is the two joined. `Ok(None)`: not a unit file (a directory, an
/// unreadable entry); `Err`: a link that leads nowhere.
fn classify(
    path: &Path,
    file_name: &str,
    is_symlink: bool,
    position: usize,
    meta: impl FnOnce() -> std::io::Result<fs::Metadata>,
) -> Result<Option<Entry>, BrokenLink> {
    if is_symlink {
        let Ok(target) = fs::read_link(path) else {
            return Ok(None);
        };
        let target_path = if target.is_absolute() {
            target.clone()
        } else {
            path.parent()
                .map(|p| p.join(&target))
                .unwrap_or(target.clone())
        };
        if target_path == Path::new("/dev/null") {
            return Ok(Some(Entry::Masked(position)));
        }
        let Some(target_name) = target_path.file_name() else {
            return Ok(None);
        };
        let target_name = target_name.to_string_lossy().into_owned();
        if target_name != file_name && UnitName::parse(&target_name).is_ok() {
            return Ok(Some(Entry::Alias(Box::new(AliasTarget {
                name: target_name,
                path: target_path,
            }))));
        }
        // A linked unit file: a symlink to a file of the same name elsewhere.
        let meta = match fs::metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Err(BrokenLink::Loop),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(BrokenLink::Dangling(target_path))
            }
            Err(e) => return Err(BrokenLink::Unreadable(e.to_string())),
        };
        return Ok(file_entry(&meta, position));
    }
    Ok(meta().ok().and_then(|meta| file_entry(&meta, position)))
}

fn file_entry(meta: &fs::Metadata, position: usize) -> Option<Entry> {
    if meta.is_dir() {
        return None;
    }
    if meta.len() == 0 {
        return Some(Entry::Masked(position));
    }
    Some(Entry::File(position))
}

/// All units that were loaded, and what went wrong with the others.
#[derive(Debug, Clone, Default)]
pub struct LoadedUnits {
    /// Loaded units by canonical name.
    pub units: BTreeMap<UnitName, Unit>,
    /// Alias name -> canonical name.
    pub aliases: BTreeMap<String, String>,
    /// Masked units and the file that masks them.
    pub masked: BTreeMap<String, PathBuf>,
    /// Units that failed to load (their errors are in `diagnostics`).
    pub failed: BTreeSet<String>,
    /// The failed units whose fragment could not be parsed at all (an
    /// unclosed `[Section`, a line over 1 MiB): systemd's load state
    /// `error` rather than `bad-setting`, with the error's text.
    pub load_errors: BTreeMap<String, &'static str>,
    /// Names that were asked for or linked but have no file.
    pub not_found: BTreeSet<String>,
    /// Every problem, in the order found.
    pub diagnostics: Vec<Diagnostic>,
    /// Where each unit's problems are in `diagnostics` (units without any
    /// are left out): what the daemon records in the unit's log.
    pub problems: BTreeMap<String, Range<usize>>,
}

impl LoadedUnits {
    /// The unit called `name` or aliased so.
    pub fn get(&self, name: &str) -> Option<&Unit> {
        let canonical = self.aliases.get(name).map_or(name, String::as_str);
        self.units.get(canonical)
    }

    /// All loaded timers.
    pub fn timers(&self) -> impl Iterator<Item = &Arc<TimerUnit>> {
        self.units.values().filter_map(|u| match u {
            Unit::Timer(t) => Some(t),
            _ => None,
        })
    }

    /// All loaded path units.
    pub fn path_units(&self) -> impl Iterator<Item = &Arc<super::PathUnit>> {
        self.units.values().filter_map(|u| match u {
            Unit::Path(p) => Some(p),
            _ => None,
        })
    }

    /// The loaded timers and path units that start `unit`, by name.
    pub fn triggered_by(&self, unit: &str) -> Vec<&str> {
        let timers = self
            .timers()
            .filter(|t| t.triggers.as_str() == unit)
            .map(|t| t.name.as_str());
        let paths = self
            .path_units()
            .filter(|p| p.triggers.as_str() == unit)
            .map(|p| p.name.as_str());
        let mut names: Vec<&str> = timers.chain(paths).collect();
        names.sort_unstable();
        names
    }

    /// All loaded services.
    pub fn services(&self) -> impl Iterator<Item = &Arc<ServiceUnit>> {
        self.units.values().filter_map(|u| match u {
            Unit::Service(s) => Some(s),
            _ => None,
        })
    }

    /// The problems found while loading `name` (canonical name), warnings
    /// and errors, in order.
    pub fn problems_of(&self, name: &str) -> &[Diagnostic] {
        self.problems
            .get(name)
            .and_then(|range| self.diagnostics.get(range.clone()))
            .unwrap_or(&[])
    }

    /// Why `name` (canonical) cannot be started because of its own load
    /// state, in systemd's words; `None` when it is loaded (or unknown).
    pub fn load_refusal(&self, name: &str) -> Option<String> {
        if self.masked.contains_key(name) {
            Some(format!("Unit {name} is masked."))
        } else if let Some(errno) = self.load_errors.get(name) {
            Some(format!(
                "Unit {name} failed to load properly, please adjust/correct and reload service manager: {errno}"
            ))
        } else if self.failed.contains(name) {
            Some(format!("Unit {name} has a bad unit file setting."))
        } else {
            None
        }
    }

    /// Whether any problem is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Loads every unit of the search path (templates only through their
/// instances), plus the units they link to and trigger.
pub fn load_all(cx: &LoadContext<'_>) -> LoadedUnits {
    load_all_indexed(cx, &UnitIndex::scan(&cx.search_path))
}

/// [`load_all`] with an index the caller scanned and keeps (the daemon):
/// the search path is read once, not twice (at 100,000 unit files, a
/// `stat` each).
pub fn load_all_indexed(cx: &LoadContext<'_>, index: &UnitIndex) -> LoadedUnits {
    let names: Vec<UnitName> = index
        .entry_names()
        .cloned()
        .chain(
            index
                .link_owners
                .iter()
                .filter_map(|n| UnitName::parse(n).ok()),
        )
        .filter(|n| !n.is_template())
        .collect();
    let mut loader = Loader::new(cx, index);
    let plan = read_ahead_plan(index, &names);
    for n in names {
        loader.enqueue(n);
    }
    // Links that lead nowhere are loaded as missing units, with a word on
    // what they are.
    for n in index.broken_names() {
        if let Ok(n) = UnitName::parse(&n) {
            loader.enqueue(n);
        }
    }
    loader.run(plan)
}

/// The units of `names` that the loader will read under their own name
/// from their own file, in order: those [`ReadAhead`] reads for it.
fn read_ahead_plan(index: &UnitIndex, names: &[UnitName]) -> Vec<(UnitName, PathBuf)> {
    names
        .iter()
        .filter(|n| n.unit_type() != UnitType::Other)
        .filter_map(|n| match index.lookup(n) {
            Lookup::Found {
                name,
                fragment,
                aliases,
            } if name == *n && aliases.is_empty() => Some((name, fragment)),
            _ => None,
        })
        .collect()
}

/// Loads the named units (and what they trigger and link to) with an index
/// built by the caller.
pub fn load_units(cx: &LoadContext<'_>, index: &UnitIndex, names: &[UnitName]) -> LoadedUnits {
    let mut loader = Loader::new(cx, index);
    for n in names {
        loader.enqueue(n.clone());
    }
    loader.run(Vec::new())
}

struct Loader<'c, 'a> {
    cx: &'c LoadContext<'a>,
    index: &'c UnitIndex,
    queue: VecDeque<UnitName>,
    seen: HashSet<String>,
    out: LoadedUnits,
    /// As root, units whose files others could change are refused
    /// ([`super::loose`]); judged from each file's `fstat` as it is read.
    loose: Option<LooseCheck>,
    /// Units read and parsed by other threads, ahead of the queue.
    ahead: ReadAhead,
    /// The names of the units loaded so far, to share their texts.
    names: NameTable,
}

impl<'c, 'a> Loader<'c, 'a> {
    fn new(cx: &'c LoadContext<'a>, index: &'c UnitIndex) -> Loader<'c, 'a> {
        Loader {
            cx,
            index,
            queue: VecDeque::new(),
            seen: HashSet::new(),
            out: LoadedUnits::default(),
            ahead: ReadAhead::default(),
            loose: {
                let euid = nix::unistd::geteuid();
                euid.is_root().then(|| LooseCheck::new(euid.as_raw()))
            },
            names: NameTable::default(),
        }
    }

    fn enqueue(&mut self, name: UnitName) {
        if self.seen.insert(name.as_str().to_owned()) {
            self.queue.push_back(name);
        }
    }

    fn run(mut self, plan: Vec<(UnitName, PathBuf)>) -> LoadedUnits {
        let (cx, index, keep_meta) = (self.cx, self.index, self.loose.is_some());
        std::thread::scope(|scope| {
            self.ahead = ReadAhead::start(scope, cx, index, plan, keep_meta);
            self.drain_queue();
            // Workers still reading stop at their next chunk.
            self.ahead = ReadAhead::default();
        });
        if let Some(loose) = self.loose {
            loose.refuse(&mut self.out);
        }
        // Built again from its sorted entries, the map's nodes are full: the
        // inserts in the order of loading left them about two-thirds full
        // (about 20 bytes more per unit).
        self.out.units = std::mem::take(&mut self.out.units).into_iter().collect();
        self.out
    }

    fn drain_queue(&mut self) {
        while let Some(name) = self.queue.pop_front() {
            let first = self.out.diagnostics.len();
            self.load_one(&name);
            let found = first..self.out.diagnostics.len();
            if !found.is_empty() {
                // Found through an alias, they are the canonical unit's.
                let unit = self
                    .out
                    .aliases
                    .get(name.as_str())
                    .cloned()
                    .unwrap_or_else(|| name.as_str().to_owned());
                self.out.problems.insert(unit, found);
            }
        }
    }

    fn load_one(&mut self, requested: &UnitName) {
        if requested.unit_type() == UnitType::Other {
            return;
        }
        let found = match self.ahead.fragment_of(requested) {
            Some(fragment) => Lookup::Found {
                name: requested.clone(),
                fragment: fragment.to_path_buf(),
                aliases: Vec::new(),
            },
            None => self.index.lookup(requested),
        };
        let (name, fragment, aliases) = match found {
            Lookup::Found {
                name,
                fragment,
                aliases,
            } => (name, Some(fragment), aliases),
            Lookup::Masked(path) => {
                self.out.masked.insert(requested.as_str().to_owned(), path);
                return;
            }
            Lookup::NotFound => (requested.clone(), None, Vec::new()),
        };
        for alias in &aliases {
            self.out
                .aliases
                .insert(alias.clone(), name.as_str().to_owned());
        }
        if name != *requested {
            // Loaded under its canonical name; the alias is recorded.
            if let Some(unit) = self.out.units.get_mut(name.as_str()) {
                unit.source_mut()
                    .aliases
                    .push(requested.as_str().to_owned());
                return;
            }
            if !self.seen.insert(name.as_str().to_owned()) {
                return;
            }
        }
        let wants_dirs = self.index.dependency_dirs(&name, &aliases, ".wants");
        let requires_dirs = self.index.dependency_dirs(&name, &aliases, ".requires");
        let Some(fragment) = fragment else {
            // A target that exists only through its .wants/ directories (for
            // example timers.target) is implicit; anything else is missing.
            if name.unit_type() == UnitType::Target
                && !(wants_dirs.is_empty() && requires_dirs.is_empty())
            {
                let mut unit = Unit::Target(Arc::new(TargetUnit {
                    name: name.clone(),
                    source: UnitSource::default(),
                    unit: UnitSection::default(),
                    install: Default::default(),
                }));
                self.add_links(&mut unit, &wants_dirs, &requires_dirs);
                self.finish(unit);
            } else {
                if let Some((path, why)) = self.index.broken(name.as_str()) {
                    self.out.diagnostics.push(Diagnostic::warning(
                        path,
                        0,
                        Problem::BrokenLink(why.to_string()),
                    ));
                }
                self.out.not_found.insert(name.as_str().to_owned());
            }
            return;
        };
        let ahead = if aliases.is_empty() {
            self.ahead.take(&name)
        } else {
            None
        };
        let parsed = match ahead {
            Some(parsed) => parsed,
            None => {
                let dropins = self.index.dropins(&name, &aliases);
                parse_files(self.cx, &name, &fragment, dropins, self.loose.is_some())
            }
        };
        if parsed.fragment_empty && self.index.deferred && aliases.is_empty() && name == *requested
        {
            // An empty file under the unit's own name masks it; a deferred
            // scan did not look (see `UnitIndex::scan_deferred`).
            self.out.masked.insert(name.as_str().to_owned(), fragment);
            return;
        }
        if let Some(loose) = &mut self.loose {
            for (path, meta) in &parsed.metas {
                loose.file(name.as_str(), path, meta);
            }
        }
        self.out.diagnostics.extend(parsed.diagnostics);
        match parsed.unit {
            Some(mut unit) if !parsed.io_failed => {
                unit.source_mut().aliases = aliases.into();
                if name != *requested && !unit.source().aliases.contains(&requested.to_string()) {
                    unit.source_mut()
                        .aliases
                        .push(requested.as_str().to_owned());
                }
                self.add_links(&mut unit, &wants_dirs, &requires_dirs);
                self.finish(unit);
            }
            _ => {
                if let Some(fatal) = parsed.fragment_fatal {
                    self.out
                        .load_errors
                        .insert(name.as_str().to_owned(), fatal.errno_text());
                }
                self.out.failed.insert(name.as_str().to_owned());
            }
        }
    }

    fn add_links(&mut self, unit: &mut Unit, wants: &[PathBuf], requires: &[PathBuf]) {
        let instance = unit.name().instance().map(str::to_owned);
        for (dirs, is_wants) in [(wants, true), (requires, false)] {
            let (names, invalid) = dependency_links(dirs, instance.as_deref());
            for path in invalid {
                self.out.diagnostics.push(Diagnostic::warning(
                    &path,
                    0,
                    Problem::Unit("dependency link is not a valid unit name, ignoring".into()),
                ));
            }
            if names.is_empty() {
                // Not even a mutable look: it would box the empty lists.
                continue;
            }
            let section = unit.unit_section_mut();
            let list = if is_wants {
                &mut section.dependencies.wants
            } else {
                &mut section.dependencies.requires
            };
            // A set, not `list.contains`: timers.target.wants/ can hold
            // 100,000 links, and a scan per link made start-up quadratic.
            let mut seen: std::collections::HashSet<UnitName> = list.iter().cloned().collect();
            for n in names {
                if seen.insert(n.clone()) {
                    list.push(n);
                }
            }
        }
    }

    fn finish(&mut self, mut unit: Unit) {
        self.names.share_unit(&mut unit);
        let section = unit.unit_section();
        let linked: Vec<UnitName> = section
            .dependencies
            .wants
            .iter()
            .chain(&section.dependencies.requires)
            .chain(&section.dependencies.requisite)
            .chain(&section.dependencies.binds_to)
            .cloned()
            .collect();
        for n in linked {
            self.enqueue(n);
        }
        match &unit {
            Unit::Timer(t) => self.enqueue(t.triggers.clone()),
            // An Accept=yes socket's template is loaded per connection.
            Unit::Socket(s) if !s.triggers.is_template() => self.enqueue(s.triggers.clone()),
            _ => {}
        }
        self.out.units.insert(unit.name().clone(), unit);
    }
}

/// Warnings for timers and sockets whose unit is missing (systemd loads
/// such a unit and fails only when it triggers; sundial says so up front).
pub fn missing_trigger_warnings(loaded: &LoadedUnits) -> Vec<Diagnostic> {
    let timers = loaded.timers().map(|t| (&t.name, &t.triggers, &t.source));
    let sockets = loaded.units.values().filter_map(|u| match u {
        Unit::Socket(s) if !s.triggers.is_template() => Some((&s.name, &s.triggers, &s.source)),
        _ => None,
    });
    timers
        .chain(sockets)
        .filter(|(_, triggers, _)| loaded.get(triggers.as_str()).is_none())
        .filter(|(_, triggers, _)| !loaded.masked.contains_key(triggers.as_str()))
        .map(|(name, triggers, source)| {
            let path = source.fragment.clone().unwrap_or_default();
            Diagnostic::warning(
                path,
                0,
                Problem::Unit(format!(
                    "{name}: triggers {triggers}, which could not be loaded"
                )),
            )
        })
        .collect()
}
