//! Long output through a pager, as systemctl and journalctl do it: only
//! when stdout and stderr are terminals (and `$TERM` is not dumb), never
//! with `--no-pager`; `$SYSTEMD_PAGER` or `$PAGER` (empty or `cat`: no
//! pager), else `pager`, `less`, `more`; `$LESS` set to `$SYSTEMD_LESS` or
//! `FRSXMK` (with ` +G` to start at the end, `logs -e`), `$LESSCHARSET` to
//! `$SYSTEMD_LESSCHARSET` or utf-8 in a UTF-8 locale, and `$SYSTEMD_PAGERSECURE`
//! honoured: in secure mode (`LESSSECURE=1`) only `less` is used, and a pager
//! named by the environment only when `$SYSTEMD_PAGERSECURE` says so or
//! secure mode is off.
//!
//! [`plan`] decides from the environment alone; [`open`] starts the pager
//! and points stdout and stderr at it, [`close`] gives them back and waits
//! for the user to quit it.

use std::io::{self, IsTerminal, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

/// How a command wants its output paged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PagerOptions {
    /// Start at the end (`journalctl -e`): `+G` for less.
    pub jump_to_end: bool,
}

/// What [`plan`] looks at, read once from the process.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PagerEnv {
    /// stdout and stderr are both terminals.
    pub on_tty: bool,
    /// `$TERM`.
    pub term: Option<String>,
    /// `$SYSTEMD_PAGER`, else `$PAGER`.
    pub pager: Option<String>,
    /// `$SYSTEMD_LESS`.
    pub systemd_less: Option<String>,
    /// `$SYSTEMD_LESSCHARSET`.
    pub systemd_lesscharset: Option<String>,
    /// `$SYSTEMD_PAGERSECURE`.
    pub pager_secure: Option<String>,
    /// Running with more privileges than the owner of the login session:
    /// under sudo (`$SUDO_UID`), or not the session's owner, or in no
    /// session that can be told.
    pub escalated: bool,
    /// The locale's character set is UTF-8.
    pub utf8: bool,
}

impl PagerEnv {
    /// Reads this process's environment and terminals.
    pub fn from_process() -> PagerEnv {
        let var = |name: &str| std::env::var(name).ok();
        PagerEnv {
            on_tty: io::stdout().is_terminal() && io::stderr().is_terminal(),
            term: var("TERM"),
            pager: var("SYSTEMD_PAGER").or_else(|| var("PAGER")),
            systemd_less: var("SYSTEMD_LESS"),
            systemd_lesscharset: var("SYSTEMD_LESSCHARSET"),
            pager_secure: var("SYSTEMD_PAGERSECURE"),
            escalated: escalated(),
            // Before any thread: it asks the C library (see `locale`).
            utf8: crate::cli::locale::locale_is_utf8(),
        }
    }
}

/// The pager to start: the commands to try in order, and the environment
/// to give it (`None`: removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagerPlan {
    /// Argument vectors, tried in order until one runs.
    pub candidates: Vec<Vec<String>>,
    /// Variables set (or removed) for the pager.
    pub env: Vec<(String, Option<String>)>,
}

/// Whether and how to page, as systemd 252's `pager_open` decides.
pub fn plan(env: &PagerEnv, no_pager: bool, options: PagerOptions) -> Option<PagerPlan> {
    if no_pager || !env.on_tty {
        return None;
    }
    // systemd: terminal_is_dumb().
    if env.term.as_deref().is_none_or(|t| t == "dumb") {
        return None;
    }
    let named: Option<Vec<String>> = env
        .pager
        .as_deref()
        .map(|p| p.split_whitespace().map(str::to_owned).collect());
    if let Some(args) = &named {
        // An explicit "no pager".
        if args.is_empty() || *args == ["cat"] {
            return None;
        }
    }
    let mut less = env.systemd_less.clone().unwrap_or_else(|| "FRSXMK".into());
    if options.jump_to_end {
        less.push_str(" +G");
    }
    let charset = env
        .systemd_lesscharset
        .clone()
        .or_else(|| env.utf8.then(|| "utf-8".to_owned()));
    // systemd: an unparsable value counts as true; unset, secure mode
    // follows the privileges, and the named pager is trusted only when not
    // in secure mode.
    let explicit = env
        .pager_secure
        .as_deref()
        .map(|v| parse_bool(v).unwrap_or(true));
    let secure = explicit.unwrap_or(env.escalated);
    let trust_named = explicit.is_some() || !secure;
    let mut candidates = Vec::new();
    if let (true, Some(args)) = (trust_named, named) {
        candidates.push(args);
    }
    // Debian's alternatives name the pager `pager`; only less implements
    // secure mode.
    for fallback in ["pager", "less", "more"] {
        if !secure || fallback == "less" {
            candidates.push(vec![fallback.to_owned()]);
        }
    }
    Some(PagerPlan {
        candidates,
        env: vec![
            ("LESS".into(), Some(less)),
            ("LESSCHARSET".into(), charset),
            ("LESSSECURE".into(), secure.then(|| "1".to_owned())),
        ],
    })
}

