//! Noticing that the local time zone changed, without daemon-reload.
//!
//! With `TZ` unset the C library takes the local zone from /etc/localtime,
//! so an administrator changes the zone by replacing that file: a symlink
//! swapped by rename (timedatectl), `ln -sf` (unlink and create, or rename),
//! or a copy written over it. systemd notices each of these through inotify
//! and then fires `OnTimezoneChange=yes` timers and recomputes calendar
//! elapses in the new zone; sundial does the same:
//!
//! - [`LocalTimeWatch`] is an inotify watch on the file's directory (the file
//!   itself is usually replaced, and a watch on the old inode would go quiet
//!   after the first swap). It wakes the loop only when the file is complete
//!   under its name: renamed there, a symlink or hard link created, or a
//!   write closed (not when a new file is created empty, which the writer
//!   then fills). An idle directory costs nothing.
//! - [`LocalTimeFile`] re-reads the zone when woken and tells whether it
//!   changed: another zone name, or other rules under the same name (a copied
//!   file is always called `localtime`). Rewriting the same zone is not a
//!   change (systemd reacts to any new modification time; a zone that is
//!   still the same has nothing to recompute, and `OnTimezoneChange=` timers
//!   should not fire on a no-op).
//!
//! With `TZ` set the file does not matter (glibc reads it only when `TZ` is
//! unset), so there is no watch at all.

use std::ffi::OsString;
use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify, InotifyEvent};
use sundial_calendar::zone::SystemZones;
use sundial_calendar::{Zone, ZoneSource};
use tokio::io::unix::AsyncFd;

/// The local zone file and what it held when last read.
#[derive(Debug)]
pub struct LocalTimeFile {
    path: PathBuf,
    /// `TZDIR` as the daemon found it, for naming the zone a symlink points at.
    tzdir: Option<String>,
    /// The zone's name and the file's bytes; `None` while it is unreadable.
    seen: Option<(String, Vec<u8>)>,
}

impl LocalTimeFile {
    /// Remembers what `path` holds now.
    pub fn new(path: &Path, tzdir: Option<String>) -> LocalTimeFile {
        let mut file = LocalTimeFile {
            path: path.to_path_buf(),
            tzdir,
            seen: None,
        };
        file.seen = file
            .read()
            .map(|(zone, bytes)| (zone.name().to_owned(), bytes));
        file
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The zone in the file, if it is a readable TZif file that held still
    /// while it was read.
    fn read(&self) -> Option<(Zone, Vec<u8>)> {
        let bytes = std::fs::read(&self.path).ok()?;
        // A fresh source: the daemon's own caches the first reading.
        let zones = SystemZones::from_tzdir_env(self.tzdir.as_deref()).with_localtime(&self.path);
        let zone = zones.system_default()?;
        // The zone is read apart from the bytes (and named after the link):
        // if the file was replaced in between, the pair could belong to two
        // zones. The replacement's own event brings the loop back.
        if std::fs::read(&self.path).ok()? != bytes {
            return None;
        }
        Some((zone, bytes))
    }

    /// Reads the file again; returns the new zone if it differs from the
    /// last one read. A file that is missing or not a zone (half written,
    /// or between the unlink and the symlink of `ln -sf`) changes nothing:
    /// the next event will name the file again once it is complete.
    pub fn changed(&mut self) -> Option<Zone> {
        let (zone, bytes) = self.read()?;
        let same = self
            .seen
            .as_ref()
            .is_some_and(|(name, old)| name == zone.name() && *old == bytes);
        if same {
            return None;
        }
        self.seen = Some((zone.name().to_owned(), bytes));
        Some(zone)
    }
}

/// An inotify descriptor as tokio's reactor wants it.
#[derive(Debug)]
pub(super) struct InotifyFd(pub(super) Inotify);

impl AsRawFd for InotifyFd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

/// An inotify watch on the directory of the local zone file.
#[derive(Debug)]
pub struct LocalTimeWatch {
    fd: AsyncFd<InotifyFd>,
    /// The file.
    path: PathBuf,
    /// Its name in the directory.
    name: OsString,
}

impl LocalTimeWatch {
    /// Watches the directory holding `path` for the file being created,
    /// renamed over or written. Its removal alone changes nothing (see
    /// [`LocalTimeFile::changed`]), so it is not watched for.
    pub fn new(path: &Path) -> io::Result<LocalTimeWatch> {
        let name = path
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?
            .to_owned();
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("/"),
        };
        let inotify = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC)?;
        inotify.add_watch(
            dir,
            AddWatchFlags::IN_CREATE
                | AddWatchFlags::IN_MOVED_TO
                | AddWatchFlags::IN_CLOSE_WRITE
                | AddWatchFlags::IN_ONLYDIR,
        )?;
        // SAFETY: the Inotify owns its descriptor (an OwnedFd it never
        // replaces) and closes it only when dropped, with the AsyncFd.
        let fd = unsafe { AsyncFd::register(InotifyFd(inotify)) }.map_err(|e| e.into_parts().1)?;
        Ok(LocalTimeWatch {
            fd,
            path: path.to_path_buf(),
            name,
        })
    }

    /// Whether an event on the file leaves it complete. A created regular
    /// file is still empty, and read too early a partly written zone file
    /// can pass for another zone; its writer's close comes as an event of
    /// its own. A symlink or a hard link is whole at once.
    fn complete(&self, mask: AddWatchFlags) -> bool {
        if mask.intersects(AddWatchFlags::IN_MOVED_TO | AddWatchFlags::IN_CLOSE_WRITE) {
            return true;
        }
        std::fs::symlink_metadata(&self.path).is_ok_and(|m| {
            use std::os::unix::fs::MetadataExt;
            m.file_type().is_symlink() || m.nlink() > 1
        })
    }

    /// Waits until an event names the file (or events were lost). Every
    /// event queued by then is consumed, so one swap wakes the loop once.
    pub async fn wait(&mut self) -> io::Result<()> {
        let this = &*self;
        wait_for_event(&this.fd, "the directory went away", |event| {
            event.name.as_deref() == Some(this.name.as_os_str()) && this.complete(event.mask)
        })
        .await
    }
}

