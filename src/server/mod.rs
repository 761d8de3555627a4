//! `Server`: bind the listeners, run the accept loops, hand each connection to a thread
//! (`workers.rs`) or, in process mode, a child process (`process.rs`, `exe.rs`), under
//! the connection cap (`slots.rs`). `shared.rs` holds what they all share; `handle.rs`
//! is the running server and its shutdown.
//!
//! It never parses a byte of a request: that is `connection/`.

use std::io;
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

#[cfg(unix)]
mod exe;
pub(crate) mod handle;
#[cfg(unix)]
pub(crate) mod process;
// Where std cannot hand a socket to a child, process mode is refused with a reason.
#[cfg(not(unix))]
#[path = "unsupported.rs"]
pub(crate) mod process;
#[cfg(not(unix))]
use process as exe;
mod shared;
mod slots;
mod workers;

use crate::config::{Config, Limits, Mode};
use crate::connection::refuse;
use crate::errors::{describe, is_address_unavailable, is_out_of_descriptors};
use crate::fault::control::Control;
use crate::fault::control::Faults;
use crate::http::status::Status;
use crate::log::Throttle;
use crate::respond::context::Context;
use crate::server::exe::Exe;
use crate::server::handle::ServerHandle;
use crate::server::process::Children;
use crate::server::shared::Shared;
use crate::server::slots::Slots;
use crate::server::workers::Workers;

/// Process mode with faults on: the channel children ask which fault rule fires
/// (`fault/control.rs`), so that counts and replaced rules are the parent's.
fn fault_channel(ctx: &Context, mode: Mode) -> io::Result<Option<Control>> {
    match (&ctx.faults, mode) {
        (Faults::Local(set), Mode::Process) => Control::start(Arc::clone(set)).map(Some),
        _ => Ok(None),
    }
}

/// How long the accept loop pauses when the process is out of file descriptors, so it
/// neither spins at 100% CPU nor exits; connections finishing free descriptors.
const FD_BACKOFF: Duration = Duration::from_millis(100);

/// A bound server: its listeners exist and its port is real, but nothing is served
/// until [`Server::run`].
///
/// # Examples
/// ```no_run
/// use servedir::{Config, Server};
///
/// let server = Server::bind(Config { root: "html".into(), port: 0, ..Config::default() })?;
/// println!("serving on http://{}/", server.local_addr());
/// server.run()?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Server {
    listeners: Vec<TcpListener>,
    /// The listeners' addresses, read once at bind.
    addrs: Vec<SocketAddr>,
    shared: Arc<Shared>,
}

