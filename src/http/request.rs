//! The request head: find where it ends in a buffer and parse it (RFC 9112 §2–§5).
//!
//! Pure and borrowing: `parse_head` looks at bytes already read and says "complete",
//! "need more bytes" (not an error), or which defect makes it unanswerable. Reading from
//! the socket, deadlines and bodies belong to `connection/`; what the head says about
//! body framing and persistence, to `framing.rs`.

use crate::http::status::Status;
use crate::inline::{self, spares, Spare};

/// The HTTP version of a request, as servedir answers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// HTTP/1.0: the connection closes unless the client asks for keep-alive.
    Http10,
    /// HTTP/1.1, or a later 1.x minor version, answered as 1.1 (RFC 9110 §2.5).
    Http11,
}

/// One header field; the value has surrounding whitespace removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Header<'a> {
    /// The field name as sent (compare it case-insensitively).
    pub name: &'a str,
    /// The raw value: visible ASCII, spaces, tabs and obs-text (RFC 9110 §5.5).
    pub value: &'a [u8],
}

/// A parsed request head, borrowing from the connection's buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head<'a> {
    /// The method token; case-sensitive (RFC 9110 §9.1).
    pub method: &'a str,
    /// The request-target as sent; see `target.rs` for what it means.
    pub target: &'a str,
    /// The version as sent, for the access log (e.g. `HTTP/1.1`).
    pub version_text: &'a str,
    /// The version servedir answers with.
    pub version: Version,
    /// The header fields in order.
    pub headers: Headers<'a>,
}

/// A head's fields in order (a slice, through `Deref`). The list's buffer is recycled:
/// dropped, it goes to its thread's spares (`inline::Spare`), and the next head parsed on that thread
/// starts from it, so parsing a request allocates nothing once a thread has served one
/// (issue 17; held in place instead, the fields made every frame holding a head larger).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Headers<'a>(Vec<Header<'a>>);

/// A spare buffer larger than this many fields is freed rather than kept.
const SPARE_MAX: usize = 64;

impl Spare for Vec<Header<'static>> {
    spares!(Vec<Header<'static>>);
    fn reset(&mut self) -> bool {
        self.clear();
        (1..=SPARE_MAX).contains(&self.capacity())
    }
}

impl<'a> Headers<'a> {
    /// No fields, on this thread's spare buffer.
    pub fn new() -> Headers<'a> {
        Headers(relabel(inline::take()))
    }

    /// Appends a field.
    pub fn push(&mut self, header: Header<'a>) {
        self.0.push(header);
    }
}

impl Default for Headers<'_> {
    fn default() -> Self {
        Headers::new()
    }
}

impl<'a> std::ops::Deref for Headers<'a> {
    type Target = [Header<'a>];
    fn deref(&self) -> &[Header<'a>] {
        &self.0
    }
}

impl Drop for Headers<'_> {
    fn drop(&mut self) {
        inline::give_back::<Vec<Header<'static>>>(relabel(std::mem::take(&mut self.0)));
    }
}

/// The same buffer, emptied, for fields borrowing from another request: an empty list
/// is collected in place (same size and alignment), so no allocation is made.
fn relabel<'b>(mut fields: Vec<Header<'_>>) -> Vec<Header<'b>> {
    fields.clear();
    fields.into_iter().map(|_| Header::default()).collect()
}

impl<'a> Head<'a> {
    /// The value of the first field named `name` (ASCII case-insensitive), if it is UTF-8.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .and_then(|h| std::str::from_utf8(h.value).ok())
    }

    /// Every value of the fields named `name` that is UTF-8, joined by ", " when the field
    /// is repeated, as RFC 9110 §5.3 allows for list-based fields.
    pub fn joined(&self, name: &str) -> Option<std::borrow::Cow<'a, str>> {
        let mut values = self
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(name))
            .filter_map(|h| std::str::from_utf8(h.value).ok());
        let mut all = std::borrow::Cow::Borrowed(values.next()?);
        for more in values {
            let all = all.to_mut();
            all.push_str(", ");
            all.push_str(more);
        }
        Some(all)
    }

    /// How many fields are named `name` (ASCII case-insensitive).
    pub fn count(&self, name: &str) -> usize {
        self.headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(name))
            .count()
    }

    /// Whether a `Connection` field lists `option` (e.g. `close`, `keep-alive`).
    pub fn connection_has(&self, option: &str) -> bool {
        self.headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case("connection"))
            .flat_map(|h| h.value.split(|&b| b == b','))
            .any(|tok| trim_ows_bytes(tok).eq_ignore_ascii_case(option.as_bytes()))
    }
}

