//! `DevicePolicy=`, `DeviceAllow=` and the device policy of
//! `PrivateDevices=` through the daemon, on the cgroup v1 devices
//! controller. Each service is a shell one-liner that opens device nodes and
//! prints what it could open; the test reads its captured output.
//!
//! Needs root and a writable v1 devices hierarchy: elsewhere each test
//! prints why it is skipped. Nothing reaches the host: the nodes opened are
//! only read (or /dev/null written), and the device rules live in the
//! daemon's own cgroup, removed when the unit stops.
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::path::Path;

use daemon_support::Daemon;

/// Why the devices controller cannot be had here, if it cannot.
fn devices_controller_missing() -> Option<String> {
    if !nix::unistd::geteuid().is_root() {
        return Some("the devices controller needs root".into());
    }
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let mount = mountinfo.lines().find_map(|l| {
        let (head, tail) = l.split_once(" - ")?;
        let mut t = tail.split_whitespace();
        let (fstype, _, options) = (t.next()?, t.next()?, t.next()?);
        (fstype == "cgroup" && options.split(',').any(|o| o == "devices"))
            .then(|| head.split_whitespace().nth(4).map(str::to_owned))?
    });
    let Some(mount) = mount else {
        return Some("no cgroup v1 devices hierarchy is mounted (cgroup v2 would need BPF)".into());
    };
    let own = std::fs::read_to_string("/proc/self/cgroup")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            let mut parts = l.splitn(3, ':');
            let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
            controllers
                .split(',')
                .any(|c| c == "devices")
                .then(|| path.to_owned())
        })
        .unwrap_or_default();
    let procs = Path::new(&mount)
        .join(own.trim_start_matches('/'))
        .join("cgroup.procs");
    let c = std::ffi::CString::new(procs.to_str().unwrap()).unwrap();
    // SAFETY: access() on a valid C string.
    if unsafe { libc::access(c.as_ptr(), libc::W_OK) } != 0 {
        return Some(format!("{} is not writable", procs.display()));
    }
    None
}

fn skip(test: &str) -> bool {
    match devices_controller_missing() {
        Some(why) => {
            eprintln!("skipped {test}: {why}");
            true
        }
        None => false,
    }
}

