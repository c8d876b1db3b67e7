//! `sundial logs`: the captured output of services, as `journalctl` shows
//! the journal: `-u UNIT`, `-f`, `-n N`, `--since`/`--until`, `-b`,
//! `-p PRIORITY`, `--invocation`, `-o short|json|cat`, `-x`, and `-e` with
//! the pager.

use crate::ipc::LogsRequest;
use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{anyhow, bail};
use serde::Serialize;
use sundial_calendar::{timestamp, Timestamp, Zone};

use super::offline::{self, Source, StateDirArg};
use super::{catalog, mangle_unit_names, report_error, unexpected, Connection};
use crate::cli::time_common::TimeEnv;
use crate::ipc::types::LogLine;
use crate::ipc::{ClientError, Request, Response};
use crate::store::Stream;
use crate::unit::SyslogLevel;

const EXAMPLES: &str = "Examples:\n  \
    $ sundial logs -u backup                  # backup.service, all lines\n  \
    Feb 29 03:00:01 box backup.service: starting\n  \
    Feb 29 03:00:42 box backup.service: 1.2 GiB copied\n  \
    $ sundial logs -u backup.service -u web.service -n 20\n  \
    $ sundial logs -f -u web                  # follow new lines\n  \
    $ sundial logs --since yesterday --until '2024-02-29 12:00'\n  \
    $ sundial logs --invocation 4c3b0f0c2f9e4a54a1d5b1c7f2f3e8d1\n  \
    $ sundial logs -b -p err..warning       # this boot, errors and warnings\n  \
    $ sundial logs -e -x -u backup          # the end, sundial's lines explained\n  \
    $ sundial logs -u backup -o json";

/// Arguments of `sundial logs`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Show the output services printed, as journalctl does",
    long_about = "Show the lines services wrote to stdout and stderr, oldest first, in \
                  journalctl's short format: date, host, unit, text. Times for --since and \
                  --until use systemd's timestamp grammar (`yesterday`, `-1h`, `2024-02-29 \
                  12:00`, `@1709200000`), in the local zone (TZ). Without a running daemon the \
                  lines are read from its state database (read-only; see --state-dir), and \
                  --follow has nothing to follow.",
    after_long_help = EXAMPLES
)]
pub struct Args {
    /// Only this unit's lines (repeatable; a name without suffix means
    /// NAME.service, a pattern such as 'sync@*' the known units it matches).
    #[arg(short = 'u', long = "unit", value_name = "UNIT")]
    pub units: Vec<String>,
    /// Keep printing new lines as they are written.
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// Only the last N lines (`-n` alone: 10; `all`: every line). Default:
    /// all lines, or 10 with --follow.
    #[arg(short = 'n', long = "lines", value_name = "N", num_args = 0..=1, default_missing_value = "10", value_parser = parse_lines)]
    pub lines: Option<Lines>,
    /// Only lines written at or after this time.
    #[arg(
        short = 'S',
        long,
        value_name = "TIMESTAMP",
        allow_hyphen_values = true
    )]
    pub since: Option<String>,
    /// Only lines written at or before this time.
    #[arg(
        short = 'U',
        long,
        value_name = "TIMESTAMP",
        allow_hyphen_values = true
    )]
    pub until: Option<String>,
    /// Only lines of this run (its invocation id, as `sundial history` shows).
    #[arg(long, value_name = "ID", value_parser = parse_invocation)]
    pub invocation: Option<String>,
    /// Only lines of this boot (`-b`, `-b 0`, or this boot's ID):
    /// written since the machine started.
    #[arg(
        short = 'b',
        long = "boot",
        value_name = "ID",
        num_args = 0..=1,
        default_missing_value = "0"
    )]
    pub boot: Option<String>,
    /// Only lines of this priority or a more important one (`err`), or of a
    /// range (`err..warning`): emerg, alert, crit, err, warning, notice,
    /// info, debug, or 0 to 7. Output lines are info unless they start with
    /// `<N>` (SyslogLevelPrefix=); sundial's own lines carry systemd's
    /// priorities.
    #[arg(short = 'p', long = "priority", value_name = "PRIORITY", value_parser = parse_priorities)]
    pub priority: Option<Priorities>,
    /// Start at the end in the pager (implies `-n 1000` unless -n is given).
    #[arg(short = 'e', long = "pager-end")]
    pub pager_end: bool,
    /// Explain sundial's own lines about units, as journalctl's message
    /// catalog does.
    #[arg(short = 'x', long = "catalog")]
    pub catalog: bool,
    /// Output format: short (journalctl's default), cat (the text only),
    /// json (one object per line, journalctl's field names), json-pretty.
    #[arg(short = 'o', long, value_enum, default_value_t = LogOutput::Short)]
    pub output: LogOutput,
    #[command(flatten)]
    pub connection: Connection,
    #[command(flatten)]
    pub state: StateDirArg,
}

