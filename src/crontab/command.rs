//! A cron command as the shell gets it, and its words in unit-file syntax.

/// A job's command after cron's `%` rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CronCommand {
    /// What `$SHELL -c` runs.
    pub command: String,
    /// What the job reads on standard input; `None` when cron writes
    /// nothing (no `%`, or nothing after it) and the job reads end of file.
    pub stdin: Option<Vec<u8>>,
}

/// Splits a crontab command as cronie's `child_process` (src/do_command.c)
/// does: the first `%` not preceded by a backslash ends the command, and
/// `\%` in the command is a `%` (other backslashes stay). The rest becomes
/// standard input: `%` is a newline, `\%` a `%`, other backslashes stay,
/// and a newline is added when the last character written is not one.
pub(crate) fn split_percent(line: &str) -> CronCommand {
    let mut command = String::new();
    let mut escaped = false;
    let mut input: Option<&str> = None;
    for (i, c) in line.char_indices() {
        if escaped {
            escaped = false;
            if c == '%' {
                // cron: `*--p = ch`: the `%` replaces the backslash.
                command.pop();
            }
            command.push(c);
            continue;
        }
        if c == '%' {
            input = Some(&line[i + 1..]);
            break;
        }
        escaped = c == '\\';
        command.push(c);
    }
    let stdin = input.filter(|s| !s.is_empty()).map(translate_input);
    CronCommand { command, stdin }
}

/// cron's translation of the input part: `\%` → `%`, `%` → newline,
/// `\x` → `\x` for any other `x`, then a final newline if missing.
fn translate_input(input: &str) -> Vec<u8> {
    let mut out = String::new();
    let mut escaped = false;
    let mut need_newline = false;
    for mut c in input.chars() {
        if escaped {
            if c != '%' {
                out.push('\\');
            }
        } else if c == '%' {
            c = '\n';
        }
        // cron: `if (!(escaped = (ch == '\\')))`: a backslash is held back
        // until the next character says what it is.
        escaped = c == '\\';
        if !escaped {
            out.push(c);
            need_newline = c != '\n';
        }
    }
    if escaped {
        out.push('\\');
    }
    if need_newline {
        out.push('\n');
    }
    out.into_bytes()
}

/// One word of a unit file's `ExecStart=`, in double quotes so that the
/// command line splits back into exactly this word: backslashes and quotes
/// escaped (systemd unescapes C escapes inside quotes), control characters
/// as `\xNN`, `%` as `%%` (specifiers) and `$` as `$$` (environment
/// expansion).
pub(crate) fn exec_word(word: &str) -> String {
    quoted(word, true)
}

/// One `NAME=value` word of `Environment=`: as [`exec_word`], but `$` stays
/// (systemd expands no variables in `Environment=`).
pub(crate) fn environment_word(name: &str, value: &str) -> String {
    quoted(&format!("{name}={value}"), false)
}

