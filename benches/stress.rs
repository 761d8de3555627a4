//! `cargo bench --bench stress`: the hardening scenarios at scale, loopback only, bounded.
//!
//! 1. Slow clients: thousands of connections trickle a request head, one byte a second,
//!    while a normal client measures its latency.
//! 2. Aborted downloads: thousands of clients request a large file and vanish.
//!
//! Prints what the server held: connections, normal-client p50/p99, peak threads, peak
//! RSS (PSS of the process tree in process mode), errors, and whether threads,
//! descriptors and children returned to idle. `-- --quick` or SERVEDIR_BENCH_QUICK=1
//! runs a tenth of the load.

mod common;

use std::io::{BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::*;

struct Peak {
    stop: Arc<AtomicBool>,
    threads: Arc<AtomicU64>,
    mem_kib: Arc<AtomicU64>,
    sampler: Option<thread::JoinHandle<()>>,
}

impl Peak {
    /// Samples the server's threads and memory every 100 ms until finished.
    fn watch(pid: u32, tree: bool) -> Peak {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = Arc::new(AtomicU64::new(0));
        let mem_kib = Arc::new(AtomicU64::new(0));
        let (s, t, m) = (
            Arc::clone(&stop),
            Arc::clone(&threads),
            Arc::clone(&mem_kib),
        );
        let sampler = thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                t.fetch_max(common::threads(pid), Ordering::Relaxed);
                let mem = if tree {
                    pss_tree_kib(pid)
                } else {
                    rss_kib(pid)
                };
                m.fetch_max(mem, Ordering::Relaxed);
                thread::sleep(Duration::from_millis(100));
            }
        });
        Peak {
            stop,
            threads,
            mem_kib,
            sampler: Some(sampler),
        }
    }

    fn finish(mut self) -> (u64, u64) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(s) = self.sampler.take() {
            let _ = s.join();
        }
        (
            self.threads.load(Ordering::Relaxed),
            self.mem_kib.load(Ordering::Relaxed),
        )
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick")
        || std::env::var_os("SERVEDIR_BENCH_QUICK").is_some();
    let scale = if quick { 10 } else { 1 };
    let root = docroot();
    println!(
        "servedir stress bench{}",
        if quick {
            " (quick: a tenth of the load)"
        } else {
            ""
        }
    );
    println!(
        "{:<8} {:<22} {:>8} {:>10} {:>10} {:>8} {:>10} {:>12} {:>7}  after",
        "mode",
        "scenario",
        "load",
        "normal p50",
        "normal p99",
        "normal n",
        "peak thr",
        "peak mem",
        "errors"
    );
    for (mode, slow, aborted) in [
        ("thread", 5000 / scale, 10_000 / scale),
        ("process", 1000 / scale, 2000 / scale),
    ] {
        // 1,000 slow clients: above process mode's default cap of 256.
        let server = start_servedir(mode, &root.0, &["--max-connections", "20000"]);
        slow_clients(&server, mode, slow);
        aborted_downloads(&server, mode, aborted);
    }
    println!("\nload: connections held (slow) or made (aborted). mem: RSS in thread mode, PSS of the process tree in process mode.");
    println!(
        "after: the server's threads/fds (and children) once the clients are gone, against idle."
    );
}

fn idle_state(server: &Running) -> (u64, u64, usize) {
    thread::sleep(Duration::from_millis(300));
    (
        threads(server.pid()),
        fds(server.pid()),
        descendants(server.pid()).len(),
    )
}

fn settle(server: &Running, idle: (u64, u64, usize)) -> String {
    let start = Instant::now();
    // Threads may come back below idle: finished connection threads linger up to 5 s.
    let back = |now: (u64, u64, usize)| now.0 <= idle.0 && now.1 == idle.1 && now.2 == idle.2;
    let mut now = idle_state(server);
    while !back(now) && start.elapsed() < Duration::from_secs(30) {
        now = idle_state(server);
    }
    if back(now) {
        format!("back to idle in {:.1}s", start.elapsed().as_secs_f64())
    } else {
        format!("NOT back: threads/fds/children {now:?}, idle {idle:?}")
    }
}

