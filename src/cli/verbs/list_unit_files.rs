//! `sundial list-unit-files [--type=T] [--state=S] [PATTERN...]`: every unit
//! file of the search path with its enablement state and what the preset
//! files say about it, as `systemctl list-unit-files` prints them. Read from
//! the files on disk: no daemon is asked, so it works whether one runs or
//! not.

use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;

use super::table::Table;
use super::{print_json, print_text, Connection, Output};
use crate::cli::verify::{system_zones, UnitDirArgs};
use crate::daemon::handlers::glob_match;
use crate::unit::preset::{preset_dirs, Presets};
use crate::unit::unit_files::{list_unit_files, UnitFile};

const EXAMPLES: &str = "Examples:\n  \
    $ sundial list-unit-files\n  \
    UNIT FILE      STATE    PRESET\n  \
    backup.service static   -\n  \
    backup.timer   enabled  enabled\n  \
    \n  \
    2 unit files listed.\n  \
    $ sundial list-unit-files --state=enabled --type=timer\n  \
    $ sundial list-unit-files 'backup*' -o json";

/// Arguments of `sundial list-unit-files`.
#[derive(Debug, clap::Args)]
#[command(
    about = "List unit files and whether they are enabled",
    long_about = "List the unit files of the unit directories with their state (enabled, \
                  disabled, static, indirect, alias, masked, linked) and their preset, as \
                  systemctl list-unit-files does. The files are read from disk, whether a \
                  daemon runs or not. Presets come from systemd-style *.preset files in a \
                  -preset directory beside each unit directory (/etc/sundial/system-preset, \
                  /usr/lib/sundial/system-preset; the user-preset ones for --user; \
                  DIR-preset for --unit-dir DIR): the first rule that matches decides, and \
                  without one a unit is preset to enabled, as in systemd. Exits 1 when no \
                  unit file is listed.",
    after_long_help = EXAMPLES
)]
pub struct Args {
    /// Only unit files of these types (service, timer, target, ...).
    #[arg(short = 't', long = "type", value_name = "TYPE", value_delimiter = ',')]
    pub types: Vec<String>,
    /// Only unit files in these states (enabled, disabled, static, ...).
    #[arg(long = "state", value_name = "STATE", value_delimiter = ',')]
    pub states: Vec<String>,
    /// Leave out the header and the count.
    #[arg(long)]
    pub no_legend: bool,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = Output::Short)]
    pub output: Output,
    /// Read unit files from DIR (repeatable) instead of the default
    /// directories of the scope.
    #[arg(long = "unit-dir", value_name = "DIR")]
    pub unit_dirs: Vec<PathBuf>,
    /// Only unit files whose names match these glob patterns.
    #[arg(value_name = "PATTERN")]
    pub patterns: Vec<String>,
    #[command(flatten)]
    pub connection: Connection,
}

/// One row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// The unit file's name.
    pub unit_file: String,
    /// Its state.
    pub state: &'static str,
    /// What the presets say, where systemctl shows it.
    pub preset: Option<&'static str>,
}

/// Runs `sundial list-unit-files`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(bad) = args
        .types
        .iter()
        .find(|t| crate::unit::UnitType::from_suffix(t).is_none())
    {
        anyhow::bail!("unknown unit type '{bad}' in --type");
    }
    let dirs = UnitDirArgs {
        unit_dirs: args.unit_dirs.clone(),
        user: args.connection.user,
        system: args.connection.system,
    };
    let zones = system_zones();
    let cx = dirs.load_context(&zones);
    let presets = Presets::load(&preset_dirs(&cx.search_path.dirs));
    for problem in &presets.problems {
        eprintln!("{problem}");
    }
    let rows: Vec<Row> = list_unit_files(&cx)
        .iter()
        .filter(|f| wanted(f, &args))
        .map(|f| Row {
            unit_file: f.name.clone(),
            state: f.state.as_str(),
            preset: f
                .state
                .shows_preset()
                .then(|| presets.query(&f.name).as_str()),
        })
        .collect();
    if args.output.is_json() {
        print_json(args.output, &rows)?;
    } else {
        print_text(&format_rows(&rows, !args.no_legend))?;
    }
    // systemctl: nothing listed is a failure.
    Ok(if rows.is_empty() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn wanted(file: &UnitFile, args: &Args) -> bool {
    let suffix = file.name.rsplit_once('.').map_or("", |(_, s)| s);
    (args.types.is_empty() || args.types.iter().any(|t| t == suffix))
        && (args.states.is_empty() || args.states.iter().any(|s| s == file.state.as_str()))
        && (args.patterns.is_empty() || args.patterns.iter().any(|p| glob_match(p, &file.name)))
}

/// The table and its count, as systemctl prints them.
pub fn format_rows(rows: &[Row], legend: bool) -> String {
    let mut table = Table::new(&["unit file", "state", "preset"]);
    if !legend {
        table.hide_header();
    }
    for row in rows {
        table.push(vec![
            row.unit_file.clone(),
            row.state.to_owned(),
            row.preset.unwrap_or("-").to_owned(),
        ]);
    }
    let mut text = table.render();
    if legend {
        text.push_str(&format!("\n{} unit files listed.\n", rows.len()));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_and_count_as_systemctl_prints_them() {
        let rows = [
            Row {
                unit_file: "alias.service".into(),
                state: "alias",
                preset: None,
            },
            Row {
                unit_file: "dis.service".into(),
                state: "disabled",
                preset: Some("enabled"),
            },
        ];
        assert_eq!(
            format_rows(&rows, true),
            "UNIT FILE     STATE    PRESET\n\
             alias.service alias    -\n\
             dis.service   disabled enabled\n\
             \n\
             2 unit files listed.\n"
        );
        assert_eq!(format_rows(&rows[..1], false), "alias.service alias -\n");
        assert_eq!(
            format_rows(&[], true),
            "UNIT FILE STATE PRESET\n\n0 unit files listed.\n"
        );
        assert_eq!(
            serde_json::to_string(&rows[..1]).unwrap(),
            r#"[{"unit_file":"alias.service","state":"alias","preset":null}]"#
        );
    }
}
