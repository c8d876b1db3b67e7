//! Seeded generators of calendar expressions and time spans, valid and invalid,
//! for the differential test against `systemd-analyze`.
//!
//! The generators lean towards the edges of every rule in reference section 1
//! (field limits, repetitions that do not fit, `~`, fractions, two-digit years,
//! zones) and then mutate some of the results into near-misses.

/// SplitMix64: small, seedable and good enough to spread test inputs.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `lo..=hi` (`hi..=lo` when given the other way round).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        let (lo, hi) = (lo.min(hi), lo.max(hi));
        lo + self.next_u64() % (hi - lo).saturating_add(1).max(1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.next_u64() as usize % items.len()]
    }
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const WEEKDAYS_LONG: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const SHORTHANDS: [&str; 13] = [
    "minutely",
    "hourly",
    "daily",
    "weekly",
    "monthly",
    "yearly",
    "annually",
    "anually",
    "quarterly",
    "semiannually",
    "semi-annually",
    "biannually",
    "bi-annually",
];

/// Zone suffixes: UTC spellings, IANA names, the local abbreviations of the
/// test's TZ values (valid only under the matching TZ) and a few non-zones.
const ZONES: [&str; 16] = [
    "UTC",
    "utc",
    "Europe/Berlin",
    "Australia/Lord_Howe",
    "America/New_York",
    "Asia/Kolkata",
    "Pacific/Auckland",
    "CET",
    "CEST",
    "EST",
    "EDT",
    "+1030",
    "+11",
    "Etc/GMT-14",
    "Nowhere/Zone",
    "UTC+1",
];

