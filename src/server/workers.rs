//! Thread mode's threads: one thread per connection, started ahead of need and reused.
//!
//! A thread serves exactly one connection at a time, for the connection's whole life.
//! The accept loop never starts threads itself: it queues the connection and wakes an
//! idle thread, or the spawner thread, which starts threads on the other core. std's
//! listener has a fixed 128-deep backlog, so an accept loop that paid a thread start
//! (~30 µs) per connection fell behind a burst of connects and the kernel dropped SYNs,
//! costing those clients a 1 s retransmit. A thread that finishes a connection waits a
//! few seconds for the next one before exiting.

use std::collections::VecDeque;
use std::io;
use std::net::TcpStream;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::Duration;

use crate::connection::{refuse, serve_connection};
use crate::response::Status;
use crate::server::slots::Slot;
use crate::server::Shared;

/// Stack size of a connection thread. The handler keeps its buffers on the heap, so
/// this bounds address space, not memory: only touched pages cost RSS (an idle
/// connection touches a few KiB). Large enough for the panic machinery and `fs` calls.
const STACK_SIZE: usize = 128 * 1024;
/// How long a thread with nothing to do waits for a connection before exiting.
const IDLE_WAIT: Duration = Duration::from_secs(5);
/// At most this many threads wait idle; more exit at once.
const MAX_IDLE: usize = 256;

type Job = (Arc<TcpStream>, Slot);

/// The connection threads of one server.
#[derive(Debug, Default)]
pub(crate) struct Workers {
    state: Mutex<State>,
    /// Wakes idle threads when a connection is queued.
    work: Condvar,
    /// Wakes the spawner when more threads are needed, or at shutdown.
    more: Condvar,
}

#[derive(Debug, Default)]
struct State {
    /// Accepted connections no thread has taken yet.
    jobs: VecDeque<Job>,
    /// Threads waiting for a connection.
    idle: usize,
    /// Threads started but not yet looking for a connection.
    starting: usize,
    /// The server is shutting down: the spawner exits.
    closed: bool,
}

impl State {
    fn shortfall(&self) -> usize {
        self.jobs.len().saturating_sub(self.idle + self.starting)
    }
}

impl Workers {
    /// Starts the spawner thread for `shared`'s connections.
    pub(crate) fn start(shared: &Arc<Shared>) -> io::Result<()> {
        let shared = Arc::clone(shared);
        thread::Builder::new()
            .name("servedir-spawner".into())
            .spawn(move || shared.workers.spawner(&shared))
            .map(drop)
    }

    /// Queues a connection for a thread; returns at once.
    pub(crate) fn dispatch(&self, stream: Arc<TcpStream>, slot: Slot) {
        let (wake_idle, wake_spawner) = {
            let mut state = self.lock();
            state.jobs.push_back((stream, slot));
            (state.idle > 0, state.shortfall() > 0)
        };
        // Notified after the lock is released: a thread woken while we still held it
        // would at once block on the lock again, costing two more context switches.
        if wake_idle {
            self.work.notify_one();
        }
        if wake_spawner {
            self.more.notify_one();
        }
    }

    /// Stops the spawner and drops connections no thread has taken yet (closing them
    /// and releasing their slots); threads still serving finish their connections.
    pub(crate) fn close(&self) {
        let queued = {
            let mut state = self.lock();
            state.closed = true;
            std::mem::take(&mut state.jobs)
        };
        drop(queued);
        self.more.notify_all();
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics with the lock held; if something did, the queue is still sound.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts as many threads as there are queued connections without one.
    fn spawner(&self, shared: &Arc<Shared>) {
        let mut state = self.lock();
        loop {
            state = self
                .more
                .wait_while(state, |s| s.shortfall() == 0 && !s.closed)
                .unwrap_or_else(PoisonError::into_inner);
            if state.closed {
                return;
            }
            let needed = state.shortfall();
            state.starting += needed;
            drop(state);
            for _ in 0..needed {
                let worker_shared = Arc::clone(shared);
                let started = thread::Builder::new()
                    .name("servedir-conn".into())
                    .stack_size(STACK_SIZE)
                    .spawn(move || worker_shared.workers.run(&worker_shared));
                if let Err(e) = started {
                    shared
                        .start_errors
                        .report(format_args!("cannot start a connection thread: {e}"));
                    let job = {
                        let mut state = self.lock();
                        state.starting -= 1;
                        state.jobs.pop_back()
                    };
                    if let Some((stream, _slot)) = job {
                        refuse(&stream, Status::ServiceUnavailable, &shared.ctx);
                    }
                }
            }
            state = self.lock();
        }
    }

    /// A thread's life: take a connection, serve it, repeat; exit when idle too long.
    fn run(&self, shared: &Shared) {
        let mut state = self.lock();
        state.starting -= 1;
        loop {
            let job = match state.jobs.pop_front() {
                Some(job) => job,
                None => {
                    if state.idle >= MAX_IDLE {
                        return;
                    }
                    state.idle += 1;
                    let (next, _) = self
                        .work
                        .wait_timeout_while(state, IDLE_WAIT, |s| s.jobs.is_empty())
                        .unwrap_or_else(PoisonError::into_inner);
                    state = next;
                    state.idle -= 1;
                    match state.jobs.pop_front() {
                        Some(job) => job,
                        None => return,
                    }
                }
            };
            drop(state);
            {
                let (stream, _slot) = &job;
                serve_connection(stream, &shared.ctx);
            }
            // The slot is released and the socket closed before waiting for more work.
            drop(job);
            state = self.lock();
        }
    }
}
