//! Parsers for the value types directives share: booleans, spans, unit name
//! lists, paths, sizes, percentages, signals, exit status lists, users.

use std::path::PathBuf;

use sundial_calendar::{CalendarSpec, ParseError, Timespan, Zone, ZoneSource};

use super::diag::ValueError;
use super::exec::split_words;
use super::exit_status::{parse_exit_status_word, ExitStatusSet, ExitStatusWord};
use super::name::UnitName;
use super::signal::Signal;
use super::specifiers::Specifiers;

/// systemd's `parse_boolean`: case-insensitive `1 yes y true t on` and
/// `0 no n false f off`.
pub fn parse_bool(s: &str) -> Result<bool, ValueError> {
    let lower = s.to_ascii_lowercase();
    match lower.as_str() {
        "1" | "yes" | "y" | "true" | "t" | "on" => Ok(true),
        "0" | "no" | "n" | "false" | "f" | "off" => Ok(false),
        _ => Err(ValueError::Bool(s.to_owned())),
    }
}

/// A time span (bare number = seconds).
pub fn parse_timespan(s: &str) -> Result<Timespan, ValueError> {
    Timespan::parse(s).map_err(ValueError::Timespan)
}

/// An `OnCalendar=` value.
pub fn parse_calendar(
    s: &str,
    local: &Zone,
    zones: &dyn ZoneSource,
) -> Result<CalendarSpec, ParseError> {
    CalendarSpec::parse(s, local, zones)
}

/// A timeout where `0` means "no timeout" (systemd stores infinity).
pub fn parse_timeout(s: &str) -> Result<Timespan, ValueError> {
    let t = parse_timespan(s)?;
    Ok(if t.is_zero() { Timespan::INFINITY } else { t })
}

/// A space-separated list of unit names with specifiers expanded. Bad names
/// are reported and skipped; the good ones are returned.
pub fn parse_unit_names(s: &str, specifiers: &Specifiers<'_>) -> (Vec<UnitName>, Vec<ValueError>) {
    let mut names = Vec::new();
    let mut errors = Vec::new();
    // systemd splits dependency lists on whitespace with quotes kept as
    // written (EXTRACT_RETAIN_ESCAPE), so quotes end up in the name and make it
    // invalid.
    for word in s.split([' ', '\t', '\n', '\r']) {
        if word.is_empty() {
            continue;
        }
        let expanded = match specifiers.expand(word) {
            Ok(w) => w,
            Err(e) => {
                errors.push(ValueError::Specifier(e));
                continue;
            }
        };
        match UnitName::parse(&expanded) {
            Ok(n) => names.push(n),
            Err(e) => errors.push(ValueError::UnitName(e)),
        }
    }
    (names, errors)
}

/// An absolute path with specifiers expanded; systemd's
/// `path_simplify_and_warn(PATH_CHECK_ABSOLUTE)`.
pub fn parse_abs_path(s: &str, specifiers: &Specifiers<'_>) -> Result<PathBuf, ValueError> {
    let expanded = specifiers.expand(s)?;
    check_abs_path(&expanded)
}

/// Checks an already expanded path: absolute, no `..` component. Duplicate
/// slashes and `.` components are dropped.
pub fn check_abs_path(p: &str) -> Result<PathBuf, ValueError> {
    if !p.starts_with('/') || p.contains('\0') {
        return Err(ValueError::Path(p.to_owned()));
    }
    let parts: Vec<&str> = p
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    if parts.contains(&"..") {
        return Err(ValueError::Invalid(format!(
            "path '{p}' contains a '..' component"
        )));
    }
    Ok(PathBuf::from(format!("/{}", parts.join("/"))))
}

