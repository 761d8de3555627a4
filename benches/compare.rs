//! `cargo bench --bench compare`: servedir (thread and process mode) against peers (the std
//! floor, nginx, lighttpd, python's http.server, each when installed) on one
//! generated docroot, one server under load at a time, on loopback, bounded in time.
//! Each cell is 3 rounds of 2 s, the rounds alternating between servers, so that noise
//! from neighbours on a shared machine falls on every server alike.
//!
//! Prints requests/s, transfer, p50/p99 latency and errors per scenario, each as a ratio
//! to servedir thread mode measured in the same run, then memory while holding idle
//! keep-alive connections and the latency of a fresh request meanwhile.
//! Options: see [`USAGE`] (`cargo bench --bench compare -- --help` prints it).

mod common;

use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

struct Scenario {
    key: &'static str,
    label: &'static str,
    path: &'static str,
    conns: usize,
    keep_alive: bool,
    /// Rank by transfer rate rather than requests/s.
    by_transfer: bool,
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        key: "a",
        label: "1 KiB, keep-alive, 50 conns",
        path: "/index.html",
        conns: 50,
        keep_alive: true,
        by_transfer: false,
    },
    Scenario {
        key: "b",
        label: "1 KiB, conn per request, 50",
        path: "/index.html",
        conns: 50,
        keep_alive: false,
        by_transfer: false,
    },
    Scenario {
        key: "c",
        label: "100 KiB, keep-alive, 10 conns",
        path: "/100k.bin",
        conns: 10,
        keep_alive: true,
        by_transfer: false,
    },
    Scenario {
        key: "d",
        label: "64 MiB, keep-alive, 2 conns",
        path: "/64m.bin",
        conns: 2,
        keep_alive: true,
        by_transfer: true,
    },
];

/// Starts one server under test, or `None` when it is not installed.
type Starter<'a> = Box<dyn Fn() -> Option<Running> + 'a>;

struct Row {
    scenario: &'static str,
    server: String,
    load: Load,
}

/// What `-- --help` prints.
const USAGE: &str = "\
cargo bench --bench compare [-- OPTIONS]

servedir (thread and process mode) against the std floor, nginx, lighttpd and python's
http.server (each when installed) on loopback; ~2.5 minutes (~4 with 5 rounds).

Options:
  --quick        1 s cells, servedir only, 100 held connections: a smoke test (CI runs
                 it so the bench never rots); its numbers are not comparable
  -h, --help     print this and exit
Environment:
  SERVEDIR_BENCH_ROUNDS=N   N rounds per cell instead of 3 (more average out more noise)
  SERVEDIR_BENCH_QUICK=1    as --quick
  SERVEDIR_BENCH_STD=1      the built-in load generator even when wrk is installed
";

/// The command line: `--quick`, `--help`; anything else is refused (cargo adds `--bench`).
fn quick_from_args() -> bool {
    let mut quick = std::env::var_os("SERVEDIR_BENCH_QUICK").is_some();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--bench" => {}
            "--quick" => quick = true,
            "-h" | "--help" => {
                print!("{USAGE}");
                std::process::exit(0);
            }
            other => {
                eprintln!("compare: unknown argument {other:?}\n\n{USAGE}");
                std::process::exit(2);
            }
        }
    }
    quick
}

/// `SERVEDIR_BENCH_ROUNDS`, or `default`; a value that is not a positive number is
/// refused rather than ignored.
fn rounds_from_env(default: usize) -> usize {
    match std::env::var("SERVEDIR_BENCH_ROUNDS") {
        Err(_) => default,
        Ok(text) => match text.parse() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!("compare: SERVEDIR_BENCH_ROUNDS must be a positive number, not {text:?}");
                std::process::exit(2);
            }
        },
    }
}

