//! The translation's rules, one test each, through [`translate`].

use std::path::{Path, PathBuf};

use super::*;

fn options(scope: Scope) -> TranslateOptions {
    let mut o = TranslateOptions::new(scope);
    o.users = UserDb::parse(
        "root:x:0:0:root:/root:/bin/bash\n\
         alice:x:1000:1000::/home/alice:/bin/sh\n\
         bob:x:1001:1001::/home/bob:/bin/sh\n",
    );
    o.caller = o.users.get("alice").cloned();
    o.sendmail = Some(PathBuf::from("/usr/sbin/sendmail"));
    o
}

fn source(path: &str, kind: CrontabKind, text: &str) -> CrontabSource {
    CrontabSource {
        path: PathBuf::from(path),
        text: text.to_owned(),
        kind,
        owner: None,
    }
}

fn user_tab(text: &str) -> CrontabSource {
    source("/home/alice/crontab", CrontabKind::User, text)
}

fn run(sources: &[CrontabSource], o: &TranslateOptions) -> Translation {
    translate(sources, o)
}

fn unit<'t>(t: &'t Translation, name: &str) -> &'t str {
    match t.units.iter().find(|u| u.name == name) {
        Some(u) => &u.text,
        None => panic!(
            "no {name} among {:?}; diagnostics {:?}",
            t.units.iter().map(|u| &u.name).collect::<Vec<_>>(),
            t.diagnostics
        ),
    }
}

fn names(t: &Translation) -> Vec<&str> {
    t.units.iter().map(|u| u.name.as_str()).collect()
}

fn messages(t: &Translation) -> Vec<String> {
    t.diagnostics.iter().map(ToString::to_string).collect()
}

fn clean(t: &Translation) {
    assert!(t.diagnostics.is_empty(), "{:?}", messages(t));
}

#[test]
fn a_comment_right_above_names_the_job_and_the_command_otherwise() {
    let t = run(
        &[user_tab(
            "# nightly backup\n30 2 * * * /usr/local/bin/backup.sh --all\n\
             # not above\n\n0 * * * * /usr/bin/report-gen > /dev/null\n\
             # m h dom mon dow command\n5 5 * * * tidy\n",
        )],
        &options(Scope::User),
    );
    clean(&t);
    assert_eq!(
        names(&t),
        [
            "nightly-backup.service",
            "nightly-backup.timer",
            "report-gen.service",
            "report-gen.timer",
            "sundial-cron-mail@.service",
            "tidy.service",
            "tidy.timer",
        ]
    );
    assert!(unit(&t, "nightly-backup.timer")
        .contains("# /home/alice/crontab:2: 30 2 * * * /usr/local/bin/backup.sh --all\n"));
    assert!(unit(&t, "nightly-backup.service").contains("SourcePath=/home/alice/crontab\n"));
}

#[test]
fn names_stay_when_lines_move_and_collide_with_a_stable_suffix() {
    let o = options(Scope::User);
    let a = run(
        &[user_tab(
            "0 1 * * * backup\n0 2 * * * backup\n0 3 * * * report\n",
        )],
        &o,
    );
    let b = run(
        &[user_tab(
            "0 3 * * * report\n\n0 2 * * * backup\n0 1 * * * backup\n",
        )],
        &o,
    );
    let mut na = names(&a);
    let mut nb = names(&b);
    na.sort();
    nb.sort();
    assert_eq!(na, nb);
    let backups: Vec<&&str> = na.iter().filter(|n| n.starts_with("backup-")).collect();
    assert_eq!(backups.len(), 4, "{na:?}");
    // The job at 1:00 has the same name in both.
    let at_one = |t: &Translation| {
        t.units
            .iter()
            .find(|u| u.text.contains("OnCalendar=*-*-* 01:00:00"))
            .map(|u| u.name.clone())
    };
    assert_eq!(at_one(&a), at_one(&b));
    assert!(na.contains(&"report.timer"));
}

