//! Opening a resolved file for its body, with a small cache of whole files in memory.
//!
//! Serving a 1 KiB file from disk costs four syscalls beyond the lookup (open, fstat,
//! read, close), more than reading the request and sending the response together. A
//! file that is small and has not changed for a while is therefore kept in memory,
//! keyed by its path and checked against the metadata the lookup has just fetched
//! anyway: device, inode, size, modification and change time must all match. Any
//! `write`, truncation, rename over it, `chmod` or `touch` changes the change time (which
//! no user can set back), so such a change is seen on the very next request.
//!
//! A file changed within the last second ([`SETTLE`]) is never cached: timestamps can be
//! as coarse as a clock tick, so a second write within one tick could otherwise leave the
//! same metadata on different bytes.
//!
//! Some changes leave the metadata alone: writes through a shared memory mapping update
//! the times only on a page's first write until it is written back (on tmpfs, never
//! again), an NFS client may answer `lstat` from its attribute cache, FAT's times are
//! 2 s coarse. So a copy is also trusted for at most [`REVALIDATE`] after it was read:
//! the next request after that reads the file again. Such changes show within a second.
//!
//! # Platform-specific behavior
//! Windows: std offers no file index and no change time, so a copy is checked against
//! the size, modification time and creation time (`platform::FileId`). Every write sets
//! the modification time, so an edit, in place or saved beside and renamed over, is still
//! seen on the very next request. Only a same-size file that also keeps the old
//! modification time (`touch -r`, a copy preserving times, written in place or renamed
//! over: tunnelling hands the old creation time on) goes unseen by the metadata, and is
//! then served fresh within [`REVALIDATE`].

