//! The edge of the crontab translation that reads the host: the crontab
//! files where cron keeps them, `/etc/passwd`, sendmail, `run-parts`, and
//! the path of sundial's own crontab.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sundial_calendar::zone::SystemZones;

use super::dirs::{DirPeriod, RunParts};
use super::{CrontabKind, CrontabSource, Passwd, TranslateOptions, UserDb};
use crate::unit::{host, Scope};

/// The crontab sundial keeps for a scope (`sundial crontab -e`), which the
/// scope's daemon runs: `/etc/sundial/crontab` for the system,
/// `$XDG_CONFIG_HOME/sundial/crontab` (or `~/.config/sundial/crontab`) for
/// a user. `None` for a user without either variable.
///
/// ```
/// use std::path::{Path, PathBuf};
/// use sundial::crontab::own_crontab_path;
/// use sundial::unit::Scope;
///
/// assert_eq!(
///     own_crontab_path(Scope::User, None, Some(Path::new("/home/ann"))),
///     Some(PathBuf::from("/home/ann/.config/sundial/crontab"))
/// );
/// assert_eq!(
///     own_crontab_path(Scope::System, None, None),
///     Some(PathBuf::from("/etc/sundial/crontab"))
/// );
/// ```
pub fn own_crontab_path(
    scope: Scope,
    config_home: Option<&Path>,
    home: Option<&Path>,
) -> Option<PathBuf> {
    match scope {
        Scope::System => Some(PathBuf::from("/etc/sundial/crontab")),
        Scope::User => config_home
            .map(Path::to_path_buf)
            .or_else(|| home.map(|h| h.join(".config")))
            .map(|c| c.join("sundial/crontab")),
    }
}

/// Whether cron skips a file of `/etc/cron.d` or of the spool by its name:
/// hidden files, editor backups and package managers' leftovers (cronie's
/// `not_a_crontab`, Debian's dpkg and temporary files).
pub fn skipped_name(name: &str) -> bool {
    name.is_empty()
        || name.starts_with(['.', '#'])
        || name.ends_with('~')
        || name.starts_with("tmp.")
        || name.contains(".dpkg-")
        || name.contains(".ucf-")
        || [".rpmsave", ".rpmorig", ".rpmnew", ".swp"]
            .iter()
            .any(|suffix| name.ends_with(suffix))
}

/// `path` inside `root` (`/` for the host itself).
fn under(root: &Path, path: &str) -> PathBuf {
    root.join(path.trim_start_matches('/'))
}

/// The regular files of a directory (symlinks to files too), by name,
/// sorted; none when it does not exist.
fn files_of(dir: &Path) -> io::Result<Vec<String>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", dir.display()))),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry?;
        if !fs::metadata(entry.path()).is_ok_and(|m| m.is_file()) {
            continue;
        }
        if let Some(name) = entry.file_name().to_str() {
            names.push(name.to_owned());
        }
    }
    names.sort();
    Ok(names)
}

fn read(root: &Path, path: &str) -> io::Result<String> {
    fs::read_to_string(under(root, path))
        .map_err(|e| io::Error::new(e.kind(), format!("{path}: {e}")))
}

/// Everything cron runs on a system whose files are under `root`:
/// `/etc/crontab`, `/etc/cron.d/*`, the spool's user crontabs, the
/// `/etc/cron.*` directories and `/etc/anacrontab`. Paths in the sources
/// are the system's (`/etc/crontab`), not `root`'s.
pub fn system_sources(root: &Path) -> io::Result<Vec<CrontabSource>> {
    let mut sources = Vec::new();
    let source = |path: String, text: String, kind, owner| CrontabSource {
        path: PathBuf::from(path),
        text,
        kind,
        owner,
    };
    if under(root, "/etc/crontab").is_file() {
        sources.push(source(
            "/etc/crontab".into(),
            read(root, "/etc/crontab")?,
            CrontabKind::System,
            None,
        ));
    }
    for name in files_of(&under(root, "/etc/cron.d"))? {
        if skipped_name(&name) {
            continue;
        }
        let path = format!("/etc/cron.d/{name}");
        sources.push(source(
            path.clone(),
            read(root, &path)?,
            CrontabKind::System,
            None,
        ));
    }
    // Debian keeps user crontabs in crontabs/, cronie in the spool itself.
    let spool = if under(root, "/var/spool/cron/crontabs").is_dir() {
        "/var/spool/cron/crontabs"
    } else {
        "/var/spool/cron"
    };
    for name in files_of(&under(root, spool))? {
        if skipped_name(&name) {
            continue;
        }
        let path = format!("{spool}/{name}");
        sources.push(source(
            path.clone(),
            read(root, &path)?,
            CrontabKind::User,
            Some(name),
        ));
    }
    for dir in DirPeriod::ALL {
        let path = under(root, &dir.path());
        if path.is_dir() {
            let names = files_of(&path)?.join("\n");
            sources.push(source(dir.path(), names, CrontabKind::Directory, None));
        }
    }
    if under(root, "/etc/anacrontab").is_file() {
        sources.push(source(
            "/etc/anacrontab".into(),
            read(root, "/etc/anacrontab")?,
            CrontabKind::Anacron,
            None,
        ));
    }
    Ok(sources)
}

