//! The files one live page depends on, polled: std has no file-watching API, so each
//! [`Watch::poll`] looks at the metadata of a bounded set of paths (never a walk of the
//! tree: a 200,000-file `node_modules` costs nothing unless the page loaded from it).
//!
//! The set is what the page reported it loaded: for each URL path, the file it resolves
//! to now (or where it would be, if missing) and the directory holding it (for files
//! created, deleted or renamed there). Each poll goes through the same name rules as a
//! request (`resolve::stat_allowed`), so nothing outside what the root serves is watched.

use std::collections::hash_map::DefaultHasher;
use std::fs;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::http::mime;
use crate::http::target::Target;
use crate::platform::FileId;
use crate::respond::live::debounce::Change;
use crate::respond::policy::{is_hidden, Policy};
use crate::respond::resolve::{resolve, stat_allowed, Resolved, Rules};

/// Most paths (files and directories) one live page watches: each of [`MAX_URLS`] URLs
/// with its own directory.
pub(crate) const MAX_PROBES: usize = 512;
/// Most URL paths one live page may report (the request head bounds them too).
pub(crate) const MAX_URLS: usize = 256;
/// Most entries of one watched directory read to notice a new or vanished name; names
/// beyond are not seen (the directory's own time still is).
const MAX_DIR_ENTRIES: usize = 10_000;

/// What a poll remembers of one path: unchanged while this is equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Missing,
    /// A file: what the platform tells of it (Unix: inode and change time too, so a
    /// file renamed over it with the same length and modification time is seen).
    File(FileId),
    /// A directory: its time, and a fingerprint of the visible names in it.
    Dir(Option<SystemTime>, u64),
}

#[derive(Debug)]
struct Probe {
    path: PathBuf,
    /// For a stylesheet: its URL path, for a swap in place instead of a reload.
    css: Option<String>,
    /// What the name rules let a request see (the state changes are judged by).
    state: State,
    /// What one plain `stat` saw last: while it is the same, nothing is looked at again.
    raw: Option<FileId>,
}

/// The bounded set of paths one live page depends on.
#[derive(Debug)]
pub(crate) struct Watch {
    root: PathBuf,
    policy: Policy,
    probes: Vec<Probe>,
    /// A watched file changed after the page's script was served and before this watch
    /// began: the first poll reports it (a save while the page loaded was missed once).
    missed: bool,
}

impl Watch {
    /// The watch set for the URL paths a page reported (first [`MAX_URLS`]), below `root`
    /// and by `rules`, with every path's current state as the baseline. A file that
    /// changed after `since` (when the page's script was served, by this server's clock)
    /// and not after now is a change the first [`Watch::poll`] reports.
    pub(crate) fn new(
        root: &Path,
        rules: &Rules,
        urls: &[Target],
        since: Option<SystemTime>,
    ) -> Watch {
        let mut watch = Watch {
            root: root.to_owned(),
            policy: rules.policy,
            probes: Vec::new(),
            missed: false,
        };
        for target in urls.iter().take(MAX_URLS) {
            if !rules.policy.hidden && target.segments().any(is_hidden) {
                continue;
            }
            let mut at = root.to_path_buf();
            at.extend(target.segments());
            match resolve(root, target, rules) {
                Ok(Resolved::File { path, .. }) => {
                    let css = (mime::content_type(&path).starts_with("text/css"))
                        .then(|| target.encoded_path(false));
                    watch.add_parent(&path);
                    watch.add(path, css);
                }
                // A directory: its listing or index depends on the names in it.
                Ok(Resolved::Listing(dir)) => watch.add(dir, None),
                Ok(Resolved::Redirect(_)) => watch.add(at, None),
                // Missing (a 404 the page got, or an SPA route): it may appear.
                Ok(Resolved::NotFound) | Err(_) => {
                    watch.add_parent(&at);
                    watch.add(at, None);
                }
            }
        }
        watch.missed = since.is_some_and(|since| watch.changed_since(since, SystemTime::now()));
        watch
    }

    /// Whether a watched file last changed after `since` and not after `now` (a time in
    /// the future says nothing).
    fn changed_since(&self, since: SystemTime, now: SystemTime) -> bool {
        self.probes.iter().any(|p| match p.state {
            State::File(id) => id.last_change().is_some_and(|t| t > since && t <= now),
            _ => false,
        })
    }

