//! systemd's normalized form: `[WEEKDAYS ]YYYY-MM-DD HH:MM:SS[ ZONE]`.

use std::fmt::{self, Write};

use crate::civil::Weekday;

use super::{CalendarSpec, Component, SpecZone, EVERY_SECOND, USEC_PER_SEC};

impl fmt::Display for CalendarSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.weekdays != 0 {
            write_weekdays(f, self.weekdays)?;
            f.write_char(' ')?;
        }
        write_chain(f, self.year(), 4, false)?;
        f.write_char('-')?;
        write_chain(f, self.month(), 2, false)?;
        f.write_char(if self.end_of_month { '~' } else { '-' })?;
        write_chain(f, self.day(), 2, false)?;
        f.write_char(' ')?;
        write_chain(f, self.hour(), 2, false)?;
        f.write_char(':')?;
        write_chain(f, self.minute(), 2, false)?;
        f.write_char(':')?;
        write_chain(f, self.second(), 2, true)?;
        match &self.zone {
            SpecZone::Local => Ok(()),
            SpecZone::Utc => f.write_str(" UTC"),
            SpecZone::LocalAbbreviation { name, .. } | SpecZone::Named { name, .. } => {
                write!(f, " {name}")
            }
        }
    }
}

/// Runs of consecutive days, Monday first: one day alone, two joined by `,`,
/// three or more as `first..last`.
fn write_weekdays(f: &mut fmt::Formatter<'_>, bits: u8) -> fmt::Result {
    let mut first_run = true;
    let mut day = 0;
    while day < 7 {
        if bits & (1 << day) == 0 {
            day += 1;
            continue;
        }
        let start = day;
        while day < 7 && bits & (1 << day) != 0 {
            day += 1;
        }
        let last = day - 1;
        if !first_run {
            f.write_char(',')?;
        }
        first_run = false;
        f.write_str(Weekday::from_index(start).short_name())?;
        match last - start {
            0 => {}
            1 => write!(f, ",{}", Weekday::from_index(last).short_name())?,
            _ => write!(f, "..{}", Weekday::from_index(last).short_name())?,
        }
    }
    Ok(())
}

/// Whether systemd prints this seconds list as `*`: it does so as soon as one
/// entry is "every whole second".
pub(super) fn seconds_print_as_star(chain: &[Component]) -> bool {
    chain.contains(&EVERY_SECOND)
}

fn write_chain(
    f: &mut fmt::Formatter<'_>,
    chain: &[Component],
    width: usize,
    usec: bool,
) -> fmt::Result {
    if chain.is_empty() || (usec && seconds_print_as_star(chain)) {
        return f.write_char('*');
    }
    let unit = if usec { USEC_PER_SEC } else { 1 };
    for (i, c) in chain.iter().enumerate() {
        if i > 0 {
            f.write_char(',')?;
        }
        write_padded(f, c.start, width, usec)?;
        if c.stop > 0 {
            f.write_str("..")?;
            write_padded(f, c.stop, width, usec)?;
        }
        // A range's implicit step of one unit is not printed.
        if c.repeat > 0 && !(c.stop > 0 && c.repeat == unit) {
            write!(f, "/{}", format_value(c.repeat, usec))?;
        }
    }
    Ok(())
}

/// `v` zero-padded to `width` digits, with `.ffffff` for a fraction of a second.
fn write_padded(f: &mut fmt::Formatter<'_>, v: i32, width: usize, usec: bool) -> fmt::Result {
    if usec {
        write!(f, "{:0width$}", v / USEC_PER_SEC)?;
        match v % USEC_PER_SEC {
            0 => Ok(()),
            frac => write!(f, ".{frac:06}"),
        }
    } else {
        write!(f, "{v:0width$}")
    }
}

/// A value as written in messages: seconds with `.ffffff` only when needed.
pub(super) fn format_value(v: i32, usec: bool) -> String {
    if !usec {
        return v.to_string();
    }
    match v % USEC_PER_SEC {
        0 => (v / USEC_PER_SEC).to_string(),
        frac => format!("{}.{frac:06}", v / USEC_PER_SEC),
    }
}
