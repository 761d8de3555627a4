//! Conditional requests, byte ranges and precompressed files (RFC 9110 §13–§14), byte-exact,
//! in-process (moved from `tests/it/caching.rs`).

use super::*;

/// A site with a 1,000-byte patterned file.
fn site_with_data(name: &str) -> (Site, Vec<u8>) {
    let site = Site::new(name);
    let data = site.add_big("data.bin", 1000);
    (site, data)
}

/// A valid gzip member holding `data` in one stored (uncompressed) deflate block:
/// no compression crate needed, and `gzip -d` would accept it.
fn gzip_stored(data: &[u8]) -> Vec<u8> {
    assert!(data.len() < 65_536);
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    out.push(1); // BFINAL=1, BTYPE=00 (stored)
    let len = data.len() as u16;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&(!len).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn crc32_matches_the_standard_check_value() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
}

#[test]
fn if_none_match_and_if_modified_since_give_304() {
    let (site, data) = site_with_data("304");
    let server = Harness::start(&site.root(), &["--quiet"]);
    let full = req(&server, "GET", "/data.bin", &[]);
    assert_eq!(full.status, 200);
    assert_eq!(full.header("cache-control"), Some("no-cache"));
    assert_eq!(full.header("accept-ranges"), Some("bytes"));
    assert_eq!(full.body, data);
    let etag = full.header("etag").unwrap().to_string();
    let lm = full.header("last-modified").unwrap().to_string();

    for cond in [
        format!("If-None-Match: {etag}"),
        format!("If-None-Match: \"other\", {etag}"),
        format!("If-None-Match: W/{etag}"),
        "If-None-Match: *".to_string(),
        format!("If-Modified-Since: {lm}"),
        "If-Modified-Since: Fri, 31 Dec 9999 23:59:59 GMT".to_string(),
    ] {
        let resp = req(&server, "GET", "/data.bin", &[&cond]);
        assert_eq!(resp.status, 304, "{cond}");
        assert_eq!(resp.header("etag"), Some(etag.as_str()), "{cond}");
        assert_eq!(resp.header("last-modified"), Some(lm.as_str()), "{cond}");
        assert_eq!(resp.header("cache-control"), Some("no-cache"));
        assert!(resp.header("date").is_some());
        assert!(resp.body.is_empty());
    }
    // The other two date forms of RFC 9110 §5.6.7 parse too.
    let secs = crate::http::date::parse_http_date(&lm).unwrap();
    for form in [rfc850(secs), asctime(secs)] {
        assert_eq!(
            req(
                &server,
                "GET",
                "/data.bin",
                &[&format!("If-Modified-Since: {form}")]
            )
            .status,
            304,
            "{form}"
        );
    }
    for cond in [
        "If-None-Match: \"other\"".to_string(),
        "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT".to_string(),
        "If-Modified-Since: yesterday".to_string(),
        // If-None-Match takes precedence over If-Modified-Since.
        format!("If-None-Match: \"other\"\r\nIf-Modified-Since: {lm}"),
    ] {
        let resp = req(&server, "GET", "/data.bin", &[&cond]);
        assert_eq!((resp.status, resp.body.len()), (200, 1000), "{cond}");
    }
    // That a 304 keeps the connection usable is tested on a socket:
    // tests/it/caching.rs, a_304_keeps_the_connection_usable.
}

/// Replaces a unit test in `file.rs` that recomputed the formula it checked (issue 13):
/// one mtime, with nanoseconds, gives both validators, each exactly as written here, and
/// Last-Modified's truncation to the second is what If-Modified-Since compares against.
#[test]
fn last_modified_and_the_etag_come_from_one_mtime() {
    let site = Site::new("one-mtime");
    let mtime = std::time::UNIX_EPOCH + std::time::Duration::new(1_700_000_000, 700_000_000);
    let path = site.root().join("hello.txt");
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    let server = Harness::start(&site.root(), &["--quiet"]);
    let resp = server.get("/hello.txt");
    assert_eq!(
        resp.header("last-modified"),
        Some("Tue, 14 Nov 2023 22:13:20 GMT")
    );
    // "len-secs.nanos" in hex: 6 bytes, 0x6553f100 s, 0x29b92700 ns.
    assert_eq!(resp.header("etag"), Some("\"6-6553f100.29b92700\""));
    let since = |field: &str| req(&server, "GET", "/hello.txt", &[field]).status;
    assert_eq!(
        since("If-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT"),
        304
    );
    assert_eq!(
        since("If-Modified-Since: Tue, 14 Nov 2023 22:13:19 GMT"),
        200
    );
    assert_eq!(
        since("If-Unmodified-Since: Tue, 14 Nov 2023 22:13:20 GMT"),
        200
    );
    assert_eq!(
        since("If-Unmodified-Since: Tue, 14 Nov 2023 22:13:19 GMT"),
        412
    );
}

