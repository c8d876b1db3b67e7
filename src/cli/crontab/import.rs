//! `sundial crontab import`: the crontabs cron runs, as timer and service
//! units in the unit directory (or `--out DIR`), checked line by line.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command as Process, ExitCode};

use anyhow::{bail, Context as _};

use super::{daemon_command, reload_daemon, start_units, Reload, ScopeArgs};
use crate::crontab::host::{kind_of_file, system_sources};
use crate::crontab::{
    plan_write, translate, write_units_to, Change, CrontabKind, CrontabSource, TranslateOptions,
    Translation, UnitDirs, UserUnitDir, WriteReport,
};
use crate::daemon::paths::{DaemonPaths, HostEnv, PathFlags};
use crate::unit::Scope;

const EXAMPLES: &str = "Examples:\n  \
    $ sudo sundial crontab import --dry-run        # everything cron runs, as units\n  \
    $ sudo sundial crontab import                  # written to /etc/sundial/system\n  \
    $ sundial crontab import --user                # your crontab (crontab -l)\n  \
    $ sundial crontab import ~/old.cron --out ./units\n  \
    $ sudo sundial crontab import /etc/cron.d/backup\n  \
    $ cat jobs.cron | sundial crontab import - --kind system --out ./units";

/// Arguments of `sundial crontab import`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Turn crontabs into timer and service units",
    long_about = "Translate crontabs into .timer and .service units that run every job as cron \
                  runs it: its schedule with cron's day rule and CRON_TZ, its environment, \
                  through $SHELL -c from $HOME, with cron's % rule for standard input, mailing \
                  its output to MAILTO.\n\n\
                  Without FILE, --system imports /etc/crontab, /etc/cron.d, the spool's user \
                  crontabs (as units of each user, in ~USER/.config/sundial/user), the \
                  /etc/cron.{hourly,daily,weekly,monthly,yearly} directories (one timer each) \
                  and /etc/anacrontab; --user imports your crontab (crontab -l).\n\n\
                  Every line that cannot be translated exactly is reported with its file and \
                  line. An error writes nothing and exits 1; warnings say what differs. \
                  Importing again changes only what changed, and removes the units of jobs that \
                  are gone. After writing into the unit directory, a running daemon reloads and \
                  starts the new timers.",
    after_long_help = EXAMPLES
)]
pub struct Args {
    /// The crontab to import (`-`: standard input). Default: what cron runs
    /// (--system) or your crontab (--user).
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// What FILE is (default: from its place: /etc/crontab and /etc/cron.d
    /// are system crontabs, a file named anacrontab anacron's, anything
    /// else a user crontab).
    #[arg(long, value_enum, value_name = "KIND")]
    pub kind: Option<Kind>,
    /// Accept six-field lines with seconds first (`*/10 * * * * * cmd`), as
    /// container crons and `sundial daemon --crontab` do; cron does not.
    #[arg(long)]
    pub seconds: bool,
    /// Write the units into DIR (users' units into DIR/users/USER) instead
    /// of the unit directories, and tell no daemon.
    #[arg(long, value_name = "DIR", help_heading = "Output")]
    pub out: Option<PathBuf>,
    /// Print what would be written, write nothing.
    #[arg(long, help_heading = "Output")]
    pub dry_run: bool,
    /// Read the system's crontabs, passwd and tools under DIR (tests, images).
    #[arg(long, value_name = "DIR", hide = true)]
    pub root: Option<PathBuf>,
    #[command(flatten)]
    pub scope: ScopeArgs,
}

/// `--kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// A user's crontab: five time fields and the command.
    User,
    /// /etc/crontab and cron.d: a user field before the command.
    System,
    /// anacrontab: period, delay, identifier and command.
    Anacron,
}

impl From<Kind> for CrontabKind {
    fn from(k: Kind) -> CrontabKind {
        match k {
            Kind::User => CrontabKind::User,
            Kind::System => CrontabKind::System,
            Kind::Anacron => CrontabKind::Anacron,
        }
    }
}

