//! `StandardInputText=` and `StandardInputData=`: the bytes a service reads
//! on standard input with `StandardInput=data`.
//!
//! Both append to one buffer, in the order of the assignments; an empty
//! assignment to either empties it (systemd.exec(5)).

use super::diag::ValueError;
use super::specifiers::Specifiers;

/// systemd's limit on the buffer (`EXEC_STDIN_DATA_MAX`, 64 MiB).
pub const MAX_LEN: usize = 64 * 1024 * 1024;

/// Appends the bytes of one `StandardInputText=` line to `buffer`: C escapes
/// decoded first, then `%` specifiers, then a newline. Nothing is appended
/// when the line is rejected.
pub fn append_text(
    buffer: &mut Vec<u8>,
    value: &str,
    specifiers: &Specifiers<'_>,
) -> Result<(), ValueError> {
    let unescaped = unescape(value).ok_or_else(|| {
        ValueError::Invalid(format!(
            "failed to decode C escaped text '{value}', ignoring"
        ))
    })?;
    let mut line = expand_specifiers(&unescaped, specifiers)?;
    line.push(b'\n');
    append(buffer, &line)
}

/// Appends the decoded bytes of one `StandardInputData=` value (Base64,
/// whitespace ignored) to `buffer`.
pub fn append_base64(buffer: &mut Vec<u8>, value: &str) -> Result<(), ValueError> {
    let bytes = decode_base64(value).ok_or_else(|| {
        ValueError::Invalid(format!("failed to decode base64 data, ignoring: {value}"))
    })?;
    append(buffer, &bytes)
}

fn append(buffer: &mut Vec<u8>, bytes: &[u8]) -> Result<(), ValueError> {
    let total = buffer.len() + bytes.len();
    if total > MAX_LEN {
        return Err(ValueError::Invalid(format!(
            "standard input data too large ({total} bytes), at most {MAX_LEN} permitted, ignoring"
        )));
    }
    buffer.extend_from_slice(bytes);
    Ok(())
}

/// Decodes C escapes to bytes (`\xff` is the byte 0xff, `\u00ff` its UTF-8
/// form). `None` for an unknown or malformed escape, or one that yields a
/// NUL byte, which systemd refuses here.
fn unescape(value: &str) -> Option<Vec<u8>> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let rest = value.get(i + 1..)?;
        let (decoded, used) = unescape_one(rest)?;
        out.extend_from_slice(&decoded);
        i += 1 + used;
    }
    Some(out)
}

/// One escape after the backslash: its bytes and how many input bytes it used.
fn unescape_one(rest: &str) -> Option<(Vec<u8>, usize)> {
    let first = *rest.as_bytes().first()?;
    let simple = |b: u8| Some((vec![b], 1));
    let digits = |n: usize, radix: u32| -> Option<u32> {
        let s = rest.get(1..1 + n)?;
        if !s.chars().all(|c| c.is_digit(radix)) {
            return None;
        }
        u32::from_str_radix(s, radix).ok().filter(|&v| v != 0)
    };
    match first {
        b'a' => simple(0x07),
        b'b' => simple(0x08),
        b'f' => simple(0x0c),
        b'n' => simple(b'\n'),
        b'r' => simple(b'\r'),
        b't' => simple(b'\t'),
        b'v' => simple(0x0b),
        b'\\' | b'"' | b'\'' => simple(first),
        b's' => simple(b' '),
        b'x' => Some((vec![u8::try_from(digits(2, 16)?).ok()?], 3)),
        b'u' | b'U' => {
            let n = if first == b'u' { 4 } else { 8 };
            let c = char::from_u32(digits(n, 16)?)?;
            Some((c.to_string().into_bytes(), 1 + n))
        }
        b'0'..=b'7' => {
            // Three octal digits, the first one included.
            let s = rest.get(..3)?;
            if !s.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
                return None;
            }
            let v = u32::from_str_radix(s, 8).ok().filter(|&v| v != 0)?;
            Some((vec![u8::try_from(v).ok()?], 3))
        }
        _ => None,
    }
}

/// Resolves `%x` specifiers in bytes that need not be UTF-8: each `%x` pair
/// is expanded on its own, everything else is copied as it is.
fn expand_specifiers(bytes: &[u8], specifiers: &Specifiers<'_>) -> Result<Vec<u8>, ValueError> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while let Some(pos) = rest.iter().position(|&b| b == b'%') {
        out.extend_from_slice(&rest[..pos]);
        // A specifier is one ASCII character; anything else is unknown and
        // reported by `expand` just the same.
        let len = rest
            .get(pos + 1)
            .map_or(1, |b| if b.is_ascii() { 2 } else { 1 });
        let pair = String::from_utf8_lossy(&rest[pos..pos + len]);
        out.extend_from_slice(specifiers.expand(&pair)?.as_bytes());
        rest = &rest[pos + len..];
    }
    out.extend_from_slice(rest);
    Ok(out)
}

