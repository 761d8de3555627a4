//! What a server is told to do: [`Config`], [`Mode`] and [`Limits`], with their defaults
//! and `Config::check`, and the observer's [`Record`] and [`Observer`] types.
//!
//! No parsing of arguments (that is `cli/`) and no I/O (that is `server/`).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The port servedir listens on when none is given (the lesson's port).
///
/// # Examples
/// ```
/// use servedir::{Config, DEFAULT_PORT};
///
/// assert_eq!(Config::default().port, DEFAULT_PORT);
/// assert_eq!(DEFAULT_PORT, 7890);
/// ```
pub const DEFAULT_PORT: u16 = 7890;

/// The `Cache-Control` sent with files unless configured otherwise.
///
/// # Examples
/// ```
/// use std::io::{Read, Write};
/// use servedir::{Config, Server, DEFAULT_CACHE_CONTROL};
///
/// assert_eq!(Config::default().cache_control, DEFAULT_CACHE_CONTROL);
/// let config = Config { root: "html".into(), bind: vec![[127, 0, 0, 1].into()], port: 0, ..Config::default() };
/// let handle = Server::bind(config)?.spawn()?;
/// let mut client = std::net::TcpStream::connect(handle.local_addr())?;
/// client.write_all(b"GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
/// let mut response = String::new();
/// client.read_to_string(&mut response)?;
/// assert!(response.contains(&format!("\r\nCache-Control: {DEFAULT_CACHE_CONTROL}\r\n")));
/// # Ok::<(), std::io::Error>(())
/// ```
pub const DEFAULT_CACHE_CONTROL: &str = "no-cache";

/// How connections are served.
///
/// Process mode needs [`Config::process_exe`], a `servedir` binary to start per
/// connection (the embedding program cannot serve one when re-executed):
///
/// ```
/// use servedir::{Config, Limits, Mode};
///
/// let config = Config {
///     mode: Mode::Process,
///     process_exe: Some("/usr/local/bin/servedir".into()),
///     ..Config::default()
/// };
/// assert_eq!(config.mode.as_str(), "process");
/// // Without an explicit cap, process mode allows 256 connections at once.
/// assert_eq!(config.limits.connection_cap(config.mode), 256);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// One thread per connection (the default).
    #[default]
    Thread,
    /// One child process per connection, running the same handler as thread mode.
    Process,
}

impl Mode {
    /// The name used on the command line: `thread` or `process`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Thread => "thread",
            Mode::Process => "process",
        }
    }

    /// Whether this platform can serve in this mode: thread mode everywhere, process mode
    /// on Unix only (see [`Server::bind`](crate::Server::bind)'s platform notes).
    ///
    /// # Examples
    /// ```
    /// use servedir::Mode;
    ///
    /// assert!(Mode::Thread.is_available());
    /// assert_eq!(Mode::Process.is_available(), cfg!(unix));
    /// ```
    pub fn is_available(self) -> bool {
        match self {
            Mode::Thread => true,
            Mode::Process => crate::platform::NO_PROCESS_MODE.is_none(),
        }
    }

    /// The connection cap when [`Limits::max_connections`] is `None`.
    ///
    /// Thread mode: 10,000 (a connection costs a thread of ~150 KiB at most and two
    /// file descriptors, so `ulimit -n` is the practical bound). Process mode: 256, because
    /// each connection is a whole process (~150-280 KiB RSS, a process-table entry, a
    /// fork and exec) that no file-descriptor limit bounds: 256 keep a 2-core machine
    /// responsive and under ~75 MB, and still serve ~40 browsers at 6 connections each.
    pub fn default_max_connections(self) -> usize {
        match self {
            Mode::Thread => 10_000,
            Mode::Process => 256,
        }
    }
}

