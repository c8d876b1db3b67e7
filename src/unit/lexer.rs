//! The unit-file lexer: text -> `(section, key, value, line)` entries, with
//! systemd's rules (conf-parser.c, checked against systemd 252):
//!
//! * a physical line whose first non-blank character is `#` or `;` is a
//!   comment, checked *before* continuation handling, so comment lines inside a
//!   continued value are dropped and the value goes on after them; there are no
//!   trailing comments;
//! * a line ending in an odd number of backslashes continues: the last `\`
//!   becomes a space and the next line is appended;
//! * section and key names are case-sensitive; sections and keys starting with
//!   `X-` are extensions, ignored silently by the typed layer except for
//!   sundial's own `X-Sundial-…` keys (extensions.rs);
//! * an invalid section header or a line over 1 MiB ends the parse: nothing
//!   after it is read ([`Lexed::fatal`]).

use std::path::Path;

use super::diag::{Diagnostic, Problem};

/// systemd's LONG_LINE_MAX: 1 MiB, continuations included.
pub const LINE_MAX: usize = 1024 * 1024;

/// One `Key=Value` assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The section it is in, without brackets.
    pub section: String,
    /// The key, whitespace-stripped.
    pub key: String,
    /// The value, whitespace-stripped; empty for a reset (`ExecStart=`).
    pub value: String,
    /// The 1-based line where the assignment starts.
    pub line: usize,
}

/// A section header, with the line it is on (for the typed layer's "unknown
/// section" report).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionHeader {
    /// The name without brackets.
    pub name: String,
    /// The 1-based line.
    pub line: usize,
}

/// A problem after which systemd's parser reads no further (conf-parser.c
/// returns an error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LexFatal {
    /// A `[` line without its `]` (`EBADMSG`).
    BadSectionHeader,
    /// A line, continuations included, over [`LINE_MAX`] (`ENOBUFS`).
    LineTooLong,
}

impl LexFatal {
    /// The error's text, as systemd reports a unit that failed to load
    /// because of it ("…: Bad message").
    pub fn errno_text(self) -> &'static str {
        match self {
            LexFatal::BadSectionHeader => "Bad message",
            LexFatal::LineTooLong => "No buffer space available",
        }
    }
}

/// A lexed file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lexed {
    /// Every assignment, in file order.
    pub entries: Vec<Entry>,
    /// Every section header, in file order.
    pub sections: Vec<SectionHeader>,
    /// Lexical problems, in file order: warnings (the line is ignored), and
    /// an error last if the parse stopped.
    pub diagnostics: Vec<Diagnostic>,
    /// What ended the parse early, if anything: the entries are those
    /// before it.
    pub fatal: Option<LexFatal>,
}

/// Splits `text` (the contents of `path`) into entries.
pub fn lex(path: &Path, text: &str) -> Lexed {
    let mut out = Lexed::default();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut section: Option<String> = None;
    // The logical line being assembled from continued physical lines, and
    // the line number it started on.
    let mut pending: Option<(String, usize)> = None;
    let mut too_long = false;

    // systemd's read_line() ends a line at a NUL byte as at a newline, so a
    // NUL inside a value cuts it there and the rest is a line of its own.
    for (index, raw) in text.split(['\n', '\0']).enumerate() {
        let number = index + 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = raw.trim_start_matches(is_blank);
        // Comments are recognized on each physical line, even in the middle of
        // a continuation.
        if trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        let (continues, content) = strip_continuation(raw);
        match pending.as_mut() {
            Some((buf, _)) => {
                if buf.len() + content.len() + 1 > LINE_MAX {
                    too_long = true;
                } else {
                    buf.push_str(content);
                }
            }
            None => {
                if content.len() > LINE_MAX {
                    too_long = true;
                }
                pending = Some((content.to_owned(), number));
            }
        }
        if continues {
            if let Some((buf, _)) = pending.as_mut() {
                buf.push(' ');
            }
            continue;
        }
        if let Some((logical, start)) = pending.take() {
            if std::mem::take(&mut too_long) {
                return too_long_at(path, start, out);
            }
            lex_logical_line(path, &logical, start, &mut section, &mut out);
            if out.fatal.is_some() {
                return out;
            }
        }
    }
    // systemd parses a dangling continuation at end of file.
    if let Some((logical, start)) = pending.take() {
        if too_long {
            return too_long_at(path, start, out);
        }
        lex_logical_line(path, &logical, start, &mut section, &mut out);
    }
    out
}

/// Ends the parse at the over-long line starting at `line`.
fn too_long_at(path: &Path, line: usize, mut out: Lexed) -> Lexed {
    out.diagnostics
        .push(Diagnostic::error(path, line, Problem::LineTooLong));
    out.fatal = Some(LexFatal::LineTooLong);
    out
}