#[test]
fn jobs_named_like_a_directory_unit_yield_to_it() {
    let t = run(
        &[source(
            "/etc/crontab",
            CrontabKind::System,
            "17 * * * * root cd / && run-parts --report /etc/cron.hourly\n\
                 # cron daily\n0 0 * * * root echo mine\n",
        )],
        &options(Scope::System),
    );
    clean(&t);
    let n = names(&t);
    assert!(n.contains(&"cron-hourly.timer"), "{n:?}");
    assert!(
        n.iter()
            .any(|n| n.starts_with("cron-daily-") && n.ends_with(".timer")),
        "{n:?}"
    );
}

#[test]
fn the_timer_fires_within_a_second_by_cron_rules() {
    let t = run(
        &[user_tab("30 4 1,15 * fri   run\n")],
        &options(Scope::User),
    );
    clean(&t);
    let timer = unit(&t, "run.timer");
    assert!(timer.contains(
        "[Timer]\nOnCalendar=*-*-01,15 04:30:00\nOnCalendar=Fri *-*-* 04:30:00\nAccuracySec=1s\n\
         X-Sundial-DSTPolicy=cron-fixed\n"
    ), "{timer}");
    assert!(!timer.contains("Persistent"));
    assert!(timer.ends_with("[Install]\nWantedBy=timers.target\n"));
    assert!(
        t.units
            .iter()
            .find(|u| u.name == "run.timer")
            .unwrap()
            .enable
    );
    assert!(
        !t.units
            .iter()
            .find(|u| u.name == "run.service")
            .unwrap()
            .enable
    );
}

#[test]
fn cron_tz_random_delay_and_tz() {
    let t = run(
        &[user_tab(
            "CRON_TZ=Europe/Berlin\nRANDOM_DELAY=30\n0 9 * * mon-fri standup\n\
             TZ=Asia/Tokyo\n@reboot boot-job\n",
        )],
        &options(Scope::User),
    );
    assert_eq!(t.diagnostics.len(), 0, "{:?}", messages(&t));
    let timer = unit(&t, "standup.timer");
    assert!(timer.contains("OnCalendar=Mon,Tue,Wed,Thu,Fri *-*-* 09:00:00 Europe/Berlin\n"));
    assert!(timer.contains("RandomizedDelaySec=30min\nFixedRandomDelay=yes\n"));
    // @reboot: once per boot, no random delay (cronie runs it at start).
    let boot = unit(&t, "boot-job.timer");
    assert!(
        boot.contains("OnBootSec=0\nX-Sundial-PersistentMonotonic=yes\n"),
        "{boot}"
    );
    assert!(!boot.contains("OnCalendar") && !boot.contains("RandomizedDelaySec"));
    // The variables reach the job too.
    let service = unit(&t, "standup.service");
    assert!(service.contains("Environment=\"CRON_TZ=Europe/Berlin\"\n"));
    assert!(service.contains("Environment=\"RANDOM_DELAY=30\"\n"));

    let t = run(
        &[user_tab("TZ=Asia/Tokyo\n0 9 * * * x\n")],
        &options(Scope::User),
    );
    assert_eq!(t.diagnostics.len(), 1);
    assert!(messages(&t)[0].starts_with("/home/alice/crontab:1: warning: TZ= is the jobs'"));
    assert!(unit(&t, "x.timer").contains("OnCalendar=*-*-* 09:00:00\n"));

    let t = run(
        &[user_tab("CRON_TZ=Mars/Olympus\n0 9 * * * x\n")],
        &options(Scope::User),
    );
    assert!(t.has_errors());
    assert_eq!(
        messages(&t),
        ["/home/alice/crontab:1: unknown time zone 'Mars/Olympus': cron would schedule the jobs below in UTC"]
    );
}