fn main() {
    floor_if_asked();
    let quick = quick_from_args();
    // Rounds alternate between the servers, so a noisy neighbour on a shared machine
    // hits them all alike; each server is still loaded alone.
    let (rounds, round_secs) = if quick { (1, 1.0) } else { (3, 2.0) };
    let rounds = rounds_from_env(rounds);
    let held = if quick { 100 } else { 1000 };
    let forced_std = std::env::var_os("SERVEDIR_BENCH_STD").is_some();
    let wrk = which("wrk").filter(|_| !forced_std);
    let root = docroot();

    println!(
        "servedir compare bench: {rounds} round(s) of {round_secs} s per cell, servers alternating, {}",
        machine()
    );
    if quick {
        println!(
            "quick mode: servedir only, 100 held connections: a smoke test, not numbers to compare"
        );
    }
    println!(
        "load generator: {}",
        match (&wrk, forced_std) {
            (Some(_), _) => "wrk (--latency, 2 threads)",
            (None, true) => "built-in std client, one thread per connection (forced by SERVEDIR_BENCH_STD)",
            (None, false) => "built-in std client, one thread per connection (wrk not installed: apt-get install wrk)",
        }
    );
    let mut starters: Vec<(&str, Starter)> = vec![
        (
            "servedir thread",
            Box::new(|| Some(start_servedir("thread", &root.0, &["--keep-alive", "120"]))),
        ),
        (
            "servedir process",
            // Holds 1,000 connections below: above process mode's default cap of 256.
            Box::new(|| {
                let args = ["--keep-alive", "120", "--max-connections", "2000"];
                Some(start_servedir("process", &root.0, &args))
            }),
        ),
    ];
    if !quick {
        starters.push(("std floor", Box::new(|| start_floor(&root.0))));
        starters.push(("nginx", Box::new(|| start_nginx(&root.0))));
        starters.push(("lighttpd", Box::new(|| start_lighttpd(&root.0))));
        starters.push(("python3 http.server", Box::new(|| start_python(&root.0))));
    }

    let mut servers = Vec::new();
    for (name, start) in &starters {
        match start() {
            Some(server) => servers.push((*name, server)),
            None => {
                let program = name.split(' ').next().unwrap_or(name);
                match which(program) {
                    Some(_) => println!("{name}: installed but did not start within 10 s, skipped"),
                    None => println!("{name}: not installed, skipped"),
                }
            }
        }
    }
    let mut rows = Vec::new();
    for sc in SCENARIOS {
        let mut loads = vec![Vec::new(); servers.len()];
        for round in 1..=rounds {
            for ((name, server), cell) in servers.iter().zip(&mut loads) {
                eprintln!(
                    "  ({}) {}: {name}, round {round}/{rounds}",
                    sc.key, sc.label
                );
                let cpu_before = cpu_tree_us(server.pid());
                let mut load = match &wrk {
                    Some(wrk) => wrk_load(wrk, server.addr, sc, round_secs),
                    None => std_load(server.addr, sc.path, sc.conns, sc.keep_alive, round_secs),
                };
                load.server_cpu_us = cpu_tree_us(server.pid()) - cpu_before;
                cell.push(load);
            }
        }
        for ((name, _), cell) in servers.iter().zip(&loads) {
            rows.push(Row {
                scenario: sc.key,
                server: name.to_string(),
                load: Load::combine(cell),
            });
        }
    }
    let mut memory = Vec::new();
    for (name, server) in &servers {
        // python's http.server speaks HTTP/1.0 and closes every connection: nothing to
        // hold; the floor holds its files in memory, so its RSS says nothing.
        if !name.starts_with("python") && !name.starts_with("std floor") {
            memory.push((name.to_string(), measure_memory(server, held)));
        }
    }
    drop(servers);
    print_table(&rows);
    print_memory(&memory, held);
    println!("\nNoise: the load generator and the server share 2 cores; compare ratios within one run, not absolute numbers across runs.");
}

fn machine() -> String {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("{cores} cores, Linux {}", kernel.trim())
}

fn wrk_load(wrk: &std::path::Path, addr: SocketAddr, sc: &Scenario, secs: f64) -> Load {
    let threads = sc.conns.min(2);
    let mut cmd = Command::new(wrk);
    cmd.args([
        "--latency",
        "-t",
        &threads.to_string(),
        "-c",
        &sc.conns.to_string(),
    ])
    .args([
        "-d",
        &format!("{}s", secs.ceil() as u64),
        "--timeout",
        "10s",
    ]);
    if !sc.keep_alive {
        cmd.args(["-H", "Connection: close"]);
    }
    let out = cmd
        .arg(format!("http://{addr}{}", sc.path))
        .output()
        .expect("run wrk");
    parse_wrk(&String::from_utf8_lossy(&out.stdout))
}

