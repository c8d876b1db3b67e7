//! Golden tests: unit text in, typed model and exact messages out.

// Test helpers may panic: a failure is the test's verdict.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sundial::unit::assemble::{assemble, LexedFile, ParseEnv};
use sundial::unit::exec::ExecPrivileges;
use sundial::unit::lexer::lex;
use sundial::unit::service::{KillMode, Limit, RestartPolicy, StandardOutput};
use sundial::unit::{
    ConditionKind, DstPolicy, MonotonicBase, ServiceUnit, Signal, SpecifierContext, TimerTrigger,
    TimerUnit, Unit, UnitName,
};
use sundial_calendar::zone::BundledZones;
use sundial_calendar::{Timespan, Zone};

/// Parses `text` as the unit `name` at /u/`name`; returns the unit (if it
/// loads) and every message.
fn parse(name: &str, text: &str) -> (Option<Unit>, Vec<String>) {
    parse_files(name, &[(&format!("/u/{name}"), text)])
}

/// Parses the unit `name` from its fragment and drop-ins, `(path, text)` in
/// the loader's order; returns the unit (if it loads) and every message.
fn parse_files(name: &str, files: &[(&str, &str)]) -> (Option<Unit>, Vec<String>) {
    let zones = BundledZones::new();
    let ctx = SpecifierContext {
        hostname: "host.example".into(),
        ..SpecifierContext::system()
    };
    let env = ParseEnv {
        specifiers: &ctx,
        local_zone: &Zone::utc(),
        zones: &zones,
    };
    let unit_name = UnitName::parse(name).unwrap();
    let lexed: Vec<LexedFile> = files
        .iter()
        .map(|(path, text)| LexedFile {
            lexed: lex(Path::new(path), text),
            path: PathBuf::from(path),
        })
        .collect();
    let fragment = Path::new(files[0].0);
    let mut diags = Vec::new();
    let unit = assemble(&unit_name, Some(fragment), &lexed, &env, &mut diags);
    (unit, diags.iter().map(ToString::to_string).collect())
}

fn service(text: &str) -> (ServiceUnit, Vec<String>) {
    let (unit, msgs) = parse("t.service", text);
    match unit {
        Some(Unit::Service(s)) => (Arc::unwrap_or_clone(s), msgs),
        other => panic!("not a loaded service: {other:?}\n{msgs:?}"),
    }
}

fn timer(text: &str) -> (TimerUnit, Vec<String>) {
    let (unit, msgs) = parse("t.timer", text);
    match unit {
        Some(Unit::Timer(t)) => (Arc::unwrap_or_clone(t), msgs),
        other => panic!("not a loaded timer: {other:?}\n{msgs:?}"),
    }
}

