//! Zones from the system's tz database (`TZDIR`, `/usr/share/zoneinfo`), with
//! the bundled database as the fallback.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::bundled::load_bundled;
use super::tzif::TzifRules;
use super::{Zone, ZoneSource};

/// Where the C library looks when `TZDIR` is unset.
const DEFAULT_TZDIR: &str = "/usr/share/zoneinfo";

/// The system default zone when `TZ` is unset.
const DEFAULT_LOCALTIME: &str = "/etc/localtime";

/// A [`ZoneSource`] reading TZif files from a tz database directory, falling
/// back to the database compiled into the binary for names that are not on
/// disk (or when there is no database at all). Each zone is parsed once.
///
/// ```
/// use sundial_calendar::zone::SystemZones;
/// use sundial_calendar::ZoneSource;
/// // The caller reads the environment: `SystemZones::from_tzdir_env(std::env::var("TZDIR").ok().as_deref())`.
/// let zones = SystemZones::from_tzdir_env(None);
/// assert!(zones.load("Europe/Berlin").is_some());
/// assert!(zones.load("../etc/passwd").is_none());
/// ```
#[derive(Debug)]
pub struct SystemZones {
    dir: PathBuf,
    localtime: PathBuf,
    cache: Mutex<HashMap<String, Option<Zone>>>,
}

impl SystemZones {
    /// Zones from `dir`, or from `/usr/share/zoneinfo` when `dir` is `None`.
    pub fn new(dir: Option<PathBuf>) -> SystemZones {
        SystemZones {
            dir: dir.unwrap_or_else(|| PathBuf::from(DEFAULT_TZDIR)),
            localtime: PathBuf::from(DEFAULT_LOCALTIME),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Zones from the directory named by the value of `TZDIR`, as the C library
    /// reads it: unset or empty means `/usr/share/zoneinfo`.
    pub fn from_tzdir_env(value: Option<&str>) -> SystemZones {
        SystemZones::new(value.filter(|v| !v.is_empty()).map(PathBuf::from))
    }

    /// Uses `path` instead of `/etc/localtime` as the system default zone.
    pub fn with_localtime(mut self, path: impl Into<PathBuf>) -> SystemZones {
        self.localtime = path.into();
        self
    }

    /// The tz database directory in use.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn load_uncached(&self, name: &str) -> Option<Zone> {
        if !is_valid_zone_name(name) {
            return None;
        }
        let from_disk = fs::read(self.dir.join(name))
            .ok()
            .and_then(|bytes| TzifRules::from_tzif(&bytes));
        match from_disk {
            Some(rules) => Some(Zone::new(name, Arc::new(rules))),
            None => load_bundled(name),
        }
    }
}

impl ZoneSource for SystemZones {
    fn load(&self, name: &str) -> Option<Zone> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        // Look up by `&str` first: a cached name costs no allocation.
        if let Some(zone) = cache.get(name) {
            return zone.clone();
        }
        let zone = self.load_uncached(name);
        cache.insert(name.to_owned(), zone.clone());
        zone
    }

    fn load_file(&self, path: &Path) -> Option<Zone> {
        let key = format!("\0file:{}", path.display());
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(key)
            .or_insert_with(|| {
                let rules = TzifRules::from_tzif(&fs::read(path).ok()?)?;
                let name = name_under_zoneinfo(path, &self.dir)
                    .unwrap_or_else(|| path.display().to_string());
                Some(Zone::new(&name, Arc::new(rules)))
            })
            .clone()
    }

    fn system_default(&self) -> Option<Zone> {
        let key = "\0localtime".to_owned();
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(key)
            .or_insert_with(|| {
                let rules = TzifRules::from_tzif(&fs::read(&self.localtime).ok()?)?;
                // Name the zone after the symlink's target, as timedatectl does
                // (`/usr/share/zoneinfo/Europe/Berlin` -> `Europe/Berlin`).
                let name = fs::read_link(&self.localtime)
                    .ok()
                    .and_then(|target| name_under_zoneinfo(&target, &self.dir))
                    .unwrap_or_else(|| "localtime".to_owned());
                Some(Zone::new(&name, Arc::new(rules)))
            })
            .clone()
    }
}

/// The zone name of a path inside a tz database: the part after the
/// database directory or after the last `zoneinfo/` component.
fn name_under_zoneinfo(path: &Path, dir: &Path) -> Option<String> {
    if let Ok(rest) = path.strip_prefix(dir) {
        let name = rest.to_str()?;
        return is_valid_zone_name(name).then(|| name.to_owned());
    }
    let text = path.to_str()?;
    let (_, name) = text.rsplit_once("zoneinfo/")?;
    // `posix/Europe/Berlin` names the same zone as `Europe/Berlin`.
    let name = name.strip_prefix("posix/").unwrap_or(name);
    is_valid_zone_name(name).then(|| name.to_owned())
}

/// Whether `name` may name a zone file, with systemd's rules
/// (`timezone_is_valid()`): only `[A-Za-z0-9_+-/]`, no leading, trailing or
/// doubled `/`. Without `.`, no `..` can escape the database directory.
///
/// ```
/// use sundial_calendar::zone::is_valid_zone_name;
/// assert!(is_valid_zone_name("America/Argentina/Buenos_Aires"));
/// assert!(is_valid_zone_name("Etc/GMT+5"));
/// assert!(!is_valid_zone_name("/etc/passwd"));
/// assert!(!is_valid_zone_name("Europe//Berlin"));
/// assert!(!is_valid_zone_name("../../etc/passwd"));
/// ```
pub fn is_valid_zone_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('/')
        && !name.ends_with('/')
        && !name.contains("//")
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'+' | b'-' | b'/'))
}
