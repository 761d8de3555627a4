//! `Queue`: a bounded, ordered queue of whole lines in front of one writer thread, so no
//! producer ever waits for the reader of stdout or stderr.
//!
//! The engine only: which queues exist and what their drops are reported as is `mod.rs`'s.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use crate::log::throttle::REPORT_INTERVAL;

/// A write to a pipe of at most this many bytes is atomic (POSIX `PIPE_BUF`): batches
/// are cut at line ends below it, so lines from process mode's children, which share
/// the parent's stdout, never interleave.
const ATOMIC_WRITE: usize = 4096;

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
    pub(super) fn started(
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
                    .is_none_or(|w| now.duration_since(w) >= REPORT_INTERVAL)
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
    pub(super) fn wake(&self) {
        let mut state = self.lock();
        if state.idle {
            state.idle = false;
            self.arrived.notify_one();
        }
    }

    /// Queues a report line even past the per-second budget (it stands for the lines it
    /// counts); when it does not fit, it is one more dropped line.
    pub(super) fn push_report(&self, line: &[u8]) {
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
    pub(super) fn take_dropped(&self) -> u64 {
        std::mem::take(&mut self.lock().dropped)
    }

    /// Throws away what is still queued; returns how many lines that was, counting those
    /// the writer is stuck on (this is for a process about to exit).
    pub(super) fn discard(&self) -> u64 {
        let mut state = self.lock();
        let lines = count_lines(&state.pending);
        state.pending.clear();
        lines + self.in_flight.swap(0, Ordering::Relaxed)
    }

    /// Waits until the writer has written everything queued, or until `deadline`.
    pub(super) fn wait_drained(&self, deadline: Instant) {
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
                            .wait_timeout(state, REPORT_INTERVAL)
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
    pub(super) fn due(&self) -> Result<u64, bool> {
        let mut state = self.lock();
        if state.dropped == 0 {
            return Err(false);
        }
        report_due(&mut state, Instant::now()).ok_or(true)
    }
}

/// Whether a count of dropped lines is due for reporting at `now`; if so takes it.
fn report_due(state: &mut State, now: Instant) -> Option<u64> {
    if state
        .last_report
        .is_some_and(|t| now.duration_since(t) < REPORT_INTERVAL)
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
    use std::io;

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
}
