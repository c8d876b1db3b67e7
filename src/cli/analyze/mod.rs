//! `sundial analyze`: `systemd-analyze` habits. `calendar`, `timespan`,
//! `timestamp` and `verify` are the commands of the same names; `dot`
//! draws the dependency graph of the unit files; `blame` and `plot` look at
//! the recorded runs (from the daemon, or its state database when none
//! answers).

pub mod blame;
pub mod critical_chain;
pub mod dot;
pub mod plot;

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use sundial_calendar::{Timespan, Timestamp};

use super::time_common::TimeEnv;
use super::verbs::connect::exchange;
use super::verbs::offline::{self, Source, StateDirArg};
use super::verbs::{report_error, unexpected, Connection};
use super::verify::{system_zones, InertConnection, UnitDirArgs};

use super::{calendar, timespan, timestamp, verify};
use crate::ipc::types::RunRow;
use crate::ipc::{HistoryRequest, Request, Response};
use crate::unit::load_all;

const EXAMPLES: &str = concat!(
    "Examples:\n",
    "  $ sundial analyze blame\n",
    "  $ sundial analyze plot --since=-1d > runs.svg\n",
    "  $ sundial analyze dot 'backup*' | dot -Tsvg > backup.svg\n",
    "  $ sundial analyze schedule --for 7d > week.svg\n",
    "  $ sundial analyze calendar 'Mon *-*-* 09:00'",
);

/// Arguments of `sundial analyze`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Analyze units and runs as systemd-analyze does: blame, plot, dot, calendar, verify",
    after_long_help = EXAMPLES
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Analysis,
    /// `--user`, `--system`, `--socket` before the analysis' name.
    #[command(flatten)]
    pub connection: Connection,
}

/// The analyses.
#[derive(Debug, clap::Subcommand)]
pub enum Analysis {
    /// Units by how long their last run took, longest first.
    #[command(
        after_long_help = "Examples:\n  $ sundial analyze blame\n  $ sundial analyze blame --state-dir /var/lib/sundial   # no daemon running"
    )]
    Blame(RunsArgs),
    /// The chain of After= dependencies that held units back.
    #[command(
        after_long_help = "Examples:\n  $ sundial analyze critical-chain report.service\n  $ sundial analyze critical-chain backup fetch"
    )]
    CriticalChain(ChainArgs),
    /// An SVG of the recorded runs in a window of time, coloured by result.
    #[command(
        after_long_help = "Examples:\n  $ sundial analyze plot > runs.svg                  # the last day\n  $ sundial analyze plot --since=-2h --output runs.svg\n  $ sundial analyze plot --since '2026-12-01' --until '2026-12-02'"
    )]
    Plot(PlotArgs),
    /// The dependency graph of the unit files, for Graphviz' dot.
    #[command(
        after_long_help = "Examples:\n  $ sundial analyze dot | dot -Tsvg > deps.svg\n  $ sundial analyze dot --order 'backup*'\n  $ sundial analyze dot --to-pattern 'db.service' --unit-dir ./units"
    )]
    Dot(DotArgs),
    /// The schedule as an SVG picture on stdout (`sundial simulate --svg -`;
    /// --svg FILE writes it to FILE and lists the starts).
    #[command(
        after_long_help = "Examples:\n  $ sundial analyze schedule --for 7d > week.svg\n  $ sundial analyze schedule --unit-dir ./units --from 2026-03-28 --for 3d > dst.svg"
    )]
    Schedule(super::simulate::Args),
    Calendar(calendar::Args),
    Timespan(timespan::Args),
    Timestamp(timestamp::Args),
    /// Check unit files and report every problem (`sundial verify`).
    Verify(verify::Args),
}

/// Where the runs come from.
#[derive(Debug, clap::Args)]
pub struct RunsArgs {
    #[command(flatten)]
    pub connection: Connection,
    #[command(flatten)]
    pub state: StateDirArg,
}

/// Arguments of `analyze critical-chain`.
#[derive(Debug, clap::Args)]
pub struct ChainArgs {
    /// The units whose chains to print (default: default.target).
    #[arg(value_name = "UNIT")]
    pub units: Vec<String>,
    #[command(flatten)]
    pub runs: RunsArgs,
}

/// Arguments of `analyze plot`.
#[derive(Debug, clap::Args)]
pub struct PlotArgs {
    /// The window's start: a timestamp (`-1d`, `2024-06-03`, `yesterday`).
    /// Default: a day before --until.
    #[arg(long, value_name = "TIMESTAMP", allow_hyphen_values = true)]
    pub since: Option<String>,
    /// The window's end (default: now).
    #[arg(long, value_name = "TIMESTAMP", allow_hyphen_values = true)]
    pub until: Option<String>,
    /// Write the SVG to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub runs: RunsArgs,
}

