//! Crontabs the daemon runs as they are: the files of `--crontab FILE` and
//! the scope's own crontab (`sundial crontab -e`), translated by
//! [`crate::crontab`] into units in a directory of their own at the end of
//! the search path, as a systemd generator writes units for its manager.
//!
//! The files are read again when the watch on their directories fires and
//! at every daemon-reload. A file whose new text has an error keeps the
//! units of its last good text, and the error is reported with its line: a
//! typo never stops the jobs that were running. A missing own crontab has
//! no jobs (`crontab -r`); a `--crontab` file that disappears keeps its
//! last jobs until it is back.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::activation::Activation;
use crate::crontab::host::kind_of_file;
use crate::crontab::{
    translate, write_units, CrontabKind, CrontabSource, GeneratedUnit, TranslateOptions,
};
use crate::scheduler::Start;

/// One crontab file and what was last read from it.
#[derive(Debug)]
struct CrontabFile {
    path: PathBuf,
    kind: CrontabKind,
    /// Named with `--crontab`: it must exist at start.
    required: bool,
    /// The text last read (`None`: the file was missing), to tell a real
    /// change from an event that changed nothing.
    seen: Option<Option<String>>,
    /// The text whose units run now.
    good: Option<String>,
}

/// The crontabs of one daemon and the directory of their units.
#[derive(Debug)]
pub struct Crontabs {
    files: Vec<CrontabFile>,
    dir: PathBuf,
    options: TranslateOptions,
    /// The units written last.
    units: Vec<GeneratedUnit>,
    /// The crontab line of each generated timer that loads (one of another
    /// directory with its name loads instead), by timer name.
    lines: HashMap<String, (PathBuf, usize)>,
    /// The other unit directories, which come first in the search path.
    shadowing: Vec<PathBuf>,
}

/// What a refresh found.
#[derive(Debug, Default)]
pub struct Refresh {
    /// Lines for the daemon's log: problems, and what was kept because of them.
    pub messages: Vec<String>,
    /// Whether the units in the directory changed.
    pub changed: bool,
    /// Files none of whose jobs run: missing, unreadable, or with errors
    /// and no earlier good version.
    pub failed: Vec<PathBuf>,
}

impl Crontabs {
    /// The crontabs `required` (from `--crontab`) and `optional` (the own
    /// crontab, which may not exist), with their units in `dir`.
    pub fn new(
        dir: PathBuf,
        required: &[PathBuf],
        optional: Option<PathBuf>,
        options: TranslateOptions,
    ) -> Crontabs {
        // The daemon runs every job itself: a spool file's owner does not
        // send its units elsewhere (its user field, in /etc/crontab, does
        // set User=).
        let file = |path: &Path, required: bool| CrontabFile {
            kind: kind_of_file(path).0,
            path: path.to_path_buf(),
            required,
            seen: None,
            good: None,
        };
        let mut files: Vec<CrontabFile> = required.iter().map(|p| file(p, true)).collect();
        if let Some(own) = optional.filter(|p| !required.contains(p)) {
            files.push(file(&own, false));
        }
        Crontabs {
            files,
            dir,
            options,
            units: Vec::new(),
            lines: HashMap::new(),
            shadowing: Vec::new(),
        }
    }

    /// The unit directories searched before the crontab units': a file
    /// there with a job's unit name is the one that loads.
    pub fn set_shadowing_dirs(&mut self, dirs: Vec<PathBuf>) {
        self.shadowing = dirs;
    }

    /// The directory of the generated units.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The crontab files.
    pub fn paths(&self) -> Vec<PathBuf> {
        self.files.iter().map(|f| f.path.clone()).collect()
    }

    /// The generated timers that run (the ones linked into
    /// `timers.target.wants/`).
    pub fn enabled_timers(&self) -> impl Iterator<Item = &str> {
        self.units
            .iter()
            .filter(|u| u.enable && u.name.ends_with(".timer"))
            .map(|u| u.name.as_str())
    }

    /// What a timer's elapse activates: the job of a crontab line when the
    /// timer is one of these crontabs' jobs, the timer's own otherwise.
    pub fn activation_of(&self, start: &Start) -> Activation {
        match self.lines.get(&start.timer) {
            Some((file, line)) => Activation::Crontab {
                file: file.clone(),
                line: *line,
                timer: Some(start.fired()),
            },
            None => start.activation(),
        }
    }