#[test]
fn error_messages() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "t.service",
            "[Service]\nExecStart=/bin/true\nRemainAfterExit=maybe\n",
            &["/u/t.service:3: RemainAfterExit=: failed to parse boolean value 'maybe'"],
        ),
        (
            "t.service",
            "[Service]\nType=simpel\nExecStart=/bin/true\n",
            &["/u/t.service:2: Type=: invalid value 'simpel', expected one of: simple, exec, forking, oneshot, dbus, notify, notify-reload, idle"],
        ),
        (
            "t.service",
            "[service]\nExecStart=/bin/true\n[Service]\nExecStart=/bin/true\nFoo=1\nX-Foo=2\nIPIngressFilterPath=/sys/fs/bpf/x\n[X-Mine]\nA=b\n",
            &[
                "/u/t.service:1: Unknown section 'service'. Ignoring.",
                "/u/t.service:5: Unknown key 'Foo' in section [Service], ignoring.",
                "/u/t.service:7: IPIngressFilterPath=: not supported, ignoring",
            ],
        ),
        (
            "t.service",
            "[Service]\nExecStart=/bin/true ; /bin/true\n",
            &["/u/t.service: Service has more than one ExecStart= setting, which is only allowed for Type=oneshot services. Refusing."],
        ),
        (
            "t.service",
            "[Service]\nExecStart=/bin/echo \"open\n",
            &[
                "/u/t.service:2: ExecStart=: unbalanced quoting in '\"open'",
                "/u/t.service: Unit configuration has fatal error, unit will not be started.",
            ],
        ),
        (
            "t.service",
            "[Service]\nExecStart=/bin/echo a\\qb\n",
            &["/u/t.service:2: ExecStart=: Ignoring unknown escape sequences: \"a\\qb\""],
        ),
        (
            "t.service",
            "[Service]\nExecStart=+!/bin/true\n",
            &[
                "/u/t.service:2: ExecStart=: neither a valid executable name nor an absolute path: '!/bin/true'",
                "/u/t.service: Unit configuration has fatal error, unit will not be started.",
            ],
        ),
        (
            "t.service",
            "[Service]\nExecStart=/bin/echo %z\n",
            &[
                "/u/t.service:2: ExecStart=: failed to resolve unit specifiers in '%z': unknown specifier '%z'",
                "/u/t.service: Unit configuration has fatal error, unit will not be started.",
            ],
        ),
        (
            "t.service",
            "[Service]\nType=oneshot\nRestart=always\nExecStart=/bin/true\n",
            &["/u/t.service: Service has Restart= set to either always or on-success, which isn't allowed for Type=oneshot services. Refusing."],
        ),
        (
            "t.service",
            "[Service]\nExecStart=/bin/true\nUser=a:b\n",
            &[
                "/u/t.service:3: User=: invalid user or group name 'a:b'",
                "/u/t.service: Unit configuration has fatal error, unit will not be started.",
            ],
        ),
        (
            "t.timer",
            "[Timer]\nOnCalendar=Mnday 12:00\n",
            &[
                "/u/t.timer:2: OnCalendar=: failed to parse calendar specification 'Mnday 12:00': expected a weekday or a date, found 'Mnday'",
                "/u/t.timer: t.timer: Timer unit lacks value setting. Refusing.",
            ],
        ),
        (
            "t.timer",
            "[Timer]\nOnBootSec=5 parsecs\nOnActiveSec=1\n",
            &["/u/t.timer:2: OnBootSec=: failed to parse time span '5 parsecs': "],
        ),
        (
            "t.service",
            "Description=x\n[Unit]\nno equals here\n[Broken\n[Service]\nExecStart=/bin/true\n",
            &[
                "/u/t.service:1: Assignment outside of section. Ignoring.",
                "/u/t.service:3: Missing '=', ignoring line.",
                "/u/t.service:4: Invalid section header '[Broken'",
            ],
        ),
        (
            "t.service",
            "[Unit]\nAfter=ok.service not-a-unit\nDescription=%z\n[Service]\nExecStart=/bin/true\n",
            &[
                "/u/t.service:2: After=: unit name 'not-a-unit' has no valid unit type suffix",
                "/u/t.service:3: Description=: failed to resolve unit specifiers, ignoring: unknown specifier '%z'",
            ],
        ),
    ];
    for (name, text, expected) in cases {
        let (_, msgs) = parse(name, text);
        assert_eq!(msgs.len(), expected.len(), "{text}\n{msgs:#?}");
        for (got, want) in msgs.iter().zip(expected.iter()) {
            assert!(got.starts_with(want), "{text}\n got: {got}\nwant: {want}");
        }
    }
}

#[test]
fn unit_section() {
    let (s, msgs) = service(
        "[Unit]\nDescription=Web %n on %H\nDocumentation=https://a.example man:x(1)\n\
         Requires=a.service\nWants=b.service c.target\nWants=d.service\nAfter=a.service\n\
         Before=z.timer\nBindsTo=e.service\nPartOf=f.service\nUpholds=g.service\n\
         Requisite=h.service\nConflicts=i.service\nOnFailure=fail@%n.service\nOnSuccess=ok.service\n\
         StopWhenUnneeded=yes\nDefaultDependencies=no\nStartLimitIntervalSec=30s\nStartLimitBurst=3\n\
         ConditionPathExists=|!/etc/x\nConditionUser=root\nAssertPathIsDirectory=/tmp\n\
         [Service]\nExecStart=/bin/true\n",
    );
    assert!(msgs.is_empty(), "{msgs:?}");
    let u = &s.unit;
    assert_eq!(
        u.description.as_deref(),
        Some("Web t.service on host.example")
    );
    assert_eq!(
        u.options.documentation,
        vec!["https://a.example", "man:x(1)"]
    );
    let names = |v: &[UnitName]| v.iter().map(|n| n.as_str().to_owned()).collect::<Vec<_>>();
    assert_eq!(
        names(&u.dependencies.wants),
        vec!["b.service", "c.target", "d.service"]
    );
    assert_eq!(
        names(&u.dependencies.on_failure),
        vec!["fail@t.service.service"]
    );
    assert_eq!(names(&u.dependencies.requisite), vec!["h.service"]);
    assert!(u.options.stop_when_unneeded && !u.options.default_dependencies);
    assert_eq!(u.start_limit_interval, Some(Timespan::from_secs(30)));
    assert_eq!(u.start_limit_burst, Some(3));
    assert_eq!(u.options.conditions.len(), 2);
    assert!(u.options.conditions[0].trigger && u.options.conditions[0].negate);
    assert_eq!(u.options.conditions[0].kind, ConditionKind::PathExists);
    assert_eq!(u.options.asserts[0].kind, ConditionKind::PathIsDirectory);
    // An empty assignment resets all conditions.
    let (s, _) = service(
        "[Unit]\nConditionUser=root\nConditionPathExists=\n[Service]\nExecStart=/bin/true\n",
    );
    assert!(s.unit.options.conditions.is_empty());
}

