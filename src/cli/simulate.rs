//! `sundial simulate`: every start the loaded timers would cause in a window
//! of time, in order, with the trigger responsible and the delay that
//! applies. Nothing runs; services are assumed to take `--run-time`.

use std::fs;
use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context as _};
use serde_json::json;
use sundial_calendar::{timestamp, Timespan, Timestamp};

use super::time_common::TimeEnv;
use super::verify::{system_zones, UnitDirArgs};
use crate::scheduler::random::{HostIdentity, SplitMix64};
use crate::scheduler::simulation::{simulate_window, SimStart, Window};
use crate::unit::extensions::is_sundial_key;
use crate::unit::{host, load_all, Diagnostic, Scope, TimerUnit};

const EXAMPLES: &str = concat!(
    "Examples:\n",
    "  $ sundial simulate --unit-dir ./units --from '2024-06-03 00:00' --for 1d\n",
    "  $ sundial simulate --from 2024-12-01 --until 2025-01-01 backup.timer\n",
    "  $ sundial simulate --run-time 2h --output json backup.timer\n",
    "  $ sundial simulate --for 7d --svg week.svg       # the week as a picture",
);

/// Arguments of `sundial simulate`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Show every start the timers would cause in a window of time, running nothing",
    after_long_help = EXAMPLES
)]
pub struct Args {
    /// Timers to simulate (default: all loaded timers).
    #[arg(value_name = "UNIT")]
    pub units: Vec<String>,
    /// Start of the window: the daemon starts then (default: now).
    #[arg(long, value_name = "TIMESTAMP")]
    pub from: Option<String>,
    /// End of the window.
    #[arg(long, value_name = "TIMESTAMP", conflicts_with = "for_span")]
    pub until: Option<String>,
    /// Length of the window (default: 1d).
    #[arg(long = "for", value_name = "SPAN")]
    pub for_span: Option<String>,
    /// When the machine booted, for OnBootSec= (default: --from).
    #[arg(long, value_name = "TIMESTAMP")]
    pub boot_time: Option<String>,
    /// How long each started service runs (default: 0, finishing at once).
    #[arg(long, value_name = "SPAN", default_value = "0")]
    pub run_time: String,
    /// Seed of the random delays (RandomizedDelaySec=) and of the simulated
    /// boot's ID (which spreads AccuracySec= windows): the output is one
    /// possible outcome. A timer's delays depend on the seed and the timer
    /// alone, whichever other timers are simulated.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "table")]
    pub output: Output,
    /// Also draw the schedule as an SVG picture into FILE: a row per timer,
    /// a mark per elapse, the RandomizedDelaySec= window, a bar per expected
    /// run (--run-time, else the median of the unit's recorded runs where a
    /// daemon or its state database has them), overlaps in red, and the
    /// local clock's changes. `-` writes it to stdout instead of the list.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub dirs: UnitDirArgs,
    #[command(flatten)]
    pub inert: super::verify::InertConnection,
}

/// How to print the starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// Aligned columns.
    Table,
    /// One JSON array.
    Json,
}

