//! The loaded unit files as the daemon sees them: one snapshot of the search
//! path, what the default targets want, load states, and the loader plugged
//! into the supervisor for units not loaded yet (template instances).
//!
//! A snapshot is immutable and shared by `Arc` with the supervisor's
//! resolver; `daemon-reload` builds a new one and swaps it in.

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;

use crate::supervisor::Resolver;
use crate::unit::foreign::Foreign;
use crate::unit::load::{describe_dirs, DirContents};
use crate::unit::{
    load_all_indexed, load_units, Diagnostic, LoadContext, LoadedUnits, SearchPath, Unit,
    UnitIndex, UnitName, UnitType,
};

/// The targets whose wants the daemon starts when it starts: systemd's
/// default.target (usually multi-user.target), and sockets.target,
/// timers.target and paths.target, which `WantedBy=sockets.target` sockets,
/// `WantedBy=timers.target` timers and `WantedBy=paths.target` path units
/// link into. sockets.target comes first: a service started at start-up
/// finds its sockets open.
pub const START_TARGETS: [&str; 5] = [
    "sockets.target",
    "default.target",
    "multi-user.target",
    "timers.target",
    "paths.target",
];

/// Where the daemon reads unit files, and what it finds there:
/// `/etc/sundial/system (2 unit files), /usr/lib/sundial/system (missing)`,
/// so that "0 units loaded" says where nothing was found.
pub fn describe_unit_dirs(search: &SearchPath) -> String {
    let found: Vec<DirContents> = search.dirs.iter().map(|d| DirContents::read(d)).collect();
    describe_dirs(search.dirs.iter().zip(&found))
}

/// systemd's `LoadState=` of a unit: `loaded`, `masked`, `error` (its file
/// cannot be read), `bad-setting` (it can, but is not valid) or `not-found`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LoadState {
    Loaded,
    Masked,
    Error,
    BadSetting,
    NotFound,
}

impl LoadState {
    /// The word systemctl shows.
    pub fn as_str(self) -> &'static str {
        match self {
            LoadState::Loaded => "loaded",
            LoadState::Masked => "masked",
            LoadState::Error => "error",
            LoadState::BadSetting => "bad-setting",
            LoadState::NotFound => "not-found",
        }
    }
}

impl std::fmt::Display for LoadState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One load of the search path.
#[derive(Debug, Clone)]
pub struct UnitSet {
    /// The units.
    pub loaded: Arc<LoadedUnits>,
    /// The files of the search path, for loading instances later.
    pub index: Arc<UnitIndex>,
    /// How units are loaded (search path, specifiers, zones).
    pub cx: LoadContext<'static>,
}

impl UnitSet {
    /// Loads every unit of the search path.
    pub fn load(cx: LoadContext<'static>) -> UnitSet {
        let mut index = UnitIndex::scan_deferred(&cx.search_path);
        let loaded = load_all_indexed(&cx, &index);
        index.settle(&loaded);
        let mut set = UnitSet {
            loaded: Arc::new(loaded),
            index: Arc::new(index),
            cx,
        };
        // A target that exists only as `<target>.wants/` links has no file, so
        // loading every file does not reach it; the start targets are loaded
        // by name.
        for target in START_TARGETS {
            if !set.knows(target) {
                set.load_extra(target);
            }
        }
        set
    }

    /// The unit called `name`, or aliased so.
    pub fn get(&self, name: &str) -> Option<&Unit> {
        self.loaded.get(name)
    }

    /// The canonical name of `name` (aliases resolved).
    pub fn canonical<'a>(&'a self, name: &'a str) -> &'a str {
        self.loaded.aliases.get(name).map_or(name, String::as_str)
    }

