//! Whether the locale is UTF-8, decided as systemd 252 decides it
//! (`is_locale_utf8()` in locale-util.c): systemd-analyze prints `μs:` in a
//! UTF-8 locale and `us:` otherwise, so `sundial timespan` asks the same
//! question the same way.
//!
//! The rule, in order:
//! 1. a locale that cannot be set (`setlocale(LC_ALL, "")` fails, e.g. a
//!    `LANG` naming a locale that is not installed) counts as UTF-8;
//! 2. a codeset of `UTF-8` is UTF-8;
//! 3. otherwise only the implicit C locale counts as UTF-8: `LC_CTYPE` is
//!    `C` or `POSIX` and none of `LC_ALL`, `LC_CTYPE`, `LANG` is set (an
//!    explicit `LANG=C` or `LC_ALL=POSIX` asks for ASCII).
//!
//! (`$SYSTEMD_UTF8`, which later versions read first, is ignored by 252's
//! systemd-analyze, and so here.)

use std::ffi::CStr;

/// The environment variables that make a C locale explicit.
const LOCALE_VARS: [&str; 3] = ["LC_ALL", "LC_CTYPE", "LANG"];

/// The decision from what the C library reported: `codeset` is
/// `nl_langinfo(CODESET)` and `ctype` the `LC_CTYPE` locale name, both `None`
/// when `setlocale(LC_ALL, "")` failed; `explicit` whether one of
/// [`LOCALE_VARS`] is set (even to the empty string, as `getenv` sees it).
fn decide(setlocale_ok: bool, codeset: Option<&str>, ctype: Option<&str>, explicit: bool) -> bool {
    if !setlocale_ok {
        return true;
    }
    match codeset {
        None => return true,
        Some("UTF-8") => return true,
        Some(_) => {}
    }
    match ctype {
        None => true,
        Some(name) => matches!(name, "C" | "POSIX") && !explicit,
    }
}

/// Whether the process's locale (from the environment) is UTF-8.
///
/// Sets the C library's locale from the environment to ask, then puts the
/// default `C` locale back, so nothing else in sundial (error texts) changes.
/// Call it before any thread is started: `setlocale` is not thread-safe.
pub fn locale_is_utf8() -> bool {
    let explicit = LOCALE_VARS.iter().any(|v| std::env::var_os(v).is_some());
    let owned = |p: *const libc::c_char| {
        // SAFETY: a non-null pointer from setlocale()/nl_langinfo() points to
        // a NUL-terminated string valid until the next call of either; it is
        // copied out at once.
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    };
    // SAFETY: setlocale() and nl_langinfo() with valid arguments; the strings
    // they return are copied before the locale is changed again. The caller
    // runs this before starting threads.
    let (setlocale_ok, codeset, ctype) = unsafe {
        let ok = !libc::setlocale(libc::LC_ALL, c"".as_ptr()).is_null();
        let (codeset, ctype) = if ok {
            (
                owned(libc::nl_langinfo(libc::CODESET)),
                owned(libc::setlocale(libc::LC_CTYPE, std::ptr::null())),
            )
        } else {
            (None, None)
        };
        libc::setlocale(libc::LC_ALL, c"C".as_ptr());
        (ok, codeset, ctype)
    };
    decide(setlocale_ok, codeset.as_deref(), ctype.as_deref(), explicit)
}

/// The micro sign as systemd prints it: `μ` in a UTF-8 locale, else `u`
/// (`special_glyph(SPECIAL_GLYPH_MU)`).
pub fn micro_sign(utf8: bool) -> &'static str {
    if utf8 {
        "μ"
    } else {
        "u"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_locale_and_utf8_codeset_are_utf8() {
        assert!(decide(false, None, None, true));
        assert!(decide(true, Some("UTF-8"), Some("C.UTF-8"), true));
    }

    #[test]
    fn only_the_implicit_c_locale_is_utf8() {
        assert!(decide(true, Some("ANSI_X3.4-1968"), Some("C"), false));
        assert!(!decide(true, Some("ANSI_X3.4-1968"), Some("C"), true));
        assert!(!decide(true, Some("ANSI_X3.4-1968"), Some("POSIX"), true));
        assert!(!decide(true, Some("ISO-8859-1"), Some("de_DE"), false));
    }
}
