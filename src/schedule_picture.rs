//! The picture of a schedule (`sundial simulate --svg FILE`, and the
//! dashboard's): one row per
//! timer over the window, a mark at each elapse, the RandomizedDelaySec=
//! window it could fall in, a bar for how long its service is expected to
//! run, overlapping runs of one unit in red, and the local clock's changes
//! (daylight saving time) as dashed lines with what they skip or repeat.
//! Pure: starts, timers and window in, SVG text out.

use std::collections::BTreeMap;
use std::fmt::Write;

use sundial_calendar::timespan::format_timespan;
use sundial_calendar::{Timespan, Timestamp, Zone};

use crate::markup::escape;
use crate::scheduler::simulation::SimStart;

const LABEL_WIDTH: f64 = 240.0;
const PLOT_WIDTH: f64 = 1000.0;
const ROW: f64 = 24.0;
const TOP: f64 = 70.0;

const STYLE: &str = "text{font-family:sans-serif;font-size:12px;fill:#222}\
.grid{stroke:#e6e6e6}.axis{stroke:#999}.row{fill:#f7f7f7}\
.window{fill:#c9dcf5}.run{fill:#5b8fd6}.overlap{fill:#d43a2f}\
.elapse{stroke:#1d3f73;stroke-width:2}.dst{stroke:#b45f06;stroke-dasharray:4 3}\
.dstlabel{fill:#b45f06;font-size:11px}.title{font-size:16px;font-weight:bold}";

/// What the picture shows.
#[derive(Debug, Clone)]
pub struct Schedule<'a> {
    /// The simulated starts, in time order.
    pub starts: &'a [SimStart],
    /// The timers drawn, with their RandomizedDelaySec=, in row order.
    pub timers: Vec<(String, Timespan)>,
    /// The expected run time of each unit (none: no bar).
    pub run_times: BTreeMap<String, Timespan>,
    /// Where the run times came from, for the subtitle.
    pub run_times_from: String,
    pub from: Timestamp,
    pub until: Timestamp,
}

/// Tick spacings (µs): the first that gives at most 14 ticks.
const TICKS: [i64; 12] = [
    60_000_000,
    300_000_000,
    900_000_000,
    1_800_000_000,
    3_600_000_000,
    7_200_000_000,
    10_800_000_000,
    21_600_000_000,
    43_200_000_000,
    86_400_000_000,
    604_800_000_000,
    2_592_000_000_000,
];

/// The local clock's changes in `[from, until)`: the instant and the
/// offsets before and after (seconds east of UTC).
pub fn clock_changes(zone: &Zone, from: Timestamp, until: Timestamp) -> Vec<(Timestamp, i32, i32)> {
    let mut changes = Vec::new();
    let end = until.as_usec().div_euclid(1_000_000);
    let mut t = from.as_usec().div_euclid(1_000_000);
    while t < end {
        let span = zone.rules().offset_span(t);
        if span.end >= end || span.end <= t {
            break;
        }
        let after = zone.rules().offset_at(span.end);
        if after.utc_offset != span.offset.utc_offset {
            changes.push((
                Timestamp::from_usec(span.end * 1_000_000),
                span.offset.utc_offset,
                after.utc_offset,
            ));
        }
        t = span.end;
    }
    changes
}

