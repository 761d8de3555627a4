//! What a request builds every time, without a heap allocation each time (issue 17,
//! `tests/allocations.rs`): short header values held in place ([`ShortString`], spilling
//! to the heap past 46 bytes: sizes are never limited here), and buffers each thread
//! keeps for its next request ([`Spare`]: paths, field lists ([`Recycled`]), a
//! connection's read and write buffers). Lists are not held in place: a response is moved
//! a few times per request, and every frame holding one grew with it (the touched stack
//! is most of what an idle connection's thread costs).

use std::cell::RefCell;
use std::fmt;
use std::ops::Deref;
use std::thread::LocalKey;

/// A buffer a thread keeps for its next request once the last is done with it: what
/// every request needs (a path, its fields, a connection's buffers) is then built in a
/// buffer already allocated. [`take`] one, [`give_back`] it; each type has its own spares.
pub trait Spare: Default + Sized + 'static {
    /// This type's spares on the current thread (see [`spares!`]).
    fn spares() -> &'static LocalKey<RefCell<Vec<Self>>>;
    /// Empties it for reuse; `false` when there is nothing worth keeping: no buffer
    /// yet, or one grown too large (an idle thread keeps only small buffers).
    fn reset(&mut self) -> bool;
}

/// The body of [`Spare::spares`]: a thread-local list of spares of type `$t`.
macro_rules! spares {
    ($t:ty) => {
        fn spares() -> &'static ::std::thread::LocalKey<::std::cell::RefCell<Vec<$t>>> {
            thread_local! {
                static SPARES: ::std::cell::RefCell<Vec<$t>> =
                    const { ::std::cell::RefCell::new(Vec::new()) };
            }
            &SPARES
        }
    };
}
pub(crate) use spares;

/// The most spares a thread keeps of one type (a request needs at most a few at once:
/// a path and its sidecars' candidates).
const SPARES: usize = 4;

/// An empty buffer: a spare if this thread has one, else a new (unallocated) one.
pub fn take<T: Spare>() -> T {
    T::spares()
        .try_with(|spares| spares.borrow_mut().pop())
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// Keeps `item`, emptied, for this thread's next [`take`], unless it is too large or
/// the thread already keeps [`SPARES`] (then it is simply dropped).
pub fn give_back<T: Spare>(mut item: T) {
    if !item.reset() {
        return;
    }
    // During thread exit the spares may be gone: the buffer is then simply freed.
    let _ = T::spares().try_with(|spares| {
        let mut spares = spares.borrow_mut();
        if spares.len() < SPARES {
            if spares.capacity() == 0 {
                spares.reserve_exact(SPARES);
            }
            spares.push(item);
        }
    });
}

/// A list whose buffer is a [`Spare`]: taken when made, given back when dropped, so a
/// list made and dropped for every request allocates once per thread, not per request.
pub struct Recycled<T: 'static>
where
    Vec<T>: Spare,
{
    items: Vec<T>,
}

/// The most items a response's field list may have held to be kept.
const RECYCLE_MAX: usize = 16;

impl Spare for Vec<(&'static str, ShortString)> {
    spares!(Vec<(&'static str, ShortString)>);
    fn reset(&mut self) -> bool {
        self.clear();
        (1..=RECYCLE_MAX).contains(&self.capacity())
    }
}

impl<T> Recycled<T>
where
    Vec<T>: Spare,
{
    /// An empty list, on a spare buffer if this thread has one.
    pub fn new() -> Self {
        Recycled { items: take() }
    }

    /// Appends an item.
    pub fn push(&mut self, item: T) {
        if self.items.capacity() == 0 {
            self.items.reserve_exact(RECYCLE_MAX / 2);
        }
        self.items.push(item);
    }

    /// The items in order.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }

    /// The items in order, to change in place.
    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, T> {
        self.items.iter_mut()
    }
}

impl<T> Drop for Recycled<T>
where
    Vec<T>: Spare,
{
    fn drop(&mut self) {
        give_back(std::mem::take(&mut self.items));
    }
}

impl<T> Default for Recycled<T>
where
    Vec<T>: Spare,
{
    fn default() -> Self {
        Recycled::new()
    }
}

impl<T: fmt::Debug> fmt::Debug for Recycled<T>
where
    Vec<T>: Spare,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.items).finish()
    }
}

impl<T> std::ops::Index<usize> for Recycled<T>
where
    Vec<T>: Spare,
{
    type Output = T;
    fn index(&self, i: usize) -> &T {
        &self.items[i]
    }
}

impl<T, const M: usize> From<[T; M]> for Recycled<T>
where
    Vec<T>: Spare,
{
    fn from(items: [T; M]) -> Self {
        let mut list = Recycled::new();
        for item in items {
            list.push(item);
        }
        list
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
    fn a_dropped_list_gives_its_buffer_to_the_next_on_its_thread() {
        std::thread::spawn(|| {
            let mut a: Recycled<(&'static str, ShortString)> = Recycled::new();
            a.push(("A", "1".into()));
            a.push(("B", "2".into()));
            assert_eq!(
                a.iter()
                    .map(|(n, v)| format!("{n}={v}"))
                    .collect::<Vec<_>>(),
                ["A=1", "B=2"]
            );
            let buffer = a.items.as_ptr();
            drop(a);
            let b: Recycled<(&'static str, ShortString)> = Recycled::new();
            assert_eq!((b.items.as_ptr(), b.items.len()), (buffer, 0));
            // A list grown past RECYCLE_MAX is freed, not kept.
            let mut big: Recycled<(&'static str, ShortString)> = Recycled::new();
            for _ in 0..=RECYCLE_MAX {
                big.push(("X", ShortString::new()));
            }
            drop(big);
            let c: Recycled<(&'static str, ShortString)> = Recycled::new();
            assert!(c.items.capacity() <= RECYCLE_MAX);
        })
        .join()
        .unwrap();
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