/// What a buffer holds so far.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed<'a> {
    /// A whole head; `len` bytes of the buffer belong to it (what follows is the body
    /// or the next pipelined request).
    Complete {
        /// The head.
        head: Head<'a>,
        /// Bytes consumed, including the empty line that ends the head.
        len: usize,
    },
    /// The head has not ended yet: read more (this is not an error).
    Partial,
}

/// Why a head cannot be answered normally. Each knows its status; the text is for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadError {
    /// The request line alone exceeds the head limit → 414.
    UriTooLong,
    /// The head exceeds the byte limit or the header count limit → 431.
    TooLarge,
    /// A major version other than 1 → 505.
    VersionNotSupported,
    /// Anything else malformed → 400.
    Malformed(&'static str),
}

impl HeadError {
    /// The status to answer with.
    pub fn status(self) -> Status {
        match self {
            HeadError::UriTooLong => Status::UriTooLong,
            HeadError::TooLarge => Status::HeaderFieldsTooLarge,
            HeadError::VersionNotSupported => Status::VersionNotSupported,
            HeadError::Malformed(_) => Status::BadRequest,
        }
    }

    /// A short description for the log, never sent to the client.
    pub fn as_str(self) -> &'static str {
        match self {
            HeadError::UriTooLong => "request line too long",
            HeadError::TooLarge => "request head too large",
            HeadError::VersionNotSupported => "HTTP version not supported",
            HeadError::Malformed(why) => why,
        }
    }
}

/// Where the head at the start of `buf` ends, if it is complete: a scan that parses
/// nothing once the head is whole, so a connection waiting for bytes does not parse the
/// head twice. Defects visible in an incomplete head are reported at once.
///
/// # Errors
/// As [`parse_head`], for what can be seen before the head is complete.
pub fn head_len(buf: &[u8], max_bytes: usize) -> Result<Option<usize>, HeadError> {
    Ok(head_bounds(buf, max_bytes)?.map(|(_, end)| end))
}

/// Where the request line starts (empty lines before it are skipped) and where the head
/// ends, once it is complete; see [`head_len`].
fn head_bounds(buf: &[u8], max_bytes: usize) -> Result<Option<(usize, usize)>, HeadError> {
    let start = request_line_start(buf);
    let Some(end) = find_head_end(buf, start) else {
        if buf.len() > max_bytes {
            return Err(too_large(buf, start, max_bytes));
        }
        // A defect may already be visible in the complete lines: reject early so a
        // hostile client cannot make us wait for a head that is already invalid.
        if let Some(nl) = buf[start..].iter().position(|&b| b == b'\n') {
            parse_request_line(trim_cr(&buf[start..start + nl]))?;
        } else if buf[start..]
            .iter()
            .take_while(|&&b| b != b' ')
            .any(|&b| !is_tchar(b))
        {
            // Not even a method: TLS on the plain port (0x16 ...) or binary noise.
            return Err(HeadError::Malformed("bad method token"));
        }
        return Ok(None);
    };
    if end > max_bytes {
        return Err(too_large(buf, start, max_bytes));
    }
    Ok(Some((start, end)))
}

