//! The method stage, and CORS's rules: GET and HEAD go on; with `--cors`, OPTIONS is
//! answered as a preflight, and [`CORS_FIELDS`] names the fields every response carries
//! (`context.rs` adds them, unless configured; `response.rs` writes configured fields
//! in place of its own). Any other method is 405 (known) or 501 (unknown) with `Allow`.
//! It looks at nothing but the head.

use crate::http::request::{is_token, trim_ows, Head};
use crate::response::{Body, Fields, Response, Status};

/// Methods we know and refuse with 405; any other token gets 501.
const KNOWN_METHODS: &[&str] = &[
    "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT",
];
const ALLOW: &str = "GET, HEAD";
const ALLOW_CORS: &str = "GET, HEAD, OPTIONS";

/// The fields every response carries with `--cors` (a configured field of the same name
/// wins: see `Context::new`). Scripts may read the exposed ones, e.g. to resume a
/// download or revalidate.
pub(crate) const CORS_FIELDS: [(&str, &str); 2] = [
    ("Access-Control-Allow-Origin", "*"),
    (
        "Access-Control-Expose-Headers",
        "Content-Length, Content-Range, ETag",
    ),
];

/// `None` for GET and HEAD, which go on to the next stage; else the whole answer.
/// `cors` is `Config::cors`.
pub(crate) fn check(head: &Head<'_>, cors: bool) -> Option<Response> {
    let allow = if cors { ALLOW_CORS } else { ALLOW };
    match head.method {
        "GET" | "HEAD" => None,
        "OPTIONS" if cors => Some(preflight(head)),
        method => {
            let status = if KNOWN_METHODS.contains(&method) {
                Status::MethodNotAllowed
            } else {
                Status::NotImplemented
            };
            Some(Response::error(status).with("Allow", allow))
        }
    }
}

/// `OPTIONS` with CORS on: 204 with `Allow`, and for a preflight (RFC 9110 §9.3.7, Fetch
/// standard) the methods, the requested headers echoed back, and a day of caching.
fn preflight(head: &Head<'_>) -> Response {
    let mut resp = Response {
        status: Status::NoContent,
        content_type: None,
        headers: Fields::from([("Allow", ALLOW_CORS.into())]),
        body: Body::None,
    };
    if head.header("access-control-request-method").is_some() {
        resp.headers
            .push(("Access-Control-Allow-Methods", ALLOW_CORS.into()));
        let requested = head.header("access-control-request-headers").unwrap_or("");
        // Echo only a clean token list: the value goes back into our response head.
        if !requested.is_empty() && requested.split(',').all(|h| is_token(trim_ows(h))) {
            resp.headers
                .push(("Access-Control-Allow-Headers", requested.to_owned().into()));
            resp.headers
                .push(("Vary", "Access-Control-Request-Headers".into()));
        }
        resp.headers
            .push(("Access-Control-Max-Age", "86400".into()));
    }
    resp
}
