//! Responses: what one is (`Response`, `Body`), the head written into one buffer, error
//! bodies, and streaming a file body; [`transmit`] is the one way a response is sent.
//!
//! It decides nothing about *which* response a request gets (that is `respond/`), nor
//! when the connection reads or closes (that is `connection/`); it only writes one
//! correctly. Status codes live in `http/status.rs`.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, IoSlice, Read, Seek, SeekFrom, Write};
use std::sync::Arc;

use crate::http::date::HttpDate;
use crate::http::request::Version;
pub(crate) use crate::http::status::Status;
use crate::inline::{Recycled, ShortString};

/// The `Server` header value.
pub const SERVER: &str = concat!("servedir/", env!("CARGO_PKG_VERSION"));

/// Bodies up to this size (read from disk, or generated) are sent in the same write as
/// the head: one syscall, and no Nagle/delayed-ACK stall between head and body. Bodies
/// from memory always are.
pub const INLINE_BODY_MAX: u64 = 32 * 1024;

/// The buffer used while streaming a larger file body; allocated only for that body, so
/// an idle connection stays small. std's `io::copy` would use 8 KiB and no sendfile.
const STREAM_BUFFER: usize = 128 * 1024;

/// Where a file response's bytes come from.
#[derive(Debug)]
pub enum Source {
    /// An open file, read while sending.
    Disk(File),
    /// The whole file, from memory.
    Memory(Arc<[u8]>),
}

/// What follows the head.
#[derive(Debug)]
pub enum Body {
    /// No body and no `Content-Length`: a 204 must not have one (RFC 9110 §8.6), and a
    /// 304's must not differ from the 200's (§15.4.5).
    None,
    /// A generated body, e.g. an error page.
    Text(String),
    /// `len` bytes of a file from offset `start`.
    File {
        /// The file, open or in memory.
        source: Source,
        /// Where the bytes start.
        start: u64,
        /// How many bytes; the `Content-Length`.
        len: u64,
    },
    /// A live page's event stream (`--live`): no `Content-Length` (it ends when the
    /// connection does); `transmit` sends the head, the connection layer the events.
    Events(Box<crate::respond::live::watch::Watch>),
    /// Text and ranges of one file, in turn: `multipart/byteranges` (RFC 9110 §14.6: each
    /// part's delimiter and fields, then its bytes, then the closing delimiter), or a
    /// live page (`--live`: the file up to `</body>`, then the script tag and the rest),
    /// sent from the file as it goes, never copied into memory.
    Spliced {
        /// The file, open or in memory.
        source: Source,
        /// The parts in order.
        parts: Vec<Part>,
        /// Text after the last part: multipart's closing delimiter `\r\n--BOUNDARY--\r\n`.
        closing: String,
    },
}

/// One part of a [`Body::Spliced`]: text, then a range of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Text before the range: a multipart delimiter and part fields, up to and including
    /// the empty line; a live page's script tag.
    pub header: String,
    /// The first byte of the range in the file.
    pub start: u64,
    /// How many bytes.
    pub len: u64,
}

impl Body {
    /// The `Content-Length` of this body, computed before anything is sent.
    pub fn content_length(&self) -> u64 {
        match self {
            Body::None | Body::Events(_) => 0,
            Body::Text(s) => s.len() as u64,
            Body::File { len, .. } => *len,
            Body::Spliced { parts, closing, .. } => {
                let parts: u64 = parts.iter().map(|p| p.header.len() as u64 + p.len).sum();
                parts + closing.len() as u64
            }
        }
    }
}

/// A response's own fields, in the order they are sent; values are short strings held in
/// place. The list itself is recycled (`inline::Recycled`): a response is moved a few
/// times per request, and a list held in place made every frame on the way larger (the
/// touched stack of an idle connection's thread is most of what it costs).
pub type Fields = Recycled<(&'static str, ShortString)>;

/// A response ready to be written.
#[derive(Debug)]
pub struct Response {
    /// The status.
    pub status: Status,
    /// `Content-Type`, or `None` to send none.
    pub content_type: Option<Cow<'static, str>>,
    /// Fields beyond those every response carries (Location, Allow, Last-Modified, ...).
    pub headers: Fields,
    /// The body (sent for GET, described but not sent for HEAD).
    pub body: Body,
}

impl Response {
    /// A short HTML page naming the status, and nothing else: internal details never
    /// reach the client.
    pub fn error(status: Status) -> Response {
        let (code, reason) = (status.code(), status.reason());
        let page = format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{code} {reason}</title></head>\n\
             <body><h1>{code} {reason}</h1></body></html>\n"
        );
        Response {
            status,
            content_type: Some(Cow::Borrowed("text/html; charset=utf-8")),
            headers: Fields::new(),
            body: Body::Text(page),
        }
    }

    /// Adds a header field.
    pub fn with(mut self, name: &'static str, value: impl Into<ShortString>) -> Response {
        self.headers.push((name, value.into()));
        self
    }
}

