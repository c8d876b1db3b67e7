//! Preset files: which units a distribution or an administrator wants
//! enabled, in systemd's `*.preset` format (`enable PATTERN`,
//! `disable PATTERN`; `#` and `;` start comments; the first rule that
//! matches decides; no rule: enabled).
//!
//! sundial reads them from a `-preset` directory beside each unit directory
//! of the search path: `/etc/sundial/system-preset` and
//! `/usr/lib/sundial/system-preset` for the system, the `user-preset`
//! directories for a user, `DIR-preset` for `--unit-dir DIR`. As with
//! systemd's, a file in an earlier directory hides one of the same name in
//! a later one, and the files are read in the order of their names.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// What a preset rule says about a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresetAction {
    /// `enable`.
    Enable,
    /// `disable`.
    Disable,
}

impl PresetAction {
    /// The word systemctl prints in the PRESET column.
    pub fn as_str(self) -> &'static str {
        match self {
            PresetAction::Enable => "enabled",
            PresetAction::Disable => "disabled",
        }
    }
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresetRule {
    /// A glob pattern on unit names.
    pub pattern: String,
    /// What it says.
    pub action: PresetAction,
}

/// The rules of every preset file, in the order they apply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Presets {
    /// The rules.
    pub rules: Vec<PresetRule>,
    /// Lines that are no rule, as `path:line: problem`.
    pub problems: Vec<String>,
}

/// The preset directory beside each unit directory.
pub fn preset_dirs(unit_dirs: &[PathBuf]) -> Vec<PathBuf> {
    unit_dirs
        .iter()
        .map(|d| {
            let mut name = d.as_os_str().to_owned();
            name.push("-preset");
            PathBuf::from(name)
        })
        .collect()
}

impl Presets {
    /// Reads the `*.preset` files of `dirs`.
    pub fn load(dirs: &[PathBuf]) -> Presets {
        let mut files: BTreeMap<String, PathBuf> = BTreeMap::new();
        for dir in dirs {
            let Ok(entries) = fs::read_dir(dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.ends_with(".preset") {
                    files.entry(name).or_insert_with(|| entry.path());
                }
            }
        }
        let mut presets = Presets::default();
        for path in files.values() {
            if let Ok(text) = fs::read_to_string(path) {
                presets.parse(path, &text);
            }
        }
        presets
    }

    /// Adds the rules of one file.
    pub fn parse(&mut self, path: &Path, text: &str) {
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with(['#', ';']) {
                continue;
            }
            let mut words = line.split_whitespace();
            let action = match words.next() {
                Some("enable") => PresetAction::Enable,
                Some("disable") => PresetAction::Disable,
                _ => {
                    self.problems.push(format!(
                        "{}:{}: unknown preset directive, ignoring: {line}",
                        path.display(),
                        n + 1
                    ));
                    continue;
                }
            };
            match words.next() {
                Some(pattern) => self.rules.push(PresetRule {
                    pattern: pattern.to_owned(),
                    action,
                }),
                None => self.problems.push(format!(
                    "{}:{}: a preset rule needs a unit name or pattern: {line}",
                    path.display(),
                    n + 1
                )),
            }
        }
    }

    /// What the presets say about `unit`: the first rule whose pattern
    /// matches it, else enable (systemd's default without a rule).
    pub fn query(&self, unit: &str) -> PresetAction {
        self.rules
            .iter()
            .find(|r| crate::daemon::handlers::glob_match(&r.pattern, unit))
            .map_or(PresetAction::Enable, |r| r.action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_matching_rule_decides_and_no_rule_enables() {
        let mut presets = Presets::default();
        presets.parse(
            Path::new("/p/90-x.preset"),
            "# comment\n; also\nenable backup.*\ndisable *.timer\nfrobnicate x\ndisable\n",
        );
        assert_eq!(presets.query("backup.timer"), PresetAction::Enable);
        assert_eq!(presets.query("report.timer"), PresetAction::Disable);
        assert_eq!(presets.query("web.service"), PresetAction::Enable);
        assert_eq!(
            presets.problems,
            [
                "/p/90-x.preset:5: unknown preset directive, ignoring: frobnicate x",
                "/p/90-x.preset:6: a preset rule needs a unit name or pattern: disable"
            ]
        );
    }

    #[test]
    fn files_are_read_by_name_and_earlier_directories_hide_later_ones() {
        let tmp = tempfile::tempdir().unwrap();
        let etc = tmp.path().join("etc");
        let lib = tmp.path().join("lib");
        assert_eq!(
            preset_dirs(&[etc.clone(), lib.clone()]),
            [tmp.path().join("etc-preset"), tmp.path().join("lib-preset")]
        );
        let dirs = preset_dirs(&[etc, lib]);
        for d in &dirs {
            fs::create_dir_all(d).unwrap();
        }
        fs::write(dirs[1].join("90-default.preset"), "disable *\n").unwrap();
        fs::write(dirs[1].join("50-vendor.preset"), "enable web.service\n").unwrap();
        // The administrator's file of the same name replaces the vendor's.
        fs::write(dirs[0].join("50-vendor.preset"), "enable db.service\n").unwrap();
        let presets = Presets::load(&dirs);
        assert_eq!(presets.query("db.service"), PresetAction::Enable);
        assert_eq!(presets.query("web.service"), PresetAction::Disable);
    }
}
