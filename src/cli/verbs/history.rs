//! `sundial history [UNIT] [-n N]`: the recorded runs of services, oldest
//! first: when each started, how long it ran, what started it, how it ended.
//! systemd keeps no such record; this is sundial's own command.

use crate::ipc::HistoryRequest;
use std::process::ExitCode;

use sundial_calendar::{timestamp, Timespan, Timestamp, Zone};

use super::connect::exchange;
use super::offline::{self, Source, StateDirArg};
use super::status::signal_name;
use super::table::Table;
use super::{
    mangle_unit_name, print_json, print_text, report_error, unexpected, Connection, Output,
};
use crate::cli::time_common::TimeEnv;
use crate::ipc::types::RunRow;
use crate::ipc::{Request, Response};
use crate::store::ExitStatus;
use crate::supervisor::{format_bytes, format_cpu};

const EXAMPLES: &str = concat!(
    "Examples:\n",
    "  $ sundial history backup\n",
    "  $ sundial history -n 5                # the last five runs of any service\n",
    "  $ sundial logs --invocation 4c3b0f0c2f9e4a54a1d5b1c7f2f3e8d1   # what that run printed\n",
    "  $ sundial history -o json backup.service\n",
    "  $ sundial history --cluster backup.timer   # every node's runs, from the cluster's database",
);

/// Arguments of `sundial history`.
#[derive(Debug, clap::Args)]
#[command(
    about = "List the recorded runs of services: start, duration, trigger, result, exit status",
    long_about = "List the runs the daemon recorded, oldest first: when each started, how long \
                  it ran, what started it (a timer, a crontab line, a manual start, a dependency, a restart, \
                  OnFailure=/OnSuccess=), its result, and the exit status or signal of its main \
                  process. Besides systemd's results, `unknown` is a run adopted after the \
                  daemon was killed (its end was seen, its exit status could not be), and \
                  `daemon-crash` one the daemon's crash cut off. When any run listed is a \
                  cluster run (a cluster timer's claimed elapse or a singleton's lease), a NODE \
                  column names the node that ran each (`-` for local runs), and `-o json` gives \
                  each run a `node` field. The invocation id selects a run's lines in `sundial logs \
                  --invocation`. Without a running daemon, the runs are read from its state \
                  database (read-only; see --state-dir).",
    after_long_help = EXAMPLES
)]
pub struct Args {
    /// Only this unit's runs (a name without suffix means NAME.service).
    #[arg(value_name = "UNIT")]
    pub unit: Option<String>,
    /// Only the last N runs.
    #[arg(short = 'n', long = "lines", value_name = "N")]
    pub limit: Option<u32>,
    /// The runs of the cluster's shared table (cluster timers and
    /// singletons on every node, with the node of each run and its attempt)
    /// instead of this daemon's own history.
    #[arg(long)]
    pub cluster: bool,
    /// Leave out the header and the footer.
    #[arg(long)]
    pub no_legend: bool,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = Output::Short)]
    pub output: Output,
    #[command(flatten)]
    pub connection: Connection,
    #[command(flatten)]
    pub state: StateDirArg,
}

/// Runs `sundial history`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.cluster {
        return super::cluster::history(args);
    }
    let request = Request::History(HistoryRequest {
        unit: args.unit.as_deref().map(mangle_unit_name),
        limit: args.limit,
    });
    // A run without an end runs, unless its daemon is gone: then it was
    // cut off (the next daemon closes it as 'resources').
    let (response, unfinished) = match offline::reach(&args.connection, &args.state)? {
        Source::Daemon(client) => (exchange(client, &request)?, Unfinished::Running),
        Source::Offline(off) => (
            offline::history(&off, args.unit.as_deref(), args.limit),
            if off.daemon_alive() {
                Unfinished::Running
            } else {
                Unfinished::CutOff
            },
        ),
    };
    let mut runs = match response {
        Response::Runs { runs } => runs,
        Response::Error { code, message } => return Ok(report_error(code, &message)),
        other => return Err(unexpected("history", &other)),
    };
    runs.sort_by_key(|r| (r.start_usec, r.invocation));
    if args.output.is_json() {
        let rows: Vec<JsonRun<'_>> = runs.iter().map(JsonRun::from).collect();
        print_json(args.output, &rows)?;
    } else {
        let env = TimeEnv::from_process();
        print_text(&format_runs(&runs, &env.local, !args.no_legend, unfinished))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// A run as `--output json` prints it: the protocol's row and, for a run
/// a cluster claim or lease started, the node (`null` otherwise), so that
/// a script need not parse the trigger's label for it.
#[derive(Debug, serde::Serialize)]
struct JsonRun<'a> {
    #[serde(flatten)]
    run: &'a RunRow,
    node: Option<&'a str>,
}

