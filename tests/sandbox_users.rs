//! `PrivateUsers=` through the daemon: the service's user namespace maps
//! root and its own user and group to themselves (a system daemon) or only
//! the daemon's own ids (a user's), and everything else to the overflow
//! user, so root inside cannot read a file of an unmapped owner. Each
//! service is a shell one-liner printing what it sees.
//!
//! The user namespace must be allowed by the kernel (user.max_user_namespaces,
//! Debian's unprivileged_userns_clone for a user daemon): where it is not,
//! the test prints why it is skipped. Files the test makes live in its own
//! temporary directory.
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use daemon_support::Daemon;

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// Why this kernel refuses user namespaces to the daemon, if it does.
fn user_namespaces_refused() -> Option<String> {
    let max = std::fs::read_to_string("/proc/sys/user/max_user_namespaces").ok();
    if max.as_deref().map(str::trim) == Some("0") {
        return Some("user.max_user_namespaces is 0".into());
    }
    let unprivileged = std::fs::read_to_string("/proc/sys/kernel/unprivileged_userns_clone").ok();
    if !is_root() && unprivileged.as_deref().map(str::trim) == Some("0") {
        return Some("kernel.unprivileged_userns_clone is 0".into());
    }
    None
}

/// A directory every user may enter, with a file of an unmapped owner
/// (uid and gid 12345, mode 0600) when the test runs as root.
fn test_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "secret\n").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    if is_root() {
        std::os::unix::fs::chown(&secret, Some(12345), Some(12345)).unwrap();
    }
    dir
}

/// Runs a oneshot with `body` in `[Service]` (a system daemon as root);
/// its output lines and its result.
fn run(dir: &Path, name: &str, body: &str) -> (Vec<String>, String) {
    let unit = format!("[Service]\nType=oneshot\n{body}\n");
    let mut d = Daemon::new(dir, &[(name, &unit)]);
    if is_root() {
        d = d.system();
    }
    d.start();
    let started = d.call(sundial::ipc::Request::Start(sundial::ipc::UnitsRequest {
        units: vec![name.into()],
    }));
    assert!(
        daemon_support::wait_for(std::time::Duration::from_secs(30), || !d
            .finished(name)
            .is_empty()),
        "{name} did not run: {started:?}\n{}",
        d.stderr()
    );
    let row = &d.finished(name)[0];
    let result = format!("{:?} {:?}", row.result, row.status);
    let lines = d.log_lines(name);
    eprintln!("{name}: {result}\n{}", lines.join("\n"));
    (lines, result)
}

/// The lines of the output that start with `tag`, the tag and the
/// kernel's column padding taken away.
fn tagged(lines: &[String], tag: &str) -> Vec<String> {
    lines
        .iter()
        .filter_map(|l| l.strip_prefix(tag))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

const PRINT_MAPS: &str = "sed \"s/^/uid: /\" /proc/self/uid_map; \
                          sed \"s/^/gid: /\" /proc/self/gid_map; \
                          echo \"id: $(id -u) $(id -g)\"";

#[test]
fn a_system_service_sees_root_and_its_own_user_mapped() {
    if !is_root() {
        eprintln!("skipped: a system daemon (User=) needs root");
        return;
    }
    if let Some(why) = user_namespaces_refused() {
        eprintln!("skipped: {why}");
        return;
    }
    let daemon = nix::unistd::User::from_name("daemon").unwrap().unwrap();
    let (uid, gid) = (daemon.uid.as_raw(), daemon.gid.as_raw());
    let dir = test_dir();
    let script = format!(
        "{PRINT_MAPS}; echo \"owner: $(stat -c %%u {d}/secret)\"",
        d = dir.path().display()
    );
    let (lines, result) = run(
        dir.path(),
        "users-daemon.service",
        &format!("User=daemon\nPrivateUsers=yes\nExecStart=/bin/sh -c '{script}'"),
    );
    assert!(result.contains("Success"), "{result}");
    assert_eq!(
        tagged(&lines, "uid: "),
        ["0 0 1".to_owned(), format!("{uid} {uid} 1")]
    );
    assert_eq!(
        tagged(&lines, "gid: "),
        ["0 0 1".to_owned(), format!("{gid} {gid} 1")]
    );
    assert_eq!(tagged(&lines, "id: "), [format!("{uid} {gid}")]);
    let overflow = std::fs::read_to_string("/proc/sys/kernel/overflowuid").unwrap();
    assert_eq!(tagged(&lines, "owner: "), [overflow.trim().to_owned()]);
}

#[test]
fn root_inside_cannot_read_a_file_of_an_unmapped_owner() {
    if !is_root() {
        eprintln!("skipped: the file of another owner needs root to make");
        return;
    }
    if let Some(why) = user_namespaces_refused() {
        eprintln!("skipped: {why}");
        return;
    }
    let dir = test_dir();
    let read = format!(
        "cat {d}/secret >/dev/null && echo read-ok || echo read-denied",
        d = dir.path().display()
    );
    let script = format!("{PRINT_MAPS}; {read}");
    let (lines, result) = run(
        dir.path(),
        "users-root.service",
        &format!("PrivateUsers=yes\nExecStart=/bin/sh -c '{script}'"),
    );
    assert!(result.contains("Success"), "{result}");
    assert_eq!(tagged(&lines, "uid: "), ["0 0 1"]);
    assert_eq!(tagged(&lines, "id: "), ["0 0"]);
    assert!(lines.iter().any(|l| l == "read-denied"), "{lines:?}");
    // The control: the same command without the namespace reads it.
    let (lines, _) = run(
        dir.path(),
        "users-control.service",
        &format!("ExecStart=/bin/sh -c '{read}'"),
    );
    assert!(lines.iter().any(|l| l == "read-ok"), "{lines:?}");
}

#[test]
fn a_user_daemon_maps_only_its_own_ids() {
    if is_root() {
        eprintln!("skipped: runs as an ordinary user only (a user daemon)");
        return;
    }
    if let Some(why) = user_namespaces_refused() {
        eprintln!("skipped: {why}");
        return;
    }
    let (uid, gid) = (
        nix::unistd::getuid().as_raw(),
        nix::unistd::getgid().as_raw(),
    );
    let dir = test_dir();
    let (lines, result) = run(
        dir.path(),
        "users-user.service",
        &format!("PrivateUsers=yes\nExecStart=/bin/sh -c '{PRINT_MAPS}'"),
    );
    assert!(result.contains("Success"), "{result}");
    assert_eq!(tagged(&lines, "uid: "), [format!("{uid} {uid} 1")]);
    assert_eq!(tagged(&lines, "gid: "), [format!("{gid} {gid} 1")]);
}

#[test]
fn the_bounding_set_holds_inside_the_namespace() {
    if !is_root() {
        eprintln!("skipped: CapabilityBoundingSet= under a system daemon needs root");
        return;
    }
    if let Some(why) = user_namespaces_refused() {
        eprintln!("skipped: {why}");
        return;
    }
    // A new user namespace starts with every capability in its bounding
    // set: the set must be dropped inside it, not before.
    let dir = test_dir();
    let (lines, result) = run(
        dir.path(),
        "users-bounding.service",
        "PrivateUsers=yes\nCapabilityBoundingSet=CAP_CHOWN\n\
         ExecStart=/bin/sh -c 'grep ^CapBnd: /proc/self/status; sed \"s/^/uid: /\" /proc/self/uid_map'",
    );
    assert!(result.contains("Success"), "{result}");
    assert_eq!(tagged(&lines, "uid: "), ["0 0 1"]);
    assert_eq!(tagged(&lines, "CapBnd:"), ["0000000000000001"]);
}
