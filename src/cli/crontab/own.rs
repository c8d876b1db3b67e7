//! `sundial crontab -l | -e | -r | FILE`: the caller's own crontab, kept by
//! sundial and run by the caller's daemon, handled as cronie's crontab(1)
//! handles the spool's (src/crontab.c): the same messages, a new crontab
//! installed only when every line is valid, and the offer to edit again.

use std::fs;
use std::io::{self, BufRead, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{bail, Context as _};

use super::{daemon_command, reload_daemon, Reload, ScopeArgs};
use crate::crontab::{own_crontab_path, translate, CrontabKind, CrontabSource, TranslateOptions};
use crate::unit::Scope;

/// What to do with the crontab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `-l`.
    List,
    /// `-e`.
    Edit,
    /// `-r`, `-ri`.
    Remove {
        /// `-i`: ask first.
        ask: bool,
    },
    /// `FILE` or `-`.
    Install(PathBuf),
}

/// Runs an action on the scope's own crontab.
pub fn run(action: Action, scope_args: &ScopeArgs) -> anyhow::Result<ExitCode> {
    let scope = scope_args.scope();
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    let path = own_crontab_path(
        scope,
        var("XDG_CONFIG_HOME").as_deref(),
        var("HOME").as_deref(),
    )
    .context("cannot tell where your crontab is: set $XDG_CONFIG_HOME or $HOME")?;
    let options = TranslateOptions {
        seconds: true,
        ..TranslateOptions::from_host(scope, Path::new("/"))
    };
    let own = Own {
        user: options
            .caller
            .as_ref()
            .map_or_else(|| "root".to_owned(), |c| c.name.clone()),
        path,
        options,
        scope_args,
        scope,
    };
    match action {
        Action::List => own.list(),
        Action::Edit => own.edit(),
        Action::Remove { ask } => own.remove(ask),
        Action::Install(file) => own.install_file(&file),
    }
}

struct Own<'a> {
    user: String,
    path: PathBuf,
    options: TranslateOptions,
    scope_args: &'a ScopeArgs,
    scope: Scope,
}

