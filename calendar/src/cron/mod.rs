//! Cron expressions with the semantics of Vixie cron, cronie and Debian's
//! cron, and their translation into systemd calendar specs.
//!
//! The grammar is cronie's (src/entry.c): five fields `minute hour
//! day-of-month month day-of-week`, each a comma-separated list of `*`,
//! numbers, ranges `a-b`, steps on `*` and on ranges (`*/15`, `1-30/7`),
//! month and weekday names in any case (`jan`, `Mon-fri`), Sunday as 0 or 7,
//! cronie's random values `a~b`, `~b`, `a~` and `~`, and the macros
//! `@reboot`, `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`,
//! `@midnight` and `@hourly`. On request ([`CronOptions::seconds`]) a
//! six-field form with a seconds field first is read as well.
//!
//! The day rule is cron's own (cron.c, `find_jobs`): when the day-of-month
//! or the day-of-week field begins with `*` (including `*/2`), a day must
//! match both fields; when both are restricted, either one matching is
//! enough. So `0 0 13 * 5` runs on every 13th and on every Friday, and
//! `0 0 */2 * 1` only on Mondays that are odd days of the month.
//!
//! Where cronie's versions differ, or this crate departs from cronie:
//!
//! * `~` values are picked from the caller's seed instead of `random()` at
//!   each load, so a job keeps its value across restarts.
//! * A reversed range (`5-1`) is an error, as crontab(5) says ("the first
//!   number must be less than or equal to the second one") and as cronie
//!   up to 1.5.7 and Vixie cron 4.1 refuse it; cronie 1.6.0 to 1.7.2 accept
//!   it silently and set no value. A weekday range ending in 0 (`5-0`,
//!   `sat-sun`) ends on Sunday, as on cronie's master since 2025.
//! * A step after a single value (`5/10`) is an error, as in every cronie
//!   and Vixie cron 4.1.
//! * A step longer than its range (`*/90`) leaves the first value, as in
//!   cronie (which warns) and Vixie cron.
//!
//! ```
//! use sundial_calendar::cron::{CronOptions, CronSchedule};
//!
//! let CronSchedule::Calendar(job) = CronSchedule::parse("30 4 1,15 * fri", &CronOptions::default())?
//! else {
//!     unreachable!("not @reboot")
//! };
//! // Both day fields restricted: the 1st and 15th, and every Friday.
//! assert_eq!(
//!     job.calendar_specs(),
//!     ["*-*-01,15 04:30:00", "Fri *-*-* 04:30:00"]
//! );
//! # Ok::<(), sundial_calendar::cron::CronError>(())
//! ```

use std::fmt;

use crate::civil::CivilDateTime;

mod error;
mod field;
mod parse;
mod random;
mod translate;

#[cfg(test)]
mod tests_parse;
#[cfg(test)]
mod tests_schedule;

pub use error::{CronError, CronErrorKind, Expectation};
pub use field::CronField;

use field::FieldSet;

/// How cron expressions are read.
///
/// ```
/// use sundial_calendar::cron::{CronOptions, CronSchedule};
///
/// let options = CronOptions { seconds: true, seed: 7 };
/// let every_10s = CronSchedule::parse("*/10 * * * * *", &options).unwrap();
/// assert_eq!(every_10s.to_string(), "*/10 * * * * *");
/// assert!(CronSchedule::parse("*/10 * * * * *", &CronOptions::default()).is_err());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct CronOptions {
    /// Allow the six-field form with seconds first (`sec min hour dom mon
    /// dow`), as container crons built on Go's cron libraries accept.
    pub seconds: bool,
    /// The seed the values of `~` ranges are picked from: a stable value per
    /// job gives the job the same values every time it is parsed.
    pub seed: u64,
}

/// What a crontab schedule says: at boot, or on a calendar.
///
/// `Display` prints `@reboot`, or the expression as [`CronExpr`] prints it.
///
/// ```
/// use sundial_calendar::cron::{CronOptions, CronSchedule};
///
/// let options = CronOptions::default();
/// assert_eq!(CronSchedule::parse("@reboot", &options).unwrap(), CronSchedule::Reboot);
/// let weekly = CronSchedule::parse("@weekly", &options).unwrap();
/// assert_eq!(weekly.to_string(), "0 0 * * 0");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CronSchedule {
    /// `@reboot`: once when cron starts, not a calendar schedule.
    Reboot,
    /// Times of day on days of the calendar.
    Calendar(CronExpr),
}

