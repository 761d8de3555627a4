//! The reading side of a connection: a request head under its deadlines, a body to skip,
//! and the lingering close. Deadlines are per head (or body), not per read: a client
//! trickling a byte at a time gets no more time than one sending it all at once.

use std::io::{self, Read};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use super::{Connection, End, READ_CHUNK};
use crate::config::Limits;
use crate::errors::is_timeout;
use crate::http::framing::BodyPlan;
use crate::http::request::head_len;
use crate::http::status::Status;

/// Lingering close: how long, and how much, we keep reading before closing a connection
/// whose client may still be sending, so the kernel does not reset it and destroy the
/// response we just wrote (RFC 9112 §9.6).
const LINGER_TIME: Duration = Duration::from_secs(2);
const LINGER_BYTES: usize = 1024 * 1024;

/// A read timeout within this much of the one wanted is left as it is: a deadline may
/// pass this late, and a keep-alive connection does not pay a syscall per request.
const TIMEOUT_SLACK: Duration = Duration::from_millis(100);

impl Connection<'_> {
    /// Sets the socket's read timeout to about `want` (see [`TIMEOUT_SLACK`]).
    pub(super) fn read_timeout(&self, want: Duration) -> io::Result<()> {
        let close = self.read_timeout.get().is_some_and(|cur| {
            cur.abs_diff(want) <= TIMEOUT_SLACK && cur <= want.saturating_add(TIMEOUT_SLACK)
        });
        if !close {
            self.stream
                .set_read_timeout(Some(want.max(Duration::from_millis(1))))?;
            self.read_timeout.set(Some(want));
        }
        Ok(())
    }

    /// Reads until `buf` starts with a complete head; returns its length.
    ///
    /// The first request of a connection must arrive whole within the head timeout.
    /// Later ones may idle for the keep-alive timeout, then have the head timeout from
    /// their first byte. Pipelined bytes already in `buf` count as that first byte.
    ///
    /// The clock is read only when a wait needs a deadline (issue 17: a head that arrives
    /// in one read, as nearly all do, costs no clock read): the first request's deadline
    /// starts with the connection, so it is read at once; a later request idles under
    /// the socket's timeout alone, and its head deadline is read when a read leaves the
    /// head incomplete. Where shutdown cannot wake a read, an idle wait is measured too.
    pub(super) fn wait_for_head(&self, buf: &mut Vec<u8>, first: bool) -> Result<usize, End> {
        let limits = &self.ctx.config.limits;
        let mut started = !buf.is_empty();
        let measured = first || started || !crate::platform::SHUTDOWN_WAKES_READS;
        let mut deadline = measured.then(|| {
            let timeout = if first || started {
                limits.head_timeout
            } else {
                limits.keep_alive_timeout
            };
            crate::config::deadline(Instant::now(), timeout)
        });
        loop {
            match head_len(buf, limits.max_head_bytes) {
                Ok(Some(len)) => return Ok(len),
                Ok(None) => {}
                Err(e) => return Err(End::Answer(e.status(), Some(e.as_str()))),
            }
            if started && deadline.is_none() {
                // Begun but incomplete: the head timeout runs from (about) its first byte.
                deadline = Some(crate::config::deadline(Instant::now(), limits.head_timeout));
            }
            let wait = wait_before(deadline, started, limits)?;
            let _ = self.read_timeout(wait);
            let old = buf.len();
            buf.resize(old + READ_CHUNK, 0);
            let read = (&mut &*self.stream).read(&mut buf[old..]);
            buf.truncate(old + *read.as_ref().unwrap_or(&0));
            match read {
                Ok(0) => return Err(End::Quiet),
                Ok(_) => {
                    if !started && !first {
                        // The idle wait is over; the head's own deadline, if it needs one,
                        // is read at the top of the loop.
                        deadline = None;
                    }
                    started = true;
                }
                Err(e) if self.stop.is_set() && (is_timeout(&e) || is_interrupted(&e)) => {
                    return Err(End::Quiet)
                }
                // Unmeasured, the socket's timeout was the whole idle wait (it may be set
                // up to TIMEOUT_SLACK short of it).
                Err(e) if deadline.is_none() && is_timeout(&e) => return Err(End::Quiet),
                // Unix reports SO_RCVTIMEO expiry as WouldBlock: loop to the deadline check.
                Err(e) if is_timeout(&e) || is_interrupted(&e) => {}
                Err(_) => return Err(End::Quiet),
            }
        }
    }

    /// Reads and drops the body `plan` discards, of which `buffered` bytes may already
    /// follow the head (`raw_head`) in the buffer. Returns how many of those belong to
    /// the body, or `None` when it did not arrive in time (answered 408 and closed).
    ///
    /// # Errors
    /// The client left or the socket failed: the connection is over.
    pub(super) fn skip_body(
        &mut self,
        plan: BodyPlan,
        raw_head: &[u8],
        buffered: usize,
    ) -> io::Result<Option<usize>> {
        let BodyPlan::Discard(n) = plan else {
            return Ok(Some(0));
        };
        let in_buf = n.min(buffered as u64) as usize;
        match self.discard_from_socket(n - in_buf as u64) {
            Ok(()) => Ok(Some(in_buf)),
            Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                // RFC 9110 §15.5.9: the request was not completed in time.
                self.reject(raw_head, Status::RequestTimeout, None);
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Reads and throws away the `n` bytes of a request body that are still in the socket,
    /// so that the next request starts where it should.
    ///
    /// # Errors
    /// `TimedOut` when the body does not arrive within the head timeout; `UnexpectedEof`
    /// when the client closes first.
    fn discard_from_socket(&self, n: u64) -> io::Result<()> {
        let mut left = n;
        let deadline = crate::config::deadline(Instant::now(), self.ctx.config.limits.head_timeout);
        let mut scratch = [0u8; 1024];
        while left > 0 {
            let now = Instant::now();
            if now >= deadline {
                return Err(io::ErrorKind::TimedOut.into());
            }
            self.read_timeout(deadline - now)?;
            let want = scratch.len().min(left as usize);
            match (&mut &*self.stream).read(&mut scratch[..want]) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(got) => left -= got as u64,
                Err(e) if is_timeout(&e) || e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// How long the next read may wait for a head: until `deadline`, if the wait has one
/// (`Err` when it has passed), else the whole keep-alive timeout (an idle wait the socket's
/// timeout alone bounds).
fn wait_before(deadline: Option<Instant>, started: bool, limits: &Limits) -> Result<Duration, End> {
    let Some(deadline) = deadline else {
        return Ok(limits.keep_alive_timeout.min(crate::config::FAR_FUTURE));
    };
    let now = Instant::now();
    if now >= deadline {
        return Err(expired(started));
    }
    // Where shutdown cannot wake this read, an idle connection (the kind a browser keeps)
    // looks at the stop flag now and then; one sending its head is left to its deadline,
    // so that a flood of slow clients costs no wake-ups.
    Ok(if crate::platform::SHUTDOWN_WAKES_READS || started {
        deadline - now
    } else {
        (deadline - now).min(crate::platform::STOP_POLL)
    })
}

/// What a head whose deadline passed gets: RFC 9110 §15.5.9, 408 only when a request had
/// begun; an idle connection just closes.
fn expired(started: bool) -> End {
    if started {
        End::Answer(Status::RequestTimeout, None)
    } else {
        End::Quiet
    }
}

fn is_interrupted(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::Interrupted
}

/// Half-closes, then reads and drops what the client still sends, for a bounded time.
pub(super) fn linger_close(stream: &TcpStream) {
    if stream.shutdown(Shutdown::Write).is_err() {
        return;
    }
    let deadline = Instant::now() + LINGER_TIME;
    let mut scratch = [0u8; 4096];
    let mut drained = 0;
    while drained < LINGER_BYTES {
        let now = Instant::now();
        if now >= deadline || stream.set_read_timeout(Some(deadline - now)).is_err() {
            return;
        }
        match (&mut &*stream).read(&mut scratch) {
            Ok(0) => return,
            Ok(n) => drained += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}
