//! `serve_connection`: THE handler, shared by thread mode and process mode's children.
//!
//! One connection, many requests: read a head under a deadline, decide the response,
//! consume or refuse a request body, send, log, and go round again while the connection
//! may persist (RFC 9112 §9.3). Socket accept, caps and modes live in `server.rs`.

use std::cell::Cell;
use std::io::{self, Read};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant, SystemTime};

mod paced;
mod sendq;

use crate::config::Record;
use crate::connection::paced::Paced;
pub use crate::context::Context;
use crate::http::date::unix_secs;
use crate::http::request::{head_len, parse_head, Head, Parsed, Version};
use crate::log;
use crate::respond;
use crate::response::{send, write_head, Persistence, Response, Status};

/// Bytes asked of the socket per read while a head is incomplete.
const READ_CHUNK: usize = 1024;
/// Buffers larger than this are shrunk back between requests, so idle connections stay small.
const IDLE_CAPACITY: usize = 4 * 1024;
/// Lingering close: how long, and how much, we keep reading before closing a connection
/// whose client may still be sending, so the kernel does not reset it and destroy the
/// response we just wrote (RFC 9112 §9.6).
const LINGER_TIME: Duration = Duration::from_secs(2);
const LINGER_BYTES: usize = 1024 * 1024;

/// Serves every request on `stream` until the connection ends.
///
/// Never panics on client input and never returns an error: a client that leaves, times
/// out or misbehaves simply ends its own connection.
pub fn serve_connection(stream: &TcpStream, ctx: &Context) {
    // Only the log and the observer need the peer: a quiet server skips the syscall.
    let recorded = ctx.config.access_log || ctx.config.observer.is_some();
    let peer = recorded
        .then(|| stream.peer_addr().ok())
        .flatten()
        .unwrap_or(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)));
    // The socket came from a listener that gave it TCP_NODELAY (a head must never wait
    // for an ACK), the write timeout and the first request's read timeout (server.rs).
    let mut conn = Connection {
        stream,
        ctx,
        peer,
        out: Vec::new(),
        log_line: Vec::new(),
        read_timeout: Cell::new(Some(ctx.config.limits.head_timeout)),
        log_bytes: 0..0,
    };
    let mut buf = Vec::with_capacity(READ_CHUNK);
    let mut first = true;
    loop {
        let len = match conn.wait_for_head(&mut buf, first) {
            Ok(len) => len,
            Err(End::Quiet) => return,
            Err(End::Answer(status)) => {
                conn.answer_and_close(&buf, Response::error(status));
                return;
            }
        };
        first = false;
        // An error here is the client leaving or a send failing: the connection is over.
        if !matches!(conn.serve_one(&mut buf, len), Ok(true)) {
            return;
        }
        if buf.capacity() > IDLE_CAPACITY && buf.len() <= IDLE_CAPACITY {
            buf.shrink_to(IDLE_CAPACITY);
        }
    }
}

/// Why no request head is coming.
enum End {
    /// Close without a word: the client left or stayed idle.
    Quiet,
    /// Answer with this status, then close.
    Answer(Status),
}

/// How a request body is dealt with (RFC 9112 §6).
enum BodyPlan {
    /// No body, or one small enough to read and throw away: the connection stays usable.
    Discard(u64),
    /// A body we will not read: answer, then close.
    Refuse,
}

struct Connection<'a> {
    stream: &'a TcpStream,
    ctx: &'a Context,
    peer: SocketAddr,
    /// The response head (and small bodies), reused between requests.
    out: Vec<u8>,
    log_line: Vec<u8>,
    /// The socket's read timeout as last set, to skip a setsockopt per request.
    read_timeout: Cell<Option<Duration>>,
    /// Where the bytes field is in `log_line`.
    log_bytes: std::ops::Range<usize>,
}

/// A read timeout within this much of the one wanted is left as it is: a deadline may
/// pass this late, and a keep-alive connection does not pay a syscall per request.
const TIMEOUT_SLACK: Duration = Duration::from_millis(100);