/// systemd's boolean words.
fn parse_bool(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "yes" | "y" | "true" | "t" | "on" => Some(true),
        "0" | "no" | "n" | "false" | "f" | "off" => Some(false),
        _ => None,
    }
}

/// Whether this process runs with more privileges than its session's owner.
/// systemd asks logind (`sd_pid_get_owner_uid`); without logind the audit
/// login uid (`/proc/self/loginuid`, set by pam_loginuid at login) names
/// the session's owner. No answer counts as escalated, as in systemd.
fn escalated() -> bool {
    if std::env::var_os("SUDO_UID").is_some() {
        return true;
    }
    let euid = nix::unistd::geteuid().as_raw();
    match session_owner() {
        Some(owner) => owner != euid,
        None => true,
    }
}

/// The owner of the login session: the `user-UID.slice` of the process's
/// cgroup, where systemd made one, else the audit login uid.
fn session_owner() -> Option<u32> {
    let cgroup = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    let from_slice = cgroup.lines().find_map(|l| {
        l.split('/')
            .find_map(|part| part.strip_prefix("user-")?.strip_suffix(".slice"))
            .and_then(|uid| uid.parse().ok())
    });
    from_slice.or_else(|| {
        let text = std::fs::read_to_string("/proc/self/loginuid").ok()?;
        text.trim().parse().ok().filter(|uid| *uid != u32::MAX)
    })
}

/// A running pager and the descriptors to give back.
#[derive(Debug)]
struct Running {
    child: Child,
    stdout: OwnedFd,
    stderr: OwnedFd,
}

static PAGER: Mutex<Option<Running>> = Mutex::new(None);

/// Starts the pager `plan` names and sends stdout and stderr to it. Does
/// nothing when no candidate can be run: the output then goes straight to
/// the terminal, as systemd's built-in fallback copies it there.
pub fn open(plan: &PagerPlan) -> io::Result<()> {
    let mut running = PAGER.lock().unwrap_or_else(|p| p.into_inner());
    if running.is_some() {
        return Ok(());
    }
    for argv in &plan.candidates {
        let Some((program, args)) = argv.split_first() else {
            continue;
        };
        let mut command = Command::new(program);
        command.args(args).stdin(Stdio::piped());
        for (name, value) in &plan.env {
            match value {
                Some(v) => command.env(name, v),
                None => command.env_remove(name),
            };
        }
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        let pipe = OwnedFd::from(child.stdin.take().ok_or(io::ErrorKind::BrokenPipe)?);
        io::stdout().flush()?;
        let stdout = io::stdout().as_fd().try_clone_to_owned()?;
        let stderr = io::stderr().as_fd().try_clone_to_owned()?;
        redirect(&pipe, libc::STDOUT_FILENO)?;
        redirect(&pipe, libc::STDERR_FILENO)?;
        *running = Some(Running {
            child,
            stdout,
            stderr,
        });
        return Ok(());
    }
    Ok(())
}

/// Gives stdout and stderr back and waits until the pager has ended (the
/// user quit it, or it showed everything and quit by itself).
pub fn close() {
    let taken = PAGER.lock().unwrap_or_else(|p| p.into_inner()).take();
    let Some(mut running) = taken else {
        return;
    };
    let _ = io::stdout().flush();
    // Restoring the descriptors closes the last write ends of the pipe: the
    // pager reads to its end.
    let _ = redirect(&running.stdout, libc::STDOUT_FILENO);
    let _ = redirect(&running.stderr, libc::STDERR_FILENO);
    let _ = running.child.wait();
}

