//! `Exe`: the executable process mode's children run, opened once when the server binds,
//! so that deleting or replacing the binary on disk later changes nothing.
//!
//! It only opens and names the file; starting children is `process.rs`'s job.

use std::fs::{self, File};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The executable children run, opened once by `Server::bind`.
#[derive(Debug)]
pub(crate) struct Exe {
    /// Kept open for the server's life: the program children run, whatever later
    /// happens to its path. Not inherited by children (std opens files close-on-exec).
    _file: File,
    /// What a child is started from: `/proc/self/fd/N` naming `_file` where that works
    /// (each child execs the parent's open file; the kernel opens it before the
    /// close-on-exec descriptor goes away), otherwise the configured path.
    pub(crate) run: PathBuf,
}

impl Exe {
    /// Opens `path`, which must be an executable file.
    ///
    /// # Errors
    /// The file is missing, unreadable, not a regular file or not executable; the
    /// message names the path.
    pub(crate) fn open(path: &Path) -> io::Result<Exe> {
        let context = |e: io::Error| {
            io::Error::new(
                e.kind(),
                format!("cannot use process_exe {}: {e}", path.display()),
            )
        };
        // Checked before opening: opening a FIFO would block.
        let meta = fs::metadata(path).map_err(context)?;
        if !meta.is_file() || meta.permissions().mode() & 0o111 == 0 {
            return Err(context(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not an executable file",
            )));
        }
        let file = File::open(path).map_err(context)?;
        let by_fd = PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()));
        let same = |a: &fs::Metadata, b: &fs::Metadata| a.dev() == b.dev() && a.ino() == b.ino();
        let run = match (fs::metadata(&by_fd), file.metadata()) {
            (Ok(linked), Ok(opened)) if same(&linked, &opened) => by_fd,
            _ => path.to_owned(),
        };
        Ok(Exe { _file: file, run })
    }
}
