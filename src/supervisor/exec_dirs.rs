//! `RuntimeDirectory=`, `StateDirectory=`, `CacheDirectory=`,
//! `LogsDirectory=`, `ConfigurationDirectory=`: made by the daemon before a
//! run's first command, under the manager's roots, owned by the service's
//! user, and announced in `$RUNTIME_DIRECTORY` and its siblings. The
//! runtime ones go when the run ends (unless `RuntimeDirectoryPreserve=`).
//!
//! `DynamicUser=` puts the state, cache and logs directories under
//! `private/` of their root, with a symlink in the usual place, as systemd
//! does, so that a uid recycled by another unit cannot reach them.

use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::unit::exec_context::{DirectoryKind, ExecContext, Preserve};

/// Where each kind of directory is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecRoots {
    pub runtime: PathBuf,
    pub state: PathBuf,
    pub cache: PathBuf,
    pub logs: PathBuf,
    pub configuration: PathBuf,
}

impl ExecRoots {
    /// The system manager's: `/run`, `/var/lib`, `/var/cache`, `/var/log`,
    /// `/etc`, each under `prefix` (`/` on a real system; a test's or a
    /// container's directory otherwise).
    pub fn system(prefix: &Path) -> ExecRoots {
        ExecRoots {
            runtime: prefix.join("run"),
            state: prefix.join("var/lib"),
            cache: prefix.join("var/cache"),
            logs: prefix.join("var/log"),
            configuration: prefix.join("etc"),
        }
    }

    /// A user manager's: `$XDG_RUNTIME_DIR`, `$XDG_STATE_HOME`,
    /// `$XDG_CACHE_HOME`, `$XDG_STATE_HOME/log`, `$XDG_CONFIG_HOME`
    /// (systemd 252's user roots).
    pub fn user(runtime: PathBuf, state: PathBuf, cache: PathBuf, config: PathBuf) -> ExecRoots {
        ExecRoots {
            runtime,
            logs: state.join("log"),
            state,
            cache,
            configuration: config,
        }
    }

    /// The root of one kind.
    pub fn root(&self, kind: DirectoryKind) -> &Path {
        match kind {
            DirectoryKind::Runtime => &self.runtime,
            DirectoryKind::State => &self.state,
            DirectoryKind::Cache => &self.cache,
            DirectoryKind::Logs => &self.logs,
            DirectoryKind::Configuration => &self.configuration,
        }
    }
}

/// A directory that could not be made; names it.
#[derive(Debug, thiserror::Error)]
#[error("{}=: {}: {source}", kind.directive(), path.display())]
pub struct DirError {
    pub kind: DirectoryKind,
    pub path: PathBuf,
    pub source: io::Error,
}

impl DirError {
    /// systemd's exit status (233/RUNTIME_DIRECTORY ...).
    pub fn exit_status(&self) -> i32 {
        self.kind.exit_status()
    }
}

/// The directories of a run, made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Made {
    /// `RUNTIME_DIRECTORY=/run/a:/run/b` and the others set.
    pub env: Vec<(String, String)>,
    /// The runtime directories, removed at the end of the run.
    pub runtime: Vec<PathBuf>,
}

/// Whom the directories belong to: the service's user and group (`None`:
/// the daemon's own), and whether that user is dynamic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    pub ids: Option<(u32, u32)>,
    pub dynamic: bool,
}

/// Makes every directory `c` asks for, in systemd's order.
pub fn make(c: &ExecContext, roots: &ExecRoots, owner: Owner) -> Result<Made, DirError> {
    let mut made = Made::default();
    for kind in DirectoryKind::ALL {
        let dirs = c.directories(kind);
        if dirs.paths.is_empty() {
            continue;
        }
        let root = roots.root(kind);
        let private = owner.dynamic
            && matches!(
                kind,
                DirectoryKind::State | DirectoryKind::Cache | DirectoryKind::Logs
            );
        let mut full = Vec::new();
        for rel in &dirs.paths {
            let path = root.join(rel);
            let err = |source| DirError {
                kind,
                path: path.clone(),
                source,
            };
            if private {
                make_private(root, rel, dirs.mode, owner.ids).map_err(err)?;
            } else {
                make_one(&path, dirs.mode, owner.ids).map_err(err)?;
            }
            if kind == DirectoryKind::Runtime {
                made.runtime.push(path.clone());
            }
            full.push(path.to_string_lossy().into_owned());
        }
        made.env.push((kind.variable().to_owned(), full.join(":")));
    }
    Ok(made)
}

/// What [`make`] tells and removes for `c`, without touching the file
/// system: for a run the daemon takes over after a re-execution.
pub fn planned(c: &ExecContext, roots: &ExecRoots) -> Made {
    let mut made = Made::default();
    for kind in DirectoryKind::ALL {
        let dirs = c.directories(kind);
        if dirs.paths.is_empty() {
            continue;
        }
        let paths: Vec<PathBuf> = dirs
            .paths
            .iter()
            .map(|p| roots.root(kind).join(p))
            .collect();
        if kind == DirectoryKind::Runtime {
            made.runtime.extend(paths.iter().cloned());
        }
        let joined: Vec<String> = paths
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        made.env
            .push((kind.variable().to_owned(), joined.join(":")));
    }
    made
}

/// The directory with its parents (0755, the daemon's), then itself with
/// `mode` where it is new, owned by `ids`.
fn make_one(path: &Path, mode: u32, ids: Option<(u32, u32)>) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o755)
            .create(parent)?;
    }
    match std::fs::DirBuilder::new().mode(mode).create(path) {
        Ok(()) => {
            // The umask narrowed it.
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && path.is_dir() => {}
        Err(e) => return Err(e),
    }
    if let Some((uid, gid)) = ids {
        std::os::unix::fs::chown(path, Some(uid), Some(gid))?;
    }
    Ok(())
}

