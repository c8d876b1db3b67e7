//! `sundial crontab -l | -e | -r | FILE` on the caller's own crontab, and
//! `sundial crontab -t LINE`, through the real binary with `HOME` and
//! `XDG_CONFIG_HOME` in a temp dir and a scripted `EDITOR`.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

struct Home {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Home {
    fn new() -> Home {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        Home { _dir: dir, root }
    }

    fn crontab(&self) -> PathBuf {
        self.root.join("config/sundial/crontab")
    }

    /// `sundial crontab --user ARGS` as the user of this home, with no
    /// daemon at the socket it would tell.
    fn run(&self, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sundial"));
        cmd.arg("crontab")
            .arg("--user")
            .arg("--socket")
            .arg(self.root.join("no-daemon.sock"))
            .args(args)
            .env("HOME", &self.root)
            .env("XDG_CONFIG_HOME", self.root.join("config"))
            .env("TMPDIR", &self.root)
            .env("TZ", "UTC")
            .env_remove("VISUAL")
            .env_remove("EDITOR")
            .env_remove("SENDMAIL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    /// An editor script: the n-th call writes `versions[n]` into the file
    /// (the last one for later calls) and counts the calls.
    fn editor(&self, versions: &[&str]) -> PathBuf {
        let mut script = String::from("#!/bin/sh\nn=$(cat \"$0.count\" 2>/dev/null || echo 0)\n");
        script.push_str("echo $((n + 1)) > \"$0.count\"\ncase $n in\n");
        for (i, v) in versions.iter().enumerate() {
            let pattern = if i + 1 == versions.len() {
                "*".to_owned()
            } else {
                i.to_string()
            };
            script.push_str(&format!("{pattern}) cat > \"$1\" <<'EOF'\n{v}EOF\n;;\n"));
        }
        script.push_str("esac\n");
        let path = self.root.join("editor");
        fs::write(&path, script).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    fn editor_calls(&self) -> u32 {
        fs::read_to_string(self.root.join("editor.count"))
            .map(|s| s.trim().parse().unwrap())
            .unwrap_or(0)
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const GOOD: &str = "MAILTO=\"\"\n# nightly backup\n30 2 * * * backup --all\n";
const BROKEN: &str = "MAILTO=\"\"\n30 2 * * 8 backup --all\n";

#[test]
fn list_install_and_remove() {
    let home = Home::new();
    let user = text(&Command::new("id").arg("-un").output().unwrap().stdout);
    let user = user.trim();

    let list = home.run(&["-l"], &[], "");
    assert_eq!(list.status.code(), Some(1));
    assert_eq!(text(&list.stderr), format!("no crontab for {user}\n"));

    let file = home.root.join("mine.cron");
    fs::write(&file, GOOD).unwrap();
    let install = home.run(&[file.to_str().unwrap()], &[], "");
    assert!(install.status.success(), "{}", text(&install.stderr));
    assert!(
        text(&install.stderr).contains("no daemon is running"),
        "{}",
        text(&install.stderr)
    );
    assert_eq!(fs::read_to_string(home.crontab()).unwrap(), GOOD);
    let list = home.run(&["-l"], &[], "");
    assert_eq!(text(&list.stdout), GOOD);

    // A broken file is refused and the installed one stays.
    fs::write(&file, BROKEN).unwrap();
    let refused = home.run(&[file.to_str().unwrap()], &[], "");
    assert_eq!(refused.status.code(), Some(1));
    let stderr = text(&refused.stderr);
    assert!(
        stderr.contains(&format!("{}:2:", file.display())),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("Invalid crontab file, can't install.\n"),
        "{stderr}"
    );
    assert_eq!(fs::read_to_string(home.crontab()).unwrap(), GOOD);

    // Standard input; six fields are fine in sundial's own crontab.
    let six = "MAILTO=\"\"\n*/10 * * * * * date\n";
    assert!(home.run(&["-"], &[], six).status.success());
    assert_eq!(fs::read_to_string(home.crontab()).unwrap(), six);

    // -ri asks; anything but y keeps it.
    let kept = home.run(&["-r", "-i"], &[], "n\n");
    assert!(kept.status.success());
    assert_eq!(
        text(&kept.stdout),
        format!("crontab: really delete {user}'s crontab? ")
    );
    assert!(home.crontab().exists());
    assert!(home.run(&["-r", "-i"], &[], "y\n").status.success());
    assert!(!home.crontab().exists());
    let again = home.run(&["-r"], &[], "");
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(text(&again.stderr), format!("no crontab for {user}\n"));
}

#[test]
fn edit_refuses_a_broken_crontab_and_offers_to_retry() {
    let home = Home::new();
    let editor = home.editor(&[BROKEN, GOOD]);
    let edit = home.run(&["-e"], &[("EDITOR", editor.to_str().unwrap())], "y\n");
    let (stdout, stderr) = (text(&edit.stdout), text(&edit.stderr));
    assert!(edit.status.success(), "{stderr}");
    assert_eq!(home.editor_calls(), 2);
    assert_eq!(stdout, "Do you want to retry the same edit? (Y/N) ");
    assert!(stderr.contains("- using an empty one\n"), "{stderr}");
    assert!(stderr.contains(":2:12: expected a weekday"), "{stderr}");
    assert!(
        stderr.contains("Invalid crontab file, can't install.\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("sundial: installing new crontab\n"),
        "{stderr}"
    );
    assert_eq!(fs::read_to_string(home.crontab()).unwrap(), GOOD);
    // The temporary copy is gone.
    let left: Vec<_> = fs::read_dir(&home.root)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("crontab."))
        .collect();
    assert!(left.is_empty());
}

#[test]
fn edit_declined_keeps_the_old_crontab_and_the_edits() {
    let home = Home::new();
    fs::create_dir_all(home.crontab().parent().unwrap()).unwrap();
    fs::write(home.crontab(), GOOD).unwrap();
    let editor = home.editor(&[BROKEN]);
    // VISUAL wins over EDITOR.
    let edit = home.run(
        &["-e"],
        &[
            ("VISUAL", editor.to_str().unwrap()),
            ("EDITOR", "/bin/false"),
        ],
        "maybe\nn\n",
    );
    assert_eq!(edit.status.code(), Some(1));
    let stderr = text(&edit.stderr);
    assert!(stderr.contains("Enter Y or N\n"), "{stderr}");
    let left = stderr
        .lines()
        .find_map(|l| l.strip_prefix("sundial: edits left in "))
        .unwrap();
    assert_eq!(fs::read_to_string(left).unwrap(), BROKEN);
    assert_eq!(fs::read_to_string(home.crontab()).unwrap(), GOOD);

    // Leaving the editor without a change installs nothing.
    let same = home.run(&["-e"], &[("EDITOR", "true")], "");
    assert!(same.status.success());
    assert_eq!(text(&same.stderr), "sundial: no changes made to crontab\n");
    // An editor that fails stops the edit.
    let failed = home.run(&["-e"], &[("EDITOR", "false")], "");
    assert_eq!(failed.status.code(), Some(1));
    assert!(text(&failed.stderr).contains("exited with status 1"));
}

#[test]
fn translate_one_line() {
    let home = Home::new();
    let t = home.run(&["-t", "30 4 1,15 * fri  echo hi"], &[], "");
    let stdout = text(&t.stdout);
    assert!(t.status.success(), "{}", text(&t.stderr));
    assert!(stdout.starts_with("==> echo-hi.timer <==\n"), "{stdout}");
    assert!(stdout.contains("OnCalendar=*-*-01,15 04:30:00\nOnCalendar=Fri *-*-* 04:30:00\n"));
    assert!(stdout.contains("==> echo-hi.service <==\n"));
    let elapses: Vec<&str> = stdout
        .split("Next 5 elapses:\n")
        .nth(1)
        .unwrap()
        .lines()
        .collect();
    assert_eq!(elapses.len(), 5, "{stdout}");
    for e in &elapses {
        let day: u32 = e.split('-').nth(2).unwrap()[..2].parse().unwrap();
        assert!(e.starts_with("  Fri ") || day == 1 || day == 15, "{e}");
        assert!(e.ends_with(" 04:30:00 UTC"), "{e}");
    }
    let mut sorted = elapses.clone();
    sorted.sort_by_key(|e| e[6..].to_owned());
    assert_eq!(sorted, elapses);

    // The same through `translate`, for a system line and for @reboot.
    let t = home.run(
        &[
            "translate",
            "--system",
            "--kind",
            "system",
            "@reboot root /usr/bin/warm-cache",
        ],
        &[],
        "",
    );
    let stdout = text(&t.stdout);
    assert!(
        stdout.contains("OnBootSec=0\n") && stdout.contains("User=root\n"),
        "{stdout}"
    );
    assert!(stdout.contains("Runs once at every boot"));

    let bad = home.run(&["-t", "0 25 * * * x"], &[], "");
    assert_eq!(bad.status.code(), Some(1));
    assert_eq!(
        text(&bad.stderr).lines().collect::<Vec<_>>(),
        [
            "(line):1:3: hour 25 out of range 0-23",
            "  0 25 * * * x",
            "    ^"
        ]
    );
}

#[test]
fn without_an_action_crontab_says_what_it_needs() {
    let home = Home::new();
    let none = home.run(&[], &[], "");
    assert_eq!(none.status.code(), Some(1));
    assert!(text(&none.stderr).contains("file name or - (for standard input) must be specified"));
    let both = home.run(&["-l", "-r"], &[], "");
    assert_eq!(both.status.code(), Some(2), "clap refuses two actions");
    let mixed = home.run(&["-l", "import"], &[], "");
    assert_eq!(mixed.status.code(), Some(1));
    assert!(text(&mixed.stderr).contains("go without a command"));
}

#[test]
fn scope_flags_before_the_command_choose_the_crontab() {
    let home = Home::new();
    fs::create_dir_all(home.crontab().parent().unwrap()).unwrap();
    fs::write(home.crontab(), GOOD).unwrap();
    // `sundial --user crontab -l` is `sundial crontab --user -l`: as root it
    // must not fall back to the system's crontab.
    let out = Command::new(env!("CARGO_BIN_EXE_sundial"))
        .args(["--user", "--socket"])
        .arg(home.root.join("no-daemon.sock"))
        .args(["crontab", "-l"])
        .env("HOME", &home.root)
        .env("XDG_CONFIG_HOME", home.root.join("config"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), GOOD);
}
