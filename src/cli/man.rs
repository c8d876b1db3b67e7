//! `sundial man`: manual pages generated from the clap definition, one for
//! `sundial` and one per command (`sundial-list-timers.1`, as git names its
//! pages), so that the pages can never disagree with `--help`.
//!
//! clap_mangen renders the standard sections; the sections it does not know
//! (EXAMPLES from `after_long_help`, EXIT STATUS, ENVIRONMENT, FILES,
//! CONFIGURATION, SEE ALSO) are added here. clap_mangen prints
//! `after_long_help` as filled text, which would run the example lines
//! together, so it is rendered here without filling instead.
//!
//! On a terminal a page is shown through `man -l`, as git shows its pages;
//! elsewhere (a pipe, a file) its roff source is printed, for `man -l -`
//! and packagers.

use std::ffi::OsString;
use std::fs;
use std::io::{self, IsTerminal, Write};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Command, CommandFactory};
use clap_mangen::roff::{bold, roman, Roff};
use clap_mangen::Man;

use super::Cli;
use crate::daemon::config;

/// Arguments of `sundial man`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Show the manual pages, or write them for installation",
    long_about = "Show the sundial(1) manual page, or with COMMAND the page of that command \
                  (sundial-list-timers(1) for `sundial man list-timers`). On a terminal the page \
                  is shown through `man -l` (with its pager, $MANPAGER or $PAGER); where stdout \
                  is no terminal, or man is not installed, its roff source is printed. With \
                  --dir, sundial.1 and one page per command are written into a directory.",
    after_long_help = "Examples:\n  \
$ sundial man                          # sundial(1), through man on a terminal\n  \
$ sundial man list-timers              # sundial-list-timers(1); also `sundial help list-timers`\n  \
$ sundial man crontab import\n  \
$ sundial man > sundial.1              # the roff source\n  \
$ sundial man --dir /usr/local/share/man/man1"
)]
pub struct Args {
    /// The command whose page to show (`list-timers`, `crontab import`);
    /// none: sundial(1).
    #[arg(value_name = "COMMAND", conflicts_with = "dir")]
    pub command: Vec<String>,
    /// Write sundial.1 and one page per command into DIR (created if missing)
    /// instead of showing a page.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    #[command(flatten)]
    pub inert: super::verify::InertScope,
}

/// One manual page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// `sundial.1`, `sundial-list-timers.1`, ...
    pub file_name: String,
    /// The roff source.
    pub source: Vec<u8>,
}

/// The manual pages, sundial.1 first, then one per visible command in the
/// order `--help` lists them.
pub fn pages() -> Vec<Page> {
    // `help` shows these pages; it needs none of its own.
    let mut root = hide_help(Cli::command());
    // Building sets the names the pages use ("sundial list-timers" in the
    // synopsis, "sundial-list-timers" as title and file name).
    root.build();
    let mut pages = vec![render(&root, None)];
    for sub in visible_subcommands(&root) {
        collect(sub, &root, &mut pages);
    }
    pages
}

/// `cmd` with its `help` commands, at every level, hidden.
fn hide_help(mut cmd: Command) -> Command {
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for name in names {
        cmd = cmd.mut_subcommand(name, |sub| {
            if sub.get_name() == "help" {
                sub.hide(true)
            } else {
                hide_help(sub)
            }
        });
    }
    cmd
}

fn collect(cmd: &Command, root: &Command, pages: &mut Vec<Page>) {
    pages.push(render(cmd, Some(root)));
    for sub in visible_subcommands(cmd) {
        collect(sub, root, pages);
    }
}

fn visible_subcommands(cmd: &Command) -> impl Iterator<Item = &Command> {
    cmd.get_subcommands().filter(|s| !s.is_hide_set())
}