/// Arguments of `analyze dot`.
#[derive(Debug, clap::Args)]
pub struct DotArgs {
    /// Only edges with a unit matching one of these glob patterns at
    /// either end.
    #[arg(value_name = "PATTERN")]
    pub patterns: Vec<String>,
    /// Only ordering edges (After=, and Before= turned around).
    #[arg(long, conflicts_with = "require")]
    pub order: bool,
    /// Only requirement edges (Requires=, Requisite=, Wants=, Conflicts=).
    #[arg(long)]
    pub require: bool,
    /// Only edges from units matching this glob pattern (repeatable).
    #[arg(long, value_name = "PATTERN")]
    pub from_pattern: Vec<String>,
    /// Only edges to units matching this glob pattern (repeatable).
    #[arg(long, value_name = "PATTERN")]
    pub to_pattern: Vec<String>,
    #[command(flatten)]
    pub dirs: UnitDirArgs,
    #[command(flatten)]
    pub inert: InertConnection,
}

/// Runs `sundial analyze`.
pub fn run(args: Args, outer: &Connection) -> anyhow::Result<ExitCode> {
    let outer = args.connection.or(outer);
    match args.command {
        Analysis::Blame(runs) => blame_command(runs, &outer),
        Analysis::CriticalChain(chain) => chain_command(chain, &outer),
        Analysis::Plot(plot) => plot_command(plot, &outer),
        Analysis::Dot(mut dot) => {
            dot.dirs = dot.dirs.or(&outer);
            dot_command(dot)
        }
        Analysis::Schedule(mut a) => {
            a.dirs = a.dirs.or(&outer);
            if a.svg.is_none() {
                a.svg = Some(PathBuf::from("-"));
            }
            super::simulate::run(a)
        }
        Analysis::Calendar(a) => calendar::run(a),
        Analysis::Timespan(a) => timespan::run(a),
        Analysis::Timestamp(a) => timestamp::run(a),
        Analysis::Verify(mut a) => {
            a.dirs = a.dirs.or(&outer);
            verify::run(a)
        }
    }
}

/// Every recorded run the daemon (or its database) keeps.
fn all_runs(args: RunsArgs, outer: &Connection) -> anyhow::Result<Result<Vec<RunRow>, ExitCode>> {
    let connection = args.connection.or(outer);
    let request = HistoryRequest {
        unit: None,
        limit: Some(u32::MAX),
    };
    let response = match offline::reach(&connection, &args.state)? {
        Source::Daemon(client) => exchange(client, &Request::History(request))?,
        Source::Offline(off) => offline::history(&off, None, request.limit),
    };
    match response {
        Response::Runs { runs } => Ok(Ok(runs)),
        Response::Error { code, message } => Ok(Err(report_error(code, &message))),
        other => Err(unexpected("history", &other)),
    }
}

/// The daemon's start and unit directories: from the daemon, or the
/// record it left in its database.
fn daemon_start_and_dirs(
    args: &RunsArgs,
    outer: &Connection,
) -> anyhow::Result<(i64, Vec<PathBuf>)> {
    let connection = args.connection.clone().or(outer);
    match offline::reach(&connection, &args.state)? {
        Source::Daemon(client) => {
            let response = exchange(
                client,
                &Request::Show(crate::ipc::ShowRequest {
                    units: Vec::new(),
                    properties: vec!["DaemonStartTimestampUSec".into(), "UnitPath".into()],
                }),
            )?;
            let Response::Properties { units } = response else {
                return Err(unexpected("show", &response));
            };
            let value = |name: &str| {
                units
                    .first()
                    .and_then(|u| u.properties.iter().find(|p| p.name == name))
                    .map(|p| p.value.clone())
                    .unwrap_or_default()
            };
            let start = value("DaemonStartTimestampUSec").parse().unwrap_or(0);
            let dirs = value("UnitPath")
                .split_whitespace()
                .map(PathBuf::from)
                .collect();
            Ok((start, dirs))
        }
        Source::Offline(off) => match off.record() {
            Some(r) => Ok((r.started.as_usec(), r.unit_path.clone())),
            None => anyhow::bail!("the state database has no record of its daemon"),
        },
    }
}

