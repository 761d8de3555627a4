//! The one place that knows the operating system: what std spells differently on Unix
//! and on Windows (a file's identity, opening without blocking, an open file's real
//! path, socket plumbing). Everything else in servedir is written once.
//!
//! # Platform-specific behavior
//! - Unix: a file is identified by device and inode, and its change time (which no
//!   user can set back) shows any write, truncation, rename over it or `chmod`.
//! - Windows: std has no stable file index or change time; a file is identified by its
//!   length, modification and creation times (a file renamed over another brings its
//!   own creation time). A same-length rewrite that also restores the modification time
//!   is not seen; nothing else is.
//! - Linux: an open file's real path is read from `/proc/self/fd/N`.

use std::fs::{File, Metadata, OpenOptions};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::time::SystemTime;

/// Whether file names alias the Windows way (`\` separates, `C:` is a drive, `a:s` a
/// stream, `CON` a device, trailing dots and spaces vanish), so that the target
/// cleaner refuses them; on Unix each is an ordinary name.
pub(crate) const WINDOWS_FILE_NAMES: bool = cfg!(windows);

/// What must not change for two looks at a file to have seen the same file with the
/// same bytes, as far as the operating system can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileId {
    object: Object,
    len: u64,
    modified: Option<SystemTime>,
    /// Unix: the change time. Windows: the creation time.
    changed: Option<SystemTime>,
}

/// Which object a file is, where the platform can tell objects apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Object {
    #[cfg(unix)]
    dev: u64,
    #[cfg(unix)]
    ino: u64,
}

impl FileId {
    /// The identity of the file `meta` describes.
    pub(crate) fn of(meta: &Metadata) -> FileId {
        FileId {
            object: object(meta),
            len: meta.len(),
            modified: meta.modified().ok(),
            changed: changed(meta),
        }
    }

    /// When the file last changed in any way the platform records, if known.
    pub(crate) fn last_change(&self) -> Option<SystemTime> {
        match (self.modified, self.changed) {
            (Some(m), Some(c)) => Some(m.max(c)),
            (m, c) => m.or(c),
        }
    }
}

/// Whether `a` and `b` describe the very same object (Unix: device and inode). Where
/// the platform cannot tell objects apart, whether they look the same ([`FileId`]).
pub(crate) fn same_object(a: &Metadata, b: &Metadata) -> bool {
    if cfg!(unix) {
        object(a) == object(b)
    } else {
        FileId::of(a) == FileId::of(b)
    }
}

#[cfg(unix)]
fn object(meta: &Metadata) -> Object {
    use std::os::unix::fs::MetadataExt;
    Object {
        dev: meta.dev(),
        ino: meta.ino(),
    }
}

#[cfg(not(unix))]
fn object(_meta: &Metadata) -> Object {
    Object {}
}

#[cfg(unix)]
fn changed(meta: &Metadata) -> Option<SystemTime> {
    use std::os::unix::fs::MetadataExt;
    use std::time::Duration;
    let secs = u64::try_from(meta.ctime()).ok()?;
    let nanos = u32::try_from(meta.ctime_nsec()).ok()?;
    SystemTime::UNIX_EPOCH.checked_add(Duration::new(secs, nanos))
}

#[cfg(not(unix))]
fn changed(meta: &Metadata) -> Option<SystemTime> {
    meta.created().ok()
}

/// Options to open a file or directory for reading such that opening cannot block:
/// Unix `O_NONBLOCK | O_NOCTTY` (a FIFO would wait for a writer and hold the
/// connection's thread past every timeout; a terminal must not become ours; regular
/// files and directories ignore both). On Windows a directory needs
/// `FILE_FLAG_BACKUP_SEMANTICS` to be opened at all.
pub(crate) fn read_without_blocking() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(NO_BLOCK);
    }
    #[cfg(windows)]
    {
        use std::os::windows::fs::OpenOptionsExt;
        const FILE_FLAG_BACKUP_SEMANTICS: u32 = 0x0200_0000;
        options.custom_flags(FILE_FLAG_BACKUP_SEMANTICS);
    }
    options
}

/// `O_NONBLOCK | O_NOCTTY`: std has no names for them, so they are spelt here.
#[cfg(all(
    target_os = "linux",
    not(any(
        target_arch = "mips",
        target_arch = "mips64",
        target_arch = "sparc",
        target_arch = "sparc64"
    ))
))]
const NO_BLOCK: i32 = 0o4000 | 0o400;
#[cfg(all(target_os = "linux", any(target_arch = "mips", target_arch = "mips64")))]
const NO_BLOCK: i32 = 0x80 | 0x800;
#[cfg(all(
    target_os = "linux",
    any(target_arch = "sparc", target_arch = "sparc64")
))]
const NO_BLOCK: i32 = 0x4000 | 0x8000;
#[cfg(any(target_os = "macos", target_os = "ios"))]
const NO_BLOCK: i32 = 0x4 | 0x20000;
#[cfg(any(target_os = "freebsd", target_os = "openbsd", target_os = "netbsd"))]
const NO_BLOCK: i32 = 0x4 | 0x8000;
#[cfg(all(
    unix,
    not(any(
        target_os = "linux",
        target_os = "macos",
        target_os = "ios",
        target_os = "freebsd",
        target_os = "openbsd",
        target_os = "netbsd"
    ))
))]
compile_error!("servedir needs this platform's O_NONBLOCK and O_NOCTTY values in platform.rs");

/// Whether an accepted socket inherits the listener's `TCP_NODELAY` and timeouts: Linux
/// copies them on accept, which saves three syscalls per connection. Elsewhere (measured
/// under Wine for Windows; not relied on for macOS) each connection sets its own.
pub(crate) const ACCEPTED_SOCKETS_INHERIT_OPTIONS: bool = cfg!(target_os = "linux");

/// A path that names `file` itself, whatever happens to the name it was opened by:
/// Linux's `/proc/self/fd/N`. `None` elsewhere.
#[cfg(target_os = "linux")]
pub(crate) fn descriptor_path(file: &File) -> Option<PathBuf> {
    use std::os::fd::AsRawFd;
    Some(PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd())))
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn descriptor_path(_file: &File) -> Option<PathBuf> {
    None
}

/// The listening socket as a stream, to set the options std only offers on streams
/// (the socket is the same either way), and back.
pub(crate) fn with_stream_options(
    listener: TcpListener,
    set: impl FnOnce(&TcpStream) -> std::io::Result<()>,
) -> std::io::Result<TcpListener> {
    #[cfg(unix)]
    use std::os::fd::OwnedFd as Owned;
    #[cfg(windows)]
    use std::os::windows::io::OwnedSocket as Owned;
    let socket = TcpStream::from(Owned::from(listener));
    set(&socket)?;
    Ok(TcpListener::from(Owned::from(socket)))
}
