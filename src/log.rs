//! The access log: one line per response in Common Log Format plus referer and user agent.
//!
//! Everything that came from the client is escaped, so a request cannot inject terminal
//! escapes or fake lines. Lines (and diagnostics for stderr) go through a bounded queue to
//! a writer thread, so no connection ever waits for the log's reader: what does not fit
//! is dropped, counted and reported. Writes are cut at line ends and at most `PIPE_BUF`
//! long, so lines from process mode's children sharing stdout never interleave. A
//! diagnostic that can repeat per connection goes through a [`Throttle`]: one line a second.

use std::fmt;
use std::io::{self, Write};
use std::net::IpAddr;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use crate::http::date::ClfDate;

/// The most bytes of the request line a log line repeats.
const MAX_REQUEST_LINE: usize = 1024;

/// One response, as the access log records it.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    /// The client's address.
    pub peer: IpAddr,
    /// When the response was sent, in Unix seconds.
    pub time: u64,
    /// The request line as received (e.g. `GET / HTTP/1.1`), possibly malformed.
    pub request_line: &'a [u8],
    /// The status code sent.
    pub status: u16,
    /// Body bytes sent.
    pub bytes: u64,
    /// The `Referer` field, if any.
    pub referer: Option<&'a [u8]>,
    /// The `User-Agent` field, if any.
    pub user_agent: Option<&'a [u8]>,
}

/// Formats `entry` as one line ending in `\n`, appended to `out`.
///
/// ```text
/// 127.0.0.1 - - [06/Nov/1994:08:49:37 +0000] "GET / HTTP/1.1" 200 1024 "-" "curl/8.0"
/// ```
///
/// Returns where the bytes field is in `out`, for [`set_bytes`].
pub fn format(out: &mut Vec<u8>, entry: &Entry<'_>) -> Range<usize> {
    let _ = write!(out, "{} - - [{}] \"", entry.peer, ClfDate(entry.time));
    let line = &entry.request_line[..entry.request_line.len().min(MAX_REQUEST_LINE)];
    escape_into(out, line);
    let _ = write!(out, "\" {} ", entry.status);
    let start = out.len();
    let _ = write!(out, "{}", entry.bytes);
    let bytes = start..out.len();
    out.push(b' ');
    quoted(out, entry.referer);
    out.push(b' ');
    quoted(out, entry.user_agent);
    out.push(b'\n');
    bytes
}

/// Replaces the bytes field of a formatted line (at `at`, as `format` returned): a
/// response cut short logs what was really sent.
pub fn set_bytes(line: &mut Vec<u8>, at: Range<usize>, bytes: u64) {
    if at.end <= line.len() {
        line.splice(at, bytes.to_string().into_bytes());
    }
}

fn quoted(out: &mut Vec<u8>, value: Option<&[u8]>) {
    out.push(b'"');
    match value {
        Some(v) => escape_into(out, &v[..v.len().min(MAX_REQUEST_LINE)]),
        None => out.push(b'-'),
    }
    out.push(b'"');
}

/// Copies `bytes`, writing control characters, `"`, `\` and non-ASCII as `\xHH`
/// (`\"` and `\\` for the two printable ones), as Apache does.
pub fn escape_into(out: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for &b in bytes {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x20..=0x7e => out.push(b),
            _ => out.extend_from_slice(&[
                b'\\',
                b'x',
                HEX[(b >> 4) as usize],
                HEX[(b & 15) as usize],
            ]),
        }
    }
}

