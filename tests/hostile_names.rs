//! Unit names are checked as systemd checks them before any verb touches a
//! file: a name with `/` or `..` cannot make mask, unmask, enable or cat
//! reach outside the unit directories (issue 13, item 5).

mod daemon_support;

use std::fs;
use std::time::Duration;
use sundial::ipc::{EnablementRequest, UnitsRequest};

use daemon_support::Daemon;
use sundial::ipc::{Request, Response};

fn refused(response: Response, name: &str) {
    match response {
        Response::Error { message, .. } => {
            assert_eq!(message, format!("Unit name {name} is not valid."))
        }
        other => panic!("{name}: accepted: {other:?}"),
    }
}

#[test]
fn names_with_slashes_reach_no_file_outside_the_unit_directories() {
    let tmp = tempfile::tempdir().unwrap();
    let outside = tmp.path().join("outside");
    fs::create_dir_all(&outside).unwrap();
    let secret = outside.join("secret.service");
    fs::write(&secret, "[Service]\nExecStart=/bin/true\n").unwrap();
    std::os::unix::fs::symlink("/dev/null", outside.join("masked.service")).unwrap();
    let mut d = Daemon::new(
        tmp.path(),
        &[("ok.service", "[Service]\nExecStart=/bin/true\n")],
    );
    d.start();

    let escape = "../outside/x.service";
    refused(
        d.call(Request::Mask(UnitsRequest {
            units: vec![escape.into()],
        })),
        escape,
    );
    assert!(!outside.join("x.service").exists(), "mask wrote outside");
    let masked = "../outside/masked.service";
    refused(
        d.call(Request::Unmask(UnitsRequest {
            units: vec![masked.into()],
        })),
        masked,
    );
    assert!(
        fs::symlink_metadata(outside.join("masked.service")).is_ok(),
        "unmask removed a link outside"
    );
    let cat = "../outside/secret.service";
    refused(
        d.call(Request::Cat(UnitsRequest {
            units: vec![cat.into()],
        })),
        cat,
    );
    for bad in ["../outside/secret", "/etc/passwd.service", "a/b.timer"] {
        refused(
            d.call(Request::Enable(EnablementRequest {
                units: vec![bad.into()],
                now: false,
            })),
            bad,
        );
        refused(
            d.call(Request::Start(UnitsRequest {
                units: vec![bad.into()],
            })),
            bad,
        );
    }
    // Valid names still work, a bare name meaning `.service`.
    match d.call(Request::Mask(UnitsRequest {
        units: vec!["other".into()],
    })) {
        Response::FileChanges { .. } => {}
        other => panic!("mask other: {other:?}"),
    }
    assert!(d.terminate());
}