/// The page of `cmd`; `root` is `None` for the page of `sundial` itself.
fn render(cmd: &Command, root: Option<&Command>) -> Page {
    // The footer names the program, not the command ("daemon 0.1.0").
    let program = root.unwrap_or(cmd);
    let source = format!(
        "{} {}",
        program.get_name(),
        program.get_version().unwrap_or_default()
    );
    let man = Man::new(cmd.clone())
        .manual("sundial manual")
        .source(source)
        // No date, so that a page changes only when its command does; an
        // empty argument must be written `""`, or .TH takes the next one for
        // the date.
        .date("\"\"");
    let mut source = Vec::new();
    let mut write = |section: &dyn Fn(&mut dyn Write) -> io::Result<()>| {
        let mut buf = Vec::new();
        section(&mut buf).expect("writing to a Vec cannot fail");
        // Every render call starts with the same preamble (the apostrophe
        // string definition); the page needs it once.
        let body = if source.is_empty() {
            &buf[..]
        } else {
            buf.strip_prefix(preamble().as_slice()).unwrap_or(&buf)
        };
        source.extend_from_slice(body);
    };
    write(&|w| man.render_title(w));
    write(&|w| man.render_name_section(w));
    write(&|w| man.render_synopsis_section(w));
    write(&|w| man.render_description_section(w));
    if root.is_none() {
        write(&|w| main_description(w));
    }
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        write(&|w| man.render_options_section(w));
    }
    if visible_subcommands(cmd).next().is_some() {
        write(&|w| man.render_subcommands_section(w));
    }
    let mut extra = Roff::new();
    if root.is_none() {
        main_sections(&mut extra);
    }
    // The daemon reads the file; its page says what goes in it too.
    if root.is_none() || cmd.get_name() == "daemon" {
        configuration(&mut extra);
    }
    if cmd.get_name() == "daemon" {
        after_a_crash(&mut extra);
    }
    if let Some(text) = cmd.get_after_long_help().or_else(|| cmd.get_after_help()) {
        after_help(&mut extra, &text.to_string());
    }
    see_also(&mut extra, root);
    write(&|w| extra.to_writer(w));
    Page {
        file_name: man.get_filename(),
        source,
    }
}

/// What roff writes before every document.
fn preamble() -> Vec<u8> {
    let mut buf = Vec::new();
    Roff::new()
        .to_writer(&mut buf)
        .expect("writing to a Vec cannot fail");
    buf
}

/// `after_long_help` text: "Heading:" lines at the left margin open a section
/// (`Examples:` -> EXAMPLES); the lines under them keep their layout.
fn after_help(roff: &mut Roff, text: &str) {
    let mut heading = "NOTES".to_owned();
    let mut body: Vec<&str> = Vec::new();
    for line in text.lines() {
        let is_heading = !line.starts_with(char::is_whitespace) && line.ends_with(':');
        if is_heading {
            verbatim_section(roff, &heading, &body);
            heading = line.trim_end_matches(':').to_uppercase();
            body.clear();
        } else {
            body.push(line);
        }
    }
    verbatim_section(roff, &heading, &body);
}

/// A section whose lines are printed as they are, less their common indent.
fn verbatim_section(roff: &mut Roff, heading: &str, lines: &[&str]) {
    let first = lines.iter().position(|l| !l.trim().is_empty());
    let last = lines.iter().rposition(|l| !l.trim().is_empty());
    let (Some(first), Some(last)) = (first, last) else {
        return;
    };
    let lines = &lines[first..=last];
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    roff.control("SH", [heading]);
    roff.control("nf", []);
    for line in lines {
        roff.text([roman(line.get(indent..).unwrap_or("").trim_end())]);
    }
    roff.control("fi", []);
}

fn see_also(roff: &mut Roff, root: Option<&Command>) {
    // The page of sundial lists the command pages already, under its
    // subcommands heading.
    let mut refs: Vec<String> = root.map(page_name).into_iter().collect();
    refs.extend(SYSTEMD_PAGES.iter().map(|p| p.to_string()));
    roff.control("SH", ["SEE ALSO"]);
    let last = refs.len() - 1;
    let mut inlines = Vec::new();
    for (i, name) in refs.into_iter().enumerate() {
        let (page, section) = name.split_once('(').unwrap_or((&name, ""));
        inlines.push(bold(page));
        inlines.push(roman(format!(
            "({section}{}",
            if i < last { ", " } else { "" }
        )));
    }
    roff.text(inlines);
}

/// `sundial-list-timers(1)` for a built command.
fn page_name(cmd: &Command) -> String {
    format!("{}(1)", cmd.get_display_name().unwrap_or(cmd.get_name()))
}

