//! Golden tests: `sundial calendar|timespan|timestamp` against outputs recorded
//! from `systemd-analyze` 252 (tests/golden/*.golden, written by
//! scripts/golden/generate.py; systemd-analyze is not needed here).
//!
//! Each case runs the real binary with the recorded arguments and `TZ`, and
//! compares the exit status and stdout exactly ("From now:" lines aside, they
//! depend on the real clock). systemd's stderr wording is not part of the
//! promise: sundial must write to stderr exactly when systemd does, naming every
//! input systemd names.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// How many failing cases a test prints in full; `SUNDIAL_GOLDEN_SHOW=N`
/// overrides it.
const SHOWN_FAILURES: usize = 20;

fn shown_failures() -> usize {
    std::env::var("SUNDIAL_GOLDEN_SHOW")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(SHOWN_FAILURES)
}

#[derive(Debug)]
struct Case {
    id: String,
    tz: String,
    args: Vec<String>,
    exit: i32,
    stdout: Vec<String>,
    stderr: Vec<String>,
}

fn golden_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.golden"))
}

fn parse_json_string(text: &str, what: &str) -> String {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{what}: bad JSON string {text}: {e}"))
}

/// Reads a golden file (format described in scripts/golden/generate.py).
fn read_golden(name: &str) -> Vec<Case> {
    let path = golden_path(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut cases: Vec<Case> = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let at = format!("{}:{}", path.display(), number + 1);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(id) = line.strip_prefix("=== ") {
            cases.push(Case {
                id: id.to_owned(),
                tz: String::new(),
                args: Vec::new(),
                exit: -1,
                stdout: Vec::new(),
                stderr: Vec::new(),
            });
            continue;
        }
        let case = cases
            .last_mut()
            .unwrap_or_else(|| panic!("{at}: line before the first === case"));
        let (tag, rest) = line.split_once(' ').unwrap_or((line, ""));
        match tag {
            "env" => {
                case.tz = rest
                    .strip_prefix("TZ=")
                    .unwrap_or_else(|| panic!("{at}: expected env TZ=..."))
                    .to_owned()
            }
            "arg" => case.args.push(parse_json_string(rest, &at)),
            "exit" => {
                case.exit = rest
                    .parse()
                    .unwrap_or_else(|_| panic!("{at}: bad exit status"))
            }
            "out" => case.stdout.push(rest.to_owned()),
            "err" => case.stderr.push(rest.to_owned()),
            "outj" => case.stdout.push(parse_json_string(rest, &at)),
            "errj" => case.stderr.push(parse_json_string(rest, &at)),
            _ => panic!("{at}: unknown line {line:?}"),
        }
    }
    for case in &cases {
        assert!(
            !case.tz.is_empty() && !case.args.is_empty() && case.exit >= 0,
            "{}: incomplete case {}",
            path.display(),
            case.id
        );
    }
    assert!(!cases.is_empty(), "{}: no cases", path.display());
    cases
}

fn is_from_now(line: &str) -> bool {
    line.trim_start().starts_with("From now: ")
}

/// The inputs systemd names in its error messages: `... '<input>': reason` or
/// `Failed to parse "<input>": reason`.
fn named_inputs(stderr: &[String]) -> Vec<String> {
    let mut names = Vec::new();
    for line in stderr {
        if !line.starts_with("Failed to ") {
            continue;
        }
        for quote in ['\'', '"'] {
            if let (Some(start), Some(end)) = (line.find(quote), line.rfind(quote)) {
                if end > start {
                    names.push(line[start + 1..end].to_owned());
                    break;
                }
            }
        }
    }
    names
}

