//! Process mode: each connection is served by a child process running the same
//! `serve_connection` as thread mode.
//!
//! std has no bare `fork`, so the child is a `servedir` executable started with a hidden
//! flag and the parent's effective configuration, its stdin being the accepted socket.
//! The executable is opened once at bind (`exe.rs`) and, on Linux, started through that
//! open file, so deleting or replacing the binary on disk changes nothing.
//!
//! Hand-over: the parent keeps a copy of the socket, with its read timeout cleared, until
//! the child *takes* the connection by setting a read timeout (`take_connection`), which
//! a `servedir` child does before it reads or writes a byte. A child that exits or
//! stalls without taking it (it could not start serving, it is not `servedir`, it was
//! killed) gets its client answered by the parent (500, or 503 at shutdown), so the
//! client never sees a bare reset; once taken, the parent never writes, drops its copy,
//! and a child that dies mid-connection ends it without a status, as a panicking thread
//! does in thread mode. The parent never reads from the socket, and reaps every child.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read};
use std::net::{Shutdown, TcpStream};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStderr, Command, ExitCode, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crate::cli;
use crate::config::Config;
use crate::connection::{refuse, serve_connection, Stop};
use crate::errors::is_client_gone;
use crate::fault;
use crate::http::status::Status;
use crate::log::{self, Throttle};
use crate::respond::context::Context;
use crate::respond::filecache::FileCache;
use crate::server::shared::Shared;
use crate::server::slots::Slot;

/// How often the reaper looks for finished children while any are running.
const REAP_INTERVAL: Duration = Duration::from_millis(10);
/// How long a child may take to take its connection before it is killed and its client
/// answered 500: starting a process takes milliseconds, but a loaded machine may be slow.
const HANDOVER_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest read timeout a child takes its connection with. Linux reads back a
/// timeout too large for its clock as "none", which is the parent's "not taken" mark.
const MAX_TAKE_TIMEOUT: Duration = Duration::from_secs(365 * 86_400);

/// What the reaper thread is told.
enum Msg {
    /// A child started, holding a connection slot until it exits.
    Started(Running),
    /// The server is shutting down: wait for the children until the deadline, kill the
    /// rest, reap them all, then say so on the channel.
    Finish(Instant, Sender<()>),
}

/// The parent's side: starts children and hands them to the reaper thread.
#[derive(Debug, Clone)]
pub(crate) struct Children {
    reaper: Sender<Msg>,
    /// Every child's arguments: the configuration never changes, so they are written
    /// once, not per connection.
    args: Arc<[OsString]>,
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Msg")
    }
}

impl Children {
    /// Starts the reaper thread.
    pub(crate) fn start(shared: &Arc<Shared>) -> io::Result<Children> {
        let (tx, rx) = mpsc::channel::<Msg>();
        let args = cli::child_args(&shared.ctx.config).into();
        let shared = Arc::clone(shared);
        thread::Builder::new()
            .name("servedir-reaper".into())
            .spawn(move || reap(&rx, &shared))?;
        Ok(Children { reaper: tx, args })
    }