fn quoted(word: &str, dollar: bool) -> String {
    let mut out = String::with_capacity(word.len() + 2);
    out.push('"');
    for c in word.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '%' => out.push_str("%%"),
            '$' if dollar => out.push_str("$$"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\x7f' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A free-text value (`Description=`): `%` doubled for the specifier
/// expansion; a backslash at the end would continue the line, so a space
/// follows it (the value is trimmed when read).
pub(crate) fn text_value(text: &str) -> String {
    let mut out = text.replace('%', "%%").replace(['\n', '\r'], " ");
    if out.ends_with('\\') {
        out.push(' ');
    }
    out
}

/// Standard Base64 with padding, for `StandardInputData=`.
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supervisor::{expand_argv, Env};
    use crate::unit::exec::parse_exec_value;
    use crate::unit::specifiers::{SpecifierContext, Specifiers};
    use crate::unit::stdin_data::append_base64;
    use crate::unit::UnitName;

    fn split(line: &str) -> (String, Option<String>) {
        let c = split_percent(line);
        (
            c.command,
            c.stdin
                .map(|b| String::from_utf8(b).expect("test input is UTF-8")),
        )
    }

    #[test]
    fn the_first_unescaped_percent_starts_standard_input() {
        assert_eq!(split("echo hi"), ("echo hi".into(), None));
        assert_eq!(
            split("mail -s \"It's 10pm\" joe%Joe,%%Where are your kids?%"),
            (
                "mail -s \"It's 10pm\" joe".into(),
                Some("Joe,\n\nWhere are your kids?\n".into())
            )
        );
        // A final newline is added only when missing.
        assert_eq!(split("cat%a%b"), ("cat".into(), Some("a\nb\n".into())));
        // Nothing after the `%`: cron writes nothing.
        assert_eq!(split("cat%"), ("cat".into(), None));
    }

    #[test]
    fn escaped_percents_are_literal_and_other_backslashes_stay() {
        assert_eq!(
            split(r"date +\%Y-\%m-\%d > /tmp/d"),
            ("date +%Y-%m-%d > /tmp/d".into(), None)
        );
        assert_eq!(split(r"echo a\b"), (r"echo a\b".into(), None));
        // `\\%`: the second backslash is not an escape of the `%`.
        assert_eq!(split(r"echo \\%x"), (r"echo \\".into(), Some("x\n".into())));
        // In the input part: `\%` is `%`, other backslashes stay, a
        // trailing backslash stays.
        assert_eq!(
            split(r"cat%100\% sure\n%end\"),
            ("cat".into(), Some("100% sure\\n\nend\\\n".into()))
        );
    }

    /// Parses an `ExecStart=` value with sundial's own parser and expands it
    /// as the supervisor does: the words the process gets.
    fn exec_argv(value: &str) -> Vec<String> {
        let context = SpecifierContext::system();
        let unit = UnitName::parse("job.service").expect("a valid name");
        let parsed = parse_exec_value(value, &Specifiers::new(&context, &unit, None));
        assert!(parsed.error.is_none(), "{value}: {:?}", parsed.error);
        assert!(parsed.warnings.is_empty(), "{value}: {:?}", parsed.warnings);
        assert_eq!(parsed.commands.len(), 1, "{value}");
        let mut env = Env::new();
        env.insert("HOME".into(), "/root".into());
        env.insert("X".into(), "expanded".into());
        expand_argv(&parsed.commands[0].argv, &env)
    }

    #[test]
    fn exec_words_round_trip_through_the_unit_parser() {
        let commands = [
            "echo hello",
            "echo \"$HOME\" '$X' ${X} $X",
            r#"printf '%s\n' "a b" > /tmp/x 2>&1; test -x /bin/sh || exit 1"#,
            r"date +%Y-%m-%d\ %H:%M",
            "a\\\\b \\\"c\\\" \\n",
            "tab\there; semi ; colon: at@ plus+ minus- bang!",
            "%n %i %% 100%",
            "trailing backslash \\",
            "\u{1}control\u{7f}",
            "unicode: é ✓",
            "",
        ];
        for command in commands {
            let value = format!("{} -c {}", exec_word("/bin/sh"), exec_word(command));
            assert_eq!(
                exec_argv(&value),
                ["/bin/sh", "-c", command],
                "ExecStart={value}"
            );
        }
    }

    #[test]
    fn environment_words_round_trip_through_the_unit_parser() {
        use crate::unit::values::parse_environment;
        let context = SpecifierContext::system();
        let unit = UnitName::parse("job.service").expect("a valid name");
        let specifiers = Specifiers::new(&context, &unit, None);
        for (name, value) in [
            ("MAILTO", "ops@example.com"),
            ("A", "b c \"d\" 'e' $HOME %n 100%"),
            ("PATH", "/usr/bin:/bin"),
            ("EMPTY", ""),
            ("B", "back\\slash"),
        ] {
            let word = environment_word(name, value);
            let (vars, errors) = parse_environment(&word, &specifiers).expect("parses");
            assert!(errors.is_empty(), "{word}");
            assert_eq!(vars, [(name.to_owned(), value.to_owned())], "{word}");
        }
    }

    #[test]
    fn base64_round_trips_through_standard_input_data() {
        for data in [
            &b""[..],
            b"a",
            b"ab",
            b"abc",
            b"abcd",
            b"Joe,\n\nWhere?\n",
            &[0, 255, 128],
        ] {
            let mut buffer = Vec::new();
            append_base64(&mut buffer, &base64(data)).expect("decodes");
            assert_eq!(buffer, data);
        }
        assert_eq!(base64(b"hello\n"), "aGVsbG8K");
    }

    #[test]
    fn text_values_keep_percent_and_never_continue_the_line() {
        assert_eq!(text_value("100% done"), "100%% done");
        assert_eq!(text_value("ends in \\"), "ends in \\ ");
    }
}
