//! Test support: temp roots, the real binary on port 0 (`TestServer`), raw-socket HTTP,
//! `both_modes!`, which runs a behaviour test in thread and process mode, and the one
//! seeded generator of the integration tests.
//!
//! A test that fails while a `TestServer` is alive prints the server's stderr and the
//! last requests sent through these helpers (ripgrep's `expect_success` idea), so a
//! failed assertion says what the server saw and said.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

pub use servedir::Mode;

/// The modes this platform serves in: process mode needs Unix.
pub fn modes() -> &'static [Mode] {
    if cfg!(unix) {
        &[Mode::Thread, Mode::Process]
    } else {
        &[Mode::Thread]
    }
}

/// Every socket a test opens gives up after this long, so a broken server fails a test
/// instead of hanging it.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs a test body once per mode: `both_modes! { fn name(mode) { ... } }` makes
/// `name::thread` and `name::process`.
#[macro_export]
macro_rules! both_modes {
    ($( $(#[$meta:meta])* fn $name:ident($mode:ident) $body:block )*) => {
        $(
            // Doc comments and `#[cfg(..)]` apply to the pair as a whole.
            $(#[$meta])*
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                #[allow(unused_variables)]
                fn body($mode: $crate::util::Mode) $body
                #[test]
                fn thread() {
                    body($crate::util::Mode::Thread)
                }
                // Process mode exists only where std can hand a socket to a child.
                #[cfg(unix)]
                #[test]
                fn process() {
                    body($crate::util::Mode::Process)
                }
            }
        )*
    };
}

// Some are used only by Unix-only tests.
#[allow(unused_imports)]
pub use crate::fixture::{pattern, Site, TempDir, XorShift, SECRET};

/// The real `servedir` binary, serving a root on 127.0.0.1 and an ephemeral port.
pub struct TestServer {
    child: Child,
    pub addr: SocketAddr,
    mode: Mode,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    /// The thread copying stderr, done once the server and its children are gone.
    stderr_reader: Option<JoinHandle<()>>,
    /// Held open and never read (see [`TestServer::start_stdout_unread`]).
    unread_stdout: Option<ChildStdout>,
    /// The last requests sent through this file's helpers, printed if a test fails.
    sent: Mutex<VecDeque<String>>,
}

/// How many requests a failing test prints, and how much of each.
const SENT_KEPT: usize = 8;
const SENT_CHARS: usize = 600;

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_servedir")
}

impl TestServer {
    pub fn start(mode: Mode, root: &Path, args: &[&str]) -> TestServer {
        Self::start_with(Command::new(binary()), mode, root, args)
    }

    /// Starts the server with its stdout on a pipe that nobody reads: the access log
    /// fills the pipe and stays stuck, like a paused terminal or a hung log shipper.
    pub fn start_stdout_unread(mode: Mode, root: &Path, args: &[&str]) -> TestServer {
        Self::start_inner(Command::new(binary()), mode, root, args, false)
    }

    /// Starts the server through `command` (a wrapper such as `setpriv`, or the binary).
    pub fn start_with(command: Command, mode: Mode, root: &Path, args: &[&str]) -> TestServer {
        Self::start_inner(command, mode, root, args, true)
    }

    fn start_inner(
        mut command: Command,
        mode: Mode,
        root: &Path,
        args: &[&str],
        read_stdout: bool,
    ) -> TestServer {
        command
            .args([
                "--port",
                "0",
                "--bind",
                "127.0.0.1",
                "--mode",
                mode.as_str(),
            ])
            .args(args)
            .arg("--")
            .arg(root)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("start servedir");
        let (stdout, unread_stdout) = if read_stdout {
            (drain(child.stdout.take().unwrap(), None).0, None)
        } else {
            (Arc::default(), child.stdout.take())
        };
        let (tx, rx) = mpsc::channel();
        let (stderr, stderr_reader) = drain(child.stderr.take().unwrap(), Some(tx));
        let addr = match rx.recv_timeout(IO_TIMEOUT) {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                thread::sleep(Duration::from_millis(50));
                panic!(
                    "servedir printed no 'listening on' line; stderr: {}",
                    String::from_utf8_lossy(&stderr.lock().unwrap())
                );
            }
        };
        TestServer {
            child,
            addr,
            mode,
            stdout,
            stderr,
            stderr_reader: Some(stderr_reader),
            unread_stdout,
            sent: Mutex::default(),
        }
    }

    /// Remembers a request sent through a helper, for [`TestServer`]'s failure report.
    pub fn note_sent(&self, request: impl Into<String>) {
        let mut request = request.into();
        if request.len() > SENT_CHARS {
            let cut = (0..=SENT_CHARS)
                .rev()
                .find(|&i| request.is_char_boundary(i));
            request.truncate(cut.unwrap_or(0));
            request.push_str(" [...]");
        }
        let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        if sent.len() == SENT_KEPT {
            sent.pop_front();
        }
        sent.push_back(request);
    }

    /// What a failing test prints: the server's stderr and the last requests sent.
    fn failure_report(&self) -> String {
        let stderr = self.stderr.lock().unwrap_or_else(|e| e.into_inner());
        let mut report = format!(
            "---- servedir ({} mode, pid {}) stderr ----\n{}",
            self.mode.as_str(),
            self.child.id(),
            String::from_utf8_lossy(&stderr)
        );
        report.push_str("---- last requests sent through tests/it/util.rs, oldest first ----\n");
        let sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        for request in sent.iter() {
            report.push_str(request);
            report.push('\n');
        }
        report
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A raw connection with read and write timeouts.
    pub fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(self.addr).expect("connect");
        s.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        s.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
        s
    }

    /// Starts reading a stdout left unread by [`TestServer::start_stdout_unread`].
    pub fn read_stdout_now(&mut self) {
        if let Some(pipe) = self.unread_stdout.take() {
            self.stdout = drain(pipe, None).0;
        }
    }

    /// Everything the server wrote to stdout so far (the access log).
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout.lock().unwrap()).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    /// Waits until the access log has `n` lines (or panics after the I/O timeout).
    pub fn wait_log_lines(&self, n: usize) -> String {
        let start = Instant::now();
        loop {
            let log = self.stdout();
            if log.lines().count() >= n {
                return log;
            }
            assert!(
                start.elapsed() < IO_TIMEOUT,
                "expected {n} log lines, have: {log}"
            );
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Process ids of the server's direct children (process mode's connection children).
    /// Without process mode (Windows) a server starts no child: always empty there.
    pub fn children(&self) -> Vec<u32> {
        #[cfg(unix)]
        return children_of(self.pid());
        #[cfg(not(unix))]
        Vec::new()
    }

    /// Child processes of the server that are zombies (exited but not reaped).
    #[cfg(unix)]
    pub fn zombies(&self) -> Vec<u32> {
        self.children()
            .into_iter()
            .filter(|&pid| proc_state(pid) == Some('Z'))
            .collect()
    }

    /// GET with a fresh client; panics on transport errors.
    pub fn get(&self, path: &str) -> reqwest::blocking::Response {
        self.note_sent(format!("reqwest: GET {}", self.url(path)));
        client().get(self.url(path)).send().expect("request")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let kids = self.children();
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Process mode: children end with their connections; do not leave any behind.
        if !kids.is_empty() {
            let _ = Command::new("kill")
                .arg("-9")
                .args(kids.iter().map(|p| p.to_string()))
                .stderr(Stdio::null())
                .status();
        }
        if thread::panicking() {
            // A failed assertion: show what the server said and what it was sent. Its
            // stderr is complete once the pipe has closed (bounded: a child may linger).
            let start = Instant::now();
            while self
                .stderr_reader
                .as_ref()
                .is_some_and(|r| !r.is_finished())
                && start.elapsed() < Duration::from_secs(1)
            {
                thread::sleep(Duration::from_millis(10));
            }
            eprintln!("{}", self.failure_report());
        }
    }
}

