//! Heap allocations per request on the hot path, counted.
//!
//! THE ONLY `unsafe` IN SERVEDIR. This test binary installs a counting global allocator
//! (`unsafe impl GlobalAlloc`, delegating every call to `std::alloc::System`); it is a
//! crate of its own so that the library and the binary stay `#![forbid(unsafe_code)]`.
//!
//! The server runs in-process (thread mode, through the library) and is driven over a
//! real loopback socket by a client that itself never allocates (fixed buffers, one
//! request written from a constant). Every allocation in the process while the requests
//! are served is counted, whichever thread makes it, so the numbers are an upper bound
//! on the server's own.
//!
//! Printed: allocations per request for each request shape (run with `--nocapture` to
//! see them). Asserted: the hot path (a keep-alive GET of a cached small file, and a 304
//! for it, with a browser's fields; a 20 KiB file too) allocates nothing per request,
//! and a new connection allocates once; on Windows std adds one per filesystem lookup
//! (`std_path_allocations`). A small slack (one allocation per [`SLACK_PER`] requests)
//! allows for the server's once-a-second work that may fall inside the window (the file
//! cache reads a copy again after a second: a few allocations each time). A new
//! connection is allowed 1.5: now and then the next connection arrives before the last
//! one's thread is back among the idle ones, and a thread is started for it.
//!
//! Counted: `alloc`, `alloc_zeroed` and `realloc` (a growth is an allocation too).
//! `SERVEDIR_ALLOC_TRACE=1` prints where the counted allocations come from. The
//! access-log case prints its log lines too: `cargo test --test allocations --
//! --nocapture 2>&1 | grep allocations` shows the results alone.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use servedir::{Config, Server};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the
// counter is an atomic add and touches no memory the allocator hands out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        trace::note();
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        trace::note();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        trace::note();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// `SERVEDIR_ALLOC_TRACE=1`: prints where the counted allocations come from (each
/// distinct backtrace once, with its count), to find what to remove.
mod trace {
    use std::cell::Cell;
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Mutex;

    pub static ON: AtomicBool = AtomicBool::new(false);
    static SEEN: Mutex<Option<HashMap<String, u64>>> = Mutex::new(None);
    thread_local!(static INSIDE: Cell<bool> = const { Cell::new(false) });

    pub fn note() {
        if !ON.load(Ordering::Relaxed) || INSIDE.with(|i| i.replace(true)) {
            return;
        }
        let bt = std::backtrace::Backtrace::force_capture().to_string();
        if let Ok(mut seen) = SEEN.lock() {
            *seen.get_or_insert_with(HashMap::new).entry(bt).or_default() += 1;
        }
        INSIDE.with(|i| i.set(false));
    }

    pub fn start() {
        ON.store(
            std::env::var_os("SERVEDIR_ALLOC_TRACE").is_some(),
            Ordering::SeqCst,
        );
    }