#[test]
fn if_match_and_if_unmodified_since_give_412() {
    let (site, data) = site_with_data("412");
    let server = Harness::start(&site.root(), &["--quiet"]);
    let etag = req(&server, "GET", "/data.bin", &[])
        .header("etag")
        .unwrap()
        .to_string();
    for cond in [
        "If-Match: \"nope\"",
        "If-Unmodified-Since: Thu, 01 Jan 1970 00:00:00 GMT",
    ] {
        let resp = req(&server, "GET", "/data.bin", &[cond]);
        assert_eq!(resp.status, 412, "{cond}");
        assert_eq!(resp.header("etag"), Some(etag.as_str()));
    }
    for cond in [
        format!("If-Match: {etag}"),
        "If-Match: *".into(),
        "If-Unmodified-Since: Fri, 31 Dec 9999 23:59:59 GMT".into(),
    ] {
        let resp = req(&server, "GET", "/data.bin", &[&cond]);
        assert_eq!(
            (resp.status, resp.body.as_slice()),
            (200, data.as_slice()),
            "{cond}"
        );
    }
    // A weak tag never satisfies If-Match (strong comparison).
    assert_eq!(
        req(
            &server,
            "GET",
            "/data.bin",
            &[&format!("If-Match: W/{etag}")]
        )
        .status,
        412
    );
}

#[test]
fn cache_control_is_configurable() {
    let site = Site::new("cache-control");
    let server = Harness::start(
        &site.root(),
        &["--quiet", "--cache-control", "public, max-age=60"],
    );
    assert_eq!(
        req(&server, "GET", "/hello.txt", &[]).header("cache-control"),
        Some("public, max-age=60")
    );
}

#[test]
fn single_ranges_are_exact() {
    let (site, data) = site_with_data("range");
    let server = Harness::start(&site.root(), &["--quiet"]);
    for (range, first, last) in [
        ("bytes=0-99", 0, 99),
        ("bytes=100-", 100, 999),
        ("bytes=-100", 900, 999),
        ("bytes=990-5000", 990, 999),
        ("bytes=0-0", 0, 0),
    ] {
        let resp = req(&server, "GET", "/data.bin", &[&format!("Range: {range}")]);
        assert_eq!(resp.status, 206, "{range}");
        assert_eq!(
            resp.header("content-range"),
            Some(format!("bytes {first}-{last}/1000").as_str()),
            "{range}"
        );
        assert_eq!(
            resp.header("content-length"),
            Some((last - first + 1).to_string().as_str())
        );
        assert_eq!(resp.body, &data[first..=last], "{range}");
    }
    for range in ["bytes=1000-", "bytes=5000-6000", "bytes=-0"] {
        let resp = req(&server, "GET", "/data.bin", &[&format!("Range: {range}")]);
        assert_eq!(resp.status, 416, "{range}");
        assert_eq!(resp.header("content-range"), Some("bytes */1000"));
    }
    for range in [
        "bytes=5-1",
        "items=0-1",
        "bytes=abc",
        "bytes=0-99999999999999999999999x",
        "bytes=",
    ] {
        let resp = req(&server, "GET", "/data.bin", &[&format!("Range: {range}")]);
        assert_eq!((resp.status, resp.body.len()), (200, 1000), "{range}");
    }
    // Numbers past u64 are clamped, never a crash.
    let resp = req(
        &server,
        "GET",
        "/data.bin",
        &["Range: bytes=0-99999999999999999999999"],
    );
    assert_eq!((resp.status, resp.body.as_slice()), (206, data.as_slice()));
}

