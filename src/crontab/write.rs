//! Writing a translation into unit directories.
//!
//! Files that would not change are left alone (their times too), so a
//! second import of the same crontabs changes nothing. Timers are linked
//! into `timers.target.wants/` as `enable` links them. Units an earlier
//! import generated from the same sources that are no longer produced are
//! removed with their links. A file without the generated marker is never
//! overwritten nor removed.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};

use super::render::SOURCE_MARKER;
use super::{GeneratedUnit, Translation};

/// The directory of one user's units (a spool crontab in a system import).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserUnitDir {
    /// The directory.
    pub path: PathBuf,
    /// `(uid, gid)` to give what is created there, when not the caller's.
    pub owner: Option<(u32, u32)>,
}

/// Where units go: the scope's directory, and each user's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitDirs {
    /// Units without a user.
    pub main: PathBuf,
    /// Units of `GeneratedUnit::user`.
    pub users: BTreeMap<String, UserUnitDir>,
}

/// What one change is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Written (new or different).
    Write,
    /// Already there as it would be written.
    Unchanged,
    /// Removed: generated earlier from the same sources, not produced now.
    Remove,
}

/// One file or link of a write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedFile {
    /// The path.
    pub path: PathBuf,
    /// The text of a unit file, or `None` for a link.
    pub text: Option<String>,
    /// Where a link points (relative to its directory).
    pub link_target: Option<PathBuf>,
    /// What happens to it.
    pub change: Change,
    /// The owner to give it.
    pub owner: Option<(u32, u32)>,
}

/// What writing a translation does, file by file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Every file and link, in order: units, then links, then removals.
    pub files: Vec<PlannedFile>,
}

impl WriteReport {
    /// The paths with `change`.
    pub fn paths(&self, change: Change) -> impl Iterator<Item = &Path> {
        self.files
            .iter()
            .filter(move |f| f.change == change)
            .map(|f| f.path.as_path())
    }
}

/// Writes a translation whose units all belong in `dir` (no unit of another
/// user); see [`write_units_to`].
pub fn write_units(dir: &Path, t: &Translation) -> io::Result<WriteReport> {
    let dirs = UnitDirs {
        main: dir.to_path_buf(),
        users: BTreeMap::new(),
    };
    write_units_to(&dirs, t)
}

/// Writes the units into their directories, links the timers, removes what
/// an earlier import of the same sources produced and this one does not.
/// Refuses (before changing anything) to overwrite a file that was not
/// generated.
pub fn write_units_to(dirs: &UnitDirs, t: &Translation) -> io::Result<WriteReport> {
    let report = plan(dirs, t)?;
    apply(&report)?;
    Ok(report)
}

/// A unit directory and the owner of what is created in it.
type DirKey = (PathBuf, Option<(u32, u32)>);

/// What [`write_units_to`] would do, without doing it (`--dry-run`).
pub fn plan(dirs: &UnitDirs, t: &Translation) -> io::Result<WriteReport> {
    let mut by_dir: BTreeMap<DirKey, Vec<&GeneratedUnit>> = BTreeMap::new();
    by_dir.entry((dirs.main.clone(), None)).or_default();
    for user in dirs.users.values() {
        by_dir.entry((user.path.clone(), user.owner)).or_default();
    }
    for unit in &t.units {
        let key = match &unit.user {
            None => (dirs.main.clone(), None),
            Some(user) => {
                let dir = dirs.users.get(user).ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("no unit directory for the units of user '{user}'"),
                    )
                })?;
                (dir.path.clone(), dir.owner)
            }
        };
        by_dir.entry(key).or_default().push(unit);
    }
    let sources: BTreeSet<&Path> = t.sources.iter().map(PathBuf::as_path).collect();
    let mut report = WriteReport::default();
    for ((dir, owner), units) in by_dir {
        plan_dir(&dir, owner, &units, &sources, &mut report)?;
    }
    Ok(report)
}

