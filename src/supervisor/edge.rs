//! The real [`Runtime`]: spawning with the unit's execution environment,
//! signalling and inspecting one service run's processes.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use nix::unistd::{Gid, Group, Pid, Uid, User};
use tokio::sync::mpsc::UnboundedSender;

use super::cgroup::{self, Delegation};
use super::cgroup_accounting;
use super::cgroup_devices;
use super::cgroup_limits;
use super::control_group::{self, ControlGroups};
use super::environment;
use super::exec_chain;
use super::input;
use super::kill::{self, KillScope, ProcessSet};
use super::machine::{CommandSpec, Runtime};
use super::output::{Capture, CaptureTag, OutputTx};
use super::procs::{self, Claims};
use super::run_environment;
use super::spawn::{self, exit_code, Credentials};
use super::terminal;
use super::user_namespace;
use super::utmp;
use super::SupervisorConfig;
use crate::unit::service::OomPolicy;

mod cgroup_programs;
mod request;
mod sandbox;
use crate::activation::Activation;
use crate::unit::service::Resource;
use crate::unit::Signal;
pub(crate) use sandbox::remove_private_tmp;

/// Everything about one run the edge needs, borrowed from the supervisor.
#[derive(Debug)]
pub struct Edge<'a> {
    pub config: &'a SupervisorConfig,
    pub notify_socket: &'a Path,
    pub log_tx: &'a OutputTx,
    /// Where the commands' exec reports go.
    pub exec_tx: &'a UnboundedSender<super::ExecEvent>,
    pub procs: &'a mut ProcessSet,
    pub capture: &'a mut Capture,
    /// What started the run: its commands get its environment.
    pub activation: Option<&'a Activation>,
    /// What its socket units pass to its main command.
    pub socket_fds: Option<&'a super::socket_fds::SocketFds>,
    /// The services' cgroups, where cgroups are tracked.
    pub cgroups: Option<&'a mut ControlGroups>,
    pub delegation: Option<&'a Delegation>,
    /// The v1 hierarchies and the machine's totals.
    pub resources: &'a cgroup::Resources,
    /// Whether the limits' not being enforced was told.
    pub cgroup_reported: &'a mut bool,
    pub messages: &'a mut Vec<String>,
}