/// The systemd pages that define the unit-file format sundial reads.
const SYSTEMD_PAGES: &[&str] = &[
    "systemd.timer(5)",
    "systemd.service(5)",
    "systemd.unit(5)",
    "systemd.time(7)",
    "crontab(5)",
];

/// What the page of `sundial` says beyond the one-line about.
fn main_description(w: &mut dyn Write) -> io::Result<()> {
    let mut roff = Roff::new();
    for paragraph in [
        "sundial reads systemd .timer and .service unit files, computes when the timers \
             elapse, and runs and supervises the services they trigger, where systemd is not \
             running: in containers, on minimal distributions, in a user's own account. A unit \
             file that works under systemd means the same under sundial; directives it does \
             not implement are reported with their file and line.",
        "sundial daemon runs the timers and services. The control commands (start, stop, \
             status, list-timers, logs, history and the others) talk to a running daemon \
             through its control socket, with the names and exit codes of systemctl and \
             journalctl. When no daemon runs, history, logs, list-timers and status read what \
             it recorded in its state database (read-only, as journalctl reads the journal \
             without systemd) and say that it is not running. calendar, timespan and \
             timestamp print what systemd-analyze prints for the same input; verify, cat and \
             simulate work on unit files without a daemon.",
        "Each command has its own page, named after it: sundial-list-timers(1) for \
             sundial list-timers.",
    ] {
        roff.control("PP", []);
        roff.text([roman(paragraph)]);
    }
    roff.to_writer(w)
}

/// EXIT STATUS, ENVIRONMENT and FILES of the page of `sundial`.
fn main_sections(roff: &mut Roff) {
    roff.control("SH", ["EXIT STATUS"]);
    for (code, meaning) in [
        ("0", "Success."),
        (
            "1",
            "Failure, or for is-enabled and is-failed: no unit is in that state.",
        ),
        (
            "3",
            "is-active: no unit is active; status: a unit is not active (as systemctl).",
        ),
        (
            "4",
            "No such unit: status, or is-active, is-enabled and is-failed when none of \
             the units exists (as systemctl since version 253).",
        ),
        (
            "5",
            "A job (start, stop ...) for a unit that does not exist.",
        ),
    ] {
        tagged(roff, code, meaning);
    }

    roff.control("SH", ["ENVIRONMENT"]);
    for (name, meaning) in [
        (
            "SUNDIAL_UNIT_PATH",
            "Colon-separated unit directories searched before (with a trailing colon) or \
             instead of the defaults, as SYSTEMD_UNIT_PATH.",
        ),
        (
            "SUNDIAL_SOCKET",
            "The control socket the control commands connect to, unless --socket is given.",
        ),
        (
            "SUNDIAL_STATE_DIR",
            "The state directory of the daemon unless --state-dir is given, and the one \
             history, logs, list-timers and status read when no daemon answers. Without it \
             they read the directory of the socket --socket or SUNDIAL_SOCKET names when it \
             holds state.db, else the scope's.",
        ),
        (
            "SUNDIAL_CGROUPS",
            "off: the daemon tracks its services' processes by the process tree, without \
             a cgroup per service, even where its cgroup v2 tree is writable (see \
             ControlGroup in show).",
        ),
        (
            "SUNDIAL_DIRECTORY_PREFIX",
            "An absolute directory under which the system daemon takes the roots of \
             RuntimeDirectory=, StateDirectory=, CacheDirectory=, LogsDirectory= and \
             ConfigurationDirectory= (PREFIX/run, PREFIX/var/lib ...) and the services' \
             credentials (PREFIX/run/credentials), for tests and images built in a tree.",
        ),
        (
            "SUNDIAL_UTMP, SUNDIAL_WTMP",
            "The utmp and wtmp files the daemon writes the records of UtmpIdentifier= \
             to (absolute paths; /var/run/utmp and /var/log/wtmp otherwise).",
        ),
        (
            "CREDENTIALS_DIRECTORY",
            "The daemon's own credentials, which LoadCredential=ID and ImportCredential= \
             pass on to services.",
        ),
        (
            "TZ",
            "The local time zone, as glibc reads it; unset means /etc/localtime.",
        ),
        (
            "XDG_CONFIG_HOME, XDG_STATE_HOME, XDG_RUNTIME_DIR",
            "The base directories of user mode (see FILES).",
        ),
        (
            "LANG, LANGUAGE, LC_*",
            "The daemon's locale, passed to every service (see show-environment). A user \
             daemon also passes HOME, XDG_RUNTIME_DIR and its user's USER, LOGNAME and SHELL.",
        ),
    ] {
        tagged(roff, name, meaning);
    }

    roff.control("SH", ["FILES"]);
    for (path, meaning) in [
        (
            "/etc/sundial/system, /usr/lib/sundial/system",
            "Unit directories of system mode (root).",
        ),
        (
            "$XDG_CONFIG_HOME/sundial/user, /usr/lib/sundial/user",
            "Unit directories of user mode (the default for other users, or --user).",
        ),
        (
            "/var/lib/sundial/state.db, $XDG_STATE_HOME/sundial/state.db",
            "The state database: timer stamps, run history, captured output.",
        ),
        (
            "/run/sundial/control.sock, $XDG_RUNTIME_DIR/sundial/control.sock",
            "The daemon's control socket; in user mode without XDG_RUNTIME_DIR, \
             control.sock in the state directory.",
        ),
        (
            "/etc/sundial/sundial.toml, $XDG_CONFIG_HOME/sundial/sundial.toml",
            "The daemon's configuration.",
        ),
    ] {
        tagged(roff, path, meaning);
    }
}

