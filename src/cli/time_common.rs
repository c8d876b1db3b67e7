//! What `sundial calendar|timespan|timestamp` share: the environment they
//! read (TZ, TZDIR, the clock), systemd-analyze's two-column tables, its error
//! wording and its hints.

use std::io::{self, Write};
use std::time::SystemTime;

use sundial_calendar::timespan::format_relative;
use sundial_calendar::timestamp;
use sundial_calendar::zone::{local_zone, SystemZones};
use sundial_calendar::{CalendarSpec, ParseError, Timespan, Timestamp, Zone};

/// The time zones and the current time, read once per command. This is the
/// only place the time commands touch the environment or the clock.
#[derive(Debug)]
pub(crate) struct TimeEnv {
    pub zones: SystemZones,
    pub local: Zone,
    pub now: Timestamp,
}

impl TimeEnv {
    pub(crate) fn from_process() -> TimeEnv {
        let var = |name: &str| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned());
        let zones = SystemZones::from_tzdir_env(var("TZDIR").as_deref());
        let local = local_zone(var("TZ").as_deref(), &zones);
        TimeEnv {
            zones,
            local,
            now: realtime_now(),
        }
    }

    /// `t` as systemd prints it in the local zone, `-` when unset.
    pub(crate) fn local_form(&self, t: Timestamp) -> String {
        if t.is_set() {
            timestamp::format(t, &self.local)
        } else {
            "-".to_owned()
        }
    }

    /// `t` in UTC, `-` when unset.
    pub(crate) fn utc_form(&self, t: Timestamp) -> String {
        if t.is_set() {
            timestamp::format(t, &Zone::utc())
        } else {
            "-".to_owned()
        }
    }

    /// The "From now:" value, `-` when unset.
    pub(crate) fn relative_form(&self, t: Timestamp) -> String {
        if t.is_set() {
            format_relative(self.now, t)
        } else {
            "-".to_owned()
        }
    }

    /// Whether systemd would add "(in UTC)" lines: the local zone is not UTC.
    pub(crate) fn shows_utc(&self) -> bool {
        !self.local.is_utc()
    }
}

fn realtime_now() -> Timestamp {
    let since_epoch = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    Timestamp::from_usec(since_epoch)
}

/// `@SECONDS[.ffffff]`, systemd's "UNIX seconds:" value; infinity is
/// printed as the unsigned number it is in systemd.
pub(crate) fn unix_seconds(t: Timestamp) -> String {
    let usec = if t == Timestamp::INFINITY {
        u64::MAX
    } else {
        t.as_usec().max(0) as u64
    };
    match usec % 1_000_000 {
        0 => format!("@{}", usec / 1_000_000),
        frac => format!("@{}.{frac:06}", usec / 1_000_000),
    }
}

/// The errno text systemd's `%m` prints for a parse failure.
pub(crate) fn errno_text(err: &ParseError) -> &'static str {
    if sundial_calendar::timespan::is_out_of_range(err) {
        "Numerical result out of range"
    } else {
        "Invalid argument"
    }
}

/// Prints rows as systemd-analyze's tables do: labels right-aligned to
/// `width`, one space, the value. A value's lines (a final newline ends the
/// last one) go under each other. Lines narrower than the widest line of the
/// value column lose their trailing whitespace, as systemd drops the padding
/// of its last column; the widest are printed as they are.
pub(crate) fn print_table(
    out: &mut impl Write,
    width: usize,
    rows: &[(&str, String)],
) -> io::Result<()> {
    let lines_of = |value: &str| -> Vec<String> {
        let value = value.strip_suffix('\n').unwrap_or(value);
        value.split('\n').map(str::to_owned).collect()
    };
    let cells: Vec<(&str, Vec<String>)> = rows
        .iter()
        .map(|(label, value)| (*label, lines_of(value)))
        .collect();
    let column = cells
        .iter()
        .flat_map(|(_, lines)| lines.iter().map(|l| l.chars().count()))
        .max()
        .unwrap_or(0);
    for (label, lines) in &cells {
        for (i, line) in lines.iter().enumerate() {
            let line = if line.chars().count() < column {
                line.trim_end_matches([' ', '\t', '\n', '\r'])
            } else {
                line.as_str()
            };
            let label = if i == 0 { *label } else { "" };
            // Labels are ASCII except "μs:", whose μ is one column wide.
            let pad = width.saturating_sub(label.chars().count());
            writeln!(out, "{:pad$}{label} {line}", "")?;
        }
    }
    Ok(())
}

/// Which grammars to suggest when an input fails.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hints {
    pub calendar: bool,
    pub timestamp: bool,
    pub timespan: bool,
}

/// systemd-analyze's "Hint: this expression is a valid …" notices, naming
/// the sundial command to use instead.
pub(crate) fn print_hints(
    err: &mut impl Write,
    env: &TimeEnv,
    input: &str,
    hints: Hints,
) -> io::Result<()> {
    if hints.calendar && CalendarSpec::parse(input, &env.local, &env.zones).is_ok() {
        writeln!(
            err,
            "Hint: this expression is a valid calendar specification. Use 'sundial calendar \"{input}\"' instead?"
        )?;
    }
    if hints.timestamp && timestamp::parse(input, env.now, &env.local, &env.zones).is_ok() {
        writeln!(
            err,
            "Hint: this expression is a valid timestamp. Use 'sundial timestamp \"{input}\"' instead?"
        )?;
    }
    if hints.timespan && Timespan::parse(input).is_ok() {
        writeln!(
            err,
            "Hint: this expression is a valid timespan. Use 'sundial timespan \"{input}\"' instead?"
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_widest_value_keeps_its_trailing_whitespace() {
        let mut out = Vec::new();
        let rows = [
            ("Original:", "0 ".to_owned()),
            ("μs:", "0".to_owned()),
            ("Human:", "0".to_owned()),
        ];
        print_table(&mut out, 9, &rows).expect("writes to a Vec");
        assert_eq!(
            String::from_utf8(out).expect("UTF-8"),
            "Original: 0 \n      μs: 0\n   Human: 0\n"
        );
    }

    #[test]
    fn tables_align_labels_and_continue_lines() {
        let mut out = Vec::new();
        let rows = [
            ("Original:", "5s\n5s".to_owned()),
            ("μs:", "10000000".to_owned()),
            ("Human:", "\t10s \n".to_owned()),
            ("Trail:", "a \n \n".to_owned()),
        ];
        print_table(&mut out, 9, &rows).expect("writes to a Vec");
        assert_eq!(
            String::from_utf8(out).expect("UTF-8"),
            "Original: 5s\n          5s\n      μs: 10000000\n   Human: \t10s\n   Trail: a\n          \n"
        );
    }

    #[test]
    fn unix_seconds_like_systemd() {
        assert_eq!(unix_seconds(Timestamp::from_secs(5)), "@5");
        assert_eq!(unix_seconds(Timestamp::from_usec(1_500_000)), "@1.500000");
        assert_eq!(unix_seconds(Timestamp::INFINITY), "@18446744073709.551615");
    }
}
