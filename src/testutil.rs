//! Test support shared by the unit tests: the one copy of the integration tests'
//! fixtures (temp directories, the standard site, deterministic bytes, the seeded
//! generator), included from `tests/it/fixture.rs` so both kinds of test use the same;
//! the listing entries and policies several unit tests build; and the platform's time
//! resolution, for tests that step a time by the smallest amount.

#[path = "../tests/it/fixture.rs"]
mod fixture;

pub(crate) use fixture::{Site, TempDir, XorShift, SECRET};

use std::time::Duration;

use crate::respond::listing::Entry;
use crate::respond::policy::Policy;

/// The finest step a `SystemTime` takes on this platform: Windows counts file times in
/// 100 ns ticks (a nanosecond added to a time is lost); Unix keeps nanoseconds. Tests
/// that need two times to differ, or a time just before another, step by this.
pub(crate) const TIME_TICK: Duration = Duration::from_nanos(if cfg!(windows) { 100 } else { 1 });

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