/// Runs a oneshot with `body` in `[Service]` through a system daemon; its
/// output lines and its result.
fn run(name: &str, body: &str) -> (Vec<String>, String) {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let unit = format!("[Service]\nType=oneshot\n{body}\n");
    let mut d = Daemon::new(dir.path(), &[(name, &unit)]).system();
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

/// A shell line printing `NAME-ok` or `NAME-denied` for opening `node`
/// with the redirection `redir` (`<` to read, `>` to write).
fn probe(name: &str, redir: &str, node: &str) -> String {
    format!("(: {redir} {node}) && echo {name}-ok || echo {name}-denied")
}

fn has(lines: &[String], line: &str) -> bool {
    lines.iter().any(|l| l == line)
}

/// The control: without a policy every node the others deny opens, so a
/// denial below is the policy's doing.
#[test]
fn without_a_policy_every_probed_node_opens() {
    if skip("without_a_policy_every_probed_node_opens") {
        return;
    }
    let script = [
        probe("zero", "<", "/dev/zero"),
        probe("urandom", "<", "/dev/urandom"),
        probe("kmsg", "<", "/dev/kmsg"),
        probe("ptmx", "<", "/dev/ptmx"),
    ]
    .join("; ");
    let (lines, result) = run(
        "devices-open.service",
        &format!("ExecStart=/bin/sh -c '{script}'"),
    );
    assert!(result.contains("Success"), "{result}");
    assert!(
        has(&lines, "zero-ok") && has(&lines, "urandom-ok"),
        "{lines:?}"
    );
}

#[test]
fn strict_allows_only_the_listed_node_and_access() {
    if skip("strict_allows_only_the_listed_node_and_access") {
        return;
    }
    let script = [
        probe("null-write", ">", "/dev/null"),
        probe("zero", "<", "/dev/zero"),
        probe("urandom", "<", "/dev/urandom"),
    ]
    .join("; ");
    let (lines, result) = run(
        "devices-strict.service",
        &format!(
            "DevicePolicy=strict\nDeviceAllow=/dev/null w\nExecStart=/bin/sh -c 'exec 2>&1; {script}'"
        ),
    );
    assert!(result.contains("Success"), "{result}");
    assert!(has(&lines, "null-write-ok"), "{lines:?}");
    assert!(has(&lines, "zero-denied"), "{lines:?}");
    assert!(has(&lines, "urandom-denied"), "{lines:?}");
}

#[test]
fn closed_adds_the_pseudo_devices_and_denies_the_rest() {
    if skip("closed_adds_the_pseudo_devices_and_denies_the_rest") {
        return;
    }
    if !Path::new("/dev/kmsg").exists() {
        eprintln!("skipped closed_adds_the_pseudo_devices_and_denies_the_rest: no /dev/kmsg");
        return;
    }
    let script = [
        probe("null-write", ">", "/dev/null"),
        probe("zero", "<", "/dev/zero"),
        probe("kmsg", "<", "/dev/kmsg"),
    ]
    .join("; ");
    let (lines, result) = run(
        "devices-closed.service",
        &format!("DevicePolicy=closed\nDeviceAllow=/dev/null rw\nExecStart=/bin/sh -c '{script}'"),
    );
    assert!(result.contains("Success"), "{result}");
    assert!(has(&lines, "null-write-ok"), "{lines:?}");
    // systemd 252: closed allows null, zero, full, random, urandom, tty, ptmx.
    assert!(has(&lines, "zero-ok"), "{lines:?}");
    assert!(has(&lines, "kmsg-denied"), "{lines:?}");
}

#[test]
fn a_char_group_allows_its_major_numbers() {
    if skip("a_char_group_allows_its_major_numbers") {
        return;
    }
    // /dev/zero is of the "mem" driver (major 1), /dev/ptmx of another.
    let script = [
        probe("zero", "<", "/dev/zero"),
        probe("ptmx", "<", "/dev/ptmx"),
    ]
    .join("; ");
    let (lines, result) = run(
        "devices-group.service",
        &format!("DevicePolicy=strict\nDeviceAllow=char-mem r\nExecStart=/bin/sh -c '{script}'"),
    );
    assert!(result.contains("Success"), "{result}");
    assert!(has(&lines, "zero-ok"), "{lines:?}");
    assert!(has(&lines, "ptmx-denied"), "{lines:?}");
}

#[test]
fn private_devices_applies_the_closed_policy_to_a_node_bound_inside() {
    let test = "private_devices_applies_the_closed_policy_to_a_node_bound_inside";
    if skip(test) {
        return;
    }
    if !Path::new("/dev/kmsg").exists() {
        eprintln!("skipped {test}: no /dev/kmsg");
        return;
    }
    // /dev/kmsg bound onto a file of the test's own: outside the private
    // /dev, so only the device policy can refuse it.
    let target = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let node = target.path().join("kmsg");
    std::fs::write(&node, "").unwrap();
    let script = [
        probe("kmsg", "<", node.to_str().unwrap()),
        probe("null-write", ">", "/dev/null"),
    ]
    .join("; ");
    let bind = format!("BindReadOnlyPaths=/dev/kmsg:{}", node.display());
    // The control: bound without PrivateDevices=, it opens.
    let (lines, result) = run(
        "devices-bound.service",
        &format!("{bind}\nExecStart=/bin/sh -c '{script}'"),
    );
    assert!(result.contains("Success"), "{result}");
    if has(&lines, "kmsg-denied") {
        eprintln!("skipped {test}: the bound node does not open even without a policy");
        return;
    }
    let (lines, result) = run(
        "devices-private.service",
        &format!("PrivateDevices=yes\n{bind}\nExecStart=/bin/sh -c '{script}'"),
    );
    assert!(result.contains("Success"), "{result}");
    assert!(has(&lines, "null-write-ok"), "{lines:?}");
    assert!(has(&lines, "kmsg-denied"), "{lines:?}");
}