/// The SVG of `s` in `zone`.
pub fn render(s: &Schedule<'_>, zone: &Zone) -> String {
    let (from, until) = (
        s.from.as_usec(),
        s.until.as_usec().max(s.from.as_usec() + 1),
    );
    let span = (until - from) as f64;
    let x = |t: i64| LABEL_WIDTH + (t.clamp(from, until) - from) as f64 / span * PLOT_WIDTH;
    let rows = s.timers.len().max(1) as f64;
    let bottom = TOP + ROW * rows;
    let width = LABEL_WIDTH + PLOT_WIDTH + 20.0;
    let height = bottom + 70.0;
    let mut out = String::new();
    let _ = writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">"
    );
    let _ = writeln!(out, "<style>{STYLE}</style>");
    let _ = writeln!(
        out,
        "<text class=\"title\" x=\"10\" y=\"22\">Schedule, {} to {}: {} starts of {} timers</text>",
        escape(&sundial_calendar::timestamp::format(s.from, zone)),
        escape(&sundial_calendar::timestamp::format(s.until, zone)),
        s.starts.len(),
        s.timers.len()
    );
    let _ = writeln!(
        out,
        "<text x=\"10\" y=\"40\">Run times: {}</text>",
        escape(&s.run_times_from)
    );

    // Rows first, so that the grid and the marks lie on them.
    let row_of: BTreeMap<&str, usize> = s
        .timers
        .iter()
        .enumerate()
        .map(|(i, (name, _))| (name.as_str(), i))
        .collect();
    for (i, (name, _)) in s.timers.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        if i % 2 == 0 {
            let _ = writeln!(
                out,
                "<rect class=\"row\" x=\"{LABEL_WIDTH}\" y=\"{y}\" width=\"{PLOT_WIDTH}\" height=\"{ROW}\"/>"
            );
        }
        let _ = writeln!(
            out,
            "<text class=\"timer\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LABEL_WIDTH - 8.0,
            y + ROW * 0.68,
            escape(name)
        );
    }
    let step = TICKS
        .iter()
        .copied()
        .find(|st| (until - from) / st <= 14)
        .unwrap_or(TICKS[TICKS.len() - 1]);
    for tick in ticks(zone, from, until, step) {
        let tx = x(tick);
        let c = zone.to_civil(Timestamp::from_usec(tick));
        let label = if step >= 86_400_000_000 || (c.hour == 0 && c.minute == 0) {
            format!("{:04}-{:02}-{:02}", c.year, c.month, c.day)
        } else {
            format!("{:02}:{:02}", c.hour, c.minute)
        };
        let _ = writeln!(
            out,
            "<line class=\"grid\" x1=\"{tx:.1}\" y1=\"{:.1}\" x2=\"{tx:.1}\" y2=\"{bottom}\"/><text x=\"{tx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{label}</text>",
            TOP - 6.0,
            TOP - 10.0
        );
    }
    let _ = writeln!(
        out,
        "<line class=\"axis\" x1=\"{LABEL_WIDTH}\" y1=\"{bottom}\" x2=\"{}\" y2=\"{bottom}\"/>",
        LABEL_WIDTH + PLOT_WIDTH
    );

    for start in s.starts {
        let st = &start.start;
        let Some(&row) = row_of.get(st.timer.as_str()) else {
            continue;
        };
        let y = TOP + ROW * row as f64;
        let at = st.at.realtime.as_usec();
        let delay = s.timers.get(row).map_or(Timespan::ZERO, |(_, d)| *d);
        if let (Some(scheduled), false) = (st.scheduled, delay.is_zero()) {
            let w0 = scheduled.as_usec();
            let w1 = w0.saturating_add(i64::try_from(delay.as_usec()).unwrap_or(i64::MAX));
            let _ = writeln!(
                out,
                "<rect class=\"window\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"><title>{}: RandomizedDelaySec={}</title></rect>",
                x(w0),
                y + 4.0,
                (x(w1) - x(w0)).max(1.0),
                ROW - 8.0,
                escape(&st.timer),
                format_timespan(delay, Timespan::from_usec(1))
            );
        }
        let class = if start.already_running {
            "overlap"
        } else {
            "run"
        };
        if let Some(run) = s.run_times.get(&st.unit).filter(|r| !r.is_zero()) {
            let end = at.saturating_add(i64::try_from(run.as_usec()).unwrap_or(i64::MAX));
            let _ = writeln!(
                out,
                "<rect class=\"{class}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"><title>{} runs about {}</title></rect>",
                x(at),
                y + 8.0,
                (x(end) - x(at)).max(1.0),
                ROW - 16.0,
                escape(&st.unit),
                format_timespan(*run, Timespan::from_usec(1000))
            );
        } else if start.already_running {
            let _ = writeln!(
                out,
                "<rect class=\"overlap\" x=\"{:.1}\" y=\"{:.1}\" width=\"4\" height=\"{:.1}\"/>",
                x(at) - 2.0,
                y + 8.0,
                ROW - 16.0
            );
        }
        let _ = writeln!(
            out,
            "<line class=\"elapse\" x1=\"{0:.1}\" y1=\"{1:.1}\" x2=\"{0:.1}\" y2=\"{2:.1}\"><title>{3} at {4} ({5}){6}</title></line>",
            x(at),
            y + 3.0,
            y + ROW - 3.0,
            escape(&st.timer),
            escape(&sundial_calendar::timestamp::format(st.at.realtime, zone)),
            escape(&st.cause.to_string()),
            if start.already_running {
                format!(": {} still running", escape(&st.unit))
            } else {
                String::new()
            }
        );
    }

    for (at, before, after) in clock_changes(zone, s.from, s.until) {
        let cx = x(at.as_usec());
        let shift = after - before;
        let local = zone.to_civil(Timestamp::from_usec(at.as_usec() - 1));
        let what = if shift > 0 {
            format!(
                "clocks {}: local {:02}:00–{} skipped",
                signed_span(shift),
                (local.hour + 1) % 24,
                after_label(shift, local.hour + 1)
            )
        } else {
            format!(
                "clocks {}: local {} happens twice",
                signed_span(shift),
                twice_label(shift, local.hour + 1)
            )
        };
        let _ = writeln!(
            out,
            "<line class=\"dst\" x1=\"{cx:.1}\" y1=\"{:.1}\" x2=\"{cx:.1}\" y2=\"{:.1}\"/><text class=\"dstlabel\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            TOP - 4.0,
            bottom + 4.0,
            cx + 3.0,
            bottom + 18.0,
            escape(&what)
        );
    }
    let ly = bottom + 48.0;
    for (i, (class, text)) in [
        ("elapse", "elapse"),
        ("window", "RandomizedDelaySec= window"),
        ("run", "expected run"),
        ("overlap", "unit still running: overlap"),
    ]
    .iter()
    .enumerate()
    {
        let lx = LABEL_WIDTH + 230.0 * i as f64;
        if *class == "elapse" {
            let _ = writeln!(
                out,
                "<line class=\"elapse\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>",
                lx + 7.0,
                ly - 12.0,
                ly + 2.0
            );
        } else {
            let _ = writeln!(
                out,
                "<rect class=\"{class}\" x=\"{lx}\" y=\"{}\" width=\"14\" height=\"14\"/>",
                ly - 11.0
            );
        }
        let _ = writeln!(out, "<text x=\"{}\" y=\"{ly}\">{text}</text>", lx + 20.0);
    }
    out.push_str("</svg>\n");
    out
}

