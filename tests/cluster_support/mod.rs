//! Three sundial daemons as three cluster nodes over one PostgreSQL
//! server ([`postgres`]).
#![allow(dead_code, clippy::unwrap_used)]

pub mod postgres;

use std::fs;
use std::path::{Path, PathBuf};

use crate::daemon_support::Daemon;
pub use postgres::Postgres;

/// Where the nodes' cluster settings point them.
pub struct Fleet {
    pub nodes: Vec<Daemon>,
    /// A directory every node's services write to.
    pub shared: PathBuf,
}

/// `n` daemons over the same unit files, each with its own state dir and
/// socket and the same `[cluster]` (node names `node-0`, ...), on manual
/// clocks starting at `start_usec` (UTC). `enable`: (target, unit) links.
pub fn fleet(
    dir: &Path,
    pg: &Postgres,
    n: usize,
    units: &[(&str, &str)],
    enable: &[(&str, &str)],
    lease: &str,
    start_usec: i64,
) -> Fleet {
    fleet_on(dir, pg, n, units, enable, lease, Some(start_usec))
}

/// As [`fleet`], on the manual clock from `start_usec`, or on the real
/// clocks without one (what `daemon-reexec` needs).
pub fn fleet_on(
    dir: &Path,
    pg: &Postgres,
    n: usize,
    units: &[(&str, &str)],
    enable: &[(&str, &str)],
    lease: &str,
    start_usec: Option<i64>,
) -> Fleet {
    let shared = dir.join("shared");
    fs::create_dir_all(&shared).unwrap();
    let mut nodes = Vec::new();
    for i in 0..n {
        let node_dir = dir.join(format!("node-{i}"));
        fs::create_dir_all(&node_dir).unwrap();
        let units: Vec<(&str, String)> = units
            .iter()
            .map(|(name, text)| (*name, text.replace("@SHARED@", shared.to_str().unwrap())))
            .collect();
        let borrowed: Vec<(&str, &str)> = units.iter().map(|(n, t)| (*n, t.as_str())).collect();
        let config = node_dir.join("sundial.toml");
        fs::write(
            &config,
            format!(
                "[cluster]\ndatabase = \"{}\"\nnode = \"node-{i}\"\nlease = \"{lease}\"\n\
                 claim_defer = \"20ms\"\n",
                pg.connection()
            ),
        )
        .unwrap();
        let mut d = Daemon::new(&node_dir, &borrowed)
            .arg("--config")
            .arg(config.to_str().unwrap())
            .env("TZ", "UTC");
        if let Some(start_usec) = start_usec {
            d = d
                .arg("--clock=manual")
                .env("SUNDIAL_ALLOW_MANUAL_CLOCK", "1")
                .env("SUNDIAL_MANUAL_CLOCK_START", &start_usec.to_string());
        }
        for (target, unit) in enable {
            crate::daemon_support::enable(&d.units, target, unit);
        }
        d.start();
        nodes.push(d);
    }
    Fleet { nodes, shared }
}