impl<'a> From<&'a RunRow> for JsonRun<'a> {
    fn from(run: &'a RunRow) -> JsonRun<'a> {
        JsonRun {
            run,
            node: run.trigger.cluster_node(),
        }
    }
}

/// What a run without an end is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unfinished {
    /// It runs.
    Running,
    /// Its daemon ended without stopping it in order (`kill -9`, a crash).
    CutOff,
}

/// The runs as a table, with `legend` a header and an "N runs listed." footer.
/// A NODE column (the cluster node that ran each run, `-` for local runs)
/// comes when any run is a cluster run.
pub fn format_runs(runs: &[RunRow], zone: &Zone, legend: bool, unfinished: Unfinished) -> String {
    let clustered = runs.iter().any(|r| r.trigger.cluster_node().is_some());
    let mut columns = vec!["start", "duration", "unit"];
    if clustered {
        columns.push("node");
    }
    columns.extend(["trigger", "result", "status", "memory", "cpu", "invocation"]);
    let mut table = Table::new(&columns);
    if !legend {
        table.hide_header();
    }
    for run in runs {
        let (duration, result) = match (run.end_usec, run.result) {
            (Some(end), Some(result)) => (duration(run.start_usec, end), result.to_string()),
            (Some(end), None) => (duration(run.start_usec, end), "-".to_owned()),
            (None, _) => (
                "-".to_owned(),
                match unfinished {
                    Unfinished::Running => "running",
                    Unfinished::CutOff => "cut-off",
                }
                .to_owned(),
            ),
        };
        let mut row = vec![
            timestamp::format(Timestamp::from_usec(run.start_usec), zone),
            duration,
            run.unit.clone(),
        ];
        if clustered {
            row.push(run.trigger.cluster_node().unwrap_or("-").to_owned());
        }
        row.extend([
            run.trigger.to_string(),
            result,
            run.status.map_or_else(|| "-".to_owned(), status_text),
            // The run's peak memory and CPU time, from its cgroups.
            run.memory_peak.map_or_else(|| "-".to_owned(), format_bytes),
            run.cpu_usec
                .map_or_else(|| "-".to_owned(), |us| format_cpu(us * 1000)),
            run.invocation.to_string(),
        ]);
        table.push(row);
    }
    let mut out = table.render();
    if legend {
        out.push_str(&format!("\n{} runs listed.\n", table.len()));
    }
    out
}

/// A run's length to the millisecond (to the microsecond below one).
pub fn duration(start: i64, end: i64) -> String {
    let usec = u64::try_from(end.saturating_sub(start)).unwrap_or(0);
    let rounded = if usec >= 1_000 {
        (usec + 500) / 1_000 * 1_000
    } else {
        usec
    };
    trim_fraction(&Timespan::from_usec(rounded).to_string())
}

/// `41.235000s` → `41.235s`: the zeros the rounding left say nothing.
fn trim_fraction(span: &str) -> String {
    let Some(dot) = span.find('.') else {
        return span.to_owned();
    };
    let digits_end = span[dot + 1..]
        .find(|c: char| !c.is_ascii_digit())
        .map_or(span.len(), |i| dot + 1 + i);
    let fraction = span[dot + 1..digits_end].trim_end_matches('0');
    let whole = &span[..dot];
    let rest = &span[digits_end..];
    if fraction.is_empty() {
        format!("{whole}{rest}")
    } else {
        format!("{whole}.{fraction}{rest}")
    }
}

