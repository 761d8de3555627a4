//! HTTP semantics through a real client (reqwest, redirects off): status, headers, bytes.

use crate::both_modes;
use crate::util::*;

fn header<'a>(resp: &'a reqwest::blocking::Response, name: &str) -> &'a str {
    resp.headers()
        .get(name)
        .unwrap_or_else(|| panic!("missing {name}"))
        .to_str()
        .unwrap()
}

both_modes! {
    fn serves_a_file_with_exact_headers(mode) {
        let site = Site::new("file");
        let server = TestServer::start(mode, &site.root(), &[]);
        let resp = server.get("/hello.txt");
        assert_eq!(resp.status(), 200);
        assert_eq!(header(&resp, "content-type"), "text/plain; charset=utf-8");
        assert_eq!(header(&resp, "content-length"), "6");
        assert_eq!(header(&resp, "server"), concat!("servedir/", env!("CARGO_PKG_VERSION")));
        assert_eq!(header(&resp, "x-content-type-options"), "nosniff");
        let date = header(&resp, "date").to_string();
        assert!(date.ends_with(" GMT") && date.len() == 29, "{date}");
        let mtime = std::fs::metadata(site.root().join("hello.txt")).unwrap().modified().unwrap();
        let secs = servedir::http::date::unix_secs(mtime).unwrap();
        assert_eq!(header(&resp, "last-modified"), servedir::http::date::HttpDate(secs).to_string());
        assert!(resp.headers().get("connection").is_none());
        assert_eq!(resp.bytes().unwrap().as_ref(), b"hello\n");
    }

    fn root_and_directories_serve_their_index(mode) {
        let site = Site::new("index");
        let server = TestServer::start(mode, &site.root(), &[]);
        let resp = server.get("/");
        assert_eq!(resp.status(), 200);
        assert_eq!(header(&resp, "content-type"), "text/html; charset=utf-8");
        assert_eq!(resp.bytes().unwrap().as_ref(), b"<h1>home</h1>\n");
        let resp = server.get("/dir/");
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.bytes().unwrap().as_ref(), b"<h1>dir</h1>\n");
        assert_eq!(server.get("/noindex/").status(), 404);
    }

    fn directory_without_slash_redirects_keeping_the_query(mode) {
        let site = Site::new("redirect");
        let server = TestServer::start(mode, &site.root(), &[]);
        let resp = server.get("/dir");
        assert_eq!(resp.status(), 301);
        assert_eq!(header(&resp, "location"), "/dir/");
        let resp = server.get("/dir?a=1&b=%20");
        assert_eq!(resp.status(), 301);
        assert_eq!(header(&resp, "location"), "/dir/?a=1&b=%20");
        let resp = server.get("/caf%C3%A9.txt");
        assert_eq!(resp.status(), 200);
    }

    fn missing_files_and_bad_shapes_are_404(mode) {
        let site = Site::new("missing");
        let server = TestServer::start(mode, &site.root(), &[]);
        for path in ["/nope", "/hello.txt/", "/hello.txt/x", "/dir/nope.html", "/.hidden.txt", "/.git/config", "/link-out.txt"] {
            let resp = server.get(path);
            assert_eq!(resp.status(), 404, "{path}");
            assert_eq!(header(&resp, "content-type"), "text/html; charset=utf-8");
            let body = resp.text().unwrap();
            assert!(body.contains("404 Not Found"), "{body}");
            assert!(!body.contains(site.base.path().to_str().unwrap()), "{body}");
        }
        assert_eq!(server.get("/link-in.txt").text().unwrap(), "hello\n");
        // RFC 8615: /.well-known/ is public by design, unlike other dot-paths.
        std::fs::create_dir_all(site.root().join(".well-known")).unwrap();
        std::fs::write(site.root().join(".well-known/security.txt"), "Contact: x\n").unwrap();
        assert_eq!(server.get("/.well-known/security.txt").text().unwrap(), "Contact: x\n");
    }

    fn hidden_and_symlink_flags_open_them_up(mode) {
        let site = Site::new("flags");
        let server = TestServer::start(mode, &site.root(), &["--hidden", "--follow-symlinks"]);
        assert_eq!(server.get("/.hidden.txt").text().unwrap(), "hidden\n");
        assert_eq!(server.get("/.git/config").text().unwrap(), "[core]\n");
        assert_eq!(server.get("/link-out.txt").text().unwrap(), SECRET);
    }

    fn query_is_ignored_and_escapes_decoded_once(mode) {
        let site = Site::new("decode");
        let server = TestServer::start(mode, &site.root(), &[]);
        assert_eq!(server.get("/hello.txt?x=1#frag").text().unwrap(), "hello\n");
        assert_eq!(server.get("/a%20b.txt").text().unwrap(), "spaced\n");
        assert_eq!(server.get("/%68ello.txt").text().unwrap(), "hello\n");
        assert_eq!(server.get("/a%2520b.txt").status(), 404);
        assert_eq!(server.get("/a%zzb.txt").status(), 400);
    }

    fn content_types_follow_the_extension(mode) {
        let site = Site::new("mime");
        let server = TestServer::start(mode, &site.root(), &[]);
        for (path, ct) in [
            ("/style.css", "text/css; charset=utf-8"),
            ("/app.js", "text/javascript; charset=utf-8"),
            ("/data.json", "application/json"),
            ("/UPPER.HTML", "text/html; charset=utf-8"),
            ("/unknown.xyz", "application/octet-stream"),
        ] {
            let resp = server.get(path);
            assert_eq!(resp.status(), 200, "{path}");
            assert_eq!(header(&resp, "content-type"), ct, "{path}");
        }
    }

    fn other_methods_get_405_or_501_with_allow(mode) {
        let site = Site::new("methods");
        let server = TestServer::start(mode, &site.root(), &[]);
        let c = client();
        for method in ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"] {
            let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            let resp = c.request(m, server.url("/hello.txt")).body("x").send().unwrap();
            assert_eq!(resp.status(), 405, "{method}");
            assert_eq!(header(&resp, "allow"), "GET, HEAD");
            assert!(resp.text().unwrap().contains("405 Method Not Allowed"));
        }
        let m = reqwest::Method::from_bytes(b"BREW").unwrap();
        let resp = c.request(m, server.url("/")).send().unwrap();
        assert_eq!(resp.status(), 501);
        assert_eq!(header(&resp, "allow"), "GET, HEAD");
    }

    fn head_has_gets_headers_and_no_body(mode) {
        let site = Site::new("head");
        let server = TestServer::start(mode, &site.root(), &[]);
        let mut s = server.connect();
        use std::io::Write;
        s.write_all(b"HEAD /hello.txt HTTP/1.1\r\nHost: t\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
        let mut reader = std::io::BufReader::new(s);
        let head = read_response(&mut reader, true);
        let get = read_response(&mut reader, false);
        assert_eq!(head.status, 200);
        let strip_date = |r: &Raw| r.headers.iter().filter(|(n, _)| n != "Date").cloned().collect::<Vec<_>>();
        assert_eq!(strip_date(&head), strip_date(&get));
        assert_eq!(head.header("content-length"), Some("6"));
        // The GET's response starts right after HEAD's head: no body bytes were sent.
        assert_eq!(get.body, b"hello\n");
    }

    fn access_log_has_one_escaped_line_per_response(mode) {
        let site = Site::new("log");
        let server = TestServer::start(mode, &site.root(), &[]);
        let mut s = server.connect();
        use std::io::Write;
        s.write_all(b"GET /hello.txt?\x1b HTTP/1.1\r\nHost: t\r\nUser-Agent: evil\x1b[2J\"agent\r\nReferer: http://r/\r\n\r\n").unwrap();
        // The raw ESC makes the request line invalid: 400, still logged, escaped.
        let resp = read_response(&mut std::io::BufReader::new(s), false);
        assert_eq!(resp.status, 400);
        let resp = server.get("/hello.txt");
        assert_eq!(resp.status(), 200);
        let log = server.wait_log_lines(2);
        let lines: Vec<&str> = log.lines().collect();
        assert_eq!(lines.len(), 2, "{log}");
        assert!(lines[0].starts_with("127.0.0.1 - - ["), "{log}");
        assert!(lines[0].contains("\"GET /hello.txt?\\x1b HTTP/1.1\" 400 "), "{log}");
        assert!(lines[1].contains("\"GET /hello.txt HTTP/1.1\" 200 6 \"-\" \"-\""), "{log}");
        assert!(!log.contains('\x1b'), "{log}");
        let quiet = TestServer::start(mode, &site.root(), &["--quiet"]);
        assert_eq!(quiet.get("/hello.txt").status(), 200);
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert_eq!(quiet.stdout(), "");
    }

    fn unreadable_file_is_403(mode) {
        let site = Site::new("perm");
        let secret = site.root().join("locked.txt");
        std::fs::write(&secret, "locked").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
        // root reads everything: run the server as `nobody` so permissions apply.
        let server = if running_as_root() {
            // `nobody` may not be able to reach the build directory (a checkout under a
            // private folder): run a copy placed beside the site, which it can.
            // Whatever the umask, `nobody` must be able to reach the site itself.
            for (path, mode) in [(site.base.path().to_path_buf(), 0o755), (site.root(), 0o755), (site.root().join("hello.txt"), 0o644)] {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
            }
            let exe = site.base.path().join("servedir");
            std::fs::copy(binary(), &exe).unwrap();
            std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
            let mut cmd = std::process::Command::new("setpriv");
            cmd.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"]).arg(&exe);
            TestServer::start_with(cmd, mode, &site.root(), &[])
        } else {
            TestServer::start(mode, &site.root(), &[])
        };
        let resp = server.get("/locked.txt");
        assert_eq!(resp.status(), 403);
        assert!(resp.text().unwrap().contains("403 Forbidden"));
        assert_eq!(server.get("/hello.txt").status(), 200);
    }
}