/// Copies `pipe` into a buffer on a thread of its own; with `listening`, sends the address
/// of the server's `listening on` line there.
fn drain(
    mut pipe: impl Read + Send + 'static,
    listening: Option<mpsc::Sender<SocketAddr>>,
) -> (Arc<Mutex<Vec<u8>>>, JoinHandle<()>) {
    let sink = Arc::new(Mutex::new(Vec::new()));
    let out = Arc::clone(&sink);
    let reader = thread::spawn(move || {
        if let Some(tx) = listening {
            let mut reader = BufReader::new(pipe);
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 {
                out.lock().unwrap().extend_from_slice(line.as_bytes());
                if let Some(rest) = line.trim_end().strip_prefix("listening on http://") {
                    if let Ok(addr) = rest.trim_end_matches('/').parse() {
                        let _ = tx.send(addr);
                    }
                }
                line.clear();
            }
            return;
        }
        let mut buf = [0u8; 4096];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            out.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    (sink, reader)
}

/// Process ids of the children of `pid`, from /proc.
#[cfg(target_os = "linux")]
pub fn children_of(pid: u32) -> Vec<u32> {
    let mut kids = Vec::new();
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return kids;
    };
    for task in tasks.flatten() {
        if let Ok(list) = fs::read_to_string(task.path().join("children")) {
            kids.extend(
                list.split_whitespace()
                    .filter_map(|p| p.parse::<u32>().ok()),
            );
        }
    }
    kids
}

/// The state letter of a process (R, S, Z, ...), from /proc/PID/stat.
#[cfg(target_os = "linux")]
pub fn proc_state(pid: u32) -> Option<char> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may contain spaces: split after the last ')'.
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

/// Every process as (pid, parent pid, state letter), from `ps`: Unix without /proc (macOS).
#[cfg(all(unix, not(target_os = "linux")))]
fn ps_table() -> Vec<(u32, u32, char)> {
    let out = Command::new("ps")
        .args(["-A", "-o", "pid=,ppid=,stat="])
        .output()
        .expect("run ps");
    assert!(out.status.success(), "ps failed: {out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let mut f = line.split_whitespace();
            let pid = f.next()?.parse().ok()?;
            let ppid = f.next()?.parse().ok()?;
            Some((pid, ppid, f.next()?.chars().next()?))
        })
        .collect()
}

