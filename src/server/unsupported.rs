//! Process mode where it cannot work: std hands a socket to a child process as its
//! standard input only on Unix (`Stdio::from(OwnedFd)`); on Windows that takes `unsafe`
//! handle inheritance, which servedir forbids. So binding a process-mode server fails
//! with a clear error, and the hidden child entry says why and exits 2.

use std::io;
use std::net::TcpStream;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use crate::config::Config;
use crate::server::shared::Shared;

/// Why process mode is refused here (`platform::NO_PROCESS_MODE`).
const WHY: &str = match crate::platform::NO_PROCESS_MODE {
    Some(why) => why,
    None => "process mode is not available on this platform",
};

/// Process mode's executable: never opened here.
#[derive(Debug, Clone)]
pub(crate) struct Exe;

impl Exe {
    /// Always fails: see the module doc.
    pub(crate) fn open(_path: &Path) -> io::Result<Exe> {
        Err(io::Error::new(io::ErrorKind::Unsupported, WHY))
    }
}

/// Process mode's children: never started here (`Exe::open` fails first at bind).
#[derive(Debug, Clone)]
pub(crate) struct Children;

impl Children {
    /// Always fails: see the module doc.
    pub(crate) fn start(_shared: &Arc<Shared>) -> io::Result<Children> {
        Err(io::Error::new(io::ErrorKind::Unsupported, WHY))
    }

    /// Never called: no `Children` exists.
    pub(crate) fn spawn(&self, _shared: &Arc<Shared>, _stream: TcpStream) {}

    /// Never called: no `Children` exists.
    pub(crate) fn finish(self, _deadline: Instant) {}
}

/// The hidden child entry: says why it cannot serve and exits 2.
pub fn serve_inherited_connection(_config: Config) -> ExitCode {
    eprintln!("servedir: {WHY}");
    ExitCode::from(2)
}
