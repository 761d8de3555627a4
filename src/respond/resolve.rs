//! Clean path segments + root → a file to open, a redirect, a directory to list, or
//! nothing to serve: the lookup by name.
//!
//! It trusts `target.rs` for the shape of the segments and adds what only the filesystem
//! knows: directories, index files, symlinks that lead out of the root (by the rules of
//! `policy.rs`), non-regular files. It opens nothing: `open.rs` verifies what is opened.

use std::fs::{self, Metadata};
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::errors::is_missing;
use crate::http::target::Target;
use crate::inline::{self, spares, Spare};
use crate::respond::policy::{allowed, is_hidden, Policy};

/// What the filesystem says a target names.
#[derive(Debug)]
pub enum Resolved {
    /// A regular file, not opened yet: [`crate::respond::filecache::FileCache::open`] does that.
    File {
        /// Its metadata as the lookup saw it (following a permitted symlink).
        meta: Metadata,
        /// The path to open it by (also gives the Content-Type).
        path: PathBuf,
    },
    /// A directory requested without its trailing slash: redirect to this path.
    Redirect(String),
    /// A directory without an index file, to be listed (only with listings on).
    Listing(PathBuf),
    /// Nothing servable here: missing, hidden, a symlink out of the root, not a regular
    /// file, or a file requested with a trailing slash.
    NotFound,
}

/// How a server looks files up: the policy, the index file, directory listings.
#[derive(Debug, Clone)]
pub struct Rules {
    /// What may be served.
    pub policy: Policy,
    /// The file served for a directory requested with its slash.
    pub index: String,
    /// A directory without an index is listed rather than 404.
    pub listing: bool,
}

/// Resolves `target` below `root`, which must be canonical (absolute, no symlinks);
/// a directory requested with its slash serves its index file, or is listed.
///
/// # Errors
/// Filesystem errors other than "not there" are returned for the caller to map with
/// `Status::from_io_error` (permission denied → 403, others → 500).
pub fn resolve(root: &Path, target: &Target, rules: &Rules) -> io::Result<Resolved> {
    let policy = rules.policy;
    if !policy.hidden && target.segments().any(is_hidden) {
        return Ok(Resolved::NotFound);
    }
    let mut path: PathBuf = inline::take();
    path.push(root);
    path.extend(target.segments());
    let Some(meta) = stat_allowed(&path, root, policy)? else {
        return Ok(Resolved::NotFound);
    };
    if meta.is_dir() {
        if !target.trailing_slash {
            let mut location = target.encoded_path(true);
            if let Some(q) = &target.query {
                location.push('?');
                location.push_str(q);
            }
            return Ok(Resolved::Redirect(location));
        }
        let dir = path.clone();
        path.push(&rules.index);
        match stat_allowed(&path, root, policy)? {
            Some(m) if m.is_file() => return Ok(Resolved::File { meta: m, path }),
            _ if rules.listing => return Ok(Resolved::Listing(dir)),
            _ => return Ok(Resolved::NotFound),
        }
    }
    if !meta.is_file() || target.trailing_slash {
        // FIFOs, sockets and devices are never opened (a FIFO would block the thread);
        // `/file.txt/` names a directory that does not exist.
        return Ok(Resolved::NotFound);
    }
    Ok(Resolved::File { meta, path })
}

/// The longest path buffer a thread keeps for its next lookups.
const SPARE_PATH_MAX: usize = 4096;

impl Spare for PathBuf {
    spares!(PathBuf);
    fn reset(&mut self) -> bool {
        self.as_mut_os_string().clear();
        (1..=SPARE_PATH_MAX).contains(&self.capacity())
    }
}

/// Hands a path [`resolve`] or [`sidecar`] made, and that is no longer needed, back for
/// the next lookups on this thread (`inline::Spare`): a keep-alive request then builds
/// its paths in buffers already allocated.
pub(crate) fn give_back(path: PathBuf) {
    inline::give_back(path);
}

/// A precompressed sidecar (`FILE.br`, `FILE.gz`) that exists and may be served.
#[derive(Debug)]
pub struct Sidecar {
    /// Where it is.
    pub path: PathBuf,
    /// Its metadata as the lookup saw it.
    pub meta: Metadata,
}

