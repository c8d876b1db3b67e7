//! Transient units, as `sundial run` makes them (systemd-run's transient
//! services and timers): the text of their unit files, written from a
//! command and `KEY=VALUE` assignments.
//!
//! The text is the whole contract: the daemon keeps it in its store, writes
//! it into its transient directory and loads it with the normal loader, so a
//! bad assignment gets the same `path:line: Key=: cause` report as in a unit
//! file. Assignments are unit-file syntax as given (`%` specifiers expand);
//! what sundial writes itself (the command, and through the client the
//! description, environment and working directory) is escaped here so that it
//! means exactly what was typed.

use std::fmt::Write as _;

use super::known_directives;

/// The first line of every transient unit file.
pub const HEADER: &str =
    "# Made by `sundial run`; removed with its unit when that is done. Do not edit.\n";

/// Why assignments or a command cannot be written into a unit file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransientError {
    /// Not `KEY=VALUE`, or a key that no unit file could hold.
    #[error("invalid assignment '{0}': expected KEY=VALUE")]
    NotAnAssignment(String),
    /// A newline in an assignment would start another line of the file.
    #[error("{key}=: a value cannot span lines")]
    Newline {
        /// The key.
        key: String,
    },
    /// A value ending in a backslash would continue onto the next line.
    #[error("{key}=: a value cannot end in a backslash")]
    TrailingBackslash {
        /// The key.
        key: String,
    },
    /// No command to run.
    #[error("a command to run is required")]
    NoCommand,
    /// The command's path is not absolute (the client resolves it).
    #[error("the command '{0}' is not an absolute path")]
    RelativeCommand(String),
    /// A NUL character cannot be passed to a program.
    #[error("the command contains a NUL character")]
    Nul,
}

/// What the service of a `sundial run` is made of.
#[derive(Debug, Clone, Copy)]
pub struct ServiceSpec<'a> {
    /// The command: an absolute path, then its arguments (`argv[0]` is the path).
    pub command: &'a [String],
    /// `$VAR` and `${VAR}` in the command are expanded when it starts, as in
    /// `ExecStart=` (systemd-run's `--expand-environment=yes`, its default);
    /// otherwise the `:` prefix keeps them literal.
    pub expand_environment: bool,
    /// `[Unit]` and `[Service]` assignments, in order.
    pub properties: &'a [String],
}

/// The unit file of a transient service.
pub fn service_text(spec: &ServiceSpec<'_>) -> Result<String, TransientError> {
    let exec = exec_start(spec.command, spec.expand_environment)?;
    let mut text = sections(spec.properties, "Service")?;
    text.push_str("ExecStart=");
    text.push_str(&exec);
    text.push('\n');
    Ok(text)
}

/// The unit file of a transient timer; `properties` are its `[Unit]` and
/// `[Timer]` assignments.
pub fn timer_text(properties: &[String]) -> Result<String, TransientError> {
    let mut text = sections(properties, "Timer")?;
    // systemd-run: a transient timer that cannot elapse again goes away
    // rather than staying `elapsed`; written last, so it wins.
    text.push_str("RemainAfterElapse=no\n");
    Ok(text)
}

/// `[Unit]` with the assignments `[Unit]` knows, then `[own]` with the
/// others (where an unknown key is reported as it would be in a file).
fn sections(properties: &[String], own: &str) -> Result<String, TransientError> {
    let mut unit = String::new();
    let mut rest = String::new();
    for assignment in properties {
        let (key, _) = split_assignment(assignment)?;
        let section = if known_directives::is_known("Unit", key) {
            &mut unit
        } else {
            &mut rest
        };
        section.push_str(assignment);
        section.push('\n');
    }
    let mut text = String::from(HEADER);
    if !unit.is_empty() {
        text.push_str("[Unit]\n");
        text.push_str(&unit);
    }
    let _ = writeln!(text, "[{own}]");
    text.push_str(&rest);
    Ok(text)
}

