//! KeyringMode=: the system daemon gives each command a session keyring of
//! its own unless told `inherit`; `shared` links the user's keyring in.

// Test helpers: a failure should stop the test loudly.
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::time::Duration;

use daemon_support::{wait_for, Daemon};

/// Prints the command's session keyring id and whether the user keyring
/// is linked into it (keyctl through Python's ctypes: no keyutils needed).
const PROBE: &str = "import ctypes, struct\nlibc = ctypes.CDLL(None, use_errno=True)\nk = lambda *a: libc.syscall(250, *a)\nses = k(0, -3, 0)\nuser = k(0, -4, 0)\nbuf = ctypes.create_string_buffer(4096)\nn = k(11, ses, buf, 4096)\nlinks = struct.unpack('%di' % (n // 4), buf.raw[:n]) if n > 0 else ()\nprint(ses, user in links)\n";

fn own_session_keyring() -> i64 {
    // SAFETY: keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0).
    unsafe { libc::syscall(libc::SYS_keyctl, 0, -3i64, 0) }
}

#[test]
fn each_mode_gives_the_keyring_systemd_gives() {
    if !std::path::Path::new("/usr/bin/python3").exists()
        || !std::path::Path::new("/proc/keys").exists()
    {
        eprintln!("TEST: skipped: needs /usr/bin/python3 and kernel keyrings");
        return;
    }
    let own = own_session_keyring();
    if own < 0 {
        eprintln!(
            "TEST: skipped: keyctl refused here (errno {})",
            std::io::Error::last_os_error()
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("probe.py"), PROBE).unwrap();
    let unit = |mode: &str, out: &str| {
        format!(
            "[Service]\nType=oneshot\n{mode}ExecStart=/bin/sh -c '/usr/bin/python3 {} > {}'\n",
            dir.path().join("probe.py").display(),
            dir.path().join(out).display()
        )
    };
    let units = [
        ("default.service", unit("", "default")),
        ("inherit.service", unit("KeyringMode=inherit\n", "inherit")),
        ("shared.service", unit("KeyringMode=shared\n", "shared")),
    ];
    let refs: Vec<(&str, &str)> = units.iter().map(|(n, t)| (*n, t.as_str())).collect();
    let mut d = Daemon::new(dir.path(), &refs).system();
    d.start();
    let read = |name: &str| {
        let mut text = String::new();
        assert!(wait_for(Duration::from_secs(10), || {
            text = std::fs::read_to_string(dir.path().join(name)).unwrap_or_default();
            !text.is_empty()
        }));
        let mut parts = text.split_whitespace();
        let id: i64 = parts.next().unwrap().parse().unwrap();
        (id, parts.next() == Some("True"))
    };
    for unit in ["default.service", "inherit.service", "shared.service"] {
        d.start_unit(unit);
    }
    let (default, default_linked) = read("default");
    let (inherit, _) = read("inherit");
    let (shared, shared_linked) = read("shared");
    assert_eq!(inherit, own, "inherit keeps the daemon's session keyring");
    assert_ne!(
        default, own,
        "the system daemon's default is a private keyring"
    );
    assert!(
        !default_linked,
        "private: the user keyring is not linked in"
    );
    assert_ne!(shared, own);
    assert_ne!(shared, default);
    assert!(shared_linked, "shared: the user keyring is linked in");
}