/// Looks for `path` + `.ext` beside a file already resolved below `root`. It must be a
/// regular file and, unless symlinks may be followed, really lie below the root. Any
/// error means "no sidecar": the plain file is always a correct answer.
pub fn sidecar(root: &Path, path: &Path, ext: &str, policy: Policy) -> Option<Sidecar> {
    let mut candidate = inline::take::<PathBuf>().into_os_string();
    candidate.push(path);
    candidate.push(".");
    candidate.push(ext);
    let candidate = PathBuf::from(candidate);
    // One lstat in the common case: a plain file in a directory already checked.
    let found = fs::symlink_metadata(&candidate).ok().and_then(|meta| {
        if meta.is_symlink() {
            stat_allowed(&candidate, root, policy).ok()?
        } else {
            Some(meta)
        }
    });
    match found {
        Some(meta) if meta.is_file() => Some(Sidecar {
            path: candidate,
            meta,
        }),
        _ => {
            give_back(candidate);
            None
        }
    }
}

/// Metadata of `path` (following symlinks), or `None` when it does not exist, or when a
/// symlink on the way leads somewhere [`allowed`] refuses: out of the root (unless
/// symlinks may be followed), or to a path with a dot-name on it (unless hidden files may
/// be served): a link must not open what its target's own name would not.
///
/// This is a check of names, made before opening: `open.rs` verifies what was opened.
pub(crate) fn stat_allowed(
    path: &Path,
    root: &Path,
    policy: Policy,
) -> io::Result<Option<Metadata>> {
    match walk(path, root, policy) {
        Ok(meta) => Ok(Some(meta)),
        Err(e) if is_missing(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The common case, no symlink on the way, costs one lstat per component below the root
/// and no `realpath`; any symlink falls back to canonicalizing the whole path and
/// checking where it really leads.
///
/// The prefixes are `path`'s own ancestors, deepest first (the order does not matter:
/// every component is looked at, and a symlink anywhere sends the whole path to
/// [`follow`]); this runs for every request and allocates nothing.
fn walk(path: &Path, root: &Path, policy: Policy) -> io::Result<Metadata> {
    let rel = path
        .strip_prefix(root)
        .map_err(|_| io::Error::from(io::ErrorKind::NotFound))?;
    let mut below = 0;
    for component in rel.components() {
        match component {
            Component::Normal(_) => below += 1,
            Component::CurDir => {}
            // Targets never hold `..` (target.rs resolves it); refuse rather than climb.
            _ => return Err(io::ErrorKind::NotFound.into()),
        }
    }
    let mut deepest = None;
    for prefix in path.ancestors().take(below) {
        let meta = fs::symlink_metadata(prefix)?;
        if meta.is_symlink() {
            return follow(path, root, policy)?.ok_or_else(|| io::ErrorKind::NotFound.into());
        }
        deepest.get_or_insert(meta);
    }
    match deepest {
        Some(meta) => Ok(meta),
        None => fs::metadata(root),
    }
}

/// Metadata of where `path`, with a symlink on it, really leads, or `None` when
/// [`allowed`] refuses that place.
///
/// # Errors
/// The path leads nowhere (missing, a loop) or cannot be read.
pub(crate) fn follow(path: &Path, root: &Path, policy: Policy) -> io::Result<Option<Metadata>> {
    // The same spelling as the root's (`platform::canonicalize`), so that `allowed` can
    // compare the two.
    let real = crate::platform::canonicalize(path)?;
    if allowed(&real, root, policy) {
        fs::metadata(&real).map(Some)
    } else {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testutil::TempDir;

    fn temp_root(name: &str) -> (TempDir, PathBuf) {
        let guard = TempDir::new(name);
        let base = guard.path().to_path_buf();
        let root = base.join("root");
        fs::create_dir_all(root.join("dir/sub")).unwrap();
        fs::create_dir_all(root.join("noindex")).unwrap();
        fs::create_dir_all(root.join(".git")).unwrap();
        fs::write(root.join("a.txt"), "a").unwrap();
        fs::write(root.join("dir/index.html"), "index").unwrap();
        fs::write(root.join(".env"), "secret").unwrap();
        fs::write(root.join(".git/config"), "secret").unwrap();
        fs::create_dir_all(root.join(".well-known")).unwrap();
        fs::write(root.join(".well-known/security.txt"), "Contact: x").unwrap();
        fs::write(base.join("secret.txt"), "secret").unwrap();
        // Symlinks: Unix only (Windows needs a privilege; under Wine one reads as a file).
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(base.join("secret.txt"), root.join("out-link")).unwrap();
            std::os::unix::fs::symlink(&base, root.join("out-dir")).unwrap();
            std::os::unix::fs::symlink("a.txt", root.join("in-link")).unwrap();
            std::os::unix::fs::symlink("loop", root.join("loop")).unwrap();
            std::os::unix::fs::symlink(".env", root.join("env-link.txt")).unwrap();
            std::os::unix::fs::symlink(".git", root.join("git-link")).unwrap();
            fs::create_dir_all(base.join("outside/.ssh")).unwrap();
            fs::write(base.join("outside/.ssh/id_rsa"), "key").unwrap();
            fs::write(base.join("outside/.env"), "secret").unwrap();
            std::os::unix::fs::symlink(base.join("outside/.ssh"), root.join("keys")).unwrap();
            std::os::unix::fs::symlink(base.join("outside/.env"), root.join("env")).unwrap();
        }
        let root = crate::platform::canonicalize(root).unwrap();
        (guard, root)
    }

    fn run(root: &Path, raw: &str, policy: Policy) -> String {
        run_with(root, raw, policy, false)
    }

    fn run_with(root: &Path, raw: &str, policy: Policy, listing: bool) -> String {
        let target = Target::parse(raw).unwrap();
        let rules = Rules {
            policy,
            index: "index.html".into(),
            listing,
        };
        match resolve(root, &target, &rules) {
            Ok(Resolved::File { path, .. }) => format!("file {}", below(root, &path)),
            Ok(Resolved::Redirect(l)) => format!("redirect {l}"),
            Ok(Resolved::Listing(dir)) => format!("list {}", below(root, &dir)),
            Ok(Resolved::NotFound) => "404".into(),
            Err(e) => format!("error {:?}", e.kind()),
        }
    }

    /// `path` below `root`, its names joined by `/` whatever this platform's separator is
    /// (Windows displays `dir\\index.html`), so one table holds for every platform.
    fn below(root: &Path, path: &Path) -> String {
        let rel = path.strip_prefix(root).unwrap_or(path);
        let names: Vec<_> = rel.iter().map(|name| name.to_string_lossy()).collect();
        names.join("/")
    }

    /// `parts` appended to `root` as they are, each after a separator: `PathBuf::push`
    /// would drop `.` and resolve `..` itself under a verbatim Windows root (`\\?\C:\`,
    /// what `canonicalize` gives there), so the lookup would never see them.
    fn spelt(root: &Path, parts: &[&str]) -> PathBuf {
        let mut path = root.as_os_str().to_owned();
        for part in parts {
            path.push(std::path::MAIN_SEPARATOR_STR);
            path.push(part);
        }
        PathBuf::from(path)
    }

    #[test]
    fn table() {
        let (_guard, root) = temp_root("table");
        let strict = Policy::default();
        #[cfg_attr(not(unix), allow(unused_mut))]
        let mut table = vec![
            ("/a.txt", "file a.txt"),
            ("/a.txt/", "404"),
            ("/a.txt/x", "404"),
            ("/missing", "404"),
            ("/dir", "redirect /dir/"),
            ("/dir?x=1&y", "redirect /dir/?x=1&y"),
            ("/dir/", "file dir/index.html"),
            ("/dir/sub", "redirect /dir/sub/"),
            ("/dir/sub/", "404"),
            ("/noindex/", "404"),
            ("/", "404"),
            ("/.env", "404"),
            ("/.git/config", "404"),
            ("/.well-known/security.txt", "file .well-known/security.txt"),
            ("/dir/../.env", "404"),
            ("//dir", "redirect /dir/"),
            ("/%2e/dir", "redirect /dir/"),
        ];
        // Symlinks: Unix only.
        #[cfg(unix)]
        table.extend([
            ("/out-link", "404"),
            ("/out-dir/secret.txt", "404"),
            ("/out-dir", "404"),
            ("/in-link", "file in-link"),
            ("/loop", "404"),
            ("/env-link.txt", "404"),
            ("/git-link/config", "404"),
        ]);
        for (raw, want) in table {
            assert_eq!(run(&root, raw, strict), want, "{raw}");
        }
    }

    /// Issue 14 item 4: no Windows alias serves a dot-name or leaves the root. On Windows
    /// the cleaner refuses them; elsewhere each is a plain name, missing or hidden here.
    /// `GIT~1` and `.GIT` are made real, as a FAT or case-insensitive disk would show them.
    #[test]
    fn windows_aliases_serve_nothing_hidden_or_outside() {
        let (_guard, root) = temp_root("winalias");
        // Where the disk already has these names (NTFS short names, no case), they are
        // the very aliases under test and are left alone.
        for dir in ["GIT~1", ".GIT"] {
            if !root.join(dir).exists() {
                fs::create_dir(root.join(dir)).unwrap();
                fs::write(root.join(dir).join("config"), "secret").unwrap();
            }
        }
        if !root.join("ENV~1").exists() {
            fs::write(root.join("ENV~1"), "secret").unwrap();
        }
        let aliases = [
            "/..\\secret.txt",
            "/%5c..%5csecret.txt",
            "/C:/windows/win.ini",
            "/c:%5cwindows%5cwin.ini",
            "//host/share",
            "/%5c%5chost%5cshare",
            "/%5c%5c%3f%5cC:%5cx",
            "/%5c%5c.%5cCON",
            "/a.txt::$DATA",
            "/a.txt:stream",
            "/.env.",
            "/.env%20",
            "/.git./config",
            "/.GIT/config",
            "/.Env",
            "/GIT~1/config",
            "/git~1/config",
            "/ENV~1",
            "/CON",
            "/NUL",
            "/nul.txt",
            "/dir/CON",
            "/AUX",
            "/PRN",
            "/COM1",
            "/LPT9.txt",
            "/CONIN$",
            "/CONOUT$",
        ];
        let strict = Policy::default();
        let mut refused_by_the_cleaner = 0;
        for raw in aliases {
            let Ok(target) = Target::parse(raw) else {
                // 400 before any lookup: the Windows rules (`http::target::windows`).
                refused_by_the_cleaner += 1;
                continue;
            };
            assert_eq!(run(&root, raw, strict), "404", "{raw} as {target:?}");
        }
        // On Unix each is an ordinary name the lookup answers; on Windows the cleaner
        // refuses all but the dot-name case variants, short names and `//host/share`
        // (empty segments dropped): those six the lookup answers 404.
        let expected_refusals = if crate::platform::WINDOWS_FILE_NAMES {
            22
        } else {
            0
        };
        assert_eq!(refused_by_the_cleaner, expected_refusals);
        // With `--hidden` the short name is an ordinary name again.
        let hidden = Policy {
            hidden: true,
            follow_symlinks: false,
        };
        if Target::parse("/GIT~1/config").is_ok() {
            assert_eq!(run(&root, "/GIT~1/config", hidden), "file GIT~1/config");
        }
    }

    #[test]
    fn directories_without_index_are_listed_only_when_asked() {
        let (_guard, root) = temp_root("listing");
        let strict = Policy::default();
        assert_eq!(run_with(&root, "/noindex/", strict, true), "list noindex");
        assert_eq!(run_with(&root, "/", strict, true), "list ");
        assert_eq!(
            run_with(&root, "/dir/", strict, true),
            "file dir/index.html"
        );
        assert_eq!(
            run_with(&root, "/noindex", strict, true),
            "redirect /noindex/"
        );
        assert_eq!(run_with(&root, "/.git/", strict, true), "404");
        assert_eq!(run_with(&root, "/noindex/", strict, false), "404");
        // A symlink: Unix only.
        #[cfg(unix)]
        assert_eq!(run_with(&root, "/out-dir/", strict, true), "404");
    }

    #[test]
    fn policies_open_up_hidden_files_and_symlinks() {
        let (_guard, root) = temp_root("policy");
        let open = Policy {
            hidden: true,
            follow_symlinks: true,
        };
        assert_eq!(run(&root, "/.env", open), "file .env");
        let hidden_only = Policy {
            hidden: true,
            follow_symlinks: false,
        };
        assert_eq!(run(&root, "/.git/config", hidden_only), "file .git/config");
        // Symlinks: Unix only.
        #[cfg(unix)]
        {
            assert_eq!(run(&root, "/out-link", open), "file out-link");
            assert_eq!(
                run(&root, "/out-dir/secret.txt", open),
                "file out-dir/secret.txt"
            );
            assert_eq!(run(&root, "/env-link.txt", open), "file env-link.txt");
            // Issue 12 #2: following symlinks does not publish the dot-names they lead to.
            let follow_only = Policy {
                hidden: false,
                follow_symlinks: true,
            };
            assert_eq!(run(&root, "/keys/id_rsa", follow_only), "404");
            assert_eq!(run(&root, "/env", follow_only), "404");
            assert_eq!(run(&root, "/keys/id_rsa", open), "file keys/id_rsa");
            assert_eq!(run(&root, "/out-link", follow_only), "file out-link");
            assert_eq!(run(&root, "/out-link", hidden_only), "404");
        }
    }

    #[test]
    fn sidecars_follow_the_same_rules() {
        let (_guard, root) = temp_root("sidecar");
        fs::write(root.join("a.txt.gz"), "gz").unwrap();
        fs::create_dir(root.join("a.txt.br")).unwrap();
        let strict = Policy::default();
        let file = root.join("a.txt");
        assert!(sidecar(&root, &file, "gz", strict).is_some_and(|s| {
            crate::respond::filecache::FileCache::default()
                .open(&s.path, &s.meta, &root, strict)
                .is_ok_and(|opened| opened.is_some())
        }));
        assert!(
            sidecar(&root, &file, "br", strict).is_none(),
            "a directory is no sidecar"
        );
        assert!(sidecar(&root, &root.join("missing"), "gz", strict).is_none());
        // A symlink: Unix only.
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(
                root.parent().unwrap().join("secret.txt"),
                root.join("in-link.gz"),
            )
            .unwrap();
            let link_base = root.join("in-link");
            assert!(
                sidecar(&root, &link_base, "gz", strict).is_none(),
                "a symlink out of the root"
            );
            let open = Policy {
                hidden: false,
                follow_symlinks: true,
            };
            assert!(sidecar(&root, &link_base, "gz", open).is_some());
        }
    }

    #[test]
    fn lookups_stay_below_the_root_byte_for_byte() {
        let (_guard, root) = temp_root("walk");
        let strict = Policy::default();
        let found = |p: &Path, r: &Path| stat_allowed(p, r, strict).unwrap().map(|m| m.len());
        assert_eq!(found(&root.join("a.txt"), &root), Some(1));
        assert_eq!(found(&root.join("dir/index.html"), &root), Some(5));
        assert!(found(&root, &root).is_some_and(|_| fs::metadata(&root).unwrap().is_dir()));
        // A sibling whose name merely starts with the root's is not below it.
        let sibling = PathBuf::from(format!("{}-other/a.txt", root.display()));
        assert_eq!(found(&sibling, &root), None);
        assert_eq!(found(&spelt(&root, &["dir", "..", "a.txt"]), &root), None);
        assert_eq!(found(&root.join("./a.txt"), &root), Some(1));
        // The filesystem root as the served root (`/`; on Windows the drive, `\\?\C:\`).
        let top = root.ancestors().last().unwrap();
        assert_eq!(found(&root.join("a.txt"), top), Some(1));
        assert_eq!(found(&root.join("secret.txt"), &root), None);
    }

    // FIFOs: Unix only.
    #[cfg(unix)]
    #[test]
    fn fifos_are_never_opened() {
        let (_guard, root) = temp_root("fifo");
        let status = std::process::Command::new("mkfifo")
            .arg(root.join("pipe"))
            .status();
        if !status.is_ok_and(|s| s.success()) {
            panic!("mkfifo is needed for this test");
        }
        assert_eq!(run(&root, "/pipe", Policy::default()), "404");
        assert_eq!(
            run(
                &root,
                "/pipe",
                Policy {
                    hidden: true,
                    follow_symlinks: true
                }
            ),
            "404"
        );
    }
}
