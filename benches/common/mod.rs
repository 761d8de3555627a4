//! Shared by the benchmarks: start and stop servers under test, a std-only HTTP load
//! generator, and /proc readings (RSS, PSS, threads, fds). Loopback only.

#![allow(dead_code)]

pub mod floor;

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

pub const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// A server under test, killed (with its children) on drop.
pub struct Running {
    pub name: String,
    pub addr: SocketAddr,
    child: Child,
    _dir: Option<TempDir>,
}

impl Running {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let kids = descendants(self.pid());
        let _ = self.child.kill();
        let _ = self.child.wait();
        for pid in kids {
            let _ = Command::new("kill")
                .args(["-9", &pid.to_string()])
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let path =
            std::env::temp_dir().join(format!("servedir-bench-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Starts the servedir binary built by cargo for this bench.
pub fn start_servedir(mode: &str, root: &Path, extra: &[&str]) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_servedir"))
        .args([
            "--port",
            "0",
            "--bind",
            "127.0.0.1",
            "--quiet",
            "--mode",
            mode,
        ])
        .args(extra)
        .arg("--")
        .arg(root)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start servedir");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let addr = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(rest) = line.strip_prefix("listening on http://") {
                    break rest.trim_end_matches('/').parse().expect("address");
                }
            }
            _ => panic!("servedir did not start"),
        }
    };
    // Keep draining stderr so the server never blocks on it.
    thread::spawn(move || for _ in lines {});
    Running {
        name: format!("servedir {mode}"),
        addr,
        child,
        _dir: None,
    }
}

/// A free loopback port (a small race with other programs, acceptable for a bench).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

pub fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .chain(["/usr/sbin", "/sbin"])
        .map(|d| Path::new(d).join(program))
        .find(|p| p.is_file())
}

/// nginx with a minimal static config, if installed.
pub fn start_nginx(root: &Path) -> Option<Running> {
    let nginx = which("nginx")?;
    let dir = TempDir::new("nginx");
    let port = free_port();
    let conf = format!(
        "daemon off;\nworker_processes auto;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
         events {{ worker_connections 4096; }}\n\
         http {{\n  access_log off;\n  sendfile on;\n  tcp_nopush on;\n  keepalive_requests 100000;\n\
           client_body_temp_path {d}; proxy_temp_path {d}; fastcgi_temp_path {d}; uwsgi_temp_path {d}; scgi_temp_path {d};\n\
           types {{ text/html html; application/octet-stream bin; }}\n\
           server {{ listen 127.0.0.1:{port}; root {root}; }}\n}}\n",
        d = dir.0.display(),
        root = root.display()
    );
    fs::write(dir.0.join("nginx.conf"), conf).ok()?;
    let mut command = Command::new(nginx);
    command
        .args(["-e", &format!("{}/error.log", dir.0.display()), "-c"])
        .arg(dir.0.join("nginx.conf"));
    start_peer(command, "nginx", port, Some(dir))
}

/// lighttpd with a minimal static config, if installed: one event loop, sendfile, no
/// access log, keep-alive for as many requests as the bench makes.
pub fn start_lighttpd(root: &Path) -> Option<Running> {
    let lighttpd = which("lighttpd")?;
    let dir = TempDir::new("lighttpd");
    let port = free_port();
    let conf = format!(
        "server.document-root = \"{root}\"\nserver.bind = \"127.0.0.1\"\nserver.port = {port}\n\
         server.errorlog = \"{d}/error.log\"\nserver.max-keep-alive-requests = 100000\n\
         server.max-keep-alive-idle = 120\nserver.max-fds = 8192\nserver.max-connections = 4096\n\
         index-file.names = (\"index.html\")\n\
         mimetype.assign = (\".html\" => \"text/html\", \".bin\" => \"application/octet-stream\")\n",
        d = dir.0.display(),
        root = root.display()
    );
    fs::write(dir.0.join("lighttpd.conf"), conf).ok()?;
    let mut command = Command::new(lighttpd);
    command.args(["-D", "-f"]).arg(dir.0.join("lighttpd.conf"));
    start_peer(command, "lighttpd", port, Some(dir))
}

/// `python3 -m http.server`, if installed.
pub fn start_python(root: &Path) -> Option<Running> {
    let python = which("python3")?;
    let port = free_port();
    let mut command = Command::new(python);
    command
        .args(["-m", "http.server", "--bind", "127.0.0.1", "--directory"])
        .arg(root)
        .arg(port.to_string());
    start_peer(command, "python3 http.server", port, None)
}

/// The std floor (see `floor.rs`): this bench binary, run with [`floor::FLAG`].
pub fn start_floor(root: &Path) -> Option<Running> {
    let port = free_port();
    let mut command = Command::new(std::env::current_exe().ok()?);
    command.arg(floor::FLAG).arg(port.to_string()).arg(root);
    start_peer(command, "std floor", port, None)
}

/// Runs the floor server instead of the bench when the arguments ask for it.
pub fn floor_if_asked() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, port, root] = args.as_slice() {
        if flag == floor::FLAG {
            floor::serve(Path::new(root), port.parse().expect("port"));
        }
    }
}