/// Queues one finished access-log line for standard output; never blocks on stdout.
///
/// A line that does not fit in the queue is dropped and counted, and the count is
/// reported on stderr at most once a second (issue 12 item 4: with stdout on a pipe
/// nobody read, every connection blocked here holding its slot, then everything got 503).
pub fn emit(line: &[u8]) {
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
/// the count is reported with the next line that gets through.
pub fn warn(message: fmt::Arguments<'_>) {
    let mut line = Vec::with_capacity(64);
    let _ = writeln!(line, "servedir: {message}");
    match diag().push(&line) {
        Pushed::Report(n) => push_count(n),
        Pushed::Remind => diag().wake(),
        Pushed::Queued | Pushed::Dropped => {}
    }
}

/// Reports a failure that can repeat for every connection (out of file descriptors on
/// accept, no memory for a thread, a flood of malformed requests) at most once a
/// [`REPORT_INTERVAL`], so a flood of them cannot flood stderr; the next line says how
/// many were left out. Each throttle counts on its own, before [`warn`]'s global budget.
#[derive(Debug, Default)]
pub(crate) struct Throttle {
    /// When a line was last written, and how many were left out since.
    state: Mutex<(Option<Instant>, u64)>,
}

/// How often one [`Throttle`] lets a line through.
pub(crate) const REPORT_INTERVAL: Duration = Duration::from_secs(1);

impl Throttle {
    /// A throttle that has written nothing yet (`const`, for a `static`).
    pub(crate) const fn new() -> Throttle {
        Throttle {
            state: Mutex::new((None, 0)),
        }
    }

    /// Writes `servedir: WHAT` to stderr (through [`warn`]'s queue, so a stalled stderr
    /// stalls nothing), unless a line was written less than a [`REPORT_INTERVAL`] ago.
    pub(crate) fn report(&self, what: fmt::Arguments<'_>) {
        match self.allow(Instant::now()) {
            Some(0) => warn(what),
            Some(n) => warn(format_args!("{what} ({n} more like it not shown)")),
            None => {}
        }
    }

    /// Whether a line may be written at `now`: `Some(lines left out before it)`.
    fn allow(&self, now: Instant) -> Option<u64> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let (last, left_out) = &mut *state;
        if last.is_some_and(|t| now.saturating_duration_since(t) < REPORT_INTERVAL) {
            *left_out += 1;
            return None;
        }
        *last = Some(now);
        Some(std::mem::take(left_out))
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
/// A write to a pipe of at most this many bytes is atomic (POSIX `PIPE_BUF`): batches
/// are cut at line ends below it, so lines from process mode's children, which share
/// the parent's stdout, never interleave.
const ATOMIC_WRITE: usize = 4096;

static ACCESS: OnceLock<Arc<Queue>> = OnceLock::new();
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

/// What became of a line given to [`Queue::push`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pushed {
    /// Queued for the writer.
    Queued,
    /// Dropped and counted; a report is already due later.
    Dropped,
    /// Dropped; report this many dropped lines now.
    Report(u64),
    /// Dropped, the first since the last report, less than a second ago: make sure the
    /// count is reported when its second is up.
    Remind,
}

/// A bounded, ordered queue of whole lines in front of one writer thread.
///
/// Producers never wait for the writer: a line that does not fit is dropped and counted,
/// and [`Queue::push`] says when a count is due to be reported (at most once a second).
pub(crate) struct Queue {
    state: Mutex<State>,
    /// Signalled when lines arrive and the writer is waiting for them.
    arrived: Condvar,
    /// Signalled when the writer has written everything it took.
    drained: Condvar,
    /// Most bytes queued at once.
    capacity: usize,
    /// Most lines accepted per second, if limited.
    per_sec: Option<u32>,
    /// Lines the writer has taken and not yet written.
    in_flight: AtomicU64,
}

#[derive(Default)]
struct State {
    /// Whole lines, in order, waiting for the writer.
    pending: Vec<u8>,
    /// The writer is waiting on `arrived` (so a push must wake it).
    idle: bool,
    /// The writer holds a batch it has not finished writing.
    busy: bool,
    /// Lines dropped and not yet reported.
    dropped: u64,
    last_report: Option<Instant>,
    /// Start of the current one-second window and lines accepted in it (`per_sec` only).
    window: Option<Instant>,
    in_window: u32,
}

/// How long [`flush`] waits for a writer that writes nothing at all.
const STALLED: Duration = Duration::from_millis(50);

/// How long between two reports of dropped lines.
const REPORT_EVERY: Duration = Duration::from_secs(1);

impl Queue {
    fn new(capacity: usize, per_sec: Option<u32>) -> Queue {
        Queue {
            state: Mutex::new(State::default()),
            arrived: Condvar::new(),
            drained: Condvar::new(),
            capacity,
            per_sec,
            in_flight: AtomicU64::new(0),
        }
    }

    /// A queue whose lines a new thread named `name` writes to `sink()`. Should the
    /// thread fail to start, lines are queued until the queue is full, then dropped.
    fn started(
        capacity: usize,
        per_sec: Option<u32>,
        name: &str,
        mut sink: Box<dyn Write + Send>,
        tick: Option<fn() -> bool>,
    ) -> Arc<Queue> {
        let queue = Arc::new(Queue::new(capacity, per_sec));
        let writer = Arc::clone(&queue);
        let _ = thread::Builder::new()
            .name(name.into())
            .spawn(move || writer.run(&mut *sink, tick));
        queue
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics with the lock held; the state stays sound if something did.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `line` (whole, after the lines before it), or drops and counts it when the
    /// queue is full or the per-second budget spent; says whether a count is due.
    pub(crate) fn push(&self, line: &[u8]) -> Pushed {
        let mut state = self.lock();
        let fits = state.pending.len() + line.len() <= self.capacity;
        let within_budget = match self.per_sec {
            None => true,
            Some(max) => {
                let now = Instant::now();
                if state
                    .window
                    .is_none_or(|w| now.duration_since(w) >= REPORT_EVERY)
                {
                    state.window = Some(now);
                    state.in_window = 0;
                }
                state.in_window < max
            }
        };
        if fits && within_budget {
            state.pending.extend_from_slice(line);
            state.in_window += 1;
            if state.idle {
                state.idle = false;
                self.arrived.notify_one();
            }
            return Pushed::Queued;
        }
        state.dropped += 1;
        // The clock is read only for a dropped line: the hot path stays clock-free.
        match report_due(&mut state, Instant::now()) {
            Some(n) => Pushed::Report(n),
            None if state.dropped == 1 => Pushed::Remind,
            None => Pushed::Dropped,
        }
    }

    /// Wakes an idle writer so that it calls its tick.
    fn wake(&self) {
        let mut state = self.lock();
        if state.idle {
            state.idle = false;
            self.arrived.notify_one();
        }
    }

    /// Queues a report line even past the per-second budget (it stands for the lines it
    /// counts); when it does not fit, it is one more dropped line.
    fn push_report(&self, line: &[u8]) {
        let mut state = self.lock();
        if state.pending.len() + line.len() <= self.capacity {
            state.pending.extend_from_slice(line);
            if state.idle {
                state.idle = false;
                self.arrived.notify_one();
            }
        } else {
            state.dropped += 1;
        }
    }

    /// The dropped lines not yet reported, now counted as reported.
    fn take_dropped(&self) -> u64 {
        std::mem::take(&mut self.lock().dropped)
    }

    /// Throws away what is still queued; returns how many lines that was, counting those
    /// the writer is stuck on (this is for a process about to exit).
    fn discard(&self) -> u64 {
        let mut state = self.lock();
        let lines = count_lines(&state.pending);
        state.pending.clear();
        lines + self.in_flight.swap(0, Ordering::Relaxed)
    }

    /// Waits until the writer has written everything queued, or until `deadline`.
    fn wait_drained(&self, deadline: Instant) {
        let mut state = self.lock();
        let mut seen = (state.pending.len(), self.in_flight.load(Ordering::Relaxed));
        let mut moved = Instant::now();
        while !state.pending.is_empty() || state.busy {
            let now = Instant::now();
            let progress = (state.pending.len(), self.in_flight.load(Ordering::Relaxed));
            if progress != seen {
                (seen, moved) = (progress, now);
            }
            // A stalled reader gets no more of the deadline: a process-mode child waiting
            // here holds a connection slot (an attacker's stalled stdout held them all).
            if now >= deadline || now.duration_since(moved) >= STALLED {
                return;
            }
            let wait = (deadline - now).min(STALLED / 5);
            state = self
                .drained
                .wait_timeout(state, wait)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// The writer: takes everything queued and writes it, forever. Write errors (a closed
    /// stdout) lose those lines and nothing else.
    ///
    /// `tick` reports drops that are due and says whether some are still waiting for
    /// their second; while some are, the writer wakes to call it again (the diagnostic
    /// writer does this, so the last drops of a burst are reported without new traffic).
    fn run(&self, sink: &mut dyn Write, tick: Option<fn() -> bool>) {
        let mut batch = Vec::new();
        loop {
            let reports_waiting = tick.is_some_and(|tick| tick());
            {
                let mut state = self.lock();
                state.busy = false;
                if state.pending.is_empty() {
                    self.drained.notify_all();
                    state.idle = true;
                    state = if reports_waiting {
                        self.arrived
                            .wait_timeout(state, REPORT_EVERY)
                            .unwrap_or_else(PoisonError::into_inner)
                            .0
                    } else {
                        self.arrived
                            .wait(state)
                            .unwrap_or_else(PoisonError::into_inner)
                    };
                    state.idle = false;
                    if state.pending.is_empty() {
                        continue;
                    }
                }
                state.busy = true;
                batch.clear();
                std::mem::swap(&mut batch, &mut state.pending);
            }
            self.in_flight.store(count_lines(&batch), Ordering::Relaxed);
            write_lines(sink, &batch, &self.in_flight);
            // What a failed write (a closed pipe) lost counts as dropped.
            let lost = self.in_flight.swap(0, Ordering::Relaxed);
            if lost > 0 {
                self.lock().dropped += lost;
            }
            if batch.capacity() > 4 * ATOMIC_WRITE.max(self.capacity / 16) {
                batch = Vec::new();
            }
        }
    }

    /// A count of dropped lines if one is due for reporting (`Ok`), or whether some
    /// wait for their second (`Err(true)`).
    fn due(&self) -> Result<u64, bool> {
        let mut state = self.lock();
        if state.dropped == 0 {
            return Err(false);
        }
        report_due(&mut state, Instant::now()).ok_or(true)
    }
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

/// Whether a count of dropped lines is due for reporting at `now`; if so takes it.
fn report_due(state: &mut State, now: Instant) -> Option<u64> {
    if state
        .last_report
        .is_some_and(|t| now.duration_since(t) < REPORT_EVERY)
    {
        return None;
    }
    state.last_report = Some(now);
    Some(std::mem::take(&mut state.dropped))
}

fn count_lines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

/// Writes whole lines in writes of at most [`ATOMIC_WRITE`] bytes, cut at line ends
/// (a longer line goes alone, in one `write_all`), taking each from `left` once written.
fn write_lines(sink: &mut dyn Write, mut lines: &[u8], left: &AtomicU64) {
    while !lines.is_empty() {
        let window = &lines[..lines.len().min(ATOMIC_WRITE)];
        let end = match window.iter().rposition(|&b| b == b'\n') {
            Some(i) if window.len() < lines.len() => i + 1,
            Some(_) => window.len(),
            // One line longer than an atomic write: it goes whole, in one write_all.
            None => lines
                .iter()
                .position(|&b| b == b'\n')
                .map_or(lines.len(), |i| i + 1),
        };
        if sink.write_all(&lines[..end]).is_err() {
            return;
        }
        left.fetch_sub(count_lines(&lines[..end]), Ordering::Relaxed);
        lines = &lines[end..];
    }
    let _ = sink.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_failures_are_reported_once_a_second_with_a_count() {
        let throttle = Throttle::new();
        let t0 = Instant::now();
        assert_eq!(throttle.allow(t0), Some(0));
        assert_eq!(throttle.allow(t0), None);
        assert_eq!(throttle.allow(t0 + Duration::from_millis(999)), None);
        assert_eq!(throttle.allow(t0 + REPORT_INTERVAL), Some(2));
        assert_eq!(throttle.allow(t0 + REPORT_INTERVAL), None);
        assert_eq!(throttle.allow(t0 + 5 * REPORT_INTERVAL), Some(1));
    }
    use std::net::Ipv4Addr;

    fn line(request: &[u8], referer: Option<&[u8]>, ua: Option<&[u8]>) -> String {
        let mut out = Vec::new();
        format(
            &mut out,
            &Entry {
                peer: IpAddr::V4(Ipv4Addr::LOCALHOST),
                time: 784_111_777,
                request_line: request,
                status: 200,
                bytes: 1024,
                referer,
                user_agent: ua,
            },
        );
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn common_log_format_with_referer_and_agent() {
        assert_eq!(
            line(b"GET / HTTP/1.1", Some(b"http://a/"), Some(b"curl/8.0")),
            "127.0.0.1 - - [06/Nov/1994:08:49:37 +0000] \"GET / HTTP/1.1\" 200 1024 \"http://a/\" \"curl/8.0\"\n"
        );
        assert_eq!(
            line(b"GET / HTTP/1.1", None, None),
            "127.0.0.1 - - [06/Nov/1994:08:49:37 +0000] \"GET / HTTP/1.1\" 200 1024 \"-\" \"-\"\n"
        );
    }

    #[test]
    fn client_bytes_cannot_inject_escapes_or_lines() {
        let text = line(
            b"GET /\x1b[31mred\" HTTP/1.1",
            Some(b"a\nb\\"),
            Some(b"\xff\x07\r"),
        );
        assert_eq!(text.matches('\n').count(), 1);
        assert!(text.ends_with('\n'));
        assert!(
            !text.bytes().any(|b| b < 0x20 && b != b'\n' || b >= 0x7f),
            "{text:?}"
        );
        assert!(
            text.contains("\"GET /\\x1b[31mred\\\" HTTP/1.1\""),
            "{text}"
        );
        assert!(
            text.contains("\"a\\x0ab\\\\\" \"\\xff\\x07\\x0d\""),
            "{text}"
        );
    }

    #[test]
    fn the_bytes_field_can_be_corrected() {
        let mut out = Vec::new();
        let at = format(
            &mut out,
            &Entry {
                peer: IpAddr::V4(Ipv4Addr::LOCALHOST),
                time: 0,
                request_line: b"GET / HTTP/1.1",
                status: 200,
                bytes: 50_000_000,
                referer: None,
                user_agent: None,
            },
        );
        set_bytes(&mut out, at, 3_145_728);
        assert!(String::from_utf8(out)
            .unwrap()
            .ends_with("\"GET / HTTP/1.1\" 200 3145728 \"-\" \"-\"\n"));
    }

    /// A sink that records each `write` call and blocks until the test opens its gate.
    struct Gated {
        gate: std::sync::mpsc::Receiver<()>,
        open: bool,
        writes: Arc<Mutex<Vec<Vec<u8>>>>,
    }

    impl Write for Gated {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if !self.open {
                let _ = self.gate.recv();
                self.open = true;
            }
            self.writes.lock().unwrap().push(buf.to_vec());
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn numbered(i: usize) -> Vec<u8> {
        format!("line {i:05} {}\n", "x".repeat(40)).into_bytes()
    }

    /// Issue 12 item 4: a stalled stdout must cost lines, never a wait.
    #[test]
    fn a_stalled_writer_drops_and_counts_lines_and_keeps_their_order() {
        let (open_gate, gate) = std::sync::mpsc::channel();
        let writes = Arc::new(Mutex::new(Vec::new()));
        let sink = Gated {
            gate,
            open: false,
            writes: Arc::clone(&writes),
        };
        let line_len = numbered(0).len();
        let queue = Queue::started(10 * line_len, None, "test-log", Box::new(sink), None);
        // The writer takes the first line and blocks in write; ten more fill the queue.
        assert_eq!(queue.push(&numbered(0)), Pushed::Queued);
        let start = Instant::now();
        while !queue.lock().busy {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "the writer never started"
            );
            thread::sleep(Duration::from_millis(1));
        }
        let pushed: Vec<Pushed> = (1..=25).map(|i| queue.push(&numbered(i))).collect();
        // Ten fit; the first drop is reported at once; the next 14 wait for their second,
        // and the first of them asks for a reminder.
        assert_eq!(pushed[..10], [Pushed::Queued; 10]);
        assert_eq!(pushed[10..12], [Pushed::Report(1), Pushed::Remind]);
        assert_eq!(pushed[12..], [Pushed::Dropped; 13]);
        assert_eq!(queue.take_dropped(), 14);
        open_gate.send(()).unwrap();
        queue.wait_drained(Instant::now() + Duration::from_secs(10));
        let written: Vec<u8> = writes.lock().unwrap().concat();
        let expected: Vec<u8> = (0..=10).flat_map(numbered).collect();
        assert_eq!(
            String::from_utf8(written).unwrap(),
            String::from_utf8(expected).unwrap()
        );
        // Room again: lines are queued, and nothing more is reported.
        assert_eq!(queue.push(&numbered(26)), Pushed::Queued);
        queue.wait_drained(Instant::now() + Duration::from_secs(10));
        assert!(writes
            .lock()
            .unwrap()
            .last()
            .unwrap()
            .starts_with(b"line 00026 "));
    }

    #[test]
    fn drops_are_reported_at_most_once_a_second() {
        let t0 = Instant::now();
        let mut state = State {
            dropped: 3,
            ..State::default()
        };
        assert_eq!(report_due(&mut state, t0), Some(3));
        state.dropped = 5;
        assert_eq!(
            report_due(&mut state, t0 + Duration::from_millis(999)),
            None
        );
        assert_eq!(report_due(&mut state, t0 + Duration::from_secs(1)), Some(5));
        assert_eq!(state.dropped, 0);
    }

    #[test]
    fn the_per_second_budget_drops_the_excess() {
        let queue = Queue::new(1 << 20, Some(3));
        let pushed: Vec<Pushed> = (0..10).map(|i| queue.push(&numbered(i))).collect();
        assert_eq!(
            pushed[..4],
            [
                Pushed::Queued,
                Pushed::Queued,
                Pushed::Queued,
                Pushed::Report(1)
            ]
        );
        assert_eq!(queue.take_dropped(), 6);
        assert_eq!(queue.discard(), 3);
    }

    #[test]
    fn lines_are_written_whole_in_atomic_sized_writes() {
        let mut lines = Vec::new();
        for i in 0..300 {
            lines.extend_from_slice(&numbered(i));
        }
        let long = format!("{}\n", "y".repeat(3 * ATOMIC_WRITE)).into_bytes();
        lines.extend_from_slice(&long);
        lines.extend_from_slice(&numbered(300));
        struct Record(Vec<Vec<u8>>);
        impl Write for Record {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                self.0.push(buf.to_vec());
                Ok(buf.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut sink = Record(Vec::new());
        let left = AtomicU64::new(count_lines(&lines));
        write_lines(&mut sink, &lines, &left);
        assert_eq!(left.into_inner(), 0);
        assert_eq!(sink.0.concat(), lines);
        for write in &sink.0 {
            assert!(write.ends_with(b"\n"));
            assert!(
                write.len() <= ATOMIC_WRITE || write == &long,
                "{}",
                write.len()
            );
        }
        assert!(sink.0.contains(&long));
    }

    #[test]
    fn long_fields_are_cut() {
        let long = vec![b'a'; 10_000];
        assert!(line(&long, Some(&long), Some(&long)).len() < 4 * MAX_REQUEST_LINE);
    }
}
