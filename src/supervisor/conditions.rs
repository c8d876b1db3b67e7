//! Condition*= and Assert*=: checks made right before a start. A failed
//! condition skips the start without failing the unit; a failed assertion
//! fails the start job ("Assertion failed on job for …") and leaves the unit
//! as it was.

use std::path::Path;

use crate::unit::{Condition, ConditionKind};

fn holds(c: &Condition, manager_env: &[(String, String)]) -> bool {
    let path = Path::new(&c.value);
    let result = match c.kind {
        ConditionKind::PathExists => path.exists(),
        ConditionKind::PathExistsGlob => glob_any(&c.value),
        ConditionKind::PathIsDirectory => path.is_dir(),
        ConditionKind::PathIsSymbolicLink => path.is_symlink(),
        ConditionKind::PathIsMountPoint => is_mount_point(path),
        ConditionKind::PathIsReadWrite => {
            std::fs::metadata(path).is_ok_and(|m| !m.permissions().readonly())
        }
        ConditionKind::DirectoryNotEmpty => {
            std::fs::read_dir(path).is_ok_and(|mut d| d.next().is_some())
        }
        ConditionKind::FileNotEmpty => {
            std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() > 0)
        }
        ConditionKind::FileIsExecutable => {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(path)
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        }
        ConditionKind::User => {
            let uid = nix::unistd::getuid();
            match c.value.as_str() {
                "@system" => uid.as_raw() < 1000,
                v => match v.parse::<u32>() {
                    Ok(n) => uid.as_raw() == n,
                    Err(_) => nix::unistd::User::from_uid(uid)
                        .ok()
                        .flatten()
                        .is_some_and(|u| u.name == v),
                },
            }
        }
        ConditionKind::Group => {
            let gid = nix::unistd::getgid();
            match c.value.parse::<u32>() {
                Ok(n) => gid.as_raw() == n,
                Err(_) => nix::unistd::Group::from_gid(gid)
                    .ok()
                    .flatten()
                    .is_some_and(|g| g.name == c.value),
            }
        }
        ConditionKind::Environment => match c.value.split_once('=') {
            Some((k, v)) => manager_env.iter().any(|(n, val)| n == k && val == v),
            None => manager_env.iter().any(|(n, _)| *n == c.value),
        },
        kind => super::host_conditions::holds(
            kind,
            &c.value,
            &super::host_conditions::HostFacts::read(),
        ),
    };
    result != c.negate
}

/// Whether the pattern (glob(3): wildcards in any component) matches an
/// existing path.
fn glob_any(pattern: &str) -> bool {
    super::glob::expand(Path::new(pattern)).is_ok()
}

fn is_mount_point(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let (Ok(me), Some(parent)) = (std::fs::metadata(path), path.parent()) else {
        return false;
    };
    std::fs::metadata(parent).is_ok_and(|p| p.dev() != me.dev() || p.ino() == me.ino())
}

/// Which list is checked: the message for a failure differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// `Condition*=`: the start is skipped.
    Condition,
    /// `Assert*=`: the start job fails.
    Assert,
}

/// systemd's rule: every non-trigger condition must hold, and at least one
/// trigger (`|`) condition if there are any. Returns the message for the
/// first failure.
pub fn first_failure(
    conditions: &[Condition],
    manager_env: &[(String, String)],
    check: Check,
) -> Option<String> {
    let mut any_trigger = false;
    let mut trigger_held = false;
    for c in conditions {
        let ok = holds(c, manager_env);
        if c.trigger {
            any_trigger = true;
            trigger_held |= ok;
        } else if !ok {
            let negate = if c.negate { "!" } else { "" };
            return Some(match check {
                Check::Condition => format!(
                    "Condition check resulted in {:?}={negate}{} being skipped.",
                    c.kind, c.value
                ),
                // systemd's condition log: "AssertPathExists=/x failed."
                Check::Assert => format!("Assert{:?}={negate}{} failed.", c.kind, c.value),
            });
        }
    }
    (any_trigger && !trigger_held).then(|| match check {
        Check::Condition => "None of the trigger conditions were met.".to_owned(),
        Check::Assert => "None of the trigger assertions were met.".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(kind: ConditionKind, value: &str, negate: bool, trigger: bool) -> Condition {
        Condition {
            kind,
            trigger,
            negate,
            value: value.to_owned(),
        }
    }

    #[test]
    fn plain_and_trigger_conditions() {
        let env = vec![("MODE".to_string(), "prod".to_string())];
        assert_eq!(
            first_failure(
                &[cond(ConditionKind::PathExists, "/", false, false)],
                &env,
                Check::Condition
            ),
            None
        );
        assert!(first_failure(
            &[cond(
                ConditionKind::PathExists,
                "/nonexistent",
                false,
                false
            )],
            &env,
            Check::Condition
        )
        .is_some());
        assert_eq!(
            first_failure(
                &[cond(ConditionKind::PathExists, "/nonexistent", true, false)],
                &env,
                Check::Condition
            ),
            None
        );
        assert_eq!(
            first_failure(
                &[cond(ConditionKind::Environment, "MODE=prod", false, false)],
                &env,
                Check::Condition
            ),
            None
        );
        let triggers = [
            cond(ConditionKind::PathExists, "/nonexistent", false, true),
            cond(ConditionKind::PathIsDirectory, "/", false, true),
        ];
        assert_eq!(first_failure(&triggers, &env, Check::Condition), None);
        assert!(first_failure(&triggers[..1], &env, Check::Condition).is_some());
        assert_eq!(
            first_failure(
                &[cond(
                    ConditionKind::PathExists,
                    "/nonexistent",
                    false,
                    false
                )],
                &env,
                Check::Assert
            )
            .as_deref(),
            Some("AssertPathExists=/nonexistent failed.")
        );
        // Globs in any component, as glob(3) expands them.
        assert!(glob_any("/*/e?c"));
        assert!(glob_any("/[e]tc"));
        assert!(!glob_any("/etc/*/nonexistent*"));
    }
}
