//! Test support shared by the unit tests: a seeded generator and a fresh temp directory.
//!
//! The integration tests cannot reach this crate-private code: `tests/it/util.rs` holds
//! the one copy of the same generator, read from the same `SERVEDIR_SEED`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A seeded xorshift generator: property tests are re-runnable from their seed.
pub(crate) struct XorShift(pub(crate) u64);

impl XorShift {
    /// The generator for a property test: seeded from `SERVEDIR_SEED` when set, printed
    /// either way so a failure can be replayed.
    pub(crate) fn from_env() -> XorShift {
        let seed = std::env::var("SERVEDIR_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0x5EED_2026_u64);
        println!("seed {seed} (rerun with SERVEDIR_SEED={seed})");
        XorShift(seed | 1)
    }

    /// The next number of the sequence (xorshift64).
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n` (0 when `n` is 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// One of `items`, uniformly.
    pub(crate) fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// A fresh directory under the system's temp dir, removed on drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    /// A new empty directory whose name contains `name`.
    pub(crate) fn new(name: &str) -> TempDir {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("servedir-unit-{}-{n}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    /// Where it is.
    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
