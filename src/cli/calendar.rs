//! `sundial calendar`: what `systemd-analyze calendar` prints.

use std::io::{self, Write};
use std::process::ExitCode;

use sundial_calendar::{timestamp, CalendarSpec, ParseError, Timestamp};

use super::time_common::{errno_text, print_hints, print_table, Hints, TimeEnv};

const EXAMPLES: &str = concat!(
    "Examples:\n",
    "  $ TZ=UTC sundial calendar --iterations=2 --base-time='2024-02-28 23:59:59 UTC' daily\n",
    "    Original form: daily\n",
    "  Normalized form: *-*-* 00:00:00\n",
    "      Next elapse: Thu 2024-02-29 00:00:00 UTC\n",
    "         From now: 2 years 8 months ago\n",
    "         Iter. #2: Fri 2024-03-01 00:00:00 UTC\n",
    "         From now: 2 years 8 months ago\n",
    "\n",
    "  $ sundial calendar 'Mon..Fri *-*-* 09:00 Europe/Berlin' '*:0/15' weekly\n",
    "  $ sundial calendar --iterations=5 '*-02-29 12:00'\n",
    "  $ sundial calendar --json --iterations=3 hourly",
);

/// Arguments of `sundial calendar`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Normalize calendar events and show when they elapse, as systemd-analyze calendar does",
    long_about = "Parse calendar event expressions (OnCalendar= values), print their normalized \
                  form and their next elapses after the base time (default: now), in the local \
                  zone (TZ) and in UTC. Invalid expressions are reported on stderr; the others \
                  are still printed, and the exit status is 1.",
    after_long_help = EXAMPLES
)]
pub struct Args {
    /// How many elapses to show for each expression.
    #[arg(long, value_name = "N", default_value = "1")]
    iterations: String,

    /// Compute elapses after this timestamp instead of now (`2024-02-28 23:59:59 UTC`, `@1700000000`).
    #[arg(long, value_name = "TIMESTAMP")]
    base_time: Option<String>,

    /// Print one JSON object per expression instead of the table.
    #[arg(long)]
    json: bool,

    /// Calendar events such as `daily`, `Mon *-*-* 09:00`, `*:0/15`, `2024-02-29 12:00 UTC`.
    #[arg(required = true, value_name = "EXPR")]
    exprs: Vec<String>,

    #[command(flatten)]
    inert: super::verify::InertScope,
}

/// One expression in `--json` output.
#[derive(Debug, serde::Serialize)]
struct JsonSpec<'a> {
    original: &'a str,
    normalized: String,
    next_elapses: Vec<JsonElapse>,
}

/// One elapse in `--json` output.
#[derive(Debug, serde::Serialize)]
struct JsonElapse {
    local: String,
    utc: String,
    unix_usec: i64,
    from_now: String,
}

/// The errno text systemd prints for a rejected calendar expression:
/// `ERANGE` for numbers too large and zero repetitions, else `EINVAL`.
// The calendar parser reports these two cases with these words; a typed
// error kind in the calendar crate would be sturdier.
fn calendar_errno_text(err: &ParseError) -> &'static str {
    if err.reason.contains("too large") || err.reason.contains("greater than zero") {
        "Numerical result out of range"
    } else {
        errno_text(err)
    }
}