/// Process ids of the children of `pid`, from `ps`.
#[cfg(all(unix, not(target_os = "linux")))]
pub fn children_of(pid: u32) -> Vec<u32> {
    ps_table()
        .into_iter()
        .filter(|&(_, ppid, _)| ppid == pid)
        .map(|(child, _, _)| child)
        .collect()
}

/// The state letter of a process (R, S, Z, ...), from `ps`.
#[cfg(all(unix, not(target_os = "linux")))]
pub fn proc_state(pid: u32) -> Option<char> {
    ps_table()
        .into_iter()
        .find(|&(p, _, _)| p == pid)
        .map(|(_, _, state)| state)
}

/// A reqwest client that does not follow redirects and gives up after IO_TIMEOUT.
pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(IO_TIMEOUT)
        .build()
        .unwrap()
}

/// A response read off a raw socket.
#[derive(Debug)]
pub struct Raw {
    pub status: u16,
    pub head: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Raw {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads one response; `head_only` for responses to HEAD (no body follows).
pub fn read_response(reader: &mut impl BufRead, head_only: bool) -> Raw {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line).expect("read response head");
        assert!(n > 0, "connection closed mid-head; got so far: {head:?}");
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let mut parts = status_line.splitn(3, ' ');
    assert_eq!(
        parts.next(),
        Some("HTTP/1.1"),
        "status line {status_line:?}"
    );
    let status: u16 = parts.next().unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (n, v) = l.split_once(':').expect("header colon");
            (n.to_string(), v.trim().to_string())
        })
        .collect();
    let raw = Raw {
        status,
        head: head.clone(),
        headers,
        body: Vec::new(),
    };
    if status == 304 || status == 204 {
        // RFC 9110 §8.6, §15.4.5: no body, and we send no Content-Length either.
        assert_eq!(
            raw.header("content-length"),
            None,
            "304 with a Content-Length"
        );
        return raw;
    }
    let len: usize = raw
        .header("content-length")
        .expect("every response has Content-Length")
        .parse()
        .unwrap();
    let mut body = vec![0; if head_only { 0 } else { len }];
    reader.read_exact(&mut body).expect("read body");
    Raw { body, ..raw }
}

