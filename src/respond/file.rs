//! A file's response: pick the representation (a precompressed sidecar or the file),
//! evaluate preconditions (RFC 9110 §13), apply a Range (§14), set caching headers.
//!
//! The file has already been found and opened by the lookup stage (`mod.rs`); this
//! decides status, headers and which bytes are sent. It writes nothing.

use std::borrow::Cow;
use std::fs::Metadata;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::http::conditional::{evaluate, if_range_allows, Conditions, Precondition, Validators};
use crate::http::date::HttpDate;
use crate::http::encoding::{ranked, Coding};
use crate::http::mime;
use crate::http::range::{decide, ByteRange, RangeDecision};
use crate::http::request::Head;
use crate::respond::context::Context;
use crate::respond::live;
use crate::respond::resolve::{self, sidecar};
use crate::respond::Opened;
use crate::response::Source;
use crate::response::{Body, Fields, Part, Response, Status};

/// The representation chosen for a request.
struct Chosen {
    source: Source,
    len: u64,
    validators: Validators,
    coding: Option<Coding>,
    /// Sidecars may be served in its place, so the response depends on Accept-Encoding.
    varies: bool,
}

/// The file representation stage: the response to a GET or HEAD for `opened`, a regular
/// file below `root`. Selection, then preconditions, then the range.
pub(crate) fn represent(head: &Head<'_>, ctx: &Context, root: &Path, opened: Opened) -> Response {
    let content_type = mime::content_type(&opened.path);
    // A live page is the file plus a script: served whole, never from a sidecar.
    if live::inject::wanted(ctx, content_type) {
        return live::inject::page(head, ctx, root, opened);
    }
    let chosen = choose(head, ctx, root, opened, content_type);
    let mut headers = validator_fields(ctx, &chosen.validators, chosen.varies);
    if let Some(resp) = preconditions(head, &chosen.validators, &mut headers) {
        return resp;
    }
    headers.push(("Accept-Ranges", "bytes".into()));
    if let Some(coding) = chosen.coding {
        headers.push(("Content-Encoding", coding.token().into()));
    }
    let decision = range_decision(head, &chosen);
    ranged(decision, chosen, content_type, headers)
}

/// The fields a 200, 206 and 304 all carry (RFC 9110 §15.4.5): validators, caching, and
/// `Vary` when sidecars may be chosen.
pub(crate) fn validator_fields(ctx: &Context, validators: &Validators, varies: bool) -> Fields {
    let mut headers = Fields::new();
    headers.push(("ETag", validators.etag.clone()));
    if let Some(secs) = validators.last_modified {
        let bytes = HttpDate(secs).to_bytes();
        // An HTTP-date is ASCII.
        let date = std::str::from_utf8(&bytes).unwrap_or_default();
        headers.push(("Last-Modified", date.into()));
    }
    headers.push(("Cache-Control", ctx.config.cache_control.as_str().into()));
    if varies {
        headers.push(("Vary", "Accept-Encoding".into()));
    }
    headers
}

/// Whether the request's Range applies (§14.2): only to GET, and only while If-Range, if
/// any, still names this representation.
fn range_decision(head: &Head<'_>, chosen: &Chosen) -> RangeDecision {
    // RFC 9110 §14.2: a server MUST ignore Range on any method but GET, so HEAD shows the
    // full representation's headers: 200, the whole length, no Content-Range (issue 12,
    // item 14; nginx answers 206 here).
    match head.header("range") {
        Some(range)
            if head.method == "GET"
                && head
                    .header("if-range")
                    .is_none_or(|v| if_range_allows(v, &chosen.validators)) =>
        {
            decide(range, chosen.len)
        }
        _ => RangeDecision::Full,
    }
}

/// The response for `decision`: the whole file, one part (206), several parts as
/// `multipart/byteranges` (206), or 416.
fn ranged(
    decision: RangeDecision,
    chosen: Chosen,
    content_type: &'static str,
    mut headers: Fields,
) -> Response {
    let len = chosen.len;
    let (status, content_type, body) = match decision {
        RangeDecision::Full => (
            Status::Ok,
            Cow::Borrowed(content_type),
            Body::File {
                source: chosen.source,
                start: 0,
                len,
            },
        ),
        RangeDecision::Partial(ranges) if ranges.len() == 1 => {
            let r = ranges[0];
            headers.push(("Content-Range", content_range(r, len).into()));
            (
                Status::PartialContent,
                Cow::Borrowed(content_type),
                Body::File {
                    source: chosen.source,
                    start: r.first,
                    len: r.len(),
                },
            )
        }
        RangeDecision::Partial(ranges) => {
            let boundary = boundary(&chosen.validators.etag);
            let (parts, closing) = multipart(&ranges, len, content_type, &boundary);
            (
                Status::PartialContent,
                Cow::Owned(format!("multipart/byteranges; boundary={boundary}")),
                Body::Spliced {
                    source: chosen.source,
                    parts,
                    closing,
                },
            )
        }
        RangeDecision::Unsatisfiable => {
            let mut resp = Response::error(Status::RangeNotSatisfiable);
            headers.push(("Content-Range", format!("bytes */{len}").into()));
            resp.headers = headers;
            return resp;
        }
    };
    Response {
        status,
        content_type: Some(content_type),
        headers,
        body,
    }
}