/// Looks for a complete head at the start of `buf` and parses it.
///
/// `max_bytes` bounds the head (request line, fields and line endings); `max_headers`
/// bounds the field count. Empty lines before the request line are skipped, as
/// RFC 9112 §2.2 recommends; bare LF is accepted as a line end, bare CR is not.
///
/// # Errors
/// A [`HeadError`] once the bytes seen can no longer become a valid head: as soon as a
/// defect is visible or the limit is passed, never just because bytes are missing.
pub fn parse_head(
    buf: &[u8],
    max_bytes: usize,
    max_headers: usize,
) -> Result<Parsed<'_>, HeadError> {
    let Some((start, end)) = head_bounds(buf, max_bytes)? else {
        return Ok(Parsed::Partial);
    };
    let mut lines = buf[start..end].split(|&b| b == b'\n').map(trim_cr);
    let request_line = lines.next().unwrap_or_default();
    let (method, target, version_text, version) = parse_request_line(request_line)?;
    let mut headers = Headers::new();
    for line in lines {
        if line.is_empty() {
            break;
        }
        if headers.len() == max_headers {
            return Err(HeadError::TooLarge);
        }
        headers.push(parse_field(line)?);
    }
    let head = Head {
        method,
        target,
        version_text,
        version,
        headers,
    };
    if head.version == Version::Http11 && head.count("host") != 1 {
        // RFC 9112 §3.2: a 1.1 request without exactly one Host is answered 400.
        return Err(HeadError::Malformed(
            "HTTP/1.1 request without exactly one Host",
        ));
    }
    if head.version == Version::Http10 && head.count("host") > 1 {
        return Err(HeadError::Malformed("more than one Host"));
    }
    // RFC 9112 §3.2: a Host that is not a valid uri-host [":" port] gets 400.
    if let Some(host) = head
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("host"))
    {
        let invalid = |b: &u8| {
            !b.is_ascii_graphic()
                || matches!(
                    b,
                    b'"' | b'<'
                        | b'>'
                        | b'\\'
                        | b'^'
                        | b'`'
                        | b'{'
                        | b'|'
                        | b'}'
                        | b'/'
                        | b'?'
                        | b'#'
                        | b'@'
                )
        };
        if host.value.iter().any(invalid) {
            return Err(HeadError::Malformed("invalid Host"));
        }
    }
    Ok(Parsed::Complete { head, len: end })
}

/// Where the request line starts: empty lines before it are skipped, as RFC 9112 §2.2
/// recommends (a client may send an extra CRLF after a POST body).
fn request_line_start(buf: &[u8]) -> usize {
    buf.iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(buf.len())
}

/// The request line of a head that may be partial or malformed, for the log: the first
/// line after any empty ones, without its line end; empty when there is none.
pub(crate) fn first_line(buf: &[u8]) -> &[u8] {
    let rest = &buf[request_line_start(buf)..];
    trim_cr(rest.split(|&b| b == b'\n').next().unwrap_or_default())
}

/// The index just past the empty line that ends the head, if it is in `buf`.
fn find_head_end(buf: &[u8], start: usize) -> Option<usize> {
    let mut i = start;
    while let Some(off) = buf[i..].iter().position(|&b| b == b'\n') {
        let nl = i + off;
        match buf.get(nl + 1) {
            Some(b'\n') => return Some(nl + 2),
            Some(b'\r') if buf.get(nl + 2) == Some(&b'\n') => return Some(nl + 3),
            _ => i = nl + 1,
        }
    }
    None
}