/// `DynamicUser=`'s layout: `root/private/rel`, and `root/rel` a symlink
/// to it. `private` itself is 0711 (systemd makes it 0700 and hides it in
/// the service's mount namespace; without one, the service must be able
/// to pass through it).
fn make_private(root: &Path, rel: &str, mode: u32, ids: Option<(u32, u32)>) -> io::Result<()> {
    let private = root.join("private");
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o711)
        .create(&private)?;
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o711))?;
    let target = private.join(rel);
    make_one(&target, mode, ids)?;
    let link = root.join(rel);
    // A directory of an earlier run without DynamicUser= moves in.
    if link.symlink_metadata().is_ok_and(|m| m.is_dir()) {
        std::fs::remove_dir(&target)?;
        std::fs::rename(&link, &target)?;
        if let Some((uid, gid)) = ids {
            std::os::unix::fs::chown(&target, Some(uid), Some(gid))?;
        }
    }
    if link.symlink_metadata().is_err() {
        if let Some(parent) = link.parent() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o755)
                .create(parent)?;
        }
        let depth = rel.split('/').count() - 1;
        let relative = PathBuf::from("../".repeat(depth)).join("private").join(rel);
        std::os::unix::fs::symlink(relative, &link)?;
    }
    Ok(())
}

/// Removes the run's runtime directories unless `preserve` keeps them
/// (`restarting`: the run ends for a restart). Errors are returned, to be
/// logged: the run is over either way.
pub fn remove_runtime(made: &Made, preserve: Preserve, restarting: bool) -> Vec<String> {
    let keep = match preserve {
        Preserve::Yes => true,
        Preserve::Restart => restarting,
        Preserve::No => false,
    };
    if keep {
        return Vec::new();
    }
    made.runtime
        .iter()
        .filter_map(|p| match std::fs::remove_dir_all(p) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Some(format!(
                "Failed to remove runtime directory {}: {e}",
                p.display()
            )),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    fn context(body: &str) -> ExecContext {
        crate::unit::test_text::service_unit(&format!("ExecStart=/bin/true\n{body}"))
            .service
            .exec_context()
            .clone()
    }

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).expect("exists").mode() & 0o7777
    }

    #[test]
    fn directories_are_made_with_their_modes_and_told() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let roots = ExecRoots::system(tmp.path());
        let c = context(
            "RuntimeDirectory=app app/sub\nRuntimeDirectoryMode=0700\nStateDirectory=app\nConfigurationDirectory=app",
        );
        let owner = Owner {
            ids: None,
            dynamic: false,
        };
        let made = make(&c, &roots, owner).expect("made");
        let run = tmp.path().join("run/app");
        assert_eq!(mode(&run), 0o700);
        assert_eq!(mode(&tmp.path().join("run/app/sub")), 0o700);
        assert_eq!(mode(&tmp.path().join("var/lib/app")), 0o755);
        assert_eq!(
            made.env,
            [
                (
                    "RUNTIME_DIRECTORY".into(),
                    format!("{}:{}/sub", run.display(), run.display())
                ),
                (
                    "STATE_DIRECTORY".into(),
                    tmp.path().join("var/lib/app").display().to_string()
                ),
                (
                    "CONFIGURATION_DIRECTORY".into(),
                    tmp.path().join("etc/app").display().to_string()
                ),
            ]
        );
        // Made again: existing ones are fine.
        assert_eq!(make(&c, &roots, owner).expect("again"), made);
        assert_eq!(planned(&c, &roots), made);
        assert!(remove_runtime(&made, Preserve::Restart, true).is_empty());
        assert!(run.exists());
        assert!(remove_runtime(&made, Preserve::Restart, false).is_empty());
        assert!(!run.exists());
        assert!(tmp.path().join("var/lib/app").exists());
    }

    #[test]
    fn a_dynamic_user_s_state_is_private_behind_a_symlink() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let roots = ExecRoots::system(tmp.path());
        // A directory of a run without DynamicUser= moves in.
        std::fs::create_dir_all(tmp.path().join("var/lib/db")).expect("mkdir");
        std::fs::write(tmp.path().join("var/lib/db/data"), "kept").expect("write");
        let c = context("StateDirectory=db nested/db");
        let owner = Owner {
            ids: None,
            dynamic: true,
        };
        make(&c, &roots, owner).expect("made");
        let link = tmp.path().join("var/lib/db");
        assert!(link.symlink_metadata().expect("link").is_symlink());
        assert_eq!(
            std::fs::read_to_string(link.join("data")).expect("through the link"),
            "kept"
        );
        assert!(tmp.path().join("var/lib/nested/db").is_dir());
        assert_eq!(mode(&tmp.path().join("var/lib/private")), 0o711);
        make(&c, &roots, owner).expect("made again");
    }

    #[test]
    fn a_root_that_cannot_be_made_is_named() {
        let tmp = tempfile::tempdir().expect("tempdir");
        std::fs::write(tmp.path().join("run"), "a file").expect("write");
        let roots = ExecRoots::system(tmp.path());
        let err = make(
            &context("RuntimeDirectory=x"),
            &roots,
            Owner {
                ids: None,
                dynamic: false,
            },
        )
        .expect_err("run is a file");
        assert_eq!(err.exit_status(), 233);
        assert!(err.to_string().starts_with("RuntimeDirectory=: "), "{err}");
    }
}
