//! servedir: a zero-dependency static-file HTTP/1.1 server, as a library.
//!
//! Start a server on an ephemeral port, point any HTTP client at it, and it serves the
//! files below one directory with GET and HEAD, correctly and safely.
//!
//! ```
//! use std::io::{Read, Write};
//! use servedir::{Config, Server};
//!
//! let server = Server::bind(Config { root: "html".into(), port: 0, ..Config::default() })?;
//! let handle = server.spawn()?; // the port is real and bound already
//!
//! let mut client = std::net::TcpStream::connect(handle.local_addr())?;
//! client.write_all(b"GET /index.html HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")?;
//! let mut response = String::new();
//! client.read_to_string(&mut response)?;
//! assert!(response.starts_with("HTTP/1.1 200 OK\r\n"));
//! assert!(response.contains("\r\nContent-Type: text/html; charset=utf-8\r\n"));
//!
//! handle.shutdown()?; // stops accepting, ends idle connections, frees the port
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # The request pipeline
//! Every connection, in either mode, runs the same handler (`connection.rs`):
//! 1. Read the request head in chunks of at most 1 KiB, under a deadline and a size limit
//!    (`request.rs`); bytes after the head stay buffered for the next pipelined request.
//! 2. Parse and check it: request line, version, header syntax, exactly one `Host`.
//! 3. Decide how to frame a request body: read and discard a small one, refuse (answer,
//!    then close) a large or chunked one, 400 for ambiguous framing.
//! 4. Refuse methods other than GET and HEAD (405 or 501, with `Allow`).
//! 5. Reduce the target to clean segments (`target.rs`): query dropped, decoded once,
//!    `.`/`..` resolved without ever climbing above the root.
//! 6. Find it on disk (`resolve.rs`): hidden names, symlinks out of the root, directories
//!    (301 to add the slash, then `index.html`), non-regular files.
//!    Open it (`filecache.rs`): a small file unchanged for a second is served from
//!    memory, checked against the metadata just fetched (device, inode, size, mtime, ctime);
//!    anything else is opened without blocking and verified through its descriptor to be
//!    what the policy allows (`open.rs`), whatever happened to its name meanwhile.
//! 7. Write the head and stream the body (`response.rs`), log one line (`log.rs`), and keep
//!    the connection for the next request unless either side said close.
//!
//! # Modes
//! [`Mode::Thread`] serves each connection on its own thread; [`Mode::Process`] in its own
//! child process, a `servedir` executable started with a hidden flag and the socket as its
//! standard input. See [`Config::process_exe`].
//!
//! # Security properties
//! - Nothing outside the root is read: `..` is resolved on the decoded path before any
//!   filesystem access and a path that climbs above the root is refused
//!   (`target::tests::hostile_targets`, `target::tests::random_hostile_targets_never_escape`,
//!   integration test `wire::traversal_never_reaches_a_file_beside_the_root`); symlinks leading out of the root are 404 unless
//!   allowed (`resolve::tests::table`); what is sent comes from an object verified after
//!   it was opened, so a name swapped mid-request cannot lead out (`open.rs`,
//!   integration tests `races::*`).
//! - Dot-files are 404 unless `hidden` (`resolve::tests::table`).
//! - Request heads are bounded in size, header count and time (`request::tests::limits`,
//!   integration tests `wire::large_heads_within_and_beyond_the_limit`); writes time out.
//! - A redirect `Location` is rebuilt from clean segments, so it never starts with `//`
//!   (`target::tests::encoded_path_never_starts_with_two_slashes`).
//! - Error bodies never contain internal details; log lines escape control characters
//!   (`log::tests::client_bytes_cannot_inject_escapes_or_lines`).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod cli;
mod config;
mod connection;
mod context;
mod errors;
mod http;
mod log;
mod respond;
mod response;
mod server;
#[cfg(test)]
mod testutil;

pub use cli::run_command_line;
pub use config::{Config, Limits, Mode, Observer, Record, DEFAULT_CACHE_CONTROL, DEFAULT_PORT};
pub use server::handle::{ServerHandle, SHUTDOWN_GRACE};
pub use server::Server;