/// 414 when the request line alone does not fit in the limit, else 431.
fn too_large(buf: &[u8], start: usize, max_bytes: usize) -> HeadError {
    match buf[start..].iter().position(|&b| b == b'\n') {
        Some(nl) if start + nl < max_bytes => HeadError::TooLarge,
        _ => HeadError::UriTooLong,
    }
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Strips optional whitespace (`OWS = *( SP / HTAB )`, RFC 9110 §5.6.3) from both ends.
///
/// Only space and tab: `str::trim` and `trim_ascii` also strip CR, form feed (and, for
/// `str`, Unicode spaces such as U+00A0), which would let `Content-Length: 5\x0c` pass
/// as `5`. Every field value servedir parses goes through this (issue 12, item 8).
pub(crate) fn trim_ows(s: &str) -> &str {
    s.trim_matches([' ', '\t'])
}

/// [`trim_ows`] for raw bytes.
pub(crate) fn trim_ows_bytes(s: &[u8]) -> &[u8] {
    let is_ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = s.iter().position(|b| !is_ows(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|b| !is_ows(b)).map_or(start, |i| i + 1);
    &s[start..end]
}

/// tchar from RFC 9110 §5.6.2.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Whether `s` is a token (RFC 9110 §5.6.2), the syntax of methods and field names.
pub fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

/// Whether `s` is a field value servedir will send: visible ASCII, spaces and tabs, not
/// empty, no surrounding whitespace (RFC 9110 §5.5). Nothing that could end a line.
pub fn is_field_value(s: &str) -> bool {
    !s.is_empty()
        && trim_ows(s) == s
        && s.bytes()
            .all(|b| b == b' ' || b == b'\t' || b.is_ascii_graphic())
}

fn token(bytes: &[u8]) -> Option<&str> {
    if bytes.is_empty() || !bytes.iter().all(|&b| is_tchar(b)) {
        return None;
    }
    std::str::from_utf8(bytes).ok()
}

type RequestLine<'a> = (&'a str, &'a str, &'a str, Version);

/// `method SP request-target SP HTTP-version` with single spaces (RFC 9112 §3).
fn parse_request_line(line: &[u8]) -> Result<RequestLine<'_>, HeadError> {
    let mut parts = line.split(|&b| b == b' ');
    let (Some(m), Some(t), Some(v), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HeadError::Malformed("request line is not three words"));
    };
    let method = token(m).ok_or(HeadError::Malformed("bad method token"))?;
    if t.is_empty() || !t.iter().all(|&b| b.is_ascii_graphic()) {
        return Err(HeadError::Malformed("bad request-target characters"));
    }
    let target = std::str::from_utf8(t).map_err(|_| HeadError::Malformed("bad request-target"))?;
    let version = match v {
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            match (major, minor) {
                (b'1', b'0') => Version::Http10,
                (b'1', _) => Version::Http11,
                _ => return Err(HeadError::VersionNotSupported),
            }
        }
        _ => return Err(HeadError::Malformed("malformed HTTP version")),
    };
    // The version bytes were all checked ASCII above.
    let version_text = std::str::from_utf8(v).unwrap_or("HTTP/1.1");
    Ok((method, target, version_text, version))
}

