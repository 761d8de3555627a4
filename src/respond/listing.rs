//! Reading a directory for its listing: the first entries in listing order, bounded in
//! memory, from a directory verified through what was opened (`open.rs`).
//!
//! It applies the same rules as `resolve.rs` (hidden names, symlinks out of the root,
//! non-regular files), so it lists only what a request could fetch. It renders nothing:
//! `page.rs` makes the page of what this reads.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fs;
use std::io;
use std::path::Path;

use crate::http::date::unix_secs;
use crate::respond::policy::Policy;

/// One directory entry as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The file name: UTF-8, never containing `/` or NUL.
    pub name: String,
    /// A directory (or a symlink to one); listed with a trailing `/`.
    pub is_dir: bool,
    /// The size in bytes; 0 for directories.
    pub size: u64,
    /// The modification time in Unix seconds, if known and in 1970..=9999.
    pub mtime: Option<u64>,
}

/// At most this many entries are listed per directory (the first ones in listing order);
/// the page says how many more there are. With [`page::MAX_PAGE_BYTES`](crate::respond::page::MAX_PAGE_BYTES) this bounds what one
/// listing costs, however large the directory (issue 12 item 6: a 20,000-entry page held
/// twice per slow reader took the server to hundreds of MB).
pub const MAX_ENTRIES: usize = 1000;

/// What a directory listing shows: the first entries in listing order, and how many more
/// there are.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Listing {
    /// At most [`MAX_ENTRIES`] entries, sorted (see [`read_entries`]).
    pub entries: Vec<Entry>,
    /// How many further listable entries were left out to keep the listing bounded.
    pub omitted: u64,
}

/// Reads `dir` (already known to be a directory below the canonical `root`): the first
/// [`MAX_ENTRIES`] entries sorted directories first, then by name (case-insensitive, ties
/// broken by exact bytes), and the count of the rest. Memory is O(`MAX_ENTRIES`) whatever
/// the directory holds: entries are kept in a bounded heap while the directory is read.
///
/// Omitted (and not counted): names that are not UTF-8 (they could not be requested),
/// names starting with `.` unless `policy.hidden`, entries whose metadata cannot be read,
/// non-regular non-directory entries (FIFOs, sockets, devices), and, unless
/// `policy.follow_symlinks`, symlinks whose canonical target is outside `root` (they
/// would be 404). Symlinks inside the root are listed as what they point to.
///
/// `dir` is opened and verified first (`open.rs`), then read through what was opened, so
/// a directory swapped for a symlink after the lookup is never listed: `None` then, as
/// when it is gone.
///
/// # Errors
/// Only from opening `dir` itself (for the caller to map to 403/404/500); a single entry
/// that cannot be read is left out instead.
pub fn read_entries(dir: &Path, root: &Path, policy: Policy) -> io::Result<Option<Listing>> {
    let Some(opened) = crate::respond::open::dir(dir, root, policy)? else {
        return Ok(None);
    };
    let mut first = FirstK::new(MAX_ENTRIES);
    for dirent in fs::read_dir(opened.path())? {
        let Ok(dirent) = dirent else { continue };
        let Ok(name) = dirent.file_name().into_string() else {
            continue;
        };
        if !policy.hidden && crate::respond::policy::is_hidden(&name) {
            continue;
        }
        let Ok(file_type) = dirent.file_type() else {
            continue;
        };
        let meta = if file_type.is_symlink() {
            // The very rules `resolve.rs` serves by, so the listing never links to a 404:
            // links out of the root or to dot-files, dangling links and loops are left out.
            match crate::respond::resolve::follow(&dirent.path(), root, policy) {
                Ok(Some(meta)) => Ok(meta),
                Ok(None) => continue,
                Err(e) => Err(e),
            }
        } else {
            // Not a symlink, so this lstat is the stat; `dir` itself is below the root.
            dirent.metadata()
        };
        let Ok(meta) = meta else { continue };
        let is_dir = meta.is_dir();
        if !is_dir && !meta.is_file() {
            // `resolve.rs` never serves FIFOs, sockets or devices: do not advertise them.
            continue;
        }
        first.offer(Entry {
            name,
            is_dir,
            size: if is_dir { 0 } else { meta.len() },
            mtime: meta.modified().ok().and_then(unix_secs),
        });
    }
    if !opened.still_at(dir, root, policy) {
        return Ok(None);
    }
    Ok(Some(first.finish()))
}

/// The first `k` entries in listing order of all those offered, in O(k) memory: a
/// max-heap whose top is the last entry kept, replaced whenever an earlier one arrives.
struct FirstK {
    k: usize,
    heap: BinaryHeap<InOrder>,
    omitted: u64,
}

impl FirstK {
    fn new(k: usize) -> FirstK {
        FirstK {
            k,
            // Grows with the directory, never past k: a small directory costs little.
            heap: BinaryHeap::new(),
            omitted: 0,
        }
    }

