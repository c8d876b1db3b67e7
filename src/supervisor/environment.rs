//! A command's environment and the `$VAR`/`${VAR}` expansion of its
//! arguments, as systemd does them (the rules are spelled out on
//! [`expand_argv`] and [`parse_environment_file`]).

use std::collections::BTreeMap;
use std::fs;

use crate::unit::service::EnvironmentFile;

/// The final environment of one command; later assignments win.
pub type Env = BTreeMap<String, String>;

/// A valid environment variable name: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Expands the arguments of a command line (`argv[0]` is kept as written: the
/// program never comes from a variable).
///
/// * a word that is exactly `$NAME` becomes the value split on whitespace,
///   quotes honoured and removed: zero or more words (none if unset);
/// * `${NAME}` anywhere is replaced verbatim, never split (empty if unset);
/// * `$$` is `$`; any other `$` (including `$NAME` inside a longer word) stays.
pub fn expand_argv(argv: &[String], env: &Env) -> Vec<String> {
    let mut out = Vec::with_capacity(argv.len());
    let mut words = argv.iter();
    if let Some(first) = words.next() {
        out.push(first.clone());
    }
    for word in words {
        if let Some(name) = word.strip_prefix('$').filter(|n| valid_name(n)) {
            if let Some(value) = env.get(name) {
                out.extend(split_value(value));
            }
            continue;
        }
        out.push(expand_braces(word, env));
    }
    out
}

/// `${NAME}` and `$$` substitution inside one word.
pub fn expand_braces(word: &str, env: &Env) -> String {
    let mut out = String::with_capacity(word.len());
    let mut rest = word;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some((name, tail)) = after
            .strip_prefix('{')
            .and_then(|a| a.split_once('}'))
            .filter(|(n, _)| valid_name(n))
        {
            out.push_str(env.get(name).map(String::as_str).unwrap_or(""));
            rest = tail;
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Splits a variable's value into words on whitespace; `'…'` and `"…"` group
/// and are removed.
fn split_value(value: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in value.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            None => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

/// Parses an EnvironmentFile=: `NAME=value` lines,
/// `#`/`;` comments, shell-like quoting, backslash-newline continuation.
pub fn parse_environment_file(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        // Skip blank space and comment lines before a key.
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() {
                chars.next();
            } else if c == '#' || c == ';' {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            } else {
                break;
            }
        }
        if chars.peek().is_none() {
            return out;
        }
        let mut key = String::new();
        let mut has_eq = false;
        for c in chars.by_ref() {
            if c == '=' {
                has_eq = true;
                break;
            }
            if c == '\n' {
                break;
            }
            key.push(c);
        }
        if !has_eq {
            continue;
        }
        let key = key.trim().to_owned();
        let value = parse_value(&mut chars);
        if valid_name(&key) {
            out.push((key, value));
        }
    }
}

fn parse_value(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> String {
    while chars.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
        chars.next();
    }
    let mut value = String::new();
    // Unquoted trailing whitespace is dropped; quoted text is kept whole.
    let mut keep = 0;
    while let Some(c) = chars.next() {
        match c {
            '\n' => break,
            '\'' => {
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    value.push(c);
                }
                keep = value.len();
            }
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => match chars.next() {
                            Some('\n') => {}
                            Some(e @ ('"' | '\\' | '`' | '$')) => value.push(e),
                            Some(other) => {
                                value.push('\\');
                                value.push(other);
                            }
                            None => break,
                        },
                        c => value.push(c),
                    }
                }
                keep = value.len();
            }
            '\\' => match chars.next() {
                Some('\n') | None => {}
                Some(e) => {
                    value.push(e);
                    keep = value.len();
                }
            },
            c => {
                value.push(c);
                if !c.is_whitespace() {
                    keep = value.len();
                }
            }
        }
    }
    value.truncate(keep);
    value
}

/// Reads the EnvironmentFile= entries in order. Each path may be a glob
/// pattern: every file it matches is read, in sorted order. A missing
/// optional file (or a pattern matching none) is skipped; a missing
/// mandatory one is an error naming the path.
pub fn read_environment_files(
    files: &[EnvironmentFile],
) -> Result<Vec<(String, String)>, EnvironmentFileError> {
    let mut out = Vec::new();
    for f in files {
        let paths = match super::glob::expand(&f.path) {
            Ok(paths) => paths,
            Err(_) if f.optional => continue,
            Err(source) => {
                return Err(EnvironmentFileError {
                    path: f.path.clone(),
                    source,
                })
            }
        };
        for path in paths {
            match fs::read_to_string(&path) {
                Ok(text) => out.extend(parse_environment_file(&text)),
                Err(_) if f.optional => {}
                Err(source) => return Err(EnvironmentFileError { path, source }),
            }
        }
    }
    Ok(out)
}

/// A mandatory EnvironmentFile= (or the pattern naming it) that cannot be
/// read.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct EnvironmentFileError {
    pub path: std::path::PathBuf,
    pub source: std::io::Error,
}

