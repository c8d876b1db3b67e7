//! The grammar of cron expressions, as cronie's `load_entry`, `get_list`,
//! `get_range` and `get_number` (src/entry.c) read them.
//!
//! Each rule takes the rest of its item and returns its value and what
//! follows. Errors point at the offending token, found by its position in
//! the whole input.

use std::borrow::Cow;

use super::error::{CronError, CronErrorKind, Expectation};
use super::field::{CronField, FieldSet, FIVE_FIELDS, SIX_FIELDS};
use super::random::Picker;
use super::{CronExpr, CronOptions, CronSchedule};

/// A word of the input and its byte offset.
type Word<'a> = (usize, &'a str);

/// The words of `input` between blanks (cron skips spaces and tabs).
fn words(input: &str) -> Vec<Word<'_>> {
    let mut words = Vec::new();
    let mut start = None;
    for (i, b) in input.bytes().enumerate() {
        match (b == b' ' || b == b'\t', start) {
            (true, Some(s)) => {
                words.push((s, &input[s..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push((s, &input[s..]));
    }
    words
}

pub(super) fn parse_whole(input: &str, options: &CronOptions) -> Result<CronSchedule, CronError> {
    let words = words(input);
    let Some(&(at, first)) = words.first() else {
        let kind = CronErrorKind::Expected {
            expected: Expectation::Expression,
            found: String::new(),
        };
        return Err(CronError::new(input, input.len(), kind));
    };
    if first.starts_with('@') {
        let schedule = macro_schedule(input, at, first)?;
        return match words.get(1) {
            None => Ok(schedule),
            Some(&(at, word)) => {
                let kind = CronErrorKind::Expected {
                    expected: Expectation::End,
                    found: word.to_owned(),
                };
                Err(CronError::new(input, at, kind))
            }
        };
    }
    let fields: &[CronField] = match words.len() {
        5 => &FIVE_FIELDS,
        6 if options.seconds => &SIX_FIELDS,
        n if n < 5 => {
            let kind = CronErrorKind::MissingField {
                field: FIVE_FIELDS[n],
            };
            return Err(CronError::new(input, input.len(), kind));
        }
        n => {
            let allowed = if options.seconds { 6 } else { 5 };
            let kind = CronErrorKind::TooManyFields {
                found: n,
                seconds_allowed: options.seconds,
            };
            return Err(CronError::new(input, words[allowed].0, kind));
        }
    };
    expression(input, &words, fields, options.seed).map(CronSchedule::Calendar)
}

pub(super) fn parse_prefix(
    line: &str,
    options: &CronOptions,
) -> Result<(CronSchedule, usize), CronError> {
    let words = words(line);
    let Some(&(at, first)) = words.first() else {
        let kind = CronErrorKind::MissingField {
            field: CronField::Minute,
        };
        return Err(CronError::new(line, line.len(), kind));
    };
    let (schedule, used) = if first.starts_with('@') {
        (macro_schedule(line, at, first)?, 1)
    } else {
        let expr = fields_of_line(line, &words, options)?;
        let used = if expr.has_seconds() { 6 } else { 5 };
        (CronSchedule::Calendar(expr), used)
    };
    // cronie: a line must go on after its schedule, and not with a `*`
    // ("catch a common typo": one field too many).
    match words.get(used) {
        None => Err(CronError::new(
            line,
            line.len(),
            CronErrorKind::MissingCommand,
        )),
        Some(&(at, word)) if word.starts_with('*') => {
            Err(CronError::new(line, at, CronErrorKind::StarCommand))
        }
        Some(&(at, _)) => Ok((schedule, at)),
    }
}

/// The time fields at the start of a crontab line. With seconds allowed, six
/// fields are taken when they parse and something follows them, as
/// supercronic tries its longer forms first; otherwise five.
fn fields_of_line(
    line: &str,
    words: &[Word<'_>],
    options: &CronOptions,
) -> Result<CronExpr, CronError> {
    let six = if options.seconds && words.len() > 6 {
        match expression(line, &words[..6], &SIX_FIELDS, options.seed) {
            Ok(expr) => return Ok(expr),
            Err(e) => Some(e),
        }
    } else {
        None
    };
    let Some(five_words) = words.get(..5) else {
        let kind = CronErrorKind::MissingField {
            field: FIVE_FIELDS[words.len()],
        };
        return Err(CronError::new(line, line.len(), kind));
    };
    match (
        expression(line, five_words, &FIVE_FIELDS, options.seed),
        six,
    ) {
        (Ok(expr), _) => Ok(expr),
        // Both readings fail: the one that got further explains more.
        (Err(five), Some(six)) if six.offset() > five.offset() => Err(six),
        (Err(five), _) => Err(five),
    }
}

/// A macro (`@daily`); cronie compares the word case-sensitively.
fn macro_schedule(input: &str, at: usize, word: &str) -> Result<CronSchedule, CronError> {
    let fields = match &word[1..] {
        "reboot" => return Ok(CronSchedule::Reboot),
        "yearly" | "annually" => "0 0 1 1 *",
        "monthly" => "0 0 1 * *",
        "weekly" => "0 0 * * 0",
        "daily" | "midnight" => "0 0 * * *",
        "hourly" => "0 * * * *",
        _ => {
            let kind = CronErrorKind::UnknownMacro {
                found: word.to_owned(),
            };
            return Err(CronError::new(input, at, kind));
        }
    };
    let expr = expression(fields, &words(fields), &FIVE_FIELDS, 0)
        .expect("every macro stands for five valid fields");
    Ok(CronSchedule::Calendar(expr))
}

/// The fields `words` (five or six) as `fields` say.
fn expression(
    input: &str,
    words: &[Word<'_>],
    fields: &[CronField],
    seed: u64,
) -> Result<CronExpr, CronError> {
    let mut picker = Picker::new(seed);
    let mut sets = Vec::with_capacity(fields.len());
    let mut texts = Vec::with_capacity(fields.len());
    for (&(_, word), &field) in words.iter().zip(fields) {
        let mut parser = FieldParser {
            input,
            field,
            picker: &mut picker,
        };
        let (set, text) = parser.field(word)?;
        sets.push(set);
        texts.push(text);
    }
    Ok(CronExpr::from_fields(sets, texts.join(" ")))
}

/// One item of a field's list, as parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Item {
    /// `*` or `*/step`.
    Star { step: u32 },
    /// `v`, `a-b` or `a-b/step` (a single value is the range `v-v`).
    Range { start: u32, end: u32, step: u32 },
    /// `a~b` and its forms: the value picked.
    Random(u32),
}

impl Item {
    fn bits(self, field: CronField) -> u64 {
        let (start, end, step) = match self {
            Item::Star { step } => (field.low(), field.high(), step),
            Item::Range { start, end, step } => (start, end, step),
            Item::Random(v) => (v, v, 1),
        };
        (start..=end)
            .step_by(step as usize)
            .fold(0, |bits, v| bits | 1 << v)
    }
}

/// Reads the fields of one input, each in its turn.
struct FieldParser<'a, 'p> {
    input: &'a str,
    field: CronField,
    picker: &'p mut Picker,
}

impl<'a> FieldParser<'a, '_> {
    /// A field: items separated by commas; with its text, `~` items
    /// replaced by the values picked for them.
    fn field(&mut self, text: &'a str) -> Result<(FieldSet, String), CronError> {
        let mut bits = 0;
        let mut leading_star = None;
        let mut items = Vec::new();
        for (i, item_text) in text.split(',').enumerate() {
            if item_text.is_empty() {
                let kind = CronErrorKind::EmptyItem { field: self.field };
                return Err(self.error(item_text, kind));
            }
            let item = self.item(item_text)?;
            if let (0, Item::Star { step }) = (i, item) {
                leading_star = Some(step);
            }
            bits |= item.bits(self.field);
            items.push(match item {
                Item::Random(v) => Cow::Owned(v.to_string()),
                _ => Cow::Borrowed(item_text),
            });
        }
        // cronie: "make sundays equivalent".
        if self.field == CronField::DayOfWeek && bits & 1 << 7 != 0 {
            bits = (bits & !(1 << 7)) | 1;
        }
        let set = FieldSet { bits, leading_star };
        Ok((set, items.join(",")))
    }

    /// `*[/step]`, `~[b]`, or a value followed by `-b[/step]`, `~[b]` or
    /// nothing.
    fn item(&mut self, s: &'a str) -> Result<Item, CronError> {
        if let Some(rest) = s.strip_prefix('*') {
            let Some(rest) = rest.strip_prefix('/') else {
                self.end_of_item(rest, Expectation::AfterStar(self.field))?;
                return Ok(Item::Star { step: 1 });
            };
            let (step, rest) = self.step(rest)?;
            self.end_of_item(rest, Expectation::ItemEnd(self.field))?;
            return Ok(Item::Star { step });
        }
        if let Some(rest) = s.strip_prefix('~') {
            let low = self.field.low();
            return self.random(s, low, &low.to_string(), rest);
        }
        let (start, start_text, rest) = self.value(s)?;
        if let Some(rest) = rest.strip_prefix('-') {
            return self.range(start, start_text, rest);
        }
        if let Some(rest) = rest.strip_prefix('~') {
            return self.random(s, start, start_text, rest);
        }
        if let Some(step) = rest.strip_prefix('/') {
            // Vixie cron and cronie accept a step only after `*` or a range.
            let kind = CronErrorKind::StepWithoutRange {
                field: self.field,
                value: start_text.to_owned(),
                step: step.to_owned(),
            };
            return Err(self.error(rest, kind));
        }
        if self.field == CronField::DayOfWeek && rest.starts_with('#') {
            let kind = CronErrorKind::Unsupported {
                found: s.to_owned(),
                feature: "Quartz's nth-weekday '#'",
            };
            return Err(self.error(s, kind));
        }
        self.end_of_item(rest, Expectation::ItemEnd(self.field))?;
        Ok(Item::Range {
            start,
            end: start,
            step: 1,
        })
    }

    /// The rest of `a-b[/step]` after the `-`.
    fn range(&mut self, start: u32, start_text: &'a str, s: &'a str) -> Result<Item, CronError> {
        let (mut end, end_text, rest) = self.value(s)?;
        // cronie (master, 2025): a weekday range ending in 0 ends on
        // Sunday, as 7.
        if self.field == CronField::DayOfWeek && end == 0 && start > 0 {
            end = 7;
        }
        if start > end {
            let kind = CronErrorKind::ReversedRange {
                field: self.field,
                start: start_text.to_owned(),
                end: end_text.to_owned(),
                random: false,
            };
            return Err(self.error(start_text, kind));
        }
        let (step, rest) = match rest.strip_prefix('/') {
            Some(rest) => self.step(rest)?,
            None => (1, rest),
        };
        self.end_of_item(rest, Expectation::ItemEnd(self.field))?;
        Ok(Item::Range { start, end, step })
    }

    /// The rest of cronie's `[a]~[b]` after the `~`: one value picked in
    /// `a..=b`, where a missing `a` or `b` is the field's first or last.
    fn random(
        &mut self,
        item: &'a str,
        start: u32,
        start_text: &str,
        s: &'a str,
    ) -> Result<Item, CronError> {
        let (end, end_text, rest) = if s.is_empty() {
            (self.field.high(), "", s)
        } else {
            self.value(s)?
        };
        // cronie: nothing may follow, not even a step.
        self.end_of_item(rest, Expectation::ItemEnd(self.field))?;
        if start > end {
            let kind = CronErrorKind::ReversedRange {
                field: self.field,
                start: start_text.to_owned(),
                end: end_text.to_owned(),
                random: true,
            };
            return Err(self.error(item, kind));
        }
        Ok(Item::Random(self.picker.pick(start, end)))
    }

    /// A number or, for months and weekdays, a three-letter name in any
    /// case; with its text and the rest after it.
    fn value(&self, s: &'a str) -> Result<(u32, &'a str, &'a str), CronError> {
        // cronie reads every letter and digit, then decides what they are.
        let len = s.bytes().take_while(u8::is_ascii_alphanumeric).count();
        let (word, rest) = s.split_at(len);
        if word.bytes().all(|b| b.is_ascii_digit()) && !word.is_empty() {
            let value = word.parse::<u32>().ok();
            return match value.filter(|v| (self.field.low()..=self.field.high()).contains(v)) {
                Some(v) => Ok((v, word, rest)),
                None => {
                    let kind = CronErrorKind::OutOfRange {
                        field: self.field,
                        value: word.to_owned(),
                    };
                    Err(self.error(word, kind))
                }
            };
        }
        if let Some(v) = self.field.value_of_name(word) {
            return Ok((v, word, rest));
        }
        let found = if word.is_empty() { s } else { word };
        let kind = match other_schedulers_syntax(self.field, found) {
            Some(feature) => CronErrorKind::Unsupported {
                found: found.to_owned(),
                feature,
            },
            None => CronErrorKind::Expected {
                expected: Expectation::Value(self.field),
                found: found.to_owned(),
            },
        };
        Err(self.error(s, kind))
    }

    /// The step after a `/`: a number of at least 1 (a step past the end of
    /// the field leaves only the first value, as in cron).
    fn step(&self, s: &'a str) -> Result<(u32, &'a str), CronError> {
        let len = s.bytes().take_while(u8::is_ascii_digit).count();
        let (digits, rest) = s.split_at(len);
        if digits.is_empty() {
            let kind = CronErrorKind::Expected {
                expected: Expectation::Step,
                found: s.to_owned(),
            };
            return Err(self.error(s, kind));
        }
        let step = digits.parse::<u32>().unwrap_or(u32::MAX);
        if step == 0 {
            let kind = CronErrorKind::ZeroStep { field: self.field };
            return Err(self.error(digits, kind));
        }
        Ok((step, rest))
    }

    /// Nothing may follow a complete item but the `,` the list was split at.
    fn end_of_item(&self, rest: &'a str, expected: Expectation) -> Result<(), CronError> {
        if rest.is_empty() {
            return Ok(());
        }
        let kind = CronErrorKind::Expected {
            expected,
            found: rest.to_owned(),
        };
        Err(self.error(rest, kind))
    }

    /// An error at the start of `at`, a slice of the input.
    fn error(&self, at: &str, kind: CronErrorKind) -> CronError {
        let offset = at.as_ptr() as usize - self.input.as_ptr() as usize;
        CronError::new(self.input, offset, kind)
    }
}

/// The extension of Quartz-style schedulers that `found` looks like, so
/// that its rejection says why.
fn other_schedulers_syntax(field: CronField, found: &str) -> Option<&'static str> {
    let upper = found.to_ascii_uppercase();
    let digits_then = |suffix: char| {
        upper
            .strip_suffix(suffix)
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    match field {
        _ if found.starts_with('?') => Some("Quartz's no-specific-value '?'"),
        CronField::DayOfMonth if upper == "L" || upper == "LW" => {
            Some("Quartz's last-day-of-month 'L'")
        }
        CronField::DayOfMonth if digits_then('W') => Some("Quartz's nearest-weekday 'W'"),
        CronField::DayOfWeek if upper == "L" || digits_then('L') => {
            Some("Quartz's last-weekday-of-month 'L'")
        }
        _ => None,
    }
}
