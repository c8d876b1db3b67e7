//! `sundial calendar|timespan|timestamp` as a user runs them: the real binary,
//! a fixed TZ and base time. Expected outputs were printed by
//! `systemd-analyze` 252 for the same arguments ("From now:" lines, which
//! follow the real clock, are left out of the comparison). The large
//! differential suites live in tests/golden_time.rs.

use std::process::Command;

struct Run {
    status: i32,
    stdout: String,
    stderr: String,
}

fn sundial(tz: &str, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_sundial"))
        .args(args)
        .env("TZ", tz)
        .env_remove("TZDIR")
        .output()
        .expect("the sundial binary runs");
    let stdout = String::from_utf8(output.stdout).expect("UTF-8 stdout");
    let without_from_now: String = stdout
        .lines()
        .filter(|line| !line.trim_start().starts_with("From now:"))
        .map(|line| format!("{line}\n"))
        .collect();
    Run {
        status: output.status.code().expect("exited, not killed"),
        stdout: without_from_now,
        stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
    }
}

fn assert_run(run: &Run, status: i32, stdout: &str, stderr: &str) {
    assert_eq!(run.stdout, stdout, "stdout");
    assert_eq!(run.stderr, stderr, "stderr");
    assert_eq!(run.status, status, "exit status");
}

#[test]
fn calendar_continues_after_an_invalid_expression() {
    let run = sundial(
        "UTC",
        &[
            "calendar",
            "--iterations=3",
            "--base-time=2024-02-28 23:59:59 UTC",
            "daily",
            "*/5",
            "Mon..Fri 09:00",
        ],
    );
    let stdout = "  Original form: daily
Normalized form: *-*-* 00:00:00
    Next elapse: Thu 2024-02-29 00:00:00 UTC
       Iter. #2: Fri 2024-03-01 00:00:00 UTC
       Iter. #3: Sat 2024-03-02 00:00:00 UTC


  Original form: Mon..Fri 09:00
Normalized form: Mon..Fri *-*-* 09:00:00
    Next elapse: Thu 2024-02-29 09:00:00 UTC
       Iter. #2: Fri 2024-03-01 09:00:00 UTC
       Iter. #3: Mon 2024-03-04 09:00:00 UTC
";
    assert_run(
        &run,
        1,
        stdout,
        "Failed to parse calendar specification '*/5': Invalid argument\n",
    );
}

#[test]
fn calendar_across_spring_forward_in_berlin() {
    let run = sundial(
        "Europe/Berlin",
        &[
            "calendar",
            "--iterations=3",
            "--base-time=2024-03-31 00:10",
            "hourly",
            "02:30 Asia/Tokyo",
        ],
    );
    let stdout = "  Original form: hourly
Normalized form: *-*-* *:00:00
    Next elapse: Sun 2024-03-31 01:00:00 CET
       (in UTC): Sun 2024-03-31 00:00:00 UTC
       Iter. #2: Sun 2024-03-31 03:00:00 CEST
       (in UTC): Sun 2024-03-31 01:00:00 UTC
       Iter. #3: Sun 2024-03-31 04:00:00 CEST
       (in UTC): Sun 2024-03-31 02:00:00 UTC

  Original form: 02:30 Asia/Tokyo
Normalized form: *-*-* 02:30:00 Asia/Tokyo
    Next elapse: Sun 2024-03-31 19:30:00 CEST
       (in UTC): Sun 2024-03-31 17:30:00 UTC
       Iter. #2: Mon 2024-04-01 19:30:00 CEST
       (in UTC): Mon 2024-04-01 17:30:00 UTC
       Iter. #3: Tue 2024-04-02 19:30:00 CEST
       (in UTC): Tue 2024-04-02 17:30:00 UTC
";
    assert_run(&run, 0, stdout, "");
}

#[test]
fn calendar_skips_the_lord_howe_half_hour_gap() {
    let run = sundial(
        "Australia/Lord_Howe",
        &[
            "calendar",
            "--iterations=2",
            "--base-time=2024-10-05 12:00",
            "*-*-* 02:15",
        ],
    );
    let stdout = "  Original form: *-*-* 02:15
Normalized form: *-*-* 02:15:00
    Next elapse: Mon 2024-10-07 02:15:00 +11
       (in UTC): Sun 2024-10-06 15:15:00 UTC
       Iter. #2: Tue 2024-10-08 02:15:00 +11
       (in UTC): Mon 2024-10-07 15:15:00 UTC
";
    assert_run(&run, 0, stdout, "");
}

#[test]
fn calendar_rejects_bad_options_like_systemd() {
    let run = sundial("UTC", &["calendar", "--base-time=bogus", "daily"]);
    assert_run(
        &run,
        1,
        "",
        "Failed to parse --base-time= parameter: bogus\n",
    );
    let run = sundial("UTC", &["calendar", "--iterations=-1", "daily"]);
    assert_run(&run, 1, "", "Failed to parse iterations: -1\n");
}

