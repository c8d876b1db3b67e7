//! Issue 12, item 10: the compatibility bugs found by running Debian 12's
//! unit files and differential runs against systemd 252, in the issue's
//! order. Every check runs the real binary (a daemon in a temp dir where a
//! daemon is needed); where systemd-analyze is installed, its answer is
//! compared too.

// Test helpers may panic: a failure is the test's verdict.
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use daemon_support::Daemon;

const SUNDIAL: &str = env!("CARGO_BIN_EXE_sundial");

/// The locale variables a test sets or clears explicitly.
const LOCALE_VARS: [&str; 14] = [
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_CTYPE",
    "LC_MESSAGES",
    "LC_NUMERIC",
    "LC_TIME",
    "LC_COLLATE",
    "LC_MONETARY",
    "LC_PAPER",
    "LC_NAME",
    "LC_ADDRESS",
    "LC_TELEPHONE",
    "LC_MEASUREMENT",
];

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn systemd_analyze_available() -> bool {
    Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `program ARGS` with only the locale variables of `locale` set.
fn with_locale(program: &str, args: &[&str], locale: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(program);
    cmd.args(args);
    for v in LOCALE_VARS {
        cmd.env_remove(v);
    }
    for (k, v) in locale {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

// ---- `μs` or `us` in `timespan` ---------------------------------------

#[test]
fn timespan_labels_microseconds_by_locale_as_systemd_analyze() {
    // systemd 252's is_locale_utf8(): the μ glyph in a UTF-8 locale, and in
    // the implicit C locale when no LC_ALL, LC_CTYPE or LANG is set at all.
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("LC_ALL", "C")], "us:"),
        (&[("LANG", "POSIX")], "us:"),
        (&[("LANG", "C")], "us:"),
        (&[("LC_CTYPE", "C")], "us:"),
        (&[("LANG", "")], "us:"),
        (&[("LANG", "C.UTF-8")], "μs:"),
        (&[("LC_ALL", "C.UTF-8"), ("LANG", "C")], "μs:"),
        (&[("LANG", "C.UTF-8"), ("LC_CTYPE", "POSIX")], "us:"),
        (&[("LC_MESSAGES", "C")], "μs:"),
        (&[], "μs:"),
    ];
    let compare = systemd_analyze_available();
    if !compare {
        eprintln!("systemd-analyze not found: checking sundial's labels only");
    }
    for (locale, label) in cases {
        let ours = with_locale(SUNDIAL, &["timespan", "1.5s"], locale);
        assert!(ours.status.success());
        let ours = text(&ours.stdout);
        assert_eq!(
            ours,
            format!("Original: 1.5s\n      {label} 1500000\n   Human: 1.500000s\n"),
            "locale {locale:?}"
        );
        if compare {
            let theirs = with_locale("systemd-analyze", &["timespan", "1.5s"], locale);
            assert_eq!(ours, text(&theirs.stdout), "locale {locale:?}");
        }
    }
}

// ---- `simulate --seed`: a timer's random delays ------------------------

