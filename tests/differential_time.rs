//! Differential test: generated calendar expressions and time spans through
//! both `systemd-analyze` and `sundial`, requiring the same acceptance, the same
//! normalized form and the same first five elapses (calendar), and the same
//! microseconds and human form (timespan). Skips with a message where
//! `systemd-analyze` is not installed.
//!
//! Both tools get many expressions per invocation. `calendar` reports an invalid
//! argument and goes on with the next one; `timespan` stops at the first invalid
//! one, so its batches are resumed after the failing input.

#[path = "common/time_gen.rs"]
mod time_gen;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::{Command, Output};

use time_gen::Rng;

/// How many disagreements a failing test prints.
const SHOWN: usize = 20;
/// Expressions per calendar invocation: large enough to be fast, small enough
/// that a crash of one tool shows up near its cause.
const CALENDAR_BATCH: usize = 250;

/// (TZ, base times): a plain day and both DST transitions of each zone.
const CALENDAR_SETTINGS: [(&str, &[&str]); 4] = [
    (
        "UTC",
        &[
            "2024-02-28 23:59:59 UTC",
            "2023-12-31 23:59:59.5 UTC",
            "2199-11-30 12:00 UTC",
        ],
    ),
    (
        "Europe/Berlin",
        &[
            "2024-03-31 00:40 UTC",
            "2024-10-27 00:30 UTC",
            "2024-10-27 01:15 UTC",
        ],
    ),
    (
        "Australia/Lord_Howe",
        &[
            "2024-04-06 14:40 UTC",
            "2024-04-06 15:10 UTC",
            "2024-10-05 15:10 UTC",
        ],
    ),
    (
        "America/New_York",
        &[
            "2024-03-10 06:30 UTC",
            "2024-11-03 05:40 UTC",
            "2024-07-04 12:00 UTC",
        ],
    ),
];

/// Expressions per (TZ, base time) pair; plus a fixed core set run everywhere.
const CALENDAR_PER_SETTING: usize = 640;
const TIMESPANS: usize = 1000;

/// `SUNDIAL_DIFFERENTIAL_SCALE=N` multiplies the number of generated inputs and
/// `SUNDIAL_DIFFERENTIAL_SEED=S` picks other ones, for longer runs by hand.
fn scale_and_seed() -> (usize, u64) {
    let var = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    let scale = var("SUNDIAL_DIFFERENTIAL_SCALE").unwrap_or(1).max(1) as usize;
    (scale, var("SUNDIAL_DIFFERENTIAL_SEED").unwrap_or(0))
}

const CORE: [&str; 16] = [
    "minutely",
    "hourly",
    "daily",
    "weekly",
    "*:0/15",
    "*:30",
    "02:30",
    "01:30",
    "Mon..Fri 09:00",
    "*-*~01",
    "*-02-29",
    "Sat,Sun *:45",
    "00/2:00",
    "*:*:0/20",
    "12:00 UTC",
    "02:30 Europe/Berlin",
];

fn systemd_analyze_available() -> bool {
    Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tool {
    Systemd,
    Sundial,
}

fn run(tool: Tool, tz: &str, args: &[String]) -> Output {
    let mut cmd = match tool {
        Tool::Systemd => Command::new("systemd-analyze"),
        Tool::Sundial => Command::new(env!("CARGO_BIN_EXE_sundial")),
    };
    cmd.args(args)
        .env_clear()
        .env("TZ", tz)
        .env("LANG", "C.UTF-8")
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("SYSTEMD_PAGER", "cat")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {tool:?}: {e}"))
}

/// What a tool said about one input: the lines of its block (without the
/// "Original" line and the clock-dependent "From now:" lines), or a rejection.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    Accepted(Vec<String>),
    Rejected,
}

/// Splits stdout into blocks, each starting at a line `<label><input>`.
fn blocks(stdout: &str, label: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in stdout.lines() {
        let trimmed = line.trim_start();
        if let Some(input) = trimmed.strip_prefix(label) {
            out.push((input.to_owned(), Vec::new()));
        } else if let Some((_, lines)) = out.last_mut() {
            if !line.is_empty() && !trimmed.starts_with("From now: ") {
                lines.push(line.to_owned());
            }
        }
    }
    out
}

