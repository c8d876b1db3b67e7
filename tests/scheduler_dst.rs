//! Daylight-saving transitions in two zones (Europe/Berlin, America/New_York),
//! with systemd's behaviour and with `X-Sundial-DSTPolicy=catch-up`.

mod scheduler_support;

use scheduler_support::Sim;

fn timer(calendar: &str, policy: Option<&str>) -> String {
    let policy = policy.map_or(String::new(), |p| format!("X-Sundial-DSTPolicy={p}\n"));
    format!("[Timer]\nAccuracySec=1us\nOnCalendar={calendar}\n{policy}")
}

fn run(tz: &str, calendar: &str, policy: Option<&str>, from: &str, until: &str) -> Vec<String> {
    let t = timer(calendar, policy);
    let mut s = Sim::new(&[("a.timer", &t)], tz, from, from, "0");
    s.start_all();
    s.run(until)
        .into_iter()
        .map(|x| x.trim_start_matches("a.timer@").to_owned())
        .collect()
}

#[test]
fn berlin_spring_gap_is_skipped_by_default() {
    let got = run(
        "Europe/Berlin",
        "*-*-* 02:30",
        None,
        "2024-03-30 00:00",
        "2024-04-01 12:00",
    );
    assert_eq!(
        got,
        [
            "Sat 2024-03-30 02:30:00 CET",
            "Mon 2024-04-01 02:30:00 CEST"
        ]
    );
}

#[test]
fn berlin_spring_gap_runs_right_after_the_gap_with_catch_up() {
    let got = run(
        "Europe/Berlin",
        "*-*-* 02:30",
        Some("catch-up"),
        "2024-03-30 00:00",
        "2024-04-01 12:00",
    );
    assert_eq!(
        got,
        [
            "Sat 2024-03-30 02:30:00 CET",
            "Sun 2024-03-31 03:00:00 CEST",
            "Mon 2024-04-01 02:30:00 CEST"
        ]
    );
}

#[test]
fn berlin_gap_with_several_elapses_runs_once() {
    let got = run(
        "Europe/Berlin",
        "*-*-* 02:00/15",
        Some("catch-up"),
        "2024-03-31 01:00",
        "2024-04-01 02:20",
    );
    // 02:00, 02:15, 02:30 and 02:45 do not exist that day: one run right
    // after the gap, then the schedule as usual.
    assert_eq!(
        got,
        [
            "Sun 2024-03-31 03:00:00 CEST",
            "Mon 2024-04-01 02:00:00 CEST",
            "Mon 2024-04-01 02:15:00 CEST"
        ]
    );
}

#[test]
fn berlin_repeated_hour_is_visited_once_by_default() {
    let got = run(
        "Europe/Berlin",
        "hourly",
        None,
        "2024-10-27 01:30",
        "2024-10-27 03:30",
    );
    assert_eq!(
        got,
        [
            "Sun 2024-10-27 02:00:00 CEST",
            "Sun 2024-10-27 03:00:00 CET"
        ]
    );
}

#[test]
fn berlin_repeated_hour_keeps_hourly_timers_going_with_catch_up() {
    let got = run(
        "Europe/Berlin",
        "hourly",
        Some("catch-up"),
        "2024-10-27 01:30",
        "2024-10-27 03:30",
    );
    assert_eq!(
        got,
        [
            "Sun 2024-10-27 02:00:00 CEST",
            "Sun 2024-10-27 02:00:00 CET",
            "Sun 2024-10-27 03:00:00 CET"
        ]
    );
}

#[test]
fn berlin_fixed_time_in_the_repeated_hour_runs_once_even_with_catch_up() {
    let got = run(
        "Europe/Berlin",
        "*-*-* 02:30",
        Some("catch-up"),
        "2024-10-26 12:00",
        "2024-10-28 12:00",
    );
    assert_eq!(
        got,
        [
            "Sun 2024-10-27 02:30:00 CEST",
            "Mon 2024-10-28 02:30:00 CET"
        ]
    );
}

#[test]
fn new_york_spring_gap() {
    let default = run(
        "America/New_York",
        "*-*-* 02:15",
        None,
        "2024-03-09 00:00",
        "2024-03-11 12:00",
    );
    assert_eq!(
        default,
        ["Sat 2024-03-09 02:15:00 EST", "Mon 2024-03-11 02:15:00 EDT"]
    );
    let catch_up = run(
        "America/New_York",
        "*-*-* 02:15",
        Some("catch-up"),
        "2024-03-09 00:00",
        "2024-03-11 12:00",
    );
    assert_eq!(
        catch_up,
        [
            "Sat 2024-03-09 02:15:00 EST",
            "Sun 2024-03-10 03:00:00 EDT",
            "Mon 2024-03-11 02:15:00 EDT"
        ]
    );
}

