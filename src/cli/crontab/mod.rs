//! `sundial crontab`: crontab(1) for the caller's own crontab (`-l`, `-e`,
//! `-r`, `FILE`), `import` of the crontabs cron runs into units,
//! `translate` (`-t`) of one line, and the hidden `mail` the generated mail
//! units run.

use crate::ipc::UnitsRequest;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use clap::{ArgGroup, Subcommand};

use crate::ipc::{Client, Request, Response};
use crate::unit::{host, Scope};

use super::verbs::connect::SocketEnv;
use super::verbs::Connection;

pub mod import;
pub mod mail;
pub mod own;
pub mod translate;

const EXAMPLES: &str = "Examples:\n  \
    $ sundial crontab -e                      # edit your crontab; your daemon runs it\n  \
    $ sundial crontab -l\n  \
    $ sundial crontab my-jobs.cron            # install a file as your crontab\n  \
    $ sundial crontab -t '30 2 * * 1-5 backup --all'\n  \
    $ sudo sundial crontab import --dry-run   # what cron runs, as units\n  \
    $ sudo sundial crontab import             # ... written to /etc/sundial/system\n  \
    $ sundial crontab import --user           # your crontab (crontab -l) as your units";

/// Arguments of `sundial crontab`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Keep your crontab, or import crontabs into units",
    long_about = "Without a command, work as crontab(1) on the crontab sundial keeps for you \
                  ($XDG_CONFIG_HOME/sundial/crontab, or /etc/sundial/crontab for root) and your \
                  daemon runs as it is: -l prints it, -e edits it and installs it only when \
                  every line is valid, -r removes it, FILE (or - for standard input) replaces \
                  it. A running daemon picks up the change at once.\n\n\
                  `import` turns the crontabs cron runs into timer and service units instead; \
                  `translate` (or -t) shows what one line becomes.",
    after_long_help = EXAMPLES,
    group(ArgGroup::new("action").args(["list", "edit", "remove", "translate", "file"])),
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Install FILE as your crontab (`-`: read it from standard input).
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Print your crontab.
    #[arg(short = 'l', long = "list", help_heading = "Your crontab")]
    pub list: bool,
    /// Edit your crontab with $VISUAL or $EDITOR (default vi).
    #[arg(short = 'e', long = "edit", help_heading = "Your crontab")]
    pub edit: bool,
    /// Remove your crontab.
    #[arg(short = 'r', long = "remove", help_heading = "Your crontab")]
    pub remove: bool,
    /// With -r: ask first.
    #[arg(short = 'i', requires = "remove", help_heading = "Your crontab")]
    pub interactive: bool,
    /// Print the units LINE becomes and when it runs next (as `translate`).
    #[arg(
        short = 't',
        long = "translate",
        value_name = "LINE",
        help_heading = "Your crontab"
    )]
    pub translate: Option<String>,
    #[command(flatten)]
    pub scope: ScopeArgs,
}

/// The crontab commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    Import(import::Args),
    Translate(translate::Args),
    /// Mail a job's output as cron does (run by the generated mail units).
    #[command(hide = true)]
    Mail(mail::Args),
    // `sundial crontab help import` as `sundial help crontab import`
    // (sundial's own help replaces clap's, here too).
    Help(crate::cli::help::Args),
}

/// Whose crontab and which daemon: flattened into the commands.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Scope")]
pub struct ScopeArgs {
    /// The per-user crontab and daemon (default for non-root).
    #[arg(long, conflicts_with = "system")]
    pub user: bool,
    /// The system's crontab and daemon (default for root).
    #[arg(long)]
    pub system: bool,
    /// The daemon's control socket, to tell it about changes (tests).
    #[arg(long, value_name = "PATH", hide = true)]
    pub socket: Option<PathBuf>,
}

impl ScopeArgs {
    /// System or user, from the flags or who we run as.
    pub fn scope(&self) -> Scope {
        if self.user {
            Scope::User
        } else if self.system {
            Scope::System
        } else {
            host::default_scope()
        }
    }