/// Reads wrk's report: "N requests in Xs, Y read", the latency distribution, errors.
fn parse_wrk(text: &str) -> Load {
    let mut load = Load::default();
    for line in text.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        if line.contains("requests in") && words.len() >= 6 {
            load.requests = words[0].parse().unwrap_or(0);
            load.secs = parse_duration_us(words[3].trim_end_matches(',')) / 1e6;
            load.bytes = parse_size(words[4]);
        } else if words.first() == Some(&"50%") {
            load.p50_us = parse_duration_us(words[1]);
        } else if words.first() == Some(&"99%") {
            load.p99_us = parse_duration_us(words[1]);
        } else if line.starts_with("Socket errors:") {
            load.errors += line
                .split(',')
                .filter_map(|p| p.split_whitespace().last()?.parse::<u64>().ok())
                .sum::<u64>();
        } else if line.starts_with("Non-2xx") {
            load.errors += words.last().and_then(|w| w.parse().ok()).unwrap_or(0);
        }
    }
    if load.secs == 0.0 {
        load.secs = f64::NAN;
    }
    load
}

fn parse_duration_us(s: &str) -> f64 {
    let split = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().unwrap_or(f64::NAN);
    n * match unit {
        "us" => 1.0,
        "ms" => 1e3,
        "s" => 1e6,
        "m" => 60e6,
        _ => f64::NAN,
    }
}

fn parse_size(s: &str) -> u64 {
    let split = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().unwrap_or(0.0);
    let mult = match unit {
        "B" => 1.0,
        "KB" => 1024.0,
        "MB" => 1024.0 * 1024.0,
        "GB" => 1024.0 * 1024.0 * 1024.0,
        _ => 0.0,
    };
    (n * mult) as u64
}

fn print_table(rows: &[Row]) {
    println!(
        "\n{:<34} {:<20} {:>10} {:>9} {:>9} {:>9} {:>7} {:>8} {:>9}",
        "scenario", "server", "req/s", "MiB/s", "p50", "p99", "errors", "ratio", "CPU/req"
    );
    for sc in SCENARIOS {
        let base = rows
            .iter()
            .find(|r| r.scenario == sc.key && r.server == "servedir thread");
        for r in rows.iter().filter(|r| r.scenario == sc.key) {
            let metric = |l: &Load| {
                if sc.by_transfer {
                    l.mib_per_sec()
                } else {
                    l.rps()
                }
            };
            let ratio = base
                .map(|b| metric(&r.load) / metric(&b.load))
                .unwrap_or(f64::NAN);
            println!(
                "{:<34} {:<20} {:>10.0} {:>9.1} {:>9} {:>9} {:>7} {:>7.2}x {:>9}",
                format!("({}) {}", sc.key, sc.label),
                r.server,
                r.load.rps(),
                r.load.mib_per_sec(),
                fmt_us(r.load.p50_us),
                fmt_us(r.load.p99_us),
                r.load.errors,
                ratio,
                match r.load.cpu_per_request_us() {
                    us if us < 100.0 => format!("{us:.1}us"),
                    us => fmt_us(us),
                }
            );
        }
    }
    println!("MiB/s: bytes the client read per second (wrk: heads and bodies, so servers with longer heads move more; the built-in client: bodies).");
    println!("p50/p99: one request's latency as the client saw it (send to whole response), median and 99th percentile of each round, then the median of the rounds; req/s sums the rounds.");
    println!("ratio: the server's req/s (MiB/s for (d)) divided by servedir thread mode's in the same scenario.");
    println!("CPU/req: the server's own CPU time (user + system, children included) per request; the load generator's is not counted.");
    if rows.iter().any(|r| r.server == "std floor") {
        println!("std floor: one thread per connection doing no HTTP work (files in memory, no checks): what the model itself allows here.");
    }
    println!(
        "servedir thread / PEER: the inverse of the ratio column: above 1.00x, servedir is faster."
    );
    for peer in ["std floor", "nginx", "lighttpd", "python3 http.server"] {
        let ratios: Vec<String> = SCENARIOS
            .iter()
            .filter_map(|sc| {
                let get = |name: &str| {
                    let r = rows
                        .iter()
                        .find(|r| r.scenario == sc.key && r.server == name)?;
                    Some(if sc.by_transfer {
                        r.load.mib_per_sec()
                    } else {
                        r.load.rps()
                    })
                };
                Some(format!(
                    "({}) {:.2}x",
                    sc.key,
                    get("servedir thread")? / get(peer)?
                ))
            })
            .collect();
        if !ratios.is_empty() {
            println!("servedir thread / {peer}: {}", ratios.join("  "));
        }
    }
    let thread_vs_process = |key: &str| {
        let get = |name: &str| {
            rows.iter()
                .find(|r| r.scenario == key && r.server == name)
                .map(|r| r.load.rps())
        };
        Some(get("servedir thread")? / get("servedir process")?)
    };
    for (key, what) in [("a", "keep-alive"), ("b", "connection per request")] {
        if let Some(r) = thread_vs_process(key) {
            println!("thread/process ratio, {what}: {r:.2}x");
        }
    }
}