/// A random 128-bit id as 32 lowercase hex digits (systemd's invocation id
/// format).
pub fn random_id() -> String {
    let mut bytes = [0u8; 16];
    // SAFETY: getrandom writes at most `bytes.len()` bytes into the buffer.
    let n = unsafe { libc::getrandom(bytes.as_mut_ptr().cast(), bytes.len(), 0) };
    if n != 16 {
        // No getrandom (very old kernel): time and pid tell runs apart.
        let now = super::output::now_realtime().as_usec();
        return format!("{:016x}{:016x}", now, std::process::id());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn resource_number(r: Resource) -> i32 {
    (match r {
        Resource::Cpu => libc::RLIMIT_CPU,
        Resource::Fsize => libc::RLIMIT_FSIZE,
        Resource::Data => libc::RLIMIT_DATA,
        Resource::Stack => libc::RLIMIT_STACK,
        Resource::Core => libc::RLIMIT_CORE,
        Resource::Rss => libc::RLIMIT_RSS,
        Resource::Nofile => libc::RLIMIT_NOFILE,
        Resource::As => libc::RLIMIT_AS,
        Resource::Nproc => libc::RLIMIT_NPROC,
        Resource::Memlock => libc::RLIMIT_MEMLOCK,
        Resource::Locks => libc::RLIMIT_LOCKS,
        Resource::Sigpending => libc::RLIMIT_SIGPENDING,
        Resource::Msgqueue => libc::RLIMIT_MSGQUEUE,
        Resource::Nice => libc::RLIMIT_NICE,
        Resource::Rtprio => libc::RLIMIT_RTPRIO,
        Resource::Rttime => libc::RLIMIT_RTTIME,
    }) as i32
}

/// User=/Group= resolved, with the user's database entry for $HOME and co.
#[derive(Debug, Clone)]
struct ResolvedUser {
    credentials: Credentials,
    name: String,
    home: PathBuf,
    shell: PathBuf,
}

fn resolve_user(user: &str, group: Option<&str>, extra: &[String]) -> Result<ResolvedUser, i32> {
    let entry = match user.parse::<u32>() {
        Ok(uid) => User::from_uid(Uid::from_raw(uid)),
        Err(_) => User::from_name(user),
    };
    let entry = entry.ok().flatten().ok_or(exit_code::USER)?;
    let gid = match group {
        Some(g) => lookup_group(g)?,
        None => entry.gid,
    };
    let cname = std::ffi::CString::new(entry.name.clone()).map_err(|_| exit_code::USER)?;
    // initgroups(3) semantics, computed before fork: the user database's list.
    let mut groups: Vec<u32> = nix::unistd::getgrouplist(&cname, gid)
        .map_err(|_| exit_code::GROUP)?
        .into_iter()
        .map(Gid::as_raw)
        .collect();
    for g in extra {
        groups.push(lookup_group(g)?.as_raw());
    }
    Ok(ResolvedUser {
        credentials: Credentials {
            uid: entry.uid.as_raw(),
            gid: gid.as_raw(),
            groups,
        },
        name: entry.name,
        home: entry.dir,
        shell: entry.shell,
    })
}

fn lookup_group(g: &str) -> Result<Gid, i32> {
    match g.parse::<u32>() {
        Ok(gid) => Ok(Gid::from_raw(gid)),
        Err(_) => Group::from_name(g)
            .ok()
            .flatten()
            .map(|g| g.gid)
            .ok_or(exit_code::GROUP),
    }
}

/// Reads a child's exec report to its end (the exec closes it) and passes it
/// on. A pipe that cannot be watched reads as an exec that happened: the
/// child's exit tells the rest.
fn watch_exec_report(
    read: std::os::fd::OwnedFd,
    unit: &str,
    pid: Pid,
    tx: &UnboundedSender<super::ExecEvent>,
) {
    use tokio::io::AsyncReadExt;
    let (unit, tx) = (unit.to_owned(), tx.clone());
    let send = move |report| {
        let _ = tx.send(super::ExecEvent { unit, pid, report });
    };
    match tokio::net::unix::pipe::Receiver::from_owned_fd(read) {
        Ok(mut pipe) => {
            tokio::spawn(async move {
                let mut bytes = Vec::new();
                let report = match pipe.read_to_end(&mut bytes).await {
                    Ok(_) => spawn::ExecReport::from_bytes(&bytes),
                    Err(_) => spawn::ExecReport::Execd,
                };
                send(report);
            });
        }
        Err(_) => send(spawn::ExecReport::Execd),
    }
}

impl Runtime for Edge<'_> {
    fn new_invocation_id(&mut self) -> String {
        random_id()
    }

    fn spawn(&mut self, spec: CommandSpec<'_>) -> Result<Pid, i32> {
        let s = &spec.unit.service;
        let cmd = spec.command;
        let Some(program) = exec_chain::resolve_program(cmd) else {
            self.messages
                .push(format!("Unable to locate executable '{}'", cmd.path));
            return Err(exit_code::EXEC);
        };

        let context = s.exec_context();
        let user = match (&s.process.user, exec_chain::applies_credentials(cmd)) {
            // DynamicUser=: User= names the dynamic user, in no database.
            _ if context.dynamic_user => None,
            (Some(u), true) => Some(resolve_user(
                u,
                s.process.group.as_deref(),
                &s.process.supplementary_groups,
            )?),
            (None, true)
                if s.process.group.is_some() || !s.process.supplementary_groups.is_empty() =>
            {
                let gid = match &s.process.group {
                    Some(g) => lookup_group(g)?.as_raw(),
                    None => nix::unistd::getegid().as_raw(),
                };
                let mut groups = Vec::new();
                for g in &s.process.supplementary_groups {
                    groups.push(lookup_group(g)?.as_raw());
                }
                let credentials = Credentials {
                    uid: nix::unistd::geteuid().as_raw(),
                    gid,
                    groups,
                };
                Some(ResolvedUser {
                    credentials,
                    name: String::new(),
                    home: PathBuf::new(),
                    shell: PathBuf::new(),
                })
            }
            _ => None,
        };
        if let Some(pam) = &context.pam_name {
            self.messages.push(format!(
                "PAMName={pam}: PAM sessions are not supported by sundial"
            ));
            return Err(exit_code::PAM);
        }
        let user = match (context.dynamic_user, exec_chain::applies_credentials(cmd)) {
            (true, true) => Some(self.dynamic_user(spec.unit)?),
            _ => user,
        };
        if self.procs.run_environment.is_none() {
            let env = self.prepare_run(spec.unit, user.as_ref())?;
            self.procs.run_environment = Some(Box::new(env));
        }

        let files = match environment::read_environment_files(&s.process.environment_files) {
            Ok(f) => f,
            Err(e) => {
                self.messages
                    .push(format!("Failed to load environment files: {e}"));
                return Err(exit_code::EXEC);
            }
        };
        let settings = request::Settings {
            config: self.config,
            notify_socket: self.notify_socket,
            activation: self.activation,
        };
        let own_uid = nix::unistd::geteuid().as_raw();
        let sandboxed = sandbox::prepare(
            spec.unit,
            cmd,
            spec.invocation_id,
            &self.config.runtime_dir,
            own_uid,
        )
        .map_err(|(status, message)| {
            self.messages.push(message);
            status
        })?;
        let facts = request::Facts {
            program,
            user,
            environment_files: files,
            own_uid,
            own_gid: nix::unistd::getegid().as_raw(),
            home: std::env::var_os("HOME").map(PathBuf::from),
            run_environment: self
                .procs
                .run_environment
                .as_ref()
                .map(|e| e.variables())
                .unwrap_or_default(),
        };
        let unit = spec.unit;
        let invocation_id = spec.invocation_id;
        let kind = spec.kind;
        let mut req = request::build(spec, settings, facts);
        req.sandbox = sandboxed;
        if let Some(sb) = req.sandbox.as_mut().filter(|_| {
            let sb = unit.service.rare().sandbox.as_deref();
            sb.is_some_and(|sb| sb.private_users)
        }) {
            let own_gid = nix::unistd::getegid().as_raw();
            let (uid, gid) = req
                .credentials
                .as_ref()
                .map_or((own_uid, own_gid), |c| (c.uid, c.gid));
            sb.user_namespace = Some(user_namespace::maps(own_uid, own_gid, uid, gid));
        }
        // systemd passes the sockets to the main command only (EXEC_PASS_FDS).
        let passed = self
            .socket_fds
            .filter(|_| kind == exec_chain::ExecKind::Start);
        if let Some(passed) = passed {
            req.env.extend(
                passed
                    .environment()
                    .into_iter()
                    .map(|(k, v)| (k.into(), v.into())),
            );
            req.passed_fds = passed.fds.iter().map(|f| Arc::clone(&f.fd)).collect();
        }
        req.privileges = self.privileges(s.exec_context(), cmd, &req)?;
        let tag = CaptureTag {
            unit: unit.name.as_str().to_owned(),
            invocation_id: invocation_id.to_owned(),
            level: s.process.syslog_level,
            level_prefix: s.process.syslog_level_prefix,
            rate_limit: self.config.log_rate_limit.for_unit(
                s.process
                    .log_rate_limit_interval
                    .map(|t| std::time::Duration::from_micros(t.as_usec())),
                s.process.log_rate_limit_burst,
            ),
        };
        let connection = passed
            .filter(|p| p.connection)
            .and_then(|p| p.fds.first())
            .map(|f| &*f.fd);
        // Before the terminal is opened for the command: a hangup revokes
        // every descriptor open on it (see `terminal`).
        let tty_actions = terminal::TtyActions::of(s.exec_context());
        if tty_actions.any() && input::gets_terminal(kind) {
            self.messages
                .extend(terminal::apply(s.tty_path(), tty_actions));
        }
        let stdin = input::open_with(s, kind, connection).map_err(|e| {
            self.messages
                .push(format!("Failed to set up standard input: {e}"));
            exit_code::STDIN
        })?;
        let tty = (s.process.standard_input.is_terminal() || s.process.tty_path.is_some())
            .then(|| s.tty_path());
        let (out, err) = self
            .capture
            .stdio(
                s.process.standard_output.as_ref(),
                s.process.standard_error.as_ref(),
                &stdin,
                tty,
                &tag,
                self.log_tx,
            )
            .map_err(|e| {
                self.messages
                    .push(format!("Failed to set up standard output: {e}"));
                exit_code::STDOUT
            })?;
        req.stdin = stdin.spec;
        req.controlling_terminal = stdin.controlling_terminal;
        // The run's first command: its cgroup first (a start, a restart,
        // an automatic restart alike).
        if self.procs.since.is_none() {
            let owner = req.credentials.as_ref().map(|c| (c.uid, c.gid));
            self.place_in_cgroup(unit, owner)?;
        }
        for spec in [&out, &err] {
            if let spawn::StdioSpec::Fd(fd) = spec {
                self.procs.output_pipes.extend(procs::pipe_inode_of(fd));
            }
        }
        if let Some(cg) = &self.procs.cgroup {
            req.cgroup_procs.push(cg.dir.join("cgroup.procs"));
            // Asked again: another service's limits may have enabled
            // controllers for every service's cgroup since.
            req.cgroup_controllers = cg.controllers
                || self
                    .cgroups
                    .as_deref()
                    .is_some_and(|g| g.controllers_apply(&cg.dir));
        }
        for d in &self.procs.v1 {
            req.cgroup_procs.push(d.dir.join("cgroup.procs"));
            req.cgroup_controllers |= d.has("memory") || d.has("cpuset");
        }

        // Every command reports on its exec through a pipe read beside the
        // event loop: Type=exec's start is done only once the program has
        // been executed (systemd's rule for Type=exec),
        // and a failed exec is told with its reason.
        let (read, write) = spawn::pipe().map_err(|e| {
            self.messages
                .push(format!("Failed to set up the exec report: {e}"));
            exit_code::EXEC
        })?;
        req.stdout = out;
        req.stderr = err;
        req.exec_report = Some(write);
        let mut claims = Claims::lock();
        self.procs.filling();
        let first = self.procs.since.is_none();
        let before = first.then(procs::boot_ticks).flatten();
        match spawn::spawn(req) {
            Ok(pid) => {
                claims.claim(pid);
                self.procs.add_session(pid);
                if first {
                    self.procs.since = procs::start_of_new(pid, before);
                    self.procs.first = Some(pid);
                }
                watch_exec_report(read, unit.name.as_str(), pid, self.exec_tx);
                self.utmp_start(&unit.service, pid);
                Ok(pid)
            }
            Err(failure) => {
                self.messages
                    .push(format!("Failed to execute {}: {}", cmd.path, failure.error));
                Err(failure.exit_status)
            }
        }
    }

    fn kill(
        &mut self,
        scope: KillScope,
        signal: Signal,
        main: Option<Pid>,
        control: Option<Pid>,
    ) -> usize {
        kill::signal_run(scope, signal, false, main, control, self.procs)
    }

    fn has_processes(&mut self) -> bool {
        !self.procs.is_empty()
    }

    fn read_pid_file(&mut self, path: &Path) -> Option<Pid> {
        let text = std::fs::read_to_string(path).ok()?;
        let pid = Pid::from_raw(text.trim().parse().ok().filter(|p: &i32| *p > 0)?);
        if !kill::alive(pid) {
            return None;
        }
        // The daemon may be our child already (re-parented) or become one.
        let mut claims = Claims::lock();
        if procs::stat(pid).is_some_and(|p| p.ppid == nix::unistd::getpid()) {
            claims.claim(pid);
        }
        self.procs.orphans.insert(pid);
        Some(pid)
    }

    fn guess_main_pid(&mut self) -> Option<Pid> {
        if let Some(found) = self.main_pid_in_cgroup() {
            return found;
        }
        let living: Vec<Pid> = self
            .procs
            .orphans
            .iter()
            .copied()
            .filter(|p| kill::alive(*p))
            .collect();
        match living.as_slice() {
            [one] => Some(*one),
            [] => self.find_orphaned_daemon(),
            _ => None,
        }
    }

    fn belongs(&mut self, pid: Pid) -> bool {
        self.procs.members(&procs::scan()).contains(&pid)
    }
}

impl Edge<'_> {
    /// UtmpIdentifier=: the records of a process's start (systemd writes
    /// them in the child, before exec; a failure is only logged).
    fn utmp_start(&mut self, s: &crate::unit::ServiceSection, pid: Pid) {
        let c = s.exec_context();
        let Some(id) = &c.utmp_identifier else {
            return;
        };
        let line = s.process.tty_path.as_deref().map(|p| {
            let p = p.to_string_lossy().into_owned();
            p.strip_prefix("/dev/").map(str::to_owned).unwrap_or(p)
        });
        let user = s.process.user.clone().unwrap_or_else(|| {
            User::from_uid(nix::unistd::geteuid())
                .ok()
                .flatten()
                .map_or_else(|| "root".to_owned(), |u| u.name)
        });
        let start = utmp::Start {
            id,
            pid: pid.as_raw(),
            line: line.as_deref(),
            mode: c.utmp_mode,
            user: &user,
        };
        if let Err(e) = utmp::write_start(&self.config.utmp, &start) {
            self.messages.push(format!(
                "Failed to write utmp record to {}: {e}",
                self.config.utmp.utmp.display()
            ));
        }
    }

    /// The credentials of a `DynamicUser=` service: a uid of its own from
    /// the dynamic range, its group the same number.
    fn dynamic_user(&mut self, unit: &crate::unit::ServiceUnit) -> Result<ResolvedUser, i32> {
        let s = &unit.service;
        if !nix::unistd::geteuid().is_root() {
            self.messages.push(
                "DynamicUser=yes needs the daemon to run as root (sundial --system); not started"
                    .into(),
            );
            return Err(exit_code::USER);
        }
        let name = unit.name.as_str();
        let Some(uid) = run_environment::dynamic_uid(name, run_environment::uid_in_use) else {
            self.messages
                .push("DynamicUser=: every uid of 61184-65519 is taken".into());
            return Err(exit_code::USER);
        };
        let mut groups = vec![uid];
        for g in &s.process.supplementary_groups {
            groups.push(lookup_group(g)?.as_raw());
        }
        Ok(ResolvedUser {
            credentials: Credentials {
                uid,
                gid: uid,
                groups,
            },
            name: run_environment::dynamic_user_name(name, s.process.user.as_deref()),
            home: PathBuf::from("/"),
            shell: PathBuf::from("/usr/sbin/nologin"),
        })
    }

    /// Makes the run's directories and credentials, owned by the service's
    /// user (`user`, or User= where this command does not change to it).
    fn prepare_run(
        &mut self,
        unit: &crate::unit::ServiceUnit,
        user: Option<&ResolvedUser>,
    ) -> Result<run_environment::RunEnvironment, i32> {
        let s = &unit.service;
        let context = s.exec_context();
        if context.directories.iter().all(|d| d.paths.is_empty())
            && !context.has_credentials()
            && context.encrypted_credentials.is_empty()
        {
            return Ok(run_environment::RunEnvironment {
                dirs: Default::default(),
                credentials: None,
                preserve: context.runtime_directory_preserve,
            });
        }
        let owner_user = match (user, &s.process.user) {
            (Some(u), _) => Some(u.clone()),
            (None, _) if context.dynamic_user => Some(self.dynamic_user(unit)?),
            (None, Some(name)) => resolve_user(name, s.process.group.as_deref(), &[]).ok(),
            (None, None) => None,
        };
        let owner = super::exec_dirs::Owner {
            ids: owner_user
                .map(|u| (u.credentials.uid, u.credentials.gid))
                .filter(|ids| {
                    *ids != (
                        nix::unistd::geteuid().as_raw(),
                        nix::unistd::getegid().as_raw(),
                    )
                }),
            dynamic: context.dynamic_user,
        };
        run_environment::prepare(
            unit.name.as_str(),
            context,
            &self.config.exec_roots,
            owner,
            self.config.passed_credentials.as_deref(),
        )
        .map_err(|f| {
            self.messages.push(f.message);
            f.exit_status
        })
    }

    /// The capabilities, no_new_privs and scheduling of one command: all of
    /// them for a plain command, scheduling alone for a `+` one (full
    /// privileges).
    fn privileges(
        &mut self,
        context: &crate::unit::exec_context::ExecContext,
        cmd: &crate::unit::exec::ExecCommand,
        req: &spawn::SpawnRequest,
    ) -> Result<spawn::Privileges, i32> {
        use crate::unit::exec_context::KeyringMode;
        let keyring = match context.keyring_mode {
            Some(KeyringMode::Inherit) => 0,
            Some(KeyringMode::Private) => 1,
            Some(KeyringMode::Shared) => 2,
            None => u8::from(self.config.system_manager),
        };
        if !context.changes_process() {
            // The common case: nothing to read about the daemon's own
            // capabilities.
            return Ok(spawn::Privileges {
                ignore_sigpipe: context.ignore_sigpipe,
                keyring,
                ..spawn::Privileges::NONE
            });
        }
        let new_uid = req.credentials.as_ref().map(|c| c.uid);
        let full = cmd.privileges == crate::unit::exec::ExecPrivileges::Full;
        let planned =
            super::privileges::plan(context, new_uid, &super::privileges::HostCaps::of_process());
        match planned {
            Ok(p) if full => Ok(spawn::Privileges {
                oom_score_adj: p.oom_score_adj,
                ioprio: p.ioprio,
                scheduler: p.scheduler,
                cpu_affinity: p.cpu_affinity,
                ignore_sigpipe: p.ignore_sigpipe,
                keyring,
                ..spawn::Privileges::NONE
            }),
            Ok(p) => Ok(spawn::Privileges { keyring, ..p }),
            Err(e) => {
                self.messages.push(format!("Not started: {e}"));
                Err(e.exit_status())
            }
        }
    }

    /// Makes the service's cgroups (v2 where cgroups are tracked, v1 where
    /// the hybrid layout's controllers are writable) and writes its
    /// resource limits into the hierarchy that has each controller.
    /// With `Delegate=yes` the service's cgroups are handed to its `User=`
    /// (`owner`), as systemd does: the directory and the files a manager of
    /// a subtree writes become theirs. The BPF programs of its device
    /// policy and IP address lists are attached to its v2 cgroup here; where
    /// they cannot be, the run does not start (the status to fail with).
    fn place_in_cgroup(
        &mut self,
        unit: &crate::unit::ServiceUnit,
        owner: Option<(u32, u32)>,
    ) -> Result<(), i32> {
        let name = unit.name.as_str();
        if let Some(groups) = self.cgroups.as_deref_mut() {
            // Made again even where a run left processes in it: a daemon in
            // another pid namespace may have taken it for a dead daemon's
            // and removed it once empty.
            match groups.prepare(name, &super::control_group::slice_dirs(&unit.service)) {
                Ok(cg) => self.procs.cgroup = Some(cg),
                Err(e) => {
                    self.procs.cgroup = None;
                    self.messages.push(format!(
                        "Failed to create its cgroup, tracking its processes without: {e}"
                    ));
                }
            }
        }
        let v2_offered = self
            .delegation
            .filter(|_| self.procs.cgroup.is_some())
            .map(|d| d.controllers.clone())
            .unwrap_or_default();
        let v1_offered = self.resources.v1_controllers();
        let plan = cgroup_limits::plan(
            &unit.service,
            self.resources.default_tasks_max,
            cgroup_limits::Offered {
                v2: &v2_offered,
                v1: &v1_offered,
                physical_memory: self.resources.physical_memory,
                tasks_total: self.resources.tasks_total,
            },
        );
        let mut plan = plan;
        let sandbox = unit.service.rare().sandbox.as_deref();
        if let Some((sb, entries)) = sandbox.and_then(|sb| Some((sb, cgroup_devices::allowed(sb)?)))
        {
            let rules = cgroup_devices::resolve(&entries);
            if cgroup_devices::by_v1(&v1_offered) {
                plan.v1.extend(cgroup_devices::writes(&rules));
            } else {
                self.attach_device_program(sb, &rules)?;
            }
        }
        self.procs.ip_counters = None;
        if let Some(sb) = sandbox {
            self.attach_network_programs(sb)?;
        }
        let mut problems = plan.not_enforced.clone();
        let mut v1_wanted: Vec<&str> = plan.v1.iter().map(|w| w.controller).collect();
        // Without a v2 cgroup (cpu.stat), CPU time is cpuacct's.
        if self.procs.cgroup.is_none() && !v1_wanted.is_empty() {
            v1_wanted.push("cpuacct");
        }
        // Where its v2 cgroup cannot be frozen (none, or a kernel before
        // 5.2), the v1 freezer's ends its processes (see kill).
        let v2_freezes = self.procs.cgroup.is_some()
            && self
                .cgroups
                .as_deref()
                .is_some_and(super::control_group::ControlGroups::freezable);
        if !v2_freezes && unit.service.stop.kill_mode != crate::unit::service::KillMode::None {
            v1_wanted.push(super::cgroup_v1::FREEZER);
        }
        if let Some(v1) = self.resources.v1.as_ref().filter(|_| !v1_wanted.is_empty()) {
            // Only the hierarchies its settings need: a directory costs a
            // mkdir and an rmdir per run, and joining the memory one takes a
            // fork rather than a clone (see spawn). Accounting has the v2
            // cgroup (cpu.stat, its processes) besides.
            match v1.prepare(name, &v1_wanted) {
                Ok(dirs) => {
                    if let Err(e) = cgroup::apply_v1(&dirs, &plan.v1) {
                        problems.push(format!("cgroup v1 limits: {e}"));
                    }
                    self.procs.v1 = dirs;
                }
                Err(e) => problems.push(format!("cannot create its cgroup v1 directories: {e}")),
            }
        }
        if !plan.v2.is_empty() {
            let outcome = match (self.cgroups.as_deref(), &mut self.procs.cgroup) {
                (Some(groups), Some(cg)) => cgroup::apply_v2(groups, &cg.dir, &plan.v2).map(|()| {
                    // Controllers apply now: commands are forked into it.
                    cg.controllers = true;
                }),
                _ => Err(cgroup::SettingError::NoV2Subtree),
            };
            if let Err(e) = outcome {
                problems.push(format!("cgroup v2 limits: {e}"));
            }
        }
        if let Some((uid, gid)) = owner.filter(|_| unit.service.delegate) {
            let v2 = self.procs.cgroup.iter().map(|cg| cg.dir.as_path());
            let v1 = self.procs.v1.iter().map(|d| d.dir.as_path());
            for dir in v2.chain(v1) {
                if let Err(e) = cgroup::delegate_to(dir, uid, gid) {
                    problems.push(format!("Delegate=: {e}"));
                }
            }
        }
        let dirs = cgroup_accounting::Dirs {
            v2: self.procs.cgroup.as_ref(),
            v1: &self.procs.v1,
        };
        self.procs.oom_kills = cgroup_accounting::oom_kills(dirs);
        if unit.service.stop.oom_policy == OomPolicy::Kill {
            if let Some(cg) = &self.procs.cgroup {
                cgroup_accounting::set_oom_group(cg);
            }
        }
        if !problems.is_empty() && !*self.cgroup_reported {
            *self.cgroup_reported = true;
            self.messages.push(format!(
                "Resource settings not enforced: {}",
                problems.join("; ")
            ));
        }
        Ok(())
    }

    /// The main process of a service without `PIDFile=` after its start
    /// command forked and exited, from the service's cgroup as systemd
    /// finds it: the one process there that is our child (re-parented to
    /// the daemon, a subreaper). `None` without a cgroup or with none there,
    /// to look by the process tree instead; `Some(None)` when several
    /// qualify: no main process can be told.
    fn main_pid_in_cgroup(&mut self) -> Option<Option<Pid>> {
        let cg = self.procs.cgroup.as_ref()?;
        let me = nix::unistd::getpid();
        let ours: Vec<Pid> = control_group::processes(&cg.dir)
            .into_iter()
            .filter(|pid| procs::stat(*pid).is_some_and(|p| p.ppid == me && !p.zombie))
            .collect();
        let one = match ours.as_slice() {
            [] => return None,
            [one] => one,
            _ => return Some(None),
        };
        Claims::lock().claim(*one);
        self.procs.orphans.insert(*one);
        Some(Some(*one))
    }

    /// The kernel's list of our children (which `adopt_orphans` reads) can
    /// miss entries while other children are created or exit at the same
    /// time; before giving up on a guess, look through the whole process
    /// table for the one child of ours in this service's session or
    /// process group.
    fn find_orphaned_daemon(&mut self) -> Option<Pid> {
        let table = procs::scan();
        let me = nix::unistd::getpid();
        let mut claims = Claims::lock();
        let ours: Vec<Pid> = self
            .procs
            .members(&table)
            .into_iter()
            .filter(|pid| {
                table
                    .iter()
                    .any(|p| p.pid == *pid && p.ppid == me && !p.zombie)
            })
            .filter(|pid| !claims.is_claimed(*pid))
            .collect();
        let [one] = ours.as_slice() else {
            return None;
        };
        claims.claim(*one);
        self.procs.orphans.insert(*one);
        Some(*one)
    }
}
