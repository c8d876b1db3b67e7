//! `.path` units in the daemon: the inotify watches, the looks at the
//! filesystem, and the glue between [`PathTrigger`] and the supervisor.
//!
//! Each path spec has its own inotify descriptor, as in systemd (so the
//! kernel's `fs.inotify.max_user_instances`, 128 by default, bounds the
//! paths one user's daemon watches): the path
//! itself is watched with the spec's flags once it exists, the deepest
//! existing directory on the way to it with "something appeared" flags
//! until then, and the directories above that only for being moved away.
//! After every event the watches are laid again along the path (new
//! watches first, stale ones removed after, so no event falls between),
//! and the conditions are looked at. The descriptors belong to the event
//! loop's state; the loop waits on all of them at once.

use std::collections::BTreeMap;
use std::ffi::CString;
use std::future::poll_fn;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::task::Poll;

use nix::errno::Errno;
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify, WatchDescriptor};
use tokio::io::unix::AsyncFd;

use super::localtime::InotifyFd;
use super::state::{report, State};
use crate::activation::Activation;
use crate::path_trigger::{Facts, PathAction, PathEvent, PathState, PathTrigger};
use crate::scheduler::clock::ClockId;
use crate::unit::{PathCondition, PathSpec, PathUnit, Unit};

/// systemd (path.c, flags_table): what the path itself is watched for.
fn spec_flags(condition: PathCondition) -> AddWatchFlags {
    use AddWatchFlags as F;
    let base = F::IN_DELETE_SELF | F::IN_MOVE_SELF | F::IN_ATTRIB;
    let changed =
        base | F::IN_CLOSE_WRITE | F::IN_CREATE | F::IN_DELETE | F::IN_MOVED_FROM | F::IN_MOVED_TO;
    match condition {
        PathCondition::Exists | PathCondition::ExistsGlob => base,
        PathCondition::Changed => changed,
        PathCondition::Modified => changed | F::IN_MODIFY,
        PathCondition::DirectoryNotEmpty => base | F::IN_CREATE | F::IN_MOVED_TO,
    }
}

/// systemd: what the deepest existing directory on the way is watched for.
fn parent_flags() -> AddWatchFlags {
    use AddWatchFlags as F;
    F::IN_MOVE_SELF | F::IN_DELETE_SELF | F::IN_ATTRIB | F::IN_CREATE | F::IN_MOVED_TO
}

/// One spec's inotify descriptor and its watches.
#[derive(Debug)]
struct SpecWatch {
    fd: AsyncFd<InotifyFd>,
    /// The watch on the path itself, while it exists.
    primary: Option<WatchDescriptor>,
    /// Every watch laid.
    wds: Vec<WatchDescriptor>,
}

