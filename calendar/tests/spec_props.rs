//! Property tests of calendar specs against an independent model: specs are
//! generated as a model, written out as text, parsed, and every elapse is
//! checked against the model's own idea of what matches.

use proptest::prelude::*;
use sundial_calendar::civil::days_in_month;
use sundial_calendar::zone::{local_zone, SystemZones};
use sundial_calendar::{CalendarSpec, CivilDateTime, Timestamp, Zone};

/// One list entry: `start`, `start..stop`, `start/repeat`, `start..stop/repeat`.
#[derive(Debug, Clone, Copy)]
struct Entry {
    start: i64,
    stop: Option<i64>,
    repeat: Option<i64>,
}

impl Entry {
    /// The entry after systemd's normalization: a range's end trimmed to the
    /// last value its repetition reaches.
    fn trimmed_stop(&self) -> Option<i64> {
        self.stop
            .map(|stop| stop - (stop - self.start) % self.repeat.unwrap_or(1))
    }

    /// Whether `v` is one of the entry's values (`unit` = 1 µs for seconds).
    fn contains(&self, v: i64) -> bool {
        let step = self.repeat.unwrap_or(1);
        match (self.trimmed_stop(), self.repeat) {
            (None, None) => v == self.start,
            (Some(stop), _) => v >= self.start && v <= stop && (v - self.start) % step == 0,
            (None, Some(r)) => v >= self.start && (v - self.start) % r == 0,
        }
    }

    fn write(&self, out: &mut String, scale: i64) {
        let show = |v: i64| {
            if scale == 1 {
                v.to_string()
            } else if v % scale == 0 {
                (v / scale).to_string()
            } else {
                format!("{}.{:06}", v / scale, v % scale)
            }
        };
        out.push_str(&show(self.start));
        if let Some(stop) = self.stop {
            out.push_str("..");
            out.push_str(&show(stop));
        }
        if let Some(r) = self.repeat {
            out.push('/');
            out.push_str(&show(r));
        }
    }
}

/// A field's list; empty = `*`.
type List = Vec<Entry>;

#[derive(Debug, Clone)]
struct Model {
    weekdays: u8,
    year: List,
    month: List,
    day: List,
    from_end: bool,
    hour: List,
    minute: List,
    /// Microseconds; empty = `*` (every whole second).
    second: List,
    zone: Option<&'static str>,
}

const USEC: i64 = 1_000_000;
const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

impl Model {
    fn text(&self) -> String {
        let mut s = String::new();
        let days: Vec<&str> = (0..7)
            .filter(|d| self.weekdays & (1 << d) != 0)
            .map(|d| DAYS[d])
            .collect();
        if !days.is_empty() {
            s.push_str(&days.join(","));
            s.push(' ');
        }
        let list = |out: &mut String, l: &List, scale: i64| {
            if l.is_empty() {
                out.push('*');
            }
            for (i, e) in l.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                e.write(out, scale);
            }
        };
        list(&mut s, &self.year, 1);
        s.push('-');
        list(&mut s, &self.month, 1);
        s.push(if self.from_end { '~' } else { '-' });
        list(&mut s, &self.day, 1);
        s.push(' ');
        list(&mut s, &self.hour, 1);
        s.push(':');
        list(&mut s, &self.minute, 1);
        s.push(':');
        list(&mut s, &self.second, USEC);
        if let Some(zone) = self.zone {
            s.push(' ');
            s.push_str(zone);
        }
        s
    }

    /// Whether wall time `c` in the spec's zone is one of its elapses.
    fn matches(&self, c: &CivilDateTime) -> bool {
        let any = |l: &List, v: i64| l.is_empty() || l.iter().any(|e| e.contains(v));
        let weekday_ok = self.weekdays == 0
            || self.weekdays == 0x7f
            || self.weekdays & (1 << c.weekday().index()) != 0;
        let day_ok = if self.from_end && !self.day.is_empty() {
            let len = i64::from(days_in_month(c.year, c.month));
            let d = i64::from(c.day);
            self.day.iter().any(|e| {
                // `~A..B/R` runs from day len+1-B up to len+1-A in steps of R;
                // `~A/R` from len+1-A upward.
                let (first, last) = match e.trimmed_stop() {
                    Some(stop) => (len + 1 - stop, Some(len + 1 - e.start)),
                    None => (len + 1 - e.start, None),
                };
                let step = e.repeat.unwrap_or(1);
                match (last, e.repeat) {
                    (None, None) => d == first,
                    (Some(last), _) => d >= first && d <= last && (d - first) % step == 0,
                    (None, Some(r)) => d >= first && (d - first) % r == 0,
                }
            })
        } else {
            any(&self.day, i64::from(c.day))
        };
        let second = i64::from(c.second) * USEC + i64::from(c.usec);
        let second_ok = if self.second.is_empty() {
            c.usec == 0
        } else {
            self.second.iter().any(|e| e.contains(second))
        };
        weekday_ok
            && any(&self.year, i64::from(c.year))
            && any(&self.month, i64::from(c.month))
            && day_ok
            && any(&self.hour, i64::from(c.hour))
            && any(&self.minute, i64::from(c.minute))
            && second_ok
    }
}

