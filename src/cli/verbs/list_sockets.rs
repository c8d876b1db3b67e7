//! `sundial list-sockets [--all] [PATTERN...]`: systemctl's socket table,
//! LISTEN UNIT ACTIVATES (TYPE with --show-types).

use std::process::ExitCode;

use serde::Serialize;

use super::table::Table;
use super::{print_json, print_text, report_error, unexpected, Connection, Output};
use crate::ipc::types::SocketRow;
use crate::ipc::{ListTimersRequest, Request, Response};

const EXAMPLES: &str = "Examples:\n  \
    $ sundial list-sockets\n  \
    $ sundial list-sockets --all --show-types 'web*'\n  \
    $ sundial list-sockets -o json";

/// Arguments of `sundial list-sockets`.
#[derive(Debug, clap::Args)]
#[command(
    about = "List socket units: what they listen on and what they activate",
    long_about = "List the addresses of the started socket units, one row per Listen*= line, \
                  ordered by address, as systemctl list-sockets does: LISTEN (the address), \
                  UNIT (the socket unit) and ACTIVATES (the service it starts, or the \
                  instances running for an Accept=yes socket's connections). --all lists the \
                  loaded sockets that are not started too.",
    after_long_help = EXAMPLES
)]
pub struct Args {
    /// List sockets that are not started too.
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Show the socket type (Stream, Datagram, FIFO, ...) in a column.
    #[arg(long)]
    pub show_types: bool,
    /// Leave out the header and the footer.
    #[arg(long)]
    pub no_legend: bool,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = Output::Short)]
    pub output: Output,
    /// Only sockets whose names match these glob patterns.
    #[arg(value_name = "PATTERN")]
    pub patterns: Vec<String>,
    #[command(flatten)]
    pub connection: Connection,
}

/// Runs `sundial list-sockets`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let request = Request::ListSockets(ListTimersRequest {
        all: args.all,
        patterns: args.patterns.clone(),
    });
    let rows = match args.connection.call(&request)? {
        Response::Sockets { sockets } => sockets,
        Response::Error { code, message } => return Ok(report_error(code, &message)),
        other => return Err(unexpected("list-sockets", &other)),
    };
    if args.output.is_json() {
        print_json(args.output, &json_rows(&rows))?;
    } else {
        let legend = !args.no_legend;
        print_text(&format_sockets(&rows, args.show_types, legend, args.all))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The table and, with `legend`, its header and footer.
pub fn format_sockets(rows: &[SocketRow], types: bool, legend: bool, all: bool) -> String {
    let mut header = vec!["listen"];
    if types {
        header.push("type");
    }
    header.extend(["unit", "activates"]);
    let mut table = Table::new(&header);
    if !legend {
        table.hide_header();
    }
    for row in rows {
        let mut cells = vec![row.listen.clone()];
        if types {
            cells.push(row.kind.clone());
        }
        cells.push(row.unit.clone());
        cells.push(row.activates.join(", "));
        table.push(cells);
    }
    let mut out = table.render();
    if legend {
        out.push_str(&format!("\n{} sockets listed.\n", table.len()));
        if !all {
            out.push_str("Pass --all to see loaded but inactive sockets, too.\n");
        }
    }
    out
}

/// A row of `-o json`: systemctl's keys.
#[derive(Debug, Serialize)]
pub struct JsonSocket<'a> {
    listen: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    unit: &'a str,
    activates: &'a [String],
}

/// The rows as `-o json` prints them.
pub fn json_rows(rows: &[SocketRow]) -> Vec<JsonSocket<'_>> {
    rows.iter()
        .map(|r| JsonSocket {
            listen: &r.listen,
            kind: &r.kind,
            unit: &r.unit,
            activates: &r.activates,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(listen: &str, kind: &str, unit: &str, activates: &[&str]) -> SocketRow {
        SocketRow {
            listen: listen.into(),
            kind: kind.into(),
            unit: unit.into(),
            activates: activates.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn the_table_reads_as_systemctl_s() {
        let rows = [
            row(
                "/run/docker.sock",
                "Stream",
                "docker.socket",
                &["docker.service"],
            ),
            row("[::]:22", "Stream", "sshd.socket", &[]),
        ];
        assert_eq!(
            format_sockets(&rows, false, true, false),
            "LISTEN           UNIT          ACTIVATES\n\
             /run/docker.sock docker.socket docker.service\n\
             [::]:22          sshd.socket\n\
             \n\
             2 sockets listed.\n\
             Pass --all to see loaded but inactive sockets, too.\n"
        );
        assert_eq!(
            format_sockets(&rows[..1], true, false, true),
            "/run/docker.sock Stream docker.socket docker.service\n"
        );
    }
}
