//! `cargo bench --bench live`: what `--live` costs and how fast it reacts (issue 15).
//!
//! 1. Idle CPU: 40 live pages each watching 250 files of their own directory (10,000
//!    files and 40 directories in all, each polled every 100 ms), measured as the server
//!    process tree's CPU time (/proc ticks) over 10 s, as a share of one core.
//! 2. Save to reaction: with those pages open, a stylesheet one page loaded is rewritten
//!    and the time until its event arrives on that page's stream is taken, 40 times, at
//!    random offsets from the poll tick; p50 and p90. (A browser adds its own handling of
//!    the event: a re-fetch of the sheet, or a reload.)
//!
//! Both modes. `-- --quick` or SERVEDIR_BENCH_QUICK=1: 2 s and 10 samples.

mod common;

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use common::*;

const DIRS: usize = 40;
const PER_DIR: usize = 250;

fn quick() -> bool {
    std::env::args().any(|a| a == "--quick") || std::env::var_os("SERVEDIR_BENCH_QUICK").is_some()
}

/// Opens `/.servedir/live` reporting `paths`; returns the stream after its head.
fn open_page(addr: std::net::SocketAddr, paths: &[String]) -> BufReader<TcpStream> {
    let query: Vec<String> = paths
        .iter()
        .map(|p| format!("p={}", p.replace('/', "%2F")))
        .collect();
    let mut s = connect(addr).expect("connect");
    let request = format!(
        "GET /.servedir/live?{} HTTP/1.1\r\nHost: b\r\n\r\n",
        query.join("&")
    );
    s.write_all(request.as_bytes()).expect("send");
    let mut reader = BufReader::new(s);
    let mut line = String::new();
    while line != "\r\n" {
        line.clear();
        assert!(
            reader.read_line(&mut line).expect("head") > 0,
            "stream refused"
        );
    }
    reader
}

/// Reads until an `event:` line.
fn next_event(reader: &mut BufReader<TcpStream>) -> String {
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            reader.read_line(&mut line).expect("event") > 0,
            "stream closed"
        );
        if line.starts_with("event:") {
            return line;
        }
    }
}

fn run(mode: &str, root: &std::path::Path) {
    let server = start_servedir(mode, root, &["--live"]);
    let mut pages: Vec<BufReader<TcpStream>> = (0..DIRS)
        .map(|d| {
            let paths: Vec<String> = (0..PER_DIR)
                .map(|f| format!("/d{d:02}/f{f:03}.css"))
                .collect();
            open_page(server.addr, &paths)
        })
        .collect();
    thread::sleep(Duration::from_secs(1));
    let secs = if quick() { 2.0 } else { 10.0 };
    let before = cpu_tree_us(server.pid());
    thread::sleep(Duration::from_secs_f64(secs));
    let idle = (cpu_tree_us(server.pid()) - before) / (secs * 1e6) * 100.0;
    let samples = if quick() { 10 } else { 40 };
    let mut delays = Vec::with_capacity(samples);
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    for i in 0..samples {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        thread::sleep(Duration::from_millis(300 + rng % 100));
        let start = Instant::now();
        fs::write(root.join("d00/f000.css"), format!("p{{order:{i}}}")).expect("save");
        let event = next_event(&mut pages[0]);
        delays.push(start.elapsed().as_micros() as u32);
        assert!(event.starts_with("event: css"), "{event}");
    }
    delays.sort_unstable();
    println!(
        "{mode:8} idle CPU watching {} files: {idle:.1}% of one core; save to event: p50 {} p90 {} (n={samples})",
        DIRS * PER_DIR,
        fmt_us(percentile(&delays, 0.5)),
        fmt_us(percentile(&delays, 0.9)),
    );
}

fn main() {
    let dir = TempDir::new("live");
    for d in 0..DIRS {
        let sub = dir.0.join(format!("d{d:02}"));
        fs::create_dir_all(&sub).expect("mkdir");
        for f in 0..PER_DIR {
            fs::write(sub.join(format!("f{f:03}.css")), "p{}").expect("write");
        }
    }
    for mode in ["thread", "process"] {
        run(mode, &dir.0);
    }
}
