//! `sundial analyze plot`: an SVG of the recorded runs in a window of time,
//! one row per unit, one bar per run from its start to its end, coloured by
//! its result; a run still going reaches to the window's end. Each bar's
//! `<title>` says what it was (a browser shows it on hover). Pure: rows and
//! window in, SVG text out.

use std::collections::BTreeMap;
use std::fmt::Write;

use sundial_calendar::timespan::format_timespan;
use sundial_calendar::{Timespan, Timestamp, Zone};

use crate::ipc::types::RunRow;
use crate::markup::escape;
use crate::store::RunResult;

const LABEL_WIDTH: f64 = 260.0;
const PLOT_WIDTH: f64 = 960.0;
const ROW: f64 = 22.0;
const TOP: f64 = 56.0;

/// The window of time drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub since: Timestamp,
    pub until: Timestamp,
}

/// The daemon's start, drawn as a line across the rows when it lies in
/// the window: the runs right after it are the start-up's (timers
/// catching up, the default target's services).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartUp(pub Option<Timestamp>);

/// A bar's class: its colour in the style sheet and the legend.
fn class_of(result: Option<RunResult>) -> &'static str {
    match result {
        None => "running",
        Some(RunResult::Success) => "success",
        Some(RunResult::Skipped) => "skipped",
        Some(RunResult::Timeout | RunResult::Watchdog) => "timeout",
        Some(_) => "failed",
    }
}

const STYLE: &str = "text{font-family:sans-serif;font-size:12px;fill:#222}\
.axis{stroke:#999;stroke-width:1}.grid{stroke:#e4e4e4;stroke-width:1}\
.success{fill:#3a9a4a}.failed{fill:#d43a2f}.timeout{fill:#e8901c}\
.skipped{fill:#aaaaaa}.running{fill:#3f7fd0}.title{font-size:16px;font-weight:bold}\
.startup{stroke:#7b3fa0;stroke-width:2;stroke-dasharray:5 3}.startuplabel{fill:#7b3fa0;font-size:11px}";

/// The legend, in drawing order.
const LEGEND: [(&str, &str); 5] = [
    ("success", "success"),
    ("failed", "failed"),
    ("timeout", "timeout, watchdog"),
    ("skipped", "skipped"),
    ("running", "running"),
];

/// Tick spacings to choose from (µs): the first that gives at most 12 ticks.
const TICKS: [i64; 16] = [
    1_000_000,
    5_000_000,
    10_000_000,
    30_000_000,
    60_000_000,
    300_000_000,
    600_000_000,
    1_800_000_000,
    3_600_000_000,
    10_800_000_000,
    21_600_000_000,
    43_200_000_000,
    86_400_000_000,
    172_800_000_000,
    604_800_000_000,
    2_592_000_000_000,
];