/// Tick instants (µs) every `step` of local time in `[from, until]`: on
/// local multiples of the step, so that after a clock change they stay on
/// the local hours.
pub fn ticks(zone: &Zone, from: i64, until: i64, step: i64) -> Vec<i64> {
    let mut out: Vec<i64> = Vec::new();
    let mut t = from;
    while t <= until {
        let offset = i64::from(zone.offset_at(Timestamp::from_usec(t)).utc_offset) * 1_000_000;
        let mut tick = (t + offset).div_euclid(step) * step - offset;
        while tick < from || out.last().is_some_and(|l| tick <= *l) {
            tick += step;
        }
        if tick > until {
            break;
        }
        out.push(tick);
        t = tick + step;
    }
    out
}

/// `+1h`, `-30min`.
fn signed_span(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let span = Timespan::from_secs(u64::from(seconds.unsigned_abs()));
    format!("{sign}{}", format_timespan(span, Timespan::from_secs(60)))
}

/// The local time a forward change jumps to, from the hour it starts at.
fn after_label(shift: i32, hour: u32) -> String {
    let minutes = hour as i32 * 60 + shift / 60;
    format!(
        "{:02}:{:02}",
        minutes.div_euclid(60) % 24,
        minutes.rem_euclid(60)
    )
}

/// The local hour(s) a backward change repeats.
fn twice_label(shift: i32, hour: u32) -> String {
    let start = hour as i32 * 60 + shift / 60;
    format!(
        "{:02}:{:02}–{:02}:00",
        start.div_euclid(60).rem_euclid(24),
        start.rem_euclid(60),
        hour % 24
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use sundial_calendar::zone::{BundledZones, ZoneSource};

    #[test]
    fn berlins_clock_changes_in_2026_are_found_with_their_direction() {
        let zone = BundledZones::new().load("Europe/Berlin").expect("bundled");
        let from = Timestamp::from_usec(1_767_225_600_000_000); // 2026-01-01 UTC
        let until = Timestamp::from_usec(1_798_761_600_000_000); // 2027-01-01 UTC
        let changes = clock_changes(&zone, from, until);
        assert_eq!(changes.len(), 2, "{changes:?}");
        // 2026-03-29 01:00 UTC: +1h; 2026-10-25 01:00 UTC: -1h.
        assert_eq!(
            changes[0],
            (Timestamp::from_usec(1_774_746_000_000_000), 3600, 7200)
        );
        assert_eq!(
            changes[1],
            (Timestamp::from_usec(1_792_890_000_000_000), 7200, 3600)
        );
        assert_eq!(signed_span(3600), "+1h");
        assert_eq!(after_label(3600, 2), "03:00");
        assert_eq!(twice_label(-3600, 3), "02:00–03:00");
        // Six-hour ticks stay on local 00, 06, 12, 18 across the change.
        let hours: Vec<u32> = ticks(
            &zone,
            1_774_735_200_000_000, // 2026-03-28 23:00 CET
            1_774_735_200_000_000 + 86_400_000_000,
            21_600_000_000,
        )
        .into_iter()
        .map(|t| zone.to_civil(Timestamp::from_usec(t)).hour)
        .collect();
        assert_eq!(hours, [0, 6, 12, 18, 0], "{hours:?}");
    }

    #[test]
    fn utc_has_no_clock_changes_and_an_empty_schedule_renders() {
        let zone = Zone::utc();
        let from = Timestamp::from_usec(1_767_225_600_000_000);
        let until = Timestamp::from_usec(1_767_312_000_000_000);
        assert!(clock_changes(&zone, from, until).is_empty());
        let svg = render(
            &Schedule {
                starts: &[],
                timers: vec![("a.timer".into(), Timespan::ZERO)],
                run_times: BTreeMap::new(),
                run_times_from: "none".into(),
                from,
                until,
            },
            &zone,
        );
        assert!(svg.contains(">a.timer<") && svg.ends_with("</svg>\n"));
        assert_eq!(
            svg.matches("class=\"elapse\" x1").count(),
            1,
            "only the legend's"
        );
    }
}
