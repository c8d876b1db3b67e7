//! `sundial list-paths [--all] [PATTERN...]`: systemctl's path table, PATH
//! CONDITION UNIT ACTIVATES, one row per watched path.
//!
//! Built from two requests the daemon already answers: `list-units
//! --type=path` for the units, then `show -p Paths -p Triggers` for what
//! each watches (the `Paths` property is `{ Condition=path }`, one per
//! spec).

use std::process::ExitCode;

use serde::Serialize;

use super::table::Table;
use super::{print_json, print_text, report_error, unexpected, Connection, Output};
use crate::ipc::types::UnitProperties;
use crate::ipc::{ListUnitsRequest, Request, Response, ShowRequest};

const EXAMPLES: &str = "Examples:\n  \
    $ sundial list-paths\n  \
    $ sundial list-paths --all 'spool*'\n  \
    $ sundial list-paths -o json";

/// Arguments of `sundial list-paths`.
#[derive(Debug, clap::Args)]
#[command(
    about = "List path units: what they watch and what they start",
    long_about = "List the path units with one row per watched path, as systemctl list-paths \
                  does: PATH, CONDITION (the directive: PathExists, PathExistsGlob, PathChanged, \
                  PathModified, DirectoryNotEmpty), UNIT and ACTIVATES. Only active path units \
                  are listed unless --all is given.",
    after_long_help = EXAMPLES
)]
pub struct Args {
    /// List inactive path units too.
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Leave out the header and the footer.
    #[arg(long)]
    pub no_legend: bool,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = Output::Short)]
    pub output: Output,
    /// Only path units whose names match these glob patterns.
    #[arg(value_name = "PATTERN")]
    pub patterns: Vec<String>,
    #[command(flatten)]
    pub connection: Connection,
}

/// One row: a watched path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathListRow {
    path: String,
    condition: String,
    unit: String,
    activates: String,
}

/// Runs `sundial list-paths`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let request = Request::ListUnits(ListUnitsRequest {
        all: args.all,
        types: vec!["path".into()],
        states: vec![],
        patterns: args.patterns.clone(),
    });
    let names: Vec<String> = match args.connection.call(&request)? {
        Response::Units { units } => units.into_iter().map(|u| u.unit).collect(),
        Response::Error { code, message } => return Ok(report_error(code, &message)),
        other => return Err(unexpected("list-paths", &other)),
    };
    let units = if names.is_empty() {
        Vec::new()
    } else {
        let request = Request::Show(ShowRequest {
            units: names,
            properties: vec!["Paths".into(), "Triggers".into()],
        });
        match args.connection.call(&request)? {
            Response::Properties { units } => units,
            Response::Error { code, message } => return Ok(report_error(code, &message)),
            other => return Err(unexpected("list-paths", &other)),
        }
    };
    let rows = rows(&units);
    if args.output.is_json() {
        print_json(args.output, &rows)?;
    } else {
        print_text(&format_paths(&rows, !args.no_legend, args.all))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The rows of the units' `Paths` and `Triggers` properties, by path.
pub fn rows(units: &[UnitProperties]) -> Vec<PathListRow> {
    let mut rows = Vec::new();
    for u in units {
        let activates = u
            .properties
            .iter()
            .find(|p| p.name == "Triggers")
            .map(|p| p.value.clone())
            .unwrap_or_default();
        for p in u.properties.iter().filter(|p| p.name == "Paths") {
            let Some((condition, path)) = p
                .value
                .strip_prefix("{ ")
                .and_then(|v| v.strip_suffix(" }"))
                .and_then(|v| v.split_once('='))
            else {
                continue;
            };
            rows.push(PathListRow {
                path: path.to_owned(),
                condition: condition.to_owned(),
                unit: u.unit.clone(),
                activates: activates.clone(),
            });
        }
    }
    // systemctl sorts by path.
    rows.sort_by(|a, b| a.path.cmp(&b.path).then_with(|| a.unit.cmp(&b.unit)));
    rows
}

/// The table and, with `legend`, its header and footer.
pub fn format_paths(rows: &[PathListRow], legend: bool, all: bool) -> String {
    let mut table = Table::new(&["path", "condition", "unit", "activates"]);
    if !legend {
        table.hide_header();
    }
    for r in rows {
        table.push(vec![
            r.path.clone(),
            r.condition.clone(),
            r.unit.clone(),
            r.activates.clone(),
        ]);
    }
    let mut out = table.render();
    if legend {
        out.push_str(&format!("\n{} paths listed.\n", table.len()));
        if !all {
            out.push_str("Pass --all to see loaded but inactive paths, too.\n");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipc::types::Property;

    fn unit(name: &str, props: &[(&str, &str)]) -> UnitProperties {
        UnitProperties {
            unit: name.into(),
            properties: props
                .iter()
                .map(|(n, v)| Property {
                    name: (*n).into(),
                    value: (*v).into(),
                })
                .collect(),
        }
    }

    #[test]
    fn one_row_per_path_sorted_by_path_as_systemctl_prints_them() {
        let units = [
            unit(
                "spool.path",
                &[
                    ("Paths", "{ DirectoryNotEmpty=/var/spool/in }"),
                    ("Paths", "{ PathChanged=/etc/spool.conf }"),
                    ("Triggers", "spool.service"),
                ],
            ),
            unit(
                "flag.path",
                &[
                    ("Triggers", "flag.service"),
                    ("Paths", "{ PathExists=/run/flag }"),
                ],
            ),
        ];
        assert_eq!(
            format_paths(&rows(&units), true, false),
            "PATH            CONDITION         UNIT       ACTIVATES\n\
             /etc/spool.conf PathChanged       spool.path spool.service\n\
             /run/flag       PathExists        flag.path  flag.service\n\
             /var/spool/in   DirectoryNotEmpty spool.path spool.service\n\
             \n\
             3 paths listed.\n\
             Pass --all to see loaded but inactive paths, too.\n"
        );
        assert_eq!(format_paths(&[], false, true), "");
    }

    #[test]
    fn json_rows_use_the_column_names() {
        let units = [unit(
            "a.path",
            &[
                ("Paths", "{ PathModified=/x=y }"),
                ("Triggers", "b.service"),
            ],
        )];
        let json = serde_json::to_string(&rows(&units)).unwrap();
        assert_eq!(
            json,
            r#"[{"path":"/x=y","condition":"PathModified","unit":"a.path","activates":"b.service"}]"#
        );
    }
}