/// Checks that `assignment` is one line of `KEY=VALUE` and splits it.
pub fn split_assignment(assignment: &str) -> Result<(&str, &str), TransientError> {
    let bad = || TransientError::NotAnAssignment(assignment.to_owned());
    let (key, value) = assignment.split_once('=').ok_or_else(bad)?;
    // A key starting with `#` or `;` would make the line a comment, one with
    // `[` a section header.
    let key_ok = key.starts_with(|c: char| c.is_ascii_alphabetic())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
    if !key_ok {
        return Err(bad());
    }
    if value.contains(['\n', '\r']) {
        return Err(TransientError::Newline {
            key: key.to_owned(),
        });
    }
    let backslashes = value.bytes().rev().take_while(|&b| b == b'\\').count();
    if backslashes % 2 == 1 {
        return Err(TransientError::TrailingBackslash {
            key: key.to_owned(),
        });
    }
    Ok((key, value))
}

/// The value of `ExecStart=` that runs `argv` as given: every word quoted
/// where the command-line splitter would otherwise change it, `%` doubled.
pub fn exec_start(argv: &[String], expand_environment: bool) -> Result<String, TransientError> {
    let (path, _) = argv.split_first().ok_or(TransientError::NoCommand)?;
    if argv.iter().any(|w| w.contains('\0')) {
        return Err(TransientError::Nul);
    }
    // An absolute path also keeps its first character from being read as
    // one of the prefixes (`-`, `@`, `:`, `+`, `!`).
    if !path.starts_with('/') {
        return Err(TransientError::RelativeCommand(path.clone()));
    }
    let mut line = String::new();
    if !expand_environment {
        line.push(':');
    }
    let words: Vec<String> = argv.iter().map(|w| exec_word(w)).collect();
    line.push_str(&words.join(" "));
    Ok(line)
}

