//! `sundial cluster status` and `sundial history --cluster`: what the
//! cluster's shared tables say, asked through the local daemon (which
//! holds the connection to the database).

use std::process::ExitCode;

use sundial_calendar::{timestamp, Timestamp, Zone};

use super::history::{duration, status_text};
use super::table::Table;
use super::{
    mangle_unit_name, print_json, print_text, report_error, unexpected, Connection, Output,
};
use crate::cli::time_common::TimeEnv;
use crate::cluster::{ClusterRun, NodeRow};
use crate::ipc::{HistoryRequest, Request, Response};
use crate::store::ExitStatus;

const EXAMPLES: &str = concat!(
    "Examples:\n",
    "  $ sundial cluster status\n",
    "  $ sundial history --cluster backup.timer",
);

/// Arguments of `sundial cluster`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Show the cluster: its nodes, their heartbeats and what each runs",
    long_about = "Show the cluster this daemon is a node of ([cluster] in sundial.toml): this \
                  node and whether it does cluster work (or why not: the database cannot be \
                  reached, or its clock is too far from the database's), then every node with \
                  its last heartbeat, its clock skew and what it runs now (cluster timers' \
                  elapses as TIMER@ELAPSE#ATTEMPT, singleton services by name).",
    after_long_help = EXAMPLES
)]
pub struct Args {
    #[command(subcommand)]
    pub command: ClusterCommand,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = Output::Short, global = true)]
    pub output: Output,
    #[command(flatten)]
    pub connection: Connection,
}

/// What `sundial cluster` shows.
#[derive(Debug, clap::Subcommand)]
pub enum ClusterCommand {
    /// The nodes, their heartbeats and what each runs.
    Status,
}

/// Runs `sundial cluster status`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        ClusterCommand::Status => {}
    }
    match args.connection.call(&Request::ClusterStatus)? {
        Response::ClusterStatus { node, state, nodes } => {
            if args.output.is_json() {
                print_json(
                    args.output,
                    &serde_json::json!({ "node": node, "state": state, "nodes": nodes }),
                )?;
            } else {
                let env = TimeEnv::from_process();
                print_text(&format_status(&node, &state, &nodes, &env.local))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Response::Error { code, message } => Ok(report_error(code, &message)),
        other => Err(unexpected("cluster status", &other)),
    }
}

/// This node's line, then a table of the nodes.
pub fn format_status(node: &str, state: &str, nodes: &[NodeRow], zone: &Zone) -> String {
    let mut out = format!("This node: {node} ({state})\n\n");
    let mut table = Table::new(&["node", "heartbeat", "skew", "state", "running"]);
    for n in nodes {
        let skew = format!("{:+.3}s", n.skew_usec as f64 / 1e6);
        table.push(vec![
            n.node.clone(),
            timestamp::format(Timestamp::from_usec(n.heartbeat_usec), zone),
            skew,
            n.refusing
                .clone()
                .map_or_else(|| "ok".to_owned(), |why| format!("refusing: {why}")),
            if n.running.is_empty() {
                "-".to_owned()
            } else {
                n.running.join(" ")
            },
        ]);
    }
    out.push_str(&table.render());
    out.push_str(&format!("\n{} nodes listed.\n", nodes.len()));
    out
}

/// `sundial history --cluster`.
pub fn history(args: super::history::Args) -> anyhow::Result<ExitCode> {
    let request = Request::ClusterHistory(HistoryRequest {
        unit: args.unit.as_deref().map(|u| {
            if u.ends_with(".timer") {
                u.to_owned()
            } else {
                mangle_unit_name(u)
            }
        }),
        limit: args.limit,
    });
    let mut runs = match args.connection.call(&request)? {
        Response::ClusterRuns { runs } => runs,
        Response::Error { code, message } => return Ok(report_error(code, &message)),
        other => return Err(unexpected("history --cluster", &other)),
    };
    runs.reverse();
    if args.output.is_json() {
        print_json(args.output, &runs)?;
    } else {
        let env = TimeEnv::from_process();
        print_text(&format_runs(&runs, &env.local, !args.no_legend))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The shared runs, oldest first: the elapse (a singleton's epoch, or
/// `first run`), the node and attempt, start, duration, result.
pub fn format_runs(runs: &[ClusterRun], zone: &Zone, legend: bool) -> String {
    let mut table = Table::new(&[
        "elapse", "timer", "unit", "node", "attempt", "start", "duration", "result", "status",
    ]);
    if !legend {
        table.hide_header();
    }
    for run in runs {
        let singleton = run.timer == run.unit;
        table.push(vec![
            if singleton {
                format!("lease #{}", run.scheduled_usec)
            } else if run.scheduled_usec == crate::cluster::FIRST_RUN {
                // The first run of a timer that counts from the cluster's
                // runs: no elapse every node shares.
                "first run".to_owned()
            } else {
                timestamp::format(Timestamp::from_usec(run.scheduled_usec), zone)
            },
            if singleton {
                "-".to_owned()
            } else {
                run.timer.clone()
            },
            run.unit.clone(),
            run.node.clone(),
            run.attempt.to_string(),
            run.started_usec.map_or_else(
                || "-".to_owned(),
                |s| timestamp::format(Timestamp::from_usec(s), zone),
            ),
            match (run.started_usec, run.ended_usec) {
                (Some(s), Some(e)) => duration(s, e),
                _ => "-".to_owned(),
            },
            run.result.clone().unwrap_or_else(|| "running".to_owned()),
            run.exit_status
                .map_or_else(|| "-".to_owned(), |c| status_text(ExitStatus::Code(c))),
        ]);
    }
    let mut out = table.render();
    if legend {
        out.push_str(&format!("\n{} runs listed.\n", table.len()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_show_node_and_attempt_and_singletons_their_epoch() {
        let runs = [
            ClusterRun {
                timer: "job.timer".into(),
                unit: "job.service".into(),
                scheduled_usec: 0,
                attempt: 1,
                node: "web-1".into(),
                started_usec: Some(0),
                ended_usec: Some(2_000_000),
                result: Some("lease-lost".into()),
                exit_status: None,
            },
            ClusterRun {
                timer: "web.service".into(),
                unit: "web.service".into(),
                scheduled_usec: 3,
                attempt: 1,
                node: "web-2".into(),
                started_usec: Some(0),
                ended_usec: None,
                result: None,
                exit_status: None,
            },
        ];
        let text = format_runs(&runs, &Zone::utc(), true);
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[1].contains("job.timer") && lines[1].contains("web-1"),
            "{text}"
        );
        assert!(
            lines[1].contains("lease-lost") && lines[1].contains("2s"),
            "{text}"
        );
        assert!(
            lines[2].contains("lease #3") && lines[2].contains("running"),
            "{text}"
        );
        assert!(text.ends_with("2 runs listed.\n"), "{text}");
    }
}
