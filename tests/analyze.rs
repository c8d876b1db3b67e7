//! `sundial analyze`: blame and plot over a real daemon's recorded runs
//! (and over its state database once it has stopped), dot through
//! Graphviz where it is installed, and the systemd-analyze aliases.

// Test helpers: a failure should stop the test loudly.
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use std::time::Duration;

use daemon_support::{wait_for, Daemon};
use sundial::ipc::{Request, Response, UnitsRequest};

fn sundial(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sundial"))
        .args(args)
        .env("TZ", "UTC")
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const UNITS: &[(&str, &str)] = &[
    (
        "slow.service",
        "[Service]\nType=oneshot\nExecStart=/bin/sleep 0.6\n",
    ),
    (
        "quick.service",
        "[Service]\nType=oneshot\nExecStart=/bin/true\n",
    ),
    (
        "broken.service",
        "[Unit]\nOnFailure=quick.service\n[Service]\nType=oneshot\nExecStart=/bin/sh -c 'sleep 0.2; exit 2'\n",
    ),
];

fn ran_daemon(dir: &std::path::Path) -> Daemon {
    let mut d = Daemon::new(dir, UNITS);
    d.start();
    d.start_unit("slow.service");
    d.start_unit("quick.service");
    let failed = d.call(Request::Start(UnitsRequest {
        units: vec!["broken.service".into()],
    }));
    assert!(matches!(failed, Response::Error { .. }), "{failed:?}");
    // broken's OnFailure= hook has run too.
    assert!(wait_for(Duration::from_secs(20), || d
        .finished("quick.service")
        .len()
        == 2));
    d
}

#[test]
fn blame_lists_the_last_runs_longest_first_with_or_without_the_daemon() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = ran_daemon(dir.path());
    let socket = d.socket.to_str().unwrap().to_owned();
    let out = sundial(&["analyze", "blame", "--socket", &socket]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let blame = text(&out);
    let units: Vec<&str> = blame
        .lines()
        .map(|l| l.split_whitespace().last().unwrap())
        .collect();
    assert_eq!(units[..2], ["slow.service", "broken.service"], "{blame}");
    assert!(units.contains(&"quick.service"), "{blame}");
    let slow = blame.lines().next().unwrap();
    assert!(slow.contains("ms slow.service"), "{blame}");

    // The daemon gone: the same from its state database.
    assert!(d.terminate());
    let state = d.state.to_str().unwrap().to_owned();
    let out = sundial(&[
        "analyze",
        "blame",
        "--socket",
        &socket,
        "--state-dir",
        &state,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(text(&out), blame);
}

#[test]
fn plot_draws_a_bar_per_run_as_valid_svg() {
    let dir = tempfile::tempdir().unwrap();
    let d = ran_daemon(dir.path());
    let socket = d.socket.to_str().unwrap().to_owned();
    let file = dir.path().join("runs.svg");
    let out = sundial(&[
        "analyze",
        "plot",
        "--since",
        "-10min",
        "--socket",
        &socket,
        "--output",
        file.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Python's XML parser: well-formed, and the elements expected.
    let check = Command::new("python3")
        .arg("-c")
        .arg(concat!(
            "import sys, xml.etree.ElementTree as ET\n",
            "root = ET.parse(sys.argv[1]).getroot()\n",
            "ns = '{http://www.w3.org/2000/svg}'\n",
            "assert root.tag == ns + 'svg', root.tag\n",
            "runs = [r for r in root.iter(ns + 'rect') if 'run' in r.get('class', '').split()]\n",
            "print(len(runs), sorted(r.get('class') for r in runs))\n",
            "print(sorted(t.text for t in root.iter(ns + 'title')))\n",
        ))
        .arg(&file)
        .output();
    let Ok(check) = check else {
        eprintln!("TEST: skipped the XML check: python3 cannot be run");
        return;
    };
    let report = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success(),
        "{report}{}",
        String::from_utf8_lossy(&check.stderr)
    );
    // slow, quick (twice: once started, once as broken's OnFailure=), broken.
    assert!(report.starts_with("4 "), "{report}");
    assert!(
        report.contains("'run failed'") && report.contains("'run success'"),
        "{report}"
    );
    assert!(report.contains("broken.service: exit-code at"), "{report}");
    // A window with nothing in it says so.
    let out = sundial(&[
        "analyze",
        "plot",
        "--since",
        "2000-01-01",
        "--until",
        "2000-01-02",
        "--socket",
        &socket,
    ]);
    assert!(text(&out).contains("no runs in this window"));
    let out = sundial(&[
        "analyze",
        "plot",
        "--since",
        "tomorrow",
        "--until",
        "yesterday",
        "--socket",
        &socket,
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--since must lie before --until"));
}

#[test]
fn dot_draws_the_dependencies_and_graphviz_accepts_them() {
    let dir = tempfile::tempdir().unwrap();
    let units = dir.path().join("units");
    std::fs::create_dir_all(&units).unwrap();
    for (name, text) in [
        (
            "web.service",
            "[Unit]\nRequires=db.service\nAfter=db.service\nWants=cache.service\nOnFailure=page.service\n[Service]\nExecStart=/bin/true\n",
        ),
        (
            "db.service",
            "[Unit]\nBefore=report.service\n[Service]\nExecStart=/bin/true\n",
        ),
        ("report.service", "[Service]\nExecStart=/bin/true\n"),
    ] {
        std::fs::write(units.join(name), text).unwrap();
    }
    let dirs = units.to_str().unwrap();
    let out = sundial(&["analyze", "dot", "--unit-dir", dirs]);
    assert!(out.status.success());
    let graph = text(&out);
    for edge in [
        "\"web.service\"->\"db.service\" [color=\"black\"];",
        "\"web.service\"->\"db.service\" [color=\"green\"];",
        "\"web.service\"->\"cache.service\" [color=\"grey66\"];",
        "\"web.service\"->\"page.service\" [color=\"orange\"];",
        "\"report.service\"->\"db.service\" [color=\"green\"];",
    ] {
        assert!(graph.contains(edge), "{edge} not in\n{graph}");
    }
    assert!(String::from_utf8_lossy(&out.stderr).contains("Color legend"));
    let only = text(&sundial(&[
        "analyze",
        "dot",
        "--order",
        "report*",
        "--unit-dir",
        dirs,
    ]));
    assert_eq!(only.lines().count(), 3, "{only}");

    let Ok(mut dot) = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    else {
        eprintln!("TEST: skipped the Graphviz check: dot not installed (Debian package graphviz)");
        return;
    };
    dot.stdin
        .take()
        .unwrap()
        .write_all(graph.as_bytes())
        .unwrap();
    let svg = dot.wait_with_output().unwrap();
    assert!(
        svg.status.success(),
        "{}",
        String::from_utf8_lossy(&svg.stderr)
    );
    let svg = String::from_utf8_lossy(&svg.stdout);
    assert!(
        svg.contains("<svg") && svg.contains("<title>web.service&#45;&gt;db.service</title>"),
        "{svg}"
    );
}

#[test]
fn the_systemd_analyze_commands_are_there_under_analyze() {
    for args in [
        &["calendar", "Mon *-*-* 09:00", "--base-time", "2030-01-01"][..],
        &["timespan", "1h 30min"][..],
        &["timestamp", "2030-01-01 12:00 UTC"][..],
    ] {
        let plain = sundial(args);
        let mut with = vec!["analyze"];
        with.extend_from_slice(args);
        let analyzed = sundial(&with);
        assert!(
            plain.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&plain.stderr)
        );
        assert_eq!(text(&analyzed), text(&plain), "{args:?}");
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.timer");
    std::fs::write(&file, "[Timer]\nOnCalendar=nonsense\n").unwrap();
    let plain = sundial(&["verify", file.to_str().unwrap()]);
    let analyzed = sundial(&["analyze", "verify", file.to_str().unwrap()]);
    assert_eq!(plain.status.code(), analyzed.status.code());
    assert_eq!(plain.stderr, analyzed.stderr);
}

#[test]
fn critical_chain_follows_the_dependency_that_held_a_unit_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(
        dir.path(),
        &[
            (
                "fetch.service",
                "[Service]\nType=oneshot\nExecStart=/bin/sleep 0.4\n",
            ),
            (
                "quick.service",
                "[Service]\nType=oneshot\nExecStart=/bin/true\n",
            ),
            (
                "report.service",
                "[Unit]\nWants=fetch.service quick.service\nAfter=fetch.service quick.service\n[Service]\nType=oneshot\nExecStart=/bin/sleep 0.2\n",
            ),
        ],
    );
    d.start();
    d.start_unit("report.service");
    let socket = d.socket.to_str().unwrap().to_owned();
    let out = sundial(&["analyze", "critical-chain", "report", "--socket", &socket]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let chain = text(&out);
    let lines: Vec<&str> = chain.lines().skip(3).collect();
    assert_eq!(lines.len(), 2, "{chain}");
    assert!(
        lines[0].starts_with("report.service @") && lines[0].contains(" +2"),
        "{chain}"
    );
    assert!(
        lines[1].starts_with("└─fetch.service @") && lines[1].contains(" +4"),
        "{chain}"
    );
    // A unit that never ran has no chain.
    let out = sundial(&[
        "analyze",
        "critical-chain",
        "quick-never.service",
        "--socket",
        &socket,
    ]);
    assert!(!out.status.success());
    // The daemon gone: its record and database give the same chain.
    assert!(d.terminate());
    let state = d.state.to_str().unwrap().to_owned();
    let offline = sundial(&[
        "analyze",
        "critical-chain",
        "report.service",
        "--socket",
        &socket,
        "--state-dir",
        &state,
    ]);
    assert_eq!(
        text(&offline),
        chain,
        "{}",
        String::from_utf8_lossy(&offline.stderr)
    );
}