/// How the connection continues after this response, as told in `Connection`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persistence {
    /// HTTP/1.1 default: no `Connection` field needed.
    KeepAlive,
    /// HTTP/1.0 client that asked for keep-alive: `Connection: keep-alive`.
    KeepAlive10,
    /// The server closes after this response: `Connection: close`.
    Close,
}

impl Persistence {
    /// How a connection continues that may (`persist`) or may not persist, for a client
    /// speaking `version`: HTTP/1.0 must be told keep-alive (RFC 9112 §9.3).
    pub fn after(persist: bool, version: Version) -> Persistence {
        match (persist, version) {
            (false, _) => Persistence::Close,
            (true, Version::Http11) => Persistence::KeepAlive,
            (true, Version::Http10) => Persistence::KeepAlive10,
        }
    }
}

/// How a response goes on the wire, beside the response itself.
#[derive(Debug, Clone, Copy)]
pub struct Wire {
    /// The `Date`, in Unix seconds.
    pub now: u64,
    /// The `Connection` field.
    pub persistence: Persistence,
    /// Whether the body is sent (false for HEAD: described, not sent).
    pub body: bool,
    /// A fault rule's `cut:BYTES`: the head announces the whole body, then only this
    /// many body bytes are sent and the send fails (the caller closes).
    pub cut: Option<u64>,
}

/// The one way a response is sent: writes `resp`'s head into `out` (emptied first), then
/// sends head and body through `to`. `extra` are the configured fields every response
/// carries.
///
/// Returns the head's length, so that a response cut short can log the body bytes really
/// sent, and how the sending went.
///
/// # Errors
/// As [`send`]: any write error, or a file that ended before its announced length; the
/// caller must then close the connection.
pub fn transmit<W: Write>(
    to: &mut W,
    out: &mut Vec<u8>,
    resp: Response,
    wire: Wire,
    extra: &[(String, String)],
) -> (u64, io::Result<()>) {
    out.clear();
    write_head(out, &resp, wire.now, wire.persistence, extra);
    let head_len = out.len() as u64;
    let sent = match wire.cut {
        Some(cut) if wire.body => {
            let left = head_len.saturating_add(cut);
            send(&mut Cut { to, left }, out, resp.body, true)
        }
        _ => send(to, out, resp.body, wire.body),
    };
    (head_len, sent)
}

/// A writer that takes `left` bytes, then fails: a body cut by a fault rule.
struct Cut<'a, W> {
    to: &'a mut W,
    left: u64,
}

impl<W: Write> Write for Cut<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.left == 0 && !buf.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "body cut by a fault rule",
            ));
        }
        let n = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let wrote = self.to.write(&buf[..n])?;
        self.left -= wrote as u64;
        Ok(wrote)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.to.flush()
    }
}