/// What standard input is called in messages.
const STDIN: &str = "(standard input)";

/// Runs `sundial crontab import`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let scope = args.scope.scope();
    let root = args.root.clone().unwrap_or_else(|| PathBuf::from("/"));
    let mut options = TranslateOptions::from_host(scope, &root);
    options.seconds = args.seconds;
    let Some(sources) = sources(&args, scope, &root)? else {
        eprintln!("sundial: no crontab to import");
        return Ok(ExitCode::SUCCESS);
    };
    let t = translate(&sources, &options);
    for d in &t.diagnostics {
        eprintln!("{d}");
    }
    if t.has_errors() {
        let n = t.errors().count();
        eprintln!(
            "sundial: {n} error{} in the crontabs: nothing written",
            if n == 1 { "" } else { "s" }
        );
        return Ok(ExitCode::FAILURE);
    }
    let dirs = unit_dirs(&args, scope, &t, &options)?;
    if args.dry_run {
        let report = plan_write(&dirs, &t)?;
        print_plan(&report)?;
        return Ok(ExitCode::SUCCESS);
    }
    let report = write_units_to(&dirs, &t)?;
    summarize(&report, &dirs);
    if args.out.is_none() {
        tell_daemon(&args.scope, scope, &t, &report)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The sources named by the arguments; `None` when there is nothing.
fn sources(args: &Args, scope: Scope, root: &Path) -> anyhow::Result<Option<Vec<CrontabSource>>> {
    match &args.file {
        Some(file) if file.as_os_str() == "-" => {
            let mut text = String::new();
            io::stdin()
                .read_to_string(&mut text)
                .context("cannot read standard input")?;
            let kind = args.kind.map_or(CrontabKind::User, CrontabKind::from);
            Ok(Some(vec![CrontabSource {
                path: PathBuf::from(STDIN),
                text,
                kind,
                owner: None,
            }]))
        }
        Some(file) => {
            let path = absolute(file);
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let (kind, owner) = kind_of_file(&path);
            let kind = args.kind.map_or(kind, CrontabKind::from);
            Ok(Some(vec![CrontabSource {
                path,
                text,
                kind,
                owner: owner.filter(|_| kind == CrontabKind::User),
            }]))
        }
        None if scope == Scope::System => {
            let sources = system_sources(root)?;
            Ok((!sources.is_empty()).then_some(sources))
        }
        None => own_cron_crontab(),
    }
}

/// `file` as SourcePath= wants it: absolute and normalized, `.` and `..`
/// resolved by their names, as systemd does.
fn absolute(file: &Path) -> PathBuf {
    use std::path::Component;
    let joined = std::env::current_dir()
        .map(|cwd| cwd.join(file))
        .unwrap_or_else(|_| file.to_path_buf());
    let mut path = PathBuf::new();
    for component in joined.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                path.pop();
            }
            other => path.push(other),
        }
    }
    path
}

/// The caller's crontab as cron keeps it: `crontab -l`.
fn own_cron_crontab() -> anyhow::Result<Option<Vec<CrontabSource>>> {
    let output = match Process::new("crontab").arg("-l").output() {
        Ok(output) => output,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            bail!("there is no crontab command to list your crontab; name the file to import")
        }
        Err(e) => return Err(e).context("cannot run crontab -l"),
    };
    if !output.status.success() {
        // "no crontab for USER"
        let message = String::from_utf8_lossy(&output.stderr);
        eprintln!("crontab -l: {}", message.trim());
        return Ok(None);
    }
    Ok(Some(vec![CrontabSource {
        path: PathBuf::from("(crontab -l)"),
        text: String::from_utf8_lossy(&output.stdout).into_owned(),
        kind: CrontabKind::User,
        owner: None,
    }]))
}