impl Connection<'_> {
    /// Sets the socket's read timeout to about `want` (see [`TIMEOUT_SLACK`]).
    fn read_timeout(&self, want: Duration) -> io::Result<()> {
        let close = self
            .read_timeout
            .get()
            .is_some_and(|cur| cur.abs_diff(want) <= TIMEOUT_SLACK && cur <= want + TIMEOUT_SLACK);
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
    fn wait_for_head(&self, buf: &mut Vec<u8>, first: bool) -> Result<usize, End> {
        let limits = &self.ctx.config.limits;
        let mut started = !buf.is_empty();
        let mut deadline = crate::config::deadline(
            Instant::now(),
            if first || started {
                limits.head_timeout
            } else {
                limits.keep_alive_timeout
            },
        );
        loop {
            match head_len(buf, limits.max_head_bytes) {
                Ok(Some(len)) => return Ok(len),
                Ok(None) => {}
                Err(e) => return Err(End::Answer(e.status())),
            }
            let now = Instant::now();
            if now >= deadline {
                // RFC 9110 §15.5.9: 408 only when a request had begun.
                return Err(if started {
                    End::Answer(Status::RequestTimeout)
                } else {
                    End::Quiet
                });
            }
            let _ = self.read_timeout(deadline - now);
            let old = buf.len();
            buf.resize(old + READ_CHUNK, 0);
            let read = (&mut &*self.stream).read(&mut buf[old..]);
            buf.truncate(old + *read.as_ref().unwrap_or(&0));
            match read {
                Ok(0) => return Err(End::Quiet),
                Ok(_) => {
                    if !started && !first {
                        deadline = crate::config::deadline(Instant::now(), limits.head_timeout);
                    }
                    started = true;
                }
                // Unix reports SO_RCVTIMEO expiry as WouldBlock: loop to the deadline check.
                Err(e) if is_timeout(&e) || e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Err(End::Quiet),
            }
        }
    }

    /// Answers the complete head at the start of `buf` (`len` bytes long) and removes
    /// it, and its body, from `buf`. Returns whether the connection may persist.
    fn serve_one(&mut self, buf: &mut Vec<u8>, len: usize) -> io::Result<bool> {
        let limits = &self.ctx.config.limits;
        let head = match parse_head(&buf[..len], limits.max_head_bytes, limits.max_headers) {
            Ok(Parsed::Complete { head, .. }) => head,
            // wait_for_head saw this very head complete.
            Ok(Parsed::Partial) => return Ok(false),
            Err(e) => {
                self.answer_and_close(&buf[..len], Response::error(e.status()));
                return Ok(false);
            }
        };
        let Ok(plan) = body_plan(&head, limits.max_discard_body) else {
            // Ambiguous framing: nobody knows where the next request starts.
            self.answer_and_close(buf, Response::error(Status::BadRequest));
            return Ok(false);
        };
        let mut persist = match head.version {
            Version::Http11 => !head.connection_has("close"),
            Version::Http10 => head.connection_has("keep-alive"),
        };
        if matches!(plan, BodyPlan::Refuse) {
            persist = false;
        }
        // The body comes first: a response must not be decided, logged or sent for a
        // request that never fully arrived. The part already buffered is dropped below.
        let mut buffered_body = 0;
        if let BodyPlan::Discard(n) = plan {
            buffered_body = n.min((buf.len() - len) as u64) as usize;
            match self.discard_from_socket(n - buffered_body as u64) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                    // RFC 9110 §15.5.9: the request was not completed in time.
                    self.answer_and_close(&buf[..len], Response::error(Status::RequestTimeout));
                    return Ok(false);
                }
                Err(e) => return Err(e),
            }
        }
        let send_body = head.method != "HEAD";
        let (resp, _defect) = respond::respond(&head, self.ctx);
        let now = now_secs();
        let bytes = if send_body {
            resp.body.content_length()
        } else {
            0
        };
        self.note(&buf[..len], Some(&head), resp.status.code(), bytes, now);
        let persistence = match (persist, head.version) {
            (false, _) => Persistence::Close,
            (true, Version::Http11) => Persistence::KeepAlive,
            (true, Version::Http10) => Persistence::KeepAlive10,
        };
        drop(head);
        buf.drain(..len + buffered_body);
        self.out.clear();
        write_head(&mut self.out, &resp, now, persistence, &self.ctx.headers);
        let head_len = self.out.len() as u64;
        let mut counted = Paced::new(self.stream, limits);
        let result = send(&mut counted, &mut self.out, resp.body, send_body);
        if result.is_err() {
            // Cut short (the client left, stalled, or read below the minimum rate): the
            // log says what was really sent.
            let sent = counted.written.saturating_sub(head_len);
            log::set_bytes(&mut self.log_line, self.log_bytes.clone(), sent);
            if counted.below_rate {
                // Else the only trace is a short byte count in the access log.
                let peer = self.stream.peer_addr().map(|p| p.to_string());
                log::warn(format_args!(
                    "{}: response cut off after {sent} body bytes: the client read below \
                     --min-rate ({} bytes/s after --min-rate-grace)",
                    peer.as_deref().unwrap_or("a client"),
                    limits.min_send_rate
                ));
            }
        } else {
            counted.restore();
        }
        if self.out.capacity() > IDLE_CAPACITY {
            self.out = Vec::new();
        }
        if self.ctx.config.access_log {
            log::emit(&self.log_line);
        }
        result?;
        if !persist {
            // Unread bytes (a refused body, pipelined requests after `close`) would make
            // the kernel reset the connection and the client could lose this response.
            if matches!(plan, BodyPlan::Refuse) || !buf.is_empty() {
                linger_close(self.stream);
            }
        }
        Ok(persist)
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

    /// Sends an error response that ends the connection, logs it, and closes lingeringly:
    /// after a malformed head nobody knows where the next request would start.
    fn answer_and_close(&mut self, buf: &[u8], resp: Response) {
        let now = now_secs();
        self.note(
            buf,
            None,
            resp.status.code(),
            resp.body.content_length(),
            now,
        );
        self.out.clear();
        write_head(
            &mut self.out,
            &resp,
            now,
            Persistence::Close,
            &self.ctx.headers,
        );
        let sent = send(&mut self.stream, &mut self.out, resp.body, true);
        if self.ctx.config.access_log {
            log::emit(&self.log_line);
        }
        if sent.is_ok() {
            linger_close(self.stream);
        }
    }

    /// Tells the observer about a response now, and prepares its access-log line (the
    /// caller emits it once the response is sent). `raw` starts with the request head,
    /// which may be malformed when `head` is `None`.
    fn note(&mut self, raw: &[u8], head: Option<&Head<'_>>, status: u16, bytes: u64, now: u64) {
        let line = request_line(raw);
        if let Some(observer) = &self.ctx.config.observer {
            let (method, target) = match head {
                Some(h) => (h.method.to_owned(), h.target.to_owned()),
                None => {
                    let text = String::from_utf8_lossy(line);
                    let mut words = text.split(' ');
                    let method = words.next().unwrap_or("").to_owned();
                    (method, words.next().unwrap_or("").to_owned())
                }
            };
            observer.notify(&Record {
                peer: self.peer,
                method,
                target,
                status,
                bytes,
            });
        }
        if !self.ctx.config.access_log {
            return;
        }
        let field = |name: &str| {
            head.and_then(|h| h.headers.iter().find(|f| f.name.eq_ignore_ascii_case(name)))
                .map(|f| f.value)
        };
        self.log_line.clear();
        self.log_bytes = log::format(
            &mut self.log_line,
            &log::Entry {
                // An IPv4 client of a `::` listener is logged as 127.0.0.1, not ::ffff:127.0.0.1.
                peer: self.peer.ip().to_canonical(),
                time: now,
                request_line: line,
                status,
                bytes,
                referer: field("referer"),
                user_agent: field("user-agent"),
            },
        );
    }
}