#[test]
fn timer_section() {
    let (t, msgs) = timer(
        "[Timer]\nOnActiveSec=1\nOnBootSec=5min\nOnStartupSec=1h\nOnUnitActiveSec=15min\n\
         OnUnitInactiveSec=2d\nOnCalendar=daily\nAccuracySec=1s\nRandomizedDelaySec=30s\n\
         FixedRandomDelay=yes\nRandomizedOffsetSec=1min\nDeferReactivation=true\nOnClockChange=on\n\
         OnTimezoneChange=1\nUnit=job.service\nPersistent=y\nWakeSystem=t\nRemainAfterElapse=no\n",
    );
    assert!(msgs.is_empty(), "{msgs:?}");
    let bases: Vec<MonotonicBase> = t.timer.monotonic().map(|(b, _)| b).collect();
    assert_eq!(
        bases,
        vec![
            MonotonicBase::Active,
            MonotonicBase::Boot,
            MonotonicBase::Startup,
            MonotonicBase::UnitActive,
            MonotonicBase::UnitInactive
        ]
    );
    assert_eq!(
        t.timer.calendars().next().unwrap().to_string(),
        "*-*-* 00:00:00"
    );
    assert_eq!(t.timer.accuracy, Timespan::from_secs(1));
    assert_eq!(t.timer.randomized_delay, Timespan::from_secs(30));
    assert_eq!(t.timer.randomized_offset, Timespan::from_secs(60));
    assert!(t.timer.fixed_random_delay && t.timer.defer_reactivation);
    assert!(t.timer.on_clock_change && t.timer.on_timezone_change);
    assert!(t.timer.persistent && t.timer.wake_system && !t.timer.remain_after_elapse);
    assert_eq!(t.triggers.as_str(), "job.service");

    // Defaults, and the same-name service.
    let (t, _) = timer("[Timer]\nOnCalendar=hourly\n");
    assert_eq!(t.timer.accuracy, Timespan::from_secs(60));
    assert!(t.timer.remain_after_elapse && !t.timer.persistent);
    assert_eq!(t.triggers.as_str(), "t.service");

    // One shared list: an empty assignment to any trigger clears them all.
    let (t, _) =
        timer("[Timer]\nOnBootSec=1\nOnCalendar=daily\nOnUnitActiveSec=\nOnCalendar=weekly\n");
    assert_eq!(t.timer.triggers.len(), 1);
    assert!(matches!(t.timer.triggers[0], TimerTrigger::Calendar(_)));

    // The first Unit= wins.
    let (t, msgs) = timer("[Timer]\nOnBootSec=1\nUnit=a.service\nUnit=b.service\n");
    assert_eq!(t.triggers.as_str(), "a.service");
    assert_eq!(msgs.len(), 1);
}