/// Where the units go: `--out`, or the scope's first unit directory; the
/// units of spool crontabs into each user's own directory.
fn unit_dirs(
    args: &Args,
    scope: Scope,
    t: &Translation,
    options: &TranslateOptions,
) -> anyhow::Result<UnitDirs> {
    let main = match &args.out {
        Some(out) => out.clone(),
        None => {
            let paths =
                DaemonPaths::resolve(scope, &PathFlags::default(), &HostEnv::from_process())?;
            paths
                .first_unit_dir()
                .map(Path::to_path_buf)
                .context("no unit directory to write into; pass --out DIR")?
        }
    };
    let mut users = BTreeMap::new();
    for user in t.units.iter().filter_map(|u| u.user.as_deref()) {
        if users.contains_key(user) {
            continue;
        }
        let dir = match &args.out {
            Some(out) => UserUnitDir {
                path: out.join("users").join(user),
                owner: None,
            },
            None => {
                let pw = options
                    .users
                    .get(user)
                    .with_context(|| format!("no home directory for the crontab of '{user}'"))?;
                UserUnitDir {
                    path: Path::new(&pw.home).join(".config/sundial/user"),
                    owner: Some((pw.uid, pw.gid)),
                }
            }
        };
        users.insert(user.to_owned(), dir);
    }
    Ok(UnitDirs { main, users })
}

/// `--dry-run`: each file as it would be, in `head`'s style.
fn print_plan(report: &WriteReport) -> io::Result<()> {
    let mut out = io::stdout().lock();
    for file in &report.files {
        match (file.change, &file.text, &file.link_target) {
            (Change::Remove, _, _) => writeln!(out, "==> {} <== removed\n", file.path.display())?,
            (_, Some(text), _) => write!(out, "==> {} <==\n{text}\n", file.path.display())?,
            (_, None, Some(target)) => writeln!(
                out,
                "==> {} <== -> {}\n",
                file.path.display(),
                target.display()
            )?,
            _ => {}
        }
    }
    out.flush()
}

fn summarize(report: &WriteReport, dirs: &UnitDirs) {
    let count = |change| report.paths(change).filter(|p| is_unit(p)).count();
    println!(
        "{} unit files written, {} unchanged, {} removed in {}",
        count(Change::Write),
        count(Change::Unchanged),
        count(Change::Remove),
        dirs.main.display()
    );
    for (user, dir) in &dirs.users {
        println!(
            "The units of {user}'s crontab are in {}: they run when {user}'s daemon runs \
             (`sundial daemon --user`).",
            dir.path.display()
        );
    }
}

fn is_unit(path: &Path) -> bool {
    !path
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|d| d.to_string_lossy().ends_with(".wants"))
}

/// Tells a running daemon: reload, then start the timers that are new or
/// changed (not the `@reboot` ones, which wait for the next boot).
fn tell_daemon(
    args: &ScopeArgs,
    scope: Scope,
    t: &Translation,
    report: &WriteReport,
) -> anyhow::Result<()> {
    match reload_daemon(args)? {
        Reload::NoDaemon(socket) => {
            println!(
                "No daemon answers at {}: the units take effect when `{}` starts.",
                socket.display(),
                daemon_command(scope)
            );
            return Ok(());
        }
        Reload::Done(messages) => {
            for m in messages {
                eprintln!("{m}");
            }
        }
    }
    let written: Vec<&Path> = report.paths(Change::Write).collect();
    let timers: Vec<String> = t
        .units
        .iter()
        .filter(|u| u.enable && u.user.is_none() && !u.text.contains("\nOnBootSec="))
        .filter(|u| {
            written
                .iter()
                .any(|p| p.file_name().is_some_and(|n| n == u.name.as_str()))
        })
        .map(|u| u.name.clone())
        .collect();
    for m in start_units(args, timers.clone())? {
        eprintln!("{m}");
    }
    println!(
        "The daemon reloaded its units{}.",
        if timers.is_empty() {
            String::new()
        } else {
            format!(" and started {}", timers.join(", "))
        }
    );
    Ok(())
}
