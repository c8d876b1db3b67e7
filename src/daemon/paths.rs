//! Where the daemon keeps things: unit directories, the state database, the
//! control socket and the config file, per mode (the table "Where things
//! live" in the README), each overridable by a flag.
//!
//! The environment is read once into [`HostEnv`] by the caller, so that the
//! resolution itself is a pure function that tests call with made-up values.

use std::path::{Path, PathBuf};

use crate::unit::{Scope, SearchPath};

/// The parts of the environment that decide default paths.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostEnv {
    /// `$HOME`.
    pub home: Option<PathBuf>,
    /// `$XDG_CONFIG_HOME`.
    pub config_home: Option<PathBuf>,
    /// `$XDG_STATE_HOME`.
    pub state_home: Option<PathBuf>,
    /// `$XDG_RUNTIME_DIR`.
    pub runtime_dir: Option<PathBuf>,
    /// `$SUNDIAL_UNIT_PATH`.
    pub unit_path: Option<String>,
    /// `$SUNDIAL_STATE_DIR`: the state directory when `--state-dir` is not
    /// given, for the daemon and for the clients that read its database.
    pub state_dir: Option<PathBuf>,
    /// The working directory, against which relative flags are resolved.
    pub cwd: PathBuf,
}

impl HostEnv {
    /// Reads the variables of this process. Empty or relative XDG values are
    /// ignored, as the XDG base directory specification says.
    pub fn from_process() -> HostEnv {
        let abs = |name: &str| {
            std::env::var_os(name)
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
        };
        HostEnv {
            home: abs("HOME"),
            config_home: abs("XDG_CONFIG_HOME"),
            state_home: abs("XDG_STATE_HOME"),
            runtime_dir: abs("XDG_RUNTIME_DIR"),
            unit_path: std::env::var("SUNDIAL_UNIT_PATH").ok(),
            state_dir: std::env::var_os("SUNDIAL_STATE_DIR")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/")),
        }
    }

    fn xdg(&self, set: &Option<PathBuf>, fallback: &str) -> Option<PathBuf> {
        set.clone()
            .or_else(|| self.home.as_ref().map(|h| h.join(fallback)))
    }
}

/// The path flags of `sundial daemon`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathFlags {
    /// `--unit-dir`, in order.
    pub unit_dirs: Vec<PathBuf>,
    /// `--state-dir`.
    pub state_dir: Option<PathBuf>,
    /// `--socket`.
    pub socket: Option<PathBuf>,
    /// `--config`.
    pub config: Option<PathBuf>,
    /// `--localtime` (hidden; for tests).
    pub localtime: Option<PathBuf>,
}

/// Every path the daemon uses, absolute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaemonPaths {
    /// System or user manager.
    pub scope: Scope,
    /// Unit directories, highest precedence first; `enable` links into the first.
    pub search_path: SearchPath,
    /// The state directory.
    pub state_dir: PathBuf,
    /// The SQLite file in it.
    pub database: PathBuf,
    /// The control socket.
    pub socket: PathBuf,
    /// The config file.
    pub config: PathBuf,
    /// Whether the config file was named by `--config` (then it must exist).
    pub config_required: bool,
    /// Where runtime files go (the notify socket, the test clock socket):
    /// the control socket's directory.
    pub runtime_dir: PathBuf,
    /// The system's default time zone when `TZ` is unset: /etc/localtime.
    pub localtime: PathBuf,
}

/// Why the paths cannot be worked out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// User mode without `$HOME` or the XDG variable, and no flag.
    #[error("cannot tell where the {what} goes: set {variable} or $HOME, or pass {flag}")]
    NoDefault {
        /// What is missing.
        what: &'static str,
        /// The variable that would give it.
        variable: &'static str,
        /// The flag that overrides it.
        flag: &'static str,
    },
    /// A Unix socket path longer than the kernel accepts.
    #[error("{path}: socket path longer than {max} bytes; pass a shorter --socket")]
    SocketTooLong {
        /// The path.
        path: PathBuf,
        /// The limit.
        max: usize,
    },
}

/// Where the C library reads the default zone.
const DEFAULT_LOCALTIME: &str = "/etc/localtime";

/// sun_path holds 108 bytes including the terminating NUL.
const SUN_PATH_MAX: usize = 107;

