//! Injection (`--live`): an HTML page gets one `<script>` tag, loading the live script
//! from the reserved path, just before its last `</body>` (at the end when there is
//! none). The script is external, not inline, so a `Content-Security-Policy` with
//! `script-src 'self'` allows it.
//!
//! An injected page is served whole (200, a Range is ignored, as RFC 9110 §14.2 allows),
//! never from a precompressed sidecar, with its own strong ETag (the file's, with the
//! variant `live`), so a cache never mixes it with the plain file's bytes.

use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;

use crate::http::conditional::Validators;
use crate::http::request::Head;
use crate::http::target::percent_encode_into;
use crate::respond::context::Context;
use crate::respond::file::{preconditions, validator_fields};
use crate::respond::Opened;
use crate::response::{Body, Response, Source, Status};

/// Where the live script is served.
pub(crate) const SCRIPT_PATH: &str = "/.servedir/live.js";
/// Pages larger than this are served as they are, without the script: injecting means
/// holding the whole page in memory.
pub(crate) const MAX_PAGE: u64 = 8 * 1024 * 1024;

/// Whether `opened`, of this type, gets the script: an HTML page, at most [`MAX_PAGE`].
pub(crate) fn wanted(ctx: &Context, content_type: &str, opened: &Opened) -> bool {
    ctx.config.live && content_type.starts_with("text/html") && opened.meta.len() <= MAX_PAGE
}

/// Where the tag goes: before the last `</body` (any case), else at the end.
pub(crate) fn insertion_point(html: &[u8]) -> usize {
    const CLOSE: &[u8] = b"</body";
    html.windows(CLOSE.len())
        .rposition(|w| w.eq_ignore_ascii_case(CLOSE))
        .unwrap_or(html.len())
}

/// The tag for a page served from the file at URL path `page`, which the script reports
/// so that the file is watched even when the page came from a fallback.
pub(crate) fn tag(page: &str) -> String {
    // `page` is percent-encoded: only `&` could still mean something in an attribute.
    let page = page.replace('&', "&amp;");
    format!("<script src=\"{SCRIPT_PATH}\" data-page=\"{page}\"></script>")
}

/// `html` with `tag` inserted.
pub(crate) fn splice(html: &[u8], tag: &str) -> Vec<u8> {
    let at = insertion_point(html);
    let mut out = Vec::with_capacity(html.len() + tag.len());
    out.extend_from_slice(&html[..at]);
    out.extend_from_slice(tag.as_bytes());
    out.extend_from_slice(&html[at..]);
    out
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

/// The page's bytes with the tag: the whole file (as long as its metadata says).
fn injected(root: &Path, opened: Opened) -> io::Result<Vec<u8>> {
    let len = opened.meta.len();
    let html = match opened.source {
        Source::Memory(bytes) => bytes[..(len as usize).min(bytes.len())].to_vec(),
        Source::Disk(file) => {
            let mut bytes = Vec::with_capacity(len as usize);
            file.take(len).read_to_end(&mut bytes)?;
            bytes
        }
    };
    Ok(splice(&html, &tag(&url_path(root, &opened.path))))
}

/// A body of `bytes`, from memory.
fn body(bytes: Vec<u8>) -> Body {
    Body::File {
        len: bytes.len() as u64,
        source: Source::Memory(Arc::from(bytes)),
        start: 0,
    }
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
        Ok(bytes) => Response {
            status: Status::Ok,
            content_type: Some(content_type.into()),
            headers,
            body: body(bytes),
        },
        Err(e) => Response::error(Status::from_io_error(&e)),
    }
}

/// The custom 404 page's body: with the script when live (unless too large), else as it
/// is. `None` when reading it failed (the caller sends the plain status page).
pub(crate) fn not_found_body(ctx: &Context, root: &Path, page: Opened) -> Option<Body> {
    if !ctx.config.live || page.meta.len() > MAX_PAGE {
        return Some(Body::File {
            len: page.meta.len(),
            source: page.source,
            start: 0,
        });
    }
    injected(root, page).ok().map(body)
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
