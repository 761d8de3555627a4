//! What an `io::Error` means to servedir, decided in this one place for the whole crate:
//! a timeout, the client having left, nothing being there to serve, the process out of
//! descriptors or memory, or an address this machine does not have.
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
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory | io::ErrorKind::InvalidFilename
    ) || e.raw_os_error() == Some(ELOOP)
}

/// Linux errno values std has no stable `ErrorKind` for.
const ELOOP: i32 = 40; // a symlink loop: io::ErrorKind::FilesystemLoop is unstable
const ENFILE: i32 = 23; // the system's file table is full
const EMFILE: i32 = 24; // this process's descriptor limit
const ENOBUFS: i32 = 105; // no buffer space for a socket
const ENOMEM: i32 = 12; // no memory for the socket
const EAFNOSUPPORT: i32 = 97; // the address family (IPv6) is not supported
const EADDRNOTAVAIL: i32 = 99; // the address is not configured on this machine

/// Whether `accept` failed for want of descriptors or memory: nothing is wrong with the
/// connection, and accepting again at once would fail again (the accept loop backs off).
pub(crate) fn is_out_of_descriptors(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(ENFILE | EMFILE | ENOBUFS | ENOMEM))
}

/// Whether a bind failed because this machine has no such address: IPv6 disabled, or
/// `::1` not configured (the default loopback pair then serves IPv4 only).
pub(crate) fn is_address_unavailable(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(EAFNOSUPPORT | EADDRNOTAVAIL))
        || e.kind() == io::ErrorKind::AddrNotAvailable
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

    #[test]
    fn each_errno_has_one_meaning() {
        // (errno, out of descriptors, address unavailable, missing)
        let table = [
            (23, true, false, false),   // ENFILE
            (24, true, false, false),   // EMFILE
            (105, true, false, false),  // ENOBUFS
            (12, true, false, false),   // ENOMEM
            (97, false, true, false),   // EAFNOSUPPORT
            (99, false, true, false),   // EADDRNOTAVAIL
            (40, false, false, true),   // ELOOP
            (98, false, false, false),  // EADDRINUSE
            (104, false, false, false), // ECONNRESET
            (11, false, false, false),  // EAGAIN
            (13, false, false, false),  // EACCES
        ];
        for (errno, fds, unavailable, missing) in table {
            let e = io::Error::from_raw_os_error(errno);
            assert_eq!(is_out_of_descriptors(&e), fds, "{errno}");
            assert_eq!(is_address_unavailable(&e), unavailable, "{errno}");
            assert_eq!(is_missing(&e), missing, "{errno}");
        }
        // Without an errno, only the kind counts.
        assert!(is_address_unavailable(&io::Error::from(AddrNotAvailable)));
        assert!(!is_out_of_descriptors(&io::Error::from(OutOfMemory)));
    }
}
