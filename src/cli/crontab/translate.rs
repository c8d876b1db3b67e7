//! `sundial crontab translate LINE` (`sundial crontab -t LINE`): the units
//! one crontab line becomes, and when it runs next.

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use sundial_calendar::{timestamp, CalendarSpec, Timespan, Timestamp};

use super::ScopeArgs;
use crate::cli::time_common::TimeEnv;
use crate::crontab::{translate, CrontabKind, CrontabSource, TranslateOptions};
use crate::scheduler::trigger::next_calendar;
use crate::unit::DstPolicy;

const EXAMPLES: &str = "Examples:\n  \
    $ sundial crontab translate '30 2 * * 1-5 /usr/local/bin/backup --all'\n  \
    $ sundial crontab -t '*/15 9-17 * * mon-fri check'\n  \
    $ sundial crontab translate --kind system '0 4 * * * root updatedb'\n  \
    $ sundial crontab translate --kind anacron '7 10 weekly.report report'";

/// How many elapses to show.
const SHOWN: usize = 5;

/// Arguments of `sundial crontab translate`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Show the units one crontab line becomes, and when it runs next",
    after_long_help = EXAMPLES
)]
pub struct Args {
    /// The crontab line (quote it).
    #[arg(value_name = "LINE")]
    pub line: String,
    /// Which crontab the line is from: a user's (no user field), the
    /// system's (a user before the command), or anacron's.
    #[arg(long, value_enum, default_value = "user")]
    pub kind: LineKind,
    #[command(flatten)]
    pub scope: ScopeArgs,
}

/// `--kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LineKind {
    /// A user crontab's line.
    User,
    /// An /etc/crontab or cron.d line.
    System,
    /// An anacrontab line.
    Anacron,
}

/// What a line is called in messages.
const LINE: &str = "(line)";

/// Runs `sundial crontab translate`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let scope = args.scope.scope();
    let options = TranslateOptions {
        seconds: true,
        ..TranslateOptions::from_host(scope, Path::new("/"))
    };
    let kind = match args.kind {
        LineKind::User => CrontabKind::User,
        LineKind::System => CrontabKind::System,
        LineKind::Anacron => CrontabKind::Anacron,
    };
    let line = args.line.trim_end_matches('\n');
    let source = CrontabSource {
        path: LINE.into(),
        text: format!("{line}\n"),
        kind,
        owner: None,
    };
    let t = translate(&[source], &options);
    for d in &t.diagnostics {
        eprintln!("{d}");
        if let Some(column) = d.column {
            eprintln!("  {line}\n  {:>width$}", "^", width = column);
        }
    }
    if t.has_errors() {
        return Ok(ExitCode::FAILURE);
    }
    let env = TimeEnv::from_process();
    let mut out = io::stdout().lock();
    let mut specs = Vec::new();
    let mut policy = DstPolicy::Systemd;
    let mut at_boot = false;
    // The timer first: it says when, the service what.
    let mut units: Vec<_> = t.units.iter().filter(|u| !u.name.contains('@')).collect();
    units.sort_by_key(|u| (!u.name.ends_with(".timer"), u.name.clone()));
    for unit in units {
        write!(out, "==> {} <==\n{}\n", unit.name, unit.text)?;
        for value in unit
            .text
            .lines()
            .filter_map(|l| l.strip_prefix("OnCalendar="))
        {
            specs.push(CalendarSpec::parse(value, &env.local, &env.zones)?);
        }
        if let Some(p) = unit
            .text
            .lines()
            .find_map(|l| l.strip_prefix("X-Sundial-DSTPolicy="))
        {
            policy = p.parse()?;
        }
        at_boot |= unit.text.contains("\nOnBootSec=");
    }
    if at_boot {
        writeln!(
            out,
            "Runs once at every boot (when the daemon first starts after it)."
        )?;
    }
    if !specs.is_empty() {
        let next = next_elapses(&specs, policy, env.now, &env);
        writeln!(out, "Next {} elapses:", next.len())?;
        for t in next {
            writeln!(out, "  {}", timestamp::format(t, &env.local))?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The first [`SHOWN`] elapses of any of `specs` after `now`, with cron's
/// rule for daylight-saving shifts (`policy`), as the daemon computes them.
fn next_elapses(
    specs: &[CalendarSpec],
    policy: DstPolicy,
    now: Timestamp,
    env: &TimeEnv,
) -> Vec<Timestamp> {
    let mut all = Vec::new();
    for spec in specs {
        let mut at = now;
        for _ in 0..SHOWN {
            match next_calendar(spec, at, &env.local, policy, Timespan::ZERO) {
                Some((t, _)) => {
                    all.push(t);
                    at = t;
                }
                None => break,
            }
        }
    }
    all.sort();
    all.dedup();
    all.truncate(SHOWN);
    all
}
