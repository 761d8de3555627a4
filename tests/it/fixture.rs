//! Fixtures shared by the integration tests and, through `#[path]` in `src/testutil.rs`,
//! the crate's unit tests: one copy of the temp directory, the standard site with a
//! secret beside its root, deterministic bytes and the seeded generator.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh directory under the system's temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        TempDir::new_in(&std::env::temp_dir(), name)
    }

    /// A fresh directory below `base` (e.g. on the same filesystem as another file).
    pub fn new_in(base: &Path, name: &str) -> TempDir {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let path = base.join(format!("servedir-test-{}-{n}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The content of the file beside the root that must never be served.
pub const SECRET: &str = "TOP SECRET: this file lies beside the root";

/// A site: `base/root` is served, `base/secret.txt` lies beside it.
pub struct Site {
    pub base: TempDir,
}

impl Site {
    pub fn new(name: &str) -> Site {
        let base = TempDir::new(name);
        let root = base.path().join("root");
        let files: &[(&str, &[u8])] = &[
            ("index.html", b"<h1>home</h1>\n"),
            ("hello.txt", b"hello\n"),
            ("a b.txt", b"spaced\n"),
            ("caf\u{e9}.txt", b"accent\n"),
            ("style.css", b"body{}\n"),
            ("app.js", b"export{};\n"),
            ("data.json", b"{}\n"),
            ("UPPER.HTML", b"<p>upper</p>\n"),
            ("unknown.xyz", b"?\n"),
            ("dir/index.html", b"<h1>dir</h1>\n"),
            ("dir/page.html", b"<p>page</p>\n"),
            ("noindex/x.txt", b"x\n"),
            ("evil.com/index.html", b"not a redirect target\n"),
            (".hidden.txt", b"hidden\n"),
            (".git/config", b"[core]\n"),
        ];
        for (name, bytes) in files {
            let path = root.join(name);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, bytes).unwrap();
        }
        fs::write(base.path().join("secret.txt"), SECRET).unwrap();
        // Symlinks need privileges on Windows: the tests that use them are Unix-only.
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(base.path().join("secret.txt"), root.join("link-out.txt"))
                .unwrap();
            std::os::unix::fs::symlink("hello.txt", root.join("link-in.txt")).unwrap();
        }
        Site { base }
    }

    pub fn root(&self) -> PathBuf {
        self.base.path().join("root")
    }

    /// Adds a file of `len` deterministic bytes; returns them.
    pub fn add_big(&self, name: &str, len: usize) -> Vec<u8> {
        let data = pattern(len);
        fs::write(self.root().join(name), &data).unwrap();
        data
    }
}

/// Deterministic non-repeating-looking bytes, so an offset error cannot go unnoticed.
pub fn pattern(len: usize) -> Vec<u8> {
    let mut rng = XorShift(0x1234_5678);
    (0..len).map(|_| rng.next() as u8).collect()
}

/// A seeded xorshift generator: randomized tests are re-runnable from their seed.
pub struct XorShift(pub u64);

impl XorShift {
    /// Seeded from `SERVEDIR_SEED` when set, else from `default`; the seed is printed
    /// either way, so a failure can be replayed with `SERVEDIR_SEED=<seed>`.
    pub fn seeded(default: u64) -> XorShift {
        let seed = std::env::var("SERVEDIR_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(default);
        println!("seed {seed} (re-run with SERVEDIR_SEED={seed})");
        XorShift(seed | 1)
    }

    /// The unit tests' generator: a fixed seed unless `SERVEDIR_SEED` says otherwise.
    pub fn from_env() -> XorShift {
        XorShift::seeded(0x5EED_2026)
    }

    /// A generator seeded from the clock unless `SERVEDIR_SEED` says otherwise, so that
    /// every run of a hostile-client test tries new cases.
    pub fn from_clock() -> XorShift {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64);
        XorShift::seeded(now)
    }

    /// The next number of the sequence.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// True once in `one_in` times, on average.
    pub fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }

    /// One of `items`.
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}
