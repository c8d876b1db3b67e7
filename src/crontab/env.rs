//! Environment lines of a crontab, read as cronie reads them (src/env.c,
//! `load_env`), and the environment a job gets (src/entry.c).

/// The states of cronie's `load_env`, in the order it walks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd)]
enum State {
    /// First character of the name, may be a quote.
    NameFirst,
    /// The rest of the name.
    Name,
    /// After the name, looking for `=`.
    Equals,
    /// After `=`, skipping blanks.
    AfterEquals,
    /// First character of the value, may be a quote.
    ValueFirst,
    /// The rest of the value.
    Value,
    /// After a closing quote: only blanks may follow.
    Done,
    /// Not an assignment.
    Error,
}

/// `NAME=value` from one crontab line (the text after leading blanks and
/// before the newline), or `None` when the line is not an assignment and
/// so is read as a job.
///
/// As in cronie: the name ends at a blank or `=` and may be quoted; blanks
/// around `=` are skipped; a value in matching single or double quotes is
/// taken as it is between them (nothing but blanks may follow the closing
/// quote); an unquoted value runs to the end of the line, trailing blanks
/// cut. No `$VAR` expansion, no escapes.
pub(crate) fn parse_assignment(line: &str) -> Option<(String, String)> {
    let chars: Vec<char> = line.chars().collect();
    let mut state = State::NameFirst;
    let mut quote: Option<char> = None;
    let mut name = String::new();
    let mut value = String::new();
    let mut i = 0;
    while state != State::Error && i < chars.len() {
        let c = chars[i];
        match state {
            State::NameFirst | State::ValueFirst => {
                // cronie: a leading quote is taken off, then the character
                // after it is handled as part of the name or value.
                if c == '\'' || c == '"' {
                    quote = Some(c);
                    i += 1;
                }
                state = if state == State::NameFirst {
                    State::Name
                } else {
                    State::Value
                };
            }
            State::Name | State::Value => {
                if let Some(q) = quote {
                    if c == q {
                        state = if state == State::Name {
                            State::Equals
                        } else {
                            State::Done
                        };
                        i += 1;
                        continue;
                    }
                    if state == State::Name && c == '=' {
                        state = State::Error;
                        continue;
                    }
                } else if state == State::Name {
                    if c.is_whitespace() {
                        i += 1;
                        state = State::Equals;
                        continue;
                    }
                    if c == '=' {
                        state = State::Equals;
                        continue;
                    }
                }
                if state == State::Name {
                    name.push(c);
                } else {
                    value.push(c);
                }
                i += 1;
            }
            State::Equals => {
                if c == '=' {
                    state = State::AfterEquals;
                    quote = None;
                } else if !c.is_whitespace() {
                    state = State::Error;
                }
                i += 1;
            }
            State::AfterEquals | State::Done => {
                if c.is_whitespace() {
                    i += 1;
                } else if state == State::AfterEquals {
                    state = State::ValueFirst;
                } else {
                    state = State::Error;
                }
            }
            State::Error => unreachable!("the loop stops at Error"),
        }
    }
    let accepted = matches!(state, State::Done | State::AfterEquals)
        || (state == State::Value && quote.is_none());
    if !accepted {
        return None;
    }
    if state == State::Value {
        // cronie: the end of an unquoted value loses its trailing blanks.
        let trimmed = value.trim_end().len();
        value.truncate(trimmed);
    }
    Some((name, value))
}

/// An environment as cron builds it: `env_set` replaces a variable where it
/// first appeared and appends a new one, so the order is cron's (it shows
/// in the `X-Cron-Env:` lines of a mail).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CronEnv {
    vars: Vec<(String, String)>,
}

impl CronEnv {
    pub(crate) fn set(&mut self, name: &str, value: &str) {
        match self.vars.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value.to_owned(),
            None => self.vars.push((name.to_owned(), value.to_owned())),
        }
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn vars(&self) -> &[(String, String)] {
        &self.vars
    }

    /// The job's environment from the crontab's (src/entry.c
    /// `load_entry`): `SHELL`, `HOME` and `PATH` where the crontab sets
    /// none, then `LOGNAME` and `USER` of the job's user, always.
    pub(crate) fn for_job(&self, user: &str, home: Option<&str>, default_path: &str) -> CronEnv {
        let mut env = self.clone();
        if env.get("SHELL").is_none() {
            env.set("SHELL", "/bin/sh");
        }
        if let Some(home) = home.filter(|h| !h.is_empty()) {
            if env.get("HOME").is_none() {
                env.set("HOME", home);
            }
        }
        if env.get("PATH").is_none() {
            env.set("PATH", default_path);
        }
        env.set("LOGNAME", user);
        env.set("USER", user);
        env
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(line: &str) -> Option<(String, String)> {
        parse_assignment(line)
    }

    fn pair(n: &str, v: &str) -> Option<(String, String)> {
        Some((n.to_owned(), v.to_owned()))
    }

    #[test]
    fn assignments_as_cronie_reads_them() {
        assert_eq!(
            env("MAILTO=ops@example.com"),
            pair("MAILTO", "ops@example.com")
        );
        assert_eq!(env("PATH = /usr/bin:/bin  "), pair("PATH", "/usr/bin:/bin"));
        assert_eq!(env("A=\"b c\""), pair("A", "b c"));
        assert_eq!(env("A='b \"c\"'  "), pair("A", "b \"c\""));
        assert_eq!(env("MAILTO=\"\""), pair("MAILTO", ""));
        assert_eq!(env("MAILTO="), pair("MAILTO", ""));
        assert_eq!(env("MAILTO=   "), pair("MAILTO", ""));
        assert_eq!(env("\"MY VAR\"=1"), pair("MY VAR", "1"));
        // An unquoted value keeps inner quotes, blanks and dollars.
        assert_eq!(env("A=b \"c\" $HOME"), pair("A", "b \"c\" $HOME"));
        assert_eq!(env("A=b=c"), pair("A", "b=c"));
    }

    #[test]
    fn job_lines_and_broken_assignments_are_not_assignments() {
        assert_eq!(env("* * * * * echo a=b"), None);
        assert_eq!(env("0 2 * * * root FOO=1 cmd"), None);
        assert_eq!(env("@daily A=b"), None);
        // An unclosed quote, and text after a closing quote.
        assert_eq!(env("A=\"b"), None);
        assert_eq!(env("A=\"b\" c"), None);
        // `=` inside a quoted name.
        assert_eq!(env("\"A=B\"=c"), None);
        assert_eq!(env("justaword"), None);
    }

    #[test]
    fn the_job_environment_adds_cron_defaults_in_cron_order() {
        let mut e = CronEnv::default();
        e.set("MAILTO", "ops");
        e.set("LOGNAME", "spoofed");
        e.set("MAILTO", "root");
        let job = e.for_job("alice", Some("/home/alice"), "/usr/bin:/bin");
        assert_eq!(
            job.vars(),
            [
                ("MAILTO".into(), "root".into()),
                ("LOGNAME".into(), "alice".into()),
                ("SHELL".into(), "/bin/sh".into()),
                ("HOME".into(), "/home/alice".into()),
                ("PATH".into(), "/usr/bin:/bin".into()),
                ("USER".into(), "alice".into()),
            ]
        );
        let mut own = CronEnv::default();
        own.set("HOME", "/srv");
        own.set("SHELL", "/bin/bash");
        let job = own.for_job("bob", Some("/home/bob"), "/p");
        assert_eq!(job.get("HOME"), Some("/srv"));
        assert_eq!(job.get("SHELL"), Some("/bin/bash"));
    }
}