/// Bounds that keep one client (or many) from exhausting the server.
///
/// A timeout longer than about 100 years (up to `Duration::MAX`) is not an error: it
/// means "practically never" and is cut to 100 years, so it cannot overflow the clock.
///
/// A test of a client's timeout handling can make the server strict:
///
/// ```
/// use std::time::Duration;
/// use servedir::{Config, Limits, Server};
///
/// let limits = Limits { head_timeout: Duration::from_millis(200), ..Limits::default() };
/// let config = Config { root: "html".into(), port: 0, limits, ..Config::default() };
/// let handle = Server::bind(config)?.spawn()?;
/// // A client that sends half a request is answered 408 after 0.2 s.
/// # use std::io::{Read, Write};
/// let mut client = std::net::TcpStream::connect(handle.local_addr())?;
/// client.write_all(b"GET / HTTP/1.1\r\n")?;
/// let mut answer = String::new();
/// client.read_to_string(&mut answer)?;
/// assert!(answer.starts_with("HTTP/1.1 408 "));
/// handle.shutdown()?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest request head (request line and headers) in bytes; larger → 431.
    pub max_head_bytes: usize,
    /// Most header fields in one request; more → 431.
    pub max_headers: usize,
    /// Most connections served at once; the excess gets 503 and is closed.
    ///
    /// `None` (the default) means the mode's own default,
    /// [`Mode::default_max_connections`]: 10,000 threads, but only 256 child processes,
    /// which cost far more each. `Some(n)` is used as given in either mode; read the
    /// effective cap with [`Limits::connection_cap`].
    pub max_connections: Option<usize>,
    /// Time allowed for a whole request head once a connection is open or a request began.
    pub head_timeout: Duration,
    /// How long an idle keep-alive connection is kept between requests.
    pub keep_alive_timeout: Duration,
    /// How long one write may block before the client is given up on.
    pub write_timeout: Duration,
    /// Slowest average rate, in bytes per second, at which a client may take a response
    /// (Apache's `MinRate` idea): a response may take `min_rate_grace` plus one second
    /// per `min_send_rate` bytes sent; a client reading slower is cut off, so it cannot
    /// hold a thread or a process for days by reading a few bytes per write timeout.
    /// 0 turns the rule off. The default, 1024, is a seventh of a 56k modem.
    pub min_send_rate: u64,
    /// The time every response gets before `min_send_rate` applies (slow start, a
    /// stalled moment early on).
    pub min_rate_grace: Duration,
    /// Largest request body read and thrown away to keep a connection usable;
    /// a larger one is answered and the connection closed.
    pub max_discard_body: u64,
}

impl Limits {
    /// The most connections served at once in `mode`: `max_connections` if set, else
    /// the mode's default.
    ///
    /// # Examples
    /// ```
    /// use servedir::{Limits, Mode};
    ///
    /// assert_eq!(Limits::default().connection_cap(Mode::Thread), 10_000);
    /// assert_eq!(Limits::default().connection_cap(Mode::Process), 256);
    /// let five = Limits { max_connections: Some(5), ..Limits::default() };
    /// assert_eq!(five.connection_cap(Mode::Process), 5);
    /// ```
    pub fn connection_cap(&self, mode: Mode) -> usize {
        self.max_connections
            .unwrap_or_else(|| mode.default_max_connections())
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head_bytes: 8 * 1024,
            max_headers: 100,
            max_connections: None,
            head_timeout: Duration::from_secs(10),
            keep_alive_timeout: Duration::from_secs(5),
            write_timeout: Duration::from_secs(30),
            min_send_rate: 1024,
            min_rate_grace: Duration::from_secs(30),
            max_discard_body: 64 * 1024,
        }
    }
}

/// How far "practically never" is: about 100 years. Longer timeouts and grace periods are
/// cut to this, so that adding one to `Instant::now()` cannot overflow.
pub(crate) const FAR_FUTURE: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

/// The instant `d` after `now`, saturating: `d` is cut to [`FAR_FUTURE`], so a caller's
/// `Duration::MAX` (library misuse, or "no limit") never panics on `Instant + Duration`
/// (issue 12, item 9). Every deadline built from a configured duration goes through this.
pub(crate) fn deadline(now: Instant, d: Duration) -> Instant {
    // Every platform's Instant holds a century past now; should one not, `now` (a
    // deadline already passed) is the safe answer: a timeout, never a panic.
    now.checked_add(d.min(FAR_FUTURE)).unwrap_or(now)
}

/// The smallest `max_head_bytes` that can serve anything: a request line and a `Host`.
/// A macro, so that `--help` can say it with `concat!` and never disagree.
macro_rules! min_head_bytes {
    () => {
        256
    };
}
pub(crate) use min_head_bytes;