/// Sends `request` on a new connection and reads one response.
pub fn exchange(server: &TestServer, request: &[u8]) -> Raw {
    server.note_sent(format!("{:?}", String::from_utf8_lossy(request)));
    let mut s = server.connect();
    s.write_all(request).unwrap();
    read_response(&mut BufReader::new(s), request.starts_with(b"HEAD "))
}

/// Whether the server closed the connection: the next read sees EOF (or a reset).
pub fn is_closed(reader: &mut impl Read) -> bool {
    let mut byte = [0u8; 1];
    loop {
        return match reader.read(&mut byte) {
            Ok(0) => true,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => true,
            // A child of this test process exiting (SIGCHLD) may interrupt the read.
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Ok(_) => false,
            Err(e) => panic!("expected the server to close the connection: {e}"),
        };
    }
}

/// Process ids are read from /proc/self/status: is this test process root?
pub fn running_as_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

pub fn get(server: &TestServer, path: &str) -> Raw {
    exchange(
        server,
        format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes(),
    )
}

impl TestServer {
    /// Whether the server process has exited (it is reaped here, so it is no zombie).
    #[cfg(unix)]
    pub fn has_exited(&self) -> bool {
        // Child::try_wait needs &mut; /proc tells without it: gone or a zombie.
        matches!(proc_state(self.pid()), None | Some('Z'))
    }
}

#[cfg(target_os = "linux")]
fn status_field(pid: u32, field: &str) -> u64 {
    let text = fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    text.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Threads of a process, from /proc/PID/status.
#[cfg(target_os = "linux")]
pub fn proc_threads(pid: u32) -> u64 {
    status_field(pid, "Threads:")
}

/// Resident memory of a process in KiB.
#[cfg(target_os = "linux")]
pub fn proc_rss_kib(pid: u32) -> u64 {
    status_field(pid, "VmRSS:")
}

/// Open file descriptors of a process.
#[cfg(target_os = "linux")]
pub fn proc_fds(pid: u32) -> u64 {
    fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count() as u64)
        .unwrap_or(0)
}

/// CPU time (user + system) a process has used, in clock ticks (usually 1/100 s).
#[cfg(target_os = "linux")]
pub fn proc_cpu_ticks(pid: u32) -> u64 {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, r)| r.split_whitespace().collect())
        .unwrap_or_default();
    // After the command name: state is field 3, utime 14 and stime 15 (1-based).
    let get = |i: usize| {
        fields
            .get(i - 3)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    get(14) + get(15)
}

/// Shuts `handle` down and asserts it did not wait out the grace period for the
/// connection `reader` holds open, which the server has closed.
pub fn shuts_down_at_once(handle: servedir::ServerHandle, reader: &mut impl Read) {
    let start = Instant::now();
    handle.shutdown().unwrap();
    let took = start.elapsed();
    assert!(took < servedir::SHUTDOWN_GRACE, "{took:?}");
    assert!(is_closed(reader));
}

/// Polls `cond` every 20 ms for up to `limit`; returns whether it became true.
pub fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return true;
        }
        thread::sleep(Duration::from_millis(20));
    }
    cond()
}

/// Sends one request with extra header lines on a new connection; reads the response
/// (without a body for HEAD).
pub fn req(server: &TestServer, method: &str, path: &str, headers: &[&str]) -> Raw {
    let mut text = format!("{method} {path} HTTP/1.1\r\nHost: t\r\n");
    for h in headers {
        text.push_str(h);
        text.push_str("\r\n");
    }
    text.push_str("\r\n");
    exchange(server, text.as_bytes())
}
