//! `sundial list-timers [--all] [PATTERN...]`: systemctl's timer table, NEXT
//! LEFT LAST PASSED UNIT ACTIVATES, plus RESULT: how the activated service's
//! last run ended.

use crate::ipc::ListTimersRequest;
use std::process::ExitCode;

use serde::Serialize;
use sundial_calendar::{Timestamp, Zone};

use super::connect::exchange;
use super::offline::{self, Source, StateDirArg};
use super::table::Table;
use super::{
    print_json, print_text, relative_or_na, report_error, timestamp_or_na, unexpected, Connection,
    Output,
};
use crate::cli::time_common::TimeEnv;
use crate::ipc::types::TimerRow;
use crate::ipc::{Request, Response};

const EXAMPLES: &str = concat!(
    "Examples:\n",
    "  $ sundial list-timers\n",
    "  $ sundial list-timers --all 'backup*'\n",
    "  $ sundial list-timers -o json",
);

/// Arguments of `sundial list-timers`.
#[derive(Debug, clap::Args)]
#[command(
    about = "List timers: when they elapse next, when they last did, and how that run ended",
    long_about = "List the loaded timers ordered by their next elapse, as systemctl list-timers \
                  does: NEXT and LEFT (when and in how long they elapse), LAST and PASSED (when \
                  they last triggered), RESULT (the result of the activated service's last run, \
                  a sundial column), UNIT and ACTIVATES. Only active timers are listed unless \
                  --all is given. Without a running daemon, LAST, PASSED and RESULT are read from \
                  its state database (read-only; see --state-dir), every timer of its unit files \
                  is listed, and none has a next elapse.",
    after_long_help = EXAMPLES
)]
pub struct Args {
    /// List inactive timers too.
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Leave out the header and the footer.
    #[arg(long)]
    pub no_legend: bool,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = Output::Short)]
    pub output: Output,
    /// Only timers whose names match these glob patterns.
    #[arg(value_name = "PATTERN")]
    pub patterns: Vec<String>,
    #[command(flatten)]
    pub connection: Connection,
    #[command(flatten)]
    pub state: StateDirArg,
}

/// Runs `sundial list-timers`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let request = Request::ListTimers(ListTimersRequest {
        all: args.all,
        patterns: args.patterns.clone(),
    });
    let env = TimeEnv::from_process();
    let (response, all) = match offline::reach(&args.connection, &args.state)? {
        Source::Daemon(client) => (exchange(client, &request)?, args.all),
        Source::Offline(off) => {
            eprintln!(
                "sundial: {} Timers elapse only while it runs: `{}`.",
                off.notice(&env.local),
                off.start_command()
            );
            (offline::list_timers(&off, &args.patterns), true)
        }
    };
    let mut rows = match response {
        Response::Timers { timers } => timers,
        Response::Error { code, message } => return Ok(report_error(code, &message)),
        other => return Err(unexpected("list-timers", &other)),
    };
    sort_timers(&mut rows);
    if args.output.is_json() {
        print_json(args.output, &json_rows(&rows))?;
    } else {
        let legend = !args.no_legend;
        print_text(&format_timers(&rows, env.now, &env.local, legend, all))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// systemctl's order: by next elapse (timers that will not elapse last),
/// then by name.
pub fn sort_timers(rows: &mut [TimerRow]) {
    rows.sort_by(|a, b| {
        let key = |r: &TimerRow| (r.next_elapse_usec.is_none(), r.next_elapse_usec);
        key(a).cmp(&key(b)).then_with(|| a.unit.cmp(&b.unit))
    });
}

/// The table and, with `legend`, its header and footer.
pub fn format_timers(
    rows: &[TimerRow],
    now: Timestamp,
    zone: &Zone,
    legend: bool,
    all: bool,
) -> String {
    // NODE only where a cluster timer has one: the table stays
    // systemctl's on a single host.
    let nodes = rows.iter().any(|r| r.node.is_some());
    let mut columns = vec!["next", "left", "last", "passed", "result"];
    if nodes {
        columns.push("node");
    }
    columns.extend(["unit", "activates"]);
    let mut table = Table::new(&columns);
    if !legend {
        table.hide_header();
    }
    for row in rows {
        let mut cells = vec![
            timestamp_or_na(row.next_elapse_usec, zone),
            relative_or_na(row.next_elapse_usec, now),
            timestamp_or_na(row.last_trigger_usec, zone),
            relative_or_na(row.last_trigger_usec, now),
            row.last_result
                .map_or_else(|| "n/a".to_owned(), |r| r.to_string()),
        ];
        if nodes {
            cells.push(row.node.clone().unwrap_or_else(|| "-".to_owned()));
        }
        cells.extend([row.unit.clone(), row.activates.join(" ")]);
        table.push(cells);
    }
    let mut out = table.render();
    if legend {
        out.push_str(&format!("\n{} timers listed.\n", table.len()));
        if !all {
            out.push_str("Pass --all to see loaded but inactive timers, too.\n");
        }
    }
    out
}

/// A row of `-o json`: systemctl's keys (times in µs since the epoch, as its
/// JSON tables give them; `left` and `passed` repeat `next` and `last`), plus
/// `result`.
#[derive(Debug, Serialize)]
pub struct JsonTimer<'a> {
    next: Option<i64>,
    left: Option<i64>,
    last: Option<i64>,
    passed: Option<i64>,
    result: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    node: Option<&'a str>,
    unit: &'a str,
    activates: &'a [String],
}

