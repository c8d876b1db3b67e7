//! Sandboxing through the daemon: PrivateTmp=, ProtectSystem=, ProtectHome=,
//! SystemCallFilter=, RestrictAddressFamilies=, PrivateNetwork=,
//! ProtectHostname=. Each service is a shell or python3 one-liner that prints
//! what it sees; the test reads its captured output.
//!
//! Namespaces need root: as another user each test prints why it is skipped
//! (the one that checks the refusal excepted). Nothing here can change the
//! host when the feature is broken: the writes the sandbox should refuse go
//! to unique names that the service removes again, or under the test's own
//! directory.
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::path::{Path, PathBuf};

use daemon_support::Daemon;

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// A directory outside /tmp (which PrivateTmp= replaces), removed at drop.
fn test_dir() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap()
}

fn unique(tag: &str) -> String {
    format!(
        "sundial-sandbox-{tag}-{}-{}",
        std::process::id(),
        sundial::supervisor::random_id()
    )
}

/// Runs `name` (a oneshot with `body` in `[Service]`) through a system
/// daemon (a user's, as another user) and returns its output lines and its run's result.
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

/// Writes a python script into the test's directory; its path.
fn script(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn skip_unless_root(what: &str) -> bool {
    if is_root() {
        return false;
    }
    eprintln!("skipped: {what} needs root (mount and network namespaces)");
    true
}

fn has(lines: &[String], line: &str) -> bool {
    lines.iter().any(|l| l == line)
}

#[test]
fn private_tmp_is_empty_unseen_by_the_host_and_removed_at_stop() {
    if skip_unless_root("PrivateTmp=") {
        return;
    }
    let dir = test_dir();
    let host_file = PathBuf::from("/tmp").join(unique("host"));
    std::fs::write(&host_file, "host").unwrap();
    let inner = unique("inner");
    let script = format!(
        "test -e {host} && echo host-file-seen || echo host-file-unseen; \
         echo inside > /tmp/{inner}; echo count=$(ls -A /tmp | wc -l); \
         echo var=$(ls -A /var/tmp | wc -l)",
        host = host_file.display()
    );
    let (lines, result) = run(
        dir.path(),
        "ptmp.service",
        &format!("PrivateTmp=yes\nExecStart=/bin/sh -c '{script}'"),
    );
    let seen_inner = Path::new("/tmp").join(&inner).exists();
    let _ = std::fs::remove_file(&host_file);
    let _ = std::fs::remove_file(Path::new("/tmp").join(&inner));
    assert!(result.contains("Success"), "{result}");
    assert!(has(&lines, "host-file-unseen"), "{lines:?}");
    assert!(has(&lines, "count=1") && has(&lines, "var=0"), "{lines:?}");
    assert!(
        !seen_inner,
        "the service's /tmp file reached the host's /tmp"
    );
    // The run is over: its private directories are gone.
    let private = dir.path().join("state/private-tmp");
    let left: Vec<_> = std::fs::read_dir(&private)
        .map(|r| r.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn protect_system_strict_is_read_only_but_for_read_write_paths() {
    if skip_unless_root("ProtectSystem=") {
        return;
    }
    let dir = test_dir();
    let rw = dir.path().join("rw");
    let ro = dir.path().join("ro");
    std::fs::create_dir_all(&rw).unwrap();
    std::fs::create_dir_all(&ro).unwrap();
    let usr = format!("/usr/{}", unique("usr"));
    let etc = format!("/etc/{}", unique("etc"));
    // A write that should fail is removed again at once if it did not.
    let try_write = |path: &str, tag: &str| {
        format!("if touch {path} 2>/dev/null; then rm -f {path}; echo {tag}-writable; else echo {tag}-refused; fi; ")
    };
    let script = [
        try_write(&usr, "usr"),
        try_write(&etc, "etc"),
        try_write(&format!("{}/x", rw.display()), "rw"),
        try_write(&format!("{}/sub/x", ro.display()), "ro"),
    ]
    .concat();
    std::fs::create_dir_all(ro.join("sub")).unwrap();
    let (lines, result) = run(
        dir.path(),
        "strict.service",
        &format!(
            "ProtectSystem=strict\nReadWritePaths={}\nExecStart=/bin/sh -c '{script}'",
            rw.display()
        ),
    );
    assert!(!Path::new(&usr).exists() && !Path::new(&etc).exists());
    assert!(result.contains("Success"), "{result}");
    for expected in ["usr-refused", "etc-refused", "rw-writable", "ro-refused"] {
        assert!(has(&lines, expected), "{expected}: {lines:?}");
    }
    // Without the sandbox the test directory is writable: the refusal
    // above came from ProtectSystem=.
    let (lines, _) = run(
        &dir.path().join("plain"),
        "plain.service",
        &format!(
            "ExecStart=/bin/sh -c '{}'",
            try_write(&format!("{}/sub/y", ro.display()), "ro")
        ),
    );
    assert!(has(&lines, "ro-writable"), "{lines:?}");
}

#[test]
fn read_only_and_inaccessible_paths_under_the_test_dir() {
    if skip_unless_root("ReadOnlyPaths=") {
        return;
    }
    let dir = test_dir();
    let ro = dir.path().join("ro");
    let gone = dir.path().join("gone");
    std::fs::create_dir_all(&ro).unwrap();
    std::fs::create_dir_all(&gone).unwrap();
    std::fs::write(gone.join("secret"), "s").unwrap();
    let script = format!(
        "touch {ro}/x 2>/dev/null && echo ro-writable || echo ro-refused; \
         echo gone=$(ls -A {gone} | wc -l); touch {gone}/y 2>/dev/null && echo gone-writable || echo gone-refused",
        ro = ro.display(),
        gone = gone.display()
    );
    let (lines, _) = run(
        dir.path(),
        "paths.service",
        &format!(
            "ReadOnlyPaths={}\nInaccessiblePaths={} -/nonexistent/path\nExecStart=/bin/sh -c '{script}'",
            ro.display(),
            gone.display()
        ),
    );
    assert!(has(&lines, "ro-refused"), "{lines:?}");
    assert!(
        has(&lines, "gone=0") && has(&lines, "gone-refused"),
        "{lines:?}"
    );
    assert!(!ro.join("x").exists() && !gone.join("y").exists());
}

#[test]
fn protect_home_hides_root_and_home() {
    if skip_unless_root("ProtectHome=") {
        return;
    }
    let dir = test_dir();
    let script = "echo root=$(ls -A /root 2>/dev/null | wc -l); echo home=$(ls -A /home 2>/dev/null | wc -l); \
                  echo mode=$(stat -c %%a /root)";
    let (lines, _) = run(
        dir.path(),
        "home.service",
        &format!("ProtectHome=yes\nExecStart=/bin/sh -c '{script}'"),
    );
    assert!(has(&lines, "root=0") && has(&lines, "home=0"), "{lines:?}");
    assert!(has(&lines, "mode=0"), "{lines:?}");
    let host_root = std::fs::read_dir("/root").map(|r| r.count()).unwrap_or(0);
    eprintln!("host /root has {host_root} entries");
}

const MOUNT_PY: &str = "import ctypes,os; l=ctypes.CDLL(None,use_errno=True); \
    r=l.mount(b\"none\",b\"/nonexistent-sundial\",b\"tmpfs\",0,None); \
    print(\"mount\", r, os.strerror(ctypes.get_errno()))";

#[test]
fn system_call_filter_refuses_mount_with_the_chosen_errno() {
    if !Path::new("/usr/bin/python3").exists() {
        eprintln!("skipped: no python3");
        return;
    }
    let dir = test_dir();
    // Unfiltered: the mount point is missing (the path is looked up before
    // the privilege is checked, so as any user).
    let (lines, _) = run(
        &dir.path().join("plain"),
        "plain.service",
        &format!("ExecStart=/usr/bin/python3 -c '{MOUNT_PY}'"),
    );
    assert!(
        has(&lines, "mount -1 No such file or directory"),
        "{lines:?}"
    );
    for (errno, text) in [
        ("EIO", "Input/output error"),
        ("EPERM", "Operation not permitted"),
    ] {
        let (lines, _) = run(
            &dir.path().join(errno),
            "filtered.service",
            &format!(
                "SystemCallFilter=~@mount\nSystemCallErrorNumber={errno}\nExecStart=/usr/bin/python3 -c '{MOUNT_PY}'"
            ),
        );
        assert!(has(&lines, &format!("mount -1 {text}")), "{lines:?}");
    }
    // No error number: the process is killed (SIGSYS).
    let (lines, result) = run(
        &dir.path().join("kill"),
        "kill.service",
        &format!("SystemCallFilter=~@mount\nExecStart=/usr/bin/python3 -c '{MOUNT_PY}'"),
    );
    assert!(lines.iter().all(|l| !l.starts_with("mount")), "{lines:?}");
    assert!(
        result.contains("Signal") && result.contains("31"),
        "{result}"
    );
}

#[test]
fn restrict_address_families_refuses_inet() {
    if !Path::new("/usr/bin/python3").exists() {
        eprintln!("skipped: no python3");
        return;
    }
    let dir = test_dir();
    let py = script(
        dir.path(),
        "af.py",
        "import socket\nfor f in (socket.AF_UNIX, socket.AF_INET):\n try:\n  socket.socket(f); print(f.name, 'ok')\n except OSError as e: print(f.name, e.strerror)\n",
    );
    let (lines, _) = run(
        dir.path(),
        "af.service",
        &format!("RestrictAddressFamilies=AF_UNIX\nExecStart=/usr/bin/python3 {py}"),
    );
    assert!(has(&lines, "AF_UNIX ok"), "{lines:?}");
    assert!(
        has(&lines, "AF_INET Address family not supported by protocol"),
        "{lines:?}"
    );
}

#[test]
fn private_network_has_only_loopback_and_it_is_up() {
    if skip_unless_root("PrivateNetwork=") || !Path::new("/usr/bin/python3").exists() {
        return;
    }
    let dir = test_dir();
    let py = script(
        dir.path(),
        "net.py",
        "import socket\nprint('ifaces', ' '.join(n for _, n in socket.if_nameindex()))\ns=socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\nc=socket.create_connection(s.getsockname(), timeout=5); print('loopback connects')\n",
    );
    let (lines, _) = run(
        dir.path(),
        "net.service",
        &format!("PrivateNetwork=yes\nExecStart=/usr/bin/python3 {py}"),
    );
    assert!(has(&lines, "ifaces lo"), "{lines:?}");
    assert!(has(&lines, "loopback connects"), "{lines:?}");
    let host: Vec<_> = std::fs::read_dir("/sys/class/net").unwrap().collect();
    eprintln!("host has {} interfaces", host.len());
}

#[test]
fn protect_hostname_gives_a_namespace_of_its_own_and_refuses_sethostname() {
    if skip_unless_root("ProtectHostname=") {
        return;
    }
    let dir = test_dir();
    let host_uts = std::fs::read_link("/proc/self/ns/uts").unwrap();
    let host_name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let name = unique("h");
    let script = format!(
        "echo uts=$(readlink /proc/self/ns/uts); hostname {name} 2>/dev/null && echo set || echo refused"
    );
    let (lines, _) = run(
        dir.path(),
        "host.service",
        &format!("ProtectHostname=yes\nExecStart=/bin/sh -c '{script}'"),
    );
    // systemd 252 refuses sethostname() too (seccomp, EPERM): the
    // namespace only keeps a change made anyway from reaching the host.
    assert!(has(&lines, "refused"), "{lines:?}");
    let uts = lines.iter().find_map(|l| l.strip_prefix("uts=")).unwrap();
    assert_ne!(Path::new(uts), host_uts.as_path());
    assert_eq!(
        std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap(),
        host_name
    );
}

#[test]
fn without_root_a_namespace_directive_fails_the_unit_with_226() {
    if is_root() {
        eprintln!("skipped: as root namespaces can be had; the refusal is for other users");
        return;
    }
    let dir = test_dir();
    let (_, result) = run(
        dir.path(),
        "nonroot.service",
        "PrivateTmp=yes\nExecStart=/bin/true",
    );
    assert!(result.contains("226"), "{result}");
}

#[test]
fn private_devices_binds_and_temporary_file_systems() {
    if skip_unless_root("PrivateDevices=") {
        return;
    }
    let dir = test_dir();
    let src = dir.path().join("src");
    let dst = dir.path().join("dst");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::create_dir_all(&dst).unwrap();
    std::fs::write(src.join("marker"), "m").unwrap();
    let scratch = dir.path().join("scratch");
    std::fs::create_dir_all(&scratch).unwrap();
    std::fs::write(scratch.join("hidden"), "h").unwrap();
    let script = format!(
        "echo dev=$(ls /dev | tr \"\\n\" \" \"); echo null=$(stat -c %%F /dev/null); \
         cat {dst}/marker && echo; touch {dst}/new 2>/dev/null && echo bind-writable || echo bind-refused; \
         echo scratch=$(ls -A {scratch} | wc -l); touch {scratch}/t && echo tmpfs-writable",
        dst = dst.display(),
        scratch = scratch.display()
    );
    let (lines, result) = run(
        dir.path(),
        "dev.service",
        &format!(
            "PrivateDevices=yes\nBindReadOnlyPaths={}:{}\nTemporaryFileSystem={}\nExecStart=/bin/sh -c '{script}'",
            src.display(),
            dst.display(),
            scratch.display()
        ),
    );
    assert!(result.contains("Success"), "{result}");
    let devs = lines.iter().find_map(|l| l.strip_prefix("dev=")).unwrap();
    let devs: Vec<&str> = devs.split_whitespace().collect();
    for node in [
        "null", "zero", "full", "random", "urandom", "tty", "shm", "pts", "fd",
    ] {
        assert!(devs.contains(&node), "{node} in {devs:?}");
    }
    // Only the minimal set: no disks, no kmsg, no mem.
    for gone in ["kmsg", "mem", "loop0", "sda", "vda"] {
        assert!(!devs.contains(&gone), "{gone} in {devs:?}");
    }
    assert!(has(&lines, "null=character special file"), "{lines:?}");
    assert!(has(&lines, "m") && has(&lines, "bind-refused"), "{lines:?}");
    assert!(
        has(&lines, "scratch=0") && has(&lines, "tmpfs-writable"),
        "{lines:?}"
    );
    // The binds and the tmpfs stayed in the service's namespace.
    assert!(!dst.join("marker").exists() && !scratch.join("t").exists());
    assert!(scratch.join("hidden").exists());
}

/// The `CapBnd:` mask of /proc/self/status text.
fn cap_bnd(status: &str) -> u64 {
    let hex = status
        .lines()
        .find_map(|l| l.strip_prefix("CapBnd:"))
        .unwrap()
        .trim();
    u64::from_str_radix(hex, 16).unwrap()
}

#[test]
fn private_devices_drops_mknod_and_rawio_from_the_bounding_set() {
    if skip_unless_root("PrivateDevices=") {
        return;
    }
    const MKNOD: u64 = 1 << 27;
    const RAWIO: u64 = 1 << 17;
    const SYS_ADMIN: u64 = 1 << 21;
    let own = cap_bnd(&std::fs::read_to_string("/proc/self/status").unwrap());
    if own & (MKNOD | RAWIO) != MKNOD | RAWIO {
        eprintln!("skipped: this process's bounding set lacks CAP_MKNOD or CAP_SYS_RAWIO already");
        return;
    }
    let dir = test_dir();
    let body = |private: &str| {
        format!("PrivateDevices={private}\nExecStart=/bin/grep CapBnd: /proc/self/status")
    };
    let (lines, result) = run(dir.path(), "caps.service", &body("yes"));
    assert!(result.contains("Success"), "{result}");
    let set = cap_bnd(&lines.join("\n"));
    assert_eq!(set & (MKNOD | RAWIO), 0, "{set:x}");
    assert_ne!(set & SYS_ADMIN, 0, "only the two go: {set:x}");
    let (lines, _) = run(dir.path(), "nocaps.service", &body("no"));
    let set = cap_bnd(&lines.join("\n"));
    assert_eq!(set & (MKNOD | RAWIO), MKNOD | RAWIO, "{set:x}");
}

#[test]
fn kernel_tunables_and_control_groups_are_read_only_mounts() {
    if skip_unless_root("ProtectKernelTunables=") {
        return;
    }
    let dir = test_dir();
    // Read from the mount table, never by writing to /proc/sys.
    let script = "awk '\\''$5 == \"/proc/sys\" || $5 == \"/sys/fs/cgroup\" || $5 == \"/sys\" { split($6, o, \",\"); print $5, o[1] }'\\'' /proc/self/mountinfo";
    let (lines, _) = run(
        dir.path(),
        "tun.service",
        &format!(
            "ProtectKernelTunables=yes\nProtectControlGroups=yes\nExecStart=/bin/sh -c '{script}'"
        ),
    );
    // The mount the service sees at each path is the last one listed
    // there (the host's are below it).
    for m in ["/proc/sys", "/sys", "/sys/fs/cgroup"] {
        let top = lines
            .iter()
            .filter_map(|l| l.strip_prefix(&format!("{m} ")))
            .next_back();
        assert_eq!(top, Some("ro"), "{m}: {lines:?}");
    }
}

#[test]
fn memory_deny_write_execute_restrict_namespaces_and_lock_personality() {
    if !Path::new("/usr/bin/python3").exists() {
        eprintln!("skipped: no python3");
        return;
    }
    let dir = test_dir();
    let py = script(
        dir.path(),
        "mdwe.py",
        "import ctypes, mmap, os\n\
         libc = ctypes.CDLL(None, use_errno=True)\n\
         libc.mmap.restype = ctypes.c_void_p\n\
         p = libc.mmap(None, 4096, 7, 0x22, -1, 0)\n\
         print('wx', 'refused' if p in (None, 2**64 - 1) else 'mapped', os.strerror(ctypes.get_errno()))\n\
         r = libc.unshare(0x04000000)\n\
         print('unshare-uts', r, os.strerror(ctypes.get_errno()))\n\
         r = libc.personality(0x0040000)\n\
         print('personality', r, os.strerror(ctypes.get_errno()))\n",
    );
    let (lines, _) = run(
        dir.path(),
        "mdwe.service",
        &format!(
            "MemoryDenyWriteExecute=yes\nRestrictNamespaces=~uts\nLockPersonality=yes\nExecStart=/usr/bin/python3 {py}"
        ),
    );
    assert!(
        has(&lines, "wx refused Operation not permitted"),
        "{lines:?}"
    );
    assert!(
        has(&lines, "unshare-uts -1 Operation not permitted"),
        "{lines:?}"
    );
    assert!(
        has(&lines, "personality -1 Operation not permitted"),
        "{lines:?}"
    );
    // Without the settings the same calls go through (unshare: as root).
    let (lines, _) = run(
        &dir.path().join("plain"),
        "plain.service",
        &format!("ExecStart=/usr/bin/python3 {py}"),
    );
    assert!(
        lines.iter().any(|l| l.starts_with("wx mapped")),
        "{lines:?}"
    );
    assert!(
        !has(&lines, "personality -1 Operation not permitted"),
        "{lines:?}"
    );
    if is_root() {
        assert!(has(&lines, "unshare-uts 0 Success"), "{lines:?}");
    }
}

#[test]
fn root_directory_runs_the_command_inside_it() {
    if skip_unless_root("RootDirectory=") {
        return;
    }
    let dir = test_dir();
    let root = dir.path().join("root");
    // A root with a static-enough shell: the host's /usr and /bin bound in read-only.
    for d in ["usr", "bin", "lib", "lib64", "etc", "proc", "dev", "tmp"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    std::fs::write(root.join("etc/inside"), "yes").unwrap();
    let binds: Vec<String> = ["/usr", "/bin", "/lib", "/lib64"]
        .iter()
        .filter(|p| Path::new(p).exists() && !Path::new(p).is_symlink())
        .map(|p| format!("{p}:{p}"))
        .collect();
    // Merged-/usr hosts have /bin -> usr/bin: the same link inside.
    for link in ["bin", "lib", "lib64"] {
        let host = Path::new("/").join(link);
        if host.is_symlink() {
            let _ = std::fs::remove_dir(root.join(link));
            std::os::unix::fs::symlink(std::fs::read_link(&host).unwrap(), root.join(link))
                .unwrap();
        }
    }
    let (lines, result) = run(
        dir.path(),
        "chroot.service",
        &format!(
            "RootDirectory={}\nBindReadOnlyPaths={}\nExecStart=/bin/sh -c 'cat /etc/inside; echo; ls /'",
            root.display(),
            binds.join(" ")
        ),
    );
    assert!(result.contains("Success"), "{result}");
    assert!(has(&lines, "yes"), "{lines:?}");
    assert!(!has(&lines, "work") && !has(&lines, "root"), "{lines:?}");
}

#[test]
fn a_missing_path_fails_the_unit_with_226_and_says_which() {
    if skip_unless_root("ReadOnlyPaths=") {
        return;
    }
    let dir = test_dir();
    let missing = dir.path().join("missing");
    let (lines, result) = run(
        dir.path(),
        "missing.service",
        &format!(
            "ReadOnlyPaths=-{}/optional {}\nExecStart=/bin/true",
            dir.path().display(),
            missing.display()
        ),
    );
    assert!(result.contains("226"), "{result}");
    let said = format!(
        "Failed to set up mount namespacing: {}: No such file or directory",
        missing.display()
    );
    assert!(lines.iter().any(|l| l.ends_with(&said)), "{lines:?}");
    // The `-` path alone is skipped: the unit runs.
    let (_, result) = run(
        &dir.path().join("optional"),
        "optional.service",
        &format!("ReadOnlyPaths=-{}\nExecStart=/bin/true", missing.display()),
    );
    assert!(result.contains("Success"), "{result}");
}

#[test]
fn protect_proc_and_proc_subset_mount_a_new_proc() {
    if skip_unless_root("ProtectProc=") {
        return;
    }
    let dir = test_dir();
    let script = "test -e /proc/meminfo && echo meminfo-seen || echo meminfo-hidden; \
                  test -e /proc/self/status && echo self-seen; \
                  awk '\\''$5 == \"/proc\" { print \"options\", $NF }'\\'' /proc/self/mountinfo | tail -n 1";
    let (lines, _) = run(
        dir.path(),
        "proc.service",
        &format!("ProtectProc=invisible\nProcSubset=pid\nExecStart=/bin/sh -c '{script}'"),
    );
    assert!(
        has(&lines, "meminfo-hidden") && has(&lines, "self-seen"),
        "{lines:?}"
    );
    let options = lines
        .iter()
        .find_map(|l| l.strip_prefix("options "))
        .unwrap();
    assert!(
        options.contains("hidepid=invisible") && options.contains("subset=pid"),
        "{options}"
    );
    assert!(Path::new("/proc/meminfo").exists());
}
