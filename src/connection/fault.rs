//! A fault rule on a connection (`fault/`): the answer it forces instead of the file, a
//! dropped or stalled connection, and the delay before a head. Throttling is the paced
//! writer's (`paced.rs`), the cut body `response::transmit`'s.

use std::io::{self, Read};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use super::Stop;
use crate::config::Limits;
use crate::errors::is_timeout;
use crate::fault::{Answer, Fault};
use crate::response::{Response, Status};

/// The status logged (and told to the observer) for a request a fault answered with
/// nothing (`drop`, `stall`): nginx's 444, "connection closed without a response".
pub(super) const NO_RESPONSE: u16 = 444;

/// How often a stall or a delay looks at the shutdown flag (Windows cannot wake a read).
const STOP_POLL: Duration = Duration::from_millis(100);

/// The response `fault` forces instead of the normal one: `status:CODE`'s short page,
/// with the fields RFC 9110 requires or expects of that status: `Retry-After: 1` for
/// 503 and 429 (a client that honours it retries at once), `Allow` for 405 (§15.5.6),
/// `WWW-Authenticate` for 401 (§15.5.2), and `Connection: close` for 408 (§15.5.9: the
/// server closes).
pub(super) fn forced(fault: &Fault) -> Option<Response> {
    let Answer::Status(code) = fault.answer else {
        return None;
    };
    let resp = Response::error(Status::from_code(code));
    Some(match code {
        503 | 429 => resp.with("Retry-After", "1"),
        405 => resp.with("Allow", "GET, HEAD"),
        401 => resp.with("WWW-Authenticate", "Basic realm=\"servedir fault\""),
        _ => resp,
    })
}

/// Whether a forced status ends the connection after it is sent (408, as its meaning
/// says).
pub(super) fn closes(fault: Option<&Fault>) -> bool {
    fault.is_some_and(|f| f.answer == Answer::Status(408))
}

/// Whether `fault` answers with nothing at all (`drop`, `stall`).
pub(super) fn sends_nothing(fault: &Fault) -> bool {
    matches!(fault.answer, Answer::Drop | Answer::Stall)
}

/// `stall`: sends nothing and reads (and drops) what the client sends until it gives up
/// (closes), the write timeout passes (the server-side bound: a stalled connection never
/// leaks), or the connection must stop ([`Stop`]). `drop` returns at once: the caller
/// closes.
pub(super) fn hold(stream: &TcpStream, fault: &Fault, limits: &Limits, stop: Stop<'_>) {
    if fault.answer != Answer::Stall {
        return;
    }
    let deadline = crate::config::deadline(Instant::now(), limits.write_timeout);
    let mut scratch = [0u8; 1024];
    while let Some(wait) = slice(deadline, stop) {
        if stream.set_read_timeout(Some(wait)).is_err() {
            return;
        }
        match (&mut &*stream).read(&mut scratch) {
            // The client gave up, or shutdown closed the reading side.
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if is_timeout(&e) || e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

/// `delay:SECS`: waits before the head is sent. Returns false when the connection must
/// stop (it then ends without an answer). The wait ends early, and the answer goes out
/// at once, when the client closes its side: a client that gave up would otherwise hold
/// its slot for the whole delay (first review), and one that only half-closed (`nc -N`,
/// `shutdown(SHUT_WR)`) is still reading and must get its answers (second review): a
/// FIN cannot tell the two apart. What the client sends meanwhile (a pipelined request)
/// is only peeked at, left for the next request.
pub(super) fn wait(stream: &TcpStream, delay: Duration, stop: Stop<'_>) -> bool {
    let until = crate::config::deadline(Instant::now(), delay);
    let mut scratch = [0u8; 1];
    while let Some(wait) = slice(until, stop) {
        if stream.set_read_timeout(Some(wait)).is_err() {
            return false;
        }
        match stream.peek(&mut scratch) {
            // The client closed its side: answer now (see above).
            Ok(0) => return true,
            // A pipelined request waits in the socket: the client is there.
            Ok(_) => thread::sleep(wait),
            Err(e) if is_timeout(&e) || e.kind() == io::ErrorKind::Interrupted => {}
            // Reset: the answer fails to send, and the connection ends.
            Err(_) => return true,
        }
    }
    !stop.is_set()
}

/// How long the next wait towards `deadline` may block: at most [`STOP_POLL`], so that
/// `stop` is looked at; `None` when the deadline has passed or the connection must stop.
fn slice(deadline: Instant, stop: Stop<'_>) -> Option<Duration> {
    let now = Instant::now();
    (!stop.is_set() && now < deadline)
        .then(|| (deadline - now).clamp(Duration::from_millis(1), STOP_POLL))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found in review: a forced 405 had no `Allow`, a 401 no `WWW-Authenticate`, and a
    /// 408 kept the connection open.
    #[test]
    fn forced_statuses_carry_the_fields_their_meaning_requires() {
        let field = |code: u16, name: &str| {
            let resp = forced(&Fault::on("/x").status(code)).unwrap();
            assert_eq!(resp.status.code(), code);
            let value = resp
                .headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string());
            value
        };
        assert_eq!(field(503, "Retry-After").as_deref(), Some("1"));
        assert_eq!(field(429, "Retry-After").as_deref(), Some("1"));
        assert_eq!(field(405, "Allow").as_deref(), Some("GET, HEAD"));
        assert!(field(401, "WWW-Authenticate").is_some_and(|v| v.starts_with("Basic ")));
        assert_eq!(field(404, "Retry-After"), None);
        assert!(closes(Some(&Fault::on("/x").status(408))));
        assert!(!closes(Some(&Fault::on("/x").status(503))));
        assert!(!closes(None));
    }
}