/// `status=1/FAILURE` or `signal=KILL`, systemd's wording without `code=`.
pub fn status_text(status: ExitStatus) -> String {
    match status {
        ExitStatus::Code(code) => {
            let name = u8::try_from(code)
                .ok()
                .and_then(crate::unit::exit_status::exit_status_name);
            match name {
                Some(name) => format!("status={code}/{name}"),
                None => format!("status={code}"),
            }
        }
        ExitStatus::Signal(signal) => format!("signal={}", signal_name(signal)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::Activation;
    use crate::store::{InvocationId, RunResult};

    const T0: i64 = 1_709_175_600_000_000; // Thu 2024-02-29 03:00:00 UTC

    fn runs() -> Vec<RunRow> {
        vec![
            RunRow {
                unit: "backup.service".into(),
                invocation: InvocationId::from_u128(1),
                trigger: Activation::timer("backup.timer", 1, 2),
                start_usec: T0,
                end_usec: Some(T0 + 41_234_567),
                result: Some(RunResult::Success),
                status: Some(ExitStatus::Code(0)),
                memory_peak: Some(1_300_000),
                cpu_usec: Some(25_000),
            },
            RunRow {
                unit: "web.service".into(),
                invocation: InvocationId::from_u128(2),
                trigger: Activation::MANUAL,
                start_usec: T0 + 60_000_000,
                end_usec: Some(T0 + 60_000_250),
                result: Some(RunResult::Signal),
                status: Some(ExitStatus::Signal(9)),
                memory_peak: None,
                cpu_usec: None,
            },
            RunRow {
                unit: "backup.service".into(),
                invocation: InvocationId::from_u128(3),
                trigger: "on-failure:web.service".parse().expect("a label"),
                start_usec: T0 + 120_000_000,
                end_usec: None,
                result: None,
                status: None,
                memory_peak: None,
                cpu_usec: None,
            },
        ]
    }

    #[test]
    fn table_of_runs() {
        let id = |n: u128| InvocationId::from_u128(n).to_string();
        let expected = format!(
            "START                       DURATION UNIT           TRIGGER                RESULT  STATUS           MEMORY CPU  INVOCATION\n\
             Thu 2024-02-29 03:00:00 UTC 41.235s  backup.service timer:backup.timer     success status=0/SUCCESS 1.2M   25ms {}\n\
             Thu 2024-02-29 03:01:00 UTC 250us    web.service    manual                 signal  signal=KILL      -      -    {}\n\
             Thu 2024-02-29 03:02:00 UTC -        backup.service on-failure:web.service running -                -      -    {}\n\
             \n\
             3 runs listed.\n",
            id(1),
            id(2),
            id(3)
        );
        assert_eq!(
            format_runs(&runs(), &Zone::utc(), true, Unfinished::Running),
            expected
        );
        let cut_off = format_runs(&runs()[2..], &Zone::utc(), false, Unfinished::CutOff);
        assert!(
            cut_off.contains(" on-failure:web.service cut-off - "),
            "{cut_off}"
        );
    }

    #[test]
    fn cluster_runs_get_a_node_column_and_a_node_field() {
        let mut runs = runs();
        // Without a cluster run, no NODE column.
        let plain = format_runs(&runs, &Zone::utc(), true, Unfinished::Running);
        assert!(!plain.contains("NODE"), "{plain}");
        runs[2].trigger = "cluster:backup.timer@web-2".parse().expect("a label");
        runs[1].trigger = Activation::Restart {
            previous: Some(Box::new(
                "cluster:web.service@web-1".parse().expect("a label"),
            )),
        };
        let table = format_runs(&runs, &Zone::utc(), true, Unfinished::Running);
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].starts_with("START "), "{table}");
        let node_at = lines[0].find("NODE").expect("a NODE column");
        assert!(lines[0][node_at..].starts_with("NODE  TRIGGER"), "{table}");
        let cell = |line: &str| line[node_at..].split_whitespace().next().map(str::to_owned);
        assert_eq!(cell(lines[1]).as_deref(), Some("-"));
        assert_eq!(cell(lines[2]).as_deref(), Some("web-1"));
        assert_eq!(cell(lines[3]).as_deref(), Some("web-2"));
        let json: Vec<serde_json::Value> = runs
            .iter()
            .map(|r| serde_json::to_value(JsonRun::from(r)).expect("serializable"))
            .collect();
        assert_eq!(json[0]["node"], serde_json::Value::Null);
        assert_eq!(json[2]["node"], "web-2");
        assert_eq!(json[2]["trigger"], "cluster:backup.timer@web-2");
        assert_eq!(json[2]["unit"], "backup.service");
    }

    #[test]
    fn durations_and_statuses() {
        assert_eq!(duration(0, 1_500), "2ms");
        assert_eq!(duration(0, 999), "999us");
        assert_eq!(duration(0, 3_600_000_000 + 1_000_400), "1h 1s");
        assert_eq!(duration(5, 0), "0");
        assert_eq!(duration(0, 1_500_000), "1.5s");
        assert_eq!(duration(0, 61_500_000), "1min 1.5s");
        assert_eq!(status_text(ExitStatus::Code(75)), "status=75/TEMPFAIL");
        assert_eq!(status_text(ExitStatus::Code(300)), "status=300");
        assert_eq!(status_text(ExitStatus::Signal(15)), "signal=TERM");
    }
}
