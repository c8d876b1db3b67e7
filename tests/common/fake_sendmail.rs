//! A sendmail stand-in: each message it is given is written, after a line
//! with its arguments, into a file of its own in `DIR/mail`.
#![allow(dead_code, clippy::unwrap_used)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Writes the script into `dir` and returns its path.
pub fn fake_sendmail(dir: &Path) -> PathBuf {
    let mail_dir = dir.join("mail");
    fs::create_dir_all(&mail_dir).unwrap();
    let path = dir.join("sendmail");
    let script = format!(
        "#!/bin/sh\nf=$(mktemp {}/mail.XXXXXX)\n{{ printf 'ARGS:'; printf ' %s' \"$@\"; printf '\\n'; cat; }} > \"$f\"\n",
        mail_dir.display()
    );
    fs::write(&path, script).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}
