//! The completions and man pages checked in under contrib/ are what the
//! current command line generates. They are generated files kept in the
//! repository for packagers who do not build sundial; when a command, flag or
//! help text changes, `contrib/regenerate.sh` brings them up to date, and
//! this test says so until it has been run.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const REGENERATE: &str = "run `contrib/regenerate.sh` (it runs `cargo run -- completions \
     bash|zsh|fish > contrib/completions/sundial.SHELL` and `cargo run -- man --dir \
     contrib/man`) and commit the result";

fn sundial(args: &[&str]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_sundial"))
        .args(args)
        .output()
        .expect("the sundial binary runs");
    assert!(
        out.status.success(),
        "sundial {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn contrib() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib")
}

/// Where `checked_in` and `generated` first differ, for the message.
fn first_difference(checked_in: &[u8], generated: &[u8]) -> String {
    let old = String::from_utf8_lossy(checked_in);
    let new = String::from_utf8_lossy(generated);
    let mut old_lines = old.lines();
    let mut new_lines = new.lines();
    for line in 1.. {
        match (old_lines.next(), new_lines.next()) {
            (Some(a), Some(b)) if a == b => continue,
            (None, None) => return "differs in line endings".to_owned(),
            (a, b) => {
                return format!(
                    "line {line}: checked in {:?}, generated {:?}",
                    a.unwrap_or("<end of file>"),
                    b.unwrap_or("<end of file>")
                )
            }
        }
    }
    unreachable!("the loop returns")
}

/// Compares one generated file with its checked-in copy; a problem is
/// pushed to `stale`.
fn compare(path: &Path, generated: &[u8], stale: &mut Vec<String>) {
    let shown = path
        .strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(path)
        .display()
        .to_string();
    match fs::read(path) {
        Err(e) => stale.push(format!("{shown}: cannot read it ({e})")),
        Ok(checked_in) if checked_in != generated => stale.push(format!(
            "{shown} is stale: {}",
            first_difference(&checked_in, generated)
        )),
        Ok(_) => {}
    }
}

fn fail_if_stale(stale: Vec<String>) {
    assert!(
        stale.is_empty(),
        "the generated files under contrib/ no longer match the command line:\n  {}\n\
         To fix it, {REGENERATE}.",
        stale.join("\n  ")
    );
}

#[test]
fn completions_are_up_to_date() {
    let mut stale = Vec::new();
    for shell in ["bash", "zsh", "fish"] {
        let generated = sundial(&["completions", shell]);
        assert!(!generated.is_empty(), "no {shell} completions generated");
        let path = contrib()
            .join("completions")
            .join(format!("sundial.{shell}"));
        compare(&path, &generated, &mut stale);
    }
    fail_if_stale(stale);
}

/// The `*.1` files in `dir` by name; none when `dir` does not exist.
fn man_pages(dir: &Path) -> BTreeMap<String, PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "1"))
        .map(|path| {
            let name = path
                .file_name()
                .expect("a listed file has a name")
                .to_string_lossy()
                .into_owned();
            (name, path)
        })
        .collect()
}

#[test]
fn man_pages_are_up_to_date() {
    let temp = tempfile::tempdir().expect("a temporary directory");
    let out = temp.path().join("man");
    let out_arg = out.to_str().expect("the temporary path is UTF-8");
    sundial(&["man", "--dir", out_arg]);
    let generated = man_pages(&out);
    assert!(
        generated.contains_key("sundial.1") && generated.contains_key("sundial-daemon.1"),
        "sundial man --dir wrote {:?}",
        generated.keys().collect::<Vec<_>>()
    );

    let checked_in_dir = contrib().join("man");
    let checked_in = man_pages(&checked_in_dir);
    let mut stale = Vec::new();
    for (name, path) in &generated {
        let text = fs::read(path).expect("a generated page is readable");
        compare(&checked_in_dir.join(name), &text, &mut stale);
    }
    for name in checked_in.keys().filter(|n| !generated.contains_key(*n)) {
        stale.push(format!(
            "contrib/man/{name} documents a command that no longer exists"
        ));
    }
    fail_if_stale(stale);
}

/// `sundial man` without --dir prints the page that --dir writes as sundial.1.
#[test]
fn man_without_dir_prints_the_main_page() {
    let printed = sundial(&["man"]);
    let temp = tempfile::tempdir().expect("a temporary directory");
    let out_arg = temp.path().to_str().expect("the temporary path is UTF-8");
    sundial(&["man", "--dir", out_arg]);
    let written = fs::read(temp.path().join("sundial.1")).expect("sundial.1 is written");
    assert_eq!(
        String::from_utf8_lossy(&printed),
        String::from_utf8_lossy(&written)
    );
    let text = String::from_utf8_lossy(&printed);
    assert!(text.contains("\n.TH sundial 1 "), "roff source: {text}");
}