fn random_case(rng: &mut Rng, word: &str) -> String {
    match rng.range(0, 5) {
        0 => word.to_uppercase(),
        1 => word.to_lowercase(),
        2 => word
            .chars()
            .map(|c| {
                if rng.chance(50) {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect(),
        _ => word.to_owned(),
    }
}

fn weekday_name(rng: &mut Rng, day: usize) -> String {
    let name = if rng.chance(25) {
        WEEKDAYS_LONG[day]
    } else {
        WEEKDAYS[day]
    };
    if rng.chance(20) {
        random_case(rng, name)
    } else {
        name.to_owned()
    }
}

fn weekdays(rng: &mut Rng) -> String {
    let terms = rng.range(1, 3);
    let mut out = Vec::new();
    for _ in 0..terms {
        let a = rng.range(0, 6) as usize;
        if rng.chance(40) {
            // Mostly ascending ranges; descending ones are rejected.
            let b = if rng.chance(85) {
                rng.range(a as u64, 6) as usize
            } else {
                rng.range(0, 6) as usize
            };
            let sep = if rng.chance(80) { ".." } else { "-" };
            out.push(format!(
                "{}{sep}{}",
                weekday_name(rng, a),
                weekday_name(rng, b)
            ));
        } else {
            out.push(weekday_name(rng, a));
        }
    }
    let mut text = out.join(",");
    if rng.chance(3) {
        text.push(',');
    }
    text
}

/// A number near the interesting values of a field whose range is `lo..=hi`.
fn field_value(rng: &mut Rng, lo: u64, hi: u64) -> u64 {
    match rng.range(0, 39) {
        0..=3 => lo,
        4..=7 => hi,
        8 => hi + rng.range(1, 2),
        9 if lo > 0 => lo - 1,
        _ => rng.range(lo, hi),
    }
}

fn number(rng: &mut Rng, value: u64, width: usize) -> String {
    if rng.chance(70) {
        format!("{value:0width$}")
    } else {
        value.to_string()
    }
}

/// One chain (`*`, or a list of values, ranges and repetitions).
fn chain(rng: &mut Rng, lo: u64, hi: u64, width: usize) -> String {
    if rng.chance(30) {
        return "*".to_owned();
    }
    let items = if rng.chance(75) { 1 } else { rng.range(2, 4) };
    let mut out = Vec::new();
    for _ in 0..items {
        let start = field_value(rng, lo, hi);
        let mut comp = number(rng, start, width);
        if rng.chance(35) {
            let stop = if rng.chance(85) {
                rng.range(start.min(hi), hi.max(start))
            } else {
                field_value(rng, lo, hi)
            };
            comp += &format!("..{}", number(rng, stop, width));
        }
        if rng.chance(30) {
            let span = (hi - lo).max(1);
            let rep = if rng.chance(85) {
                rng.range(1, span)
            } else {
                rng.range(0, span + 2)
            };
            comp += &format!("/{rep}");
        }
        out.push(comp);
    }
    out.join(",")
}

fn seconds_chain(rng: &mut Rng) -> String {
    if !rng.chance(30) {
        return chain(rng, 0, 59, 2);
    }
    // Fractional seconds, with more digits than a microsecond sometimes.
    let frac = |rng: &mut Rng| {
        let digits = rng.range(1, 8) as usize;
        let value = rng.range(0, 10u64.pow(digits as u32) - 1);
        format!("{value:0digits$}")
    };
    let start = field_value(rng, 0, 59);
    let mut out = format!("{start:02}.{}", frac(rng));
    if rng.chance(40) {
        out += &format!("/{}.{}", rng.range(0, 20), frac(rng));
    } else if rng.chance(20) {
        out += &format!("..{}", rng.range(start, 60));
    }
    out
}

fn year_chain(rng: &mut Rng) -> String {
    if rng.chance(40) {
        return "*".to_owned();
    }
    if rng.chance(25) {
        // Two-digit years: 0..69 -> 20xx, 70..99 -> 19xx.
        let y = rng.range(0, 99);
        return if rng.chance(30) {
            format!("{y:02}..{:02}", rng.range(y, 99))
        } else {
            format!("{y:02}")
        };
    }
    let start = match rng.range(0, 9) {
        0 => 1969,
        1 => 1970,
        2 => 2199,
        3 => 2200,
        _ => rng.range(2020, 2040),
    };
    let mut out = start.to_string();
    if rng.chance(25) {
        out += &format!("..{}", rng.range(start, start + 10));
    }
    if rng.chance(20) {
        out += &format!("/{}", rng.range(0, 8));
    }
    out
}

fn date(rng: &mut Rng) -> String {
    let month = chain(rng, 1, 12, 2);
    if rng.chance(15) {
        // Days from the end of the month: "~" only as the last separator.
        let day = chain(rng, 1, 28, 2);
        return if rng.chance(70) {
            format!("{}-{month}~{day}", year_chain(rng))
        } else {
            format!("{month}~{day}")
        };
    }
    let day = chain(rng, 1, 31, 2);
    if rng.chance(80) {
        format!("{}-{month}-{day}", year_chain(rng))
    } else {
        format!("{month}-{day}")
    }
}

fn time(rng: &mut Rng) -> String {
    let hour = chain(rng, 0, 23, 2);
    let minute = chain(rng, 0, 59, 2);
    if rng.chance(50) {
        format!("{hour}:{minute}:{}", seconds_chain(rng))
    } else {
        format!("{hour}:{minute}")
    }
}

/// A calendar expression that mostly follows the grammar; some are invalid by
/// value (out of range, repetitions that do not fit) rather than by syntax.
pub fn calendar_expression(rng: &mut Rng) -> String {
    match rng.range(0, 99) {
        0..=4 => {
            let s = rng.pick(&SHORTHANDS);
            let s = if rng.chance(20) {
                random_case(rng, s)
            } else {
                s.to_owned()
            };
            if rng.chance(30) {
                format!("{s} {}", rng.pick(&ZONES))
            } else {
                s
            }
        }
        5..=6 => format!("@{}", rng.range(0, 7_400_000_000)),
        _ => {
            let mut parts = Vec::new();
            if rng.chance(30) {
                parts.push(weekdays(rng));
            }
            if rng.chance(60) {
                parts.push(date(rng));
            }
            if rng.chance(80) || parts.is_empty() {
                parts.push(time(rng));
            }
            if rng.chance(10) {
                parts.push(rng.pick(&ZONES).to_owned());
            }
            parts.join(" ")
        }
    }
}

/// Characters that mutations insert: the grammar's own punctuation first.
const MUTATION_CHARS: [char; 24] = [
    '*', ',', '.', '/', '-', '~', ':', ' ', '0', '1', '5', '9', 'M', 'o', 'n', 'U', 'T', 'C', '@',
    '+', '\t', 'x', 'é', '\u{b5}',
];

/// A random edit of `input`: insert, delete, duplicate or replace a character,
/// swap two, or cut the string.
pub fn mutate(rng: &mut Rng, input: &str) -> String {
    let mut chars: Vec<char> = input.chars().collect();
    let edits = rng.range(1, 2);
    for _ in 0..edits {
        let at = if chars.is_empty() {
            0
        } else {
            rng.range(0, chars.len() as u64 - 1) as usize
        };
        let c = MUTATION_CHARS[rng.range(0, MUTATION_CHARS.len() as u64 - 1) as usize];
        match rng.range(0, 5) {
            0 => chars.insert(at, c),
            1 if !chars.is_empty() => {
                chars.remove(at);
            }
            2 if !chars.is_empty() => {
                let d = chars[at];
                chars.insert(at, d);
            }
            3 if !chars.is_empty() => chars[at] = c,
            4 if chars.len() > 1 && at + 1 < chars.len() => chars.swap(at, at + 1),
            _ => chars.truncate(at),
        }
    }
    chars.into_iter().collect()
}

/// A calendar expression; about a fifth are mutated into near-misses.
pub fn calendar_case(rng: &mut Rng) -> String {
    let expr = calendar_expression(rng);
    if rng.chance(20) {
        mutate(rng, &expr)
    } else {
        expr
    }
}

const UNITS: [&str; 31] = [
    "usec", "us", "µs", "μs", "msec", "ms", "seconds", "second", "sec", "s", "minutes", "minute",
    "min", "m", "hours", "hour", "hr", "h", "days", "day", "d", "weeks", "week", "w", "months",
    "month", "M", "years", "year", "y", "",
];

/// A time span: one to four terms with units, fractions and spacing variants,
/// sometimes huge; about a fifth are mutated.
pub fn timespan_case(rng: &mut Rng) -> String {
    if rng.chance(3) {
        return "infinity".to_owned();
    }
    let terms = rng.range(1, 4);
    let mut out = String::new();
    for i in 0..terms {
        if i > 0 && rng.chance(60) {
            out.push(' ');
        }
        // Mostly everyday sizes, sometimes near or past the u64 limit.
        let magnitude = if rng.chance(85) {
            rng.range(0, 4)
        } else {
            rng.range(5, 20)
        } as u32;
        let value = rng.next_u64() % 10u64.pow(magnitude.min(19)).max(1);
        out += &value.to_string();
        if rng.chance(25) {
            let digits = rng.range(1, 9) as usize;
            out += &format!(".{:0digits$}", rng.range(0, 10u64.pow(digits as u32) - 1));
        }
        if rng.chance(15) {
            out.push(' ');
        }
        out += UNITS[rng.range(0, UNITS.len() as u64 - 1) as usize];
    }
    if rng.chance(20) {
        mutate(rng, &out)
    } else {
        out
    }
}
