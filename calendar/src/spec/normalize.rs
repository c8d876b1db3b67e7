//! From what was written to the normalized spec: two-digit years, range ends
//! trimmed to the repetition, sorting and de-duplication, then systemd's
//! limits on every entry.

use crate::error::{InputKind, ParseError};

use super::display::format_value;
use super::{CalendarSpec, Component, SpecZone, USEC_PER_SEC};

/// The first year systemd accepts.
pub(super) const MIN_YEAR: i32 = 1970;
/// The last year systemd accepts, and the horizon of the elapse search.
pub(super) const MAX_YEAR: i32 = 2199;

/// Days counted back from the end of the month stop here, so that every month
/// has them.
const MAX_DAYS_FROM_END: i32 = 28;

/// All seven weekday bits.
const ALL_WEEKDAYS: u8 = 0x7f;

/// A field's list as written, and where it starts in the input (`None` when
/// the field was left out).
#[derive(Debug)]
pub(super) struct RawChain {
    pub(super) entries: Vec<Component>,
    pub(super) at: Option<usize>,
}

impl RawChain {
    /// A field that was left out: any value.
    pub(super) fn any() -> RawChain {
        RawChain {
            entries: Vec::new(),
            at: None,
        }
    }

    /// A field with the one value `v`, attributed to byte `at`.
    pub(super) fn single(v: i32, at: usize) -> RawChain {
        RawChain {
            entries: vec![Component::value(v)],
            at: Some(at),
        }
    }
}

/// A spec as parsed, before normalization and validation.
#[derive(Debug)]
pub(super) struct RawSpec {
    pub(super) weekdays: u8,
    pub(super) year: RawChain,
    pub(super) month: RawChain,
    pub(super) day: RawChain,
    pub(super) end_of_month: bool,
    pub(super) hour: RawChain,
    pub(super) minute: RawChain,
    pub(super) second: RawChain,
    pub(super) zone: SpecZone,
}

impl RawSpec {
    pub(super) fn new(weekdays: u8, zone: SpecZone) -> RawSpec {
        RawSpec {
            weekdays,
            year: RawChain::any(),
            month: RawChain::any(),
            day: RawChain::any(),
            end_of_month: false,
            hour: RawChain::any(),
            minute: RawChain::any(),
            second: RawChain::any(),
            zone,
        }
    }
}

/// The limits of one field.
struct Field {
    name: &'static str,
    min: i32,
    max: i32,
    usec: bool,
}

const YEAR: Field = Field {
    name: "year",
    min: MIN_YEAR,
    max: MAX_YEAR,
    usec: false,
};
const MONTH: Field = Field {
    name: "month",
    min: 1,
    max: 12,
    usec: false,
};
const DAY: Field = Field {
    name: "day",
    min: 1,
    max: 31,
    usec: false,
};
const DAY_FROM_END: Field = Field {
    name: "day before the end of the month",
    min: 1,
    max: MAX_DAYS_FROM_END,
    usec: false,
};
const HOUR: Field = Field {
    name: "hour",
    min: 0,
    max: 23,
    usec: false,
};
const MINUTE: Field = Field {
    name: "minute",
    min: 0,
    max: 59,
    usec: false,
};
const SECOND: Field = Field {
    name: "second",
    min: 0,
    max: 60 * USEC_PER_SEC - 1,
    usec: true,
};

/// Normalizes and validates a parsed spec.
pub(super) fn finish(raw: RawSpec, input: &str) -> Result<CalendarSpec, ParseError> {
    // A set of all days, or of none, restricts nothing.
    let weekdays = match raw.weekdays {
        ALL_WEEKDAYS => 0,
        bits => bits,
    };
    let end_of_month = raw.end_of_month && !raw.day.entries.is_empty();
    let mut year = raw.year;
    for c in &mut year.entries {
        c.start = full_year(c.start);
        if c.has_stop() {
            c.stop = full_year(c.stop);
        }
    }
    let day_field = if end_of_month { &DAY_FROM_END } else { &DAY };
    Ok(CalendarSpec::new(
        weekdays,
        [
            chain(year, &YEAR, false, input)?,
            chain(raw.month, &MONTH, false, input)?,
            chain(raw.day, day_field, end_of_month, input)?,
            chain(raw.hour, &HOUR, false, input)?,
            chain(raw.minute, &MINUTE, false, input)?,
            chain(raw.second, &SECOND, false, input)?,
        ],
        end_of_month,
        raw.zone,
    ))
}

/// systemd's two-digit years: 0–69 are 2000–2069, 70–99 are 1970–1999.
fn full_year(y: i32) -> i32 {
    match y {
        0..=69 => y + 2000,
        70..=99 => y + 1900,
        _ => y,
    }
}