/// Everything a [`Server`](crate::Server) needs to know.
///
/// `Config::default()` serves `html/` on 127.0.0.1 and ::1, port 7890, in thread mode,
/// with no access log (the command-line tool turns the log on unless `--quiet`). Set the
/// fields you need and take the rest from the default:
///
/// ```
/// use servedir::Config;
///
/// let config = Config {
///     root: "tests/fixtures".into(),
///     port: 0, // any free port: read it back from the server
///     listing: true,
///     headers: vec![("Access-Control-Allow-Origin".into(), "*".into())],
///     ..Config::default()
/// };
/// assert_eq!(config.index, "index.html");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The directory served. It is canonicalized when the server binds.
    pub root: PathBuf,
    /// Addresses to listen on; each gets its own listener on the same port.
    pub bind: Vec<IpAddr>,
    /// The port; 0 picks a free one (read it back with `Server::local_addr`).
    pub port: u16,
    /// Thread or process per connection.
    pub mode: Mode,
    /// Size, count and time bounds.
    pub limits: Limits,
    /// Serve files and directories whose name starts with `.` (otherwise 404).
    pub hidden: bool,
    /// Serve files whose real path (after symlinks) lies outside the root (otherwise 404).
    /// A dot-name anywhere on such a path still keeps it private unless `hidden`.
    pub follow_symlinks: bool,
    /// Write one access-log line per response to standard output.
    pub access_log: bool,
    /// The `Cache-Control` value sent with files. The default, `no-cache`, makes
    /// browsers revalidate every time (a developer never sees a stale file) while
    /// `304 Not Modified` keeps reloads cheap.
    pub cache_control: String,
    /// Serve `FILE.br` / `FILE.gz` beside `FILE` to clients that accept that encoding.
    pub precompressed: bool,
    /// The file served for a directory requested with a trailing slash.
    pub index: String,
    /// List directories that have no index file (HTML, or JSON for `Accept:
    /// application/json`) instead of answering 404.
    pub listing: bool,
    /// Single-page apps: a missing path that looks like a page navigation (no file
    /// extension, or `Accept: text/html`) gets the root's index file with 200.
    pub spa: bool,
    /// `Access-Control-Allow-Origin: *` on every response, and answers to CORS
    /// preflight `OPTIONS` requests.
    pub cors: bool,
    /// Cross-origin isolation (`Cross-Origin-Opener-Policy: same-origin`,
    /// `Cross-Origin-Embedder-Policy: require-corp`), for SharedArrayBuffer and wasm threads.
    pub coi: bool,
    /// Live reload (`--live`): HTML pages get a small external script
    /// (`/.servedir/live.js`) that opens an event stream to `/.servedir/live`; a change to
    /// a file the page loaded swaps that stylesheet in place (CSS) or reloads the page.
    pub live: bool,
    /// Clean URLs (`--clean-urls`): `/about` serves `about.html` when no `about` exists,
    /// and `/about.html` is redirected (301) to `/about`.
    pub clean_urls: bool,
    /// Extra fields sent on every response, e.g. `("Access-Control-Allow-Origin", "*")`.
    /// Names must be tokens and values visible ASCII, spaces and tabs (or empty);
    /// `Server::bind` checks.
    pub headers: Vec<(String, String)>,
    /// Called once for every response, just before it is sent; see [`Observer`].
    /// Thread mode only: process mode's children are other processes.
    pub observer: Option<Observer>,
    /// Process mode only: the `servedir` executable that serves each connection.
    ///
    /// The command-line tool sets this to itself. A program embedding servedir must
    /// point it at a `servedir` binary, because the embedding program cannot serve
    /// a connection when re-executed; `Server::bind` fails when it is missing.
    ///
    /// `Server::bind` opens the file once and keeps it open (failing if it is not an
    /// executable file). On Linux, children are then started from that open file
    /// (through `/proc/self/fd/N`), so deleting, renaming or replacing the path later
    /// changes nothing; overwriting the same file in place does. The file must be a
    /// binary, not a `#!` script: the open file is closed when the child starts, so an
    /// interpreter could not read it. Where `/proc` is not available, each child is
    /// started from the path.
    pub process_exe: Option<PathBuf>,
    /// Fault injection ([`Fault`](crate::Fault)): `None` (the default) turns it off and
    /// costs nothing; `Some(rules)` applies the first matching rule to each request, and
    /// lets [`ServerHandle::set_faults`](crate::ServerHandle::set_faults) replace the rules
    /// while the server runs (`Some(vec![])`: on, no rule yet). `Server::bind` checks them.
    pub faults: Option<Vec<crate::fault::Fault>>,
}