#[test]
fn service_section() {
    let (s, msgs) = service(
        "[Service]\nType=notify\nRemainAfterExit=yes\nGuessMainPID=no\nPIDFile=/run/%p.pid\n\
         ExecCondition=/bin/true\nExecStartPre=-/bin/false\nExecStart=@/bin/sh myname -c 'echo $HOME'\n\
         ExecStartPost=:/bin/echo $X\nExecReload=+/bin/kill -HUP $MAINPID\nExecStop=!/bin/true\n\
         ExecStopPost=!!/bin/true\nRestart=on-failure\nRestartSec=500ms\nSuccessExitStatus=75 SIGUSR1\n\
         RestartPreventExitStatus=1\nRestartForceExitStatus=TEMPFAIL\nTimeoutStartSec=0\n\
         TimeoutStopSec=1min 30s\nRuntimeMaxSec=1h\nWatchdogSec=10s\nKillMode=mixed\nKillSignal=SIGINT\n\
         SendSIGKILL=no\nFinalKillSignal=9\nUser=app\nGroup=app\nSupplementaryGroups=adm wheel\n\
         WorkingDirectory=-~\nRootDirectory=/srv/root\nEnvironment=A=1 \"B=two words\"\nEnvironment=A=3\n\
         EnvironmentFile=-/etc/default/%p\nUnsetEnvironment=LANG\nPassEnvironment=PATH TERM\nUMask=0077\n\
         Nice=-5\nLimitNOFILE=1024:4096\nLimitCORE=infinity\nStandardInput=null\n\
         StandardOutput=append:/var/log/%p.log\nStandardError=journal\nSyslogIdentifier=myapp\n\
         NotifyAccess=all\nMemoryMax=512M\nMemoryLimit=50%\nCPUQuota=150%\nTasksMax=infinity\n",
    );
    assert!(msgs.is_empty(), "{msgs:?}");
    let s = &s.service;
    assert_eq!(s.service_type, sundial::unit::ServiceType::Notify);
    assert!(s.remain_after_exit && !s.guess_main_pid);
    assert_eq!(s.pid_file.as_deref(), Some(Path::new("/run/t.pid")));
    assert!(s.exec_start_pre[0].ignore_failure);
    assert_eq!(s.exec_start[0].path, "/bin/sh");
    assert_eq!(s.exec_start[0].argv, vec!["myname", "-c", "echo $HOME"]);
    assert!(s.exec_start_post[0].no_env_expand);
    assert_eq!(s.exec_reload[0].privileges, ExecPrivileges::Full);
    assert_eq!(s.stop.exec_stop[0].privileges, ExecPrivileges::NoSetuid);
    assert_eq!(
        s.stop.exec_stop_post[0].privileges,
        ExecPrivileges::AmbientFallback
    );
    assert_eq!(s.restart, RestartPolicy::OnFailure);
    assert_eq!(s.stop.restart_sec, Timespan::from_usec(500_000));
    assert!(s.stop.success_exit_status.contains_status(75));
    assert!(s
        .stop
        .success_exit_status
        .contains_signal(Signal::parse("USR1").unwrap()));
    assert!(s.rare().restart_force_exit_status.contains_status(75));
    assert_eq!(s.timeout_start, Some(Timespan::INFINITY));
    assert_eq!(s.stop.timeout_stop, Some(Timespan::from_secs(90)));
    assert_eq!(s.stop.runtime_max, Timespan::from_secs(3600));
    assert_eq!(s.stop.kill_mode, KillMode::Mixed);
    assert_eq!(s.stop.kill_signal, Signal::INT);
    assert!(!s.stop.send_sigkill);
    assert_eq!(s.stop.final_kill_signal, Signal::KILL);
    assert_eq!(s.process.user.as_deref(), Some("app"));
    assert_eq!(s.process.supplementary_groups, vec!["adm", "wheel"]);
    let wd = s.process.working_directory.as_ref().unwrap();
    assert!(wd.missing_ok && wd.path.is_none());
    assert_eq!(s.environment_value("A"), Some("3"));
    assert_eq!(s.environment_value("B"), Some("two words"));
    assert!(s.process.environment_files[0].optional);
    assert_eq!(
        s.process.environment_files[0].path,
        Path::new("/etc/default/t")
    );
    assert_eq!(s.process.umask, 0o077);
    assert_eq!(s.process.nice, Some(-5));
    assert_eq!(s.process.limits.len(), 2);
    assert_eq!(s.process.limits[0].soft, Some(1024));
    assert_eq!(s.process.limits[1].hard, None);
    assert_eq!(
        s.process.standard_output,
        Some(StandardOutput::Append("/var/log/t.log".into()))
    );
    assert_eq!(s.process.standard_error, Some(StandardOutput::Journal));
    assert_eq!(s.rare().memory_max, Some(Limit::Absolute(512 << 20)));
    assert_eq!(s.rare().memory_limit, Some(Limit::Permyriad(5000)));
    assert_eq!(s.rare().cpu_quota, Some(15000));
    assert_eq!(s.rare().tasks_max, Some(Limit::Infinity));
}

