//! `/etc/anacrontab` lines, read as anacron reads them (anacron/readtab.c):
//! `period delay identifier command`, `@daily`-style periods, and `NAME=value`
//! assignments; a backslash at the end of a line continues it.

/// A named period (`@monthly`) or a number of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Period {
    Days(u32),
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

/// One job line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AnacronJob {
    pub period: Period,
    /// Minutes anacron waits after it starts before running the job.
    pub delay: u32,
    pub ident: String,
    /// Run by `/bin/sh -c` as it is: `%` is not special in anacrontab.
    pub command: String,
}

/// What a logical line is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AnacronLine {
    Blank,
    /// A comment line, its text after the `#`s, trimmed.
    Comment(String),
    Assignment(String, String),
    Job(AnacronJob),
    /// anacron skips the line with this complaint.
    Invalid(String),
}

/// The logical lines of an anacrontab: each with the number of its first
/// physical line; `\` before a newline joins the next line with a space.
pub(crate) fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, raw) in text.split('\n').enumerate() {
        let (number, mut line) = current.take().unwrap_or((i + 1, String::new()));
        match raw.strip_suffix('\\') {
            Some(head) => {
                line.push_str(head);
                line.push(' ');
                current = Some((number, line));
            }
            None => {
                line.push_str(raw);
                out.push((number, line));
            }
        }
    }
    if let Some(pending) = current {
        out.push(pending);
    }
    // split() yields an empty last piece after a final newline.
    if text.ends_with('\n') {
        out.pop();
    }
    out
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Classifies one logical line with anacron's regular expressions, tried in
/// its order: empty or comment, assignment, job, named-period job.
pub(crate) fn classify(line: &str) -> AnacronLine {
    let text = line.trim_start_matches(is_blank);
    if text.is_empty() {
        return AnacronLine::Blank;
    }
    if let Some(comment) = text.strip_prefix('#') {
        return AnacronLine::Comment(comment.trim_start_matches('#').trim().to_owned());
    }
    // ^[ \t]*([^ \t=]+)[ \t]*=(.*)$
    let name_end = text
        .find(|c: char| is_blank(c) || c == '=')
        .unwrap_or(text.len());
    if name_end > 0 {
        let after = text[name_end..].trim_start_matches(is_blank);
        if let Some(value) = after.strip_prefix('=') {
            return AnacronLine::Assignment(text[..name_end].to_owned(), value.to_owned());
        }
    }
    let mut fields = Fields(text);
    let period = fields.word();
    let delay = fields.word();
    let ident = fields.word();
    let command = fields.0;
    let shaped = !period.is_empty()
        && !delay.is_empty()
        && delay.bytes().all(|b| b.is_ascii_digit())
        && !ident.is_empty()
        && !ident.contains('/')
        && !command.is_empty();
    if !shaped || !(period.bytes().all(|b| b.is_ascii_digit()) || period.starts_with('@')) {
        return AnacronLine::Invalid("invalid syntax: anacron skips this line".to_owned());
    }
    let Some(delay) = number(delay) else {
        return AnacronLine::Invalid("number out of range: anacron skips this line".to_owned());
    };
    let period = if let Some(name) = period.strip_prefix('@') {
        // anacron compares prefixes (strncmp), and accepts its old misspelling.
        if name.starts_with("monthly") {
            Period::Monthly
        } else if ["yearly", "annually", "annualy"]
            .iter()
            .any(|p| name.starts_with(p))
        {
            Period::Yearly
        } else if name.starts_with("daily") {
            Period::Daily
        } else if name.starts_with("weekly") {
            Period::Weekly
        } else {
            // anacron complains and still registers the job with period 0.
            return AnacronLine::Invalid(format!(
                "unknown named period '{period}' (anacron knows @daily, @weekly, @monthly, \
                 @yearly)"
            ));
        }
    } else {
        match number(period) {
            Some(days) => Period::Days(days),
            None => {
                return AnacronLine::Invalid(
                    "number out of range: anacron skips this line".to_owned(),
                )
            }
        }
    };
    AnacronLine::Job(AnacronJob {
        period,
        delay,
        ident: ident.to_owned(),
        command: command.to_owned(),
    })
}

