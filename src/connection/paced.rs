//! The writer every response is sent through: it counts what the socket took (a response
//! cut short is logged with the bytes really sent) and holds the client to the minimum
//! transfer rate (`Limits::min_send_rate`, issue 12 item 5).
//!
//! The rule: a response may take `min_rate_grace` plus one second per `min_send_rate`
//! bytes the client received. Received, not written: a write returns once the kernel has
//! *buffered* the bytes, and socket buffers grow to megabytes, which bought a slow reader
//! an hour of credit at 1 KiB/s (found in review). Past the grace, the bytes the peer has
//! not acknowledged are looked up once a second (`sendq.rs`, Linux) and earn nothing; a
//! write blocked on a full buffer wakes for each look-up, so the cut comes on time.
//!
//! Its other side is a fault rule's `throttle:RATE` (issue 16): at most RATE bytes per
//! second, smoothly: each write takes at most a fiftieth of a second's worth and waits
//! until the bucket allows it, so there are no 1-second bursts; the time it waits is the
//! server's, never counted against the client's minimum rate.
//!
//! It costs nothing where nothing is at stake: the first write of a response (all of it,
//! for most responses) reads no clock and makes no syscall, and a client that keeps up
//! before the grace never changes the socket's write timeout.

use std::io::{self, IoSlice, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::config::Limits;
use crate::connection::sendq;
use crate::errors::is_timeout;

/// How often a response past its grace looks up what its client has not received.
const PROBE_EVERY: Duration = Duration::from_secs(1);

/// Counts what `stream` took, and enforces the minimum rate (see the module doc).
pub(crate) struct Paced<'a> {
    stream: &'a TcpStream,
    /// Bytes the socket took for this response.
    pub(crate) written: u64,
    /// The response was cut off for falling below the minimum rate.
    pub(crate) below_rate: bool,
    /// `None` when `Limits::min_send_rate` is 0.
    rule: Option<MinRate>,
    /// How long one write may stall (`Limits::write_timeout`), the socket's own timeout.
    write_timeout: Duration,
    /// The socket's write timeout as this response set it, when it changed it.
    set: Option<Duration>,
    /// When the clock started: at the second write.
    started: Option<Instant>,
    /// When what the peer has not acknowledged was last looked up, and the count.
    probed: Option<Instant>,
    unacked: Option<u64>,
    /// Whether the platform can tell (`sendq::unacked`); cleared when it cannot.
    can_probe: bool,
    /// A fault rule's throttle, when one applies.
    throttle: Option<Throttle>,
}

impl<'a> Paced<'a> {
    /// A writer for one response on `stream`, whose write timeout is `limits.write_timeout`.
    pub(crate) fn new(stream: &'a TcpStream, limits: &Limits) -> Paced<'a> {
        Paced {
            stream,
            written: 0,
            below_rate: false,
            rule: (limits.min_send_rate > 0).then_some(MinRate {
                rate: limits.min_send_rate,
                grace: limits.min_rate_grace,
            }),
            write_timeout: limits.write_timeout,
            set: None,
            started: None,
            probed: None,
            unacked: None,
            can_probe: cfg!(target_os = "linux"),
            throttle: None,
        }
    }

    /// Sends at most `rate` bytes per second (a fault rule's `throttle:RATE`).
    pub(crate) fn throttled(mut self, rate: Option<u64>) -> Paced<'a> {
        self.throttle = rate.map(|rate| Throttle {
            rate,
            start: None,
            sent: 0,
            slept: Duration::ZERO,
        });
        self
    }

    /// How much of `len` bytes the next write may take, after waiting for the throttle.
    fn admit(&mut self, len: usize) -> usize {
        match &mut self.throttle {
            Some(t) => t.admit(len),
            None => len,
        }
    }

    /// Gives the socket its usual write timeout back, for the next response.
    pub(crate) fn restore(&mut self) {
        if self.set.take().is_some() {
            let _ = self.stream.set_write_timeout(Some(self.write_timeout));
        }
    }