#[test]
fn service_defaults_and_resets() {
    // No ExecStart: oneshot by default.
    let (s, _) = service("[Service]\nRemainAfterExit=yes\nExecStop=/bin/true\n");
    assert_eq!(s.service.service_type, sundial::unit::ServiceType::Oneshot);
    assert_eq!(
        s.service.timeout_start_or(Timespan::from_secs(90)),
        Timespan::INFINITY
    );
    // An empty ExecStart= resets the list (the drop-in override idiom).
    let (s, _) = service("[Service]\nExecStart=/bin/false\nExecStart=\nExecStart=/bin/true x\n");
    assert_eq!(s.service.exec_start.len(), 1);
    assert_eq!(s.service.exec_start[0].argv, vec!["/bin/true", "x"]);
    assert_eq!(s.service.service_type, sundial::unit::ServiceType::Simple);
    // Scalars: the last assignment wins.
    let (s, _) = service("[Service]\nExecStart=/bin/true\nRestart=always\nRestart=no\n");
    assert_eq!(s.service.restart, RestartPolicy::No);
}

/// `Delegate=` as systemd 252 reads it (its messages checked against
/// `systemd-analyze verify`): a boolean, or controllers that add up.
#[test]
fn delegate() {
    let controllers = |text: &str| {
        let (s, msgs) = service(&format!("[Service]\nExecStart=/bin/true\n{text}"));
        (
            s.service.delegate,
            s.service.delegate_controllers.join(" "),
            msgs,
        )
    };
    let all = "cpu cpuacct cpuset io blkio memory devices pids bpf-firewall bpf-devices \
               bpf-foreign bpf-socket-bind bpf-restrict-network-interfaces";
    assert_eq!(
        controllers("Delegate=yes\n"),
        (true, all.to_owned(), vec![])
    );
    assert_eq!(
        controllers("Delegate=yes\nDelegate=no\n"),
        (false, String::new(), vec![])
    );
    assert_eq!(
        controllers("Delegate=yes\nDelegate=\n"),
        (true, String::new(), vec![])
    );
    assert_eq!(
        controllers("Delegate=memory\nDelegate=pids cpu\n"),
        (true, "cpu memory pids".to_owned(), vec![])
    );
    assert_eq!(
        controllers("Delegate=cpu bogus\n"),
        (
            true,
            "cpu".to_owned(),
            vec!["/u/t.service:3: Delegate=: invalid controller name 'bogus', ignoring".to_owned()]
        )
    );
    assert_eq!(
        controllers("Delegate=\"cpu\n"),
        (
            false,
            String::new(),
            vec!["/u/t.service:3: Delegate=: invalid syntax, ignoring: \"cpu".to_owned()]
        )
    );
}

#[test]
fn exec_splitting() {
    let cases: &[(&str, &[&str])] = &[
        ("/bin/echo \"a b\" 'c d'", &["/bin/echo", "a b", "c d"]),
        (
            "/bin/echo --opt=\"a b\" a\"b c\"d",
            &["/bin/echo", "--opt=a b", "ab cd"],
        ),
        (
            "/bin/echo \\x41\\101 \\u00e9 a\\sb",
            &["/bin/echo", "AA", "é", "a b"],
        ),
        (
            "/bin/echo 'single \\t quoted'",
            &["/bin/echo", "single \t quoted"],
        ),
        ("/bin/echo a \\; b", &["/bin/echo", "a", ";", "b"]),
        (
            "/bin/echo $VAR ${VAR} $$",
            &["/bin/echo", "$VAR", "${VAR}", "$$"],
        ),
        ("/usr//bin/./env x", &["/usr//bin/./env", "x"]),
        (
            "  /bin/echo   spaced\targs  ",
            &["/bin/echo", "spaced", "args"],
        ),
    ];
    for (line, argv) in cases {
        let (s, msgs) = service(&format!("[Service]\nExecStart={line}\n"));
        assert!(msgs.is_empty(), "{line}: {msgs:?}");
        assert_eq!(s.service.exec_start[0].argv, *argv, "{line}");
    }
    let (s, _) = service("[Service]\nExecStart=/usr//bin/./env x\n");
    assert_eq!(s.service.exec_start[0].path, "/usr/bin/env");
    let (s, _) = service("[Service]\nType=oneshot\nExecStart=/bin/echo 1 ; /bin/echo 2 ;\n");
    assert_eq!(s.service.exec_start.len(), 2);
}

