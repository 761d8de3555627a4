//! Names that change while they are served (issue 12): a file or directory swapped for a
//! symlink out of the root or for a FIFO between servedir's lookup and its open, links
//! that lead to dot-names, and a root that is itself a symlink being re-pointed.

use std::fs;
use std::io::{BufReader, Write};
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crate::both_modes;
use crate::util::*;

/// How long each race runs at least, and at most: it goes on past the first until the
/// swapper has done [`MIN_SWAPS`] (a busy machine can starve it for seconds).
const RACE_TIME: Duration = Duration::from_millis(2500);
const RACE_LIMIT: Duration = Duration::from_secs(15);
const MIN_SWAPS: usize = 300;
const MAX_SWAPS: usize = 200_000;

/// Runs `swap` in a loop on another thread while `request` is called in a loop on two
/// client threads (each with its own keep-alive connection), for [`RACE_TIME`]. Returns
/// how many requests were answered. `request` panics on anything it must never see.
fn race(
    server: &TestServer,
    swap: impl Fn() + Send + 'static,
    request: impl Fn(&mut Conn) + Send + Sync + 'static,
) -> usize {
    let stop = Arc::new(AtomicBool::new(false));
    let swaps = Arc::new(AtomicUsize::new(0));
    let swapper = {
        let (stop, swaps) = (Arc::clone(&stop), Arc::clone(&swaps));
        thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) && swaps.load(Ordering::Relaxed) < MAX_SWAPS {
                swap();
                swaps.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    let request = Arc::new(request);
    let start = Instant::now();
    let clients: Vec<_> = (0..2)
        .map(|_| {
            let (request, swaps) = (Arc::clone(&request), Arc::clone(&swaps));
            let mut conn = Conn::new(server);
            thread::spawn(move || {
                let mut n = 0;
                while start.elapsed() < RACE_LIMIT
                    && (start.elapsed() < RACE_TIME || swaps.load(Ordering::Relaxed) < MIN_SWAPS)
                {
                    request(&mut conn);
                    n += 1;
                }
                n
            })
        })
        .collect();
    let results: Vec<_> = clients.into_iter().map(|c| c.join()).collect();
    stop.store(true, Ordering::Relaxed);
    let swapped = swapper.join();
    let mut answered = 0;
    for result in results {
        match result {
            Ok(n) => answered += n,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
    if let Err(panic) = swapped {
        std::panic::resume_unwind(panic);
    }
    let swaps = swaps.load(Ordering::Relaxed);
    assert!(swaps >= MIN_SWAPS, "the swapper hardly ran ({swaps} swaps)");
    answered
}

/// A keep-alive connection that reconnects when the server closes it.
struct Conn {
    addr: std::net::SocketAddr,
    reader: Option<BufReader<std::net::TcpStream>>,
}

impl Conn {
    fn new(server: &TestServer) -> Conn {
        Conn {
            addr: server.addr,
            reader: None,
        }
    }

    /// GET `path`; every read has a timeout, so a request that hangs fails the test.
    fn get(&mut self, path: &str) -> Raw {
        let reader = self.reader.get_or_insert_with(|| {
            let s = std::net::TcpStream::connect(self.addr).expect("connect");
            s.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
            s.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
            BufReader::new(s)
        });
        let request = format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n");
        reader.get_mut().write_all(request.as_bytes()).unwrap();
        let started = Instant::now();
        let resp = read_response(reader, false);
        assert!(
            started.elapsed() < IO_TIMEOUT,
            "GET {path} took {:?}",
            started.elapsed()
        );
        if resp
            .header("connection")
            .is_some_and(|c| c.eq_ignore_ascii_case("close"))
        {
            self.reader = None;
        }
        resp
    }
}

fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status();
    assert!(
        made.is_ok_and(|s| s.success()),
        "mkfifo is needed for this test"
    );
}

both_modes! {
    /// Issue 12 #1 and #3: `a.txt` is swapped, in a loop, for a symlink to a secret
    /// beside the root and for a FIFO. Before the fix the secret leaked in a few percent of
    /// requests (the name was checked, then opened by path), and opening the FIFO blocked
    /// the connection forever.
    fn a_file_swapped_for_a_symlink_or_a_fifo_never_leaks_or_hangs(mode) {
        let site = Site::new("race-file");
        let root = site.root();
        let base = site.base.path().to_path_buf();
        fs::write(root.join("a.txt"), "inside").unwrap();
        // Three objects parked beside the root take turns as `a.txt`. Moving them, rather
        // than writing files and renaming over `a.txt`, keeps each swap a pure metadata
        // change: ext4 flushes a file renamed over another, which took seconds under load.
        let (file, link, fifo) = (base.join("f"), base.join("l"), base.join("p"));
        fs::rename(root.join("a.txt"), &file).unwrap();
        fs::File::open(&file).unwrap().sync_all().unwrap();
        symlink(base.join("secret.txt"), &link).unwrap();
        mkfifo(&fifo);
        let server = TestServer::start(mode, &root, &["--quiet"]);
        let swap = move || {
            let a = root.join("a.txt");
            for parked in [&file, &link, &file, &fifo] {
                let _ = fs::rename(parked, &a);
                let _ = fs::rename(&a, parked);
            }
        };
        let answered = race(&server, swap, |conn| {
            let resp = conn.get("/a.txt");
            let body = String::from_utf8_lossy(&resp.body);
            assert!(!body.contains("SECRET"), "leaked: {} {body}", resp.status);
            match resp.status {
                200 => assert_eq!(body, "inside"),
                404 => {}
                other => panic!("unexpected status {other}: {body}"),
            }
        });
        assert!(answered > 20, "only {answered} requests answered");
        assert_eq!(get(&server, "/hello.txt").body, b"hello\n");
    }

    /// Issue 12 #1: a directory swapped for a symlink to a directory beside the root, both
    /// fetched from and listed. Before the fix both its files and its listing leaked.
    fn a_directory_swapped_for_a_symlink_never_leaks(mode) {
        let site = Site::new("race-dir");
        let root = site.root();
        let base = site.base.path().to_path_buf();
        fs::create_dir_all(root.join("d")).unwrap();
        fs::write(root.join("d/x.txt"), "inside").unwrap();
        fs::create_dir_all(base.join("out")).unwrap();
        fs::write(base.join("out/x.txt"), "SECRET x").unwrap();
        fs::write(base.join("out/secret-name.txt"), "SECRET").unwrap();
        let server = TestServer::start(mode, &root, &["--quiet", "--listing"]);
        let swap = move || {
            let (parked, link) = (base.join("parked"), base.join("l"));
            if fs::rename(root.join("d"), &parked).is_err() {
                return;
            }
            let _ = symlink(base.join("out"), &link);
            let _ = fs::rename(&link, root.join("d"));
            let _ = fs::remove_file(root.join("d"));
            let _ = fs::rename(&parked, root.join("d"));
        };
        let turn = AtomicUsize::new(0);
        let answered = race(&server, swap, move |conn| {
            let listing = turn.fetch_add(1, Ordering::Relaxed).is_multiple_of(2);
            let resp = conn.get(if listing { "/d/" } else { "/d/x.txt" });
            let body = String::from_utf8_lossy(&resp.body);
            assert!(
                !body.contains("SECRET") && !body.contains("secret-name"),
                "leaked: {} {body}",
                resp.status
            );
            match resp.status {
                200 if listing => assert!(body.contains("x.txt"), "{body}"),
                200 => assert_eq!(body, "inside"),
                404 => {}
                other => panic!("unexpected status {other}: {body}"),
            }
        });
        assert!(answered > 20, "only {answered} requests answered");
    }

    /// Issue 12 #2: `--follow-symlinks` serves what links lead to, but a dot-name on the
    /// real path stays private unless `--hidden`, as it is for the link's own name.
    fn following_symlinks_keeps_dot_names_private(mode) {
        let site = Site::new("follow-dot");
        let (root, base) = (site.root(), site.base.path().to_path_buf());
        fs::create_dir_all(base.join("outside/.ssh")).unwrap();
        fs::write(base.join("outside/.ssh/id_rsa"), "PRIVATE KEY").unwrap();
        fs::write(base.join("outside/.env"), "PASSWORD").unwrap();
        fs::write(base.join("outside/ok.txt"), "public").unwrap();
        symlink(base.join("outside/.ssh"), root.join("keys")).unwrap();
        symlink(base.join("outside/.env"), root.join("env")).unwrap();
        symlink(base.join("outside"), root.join("out")).unwrap();
        let follow = TestServer::start(mode, &root, &["--quiet", "--follow-symlinks"]);
        for path in ["/keys/id_rsa", "/env", "/out/.env", "/keys/"] {
            assert_eq!(get(&follow, path).status, 404, "{path}");
        }
        let resp = get(&follow, "/out/ok.txt");
        assert_eq!((resp.status, resp.body.as_slice()), (200, &b"public"[..]));
        assert_eq!(get(&follow, "/link-out.txt").body, SECRET.as_bytes());
        let open = TestServer::start(mode, &root, &["--quiet", "--follow-symlinks", "--hidden"]);
        assert_eq!(get(&open, "/keys/id_rsa").body, b"PRIVATE KEY");
        assert_eq!(get(&open, "/env").body, b"PASSWORD");
    }

    /// Issue 12 #12: `servedir current` with `current -> rel1`; re-pointing `current` to
    /// `rel2` (as release switching does) switches the site at once, without a restart.
    fn a_root_given_as_a_symlink_is_followed_on_every_request(mode) {
        let base = TempDir::new("root-link");
        for (rel, text) in [("rel1", "one"), ("rel2", "two")] {
            fs::create_dir_all(base.path().join(rel).join("sub")).unwrap();
            fs::write(base.path().join(rel).join("v.txt"), text).unwrap();
            fs::write(base.path().join(rel).join("sub/index.html"), text).unwrap();
        }
        let current = base.path().join("current");
        symlink("rel1", &current).unwrap();
        let server = TestServer::start(mode, &current, &["--quiet"]);
        // The start-up line names the link, where it leads now, and that it is followed.
        let rel1 = fs::canonicalize(base.path().join("rel1")).unwrap();
        let announced = format!("serving {} (now {}; links on the way are followed by every request)\n", current.display(), rel1.display());
        assert!(server.stderr().contains(&announced), "{}", server.stderr());
        assert_eq!(get(&server, "/v.txt").body, b"one");
        assert_eq!(get(&server, "/sub/").body, b"one");
        // Atomically, as `ln -sfn rel2 current` does it.
        symlink("rel2", base.path().join("next")).unwrap();
        fs::rename(base.path().join("next"), &current).unwrap();
        assert_eq!(get(&server, "/v.txt").body, b"two");
        assert_eq!(get(&server, "/sub/").body, b"two");
        // A link that leads nowhere: 404, and the server stays up.
        fs::remove_file(&current).unwrap();
        assert_eq!(get(&server, "/v.txt").status, 404);
        symlink("rel1", &current).unwrap();
        assert_eq!(get(&server, "/v.txt").body, b"one");
    }

    /// Found in review: a root that was a plain directory at start-up, then replaced by a
    /// symlink (a first move to symlink deploys), answered 404 to everything until a
    /// restart: the files were where the link led, outside the start-up root.
    fn a_root_replaced_by_a_symlink_later_is_followed(mode) {
        let base = TempDir::new("root-replaced");
        let site = base.path().join("site");
        for (dir, text) in [(&site, "plain"), (&base.path().join("rel2"), "two")] {
            fs::create_dir_all(dir).unwrap();
            fs::write(dir.join("v.txt"), text).unwrap();
        }
        let server = TestServer::start(mode, &site, &["--quiet"]);
        assert_eq!(get(&server, "/v.txt").body, b"plain");
        fs::rename(&site, base.path().join("site.old")).unwrap();
        symlink("rel2", &site).unwrap();
        let resp = get(&server, "/v.txt");
        assert_eq!((resp.status, resp.body.as_slice()), (200, &b"two"[..]));
        assert_eq!(get(&server, "/missing").status, 404);
    }
}
