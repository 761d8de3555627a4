//! What a live page is told after a burst of saves: [`Change`] (swap these stylesheets, or
//! reload), and [`Debounce`], which turns several changes in quick succession (an editor
//! writing a temp file, then renaming it over the page) into one event.
//!
//! Pure: the caller polls the files and passes the time in.

use std::time::{Duration, Instant};

/// What changed, as far as a page cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    /// Only these stylesheets (URL paths, percent-encoded): swap them in place.
    Css(Vec<String>),
    /// Anything else: reload the page.
    Reload,
}

impl Change {
    /// Both changes as one: a reload absorbs any stylesheet swap.
    pub(crate) fn merge(self, other: Change) -> Change {
        match (self, other) {
            (Change::Css(mut a), Change::Css(b)) => {
                for path in b {
                    if !a.contains(&path) {
                        a.push(path);
                    }
                }
                Change::Css(a)
            }
            _ => Change::Reload,
        }
    }

    /// The server-sent event for it (the paths hold no space or line break: they are
    /// percent-encoded).
    pub(crate) fn event(&self) -> String {
        match self {
            Change::Css(paths) => format!("event: css\ndata: {}\n\n", paths.join(" ")),
            Change::Reload => "event: reload\ndata: reload\n\n".to_owned(),
        }
    }
}

/// Holds changes until the files have been quiet for a while, then gives them as one.
#[derive(Debug)]
pub(crate) struct Debounce {
    quiet: Duration,
    pending: Option<(Change, Instant)>,
}

impl Debounce {
    /// A debouncer that fires once no change has been seen for `quiet`.
    pub(crate) fn new(quiet: Duration) -> Debounce {
        Debounce {
            quiet,
            pending: None,
        }
    }

    /// Records what one poll at `now` saw (`None`: nothing), and returns the change to
    /// announce, once the files have been quiet long enough since the last one.
    pub(crate) fn observe(&mut self, now: Instant, seen: Option<Change>) -> Option<Change> {
        if let Some(change) = seen {
            let merged = match self.pending.take() {
                Some((pending, _)) => pending.merge(change),
                None => change,
            };
            self.pending = Some((merged, now));
            return None;
        }
        match &self.pending {
            Some((_, last)) if now.saturating_duration_since(*last) >= self.quiet => {
                self.pending.take().map(|(change, _)| change)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn css(paths: &[&str]) -> Change {
        Change::Css(paths.iter().map(|p| p.to_string()).collect())
    }

    #[test]
    fn changes_merge() {
        for (a, b, want) in [
            (
                css(&["/a.css"]),
                css(&["/b.css"]),
                css(&["/a.css", "/b.css"]),
            ),
            (css(&["/a.css"]), css(&["/a.css"]), css(&["/a.css"])),
            (css(&["/a.css"]), Change::Reload, Change::Reload),
            (Change::Reload, css(&["/a.css"]), Change::Reload),
            (Change::Reload, Change::Reload, Change::Reload),
        ] {
            assert_eq!(a.clone().merge(b.clone()), want, "{a:?} + {b:?}");
        }
    }

    #[test]
    fn events_are_well_formed() {
        assert_eq!(
            css(&["/a.css", "/caf%C3%A9.css"]).event(),
            "event: css\ndata: /a.css /caf%C3%A9.css\n\n"
        );
        assert_eq!(Change::Reload.event(), "event: reload\ndata: reload\n\n");
    }

    /// A burst of saves (temp file, rename, touch) is one event, after the quiet time.
    #[test]
    fn a_burst_is_one_event_after_the_quiet_time() {
        let ms = Duration::from_millis;
        let t0 = Instant::now();
        let mut d = Debounce::new(ms(80));
        // (time, what the poll saw, what is announced)
        let table = [
            (0, None, None),
            (100, Some(css(&["/a.css"])), None),
            (150, Some(Change::Reload), None),
            (200, None, None),
            (229, None, None),
            (230, None, Some(Change::Reload)),
            (300, None, None),
            (400, Some(css(&["/a.css"])), None),
            (500, Some(css(&["/b.css"])), None),
            (600, None, Some(css(&["/a.css", "/b.css"]))),
            (700, None, None),
        ];
        for (at, seen, want) in table {
            assert_eq!(d.observe(t0 + ms(at), seen), want, "at {at} ms");
        }
    }
}