/// Starts a peer server that will listen on 127.0.0.1:`port`; `None` if it does not come up.
fn start_peer(
    mut command: Command,
    name: &str,
    port: u16,
    dir: Option<TempDir>,
) -> Option<Running> {
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let running = Running {
        name: name.into(),
        addr,
        child,
        _dir: dir,
    };
    wait_until_up(addr).then_some(running)
}

fn wait_until_up(addr: SocketAddr) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if TcpStream::connect(addr).is_ok() {
            return true;
        }
        thread::sleep(Duration::from_millis(50));
    }
    false
}

/// What a load run measured.
#[derive(Debug, Clone, Default)]
pub struct Load {
    pub requests: u64,
    pub bytes: u64,
    pub errors: u64,
    pub secs: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    /// CPU time the server (with its children) used meanwhile, in microseconds.
    pub server_cpu_us: f64,
}

impl Load {
    pub fn rps(&self) -> f64 {
        self.requests as f64 / self.secs
    }
    pub fn mib_per_sec(&self) -> f64 {
        self.bytes as f64 / self.secs / (1024.0 * 1024.0)
    }
    /// Server CPU per request in microseconds: unlike req/s, barely moved by what else
    /// runs on the machine.
    pub fn cpu_per_request_us(&self) -> f64 {
        self.server_cpu_us / self.requests as f64
    }

    /// Several rounds of one cell as one: counts and time add up; each percentile is the
    /// median of the rounds' (percentiles of separate runs cannot be merged exactly).
    pub fn combine(rounds: &[Load]) -> Load {
        let median = |f: fn(&Load) -> f64| {
            let mut v: Vec<f64> = rounds.iter().map(f).filter(|x| !x.is_nan()).collect();
            v.sort_by(f64::total_cmp);
            v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
        };
        Load {
            requests: rounds.iter().map(|l| l.requests).sum(),
            bytes: rounds.iter().map(|l| l.bytes).sum(),
            errors: rounds.iter().map(|l| l.errors).sum(),
            secs: rounds.iter().map(|l| l.secs).filter(|s| !s.is_nan()).sum(),
            p50_us: median(|l| l.p50_us),
            p99_us: median(|l| l.p99_us),
            server_cpu_us: rounds.iter().map(|l| l.server_cpu_us).sum(),
        }
    }
}

/// Runs `conns` client threads for `secs`, each requesting `path` again and again, on
/// one keep-alive connection or on a new connection per request.
pub fn std_load(addr: SocketAddr, path: &str, conns: usize, keep_alive: bool, secs: f64) -> Load {
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let workers: Vec<_> = (0..conns)
        .map(|_| {
            let stop = Arc::clone(&stop);
            let path = path.to_string();
            thread::spawn(move || client_loop(addr, &path, keep_alive, &stop))
        })
        .collect();
    thread::sleep(Duration::from_secs_f64(secs));
    stop.store(true, Ordering::Relaxed);
    let mut total = Load::default();
    let mut latencies: Vec<u32> = Vec::new();
    for w in workers {
        let (load, lat) = w.join().expect("load thread");
        total.requests += load.requests;
        total.bytes += load.bytes;
        total.errors += load.errors;
        latencies.extend(lat);
    }
    total.secs = start.elapsed().as_secs_f64();
    latencies.sort_unstable();
    total.p50_us = percentile(&latencies, 0.50);
    total.p99_us = percentile(&latencies, 0.99);
    total
}

pub fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize] as f64
}

fn client_loop(
    addr: SocketAddr,
    path: &str,
    keep_alive: bool,
    stop: &AtomicBool,
) -> (Load, Vec<u32>) {
    let request = if keep_alive {
        format!("GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n")
    } else {
        format!("GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
    };
    let mut load = Load::default();
    let mut lat = Vec::new();
    let mut conn: Option<BufReader<TcpStream>> = None;
    let mut sink = vec![0u8; 256 * 1024];
    while !stop.load(Ordering::Relaxed) {
        let t = Instant::now();
        if conn.is_none() {
            match connect(addr) {
                Ok(s) => conn = Some(BufReader::with_capacity(64 * 1024, s)),
                Err(_) => {
                    load.errors += 1;
                    thread::sleep(Duration::from_millis(10));
                    continue;
                }
            }
        }
        let reader = conn.as_mut().expect("connected");
        match exchange(reader, request.as_bytes(), &mut sink) {
            Ok((bytes, server_closes)) => {
                lat.push(t.elapsed().as_micros().min(u32::MAX as u128) as u32);
                load.requests += 1;
                load.bytes += bytes;
                if server_closes || !keep_alive {
                    conn = None;
                }
            }
            Err(_) => {
                load.errors += 1;
                conn = None;
            }
        }
    }
    (load, lat)
}

pub fn connect(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let s = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
    s.set_read_timeout(Some(IO_TIMEOUT))?;
    s.set_write_timeout(Some(IO_TIMEOUT))?;
    s.set_nodelay(true)?;
    Ok(s)
}

/// Sends one request and reads its response; returns body bytes and whether the server
/// will close the connection.
pub fn exchange(
    reader: &mut BufReader<TcpStream>,
    request: &[u8],
    sink: &mut [u8],
) -> std::io::Result<(u64, bool)> {
    reader.get_mut().write_all(request)?;
    let mut line = String::new();
    let mut len: Option<u64> = None;
    let mut closes = false;
    let mut first = true;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if first {
            if !line.starts_with("HTTP/1.1 200") && !line.starts_with("HTTP/1.0 200") {
                return Err(std::io::Error::other(format!("status line {line:?}")));
            }
            closes = line.starts_with("HTTP/1.0");
            first = false;
            continue;
        }
        if line == "\r\n" || line == "\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                len = value.parse().ok();
            } else if name.eq_ignore_ascii_case("connection") {
                closes = value.eq_ignore_ascii_case("close");
            }
        }
    }
    let Some(len) = len else {
        return Err(std::io::Error::other("no Content-Length"));
    };
    let mut left = len;
    while left > 0 {
        let want = sink.len().min(left as usize);
        reader.read_exact(&mut sink[..want])?;
        left -= want as u64;
    }
    Ok((len, closes))
}

