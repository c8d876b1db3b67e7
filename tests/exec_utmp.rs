//! UtmpIdentifier= and UtmpMode= through the daemon: the records of a
//! service's start and end in utmp and wtmp files the daemon is pointed at
//! (`SUNDIAL_UTMP`, `SUNDIAL_WTMP`, in the test's directory: the host's
//! /var/run/utmp is never touched), read back with sundial's reader and,
//! where util-linux's `utmpdump` is installed, with it.
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use daemon_support::{wait_for, Daemon};
use sundial::supervisor::utmp::{read_all, Record};

fn text(field: &[libc::c_char]) -> String {
    field
        .iter()
        .take_while(|c| **c != 0)
        .map(|c| *c as u8 as char)
        .collect()
}

fn records(path: &Path) -> Vec<Record> {
    read_all(path).unwrap_or_default()
}

/// `utmpdump FILE`'s lines, if utmpdump is installed.
fn utmpdump(path: &Path) -> Option<Vec<String>> {
    let out = Command::new("utmpdump").arg(path).output().ok()?;
    assert!(out.status.success(), "utmpdump: {out:?}");
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect(),
    )
}

fn daemon(dir: &Path, units: &[(&str, &str)]) -> Daemon {
    let mut d = Daemon::new(dir, units)
        .env("SUNDIAL_UTMP", dir.join("utmp").to_str().unwrap())
        .env("SUNDIAL_WTMP", dir.join("wtmp").to_str().unwrap());
    d.start();
    d
}

fn own_user_name() -> String {
    nix::unistd::User::from_uid(nix::unistd::geteuid())
        .unwrap()
        .map_or_else(|| "root".to_owned(), |u| u.name)
}

#[test]
fn a_user_mode_service_is_a_login_until_it_stops() {
    let dir = tempfile::tempdir().unwrap();
    let unit = "[Service]\nUtmpIdentifier=sd42\nUtmpMode=user\nTTYPath=/dev/pts/sundial-test\n\
                StandardOutput=journal\nExecStart=/bin/sleep 60\n";
    let d = daemon(
        dir.path(),
        &[
            ("login.service", unit),
            ("plain.service", "[Service]\nExecStart=/bin/sleep 60\n"),
        ],
    );
    let (utmp, wtmp) = (dir.path().join("utmp"), dir.path().join("wtmp"));
    d.start_unit("plain.service");
    assert!(
        !utmp.exists() && !wtmp.exists(),
        "a unit without UtmpIdentifier= writes nothing"
    );

    d.start_unit("login.service");
    let pid: i32 = d
        .property(Some("login.service"), "MainPID")
        .parse()
        .unwrap();
    assert!(pid > 0);
    let u = records(&utmp);
    assert_eq!(u.len(), 1, "one entry per identifier");
    assert_eq!(u[0].ut_type, libc::USER_PROCESS);
    assert_eq!((u[0].ut_pid, u[0].ut_session), (pid, pid));
    assert_eq!(text(&u[0].ut_id), "sd42");
    assert_eq!(text(&u[0].ut_line), "pts/sundial-test");
    assert_eq!(text(&u[0].ut_user), own_user_name());
    let w = records(&wtmp);
    let types: Vec<_> = w.iter().map(|r| r.ut_type).collect();
    assert_eq!(
        types,
        [libc::INIT_PROCESS, libc::LOGIN_PROCESS, libc::USER_PROCESS]
    );
    if let Some(lines) = utmpdump(&utmp) {
        let want = format!("[7] [{pid:05}] [sd42] [{}", own_user_name());
        assert!(
            lines.iter().any(|l| l.starts_with(&want)),
            "{want} in {lines:?}"
        );
    } else {
        eprintln!("utmpdump not installed: the records were read by sundial's reader only");
    }

    d.stop_unit("login.service");
    assert!(wait_for(Duration::from_secs(10), || records(&utmp)
        .first()
        .is_some_and(|r| r.ut_type == libc::DEAD_PROCESS)));
    let u = records(&utmp);
    assert_eq!(u.len(), 1);
    assert_eq!(u[0].ut_pid, pid);
    assert_eq!(
        (u[0].ut_exit.e_termination, u[0].ut_exit.e_exit),
        (libc::CLD_KILLED as i16, libc::SIGTERM as i16)
    );
    assert_eq!(
        text(&u[0].ut_user),
        "",
        "systemd clears the user of a dead entry"
    );
    let w = records(&wtmp);
    assert_eq!(w.len(), 4);
    assert_eq!(w[3].ut_type, libc::DEAD_PROCESS);
    assert_ne!(w[3].ut_tv.tv_sec, 0, "wtmp's end has its time");
    if let Some(lines) = utmpdump(&wtmp) {
        assert_eq!(lines.len(), 4, "{lines:?}");
        assert!(
            lines[3].starts_with(&format!("[8] [{pid:05}] [sd42]")),
            "{lines:?}"
        );
    }
}

#[test]
fn init_mode_writes_one_record_per_command_and_ends_each() {
    let dir = tempfile::tempdir().unwrap();
    let unit = "[Service]\nType=oneshot\nUtmpIdentifier=one\nExecStartPre=/bin/true\nExecStart=/bin/sh -c 'exit 3'\n";
    let d = daemon(dir.path(), &[("init.service", unit)]);
    let _ = d.call(sundial::ipc::Request::Start(sundial::ipc::UnitsRequest {
        units: vec!["init.service".into()],
    }));
    assert!(wait_for(Duration::from_secs(10), || !d
        .finished("init.service")
        .is_empty()));
    let w = records(&dir.path().join("wtmp"));
    let seen: Vec<_> = w.iter().map(|r| (r.ut_type, r.ut_exit.e_exit)).collect();
    // Each command: its INIT_PROCESS record, then its end.
    assert_eq!(
        seen,
        [
            (libc::INIT_PROCESS, 0),
            (libc::DEAD_PROCESS, 0),
            (libc::INIT_PROCESS, 0),
            (libc::DEAD_PROCESS, 3)
        ]
    );
    assert_ne!(w[0].ut_pid, w[2].ut_pid);
    let u = records(&dir.path().join("utmp"));
    assert_eq!(u.len(), 1);
    assert_eq!(
        (u[0].ut_type, u[0].ut_pid, u[0].ut_exit.e_termination),
        (libc::DEAD_PROCESS, w[2].ut_pid, libc::CLD_EXITED as i16)
    );
    assert_eq!(text(&u[0].ut_line), "", "no TTYPath=: no line");
}
