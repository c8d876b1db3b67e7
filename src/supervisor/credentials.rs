//! `LoadCredential=`, `SetCredential=`, `ImportCredential=`: a private
//! directory per run (`$CREDENTIALS_DIRECTORY`, under
//! `<runtime root>/credentials/<unit>`), its files 0400 and itself 0500,
//! owned by the service's user, removed when the run ends.
//!
//! As root the directory is a small tmpfs mounted with `noswap` where the
//! kernel knows it (6.4+), so that secrets never reach a disk; elsewhere a
//! plain directory under the runtime root (a tmpfs on most systems). The
//! contents never reach the journal, `status` or `show`: only the
//! directory's path is told to the service.

use std::ffi::CString;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::unit::exec_context::{CredentialSource, ExecContext};

/// systemd's CREDENTIAL_SIZE_MAX.
const SIZE_MAX: u64 = 1024 * 1024;

/// Why the credentials could not be set up; names the credential or path.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("{directive}={id}: encrypted credentials are not supported by sundial")]
    Encrypted { directive: &'static str, id: String },
    #[error("LoadCredential={id}: {}: {source}", path.display())]
    Load {
        id: String,
        path: PathBuf,
        source: io::Error,
    },
    #[error("LoadCredential={id}: {}: larger than 1M", path.display())]
    TooLarge { id: String, path: PathBuf },
    #[error("LoadCredential={id}: the daemon has no credential of that name (no $CREDENTIALS_DIRECTORY)")]
    NotPassed { id: String },
    #[error("credentials directory {}: {source}", path.display())]
    Directory { path: PathBuf, source: io::Error },
}

/// A run's credentials directory, made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialsDir {
    pub path: PathBuf,
    /// Whether a tmpfs was mounted on it (unmounted at removal).
    pub mounted: bool,
}

/// The credentials `c` asks for, read and written into a new directory
/// for `unit` under `runtime_root`, owned by `owner` (`None`: the
/// daemon's). `passed`: the daemon's own `$CREDENTIALS_DIRECTORY`.
/// `None` when the unit has no credentials.
pub fn make(
    unit: &str,
    c: &ExecContext,
    runtime_root: &Path,
    owner: Option<(u32, u32)>,
    passed: Option<&Path>,
) -> Result<Option<CredentialsDir>, CredentialError> {
    if let Some(id) = c.encrypted_credentials.first() {
        return Err(CredentialError::Encrypted {
            directive: "LoadCredentialEncrypted/SetCredentialEncrypted",
            id: id.clone(),
        });
    }
    if !c.has_credentials() {
        return Ok(None);
    }
    let files = collect(c, passed)?;
    let base = runtime_root.join("credentials");
    let path = base.join(unit);
    let dir_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| CredentialError::Directory { path, source }
    };
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(&base)
        .map_err(dir_err(&base))?;
    // What a killed daemon left.
    if path.symlink_metadata().is_ok() {
        remove(&CredentialsDir {
            path: path.clone(),
            mounted: is_mount_point(&path),
        })
        .map_err(dir_err(&path))?;
    }
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&path)
        .map_err(dir_err(&path))?;
    let dir = CredentialsDir {
        mounted: nix::unistd::geteuid().is_root() && mount_tmpfs(&path),
        path,
    };
    let filled = fill(&dir.path, &files, owner);
    if let Err(e) = filled {
        let _ = remove(&dir);
        return Err(dir_err(&dir.path)(e));
    }
    Ok(Some(dir))
}

/// Each credential's id and contents, in the order given: a
/// `LoadCredential=` that cannot be read falls back on a `SetCredential=`
/// of the same id, as in systemd; imported ones that are missing are left
/// out.
fn collect(
    c: &ExecContext,
    passed: Option<&Path>,
) -> Result<Vec<(String, Vec<u8>)>, CredentialError> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let set_value = |id: &str| {
        c.credentials.iter().find_map(|cred| match &cred.source {
            CredentialSource::Set(v) if cred.id == id => Some(v.clone()),
            _ => None,
        })
    };
    for cred in &c.credentials {
        if out.iter().any(|(id, _)| *id == cred.id) {
            continue;
        }
        let path = match &cred.source {
            CredentialSource::Set(_) => {
                // Used where no LoadCredential= of the id comes first.
                let loaded = c.credentials.iter().any(|other| {
                    other.id == cred.id && !matches!(other.source, CredentialSource::Set(_))
                });
                if !loaded {
                    out.push((cred.id.clone(), set_value(&cred.id).unwrap_or_default()));
                }
                continue;
            }
            CredentialSource::Load(p) if p.starts_with('/') => PathBuf::from(p),
            CredentialSource::Load(name) => match passed {
                Some(dir) => dir.join(name),
                None => match set_value(&cred.id) {
                    Some(v) => {
                        out.push((cred.id.clone(), v));
                        continue;
                    }
                    None => {
                        return Err(CredentialError::NotPassed {
                            id: cred.id.clone(),
                        })
                    }
                },
            },
            CredentialSource::Inherit => match passed {
                Some(dir) => dir.join(&cred.id),
                None => match set_value(&cred.id) {
                    Some(v) => {
                        out.push((cred.id.clone(), v));
                        continue;
                    }
                    None => {
                        return Err(CredentialError::NotPassed {
                            id: cred.id.clone(),
                        })
                    }
                },
            },
        };
        match read_limited(&path) {
            Ok(data) => out.push((cred.id.clone(), data)),
            Err(e) => match set_value(&cred.id) {
                Some(v) => out.push((cred.id.clone(), v)),
                None if e.kind() == io::ErrorKind::FileTooLarge => {
                    return Err(CredentialError::TooLarge {
                        id: cred.id.clone(),
                        path,
                    })
                }
                None => {
                    return Err(CredentialError::Load {
                        id: cred.id.clone(),
                        path,
                        source: e,
                    })
                }
            },
        }
    }
    if let Some(dir) = passed {
        for glob in &c.import_credentials {
            let found = super::glob::expand(&dir.join(glob)).unwrap_or_default();
            for path in found {
                let Some(id) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
                    continue;
                };
                if out.iter().any(|(have, _)| *have == id) {
                    continue;
                }
                if let Ok(data) = read_limited(&path) {
                    out.push((id, data));
                }
            }
        }
    }
    Ok(out)
}

