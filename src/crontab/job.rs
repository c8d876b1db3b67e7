//! The lines of a cron crontab, and a job line's fields (cronie's
//! src/misc.c `skip_comments`, src/env.c `load_env`, src/entry.c
//! `load_entry`).

use sundial_calendar::cron::{CronError, CronOptions, CronSchedule};

use super::env::parse_assignment;
use super::naming::stable_hash;

/// What one physical line of a crontab is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Line<'a> {
    /// Empty or blanks only.
    Blank,
    /// `#` as the first non-blank character; the text after the `#`s,
    /// trimmed.
    Comment(&'a str),
    /// `NAME=value`.
    Assignment(String, String),
    /// Anything else: a job, from its first non-blank character.
    Job(&'a str),
}

/// Classifies one line (without its newline). cron skips blanks (spaces
/// and tabs) before deciding.
pub(crate) fn classify(line: &str) -> Line<'_> {
    let text = line.trim_start_matches([' ', '\t']);
    if text.is_empty() {
        return Line::Blank;
    }
    if let Some(comment) = text.strip_prefix('#') {
        return Line::Comment(comment.trim_start_matches('#').trim());
    }
    match parse_assignment(text) {
        Some((name, value)) => Line::Assignment(name, value),
        None => Line::Job(text),
    }
}

/// A job line's parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JobLine {
    /// The schedule as written (`30 2 * * 1-5`, `@daily`).
    pub schedule_text: String,
    /// The schedule, `~` values picked from the job's seed.
    pub schedule: CronSchedule,
    /// The user field of `/etc/crontab` and cron.d lines.
    pub user: Option<String>,
    /// cronie's `-` before the schedule: do not log the command to syslog.
    pub dont_log: bool,
    /// cronie's `-n` before the command: mail only when the job fails.
    pub mail_only_on_error: bool,
    /// The command, as written (before the `%` rule).
    pub command: String,
}

/// Why a job line is rejected, and at which byte of the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JobError {
    /// Byte offset in the text given to [`parse_job`].
    pub offset: usize,
    pub message: String,
}

impl JobError {
    fn at(offset: usize, message: impl Into<String>) -> JobError {
        JobError {
            offset,
            message: message.into(),
        }
    }
}

/// Parses a job line (from its first non-blank character). `user_field`:
/// the line has a user before the command. `seed_key` identifies the file,
/// so that a job's `~` values depend only on its file and its own text.
pub(crate) fn parse_job(
    text: &str,
    user_field: bool,
    seconds: bool,
    seed_key: &str,
) -> Result<JobLine, JobError> {
    let (dont_log, start) = match text.strip_prefix('-') {
        Some(_) => (true, 1),
        None => (false, 0),
    };
    let body = &text[start..];
    let probe = CronOptions { seconds, seed: 0 };
    let (_, rest_at) =
        CronSchedule::parse_prefix(body, &probe).map_err(|e| cron_error(start, &e))?;
    let schedule_text = body[..rest_at].trim_end_matches([' ', '\t']).to_owned();
    let mut at = start + rest_at;
    let mut rest = &text[at..];
    // The `~` values depend on the job, not on where it is in the file.
    let seed = stable_hash(&[seed_key, &schedule_text, rest]);
    let options = CronOptions { seconds, seed };
    let schedule =
        CronSchedule::parse(&schedule_text, &options).map_err(|e| cron_error(start, &e))?;

    let mut user = None;
    if user_field {
        let end = rest.find([' ', '\t']).unwrap_or(rest.len());
        let name = &rest[..end];
        let after = rest[end..].trim_start_matches([' ', '\t']);
        if after.is_empty() {
            return Err(JobError::at(
                at + end,
                format!("expected a command after the user '{name}'"),
            ));
        }
        user = Some(name.to_owned());
        at += rest.len() - after.len();
        rest = after;
    }

    // cronie: options before the command, `-n` (mail only on failure).
    let mut mail_only_on_error = false;
    while let Some(option) = rest.strip_prefix('-') {
        match option.chars().next() {
            Some('n') if !mail_only_on_error => mail_only_on_error = true,
            Some('n') => return Err(JobError::at(at, "option -n given twice")),
            _ => {
                return Err(JobError::at(
                    at,
                    "unknown option before the command (cronie knows only -n; a command cannot \
                     start with '-')",
                ))
            }
        }
        let after = &option[1..];
        if !after.starts_with([' ', '\t']) {
            return Err(JobError::at(at, "expected a blank after the option -n"));
        }
        let command = after.trim_start_matches([' ', '\t']);
        if command.is_empty() {
            return Err(JobError::at(at + 2, "expected a command after -n"));
        }
        at += rest.len() - command.len();
        rest = command;
    }

    Ok(JobLine {
        schedule_text,
        schedule,
        user,
        dont_log,
        mail_only_on_error,
        command: rest.to_owned(),
    })
}

