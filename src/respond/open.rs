//! Opening what resolution found, so that what is read is what the policy allows.
//!
//! `resolve.rs` checks names before anything is opened, but a name checked is not a name
//! opened: someone who can write below the root can swap a checked file or directory for
//! a symlink (or a FIFO) between the check and the `open`. So the object is verified
//! *after* it is opened, through its descriptor: it must be of the expected type, and its
//! real path must be one the policy allows ([`allowed`]). It decides nothing else.
//!
//! # Platform-specific behavior
//! On Linux the real path of an open descriptor is read from `/proc/self/fd/N`, and a
//! directory is read through that same link, so the verification has no window at all.
//! Where that is not available (no `/proc` mounted, other platforms), the path is looked up
//! again after opening and must still lead, by the policy's rules, to the very object that
//! was opened (same device and inode): a swap must then happen twice, in step with two
//! lookups, to succeed.

use std::fs::{self, File, Metadata};
use std::io;
use std::path::{Path, PathBuf};

use crate::errors::is_missing;
use crate::platform::{descriptor_path, read_without_blocking, same_object};
use crate::respond::policy::{allowed, Policy};
use crate::respond::resolve::stat_allowed;

/// A directory opened and verified, to be read through [`OpenDir::path`].
#[derive(Debug)]
pub struct OpenDir {
    /// Held open so that `path` keeps naming it (on Linux, `/proc/self/fd/N`).
    _dir: File,
    path: PathBuf,
    meta: Metadata,
    /// Where the platform cannot identify an object by its metadata (Windows): the real
    /// path the directory had when it was verified, which identifies it instead.
    real: Option<PathBuf>,
}

impl OpenDir {
    /// A path that names the verified directory: on Linux its descriptor's link, which
    /// cannot be swapped; elsewhere the path it was opened by.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether `dir` (the path it was opened by) still names this directory; always true
    /// where it is read through its descriptor. Elsewhere by device and inode (Unix), or
    /// where there are none (Windows), by its real path: a directory's times change with
    /// every entry added, so they cannot tell it apart from another (a listing of a
    /// folder being written to answered 404 under Wine).
    pub fn still_at(&self, dir: &Path, root: &Path, policy: Policy) -> bool {
        if self.path != dir {
            return true;
        }
        let found = stat_allowed(dir, root, policy).ok().flatten();
        match &self.real {
            None => is_same(&found, &self.meta),
            Some(real) => {
                found.is_some_and(|m| m.is_dir())
                    && crate::platform::canonicalize(dir).is_ok_and(|now| now == *real)
            }
        }
    }
}

/// Opens the regular file at `path` (below the canonical `root`), without blocking, and
/// verifies it. `None` when it is gone, not a regular file, or not allowed.
///
/// # Errors
/// Opening or verifying failed for another reason (e.g. permission denied).
pub fn file(path: &Path, root: &Path, policy: Policy) -> io::Result<Option<(File, Metadata)>> {
    let Some((file, meta)) = open(path)? else {
        return Ok(None);
    };
    if !meta.is_file() || verify(&file, &meta, path, root, policy)? == Verified::No {
        return Ok(None);
    }
    Ok(Some((file, meta)))
}

/// Opens the directory at `path` (below the canonical `root`) and verifies it, for a
/// listing. `None` when it is gone, not a directory, or not allowed.
///
/// # Errors
/// Opening or verifying failed for another reason (e.g. permission denied).
pub fn dir(path: &Path, root: &Path, policy: Policy) -> io::Result<Option<OpenDir>> {
    let Some((dir, meta)) = open(path)? else {
        return Ok(None);
    };
    if !meta.is_dir() {
        return Ok(None);
    }
    let (path, real) = match verify(&dir, &meta, path, root, policy)? {
        Verified::No => return Ok(None),
        Verified::ByDescriptor(link) => (link, None),
        Verified::ByPath if crate::platform::METADATA_IDENTIFIES_OBJECTS => {
            (path.to_path_buf(), None)
        }
        Verified::ByPath => match crate::platform::canonicalize(path) {
            Ok(real) => (path.to_path_buf(), Some(real)),
            Err(_) => return Ok(None),
        },
    };
    Ok(Some(OpenDir {
        _dir: dir,
        path,
        meta,
        real,
    }))
}