/// Content-Length / Transfer-Encoding rules for a request we do not want the body of.
///
/// # Errors
/// Both fields together, or a Content-Length that is not one plain number: the framing
/// is ambiguous (request smuggling, RFC 9112 §6.3), so the caller answers 400 and closes.
fn body_plan(head: &Head<'_>, max_discard: u64) -> Result<BodyPlan, &'static str> {
    let te = head.count("transfer-encoding") > 0;
    let cl_fields = head.count("content-length");
    if te && cl_fields > 0 {
        return Err("both Transfer-Encoding and Content-Length");
    }
    if te {
        return Ok(BodyPlan::Refuse);
    }
    if cl_fields == 0 {
        return Ok(BodyPlan::Discard(0));
    }
    if cl_fields > 1 {
        return Err("more than one Content-Length");
    }
    let value = head.header("content-length").unwrap_or("");
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err("invalid Content-Length");
    }
    let n: u64 = value.parse().map_err(|_| "Content-Length overflows")?;
    // A client waiting for `100 Continue` may never send the body: do not wait for it.
    let waits_for_continue = head
        .header("expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
    if n > max_discard || (n > 0 && waits_for_continue) {
        return Ok(BodyPlan::Refuse);
    }
    Ok(BodyPlan::Discard(n))
}

/// The first line of a (possibly partial or malformed) head, for the log.
fn request_line(buf: &[u8]) -> &[u8] {
    let start = buf
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(buf.len());
    let rest = &buf[start..];
    let line = rest.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.is_empty() {
        b"-"
    } else {
        line
    }
}

/// Half-closes, then reads and drops what the client still sends, for a bounded time.
pub(crate) fn linger_close(stream: &TcpStream) {
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

/// Whether a read error is a timeout: `TimedOut`, or `WouldBlock` as Unix reports it.
pub(crate) fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

fn now_secs() -> u64 {
    unix_secs(SystemTime::now()).unwrap_or(0)
}

/// Writes a complete response on a connection that gets nothing else (e.g. 503 at the
/// connection cap), then closes it. Used before any request byte was read.
pub(crate) fn refuse(stream: &TcpStream, status: Status, ctx: &Context) {
    let resp = Response::error(status).with("Retry-After", "1");
    let mut out = Vec::new();
    write_head(
        &mut out,
        &resp,
        now_secs(),
        Persistence::Close,
        &ctx.headers,
    );
    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
    let _ = send(&mut &*stream, &mut out, resp.body, true);
    let _ = stream.shutdown(Shutdown::Write);
}
