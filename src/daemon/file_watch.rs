//! Noticing that crontab files changed, without polling.
//!
//! One inotify descriptor watches the directory of each file (editors and
//! `sundial crontab -e` replace a file by rename, which a watch on the file
//! itself would not survive) and wakes the loop when an event names one of
//! the files: written and closed, renamed there or away, created as a link,
//! or deleted. What changed is decided by reading the files again, so an
//! event too many costs one comparison.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};

use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify, WatchDescriptor};
use tokio::io::unix::AsyncFd;

use super::localtime::{wait_for_event, InotifyFd};

/// Directories that could not be watched, with the reason.
pub type Unwatched = Vec<(PathBuf, io::Error)>;

/// An inotify watch on the directories of some files.
#[derive(Debug)]
pub struct FileWatch {
    fd: AsyncFd<InotifyFd>,
    /// Each watched directory and the names in it that matter.
    watched: Vec<(WatchDescriptor, Vec<OsString>)>,
}

impl FileWatch {
    /// Watches the directories holding `files`. A directory that cannot be
    /// watched (it does not exist yet) is returned with its error beside
    /// the watch of the others; `None` when no directory could be watched.
    pub fn new(files: &[PathBuf]) -> io::Result<(Option<FileWatch>, Unwatched)> {
        let inotify = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC)?;
        let mut watched: Vec<(WatchDescriptor, Vec<OsString>)> = Vec::new();
        let mut failed = Vec::new();
        for file in files {
            let Some(name) = file.file_name() else {
                continue;
            };
            let dir = match file.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("/"),
            };
            let flags = AddWatchFlags::IN_CREATE
                | AddWatchFlags::IN_MOVED_TO
                | AddWatchFlags::IN_MOVED_FROM
                | AddWatchFlags::IN_CLOSE_WRITE
                | AddWatchFlags::IN_DELETE
                | AddWatchFlags::IN_ONLYDIR;
            match inotify.add_watch(dir, flags) {
                Ok(wd) => match watched.iter_mut().find(|(w, _)| *w == wd) {
                    Some((_, names)) => names.push(name.to_owned()),
                    None => watched.push((wd, vec![name.to_owned()])),
                },
                Err(e) => failed.push((dir.to_path_buf(), io::Error::from(e))),
            }
        }
        if watched.is_empty() {
            return Ok((None, failed));
        }
        // SAFETY: the Inotify owns its descriptor (an OwnedFd it never
        // replaces) and closes it only when dropped, with the AsyncFd.
        let fd = unsafe { AsyncFd::register(InotifyFd(inotify)) }.map_err(|e| e.into_parts().1)?;
        Ok((Some(FileWatch { fd, watched }), failed))
    }

    fn names_file(&self, wd: WatchDescriptor, name: Option<&OsString>) -> bool {
        name.is_some_and(|name| {
            self.watched
                .iter()
                .any(|(w, names)| *w == wd && names.contains(name))
        })
    }

    /// Waits until an event names one of the files (or events were lost).
    /// Every event queued by then is consumed, so one save wakes the loop
    /// once.
    pub async fn wait(&mut self) -> io::Result<()> {
        let this = &*self;
        wait_for_event(&this.fd, "a watched directory went away", |event| {
            this.names_file(event.wd, event.name.as_ref())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn wakes_for_the_files_only_and_reports_missing_directories() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let a = dir.path().join("crontab");
            let b = dir.path().join("other/crontab");
            let (watch, failed) = FileWatch::new(&[a.clone(), b]).unwrap();
            let mut watch = watch.expect("the existing directory is watched");
            assert_eq!(failed.len(), 1, "{failed:?}");
            assert_eq!(failed[0].0, dir.path().join("other"));

            std::fs::write(dir.path().join("unrelated"), b"x").unwrap();
            let quiet = tokio::time::timeout(Duration::from_millis(50), watch.wait()).await;
            assert!(quiet.is_err(), "another file's event woke the watch");

            // Written in place.
            std::fs::write(&a, b"* * * * * true\n").unwrap();
            tokio::time::timeout(Duration::from_secs(5), watch.wait())
                .await
                .expect("a write wakes the watch")
                .unwrap();
            // Replaced by rename, as editors and `crontab -e` do.
            let tmp = dir.path().join(".crontab.new");
            std::fs::write(&tmp, b"0 * * * * true\n").unwrap();
            let quiet = tokio::time::timeout(Duration::from_millis(50), watch.wait()).await;
            assert!(quiet.is_err(), "the temporary file woke the watch");
            std::fs::rename(&tmp, &a).unwrap();
            tokio::time::timeout(Duration::from_secs(5), watch.wait())
                .await
                .expect("a rename wakes the watch")
                .unwrap();
            // Removed (`crontab -r`).
            std::fs::remove_file(&a).unwrap();
            tokio::time::timeout(Duration::from_secs(5), watch.wait())
                .await
                .expect("a removal wakes the watch")
                .unwrap();
        });
    }
}