/// `(start_usec, random_delay_usec)` of every start of `timer` that
/// `sundial simulate --seed SEED` lists for the units in `dir`, simulating
/// `only` (every timer when empty).
fn simulated_delays(dir: &Path, seed: u64, only: &[&str], timer: &str) -> Vec<(u64, u64)> {
    let seed = seed.to_string();
    let mut args = vec![
        "simulate",
        "--unit-dir",
        dir.to_str().unwrap(),
        "--from",
        "2026-03-01 00:00 UTC",
        "--for",
        "2d",
        "--seed",
        &seed,
        "--output",
        "json",
    ];
    args.extend_from_slice(only);
    let out = Command::new(SUNDIAL)
        .args(&args)
        .env("TZ", "UTC")
        .env_remove("SUNDIAL_UNIT_PATH")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let starts: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    starts
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["timer"] == timer)
        .map(|s| {
            (
                s["start_usec"].as_u64().unwrap(),
                s["random_delay_usec"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn simulate_seed_gives_a_timer_the_same_delays_whatever_else_is_simulated() {
    let dir = tempfile::tempdir().unwrap();
    let unit = |name: &str, body: &str| fs::write(dir.path().join(name), body).unwrap();
    unit(
        "backup.timer",
        "[Timer]\nOnCalendar=*-*-* 00/6:00\nRandomizedDelaySec=2h\n",
    );
    unit("backup.service", "[Service]\nExecStart=/bin/true\n");
    unit(
        "often.timer",
        "[Timer]\nOnCalendar=*:0/7\nRandomizedDelaySec=5min\n",
    );
    unit("often.service", "[Service]\nExecStart=/bin/true\n");
    unit(
        "boot.timer",
        "[Timer]\nOnBootSec=1h\nOnUnitActiveSec=3h\nRandomizedDelaySec=30min\n",
    );
    unit("boot.service", "[Service]\nExecStart=/bin/true\n");

    let alone = simulated_delays(dir.path(), 42, &["backup.timer"], "backup.timer");
    assert_eq!(alone.len(), 7, "{alone:?}");
    assert!(alone.iter().any(|(_, delay)| *delay > 0), "{alone:?}");
    let with_one = simulated_delays(
        dir.path(),
        42,
        &["backup.timer", "often.timer"],
        "backup.timer",
    );
    let with_all = simulated_delays(dir.path(), 42, &[], "backup.timer");
    assert_eq!(alone, with_one, "often.timer changed backup.timer's delays");
    assert_eq!(
        alone, with_all,
        "the other timers changed backup.timer's delays"
    );
    // The same for the monotonic timer, and another seed is another outcome.
    let boot_alone = simulated_delays(dir.path(), 42, &["boot.timer"], "boot.timer");
    assert!(boot_alone.len() > 10, "{boot_alone:?}");
    assert_eq!(
        boot_alone,
        simulated_delays(dir.path(), 42, &[], "boot.timer")
    );
    assert_ne!(
        alone,
        simulated_delays(dir.path(), 43, &["backup.timer"], "backup.timer")
    );
}

// ---- verify stops reading a file at a fatal problem ---------------------

/// `sundial verify ARGS` in `dir` (no unit path from the environment): exit
/// status and stderr.
fn verify(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(SUNDIAL)
        .arg("verify")
        .args(args)
        .current_dir(dir)
        .env_remove("SUNDIAL_UNIT_PATH")
        .output()
        .unwrap();
    (out.status.success(), text(&out.stderr))
}

/// `systemd-analyze verify ARGS` in `dir`, when it is installed: exit
/// status and the `path:line` of each problem it reports (its wording is
/// not sundial's).
fn systemd_verify_lines(dir: &Path, args: &[&str]) -> Option<(bool, Vec<String>)> {
    if !systemd_analyze_available() {
        eprintln!("systemd-analyze not found: checking sundial alone");
        return None;
    }
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .args(args)
        .current_dir(dir)
        .env("SYSTEMD_LOG_LEVEL", "info")
        .output()
        .unwrap();
    Some((out.status.success(), locations(&text(&out.stderr))))
}

/// The `path:line` of each `path:line: message` line.
fn locations(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|l| {
            let (path, rest) = l.split_once(':')?;
            let (line, _) = rest.split_once(':')?;
            line.parse::<usize>().ok().map(|_| format!("{path}:{line}"))
        })
        .collect()
}

#[test]
fn verify_stops_reading_a_unit_file_at_a_fatal_problem() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().canonicalize().unwrap();
    let write = |name: &str, body: &str| {
        let path = d.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, body).unwrap();
    };
    write(
        "quote.service",
        "[Unit]\nFoo=1\n[Service]\nExecStart=/bin/echo \"open\nBar=2\nType=bogus\n",
    );
    write("quote.service.d/extra.conf", "[Service]\nBaz=3\n");
    write(
        "tilde.service",
        "[Service]\nExecStart=~/bin/x\nRestart=sometimes\n",
    );
    write("dropin.service", "[Service]\nExecStart=/bin/true\n");
    write("dropin.service.d/a.conf", "[Service]\nUser=a:b\nFoo=1\n");
    write("dropin.service.d/b.conf", "[Service]\nBar=1\n");
    let p = |name: &str| d.join(name).display().to_string();

    let (ok, stderr) = verify(&d, &["./quote.service"]);
    assert!(!ok);
    assert_eq!(
        stderr,
        format!(
            "{q}:2: Unknown key 'Foo' in section [Unit], ignoring.\n\
             {q}:4: ExecStart=: unbalanced quoting in '\"open'\n\
             {q}: Unit configuration has fatal error, unit will not be started.\n\
             ./quote.service: Unit quote.service has a bad unit file setting.\n",
            q = p("quote.service")
        )
    );
    if let Some((valid, lines)) = systemd_verify_lines(&d, &["./quote.service"]) {
        assert!(!valid);
        assert_eq!(lines, locations(&stderr));
    }

    let (ok, stderr) = verify(&d, &["./tilde.service"]);
    assert!(!ok);
    assert_eq!(
        stderr,
        format!(
            "{t}:2: ExecStart=: neither a valid executable name nor an absolute path: '~/bin/x'\n\
             {t}: Unit configuration has fatal error, unit will not be started.\n\
             ./tilde.service: Unit tilde.service has a bad unit file setting.\n",
            t = p("tilde.service")
        )
    );
    if let Some((valid, lines)) = systemd_verify_lines(&d, &["./tilde.service"]) {
        assert!(!valid);
        assert_eq!(lines, locations(&stderr));
    }

    // A fatal problem in a drop-in ends that drop-in only, and the unit
    // still loads: systemd ignores drop-ins' parse errors.
    let (ok, stderr) = verify(&d, &["./dropin.service"]);
    assert!(ok, "{stderr}");
    assert_eq!(
        stderr,
        format!(
            "{a}:2: User=: invalid user or group name 'a:b'\n\
             {b}:2: Unknown key 'Bar' in section [Service], ignoring.\n",
            a = p("dropin.service.d/a.conf"),
            b = p("dropin.service.d/b.conf"),
        )
    );
    if let Some((valid, lines)) = systemd_verify_lines(&d, &["./dropin.service"]) {
        assert!(valid);
        assert_eq!(lines, locations(&stderr));
    }
}

// ---- SuccessAction= ----------------------------------------------------

#[test]
fn success_action_units_verify_as_in_systemd() {
    // Debian 12's own files: systemd-reboot.service has no command, only
    // SuccessAction=reboot-force; the targets require it.
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/units-compat/debian12/system");
    for unit in [
        "systemd-reboot.service",
        "reboot.target",
        "ctrl-alt-del.target",
        "runlevel6.target",
        "systemd-poweroff.service",
        "poweroff.target",
        "runlevel0.target",
        "systemd-exit.service",
        "exit.target",
    ] {
        let out = Command::new(SUNDIAL)
            .args(["verify", "--system", "--unit-dir"])
            .arg(&corpus)
            .arg(corpus.join(unit))
            .env_remove("SUNDIAL_UNIT_PATH")
            .output()
            .unwrap();
        let stderr = text(&out.stderr);
        assert!(out.status.success(), "{unit}: {stderr}");
        assert!(
            !stderr.contains("SuccessAction") && !stderr.contains("Refusing"),
            "{unit}: {stderr}"
        );
    }

    // What systemd says about the setting itself, and nothing more.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().canonicalize().unwrap();
    let case = |name: &str, action: &str| {
        fs::write(
            d.join(name),
            format!("[Unit]\nSuccessAction={action}\n[Service]\n"),
        )
        .unwrap();
    };
    case("reboot.service", "reboot");
    case("none.service", "none");
    case("bogus.service", "bogus");
    let path = |name: &str| d.join(name).display().to_string();
    assert_eq!(
        verify(&d, &["--system", "./reboot.service"]),
        (true, String::new())
    );
    // A user manager can only exit (systemd: "using exit-force instead").
    assert_eq!(
        verify(&d, &["--user", "./reboot.service"]),
        (
            true,
            format!(
                "{}:2: SuccessAction=: in user mode specified as \"reboot\", using \"exit-force\" instead\n",
                path("reboot.service")
            )
        )
    );
    // `none` is no action: a service without commands is refused.
    assert_eq!(
        verify(&d, &["--system", "./none.service"]),
        (
            false,
            format!(
                "{}: Service has no ExecStart=, ExecStop=, or SuccessAction=. Refusing.\n\
                 ./none.service: Unit none.service has a bad unit file setting.\n",
                path("none.service")
            )
        )
    );
    let (ok, stderr) = verify(&d, &["--system", "./bogus.service"]);
    assert!(!ok);
    assert!(
        stderr.starts_with(&format!(
            "{}:2: SuccessAction=: invalid value 'bogus', expected one of: none, reboot,",
            path("bogus.service")
        )),
        "{stderr}"
    );
    for (unit, valid) in [
        ("reboot.service", true),
        ("none.service", false),
        ("bogus.service", false),
    ] {
        if let Some((systemd_valid, lines)) = systemd_verify_lines(&d, &[&format!("./{unit}")]) {
            let (ours, stderr) = verify(&d, &["--system", &format!("./{unit}")]);
            assert_eq!((ours, systemd_valid), (valid, valid), "{unit}");
            assert_eq!(lines, locations(&stderr), "{unit}");
        }
    }
}

// ---- devices, mounts, swaps, slices, scopes ----------------------------

/// `sundial --socket SOCKET ARGS` for the daemon `d`.
fn ctl(d: &Daemon, args: &[&str]) -> Output {
    Command::new(SUNDIAL)
        .arg("--socket")
        .arg(&d.socket)
        .args(args)
        .env("LANG", "C.UTF-8")
        .env("TZ", "UTC")
        .output()
        .unwrap()
}

const ON_A_TTY: &str = "[Unit]\n\
    BindsTo=dev-%i.device\nAfter=dev-%i.device\n\
    Requires=-.mount sundial\\x2dnowhere.mount sundial-none.swap\n\
    Wants=system-sundial.slice init.scope sundial-none.scope\n\
    [Service]\nType=oneshot\nExecStart=/bin/echo on %I\n";

#[test]
fn devices_mounts_swaps_slices_and_scopes_exist_without_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().canonicalize().unwrap();
    fs::write(d.join("on-tty@.service"), ON_A_TTY).unwrap();
    fs::write(
        d.join("needs-socket.service"),
        "[Unit]\nRequires=sundial-none.socket\n[Service]\nExecStart=/bin/true\n",
    )
    .unwrap();
    // verify: never an error (systemd-analyze agrees for devices and slices;
    // see KNOWN-DIFFERENCES.md for mounts, swaps and scopes).
    assert_eq!(
        verify(&d, &["--user", "./on-tty@.service"]),
        (true, String::new())
    );
    // A socket still needs its file, as in systemd.
    assert_eq!(
        verify(&d, &["--user", "./needs-socket.service"]),
        (
            false,
            "./needs-socket.service: needs-socket.service: Failed to create \
             needs-socket.service/start: Unit sundial-none.socket not found.\n"
                .to_owned()
        )
    );

    // The daemon starts the service and shows these units as the host has
    // them.
    let mut daemon = Daemon::new(dir.path(), &[("on-tty@.service", ON_A_TTY)]);
    daemon.start();
    let start = ctl(&daemon, &["start", "on-tty@null.service"]);
    assert!(start.status.success(), "{}", text(&start.stderr));
    let show = |unit: &str| {
        let out = ctl(
            &daemon,
            &[
                "show",
                "-p",
                "LoadState",
                "-p",
                "ActiveState",
                "-p",
                "SubState",
                "--",
                unit,
            ],
        );
        assert!(out.status.success(), "{unit}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    let state = |load: &str, active: &str, sub: &str| {
        format!("LoadState={load}\nActiveState={active}\nSubState={sub}\n")
    };
    assert_eq!(
        show("dev-null.device"),
        state("loaded", "active", "plugged")
    );
    assert_eq!(
        show("dev-sundial\\x2dnone.device"),
        state("loaded", "inactive", "dead")
    );
    assert_eq!(show("-.mount"), state("loaded", "active", "mounted"));
    assert_eq!(
        show("sundial\\x2dnowhere.mount"),
        state("loaded", "inactive", "dead")
    );
    assert_eq!(
        show("sundial-none.swap"),
        state("loaded", "inactive", "dead")
    );
    assert_eq!(show("-.slice"), state("loaded", "active", "active"));
    assert_eq!(
        show("sundial-none.scope"),
        state("loaded", "inactive", "dead")
    );
    // A mount point of this host is active whatever it is.
    let proc_mounted = fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .any(|l| l.split(' ').nth(4) == Some("/proc"));
    if proc_mounted {
        assert_eq!(show("proc.mount"), state("loaded", "active", "mounted"));
    }

    let status = ctl(&daemon, &["status", "dev-null.device"]);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status.stderr));
    assert_eq!(
        text(&status.stdout),
        "● dev-null.device\n     Loaded: loaded\n     Active: active (plugged)\n"
    );
    let is_active = ctl(
        &daemon,
        &["is-active", "--", "dev-sundial\\x2dnone.device", "-.mount"],
    );
    assert_eq!(text(&is_active.stdout), "inactive\nactive\n");
    // A socket has no such existence.
    let status = ctl(&daemon, &["status", "sundial-none.socket"]);
    assert_eq!(status.status.code(), Some(4));
}

