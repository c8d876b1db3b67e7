//! Unit names for jobs: readable, valid, stable across imports, unique.
//!
//! A job is named by the comment right above it (`# nightly backup` →
//! `nightly-backup`), else by its command (`/usr/local/bin/backup.sh --full`
//! → `backup-full`). Jobs that would share a name each get a short hash of
//! their own line as a suffix, so a name depends on the job's text and
//! never on its position: moving lines renames nothing.

use std::collections::BTreeMap;
use std::hash::Hasher;

use siphasher::sip::SipHasher13;

/// A hash that is the same in every build and on every machine (SipHash
/// 1-3 with a zero key): seeds of `~` ranges and name suffixes must not
/// change between imports.
pub(crate) fn stable_hash(parts: &[&str]) -> u64 {
    let mut h = SipHasher13::new_with_keys(0, 0);
    for part in parts {
        h.write(part.as_bytes());
        // A separator, so that ("ab", "c") and ("a", "bc") differ.
        h.write_u8(0xff);
    }
    h.finish()
}

/// The longest name a job gets from its text, before any suffix.
const MAX_SLUG: usize = 48;

/// `text` as a unit-name stem: ASCII letters and digits lowercased, runs of
/// anything else as one `-`, no `-` at either end, cut at a word boundary
/// to at most `max` bytes. Empty when nothing is left.
pub(crate) fn slug(text: &str, max: usize) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut out = out.trim_end_matches('-').to_owned();
    if out.len() > max {
        let cut = out[..=max].rfind('-').filter(|&i| i > 0).unwrap_or(max);
        out.truncate(cut);
        let trimmed = out.trim_end_matches('-').len();
        out.truncate(trimmed);
    }
    out
}

/// The name a comment gives, if it gives one.
pub(crate) fn from_comment(comment: &str) -> Option<String> {
    Some(slug(comment, MAX_SLUG)).filter(|s| !s.is_empty())
}

/// Programs that only run another command: the name comes from that one.
const WRAPPERS: &[&str] = &[
    "nice",
    "ionice",
    "nohup",
    "exec",
    "sudo",
    "env",
    "time",
    "chronic",
    "flock",
    "timeout",
    "setsid",
    "stdbuf",
    "caffeinate",
    "systemd-cat",
];

/// Commands before `&&` or `;` that only prepare (`cd /srv && ./run`).
const PREPARATIONS: &[&str] = &[
    "cd", "test", "[", ":", "true", "sleep", "umask", "export", ".",
];

/// A readable name from a command: the program's name (without directory
/// and script extension) and its next few words, leaving out redirections,
/// variable assignments, `cd … &&` and wrappers such as `nice` or `flock`.
pub(crate) fn from_command(command: &str) -> String {
    let words: Vec<&str> = command.split_whitespace().collect();
    // Split into simple commands at the shell's list operators.
    let mut segments: Vec<Vec<&str>> = vec![Vec::new()];
    for word in &words {
        let w = word.trim_matches(['(', ')', '{', '}']);
        if matches!(w, "&&" | "||" | ";" | "|") || w.is_empty() {
            segments.push(Vec::new());
            continue;
        }
        let ends_list = w.ends_with(';');
        let w = w.trim_end_matches(';');
        if let Some(last) = segments.last_mut() {
            last.push(w);
        }
        if ends_list {
            segments.push(Vec::new());
        }
    }
    let segment = segments
        .iter()
        .map(|s| significant(s))
        .find(|s| s.first().is_some_and(|w| !PREPARATIONS.contains(w)))
        .or_else(|| {
            segments
                .iter()
                .map(|s| significant(s))
                .find(|s| !s.is_empty())
        })
        .unwrap_or_default();
    let mut parts = Vec::new();
    for (i, word) in segment.iter().enumerate() {
        if i >= 4 || is_redirection(word) {
            break;
        }
        let word = word.trim_matches(['"', '\'']);
        let word = word.rsplit('/').next().unwrap_or(word);
        let word = strip_extension(word).trim_start_matches('-');
        if !word.is_empty() {
            parts.push(word.to_owned());
        }
        if slug(&parts.join(" "), usize::MAX).len() >= MAX_SLUG {
            break;
        }
    }
    let name = slug(&parts.join(" "), MAX_SLUG);
    if name.is_empty() {
        "cron-job".to_owned()
    } else {
        name
    }
}

/// The words of a simple command from its program on: assignments and
/// wrappers (with their options and arguments) dropped.
fn significant<'a>(words: &[&'a str]) -> Vec<&'a str> {
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        if w.contains('=') && !w.starts_with(['-', '/', '.']) {
            i += 1;
            continue;
        }
        let program = w.rsplit('/').next().unwrap_or(w);
        if !WRAPPERS.contains(&program) {
            break;
        }
        i += 1;
        // Options of the wrapper, and the argument a few of them take.
        while i < words.len() && words[i].starts_with('-') {
            let takes_value = matches!(
                (program, words[i]),
                ("nice", "-n")
                    | ("ionice", "-c" | "-n" | "-p")
                    | ("sudo", "-u" | "-g")
                    | ("flock", "-w" | "-E" | "-c")
                    | ("timeout", "-s" | "-k")
            );
            i += 1;
            if takes_value && i < words.len() {
                i += 1;
            }
        }
        if matches!(program, "flock" | "timeout") && i < words.len() {
            i += 1; // the lock file, or the duration
        }
    }
    words[i..].to_vec()
}

fn is_redirection(word: &str) -> bool {
    word.starts_with(['>', '<', '|'])
        || word.starts_with("&>")
        || word.starts_with("2>")
        || word.starts_with("1>")
}