#[test]
fn head_ignores_range_and_shows_the_whole_representation() {
    // Issue 12, item 14: RFC 9110 §14.2 says a server MUST ignore Range on any method
    // but GET; HEAD answered 206 (as nginx does). HEAD shows what a GET without
    // Range would get: 200, the full Content-Length, no Content-Range.
    let (site, _) = site_with_data("head-range");
    let server = Harness::start(&site.root(), &["--quiet"]);
    let full = req(&server, "HEAD", "/data.bin", &[]);
    assert_eq!(
        (full.status, full.header("content-length")),
        (200, Some("1000"))
    );
    for range in [
        "bytes=0-99",
        "bytes=-10",
        "bytes=0-9, 500-599, -10",
        "bytes=5000-6000",
    ] {
        for extra in ["", "If-Range: \"no-match\""] {
            let mut headers = vec![format!("Range: {range}")];
            headers.extend((!extra.is_empty()).then(|| extra.to_owned()));
            let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
            let head = req(&server, "HEAD", "/data.bin", &headers);
            assert_eq!(
                (
                    head.status,
                    head.header("content-length"),
                    head.header("content-range")
                ),
                (200, Some("1000"), None),
                "{range} {extra}"
            );
            assert_eq!(
                head.header("content-type"),
                full.header("content-type"),
                "{range}"
            );
            assert_eq!(head.header("accept-ranges"), Some("bytes"));
            assert!(head.body.is_empty());
        }
    }
    // GET keeps honouring it.
    let get = req(&server, "GET", "/data.bin", &["Range: bytes=0-99"]);
    assert_eq!(
        (
            get.status,
            get.header("content-range"),
            get.header("content-length")
        ),
        (206, Some("bytes 0-99/1000"), Some("100"))
    );
}

#[test]
fn multiple_ranges_are_multipart_and_exact() {
    let (site, data) = site_with_data("multipart");
    let server = Harness::start(&site.root(), &["--quiet"]);
    // The harness checks that Content-Length is exactly the bytes sent.
    let resp = req(
        &server,
        "GET",
        "/data.bin",
        &["Range: bytes=0-9, 500-599, -10"],
    );
    assert_eq!(resp.status, 206);
    let ct = resp.header("content-type").unwrap();
    let boundary = ct
        .strip_prefix("multipart/byteranges; boundary=")
        .expect(ct);
    let parts = parse_multipart(&resp.body, boundary);
    assert_eq!(parts.len(), 3);
    for ((range, bytes), (first, last)) in parts.iter().zip([(0, 9), (500, 599), (990, 999)]) {
        assert_eq!(range, &format!("bytes {first}-{last}/1000"));
        assert_eq!(bytes, &data[first..=last]);
    }

    // Overlapping ranges are coalesced, never amplified (CVE-2011-3192).
    let many = vec!["0-"; 16].join(",");
    let resp = req(
        &server,
        "GET",
        "/data.bin",
        &[&format!("Range: bytes={many}")],
    );
    assert_eq!((resp.status, resp.body.as_slice()), (206, data.as_slice()));
    let too_many = (0..17)
        .map(|i| format!("{}-{}", i * 10, i * 10 + 1))
        .collect::<Vec<_>>()
        .join(",");
    let resp = req(
        &server,
        "GET",
        "/data.bin",
        &[&format!("Range: bytes={too_many}")],
    );
    assert_eq!((resp.status, resp.body.len()), (200, 1000));
}

#[test]
fn if_range_decides_between_part_and_whole() {
    let (site, data) = site_with_data("if-range");
    let server = Harness::start(&site.root(), &["--quiet"]);
    let full = req(&server, "GET", "/data.bin", &[]);
    let etag = full.header("etag").unwrap();
    let lm = full.header("last-modified").unwrap();
    for (if_range, status) in [
        (etag.to_string(), 206),
        (lm.to_string(), 206),
        ("\"stale\"".into(), 200),
        (format!("W/{etag}"), 200),
        ("Thu, 01 Jan 1970 00:00:00 GMT".into(), 200),
    ] {
        let resp = req(
            &server,
            "GET",
            "/data.bin",
            &["Range: bytes=0-9", &format!("If-Range: {if_range}")],
        );
        assert_eq!(resp.status, status, "{if_range}");
        let want = if status == 206 {
            &data[..10]
        } else {
            &data[..]
        };
        assert_eq!(resp.body, want, "{if_range}");
    }
}