// ---- Assert*= ----------------------------------------------------------

#[test]
fn a_failed_assertion_fails_the_start_job() {
    let dir = tempfile::tempdir().unwrap();
    let units = [
        (
            "asserts.service",
            "[Unit]\nDescription=Needs a path\nAssertPathExists=/sundial/nonexistent\n\
             OnFailure=hook.service\n[Service]\nType=oneshot\nExecStart=/bin/true\n",
        ),
        (
            "holds.service",
            "[Unit]\nAssertPathIsDirectory=/\n[Service]\nType=oneshot\nExecStart=/bin/true\n",
        ),
        (
            "skips.service",
            "[Unit]\nConditionPathExists=/sundial/nonexistent\n\
             AssertPathExists=/sundial/nonexistent\n\
             [Service]\nType=oneshot\nExecStart=/bin/true\n",
        ),
        (
            "hook.service",
            "[Service]\nType=oneshot\nExecStart=/bin/true\n",
        ),
    ];
    let mut daemon = Daemon::new(dir.path(), &units);
    daemon.start();

    // As systemctl: the job fails, exit 1, no hint to look further.
    let start = ctl(&daemon, &["start", "asserts.service"]);
    assert_eq!(start.status.code(), Some(1));
    assert_eq!(
        text(&start.stderr),
        "Assertion failed on job for asserts.service.\n"
    );
    // The unit did not start and did not fail: no OnFailure=, no run.
    assert_eq!(
        daemon.property(Some("asserts.service"), "ActiveState"),
        "inactive"
    );
    assert_eq!(
        daemon.property(Some("hook.service"), "ActiveState"),
        "inactive"
    );
    assert!(daemon.history("hook.service").is_empty());
    assert!(daemon.history("asserts.service").is_empty());
    let logs = daemon.log_lines("asserts.service");
    assert!(
        logs.iter()
            .any(|l| l.contains("AssertPathExists=/sundial/nonexistent failed.")),
        "{logs:?}"
    );
    // An assertion that holds changes nothing; conditions come first and
    // skip without failing.
    let start = ctl(&daemon, &["start", "holds.service"]);
    assert!(start.status.success(), "{}", text(&start.stderr));
    assert_eq!(daemon.finished("holds.service").len(), 1);
    let start = ctl(&daemon, &["start", "skips.service"]);
    assert!(start.status.success(), "{}", text(&start.stderr));
}

