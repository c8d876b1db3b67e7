//! `sundial verify` and `systemd-analyze verify` agree on every unit file of
//! tests/units-compat/: the hand-written cases in the directory itself, and
//! the corpus of Debian 12's own unit files in `debian12/system` and
//! `debian12/user` (see `debian12/PACKAGES.md`). Skipped, saying why, where
//! systemd-analyze is not installed.
//!
//! # What is compared
//!
//! Each `.service`, `.timer` and `.target` is verified alone by both tools
//! (`verify ./NAME` in a temporary copy of its directory; systemd-analyze
//! with `--man=no`, at log level `info`). The tools agree on a file when
//! they agree on
//!
//! 1. its validity: the exit status;
//! 2. the places of its problems: the multiset of `FILE:LINE` of every line
//!    of the form `PATH:LINE: message` (FILE relative to the directory). The
//!    message is not compared: sundial states each problem in its own words
//!    (`RemainAfterExit=: failed to parse boolean value 'maybe'` where
//!    systemd says `Failed to parse boolean value, ignoring: maybe`);
//! 3. the unit-level reasons: every other line, word for word, once a leading
//!    `PATH: ` (sundial names the file) and then a leading `UNIT: ` (both
//!    name the unit) are taken off: `Service has no ExecStart=, ExecStop=, or
//!    SuccessAction=. Refusing.`, `Unit x.service is masked.`, `Failed to
//!    create x.service/start: Unit y.service not found.`, `Command /bin/kmod
//!    is not executable: No such file or directory`, ….
//!
//! Before that, sundial's lines about what systemd does not report by design
//! are dropped:
//!
//! * `KEY=: not supported, ignoring`: a directive systemd implements and
//!   sundial reads but does not (sundial's rule: reported, never silently
//!   dropped; systemd has nothing to say about it);
//! * `KEY=: 'VALUE' is not carried out by sundial …`: a value sundial
//!   accepts but does not act on (`JobTimeoutAction=reboot-force`);
//! * `X-Sundial-…=: unknown sundial extension …`: sundial's own keys, which
//!   systemd ignores as it ignores every `X-` key;
//! * `UNIT: triggers X, which could not be loaded`: sundial warns up front
//!   about a timer whose unit is missing; systemd says so when it elapses.
//!
//! Nothing is dropped from systemd's side. Every remaining difference is
//! listed in KNOWN-DIFFERENCES.md as `- PATH: reason` (PATH relative to
//! tests/units-compat); the test fails when a listed file stops differing,
//! so that the list stays true.
//!
//! # Where units are looked up
//!
//! The corpus is self-contained: systemd-analyze runs with an empty
//! `SYSTEMD_UNIT_PATH` (only the directory of the file, nothing of the
//! host's) and sundial with `--unit-dir` that directory, in the corpus's
//! scope (`--system`, or `--user` with a private `XDG_RUNTIME_DIR`). The
//! hand-written cases use both tools' default paths, as a user would: they
//! rely on the host's /lib/systemd/system for `sysinit.target`, which
//! systemd's default dependencies require. Commands (`Command … is not
//! executable`) are looked up on the host by both tools alike.
//!
//! The expectations are those of systemd 252 (Debian 12): with another
//! version only the validity of the hand-written cases and the examples is
//! compared.

// Test helpers may panic: a failure is the test's verdict.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The systemd version whose output the comparison and the known
/// differences describe.
const SYSTEMD_VERSION: u32 = 252;

fn compat_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/units-compat")
}

/// `- PATH: reason` lines of KNOWN-DIFFERENCES.md.
fn known_differences() -> BTreeMap<String, String> {
    let text = fs::read_to_string(compat_dir().join("KNOWN-DIFFERENCES.md")).unwrap();
    text.lines()
        .filter_map(|l| l.strip_prefix("- "))
        .filter_map(|l| l.split_once(": "))
        .filter(|(name, _)| !name.contains(' ') && name.contains('.'))
        .map(|(n, r)| (n.to_owned(), r.to_owned()))
        .collect()
}