    /// Empties the directory of generated units (at start: what an earlier
    /// daemon generated may come from other files).
    pub fn clear_dir(&self) -> io::Result<()> {
        match fs::remove_dir_all(&self.dir) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        fs::create_dir_all(&self.dir)
    }

    fn source(&self, file: &CrontabFile, text: &str) -> CrontabSource {
        CrontabSource {
            path: file.path.clone(),
            text: text.to_owned(),
            kind: file.kind,
            owner: None,
        }
    }

    /// Reads every file again and writes the units when a file's jobs
    /// changed.
    pub fn refresh(&mut self) -> Refresh {
        let mut refresh = Refresh::default();
        let mut dirty = false;
        for i in 0..self.files.len() {
            let text = match fs::read_to_string(&self.files[i].path) {
                Ok(text) => Some(text),
                Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                Err(e) => {
                    refresh.messages.push(format!(
                        "{}: cannot read the crontab, keeping its jobs: {e}",
                        self.files[i].path.display()
                    ));
                    if self.files[i].good.is_none() {
                        refresh.failed.push(self.files[i].path.clone());
                    }
                    continue;
                }
            };
            if self.files[i].seen.as_ref() == Some(&text) {
                continue;
            }
            self.files[i].seen = Some(text.clone());
            let file = &self.files[i];
            let Some(text) = text else {
                if file.required {
                    refresh.messages.push(format!(
                        "{}: no such crontab, keeping its jobs until it is back",
                        file.path.display()
                    ));
                    if file.good.is_none() {
                        refresh.failed.push(file.path.clone());
                    }
                } else if file.good.is_some() {
                    self.files[i].good = None;
                    dirty = true;
                }
                continue;
            };
            let alone = translate(&[self.source(file, &text)], &self.options);
            let errors: Vec<String> = alone
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .map(ToString::to_string)
                .collect();
            if errors.is_empty() {
                for d in &alone.diagnostics {
                    refresh.messages.push(d.to_string());
                }
                if file.good.as_ref() != Some(&text) {
                    self.files[i].good = Some(text);
                    dirty = true;
                }
            } else {
                refresh.messages.extend(errors);
                let kept = if file.good.is_some() {
                    "keeping the jobs of its previous version"
                } else {
                    refresh.failed.push(file.path.clone());
                    "none of its jobs run"
                };
                refresh.messages.push(format!(
                    "{}: the crontab has errors, {kept}",
                    file.path.display()
                ));
            }
        }
        if !dirty {
            return refresh;
        }
        let sources: Vec<CrontabSource> = self
            .files
            .iter()
            .filter_map(|f| f.good.as_deref().map(|text| self.source(f, text)))
            .collect();
        let mut translation = translate(&sources, &self.options);
        // Units of a file that is gone (`crontab -r`) go too.
        for path in self.paths() {
            if !translation.sources.contains(&path) {
                translation.sources.push(path);
            }
        }
        let mut shadowed = HashSet::new();
        for unit in &translation.units {
            if let Some(other) = self
                .shadowing
                .iter()
                .map(|d| d.join(&unit.name))
                .find(|p| p.exists())
            {
                refresh.messages.push(format!(
                    "{}: a crontab job's unit has the name of {}, which loads instead: \
                     name the job otherwise (a comment line right above it)",
                    unit.name,
                    other.display()
                ));
                shadowed.insert(unit.name.clone());
            }
        }
        match write_units(&self.dir, &translation) {
            Ok(_) => {
                self.units = translation.units;
                self.lines = self
                    .units
                    .iter()
                    .filter(|u| u.enable && u.name.ends_with(".timer"))
                    .filter(|u| !shadowed.contains(&u.name))
                    .filter_map(|u| Some((u.name.clone(), u.origin.clone()?)))
                    .collect();
                refresh.changed = true;
            }
            Err(e) => refresh.messages.push(format!(
                "{}: cannot write the crontab units: {e}",
                self.dir.display()
            )),
        }
        refresh
    }
}
