//! `sundial run`: a command as a transient service, now or on a transient
//! timer, as `systemd-run` runs one. The options become unit-file
//! assignments here, as systemd-run makes them bus properties; the daemon
//! writes the units and loads them like unit files.

use crate::ipc::RunRequest;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context};
use sundial_calendar::timespan::format_timespan;
use sundial_calendar::Timespan;

use super::connect::SocketEnv;
use super::jobs::job_failure;
use super::{print_messages, unexpected, Connection};
use crate::ipc::{ErrorCode, Request, Response};
use crate::unit::transient::{command_line, exec_word, literal};
use crate::unit::values::parse_bool;

const EXAMPLES: &str = "Examples:\n  \
    $ sundial run -- sh -c 'echo hi'          # now, as a transient service\n  \
    Running as unit: run-r1f0c4e2a9b7d4c55a3e8f6d1b2c3a4e5.service\n  \
    $ sundial run --wait -- sh -c 'exit 3'; echo $?\n  \
    Running as unit: run-r8a2b….service\n  \
    Finished with result: exit-code\n  \
    Main processes terminated with: code=exited/status=3\n  \
    Service runtime: 4ms\n  \
    3\n  \
    $ sundial run --on-active=30min --unit=tea -- notify-send 'Tea is ready'\n  \
    Running timer as unit: tea.timer\n  \
    Will run service as unit: tea.service\n  \
    $ sundial run --on-calendar='Mon..Fri 09:00' -p Nice=10 -E TARGET=/backup -- /usr/local/bin/sync\n  \
    $ sundial stop tea.timer                  # a pending timer goes with its service";

/// Arguments of `sundial run`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Run a command as a transient service, now or on a timer (like systemd-run)",
    long_about = "Run COMMAND as a transient service: a unit made for it, started now, and \
                  removed once it is done. With a timer option (--on-active=, \
                  --on-calendar=, ...) a transient timer is made too, and the service runs \
                  when it elapses; the pair is removed once the timer cannot elapse again, or \
                  when the timer is stopped. Transient units are kept in the daemon's state \
                  database, so a pending timer survives a restart of the daemon with its \
                  original deadline; they show in list-timers and list-units, and their runs \
                  and output stay in history and logs. COMMAND is looked up in this shell's \
                  $PATH. A failed service stays (status, reset-failed) unless --collect. As \
                  in systemd, a timer may elapse up to AccuracySec= (1min) late: add \
                  --timer-property=AccuracySec=1s for punctuality.",
    after_long_help = EXAMPLES
)]
pub struct Args {
    /// Name the units NAME.service (and NAME.timer) instead of run-rHEX (random).
    #[arg(short = 'u', long = "unit", value_name = "NAME")]
    pub unit: Option<String>,
    /// A setting of the service (its Unit or Service section), as a unit
    /// file line (repeatable): -p Nice=5, -p Environment=A=b, -p User=backup.
    #[arg(short = 'p', long = "property", value_name = "KEY=VALUE")]
    pub properties: Vec<String>,
    /// Description= of the units (default: the command line).
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// Remove the units once done even if the service failed
    /// (CollectMode=inactive-or-failed); otherwise a failed service stays
    /// until reset-failed.
    #[arg(short = 'G', long)]
    pub collect: bool,
    /// Wait until the service has finished, print how it ended, and exit with
    /// its exit status (1 for other failures). Not with timer options.
    #[arg(long, conflicts_with = "no_block")]
    pub wait: bool,
    /// Return once the service is queued, without waiting for it to start.
    #[arg(long)]
    pub no_block: bool,
    /// Print only errors.
    #[arg(short = 'q', long)]
    pub quiet: bool,

