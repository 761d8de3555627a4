//! The log's API: access-log lines to stdout (`emit`), diagnostics to stderr (`warn`),
//! `flush` before a child exits, and the reporting of dropped lines. Each goes through a
//! bounded queue (`queue.rs`), so no connection ever waits for the log's reader (a
//! process-mode child first writes its own lines without waiting, `direct.rs`); the line
//! format is `line.rs`'s; a diagnostic that can repeat per connection goes through a
//! [`Throttle`] (`throttle.rs`): one line a second.

use std::fmt;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

mod direct;
mod line;
mod queue;
mod throttle;

use direct::{write_now, Direct};
pub use line::{escape_into, format, set_bytes, Entry};
use queue::{Pushed, Queue};
pub(crate) use throttle::Throttle;

/// Queues one finished access-log line for standard output; never blocks on stdout.
///
/// A line that does not fit in the queue is dropped and counted, and the count is
/// reported on stderr at most once a second (issue 12 item 4: with stdout on a pipe
/// nobody read, every connection blocked here holding its slot, then everything got 503).
///
/// A process-mode child writes its lines itself while stdout takes them at once, and
/// starts the queue's writer thread only for the first one it does not (`direct.rs`).
pub fn emit(line: &[u8]) {
    child_writes(&DIRECT_OUT, Direct::stdout, line, queue_access);
}

/// In a process-mode child, writes `line` itself while `direct` takes each line at once
/// (`direct.rs`); what it does not take, and every later line, goes to `queue`.
fn child_writes(direct: &OnceLock<Direct>, open: fn() -> Direct, line: &[u8], queue: fn(&[u8])) {
    if CHILD.load(Ordering::Relaxed) {
        let mut out = direct.get_or_init(open).lock();
        if let Some(file) = out.as_mut() {
            let rest = write_now(file, line);
            if !rest.is_empty() {
                // From now on every line goes through the queue, in order: `out` is held
                // until this one is queued.
                *out = None;
                queue(rest);
            }
            return;
        }
    }
    queue(line);
}

fn queue_access(line: &[u8]) {
    let queue = ACCESS.get_or_init(|| {
        Queue::started(
            ACCESS_BYTES,
            None,
            "servedir-log",
            Box::new(io::stdout()),
            None,
        )
    });
    match queue.push(line) {
        Pushed::Report(n) => report_dropped(n),
        Pushed::Remind => diag().wake(),
        Pushed::Queued | Pushed::Dropped => {}
    }
}

/// Queues one diagnostic line (`servedir: MESSAGE`) for standard error; never blocks on
/// stderr. At most [`WARN_PER_SEC`] lines a second are kept; the rest are counted and
/// the count is reported with the next line that gets through. (A process-mode child
/// writes its own while its stderr, a pipe to the parent, takes them at once: the parent
/// passes on a child's first 16 lines, at most one child's a second.)
pub fn warn(message: fmt::Arguments<'_>) {
    let mut line = Vec::with_capacity(64);
    let _ = writeln!(line, "servedir: {message}");
    push_diag(&line);
}

/// Queues a line another process wrote for standard error, as it is (a process-mode
/// child's, which the parent has already rate-limited), under [`warn`]'s budget.
pub(crate) fn relay(line: &[u8]) {
    if line.ends_with(b"\n") {
        push_diag(line);
    } else {
        push_diag(&[line, b"\n"].concat());
    }
}

fn push_diag(line: &[u8]) {
    // A child's stderr is its own pipe to the parent, which passes on its first lines.
    child_writes(&DIRECT_ERR, Direct::stderr, line, queue_diag);
}

fn queue_diag(line: &[u8]) {
    match diag().push(line) {
        Pushed::Report(n) => push_count(n),
        Pushed::Remind => diag().wake(),
        Pushed::Queued | Pushed::Dropped => {}
    }
}

impl Throttle {
    /// Writes `servedir: WHAT` to stderr (through [`warn`]'s queue, so a stalled stderr
    /// stalls nothing), unless a line was written less than a `REPORT_INTERVAL` ago.
    pub(crate) fn report(&self, what: fmt::Arguments<'_>) {
        match self.allow(Instant::now()) {
            Some(0) => warn(what),
            Some(n) => warn(format_args!("{what} ({n} more like it not shown)")),
            None => {}
        }
    }
}