    pub fn finish() {
        ON.store(false, Ordering::SeqCst);
        let Some(seen) = SEEN.lock().unwrap().take() else {
            return;
        };
        for (bt, n) in seen {
            // Each frame is a symbol line, then "at FILE:LINE": keep servedir's own.
            let lines: Vec<&str> = bt.lines().map(str::trim).collect();
            let frames: Vec<String> = lines
                .windows(2)
                .filter(|w| {
                    // This crate's src/, however the path is spelt (relative, absolute,
                    // Windows separators); not the toolchain's library sources.
                    let at = w[1].replace('\\', "/");
                    at.contains("/src/") && !at.contains("/rustc/") && !at.contains("/.cargo/")
                })
                .map(|w| format!("  {} {}", w[1], w[0]))
                .take(5)
                .collect();
            println!("--- {n} allocations from:\n{}", frames.join("\n"));
        }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Requests counted per shape (after a warm-up of the same size).
const N: u64 = 2000;
/// At most one allocation per this many requests is tolerated on the hot path.
const SLACK_PER: u64 = 50;

const BODY: &[u8] = &[b'x'; 1024];
/// A larger file: bigger than a connection keeps its response buffer between requests.
static STYLE: [u8; 20 * 1024] = [b'y'; 20 * 1024];

struct Site {
    root: PathBuf,
}

impl Site {
    /// A root with a 1 KiB page, a 1 KiB script with a `.br` sidecar and a 20 KiB
    /// stylesheet, left alone long enough for the file cache to keep them
    /// (it keeps only files unchanged for a second: their change time, which no one can
    /// set back, must be that old).
    fn new(tag: &str) -> Site {
        let root =
            std::env::temp_dir().join(format!("servedir-alloc-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        // A page, and a script with a precompressed sidecar (as old as the script).
        let old = SystemTime::now() - Duration::from_secs(3600);
        for name in ["index.html", "app.js", "app.js.br", "style.css"] {
            let file = root.join(name);
            let bytes = if name == "style.css" {
                &STYLE[..]
            } else {
                BODY
            };
            std::fs::write(&file, bytes).unwrap();
            std::fs::File::options()
                .write(true)
                .open(&file)
                .unwrap()
                .set_modified(old)
                .unwrap();
        }
        std::thread::sleep(Duration::from_millis(1100));
        Site { root }
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// Sends `request` and reads one response into `buf` without allocating; returns the
/// status and the body's length.
fn exchange(s: &mut TcpStream, request: &[u8], buf: &mut [u8]) -> (usize, usize) {
    s.write_all(request).unwrap();
    let mut have = 0;
    loop {
        let n = s.read(&mut buf[have..]).unwrap();
        assert!(n > 0, "server closed the connection");
        have += n;
        if let Some(end) = buf[..have].windows(4).position(|w| w == b"\r\n\r\n") {
            let head = &buf[..end];
            let status = parse_num(&head[9..12]);
            let length = head
                .split(|&b| b == b'\n')
                .find_map(|line| {
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    let colon = line.iter().position(|&b| b == b':')?;
                    line[..colon]
                        .eq_ignore_ascii_case(b"content-length")
                        .then(|| parse_num(line[colon + 1..].trim_ascii()))
                })
                .unwrap_or(0);
            let bodyless = status == 304 || request.starts_with(b"HEAD");
            let want = end + 4 + if bodyless { 0 } else { length };
            while have < want {
                let n = s.read(&mut buf[have..want]).unwrap();
                assert!(n > 0, "server closed mid-body");
                have += n;
            }
            assert_eq!(have, want, "more bytes than one response");
            return (status, if bodyless { 0 } else { length });
        }
    }
}

fn parse_num(digits: &[u8]) -> usize {
    digits
        .iter()
        .fold(0, |n, &d| n * 10 + usize::from(d.wrapping_sub(b'0')))
}

/// The tests run one at a time: the counter counts every thread of the process.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Serves `N` warm-up and then `N` counted requests of one shape on one keep-alive
/// connection; returns allocations per counted request.
fn per_request(config: Config, request: &[u8], want_status: usize, want_len: usize) -> f64 {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let server = Server::bind(config).unwrap();
    let handle = server.spawn().unwrap();
    let mut s = TcpStream::connect(handle.local_addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    for _ in 0..N {
        assert_eq!(exchange(&mut s, request, &mut buf), (want_status, want_len));
    }
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    trace::start();
    for _ in 0..N {
        let got = exchange(&mut s, request, &mut buf);
        if got != (want_status, want_len) {
            panic!("got {got:?}, want {:?}", (want_status, want_len));
        }
    }
    let counted = ALLOCATIONS.load(Ordering::SeqCst) - before;
    trace::finish();
    drop(s);
    handle.shutdown().unwrap();
    counted as f64 / N as f64
}

fn config(site: &Site) -> Config {
    Config {
        root: site.root.clone(),
        port: 0,
        ..Config::default()
    }
}

fn etag(site: &Site) -> String {
    let server = Server::bind(config(site)).unwrap();
    let handle = server.spawn().unwrap();
    let mut s = TcpStream::connect(handle.local_addr()).unwrap();
    let mut buf = vec![0u8; 8192];
    s.write_all(b"HEAD /index.html HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut have = 0;
    while let Ok(n @ 1..) = s.read(&mut buf[have..]) {
        have += n;
    }
    let head = String::from_utf8_lossy(&buf[..have]).into_owned();
    handle.shutdown().unwrap();
    head.lines()
        .find_map(|l| {
            l.strip_prefix("ETag: ")
                .or_else(|| l.strip_prefix("etag: "))
        })
        .expect("an ETag")
        .to_string()
}

/// The allocations std itself makes for `lookups` filesystem calls: none on Unix (a
/// path goes to the OS through a buffer on the stack); one each on Windows, where std
/// converts every path to UTF-16 on the heap and offers no call that takes one already
/// converted (measured under Wine: exactly one per lookup).
fn std_path_allocations(lookups: u32) -> f64 {
    if cfg!(windows) {
        f64::from(lookups)
    } else {
        0.0
    }
}

/// Serves one request shape (as [`per_request`]), prints its allocations per request
/// and asserts there are none beyond the slack and what std makes for the `lookups`
/// filesystem calls the request needs.
fn allocation_free(
    what: &str,
    config: Config,
    request: &[u8],
    (status, len): (usize, usize),
    lookups: u32,
) {
    let per = per_request(config, request, status, len);
    report(what, per);
    let allowed = std_path_allocations(lookups) + 1.0 / SLACK_PER as f64;
    assert!(per <= allowed, "{what}: {per} allocations per request");
}

fn report(what: &str, per: f64) {
    println!("allocations per request, {what}: {per:.3}");
}

/// What a browser sends for a page, give or take (the fields servedir reads are here).
const BROWSER: &str = "Host: localhost:8000\r\n\
    User-Agent: Mozilla/5.0 (X11; Linux x86_64) alloc-test\r\n\
    Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n\
    Accept-Encoding: gzip, deflate, br, zstd\r\nAccept-Language: en-US,en;q=0.9\r\n\
    Sec-Fetch-Dest: document\r\nSec-Fetch-Mode: navigate\r\nSec-Fetch-Site: none\r\n\
    Upgrade-Insecure-Requests: 1\r\nCache-Control: max-age=0\r\n";

#[test]
fn a_cached_small_file_is_served_without_allocating() {
    let site = Site::new("get");
    let request = format!("GET /index.html HTTP/1.1\r\n{BROWSER}\r\n");
    let request = request.as_bytes();
    allocation_free(
        "keep-alive GET, cached 1 KiB file",
        config(&site),
        request,
        (200, BODY.len()),
        // The file, then the .br and .gz sidecars looked for (they are not there).
        3,
    );
}

#[test]
fn a_cached_20_kib_file_is_served_without_allocating() {
    let site = Site::new("css");
    let request = format!("GET /style.css HTTP/1.1\r\n{BROWSER}\r\n");
    allocation_free(
        "keep-alive GET, cached 20 KiB file",
        config(&site),
        request.as_bytes(),
        (200, STYLE.len()),
        3,
    );
}

#[test]
fn a_304_is_answered_without_allocating() {
    let site = Site::new("304");
    let tag = etag(&site);
    let request = format!("GET /index.html HTTP/1.1\r\n{BROWSER}If-None-Match: {tag}\r\n\r\n");
    allocation_free(
        "keep-alive GET answered 304",
        config(&site),
        request.as_bytes(),
        (304, 0),
        3,
    );
}

#[test]
fn a_precompressed_sidecar_is_served_without_allocating() {
    let site = Site::new("br");
    let request = format!("GET /app.js HTTP/1.1\r\n{BROWSER}\r\n");
    allocation_free(
        "keep-alive GET answered from a cached .br sidecar",
        config(&site),
        request.as_bytes(),
        (200, BODY.len()),
        // The file, then its .br sidecar (found: .gz is not looked for).
        2,
    );
}

#[test]
fn the_access_log_costs_no_allocation_per_request() {
    let site = Site::new("log");
    let request =
        format!("GET /index.html HTTP/1.1\r\n{BROWSER}Referer: http://localhost/\r\n\r\n");
    let request = request.as_bytes();
    allocation_free(
        "keep-alive GET with the access log on",
        Config {
            access_log: true,
            ..config(&site)
        },
        request,
        (200, BODY.len()),
        3,
    );
}

/// A new connection costs one allocation: the shared handle shutdown ends it by (the
/// registry of open connections); its thread, reused, keeps its buffers from the last
/// (plus, now and then, a thread start, and on Windows std's path conversions).
#[test]
fn a_new_connection_allocates_once() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let site = Site::new("conn");
    let server = Server::bind(config(&site)).unwrap();
    let handle = server.spawn().unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let request = format!("GET /index.html HTTP/1.1\r\n{BROWSER}Connection: close\r\n\r\n");
    let mut one = || {
        let mut s = TcpStream::connect(handle.local_addr()).unwrap();
        assert_eq!(
            exchange(&mut s, request.as_bytes(), &mut buf),
            (200, BODY.len())
        );
    };
    for _ in 0..200 {
        one();
    }
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    trace::start();
    for _ in 0..200 {
        one();
    }
    let counted = ALLOCATIONS.load(Ordering::SeqCst) - before;
    trace::finish();
    let per = counted as f64 / 200.0;
    report("a new connection per request (thread mode)", per);
    // Now and then the next connection arrives before the last one's thread is back
    // among the idle ones, and a thread is started for it (a few dozen allocations).
    assert!(
        per <= 1.5 + std_path_allocations(3),
        "{per} allocations per connection"
    );
    handle.shutdown().unwrap();
}
