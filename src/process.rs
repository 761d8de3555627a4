//! Process mode: each connection is served by a child process running the same
//! `serve_connection` as thread mode.
//!
//! std has no bare `fork`, so the child is a `servedir` executable started with a hidden
//! flag and the parent's effective configuration, its stdin being the accepted socket.
//! The parent never reads from the socket, closes its copy at once, and reaps every child.

use std::io;
use std::net::TcpStream;
use std::os::fd::{AsFd, OwnedFd};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crate::cli;
use crate::config::Config;
use crate::connection::{refuse, serve_connection, Context};
use crate::response::Status;
use crate::server::{Shared, Slot};

/// How often the reaper looks for finished children while any are running.
const REAP_INTERVAL: Duration = Duration::from_millis(10);

/// The parent's side: starts children and hands them to the reaper thread.
#[derive(Debug, Clone)]
pub(crate) struct Children {
    reaper: Sender<(Child, Slot)>,
}

impl Children {
    /// Starts the reaper thread.
    pub(crate) fn start() -> io::Result<Children> {
        let (tx, rx) = mpsc::channel();
        thread::Builder::new()
            .name("servedir-reaper".into())
            .spawn(move || reap(&rx))?;
        Ok(Children { reaper: tx })
    }

    /// Serves `stream` in a new child process, or answers 503 if none can be started
    /// or the server is at its connection cap (which counts live children).
    pub(crate) fn spawn(&self, shared: &Arc<Shared>, stream: TcpStream) {
        let Some(slot) = Slot::take(shared) else {
            refuse(&stream, Status::ServiceUnavailable);
            return;
        };
        let config = &shared.ctx.config;
        let Some(exe) = &config.process_exe else {
            // Server::bind refuses process mode without an executable.
            refuse(&stream, Status::InternalServerError);
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
                if let Err(mpsc::SendError((mut child, _slot))) = self.reaper.send((child, slot)) {
                    // No reaper (it cannot die, but never leave a zombie): wait here.
                    let _ = child.wait();
                }
            }
            Err(e) => {
                eprintln!("servedir: cannot start a child process: {e}");
                drop(command);
                if let Ok(spare) = spare {
                    refuse(&spare, Status::ServiceUnavailable);
                }
            }
        }
    }
}

/// Waits for children as they finish, releasing each one's connection slot: no zombies.
fn reap(rx: &Receiver<(Child, Slot)>) {
    let mut running: Vec<(Child, Slot)> = Vec::new();
    loop {
        let next = if running.is_empty() {
            rx.recv().map_err(|_| RecvTimeoutError::Disconnected)
        } else {
            rx.recv_timeout(REAP_INTERVAL)
        };
        match next {
            Ok(child) => running.push(child),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                for (mut child, _slot) in running.drain(..) {
                    let _ = child.wait();
                }
                return;
            }
        }
        // Collect everything that is queued before scanning, so a burst costs one scan.
        while let Ok(child) = rx.try_recv() {
            running.push(child);
        }
        running.retain_mut(|(child, _)| !matches!(child.try_wait(), Ok(Some(_)) | Err(_)));
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
    let root = std::fs::canonicalize(&config.root)?;
    serve_connection(&stream, &Context::new(config, root));
    Ok(())
}