/// Waits at most `within` for the queued access-log lines to be written, then at most
/// `within` again for the diagnostics, giving up on either as soon as its writer has
/// written nothing for 50 ms. Lines still queued are then lost; returns how many
/// access-log lines were dropped in all (those still queued among them), for the caller
/// to report: not reported here.
///
/// Process mode's children call this before they exit: a child serves one connection,
/// and its lines must not vanish with it, nor may a stalled stdout keep it alive. A
/// child's drops are reported by the parent, at most once a second for all children:
/// each child reporting its own flooded stderr with a line per connection.
pub fn flush(within: Duration) -> u64 {
    let mut dropped = 0;
    if let Some(queue) = ACCESS.get() {
        queue.wait_drained(Instant::now() + within);
        dropped = queue.take_dropped() + queue.discard();
    }
    dropped += HELD_DROPS.swap(0, Ordering::Relaxed);
    if let Some(queue) = DIAG.get() {
        let n = queue.take_dropped();
        if n > 0 {
            push_count(n);
        }
        queue.wait_drained(Instant::now() + within);
    }
    dropped
}

/// Bytes of access-log lines that may wait for stdout; beyond this lines are dropped.
/// A second of a busy server's log, and a small fraction of its memory.
const ACCESS_BYTES: usize = 1024 * 1024;
/// Bytes of diagnostics that may wait for stderr.
const DIAG_BYTES: usize = 64 * 1024;
/// Diagnostic lines kept per second (a failing disk must not flood stderr).
pub const WARN_PER_SEC: u32 = 20;

static ACCESS: OnceLock<Arc<Queue>> = OnceLock::new();
/// A process-mode child's stdout and stderr while it writes its lines itself.
static DIRECT_OUT: OnceLock<Direct> = OnceLock::new();
static DIRECT_ERR: OnceLock<Direct> = OnceLock::new();
static DIAG: OnceLock<Arc<Queue>> = OnceLock::new();

fn diag() -> &'static Queue {
    DIAG.get_or_init(|| {
        Queue::started(
            DIAG_BYTES,
            Some(WARN_PER_SEC),
            "servedir-diag",
            Box::new(io::stderr()),
            Some(tick),
        )
    })
}

/// Set in a process-mode child: its dropped lines are counted in [`HELD_DROPS`] for
/// [`flush`] to return, not reported (the parent reports them for all children).
static CHILD: AtomicBool = AtomicBool::new(false);
static HELD_DROPS: AtomicU64 = AtomicU64::new(0);

/// Makes this process count its dropped access-log lines for [`flush`] to return instead
/// of reporting them itself: process mode's children, whose parent reports for all.
pub fn report_drops_to_parent() {
    CHILD.store(true, Ordering::Relaxed);
}

fn report_dropped(n: u64) {
    if CHILD.load(Ordering::Relaxed) {
        HELD_DROPS.fetch_add(n, Ordering::Relaxed);
        return;
    }
    let mut line = Vec::with_capacity(80);
    let _ = writeln!(
        line,
        "servedir: {n} access-log line{} dropped: stdout is not being read fast enough",
        if n == 1 { "" } else { "s" }
    );
    diag().push_report(&line);
}

/// Reports diagnostics that were dropped, on the diagnostic queue itself.
fn push_count(n: u64) {
    let mut line = Vec::with_capacity(80);
    let _ = writeln!(
        line,
        "servedir: {n} more message{} not shown: stderr is slow or they came too fast",
        if n == 1 { "" } else { "s" }
    );
    diag().push_report(&line);
}

/// The diagnostic writer's tick: reports the drops of both queues that are due.
fn tick() -> bool {
    let mut waiting = false;
    let queues: [(_, fn(u64)); 2] = [(&ACCESS, report_dropped), (&DIAG, push_count)];
    for (queue, report) in queues {
        match queue.get().map(|q| q.due()) {
            Some(Ok(n)) => report(n),
            Some(Err(true)) => waiting = true,
            _ => {}
        }
    }
    waiting
}