// ---- the user manager's working directory ------------------------------

#[test]
fn a_user_daemon_runs_services_when_its_home_cannot_be_entered() {
    let dir = tempfile::tempdir().unwrap();
    let units = [
        (
            "where.service",
            "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo ran'\n",
        ),
        // An explicit directory is not "missing ok" unless it says so.
        (
            "strict.service",
            "[Service]\nType=oneshot\nWorkingDirectory=/sundial/nonexistent\nExecStart=/bin/true\n",
        ),
    ];
    // $HOME is gone: systemd's user manager runs its services anyway.
    let mut daemon = Daemon::new(dir.path(), &units).env("HOME", "/sundial/nonexistent/home");
    daemon.start();
    let start = ctl(&daemon, &["start", "where.service"]);
    assert!(start.status.success(), "{}", text(&start.stderr));
    assert!(daemon
        .log_lines("where.service")
        .contains(&"ran".to_owned()));
    let start = ctl(&daemon, &["start", "strict.service"]);
    assert_eq!(start.status.code(), Some(1));
    let exit = &daemon.finished("strict.service")[0];
    assert_eq!(
        exit.status,
        Some(sundial::store::ExitStatus::Code(200)),
        "{exit:?}"
    );
    drop(daemon);

    // User= that may not enter the manager's home (root's, mode 0700).
    if nix::unistd::geteuid().is_root() {
        let home = dir.path().join("root-home");
        fs::create_dir(&home).unwrap();
        fs::set_permissions(&home, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
        let dir2 = tempfile::tempdir().unwrap();
        let units = [(
            "as-nobody.service",
            "[Service]\nType=oneshot\nUser=nobody\nExecStart=/bin/sh -c 'echo ran as $USER'\n",
        )];
        let mut daemon = Daemon::new(dir2.path(), &units).env("HOME", home.to_str().unwrap());
        daemon.start();
        let start = ctl(&daemon, &["start", "as-nobody.service"]);
        assert!(start.status.success(), "{}", text(&start.stderr));
        assert!(daemon
            .log_lines("as-nobody.service")
            .contains(&"ran as nobody".to_owned()));
    } else {
        eprintln!("not root: the User= part needs root");
    }
}

#[test]
fn a_timer_whose_unit_fails_an_assertion_or_a_condition_waits_again() {
    // 2030-01-01 10:30:00 UTC on the daemon's manual clock.
    const START: i64 = 1_893_456_000_000_000 + 10 * 3_600_000_000 + 30 * 60_000_000;
    const HOUR: i64 = 3_600_000_000;
    let dir = tempfile::tempdir().unwrap();
    let timer = "[Timer]\nOnCalendar=hourly\nAccuracySec=1us\n[Install]\nWantedBy=timers.target\n";
    let mut d = Daemon::new(
        dir.path(),
        &[
            ("asserts.timer", timer),
            (
                "asserts.service",
                "[Unit]\nAssertPathExists=/sundial/nonexistent\n\
                 [Service]\nType=oneshot\nExecStart=/bin/true\n",
            ),
            ("skips.timer", timer),
            (
                "skips.service",
                "[Unit]\nConditionPathExists=/sundial/nonexistent\n\
                 [Service]\nType=oneshot\nExecStart=/bin/true\n",
            ),
        ],
    )
    .arg("--clock=manual")
    .env("SUNDIAL_ALLOW_MANUAL_CLOCK", "1")
    .env("SUNDIAL_MANUAL_CLOCK_START", &START.to_string())
    .env("TZ", "UTC");
    daemon_support::enable(&d.units, "timers.target", "asserts.timer");
    daemon_support::enable(&d.units, "timers.target", "skips.timer");
    d.start();
    // The control socket answers before the clock's does.
    let clock = d.state.join("clock.sock");
    assert!(daemon_support::wait_for(
        std::time::Duration::from_secs(10),
        || std::os::unix::net::UnixStream::connect(&clock).is_ok()
    ));
    let waits_for = |d: &Daemon, timer: &str, hour: &str| {
        daemon_support::wait_for(std::time::Duration::from_secs(10), || {
            d.property(Some(timer), "SubState") == "waiting"
                && d.property(Some(timer), "NextElapseUSecRealtime")
                    .contains(hour)
        })
    };
    for (elapse, next) in [(1, "2030-01-01 12:00:00"), (2, "2030-01-01 13:00:00")] {
        d.clock(&format!("set-realtime {}", START + elapse * HOUR));
        for timer in ["asserts.timer", "skips.timer"] {
            assert!(
                waits_for(&d, timer, next),
                "{timer} after elapse {elapse}: {} next {}",
                d.property(Some(timer), "SubState"),
                d.property(Some(timer), "NextElapseUSecRealtime")
            );
        }
    }
    let failed = d
        .log_lines("asserts.service")
        .iter()
        .filter(|l| l.contains("AssertPathExists=/sundial/nonexistent failed."))
        .count();
    assert_eq!(failed, 2);
    assert_eq!(d.history("skips.service").len(), 2);
}
