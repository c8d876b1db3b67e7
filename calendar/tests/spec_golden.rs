//! Every calendar case recorded from `systemd-analyze calendar` (systemd 252)
//! in `tests/golden/calendar-*.golden`, replayed through the library: the
//! same specs must be rejected, the accepted ones must print the same
//! normalized form and elapse at the same instants.

use std::collections::VecDeque;
use std::fs;
use std::path::PathBuf;

use sundial_calendar::zone::{local_zone, LocalTime, SystemZones};
use sundial_calendar::{CalendarSpec, CivilDateTime, Timestamp, Zone};

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/golden")
}

/// One `=== name` block of a golden file.
#[derive(Debug, Default)]
struct Case {
    name: String,
    tz: String,
    args: Vec<String>,
    out: Vec<String>,
    err: Vec<String>,
}

/// The value of a JSON string literal (the golden files quote arguments so).
fn unquote(s: &str) -> String {
    let inner = s
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or_else(|| panic!("not a quoted string: {s}"));
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                let code = u32::from_str_radix(&hex, 16).expect("\\u escape");
                out.push(char::from_u32(code).expect("scalar value"));
            }
            Some(other) => out.push(other),
            None => panic!("dangling backslash in {s}"),
        }
    }
    out
}

fn read_cases(text: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut case: Option<Case> = None;
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("=== ") {
            cases.extend(case.take());
            case = Some(Case {
                name: name.to_owned(),
                ..Case::default()
            });
            continue;
        }
        let Some(case) = case.as_mut() else { continue };
        let (key, value) = line.split_once(' ').unwrap_or((line, ""));
        match key {
            "env" => {
                if let Some(tz) = value.strip_prefix("TZ=") {
                    case.tz = tz.to_owned();
                }
            }
            "arg" => case.args.push(unquote(value)),
            "out" => case.out.push(value.to_owned()),
            "err" => case.err.push(value.to_owned()),
            "errj" => case.err.push(unquote(value)),
            _ => {}
        }
    }
    cases.extend(case);
    cases
}

/// The civil time of `YYYY-MM-DD[ HH:MM[:SS[.ffffff]]]`.
fn civil(text: &str) -> CivilDateTime {
    let (date, time) = text.split_once(' ').unwrap_or((text, "00:00:00"));
    let d: Vec<u32> = date.split('-').map(|p| p.parse().expect("date")).collect();
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let t: Vec<u32> = hms.split(':').map(|p| p.parse().expect("time")).collect();
    let usec = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<6}").parse().expect("fraction")
    };
    CivilDateTime {
        year: d[0] as i32,
        month: d[1],
        day: d[2],
        hour: t[0],
        minute: t[1],
        second: t.get(2).copied().unwrap_or(0),
        usec,
    }
}

/// The instant of a `--base-time=` value as the golden files write them.
fn base_time(text: &str, local: &Zone) -> Timestamp {
    if let Some(secs) = text.strip_prefix('@') {
        return Timestamp::from_secs(secs.parse().expect("epoch"));
    }
    if let Some(utc) = text.strip_suffix(" UTC") {
        return Timestamp::from_usec(civil(utc).as_utc_usec());
    }
    let (text, abbreviation) = match text.rsplit_once(' ') {
        Some((rest, word)) if word.chars().all(|c| c.is_ascii_uppercase()) => (rest, Some(word)),
        _ => (text, None),
    };
    match local.from_civil(&civil(text)) {
        LocalTime::Unique(t) | LocalTime::Gap(t) => t,
        LocalTime::Ambiguous(first, second) => {
            if abbreviation.is_some_and(|a| local.abbreviation_at(second) == a) {
                second
            } else {
                first
            }
        }
    }
}

/// `Thu 2024-02-29 00:00:00 UTC` -> the instant, read as UTC.
fn printed_utc(line: &str) -> Timestamp {
    let mut words = line.split_whitespace().skip(1);
    let date = words.next().expect("date");
    let time = words.next().expect("time");
    Timestamp::from_usec(civil(&format!("{date} {time}")).as_utc_usec())
}

/// What systemd printed for one accepted spec.
#[derive(Debug)]
struct Expected {
    normalized: String,
    /// Elapses in whole seconds; empty for "never".
    elapses: Vec<Timestamp>,
}