    /// Set an environment variable of the command (repeatable); NAME alone
    /// passes this shell's value.
    #[arg(
        short = 'E',
        long = "setenv",
        value_name = "NAME[=VALUE]",
        help_heading = "Service"
    )]
    pub setenv: Vec<String>,
    /// The command's working directory (WorkingDirectory=); a relative path
    /// is taken from here.
    #[arg(long, value_name = "DIR", help_heading = "Service")]
    pub working_directory: Option<PathBuf>,
    /// Run the command in this directory (--working-directory=$PWD).
    #[arg(
        short = 'd',
        long,
        conflicts_with = "working_directory",
        help_heading = "Service"
    )]
    pub same_dir: bool,
    /// Type= of the service (simple, exec, oneshot, forking, notify, ...).
    #[arg(long, value_name = "TYPE", help_heading = "Service")]
    pub service_type: Option<String>,
    /// Keep the service active after its command exited (RemainAfterExit=yes),
    /// until it is stopped.
    #[arg(short = 'r', long, help_heading = "Service")]
    pub remain_after_exit: bool,
    /// Run as this user (User=).
    #[arg(long, value_name = "USER", help_heading = "Service")]
    pub uid: Option<String>,
    /// Run with this group (Group=).
    #[arg(long, value_name = "GROUP", help_heading = "Service")]
    pub gid: Option<String>,
    /// Nice= level of the command.
    #[arg(
        long,
        value_name = "N",
        allow_negative_numbers = true,
        help_heading = "Service"
    )]
    pub nice: Option<i32>,
    /// Expand $VAR and ${VAR} in the command when it starts, as in
    /// ExecStart= ($$ is a literal $); no: pass them as written.
    #[arg(
        long,
        value_name = "BOOL",
        default_value = "yes",
        action = clap::ArgAction::Set,
        value_parser = parse_flag_bool,
        help_heading = "Service"
    )]
    pub expand_environment: bool,

    /// Elapse this long after the timer was made (OnActiveSec=).
    #[arg(long, value_name = "SPAN", help_heading = "Timer")]
    pub on_active: Vec<String>,
    /// Elapse this long after boot (OnBootSec=).
    #[arg(long, value_name = "SPAN", help_heading = "Timer")]
    pub on_boot: Vec<String>,
    /// Elapse this long after the daemon started (OnStartupSec=).
    #[arg(long, value_name = "SPAN", help_heading = "Timer")]
    pub on_startup: Vec<String>,
    /// Elapse this long after the service last started (OnUnitActiveSec=).
    #[arg(long, value_name = "SPAN", help_heading = "Timer")]
    pub on_unit_active: Vec<String>,
    /// Elapse this long after the service last stopped (OnUnitInactiveSec=).
    #[arg(long, value_name = "SPAN", help_heading = "Timer")]
    pub on_unit_inactive: Vec<String>,
    /// Elapse on this calendar event (OnCalendar=); repeatable.
    #[arg(long, value_name = "SPEC", help_heading = "Timer")]
    pub on_calendar: Vec<String>,
    /// Elapse when the wall clock is set (OnClockChange=yes).
    #[arg(long, help_heading = "Timer")]
    pub on_clock_change: bool,
    /// Elapse when the local time zone changes (OnTimezoneChange=yes).
    #[arg(long, help_heading = "Timer")]
    pub on_timezone_change: bool,
    /// A setting of the timer (its Unit or Timer section), as a unit file
    /// line (repeatable): --timer-property=AccuracySec=1s. Any makes a timer.
    #[arg(
        long = "timer-property",
        value_name = "KEY=VALUE",
        help_heading = "Timer"
    )]
    pub timer_properties: Vec<String>,

    /// The command and its arguments (options after it belong to it; `--`
    /// before it is allowed).
    #[arg(value_name = "COMMAND", required = true, trailing_var_arg = true)]
    pub command: Vec<String>,
    #[command(flatten)]
    pub connection: Connection,
}

fn parse_flag_bool(s: &str) -> Result<bool, String> {
    parse_bool(s).map_err(|e| e.to_string())
}

impl Args {
    /// The timer's assignments from the timer options, in systemd-run's
    /// order; empty when no timer is asked for.
    fn timer_assignments(&self) -> Vec<String> {
        let mut out: Vec<String> = self.timer_properties.clone();
        let spans = [
            ("OnActiveSec", &self.on_active),
            ("OnBootSec", &self.on_boot),
            ("OnStartupSec", &self.on_startup),
            ("OnUnitActiveSec", &self.on_unit_active),
            ("OnUnitInactiveSec", &self.on_unit_inactive),
            ("OnCalendar", &self.on_calendar),
        ];
        for (key, values) in spans {
            out.extend(values.iter().map(|v| format!("{key}={v}")));
        }
        if self.on_clock_change {
            out.push("OnClockChange=yes".into());
        }
        if self.on_timezone_change {
            out.push("OnTimezoneChange=yes".into());
        }
        out
    }