    /// Adds the directory holding `path`, when it is below the root.
    fn add_parent(&mut self, path: &Path) {
        if let Some(dir) = path.parent().filter(|d| d.starts_with(&self.root)) {
            self.add(dir.to_owned(), None);
        }
    }

    fn add(&mut self, path: PathBuf, css: Option<String>) {
        if self.probes.iter().any(|p| p.path == path) {
            return;
        }
        // Each URL adds two paths at most, so this only guards the bound.
        if self.probes.len() >= MAX_PROBES {
            return;
        }
        let (state, raw) = (self.state(&path), raw(&path));
        self.probes.push(Probe {
            path,
            css,
            state,
            raw,
        });
    }

    /// How many paths are watched.
    pub(crate) fn len(&self) -> usize {
        self.probes.len()
    }

    /// Looks at every watched path once: what changed since the last look, if anything.
    ///
    /// One `stat` per path; only a path whose `stat` differs is looked at through the
    /// name rules, and a directory's names read (a poll of 10,000 unchanged paths that
    /// walked each path and read each directory cost a quarter of a core).
    pub(crate) fn poll(&mut self) -> Option<Change> {
        let mut change = std::mem::take(&mut self.missed).then_some(Change::Reload);
        for i in 0..self.probes.len() {
            let now_raw = raw(&self.probes[i].path);
            if now_raw == self.probes[i].raw {
                continue;
            }
            let now = self.state(&self.probes[i].path);
            let probe = &mut self.probes[i];
            probe.raw = now_raw;
            if now == probe.state {
                continue;
            }
            // A directory whose time moved but whose visible names did not (an editor's
            // swap file came and went) changes nothing a page can see.
            let seen = match (probe.state, now) {
                (State::Dir(_, a), State::Dir(_, b)) if a == b => None,
                _ => Some(match (&probe.css, now) {
                    (Some(url), State::File(..)) => Change::Css(vec![url.clone()]),
                    _ => Change::Reload,
                }),
            };
            probe.state = now;
            change = match (change, seen) {
                (Some(a), Some(b)) => Some(a.merge(b)),
                (a, b) => a.or(b),
            };
        }
        change
    }

    /// What `path` is now, by the same name rules as a request.
    fn state(&self, path: &Path) -> State {
        match stat_allowed(path, &self.root, self.policy) {
            Ok(Some(meta)) if meta.is_dir() => {
                State::Dir(meta.modified().ok(), fingerprint(path, self.policy))
            }
            Ok(Some(meta)) => State::File(FileId::of(&meta)),
            Ok(None) | Err(_) => State::Missing,
        }
    }
}

/// What a plain `stat` (following links) sees at `path`: it changes with any write,
/// rename, creation or deletion there, and with a link on the way re-pointed.
fn raw(path: &Path) -> Option<FileId> {
    fs::metadata(path).ok().map(|meta| FileId::of(&meta))
}

/// A fingerprint of the names in `dir` a page could load: not dot-names (unless served),
/// nor editors' temporary files (`x~`, `#x#`, `x.swp`, `x.tmp`). Independent of order.
fn fingerprint(dir: &Path, policy: Policy) -> u64 {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let mut sum = 0u64;
    for entry in entries.take(MAX_DIR_ENTRIES).flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if is_scratch(&name) || (!policy.hidden && is_hidden(&name)) {
            continue;
        }
        let mut h = DefaultHasher::new();
        name.hash(&mut h);
        sum = sum.wrapping_add(h.finish());
    }
    sum
}

