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

/// Why a command line is rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecError {
    /// An opening quote without its closing one.
    #[error("unbalanced quoting in '{0}'")]
    UnbalancedQuotes(String),
    /// Nothing after the prefixes (`-` alone).
    #[error("empty path in command line '{0}'")]
    EmptyPath(String),
    /// Control characters, quotes or backslashes in the executable's path.
    #[error("executable name contains special characters: '{0}'")]
    UnsafePath(String),
    /// A path ending in `/`, `/.` or `/..`.
    #[error("executable path specifies a directory: '{0}'")]
    Directory(String),
    /// A relative path containing `/`.
    #[error("neither a valid executable name nor an absolute path: '{0}'")]
    NotAbsolute(String),
    /// `@` without the `argv[0]` word after the path.
    #[error("empty executable name or zeroeth argument: '{0}'")]
    MissingArgv0(String),
    /// An unknown `%` specifier.
    #[error("failed to resolve unit specifiers in '{word}': {cause}")]
    Specifier {
        /// The word as written.
        word: String,
        /// Which specifier.
        cause: SpecifierError,
    },
}

/// The result of parsing one `Exec*=` value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecParse {
    /// Commands parsed before any error, in order.
    pub commands: Vec<ExecCommand>,
    /// Problems that did not reject anything (unknown escapes).
    pub warnings: Vec<String>,
    /// The error that stopped parsing, if any, and whether it is fatal (the
    /// unit must not load) or only drops the rest of the line (`-` prefix, or
    /// a malformed first word, which systemd only logs).
    pub error: Option<(ExecError, bool)>,
}

/// Splits a whole `Exec*=` value into commands as systemd's
/// `config_parse_exec` does. `specifiers` expands `%` in every word.
pub fn parse_exec_value(value: &str, specifiers: &Specifiers<'_>) -> ExecParse {
    let mut out = ExecParse::default();
    let mut rest = value;
    loop {
        let first = match extract_word(rest) {
            Ok(None) => return out,
            Ok(Some(w)) => {
                out.warnings.extend(w.warning);
                rest = w.rest;
                w.text
            }
            Err(e) => {
                // systemd logs a malformed first word and ignores the rest of
                // the value, without refusing the unit.
                out.error = Some((e, false));
                return out;
            }
        };
        if first == ";" {
            continue;
        }
        match parse_command(&first, &mut rest, specifiers, &mut out.warnings) {
            Ok((command, more)) => {
                out.commands.push(command);
                if !more {
                    return out;
                }
            }
            Err((e, ignore)) => {
                out.error = Some((e, !ignore));
                return out;
            }
        }
    }
}

/// Parses the prefixes of `first` and the words that follow it in `rest` up to
/// a `;` word. Returns the command and whether a `;` asked for another one; on
/// error, whether the `-` prefix makes it non-fatal.
fn parse_command(
    first: &str,
    rest: &mut &str,
    specifiers: &Specifiers<'_>,
    warnings: &mut Vec<String>,
) -> Result<(ExecCommand, bool), (ExecError, bool)> {
    let mut ignore_failure = false;
    let mut no_env_expand = false;
    let mut argv0_given = false;
    let mut privileges = ExecPrivileges::Normal;
    let mut f = first;
    // systemd: each prefix at most once; `+`, `!` and `!!` exclude each other.
    loop {
        let c = f.chars().next();
        match c {
            Some('-') if !ignore_failure => ignore_failure = true,
            Some('@') if !argv0_given => argv0_given = true,
            Some(':') if !no_env_expand => no_env_expand = true,
            Some('+') if privileges == ExecPrivileges::Normal => privileges = ExecPrivileges::Full,
            Some('!') if privileges == ExecPrivileges::Normal => {
                privileges = ExecPrivileges::NoSetuid
            }
            Some('!') if privileges == ExecPrivileges::NoSetuid => {
                privileges = ExecPrivileges::AmbientFallback
            }
            _ => break,
        }
        f = &f[1..];
    }
    let ignore = ignore_failure;
    let fail = |e: ExecError| (e, ignore);
    let path = specifiers.expand(f).map_err(|cause| {
        fail(ExecError::Specifier {
            word: f.to_owned(),
            cause,
        })
    })?;
    if path.is_empty() {
        return Err(fail(ExecError::EmptyPath(first.to_owned())));
    }
    if path
        .chars()
        .any(|c| c < ' ' || c == '\x7f' || matches!(c, '\\' | '"' | '\''))
    {
        return Err(fail(ExecError::UnsafePath(path)));
    }
    if path == "."
        || path == ".."
        || path.ends_with('/')
        || path.ends_with("/.")
        || path.ends_with("/..")
    {
        return Err(fail(ExecError::Directory(path)));
    }
    if !path.starts_with('/') && (path.contains('/') || path.len() > 255) {
        return Err(fail(ExecError::NotAbsolute(path)));
    }
    let mut argv = Vec::new();
    if !argv0_given {
        argv.push(path.clone());
    }
    let path = simplify_path(&path);
    let mut more = false;
    loop {
        let r = rest.trim_start_matches(is_separator);
        if r.is_empty() {
            *rest = r;
            break;
        }
        // An unquoted `;` word separates commands; `\;` is a literal `;`.
        if let Some(after) = r.strip_prefix(';') {
            if after.is_empty() || after.starts_with(is_separator) {
                *rest = after.trim_start_matches(is_separator);
                more = true;
                break;
            }
        }
        if let Some(after) = r.strip_prefix("\\;") {
            if after.is_empty() || after.starts_with(is_separator) {
                argv.push(";".to_owned());
                *rest = after;
                continue;
            }
        }
        let Word {
            text: word,
            rest: after,
            warning,
        } = match extract_word(r) {
            Ok(Some(w)) => w,
            Ok(None) => {
                *rest = "";
                break;
            }
            Err(e) => return Err(fail(e)),
        };
        warnings.extend(warning);
        *rest = after;
        let word = specifiers
            .expand(&word)
            .map_err(|cause| fail(ExecError::Specifier { word, cause }))?;
        argv.push(word);
    }
    if argv.is_empty() {
        return Err(fail(ExecError::MissingArgv0(first.to_owned())));
    }
    Ok((
        ExecCommand {
            path,
            argv,
            ignore_failure,
            no_env_expand,
            privileges,
        },
        more,
    ))
}

