//! `--live` in the response layer (issue 15): which responses get the script, and that
//! lengths, ETags, 304s, HEAD, ranges and sidecars stay right for an injected page; the
//! reserved `/.servedir/` paths. The event stream itself needs a socket: `tests/it/live.rs`.

use std::fs;

use super::*;

const TAG: &str = "<script src=\"/.servedir/live.js\" data-page=\"/index.html\"></script>";

fn live(site: &Site, more: &[&str]) -> Harness {
    let args: Vec<&str> = ["--quiet", "--live"].iter().chain(more).copied().collect();
    Harness::start(&site.root(), &args)
}

#[test]
fn html_pages_get_the_script_before_the_closing_body_and_a_length_that_counts_it() {
    let site = Site::new("live-inject");
    fs::write(
        site.root().join("index.html"),
        "<body><h1>home</h1></BODY>\n",
    )
    .unwrap();
    let server = live(&site, &[]);
    let page = get(&server, "/");
    assert_eq!(page.status, 200);
    assert_eq!(page.text(), format!("<body><h1>home</h1>{TAG}</BODY>\n"));
    assert_eq!(header(&page, "content-length"), page.body.len().to_string());
    assert_eq!(header(&page, "content-type"), "text/html; charset=utf-8");
    // Served whole: no ranges are offered.
    assert_eq!(page.header("accept-ranges"), None, "{}", page.head);
    // A page without </body> gets it at the end; nothing else is touched.
    let sub = get(&server, "/dir/page.html");
    let tag = TAG.replace("/index.html", "/dir/page.html");
    assert_eq!(sub.text(), format!("<p>page</p>\n{tag}"));
    for path in ["/style.css", "/app.js", "/hello.txt", "/data.json"] {
        let plain = fs::read(site.root().join(&path[1..])).unwrap();
        assert_eq!(get(&server, path).body, plain, "{path}");
    }
}

#[test]
fn an_injected_page_has_its_own_etag_and_conditionals_and_head_follow_it() {
    let site = Site::new("live-etag");
    let plain = get(&Harness::start(&site.root(), &["--quiet"]), "/index.html");
    let server = live(&site, &[]);
    let page = get(&server, "/index.html");
    let (etag, plain_etag) = (header(&page, "etag"), header(&plain, "etag"));
    assert_ne!(etag, plain_etag, "caches must never mix the two");
    assert!(etag.starts_with('"') && etag.ends_with("-live\""), "{etag}");
    let same = req(
        &server,
        "GET",
        "/index.html",
        &[&format!("If-None-Match: {etag}")],
    );
    assert_eq!(same.status, 304, "{}", same.head);
    assert_eq!(header(&same, "etag"), etag);
    assert!(same.body.is_empty());
    // The plain file's tag names other bytes: the whole injected page.
    let other = req(
        &server,
        "GET",
        "/index.html",
        &[&format!("If-None-Match: {plain_etag}")],
    );
    assert_eq!(other.status, 200);
    assert_eq!(other.body, page.body);
    let failed = req(
        &server,
        "GET",
        "/index.html",
        &[&format!("If-Match: {plain_etag}")],
    );
    assert_eq!(failed.status, 412);
    let head = req(&server, "HEAD", "/index.html", &[]);
    assert_eq!(head.status, 200);
    assert_eq!(header(&head, "content-length"), page.body.len().to_string());
    assert_eq!(header(&head, "etag"), etag);
    assert!(head.body.is_empty());
}

/// A Range or a precompressed sidecar must never produce wrong bytes for an injected
/// page: it is served whole (200) and never from a sidecar.
#[test]
fn ranges_and_sidecars_never_apply_to_an_injected_page() {
    let site = Site::new("live-range");
    fs::write(site.root().join("index.html.gz"), "not the page").unwrap();
    let server = live(&site, &[]);
    let whole = get(&server, "/index.html");
    for headers in [
        &["Range: bytes=0-3"][..],
        &["Range: bytes=0-1,5-6"],
        &["Range: bytes=9999-"],
        &["Accept-Encoding: gzip"],
        &["Accept-Encoding: gzip", "Range: bytes=0-3"],
    ] {
        let resp = req(&server, "GET", "/index.html", headers);
        assert_eq!(resp.status, 200, "{headers:?}: {}", resp.head);
        assert_eq!(resp.body, whole.body, "{headers:?}");
        assert_eq!(resp.header("content-encoding"), None);
        assert_eq!(resp.header("content-range"), None);
    }
    // Other files keep their ranges.
    let css = req(&server, "GET", "/style.css", &["Range: bytes=0-3"]);
    assert_eq!((css.status, css.text().as_str()), (206, "body"));
}

