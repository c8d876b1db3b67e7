//! Mail about a job's run, as cron and anacron send it.
//!
//! cron (cronie src/do_command.c): when the job wrote anything, the output
//! goes to `MAILTO` (the job's user when unset, nobody when empty) through
//! `sendmail -FCronDaemon -i -odi -oem -oi -t -f FROM`, with the headers
//! `From: "(Cron Daemon)" <FROM>`, `To:`, `Subject: Cron <user@host>
//! command`, MIME headers, `Auto-Submitted: auto-generated`,
//! `Precedence: bulk` and one `X-Cron-Env: <NAME=value>` per variable of
//! the job. anacron (anacron/runjob.c) sends `Subject: Anacron job 'id' on
//! host` through `sendmail -FAnacron -odi TO`.
//!
//! sundial also mails a job that failed without writing anything (cron
//! mails nothing then): the failure is what a cron user would want to
//! know, and with no output there is nothing else to look at.

use std::fmt::Write as _;

/// Which program's mail to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailFormat {
    /// cron's.
    Cron,
    /// anacron's.
    Anacron,
}

/// What is known about one finished run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunReport {
    /// cron's or anacron's mail.
    pub format: MailFormat,
    /// The user the job ran as (the sender when `MAILFROM` is unset, the
    /// recipient when `MAILTO` is).
    pub user: String,
    /// The host name (cron's subject uses it up to the first dot).
    pub hostname: String,
    /// The command as cron logs it (anacron: the job identifier).
    pub subject: String,
    /// The job's environment, in order.
    pub environment: Vec<(String, String)>,
    /// Its output lines, stdout and stderr as they came.
    pub output: Vec<String>,
    /// How it failed (`exit-code, status=1`), or `None` when it succeeded.
    pub failure: Option<String>,
}

/// A message ready for sendmail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// sendmail's arguments (without the program).
    pub args: Vec<String>,
    /// The message: headers, an empty line, the body.
    pub message: String,
    /// The recipient, for messages.
    pub to: String,
}

/// cronie's `safe_p`: letters and digits, and after the first character
/// also `@!:%-.,_+`. cron mails nothing to (or from) anything else.
///
/// ```
/// use sundial::crontab::mail::is_safe_address;
/// assert!(is_safe_address("ops@example.com"));
/// assert!(!is_safe_address("a@x, b@y"));
/// assert!(!is_safe_address("-oQ/tmp/x"));
/// ```
pub fn is_safe_address(s: &str) -> bool {
    s.chars()
        .enumerate()
        .all(|(i, c)| c.is_ascii_alphanumeric() || (i > 0 && "@!:%-.,_+".contains(c)))
}