impl Config {
    /// Checks what `Server::bind` cannot fix: returns the reason, quoting the bad value.
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.bind.is_empty() {
            return Err("no address to bind".into());
        }
        if self.mode == Mode::Process && self.process_exe.is_none() {
            return Err(
                "process mode needs Config::process_exe: the path of a servedir binary".into(),
            );
        }
        if self.mode == Mode::Process && self.observer.is_some() {
            return Err(
                "Config::observer is not available in process mode: children are other processes"
                    .into(),
            );
        }
        let l = &self.limits;
        // The command line refuses these too: each would make every request fail.
        let cap = l.connection_cap(self.mode);
        if cap == 0 || l.max_headers == 0 || l.max_head_bytes < min_head_bytes!() {
            return Err(format!(
                "limits too small to serve anything: max_connections {cap}, max_headers {}, max_head_bytes {} (at least 1, 1 and {})",
                l.max_headers,
                l.max_head_bytes,
                min_head_bytes!()
            ));
        }
        let timeouts = [
            ("head_timeout", l.head_timeout),
            ("keep_alive_timeout", l.keep_alive_timeout),
            ("write_timeout", l.write_timeout),
            ("min_rate_grace", l.min_rate_grace),
        ];
        if let Some((name, _)) = timeouts.iter().find(|(_, d)| d.is_zero()) {
            return Err(format!("Limits::{name} must be greater than zero"));
        }
        let index = self.index.as_str();
        if !is_index_name(index) {
            return Err(format!(
                "invalid index file name {index:?}: expected a plain file name"
            ));
        }
        if !crate::http::request::is_field_value(&self.cache_control) {
            return Err(format!(
                "invalid Cache-Control value {:?}",
                self.cache_control
            ));
        }
        if let Some(rules) = &self.faults {
            crate::fault::check_all(rules).map_err(|e| e.to_string())?;
        }
        for (name, value) in &self.headers {
            check_header(name, value)
                .map_err(|why| format!("invalid header {name:?}: {value:?}: {why}"))?;
        }
        Ok(())
    }

    /// The loopback addresses servedir binds by default: 127.0.0.1 and ::1.
    pub fn loopback() -> Vec<IpAddr> {
        vec![
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ]
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            root: PathBuf::from("html"),
            bind: Config::loopback(),
            port: DEFAULT_PORT,
            mode: Mode::Thread,
            limits: Limits::default(),
            hidden: false,
            follow_symlinks: false,
            access_log: false,
            cache_control: DEFAULT_CACHE_CONTROL.to_owned(),
            precompressed: true,
            index: "index.html".to_owned(),
            listing: false,
            spa: false,
            cors: false,
            coi: false,
            live: false,
            clean_urls: false,
            headers: Vec::new(),
            observer: None,
            process_exe: None,
            faults: None,
        }
    }
}

/// Whether `name` may be `Config::index`: a plain file name, no separators, not `.` or
/// `..`; the one rule for `--index` and `Server::bind`.
pub(crate) fn is_index_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

/// Whether an extra response field may be sent: a token name, a value that cannot break
/// the head, and not one of the fields that frame a response (a duplicate would make it
/// unreadable). Returns what is wrong.
pub(crate) fn check_header(name: &str, value: &str) -> Result<(), &'static str> {
    use crate::http::request::{is_field_value, is_token};
    // An empty value is legal (RFC 9110 §5.5: `field-value = *field-content`) and has
    // uses, e.g. an empty `X-Robots-Tag:` override; `-H 'X-Empty:'` was refused.
    if !is_token(name) || !(value.is_empty() || is_field_value(value)) {
        return Err("expected a token name and a value of visible ASCII characters");
    }
    // Framing, and what describes each body: a fixed value would mislabel bytes
    // (Content-Encoding on a brotli sidecar, Content-Range on a 200) or make every file
    // answer 304 to every revalidation (a fixed ETag or Last-Modified).
    let own = [
        "content-length",
        "transfer-encoding",
        "connection",
        "content-encoding",
        "content-range",
        "etag",
        "last-modified",
    ];
    if own.iter().any(|f| name.eq_ignore_ascii_case(f)) {
        return Err("servedir sets that field itself");
    }
    Ok(())
}

