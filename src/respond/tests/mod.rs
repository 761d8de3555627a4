//! In-process tests of the response layer: a temp root, a `Context` built from the very
//! command-line flags the binary takes, a head parsed from raw bytes, [`respond`], and
//! the bytes `response::transmit` puts on the wire, without a socket or a process.
//!
//! Integration tests (`tests/it/`) keep what needs real sockets or differs by mode; these
//! hold the HTTP semantics that are the same in both (moved from there: same names).

mod caching;
mod clean;
mod features;
mod http;
mod listing;
mod live;

use crate::cli::{self, Action};
use crate::http::request::{parse_head, Parsed};
use crate::respond::context::Context;
use crate::respond::respond;
use crate::response::{transmit, Persistence, Wire};
pub(super) use crate::testutil::{Site, TempDir, SECRET};

/// The `Date` every response here carries: 2023-11-14 22:13:20 UTC.
pub(super) const NOW: u64 = 1_700_000_000;

/// The response layer of a server started as `servedir ARGS -- ROOT`: the `Context`
/// `Harness::bind` would build, from the same flag parser.
pub(super) struct Harness {
    ctx: Context,
}

impl Harness {
    pub fn start(root: &std::path::Path, args: &[&str]) -> Harness {
        let argv = args
            .iter()
            .map(|a| a.to_string())
            .chain(["--".into(), root.display().to_string()]);
        let Ok(Action::Serve(mut config)) = cli::parse(argv) else {
            panic!("not a serve command: {args:?}");
        };
        // As `Harness::bind` does: canonical for serving, absolute for following a link.
        let canonical = crate::platform::canonicalize(&config.root).unwrap();
        config.root = std::path::absolute(&config.root).unwrap();
        Harness {
            ctx: Context::new(config, canonical),
        }
    }

    /// `GET path` with only `Host`.
    pub fn get(&self, path: &str) -> Raw {
        req(self, "GET", path, &[])
    }
}

/// A response as the client would receive it: status, head text, fields, body bytes.
#[derive(Debug)]
pub(super) struct Raw {
    pub status: u16,
    pub head: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The reason the response layer gave for a 400, for the log.
    pub defect: Option<&'static str>,
}

impl Raw {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }
}

/// `method path HTTP/1.1` with `Host` and `headers`, answered in-process: the head and
/// body exactly as `connection/` would send them (HEAD sends no body).
pub(super) fn req(server: &Harness, method: &str, path: &str, headers: &[&str]) -> Raw {
    let mut text = format!("{method} {path} HTTP/1.1\r\nHost: t\r\n");
    for h in headers {
        text.push_str(h);
        text.push_str("\r\n");
    }
    text.push_str("\r\n");
    let limits = &server.ctx.config.limits;
    let Ok(Parsed::Complete { head, .. }) =
        parse_head(text.as_bytes(), limits.max_head_bytes, limits.max_headers)
    else {
        panic!("not a complete, valid head: {text:?}");
    };
    let (resp, defect) = respond(&head, &server.ctx);
    let (mut out, mut wire) = (Vec::new(), Vec::new());
    let how = Wire {
        now: NOW,
        persistence: Persistence::KeepAlive,
        body: method != "HEAD",
        cut: None,
    };
    let (head_len, sent) = transmit(&mut wire, &mut out, resp, how, &server.ctx.headers);
    sent.unwrap();
    let head_len = head_len as usize;
    let head_text = String::from_utf8(wire[..head_len].to_vec()).unwrap();
    let status = head_text[9..12].parse().unwrap();
    let headers = headers_of(&head_text);
    let body = wire[head_len..].to_vec();
    let resp = Raw {
        status,
        head: head_text,
        headers,
        body,
        defect,
    };
    if let (Some(len), true) = (resp.header("content-length"), method != "HEAD") {
        // What the head promises is exactly what follows it.
        assert_eq!(
            len.parse::<usize>().unwrap(),
            resp.body.len(),
            "{}",
            resp.head
        );
    }
    resp
}

/// The fields of a response head, in order.
fn headers_of(head: &str) -> Vec<(String, String)> {
    head.trim_end_matches("\r\n")
        .split("\r\n")
        .skip(1)
        .filter_map(|l| l.split_once(": "))
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect()
}

/// `GET path`, as `tests/it`'s helper of that name.
pub(super) fn get(server: &Harness, path: &str) -> Raw {
    server.get(path)
}

/// The value of a field that must be there.
pub(super) fn header<'a>(resp: &'a Raw, name: &str) -> &'a str {
    resp.header(name)
        .unwrap_or_else(|| panic!("missing {name}: {}", resp.head))
}