use std::collections::HashMap;
use std::fs::Metadata;
use std::io::{self, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use crate::platform::FileId;
use crate::respond::open;
use crate::respond::policy::Policy;
use crate::response::Source;

/// Files larger than this are always streamed from disk.
pub const ENTRY_MAX: u64 = 256 * 1024;
/// What the cache of one server (or one process-mode child) holds at most.
pub const BUDGET: usize = 16 * 1024 * 1024;
/// How long a file must have been left alone before it is cached.
pub const SETTLE: Duration = Duration::from_secs(1);
/// How long a copy is used before the file is read again, whatever its metadata says.
pub const REVALIDATE: Duration = Duration::from_secs(1);
/// The budget of a process-mode child: it serves one connection, so its copies help only
/// repeated requests on that connection, and thousands of children must stay small.
pub const CHILD_BUDGET: usize = 256 * 1024 + 4096;

/// Whole small files, shared by every connection of a server.
#[derive(Debug)]
pub struct FileCache {
    state: Mutex<State>,
    entry_max: u64,
    budget: usize,
    settle: Duration,
    revalidate: Duration,
}

#[derive(Debug, Default)]
struct State {
    entries: HashMap<PathBuf, Entry>,
    bytes: usize,
    /// Files read into memory so far, for tests.
    fills: usize,
}

#[derive(Debug)]
struct Entry {
    id: Identity,
    bytes: Arc<[u8]>,
    /// When the bytes were read from the file.
    read_at: Instant,
    /// What it counts against the budget: its bytes, its key and the bookkeeping, so
    /// that a folder of thousands of tiny files cannot grow the cache past the budget.
    cost: usize,
}

/// Bookkeeping per entry beyond its bytes and key (map slot, Arc and Vec headers).
const ENTRY_OVERHEAD: usize = 128;

/// What must not change for cached bytes to still be the file's (`platform/mod.rs`).
type Identity = FileId;

impl Default for FileCache {
    fn default() -> FileCache {
        FileCache::new(ENTRY_MAX, BUDGET, SETTLE, REVALIDATE)
    }
}

impl FileCache {
    /// A cache for files up to `entry_max` bytes, `budget` bytes in all, of files left
    /// alone for `settle`, each copy used for at most `revalidate`.
    pub fn new(entry_max: u64, budget: usize, settle: Duration, revalidate: Duration) -> FileCache {
        FileCache {
            state: Mutex::new(State::default()),
            entry_max,
            budget,
            settle,
            revalidate,
        }
    }

    /// The cache of a process-mode child (see [`CHILD_BUDGET`]).
    pub fn for_child() -> FileCache {
        FileCache::new(ENTRY_MAX, CHILD_BUDGET, SETTLE, REVALIDATE)
    }

    /// The bytes of the regular file at `path` below `root`, whose metadata the lookup
    /// just saw as `seen`, and the metadata that describes them. `None` when it is gone,
    /// is no longer a regular file, or is not what `policy` allows (see `open.rs`).
    ///
    /// A copy in memory is only ever one read from a file `open.rs` verified, and it is
    /// used only while `seen` shows that same file (device and inode) unchanged: a name
    /// swapped since then names another inode, or changed the file's change time.
    ///
    /// # Errors
    /// Opening or reading it failed for another reason (e.g. permission denied).
    pub fn open(
        &self,
        path: &Path,
        seen: &Metadata,
        root: &Path,
        policy: Policy,
    ) -> io::Result<Option<(Source, Metadata)>> {
        if seen.len() <= self.entry_max {
            if let Some(bytes) = self.get(path, Identity::of(seen)) {
                return Ok(Some((Source::Memory(bytes), seen.clone())));
            }
        }
        let Some((mut file, meta)) = open::file(path, root, policy)? else {
            return Ok(None);
        };
        if meta.len() > self.entry_max || !self.settled(&meta, SystemTime::now()) {
            return Ok(Some((Source::Disk(file), meta)));
        }
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        (&mut file).take(meta.len()).read_to_end(&mut bytes)?;
        let after = file.metadata()?;
        if bytes.len() as u64 != meta.len() || Identity::of(&after) != Identity::of(&meta) {
            // Written to while we read it: send it from disk, as it is now.
            file.rewind()?;
            return Ok(Some((Source::Disk(file), after)));
        }
        let bytes: Arc<[u8]> = bytes.into();
        self.insert(path, Identity::of(&meta), Arc::clone(&bytes));
        Ok(Some((Source::Memory(bytes), meta)))
    }

    /// Whether the file was last changed at least `settle` before `now` (a time in the
    /// future is not).
    fn settled(&self, meta: &Metadata, now: SystemTime) -> bool {
        FileId::of(meta).last_change().is_some_and(|changed| {
            now.duration_since(changed)
                .is_ok_and(|age| age >= self.settle)
        })
    }

    fn get(&self, path: &Path, id: Identity) -> Option<Arc<[u8]>> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = state.entries.get(path)?;
        // The request's clock reading (`clock.rs`) tells the copy's age well enough.
        let age = crate::clock::recent().saturating_duration_since(entry.read_at);
        if entry.id == id && age < self.revalidate {
            return Some(Arc::clone(&entry.bytes));
        }
        // The file changed, or the copy is due to be read again: drop it.
        let stale = state.entries.remove(path).map_or(0, |e| e.cost);
        state.bytes -= stale;
        None
    }

    fn insert(&self, path: &Path, id: Identity, bytes: Arc<[u8]>) {
        let cost = bytes.len() + path.as_os_str().len() + ENTRY_OVERHEAD;
        if cost > self.budget {
            return;
        }
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let State {
            entries,
            bytes: total,
            fills,
        } = &mut *state;
        *fills += 1;
        if let Some(old) = entries.remove(path) {
            *total -= old.cost;
        }
        // Evict whatever comes first: the order of a HashMap is as good as random.
        while *total + cost > self.budget {
            let Some(victim) = entries.keys().next().cloned() else {
                break;
            };
            *total -= entries.remove(&victim).map_or(0, |e| e.cost);
        }
        *total += cost;
        entries.insert(
            path.to_path_buf(),
            Entry {
                id,
                bytes,
                read_at: Instant::now(),
                cost,
            },
        );
    }

    /// What is counted against the budget, and the entries, for tests.
    #[cfg(test)]
    fn usage(&self) -> (usize, usize) {
        let state = self.state.lock().unwrap();
        (state.bytes, state.entries.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// The policy of these tests: any file the test itself made may be read.
    const OPEN: Policy = Policy {
        hidden: true,
        follow_symlinks: true,
    };

    use crate::testutil::TempDir;

    /// A fresh temp dir, canonical, which the tests serve as the root: every file they
    /// open is below it, as a request's would be (`/` is no root on Windows, where a
    /// path starts with a drive).
    struct Root {
        _dir: TempDir,
        path: PathBuf,
    }

    impl Root {
        fn path(&self) -> &Path {
            &self.path
        }
    }

    fn dir(name: &str) -> Root {
        let dir = TempDir::new(name);
        let path = crate::platform::canonicalize(dir.path()).unwrap();
        Root { _dir: dir, path }
    }

    /// Opens `path` below `root` the way a request does: lookup metadata first.
    fn open(cache: &FileCache, root: &Root, path: &Path) -> Option<(bool, Vec<u8>, u64)> {
        let seen = fs::symlink_metadata(path).ok()?;
        let (source, meta) = cache.open(path, &seen, root.path(), OPEN).unwrap()?;
        Some(match source {
            Source::Memory(bytes) => (true, bytes.to_vec(), meta.len()),
            Source::Disk(mut file) => {
                let mut bytes = Vec::new();
                file.read_to_end(&mut bytes).unwrap();
                (false, bytes, meta.len())
            }
        })
    }

    fn eager() -> FileCache {
        FileCache::new(64, 4096, Duration::ZERO, Duration::MAX)
    }

    /// What an entry for `len` bytes at `path` counts against the budget.
    fn cost(path: &Path, len: usize) -> usize {
        len + path.as_os_str().len() + ENTRY_OVERHEAD
    }

    #[test]
    fn a_settled_small_file_is_served_from_memory_after_one_read() {
        let d = dir("hit");
        let path = d.path().join("a.txt");
        fs::write(&path, b"hello").unwrap();
        let cache = eager();
        // The first open reads it from disk into memory; the second never opens it.
        assert_eq!(open(&cache, &d, &path), Some((true, b"hello".to_vec(), 5)));
        assert_eq!(open(&cache, &d, &path), Some((true, b"hello".to_vec(), 5)));
        assert_eq!(cache.usage(), (cost(&path, 5), 1));
    }

    #[test]
    fn a_copy_is_read_again_once_it_is_old_enough() {
        // Writes through a shared mapping may leave the metadata alone; the copy's age
        // bounds how long they can go unseen.
        let d = dir("revalidate");
        let path = d.path().join("a.txt");
        fs::write(&path, b"hello").unwrap();
        let fills = |c: &FileCache| c.state.lock().unwrap().fills;
        let trusting = eager();
        open(&trusting, &d, &path);
        open(&trusting, &d, &path);
        assert_eq!(fills(&trusting), 1);
        let doubting = FileCache::new(64, 4096, Duration::ZERO, Duration::ZERO);
        assert_eq!(
            open(&doubting, &d, &path),
            Some((true, b"hello".to_vec(), 5))
        );
        assert_eq!(
            open(&doubting, &d, &path),
            Some((true, b"hello".to_vec(), 5))
        );
        assert_eq!(fills(&doubting), 2);
        assert_eq!(doubting.usage().1, 1);
    }

    #[test]
    fn recently_changed_and_large_files_come_from_disk() {
        let d = dir("fresh");
        let path = d.path().join("a.txt");
        fs::write(&path, b"hello").unwrap();
        let cautious = FileCache::new(64, 200, Duration::from_secs(3600), Duration::MAX);
        assert_eq!(
            open(&cautious, &d, &path),
            Some((false, b"hello".to_vec(), 5))
        );
        assert_eq!(cautious.usage(), (0, 0));

        let big = d.path().join("big.bin");
        fs::write(&big, [7u8; 65]).unwrap();
        let cache = eager();
        assert_eq!(open(&cache, &d, &big), Some((false, vec![7u8; 65], 65)));
        assert_eq!(cache.usage(), (0, 0));
    }

    #[test]
    fn any_change_to_the_file_is_seen() {
        let d = dir("change");
        let path = d.path().join("a.txt");
        fs::write(&path, b"first").unwrap();
        let cache = eager();
        assert_eq!(open(&cache, &d, &path).unwrap().1, b"first");

        // Same length, and on Unix the modification time put back: the change time still
        // moves. Windows has no change time in std, so there the new modification time
        // shows the write (platform/mod.rs: a rewrite that restores it is not seen there).
        let mtime = fs::metadata(&path).unwrap().modified().unwrap();
        std::thread::sleep(Duration::from_millis(20)); // past a coarse timestamp tick
        fs::write(&path, b"secnd").unwrap();
        if cfg!(unix) {
            fs::File::options()
                .write(true)
                .open(&path)
                .unwrap()
                .set_modified(mtime)
                .unwrap();
        } else {
            assert_ne!(fs::metadata(&path).unwrap().modified().unwrap(), mtime);
        }
        assert_eq!(open(&cache, &d, &path), Some((true, b"secnd".to_vec(), 5)));

        // Replaced by a different file under the same name.
        let other = d.path().join("b.txt");
        fs::write(&other, b"third!").unwrap();
        fs::rename(&other, &path).unwrap();
        assert_eq!(open(&cache, &d, &path), Some((true, b"third!".to_vec(), 6)));
        assert_eq!(cache.usage(), (cost(&path, 6), 1));

        fs::remove_file(&path).unwrap();
        assert_eq!(open(&cache, &d, &path), None);
    }

    #[test]
    fn a_file_gone_between_lookup_and_open_is_none() {
        let d = dir("gone");
        let path = d.path().join("a.txt");
        fs::write(&path, b"x").unwrap();
        let seen = fs::symlink_metadata(&path).unwrap();
        fs::remove_file(&path).unwrap();
        let open = eager().open(&path, &seen, d.path(), OPEN);
        assert!(open.unwrap().is_none());
    }

    /// Issue 12 #1: a cached copy is no way around the check of what is opened. The
    /// name of a cached file swapped for a link out of the root, as a racing lookup may
    /// see it, gets neither the copy nor the secret. Symlinks: Unix only.
    #[cfg(unix)]
    #[test]
    fn a_cached_name_swapped_for_a_link_out_of_the_root_gets_nothing() {
        let d = dir("swap");
        let root = d.path().join("root");
        fs::create_dir_all(&root).unwrap();
        let root = crate::platform::canonicalize(root).unwrap();
        let path = root.join("a.txt");
        fs::write(&path, b"inside").unwrap();
        fs::write(d.path().join("secret.txt"), b"SECRET").unwrap();
        let strict = Policy::default();
        let cache = eager();
        let seen = fs::metadata(&path).unwrap();
        let (source, _) = cache.open(&path, &seen, &root, strict).unwrap().unwrap();
        assert!(matches!(source, Source::Memory(ref b) if &b[..] == b"inside"));
        fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink("../secret.txt", &path).unwrap();
        // What a lookup raced by the swap could report: the secret's own metadata.
        let seen = fs::metadata(&path).unwrap();
        assert!(cache.open(&path, &seen, &root, strict).unwrap().is_none());
    }

    #[test]
    fn the_budget_is_never_exceeded() {
        let d = dir("budget");
        // Room for three entries of 60 bytes (names 10.bin..29.bin, all as long).
        let each = cost(&d.path().join("10.bin"), 60);
        let cache = FileCache::new(64, 3 * each + each / 2, Duration::ZERO, Duration::MAX);
        for i in 10..30 {
            let path = d.path().join(format!("{i}.bin"));
            fs::write(&path, vec![i as u8; 60]).unwrap();
            assert_eq!(open(&cache, &d, &path), Some((true, vec![i as u8; 60], 60)));
            let (counted, entries) = cache.usage();
            assert_eq!(counted, entries * each);
            assert!(entries <= 3, "{entries}");
        }
        assert_eq!(cache.usage(), (3 * each, 3));
        // Many tiny files count their bookkeeping too: the entry count stays bounded.
        let tiny = FileCache::new(64, 10 * ENTRY_OVERHEAD, Duration::ZERO, Duration::MAX);
        for i in 10..30 {
            let path = d.path().join(format!("{i}.bin"));
            fs::write(&path, b"t").unwrap();
            open(&tiny, &d, &path).unwrap();
        }
        assert!(tiny.usage().1 < 10, "{:?}", tiny.usage());
    }

    #[test]
    fn future_and_recent_times_are_not_settled() {
        let d = dir("times");
        let path = d.path().join("a.txt");
        fs::write(&path, b"x").unwrap();
        let meta = fs::metadata(&path).unwrap();
        let cache = FileCache::default();
        let now = SystemTime::now();
        assert!(!cache.settled(&meta, now));
        assert!(cache.settled(&meta, now + SETTLE + Duration::from_millis(10)));
        assert!(!cache.settled(&meta, SystemTime::UNIX_EPOCH));
    }
}
