//! The execution environment real units ask for, through the daemon:
//! directories, credentials, capabilities, no_new_privs, DynamicUser=,
//! OOM score (issue 17 part A). Services print what they see; the tests
//! read it from the captured log or from the file system. Root-only cases
//! skip with a printed reason otherwise.
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::Path;

use daemon_support::Daemon;
use sundial::ipc::{Request, Response, ShowRequest};
use sundial::store::{ExitStatus, RunResult};

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// A `/proc/self/status` field of the service, as the service printed it
/// in the log line `FIELD:<tab>value`.
fn status_field(lines: &[String], field: &str) -> String {
    lines
        .iter()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|| panic!("no {field} in {lines:?}"))
}

fn hex_mask(text: &str) -> u64 {
    u64::from_str_radix(text, 16).expect("a hex mask")
}

const CAP_NET_RAW: u64 = 1 << 13;

/// A oneshot that prints lines of its own /proc status.
fn status_unit(extra: &str) -> String {
    format!(
        "[Service]\nType=oneshot\n{extra}\nExecStart=/bin/grep -E '^(NoNewPrivs|CapBnd|CapAmb|CapEff|Uid):' /proc/self/status\n"
    )
}

#[test]
fn no_new_privileges_sets_the_flag_and_only_where_asked() {
    let tmp = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(
        tmp.path(),
        &[
            ("nnp.service", &status_unit("NoNewPrivileges=yes")),
            ("plain.service", &status_unit("")),
        ],
    );
    d.start();
    d.start_unit("nnp.service");
    d.start_unit("plain.service");
    assert_eq!(status_field(&d.log_lines("nnp.service"), "NoNewPrivs"), "1");
    assert_eq!(
        status_field(&d.log_lines("plain.service"), "NoNewPrivs"),
        "0"
    );
}