/// The process and all its descendants.
pub fn descendants(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let mut queue = vec![pid];
    while let Some(p) = queue.pop() {
        let Ok(tasks) = fs::read_dir(format!("/proc/{p}/task")) else {
            continue;
        };
        for task in tasks.flatten() {
            if let Ok(list) = fs::read_to_string(task.path().join("children")) {
                for kid in list.split_whitespace().filter_map(|k| k.parse().ok()) {
                    out.push(kid);
                    queue.push(kid);
                }
            }
        }
    }
    out
}

fn status_field(pid: u32, field: &str) -> Option<u64> {
    let text = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Resident memory of one process in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    status_field(pid, "VmRSS:").unwrap_or(0)
}

/// Threads of one process.
pub fn threads(pid: u32) -> u64 {
    status_field(pid, "Threads:").unwrap_or(0)
}

/// Open file descriptors of one process.
pub fn fds(pid: u32) -> u64 {
    fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count() as u64)
        .unwrap_or(0)
}

/// Proportional set size of a process and all its descendants in KiB: shared pages are
/// split between the processes sharing them, so multi-process servers add up fairly.
pub fn pss_tree_kib(pid: u32) -> u64 {
    std::iter::once(pid)
        .chain(descendants(pid))
        .filter_map(|p| {
            let text = fs::read_to_string(format!("/proc/{p}/smaps_rollup")).ok()?;
            let line = text.lines().find(|l| l.starts_with("Pss:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .sum()
}

/// CPU time (user + system, and that of reaped children) of a process and its live
/// descendants, in microseconds (from clock ticks: 100 per second on Linux).
pub fn cpu_tree_us(pid: u32) -> f64 {
    let ticks: u64 = std::iter::once(pid)
        .chain(descendants(pid))
        .filter_map(|p| {
            let stat = fs::read_to_string(format!("/proc/{p}/stat")).ok()?;
            // After "(comm) ": state is field 3, so field n is at index n - 3;
            // utime, stime, cutime, cstime are fields 14 to 17.
            let rest = stat.get(stat.rfind(')')? + 2..)?;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            Some(
                (11..=14)
                    .filter_map(|i| fields.get(i)?.parse::<u64>().ok())
                    .sum::<u64>(),
            )
        })
        .sum();
    ticks as f64 * 1e4
}

/// Opens `n` connections, each completing one keep-alive request, and holds them.
pub fn hold_idle(addr: SocketAddr, n: usize, path: &str) -> (Vec<BufReader<TcpStream>>, u64) {
    let mut held = Vec::with_capacity(n);
    let mut errors = 0;
    let mut sink = vec![0u8; 64 * 1024];
    let request = format!("GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n");
    for _ in 0..n {
        match connect(addr).map(BufReader::new) {
            Ok(mut r) => match exchange(&mut r, request.as_bytes(), &mut sink) {
                Ok(_) => held.push(r),
                Err(_) => errors += 1,
            },
            Err(_) => errors += 1,
        }
    }
    (held, errors)
}

/// Builds the benchmark docroot: 1 KiB index.html, 100 KiB and 64 MiB files.
pub fn docroot() -> TempDir {
    let dir = TempDir::new("root");
    let page = format!(
        "<!DOCTYPE html><title>bench</title>{}\n",
        "x".repeat(1024 - 35)
    );
    fs::write(dir.0.join("index.html"), &page.as_bytes()[..1024]).expect("write");
    let mut x: u32 = 7;
    let mut bytes = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect()
    };
    fs::write(dir.0.join("100k.bin"), bytes(100 * 1024)).expect("write");
    fs::write(dir.0.join("64m.bin"), bytes(64 * 1024 * 1024)).expect("write");
    dir
}

/// Microseconds as a short human string: `812us`, `3.25ms`, `-` for no data.
pub fn fmt_us(us: f64) -> String {
    if us.is_nan() {
        "-".into()
    } else if us >= 1000.0 {
        format!("{:.2}ms", us / 1000.0)
    } else {
        format!("{us:.0}us")
    }
}