    /// The service's assignments from the other options.
    fn service_assignments(
        &self,
        cwd: &Path,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Vec<String>> {
        let mut out = self.properties.clone();
        if let Some(t) = &self.service_type {
            out.push(format!("Type={t}"));
        }
        if self.remain_after_exit {
            out.push("RemainAfterExit=yes".into());
        }
        if let Some(user) = &self.uid {
            out.push(format!("User={user}"));
        }
        if let Some(group) = &self.gid {
            out.push(format!("Group={group}"));
        }
        if let Some(n) = self.nice {
            out.push(format!("Nice={n}"));
        }
        let dir = match (&self.working_directory, self.same_dir) {
            (Some(dir), _) => Some(cwd.join(dir)),
            (None, true) => Some(cwd.to_path_buf()),
            (None, false) => None,
        };
        if let Some(dir) = dir {
            let dir = dir
                .to_str()
                .ok_or_else(|| anyhow!("{}: not a UTF-8 path", dir.display()))?;
            out.push(format!("WorkingDirectory={}", literal(dir)));
        }
        for var in &self.setenv {
            let assignment = match var.split_once('=') {
                Some(_) => var.clone(),
                None => {
                    let value =
                        env(var).ok_or_else(|| anyhow!("--setenv {var}: {var} is not set here"))?;
                    format!("{var}={value}")
                }
            };
            out.push(format!("Environment={}", exec_word(&assignment)));
        }
        Ok(out)
    }
}

/// Finds `name` as a shell would: a name with a `/` is a path (relative to
/// `cwd`), other names are looked up in `path` (`$PATH`); the result is an
/// executable file's absolute path (systemd-run resolves the command on the
/// client's side too).
pub fn resolve_command(name: &str, path: Option<&OsStr>, cwd: &Path) -> anyhow::Result<String> {
    let executable =
        |p: &Path| p.is_file() && nix::unistd::access(p, nix::unistd::AccessFlags::X_OK).is_ok();
    let found = if name.contains('/') {
        let p = cwd.join(name);
        if !executable(&p) {
            bail!("{name}: no executable file there");
        }
        p
    } else {
        let dirs = path.map(std::env::split_paths).into_iter().flatten();
        dirs.map(|d| {
            // An empty entry of $PATH is the working directory.
            if d.as_os_str().is_empty() {
                cwd.join(name)
            } else {
                cwd.join(d).join(name)
            }
        })
        .find(|p| executable(p))
        .ok_or_else(|| anyhow!("{name}: command not found in $PATH"))?
    };
    found
        .into_os_string()
        .into_string()
        .map_err(|p| anyhow!("{}: not a UTF-8 path", Path::new(&p).display()))
}

/// Runs `sundial run`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let timer = args.timer_assignments();
    if args.wait && !timer.is_empty() {
        // systemd-run refuses this too: the service runs later, if ever.
        bail!("--wait waits for a service started now; it cannot be combined with timer options");
    }
    let cwd = std::env::current_dir().context("cannot read the working directory")?;
    let mut command = args.command.clone();
    command[0] = resolve_command(&command[0], std::env::var_os("PATH").as_deref(), &cwd)?;
    let description = args
        .description
        .clone()
        .unwrap_or_else(|| command_line(&command));
    let mut shared = vec![format!("Description={}", literal(&description))];
    if args.collect {
        shared.push("CollectMode=inactive-or-failed".into());
    }
    let service = args.service_assignments(&cwd, |v| std::env::var(v).ok())?;
    let with_shared = |own: Vec<String>| shared.iter().cloned().chain(own).collect::<Vec<_>>();
    let request = Request::Run(RunRequest {
        unit: args.unit.clone(),
        command,
        properties: with_shared(service),
        timer_properties: if timer.is_empty() {
            Vec::new()
        } else {
            with_shared(timer)
        },
        expand_environment: args.expand_environment,
        no_block: args.no_block,
        wait: args.wait,
    });
    let sundial = args.connection.command(&SocketEnv::from_process());
    if !args.wait {
        let response = args.connection.call(&request)?;
        return Ok(match response {
            Response::Transient {
                service,
                timer,
                messages,
            } => {
                print_messages(&messages);
                if !args.quiet {
                    eprint!("{}", started_text(&service, timer.as_deref()));
                }
                ExitCode::SUCCESS
            }
            Response::Error { code, message } => failure(&sundial, code, &message),
            other => return Err(unexpected("run", &other)),
        });
    }
    let mut service_name = None;
    for response in args.connection.stream(&request)? {
        match response.map_err(anyhow::Error::new)? {
            Response::Transient {
                service, messages, ..
            } => {
                print_messages(&messages);
                if !args.quiet {
                    eprint!("{}", started_text(&service, None));
                }
                service_name = Some(service);
            }
            Response::Finished {
                result,
                exit_code,
                exit_status,
                runtime_usec,
                ..
            } => {
                let finished = Finished {
                    result,
                    exit_code,
                    exit_status,
                    runtime_usec,
                };
                if !args.quiet {
                    eprint!("{}", finished.summary());
                }
                return Ok(ExitCode::from(finished.exit_code()));
            }
            Response::Error { code, message } => return Ok(failure(&sundial, code, &message)),
            other => return Err(unexpected("run", &other)),
        }
    }
    Err(match service_name {
        Some(service) => anyhow!("the daemon closed the connection before {service} finished"),
        None => anyhow!("the daemon closed the connection without a reply"),
    })
}

