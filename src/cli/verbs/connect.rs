//! Reaching the daemon: the connection flags every control command takes,
//! the socket they name, and one request/response exchange with errors a
//! user can act on.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::anyhow;

use crate::daemon::paths::{self, HostEnv};
use crate::ipc::{Client, ClientError, Request, Response};
use crate::unit::{host, Scope};

/// Which daemon to talk to; flattened into every control command.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Connection")]
pub struct Connection {
    /// Talk to the per-user daemon (default for non-root).
    #[arg(long, conflicts_with = "system")]
    pub user: bool,
    /// Talk to the system daemon (default for root).
    #[arg(long)]
    pub system: bool,
    /// The daemon's control socket; overrides --user, --system and
    /// $SUNDIAL_SOCKET.
    #[arg(long, value_name = "PATH")]
    pub socket: Option<PathBuf>,
    /// Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less),
    /// which is used only when stdout is a terminal.
    #[arg(long)]
    pub no_pager: bool,
}

/// The parts of the environment that choose a socket, read once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SocketEnv {
    /// `$SUNDIAL_SOCKET`.
    pub sundial_socket: Option<OsString>,
    /// The scope when no flag names one: system for root, user otherwise.
    pub default_scope: Option<Scope>,
    /// What the daemon's own path defaults depend on.
    pub host: HostEnv,
}

impl SocketEnv {
    /// Reads this process's environment and user.
    pub fn from_process() -> SocketEnv {
        SocketEnv {
            sundial_socket: std::env::var_os("SUNDIAL_SOCKET").filter(|v| !v.is_empty()),
            default_scope: Some(host::default_scope()),
            host: HostEnv::from_process(),
        }
    }
}

impl Connection {
    /// Whether any flag was given.
    pub fn is_set(&self) -> bool {
        self.user || self.system || self.socket.is_some()
    }

    /// These flags completed by `outer`, the flags given before the command
    /// name (`sundial --user status x`, as systemctl is used); flags after
    /// the command name win.
    pub fn or(mut self, outer: &Connection) -> Connection {
        if !self.user && !self.system {
            self.user = outer.user;
            self.system = outer.system;
        }
        if self.socket.is_none() {
            self.socket.clone_from(&outer.socket);
        }
        self.no_pager |= outer.no_pager;
        self
    }

    /// The scope the flags ask for, if they ask.
    fn scope_flag(&self) -> Option<Scope> {
        if self.user {
            Some(Scope::User)
        } else if self.system {
            Some(Scope::System)
        } else {
            None
        }
    }

    /// The socket to connect to: `--socket`, else the socket of an explicit
    /// `--user`/`--system`, else `$SUNDIAL_SOCKET`, else the default scope's.
    pub fn socket_path(&self, env: &SocketEnv) -> anyhow::Result<PathBuf> {
        if let Some(path) = &self.socket {
            return Ok(path.clone());
        }
        if let Some(scope) = self.scope_flag() {
            return default_socket(scope, env);
        }
        if let Some(path) = &env.sundial_socket {
            return Ok(PathBuf::from(path));
        }
        default_socket(env.default_scope.unwrap_or(Scope::User), env)
    }

    /// The command that starts a daemon listening where these flags look:
    /// what a user is told when nothing listens there.
    pub fn start_command(&self, env: &SocketEnv) -> String {
        let scope_flag = |scope| match scope {
            Scope::User => "sundial daemon --user".to_owned(),
            Scope::System => "sundial daemon --system".to_owned(),
        };
        if let Some(path) = &self.socket {
            return format!("sundial daemon --socket {}", path.display());
        }
        if let Some(scope) = self.scope_flag() {
            return scope_flag(scope);
        }
        if let Some(path) = &env.sundial_socket {
            return format!("sundial daemon --socket {}", Path::new(path).display());
        }
        scope_flag(env.default_scope.unwrap_or(Scope::User))
    }

    /// `sundial` with the flags that reach the same daemon again, for the
    /// commands a message tells the user to run next (`See "sundial --user
    /// status x" ...`), as systemctl adds `--user` to its hints. A daemon
    /// found through `$SUNDIAL_SOCKET` needs no flag: the variable carries
    /// over, and `--user` would override it.
    pub fn command(&self, env: &SocketEnv) -> String {
        if let Some(path) = &self.socket {
            return format!("sundial --socket {}", path.display());
        }
        let scope = match self.scope_flag() {
            Some(scope) => scope,
            None if env.sundial_socket.is_some() => return "sundial".to_owned(),
            None => env.default_scope.unwrap_or(Scope::User),
        };
        match scope {
            Scope::User => "sundial --user".to_owned(),
            Scope::System => "sundial".to_owned(),
        }
    }

