//! Reading and parsing unit files on all cores, ahead of the loader's queue.
//!
//! At start-up nearly every unit is a file under its own name, and reading
//! and parsing it (open, `fstat`, read, lex, build the typed unit) is most
//! of the work and independent of every other unit's. Worker threads do that
//! in chunks, in the queue's order, while the loader's own thread adds the
//! units it gets back to the loaded set one by one, exactly as it would have
//! after reading each itself: what is loaded, and the order of every
//! problem, do not change. Each worker hands its chunks over a short
//! channel of its own, so what waits to be added stays small (all units
//! parsed before any was added held about 150 MB more at 100,000 units,
//! which the allocator then kept).

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;
use std::thread::Scope;

use super::assemble::{assemble, LexedFile, ParseEnv, Unit};
use super::diag::{Diagnostic, Problem};
use super::lexer::{lex, LexFatal};
use super::load::{LoadContext, UnitIndex};
use super::name::UnitName;

/// Below this many units the loader reads them itself.
const MIN_UNITS: usize = 256;
/// At most this many worker threads.
const MAX_THREADS: usize = 8;
/// Units per chunk a worker hands over.
const CHUNK: usize = 128;
/// Chunks a worker may have done and not yet taken.
const CHUNKS_WAITING: usize = 2;

/// A unit's files read and parsed, not yet added to the loaded set.
#[derive(Debug, Default)]
pub(super) struct ParsedUnit {
    /// The unit, unless a problem was an error.
    pub unit: Option<Unit>,
    /// Every problem met, in order (reading first, then parsing).
    pub diagnostics: Vec<Diagnostic>,
    /// A file could not be read: the unit does not load.
    pub io_failed: bool,
    /// Why the fragment could not be parsed at all, if so.
    pub fragment_fatal: Option<LexFatal>,
    /// Each file read with its `fstat`, for root's check of loose files.
    pub metas: Vec<(PathBuf, fs::Metadata)>,
    /// The fragment was read and is empty: a mask.
    pub fragment_empty: bool,
}

/// Reads `fragment` and `dropins` (open; `fstat` for the size to read and,
/// when `keep_meta`, the owner and mode for the check of loose files; read)
/// and builds the unit `name` from them.
pub(super) fn parse_files(
    cx: &LoadContext<'_>,
    name: &UnitName,
    fragment: &Path,
    dropins: Vec<PathBuf>,
    keep_meta: bool,
) -> ParsedUnit {
    let mut out = ParsedUnit::default();
    let mut files = Vec::with_capacity(1 + dropins.len());
    for path in std::iter::once(fragment.to_path_buf()).chain(dropins) {
        match read_file(&path) {
            Ok((bytes, meta)) => {
                if path == fragment && bytes.is_empty() {
                    out.fragment_empty = true;
                }
                if keep_meta {
                    out.metas.push((path.clone(), meta));
                }
                let text = String::from_utf8_lossy(&bytes);
                files.push(LexedFile {
                    lexed: lex(&path, &text),
                    path,
                });
            }
            Err(e) => {
                out.io_failed = true;
                out.diagnostics
                    .push(Diagnostic::error(&path, 0, Problem::Io(e.to_string())));
            }
        }
    }
    let env = ParseEnv {
        specifiers: &cx.specifiers,
        local_zone: &cx.local_zone,
        zones: cx.zones,
    };
    out.unit = assemble(name, Some(fragment), &files, &env, &mut out.diagnostics);
    if out.unit.is_none() || out.io_failed {
        out.fragment_fatal = files
            .first()
            .filter(|f| f.path == fragment)
            .and_then(|f| f.lexed.fatal);
    }
    out
}

/// A file's bytes and its `fstat`, which sizes the buffer: a file that did
/// not change since is read by one `read` and a second that finds its end
/// (`read_to_end` would `stat` it and seek again).
fn read_file(path: &Path) -> std::io::Result<(Vec<u8>, fs::Metadata)> {
    let mut file = fs::File::open(path)?;
    let meta = file.metadata()?;
    let size = usize::try_from(meta.len()).unwrap_or(0);
    let mut bytes = vec![0; size.saturating_add(1)];
    let mut filled = 0;
    loop {
        if filled == bytes.len() {
            bytes.resize(filled.saturating_mul(2).max(4096), 0);
        }
        match file.read(&mut bytes[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    bytes.truncate(filled);
    Ok((bytes, meta))
}

/// The units being read ahead, and where the loader is among them.
#[derive(Debug, Default)]
pub(super) struct ReadAhead {
    /// The units to read, in the queue's order: each under its own name,
    /// with its fragment.
    plan: Arc<Vec<(UnitName, PathBuf)>>,
    /// The next unit of `plan` the loader will ask for.
    next: usize,
    /// Worker `w` sends chunks `w`, `w + n`, `w + 2n`, ... in order.
    workers: Vec<Receiver<Vec<ParsedUnit>>>,
    /// The rest of the chunk being taken.
    chunk: std::vec::IntoIter<ParsedUnit>,
    /// A worker stopped early: the loader reads the rest itself.
    broken: bool,
}

impl ReadAhead {
    /// Starts the workers on `plan` within `scope`; none when the machine
    /// has one core or the plan is short.
    pub(super) fn start<'scope, 'env: 'scope>(
        scope: &'scope Scope<'scope, 'env>,
        cx: &'env LoadContext<'env>,
        index: &'env UnitIndex,
        plan: Vec<(UnitName, PathBuf)>,
        keep_meta: bool,
    ) -> ReadAhead {
        let threads = std::thread::available_parallelism()
            .map(std::num::NonZeroUsize::get)
            .unwrap_or(1)
            .min(MAX_THREADS);
        if threads < 2 || plan.len() < MIN_UNITS {
            return ReadAhead::default();
        }
        let plan = Arc::new(plan);
        let workers = (0..threads)
            .map(|w| {
                let (tx, rx) = sync_channel(CHUNKS_WAITING);
                let plan = Arc::clone(&plan);
                scope.spawn(move || {
                    for part in plan.chunks(CHUNK).skip(w).step_by(threads) {
                        let parsed = part
                            .iter()
                            .map(|(name, fragment)| {
                                let dropins = index.dropins(name, &[]);
                                parse_files(cx, name, fragment, dropins, keep_meta)
                            })
                            .collect();
                        // The loader stopped taking: nothing more to do.
                        if tx.send(parsed).is_err() {
                            return;
                        }
                    }
                });
                rx
            })
            .collect();
        ReadAhead {
            plan,
            next: 0,
            workers,
            chunk: Vec::new().into_iter(),
            broken: false,
        }
    }

    /// The fragment of `name` if it is the next unit of the plan: what a
    /// lookup in the index would find, already looked up.
    pub(super) fn fragment_of(&self, name: &UnitName) -> Option<&Path> {
        match self.plan.get(self.next) {
            Some((n, fragment)) if !self.broken && n == name => Some(fragment),
            _ => None,
        }
    }

    /// The parsed files of `name` if it is the next unit of the plan.
    pub(super) fn take(&mut self, name: &UnitName) -> Option<ParsedUnit> {
        if self.broken || self.plan.get(self.next).is_none_or(|(n, _)| n != name) {
            return None;
        }
        if self.next % CHUNK == 0 {
            let worker = (self.next / CHUNK) % self.workers.len();
            match self.workers[worker].recv() {
                Ok(chunk) => self.chunk = chunk.into_iter(),
                Err(_) => {
                    self.broken = true;
                    return None;
                }
            }
        }
        self.next += 1;
        let parsed = self.chunk.next();
        if parsed.is_none() {
            self.broken = true;
        }
        parsed
    }
}
