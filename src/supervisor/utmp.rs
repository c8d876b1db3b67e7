//! `UtmpIdentifier=`, `UtmpMode=`: the utmp and wtmp records of a service's
//! processes, as systemd writes them (`utmp_put_init_process` when a command
//! starts, `utmp_put_dead_process` when it ends). `who` and `last` read them:
//! a getty that systemd starts is a login line there.
//!
//! The records are C `struct utmpx`s; the files are read and written here
//! as glibc's `pututxline` and `updwtmpx` do (a write lock on the file, an
//! entry of the same `ut_id` replaced, wtmp appended), without glibc's one
//! process-wide utmp file name, so that the daemon can be pointed at other
//! files (tests, images built in a tree).

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::unit::exec_context::UtmpMode;

use super::exit::ProcessExit;

/// The files the records go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UtmpFiles {
    pub utmp: PathBuf,
    pub wtmp: PathBuf,
}

impl UtmpFiles {
    /// glibc's `_PATH_UTMP` and `_PATH_WTMP`.
    pub fn system() -> UtmpFiles {
        UtmpFiles {
            utmp: PathBuf::from("/var/run/utmp"),
            wtmp: PathBuf::from("/var/log/wtmp"),
        }
    }
}

/// One record, `struct utmpx` as glibc lays it out.
pub type Record = libc::utmpx;

const RECORD_SIZE: usize = std::mem::size_of::<Record>();

/// What the start of a process writes.
#[derive(Debug, Clone, Copy)]
pub struct Start<'a> {
    /// UtmpIdentifier=.
    pub id: &'a str,
    pub pid: i32,
    /// The terminal without `/dev/` (TTYPath=), if set.
    pub line: Option<&'a str>,
    pub mode: UtmpMode,
    /// The user the process runs as (for `UtmpMode=user`).
    pub user: &'a str,
}

/// systemd's `copy_suffix`: the whole string if it fits (without its NUL
/// where it fills the field), else its last bytes.
fn copy_suffix(field: &mut [libc::c_char], value: &str) {
    let bytes = value.as_bytes();
    let from = bytes.len().saturating_sub(field.len());
    for (slot, b) in field.iter_mut().zip(&bytes[from..]) {
        *slot = *b as libc::c_char;
    }
}

fn empty() -> Record {
    // SAFETY: struct utmpx is plain data: all zeroes is an empty record.
    unsafe { std::mem::zeroed() }
}

fn stamp(r: &mut Record, now: SystemTime) {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    r.ut_tv.tv_sec = since.as_secs() as _;
    r.ut_tv.tv_usec = since.subsec_micros() as _;
}

/// The records a start writes, in order (systemd's `utmp_put_init_process`):
/// INIT_PROCESS; then LOGIN_PROCESS for `login` and `user`; then
/// USER_PROCESS with the user's name for `user`. Each replaces the one
/// before in utmp; wtmp gets all.
pub fn start_records(s: &Start<'_>, now: SystemTime) -> Vec<Record> {
    let mut r = empty();
    r.ut_type = libc::INIT_PROCESS;
    r.ut_pid = s.pid;
    r.ut_session = s.pid as _;
    copy_suffix(&mut r.ut_id, s.id);
    if let Some(line) = s.line {
        copy_suffix(&mut r.ut_line, line);
    }
    stamp(&mut r, now);
    let mut records = vec![r];
    if matches!(s.mode, UtmpMode::Login | UtmpMode::User) {
        r.ut_type = libc::LOGIN_PROCESS;
        records.push(r);
    }
    if s.mode == UtmpMode::User {
        r.ut_type = libc::USER_PROCESS;
        let name = s.user.as_bytes();
        let room = r.ut_user.len() - 1;
        // strncpy to size - 1: the name always ends in NUL.
        for (slot, b) in r.ut_user.iter_mut().zip(name.iter().take(room)) {
            *slot = *b as libc::c_char;
        }
        records.push(r);
    }
    records
}

/// The DEAD_PROCESS records for the end of `pid` (systemd's
/// `utmp_put_dead_process`), from the utmp entry `found` of the same id:
/// for utmp without user, host and time, for wtmp with the time of the end.
/// `None` when the entry is another process's.
pub fn dead_records(
    found: &Record,
    pid: i32,
    exit: ProcessExit,
    now: SystemTime,
) -> Option<(Record, Record)> {
    if found.ut_pid != pid {
        return None;
    }
    let mut r = *found;
    r.ut_type = libc::DEAD_PROCESS;
    let (code, status) = match exit {
        ProcessExit::Exited(c) => (libc::CLD_EXITED, c),
        ProcessExit::Killed(s) => (libc::CLD_KILLED, s.number()),
        ProcessExit::Dumped(s) => (libc::CLD_DUMPED, s.number()),
    };
    r.ut_exit.e_termination = code as libc::c_short;
    r.ut_exit.e_exit = status as libc::c_short;
    r.ut_user = [0; 32];
    r.ut_host = [0; 256];
    r.ut_tv.tv_sec = 0;
    r.ut_tv.tv_usec = 0;
    let mut w = r;
    stamp(&mut w, now);
    Some((r, w))
}

