//! What a run holds outside its processes: the directories made for it
//! (`exec_dirs`), its credentials directory (`credentials`), made before
//! its first command and released when it ends; and the uid of a
//! `DynamicUser=` service.

use std::hash::Hasher;
use std::path::{Path, PathBuf};

use crate::unit::exec_context::{ExecContext, Preserve};

use super::credentials::{self, CredentialsDir};
use super::exec_dirs::{self, ExecRoots, Made, Owner};

/// systemd's range for dynamic users (`DYNAMIC_UID_MIN`..`DYNAMIC_UID_MAX`).
pub const DYNAMIC_UIDS: std::ops::RangeInclusive<u32> = 61184..=65519;

/// A run's directories and credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunEnvironment {
    pub dirs: Made,
    pub credentials: Option<CredentialsDir>,
    pub preserve: Preserve,
}

impl RunEnvironment {
    /// The variables the run's commands get.
    pub fn variables(&self) -> Vec<(String, String)> {
        let mut env = self.dirs.env.clone();
        if let Some(c) = &self.credentials {
            env.push((
                "CREDENTIALS_DIRECTORY".to_owned(),
                c.path.to_string_lossy().into_owned(),
            ));
        }
        env
    }
}

/// Why a run's environment could not be made: the message, and the exit
/// status systemd gives the command.
#[derive(Debug)]
pub struct Failed {
    pub message: String,
    pub exit_status: i32,
}

/// Makes the directories and the credentials of a run of `unit`.
pub fn prepare(
    unit: &str,
    c: &ExecContext,
    roots: &ExecRoots,
    owner: Owner,
    passed_credentials: Option<&Path>,
) -> Result<RunEnvironment, Failed> {
    let dirs = exec_dirs::make(c, roots, owner).map_err(|e| Failed {
        message: format!("Failed to set up the service's directories: {e}"),
        exit_status: e.exit_status(),
    })?;
    let credentials = credentials::make(unit, c, &roots.runtime, owner.ids, passed_credentials)
        .map_err(|e| Failed {
            message: format!("Failed to set up credentials: {e}"),
            exit_status: super::spawn::exit_code::CREDENTIALS,
        })?;
    Ok(RunEnvironment {
        dirs,
        credentials,
        preserve: c.runtime_directory_preserve,
    })
}

/// The environment of a run made by the daemon before it re-executed
/// itself: the same paths, found rather than made.
pub fn adopted(unit: &str, c: &ExecContext, roots: &ExecRoots) -> RunEnvironment {
    let path = roots.runtime.join("credentials").join(unit);
    let credentials = path.is_dir().then(|| CredentialsDir {
        mounted: credentials::is_mount_point(&path),
        path,
    });
    RunEnvironment {
        dirs: exec_dirs::planned(c, roots),
        credentials,
        preserve: c.runtime_directory_preserve,
    }
}

/// Removes what the run made that does not outlive it; the problems, to
/// be logged.
pub fn release(env: &RunEnvironment, restarting: bool) -> Vec<String> {
    let mut problems = exec_dirs::remove_runtime(&env.dirs, env.preserve, restarting);
    if let Some(c) = &env.credentials {
        if let Err(e) = credentials::remove(c) {
            problems.push(format!(
                "Failed to remove credentials directory {}: {e}",
                c.path.display()
            ));
        }
    }
    problems
}

/// The uid of `DynamicUser=` for `unit`: stable for a unit name, from a
/// hash of it into [`DYNAMIC_UIDS`], passing over uids the user database
/// (`taken`) already gives to someone (systemd also derives it from the
/// name, and locks it; sundial keeps no lock: two daemons on one host may
/// pick the same uid for different units).
pub fn dynamic_uid(unit: &str, taken: impl Fn(u32) -> bool) -> Option<u32> {
    let mut h = siphasher::sip::SipHasher13::new_with_keys(0x5375_6e64_6961_6c21, 0x4479_6e55_6964);
    h.write(unit.as_bytes());
    let span = DYNAMIC_UIDS.end() - DYNAMIC_UIDS.start() + 1;
    let first = (h.finish() % u64::from(span)) as u32;
    (0..span)
        .map(|i| DYNAMIC_UIDS.start() + (first + i) % span)
        .find(|uid| !taken(*uid))
}

/// The user name of a dynamic user: `User=` if given, else the unit's
/// name without its suffix (systemd's rule), cut to 31 characters.
pub fn dynamic_user_name(unit: &str, user: Option<&str>) -> String {
    let name = user.unwrap_or_else(|| unit.rsplit_once('.').map_or(unit, |(n, _)| n));
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(31)
        .collect()
}

/// Whether the user database has an entry for `uid`.
pub fn uid_in_use(uid: u32) -> bool {
    nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
        .ok()
        .flatten()
        .is_some()
}

/// The daemon's own `$CREDENTIALS_DIRECTORY`, what `ImportCredential=`
/// and `LoadCredential=ID` read from.
pub fn passed_credentials() -> Option<PathBuf> {
    std::env::var_os("CREDENTIALS_DIRECTORY")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dynamic_uids_are_stable_in_range_and_pass_over_taken_ones() {
        let a = dynamic_uid("a.service", |_| false).expect("free");
        assert!(DYNAMIC_UIDS.contains(&a));
        assert_eq!(dynamic_uid("a.service", |_| false), Some(a));
        assert_ne!(dynamic_uid("b.service", |_| false), Some(a));
        let next = dynamic_uid("a.service", |uid| uid == a).expect("free");
        assert_eq!(next, if a == 65519 { 61184 } else { a + 1 });
        assert_eq!(dynamic_uid("a.service", |_| true), None);
    }

    #[test]
    fn dynamic_user_names() {
        assert_eq!(dynamic_user_name("web-cache.service", None), "web-cache");
        assert_eq!(dynamic_user_name("a@b.service", None), "a_b");
        assert_eq!(dynamic_user_name("x.service", Some("builder")), "builder");
    }
}
