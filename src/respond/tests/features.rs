//! What people expect from a local file server: listings, SPA fallback, a custom 404
//! page, CORS, extra headers, cross-origin isolation. Exact bytes, in-process (moved from
//! `tests/it/features.rs`).

use std::fs;

use super::*;
use crate::platform::WINDOWS_FILE_NAMES;

/// Names that break naive listings: HTML metacharacters, URL delimiters, escapes, a
/// scheme. Windows has no `< > " ? :` in a name, so there the markup is entity text
/// (`&` and `'` escape the same way) and the scheme's colon an entity a browser decodes.
const HOSTILE: &[&str] = if WINDOWS_FILE_NAMES {
    &[
        "&lt;b&gt;x&y'.txt",
        "a b#c;d.txt",
        "%41.txt",
        "'q'.txt",
        "javascript&#58;alert(1)",
    ]
} else {
    &[
        "<b>x&y\".txt",
        "a b#c?.txt",
        "%41.txt",
        "'q'.txt",
        "javascript:alert(1)",
    ]
};

/// How [`HOSTILE`]'s first name reads in the HTML page, and in the JSON listing.
const FIRST_IN_HTML: &str = if WINDOWS_FILE_NAMES {
    "&amp;lt;b&amp;gt;x&amp;y&#39;.txt"
} else {
    "&lt;b&gt;x&amp;y&quot;.txt"
};
/// The start of [`HOSTILE`]'s first name as it would show were it not escaped.
const FIRST_UNESCAPED: &str = if WINDOWS_FILE_NAMES {
    "&lt;b&gt;x"
} else {
    "<b>x"
};
const FIRST_IN_JSON: &str = if WINDOWS_FILE_NAMES {
    "\\u0026lt;b\\u0026gt;x\\u0026y'.txt"
} else {
    "\\u003cb\\u003ex\\u0026y\\\".txt"
};
/// [`HOSTILE`]'s first three names as a listing links them (before HTML escaping).
const LINKS: [&str; 3] = if WINDOWS_FILE_NAMES {
    ["&lt;b&gt;x&y'.txt", "a%20b%23c;d.txt", "%2541.txt"]
} else {
    ["%3Cb%3Ex&y%22.txt", "a%20b%23c%3F.txt", "%2541.txt"]
};

fn listing_site(name: &str) -> Site {
    let site = Site::new(name);
    let dir = site.root().join("files");
    fs::create_dir_all(dir.join("Sub dir")).unwrap();
    for (i, name) in HOSTILE.iter().enumerate() {
        fs::write(dir.join(name), "x".repeat(i + 1)).unwrap();
    }
    fs::write(dir.join(".secret"), "hidden").unwrap();
    // A link must not open what its target's own name would not.
    #[cfg(unix)]
    std::os::unix::fs::symlink(".secret", dir.join("link-to-secret.txt")).unwrap();
    site
}

#[test]
fn listings_are_off_by_default() {
    let site = listing_site("nolisting");
    let server = Harness::start(&site.root(), &["--quiet"]);
    assert_eq!(req(&server, "GET", "/files/", &[]).status, 404);
}

#[test]
fn listings_escape_every_name_and_hide_dot_files() {
    let site = listing_site("listing");
    let server = Harness::start(&site.root(), &["--quiet", "--listing"]);
    let resp = req(&server, "GET", "/files/", &[]);
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let page = String::from_utf8(resp.body).unwrap();
    assert!(page.contains("Index of /files/"), "{page}");
    assert!(page.contains("href=\"../\""), "parent link: {page}");
    assert!(page.contains(FIRST_IN_HTML), "{page}");
    assert!(!page.contains(FIRST_UNESCAPED), "{page}");
    for link in LINKS {
        let mut href = String::from("href=\"./");
        crate::respond::page::escape_html(link, &mut href);
        href.push('"');
        assert!(page.contains(&href), "{href} in {page}");
    }
    assert!(!page.contains(".secret"), "{page}");
    assert!(!page.contains("link-to-secret"), "{page}");
    assert_eq!(
        req(&server, "GET", "/files/link-to-secret.txt", &[]).status,
        404
    );
    assert!(
        !page.contains(site.base.path().to_str().unwrap()),
        "no filesystem path: {page}"
    );
    assert!(!page.contains("<script"), "{page}");
    // Directories first.
    let sub = page.find("Sub dir/").expect("the subdirectory is listed");
    let first_file = HOSTILE
        .iter()
        .filter_map(|n| {
            page.find(
                &n.replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;")
                    .replace('"', "&quot;")
                    .replace('\'', "&#39;"),
            )
        })
        .min()
        .unwrap();
    assert!(sub < first_file, "directories come first");
    // Every listed link works.
    for name in LINKS.into_iter().chain(["Sub%20dir/"]) {
        let resp = req(&server, "GET", &format!("/files/{name}"), &[]);
        assert!(matches!(resp.status, 200), "{name}: {}", resp.status);
    }
    // A nested directory lists too, with its parent link; --hidden shows dot-files.
    let sub_page = String::from_utf8(req(&server, "GET", "/files/Sub%20dir/", &[]).body).unwrap();
    assert!(sub_page.contains("Index of /files/Sub dir/"), "{sub_page}");
    assert!(sub_page.contains("href=\"../\""), "{sub_page}");
    let hidden = Harness::start(&site.root(), &["--quiet", "--listing", "--hidden"]);
    assert!(String::from_utf8(req(&hidden, "GET", "/files/", &[]).body)
        .unwrap()
        .contains(".secret"));
}