#[test]
fn install_section() {
    let (s, msgs) = service(
        "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target timers.target\n\
         RequiredBy=x.target\nAlias=other.service other.timer\nAlso=helper.service\nDefaultInstance=%n\n",
    );
    assert_eq!(s.install.wanted_by.len(), 2);
    assert_eq!(s.install.alias.len(), 1);
    assert_eq!(s.install.default_instance.as_deref(), Some("t.service"));
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    // [Install] allows only a subset of specifiers.
    let (_, msgs) = service("[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=%t.target\n");
    assert_eq!(msgs.len(), 1, "{msgs:?}");
}

#[test]
fn sundial_extensions() {
    // Valid values, and the defaults (systemd's behaviour).
    let (t, msgs) = timer(
        "[Timer]\nOnCalendar=daily\nX-Sundial-PersistentMonotonic=yes\nX-Sundial-DSTPolicy=catch-up\n",
    );
    assert!(msgs.is_empty(), "{msgs:?}");
    assert!(t.timer.persistent_monotonic);
    assert_eq!(t.timer.dst_policy, DstPolicy::CatchUp);
    let (t, _) = timer("[Timer]\nOnCalendar=daily\n");
    assert!(!t.timer.persistent_monotonic);
    assert_eq!(t.timer.dst_policy, DstPolicy::Systemd);
    let (t, msgs) = timer(
        "[Timer]\nOnCalendar=daily\nX-Sundial-PersistentMonotonic=on\nX-Sundial-DSTPolicy=systemd\n",
    );
    assert!(msgs.is_empty(), "{msgs:?}");
    assert!(t.timer.persistent_monotonic);
    assert_eq!(t.timer.dst_policy, DstPolicy::Systemd);

    // Bad values are reported at path:line and ignored: the earlier value
    // stays. An empty boolean is a bad value, as for Persistent=.
    let (t, msgs) = timer(
        "[Timer]\nOnCalendar=daily\nX-Sundial-DSTPolicy=catch-up\nX-Sundial-DSTPolicy=skip\n\
         X-Sundial-PersistentMonotonic=yes\nX-Sundial-PersistentMonotonic=maybe\n\
         X-Sundial-PersistentMonotonic=\nX-Sundial-DSTPolicy=Catch-Up\n",
    );
    assert_eq!(
        msgs,
        [
            "/u/t.timer:4: X-Sundial-DSTPolicy=: invalid value 'skip', expected one of: systemd, catch-up, cron-fixed, cron-wildcard",
            "/u/t.timer:6: X-Sundial-PersistentMonotonic=: failed to parse boolean value 'maybe'",
            "/u/t.timer:7: X-Sundial-PersistentMonotonic=: failed to parse boolean value ''",
            "/u/t.timer:8: X-Sundial-DSTPolicy=: invalid value 'Catch-Up', expected one of: systemd, catch-up, cron-fixed, cron-wildcard",
        ]
    );
    assert!(t.timer.persistent_monotonic);
    assert_eq!(t.timer.dst_policy, DstPolicy::CatchUp);

    // An empty X-Sundial-DSTPolicy= resets to the default; the last
    // assignment wins.
    let (t, msgs) =
        timer("[Timer]\nOnCalendar=daily\nX-Sundial-DSTPolicy=catch-up\nX-Sundial-DSTPolicy=\n");
    assert!(msgs.is_empty(), "{msgs:?}");
    assert_eq!(t.timer.dst_policy, DstPolicy::Systemd);
    let (t, _) = timer(
        "[Timer]\nOnCalendar=daily\nX-Sundial-DSTPolicy=\nX-Sundial-DSTPolicy=catch-up\n\
         X-Sundial-PersistentMonotonic=yes\nX-Sundial-PersistentMonotonic=no\n",
    );
    assert_eq!(t.timer.dst_policy, DstPolicy::CatchUp);
    assert!(!t.timer.persistent_monotonic);
}

