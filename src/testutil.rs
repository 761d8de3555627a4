//! Test support shared by the unit tests: the one copy of the integration tests'
//! fixtures (temp directories, the standard site, deterministic bytes, the seeded
//! generator), included from `tests/it/fixture.rs` so both kinds of test use the same;
//! and the listing entries and policies several unit tests build.

#[path = "../tests/it/fixture.rs"]
mod fixture;

pub(crate) use fixture::{Site, TempDir, XorShift, SECRET};

use crate::respond::listing::Entry;
use crate::respond::policy::Policy;

/// A file as a listing shows it.
pub(crate) fn file_entry(name: &str, size: u64, mtime: Option<u64>) -> Entry {
    Entry {
        name: name.to_owned(),
        is_dir: false,
        size,
        mtime,
    }
}

/// A directory as a listing shows it.
pub(crate) fn dir_entry(name: &str) -> Entry {
    Entry {
        name: name.to_owned(),
        is_dir: true,
        size: 0,
        mtime: None,
    }
}

/// The default policy: no dot-names, no links out of the root.
pub(crate) const STRICT: Policy = Policy {
    hidden: false,
    follow_symlinks: false,
};
/// Links out of the root followed; dot-names still private.
pub(crate) const FOLLOW: Policy = Policy {
    hidden: false,
    follow_symlinks: true,
};
/// Everything allowed.
pub(crate) const OPEN: Policy = Policy {
    hidden: true,
    follow_symlinks: true,
};
