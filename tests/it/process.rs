//! Process mode specifics: reaping, concurrency, crashes, and a parent that dies.

use std::fs;
use std::io::{BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crate::both_modes;
use crate::util::*;

#[test]
fn two_hundred_connections_leave_no_zombie_and_no_child() {
    let site = Site::new("zombies");
    let server = TestServer::start(Mode::Process, &site.root(), &["--quiet"]);
    for i in 0..200 {
        let mut s = server.connect();
        if i % 2 == 0 {
            s.write_all(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                .unwrap();
            let mut all = Vec::new();
            s.read_to_end(&mut all).unwrap();
            assert!(all.ends_with(b"\r\n\r\nhello\n"));
        } else {
            // Disconnect early, before sending a full head.
            s.write_all(b"GET /hel").unwrap();
        }
    }
    assert!(
        eventually(Duration::from_secs(10), || server.children().is_empty()),
        "children left: {:?}, zombies: {:?}",
        server.children(),
        server.zombies()
    );
    assert_eq!(server.zombies(), Vec::<u32>::new());
}

both_modes! {
    fn fifty_concurrent_keep_alive_clients_get_exact_bytes(mode) {
        let site = Site::new("concurrent");
        let big = Arc::new(site.add_big("big.bin", 300 * 1024));
        let server = Arc::new(TestServer::start(mode, &site.root(), &[]));
        let workers: Vec<_> = (0..50)
            .map(|i| {
                let server = Arc::clone(&server);
                let big = Arc::clone(&big);
                thread::spawn(move || {
                    let s = server.connect();
                    let mut reader = BufReader::new(s);
                    for j in 0..20 {
                        let (path, want): (&str, &[u8]) = match (i + j) % 3 {
                            0 => ("/hello.txt", b"hello\n"),
                            1 => ("/dir/page.html", b"<p>page</p>\n"),
                            _ => ("/big.bin", &big),
                        };
                        let req = format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n");
                        reader.get_mut().write_all(req.as_bytes()).unwrap();
                        let resp = read_response(&mut reader, false);
                        assert_eq!(resp.status, 200, "{path}");
                        assert!(resp.body == want, "client {i} request {j}: {path} differs");
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().expect("a client failed");
        }
        // Every one of the 1,000 responses has exactly one intact log line, even from
        // 50 child processes writing to one stdout.
        let log = server.wait_log_lines(1000);
        assert_eq!(log.lines().count(), 1000);
        for line in log.lines() {
            assert!(line.starts_with("127.0.0.1 - - ["), "{line:?}");
            assert!(line.ends_with("\"-\" \"-\""), "{line:?}");
            assert!(line.contains("\" 200 "), "{line:?}");
        }
    }

    fn a_panic_ends_only_its_own_connection(mode) {
        let site = Site::new("panic");
        let mut cmd = std::process::Command::new(binary());
        cmd.env("SERVEDIR_TEST_HOOKS", "1");
        let server = TestServer::start_with(cmd, mode, &site.root(), &["--quiet"]);
        let mut other = BufReader::new(server.connect());
        other.get_mut().write_all(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
        assert_eq!(read_response(&mut other, false).status, 200);
        for _ in 0..3 {
            let mut s = server.connect();
            s.write_all(b"GET /__servedir_test_panic__ HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
            let mut rest = Vec::new();
            let _ = s.read_to_end(&mut rest);
            assert_eq!(rest, b"", "a panicking handler sends nothing");
        }
        assert!(server.stderr().contains("deliberate panic"), "{}", server.stderr());
        // The other connection and new ones are fine.
        other.get_mut().write_all(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
        assert_eq!(read_response(&mut other, false).body, b"hello\n");
        assert_eq!(get(&server, "/hello.txt").body, b"hello\n");
    }
}

// Reads process state and memory from /proc.
#[cfg(target_os = "linux")]
#[test]
fn a_child_keeps_few_files_in_memory() {
    // Thousands of children must stay small: a child's in-memory copies are bounded by
    // about one 256 KiB file, however many files its connection asks for.
    let site = Site::new("child-memory");
    let data = pattern(200 * 1024);
    for i in 0..60 {
        std::fs::write(site.root().join(format!("f{i}.bin")), &data).unwrap();
    }
    thread::sleep(Duration::from_millis(1100)); // settled: eligible for memory
    let server = TestServer::start(Mode::Process, &site.root(), &["--quiet"]);
    let mut reader = BufReader::new(server.connect());
    for round in 0..2 {
        for i in 0..60 {
            let request = format!("GET /f{i}.bin HTTP/1.1\r\nHost: t\r\n\r\n");
            reader.get_mut().write_all(request.as_bytes()).unwrap();
            let resp = read_response(&mut reader, false);
            assert!(
                resp.status == 200 && resp.body == data,
                "round {round} file {i}"
            );
        }
    }
    let kids = server.children();
    assert_eq!(kids.len(), 1);
    // 12 MB of files went through; a 16 MiB cache would have kept them all.
    let rss = proc_rss_kib(kids[0]);
    assert!(rss < 8 * 1024, "child RSS {rss} KiB");
}

// Reads process state and memory from /proc.
#[cfg(target_os = "linux")]
#[test]
fn killing_the_parent_leaves_no_child_serving_forever() {
    for signal in ["TERM", "KILL"] {
        let site = Site::new("orphans");
        let server = TestServer::start(
            Mode::Process,
            &site.root(),
            &["--keep-alive", "0.5", "--quiet"],
        );
        let mut reader = BufReader::new(server.connect());
        reader
            .get_mut()
            .write_all(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n")
            .unwrap();
        assert_eq!(read_response(&mut reader, false).status, 200);
        let kids = server.children();
        assert_eq!(kids.len(), 1, "one child per connection");
        // The parent exits at once on SIGTERM (no handler) as on SIGKILL.
        let status = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &server.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        assert!(
            eventually(Duration::from_secs(5), || server.has_exited()),
            "{signal}: the parent is still running"
        );
        // The orphan still finishes its connection: the idle timeout closes it, and it exits.
        let start = std::time::Instant::now();
        assert!(is_closed(&mut reader));
        assert!(start.elapsed() < Duration::from_secs(5));
        assert!(
            eventually(Duration::from_secs(5), || kids
                .iter()
                .all(|&pid| matches!(proc_state(pid), None | Some('Z')))),
            "{signal}: child {kids:?} still running"
        );
    }
}

/// A directory beside the built binary (same filesystem, so a hard link works), removed
/// on drop.
pub struct BinDir(TempDir);

impl BinDir {
    pub fn new(name: &str) -> BinDir {
        BinDir(TempDir::new_in(
            Path::new(env!("CARGO_TARGET_TMPDIR")),
            name,
        ))
    }

    /// A second name for the built `servedir`: deleting or replacing it leaves the
    /// original alone. A hard link, not a copy: a copy just written could fail to start
    /// with ETXTBSY while another test's fork still holds the written file open.
    pub fn servedir(&self) -> PathBuf {
        let exe = self.0.path().join("servedir");
        if fs::hard_link(binary(), &exe).is_err() {
            fs::copy(binary(), &exe).unwrap();
        }
        exe
    }

    pub fn path(&self) -> &Path {
        self.0.path()
    }
}

/// Issue 12 item 7: children were started from the binary's path, so deleting it made
/// every request fail with 503.
#[test]
fn deleting_the_binary_after_start_changes_nothing() {
    let site = Site::new("deleted-exe");
    let bin = BinDir::new("deleted-exe");
    let exe = bin.servedir();
    let server = TestServer::start_with(
        Command::new(&exe),
        Mode::Process,
        &site.root(),
        &["--quiet"],
    );
    assert_eq!(get(&server, "/hello.txt").body, b"hello\n");
    fs::remove_file(&exe).unwrap();
    let mut reader = BufReader::new(server.connect());
    for _ in 0..3 {
        reader
            .get_mut()
            .write_all(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n")
            .unwrap();
        let resp = read_response(&mut reader, false);
        assert_eq!((resp.status, resp.body.as_slice()), (200, &b"hello\n"[..]));
    }
    // Started as /proc/self/fd/N, a child still calls itself servedir for ps and pgrep.
    // The first request's child may still be exiting on a loaded machine: wait for it.
    assert!(
        eventually(Duration::from_secs(5), || server.children().len() == 1),
        "one child for the open connection: {:?}",
        server.children()
    );
    let kids = server.children();
    let comm = fs::read_to_string(format!("/proc/{}/comm", kids[0])).unwrap_or_default();
    assert_eq!(comm.trim_end(), "servedir");
    assert!(!server.stderr().contains("cannot"), "{}", server.stderr());
}

/// Issue 12 item 7: a program renamed over the binary's path (as an upgrade does) was
/// what the next children ran.
#[test]
fn replacing_the_binary_after_start_does_not_run_the_replacement() {
    let site = Site::new("replaced-exe");
    let bin = BinDir::new("replaced-exe");
    let exe = bin.servedir();
    let server = TestServer::start_with(
        Command::new(&exe),
        Mode::Process,
        &site.root(),
        &["--quiet"],
    );
    assert_eq!(get(&server, "/hello.txt").body, b"hello\n");
    // Answers on its standard input, the socket, as a child would.
    let impostor = bin.path().join("impostor");
    fs::write(
        &impostor,
        "#!/bin/sh\nprintf 'HTTP/1.1 200 OK\\r\\nContent-Length: 9\\r\\nConnection: close\\r\\n\\r\\nreplaced\\n' >&0\n",
    )
    .unwrap();
    fs::set_permissions(&impostor, fs::Permissions::from_mode(0o755)).unwrap();
    fs::rename(&impostor, &exe).unwrap();
    for _ in 0..3 {
        let resp = get(&server, "/hello.txt");
        assert_eq!((resp.status, resp.body.as_slice()), (200, &b"hello\n"[..]));
    }
}

both_modes! {
    /// Issue 12 item 7: a process-mode child whose root was gone exited at once and the
    /// client got a reset with no status; thread mode answers 404, and serves the root
    /// again once it is back.
    fn a_deleted_root_answers_404_like_thread_mode(mode) {
        let site = Site::new("deleted-root");
        let server = TestServer::start(mode, &site.root(), &["--quiet"]);
        assert_eq!(get(&server, "/hello.txt").status, 200);
        let moved = site.base.path().join("moved");
        fs::rename(site.root(), &moved).unwrap();
        for path in ["/hello.txt", "/", "/dir/"] {
            let resp = get(&server, path);
            assert_eq!(resp.status, 404, "{path}");
            assert!(resp.head.contains("\r\nContent-Type: text/html"), "{}", resp.head);
        }
        fs::rename(&moved, site.root()).unwrap();
        assert_eq!(get(&server, "/hello.txt").body, b"hello\n");
        assert!(!server.stderr().contains("child"), "{}", server.stderr());
    }
}

/// Issue 12 item 7: a child that dies before it takes its connection (here it aborts,
/// through a debug-build test hook) left the client with a reset and no status.
#[test]
fn a_child_killed_before_taking_its_connection_gets_the_client_a_500() {
    let site = Site::new("child-abort");
    let mut cmd = Command::new(binary());
    cmd.env("SERVEDIR_TEST_HOOKS", "child-abort");
    let server = TestServer::start_with(cmd, Mode::Process, &site.root(), &["--quiet"]);
    for _ in 0..3 {
        let resp = get(&server, "/hello.txt");
        assert_eq!(resp.status, 500);
        assert_eq!(resp.header("connection"), Some("close"));
    }
    assert!(
        eventually(Duration::from_secs(10), || server.children().is_empty()),
        "children left: {:?}",
        server.children()
    );
}

/// A panic must unwind and end one connection's thread: `panic = "abort"` in any
/// profile would turn it into the whole server's death in thread mode.
#[test]
fn no_profile_aborts_on_panic() {
    let manifest = include_str!("../../Cargo.toml");
    let settings: Vec<&str> = manifest
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| l.replace(' ', "").starts_with("panic="))
        .collect();
    assert!(
        settings.iter().all(|l| l.contains("unwind")),
        "Cargo.toml sets {settings:?}"
    );
}

/// Issue 17: the parent now leaves a child's environment as it is unless it must change
/// it (changing it made std copy the whole environment per connection); a fault channel
/// the server inherited from elsewhere must still never reach its children.
#[test]
fn an_inherited_fault_channel_never_reaches_a_child() {
    let site = Site::new("inherited-channel");
    let mut command = Command::new(binary());
    // Nothing listens on port 1: a child that took this channel would be refused on every
    // request and say so on stderr.
    command.env(
        "SERVEDIR_FAULT_CONTROL",
        "127.0.0.1:1 00112233445566778899aabbccddeeff",
    );
    let server = TestServer::start_with(command, Mode::Process, &site.root(), &["--quiet"]);
    for _ in 0..3 {
        let r = get(&server, "/hello.txt");
        assert_eq!((r.status, r.body.as_slice()), (200, &b"hello\n"[..]));
    }
    assert!(
        eventually(Duration::from_secs(10), || server.children().is_empty()),
        "children left: {:?}",
        server.children()
    );
    // The parent relays a child's stderr once it is reaped: give it the time to.
    thread::sleep(Duration::from_millis(100));
    assert!(
        !server.stderr().contains("fault rules"),
        "{}",
        server.stderr()
    );
}

/// Issue 17: each child started a writer thread for its access-log lines, a tenth of its
/// CPU; while its stdout (here a pipe the test reads) takes each line at once, the child
/// writes it itself and runs on one thread. A stalled stdout still gets the writer
/// thread (robust.rs: `a_stalled_stdout_does_not_hold_process_mode_slots`).
#[cfg(target_os = "linux")]
#[test]
fn a_child_writes_its_log_lines_without_a_thread_of_its_own() {
    let site = Site::new("child-log-thread");
    let server = TestServer::start(Mode::Process, &site.root(), &[]);
    let stream = server.connect();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    for _ in 0..3 {
        writer
            .write_all(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n")
            .unwrap();
        assert_eq!(read_response(&mut reader, false).status, 200);
    }
    let log = server.wait_log_lines(3);
    assert!(
        log.lines()
            .all(|l| l.contains("\"GET /hello.txt HTTP/1.1\" 200 6")),
        "{log}"
    );
    // The connection is still open: its child is alive, with all it has started.
    let children = server.children();
    assert_eq!(children.len(), 1, "{children:?}");
    assert_eq!(proc_threads(children[0]), 1);
}
