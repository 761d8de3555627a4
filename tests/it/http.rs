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

/// RFC 9110 §5.6.7's IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), written here apart
/// from servedir's own formatter so that a bug there cannot hide in both.
fn imf_fixdate(secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[test]
fn the_reference_date_formats_as_rfc_9110_shows_it() {
    assert_eq!(imf_fixdate(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
    assert_eq!(imf_fixdate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    assert_eq!(imf_fixdate(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
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
        let secs = mtime.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        assert_eq!(header(&resp, "last-modified"), imf_fixdate(secs));
        assert!(resp.headers().get("connection").is_none());
        assert_eq!(resp.bytes().unwrap().as_ref(), b"hello\n");
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

    #[cfg(unix)]
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
