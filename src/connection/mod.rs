//! `serve_connection`: THE handler, shared by thread mode and process mode's children.
//!
//! It only moves bytes: read a head under deadlines, ask the response layer (`respond/`),
//! send through one path (`Connection::send`: `response::transmit` through the paced
//! writer; `refuse`, which answers before a connection starts, calls `transmit` too),
//! linger, and go round again while the
//! connection may persist (RFC 9112 §9.3). Parsing and framing rules are `http/`'s, the
//! log and observer records `record.rs`'s, reading under deadlines `reading.rs`'s; accept,
//! caps and modes live in `server/`.

use std::cell::Cell;
use std::io;
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

mod events;
mod fault;
mod paced;
mod reading;
mod record;
mod sendq;
mod stop;

pub use stop::Stop;

use crate::connection::paced::Paced;
use crate::connection::reading::linger_close;
use crate::connection::record::Trace;
use crate::fault::Fault;
use crate::http::framing::BodyPlan;
use crate::http::request::{parse_head, Head, Parsed};
use crate::http::status::Status;
use crate::inline::{self, spares, Spare};
use crate::log;
use crate::respond;
use crate::respond::context::Context;
use crate::respond::live::watch::Watch;
use crate::response::{transmit, Body, Persistence, Response, Wire};

/// Bytes asked of the socket per read while a head is incomplete.
const READ_CHUNK: usize = 1024;
/// Buffers larger than this are shrunk back between requests, so idle connections stay small.
const IDLE_CAPACITY: usize = 4 * 1024;
/// What the response buffer starts with: a usual head and a small body, so building
/// them does not grow it step by step.
const HEAD_CAPACITY: usize = 2 * 1024;

/// Serves every request on `stream` until the connection ends, or until `stop` is set
/// while it waits for a request.
///
/// Never panics on client input and never returns an error: a client that leaves, times
/// out or misbehaves simply ends its own connection.
///
/// # Platform-specific behavior
/// Shutdown ends a waiting connection by shutting its reading side, which on Unix wakes
/// the read at once. Windows does not wake it (`platform::SHUTDOWN_WAKES_READS`), so
/// there an idle connection blocks at most `platform::STOP_POLL` at a time and then
/// looks at `stop`; one in the middle of a head ends at its head deadline.
pub fn serve_connection(stream: &TcpStream, ctx: &Context, stop: Stop<'_>) {
    // On Linux the socket came from a listener that gave it TCP_NODELAY (a head must
    // never wait for an ACK), the write timeout and the first request's read timeout
    // (server/). Elsewhere it has none of them: without them a connection would have no
    // deadline at all (found running the Windows build under Wine).
    if !crate::platform::ACCEPTED_SOCKETS_INHERIT_OPTIONS
        && set_connection_options(stream, &ctx.config.limits).is_err()
    {
        return;
    }
    // Threads are reused: a connection starts with the last one's buffers (`Spare`).
    // Without one, the response buffer stays unallocated until a response: a connection
    // that never completes a request (a slow client) costs no more than its read buffer.
    let mut buf: Vec<u8> = inline::take();
    let mut conn = Connection {
        stream,
        ctx,
        stop,
        out: inline::take(),
        read_timeout: Cell::new(Some(ctx.config.limits.head_timeout)),
        trace: Trace::new(stream, &ctx.config),
    };
    conn.serve_all(&mut buf);
    inline::give_back(buf);
    inline::give_back(std::mem::take(&mut conn.out));
}

/// A connection's read and write buffers, kept for the thread's next connection when
/// they are no larger than an idle connection's: a new connection then allocates none.
impl Spare for Vec<u8> {
    spares!(Vec<u8>);
    fn reset(&mut self) -> bool {
        self.clear();
        (1..=IDLE_CAPACITY).contains(&self.capacity())
    }
}

impl Connection<'_> {
    /// Serves every request until the connection ends.
    fn serve_all(&mut self, buf: &mut Vec<u8>) {
        let mut first = true;
        loop {
            let len = match self.wait_for_head(buf, first) {
                Ok(len) => len,
                Err(End::Quiet) => return,
                Err(End::Answer(status, why)) => {
                    self.reject(buf, status, why);
                    return;
                }
            };
            first = false;
            // An error here is the client leaving or a send failing: the connection is over.
            if !matches!(self.serve_one(buf, len), Ok(true)) {
                return;
            }
            if buf.capacity() > IDLE_CAPACITY && buf.len() <= IDLE_CAPACITY {
                buf.shrink_to(IDLE_CAPACITY);
            }
        }
    }
}

