//! The typed `.path` unit and its `[Path]` directives (systemd.path(5)).

use std::fmt;
use std::path::PathBuf;

use sundial_calendar::Timespan;

use super::diag::ValueError;
use super::directives::DirectiveCx;
use super::install::InstallSection;
use super::name::UnitName;
use super::source::UnitSource;
use super::unit::UnitSection;
use super::values::{check_abs_path, parse_bool, parse_timespan};

/// What a path specification watches for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathCondition {
    /// `PathExists=`: the path exists (a level condition).
    Exists,
    /// `PathExistsGlob=`: some path matches the glob (a level condition).
    ExistsGlob,
    /// `PathChanged=`: the file was closed after a write, or created,
    /// deleted or moved (an edge).
    Changed,
    /// `PathModified=`: as `PathChanged=`, and also on every write.
    Modified,
    /// `DirectoryNotEmpty=`: the directory holds an entry (a level
    /// condition).
    DirectoryNotEmpty,
}

impl PathCondition {
    /// The directive that sets it, which `list-paths` prints as the
    /// CONDITION.
    pub fn directive(self) -> &'static str {
        match self {
            PathCondition::Exists => "PathExists",
            PathCondition::ExistsGlob => "PathExistsGlob",
            PathCondition::Changed => "PathChanged",
            PathCondition::Modified => "PathModified",
            PathCondition::DirectoryNotEmpty => "DirectoryNotEmpty",
        }
    }

    /// The condition a directive sets.
    pub fn from_directive(key: &str) -> Option<PathCondition> {
        Some(match key {
            "PathExists" => PathCondition::Exists,
            "PathExistsGlob" => PathCondition::ExistsGlob,
            "PathChanged" => PathCondition::Changed,
            "PathModified" => PathCondition::Modified,
            "DirectoryNotEmpty" => PathCondition::DirectoryNotEmpty,
            _ => return None,
        })
    }

    /// Whether the unit triggers while the condition holds (rather than
    /// on a change).
    pub fn is_level(self) -> bool {
        !matches!(self, PathCondition::Changed | PathCondition::Modified)
    }
}

impl fmt::Display for PathCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.directive())
    }
}

/// One `PathExists=`, `PathChanged=`, ... line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PathSpec {
    /// What is watched for.
    pub condition: PathCondition,
    /// The absolute path (a glob pattern for `PathExistsGlob=`).
    pub path: PathBuf,
}

/// The `[Path]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathSection {
    /// The path specifications, in file order. An empty assignment to any
    /// of the five directives clears them all (systemd: one shared list).
    pub specs: Vec<PathSpec>,
    /// `Unit=` as written (specifiers expanded); `None` = same name as the
    /// path unit.
    pub unit: Option<UnitName>,
    /// `MakeDirectory=` (default no): create the watched directories at
    /// start (not for `PathExists=`/`PathExistsGlob=`).
    pub make_directory: bool,
    /// `DirectoryMode=` (default 0755).
    pub directory_mode: u32,
    /// `TriggerLimitIntervalSec=` (default 2s; 0 turns the limit off).
    pub trigger_limit_interval: Timespan,
    /// `TriggerLimitBurst=` (default 200; 0 turns the limit off).
    pub trigger_limit_burst: u32,
}

impl Default for PathSection {
    fn default() -> PathSection {
        PathSection {
            specs: Vec::new(),
            unit: None,
            make_directory: false,
            // systemd: path_init()
            directory_mode: 0o755,
            trigger_limit_interval: Timespan::from_secs(2),
            trigger_limit_burst: 200,
        }
    }
}

/// A loaded, validated `.path` unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathUnit {
    /// The unit's name (`spool.path`).
    pub name: UnitName,
    /// Where it was loaded from.
    pub source: UnitSource,
    /// `[Unit]`.
    pub unit: UnitSection,
    /// `[Path]`.
    pub path: PathSection,
    /// `[Install]`.
    pub install: InstallSection,
    /// The unit it starts: `Unit=`, or its own name with `.service`.
    pub triggers: UnitName,
}

/// Applies a `[Path]` directive; `false` for a key that is not one.
pub fn apply_path(p: &mut PathSection, cx: &mut DirectiveCx<'_>, value: &str) -> bool {
    let key = cx.key;
    if let Some(condition) = PathCondition::from_directive(key) {
        if value.is_empty() {
            p.specs.clear();
            return true;
        }
        let Some(expanded) = cx.expand(value) else {
            return true;
        };
        // systemd: path_simplify_and_warn(PATH_CHECK_ABSOLUTE), "ignoring".
        match check_abs_path(&expanded) {
            Ok(path) => p.specs.push(PathSpec { condition, path }),
            Err(e) => cx.warn(e),
        }
        return true;
    }
    match key {
        "Unit" => {
            let Some(expanded) = cx.expand(value) else {
                return true;
            };
            match UnitName::parse(&expanded) {
                Ok(n) if n.as_str() == cx.specifiers.unit.as_str() => cx.warn(ValueError::Invalid(
                    format!("units cannot trigger themselves, ignoring: {n}"),
                )),
                Ok(n) => p.unit = Some(n),
                Err(e) => cx.warn(e.into()),
            }
        }
        "MakeDirectory" => {
            let v = parse_bool(value);
            cx.set(&mut p.make_directory, v);
        }
        "DirectoryMode" => {
            let v = parse_mode(value);
            cx.set(&mut p.directory_mode, v);
        }
        "TriggerLimitIntervalSec" => {
            let v = parse_timespan(value);
            cx.set(&mut p.trigger_limit_interval, v);
        }
        "TriggerLimitBurst" => {
            let v = value
                .parse::<u32>()
                .map_err(|_| ValueError::Number(value.to_owned()));
            cx.set(&mut p.trigger_limit_burst, v);
        }
        _ => return false,
    }
    true
}

