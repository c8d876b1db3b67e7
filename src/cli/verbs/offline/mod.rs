//! Reading without a daemon: `history`, `logs`, `list-timers` and `status`
//! answer from the state database and the unit files when no daemon
//! listens, as journalctl reads the journal without systemd.
//!
//! Nothing here writes: the database is opened read-only (see
//! [`Store::open_read_only`]), the daemon's lock file is never opened (its
//! holder is looked up in /proc/locks), and the answers are the responses a
//! daemon would send, built from what the database recorded, so that the
//! verbs print them as they print the daemon's.

mod history;
mod logs;
mod status;
mod timers;

use std::path::{Path, PathBuf};

use sundial_calendar::zone::local_zone;
use sundial_calendar::{timestamp, Zone};

use super::connect::{SocketEnv, Unreachable};
use super::Connection;
use crate::cli::verify::system_zones;
use crate::daemon::lock;
use crate::daemon::paths::{DaemonPaths, PathFlags};
use crate::daemon::units::UnitSet;
use crate::ipc::Client;
use crate::store::{DaemonRecord, Store};
use crate::unit::{host, LoadContext, Scope, SearchPath};

pub use history::history;
pub use logs::logs;
pub use status::status;
pub use timers::list_timers;

/// `--state-dir` of the commands that read the state database when no
/// daemon answers.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Connection")]
pub struct StateDirArg {
    /// When no daemon answers, read the state database (state.db) in DIR
    /// (the daemon's --state-dir). Default: $SUNDIAL_STATE_DIR, else the
    /// directory of the socket --socket or $SUNDIAL_SOCKET names, else the
    /// scope's (see sundial-daemon(1)).
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

/// Where an answer comes from.
#[derive(Debug)]
pub enum Source {
    /// The daemon answers on this connection.
    Daemon(Client),
    /// No daemon runs; its database is read.
    Offline(Box<Offline>),
}

/// Connects to the daemon; when none listens, opens its state database for
/// reading instead. An error when neither is there.
pub fn reach(connection: &Connection, state: &StateDirArg) -> anyhow::Result<Source> {
    let env = SocketEnv::from_process();
    let unreachable = match connection.try_open(&env)? {
        Ok(client) => return Ok(Source::Daemon(client)),
        Err(unreachable) => unreachable,
    };
    if !unreachable.nothing_listens() {
        anyhow::bail!(unreachable.message());
    }
    let database = match database_path(state.state_dir.as_deref(), connection, &env, |p| p.exists())
    {
        Ok(path) => path,
        Err(why) => anyhow::bail!("{} {why}", unreachable.message()),
    };
    if !database.exists() {
        anyhow::bail!(
            "{} There is no state database at {} to read either.",
            unreachable.message(),
            database.display()
        );
    }
    let holder = lock::holder(&database);
    let store = Store::open_read_only(&database, holder.is_some())?;
    let record = store.daemon_record()?;
    Ok(Source::Offline(Box::new(Offline {
        scope: connection.scope(&env),
        store,
        record,
        holder,
        unreachable,
    })))
}

/// The state database to read when the daemon does not answer: `--state-dir`,
/// `$SUNDIAL_STATE_DIR`, the directory of a socket named by `--socket` or
/// `$SUNDIAL_SOCKET` when it holds `state.db` (the README's layout, and the
/// user daemon's without `$XDG_RUNTIME_DIR`), else the scope's default.
pub fn database_path(
    flag: Option<&Path>,
    connection: &Connection,
    env: &SocketEnv,
    exists: impl Fn(&Path) -> bool,
) -> Result<PathBuf, String> {
    let flags = PathFlags {
        state_dir: flag.map(Path::to_path_buf),
        ..PathFlags::default()
    };
    if flag.is_none() && env.host.state_dir.is_none() {
        if let Some(socket) = connection.named_socket(env) {
            let socket = env.host.cwd.join(socket);
            let beside = socket.with_file_name("state.db");
            if exists(&beside) {
                return Ok(beside);
            }
            return Err(format!(
                "Without it, pass --state-dir DIR (its --state-dir) or set $SUNDIAL_STATE_DIR to \
                 read what it recorded: no state.db beside {}.",
                socket.display()
            ));
        }
    }
    DaemonPaths::resolve(connection.scope(env), &flags, &env.host)
        .map(|paths| paths.database)
        .map_err(|e| format!("Cannot read its state either: {e}."))
}

/// A state database read without its daemon.
#[derive(Debug)]
pub struct Offline {
    scope: Scope,
    store: Store,
    record: Option<DaemonRecord>,
    /// A process holding the database's lock: a daemon whose socket is not
    /// the one tried.
    holder: Option<u32>,
    unreachable: Unreachable,
}

impl Offline {
    /// The record of the daemon that wrote the database, if it left one.
    pub fn record(&self) -> Option<&DaemonRecord> {
        self.record.as_ref()
    }