    /// The socket `--socket` or `$SUNDIAL_SOCKET` names, as opposed to the
    /// default socket of a scope: a daemon started with its own `--socket`.
    pub fn named_socket(&self, env: &SocketEnv) -> Option<PathBuf> {
        match (&self.socket, self.scope_flag(), &env.sundial_socket) {
            (Some(path), _, _) => Some(path.clone()),
            (None, None, Some(path)) => Some(PathBuf::from(path)),
            _ => None,
        }
    }

    /// The scope these flags ask for, else the default (system for root).
    pub fn scope(&self, env: &SocketEnv) -> Scope {
        self.scope_flag()
            .or(env.default_scope)
            .unwrap_or(Scope::User)
    }

    /// Connects to the daemon; the inner error says why no daemon answered
    /// (the outer one: where the socket is cannot be told).
    pub fn try_open(&self, env: &SocketEnv) -> anyhow::Result<Result<Client, Unreachable>> {
        let socket = self.socket_path(env)?;
        match Client::connect(&socket) {
            Ok(client) => Ok(Ok(client)),
            Err(ClientError::Connect { source, .. }) => Ok(Err(Unreachable {
                socket,
                error: source,
                start: self.start_command(env),
            })),
            Err(other) => Err(other.into()),
        }
    }

    /// Opens a connection to the daemon, or says how to start one.
    fn open(&self) -> anyhow::Result<Client> {
        let env = SocketEnv::from_process();
        self.try_open(&env)?
            .map_err(|unreachable| anyhow!(unreachable.message()))
    }

    /// Sends `request` and returns the daemon's response.
    pub fn call(&self, request: &Request) -> anyhow::Result<Response> {
        exchange(self.open()?, request)
    }

    /// Sends a streaming request (`logs`) and returns the responses as they
    /// come, until the daemon closes the stream.
    pub fn stream(
        &self,
        request: &Request,
    ) -> anyhow::Result<impl Iterator<Item = Result<Response, ClientError>>> {
        Ok(self.open()?.stream(request)?)
    }
}

/// Sends `request` on an open connection and returns the daemon's response.
pub fn exchange(mut client: Client, request: &Request) -> anyhow::Result<Response> {
    // A job (start, stop ...) lasts as long as the service takes to start
    // or stop, as systemctl waits; queries get an answer at once or never.
    if request.is_read_only() {
        client.set_timeout(Some(QUERY_TIMEOUT))?;
    }
    Ok(client.call(request)?)
}

/// Why no daemon answered at a socket.
#[derive(Debug)]
pub struct Unreachable {
    /// The socket tried.
    pub socket: PathBuf,
    /// What connecting said.
    pub error: io::Error,
    /// The command that starts a daemon there.
    pub start: String,
}

impl Unreachable {
    /// Whether no daemon runs there: no socket file, or one a daemon that
    /// is gone left behind. (Permission denied says nothing of the kind.)
    pub fn nothing_listens(&self) -> bool {
        matches!(
            self.error.kind(),
            io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused
        )
    }

    /// "cannot connect to the daemon at PATH: REASON. Is it running? ..."
    pub fn message(&self) -> String {
        connect_error(&self.socket, &self.error, &self.start)
    }
}

/// How long a query waits for its answer.
const QUERY_TIMEOUT: Duration = Duration::from_secs(60);

/// The socket of a daemon of `scope` started without `--socket`: the
/// daemon's own default (the README's "Where things live").
fn default_socket(scope: Scope, env: &SocketEnv) -> anyhow::Result<PathBuf> {
    // The daemon's error names its own flags; a client has only --socket.
    paths::default_socket(scope, &env.host).map_err(|_| {
        anyhow!(
            "cannot tell where the user daemon's socket is: set $XDG_RUNTIME_DIR or $HOME, \
             or pass --socket"
        )
    })
}

