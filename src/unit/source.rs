//! Where a loaded unit came from: its fragment file and drop-ins.

use std::path::PathBuf;

use super::list::List;

/// The files a unit was assembled from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitSource {
    /// The main unit file; `None` for a unit that exists only through
    /// drop-ins or `.wants/` links (an implicit target).
    pub fragment: Option<PathBuf>,
    /// Drop-in files in the order they were applied.
    pub dropins: List<PathBuf>,
    /// Other names this unit is known by (symlinks in the search path).
    pub aliases: List<String>,
}