/// The SVG of the runs of `rows` that overlap `window`.
pub fn plot(rows: &[RunRow], window: Window, start_up: StartUp, zone: &Zone) -> String {
    let (since, until) = (
        window.since.as_usec(),
        window.until.as_usec().max(window.since.as_usec() + 1),
    );
    let span = (until - since) as f64;
    let x = |t: i64| LABEL_WIDTH + (t.clamp(since, until) - since) as f64 / span * PLOT_WIDTH;
    // Units in the order of their first run in the window.
    let mut units: BTreeMap<&str, (i64, Vec<&RunRow>)> = BTreeMap::new();
    for row in rows {
        let end = row.end_usec.unwrap_or(until);
        if end < since || row.start_usec > until {
            continue;
        }
        let entry = units
            .entry(&row.unit)
            .or_insert((row.start_usec, Vec::new()));
        entry.0 = entry.0.min(row.start_usec);
        entry.1.push(row);
    }
    let mut order: Vec<(&str, &(i64, Vec<&RunRow>))> = units.iter().map(|(u, v)| (*u, v)).collect();
    order.sort_by(|a, b| a.1 .0.cmp(&b.1 .0).then(a.0.cmp(b.0)));

    let height = TOP + ROW * order.len().max(1) as f64 + 60.0;
    let width = LABEL_WIDTH + PLOT_WIDTH + 20.0;
    let mut out = String::new();
    let _ = writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">"
    );
    let _ = writeln!(out, "<style>{STYLE}</style>");
    let _ = writeln!(
        out,
        "<text class=\"title\" x=\"10\" y=\"22\">sundial runs, {} to {} ({} runs of {} units)</text>",
        escape(&sundial_calendar::timestamp::format(window.since, zone)),
        escape(&sundial_calendar::timestamp::format(window.until, zone)),
        order.iter().map(|(_, (_, runs))| runs.len()).sum::<usize>(),
        order.len()
    );
    // The time axis: a grid line and a label per tick.
    let step = TICKS
        .iter()
        .copied()
        .find(|s| (until - since) / s <= 12)
        .unwrap_or(TICKS[TICKS.len() - 1]);
    let bottom = TOP + ROW * order.len().max(1) as f64;
    for tick in crate::schedule_picture::ticks(zone, since, until, step) {
        let tx = x(tick);
        let _ = writeln!(
            out,
            "<line class=\"grid\" x1=\"{tx:.1}\" y1=\"{}\" x2=\"{tx:.1}\" y2=\"{bottom}\"/>",
            TOP - 6.0
        );
        let _ = writeln!(
            out,
            "<text x=\"{tx:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            TOP - 10.0,
            escape(&tick_label(Timestamp::from_usec(tick), step, zone))
        );
    }
    let _ = writeln!(
        out,
        "<line class=\"axis\" x1=\"{LABEL_WIDTH}\" y1=\"{bottom}\" x2=\"{}\" y2=\"{bottom}\"/>",
        LABEL_WIDTH + PLOT_WIDTH
    );
    if let Some(started) = start_up
        .0
        .filter(|t| (since..=until).contains(&t.as_usec()))
    {
        let sx = x(started.as_usec());
        let _ = writeln!(
            out,
            "<line class=\"startup\" x1=\"{sx:.1}\" y1=\"{:.1}\" x2=\"{sx:.1}\" y2=\"{bottom}\"><title>the daemon started at {}</title></line><text class=\"startuplabel\" x=\"{:.1}\" y=\"{:.1}\">daemon started</text>",
            TOP - 6.0,
            escape(&sundial_calendar::timestamp::format(started, zone)),
            sx + 3.0,
            bottom + 14.0
        );
    }
    for (i, (unit, (_, runs))) in order.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let _ = writeln!(
            out,
            "<g class=\"unit\"><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LABEL_WIDTH - 8.0,
            y + ROW * 0.7,
            escape(unit)
        );
        for run in runs {
            let end = run.end_usec.unwrap_or(until);
            let (x0, x1) = (x(run.start_usec), x(end));
            let class = class_of(run.result);
            let took = format_timespan(
                Timespan::from_usec(u64::try_from(end - run.start_usec).unwrap_or(0)),
                Timespan::from_usec(1000),
            );
            let _ = writeln!(
                out,
                "<rect class=\"run {class}\" x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"><title>{}: {} at {}, {}{}</title></rect>",
                y + 3.0,
                (x1 - x0).max(2.0),
                ROW - 6.0,
                escape(unit),
                run.result.map_or("running", RunResult::as_str),
                escape(&sundial_calendar::timestamp::format(Timestamp::from_usec(run.start_usec), zone)),
                took,
                if run.end_usec.is_some() { "" } else { " so far" },
            );
        }
        out.push_str("</g>\n");
    }
    if order.is_empty() {
        let _ = writeln!(
            out,
            "<text x=\"{LABEL_WIDTH}\" y=\"{}\">no runs in this window</text>",
            TOP + ROW * 0.7
        );
    }
    // The legend under the plot.
    let ly = bottom + 30.0;
    for (i, (class, text)) in LEGEND.iter().enumerate() {
        let lx = LABEL_WIDTH + 150.0 * i as f64;
        let _ = writeln!(
            out,
            "<rect class=\"{class}\" x=\"{lx}\" y=\"{}\" width=\"14\" height=\"14\"/><text x=\"{}\" y=\"{ly}\">{text}</text>",
            ly - 11.0,
            lx + 20.0
        );
    }
    out.push_str("</svg>\n");
    out
}

