//! `--clean-urls` (issue 15) with everything a name can meet: directory slashes, `--spa`,
//! `404.html`, `--listing`, dot-names, percent-encoded names. Each redirect is followed to
//! its end, so a loop (vercel/serve #431, superstatic #235/#236) fails here.

use std::fs;

use super::*;

fn site() -> Site {
    let site = Site::new("clean-urls");
    let root = site.root();
    for (name, body) in [
        ("about.html", "about"),
        ("caf\u{e9}.html", "cafe"),
        ("a b.html", "spaced"),
        ("both.html", "both.html"),
        ("both", "both plain"),
        ("docs.html", "docs.html"),
        ("docs/index.html", "docs index"),
        ("docs/guide.html", "guide"),
        ("empty.html", "empty.html"),
        ("404.html", "custom 404"),
        (".secret.html", "secret"),
        ("v1.2.html", "v1.2"),
    ] {
        let path = root.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, body).unwrap();
    }
    fs::create_dir(root.join("empty")).unwrap();
    site
}

/// Follows redirects (at most 5) from `path`: the chain of paths, the final status, and
/// the final body.
fn follow(server: &Harness, path: &str) -> (Vec<String>, u16, String) {
    let mut chain = vec![path.to_owned()];
    for _ in 0..5 {
        let resp = get(server, chain.last().unwrap());
        if resp.status != 301 {
            return (
                chain,
                resp.status,
                String::from_utf8_lossy(&resp.body).into(),
            );
        }
        chain.push(header(&resp, "location").to_owned());
    }
    panic!("redirect loop: {chain:?}");
}

/// Extra flags, a path, the redirects it takes, the final status, the final body's start.
type Case = (
    &'static [&'static str],
    &'static str,
    &'static [&'static str],
    u16,
    &'static str,
);

const CASES: &[Case] = &[
    (&[], "/about", &[], 200, "about"),
    (&[], "/about.html", &["/about"], 200, "about"),
    (&[], "/about.html?x=1&y", &["/about?x=1&y"], 200, "about"),
    (&[], "/about/", &[], 404, "custom 404"),
    (&[], "/caf%C3%A9", &[], 200, "cafe"),
    (&[], "/caf%C3%A9.html", &["/caf%C3%A9"], 200, "cafe"),
    (&[], "/a%20b.html", &["/a%20b"], 200, "spaced"),
    (&[], "/v1.2", &[], 200, "v1.2"),
    // A file of the clean name wins, and its .html twin is served as it is.
    (&[], "/both", &[], 200, "both plain"),
    (&[], "/both.html", &[], 200, "both.html"),
    // A directory wins over NAME.html: its slash, then its index.
    (&[], "/docs", &["/docs/"], 200, "docs index"),
    (&[], "/docs.html", &[], 200, "docs.html"),
    (&[], "/docs/index.html", &["/docs/"], 200, "docs index"),
    (&[], "/docs/index", &[], 200, "docs index"),
    (&[], "/docs/guide", &[], 200, "guide"),
    (&[], "/index.html", &["/"], 200, "<h1>home</h1>"),
    (&[], "/empty", &["/empty/"], 404, "custom 404"),
    (
        &["--listing"],
        "/empty",
        &["/empty/"],
        200,
        "<!DOCTYPE html>",
    ),
    (&["--listing"], "/empty.html", &[], 200, "empty.html"),
    // The 404 page is a page like any other under its clean name.
    (&[], "/404.html", &["/404"], 200, "custom 404"),
    (&[], "/nothing", &[], 404, "custom 404"),
    // Dot-names stay private under either name.
    (&[], "/.secret", &[], 404, "custom 404"),
    (&[], "/.secret.html", &[], 404, "custom 404"),
    (&["--hidden"], "/.secret.html", &["/.secret"], 200, "secret"),
    // --spa: a clean name is a file before it is a route.
    (&["--spa"], "/about", &[], 200, "about"),
    (&["--spa"], "/about.html", &["/about"], 200, "about"),
    (&["--spa"], "/route/deep", &[], 200, "<h1>home</h1>"),
    (&["--spa"], "/index.html", &["/"], 200, "<h1>home</h1>"),
];

#[test]
fn clean_urls_meet_slashes_fallbacks_listings_dot_names_and_escapes() {
    let site = site();
    for (flags, path, redirects, status, body) in CASES {
        let args: Vec<&str> = ["--quiet", "--clean-urls"]
            .iter()
            .chain(*flags)
            .copied()
            .collect();
        let server = Harness::start(&site.root(), &args);
        let (chain, got_status, got_body) = follow(&server, path);
        assert_eq!(&chain[1..], *redirects, "{flags:?} {path}");
        assert_eq!(got_status, *status, "{flags:?} {path}: {got_body}");
        assert!(got_body.starts_with(body), "{flags:?} {path}: {got_body:?}");
    }
    // Off: nothing changes.
    let plain = Harness::start(&site.root(), &["--quiet"]);
    assert_eq!(get(&plain, "/about").status, 404);
    assert_eq!(get(&plain, "/about.html").status, 200);
}

/// Red team (issues 15): a redirect must lead to a name that serves the file. `a.html.html`
/// was redirected to `/a.html`, which is not retried with `.html` (it already ends so)
/// and is missing: a 301 into a 404, and the file reachable under no URL at all.
#[test]
fn a_clean_url_redirect_never_ends_in_a_404() {
    let site = Site::new("clean-double");
    fs::write(site.root().join("a.html.html"), "double").unwrap();
    let server = Harness::start(&site.root(), &["--quiet", "--clean-urls"]);
    let (chain, status, body) = follow(&server, "/a.html.html");
    assert_eq!(status, 200, "{chain:?} ended in {status}");
    assert_eq!(body, "double", "{chain:?}");
}