#[test]
fn the_service_runs_the_command_as_cron_does() {
    let t = run(
        &[user_tab(
            "MAILTO=\"\"\nGREETING = hello world\n0 8 * * * mail -s \"Hi 100\\%\" bob%Dear Bob,%%cheers\n",
        )],
        &options(Scope::User),
    );
    clean(&t);
    let service = unit(&t, "mail-s-hi-100.service");
    let expected = "[Service]\nType=oneshot\nWorkingDirectory=/home/alice\n\
        Environment=\"MAILTO=\"\n\
        Environment=\"GREETING=hello world\"\n\
        Environment=\"SHELL=/bin/sh\"\n\
        Environment=\"HOME=/home/alice\"\n\
        Environment=\"PATH=/usr/bin:/bin\"\n\
        Environment=\"LOGNAME=alice\"\n\
        Environment=\"USER=alice\"\n\
        ExecStart=/bin/sh -c \"mail -s \\\"Hi 100%%\\\" bob\"\n\
        StandardInput=data\n\
        StandardInputData=RGVhciBCb2IsCgpjaGVlcnMK\n\
        KillMode=process\n";
    assert!(service.ends_with(expected), "{service}");
    // "Dear Bob,\n\ncheers\n"
    assert!(service.contains("Description=mail -s \"Hi 100%%\" bob\n"));
    // MAILTO="" mails nothing.
    assert!(!service.contains("OnFailure") && !names(&t).contains(&"sundial-cron-mail@.service"));
}

#[test]
fn system_crontabs_run_jobs_as_their_user() {
    let t = run(
        &[source(
            "/etc/cron.d/app",
            CrontabKind::System,
            "SHELL=/bin/bash\n*/5 * * * * bob /srv/app/poll\n",
        )],
        &options(Scope::System),
    );
    clean(&t);
    let service = unit(&t, "poll.service");
    assert!(
        service.contains("User=bob\nWorkingDirectory=/home/bob\n"),
        "{service}"
    );
    assert!(service.contains("Environment=\"LOGNAME=bob\"\n"));
    assert!(service.contains("ExecStart=/bin/bash -c \"/srv/app/poll\"\n"));
    assert!(t.units.iter().all(|u| u.user.is_none()));

    // In a user's daemon, only the user's own jobs.
    let t = run(
        &[source(
            "/etc/cron.d/app",
            CrontabKind::System,
            "0 1 * * * bob x\n",
        )],
        &options(Scope::User),
    );
    assert!(t.has_errors());
    assert!(messages(&t)[0].contains("import this file with --system"));
}

#[test]
fn spool_crontabs_become_units_of_their_user() {
    let mut tab = source(
        "/var/spool/cron/crontabs/bob",
        CrontabKind::User,
        "0 1 * * * ~/bin/sync\n",
    );
    tab.owner = Some("bob".into());
    let mut root = source(
        "/var/spool/cron/crontabs/root",
        CrontabKind::User,
        "0 2 * * * x\n",
    );
    root.owner = Some("root".into());
    let t = run(&[tab, root], &options(Scope::System));
    clean(&t);
    let sync = t.units.iter().find(|u| u.name == "sync.timer").unwrap();
    assert_eq!(sync.user.as_deref(), Some("bob"));
    let service = unit(&t, "sync.service");
    assert!(!service.contains("User="), "a user's own daemon runs it");
    assert!(service.contains("Environment=\"HOME=/home/bob\"\n"));
    // The mail template goes to bob's directory too.
    assert!(t
        .units
        .iter()
        .any(|u| u.name == "sundial-cron-mail@.service" && u.user.as_deref() == Some("bob")));
    // root's crontab stays in the system's units.
    assert!(t
        .units
        .iter()
        .find(|u| u.name == "x.timer")
        .unwrap()
        .user
        .is_none());
}