impl SpecWatch {
    fn new(spec: &PathSpec) -> io::Result<SpecWatch> {
        let inotify =
            Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC).map_err(|e| {
                if e == Errno::EMFILE {
                    io::Error::other(
                        "too many inotify instances for this user (one per watched path; \
                     see /proc/sys/fs/inotify/max_user_instances)",
                    )
                } else {
                    e.into()
                }
            })?;
        // SAFETY: the Inotify owns its descriptor (an OwnedFd it never
        // replaces) and closes it only when dropped, with the AsyncFd.
        let fd = unsafe { AsyncFd::register(InotifyFd(inotify)) }.map_err(|e| e.into_parts().1)?;
        let mut watch = SpecWatch {
            fd,
            primary: None,
            wds: Vec::new(),
        };
        watch.lay(spec)?;
        Ok(watch)
    }

    /// Lays the watches along the path as it is now (systemd's
    /// `path_spec_watch`, without closing the descriptor in between).
    fn lay(&mut self, spec: &PathSpec) -> io::Result<()> {
        let inotify = &self.fd.get_ref().0;
        let prefixes = prefixes(&spec.path);
        let mut laid = Vec::with_capacity(prefixes.len());
        let mut primary = None;
        for (i, prefix) in prefixes.iter().enumerate() {
            let full = i + 1 == prefixes.len();
            let flags = if full {
                spec_flags(spec.condition)
            } else {
                parent_flags()
            };
            match inotify.add_watch(prefix.as_path(), flags) {
                Ok(wd) => laid.push(wd),
                // Not there (yet), or not ours to look into: the watch
                // ends at the deepest directory that is.
                Err(Errno::ENOENT | Errno::EACCES | Errno::ENOTDIR | Errno::ELOOP) => break,
                Err(e) => return Err(e.into()),
            }
            // The one above only matters if it moves away (systemd).
            if i > 0 {
                let _ = inotify.add_watch(prefixes[i - 1].as_path(), AddWatchFlags::IN_MOVE_SELF);
            }
            if full {
                primary = laid.last().copied();
            }
        }
        for old in &self.wds {
            if !laid.contains(old) {
                // Already gone with its inode, or removed now.
                let _ = inotify.rm_watch(*old);
            }
        }
        self.wds = laid;
        self.primary = primary;
        Ok(())
    }

    /// Reads what is queued; `None` when nothing is (or only the removal
    /// of watches), else whether an event concerned the path itself (or
    /// events were lost).
    fn drain(&self) -> io::Result<Option<bool>> {
        let mut seen = None;
        loop {
            match self.fd.get_ref().0.read_events() {
                Ok(events) => {
                    for e in events {
                        if e.mask == AddWatchFlags::IN_IGNORED {
                            continue;
                        }
                        let own = e.mask.contains(AddWatchFlags::IN_Q_OVERFLOW)
                            || Some(e.wd) == self.primary;
                        seen = Some(seen.unwrap_or(false) || own);
                    }
                }
                Err(Errno::EAGAIN) => return Ok(seen),
                Err(Errno::EINTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
}

/// `/`, `/a`, `/a/b` for `/a/b`.
fn prefixes(path: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = path.ancestors().map(Path::to_path_buf).collect();
    out.reverse();
    out
}

/// One path unit the daemon knows.
#[derive(Debug)]
struct Entry {
    unit: Arc<PathUnit>,
    trigger: PathTrigger,
    /// One per spec while the unit is active.
    watches: Vec<Option<SpecWatch>>,
}

/// What woke the loop: an event for spec `spec` of `unit`.
#[derive(Debug)]
pub struct PathWake {
    unit: String,
    spec: usize,
    /// The event was on the path itself (or events were lost).
    own: bool,
    error: Option<io::Error>,
}

/// The path units and their watches.
#[derive(Debug, Default)]
pub struct PathUnits {
    entries: BTreeMap<String, Entry>,
}

impl PathUnits {
    /// Waits for events on the watches of the active path units; every
    /// watch with events queued by then is read, so a busy path cannot
    /// keep the others waiting.
    pub async fn next_wakes(&mut self) -> Vec<PathWake> {
        let entries = &self.entries;
        poll_fn(|cx| {
            let mut wakes = Vec::new();
            for (name, entry) in entries {
                for (spec, watch) in entry.watches.iter().enumerate() {
                    let Some(watch) = watch else { continue };
                    let wake = |own, error| PathWake {
                        unit: name.clone(),
                        spec,
                        own,
                        error,
                    };
                    // Read until the descriptor is drained (which registers
                    // the waker), a few rounds at most under a stream of
                    // events: its readiness then stays set for the next turn.
                    for _ in 0..4 {
                        match watch.fd.poll_read_ready(cx) {
                            Poll::Pending => break,
                            Poll::Ready(Err(e)) => {
                                wakes.push(wake(false, Some(e)));
                                break;
                            }
                            Poll::Ready(Ok(mut guard)) => {
                                let drained = watch.drain();
                                guard.clear_ready();
                                match drained {
                                    Ok(None) => {}
                                    Ok(Some(own)) => wakes.push(wake(own, None)),
                                    Err(e) => {
                                        wakes.push(wake(false, Some(e)));
                                        break;
                                    }
                                }
                            }
                        }
                    }
                }
            }
            if wakes.is_empty() {
                Poll::Pending
            } else {
                Poll::Ready(wakes)
            }
        })
        .await
    }

    /// The state of `name`, if it is a path unit the daemon knows.
    pub fn state(&self, name: &str) -> Option<PathState> {
        self.entries.get(name).map(|e| e.trigger.state())
    }

    /// The path units known, by name.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// The path units that start `unit`.
    pub fn triggered_by(&self, unit: &str) -> Vec<String> {
        self.entries
            .iter()
            .filter(|(_, e)| e.unit.triggers.as_str() == unit)
            .map(|(n, _)| n.clone())
            .collect()
    }
}

/// What the filesystem shows for each spec (see [`Facts::observed`]).
fn observe(specs: &[PathSpec]) -> Vec<bool> {
    specs
        .iter()
        .map(|s| match s.condition {
            PathCondition::Exists | PathCondition::Changed | PathCondition::Modified => {
                s.path.exists()
            }
            PathCondition::ExistsGlob => glob_exists(&s.path),
            // systemd: anything but "missing" or "empty" counts as not
            // empty; hidden and backup files do not count (a writer's
            // `.upload` is no work yet).
            PathCondition::DirectoryNotEmpty => match std::fs::read_dir(&s.path) {
                Ok(entries) => entries
                    .filter_map(Result::ok)
                    .any(|e| !hidden_or_backup(&e.file_name().to_string_lossy())),
                Err(e) => !matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ),
            },
        })
        .collect()
}

/// systemd's `hidden_or_backup_file`: names a directory listing skips.
fn hidden_or_backup(name: &str) -> bool {
    if name.starts_with('.')
        || name.ends_with('~')
        || matches!(name, "lost+found" | "aquota.user" | "aquota.group")
    {
        return true;
    }
    let Some((_, suffix)) = name.rsplit_once('.') else {
        return false;
    };
    matches!(
        suffix,
        "rpmnew"
            | "rpmsave"
            | "rpmorig"
            | "dpkg-old"
            | "dpkg-new"
            | "dpkg-tmp"
            | "dpkg-dist"
            | "dpkg-bak"
            | "dpkg-backup"
            | "dpkg-remove"
            | "ucf-new"
            | "ucf-old"
            | "ucf-dist"
            | "swp"
            | "bak"
            | "old"
            | "new"
    )
}

/// Whether a glob matches a path (the C library's `glob`, as systemd).
fn glob_exists(pattern: &Path) -> bool {
    let Ok(pattern) = CString::new(pattern.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: glob_t is plain data that glob() fills; globfree() releases
    // what glob() allocated, once, whatever glob() returned.
    unsafe {
        let mut found: libc::glob_t = std::mem::zeroed();
        let r = libc::glob(pattern.as_ptr(), libc::GLOB_NOSORT, None, &mut found);
        let any = r == 0 && found.gl_pathc > 0;
        libc::globfree(&mut found);
        any
    }
}

/// Whether the unit `name` is active, activating or deactivating.
fn unit_active(state: &State, name: &str) -> bool {
    !state.active_state(name).0.is_inactive_or_failed()
}

/// Feeds `event` to the path unit `name` with the facts as they are now,
/// and carries out what it returns.
fn feed(state: &mut State, name: &str, event: PathEvent) {
    let Some(entry) = state.path_units.entries.get(name) else {
        return;
    };
    let triggers = entry.unit.triggers.as_str().to_owned();
    let observed = observe(entry.trigger.specs());
    let facts = Facts {
        observed: &observed,
        unit_active: unit_active(state, &triggers),
        now_usec: state.now().usec(ClockId::Monotonic),
    };
    let now = state.now().realtime;
    let Some(entry) = state.path_units.entries.get_mut(name) else {
        return;
    };
    let actions = entry.trigger.handle(event, &facts);
    if !entry.trigger.state().is_active() {
        entry.watches.clear();
    }
    for action in actions {
        match action {
            // A daemon that stops starts nothing more.
            PathAction::StartUnit { .. } if state.shutting_down => {}
            PathAction::StartUnit { path } => {
                let by = Activation::Path {
                    unit: name.to_owned(),
                    path: Some(path),
                };
                if let Err(e) = state.supervisor.start_with(&triggers, by) {
                    report(format!("{name}: failed to queue {triggers}: {e}"));
                    feed(state, name, PathEvent::StartFailed);
                    return;
                }
            }
            PathAction::StateChanged { from, to } => {
                if from.is_active() != to.is_active() {
                    state.runs.touch(name, now);
                }
                if state.debug {
                    report(format!("{name}: {from} -> {to}"));
                }
            }
            PathAction::Warn(message) => report(format!("{name}: {message}")),
        }
    }
}

/// `start NAME.path`: creates the directories if asked, lays the watches,
/// then looks (systemd watches first, so nothing falls between).
pub fn start(state: &mut State, name: &str) -> Result<(), String> {
    let unit = match state.units.get(name) {
        Some(Unit::Path(p)) => Arc::clone(p),
        _ => return Err(format!("Unit {name} not loaded.")),
    };
    let entry = state
        .path_units
        .entries
        .entry(name.to_owned())
        .or_insert_with(|| Entry {
            trigger: PathTrigger::new(&unit.path),
            unit: Arc::clone(&unit),
            watches: Vec::new(),
        });
    if entry.trigger.state().is_active() {
        return Ok(());
    }
    if entry.unit != unit {
        entry.trigger = PathTrigger::new(&unit.path);
        entry.unit = Arc::clone(&unit);
    }
    if unit.path.make_directory {
        make_directories(name, &unit);
    }
    let mut watches = Vec::with_capacity(unit.path.specs.len());
    for spec in &unit.path.specs {
        match SpecWatch::new(spec) {
            Ok(w) => watches.push(Some(w)),
            Err(e) => return Err(format!("cannot watch {}: {e}", spec.path.display())),
        }
    }
    entry.watches = watches;
    feed(state, name, PathEvent::Start);
    Ok(())
}

/// systemd (path_mkdir): `MakeDirectory=` creates the directories of
/// every spec but `PathExists=` and `PathExistsGlob=`.
fn make_directories(name: &str, unit: &PathUnit) {
    for spec in &unit.path.specs {
        if matches!(
            spec.condition,
            PathCondition::Exists | PathCondition::ExistsGlob
        ) {
            continue;
        }
        let made = std::fs::DirBuilder::new()
            .recursive(true)
            .mode(unit.path.directory_mode)
            .create(&spec.path);
        if let Err(e) = made {
            report(format!(
                "{name}: MakeDirectory=: cannot create {}: {e}",
                spec.path.display()
            ));
        }
    }
}

/// `stop NAME.path`.
pub fn stop(state: &mut State, name: &str) {
    feed(state, name, PathEvent::Stop);
}

/// At shutdown: every path unit stops watching before the services stop,
/// so that no service is started again as it goes.
pub fn stop_all(state: &mut State) {
    let names: Vec<String> = state.path_units.names().map(str::to_owned).collect();
    for name in names {
        stop(state, &name);
    }
}

/// Events came: each spec's watches are laid again, then its unit is told.
pub fn woke(state: &mut State, wakes: Vec<PathWake>) {
    for wake in wakes {
        woke_one(state, wake);
    }
    state.settle();
}

fn woke_one(state: &mut State, wake: PathWake) {
    let Some(entry) = state.path_units.entries.get_mut(&wake.unit) else {
        return;
    };
    if let Some(e) = wake.error {
        report(format!(
            "{}: stopped watching {}: {e}",
            wake.unit,
            entry.unit.path.specs[wake.spec].path.display()
        ));
        entry.watches[wake.spec] = None;
        return;
    }
    let spec = &entry.unit.path.specs[wake.spec];
    if let Some(Some(watch)) = entry.watches.get_mut(wake.spec) {
        if let Err(e) = watch.lay(spec) {
            report(format!(
                "{}: cannot watch {}: {e}",
                wake.unit,
                spec.path.display()
            ));
        }
    }
    let event = if wake.own && !spec.condition.is_level() {
        PathEvent::Changed { spec: wake.spec }
    } else {
        PathEvent::Recheck
    };
    feed(state, &wake.unit, event);
}

/// The unit `unit` changed (or a start of it ended): the path units that
/// start it are told.
pub fn unit_changed(state: &mut State, unit: &str) {
    let names = state.path_units.triggered_by(unit);
    if names.is_empty() {
        return;
    }
    let limit_hit = state.supervisor.status(unit).is_some_and(|s| {
        s.result == crate::supervisor::ServiceResult::StartLimitHit
            && s.active.is_inactive_or_failed()
    });
    let event = if limit_hit {
        PathEvent::UnitStartLimitHit
    } else {
        PathEvent::UnitChanged
    };
    for name in names {
        feed(state, &name, event);
    }
}

/// After daemon-reload: a path unit whose file is gone stops; one whose
/// definition changed starts again with it.
pub fn reload(state: &mut State) {
    let names: Vec<String> = state.path_units.names().map(str::to_owned).collect();
    for name in names {
        let Some(entry) = state.path_units.entries.get(&name) else {
            continue;
        };
        let active = entry.trigger.state().is_active();
        match state.units.get(&name) {
            Some(Unit::Path(new)) if **new == *entry.unit => {}
            Some(Unit::Path(_)) => {
                stop(state, &name);
                state.path_units.entries.remove(&name);
                if active {
                    if let Err(e) = start(state, &name) {
                        report(format!("{name}: {e}"));
                    }
                }
            }
            _ => {
                if active {
                    report(format!(
                        "{name}: unit file removed or masked, stopping the path unit"
                    ));
                }
                stop(state, &name);
                state.path_units.entries.remove(&name);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn spec(condition: PathCondition, path: &Path) -> PathSpec {
        PathSpec {
            condition,
            path: path.to_path_buf(),
        }
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
    }

    /// Waits for the next readiness of `watch` and drains it.
    async fn next(watch: &SpecWatch) -> Option<bool> {
        let wait = async {
            loop {
                let mut guard = watch.fd.readable().await.expect("readable");
                let drained = watch.drain().expect("drain");
                guard.clear_ready();
                if drained.is_some() {
                    return drained;
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(5), wait)
            .await
            .ok()
            .flatten()
    }

    #[test]
    fn the_watch_follows_a_path_that_appears_level_by_level() {
        runtime().block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let target = dir.path().join("a/b/file");
            let s = spec(PathCondition::Changed, &target);
            let mut watch = SpecWatch::new(&s).unwrap();
            assert_eq!(watch.primary, None);
            std::fs::create_dir(dir.path().join("a")).unwrap();
            assert_eq!(next(&watch).await, Some(false), "a parent appeared");
            watch.lay(&s).unwrap();
            std::fs::create_dir(dir.path().join("a/b")).unwrap();
            assert_eq!(next(&watch).await, Some(false));
            watch.lay(&s).unwrap();
            std::fs::write(&target, b"x").unwrap();
            assert_eq!(next(&watch).await, Some(false), "created in its parent");
            watch.lay(&s).unwrap();
            assert!(watch.primary.is_some(), "the file itself is watched now");
            std::fs::write(&target, b"y").unwrap();
            assert_eq!(next(&watch).await, Some(true), "written and closed");
        });
    }

    #[test]
    fn observations_follow_each_condition() {
        let dir = tempfile::tempdir().unwrap();
        let spool = dir.path().join("spool");
        let specs = vec![
            spec(PathCondition::Exists, &dir.path().join("flag")),
            spec(PathCondition::ExistsGlob, &dir.path().join("*.csv")),
            spec(PathCondition::DirectoryNotEmpty, &spool),
            spec(PathCondition::Changed, &dir.path().join("conf")),
        ];
        assert_eq!(observe(&specs), vec![false, false, false, false]);
        std::fs::create_dir(&spool).unwrap();
        assert!(!observe(&specs)[2], "empty");
        std::fs::write(spool.join("job"), b"").unwrap();
        std::fs::write(dir.path().join("flag"), b"").unwrap();
        std::fs::write(dir.path().join("in.csv"), b"").unwrap();
        std::fs::write(dir.path().join("conf"), b"").unwrap();
        assert_eq!(observe(&specs), vec![true, true, true, true]);
    }

    #[test]
    fn hidden_and_backup_files_leave_a_directory_empty() {
        let dir = tempfile::tempdir().unwrap();
        let specs = vec![spec(PathCondition::DirectoryNotEmpty, dir.path())];
        for name in [".upload", "notes~", "job.bak", "x.dpkg-new", "lost+found"] {
            std::fs::write(dir.path().join(name), b"").unwrap();
        }
        assert_eq!(observe(&specs), vec![false]);
        std::fs::write(dir.path().join("job.csv"), b"").unwrap();
        assert_eq!(observe(&specs), vec![true]);
        assert!(!hidden_or_backup("report.new.csv"));
        assert!(!hidden_or_backup("plain"));
    }

    #[test]
    fn prefixes_run_from_the_root() {
        assert_eq!(
            prefixes(Path::new("/a/b")),
            vec![PathBuf::from("/"), "/a".into(), "/a/b".into()]
        );
    }
}