    /// Every problem found while loading.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.loaded.diagnostics
    }

    /// systemd's LoadState= of `name`.
    pub fn load_state(&self, name: &str) -> LoadState {
        let name = self.canonical(name);
        if self.loaded.units.contains_key(name) {
            LoadState::Loaded
        } else if self.loaded.masked.contains_key(name) {
            LoadState::Masked
        } else if self.loaded.load_errors.contains_key(name) {
            LoadState::Error
        } else if self.loaded.failed.contains(name) {
            LoadState::BadSetting
        } else if UnitName::parse(name).is_ok_and(|n| Foreign::of(&n).is_some()) {
            // Devices, mounts, swaps, slices, scopes: loaded without a file,
            // as systemd loads them.
            LoadState::Loaded
        } else {
            LoadState::NotFound
        }
    }

    /// Whether `name` is known in any way (loaded, masked, broken).
    pub fn knows(&self, name: &str) -> bool {
        self.load_state(name) != LoadState::NotFound
    }

    /// The units the start targets pull in (through `.wants/`, `.requires/`,
    /// Wants= and Requires=), targets included, in breadth-first order.
    pub fn wanted_at_start(&self) -> Vec<String> {
        let mut seen = BTreeSet::new();
        let mut order = Vec::new();
        let mut queue: VecDeque<String> = START_TARGETS.iter().map(|t| (*t).to_owned()).collect();
        while let Some(name) = queue.pop_front() {
            let name = self.canonical(&name).to_owned();
            if !seen.insert(name.clone()) {
                continue;
            }
            let Some(unit) = self.loaded.units.get(name.as_str()) else {
                continue;
            };
            order.push(name);
            let section = unit.unit_section();
            for dep in section
                .dependencies
                .wants
                .iter()
                .chain(&section.dependencies.requires)
            {
                queue.push_back(dep.as_str().to_owned());
            }
        }
        order
    }

    /// The names of every loaded unit of `ty`.
    pub fn names_of(&self, ty: UnitType) -> impl Iterator<Item = &str> {
        self.loaded
            .units
            .iter()
            .filter(move |(_, u)| u.name().unit_type() == ty)
            .map(|(n, _)| n.as_str())
    }

    /// A resolver for the supervisor: services from this snapshot, and
    /// instances of templates loaded on demand.
    pub fn resolver(&self) -> Resolver {
        let loaded = Arc::clone(&self.loaded);
        let index = Arc::clone(&self.index);
        // The context borrows a zone source that is not Send; the resolver
        // keeps its own and builds a context per call.
        let search_path = self.cx.search_path.clone();
        let specifiers = self.cx.specifiers.clone();
        let local_zone = self.cx.local_zone.clone();
        let zones = crate::unit::host::system_zones();
        Box::new(move |name: &UnitName| {
            if let Some(Unit::Service(s)) = loaded.get(name.as_str()) {
                return Some(Arc::clone(s));
            }
            let cx = LoadContext {
                search_path: search_path.clone(),
                specifiers: specifiers.clone(),
                local_zone: local_zone.clone(),
                zones: &zones,
            };
            let mut more = load_units(&cx, &index, std::slice::from_ref(name));
            match more.units.remove(name.as_str()) {
                Some(Unit::Service(s)) => Some(s),
                _ => None,
            }
        })
    }

    /// The unit called `name`, loading it without adding it to the snapshot
    /// if it is not there (an instance probed for its `[Install]` section).
    pub fn peek(&self, name: &str) -> Option<Unit> {
        if let Some(u) = self.get(name) {
            return Some(u.clone());
        }
        let parsed = UnitName::parse(name).ok()?;
        load_units(&self.cx, &self.index, &[parsed])
            .units
            .remove(name)
    }

    /// Loads a unit that is not in the snapshot (an instance named by a
    /// client) and adds it, with whatever it pulls in.
    pub fn load_extra(&mut self, name: &str) -> bool {
        let Ok(parsed) = UnitName::parse(name) else {
            return false;
        };
        // A template's file is loaded through its instances only.
        if parsed.is_template() {
            return false;
        }
        let more = load_units(&self.cx, &self.index, &[parsed]);
        if !more.units.contains_key(name) {
            return false;
        }
        let loaded = Arc::make_mut(&mut self.loaded);
        for (n, u) in more.units {
            loaded.units.entry(n).or_insert(u);
        }
        loaded.aliases.extend(more.aliases);
        true
    }
}
