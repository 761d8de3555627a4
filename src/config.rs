//! What a server is told to do: [`Config`], [`Mode`] and [`Limits`], with defaults.
//!
//! Plain data only: no parsing (that is `cli.rs`) and no I/O (that is `server.rs`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::time::Duration;

/// The port servedir listens on when none is given (the lesson's port).
pub const DEFAULT_PORT: u16 = 7890;

/// The `Cache-Control` sent with files unless configured otherwise.
pub const DEFAULT_CACHE_CONTROL: &str = "no-cache";

/// How connections are served.
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
}

/// Bounds that keep one client (or many) from exhausting the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest request head (request line and headers) in bytes; larger → 431.
    pub max_head_bytes: usize,
    /// Most header fields in one request; more → 431.
    pub max_headers: usize,
    /// Most connections served at once; the excess gets 503 and is closed.
    pub max_connections: usize,
    /// Time allowed for a whole request head once a connection is open or a request began.
    pub head_timeout: Duration,
    /// How long an idle keep-alive connection is kept between requests.
    pub keep_alive_timeout: Duration,
    /// How long one write may block before the client is given up on.
    pub write_timeout: Duration,
    /// Largest request body read and thrown away to keep a connection usable;
    /// a larger one is answered and the connection closed.
    pub max_discard_body: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head_bytes: 8 * 1024,
            max_headers: 100,
            max_connections: 10_000,
            head_timeout: Duration::from_secs(10),
            keep_alive_timeout: Duration::from_secs(5),
            write_timeout: Duration::from_secs(30),
            max_discard_body: 64 * 1024,
        }
    }
}

/// Everything a [`Server`](crate::Server) needs to know.
///
/// `Config::default()` serves `html/` on 127.0.0.1 and ::1, port 7890, in thread mode,
/// with no access log (the command-line tool turns the log on unless `--quiet`).
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
    pub follow_symlinks: bool,
    /// Write one access-log line per response to standard output.
    pub access_log: bool,
    /// The `Cache-Control` value sent with files. The default, `no-cache`, makes
    /// browsers revalidate every time (a developer never sees a stale file) while
    /// `304 Not Modified` keeps reloads cheap.
    pub cache_control: String,
    /// Serve `FILE.br` / `FILE.gz` beside `FILE` to clients that accept that encoding.
    pub precompressed: bool,
    /// Process mode only: the `servedir` executable that serves each connection.
    ///
    /// The command-line tool sets this to itself. A program embedding servedir must
    /// point it at a `servedir` binary, because the embedding program cannot serve
    /// a connection when re-executed; `Server::bind` fails when it is missing.
    pub process_exe: Option<PathBuf>,
}

impl Config {
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
            process_exe: None,
        }
    }
}