impl DaemonPaths {
    /// Resolves the paths of `scope` from the flags and the environment.
    pub fn resolve(
        scope: Scope,
        flags: &PathFlags,
        env: &HostEnv,
    ) -> Result<DaemonPaths, PathError> {
        let abs = |p: &Path| {
            let joined = if p.is_absolute() {
                p.to_path_buf()
            } else {
                env.cwd.join(p)
            };
            // `./x` components would only lengthen messages and socket paths.
            joined
                .components()
                .filter(|c| !matches!(c, std::path::Component::CurDir))
                .collect::<PathBuf>()
        };
        let unit_dirs: Vec<PathBuf> = flags.unit_dirs.iter().map(|d| abs(d)).collect();
        let config_home = env.xdg(&env.config_home, ".config");
        let search_path = SearchPath::build(
            &unit_dirs,
            env.unit_path.as_deref(),
            SearchPath::defaults(scope, config_home.as_deref()),
        );
        let state_dir = match (flags.state_dir.as_ref().or(env.state_dir.as_ref()), scope) {
            (Some(d), _) => abs(d),
            (None, Scope::System) => PathBuf::from("/var/lib/sundial"),
            (None, Scope::User) => env
                .xdg(&env.state_home, ".local/state")
                .map(|d| d.join("sundial"))
                .ok_or(PathError::NoDefault {
                    what: "state directory",
                    variable: "$XDG_STATE_HOME",
                    flag: "--state-dir",
                })?,
        };
        let socket = match (&flags.socket, scope) {
            (Some(s), _) => abs(s),
            (None, Scope::System) => PathBuf::from("/run/sundial/control.sock"),
            // Without a runtime directory (a bare `su`, cron, a container), the
            // private state directory is a safer home than a guessable /tmp name.
            (None, Scope::User) => match &env.runtime_dir {
                Some(run) => run.join("sundial/control.sock"),
                None => state_dir.join("control.sock"),
            },
        };
        if socket.as_os_str().len() > SUN_PATH_MAX {
            return Err(PathError::SocketTooLong {
                path: socket,
                max: SUN_PATH_MAX,
            });
        }
        let (config, config_required) = match (&flags.config, scope) {
            (Some(c), _) => (abs(c), true),
            (None, Scope::System) => (PathBuf::from("/etc/sundial/sundial.toml"), false),
            (None, Scope::User) => match &config_home {
                Some(c) => (c.join("sundial/sundial.toml"), false),
                None => (state_dir.join("sundial.toml"), false),
            },
        };
        let runtime_dir = socket
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| state_dir.clone());
        Ok(DaemonPaths {
            scope,
            search_path,
            database: state_dir.join("state.db"),
            state_dir,
            socket,
            config,
            config_required,
            runtime_dir,
            localtime: flags
                .localtime
                .as_deref()
                .map_or_else(|| PathBuf::from(DEFAULT_LOCALTIME), abs),
        })
    }

    /// The directory `enable` and `mask` write into: the first unit directory.
    pub fn first_unit_dir(&self) -> Option<&Path> {
        self.search_path.dirs.first().map(PathBuf::as_path)
    }
}