impl Server {
    /// Canonicalizes the root and binds one listener per address in `config.bind`, all
    /// on one port (with port 0, the one the first listener got).
    ///
    /// Binding the default loopback pair skips `::1` on a machine without IPv6.
    ///
    /// # Errors
    /// The root is missing or not a directory; an address cannot be bound (each message
    /// names the path or address and what went wrong, e.g. `cannot bind 127.0.0.1:7890:
    /// address already in use`); `Unsupported` for process mode where it cannot exist
    /// (Windows); `InvalidInput` for a configuration that cannot work: process mode
    /// without `Config::process_exe` or with an observer, an invalid extra header or
    /// index name, no address to bind. In process mode,
    /// `Config::process_exe` is opened here: an error names it when it is missing or not
    /// an executable file.
    ///
    /// # Examples
    /// ```
    /// use servedir::{Config, Server};
    ///
    /// let server = Server::bind(Config { root: "html".into(), port: 0, ..Config::default() })?;
    /// assert_ne!(server.local_addr().port(), 0); // bound already: no race for the port
    ///
    /// let err = Server::bind(Config { root: "no/such/dir".into(), ..Config::default() }).unwrap_err();
    /// assert!(err.to_string().contains("no/such/dir"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn bind(config: Config) -> io::Result<Server> {
        let root = crate::platform::canonicalize(&config.root).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot serve {}: {}", config.root.display(), describe(&e)),
            )
        })?;
        if !root.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                format!("cannot serve {}: not a directory", config.root.display()),
            ));
        }
        // Before `check`: where process mode cannot exist, asking for `process_exe`
        // would send the caller after a setting that cannot help.
        if let (Mode::Process, Some(why)) = (config.mode, crate::platform::NO_PROCESS_MODE) {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!("Mode::Process is not available on this platform: {why}; use Mode::Thread"),
            ));
        }
        config
            .check()
            .map_err(|why| io::Error::new(io::ErrorKind::InvalidInput, why))?;
        let process_exe = match (&config.process_exe, config.mode) {
            (Some(path), Mode::Process) => Some(Exe::open(path)?),
            _ => None,
        };
        let listeners = bind_all(&config.bind, config.port)?
            .into_iter()
            .map(|l| with_connection_options(l, &config.limits))
            .collect::<io::Result<Vec<_>>>()?;
        let mut config = config;
        // Absolute but not canonical: a root given through a symlink is followed per
        // request (`Context::current_root`), also by process mode's children.
        config.root = std::path::absolute(&config.root).unwrap_or_else(|_| root.clone());
        let addrs = listeners
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .collect();
        let mode = config.mode;
        let ctx = Context::new(config, root);
        let fault_control = fault_channel(&ctx, mode)?;
        Ok(Server {
            listeners,
            addrs,
            shared: Arc::new(Shared {
                slots: Slots::new(ctx.config.limits.connection_cap(mode)),
                ctx,
                fault_control,
                shutdown: AtomicBool::new(false),
                workers: Workers::default(),
                process_exe,
                accept_errors: Throttle::default(),
                start_errors: Throttle::default(),
                log_drops: Throttle::default(),
                child_stderr: Throttle::default(),
            }),
        })
    }

    /// The address of the first listener; its port is the real one even if 0 was asked.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addrs()[0]
    }

    /// The addresses of all listeners, in the order of `Config::bind`.
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// The served directory, canonicalized when the server was bound. A root given through
    /// a symlink is followed anew by every request, so it may lead elsewhere later.
    pub fn root(&self) -> &Path {
        &self.shared.ctx.root
    }

    /// `http://ADDR/` for the first listener, ready to append a path to.
    pub fn url(&self) -> String {
        format!("http://{}/", self.local_addr())
    }

    /// Serves until the process ends: one accept loop per listener.
    ///
    /// # Errors
    /// Only if a helper thread cannot be started at all. Accept errors are logged and
    /// survived, never returned.
    pub fn run(self) -> io::Result<()> {
        self.spawn()?.join();
        Ok(())
    }

    /// Serves on background threads and returns at once; the returned handle stops the
    /// server when shut down or dropped.
    ///
    /// # Errors
    /// A thread cannot be started.
    ///
    /// # Examples
    /// ```
    /// use std::io::{Read, Write};
    /// use servedir::{Config, Server};
    ///
    /// let server = Server::bind(Config { root: "html".into(), port: 0, ..Config::default() })?;
    /// let handle = server.spawn()?;
    /// let mut client = std::net::TcpStream::connect(handle.local_addr())?;
    /// client.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
    /// let mut response = String::new();
    /// client.read_to_string(&mut response)?;
    /// assert!(response.starts_with("HTTP/1.1 200 OK\r\n"));
    /// handle.shutdown()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn spawn(self) -> io::Result<ServerHandle> {
        let children = match self.shared.ctx.config.mode {
            Mode::Thread => {
                Workers::start(&self.shared)?;
                None
            }
            Mode::Process => Some(Children::start(&self.shared)?),
        };
        let mut loops = Vec::new();
        for listener in self.listeners {
            let addr = listener.local_addr()?;
            // Two threads accept from each listener: std's backlog is fixed at 128, and
            // while one accepting thread waits for the CPU the other drains the queue,
            // so a burst of connects does not overflow it (a dropped SYN costs 1 s).
            // Where a second accepting thread needs a duplicated socket that loses
            // connections (Windows, `platform::ACCEPT_THREADS`), one thread accepts.
            let listeners = match crate::platform::ACCEPT_THREADS {
                2 => vec![listener.try_clone()?, listener],
                _ => vec![listener],
            };
            for listener in listeners {
                let shared = Arc::clone(&self.shared);
                let children = children.clone();
                let accept = thread::Builder::new()
                    .name("servedir-accept".into())
                    .spawn(move || accept_loop(&listener, &shared, children.as_ref()))?;
                loops.push((addr, accept));
            }
        }
        Ok(ServerHandle::new(Arc::clone(&self.shared), loops, children))
    }
}