/// What an [`Observer`] is told about each response.
///
/// # Examples
/// A request for a missing file, as the observer records it:
/// ```
/// use std::io::{Read, Write};
/// use std::sync::{Arc, Mutex};
/// use servedir::{Config, Observer, Record, Server};
///
/// let seen: Arc<Mutex<Vec<Record>>> = Arc::default();
/// let sink = Arc::clone(&seen);
/// let config = Config {
///     root: "html".into(),
///     bind: vec![[127, 0, 0, 1].into()],
///     port: 0,
///     observer: Some(Observer::new(move |r| sink.lock().unwrap().push(r.clone()))),
///     ..Config::default()
/// };
/// let handle = Server::bind(config)?.spawn()?;
/// let mut client = std::net::TcpStream::connect(handle.local_addr())?;
/// client.write_all(b"HEAD /no-such-page HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
/// client.read_to_end(&mut Vec::new())?;
/// let record = seen.lock().unwrap()[0].clone();
/// assert_eq!((record.method.as_str(), record.target.as_str()), ("HEAD", "/no-such-page"));
/// assert_eq!((record.status, record.bytes), (404, 0)); // HEAD: no body bytes
/// assert_eq!(record.peer, client.local_addr()?);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The client's address.
    pub peer: SocketAddr,
    /// The request method as sent (empty if the request line could not be read).
    pub method: String,
    /// The request-target as sent (empty if the request line could not be read).
    pub target: String,
    /// The status code of the response.
    pub status: u16,
    /// The body bytes the response carries (0 for HEAD).
    pub bytes: u64,
}

/// A callback told about every response, before it is sent: a test can assert what the
/// code under test requested, in order, as soon as its client has the answer.
///
/// # Examples
/// The observer is told before the response is sent, so once the client has its answer
/// the record is there:
/// ```
/// use std::io::{Read, Write};
/// use std::sync::{Arc, Mutex};
/// use servedir::{Config, Observer, Record, Server};
///
/// let seen: Arc<Mutex<Vec<Record>>> = Arc::default();
/// let sink = Arc::clone(&seen);
/// let config = Config {
///     root: "html".into(),
///     bind: vec![[127, 0, 0, 1].into()],
///     port: 0,
///     observer: Some(Observer::new(move |r| sink.lock().unwrap().push(r.clone()))),
///     ..Config::default()
/// };
/// let handle = Server::bind(config)?.spawn()?;
/// let mut client = std::net::TcpStream::connect(handle.local_addr())?;
/// client.write_all(b"GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
/// client.read_to_end(&mut Vec::new())?;
/// let expected = Record {
///     peer: client.local_addr()?,
///     method: "GET".into(),
///     target: "/index.html".into(),
///     status: 200,
///     bytes: std::fs::metadata("html/index.html")?.len(),
/// };
/// assert_eq!(*seen.lock().unwrap(), [expected]);
/// handle.shutdown()?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct Observer(Arc<dyn Fn(&Record) + Send + Sync>);

impl Observer {
    /// Wraps a callback.
    pub fn new(f: impl Fn(&Record) + Send + Sync + 'static) -> Observer {
        Observer(Arc::new(f))
    }

    /// Calls the callback (only servedir does, once per response).
    pub(crate) fn notify(&self, record: &Record) {
        (self.0)(record)
    }
}

impl fmt::Debug for Observer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Observer(..)")
    }
}

impl PartialEq for Observer {
    /// Two observers are equal when they are the same callback.
    fn eq(&self, other: &Observer) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Observer {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_saturate_instead_of_overflowing() {
        let now = Instant::now();
        assert_eq!(
            deadline(now, Duration::from_secs(5)),
            now + Duration::from_secs(5)
        );
        assert_eq!(deadline(now, Duration::ZERO), now);
        // `now + Duration::MAX` panics; issue 12, item 9.
        assert_eq!(deadline(now, Duration::MAX), now + FAR_FUTURE);
        assert_eq!(deadline(now, FAR_FUTURE * 2), now + FAR_FUTURE);
    }
}