#[test]
fn fallback_pages_get_the_script_too() {
    let site = Site::new("live-fallback");
    fs::write(site.root().join("404.html"), "<body>lost</body>").unwrap();
    let server = live(&site, &[]);
    let missing = get(&server, "/nowhere.txt");
    assert_eq!(missing.status, 404);
    let tag = TAG.replace("/index.html", "/404.html");
    assert_eq!(missing.text(), format!("<body>lost{tag}</body>"));
    let spa = live(&site, &["--spa"]);
    let route = get(&spa, "/some/route");
    assert_eq!(route.status, 200);
    assert_eq!(route.text(), format!("<h1>home</h1>\n{TAG}"));
}

#[test]
fn the_reserved_paths() {
    let site = Site::new("live-reserved");
    // With --hidden, a real .servedir directory still cannot shadow the reserved paths.
    fs::create_dir(site.root().join(".servedir")).unwrap();
    fs::write(site.root().join(".servedir/live.js"), "shadow").unwrap();
    let server = live(&site, &["--hidden"]);
    let script = get(&server, "/.servedir/live.js");
    assert_eq!(script.status, 200);
    assert_eq!(
        header(&script, "content-type"),
        "text/javascript; charset=utf-8"
    );
    // The script, stamped with the time it was served (ms since the epoch).
    let (before, after) = include_str!("../live/live.js")
        .split_once("SERVEDIR_SINCE")
        .unwrap();
    let text = script.text();
    let stamp = text
        .strip_prefix(before)
        .and_then(|rest| rest.strip_suffix(after))
        .unwrap_or_else(|| panic!("not the live script: {text}"));
    assert!(
        stamp.len() >= 13 && stamp.bytes().all(|b| b.is_ascii_digit()),
        "{stamp}"
    );
    assert_eq!(get(&server, "/.servedir/other").status, 404);
    assert_eq!(get(&server, "/.servedir/").status, 404);
    assert_eq!(get(&server, "/.servedir/live.js/").status, 404);
    let stream = req(&server, "HEAD", "/.servedir/live?p=%2F", &[]);
    assert_eq!(stream.status, 200);
    assert_eq!(header(&stream, "content-type"), "text/event-stream");
    assert_eq!(stream.header("content-length"), None, "{}", stream.head);
    // Without --live the path is an ordinary (hidden) name.
    let off = Harness::start(&site.root(), &["--quiet"]);
    assert_eq!(get(&off, "/.servedir/live.js").status, 404);
    let off = Harness::start(&site.root(), &["--quiet", "--hidden"]);
    assert_eq!(get(&off, "/.servedir/live.js").text(), "shadow");
}

/// The script is external, so `script-src 'self'` allows it; the page gets no inline code.
#[test]
fn a_content_security_policy_of_self_allows_the_script() {
    let site = Site::new("live-csp");
    let csp = "Content-Security-Policy: default-src 'self'";
    let server = live(&site, &["-H", csp]);
    let page = get(&server, "/");
    assert_eq!(
        header(&page, "content-security-policy"),
        "default-src 'self'"
    );
    assert!(!page.text().contains("<script>"), "{}", page.text());
    let script = get(&server, "/.servedir/live.js");
    assert_eq!(
        header(&script, "content-security-policy"),
        "default-src 'self'"
    );
}

/// A new user's finding: a page opened before its file existed (servedir's own 404)
/// never appeared when the file was saved. The own 404 page carries the script too,
/// naming the requested path; error pages for other statuses do not.
#[test]
fn servedir_own_404_page_carries_the_script_for_the_missing_path() {
    let site = Site::new("live-own-404");
    let server = live(&site, &["--clean-urls"]);
    let miss = get(&server, "/contact");
    assert_eq!(miss.status, 404);
    let tag = TAG.replace("/index.html", "/contact");
    assert!(
        miss.text().contains(&format!("{tag}</body>")),
        "{}",
        miss.text()
    );
    assert_eq!(header(&miss, "content-length"), miss.body.len().to_string());
    let plain = get(&Harness::start(&site.root(), &["--quiet"]), "/contact");
    assert!(!plain.text().contains("live.js"), "{}", plain.text());
    let bad = req(&server, "GET", "/a/%2e%2e/%2e%2e/x", &[]);
    assert!(!bad.text().contains("live.js"), "{}", bad.text());
}
