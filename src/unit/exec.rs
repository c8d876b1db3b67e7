//! `Exec*=` command lines: prefixes, splitting into words exactly as systemd
//! splits them (no shell), and the typed [`ExecCommand`].
//!
//! Splitting follows systemd's `extract_first_word(UNQUOTE|CUNESCAPE)`:
//! whitespace separates words, `'…'` and `"…"` quote anywhere in a word and
//! are removed, C escapes work inside and outside quotes, and a lone `;`
//! separates commands. `$VAR` and `${VAR}` are left for the supervisor, which
//! expands them when it spawns the command.

use std::fmt;

use super::specifiers::{SpecifierError, Specifiers};

/// Which privileges a command keeps (the `+`, `!`, `!!` prefixes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ExecPrivileges {
    /// No prefix: User=, Group= and sandboxing apply.
    #[default]
    Normal,
    /// `+`: run with full privileges, ignoring User=, Group= and sandboxing.
    Full,
    /// `!`: ignore only User=, Group= and SupplementaryGroups=.
    NoSetuid,
    /// `!!`: like `!`, but only where the kernel lacks ambient capabilities.
    AmbientFallback,
}

/// One command of an `Exec*=` setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecCommand {
    /// The file to execute: an absolute path, or a bare name to look up in
    /// the fixed search path (`/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`).
    pub path: String,
    /// The argument vector, `argv[0]` included. With the `@` prefix `argv[0]`
    /// is the second word of the line; otherwise it equals `path`.
    pub argv: Vec<String>,
    /// `-`: a failure of this command is logged and treated as success.
    pub ignore_failure: bool,
    /// `:`: no `$VAR`/`${VAR}` expansion on this line.
    pub no_env_expand: bool,
    /// `+`, `!`, `!!`.
    pub privileges: ExecPrivileges,
}

impl ExecCommand {
    /// A command running `argv[0]` with the remaining words as arguments and no
    /// prefixes.
    pub fn new<I, S>(argv: I) -> ExecCommand
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let argv: Vec<String> = argv.into_iter().map(Into::into).collect();
        ExecCommand {
            path: argv.first().cloned().unwrap_or_default(),
            argv,
            ignore_failure: false,
            no_env_expand: false,
            privileges: ExecPrivileges::Normal,
        }
    }

    /// Whether `path` is a bare name that must be searched for.
    pub fn needs_search(&self) -> bool {
        !self.path.starts_with('/')
    }
}

impl fmt::Display for ExecCommand {
    /// The command as `systemctl show` prints it: prefixes, path, then the
    /// arguments, each quoted when it contains whitespace or quotes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ignore_failure {
            f.write_str("-")?;
        }
        if self.no_env_expand {
            f.write_str(":")?;
        }
        f.write_str(match self.privileges {
            ExecPrivileges::Normal => "",
            ExecPrivileges::Full => "+",
            ExecPrivileges::NoSetuid => "!",
            ExecPrivileges::AmbientFallback => "!!",
        })?;
        let argv0_differs = self.argv.first().map(String::as_str) != Some(self.path.as_str());
        if argv0_differs {
            write!(f, "@{} ", quote_word(&self.path))?;
        } else {
            f.write_str(&quote_word(&self.path))?;
        }
        let skip = usize::from(!argv0_differs);
        for (i, word) in self.argv.iter().skip(skip).enumerate() {
            if i > 0 || !argv0_differs {
                f.write_str(" ")?;
            }
            f.write_str(&quote_word(word))?;
        }
        Ok(())
    }
}

fn quote_word(word: &str) -> String {
    if !word.is_empty()
        && !word
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '\\'))
    {
        return word.to_owned();
    }
    let mut out = String::from("\"");
    for c in word.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Why a command line is rejected. All of these make systemd refuse the unit
/// unless the line has the `-` prefix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecError {
    /// An opening quote without its closing one.
    #[error("unbalanced quoting")]
    UnbalancedQuotes,
    /// A `\` at the very end, or a malformed `\x`/`\u`/octal escape.
    #[error("invalid escape sequence")]
    BadEscape,
    /// `+!`, `!!!` and the like.
    #[error("conflicting or repeated prefixes in '{0}'")]
    BadPrefix(String),
    /// Nothing after the prefixes.
    #[error("empty executable name or path")]
    Empty,
    /// `@` without the argv[0] word after the path.
    #[error("'@' prefix given but no argv[0] word follows the path")]
    MissingArgv0,
    /// A relative path containing `/`, or one ending in `/`.
    #[error("executable path '{0}' is not absolute or not normalized")]
    BadPath(String),
    /// An unknown `%` specifier.
    #[error(transparent)]
    Specifier(#[from] SpecifierError),
}

