//! The edge to the kernel's bpf(2): maps made and filled, programs loaded
//! (with the verifier's log when one is refused), attached to a service's
//! cgroup v2 directory with `BPF_F_ALLOW_MULTI` and detached again. The
//! `union bpf_attr` of each command is written field by field into a zeroed
//! buffer at the offsets of linux/bpf.h.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::path::Path;

use super::insn::{encode_all, Insn};

/// Why a bpf(2) call failed; each names what was asked.
#[derive(Debug, thiserror::Error)]
pub enum BpfError {
    #[error("bpf({what}): {source}")]
    Syscall {
        what: &'static str,
        source: io::Error,
    },
    /// The verifier refused the program; its last lines say why.
    #[error("the kernel refused the {what} program: {source}{}", verifier_tail(.log))]
    Refused {
        what: &'static str,
        source: io::Error,
        log: String,
    },
    #[error("{}: {source}", path.display())]
    Cgroup {
        path: std::path::PathBuf,
        source: io::Error,
    },
}

fn verifier_tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        return String::new();
    }
    let tail = &lines[lines.len().saturating_sub(3)..];
    format!(" (verifier: {})", tail.join(" / "))
}

// Commands (enum bpf_cmd).
const MAP_CREATE: i32 = 0;
const MAP_LOOKUP_ELEM: i32 = 1;
const MAP_UPDATE_ELEM: i32 = 2;
const PROG_LOAD: i32 = 5;
const PROG_ATTACH: i32 = 8;
const PROG_DETACH: i32 = 9;
const PROG_GET_FD_BY_ID: i32 = 13;
const PROG_QUERY: i32 = 16;

const MAP_TYPE_ARRAY: u32 = 2;
const MAP_TYPE_LPM_TRIE: u32 = 11;
/// An LPM trie must be made without preallocation.
const F_NO_PREALLOC: u32 = 1;
const F_ALLOW_MULTI: u32 = 2;

/// A program type with the attach type its programs are loaded for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    /// `BPF_PROG_TYPE_CGROUP_SKB` at `BPF_CGROUP_INET_INGRESS`.
    Ingress,
    /// `BPF_PROG_TYPE_CGROUP_SKB` at `BPF_CGROUP_INET_EGRESS`.
    Egress,
    /// `BPF_PROG_TYPE_CGROUP_DEVICE` at `BPF_CGROUP_DEVICE`.
    Device,
    /// `BPF_PROG_TYPE_CGROUP_SOCK_ADDR` at `BPF_CGROUP_INET4_BIND`.
    Bind4,
    /// `BPF_PROG_TYPE_CGROUP_SOCK_ADDR` at `BPF_CGROUP_INET6_BIND`.
    Bind6,
}

impl Hook {
    fn prog_type(self) -> u32 {
        match self {
            Hook::Ingress | Hook::Egress => 8,
            Hook::Device => 15,
            Hook::Bind4 | Hook::Bind6 => 18,
        }
    }

    fn attach_type(self) -> u32 {
        match self {
            Hook::Ingress => 0,
            Hook::Egress => 1,
            Hook::Device => 6,
            Hook::Bind4 => 8,
            Hook::Bind6 => 9,
        }
    }
}

/// A zeroed `union bpf_attr` (the first 128 bytes, more than any command
/// here uses) and its fields.
struct Attr([u8; 128]);

impl Attr {
    fn new() -> Attr {
        Attr([0; 128])
    }

    fn u32(mut self, offset: usize, v: u32) -> Attr {
        self.0[offset..offset + 4].copy_from_slice(&v.to_ne_bytes());
        self
    }

    fn u64(mut self, offset: usize, v: u64) -> Attr {
        self.0[offset..offset + 8].copy_from_slice(&v.to_ne_bytes());
        self
    }

    fn name(mut self, offset: usize, name: &str) -> Attr {
        let n = name.len().min(15);
        self.0[offset..offset + n].copy_from_slice(&name.as_bytes()[..n]);
        self
    }

    fn call(&mut self, cmd: i32) -> io::Result<i64> {
        // SAFETY: bpf(2) reads (and for some commands writes) the buffer,
        // whose size is passed; pointers in it point at live buffers of
        // the caller.
        let r = unsafe {
            libc::syscall(
                libc::SYS_bpf,
                cmd,
                self.0.as_mut_ptr(),
                self.0.len() as libc::c_uint,
            )
        };
        if r < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(r)
        }
    }

    fn call_fd(&mut self, cmd: i32) -> io::Result<OwnedFd> {
        let fd = self.call(cmd)?;
        // SAFETY: the command returned a new descriptor, ours to own.
        Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
    }
}