/// Splits `calendar` output into blocks keyed by the input: systemd prints
/// "Original form:" only when it differs from the normalized form, so a block
/// starts at "Normalized form:" and takes its key from the line before if that
/// is an "Original form:" line.
fn calendar_blocks(stdout: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    let mut original: Option<&str> = None;
    for line in stdout.lines() {
        let trimmed = line.trim_start();
        if let Some(input) = trimmed.strip_prefix("Original form: ") {
            original = Some(input);
        } else if let Some(normalized) = trimmed.strip_prefix("Normalized form: ") {
            let key = original.take().unwrap_or(normalized);
            out.push((key.to_owned(), vec![line.to_owned()]));
        } else if let Some((_, lines)) = out.last_mut() {
            if !line.is_empty() && !trimmed.starts_with("From now: ") {
                lines.push(line.to_owned());
            }
        }
    }
    out
}

/// Pairs inputs with blocks in order; an input without a block was rejected.
fn match_blocks(inputs: &[String], found: Vec<(String, Vec<String>)>) -> Vec<Verdict> {
    let mut found = found.into_iter().peekable();
    inputs
        .iter()
        .map(|input| match found.peek() {
            Some((original, _)) if original == input => {
                let (_, lines) = found.next().expect("peeked");
                Verdict::Accepted(lines)
            }
            _ => Verdict::Rejected,
        })
        .collect()
}

/// Seconds since the epoch of `[Wdy ]YYYY-MM-DD HH:MM[:SS[.ffffff]] UTC`.
fn utc_seconds(text: &str) -> Option<i64> {
    let text = text.strip_suffix(" UTC")?;
    let text = match text.split_once(' ') {
        Some((first, rest)) if first.chars().all(|c| c.is_ascii_alphabetic()) => rest,
        _ => text,
    };
    let (date, time) = text.split_once(' ')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.split(':');
    let h: i64 = t.next()?.parse().ok()?;
    let min: i64 = t.next()?.parse().ok()?;
    let sec: i64 = match t.next() {
        Some(sec) => sec.split('.').next()?.parse().ok()?,
        None => 0,
    };
    // Days from civil (proleptic Gregorian), after Howard Hinnant's algorithm.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + min * 60 + sec)
}

/// Whether systemd printed an elapse before the base time's second: with a
/// local zone abbreviation (forced DST flag) inside a fold, systemd 252 does.
fn elapses_before(verdict: &Verdict, base: &str) -> bool {
    let (Verdict::Accepted(lines), Some(limit)) = (verdict, utc_seconds(base)) else {
        return false;
    };
    let mut early = false;
    for (i, line) in lines.iter().enumerate() {
        let Some((label, value)) = line.trim_start().split_once(": ") else {
            continue;
        };
        if label != "Next elapse" && !label.starts_with("Iter. #") {
            continue;
        }
        let in_utc = lines
            .get(i + 1)
            .and_then(|next| next.trim_start().strip_prefix("(in UTC): "))
            .unwrap_or(value);
        early |= utc_seconds(in_utc).is_some_and(|t| t < limit);
    }
    early
}

/// `calendar --iterations=5 --base-time=BASE -- INPUTS...` in batches. Inputs
/// systemd 252 cannot compute ("Infinite loop in calendar calculation" at some
/// DST gaps: no block, exit 0) come back as `None`.
fn calendar_verdicts(tool: Tool, tz: &str, base: &str, inputs: &[String]) -> Vec<Option<Verdict>> {
    let mut verdicts = Vec::with_capacity(inputs.len());
    for batch in inputs.chunks(CALENDAR_BATCH) {
        let mut args = vec![
            "calendar".to_owned(),
            "--iterations=5".to_owned(),
            format!("--base-time={base}"),
            "--".to_owned(),
        ];
        args.extend(batch.iter().cloned());
        let output = run(tool, tz, &args);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let given_up: Vec<&str> = stderr
            .lines()
            .filter_map(|l| l.strip_prefix("Failed to determine next elapse for '"))
            .filter_map(|l| l.rsplit_once("': ").map(|(input, _)| input))
            .collect();
        let found = calendar_blocks(&stdout);
        for (input, verdict) in batch.iter().zip(match_blocks(batch, found)) {
            let skip = tool == Tool::Systemd
                && (given_up.contains(&input.as_str()) || elapses_before(&verdict, base));
            verdicts.push((!skip).then_some(verdict));
        }
    }
    verdicts
}