/// CONFIGURATION: the config file's keys, from [`config::KEYS`].
fn configuration(roff: &mut Roff) {
    roff.control("SH", ["CONFIGURATION"]);
    roff.control("PP", []);
    roff.text([roman(
        "The daemon reads its settings from a TOML file: /etc/sundial/sundial.toml in system \
         mode, $XDG_CONFIG_HOME/sundial/sundial.toml in user mode (~/.config when \
         XDG_CONFIG_HOME is unset), or the file --config names, which must then exist. A \
         missing file means the defaults. Every key is optional; an unknown key or a bad \
         value stops the daemon with the file, the key and the line. For example:",
    )]);
    roff.control("PP", []);
    roff.control("nf", []);
    for line in CONFIG_EXAMPLE.lines() {
        roff.text([roman(line)]);
    }
    roff.control("fi", []);
    for key in config::KEYS {
        tagged(
            roff,
            &format!("[{}] {}", key.section, key.key),
            &format!(
                "{} Takes {}; the default is {}.",
                key.meaning, key.value, key.default
            ),
        );
    }
}

/// AFTER A CRASH: what a daemon started after `kill -9` does with the
/// services the killed one left running (see `daemon::adopt`).
fn after_a_crash(roff: &mut Roff) {
    roff.control("SH", ["AFTER A CRASH"]);
    for paragraph in [
        "A daemon that was killed (kill -9, a crash) leaves its services running. The daemon \
         records the main and control process of every run in flight (pid, start time from \
         /proc/PID/stat, session, cgroup) in the commit that records the run, and the next \
         daemon takes them over before it starts anything, so that each service still runs \
         once.",
        "A main process that still runs (same pid and start time, in its cgroup if it had \
         one) of a run at rest (running, or a oneshot's ExecStart=) is adopted: the unit is \
         active with the same invocation id and MainPID, its run goes on in the history, stop \
         and kill reach it, and a timer or dependency that starts it finds it active. The \
         daemon is not its parent: it sees the end through a pidfd, not the exit status, so \
         the run ends with result unknown. That end is not a failure: Restart=always and \
         on-success restart the service, the failure policies do not, and a oneshot's later \
         commands are not run. Its output is still captured under the same invocation id: \
         a service's end of its capture pipe is opened read-write, so its writes do not fail \
         (EPIPE, SIGPIPE) when the daemon dies but wait, once the pipe's 64 KiB buffer is \
         full, for the next daemon, which reads the adopted process's stdout and stderr again \
         through /proc/PID/fd (pipes opened read-write only). Lines the killed daemon had read \
         and not stored yet (those of its last [logs] flush_interval) are lost.",
        "A run mid-way through its commands (ExecStartPre=, ExecStartPost=, ExecReload=, \
         ExecStop= in flight, a start still waiting, a stop under way) cannot be resumed: what \
         runs of it is stopped (KillSignal=, then FinalKillSignal= after TimeoutStopSec=; \
         ExecStopPost= runs) and the run ends with result daemon-crash, as does at once a run \
         of which nothing runs. A recorded pid that another process has now is never \
         signalled. Processes started in the moment of the kill, before their run was \
         committed, are found by their $SUNDIAL_SOCKET and $INVOCATION_ID and ended.",
    ] {
        roff.control("PP", []);
        roff.text([roman(paragraph)]);
    }
}

