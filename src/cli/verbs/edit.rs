//! `sundial edit UNIT...`: edit a drop-in (`override.conf`, or `--drop-in
//! NAME`) or, with `--full`, a copy of the whole unit file in the first unit
//! directory, through the editor systemctl would pick; check the result as
//! `sundial verify` does before it is saved, and offer to edit again when
//! it is broken; then reload the daemon if one runs.
//!
//! As systemctl 252: a temporary file beside the target (`.#override.conf…`)
//! holds the current drop-in between two marker lines, followed by the
//! unit's files commented out; what the user leaves between the markers
//! becomes the file; an empty result cancels the edit. The editor is
//! `$SYSTEMD_EDITOR`, `$EDITOR` or `$VISUAL` (the first set, split at
//! spaces), else `editor`, `nano`, `vim`, `vi`; all files go to one run of
//! it.

use std::fs;
use std::io::{self, BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{anyhow, bail, Context};

use super::connect::SocketEnv;
use super::{mangle_unit_name, print_messages, Connection};
use crate::cli::verify::{system_zones, UnitDirArgs};
use crate::ipc::{Request, Response};
use crate::unit::verify::{verify, VerifyTarget};
use crate::unit::{Diagnostic, LoadContext, Lookup, SearchPath, UnitIndex, UnitName};

const EXAMPLES: &str = "Examples:\n  \
    $ sundial edit backup.service              # a drop-in: .../backup.service.d/override.conf\n  \
    $ sundial edit --drop-in=nice backup.service\n  \
    $ sundial edit --full backup.timer         # the whole file, copied to the first unit dir\n  \
    $ sundial edit --force --full new.timer    # a new unit\n  \
    $ SYSTEMD_EDITOR='code --wait' sundial edit backup";

/// Where the editable part of a drop-in begins: systemctl's wording.
const MARKER_START: &str =
    "### Anything between here and the comment below will become the new contents of the file";
/// Where it ends.
const MARKER_END: &str = "### Lines below this comment will be discarded";

/// Arguments of `sundial edit`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Edit a unit's drop-in or whole file, checked before it is saved",
    long_about = "Open a drop-in of each unit (override.conf in UNIT.d/ of the first unit \
                  directory), or with --full a copy of its whole file there, in the editor \
                  ($SYSTEMD_EDITOR, $EDITOR, $VISUAL, else editor, nano, vim, vi). The result \
                  is checked as `sundial verify` checks units: a broken unit is not saved and \
                  you are asked whether to edit again. An empty result leaves things as they \
                  were. Afterwards a running daemon reloads its unit files.",
    after_long_help = EXAMPLES
)]
pub struct Args {
    /// The units to edit (a name without suffix means NAME.service).
    #[arg(required = true, value_name = "UNIT")]
    pub units: Vec<String>,
    /// Edit a copy of the whole unit file instead of a drop-in.
    #[arg(long)]
    pub full: bool,
    /// The drop-in's name (`.conf` is added when missing); default
    /// override.conf.
    #[arg(long = "drop-in", value_name = "NAME")]
    pub drop_in: Option<String>,
    /// Create the unit (with --full: its file; else a drop-in) if it has no
    /// file yet.
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Read unit files from DIR (repeatable, the first is where the edit is
    /// saved) instead of the default directories of the scope.
    #[arg(long = "unit-dir", value_name = "DIR")]
    pub unit_dirs: Vec<PathBuf>,
    #[command(flatten)]
    pub connection: Connection,
}

/// One file being edited.
#[derive(Debug)]
struct Edit {
    /// The unit the file belongs to.
    unit: UnitName,
    /// The file saved in the end.
    target: PathBuf,
    /// The temporary file the editor works on, beside the target.
    temp: PathBuf,
    /// Whether the temporary file has the marker lines (drop-ins and new
    /// units) or is the whole file.
    markers: bool,
    /// The directories created for the target, removed again if nothing
    /// is saved.
    created_dirs: Vec<PathBuf>,
}

/// Runs `sundial edit`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // systemctl: an editor needs a terminal.
    if !(io::stdout().is_terminal() && io::stderr().is_terminal()) {
        bail!("Cannot edit units if not on a tty.");
    }
    let dirs = UnitDirArgs {
        unit_dirs: args.unit_dirs.clone(),
        user: args.connection.user,
        system: args.connection.system,
    };
    let zones = system_zones();
    let cx = dirs.load_context(&zones);
    let drop_in = drop_in_name(args.drop_in.as_deref())?;
    let mut edits = Vec::new();
    let result = prepare_all(&args, &cx, &drop_in, &mut edits).and_then(|code| match code {
        Some(code) => Ok(code),
        None => edit_until_valid(&cx, &mut edits, &args),
    });
    // What was saved keeps its directory; the rest goes.
    for e in &edits {
        remove_created(e);
    }
    result
}

