//! Live reload (`--live`): the reserved paths under `/.servedir/` (a dot-name, so no
//! served file can shadow them) and what they answer.
//! - `/.servedir/live.js`: the script injected pages load (`inject.rs` puts the tag in).
//! - `/.servedir/live?p=PATH&p=PATH...`: the page's event stream. The script reports
//!   what the page loaded (its file, its URL, its stylesheets, then every same-origin
//!   resource it fetched); the answer carries a [`Watch`] of those paths
//!   (`watch.rs`), which the connection layer streams (`connection/events.rs`):
//!   `Change`s, debounced (`debounce.rs`), and a comment line every 15 s.
//!
//! What was served is told by the page, not tracked in the server's memory, so process
//! mode (a process per connection, no memory shared) behaves exactly as thread mode.

pub(crate) mod debounce;
pub(crate) mod inject;
pub(crate) mod watch;

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::http::request::Head;
use crate::http::target::{percent_decode, Target};
use crate::respond::context::Context;
use crate::response::{Body, Fields, Response, Status};
pub(crate) use watch::Watch;

/// The reserved directory, first segment of every live path.
pub(crate) const RESERVED: &str = ".servedir";
/// The script, served at [`inject::SCRIPT_PATH`].
const SCRIPT: &str = include_str!("live.js");

/// Whether `target` is under the reserved directory (only reserved with `--live`).
pub(crate) fn is_reserved(ctx: &Context, target: &Target) -> bool {
    ctx.config.live && target.segments().next() == Some(RESERVED)
}

/// The answer for a reserved path: the script, the event stream, or 404.
pub(crate) fn reserved(head: &Head<'_>, ctx: &Context, root: &Path, target: &Target) -> Response {
    let mut segments = target.segments();
    let name = match (segments.nth(1), segments.next(), target.trailing_slash) {
        (Some(name), None, false) => name,
        _ => "",
    };
    let ok = |content_type: &'static str, body| Response {
        status: Status::Ok,
        content_type: Some(content_type.into()),
        headers: Fields::from([("Cache-Control", "no-store".into())]),
        body,
    };
    match name {
        // Stamped with when it was served: the page sends it back, and a file saved
        // between then and the stream's start is not missed.
        "live.js" => ok(
            "text/javascript; charset=utf-8",
            Body::Text(SCRIPT.replace(SINCE_MARK, &unix_millis(SystemTime::now()).to_string())),
        ),
        // HEAD describes the stream and ends; only GET holds the connection.
        "live" if head.method == "HEAD" => ok("text/event-stream", Body::None),
        "live" => {
            let query = target.query.as_deref().unwrap_or("");
            let watch = Watch::new(root, &ctx.rules, &reported(query), since(query));
            ok("text/event-stream", Body::Events(Box::new(watch)))
        }
        _ => Response::error(Status::NotFound),
    }
}

/// Where the served script carries the time it was served.
const SINCE_MARK: &str = "SERVEDIR_SINCE";

/// Milliseconds since the Unix epoch (0 before it).
fn unix_millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The time the query's `t` gives back (when the page's script was served), if any.
pub(crate) fn since(query: &str) -> Option<SystemTime> {
    let millis = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("t="))?
        .parse()
        .ok()?;
    UNIX_EPOCH.checked_add(Duration::from_millis(millis))
}

/// The URL paths in the query's `p` parameters (each percent-encoded once more by the
/// script), at most [`watch::MAX_URLS`]; a malformed one is skipped.
pub(crate) fn reported(query: &str) -> Vec<Target<'static>> {
    query
        .split('&')
        .filter_map(|pair| pair.strip_prefix("p="))
        .filter_map(|value| String::from_utf8(percent_decode(value).ok()?.into_owned()).ok())
        .filter(|path| path.starts_with('/'))
        .filter_map(|path| Target::parse(&path).ok().map(Target::into_owned))
        .take(watch::MAX_URLS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reported_paths() {
        let shown = |q: &str| -> Vec<String> {
            reported(q)
                .iter()
                .map(|t| t.encoded_path(t.trailing_slash))
                .collect()
        };
        for (query, want) in [
            ("p=%2Findex.html&p=%2Fa.css", &["/index.html", "/a.css"][..]),
            ("p=/x&q=/y&p=", &["/x"]),
            // The script encodes the page's own %-escapes once more.
            ("p=%2Fcaf%25C3%25A9.css", &["/caf%C3%A9.css"]),
            ("p=%2F..%2F..%2Fetc%2Fpasswd", &[]),
            ("p=http%3A%2F%2Fevil%2Fx&p=%zz&p=%2F%FF", &[]),
            ("p=%2Fdir%2F", &["/dir/"]),
            ("", &[]),
        ] {
            assert_eq!(shown(query), want, "{query}");
        }
        let many = "p=%2Fa&".repeat(3 * watch::MAX_URLS);
        assert_eq!(reported(&many).len(), watch::MAX_URLS);
    }

    #[test]
    fn the_served_time_comes_back_in_t() {
        let at = UNIX_EPOCH + Duration::from_millis(1_764_547_200_123);
        assert_eq!(since("p=%2F&t=1764547200123"), Some(at));
        assert_eq!(unix_millis(at), 1_764_547_200_123);
        for query in ["p=%2F", "t=", "t=-1", "t=1e9", "t=SERVEDIR_SINCE"] {
            assert_eq!(since(query), None, "{query}");
        }
        assert!(
            SCRIPT.contains(SINCE_MARK),
            "the script must carry the mark"
        );
    }
}