/// A tick's label: the time of day, with the date where ticks are a day or
/// more apart or at midnight.
fn tick_label(t: Timestamp, step: i64, zone: &Zone) -> String {
    let c = zone.to_civil(t);
    if step >= 86_400_000_000 || (c.hour == 0 && c.minute == 0 && c.second == 0) {
        format!("{:04}-{:02}-{:02}", c.year, c.month, c.day)
    } else if step < 60_000_000 {
        format!("{:02}:{:02}:{:02}", c.hour, c.minute, c.second)
    } else {
        format!("{:02}:{:02}", c.hour, c.minute)
    }
}

#[cfg(test)]
mod tests {
    use super::super::blame::tests::row;
    use super::*;

    const T0: i64 = 1_893_456_000_000_000;
    const MIN: i64 = 60_000_000;

    #[test]
    fn a_bar_per_run_in_the_window_coloured_by_result() {
        let rows = [
            row(
                "a.service",
                T0 + MIN,
                Some(T0 + 2 * MIN),
                Some(RunResult::Success),
            ),
            row(
                "a.service",
                T0 + 10 * MIN,
                Some(T0 + 11 * MIN),
                Some(RunResult::ExitCode),
            ),
            row("b<&>.service", T0 + 5 * MIN, None, None),
            row(
                "old.service",
                T0 - 100 * MIN,
                Some(T0 - 90 * MIN),
                Some(RunResult::Success),
            ),
        ];
        let window = Window {
            since: Timestamp::from_usec(T0),
            until: Timestamp::from_usec(T0 + 60 * MIN),
        };
        let svg = plot(
            &rows,
            window,
            StartUp(Some(Timestamp::from_usec(T0 + 30 * MIN))),
            &Zone::utc(),
        );
        assert_eq!(svg.matches("class=\"startup\"").count(), 1, "{svg}");
        assert_eq!(svg.matches("<rect class=\"run ").count(), 3, "{svg}");
        assert_eq!(svg.matches("class=\"run success\"").count(), 1);
        assert_eq!(svg.matches("class=\"run failed\"").count(), 1);
        assert_eq!(svg.matches("class=\"run running\"").count(), 1);
        assert!(svg.contains("b&lt;&amp;&gt;.service"), "{svg}");
        assert!(!svg.contains("old.service"));
        // a runs first, so its row is the first; ticks every 5 minutes.
        assert!(svg.find(">a.service<").unwrap() < svg.find(">b&lt;").unwrap());
        assert!(svg.contains(">00:05<") && svg.contains(">00:55<"), "{svg}");
        // The first run: a minute of an hour, from 1/60 of the width.
        assert!(
            svg.contains(&format!("x=\"{:.1}\"", LABEL_WIDTH + PLOT_WIDTH / 60.0)),
            "{svg}"
        );
        assert!(
            svg.contains("<title>a.service: success at Tue 2030-01-01 00:01:00 UTC, 1min</title>"),
            "{svg}"
        );
    }

    #[test]
    fn an_empty_window_says_so() {
        let window = Window {
            since: Timestamp::from_usec(T0),
            until: Timestamp::from_usec(T0 + MIN),
        };
        // A start outside the window is not drawn.
        let svg = plot(
            &[],
            window,
            StartUp(Some(Timestamp::from_usec(0))),
            &Zone::utc(),
        );
        assert!(!svg.contains("class=\"startup\""));
        assert!(svg.contains("no runs in this window"));
        assert!(svg.ends_with("</svg>\n"));
    }
}
