//! `Throttle`: lets a repeated diagnostic through at most once a [`REPORT_INTERVAL`],
//! counting the ones it holds back.
//!
//! Only the decision and the count; `Throttle::report` (in `mod.rs`) writes the line.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How often a repeated report gets through: one [`Throttle`] line, one count of dropped
/// log lines (`queue.rs`), and the per-second window of the diagnostic budget.
pub(crate) const REPORT_INTERVAL: Duration = Duration::from_secs(1);

/// Reports a failure that can repeat for every connection (out of file descriptors on
/// accept, no memory for a thread, a flood of malformed requests) at most once a
/// [`REPORT_INTERVAL`], so a flood of them cannot flood stderr; the next line says how
/// many were left out. Each throttle counts on its own, before [`warn`]'s global budget.
#[derive(Debug, Default)]
pub(crate) struct Throttle {
    /// When a line was last written, and how many were left out since.
    state: Mutex<(Option<Instant>, u64)>,
}

impl Throttle {
    /// Whether a line may be written at `now`: `Some(lines left out before it)`.
    pub(crate) fn allow(&self, now: Instant) -> Option<u64> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let (last, left_out) = &mut *state;
        if last.is_some_and(|t| now.saturating_duration_since(t) < REPORT_INTERVAL) {
            *left_out += 1;
            return None;
        }
        *last = Some(now);
        Some(std::mem::take(left_out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_failures_are_reported_once_a_second_with_a_count() {
        let throttle = Throttle::default();
        let t0 = Instant::now();
        assert_eq!(throttle.allow(t0), Some(0));
        assert_eq!(throttle.allow(t0), None);
        assert_eq!(throttle.allow(t0 + Duration::from_millis(999)), None);
        assert_eq!(throttle.allow(t0 + REPORT_INTERVAL), Some(2));
        assert_eq!(throttle.allow(t0 + REPORT_INTERVAL), None);
        assert_eq!(throttle.allow(t0 + 5 * REPORT_INTERVAL), Some(1));
    }
}
