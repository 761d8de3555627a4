//! The fallback stage: what a miss becomes. With `--spa`, a page navigation gets the
//! app's index file (200); otherwise ROOT/404.html, when it exists, is the body of the
//! 404. Both pages are found by the very lookup stage every request uses.

use std::path::Path;

use crate::http::request::Head;
use crate::http::target::Target;
use crate::respond::context::Context;
use crate::respond::{file, live, lookup, Found, Opened};
use crate::response::{Fields, Response, Status};

/// The page served, with status 404, for any path that is not found, when it exists.
const NOT_FOUND_PAGE: &str = "404.html";

/// A miss: the SPA's index for a page navigation, else 404 with ROOT/404.html if any.
pub(crate) fn not_found(head: &Head<'_>, ctx: &Context, root: &Path, target: &Target) -> Response {
    let spa_page = ctx.config.spa && looks_like_navigation(head, target);
    let mut resp = match spa_page
        .then(|| top_file(ctx, root, &ctx.rules.index))
        .flatten()
    {
        Some(app) => file::represent(head, ctx, root, app),
        None => match top_file(ctx, root, NOT_FOUND_PAGE)
            .and_then(|page| live::inject::not_found_body(ctx, root, page))
        {
            Some(body) => Response {
                status: Status::NotFound,
                content_type: Some("text/html; charset=utf-8".into()),
                headers: Fields::from([("Cache-Control", "no-cache".into())]),
                body,
            },
            None => live::inject::own_page(
                ctx,
                Response::error(Status::NotFound),
                &target.encoded_path(target.trailing_slash),
            ),
        },
    };
    if ctx.config.spa {
        // Whether a dotted path gets the app or a 404 depends on Accept: one Vary field
        // lists both when the file's encoding varies too.
        let vary = resp.headers.iter_mut().find(|(name, _)| *name == "Vary");
        if let Some((_, value)) = vary {
            value.push_str(", Accept");
        } else {
            resp.headers.push(("Vary", "Accept".into()));
        }
    }
    resp
}

/// A file at the top of the root, by the usual rules (hidden names, symlinks).
fn top_file(ctx: &Context, root: &Path, name: &str) -> Option<Opened> {
    let target = Target::from_segments([name], false);
    match lookup(ctx, root, &target) {
        Found::File(opened) => Some(opened),
        _ => None,
    }
}

/// A browser navigating, not a missing asset: no file extension in the last segment, or
/// HTML explicitly accepted. Hidden paths never fall back.
fn looks_like_navigation(head: &Head<'_>, target: &Target) -> bool {
    if target.segments().any(|s| s.starts_with('.')) {
        return false;
    }
    let no_extension = target.last().is_none_or(|last| !last.contains('.'));
    no_extension
        || head
            .header("accept")
            .is_some_and(|a| a.contains("text/html"))
}
