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
//! # The map: the folders read as the pipeline
//! - `main.rs` → [`run_command_line`] (`command.rs`), which joins the command line
//!   (`cli/`: one option table, `cli/options.rs`, gives parsing, `--help` and a
//!   process-mode child's arguments) to the server; the result is a [`Config`]
//!   (`config.rs`).
//! - `server/`: [`Server::bind`] binds the listeners; accept loops take connections
//!   under the cap (`slots.rs`) and hand each to a pooled thread (`workers.rs`) or a child
//!   process started from the executable opened at bind (`process.rs`, `exe.rs`); what
//!   they share is `shared.rs`. [`ServerHandle`] (`handle.rs`) is a spawned server and
//!   its shutdown. Nothing here parses a byte.
//! - `connection/`: `serve_connection`, the one handler both modes run, only moves bytes:
//!   1. read a head in chunks of at most 1 KiB, under a deadline and a size limit; bytes
//!      after it stay buffered for the next pipelined request;
//!   2. parse it (`http/request.rs`) and decide how to frame a body (`http/framing.rs`):
//!      read and drop a small one, refuse a large or chunked one, 400 for ambiguity;
//!   3. ask the response layer (`respond/`) which response, and why if it is a refusal;
//!   4. send it through the one send path (`response.rs`'s `transmit`, through the
//!      minimum-rate writer `paced.rs`, which asks `sendq.rs` what the client has not
//!      received), log it (`record.rs`, `log/`), linger if input may remain, and go
//!      round again while the connection may persist; a live page's event stream
//!      (`events.rs`) instead holds the connection until the page goes.
//! - `respond/`: which response, in stages named in its module doc, with what one
//!   server's requests share (`context.rs`): method (`method.rs`), target (`http/target.rs`), lookup (`resolve.rs` by name,
//!   `policy.rs` the rules, then `filecache.rs` and `open.rs`: opened without blocking and
//!   verified through the descriptor), clean URLs (`clean.rs`), fallback (`fallback.rs`),
//!   file representation (`file.rs`), listing (`listing.rs`, `page.rs`); with `--live`,
//!   the reserved `/.servedir/` paths and the script in HTML pages (`live/`). It reads
//!   no socket.
//! - `http/`: pure HTTP (head, framing, status, target, dates, conditionals, ranges,
//!   codings, media types): no filesystem, no sockets; tested as tables.
//! - `fault/`: faults on demand ([`Fault`]): rules that make chosen paths misbehave
//!   (a forced status, a delay, a throttled or cut body, a dropped or stalled
//!   connection), parsed and checked in one place, applied by `connection/`
//!   (`connection/fault.rs`, the throttle in `paced.rs`, the cut in `transmit`), their
//!   counts shared by every connection (`state.rs`) and, in process mode, reached by the
//!   children over a loopback channel (`control.rs`).
//! - Beside them: `errors.rs` (what an `io::Error` means), `log/` (the access log and
//!   diagnostics, through bounded queues that never block a connection), `clock.rs` (the
//!   one clock reading a request makes) and `inline.rs` (short values held in place and
//!   per-thread recycled lists: a request allocates nothing, `tests/allocations.rs`).
//!
//! # Modes
//! [`Mode::Thread`] serves each connection on its own thread; [`Mode::Process`] in its own
//! child process, a `servedir` executable started with a hidden flag and the socket as its
//! standard input. See [`Config::process_exe`].
//!
//! # Security properties
//! The README's "Security properties" lists each with the tests that prove it: nothing
//! outside the root is read, even when names are swapped mid-request (`respond/open.rs`);
//! dot-files stay private; request heads are bounded in size, count and time; slow
//! readers and stalled log readers cannot hold the server; redirects are never
//! protocol-relative; error bodies carry no internal detail and log lines are escaped.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Without Unix there is no process mode (`server/unsupported.rs`): the code only its
// children use (their argv, log flush, cache budget, stderr relay) is compiled but idle.
#![cfg_attr(not(unix), allow(dead_code, unused_imports))]

mod cli;
mod clock;
mod command;
mod config;
mod connection;
mod errors;
mod fault;
mod http;
mod inline;
mod log;
mod platform;
mod respond;
mod response;
mod server;
#[cfg(test)]
mod testutil;
mod units;

pub use command::run_command_line;
pub use config::{Config, Limits, Mode, Observer, Record, DEFAULT_CACHE_CONTROL, DEFAULT_PORT};
pub use fault::{Fault, FaultError};
pub use server::handle::{ServerHandle, SHUTDOWN_GRACE};
pub use server::Server;