impl Own<'_> {
    fn read(&self) -> anyhow::Result<Option<String>> {
        match fs::read_to_string(&self.path) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", self.path.display())),
        }
    }

    fn list(&self) -> anyhow::Result<ExitCode> {
        match self.read()? {
            Some(text) => {
                let mut out = io::stdout().lock();
                out.write_all(text.as_bytes())?;
                out.flush()?;
                Ok(ExitCode::SUCCESS)
            }
            None => {
                eprintln!("no crontab for {}", self.user);
                Ok(ExitCode::FAILURE)
            }
        }
    }

    fn remove(&self, ask: bool) -> anyhow::Result<ExitCode> {
        if ask {
            print!("crontab: really delete {}'s crontab? ", self.user);
            io::stdout().flush()?;
            let mut answer = String::new();
            io::stdin().lock().read_line(&mut answer)?;
            if !answer.starts_with(['y', 'Y']) {
                return Ok(ExitCode::SUCCESS);
            }
        }
        match fs::remove_file(&self.path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                eprintln!("no crontab for {}", self.user);
                return Ok(ExitCode::FAILURE);
            }
            Err(e) => {
                return Err(e).with_context(|| format!("cannot remove {}", self.path.display()))
            }
        }
        self.tell_daemon()?;
        Ok(ExitCode::SUCCESS)
    }

    /// The errors of `text` read from `shown_as`, printed; whether it is
    /// fit to install (warnings are printed and do not stop it).
    fn check(&self, text: &str, shown_as: &Path) -> bool {
        let source = CrontabSource {
            path: shown_as.to_path_buf(),
            text: text.to_owned(),
            kind: CrontabKind::User,
            owner: None,
        };
        let t = translate(&[source], &self.options);
        for d in &t.diagnostics {
            eprintln!("{d}");
        }
        !t.has_errors()
    }

    fn install_file(&self, file: &Path) -> anyhow::Result<ExitCode> {
        let (text, shown_as) = if file.as_os_str() == "-" {
            let mut text = String::new();
            io::stdin()
                .read_to_string(&mut text)
                .context("cannot read standard input")?;
            (text, PathBuf::from("(standard input)"))
        } else {
            let text = fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            (text, file.to_path_buf())
        };
        if !self.check(&text, &shown_as) {
            eprintln!("Invalid crontab file, can't install.");
            return Ok(ExitCode::FAILURE);
        }
        self.install(&text)?;
        Ok(ExitCode::SUCCESS)
    }

    /// Writes the new crontab beside the old one and renames it over, so
    /// that the daemon never reads half a file.
    fn install(&self, text: &str) -> anyhow::Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("/"));
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let tmp = dir.join(format!(".crontab.{}.tmp", std::process::id()));
        let written = (|| {
            let mut f = fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            fs::rename(&tmp, &self.path)
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(e).with_context(|| format!("cannot install {}", self.path.display()));
        }
        self.tell_daemon()
    }

    fn tell_daemon(&self) -> anyhow::Result<()> {
        match reload_daemon(self.scope_args) {
            Ok(Reload::Done(messages)) => {
                for m in messages {
                    eprintln!("{m}");
                }
            }
            Ok(Reload::NoDaemon(_)) => eprintln!(
                "sundial: no daemon is running; the crontab takes effect when `{}` starts",
                daemon_command(self.scope)
            ),
            Err(e) => eprintln!("sundial: the daemon did not reload: {e:#}"),
        }
        Ok(())
    }

    fn edit(&self) -> anyhow::Result<ExitCode> {
        let old = match self.read()? {
            Some(text) => text,
            None => {
                eprintln!("no crontab for {} - using an empty one", self.user);
                String::new()
            }
        };
        let tmp = temp_file(&old)?;
        let result = self.edit_loop(&tmp, &old);
        if !matches!(result, Ok(Edited::Abandoned)) {
            let _ = fs::remove_file(&tmp);
        }
        match result? {
            Edited::Installed | Edited::Unchanged => Ok(ExitCode::SUCCESS),
            Edited::Abandoned => {
                eprintln!("sundial: edits left in {}", tmp.display());
                Ok(ExitCode::FAILURE)
            }
        }
    }

    fn edit_loop(&self, tmp: &Path, old: &str) -> anyhow::Result<Edited> {
        loop {
            run_editor(tmp)?;
            let text = fs::read_to_string(tmp)
                .with_context(|| format!("cannot read {}", tmp.display()))?;
            if text == old {
                eprintln!("sundial: no changes made to crontab");
                return Ok(Edited::Unchanged);
            }
            if self.check(&text, tmp) {
                eprintln!("sundial: installing new crontab");
                self.install(&text)?;
                return Ok(Edited::Installed);
            }
            eprintln!("Invalid crontab file, can't install.");
            if !ask_retry()? {
                return Ok(Edited::Abandoned);
            }
        }
    }
}

/// How an edit ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edited {
    Installed,
    Unchanged,
    /// The user declined to fix a broken edit; it stays in the temp file.
    Abandoned,
}

/// cronie's question after a broken edit; end of input counts as no.
fn ask_retry() -> anyhow::Result<bool> {
    let stdin = io::stdin();
    let mut input = stdin.lock();
    loop {
        print!("Do you want to retry the same edit? (Y/N) ");
        io::stdout().flush()?;
        let mut answer = String::new();
        if input.read_line(&mut answer)? == 0 {
            println!();
            return Ok(false);
        }
        match answer.chars().next() {
            Some('y' | 'Y') => return Ok(true),
            Some('n' | 'N') => return Ok(false),
            _ => eprintln!("Enter Y or N"),
        }
    }
}

/// A private copy to edit: `$TMPDIR/crontab.XXXXXX`, mode 0600.
fn temp_file(text: &str) -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir();
    for attempt in 0u32..100 {
        let suffix = crate::supervisor::random_id();
        let path = dir.join(format!("crontab.{}", &suffix[..6 + (attempt as usize % 8)]));
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(mut f) => {
                f.write_all(text.as_bytes())?;
                return Ok(path);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot create {}", path.display())),
        }
    }
    bail!("cannot create a temporary file in {}", dir.display())
}

/// Runs `$VISUAL`, `$EDITOR` or `vi` on `file` through the shell, as
/// crontab(1) does (so `EDITOR="code --wait"` works).
fn run_editor(file: &Path) -> anyhow::Result<()> {
    let editor = ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|e| !e.is_empty())
        .unwrap_or_else(|| "vi".to_owned());
    let status = Command::new("/bin/sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(file)
        .status()
        .with_context(|| format!("cannot run the editor {editor}"))?;
    if !status.success() {
        match status.code() {
            Some(code) => bail!("\"{editor}\" exited with status {code}"),
            None => bail!("\"{editor}\" was killed by a signal"),
        }
    }
    Ok(())
}
