//! A service's descriptor store (`FileDescriptorStoreMax=`): descriptors a
//! service hands the daemon with sd_notify's `FDSTORE=1` so that they
//! outlive its process. The next start of its main command gets them after
//! its socket units' descriptors, named in `$LISTEN_FDNAMES`. The supervisor
//! empties the store when the service is inactive with no job to run it
//! again; a stored descriptor that hangs up is dropped unless it came with
//! `FDPOLL=0`.

use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::Arc;

use super::socket_fds::PassedFd;

/// The name of descriptors stored without a (valid) `FDNAME=`.
pub const DEFAULT_NAME: &str = "stored";

/// One kept descriptor.
#[derive(Debug)]
struct StoredFd {
    fd: Arc<OwnedFd>,
    name: String,
    /// Dropped when it hangs up (no `FDPOLL=0`).
    poll: bool,
}

/// What became of the descriptors of one `FDSTORE=1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Added {
    /// Now kept.
    pub stored: usize,
    /// Already kept (the same open file): closed.
    pub duplicates: usize,
    /// Beyond `FileDescriptorStoreMax=`: closed.
    pub over_limit: usize,
}

/// A service's kept descriptors, in the order they came.
#[derive(Debug, Default)]
pub struct FdStore {
    entries: Vec<StoredFd>,
}

impl FdStore {
    /// How many descriptors are kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Keeps `fds` under `name` (the default name if `None`), at most `max`
    /// in all; the rest, and descriptors of a file already kept, are closed.
    pub fn add(&mut self, fds: Vec<OwnedFd>, name: Option<&str>, poll: bool, max: u32) -> Added {
        let mut added = Added::default();
        let max = usize::try_from(max).unwrap_or(usize::MAX);
        for fd in fds {
            if self.entries.iter().any(|e| same_file(&e.fd, &fd)) {
                added.duplicates += 1;
            } else if self.entries.len() >= max {
                added.over_limit += 1;
            } else {
                self.entries.push(StoredFd {
                    fd: Arc::new(fd),
                    name: name.unwrap_or(DEFAULT_NAME).to_owned(),
                    poll,
                });
                added.stored += 1;
            }
        }
        added
    }

    /// Closes every descriptor kept under `name`; how many.
    pub fn remove(&mut self, name: &str) -> usize {
        let before = self.entries.len();
        self.entries.retain(|e| e.name != name);
        before - self.entries.len()
    }

    /// Closes the descriptors that hung up or failed (POLLHUP, POLLERR),
    /// except those stored with `FDPOLL=0`; how many.
    pub fn drop_hung_up(&mut self) -> usize {
        let before = self.entries.len();
        self.entries.retain(|e| !e.poll || !hung_up(&e.fd));
        before - self.entries.len()
    }

    /// The descriptors as the main command gets them, in order.
    pub fn passed(&self) -> impl Iterator<Item = PassedFd> + '_ {
        self.entries.iter().map(|e| PassedFd {
            fd: Arc::clone(&e.fd),
            name: e.name.clone(),
        })
    }
}

/// systemd's rule for a name in `$LISTEN_FDNAMES`: ASCII without control
/// characters and without `:`, at most 255 bytes (empty is allowed).
pub fn valid_name(name: &str) -> bool {
    name.len() <= 255 && name.bytes().all(|b| (b' '..0x7f).contains(&b) && b != b':')
}

/// Whether two descriptors are the same open file: kcmp(2) where the kernel
/// allows it, else the same inode opened with the same flags.
fn same_file(a: &OwnedFd, b: &OwnedFd) -> bool {
    const KCMP_FILE: libc::c_int = 0;
    let pid = std::process::id();
    // SAFETY: kcmp only compares two descriptors of this process.
    let r = unsafe {
        libc::syscall(
            libc::SYS_kcmp,
            pid,
            pid,
            KCMP_FILE,
            a.as_raw_fd(),
            b.as_raw_fd(),
        )
    };
    if r >= 0 {
        return r == 0;
    }
    let (Ok(sa), Ok(sb)) = (nix::sys::stat::fstat(a), nix::sys::stat::fstat(b)) else {
        return false;
    };
    let flags = |fd: &OwnedFd| nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_GETFL).ok();
    (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino) && flags(a) == flags(b)
}

/// Whether the descriptor reports a hang-up or an error now.
fn hung_up(fd: &OwnedFd) -> bool {
    let mut p = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: 0,
        revents: 0,
    };
    // SAFETY: one pollfd that lives across the call; no waiting.
    let r = unsafe { libc::poll(&mut p, 1, 0) };
    r > 0 && p.revents & (libc::POLLHUP | libc::POLLERR) != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pipe() -> (OwnedFd, OwnedFd) {
        nix::unistd::pipe().expect("pipe")
    }

    fn names(store: &FdStore) -> Vec<String> {
        store.passed().map(|p| p.name).collect()
    }

    #[test]
    fn descriptors_are_kept_up_to_the_limit_in_order() {
        let mut store = FdStore::default();
        let (r1, _w1) = pipe();
        let (r2, _w2) = pipe();
        let (r3, _w3) = pipe();
        let added = store.add(vec![r1, r2], Some("a"), true, 2);
        assert_eq!(
            added,
            Added {
                stored: 2,
                ..Added::default()
            }
        );
        let added = store.add(vec![r3], None, true, 2);
        assert_eq!(added.over_limit, 1);
        assert_eq!(names(&store), ["a", "a"]);
        // A limit of 0 keeps nothing.
        let (r4, _w4) = pipe();
        assert_eq!(
            FdStore::default().add(vec![r4], None, true, 0).over_limit,
            1
        );
    }

    #[test]
    fn the_same_open_file_is_kept_once() {
        let mut store = FdStore::default();
        let (r, _w) = pipe();
        let copy = r.try_clone().expect("dup");
        let added = store.add(vec![r, copy], Some("p"), true, 10);
        assert_eq!(added.stored, 1);
        assert_eq!(added.duplicates, 1);
        // Two opens of one file are two open files.
        let a: OwnedFd = std::fs::File::open("/dev/null").expect("opens").into();
        let b: OwnedFd = std::fs::File::open("/dev/null").expect("opens").into();
        assert_eq!(store.add(vec![a, b], None, true, 10).stored, 2);
        assert_eq!(names(&store), ["p", "stored", "stored"]);
    }

    #[test]
    fn removal_is_by_name_and_hung_up_ones_go_unless_not_polled() {
        let mut store = FdStore::default();
        let (r1, w1) = pipe();
        let (r2, w2) = pipe();
        let (r3, _w3) = pipe();
        store.add(vec![r1], Some("polled"), true, 10);
        store.add(vec![r2], Some("kept"), false, 10);
        store.add(vec![r3], Some("open"), true, 10);
        assert_eq!(store.drop_hung_up(), 0);
        drop((w1, w2));
        assert_eq!(store.drop_hung_up(), 1);
        assert_eq!(names(&store), ["kept", "open"]);
        assert_eq!(store.remove("kept"), 1);
        assert_eq!(store.remove("nothing"), 0);
        assert_eq!(names(&store), ["open"]);
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn names_follow_the_listen_fdnames_rule() {
        assert!(valid_name("conn"));
        assert!(valid_name(""));
        assert!(valid_name("with space"));
        assert!(!valid_name("a:b"));
        assert!(!valid_name("tab\there"));
        assert!(!valid_name("é"));
        assert!(!valid_name(&"x".repeat(256)));
    }
}
