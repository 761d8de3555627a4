//! How many bytes written to a socket its peer has not acknowledged yet, so that the
//! minimum send rate counts what a client received, not what the kernel took.
//!
//! A blocking write returns once the kernel has *buffered* the bytes, and socket buffers
//! grow to megabytes: a client that reads nothing had ~4 MB "sent" to it, an hour of
//! credit at 1 KiB/s (found in review). std has no `SIOCOUTQ` or `TCP_INFO`, so on Linux
//! the count is read from `/proc/self/net/tcp{,6}` (`tx_queue`), by the socket's inode.
//! That table lists every socket, so it is read at most once a second per process and
//! shared by all its connections. Elsewhere the count is unknown (`None`).

use std::net::TcpStream;

/// Bytes written to `stream` and not yet acknowledged by its peer, as of at most a
/// second ago; `None` where this cannot be known.
#[cfg(target_os = "linux")]
pub(crate) fn unacked(stream: &TcpStream) -> Option<u64> {
    use std::os::fd::AsRawFd;
    let link = std::fs::read_link(format!("/proc/self/fd/{}", stream.as_raw_fd())).ok()?;
    let inode = socket_inode(link.to_str()?)?;
    linux::TABLE.lookup(inode)
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn unacked(_stream: &TcpStream) -> Option<u64> {
    None
}

/// The inode in a socket descriptor's link text, `socket:[12345]`.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn socket_inode(link: &str) -> Option<u64> {
    link.strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

/// `(inode, tx_queue)` of one line of `/proc/net/tcp` or `tcp6`; `None` for the header.
///
/// ```text
///   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
///    0: 0100007F:1ED2 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 39191 ...
/// ```
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn parse_line(line: &str) -> Option<(u64, u64)> {
    let mut fields = line.split_ascii_whitespace();
    let queues = fields.nth(4)?;
    let inode = fields.nth(4)?.parse().ok()?;
    let tx = u64::from_str_radix(queues.split_once(':')?.0, 16).ok()?;
    Some((inode, tx))
}

#[cfg(target_os = "linux")]
mod linux {
    use std::collections::HashMap;
    use std::sync::{Mutex, PoisonError};
    use std::time::{Duration, Instant};

    /// How old the shared table may be.
    const FRESH: Duration = Duration::from_secs(1);

    pub(super) static TABLE: Table = Table(Mutex::new(None));

    pub(super) struct Table(Mutex<Option<(Instant, HashMap<u64, u64>)>>);

    impl Table {
        pub(super) fn lookup(&self, inode: u64) -> Option<u64> {
            let mut table = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            let stale = table.as_ref().is_none_or(|(at, _)| at.elapsed() >= FRESH);
            if stale {
                *table = Some((Instant::now(), read()));
            }
            table.as_ref()?.1.get(&inode).copied()
        }
    }

    /// Every TCP socket's unacknowledged bytes, by inode, as the kernel lists them now.
    pub(super) fn read() -> HashMap<u64, u64> {
        let mut queues = HashMap::new();
        for file in ["/proc/self/net/tcp", "/proc/self/net/tcp6"] {
            if let Ok(text) = std::fs::read_to_string(file) {
                queues.extend(
                    text.lines()
                        .filter_map(crate::connection::sendq::parse_line),
                );
            }
        }
        queues
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_links_parse_exactly() {
        let header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";
        assert_eq!(parse_line(header), None);
        let line = "   3: 0100007F:9C40 0100007F:C350 01 003D0900:00000000 01:00000014 00000000     0        0 4711 2 0000000000000000 20 4 30 10 -1";
        assert_eq!(parse_line(line), Some((4711, 0x003D_0900)));
        assert_eq!(parse_line("   3: short"), None);
        assert_eq!(socket_inode("socket:[4711]"), Some(4711));
        assert_eq!(socket_inode("pipe:[4711]"), None);
        assert_eq!(socket_inode("socket:[x]"), None);
    }

    /// On Linux the real table knows a connected socket, and what its peer has not read
    /// (and so not acknowledged beyond its receive buffer) shows as unacknowledged.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_socket_whose_peer_reads_nothing_has_bytes_in_flight() {
        use std::io::Write;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        assert!(unacked(&server).is_some(), "the socket is in the table");
        server.set_nonblocking(true).unwrap();
        let chunk = vec![7u8; 64 * 1024];
        let mut sent = 0u64;
        // Until the kernel takes no more: the peer's window and our buffer are full.
        while let Ok(n) = (&server).write(&chunk) {
            sent += n as u64;
            if sent > (64 << 20) {
                break;
            }
        }
        // The shared table may be up to a second old: read the kernel's own, as it is now.
        let link = std::fs::read_link(format!("/proc/self/fd/{}", {
            use std::os::fd::AsRawFd;
            server.as_raw_fd()
        }))
        .unwrap();
        let inode = socket_inode(link.to_str().unwrap()).unwrap();
        let queued = *linux::read().get(&inode).unwrap();
        assert!(queued > 0 && queued <= sent, "{queued} of {sent}");
        drop(client);
    }
}
