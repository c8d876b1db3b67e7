//! `sundial crontab mail UNIT`: run by the generated mail units
//! (`OnFailure=`/`OnSuccess=` of a job that mails), it mails the output of
//! the run that just ended as cron would, through sendmail.
//!
//! The run is the one the daemon names in `$MONITOR_INVOCATION_ID`; its
//! result is in `$MONITOR_SERVICE_RESULT`, `$MONITOR_EXIT_CODE` and
//! `$MONITOR_EXIT_STATUS`. The job's environment and command come from the
//! daemon at `$SUNDIAL_SOCKET` (`show`), its output lines too (`logs` of
//! that invocation, without sundial's own lines).

use crate::ipc::{LogsRequest, ShowRequest};
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};

use anyhow::{anyhow, bail, Context as _};

use crate::cli::verbs::mangle_unit_name;
use crate::cli::verbs::Connection;
use crate::crontab::mail::{compose, MailFormat, RunReport};
use crate::crontab::UserDb;
use crate::ipc::{Request, Response};
use crate::store::Stream;
use crate::unit::exec::split_words;

/// Arguments of `sundial crontab mail`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The job's service (a bare name means NAME.service).
    #[arg(value_name = "UNIT")]
    pub unit: String,
    /// Write anacron's mail instead of cron's.
    #[arg(long)]
    pub anacron: bool,
}

/// Runs `sundial crontab mail`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let unit = mangle_unit_name(&args.unit);
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let invocation = var("MONITOR_INVOCATION_ID")
        .context("$MONITOR_INVOCATION_ID is not set: this command is run by the mail units")?;
    let result = var("MONITOR_SERVICE_RESULT").unwrap_or_else(|| "success".to_owned());
    let connection = Connection::default();
    let JobProperties {
        description,
        environment,
        user,
    } = job_properties(&connection, &unit)?;
    let output = run_output(&connection, &unit, &invocation)?;
    let failure = (result != "success").then(|| {
        match (var("MONITOR_EXIT_CODE"), var("MONITOR_EXIT_STATUS")) {
            (Some(code), Some(status)) => format!("{result}: {code}, status={status}"),
            _ => result.clone(),
        }
    });
    let job_user = environment
        .iter()
        .find(|(n, _)| n == "LOGNAME")
        .map(|(_, v)| v.clone())
        .or(user.clone())
        .or_else(|| var("USER"))
        .unwrap_or_else(|| "root".to_owned());
    let report = RunReport {
        format: if args.anacron {
            MailFormat::Anacron
        } else {
            MailFormat::Cron
        },
        user: job_user,
        hostname: hostname(),
        subject: description,
        environment,
        output,
        failure,
    };
    let Some(mail) = compose(&report) else {
        return Ok(ExitCode::SUCCESS);
    };
    let sendmail = sendmail().ok_or_else(|| {
        anyhow!("no sendmail to mail the output of {unit}; it stays in `sundial logs -u {unit}`")
    })?;
    let mut command = Command::new(&sendmail);
    command
        .args(&mail.args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null());
    // cron runs sendmail as the job's user (cron_popen with its passwd).
    if let Some(name) = user.filter(|u| u != "root") {
        if nix::unistd::geteuid().is_root() {
            let users = UserDb::parse(&std::fs::read_to_string("/etc/passwd").unwrap_or_default());
            if let Some(pw) = users.get(&name) {
                command.uid(pw.uid).gid(pw.gid);
            }
        }
    }
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot run {}", sendmail.display()))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(mail.message.as_bytes())
            .with_context(|| format!("cannot write to {}", sendmail.display()))?;
    }
    let status = child.wait()?;
    if !status.success() {
        bail!(
            "mailed {} bytes of output of {unit} to {} but {} exited with {status}",
            mail.message.len(),
            mail.to,
            sendmail.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// What the daemon says about the job.
struct JobProperties {
    /// `Description=`: the command as cron logs it (anacron: the job's id).
    description: String,
    /// `Environment=`, in order.
    environment: Vec<(String, String)>,
    /// `User=`, if set.
    user: Option<String>,
}

/// The job's `Description`, `Environment` and `User`.
fn job_properties(connection: &Connection, unit: &str) -> anyhow::Result<JobProperties> {
    let request = Request::Show(ShowRequest {
        units: vec![unit.to_owned()],
        properties: vec!["Description".into(), "Environment".into(), "User".into()],
    });
    let units = match connection.call(&request)? {
        Response::Properties { units } => units,
        Response::Error { message, .. } => bail!("show {unit}: {message}"),
        other => return Err(crate::cli::verbs::unexpected("show", &other)),
    };
    let property = |name: &str| {
        units
            .first()
            .and_then(|u| u.properties.iter().find(|p| p.name == name))
            .map(|p| p.value.clone())
            .unwrap_or_default()
    };
    let (words, _) = split_words(&property("Environment"))
        .map_err(|e| anyhow!("the Environment of {unit} does not parse: {e}"))?;
    let environment = words
        .into_iter()
        .filter_map(|w| w.split_once('=').map(|(n, v)| (n.to_owned(), v.to_owned())))
        .collect();
    let user = Some(property("User")).filter(|u| !u.is_empty());
    Ok(JobProperties {
        description: property("Description"),
        environment,
        user,
    })
}

/// The lines the job wrote in this run, stdout and stderr as they came.
fn run_output(
    connection: &Connection,
    unit: &str,
    invocation: &str,
) -> anyhow::Result<Vec<String>> {
    let request = Request::Logs(LogsRequest {
        units: vec![unit.to_owned()],
        follow: false,
        lines: None,
        since_usec: None,
        until_usec: None,
        invocation: Some(invocation.to_owned()),
        priorities: None,
    });
    let mut lines = Vec::new();
    for response in connection.stream(&request)? {
        match response? {
            Response::Logs { lines: batch } => lines.extend(
                batch
                    .into_iter()
                    .filter(|l| l.stream != Stream::Manager)
                    .map(|l| l.line),
            ),
            Response::Error { message, .. } => bail!("logs of {unit}: {message}"),
            other => return Err(crate::cli::verbs::unexpected("logs", &other)),
        }
    }
    Ok(lines)
}

/// `$SENDMAIL`, else the sendmail of the system.
fn sendmail() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SENDMAIL").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(path));
    }
    ["/usr/sbin/sendmail", "/usr/lib/sendmail"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

fn hostname() -> String {
    let mut buffer = [0u8; 256];
    // SAFETY: gethostname writes at most `buffer.len()` bytes into it.
    let rc = unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) };
    let end = buffer.iter().position(|&b| b == 0).unwrap_or(buffer.len());
    match std::str::from_utf8(&buffer[..end]) {
        Ok(name) if rc == 0 && !name.is_empty() => name.to_owned(),
        _ => "localhost".to_owned(),
    }
}