/// Makes `target` a copy of `fd`.
fn redirect(fd: &OwnedFd, target: libc::c_int) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: dup2 on two descriptors this process holds; `target` is one
    // of the standard streams, which stay open all along.
    if unsafe { libc::dup2(fd.as_raw_fd(), target) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Opens the pager for a command when [`plan`] says so; problems starting
/// it are no reason to fail the command.
pub fn start(no_pager: bool, options: PagerOptions) {
    if let Some(plan) = plan(&PagerEnv::from_process(), no_pager, options) {
        if let Err(e) = open(&plan) {
            let _ = writeln!(io::stderr(), "sundial: cannot start the pager: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tty() -> PagerEnv {
        PagerEnv {
            on_tty: true,
            term: Some("xterm".into()),
            escalated: false,
            utf8: true,
            ..PagerEnv::default()
        }
    }

    fn value<'a>(plan: &'a PagerPlan, name: &str) -> Option<&'a str> {
        plan.env
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.as_deref())
    }

    #[test]
    fn only_on_a_terminal_and_without_no_pager() {
        let options = PagerOptions::default();
        assert!(plan(&tty(), false, options).is_some());
        assert!(plan(&tty(), true, options).is_none());
        let mut env = tty();
        env.on_tty = false;
        assert!(plan(&env, false, options).is_none());
        let mut env = tty();
        env.term = Some("dumb".into());
        assert!(plan(&env, false, options).is_none());
        env.term = None;
        assert!(plan(&env, false, options).is_none());
    }

    #[test]
    fn the_named_pager_comes_first_and_cat_means_none() {
        let mut env = tty();
        env.pager = Some("most -s".into());
        let p = plan(&env, false, PagerOptions::default()).unwrap();
        assert_eq!(p.candidates[0], ["most", "-s"]);
        assert_eq!(p.candidates[1..], [["pager"], ["less"], ["more"]]);
        for off in ["", "  ", "cat", " cat "] {
            env.pager = Some(off.into());
            assert!(
                plan(&env, false, PagerOptions::default()).is_none(),
                "{off:?}"
            );
        }
    }

    #[test]
    fn less_options_and_jump_to_end() {
        let p = plan(&tty(), false, PagerOptions::default()).unwrap();
        assert_eq!(value(&p, "LESS"), Some("FRSXMK"));
        assert_eq!(value(&p, "LESSCHARSET"), Some("utf-8"));
        assert_eq!(value(&p, "LESSSECURE"), None);
        let p = plan(&tty(), false, PagerOptions { jump_to_end: true }).unwrap();
        assert_eq!(value(&p, "LESS"), Some("FRSXMK +G"));
        let mut env = tty();
        env.systemd_less = Some("R".into());
        env.utf8 = false;
        let p = plan(&env, false, PagerOptions { jump_to_end: true }).unwrap();
        assert_eq!(value(&p, "LESS"), Some("R +G"));
        assert_eq!(value(&p, "LESSCHARSET"), None);
    }

    #[test]
    fn secure_mode_keeps_to_less() {
        let mut env = tty();
        env.pager = Some("/tmp/evil".into());
        env.escalated = true;
        let p = plan(&env, false, PagerOptions::default()).unwrap();
        assert_eq!(p.candidates, [["less"]]);
        assert_eq!(value(&p, "LESSSECURE"), Some("1"));
        // Said explicitly, the named pager is trusted, secure or not.
        env.pager_secure = Some("1".into());
        let p = plan(&env, false, PagerOptions::default()).unwrap();
        assert_eq!(p.candidates, [["/tmp/evil"], ["less"]]);
        env.pager_secure = Some("no".into());
        let p = plan(&env, false, PagerOptions::default()).unwrap();
        assert_eq!(p.candidates[0], ["/tmp/evil"]);
        assert_eq!(value(&p, "LESSSECURE"), None);
        // Not a boolean: secure.
        env.pager_secure = Some("maybe".into());
        let p = plan(&env, false, PagerOptions::default()).unwrap();
        assert_eq!(value(&p, "LESSSECURE"), Some("1"));
    }
}