fn fd_u32(fd: BorrowedFd<'_>) -> u32 {
    fd.as_raw_fd() as u32
}

/// An LPM-trie map of `entries` prefixes of `address_len`-byte addresses
/// (key: a u32 prefix length then the address; value: a u64).
pub fn lpm_trie(address_len: usize, entries: usize) -> Result<OwnedFd, BpfError> {
    let max = u32::try_from(entries.max(1)).unwrap_or(u32::MAX);
    Attr::new()
        .u32(0, MAP_TYPE_LPM_TRIE)
        .u32(4, 4 + address_len as u32)
        .u32(8, 8)
        .u32(12, max)
        .u32(16, F_NO_PREALLOC)
        .name(28, "sd_trie")
        .call_fd(MAP_CREATE)
        .map_err(|source| BpfError::Syscall {
            what: "BPF_MAP_CREATE of an LPM trie",
            source,
        })
}

/// An array map of `entries` u64 counters.
pub fn counters(entries: u32) -> Result<OwnedFd, BpfError> {
    Attr::new()
        .u32(0, MAP_TYPE_ARRAY)
        .u32(4, 4)
        .u32(8, 8)
        .u32(12, entries)
        .name(28, "sd_acct")
        .call_fd(MAP_CREATE)
        .map_err(|source| BpfError::Syscall {
            what: "BPF_MAP_CREATE of counters",
            source,
        })
}

/// Sets `key` to `value` in `map`.
pub fn update(map: BorrowedFd<'_>, key: &[u8], value: &[u8]) -> Result<(), BpfError> {
    Attr::new()
        .u32(0, fd_u32(map))
        .u64(8, key.as_ptr() as u64)
        .u64(16, value.as_ptr() as u64)
        .call(MAP_UPDATE_ELEM)
        .map(drop)
        .map_err(|source| BpfError::Syscall {
            what: "BPF_MAP_UPDATE_ELEM",
            source,
        })
}

/// The u64 at `key` of a counters map.
pub fn counter(map: BorrowedFd<'_>, key: u32) -> Result<u64, BpfError> {
    let k = key.to_ne_bytes();
    let mut v = [0u8; 8];
    Attr::new()
        .u32(0, fd_u32(map))
        .u64(8, k.as_ptr() as u64)
        .u64(16, v.as_mut_ptr() as u64)
        .call(MAP_LOOKUP_ELEM)
        .map_err(|source| BpfError::Syscall {
            what: "BPF_MAP_LOOKUP_ELEM",
            source,
        })?;
    Ok(u64::from_ne_bytes(v))
}

/// Loads `program` for `hook` under `name` (at most 15 letters, digits
/// and `_`, as `bpftool prog` lists it). A refused program is loaded once
/// more with the verifier's log, which the error carries.
pub fn load(hook: Hook, name: &'static str, program: &[Insn]) -> Result<OwnedFd, BpfError> {
    let bytes = encode_all(program);
    let license = c"GPL";
    let attr = |log: &mut [u8]| {
        let level = u32::from(!log.is_empty());
        Attr::new()
            .u32(0, hook.prog_type())
            .u32(4, program.len() as u32)
            .u64(8, bytes.as_ptr() as u64)
            .u64(16, license.as_ptr() as u64)
            .u32(24, level)
            .u32(28, log.len() as u32)
            .u64(
                32,
                if log.is_empty() {
                    0
                } else {
                    log.as_mut_ptr() as u64
                },
            )
            .name(48, name)
            .u32(68, hook.attach_type())
    };
    match attr(&mut []).call_fd(PROG_LOAD) {
        Ok(fd) => Ok(fd),
        Err(source) => {
            let mut log = vec![0u8; 256 * 1024];
            let _ = attr(&mut log).call_fd(PROG_LOAD);
            let end = log.iter().position(|b| *b == 0).unwrap_or(log.len());
            Err(BpfError::Refused {
                what: name,
                source,
                log: String::from_utf8_lossy(&log[..end]).into_owned(),
            })
        }
    }
}

/// Opens a cgroup v2 directory for attaching.
pub fn open_cgroup(dir: &Path) -> Result<OwnedFd, BpfError> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_CLOEXEC)
        .open(dir)
        .map(OwnedFd::from)
        .map_err(|source| BpfError::Cgroup {
            path: dir.to_owned(),
            source,
        })
}