/// The files of `dir` that are verified: services, timers and targets
/// (aliases and masks included).
fn unit_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".service") || n.ends_with(".timer") || n.ends_with(".target"))
        .collect();
    names.sort();
    names
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        let ft = entry.file_type().unwrap();
        if ft.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(entry.path()).unwrap(), &target).unwrap();
        } else if ft.is_dir() {
            fs::create_dir(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The major version of the installed systemd-analyze, `None` when there
/// is none.
fn systemd_analyze_version() -> Option<u32> {
    let out = Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text.split_whitespace().nth(1)?;
    Some(version.parse().unwrap_or(0))
}

/// Whose manager verifies, and where it looks for units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setup {
    /// Both tools' default search paths, system or user by who runs the
    /// test (the hand-written cases, the examples).
    Defaults,
    /// Only the file's directory, as the system manager.
    OnlySystem,
    /// Only the file's directory, as a user's manager.
    OnlyUser,
}

/// One tool's verdict on one file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Verdict {
    valid: bool,
    /// `FILE:LINE` places and unit-level reasons, sorted.
    problems: Vec<String>,
}

/// Both tools on one file; `file` relative to tests/units-compat.
#[derive(Debug)]
struct Comparison {
    file: String,
    sundial: Verdict,
    systemd: Verdict,
}

impl Comparison {
    fn agree(&self, lines_too: bool) -> bool {
        self.sundial.valid == self.systemd.valid
            && (!lines_too || self.sundial.problems == self.systemd.problems)
    }

    fn describe(&self) -> String {
        let valid = |v: bool| if v { "valid" } else { "invalid" };
        let mut text = format!(
            "{}: sundial says {}, systemd-analyze says {}",
            self.file,
            valid(self.sundial.valid),
            valid(self.systemd.valid)
        );
        for p in &self.sundial.problems {
            if !self.systemd.problems.contains(p) {
                text.push_str(&format!("\n    only sundial:          {p}"));
            }
        }
        for p in &self.systemd.problems {
            if !self.sundial.problems.contains(p) {
                text.push_str(&format!("\n    only systemd-analyze:  {p}"));
            }
        }
        text
    }
}

/// Whether `s` is a unit name (`name.type`, `a@b.type`), as the prefix
/// of a unit-level line.
fn is_unit_name(s: &str) -> bool {
    let Some((prefix, suffix)) = s.rsplit_once('.') else {
        return false;
    };
    let types = [
        "service",
        "timer",
        "target",
        "socket",
        "device",
        "mount",
        "automount",
        "swap",
        "path",
        "slice",
        "scope",
    ];
    !prefix.is_empty()
        && types.contains(&suffix)
        && prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ":_.\\-@".contains(c))
}

/// The lines of sundial's that systemd has no counterpart for by design
/// (see the module documentation).
fn sundial_only(line: &str) -> bool {
    line.ends_with("=: not supported, ignoring")
        || line.contains("' is not carried out by sundial")
        || line.contains(": X-Sundial-") && line.contains("=: unknown sundial extension")
        || line.contains(", which could not be loaded")
}

/// A tool's output as the set of problems compared. `dir` is where the
/// tool ran (the copy), whose paths are made relative.
fn normalize(output: &str, dir: &Path) -> Vec<String> {
    let dir_prefix = format!("{}/", dir.display());
    let mut problems: Vec<String> = output
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let line = line.strip_prefix(&dir_prefix).unwrap_or(line);
            let line = line.strip_prefix("./").unwrap_or(line);
            // `PATH:LINE: message`
            if let Some((path, rest)) = line.split_once(':') {
                if let Some((number, _)) = rest.split_once(':') {
                    if !path.contains(' ') && number.parse::<usize>().is_ok() {
                        return format!("{path}:{number}");
                    }
                }
            }
            // `PATH: UNIT: reason`, `UNIT: reason`, `reason`
            let mut rest = line;
            if let Some((path, after)) = rest.split_once(": ") {
                if !path.contains(' ') && (path.contains('/') || is_unit_name(path)) {
                    rest = after;
                }
            }
            if let Some((unit, after)) = rest.split_once(": ") {
                if is_unit_name(unit) {
                    rest = after;
                }
            }
            rest.to_owned()
        })
        .collect();
    problems.sort();
    problems
}