/// Why no request head is coming.
enum End {
    /// Close without a word: the client left or stayed idle.
    Quiet,
    /// Answer with this status, then close; the defect, if any, is for the operator.
    Answer(Status, Option<&'static str>),
}

struct Connection<'a> {
    stream: &'a TcpStream,
    ctx: &'a Context,
    /// Set when the server shuts down.
    stop: Stop<'a>,
    /// The response head (and small bodies), reused between requests.
    out: Vec<u8>,
    /// The socket's read timeout as last set, to skip a setsockopt per request.
    read_timeout: Cell<Option<Duration>>,
    /// The observer's records and the access-log line.
    trace: Trace<'a>,
}

impl Connection<'_> {
    /// Answers the complete head at the start of `buf` (`len` bytes long) and removes
    /// it, and its body, from `buf`. Returns whether the connection may persist.
    ///
    /// Never inlined: its frame (a head, a response, their moves) is then only touched
    /// by a connection that sends a request; one that only waits (a slow client,
    /// thousands at once) keeps the small frame of the wait.
    #[inline(never)]
    fn serve_one(&mut self, buf: &mut Vec<u8>, len: usize) -> io::Result<bool> {
        // The request's one clock reading (`clock.rs`): Date, the log, the file cache.
        crate::clock::tick();
        let limits = &self.ctx.config.limits;
        let head = match parse_head(&buf[..len], limits.max_head_bytes, limits.max_headers) {
            Ok(Parsed::Complete { head, .. }) => head,
            // wait_for_head saw this very head complete.
            Ok(Parsed::Partial) => return Ok(false),
            Err(e) => {
                self.reject(&buf[..len], e.status(), Some(e.as_str()));
                return Ok(false);
            }
        };
        let plan = match head.body_plan(limits.max_discard_body) {
            Ok(plan) => plan,
            Err(why) => {
                // Ambiguous framing: nobody knows where the next request starts.
                self.reject(&buf[..len], Status::BadRequest, Some(why));
                return Ok(false);
            }
        };
        // The body comes first: a response must not be decided, logged or sent for a
        // request that never fully arrived. The part already buffered is dropped below.
        let Some(buffered_body) = self.skip_body(plan, &buf[..len], buf.len() - len)? else {
            return Ok(false);
        };
        let Some((mut resp, rule)) = self.decide(&buf[..len], &head) else {
            return Ok(false);
        };
        // A live page's event stream holds the connection until it closes.
        let events = take_events(&mut resp);
        let persist = head.keeps_alive()
            && plan != BodyPlan::Refuse
            && events.is_none()
            && !fault::closes(rule.as_ref());
        let wire = self.wire_for(&buf[..len], &head, &resp, persist);
        drop(head);
        buf.drain(..len + buffered_body);
        self.send(resp, wire, rule.as_ref())?;
        if let Some(watch) = events {
            events::stream(self.stream, *watch, self.stop);
            return Ok(false);
        }
        // Unread bytes (a refused body, pipelined requests after `close`) would make the
        // kernel reset the connection and the client could lose this response.
        if !persist && (plan == BodyPlan::Refuse || !buf.is_empty()) {
            linger_close(self.stream);
        }
        Ok(persist)
    }

    /// How `resp` to `head` (`raw`) goes on the wire, noted for the log and the observer.
    fn wire_for(&mut self, raw: &[u8], head: &Head<'_>, resp: &Response, persist: bool) -> Wire {
        let wire = Wire {
            now: now_secs(),
            persistence: Persistence::after(persist, head.version),
            body: head.method != "HEAD",
            cut: None,
        };
        let bytes = if wire.body {
            resp.body.content_length()
        } else {
            0
        };
        let status = resp.status.code();
        self.trace.note(raw, Some(head), status, bytes, wire.now);
        wire
    }

    /// The response to `head` (whose raw bytes start `raw`), and the fault rule that
    /// shapes it, if one applies; `None` when a rule answers with nothing (`drop`,
    /// `stall`: logged and done here), and the connection ends.
    fn decide(&mut self, raw: &[u8], head: &Head<'_>) -> Option<(Response, Option<Fault>)> {
        let rule = self.ctx.faults.decide(head.target);
        self.trace.mark_fault(rule.as_ref());
        if let Some(rule) = rule.as_ref().filter(|r| fault::sends_nothing(r)) {
            self.trace
                .note(raw, Some(head), fault::NO_RESPONSE, 0, now_secs());
            self.trace.emit();
            fault::hold(self.stream, rule, &self.ctx.config.limits, self.stop);
            return None;
        }
        let (resp, why) = match rule.as_ref().and_then(fault::forced) {
            Some(forced) => (forced, None),
            None => respond::respond(head, self.ctx),
        };
        if let Some(why) = why {
            self.report_defect(resp.status, why);
        }
        Some((resp, rule))
    }

    /// Answers `status` and closes, lingering: after a malformed head nobody knows where
    /// the next request would start. `why` names the defect for the operator's log; the
    /// client only ever sees the status page.
    fn reject(&mut self, raw: &[u8], status: Status, why: Option<&'static str>) {
        crate::clock::tick();
        if let Some(why) = why {
            self.report_defect(status, why);
        }
        let resp = Response::error(status);
        let wire = Wire {
            now: now_secs(),
            persistence: Persistence::Close,
            body: true,
            cut: None,
        };
        let bytes = resp.body.content_length();
        self.trace.mark_fault(None);
        self.trace.note(raw, None, status.code(), bytes, wire.now);
        if self.send(resp, wire, None).is_ok() {
            linger_close(self.stream);
        }
    }

    /// THE send path of a connection: sends `resp` through the paced writer (the minimum
    /// rate, the bytes really sent), shaped by a fault `rule` (delay, throttle, cut),
    /// then emits its access-log line.
    ///
    /// # Errors
    /// The send failed or was cut off (by the client, the rate, or the rule): the
    /// connection must end.
    fn send(&mut self, resp: Response, wire: Wire, rule: Option<&Fault>) -> io::Result<()> {
        let limits = &self.ctx.config.limits;
        if let Some(delay) = rule.and_then(|r| r.delay) {
            let waited = fault::wait(self.stream, delay, self.stop);
            // The wait set its own read timeouts: the next head sets the socket's again.
            self.read_timeout.set(None);
            if !waited {
                // The server stops first: logged with nothing sent.
                self.trace.cut_short(0);
                self.trace.emit();
                return Err(io::ErrorKind::Interrupted.into());
            }
        }
        let mut paced = Paced::new(self.stream, limits).throttled(rule.and_then(|r| r.throttle));
        let wire = Wire {
            cut: rule.and_then(|r| r.cut),
            ..wire
        };
        let (head_len, result) = transmit(&mut paced, &mut self.out, resp, wire, &self.ctx.headers);
        if result.is_err() && wire.cut.is_some() {
            // A cut body: the client must see the end of the connection, not a reset.
            linger_close(self.stream);
        }
        if result.is_err() {
            // Cut short (the client left, stalled, or read below the minimum rate): the
            // log says what was really sent.
            let sent = paced.written.saturating_sub(head_len);
            self.trace.cut_short(sent);
            if paced.below_rate {
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
            paced.restore();
        }
        if self.out.capacity() > IDLE_CAPACITY {
            self.out = Vec::with_capacity(HEAD_CAPACITY);
        }
        self.trace.emit();
        result
    }

    /// Tells the operator why a request got `status`, at most once a second for the
    /// server (`Context::defects`; a process-mode child's lines are throttled again by
    /// the parent, for all children together).
    fn report_defect(&self, status: Status, why: &'static str) {
        let peer = self.stream.peer_addr().map(|p| p.to_string());
        self.ctx.defects.report(format_args!(
            "{}: {} {}: {why}",
            peer.as_deref().unwrap_or("a client"),
            status.code(),
            status.reason()
        ));
    }
}

