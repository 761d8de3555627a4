//! A fault rule on a connection (`fault/`): the answer it forces instead of the file, a
//! dropped or stalled connection, and the delay before a head. Throttling is the paced
//! writer's (`paced.rs`), the cut body `response::transmit`'s.

use std::io::Read;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::config::Limits;
use crate::fault::{Answer, Fault};
use crate::response::{Response, Status};

/// The status logged (and told to the observer) for a request a fault answered with
/// nothing (`drop`, `stall`): nginx's 444, "connection closed without a response".
pub(super) const NO_RESPONSE: u16 = 444;

/// How often a stall or a delay looks at the shutdown flag (Windows cannot wake a read).
const STOP_POLL: Duration = Duration::from_millis(100);

/// The response `fault` forces instead of the normal one: `status:CODE`'s short page,
/// with `Retry-After: 1` for 503 and 429 (a client that honours it retries at once).
pub(super) fn forced(fault: &Fault) -> Option<Response> {
    let Answer::Status(code) = fault.answer else {
        return None;
    };
    let resp = Response::error(Status::from_code(code));
    Some(if code == 503 || code == 429 {
        resp.with("Retry-After", "1")
    } else {
        resp
    })
}

/// Whether `fault` answers with nothing at all (`drop`, `stall`).
pub(super) fn sends_nothing(fault: &Fault) -> bool {
    matches!(fault.answer, Answer::Drop | Answer::Stall)
}

/// `stall`: sends nothing and reads (and drops) what the client sends until it gives up
/// (closes), the write timeout passes (the server-side bound: a stalled connection never
/// leaks), or the server shuts down. `drop` returns at once: the caller closes.
pub(super) fn hold(stream: &TcpStream, fault: &Fault, limits: &Limits, stop: &AtomicBool) {
    if fault.answer != Answer::Stall {
        return;
    }
    let deadline = crate::config::deadline(Instant::now(), limits.write_timeout);
    let mut scratch = [0u8; 1024];
    while !stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        let wait = (deadline - now).clamp(Duration::from_millis(1), STOP_POLL);
        if stream.set_read_timeout(Some(wait)).is_err() {
            return;
        }
        match (&mut &*stream).read(&mut scratch) {
            // The client gave up, or shutdown closed the reading side.
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if crate::errors::is_timeout(&e) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

/// `delay:SECS`: waits before the head is sent. Returns false when the server shut
/// down meanwhile (the connection then ends without an answer).
pub(super) fn wait(delay: Duration, stop: &AtomicBool) -> bool {
    let until = crate::config::deadline(Instant::now(), delay);
    loop {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        let now = Instant::now();
        if now >= until {
            return true;
        }
        thread::sleep((until - now).min(STOP_POLL));
    }
}