/// The sources named in a generated file's markers; `None` when the file
/// has no marker (it was not generated).
fn generated_from(text: &str) -> Option<Vec<PathBuf>> {
    let sources: Vec<PathBuf> = text
        .lines()
        .take_while(|l| l.starts_with('#'))
        .filter_map(|l| l.strip_prefix(SOURCE_MARKER))
        .map(PathBuf::from)
        .collect();
    (!sources.is_empty()).then_some(sources)
}

const WANTS: &str = "timers.target.wants";

fn plan_dir(
    dir: &Path,
    owner: Option<(u32, u32)>,
    units: &[&GeneratedUnit],
    sources: &BTreeSet<&Path>,
    report: &mut WriteReport,
) -> io::Result<()> {
    let produced: BTreeSet<&str> = units.iter().map(|u| u.name.as_str()).collect();
    let mut links = Vec::new();
    for unit in units {
        let path = dir.join(&unit.name);
        let change = match fs::read_to_string(&path) {
            Ok(old) if old == unit.text => Change::Unchanged,
            Ok(old) if generated_from(&old).is_some() => Change::Write,
            Ok(_) => return Err(not_ours(&path)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Change::Write,
            Err(e) if e.kind() == io::ErrorKind::InvalidData => return Err(not_ours(&path)),
            Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
        };
        report.files.push(PlannedFile {
            path,
            text: Some(unit.text.clone()),
            link_target: None,
            change,
            owner,
        });
        if unit.enable {
            let link = dir.join(WANTS).join(&unit.name);
            let target = Path::new("..").join(&unit.name);
            let change = match fs::symlink_metadata(&link) {
                Ok(m) if m.file_type().is_symlink() => {
                    if fs::read_link(&link).is_ok_and(|t| t == target) {
                        Change::Unchanged
                    } else {
                        Change::Write
                    }
                }
                Ok(_) => return Err(not_ours(&link)),
                Err(_) => Change::Write,
            };
            links.push(PlannedFile {
                path: link,
                text: None,
                link_target: Some(target),
                change,
                owner,
            });
        }
    }
    report.files.append(&mut links);
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", dir.display()))),
    };
    let mut stale = Vec::new();
    for entry in entries {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if produced.contains(name.as_str())
            || !(name.ends_with(".timer") || name.ends_with(".service"))
            || !entry.file_type().is_ok_and(|t| t.is_file())
        {
            continue;
        }
        let Ok(text) = fs::read_to_string(entry.path()) else {
            continue;
        };
        let Some(from) = generated_from(&text) else {
            continue;
        };
        if from.iter().all(|p| sources.contains(p.as_path())) {
            stale.push(name);
        }
    }
    stale.sort();
    for name in stale {
        let link = dir.join(WANTS).join(&name);
        if fs::symlink_metadata(&link).is_ok_and(|m| m.file_type().is_symlink()) {
            report.files.push(PlannedFile {
                path: link,
                text: None,
                link_target: None,
                change: Change::Remove,
                owner,
            });
        }
        report.files.push(PlannedFile {
            path: dir.join(&name),
            text: None,
            link_target: None,
            change: Change::Remove,
            owner,
        });
    }
    Ok(())
}

fn not_ours(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!(
            "{} exists and was not generated by `sundial crontab`: refusing to replace it \
             (rename the job, or move the file away)",
            path.display()
        ),
    )
}

/// Creates `dir` and its missing parents, giving the new ones to `owner`.
fn create_dir(dir: &Path, owner: Option<(u32, u32)>) -> io::Result<()> {
    let mut missing = Vec::new();
    let mut at = Some(dir);
    while let Some(d) = at {
        if d.exists() {
            break;
        }
        missing.push(d.to_path_buf());
        at = d.parent();
    }
    fs::create_dir_all(dir)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?;
    for d in missing {
        fs::set_permissions(&d, fs::Permissions::from_mode(0o755))
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", d.display())))?;
        chown(&d, owner)?;
    }
    Ok(())
}

fn chown(path: &Path, owner: Option<(u32, u32)>) -> io::Result<()> {
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::lchown(path, Some(uid), Some(gid))
            .map_err(|e| io::Error::new(e.kind(), format!("{}: chown: {e}", path.display())))?;
    }
    Ok(())
}

