//! Thousands of generated crontab expressions, imported with
//! `sundial crontab import` and listed with `sundial simulate`, elapse at
//! exactly the times cron would run them over windows of years: in UTC,
//! and in zones with daylight-saving time given by CRON_TZ (where cron's own
//! rule for the shifted hours applies). The expected times come from an
//! oracle written from cron's rules (tests/common/cron_oracle.rs).
#![allow(clippy::unwrap_used)]

#[path = "common/cron_oracle.rs"]
mod cron_oracle;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use cron_oracle::{gen_expr, Cron, Rng};
use sundial_calendar::zone::SystemZones;
use sundial_calendar::{Timestamp, Zone, ZoneSource};

/// At most this many runs per job in the window, so that the listing
/// stays a few hundred thousand rows.
const MAX_RUNS: usize = 150;

fn sundial(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sundial"));
    cmd.env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("TZ", "UTC")
        .env_remove("SUNDIAL_UNIT_PATH")
        .env_remove("SUNDIAL_SOCKET")
        .env_remove("XDG_RUNTIME_DIR");
    cmd
}

fn output(cmd: &mut Command) -> String {
    let out = cmd.output().expect("sundial runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

struct Job {
    name: String,
    expr: String,
    runs: Vec<Timestamp>,
}

/// Generates `count` jobs, imports them, simulates the window and compares
/// every job's elapses with the oracle's. Returns the number of elapses
/// compared.
fn check_batch(seed: u64, count: usize, tz: Option<&str>, from: i64, until: i64) -> usize {
    let zone = match tz {
        Some(name) => SystemZones::from_tzdir_env(None)
            .load(name)
            .unwrap_or_else(|| panic!("zone {name} is installed")),
        None => Zone::utc(),
    };
    let from = Timestamp::from_secs(from);
    let until = Timestamp::from_secs(until);
    // Both sides are compared a minute inside the window, clear of its ends.
    let lo = from + sundial_calendar::Timespan::from_secs(60);
    let hi = until - sundial_calendar::Timespan::from_secs(60);
    let mut rng = Rng::new(seed);
    let mut jobs = Vec::with_capacity(count);
    while jobs.len() < count {
        let expr = gen_expr(&mut rng, tz.is_some());
        let runs = Cron::parse(&expr).runs(&zone, lo, hi);
        if runs.len() > MAX_RUNS {
            continue;
        }
        jobs.push(Job {
            name: format!("job-{}", jobs.len()),
            expr,
            runs,
        });
    }

    let tmp = tempfile::tempdir().unwrap();
    let mut crontab = String::new();
    if let Some(tz) = tz {
        crontab.push_str(&format!("CRON_TZ={tz}\n"));
    }
    for (i, job) in jobs.iter().enumerate() {
        crontab.push_str(&format!("# job {i}\n{} true\n", job.expr));
    }
    let file = tmp.path().join("crontab");
    std::fs::write(&file, &crontab).unwrap();
    let units = tmp.path().join("units");
    output(
        sundial(tmp.path())
            .args(["crontab", "import", "--user", "--out"])
            .arg(&units)
            .arg(&file),
    );
    let listing = output(
        sundial(tmp.path())
            .args(["simulate", "--unit-dir"])
            .arg(&units)
            .arg(format!("--from=@{}", from.as_usec() / 1_000_000))
            .arg(format!("--until=@{}", until.as_usec() / 1_000_000))
            .args(["--output", "json"]),
    );
    let starts: Vec<serde_json::Value> = serde_json::from_str(&listing).expect("JSON");
    let mut got: BTreeMap<String, Vec<Timestamp>> = BTreeMap::new();
    for s in &starts {
        let timer = s["timer"].as_str().expect("timer").to_owned();
        let at = Timestamp::from_usec(s["scheduled_usec"].as_i64().expect("scheduled"));
        if at >= lo && at < hi {
            got.entry(timer).or_default().push(at);
        }
    }
    let mut compared = 0;
    let mut wrong = Vec::new();
    for job in &jobs {
        let timer = format!("{}.timer", job.name);
        let mut elapses = got.remove(&timer).unwrap_or_default();
        elapses.sort();
        compared += job.runs.len();
        if elapses != job.runs {
            let missing: Vec<_> = job.runs.iter().filter(|t| !elapses.contains(t)).collect();
            let extra: Vec<_> = elapses.iter().filter(|t| !job.runs.contains(t)).collect();
            wrong.push(format!(
                "{} '{}': {} expected, {} listed; missing {:?}, extra {:?}",
                job.name,
                job.expr,
                job.runs.len(),
                elapses.len(),
                missing
                    .iter()
                    .take(3)
                    .map(|t| zone.to_civil(**t))
                    .collect::<Vec<_>>(),
                extra
                    .iter()
                    .take(3)
                    .map(|t| zone.to_civil(**t))
                    .collect::<Vec<_>>(),
            ));
        }
    }
    assert!(got.is_empty(), "timers nobody asked for: {:?}", got.keys());
    assert!(
        wrong.is_empty(),
        "{} of {count} jobs differ from cron:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    eprintln!(
        "{count} jobs in {}: {compared} elapses, all as cron runs them",
        tz.unwrap_or("UTC")
    );
    compared
}

#[test]
fn generated_crontabs_elapse_as_cron_runs_them_in_utc() {
    // 2024-01-01 .. 2026-01-01: a leap year and an ordinary one.
    let n = check_batch(0x5eed_0001, 1000, None, 1_704_067_200, 1_767_225_600);
    assert!(n > 10_000, "too few elapses to mean anything: {n}");
}

#[test]
fn generated_crontabs_elapse_as_cron_runs_them_under_cron_tz() {
    // 2027-06-01 .. 2029-06-01: four clock changes each, 2028 a leap year.
    let n = check_batch(
        0x5eed_0002,
        600,
        Some("America/New_York"),
        1_811_808_000,
        1_874_966_400,
    );
    assert!(n > 5_000, "too few elapses to mean anything: {n}");
    let n = check_batch(
        0x5eed_0003,
        600,
        Some("Europe/Berlin"),
        1_811_808_000,
        1_874_966_400,
    );
    assert!(n > 5_000, "too few elapses to mean anything: {n}");
}

/// The oracle itself, on cases worked out by hand.
#[test]
fn the_oracle_follows_crons_rules() {
    let jan_2026 = (
        Timestamp::from_secs(1_767_225_600),
        Timestamp::from_secs(1_769_904_000),
    );
    let days = |expr: &str| -> Vec<u32> {
        Cron::parse(expr)
            .runs(&Zone::utc(), jan_2026.0, jan_2026.1)
            .into_iter()
            .map(|t| Zone::utc().to_civil(t).day)
            .collect()
    };
    // Either day field: every Friday and the 13th (a Tuesday).
    assert_eq!(days("0 0 13 * 5"), [2, 9, 13, 16, 23, 30]);
    // A day field beginning with `*` makes both count: odd Mondays only.
    assert_eq!(days("0 0 */2 * 1"), [5, 19]);
    // Sunday as 7, and a range ending in it.
    assert_eq!(days("0 0 * * 7"), [4, 11, 18, 25]);
    assert_eq!(days("0 0 * * fri-7"), days("0 0 * * 5,6,0"));
    // `1-31` does not begin with `*`: either field, so every day.
    assert_eq!(days("0 0 1-31 * 1").len(), 31);

    let berlin = SystemZones::from_tzdir_env(None)
        .load("Europe/Berlin")
        .expect("tzdata");
    let spring = (
        Timestamp::from_secs(1_711_839_600), // 2024-03-31 00:00 CET
        Timestamp::from_secs(1_711_854_000), // 2024-03-31 05:00 CEST
    );
    // A fixed-time job in the gap runs when it ends (03:00 CEST, 01:00 UTC);
    // a wildcard job there does not run.
    assert_eq!(
        Cron::parse("30 2 * * *").runs(&berlin, spring.0, spring.1),
        [Timestamp::from_secs(1_711_846_800)]
    );
    assert!(Cron::parse("*/15 2 * * *")
        .runs(&berlin, spring.0, spring.1)
        .is_empty());
    let autumn = (
        Timestamp::from_secs(1_729_980_000), // 2024-10-27 00:00 CEST
        Timestamp::from_secs(1_730_001_600), // 2024-10-27 05:00 CET
    );
    // In the repeated hour a fixed-time job runs once, a wildcard job twice.
    assert_eq!(
        Cron::parse("30 2 * * *")
            .runs(&berlin, autumn.0, autumn.1)
            .len(),
        1
    );
    assert_eq!(
        Cron::parse("*/30 2 * * *")
            .runs(&berlin, autumn.0, autumn.1)
            .len(),
        4
    );
}