/// Waits on an inotify descriptor until an event `concerns` accepts comes
/// (or the queue overflowed: events were lost), reading every event queued
/// by then so that one change wakes the caller once. A watch removed by the
/// kernel (its directory gone) is the error `gone`.
pub(super) async fn wait_for_event(
    fd: &AsyncFd<InotifyFd>,
    gone: &'static str,
    mut concerns: impl FnMut(&InotifyEvent) -> bool,
) -> io::Result<()> {
    loop {
        let mut guard = fd.readable().await?;
        let mut woken = false;
        loop {
            match guard.get_inner().0.read_events() {
                Ok(events) => {
                    for event in events {
                        if event.mask.contains(AddWatchFlags::IN_IGNORED) {
                            return Err(io::Error::other(gone));
                        }
                        woken |=
                            event.mask.contains(AddWatchFlags::IN_Q_OVERFLOW) || concerns(&event);
                    }
                }
                Err(Errno::EAGAIN) => {
                    guard.clear_ready();
                    break;
                }
                Err(Errno::EINTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if woken {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;
    use std::time::Duration;

    fn zoneinfo(name: &str) -> PathBuf {
        PathBuf::from("/usr/share/zoneinfo").join(name)
    }

    fn swap(link: &Path, target: &Path) {
        let tmp = link.with_extension("tmp");
        let _ = std::fs::remove_file(&tmp);
        symlink(target, &tmp).unwrap();
        std::fs::rename(&tmp, link).unwrap();
    }

    #[test]
    fn changes_are_a_new_name_or_new_rules() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("localtime");
        symlink(zoneinfo("UTC"), &link).unwrap();
        let mut file = LocalTimeFile::new(&link, None);
        assert_eq!(file.changed(), None, "nothing happened");
        swap(&link, &zoneinfo("UTC"));
        assert_eq!(file.changed(), None, "the same zone again");
        swap(&link, &zoneinfo("Asia/Tokyo"));
        let zone = file.changed().expect("a new zone");
        assert_eq!(zone.name(), "Asia/Tokyo");
        assert_eq!(file.changed(), None);

        // A copy is always called `localtime`: only its bytes tell.
        std::fs::remove_file(&link).unwrap();
        std::fs::copy(zoneinfo("Asia/Tokyo"), &link).unwrap();
        assert_eq!(
            file.changed().map(|z| z.name().to_owned()).as_deref(),
            Some("localtime")
        );
        std::fs::copy(zoneinfo("Europe/Berlin"), &link).unwrap();
        let berlin = file.changed().expect("other rules under the same name");
        assert_eq!(berlin.name(), "localtime");
        assert_eq!(berlin.abbreviations().0, "CET");

        // Missing or garbage: keep the zone until the file is whole again.
        std::fs::remove_file(&link).unwrap();
        assert_eq!(file.changed(), None);
        std::fs::write(&link, b"TZif2 truncated").unwrap();
        assert_eq!(file.changed(), None);
        std::fs::copy(zoneinfo("Europe/Berlin"), &link).unwrap();
        assert_eq!(file.changed(), None, "the same file as before the gap");
    }

    #[test]
    fn the_watch_wakes_for_the_file_only() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let link = dir.path().join("localtime");
            symlink(zoneinfo("UTC"), &link).unwrap();
            let mut watch = LocalTimeWatch::new(&link).unwrap();
            std::fs::write(dir.path().join("other"), b"x").unwrap();
            let quiet = tokio::time::timeout(Duration::from_millis(50), watch.wait()).await;
            assert!(quiet.is_err(), "another file's event woke the watch");
            swap(&link, &zoneinfo("Asia/Tokyo"));
            tokio::time::timeout(Duration::from_secs(5), watch.wait())
                .await
                .expect("the swap wakes the watch")
                .unwrap();
            // The swap's events were consumed together.
            let quiet = tokio::time::timeout(Duration::from_millis(50), watch.wait()).await;
            assert!(quiet.is_err(), "one swap woke the watch twice");
            // Neither the removal nor a new empty file is a zone yet; the
            // close after writing it is.
            std::fs::remove_file(&link).unwrap();
            let file = std::fs::File::create(&link).unwrap();
            let quiet = tokio::time::timeout(Duration::from_millis(50), watch.wait()).await;
            assert!(quiet.is_err(), "woken before the file was written");
            drop(file);
            tokio::time::timeout(Duration::from_secs(5), watch.wait())
                .await
                .expect("the close wakes the watch")
                .unwrap();
            // A symlink is complete as soon as it exists.
            std::fs::remove_file(&link).unwrap();
            symlink(zoneinfo("UTC"), &link).unwrap();
            tokio::time::timeout(Duration::from_secs(5), watch.wait())
                .await
                .expect("a new symlink wakes the watch")
                .unwrap();
        });
    }
}