/// Evaluates the request's conditional fields against `validators` (RFC 9110 §13.2.2):
/// `None` to go on, or the 304 or 412 to send, which takes `headers` (a 304 carries the
/// validator and caching fields a 200 would, §15.4.5).
pub(crate) fn preconditions(
    head: &Head<'_>,
    validators: &Validators,
    headers: &mut Fields,
) -> Option<Response> {
    let (if_match, if_none_match) = (head.joined("if-match"), head.joined("if-none-match"));
    let conditions = Conditions {
        if_match: if_match.as_deref(),
        if_none_match: if_none_match.as_deref(),
        if_modified_since: head.header("if-modified-since"),
        if_unmodified_since: head.header("if-unmodified-since"),
    };
    let mut resp = match evaluate(&conditions, validators, true) {
        Precondition::Proceed => return None,
        // No body, and no Content-Type or Content-Length (§15.4.5).
        Precondition::NotModified => Response {
            status: Status::NotModified,
            content_type: None,
            headers: Fields::new(),
            body: Body::None,
        },
        Precondition::Failed => Response::error(Status::PreconditionFailed),
    };
    resp.headers = std::mem::take(headers);
    Some(resp)
}

/// The sidecar the client accepts, best first, or the file itself.
fn choose(
    head: &Head<'_>,
    ctx: &Context,
    root: &Path,
    opened: Opened,
    content_type: &str,
) -> Chosen {
    let Opened { source, meta, path } = opened;
    let chosen = choose_for(head, ctx, root, (source, &meta, &path), content_type);
    resolve::give_back(path);
    chosen
}

/// [`choose`] for the file `path`, opened as `source` with metadata `meta`.
fn choose_for(
    head: &Head<'_>,
    ctx: &Context,
    root: &Path,
    (source, meta, path): (Source, &Metadata, &Path),
    content_type: &str,
) -> Chosen {
    let identity = |source: Source, varies: bool| Chosen {
        len: meta.len(),
        validators: Validators::new(meta.len(), meta.modified().ok(), ""),
        source,
        coding: None,
        varies,
    };
    if !ctx.config.precompressed || !mime::compressible(content_type) {
        return identity(source, false);
    }
    // Accept-Encoding chooses between the file and its sidecars, so every answer varies
    // with it (RFC 9110 §12.5.5), whether or not a sidecar exists today; and only the
    // codings the client accepts are looked for.
    let accept = head.header("accept-encoding").unwrap_or("");
    for coding in ranked(accept) {
        let policy = ctx.rules.policy;
        let Some(found) = sidecar(root, path, coding.extension(), policy) else {
            continue;
        };
        // A sidecar older than its file is stale: the plain file is the truth.
        let opened = ctx.files.open(&found.path, &found.meta, root, policy);
        resolve::give_back(found.path);
        if let Ok(Some((source, sidecar_meta))) = opened {
            if older(&sidecar_meta, meta) {
                continue;
            }
            let meta = sidecar_meta;
            return Chosen {
                len: meta.len(),
                validators: Validators::new(meta.len(), meta.modified().ok(), coding.token()),
                source,
                coding: Some(coding),
                varies: true,
            };
        }
    }
    identity(source, true)
}

/// Whether sidecar `a` is older than its file `b` (unknown times are not "older").
fn older(a: &Metadata, b: &Metadata) -> bool {
    matches!((a.modified(), b.modified()), (Ok(x), Ok(y)) if stale(x, y))
}

