//! Injection (`--live`): an HTML page gets one `<script>` tag, loading the live script
//! from the reserved path, just before its last `</body>` (at the end when there is
//! none). The script is external, not inline, so a `Content-Security-Policy` with
//! `script-src 'self'` allows it.
//!
//! An injected page is served whole (200, a Range is ignored, as RFC 9110 §14.2 allows),
//! never from a precompressed sidecar, with its own strong ETag (the file's, with the
//! variant `live`), so a cache never mixes it with the plain file's bytes.

use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use crate::http::conditional::Validators;
use crate::http::request::Head;
use crate::http::target::percent_encode_into;
use crate::respond::context::Context;
use crate::respond::file::{preconditions, validator_fields};
use crate::respond::Opened;
use crate::response::{Body, Part, Response, Source, Status};

/// Where the live script is served.
pub(crate) const SCRIPT_PATH: &str = "/.servedir/live.js";
/// How far from a page's end its `</body>` is looked for; past it, the tag goes at the
/// end. The page itself is sent from its file, never held whole in memory (each slow
/// reader of an 8 MiB page held two copies of it once: red-team review).
const SCAN_TAIL: u64 = 1024 * 1024;
/// What the look for `</body>` reads at a time, from the end backwards.
const SCAN_CHUNK: u64 = 64 * 1024;
/// The closing tag looked for, in any case.
const CLOSE: &[u8] = b"</body";

/// Whether `content_type` gets the script: an HTML page, with `--live`.
pub(crate) fn wanted(ctx: &Context, content_type: &str) -> bool {
    ctx.config.live && content_type.starts_with("text/html")
}

/// Where the tag goes: before the last `</body` (any case), else at the end.
pub(crate) fn insertion_point(html: &[u8]) -> usize {
    last_close(html).unwrap_or(html.len())
}

fn last_close(html: &[u8]) -> Option<usize> {
    html.windows(CLOSE.len())
        .rposition(|w| w.eq_ignore_ascii_case(CLOSE))
}

/// Where the tag goes in the `len` bytes of `source`: before the last `</body` within
/// the last [`SCAN_TAIL`] bytes, else at the end. A file is read backwards a chunk at a
/// time, and left at its start for sending.
fn insertion_in(source: &mut Source, len: u64) -> io::Result<u64> {
    let floor = len.saturating_sub(SCAN_TAIL);
    let file = match source {
        Source::Memory(bytes) => {
            let tail = &bytes[(floor as usize).min(bytes.len())..(len as usize).min(bytes.len())];
            return Ok(floor + insertion_point(tail) as u64);
        }
        Source::Disk(file) => file,
    };
    let mut chunk = Vec::new();
    let mut end = len;
    let mut found = None;
    while end > floor && found.is_none() {
        let start = end.saturating_sub(SCAN_CHUNK).max(floor);
        // Overlapping the chunk after it by all but one byte of the tag, so that a tag
        // across the boundary is seen.
        let stop = (end + CLOSE.len() as u64 - 1).min(len);
        chunk.clear();
        file.seek(SeekFrom::Start(start))?;
        (&mut *file).take(stop - start).read_to_end(&mut chunk)?;
        found = last_close(&chunk).map(|i| start + i as u64);
        end = start;
    }
    file.rewind()?;
    Ok(found.unwrap_or(len))
}

/// The tag for a page served from the file at URL path `page`, which the script reports
/// so that the file is watched even when the page came from a fallback.
pub(crate) fn tag(page: &str) -> String {
    // `page` is percent-encoded: only `&` could still mean something in an attribute.
    let page = page.replace('&', "&amp;");
    format!("<script src=\"{SCRIPT_PATH}\" data-page=\"{page}\"></script>")
}

/// `html` with `tag` inserted (for tests: pages are spliced as they are sent).
#[cfg(test)]
fn splice(html: &[u8], tag: &str) -> Vec<u8> {
    let at = insertion_point(html);
    [&html[..at], tag.as_bytes(), &html[at..]].concat()
}

/// The URL path of `path` below `root`, percent-encoded (empty if it is not below).
fn url_path(root: &Path, path: &Path) -> String {
    let mut out = String::new();
    for part in path.strip_prefix(root).into_iter().flat_map(Path::iter) {
        out.push('/');
        percent_encode_into(&part.to_string_lossy(), &mut out);
    }
    out
}

/// The page with the tag: the file's bytes up to the insertion point, the tag, the rest,
/// sent from the file (or the cache's copy) as they go.
fn injected(root: &Path, mut opened: Opened) -> io::Result<Body> {
    let len = opened.meta.len();
    let at = insertion_in(&mut opened.source, len)?;
    let tag = tag(&url_path(root, &opened.path));
    Ok(Body::Spliced {
        source: opened.source,
        parts: vec![
            Part {
                header: String::new(),
                start: 0,
                len: at,
            },
            Part {
                header: tag,
                start: at,
                len: len - at,
            },
        ],
        closing: String::new(),
    })
}