/// Splits the `out` lines into one block per accepted spec.
fn expected_blocks(out: &[String]) -> VecDeque<Expected> {
    let mut blocks = VecDeque::new();
    let mut current: Option<Expected> = None;
    for line in out {
        let line = line.trim_start();
        let Some((label, value)) = line.split_once(": ") else {
            continue;
        };
        match label {
            "Original form" => {}
            "Normalized form" => {
                blocks.extend(current.take());
                current = Some(Expected {
                    normalized: value.to_owned(),
                    elapses: Vec::new(),
                });
            }
            "Next elapse" if value == "never" => {}
            "(in UTC)" => {
                let block = current.as_mut().expect("a block");
                *block.elapses.last_mut().expect("an elapse") = printed_utc(value);
            }
            "From now" => {}
            _ if label == "Next elapse" || label.starts_with("Iter. #") => {
                // Read as UTC; a following "(in UTC)" line corrects it when the
                // local zone is not UTC.
                let block = current.as_mut().expect("a block");
                block.elapses.push(printed_utc(value));
            }
            _ => {}
        }
    }
    blocks.extend(current);
    blocks
}

fn run_file(file: &str) -> (usize, Vec<String>) {
    let zones = SystemZones::new(None);
    let text = fs::read_to_string(golden_dir().join(file)).expect("golden file");
    let mut checked = 0;
    let mut failures = Vec::new();
    for case in read_cases(&text) {
        let local = local_zone(Some(&case.tz), &zones);
        let mut iterations = 1;
        let mut base = None;
        let mut specs = Vec::new();
        let mut options_done = false;
        for arg in case.args.iter().skip(1) {
            if options_done {
                specs.push(arg.clone());
            } else if arg == "--" {
                options_done = true;
            } else if let Some(n) = arg.strip_prefix("--iterations=") {
                iterations = n.parse().expect("iterations");
            } else if let Some(b) = arg.strip_prefix("--base-time=") {
                base = Some(base_time(b, &local));
            } else {
                specs.push(arg.clone());
            }
        }
        let base = base.expect("every golden case has a base time");
        let mut blocks = expected_blocks(&case.out);
        let mut errors: VecDeque<&String> = case
            .err
            .iter()
            .filter(|e| e.starts_with("Failed to parse"))
            .collect();
        for spec in &specs {
            checked += 1;
            let parsed = CalendarSpec::parse(spec, &local, &zones);
            let rejected_by_systemd = errors.front().is_some_and(|e| {
                e.starts_with(&format!("Failed to parse calendar specification '{spec}'"))
            });
            match parsed {
                Err(e) if rejected_by_systemd => {
                    errors.pop_front();
                    assert!(
                        e.offset <= spec.len(),
                        "{}: offset past the input: {e}",
                        case.name
                    );
                }
                Err(e) => failures.push(format!(
                    "{} [TZ={}] {spec:?}: rejected ({e}) but systemd accepts it",
                    case.name, case.tz
                )),
                Ok(s) if rejected_by_systemd => {
                    errors.pop_front();
                    failures.push(format!(
                        "{} [TZ={}] {spec:?}: accepted as '{s}' but systemd rejects it",
                        case.name, case.tz
                    ));
                }
                Ok(s) => {
                    let Some(expected) = blocks.pop_front() else {
                        failures.push(format!("{}: no output block for {spec:?}", case.name));
                        continue;
                    };
                    if s.to_string() != expected.normalized {
                        failures.push(format!(
                            "{} [TZ={}] {spec:?}: normalized '{s}', systemd '{}'",
                            case.name, case.tz, expected.normalized
                        ));
                    }
                    let got: Vec<Timestamp> = s
                        .iter_after(base, &local)
                        .take(iterations)
                        .map(|t| Timestamp::from_secs(t.as_secs()))
                        .collect();
                    if got != expected.elapses {
                        let show = |ts: &[Timestamp]| {
                            ts.iter()
                                .map(|t| {
                                    let c = CivilDateTime::from_utc_usec(t.as_usec());
                                    format!(
                                        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
                                        c.year, c.month, c.day, c.hour, c.minute, c.second
                                    )
                                })
                                .collect::<Vec<_>>()
                                .join(", ")
                        };
                        failures.push(format!(
                            "{} [TZ={}] {spec:?} from {}: got [{}], systemd [{}] (UTC)",
                            case.name,
                            case.tz,
                            base,
                            show(&got),
                            show(&expected.elapses)
                        ));
                    }
                }
            }
        }
    }
    (checked, failures)
}

fn check_file(file: &str) {
    let (checked, failures) = run_file(file);
    assert!(checked > 0, "{file}: no cases");
    assert!(
        failures.is_empty(),
        "{file}: {} of {checked} specs differ from systemd 252:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn golden_calendar_grammar() {
    check_file("calendar-grammar.golden");
}

#[test]
fn golden_calendar_dst() {
    check_file("calendar-dst.golden");
}

#[test]
fn golden_calendar_zones() {
    check_file("calendar-zones.golden");
}

#[test]
fn golden_calendar_leap() {
    check_file("calendar-leap.golden");
}

#[test]
fn golden_calendar_misc() {
    check_file("calendar-misc.golden");
}