#[test]
fn sundial_extensions_in_dropins() {
    let fragment = (
        "/u/t.timer",
        "[Timer]\nOnCalendar=daily\nX-Sundial-DSTPolicy=catch-up\nX-Sundial-PersistentMonotonic=yes\n",
    );
    let timer_of = |files: &[(&str, &str)]| match parse_files("t.timer", files) {
        (Some(Unit::Timer(t)), msgs) => (t, msgs),
        other => panic!("not a loaded timer: {other:?}"),
    };
    // A drop-in overrides the fragment key by key.
    let (t, msgs) = timer_of(&[
        fragment,
        (
            "/u/t.timer.d/10-dst.conf",
            "[Timer]\nX-Sundial-DSTPolicy=systemd\n",
        ),
    ]);
    assert!(msgs.is_empty(), "{msgs:?}");
    assert_eq!(t.timer.dst_policy, DstPolicy::Systemd);
    assert!(t.timer.persistent_monotonic);
    // A drop-in resets with an empty assignment; a later one sets again.
    let (t, _) = timer_of(&[
        fragment,
        (
            "/u/t.timer.d/10-reset.conf",
            "[Timer]\nX-Sundial-DSTPolicy=\nX-Sundial-PersistentMonotonic=no\n",
        ),
    ]);
    assert_eq!(t.timer.dst_policy, DstPolicy::Systemd);
    assert!(!t.timer.persistent_monotonic);
    let (t, _) = timer_of(&[
        ("/u/t.timer", "[Timer]\nOnCalendar=daily\n"),
        (
            "/u/t.timer.d/10-a.conf",
            "[Timer]\nX-Sundial-DSTPolicy=catch-up\n",
        ),
        ("/u/t.timer.d/20-b.conf", "[Timer]\nX-Sundial-DSTPolicy=\n"),
        (
            "/u/t.timer.d/30-c.conf",
            "[Timer]\nX-Sundial-DSTPolicy=catch-up\n",
        ),
    ]);
    assert_eq!(t.timer.dst_policy, DstPolicy::CatchUp);
    // A bad value in a drop-in is reported there and leaves the fragment's.
    let (t, msgs) = timer_of(&[
        fragment,
        (
            "/u/t.timer.d/10-bad.conf",
            "[Timer]\n# a comment\nX-Sundial-DSTPolicy=never\n",
        ),
    ]);
    assert_eq!(
        msgs,
        ["/u/t.timer.d/10-bad.conf:3: X-Sundial-DSTPolicy=: invalid value 'never', expected one of: systemd, catch-up, cron-fixed, cron-wildcard"]
    );
    assert_eq!(t.timer.dst_policy, DstPolicy::CatchUp);
}

#[test]
fn unknown_sundial_keys_are_reported_other_x_keys_ignored() {
    // X-Sundial-… is ours: a key sundial does not know there is reported (a
    // typo must not go unnoticed); other X- keys and X- sections stay
    // silent, as in systemd. Keys are case-sensitive: a lowercase x- key is
    // an unknown key to systemd too.
    let (t, msgs) = timer(
        "[Unit]\nX-Sundial-DSTPolicy=catch-up\nX-Vendor=1\n\
         [Timer]\nOnCalendar=daily\nX-Sundial-DSTpolicy=catch-up\nX-Sundial-Bogus=1\nX-Foo=bar\n\
         x-sundial-dstpolicy=catch-up\n\
         [Install]\nX-Sundial-WantedBy=x.target\n\
         [X-Sundial]\nX-Sundial-DSTPolicy=catch-up\nAnything=1\n",
    );
    assert_eq!(
        msgs,
        [
            "/u/t.timer:2: X-Sundial-DSTPolicy=: unknown sundial extension in section [Unit], ignoring",
            "/u/t.timer:6: X-Sundial-DSTpolicy=: unknown sundial extension in section [Timer], ignoring",
            "/u/t.timer:7: X-Sundial-Bogus=: unknown sundial extension in section [Timer], ignoring",
            "/u/t.timer:9: Unknown key 'x-sundial-dstpolicy' in section [Timer], ignoring.",
            "/u/t.timer:11: X-Sundial-WantedBy=: unknown sundial extension in section [Install], ignoring",
        ]
    );
    assert_eq!(t.timer.dst_policy, DstPolicy::Systemd);
    // The timer keys belong to [Timer]: in a service they are unknown.
    let (_, msgs) =
        service("[Service]\nExecStart=/bin/true\nX-Sundial-PersistentMonotonic=yes\nX-Mine=1\n");
    assert_eq!(
        msgs,
        ["/u/t.service:3: X-Sundial-PersistentMonotonic=: unknown sundial extension in section [Service], ignoring"]
    );
}

