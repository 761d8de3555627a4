//! `Shared`: what the accept loops, the connection threads, process mode's reaper and the
//! `ServerHandle` of one server share, behind one `Arc`.
//!
//! Plain state and the hooks thread mode's workers call; no loop of its own.

use std::io;
use std::net::TcpStream;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use crate::connection::{refuse, serve_connection, Stop};
use crate::fault::control::Control;
use crate::http::status::Status;
use crate::log::Throttle;
use crate::respond::context::Context;
use crate::server::exe::Exe;
use crate::server::slots::Slots;
use crate::server::workers::{Pool, Workers};

/// What the accept loops, connection threads and the handle of one server share.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The configuration and what is derived from it once.
    pub(crate) ctx: Context,
    /// The connection cap and the registry shutdown ends connections through.
    pub(crate) slots: Arc<Slots>,
    /// Set when the server shuts down: accept loops stop, and connections waiting for a
    /// request end (on Windows they look at it every `platform::STOP_POLL`).
    pub(crate) shutdown: AtomicBool,
    /// Thread mode's connection threads.
    pub(crate) workers: Workers,
    /// Process mode with faults on: the channel children ask for fault rules.
    pub(crate) fault_control: Option<Control>,
    /// Process mode: the executable children run, opened at bind.
    pub(crate) process_exe: Option<Exe>,
    /// Failed `accept` calls (EMFILE and the like).
    pub(crate) accept_errors: Throttle,
    /// Connection threads or child processes that could not be started.
    pub(crate) start_errors: Throttle,
    /// Process mode: children that could not write all their access-log lines.
    pub(crate) log_drops: Throttle,
    /// Process mode: what children wrote on stderr, passed on once a second for all.
    pub(crate) child_stderr: Throttle,
}

impl Pool for Shared {
    fn workers(&self) -> &Workers {
        &self.workers
    }

    fn serve(&self, stream: &TcpStream) {
        serve_connection(stream, &self.ctx, Stop::server(&self.shutdown));
    }

    fn cannot_start(&self, e: &io::Error) {
        self.start_errors
            .report(format_args!("cannot start a connection thread: {e}"));
    }

    fn turn_away(&self, stream: &TcpStream) {
        refuse(stream, Status::ServiceUnavailable, &self.ctx);
    }
}