/// `-n`: a number of lines or all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// The last N.
    Last(u64),
    /// Every line.
    All,
}

fn parse_lines(s: &str) -> Result<Lines, String> {
    if s == "all" {
        return Ok(Lines::All);
    }
    // journalctl accepts "+N" for "the first N"; sundial shows the last N only.
    s.parse()
        .map(Lines::Last)
        .map_err(|_| format!("{s:?} is not a number of lines or \"all\""))
}

/// `-p`: the priorities shown, both ends included, the more important
/// first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Priorities {
    /// The most important priority shown.
    pub high: SyslogLevel,
    /// The least important priority shown.
    pub low: SyslogLevel,
}

/// journalctl's `-p`: a level (that one and every more important one) or
/// `FROM..TO` (that range, in either order).
fn parse_priorities(s: &str) -> Result<Priorities, String> {
    match s.split_once("..") {
        Some((from, to)) => match (SyslogLevel::parse(from), SyslogLevel::parse(to)) {
            (Some(a), Some(b)) => Ok(Priorities {
                high: a.min(b),
                low: a.max(b),
            }),
            _ => Err(format!("Failed to parse log level range {s}")),
        },
        None => SyslogLevel::parse(s)
            .map(|low| Priorities {
                high: SyslogLevel::Emerg,
                low,
            })
            .ok_or_else(|| format!("Unknown log level {s}")),
    }
}

/// Where this boot begins on the wall clock, for `-b`: the realtime clock
/// less the time since boot (CLOCK_BOOTTIME counts suspends too).
fn boot_start_usec() -> anyhow::Result<i64> {
    use nix::time::{clock_gettime, ClockId};
    let usec = |clock| -> anyhow::Result<i64> {
        let t = clock_gettime(clock)?;
        Ok(t.tv_sec() * 1_000_000 + t.tv_nsec() / 1000)
    };
    Ok(usec(ClockId::CLOCK_REALTIME)? - usec(ClockId::CLOCK_BOOTTIME)?)
}

/// The `-b` argument as a boot of sundial's log: this boot (`0`, or its ID
/// with or without dashes) is the only one it can tell apart, since lines
/// carry no boot ID.
fn check_boot(arg: &str, current: &str) -> anyhow::Result<()> {
    let id: String = arg.chars().filter(|c| *c != '-').collect();
    let this = arg.is_empty()
        || matches!(arg, "0" | "+0" | "-0")
        || (!current.is_empty() && id.eq_ignore_ascii_case(&current.replace('-', "")));
    if this {
        return Ok(());
    }
    bail!(
        "Data from the specified boot ({arg}) is not available: sundial knows this boot only \
         (-b, -b 0, or -b {})",
        current.replace('-', "")
    )
}

/// Accepts an invocation id with or without dashes, in either case; returns
/// the 32 lower-case hex digits the daemon stores.
fn parse_invocation(s: &str) -> Result<String, String> {
    let id: String = s.chars().filter(|c| *c != '-').collect();
    if id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(id.to_ascii_lowercase())
    } else {
        Err(format!("{s:?} is not an invocation id (32 hex digits)"))
    }
}