/// Attaches `prog` to the cgroup at `hook`, beside what is attached there
/// and above (`BPF_F_ALLOW_MULTI`: a program of a cgroup above cannot be
/// bypassed by this one).
pub fn attach(cgroup: BorrowedFd<'_>, prog: BorrowedFd<'_>, hook: Hook) -> Result<(), BpfError> {
    Attr::new()
        .u32(0, fd_u32(cgroup))
        .u32(4, fd_u32(prog))
        .u32(8, hook.attach_type())
        .u32(12, F_ALLOW_MULTI)
        .call(PROG_ATTACH)
        .map(drop)
        .map_err(|source| BpfError::Syscall {
            what: "BPF_PROG_ATTACH",
            source,
        })
}

/// Detaches every program attached directly to the cgroup at `hook` (the
/// service's own cgroup: what an earlier run of it, or an earlier daemon,
/// left there); how many.
pub fn detach_all(cgroup: BorrowedFd<'_>, hook: Hook) -> Result<usize, BpfError> {
    let mut ids = [0u32; 64];
    let mut attr = Attr::new()
        .u32(0, fd_u32(cgroup))
        .u32(4, hook.attach_type())
        .u64(16, ids.as_mut_ptr() as u64)
        .u32(24, ids.len() as u32);
    attr.call(PROG_QUERY).map_err(|source| BpfError::Syscall {
        what: "BPF_PROG_QUERY",
        source,
    })?;
    let count = u32::from_ne_bytes(attr.0[24..28].try_into().expect("4 bytes")) as usize;
    let mut detached = 0;
    for id in &ids[..count.min(ids.len())] {
        let prog = Attr::new()
            .u32(0, *id)
            .call_fd(PROG_GET_FD_BY_ID)
            .map_err(|source| BpfError::Syscall {
                what: "BPF_PROG_GET_FD_BY_ID",
                source,
            })?;
        Attr::new()
            .u32(0, fd_u32(cgroup))
            .u32(4, prog.as_raw_fd() as u32)
            .u32(8, hook.attach_type())
            .call(PROG_DETACH)
            .map_err(|source| BpfError::Syscall {
                what: "BPF_PROG_DETACH",
                source,
            })?;
        detached += 1;
    }
    Ok(detached)
}

/// The ids of the programs attached directly to the cgroup at `hook`.
#[cfg(test)]
pub fn attached(cgroup: BorrowedFd<'_>, hook: Hook) -> Result<usize, BpfError> {
    let mut ids = [0u32; 64];
    let mut attr = Attr::new()
        .u32(0, fd_u32(cgroup))
        .u32(4, hook.attach_type())
        .u64(16, ids.as_mut_ptr() as u64)
        .u32(24, ids.len() as u32);
    attr.call(PROG_QUERY).map_err(|source| BpfError::Syscall {
        what: "BPF_PROG_QUERY",
        source,
    })?;
    Ok(u32::from_ne_bytes(attr.0[24..28].try_into().expect("4 bytes")) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_the_program_and_the_verifier_s_last_words() {
        let e = BpfError::Refused {
            what: "sd_devices",
            source: io::Error::from_raw_os_error(libc::EACCES),
            log: "0: (b7) r0 = 1\n\nR0 !read_ok\nprocessed 1 insns\n".into(),
        };
        let text = e.to_string();
        assert!(
            text.starts_with("the kernel refused the sd_devices program: Permission denied"),
            "{text}"
        );
        assert!(
            text.ends_with("(verifier: 0: (b7) r0 = 1 / R0 !read_ok / processed 1 insns)"),
            "{text}"
        );
    }

    /// A program the verifier must refuse (r0 read before it is set) comes
    /// back with the verifier's reason; skipped where bpf(2) is not allowed.
    #[test]
    fn the_verifier_s_log_comes_with_a_refusal() {
        let bad = [Insn::exit()];
        match load(Hook::Device, "sd_test", &bad) {
            Err(BpfError::Refused { log, source, .. }) => {
                if source.raw_os_error() == Some(libc::EPERM) {
                    eprintln!("skipped: bpf(2) not allowed here: {source}");
                    return;
                }
                assert!(log.contains("R0"), "{log}");
            }
            other => panic!("{other:?}"),
        }
    }
}
