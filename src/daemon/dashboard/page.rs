//! The dashboard's pages as HTML, from what the daemon answers: pure, so
//! the markup is tested without a daemon or a browser. No script: the
//! overview reloads itself every 30 seconds.

use std::fmt::Write;

use sundial_calendar::timespan::{format_relative, format_timespan};
use sundial_calendar::{Timespan, Timestamp, Zone};

use crate::ipc::types::{LogLine, RunRow, TimerRow};
use crate::markup::escape;
use crate::store::{ExitStatus, RunResult};

const STYLE: &str = "body{font-family:sans-serif;margin:1.5em;color:#222}\
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}\
table{border-collapse:collapse;font-size:.9em}td,th{padding:.25em .7em;text-align:left;border-bottom:1px solid #ddd}\
th{background:#f2f2f2}.failed{color:#b3261e;font-weight:bold}.success{color:#2e7d32}\
.running{color:#1f5fbf}.skipped{color:#777}tr.failed td{background:#fdecea}\
pre{background:#f7f7f7;padding:.6em;font-size:.85em;overflow-x:auto}\
img{max-width:100%;border:1px solid #ddd}a{color:#1f5fbf}.muted{color:#777}";

/// What the overview shows.
#[derive(Debug, Clone)]
pub struct Overview<'a> {
    pub timers: &'a [TimerRow],
    /// The most recent runs, newest first.
    pub runs: &'a [RunRow],
    pub now: Timestamp,
    pub zone: &'a Zone,
    /// `system` or `user`, and the daemon's version.
    pub scope: &'a str,
}

/// A unit's page.
#[derive(Debug, Clone)]
pub struct UnitPage<'a> {
    pub unit: &'a str,
    /// Its runs, newest first.
    pub runs: &'a [RunRow],
    /// Its last lines, oldest first.
    pub lines: &'a [LogLine],
    pub now: Timestamp,
    pub zone: &'a Zone,
}

/// The overview: timers with their next and last elapse and result, the
/// schedule picture, the recent runs.
pub fn overview(o: &Overview<'_>) -> String {
    let mut out = head("sundial", true);
    let failed = o.runs.iter().filter(|r| is_failure(r.result)).count();
    let _ = writeln!(
        out,
        "<h1>sundial <span class=\"muted\">({} daemon)</span></h1>\n<p>{} timers, {} recent runs, <span class=\"{}\">{failed} failed</span>. Updated {}.</p>",
        escape(o.scope),
        o.timers.len(),
        o.runs.len(),
        if failed > 0 { "failed" } else { "success" },
        escape(&sundial_calendar::timestamp::format(o.now, o.zone)),
    );
    out.push_str("<h2>Timers</h2>\n<table id=\"timers\">\n<tr><th>Timer</th><th>Next</th><th>Left</th><th>Last</th><th>Passed</th><th>Activates</th><th>Result</th></tr>\n");
    for t in o.timers {
        let at = |usec: Option<i64>| {
            usec.map_or("-".to_owned(), |u| {
                sundial_calendar::timestamp::format(Timestamp::from_usec(u), o.zone)
            })
        };
        let rel = |usec: Option<i64>| {
            usec.map_or("-".to_owned(), |u| {
                format_relative(o.now, Timestamp::from_usec(u))
            })
        };
        let (class, result) = result_cell(t.last_result.map(Some));
        let _ = writeln!(
            out,
            "<tr class=\"timer {class}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{class}\">{result}</td></tr>",
            escape(&t.unit),
            escape(&at(t.next_elapse_usec)),
            escape(&rel(t.next_elapse_usec)),
            escape(&at(t.last_trigger_usec)),
            escape(&rel(t.last_trigger_usec)),
            t.activates
                .iter()
                .map(|u| unit_link(u))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    out.push_str("</table>\n");
    out.push_str("<h2>The next day</h2>\n<img src=\"/schedule.svg\" alt=\"the timers' elapses over the next day\">\n");
    out.push_str("<h2>Recent runs</h2>\n");
    runs_table(&mut out, o.runs, o.now, o.zone, true);
    out.push_str("</body>\n</html>\n");
    out
}

/// A unit's page: its runs and its last lines.
pub fn unit_page(p: &UnitPage<'_>) -> String {
    let mut out = head(p.unit, false);
    let _ = writeln!(
        out,
        "<p><a href=\"/\">&larr; all timers</a></p>\n<h1>{}</h1>",
        escape(p.unit)
    );
    out.push_str("<h2>Runs</h2>\n");
    runs_table(&mut out, p.runs, p.now, p.zone, false);
    out.push_str("<h2>Last lines</h2>\n<pre id=\"log\">");
    if p.lines.is_empty() {
        out.push_str("(none)");
    }
    for l in p.lines {
        let c = p.zone.to_civil(Timestamp::from_usec(l.timestamp_usec));
        let _ = writeln!(
            out,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02} {}",
            c.year,
            c.month,
            c.day,
            c.hour,
            c.minute,
            c.second,
            escape(&l.line)
        );
    }
    out.push_str("</pre>\n</body>\n</html>\n");
    out
}

fn head(title: &str, refresh: bool) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n{}<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        if refresh {
            "<meta http-equiv=\"refresh\" content=\"30\">\n"
        } else {
            ""
        },
        escape(title)
    )
}

