//! The small subset of the C library's `strptime()` that systemd's timestamp
//! parser relies on, with glibc's quirks: numbers read at most as many digits
//! as their field allows and skip leading whitespace, a space in the format
//! matches any run of whitespace (even none), month names are matched without
//! regard to case.

/// Fields set by a conversion; those not named in the format keep the values
/// they had (systemd pre-fills them from the current time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tm {
    pub year: i32,
    /// 1–12.
    pub month: u32,
    /// 1–31, or beyond the month's end before normalization.
    pub day: i64,
    pub hour: u32,
    pub minute: u32,
    /// 0–61, as `%S` allows.
    pub second: u32,
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// glibc's `get_number(from, to, n)`: skips whitespace, then reads up to `n`
/// digits while another digit could still fit below `to`.
fn number(s: &[u8], from: u32, to: u32, n: usize) -> Option<(u32, &[u8])> {
    let mut i = s.iter().take_while(|b| is_c_space(**b)).count();
    if !s.get(i).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let mut val: u32 = 0;
    let mut left = n;
    loop {
        val = val * 10 + u32::from(s[i] - b'0');
        i += 1;
        left -= 1;
        if left == 0 || val * 10 > to || !s.get(i).is_some_and(u8::is_ascii_digit) {
            break;
        }
    }
    (from..=to).contains(&val).then_some((val, &s[i..]))
}

/// Applies `format` to `input` starting from `tm`; returns the new fields and
/// the unconsumed rest of the input, or `None` if the input does not match.
/// Supported conversions: `%y %Y %m %d %H %M %S %b`.
pub(crate) fn strptime<'a>(input: &'a str, format: &str, mut tm: Tm) -> Option<(Tm, &'a str)> {
    let mut s = input.as_bytes();
    let mut f = format.as_bytes();
    while let Some((&c, rest)) = f.split_first() {
        f = rest;
        if c == b' ' {
            let skip = s.iter().take_while(|b| is_c_space(**b)).count();
            s = &s[skip..];
            continue;
        }
        if c != b'%' {
            let (&first, rest) = s.split_first()?;
            if first != c {
                return None;
            }
            s = rest;
            continue;
        }
        let (&conv, rest) = f.split_first()?;
        f = rest;
        match conv {
            b'y' => {
                let (v, rest) = number(s, 0, 99, 2)?;
                // POSIX: 69–99 are 1969–1999, 00–68 are 2000–2068.
                tm.year = if v >= 69 { 1900 } else { 2000 } + v as i32;
                s = rest;
            }
            b'Y' => {
                let (v, rest) = number(s, 0, 9999, 4)?;
                tm.year = v as i32;
                s = rest;
            }
            b'm' => {
                let (v, rest) = number(s, 1, 12, 2)?;
                tm.month = v;
                s = rest;
            }
            b'd' => {
                let (v, rest) = number(s, 1, 31, 2)?;
                tm.day = i64::from(v);
                s = rest;
            }
            b'H' => {
                let (v, rest) = number(s, 0, 23, 2)?;
                tm.hour = v;
                s = rest;
            }
            b'M' => {
                let (v, rest) = number(s, 0, 59, 2)?;
                tm.minute = v;
                s = rest;
            }
            b'S' => {
                let (v, rest) = number(s, 0, 61, 2)?;
                tm.second = v;
                s = rest;
            }
            b'b' => {
                let (month, rest) = MONTHS.iter().enumerate().find_map(|(i, name)| {
                    [name.as_bytes(), &name.as_bytes()[..3]]
                        .into_iter()
                        .find(|n| s.len() >= n.len() && s[..n.len()].eq_ignore_ascii_case(n))
                        .map(|n| (i as u32 + 1, &s[n.len()..]))
                })?;
                tm.month = month;
                s = rest;
            }
            _ => return None,
        }
    }
    // Every consumed prefix ends on an ASCII byte, so this is a char boundary.
    Some((tm, &input[input.len() - s.len()..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: Tm = Tm {
        year: 2026,
        month: 11,
        day: 21,
        hour: 23,
        minute: 56,
        second: 28,
    };

    #[test]
    fn numbers_stop_when_the_field_is_full() {
        let (tm, rest) = strptime("2012-1-5 1:2:3", "%Y-%m-%d %H:%M:%S", BASE).expect("parses");
        assert_eq!(
            (tm.year, tm.month, tm.day, tm.hour, tm.minute, tm.second, rest),
            (2012, 1, 5, 1, 2, 3, "")
        );
        // `%m` reads one digit of "20" (20 > 12), leaving "0" to mismatch "-".
        assert!(strptime("2012-20-01", "%Y-%m-%d", BASE).is_none());
        // `%y` reads two digits, `%Y` four.
        assert!(strptime("2012-11-23", "%y-%m-%d", BASE).is_none());
        assert_eq!(
            strptime("12-11-23", "%y-%m-%d", BASE).map(|(t, _)| t.year),
            Some(2012)
        );
        assert_eq!(
            strptime("69-11-23", "%y-%m-%d", BASE).map(|(t, _)| t.year),
            Some(1969)
        );
        assert!(strptime("12345-01-01", "%Y-%m-%d", BASE).is_none());
    }

    #[test]
    fn spaces_match_any_run_and_numbers_skip_them() {
        assert!(strptime("2012-11-2311:12", "%Y-%m-%d %H:%M", BASE).is_some());
        assert!(strptime("2012- 11-23", "%Y-%m-%d", BASE).is_some());
        assert!(strptime("2012 -11-23", "%Y-%m-%d", BASE).is_none());
    }

    #[test]
    fn month_names_any_case_full_or_short() {
        for input in ["Nov 3 11:12:13", "november 3 11:12:13", "NOV  3 11:12:13"] {
            let (tm, rest) = strptime(input, "%b %d %H:%M:%S", BASE).expect("parses");
            assert_eq!(
                (tm.year, tm.month, tm.day, rest),
                (2026, 11, 3, ""),
                "{input}"
            );
        }
    }

    #[test]
    fn leftovers_are_returned() {
        let (_, rest) = strptime("11:12:13.5", "%H:%M:%S", BASE).expect("parses");
        assert_eq!(rest, ".5");
    }
}
