//! Overload and faults: slow clients, descriptor exhaustion, clients that vanish, files
//! that change underneath, large downloads. The server must stay up, bounded, leak-free.

use std::fs::{self, OpenOptions};
use std::io::{BufReader, Read, Write};
use std::net::TcpStream;
#[cfg(unix)]
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use crate::both_modes;
use crate::util::*;

/// Opens `n` connections that each send a partial head, without blocking on the server.
fn slow_clients(server: &TestServer, n: usize) -> Vec<TcpStream> {
    (0..n)
        .map(|_| {
            let mut s = server.connect();
            s.write_all(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\nX-Slow: ")
                .unwrap();
            s
        })
        .collect()
}

both_modes! {
    fn slow_clients_are_cut_off_and_a_normal_client_still_gets_through(mode) {
        let site = Site::new("slowloris");
        // Within a default `ulimit -n` of 1024 for this test process, other tests included;
        // the stress bench holds 5,000.
        let n = if mode == Mode::Thread { 400 } else { 200 };
        let server = TestServer::start(mode, &site.root(), &["--quiet", "--timeout", "2"]);
        let start = Instant::now();
        let mut slow = slow_clients(&server, n);
        // They trickle a byte now and then; the deadline is for the whole head.
        for round in 0..3 {
            for s in slow.iter_mut() {
                let _ = s.write_all(b"a");
            }
            if round == 0 {
                // Under that load a normal client is served (the default cap holds them).
                let resp = get(&server, "/hello.txt");
                assert_eq!((resp.status, resp.body.as_slice()), (200, &b"hello\n"[..]));
            }
            thread::sleep(Duration::from_millis(300));
        }
        #[cfg(target_os = "linux")] // counts threads in /proc
        if mode == Mode::Thread {
            let threads = proc_threads(server.pid());
            assert!(threads as usize <= n + 10, "{threads} threads for {n} connections");
        }
        // Every slow client is cut off at the head deadline with 408, then closed.
        for s in slow {
            let mut reader = BufReader::new(s);
            let resp = read_response(&mut reader, false);
            assert_eq!(resp.status, 408);
            assert!(is_closed(&mut reader));
        }
        assert!(start.elapsed() < Duration::from_secs(30));
        assert_eq!(get(&server, "/hello.txt").body, b"hello\n");
    }

    fn beyond_the_cap_slow_clients_are_turned_away_not_given_threads(mode) {
        let site = Site::new("cap-slow");
        // The head timeout must outlast the whole check on a loaded machine: a slow client
        // cut off at it frees its slot, and an extra client then gets 408, not 503.
        let server = TestServer::start(mode, &site.root(), &["--quiet", "--timeout", "20", "--max-connections", "50"]);
        // 80 slow clients for 50 slots: 30 are turned away at once with 503, whichever
        // they are (two threads accept, so slots do not go strictly in connect order).
        let clients = slow_clients(&server, 80);
        for s in &clients {
            s.set_nonblocking(true).unwrap();
        }
        let answered = || {
            clients
                .iter()
                .filter(|s| s.peek(&mut [0u8; 1]).is_ok_and(|n| n > 0))
                .count()
        };
        assert!(eventually(Duration::from_secs(10), || answered() >= 30), "{} answered", answered());
        thread::sleep(Duration::from_millis(300));
        assert_eq!(answered(), 30, "the other 50 hold their slots, unanswered");
        let (turned_away, slow): (Vec<_>, Vec<_>) =
            clients.into_iter().partition(|s| s.peek(&mut [0u8; 1]).is_ok_and(|n| n > 0));
        for s in turned_away {
            s.set_nonblocking(false).unwrap();
            let resp = read_response(&mut BufReader::new(s), false);
            assert_eq!(resp.status, 503);
        }
        #[cfg(target_os = "linux")] // counts threads and children in /proc
        if mode == Mode::Thread {
            let threads = proc_threads(server.pid());
            assert!(threads <= 60, "{threads} threads under a cap of 50");
        } else {
            let kids = server.children().len();
            assert!(kids <= 50, "{kids} children under a cap of 50");
        }
        drop(slow);
        assert!(eventually(Duration::from_secs(10), || get(&server, "/hello.txt").status == 200));
    }

    // `ulimit` and EMFILE: Unix only (Windows has no per-process descriptor limit to lower).
    #[cfg(unix)]
    fn descriptor_exhaustion_backs_off_and_recovers(mode) {
        let site = Site::new("emfile");
        // The documented wrapper: a shell lowers the descriptor limit, then execs servedir.
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "ulimit -n 64 && exec \"$0\" \"$@\"", binary()]);
        let server = TestServer::start_with(cmd, mode, &site.root(), &["--quiet", "--timeout", "30", "--keep-alive", "30"]);
        // Held connections that each completed a request: in thread mode each holds a
        // descriptor, so the limit is reached and accept() fails with EMFILE.
        let mut held = Vec::new();
        for _ in 0..100 {
            let mut s = TcpStream::connect(server.addr).unwrap();
            s.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
            s.write_all(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
            held.push(s);
        }
        thread::sleep(Duration::from_millis(300));
        #[cfg(target_os = "linux")] // reads the CPU time from /proc
        {
            let before = proc_cpu_ticks(server.pid());
            thread::sleep(Duration::from_secs(1));
            let used = proc_cpu_ticks(server.pid()) - before;
            // Spinning on EMFILE would burn ~100 ticks a second; backing off uses almost none.
            assert!(used < 40, "the accept loop used {used} ticks in one second");
        }
        if mode == Mode::Thread {
            assert!(server.stderr().contains("Too many open files"), "{}", server.stderr());
        }
        drop(held);
        // Once the load is gone, normal service again.
        assert!(eventually(Duration::from_secs(15), || {
            let Ok(mut s) = TcpStream::connect(server.addr) else { return false };
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = s.write_all(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
            let mut all = Vec::new();
            let _ = s.read_to_end(&mut all);
            all.ends_with(b"\r\n\r\nhello\n")
        }));
    }

    // Counts threads, descriptors and children in /proc.
    #[cfg(target_os = "linux")]
    fn vanishing_clients_leave_no_thread_fd_or_child_behind(mode) {
        let site = Site::new("vanish");
        site.add_big("big.bin", 8 * 1024 * 1024);
        let server = TestServer::start(mode, &site.root(), &["--quiet"]);
        assert_eq!(get(&server, "/hello.txt").status, 200);
        let settle = |server: &TestServer| {
            eventually(Duration::from_secs(5), || server.children().is_empty());
            thread::sleep(Duration::from_millis(200));
            (proc_threads(server.pid()), proc_fds(server.pid()))
        };
        let baseline = settle(&server);
        for i in 0..1000 {
            let mut s = server.connect();
            match i % 3 {
                0 => {
                    let _ = s.write_all(b"GET /hello.txt HTTP/1.1\r\nHo");
                }
                1 => {
                    s.write_all(b"GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
                    let mut part = vec![0u8; 64 * 1024];
                    s.read_exact(&mut part).unwrap();
                }
                _ => {
                    s.write_all(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\nGET /big.bin HTTP/1.1\r\nHost: t\r\n\r\nGET /hel").unwrap();
                    let mut first = [0u8; 64];
                    s.read_exact(&mut first).unwrap();
                }
            }
            drop(s);
        }
        // Threads that finished a connection wait up to 5 s for another, then exit: the
        // count comes back to at most the baseline (which may hold one such thread).
        let mut now = baseline;
        let back = eventually(Duration::from_secs(20), || {
            now = settle(&server);
            now.0 <= baseline.0 && now.1 == baseline.1 && server.children().is_empty()
        });
        assert!(back, "threads/fds {now:?}, baseline {baseline:?}, children {:?}", server.children());
        assert!(server.zombies().is_empty());
        assert_eq!(get(&server, "/hello.txt").body, b"hello\n");
    }

    fn a_file_truncated_mid_transfer_closes_the_connection(mode) {
        let site = Site::new("truncate");
        site.add_big("big.bin", 64 * 1024 * 1024);
        let server = TestServer::start(mode, &site.root(), &["--quiet"]);
        let mut s = server.connect();
        s.write_all(b"GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
        let mut first = vec![0u8; 1024 * 1024];
        s.read_exact(&mut first).unwrap();
        OpenOptions::new().write(true).open(site.root().join("big.bin")).unwrap().set_len(0).unwrap();
        let mut rest = Vec::new();
        match s.read_to_end(&mut rest) {
            Ok(_) => {}
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
        }
        // The announced 64 MiB never all arrive, and the connection ended instead of
        // carrying on with a wrong length.
        assert!(first.len() + rest.len() < 64 * 1024 * 1024 + 200);
        let resp = get(&server, "/big.bin");
        assert_eq!((resp.status, resp.body.len()), (200, 0));
    }

    fn a_file_replaced_or_deleted_mid_transfer_is_sent_whole(mode) {
        let site = Site::new("replace");
        let old = site.add_big("big.bin", 16 * 1024 * 1024);
        let server = TestServer::start(mode, &site.root(), &["--quiet"]);
        for action in ["replace", "delete"] {
            let mut reader = BufReader::new(server.connect());
            reader.get_mut().write_all(b"GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
            let mut peek = [0u8; 1];
            reader.get_mut().peek(&mut peek).unwrap();
            let path = site.root().join("big.bin");
            let mut replaced = true;
            if action == "replace" {
                fs::write(site.root().join("new.tmp"), b"new\n").unwrap();
                match fs::rename(site.root().join("new.tmp"), &path) {
                    Ok(()) => {}
                    // Windows without POSIX rename semantics (Wine; FAT) keeps a file open
                    // for reading from being replaced: then it is replaced once sent.
                    Err(e) if cfg!(windows) && e.kind() == std::io::ErrorKind::PermissionDenied => replaced = false,
                    Err(e) => panic!("rename: {e}"),
                }
            } else {
                fs::remove_file(&path).unwrap();
            }
            // The open file is what is sent: whole and exact, and the connection goes on.
            let resp = read_response(&mut reader, false);
            assert!(resp.body == old, "{action}: body differs");
            if !replaced {
                // servedir closed the file with its response: nothing holds it any more.
                assert!(eventually(Duration::from_secs(5), || fs::rename(site.root().join("new.tmp"), &path).is_ok()));
            }
            reader.get_mut().write_all(b"GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
            let next = read_response(&mut reader, false);
            if action == "replace" {
                assert_eq!(next.body, b"new\n");
                fs::write(&path, &old).unwrap();
            } else {
                assert_eq!(next.status, 404);
            }
        }
    }

    // Reads resident memory from /proc.
    #[cfg(target_os = "linux")]
    fn large_downloads_are_streamed_not_buffered(mode) {
        let site = Site::new("sparse");
        // A sparse 1 GiB file: no disk cost, all zeros.
        let file = fs::File::create(site.root().join("huge.bin")).unwrap();
        file.set_len(1 << 30).unwrap();
        let server = TestServer::start(mode, &site.root(), &["--quiet"]);
        assert_eq!(get(&server, "/hello.txt").status, 200);
        let before = proc_rss_kib(server.pid());
        let mut clients = Vec::new();
        for _ in 0..20 {
            let mut s = server.connect();
            s.write_all(b"GET /huge.bin HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
            let mut part = vec![0u8; 4 * 1024 * 1024];
            s.read_exact(&mut part).unwrap();
            clients.push(s);
        }
        thread::sleep(Duration::from_millis(200));
        // Thread mode: one process holds all 20; process mode: each child holds one.
        let rss: Vec<u64> = if mode == Mode::Thread {
            vec![proc_rss_kib(server.pid()).saturating_sub(before)]
        } else {
            server.children().into_iter().map(proc_rss_kib).collect()
        };
        for kib in &rss {
            assert!(*kib < 64 * 1024, "{kib} KiB resident while sending 20 × 1 GiB: {rss:?}");
        }
        drop(clients);
    }
}

both_modes! {
    fn a_download_cut_short_is_logged_with_the_bytes_really_sent(mode) {
        let site = Site::new("cut-log");
        site.add_big("big.bin", 64 * 1024 * 1024);
        let server = TestServer::start(mode, &site.root(), &["--write-timeout", "0.5"]);
        let mut s = server.connect();
        s.write_all(b"GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
        let mut first = vec![0u8; 1024 * 1024];
        s.read_exact(&mut first).unwrap();
        // Stop reading: the server's write stalls, times out, and it gives up.
        let log = server.wait_log_lines(1);
        let bytes: u64 = log
            .split("\" 200 ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{log}"));
        assert!(bytes > 0 && bytes < 64 * 1024 * 1024, "logged {bytes} bytes: {log}");
        drop(s);
    }
}

both_modes! {
    /// Issue 12 item 4: with stdout on a pipe nobody read, 264 requests were answered,
    /// then every connection blocked writing its log line, kept its slot, and the rest
    /// got 503. Lines that do not fit are now dropped, counted and reported on stderr.
    fn an_unread_stdout_never_stalls_service(mode) {
        let site = Site::new("unread-stdout");
        let mut server = TestServer::start_stdout_unread(mode, &site.root(), &[]);
        let started = Instant::now();
        // ~1.1 KB log lines: 2,000 of them overflow the 64 KiB pipe and the server's
        // 1 MiB queue (in process mode each child's 500 overflow the pipe; the child's
        // queue is dropped when it exits).
        let agent = "a".repeat(1000);
        let request =
            format!("GET /hello.txt HTTP/1.1\r\nHost: t\r\nUser-Agent: {agent}\r\n\r\n");
        for _ in 0..4 {
            let stream = server.connect();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut writer = stream;
            for _ in 0..500 {
                writer.write_all(request.as_bytes()).unwrap();
                let r = read_response(&mut reader, false);
                assert_eq!((r.status, r.body.as_slice()), (200, &b"hello\n"[..]));
            }
        }
        for _ in 0..20 {
            assert_eq!(get(&server, "/hello.txt").status, 200);
        }
        // Process mode: a child that cannot write its log still exits.
        assert!(
            eventually(Duration::from_secs(10), || server.children().is_empty()),
            "children left: {:?}",
            server.children()
        );
        server.read_stdout_now();
        if mode == Mode::Process {
            // A child cannot hand its count back, only that it dropped lines: the parent
            // reports that, at most once a second for all children (before, each child
            // reported its own, a stderr line per connection).
            let reports = || {
                server
                    .stderr()
                    .lines()
                    .filter(|l| l.contains("dropped: stdout is not being read"))
                    .count()
            };
            assert!(eventually(Duration::from_secs(5), || reports() > 0), "{}", server.stderr());
            assert!(reports() <= 2 + started.elapsed().as_secs() as usize, "{}", server.stderr());
            assert!(server.stdout().lines().count() < 2020);
            let log = server.stdout();
            assert!(log.lines().all(|l| l.ends_with(&format!("\"{agent}\"")) || l.ends_with("\"-\"")), "{log}");
            return;
        }
        // Every line is either written whole, in order per connection, or counted as
        // dropped on stderr (at most once a second, so the last count may take a second).
        let dropped = |stderr: &str| -> usize {
            stderr
                .lines()
                .filter_map(|l| l.strip_prefix("servedir: "))
                .filter(|l| l.contains(" dropped: stdout is not being read"))
                .map(|l| l.split(' ').next().unwrap().parse::<usize>().unwrap())
                .sum()
        };
        let accounted = || server.stdout().lines().count() + dropped(&server.stderr());
        assert!(
            eventually(Duration::from_secs(10), || accounted() == 2020),
            "{} lines written, {} dropped; stderr: {}",
            server.stdout().lines().count(),
            dropped(&server.stderr()),
            server.stderr()
        );
        assert!(dropped(&server.stderr()) > 0);
        let log = server.stdout();
        assert!(log.lines().all(|l| l.ends_with(&format!("\"{agent}\"")) || l.ends_with("\"-\"")), "{log}");
    }
}

/// Found in review: with stdout stalled, each process-mode child waited 0.6 s for its log
/// lines while holding its slot, so a modest request rate filled the cap and everyone got
/// 503. A writer that writes nothing is now given up on within 50 ms.
// Process mode: Unix only.
#[cfg(unix)]
#[test]
fn a_stalled_stdout_does_not_hold_process_mode_slots() {
    let site = Site::new("stalled-slots");
    let mut server =
        TestServer::start_stdout_unread(Mode::Process, &site.root(), &["--max-connections", "6"]);
    // Fill the pipe first, so every child finds stdout stalled.
    let agent = "a".repeat(1000);
    let fill = format!("GET /hello.txt HTTP/1.1\r\nHost: t\r\nUser-Agent: {agent}\r\n\r\n");
    let stream = server.connect();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    for _ in 0..200 {
        writer.write_all(fill.as_bytes()).unwrap();
        assert_eq!(read_response(&mut reader, false).status, 200);
    }
    drop((reader, writer));
    // One request every ~25 ms: a child lives a few ms plus its log wait plus up to 10 ms
    // until it is reaped. At 0.6 s each, 24 children would need a slot at once; at 50 ms,
    // about 4 of the 6.
    let statuses: Vec<u16> = (0..40)
        .map(|_| {
            thread::sleep(Duration::from_millis(20));
            get(&server, "/hello.txt").status
        })
        .collect();
    let refused = statuses.iter().filter(|&&s| s == 503).count();
    assert!(
        statuses.iter().all(|&s| s == 200 || s == 503),
        "{statuses:?}"
    );
    assert!(refused <= 2, "{refused} of 40 refused: {statuses:?}");
    server.read_stdout_now();
}

both_modes! {
    /// Found in review: the rate counted what the kernel's socket buffers took (~4 MB on
    /// loopback), not what the client received, so a slow reader bought minutes of credit
    /// at once (an hour at the default 1 KiB/s). Past the grace, bytes its kernel has not
    /// acknowledged earn nothing.
    // Linux only: elsewhere the unacknowledged bytes cannot be read (no /proc/net/tcp) and
    // buffered bytes count as sent, as the README says.
    #[cfg(target_os = "linux")]
    fn socket_buffers_earn_a_slow_reader_no_credit(mode) {
        let site = Site::new("buffered-credit");
        let size = 32 << 20;
        site.add_big("big.bin", size);
        // 200 KB/s after 1 s. The client reads 80 KB/s: with ~4 MB of buffers credited it
        // would last ~35 s; counting only what it received, ~2 s.
        let server = TestServer::start(mode, &site.root(), &["--min-rate", "200000", "--min-rate-grace", "1"]);
        let mut client = server.connect();
        client.write_all(b"GET /big.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").unwrap();
        let start = Instant::now();
        let mut chunk = [0u8; 4096];
        let mut got = 0;
        while start.elapsed() < Duration::from_secs(15) {
            match client.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) => panic!("read: {e}"),
            }
            // Reading nothing while the server has logged the cut: take the rest at once.
            if server.stdout().lines().count() >= 1 {
                let mut rest = Vec::new();
                client.read_to_end(&mut rest).unwrap();
                got += rest.len();
                break;
            }
            thread::sleep(Duration::from_millis(50));
        }
        assert!(server.stdout().lines().count() >= 1, "still sending after {:?} ({got} bytes read)", start.elapsed());
        assert!(got < size, "the slow reader got all {got} bytes");
        // In process mode the parent passes on the child's stderr once it has reaped it,
        // which may be after the client saw the end (a child writing its own log lines,
        // issue 17, made that race lost now and then).
        assert!(
            eventually(Duration::from_secs(5), || server
                .stderr()
                .contains("the client read below --min-rate (200000 bytes/s")),
            "{}",
            server.stderr()
        );
    }

    /// Issue 12 item 5: the write timeout is per write, so a client reading a little now
    /// and then held a thread (or a process) for days. Below `--min-rate` it is cut off;
    /// a client reading at full speed gets every byte.
    fn a_client_reading_below_the_minimum_rate_is_cut_off(mode) {
        let site = Site::new("min-rate");
        let data = site.add_big("big.bin", 16 << 20);
        // 1 MB/s after a 1 s grace; the slow client below reads at most 100 KB/s, which
        // the default write timeout (30 s per write) alone would let go on for ever.
        let server = TestServer::start(
            mode,
            &site.root(),
            &["--min-rate", "1000000", "--min-rate-grace", "1"],
        );
        let request = b"GET /big.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";

        let mut fast = server.connect();
        fast.write_all(request).unwrap();
        let r = read_response(&mut BufReader::new(fast), false);
        assert_eq!(r.status, 200);
        assert!(r.body == data, "the fast client got {} bytes", r.body.len());

        let mut slow = server.connect();
        slow.write_all(request).unwrap();
        let start = Instant::now();
        let mut got = 0;
        let mut chunk = [0u8; 1024];
        // 1 KiB every 10 ms until the server logs the response as over (it gives up
        // after ~1 s plus what the socket buffers took at once, a few MB at 1 MB/s).
        while server.stdout().lines().count() < 2 && start.elapsed() < Duration::from_secs(25) {
            match slow.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) => panic!("slow read: {e}"),
            }
            thread::sleep(Duration::from_millis(10));
        }
        // Whatever is still buffered arrives at full speed, then the server's end.
        let mut rest = Vec::new();
        slow.read_to_end(&mut rest).unwrap();
        got += rest.len();
        assert!(got < data.len(), "the slow client got all {got} bytes");
        assert!(start.elapsed() < Duration::from_secs(30));
        // The log records what was really sent, not the file's length.
        let log = server.wait_log_lines(2);
        let last = log.lines().nth(1).unwrap();
        let sent: usize = last.split(' ').nth(9).unwrap().parse().unwrap();
        assert!(last.contains("\"GET /big.bin HTTP/1.1\" 200 "), "{last}");
        assert!(sent < data.len(), "{last}");
        // And stderr says why, so the cut is not a mystery (found by a new user).
        assert!(
            eventually(Duration::from_secs(5), || server.stderr().contains(&format!(
                ": response cut off after {sent} body bytes: the client read below --min-rate (1000000 bytes/s"
            ))),
            "{}",
            server.stderr()
        );
        // The server is fine afterwards.
        assert_eq!(get(&server, "/hello.txt").status, 200);
    }
}