/// The example of CONFIGURATION.
const CONFIG_EXAMPLE: &str = "\
[logs]
max_bytes = \"256M\"
max_age = \"30d\"

[manager]
default_timeout_start_sec = \"5min\"
default_environment = { MAILTO = \"ops@example.com\" }";

/// One `.TP` entry: a bold tag and its indented description.
fn tagged(roff: &mut Roff, tag: &str, text: &str) {
    roff.control("TP", []);
    roff.text([bold(tag)]);
    roff.text([roman(text)]);
}

/// Runs `sundial man`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.dir {
        None => {
            let page = page_of(&args.command)?;
            if io::stdout().is_terminal() {
                if let Some(code) = through_man(&page)? {
                    return Ok(code);
                }
                eprintln!(
                    "sundial: man is not installed: this is the page's roff source (`sundial {} \
                     --help` says the same as text)",
                    args.command.join(" ")
                );
            }
            let mut stdout = io::stdout().lock();
            stdout.write_all(&page.source)?;
            stdout.flush()?;
        }
        Some(dir) => write_pages(&dir)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The file name of the page of `sundial WORDS...` (`sundial-crontab-import.1`),
/// checked against the commands; `sundial.1` for no words.
pub fn page_file_name(words: &[String]) -> anyhow::Result<String> {
    let mut cmd = Cli::command();
    let mut name = "sundial".to_owned();
    for word in words {
        let Some(sub) = cmd
            .find_subcommand(word)
            .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        else {
            anyhow::bail!(
                "No manual entry for {name}-{word} (`{} --help` lists the commands)",
                name.replace('-', " ")
            );
        };
        name = format!("{name}-{}", sub.get_name());
        cmd = sub.clone();
    }
    Ok(format!("{name}.1"))
}

/// The page of `sundial WORDS...`.
pub fn page_of(words: &[String]) -> anyhow::Result<Page> {
    let name = page_file_name(words)?;
    pages()
        .into_iter()
        .find(|p| p.file_name == name)
        .ok_or_else(|| anyhow::anyhow!("No manual entry for {}", name.trim_end_matches(".1")))
}

/// Shows `page` with `man -l FILE` (man-db and mandoc both take it), the file
/// in a private temporary directory; `None` when man cannot be run here.
pub fn through_man(page: &Page) -> anyhow::Result<Option<ExitCode>> {
    let dir = private_temp_dir()?;
    let file = dir.join(&page.file_name);
    let shown = fs::write(&file, &page.source)
        .with_context(|| format!("cannot write {}", file.display()))
        .map(|()| {
            std::process::Command::new("man")
                .arg("-l")
                .arg(&file)
                .status()
        });
    let _ = fs::remove_dir_all(&dir);
    match shown? {
        Ok(status) if status.success() => Ok(Some(ExitCode::SUCCESS)),
        Ok(_) => Ok(Some(ExitCode::FAILURE)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow::Error::new(e).context("cannot run man")),
    }
}

/// A new directory only this user can read, for the page man reads.
fn private_temp_dir() -> anyhow::Result<PathBuf> {
    let base = std::env::temp_dir();
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut name = OsString::from(format!("sundial-man-{}-{stamp}", std::process::id()));
    for attempt in 0..100u32 {
        let dir = base.join(&name);
        match fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                name.push(format!("-{attempt}"));
            }
            Err(e) => {
                return Err(
                    anyhow::Error::new(e).context(format!("cannot create {}", dir.display()))
                )
            }
        }
    }
    anyhow::bail!("cannot create a directory in {}", base.display())
}