    fn offer(&mut self, entry: Entry) {
        let entry = InOrder(entry);
        if self.heap.len() < self.k {
            self.heap.push(entry);
            return;
        }
        self.omitted = self.omitted.saturating_add(1);
        if let Some(mut last) = self.heap.peek_mut() {
            if entry < *last {
                // The old last entry is the one left out now; PeekMut re-sifts on drop.
                *last = entry;
            }
        }
    }

    fn finish(self) -> Listing {
        Listing {
            entries: self
                .heap
                .into_sorted_vec()
                .into_iter()
                .map(|e| e.0)
                .collect(),
            omitted: self.omitted,
        }
    }
}

/// An entry ordered as listed, for the heap.
struct InOrder(Entry);

impl Ord for InOrder {
    fn cmp(&self, other: &Self) -> Ordering {
        compare(&self.0, &other.0)
    }
}

impl PartialOrd for InOrder {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for InOrder {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for InOrder {}

/// Directories first, then names ignoring case; exact bytes break ties so the order is
/// total and the same on every run (`README` and `readme` can both exist).
fn compare(a: &Entry, b: &Entry) -> Ordering {
    b.is_dir
        .cmp(&a.is_dir)
        .then_with(|| folded(&a.name).cmp(folded(&b.name)))
        .then_with(|| a.name.cmp(&b.name))
}

/// `s` lowercased char by char, compared lazily: no allocation per comparison.
fn folded(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars().flat_map(char::to_lowercase)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{dir_entry as dir, file_entry as file};

    #[test]
    fn sorting_directories_first_then_case_insensitive() {
        let mut entries = vec![
            file("b.txt", 1, None),
            dir("zeta"),
            file("README", 1, None),
            file("A.txt", 1, None),
            dir("Alpha"),
            file("readme", 1, None),
            file("Élan", 1, None),
            file("éclair", 1, None),
            dir("beta"),
        ];
        entries.sort_by(compare);
        let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            ["Alpha", "beta", "zeta", "A.txt", "b.txt", "README", "readme", "éclair", "Élan"]
        );
    }

    fn first_k(entries: &[Entry], k: usize) -> Listing {
        let mut first = FirstK::new(k);
        for e in entries {
            first.offer(e.clone());
        }
        first.finish()
    }

    /// Issue 12 item 6: the bounded selection keeps exactly what a full sort would put
    /// first, in the same order, and counts the rest, for any arrival order.
    #[test]
    fn first_k_keeps_the_first_entries_in_order_and_counts_the_rest() {
        let mut rng = crate::testutil::XorShift::from_env();
        let pieces = ["a", "B", "readme", "README", "é", "É", "z", "0", "_", " "];
        let mut all: Vec<Entry> = (0..300)
            .map(|i| {
                let name = format!("{}{}{i}", rng.pick(&pieces), rng.pick(&pieces));
                if rng.below(4) == 0 {
                    dir(&name)
                } else {
                    file(&name, i, None)
                }
            })
            .collect();
        all.extend([file("readme", 1, None), file("README", 1, None), dir("Z")]);
        let mut sorted = all.clone();
        sorted.sort_by(compare);
        for k in [0, 1, 2, 7, 100, all.len() - 1, all.len(), all.len() + 5] {
            for _ in 0..3 {
                // A new arrival order each round (Fisher-Yates).
                for i in (1..all.len()).rev() {
                    all.swap(i, rng.below(i as u64 + 1) as usize);
                }
                let got = first_k(&all, k);
                let shown = k.min(all.len());
                assert_eq!(got.entries, sorted[..shown], "k = {k}");
                assert_eq!(got.omitted, (all.len() - shown) as u64, "k = {k}");
            }
        }
        assert_eq!(first_k(&[], 5), Listing::default());
    }

    mod fs_tests {
        use super::super::*;
        #[cfg(unix)]
        use std::ffi::OsStr;
        #[cfg(unix)]
        use std::os::unix::ffi::OsStrExt;
        #[cfg(unix)]
        use std::os::unix::fs::symlink;
        use std::path::PathBuf;

        use crate::testutil::TempDir;

