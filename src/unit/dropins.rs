//! Drop-in directories (`foo.service.d/*.conf`) and dependency directories
//! (`foo.target.wants/`, `.requires/`): which directories belong to a unit and
//! in what order their files apply.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use super::name::{UnitName, UnitType};
use super::search_path::SearchPath;

/// The names whose `<name><suffix>` directories apply to `name`, most
/// specific first, as systemd's `unit_file_find_dirs` walks them: the name
/// itself, its template, then the dash prefixes (`foo-bar-baz.service` ->
/// `foo-bar-.service` -> `foo-.service`), each with their templates.
pub fn dropin_names(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    collect_names(name, &mut out);
    out
}

fn collect_names(name: &str, out: &mut Vec<String>) {
    if !out.iter().any(|n| n == name) {
        out.push(name.to_owned());
    }
    let Ok(unit) = UnitName::parse(name) else {
        return;
    };
    if let Some(template) = unit.template() {
        collect_names(template.as_str(), out);
    }
    let mut prefix = unit.prefix().to_owned();
    let mut chopped = false;
    loop {
        let Some(dash) = prefix.rfind('-') else {
            return;
        };
        if dash == 0 {
            return;
        }
        if dash + 1 < prefix.len() || chopped {
            prefix.truncate(dash + 1);
            break;
        }
        // A trailing dash is chopped once and the search goes on.
        prefix.truncate(dash);
        chopped = true;
    }
    let built = match unit.instance() {
        Some(i) if !i.is_empty() => format!("{prefix}@{i}.{}", unit.suffix()),
        _ => format!("{prefix}.{}", unit.suffix()),
    };
    collect_names(&built, out);
}

/// The existing subdirectories of the search path that can hold drop-ins or
/// dependency links, found once so that per-unit lookups need no `stat`.
#[derive(Debug, Clone, Default)]
pub struct DirIndex {
    existing: HashSet<PathBuf>,
    /// The directories' own names (`foo.service.d`), whichever search
    /// directory holds them: most units have none, and a lookup of a name is
    /// far cheaper than building and hashing each candidate path.
    names: HashSet<String>,
}

impl DirIndex {
    /// Records that `dir` exists.
    pub fn insert(&mut self, dir: PathBuf) {
        if let Some(name) = dir.file_name() {
            self.names.insert(name.to_string_lossy().into_owned());
        }
        self.existing.insert(dir);
    }

    /// Whether `dir` exists.
    pub fn contains(&self, dir: &Path) -> bool {
        self.existing.contains(dir)
    }

    /// The directories named `<name><suffix>` for `name`, its aliases, and the
    /// type-wide `<type><suffix>`, in precedence order.
    pub fn dirs_for(
        &self,
        search: &SearchPath,
        name: &UnitName,
        aliases: &[String],
        suffix: &str,
    ) -> Vec<PathBuf> {
        let own = dropin_names(name.as_str());
        let aliased: Vec<Vec<String>> = aliases.iter().map(|a| dropin_names(a)).collect();
        let type_wide = (name.unit_type() != UnitType::Other).then(|| name.suffix());
        let mut candidate = String::new();
        let mut exists = |n: &str| {
            candidate.clear();
            candidate.push_str(n);
            candidate.push_str(suffix);
            self.names.contains(candidate.as_str())
        };
        let any = own
            .iter()
            .chain(aliased.iter().flatten())
            .any(|n| exists(n))
            || type_wide.is_some_and(&mut exists);
        if !any {
            return Vec::new();
        }
        let mut dirs = Vec::new();
        let mut push = |d: PathBuf| {
            if self.contains(&d) && !dirs.contains(&d) {
                dirs.push(d);
            }
        };
        for dir in &search.dirs {
            for n in &own {
                push(dir.join(format!("{n}{suffix}")));
            }
        }
        for names in &aliased {
            for dir in &search.dirs {
                for n in names {
                    push(dir.join(format!("{n}{suffix}")));
                }
            }
        }
        // systemd: the type-wide directory comes last, the most generic.
        if let Some(type_name) = type_wide {
            for dir in &search.dirs {
                push(dir.join(format!("{type_name}{suffix}")));
            }
        }
        dirs
    }
}

/// The `*.conf` files of `dirs`, sorted by file name; a name in an earlier
/// directory hides the same name in later ones.
pub fn conf_files(dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut by_name: BTreeMap<String, PathBuf> = BTreeMap::new();
    for dir in dirs {
        let Ok(entries) = fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let file_name = entry.file_name().to_string_lossy().into_owned();
            if !file_name.ends_with(".conf") {
                continue;
            }
            let path = entry.path();
            // A directory named *.conf is not a drop-in.
            if path.is_dir() {
                continue;
            }
            by_name.entry(file_name).or_insert(path);
        }
    }
    by_name.into_values().collect()
}

/// The unit names linked in `dirs` (`.wants/`, `.requires/`): every entry
/// whose name is a valid unit name, templates instantiated with `instance`.
/// Invalid entries are returned separately for reporting.
pub fn dependency_links(dirs: &[PathBuf], instance: Option<&str>) -> (Vec<UnitName>, Vec<PathBuf>) {
    let mut names: BTreeMap<String, UnitName> = BTreeMap::new();
    let mut invalid = Vec::new();
    for dir in dirs {
        let Ok(entries) = fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let file_name = entry.file_name().to_string_lossy().into_owned();
            let Ok(mut unit) = UnitName::parse(&file_name) else {
                invalid.push(entry.path());
                continue;
            };
            if unit.is_template() {
                match instance.filter(|i| !i.is_empty()) {
                    Some(i) => match unit.instantiate(i) {
                        Ok(u) => unit = u,
                        Err(_) => {
                            invalid.push(entry.path());
                            continue;
                        }
                    },
                    None => {
                        invalid.push(entry.path());
                        continue;
                    }
                }
            }
            names.entry(unit.as_str().to_owned()).or_insert(unit);
        }
    }
    (names.into_values().collect(), invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_for_dashed_and_instances() {
        assert_eq!(
            dropin_names("foo-bar-baz.service"),
            vec!["foo-bar-baz.service", "foo-bar-.service", "foo-.service"]
        );
        assert_eq!(
            dropin_names("foo-bar@x.service"),
            vec![
                "foo-bar@x.service",
                "foo-bar@.service",
                "foo-.service",
                "foo-@x.service",
                "foo-@.service"
            ]
        );
        assert_eq!(dropin_names("plain.timer"), vec!["plain.timer"]);
        assert_eq!(dropin_names("-lead.service"), vec!["-lead.service"]);
    }
}