/// `field-name ":" OWS field-value OWS` (RFC 9112 §5).
fn parse_field(line: &[u8]) -> Result<Header<'_>, HeadError> {
    if line.first().is_some_and(|&b| b == b' ' || b == b'\t') {
        // RFC 9112 §5.2: obsolete line folding; we reject rather than unfold.
        return Err(HeadError::Malformed("obsolete line folding"));
    }
    let colon = line
        .iter()
        .position(|&b| b == b':')
        .ok_or(HeadError::Malformed("header line without colon"))?;
    // RFC 9112 §5.1: no whitespace is allowed between the name and the colon.
    let name = token(&line[..colon]).ok_or(HeadError::Malformed("bad header name"))?;
    // Only SP and HTAB are OWS (RFC 9110 §5.6.3): a CR or form feed next to the value
    // stays in it and is refused below, as nginx does.
    let value = trim_ows_bytes(&line[colon + 1..]);
    if value.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        // Includes a bare CR and NUL (RFC 9110 §5.5).
        return Err(HeadError::Malformed("control character in header value"));
    }
    Ok(Header { name, value })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Heads parsed one after another on a thread reuse one buffer for their fields.
    #[test]
    fn the_fields_buffer_is_reused_by_the_next_head() {
        std::thread::spawn(|| {
            let raw = b"GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\r\n".to_vec();
            let first = match parse_head(&raw, 8192, 100) {
                Ok(Parsed::Complete { head, .. }) => head.headers.as_ptr(),
                other => panic!("{other:?}"),
            };
            let raw2 = b"GET /b HTTP/1.1\r\nHost: b\r\n\r\n".to_vec();
            match parse_head(&raw2, 8192, 100) {
                Ok(Parsed::Complete { head, .. }) => {
                    assert_eq!(head.headers.as_ptr(), first);
                    assert_eq!(head.headers.len(), 1);
                    assert_eq!(head.header("host"), Some("b"));
                }
                other => panic!("{other:?}"),
            };
        })
        .join()
        .unwrap();
    }

    const MAX: usize = 8192;

    fn parse(buf: &[u8]) -> Result<Parsed<'_>, HeadError> {
        parse_head(buf, MAX, 100)
    }

    fn complete(buf: &[u8]) -> (Head<'_>, usize) {
        match parse(buf) {
            Ok(Parsed::Complete { head, len }) => (head, len),
            other => panic!("{:?}: {other:?}", String::from_utf8_lossy(buf)),
        }
    }

    fn error(buf: &[u8]) -> HeadError {
        match parse(buf) {
            Err(e) => e,
            other => panic!(
                "{:?}: expected an error, got {other:?}",
                String::from_utf8_lossy(buf)
            ),
        }
    }

    const VALID: &[u8] = b"GET /a/b.txt?x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t/1.0\r\nAccept:  */* \r\nConnection: keep-alive, Upgrade\r\n\r\n";

    #[test]
    fn parses_a_valid_head() {
        let (head, len) = complete(VALID);
        assert_eq!(len, VALID.len());
        assert_eq!(head.method, "GET");
        assert_eq!(head.target, "/a/b.txt?x=1");
        assert_eq!(head.version, Version::Http11);
        assert_eq!(head.version_text, "HTTP/1.1");
        assert_eq!(head.headers.len(), 4);
        assert_eq!(head.header("HOST"), Some("example.com"));
        assert_eq!(head.header("accept"), Some("*/*"));
        assert!(head.connection_has("keep-alive"));
        assert!(head.connection_has("upgrade"));
        assert!(!head.connection_has("close"));
    }

    #[test]
    fn every_prefix_of_a_valid_head_is_partial() {
        for n in 0..VALID.len() {
            assert_eq!(parse(&VALID[..n]), Ok(Parsed::Partial), "prefix {n}");
        }
    }

    #[test]
    fn bytes_after_the_head_are_not_consumed() {
        let mut two = VALID.to_vec();
        two.extend_from_slice(b"GET /next HTTP/1.1\r\nHost: h\r\n\r\n");
        let (_, len) = complete(&two);
        assert_eq!(len, VALID.len());
        let (next, _) = complete(&two[len..]);
        assert_eq!(next.target, "/next");
    }

    #[test]
    fn bare_lf_and_leading_empty_lines() {
        let (head, len) = complete(b"\r\n\nGET / HTTP/1.1\nHost: h\n\nrest");
        assert_eq!(head.header("host"), Some("h"));
        assert_eq!(len, 27);
        let (head, _) = complete(b"GET / HTTP/1.0\n\n");
        assert_eq!(head.version, Version::Http10);
        assert_eq!(head.headers.len(), 0);
    }

    #[test]
    fn the_first_line_skips_empty_lines_and_drops_its_end() {
        let table: &[(&[u8], &[u8])] = &[
            (b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", b"GET / HTTP/1.1"),
            (b"\r\n\n\rGET / HTTP/1.0\n\n", b"GET / HTTP/1.0"),
            (b"GET /partial", b"GET /partial"),
            (b"BAD\r", b"BAD"),
            (b"\r\n\r\n", b""),
            (b"", b""),
            (b"\x16\x03\x01", b"\x16\x03\x01"),
        ];
        for (buf, line) in table {
            assert_eq!(first_line(buf), *line, "{:?}", String::from_utf8_lossy(buf));
        }
    }

    #[test]
    fn versions() {
        let (head, _) = complete(b"GET / HTTP/1.9\r\nHost: h\r\n\r\n");
        assert_eq!(head.version, Version::Http11);
        for v in ["HTTP/2.0", "HTTP/0.9", "HTTP/3.1"] {
            let req = format!("GET / {v}\r\nHost: h\r\n\r\n");
            assert_eq!(error(req.as_bytes()), HeadError::VersionNotSupported, "{v}");
        }
        for v in [
            "http/1.1",
            "HTTP/1",
            "HTTP/1.10",
            "HTTP/11",
            "HTTP/1.x",
            "HTTPS/1.1",
            "HTTP/1.1 ",
        ] {
            let req = format!("GET / {v}\r\nHost: h\r\n\r\n");
            assert!(
                matches!(error(req.as_bytes()), HeadError::Malformed(_)),
                "{v}"
            );
        }
    }

    #[test]
    fn host_rules() {
        assert!(matches!(
            error(b"GET / HTTP/1.1\r\n\r\n"),
            HeadError::Malformed(_)
        ));
        assert!(matches!(
            error(b"GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n"),
            HeadError::Malformed(_)
        ));
        complete(b"GET / HTTP/1.0\r\n\r\n");
        complete(b"GET / HTTP/1.1\r\nHost:\r\n\r\n");
        complete(b"GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n");
        complete(b"GET / HTTP/1.1\r\nHost: xn--caf-dma.example:80\r\n\r\n");
        for bad in ["a b", "a/b", "user@h", "h?x", "\"h\""] {
            let req = format!("GET / HTTP/1.1\r\nHost: {bad}\r\n\r\n");
            assert!(
                matches!(error(req.as_bytes()), HeadError::Malformed(_)),
                "{bad}"
            );
        }
    }

    #[test]
    fn malformed_heads() {
        let table: &[&[u8]] = &[
            b"GET  / HTTP/1.1\r\nHost: h\r\n\r\n",
            b"GET / HTTP/1.1 extra\r\nHost: h\r\n\r\n",
            b"GET /\r\nHost: h\r\n\r\n",
            b"GET\r\n\r\n",
            b"G(T / HTTP/1.1\r\nHost: h\r\n\r\n",
            b"GET /\x7f HTTP/1.1\r\nHost: h\r\n\r\n",
            b"GET /\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n",
            b"GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n",
            b"GET / HTTP/1.1\rHost: h\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost : h\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: h\r\n: empty-name\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: h\r\nX\x01: a\r\n\r\n",
        ];
        for req in table {
            assert!(
                matches!(error(req), HeadError::Malformed(_)),
                "{:?}",
                String::from_utf8_lossy(req)
            );
        }
    }

    /// Issue 12, item 8: `trim_ascii` took CR and form feed for OWS, so these were
    /// accepted as `Content-Length: 5` and `Host: x` (nginx answers 400).
    #[test]
    fn only_space_and_tab_are_ows() {
        for req in [
            &b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length:\r5\r\n\r\n"[..],
            b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\x0c\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost:\x0cx\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: h\r\nX: \x0bv\r\n\r\n",
        ] {
            assert_eq!(
                error(req),
                HeadError::Malformed("control character in header value"),
                "{:?}",
                String::from_utf8_lossy(req)
            );
        }
        let (head, _) = complete(b"GET / HTTP/1.1\r\nHost: \t h \t\r\nX:\t\r\n\r\n");
        assert_eq!(head.header("host"), Some("h"));
        assert_eq!(head.header("x"), Some(""));
    }

    #[test]
    fn trim_ows_strips_only_space_and_tab() {
        assert_eq!(trim_ows(" \t a b \t "), "a b");
        assert_eq!(trim_ows("\x0ca\r"), "\x0ca\r");
        assert_eq!(trim_ows("\u{a0}5\u{3000}"), "\u{a0}5\u{3000}");
        assert_eq!(trim_ows(" \t "), "");
        assert_eq!(trim_ows_bytes(b" \ta b\t "), b"a b");
        assert_eq!(trim_ows_bytes(b"\x0ca\r"), b"\x0ca\r");
        assert_eq!(trim_ows_bytes(b"\t \t"), b"");
        assert_eq!(trim_ows_bytes(b""), b"");
    }

    #[test]
    fn binary_noise_is_rejected_at_once() {
        // A TLS ClientHello starts with 0x16 0x03: no need to wait for a line end.
        assert!(matches!(
            parse(b"\x16\x03\x01\x02\x00\x01"),
            Err(HeadError::Malformed(_))
        ));
        assert_eq!(parse(b"GE"), Ok(Parsed::Partial));
        assert_eq!(
            parse(b"GET /\x00"),
            Ok(Parsed::Partial),
            "the target is checked with the line"
        );
    }

    #[test]
    fn a_bad_request_line_is_rejected_before_the_head_ends() {
        assert!(matches!(
            parse(b"GARBAGE\r\nHost: h\r\n"),
            Err(HeadError::Malformed(_))
        ));
        assert_eq!(
            parse(b"GET / HTTP/7.0\r\n"),
            Err(HeadError::VersionNotSupported)
        );
    }

    #[test]
    fn obs_text_values_are_kept_but_not_returned_as_str() {
        let (head, _) = complete(b"GET / HTTP/1.1\r\nHost: h\r\nX-Name: caf\xe9\r\n\r\n");
        assert_eq!(head.headers[1].value, b"caf\xe9");
        assert_eq!(head.header("x-name"), None);
    }

    #[test]
    fn repeated_fields_are_joined_in_order() {
        let (head, _) = complete(
            b"GET / HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"a\"\r\nX: y\r\nif-none-match: \"b\", \"c\"\r\n\r\n",
        );
        assert_eq!(
            head.joined("If-None-Match").as_deref(),
            Some("\"a\", \"b\", \"c\"")
        );
        assert!(matches!(
            head.joined("x"),
            Some(std::borrow::Cow::Borrowed("y"))
        ));
        assert_eq!(head.joined("missing"), None);
    }

    #[test]
    fn limits() {
        let filler = |n: usize| {
            let mut req = b"GET / HTTP/1.1\r\nHost: h\r\nX: ".to_vec();
            let fixed = req.len() + 4;
            req.resize(n - 4, b'a');
            assert!(n >= fixed);
            req.extend_from_slice(b"\r\n\r\n");
            req
        };
        let exact = filler(MAX);
        assert!(matches!(parse(&exact), Ok(Parsed::Complete { .. })));
        assert_eq!(parse(&filler(MAX + 1)), Err(HeadError::TooLarge));
        // Unterminated and past the limit: too large, or 414 when the line never ended.
        let mut open = b"GET / HTTP/1.1\r\nHost: h\r\nX: ".to_vec();
        open.resize(MAX + 1, b'a');
        assert_eq!(parse(&open), Err(HeadError::TooLarge));
        let mut long_line = b"GET /".to_vec();
        long_line.resize(MAX + 1, b'a');
        assert_eq!(parse(&long_line), Err(HeadError::UriTooLong));
        let mut long_complete = b"GET /".to_vec();
        long_complete.resize(MAX + 1, b'a');
        long_complete.extend_from_slice(b" HTTP/1.1\r\nHost: h\r\n\r\n");
        assert_eq!(parse(&long_complete), Err(HeadError::UriTooLong));
        let mut at_limit = b"GET /".to_vec();
        at_limit.resize(MAX, b'a');
        assert_eq!(parse(&at_limit), Ok(Parsed::Partial));

        let mut many = b"GET / HTTP/1.1\r\nHost: h\r\n".to_vec();
        for i in 0..99 {
            many.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
        }
        let mut over = many.clone();
        many.extend_from_slice(b"\r\n");
        assert!(matches!(parse(&many), Ok(Parsed::Complete { .. })));
        over.extend_from_slice(b"X-last: v\r\n\r\n");
        assert_eq!(parse(&over), Err(HeadError::TooLarge));
    }

    #[test]
    fn tokens_and_field_values() {
        assert!(is_token("X-Custom_1.a!#$%&'*+^`|~"));
        for bad in ["", "a b", "a:b", "a\r", "é", "(x)"] {
            assert!(!is_token(bad), "{bad:?}");
        }
        assert!(is_field_value("max-age=60, public"));
        assert!(is_field_value("a\tb"));
        for bad in ["", " a", "a ", "a\r\nX: y", "a\nb", "nul\0", "é"] {
            assert!(!is_field_value(bad), "{bad:?}");
        }
    }

    #[test]
    fn error_statuses() {
        assert_eq!(HeadError::UriTooLong.status().code(), 414);
        assert_eq!(HeadError::TooLarge.status().code(), 431);
        assert_eq!(HeadError::VersionNotSupported.status().code(), 505);
        assert_eq!(HeadError::Malformed("x").status().code(), 400);
    }
}