/// The rows as `-o json` prints them.
pub fn json_rows(rows: &[TimerRow]) -> Vec<JsonTimer<'_>> {
    rows.iter()
        .map(|r| JsonTimer {
            next: r.next_elapse_usec,
            left: r.next_elapse_usec,
            last: r.last_trigger_usec,
            passed: r.last_trigger_usec,
            result: r.last_result.map(|r| r.as_str()),
            node: r.node.as_deref(),
            unit: &r.unit,
            activates: &r.activates,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::RunResult;

    const NOW: i64 = 1_709_175_900_000_000; // Thu 2024-02-29 03:05:00 UTC

    fn row(
        unit: &str,
        next: Option<i64>,
        last: Option<i64>,
        result: Option<RunResult>,
    ) -> TimerRow {
        TimerRow {
            unit: unit.into(),
            activates: vec![unit.replace(".timer", ".service")],
            next_elapse_usec: next,
            last_trigger_usec: last,
            last_result: result,
            node: None,
        }
    }

    fn rows() -> Vec<TimerRow> {
        let mut rows = vec![
            row("never.timer", None, None, None),
            row(
                "logrotate.timer",
                Some(1_709_251_200_000_000), // Fri 2024-03-01 00:00:00
                Some(1_709_164_800_000_000), // Thu 2024-02-29 00:00:00
                Some(RunResult::ExitCode),
            ),
            row(
                "backup.timer",
                Some(1_709_262_000_000_000), // Fri 2024-03-01 03:00:00
                Some(1_709_175_600_000_000), // Thu 2024-02-29 03:00:00
                Some(RunResult::Success),
            ),
            row("ping.timer", Some(NOW + 30_000_000), None, None),
        ];
        sort_timers(&mut rows);
        rows
    }

    #[test]
    fn a_cluster_timer_shows_the_node_of_its_newest_elapse() {
        let mut rows = rows();
        let plain = format_timers(&rows, Timestamp::from_usec(NOW), &Zone::utc(), true, false);
        assert!(!plain.contains("NODE"), "{plain}");
        rows[0].node = Some("web-2".into());
        let text = format_timers(&rows, Timestamp::from_usec(NOW), &Zone::utc(), true, false);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].contains(" NODE "), "{text}");
        assert!(lines[1].contains(" web-2 "), "{text}");
        assert!(lines[2].contains(" - "), "{text}");
        let json = serde_json::to_string(&json_rows(&rows)).expect("JSON");
        assert_eq!(json.matches("\"node\"").count(), 1, "{json}");
    }

    #[test]
    fn table_like_systemctl_252_with_result() {
        let text = format_timers(
            &rows(),
            Timestamp::from_usec(NOW),
            &Zone::utc(),
            true,
            false,
        );
        assert_eq!(
            text,
            "NEXT                        LEFT     LAST                        PASSED      RESULT    UNIT            ACTIVATES\n\
             Thu 2024-02-29 03:05:30 UTC 30s left n/a                         n/a         n/a       ping.timer      ping.service\n\
             Fri 2024-03-01 00:00:00 UTC 20h left Thu 2024-02-29 00:00:00 UTC 3h 5min ago exit-code logrotate.timer logrotate.service\n\
             Fri 2024-03-01 03:00:00 UTC 23h left Thu 2024-02-29 03:00:00 UTC 5min ago    success   backup.timer    backup.service\n\
             n/a                         n/a      n/a                         n/a         n/a       never.timer     never.service\n\
             \n\
             4 timers listed.\n\
             Pass --all to see loaded but inactive timers, too.\n"
        );
    }

    #[test]
    fn no_legend_and_all() {
        let rows = &rows()[..1];
        let now = Timestamp::from_usec(NOW);
        assert_eq!(
            format_timers(rows, now, &Zone::utc(), false, false),
            "Thu 2024-02-29 03:05:30 UTC 30s left n/a n/a n/a ping.timer ping.service\n"
        );
        assert_eq!(
            format_timers(&[], now, &Zone::utc(), true, true),
            "NEXT LEFT LAST PASSED RESULT UNIT ACTIVATES\n\n0 timers listed.\n"
        );
    }

    #[test]
    fn json_uses_systemctl_keys() {
        let json = serde_json::to_value(json_rows(&rows())).unwrap();
        assert_eq!(json[0]["unit"], "ping.timer");
        assert_eq!(json[0]["last"], serde_json::Value::Null);
        assert_eq!(json[1]["next"], 1_709_251_200_000_000_i64);
        assert_eq!(json[1]["left"], json[1]["next"]);
        assert_eq!(json[1]["result"], "exit-code");
        assert_eq!(
            json[1]["activates"],
            serde_json::json!(["logrotate.service"])
        );
    }
}
