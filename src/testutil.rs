//! Test support shared by the unit tests of the pure modules: a seeded generator.

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

    pub(crate) fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}
