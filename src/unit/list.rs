//! A list of a unit file's values that is usually empty: 8 bytes then,
//! against a `Vec`'s 24. A loaded unit keeps its lists for the daemon's
//! life and most of them are empty (a service names no `Requires=`, no
//! `Conflicts=`, no `Alias=`...), so at 100,000 units the difference is tens
//! of megabytes. Read as a slice (`Deref`); the few ways the parsers build
//! a list (`push`, `extend`, `retain`, `clear`) are here.

use std::fmt;
use std::ops::{Deref, DerefMut};

/// A list that costs one pointer when empty (see the module).
// The box is the point: `Option<Box<Vec>>` is 8 bytes, a `Vec` 24; a
// non-empty list pays one more allocation, and few are non-empty.
#[allow(clippy::box_collection)]
#[derive(Clone)]
pub struct List<T>(Option<Box<Vec<T>>>);

impl<T: PartialEq> PartialEq for List<T> {
    fn eq(&self, other: &List<T>) -> bool {
        self[..] == other[..]
    }
}

impl<T: Eq> Eq for List<T> {}

impl<T: std::hash::Hash> std::hash::Hash for List<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self[..].hash(state);
    }
}

impl<T> List<T> {
    /// An empty list.
    pub const fn new() -> List<T> {
        List(None)
    }

    /// Appends `value`.
    pub fn push(&mut self, value: T) {
        self.0.get_or_insert_with(Box::default).push(value);
    }

    /// Keeps the values for which `keep` holds.
    pub fn retain(&mut self, keep: impl FnMut(&T) -> bool) {
        if let Some(values) = &mut self.0 {
            values.retain(keep);
            if values.is_empty() {
                self.0 = None;
            }
        }
    }

    /// Removes every value.
    pub fn clear(&mut self) {
        self.0 = None;
    }

    /// Cuts the storage to the length (a list grown by one push holds room
    /// for four).
    pub fn shrink_to_fit(&mut self) {
        match &mut self.0 {
            Some(values) if values.is_empty() => self.0 = None,
            Some(values) => values.shrink_to_fit(),
            None => {}
        }
    }

    /// The values as a `Vec`.
    pub fn into_vec(self) -> Vec<T> {
        self.0.map(|v| *v).unwrap_or_default()
    }
}

impl<T> Default for List<T> {
    fn default() -> List<T> {
        List(None)
    }
}

impl<T> Deref for List<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }
}

impl<T> DerefMut for List<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        match self.0.as_deref_mut() {
            Some(values) => values.as_mut_slice(),
            None => &mut [],
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for List<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T> From<Vec<T>> for List<T> {
    fn from(values: Vec<T>) -> List<T> {
        if values.is_empty() {
            List(None)
        } else {
            List(Some(Box::new(values)))
        }
    }
}

impl<T> FromIterator<T> for List<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> List<T> {
        List::from(iter.into_iter().collect::<Vec<T>>())
    }
}

impl<T> Extend<T> for List<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        let mut iter = iter.into_iter().peekable();
        if iter.peek().is_some() {
            self.0.get_or_insert_with(Box::default).extend(iter);
        }
    }
}

impl<T> IntoIterator for List<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.into_vec().into_iter()
    }
}

impl<'a, T> IntoIterator for &'a List<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a, T> IntoIterator for &'a mut List<T> {
    type Item = &'a mut T;
    type IntoIter = std::slice::IterMut<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

impl<T: PartialEq<U>, U> PartialEq<Vec<U>> for List<T> {
    fn eq(&self, other: &Vec<U>) -> bool {
        self[..] == other[..]
    }
}

impl<T: PartialEq<U>, U, const N: usize> PartialEq<[U; N]> for List<T> {
    fn eq(&self, other: &[U; N]) -> bool {
        self[..] == other[..]
    }
}

impl<T: PartialEq<U>, U> PartialEq<[U]> for List<T> {
    fn eq(&self, other: &[U]) -> bool {
        self[..] == *other
    }
}

impl<T: PartialEq<U>, U> PartialEq<&[U]> for List<T> {
    fn eq(&self, other: &&[U]) -> bool {
        self[..] == **other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_list_is_one_pointer() {
        assert_eq!(std::mem::size_of::<List<String>>(), 8);
        assert!(List::<u8>::new().is_empty());
    }

    #[test]
    fn builds_and_reads_like_a_vec() {
        let mut list = List::new();
        list.push(1);
        list.extend([2, 3, 4]);
        list.retain(|v| v % 2 == 0);
        assert_eq!(list, vec![2, 4]);
        assert_eq!(list.len(), 2);
        list.shrink_to_fit();
        assert_eq!(list.iter().sum::<i32>(), 6);
        assert_eq!(list.clone().into_vec(), vec![2, 4]);
        list.retain(|_| false);
        assert_eq!(list, List::new());
        list.extend(Vec::<i32>::new());
        assert_eq!(list, List::new(), "extending by nothing allocates nothing");
    }

    /// Every loaded unit is kept for the daemon's life: at 100,000 units a
    /// byte here is 100 KB. Bounds with a little room, to catch a field
    /// that makes them grow back (a `Vec` where a `List` would do).
    #[test]
    fn parsed_units_stay_small() {
        use crate::unit::{ServiceSection, ServiceUnit, TimerUnit, UnitSection};
        use std::mem::size_of;
        let sizes = [
            // 208 since the job settings (PropagatesReloadTo=,
            // JobTimeoutSec= ...) are one boxed pointer, None in most units.
            // 128 since the eleven dependency lists are one sparse pointer,
            // 72 with the less common options (conditions, actions ...) too.
            ("UnitSection", size_of::<UnitSection>(), 72),
            // 264 since the process options (User=, WorkingDirectory=, the
            // limits, stdio ...) are one sparse pointer, 152 with the stop
            // options (ExecStop=, KillMode=, the timeouts ...) too.
            ("ServiceSection", size_of::<ServiceSection>(), 152),
            // 864 since the [Unit] section holds RefuseManualStart=,
            // RefuseManualStop=, FailureAction= and the two action exit
            // statuses (8 bytes); the execution context is in the rare box.
            // 872 with the boxed job settings of the [Unit] section; 592
            // with the sparse process options; 512 with the sparse
            // dependency lists; 400 with the sparse stop options, 344 with
            // the sparse [Unit] options.
            ("ServiceUnit", size_of::<ServiceUnit>(), 344),
            // 424 with the boxed job settings of the [Unit] section; 344
            // with the sparse dependency lists, 288 with the sparse [Unit]
            // options.
            ("TimerUnit", size_of::<TimerUnit>(), 288),
        ];
        for (what, size, most) in sizes {
            eprintln!("{what}: {size} bytes");
            assert!(size <= most, "{what} is {size} bytes, more than {most}");
        }
    }
}