/// An editor's temporary or backup file: its coming and going is no change to a page.
pub(crate) fn is_scratch(name: &str) -> bool {
    name.ends_with('~')
        || name.starts_with('#')
        || [".swp", ".swx", ".tmp"]
            .iter()
            .any(|ext| name.ends_with(ext))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::TempDir;

    fn rules(hidden: bool) -> Rules {
        Rules {
            policy: Policy {
                hidden,
                follow_symlinks: false,
            },
            index: "index.html".into(),
            listing: false,
        }
    }

    fn watch(root: &Path, urls: &[&str]) -> Watch {
        let urls: Vec<Target> = urls.iter().map(|u| Target::parse(u).unwrap()).collect();
        Watch::new(root, &rules(false), &urls, None)
    }

    /// A save between the script being served and the stream's start was missed once:
    /// the first poll now reports a file changed after `since` (and nothing else does).
    #[test]
    fn a_change_after_the_script_was_served_is_reported_at_once() {
        let dir = crate::testutil::TempDir::new("watch-since");
        let root = crate::platform::canonicalize(dir.path()).unwrap();
        fs::write(root.join("a.html"), "a").unwrap();
        let urls = [Target::parse("/a.html").unwrap()];
        let now = SystemTime::now();
        let before = now - std::time::Duration::from_secs(60);
        let mut missed = Watch::new(&root, &rules(false), &urls, Some(before));
        assert_eq!(missed.poll(), Some(Change::Reload));
        assert_eq!(missed.poll(), None, "reported once");
        let after = now + std::time::Duration::from_secs(60);
        let mut fresh = Watch::new(&root, &rules(false), &urls, Some(after));
        assert_eq!(fresh.poll(), None);
        // A file stamped in the future (a clock set wrong) says nothing about the window.
        fs::File::options()
            .write(true)
            .open(root.join("a.html"))
            .unwrap()
            .set_modified(now + std::time::Duration::from_secs(3600))
            .unwrap();
        let mut future = Watch::new(&root, &rules(false), &urls, Some(before));
        assert_eq!(future.poll(), None);
    }

    #[test]
    fn scratch_names() {
        for (name, scratch) in [
            ("a.css~", true),
            ("#a.css#", true),
            (".a.css.swp", true),
            ("a.tmp", true),
            ("a.css", false),
            ("swp", false),
            ("index.html", false),
        ] {
            assert_eq!(is_scratch(name), scratch, "{name}");
        }
    }

    /// Each kind of change, one at a time: CSS swaps, everything else reloads, and a
    /// swap file or a dot-name coming and going is nothing.
    #[test]
    fn what_each_change_means() {
        let dir = TempDir::new("live-watch");
        let root = crate::platform::canonicalize(dir.path()).unwrap();
        fs::create_dir(root.join("css")).unwrap();
        fs::write(root.join("index.html"), "<p>").unwrap();
        fs::write(root.join("css/a.css"), "p{}").unwrap();
        let mut w = watch(&root, &["/", "/css/a.css", "/new.js", "/.secret"]);
        // index.html, root, css/a.css, css/, new.js (missing); never the dot-name.
        assert_eq!(w.len(), 5, "{w:?}");
        assert_eq!(w.poll(), None);
        fs::write(root.join("css/a.css"), "p{color:red}").unwrap();
        assert_eq!(w.poll(), Some(Change::Css(vec!["/css/a.css".into()])));
        assert_eq!(w.poll(), None);
        fs::write(root.join("css/.a.css.swp"), "x").unwrap();
        fs::write(root.join(".secret"), "x").unwrap();
        assert_eq!(w.poll(), None, "scratch and hidden names are no change");
        fs::write(root.join("new.js"), "x").unwrap();
        assert_eq!(
            w.poll(),
            Some(Change::Reload),
            "a file the page missed appeared"
        );
        fs::rename(root.join("css/a.css"), root.join("css/b.css")).unwrap();
        assert_eq!(w.poll(), Some(Change::Reload), "a stylesheet vanished");
        fs::write(root.join("index.html"), "<p>changed").unwrap();
        assert_eq!(w.poll(), Some(Change::Reload));
    }

    /// The bound: however many paths a page reports, at most MAX_PROBES are watched.
    #[test]
    fn the_watch_set_is_bounded() {
        let dir = TempDir::new("live-bound");
        let root = crate::platform::canonicalize(dir.path()).unwrap();
        let urls: Vec<String> = (0..2 * MAX_URLS).map(|i| format!("/d{i}/f.css")).collect();
        let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
        let w = watch(&root, &urls);
        assert_eq!(w.len(), MAX_PROBES, "URLs past MAX_URLS are not looked at");
        let w = watch(&root, &urls[..10]);
        assert_eq!(w.len(), 20);
    }
}
