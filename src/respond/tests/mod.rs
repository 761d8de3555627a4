//! In-process tests of the response layer: a temp root, a `Context` built from the very
//! command-line flags the binary takes, a head parsed from raw bytes, [`respond`], and
//! the bytes `write_head` and `send` would put on the wire, without a socket or a process.
//!
//! Integration tests (`tests/it/`) keep what needs real sockets or differs by mode; these
//! hold the HTTP semantics that are the same in both (moved from there: same names).

mod caching;
mod features;
mod http;
mod listing;

use std::fs;
use std::path::PathBuf;

use crate::cli::{self, Action};
use crate::context::Context;
use crate::http::request::{parse_head, Parsed};
use crate::respond::respond;
use crate::response::{transmit, Persistence, Wire};
use crate::testutil::TempDir;

/// The `Date` every response here carries: 2023-11-14 22:13:20 UTC.
pub(super) const NOW: u64 = 1_700_000_000;

/// Stands in for the file beside the root that must never be served.
pub(super) const SECRET: &str = "TOP SECRET: this file lies beside the root";

/// A site: `base/root` is served, `base/secret.txt` lies beside it (as in `tests/it`).
pub(super) struct Site {
    pub base: TempDir,
}

impl Site {
    pub fn new(name: &str) -> Site {
        let base = TempDir::new(name);
        let root = base.path().join("root");
        let files: &[(&str, &[u8])] = &[
            ("index.html", b"<h1>home</h1>\n"),
            ("hello.txt", b"hello\n"),
            ("a b.txt", b"spaced\n"),
            ("caf\u{e9}.txt", b"accent\n"),
            ("style.css", b"body{}\n"),
            ("app.js", b"export{};\n"),
            ("data.json", b"{}\n"),
            ("UPPER.HTML", b"<p>upper</p>\n"),
            ("unknown.xyz", b"?\n"),
            ("dir/index.html", b"<h1>dir</h1>\n"),
            ("dir/page.html", b"<p>page</p>\n"),
            ("noindex/x.txt", b"x\n"),
            ("evil.com/index.html", b"not a redirect target\n"),
            (".hidden.txt", b"hidden\n"),
            (".git/config", b"[core]\n"),
        ];
        for (name, bytes) in files {
            let path = root.join(name);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, bytes).unwrap();
        }
        fs::write(base.path().join("secret.txt"), SECRET).unwrap();
        std::os::unix::fs::symlink(base.path().join("secret.txt"), root.join("link-out.txt"))
            .unwrap();
        std::os::unix::fs::symlink("hello.txt", root.join("link-in.txt")).unwrap();
        Site { base }
    }

    pub fn root(&self) -> PathBuf {
        self.base.path().join("root")
    }

    /// Adds a file of `len` deterministic bytes; returns them.
    pub fn add_big(&self, name: &str, len: usize) -> Vec<u8> {
        let data = pattern(len);
        fs::write(self.root().join(name), &data).unwrap();
        data
    }
}

/// Deterministic non-repeating-looking bytes, so an offset error cannot go unnoticed.
pub(super) fn pattern(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// The response layer of a server started as `servedir ARGS -- ROOT`: the `Context`
/// `Server::bind` would build, from the same flag parser.
pub(super) struct Server {
    ctx: Context,
}

impl Server {
    pub fn start(root: &std::path::Path, args: &[&str]) -> Server {
        let argv = args
            .iter()
            .map(|a| a.to_string())
            .chain(["--".into(), root.display().to_string()]);
        let Ok(Action::Serve(mut config)) = cli::parse(argv) else {
            panic!("not a serve command: {args:?}");
        };
        // As `Server::bind` does: canonical for serving, absolute for following a link.
        let canonical = fs::canonicalize(&config.root).unwrap();
        config.root = std::path::absolute(&config.root).unwrap();
        Server {
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
pub(super) fn req(server: &Server, method: &str, path: &str, headers: &[&str]) -> Raw {
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
pub(super) fn get(server: &Server, path: &str) -> Raw {
    server.get(path)
}

/// The value of a field that must be there.
pub(super) fn header<'a>(resp: &'a Raw, name: &str) -> &'a str {
    resp.header(name)
        .unwrap_or_else(|| panic!("missing {name}: {}", resp.head))
}