/// What the units are called, as systemd-run says it.
fn started_text(service: &str, timer: Option<&str>) -> String {
    match timer {
        Some(timer) => {
            format!("Running timer as unit: {timer}\nWill run service as unit: {service}\n")
        }
        None => format!("Running as unit: {service}\n"),
    }
}

/// Prints a refusal or failure; exit 1, as systemd-run. `sundial` is the
/// command that reaches the same daemon, for the pointer to the logs.
fn failure(sundial: &str, code: ErrorCode, message: &str) -> ExitCode {
    // "Job for X failed because ...": with systemctl's pointer to the logs.
    let unit = message
        .strip_prefix("Job for ")
        .and_then(|rest| rest.split_once(" failed"))
        .map(|(unit, _)| unit.to_owned());
    match unit {
        Some(unit) => eprint!("{}", job_failure(sundial, "start", &[unit], code, message)),
        None => {
            for line in message.lines() {
                eprintln!("sundial: {line}");
            }
        }
    }
    ExitCode::FAILURE
}

/// How the service of `run --wait` ended.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Finished {
    result: String,
    exit_code: Option<String>,
    exit_status: Option<String>,
    runtime_usec: Option<u64>,
}

impl Finished {
    /// systemd-run's lines after `--wait`.
    fn summary(&self) -> String {
        let mut text = format!("Finished with result: {}\n", self.result);
        if let (Some(code), Some(status)) = (&self.exit_code, &self.exit_status) {
            text.push_str(&format!(
                "Main processes terminated with: code={code}/status={status}\n"
            ));
        }
        if let Some(usec) = self.runtime_usec.filter(|u| *u > 0) {
            // To the millisecond, as systemd-run prints it.
            let runtime = format_timespan(Timespan::from_usec(usec), Timespan::from_usec(1000));
            text.push_str(&format!("Service runtime: {runtime}\n"));
        }
        text
    }