/// `-o` of `sundial logs`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogOutput {
    /// `Feb 29 03:00:01 host unit: text`.
    #[default]
    Short,
    /// The text only.
    Cat,
    /// One JSON object per line.
    Json,
    /// One indented JSON object per line.
    JsonPretty,
}

/// Runs `sundial logs`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let env = TimeEnv::from_process();
    let parse_time = |flag: &str, input: &Option<String>| -> anyhow::Result<Option<i64>> {
        input
            .as_deref()
            .map(|text| {
                timestamp::parse(text, env.now, &env.local, &env.zones)
                    .map(Timestamp::as_usec)
                    .map_err(|e| anyhow!("Failed to parse timestamp for {flag}: {e}"))
            })
            .transpose()
    };
    let mut since_usec = parse_time("--since", &args.since)?;
    if let Some(boot) = &args.boot {
        let current = std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
            .map(|id| id.trim().to_owned())
            .unwrap_or_default();
        check_boot(boot, &current)?;
        let start = boot_start_usec()?;
        since_usec = Some(since_usec.map_or(start, |s| s.max(start)));
    }
    let until_usec = parse_time("--until", &args.until)?;
    if let (Some(since), Some(until)) = (since_usec, until_usec) {
        if since > until {
            bail!("--since= must be before --until=.");
        }
    }
    let lines = match args.lines {
        Some(Lines::Last(n)) => Some(n),
        Some(Lines::All) => None,
        None if args.follow => Some(10),
        // journalctl: -e implies -n1000, so that the pager need not hold an
        // unbounded log.
        None if args.pager_end => Some(1000),
        None => None,
    };
    let units = mangle_unit_names(&args.units)?;
    let request = Request::Logs(LogsRequest {
        units: units.clone(),
        follow: args.follow,
        lines,
        since_usec,
        until_usec,
        invocation: args.invocation.clone(),
        priorities: args.priority.map(|p| [p.high.number(), p.low.number()]),
    });
    let mut cannot_follow = None;
    let responses: Box<dyn Iterator<Item = Result<Response, ClientError>>> =
        match offline::reach(&args.connection, &args.state)? {
            Source::Daemon(client) => Box::new(client.stream(&request)?),
            Source::Offline(off) => {
                if args.follow {
                    let mut why = format!("cannot follow: {}", off.situation(&env.local));
                    if !off.daemon_alive() {
                        why.push_str(&format!("; start it with `{}`", off.start_command()));
                    }
                    cannot_follow = Some(why);
                }
                let response = offline::logs(
                    &off,
                    &units,
                    lines,
                    since_usec,
                    until_usec,
                    args.invocation.as_deref(),
                    args.priority.map(|p| (p.high, p.low)),
                );
                Box::new(std::iter::once(Ok(response)))
            }
        };
    let host = hostname();
    let mut printed = 0usize;
    let mut out = io::stdout().lock();
    for response in responses {
        match response? {
            Response::Logs { lines } => {
                for line in &lines {
                    out.write_all(format_line(line, args.output, &env.local, &host).as_bytes())?;
                    if args.catalog && matches!(args.output, LogOutput::Short | LogOutput::Cat) {
                        if let Some(explanation) = catalog::explain(line) {
                            out.write_all(explanation.render().as_bytes())?;
                        }
                    }
                }
                printed += lines.len();
                // A follower sees each batch as it arrives.
                out.flush()?;
            }
            Response::Error { code, message } => return Ok(report_error(code, &message)),
            other => return Err(unexpected("logs", &other)),
        }
    }
    if printed == 0 && args.output == LogOutput::Short {
        writeln!(out, "-- No entries --")?;
    }
    out.flush()?;
    if let Some(message) = cannot_follow {
        bail!(message);
    }
    Ok(ExitCode::SUCCESS)
}

