//! A live page's event stream (`--live`), after its head was sent: poll the page's
//! [`Watch`] every [`TICK`], announce debounced changes, and send a comment line every
//! [`PING`] so that a page closed without a word is noticed and its slot freed.
//!
//! The wait between polls is a read on the socket: an EventSource never sends after its
//! request, so the read ends with the tick, or with the page gone (EOF), at once.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::Stop;
use crate::errors::is_timeout;
use crate::respond::live::debounce::Debounce;
use crate::respond::live::watch::Watch;

/// How often the watched files are looked at.
pub(crate) const TICK: Duration = Duration::from_millis(100);
/// How long the files must be quiet before a change is announced: a burst of saves
/// (temp file, rename) within it is one event.
pub(crate) const QUIET: Duration = Duration::from_millis(80);
/// How often an idle stream sends a comment line.
pub(crate) const PING: Duration = Duration::from_secs(15);
/// How many watched paths the streams of one process look at per [`TICK`] in all (about
/// a fifth of a core: a `stat` is ~1 µs; twice the 10,000 files the README measures).
/// Past it every stream polls less often, in proportion: found in review, 250 idle
/// streams of 512 paths each filled both cores.
pub(crate) const PROBES_PER_TICK: usize = 20_000;

/// The watched paths of every stream open in this process.
static OPEN_PROBES: AtomicUsize = AtomicUsize::new(0);

/// A stream's share of [`OPEN_PROBES`], given back when the stream ends.
struct Share(usize);

impl Share {
    fn take(probes: usize) -> Share {
        OPEN_PROBES.fetch_add(probes, Ordering::Relaxed);
        Share(probes)
    }
}

impl Drop for Share {
    fn drop(&mut self) {
        OPEN_PROBES.fetch_sub(self.0, Ordering::Relaxed);
    }
}

/// How often each stream polls while `open` paths are watched in this process: every
/// [`TICK`] up to [`PROBES_PER_TICK`], then a tick more per [`PROBES_PER_TICK`] more.
pub(crate) fn poll_interval(open: usize) -> Duration {
    let ticks = open.div_ceil(PROBES_PER_TICK).max(1);
    TICK.saturating_mul(u32::try_from(ticks).unwrap_or(u32::MAX))
}

/// Streams events for `watch` on `stream` until the page goes, a write fails, or the
/// connection must stop ([`Stop`]: the server stops, or a process-mode child's parent is
/// gone). The stream is never answered again: the connection then closes.
pub(crate) fn stream(stream: &TcpStream, mut watch: Watch, stop: Stop<'_>) {
    // EventSource waits 3 s by default before reconnecting after a restart: 1 s is enough.
    if send(stream, b"retry: 1000\n\n").is_err() || stream.set_read_timeout(Some(TICK)).is_err() {
        return;
    }
    let _share = Share::take(watch.len());
    let mut debounce = Debounce::new(QUIET);
    let mut last_sent = Instant::now();
    let mut last_poll = Instant::now();
    let mut scratch = [0u8; 64];
    while !stop.is_set() {
        match (&mut &*stream).read(&mut scratch) {
            Err(e) if is_timeout(&e) || e.kind() == io::ErrorKind::Interrupted => {}
            // EOF: the page closed. Bytes: not an EventSource; errors: the socket is gone.
            _ => return,
        }
        let now = Instant::now();
        let due = now.saturating_duration_since(last_poll)
            >= poll_interval(OPEN_PROBES.load(Ordering::Relaxed));
        let change = if due {
            last_poll = now;
            watch.poll()
        } else {
            None
        };
        let text = match debounce.observe(now, change) {
            Some(change) => change.event(),
            None if now.saturating_duration_since(last_sent) >= PING => {
                // Everything sent before had a whole PING to be acknowledged: a peer
                // that vanished without a word (a laptop put to sleep) would otherwise
                // keep its slot until TCP gives up, ~15 min (red-team review).
                if vanished(super::sendq::unacked(stream)) {
                    return;
                }
                ": ping\n\n".to_owned()
            }
            None => continue,
        };
        if send(stream, text.as_bytes()).is_err() {
            return;
        }
        last_sent = now;
    }
}

/// Whether a peer is gone, judged by the bytes it has not acknowledged a whole [`PING`]
/// after they were sent: any. Where that count is unknown (not Linux), the write of the
/// ping fails only when TCP gives up.
fn vanished(unacked: Option<u64>) -> bool {
    unacked.is_some_and(|n| n > 0)
}

/// Writes `bytes` whole (under the socket's write timeout).
fn send(stream: &TcpStream, bytes: &[u8]) -> io::Result<()> {
    (&mut &*stream).write_all(bytes)?;
    (&mut &*stream).flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_that_acknowledged_nothing_for_a_ping_is_gone() {
        assert!(vanished(Some(8)));
        assert!(!vanished(Some(0)));
        assert!(!vanished(None));
    }

    #[test]
    fn many_watched_paths_stretch_the_interval_in_proportion() {
        for (open, ticks) in [(0, 1), (1, 1), (20_000, 1), (20_001, 2), (128_000, 7)] {
            assert_eq!(poll_interval(open), TICK * ticks, "{open}");
        }
        assert_eq!(poll_interval(usize::MAX), TICK.saturating_mul(u32::MAX));
    }
}
