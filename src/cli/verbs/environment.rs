//! `sundial show-environment|set-environment|unset-environment`: the
//! manager environment every service starts from, as systemctl shows and
//! changes systemd's. A change applies to commands started after it and
//! lasts until the daemon exits.

use crate::ipc::{SetEnvironmentRequest, UnsetEnvironmentRequest};
use std::process::ExitCode;

use super::{print_text, report_error, unexpected, Connection};
use crate::ipc::{Request, Response};

const SHOW_EXAMPLES: &str = "Examples:\n  \
    $ sundial show-environment\n  \
    HOME=/home/ann\n  \
    LANG=C.UTF-8\n  \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n  \
    ...";
const SET_EXAMPLES: &str = "Examples:\n  \
    $ sundial set-environment MAILTO=ops@example.com 'GREETING=hello world'";
const UNSET_EXAMPLES: &str = "Examples:\n  \
    $ sundial unset-environment MAILTO\n  \
    $ sundial unset-environment LANG=C            # only while its value is C";

/// Arguments of `sundial show-environment`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Print the environment every service starts from",
    long_about = "Print the manager environment, one NAME=value per line sorted by name, as \
                  systemctl show-environment does: what a service's commands start from before \
                  their own Environment= and EnvironmentFile=. Values with characters a shell \
                  would read specially are quoted as $'...'.",
    after_long_help = SHOW_EXAMPLES
)]
pub struct ShowArgs {
    #[command(flatten)]
    pub connection: Connection,
}

/// Arguments of `sundial set-environment`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Set variables of the environment every service starts from",
    long_about = "Set variables of the manager environment: commands started from now on see \
                  them unless their unit sets its own. Nothing is set if one assignment is \
                  invalid. The change lasts until the daemon exits.",
    after_long_help = SET_EXAMPLES
)]
pub struct SetArgs {
    /// Assignments.
    #[arg(required = true, value_name = "NAME=VALUE")]
    pub assignments: Vec<String>,
    #[command(flatten)]
    pub connection: Connection,
}

/// Arguments of `sundial unset-environment`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Remove variables from the environment every service starts from",
    long_about = "Remove variables from the manager environment: a NAME whatever its value, a \
                  NAME=VALUE only while it has that value.",
    after_long_help = UNSET_EXAMPLES
)]
pub struct UnsetArgs {
    /// Variables.
    #[arg(required = true, value_name = "NAME|NAME=VALUE")]
    pub names: Vec<String>,
    #[command(flatten)]
    pub connection: Connection,
}

/// Runs `sundial show-environment`.
pub fn show(args: ShowArgs) -> anyhow::Result<ExitCode> {
    match args.connection.call(&Request::ShowEnvironment)? {
        Response::Environment { variables } => {
            print_text(&format_environment(&variables))?;
            Ok(ExitCode::SUCCESS)
        }
        Response::Error { code, message } => Ok(report_error(code, &message)),
        other => Err(unexpected("show-environment", &other)),
    }
}

/// Runs `sundial set-environment`.
pub fn set(args: SetArgs) -> anyhow::Result<ExitCode> {
    let request = Request::SetEnvironment(SetEnvironmentRequest {
        assignments: args.assignments,
    });
    change(&args.connection, &request, "set-environment")
}

/// Runs `sundial unset-environment`.
pub fn unset(args: UnsetArgs) -> anyhow::Result<ExitCode> {
    let request = Request::UnsetEnvironment(UnsetEnvironmentRequest { names: args.names });
    change(&args.connection, &request, "unset-environment")
}

fn change(connection: &Connection, request: &Request, verb: &str) -> anyhow::Result<ExitCode> {
    match connection.call(request)? {
        Response::Done { .. } => Ok(ExitCode::SUCCESS),
        // systemctl words both verbs' failures so.
        Response::Error { message, .. } => {
            eprintln!("Failed to set environment: {message}");
            Ok(ExitCode::FAILURE)
        }
        other => Err(unexpected(verb, &other)),
    }
}

/// The lines of show-environment: `NAME=value`, the value quoted for a
/// shell where it needs it.
pub fn format_environment(variables: &[String]) -> String {
    variables
        .iter()
        .map(|v| match v.split_once('=') {
            Some((name, value)) => format!("{name}={}\n", shell_quote(value)),
            None => format!("{v}\n"),
        })
        .collect()
}

/// systemd's `shell_maybe_quote(value, SHELL_ESCAPE_POSIX)`: a value
/// without blanks, control characters, non-ASCII or shell metacharacters
/// as it is; any other as `$'...'` with `\` and `'` escaped and newline and
/// tab written `\n` and `\t`.
pub fn shell_quote(value: &str) -> String {
    const SPECIAL: &[u8] = b"\"\\`$*?[()<>|&;!'";
    let plain = value
        .bytes()
        .all(|b| b > b' ' && b < 127 && !SPECIAL.contains(&b));
    if plain {
        return value.to_owned();
    }
    let mut out = String::from("$'");
    for c in value.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\\' | '\'' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_quoted_as_systemctl_quotes_them() {
        assert_eq!(shell_quote("/usr/bin:/bin"), "/usr/bin:/bin");
        assert_eq!(shell_quote(""), "");
        assert_eq!(shell_quote("hello world"), "$'hello world'");
        assert_eq!(shell_quote("it's"), "$'it\\'s'");
        assert_eq!(shell_quote("a\\b"), "$'a\\\\b'");
        assert_eq!(shell_quote("one\ntwo\tthree"), "$'one\\ntwo\\tthree'");
        assert_eq!(shell_quote("$HOME"), "$'$HOME'");
        assert_eq!(shell_quote("grüße"), "$'grüße'");
        assert_eq!(
            format_environment(&["A=1".into(), "B=x y".into(), "C=".into()]),
            "A=1\nB=$'x y'\nC=\n"
        );
    }
}