#[test]
fn mail_hooks_follow_mailto_and_cronies_n_option() {
    let t = run(
        &[user_tab(
            "MAILTO=ops@example.com\n0 1 * * * a\n0 2 * * * -n b\n",
        )],
        &options(Scope::User),
    );
    clean(&t);
    let a = unit(&t, "a.service");
    assert!(a.contains(
        "OnFailure=sundial-cron-mail@a.service\nOnSuccess=sundial-cron-mail@a.service\n"
    ));
    let b = unit(&t, "b.service");
    assert!(b.contains("OnFailure=sundial-cron-mail@b.service\n") && !b.contains("OnSuccess"));
    let template = unit(&t, "sundial-cron-mail@.service");
    assert!(template.contains("Environment=\"SENDMAIL=/usr/sbin/sendmail\"\n"));
    assert!(
        template.contains("ExecStart=/usr/bin/sundial crontab mail %i\n"),
        "{template}"
    );
    assert!(template.contains("# sundial-crontab-source: /home/alice/crontab\n"));

    let mut o = options(Scope::User);
    o.sendmail = None;
    let t = run(&[user_tab("0 1 * * * a\n")], &o);
    assert!(!t.has_errors());
    assert_eq!(
        messages(&t),
        ["/home/alice/crontab: warning: no sendmail on this system: the output of its jobs is not \
          mailed, it stays in `sundial logs`"]
    );
    assert!(!unit(&t, "a.service").contains("OnFailure"));
}

#[test]
fn errors_name_file_line_and_column() {
    let t = run(
        &[user_tab(
            "0 1 * * * fine\n0 25 * * * bad\n* * * * *\nSHELL=bash\n0 1 * * * x",
        )],
        &options(Scope::User),
    );
    assert_eq!(
        messages(&t),
        [
            "/home/alice/crontab:2:3: hour 25 out of range 0-23",
            "/home/alice/crontab:3:10: expected a command after the schedule, found the end of \
             the line",
            "/home/alice/crontab:4: SHELL=bash is not an absolute path: cron cannot run it (it \
             runs the shell with execle(), which does not search PATH)",
            "/home/alice/crontab:5: no newline at the end of the file: cron ignores this last \
             line (and crontab(1) refuses the file); end it with a newline",
        ]
    );
    assert!(t.diagnostics.iter().all(CrontabDiagnostic::is_error));
}

#[test]
fn dashes_before_schedule_are_for_root() {
    let t = run(&[user_tab("-0 1 * * * quiet\n")], &options(Scope::User));
    assert!(t.has_errors(), "{:?}", messages(&t));
    let mut root_tab = source(
        "/var/spool/cron/crontabs/root",
        CrontabKind::User,
        "-0 1 * * * quiet\n",
    );
    root_tab.owner = Some("root".into());
    let t = run(&[root_tab], &options(Scope::System));
    assert!(!t.has_errors());
    assert!(messages(&t)[0].contains("warning: '-' before the schedule"));
}

fn debian() -> Vec<CrontabSource> {
    vec![
        source(
            "/etc/crontab",
            CrontabKind::System,
            "SHELL=/bin/sh\nPATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin\n\
             17 *\t* * *\troot\tcd / && run-parts --report /etc/cron.hourly\n\
             25 6\t* * *\troot\ttest -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }\n\
             47 6\t* * 7\troot\ttest -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.weekly; }\n\
             52 6\t1 * *\troot\ttest -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.monthly; }\n",
        ),
        source(
            "/etc/cron.d/anacron",
            CrontabKind::System,
            "30 7-23 * * * root [ -x /etc/init.d/anacron ] && if [ ! -d /run/systemd/system ]; then /usr/sbin/invoke-rc.d anacron start >/dev/null; fi\n",
        ),
        source("/etc/cron.daily", CrontabKind::Directory, "0anacron\nlogrotate\nman-db\n"),
        source("/etc/cron.yearly", CrontabKind::Directory, "cleanup\n"),
        source(
            "/etc/anacrontab",
            CrontabKind::Anacron,
            "SHELL=/bin/sh\nHOME=/root\nLOGNAME=root\n\
             1\t5\tcron.daily\trun-parts --report /etc/cron.daily\n\
             7\t10\tcron.weekly\trun-parts --report /etc/cron.weekly\n\
             @monthly\t15\tcron.monthly\trun-parts --report /etc/cron.monthly\n",
        ),
    ]
}