/// Writes the status line and header fields, ending with the empty line; `extra` are
/// the configured fields every response carries.
fn write_head(
    out: &mut Vec<u8>,
    resp: &Response,
    now_secs: u64,
    persistence: Persistence,
    extra: &[(String, String)],
) {
    // A configured field replaces servedir's own field of that name, rather than
    // doubling it (two Access-Control-Allow-Origin fields make browsers refuse both);
    // except `Vary`, a list whose repeated fields add up (RFC 9110 §5.3, §12.5.5): a
    // configured `Vary: Origin` must not hide that a sidecar varies by Accept-Encoding.
    let ours = |name: &str| {
        name.eq_ignore_ascii_case("vary")
            || !extra.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    // Plain byte pushes rather than `write!`: this runs for every response.
    out.extend_from_slice(b"HTTP/1.1 ");
    push_decimal(out, u64::from(resp.status.code()));
    out.push(b' ');
    out.extend_from_slice(resp.status.reason().as_bytes());
    out.extend_from_slice(b"\r\n");
    if ours("Date") {
        out.extend_from_slice(b"Date: ");
        push_date(out, now_secs);
        out.extend_from_slice(b"\r\n");
    }
    if ours("Server") {
        push_field(out, "Server", SERVER);
    }
    if let Some(ct) = resp.content_type.as_ref().filter(|_| ours("Content-Type")) {
        push_field(out, "Content-Type", ct);
    }
    if !matches!(resp.body, Body::None | Body::Events(_)) {
        out.extend_from_slice(b"Content-Length: ");
        push_decimal(out, resp.body.content_length());
        out.extend_from_slice(b"\r\n");
    }
    for (name, value) in resp.headers.iter().filter(|(n, _)| ours(n)) {
        push_field(out, name, value);
    }
    for (name, value) in extra {
        push_field(out, name, value);
    }
    if ours("X-Content-Type-Options") {
        out.extend_from_slice(b"X-Content-Type-Options: nosniff\r\n");
    }
    match persistence {
        Persistence::KeepAlive => {}
        Persistence::KeepAlive10 => out.extend_from_slice(b"Connection: keep-alive\r\n"),
        Persistence::Close => out.extend_from_slice(b"Connection: close\r\n"),
    }
    out.extend_from_slice(b"\r\n");
}

/// Appends `name: value` and its line end.
fn push_field(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Appends `n` in decimal.
fn push_decimal(out: &mut Vec<u8>, n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

/// Appends the IMF-fixdate for `secs`, formatted once per second per thread: every
/// response carries a Date, and they all share the same few values.
fn push_date(out: &mut Vec<u8>, secs: u64) {
    thread_local! {
        static CACHE: std::cell::Cell<(u64, [u8; 29])> = const { std::cell::Cell::new((u64::MAX, [0; 29])) };
    }
    CACHE.with(|cache| {
        let (cached, mut text) = cache.get();
        if cached != secs {
            text = HttpDate(secs).to_bytes();
            cache.set((secs, text));
        }
        out.extend_from_slice(&text);
    });
}

/// Sends `head` (already in `out`) followed by the body, unless `send_body` is false.
///
/// Small bodies go out in the same write as the head; a large text is written beside the
/// head (one `writev`), not copied into `out`. A file is streamed through a buffer held
/// only for this call, whatever its size.
///
/// # Errors
/// Any write error, or `UnexpectedEof` if the file ended before its announced length
/// (it was truncated while being sent); the caller must then close the connection,
/// because the client was promised more bytes than exist.
fn send<W: Write>(
    stream: &mut W,
    out: &mut Vec<u8>,
    body: Body,
    send_body: bool,
) -> io::Result<()> {
    if !send_body {
        return stream.write_all(out);
    }
    match body {
        Body::None | Body::Events(_) => stream.write_all(out),
        // A large text (a directory listing) is written from where it lies, never copied
        // after the head: issue 12 item 6 found a 1.8 MB listing held twice per slow reader.
        Body::Text(text) if text.len() as u64 > INLINE_BODY_MAX => {
            write_both(stream, out, text.as_bytes())
        }
        Body::Text(text) => {
            out.extend_from_slice(text.as_bytes());
            stream.write_all(out)
        }
        Body::File {
            mut source,
            start,
            len,
        } => send_range(stream, out, &mut source, start, len),
        Body::Spliced {
            mut source,
            parts,
            closing,
        } => {
            for part in parts {
                out.extend_from_slice(part.header.as_bytes());
                send_range(stream, out, &mut source, part.start, part.len)?;
            }
            out.extend_from_slice(closing.as_bytes());
            stream.write_all(out)
        }
    }
}

/// Sends what `out` holds followed by `len` bytes of `source` from `start`, and leaves
/// `out` empty. A body from memory goes out with the head in one `writev`, whatever its
/// size; one read from disk, when up to [`INLINE_BODY_MAX`].
fn send_range<W: Write>(
    stream: &mut W,
    out: &mut Vec<u8>,
    source: &mut Source,
    start: u64,
    len: u64,
) -> io::Result<()> {
    match source {
        Source::Disk(file) => send_file_range(stream, out, file, start, len),
        Source::Memory(bytes) => {
            let first = usize::try_from(start).ok();
            let Some(slice) = first
                .zip(usize::try_from(len).ok())
                .and_then(|(first, n)| bytes.get(first..first.checked_add(n)?))
            else {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "file shorter than announced",
                ));
            };
            // Head and body in one writev, without copying the body: the head buffer
            // stays the size of a head, so a connection never grows (and, idle, never
            // shrinks and grows again) a buffer per response (issue 17).
            write_both(stream, out, slice)?;
            out.clear();
            Ok(())
        }
    }
}

/// Writes all of `first`, then all of `second`, in as few syscalls as the stream allows.
fn write_both<W: Write>(stream: &mut W, first: &[u8], second: &[u8]) -> io::Result<()> {
    let mut slices = [IoSlice::new(first), IoSlice::new(second)];
    let mut rest = &mut slices[..];
    IoSlice::advance_slices(&mut rest, 0);
    while !rest.is_empty() {
        match stream.write_vectored(rest) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut rest, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// [`send_range`] from an open file, through a buffer.
fn send_file_range<W: Write>(
    stream: &mut W,
    out: &mut Vec<u8>,
    file: &mut File,
    start: u64,
    len: u64,
) -> io::Result<()> {
    if start > 0 {
        file.seek(SeekFrom::Start(start))?;
    }
    let mut file = file.take(len);
    let chunk = if len <= INLINE_BODY_MAX {
        len as usize
    } else {
        STREAM_BUFFER
    };
    out.reserve(chunk);
    let mut sent = 0u64;
    loop {
        let at = out.len();
        let want = chunk.min((len - sent) as usize);
        out.resize(at + want, 0);
        let filled = read_full(&mut file, &mut out[at..])?;
        out.truncate(at + filled);
        sent += filled as u64;
        if !out.is_empty() {
            stream.write_all(out)?;
            out.clear();
        }
        if sent == len {
            return Ok(());
        }
        if filled < want {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "file shrank while being sent",
            ));
        }
    }
}

/// Reads until `buf` is full or the file ends; returns the bytes read.
fn read_full(file: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head_text(resp: &Response, p: Persistence) -> String {
        let mut out = Vec::new();
        write_head(&mut out, resp, 784_111_777, p, &[]);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn error_head_and_body() {
        let resp = Response::error(Status::NotFound).with("X-Test", "1");
        let text = head_text(&resp, Persistence::Close);
        let body = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>404 Not Found</title></head>\n<body><h1>404 Not Found</h1></body></html>\n";
        assert_eq!(
            text,
            format!(
                "HTTP/1.1 404 Not Found\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nServer: {SERVER}\r\n\
                 Content-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nX-Test: 1\r\n\
                 X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
                body.len()
            )
        );
        assert!(matches!(resp.body, Body::Text(ref b) if b == body));
    }

    #[test]
    fn configured_fields_replace_ours() {
        let resp = Response::error(Status::Ok).with("Cache-Control", "no-cache");
        let extra = [
            ("cache-control".to_owned(), "max-age=60".to_owned()),
            ("Server".to_owned(), "x".to_owned()),
        ];
        let mut out = Vec::new();
        write_head(&mut out, &resp, 0, Persistence::KeepAlive, &extra);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text.to_ascii_lowercase().matches("cache-control").count(),
            1,
            "{text}"
        );
        assert!(text.contains("cache-control: max-age=60\r\n"), "{text}");
        assert_eq!(text.matches("Server").count(), 1, "{text}");
        assert!(text.contains("Content-Length: "), "{text}");
    }

    /// A configured `Vary: Origin` (common beside CORS) hid the `Vary: Accept-Encoding`
    /// of a file with sidecars, so a shared cache could give brotli bytes to anyone.
    #[test]
    fn a_configured_vary_adds_to_ours() {
        let resp = Response::error(Status::Ok).with("Vary", "Accept-Encoding");
        let extra = [("Vary".to_owned(), "Origin".to_owned())];
        let mut out = Vec::new();
        write_head(&mut out, &resp, 0, Persistence::KeepAlive, &extra);
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("\r\nVary: Accept-Encoding\r\n"), "{text}");
        assert!(text.contains("\r\nVary: Origin\r\n"), "{text}");
    }

    #[test]
    fn persistence_follows_the_version() {
        use Version::*;
        assert_eq!(Persistence::after(false, Http11), Persistence::Close);
        assert_eq!(Persistence::after(false, Http10), Persistence::Close);
        assert_eq!(Persistence::after(true, Http11), Persistence::KeepAlive);
        assert_eq!(Persistence::after(true, Http10), Persistence::KeepAlive10);
    }

    #[test]
    fn transmit_sends_the_head_then_the_body_and_says_how_long_the_head_was() {
        let mut wire = Vec::new();
        let mut out = b"stale bytes from the last response".to_vec();
        let how = Wire {
            now: 784_111_777,
            persistence: Persistence::Close,
            body: true,
            cut: None,
        };
        let resp = Response::error(Status::NotFound);
        let head = head_text(&resp, Persistence::Close);
        let (head_len, sent) = transmit(&mut wire, &mut out, resp, how, &[]);
        sent.unwrap();
        assert_eq!(head_len, head.len() as u64);
        assert!(wire.starts_with(head.as_bytes()));
        assert!(wire.ends_with(b"<body><h1>404 Not Found</h1></body></html>\n"));
        let mut wire = Vec::new();
        let how = Wire { body: false, ..how };
        let (_, sent) = transmit(
            &mut wire,
            &mut out,
            Response::error(Status::NotFound),
            how,
            &[],
        );
        sent.unwrap();
        assert_eq!(wire, head.as_bytes(), "HEAD: the head alone");
    }

    #[test]
    fn persistence_fields() {
        let resp = Response::error(Status::Ok);
        assert!(!head_text(&resp, Persistence::KeepAlive).contains("Connection"));
        assert!(
            head_text(&resp, Persistence::KeepAlive10).contains("\r\nConnection: keep-alive\r\n")
        );
    }

    fn temp_file(name: &str, bytes: &[u8]) -> (std::path::PathBuf, File) {
        let path =
            std::env::temp_dir().join(format!("servedir-resp-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        let file = File::open(&path).unwrap();
        (path, file)
    }

    #[test]
    fn sends_files_of_every_size_exactly() {
        for size in [
            0usize,
            1,
            100,
            INLINE_BODY_MAX as usize,
            INLINE_BODY_MAX as usize + 1,
            3 * STREAM_BUFFER + 7,
        ] {
            let data: Vec<u8> = (0..size).map(|i| (i * 7 % 251) as u8).collect();
            let (path, file) = temp_file(&format!("{size}"), &data);
            let mut out = b"HEAD\r\n".to_vec();
            let mut wire = Vec::new();
            send(
                &mut wire,
                &mut out,
                Body::File {
                    source: Source::Disk(file),
                    start: 0,
                    len: size as u64,
                },
                true,
            )
            .unwrap();
            assert_eq!(&wire[..6], b"HEAD\r\n");
            assert_eq!(wire[6..], data[..], "size {size}");
            std::fs::remove_file(path).unwrap();
        }
    }

    #[test]
    fn a_file_shorter_than_announced_is_an_error() {
        for (actual, announced) in [
            (10usize, 20u64),
            (STREAM_BUFFER + 5, STREAM_BUFFER as u64 * 2),
            (0, 1),
        ] {
            let (path, file) = temp_file(&format!("short{actual}"), &vec![b'x'; actual]);
            let mut out = b"H".to_vec();
            let mut wire = Vec::new();
            let err = send(
                &mut wire,
                &mut out,
                Body::File {
                    source: Source::Disk(file),
                    start: 0,
                    len: announced,
                },
                true,
            )
            .unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
            std::fs::remove_file(path).unwrap();
        }
    }

    #[test]
    fn a_file_longer_than_announced_sends_only_the_announced_bytes() {
        let (path, file) = temp_file("long", b"0123456789");
        let mut out = Vec::new();
        let mut wire = Vec::new();
        send(
            &mut wire,
            &mut out,
            Body::File {
                source: Source::Disk(file),
                start: 0,
                len: 4,
            },
            true,
        )
        .unwrap();
        assert_eq!(wire, b"0123");
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn ranges_and_multipart_bodies_send_exactly_the_announced_bytes() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
        let (path, file) = temp_file("range", &data);
        let mut wire = Vec::new();
        let body = Body::File {
            source: Source::Disk(file),
            start: 150_000,
            len: 40_000,
        };
        assert_eq!(body.content_length(), 40_000);
        send(&mut wire, &mut Vec::new(), body, true).unwrap();
        assert_eq!(wire, &data[150_000..190_000]);

        let parts = vec![
            Part {
                header: "--B\r\n\r\n".into(),
                start: 10,
                len: 5,
            },
            Part {
                header: "\r\n--B\r\n\r\n".into(),
                start: 100_000,
                len: 70_000,
            },
        ];
        let body = Body::Spliced {
            source: Source::Disk(File::open(&path).unwrap()),
            parts,
            closing: "\r\n--B--\r\n".into(),
        };
        let announced = body.content_length();
        let mut wire = Vec::new();
        send(&mut wire, &mut b"HEAD".to_vec(), body, true).unwrap();
        let mut want = b"HEAD--B\r\n\r\n".to_vec();
        want.extend_from_slice(&data[10..15]);
        want.extend_from_slice(b"\r\n--B\r\n\r\n");
        want.extend_from_slice(&data[100_000..170_000]);
        want.extend_from_slice(b"\r\n--B--\r\n");
        assert_eq!(wire.len() as u64, announced + 4);
        assert!(wire == want);
        std::fs::remove_file(path).unwrap();
    }

    /// A writer that takes at most 7 bytes per call, vectored or not.
    struct Trickle(Vec<u8>);

    impl Write for Trickle {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let n = buf.len().min(7);
            self.0.extend_from_slice(&buf[..n]);
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn bodies_from_memory_send_exactly_the_announced_bytes() {
        let data: std::sync::Arc<[u8]> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        for (start, len) in [
            (0u64, 0u64),
            (0, 10),
            (5, 1000),
            (0, 100_000),
            (99_999, 1),
            (10, 60_000),
        ] {
            let body = Body::File {
                source: Source::Memory(data.clone()),
                start,
                len,
            };
            let mut wire = Trickle(Vec::new());
            send(&mut wire, &mut b"HEAD".to_vec(), body, true).unwrap();
            let (a, b) = (start as usize, (start + len) as usize);
            assert_eq!(&wire.0[..4], b"HEAD");
            assert!(wire.0[4..] == data[a..b], "{start}+{len}");
        }
        // Bytes the memory does not hold are an error, never a panic or a short body.
        for (start, len) in [
            (0u64, 100_001u64),
            (100_000, 1),
            (u64::MAX, 2),
            (1 << 40, 1),
        ] {
            let body = Body::File {
                source: Source::Memory(data.clone()),
                start,
                len,
            };
            assert!(send(&mut Vec::new(), &mut Vec::new(), body, true).is_err());
        }
    }

    #[test]
    fn not_modified_has_no_content_length() {
        let resp = Response {
            status: Status::NotModified,
            content_type: None,
            headers: Fields::new(),
            body: Body::None,
        };
        assert!(!head_text(&resp, Persistence::KeepAlive).contains("Content-Length"));
    }

    /// Issue 12 item 6: a large text body (a listing) is sent from where it lies, not
    /// copied into the head buffer, so it is held once while a slow client reads it.
    #[test]
    fn large_text_bodies_are_not_copied_into_the_head_buffer() {
        for len in [
            0,
            10,
            INLINE_BODY_MAX as usize,
            INLINE_BODY_MAX as usize + 1,
            600_000,
        ] {
            let text: String = (0..len)
                .map(|i| char::from(b'a' + (i % 26) as u8))
                .collect();
            let mut out = b"HEAD".to_vec();
            let mut wire = Trickle(Vec::new());
            send(&mut wire, &mut out, Body::Text(text.clone()), true).unwrap();
            assert_eq!(&wire.0[..4], b"HEAD");
            assert!(wire.0[4..] == *text.as_bytes(), "{len}");
            if len as u64 > INLINE_BODY_MAX {
                assert!(out.capacity() < len, "{len} bytes copied after the head");
            }
        }
    }

    #[test]
    fn head_requests_get_no_body() {
        let mut out = b"H".to_vec();
        let mut wire = Vec::new();
        send(&mut wire, &mut out, Body::Text("body".into()), false).unwrap();
        assert_eq!(wire, b"H");
    }
}