/// Runs one case; returns a readable report when sundial disagrees.
fn check(case: &Case) -> Option<String> {
    let output = Command::new(env!("CARGO_BIN_EXE_sundial"))
        .args(&case.args)
        .env_clear()
        .env("TZ", &case.tz)
        .env("LANG", "C.UTF-8")
        .output()
        .expect("the sundial binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let got: Vec<&str> = stdout.lines().filter(|l| !is_from_now(l)).collect();
    let want: Vec<&str> = case.stdout.iter().map(String::as_str).collect();
    let status = output.status.code().unwrap_or(-1);

    let mut problems = String::new();
    if status != case.exit {
        let _ = writeln!(problems, "exit status: want {}, got {status}", case.exit);
    }
    if got != want {
        let _ = writeln!(problems, "stdout (- systemd-analyze, + sundial):");
        problems += &line_diff(&want, &got);
    }
    if case.stderr.is_empty() != stderr.trim().is_empty() {
        let _ = writeln!(
            problems,
            "stderr: want {}, got {:?}",
            if case.stderr.is_empty() {
                "nothing".to_owned()
            } else {
                format!("{:?}", case.stderr)
            },
            stderr
        );
    } else {
        for name in named_inputs(&case.stderr) {
            if !stderr.contains(&name) {
                let _ = writeln!(
                    problems,
                    "stderr does not name the input {name:?}: {stderr:?} (systemd: {:?})",
                    case.stderr
                );
            }
        }
    }
    (!problems.is_empty()).then(|| {
        format!(
            "--- {} (TZ={} sundial {})\n{problems}",
            case.id,
            case.tz,
            shell_words(&case.args)
        )
    })
}

fn shell_words(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_=./:@,+".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A line diff (longest common subsequence), with unchanged lines as context.
fn line_diff(want: &[&str], got: &[&str]) -> String {
    let (n, m) = (want.len(), got.len());
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if want[i] == got[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = String::new();
    while i < n || j < m {
        if i < n && j < m && want[i] == got[j] {
            let _ = writeln!(out, "   {}", want[i]);
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            let _ = writeln!(out, "  -{}", want[i]);
            i += 1;
        } else {
            let _ = writeln!(out, "  +{}", got[j]);
            j += 1;
        }
    }
    out
}

/// Runs every case of a golden file on all cores and fails with the first
/// [`SHOWN_FAILURES`] disagreements.
fn run_golden(name: &str) {
    let cases = read_golden(name);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunk = cases.len().div_ceil(threads);
    let mut failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = cases
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().filter_map(check).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a golden worker thread panicked"))
            .collect()
    });
    failures.sort();
    if !failures.is_empty() {
        let show = shown_failures();
        let shown: String = failures.iter().take(show).cloned().collect();
        panic!(
            "{} of {} cases in tests/golden/{name}.golden disagree with systemd-analyze \
             (first {}):\n{shown}",
            failures.len(),
            cases.len(),
            failures.len().min(show)
        );
    }
}

#[test]
fn calendar_grammar() {
    run_golden("calendar-grammar");
}

#[test]
fn calendar_zones() {
    run_golden("calendar-zones");
}

#[test]
fn calendar_dst() {
    run_golden("calendar-dst");
}

#[test]
fn calendar_long_runs_across_many_offset_changes() {
    run_golden("calendar-long");
}

#[test]
fn calendar_leap_years_and_limits() {
    run_golden("calendar-leap");
}

#[test]
fn calendar_reference_tables_and_several_arguments() {
    run_golden("calendar-misc");
}

#[test]
fn calendar_regressions_from_differential_and_fuzz_runs() {
    run_golden("calendar-regressions");
}

#[test]
fn timespan() {
    run_golden("timespan");
}

#[test]
fn timestamp() {
    run_golden("timestamp");
}

#[test]
fn local_zone_abbreviations() {
    run_golden("local-abbreviations");
}

/// The harness itself: the diff marks what changed, the stderr rule finds the
/// named inputs, and every golden file parses into complete cases.
#[test]
fn harness_self_check() {
    let diff = line_diff(&["a", "b", "c"], &["a", "x", "c"]);
    assert_eq!(diff, "   a\n  -b\n  +x\n   c\n");
    assert_eq!(
        named_inputs(&[
            "Failed to parse calendar specification '*': Invalid argument".to_owned(),
            "Failed to parse \"x y\": Invalid argument".to_owned(),
            "Hint: this expression is a valid timestamp.".to_owned(),
        ]),
        ["*", "x y"]
    );
    for name in [
        "calendar-grammar",
        "calendar-zones",
        "calendar-dst",
        "calendar-leap",
        "calendar-misc",
        "calendar-regressions",
        "timespan",
        "timestamp",
        "local-abbreviations",
    ] {
        let cases = read_golden(name);
        assert!(cases.iter().all(|c| c.id.starts_with(name)), "{name}");
    }
}