/// Runs `sundial simulate`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let env = TimeEnv::from_process();
    let parse_time = |text: &str, what: &str| {
        timestamp::parse(text, env.now, &env.local, &env.zones)
            .with_context(|| format!("--{what}: failed to parse timestamp '{text}'"))
    };
    let parse_span = |text: &str, what: &str| {
        Timespan::parse(text)
            .with_context(|| format!("--{what}: failed to parse time span '{text}'"))
    };
    let from = args
        .from
        .as_deref()
        .map_or(Ok(env.now), |t| parse_time(t, "from"))?;
    let until = match (&args.until, &args.for_span) {
        (Some(t), _) => parse_time(t, "until")?,
        (None, Some(s)) => from + parse_span(s, "for")?,
        (None, None) => from + Timespan::from_secs(86_400),
    };
    if until < from {
        bail!("--until lies before --from");
    }
    let boot = args
        .boot_time
        .as_deref()
        .map_or(Ok(from), |t| parse_time(t, "boot-time"))?;
    if boot > from {
        bail!("--boot-time lies after --from");
    }
    let run_time = parse_span(&args.run_time, "run-time")?;

    let zones = system_zones();
    let cx = args.dirs.load_context(&zones);
    let loaded = load_all(&cx);
    let mut stderr = io::stderr().lock();
    for d in loaded.diagnostics.iter().filter(|d| d.is_error()) {
        writeln!(stderr, "{d}")?;
    }
    let mut timers: Vec<Arc<TimerUnit>> = Vec::new();
    for timer in loaded.timers() {
        if !args.units.is_empty() && !args.units.iter().any(|u| names(u, timer)) {
            continue;
        }
        timers.push(timer.clone());
    }
    // sundial's own settings change what is simulated: say when one of them
    // was ignored (the other warnings are `sundial verify`'s business).
    let ignored_extension = |d: &&Diagnostic| {
        !d.is_error()
            && d.problem.key().is_some_and(is_sundial_key)
            && timers.iter().any(|t| from_files(t, d))
    };
    for d in loaded.diagnostics.iter().filter(ignored_extension) {
        writeln!(stderr, "{d}")?;
    }
    for u in &args.units {
        if !timers.iter().any(|t| names(u, t)) {
            // Where it looked: the units are read from files, not from a daemon.
            bail!(
                "no timer {u} is loaded from {}; name the directory that holds it with \
                 --unit-dir DIR",
                crate::daemon::units::describe_unit_dirs(&cx.search_path)
            );
        }
    }

    let scope = args.dirs.scope();
    let host = HostIdentity {
        // The simulated boot is not this one: its ID comes from the seed, so
        // that the same seed prints the same starts after a reboot too.
        boot_id: simulated_boot_id(args.seed),
        ..host_identity(scope)
    };
    let starts = simulate_window(
        &timers,
        Window {
            boot,
            from,
            until,
            run_time,
        },
        &env.local,
        host,
        args.seed,
    );

    if let Some(file) = &args.svg {
        let (run_times, run_times_from) = if run_time.is_zero() {
            recorded_run_times(&args, &timers)
        } else {
            let every = timers
                .iter()
                .map(|t| (t.triggers.as_str().to_owned(), run_time))
                .collect();
            (every, format!("--run-time {}", args.run_time))
        };
        let picture = crate::schedule_picture::Schedule {
            starts: &starts,
            timers: timers
                .iter()
                .map(|t| (t.name.as_str().to_owned(), t.timer.randomized_delay))
                .collect(),
            run_times,
            run_times_from,
            from,
            until,
        };
        let svg = crate::schedule_picture::render(&picture, &env.local);
        // `--svg -`: the picture is the output.
        if file.as_os_str() == "-" {
            io::stdout().lock().write_all(svg.as_bytes())?;
            return Ok(ExitCode::SUCCESS);
        }
        fs::write(file, svg).with_context(|| format!("cannot write {}", file.display()))?;
    }
    let mut out = io::stdout().lock();
    match args.output {
        Output::Json => print_json(&mut out, &starts, &env)?,
        Output::Table => print_table(&mut out, &starts, &env)?,
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Each triggered unit's median recorded run time, from the daemon or its
/// state database when one is there, with where they came from.
fn recorded_run_times(
    args: &Args,
    timers: &[Arc<TimerUnit>],
) -> (std::collections::BTreeMap<String, Timespan>, String) {
    use super::verbs::connect::exchange;
    use super::verbs::offline::{self, Source, StateDirArg};
    use crate::ipc::{HistoryRequest, Request, Response};
    let connection = super::verbs::Connection {
        user: args.dirs.user,
        system: args.dirs.system,
        socket: args.inert.socket.clone(),
        no_pager: true,
    };
    let request = HistoryRequest {
        unit: None,
        limit: Some(u32::MAX),
    };
    let response = match offline::reach(&connection, &StateDirArg::default()) {
        Ok(Source::Daemon(client)) => exchange(client, &Request::History(request)).ok(),
        Ok(Source::Offline(off)) => Some(offline::history(&off, None, request.limit)),
        Err(_) => None,
    };
    let Some(Response::Runs { runs }) = response else {
        return (
            Default::default(),
            "none (no --run-time, and no daemon or state database to read history from)".into(),
        );
    };
    let mut durations: std::collections::BTreeMap<&str, Vec<i64>> = Default::default();
    for run in &runs {
        if let Some(end) = run.end_usec {
            durations
                .entry(run.unit.as_str())
                .or_default()
                .push(end - run.start_usec);
        }
    }
    let mut medians = std::collections::BTreeMap::new();
    for t in timers {
        let unit = t.triggers.as_str();
        if let Some(list) = durations.get_mut(unit) {
            list.sort_unstable();
            let median = list[list.len() / 2];
            medians.insert(
                unit.to_owned(),
                Timespan::from_usec(u64::try_from(median).unwrap_or(0)),
            );
        }
    }
    let from = format!(
        "median of the recorded runs ({} of {} units have some)",
        medians.len(),
        timers.len()
    );
    (medians, from)
}

/// Whether the argument names `timer` (`backup` or `backup.timer`).
fn names(arg: &str, timer: &TimerUnit) -> bool {
    let name = timer.name.as_str();
    arg == name || format!("{arg}.timer") == name
}

/// Whether `d` is about one of the files `timer` was loaded from.
fn from_files(timer: &TimerUnit, d: &Diagnostic) -> bool {
    let mut files = timer.source.fragment.iter().chain(&timer.source.dropins);
    files.any(|f| *f == d.path)
}

/// The host's identity for stable delays; unknown parts stay zero, as
/// systemd's do.
fn host_identity(scope: Scope) -> HostIdentity {
    let id = |path: &str| {
        let text = fs::read_to_string(path).unwrap_or_default();
        let hex: String = text.chars().filter(char::is_ascii_hexdigit).collect();
        let mut bytes = [0u8; 16];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = hex
                .get(2 * i..2 * i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .unwrap_or(0);
        }
        bytes
    };
    HostIdentity {
        machine_id: id("/etc/machine-id"),
        boot_id: id("/proc/sys/kernel/random/boot_id"),
        system: scope == Scope::System,
        uid: host::current_uid().unwrap_or(0),
    }
}

/// The boot ID of the simulated boot, from the seed.
fn simulated_boot_id(seed: u64) -> [u8; 16] {
    let mut random = SplitMix64::new(seed);
    let mut id = [0u8; 16];
    id[..8].copy_from_slice(&random.next_u64().to_le_bytes());
    id[8..].copy_from_slice(&random.next_u64().to_le_bytes());
    id
}

fn print_table(out: &mut impl Write, starts: &[SimStart], env: &TimeEnv) -> io::Result<()> {
    let rows: Vec<[String; 6]> = starts
        .iter()
        .map(|s| {
            let st = &s.start;
            let at = st.at.realtime;
            let scheduled = st.scheduled.map_or("-".to_owned(), |t| env.local_form(t));
            let delay = st
                .scheduled
                .map_or("-".to_owned(), |t| at.saturating_since(t).to_string());
            let mut trigger = st.cause.to_string();
            if s.already_running {
                trigger.push_str(" (unit still running: no-op)");
            }
            [
                env.local_form(at),
                st.timer.clone(),
                st.unit.clone(),
                trigger,
                scheduled,
                delay,
            ]
        })
        .collect();
    let header = ["START", "TIMER", "UNIT", "TRIGGER", "SCHEDULED", "DELAY"];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 6]| {
        let mut s = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(cell);
            } else {
                s.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            }
        }
        s
    };
    writeln!(out, "{}", line(header))?;
    for row in &rows {
        writeln!(out, "{}", line(row.each_ref().map(String::as_str)))?;
    }
    let noun = if rows.len() == 1 { "start" } else { "starts" };
    writeln!(out, "\n{} {noun} listed.", rows.len())
}

fn print_json(out: &mut impl Write, starts: &[SimStart], env: &TimeEnv) -> io::Result<()> {
    let items: Vec<_> = starts
        .iter()
        .map(|s| {
            let st = &s.start;
            let at = st.at.realtime;
            json!({
                "start": env.local_form(at),
                "start_usec": at.as_usec(),
                "timer": st.timer,
                "unit": st.unit,
                "trigger": st.cause.to_string(),
                "scheduled": st.scheduled.map(|t| env.local_form(t)),
                "scheduled_usec": st.scheduled.map(Timestamp::as_usec),
                "random_delay_usec": st.random_delay.as_usec(),
                "delay_usec": st.scheduled.map(|t| at.saturating_since(t).as_usec()),
                "already_running": s.already_running,
            })
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &items)?;
    writeln!(out)
}