/// Base64 (RFC 4648, standard alphabet, padded) with whitespace anywhere.
/// `None` when malformed: a length that is not a multiple of four, padding
/// before the end, or bits left over in the last group (systemd refuses all
/// three).
fn decode_base64(value: &str) -> Option<Vec<u8>> {
    let symbols: Vec<u8> = value.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if symbols.len() % 4 != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(symbols.len() / 4 * 3);
    let groups = symbols.chunks(4).count();
    for (n, group) in symbols.chunks(4).enumerate() {
        let pad = group.iter().rev().take_while(|&&b| b == b'=').count();
        if pad > 2 || (pad > 0 && n + 1 != groups) {
            return None;
        }
        let mut acc: u32 = 0;
        for &b in &group[..4 - pad] {
            acc = acc << 6 | u32::from(sextet(b)?);
        }
        let bits = (4 - pad) * 6;
        let keep = bits / 8;
        let spare = bits - keep * 8;
        if acc & ((1 << spare) - 1) != 0 {
            return None;
        }
        let acc = acc >> spare;
        for i in (0..keep).rev() {
            out.push((acc >> (8 * i)) as u8);
        }
    }
    Some(out)
}

fn sextet(b: u8) -> Option<u8> {
    Some(match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::specifiers::SpecifierContext;
    use crate::unit::UnitName;

    fn text(buffer: &mut Vec<u8>, value: &str) -> Result<(), ValueError> {
        let ctx = SpecifierContext::system();
        let name = UnitName::parse("feed.service").expect("valid name");
        append_text(buffer, value, &Specifiers::new(&ctx, &name, None))
    }

    #[test]
    fn text_lines_get_newlines_escapes_and_specifiers() {
        let mut buf = Vec::new();
        text(&mut buf, r"one\ttab").expect("valid");
        text(&mut buf, r"%n 100%% \x41\101\u00e9\xff").expect("valid");
        assert_eq!(buf, b"one\ttab\nfeed.service 100% AA\xc3\xa9\xff\n");
    }

    #[test]
    fn escapes_are_decoded_before_specifiers() {
        // systemd unescapes first: "\x25n" becomes "%n", then the unit name.
        let mut buf = Vec::new();
        text(&mut buf, r"\x25n").expect("valid");
        assert_eq!(buf, b"feed.service\n");
    }

    #[test]
    fn bad_text_is_rejected_whole() {
        let mut buf = b"kept\n".to_vec();
        for bad in [r"a\q", r"a\x00b", r"a\x4", "%Z", r"\u12"] {
            let err = text(&mut buf, bad).expect_err(bad);
            assert!(!err.to_string().is_empty());
        }
        assert_eq!(buf, b"kept\n");
        assert_eq!(
            text(&mut buf, r"a\q")
                .expect_err("unknown escape")
                .to_string(),
            r"failed to decode C escaped text 'a\q', ignoring"
        );
    }

    #[test]
    fn base64_ignores_whitespace_and_concatenates_with_text() {
        let mut buf = Vec::new();
        append_base64(&mut buf, "QU JD\n\tREVG").expect("valid");
        text(&mut buf, "x").expect("valid");
        append_base64(&mut buf, "/w==").expect("valid");
        append_base64(&mut buf, "AAE=").expect("valid");
        assert_eq!(buf, b"ABCDEFx\n\xff\x00\x01");
    }

    #[test]
    fn malformed_base64_is_rejected() {
        // The cases systemd-analyze 252 refuses.
        for bad in [
            "QUJ", "QQ=", "Q===", "QQ==QQ==", "-_8=", "QR==", "QUJ=", "====",
        ] {
            let mut buf = Vec::new();
            let err = append_base64(&mut buf, bad).expect_err(bad);
            assert_eq!(
                err.to_string(),
                format!("failed to decode base64 data, ignoring: {bad}")
            );
            assert!(buf.is_empty());
        }
    }

    #[test]
    fn the_buffer_is_limited() {
        let mut buf = vec![b'x'; MAX_LEN - 2];
        text(&mut buf, "a").expect("fits exactly");
        let err = text(&mut buf, "b").expect_err("too large");
        assert!(err.to_string().contains("too large"), "{err}");
        assert_eq!(buf.len(), MAX_LEN);
    }
}
