//! One access-log line: Common Log Format plus referer and user agent, and the escaping
//! that keeps client bytes from injecting terminal escapes or fake lines.
//!
//! Pure formatting: queueing and writing the line is `queue.rs`'s and `mod.rs`'s.

use std::io::Write;
use std::net::IpAddr;
use std::ops::Range;

use crate::http::date::ClfDate;

/// The most bytes of the request line a log line repeats.
const MAX_REQUEST_LINE: usize = 1024;

/// One response, as the access log records it.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    /// The client's address.
    pub peer: IpAddr,
    /// When the response was sent, in Unix seconds.
    pub time: u64,
    /// The request line as received (e.g. `GET / HTTP/1.1`), possibly malformed.
    pub request_line: &'a [u8],
    /// The status code sent.
    pub status: u16,
    /// Body bytes sent.
    pub bytes: u64,
    /// The `Referer` field, if any.
    pub referer: Option<&'a [u8]>,
    /// The `User-Agent` field, if any.
    pub user_agent: Option<&'a [u8]>,
}

/// Formats `entry` as one line ending in `\n`, appended to `out`.
///
/// ```text
/// 127.0.0.1 - - [06/Nov/1994:08:49:37 +0000] "GET / HTTP/1.1" 200 1024 "-" "curl/8.0"
/// ```
///
/// Returns where the bytes field is in `out`, for [`set_bytes`].
pub fn format(out: &mut Vec<u8>, entry: &Entry<'_>) -> Range<usize> {
    let _ = write!(out, "{} - - [{}] \"", entry.peer, ClfDate(entry.time));
    escape_at_most(out, entry.request_line, MAX_REQUEST_LINE);
    let _ = write!(out, "\" {} ", entry.status);
    let start = out.len();
    let _ = write!(out, "{}", entry.bytes);
    let bytes = start..out.len();
    out.push(b' ');
    quoted(out, entry.referer);
    out.push(b' ');
    quoted(out, entry.user_agent);
    out.push(b'\n');
    bytes
}

/// Replaces the bytes field of a formatted line (at `at`, as `format` returned): a
/// response cut short logs what was really sent.
pub fn set_bytes(line: &mut Vec<u8>, at: Range<usize>, bytes: u64) {
    if at.end <= line.len() {
        line.splice(at, bytes.to_string().into_bytes());
    }
}

fn quoted(out: &mut Vec<u8>, value: Option<&[u8]>) {
    out.push(b'"');
    match value {
        Some(v) => escape_at_most(out, v, MAX_REQUEST_LINE),
        None => out.push(b'-'),
    }
    out.push(b'"');
}

/// [`escape_into`], stopping before the escaped text passes `max` bytes: a field of a
/// client's bytes, which escaping can make four times longer, stays bounded, so that a
/// whole line stays under `PIPE_BUF` (4 KiB), the most a pipe takes in one piece: lines of
/// process-mode children sharing a stdout pipe never interleave (found by issue 17's
/// red team: `\xff` bytes in a User-Agent made 4.16 KB lines, mixed with others').
fn escape_at_most(out: &mut Vec<u8>, bytes: &[u8], max: usize) {
    let end = out.len() + max;
    for &b in bytes {
        // The longest escape of one byte is 4 bytes.
        if out.len() + 4 > end {
            break;
        }
        escape_into(out, &[b]);
    }
}

/// Copies `bytes`, writing control characters, `"`, `\` and non-ASCII as `\xHH`
/// (`\"` and `\\` for the two printable ones), as Apache does.
pub fn escape_into(out: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for &b in bytes {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x20..=0x7e => out.push(b),
            _ => out.extend_from_slice(&[
                b'\\',
                b'x',
                HEX[(b >> 4) as usize],
                HEX[(b & 15) as usize],
            ]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn line(request: &[u8], referer: Option<&[u8]>, ua: Option<&[u8]>) -> String {
        let mut out = Vec::new();
        format(
            &mut out,
            &Entry {
                peer: IpAddr::V4(Ipv4Addr::LOCALHOST),
                time: 784_111_777,
                request_line: request,
                status: 200,
                bytes: 1024,
                referer,
                user_agent: ua,
            },
        );
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn common_log_format_with_referer_and_agent() {
        assert_eq!(
            line(b"GET / HTTP/1.1", Some(b"http://a/"), Some(b"curl/8.0")),
            "127.0.0.1 - - [06/Nov/1994:08:49:37 +0000] \"GET / HTTP/1.1\" 200 1024 \"http://a/\" \"curl/8.0\"\n"
        );
        assert_eq!(
            line(b"GET / HTTP/1.1", None, None),
            "127.0.0.1 - - [06/Nov/1994:08:49:37 +0000] \"GET / HTTP/1.1\" 200 1024 \"-\" \"-\"\n"
        );
    }

    #[test]
    fn client_bytes_cannot_inject_escapes_or_lines() {
        let text = line(
            b"GET /\x1b[31mred\" HTTP/1.1",
            Some(b"a\nb\\"),
            Some(b"\xff\x07\r"),
        );
        assert_eq!(text.matches('\n').count(), 1);
        assert!(text.ends_with('\n'));
        assert!(
            !text.bytes().any(|b| b < 0x20 && b != b'\n' || b >= 0x7f),
            "{text:?}"
        );
        assert!(
            text.contains("\"GET /\\x1b[31mred\\\" HTTP/1.1\""),
            "{text}"
        );
        assert!(
            text.contains("\"a\\x0ab\\\\\" \"\\xff\\x07\\x0d\""),
            "{text}"
        );
    }

    #[test]
    fn the_bytes_field_can_be_corrected() {
        let mut out = Vec::new();
        let at = format(
            &mut out,
            &Entry {
                peer: IpAddr::V4(Ipv4Addr::LOCALHOST),
                time: 0,
                request_line: b"GET / HTTP/1.1",
                status: 200,
                bytes: 50_000_000,
                referer: None,
                user_agent: None,
            },
        );
        set_bytes(&mut out, at, 3_145_728);
        assert!(String::from_utf8(out)
            .unwrap()
            .ends_with("\"GET / HTTP/1.1\" 200 3145728 \"-\" \"-\"\n"));
    }
    #[test]
    fn long_fields_are_cut_and_a_line_fits_in_one_pipe_write() {
        let long = vec![b'a'; 10_000];
        assert!(line(&long, Some(&long), Some(&long)).len() < 4 * MAX_REQUEST_LINE);
        // Escaped, a byte may take four: the cut is made on the escaped text.
        let hostile = vec![0xffu8; 10_000];
        let l = line(&hostile, Some(&hostile), Some(&hostile));
        assert!(l.len() < 4096, "{}", l.len());
        assert!(l.ends_with("\"\n") && l.contains("\\xff\\xff\""), "{l}");
    }
}