/// Binds every address on one port; with port 0 the first listener picks it.
fn bind_all(addrs: &[IpAddr], requested: u16) -> io::Result<Vec<TcpListener>> {
    let is_default = addrs == Config::loopback().as_slice();
    // With port 0, another process may take the first listener's port on the second
    // address before we bind it: start over a few times.
    for _attempt in 0..10 {
        let mut listeners: Vec<TcpListener> = Vec::new();
        let mut port = requested;
        let mut retry = false;
        for &ip in addrs {
            let addr = SocketAddr::new(ip, port);
            match TcpListener::bind(addr) {
                Ok(l) => {
                    port = l.local_addr()?.port();
                    listeners.push(l);
                }
                // No IPv6 on this machine: the default loopback pair serves IPv4 only.
                Err(e)
                    if is_default
                        && ip.is_ipv6()
                        && !listeners.is_empty()
                        && is_address_unavailable(&e) => {}
                Err(e) if e.kind() == io::ErrorKind::AddrInUse && ip.is_unspecified() => {
                    if let Some(own) = own_other_wildcard(&listeners, ip) {
                        return Err(dual_stack_clash(addr, own, &e));
                    }
                    if requested == 0 && !listeners.is_empty() {
                        retry = true;
                        break;
                    }
                    return Err(io::Error::new(
                        e.kind(),
                        format!("cannot bind {addr}: {}", describe(&e)),
                    ));
                }
                Err(e)
                    if e.kind() == io::ErrorKind::AddrInUse
                        && requested == 0
                        && !listeners.is_empty() =>
                {
                    retry = true;
                    break;
                }
                Err(e) => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!("cannot bind {addr}: {}", describe(&e)),
                    ))
                }
            }
        }
        if !retry {
            return Ok(listeners);
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AddrInUse,
        "cannot bind: no port was free on every address",
    ))
}

/// Our own listener on the other family's wildcard address (`0.0.0.0` for `::`, and the
/// reverse), if `listeners` has one.
fn own_other_wildcard(listeners: &[TcpListener], ip: IpAddr) -> Option<SocketAddr> {
    listeners
        .iter()
        .filter_map(|l| l.local_addr().ok())
        .find(|a| a.ip().is_unspecified() && a.is_ipv4() != ip.is_ipv4())
}

/// `0.0.0.0` and `::` on one port: where `::` is dual-stack (Linux's default,
/// `net.ipv6.bindv6only = 0`) it takes IPv4 too, so the second bind finds the port in
/// use by servedir itself. Say so, rather than leave "Address already in use" to suggest
/// another program (issue 12, item 13). Not dropped silently: the user asked for both.
fn dual_stack_clash(addr: SocketAddr, own: SocketAddr, e: &io::Error) -> io::Error {
    io::Error::new(
        e.kind(),
        format!(
            "cannot bind {addr}: {}: it clashes with servedir's own listener on {own}, \
             because `::` is dual-stack here and already covers IPv4; bind `::` alone \
             to serve both IPv4 and IPv6",
            describe(e)
        ),
    )
}

/// Sets on the listening socket the options every connection needs, so that Linux copies
/// them into each accepted socket (`connection::set_connection_options`): that saves
/// three syscalls per connection, in both modes. Where sockets do not inherit them,
/// `serve_connection` sets them itself; `accepted_sockets_inherit_the_listeners_options`
/// checks the Linux case.
fn with_connection_options(listener: TcpListener, limits: &Limits) -> io::Result<TcpListener> {
    crate::platform::with_stream_options(listener, |socket| {
        crate::connection::set_connection_options(socket, limits)
    })
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>, children: Option<&Children>) {
    loop {
        let accepted = listener.accept();
        if shared.shutdown.load(Ordering::SeqCst) {
            return;
        }
        match accepted {
            Ok((stream, _)) => match children {
                None => spawn_thread(shared, stream),
                Some(children) => children.spawn(shared, stream),
            },
            Err(e) => {
                let out_of_fds = is_out_of_descriptors(&e);
                // The listener's read timeout (set for the sockets it hands out) also
                // bounds accept: an idle listener wakes up now and then, harmlessly.
                let quiet = matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionAborted
                        | io::ErrorKind::Interrupted
                        | io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                );
                // A flood of EMFILE must not flood stderr.
                if !quiet {
                    shared
                        .accept_errors
                        .report(format_args!("accept failed: {e}"));
                }
                if out_of_fds {
                    thread::sleep(FD_BACKOFF);
                }
            }
        }
    }
}