/// Opens `path` for reading without blocking; `None` when there is nothing there.
fn open(path: &Path) -> io::Result<Option<(File, Metadata)>> {
    let file = match read_without_blocking().open(path) {
        Ok(file) => file,
        Err(e) if is_missing(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    let meta = file.metadata()?;
    Ok(Some((file, meta)))
}

/// The outcome of [`verify`].
#[derive(Debug, PartialEq, Eq)]
enum Verified {
    /// Not what the policy allows (or no longer where it was looked up).
    No,
    /// Allowed, checked through this link to the descriptor, which names it for good.
    ByDescriptor(PathBuf),
    /// Allowed, checked by looking its path up again.
    ByPath,
}

/// Whether the opened object is one the policy allows at its real path.
fn verify(
    file: &File,
    meta: &Metadata,
    path: &Path,
    root: &Path,
    policy: Policy,
) -> io::Result<Verified> {
    if let Some(link) = descriptor_path(file) {
        if let Ok(real) = fs::read_link(&link) {
            // A file deleted since it was opened reads as "PATH (deleted)": still where
            // it was, and still what was opened.
            let ok = real.is_absolute() && allowed(&real, root, policy);
            return Ok(if ok {
                Verified::ByDescriptor(link)
            } else {
                Verified::No
            });
        }
    }
    by_path(meta, path, root, policy)
}

/// No descriptor path: what `path` leads to now, by the rules, must be what was opened,
/// and the real path it leads to must be allowed too. The second check is the one that
/// sees through aliases the file system makes itself: on Windows (and SMB) a short name
/// such as Wine's `_GIT~IBP` opens `.git`, and only the real path, with its long names
/// (`GetFinalPathNameByHandleW`, through `canonicalize`), shows the dot-name.
fn by_path(opened: &Metadata, path: &Path, root: &Path, policy: Policy) -> io::Result<Verified> {
    let same = is_same(&stat_allowed(path, root, policy)?, opened);
    let real_allowed =
        || crate::platform::canonicalize(path).is_ok_and(|real| allowed(&real, root, policy));
    Ok(if same && real_allowed() {
        Verified::ByPath
    } else {
        Verified::No
    })
}

fn is_same(found: &Option<Metadata>, opened: &Metadata) -> bool {
    found.as_ref().is_some_and(|m| same_object(m, opened))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::TempDir;
    #[cfg(unix)]
    use std::os::unix::fs::symlink;
    #[cfg(unix)]
    use std::sync::mpsc;
    #[cfg(unix)]
    use std::time::Duration;

    use crate::testutil::STRICT;
    #[cfg(unix)]
    use crate::testutil::{FOLLOW, OPEN};

    /// A root with `a.txt`, `.env`, a secret beside it and (Unix) links of every kind.
    fn site() -> (TempDir, PathBuf) {
        let base = TempDir::new("open");
        let root = base.path().join("root");
        fs::create_dir_all(root.join("dir")).unwrap();
        fs::create_dir_all(base.path().join("outside/.ssh")).unwrap();
        fs::write(root.join("a.txt"), "inside").unwrap();
        fs::write(root.join(".env"), "hidden").unwrap();
        fs::write(base.path().join("secret.txt"), "SECRET").unwrap();
        fs::write(base.path().join("outside/.ssh/id_rsa"), "KEY").unwrap();
        // Symlinks: Unix only (Windows needs a privilege; under Wine one reads as a file).
        #[cfg(unix)]
        {
            symlink("../secret.txt", root.join("out-link")).unwrap();
            symlink("..", root.join("up")).unwrap();
            symlink(".env", root.join("env-link")).unwrap();
            symlink("a.txt", root.join("in-link")).unwrap();
            symlink("../outside/.ssh", root.join("keys")).unwrap();
        }
        let root = crate::platform::canonicalize(root).unwrap();
        (base, root)
    }

    fn read(path: &Path, root: &Path, policy: Policy) -> Option<String> {
        let (file, _) = file(path, root, policy).unwrap()?;
        Some(io::read_to_string(file).unwrap())
    }

    #[test]
    fn what_is_opened_is_checked_where_it_really_is() {
        let (_base, root) = site();
        // Each of these paths is opened as it is, as if a swap had beaten the lookup.
        assert_eq!(
            read(&root.join("a.txt"), &root, STRICT).as_deref(),
            Some("inside")
        );
        assert_eq!(read(&root.join("missing"), &root, STRICT), None);
        assert_eq!(read(&root.join("dir"), &root, STRICT), None, "not a file");
        // Through symlinks: Unix only.
        #[cfg(unix)]
        {
            assert_eq!(
                read(&root.join("in-link"), &root, STRICT).as_deref(),
                Some("inside")
            );
            assert_eq!(read(&root.join("out-link"), &root, STRICT), None);
            assert_eq!(read(&root.join("up/secret.txt"), &root, STRICT), None);
            assert_eq!(read(&root.join("env-link"), &root, STRICT), None);
            assert_eq!(read(&root.join("keys/id_rsa"), &root, FOLLOW), None);
            assert_eq!(
                read(&root.join("out-link"), &root, FOLLOW).as_deref(),
                Some("SECRET")
            );
            assert_eq!(
                read(&root.join("keys/id_rsa"), &root, OPEN).as_deref(),
                Some("KEY")
            );
        }
    }

    #[test]
    fn directories_are_verified_and_read_through_what_was_opened() {
        let (_base, root) = site();
        let opened = dir(&root.join("dir"), &root, STRICT).unwrap().unwrap();
        fs::write(root.join("dir/x"), "").unwrap();
        let names: Vec<_> = fs::read_dir(opened.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["x"]);
        assert!(dir(&root.join("a.txt"), &root, STRICT).unwrap().is_none());
        // Through symlinks: Unix only.
        #[cfg(unix)]
        {
            assert!(dir(&root.join("up"), &root, STRICT).unwrap().is_none());
            assert!(dir(&root.join("up"), &root, FOLLOW).unwrap().is_some());
            assert!(dir(&root.join("keys"), &root, FOLLOW).unwrap().is_none());
        }
        #[cfg(target_os = "linux")]
        {
            // Swapped after opening: the listing still reads what was verified.
            fs::rename(root.join("dir"), root.join("moved")).unwrap();
            symlink("..", root.join("dir")).unwrap();
            let names: Vec<_> = fs::read_dir(opened.path())
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            assert_eq!(names, ["x"]);
        }
    }

    /// A directory that gains an entry while it is read is still the one at its path.
    /// Found splitting these tests for Windows: there `same_object` compared the
    /// modification time, which the new entry moves, so a listing of a directory being
    /// written to answered 404; a directory is now identified by its real path there.
    /// (On Linux it is read through its descriptor, and `still_at` is true by design.)
    #[test]
    fn a_directory_that_changes_after_opening_is_still_at_its_path() {
        let (_base, root) = site();
        let opened = dir(&root.join("dir"), &root, STRICT).unwrap().unwrap();
        fs::write(root.join("dir/x"), "").unwrap();
        assert!(opened.still_at(&root.join("dir"), &root, STRICT));
    }

    /// The check used where no descriptor path exists (Windows, macOS, Linux without
    /// `/proc`).
    #[test]
    fn without_a_descriptor_path_the_name_must_still_lead_to_what_was_opened() {
        let (_base, root) = site();
        let a = root.join("a.txt");
        let (_file, meta) = open(&a).unwrap().unwrap();
        assert_eq!(by_path(&meta, &a, &root, STRICT).unwrap(), Verified::ByPath);
        // Through symlinks: Unix only.
        #[cfg(unix)]
        {
            let (_link, via_link) = open(&root.join("in-link")).unwrap().unwrap();
            let in_link = root.join("in-link");
            assert_eq!(
                by_path(&via_link, &in_link, &root, STRICT).unwrap(),
                Verified::ByPath
            );
            // Opened through a swapped-in link out of the root: the name now leads
            // elsewhere (or nowhere allowed), so what was opened is refused.
            let (_secret, secret) = open(&root.join("out-link")).unwrap().unwrap();
            let out = root.join("out-link");
            assert_eq!(by_path(&secret, &out, &root, STRICT).unwrap(), Verified::No);
            assert_eq!(by_path(&secret, &a, &root, STRICT).unwrap(), Verified::No);
        }
    }

    // FIFOs, and a device reached through a symlink: Unix only.
    #[cfg(unix)]
    #[test]
    fn fifos_and_devices_are_refused_without_blocking() {
        let (_base, root) = site();
        let fifo = root.join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(
            made.is_ok_and(|s| s.success()),
            "mkfifo is needed for this test"
        );
        symlink("/dev/null", root.join("null")).unwrap();
        let (tx, rx) = mpsc::channel();
        let root2 = root.clone();
        std::thread::spawn(move || {
            let results = (
                file(&root2.join("pipe"), &root2, OPEN).map(|o| o.is_none()),
                file(&root2.join("null"), &root2, OPEN).map(|o| o.is_none()),
            );
            let _ = tx.send(results);
        });
        // A blocking open of a FIFO with no writer would never return.
        let (pipe, null) = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("opening a FIFO blocked");
        assert!(pipe.unwrap(), "a FIFO is not a file");
        assert!(null.unwrap(), "a device is not a file");
    }
}