#[test]
fn each_cron_directory_runs_once() {
    let t = run(&debian(), &options(Scope::System));
    assert!(!t.has_errors(), "{:?}", messages(&t));
    let timers: Vec<&str> = names(&t)
        .into_iter()
        .filter(|n| n.ends_with(".timer"))
        .collect();
    assert_eq!(
        timers,
        [
            "cron-daily.timer",
            "cron-hourly.timer",
            "cron-monthly.timer",
            "cron-weekly.timer"
        ]
    );
    // cron's time plus anacron's delay; anacron's environment and mail.
    let daily = unit(&t, "cron-daily.timer");
    assert!(daily.contains("OnCalendar=*-*-* 06:30:00\n"), "{daily}");
    assert!(daily.contains("Persistent=true\n"));
    assert!(
        daily.contains("# /etc/crontab:4: 25 6") && daily.contains("# /etc/anacrontab:4: 1\t5")
    );
    let service = unit(&t, "cron-daily.service");
    assert!(service.contains("ExecStart=/bin/sh -c \"run-parts --report /etc/cron.daily\"\n"));
    assert!(service.contains("WorkingDirectory=/\n"));
    assert!(service.contains("OnFailure=sundial-anacron-mail@cron-daily.service\n"));
    assert!(unit(&t, "cron-weekly.timer").contains("OnCalendar=Sun *-*-* 06:57:00\n"));
    assert!(unit(&t, "cron-monthly.timer").contains("OnCalendar=*-*-01 07:07:00\n"));
    // Hourly only from /etc/crontab, with its environment and cron's mail.
    let hourly_timer = unit(&t, "cron-hourly.timer");
    assert!(hourly_timer.contains("OnCalendar=*-*-* *:17:00\n"));
    // The hour is `*`: a wildcard job, which follows the clock through DST.
    assert!(hourly_timer.contains("X-Sundial-DSTPolicy=cron-wildcard\n"));
    assert!(daily.contains("X-Sundial-DSTPolicy=cron-fixed\n"));
    let hourly = unit(&t, "cron-hourly.service");
    assert!(hourly.contains("User=root\n"));
    assert!(hourly.contains("OnFailure=sundial-cron-mail@cron-hourly.service\n"));
    let m = messages(&t);
    // The line starting anacron is not imported; cron.yearly is run by
    // nothing.
    assert!(
        m.iter()
            .any(|m| m.starts_with("/etc/cron.d/anacron:1: warning: starts anacron")),
        "{m:?}"
    );
    assert!(
        m.iter()
            .any(|m| m.starts_with("/etc/cron.yearly: warning: nothing")),
        "{m:?}"
    );
}

#[test]
fn a_line_running_a_directory_and_more_is_an_error() {
    let t = run(
        &[source(
            "/etc/crontab",
            CrontabKind::System,
            "0 6 * * * root run-parts /etc/cron.daily && touch /tmp/x\n",
        )],
        &options(Scope::System),
    );
    assert!(t.has_errors());
    assert!(messages(&t)[0].contains("runs /etc/cron.daily and other commands"));
}

#[test]
fn fedoras_hourly_anacron_would_run_jobs_twice() {
    let t = run(
        &[
            source("/etc/cron.d/0hourly", CrontabKind::System, "01 * * * * root run-parts /etc/cron.hourly\n"),
            source("/etc/cron.hourly", CrontabKind::Directory, "0anacron\n"),
            source("/etc/anacrontab", CrontabKind::Anacron, "START_HOURS_RANGE=3-22\nRANDOM_DELAY=45\n1 5 cron.daily nice run-parts /etc/cron.daily\n"),
        ],
        &options(Scope::System),
    );
    assert!(t.has_errors());
    assert!(messages(&t)
        .iter()
        .any(|m| m.starts_with("/etc/cron.hourly: 0anacron runs anacron")));
}