/// "cannot connect to the daemon at PATH: REASON. Is it running? Start it
/// with `COMMAND`."
pub(crate) fn connect_error(path: &Path, err: &io::Error, start: &str) -> String {
    let reason = err.to_string();
    // "No such file or directory (os error 2)": the number helps nobody here.
    let reason = match reason.rfind(" (os error ") {
        Some(at) => &reason[..at],
        None => &reason,
    };
    format!(
        "cannot connect to the daemon at {}: {reason}. Is it running? Start it with `{start}`.",
        path.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> SocketEnv {
        SocketEnv {
            sundial_socket: None,
            default_scope: Some(Scope::User),
            host: HostEnv {
                home: Some("/home/ann".into()),
                runtime_dir: Some("/run/user/1000".into()),
                cwd: "/".into(),
                ..HostEnv::default()
            },
        }
    }

    fn flags(user: bool, system: bool, socket: Option<&str>) -> Connection {
        Connection {
            user,
            system,
            socket: socket.map(PathBuf::from),
            no_pager: false,
        }
    }

    #[test]
    fn socket_precedence_flag_then_scope_flag_then_env_then_default() {
        let mut e = env();
        e.sundial_socket = Some("/tmp/env.sock".into());
        assert_eq!(
            flags(true, false, Some("/x.sock")).socket_path(&e).unwrap(),
            PathBuf::from("/x.sock")
        );
        assert_eq!(
            flags(false, true, None).socket_path(&e).unwrap(),
            PathBuf::from("/run/sundial/control.sock")
        );
        assert_eq!(
            flags(true, false, None).socket_path(&e).unwrap(),
            PathBuf::from("/run/user/1000/sundial/control.sock")
        );
        assert_eq!(
            flags(false, false, None).socket_path(&e).unwrap(),
            PathBuf::from("/tmp/env.sock")
        );
        e.sundial_socket = None;
        assert_eq!(
            flags(false, false, None).socket_path(&e).unwrap(),
            PathBuf::from("/run/user/1000/sundial/control.sock")
        );
        e.default_scope = Some(Scope::System);
        assert_eq!(
            flags(false, false, None).socket_path(&e).unwrap(),
            PathBuf::from("/run/sundial/control.sock")
        );
    }

    #[test]
    fn flags_after_the_command_win_over_flags_before_it() {
        let before = flags(true, false, Some("/before.sock"));
        let merged = flags(false, true, None).or(&before);
        assert!(merged.system && !merged.user);
        assert_eq!(merged.socket, Some(PathBuf::from("/before.sock")));
        let merged = flags(false, false, Some("/after.sock")).or(&before);
        assert!(merged.user);
        assert_eq!(merged.socket, Some(PathBuf::from("/after.sock")));
        assert!(!Connection::default().is_set());
        assert!(before.is_set());
    }

    #[test]
    fn user_socket_without_runtime_dir_lives_in_the_state_dir() {
        let mut e = env();
        e.host.runtime_dir = None;
        assert_eq!(
            flags(true, false, None).socket_path(&e).unwrap(),
            PathBuf::from("/home/ann/.local/state/sundial/control.sock")
        );
        e.host.home = None;
        let err = flags(true, false, None).socket_path(&e).unwrap_err();
        assert!(err.to_string().contains("--socket"), "{err}");
    }

    #[test]
    fn a_named_socket_is_one_no_scope_chose() {
        let mut e = env();
        assert_eq!(flags(false, false, None).named_socket(&e), None);
        assert_eq!(
            flags(true, false, Some("/x.sock")).named_socket(&e),
            Some(PathBuf::from("/x.sock"))
        );
        e.sundial_socket = Some("/tmp/env.sock".into());
        assert_eq!(
            flags(false, false, None).named_socket(&e),
            Some(PathBuf::from("/tmp/env.sock"))
        );
        // --user overrides $SUNDIAL_SOCKET: the user daemon's default socket.
        assert_eq!(flags(true, false, None).named_socket(&e), None);
        assert_eq!(flags(false, true, None).scope(&e), Scope::System);
        assert_eq!(flags(false, false, None).scope(&e), Scope::User);
    }

    #[test]
    fn connect_error_names_the_socket_and_the_daemon() {
        let err = io::Error::from_raw_os_error(libc::ENOENT);
        assert_eq!(
            connect_error(
                Path::new("/run/sundial/control.sock"),
                &err,
                "sundial daemon --system"
            ),
            "cannot connect to the daemon at /run/sundial/control.sock: \
             No such file or directory. Is it running? Start it with `sundial daemon --system`."
        );
    }

    #[test]
    fn hints_carry_the_flags_that_reach_the_same_daemon() {
        let mut e = env();
        assert_eq!(flags(false, false, None).command(&e), "sundial --user");
        assert_eq!(flags(true, false, None).command(&e), "sundial --user");
        assert_eq!(flags(false, true, None).command(&e), "sundial");
        assert_eq!(
            flags(true, false, Some("/x.sock")).command(&e),
            "sundial --socket /x.sock"
        );
        e.sundial_socket = Some("/tmp/env.sock".into());
        assert_eq!(flags(false, false, None).command(&e), "sundial");
        assert_eq!(flags(true, false, None).command(&e), "sundial --user");
        e.sundial_socket = None;
        e.default_scope = Some(Scope::System);
        assert_eq!(flags(false, false, None).command(&e), "sundial");
    }

    #[test]
    fn the_start_command_listens_where_the_client_looks() {
        let mut e = env();
        assert_eq!(
            flags(false, false, None).start_command(&e),
            "sundial daemon --user"
        );
        assert_eq!(
            flags(false, true, None).start_command(&e),
            "sundial daemon --system"
        );
        assert_eq!(
            flags(true, false, Some("/x.sock")).start_command(&e),
            "sundial daemon --socket /x.sock"
        );
        e.sundial_socket = Some("/tmp/env.sock".into());
        assert_eq!(
            flags(false, false, None).start_command(&e),
            "sundial daemon --socket /tmp/env.sock"
        );
        assert_eq!(
            flags(true, false, None).start_command(&e),
            "sundial daemon --user"
        );
    }
}
