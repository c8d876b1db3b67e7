//! The unit search path: the directories unit files are read from, in order
//! of precedence (the first file of a name wins).

use std::path::{Path, PathBuf};

/// System manager or per-user manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Root's manager: `/etc/sundial/system`, `/usr/lib/sundial/system`.
    System,
    /// A user's manager: `$XDG_CONFIG_HOME/sundial/user`, `/usr/lib/sundial/user`.
    User,
}

/// An ordered list of unit directories.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchPath {
    /// Directories, highest precedence first, without duplicates.
    pub dirs: Vec<PathBuf>,
}

impl SearchPath {
    /// The built-in directories of `scope`. `config_home` is
    /// `$XDG_CONFIG_HOME`, or `$HOME/.config` when that is unset; the caller
    /// reads the environment.
    pub fn defaults(scope: Scope, config_home: Option<&Path>) -> Vec<PathBuf> {
        match scope {
            Scope::System => vec![
                PathBuf::from("/etc/sundial/system"),
                PathBuf::from("/usr/lib/sundial/system"),
            ],
            Scope::User => {
                let mut dirs = Vec::new();
                if let Some(home) = config_home {
                    dirs.push(home.join("sundial/user"));
                }
                dirs.push(PathBuf::from("/usr/lib/sundial/user"));
                dirs
            }
        }
    }

    /// The search path from `--unit-dir` flags and the value of
    /// `SUNDIAL_UNIT_PATH`.
    ///
    /// `--unit-dir` directories come first, then those of the variable. Like
    /// `SYSTEMD_UNIT_PATH`, the variable replaces the defaults unless it ends
    /// with `:`, which appends them. When neither is given the defaults are
    /// the whole path; `--unit-dir` alone also replaces them, so that tests
    /// and containers see only what they name.
    pub fn build(unit_dirs: &[PathBuf], env: Option<&str>, defaults: Vec<PathBuf>) -> SearchPath {
        let mut dirs: Vec<PathBuf> = unit_dirs.to_vec();
        let mut add_defaults = unit_dirs.is_empty();
        if let Some(value) = env.filter(|v| !v.is_empty()) {
            add_defaults = value.ends_with(':');
            dirs.extend(
                value
                    .split(':')
                    .filter(|c| !c.is_empty())
                    .map(PathBuf::from),
            );
        }
        if add_defaults {
            dirs.extend(defaults);
        }
        let mut unique: Vec<PathBuf> = Vec::with_capacity(dirs.len());
        for d in dirs {
            if !unique.contains(&d) {
                unique.push(d);
            }
        }
        SearchPath { dirs: unique }
    }

    /// Whether `path` lies directly in one of the directories (a symlink
    /// target there makes the link an alias).
    pub fn contains_file(&self, path: &Path) -> bool {
        path.parent()
            .is_some_and(|p| self.dirs.iter().any(|d| d == p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> PathBuf {
        PathBuf::from(s)
    }

    #[test]
    fn defaults_only() {
        let sp = SearchPath::build(&[], None, SearchPath::defaults(Scope::System, None));
        assert_eq!(
            sp.dirs,
            vec![p("/etc/sundial/system"), p("/usr/lib/sundial/system")]
        );
        let user = SearchPath::defaults(Scope::User, Some(Path::new("/home/a/.config")));
        assert_eq!(
            user,
            vec![
                p("/home/a/.config/sundial/user"),
                p("/usr/lib/sundial/user")
            ]
        );
    }

    #[test]
    fn env_replaces_or_appends() {
        let d = || vec![p("/d1"), p("/d2")];
        assert_eq!(
            SearchPath::build(&[], Some("/a:/b"), d()).dirs,
            vec![p("/a"), p("/b")]
        );
        assert_eq!(
            SearchPath::build(&[], Some("/a:"), d()).dirs,
            vec![p("/a"), p("/d1"), p("/d2")]
        );
        assert_eq!(
            SearchPath::build(&[p("/x")], Some("/a"), d()).dirs,
            vec![p("/x"), p("/a")]
        );
        assert_eq!(
            SearchPath::build(&[p("/x"), p("/x")], None, d()).dirs,
            vec![p("/x")]
        );
    }
}
