//! HTTP semantics of files, directories, names and methods: status, headers, bytes,
//! in-process (moved from `tests/it/http.rs`).

use super::*;

#[test]
fn root_and_directories_serve_their_index() {
    let site = Site::new("index");
    let server = Harness::start(&site.root(), &[]);
    let resp = server.get("/");
    assert_eq!(resp.status, 200);
    assert_eq!(header(&resp, "content-type"), "text/html; charset=utf-8");
    assert_eq!(resp.body.as_slice(), b"<h1>home</h1>\n");
    let resp = server.get("/dir/");
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body.as_slice(), b"<h1>dir</h1>\n");
    assert_eq!(server.get("/noindex/").status, 404);
}

#[test]
fn directory_without_slash_redirects_keeping_the_query() {
    let site = Site::new("redirect");
    let server = Harness::start(&site.root(), &[]);
    let resp = server.get("/dir");
    assert_eq!(resp.status, 301);
    assert_eq!(header(&resp, "location"), "/dir/");
    let resp = server.get("/dir?a=1&b=%20");
    assert_eq!(resp.status, 301);
    assert_eq!(header(&resp, "location"), "/dir/?a=1&b=%20");
    let resp = server.get("/caf%C3%A9.txt");
    assert_eq!(resp.status, 200);
}

#[test]
fn missing_files_and_bad_shapes_are_404() {
    let site = Site::new("missing");
    let server = Harness::start(&site.root(), &[]);
    for path in [
        "/nope",
        "/hello.txt/",
        "/hello.txt/x",
        "/dir/nope.html",
        "/.hidden.txt",
        "/.git/config",
        #[cfg(unix)] // Site makes its symlinks on Unix only
        "/link-out.txt",
    ] {
        let resp = server.get(path);
        assert_eq!(resp.status, 404, "{path}");
        assert_eq!(header(&resp, "content-type"), "text/html; charset=utf-8");
        let body = resp.text();
        assert!(body.contains("404 Not Found"), "{body}");
        assert!(!body.contains(site.base.path().to_str().unwrap()), "{body}");
    }
    #[cfg(unix)] // Site makes its symlinks on Unix only
    assert_eq!(server.get("/link-in.txt").text(), "hello\n");
    // RFC 8615: /.well-known/ is public by design, unlike other dot-paths.
    std::fs::create_dir_all(site.root().join(".well-known")).unwrap();
    std::fs::write(site.root().join(".well-known/security.txt"), "Contact: x\n").unwrap();
    assert_eq!(
        server.get("/.well-known/security.txt").text(),
        "Contact: x\n"
    );
}

#[test]
fn hidden_and_symlink_flags_open_them_up() {
    let site = Site::new("flags");
    let server = Harness::start(&site.root(), &["--hidden", "--follow-symlinks"]);
    assert_eq!(server.get("/.hidden.txt").text(), "hidden\n");
    assert_eq!(server.get("/.git/config").text(), "[core]\n");
    #[cfg(unix)] // Site makes its symlinks on Unix only
    assert_eq!(server.get("/link-out.txt").text(), SECRET);
    // Neither flag lets a name climb to the file beside the root (`\` climbs on Windows).
    for path in ["/../secret.txt", "/%2e%2e/secret.txt", "/..%5csecret.txt"] {
        let resp = server.get(path);
        assert!(matches!(resp.status, 400 | 404), "{path}: {}", resp.status);
        assert!(!resp.text().contains(SECRET), "{path}");
    }
}

#[test]
fn query_is_ignored_and_escapes_decoded_once() {
    let site = Site::new("decode");
    let server = Harness::start(&site.root(), &[]);
    assert_eq!(server.get("/hello.txt?x=1#frag").text(), "hello\n");
    assert_eq!(server.get("/a%20b.txt").text(), "spaced\n");
    assert_eq!(server.get("/%68ello.txt").text(), "hello\n");
    assert_eq!(server.get("/a%2520b.txt").status, 404);
    assert_eq!(server.get("/a%zzb.txt").status, 400);
}

#[test]
fn content_types_follow_the_extension() {
    let site = Site::new("mime");
    let server = Harness::start(&site.root(), &[]);
    for (path, ct) in [
        ("/style.css", "text/css; charset=utf-8"),
        ("/app.js", "text/javascript; charset=utf-8"),
        ("/data.json", "application/json"),
        ("/UPPER.HTML", "text/html; charset=utf-8"),
        ("/unknown.xyz", "application/octet-stream"),
    ] {
        let resp = server.get(path);
        assert_eq!(resp.status, 200, "{path}");
        assert_eq!(header(&resp, "content-type"), ct, "{path}");
    }
}

#[test]
fn other_methods_get_405_or_501_with_allow() {
    let site = Site::new("methods");
    let server = Harness::start(&site.root(), &[]);
    // A request body is framed and discarded by `connection/` (tests/it/wire.rs).
    for method in ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"] {
        let resp = req(&server, method, "/hello.txt", &["Content-Length: 1"]);
        assert_eq!(resp.status, 405, "{method}");
        assert_eq!(header(&resp, "allow"), "GET, HEAD");
        assert!(resp.text().contains("405 Method Not Allowed"));
    }
    let resp = req(&server, "BREW", "/", &[]);
    assert_eq!(resp.status, 501);
    assert_eq!(header(&resp, "allow"), "GET, HEAD");
}

/// Red team (issue 14 item 4): the short name the file system really gave a dot-name must
/// not serve it, whatever its shape: NTFS and FAT write `GIT~1`, but Wine writes
/// `_GIT~IBP` and Samba (a NAS mapped as a drive) `GIT~A3.___`, which `policy.rs`'s
/// `~digits` pattern does not see. The names are read from `dir /x`, not guessed.
#[cfg(windows)]
#[test]
fn the_real_short_names_of_dot_names_are_404() {
    let site = Site::new("realshort");
    std::fs::write(site.root().join(".env"), SECRET).unwrap();
    let server = Harness::start(&site.root(), &[]);
    let out = std::process::Command::new("cmd")
        .args(["/c", "dir", "/x", "/a"])
        .arg(site.root())
        .output()
        .expect("cmd /c dir /x");
    let listing = String::from_utf8_lossy(&out.stdout);
    let mut tried = Vec::new();
    for line in listing.lines() {
        // `DATE TIME [AM|PM] <DIR>|SIZE [SHORT] LONG`: SHORT only where LONG is not 8.3.
        let words: Vec<&str> = line.split_whitespace().collect();
        let [.., short, long] = words[..] else {
            continue;
        };
        if short == "<DIR>" || short.chars().all(|c| c.is_ascii_digit() || c == ',') {
            continue;
        }
        let path = match long {
            ".git" => format!("/{short}/config"),
            ".env" | ".hidden.txt" => format!("/{short}"),
            _ => continue,
        };
        let resp = server.get(&path);
        tried.push(format!("{path} ({long}): {}", resp.status));
    }
    eprintln!("{listing}\n{tried:#?}");
    if tried.is_empty() {
        // NTFS volumes may have 8.3 names turned off: then there is no alias to try.
        eprintln!("\n*** the_real_short_names_of_dot_names_are_404: this volume gave no short names; nothing tried ***\n");
    }
    assert!(
        tried
            .iter()
            .all(|t| t.ends_with(": 404") || t.ends_with(": 400")),
        "{tried:#?}"
    );
}