/// `timespan INPUTS...`, resumed after each rejected input (systemd stops at
/// the first invalid argument).
fn timespan_verdicts(tool: Tool, inputs: &[String]) -> Vec<Verdict> {
    let mut verdicts = Vec::with_capacity(inputs.len());
    while verdicts.len() < inputs.len() {
        let rest = &inputs[verdicts.len()..];
        let mut args = vec!["timespan".to_owned(), "--".to_owned()];
        args.extend(rest.iter().cloned());
        let output = run(tool, "UTC", &args);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let accepted = match_blocks(rest, blocks(&stdout, "Original: "))
            .into_iter()
            .take_while(|v| matches!(v, Verdict::Accepted(_)))
            .collect::<Vec<_>>();
        verdicts.extend(accepted);
        if verdicts.len() < inputs.len() {
            // The first input without a block is the one that failed.
            verdicts.push(Verdict::Rejected);
        }
    }
    verdicts
}

fn describe(verdict: &Verdict) -> String {
    match verdict {
        Verdict::Rejected => "    rejected\n".to_owned(),
        Verdict::Accepted(lines) => lines.iter().map(|l| format!("    {l}\n")).collect(),
    }
}

fn report(kind: &str, checked: usize, accepted: usize, disagreements: &[String], skipped: usize) {
    eprintln!(
        "differential {kind}: {checked} comparisons ({accepted} valid for systemd), {} \
         disagreements, {skipped} skipped (systemd 252 bugs: infinite loop at a DST gap, or \
         an elapse before the base time; see tests/golden/KNOWN_DIFFERENCES.md)",
        disagreements.len()
    );
    if !disagreements.is_empty() {
        let shown: String = disagreements.iter().take(SHOWN).cloned().collect();
        panic!(
            "{} of {checked} {kind} comparisons disagree with systemd-analyze (first {}):\n{shown}",
            disagreements.len(),
            disagreements.len().min(SHOWN)
        );
    }
}

