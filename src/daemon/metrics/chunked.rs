//! A list that a reader can copy in a few pointer copies: its items sit in
//! shared chunks, and a write copies only the chunk it touches, and only
//! while a reader still holds it. The event loop keeps writing while a
//! scrape renders an older copy on another thread.

use std::sync::Arc;

/// Items per chunk: a write during a scrape copies at most this many.
const CHUNK: usize = 256;

/// A growable list in copy-on-write chunks.
#[derive(Debug)]
pub struct Chunked<T> {
    chunks: Vec<Arc<Vec<T>>>,
    len: usize,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Clone for Chunked<T> {
    /// Shares every chunk: O(chunks), not O(items).
    fn clone(&self) -> Self {
        Chunked {
            chunks: self.chunks.clone(),
            len: self.len,
        }
    }
}

impl<T: Clone> Chunked<T> {
    /// Appends `item`; returns its index.
    pub fn push(&mut self, item: T) -> usize {
        let index = self.len;
        match self.chunks.last_mut() {
            Some(last) if last.len() < CHUNK => Arc::make_mut(last).push(item),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(item);
                self.chunks.push(Arc::new(chunk));
            }
        }
        self.len += 1;
        index
    }

    /// The item at `index`, to change: its chunk is copied first if a
    /// reader shares it.
    pub fn get_mut(&mut self, index: usize) -> &mut T {
        &mut Arc::make_mut(&mut self.chunks[index / CHUNK])[index % CHUNK]
    }
}

impl<T> Chunked<T> {
    /// The items in order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flat_map(|c| c.iter())
    }

    /// How many items.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_keeps_its_values_while_the_original_changes() {
        let mut list = Chunked::default();
        for i in 0..1000u32 {
            assert_eq!(list.push(i), i as usize);
        }
        let copy = list.clone();
        *list.get_mut(3) = 7;
        *list.get_mut(999) = 1;
        list.push(5);
        assert_eq!(copy.len(), 1000);
        assert_eq!(copy.iter().nth(3), Some(&3));
        assert_eq!(copy.iter().nth(999), Some(&999));
        assert_eq!(list.iter().nth(3), Some(&7));
        assert_eq!(list.iter().nth(999), Some(&1));
        assert_eq!(list.len(), 1001);
    }

    #[test]
    fn a_write_copies_only_the_chunk_it_touches() {
        let mut list = Chunked::default();
        for i in 0..(CHUNK * 4) {
            list.push(i);
        }
        let copy = list.clone();
        *list.get_mut(CHUNK + 1) = 0;
        let shared = list
            .chunks
            .iter()
            .zip(&copy.chunks)
            .filter(|(a, b)| Arc::ptr_eq(a, b))
            .count();
        assert_eq!(shared, 3);
    }
}