/// Carries out a plan. Files for another user's directory are written by a
/// child process that has taken that user's identity: a user owns the
/// directories in their home and could have put symlinks there, so root
/// writing (or chowning) through them could reach any file of the system.
/// As the user, the writes can do only what the user could do.
fn apply(report: &WriteReport) -> io::Result<()> {
    let is_root = nix::unistd::geteuid().is_root();
    let foreign = |f: &&PlannedFile| {
        is_root && f.owner.is_some_and(|(uid, _)| uid != 0) && f.change != Change::Unchanged
    };
    let own: Vec<&PlannedFile> = report.files.iter().filter(|f| !foreign(f)).collect();
    apply_files(&own, true)?;
    let mut owners: Vec<(u32, u32)> = report
        .files
        .iter()
        .filter(foreign)
        .filter_map(|f| f.owner)
        .collect();
    owners.sort_unstable();
    owners.dedup();
    for owner in owners {
        let files: Vec<&PlannedFile> = report
            .files
            .iter()
            .filter(|f| foreign(f) && f.owner == Some(owner))
            .collect();
        as_user(owner, || apply_files(&files, false))?;
    }
    Ok(())
}

/// Runs `work` in a child process with the identity `(uid, gid)` and no
/// supplementary groups, and returns its outcome.
fn as_user(owner: (u32, u32), work: impl FnOnce() -> io::Result<()>) -> io::Result<()> {
    use nix::sys::wait::{waitpid, WaitStatus};
    use nix::unistd::{fork, setgid, setgroups, setuid, ForkResult, Gid, Uid};
    use std::io::{Read, Write};
    use std::os::unix::net::UnixStream;

    // The child tells why it failed through a socket; its exit status alone
    // would lose the path and the error.
    let (mut rx, mut tx) = UnixStream::pair()?;
    // SAFETY: the CLI has no other threads at this point, so the child may
    // run ordinary Rust code (allocation, file I/O) until it exits.
    match unsafe { fork() }.map_err(io::Error::from)? {
        ForkResult::Child => {
            drop(rx);
            let result = setgroups(&[])
                .and_then(|()| setgid(Gid::from_raw(owner.1)))
                .and_then(|()| setuid(Uid::from_raw(owner.0)))
                .map_err(|e| io::Error::other(format!("cannot become uid {}: {e}", owner.0)))
                .and_then(|()| work());
            let code = match result {
                Ok(()) => 0,
                Err(e) => {
                    let _ = tx.write_all(e.to_string().as_bytes());
                    1
                }
            };
            drop(tx);
            // SAFETY: _exit ends the child without running the parent's
            // exit handlers or flushing its copied buffers twice.
            unsafe { libc::_exit(code) }
        }
        ForkResult::Parent { child } => {
            drop(tx);
            let mut why = String::new();
            let _ = rx.read_to_string(&mut why);
            match waitpid(child, None).map_err(io::Error::from)? {
                WaitStatus::Exited(_, 0) => Ok(()),
                _ if !why.is_empty() => Err(io::Error::other(why)),
                status => Err(io::Error::other(format!(
                    "writing as uid {} failed: {status:?}",
                    owner.0
                ))),
            }
        }
    }
}

