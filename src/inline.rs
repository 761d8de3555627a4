//! Small collections kept in place: a request's fields, a response's fields and short
//! header values are built for every request, and the usual ones fit in a few hundred
//! bytes, so they live on the stack and the hot path allocates nothing (issue 17,
//! `tests/allocations.rs`). Anything larger spills to the heap: sizes are never limited
//! here.

use std::fmt;
use std::ops::Deref;

/// A list whose first `N` items are held in place; more go to the heap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineVec<T, const N: usize> {
    inline: [T; N],
    len: usize,
    more: Vec<T>,
}

impl<T: Default, const N: usize> InlineVec<T, N> {
    /// No items.
    pub fn new() -> Self {
        InlineVec {
            inline: std::array::from_fn(|_| T::default()),
            len: 0,
            more: Vec::new(),
        }
    }

    /// Appends an item.
    pub fn push(&mut self, item: T) {
        match self.inline.get_mut(self.len) {
            Some(slot) => *slot = item,
            None => self.more.push(item),
        }
        self.len += 1;
    }
}

impl<T, const N: usize> InlineVec<T, N> {
    /// The items in order.
    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.inline[..self.len.min(N)].iter().chain(&self.more)
    }

    /// The items in order, to change in place.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> + '_ {
        self.inline[..self.len.min(N)]
            .iter_mut()
            .chain(&mut self.more)
    }

    /// How many items.
    pub fn len(&self) -> usize {
        self.len
    }
}

impl<T: Default, const N: usize> Default for InlineVec<T, N> {
    fn default() -> Self {
        InlineVec::new()
    }
}

impl<T, const N: usize> std::ops::Index<usize> for InlineVec<T, N> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        match self.inline[..self.len.min(N)].get(i) {
            Some(item) => item,
            None => &self.more[i - N],
        }
    }
}

impl<T: Default, const N: usize> FromIterator<T> for InlineVec<T, N> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut list = InlineVec::new();
        for item in iter {
            list.push(item);
        }
        list
    }
}

impl<T: Default, const N: usize, const M: usize> From<[T; M]> for InlineVec<T, N> {
    fn from(items: [T; M]) -> Self {
        items.into_iter().collect()
    }
}

/// How many bytes a [`ShortString`] holds in place: any ETag of a file under 16 TiB with
/// a coding or the live suffix (at most 41), an HTTP-date (29). With its length and tag,
/// 48 bytes: a response's fields are moved a few times per request, so they stay small.
const SHORT: usize = 46;

/// A string held in place up to [`SHORT`] bytes, on the heap beyond.
#[derive(Clone)]
pub enum ShortString {
    /// In place: the first `len` bytes of `bytes` (always UTF-8).
    Inline {
        /// The bytes.
        bytes: [u8; SHORT],
        /// How many are used.
        len: u8,
    },
    /// Too long to hold in place.
    Heap(String),
}

impl ShortString {
    /// The empty string.
    pub const fn new() -> ShortString {
        ShortString::Inline {
            bytes: [0; SHORT],
            len: 0,
        }
    }

    /// Appends `s`, moving to the heap when it no longer fits.
    pub fn push_str(&mut self, s: &str) {
        match self {
            ShortString::Inline { bytes, len } => {
                let at = usize::from(*len);
                match bytes.get_mut(at..at + s.len()) {
                    Some(room) => {
                        room.copy_from_slice(s.as_bytes());
                        // Fits in a u8: at + s.len() <= SHORT.
                        *len = (at + s.len()) as u8;
                    }
                    None => {
                        let mut heap = String::with_capacity(at + s.len());
                        heap.push_str(self.as_str());
                        heap.push_str(s);
                        *self = ShortString::Heap(heap);
                    }
                }
            }
            ShortString::Heap(heap) => heap.push_str(s),
        }
    }

    /// Appends `c`.
    pub fn push(&mut self, c: char) {
        self.push_str(c.encode_utf8(&mut [0; 4]));
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        match self {
            // Only whole `&str`s are ever copied in, so the used bytes are UTF-8.
            ShortString::Inline { bytes, len } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            ShortString::Heap(heap) => heap,
        }
    }
}

impl Default for ShortString {
    fn default() -> Self {
        ShortString::new()
    }
}

impl Deref for ShortString {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Write for ShortString {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push_str(s);
        Ok(())
    }
}

impl fmt::Debug for ShortString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for ShortString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq for ShortString {
    fn eq(&self, other: &ShortString) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for ShortString {}

impl PartialEq<str> for ShortString {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ShortString {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl From<&str> for ShortString {
    fn from(s: &str) -> ShortString {
        let mut short = ShortString::new();
        short.push_str(s);
        short
    }
}

impl From<std::borrow::Cow<'_, str>> for ShortString {
    fn from(s: std::borrow::Cow<'_, str>) -> ShortString {
        match s {
            std::borrow::Cow::Borrowed(s) => ShortString::from(s),
            std::borrow::Cow::Owned(s) => ShortString::from(s),
        }
    }
}

impl From<String> for ShortString {
    fn from(s: String) -> ShortString {
        if s.len() <= SHORT {
            ShortString::from(s.as_str())
        } else {
            ShortString::Heap(s)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write;

    #[test]
    fn inline_vec_keeps_order_across_the_spill() {
        let mut v: InlineVec<u32, 3> = InlineVec::new();
        for i in 0..7 {
            v.push(i);
        }
        assert_eq!(v.len(), 7);
        assert_eq!(v.iter().copied().collect::<Vec<_>>(), [0, 1, 2, 3, 4, 5, 6]);
        assert_eq!((v[2], v[3], v[6]), (2, 3, 6));
        for x in v.iter_mut() {
            *x *= 10;
        }
        assert_eq!(
            v.iter().copied().collect::<Vec<_>>(),
            [0, 10, 20, 30, 40, 50, 60]
        );
        let w: InlineVec<u32, 3> = InlineVec::from([1, 2]);
        assert_eq!((w.len(), w.iter().count()), (2, 2));
    }

    #[test]
    fn short_string_moves_to_the_heap_when_full_and_keeps_every_byte() {
        let mut s = ShortString::new();
        let mut want = String::new();
        for i in 0..40 {
            let piece = if i % 3 == 0 { "é" } else { "ab" };
            s.push_str(piece);
            want.push_str(piece);
            assert_eq!(s.as_str(), want);
        }
        assert!(matches!(s, ShortString::Heap(_)));
        let mut t = ShortString::from("x");
        write!(t, "-{}", 42).unwrap();
        t.push('"');
        assert_eq!(t, "x-42\"");
        assert!(matches!(t, ShortString::Inline { .. }));
        let exact = "y".repeat(SHORT);
        assert!(matches!(
            ShortString::from(exact.as_str()),
            ShortString::Inline { .. }
        ));
        assert!(matches!(
            ShortString::from(exact.clone() + "z"),
            ShortString::Heap(_)
        ));
        assert_eq!(ShortString::from(exact.clone()), exact.as_str());
    }
}
