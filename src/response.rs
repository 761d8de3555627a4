//! Responses: status codes, the head written into one buffer, error bodies, and
//! streaming a file body.
//!
//! It decides nothing about *which* response a request gets (that is `connection.rs`);
//! it only writes one correctly.

use std::fs::File;
use std::io::{self, Read, Write};

use crate::date::HttpDate;

/// The `Server` header value.
pub const SERVER: &str = concat!("servedir/", env!("CARGO_PKG_VERSION"));

/// Bodies up to this size are sent in the same write as the head: one syscall, and no
/// Nagle/delayed-ACK stall between head and body.
pub const INLINE_BODY_MAX: u64 = 32 * 1024;

/// The buffer used while streaming a larger file body; allocated only for that body, so
/// an idle connection stays small. std's `io::copy` would use 8 KiB and no sendfile.
const STREAM_BUFFER: usize = 128 * 1024;

/// The statuses servedir answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// 200
    Ok,
    /// 301
    MovedPermanently,
    /// 400
    BadRequest,
    /// 403
    Forbidden,
    /// 404
    NotFound,
    /// 405
    MethodNotAllowed,
    /// 408
    RequestTimeout,
    /// 413
    ContentTooLarge,
    /// 414
    UriTooLong,
    /// 431
    HeaderFieldsTooLarge,
    /// 500
    InternalServerError,
    /// 501
    NotImplemented,
    /// 503
    ServiceUnavailable,
    /// 505
    VersionNotSupported,
}

impl Status {
    /// The three-digit code.
    pub fn code(self) -> u16 {
        match self {
            Status::Ok => 200,
            Status::MovedPermanently => 301,
            Status::BadRequest => 400,
            Status::Forbidden => 403,
            Status::NotFound => 404,
            Status::MethodNotAllowed => 405,
            Status::RequestTimeout => 408,
            Status::ContentTooLarge => 413,
            Status::UriTooLong => 414,
            Status::HeaderFieldsTooLarge => 431,
            Status::InternalServerError => 500,
            Status::NotImplemented => 501,
            Status::ServiceUnavailable => 503,
            Status::VersionNotSupported => 505,
        }
    }

    /// The reason phrase (RFC 9110 §15).
    pub fn reason(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::MovedPermanently => "Moved Permanently",
            Status::BadRequest => "Bad Request",
            Status::Forbidden => "Forbidden",
            Status::NotFound => "Not Found",
            Status::MethodNotAllowed => "Method Not Allowed",
            Status::RequestTimeout => "Request Timeout",
            Status::ContentTooLarge => "Content Too Large",
            Status::UriTooLong => "URI Too Long",
            Status::HeaderFieldsTooLarge => "Request Header Fields Too Large",
            Status::InternalServerError => "Internal Server Error",
            Status::NotImplemented => "Not Implemented",
            Status::ServiceUnavailable => "Service Unavailable",
            Status::VersionNotSupported => "HTTP Version Not Supported",
        }
    }

    /// The one place a filesystem error becomes a status: missing → 404, permission
    /// denied → 403, anything else → 500 (details go to the log only).
    pub fn from_io_error(err: &io::Error) -> Status {
        match err.kind() {
            io::ErrorKind::NotFound
            | io::ErrorKind::NotADirectory
            | io::ErrorKind::InvalidFilename => Status::NotFound,
            io::ErrorKind::PermissionDenied => Status::Forbidden,
            _ => Status::InternalServerError,
        }
    }
}

/// What follows the head.
#[derive(Debug)]
pub enum Body {
    /// A generated body, e.g. an error page.
    Text(String),
    /// `len` bytes read from the current position of `file`.
    File {
        /// The open file.
        file: File,
        /// The length announced in `Content-Length`.
        len: u64,
    },
}

impl Body {
    /// The `Content-Length` of this body.
    pub fn content_length(&self) -> u64 {
        match self {
            Body::Text(s) => s.len() as u64,
            Body::File { len, .. } => *len,
        }
    }
}