fn is_blank(c: char) -> bool {
    // systemd's WHITESPACE: " \t\n\r"
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// Whether the physical line continues, and its content without the final
/// backslash.
fn strip_continuation(line: &str) -> (bool, &str) {
    let backslashes = line.bytes().rev().take_while(|&b| b == b'\\').count();
    if backslashes % 2 == 1 {
        (true, &line[..line.len() - 1])
    } else {
        (false, line)
    }
}

fn lex_logical_line(
    path: &Path,
    logical: &str,
    line: usize,
    section: &mut Option<String>,
    out: &mut Lexed,
) {
    let l = logical.trim_matches(is_blank);
    if l.is_empty() {
        return;
    }
    if l.starts_with('[') {
        if l.len() < 2 || !l.ends_with(']') {
            // systemd: an invalid header ends the parse with EBADMSG.
            out.diagnostics.push(Diagnostic::error(
                path,
                line,
                Problem::BadSectionHeader(l.to_owned()),
            ));
            out.fatal = Some(LexFatal::BadSectionHeader);
            *section = None;
            return;
        }
        let name = &l[1..l.len() - 1];
        out.sections.push(SectionHeader {
            name: name.to_owned(),
            line,
        });
        *section = Some(name.to_owned());
        return;
    }
    let Some(section) = section.as_ref() else {
        out.diagnostics
            .push(Diagnostic::warning(path, line, Problem::OutsideSection));
        return;
    };
    let Some((key, value)) = l.split_once('=') else {
        out.diagnostics
            .push(Diagnostic::warning(path, line, Problem::MissingEquals));
        return;
    };
    let key = key.trim_matches(is_blank);
    if key.is_empty() {
        out.diagnostics
            .push(Diagnostic::warning(path, line, Problem::MissingEquals));
        return;
    }
    out.entries.push(Entry {
        section: section.clone(),
        key: key.to_owned(),
        value: value.trim_matches(is_blank).to_owned(),
        line,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(text: &str) -> Vec<(String, String, String, usize)> {
        lex(Path::new("t.service"), text)
            .entries
            .into_iter()
            .map(|e| (e.section, e.key, e.value, e.line))
            .collect()
    }

    fn e(s: &str, k: &str, v: &str, l: usize) -> (String, String, String, usize) {
        (s.into(), k.into(), v.into(), l)
    }

    #[test]
    fn basic_sections_and_keys() {
        let got = entries("[Unit]\nDescription = hello world \n\n[Service]\nExecStart=/bin/true\n");
        assert_eq!(
            got,
            vec![
                e("Unit", "Description", "hello world", 2),
                e("Service", "ExecStart", "/bin/true", 5)
            ]
        );
    }

    #[test]
    fn a_nul_byte_ends_the_line_as_in_systemd() {
        // systemd-analyze verify: `ExecStart=/bin/echo a` and, on line 3,
        // "Missing '=', ignoring line." for what followed the NUL.
        let text = "[Service]\nExecStart=/bin/echo a\0b\n";
        assert_eq!(
            entries(text),
            vec![e("Service", "ExecStart", "/bin/echo a", 2)]
        );
        let lexed = lex(Path::new("/u/n.service"), text);
        let lines: Vec<usize> = lexed.diagnostics.iter().map(|d| d.line).collect();
        assert_eq!(lines, [3], "{:?}", lexed.diagnostics);
    }

    #[test]
    fn comments_only_at_line_start() {
        let got = entries("[Unit]\n  # comment\n; also\nDescription=a # not a comment\n");
        assert_eq!(got, vec![e("Unit", "Description", "a # not a comment", 4)]);
    }

    #[test]
    fn continuation_skips_comment_lines() {
        let got =
            entries("[Service]\nExecStart=/bin/echo a \\\n# comment\n  b \\\n; another\n c\n");
        assert_eq!(
            got,
            vec![e("Service", "ExecStart", "/bin/echo a    b   c", 2)]
        );
    }

    #[test]
    fn even_backslashes_do_not_continue() {
        let got = entries("[S]\nA=x\\\\\nB=y\n");
        assert_eq!(got, vec![e("S", "A", "x\\\\", 2), e("S", "B", "y", 3)]);
        let got = entries("[S]\nA=x\\\\\\\nB=y\n");
        assert_eq!(got, vec![e("S", "A", "x\\\\ B=y", 2)]);
    }

    #[test]
    fn dangling_continuation_at_eof() {
        assert_eq!(entries("[S]\nA=x \\"), vec![e("S", "A", "x", 2)]);
    }

    #[test]
    fn problems() {
        let lexed = lex(Path::new("/u/t.service"), "A=b\n[S]\nnoequals\n=v\n[Bad\n");
        let msgs: Vec<String> = lexed.diagnostics.iter().map(ToString::to_string).collect();
        assert_eq!(
            msgs,
            vec![
                "/u/t.service:1: Assignment outside of section. Ignoring.",
                "/u/t.service:3: Missing '=', ignoring line.",
                "/u/t.service:4: Missing '=', ignoring line.",
                "/u/t.service:5: Invalid section header '[Bad'",
            ]
        );
        assert_eq!(lexed.fatal, Some(LexFatal::BadSectionHeader));
    }

    #[test]
    fn a_bad_header_or_a_long_line_ends_the_parse() {
        let lexed = lex(
            Path::new("/u/t.service"),
            "[S]\nA=1\n[Bad\nB=2\nnoequals\n[T]\nC=3\n",
        );
        assert_eq!(lexed.entries.len(), 1);
        assert_eq!(lexed.sections.len(), 1);
        assert_eq!(lexed.diagnostics.len(), 1);
        assert!(lexed.diagnostics[0].is_error());
        let long = format!("[S]\nA=1\nB={}\nC=3\n", "x".repeat(LINE_MAX));
        let lexed = lex(Path::new("/u/t.service"), &long);
        assert_eq!(lexed.fatal, Some(LexFatal::LineTooLong));
        assert_eq!(entries_of(&lexed), vec![e("S", "A", "1", 2)]);
        assert_eq!(
            lexed.diagnostics[0].to_string(),
            "/u/t.service:3: Line too long"
        );
    }

    fn entries_of(lexed: &Lexed) -> Vec<(String, String, String, usize)> {
        lexed
            .entries
            .iter()
            .map(|e| (e.section.clone(), e.key.clone(), e.value.clone(), e.line))
            .collect()
    }

    #[test]
    fn bom_and_crlf() {
        let got = entries("\u{feff}[Unit]\r\nDescription=x\r\n");
        assert_eq!(got, vec![e("Unit", "Description", "x", 2)]);
    }
}