/// `$NAME` and `${NAME}` replaced by the job's variables (cronie's
/// `expand_envvar`, which reads cron's own environment instead), unknown
/// ones by nothing.
fn expand(value: &str, env: &[(String, String)]) -> String {
    let get = |name: &str| {
        env.iter()
            .rev()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    };
    let mut out = String::new();
    let mut rest = value;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (name, tail) = if let Some(inner) = after.strip_prefix('{') {
            match inner.find('}') {
                Some(end) if end > 0 => (&inner[..end], &inner[end + 1..]),
                _ => {
                    out.push('$');
                    rest = after;
                    continue;
                }
            }
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
            out.push('$');
            rest = after;
            continue;
        }
        out.push_str(get(name));
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// The mail about `run`, or `None` when cron would send none: nothing was
/// written and the job succeeded, `MAILTO` is empty, or an address has
/// characters cron refuses.
pub fn compose(run: &RunReport) -> Option<Mail> {
    if run.output.is_empty() && run.failure.is_none() {
        return None;
    }
    let var = |name: &str| {
        run.environment
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| expand(v, &run.environment))
    };
    let to = var("MAILTO").unwrap_or_else(|| run.user.clone());
    if to.is_empty() {
        return None;
    }
    let from = var("MAILFROM")
        .filter(|f| !f.is_empty())
        .unwrap_or_else(|| run.user.clone());
    let mut body = String::new();
    for line in &run.output {
        body.push_str(&line.replace('\r', ""));
        body.push('\n');
    }
    if run.output.is_empty() {
        if let Some(failure) = &run.failure {
            let _ = writeln!(body, "The job failed ({failure}) without output.");
        }
    }
    match run.format {
        MailFormat::Cron => {
            if !is_safe_address(&to) {
                return None;
            }
            let from = if is_safe_address(&from) {
                from
            } else {
                run.user.clone()
            };
            let host = run.hostname.split('.').next().unwrap_or("");
            let mut m = String::new();
            let _ = writeln!(m, "From: \"(Cron Daemon)\" <{from}>");
            let _ = writeln!(m, "To: {to}");
            let _ = writeln!(m, "Subject: Cron <{}@{host}> {}", run.user, run.subject);
            m.push_str("MIME-Version: 1.0\n");
            let header = |name: &str| var(name).map(|v| v.replace('\n', " "));
            let content_type =
                header("CONTENT_TYPE").unwrap_or_else(|| "text/plain; charset=UTF-8".to_owned());
            let _ = writeln!(m, "Content-Type: {content_type}");
            let encoding = header("CONTENT_TRANSFER_ENCODING").unwrap_or_else(|| "8bit".to_owned());
            let _ = writeln!(m, "Content-Transfer-Encoding: {encoding}");
            m.push_str("Auto-Submitted: auto-generated\nPrecedence: bulk\n");
            for (name, value) in &run.environment {
                let _ = writeln!(m, "X-Cron-Env: <{name}={value}>");
            }
            m.push('\n');
            m.push_str(&body);
            let args = [
                "-FCronDaemon",
                "-i",
                "-odi",
                "-oem",
                "-oi",
                "-t",
                "-f",
                &from,
            ]
            .map(str::to_owned)
            .to_vec();
            Some(Mail {
                args,
                message: m,
                to,
            })
        }
        MailFormat::Anacron => {
            let mut m = String::new();
            let _ = writeln!(m, "From: Anacron <{from}>");
            let _ = writeln!(m, "To: {to}");
            m.push_str("MIME-Version: 1.0\n");
            m.push_str("Content-Type: text/plain; charset=\"UTF-8\"\n");
            m.push_str("Content-Transfer-Encoding: 8bit\n");
            let _ = writeln!(
                m,
                "Subject: Anacron job '{}' on {}",
                run.subject, run.hostname
            );
            m.push('\n');
            m.push_str(&body);
            let args = vec!["-FAnacron".to_owned(), "-odi".to_owned(), to.clone()];
            Some(Mail {
                args,
                message: m,
                to,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn run(environment: &[(&str, &str)], output: &[&str], failure: Option<&str>) -> RunReport {
        RunReport {
            format: MailFormat::Cron,
            user: "alice".into(),
            hostname: "box.example.com".into(),
            subject: "backup --all".into(),
            environment: env(environment),
            output: output.iter().map(|s| (*s).to_owned()).collect(),
            failure: failure.map(str::to_owned),
        }
    }

    #[test]
    fn cron_headers_subject_and_body() {
        let r = run(
            &[
                ("MAILTO", "ops@example.com"),
                ("SHELL", "/bin/sh"),
                ("LOGNAME", "alice"),
            ],
            &["copied 3 files", "done\r"],
            None,
        );
        let mail = compose(&r).unwrap();
        assert_eq!(
            mail.message,
            "From: \"(Cron Daemon)\" <alice>\n\
             To: ops@example.com\n\
             Subject: Cron <alice@box> backup --all\n\
             MIME-Version: 1.0\n\
             Content-Type: text/plain; charset=UTF-8\n\
             Content-Transfer-Encoding: 8bit\n\
             Auto-Submitted: auto-generated\n\
             Precedence: bulk\n\
             X-Cron-Env: <MAILTO=ops@example.com>\n\
             X-Cron-Env: <SHELL=/bin/sh>\n\
             X-Cron-Env: <LOGNAME=alice>\n\
             \n\
             copied 3 files\n\
             done\n"
        );
        assert_eq!(
            mail.args,
            [
                "-FCronDaemon",
                "-i",
                "-odi",
                "-oem",
                "-oi",
                "-t",
                "-f",
                "alice"
            ]
        );
        assert_eq!(mail.to, "ops@example.com");
    }

    #[test]
    fn who_gets_mail() {
        // Silent success: nothing. Silent failure: a mail saying so.
        assert_eq!(compose(&run(&[], &[], None)), None);
        let failed = compose(&run(&[], &[], Some("exit-code, status=3"))).unwrap();
        assert_eq!(failed.to, "alice");
        assert!(failed
            .message
            .ends_with("\n\nThe job failed (exit-code, status=3) without output.\n"));
        // Empty MAILTO: nothing; an unsafe one: nothing.
        assert_eq!(compose(&run(&[("MAILTO", "")], &["x"], None)), None);
        assert_eq!(compose(&run(&[("MAILTO", "a@x, b@y")], &["x"], None)), None);
        // MAILFROM, expanded from the job's environment.
        let m = compose(&run(
            &[
                ("HOST", "h1"),
                ("MAILFROM", "cron-${HOST}@example.com"),
                ("LOGNAME", "bob"),
                ("MAILTO", "$LOGNAME"),
            ],
            &["x"],
            None,
        ))
        .unwrap();
        assert!(m
            .message
            .starts_with("From: \"(Cron Daemon)\" <cron-h1@example.com>\nTo: bob\n"));
        assert_eq!(
            m.args.last().map(String::as_str),
            Some("cron-h1@example.com")
        );
    }

    #[test]
    fn content_type_from_the_job() {
        let m = compose(&run(
            &[
                ("CONTENT_TYPE", "text/html"),
                ("CONTENT_TRANSFER_ENCODING", "quoted-printable"),
            ],
            &["<p>"],
            None,
        ))
        .unwrap();
        assert!(m
            .message
            .contains("\nContent-Type: text/html\nContent-Transfer-Encoding: quoted-printable\n"));
    }

    #[test]
    fn anacron_headers() {
        let mut r = run(
            &[("MAILTO", "root")],
            &["rotated"],
            Some("exit-code, status=1"),
        );
        r.format = MailFormat::Anacron;
        r.subject = "cron.daily".into();
        let m = compose(&r).unwrap();
        assert_eq!(
            m.message,
            "From: Anacron <alice>\nTo: root\nMIME-Version: 1.0\n\
             Content-Type: text/plain; charset=\"UTF-8\"\nContent-Transfer-Encoding: 8bit\n\
             Subject: Anacron job 'cron.daily' on box.example.com\n\nrotated\n"
        );
        assert_eq!(m.args, ["-FAnacron", "-odi", "root"]);
    }

    #[test]
    fn expansion_as_cronie_finds_variables() {
        let e = env(&[("A", "x"), ("B_1", "y")]);
        assert_eq!(expand("$A-${B_1}-$C-$-${}-$1", &e), "x-y--$-${}-$1");
    }
}
