//! Routing: a well-formed request head → the response to send.
//!
//! The one place method, target and filesystem meet: methods and CORS preflight, target
//! cleaning, resolution, then what a directory or a miss becomes (listing, SPA fallback,
//! the custom 404 page). It reads no socket and writes nothing.

mod file;
pub(crate) mod filecache;
pub(crate) mod listing;
mod open;
pub(crate) mod resolve;

use std::path::Path;

use crate::context::{Context, PANIC_PATH};
use crate::http::conditional::Validators;
use crate::http::encoding::q_of;
use crate::http::request::{is_token, trim_ows, Head};
use crate::http::target::Target;
use crate::respond::resolve::{resolve, Resolved};
use crate::response::{Body, Response, Status};

/// Methods we know and refuse with 405; any other token gets 501.
const KNOWN_METHODS: &[&str] = &[
    "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT",
];
const ALLOW: &str = "GET, HEAD";
const ALLOW_CORS: &str = "GET, HEAD, OPTIONS";
/// The page served, with status 404, for any path that is not found, when it exists.
const NOT_FOUND_PAGE: &str = "404.html";

/// Decides the response to a well-formed head.
pub fn respond(head: &Head<'_>, ctx: &Context) -> Response {
    if ctx.test_hooks && head.target == PANIC_PATH {
        panic!("test hook: a deliberate panic in a connection handler");
    }
    let allow = if ctx.config.cors { ALLOW_CORS } else { ALLOW };
    match head.method {
        "GET" | "HEAD" => {}
        "OPTIONS" if ctx.config.cors => return preflight(head),
        method => {
            let status = if KNOWN_METHODS.contains(&method) {
                Status::MethodNotAllowed
            } else {
                Status::NotImplemented
            };
            return Response::error(status).with("Allow", allow);
        }
    }
    let Ok(target) = Target::parse(head.target) else {
        return Response::error(Status::BadRequest);
    };
    let root = match ctx.current_root() {
        Ok(root) => root,
        Err(e) => return failure(head, &e),
    };
    let resp = below(head, ctx, &root, &target);
    if resp.status != Status::NotFound {
        return resp;
    }
    // A root that was a plain directory at start-up and has since been replaced by a
    // symlink (a first move to symlink deploys) is followed from then on. Checked only
    // on a 404, so the common case pays nothing for it.
    match ctx.root_replaced_by_link() {
        Some(moved) => below(head, ctx, &moved, &target),
        None => resp,
    }
}

/// The response for `target` below `root`.
fn below(head: &Head<'_>, ctx: &Context, root: &Path, target: &Target) -> Response {
    let policy = ctx.lookup.policy;
    match resolve(root, target, &ctx.lookup) {
        Ok(Resolved::File { meta, path }) => match ctx.files.open(&path, &meta, root, policy) {
            Ok(Some((source, meta))) => file::respond(head, ctx, root, source, &meta, &path),
            Ok(None) => not_found(head, ctx, root, target),
            Err(e) => failure(head, &e),
        },
        Ok(Resolved::Redirect(location)) => {
            Response::error(Status::MovedPermanently).with("Location", location)
        }
        Ok(Resolved::Listing(dir)) => match listing::read_entries(&dir, root, policy) {
            Ok(Some(listing)) => list(head, target, &listing),
            Ok(None) => not_found(head, ctx, root, target),
            Err(e) => failure(head, &e),
        },
        Ok(Resolved::NotFound) => not_found(head, ctx, root, target),
        Err(e) => failure(head, &e),
    }
}

/// A filesystem error: 403 or 404 as the error says, else 500 with the detail logged.
fn failure(head: &Head<'_>, e: &std::io::Error) -> Response {
    let status = Status::from_io_error(e);
    if status == Status::InternalServerError {
        // Queued, never written here: a blocked stderr must not stall the connection.
        crate::log::warn(format_args!("error serving {:?}: {e}", head.target));
    }
    Response::error(status)
}