#[test]
fn calendar_expressions_agree_with_systemd_analyze() {
    if !systemd_analyze_available() {
        eprintln!("skipping: systemd-analyze is not installed");
        return;
    }
    // One seed per (TZ, base) pair so that every pair sees its own expressions.
    let mut jobs = Vec::new();
    let (scale, extra_seed) = scale_and_seed();
    let mut seed = 0x5d1a1_u64 ^ extra_seed.wrapping_mul(0x1_0000);
    for (tz, bases) in CALENDAR_SETTINGS {
        for base in bases {
            seed += 1;
            let mut rng = Rng::new(seed);
            let mut inputs: Vec<String> = CORE.iter().map(|s| (*s).to_owned()).collect();
            inputs.extend(
                (0..CALENDAR_PER_SETTING * scale).map(|_| time_gen::calendar_case(&mut rng)),
            );
            jobs.push((tz, *base, inputs));
        }
    }
    let results: Vec<(usize, Vec<String>, usize, usize)> = std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .iter()
            .map(|(tz, base, inputs)| {
                scope.spawn(move || {
                    let want = calendar_verdicts(Tool::Systemd, tz, base, inputs);
                    let got = calendar_verdicts(Tool::Sundial, tz, base, inputs);
                    let mut bad = Vec::new();
                    let mut skipped = 0;
                    let valid = want
                        .iter()
                        .filter(|v| matches!(v, Some(Verdict::Accepted(_))))
                        .count();
                    for ((input, want), got) in inputs.iter().zip(&want).zip(&got) {
                        let Some(want) = want else {
                            skipped += 1;
                            continue;
                        };
                        let got = got.as_ref().expect("sundial verdicts are never skipped");
                        if want != got {
                            let mut text = format!(
                                "--- TZ={tz} sundial calendar --iterations=5 \
                                 '--base-time={base}' {input:?}\n  systemd-analyze:\n"
                            );
                            text += &describe(want);
                            let _ = writeln!(text, "  sundial:");
                            text += &describe(got);
                            bad.push(text);
                        }
                    }
                    (inputs.len() - skipped, bad, skipped, valid)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a differential worker panicked"))
            .collect()
    });
    let checked = results.iter().map(|r| r.0).sum();
    let skipped = results.iter().map(|r| r.2).sum();
    let valid = results.iter().map(|r| r.3).sum();
    let bad: Vec<String> = results.into_iter().flat_map(|r| r.1).collect();
    report("calendar", checked, valid, &bad, skipped);
}

#[test]
fn timespans_agree_with_systemd_analyze() {
    if !systemd_analyze_available() {
        eprintln!("skipping: systemd-analyze is not installed");
        return;
    }
    let (scale, extra_seed) = scale_and_seed();
    let mut rng = Rng::new(0x7135 ^ extra_seed);
    let inputs: Vec<String> = (0..TIMESPANS * scale)
        .map(|_| time_gen::timespan_case(&mut rng))
        .collect();
    let want = timespan_verdicts(Tool::Systemd, &inputs);
    let got = timespan_verdicts(Tool::Sundial, &inputs);
    let mut bad = Vec::new();
    for ((input, want), got) in inputs.iter().zip(&want).zip(&got) {
        if want != got {
            bad.push(format!(
                "--- sundial timespan {input:?}\n  systemd-analyze:\n{}  sundial:\n{}",
                describe(want),
                describe(got)
            ));
        }
    }
    let valid = want
        .iter()
        .filter(|v| matches!(v, Verdict::Accepted(_)))
        .count();
    report("timespan", inputs.len(), valid, &bad, 0);
}

#[test]
fn utc_seconds_reads_systemd_timestamps() {
    assert_eq!(utc_seconds("Thu 1970-01-01 00:00:00 UTC"), Some(0));
    assert_eq!(
        utc_seconds("Sun 2024-10-27 00:16:00 UTC"),
        Some(1_729_988_160)
    );
    assert_eq!(
        utc_seconds("2024-02-28 23:59:59.5 UTC"),
        Some(1_709_164_799)
    );
    assert_eq!(utc_seconds("2024-03-31 00:40 UTC"), Some(1_711_845_600));
    assert_eq!(utc_seconds("Sun 2024-10-27 02:16:00 CEST"), None);
    let early = Verdict::Accepted(vec![
        "    Next elapse: Sun 2024-10-27 02:16:00 CEST".to_owned(),
        "       (in UTC): Sun 2024-10-27 00:16:00 UTC".to_owned(),
    ]);
    assert!(elapses_before(&early, "2024-10-27 01:15 UTC"));
    assert!(!elapses_before(&early, "2024-10-27 00:16 UTC"));
}

/// The generators produce a real mix: many distinct inputs, both valid and
/// invalid by systemd's verdict (checked without systemd by shape only here).
#[test]
fn generators_are_varied_and_deterministic() {
    let mut a = Rng::new(7);
    let mut b = Rng::new(7);
    let xs: Vec<String> = (0..500).map(|_| time_gen::calendar_case(&mut a)).collect();
    let ys: Vec<String> = (0..500).map(|_| time_gen::calendar_case(&mut b)).collect();
    assert_eq!(xs, ys);
    let mut kinds = BTreeMap::new();
    for x in &xs {
        let kind = if x.contains('~') {
            "tilde"
        } else if x.starts_with('@') {
            "epoch"
        } else if x.contains('/') {
            "repeat"
        } else if x.contains("..") {
            "range"
        } else {
            "other"
        };
        *kinds.entry(kind).or_insert(0) += 1;
    }
    assert_eq!(kinds.len(), 5, "{kinds:?}");
    let distinct: std::collections::BTreeSet<_> = xs.iter().collect();
    assert!(distinct.len() > 450, "only {} distinct", distinct.len());
    let spans: Vec<String> = (0..200).map(|_| time_gen::timespan_case(&mut a)).collect();
    assert!(spans.iter().any(|s| s.contains('.')));
    assert!(spans.iter().any(|s| s.contains(' ')));
}