/// Prepares the temporary files; `Some(code)` when a unit cannot be edited.
fn prepare_all(
    args: &Args,
    cx: &LoadContext<'_>,
    drop_in: &str,
    edits: &mut Vec<Edit>,
) -> anyhow::Result<Option<ExitCode>> {
    let Some(first_dir) = cx.search_path.dirs.first() else {
        bail!("no unit directory to save the edit in");
    };
    let index = UnitIndex::scan(&cx.search_path);
    for arg in &args.units {
        let name = UnitName::parse(&mangle_unit_name(arg)).map_err(|e| anyhow!("{e}"))?;
        match prepare(args, &index, first_dir, &name, drop_in)? {
            Ok(edit) => edits.push(edit),
            Err(message) => {
                eprintln!("{message}");
                return Ok(Some(ExitCode::FAILURE));
            }
        }
    }
    Ok(None)
}

/// `override.conf`, or the `--drop-in` name with `.conf` added.
fn drop_in_name(arg: Option<&str>) -> anyhow::Result<String> {
    let name = match arg {
        None | Some("") => "override.conf".to_owned(),
        Some(n) if n.ends_with(".conf") => n.to_owned(),
        Some(n) => format!("{n}.conf"),
    };
    if name.contains('/') || name == ".conf" || name.starts_with('.') {
        bail!("Invalid drop-in file name '{name}'.");
    }
    Ok(name)
}

/// The edit of one unit, or the message that says why there is none.
fn prepare(
    args: &Args,
    index: &UnitIndex,
    first_dir: &Path,
    name: &UnitName,
    drop_in: &str,
) -> anyhow::Result<Result<Edit, String>> {
    let (unit, fragment, dropins) = match index.lookup(name) {
        Lookup::Masked(_) => return Ok(Err(format!("Cannot edit {name}: unit is masked."))),
        Lookup::NotFound if !args.force => {
            let scope = if args.connection.user { " --user" } else { "" };
            return Ok(Err(format!(
                "No files found for {name}.\n\
                 Run 'sundial edit{scope} --force --full {name}' to create a new unit."
            )));
        }
        Lookup::NotFound => (name.clone(), None, Vec::new()),
        Lookup::Found {
            name: canonical,
            fragment,
            aliases,
        } => {
            let dropins = index.dropins(&canonical, &aliases);
            (canonical, Some(fragment), dropins)
        }
    };
    let target = if args.full {
        first_dir.join(unit.as_str())
    } else {
        first_dir.join(format!("{}.d", unit.as_str())).join(drop_in)
    };
    let parent = target.parent().unwrap_or(first_dir).to_path_buf();
    let created_dirs = create_dirs(&parent)?;
    let temp = temp_beside(&target);
    let (text, markers) = match (&fragment, args.full) {
        (Some(fragment), true) => {
            if target.exists() && fs::canonicalize(&target).ok() != fs::canonicalize(fragment).ok()
            {
                let question = format!(
                    "\"{}\" already exists. Overwrite with \"{}\"? [(y)es, (n)o] ",
                    target.display(),
                    fragment.display()
                );
                if !ask_yes(&question)? {
                    return Ok(Err(format!("{unit} skipped.")));
                }
            }
            let text = fs::read_to_string(fragment)
                .with_context(|| format!("cannot read {}", fragment.display()))?;
            (text, false)
        }
        _ => {
            let current = fs::read_to_string(&target).unwrap_or_default();
            let mut comments: Vec<PathBuf> = fragment.iter().cloned().collect();
            comments.extend(dropins.into_iter().filter(|d| *d != target));
            (with_markers(&target, &current, &comments), true)
        }
    };
    fs::write(&temp, text).with_context(|| format!("cannot write {}", temp.display()))?;
    Ok(Ok(Edit {
        unit,
        target,
        temp,
        markers,
        created_dirs,
    }))
}