struct Memory {
    idle_kib: u64,
    held_kib: u64,
    held: usize,
    hold_errors: u64,
    fresh: Load,
}

/// (e) memory idle and holding idle keep-alive connections; (f) fresh-request latency then.
fn measure_memory(server: &Running, n: usize) -> Memory {
    let mut sink = vec![0u8; 64 * 1024];
    if let Ok(s) = connect(server.addr) {
        let _ = exchange(
            &mut std::io::BufReader::new(s),
            b"GET /index.html HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n",
            &mut sink,
        );
    }
    std::thread::sleep(Duration::from_millis(300));
    let idle_kib = pss_tree_kib(server.pid());
    let (held, hold_errors) = hold_idle(server.addr, n, "/index.html");
    std::thread::sleep(Duration::from_millis(500));
    let held_kib = pss_tree_kib(server.pid());
    let mut lat = Vec::new();
    let mut fresh = Load::default();
    let start = Instant::now();
    for _ in 0..200 {
        let t = Instant::now();
        let ok = connect(server.addr).and_then(|s| {
            exchange(
                &mut std::io::BufReader::new(s),
                b"GET /index.html HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n",
                &mut sink,
            )
        });
        match ok {
            Ok(_) => {
                lat.push(t.elapsed().as_micros() as u32);
                fresh.requests += 1;
            }
            Err(_) => fresh.errors += 1,
        }
    }
    fresh.secs = start.elapsed().as_secs_f64();
    lat.sort_unstable();
    fresh.p50_us = percentile(&lat, 0.5);
    fresh.p99_us = percentile(&lat, 0.99);
    let count = held.len();
    drop(held);
    Memory {
        idle_kib,
        held_kib,
        held: count,
        hold_errors,
        fresh,
    }
}

fn print_memory(rows: &[(String, Memory)], n: usize) {
    println!("\n(e) memory (PSS: resident memory, shared pages divided among their users; of the server and its children) idle and holding {n} idle keep-alive connections; (f) a fresh request meanwhile");
    println!("(not held: the std floor, whose files sit in memory, and python's http.server, which closes every connection)");
    println!(
        "{:<20} {:>10} {:>12} {:>10} {:>12} {:>10} {:>10} {:>7}",
        "server", "idle", "holding", "held", "per conn", "fresh p50", "fresh p99", "errors"
    );
    for (name, m) in rows {
        let per = if m.held > 0 {
            (m.held_kib.saturating_sub(m.idle_kib)) as f64 / m.held as f64
        } else {
            f64::NAN
        };
        println!(
            "{:<20} {:>8}Ki {:>10}Ki {:>10} {:>10.1}Ki {:>10} {:>10} {:>7}",
            name,
            m.idle_kib,
            m.held_kib,
            m.held,
            per,
            fmt_us(m.fresh.p50_us),
            fmt_us(m.fresh.p99_us),
            m.hold_errors + m.fresh.errors
        );
    }
}
