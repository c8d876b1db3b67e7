//! The grammar: zone suffix, shorthands, `@EPOCH`, then weekdays, date and time.
//!
//! Each rule takes the parser at its position and either consumes its part or
//! returns an error that points at the offending byte. Values are checked
//! against their field's limits afterwards, in `normalize`.

use crate::civil::CivilDateTime;
use crate::error::{InputKind, ParseError};
use crate::zone::{is_valid_zone_name, Zone, ZoneSource};

use super::normalize::{self, RawChain, RawSpec};
use super::{CalendarSpec, Component, SpecZone, EVERY_SECOND, USEC_PER_SEC};

/// systemd refuses a list with more entries than this (its recursion limit).
const MAX_CHAIN_ENTRIES: usize = 241;

pub(super) fn parse(
    input: &str,
    local: &Zone,
    zones: &dyn ZoneSource,
) -> Result<CalendarSpec, ParseError> {
    let (body_len, zone) = split_zone(input, local, zones);
    let mut p = Parser {
        input,
        body: &input.as_bytes()[..body_len],
        pos: 0,
    };
    if body_len == 0 {
        return Err(p.expected(0, "a calendar event"));
    }
    if let Some(kind) = shorthand_kind(&input[..body_len]) {
        return Ok(shorthand(kind, zone));
    }
    let local_zone = matches!(zone, SpecZone::Local);
    let raw = p.calendar(zone).map_err(|e| {
        if local_zone {
            unknown_zone(input, e)
        } else {
            e
        }
    })?;
    normalize::finish(raw, input)
}

/// A failure at the last word, when that word looks like a zone name that no
/// zone answers to, is better explained as an unknown zone.
fn unknown_zone(input: &str, error: ParseError) -> ParseError {
    let Some(space) = input.rfind(' ') else {
        return error;
    };
    let word = &input[space + 1..];
    // `Area/Location`, or an abbreviation-like word such as `EST` or `UTC+1`.
    let looks_like_zone = is_valid_zone_name(word)
        && word.bytes().any(|b| b.is_ascii_alphabetic())
        && (word.contains('/') || !word.bytes().any(|b| b.is_ascii_lowercase()));
    if error.offset < space || !looks_like_zone {
        return error;
    }
    ParseError::new(
        InputKind::Calendar,
        input,
        space + 1,
        format!("expected a time zone, found unknown zone '{word}'"),
    )
}

/// Splits off the zone suffix, in systemd's order: ` UTC` in any case, then
/// one of the local zone's abbreviations in any case, then an IANA zone name
/// after the last space. Returns the length of what precedes the suffix.
fn split_zone(input: &str, local: &Zone, zones: &dyn ZoneSource) -> (usize, SpecZone) {
    if let Some(start) = suffix_ignore_case(input, " UTC") {
        return (start, SpecZone::Utc);
    }
    let Some(last_space) = input.rfind(' ') else {
        return (input.len(), SpecZone::Local);
    };
    let last_word = &input[last_space + 1..];
    // Abbreviations are letters, digits and signs (`CET`, `+0530`); a last word
    // with other characters (`09:00`) cannot be one, which spares the lookup.
    let may_be_abbreviation = !last_word.is_empty()
        && last_word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-');
    if may_be_abbreviation {
        let (standard, daylight) = local.abbreviations();
        for (name, dst) in [(Some(standard), false), (daylight, true)] {
            let Some(name) = name.filter(|n| !n.is_empty()) else {
                continue;
            };
            if let Some(start) = suffix_ignore_case(input, &name) {
                if start > 0 && input.as_bytes()[start - 1] == b' ' {
                    return (
                        start - 1,
                        SpecZone::LocalAbbreviation {
                            name: name.into(),
                            dst,
                        },
                    );
                }
            }
        }
    }
    let name = last_word;
    if is_valid_zone_name(name) {
        if let Some(zone) = zones.load(name) {
            return (
                last_space,
                SpecZone::Named {
                    name: name.into(),
                    zone: Box::new(zone),
                },
            );
        }
    }
    (input.len(), SpecZone::Local)
}

/// Where `suffix` starts if `input` ends with it, ignoring ASCII case.
fn suffix_ignore_case(input: &str, suffix: &str) -> Option<usize> {
    let start = input.len().checked_sub(suffix.len())?;
    let tail = input.as_bytes().get(start..)?;
    tail.eq_ignore_ascii_case(suffix.as_bytes())
        .then_some(start)
}

