//! `sundial timestamp`: what `systemd-analyze timestamp` prints.

use std::io::{self, Write};
use std::process::ExitCode;

use sundial_calendar::timestamp;

use super::time_common::{errno_text, print_hints, print_table, unix_seconds, Hints, TimeEnv};

const EXAMPLES: &str = concat!(
    "Examples:\n",
    "  $ TZ=Europe/Berlin sundial timestamp '2012-11-23 11:12:13 UTC'\n",
    "    Original form: 2012-11-23 11:12:13 UTC\n",
    "  Normalized form: Fri 2012-11-23 12:12:13 CET\n",
    "         (in UTC): Fri 2012-11-23 11:12:13 UTC\n",
    "     UNIX seconds: @1353669133\n",
    "         From now: 13 years 11 months ago\n",
    "\n",
    "  $ sundial timestamp now today yesterday '+5min' '11min ago' @1395716396\n",
    "  $ sundial timestamp 'tomorrow Pacific/Auckland'\n",
    "  $ sundial timestamp --json '2024-02-29 12:00'",
);

/// Arguments of `sundial timestamp`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Parse timestamps and print them normalized, as systemd-analyze timestamp does",
    long_about = "Parse timestamps (as --base-time= and systemctl's --since= take them) and print \
                  each in the local zone (TZ), in UTC, as UNIX seconds and relative to now. \
                  Unlike systemd 252, a trailing IANA zone name is accepted \
                  ('2012-11-23 11:12:13 Europe/Berlin'). Invalid inputs are reported on \
                  stderr; the others are still printed, and the exit status is 1.",
    after_long_help = EXAMPLES
)]
pub struct Args {
    /// Print one JSON object per timestamp instead of the table.
    #[arg(long)]
    json: bool,

    /// Timestamps such as `now`, `yesterday`, `+5min`, `2024-02-29 12:00 UTC`, `@1700000000`.
    #[arg(required = true, value_name = "TIMESTAMP")]
    timestamps: Vec<String>,

    #[command(flatten)]
    inert: super::verify::InertScope,
}

/// One timestamp in `--json` output.
#[derive(Debug, serde::Serialize)]
struct JsonTimestamp<'a> {
    original: &'a str,
    normalized: String,
    utc: String,
    unix_usec: i64,
    from_now: String,
}

/// Runs `sundial timestamp`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let env = TimeEnv::from_process();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut code = ExitCode::SUCCESS;
    for (i, input) in args.timestamps.iter().enumerate() {
        match timestamp::parse(input, env.now, &env.local, &env.zones) {
            Ok(t) if args.json => {
                let value = JsonTimestamp {
                    original: input,
                    normalized: env.local_form(t),
                    utc: env.utc_form(t),
                    unix_usec: t.as_usec(),
                    from_now: env.relative_form(t),
                };
                writeln!(out, "{}", serde_json::to_string(&value)?)?;
            }
            Ok(t) => {
                let mut rows = vec![
                    ("Original form:", input.clone()),
                    ("Normalized form:", env.local_form(t)),
                ];
                if env.shows_utc() {
                    rows.push(("(in UTC):", env.utc_form(t)));
                }
                rows.push(("UNIX seconds:", unix_seconds(t)));
                rows.push(("From now:", env.relative_form(t)));
                print_table(&mut out, 16, &rows)?;
            }
            Err(err) => {
                out.flush()?;
                let mut stderr = io::stderr().lock();
                writeln!(stderr, "Failed to parse \"{input}\": {}", errno_text(&err))?;
                let hints = Hints {
                    calendar: true,
                    timestamp: false,
                    timespan: true,
                };
                print_hints(&mut stderr, &env, input, hints)?;
                code = ExitCode::FAILURE;
            }
        }
        // Like systemd-analyze, a blank line after every input but the last,
        // failed or not.
        if !args.json && i + 1 < args.timestamps.len() {
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(code)
}
