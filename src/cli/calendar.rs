//! `sundial calendar`: what `systemd-analyze calendar` prints.

use std::io::{self, Write};
use std::process::ExitCode;

use sundial_calendar::{timespan, timestamp, CalendarSpec, ParseError, Timestamp, Zone};

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
    let mut out = io::BufWriter::with_capacity(64 * 1024, stdout.lock());
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

/// Prints one expression as systemd-analyze does. The elapse rows are
/// streamed through one reused line buffer and cached zone lookups
/// (`--iterations=100000` prints 300,000 lines); an original form that
/// print_table would trim or split goes the general way.
fn print_spec(
    out: &mut impl Write,
    env: &TimeEnv,
    input: &str,
    spec: &CalendarSpec,
    iterations: u32,
    elapses: &[Timestamp],
) -> io::Result<()> {
    let normalized = spec.to_string();
    // systemd shows the original only when normalizing changed it.
    let original = (normalized != input).then_some(input);
    // print_table drops trailing whitespace of values narrower than the
    // widest one and puts a value's lines under each other: only an original
    // form can have either.
    if original.is_some_and(|o| o.contains('\n') || o.ends_with([' ', '\t', '\r'])) {
        let rows = table_rows(env, original, normalized, iterations, elapses);
        return print_rows(out, &rows);
    }
    let width = label_width(original.is_some(), iterations, elapses.len());
    let mut line = String::with_capacity(256);
    if let Some(original) = original {
        push_label(&mut line, width, "Original form:");
        line.push_str(original);
        line.push('\n');
    }
    push_label(&mut line, width, "Normalized form:");
    line.push_str(&normalized);
    line.push('\n');
    if iterations > 0 && elapses.is_empty() {
        push_label(&mut line, width, "Next elapse:");
        line.push_str("never\n");
    }
    out.write_all(line.as_bytes())?;

    let mut local = timestamp::Formatter::new(&env.local);
    let utc_zone = Zone::utc();
    let mut utc = timestamp::Formatter::new(&utc_zone);
    let from_now_label = padded(width, "From now:");
    let in_utc_label = padded(width, "(in UTC):");
    let shows_utc = env.shows_utc();
    for (i, &next) in elapses.iter().enumerate() {
        line.clear();
        if i == 0 {
            push_label(&mut line, width, "Next elapse:");
        } else {
            let number = i + 1;
            let pad = width.saturating_sub(ITER_LABEL_CHARS + decimal_digits(number));
            line.extend(std::iter::repeat_n(' ', pad));
            line.push_str("Iter. #");
            push_decimal(&mut line, number);
            line.push_str(": ");
        }
        if !next.is_set() {
            // Elapses are after the base, so never the epoch or infinity;
            // kept as systemd prints unset times all the same.
            line.push('-');
        } else {
            local.write(next, &mut line);
        }
        line.push('\n');
        if shows_utc {
            line.push_str(&in_utc_label);
            if next.is_set() {
                utc.write(next, &mut line);
            } else {
                line.push('-');
            }
            line.push('\n');
        }
        line.push_str(&from_now_label);
        if next.is_set() {
            timespan::write_relative(env.now, next, &mut line);
        } else {
            line.push('-');
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

/// The characters of "Iter. #" and ":" around an iteration number.
const ITER_LABEL_CHARS: usize = "Iter. #:".len();

/// The width of the label column: the widest label of the expression.
fn label_width(has_original: bool, iterations: u32, elapses: usize) -> usize {
    let mut width = "Normalized form:".len();
    if has_original {
        width = width.max("Original form:".len());
    }
    if iterations > 0 {
        width = width.max("Next elapse:".len());
    }
    if elapses >= 2 {
        width = width.max(ITER_LABEL_CHARS + decimal_digits(elapses));
    }
    width
}

/// `label` right-aligned to `width`, then the space before the value.
fn padded(width: usize, label: &str) -> String {
    let mut text = String::new();
    push_label(&mut text, width, label);
    text
}

fn push_label(line: &mut String, width: usize, label: &str) {
    line.extend(std::iter::repeat_n(' ', width.saturating_sub(label.len())));
    line.push_str(label);
    line.push(' ');
}

fn decimal_digits(n: usize) -> usize {
    n.checked_ilog10().map_or(1, |log| log as usize + 1)
}

fn push_decimal(line: &mut String, n: usize) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut rest = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    line.extend(digits[i..].iter().map(|&d| char::from(d)));
}

/// The rows of one expression for print_table, for the inputs the streamed
/// form does not cover (and as its reference in tests).
fn table_rows(
    env: &TimeEnv,
    original: Option<&str>,
    normalized: String,
    iterations: u32,
    elapses: &[Timestamp],
) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = Vec::new();
    if let Some(original) = original {
        rows.push(("Original form:".into(), original.to_owned()));
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
    rows
}

fn print_rows(out: &mut impl Write, rows: &[(String, String)]) -> io::Result<()> {
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

    use sundial_calendar::zone::{local_zone, SystemZones};

    fn env_in(tz: &str) -> TimeEnv {
        let zones = SystemZones::from_tzdir_env(None);
        let local = local_zone(Some(tz), &zones);
        TimeEnv {
            zones,
            local,
            now: Timestamp::from_secs(1_733_580_000),
        }
    }

    /// The streamed output and print_table's, for one expression.
    fn both_forms(env: &TimeEnv, input: &str, base: Timestamp, iterations: u32) -> [String; 2] {
        let spec = CalendarSpec::parse(input, &env.local, &env.zones).expect("a valid spec");
        let elapses: Vec<Timestamp> = spec
            .iter_after(base, &env.local)
            .take(iterations as usize)
            .collect();
        let mut streamed = Vec::new();
        print_spec(&mut streamed, env, input, &spec, iterations, &elapses).expect("to a Vec");
        let normalized = spec.to_string();
        let original = (normalized != input).then_some(input);
        let rows = table_rows(env, original, normalized, iterations, &elapses);
        let mut table = Vec::new();
        print_rows(&mut table, &rows).expect("to a Vec");
        [streamed, table].map(|bytes| String::from_utf8(bytes).expect("UTF-8"))
    }

    #[test]
    fn streamed_elapses_print_as_the_table_does() {
        let inputs = [
            "daily",
            "*-*-* 00:00:00",
            "*:0/15",
            "*:*:0/7.25",
            "Mon..Fri *-*-* 08..18/2:30:00 Europe/Berlin",
            "Sun *-*-* 01..03:00/30",
            "2024-03-31 02:30",
            "*-02-29 12:00 UTC",
            "2199-12-31 23:59",
        ];
        // Both sides of Berlin's and Lord Howe's spring change, and a base
        // after which some inputs never elapse.
        let bases = [1_711_846_800, 1_728_144_000, 7_258_118_000];
        for tz in ["UTC", "Europe/Berlin", "Australia/Lord_Howe", "EST5EDT"] {
            let env = env_in(tz);
            for input in inputs {
                for base in bases {
                    for iterations in [0, 1, 9, 10, 120] {
                        let [streamed, table] =
                            both_forms(&env, input, Timestamp::from_secs(base), iterations);
                        assert_eq!(
                            streamed, table,
                            "TZ={tz} {input} base @{base} iterations {iterations}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn label_width_follows_the_widest_label() {
        // "Iter. #10000000:" is as wide as "Normalized form:"; one more digit
        // widens the column.
        assert_eq!(label_width(false, 1, 1), 16);
        assert_eq!(label_width(true, 5, 5), 16);
        assert_eq!(label_width(false, 10_000_000, 10_000_000), 16);
        assert_eq!(label_width(false, 100_000_000, 100_000_000), 17);
        assert_eq!(decimal_digits(0), 1);
        assert_eq!(decimal_digits(9), 1);
        assert_eq!(decimal_digits(10), 2);
        let mut line = String::new();
        push_decimal(&mut line, 1_234_567_890);
        assert_eq!(line, "1234567890");
    }

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