fn cron_error(start: usize, e: &CronError) -> JobError {
    JobError::at(start + e.offset(), e.kind().to_string())
}

/// Whether a comment's text is itself a crontab line or the column header
/// of Debian's crontabs (`m h  dom mon dow   command`): such comments do
/// not name the job below them.
pub(crate) fn comment_is_code(comment: &str) -> bool {
    let words: Vec<&str> = comment.split_whitespace().take(5).collect();
    if words == ["m", "h", "dom", "mon", "dow"] {
        return true;
    }
    if parse_assignment(comment).is_some() {
        return true;
    }
    let options = CronOptions {
        seconds: true,
        seed: 0,
    };
    CronSchedule::parse_prefix(comment.trim_start_matches('-'), &options).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_blank_comments_assignments_or_jobs() {
        assert_eq!(classify(""), Line::Blank);
        assert_eq!(classify(" \t "), Line::Blank);
        assert_eq!(
            classify("  # nightly backup "),
            Line::Comment("nightly backup")
        );
        assert_eq!(classify("## twice"), Line::Comment("twice"));
        assert_eq!(
            classify("  MAILTO=ops"),
            Line::Assignment("MAILTO".into(), "ops".into())
        );
        assert_eq!(classify("\t0 2 * * * run"), Line::Job("0 2 * * * run"));
    }

    fn job(text: &str, user_field: bool) -> JobLine {
        parse_job(text, user_field, false, "/etc/crontab").unwrap()
    }

    #[test]
    fn user_field_and_command() {
        let j = job("30 2 * * 1-5\troot   /usr/local/bin/backup --full", true);
        assert_eq!(j.schedule_text, "30 2 * * 1-5");
        assert_eq!(j.user.as_deref(), Some("root"));
        assert_eq!(j.command, "/usr/local/bin/backup --full");
        assert!(!j.dont_log && !j.mail_only_on_error);
        let j = job("@daily  echo root", false);
        assert_eq!(j.schedule_text, "@daily");
        assert_eq!(j.user, None);
        assert_eq!(j.command, "echo root");
    }

    #[test]
    fn cronie_options_before_schedule_and_command() {
        let j = job("-*/5 * * * * -n  check", false);
        assert!(j.dont_log);
        assert!(j.mail_only_on_error);
        assert_eq!(j.command, "check");
        let err = parse_job("* * * * * -x run", false, false, "f").unwrap_err();
        assert_eq!(err.offset, 10);
        assert!(err.message.contains("unknown option"), "{}", err.message);
        let err = parse_job("* * * * * -n -n run", false, false, "f").unwrap_err();
        assert!(err.message.contains("twice"), "{}", err.message);
    }

    #[test]
    fn errors_point_into_the_line() {
        let err = parse_job("0 60 * * * x", false, false, "f").unwrap_err();
        assert_eq!(err.offset, 2);
        assert_eq!(err.message, "hour 60 out of range 0-23");
        let err = parse_job("0 1 * * * root", true, false, "f").unwrap_err();
        assert_eq!(err.offset, 14);
        assert!(err.message.contains("command after the user 'root'"));
        let err = parse_job("0 1 * * *", false, false, "f").unwrap_err();
        assert!(!err.message.is_empty());
    }

    #[test]
    fn random_values_depend_on_the_job_not_its_place() {
        let a = job("~ ~ * * * backup", false);
        let b = job("~ ~ * * * backup", false);
        assert_eq!(a.schedule, b.schedule);
        let moved = parse_job("~ ~ * * * backup", false, false, "/other/file").unwrap();
        let other = job("~ ~ * * * backup2", false);
        // Another file or another command picks other values (with
        // overwhelming likelihood for these seeds; checked, not assumed).
        assert!(moved.schedule != a.schedule || other.schedule != a.schedule);
    }

    #[test]
    fn comments_that_are_code_or_headers_do_not_name_jobs() {
        assert!(comment_is_code("m h  dom mon dow   command"));
        assert!(comment_is_code(
            "*  *  *  *  * user-name command to be executed"
        ));
        assert!(comment_is_code("0 3 * * * old-job"));
        assert!(comment_is_code("MAILTO=root"));
        assert!(!comment_is_code("nightly backup"));
        assert!(!comment_is_code("Run the 5 o'clock report"));
    }
}