/// Creates `dir` and its missing parents; returns the ones it created,
/// deepest first.
fn create_dirs(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut missing = Vec::new();
    let mut at = Some(dir);
    while let Some(d) = at {
        if d.exists() {
            break;
        }
        missing.push(d.to_path_buf());
        at = d.parent();
    }
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(missing)
}

/// `DIR/.#NAME<16 hex digits>`, as systemctl names its temporary files.
fn temp_beside(target: &Path) -> PathBuf {
    let mut bytes = [0u8; 8];
    if let Ok(mut f) = fs::File::open("/dev/urandom") {
        use std::io::Read;
        let _ = f.read_exact(&mut bytes);
    }
    let file_name = target
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".#{file_name}{:016x}", u64::from_ne_bytes(bytes)))
}

/// The temporary file of a drop-in: the current text between the markers,
/// the unit's other files commented out below them.
fn with_markers(target: &Path, current: &str, comments: &[PathBuf]) -> String {
    let mut text = format!(
        "### Editing {}\n{MARKER_START}\n\n{current}",
        target.display()
    );
    if !current.ends_with('\n') {
        text.push('\n');
    }
    text.push('\n');
    text.push_str(MARKER_END);
    text.push('\n');
    for path in comments {
        let Ok(content) = fs::read_to_string(path) else {
            continue;
        };
        text.push_str(&format!("\n### {}\n", path.display()));
        for line in content.trim().lines() {
            text.push_str("# ");
            text.push_str(line);
            text.push('\n');
        }
    }
    text
}

/// What the user left between the markers (or the whole text, when the
/// markers are gone), without the blank lines around it.
fn between_markers(text: &str) -> &str {
    let start = text
        .find(MARKER_START)
        .map_or(0, |at| at + MARKER_START.len());
    let rest = &text[start..];
    let end = rest.find(MARKER_END).unwrap_or(rest.len());
    rest[..end].trim()
}

/// Runs the editor until the result verifies or the user gives up; then
/// saves and reloads.
fn edit_until_valid(
    cx: &LoadContext<'_>,
    edits: &mut [Edit],
    args: &Args,
) -> anyhow::Result<ExitCode> {
    loop {
        run_editor(edits)?;
        let mut results = Vec::new();
        for e in edits.iter() {
            let text = fs::read_to_string(&e.temp)
                .with_context(|| format!("cannot read {}", e.temp.display()))?;
            let content = if e.markers {
                between_markers(&text).to_owned()
            } else {
                text.trim().to_owned()
            };
            results.push((!content.is_empty()).then(|| format!("{content}\n")));
        }
        let (diagnostics, broken) = check(cx, edits, &results)?;
        for d in &diagnostics {
            eprintln!("{d}");
        }
        if broken.is_empty() {
            save(edits, &results)?;
            reload(&args.connection)?;
            return Ok(ExitCode::SUCCESS);
        }
        let names: Vec<&str> = broken.iter().map(|u| u.as_str()).collect();
        eprintln!("sundial: {} would not be valid.", names.join(", "));
        if !ask_yes("Edit again? [(y)es, (n)o] ")? {
            for e in edits.iter() {
                eprintln!("{}: not saved.", e.target.display());
                remove_created(e);
            }
            return Ok(ExitCode::FAILURE);
        }
    }
}

