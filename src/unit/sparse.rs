//! A group of a unit's options that most units leave at their defaults:
//! one pointer then (8 bytes, no allocation), the whole group boxed once one
//! of them is set. A daemon keeps every loaded unit for its life, and at
//! 100,000 units each unset option held inline costs its size 100,000 times.
//!
//! Read through `Deref` (the defaults when nothing is set), written through
//! `DerefMut` (which boxes the defaults first); [`Sparse::compact`] drops a
//! box that holds only defaults again, so a parser may write freely.

use std::fmt;
use std::ops::{Deref, DerefMut};

/// A group of options with one shared copy of its defaults.
pub trait Defaults: Clone + PartialEq + 'static {
    /// Every option of the group at its default.
    fn defaults() -> &'static Self;
}

/// A group of options that costs one pointer while all are at their
/// defaults (see the module).
#[derive(Clone)]
pub struct Sparse<T: Defaults>(Option<Box<T>>);

impl<T: Defaults> Sparse<T> {
    /// Every option at its default.
    pub const fn new() -> Sparse<T> {
        Sparse(None)
    }

    /// Drops the box if it holds only defaults.
    pub fn compact(&mut self) {
        if self.0.as_deref() == Some(T::defaults()) {
            self.0 = None;
        }
    }

    /// Whether the group is boxed (some option was written and not compacted
    /// away).
    pub fn is_boxed(&self) -> bool {
        self.0.is_some()
    }
}

impl<T: Defaults> Default for Sparse<T> {
    fn default() -> Sparse<T> {
        Sparse(None)
    }
}

impl<T: Defaults> From<T> for Sparse<T> {
    /// `options`, boxed unless all are at their defaults.
    fn from(options: T) -> Sparse<T> {
        let mut sparse = Sparse(Some(Box::new(options)));
        sparse.compact();
        sparse
    }
}

impl<T: Defaults> Deref for Sparse<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.0.as_deref().unwrap_or(T::defaults())
    }
}

impl<T: Defaults> DerefMut for Sparse<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.0
            .get_or_insert_with(|| Box::new(T::defaults().clone()))
    }
}

impl<T: Defaults> PartialEq for Sparse<T> {
    fn eq(&self, other: &Sparse<T>) -> bool {
        **self == **other
    }
}

impl<T: Defaults + Eq> Eq for Sparse<T> {}

impl<T: Defaults + fmt::Debug> fmt::Debug for Sparse<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Options {
        user: Option<String>,
        umask: u32,
    }

    static DEFAULTS: Options = Options {
        user: None,
        umask: 0o022,
    };

    impl Defaults for Options {
        fn defaults() -> &'static Options {
            &DEFAULTS
        }
    }

    #[test]
    fn reads_defaults_until_written_and_compacts_back() {
        let mut options = Sparse::<Options>::new();
        assert_eq!(std::mem::size_of_val(&options), 8);
        assert_eq!(options.umask, 0o022);
        assert!(!options.is_boxed());
        options.umask = 0o077;
        assert!(options.is_boxed());
        options.compact();
        assert!(options.is_boxed(), "a set option keeps the box");
        assert_ne!(options, Sparse::new());
        options.umask = 0o022;
        assert_eq!(options, Sparse::new(), "compared by value");
        options.compact();
        assert!(!options.is_boxed(), "only defaults: no box");
        options.user = Some("backup".into());
        assert_eq!(options.user.as_deref(), Some("backup"));
        assert_eq!(format!("{options:?}"), format!("{:?}", *options));
        assert!(!Sparse::from(DEFAULTS.clone()).is_boxed());
    }
}