#[test]
fn supported_standard_input_forms_load_without_messages() {
    use sundial::unit::service::StandardInput;
    let cases = [
        ("StandardInput=null", StandardInput::Null),
        ("StandardInput=tty", StandardInput::Tty),
        ("StandardInput=tty-force", StandardInput::TtyForce),
        (
            "StandardInput=tty-fail\nTTYPath=/dev/tty%i9",
            StandardInput::TtyFail,
        ),
        ("StandardInput=data", StandardInput::Data),
        (
            "StandardInput=file:/srv/%p.in",
            StandardInput::File("/srv/t.in".into()),
        ),
        ("StandardInputText=a\\x41", StandardInput::Data),
        ("StandardInputData=YQo=", StandardInput::Data),
        ("StandardInput=socket", StandardInput::Socket),
    ];
    for (lines, expected) in cases {
        let (s, msgs) = service(&format!("[Service]\nExecStart=/bin/cat\n{lines}\n"));
        assert!(msgs.is_empty(), "{lines}: {msgs:?}");
        assert_eq!(s.service.process.standard_input, expected, "{lines}");
    }
    let (s, msgs) = service("[Service]\nExecStart=/bin/cat\nStandardInput=fd:web\n");
    assert_eq!(s.service.process.standard_input, StandardInput::Null);
    assert_eq!(
        msgs,
        ["/u/t.service:3: StandardInput=: 'fd:web' (a named socket descriptor) is not supported by sundial; using null"]
    );
}

#[test]
fn a_fatal_problem_ends_the_file_as_in_systemd() {
    // In the fragment: nothing after it is read or reported, the drop-ins
    // are not read, the unit is not checked as a whole (no "Service has no
    // ExecStart="); systemd-analyze 252 says just this.
    let (unit, msgs) = parse_files(
        "t.service",
        &[
            (
                "/u/t.service",
                "[Unit]\nFoo=1\n[Service]\nExecStart=~/bin/x\nBar=2\nType=bogus\n",
            ),
            ("/u/t.service.d/a.conf", "[Service]\nBaz=3\n"),
        ],
    );
    assert!(unit.is_none());
    assert_eq!(
        msgs,
        [
            "/u/t.service:2: Unknown key 'Foo' in section [Unit], ignoring.",
            "/u/t.service:4: ExecStart=: neither a valid executable name nor an absolute path: '~/bin/x'",
            "/u/t.service: Unit configuration has fatal error, unit will not be started.",
        ]
    );
    // In a drop-in: the rest of that drop-in is skipped, the others are
    // read, and the unit loads (systemd ignores drop-ins' parse errors).
    let (unit, msgs) = parse_files(
        "t.service",
        &[
            ("/u/t.service", "[Service]\nExecStart=/bin/true\n"),
            ("/u/t.service.d/a.conf", "[Service]\nUser=a:b\nFoo=1\n"),
            ("/u/t.service.d/b.conf", "[Service\nBar=1\n"),
            ("/u/t.service.d/c.conf", "[Service]\nBaz=1\n"),
        ],
    );
    assert!(unit.is_some(), "{msgs:?}");
    assert_eq!(
        msgs,
        [
            "/u/t.service.d/a.conf:2: User=: invalid user or group name 'a:b'",
            "/u/t.service.d/b.conf:1: Invalid section header '[Service'",
            "/u/t.service.d/c.conf:2: Unknown key 'Baz' in section [Service], ignoring.",
        ]
    );
    // An unclosed section header in the fragment ends it too; problems are
    // reported in line order.
    let (unit, msgs) = parse(
        "t.service",
        "[Unit]\nFoo=1\nno equals\n[Service\nExecStart=\n",
    );
    assert!(unit.is_none());
    assert_eq!(
        msgs,
        [
            "/u/t.service:2: Unknown key 'Foo' in section [Unit], ignoring.",
            "/u/t.service:3: Missing '=', ignoring line.",
            "/u/t.service:4: Invalid section header '[Service'",
        ]
    );
}