/// Entries valid for systemd within `min..=max`. With `tame`, repetitions
/// without an end start at `min` and divide the field's cycle, so that no
/// overshoot skips a value (see the quirks in `spec/walk.rs`).
fn entry(min: i64, max: i64, tame: bool, unit: i64) -> impl Strategy<Value = Entry> {
    let span = max - min;
    let value = (min..=max).prop_map(|start| Entry {
        start,
        stop: None,
        repeat: None,
    });
    let range =
        (min..max, 1..=span, prop::option::of(1..=span)).prop_map(move |(start, len, r)| {
            let stop = (start + len).min(max);
            let repeat = r.map(|r| r.min(stop - start).max(1));
            Entry {
                start,
                stop: Some(stop),
                repeat,
            }
        });
    let cycle = span + unit;
    let divisors: Vec<i64> = (1..=span)
        .filter(|r| r % unit == 0 && cycle % r == 0 && *r < cycle)
        .collect();
    let repeat = if tame {
        prop::sample::select(divisors)
            .prop_map(move |r| Entry {
                start: min,
                stop: None,
                repeat: Some(r),
            })
            .boxed()
    } else {
        (1..=span)
            .prop_flat_map(move |r| (min..=max - r, Just(r)))
            .prop_map(|(start, r)| Entry {
                start,
                stop: None,
                repeat: Some(r),
            })
            .boxed()
    };
    prop_oneof![3 => value, 2 => range, 2 => repeat]
}

fn list(min: i64, max: i64, tame: bool, unit: i64) -> impl Strategy<Value = List> {
    prop_oneof![
        2 => Just(Vec::new()),
        3 => prop::collection::vec(entry(min, max, tame, unit), 1..4),
    ]
}

/// Days counted from the end of the month (1..=28).
fn from_end_list(tame: bool) -> impl Strategy<Value = List> {
    let value = (1i64..=28).prop_map(|start| Entry {
        start,
        stop: None,
        repeat: None,
    });
    let range = (1i64..28, 1i64..=27).prop_map(|(start, len)| Entry {
        start,
        stop: Some((start + len).min(28)),
        repeat: None,
    });
    let repeat = (2i64..=28)
        .prop_flat_map(|start| (Just(start), 1..start))
        .prop_map(|(start, r)| Entry {
            start,
            stop: None,
            repeat: Some(r),
        });
    let lists = if tame {
        prop::collection::vec(prop_oneof![value, range], 1..3).boxed()
    } else {
        prop::collection::vec(prop_oneof![value, range, repeat], 1..3).boxed()
    };
    // systemd 252 allows each further entry of a `~` list three days fewer
    // (checked in sorted order); keeping every entry under the limit of the
    // last one is enough.
    lists
        .prop_filter("systemd 252's limits on ~ lists", |list| {
            let max = 28 - 3 * (list.len() as i64 - 1);
            list.iter().all(|e| {
                e.start <= max
                    && e.stop.is_none_or(|s| s <= max)
                    && e.repeat.is_none_or(|r| r < max)
            })
        })
        .boxed()
}

fn model(tame: bool, zones: &'static [&'static str]) -> impl Strategy<Value = Model> {
    let day = prop_oneof![
        3 => (if tame { list(1, 31, true, 1).prop_map(|l| l.into_iter().filter(|e| e.stop.is_some() || e.repeat.is_none()).collect()).boxed() } else { list(1, 31, false, 1).boxed() })
            .prop_map(|l| (l, false)),
        1 => from_end_list(tame).prop_map(|l| (l, true)),
    ];
    let whole_seconds = list(0, 59, tame, 1).prop_map(|l| {
        l.into_iter()
            .map(|e| Entry {
                start: e.start * USEC,
                stop: e.stop.map(|s| s * USEC),
                repeat: e.repeat.map(|r| r * USEC),
            })
            .collect::<List>()
    });
    let zone =
        prop::sample::select(zones.to_vec())
            .prop_map(|z| if z.is_empty() { None } else { Some(z) });
    (
        prop_oneof![3 => Just(0u8), 1 => 1u8..0x7f],
        prop_oneof![3 => Just(Vec::new()), 1 => prop::collection::vec((2020i64..2040, 0i64..40).prop_map(|(a, l)| Entry { start: a, stop: Some(a + l + 1), repeat: None }), 1..2)],
        list(1, 12, tame, 1),
        day,
        list(0, 23, tame, 1),
        list(0, 59, tame, 1),
        whole_seconds,
        zone,
    )
        .prop_map(
            |(weekdays, year, month, (day, from_end), hour, minute, second, zone)| Model {
                weekdays,
                year,
                month,
                day,
                from_end,
                hour,
                minute,
                second,
                zone,
            },
        )
}