fn text_of(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs both tools on every unit file of `dir` (a temporary copy of it).
/// `label` is how files are named in the results (`debian12/system/`).
fn compare_dir(dir: &Path, label: &str, setup: Setup) -> Vec<Comparison> {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("units");
    fs::create_dir(&work).unwrap();
    copy_dir(dir, &work);
    let work = work.canonicalize().unwrap();
    let runtime = tmp.path().join("run");
    fs::create_dir(&runtime).unwrap();
    let files = unit_files(&work);
    // Two workers: the machines this runs on have two cores.
    let (first, second) = files.split_at(files.len() / 2);
    let run_all = |names: &[String]| -> Vec<Comparison> {
        names
            .iter()
            .map(|name| compare_file(&work, &runtime, name, label, setup))
            .collect()
    };
    std::thread::scope(|s| {
        let a = s.spawn(|| run_all(first));
        let mut results = run_all(second);
        let mut all = a.join().unwrap();
        all.append(&mut results);
        all.sort_by(|x, y| x.file.cmp(&y.file));
        all
    })
}

fn compare_file(work: &Path, runtime: &Path, name: &str, label: &str, setup: Setup) -> Comparison {
    let arg = format!("./{name}");
    let mut systemd = Command::new("systemd-analyze");
    if setup == Setup::OnlyUser {
        systemd.arg("--user");
    }
    systemd
        .args(["verify", "--man=no", &arg])
        .current_dir(work)
        .env("SYSTEMD_LOG_LEVEL", "info")
        .env("SYSTEMD_LOG_COLOR", "0")
        .env("SYSTEMD_LOG_TARGET", "console")
        .env_remove("SYSTEMD_LOG_LOCATION")
        .env_remove("SYSTEMD_LOG_TIME")
        .env("XDG_RUNTIME_DIR", runtime);
    if setup != Setup::Defaults {
        // Empty: only the directories of the files given.
        systemd.env("SYSTEMD_UNIT_PATH", "");
    } else {
        systemd.env_remove("SYSTEMD_UNIT_PATH");
    }
    let systemd = systemd.output().unwrap();

    let mut sundial = Command::new(env!("CARGO_BIN_EXE_sundial"));
    sundial.arg("verify");
    match setup {
        Setup::Defaults => {}
        Setup::OnlySystem => {
            sundial.arg("--system").arg("--unit-dir").arg(work);
        }
        Setup::OnlyUser => {
            sundial.arg("--user").arg("--unit-dir").arg(work);
        }
    }
    let sundial = sundial
        .arg(&arg)
        .current_dir(work)
        .env_remove("SUNDIAL_UNIT_PATH")
        .env("XDG_RUNTIME_DIR", runtime)
        .output()
        .unwrap();
    let sundial_text: String = text_of(&sundial)
        .lines()
        .filter(|l| !sundial_only(l))
        .map(|l| format!("{l}\n"))
        .collect();
    Comparison {
        file: format!("{label}{name}"),
        sundial: Verdict {
            valid: sundial.status.success(),
            problems: normalize(&sundial_text, work),
        },
        systemd: Verdict {
            valid: systemd.status.success(),
            problems: normalize(&text_of(&systemd), work),
        },
    }
}

/// Checks `results` against KNOWN-DIFFERENCES.md; the problems found.
fn check(results: &[Comparison], lines_too: bool) -> Vec<String> {
    let known = known_differences();
    let mut problems = Vec::new();
    for c in results {
        match (c.agree(lines_too), known.get(&c.file)) {
            (false, None) => problems.push(c.describe()),
            (true, Some(reason)) if lines_too => problems.push(format!(
                "{}: listed as a known difference ({reason}) but both agree now",
                c.file
            )),
            _ => {}
        }
    }
    problems
}

/// The installed systemd-analyze's version, or why the comparison is
/// skipped.
fn systemd_or_skip() -> Option<u32> {
    let version = systemd_analyze_version();
    if version.is_none() {
        eprintln!("systemd-analyze not found: skipping the comparison");
    }
    version
}

#[test]
fn hand_written_cases_agree_with_systemd_analyze() {
    let dir = compat_dir();
    let files = unit_files(&dir);
    assert!(files.len() >= 50, "only {} compat cases", files.len());
    let Some(version) = systemd_or_skip() else {
        return;
    };
    let exact = version == SYSTEMD_VERSION;
    if !exact {
        eprintln!(
            "systemd-analyze {version}: comparing validity only (the problems are compared \
             with systemd {SYSTEMD_VERSION}, whose output KNOWN-DIFFERENCES.md describes)"
        );
    }
    let results = compare_dir(&dir, "", Setup::Defaults);
    assert_eq!(results.len(), files.len());
    let problems = check(&results, exact);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Compares one scope of the Debian 12 corpus.
fn corpus_agrees(scope: &str, setup: Setup, at_least: usize) {
    let dir = compat_dir().join("debian12").join(scope);
    let files = unit_files(&dir);
    assert!(files.len() >= at_least, "only {} files", files.len());
    let Some(version) = systemd_or_skip() else {
        return;
    };
    if version != SYSTEMD_VERSION {
        eprintln!(
            "systemd-analyze {version}: skipping the corpus, which is Debian 12's and compared \
             with systemd {SYSTEMD_VERSION}"
        );
        return;
    }
    let results = compare_dir(&dir, &format!("debian12/{scope}/"), setup);
    assert_eq!(results.len(), files.len());
    let agreeing = results.iter().filter(|c| c.agree(true)).count();
    eprintln!(
        "debian12/{scope}: {agreeing} of {} unit files agree exactly",
        results.len()
    );
    let problems = check(&results, true);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn debian_system_units_agree_with_systemd_analyze() {
    corpus_agrees("system", Setup::OnlySystem, 150);
}

#[test]
fn debian_user_units_agree_with_systemd_analyze() {
    corpus_agrees("user", Setup::OnlyUser, 20);
}

#[test]
fn examples_agree_with_systemd_analyze() {
    let Some(_) = systemd_or_skip() else {
        return;
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/units");
    let results = compare_dir(&dir, "examples/units/", Setup::Defaults);
    assert!(results.len() >= 20);
    let disagreements: Vec<String> = results
        .iter()
        .filter(|c| !c.agree(false))
        .map(Comparison::describe)
        .collect();
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

#[test]
fn normalization_keeps_places_and_reasons() {
    let dir = Path::new("/tmp/x/units");
    let sundial = "\
/tmp/x/units/a.service:3: RemainAfterExit=: failed to parse boolean value 'maybe'
/tmp/x/units/a.service.d/b.conf:2: Unknown key 'Foo' in section [Service], ignoring.
/tmp/x/units/a.service: Service has no ExecStart=, ExecStop=, or SuccessAction=. Refusing.
/tmp/x/units/k.service: k.service: Command /bin/kmod is not executable: No such file or directory
./a.service: Unit a.service has a bad unit file setting.
./g.service: g.service: Failed to create g.service/start: Unit a.service not found.
";
    let systemd = "\
/tmp/x/units/a.service:3: Failed to parse boolean value, ignoring: maybe
/tmp/x/units/a.service.d/b.conf:2: Unknown key 'Foo' in section [Service], ignoring.
a.service: Service has no ExecStart=, ExecStop=, or SuccessAction=. Refusing.
k.service: Command /bin/kmod is not executable: No such file or directory
Unit a.service has a bad unit file setting.
g.service: Failed to create g.service/start: Unit a.service not found.
";
    assert_eq!(normalize(sundial, dir), normalize(systemd, dir));
    assert_eq!(
        normalize(systemd, dir),
        [
            "Command /bin/kmod is not executable: No such file or directory",
            "Failed to create g.service/start: Unit a.service not found.",
            "Service has no ExecStart=, ExecStop=, or SuccessAction=. Refusing.",
            "Unit a.service has a bad unit file setting.",
            "a.service.d/b.conf:2",
            "a.service:3",
        ]
    );
    assert!(sundial_only(
        "/u/a.service:4: LoadCredential=: not supported, ignoring"
    ));
    assert!(sundial_only(
        "/u/a.timer: a.timer: triggers a.service, which could not be loaded"
    ));
    assert!(sundial_only(
        "/u/reboot.target:18: JobTimeoutAction=: 'reboot-force' is not carried out by sundial \
         (it does not reboot, power off or exit on a job timeout); the job is only cancelled"
    ));
    assert!(!sundial_only(
        "/u/a.service:4: Unknown key 'Foo' in section [Service], ignoring."
    ));
}
