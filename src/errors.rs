//! What an `io::Error` means to servedir, decided in this one place for the whole crate:
//! a timeout, the client having left, nothing being there to serve, the process out of
//! descriptors or memory, or an address this machine does not have.
//!
//! And how an error reads to a user: [`describe`] words the errors a user can act on
//! the same on every platform.
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

use crate::platform::errno::{EAFNOSUPPORT, ELOOP, EMFILE, ENFILE, ENOBUFS, ENOMEM};

/// Whether `accept` failed for want of descriptors or memory: nothing is wrong with the
/// connection, and accepting again at once would fail again (the accept loop backs off).
pub(crate) fn is_out_of_descriptors(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(ENFILE | EMFILE | ENOBUFS | ENOMEM))
}

/// Whether a bind failed because this machine has no such address: IPv6 disabled, or
/// `::1` not configured (the default loopback pair then serves IPv4 only).
pub(crate) fn is_address_unavailable(e: &io::Error) -> bool {
    e.raw_os_error() == Some(EAFNOSUPPORT) || e.kind() == io::ErrorKind::AddrNotAvailable
}

/// What went wrong, in words a user can act on, the same on every platform: the
/// system's own text for the common cases differs (Windows: "OS Error 10048", or "File
/// not found." for a missing directory), so those are worded here; anything else keeps
/// the system's text.
pub(crate) fn describe(e: &io::Error) -> String {
    let words = match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory",
        io::ErrorKind::PermissionDenied => "permission denied",
        io::ErrorKind::NotADirectory => "not a directory",
        io::ErrorKind::AddrInUse => "address already in use",
        io::ErrorKind::AddrNotAvailable => "address not available on this machine",
        // Windows: "Invalid name. (os error 123)" for `C:\site"`, the argument a
        // quoted `"C:\site\"` becomes; Unix: a name too long.
        io::ErrorKind::InvalidFilename => {
            "not a valid path (a name too long, or a character such as \" that names cannot hold)"
        }
        _ => return e.to_string(),
    };
    words.to_owned()
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
        let symlink_loop = io::Error::from_raw_os_error(ELOOP);
        assert!(is_missing(&symlink_loop));
        assert!(!is_timeout(&symlink_loop) && !is_client_gone(&symlink_loop));
    }

    #[test]
    fn each_errno_has_one_meaning() {
        // (this platform's errno, out of descriptors, address unavailable, missing)
        let table = [
            (ENFILE, true, false, false),
            (EMFILE, true, false, false),
            (ENOBUFS, true, false, false),
            (ENOMEM, true, false, false),
            (EAFNOSUPPORT, false, true, false),
            (ELOOP, false, false, true),
        ];
        for (errno, fds, unavailable, missing) in table {
            let e = io::Error::from_raw_os_error(errno);
            assert_eq!(is_out_of_descriptors(&e), fds, "{errno}");
            assert_eq!(is_address_unavailable(&e), unavailable, "{errno}");
            assert_eq!(is_missing(&e), missing, "{errno}");
        }
        // Errors std has a kind for are matched by their kind, on every platform.
        assert!(is_address_unavailable(&io::Error::from(AddrNotAvailable)));
        assert!(!is_address_unavailable(&io::Error::from(AddrInUse)));
        assert!(!is_out_of_descriptors(&io::Error::from(OutOfMemory)));
        assert!(!is_out_of_descriptors(&io::Error::from(ConnectionReset)));
    }

    #[test]
    fn what_a_user_can_act_on_reads_the_same_everywhere() {
        assert_eq!(
            describe(&io::Error::from(NotFound)),
            "no such file or directory"
        );
        assert_eq!(
            describe(&io::Error::from(AddrInUse)),
            "address already in use"
        );
        assert_eq!(
            describe(&io::Error::from(PermissionDenied)),
            "permission denied"
        );
        assert!(describe(&io::Error::from(InvalidFilename)).starts_with("not a valid path"));
        // The system's own errors of those kinds read the same.
        let missing = std::fs::metadata("/no/such/servedir/path").unwrap_err();
        assert_eq!(describe(&missing), "no such file or directory");
        let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let again = std::net::TcpListener::bind(busy.local_addr().unwrap()).unwrap_err();
        assert_eq!(describe(&again), "address already in use");
        // Others keep their own text.
        let other = io::Error::other("disk on fire");
        assert_eq!(describe(&other), "disk on fire");
    }
}