    /// Runs one socket write under the rule: it may block until the write timeout, the
    /// moment the client falls below the rate, or the next look-up, whichever is first;
    /// after a look-up it is tried again.
    fn paced(
        &mut self,
        mut write: impl FnMut(&TcpStream) -> io::Result<usize>,
    ) -> io::Result<usize> {
        let rule = match self.rule {
            Some(rule) if self.written > 0 => rule,
            _ => return self.count(write(self.stream)),
        };
        let blocked = Instant::now();
        loop {
            let now = Instant::now();
            let start = *self.started.get_or_insert(now);
            // A throttle's waits are the server's doing, not the client's.
            let slept = self.throttle.as_ref().map_or(Duration::ZERO, |t| t.slept);
            let elapsed = now.duration_since(start).saturating_sub(slept);
            let probe_due = self
                .probed
                .is_none_or(|at| now.duration_since(at) >= PROBE_EVERY);
            if self.can_probe && elapsed >= rule.grace && probe_due {
                self.probed = Some(now);
                self.unacked = sendq::unacked(self.stream);
                self.can_probe = self.unacked.is_some();
            }
            let received = self.written.saturating_sub(self.unacked.unwrap_or(0));
            let left = rule.time_left(elapsed, received);
            if left.is_zero() {
                self.below_rate = true;
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the client reads below the minimum rate",
                ));
            }
            let stall_left = self
                .write_timeout
                .saturating_sub(now.duration_since(blocked));
            if stall_left.is_zero() {
                return Err(io::ErrorKind::TimedOut.into());
            }
            let mut want = left.min(stall_left);
            if self.can_probe {
                let next = match self.probed {
                    Some(at) => at + PROBE_EVERY,
                    None => start + rule.grace,
                };
                want = want.min(next.saturating_duration_since(now));
            }
            self.set_timeout(want.max(Duration::from_millis(1)))?;
            match write(self.stream) {
                // The rate, the stall limit or a look-up is due: the loop says which.
                Err(e) if is_timeout(&e) => {}
                other => return self.count(other),
            }
        }
    }

    /// Sets the socket's write timeout to about `want`: shortened when it must wake
    /// sooner, lengthened only when it would wake far too often, so a response pays a
    /// syscall only when its timing really changes.
    fn set_timeout(&mut self, want: Duration) -> io::Result<()> {
        let current = self.set.unwrap_or(self.write_timeout);
        if needs_change(current, want) {
            self.stream.set_write_timeout(Some(want))?;
            self.set = Some(want);
        }
        Ok(())
    }

    fn count(&mut self, wrote: io::Result<usize>) -> io::Result<usize> {
        let n = wrote?;
        self.written += n as u64;
        if let Some(t) = &mut self.throttle {
            t.sent += n as u64;
        }
        Ok(n)
    }
}

/// Whether a socket timeout of `current` should become `want`: when it would wake more
/// than an eighth (at least 100 ms) late, or more than twice as often as needed.
fn needs_change(current: Duration, want: Duration) -> bool {
    let slack = (current / 8).max(Duration::from_millis(100));
    want.saturating_add(slack) < current || want > current.saturating_mul(2)
}

impl Write for Paced<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let buf = &buf[..self.admit(buf.len())];
        self.paced(|s| (&mut &*s).write(buf))
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        if self.throttle.is_some() {
            // One slice at a time, each admitted by the throttle.
            let first = bufs
                .iter()
                .find(|b| !b.is_empty())
                .map_or(&[][..], |b| &**b);
            return self.write(first);
        }
        self.paced(|s| (&mut &*s).write_vectored(bufs))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A token bucket for `throttle:RATE`: `sent` bytes may have left `sent / rate` seconds
/// after the first write, with one slice (a fiftieth of a second's worth) of slack.
#[derive(Debug)]
struct Throttle {
    rate: u64,
    start: Option<Instant>,
    sent: u64,
    /// Time spent waiting for the bucket.
    slept: Duration,
}

impl Throttle {
    /// The largest write: a fiftieth of a second's worth, so the rate is smooth at any
    /// scale (64 KiB/s: 1,310 bytes every 20 ms), at most 64 KiB, at least a byte.
    fn slice(&self) -> u64 {
        (self.rate / 50).clamp(1, 64 * 1024)
    }

    /// Waits until `len` bytes (cut to a slice) may go; returns how many.
    fn admit(&mut self, len: usize) -> usize {
        let slice = self.slice();
        let n = (len as u64).min(slice);
        let now = Instant::now();
        let start = *self.start.get_or_insert(now);
        let due = start + earliest(self.sent + n, slice, self.rate);
        if due > now {
            std::thread::sleep(due - now);
            self.slept += due - now;
        }
        n as usize
    }
}