#[test]
fn new_york_repeated_hour() {
    // 01:00–02:00 happens twice; the start (00:50) and end are unambiguous.
    let default = run(
        "America/New_York",
        "*:0/20",
        None,
        "2024-11-03 00:50",
        "2024-11-03 02:10",
    );
    assert_eq!(
        default,
        [
            "Sun 2024-11-03 01:00:00 EDT",
            "Sun 2024-11-03 01:20:00 EDT",
            "Sun 2024-11-03 01:40:00 EDT",
            "Sun 2024-11-03 02:00:00 EST"
        ]
    );
    let catch_up = run(
        "America/New_York",
        "*:0/20",
        Some("catch-up"),
        "2024-11-03 00:50",
        "2024-11-03 02:10",
    );
    assert_eq!(
        catch_up,
        [
            "Sun 2024-11-03 01:00:00 EDT",
            "Sun 2024-11-03 01:20:00 EDT",
            "Sun 2024-11-03 01:40:00 EDT",
            "Sun 2024-11-03 01:00:00 EST",
            "Sun 2024-11-03 01:20:00 EST",
            "Sun 2024-11-03 01:40:00 EST",
            "Sun 2024-11-03 02:00:00 EST"
        ]
    );
}

#[test]
fn catch_up_works_for_a_spec_with_its_own_zone() {
    // The machine runs in UTC; the spec names Berlin.
    let got = run(
        "UTC",
        "*-*-* 02:30 Europe/Berlin",
        Some("catch-up"),
        "2024-03-30 12:00",
        "2024-03-31 12:00",
    );
    assert_eq!(got, ["Sun 2024-03-31 01:00:00 UTC"]);
}

// X-Sundial-DSTPolicy=cron-fixed and cron-wildcard: cron's own rules (Vixie
// cron and cronie, for shifts under three hours): fixed-time jobs are caught
// up after a gap and run once in a repeated hour; wildcard jobs (minute or
// hour `*`, `*/N`) follow the clock: skipped in a gap, run in both passes of
// a repeated hour.

#[test]
fn cron_fixed_time_job_in_the_gap_runs_right_after_it() {
    let got = run(
        "Europe/Berlin",
        "*-*-* 02:30",
        Some("cron-fixed"),
        "2024-03-30 00:00",
        "2024-04-01 12:00",
    );
    assert_eq!(
        got,
        [
            "Sat 2024-03-30 02:30:00 CET",
            "Sun 2024-03-31 03:00:00 CEST",
            "Mon 2024-04-01 02:30:00 CEST"
        ]
    );
}

#[test]
fn cron_wildcard_job_in_the_gap_is_not_caught_up() {
    // `*/15 2 * * *`: a wildcard job (its minute begins with `*`).
    let got = run(
        "Europe/Berlin",
        "*-*-* 02:00/15:00",
        Some("cron-wildcard"),
        "2024-03-31 01:00",
        "2024-04-01 02:20",
    );
    assert_eq!(
        got,
        [
            "Mon 2024-04-01 02:00:00 CEST",
            "Mon 2024-04-01 02:15:00 CEST"
        ]
    );
}

#[test]
fn cron_wildcard_job_runs_in_both_passes_of_the_repeated_hour() {
    // `*/20 2 * * *` in Berlin's repeated 02:00-03:00 of 2024-10-27.
    let got = run(
        "Europe/Berlin",
        "*-*-* 02:00/20:00",
        Some("cron-wildcard"),
        "2024-10-27 00:00",
        "2024-10-27 12:00",
    );
    assert_eq!(
        got,
        [
            "Sun 2024-10-27 02:00:00 CEST",
            "Sun 2024-10-27 02:20:00 CEST",
            "Sun 2024-10-27 02:40:00 CEST",
            "Sun 2024-10-27 02:00:00 CET",
            "Sun 2024-10-27 02:20:00 CET",
            "Sun 2024-10-27 02:40:00 CET"
        ]
    );
}

#[test]
fn cron_every_minute_job_keeps_running_through_the_repeated_hour() {
    let got = run(
        "America/New_York",
        "*-*-* *:00/30:00",
        Some("cron-wildcard"),
        "2024-11-03 00:10",
        "2024-11-03 02:10",
    );
    assert_eq!(
        got,
        [
            "Sun 2024-11-03 00:30:00 EDT",
            "Sun 2024-11-03 01:00:00 EDT",
            "Sun 2024-11-03 01:30:00 EDT",
            "Sun 2024-11-03 01:00:00 EST",
            "Sun 2024-11-03 01:30:00 EST",
            "Sun 2024-11-03 02:00:00 EST"
        ]
    );
}

#[test]
fn cron_fixed_time_job_runs_once_in_the_repeated_hour() {
    let got = run(
        "America/New_York",
        "*-*-* 01:15,45:00",
        Some("cron-fixed"),
        "2024-11-02 12:00",
        "2024-11-04 00:00",
    );
    assert_eq!(
        got,
        ["Sun 2024-11-03 01:15:00 EDT", "Sun 2024-11-03 01:45:00 EDT"]
    );
}

#[test]
fn a_rare_job_is_caught_up_after_a_gap_beyond_other_offset_changes() {
    // From June the November change comes first; the job's gap is in March.
    for policy in ["catch-up", "cron-fixed"] {
        let got = run(
            "America/New_York",
            "*-03-12 02:05",
            Some(policy),
            "2027-06-01 00:00",
            "2028-06-01 00:00",
        );
        assert_eq!(got, ["Sun 2028-03-12 03:00:00 EDT"], "{policy}");
    }
}
