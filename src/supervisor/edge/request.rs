//! The spawn request of one command, built without touching the system: from
//! the command, its unit, the supervisor's settings and the facts the edge
//! looked up beforehand (the program found, User= resolved, the
//! EnvironmentFile= contents, who the daemon runs as). Standard input and
//! output, the cgroup and the exec report are the edge's to add.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::{resource_number, ResolvedUser};
use crate::activation::Activation;
use crate::supervisor::environment::{self, EnvLayers};
use crate::supervisor::machine::CommandSpec;
use crate::supervisor::spawn::{ResourceLimit, SpawnRequest};
use crate::supervisor::SupervisorConfig;
use crate::unit::service::{NotifyAccess, ServiceType};

/// The supervisor-wide inputs.
#[derive(Debug, Clone, Copy)]
pub(super) struct Settings<'a> {
    pub(super) config: &'a SupervisorConfig,
    pub(super) notify_socket: &'a Path,
    pub(super) activation: Option<&'a Activation>,
}

/// What the edge looked up for this command.
#[derive(Debug)]
pub(super) struct Facts {
    /// The program resolved from the command's path.
    pub(super) program: PathBuf,
    /// User=/Group= resolved, where they apply to the command.
    pub(super) user: Option<ResolvedUser>,
    /// EnvironmentFile= contents.
    pub(super) environment_files: Vec<(String, String)>,
    /// The daemon's effective uid and gid.
    pub(super) own_uid: u32,
    pub(super) own_gid: u32,
    /// The daemon's $HOME (WorkingDirectory=~ without User=).
    pub(super) home: Option<PathBuf>,
    /// $RUNTIME_DIRECTORY, $CREDENTIALS_DIRECTORY ... of the run.
    pub(super) run_environment: Vec<(String, String)>,
}