/// How long after the first byte `total` bytes may have been sent at `rate` bytes per
/// second, the first `slack` bytes being free.
fn earliest(total: u64, slack: u64, rate: u64) -> Duration {
    let owed = u128::from(total.saturating_sub(slack));
    let nanos = owed * 1_000_000_000 / u128::from(rate.max(1));
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

/// The minimum transfer rate rule (`Limits::min_send_rate`): a response may take the
/// grace period plus one second per `rate` bytes received.
#[derive(Debug, Clone, Copy)]
struct MinRate {
    rate: u64,
    grace: Duration,
}

impl MinRate {
    /// How much longer a response whose client received `sent` bytes in `elapsed` may
    /// take before it falls below the rate; zero when it already has.
    fn time_left(&self, elapsed: Duration, sent: u64) -> Duration {
        let earned = Duration::from_secs(sent / self.rate).saturating_add(Duration::from_nanos(
            // < 1e9 * rate / rate: fits a u64.
            ((u128::from(sent % self.rate) * 1_000_000_000) / u128::from(self.rate)) as u64,
        ));
        self.grace.saturating_add(earned).saturating_sub(elapsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 12 item 5: a client reading 4 KiB every 10 s held a thread for days.
    #[test]
    fn the_minimum_rate_rule() {
        let rule = MinRate {
            rate: 1000,
            grace: Duration::from_secs(30),
        };
        let secs = Duration::from_secs;
        // The grace first; every `rate` bytes earn one more second.
        assert_eq!(rule.time_left(secs(0), 0), secs(30));
        assert_eq!(rule.time_left(secs(29), 0), secs(1));
        assert_eq!(rule.time_left(secs(30), 0), Duration::ZERO);
        assert_eq!(rule.time_left(secs(40), 10_000), Duration::ZERO);
        assert_eq!(rule.time_left(secs(40), 10_500), Duration::from_millis(500));
        // 4 KiB every 10 s (410 B/s) falls behind 1000 B/s after ~51 s ...
        let trickle = |t: u64| rule.time_left(secs(t), t / 10 * 4096);
        assert!(!trickle(50).is_zero());
        assert!(trickle(60).is_zero());
        // ... while a 56k modem (~7 KB/s) never does, however long the file.
        for t in [1, 60, 3600, 86_400 * 30] {
            assert!(rule.time_left(secs(t), t * 7000) >= secs(30));
        }
        // Extreme values saturate instead of panicking.
        let huge = MinRate {
            rate: 1,
            grace: Duration::MAX,
        };
        assert_eq!(huge.time_left(secs(5), u64::MAX), Duration::MAX - secs(5));
        let fast = MinRate {
            rate: u64::MAX,
            grace: secs(1),
        };
        assert_eq!(
            fast.time_left(Duration::ZERO, u64::MAX - 1),
            Duration::new(1, 999_999_999)
        );
        assert_eq!(fast.time_left(secs(2), u64::MAX), Duration::ZERO);
    }

    #[test]
    fn the_throttle_lets_bytes_go_at_the_rate() {
        let ms = Duration::from_millis;
        assert_eq!(earliest(1310, 1310, 65_536), Duration::ZERO);
        assert_eq!(earliest(65_536 + 1310, 1310, 65_536), ms(1000));
        assert_eq!(earliest(1, 0, 2), ms(500));
        assert_eq!(earliest(u64::MAX, 0, 1), Duration::from_nanos(u64::MAX));
        let t = |rate| Throttle {
            rate,
            start: None,
            sent: 0,
            slept: Duration::ZERO,
        };
        assert_eq!(t(65_536).slice(), 1310);
        assert_eq!(t(10).slice(), 1);
        assert_eq!(t(1 << 30).slice(), 64 * 1024);
    }

    #[test]
    fn the_write_timeout_changes_only_when_timing_really_does() {
        let (ms, secs) = (Duration::from_millis, Duration::from_secs);
        let table = [
            // (current, want, change)
            (secs(30), secs(30), false),
            // Before the grace: the write may block until it, a little early is fine.
            (secs(30), ms(29_800), false),
            (secs(30), ms(26_500), false),
            (secs(30), secs(25), true),
            (secs(30), secs(1), true),
            // Waking for look-ups once a second: no syscall per write.
            (secs(1), ms(950), false),
            (secs(1), ms(5), true),
            (ms(5), ms(900), true),
            (ms(5), ms(9), false),
            (secs(1), secs(30), true),
            (Duration::MAX, secs(1), true),
            (secs(1), Duration::MAX, true),
        ];
        for (current, want, change) in table {
            assert_eq!(
                needs_change(current, want),
                change,
                "{current:?} -> {want:?}"
            );
        }
    }
}