    /// What the user is told before an answer that depends on the daemon
    /// running (timers' next elapses, units' states): that it does not run,
    /// since when, and which database is read.
    pub fn notice(&self, zone: &Zone) -> String {
        format!(
            "{}; showing what it recorded in {}.",
            self.situation(zone),
            self.store.path().display()
        )
    }

    /// "the daemon is not running (it stopped ...)", or which process uses
    /// the database though no daemon answers where the client looked.
    pub fn situation(&self, zone: &Zone) -> String {
        let database = self.store.path().display();
        if let Some(pid) = self.holder {
            let process = match pid {
                0 => "a process outside this PID namespace".to_owned(),
                pid => format!("process {pid}"),
            };
            let listens = match &self.record {
                Some(r) if r.socket != self.unreachable.socket => {
                    format!(" (it listens at {})", r.socket.display())
                }
                _ => String::new(),
            };
            return format!(
                "no daemon answers at {}, but {process} uses {database}{listens}",
                self.unreachable.socket.display()
            );
        }
        let since = match &self.record {
            Some(DaemonRecord {
                stopped: Some(at), ..
            }) => format!(" (it stopped {})", timestamp::format(*at, zone)),
            Some(record) => format!(
                " (it started {} and did not stop in order: killed, or crashed)",
                timestamp::format(record.started, zone)
            ),
            None => String::new(),
        };
        format!("the daemon is not running{since}")
    }

    /// Whether a daemon holds the database (running, unreachable here):
    /// runs without an end may still be running.
    pub fn daemon_alive(&self) -> bool {
        self.holder.is_some()
    }

    /// The command that starts the daemon the client looked for.
    pub fn start_command(&self) -> &str {
        &self.unreachable.start
    }

    /// The unit files the daemon read: its recorded directories, else the
    /// scope's (and `$SUNDIAL_UNIT_PATH`).
    pub fn units(&self) -> UnitSet {
        let search_path = match &self.record {
            Some(record) => SearchPath {
                dirs: record.unit_path.clone(),
            },
            None => host::search_path(self.scope, &[]),
        };
        // The loaded units borrow the zones for as long as the command runs.
        let zones = Box::leak(Box::new(system_zones()));
        let tz = std::env::var("TZ").ok();
        UnitSet::load(LoadContext {
            search_path,
            specifiers: host::specifier_context(self.scope),
            local_zone: local_zone(tz.as_deref(), zones),
            zones,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::paths::HostEnv;

    fn env() -> SocketEnv {
        SocketEnv {
            sundial_socket: None,
            default_scope: Some(Scope::User),
            host: HostEnv {
                home: Some("/home/ann".into()),
                runtime_dir: Some("/run/user/1000".into()),
                cwd: "/work".into(),
                ..HostEnv::default()
            },
        }
    }

    fn conn(socket: Option<&str>, system: bool) -> Connection {
        Connection {
            socket: socket.map(PathBuf::from),
            system,
            ..Connection::default()
        }
    }

    #[test]
    fn the_flag_then_the_variable_then_the_named_socket_then_the_scope() {
        let mut e = env();
        let yes = |_: &Path| true;
        let no = |_: &Path| false;
        assert_eq!(
            database_path(
                Some(Path::new("st")),
                &conn(Some("/s/c.sock"), false),
                &e,
                no
            ),
            Ok(PathBuf::from("/work/st/state.db"))
        );
        assert_eq!(
            database_path(None, &conn(None, false), &e, no),
            Ok(PathBuf::from("/home/ann/.local/state/sundial/state.db"))
        );
        assert_eq!(
            database_path(None, &conn(None, true), &e, no),
            Ok(PathBuf::from("/var/lib/sundial/state.db"))
        );
        // The README's daemon: socket and state in one directory.
        assert_eq!(
            database_path(
                None,
                &conn(Some(".sundial-state/control.sock"), false),
                &e,
                yes
            ),
            Ok(PathBuf::from("/work/.sundial-state/state.db"))
        );
        let err = database_path(None, &conn(Some("/s/c.sock"), false), &e, no).unwrap_err();
        assert!(
            err.contains("--state-dir") && err.contains("/s/c.sock"),
            "{err}"
        );
        e.sundial_socket = Some("/env/c.sock".into());
        assert_eq!(
            database_path(None, &conn(None, false), &e, yes),
            Ok(PathBuf::from("/env/state.db"))
        );
        e.host.state_dir = Some("/var/st".into());
        assert_eq!(
            database_path(None, &conn(None, false), &e, no),
            Ok(PathBuf::from("/var/st/state.db"))
        );
    }
}
