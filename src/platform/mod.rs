//! The one place that knows the operating system: what std spells differently on Unix
//! and on Windows (a file's identity, opening without blocking, an open file's real
//! path, socket plumbing). Everything else in servedir is written once.
//!
//! # Platform-specific behavior
//! - Unix: a file is identified by device and inode, and its change time (which no
//!   user can set back) shows any write, truncation, rename over it or `chmod`.
//! - Windows: std has no stable file index or change time; a file is identified by its
//!   length, modification and creation times. Every write moves the modification time;
//!   a same-length file that keeps the old modification time (`touch -r`, a copy that
//!   keeps times, renamed over it: tunnelling gives it the old creation time too) is
//!   not seen, and the file cache re-reads its copy within a second anyway.
//! - Linux: an open file's real path is read from `/proc/self/fd/N`.
//! - Windows: `shutdown` does not wake a thread blocked reading the socket, so an idle
//!   connection waiting for its next request looks at the server's stop flag every
//!   [`STOP_POLL`]; on Unix shutting the socket's reading side wakes it at once.
//! - Windows: `fs::canonicalize` answers `\\?\C:\site`; servedir prints and compares the
//!   plain `C:\site` wherever that names the same directory ([`canonicalize`]).

pub(crate) mod windows_names;

use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

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
    /// Unix: the change time. Windows: the creation time (which tunnelling may carry
    /// over to a file renamed onto the name).
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

/// Whether metadata identifies an object (device and inode on Unix). Where it does not
/// (Windows: size and times, which change with every write), a directory is identified
/// by its real path instead (`respond/open.rs`).
pub(crate) const METADATA_IDENTIFIES_OBJECTS: bool = cfg!(unix);