/// The live response for `opened`, an HTML file ([`wanted`]) answered with 200:
/// validators and preconditions first (a 304 reads nothing), then the whole page.
pub(crate) fn page(head: &Head<'_>, ctx: &Context, root: &Path, opened: Opened) -> Response {
    let validators = Validators::new(opened.meta.len(), opened.meta.modified().ok(), "live");
    let mut headers = validator_fields(ctx, &validators, false);
    if let Some(resp) = preconditions(head, &validators, &mut headers) {
        return resp;
    }
    let content_type = crate::http::mime::content_type(&opened.path);
    match injected(root, opened) {
        Ok(body) => Response {
            status: Status::Ok,
            content_type: Some(content_type.into()),
            headers,
            body,
        },
        Err(e) => Response::error(Status::from_io_error(&e)),
    }
}

/// servedir's own page for a miss (`resp`), with the script when live: the script
/// watches the page's URL, so a page opened before its file exists appears when the
/// file is saved (found by a new user: it stayed a 404 unless ROOT/404.html existed).
/// `page` is the requested path, percent-encoded.
pub(crate) fn own_page(ctx: &Context, mut resp: Response, page: &str) -> Response {
    if let (true, Body::Text(html)) = (ctx.config.live, &mut resp.body) {
        let at = insertion_point(html.as_bytes());
        html.insert_str(at, &tag(page));
    }
    resp
}

/// The custom 404 page's body: with the script when live, else as it is. `None` when
/// reading it failed (the caller sends the plain status page).
pub(crate) fn not_found_body(ctx: &Context, root: &Path, page: Opened) -> Option<Body> {
    if !ctx.config.live {
        return Some(Body::File {
            len: page.meta.len(),
            source: page.source,
            start: 0,
        });
    }
    injected(root, page).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tag_goes_before_the_last_closing_body() {
        let t = "<T>";
        for (html, want) in [
            ("<p>x</body></html>", "<p>x<T></body></html>"),
            ("<p>x</BODY >", "<p>x<T></BODY >"),
            ("<p>x</Body>", "<p>x<T></Body>"),
            (
                "<!-- </body> --><p>x</body>",
                "<!-- </body> --><p>x<T></body>",
            ),
            ("<p>no body end", "<p>no body end<T>"),
            ("", "<T>"),
            ("</bod", "</bod<T>"),
            ("</body", "<T></body"),
            ("caf\u{e9}</body>", "caf\u{e9}<T></body>"),
        ] {
            let got = splice(html.as_bytes(), t);
            assert_eq!(String::from_utf8(got).unwrap(), want, "{html:?}");
        }
        // Not UTF-8: bytes pass through untouched.
        assert_eq!(splice(b"\xff\xfe</body>", t), b"\xff\xfe<T></body>");
    }

    /// The page is looked at from its end, a chunk at a time, without being read whole;
    /// the file is left at its start for sending.
    #[test]
    fn a_file_is_searched_backwards_in_chunks() {
        let dir = crate::testutil::TempDir::new("inject-scan");
        let check = |name: &str, html: &[u8], want: u64| {
            let path = dir.path().join(name);
            std::fs::write(&path, html).unwrap();
            let mut source = Source::Disk(std::fs::File::open(&path).unwrap());
            assert_eq!(
                insertion_in(&mut source, html.len() as u64).unwrap(),
                want,
                "{name}"
            );
            let Source::Disk(mut file) = source else {
                unreachable!()
            };
            let mut first = [0u8; 1];
            file.read_exact(&mut first).unwrap();
            assert_eq!(first[0], html[0], "{name}: left at its start");
            let mut memory = Source::Memory(html.into());
            assert_eq!(
                insertion_in(&mut memory, html.len() as u64).unwrap(),
                want,
                "{name} in memory"
            );
        };
        let chunk = SCAN_CHUNK as usize;
        // `</body>` across the boundary of the last chunk: seen.
        let mut across = vec![b'x'; 2 * chunk];
        let at = across.len() - chunk - 3;
        across[at..at + 7].copy_from_slice(b"</BODY>");
        check("across.html", &across, at as u64);
        // Only before the last SCAN_TAIL bytes: the tag goes at the end.
        let mut early = b"<p></body>".to_vec();
        early.resize(SCAN_TAIL as usize + 100, b'x');
        check("early.html", &early, early.len() as u64);
        // The last of several wins; none at all is the end.
        check("two.html", b"<a></body><b></body>", 13);
        check("none.html", b"<p>plain", 8);
    }

    #[test]
    fn the_tag_names_the_page_safely() {
        assert_eq!(
            tag("/a&amp;b/caf%C3%A9.html"),
            "<script src=\"/.servedir/live.js\" data-page=\"/a&amp;amp;b/caf%C3%A9.html\"></script>"
        );
        let root = Path::new("/srv/www");
        assert_eq!(
            url_path(root, &root.join("d/x y\".html")),
            "/d/x%20y%22.html"
        );
        assert_eq!(url_path(root, Path::new("/elsewhere/x.html")), "");
    }
}