/// Normalizes each entry, checks it against the field, then sorts the list
/// and drops exact duplicates.
fn chain(
    raw: RawChain,
    field: &Field,
    from_end: bool,
    input: &str,
) -> Result<Vec<Component>, ParseError> {
    let mut entries = raw.entries;
    let error_at = |i: usize, reason: String| {
        let at = raw.at.map_or(0, |at| entry_offset(input, at, i));
        ParseError::new(InputKind::Calendar, input, at, reason)
    };
    for (i, c) in entries.iter_mut().enumerate() {
        normalize_entry(c);
        check_entry(c, field, from_end).map_err(|reason| error_at(i, reason))?;
    }
    if entries.len() > 1 {
        let written = if from_end {
            entries.clone()
        } else {
            Vec::new()
        };
        entries.sort_unstable();
        entries.dedup();
        if from_end {
            check_from_end_list(&entries).map_err(|(entry, reason)| {
                let i = written.iter().position(|c| *c == entry).unwrap_or(0);
                error_at(i, reason)
            })?;
        }
    }
    Ok(entries)
}

/// systemd 252 checks a `~` list entry by entry in sorted order and lowers
/// the last allowed day by three more for every entry (`~1,25` passes,
/// `~1,26` and `~1,2,24` do not). Returns the first entry that breaks the
/// lowered limit, with the reason.
fn check_from_end_list(sorted: &[Component]) -> Result<(), (Component, String)> {
    for (k, c) in sorted.iter().enumerate() {
        let max = MAX_DAYS_FROM_END - 3 * k as i32;
        let too_far = c.start > max || c.stop > max || c.repeat > max - DAY_FROM_END.min;
        if too_far {
            let reason = format!(
                "entry {} of a '~' list may be at most {} days before the end of the month \
                 (systemd allows three days fewer for each further entry)",
                k + 1,
                max.max(0)
            );
            return Err((*c, reason));
        }
    }
    Ok(())
}

/// Trims a range's end to the last value its repetition reaches, and turns
/// a range that cannot repeat even once into its start.
fn normalize_entry(c: &mut Component) {
    if c.stop > c.start && c.repeat > 0 {
        c.stop -= (c.stop - c.start) % c.repeat;
    }
    let cannot_repeat = c.stop > c.start
        && c.repeat > 0
        && i64::from(c.start) + i64::from(c.repeat) > i64::from(c.stop);
    if cannot_repeat || c.start == c.stop {
        c.stop = -1;
        c.repeat = 0;
    }
}

/// systemd's limits on one entry; the error says which was broken.
fn check_entry(c: &Component, field: &Field, from_end: bool) -> Result<(), String> {
    let show = |v: i32| format_value(v, field.usec);
    let in_range = |v: i32| (field.min..=field.max).contains(&v);
    let range = || format!("{}..{}", show(field.min), show(field.max));
    if !in_range(c.start) {
        return Err(format!(
            "{} {} is out of range {}",
            field.name,
            show(c.start),
            range()
        ));
    }
    if i64::from(c.repeat) > i64::from(field.max) - i64::from(field.min) {
        return Err(format!(
            "repetition /{} is longer than the {} range {}",
            show(c.repeat),
            field.name,
            range()
        ));
    }
    let (start, repeat) = (i64::from(c.start), i64::from(c.repeat));
    if c.has_stop() {
        if !in_range(c.stop) {
            return Err(format!(
                "{} {} is out of range {}",
                field.name,
                show(c.stop),
                range()
            ));
        }
        if start + repeat > i64::from(c.stop) {
            return Err(format!(
                "{} range {}..{} ends before it starts",
                field.name,
                show(c.start),
                show(c.stop)
            ));
        }
    } else if from_end && start - repeat < i64::from(field.min) {
        return Err(format!(
            "'~{}/{}' would step past the end of the month before repeating",
            show(c.start),
            show(c.repeat)
        ));
    } else if !from_end && start + repeat > i64::from(field.max) {
        return Err(format!(
            "'{}/{}' would pass the last {} {} before repeating",
            show(c.start),
            show(c.repeat),
            field.name,
            show(field.max)
        ));
    }
    Ok(())
}

/// The byte offset of entry `index` of the list that starts at `at`.
fn entry_offset(input: &str, at: usize, index: usize) -> usize {
    if index == 0 {
        return at;
    }
    input.as_bytes()[at..]
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == b',')
        .nth(index - 1)
        .map_or(at, |(i, _)| at + i + 1)
}