fn chain_command(args: ChainArgs, outer: &Connection) -> anyhow::Result<ExitCode> {
    let (origin, dirs) = daemon_start_and_dirs(&args.runs, outer)?;
    let scope = args.runs.connection.clone().or(outer);
    let unit_dirs = UnitDirArgs {
        unit_dirs: dirs,
        user: scope.user,
        system: scope.system,
    };
    let zones = system_zones();
    let loaded = load_all(&unit_dirs.load_context(&zones));
    let runs = match all_runs(args.runs, outer)? {
        Ok(runs) => runs,
        Err(code) => return Ok(code),
    };
    let mut graph = critical_chain::Graph {
        origin,
        ..Default::default()
    };
    for (name, unit) in &loaded.units {
        let s = unit.unit_section();
        graph
            .after
            .entry(name.to_string())
            .or_default()
            .extend(s.dependencies.after.iter().map(|n| n.as_str().to_owned()));
        for before in s.dependencies.before.iter() {
            graph
                .after
                .entry(before.as_str().to_owned())
                .or_default()
                .push(name.to_string());
        }
    }
    // Each service's last finished run that ran.
    let mut last: std::collections::BTreeMap<&str, &RunRow> = Default::default();
    for run in runs.iter().filter(|r| r.end_usec.is_some()) {
        if matches!(
            run.result,
            Some(crate::store::RunResult::Skipped | crate::store::RunResult::StartLimitHit)
        ) {
            continue;
        }
        if last
            .get(run.unit.as_str())
            .is_none_or(|l| l.start_usec <= run.start_usec)
        {
            last.insert(&run.unit, run);
        }
    }
    for (unit, run) in last {
        let oneshot = matches!(
            loaded.get(unit),
            Some(crate::unit::Unit::Service(s))
                if s.service.service_type == crate::unit::service::ServiceType::Oneshot
        );
        let activated = if oneshot {
            run.end_usec.unwrap_or(run.start_usec)
        } else {
            run.start_usec
        };
        graph.times.insert(
            unit.to_owned(),
            critical_chain::Times {
                activating: run.start_usec,
                activated,
            },
        );
    }
    graph.fill_targets();
    let wanted = if args.units.is_empty() {
        vec!["default.target".to_owned()]
    } else {
        args.units
            .iter()
            .map(|u| super::verbs::mangle_unit_name(u))
            .collect()
    };
    let mut out = io::stdout().lock();
    out.write_all(critical_chain::HEADER.as_bytes())?;
    let mut missing = false;
    for unit in &wanted {
        match critical_chain::chain(&graph, unit) {
            Some(text) => out.write_all(text.as_bytes())?,
            None => {
                missing = true;
                eprintln!("{unit}: no recorded run to time (sundial analyze critical-chain UNIT names a unit that ran)");
            }
        }
    }
    Ok(if missing {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn blame_command(args: RunsArgs, outer: &Connection) -> anyhow::Result<ExitCode> {
    let runs = match all_runs(args, outer)? {
        Ok(runs) => runs,
        Err(code) => return Ok(code),
    };
    let text = blame::render(&blame::blame(&runs));
    io::stdout().lock().write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn plot_command(args: PlotArgs, outer: &Connection) -> anyhow::Result<ExitCode> {
    let env = TimeEnv::from_process();
    let now = env.now;
    let parse = |text: &str, what: &str| -> anyhow::Result<Timestamp> {
        sundial_calendar::timestamp::parse(text, now, &env.local, &env.zones)
            .with_context(|| format!("--{what}: cannot parse {text:?} as a timestamp"))
    };
    let until = match &args.until {
        Some(t) => parse(t, "until")?,
        None => now,
    };
    let since = match &args.since {
        Some(t) => parse(t, "since")?,
        None => until
            .checked_sub(Timespan::from_secs(86_400))
            .unwrap_or(until),
    };
    anyhow::ensure!(since < until, "--since must lie before --until");
    // Where the daemon (or its record) tells its start, the start-up is
    // marked; a database without a record draws the runs alone.
    let start_up = daemon_start_and_dirs(&args.runs, outer)
        .ok()
        .map(|(start, _)| Timestamp::from_usec(start))
        .filter(|t| t.as_usec() > 0);
    let runs = match all_runs(args.runs, outer)? {
        Ok(runs) => runs,
        Err(code) => return Ok(code),
    };
    let svg = plot::plot(
        &runs,
        plot::Window { since, until },
        plot::StartUp(start_up),
        &env.local,
    );
    match &args.output {
        Some(path) => {
            std::fs::write(path, svg).with_context(|| format!("cannot write {}", path.display()))?
        }
        None => io::stdout().lock().write_all(svg.as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}

fn dot_command(args: DotArgs) -> anyhow::Result<ExitCode> {
    let zones = system_zones();
    let cx = args.dirs.load_context(&zones);
    let loaded = load_all(&cx);
    let selection = dot::Selection {
        patterns: args.patterns,
        from: args.from_pattern,
        to: args.to_pattern,
        kinds: if args.order {
            dot::Kinds::Order
        } else if args.require {
            dot::Kinds::Require
        } else {
            dot::Kinds::All
        },
    };
    io::stdout()
        .lock()
        .write_all(dot::graph_of(&loaded, &selection).as_bytes())?;
    io::stderr().lock().write_all(dot::LEGEND.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