/// The editor systemctl picks: the first of `$SYSTEMD_EDITOR`, `$EDITOR`,
/// `$VISUAL` that is set, split at whitespace (empty: none), then the
/// well-known ones.
fn editor_candidates(var: impl Fn(&str) -> Option<String>) -> Vec<Vec<String>> {
    let mut candidates = Vec::new();
    let named = var("SYSTEMD_EDITOR")
        .or_else(|| var("EDITOR"))
        .or_else(|| var("VISUAL"));
    if let Some(named) = named {
        let words: Vec<String> = named.split_whitespace().map(str::to_owned).collect();
        if !words.is_empty() {
            candidates.push(words);
        }
    }
    for fallback in ["editor", "nano", "vim", "vi"] {
        candidates.push(vec![fallback.to_owned()]);
    }
    candidates
}

fn run_editor(edits: &[Edit]) -> anyhow::Result<()> {
    let files: Vec<&Path> = edits.iter().map(|e| e.temp.as_path()).collect();
    for argv in editor_candidates(|name| std::env::var(name).ok()) {
        let Some((program, rest)) = argv.split_first() else {
            continue;
        };
        match Command::new(program).args(rest).args(&files).status() {
            Ok(status) if status.success() => return Ok(()),
            // A failed editor (vim's :cq) is taken as "never mind".
            Ok(status) => bail!("{program} failed ({status}); nothing was saved."),
            // systemctl tries the next editor only when this one is not there.
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => bail!("Failed to execute {program}: {e}"),
        }
    }
    bail!("Cannot edit units, no editor available.")
}

/// Verifies the units as they would be with the results saved: the results
/// go into a directory searched before the others, where they hide the
/// files they replace. Returns the problems (with the targets' paths) and
/// the units that would be broken.
fn check(
    cx: &LoadContext<'_>,
    edits: &[Edit],
    results: &[Option<String>],
) -> anyhow::Result<(Vec<Diagnostic>, Vec<UnitName>)> {
    let overlay = temp_beside(&std::env::temp_dir().join("sundial-edit"));
    let mut written = Vec::new();
    let outcome = (|| {
        for (e, result) in edits.iter().zip(results) {
            let Some(content) = result else { continue };
            let first = cx.search_path.dirs.first().map(PathBuf::as_path);
            let relative = first
                .and_then(|d| e.target.strip_prefix(d).ok())
                .unwrap_or(Path::new(e.unit.as_str()));
            let path = overlay.join(relative);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(&path, content)?;
            written.push((path, e.target.clone()));
        }
        let mut dirs = vec![overlay.clone()];
        dirs.extend(cx.search_path.dirs.iter().cloned());
        let mut overlaid = cx.clone();
        overlaid.search_path = SearchPath::build(&dirs, None, Vec::new());
        let mut diagnostics = Vec::new();
        let mut broken = Vec::new();
        for e in edits {
            let report = verify(&overlaid, &[VerifyTarget::Unit(e.unit.as_str().to_owned())]);
            for mut d in report.diagnostics {
                if let Some((_, target)) = written.iter().find(|(p, _)| *p == d.path) {
                    d.path = target.clone();
                }
                if !diagnostics.contains(&d) {
                    diagnostics.push(d);
                }
            }
            if report.failed {
                broken.push(e.unit.clone());
            }
        }
        Ok::<_, io::Error>((diagnostics, broken))
    })();
    let _ = fs::remove_dir_all(&overlay);
    outcome.context("cannot check the edited units")
}