/// An octal access mode of at most 07777 (systemd's `parse_mode`).
pub fn parse_mode(s: &str) -> Result<u32, ValueError> {
    match u32::from_str_radix(s, 8) {
        Ok(m) if m <= 0o7777 => Ok(m),
        _ => Err(ValueError::Invalid(format!("invalid mode '{s}'"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::test_text;

    fn load(text: &str) -> (Option<std::sync::Arc<PathUnit>>, Vec<String>) {
        test_text::path_unit("spool.path", text)
    }

    #[test]
    fn reads_every_directive_in_file_order() {
        let (unit, diags) = load(
            "[Path]\nPathExists=/run/flag\nPathExistsGlob=/var/in/*.csv\nPathChanged=/etc/app.conf\n\
             PathModified=/var/log/app.log\nDirectoryNotEmpty=/var/spool/in//\nUnit=mover.service\n\
             MakeDirectory=yes\nDirectoryMode=0700\nTriggerLimitIntervalSec=10s\nTriggerLimitBurst=5\n",
        );
        assert!(diags.is_empty(), "{diags:?}");
        let unit = unit.expect("loads");
        let specs: Vec<(PathCondition, &str)> = unit
            .path
            .specs
            .iter()
            .map(|s| (s.condition, s.path.to_str().unwrap()))
            .collect();
        assert_eq!(
            specs,
            vec![
                (PathCondition::Exists, "/run/flag"),
                (PathCondition::ExistsGlob, "/var/in/*.csv"),
                (PathCondition::Changed, "/etc/app.conf"),
                (PathCondition::Modified, "/var/log/app.log"),
                (PathCondition::DirectoryNotEmpty, "/var/spool/in"),
            ]
        );
        assert_eq!(unit.triggers.as_str(), "mover.service");
        assert!(unit.path.make_directory);
        assert_eq!(unit.path.directory_mode, 0o700);
        assert_eq!(unit.path.trigger_limit_interval, Timespan::from_secs(10));
        assert_eq!(unit.path.trigger_limit_burst, 5);
    }

    #[test]
    fn defaults_follow_systemd() {
        let (unit, diags) = load("[Path]\nPathChanged=/etc/a\n");
        assert!(diags.is_empty(), "{diags:?}");
        let unit = unit.expect("loads");
        assert_eq!(unit.triggers.as_str(), "spool.service");
        assert!(!unit.path.make_directory);
        assert_eq!(unit.path.directory_mode, 0o755);
        assert_eq!(unit.path.trigger_limit_interval, Timespan::from_secs(2));
        assert_eq!(unit.path.trigger_limit_burst, 200);
    }

    #[test]
    fn bad_values_name_file_line_and_key_and_are_ignored() {
        let (unit, diags) = load(
            "[Path]\nPathChanged=relative/file\nDirectoryNotEmpty=/a/../b\nDirectoryMode=0999\n\
             TriggerLimitBurst=many\nMakeDirectory=perhaps\nUnit=spool.path\nPathExists=/ok\n",
        );
        assert_eq!(
            diags,
            vec![
                "/units/spool.path:2: PathChanged=: path 'relative/file' is not absolute",
                "/units/spool.path:3: DirectoryNotEmpty=: path '/a/../b' contains a '..' component",
                "/units/spool.path:4: DirectoryMode=: invalid mode '0999'",
                "/units/spool.path:5: TriggerLimitBurst=: invalid number 'many'",
                "/units/spool.path:6: MakeDirectory=: failed to parse boolean value 'perhaps'",
                "/units/spool.path:7: Unit=: units cannot trigger themselves, ignoring: spool.path",
            ]
        );
        let unit = unit.expect("the good line is enough");
        assert_eq!(unit.path.specs.len(), 1);
        assert_eq!(unit.path.directory_mode, 0o755);
    }

    #[test]
    fn an_empty_assignment_clears_every_spec() {
        let (unit, _) =
            load("[Path]\nPathExists=/a\nPathChanged=/b\nDirectoryNotEmpty=\nPathModified=/c\n");
        let unit = unit.expect("loads");
        assert_eq!(
            unit.path.specs,
            vec![PathSpec {
                condition: PathCondition::Modified,
                path: "/c".into()
            }]
        );
    }

    #[test]
    fn a_unit_without_paths_is_refused() {
        let (unit, diags) = load("[Path]\nMakeDirectory=yes\n");
        assert!(unit.is_none());
        assert_eq!(
            diags,
            vec!["/units/spool.path: spool.path: Path unit lacks path setting. Refusing."]
        );
    }

    #[test]
    fn specifiers_are_expanded_in_paths() {
        let (unit, diags) = load("[Path]\nDirectoryNotEmpty=/var/spool/%p\n");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(
            unit.expect("loads").path.specs[0].path,
            PathBuf::from("/var/spool/spool")
        );
    }
}
