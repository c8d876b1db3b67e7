//! `sundial cat UNIT|PATTERN...`: print unit files and their drop-ins, each
//! headed by its path, as `systemctl cat` does: several units one after
//! the other, a glob pattern as the unit files it matches.

use std::fs;
use std::io::{self, Write};
use std::process::ExitCode;

use crate::cli::verbs::mangle_unit_name;
use crate::cli::verify::{InertConnection, UnitDirArgs};
use crate::unit::{host, Lookup, UnitIndex, UnitName};

/// Arguments of `sundial cat`.
#[derive(Debug, clap::Args)]
#[command(
    after_long_help = "Examples:\n  $ sundial cat backup.timer backup.service\n  $ sundial cat 'backup*'"
)]
pub struct Args {
    /// Unit names (a name without suffix means NAME.service) or glob
    /// patterns matched against the unit files.
    #[arg(required = true, value_name = "UNIT")]
    pub units: Vec<String>,
    #[command(flatten)]
    pub dirs: UnitDirArgs,
    #[command(flatten)]
    pub inert: InertConnection,
}

/// Runs `sundial cat`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let search = host::search_path(args.dirs.scope(), &args.dirs.unit_dirs);
    let index = UnitIndex::scan(&search);
    let mut out = io::stdout().lock();
    let mut failed = false;
    let mut first = true;
    for arg in expand_patterns(&index, &args.units) {
        let name = match UnitName::parse(&arg) {
            Ok(n) => n,
            Err(e) => {
                eprintln!("sundial: {e}");
                failed = true;
                continue;
            }
        };
        match index.lookup(&name) {
            Lookup::Found {
                name: canonical,
                fragment,
                aliases,
            } => {
                let mut files = vec![fragment];
                files.extend(index.dropins(&canonical, &aliases));
                for file in files {
                    let bytes = fs::read(&file)?;
                    // systemctl: a blank line before every file but the first.
                    if !first {
                        out.write_all(b"\n")?;
                    }
                    first = false;
                    // systemctl names files by absolute path, whatever
                    // --unit-dir was relative to.
                    let shown = std::path::absolute(&file).unwrap_or(file.clone());
                    writeln!(out, "# {}", shown.display())?;
                    out.write_all(&bytes)?;
                }
            }
            // systemctl says so in the output, as a comment, and goes on.
            Lookup::Masked(_) => writeln!(out, "# Unit {name} is masked.")?,
            Lookup::NotFound => {
                eprintln!("No files found for {name}.");
                failed = true;
            }
        }
    }
    out.flush()?;
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The names to print: each argument completed as systemctl completes it,
/// a glob pattern replaced by the unit files it matches (sorted; none: no
/// name, and no error, as with systemctl).
fn expand_patterns(index: &UnitIndex, args: &[String]) -> Vec<String> {
    let mut names = Vec::new();
    for arg in args {
        let name = mangle_unit_name(arg);
        if !crate::daemon::handlers::is_glob(&name) {
            names.push(name);
            continue;
        }
        let mut matched: Vec<String> = index
            .names()
            .filter(|n| crate::daemon::handlers::glob_match(&name, n))
            .map(str::to_owned)
            .collect();
        matched.sort();
        matched.dedup();
        names.extend(matched);
    }
    names
}