fn apply_files(files: &[&PlannedFile], give_owner: bool) -> io::Result<()> {
    let context = |path: &Path| {
        let path = path.display().to_string();
        move |e: io::Error| io::Error::new(e.kind(), format!("{path}: {e}"))
    };
    for file in files {
        if file.change == Change::Unchanged {
            continue;
        }
        let owner = file.owner.filter(|_| give_owner);
        let path = &file.path;
        let dir = path.parent().unwrap_or(Path::new("."));
        match (&file.text, &file.link_target, file.change) {
            (Some(text), _, Change::Write) => {
                create_dir(dir, owner)?;
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("unit");
                let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
                // A new file, never one that is there already (nor a
                // symlink's target).
                let _ = fs::remove_file(&tmp);
                let mut out = fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&tmp)
                    .map_err(context(&tmp))?;
                io::Write::write_all(&mut out, text.as_bytes()).map_err(context(&tmp))?;
                drop(out);
                // Whatever the umask: a root manager refuses unit files its
                // group could write.
                fs::set_permissions(&tmp, fs::Permissions::from_mode(0o644))
                    .map_err(context(&tmp))?;
                chown(&tmp, owner)?;
                fs::rename(&tmp, path).map_err(context(path))?;
            }
            (None, Some(target), Change::Write) => {
                create_dir(dir, owner)?;
                match fs::remove_file(path) {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(context(path)(e)),
                    _ => {}
                }
                symlink(target, path).map_err(context(path))?;
                chown(path, owner)?;
            }
            (_, _, Change::Remove) => match fs::remove_file(path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(context(path)(e)),
                _ => {}
            },
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(name: &str, text: &str, enable: bool) -> GeneratedUnit {
        GeneratedUnit {
            name: name.into(),
            text: format!("{SOURCE_MARKER}/etc/crontab\n{text}"),
            enable,
            user: None,
            origin: None,
        }
    }

    fn translation(units: Vec<GeneratedUnit>) -> Translation {
        Translation {
            units,
            diagnostics: Vec::new(),
            sources: vec![PathBuf::from("/etc/crontab")],
        }
    }

    #[test]
    fn writes_links_keeps_and_removes() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let t = translation(vec![
            unit("a.timer", "[Timer]\n", true),
            unit("a.service", "x\n", false),
        ]);
        let r = write_units(d, &t).unwrap();
        assert_eq!(r.paths(Change::Write).count(), 3);
        assert_eq!(
            fs::read_link(d.join(WANTS).join("a.timer")).unwrap(),
            Path::new("../a.timer")
        );
        let mtime = fs::metadata(d.join("a.timer")).unwrap().modified().unwrap();
        // Again: nothing changes.
        let r = write_units(d, &t).unwrap();
        assert_eq!(r.paths(Change::Write).count(), 0);
        assert_eq!(r.paths(Change::Unchanged).count(), 3);
        assert_eq!(
            fs::metadata(d.join("a.timer")).unwrap().modified().unwrap(),
            mtime
        );
        // A job gone: its units and link go; a file of someone else stays.
        fs::write(d.join("mine.service"), "[Service]\n").unwrap();
        let r = write_units(d, &translation(vec![unit("b.timer", "[Timer]\n", true)])).unwrap();
        let mut removed: Vec<&Path> = r.paths(Change::Remove).collect();
        removed.sort();
        let wants = d.join(WANTS).join("a.timer");
        let mut expected = vec![d.join("a.service"), d.join("a.timer"), wants];
        expected.sort();
        assert_eq!(removed, expected);
        assert!(!d.join("a.timer").exists() && d.join("mine.service").exists());
        // Units of other sources stay.
        let mut other = translation(vec![]);
        other.sources = vec![PathBuf::from("/etc/cron.d/x")];
        write_units(d, &other).unwrap();
        assert!(d.join("b.timer").exists());
    }

    #[test]
    fn refuses_to_replace_a_file_it_did_not_generate() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::write(d.join("a.service"), "[Service]\nExecStart=/bin/true\n").unwrap();
        let t = translation(vec![
            unit("a.timer", "t\n", true),
            unit("a.service", "s\n", false),
        ]);
        let err = write_units(d, &t).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert!(err.to_string().contains("a.service exists"), "{err}");
        // Nothing was written.
        assert!(!d.join("a.timer").exists());
    }

    #[test]
    fn units_of_users_need_their_directory() {
        let dir = tempfile::tempdir().unwrap();
        let mut u = unit("a.timer", "t\n", true);
        u.user = Some("alice".into());
        let err = write_units(dir.path(), &translation(vec![u.clone()])).unwrap_err();
        assert!(err.to_string().contains("alice"), "{err}");
        let mut dirs = UnitDirs {
            main: dir.path().join("main"),
            users: BTreeMap::new(),
        };
        dirs.users.insert(
            "alice".into(),
            UserUnitDir {
                path: dir.path().join("alice"),
                owner: None,
            },
        );
        write_units_to(&dirs, &translation(vec![u])).unwrap();
        assert!(dir.path().join("alice/a.timer").is_file());
    }
}