    /// These flags, completed by `outer` where they say nothing.
    pub(crate) fn or(mut self, outer: &ScopeArgs) -> ScopeArgs {
        if !self.user && !self.system {
            self.user = outer.user;
            self.system = outer.system;
        }
        if self.socket.is_none() {
            self.socket.clone_from(&outer.socket);
        }
        self
    }

    /// The flags as connection flags.
    fn connection(&self) -> Connection {
        Connection {
            user: self.scope() == Scope::User,
            system: self.scope() == Scope::System,
            socket: self.socket.clone(),
            no_pager: false,
        }
    }
}

/// Runs `sundial crontab`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let action_given = args.list
        || args.edit
        || args.remove
        || args.interactive
        || args.translate.is_some()
        || args.file.is_some();
    if args.command.is_some() && action_given {
        bail!("-l, -e, -r, -t and FILE go without a command (import, translate)");
    }
    // `sundial crontab --user import` as `sundial crontab import --user`.
    match args.command {
        Some(Command::Import(mut a)) => {
            a.scope = a.scope.or(&args.scope);
            return import::run(a);
        }
        Some(Command::Translate(mut a)) => {
            a.scope = a.scope.or(&args.scope);
            return translate::run(a);
        }
        Some(Command::Mail(a)) => return mail::run(a),
        Some(Command::Help(mut a)) => {
            a.command.insert(0, "crontab".to_owned());
            return crate::cli::help::run(a);
        }
        None => {}
    }
    if let Some(line) = args.translate {
        return translate::run(translate::Args {
            line,
            kind: translate::LineKind::User,
            scope: args.scope,
        });
    }
    let action = if args.list {
        own::Action::List
    } else if args.edit {
        own::Action::Edit
    } else if args.remove {
        own::Action::Remove {
            ask: args.interactive,
        }
    } else if let Some(file) = args.file {
        own::Action::Install(file)
    } else {
        bail!(
            "file name or - (for standard input) must be specified, or one of -l, -e, -r, -t, \
             or a command (import, translate); see `sundial crontab --help`"
        )
    };
    own::run(action, &args.scope)
}

/// What asking the daemon to reload gave.
#[derive(Debug)]
pub(crate) enum Reload {
    /// It reloaded; the messages it sent.
    Done(Vec<String>),
    /// Nothing listens at the socket.
    NoDaemon(PathBuf),
}

/// Asks the scope's daemon to read its units (and crontabs) again.
pub(crate) fn reload_daemon(scope: &ScopeArgs) -> anyhow::Result<Reload> {
    let socket = scope.connection().socket_path(&SocketEnv::from_process())?;
    let Ok(mut client) = Client::connect(&socket) else {
        return Ok(Reload::NoDaemon(socket));
    };
    match client.call(&Request::DaemonReload)? {
        Response::Done { messages } => Ok(Reload::Done(messages)),
        Response::Error { message, .. } => bail!("daemon-reload failed: {message}"),
        other => Err(super::verbs::unexpected("daemon-reload", &other)),
    }
}

/// Starts units on the scope's daemon (after a reload).
pub(crate) fn start_units(scope: &ScopeArgs, units: Vec<String>) -> anyhow::Result<Vec<String>> {
    if units.is_empty() {
        return Ok(Vec::new());
    }
    let socket = scope.connection().socket_path(&SocketEnv::from_process())?;
    let mut client = Client::connect(&socket)?;
    match client.call(&Request::Start(UnitsRequest { units }))? {
        Response::Done { messages } => Ok(messages),
        Response::Error { message, .. } => bail!("starting the new timers failed: {message}"),
        other => Err(super::verbs::unexpected("start", &other)),
    }
}

/// The command that starts the scope's daemon, for messages.
pub(crate) fn daemon_command(scope: Scope) -> &'static str {
    match scope {
        Scope::System => "sundial daemon --system",
        Scope::User => "sundial daemon --user",
    }
}
