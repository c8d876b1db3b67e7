//! The manager environment the daemon starts with: what every service
//! inherits before its own `Environment=` (`sundial show-environment`).
//!
//! As in systemd 252, the system manager hands its services `PATH` and the
//! locale only; a user manager also hands on its user's `HOME`, `USER`,
//! `LOGNAME` and `SHELL` (systemd's `user@.service` runs the user manager
//! with `User=`, which sets them) and `XDG_RUNTIME_DIR`. A service with
//! `User=` gets that user's four variables when it starts (see
//! `supervisor::edge`). The locale is the daemon's own, where systemd's
//! system manager reads /etc/locale.conf: the environment a daemon is
//! started with is how a host without systemd says its locale.

use std::collections::BTreeMap;
use std::path::Path;

use crate::unit::Scope;

/// The variables that make up a locale (systemd's `locale_variable_table`).
pub const LOCALE_VARIABLES: [&str; 14] = [
    "LANG",
    "LANGUAGE",
    "LC_CTYPE",
    "LC_NUMERIC",
    "LC_TIME",
    "LC_COLLATE",
    "LC_MONETARY",
    "LC_MESSAGES",
    "LC_PAPER",
    "LC_NAME",
    "LC_ADDRESS",
    "LC_TELEPHONE",
    "LC_MEASUREMENT",
    "LC_IDENTIFICATION",
];

/// The daemon's user as the user database has it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Account {
    /// The login name.
    pub name: String,
    /// The home directory.
    pub home: String,
    /// The login shell.
    pub shell: String,
}

impl Account {
    /// The entry of the user this process runs as, if there is one.
    pub fn of_process() -> Option<Account> {
        let user = nix::unistd::User::from_uid(nix::unistd::getuid()).ok()??;
        Some(Account {
            name: user.name,
            home: user.dir.to_string_lossy().into_owned(),
            shell: user.shell.to_string_lossy().into_owned(),
        })
    }
}

/// The manager environment of a daemon of `scope` whose own environment is
/// `process` and whose user is `account`. `HOME` and `XDG_RUNTIME_DIR` come
/// from the daemon's environment when set there (absolute), as the paths
/// the daemon itself uses do; the user's names and shell from the user
/// database first.
pub fn manager_environment(
    scope: Scope,
    process: &BTreeMap<String, String>,
    account: Option<&Account>,
) -> Vec<(String, String)> {
    let mut env = Vec::new();
    for name in LOCALE_VARIABLES {
        if let Some(value) = process.get(name).filter(|v| !v.is_empty()) {
            env.push((name.to_owned(), value.clone()));
        }
    }
    if scope == Scope::System {
        return env;
    }
    let absolute = |name: &str| {
        process
            .get(name)
            .filter(|v| Path::new(v).is_absolute())
            .cloned()
    };
    let from_account =
        |field: fn(&Account) -> &String| account.map(field).filter(|v| !v.is_empty()).cloned();
    let home = absolute("HOME").or_else(|| from_account(|a| &a.home));
    let user = from_account(|a| &a.name).or_else(|| process.get("USER").cloned());
    let shell = from_account(|a| &a.shell).or_else(|| process.get("SHELL").cloned());
    let mut push = |name: &str, value: Option<String>| {
        if let Some(value) = value {
            env.push((name.to_owned(), value));
        }
    };
    push("HOME", home);
    push("LOGNAME", user.clone());
    push("USER", user);
    push("SHELL", shell);
    push("XDG_RUNTIME_DIR", absolute("XDG_RUNTIME_DIR"));
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn ann() -> Account {
        Account {
            name: "ann".into(),
            home: "/home/ann".into(),
            shell: "/bin/bash".into(),
        }
    }

    #[test]
    fn the_system_manager_passes_the_locale_only() {
        let process = vars(&[
            ("LANG", "de_DE.UTF-8"),
            ("LC_TIME", "C"),
            ("LC_ALL", "C"),
            ("HOME", "/root"),
            ("TERM", "xterm"),
        ]);
        assert_eq!(
            manager_environment(Scope::System, &process, Some(&ann())),
            [
                ("LANG".to_owned(), "de_DE.UTF-8".to_owned()),
                ("LC_TIME".to_owned(), "C".to_owned())
            ]
        );
    }

    #[test]
    fn a_user_manager_passes_its_user_and_runtime_dir() {
        let process = vars(&[
            ("HOME", "/tmp/home"),
            ("USER", "someone-else"),
            ("XDG_RUNTIME_DIR", "/run/user/1000"),
            ("SSH_AUTH_SOCK", "/tmp/agent"),
        ]);
        let env: BTreeMap<String, String> =
            manager_environment(Scope::User, &process, Some(&ann()))
                .into_iter()
                .collect();
        assert_eq!(
            env,
            vars(&[
                ("HOME", "/tmp/home"),
                ("LOGNAME", "ann"),
                ("USER", "ann"),
                ("SHELL", "/bin/bash"),
                ("XDG_RUNTIME_DIR", "/run/user/1000"),
            ])
        );
    }

    #[test]
    fn without_a_user_database_entry_the_environment_tells() {
        let process = vars(&[
            ("HOME", "relative"),
            ("USER", "app"),
            ("SHELL", "/bin/sh"),
            ("XDG_RUNTIME_DIR", ""),
        ]);
        let env: BTreeMap<String, String> = manager_environment(Scope::User, &process, None)
            .into_iter()
            .collect();
        assert_eq!(
            env,
            vars(&[("LOGNAME", "app"), ("USER", "app"), ("SHELL", "/bin/sh")])
        );
    }
}
