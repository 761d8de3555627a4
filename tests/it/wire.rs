//! Wire-level behaviour a client library would hide: raw targets, pipelining, fragmented
//! and oversized heads, persistence, bodies, timeouts, the connection cap.

use std::io::{BufReader, Read, Write};
use std::thread;
use std::time::{Duration, Instant};

use crate::both_modes;
use crate::util::*;

both_modes! {
    fn traversal_never_reaches_a_file_beside_the_root(mode) {
        let site = Site::new("traversal");
        let server = TestServer::start(mode, &site.root(), &[]);
        let targets = [
            "/../secret.txt",
            "/../../secret.txt",
            "/%2e%2e/secret.txt",
            "/%2E%2e%2fsecret.txt",
            "/..%2fsecret.txt",
            "/..%2Fsecret.txt",
            "/dir/../../secret.txt",
            "/dir/%2e%2e/%2e%2e/secret.txt",
            "/./../secret.txt",
            "/..\\secret.txt",
            "/%5c..%5csecret.txt",
            "/%252e%252e/secret.txt",
            "/%c0%ae%c0%ae/secret.txt",
            "/..;/secret.txt",
            "http://t/../secret.txt",
            "http://t/%2e%2e/secret.txt",
            "/link-out.txt",
            "/secret.txt",
            "//secret.txt",
            "/root/../secret.txt",
        ];
        for target in targets {
            let resp = exchange(&server, format!("GET {target} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes());
            assert!(matches!(resp.status, 400 | 404), "{target}: {}", resp.status);
            assert!(!String::from_utf8_lossy(&resp.body).contains("TOP SECRET"), "{target}");
        }
        assert_eq!(get(&server, "/hello.txt").body, b"hello\n");
    }

    fn redirect_location_is_never_protocol_relative(mode) {
        let site = Site::new("openredirect");
        let server = TestServer::start(mode, &site.root(), &[]);
        // CVE-2021-28861: `//evil.com` must not redirect to `//evil.com/`.
        // An encoded slash does not end a directory URL: /dir%2f is redirected too, or
        // relative links on its index would resolve against the parent.
        let resp = get(&server, "/dir%2f");
        assert_eq!((resp.status, resp.header("location")), (301, Some("/dir/")));
        for target in ["//evil.com", "///evil.com", "/%2fevil.com", "/./evil.com", "/dir/..//evil.com"] {
            let resp = get(&server, target);
            assert_eq!(resp.status, 301, "{target}");
            assert_eq!(resp.header("location"), Some("/evil.com/"), "{target}");
        }
    }

    fn pipelined_requests_are_answered_in_order(mode) {
        let site = Site::new("pipeline");
        let server = TestServer::start(mode, &site.root(), &[]);
        let mut s = server.connect();
        s.write_all(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\nGET /dir/page.html HTTP/1.1\r\nHost: t\r\n\r\nGET /missing HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
        let mut reader = BufReader::new(s);
        let a = read_response(&mut reader, false);
        let b = read_response(&mut reader, false);
        let c = read_response(&mut reader, false);
        assert_eq!((a.status, a.body.as_slice()), (200, &b"hello\n"[..]));
        assert_eq!((b.status, b.body.as_slice()), (200, &b"<p>page</p>\n"[..]));
        assert_eq!(c.status, 404);
        // Still open for a fourth.
        reader.get_mut().write_all(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
        assert_eq!(read_response(&mut reader, false).body, b"hello\n");
    }

    fn a_head_sent_one_byte_at_a_time_is_served(mode) {
        let site = Site::new("bytewise");
        let server = TestServer::start(mode, &site.root(), &[]);
        let mut s = server.connect();
        s.set_nodelay(true).unwrap();
        for b in b"GET /hello.txt HTTP/1.1\r\nHost: t\r\nX-Long: 0123456789\r\n\r\n" {
            s.write_all(&[*b]).unwrap();
            thread::sleep(Duration::from_millis(1));
        }
        let resp = read_response(&mut BufReader::new(s), false);
        assert_eq!((resp.status, resp.body.as_slice()), (200, &b"hello\n"[..]));
    }

    fn large_heads_within_and_beyond_the_limit(mode) {
        let site = Site::new("bighead");
        let server = TestServer::start(mode, &site.root(), &[]);
        let cookie = format!("GET /hello.txt HTTP/1.1\r\nHost: t\r\nCookie: {}\r\n\r\n", "c".repeat(6 * 1024));
        let resp = exchange(&server, cookie.as_bytes());
        assert_eq!((resp.status, resp.body.as_slice()), (200, &b"hello\n"[..]));

        let huge = format!("GET /hello.txt HTTP/1.1\r\nHost: t\r\nCookie: {}\r\n\r\n", "c".repeat(64 * 1024));
        let mut s = server.connect();
        s.write_all(huge.as_bytes()).unwrap();
        let mut reader = BufReader::new(s);
        let resp = read_response(&mut reader, false);
        assert_eq!(resp.status, 431);
        assert_eq!(resp.header("connection"), Some("close"));
        assert!(is_closed(&mut reader));

        let long_line = format!("GET /{} HTTP/1.1\r\nHost: t\r\n\r\n", "a".repeat(9000));
        let resp = exchange(&server, long_line.as_bytes());
        assert_eq!(resp.status, 414);

        let mut many = String::from("GET / HTTP/1.1\r\nHost: t\r\n");
        for i in 0..150 {
            many.push_str(&format!("X-{i}: v\r\n"));
        }
        many.push_str("\r\n");
        assert_eq!(exchange(&server, many.as_bytes()).status, 431);
    }

    fn http10_closes_unless_keep_alive_is_asked(mode) {
        let site = Site::new("http10");
        let server = TestServer::start(mode, &site.root(), &[]);
        let mut s = server.connect();
        s.write_all(b"GET /hello.txt HTTP/1.0\r\n\r\n").unwrap();
        let mut reader = BufReader::new(s);
        let resp = read_response(&mut reader, false);
        assert_eq!(resp.status, 200);
        assert_eq!(resp.header("connection"), Some("close"));
        assert!(resp.head.starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(is_closed(&mut reader));

        let mut s = server.connect();
        s.write_all(b"GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").unwrap();
        let mut reader = BufReader::new(s);
        let resp = read_response(&mut reader, false);
        assert_eq!(resp.header("connection"), Some("keep-alive"));
        reader.get_mut().write_all(b"GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").unwrap();
        assert_eq!(read_response(&mut reader, false).body, b"hello\n");

        let mut s = server.connect();
        s.write_all(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").unwrap();
        let mut reader = BufReader::new(s);
        let resp = read_response(&mut reader, false);
        assert_eq!(resp.header("connection"), Some("close"));
        assert!(is_closed(&mut reader));
    }

    fn malformed_requests_get_400_505_and_close(mode) {
        let site = Site::new("malformed");
        let server = TestServer::start(mode, &site.root(), &[]);
        // (request, status, whether the connection must close: a malformed head leaves
        // no way to find the next request; a well-framed bad target does).
        let table: &[(&[u8], u16, bool)] = &[
            (b"GET / HTTP/1.1\r\n\r\n", 400, true),
            (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, true),
            (b"GET /\r\nHost: t\r\n\r\n", 400, true),
            (b"GET / HTTP/1.1 x\r\nHost: t\r\n\r\n", 400, true),
            (b"GET  / HTTP/1.1\r\nHost: t\r\n\r\n", 400, true),
            (b"GET / http/1.1\r\nHost: t\r\n\r\n", 400, true),
            (b"GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505, true),
            (b"GET / HTTP/0.9\r\nHost: t\r\n\r\n", 505, true),
            (b"GET / HTTP/1.1\r\nHost : t\r\n\r\n", 400, true),
            (b"GET / HTTP/1.1\r\nHost: t\r\n folded\r\n\r\n", 400, true),
            (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400, true),
            (b"get / HTTP/1.1\r\nHost: t\r\n\r\n", 501, false),
            (b"GET * HTTP/1.1\r\nHost: t\r\n\r\n", 400, false),
            (b"GET t:80 HTTP/1.1\r\nHost: t\r\n\r\n", 400, false),
            (b"GET /%00 HTTP/1.1\r\nHost: t\r\n\r\n", 400, false),
            (b"GET /%e9 HTTP/1.1\r\nHost: t\r\n\r\n", 400, false),
        ];
        for (req, status, closes) in table {
            let mut s = server.connect();
            s.write_all(req).unwrap();
            let mut reader = BufReader::new(s);
            let resp = read_response(&mut reader, false);
            let what = String::from_utf8_lossy(req);
            assert_eq!(resp.status, *status, "{what:?}");
            if *closes {
                assert_eq!(resp.header("connection"), Some("close"), "{what:?}");
                assert!(is_closed(&mut reader), "{what:?}");
            } else {
                assert_eq!(resp.header("connection"), None, "{what:?}");
                reader.get_mut().write_all(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
                assert_eq!(read_response(&mut reader, false).body, b"hello\n", "{what:?}");
            }
        }
        // A higher 1.x minor is answered as 1.1.
        let resp = exchange(&server, b"GET /hello.txt HTTP/1.7\r\nHost: t\r\n\r\n");
        assert_eq!((resp.status, resp.body.as_slice()), (200, &b"hello\n"[..]));
        // Absolute-form.
        let resp = exchange(&server, b"GET http://t/hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
        assert_eq!((resp.status, resp.body.as_slice()), (200, &b"hello\n"[..]));
    }

    fn request_bodies_never_become_requests(mode) {
        let site = Site::new("bodies");
        let server = TestServer::start(mode, &site.root(), &[]);
        // A small body is read and dropped; the pipelined GET after it is answered.
        let mut s = server.connect();
        // The body looks like a request; it must be skipped, not answered.
        let body = "GET /secret HTTP/1.1\r\n\r\n";
        let req = format!("POST /hello.txt HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n{body}GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n", body.len());
        s.write_all(req.as_bytes()).unwrap();
        let mut reader = BufReader::new(s);
        assert_eq!(read_response(&mut reader, false).status, 405);
        let next = read_response(&mut reader, false);
        assert_eq!((next.status, next.body.as_slice()), (200, &b"hello\n"[..]));

        // A GET with a small body is served, body skipped.
        let mut s = server.connect();
        s.write_all(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nxxxxxGET /dir/page.html HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
        let mut reader = BufReader::new(s);
        assert_eq!(read_response(&mut reader, false).body, b"hello\n");
        assert_eq!(read_response(&mut reader, false).body, b"<p>page</p>\n");

        // Too large to discard, or chunked: answered, then closed, and the response arrives
        // intact even though the body was never read (lingering close).
        let big = vec![b'x'; 200 * 1024];
        let mut s = server.connect();
        s.write_all(format!("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n", big.len()).as_bytes()).unwrap();
        let _ = s.write_all(&big);
        let mut reader = BufReader::new(s);
        let resp = read_response(&mut reader, false);
        assert_eq!(resp.status, 405);
        assert_eq!(resp.header("connection"), Some("close"));
        assert!(is_closed(&mut reader));

        let mut s = server.connect();
        s.write_all(b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n").unwrap();
        let mut reader = BufReader::new(s);
        let resp = read_response(&mut reader, false);
        assert_eq!((resp.status, resp.header("connection")), (405, Some("close")));
        assert!(is_closed(&mut reader));

        for framing in [
            "Content-Length: 5\r\nTransfer-Encoding: chunked",
            "Content-Length: 5\r\nContent-Length: 5",
            "Content-Length: -1",
            "Content-Length: 5x",
            "Content-Length: 99999999999999999999999",
        ] {
            let req = format!("POST / HTTP/1.1\r\nHost: t\r\n{framing}\r\n\r\nhello");
            let mut s = server.connect();
            s.write_all(req.as_bytes()).unwrap();
            let mut reader = BufReader::new(s);
            let resp = read_response(&mut reader, false);
            assert_eq!((resp.status, resp.header("connection")), (400, Some("close")), "{framing}");
            assert!(is_closed(&mut reader), "{framing}");
        }
    }

    fn only_space_and_tab_count_as_whitespace_around_a_field_value(mode) {
        // Issue 12, item 8 (RFC 9110 §5.6.3: OWS is SP / HTAB): a CR or form feed beside
        // a value was trimmed away, so these were served as `Content-Length: 5` and
        // `Host: x`; nginx answers 400, and so must we (they are how smuggling starts).
        let site = Site::new("ows");
        let server = TestServer::start(mode, &site.root(), &[]);
        for field in ["Host: t\r\nContent-Length:\r5", "Host: t\r\nContent-Length: 5\x0c", "Host:\x0cx"] {
            let req = format!("GET /hello.txt HTTP/1.1\r\n{field}\r\n\r\nhello");
            let mut s = server.connect();
            s.write_all(req.as_bytes()).unwrap();
            let mut reader = BufReader::new(s);
            let resp = read_response(&mut reader, false);
            assert_eq!((resp.status, resp.header("connection")), (400, Some("close")), "{field:?}");
            assert!(is_closed(&mut reader), "{field:?}");
        }
        // Spaces and tabs are still whitespace.
        let resp = exchange(&server, b"GET /hello.txt HTTP/1.1\r\nHost:\t t \t\r\nContent-Length: \t0\t\r\n\r\n");
        assert_eq!((resp.status, resp.body.as_slice()), (200, &b"hello\n"[..]));
    }

    fn a_client_leaving_mid_download_does_not_hurt_the_server(mode) {
        let site = Site::new("abort");
        let data = site.add_big("big.bin", 64 * 1024 * 1024);
        let server = TestServer::start(mode, &site.root(), &[]);
        for _ in 0..3 {
            let mut s = server.connect();
            s.write_all(b"GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
            let mut first = vec![0u8; 256 * 1024];
            s.read_exact(&mut first).unwrap();
            drop(s);
        }
        // A whole download afterwards is byte-exact.
        let resp = server.get("/big.bin");
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-length"], "67108864");
        let body = resp.bytes().unwrap();
        assert!(body.as_ref() == data.as_slice(), "64 MiB body differs");
        assert_eq!(get(&server, "/hello.txt").body, b"hello\n");
    }

    fn a_partial_head_times_out_with_408_and_idle_connections_close(mode) {
        let site = Site::new("timeouts");
        let server = TestServer::start(mode, &site.root(), &["--timeout", "0.5", "--keep-alive", "0.3"]);
        let mut s = server.connect();
        s.write_all(b"GET /hello.txt HTTP/1.1\r\nHost:").unwrap();
        let start = Instant::now();
        let mut reader = BufReader::new(s);
        let resp = read_response(&mut reader, false);
        assert_eq!(resp.status, 408);
        assert!(start.elapsed() < Duration::from_secs(5));
        assert!(is_closed(&mut reader));

        // Trickling a byte at a time does not extend the deadline.
        let mut s = server.connect();
        let start = Instant::now();
        let mut answered = false;
        // A byte every 50 ms, for three times the 0.5 s deadline (the server lingers after
        // its 408, so writes keep succeeding: stop on time rather than at the last byte).
        for b in b"GET /hello.txt HTTP/1.1\r\nHost: t\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n" {
            if start.elapsed() > Duration::from_millis(1500) || s.write_all(&[*b]).is_err() {
                answered = true;
                break;
            }
            thread::sleep(Duration::from_millis(50));
        }
        let _ = answered;
        let resp = read_response(&mut BufReader::new(s), false);
        assert_eq!(resp.status, 408);
        assert!(start.elapsed() < Duration::from_secs(5));

        // A body announced but never sent: 408 too, not a silent close.
        let mut s = server.connect();
        s.write_all(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 60000\r\n\r\nabc").unwrap();
        let mut reader = BufReader::new(s);
        assert_eq!(read_response(&mut reader, false).status, 408);
        assert!(is_closed(&mut reader));

        // After a response, an idle keep-alive connection is closed without a word.
        let mut s = server.connect();
        s.write_all(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
        let mut reader = BufReader::new(s);
        assert_eq!(read_response(&mut reader, false).status, 200);
        let start = Instant::now();
        assert!(is_closed(&mut reader));
        assert!(start.elapsed() >= Duration::from_millis(200));

        // A connection that never sends anything is closed silently at the head deadline.
        let mut s = server.connect();
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, b"");
        // The listener carries the 0.5 s read timeout for the sockets it hands out, so
        // accept itself timed out several times meanwhile: that is not an error.
        assert!(!server.stderr().contains("accept failed"), "{}", server.stderr());
    }

    fn over_the_connection_cap_clients_get_503(mode) {
        let site = Site::new("cap");
        let server = TestServer::start(mode, &site.root(), &["--max-connections", "2", "--timeout", "5"]);
        let held: Vec<_> = (0..2).map(|_| server.connect()).collect();
        // Make sure both are being served (accepted and counted) before the third.
        for mut s in held.iter() {
            s.write_all(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
        }
        let mut readers: Vec<_> = held.into_iter().map(BufReader::new).collect();
        for r in readers.iter_mut() {
            assert_eq!(read_response(r, false).status, 200);
        }
        let mut s = server.connect();
        s.write_all(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
        let resp = read_response(&mut BufReader::new(s), false);
        assert_eq!(resp.status, 503);
        assert_eq!(resp.header("retry-after"), Some("1"));
        assert_eq!(resp.header("connection"), Some("close"));
        drop(readers);
        // Once they are gone, service resumes.
        let start = Instant::now();
        loop {
            let resp = get(&server, "/hello.txt");
            if resp.status == 200 {
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(5), "still {}", resp.status);
            thread::sleep(Duration::from_millis(20));
        }
    }
}