#[test]
fn listings_answer_json_when_asked() {
    let site = listing_site("listing-json");
    let server = Harness::start(&site.root(), &["--quiet", "--listing"]);
    let resp = req(&server, "GET", "/files/", &["Accept: application/json"]);
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-type"), Some("application/json"));
    assert_eq!(resp.header("vary"), Some("Accept"));
    let json = String::from_utf8(resp.body).unwrap();
    assert!(json.starts_with('[') && json.ends_with(']'), "{json}");
    assert!(
        json.contains("{\"name\":\"Sub dir\",\"type\":\"directory\""),
        "{json}"
    );
    assert!(
        json.contains(&format!(
            "\"name\":\"{FIRST_IN_JSON}\",\"type\":\"file\",\"size\":1,"
        )),
        "{json}"
    );
    assert!(!json.contains(".secret"), "{json}");
    assert_eq!(json.matches("\"name\":").count(), HOSTILE.len() + 1);
    for accept in [
        "application/json;q=0",
        "text/html, application/json",
        "*/*",
        "text/html;q=0.9, application/json;q=0.5",
    ] {
        let resp = req(&server, "GET", "/files/", &[&format!("Accept: {accept}")]);
        assert_eq!(
            resp.header("content-type"),
            Some("text/html; charset=utf-8"),
            "{accept}"
        );
    }
    let resp = req(
        &server,
        "GET",
        "/files/",
        &["Accept: text/html;q=0.5, application/json"],
    );
    assert_eq!(resp.header("content-type"), Some("application/json"));
}

#[test]
fn spa_fallback_serves_navigations_but_not_assets() {
    let site = Site::new("spa");
    let server = Harness::start(&site.root(), &["--quiet", "--spa"]);
    for path in ["/app/settings", "/users/42", "/deep/link/"] {
        let resp = req(&server, "GET", path, &[]);
        assert_eq!(
            (resp.status, resp.body.as_slice()),
            (200, &b"<h1>home</h1>\n"[..]),
            "{path}"
        );
        assert_eq!(
            resp.header("content-type"),
            Some("text/html; charset=utf-8")
        );
    }
    assert_eq!(
        req(&server, "GET", "/app/settings", &[]).header("vary"),
        Some("Accept-Encoding, Accept")
    );
    assert_eq!(
        req(&server, "GET", "/missing.js", &[]).header("vary"),
        Some("Accept")
    );
    // With Accept: text/html even a dotted path is a navigation.
    assert_eq!(
        req(&server, "GET", "/v1.2/page", &["Accept: text/html,*/*"]).status,
        200
    );
    for path in ["/missing.js", "/x.png", "/static/missing.css", "/.env"] {
        assert_eq!(req(&server, "GET", path, &[]).status, 404, "{path}");
    }
    // Real files are still themselves.
    assert_eq!(req(&server, "GET", "/hello.txt", &[]).body, b"hello\n");
    let plain = Harness::start(&site.root(), &["--quiet"]);
    assert_eq!(req(&plain, "GET", "/app/settings", &[]).status, 404);
}

