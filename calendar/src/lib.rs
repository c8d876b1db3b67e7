//! Pure systemd time semantics: calendar events, timespans and timestamps.
//!
//! This crate parses, normalizes and evaluates the time expressions that systemd
//! unit files and `systemd-analyze` accept, with systemd 252's exact behaviour:
//!
//! * [`CalendarSpec`]: `OnCalendar=` expressions such as `Mon..Fri *-*-* 09:00
//!   Europe/Berlin`, their normalized form and their next elapse.
//! * [`Timespan`]: `1h 30min`, `5s`, `infinity`, in microseconds.
//! * [`timestamp`]: `2024-02-29 12:00 UTC`, `yesterday`, `+5min`, `@1700000000`.
//! * [`cron`]: cron expressions (`*/5 * * * *`, `@daily`) with cron's own day
//!   rule, and the `OnCalendar=` specs that elapse when cron would run them.
//!
//! Nothing here reads a clock, a file or the environment except through the
//! time-zone sources in [`zone`], which the caller chooses and passes in. The
//! current time is always an argument.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod civil;
pub mod cron;
mod error;
pub mod spec;
pub mod timespan;
pub mod timestamp;
mod wall;
pub mod zone;

pub use civil::{CivilDateTime, Weekday};
pub use error::{InputKind, ParseError};
pub use spec::CalendarSpec;
pub use timespan::Timespan;
pub use timestamp::Timestamp;
pub use zone::{Offset, Zone, ZoneRules, ZoneSource};
