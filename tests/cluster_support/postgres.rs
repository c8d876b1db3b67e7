//! A real PostgreSQL server in a test's temp dir (Debian's postgresql
//! package: `initdb` and `pg_ctl` under /usr/lib/postgresql/*/bin),
//! listening only on a Unix socket in that dir, run as `nobody` when the
//! tests run as root. The cluster tests and the cluster benchmark share it.
#![allow(dead_code, clippy::unwrap_used)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A PostgreSQL server; stopped (immediately) when dropped.
pub struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    /// The directory of its Unix socket.
    pub socket_dir: PathBuf,
    log: PathBuf,
    /// `nobody`'s uid and gid when the tests run as root.
    user: Option<(u32, u32)>,
    running: bool,
}

fn bin_dir() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|d| d.join("initdb").exists() && d.join("pg_ctl").exists())
        .collect();
    dirs.sort();
    dirs.pop()
}

impl Postgres {
    /// initdb and start in `dir/pg`; `Err` says why it cannot be had here
    /// (the caller skips with that reason).
    pub fn start(dir: &Path) -> Result<Postgres, String> {
        let bin = bin_dir().ok_or("PostgreSQL is not installed (/usr/lib/postgresql/*/bin)")?;
        let root = nix::unistd::geteuid().is_root();
        let user = if root {
            let nobody = nix::unistd::User::from_name("nobody")
                .ok()
                .flatten()
                .ok_or("no user nobody to run PostgreSQL as")?;
            Some((nobody.uid.as_raw(), nobody.gid.as_raw()))
        } else {
            None
        };
        let pg = dir.join("pg");
        let socket_dir = pg.join("sock");
        fs::create_dir_all(&socket_dir).map_err(|e| e.to_string())?;
        if let Some((uid, gid)) = user {
            // nobody must reach its directory: the test dir is traversable
            // only, the server's own dir is nobody's.
            fs::set_permissions(dir, fs::Permissions::from_mode(0o711))
                .map_err(|e| e.to_string())?;
            for d in [&pg, &socket_dir] {
                std::os::unix::fs::chown(d, Some(uid), Some(gid)).map_err(|e| e.to_string())?;
            }
        }
        let mut p = Postgres {
            bin,
            data: pg.join("data"),
            socket_dir,
            log: pg.join("server.log"),
            user,
            running: false,
        };
        let out = p.run(
            "initdb",
            &[
                "-D",
                p.data.to_str().unwrap(),
                "-U",
                "sundial",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        );
        if !out.status.success() {
            return Err(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        p.start_again()?;
        Ok(p)
    }

    fn run(&self, program: &str, args: &[&str]) -> Output {
        let program = self.bin.join(program);
        let mut cmd = match self.user {
            Some((uid, gid)) => {
                let mut c = Command::new("setpriv");
                c.arg(format!("--reuid={uid}"))
                    .arg(format!("--regid={gid}"))
                    .arg("--clear-groups")
                    .arg("--")
                    .arg(program);
                c
            }
            None => Command::new(program),
        };
        cmd.args(args)
            .env("LC_ALL", "C")
            .env_remove("PGDATA")
            .output()
            .expect("the PostgreSQL programs run")
    }

    /// Starts the server (again), waiting until it accepts connections.
    pub fn start_again(&mut self) -> Result<(), String> {
        let options = format!(
            "-c listen_addresses='' -k {} -c fsync=off -c synchronous_commit=off \
             -c max_connections=50 -c shared_buffers=16MB",
            self.socket_dir.display()
        );
        let out = self.run(
            "pg_ctl",
            &[
                "-D",
                self.data.to_str().unwrap(),
                "-l",
                self.log.to_str().unwrap(),
                "-o",
                &options,
                "-w",
                "start",
            ],
        );
        if !out.status.success() {
            return Err(format!(
                "pg_ctl start failed: {}{}",
                String::from_utf8_lossy(&out.stderr),
                fs::read_to_string(&self.log).unwrap_or_default()
            ));
        }
        self.running = true;
        Ok(())
    }

    /// Stops the server (fast: connections are cut).
    pub fn stop(&mut self) {
        let out = self.run(
            "pg_ctl",
            &[
                "-D",
                self.data.to_str().unwrap(),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
        );
        assert!(out.status.success(), "pg_ctl stop: {out:?}");
        self.running = false;
    }

    /// The connection string the daemons use.
    pub fn connection(&self) -> String {
        format!(
            "host={} user=sundial dbname=postgres connect_timeout=2",
            self.socket_dir.display()
        )
    }

    /// Runs SQL through psql; its output, one row a line, fields split by `|`.
    pub fn query(&self, sql: &str) -> Vec<String> {
        let out = Command::new(self.bin.join("psql"))
            .args(["-h", self.socket_dir.to_str().unwrap()])
            .args([
                "-U",
                "sundial",
                "-d",
                "postgres",
                "-At",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ])
            .output()
            .expect("psql runs");
        assert!(
            out.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if self.running {
            let _ = self.run(
                "pg_ctl",
                &[
                    "-D",
                    self.data.to_str().unwrap(),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ],
            );
        }
    }
}