#[test]
fn capability_bounding_set_drops_cap_net_raw() {
    if !is_root() {
        eprintln!("skipped: dropping from the bounding set needs CAP_SETPCAP (root)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let ping = ["/usr/bin/ping", "/bin/ping"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    // ping's own view: a raw socket refused without CAP_NET_RAW.
    let ping_line = ping
        .map(|p| {
            format!("ExecStart=-/bin/sh -c '{p} -c1 -W1 127.0.0.1 >/dev/null 2>&1; echo ping=$?'\n")
        })
        .unwrap_or_default();
    let dropped = format!(
        "{}{ping_line}",
        status_unit("CapabilityBoundingSet=~CAP_NET_RAW")
    );
    let kept = format!("{}{ping_line}", status_unit(""));
    let mut d = Daemon::new(
        tmp.path(),
        &[("dropped.service", &dropped), ("kept.service", &kept)],
    );
    d.start();
    d.start_unit("dropped.service");
    d.start_unit("kept.service");
    let dropped = d.log_lines("dropped.service");
    let kept = d.log_lines("kept.service");
    let bnd = hex_mask(&status_field(&dropped, "CapBnd"));
    assert_eq!(bnd & CAP_NET_RAW, 0, "{dropped:?}");
    assert_ne!(bnd, 0, "only CAP_NET_RAW goes");
    assert_ne!(hex_mask(&status_field(&kept, "CapBnd")) & CAP_NET_RAW, 0);
    if ping.is_some() {
        // ping may fall back on an ICMP datagram socket, which needs no
        // capability: only a ping that works with the capability and
        // fails without tells anything.
        let kept_ok = kept.iter().any(|l| l == "ping=0");
        let dropped_ok = dropped.iter().any(|l| l == "ping=0");
        eprintln!("ping with CAP_NET_RAW: {kept_ok}, without: {dropped_ok}");
    } else {
        eprintln!("ping is not installed: checked CapBnd only");
    }
}

#[test]
fn ambient_capabilities_reach_user_nobody() {
    if !is_root() {
        eprintln!("skipped: User=nobody with ambient capabilities needs root");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let unit = status_unit("User=nobody\nAmbientCapabilities=CAP_NET_RAW CAP_NET_BIND_SERVICE");
    let mut d = Daemon::new(
        tmp.path(),
        &[
            ("amb.service", &unit),
            ("none.service", &status_unit("User=nobody")),
        ],
    );
    d.start();
    d.start_unit("amb.service");
    d.start_unit("none.service");
    let lines = d.log_lines("amb.service");
    let nobody = nix::unistd::User::from_name("nobody")
        .unwrap()
        .expect("nobody exists");
    assert!(
        status_field(&lines, "Uid").starts_with(&nobody.uid.to_string()),
        "{lines:?}"
    );
    let wanted = CAP_NET_RAW | 1 << 10;
    assert_eq!(hex_mask(&status_field(&lines, "CapAmb")), wanted);
    assert_eq!(hex_mask(&status_field(&lines, "CapEff")), wanted);
    let none = d.log_lines("none.service");
    assert_eq!(hex_mask(&status_field(&none, "CapAmb")), 0);
    assert_eq!(hex_mask(&status_field(&none, "CapEff")), 0);
}

#[test]
fn oom_score_adjust_is_visible_to_the_service() {
    // Raising the score needs no privilege.
    let tmp = tempfile::tempdir().unwrap();
    let unit = "[Service]\nType=oneshot\nOOMScoreAdjust=321\nExecStart=/bin/cat /proc/self/oom_score_adj\n";
    let mut d = Daemon::new(tmp.path(), &[("oom.service", unit)]);
    d.start();
    d.start_unit("oom.service");
    let lines = d.log_lines("oom.service");
    assert!(lines.contains(&"321".to_owned()), "{lines:?}");
    // The daemon's own is left alone (the child is forked, not cloned
    // beside it: the kernel sets the score for every process sharing
    // memory).
    let own = std::fs::read_to_string(format!("/proc/{}/oom_score_adj", d.pid())).unwrap();
    assert_ne!(own.trim(), "321");
}

/// A daemon whose directory roots are in `tmp`: the system manager under
/// `$SUNDIAL_DIRECTORY_PREFIX` as root, else a user manager's XDG roots.
fn daemon_with_roots(tmp: &Path, units: &[(&str, &str)]) -> (Daemon, std::path::PathBuf) {
    let roots = tmp.join("roots");
    std::fs::create_dir_all(&roots).unwrap();
    let d = Daemon::new(tmp, units);
    if is_root() {
        let d = d
            .system()
            .env("SUNDIAL_DIRECTORY_PREFIX", roots.to_str().unwrap());
        (d, roots.join("run"))
    } else {
        let run = roots.join("xdg-run");
        std::fs::create_dir_all(&run).unwrap();
        let d = d
            .env("XDG_RUNTIME_DIR", run.to_str().unwrap())
            .env("XDG_CACHE_HOME", roots.join("cache").to_str().unwrap());
        (d, run)
    }
}

#[test]
fn runtime_directory_exists_during_the_run_with_its_mode_and_is_gone_after() {
    let tmp = tempfile::tempdir().unwrap();
    let unit = "[Service]\nType=oneshot\nRuntimeDirectory=app app/sub\nRuntimeDirectoryMode=0710\n\
        StateDirectory=app\nExecStart=/bin/sh -c 'echo \"dirs=$RUNTIME_DIRECTORY\"; stat -c mode=%%a \"${RUNTIME_DIRECTORY%%%%:*}\"; echo state=$STATE_DIRECTORY'\n";
    let kept = "[Service]\nType=oneshot\nRuntimeDirectory=kept\nRuntimeDirectoryPreserve=yes\nExecStart=/bin/true\n";
    let (mut d, run) =
        daemon_with_roots(tmp.path(), &[("rd.service", unit), ("kept.service", kept)]);
    d.start();
    d.start_unit("rd.service");
    let lines = d.log_lines("rd.service");
    let app = run.join("app");
    assert!(
        lines.contains(&format!("dirs={}:{}/sub", app.display(), app.display())),
        "{lines:?}"
    );
    assert!(lines.contains(&"mode=710".to_owned()), "{lines:?}");
    let state = lines
        .iter()
        .find_map(|l| l.strip_prefix("state="))
        .expect("state line");
    assert!(Path::new(state).is_dir(), "the state directory stays");
    assert!(!app.exists(), "the runtime directory goes with the run");
    d.start_unit("kept.service");
    assert!(
        run.join("kept").is_dir(),
        "RuntimeDirectoryPreserve=yes keeps it"
    );
}

#[test]
fn dynamic_user_runs_in_range_with_a_persistent_state_directory() {
    if !is_root() {
        eprintln!("skipped: DynamicUser= needs a daemon running as root");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    // The test directory must be passable for the dynamic uid.
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let unit = "[Service]\nType=oneshot\nDynamicUser=yes\nStateDirectory=counter\n\
        ExecStart=/bin/sh -c 'id -u >> $STATE_DIRECTORY/runs && echo uid=$(id -u) && wc -l < $STATE_DIRECTORY/runs'\n";
    // User= names the dynamic user; no such user exists.
    let named = "[Service]\nType=oneshot\nDynamicUser=yes\nUser=sundial-dyn-test\n\
        ExecStart=/bin/sh -c 'echo user=$USER uid=$(id -u)'\n";
    let (mut d, _) = daemon_with_roots(
        tmp.path(),
        &[("dyn.service", unit), ("named.service", named)],
    );
    d.start();
    d.start_unit("dyn.service");
    d.start_unit("dyn.service");
    let lines = d.log_lines("dyn.service");
    let uids: Vec<u32> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("uid="))
        .map(|u| u.parse().unwrap())
        .collect();
    assert_eq!(uids.len(), 2, "{lines:?}");
    assert!((61184..=65519).contains(&uids[0]), "{uids:?}");
    assert_eq!(uids[0], uids[1], "stable per unit");
    assert!(
        lines.contains(&"2".to_owned()),
        "the second run saw the first's write: {lines:?}"
    );
    let state = tmp.path().join("roots/var/lib");
    assert!(state
        .join("counter")
        .symlink_metadata()
        .unwrap()
        .is_symlink());
    let private = state.join("private/counter");
    assert_eq!(std::fs::metadata(&private).unwrap().uid(), uids[0]);
    d.start_unit("named.service");
    let named = d.log_lines("named.service");
    let line = named
        .iter()
        .find(|l| l.starts_with("user="))
        .unwrap_or_else(|| panic!("{named:?}"));
    assert!(line.starts_with("user=sundial-dyn-test uid="), "{line}");
}

#[test]
fn load_credential_is_private_to_the_service_and_gone_after_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let secret_value = "s3cr3t-7f1e2d";
    let secret = tmp.path().join("secret");
    std::fs::write(&secret, secret_value).unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    let user = if is_root() { "User=nobody\n" } else { "" };
    if is_root() {
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let unit = format!(
        "[Service]\nType=oneshot\n{user}LoadCredential=token:{}\nSetCredential=plain:visible-only-to-it\n\
         ExecStart=/bin/sh -c 'echo dir=$CREDENTIALS_DIRECTORY; stat -c \"%%a %%U\" $CREDENTIALS_DIRECTORY $CREDENTIALS_DIRECTORY/token; \
         test \"$(cat $CREDENTIALS_DIRECTORY/token)\" = {secret_value} && echo read=ok; sleep 2'\n",
        secret.display()
    );
    let (mut d, run) = daemon_with_roots(tmp.path(), &[("cred.service", &unit)]);
    d.start();
    // Started without waiting: the test looks while it runs.
    let _ = d.call(Request::Start(sundial::ipc::UnitsRequest {
        units: vec!["cred.service".into()],
    }));
    let dir = run.join("credentials/cred.service");
    let token = dir.join("token");
    let seen = daemon_support::wait_for(std::time::Duration::from_secs(10), || {
        d.log_lines("cred.service").iter().any(|l| l == "read=ok")
    });
    let lines = d.log_lines("cred.service");
    assert!(seen, "{lines:?} {}", d.stderr());
    assert!(
        lines.contains(&format!("dir={}", dir.display())),
        "{lines:?}"
    );
    let owner = if is_root() {
        "nobody".to_owned()
    } else {
        nix::unistd::User::from_uid(nix::unistd::geteuid())
            .unwrap()
            .unwrap()
            .name
    };
    assert!(lines.contains(&format!("500 {owner}")), "{lines:?}");
    assert!(lines.contains(&format!("400 {owner}")), "{lines:?}");
    if is_root() {
        // Another user cannot read it.
        let other = std::process::Command::new("/bin/cat")
            .arg(&token)
            .uid(65533)
            .gid(65533)
            .output()
            .unwrap();
        assert!(!other.status.success(), "another uid read the credential");
    }
    // Never in logs or properties.
    let show = d.call(Request::Show(ShowRequest {
        units: vec!["cred.service".into()],
        properties: Vec::new(),
    }));
    let shown = format!("{show:?}");
    assert!(matches!(show, Response::Properties { .. }), "{shown}");
    for text in [&shown, &lines.join("\n"), &d.stderr(), &d.stdout()] {
        assert!(!text.contains(secret_value), "the secret leaked: {text}");
        assert!(
            !text.contains("visible-only-to-it"),
            "the secret leaked: {text}"
        );
    }
    assert!(
        daemon_support::wait_for(std::time::Duration::from_secs(10), || !dir.exists()),
        "the credentials directory outlived the run"
    );
    assert_eq!(
        d.finished("cred.service")[0].result,
        Some(RunResult::Success)
    );
}

#[test]
fn encrypted_credentials_and_pam_refuse_the_start() {
    let tmp = tempfile::tempdir().unwrap();
    let enc = "[Service]\nType=oneshot\nSetCredentialEncrypted=key:AAAA\nExecStart=/bin/true\n";
    let pam = "[Service]\nType=oneshot\nPAMName=login\nExecStart=/bin/true\n";
    let (mut d, _) = daemon_with_roots(tmp.path(), &[("enc.service", enc), ("pam.service", pam)]);
    d.start();
    for (unit, code, says) in [
        (
            "enc.service",
            243,
            "encrypted credentials are not supported",
        ),
        ("pam.service", 224, "PAM sessions are not supported"),
    ] {
        let _ = d.call(Request::Start(sundial::ipc::UnitsRequest {
            units: vec![unit.into()],
        }));
        let ran = daemon_support::wait_for(std::time::Duration::from_secs(10), || {
            !d.finished(unit).is_empty()
        });
        assert!(ran, "{unit} did not finish");
        let run = &d.finished(unit)[0];
        assert_eq!(run.result, Some(RunResult::ExitCode), "{run:?}");
        assert_eq!(run.status, Some(ExitStatus::Code(code)), "{run:?}");
        let logs = d.log_lines(unit).join("\n");
        assert!(logs.contains(says), "{unit}: {logs}");
    }
}

#[test]
fn refuse_manual_start_refuses_the_client_but_not_a_timer() {
    let tmp = tempfile::tempdir().unwrap();
    let service = "[Unit]\nRefuseManualStart=yes\nRefuseManualStop=yes\n[Service]\nType=oneshot\nExecStart=/bin/echo ran\n";
    let timer = "[Timer]\nOnActiveSec=1s\nAccuracySec=1us\n";
    let mut d = Daemon::new(
        tmp.path(),
        &[("guarded.service", service), ("guarded.timer", timer)],
    );
    d.start();
    let start = |unit: &str| {
        d.call(Request::Start(sundial::ipc::UnitsRequest {
            units: vec![unit.into()],
        }))
    };
    match start("guarded.service") {
        Response::Error { message, .. } => assert_eq!(
            message,
            "Failed to start guarded.service: Operation refused, unit guarded.service may be requested by dependency only (it is configured to refuse manual start/stop)."
        ),
        other => panic!("started by hand: {other:?}"),
    }
    match d.call(Request::Stop(sundial::ipc::UnitsRequest {
        units: vec!["guarded.service".into()],
    })) {
        Response::Error { message, .. } => {
            assert!(message.contains("Operation refused"), "{message}")
        }
        other => panic!("stopped by hand: {other:?}"),
    }
    assert!(d.history("guarded.service").is_empty());
    assert!(matches!(start("guarded.timer"), Response::Done { .. }));
    let ran = daemon_support::wait_for(std::time::Duration::from_secs(20), || {
        !d.finished("guarded.service").is_empty()
    });
    assert!(ran, "the timer did not start it: {}", d.stderr());
    assert_eq!(
        d.finished("guarded.service")[0].result,
        Some(RunResult::Success)
    );
}

#[test]
fn success_action_exit_ends_the_daemon_with_the_unit_s_status() {
    let tmp = tempfile::tempdir().unwrap();
    let unit = "[Unit]\nSuccessAction=exit\n[Service]\nType=oneshot\nSuccessExitStatus=7\nExecStart=/bin/sh -c 'exit 7'\n";
    let mut d = Daemon::new(tmp.path(), &[("job.service", unit)]);
    d.start();
    start_without_answer(&d, "job.service");
    assert_eq!(d.wait_exit(), Some(7), "{}", d.stderr());

    let tmp = tempfile::tempdir().unwrap();
    let unit = "[Unit]\nFailureAction=exit\nFailureActionExitStatus=42\n[Service]\nType=oneshot\nExecStart=/bin/false\n";
    let mut d = Daemon::new(tmp.path(), &[("job.service", unit)]);
    d.start();
    start_without_answer(&d, "job.service");
    assert_eq!(d.wait_exit(), Some(42), "{}", d.stderr());
}

/// Asks for a start whose answer may never come (the daemon exits).
fn start_without_answer(d: &Daemon, unit: &str) {
    let mut client = sundial::ipc::Client::connect(&d.socket).expect("connects");
    let _ = client.call(&Request::Start(sundial::ipc::UnitsRequest {
        units: vec![unit.into()],
    }));
}

#[test]
fn scheduling_settings_and_sigpipe_reach_the_service() {
    // Allowed to any user: narrowing the CPUs, the idle I/O class, the
    // batch policy.
    let tmp = tempfile::tempdir().unwrap();
    let sched = "[Service]\nType=oneshot\nCPUAffinity=0\nIOSchedulingClass=idle\nCPUSchedulingPolicy=batch\n\
        ExecStart=/bin/sh -c 'grep Cpus_allowed_list /proc/self/status; ionice -p $$$$; chrt -p $$$$ | head -1'\n";
    let pipe_default = "[Service]\nType=oneshot\nExecStart=/bin/grep SigIgn /proc/self/status\n";
    let pipe_off =
        "[Service]\nType=oneshot\nIgnoreSIGPIPE=no\nExecStart=/bin/grep SigIgn /proc/self/status\n";
    let mut d = Daemon::new(
        tmp.path(),
        &[
            ("sched.service", sched),
            ("pipe.service", pipe_default),
            ("nopipe.service", pipe_off),
        ],
    );
    d.start();
    for unit in ["sched.service", "pipe.service", "nopipe.service"] {
        d.start_unit(unit);
    }
    let lines = d.log_lines("sched.service");
    assert_eq!(status_field(&lines, "Cpus_allowed_list"), "0");
    assert!(lines.iter().any(|l| l == "idle"), "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("SCHED_BATCH")), "{lines:?}");
    let sigpipe = 1u64 << (libc::SIGPIPE - 1);
    let ignored = |unit| hex_mask(&status_field(&d.log_lines(unit), "SigIgn"));
    assert_ne!(ignored("pipe.service") & sigpipe, 0, "ignored by default");
    assert_eq!(ignored("nopipe.service") & sigpipe, 0);
}

#[test]
fn a_run_taken_over_after_a_reexec_or_a_crash_still_releases_its_directories() {
    let tmp = tempfile::tempdir().unwrap();
    let unit =
        "[Service]\nRuntimeDirectory=live\nSetCredential=token:abc\nExecStart=/bin/sleep 600\n";
    let (mut d, run) = daemon_with_roots(tmp.path(), &[("live.service", unit)]);
    d.start();
    d.start_unit("live.service");
    let dir = run.join("live");
    let creds = run.join("credentials/live.service");
    assert!(dir.is_dir() && creds.is_dir());
    // The connection ends with the exec.
    let mut client = sundial::ipc::Client::connect(&d.socket).unwrap();
    let _ = client.call(&Request::DaemonReexec);
    assert!(daemon_support::wait_for(
        std::time::Duration::from_secs(10),
        || d.stderr().contains("re-executed:")
    ));
    d.stop_unit("live.service");
    assert!(
        !dir.exists(),
        "the runtime directory outlived a re-executed run"
    );
    assert!(
        !creds.exists(),
        "the credentials outlived a re-executed run"
    );

    // A killed daemon's run, taken over by the next.
    d.start_unit("live.service");
    assert!(dir.is_dir() && creds.is_dir());
    d.kill9();
    d.start();
    assert!(dir.is_dir(), "kept while the adopted run goes on");
    d.stop_unit("live.service");
    assert!(
        daemon_support::wait_for(std::time::Duration::from_secs(10), || !dir.exists()
            && !creds.exists()),
        "the directories outlived an adopted run: {}",
        d.stderr()
    );
}

#[test]
fn the_daemon_s_own_credentials_are_passed_on_and_imported() {
    let tmp = tempfile::tempdir().unwrap();
    let passed = tmp.path().join("passed");
    std::fs::create_dir(&passed).unwrap();
    std::fs::write(passed.join("db.password"), "pw-from-daemon").unwrap();
    std::fs::write(passed.join("app.one"), "one").unwrap();
    std::fs::write(passed.join("other"), "not imported").unwrap();
    let unit = "[Service]\nType=oneshot\nLoadCredential=db.password\nImportCredential=app.*\n\
        ExecStart=/bin/sh -c 'cd $CREDENTIALS_DIRECTORY && echo files=$(ls | tr \"\\\\n\" \" \") && echo read=$(cat db.password)+$(cat app.one)'\n";
    let (d, _) = daemon_with_roots(tmp.path(), &[("imp.service", unit)]);
    let mut d = d.env("CREDENTIALS_DIRECTORY", passed.to_str().unwrap());
    d.start();
    d.start_unit("imp.service");
    let lines = d.log_lines("imp.service");
    assert!(
        lines.contains(&"files=app.one db.password".to_owned()),
        "{lines:?}"
    );
    // What the service printed is its credentials' text, proving it read them.
    assert!(
        lines.contains(&"read=pw-from-daemon+one".to_owned()),
        "{lines:?}"
    );
}