    /// Serves `stream` in a new child process, or answers 503 if none can be started
    /// or the server is at its connection cap (which counts live children).
    pub(crate) fn spawn(&self, shared: &Arc<Shared>, stream: TcpStream) {
        // The child owns the socket: it is not registered here (shutdown kills children).
        let Some(slot) = shared.slots.take(None) else {
            refuse(&stream, Status::ServiceUnavailable, &shared.ctx);
            return;
        };
        let Some(exe) = &shared.process_exe else {
            // Server::bind refuses process mode without an executable.
            refuse(&stream, Status::InternalServerError, &shared.ctx);
            return;
        };
        // Kept to answer the client if the child cannot start or never takes the
        // connection. A cleared read timeout marks it "not taken" (see the module doc);
        // if it cannot be marked, the parent will never know, so never answers.
        let spare = stream.try_clone().ok();
        let marked = spare
            .as_ref()
            .is_some_and(|s| s.set_read_timeout(None).is_ok());
        let mut command = Command::new(&exe.run);
        command
            .arg0("servedir")
            .args(self.args.iter())
            .stdin(Stdio::from(OwnedFd::from(stream)))
            .stdout(Stdio::inherit())
            // Read when the child is gone and passed on once a second for all children
            // (see `Running::relay_stderr`): inherited, a flood of malformed connections
            // wrote a stderr line per child.
            .stderr(Stdio::piped());
        fault_channel(&mut command, shared);
        let spawned = command.spawn();
        // The command still holds the parent's copy of the socket: close it now, or the
        // client would see no EOF when the child closes (the lesson's "the parent must
        // close it too").
        drop(command);
        match spawned {
            Ok(mut child) => {
                let stderr = child.stderr.take().and_then(never_blocking);
                let running = Running {
                    child,
                    stderr,
                    _slot: slot,
                    untaken: spare.filter(|_| marked),
                    started: Instant::now(),
                };
                if let Err(mpsc::SendError(Msg::Started(mut running))) =
                    self.reaper.send(Msg::Started(running))
                {
                    // The reaper has finished (shutdown): never leave a zombie.
                    let _ = running.child.kill();
                    let dead = running.child.wait().is_ok();
                    running.settle(dead, Status::ServiceUnavailable, shared);
                }
            }
            Err(e) => {
                shared
                    .start_errors
                    .report(format_args!("cannot start a child process: {e}"));
                if let Some(spare) = spare {
                    refuse(&spare, Status::ServiceUnavailable, &shared.ctx);
                }
            }
        }
    }
}

/// Tells a child where the parent's fault rules are (`fault/control.rs`), or that there
/// are none (an inherited variable must not point it at another server's).
///
/// The environment is touched only when it must be: any change makes std copy the whole
/// environment for each child (`Command::capture_env`, ~6% of the parent's time per
/// connection), where an untouched one is passed on as it is.
fn fault_channel(command: &mut Command, shared: &Shared) {
    match &shared.fault_control {
        Some(control) => {
            command.env(fault::control::ENV, control.env_value());
        }
        None if std::env::var_os(fault::control::ENV).is_some() => {
            command.env_remove(fault::control::ENV);
        }
        None => {}
    }
}

/// A child serving (or about to serve) one connection.
struct Running {
    child: Child,
    /// The read end of the child's stderr, non-blocking; read once the child is reaped.
    stderr: Option<File>,
    /// Released when the child is reaped: the cap counts live children.
    _slot: Slot,
    /// The parent's copy of the socket, until the child takes the connection.
    untaken: Option<TcpStream>,
    started: Instant,
}

impl Running {
    /// Looks at the child once, without blocking; returns whether it has been reaped.
    ///
    /// Drops the parent's copy of the socket as soon as the child has taken the
    /// connection; answers 500 for a child that exited without taking it, or that has
    /// not taken it within [`HANDOVER_TIMEOUT`] (it is killed).
    fn poll(&mut self, shared: &Shared) -> bool {
        let exited = match self.child.try_wait() {
            Ok(None) => false,
            Ok(Some(status)) => {
                if status.code() == Some(i32::from(EXIT_LOG_DROPPED)) {
                    shared.log_drops.report(format_args!(
                        "access-log lines of a process-mode connection dropped: \
                         stdout is not being read fast enough"
                    ));
                }
                true
            }
            // Not ours to wait for any more: it cannot be known to be dead.
            Err(_) => return self.settle(false, Status::InternalServerError, shared),
        };
        if exited {
            return self.settle(true, Status::InternalServerError, shared);
        }
        if self.untaken.as_ref().is_some_and(taken) {
            self.untaken = None;
        } else if self.untaken.is_some() && self.started.elapsed() >= HANDOVER_TIMEOUT {
            let _ = self.child.kill();
            let dead = self.child.wait().is_ok();
            return self.settle(dead, Status::InternalServerError, shared);
        }
        false
    }

    /// For a child that is gone: if it is known `dead` and never took its connection,
    /// answers the client with `status`; passes on what it wrote on stderr. Returns true.
    fn settle(&mut self, dead: bool, status: Status, shared: &Shared) -> bool {
        if let Some(spare) = self.untaken.take() {
            // Only a dead child is sure never to write: a status after its bytes would
            // corrupt the response.
            if dead && !taken(&spare) {
                refuse(&spare, status, &shared.ctx);
            }
        }
        if dead {
            self.relay_stderr(&shared.child_stderr);
        }
        true
    }