/// Whether `a` and `b` describe the very same object (Unix: device and inode). Where
/// the platform cannot tell objects apart, whether they look the same ([`FileId`]).
pub(crate) fn same_object(a: &Metadata, b: &Metadata) -> bool {
    if METADATA_IDENTIFIES_OBJECTS {
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

/// This process's parent, where the platform tells it: a process-mode child whose
/// parent is gone (killed without its children) sees it change, and ends a connection
/// it would otherwise hold for as long as the client keeps it (a live page's stream).
#[cfg(unix)]
pub(crate) fn parent_id() -> Option<u32> {
    Some(std::os::unix::process::parent_id())
}

/// This process's parent: Windows has no process mode, and std does not tell it.
#[cfg(not(unix))]
pub(crate) fn parent_id() -> Option<u32> {
    None
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
compile_error!("servedir needs this platform's O_NONBLOCK and O_NOCTTY values in platform/mod.rs");

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

/// Standard output as a file whose writes never wait for a reader: a regular file as it
/// is (it shares its offset with the parent's; a disk does not stall the way a reader
/// can), a pipe or a character device (a terminal, `/dev/null`) opened again through
/// `/proc/self/fd/1` as a non-blocking description of this process's own (making the
/// shared one non-blocking would change it for the parent and every sibling too).
/// `None` for a socket (it cannot be opened again), a pipe nobody reads, and on systems
/// other than Linux.
pub(crate) fn private_stdout() -> Option<File> {
    private_output(io::stdout(), "/proc/self/fd/1")
}

/// Standard error as [`private_stdout`] gives standard output.
pub(crate) fn private_stderr() -> Option<File> {
    private_output(io::stderr(), "/proc/self/fd/2")
}

#[cfg(target_os = "linux")]
fn private_output(stream: impl std::os::fd::AsFd, path: &str) -> Option<File> {
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    let shared = File::from(stream.as_fd().try_clone_to_owned().ok()?);
    let meta = shared.metadata().ok()?;
    let kind = meta.file_type();
    if kind.is_file() {
        return Some(shared);
    }
    if !kind.is_fifo() && !kind.is_char_device() {
        return None;
    }
    let own = OpenOptions::new()
        .write(true)
        .custom_flags(NO_BLOCK)
        .open(path)
        .ok()?;
    same_object(&own.metadata().ok()?, &meta).then_some(own)
}

#[cfg(not(target_os = "linux"))]
fn private_output<T>(_stream: T, _path: &str) -> Option<File> {
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

/// How many threads accept from each listener. Two on Unix (see `server::spawn`: one
/// drains the queue while the other waits for the CPU). One on Windows: the second
/// thread accepts from a duplicated socket (`WSADuplicateSocket`), and under Wine, with
/// the machine loaded, a connection now and then sat unaccepted for over 10 s while
/// later ones were served (with one thread, not once in the same runs).
pub(crate) const ACCEPT_THREADS: usize = if cfg!(windows) { 1 } else { 2 };

/// Whether a listener's read timeout also bounds `accept`, so that an accepting thread
/// wakes on its own now and then: Linux. On Windows (measured under Wine) and macOS
/// (XNU's accept sleeps without a timeout) only a connection wakes it, so shutdown keeps
/// trying its wake-up connection until the thread has woken.
pub(crate) const ACCEPT_TIMES_OUT: bool = cfg!(target_os = "linux");

/// Why process mode cannot run here (the end of a sentence that names the mode the
/// caller's way: `--mode process`, `Mode::Process`), or `None` where it can. A child serves its
/// connection as its standard input, and std hands a socket to a child that way only on
/// Unix (`Stdio::from(OwnedFd)`); on Windows it takes handle inheritance through
/// `unsafe` Win32 calls, which servedir forbids. Relaying the bytes through the child's
/// pipes instead would keep a parent thread per connection (thread mode plus a process)
/// and take the socket's deadlines away from the child: not the model process mode is
/// there to show.
pub(crate) const NO_PROCESS_MODE: Option<&str> = if cfg!(unix) {
    None
} else {
    Some("std can hand a connection to a child process only on Unix (Linux, macOS)")
};

/// Whether shutting a socket's reading side (`shutdown(Read)`) wakes a thread blocked
/// reading it: on Unix the read returns the end of the stream at once. On Windows it does
/// not (measured under Wine; Winsock documents only `closesocket` as cancelling a blocked
/// call, which std cannot do while another thread still holds the socket).
pub(crate) const SHUTDOWN_WAKES_READS: bool = cfg!(unix);

/// Where [`SHUTDOWN_WAKES_READS`] is false, how long an idle connection (no byte of its
/// next request yet) blocks before it looks at the server's stop flag: the longest an
/// idle keep-alive connection delays shutdown there, for four wake-ups a second per idle
/// connection. A connection in the middle of a head is left to its head deadline: under
/// Wine, 400 slow clients polling starved the accept loop of another server for 10 s.
pub(crate) const STOP_POLL: Duration = Duration::from_millis(250);

/// OS error numbers for which std has no stable `io::ErrorKind`, as this platform spells
/// them (Winsock's `WSAE*` on Windows). `errors.rs` gives them their meaning.
pub(crate) mod errno {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    mod values {
        pub(crate) const ELOOP: i32 = 40;
        pub(crate) const ENFILE: i32 = 23;
        pub(crate) const EMFILE: i32 = 24;
        pub(crate) const ENOBUFS: i32 = 105;
        pub(crate) const ENOMEM: i32 = 12;
        pub(crate) const EAFNOSUPPORT: i32 = 97;
    }
    // The BSD numbering, macOS's too.
    #[cfg(all(unix, not(any(target_os = "linux", target_os = "android"))))]
    mod values {
        pub(crate) const ELOOP: i32 = 62;
        pub(crate) const ENFILE: i32 = 23;
        pub(crate) const EMFILE: i32 = 24;
        pub(crate) const ENOBUFS: i32 = 55;
        pub(crate) const ENOMEM: i32 = 12;
        pub(crate) const EAFNOSUPPORT: i32 = 47;
    }
    #[cfg(windows)]
    mod values {
        /// `ERROR_CANT_RESOLVE_FILENAME`: what a loop of symbolic links gives.
        pub(crate) const ELOOP: i32 = 1921;
        /// `ERROR_TOO_MANY_OPEN_FILES`.
        pub(crate) const ENFILE: i32 = 4;
        pub(crate) const EMFILE: i32 = 10024;
        pub(crate) const ENOBUFS: i32 = 10055;
        /// `ERROR_NOT_ENOUGH_MEMORY`.
        pub(crate) const ENOMEM: i32 = 8;
        pub(crate) const EAFNOSUPPORT: i32 = 10047;
    }
    pub(crate) use values::*;
}

/// `fs::canonicalize`, spelt the way a user writes it: on Windows without the `\\?\`
/// prefix std adds, wherever the plain path names the very same directory
/// ([`plain_windows_path`]); elsewhere exactly `fs::canonicalize`.
///
/// # Errors
/// Those of `fs::canonicalize`: the path does not exist, or a component cannot be read.
pub(crate) fn canonicalize(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    let real = std::fs::canonicalize(path)?;
    if cfg!(windows) {
        if let Some(plain) = real.to_str().and_then(plain_windows_path) {
            return Ok(PathBuf::from(plain));
        }
    }
    Ok(real)
}

/// The plain form of a verbatim Windows path (`\\?\C:\a` -> `C:\a`, `\\?\UNC\h\s\a` ->
/// `\\h\s\a`), or `None` when Win32 would read the plain form differently: a component
/// with a trailing dot or space, a device name (`CON`), `.` or `..`, or a path longer
/// than `MAX_PATH`. Pure, and tested on every platform.
pub(crate) fn plain_windows_path(verbatim: &str) -> Option<String> {
    /// Win32's classic limit; longer plain paths are read only with the prefix.
    const MAX_PATH: usize = 260;
    let (plain, rest) = if let Some(unc) = verbatim.strip_prefix(r"\\?\UNC\") {
        (format!(r"\\{unc}"), unc)
    } else {
        let rest = verbatim.strip_prefix(r"\\?\")?;
        let drive = rest.as_bytes();
        if !(drive.len() >= 3 && drive[0].is_ascii_alphabetic() && &drive[1..3] == b":\\") {
            return None;
        }
        (rest.to_owned(), &rest[3..])
    };
    let readable = rest
        .split('\\')
        .filter(|c| !c.is_empty())
        .all(|c| c != "." && c != ".." && windows_names::alias(c).is_none());
    (readable && plain.len() < MAX_PATH).then_some(plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbatim_paths_are_plain_only_where_win32_reads_them_the_same() {
        let table = [
            (r"\\?\C:\site", Some(r"C:\site")),
            (r"\\?\c:\", Some(r"c:\")),
            (r"\\?\D:\my site\public", Some(r"D:\my site\public")),
            (r"\\?\UNC\host\share\site", Some(r"\\host\share\site")),
            // Win32 would strip the dot, open the device, or climb.
            (r"\\?\C:\site.", None),
            (r"\\?\C:\site \x", None),
            (r"\\?\C:\CON\x", None),
            (r"\\?\C:\a\nul.txt", None),
            (r"\\?\C:\a\..\b", None),
            // Not a drive path, or not verbatim at all.
            (r"\\?\Volume{0}\x", None),
            (r"\\?\GLOBALROOT\Device\x", None),
            (r"\\.\C:\x", None),
            (r"C:\site", None),
            ("/srv/site", None),
        ];
        for (verbatim, plain) in table {
            assert_eq!(plain_windows_path(verbatim).as_deref(), plain, "{verbatim}");
        }
        let long = format!(r"\\?\C:\{}", "a".repeat(300));
        assert_eq!(plain_windows_path(&long), None);
    }
}
