//! A live page's event stream (`--live`), after its head was sent: poll the page's
//! [`Watch`] every [`TICK`], announce debounced changes, and send a comment line every
//! [`PING`] so that a page closed without a word is noticed and its slot freed.
//!
//! The wait between polls is a read on the socket: an EventSource never sends after its
//! request, so the read ends with the tick, or with the page gone (EOF), at once.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

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

/// Streams events for `watch` on `stream` until the page goes, a write fails, or the
/// server stops (or, for a process-mode child, its parent is gone). The stream is never answered again: the connection then closes.
pub(crate) fn stream(stream: &TcpStream, mut watch: Watch, stop: &AtomicBool) {
    // EventSource waits 3 s by default before reconnecting after a restart: 1 s is enough.
    if send(stream, b"retry: 1000\n\n").is_err() || stream.set_read_timeout(Some(TICK)).is_err() {
        return;
    }
    let mut debounce = Debounce::new(QUIET);
    let mut last_sent = Instant::now();
    let mut scratch = [0u8; 64];
    let parent = crate::platform::parent_id();
    while !stop.load(Ordering::Relaxed) && crate::platform::parent_id() == parent {
        match (&mut &*stream).read(&mut scratch) {
            Err(e) if is_timeout(&e) || e.kind() == io::ErrorKind::Interrupted => {}
            // EOF: the page closed. Bytes: not an EventSource; errors: the socket is gone.
            _ => return,
        }
        let now = Instant::now();
        let text = match debounce.observe(now, watch.poll()) {
            Some(change) => change.event(),
            None if now.saturating_duration_since(last_sent) >= PING => ": ping\n\n".to_owned(),
            None => continue,
        };
        if send(stream, text.as_bytes()).is_err() {
            return;
        }
        last_sent = now;
    }
}

/// Writes `bytes` whole (under the socket's write timeout).
fn send(stream: &TcpStream, bytes: &[u8]) -> io::Result<()> {
    (&mut &*stream).write_all(bytes)?;
    (&mut &*stream).flush()
}