/// `OPTIONS` with CORS on: 204 with `Allow`, and for a preflight (RFC 9110 §9.3.7, Fetch
/// standard) the methods, the requested headers echoed back, and a day of caching.
fn preflight(head: &Head<'_>) -> Response {
    let mut resp = Response {
        status: Status::NoContent,
        content_type: None,
        headers: vec![("Allow", ALLOW_CORS.into())],
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

/// A directory listing: JSON when the client asks for it, else HTML; with a weak ETag,
/// so a revalidation that finds the directory unchanged costs a 304, not the page.
fn list(head: &Head<'_>, target: &Target, listing: &listing::Listing) -> Response {
    // JSON only when asked for by name and preferred to HTML: a browser's */* or an
    // equal preference gets the page.
    let accept = head.header("accept").unwrap_or("");
    let wants_json = q_of(accept, "application/json") > q_of(accept, "text/html");
    let mut url_path = String::from("/");
    for seg in &target.segments {
        url_path.push_str(seg);
        url_path.push('/');
    }
    let format = if wants_json {
        listing::Format::Json
    } else {
        listing::Format::Html
    };
    let validators = Validators {
        etag: listing::etag(&url_path, listing, format),
        last_modified: None,
    };
    // RFC 9110 §15.4.5: a 304 carries the ETag, Cache-Control and Vary a 200 would. A weak
    // tag never matches If-Match, which compares strongly (§13.1.1): 412.
    let mut headers = vec![
        ("ETag", validators.etag.clone().into()),
        ("Cache-Control", "no-cache".into()),
        ("Vary", "Accept".into()),
    ];
    if let Some(resp) = file::preconditions(head, &validators, &mut headers) {
        return resp;
    }
    let (content_type, body) = match format {
        listing::Format::Json => (
            "application/json",
            listing::json(&listing.entries, listing.omitted),
        ),
        listing::Format::Html => (
            "text/html; charset=utf-8",
            listing::html(&url_path, &listing.entries, listing.omitted),
        ),
    };
    Response {
        status: Status::Ok,
        content_type: Some(content_type.into()),
        headers,
        body: Body::Text(body),
    }
}

/// A miss: the SPA's index for a page navigation, else 404 with ROOT/404.html if any.
fn not_found(head: &Head<'_>, ctx: &Context, root: &Path, target: &Target) -> Response {
    // A file at the top of the root, by the usual rules (hidden, symlinks).
    let page = |name: &str| {
        let t = Target {
            segments: vec![name.to_owned()],
            trailing_slash: false,
            query: None,
        };
        let Ok(Resolved::File { meta, path }) = resolve(root, &t, &ctx.lookup) else {
            return None;
        };
        let opened = ctx.files.open(&path, &meta, root, ctx.lookup.policy);
        let (source, meta) = opened.ok()??;
        Some((source, meta, path))
    };
    let spa_page = ctx.config.spa && looks_like_navigation(head, target);
    let mut resp = match spa_page.then(|| page(&ctx.lookup.index)).flatten() {
        Some((source, meta, path)) => file::respond(head, ctx, root, source, &meta, &path),
        None => match page(NOT_FOUND_PAGE) {
            Some((source, meta, _)) => Response {
                status: Status::NotFound,
                content_type: Some("text/html; charset=utf-8".into()),
                headers: vec![("Cache-Control", "no-cache".into())],
                body: Body::File {
                    source,
                    start: 0,
                    len: meta.len(),
                },
            },
            None => Response::error(Status::NotFound),
        },
    };
    if ctx.config.spa {
        // Whether a dotted path gets the app or a 404 depends on Accept: one Vary field
        // lists both when the file's encoding varies too.
        match resp.headers.iter_mut().find(|(name, _)| *name == "Vary") {
            Some((_, value)) => value.to_mut().push_str(", Accept"),
            None => resp.headers.push(("Vary", "Accept".into())),
        }
    }
    resp
}

/// A browser navigating, not a missing asset: no file extension in the last segment, or
/// HTML explicitly accepted. Hidden paths never fall back.
fn looks_like_navigation(head: &Head<'_>, target: &Target) -> bool {
    if target.segments.iter().any(|s| s.starts_with('.')) {
        return false;
    }
    let no_extension = target
        .segments
        .last()
        .is_none_or(|last| !last.contains('.'));
    no_extension
        || head
            .header("accept")
            .is_some_and(|a| a.contains("text/html"))
}