fn write_pages(dir: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for page in pages() {
        let path = dir.join(&page.file_name);
        fs::write(&path, &page.source)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(name: &str) -> String {
        let page = pages()
            .into_iter()
            .find(|p| p.file_name == name)
            .unwrap_or_else(|| panic!("no page {name}"));
        String::from_utf8(page.source).expect("pages are UTF-8")
    }

    #[test]
    fn one_page_per_visible_command_and_none_for_help() {
        let names: Vec<String> = pages().into_iter().map(|p| p.file_name).collect();
        assert_eq!(names[0], "sundial.1");
        for expected in ["sundial-daemon.1", "sundial-list-timers.1", "sundial-man.1"] {
            assert!(
                names.iter().any(|n| n == expected),
                "{expected} in {names:?}"
            );
        }
        assert!(!names.iter().any(|n| n.contains("help")), "{names:?}");
    }

    #[test]
    fn title_line_has_an_empty_date_and_names_the_program() {
        let text = page("sundial-daemon.1");
        let expected = format!(
            "\n.TH sundial-daemon 1 \"\" \"sundial {}\" \"sundial manual\"\n",
            env!("CARGO_PKG_VERSION")
        );
        assert!(text.contains(&expected), "{text}");
    }

    #[test]
    fn the_preamble_appears_once() {
        let text = page("sundial-daemon.1");
        let preamble = String::from_utf8(preamble()).expect("UTF-8");
        assert!(!preamble.is_empty());
        assert_eq!(text.matches(&preamble).count(), 1, "{text}");
        assert!(text.starts_with(&preamble));
    }

    #[test]
    fn examples_keep_their_lines() {
        let text = page("sundial-man.1");
        assert!(
            text.contains(
                ".SH EXAMPLES\n.nf\n\
                 $ sundial man                          # sundial(1), through man on a terminal\n\
                 $ sundial man list\\-timers              # sundial\\-list\\-timers(1); also \
                 `sundial help list\\-timers`\n"
            ),
            "{text}"
        );
        assert!(!text.contains(".SH EXTRA"), "{text}");
    }

    #[test]
    fn sundial_lists_the_command_pages_and_they_link_back() {
        let main = page("sundial.1");
        assert!(
            main.contains("\n.TP\nsundial\\-list\\-timers(1)\n"),
            "{main}"
        );
        let sub = page("sundial-list-timers.1");
        assert!(
            sub.contains(".SH \"SEE ALSO\"\n\\fBsundial\\fR(1), "),
            "{sub}"
        );
    }

    #[test]
    fn the_configuration_section_lists_every_key_and_its_example_parses() {
        for name in ["sundial.1", "sundial-daemon.1"] {
            let text = page(name);
            for key in config::KEYS {
                let tag = format!("\\fB[{}] {}\\fR", key.section, key.key);
                assert!(text.contains(&tag), "{name} lacks {tag}");
            }
        }
        assert!(!page("sundial-status.1").contains("CONFIGURATION"));
        config::Config::parse(CONFIG_EXAMPLE, Path::new("example.toml"))
            .expect("the example is a valid config");
    }

    #[test]
    fn a_command_names_its_page() {
        let words = |w: &[&str]| w.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(page_file_name(&[]).unwrap(), "sundial.1");
        assert_eq!(
            page_file_name(&words(&["list-timers"])).unwrap(),
            "sundial-list-timers.1"
        );
        assert_eq!(
            page_file_name(&words(&["crontab", "import"])).unwrap(),
            "sundial-crontab-import.1"
        );
        let err = page_file_name(&words(&["crontab", "nope"])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "No manual entry for sundial-crontab-nope (`sundial crontab --help` lists the commands)"
        );
        assert!(page_file_name(&words(&["help"])).is_err());
        let page = page_of(&words(&["list-timers"])).unwrap();
        assert!(String::from_utf8(page.source)
            .unwrap()
            .contains("\n.TH sundial-list-timers 1 "));
    }

    #[test]
    fn after_help_without_heading_is_notes_and_blank_edges_are_dropped() {
        let mut roff = Roff::new();
        after_help(&mut roff, "\n  one\n    two\n\nExamples:\n  $ x\n\n");
        assert_eq!(
            roff.to_roff(),
            ".SH NOTES\n.nf\none\n  two\n.fi\n.SH EXAMPLES\n.nf\n$ x\n.fi\n"
        );
    }
}
