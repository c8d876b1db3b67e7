//! docs/ARCHITECTURE.md and the README's layout list name files and modules
//! that exist, so that a move or a rename cannot leave them behind silently.
#![allow(clippy::unwrap_used)]

use std::path::Path;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The text between backticks.
fn code_spans(doc: &str) -> Vec<&str> {
    doc.split('`').skip(1).step_by(2).collect()
}

/// The file and directory paths of the repository a document names.
fn paths(doc: &str) -> Vec<&str> {
    let roots = ["src/", "calendar/", "tests/", "benches/", "docs/"];
    code_spans(doc)
        .into_iter()
        .filter(|s| roots.iter().any(|r| s.starts_with(r)))
        .filter(|s| !s.contains(char::is_whitespace))
        .collect()
}

/// The module paths (`unit::load`, `daemon::state::State`) a document names,
/// of the crate's own top-level modules.
fn module_paths(doc: &str) -> Vec<&str> {
    let top: Vec<String> = std::fs::read_dir(repo().join("src"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .map(|n| n.trim_end_matches(".rs").to_owned())
        .collect();
    code_spans(doc)
        .into_iter()
        .filter(|s| s.contains("::"))
        .filter(|s| {
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
        })
        .filter(|s| top.iter().any(|t| s.split("::").next() == Some(t)))
        .collect()
}

/// Whether `path` is a module of the crate, or an item (a capitalized last
/// segment) declared in one.
fn module_exists(path: &str) -> bool {
    let segments: Vec<&str> = path.split("::").collect();
    let (modules, item) = match segments.split_last() {
        Some((last, rest)) if last.starts_with(char::is_uppercase) => (rest, Some(*last)),
        _ => (&segments[..], None),
    };
    let base = repo().join("src").join(modules.join("/"));
    let file = [base.with_extension("rs"), base.join("mod.rs")]
        .into_iter()
        .find(|f| f.is_file());
    match (file, item) {
        // A module written inline in its parent's file.
        (None, None) => match modules.split_last() {
            Some((last, parent)) if !parent.is_empty() => {
                let parent = repo().join("src").join(parent.join("/"));
                [parent.with_extension("rs"), parent.join("mod.rs")]
                    .iter()
                    .filter_map(|f| std::fs::read_to_string(f).ok())
                    .any(|text| text.contains(&format!("pub mod {last} {{")))
            }
            _ => false,
        },
        (None, Some(_)) => false,
        (Some(_), None) => true,
        (Some(f), Some(item)) => {
            let text = std::fs::read_to_string(f).unwrap();
            ["struct", "enum", "trait", "type"]
                .iter()
                .any(|kind| text.contains(&format!("pub {kind} {item}")))
        }
    }
}

fn missing(doc: &str) -> Vec<String> {
    let files = paths(doc)
        .into_iter()
        .filter(|p| !repo().join(p).exists())
        .map(str::to_owned);
    let modules = module_paths(doc)
        .into_iter()
        .filter(|m| !module_exists(m))
        .map(str::to_owned);
    files.chain(modules).collect()
}

#[test]
fn every_file_and_module_the_architecture_document_names_exists() {
    let doc = read("docs/ARCHITECTURE.md");
    // Enough found that a change of notation cannot empty the check.
    let (files, modules) = (paths(&doc).len(), module_paths(&doc).len());
    assert!(files >= 40, "only {files} paths found");
    assert!(modules >= 20, "only {modules} module paths found");
    assert_eq!(missing(&doc), Vec::<String>::new());
}

#[test]
fn a_file_or_module_that_is_gone_is_caught() {
    let doc = "`src/supervisor/jobs.rs` `src/supervisor/mod.rs` `supervisor::deps` \
               `supervisor::machine` `supervisor::recovery` `supervisor::nothing` \
               `daemon::state::State` `daemon::state::Nothing`";
    assert_eq!(
        missing(doc),
        [
            "src/supervisor/jobs.rs",
            "supervisor::deps",
            "supervisor::nothing",
            "daemon::state::Nothing"
        ]
    );
}

#[test]
fn the_readme_layout_lists_directories_that_exist_and_points_to_the_document() {
    let readme = read("README.md");
    let development = readme
        .split("\n## Development\n")
        .nth(1)
        .expect("README has a Development section");
    let section = development.split("\n## ").next().unwrap();
    assert!(section.contains("docs/ARCHITECTURE.md"));
    let layout = section.split("```").nth(1).expect("a layout block");
    let mut listed = 0;
    // A line that starts with a space goes on with the one above.
    for line in layout
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with(' '))
    {
        let dir = line.split_whitespace().next().unwrap();
        assert!(repo().join(dir).exists(), "README lists {dir}");
        listed += 1;
    }
    assert!(listed >= 8, "only {listed} lines in the layout");
}