/// The named schedule `body` spells, matched as a whole word in any case.
fn shorthand_kind(body: &str) -> Option<Shorthand> {
    const SHORTHANDS: [(&str, Shorthand); 13] = [
        ("minutely", Shorthand::Minutely),
        ("hourly", Shorthand::Hourly),
        ("daily", Shorthand::Daily),
        ("weekly", Shorthand::Weekly),
        ("monthly", Shorthand::Monthly),
        ("yearly", Shorthand::Yearly),
        ("annually", Shorthand::Yearly),
        // systemd keeps this misspelling for backwards compatibility.
        ("anually", Shorthand::Yearly),
        ("quarterly", Shorthand::Quarterly),
        ("semiannually", Shorthand::Semiannually),
        ("semi-annually", Shorthand::Semiannually),
        ("biannually", Shorthand::Semiannually),
        ("bi-annually", Shorthand::Semiannually),
    ];
    SHORTHANDS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(body))
        .map(|&(_, kind)| kind)
}

/// The spec a named schedule stands for.
fn shorthand(kind: Shorthand, zone: SpecZone) -> CalendarSpec {
    let values = |vs: &[i32]| vs.iter().map(|&v| Component::value(v)).collect::<Vec<_>>();
    let zero = || values(&[0]);
    let (mut weekdays, mut month, mut day, mut hour, mut minute) =
        (0, Vec::new(), Vec::new(), zero(), zero());
    match kind {
        Shorthand::Minutely => {
            hour.clear();
            minute.clear();
        }
        Shorthand::Hourly => hour.clear(),
        Shorthand::Daily => {}
        Shorthand::Weekly => weekdays = 1,
        Shorthand::Monthly => day = values(&[1]),
        Shorthand::Yearly => {
            month = values(&[1]);
            day = values(&[1]);
        }
        Shorthand::Quarterly => {
            month = values(&[1, 4, 7, 10]);
            day = values(&[1]);
        }
        Shorthand::Semiannually => {
            month = values(&[1, 7]);
            day = values(&[1]);
        }
    }
    CalendarSpec::new(
        weekdays,
        [Vec::new(), month, day, hour, minute, zero()],
        false,
        zone,
    )
}

#[derive(Debug, Clone, Copy)]
enum Shorthand {
    Minutely,
    Hourly,
    Daily,
    Weekly,
    Monthly,
    Yearly,
    Quarterly,
    Semiannually,
}

/// Weekday names as systemd tries them: each long name before its short one.
const WEEKDAY_NAMES: [(&str, u8); 14] = [
    ("monday", 0),
    ("mon", 0),
    ("tuesday", 1),
    ("tue", 1),
    ("wednesday", 2),
    ("wed", 2),
    ("thursday", 3),
    ("thu", 3),
    ("friday", 4),
    ("fri", 4),
    ("saturday", 5),
    ("sat", 5),
    ("sunday", 6),
    ("sun", 6),
];