fn read_limited(path: &Path) -> io::Result<Vec<u8>> {
    let meta = std::fs::metadata(path)?;
    if meta.len() > SIZE_MAX {
        return Err(io::Error::new(
            io::ErrorKind::FileTooLarge,
            "larger than 1M",
        ));
    }
    std::fs::read(path)
}

/// The files (0400), then the directory closed to all but its owner (0500).
fn fill(dir: &Path, files: &[(String, Vec<u8>)], owner: Option<(u32, u32)>) -> io::Result<()> {
    for (id, data) in files {
        let path = dir.join(id);
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o400)
            .open(&path)?;
        f.write_all(data)?;
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::fchown(&f, Some(uid), Some(gid))?;
        }
    }
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::chown(dir, Some(uid), Some(gid))?;
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o500))
}

/// A tmpfs on `dir`, unswappable where the kernel allows; `false` where
/// none could be mounted (the directory stays a plain one).
fn mount_tmpfs(dir: &Path) -> bool {
    let Ok(target) = CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    let flags = libc::MS_NODEV | libc::MS_NOEXEC | libc::MS_NOSUID;
    [
        c"mode=0700,size=1m,nr_inodes=1024,noswap",
        c"mode=0700,size=1m,nr_inodes=1024",
    ]
    .iter()
    .any(|options| {
        // SAFETY: mount(2) on valid C strings.
        unsafe {
            libc::mount(
                c"tmpfs".as_ptr(),
                target.as_ptr(),
                c"tmpfs".as_ptr(),
                flags,
                options.as_ptr().cast(),
            ) == 0
        }
    })
}

/// Whether `dir` is a mount point (its device differs from its parent's).
pub fn is_mount_point(dir: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let (Ok(me), Some(Ok(parent))) = (
        std::fs::symlink_metadata(dir),
        dir.parent().map(std::fs::metadata),
    ) else {
        return false;
    };
    me.dev() != parent.dev()
}

/// Removes a run's credentials directory (unmounting its tmpfs).
pub fn remove(dir: &CredentialsDir) -> io::Result<()> {
    if dir.mounted {
        let c = CString::new(dir.path.as_os_str().as_bytes())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        // SAFETY: umount2 on a valid C string.
        if unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    // Its owner (the daemon, without root) needs write access to empty it.
    let _ = std::fs::set_permissions(&dir.path, std::fs::Permissions::from_mode(0o700));
    match std::fs::remove_dir_all(&dir.path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
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

    #[test]
    fn credentials_are_loaded_set_and_imported() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let secret = tmp.path().join("secret");
        std::fs::write(&secret, "s3cret").expect("write");
        let passed = tmp.path().join("passed");
        std::fs::create_dir(&passed).expect("mkdir");
        std::fs::write(passed.join("token"), "tok").expect("write");
        std::fs::write(passed.join("app.one"), "1").expect("write");
        std::fs::write(passed.join("other"), "x").expect("write");
        let c = context(&format!(
            "LoadCredential=key:{}\nLoadCredential=token\nSetCredential=fallback:v\n\
             LoadCredential=fallback:/nonexistent\nSetCredential=plain:text\nImportCredential=app.*",
            secret.display()
        ));
        let dir = make("a.service", &c, tmp.path(), None, Some(&passed))
            .expect("made")
            .expect("some");
        assert_eq!(dir.path, tmp.path().join("credentials/a.service"));
        let read = |id: &str| std::fs::read_to_string(dir.path.join(id)).expect(id);
        assert_eq!(read("key"), "s3cret");
        assert_eq!(read("token"), "tok");
        assert_eq!(read("fallback"), "v");
        assert_eq!(read("plain"), "text");
        assert_eq!(read("app.one"), "1");
        assert!(!dir.path.join("other").exists());
        let mode = |p: &Path| std::fs::metadata(p).expect("exists").mode() & 0o777;
        assert_eq!(mode(&dir.path), 0o500);
        assert_eq!(mode(&dir.path.join("key")), 0o400);
        remove(&dir).expect("removed");
        assert!(!dir.path.exists());
    }

    #[test]
    fn missing_and_encrypted_credentials_refuse_the_start() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let c = context("LoadCredential=key:/nonexistent/key");
        let e = make("a.service", &c, tmp.path(), None, None).expect_err("missing");
        assert!(
            e.to_string()
                .starts_with("LoadCredential=key: /nonexistent/key: "),
            "{e}"
        );
        let c = context("LoadCredential=key");
        let e = make("a.service", &c, tmp.path(), None, None).expect_err("not passed");
        assert!(matches!(e, CredentialError::NotPassed { .. }));
        let c = context("SetCredentialEncrypted=key:abc");
        let e = make("a.service", &c, tmp.path(), None, None).expect_err("encrypted");
        assert!(e.to_string().contains("not supported"), "{e}");
        assert!(make("a.service", &context(""), tmp.path(), None, None)
            .expect("none")
            .is_none());
        assert!(!tmp.path().join("credentials/a.service").exists());
    }
}
