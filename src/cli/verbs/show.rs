//! `sundial show [-p PROP...] [--value] [UNIT...]`: properties as
//! `Name=value` lines, as `systemctl show` prints them.

use crate::ipc::ShowRequest;
use std::collections::BTreeMap;
use std::process::ExitCode;

use super::{
    mangle_unit_names, print_json, print_text, report_error, unexpected, Connection, Output,
};
use crate::ipc::types::UnitProperties;
use crate::ipc::{Request, Response};

const EXAMPLES: &str = "Examples:\n  \
    $ sundial show -p ActiveState,SubState backup.service\n  \
    ActiveState=inactive\n  \
    SubState=dead\n  \
    $ sundial show -p NextElapseUSecRealtime --value backup.timer\n  \
    $ sundial show                       # the daemon's own properties\n  \
    $ sundial show -o json backup.timer";

/// Arguments of `sundial show`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Show properties of units or of the daemon",
    long_about = "Print the properties of units as Name=value lines, a blank line between \
                  units, as systemctl show does; without a unit, the daemon's own properties.",
    after_long_help = EXAMPLES
)]
pub struct Args {
    /// Only these properties (repeatable, or a comma-separated list).
    #[arg(
        short = 'p',
        long = "property",
        value_name = "NAME",
        value_delimiter = ','
    )]
    pub properties: Vec<String>,
    /// Print the values only, without `Name=`.
    #[arg(long)]
    pub value: bool,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = Output::Short)]
    pub output: Output,
    /// Units (a name without suffix means NAME.service).
    #[arg(value_name = "UNIT")]
    pub units: Vec<String>,
    #[command(flatten)]
    pub connection: Connection,
}

/// Runs `sundial show`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let request = Request::Show(ShowRequest {
        units: mangle_unit_names(&args.units)?,
        properties: args.properties.clone(),
    });
    let units = match args.connection.call(&request)? {
        Response::Properties { units } => units,
        Response::Error { code, message } => return Ok(report_error(code, &message)),
        other => return Err(unexpected("show", &other)),
    };
    if args.output.is_json() {
        print_json(args.output, &json_units(&units))?;
    } else {
        print_text(&format_properties(&units, &args.properties, args.value))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `Name=value` lines per unit, a blank line between units. With `wanted`,
/// only those properties, as the daemon may send more.
pub fn format_properties(units: &[UnitProperties], wanted: &[String], values_only: bool) -> String {
    let mut out = String::new();
    for (i, unit) in units.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        for p in &unit.properties {
            if !wanted.is_empty() && !wanted.contains(&p.name) {
                continue;
            }
            if values_only {
                out.push_str(&format!("{}\n", p.value));
            } else {
                out.push_str(&format!("{}={}\n", p.name, p.value));
            }
        }
    }
    out
}

/// `-o json`: one object per unit, property names as keys.
pub fn json_units(units: &[UnitProperties]) -> Vec<BTreeMap<&str, &str>> {
    units
        .iter()
        .map(|u| {
            u.properties
                .iter()
                .map(|p| (p.name.as_str(), p.value.as_str()))
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipc::types::Property;

    fn units() -> Vec<UnitProperties> {
        let p = |name: &str, value: &str| Property {
            name: name.into(),
            value: value.into(),
        };
        vec![
            UnitProperties {
                unit: "a.service".into(),
                properties: vec![p("Id", "a.service"), p("ActiveState", "active")],
            },
            UnitProperties {
                unit: "b.timer".into(),
                properties: vec![p("Id", "b.timer"), p("ActiveState", "inactive")],
            },
        ]
    }

    #[test]
    fn key_value_blocks() {
        assert_eq!(
            format_properties(&units(), &[], false),
            "Id=a.service\nActiveState=active\n\nId=b.timer\nActiveState=inactive\n"
        );
        assert_eq!(
            format_properties(&units(), &["ActiveState".to_owned()], true),
            "active\n\ninactive\n"
        );
    }

    #[test]
    fn json_objects() {
        let json = serde_json::to_string(&json_units(&units())).unwrap();
        assert_eq!(
            json,
            r#"[{"ActiveState":"active","Id":"a.service"},{"ActiveState":"inactive","Id":"b.timer"}]"#
        );
    }
}
