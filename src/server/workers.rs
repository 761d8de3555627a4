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

use crate::server::slots::Slot;

/// Stack size of a connection thread. The handler keeps its buffers on the heap, so
/// this bounds address space, not memory: only touched pages cost RSS (an idle
/// connection touches a few KiB). Large enough for the panic machinery and `fs` calls.
const STACK_SIZE: usize = 128 * 1024;
/// How long a thread with nothing to do waits for a connection before exiting.
const IDLE_WAIT: Duration = Duration::from_secs(5);
/// At most this many threads wait idle; more exit at once.
const MAX_IDLE: usize = 256;

type Job = (Arc<TcpStream>, Slot);

/// What connection threads need from the server they serve (`Shared` is the one), so
/// that this file names nothing of the server's and the server's state can hold the
/// [`Workers`] without a cycle between the two.
pub(crate) trait Pool: Send + Sync + 'static {
    /// The threads serving this pool's connections.
    fn workers(&self) -> &Workers;
    /// Serves one connection, start to end.
    fn serve(&self, stream: &TcpStream);
    /// Reports that a connection thread could not be started.
    fn cannot_start(&self, e: &io::Error);
    /// Answers a queued connection that no thread will take (503), then closes it.
    fn turn_away(&self, stream: &TcpStream);
}

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
    /// Starts the spawner thread for `pool`'s connections.
    pub(crate) fn start<P: Pool>(pool: &Arc<P>) -> io::Result<()> {
        let pool = Arc::clone(pool);
        thread::Builder::new()
            .name("servedir-spawner".into())
            .spawn(move || pool.workers().spawner(&pool))
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
    fn spawner<P: Pool>(&self, pool: &Arc<P>) {
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
                let worker_pool = Arc::clone(pool);
                let started = thread::Builder::new()
                    .name("servedir-conn".into())
                    .stack_size(STACK_SIZE)
                    .spawn(move || worker_pool.workers().run(&*worker_pool));
                if let Err(e) = started {
                    pool.cannot_start(&e);
                    let job = {
                        let mut state = self.lock();
                        state.starting -= 1;
                        state.jobs.pop_back()
                    };
                    if let Some((stream, _slot)) = job {
                        pool.turn_away(&stream);
                    }
                }
            }
            state = self.lock();
        }
    }

    /// A thread's life: take a connection, serve it, repeat; exit when idle too long.
    fn run<P: Pool>(&self, pool: &P) {
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
                pool.serve(stream);
            }
            // The slot is released and the socket closed before waiting for more work.
            drop(job);
            state = self.lock();
        }
    }
}
