//! A system import (as root) writes each spool crontab's units into that
//! user's own unit directory, owned by the user, and does it with the
//! user's rights: a symlink the user planted in their home cannot make root
//! write outside it.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Output};

fn import(tmp: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sundial"))
        .args(["crontab", "import", "--system", "--root"])
        .arg(tmp.join("root"))
        .env("SUNDIAL_UNIT_PATH", tmp.join("units"))
        .env_remove("SUNDIAL_SOCKET")
        .env("TZ", "UTC")
        .output()
        .unwrap()
}

fn home(tmp: &Path, user: &str, uid: u32) -> std::path::PathBuf {
    let home = tmp.join("home").join(user);
    fs::create_dir_all(&home).unwrap();
    std::os::unix::fs::chown(&home, Some(uid), Some(uid)).unwrap();
    home
}

#[test]
fn spool_crontabs_go_to_their_users_and_are_written_with_their_rights() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: writing into other users' homes needs root");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let tmp = tmp.path();
    fs::set_permissions(tmp, fs::Permissions::from_mode(0o755)).unwrap();
    fs::create_dir_all(tmp.join("home")).unwrap();
    let etc = tmp.join("root/etc");
    let spool = tmp.join("root/var/spool/cron/crontabs");
    fs::create_dir_all(&etc).unwrap();
    fs::create_dir_all(&spool).unwrap();
    fs::write(
        etc.join("passwd"),
        format!(
            "root:x:0:0:root:/root:/bin/sh\n\
             bob:x:65534:65534:Bob:{0}/home/bob:/bin/sh\n\
             eve:x:65533:65533:Eve:{0}/home/eve:/bin/sh\n",
            tmp.display()
        ),
    )
    .unwrap();
    fs::write(
        spool.join("bob"),
        "MAILTO=\"\"\n# bob's job\n0 1 * * * true\n",
    )
    .unwrap();

    let bob = home(tmp, "bob", 65534);
    let out = import(tmp);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = bob.join(".config/sundial/user");
    for name in ["bob-s-job.timer", "bob-s-job.service"] {
        let meta = fs::symlink_metadata(dir.join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}; {:?}", fs::read_dir(&dir).map(|d| d.count())));
        assert_eq!((meta.uid(), meta.gid()), (65534, 65534), "{name}");
    }
    for d in [
        bob.join(".config"),
        bob.join(".config/sundial"),
        dir.clone(),
    ] {
        assert_eq!(fs::metadata(&d).unwrap().uid(), 65534, "{}", d.display());
    }
    assert!(dir.join("timers.target.wants/bob-s-job.timer").exists());
    assert!(
        !tmp.join("units/bob-s-job.timer").exists(),
        "a user's job is no system unit"
    );

    // Eve points her ~/.config at a directory of root's.
    let victim = tmp.join("victim");
    fs::create_dir_all(&victim).unwrap();
    let eve = home(tmp, "eve", 65533);
    symlink(&victim, eve.join(".config")).unwrap();
    fs::write(
        spool.join("eve"),
        "MAILTO=\"\"\n# eve's job\n0 2 * * * true\n",
    )
    .unwrap();
    let out = import(tmp);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("Permission denied"), "{err}");
    assert_eq!(
        fs::read_dir(&victim).unwrap().count(),
        0,
        "root wrote through eve's symlink"
    );
}