fn spawn_thread(shared: &Arc<Shared>, stream: TcpStream) {
    // Shared with the slot registry, so that shutdown can end the connection.
    let stream = Arc::new(stream);
    match shared.slots.take(Some(&stream)) {
        Some(slot) => shared.workers.dispatch(stream, slot),
        None => refuse(&stream, Status::ServiceUnavailable, &shared.ctx),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 12 item 7: process mode had thread mode's cap of 10,000, i.e. up to
    /// 10,000 processes; an explicit cap still wins in either mode. Where process mode
    /// cannot exist (not Unix, `unsupported.rs`), binding it is refused, whatever the cap.
    #[test]
    fn each_mode_has_its_own_default_cap() {
        let exe = std::env::current_exe().unwrap();
        let capacity = |mode, max_connections| -> Result<usize, io::ErrorKind> {
            let server = Server::bind(Config {
                root: env!("CARGO_MANIFEST_DIR").into(),
                bind: vec![IpAddr::from([127, 0, 0, 1])],
                port: 0,
                mode,
                process_exe: Some(exe.clone()),
                limits: Limits {
                    max_connections,
                    ..Limits::default()
                },
                ..Config::default()
            })
            .map_err(|e| e.kind())?;
            let slots = &server.shared.slots;
            let held: Vec<_> = std::iter::from_fn(|| slots.take(None))
                .take(20_000)
                .collect();
            Ok(held.len())
        };
        let process = |cap| {
            if cfg!(unix) {
                Ok(cap)
            } else {
                Err(io::ErrorKind::Unsupported)
            }
        };
        assert_eq!(capacity(Mode::Process, None), process(256));
        assert_eq!(capacity(Mode::Thread, None), Ok(10_000));
        assert_eq!(capacity(Mode::Process, Some(3)), process(3));
        assert_eq!(capacity(Mode::Process, Some(12_000)), process(12_000));
        assert_eq!(capacity(Mode::Thread, Some(3)), Ok(3));
    }

    #[test]
    fn process_mode_without_an_exe_is_unsupported_where_it_cannot_exist() {
        let root = std::env::temp_dir();
        let kind = Server::bind(Config {
            root,
            port: 0,
            mode: Mode::Process,
            ..Config::default()
        })
        .map(|_| ())
        .map_err(|e| e.kind());
        let expected = if cfg!(unix) {
            io::ErrorKind::InvalidInput // process_exe is missing
        } else {
            io::ErrorKind::Unsupported
        };
        assert_eq!(kind, Err(expected));
    }

    // Linux only: elsewhere accepted sockets start without them (see platform/mod.rs), and
    // accept waits without a timeout.
    #[cfg(target_os = "linux")]
    #[test]
    fn accepted_sockets_inherit_the_listeners_options() {
        let limits = Limits {
            head_timeout: Duration::from_millis(1500),
            write_timeout: Duration::from_secs(7),
            ..Limits::default()
        };
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let listener = with_connection_options(listener, &limits).unwrap();
        let _client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        // serve_connection sets none of these itself: Linux copies them on accept.
        assert!(accepted.nodelay().unwrap());
        assert_eq!(accepted.read_timeout().unwrap(), Some(limits.head_timeout));
        assert_eq!(
            accepted.write_timeout().unwrap(),
            Some(limits.write_timeout)
        );
        // The read timeout bounds accept too: the accept loop treats that as quiet.
        let short = Limits {
            head_timeout: Duration::from_millis(50),
            ..Limits::default()
        };
        let idle = with_connection_options(TcpListener::bind("127.0.0.1:0").unwrap(), &short);
        let err = idle.unwrap().accept().unwrap_err();
        assert!(matches!(
            err.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ));
    }
}