/// The request for `spec`: program, argv with the environment expanded,
/// the environment, credentials, working directory, umask, nice, limits.
pub(super) fn build(spec: CommandSpec<'_>, settings: Settings<'_>, facts: Facts) -> SpawnRequest {
    let s = &spec.unit.service;
    let cmd = spec.command;
    let user = facts.user;

    let mut generated: Vec<(String, String)> =
        vec![("INVOCATION_ID".into(), spec.invocation_id.to_owned())];
    let access = s.notify_access.unwrap_or(NotifyAccess::None);
    if access != NotifyAccess::None
        || matches!(
            s.service_type,
            ServiceType::Notify | ServiceType::NotifyReload
        )
        || s.stop.watchdog != sundial_calendar::Timespan::ZERO
    {
        generated.push((
            "NOTIFY_SOCKET".into(),
            settings.notify_socket.to_string_lossy().into_owned(),
        ));
    }
    if let Some(u) = user.as_ref().filter(|u| !u.name.is_empty()) {
        generated.push(("USER".into(), u.name.clone()));
        generated.push(("LOGNAME".into(), u.name.clone()));
        generated.push(("HOME".into(), u.home.to_string_lossy().into_owned()));
        generated.push(("SHELL".into(), u.shell.to_string_lossy().into_owned()));
    }
    if s.stop.watchdog != sundial_calendar::Timespan::ZERO
        && s.stop.watchdog != sundial_calendar::Timespan::INFINITY
    {
        generated.push((
            "WATCHDOG_USEC".into(),
            s.stop.watchdog.as_usec().to_string(),
        ));
    }
    if let Some(a) = settings.activation {
        generated.extend(a.environment());
    }
    generated.extend(facts.run_environment);
    generated.extend(spec.extra_env);
    let config = settings.config;
    let env = EnvLayers {
        defaults: &config.default_environment,
        generated,
        pass: &s.process.pass_environment,
        manager_env: &config.manager_environment,
        unit: &s.environment,
        files: facts.environment_files,
        unset: &s.process.unset_environment,
    }
    .merge();
    let argv = if cmd.no_env_expand {
        cmd.argv.clone()
    } else {
        environment::expand_argv(&cmd.argv, &env)
    };

    let mut req = SpawnRequest::new(
        facts.program,
        argv.into_iter().map(OsString::from).collect(),
    );
    req.env = env.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
    let own_uid = facts.own_uid;
    req.credentials = user.as_ref().map(|u| u.credentials.clone()).filter(|c| {
        // Without privileges a credential change is only possible as a
        // no-op; skip it rather than fail setgroups() (user mode).
        own_uid == 0 || c.uid != own_uid || c.gid != facts.own_gid
    });
    let home = || {
        user.as_ref()
            .filter(|u| !u.name.is_empty())
            .map(|u| u.home.clone())
            .or(facts.home)
    };
    match &s.process.working_directory {
        Some(wd) => {
            req.working_directory = wd.path.clone().or_else(home);
            req.working_directory_missing_ok = wd.missing_ok;
        }
        None => {
            req.working_directory = config.default_working_directory.clone();
            req.working_directory_missing_ok = config.default_working_directory_missing_ok;
        }
    }
    req.umask = Some(s.process.umask);
    req.nice = s.process.nice;
    req.limits = s
        .process
        .limits
        .iter()
        .map(|l| ResourceLimit {
            resource: resource_number(l.resource),
            soft: l.soft.unwrap_or(libc::RLIM_INFINITY),
            hard: l.hard.unwrap_or(libc::RLIM_INFINITY),
        })
        .collect();
    req
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::supervisor::exec_chain::ExecKind;
    use crate::supervisor::spawn::Credentials;
    use crate::unit::ServiceUnit;

    fn unit(body: &str) -> Arc<ServiceUnit> {
        crate::unit::test_text::service_unit(body)
    }

    fn facts() -> Facts {
        Facts {
            program: PathBuf::from("/bin/prog"),
            user: None,
            environment_files: Vec::new(),
            own_uid: 0,
            own_gid: 0,
            home: Some(PathBuf::from("/root")),
            run_environment: Vec::new(),
        }
    }

    fn alice() -> ResolvedUser {
        ResolvedUser {
            credentials: Credentials {
                uid: 1000,
                gid: 1000,
                groups: vec![1000, 27],
            },
            name: "alice".into(),
            home: PathBuf::from("/home/alice"),
            shell: PathBuf::from("/bin/sh"),
        }
    }

    /// The request for ExecStart=[0] of `body`.
    fn request(body: &str, extra_env: &[(&str, &str)], facts: Facts) -> SpawnRequest {
        let u = unit(body);
        let mut config = SupervisorConfig::new("/run/sundial");
        config.default_environment = vec![("PATH".into(), "/usr/bin:/bin".into())];
        config.default_working_directory = Some(PathBuf::from("/"));
        let spec = CommandSpec {
            unit: &u,
            invocation_id: "0123456789abcdef0123456789abcdef",
            kind: ExecKind::Start,
            index: 0,
            command: &u.service.exec_start[0],
            extra_env: extra_env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        let settings = Settings {
            config: &config,
            notify_socket: Path::new("/run/sundial/notify"),
            activation: None,
        };
        build(spec, settings, facts)
    }

    fn env(req: &SpawnRequest, name: &str) -> Option<String> {
        req.env
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.to_string_lossy().into_owned())
    }

    fn argv(req: &SpawnRequest) -> Vec<String> {
        req.argv
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn the_environment_is_layered_and_expanded_into_argv() {
        let req = request(
            "ExecStart=/bin/prog $WORDS ${ONE} $MAINPID\nEnvironment=\"WORDS=a b\" ONE=1",
            &[("MAINPID", "42")],
            Facts {
                environment_files: vec![("FROM_FILE".into(), "yes".into())],
                ..facts()
            },
        );
        assert_eq!(req.program, PathBuf::from("/bin/prog"));
        assert_eq!(argv(&req), ["/bin/prog", "a", "b", "1", "42"]);
        assert_eq!(
            env(&req, "INVOCATION_ID").as_deref(),
            Some("0123456789abcdef0123456789abcdef")
        );
        assert_eq!(env(&req, "PATH").as_deref(), Some("/usr/bin:/bin"));
        assert_eq!(env(&req, "FROM_FILE").as_deref(), Some("yes"));
        assert_eq!(env(&req, "NOTIFY_SOCKET"), None);
        assert_eq!(env(&req, "USER"), None);
        // `:` turns expansion off.
        let req = request("ExecStart=:/bin/prog $ONE\nEnvironment=ONE=1", &[], facts());
        assert_eq!(argv(&req), ["/bin/prog", "$ONE"]);
    }

    #[test]
    fn notify_socket_and_watchdog_usec_go_to_those_that_use_them() {
        let req = request("Type=notify\nExecStart=/bin/prog", &[], facts());
        assert_eq!(
            env(&req, "NOTIFY_SOCKET").as_deref(),
            Some("/run/sundial/notify")
        );
        assert_eq!(env(&req, "WATCHDOG_USEC"), None);
        let req = request("ExecStart=/bin/prog\nWatchdogSec=3", &[], facts());
        assert_eq!(
            env(&req, "NOTIFY_SOCKET").as_deref(),
            Some("/run/sundial/notify")
        );
        assert_eq!(env(&req, "WATCHDOG_USEC").as_deref(), Some("3000000"));
        let req = request("ExecStart=/bin/prog\nNotifyAccess=all", &[], facts());
        assert!(env(&req, "NOTIFY_SOCKET").is_some());
    }

    #[test]
    fn a_resolved_user_sets_credentials_and_its_environment() {
        let req = request(
            "ExecStart=/bin/prog\nWorkingDirectory=~",
            &[],
            Facts {
                user: Some(alice()),
                ..facts()
            },
        );
        assert_eq!(req.credentials, Some(alice().credentials));
        assert_eq!(env(&req, "USER").as_deref(), Some("alice"));
        assert_eq!(env(&req, "LOGNAME").as_deref(), Some("alice"));
        assert_eq!(env(&req, "HOME").as_deref(), Some("/home/alice"));
        assert_eq!(env(&req, "SHELL").as_deref(), Some("/bin/sh"));
        assert_eq!(req.working_directory, Some(PathBuf::from("/home/alice")));
        // Not root and already that user: no credential change.
        let req = request(
            "ExecStart=/bin/prog",
            &[],
            Facts {
                user: Some(alice()),
                own_uid: 1000,
                own_gid: 1000,
                ..facts()
            },
        );
        assert_eq!(req.credentials, None);
        // Not root, another user: asked for (and left to fail).
        let req = request(
            "ExecStart=/bin/prog",
            &[],
            Facts {
                user: Some(alice()),
                own_uid: 1001,
                own_gid: 1001,
                ..facts()
            },
        );
        assert_eq!(req.credentials, Some(alice().credentials));
    }

    #[test]
    fn working_directory_umask_nice_and_limits() {
        let req = request("ExecStart=/bin/prog", &[], facts());
        assert_eq!(req.working_directory, Some(PathBuf::from("/")));
        assert_eq!(req.umask, Some(0o022));
        assert_eq!((req.nice, req.limits.len()), (None, 0));
        let req = request("ExecStart=/bin/prog\nWorkingDirectory=~", &[], facts());
        assert_eq!(req.working_directory, Some(PathBuf::from("/root")));
        let req = request(
            "ExecStart=/bin/prog\nWorkingDirectory=-/srv/x\nUMask=0077\nNice=5\nLimitNOFILE=100:200",
            &[],
            facts(),
        );
        assert_eq!(req.working_directory, Some(PathBuf::from("/srv/x")));
        assert!(req.working_directory_missing_ok);
        assert_eq!((req.umask, req.nice), (Some(0o077), Some(5)));
        assert_eq!(
            req.limits,
            [ResourceLimit {
                resource: libc::RLIMIT_NOFILE as i32,
                soft: 100,
                hard: 200
            }]
        );
    }
}
