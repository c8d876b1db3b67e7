//! Issue 12, item 8: the manual. On a terminal `sundial man [COMMAND]` and
//! `sundial help COMMAND` show the page through `man -l` (a fake man here,
//! first in PATH, records what it was given); elsewhere `man` prints roff
//! and `help` the `--help` text. The config file's keys are in the manual
//! and the README.

use std::fs::{self, File, OpenOptions};
use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const SUNDIAL: &str = env!("CARGO_BIN_EXE_sundial");

/// A pseudo-terminal: the master and the slave's path.
fn pty() -> (File, PathBuf) {
    // SAFETY: plain calls on a descriptor this function owns; ptsname's
    // static buffer is copied before anything else can call it.
    unsafe {
        let fd = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
        assert!(fd >= 0, "posix_openpt");
        let master = OwnedFd::from_raw_fd(fd);
        assert_eq!(libc::grantpt(fd), 0, "grantpt");
        assert_eq!(libc::unlockpt(fd), 0, "unlockpt");
        let name = libc::ptsname(fd);
        assert!(!name.is_null(), "ptsname");
        let path = std::ffi::CStr::from_ptr(name)
            .to_string_lossy()
            .into_owned();
        (File::from(master), PathBuf::from(path))
    }
}

/// A directory with a fake `man` that writes its arguments and the file it
/// was given into `out`.
struct FakeMan {
    dir: tempfile::TempDir,
}

impl FakeMan {
    fn new() -> FakeMan {
        let man = FakeMan {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        fs::create_dir(man.bin()).expect("bin");
        fs::create_dir(man.out()).expect("out");
        let script = man.bin().join("man");
        fs::write(
            &script,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$@\" > {out}/args\ncat \"$2\" > {out}/page\n",
                out = man.out().display()
            ),
        )
        .expect("script");
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).expect("chmod");
        man
    }

    fn bin(&self) -> PathBuf {
        self.dir.path().join("bin")
    }

    fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    /// `sundial ARGS` with the fake man first in PATH and stdout on a
    /// terminal; returns its exit code and stderr.
    fn on_terminal(&self, args: &[&str], path: &str) -> (i32, String, String) {
        let (master, slave) = pty();
        let stdout = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&slave)
            .expect("open the terminal");
        let out = Command::new(SUNDIAL)
            .args(args)
            .env("PATH", path)
            .env_remove("MANPAGER")
            .env_remove("PAGER")
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn sundial");
        // Read the terminal while it writes, so that a page printed there
        // does not fill the terminal's buffer; the read ends when the last
        // writer closes it (EIO).
        let reader = std::thread::spawn(move || {
            let mut text = Vec::new();
            let mut master = master;
            let _ = master.read_to_end(&mut text);
            String::from_utf8_lossy(&text).replace("\r\n", "\n")
        });
        let out = out.wait_with_output().expect("wait");
        let shown = reader.join().expect("reader");
        (
            out.status.code().unwrap_or(-1),
            shown,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// What the fake man was given: its arguments and the page's text.
    fn given(&self) -> Option<(Vec<String>, String)> {
        let args = fs::read_to_string(self.out().join("args")).ok()?;
        let page = fs::read_to_string(self.out().join("page")).ok()?;
        Some((args.lines().map(str::to_owned).collect(), page))
    }

    fn path_with_man(&self) -> String {
        format!("{}:/usr/bin:/bin", self.bin().display())
    }
}

fn piped(args: &[&str], path: &str) -> Output {
    Command::new(SUNDIAL)
        .args(args)
        .env("PATH", path)
        .output()
        .expect("run sundial")
}

#[test]
fn on_a_terminal_man_and_help_show_the_command_page_through_man() {
    for args in [&["man", "list-timers"][..], &["help", "list-timers"][..]] {
        let man = FakeMan::new();
        let (code, _, stderr) = man.on_terminal(args, &man.path_with_man());
        assert_eq!((code, stderr.as_str()), (0, ""), "{args:?}");
        let (given, page) = man
            .given()
            .unwrap_or_else(|| panic!("{args:?}: man not run"));
        assert_eq!(given[0], "-l", "{args:?}");
        let file = Path::new(&given[1]);
        assert_eq!(
            file.file_name().and_then(|n| n.to_str()),
            Some("sundial-list-timers.1")
        );
        assert!(
            page.contains("\n.TH sundial-list-timers 1 "),
            "{args:?}: {page}"
        );
        // The temporary page is gone.
        assert!(!file.exists(), "{}", file.display());
    }
    let man = FakeMan::new();
    let (code, _, _) = man.on_terminal(&["man"], &man.path_with_man());
    assert_eq!(code, 0);
    let (_, page) = man.given().expect("man ran");
    assert!(page.contains("\n.TH sundial 1 "), "{page}");
}

#[test]
fn elsewhere_man_prints_roff_and_help_the_help_text() {
    let man = FakeMan::new();
    let roff = piped(&["man", "list-timers"], &man.path_with_man());
    assert!(roff.status.success());
    let text = String::from_utf8_lossy(&roff.stdout);
    assert!(text.contains("\n.TH sundial-list-timers 1 "), "{text}");
    let help = piped(&["help", "list-timers"], &man.path_with_man());
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(
        text.contains("Usage: sundial list-timers [OPTIONS] [PATTERN]..."),
        "{text}"
    );
    let same = piped(&["list-timers", "--help"], &man.path_with_man());
    assert_eq!(text, String::from_utf8_lossy(&same.stdout));
    assert_eq!(man.given(), None, "man must not run without a terminal");

    // crontab's own help is sundial's too (not a crontab FILE named help).
    let nested_help = piped(&["crontab", "help", "import"], &man.path_with_man());
    let nested_flag = piped(&["crontab", "import", "--help"], &man.path_with_man());
    assert!(nested_help.status.success(), "{nested_help:?}");
    assert_eq!(nested_help.stdout, nested_flag.stdout);

    // A nested command, and one that does not exist.
    let nested = piped(&["man", "crontab", "import"], &man.path_with_man());
    assert!(String::from_utf8_lossy(&nested.stdout).contains(".TH sundial-crontab-import 1 "));
    let nope = piped(&["help", "nope"], &man.path_with_man());
    assert_eq!(nope.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&nope.stderr),
        "sundial: No manual entry for sundial-nope (`sundial --help` lists the commands)\n"
    );

    // Without man, a terminal gets the roff source, and is told why.
    let empty = tempfile::tempdir().expect("temp dir");
    let (code, shown, stderr) =
        man.on_terminal(&["man", "status"], &empty.path().display().to_string());
    assert_eq!(code, 0);
    assert!(shown.contains(".TH sundial-status 1 "), "{shown}");
    assert!(stderr.contains("man is not installed"), "{stderr}");
}

#[test]
fn the_config_keys_are_in_the_manual_and_the_readme() {
    let readme = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let page = String::from_utf8(piped(&["man", "daemon"], "/usr/bin:/bin").stdout).expect("UTF-8");
    for key in sundial::daemon::config::KEYS {
        assert!(
            page.contains(&format!("[{}] {}", key.section, key.key)),
            "sundial-daemon(1) lacks {}",
            key.key
        );
        assert!(
            readme.contains(&format!("`{}`", key.key)),
            "README.md lacks `{}`",
            key.key
        );
    }
}
