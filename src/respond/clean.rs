//! Clean URLs (`--clean-urls`): `/about` serves `about.html` when nothing is named
//! `about`, and `/about.html` is redirected (301) to `/about` (`/dir/index.html` to
//! `/dir/`), keeping the query.
//!
//! The mapping is pure ([`with_html`], [`without_html`]); [`stage`] applies it to what
//! the lookup stage found. A redirect is sent only when its target would serve the very
//! same file, so no chain of redirects can loop (the failure of vercel/serve #431 and
//! superstatic #235/#236): `/x.html` goes to `/x` only while nothing named `x` exists,
//! and `/x` then maps back to `x.html` without another redirect.

use std::path::Path;

use crate::http::target::Target;
use crate::respond::context::Context;
use crate::respond::{lookup, Found};

/// The extension clean URLs hide.
const HTML: &str = ".html";

/// The target a miss is retried as: the last segment with `.html` appended. `None` for a
/// directory URL (trailing slash), the root, or a name already ending in `.html`.
pub(crate) fn with_html(target: &Target) -> Option<Target<'static>> {
    let last = target.last()?;
    if target.trailing_slash || last.ends_with(HTML) {
        return None;
    }
    let mut mapped = target.clone().into_owned();
    mapped.map_last(|last| format!("{last}{HTML}"));
    Some(mapped)
}

/// Where a request for an `.html` file is redirected: the name without `.html`, or, for
/// the index file (`index`, when it ends in `.html`), its directory with a slash. `None`
/// for a directory URL, a name that is only `.html`, or any other name.
pub(crate) fn without_html(target: &Target, index: &str) -> Option<Target<'static>> {
    let last = target.last()?;
    if target.trailing_slash {
        return None;
    }
    let stem = last.strip_suffix(HTML).filter(|stem| !stem.is_empty())?;
    let mut clean = target.clone().into_owned();
    if last == index {
        clean.pop();
        clean.trailing_slash = true;
    } else {
        let stem = stem.to_owned();
        clean.map_last(|_| stem);
    }
    Some(clean)
}

/// The `Location` for `target`: its encoded path, then its query as sent.
fn location(target: &Target) -> String {
    let mut location = target.encoded_path(target.trailing_slash);
    if let Some(q) = &target.query {
        location.push('?');
        location.push_str(q);
    }
    location
}

/// The clean-URL stage, between lookup and fallback: a miss is retried with `.html`; a
/// file reached by its `.html` name is redirected to its clean name when that name
/// leads back to it (nothing else is called so). Everything else passes unchanged.
pub(crate) fn stage(ctx: &Context, root: &Path, target: &Target, found: Found) -> Found {
    match found {
        Found::Missing => match with_html(target).map(|t| lookup(ctx, root, &t)) {
            Some(Found::File(page)) => Found::File(page),
            _ => Found::Missing,
        },
        Found::File(opened) => match without_html(target, &ctx.rules.index) {
            Some(clean) if leads_back(ctx, root, &clean) => Found::Redirect(location(&clean)),
            _ => Found::File(opened),
        },
        other => other,
    }
}

/// Whether the clean name serves the `.html` file: a directory URL serves its index by
/// construction; a plain name only while nothing of that name exists and a miss on it is
/// retried with `.html` (not so for `/a.html`, the clean name of `/a.html.html`: found in
/// review, that redirect ended in a 404).
fn leads_back(ctx: &Context, root: &Path, clean: &Target) -> bool {
    clean.trailing_slash
        || (with_html(clean).is_some() && matches!(lookup(ctx, root, clean), Found::Missing))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(raw: &str) -> Target<'_> {
        Target::parse(raw).unwrap()
    }

    fn shown(t: Option<Target>) -> String {
        t.map_or("-".into(), |t| location(&t))
    }

    #[test]
    fn a_miss_is_retried_with_html() {
        for (raw, want) in [
            ("/about", "/about.html"),
            ("/about?x=1", "/about.html?x=1"),
            ("/a/b", "/a/b.html"),
            ("/v1.2", "/v1.2.html"),
            ("/caf%C3%A9", "/caf%C3%A9.html"),
            ("/sp%20ace", "/sp%20ace.html"),
            ("/.hidden", "/.hidden.html"),
            ("/about/", "-"),
            ("/", "-"),
            ("/about.html", "-"),
            // Only a real `/` makes a directory URL (target.rs).
            ("/dir%2f", "/dir.html"),
        ] {
            assert_eq!(shown(with_html(&target(raw))), want, "{raw}");
        }
    }

    #[test]
    fn an_html_name_is_redirected_to_its_clean_name() {
        for (raw, index, want) in [
            ("/about.html", "index.html", "/about"),
            ("/about.html?q=1&r", "index.html", "/about?q=1&r"),
            ("/a/b.html", "index.html", "/a/b"),
            ("/index.html", "index.html", "/"),
            ("/docs/index.html", "index.html", "/docs/"),
            ("/docs/index.html", "start.html", "/docs/index"),
            ("/docs/start.html", "start.html", "/docs/"),
            ("/caf%C3%A9.html", "index.html", "/caf%C3%A9"),
            ("/x%23.html", "index.html", "/x%23"),
            ("/.html", "index.html", "-"),
            ("/about.htm", "index.html", "-"),
            ("/about.HTML", "index.html", "-"),
            ("/about.html/", "index.html", "-"),
            ("/", "index.html", "-"),
        ] {
            assert_eq!(shown(without_html(&target(raw), index)), want, "{raw}");
        }
    }

    /// The two maps undo each other, so a redirect leads to a name that maps back.
    #[test]
    fn the_maps_are_inverse() {
        for raw in ["/about.html", "/a/b.html", "/caf%C3%A9.html", "/x.y.html"] {
            let clean = without_html(&target(raw), "index.html").unwrap();
            assert_eq!(with_html(&clean), Some(target(raw)), "{raw}");
        }
    }
}
