//! Directory listings (issue 12): bounded pages that say what they leave out, links that
//! all work whatever the names, and a weak ETag answered with 304. In-process (moved from
//! `tests/it/listing.rs`).

use std::fs;

use super::*;
use crate::platform::WINDOWS_FILE_NAMES;

/// `listing::MAX_ENTRIES` (the module is private to the crate).
const MAX_ENTRIES: usize = 1000;

const JSON: &str = "Accept: application/json";

/// Names with every byte a naive listing gets wrong, each file holding its own name:
/// [`ODD_EVERYWHERE`], and on Unix [`ODD_UNIX`] too.
fn odd() -> Vec<&'static str> {
    let unix = ODD_UNIX.iter().filter(|_| !WINDOWS_FILE_NAMES);
    ODD_EVERYWHERE.iter().chain(unix).copied().collect()
}

const ODD_EVERYWHERE: &[&str] = &[
    "100%.txt",
    "%41.txt",
    "%2e%2e",
    "hash#.txt",
    "a b.txt",
    "semi;colon=.txt",
    "amp&er'.txt",
    "plus+.txt",
    "[br]{ce}^`!$@(),.txt",
    "&lt;b&gt;&#58;.txt",
    "nel\u{85}.txt",
    "日本.txt",
    "~tilde",
];

/// Names Windows has no file for (`\` separates there; `? " <` and controls are in no
/// name): the target cleaner refuses them on Windows (`a_name_with_a_backslash...`).
const ODD_UNIX: &[&str] = &[
    "back\\slash.txt",
    "a\\..\\..\\up.txt",
    "what?.txt",
    "quote\".txt",
    "<b>.txt",
    "new\nline.txt",
    "tab\t.txt",
    "\u{7f}\u{85}ctl",
];

/// The directory with an odd name in `root/odd/`: on Unix with a backslash in it.
const ODD_DIR: &str = if WINDOWS_FILE_NAMES {
    "odd #%&' dir"
} else {
    "back\\dir"
};

/// `root/odd/` holding [`odd`], [`ODD_DIR`] with `in.txt` in it, and (Unix) a file
/// whose name is not UTF-8 (it cannot be requested, so it must not be listed).
fn odd_site(name: &str) -> TempDir {
    let base = TempDir::new(name);
    let odd_dir = base.path().join("odd");
    fs::create_dir_all(odd_dir.join(ODD_DIR)).unwrap();
    fs::write(odd_dir.join(ODD_DIR).join("in.txt"), "inside").unwrap();
    for name in odd() {
        fs::write(odd_dir.join(name), name).unwrap();
    }
    // A name that is not UTF-8: Unix names are any bytes (Windows' are UTF-16).
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        fs::write(
            odd_dir.join(std::ffi::OsStr::from_bytes(b"bad\xff.txt")),
            "x",
        )
        .unwrap();
    }
    base
}

/// Undoes the five escapes `page::escape_html` makes, for an href value.
fn unescape_html(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Every href on an HTML page, unescaped, except the parent link.
fn hrefs(page: &str) -> Vec<String> {
    page.split("href=\"")
        .skip(1)
        .map(|rest| unescape_html(&rest[..rest.find('"').expect("closing quote")]))
        .filter(|h| h != "../")
        .collect()
}

/// The `name` of every object in a JSON listing, decoded.
fn json_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for rest in text.split("{\"name\":\"").skip(1) {
        let mut name = String::new();
        let mut chars = rest.chars();
        loop {
            match chars.next().expect("unterminated string") {
                '"' => break,
                '\\' => match chars.next().unwrap() {
                    'u' => {
                        let hex: String = chars.by_ref().take(4).collect();
                        name.push(char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap());
                    }
                    c => name.push(c),
                },
                c => name.push(c),
            }
        }
        names.push(name);
    }
    names
}