/// One line in the chosen format, ending in a newline.
pub fn format_line(line: &LogLine, output: LogOutput, zone: &Zone, host: &str) -> String {
    match output {
        LogOutput::Short => short_line(line, zone, host),
        LogOutput::Cat => format!("{}\n", line.line),
        LogOutput::Json => to_json(&json_line(line, host), false),
        LogOutput::JsonPretty => to_json(&json_line(line, host), true),
    }
}

fn to_json(entry: &JsonEntry<'_>, pretty: bool) -> String {
    let text = if pretty {
        serde_json::to_string_pretty(entry)
    } else {
        serde_json::to_string(entry)
    };
    // Strings and plain fields only: serialization cannot fail.
    text.expect("a JsonEntry serializes") + "\n"
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// journalctl's short format: `Feb 29 03:00:01 HOST UNIT: TEXT`, local time.
/// The unit stands where journalctl shows the process name and pid.
pub fn short_line(line: &LogLine, zone: &Zone, host: &str) -> String {
    let c = zone.to_civil(Timestamp::from_usec(line.timestamp_usec));
    let month = MONTHS
        .get(c.month.wrapping_sub(1) as usize)
        .copied()
        .unwrap_or("???");
    // sundial's own lines stand under its name, as systemd's under
    // `systemd[1]`; their text names the unit.
    let source = match line.stream {
        Stream::Manager => "sundial",
        Stream::Stdout | Stream::Stderr => &line.unit,
    };
    format!(
        "{month} {:02} {:02}:{:02}:{:02} {host} {source}: {}\n",
        c.day, c.hour, c.minute, c.second, line.line
    )
}

/// journalctl's JSON export of an entry: every value a string, fields named
/// and ordered as the journal does, plus `SUNDIAL_STREAM` (stdout, stderr,
/// or manager for sundial's own lines about the unit).
#[derive(Debug, Serialize)]
pub struct JsonEntry<'a> {
    #[serde(rename = "__CURSOR")]
    cursor: String,
    #[serde(rename = "__REALTIME_TIMESTAMP")]
    realtime: String,
    #[serde(rename = "_HOSTNAME")]
    hostname: &'a str,
    #[serde(rename = "_SYSTEMD_UNIT")]
    unit: &'a str,
    #[serde(
        rename = "_SYSTEMD_INVOCATION_ID",
        skip_serializing_if = "Option::is_none"
    )]
    invocation: Option<String>,
    #[serde(rename = "_TRANSPORT")]
    transport: &'static str,
    #[serde(rename = "PRIORITY")]
    priority: String,
    #[serde(rename = "SUNDIAL_STREAM")]
    stream: &'static str,
    #[serde(rename = "MESSAGE")]
    message: &'a str,
}

/// The JSON form of `line`.
pub fn json_line<'a>(line: &'a LogLine, host: &'a str) -> JsonEntry<'a> {
    JsonEntry {
        cursor: line.cursor.to_string(),
        realtime: line.timestamp_usec.to_string(),
        hostname: host,
        unit: &line.unit,
        invocation: line.invocation.map(|id| id.to_string()),
        transport: match line.stream {
            Stream::Stdout | Stream::Stderr => "stdout",
            Stream::Manager => "journal",
        },
        priority: line.priority.to_string(),
        stream: match line.stream {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
            Stream::Manager => "manager",
        },
        message: &line.line,
    }
}