/// systemd's `parse_size` with base 1024: `500M`, `1.5G`, `1024`, `2T`.
pub fn parse_size(s: &str) -> Result<u64, ValueError> {
    let bad = || ValueError::Size(s.to_owned());
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let unit = unit.trim_start();
    let factor: u64 = match unit {
        "" | "B" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        "P" => 1 << 50,
        "E" => 1 << 60,
        _ => return Err(bad()),
    };
    if num.is_empty() || num.starts_with('.') {
        return Err(bad());
    }
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    if frac.contains('.') {
        return Err(bad());
    }
    let int: u64 = int.parse().map_err(|_| bad())?;
    let mut value = int.checked_mul(factor).ok_or_else(bad)?;
    if !frac.is_empty() {
        let digits = frac.len().min(18);
        let frac_num: u64 = frac[..digits].parse().map_err(|_| bad())?;
        let denom = 10u64.pow(u32::try_from(digits).map_err(|_| bad())?);
        let extra = u128::from(frac_num) * u128::from(factor) / u128::from(denom);
        value = value
            .checked_add(u64::try_from(extra).map_err(|_| bad())?)
            .ok_or_else(bad)?;
    }
    Ok(value)
}

/// A percentage with up to two decimals, in per ten thousand (`12.5%` =
/// 1250). `max` caps the percentage (100 for most, none for CPUQuota=).
pub fn parse_permyriad(s: &str, max_percent: Option<u32>) -> Result<u32, ValueError> {
    let bad = || ValueError::Invalid(format!("invalid percentage '{s}'"));
    let num = s.strip_suffix('%').ok_or_else(bad)?;
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 2 {
        return Err(bad());
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let int: u32 = int.parse().map_err(|_| bad())?;
    let frac_v: u32 = if frac.is_empty() {
        0
    } else {
        let f: u32 = frac.parse().map_err(|_| bad())?;
        if frac.len() == 1 {
            f * 10
        } else {
            f
        }
    };
    if max_percent.is_some_and(|m| int > m || (int == m && frac_v > 0)) {
        return Err(bad());
    }
    int.checked_mul(100)
        .and_then(|v| v.checked_add(frac_v))
        .ok_or_else(bad)
}

/// A signal name or number.
pub fn parse_signal(s: &str) -> Result<Signal, ValueError> {
    Signal::parse(s).ok_or_else(|| ValueError::Signal(s.to_owned()))
}

/// Adds the words of an exit status list to `set`; returns the words that
/// did not parse (systemd warns about each and keeps the rest).
pub fn parse_exit_status_list(s: &str, set: &mut ExitStatusSet) -> Vec<ValueError> {
    let mut errors = Vec::new();
    for word in s.split_whitespace() {
        match parse_exit_status_word(word) {
            Some(ExitStatusWord::Status(n)) => {
                set.statuses.insert(n);
            }
            Some(ExitStatusWord::Signal(sig)) => {
                set.signals.insert(sig);
            }
            None => errors.push(ValueError::ExitStatus(word.to_owned())),
        }
    }
    errors
}

/// A user or group: a numeric id or a name systemd accepts in relaxed mode
/// (no whitespace, `:`, `/`, control characters, not starting with a digit
/// or `-`, at most 256 bytes).
pub fn parse_user(s: &str, specifiers: &Specifiers<'_>) -> Result<String, ValueError> {
    let u = specifiers.expand(s)?;
    if valid_user_or_group(&u) {
        Ok(u)
    } else {
        Err(ValueError::UserName(u))
    }
}

/// Whether `u` is a valid numeric id or relaxed user/group name.
pub fn valid_user_or_group(u: &str) -> bool {
    if u.is_empty() || u.len() > 256 {
        return false;
    }
    if u.bytes().all(|b| b.is_ascii_digit()) {
        // systemd: UID_INVALID (2^32-1) and the 16-bit -1 are not valid ids.
        return u.parse::<u32>().is_ok_and(|n| n != u32::MAX && n != 65535);
    }
    if u == "." || u == ".." || u.starts_with('-') {
        return false;
    }
    !u.chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, ':' | '/' | ','))
}

