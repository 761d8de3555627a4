//! The clock as a request sees it: read once per request (issue 17).
//!
//! A clock read costs ~50 ns here (a VM), and a keep-alive request used to make five: its
//! deadlines, the `Date` field, the log line, the file cache's age check. Now a
//! connection reads the clock once when a request's head is complete ([`tick`]); what
//! needs no better than "when this request was read" takes that reading ([`recent`]),
//! and wall-clock seconds (`Date`, the access log) are derived from it ([`unix_secs`]),
//! against a wall-clock reading this thread refreshes once a second, so a change of the
//! system time shows within a second. Deadlines are read off the clock only when a wait
//! needs one (`connection/reading.rs`).
//!
//! Per thread: a request is served on one thread from start to end, in both modes.

use std::cell::Cell;
use std::time::{Duration, Instant, SystemTime};

/// How long a wall-clock reading is extrapolated from before it is read again.
const WALL_REFRESH: Duration = Duration::from_secs(1);

thread_local! {
    /// The current request's reading, if this thread serves one.
    static REQUEST: Cell<Option<Instant>> = const { Cell::new(None) };
    /// A monotonic reading and the wall-clock time (since the Unix epoch) at it.
    static WALL: Cell<Option<(Instant, Duration)>> = const { Cell::new(None) };
}

/// Reads the clock for a request starting on this thread, and returns the reading.
pub(crate) fn tick() -> Instant {
    let now = Instant::now();
    REQUEST.set(Some(now));
    now
}

/// The current request's reading ([`tick`]), or the clock itself on a thread that never
/// ticked: for checks that need no better than "when this request was read".
pub(crate) fn recent() -> Instant {
    REQUEST.get().unwrap_or_else(Instant::now)
}

/// Whole seconds since the Unix epoch at `at` (0 before it), from this thread's
/// wall-clock reading when that is under a second old, else from a new one.
pub(crate) fn unix_secs(at: Instant) -> u64 {
    let fresh = WALL
        .get()
        .filter(|(mono, _)| at >= *mono && at - *mono < WALL_REFRESH);
    let (mono, wall) = fresh.unwrap_or_else(|| {
        let pair = (
            Instant::now(),
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default(),
        );
        WALL.set(Some(pair));
        pair
    });
    match at.checked_duration_since(mono) {
        Some(after) => wall + after,
        None => wall.saturating_sub(mono - at),
    }
    .as_secs()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_follow_the_wall_clock_within_a_second() {
        let wall = || {
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_secs()
        };
        let before = wall();
        let now = tick();
        assert_eq!(recent(), now);
        let derived = unix_secs(now);
        assert!(
            derived >= before && derived <= wall(),
            "{derived} vs {before}"
        );
        // Extrapolated from the same reading later on, then read again after a second.
        let later = now + Duration::from_millis(700);
        assert!(unix_secs(later) - derived <= 1);
        let much_later = now + Duration::from_secs(5);
        let secs = unix_secs(much_later);
        assert!(secs >= wall() + 4 && secs <= wall() + 5, "{secs}");
        // An instant before the reading: read again, and counted back from it.
        assert!(unix_secs(now).abs_diff(wall()) <= 1);
    }

    #[test]
    fn a_thread_that_never_ticked_reads_the_clock() {
        std::thread::spawn(|| {
            let a = recent();
            std::thread::sleep(Duration::from_millis(5));
            assert!(recent() > a);
        })
        .join()
        .unwrap();
    }
}
