//! `sundial verify` and `systemd-analyze verify` agree on which unit files in
//! tests/units-compat/ are valid. Skipped (with a message) where
//! systemd-analyze is not installed.

// Test helpers may panic: a failure is the test's verdict.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn compat_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/units-compat")
}

fn known_differences() -> BTreeMap<String, String> {
    let text = fs::read_to_string(compat_dir().join("KNOWN-DIFFERENCES.md")).unwrap();
    text.lines()
        .filter_map(|l| l.strip_prefix("- "))
        .filter_map(|l| l.split_once(": "))
        .filter(|(name, _)| !name.contains(' ') && name.contains('.'))
        .map(|(n, r)| (n.to_owned(), r.to_owned()))
        .collect()
}

fn unit_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".service") || n.ends_with(".timer") || n.ends_with(".target"))
        .collect();
    names.sort();
    names
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        let ft = entry.file_type().unwrap();
        if ft.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(entry.path()).unwrap(), &target).unwrap();
        } else if ft.is_dir() {
            fs::create_dir(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn systemd_analyze_available() -> bool {
    Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Exit statuses of both tools for every unit file of `dir`, run in a
/// temporary copy.
fn compare(dir: &Path) -> Vec<(String, bool, bool)> {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(dir, tmp.path());
    unit_files(tmp.path())
        .into_iter()
        .map(|name| {
            let arg = format!("./{name}");
            let systemd = Command::new("systemd-analyze")
                .args(["verify", "--man=no", &arg])
                .current_dir(tmp.path())
                .env("SYSTEMD_LOG_LEVEL", "err")
                .output()
                .unwrap();
            let sundial = Command::new(env!("CARGO_BIN_EXE_sundial"))
                .args(["verify", &arg])
                .current_dir(tmp.path())
                .env_remove("SUNDIAL_UNIT_PATH")
                .output()
                .unwrap();
            (name, sundial.status.success(), systemd.status.success())
        })
        .collect()
}

#[test]
fn verify_agrees_with_systemd_analyze() {
    let dir = compat_dir();
    let files = unit_files(&dir);
    assert!(files.len() >= 50, "only {} compat cases", files.len());
    if !systemd_analyze_available() {
        eprintln!("systemd-analyze not found: skipping the comparison");
        return;
    }
    let known = known_differences();
    let mut problems = Vec::new();
    for (name, sundial_ok, systemd_ok) in compare(&dir) {
        let differs = sundial_ok != systemd_ok;
        match (differs, known.get(&name)) {
            (true, None) => problems.push(format!(
                "{name}: sundial says {}, systemd-analyze says {}",
                if sundial_ok { "valid" } else { "invalid" },
                if systemd_ok { "valid" } else { "invalid" }
            )),
            (false, Some(reason)) => problems.push(format!(
                "{name}: listed as a known difference ({reason}) but both agree now"
            )),
            _ => {}
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn examples_agree_with_systemd_analyze() {
    if !systemd_analyze_available() {
        eprintln!("systemd-analyze not found: skipping the comparison");
        return;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/units");
    let results = compare(&dir);
    assert!(results.len() >= 20);
    let disagreements: Vec<String> = results
        .iter()
        .filter(|(_, a, b)| a != b)
        .map(|(n, a, b)| format!("{n}: sundial valid={a}, systemd-analyze valid={b}"))
        .collect();
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}