fn zones() -> &'static SystemZones {
    static ZONES: std::sync::OnceLock<SystemZones> = std::sync::OnceLock::new();
    ZONES.get_or_init(|| SystemZones::new(None))
}

fn parse(text: &str, local: &Zone) -> CalendarSpec {
    CalendarSpec::parse(text, local, zones()).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

/// Bases from 2020 to 2035, to the microsecond.
fn base() -> impl Strategy<Value = Timestamp> {
    (1_577_836_800_000_000i64..2_082_758_400_000_000).prop_map(Timestamp::from_usec)
}

const LOCAL_ZONES: &[&str] = &[
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parse_of_display_is_the_same_spec(m in model(false, &["", "UTC", "Asia/Tokyo", "Europe/Berlin"])) {
        let utc = Zone::utc();
        let spec = parse(&m.text(), &utc);
        let printed = spec.to_string();
        let again = parse(&printed, &utc);
        prop_assert_eq!(&again, &spec);
        prop_assert_eq!(again.to_string(), printed);
    }

    #[test]
    fn elapses_are_after_the_base_and_match_the_spec(
        m in model(false, &["", "", "UTC", "Europe/Berlin", "America/New_York"]),
        local in prop::sample::select(LOCAL_ZONES.to_vec()),
        base in base(),
    ) {
        let local = local_zone(Some(local), zones());
        let spec = parse(&m.text(), &local);
        let zone = spec.zone().cloned().unwrap_or_else(|| local.clone());
        let mut previous = base;
        for t in spec.iter_after(base, &local).take(4) {
            prop_assert!(t > previous, "{} not after {} for {:?}", t, previous, m.text());
            let civil = zone.to_civil(t);
            prop_assert!(m.matches(&civil), "{:?} elapsed at {:?}", m.text(), civil);
            previous = t;
        }
    }

    #[test]
    fn next_elapse_is_constant_until_it_is_reached(
        m in model(true, &["", "UTC"]),
        base in base(),
        fractions in prop::collection::vec(0.0f64..1.0, 3),
    ) {
        let utc = Zone::utc();
        let spec = parse(&m.text(), &utc);
        if let Some(next) = spec.next_after(base, &utc) {
            let span = next.as_usec() - base.as_usec();
            for f in fractions {
                let t = Timestamp::from_usec(base.as_usec() + (span as f64 * f) as i64);
                prop_assert_eq!(spec.next_after(t, &utc), Some(next), "{:?} from {}", m.text(), t);
            }
            let just_before = Timestamp::from_usec(next.as_usec() - 1);
            prop_assert_eq!(spec.next_after(just_before, &utc), Some(next));
        }
    }

    #[test]
    fn next_elapse_agrees_with_a_second_by_second_search(
        m in model(true, &[""]),
        base_secs in 1_704_067_200i64..1_767_225_600,
    ) {
        let utc = Zone::utc();
        let spec = parse(&m.text(), &utc);
        let base = Timestamp::from_secs(base_secs);
        let horizon = 2 * 86_400;
        let brute = (1..=horizon)
            .map(|s| Timestamp::from_secs(base_secs + s))
            .find(|&t| m.matches(&utc.to_civil(t)));
        let next = spec.next_after(base, &utc);
        match brute {
            Some(t) => prop_assert_eq!(next, Some(t), "{:?}", m.text()),
            None => prop_assert!(next.is_none_or(|n| n.as_secs() > base_secs + horizon), "{:?}: {:?}", m.text(), next),
        }
    }

    #[test]
    fn arbitrary_input_never_panics(input in ".{0,40}") {
        let utc = Zone::utc();
        if let Ok(spec) = CalendarSpec::parse(&input, &utc, zones()) {
            let _ = spec.to_string();
            let _ = spec.next_after(Timestamp::from_secs(1_700_000_000), &utc);
        }
    }

    #[test]
    fn grammar_shaped_input_never_panics(input in "[0-9*,.~:/ -]{0,30}|(Mon|tue|Wed|fri|Sun)[-.,]{0,2}[ 0-9:*~-]{0,20}|@[-+ 0-9]{0,22}") {
        let utc = Zone::utc();
        match CalendarSpec::parse(&input, &utc, zones()) {
            Ok(spec) => {
                prop_assert_eq!(parse(&spec.to_string(), &utc), spec.clone());
                let _ = spec.next_after(Timestamp::from_secs(1_700_000_000), &utc);
            }
            Err(e) => prop_assert!(e.offset <= input.len()),
        }
    }
}