#[test]
fn a_sidecar_with_the_mtime_brotli_writes_is_served() {
    // Issue 12, item 10: the `brotli` CLI gives FILE.br its input's mtime rounded
    // down to whole seconds (gzip keeps the nanoseconds), so a fresh .br looked up to
    // 0.999 s older than its file and was never served. Staleness is to the second.
    let site = Site::new("brotli-mtime");
    let x = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
    let set = |name: &str, t: std::time::SystemTime| {
        let path = site.root().join(name);
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(t)
            .unwrap();
    };
    // A gzip-made sidecar keeps nanoseconds: 4 ms older than a file edited since is
    // stale (a new user saw the old bytes served after a quick edit).
    let gz_before_edit = x + std::time::Duration::from_millis(696);
    for (name, br_mtime) in [
        ("fresh.txt", x),
        ("stale.txt", x - std::time::Duration::from_secs(1)),
        ("edited.txt", gz_before_edit),
    ] {
        std::fs::write(site.root().join(name), b"plain text\n".repeat(20)).unwrap();
        std::fs::write(site.root().join(format!("{name}.br")), b"pretend brotli").unwrap();
        set(name, x + std::time::Duration::from_millis(700));
        set(&format!("{name}.br"), br_mtime);
    }
    let server = Harness::start(&site.root(), &["--quiet"]);
    let fresh = req(&server, "GET", "/fresh.txt", &["Accept-Encoding: br"]);
    assert_eq!(
        (
            fresh.status,
            fresh.header("content-encoding"),
            fresh.body.as_slice()
        ),
        (200, Some("br"), &b"pretend brotli"[..])
    );
    let stale = req(&server, "GET", "/stale.txt", &["Accept-Encoding: br"]);
    assert_eq!(
        (stale.status, stale.header("content-encoding")),
        (200, None)
    );
    assert_eq!(stale.body, b"plain text\n".repeat(20));
    let edited = req(&server, "GET", "/edited.txt", &["Accept-Encoding: br"]);
    assert_eq!(
        (edited.status, edited.header("content-encoding")),
        (200, None)
    );
}

#[test]
fn precompressed_sidecars_are_negotiated() {
    let site = Site::new("precompressed");
    let text = b"hello, compressed world\n".repeat(20);
    std::fs::write(site.root().join("page.txt"), &text).unwrap();
    let gz = gzip_stored(&text);
    std::fs::write(site.root().join("page.txt.gz"), &gz).unwrap();
    let server = Harness::start(&site.root(), &["--quiet"]);

    let plain = req(&server, "GET", "/page.txt", &[]);
    assert_eq!(plain.body, text);
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(plain.header("vary"), Some("Accept-Encoding"));

    let zipped = req(
        &server,
        "GET",
        "/page.txt",
        &["Accept-Encoding: gzip, deflate"],
    );
    assert_eq!(zipped.status, 200);
    assert_eq!(zipped.body, gz);
    assert_eq!(zipped.header("content-encoding"), Some("gzip"));
    assert_eq!(
        zipped.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(zipped.header("vary"), Some("Accept-Encoding"));
    assert_ne!(zipped.header("etag"), plain.header("etag"));

    assert_eq!(
        req(&server, "GET", "/page.txt", &["Accept-Encoding: gzip;q=0"]).body,
        text
    );
    assert_eq!(
        req(&server, "GET", "/page.txt", &["Accept-Encoding: br"]).body,
        text
    );
    // Ranges apply to the encoded bytes.
    let part = req(
        &server,
        "GET",
        "/page.txt",
        &["Accept-Encoding: gzip", "Range: bytes=0-9"],
    );
    assert_eq!((part.status, part.body.as_slice()), (206, &gz[..10]));
    assert_eq!(
        part.header("content-range"),
        Some(format!("bytes 0-9/{}", gz.len()).as_str())
    );
    // Its own ETag revalidates the encoded variant.
    let etag = zipped.header("etag").unwrap();
    assert_eq!(
        req(
            &server,
            "GET",
            "/page.txt",
            &["Accept-Encoding: gzip", &format!("If-None-Match: {etag}")]
        )
        .status,
        304
    );

    // A sidecar older than its file is stale and not served.
    let gz_path = site.root().join("page.txt.gz");
    let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&gz_path)
        .unwrap()
        .set_modified(an_hour_ago)
        .unwrap();
    let stale = req(&server, "GET", "/page.txt", &["Accept-Encoding: gzip"]);
    assert_eq!(
        (stale.body.as_slice(), stale.header("content-encoding")),
        (text.as_slice(), None)
    );
    std::fs::File::options()
        .write(true)
        .open(&gz_path)
        .unwrap()
        .set_modified(std::time::SystemTime::now())
        .unwrap();

    // Brotli is preferred when both exist and both are accepted equally...
    std::fs::write(site.root().join("page.txt.br"), b"pretend brotli").unwrap();
    let br = req(&server, "GET", "/page.txt", &["Accept-Encoding: gzip, br"]);
    assert_eq!(
        (br.header("content-encoding"), br.body.as_slice()),
        (Some("br"), &b"pretend brotli"[..])
    );
    // ... unless the client ranks gzip higher.
    let gz_first = req(
        &server,
        "GET",
        "/page.txt",
        &["Accept-Encoding: br;q=0.5, gzip"],
    );
    assert_eq!(
        (
            gz_first.header("content-encoding"),
            gz_first.body.as_slice()
        ),
        (Some("gzip"), gz.as_slice())
    );
    // Accept-Encoding decides whenever a sidecar could be served, so a compressible
    // file varies even before it has one (a cache must not keep its identity bytes
    // for gzip clients once a .gz appears); an already-compressed type never does.
    assert_eq!(
        req(&server, "GET", "/hello.txt", &[]).header("vary"),
        Some("Accept-Encoding")
    );
    std::fs::write(site.root().join("photo.png"), b"\x89PNG not really").unwrap();
    std::fs::write(site.root().join("photo.png.gz"), b"never served").unwrap();
    let png = req(&server, "GET", "/photo.png", &["Accept-Encoding: gzip"]);
    assert_eq!(
        (png.body.as_slice(), png.header("vary")),
        (&b"\x89PNG not really"[..], None)
    );

    let off = Harness::start(&site.root(), &["--quiet", "--no-precompressed"]);
    let resp = req(&off, "GET", "/page.txt", &["Accept-Encoding: gzip, br"]);
    assert_eq!(
        (
            resp.body.as_slice(),
            resp.header("vary"),
            resp.header("content-encoding")
        ),
        (text.as_slice(), None, None)
    );
}