#[test]
fn anacron_periods_and_hours() {
    let tab = "START_HOURS_RANGE=3-22\nRANDOM_DELAY=45\nMAILTO=\n\
               1 5 backup.daily /usr/local/bin/backup\n\
               @weekly 25 report.weekly report\n\
               30 0 purge purge-old\n\
               3 10 every3 x\n";
    let t = run(
        &[source("/etc/anacrontab", CrontabKind::Anacron, tab)],
        &options(Scope::System),
    );
    assert!(!t.has_errors(), "{:?}", messages(&t));
    let daily = unit(&t, "backup-daily.timer");
    assert!(daily.contains("OnCalendar=*-*-* 03:05:00\n"), "{daily}");
    assert!(daily.contains("Persistent=true\nRandomizedDelaySec=45min\n"));
    assert!(
        !daily.contains("FixedRandomDelay"),
        "anacron picks the delay anew"
    );
    assert!(unit(&t, "report-weekly.timer").contains("OnCalendar=Mon *-*-* 03:25:00\n"));
    assert!(unit(&t, "purge.timer").contains("OnCalendar=*-*-01 03:00:00\n"));
    assert!(unit(&t, "every3.timer").contains("OnCalendar=*-*-01/3 03:10:00\n"));
    let service = unit(&t, "backup-daily.service");
    assert!(service.contains("Description=backup.daily\n"));
    assert!(service.contains("ExecStart=/bin/sh -c \"/usr/local/bin/backup\"\n"));
    assert!(!service.contains("OnFailure"), "MAILTO= is empty");
    let m = messages(&t);
    let warned = |line: usize| {
        m.iter()
            .any(|m| m.starts_with(&format!("/etc/anacrontab:{line}: warning:")))
    };
    assert!(warned(1), "the hours range: {m:?}");
    assert!(!warned(4), "daily is exact: {m:?}");
    assert!(warned(5) && warned(6) && warned(7), "{m:?}");
    // `%` is not special in anacrontab.
    let t = run(
        &[source(
            "/etc/anacrontab",
            CrontabKind::Anacron,
            "1 0 pct date +%F\n",
        )],
        &options(Scope::System),
    );
    assert!(unit(&t, "pct.service").contains("-c \"date +%%F\"\n"));
    let t = run(
        &[source(
            "/etc/anacrontab",
            CrontabKind::Anacron,
            "0 0 zero x\nbad line\n",
        )],
        &options(Scope::System),
    );
    assert_eq!(t.errors().count(), 2, "{:?}", messages(&t));
}

#[test]
fn six_field_lines_only_where_asked() {
    let line = "*/10 * * * * * date\n";
    let t = run(&[user_tab(line)], &options(Scope::User));
    assert!(t.has_errors());
    let mut o = options(Scope::User);
    o.seconds = true;
    let t = run(&[user_tab(line)], &o);
    clean(&t);
    let timer = unit(&t, "date.timer");
    assert!(timer.contains("AccuracySec=1ms\n"), "{timer}");
}

#[test]
fn translating_twice_gives_the_same_units() {
    let a = run(&debian(), &options(Scope::System));
    let b = run(&debian(), &options(Scope::System));
    assert_eq!(a, b);
    let tab = "0 0 ~ * * random-day\n~ ~ * * * random-time\n";
    assert_eq!(
        run(&[user_tab(tab)], &options(Scope::User)),
        run(&[user_tab(tab)], &options(Scope::User))
    );
}

#[test]
fn every_generated_unit_names_its_sources() {
    let t = run(&debian(), &options(Scope::System));
    for u in &t.units {
        assert!(u.text.contains(render::SOURCE_MARKER), "{}", u.name);
        assert!(
            u.text.starts_with("# Generated by `sundial crontab`"),
            "{}",
            u.name
        );
    }
    assert_eq!(
        t.sources,
        debian().iter().map(|s| s.path.clone()).collect::<Vec<_>>()
    );
    assert!(Path::new(&t.sources[0]).is_absolute());
}

#[test]
fn source_paths_escape_specifiers() {
    let t = run(
        &[source(
            "/srv/100%/crontab",
            CrontabKind::User,
            "MAILTO=\"\"\n@daily x\n",
        )],
        &options(Scope::User),
    );
    clean(&t);
    assert!(unit(&t, "x.timer").contains("SourcePath=/srv/100%%/crontab\n"));
    // Not a path: no SourcePath=.
    let t = run(
        &[source(
            "(standard input)",
            CrontabKind::User,
            "MAILTO=\"\"\n@daily x\n",
        )],
        &options(Scope::User),
    );
    assert!(!unit(&t, "x.service").contains("SourcePath"));
}