/// systemd's `path_simplify`: drops duplicate slashes and `.` components;
/// `..` is kept.
fn simplify_path(path: &str) -> String {
    if !path.starts_with('/') {
        return path.to_owned();
    }
    let parts: Vec<&str> = path
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    format!("/{}", parts.join("/"))
}

fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// One word taken off the front of a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word<'v> {
    /// The word, unquoted and unescaped.
    pub text: String,
    /// The input after the word.
    pub rest: &'v str,
    /// Set when an unknown escape was kept literally.
    pub warning: Option<String>,
}

/// Extracts the next word with quote removal and C unescaping, as systemd's
/// `extract_first_word(UNQUOTE|CUNESCAPE)` with its warning retry does.
/// Returns `None` at the end of the input.
pub fn extract_word(input: &str) -> Result<Option<Word<'_>>, ExecError> {
    let input = input.trim_start_matches(is_separator);
    if input.is_empty() {
        return Ok(None);
    }
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut unknown_escape = false;
    let mut chars = input.char_indices();
    let mut end = input.len();
    while let Some((i, c)) = chars.next() {
        match (quote, c) {
            (None, c) if is_separator(c) => {
                end = i;
                break;
            }
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (_, '\\') => {
                let rest = &input[i + 1..];
                match unescape_one(rest) {
                    Some((decoded, used)) => {
                        word.push_str(&decoded);
                        // `used` counts bytes of ASCII escape characters.
                        for _ in 0..used {
                            chars.next();
                        }
                    }
                    None => {
                        // systemd retries with EXTRACT_CUNESCAPE_RELAX: the
                        // backslash and the character after it stay as they are.
                        unknown_escape = true;
                        word.push('\\');
                        if let Some((_, next)) = chars.next() {
                            word.push(next);
                        }
                    }
                }
            }
            (_, c) => word.push(c),
        }
    }
    if quote.is_some() {
        return Err(ExecError::UnbalancedQuotes(input.to_owned()));
    }
    let warning = unknown_escape.then(|| format!("Ignoring unknown escape sequences: \"{word}\""));
    Ok(Some(Word {
        text: word,
        rest: &input[end..],
        warning,
    }))
}

/// Decodes the escape after a backslash (systemd's `cunescape_one`). Returns
/// the text and how many bytes of `rest` it used, or `None` for an unknown or
/// malformed escape.
fn unescape_one(rest: &str) -> Option<(String, usize)> {
    let bytes = rest.as_bytes();
    let simple = |s: &str| Some((s.to_owned(), 1));
    match *bytes.first()? {
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
            let hex = rest.get(1..3)?;
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            let v = u8::from_str_radix(hex, 16).ok().filter(|&v| v != 0)?;
            Some((byte_to_string(v), 3))
        }
        b'u' | b'U' => {
            let n = if bytes[0] == b'u' { 4 } else { 8 };
            let hex = rest.get(1..1 + n)?;
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            let v = u32::from_str_radix(hex, 16).ok()?;
            let c = char::from_u32(v).filter(|&c| c != '\0')?;
            Some((c.to_string(), 1 + n))
        }
        b'0'..=b'7' => {
            let oct = rest.get(0..3)?;
            if !oct.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
                return None;
            }
            let v = u32::from_str_radix(oct, 8).ok().filter(|&v| v != 0)?;
            let b = u8::try_from(v).ok()?;
            Some((byte_to_string(b), 3))
        }
        _ => None,
    }
}

fn byte_to_string(b: u8) -> String {
    // A lone byte >= 0x80 is not UTF-8; keep it as the Latin-1 character so
    // the value survives (systemd would keep the raw byte).
    char::from(b).to_string()
}

/// Splits a value into words with the same quoting and escaping rules,
/// without the command-line specifics (`Environment=`, `PassEnvironment=`).
pub fn split_words(value: &str) -> Result<(Vec<String>, Vec<String>), ExecError> {
    let mut words = Vec::new();
    let mut warnings = Vec::new();
    let mut rest = value;
    while let Some(w) = extract_word(rest)? {
        words.push(w.text);
        warnings.extend(w.warning);
        rest = w.rest;
    }
    Ok((words, warnings))
}