    /// The command's exit status when it exited with one, 0 for success
    /// (also with SuccessExitStatus=), else 1.
    fn exit_code(&self) -> u8 {
        if self.result == "success" {
            return 0;
        }
        let status = self
            .exit_status
            .as_deref()
            .and_then(|s| s.parse::<u8>().ok());
        match (self.result.as_str(), self.exit_code.as_deref(), status) {
            ("exit-code", Some("exited"), Some(n)) if n > 0 => n,
            _ => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use std::os::unix::fs::PermissionsExt;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    fn parse(argv: &[&str]) -> Args {
        Cli::try_parse_from(std::iter::once("run").chain(argv.iter().copied()))
            .unwrap()
            .args
    }

    #[test]
    fn options_after_the_command_belong_to_it() {
        let a = parse(&["--on-active=1s", "sh", "-c", "echo --wait"]);
        assert_eq!(a.command, ["sh", "-c", "echo --wait"]);
        assert!(!a.wait);
        let a = parse(&["--wait", "--", "ls", "-l"]);
        assert_eq!(a.command, ["ls", "-l"]);
        assert!(a.wait);
        assert!(parse(&["--nice=-5", "true"]).nice == Some(-5));
        assert!(!parse(&["--expand-environment=no", "true"]).expand_environment);
        assert!(Cli::try_parse_from(["run", "--wait"]).is_err());
        assert!(Cli::try_parse_from(["run", "--wait", "--no-block", "true"]).is_err());
    }

    #[test]
    fn options_become_assignments() {
        let a = parse(&[
            "--on-calendar=daily",
            "--on-active=5min",
            "--timer-property=AccuracySec=1s",
            "--on-clock-change",
            "-p",
            "Nice=3",
            "-E",
            "A=b c",
            "-E",
            "HOME",
            "--uid=backup",
            "--service-type=oneshot",
            "-r",
            "--working-directory=sub/dir",
            "true",
        ]);
        assert_eq!(
            a.timer_assignments(),
            [
                "AccuracySec=1s",
                "OnActiveSec=5min",
                "OnCalendar=daily",
                "OnClockChange=yes"
            ]
        );
        let env = |v: &str| (v == "HOME").then(|| "/home/ann 100%".to_owned());
        assert_eq!(
            a.service_assignments(Path::new("/work"), env).unwrap(),
            [
                "Nice=3",
                "Type=oneshot",
                "RemainAfterExit=yes",
                "User=backup",
                "WorkingDirectory=/work/sub/dir",
                "Environment=\"A=b c\"",
                "Environment=\"HOME=/home/ann 100%%\"",
            ]
        );
        assert!(parse(&["true"]).timer_assignments().is_empty());
        let unset = parse(&["-E", "NOPE", "true"]);
        let err = unset
            .service_assignments(Path::new("/"), |_| None)
            .unwrap_err();
        assert!(err.to_string().contains("NOPE is not set"), "{err}");
    }

    #[test]
    fn commands_are_found_as_a_shell_finds_them() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let tool = bin.join("tool");
        std::fs::write(&tool, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
        let plain = bin.join("plain");
        std::fs::write(&plain, "data").unwrap();
        let path = std::env::join_paths(["/nonexistent", bin.to_str().unwrap()]).unwrap();
        let found = |name: &str| resolve_command(name, Some(&path), dir.path());
        assert_eq!(found("tool").unwrap(), tool.to_str().unwrap());
        assert_eq!(found("bin/tool").unwrap(), tool.to_str().unwrap());
        assert_eq!(
            found(tool.to_str().unwrap()).unwrap(),
            tool.to_str().unwrap()
        );
        let err = found("plain").unwrap_err();
        assert_eq!(err.to_string(), "plain: command not found in $PATH");
        assert!(found("bin/plain").is_err());
        assert!(resolve_command("tool", None, dir.path()).is_err());
        // Relative entries of $PATH count from the working directory.
        assert_eq!(
            resolve_command("tool", Some(OsStr::new("bin")), dir.path()).unwrap(),
            tool.to_str().unwrap()
        );
    }

    #[test]
    fn the_summary_and_exit_code_follow_systemd_run() {
        let f = |result: &str, code: Option<&str>, status: Option<&str>| Finished {
            result: result.into(),
            exit_code: code.map(Into::into),
            exit_status: status.map(Into::into),
            runtime_usec: Some(1_234_567),
        };
        let exited = f("exit-code", Some("exited"), Some("3"));
        assert_eq!(
            exited.summary(),
            "Finished with result: exit-code\n\
             Main processes terminated with: code=exited/status=3\n\
             Service runtime: 1.234s\n"
        );
        assert_eq!(exited.exit_code(), 3);
        assert_eq!(f("success", Some("exited"), Some("0")).exit_code(), 0);
        // SuccessExitStatus=7: success, whatever the number.
        assert_eq!(f("success", Some("exited"), Some("7")).exit_code(), 0);
        let killed = f("signal", Some("killed"), Some("TERM"));
        assert_eq!(killed.exit_code(), 1);
        assert!(killed
            .summary()
            .contains("Main processes terminated with: code=killed/status=TERM\n"));
        assert_eq!(f("timeout", None, None).exit_code(), 1);
        assert_eq!(
            f("start-limit-hit", None, None).summary(),
            "Finished with result: start-limit-hit\nService runtime: 1.234s\n"
        );
    }

    #[test]
    fn the_units_are_named_as_systemd_run_names_them() {
        assert_eq!(
            started_text("run-r1.service", None),
            "Running as unit: run-r1.service\n"
        );
        assert_eq!(
            started_text("tea.service", Some("tea.timer")),
            "Running timer as unit: tea.timer\nWill run service as unit: tea.service\n"
        );
    }
}