impl CronSchedule {
    /// A whole expression (`"*/5 * * * *"`, `"@daily"`), nothing after it.
    /// Blanks (spaces and tabs) around and between fields are allowed.
    ///
    /// ```
    /// use sundial_calendar::cron::{CronOptions, CronSchedule};
    ///
    /// let options = CronOptions::default();
    /// assert!(CronSchedule::parse("*/5 * * * *", &options).is_ok());
    /// let err = CronSchedule::parse("0 0 * * mnd", &options).unwrap_err();
    /// assert_eq!(err.offset(), 8);
    /// assert_eq!(err.kind().to_string(), "expected a weekday name or number, found 'mnd'");
    /// ```
    pub fn parse(text: &str, options: &CronOptions) -> Result<CronSchedule, CronError> {
        parse::parse_whole(text, options)
    }

    /// The schedule at the start of a crontab line, and the byte offset
    /// where the rest (user field or command) begins, after the blanks.
    ///
    /// With `options.seconds`, a line whose first six words form a valid
    /// six-field expression and go on after it is read as six-field, as
    /// supercronic tries its longer forms first; otherwise five fields.
    /// As in cron, the rest must not be empty and must not begin with `*`
    /// (cron's guard against one time field too many).
    ///
    /// ```
    /// use sundial_calendar::cron::{CronOptions, CronSchedule};
    ///
    /// let line = "15 3 * * 1-5\t/usr/bin/backup --full";
    /// let (schedule, rest) = CronSchedule::parse_prefix(line, &CronOptions::default())?;
    /// assert_eq!(schedule.to_string(), "15 3 * * 1-5");
    /// assert_eq!(&line[rest..], "/usr/bin/backup --full");
    /// # Ok::<(), sundial_calendar::cron::CronError>(())
    /// ```
    pub fn parse_prefix(
        line: &str,
        options: &CronOptions,
    ) -> Result<(CronSchedule, usize), CronError> {
        parse::parse_prefix(line, options)
    }
}

impl fmt::Display for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CronSchedule::Reboot => f.write_str("@reboot"),
            CronSchedule::Calendar(expr) => expr.fmt(f),
        }
    }
}

/// A calendar cron expression: five fields, or six with seconds first.
///
/// `Display` prints the fields as written, blanks reduced to one space,
/// `~` items replaced by their picked values, and macros as the fields
/// they stand for (`@daily` prints as `0 0 * * *`); parsing the printed
/// form gives back an equal expression.
///
/// ```
/// use sundial_calendar::cron::{CronOptions, CronSchedule};
///
/// let options = CronOptions { seconds: false, seed: 42 };
/// let schedule = CronSchedule::parse("~  3 * * *", &options).unwrap();
/// let printed = schedule.to_string();
/// let minute: u32 = printed.split(' ').next().unwrap().parse().unwrap();
/// assert!(minute < 60);
/// assert_eq!(printed, format!("{minute} 3 * * *"));
/// // The same seed picks the same minute.
/// assert_eq!(CronSchedule::parse("~ 3 * * *", &options).unwrap(), schedule);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CronExpr {
    second: Option<FieldSet>,
    minute: FieldSet,
    hour: FieldSet,
    day_of_month: FieldSet,
    month: FieldSet,
    day_of_week: FieldSet,
    /// The fields as written, `~` items resolved, one space apart.
    text: String,
}

impl CronExpr {
    /// The expression of five fields, or six with seconds first, and its
    /// text.
    fn from_fields(mut fields: Vec<FieldSet>, text: String) -> CronExpr {
        let second = (fields.len() == 6).then(|| fields.remove(0));
        let mut fields = fields.into_iter();
        let mut next = || {
            fields
                .next()
                .expect("the parser reads five fields after any seconds")
        };
        CronExpr {
            second,
            minute: next(),
            hour: next(),
            day_of_month: next(),
            month: next(),
            day_of_week: next(),
            text,
        }
    }

