//! What an `io::Error` means to servedir, decided in this one place for the whole crate:
//! a timeout, the client having left, or nothing being there to serve.
//!
//! Only classification: which status an error earns is `Status::from_io_error`'s
//! (`http/status.rs`), built on these; what to do about it is the caller's.

use std::io;

/// Whether an error is a socket timeout: `TimedOut`, or `WouldBlock`, which is how Unix
/// reports an expired `SO_RCVTIMEO`/`SO_SNDTIMEO` (STYLE.md's trap 3: matching only
/// `TimedOut` never sees a timeout on Linux).
pub(crate) fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Whether an error means the client has already left: nothing to report (a line per
/// reset flooded stderr once, see `serve_inherited_connection`).
pub(crate) fn is_client_gone(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotConnected
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
    )
}

/// Whether a filesystem error means "there is nothing here to serve": 404, not 500.
/// A symlink loop counts: it leads nowhere.
pub(crate) fn is_missing(e: &io::Error) -> bool {
    const ELOOP: i32 = 40; // a symlink loop: io::ErrorKind::FilesystemLoop is unstable
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory | io::ErrorKind::InvalidFilename
    ) || e.raw_os_error() == Some(ELOOP)
}

#[cfg(test)]
mod tests {
    use super::*;
    use io::ErrorKind::*;

    #[test]
    fn each_kind_has_one_meaning() {
        // (kind, timeout, client gone, missing)
        let table = [
            (WouldBlock, true, false, false),
            (TimedOut, true, false, false),
            (ConnectionReset, false, true, false),
            (ConnectionAborted, false, true, false),
            (BrokenPipe, false, true, false),
            (NotConnected, false, true, false),
            (NotFound, false, false, true),
            (NotADirectory, false, false, true),
            (InvalidFilename, false, false, true),
            (PermissionDenied, false, false, false),
            (Interrupted, false, false, false),
            (UnexpectedEof, false, false, false),
            (Other, false, false, false),
        ];
        for (kind, timeout, gone, missing) in table {
            let e = io::Error::from(kind);
            assert_eq!(is_timeout(&e), timeout, "{kind:?}");
            assert_eq!(is_client_gone(&e), gone, "{kind:?}");
            assert_eq!(is_missing(&e), missing, "{kind:?}");
        }
        let symlink_loop = io::Error::from_raw_os_error(40);
        assert!(is_missing(&symlink_loop));
        assert!(!is_timeout(&symlink_loop) && !is_client_gone(&symlink_loop));
    }
}