/// Whether `r` is the process entry of `id`: glibc's `getutxid` for the
/// process types matches any of them by `ut_id`.
fn same_process_entry(r: &Record, id: &[libc::c_char; 4]) -> bool {
    matches!(
        r.ut_type,
        libc::INIT_PROCESS | libc::LOGIN_PROCESS | libc::USER_PROCESS | libc::DEAD_PROCESS
    ) && r.ut_id == *id
}

fn to_bytes(r: &Record) -> &[u8] {
    // SAFETY: a plain-data struct viewed as its bytes, for its own size.
    unsafe { std::slice::from_raw_parts(std::ptr::from_ref(r).cast::<u8>(), RECORD_SIZE) }
}

/// A record from its bytes (the file's layout is the struct's).
pub fn from_bytes(b: &[u8; RECORD_SIZE]) -> Record {
    // SAFETY: any bytes are a valid struct utmpx (integers and char arrays).
    unsafe { std::ptr::read_unaligned(b.as_ptr().cast::<Record>()) }
}

/// Every record of a utmp or wtmp file.
pub fn read_all(path: &Path) -> io::Result<Vec<Record>> {
    let mut bytes = Vec::new();
    File::open(path)?.read_to_end(&mut bytes)?;
    Ok(bytes
        .chunks_exact(RECORD_SIZE)
        .map(|c| from_bytes(c.try_into().expect("chunks_exact gives whole records")))
        .collect())
}

/// The file opened for writing and write-locked until dropped (glibc locks
/// utmp and wtmp with fcntl write locks).
struct Locked(File);

impl Locked {
    fn open(path: &Path) -> io::Result<Locked> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .mode(0o664)
            .custom_flags(libc::O_CLOEXEC)
            .open(path)?;
        // SAFETY: plain data for fcntl.
        let mut lock: libc::flock = unsafe { std::mem::zeroed() };
        lock.l_type = libc::F_WRLCK as _;
        lock.l_whence = libc::SEEK_SET as _;
        // SAFETY: fcntl on a descriptor we own with a lock we own.
        if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETLKW, &lock) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Locked(file))
    }
}

/// glibc's `pututxline`: replaces the process entry of the same id, or
/// appends.
fn put(path: &Path, r: &Record) -> io::Result<()> {
    let Locked(mut file) = Locked::open(path)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    let at = bytes
        .chunks_exact(RECORD_SIZE)
        .position(|c| {
            same_process_entry(&from_bytes(c.try_into().expect("whole records")), &r.ut_id)
        })
        .map_or(bytes.len() - bytes.len() % RECORD_SIZE, |i| i * RECORD_SIZE);
    file.seek(SeekFrom::Start(at as u64))?;
    file.write_all(to_bytes(r))
}

/// glibc's `updwtmpx`: appends (after a torn last record, at its start).
fn append(path: &Path, r: &Record) -> io::Result<()> {
    let Locked(mut file) = Locked::open(path)?;
    let len = file.seek(SeekFrom::End(0))?;
    let whole = len - len % RECORD_SIZE as u64;
    if whole != len {
        file.set_len(whole)?;
        file.seek(SeekFrom::Start(whole))?;
    }
    file.write_all(to_bytes(r))
}

/// Writes the records of a start to utmp and wtmp.
pub fn write_start(files: &UtmpFiles, s: &Start<'_>) -> io::Result<()> {
    for r in start_records(s, SystemTime::now()) {
        put(&files.utmp, &r)?;
        append(&files.wtmp, &r)?;
    }
    Ok(())
}

