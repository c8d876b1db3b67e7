//! `sundial security [UNIT...]`: how exposed services are, rated as
//! `systemd-analyze security` rates them (see `unit::exposure`), from the
//! unit files; no daemon is asked.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::bail;

use super::verify::{system_zones, InertConnection, UnitDirArgs};
use crate::unit::exposure::{assess, Assessment};
use crate::unit::load::{load_units, UnitIndex};
use crate::unit::name::UnitName;
use crate::unit::search_path::SearchPath;
use crate::unit::{load_all, Unit};

/// Arguments of `sundial security`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Rate how exposed services are, setting by setting (like systemd-analyze security)",
    after_long_help = "Examples:\n  $ sundial security ./backup.service\n  $ sundial security --unit-dir examples/units"
)]
pub struct Args {
    /// Service files (paths) or names; all loaded services when none is given.
    #[arg(value_name = "FILE|UNIT")]
    pub units: Vec<String>,
    #[command(flatten)]
    pub dirs: UnitDirArgs,
    #[command(flatten)]
    pub inert: InertConnection,
}

/// Runs `sundial security`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let zones = system_zones();
    let mut cx = args.dirs.load_context(&zones);
    let mut out = io::stdout().lock();
    if args.units.is_empty() {
        let loaded = load_all(&cx);
        writeln!(out, "{:<40} {:>8} PREDICATE", "UNIT", "EXPOSURE")?;
        for s in loaded.services() {
            let a = assess(s);
            writeln!(
                out,
                "{:<40} {:>8} {}",
                s.name.as_str(),
                exposure(&a),
                a.label()
            )?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut dirs: Vec<PathBuf> = Vec::new();
    let mut names = Vec::new();
    for arg in &args.units {
        let path = Path::new(arg);
        let name = if arg.contains('/') || path.is_file() {
            let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
            let dir = dir.unwrap_or(Path::new("."));
            dirs.push(std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf()));
            path.file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default()
        } else {
            arg.clone()
        };
        match UnitName::parse(&name) {
            Ok(n) => names.push(n),
            Err(e) => bail!("{arg}: invalid unit name: {e}"),
        }
    }
    dirs.extend(cx.search_path.dirs.iter().cloned());
    cx.search_path = SearchPath::build(&dirs, None, Vec::new());
    let index = UnitIndex::scan(&cx.search_path);
    let loaded = load_units(&cx, &index, &names);
    for (i, name) in names.iter().enumerate() {
        let Some(Unit::Service(s)) = loaded.get(name.as_str()) else {
            bail!("{name}: not a loaded service unit");
        };
        if i > 0 {
            writeln!(out)?;
        }
        table(&mut out, name.as_str(), &assess(s))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The exposure 0-100 as systemd shows it: 0.0-10.0.
fn exposure(a: &Assessment) -> String {
    format!("{}.{}", a.exposure / 10, a.exposure % 10)
}

fn table(out: &mut impl Write, unit: &str, a: &Assessment) -> io::Result<()> {
    let weight_sum: u64 = a
        .rows
        .iter()
        .filter(|r| r.badness.is_some())
        .map(|r| r.weight)
        .sum();
    writeln!(out, "  {:<45} {:<80} EXPOSURE", "NAME", "DESCRIPTION")?;
    for r in &a.rows {
        let (mark, share) = match r.badness {
            None => ("-", String::new()),
            Some(b) => {
                // systemd: the row's share of the overall exposure.
                let x = (b * r.weight * 100)
                    .div_ceil(r.range)
                    .div_ceil(weight_sum.max(1));
                let mark = if b == 0 { "✓" } else { "✗" };
                (
                    mark,
                    if b == 0 {
                        String::new()
                    } else {
                        format!("{}.{}", x / 10, x % 10)
                    },
                )
            }
        };
        writeln!(out, "{mark} {:<45} {:<80} {share}", r.name, r.description)?;
    }
    writeln!(
        out,
        "\n→ Overall exposure level for {unit}: {} {}",
        exposure(a),
        a.label()
    )
}