/// Whether a sidecar modified at `sidecar` is stale beside a file modified at `file`.
///
/// The standard `brotli` CLI copies its input's mtime rounded down to the second, so an
/// up-to-date `FILE.br` looks up to 0.999 s older than `FILE` and was never served (issue
/// 12, item 10). A sidecar time of whole seconds (that signature, or a filesystem with
/// 1 s timestamps) is therefore compared to the second; any other time exactly, so a
/// `gzip -k` sidecar 4 ms older than a file edited since is stale (found by a new user:
/// comparing every sidecar to the second served the old bytes after a quick edit).
fn stale(sidecar: SystemTime, file: SystemTime) -> bool {
    let whole = match sidecar.duration_since(UNIX_EPOCH) {
        Ok(d) => d.subsec_nanos() == 0,
        Err(e) => e.duration().subsec_nanos() == 0,
    };
    if whole {
        whole_secs(sidecar) < whole_secs(file)
    } else {
        sidecar < file
    }
}

/// Seconds since the epoch, rounded towards the past (so 0.3 s before it is -1).
fn whole_secs(t: SystemTime) -> i128 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i128::from(d.as_secs()),
        Err(e) => {
            let d = e.duration();
            -i128::from(d.as_secs()) - i128::from(d.subsec_nanos() > 0)
        }
    }
}

/// `bytes first-last/len` (RFC 9110 §14.4).
fn content_range(r: ByteRange, len: u64) -> String {
    format!("bytes {}-{}/{len}", r.first, r.last)
}

/// A boundary that is stable for one representation (so HEAD and GET agree on the
/// length) and will not occur in a file by chance: FNV-1a of the ETag.
fn boundary(etag: &str) -> String {
    let hash = etag.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("servedir-{hash:016x}")
}

/// Part headers and the closing delimiter of a `multipart/byteranges` body. The CRLF
/// before each delimiter belongs to the delimiter (RFC 2046 §5.1.1), so every part but
/// the first starts with one.
fn multipart(
    ranges: &[ByteRange],
    len: u64,
    content_type: &str,
    boundary: &str,
) -> (Vec<Part>, String) {
    let parts = ranges
        .iter()
        .enumerate()
        .map(|(i, r)| Part {
            header: format!(
                "{}--{boundary}\r\nContent-Type: {content_type}\r\nContent-Range: {}\r\n\r\n",
                if i == 0 { "" } else { "\r\n" },
                content_range(*r, len)
            ),
            start: r.first,
            len: r.len(),
        })
        .collect();
    (parts, format!("\r\n--{boundary}--\r\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_layout_is_exact() {
        let ranges = [
            ByteRange { first: 0, last: 1 },
            ByteRange { first: 5, last: 9 },
        ];
        let (parts, closing) = multipart(&ranges, 10, "text/plain; charset=utf-8", "B");
        assert_eq!(
            parts[0].header,
            "--B\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 0-1/10\r\n\r\n"
        );
        assert_eq!(parts[1].header, "\r\n--B\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 5-9/10\r\n\r\n");
        assert_eq!((parts[1].start, parts[1].len), (5, 5));
        assert_eq!(closing, "\r\n--B--\r\n");
    }

    #[test]
    fn boundaries_are_stable_and_distinct() {
        assert_eq!(boundary("\"a\""), boundary("\"a\""));
        assert_ne!(boundary("\"a\""), boundary("\"b\""));
        assert_eq!(boundary("\"a\"").len(), "servedir-".len() + 16);
    }

    #[test]
    fn sidecar_staleness_is_judged_to_the_second() {
        use std::time::Duration;
        let at = |secs: u64, millis: u64| UNIX_EPOCH + Duration::from_millis(secs * 1000 + millis);
        // Issue 12, item 10: `brotli` gives FILE.br its input's mtime rounded down to the
        // second: X.7 s -> X.0 s. That is not stale; one whole second earlier is.
        let x = 1_700_000_000;
        assert_eq!(whole_secs(at(x, 700)), whole_secs(at(x, 0)));
        assert!(whole_secs(at(x - 1, 999)) < whole_secs(at(x, 700)));
        assert_eq!(whole_secs(UNIX_EPOCH), 0);
        assert_eq!(whole_secs(UNIX_EPOCH - Duration::from_millis(300)), -1);
        assert_eq!(whole_secs(UNIX_EPOCH - Duration::from_secs(2)), -2);
        // (sidecar, file, stale): whole-second sidecar times compare to the second, others
        // exactly.
        let table = [
            (at(x, 0), at(x, 700), false),
            (at(x - 1, 0), at(x, 700), true),
            (at(x, 696), at(x, 700), true),
            (at(x, 700), at(x, 700), false),
            (at(x, 800), at(x, 700), false),
            (at(x + 1, 0), at(x, 700), false),
            (at(x, 0), at(x, 0), false),
            (UNIX_EPOCH - Duration::from_secs(1), UNIX_EPOCH, true),
        ];
        for (sidecar, file, want) in table {
            assert_eq!(stale(sidecar, file), want, "{sidecar:?} beside {file:?}");
        }
    }
}