/// The layers of a command's environment, merged in systemd's order.
#[derive(Debug, Default)]
pub struct EnvLayers<'a> {
    /// The manager's default environment (PATH, ...).
    pub defaults: &'a [(String, String)],
    /// What the supervisor generates: INVOCATION_ID, NOTIFY_SOCKET, MAINPID,
    /// USER/HOME/..., TRIGGER_*, SERVICE_RESULT/EXIT_CODE/EXIT_STATUS.
    pub generated: Vec<(String, String)>,
    /// PassEnvironment= names and the manager's own environment to take them from.
    pub pass: &'a [String],
    pub manager_env: &'a [(String, String)],
    /// Environment= assignments.
    pub unit: &'a [(String, String)],
    /// EnvironmentFile= contents.
    pub files: Vec<(String, String)>,
    /// UnsetEnvironment=: names, or exact NAME=VALUE pairs.
    pub unset: &'a [String],
}

impl EnvLayers<'_> {
    /// DefaultEnvironment -> generated -> PassEnvironment -> Environment ->
    /// EnvironmentFile -> UnsetEnvironment removal (later wins).
    pub fn merge(self) -> Env {
        let mut env = Env::new();
        env.extend(self.defaults.iter().cloned());
        env.extend(self.generated);
        for name in self.pass {
            if let Some((k, v)) = self.manager_env.iter().rev().find(|(k, _)| k == name) {
                env.insert(k.clone(), v.clone());
            }
        }
        env.extend(self.unit.iter().cloned());
        env.extend(self.files);
        for u in self.unset {
            match u.split_once('=') {
                Some((k, v)) => {
                    if env.get(k).is_some_and(|cur| cur == v) {
                        env.remove(k);
                    }
                }
                None => {
                    env.remove(u.as_str());
                }
            }
        }
        env
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn words(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn systemd_documentation_example() {
        // Environment="ONE=one" 'TWO=two two'; ExecStart=echo $ONE $TWO ${TWO}
        let e = env(&[("ONE", "one"), ("TWO", "two two")]);
        let got = expand_argv(&words(&["echo", "$ONE", "$TWO", "${TWO}"]), &e);
        assert_eq!(got, words(&["echo", "one", "two", "two", "two two"]));
    }

    #[test]
    fn unset_and_embedded_variables() {
        let e = env(&[("FOO", "x")]);
        assert_eq!(expand_argv(&words(&["p", "$NOPE"]), &e), words(&["p"]));
        assert_eq!(
            expand_argv(&words(&["p", "${NOPE}"]), &e),
            words(&["p", ""])
        );
        assert_eq!(
            expand_argv(&words(&["p", "--x=$FOO"]), &e),
            words(&["p", "--x=$FOO"])
        );
        assert_eq!(
            expand_argv(&words(&["p", "--x=${FOO}"]), &e),
            words(&["p", "--x=x"])
        );
        assert_eq!(
            expand_argv(&words(&["p", "$$FOO", "a$$"]), &e),
            words(&["p", "$FOO", "a$"])
        );
        assert_eq!(expand_argv(&words(&["$FOO"]), &e), words(&["$FOO"]));
    }

    #[test]
    fn variable_values_split_with_quotes() {
        let e = env(&[("ARGS", "-a 'b c' \"d\"  e")]);
        assert_eq!(
            expand_argv(&words(&["p", "$ARGS"]), &e),
            words(&["p", "-a", "b c", "d", "e"])
        );
    }

    #[test]
    fn environment_file_syntax() {
        let text = "# comment\n; also\nA=1\n  B = two words  \nC='single $quoted'\nD=\"dq \\\"x\\\" \\n\"\nE=line\\\ncontinued\nnovalue\n1X=bad\nF=\n";
        let got = parse_environment_file(text);
        assert_eq!(
            got,
            vec![
                ("A".to_string(), "1".to_string()),
                ("B".to_string(), "two words".to_string()),
                ("C".to_string(), "single $quoted".to_string()),
                ("D".to_string(), "dq \"x\" \\n".to_string()),
                ("E".to_string(), "linecontinued".to_string()),
                ("F".to_string(), String::new()),
            ]
        );
    }

    #[test]
    fn layers_merge_in_systemd_order() {
        let defaults = vec![("PATH".to_string(), "/bin".to_string())];
        let unit = vec![
            ("A".to_string(), "unit".to_string()),
            ("B".to_string(), "b".to_string()),
        ];
        let manager = vec![("HOME".to_string(), "/root".to_string())];
        let pass = vec!["HOME".to_string(), "MISSING".to_string()];
        let unset = vec!["B".to_string(), "PATH=/other".to_string()];
        let env = EnvLayers {
            defaults: &defaults,
            generated: vec![
                ("INVOCATION_ID".into(), "abc".into()),
                ("A".into(), "gen".into()),
            ],
            pass: &pass,
            manager_env: &manager,
            unit: &unit,
            files: vec![("A".into(), "file".into())],
            unset: &unset,
        }
        .merge();
        assert_eq!(env.get("A").map(String::as_str), Some("file"));
        assert_eq!(env.get("B"), None);
        assert_eq!(env.get("PATH").map(String::as_str), Some("/bin"));
        assert_eq!(env.get("HOME").map(String::as_str), Some("/root"));
        assert_eq!(env.get("INVOCATION_ID").map(String::as_str), Some("abc"));
        assert!(!env.contains_key("MISSING"));
    }
}