struct Parser<'a> {
    /// The whole input, for error messages.
    input: &'a str,
    /// The input without its zone suffix.
    body: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.body.get(self.pos).copied()
    }

    fn peek_at(&self, i: usize) -> Option<u8> {
        self.body.get(i).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.body.len()
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    /// How to show what stands at byte `at`: the word up to the next space.
    fn found(&self, at: usize) -> String {
        if at >= self.body.len() {
            return "end of input".to_owned();
        }
        if self.body[at] == b' ' {
            return "' '".to_owned();
        }
        let end = self.body[at..]
            .iter()
            .position(|&b| b == b' ')
            .map_or(self.body.len(), |n| at + n);
        format!("'{}'", String::from_utf8_lossy(&self.body[at..end]))
    }

    fn error(&self, at: usize, reason: impl Into<String>) -> ParseError {
        ParseError::new(InputKind::Calendar, self.input, at, reason)
    }

    fn expected(&self, at: usize, what: &str) -> ParseError {
        self.error(at, format!("expected {what}, found {}", self.found(at)))
    }

    /// `[WEEKDAYS] [DATE | @EPOCH] [TIME]`, to the end of the body.
    fn calendar(&mut self, zone: SpecZone) -> Result<RawSpec, ParseError> {
        let weekdays = self.weekdays()?;
        let mut raw = RawSpec::new(weekdays, zone);
        if self.peek() == Some(b'@') {
            self.epoch(&mut raw)?;
            return Ok(raw);
        }
        let hour = self.date(&mut raw)?;
        self.time(&mut raw, hour)?;
        Ok(raw)
    }

    /// A weekday list: `Mon`, `monday`, `Mon,Wed`, `Mon..Fri`, `Mon-Fri`,
    /// optionally ending in `,`. Returns the bit set (0 if there is none) and
    /// leaves the position after the spaces that end it.
    fn weekdays(&mut self) -> Result<u8, ParseError> {
        let mut bits = 0u8;
        // The first day of an open range and where the range began.
        let mut range_from: Option<(u8, usize)> = None;
        let mut first = true;
        loop {
            let at = self.pos;
            let Some((day, len)) = self.weekday_name() else {
                if first {
                    return Ok(0);
                }
                let what = if range_from.is_some() {
                    "a weekday to end the range"
                } else {
                    "a weekday after ','"
                };
                return Err(self.expected(at, what));
            };
            if !matches!(
                self.peek_at(at + len),
                None | Some(b'-' | b'.' | b',' | b' ')
            ) {
                return Err(self.expected(at, "a weekday"));
            }
            bits |= 1 << day;
            if let Some((from, from_at)) = range_from {
                if from > day {
                    let text = String::from_utf8_lossy(&self.body[from_at..at + len]);
                    return Err(self.error(
                        from_at,
                        format!("weekday range '{text}' must go from an earlier to a later day"),
                    ));
                }
                for d in from + 1..day {
                    bits |= 1 << d;
                }
            }
            self.pos += len;
            match self.peek() {
                None => return Ok(bits),
                Some(b' ') => {
                    self.skip_spaces();
                    return Ok(bits);
                }
                Some(sep @ (b'.' | b'-')) => {
                    // A range ends after its second day; only ',' may follow.
                    if range_from.is_some() {
                        return Err(self.expected(self.pos, "',' or a space after a weekday range"));
                    }
                    if sep == b'.' {
                        if self.peek_at(self.pos + 1) != Some(b'.') {
                            return Err(self.expected(self.pos, "'..' between two weekdays"));
                        }
                        self.pos += 1;
                    }
                    self.pos += 1;
                    range_from = Some((day, at));
                }
                Some(_) => {
                    // Only ',' is left: the check after the name allowed no other byte.
                    self.pos += 1;
                    range_from = None;
                }
            }
            if matches!(self.peek(), None | Some(b' ')) {
                if range_from.is_some() {
                    return Err(self.expected(self.pos, "a weekday to end the range"));
                }
                self.skip_spaces();
                return Ok(bits);
            }
            first = false;
        }
    }

    /// The weekday whose name starts at the position, in any case, and the
    /// length of the name: the long name if it is there, else the short one.
    fn weekday_name(&self) -> Option<(u8, usize)> {
        let rest = &self.body[self.pos..];
        let short = rest.get(..3)?;
        // Every long name starts with its short one.
        let day = WEEKDAY_NAMES
            .iter()
            .step_by(2)
            .position(|&(name, _)| short.eq_ignore_ascii_case(&name.as_bytes()[..3]))?;
        let (long, day) = WEEKDAY_NAMES[2 * day];
        let is_long = rest
            .get(..long.len())
            .is_some_and(|word| word.eq_ignore_ascii_case(long.as_bytes()));
        Some((day, if is_long { long.len() } else { 3 }))
    }

    /// `@SECONDS`: one fixed instant in UTC; nothing may follow.
    fn epoch(&mut self, raw: &mut RawSpec) -> Result<(), ParseError> {
        let at = self.pos;
        self.pos += 1;
        let secs = self.c_unsigned_long()?;
        if !self.at_end() {
            return Err(self.expected(self.pos, "nothing after '@SECONDS'"));
        }
        // The C library reads the number as an unsigned long and systemd then
        // as a time_t, so '-1' wraps to one second before the epoch.
        let secs = secs as i64;
        let civil = CivilDateTime::from_utc_usec(secs.saturating_mul(1_000_000));
        if !(normalize::MIN_YEAR..=normalize::MAX_YEAR).contains(&civil.year) {
            return Err(self.error(
                at,
                format!(
                    "'@{secs}' is outside the years {}..{}",
                    normalize::MIN_YEAR,
                    normalize::MAX_YEAR
                ),
            ));
        }
        let one = |v: i64| RawChain::single(v as i32, at);
        raw.year = one(i64::from(civil.year));
        raw.month = one(i64::from(civil.month));
        raw.day = one(i64::from(civil.day));
        raw.hour = one(i64::from(civil.hour));
        raw.minute = one(i64::from(civil.minute));
        raw.second = one(i64::from(civil.second) * i64::from(USEC_PER_SEC));
        raw.zone = SpecZone::Utc;
        Ok(())
    }

    /// A number as C's `strtoul(…, 10)` reads it: leading white space, an
    /// optional sign (a minus negates modulo 2^64), then digits.
    fn c_unsigned_long(&mut self) -> Result<u64, ParseError> {
        while matches!(
            self.peek(),
            Some(b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
        ) {
            self.pos += 1;
        }
        let negative = match self.peek() {
            Some(b'-') => {
                self.pos += 1;
                true
            }
            Some(b'+') => {
                self.pos += 1;
                false
            }
            _ => false,
        };
        let at = self.pos;
        let value = self.digits(at, "seconds since the epoch after '@'")?;
        Ok(if negative {
            value.wrapping_neg()
        } else {
            value
        })
    }

    /// Decimal digits at the position, at least one, as a u64.
    fn digits(&mut self, at: usize, what: &str) -> Result<u64, ParseError> {
        let mut value: u64 = 0;
        let start = self.pos;
        while let Some(d) = self.peek().filter(u8::is_ascii_digit) {
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(d - b'0')))
                .ok_or_else(|| {
                    self.error(at, format!("number {} is too large", self.found(start)))
                })?;
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.expected(at, what));
        }
        Ok(value)
    }

    /// `[YEAR-]MONTH-DAY` or `[YEAR-]MONTH~DAY`, followed by spaces or the end.
    /// A single list followed by ':' or the end is a time's hour: it is
    /// returned, to be read no second time.
    fn date(&mut self, raw: &mut RawSpec) -> Result<Option<RawChain>, ParseError> {
        if self.at_end() {
            return Ok(None);
        }
        let what = if raw.weekdays == 0 {
            "a weekday or a date"
        } else {
            "a date or a time"
        };
        let first = self.chain(false, what)?;
        let after_first = self.pos;
        match self.peek() {
            None | Some(b':') => return Ok(Some(first)),
            Some(b'~') => raw.end_of_month = true,
            Some(b'-') => {}
            Some(_) => return Err(self.expected(after_first, "'-', '~' or ':' after a number")),
        }
        self.pos += 1;
        let second = self.chain(false, "a month or a day")?;
        if matches!(self.peek(), None | Some(b' ')) {
            self.skip_spaces();
            raw.month = first;
            raw.day = second;
            return Ok(None);
        }
        if raw.end_of_month {
            return Err(self.expected(self.pos, "the time after '~DAY'"));
        }
        match self.peek() {
            Some(b'~') => raw.end_of_month = true,
            Some(b'-') => {}
            _ => return Err(self.expected(self.pos, "'-' or '~' before the day")),
        }
        self.pos += 1;
        let third = self.chain(false, "a day")?;
        if !matches!(self.peek(), None | Some(b' ')) {
            return Err(self.expected(self.pos, "a space between the date and the time"));
        }
        self.skip_spaces();
        raw.year = first;
        raw.month = second;
        raw.day = third;
        Ok(None)
    }

    /// `HOUR:MINUTE[:SECOND]` to the end, or nothing (midnight). `hour`:
    /// the hour, if [`Parser::date`] read it.
    fn time(&mut self, raw: &mut RawSpec, hour: Option<RawChain>) -> Result<(), ParseError> {
        if hour.is_none() && self.at_end() {
            raw.hour = RawChain::single(0, self.pos);
            raw.minute = RawChain::single(0, self.pos);
            raw.second = RawChain::single(0, self.pos);
            return Ok(());
        }
        let what = if raw.weekdays == 0 && raw.month.at.is_none() {
            "a weekday or a date"
        } else {
            "a time"
        };
        raw.hour = match hour {
            Some(hour) => hour,
            None => self.chain(false, what)?,
        };
        if self.peek() != Some(b':') {
            return Err(self.expected(self.pos, "':' after the hour"));
        }
        self.pos += 1;
        raw.minute = self.chain(false, "a minute")?;
        match self.peek() {
            None => {
                raw.second = RawChain::single(0, self.pos);
                return Ok(());
            }
            Some(b':') => self.pos += 1,
            Some(_) => return Err(self.expected(self.pos, "':' or the end after the minute")),
        }
        raw.second = self.chain(true, "a second")?;
        if !self.at_end() {
            return Err(self.expected(self.pos, "the end after the seconds"));
        }
        Ok(())
    }

    /// `*` or a comma-separated list of entries. `usec` reads seconds with
    /// fractions, in microseconds. `what` names what the first byte should be.
    fn chain(&mut self, usec: bool, what: &str) -> Result<RawChain, ParseError> {
        let at = self.pos;
        if self.peek() == Some(b'*') {
            self.pos += 1;
            let entries = if usec { vec![EVERY_SECOND] } else { Vec::new() };
            return Ok(RawChain {
                entries,
                at: Some(at),
            });
        }
        let mut entries = Vec::new();
        loop {
            if entries.len() == MAX_CHAIN_ENTRIES {
                return Err(self.error(
                    self.pos,
                    format!("a list may have at most {MAX_CHAIN_ENTRIES} entries"),
                ));
            }
            let what = if entries.is_empty() {
                what
            } else {
                "a number after ','"
            };
            entries.push(self.component(usec, what)?);
            if self.peek() != Some(b',') {
                return Ok(RawChain {
                    entries,
                    at: Some(at),
                });
            }
            self.pos += 1;
        }
    }

    /// `N`, `N..M`, `N/R` or `N..M/R`.
    fn component(&mut self, usec: bool, what: &str) -> Result<Component, ParseError> {
        let at = self.pos;
        let start = self.decimal(usec, what)?;
        let mut stop = -1;
        let mut repeat = 0;
        if self.peek() == Some(b'.') && self.peek_at(self.pos + 1) == Some(b'.') {
            self.pos += 2;
            stop = self.decimal(usec, "a number after '..'")?;
            repeat = if usec { USEC_PER_SEC } else { 1 };
        }
        if self.peek() == Some(b'/') {
            let slash = self.pos;
            self.pos += 1;
            repeat = self.decimal(usec, "a number after '/'")?;
            if repeat == 0 {
                return Err(self.error(slash, "a repetition must be greater than zero"));
            }
        } else if usec && stop >= 0 && i64::from(start) + i64::from(repeat) > i64::from(stop) {
            // systemd: a range of seconds steps by whole seconds unless told
            // otherwise, so its end must lie a whole second past its start.
            return Err(self.error(
                at,
                format!(
                    "range {} needs a '/repetition' shorter than a second",
                    self.found(at)
                ),
            ));
        }
        if !matches!(self.peek(), None | Some(b' ' | b',' | b'-' | b'~' | b':')) {
            return Err(self.expected(self.pos, "',', '-', '~', ':' or a space after a number"));
        }
        Ok(Component {
            start,
            stop,
            repeat,
        })
    }

    /// Digits, and for seconds an optional `.fraction` rounded to microseconds
    /// as systemd does (six digits, rounded up when the seventh is 5 or more).
    fn decimal(&mut self, usec: bool, what: &str) -> Result<i32, ParseError> {
        let at = self.pos;
        if !self.peek().is_some_and(|b| b.is_ascii_digit()) {
            return Err(self.expected(at, what));
        }
        let mut value = self.digits(at, what)?;
        if usec {
            value = value
                .checked_mul(USEC_PER_SEC as u64)
                .ok_or_else(|| self.error(at, format!("number {} is too large", self.found(at))))?;
            // One '.' is a decimal point, two are a range.
            if self.peek() == Some(b'.') && self.peek_at(self.pos + 1) != Some(b'.') {
                self.pos += 1;
                value += u64::from(self.fraction()?);
            }
        }
        i32::try_from(value)
            .map_err(|_| self.error(at, format!("number {} is too large", self.found(at))))
    }

    /// The digits after a decimal point, in microseconds.
    fn fraction(&mut self) -> Result<u32, ParseError> {
        let at = self.pos;
        let mut micros = 0u32;
        let mut taken = 0;
        while taken < 6 {
            match self.peek() {
                Some(d) if d.is_ascii_digit() => {
                    micros = micros * 10 + u32::from(d - b'0');
                    self.pos += 1;
                    taken += 1;
                }
                _ if taken == 0 => return Err(self.expected(at, "digits after the decimal point")),
                _ => break,
            }
        }
        for _ in taken..6 {
            micros *= 10;
        }
        if self.peek().is_some_and(|d| (b'5'..=b'9').contains(&d)) {
            micros += 1;
        }
        while self.peek().is_some_and(|d| d.is_ascii_digit()) {
            self.pos += 1;
        }
        Ok(micros)
    }
}