/// What every connection's socket needs before its first read: no Nagle delay, the
/// write timeout and the first request's read timeout.
///
/// # Errors
/// Setting a socket option failed (the socket is then unusable).
pub(crate) fn set_connection_options(
    socket: &TcpStream,
    limits: &crate::config::Limits,
) -> io::Result<()> {
    socket.set_nodelay(true)?;
    socket.set_write_timeout(Some(limits.write_timeout))?;
    socket.set_read_timeout(Some(limits.head_timeout))
}

/// The watch of an event stream, leaving its response a head without a length.
fn take_events(resp: &mut Response) -> Option<Box<Watch>> {
    match std::mem::replace(&mut resp.body, Body::None) {
        Body::Events(watch) => Some(watch),
        body => {
            resp.body = body;
            None
        }
    }
}

/// The current request's time in Unix seconds (`clock.rs`: no clock read of its own).
fn now_secs() -> u64 {
    crate::clock::unix_secs(crate::clock::recent())
}

/// Writes a complete response on a connection that gets nothing else (e.g. 503 at the
/// connection cap), then closes it. Used before any request byte was read; not logged.
pub(crate) fn refuse(stream: &TcpStream, status: Status, ctx: &Context) {
    let resp = Response::error(status).with("Retry-After", "1");
    let wire = Wire {
        now: crate::clock::unix_secs(crate::clock::tick()),
        persistence: Persistence::Close,
        body: true,
        cut: None,
    };
    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
    let _ = transmit(&mut &*stream, &mut Vec::new(), resp, wire, &ctx.headers);
    let _ = stream.shutdown(Shutdown::Write);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, Limits};
    use crate::testutil::TempDir;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    /// A root with one file, served on one real loopback connection by
    /// `serve_connection` on its own thread; returns the client's end.
    fn connect(name: &str, limits: Limits) -> (TempDir, TcpStream, std::thread::JoinHandle<()>) {
        let dir = TempDir::new(name);
        std::fs::write(dir.path().join("hello.txt"), "hello\n").unwrap();
        let config = Config {
            root: dir.path().to_owned(),
            limits: limits.clone(),
            ..Config::default()
        };
        let root = crate::platform::canonicalize(dir.path()).unwrap();
        let (head_timeout, write_timeout) = (limits.head_timeout, limits.write_timeout);
        let ctx = Context::new(config, root);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let server = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            // What the server's listener gives every socket (`with_connection_options`).
            stream.set_read_timeout(Some(head_timeout)).unwrap();
            stream.set_write_timeout(Some(write_timeout)).unwrap();
            serve_connection(
                &stream,
                &ctx,
                Stop::server(&std::sync::atomic::AtomicBool::new(false)),
            );
        });
        (dir, client, server)
    }

    /// Sends `wire` on a fresh connection, half-closes, and reads until the server closes.
    fn exchange(name: &str, wire: &[u8], heads: &[usize]) -> Vec<(String, Vec<u8>)> {
        let (_dir, mut client, server) = connect(name, Limits::default());
        client.write_all(wire).unwrap();
        client.shutdown(Shutdown::Write).unwrap();
        let mut got = Vec::new();
        client.read_to_end(&mut got).unwrap();
        server.join().unwrap();
        responses(&got, heads)
    }

    /// Splits what the server sent into (head, body) pairs by `Content-Length` (except
    /// for the responses to HEAD, by index in `heads`); panics on anything else.
    fn responses(mut got: &[u8], heads: &[usize]) -> Vec<(String, Vec<u8>)> {
        let mut all = Vec::new();
        while !got.is_empty() {
            let end = got
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .expect("a head")
                + 4;
            let head = String::from_utf8(got[..end].to_vec()).unwrap();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("Content-Length: "))
                .map_or(0, |n| n.parse().unwrap());
            let len = if heads.contains(&all.len()) { 0 } else { len };
            all.push((head, got[end..end + len].to_vec()));
            got = &got[end + len..];
        }
        all
    }

    fn error_page(status: Status) -> Vec<u8> {
        match Response::error(status).body {
            crate::response::Body::Text(page) => page.into_bytes(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn pipelined_requests_are_answered_in_order() {
        let got = exchange(
            "pipelined",
            b"\r\nGET /hello.txt HTTP/1.1\r\nHost: h\r\n\r\nHEAD /hello.txt HTTP/1.1\r\nHost: h\r\n\r\n\
              GET /missing HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
            &[1],
        );
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got[0].0.starts_with("HTTP/1.1 200 OK\r\n"), "{}", got[0].0);
        assert!(!got[0].0.contains("Connection:"), "{}", got[0].0);
        assert_eq!(got[0].1, b"hello\n");
        // HEAD: the same Content-Length, and no body on the wire.
        assert!(
            got[1].0.contains("\r\nContent-Length: 6\r\n"),
            "{}",
            got[1].0
        );
        assert!(got[2].0.starts_with("HTTP/1.1 404 Not Found\r\n"));
        assert!(got[2].0.ends_with("\r\nConnection: close\r\n\r\n"));
        assert_eq!(got[2].1, error_page(Status::NotFound));
    }

    #[test]
    fn a_small_body_is_skipped_and_the_next_request_served() {
        let got = exchange(
            "body",
            b"POST /hello.txt HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nBODY!\
              GET /hello.txt HTTP/1.1\r\nHost: h\r\n\r\n",
            &[],
        );
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].0.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
        assert_eq!(got[1].1, b"hello\n");
    }

    /// Issue 13: the defect is for the operator; the client gets the plain status page,
    /// and the connection ends (nobody knows where the next request would start).
    #[test]
    fn malformed_heads_get_the_plain_page_and_the_connection_closes() {
        for (wire, status) in [
            (
                &b"GET / HTTP/1.1 extra\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"[..],
                Status::BadRequest,
            ),
            (
                b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxGET / HTTP/1.1\r\n\r\n",
                Status::BadRequest,
            ),
            (b"GET / HTTP/2.0\r\nHost: h\r\n\r\n", Status::VersionNotSupported),
        ] {
            let got = exchange("malformed", wire, &[]);
            assert_eq!(got.len(), 1, "{got:?}");
            let status_line = format!("HTTP/1.1 {} {}\r\n", status.code(), status.reason());
            assert!(got[0].0.starts_with(&status_line), "{}", got[0].0);
            assert!(got[0].0.ends_with("\r\nConnection: close\r\n\r\n"));
            assert_eq!(got[0].1, error_page(status));
        }
    }

    #[test]
    fn http_1_0_closes_unless_it_asks_for_keep_alive() {
        let got = exchange(
            "http10",
            b"GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n\
              GET /hello.txt HTTP/1.0\r\n\r\nGET /hello.txt HTTP/1.0\r\n\r\n",
            &[],
        );
        assert_eq!(got.len(), 2, "the third request is never read: {got:?}");
        assert!(got[0].0.ends_with("\r\nConnection: keep-alive\r\n\r\n"));
        assert!(got[1].0.ends_with("\r\nConnection: close\r\n\r\n"));
    }

    /// RFC 9110 §15.5.9: 408 only for a request that had begun; an idle keep-alive
    /// connection is closed without a word.
    #[test]
    fn deadlines_close_idle_connections_quietly_and_answer_408_to_slow_heads() {
        let limits = Limits {
            head_timeout: Duration::from_millis(300),
            keep_alive_timeout: Duration::from_millis(300),
            ..Limits::default()
        };
        let (_dir, mut client, server) = connect("idle", limits.clone());
        client
            .write_all(b"GET /hello.txt HTTP/1.1\r\nHost: h\r\n\r\n")
            .unwrap();
        let mut got = Vec::new();
        client.read_to_end(&mut got).unwrap();
        server.join().unwrap();
        let got = responses(&got, &[]);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].1, b"hello\n");

        let (_dir, mut client, server) = connect("slow", limits);
        client.write_all(b"GET /hello.txt HTTP/1.1\r\n").unwrap();
        let mut got = Vec::new();
        client.read_to_end(&mut got).unwrap();
        server.join().unwrap();
        let got = responses(&got, &[]);
        assert!(got[0].0.starts_with("HTTP/1.1 408 Request Timeout\r\n"));
        assert_eq!(got[0].1, error_page(Status::RequestTimeout));
    }

    /// Where accepted sockets do not inherit the listener's options (Windows), each
    /// connection sets them; these are the values it sets.
    #[test]
    fn a_connection_sets_its_own_options_where_sockets_do_not_inherit_them() {
        let limits = Limits {
            head_timeout: Duration::from_millis(1500),
            write_timeout: Duration::from_secs(7),
            ..Limits::default()
        };
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let _client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        assert_eq!(
            accepted.read_timeout().unwrap(),
            None,
            "a plain listener gives none"
        );
        set_connection_options(&accepted, &limits).unwrap();
        assert!(accepted.nodelay().unwrap());
        assert_eq!(accepted.read_timeout().unwrap(), Some(limits.head_timeout));
        assert_eq!(
            accepted.write_timeout().unwrap(),
            Some(limits.write_timeout)
        );
    }

    #[test]
    fn refused_connections_get_a_complete_answer_and_an_end() {
        let dir = TempDir::new("refuse");
        let ctx = Context::new(
            Config {
                root: dir.path().to_owned(),
                ..Config::default()
            },
            dir.path().to_owned(),
        );
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let (stream, _) = listener.accept().unwrap();
        refuse(&stream, Status::ServiceUnavailable, &ctx);
        let mut got = Vec::new();
        client.read_to_end(&mut got).unwrap();
        let got = responses(&got, &[]);
        assert!(got[0].0.starts_with("HTTP/1.1 503 Service Unavailable\r\n"));
        assert!(got[0].0.contains("\r\nRetry-After: 1\r\n"));
        assert_eq!(got[0].1, error_page(Status::ServiceUnavailable));
    }
}