    /// Passes on what the reaped child wrote on stderr (its malformed-request reasons,
    /// `child: ...`, a panic), as it wrote it, unless `throttle` let another child's
    /// through less than a second ago: one child's lines a second for all children,
    /// with a count of the children left out.
    ///
    /// Never blocks the reaper: the pipe is non-blocking, and read only once the child
    /// is reaped, when its end is closed (a child killed mid-write closes it too), and
    /// at most [`CHILD_STDERR_BYTES`] of it.
    fn relay_stderr(&mut self, throttle: &Throttle) {
        let Some(pipe) = self.stderr.take() else {
            return;
        };
        let mut text = Vec::new();
        // WouldBlock (something else still holds the write end) keeps what was read.
        let _ = pipe.take(CHILD_STDERR_BYTES).read_to_end(&mut text);
        if text.is_empty() {
            return;
        }
        let Some(left_out) = throttle.allow(Instant::now()) else {
            return;
        };
        for line in text
            .split_inclusive(|&b| b == b'\n')
            .take(CHILD_STDERR_LINES)
        {
            log::relay(line);
        }
        if left_out > 0 {
            log::warn(format_args!(
                "({left_out} more process-mode connection{} wrote to stderr, not shown: \
                 one a second is)",
                if left_out == 1 { "" } else { "s" }
            ));
        }
    }
}

/// Most bytes of one child's stderr the parent reads: children write a few lines.
const CHILD_STDERR_BYTES: u64 = 64 * 1024;
/// Most lines of one child's stderr passed on (a panic takes three).
const CHILD_STDERR_LINES: usize = 16;

/// The read end of a child's stderr, made non-blocking so that reading it can never
/// hold up the reaper; `None` (the child's stderr is then discarded) if that fails.
///
/// std has no `set_nonblocking` for pipes; the socket one is `ioctl(FIONBIO)`, which
/// Linux applies to any file, and the flag stays with the open file when it is handed on.
fn never_blocking(pipe: ChildStderr) -> Option<File> {
    let fd = UnixStream::from(OwnedFd::from(pipe));
    fd.set_nonblocking(true).ok()?;
    Some(File::from(OwnedFd::from(fd)))
}

/// Whether a child has taken the connection: it set a read timeout on the socket the
/// parent left without one. When unsure (the query failed), say yes: never write then.
fn taken(socket: &TcpStream) -> bool {
    !matches!(socket.read_timeout(), Ok(None))
}

impl Children {
    /// Waits for the children until `deadline`, kills those still running, reaps all,
    /// and stops the reaper.
    pub(crate) fn finish(self, deadline: Instant) {
        let (done, wait) = mpsc::channel();
        if self.reaper.send(Msg::Finish(deadline, done)).is_ok() {
            let _ = wait.recv();
        }
    }
}

/// Waits for children as they finish, releasing each one's connection slot: no zombies.
fn reap(rx: &Receiver<Msg>, shared: &Shared) {
    let mut running: Vec<Running> = Vec::new();
    loop {
        let next = if running.is_empty() {
            rx.recv().map_err(|_| RecvTimeoutError::Disconnected)
        } else {
            rx.recv_timeout(REAP_INTERVAL)
        };
        match next {
            Ok(Msg::Started(child)) => running.push(child),
            Ok(Msg::Finish(deadline, done)) => {
                finish(running, deadline, shared);
                let _ = done.send(());
                return;
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                for mut r in running.drain(..) {
                    let dead = r.child.wait().is_ok();
                    r.settle(dead, Status::InternalServerError, shared);
                }
                return;
            }
        }
        running.retain_mut(|r| !r.poll(shared));
    }
}

fn finish(mut running: Vec<Running>, deadline: Instant, shared: &Shared) {
    while !running.is_empty() && Instant::now() < deadline {
        running.retain_mut(|r| !r.poll(shared));
        thread::sleep(REAP_INTERVAL);
    }
    for mut r in running {
        let _ = r.child.kill();
        let dead = r.child.wait().is_ok();
        // The server is going away: a client whose child never began is told to retry.
        r.settle(dead, Status::ServiceUnavailable, shared);
    }
}