/// A valid environment variable name: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn valid_env_name(n: &str) -> bool {
    let mut chars = n.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `NAME=VALUE` pairs in order.
pub type Assignments = Vec<(String, String)>;

/// `Environment=` words: quoted as command lines, specifiers expanded, each
/// `NAME=VALUE`. Returns the good assignments, and problems for the rest.
pub fn parse_environment(
    s: &str,
    specifiers: &Specifiers<'_>,
) -> Result<(Assignments, Vec<ValueError>), ValueError> {
    let (words, _) = split_words(s)?;
    let mut vars = Vec::new();
    let mut errors = Vec::new();
    for word in words {
        let word = match specifiers.expand(&word) {
            Ok(w) => w,
            Err(e) => {
                errors.push(ValueError::Specifier(e));
                continue;
            }
        };
        match word.split_once('=') {
            Some((name, value)) if valid_env_name(name) => {
                vars.push((name.to_owned(), value.to_owned()));
            }
            _ => errors.push(ValueError::Environment(word)),
        }
    }
    Ok((vars, errors))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::specifiers::SpecifierContext;

    #[test]
    fn booleans_all_spellings() {
        for t in ["1", "yes", "Y", "TRUE", "t", "On"] {
            assert_eq!(parse_bool(t), Ok(true), "{t}");
        }
        for f in ["0", "no", "N", "false", "F", "OFF"] {
            assert_eq!(parse_bool(f), Ok(false), "{f}");
        }
        for bad in ["maybe", "2", "", "yess"] {
            assert!(parse_bool(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("500M"), Ok(500 << 20));
        assert_eq!(parse_size("1.5G"), Ok(3 << 29));
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("2 K"), Ok(2048));
        assert!(parse_size("12X").is_err());
        assert!(parse_size("-1").is_err());
        assert!(parse_size("").is_err());
    }

    #[test]
    fn percentages() {
        assert_eq!(parse_permyriad("50%", Some(100)), Ok(5000));
        assert_eq!(parse_permyriad("12.5%", Some(100)), Ok(1250));
        assert_eq!(parse_permyriad("200%", None), Ok(20000));
        assert!(parse_permyriad("200%", Some(100)).is_err());
        assert!(parse_permyriad("50", None).is_err());
        assert!(parse_permyriad("1.234%", None).is_err());
    }

    #[test]
    fn unit_name_lists() {
        let ctx = SpecifierContext::system();
        let me = UnitName::parse("a@x.service").unwrap();
        let s = Specifiers::new(&ctx, &me, None);
        let (names, errors) = parse_unit_names("b.service  c@%i.target bad", &s);
        let names: Vec<&str> = names.iter().map(UnitName::as_str).collect();
        assert_eq!(names, vec!["b.service", "c@x.target"]);
        assert_eq!(errors.len(), 1);
    }

    #[test]
    fn environment_words() {
        let ctx = SpecifierContext::system();
        let me = UnitName::parse("a.service").unwrap();
        let s = Specifiers::new(&ctx, &me, None);
        let (vars, errors) =
            parse_environment("\"DJANGO=my.settings\" 'TWO=two two' X=%n C 1X=2", &s).unwrap();
        assert_eq!(
            vars,
            vec![
                ("DJANGO".into(), "my.settings".into()),
                ("TWO".into(), "two two".into()),
                ("X".into(), "a.service".into())
            ]
        );
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn users() {
        assert!(valid_user_or_group("www-data"));
        assert!(valid_user_or_group("1000"));
        assert!(!valid_user_or_group("4294967295"));
        assert!(!valid_user_or_group("a b"));
        assert!(!valid_user_or_group("-x"));
    }

    #[test]
    fn paths() {
        assert_eq!(check_abs_path("/a//b/./c"), Ok(PathBuf::from("/a/b/c")));
        assert!(check_abs_path("a/b").is_err());
        assert!(check_abs_path("/a/../b").is_err());
    }
}