/// This machine's name, for the host column.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::InvocationId;
    use clap::Parser;

    fn line() -> LogLine {
        LogLine {
            cursor: 41,
            unit: "backup.service".into(),
            invocation: Some(InvocationId::from_u128(0xabc)),
            stream: Stream::Stderr,
            timestamp_usec: 1_709_175_601_250_000, // Thu 2024-02-29 03:00:01.25 UTC
            line: "disk almost full".into(),
            priority: 4,
        }
    }

    #[test]
    fn short_cat_and_json_forms() {
        let utc = Zone::utc();
        assert_eq!(
            format_line(&line(), LogOutput::Short, &utc, "box"),
            "Feb 29 03:00:01 box backup.service: disk almost full\n"
        );
        let tokyo = Zone::fixed("Asia/Tokyo", 9 * 3600, "JST");
        assert_eq!(
            format_line(&line(), LogOutput::Short, &tokyo, "box"),
            "Feb 29 12:00:01 box backup.service: disk almost full\n"
        );
        assert_eq!(
            format_line(&line(), LogOutput::Cat, &utc, "box"),
            "disk almost full\n"
        );
        let json = format_line(&line(), LogOutput::Json, &utc, "box");
        assert_eq!(json.lines().count(), 1);
        assert_eq!(
            json,
            format!(
                "{{\"__CURSOR\":\"41\",\"__REALTIME_TIMESTAMP\":\"1709175601250000\",\
                 \"_HOSTNAME\":\"box\",\"_SYSTEMD_UNIT\":\"backup.service\",\
                 \"_SYSTEMD_INVOCATION_ID\":\"{:032x}\",\"_TRANSPORT\":\"stdout\",\
                 \"PRIORITY\":\"4\",\"SUNDIAL_STREAM\":\"stderr\",\"MESSAGE\":\"disk almost full\"}}\n",
                0xabc
            )
        );
    }

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    #[test]
    fn lines_flag_like_journalctl() {
        let parse = |argv: &[&str]| Cli::try_parse_from(argv).map(|c| c.args.lines);
        assert_eq!(parse(&["logs"]).unwrap(), None);
        assert_eq!(parse(&["logs", "-n"]).unwrap(), Some(Lines::Last(10)));
        assert_eq!(parse(&["logs", "-n", "3"]).unwrap(), Some(Lines::Last(3)));
        assert_eq!(parse(&["logs", "-n3"]).unwrap(), Some(Lines::Last(3)));
        assert_eq!(parse(&["logs", "--lines=all"]).unwrap(), Some(Lines::All));
        assert!(parse(&["logs", "-n", "x"]).is_err());
        let since = Cli::try_parse_from(["logs", "--since", "-1h", "-U", "-5min"]).unwrap();
        assert_eq!(since.args.since.as_deref(), Some("-1h"));
        assert_eq!(since.args.until.as_deref(), Some("-5min"));
    }

    #[test]
    fn priorities_and_boots_like_journalctl() {
        let p = |s: &str| parse_priorities(s).map(|p| (p.high.number(), p.low.number()));
        assert_eq!(p("err"), Ok((0, 3)));
        assert_eq!(p("err..warning"), Ok((3, 4)));
        assert_eq!(p("warning..err"), Ok((3, 4)));
        assert_eq!(p("7"), Ok((0, 7)));
        assert_eq!(p("error"), Err("Unknown log level error".to_owned()));
        assert_eq!(
            p("err..loud"),
            Err("Failed to parse log level range err..loud".to_owned())
        );
        let id = "0b7a6ff0-6f43-4c36-a7b6-b2f1b3a1c5d2";
        for this in ["", "0", "-0", id, "0b7a6ff06f434c36a7b6b2f1b3a1c5d2"] {
            assert!(check_boot(this, id).is_ok(), "{this}");
        }
        let err = check_boot("-1", id).unwrap_err().to_string();
        assert!(
            err.starts_with("Data from the specified boot (-1) is not available"),
            "{err}"
        );
        assert!(check_boot("ffffffffffffffffffffffffffffffff", id).is_err());
        let parsed = Cli::try_parse_from(["logs", "-b", "-u", "x"]).unwrap();
        assert_eq!(parsed.args.boot.as_deref(), Some("0"));
        assert_eq!(parsed.args.units, ["x"]);
    }

    #[test]
    fn invocation_ids_are_normalized() {
        assert_eq!(
            parse_invocation("4C3B0F0C-2F9E-4A54-A1D5-B1C7F2F3E8D1").unwrap(),
            "4c3b0f0c2f9e4a54a1d5b1c7f2f3e8d1"
        );
        assert!(parse_invocation("abc").is_err());
    }
}