/// One word of a command line, written so that splitting gives it back:
/// quoted when empty, a lone `;` (which separates commands), or holding
/// blanks, quotes, backslashes or control characters; C escapes inside the
/// quotes; `%` doubled (specifiers are expanded after unquoting).
pub fn exec_word(word: &str) -> String {
    let quote = word.is_empty()
        || word == ";"
        || word
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '\\'));
    let mut out = String::with_capacity(word.len() + 2);
    if quote {
        out.push('"');
    }
    for c in word.chars() {
        match c {
            '%' => out.push_str("%%"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    if quote {
        out.push('"');
    }
    out
}

/// A value that `Description=`, `WorkingDirectory=` and the like take
/// literally: `%` doubled, since they expand specifiers.
pub fn literal(value: &str) -> String {
    value.replace('%', "%%")
}

/// The command line as one readable string (systemd-run's default
/// description): words joined by spaces, quoted where they need it. Not
/// escaped for a unit file: see [`literal`].
pub fn command_line(argv: &[String]) -> String {
    argv.iter()
        .map(|w| exec_word(w).replace("%%", "%"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::exec::parse_exec_value;
    use crate::unit::lexer::lex;
    use crate::unit::specifiers::{SpecifierContext, Specifiers};
    use crate::unit::UnitName;
    use std::path::Path;

    fn words(w: &[&str]) -> Vec<String> {
        w.iter().map(|s| (*s).to_owned()).collect()
    }

    /// Writes `argv` as a service file, lexes it, and splits its
    /// `ExecStart=` as the loader does: the command that would run.
    fn round_trip(argv: &[String], expand: bool) -> (Vec<String>, bool) {
        let text = service_text(&ServiceSpec {
            command: argv,
            expand_environment: expand,
            properties: &[],
        })
        .unwrap();
        let path = Path::new("/run/sundial/transient/run-x.service");
        let lexed = lex(path, &text);
        assert!(lexed.diagnostics.is_empty(), "{:?}", lexed.diagnostics);
        let [entry] = &lexed.entries[..] else {
            panic!("{:?}", lexed.entries)
        };
        assert_eq!(entry.key, "ExecStart");
        let cx = SpecifierContext::system();
        let name = UnitName::parse("run-x.service").unwrap();
        let specifiers = Specifiers::new(&cx, &name, Some(path));
        let parsed = parse_exec_value(&entry.value, &specifiers);
        assert_eq!(parsed.error, None, "{text}");
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let [command] = &parsed.commands[..] else {
            panic!("{:?}", parsed.commands)
        };
        assert_eq!(command.path, argv[0]);
        (command.argv.clone(), command.no_env_expand)
    }

    #[test]
    fn awkward_commands_round_trip_through_the_exec_parser() {
        let cases = [
            words(&["/bin/sh", "-c", "echo hi"]),
            words(&[
                "/bin/echo",
                "it's",
                "\"quoted\"",
                "back\\slash",
                "trailing\\",
            ]),
            words(&["/bin/echo", "100%", "%n", "%%", "50% off"]),
            words(&["/bin/echo", "$HOME", "${HOME}", "$$", "a$b"]),
            words(&["/bin/echo", "", ";", "a;b", "\\;", "tab\there", "new\nline"]),
            words(&[
                "/bin/echo",
                "bell\x07",
                "del\x7f",
                "nbsp\u{a0}",
                "ünïcödé ✓",
            ]),
            words(&["/opt/my tools/run", "-x"]),
        ];
        for argv in cases {
            for expand in [true, false] {
                let (back, no_expand) = round_trip(&argv, expand);
                assert_eq!(back, argv, "expand={expand}");
                assert_eq!(no_expand, !expand);
            }
        }
    }

    #[test]
    fn words_are_quoted_only_where_needed() {
        assert_eq!(
            exec_start(&words(&["/bin/sh", "-c", "echo hi"]), true).unwrap(),
            r#"/bin/sh -c "echo hi""#
        );
        assert_eq!(
            exec_start(&words(&["/bin/echo", "a%b", "$X", ";", ""]), false).unwrap(),
            r#":/bin/echo a%%b $X ";" """#
        );
        assert_eq!(exec_word("say \"hi\"\n"), r#""say \"hi\"\n""#);
    }

    #[test]
    fn commands_that_cannot_be_written_are_refused() {
        assert_eq!(exec_start(&[], true), Err(TransientError::NoCommand));
        assert_eq!(
            exec_start(&words(&["sh", "-c", "x"]), true),
            Err(TransientError::RelativeCommand("sh".into()))
        );
        assert_eq!(
            exec_start(&words(&["/bin/echo", "a\0b"]), true),
            Err(TransientError::Nul)
        );
    }

    #[test]
    fn assignments_go_to_their_sections_in_order() {
        let text = service_text(&ServiceSpec {
            command: &words(&["/bin/true"]),
            expand_environment: true,
            properties: &words(&[
                "Description=100%% sure",
                "Nice=5",
                "Environment=A=b",
                "After=x.service",
                "User=nobody",
            ]),
        })
        .unwrap();
        assert_eq!(
            text,
            format!(
                "{HEADER}[Unit]\nDescription=100%% sure\nAfter=x.service\n\
                 [Service]\nNice=5\nEnvironment=A=b\nUser=nobody\nExecStart=/bin/true\n"
            )
        );
        let timer = timer_text(&words(&["Description=d", "OnActiveSec=1s"])).unwrap();
        assert_eq!(
            timer,
            format!(
                "{HEADER}[Unit]\nDescription=d\n[Timer]\nOnActiveSec=1s\nRemainAfterElapse=no\n"
            )
        );
    }

    #[test]
    fn assignments_that_would_break_the_file_are_refused() {
        let bad = |a: &str| timer_text(&[a.to_owned()]).unwrap_err();
        assert_eq!(bad("Nice"), TransientError::NotAnAssignment("Nice".into()));
        assert_eq!(bad("=5"), TransientError::NotAnAssignment("=5".into()));
        assert_eq!(
            bad("#Nice=5"),
            TransientError::NotAnAssignment("#Nice=5".into())
        );
        assert_eq!(
            bad("[Install]=x"),
            TransientError::NotAnAssignment("[Install]=x".into())
        );
        assert_eq!(
            bad("Description=a\nExecStart=/bin/evil"),
            TransientError::Newline {
                key: "Description".into()
            }
        );
        assert_eq!(
            bad("Description=a\\"),
            TransientError::TrailingBackslash {
                key: "Description".into()
            }
        );
        assert!(timer_text(&["Description=a\\\\".to_owned()]).is_ok());
        assert_eq!(
            bad("Nice").to_string(),
            "invalid assignment 'Nice': expected KEY=VALUE"
        );
    }

    #[test]
    fn literal_values_and_the_command_line() {
        assert_eq!(literal("50% of %h"), "50%% of %%h");
        assert_eq!(
            command_line(&words(&["/bin/sh", "-c", "echo 100% \"x\""])),
            r#"/bin/sh -c "echo 100% \"x\"""#
        );
    }
}
