//! Path patterns as systemd expands them (glob(3) without flags): `*`, `?`
//! and `[...]` in any component, matches sorted, a pattern without wildcards
//! matching the path itself if it exists.

use std::ffi::{CString, OsStr};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The existing paths `pattern` matches, sorted; an error of kind NotFound
/// when it matches none.
pub fn expand(pattern: &Path) -> io::Result<Vec<PathBuf>> {
    let c = CString::new(pattern.as_os_str().as_bytes())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    // SAFETY: glob_t is plain data that glob() fills in; globfree() releases
    // what it allocated, after the paths are copied out.
    unsafe {
        let mut found: libc::glob_t = std::mem::zeroed();
        let status = libc::glob(c.as_ptr(), 0, None, &mut found);
        let result = match status {
            0 => Ok((0..found.gl_pathc)
                .map(|i| {
                    let p = std::ffi::CStr::from_ptr(*found.gl_pathv.add(i));
                    PathBuf::from(OsStr::from_bytes(p.to_bytes()))
                })
                .collect()),
            libc::GLOB_NOMATCH => Err(io::Error::new(
                io::ErrorKind::NotFound,
                "No such file or directory",
            )),
            libc::GLOB_NOSPACE => Err(io::Error::from(io::ErrorKind::OutOfMemory)),
            _ => Err(io::Error::other("cannot read a directory of the pattern")),
        };
        libc::globfree(&mut found);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_in_any_component_sorted() {
        let dir = tempfile::tempdir().expect("temp dir");
        for sub in ["b", "a", "c"] {
            std::fs::create_dir(dir.path().join(sub)).expect("mkdir");
            std::fs::write(dir.path().join(sub).join("x.env"), "").expect("write");
        }
        std::fs::write(dir.path().join("a/y.conf"), "").expect("write");
        let got = expand(&dir.path().join("[ab]/*.env")).expect("matches");
        assert_eq!(
            got,
            [dir.path().join("a/x.env"), dir.path().join("b/x.env")]
        );
        let got = expand(&dir.path().join("?/x.env")).expect("matches");
        assert_eq!(got.len(), 3);
        // No wildcard: the path itself, if it exists.
        let plain = dir.path().join("a/y.conf");
        assert_eq!(expand(&plain).expect("exists"), [plain]);
        let err = expand(&dir.path().join("a/none")).expect_err("no match");
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        let err = expand(&dir.path().join("*/none*")).expect_err("no match");
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }
}
