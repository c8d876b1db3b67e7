//! `sundial timespan`: what `systemd-analyze timespan` prints.

use std::io::{self, Write};
use std::process::ExitCode;

use sundial_calendar::Timespan;

use super::locale::{locale_is_utf8, micro_sign};
use super::time_common::{errno_text, print_hints, print_table, Hints, TimeEnv};

const EXAMPLES: &str = concat!(
    "Examples:\n",
    "  $ sundial timespan '1h 30min'\n",
    "  Original: 1h 30min\n",
    "        μs: 5400000000\n",
    "     Human: 1h 30min\n",
    "\n",
    "  $ sundial timespan 1.5 123456789us infinity\n",
    "  $ sundial timespan --json 90s\n",
    "  {\"original\":\"90s\",\"usec\":90000000,\"human\":\"1min 30s\"}",
);

/// Arguments of `sundial timespan`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Parse time spans and print them normalized, as systemd-analyze timespan does",
    long_about = "Parse time spans (the values of RuntimeMaxSec=, OnBootSec=, …) and print each \
                  with its value in microseconds and in systemd's normalized form. A bare number \
                  counts seconds. Stops at the first invalid span and exits 1.",
    after_long_help = EXAMPLES
)]
pub struct Args {
    /// Print one JSON object per span instead of the table.
    #[arg(long)]
    json: bool,

    /// Time spans such as `5min`, `1h 30min`, `2.5d`, `infinity`.
    #[arg(required = true, value_name = "SPAN")]
    spans: Vec<String>,

    #[command(flatten)]
    inert: super::verify::InertScope,
}

/// One span in `--json` output.
#[derive(Debug, serde::Serialize)]
struct JsonSpan<'a> {
    original: &'a str,
    usec: u64,
    human: String,
}

/// Runs `sundial timespan`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // systemd-analyze labels the microseconds `μs:` in a UTF-8 locale and
    // `us:` otherwise.
    let usec_label = format!("{}s:", micro_sign(locale_is_utf8()));
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    for (i, input) in args.spans.iter().enumerate() {
        let span = match Timespan::parse(input) {
            Ok(span) => span,
            Err(err) => {
                out.flush()?;
                let env = TimeEnv::from_process();
                let mut stderr = io::stderr().lock();
                writeln!(
                    stderr,
                    "Failed to parse time span '{input}': {}",
                    errno_text(&err)
                )?;
                let hints = Hints {
                    calendar: true,
                    timestamp: true,
                    timespan: false,
                };
                print_hints(&mut stderr, &env, input, hints)?;
                // systemd-analyze timespan stops at the first invalid span.
                return Ok(ExitCode::FAILURE);
            }
        };
        if args.json {
            let value = JsonSpan {
                original: input,
                usec: span.as_usec(),
                human: span.to_string(),
            };
            writeln!(out, "{}", serde_json::to_string(&value)?)?;
            continue;
        }
        print_table(
            &mut out,
            9,
            &[
                ("Original:", input.clone()),
                (usec_label.as_str(), span.as_usec().to_string()),
                ("Human:", span.to_string()),
            ],
        )?;
        if i + 1 < args.spans.len() {
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