        /// base/secret.txt outside; base/root/ holding one of each kind of entry (the
        /// symlinks, the FIFO and the non-UTF-8 name on Unix only).
        fn temp_root(name: &str) -> (TempDir, PathBuf) {
            let guard = TempDir::new(name);
            let base = guard.path().to_path_buf();
            let root = base.join("root");
            fs::create_dir_all(root.join("sub")).unwrap();
            fs::create_dir_all(root.join(".git")).unwrap();
            fs::create_dir_all(base.join("outdir")).unwrap();
            fs::write(root.join("b.txt"), "12345").unwrap();
            fs::write(root.join("A.txt"), "").unwrap();
            fs::write(root.join(".env"), "secret").unwrap();
            fs::write(base.join("secret.txt"), "secret!").unwrap();
            // Symlinks, a FIFO, a name of bytes: Unix only.
            #[cfg(unix)]
            {
                symlink(base.join("secret.txt"), root.join("out-link")).unwrap();
                symlink(base.join("outdir"), root.join("out-dir")).unwrap();
                symlink("b.txt", root.join("in-link")).unwrap();
                symlink("sub", root.join("in-dir")).unwrap();
                symlink("missing", root.join("dangling")).unwrap();
                symlink("loop", root.join("loop")).unwrap();
                let status = std::process::Command::new("mkfifo")
                    .arg(root.join("pipe"))
                    .status();
                if !status.is_ok_and(|s| s.success()) {
                    panic!("mkfifo is needed for this test");
                }
                fs::write(root.join(OsStr::from_bytes(b"bad\xffname")), "x").unwrap();
            }
            let root = crate::platform::canonicalize(root).unwrap();
            (guard, root)
        }

        fn listed(root: &Path, policy: Policy) -> Vec<(String, bool, u64)> {
            read_entries(root, root, policy)
                .unwrap()
                .unwrap()
                .entries
                .into_iter()
                .map(|e| (e.name, e.is_dir, e.size))
                .collect()
        }

        fn owned(v: &[(&str, bool, u64)]) -> Vec<(String, bool, u64)> {
            v.iter().map(|&(n, d, s)| (n.to_owned(), d, s)).collect()
        }

        #[test]
        fn strict_policy_lists_only_what_could_be_served() {
            let (_guard, root) = temp_root("strict");
            assert_eq!(
                listed(&root, Policy::default()),
                owned(&[
                    #[cfg(unix)] // a symlink
                    ("in-dir", true, 0),
                    ("sub", true, 0),
                    ("A.txt", false, 0),
                    ("b.txt", false, 5),
                    #[cfg(unix)] // a symlink
                    ("in-link", false, 5),
                ])
            );
            let entries = read_entries(&root, &root, Policy::default())
                .unwrap()
                .unwrap()
                .entries;
            assert!(entries.iter().all(|e| e.mtime.is_some()), "{entries:?}");
        }

        #[test]
        fn policies_add_hidden_names_and_outside_symlinks() {
            let (_guard, root) = temp_root("policy");
            let hidden = Policy {
                hidden: true,
                follow_symlinks: false,
            };
            assert_eq!(
                listed(&root, hidden),
                owned(&[
                    (".git", true, 0),
                    #[cfg(unix)] // a symlink
                    ("in-dir", true, 0),
                    ("sub", true, 0),
                    (".env", false, 6),
                    ("A.txt", false, 0),
                    ("b.txt", false, 5),
                    #[cfg(unix)] // a symlink
                    ("in-link", false, 5),
                ])
            );
            let follow = Policy {
                hidden: false,
                follow_symlinks: true,
            };
            // Dangling links, loops, the FIFO and the non-UTF-8 name stay out regardless.
            assert_eq!(
                listed(&root, follow),
                owned(&[
                    #[cfg(unix)] // a symlink
                    ("in-dir", true, 0),
                    #[cfg(unix)] // a symlink
                    ("out-dir", true, 0),
                    ("sub", true, 0),
                    ("A.txt", false, 0),
                    ("b.txt", false, 5),
                    #[cfg(unix)] // a symlink
                    ("in-link", false, 5),
                    #[cfg(unix)] // a symlink
                    ("out-link", false, 7),
                ])
            );
        }

        // Symlinks: Unix only.
        #[cfg(unix)]
        #[test]
        fn listing_a_subdirectory_checks_symlinks_against_the_root() {
            let (_guard, root) = temp_root("subdir");
            let sub = root.join("sub");
            symlink("../b.txt", sub.join("up")).unwrap();
            symlink("../../secret.txt", sub.join("out")).unwrap();
            let names: Vec<String> = read_entries(&sub, &root, Policy::default())
                .unwrap()
                .unwrap()
                .entries
                .into_iter()
                .map(|e| e.name)
                .collect();
            assert_eq!(names, ["up"]);
        }

        #[test]
        fn a_missing_directory_or_one_that_is_not_allowed_is_none() {
            let (_guard, root) = temp_root("missing");
            let strict = Policy::default();
            assert!(read_entries(&root.join("nope"), &root, strict)
                .unwrap()
                .is_none());
            // A directory swapped for a link out of the root after the lookup: Unix only.
            #[cfg(unix)]
            {
                symlink("..", root.join("swapped")).unwrap();
                assert!(read_entries(&root.join("swapped"), &root, strict)
                    .unwrap()
                    .is_none());
            }
        }
    }
}