#[test]
fn a_custom_404_page_keeps_the_status() {
    let site = Site::new("custom404");
    fs::write(site.root().join("404.html"), "<h1>lost</h1>\n").unwrap();
    let server = Harness::start(&site.root(), &["--quiet"]);
    let resp = req(&server, "GET", "/nope/missing.png", &[]);
    assert_eq!(
        (resp.status, resp.body.as_slice()),
        (404, &b"<h1>lost</h1>\n"[..])
    );
    assert_eq!(
        resp.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let head = req(&server, "HEAD", "/nope", &[]);
    assert_eq!(
        (head.status, head.header("content-length")),
        (404, Some("14"))
    );
    // Bad requests are not "not found".
    let bad = req(&server, "GET", "/%zz", &[]);
    assert_eq!(
        (bad.status, bad.defect),
        (400, Some("bad percent-escape in target"))
    );
    // Only a malformed request gives the log a reason.
    assert_eq!((resp.status, resp.defect), (404, None));
}

#[test]
fn cors_headers_and_preflight() {
    let site = Site::new("cors");
    let server = Harness::start(&site.root(), &["--quiet", "--cors"]);
    let resp = req(
        &server,
        "GET",
        "/hello.txt",
        &["Origin: http://example.com"],
    );
    assert_eq!(resp.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        resp.header("access-control-expose-headers"),
        Some("Content-Length, Content-Range, ETag")
    );
    assert_eq!(
        req(&server, "GET", "/missing", &[]).header("access-control-allow-origin"),
        Some("*")
    );
    let pre = req(
        &server,
        "OPTIONS",
        "/hello.txt",
        &[
            "Origin: http://example.com",
            "Access-Control-Request-Method: GET",
            "Access-Control-Request-Headers: range, if-none-match",
        ],
    );
    assert_eq!(pre.status, 204);
    assert_eq!(pre.header("content-length"), None);
    assert!(pre.body.is_empty());
    assert_eq!(pre.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        pre.header("access-control-allow-methods"),
        Some("GET, HEAD, OPTIONS")
    );
    assert_eq!(
        pre.header("access-control-allow-headers"),
        Some("range, if-none-match")
    );
    assert_eq!(pre.header("access-control-max-age"), Some("86400"));
    // A hostile request-headers value is not echoed.
    let evil = req(
        &server,
        "OPTIONS",
        "/",
        &[
            "Access-Control-Request-Method: GET",
            "Access-Control-Request-Headers: a b, <c>",
        ],
    );
    assert_eq!(
        (evil.status, evil.header("access-control-allow-headers")),
        (204, None)
    );
    // Without --cors: no CORS fields, OPTIONS is not allowed.
    let plain = Harness::start(&site.root(), &["--quiet"]);
    assert_eq!(
        req(&plain, "GET", "/hello.txt", &[]).header("access-control-allow-origin"),
        None
    );
    assert_eq!(req(&plain, "OPTIONS", "/hello.txt", &[]).status, 405);
}

#[test]
fn extra_headers_and_cross_origin_isolation() {
    let site = Site::new("headers");
    let server = Harness::start(
        &site.root(),
        &[
            "--quiet",
            "--coi",
            "-H",
            "X-Frame-Options: DENY",
            "--header=X-Custom: a, b",
        ],
    );
    for path in ["/hello.txt", "/missing"] {
        let resp = req(&server, "GET", path, &[]);
        assert_eq!(resp.header("x-frame-options"), Some("DENY"), "{path}");
        assert_eq!(resp.header("x-custom"), Some("a, b"), "{path}");
        assert_eq!(
            resp.header("cross-origin-opener-policy"),
            Some("same-origin"),
            "{path}"
        );
        assert_eq!(
            resp.header("cross-origin-embedder-policy"),
            Some("require-corp"),
            "{path}"
        );
    }
}

#[test]
fn a_configured_vary_adds_to_servedirs_own() {
    let site = Site::new("vary");
    std::fs::write(site.root().join("style.css.br"), b"BROTLI").unwrap();
    let server = Harness::start(&site.root(), &["--quiet", "-H", "Vary: Origin"]);
    let resp = req(&server, "GET", "/style.css", &["Accept-Encoding: br"]);
    assert_eq!((resp.status, resp.body.as_slice()), (200, &b"BROTLI"[..]));
    let vary: Vec<&str> = resp
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("vary"))
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(vary, ["Accept-Encoding", "Origin"], "{}", resp.head);
}
