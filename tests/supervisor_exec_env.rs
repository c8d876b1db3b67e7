//! The execution environment: credentials, environment, working directory,
//! limits, output targets, prefixes, resource settings.

mod supervisor_util;

use sundial::activation::Activation;
use sundial::supervisor::SubState;
use supervisor_util::{is_root, Harness};

async fn run_oneshot(h: &mut Harness, name: &str, body: &str) {
    h.add(name, &format!("[Service]\nType=oneshot\n{body}\n"));
    h.sup.start(name).expect("start job");
    h.wait(3000, |s, _| {
        s.status(name)
            .is_some_and(|st| matches!(st.sub, SubState::Dead | SubState::Failed))
    })
    .await;
    assert_eq!(
        h.sub(name),
        SubState::Dead,
        "{:?}",
        h.sink.messages_of(name)
    );
}

#[tokio::test]
async fn user_nobody_runs_as_nobody() {
    if !is_root() {
        eprintln!("skipped: User= needs root to switch users");
        return;
    }
    let mut h = Harness::new();
    let out = h.path("id");
    std::fs::set_permissions(
        h.dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .expect("chmod");
    run_oneshot(
        &mut h,
        "n.service",
        &format!(
            "User=nobody\nExecStart=/bin/sh -c 'echo $(id -u) $(id -g) $USER $LOGNAME $HOME > {0}'\nExecStartPost=+/bin/sh -c 'id -u >> {0}'",
            out.display()
        ),
    )
    .await;
    let nobody = nix::unistd::User::from_name("nobody")
        .expect("passwd")
        .expect("nobody exists");
    let text = std::fs::read_to_string(&out).expect("output");
    assert_eq!(
        text,
        format!(
            "{} {} nobody nobody {}\n0\n",
            nobody.uid,
            nobody.gid,
            nobody.dir.display()
        ),
        "the + command runs with full privileges"
    );
}

#[tokio::test]
async fn unknown_user_fails_with_217() {
    let mut h = Harness::new();
    h.add(
        "u.service",
        "[Service]\nUser=no-such-user-xyz\nExecStart=/bin/true\n",
    );
    h.sup.start("u.service").expect("start job");
    h.wait_sub("u.service", SubState::Failed, 3000).await;
    assert_eq!(
        h.status("u.service").main_exit.and_then(|e| e.exit_code()),
        Some(217)
    );
}

#[tokio::test]
async fn environment_layers_and_expansion() {
    let mut h = Harness::with_config(|c| {
        c.manager_environment = vec![
            ("FROM_MANAGER".into(), "passed".into()),
            ("OTHER".into(), "x".into()),
        ];
    });
    let envfile = h.path("env");
    std::fs::write(
        &envfile,
        "# comment\nFILE_VAR='from file'\nONE=overridden\n",
    )
    .expect("env file");
    let out = h.path("out");
    run_oneshot(
        &mut h,
        "e.service",
        &format!(
            "Environment=ONE=one \"TWO=two two\" GONE=1\nEnvironmentFile={}\nEnvironmentFile=-/nonexistent/env\nPassEnvironment=FROM_MANAGER\nUnsetEnvironment=GONE\nExecStart=/usr/bin/printf '%%s|' $TWO ${{TWO}} $ONE ${{FILE_VAR}} ${{FROM_MANAGER}} ${{OTHER}} ${{GONE}} --x=$ONE\nStandardOutput=file:{}",
            envfile.display(),
            out.display()
        ),
    )
    .await;
    assert_eq!(
        std::fs::read_to_string(&out).expect("out"),
        "two|two|two two|overridden|from file|passed|||--x=$ONE|"
    );
}

#[tokio::test]
async fn environment_file_patterns_read_every_match_in_order() {
    let mut h = Harness::new();
    let dir = h.path("env.d");
    std::fs::create_dir(&dir).expect("env dir");
    std::fs::write(dir.join("b.env"), "SECOND=b\nBOTH=from-b\n").expect("b.env");
    std::fs::write(dir.join("a.env"), "FIRST=a\nBOTH=from-a\n").expect("a.env");
    std::fs::write(dir.join("c.txt"), "BOTH=not-an-env-file\n").expect("c.txt");
    let out = h.path("out");
    run_oneshot(
        &mut h,
        "g.service",
        &format!(
            "EnvironmentFile={}/*.env\nEnvironmentFile=-{}/none*.env\nExecStart=/usr/bin/printf '%%s|' ${{FIRST}} ${{SECOND}} ${{BOTH}}\nStandardOutput=file:{}",
            dir.display(),
            dir.display(),
            out.display()
        ),
    )
    .await;
    // a.env, then b.env: the later file wins.
    assert_eq!(std::fs::read_to_string(&out).expect("out"), "a|b|from-b|");
}

#[tokio::test]
async fn invocation_id_and_trigger_variables() {
    let mut h = Harness::new();
    let out = h.path("out");
    h.add(
        "t.service",
        &format!(
            "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo $INVOCATION_ID $TRIGGER_UNIT $TRIGGER_TIMER_REALTIME_USEC > {}'\n",
            out.display()
        ),
    );
    let trigger = Activation::timer("t.timer", 1_700_000_000_000_000, 5);
    h.sup.start_with("t.service", trigger).expect("start job");
    h.wait_sub("t.service", SubState::Dead, 3000).await;
    let text = std::fs::read_to_string(&out).expect("out");
    let inv = h.status("t.service").invocation_id;
    assert_eq!(inv.len(), 32);
    assert_eq!(text, format!("{inv} t.timer 1700000000000000\n"));
}

#[tokio::test]
async fn working_directory_umask_nice_and_limits() {
    let mut h = Harness::new();
    let out = h.path("out");
    let wd = h.path("wd");
    std::fs::create_dir(&wd).expect("mkdir");
    run_oneshot(
        &mut h,
        "w.service",
        &format!(
            "WorkingDirectory={}\nUMask=0027\nNice=7\nLimitNOFILE=123\nExecStart=/bin/sh -c 'echo $(pwd) $(umask) $(ulimit -n) $(cut -d\" \" -f19 /proc/$$$$/stat) > {}'",
            wd.display(),
            out.display()
        ),
    )
    .await;
    assert_eq!(
        std::fs::read_to_string(&out).expect("out"),
        format!("{} 0027 123 7\n", wd.display())
    );
    // A missing directory fails with 200/CHDIR unless prefixed with '-'.
    h.add(
        "bad.service",
        "[Service]\nWorkingDirectory=/nonexistent/dir\nExecStart=/bin/true\n",
    );
    h.sup.start("bad.service").expect("start job");
    h.wait_sub("bad.service", SubState::Failed, 3000).await;
    assert_eq!(
        h.status("bad.service")
            .main_exit
            .and_then(|e| e.exit_code()),
        Some(200)
    );
    run_oneshot(
        &mut h,
        "ok.service",
        "WorkingDirectory=-/nonexistent/dir\nExecStart=/bin/true",
    )
    .await;
}

#[tokio::test]
async fn output_targets() {
    let mut h = Harness::new();
    let file = h.path("file");
    let append = h.path("append");
    let trunc = h.path("trunc");
    std::fs::write(&file, "XXXXXXXXXX\n").expect("seed file");
    std::fs::write(&append, "old\n").expect("seed append");
    std::fs::write(&trunc, "old old old\n").expect("seed trunc");
    run_oneshot(
        &mut h,
        "f.service",
        &format!(
            "StandardOutput=file:{}\nExecStart=/bin/echo new",
            file.display()
        ),
    )
    .await;
    run_oneshot(
        &mut h,
        "a.service",
        &format!(
            "StandardOutput=append:{}\nExecStart=/bin/echo new",
            append.display()
        ),
    )
    .await;
    run_oneshot(
        &mut h,
        "t.service",
        &format!(
            "StandardOutput=truncate:{}\nExecStart=/bin/echo new",
            trunc.display()
        ),
    )
    .await;
    run_oneshot(
        &mut h,
        "n.service",
        "StandardOutput=null\nExecStart=/bin/echo lost",
    )
    .await;
    run_oneshot(
        &mut h,
        "j.service",
        "StandardError=null\nExecStart=/bin/sh -c 'echo to-journal; echo to-null >&2'",
    )
    .await;
    assert_eq!(
        std::fs::read_to_string(&file).expect("file"),
        "new\nXXXXXX\n"
    );
    assert_eq!(
        std::fs::read_to_string(&append).expect("append"),
        "old\nnew\n"
    );
    assert_eq!(std::fs::read_to_string(&trunc).expect("trunc"), "new\n");
    assert!(
        h.wait(2000, |_, sink| !sink.lines_of("j.service").is_empty())
            .await
    );
    h.run_for(30).await;
    assert_eq!(h.lines("j.service"), vec!["to-journal"]);
    assert!(h.lines("n.service").is_empty());
    let rec = h
        .sink
        .lines
        .lock()
        .expect("sink")
        .iter()
        .find(|r| r.unit == "j.service")
        .cloned()
        .expect("a record");
    assert_eq!(rec.invocation_id, h.status("j.service").invocation_id);
    assert!(rec.timestamp.as_usec() > 0);
}

#[tokio::test]
async fn ignore_failure_and_argv0_prefixes() {
    let mut h = Harness::new();
    let out = h.path("out");
    run_oneshot(
        &mut h,
        "p.service",
        &format!(
            "ExecStartPre=-/bin/false\nExecStartPre=-/nonexistent/binary\nExecStart=@/bin/sh custom-name -c 'echo $0 > {}'\nExecStart=:/bin/sh -c 'test \"$HOME\" = \"$HOME\"'",
            out.display()
        ),
    )
    .await;
    assert_eq!(std::fs::read_to_string(&out).expect("out"), "custom-name\n");
}

#[tokio::test]
async fn conditions_skip_the_start() {
    let mut h = Harness::new();
    let ran = h.path("ran");
    h.add(
        "c.service",
        &format!("[Unit]\nConditionPathExists=/nonexistent/flag\n[Service]\nType=oneshot\nExecStart=/bin/touch {}\n", ran.display()),
    );
    h.sup.start("c.service").expect("start job");
    h.run_for(50).await;
    assert_eq!(h.sub("c.service"), SubState::Dead);
    assert!(!ran.exists());
    let jobs = h.sup.take_finished_jobs();
    assert!(
        jobs.iter()
            .any(|(_, unit, _, r)| unit == "c.service" && r.as_str() == "skipped"),
        "{jobs:?}"
    );
}

#[tokio::test]
async fn resource_settings_are_enforced_or_reported_once() {
    let mut h = Harness::new();
    h.add(
        "r.service",
        "[Service]\nType=oneshot\nMemoryMax=64M\nTasksMax=16\nExecStart=/bin/true\n",
    );
    for _ in 0..2 {
        h.sup.start("r.service").expect("start job");
        h.wait_sub("r.service", SubState::Dead, 3000).await;
    }
    let reports: Vec<String> = h
        .sink
        .messages_of("r.service")
        .into_iter()
        .filter(|m| m.contains("not enforced"))
        .collect();
    // Where a writable cgroup v2 subtree is delegated the limits apply and
    // nothing is reported; elsewhere exactly one report per unit.
    assert!(reports.len() <= 1, "{reports:?}");
}

#[tokio::test]
async fn reload_runs_exec_reload_with_mainpid() {
    let mut h = Harness::new();
    let out = h.path("out");
    h.add(
        "r.service",
        &format!(
            "[Service]\nExecStart=/bin/sleep 60\nExecReload=/bin/sh -c 'echo $MAINPID > {}'\n",
            out.display()
        ),
    );
    h.sup.start("r.service").expect("start job");
    let main = h.status("r.service").main_pid.expect("main").as_raw();
    h.sup.reload("r.service").expect("reload job");
    assert_eq!(h.sub("r.service"), SubState::Reload);
    h.wait_sub("r.service", SubState::Running, 3000).await;
    assert_eq!(
        std::fs::read_to_string(&out).expect("out"),
        format!("{main}\n")
    );
    h.sup.restart("r.service").expect("restart job");
    h.wait(3000, |s, _| {
        s.status("r.service").is_some_and(|st| {
            st.sub == SubState::Running && st.main_pid.map(|p| p.as_raw()) != Some(main)
        })
    })
    .await;
    assert_ne!(
        h.status("r.service").main_pid.map(|p| p.as_raw()),
        Some(main)
    );
    h.sup.stop("r.service").expect("stop job");
    h.wait_sub("r.service", SubState::Dead, 3000).await;
}