/// Writes the end of `pid` if utmp's entry for `id` is its own.
pub fn write_dead(files: &UtmpFiles, id: &str, pid: i32, exit: ProcessExit) -> io::Result<()> {
    let mut key = empty();
    copy_suffix(&mut key.ut_id, id);
    let found = match read_all(&files.utmp) {
        Ok(records) => records
            .into_iter()
            .find(|r| same_process_entry(r, &key.ut_id)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let Some((utmp, wtmp)) = found.and_then(|f| dead_records(&f, pid, exit, SystemTime::now()))
    else {
        return Ok(());
    };
    put(&files.utmp, &utmp)?;
    append(&files.wtmp, &wtmp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::signal::Signal;

    fn text(field: &[libc::c_char]) -> String {
        field
            .iter()
            .take_while(|c| **c != 0)
            .map(|c| *c as u8 as char)
            .collect()
    }

    #[test]
    fn the_record_has_glibcs_size() {
        assert_eq!(RECORD_SIZE, 384);
    }

    #[test]
    fn a_user_start_writes_init_login_and_user_records() {
        let s = Start {
            id: "tty1",
            pid: 42,
            line: Some("tty1"),
            mode: UtmpMode::User,
            user: "alice",
        };
        let at = UNIX_EPOCH + std::time::Duration::from_micros(1_700_000_000_250_000);
        let r = start_records(&s, at);
        let types: Vec<_> = r.iter().map(|r| r.ut_type).collect();
        assert_eq!(
            types,
            [libc::INIT_PROCESS, libc::LOGIN_PROCESS, libc::USER_PROCESS]
        );
        assert!(r.iter().all(|r| r.ut_pid == 42 && r.ut_session == 42));
        assert_eq!(text(&r[0].ut_user), "");
        assert_eq!(text(&r[2].ut_user), "alice");
        assert_eq!(text(&r[2].ut_line), "tty1");
        assert_eq!(
            (r[0].ut_tv.tv_sec, r[0].ut_tv.tv_usec),
            (1_700_000_000, 250_000)
        );
        let init = start_records(
            &Start {
                mode: UtmpMode::Init,
                ..s
            },
            at,
        );
        assert_eq!(init.len(), 1);
    }

    #[test]
    fn a_long_identifier_keeps_its_last_four_bytes() {
        let mut id = [0 as libc::c_char; 4];
        copy_suffix(&mut id, "ttyS10");
        assert_eq!(id.map(|c| c as u8), *b"yS10");
        let mut id = [0 as libc::c_char; 4];
        copy_suffix(&mut id, "a");
        assert_eq!(id.map(|c| c as u8), *b"a\0\0\0");
    }

    #[test]
    fn the_end_is_written_only_over_the_same_process() {
        let s = Start {
            id: "x",
            pid: 7,
            line: None,
            mode: UtmpMode::User,
            user: "bob",
        };
        let found = *start_records(&s, SystemTime::now()).last().expect("three");
        assert!(dead_records(&found, 8, ProcessExit::Exited(0), SystemTime::now()).is_none());
        let (u, w) = dead_records(
            &found,
            7,
            ProcessExit::Killed(Signal::TERM),
            SystemTime::now(),
        )
        .expect("its own");
        assert_eq!(u.ut_type, libc::DEAD_PROCESS);
        assert_eq!(
            (u.ut_exit.e_termination, u.ut_exit.e_exit),
            (libc::CLD_KILLED as i16, 15)
        );
        assert_eq!(text(&u.ut_user), "");
        assert_eq!(u.ut_tv.tv_sec, 0);
        assert_ne!(w.ut_tv.tv_sec, 0, "wtmp gets the time");
    }

    #[test]
    fn files_get_one_utmp_entry_per_id_and_every_wtmp_record() {
        let dir = tempfile::tempdir().expect("tempdir");
        let files = UtmpFiles {
            utmp: dir.path().join("utmp"),
            wtmp: dir.path().join("wtmp"),
        };
        let start = |id, pid| Start {
            id,
            pid,
            line: Some("pts/9"),
            mode: UtmpMode::Login,
            user: "root",
        };
        write_start(&files, &start("a", 10)).expect("write");
        write_start(&files, &start("b", 11)).expect("write");
        write_dead(&files, "a", 99, ProcessExit::Exited(0)).expect("not its own: nothing");
        write_dead(&files, "a", 10, ProcessExit::Exited(3)).expect("write");
        let utmp = read_all(&files.utmp).expect("read");
        let kinds: Vec<_> = utmp.iter().map(|r| (text(&r.ut_id), r.ut_type)).collect();
        assert_eq!(
            kinds,
            [
                ("a".to_owned(), libc::DEAD_PROCESS),
                ("b".to_owned(), libc::LOGIN_PROCESS)
            ]
        );
        assert_eq!(utmp[0].ut_exit.e_exit, 3);
        let wtmp = read_all(&files.wtmp).expect("read");
        assert_eq!(wtmp.len(), 5, "two starts of two records and one end");
    }
}
