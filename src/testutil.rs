//! Test support shared by the unit tests: the one copy of the integration tests'
//! fixtures (temp directories, the standard site, deterministic bytes, the seeded
//! generator), included from `tests/it/fixture.rs` so both kinds of test use the same.

#[path = "../tests/it/fixture.rs"]
mod fixture;

pub(crate) use fixture::{Site, TempDir, XorShift, SECRET};