/// anacron's `conv2int`: digits as an `int`, `None` beyond `INT_MAX`.
fn number(digits: &str) -> Option<u32> {
    digits.parse::<u32>().ok().filter(|&n| n <= i32::MAX as u32)
}

/// Blank-separated words off the front of a line.
struct Fields<'a>(&'a str);

impl<'a> Fields<'a> {
    fn word(&mut self) -> &'a str {
        let end = self.0.find(is_blank).unwrap_or(self.0.len());
        let word = &self.0[..end];
        self.0 = self.0[end..].trim_start_matches(is_blank);
        word
    }
}

/// `START_HOURS_RANGE=from-to`: hours in which anacron starts jobs.
pub(crate) fn parse_hours_range(value: &str) -> Option<(u32, u32)> {
    let (from, to) = value.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(from) || !digits(to) {
        return None;
    }
    let (from, to) = (from.parse().ok()?, to.parse().ok()?);
    (to >= from).then_some((from, to))
}

/// `RANDOM_DELAY=N` and `PREFERRED_HOUR=N`: digits only.
pub(crate) fn parse_minutes(value: &str) -> Option<u32> {
    (!value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()))
        .then(|| value.parse().ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(line: &str) -> AnacronJob {
        match classify(line) {
            AnacronLine::Job(j) => j,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn job_lines_with_days_and_named_periods() {
        let j = job("1\t5\tcron.daily\tnice run-parts /etc/cron.daily");
        assert_eq!(j.period, Period::Days(1));
        assert_eq!(j.delay, 5);
        assert_eq!(j.ident, "cron.daily");
        assert_eq!(j.command, "nice run-parts /etc/cron.daily");
        assert_eq!(job("@monthly 15 m  echo 100%").period, Period::Monthly);
        assert_eq!(job("@annualy 0 y x").period, Period::Yearly);
        assert_eq!(job("  @weekly 0 w x").period, Period::Weekly);
        assert_eq!(job("@daily 0 d x").period, Period::Daily);
    }

    #[test]
    fn assignments_keep_their_value_as_written() {
        assert_eq!(
            classify("  MAILTO = \"root\" "),
            AnacronLine::Assignment("MAILTO".into(), " \"root\" ".into())
        );
        assert_eq!(classify("# c"), AnacronLine::Comment("c".into()));
        assert_eq!(classify("   "), AnacronLine::Blank);
    }

    #[test]
    fn invalid_lines() {
        for line in [
            "1 5 id/x cmd",
            "x 5 id cmd",
            "1 five id cmd",
            "1 5 id",
            "@hourly 0 h x",
        ] {
            assert!(matches!(classify(line), AnacronLine::Invalid(_)), "{line}");
        }
        assert!(matches!(
            classify("99999999999 5 id cmd"),
            AnacronLine::Invalid(m) if m.contains("out of range")
        ));
    }

    #[test]
    fn continued_lines_are_joined() {
        let lines = logical_lines("A=1\n1 5 id echo \\\n  more\nlast");
        assert_eq!(
            lines,
            [
                (1, "A=1".to_owned()),
                (2, "1 5 id echo    more".to_owned()),
                (4, "last".to_owned())
            ]
        );
        assert_eq!(logical_lines("a\n"), [(1, "a".to_owned())]);
    }

    #[test]
    fn ranges_and_minutes() {
        assert_eq!(parse_hours_range("3-22"), Some((3, 22)));
        assert_eq!(parse_hours_range("22-3"), None);
        assert_eq!(parse_hours_range("3 - 22"), None);
        assert_eq!(parse_minutes("45"), Some(45));
        assert_eq!(parse_minutes("45m"), None);
    }
}