/// Percent-encodes every byte but ASCII letters and digits, as a client building a URL
/// from a JSON name might.
fn encode_all(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[test]
fn large_listings_show_the_first_entries_and_count_the_rest() {
    let base = TempDir::new("biglisting");
    let big = base.path().join("big");
    fs::create_dir_all(big.join("zdir")).unwrap();
    for i in 0..MAX_ENTRIES + 7 {
        fs::write(big.join(format!("f{i:04}")), "").unwrap();
    }
    let server = Harness::start(base.path(), &["--quiet", "--listing"]);

    let resp = req(&server, "GET", "/big/", &[]);
    assert_eq!(resp.status, 200);
    let page = String::from_utf8(resp.body).unwrap();
    assert_eq!(page.matches("<tr><td><a href=\"./").count(), MAX_ENTRIES);
    // The directory comes first, then f0000..f0998; f0999..f1006 are not shown.
    assert!(
        page.contains("<tr><td><a href=\"./zdir/\">zdir/</a>"),
        "{page}"
    );
    assert!(page.contains("href=\"./f0998\""));
    assert!(!page.contains("f0999"));
    assert!(
        page.ends_with("</table>\n<p>8 more entries not shown.</p>\n</body>\n</html>\n"),
        "{}",
        &page[page.len() - 200..]
    );

    let resp = req(&server, "GET", "/big/", &[JSON]);
    assert_eq!(resp.status, 200);
    let text = String::from_utf8(resp.body).unwrap();
    let names = json_names(&text);
    assert_eq!(names.len(), MAX_ENTRIES);
    assert_eq!(
        (names[0].as_str(), names[MAX_ENTRIES - 1].as_str()),
        ("zdir", "f0998")
    );
    assert!(
        text.ends_with(",{\"type\":\"omitted\",\"count\":8}]"),
        "{}",
        &text[text.len() - 100..]
    );

    // A directory within the bound is listed whole, with no note.
    fs::remove_dir(big.join("zdir")).unwrap();
    for i in MAX_ENTRIES..MAX_ENTRIES + 7 {
        fs::remove_file(big.join(format!("f{i:04}"))).unwrap();
    }
    let page = String::from_utf8(req(&server, "GET", "/big/", &[]).body).unwrap();
    assert_eq!(page.matches("<tr><td><a href=\"./").count(), MAX_ENTRIES);
    assert!(!page.contains("not shown"));
    let text = String::from_utf8(req(&server, "GET", "/big/", &[JSON]).body).unwrap();
    assert!(!text.contains("omitted"));
}

/// Targets that name a file or directory with a backslash in its name on Unix. On
/// Windows `\\` is a separator: each is refused (400), and none climbs out of `odd/`.
const BACKSLASHED: &[&str] = &[
    "/odd/back%5Cslash.txt",
    "/odd/back%5cslash.txt",
    "/odd/back\\slash.txt",
    "/odd/a%5C..%5C..%5Cup.txt",
    "/odd/..\\..\\..\\odd/a%20b.txt",
    "/odd/back\\dir?q=\\x",
    "/\\odd",
];

#[test]
fn a_name_with_a_backslash_is_listed_and_served() {
    let base = odd_site("backslash");
    let server = Harness::start(base.path(), &["--quiet", "--listing"]);
    if WINDOWS_FILE_NAMES {
        for target in BACKSLASHED {
            let resp = get(&server, target);
            assert_eq!(
                (resp.status, resp.header("location")),
                (400, None),
                "{target}"
            );
        }
        return;
    }
    let page = String::from_utf8(req(&server, "GET", "/odd/", &[]).body).unwrap();
    assert!(
        page.contains("<a href=\"./back%5Cslash.txt\">back\\slash.txt</a>"),
        "{page}"
    );
    for target in &BACKSLASHED[..3] {
        let resp = get(&server, target);
        assert_eq!(
            (resp.status, resp.body.as_slice()),
            (200, &b"back\\slash.txt"[..]),
            "{target}"
        );
    }
    // `..\` is part of a name, not a way up.
    assert_eq!(get(&server, BACKSLASHED[3]).body, b"a\\..\\..\\up.txt");
    assert_eq!(get(&server, BACKSLASHED[4]).status, 404);
    // A redirect to the directory writes the backslash encoded, in path and query.
    let resp = get(&server, BACKSLASHED[5]);
    assert_eq!(
        (resp.status, resp.header("location")),
        (301, Some("/odd/back%5Cdir/?q=%5Cx"))
    );
    let resp = get(&server, BACKSLASHED[6]);
    assert_eq!(resp.status, 404, "no directory is named \\odd");
}

#[test]
fn every_link_in_a_listing_answers_200() {
    let base = odd_site("everylink");
    let server = Harness::start(base.path(), &["--quiet", "--listing"]);
    let page = String::from_utf8(req(&server, "GET", "/odd/", &[]).body).unwrap();
    let links = hrefs(&page);
    let odd = odd();
    assert_eq!(links.len(), odd.len() + 1, "{links:?}");
    assert!(
        !page.contains("bad"),
        "the non-UTF-8 name is not listed: {page}"
    );
    for href in &links {
        let rel = href.strip_prefix("./").unwrap_or_else(|| panic!("{href}"));
        let resp = get(&server, &format!("/odd/{rel}"));
        assert_eq!(resp.status, 200, "{href}");
        if rel.ends_with('/') {
            let sub = String::from_utf8(resp.body).unwrap();
            for inner in hrefs(&sub) {
                let inner = inner.strip_prefix("./").unwrap();
                let resp = get(&server, &format!("/odd/{rel}{inner}"));
                assert_eq!(
                    (resp.status, resp.body.as_slice()),
                    (200, &b"inside"[..]),
                    "{inner}"
                );
            }
        } else {
            let name = odd.iter().find(|n| resp.body == n.as_bytes());
            assert!(
                name.is_some(),
                "{href} gave {:?}",
                String::from_utf8_lossy(&resp.body)
            );
        }
    }

    // JSON names, percent-encoded by the client, fetch the same files.
    let text = String::from_utf8(req(&server, "GET", "/odd/", &[JSON]).body).unwrap();
    let mut names = json_names(&text);
    assert_eq!(names.len(), odd.len() + 1, "{text}");
    assert_eq!(names.remove(0), ODD_DIR);
    for name in names {
        let resp = get(&server, &format!("/odd/{}", encode_all(&name)));
        assert_eq!(
            (resp.status, resp.body.as_slice()),
            (200, name.as_bytes()),
            "{name:?}"
        );
    }
}

#[test]
fn listings_have_a_weak_etag_and_answer_304() {
    let base = TempDir::new("listingetag");
    let dir = base.path().join("d");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("a.txt"), "a").unwrap();
    let server = Harness::start(base.path(), &["--quiet", "--listing"]);
    let mut tags = Vec::new();
    for accept in [&[][..], &[JSON][..]] {
        let first = req(&server, "GET", "/d/", accept);
        assert_eq!(first.status, 200);
        let etag = first.header("etag").expect("an ETag").to_owned();
        assert!(
            etag.starts_with("W/\"") && etag.ends_with('"') && etag.len() > 5,
            "{etag}"
        );
        assert_eq!(
            req(&server, "GET", "/d/", accept).header("etag"),
            Some(etag.as_str()),
            "stable"
        );
        let strong = etag.trim_start_matches("W/");
        for inm in [etag.as_str(), strong, "*", &format!("\"x\", {etag}")] {
            let mut headers = accept.to_vec();
            let field = format!("If-None-Match: {inm}");
            headers.push(&field);
            for method in ["GET", "HEAD"] {
                let resp = req(&server, method, "/d/", &headers);
                assert_eq!(resp.status, 304, "{method} {inm}");
                assert!(resp.body.is_empty());
                assert_eq!(resp.header("etag"), Some(etag.as_str()));
                assert_eq!(resp.header("cache-control"), Some("no-cache"));
                assert_eq!(resp.header("vary"), Some("Accept"));
                assert_eq!(resp.header("content-type"), None);
            }
        }
        let other = [accept, &["If-None-Match: W/\"l-0\", \"y\""]].concat();
        let resp = req(&server, "GET", "/d/", &other);
        assert_eq!(resp.status, 200);
        assert_eq!(resp.body, first.body);
        tags.push(etag);
    }
    assert_ne!(
        tags[0], tags[1],
        "HTML and JSON are different representations"
    );

    fs::write(dir.join("b.txt"), "b").unwrap();
    for (accept, old) in [(&[][..], &tags[0]), (&[JSON][..], &tags[1])] {
        let field = format!("If-None-Match: {old}");
        let resp = req(&server, "GET", "/d/", &[accept, &[field.as_str()]].concat());
        assert_eq!(resp.status, 200, "a file was added");
        let new = resp.header("etag").unwrap();
        assert!(new != old.as_str() && new.starts_with("W/\""), "{new}");
        assert!(String::from_utf8_lossy(&resp.body).contains("b.txt"));
    }
}