/// The control socket of `scope` when no flag names one: what clients use.
pub fn default_socket(scope: Scope, env: &HostEnv) -> Result<PathBuf, PathError> {
    DaemonPaths::resolve(scope, &PathFlags::default(), env).map(|p| p.socket)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> HostEnv {
        HostEnv {
            home: Some("/home/ann".into()),
            cwd: "/work".into(),
            ..HostEnv::default()
        }
    }

    #[test]
    fn system_defaults_follow_the_design() {
        let p = DaemonPaths::resolve(Scope::System, &PathFlags::default(), &env()).unwrap();
        assert_eq!(
            p.search_path.dirs,
            [
                PathBuf::from("/etc/sundial/system"),
                PathBuf::from("/usr/lib/sundial/system")
            ]
        );
        assert_eq!(p.database, PathBuf::from("/var/lib/sundial/state.db"));
        assert_eq!(p.socket, PathBuf::from("/run/sundial/control.sock"));
        assert_eq!(p.config, PathBuf::from("/etc/sundial/sundial.toml"));
        assert!(!p.config_required);
        assert_eq!(p.runtime_dir, PathBuf::from("/run/sundial"));
        assert_eq!(p.localtime, PathBuf::from("/etc/localtime"));
    }

    #[test]
    fn user_defaults_use_xdg_then_home() {
        let mut e = env();
        let p = DaemonPaths::resolve(Scope::User, &PathFlags::default(), &e).unwrap();
        assert_eq!(
            p.search_path.dirs[0],
            PathBuf::from("/home/ann/.config/sundial/user")
        );
        assert_eq!(
            p.database,
            PathBuf::from("/home/ann/.local/state/sundial/state.db")
        );
        assert_eq!(
            p.socket,
            PathBuf::from("/home/ann/.local/state/sundial/control.sock")
        );
        e.runtime_dir = Some("/run/user/1000".into());
        e.state_home = Some("/st".into());
        e.config_home = Some("/cfg".into());
        let p = DaemonPaths::resolve(Scope::User, &PathFlags::default(), &e).unwrap();
        assert_eq!(
            p.socket,
            PathBuf::from("/run/user/1000/sundial/control.sock")
        );
        assert_eq!(p.database, PathBuf::from("/st/sundial/state.db"));
        assert_eq!(p.config, PathBuf::from("/cfg/sundial/sundial.toml"));
        assert_eq!(default_socket(Scope::User, &e).unwrap(), p.socket);
    }

    #[test]
    fn flags_override_and_relative_paths_are_made_absolute() {
        let flags = PathFlags {
            unit_dirs: vec!["examples/units".into(), "/abs".into()],
            state_dir: Some(".state".into()),
            socket: Some(".state/c.sock".into()),
            config: Some("cfg.toml".into()),
            localtime: Some("tz/localtime".into()),
        };
        let mut e = env();
        e.unit_path = Some("/from-env".into());
        let p = DaemonPaths::resolve(Scope::User, &flags, &e).unwrap();
        assert_eq!(
            p.search_path.dirs,
            [
                PathBuf::from("/work/examples/units"),
                PathBuf::from("/abs"),
                PathBuf::from("/from-env")
            ]
        );
        assert_eq!(p.first_unit_dir(), Some(Path::new("/work/examples/units")));
        assert_eq!(p.database, PathBuf::from("/work/.state/state.db"));
        assert_eq!(p.socket, PathBuf::from("/work/.state/c.sock"));
        assert_eq!(p.runtime_dir, PathBuf::from("/work/.state"));
        assert_eq!(p.config, PathBuf::from("/work/cfg.toml"));
        assert!(p.config_required);
        assert_eq!(p.localtime, PathBuf::from("/work/tz/localtime"));
    }

    #[test]
    fn the_state_dir_variable_stands_in_for_the_flag() {
        let mut e = env();
        e.state_dir = Some("rel/state".into());
        let p = DaemonPaths::resolve(Scope::User, &PathFlags::default(), &e).unwrap();
        assert_eq!(p.database, PathBuf::from("/work/rel/state/state.db"));
        // Without a runtime directory the socket follows the state.
        assert_eq!(p.socket, PathBuf::from("/work/rel/state/control.sock"));
        let p = DaemonPaths::resolve(Scope::System, &PathFlags::default(), &e).unwrap();
        assert_eq!(p.database, PathBuf::from("/work/rel/state/state.db"));
        assert_eq!(p.socket, PathBuf::from("/run/sundial/control.sock"));
        let flags = PathFlags {
            state_dir: Some("/flag".into()),
            ..PathFlags::default()
        };
        let p = DaemonPaths::resolve(Scope::User, &flags, &e).unwrap();
        assert_eq!(p.database, PathBuf::from("/flag/state.db"));
    }

    #[test]
    fn user_mode_without_home_needs_flags() {
        let e = HostEnv {
            cwd: "/".into(),
            ..HostEnv::default()
        };
        let err = DaemonPaths::resolve(Scope::User, &PathFlags::default(), &e).unwrap_err();
        assert!(err.to_string().contains("--state-dir"), "{err}");
        let flags = PathFlags {
            state_dir: Some("/s".into()),
            ..PathFlags::default()
        };
        let p = DaemonPaths::resolve(Scope::User, &flags, &e).unwrap();
        assert_eq!(p.socket, PathBuf::from("/s/control.sock"));
    }

    #[test]
    fn overlong_socket_paths_are_refused() {
        let flags = PathFlags {
            socket: Some(PathBuf::from(format!("/{}", "x".repeat(120)))),
            state_dir: Some("/s".into()),
            ..PathFlags::default()
        };
        let err = DaemonPaths::resolve(Scope::User, &flags, &env()).unwrap_err();
        assert!(matches!(err, PathError::SocketTooLong { .. }));
    }
}