/// Scenario 1: `n` connections trickle a head, one byte a second each, past the default
/// 10 s head deadline, while a normal client keeps requesting; then every slow client
/// must have been answered 408.
fn slow_clients(server: &Running, mode: &str, n: usize) {
    let idle = idle_state(server);
    let peak = Peak::watch(server.pid(), mode == "process");
    let mut errors = 0u64;
    let mut held: Vec<TcpStream> = Vec::with_capacity(n);
    let opening = Instant::now();
    for _ in 0..n {
        match connect(server.addr).and_then(|mut s| {
            s.write_all(b"GET / HTTP/1.1\r\nHost: b\r\nX-Slow: ")
                .map(|_| s)
        }) {
            Ok(s) => held.push(s),
            Err(_) => errors += 1,
        }
    }
    let opened_in = opening.elapsed();
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = Arc::clone(&stop);
    let addr = server.addr;
    let normal = thread::spawn(move || {
        let mut lat = Vec::new();
        let mut errs = 0u64;
        let mut sink = vec![0u8; 64 * 1024];
        while !stop2.load(Ordering::Relaxed) {
            let t = Instant::now();
            let ok = connect(addr).and_then(|s| {
                exchange(
                    &mut BufReader::new(s),
                    b"GET /index.html HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n",
                    &mut sink,
                )
            });
            match ok {
                Ok(_) => lat.push(t.elapsed().as_micros() as u32),
                Err(_) => errs += 1,
            }
            thread::sleep(Duration::from_millis(10));
        }
        (lat, errs)
    });
    // Trickle until the deadline has passed for every connection (10 s after the last
    // one opened, plus a margin); a write to a connection already cut off just fails.
    let trickle_until = Instant::now() + Duration::from_secs(11);
    while Instant::now() < trickle_until {
        let round = Instant::now();
        for s in held.iter_mut() {
            let _ = s.write_all(b"a");
        }
        thread::sleep(Duration::from_secs(1).saturating_sub(round.elapsed()));
    }
    stop.store(true, Ordering::Relaxed);
    let (mut lat, normal_errors) = normal.join().expect("normal client");
    let count = held.len();
    let mut cut_off = 0;
    for s in held {
        let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
        let mut reply = Vec::new();
        let _ = BufReader::new(s).take(4096).read_to_end(&mut reply);
        if reply.starts_with(b"HTTP/1.1 408 ") {
            cut_off += 1;
        } else {
            errors += 1;
        }
    }
    let (peak_threads, peak_mem) = peak.finish();
    lat.sort_unstable();
    println!(
        "{:<8} {:<22} {:>8} {:>10} {:>10} {:>8} {:>10} {:>10}Ki {:>7}  {}; {cut_off} cut off with 408; opened in {:.1}s",
        mode,
        "slow heads (1 B/s)",
        count,
        fmt_us(percentile(&lat, 0.5)),
        fmt_us(percentile(&lat, 0.99)),
        lat.len(),
        peak_threads,
        peak_mem,
        errors + normal_errors,
        settle(server, idle),
        opened_in.as_secs_f64()
    );
}

/// Scenario 2: `n` clients request the 64 MiB file, read 16 KiB, and vanish.
fn aborted_downloads(server: &Running, mode: &str, n: usize) {
    let idle = idle_state(server);
    let peak = Peak::watch(server.pid(), mode == "process");
    let errors = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let errors = Arc::clone(&errors);
            let addr = server.addr;
            thread::spawn(move || {
                let mut part = [0u8; 16 * 1024];
                for _ in 0..n / 4 {
                    let ok = connect(addr).and_then(|mut s| {
                        s.write_all(b"GET /64m.bin HTTP/1.1\r\nHost: b\r\n\r\n")?;
                        s.read_exact(&mut part)
                    });
                    if ok.is_err() {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    let start = Instant::now();
    for w in workers {
        let _ = w.join();
    }
    let secs = start.elapsed().as_secs_f64();
    let (peak_threads, peak_mem) = peak.finish();
    println!(
        "{:<8} {:<22} {:>8} {:>10} {:>10} {:>8} {:>10} {:>10}Ki {:>7}  {}",
        mode,
        "aborted 64 MiB GETs",
        n,
        format!("{:.0}/s", n as f64 / secs),
        "-",
        "-",
        peak_threads,
        peak_mem,
        errors.load(Ordering::Relaxed),
        settle(server, idle)
    );
}
