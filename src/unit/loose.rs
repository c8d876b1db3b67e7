//! Unit files a root manager must not trust. A unit file says what runs as
//! root; if another user may change the file, or the directory it is in,
//! that user may run anything as root. As sshd refuses an authorized_keys
//! file others can write, a loader running as root refuses such units and
//! says which file and which mode.
//!
//! Checked: the fragment and every drop-in, and the directories holding
//! them: each must belong to root (or to the manager's own user) and be
//! writable by no group and no other user. A directory with the sticky bit
//! (`/tmp`) is a shared place too, and refused as well.

use std::collections::HashMap;
use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::diag::{Diagnostic, Problem};
use super::load::LoadedUnits;

/// The check as the loader makes it, file by file while it reads them: the
/// file's owner and mode come from the `fstat` of the open file (no second
/// `stat` of each of 100,000 unit files), the directories' verdicts are
/// kept (every unit of a directory shares them), and the units found loose
/// are taken out at the end ([`LooseCheck::refuse`]).
#[derive(Debug)]
pub struct LooseCheck {
    owner: u32,
    dirs: HashMap<PathBuf, Option<String>>,
    /// Unit, file, why: the first loose file of each unit.
    refused: Vec<(String, PathBuf, String)>,
}

impl LooseCheck {
    /// A check for a manager running as `owner` (root's checks).
    pub fn new(owner: u32) -> LooseCheck {
        LooseCheck {
            owner,
            dirs: HashMap::new(),
            refused: Vec::new(),
        }
    }

    /// Judges `path`, a file of `unit` with the metadata of its open file;
    /// a unit is refused for its first loose file only.
    pub fn file(&mut self, unit: &str, path: &Path, meta: &Metadata) {
        if self.refused.last().is_some_and(|(u, _, _)| u == unit) {
            return;
        }
        let why = check_meta(path, meta, self.owner)
            .or_else(|| directories_reason(path, self.owner, &mut self.dirs));
        if let Some(why) = why {
            self.refused
                .push((unit.to_owned(), path.to_path_buf(), why));
        }
    }

    /// Takes out of `loaded` every unit with a loose file that was loaded,
    /// as failed to load, with an error naming the file.
    pub fn refuse(self, loaded: &mut LoadedUnits) {
        for (name, file, why) in self.refused {
            if loaded.units.remove(name.as_str()).is_none() {
                continue;
            }
            loaded.failed.insert(name.clone());
            let at = loaded.diagnostics.len();
            loaded.diagnostics.push(Diagnostic::error(
                file,
                0,
                Problem::Unit(format!(
                    "refusing to load {name}: {why}; only root may be able to change what runs as root"
                )),
            ));
            loaded.problems.insert(name, at..at + 1);
        }
    }
}

/// Why `path` (a unit file or drop-in) may be changed by someone other than
/// `owner` (the manager's user id) and root; `None` when it is safe.
pub fn loose_reason(path: &Path, owner: u32) -> Option<String> {
    check(path, owner).or_else(|| directories_reason(path, owner, &mut HashMap::new()))
}

/// Why the directories holding `path` may be changed by others, with the
/// verdicts on directories kept in `dirs`.
fn directories_reason(
    path: &Path,
    owner: u32,
    dirs: &mut HashMap<PathBuf, Option<String>>,
) -> Option<String> {
    let mut checked = Vec::new();
    if let Some(dir) = path.parent() {
        checked.push(dir);
        // A drop-in's `foo.service.d/` sits in a unit directory.
        if dir.extension().is_some_and(|e| e == "d") {
            if let Some(up) = dir.parent() {
                checked.push(up);
            }
        }
    }
    checked.into_iter().find_map(|dir| match dirs.get(dir) {
        Some(verdict) => verdict.clone(),
        None => {
            let verdict = check(dir, owner);
            dirs.insert(dir.to_path_buf(), verdict.clone());
            verdict
        }
    })
}

/// Owner and mode of one file or directory.
fn check(p: &Path, owner: u32) -> Option<String> {
    let meta = std::fs::metadata(p).ok()?;
    check_meta(p, &meta, owner)
}

/// [`check`] with the metadata at hand.
fn check_meta(p: &Path, meta: &Metadata, owner: u32) -> Option<String> {
    let mode = meta.mode() & 0o7777;
    let what = if meta.is_dir() { "directory" } else { "file" };
    if meta.uid() != 0 && meta.uid() != owner {
        return Some(format!(
            "{what} {} belongs to uid {}, not root",
            p.display(),
            meta.uid()
        ));
    }
    if mode & 0o022 != 0 {
        return Some(format!(
            "{what} {} is writable by {} (mode {mode:04o})",
            p.display(),
            if mode & 0o002 != 0 {
                "everyone"
            } else {
                "its group"
            }
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn modes_and_owners_that_others_could_use_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let me = nix::unistd::geteuid().as_raw();
        let file = dir.path().join("a.service");
        fs::write(&file, "[Service]\n").unwrap();
        let chmod = |p: &Path, m| fs::set_permissions(p, fs::Permissions::from_mode(m)).unwrap();
        chmod(dir.path(), 0o755);
        chmod(&file, 0o644);
        assert_eq!(loose_reason(&file, me), None);
        chmod(&file, 0o664);
        let why = loose_reason(&file, me).expect("group-writable");
        assert!(why.contains("writable by its group (mode 0664)"), "{why}");
        chmod(&file, 0o646);
        assert!(loose_reason(&file, me).unwrap().contains("everyone"));
        chmod(&file, 0o644);
        chmod(dir.path(), 0o777);
        let why = loose_reason(&file, me).expect("a world-writable directory");
        assert!(why.starts_with("directory"), "{why}");
        chmod(dir.path(), 0o755);
        // Owned by someone else (checked where it can be arranged).
        if me == 0 {
            std::os::unix::fs::chown(&file, Some(65534), None).unwrap();
            assert!(loose_reason(&file, me).unwrap().contains("uid 65534"));
        } else {
            assert!(loose_reason(&file, me + 1)
                .unwrap()
                .contains(&format!("uid {me}")));
        }
    }
}