#[test]
fn timespan_prints_every_span() {
    let run = sundial(
        "UTC",
        &["timespan", "1h 30min", "5", "123456789us", "infinity"],
    );
    let stdout = "Original: 1h 30min
      μs: 5400000000
   Human: 1h 30min

Original: 5
      μs: 5000000
   Human: 5s

Original: 123456789us
      μs: 123456789
   Human: 2min 3.456789s

Original: infinity
      μs: 18446744073709551615
   Human: infinity
";
    assert_run(&run, 0, stdout, "");
}

#[test]
fn timespan_stops_at_the_first_invalid_span() {
    let run = sundial("UTC", &["timespan", "1h", "bogus", "5s"]);
    assert_run(
        &run,
        1,
        "Original: 1h\n      μs: 3600000000\n   Human: 1h\n\n",
        "Failed to parse time span 'bogus': Invalid argument\n",
    );
    let run = sundial("UTC", &["timespan", "--", "-5s"]);
    assert_run(
        &run,
        1,
        "",
        "Failed to parse time span '-5s': Numerical result out of range\n\
         Hint: this expression is a valid timestamp. Use 'sundial timestamp \"-5s\"' instead?\n",
    );
}

#[test]
fn timestamp_in_berlin_with_gap_and_abbreviation() {
    let run = sundial(
        "Europe/Berlin",
        &[
            "timestamp",
            "2012-11-23 11:12:13 UTC",
            "@1395716396",
            "2024-03-31 02:30",
            "bogus",
            "2024-10-27 02:30 CEST",
        ],
    );
    let stdout = "  Original form: 2012-11-23 11:12:13 UTC
Normalized form: Fri 2012-11-23 12:12:13 CET
       (in UTC): Fri 2012-11-23 11:12:13 UTC
   UNIX seconds: @1353669133

  Original form: @1395716396
Normalized form: Tue 2014-03-25 03:59:56 CET
       (in UTC): Tue 2014-03-25 02:59:56 UTC
   UNIX seconds: @1395716396

  Original form: 2024-03-31 02:30
Normalized form: Sun 2024-03-31 03:30:00 CEST
       (in UTC): Sun 2024-03-31 01:30:00 UTC
   UNIX seconds: @1711848600


  Original form: 2024-10-27 02:30 CEST
Normalized form: Sun 2024-10-27 02:30:00 CEST
       (in UTC): Sun 2024-10-27 00:30:00 UTC
   UNIX seconds: @1729989000
";
    assert_run(
        &run,
        1,
        stdout,
        "Failed to parse \"bogus\": Invalid argument\n",
    );
}

#[test]
fn timestamp_in_utc_has_no_utc_line() {
    let run = sundial("UTC", &["timestamp", "12-11-23", "@0", "@1.5"]);
    let stdout = "  Original form: 12-11-23
Normalized form: Fri 2012-11-23 00:00:00 UTC
   UNIX seconds: @1353628800

  Original form: @0
Normalized form: -
   UNIX seconds: @0

  Original form: @1.5
Normalized form: Thu 1970-01-01 00:00:01 UTC
   UNIX seconds: @1.500000
";
    assert_run(&run, 0, stdout, "");
}

#[test]
fn timestamp_accepts_zone_names_that_systemd_252_rejects() {
    // systemd 252 fails on this (issue #26370); v253 prints the same instant.
    let run = sundial("UTC", &["timestamp", "2012-11-23 11:12:13 Europe/Berlin"]);
    let stdout = "  Original form: 2012-11-23 11:12:13 Europe/Berlin
Normalized form: Fri 2012-11-23 10:12:13 UTC
   UNIX seconds: @1353665533
";
    assert_run(&run, 0, stdout, "");
}

#[test]
fn json_output_has_one_object_per_argument() {
    let run = sundial(
        "UTC",
        &[
            "calendar",
            "--json",
            "--iterations=2",
            "--base-time=@1700000000",
            "hourly",
        ],
    );
    assert_eq!(run.status, 0);
    let value: serde_json::Value = serde_json::from_str(run.stdout.trim()).expect("JSON");
    assert_eq!(value["normalized"], "*-*-* *:00:00");
    assert_eq!(
        value["next_elapses"][1]["unix_usec"],
        1_700_006_400_000_000_i64
    );
    assert_eq!(
        value["next_elapses"][0]["local"],
        "Tue 2023-11-14 23:00:00 UTC"
    );

    let run = sundial("UTC", &["timespan", "--json", "90s", "infinity"]);
    let lines: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["human"], "1min 30s");
    assert_eq!(lines[1]["usec"], u64::MAX);
}