/// A problem that does not reject the line, such as an unknown escape that
/// systemd keeps literally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitWarning(pub String);

/// Splits a whole `Exec*=` value into commands. Each command is parsed with
/// its prefixes; `;` words separate commands, `\;` is a literal `;`.
/// `specifiers` expands `%` specifiers in every word after splitting.
pub fn parse_exec_value(
    value: &str,
    specifiers: &Specifiers<'_>,
    warnings: &mut Vec<SplitWarning>,
) -> Result<Vec<ExecCommand>, ExecError> {
    let mut commands = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches(is_separator);
        if rest.is_empty() {
            break;
        }
        let (command, after) = parse_one_command(rest, specifiers, warnings)?;
        if let Some(command) = command {
            commands.push(command);
        }
        rest = after;
    }
    Ok(commands)
}

fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// Parses prefixes and the words of one command up to a `;` word or the end.
fn parse_one_command<'v>(
    input: &'v str,
    specifiers: &Specifiers<'_>,
    warnings: &mut Vec<SplitWarning>,
) -> Result<(Option<ExecCommand>, &'v str), ExecError> {
    // systemd reads the first word raw (unquoted) to strip the prefixes, then
    // re-reads it with quoting rules.
    let mut ignore_failure = false;
    let mut no_env_expand = false;
    let mut argv0_given = false;
    let mut privileges = ExecPrivileges::Normal;
    let mut chars = input.char_indices().peekable();
    let mut body_start = input.len();
    while let Some((i, c)) = chars.next() {
        let repeated = match c {
            '-' => std::mem::replace(&mut ignore_failure, true),
            ':' => std::mem::replace(&mut no_env_expand, true),
            '@' => std::mem::replace(&mut argv0_given, true),
            '+' => {
                let old = privileges != ExecPrivileges::Normal;
                privileges = ExecPrivileges::Full;
                old
            }
            '!' => match privileges {
                ExecPrivileges::Normal => {
                    if chars.peek().map(|&(_, c)| c) == Some('!') {
                        chars.next();
                        privileges = ExecPrivileges::AmbientFallback;
                    } else {
                        privileges = ExecPrivileges::NoSetuid;
                    }
                    false
                }
                _ => true,
            },
            _ => {
                body_start = i;
                break;
            }
        };
        if repeated {
            let word = input.split(is_separator).next().unwrap_or(input);
            return Err(ExecError::BadPrefix(word.to_owned()));
        }
    }
    let mut rest = &input[body_start..];
    let mut words = Vec::new();
    let mut ended_by_semicolon = false;
    loop {
        rest = rest.trim_start_matches(is_separator);
        if rest.is_empty() {
            break;
        }
        let (word, after, raw) = extract_word(rest, warnings)?;
        rest = after;
        if raw == ";" {
            ended_by_semicolon = true;
            break;
        }
        let word = if raw == "\\;" { ";".to_owned() } else { word };
        words.push(specifiers.expand(&word)?);
    }
    if words.is_empty() {
        if ignore_failure || no_env_expand || argv0_given || privileges != ExecPrivileges::Normal
        {
            return Err(ExecError::Empty);
        }
        return Ok((None, rest));
    }
    let path = words.remove(0);
    if path.is_empty() {
        return Err(ExecError::Empty);
    }
    if !valid_exec_path(&path) {
        return Err(ExecError::BadPath(path));
    }
    let argv = if argv0_given {
        if words.is_empty() {
            return Err(ExecError::MissingArgv0);
        }
        words
    } else {
        let mut argv = Vec::with_capacity(words.len() + 1);
        argv.push(path.clone());
        argv.extend(words);
        argv
    };
    let _ = ended_by_semicolon;
    Ok((
        Some(ExecCommand {
            path,
            argv,
            ignore_failure,
            no_env_expand,
            privileges,
        }),
        rest,
    ))
}