/// What a file is from where it is: `/etc/crontab` and `/etc/cron.d/*`
/// have a user field, a file called `anacrontab` is anacron's, a file in a
/// spool belongs to the user it is named after; anything else is a user
/// crontab of the caller.
pub fn kind_of_file(path: &Path) -> (CrontabKind, Option<String>) {
    let parent = path.parent().and_then(Path::to_str).unwrap_or("");
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if path == Path::new("/etc/crontab") || parent == "/etc/cron.d" {
        (CrontabKind::System, None)
    } else if name == "anacrontab" {
        (CrontabKind::Anacron, None)
    } else if parent == "/var/spool/cron/crontabs" || parent == "/var/spool/cron" {
        (CrontabKind::User, Some(name.to_owned()))
    } else {
        (CrontabKind::User, None)
    }
}

/// The users of the system under `root` (the host's when `root` has no
/// `/etc/passwd`).
pub fn user_db(root: &Path) -> UserDb {
    let text = fs::read_to_string(under(root, "/etc/passwd"))
        .or_else(|_| fs::read_to_string("/etc/passwd"))
        .unwrap_or_default();
    UserDb::parse(&text)
}

/// The user this process runs as: its passwd entry, or what `$USER` and
/// `$HOME` say where there is none (a container's arbitrary uid).
pub fn caller(users: &UserDb) -> Option<Passwd> {
    let uid = host::current_uid()?;
    if let Some(user) = users.by_uid(uid) {
        return Some(user.clone());
    }
    let name = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|n| !n.is_empty())?;
    Some(Passwd {
        name,
        uid,
        gid: uid,
        home: std::env::var("HOME").unwrap_or_default(),
    })
}

/// The sendmail of the system under `root`: `$SENDMAIL`, else
/// `/usr/sbin/sendmail` or `/usr/lib/sendmail` where they exist.
pub fn find_sendmail(root: &Path) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SENDMAIL").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(path));
    }
    ["/usr/sbin/sendmail", "/usr/lib/sendmail"]
        .iter()
        .find(|p| under(root, p).exists())
        .map(PathBuf::from)
}

/// Which `run-parts` the system under `root` has: Fedora's is a shell
/// script without options, Debian's a program with `--report`.
pub fn run_parts(root: &Path) -> RunParts {
    for dir in ["/usr/bin", "/bin", "/usr/sbin", "/sbin"] {
        let path = under(root, &format!("{dir}/run-parts"));
        if let Ok(bytes) = fs::read(&path) {
            return if bytes.starts_with(b"#!") {
                RunParts::Script
            } else {
                RunParts::Debian
            };
        }
    }
    RunParts::Debian
}

impl TranslateOptions {
    /// Options from the host under `root` for `scope`: its users and the
    /// caller, its sendmail and run-parts, the system's time zones, this
    /// binary for the mail units. Six-field lines are not accepted (cron
    /// does not accept them).
    pub fn from_host(scope: Scope, root: &Path) -> TranslateOptions {
        let users = user_db(root);
        let mut options = TranslateOptions::new(scope);
        options.caller = caller(&users);
        options.users = users;
        options.sendmail = find_sendmail(root);
        options.run_parts = run_parts(root);
        options.zones = Arc::new(SystemZones::from_tzdir_env(
            std::env::var("TZDIR").ok().as_deref(),
        ));
        if let Ok(exe) = std::env::current_exe() {
            options.sundial_exe = exe;
        }
        options
    }

    /// Options for a daemon of `scope` running crontabs as they are: the
    /// host's, with six-field lines accepted, as container crons do.
    pub fn for_daemon(scope: Scope) -> TranslateOptions {
        let mut options = TranslateOptions::from_host(scope, Path::new("/"));
        options.seconds = true;
        options
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_crontab_paths() {
        assert_eq!(
            own_crontab_path(Scope::User, Some(Path::new("/cfg")), Some(Path::new("/h"))),
            Some(PathBuf::from("/cfg/sundial/crontab"))
        );
        assert_eq!(own_crontab_path(Scope::User, None, None), None);
    }

    #[test]
    fn backup_names_are_skipped() {
        for name in [
            ".hidden",
            "job~",
            "job.dpkg-old",
            "job.dpkg-dist",
            "job.rpmsave",
            "job.rpmnew",
            "#job#",
            "tmp.X1b2",
        ] {
            assert!(skipped_name(name), "{name}");
        }
        for name in ["backup", "php8.2", "e2scrub_all", "0hourly"] {
            assert!(!skipped_name(name), "{name}");
        }
    }

    #[test]
    fn kinds_from_places() {
        assert_eq!(
            kind_of_file(Path::new("/etc/crontab")).0,
            CrontabKind::System
        );
        assert_eq!(
            kind_of_file(Path::new("/etc/cron.d/x")).0,
            CrontabKind::System
        );
        assert_eq!(
            kind_of_file(Path::new("/etc/anacrontab")).0,
            CrontabKind::Anacron
        );
        assert_eq!(
            kind_of_file(Path::new("/var/spool/cron/crontabs/alice")),
            (CrontabKind::User, Some("alice".to_owned()))
        );
        assert_eq!(
            kind_of_file(Path::new("/home/a/my.cron")),
            (CrontabKind::User, None)
        );
    }
}