/// Splits a multipart/byteranges body into (Content-Range, bytes) pairs, strictly.
fn parse_multipart(body: &[u8], boundary: &str) -> Vec<(String, Vec<u8>)> {
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut rest = body;
    let mut first = true;
    loop {
        let lead: &[u8] = if first { b"" } else { b"\r\n" };
        first = false;
        let closing = [lead, delimiter.as_bytes(), b"--\r\n"].concat();
        if rest == closing.as_slice() {
            return parts;
        }
        let open = [lead, delimiter.as_bytes(), b"\r\n"].concat();
        assert!(
            rest.starts_with(&open),
            "expected a delimiter at {:?}",
            String::from_utf8_lossy(&rest[..rest.len().min(80)])
        );
        rest = &rest[open.len()..];
        let end = rest
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("part header end");
        let header = std::str::from_utf8(&rest[..end]).unwrap();
        let range = header
            .lines()
            .find_map(|l| l.strip_prefix("Content-Range: "))
            .expect("part Content-Range")
            .to_string();
        assert!(header.contains("Content-Type: "), "{header}");
        let (span, _) = range
            .strip_prefix("bytes ")
            .unwrap()
            .split_once('/')
            .unwrap();
        let (a, b) = span.split_once('-').unwrap();
        let len = b.parse::<usize>().unwrap() - a.parse::<usize>().unwrap() + 1;
        rest = &rest[end + 4..];
        parts.push((range, rest[..len].to_vec()));
        rest = &rest[len..];
    }
}

fn rfc850(secs: u64) -> String {
    // "Sunday, 06-Nov-94 08:49:37 GMT" from IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT".
    let imf = crate::http::date::HttpDate(secs).to_string();
    let day = match &imf[..3] {
        "Mon" => "Monday",
        "Tue" => "Tuesday",
        "Wed" => "Wednesday",
        "Thu" => "Thursday",
        "Fri" => "Friday",
        "Sat" => "Saturday",
        _ => "Sunday",
    };
    format!(
        "{day}, {}-{}-{} {} GMT",
        &imf[5..7],
        &imf[8..11],
        &imf[14..16],
        &imf[17..25]
    )
}

fn asctime(secs: u64) -> String {
    // "Sun Nov  6 08:49:37 1994".
    let imf = crate::http::date::HttpDate(secs).to_string();
    let day: u32 = imf[5..7].parse().unwrap();
    format!(
        "{} {} {day:>2} {} {}",
        &imf[..3],
        &imf[8..11],
        &imf[17..25],
        &imf[12..16]
    )
}
