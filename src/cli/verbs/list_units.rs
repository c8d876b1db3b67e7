//! `sundial list-units [--all] [--type=T] [--state=S] [PATTERN...]`:
//! systemctl's unit table, UNIT LOAD ACTIVE SUB DESCRIPTION.

use crate::ipc::ListUnitsRequest;
use std::process::ExitCode;

use serde::Serialize;

use super::table::Table;
use super::{print_json, print_text, report_error, unexpected, Connection, Output};
use crate::ipc::types::UnitRow;
use crate::ipc::{Request, Response};

const EXAMPLES: &str = "Examples:\n  \
    $ sundial list-units --type=timer\n  \
    $ sundial list-units --state=failed\n  \
    $ sundial list-units --all 'backup*'\n  \
    $ sundial list-units -o json";

/// Arguments of `sundial list-units`.
#[derive(Debug, clap::Args)]
#[command(
    about = "List loaded units and their states",
    long_about = "List the units the daemon has loaded with their load state, active state, \
                  sub-state and description, as systemctl list-units does. Without --all, \
                  inactive units are left out. --type and --state take comma-separated lists \
                  and may be repeated.",
    after_long_help = EXAMPLES
)]
pub struct Args {
    /// List inactive units too.
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Only units of these types (service, timer, target).
    #[arg(short = 't', long = "type", value_name = "TYPE", value_delimiter = ',')]
    pub types: Vec<String>,
    /// Only units in these load, active or sub-states (failed, running,
    /// inactive, not-found ...).
    #[arg(long = "state", value_name = "STATE", value_delimiter = ',')]
    pub states: Vec<String>,
    /// Leave out the header and the legend.
    #[arg(long)]
    pub no_legend: bool,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = Output::Short)]
    pub output: Output,
    /// Only units whose names match these glob patterns.
    #[arg(value_name = "PATTERN")]
    pub patterns: Vec<String>,
    #[command(flatten)]
    pub connection: Connection,
}

/// Runs `sundial list-units`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // A misspelt type would list nothing and look like an answer.
    if let Some(bad) = args
        .types
        .iter()
        .find(|t| crate::unit::UnitType::from_suffix(t).is_none())
    {
        anyhow::bail!(
            "unknown unit type '{bad}' in --type: expected service, timer, target or another \
             systemd unit type (socket, path, mount ...)"
        );
    }
    let request = Request::ListUnits(ListUnitsRequest {
        all: args.all,
        types: args.types.clone(),
        states: args.states.clone(),
        patterns: args.patterns.clone(),
    });
    let mut rows = match args.connection.call(&request)? {
        Response::Units { units } => units,
        Response::Error { code, message } => return Ok(report_error(code, &message)),
        other => return Err(unexpected("list-units", &other)),
    };
    sort_units(&mut rows);
    if args.output.is_json() {
        print_json(args.output, &json_rows(&rows))?;
    } else {
        let legend = Legend {
            show: !args.no_legend,
            all: args.all,
            states: !args.states.is_empty(),
            inactive_asked: args.states.iter().any(|s| s == "inactive"),
        };
        print_text(&format_units(&rows, legend))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// systemctl's order: by unit type suffix, then by name, ignoring case.
pub fn sort_units(rows: &mut [UnitRow]) {
    let key = |r: &UnitRow| {
        let suffix = r.unit.rsplit_once('.').map_or("", |(_, s)| s);
        (suffix.to_ascii_lowercase(), r.unit.to_ascii_lowercase())
    };
    rows.sort_by_key(key);
}

/// What the footer says, from the flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Legend {
    /// Header and footer at all (not `--no-legend`).
    pub show: bool,
    /// `--all`.
    pub all: bool,
    /// `--state` was given.
    pub states: bool,
    /// `--state` includes `inactive`.
    pub inactive_asked: bool,
}