fn strip_extension(word: &str) -> &str {
    for ext in [".sh", ".bash", ".py", ".pl", ".rb", ".php", ".js"] {
        if let Some(stem) = word.strip_suffix(ext) {
            if !stem.is_empty() {
                return stem;
            }
        }
    }
    word
}

/// A job asking for a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NameRequest {
    /// The name it would like.
    pub wanted: String,
    /// The text that makes it this job: its file and line (as written,
    /// trimmed). Equal identities are the same line twice.
    pub identity: String,
    /// Which unit directory it goes to (names only clash within one).
    pub place: Option<String>,
}

/// Gives each request a unique name. A name wanted once keeps it (unless
/// it is one of `reserved`); names wanted more than once all get `-` and
/// six hex digits of their identity's hash; identical identities (a line
/// written twice) are numbered after that, which depends on nothing but
/// the lines themselves.
pub(crate) fn assign(requests: &[NameRequest], reserved: &[&str]) -> Vec<String> {
    let mut wanted: BTreeMap<(&Option<String>, &str), usize> = BTreeMap::new();
    for r in requests {
        *wanted.entry((&r.place, r.wanted.as_str())).or_default() += 1;
    }
    let mut seen_identity: BTreeMap<(&Option<String>, String), usize> = BTreeMap::new();
    let mut names = Vec::with_capacity(requests.len());
    for r in requests {
        let shared =
            wanted[&(&r.place, r.wanted.as_str())] > 1 || reserved.contains(&r.wanted.as_str());
        if !shared {
            names.push(r.wanted.clone());
            continue;
        }
        let hash = stable_hash(&[&r.identity]);
        let mut name = format!("{}-{:06x}", r.wanted, hash & 0xff_ffff);
        let n = seen_identity.entry((&r.place, name.clone())).or_default();
        *n += 1;
        if *n > 1 {
            name = format!("{name}-{n}");
        }
        names.push(name);
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lowercase_words_joined_by_dashes() {
        assert_eq!(slug("Nightly backup!", 48), "nightly-backup");
        assert_eq!(slug("  --weird__ name..  ", 48), "weird__-name");
        assert_eq!(slug("Ünïcode only", 48), "n-code-only");
        assert_eq!(slug("***", 48), "");
        assert_eq!(slug("one two three four", 9), "one-two");
        assert_eq!(slug("abcdefghijkl", 5), "abcde");
    }

    #[test]
    fn comments_name_jobs() {
        assert_eq!(
            from_comment("nightly backup").as_deref(),
            Some("nightly-backup")
        );
        assert_eq!(from_comment("---"), None);
    }

    #[test]
    fn commands_name_jobs_by_their_program() {
        let cases = [
            (
                "/usr/local/bin/backup.sh --full > /dev/null 2>&1",
                "backup-full",
            ),
            (
                "cd /srv/app && ./manage.py clearsessions",
                "manage-clearsessions",
            ),
            (
                "nice -n 10 flock -n /tmp/lock /usr/bin/rsync -a /src /dst",
                "rsync-a-src-dst",
            ),
            (
                "FOO=1 BAR=2 php /var/www/artisan schedule:run >> /dev/null 2>&1",
                "php-artisan-schedule-run",
            ),
            (
                "test -x /usr/sbin/anacron || ( cd / && run-parts --report /etc/cron.daily )",
                "run-parts-report-cron-daily",
            ),
            ("echo hi", "echo-hi"),
            (">/tmp/x", "cron-job"),
            ("", "cron-job"),
        ];
        for (command, name) in cases {
            assert_eq!(from_command(command), name, "{command}");
        }
    }

    fn req(wanted: &str, identity: &str) -> NameRequest {
        NameRequest {
            wanted: wanted.into(),
            identity: identity.into(),
            place: None,
        }
    }

    #[test]
    fn names_are_unique_and_independent_of_order() {
        let a = req("backup", "/etc/crontab:0 1 * * * root backup");
        let b = req("backup", "/etc/crontab:0 2 * * * root backup");
        let c = req("report", "/etc/crontab:0 3 * * * root report");
        let names = assign(&[a.clone(), b.clone(), c.clone()], &[]);
        assert_eq!(names[2], "report");
        assert!(names[0].starts_with("backup-") && names[1].starts_with("backup-"));
        assert_ne!(names[0], names[1]);
        assert_eq!(names[0].len(), "backup-".len() + 6);
        // Moving lines changes nothing.
        let swapped = assign(&[c, b, a], &[]);
        assert_eq!(
            swapped,
            [names[2].clone(), names[1].clone(), names[0].clone()]
        );
    }

    #[test]
    fn identical_lines_and_reserved_names() {
        let a = req("x", "f:* * * * * x");
        let names = assign(&[a.clone(), a.clone()], &[]);
        assert_ne!(names[0], names[1]);
        assert_eq!(names[1], format!("{}-2", names[0]));
        let names = assign(&[req("cron-daily", "f:1")], &["cron-daily"]);
        assert!(names[0].starts_with("cron-daily-"), "{names:?}");
        // Other places do not clash.
        let mut other = req("x", "g:1");
        other.place = Some("alice".into());
        assert_eq!(assign(&[req("x", "f:1"), other], &[]), ["x", "x"]);
    }

    const PINNED: u64 = 17_343_052_842_552_570_643;

    #[test]
    fn the_hash_is_stable() {
        // Fixed forever: seeds and names of existing imports depend on it.
        assert_eq!(stable_hash(&["a", "b"]), PINNED);
        assert_ne!(stable_hash(&["ab", "c"]), stable_hash(&["a", "bc"]));
    }
}