/// A response ready to be written.
#[derive(Debug)]
pub struct Response {
    /// The status.
    pub status: Status,
    /// `Content-Type`, or `None` to send none.
    pub content_type: Option<&'static str>,
    /// Fields beyond those every response carries (Location, Allow, Last-Modified, ...).
    pub headers: Vec<(&'static str, String)>,
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
            content_type: Some("text/html; charset=utf-8"),
            headers: Vec::new(),
            body: Body::Text(page),
        }
    }

    /// Adds a header field.
    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Response {
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

/// Writes the status line and header fields, ending with the empty line.
pub fn write_head(out: &mut Vec<u8>, resp: &Response, now_secs: u64, persistence: Persistence) {
    // Writing into a Vec cannot fail.
    let _ = write!(
        out,
        "HTTP/1.1 {} {}\r\nDate: {}\r\nServer: {SERVER}\r\n",
        resp.status.code(),
        resp.status.reason(),
        HttpDate(now_secs)
    );
    if let Some(ct) = resp.content_type {
        let _ = write!(out, "Content-Type: {ct}\r\n");
    }
    let _ = write!(out, "Content-Length: {}\r\n", resp.body.content_length());
    for (name, value) in &resp.headers {
        let _ = write!(out, "{name}: {value}\r\n");
    }
    out.extend_from_slice(b"X-Content-Type-Options: nosniff\r\n");
    match persistence {
        Persistence::KeepAlive => {}
        Persistence::KeepAlive10 => out.extend_from_slice(b"Connection: keep-alive\r\n"),
        Persistence::Close => out.extend_from_slice(b"Connection: close\r\n"),
    }
    out.extend_from_slice(b"\r\n");
}

/// Sends `head` (already in `out`) followed by the body, unless `send_body` is false.
///
/// Small bodies go out in the same write as the head. A file is streamed through a
/// buffer held only for this call, whatever its size.
///
/// # Errors
/// Any write error, or `UnexpectedEof` if the file ended before its announced length
/// (it was truncated while being sent); the caller must then close the connection,
/// because the client was promised more bytes than exist.
pub fn send<W: Write>(
    stream: &mut W,
    out: &mut Vec<u8>,
    body: Body,
    send_body: bool,
) -> io::Result<()> {
    if !send_body {
        return stream.write_all(out);
    }
    match body {
        Body::Text(text) => {
            out.extend_from_slice(text.as_bytes());
            stream.write_all(out)
        }
        Body::File { file, len } => send_file(stream, out, file, len),
    }
}

fn send_file<W: Write>(stream: &mut W, out: &mut Vec<u8>, file: File, len: u64) -> io::Result<()> {
    let mut file = file.take(len);
    let chunk = if len <= INLINE_BODY_MAX {
        len as usize
    } else {
        STREAM_BUFFER
    };
    // The head stays at the front of the first chunk: head and body in one write.
    let head_len = out.len();
    out.reserve(chunk);
    let mut sent = 0u64;
    let mut start = head_len;
    loop {
        let want = chunk.min((len - sent) as usize);
        out.resize(start + want, 0);
        let filled = read_full(&mut file, &mut out[start..])?;
        out.truncate(start + filled);
        sent += filled as u64;
        if !out.is_empty() {
            stream.write_all(out)?;
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
        out.clear();
        start = 0;
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
        write_head(&mut out, resp, 784_111_777, p);
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
    fn persistence_fields() {
        let resp = Response::error(Status::Ok);
        assert!(!head_text(&resp, Persistence::KeepAlive).contains("Connection"));
        assert!(
            head_text(&resp, Persistence::KeepAlive10).contains("\r\nConnection: keep-alive\r\n")
        );
    }

    #[test]
    fn io_errors_map_to_statuses() {
        use io::ErrorKind::*;
        for (kind, code) in [
            (NotFound, 404),
            (NotADirectory, 404),
            (PermissionDenied, 403),
            (Other, 500),
            (InvalidData, 500),
        ] {
            assert_eq!(
                Status::from_io_error(&io::Error::from(kind)).code(),
                code,
                "{kind:?}"
            );
        }
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
                    file,
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
                    file,
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
        send(&mut wire, &mut out, Body::File { file, len: 4 }, true).unwrap();
        assert_eq!(wire, b"0123");
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn head_requests_get_no_body() {
        let mut out = b"H".to_vec();
        let mut wire = Vec::new();
        send(&mut wire, &mut out, Body::Text("body".into()), false).unwrap();
        assert_eq!(wire, b"H");
    }
}