fn runs_table(out: &mut String, runs: &[RunRow], now: Timestamp, zone: &Zone, with_unit: bool) {
    if runs.is_empty() {
        out.push_str("<p class=\"muted\">No runs recorded.</p>\n");
        return;
    }
    out.push_str("<table class=\"runs\">\n<tr><th>Start</th>");
    if with_unit {
        out.push_str("<th>Unit</th>");
    }
    out.push_str("<th>Duration</th><th>Trigger</th><th>Result</th><th>Status</th></tr>\n");
    for r in runs {
        let (class, result) = result_cell(Some(r.result));
        let took = format_timespan(
            Timespan::from_usec(
                u64::try_from(r.end_usec.unwrap_or(now.as_usec()) - r.start_usec).unwrap_or(0),
            ),
            Timespan::from_usec(1000),
        );
        let status = match r.status {
            Some(ExitStatus::Code(c)) => format!("exit {c}"),
            Some(ExitStatus::Signal(s)) => format!("signal {s}"),
            None => "-".to_owned(),
        };
        let _ = write!(
            out,
            "<tr class=\"run {class}\"><td>{}</td>",
            escape(&sundial_calendar::timestamp::format(
                Timestamp::from_usec(r.start_usec),
                zone
            ))
        );
        if with_unit {
            let _ = write!(out, "<td>{}</td>", unit_link(&r.unit));
        }
        let _ = writeln!(
            out,
            "<td>{}{}</td><td>{}</td><td class=\"{class}\">{result}</td><td>{status}</td></tr>",
            took,
            if r.end_usec.is_none() { " so far" } else { "" },
            escape(&r.trigger.label()),
        );
    }
    out.push_str("</table>\n");
}

/// The class and text of a result: `None` is a run still going, `Some(None)`
/// no result yet.
fn result_cell(result: Option<Option<RunResult>>) -> (&'static str, String) {
    match result {
        None | Some(None) => ("running", "running".to_owned()),
        Some(Some(r)) if is_failure(Some(r)) => ("failed", r.as_str().to_owned()),
        Some(Some(RunResult::Skipped)) => ("skipped", "skipped".to_owned()),
        Some(Some(r)) => ("success", r.as_str().to_owned()),
    }
}

fn is_failure(result: Option<RunResult>) -> bool {
    !matches!(result, None | Some(RunResult::Success | RunResult::Skipped))
}

fn unit_link(unit: &str) -> String {
    format!(
        "<a href=\"/unit/{}\">{}</a>",
        percent_encode(unit),
        escape(unit)
    )
}

/// A unit name in a URL path: bytes outside `[A-Za-z0-9._@:-]` as `%XX`.
pub fn percent_encode(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"._@:-".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The reverse of [`percent_encode`]; `None` for a malformed escape or a
/// name that is not UTF-8.
pub fn percent_decode(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = path.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::Activation;
    use crate::store::InvocationId;

    fn run(unit: &str, start: i64, result: Option<RunResult>) -> RunRow {
        RunRow {
            unit: unit.into(),
            invocation: InvocationId::from_u128(start as u128),
            trigger: Activation::timer("<x>.timer", start, 0),
            start_usec: start,
            end_usec: result.map(|_| start + 1_500_000),
            result,
            status: result.map(|r| ExitStatus::Code(i32::from(r != RunResult::Success))),
            memory_peak: None,
            cpu_usec: None,
        }
    }

    #[test]
    fn the_overview_marks_failures_and_escapes_names() {
        let now = Timestamp::from_usec(1_893_456_000_000_000);
        let timers = [TimerRow {
            unit: "a<b>.timer".into(),
            activates: vec!["a b.service".into()],
            next_elapse_usec: Some(now.as_usec() + 3_600_000_000),
            last_trigger_usec: None,
            last_result: Some(RunResult::ExitCode),
            node: None,
        }];
        let runs = [
            run(
                "a b.service",
                now.as_usec() - 10_000_000,
                Some(RunResult::ExitCode),
            ),
            run(
                "ok.service",
                now.as_usec() - 20_000_000,
                Some(RunResult::Success),
            ),
            run("long.service", now.as_usec() - 5_000_000, None),
        ];
        let html = overview(&Overview {
            timers: &timers,
            runs: &runs,
            now,
            zone: &Zone::utc(),
            scope: "user",
        });
        assert!(html.contains("<td>a&lt;b&gt;.timer</td>"), "{html}");
        assert!(html.contains("<a href=\"/unit/a%20b.service\">a b.service</a>"));
        assert_eq!(html.matches("<tr class=\"run failed\">").count(), 1);
        assert_eq!(html.matches("<tr class=\"run success\">").count(), 1);
        assert_eq!(html.matches("<tr class=\"run running\">").count(), 1);
        assert!(html.contains("1 failed"));
        assert!(html.contains("timer:&lt;x&gt;.timer"));
        assert!(html.contains("http-equiv=\"refresh\""));
    }

    #[test]
    fn unit_names_survive_the_url() {
        for name in ["a b.service", "x@%2f.timer", "ü.service", "plain-1.service"] {
            assert_eq!(percent_decode(&percent_encode(name)).as_deref(), Some(name));
        }
        assert_eq!(percent_decode("%zz"), None);
    }
}