/// Through a system daemon, which reads as root, another user gets no unit
/// file they could not read themselves (issue 13, item 7).
#[test]
fn cat_shows_another_user_only_what_they_could_read() {
    use std::os::unix::fs::PermissionsExt;
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: a second user and a system daemon need root");
        return;
    }
    if !std::path::Path::new("/usr/bin/python3").exists() {
        eprintln!("skipped: /usr/bin/python3 (Debian's python3) sends the raw request");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let mut d = Daemon::new(
        tmp.path(),
        &[
            (
                "secret.service",
                "[Service]\nExecStart=/bin/echo token=hunter2\n",
            ),
            ("open.service", "[Service]\nExecStart=/bin/true\n"),
        ],
    )
    .system();
    fs::set_permissions(
        d.units.join("secret.service"),
        fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    d.start();
    fs::set_permissions(&d.state, fs::Permissions::from_mode(0o755)).unwrap();
    // `nobody` sends the request itself, as an attacker would, bypassing
    // the CLI (which reads unit files directly, with its own rights).
    const RAW_CAT: &str = "import json, socket, struct, sys\n\
s = socket.socket(socket.AF_UNIX)\n\
s.connect(sys.argv[1])\n\
body = json.dumps({'version': 1, 'request': json.loads(sys.argv[2])}).encode()\n\
s.sendall(struct.pack('>I', len(body)) + body)\n\
head = b''\n\
while len(head) < 4:\n    head += s.recv(4 - len(head))\n\
n = struct.unpack('>I', head)[0]\n\
data = b''\n\
while len(data) < n:\n    data += s.recv(n - len(data))\n\
print(data.decode())\n";
    let as_nobody = |request: &str| -> String {
        let out = std::process::Command::new("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "/usr/bin/python3",
                "-c",
            ])
            .arg(RAW_CAT)
            .arg(&d.socket)
            .arg(request)
            .output()
            .expect("setpriv and /usr/bin/python3 run");
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let cat_as_nobody = |unit: &str| as_nobody(&format!(r#"{{"type":"cat","units":["{unit}"]}}"#));
    let text = cat_as_nobody("secret.service");
    assert!(!text.contains("hunter2"), "leaked: {text}");
    assert!(
        text.contains("permission-denied") && text.contains("Permission denied"),
        "{text}"
    );
    let text = cat_as_nobody("open.service");
    assert!(text.contains("/bin/true"), "{text}");
    // Nor its Environment= through show.
    let text = as_nobody(
        r#"{"type":"show","units":["secret.service"],"properties":["Environment","Id"]}"#,
    );
    assert!(text.contains("secret.service"), "{text}");
    assert!(!text.contains("hunter2"), "leaked through show: {text}");
    // Root still reads it.
    match d.call(Request::Cat(UnitsRequest {
        units: vec!["secret.service".into()],
    })) {
        Response::Files { units } => assert!(units[0].files[0].text.contains("hunter2")),
        other => panic!("{other:?}"),
    }
    assert!(d.terminate());
}

/// As root, a unit file (or drop-in) that another user could change is not
/// loaded, and the error names the file and its mode (issue 13, item 9).
#[test]
fn a_root_daemon_refuses_unit_files_others_may_write() {
    use std::os::unix::fs::PermissionsExt;
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: the check applies to a manager running as root");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(
        tmp.path(),
        &[
            ("loose.service", "[Service]\nExecStart=/bin/true\n"),
            ("tight.service", "[Service]\nExecStart=/bin/true\n"),
            ("dropped.service", "[Service]\nExecStart=/bin/true\n"),
        ],
    );
    let loose = d.units.join("loose.service");
    fs::set_permissions(&loose, fs::Permissions::from_mode(0o664)).unwrap();
    let dropins = d.units.join("dropped.service.d");
    fs::create_dir_all(&dropins).unwrap();
    fs::write(dropins.join("x.conf"), "[Service]\nUser=root\n").unwrap();
    std::os::unix::fs::chown(dropins.join("x.conf"), Some(65534), Some(65534)).unwrap();
    d.start();
    // The socket answers before the units are loaded and reported.
    daemon_support::wait_for(std::time::Duration::from_secs(10), || {
        d.stderr().contains("started:")
    });
    let err = d.stderr();
    assert!(
        err.contains(&format!(
            "refusing to load loose.service: file {} is writable by its group (mode 0664)",
            loose.display()
        )),
        "{err}"
    );
    assert!(
        err.contains("refusing to load dropped.service") && err.contains("uid 65534"),
        "{err}"
    );
    let state = |unit: &str| d.property(Some(unit), "LoadState");
    assert_eq!(state("loose.service"), "bad-setting");
    assert_eq!(state("dropped.service"), "bad-setting");
    assert_eq!(state("tight.service"), "loaded");
    // verify says the same.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sundial"))
        .args(["verify", "--unit-dir"])
        .arg(&d.units)
        .arg("loose.service")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("mode 0664"));
    assert!(d.terminate());
}

/// In the system daemon another user reads only the logs of units that run
/// as that user, as journald keeps the system journal from users outside
/// `adm` and `systemd-journal` (issue 13, item 7, the logs half).
#[test]
fn logs_show_another_user_only_their_own_units() {
    use std::os::unix::fs::PermissionsExt;
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: a second user and a system daemon need root");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let mut d = Daemon::new(
        tmp.path(),
        &[
            (
                "secret.service",
                // What it prints is not in its command line, which status
                // shows to all as systemctl does.
                "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo token=hunter$$((1+1))'\n",
            ),
            (
                "mine.service",
                "[Service]\nType=oneshot\nUser=nobody\nExecStart=/bin/echo hello-from-nobody\n",
            ),
        ],
    )
    .system();
    d.start();
    fs::set_permissions(&d.state, fs::Permissions::from_mode(0o755)).unwrap();
    for unit in ["secret.service", "mine.service"] {
        d.call(Request::Start(UnitsRequest {
            units: vec![unit.into()],
        }));
    }
    assert!(daemon_support::wait_for(Duration::from_secs(10), || {
        d.log_lines("secret.service")
            .iter()
            .any(|l| l.contains("hunter2"))
            && d.log_lines("mine.service")
                .iter()
                .any(|l| l.contains("hello-from-nobody"))
    }));
    let sundial_as = |uid: &str, args: &[&str]| -> String {
        let out = std::process::Command::new("setpriv")
            .args([
                &format!("--reuid={uid}"),
                "--regid=65534",
                "--clear-groups",
                env!("CARGO_BIN_EXE_sundial"),
            ])
            .args(args)
            .env("SUNDIAL_SOCKET", &d.socket)
            .env("SYSTEMD_PAGER", "")
            .env("SUNDIAL_PAGER", "")
            .output()
            .expect("setpriv runs");
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let all = sundial_as("65534", &["logs", "--no-pager"]);
    assert!(all.contains("hello-from-nobody"), "{all}");
    assert!(!all.contains("hunter2"), "leaked: {all}");
    let named = sundial_as("65534", &["logs", "--no-pager", "-u", "secret.service"]);
    assert!(!named.contains("hunter2"), "leaked: {named}");
    let pattern = sundial_as("65534", &["logs", "--no-pager", "-u", "*"]);
    assert!(!pattern.contains("hunter2"), "leaked: {pattern}");
    let status = sundial_as(
        "65534",
        &["status", "--no-pager", "secret.service", "mine.service"],
    );
    assert!(!status.contains("hunter2"), "leaked: {status}");
    assert!(status.contains("hello-from-nobody"), "{status}");
    // Root reads everything.
    let root = sundial_as("0", &["logs", "--no-pager"]);
    assert!(
        root.contains("hunter2") && root.contains("hello-from-nobody"),
        "{root}"
    );
    assert!(d.terminate());
}
