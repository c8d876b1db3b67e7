//! The sandbox of one command, prepared in the daemon: the invocation's
//! private /tmp made, the host probed, the mount plan and the seccomp
//! filters built (see `namespaces` and `seccomp`). And the private /tmp
//! removed when the run is over.

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::supervisor::namespaces::{self, FileKind, HostPaths};
use crate::supervisor::seccomp;
use crate::supervisor::spawn::{exit_code, SandboxRequest};
use crate::unit::exec::{ExecCommand, ExecPrivileges};
use crate::unit::ServiceUnit;

/// Where a unit's private /tmp directories live: one per invocation.
fn private_tmp_root(runtime_dir: &Path) -> PathBuf {
    runtime_dir.join("private-tmp")
}

/// The request for `cmd` of `unit`, or `None` when nothing is sandboxed.
/// `Err` carries the exit status and the message: systemd's 226/NAMESPACE
/// or 228/SECCOMP, never a run without the protection asked for.
pub(super) fn prepare(
    unit: &ServiceUnit,
    cmd: &ExecCommand,
    invocation_id: &str,
    runtime_dir: &Path,
    own_uid: u32,
) -> Result<Option<SandboxRequest>, (i32, String)> {
    let root = unit.service.rare().root_directory.as_deref();
    let Some(sb) = unit.service.rare().sandbox.as_deref() else {
        if root.is_none() {
            return Ok(None);
        }
        return prepare(
            &with_sandbox(unit),
            cmd,
            invocation_id,
            runtime_dir,
            own_uid,
        );
    };
    // systemd: `+` runs the command with full privileges, outside the
    // sandbox.
    if cmd.privileges == ExecPrivileges::Full {
        return Ok(None);
    }
    let mut unshare = 0;
    if sb.protect_hostname {
        unshare |= libc::CLONE_NEWUTS;
    }
    if sb.private_network {
        unshare |= libc::CLONE_NEWNET;
    }
    if sb.private_ipc {
        unshare |= libc::CLONE_NEWIPC;
    }
    let namespace_error = |what: String| (exit_code::NAMESPACE, what);
    let mounts = if sb.mounts(root) {
        unshare |= libc::CLONE_NEWNS;
        let private_tmp = if sb.private_tmp {
            Some(
                make_private_tmp(runtime_dir, unit.name.as_str(), invocation_id).map_err(|e| {
                    namespace_error(format!("Failed to set up the private /tmp: {e}"))
                })?,
            )
        } else {
            None
        };
        let (inaccessible_dir, inaccessible_file) = inaccessible_nodes(runtime_dir)
            .map_err(|e| namespace_error(format!("Failed to set up inaccessible nodes: {e}")))?;
        let host = HostPaths {
            private_tmp,
            inaccessible_dir,
            inaccessible_file,
        };
        namespaces::plan(sb, root, &host, &probe)
    } else {
        Vec::new()
    };
    if unshare != 0 && own_uid != 0 {
        return Err(namespace_error(
            "Failed to set up namespaces: mount, network, UTS and IPC namespaces need root \
             (only PrivateUsers= works without)"
                .to_owned(),
        ));
    }
    let filters = seccomp::filters(sb).map_err(|e| {
        (
            exit_code::SECCOMP,
            format!("Failed to set up the system call filters: {e}"),
        )
    })?;
    Ok(Some(SandboxRequest {
        unshare,
        loopback_up: sb.private_network,
        mounts,
        filters,
        // The maps need the service's ids: see `with_user_namespace`.
        user_namespace: None,
    }))
}

/// A unit with only `RootDirectory=` gets an empty sandbox for it.
fn with_sandbox(unit: &ServiceUnit) -> ServiceUnit {
    let mut u = unit.clone();
    u.service.rare_mut().sandbox = Some(Box::default());
    u
}

fn probe(p: &Path) -> Option<FileKind> {
    std::fs::metadata(p).ok().map(|m| {
        if m.is_dir() {
            FileKind::Directory
        } else {
            FileKind::Other
        }
    })
}

/// `<runtime>/private-tmp/<unit>-<invocation>/{tmp,var-tmp}`, mode 1777
/// under a 0700 parent, shared by the commands of one run.
fn make_private_tmp(
    runtime_dir: &Path,
    unit: &str,
    invocation_id: &str,
) -> std::io::Result<(PathBuf, PathBuf)> {
    let base = private_tmp_root(runtime_dir).join(format!("{unit}-{invocation_id}"));
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&base)?;
    let tmp = base.join("tmp");
    let var_tmp = base.join("var-tmp");
    for d in [&tmp, &var_tmp] {
        match std::fs::DirBuilder::new().mode(0o1777).create(d) {
            Ok(()) => std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o1777))?,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Ok((tmp, var_tmp))
}

/// An empty directory and an empty file, both mode 000, bound over
/// inaccessible paths (systemd's /run/systemd/inaccessible).
fn inaccessible_nodes(runtime_dir: &Path) -> std::io::Result<(PathBuf, PathBuf)> {
    let base = runtime_dir.join("inaccessible");
    std::fs::create_dir_all(&base)?;
    let dir = base.join("dir");
    let file = base.join("file");
    if !dir.exists() {
        std::fs::DirBuilder::new().mode(0o000).create(&dir)?;
    }
    if !file.exists() {
        std::fs::File::create(&file)?;
    }
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o000))?;
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000))?;
    Ok((dir, file))
}

/// Removes the private /tmp directories of `unit`'s runs: its run is over.
pub(crate) fn remove_private_tmp(runtime_dir: &Path, unit: &str) {
    let Ok(entries) = std::fs::read_dir(private_tmp_root(runtime_dir)) else {
        return;
    };
    let prefix = format!("{unit}-");
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        // The rest is an invocation id: 32 hex digits (a unit whose name
        // extends this one's with a dash does not match).
        if rest.len() == 32 && rest.bytes().all(|b| b.is_ascii_hexdigit()) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_tmp_is_made_then_removed_for_its_unit_only() {
        let dir = tempfile::tempdir().expect("temp dir");
        let inv = "0123456789abcdef0123456789abcdef";
        let (tmp, var_tmp) = make_private_tmp(dir.path(), "a.service", inv).expect("made");
        let (other, _) = make_private_tmp(dir.path(), "a.service-b.service", inv).expect("made");
        assert_eq!(
            std::fs::metadata(&tmp)
                .expect("exists")
                .permissions()
                .mode()
                & 0o7777,
            0o1777
        );
        std::fs::write(tmp.join("f"), "x").expect("written");
        // Again for the same run: the same directories, contents kept.
        assert_eq!(
            make_private_tmp(dir.path(), "a.service", inv).expect("made"),
            (tmp.clone(), var_tmp)
        );
        assert!(tmp.join("f").exists());
        remove_private_tmp(dir.path(), "a.service");
        assert!(!tmp.exists() && other.exists());
    }
}