/// `--iterations=` as systemd reads it (`safe_atou`): optional leading
/// whitespace and `+`, then decimal digits.
fn parse_iterations(value: &str) -> Option<u32> {
    let digits = value.trim_start();
    let digits = digits.strip_prefix('+').unwrap_or(digits);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Runs `sundial calendar`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let env = TimeEnv::from_process();
    let Some(iterations) = parse_iterations(&args.iterations) else {
        writeln!(
            io::stderr(),
            "Failed to parse iterations: {}",
            args.iterations
        )?;
        return Ok(ExitCode::FAILURE);
    };
    let base = match &args.base_time {
        None => env.now,
        Some(text) => match timestamp::parse(text, env.now, &env.local, &env.zones) {
            Ok(t) => t,
            Err(_) => {
                writeln!(
                    io::stderr(),
                    "Failed to parse --base-time= parameter: {text}"
                )?;
                return Ok(ExitCode::FAILURE);
            }
        },
    };

    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut code = ExitCode::SUCCESS;
    for (i, input) in args.exprs.iter().enumerate() {
        match CalendarSpec::parse(input, &env.local, &env.zones) {
            Ok(spec) => {
                let elapses: Vec<Timestamp> = spec
                    .iter_after(base, &env.local)
                    .take(iterations as usize)
                    .collect();
                if args.json {
                    print_json(&mut out, &env, input, &spec, &elapses)?;
                } else {
                    print_spec(&mut out, &env, input, &spec, iterations, &elapses)?;
                }
            }
            Err(err) => {
                out.flush()?;
                let mut stderr = io::stderr().lock();
                writeln!(
                    stderr,
                    "Failed to parse calendar specification '{input}': {}",
                    calendar_errno_text(&err)
                )?;
                let hints = Hints {
                    calendar: false,
                    timestamp: true,
                    timespan: true,
                };
                print_hints(&mut stderr, &env, input, hints)?;
                code = ExitCode::FAILURE;
            }
        }
        // Like systemd-analyze, a blank line after every expression but the
        // last, failed or not.
        if !args.json && i + 1 < args.exprs.len() {
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(code)
}

fn print_spec(
    out: &mut impl Write,
    env: &TimeEnv,
    input: &str,
    spec: &CalendarSpec,
    iterations: u32,
    elapses: &[Timestamp],
) -> io::Result<()> {
    let normalized = spec.to_string();
    let mut rows: Vec<(String, String)> = Vec::new();
    // systemd shows the original only when normalizing changed it.
    if normalized != input {
        rows.push(("Original form:".into(), input.to_owned()));
    }
    rows.push(("Normalized form:".into(), normalized));
    if iterations > 0 && elapses.is_empty() {
        rows.push(("Next elapse:".into(), "never".into()));
    }
    for (i, &next) in elapses.iter().enumerate() {
        let label = match i {
            0 => "Next elapse:".to_owned(),
            _ => format!("Iter. #{}:", i + 1),
        };
        rows.push((label, env.local_form(next)));
        if env.shows_utc() {
            rows.push(("(in UTC):".into(), env.utc_form(next)));
        }
        rows.push(("From now:".into(), env.relative_form(next)));
    }
    let width = rows
        .iter()
        .map(|(label, _)| label.chars().count())
        .max()
        .unwrap_or(0);
    let rows: Vec<(&str, String)> = rows
        .iter()
        .map(|(label, value)| (label.as_str(), value.clone()))
        .collect();
    print_table(out, width, &rows)
}

fn print_json(
    out: &mut impl Write,
    env: &TimeEnv,
    input: &str,
    spec: &CalendarSpec,
    elapses: &[Timestamp],
) -> anyhow::Result<()> {
    let value = JsonSpec {
        original: input,
        normalized: spec.to_string(),
        next_elapses: elapses
            .iter()
            .map(|&t| JsonElapse {
                local: env.local_form(t),
                utc: env.utc_form(t),
                unix_usec: t.as_usec(),
                from_now: env.relative_form(t),
            })
            .collect(),
    };
    writeln!(out, "{}", serde_json::to_string(&value)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iterations_are_read_like_safe_atou() {
        assert_eq!(parse_iterations("3"), Some(3));
        assert_eq!(parse_iterations(" 3"), Some(3));
        assert_eq!(parse_iterations("+3"), Some(3));
        assert_eq!(parse_iterations("0"), Some(0));
        assert_eq!(parse_iterations("-1"), None);
        assert_eq!(parse_iterations("x"), None);
        assert_eq!(parse_iterations(""), None);
    }
}