/// The child's side: serves the one connection passed as standard input, and says how
/// it went as the process's exit status.
///
/// This is what `servedir --serve-child` runs, with the configuration the parent passes.
/// Setting the socket's read timeout takes the connection from the parent (see the
/// module doc): nothing before it may write to the socket, and nothing after it fails.
///
/// Exit status: success; 3 when the connection was served but some of
/// its access-log lines could not be written in time (stdout not read: the parent reports
/// it, at most once a second for all children); failure when standard input is not a
/// socket (the parent then answers the client with 500), with the reason on stderr.
pub fn serve_inherited_connection(config: Config) -> ExitCode {
    // Drops are the parent's to report: a line per child would flood stderr.
    log::report_drops_to_parent();
    let served = serve_stdin(config);
    if let Err(e) = &served {
        // A client that reset the connection before the child started is nothing to
        // report (a line per reset flooded stderr, and a stalled stderr held every slot).
        if !is_client_gone(e) {
            log::warn(format_args!("child: {e}"));
        }
    }
    // Bounded, so a stalled stdout or stderr cannot keep this child, and its slot, alive.
    let dropped = log::flush(CHILD_LOG_FLUSH);
    match served {
        Err(e) if !is_client_gone(&e) => ExitCode::FAILURE,
        _ if dropped > 0 => ExitCode::from(EXIT_LOG_DROPPED),
        _ => ExitCode::SUCCESS,
    }
}

/// The exit status of a child that served its connection but dropped access-log lines.
pub(crate) const EXIT_LOG_DROPPED: u8 = 3;

/// Serves the socket on standard input.
fn serve_stdin(config: Config) -> io::Result<()> {
    let fd = io::stdin().as_fd().try_clone_to_owned()?;
    let stream = TcpStream::from(fd);
    // Fails with ENOTSOCK when stdin is not a socket (someone ran the hidden flag by hand).
    stream.peer_addr()?;
    // The listener gave the socket these already; a socket from anywhere else gets them
    // here (a few syscalls are nothing next to starting a process).
    let limits = &config.limits;
    stream.set_nodelay(true)?;
    stream.set_write_timeout(Some(limits.write_timeout))?;
    // A root deleted since start-up is served as thread mode serves it (404s, and
    // files again once it is back), not refused. The parent passes it absolute, not
    // canonical: a root given through a symlink is followed per request here too.
    let root = crate::platform::canonicalize(&config.root)
        .or_else(|_| std::path::absolute(&config.root))
        .unwrap_or_else(|_| config.root.clone());
    if cfg!(debug_assertions)
        && std::env::var_os("SERVEDIR_TEST_HOOKS").is_some_and(|v| v == "child-abort")
    {
        // Test hook: a child killed before it takes its connection.
        std::process::abort();
    }
    take_connection(&stream, limits.head_timeout)?;
    let mut ctx = Context::new(config, root);
    ctx.files = Arc::new(FileCache::for_child());
    // The parent's rules and counts, when it has a fault channel; else (a child started
    // by hand) the rules of its own arguments.
    let channel = std::env::var(fault::control::ENV).ok();
    if let Some(client) = channel
        .as_deref()
        .and_then(fault::control::Client::from_env)
    {
        ctx.faults = fault::control::Faults::Remote(Arc::new(client));
    }
    // A child's connection ends at shutdown through its socket (`Children::finish`), and
    // its long waits when the parent is gone (`Stop::child`).
    serve_connection(&stream, &ctx, Stop::child(&AtomicBool::new(false)));
    // The client is done with: let it see the end now (the parent may hold a copy of the
    // socket a few ms more, and stdin holds it until the log is flushed and we exit).
    let _ = stream.shutdown(Shutdown::Both);
    Ok(())
}

/// How long a finished child waits for its log lines to be written, and again for its
/// diagnostics. A reader that reads takes them in microseconds; a stalled one costs each
/// child 50 ms (see `log::flush`), a slow one this much and no more.
const CHILD_LOG_FLUSH: Duration = Duration::from_millis(300);

/// Takes the connection from the parent by setting the first request's read timeout
/// (never "none", which is the parent's mark for "not taken").
fn take_connection(stream: &TcpStream, head_timeout: Duration) -> io::Result<()> {
    stream.set_read_timeout(Some(
        head_timeout.clamp(Duration::from_millis(1), MAX_TAKE_TIMEOUT),
    ))
}
