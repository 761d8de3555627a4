//! A process-mode child's log without writer threads: lines go straight to a stdout (or
//! stderr) of the child's own that never waits (`platform::private_stdout`) for as long
//! as it takes each one at once. The first line it does not take whole hands over, with
//! what is left of it, to the queue and its writer thread (`queue.rs`), which then write
//! every later line, so a stalled stdout is handled exactly as before.
//!
//! Why: a child serves one connection, and starting the writer thread was a tenth of its
//! CPU (issue 17). Thread mode keeps its one writer: it lives as long as the server.

use std::fs::File;
use std::io::{ErrorKind, Write};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// A child's stdout, written directly until the first line it does not take at once.
pub(super) struct Direct(Mutex<Option<File>>);

impl Direct {
    /// Direct writing to stdout when it can have a description of the child's own that
    /// never waits (`platform::private_stdout`); otherwise every line goes to the queue,
    /// as in thread mode.
    pub(super) fn stdout() -> Direct {
        Direct(Mutex::new(crate::platform::private_stdout()))
    }

    /// The same for stderr: a child's diagnostics (its own pipe to the parent).
    pub(super) fn stderr() -> Direct {
        Direct(Mutex::new(crate::platform::private_stderr()))
    }

    /// The stdout to write to, `None` once lines go through the queue. Held while a line
    /// is handed to the queue, so that no later line can overtake it.
    pub(super) fn lock(&self) -> MutexGuard<'_, Option<File>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Writes as much of `line` as `out` takes without waiting and returns the rest: empty
/// when it took it all. A line up to `PIPE_BUF` (4 KiB) goes in one write, which a pipe
/// takes whole or not at all, so lines of children sharing a stdout never interleave.
pub(super) fn write_now<'a>(out: &mut impl Write, line: &'a [u8]) -> &'a [u8] {
    let mut rest = line;
    while !rest.is_empty() {
        match out.write(rest) {
            Ok(0) => break,
            Ok(n) => rest = &rest[n..],
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            // Full (WouldBlock) or failing: the writer thread waits, or counts it lost.
            Err(_) => break,
        }
    }
    rest
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::io::Read;
    use std::os::fd::OwnedFd;
    use std::os::unix::net::UnixStream;

    /// A pipe whose write end does not block (std's `set_nonblocking` is the socket
    /// one, `ioctl(FIONBIO)`, which Linux and macOS apply to a pipe too).
    fn pipe() -> (std::io::PipeReader, File) {
        let (reader, writer) = std::io::pipe().unwrap();
        let writer = UnixStream::from(OwnedFd::from(writer));
        writer.set_nonblocking(true).unwrap();
        (reader, File::from(OwnedFd::from(writer)))
    }

    #[test]
    fn writes_whole_lines_until_the_pipe_is_full_then_hands_back_the_whole_line() {
        let (mut reader, mut writer) = pipe();
        let line = format!("{}\n", "x".repeat(999)).into_bytes();
        let mut written = 0;
        let rest = loop {
            let rest = write_now(&mut writer, &line);
            if !rest.is_empty() {
                break rest;
            }
            written += 1;
            assert!(written < 100_000, "the pipe never filled");
        };
        // A full pipe takes a line up to PIPE_BUF whole or not at all.
        assert_eq!(rest, &line[..]);
        drop(writer);
        let mut all = Vec::new();
        reader.read_to_end(&mut all).unwrap();
        assert_eq!(all.len(), written * line.len());
        assert!(all.chunks(line.len()).all(|l| l == &line[..]));
    }

    #[test]
    fn a_closed_reader_hands_back_the_line() {
        let (reader, mut writer) = pipe();
        drop(reader);
        assert_eq!(write_now(&mut writer, b"a line\n"), b"a line\n");
        assert_eq!(write_now(&mut writer, b""), b"");
    }
}