    /// The `OnCalendar=` values (systemd calendar syntax, no time zone)
    /// whose union elapses exactly when cron runs the job: one value, or two
    /// when both day fields are restricted and neither allows every day
    /// (one per day field, since a spec's fields must all match).
    ///
    /// The minute, hour and second components keep cron's wildcard mark
    /// (see [`CronExpr::is_wildcard`]) readable in the spec's normal form
    /// wherever systemd allows it exactly:
    ///
    /// * A field `*` becomes `*`.
    /// * A field `*/N` whose step divides the field (60, or 24 for hours)
    ///   becomes the open repetition `00/N`, followed by the field's other
    ///   items (`*/20,5` becomes `00/20,05`).
    /// * Every other field becomes values and closed ranges (`0-59/5`
    ///   becomes `00..55/5`, `0-23` becomes `00..23`), which never print as
    ///   `*` or as an open `00/N`.
    /// * The exception: `*/N` with a step that does not divide the field
    ///   (`*/7`, hours `*/5`) or is as long as it (`*/60`) becomes values or
    ///   a closed range too (`00..56/7`, `00`), and
    ///   its wildcard mark is left to [`CronExpr::is_wildcard`]. systemd's
    ///   open repetition is not exact there: it overshoots the field, and
    ///   where the carry crosses a day (minutes, seconds) or a month
    ///   (hours) systemd 252 skips the next `00` (`*:00/7` gives 00:07
    ///   after 23:56, not 00:00).
    ///
    /// Five-field expressions fire at second `00`. Day-of-month and month
    /// are `*` or values and closed ranges. Weekdays are listed one by one
    /// (`Fri,Sat,Sun`), which systemd's normal form compresses. Impossible
    /// dates are kept (`0 0 31 2 *` gives `*-02-31 00:00:00`, which never
    /// elapses).
    ///
    /// ```
    /// use sundial_calendar::cron::{CronOptions, CronSchedule};
    /// use sundial_calendar::zone::BundledZones;
    /// use sundial_calendar::{CalendarSpec, Zone};
    ///
    /// let options = CronOptions::default();
    /// let CronSchedule::Calendar(job) = CronSchedule::parse("*/15 9-17 * * mon-fri", &options)?
    /// else {
    ///     unreachable!()
    /// };
    /// let specs = job.calendar_specs();
    /// assert_eq!(specs, ["Mon,Tue,Wed,Thu,Fri *-*-* 09..17:00/15:00"]);
    /// let spec = CalendarSpec::parse(&specs[0], &Zone::utc(), &BundledZones::new()).unwrap();
    /// assert_eq!(spec.to_string(), "Mon..Fri *-*-* 09..17:00/15:00");
    /// # Ok::<(), sundial_calendar::cron::CronError>(())
    /// ```
    pub fn calendar_specs(&self) -> Vec<String> {
        translate::calendar_specs(self)
    }

    /// Whether a wall-clock time is one at which cron runs the job.
    ///
    /// Times are taken to the second (microseconds are ignored); five-field
    /// expressions match only at second 0. Invalid dates never match.
    ///
    /// ```
    /// use sundial_calendar::cron::{CronOptions, CronSchedule};
    /// use sundial_calendar::CivilDateTime;
    ///
    /// let CronSchedule::Calendar(job) = CronSchedule::parse("0 0 13 * 5", &CronOptions::default())?
    /// else {
    ///     unreachable!()
    /// };
    /// // 2024-09-13 is a Friday the 13th, 2024-09-20 a Friday, 2024-10-13 a Sunday.
    /// for day in [(2024, 9, 13), (2024, 9, 20), (2024, 10, 13)] {
    ///     assert!(job.matches(&CivilDateTime::date(day.0, day.1, day.2)));
    /// }
    /// assert!(!job.matches(&CivilDateTime::date(2024, 9, 14)));
    /// # Ok::<(), sundial_calendar::cron::CronError>(())
    /// ```
    pub fn matches(&self, t: &CivilDateTime) -> bool {
        if !t.is_valid() {
            return false;
        }
        let second = match &self.second {
            Some(set) => set.has(t.second),
            None => t.second == 0,
        };
        let (dom, dow) = (&self.day_of_month, &self.day_of_week);
        let in_dom = dom.has(t.day);
        // Weekday counts from Monday, cron from Sunday.
        let in_dow = dow.has((t.weekday().index() + 1) % 7);
        // cron.c: a day field that begins with `*` makes the day match both.
        let day = if dom.is_star() || dow.is_star() {
            in_dom && in_dow
        } else {
            in_dom || in_dow
        };
        second
            && self.minute.has(t.minute)
            && self.hour.has(t.hour)
            && self.month.has(t.month)
            && day
    }

    /// Vixie cron's "wildcard job": the minute or the hour field begins with
    /// `*`. Cron runs such a job in both passes of a repeated DST hour and
    /// does not catch it up after a spring-forward gap.
    ///
    /// ```
    /// use sundial_calendar::cron::{CronOptions, CronSchedule};
    ///
    /// let options = CronOptions::default();
    /// let wildcard = |text| match CronSchedule::parse(text, &options).unwrap() {
    ///     CronSchedule::Calendar(job) => job.is_wildcard(),
    ///     CronSchedule::Reboot => unreachable!(),
    /// };
    /// assert!(wildcard("*/5 2 * * *"));
    /// assert!(wildcard("@hourly"));
    /// assert!(!wildcard("0-59 2 * * *"));
    /// ```
    pub fn is_wildcard(&self) -> bool {
        self.minute.is_star() || self.hour.is_star()
    }

    /// Whether the expression has a seconds field (the six-field form).
    ///
    /// ```
    /// use sundial_calendar::cron::{CronOptions, CronSchedule};
    ///
    /// let options = CronOptions { seconds: true, seed: 0 };
    /// match CronSchedule::parse("30 * * * * *", &options).unwrap() {
    ///     CronSchedule::Calendar(job) => assert!(job.has_seconds()),
    ///     CronSchedule::Reboot => unreachable!(),
    /// }
    /// ```
    pub fn has_seconds(&self) -> bool {
        self.second.is_some()
    }
}

impl fmt::Display for CronExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