/// systemd: an absolute, normalized path (no `.`/`..` components, no trailing
/// `/`, no `//`), or a bare file name without any `/`.
fn valid_exec_path(path: &str) -> bool {
    if path.contains('\0') {
        return false;
    }
    if !path.contains('/') {
        return path != "." && path != "..";
    }
    if !path.starts_with('/') || path.ends_with('/') {
        return false;
    }
    path[1..]
        .split('/')
        .all(|c| !c.is_empty() && c != "." && c != "..")
}

/// Extracts one word with quote removal and C unescaping. Returns the word, the
/// rest of the input, and the raw text the word came from (to recognize `;`
/// and `\;`).
pub fn extract_word<'v>(
    input: &'v str,
    warnings: &mut Vec<SplitWarning>,
) -> Result<(String, &'v str, &'v str), ExecError> {
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut iter = input.char_indices();
    let mut end = input.len();
    while let Some((i, c)) = iter.next() {
        match (quote, c) {
            (None, c) if is_separator(c) => {
                end = i;
                break;
            }
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (_, '\\') => {
                let rest = &input[i + 1..];
                if rest.is_empty() {
                    return Err(ExecError::BadEscape);
                }
                let (decoded, used) = unescape_one(rest, warnings)?;
                word.push_str(&decoded);
                // Skip the consumed characters of the escape.
                let mut consumed = 0;
                while consumed < used {
                    match iter.next() {
                        Some((_, ch)) => consumed += ch.len_utf8(),
                        None => break,
                    }
                }
            }
            (_, c) => word.push(c),
        }
    }
    if quote.is_some() {
        return Err(ExecError::UnbalancedQuotes);
    }
    Ok((word, &input[end..], &input[..end]))
}

/// Decodes the escape after a backslash. Returns the text and how many bytes of
/// `rest` it consumed.
fn unescape_one(
    rest: &str,
    warnings: &mut Vec<SplitWarning>,
) -> Result<(String, usize), ExecError> {
    let bytes = rest.as_bytes();
    let simple = |s: &str| Ok((s.to_owned(), 1));
    match bytes[0] {
        b'a' => simple("\x07"),
        b'b' => simple("\x08"),
        b'f' => simple("\x0c"),
        b'n' => simple("\n"),
        b'r' => simple("\r"),
        b't' => simple("\t"),
        b'v' => simple("\x0b"),
        b'\\' => simple("\\"),
        b'"' => simple("\""),
        b'\'' => simple("'"),
        b's' => simple(" "),
        b'x' => {
            let hex = rest.get(1..3).ok_or(ExecError::BadEscape)?;
            let v = u8::from_str_radix(hex, 16).map_err(|_| ExecError::BadEscape)?;
            if v == 0 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(ExecError::BadEscape);
            }
            Ok((byte_to_string(v), 3))
        }
        b'u' | b'U' => {
            let n = if bytes[0] == b'u' { 4 } else { 8 };
            let hex = rest.get(1..1 + n).ok_or(ExecError::BadEscape)?;
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(ExecError::BadEscape);
            }
            let v = u32::from_str_radix(hex, 16).map_err(|_| ExecError::BadEscape)?;
            let c = char::from_u32(v).filter(|&c| c != '\0').ok_or(ExecError::BadEscape)?;
            Ok((c.to_string(), 1 + n))
        }
        b'0'..=b'7' => {
            let oct = rest.get(0..3).ok_or(ExecError::BadEscape)?;
            if !oct.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
                return Err(ExecError::BadEscape);
            }
            let v = u32::from_str_radix(oct, 8).map_err(|_| ExecError::BadEscape)?;
            if v == 0 || v > 255 {
                return Err(ExecError::BadEscape);
            }
            let b = u8::try_from(v).map_err(|_| ExecError::BadEscape)?;
            Ok((byte_to_string(b), 3))
        }
        _ => {
            // systemd keeps an unknown escape literally (backslash included)
            // and warns.
            let c = rest.chars().next().ok_or(ExecError::BadEscape)?;
            warnings.push(SplitWarning(format!(
                "ignoring unknown escape sequence '\\{c}'"
            )));
            Ok((format!("\\{c}"), c.len_utf8()))
        }
    }
}

fn byte_to_string(b: u8) -> String {
    // A lone byte >= 0x80 is not UTF-8; keep it as the Latin-1 character so
    // the value survives (systemd would keep the raw byte).
    char::from(b).to_string()
}
