//! `Context`: what every connection of one server shares, derived once from `Config`.
//!
//! Plain data computed at start-up (canonical root, lookup rules, the fields every
//! response carries), so the per-request path does no configuration work.

use std::borrow::Cow;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::Config;
use crate::fault::control::Faults;
use crate::fault::state::FaultSet;
use crate::log::Throttle;
use crate::respond::filecache::FileCache;
use crate::respond::method::CORS_FIELDS;
use crate::respond::policy::Policy;
use crate::respond::resolve::Rules;

/// The target that panics when test hooks are on.
pub const PANIC_PATH: &str = "/__servedir_test_panic__";

/// What every connection of one server shares.
#[derive(Debug, Clone)]
pub struct Context {
    /// The configuration the server was started with.
    pub config: Config,
    /// The root, canonicalized once at start-up.
    pub root: PathBuf,
    /// The configured root made absolute, when a symlink on it made it differ from `root`:
    /// each request then follows it anew (see [`Context::current_root`]).
    root_link: Option<PathBuf>,
    /// How targets are looked up below the root: policy, index file, listings.
    pub rules: Rules,
    /// Fields sent on every response: `Config::headers`, then CORS and cross-origin
    /// isolation fields when those are on.
    pub headers: Vec<(String, String)>,
    /// Small, settled files kept in memory (see `filecache.rs`).
    pub(crate) files: Arc<FileCache>,
    /// Why requests were refused as malformed, for the operator: one stderr line a second
    /// at most for this server's connections, however many clients send garbage. Each
    /// server has its own (a process-wide one was shared by two embedded servers).
    pub(crate) defects: Arc<Throttle>,
    /// Debug builds only, with `SERVEDIR_TEST_HOOKS` set: a request for [`PANIC_PATH`]
    /// panics, so tests can prove a panic ends one connection and nothing else.
    pub(crate) test_hooks: bool,
    /// Where each request's fault rule comes from (`fault/state.rs`).
    pub(crate) faults: Faults,
}

impl Context {
    /// A context for `config`, whose root has already been canonicalized to `root` (or, if
    /// that failed, is the configured root made absolute: each request then fails to find
    /// it, and answers 404, until it exists).
    pub fn new(config: Config, root: PathBuf) -> Context {
        let test_hooks =
            cfg!(debug_assertions) && std::env::var_os("SERVEDIR_TEST_HOOKS").is_some();
        let rules = Rules {
            policy: Policy {
                hidden: config.hidden,
                follow_symlinks: config.follow_symlinks,
            },
            index: config.index.clone(),
            listing: config.listing,
        };
        let mut headers = config.headers.clone();
        // A field the user configured wins over the one a flag would add.
        let mut add = |name: &str, value: &str| {
            if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
                headers.push((name.to_owned(), value.to_owned()));
            }
        };
        if config.cors {
            for (name, value) in CORS_FIELDS {
                add(name, value);
            }
        }
        if config.coi {
            add("Cross-Origin-Opener-Policy", "same-origin");
            add("Cross-Origin-Embedder-Policy", "require-corp");
        }
        // `absolute` keeps symlinks (and `..`) as they are, so it differs from the
        // canonical root when resolving it took a link, a `..`, or (Windows) another
        // case or a short name: only a link makes it worth following per request.
        let config_faults = config.faults.clone();
        let root_link = std::path::absolute(&config.root)
            .ok()
            .filter(|configured| *configured != root && has_link(configured));
        Context {
            config,
            root,
            root_link,
            rules,
            headers,
            files: Arc::default(),
            defects: Arc::default(),
            test_hooks,
            faults: match &config_faults {
                Some(rules) => Faults::Local(Arc::new(FaultSet::new(rules.clone()))),
                None => Faults::Off,
            },
        }
    }
}

/// Whether `path` or a directory above it is a symbolic link (or a junction on Windows).
pub(crate) fn has_link(path: &Path) -> bool {
    path.ancestors().any(|p| {
        p.symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
    })
}

impl Context {
    /// The canonical root for one request. A root given through a symlink (`servedir
    /// current` with `current -> releases/41`) is followed on every request, so that
    /// re-pointing the link (`ln -sfn releases/42 current`) switches the site at once, as
    /// it does for nginx; a root with no symlink costs nothing here.
    ///
    /// # Errors
    /// The link no longer leads anywhere (for the caller to map: 404).
    pub(crate) fn current_root(&self) -> io::Result<Cow<'_, Path>> {
        match &self.root_link {
            None => Ok(Cow::Borrowed(&self.root)),
            Some(link) => crate::platform::canonicalize(link).map(Cow::Owned),
        }
    }

    /// Where the root leads now, when it was no symlink at start-up but has become one
    /// since (`mv site site.old; ln -s releases/42 site`); `None` otherwise.
    pub(crate) fn root_replaced_by_link(&self) -> Option<PathBuf> {
        if self.root_link.is_some() {
            return None;
        }
        let now = std::fs::symlink_metadata(&self.root).ok()?;
        now.is_symlink()
            .then(|| crate::platform::canonicalize(&self.root).ok())
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// Review finding: one process-wide throttle was shared by every server in the
    /// process, so one server's malformed requests silenced another's for a second.
    #[test]
    fn each_server_throttles_its_own_defect_reports() {
        let config = Config::default();
        let a = Context::new(config.clone(), config.root.clone());
        let b = Context::new(config.clone(), config.root.clone());
        let now = Instant::now();
        assert_eq!(a.defects.allow(now), Some(0));
        assert_eq!(a.defects.allow(now), None);
        assert_eq!(b.defects.allow(now), Some(0));
        // A clone is the same server: it shares the throttle.
        assert_eq!(a.clone().defects.allow(now), None);
    }
}
