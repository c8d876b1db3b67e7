//! `sundial daemon`: run the timers and services.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::cli::verify::UnitDirArgs;
use crate::daemon::paths::PathFlags;
use crate::daemon::{run, DaemonOptions};

/// Arguments of `sundial daemon`.
#[derive(Debug, clap::Args)]
#[command(
    long_about = "Run the sundial daemon: load the unit files, start what timers.target, \
paths.target, multi-user.target and default.target want (the units enabled with \
`sundial enable`), fire timers, watch the paths of path units, supervise the services \
they start, and answer `sundial` commands on the control socket.\n\n\
Without flags it runs as the system manager when started by root and as the \
user's own manager otherwise (see the paths below). SIGTERM or SIGINT stops \
every service in reverse dependency order and exits; SIGHUP re-reads the unit \
files like `sundial daemon-reload`. It works as PID 1 of a container: it \
reaps orphaned processes and stops the services on `docker stop`.\n\n\
After a crash or `kill -9` the next start takes over what the killed daemon \
left running, before it starts anything: a service whose main process still \
runs at rest (running, or a oneshot's ExecStart=) is adopted as the same \
invocation (same MainPID, its run goes on; `stop` and the timers treat it as \
active), and its end is recorded with result `unknown`, since the daemon is \
not its parent and cannot read its exit status (Restart=always and \
on-success restart it, the failure policies do not). A run that was mid-way \
through its commands (ExecStartPre=, ExecStartPost=, ExecReload=, ExecStop= in \
flight, a start still waiting, a stop under way) cannot be resumed: what runs \
of it is stopped (KillSignal=, then SIGKILL after TimeoutStopSec=; \
ExecStopPost= runs) and the run is recorded as `daemon-crash`, as is a run \
of which nothing runs. A recorded pid that another process has now (its \
start time differs) is never signalled.\n\n\
With --crontab it also runs crontabs as they are, as a cron daemon does \
(supercronic in a container): each job becomes a timer and a service \
(`sundial crontab -t LINE` shows which), listed, logged and recorded like \
any other; the file is read again when it changes. The scope's own \
crontab (`sundial crontab -e`) is always run.\n\n\
Default paths:\n  \
system: units /etc/sundial/system, /usr/lib/sundial/system; state \
/var/lib/sundial/state.db; socket /run/sundial/control.sock; config \
/etc/sundial/sundial.toml\n  \
user: units $XDG_CONFIG_HOME/sundial/user, /usr/lib/sundial/user; state \
$XDG_STATE_HOME/sundial/state.db; socket $XDG_RUNTIME_DIR/sundial/control.sock, or \
control.sock in the state directory when XDG_RUNTIME_DIR is unset; config \
$XDG_CONFIG_HOME/sundial/sundial.toml (XDG_CONFIG_HOME defaults to ~/.config, \
XDG_STATE_HOME to ~/.local/state)",
    after_long_help = "Examples:\n  \
$ sundial daemon --unit-dir examples/units --state-dir .sundial-state \\\n        \
--socket .sundial-state/control.sock\n  \
$ sundial daemon --user\n  \
$ sundial daemon --system --log-stdout            # in a container, output to docker logs\n  \
$ sundial daemon --crontab /etc/crontabs/app --log-stdout   # a container's crontab\n  \
$ SUNDIAL_UNIT_PATH=/srv/units: sundial daemon    # extra units before the defaults"
)]
pub struct Args {
    #[command(flatten)]
    pub dirs: UnitDirArgs,
    /// Keep the state database (state.db: timer stamps, run history, logs) in DIR
    /// (default: $SUNDIAL_STATE_DIR, else the scope's, below).
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Listen for commands on this Unix socket.
    #[arg(long, value_name = "PATH")]
    pub socket: Option<PathBuf>,
    /// Read settings from this TOML file (it must exist when given); its keys
    /// are under CONFIGURATION in sundial-daemon(1).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Also print every line services write, as `unit: line`, on stdout.
    #[arg(long)]
    pub log_stdout: bool,
    /// Run the jobs of this crontab as they are (repeatable). The file is
    /// read again when it changes; a version with errors keeps the jobs of
    /// the last good one. Six-field lines (seconds first) are accepted.
    #[arg(long, value_name = "FILE")]
    pub crontab: Vec<PathBuf>,
    /// Make the services' cgroups in this cgroup v2 directory instead of the
    /// daemon's own: a path below the cgroup v2 mount (`/sundial` or
    /// `/sys/fs/cgroup/sundial`). It must exist and be writable, or the daemon
    /// does not start; the daemon moves itself into a leaf of its subtree
    /// there. Overrides `cgroup` in the config file.
    #[arg(long, value_name = "PATH")]
    pub cgroup: Option<PathBuf>,
    /// Serve Prometheus metrics at /metrics on ADDR: HOST:PORT
    /// (`127.0.0.1:9558`) or a Unix socket path. Off by default; overrides
    /// `metrics_listen` in the config file.
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<crate::daemon::http::ListenAddress>,
    /// Serve the read-only dashboard on ADDR: HOST:PORT, a port alone (on
    /// 127.0.0.1) or a Unix socket path. Off by default; overrides
    /// `http_listen` in the config file.
    #[arg(long, value_name = "ADDR")]
    pub http_listen: Option<crate::daemon::http::ListenAddress>,
    /// Where the daemon reads the time: `real`, or `manual` for tests (needs
    /// SUNDIAL_ALLOW_MANUAL_CLOCK=1; the clock is then moved through
    /// clock.sock beside the control socket).
    #[arg(long, value_name = "CLOCK", default_value = "real", value_parser = ["real", "manual"], hide = true)]
    pub clock: String,
    /// Read the default time zone from FILE instead of /etc/localtime, and
    /// watch it for changes (tests; ignored while TZ is set, as by the C library).
    #[arg(long, value_name = "FILE", hide = true)]
    pub localtime: Option<PathBuf>,
}

/// Runs `sundial daemon`.
pub fn run_daemon(args: Args) -> anyhow::Result<ExitCode> {
    let options = DaemonOptions {
        scope: args.dirs.scope(),
        paths: PathFlags {
            unit_dirs: args.dirs.unit_dirs,
            state_dir: args.state_dir,
            socket: args.socket,
            config: args.config,
            localtime: args.localtime,
        },
        log_stdout: args.log_stdout,
        manual_clock: args.clock == "manual",
        crontabs: args
            .crontab
            .iter()
            .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone()))
            .collect(),
        cgroup: args.cgroup,
        metrics_listen: args.metrics_listen,
        http_listen: args.http_listen,
    };
    run(options)?;
    // SuccessAction=reboot/poweroff as PID 1.
    if let Some(e) = crate::daemon::carry_out_machine_action() {
        anyhow::bail!("cannot reboot or power off: {e}");
    }
    // SuccessAction=exit: the unit's status (0-255).
    let status = crate::daemon::exit_status();
    Ok(ExitCode::from(u8::try_from(status).unwrap_or(1)))
}
