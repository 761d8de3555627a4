//! Which response a well-formed request head gets. [`respond`] runs these stages in order,
//! each a named function that returns the response once it has decided:
//! 1. method (`method.rs`): GET and HEAD go on; OPTIONS is a CORS preflight with `--cors`;
//!    anything else is 405 or 501 with `Allow`.
//! 2. target (`http/target.rs`): clean segments, or 400 with the defect for the log.
//! 3. root ([`Context::current_root`]): where the root leads now (a root given through a
//!    symlink is followed per request).
//!    With `--live`, `/.servedir/` is reserved here (`live/`): the live script and the
//!    event stream; an HTML page found below gets the script (`live/inject.rs`).
//! 4. lookup ([`lookup`]): by name (`resolve.rs`, rules in `policy.rs`), then opened and
//!    verified (`filecache.rs`, `open.rs`), or a directory read (`listing.rs`).
//!    With `--clean-urls`, `clean.rs` then retries a miss as `NAME.html` and redirects
//!    `NAME.html` to `NAME`.
//! 5. fallback (`fallback.rs`): a miss becomes the SPA's index or the custom 404 page.
//! 6. file representation (`file.rs`): sidecar selection, preconditions, range, validators.
//! 7. listing (`page.rs`): HTML or JSON, weak ETag, 304.
//!
//! A 404 from stages 4-7 runs them once more if the root, a plain directory at start-up,
//! has since been replaced by a symlink (`Context::root_replaced_by_link`).
//!
//! It reads no socket and writes nothing: `connection/` sends what it returns.

mod clean;
pub(crate) mod context;
mod fallback;
mod file;
pub(crate) mod filecache;
pub(crate) mod listing;
pub(crate) mod live;
pub(crate) mod method;
mod open;
mod page;
pub(crate) mod policy;
pub(crate) mod resolve;
#[cfg(test)]
mod tests;

use std::fs::Metadata;
use std::io;
use std::path::{Path, PathBuf};

use crate::http::request::Head;
use crate::http::target::Target;
use crate::respond::context::{Context, PANIC_PATH};
use crate::respond::listing::Listing;
use crate::respond::resolve::{resolve, Resolved};
use crate::response::Source;
use crate::response::{Response, Status};

/// Why a request was refused as malformed (400): for the operator's log, never the client.
pub(crate) type Defect = &'static str;

/// Decides the response to a well-formed head, and, when the request was bad, why.
pub(crate) fn respond(head: &Head<'_>, ctx: &Context) -> (Response, Option<Defect>) {
    test_hook(head, ctx);
    if let Some(refused) = method::check(head, ctx.config.cors) {
        return (refused, None);
    }
    let target = match Target::parse(head.target) {
        Ok(target) => target,
        Err(e) => return (Response::error(Status::BadRequest), Some(e.as_str())),
    };
    let root = match ctx.current_root() {
        Ok(root) => root,
        Err(e) => return (failure(head, &e), None),
    };
    if live::is_reserved(ctx, &target) {
        return (live::reserved(head, ctx, &root, &target), None);
    }
    let resp = below(head, ctx, &root, &target);
    if resp.status != Status::NotFound {
        return (resp, None);
    }
    // A root that was a plain directory at start-up and has since been replaced by a
    // symlink (a first move to symlink deploys) is followed from then on. Checked only
    // on a 404, so the common case pays nothing for it.
    match ctx.root_replaced_by_link() {
        Some(moved) => (below(head, ctx, &moved, &target), None),
        None => (resp, None),
    }
}

/// Debug builds with `SERVEDIR_TEST_HOOKS` set only: a request for [`PANIC_PATH`] panics,
/// so tests can prove a panic ends one connection and nothing else.
fn test_hook(head: &Head<'_>, ctx: &Context) {
    if ctx.test_hooks && head.target == PANIC_PATH {
        panic!("test hook: a deliberate panic in a connection handler");
    }
}

/// Stages 4 to 7 for `target` below `root`.
fn below(head: &Head<'_>, ctx: &Context, root: &Path, target: &Target) -> Response {
    let found = lookup(ctx, root, target);
    let found = match ctx.config.clean_urls {
        true => clean::stage(ctx, root, target, found),
        false => found,
    };
    match found {
        Found::File(opened) => file::represent(head, ctx, root, opened),
        Found::Redirect(location) => {
            Response::error(Status::MovedPermanently).with("Location", location)
        }
        Found::Listing(listing) => page::render(head, target, &listing),
        Found::Missing => fallback::not_found(head, ctx, root, target),
        Found::Failed(e) => failure(head, &e),
    }
}

/// A regular file, opened and verified.
pub(crate) struct Opened {
    /// Where its bytes come from: the descriptor, or the copy in memory.
    pub source: Source,
    /// Its metadata, of what was opened.
    pub meta: Metadata,
    /// The path it was found by (gives the Content-Type, and its sidecars' names).
    pub path: PathBuf,
}

/// What the lookup stage found for a target.
pub(crate) enum Found {
    /// A file to represent.
    File(Opened),
    /// A directory requested without its slash: 301 to this.
    Redirect(String),
    /// A directory without an index, read (listings on).
    Listing(Listing),
    /// Nothing servable: the fallback decides.
    Missing,
    /// A filesystem error, for [`failure`].
    Failed(io::Error),
}

/// The lookup stage: resolve `target` below `root` by name, then open and verify what it
/// names (a file, or a directory to list). Whatever vanished or changed into something
/// the policy refuses in between is [`Found::Missing`].
pub(crate) fn lookup(ctx: &Context, root: &Path, target: &Target) -> Found {
    let policy = ctx.rules.policy;
    match resolve(root, target, &ctx.rules) {
        Ok(Resolved::File { meta, path }) => match ctx.files.open(&path, &meta, root, policy) {
            Ok(Some((source, meta))) => Found::File(Opened { source, meta, path }),
            Ok(None) => Found::Missing,
            Err(e) => Found::Failed(e),
        },
        Ok(Resolved::Redirect(location)) => Found::Redirect(location),
        Ok(Resolved::Listing(dir)) => match listing::read_entries(&dir, root, policy) {
            Ok(Some(listing)) => Found::Listing(listing),
            Ok(None) => Found::Missing,
            Err(e) => Found::Failed(e),
        },
        Ok(Resolved::NotFound) => Found::Missing,
        Err(e) => Found::Failed(e),
    }
}

/// A filesystem error: 403 or 404 as the error says, else 500 with the detail logged.
fn failure(head: &Head<'_>, e: &io::Error) -> Response {
    let status = Status::from_io_error(e);
    if status == Status::InternalServerError {
        // Queued, never written here: a blocked stderr must not stall the connection.
        crate::log::warn(format_args!("error serving {:?}: {e}", head.target));
    }
    Response::error(status)
}