/// Saves each result in place of its target (an empty one cancels that
/// edit, as in systemctl).
fn save(edits: &[Edit], results: &[Option<String>]) -> anyhow::Result<()> {
    for (e, result) in edits.iter().zip(results) {
        match result {
            Some(content) => {
                fs::write(&e.temp, content)
                    .with_context(|| format!("cannot write {}", e.temp.display()))?;
                fs::rename(&e.temp, &e.target)
                    .with_context(|| format!("cannot save {}", e.target.display()))?;
            }
            None => {
                eprintln!(
                    "Editing \"{}\" canceled: temporary file is empty.",
                    e.target.display()
                );
                remove_created(e);
            }
        }
    }
    Ok(())
}

/// Removes the directories made for a target that was not saved.
fn remove_created(e: &Edit) {
    let _ = fs::remove_file(&e.temp);
    for dir in &e.created_dirs {
        let _ = fs::remove_dir(dir);
    }
}

/// Asks a yes/no question on the terminal; end of input is no.
fn ask_yes(question: &str) -> anyhow::Result<bool> {
    let mut err = io::stderr().lock();
    write!(err, "{question}")?;
    err.flush()?;
    let mut answer = String::new();
    io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// `daemon-reload` when a daemon listens where the flags point, as
/// systemctl edit reloads its manager; none running is no error.
fn reload(connection: &Connection) -> anyhow::Result<()> {
    let Ok(socket) = connection.socket_path(&SocketEnv::from_process()) else {
        return Ok(());
    };
    if std::os::unix::net::UnixStream::connect(&socket).is_err() {
        return Ok(());
    }
    match connection.call(&Request::DaemonReload)? {
        Response::Done { messages } => print_messages(&messages),
        Response::Error { message, .. } => eprintln!("sundial: daemon-reload: {message}"),
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_editor_is_chosen_as_systemctl_chooses_it() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let first = |pairs| editor_candidates(env(pairs)).remove(0);
        assert_eq!(
            first(&[("EDITOR", "vim"), ("SYSTEMD_EDITOR", "code --wait")]),
            ["code", "--wait"]
        );
        assert_eq!(
            first(&[("VISUAL", "emacs"), ("EDITOR", "nano -w")]),
            ["nano", "-w"]
        );
        assert_eq!(first(&[("VISUAL", "emacs")]), ["emacs"]);
        // Set but empty: the well-known editors.
        assert_eq!(
            first(&[("SYSTEMD_EDITOR", ""), ("EDITOR", "vim")]),
            ["editor"]
        );
        assert_eq!(
            editor_candidates(env(&[])),
            [["editor"], ["nano"], ["vim"], ["vi"]]
        );
    }

    #[test]
    fn drop_in_names() {
        assert_eq!(drop_in_name(None).unwrap(), "override.conf");
        assert_eq!(drop_in_name(Some("nice")).unwrap(), "nice.conf");
        assert_eq!(drop_in_name(Some("10-x.conf")).unwrap(), "10-x.conf");
        assert!(drop_in_name(Some("a/b")).is_err());
        assert!(drop_in_name(Some(".conf")).is_err());
    }

    #[test]
    fn the_text_between_the_markers_is_the_result() {
        let text = with_markers(
            Path::new("/u/x.service.d/override.conf"),
            "[Service]\nNice=5\n",
            &[],
        );
        assert_eq!(
            text,
            "### Editing /u/x.service.d/override.conf\n\
             ### Anything between here and the comment below will become the new contents of the file\n\
             \n\
             [Service]\n\
             Nice=5\n\
             \n\
             ### Lines below this comment will be discarded\n"
        );
        assert_eq!(between_markers(&text), "[Service]\nNice=5");
        let edited = text.replace("Nice=5", "Nice=7") + "\n### /u/x.service\n# [Service]\n";
        assert_eq!(between_markers(&edited), "[Service]\nNice=7");
        assert_eq!(
            between_markers("[Timer]\nOnCalendar=daily\n"),
            "[Timer]\nOnCalendar=daily"
        );
        assert_eq!(between_markers(&with_markers(Path::new("/x"), "", &[])), "");
    }
}
