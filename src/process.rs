//! Process mode: each connection is served by a child process running the same
//! `serve_connection` as thread mode.
//!
//! std has no bare `fork`, so the child is a `servedir` executable started with a hidden
//! flag and the parent's effective configuration, its stdin being the accepted socket.
//! The parent never reads from the socket, closes its copy at once, and reaps every child.

use std::io;
use std::net::{Shutdown, TcpStream};
use std::os::fd::{AsFd, OwnedFd};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crate::cli;
use crate::config::Config;
use crate::connection::{refuse, serve_connection, Context};
use crate::filecache::FileCache;
use crate::log;
use crate::response::Status;
use crate::server::Shared;
use crate::slots::Slot;

/// How often the reaper looks for finished children while any are running.
const REAP_INTERVAL: Duration = Duration::from_millis(10);

/// What the reaper thread is told.
enum Msg {
    /// A child started, holding a connection slot until it exits.
    Started(Child, Slot),
    /// The server is shutting down: wait for the children until the deadline, kill the
    /// rest, reap them all, then say so on the channel.
    Finish(Instant, Sender<()>),
}

/// The parent's side: starts children and hands them to the reaper thread.
#[derive(Debug, Clone)]
pub(crate) struct Children {
    reaper: Sender<Msg>,
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Msg")
    }
}

impl Children {
    /// Starts the reaper thread.
    pub(crate) fn start() -> io::Result<Children> {
        let (tx, rx) = mpsc::channel::<Msg>();
        thread::Builder::new()
            .name("servedir-reaper".into())
            .spawn(move || reap(&rx))?;
        Ok(Children { reaper: tx })
    }

    /// Serves `stream` in a new child process, or answers 503 if none can be started
    /// or the server is at its connection cap (which counts live children).
    pub(crate) fn spawn(&self, shared: &Arc<Shared>, stream: TcpStream) {
        // The child owns the socket: it is not registered here (shutdown kills children).
        let Some(slot) = shared.slots.take(None) else {
            refuse(&stream, Status::ServiceUnavailable, &shared.ctx);
            return;
        };
        let config = &shared.ctx.config;
        let Some(exe) = &config.process_exe else {
            // Server::bind refuses process mode without an executable.
            refuse(&stream, Status::InternalServerError, &shared.ctx);
            return;
        };
        // Kept only to answer 503 if the child cannot start; dropped right after.
        let spare = stream.try_clone();
        let mut command = Command::new(exe);
        command
            .args(cli::child_args(config))
            .stdin(Stdio::from(OwnedFd::from(stream)))
            .stdout(Stdio::inherit())
            .stderr(Stdio::inherit());
        match command.spawn() {
            Ok(child) => {
                // The command still holds the parent's copy of the socket: close it now,
                // or the client would see no EOF when the child closes (the lesson's
                // "the parent must close it too").
                drop(command);
                drop(spare);
                if let Err(mpsc::SendError(Msg::Started(mut child, _slot))) =
                    self.reaper.send(Msg::Started(child, slot))
                {
                    // The reaper has finished (shutdown): never leave a zombie.
                    let _ = child.kill();
                    let _ = child.wait();
                }
            }
            Err(e) => {
                eprintln!("servedir: cannot start a child process: {e}");
                drop(command);
                if let Ok(spare) = spare {
                    refuse(&spare, Status::ServiceUnavailable, &shared.ctx);
                }
            }
        }
    }
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
fn reap(rx: &Receiver<Msg>) {
    let mut running: Vec<(Child, Slot)> = Vec::new();
    loop {
        let next = if running.is_empty() {
            rx.recv().map_err(|_| RecvTimeoutError::Disconnected)
        } else {
            rx.recv_timeout(REAP_INTERVAL)
        };
        match next {
            Ok(Msg::Started(child, slot)) => running.push((child, slot)),
            Ok(Msg::Finish(deadline, done)) => {
                finish(running, deadline);
                let _ = done.send(());
                return;
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                for (mut child, _slot) in running.drain(..) {
                    let _ = child.wait();
                }
                return;
            }
        }
        running.retain_mut(|(child, _)| !matches!(child.try_wait(), Ok(Some(_)) | Err(_)));
    }
}

fn finish(mut running: Vec<(Child, Slot)>, deadline: Instant) {
    while !running.is_empty() && Instant::now() < deadline {
        running.retain_mut(|(child, _)| !matches!(child.try_wait(), Ok(Some(_)) | Err(_)));
        thread::sleep(REAP_INTERVAL);
    }
    for (mut child, _slot) in running {
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// The child's side: serves the one connection passed as standard input, then returns.
///
/// This is what `servedir --serve-child` runs; the root in `config` is already canonical.
///
/// # Errors
/// Standard input is not a socket, or the root cannot be opened.
pub fn serve_inherited_connection(config: Config) -> io::Result<()> {
    let fd = io::stdin().as_fd().try_clone_to_owned()?;
    let stream = TcpStream::from(fd);
    // Fails with ENOTSOCK when stdin is not a socket (someone ran the hidden flag by hand).
    stream.peer_addr()?;
    // The parent's listener gave the socket these already; a socket from anywhere else
    // gets them here (three syscalls are nothing next to starting a process).
    let limits = &config.limits;
    stream.set_nodelay(true)?;
    stream.set_write_timeout(Some(limits.write_timeout))?;
    stream.set_read_timeout(Some(limits.head_timeout))?;
    let root = std::fs::canonicalize(&config.root)?;
    let mut ctx = Context::new(config, root);
    ctx.files = Arc::new(FileCache::for_child());
    serve_connection(&stream, &ctx);
    // The client is done with: let it see the end now (stdin still holds the socket
    // until exit), then give the log a bounded time, so a stalled stdout can neither
    // keep this child alive nor silently lose lines a reader would still take.
    let _ = stream.shutdown(Shutdown::Both);
    log::flush(CHILD_LOG_FLUSH);
    Ok(())
}

/// How long a finished child waits for its log lines to be written, and again for its
/// diagnostics. A reader that reads takes them in microseconds; a stalled one costs each
/// child this much and no more.
const CHILD_LOG_FLUSH: Duration = Duration::from_millis(300);