/// The table and its legend.
pub fn format_units(rows: &[UnitRow], legend: Legend) -> String {
    // The first column holds the ● of units that failed or did not load;
    // systemctl keeps it one column wide even when no unit is listed.
    let mut table = Table::new(&[" ", "unit", "load", "active", "sub", "description"]);
    if !legend.show {
        table.hide_header();
    }
    for row in rows {
        let marked = matches!(
            row.load_state.as_str(),
            "error" | "not-found" | "bad-setting" | "masked"
        ) || row.active_state == "failed";
        table.push(vec![
            if marked { "●" } else { " " }.to_owned(),
            row.unit.clone(),
            row.load_state.clone(),
            row.active_state.clone(),
            row.sub_state.clone(),
            row.description.clone(),
        ]);
    }
    let mut out = table.render();
    if !legend.show {
        return out;
    }
    let n = table.len();
    if n > 0 {
        out.push_str(
            "\nLOAD   = Reflects whether the unit definition was properly loaded.\n\
             ACTIVE = The high-level unit activation state, i.e. generalization of SUB.\n\
             SUB    = The low-level unit activation state, values depend on unit type.\n",
        );
    }
    if legend.all || legend.inactive_asked {
        out.push_str(&format!("{n} loaded units listed.\n"));
    } else if !legend.states {
        out.push_str(&format!(
            "{n} loaded units listed. Pass --all to see loaded but inactive units, too.\n"
        ));
    } else {
        out.push_str(&format!("{n} loaded units listed.\n"));
    }
    out
}

/// A row of `-o json`, with systemctl's keys.
#[derive(Debug, Serialize)]
pub struct JsonUnit<'a> {
    unit: &'a str,
    load: &'a str,
    active: &'a str,
    sub: &'a str,
    description: &'a str,
}

/// The rows as `-o json` prints them.
pub fn json_rows(rows: &[UnitRow]) -> Vec<JsonUnit<'_>> {
    rows.iter()
        .map(|r| JsonUnit {
            unit: &r.unit,
            load: &r.load_state,
            active: &r.active_state,
            sub: &r.sub_state,
            description: &r.description,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(unit: &str, load: &str, active: &str, sub: &str, description: &str) -> UnitRow {
        UnitRow {
            unit: unit.into(),
            load_state: load.into(),
            active_state: active.into(),
            sub_state: sub.into(),
            description: description.into(),
        }
    }

    fn rows() -> Vec<UnitRow> {
        let mut rows = vec![
            row(
                "backup.timer",
                "loaded",
                "active",
                "waiting",
                "Nightly backup",
            ),
            row("web.service", "loaded", "active", "running", "Web server"),
            row("Broken.service", "loaded", "failed", "failed", "Broken job"),
            row(
                "gone.service",
                "not-found",
                "inactive",
                "dead",
                "gone.service",
            ),
        ];
        sort_units(&mut rows);
        rows
    }

    #[test]
    fn table_and_legend_like_systemctl() {
        let legend = Legend {
            show: true,
            all: false,
            states: false,
            inactive_asked: false,
        };
        assert_eq!(
            format_units(&rows(), legend),
            "  UNIT           LOAD      ACTIVE   SUB     DESCRIPTION\n\
             ● Broken.service loaded    failed   failed  Broken job\n\
             ● gone.service   not-found inactive dead    gone.service\n  \
             web.service    loaded    active   running Web server\n  \
             backup.timer   loaded    active   waiting Nightly backup\n\
             \n\
             LOAD   = Reflects whether the unit definition was properly loaded.\n\
             ACTIVE = The high-level unit activation state, i.e. generalization of SUB.\n\
             SUB    = The low-level unit activation state, values depend on unit type.\n\
             4 loaded units listed. Pass --all to see loaded but inactive units, too.\n"
        );
    }

    #[test]
    fn empty_listing_and_state_filters() {
        let legend = Legend {
            show: true,
            all: false,
            states: true,
            inactive_asked: false,
        };
        assert_eq!(
            format_units(&[], legend),
            "  UNIT LOAD ACTIVE SUB DESCRIPTION\n0 loaded units listed.\n"
        );
        let hidden = Legend {
            show: false,
            ..legend
        };
        assert_eq!(
            format_units(&rows()[2..3], hidden),
            "  web.service loaded active running Web server\n"
        );
    }
}
