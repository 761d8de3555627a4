//! Runs the `servedir` command: parse, then print help or version, serve, or be process
//! mode's child; prints what a user needs on stderr and picks the exit code. What the
//! arguments mean is `cli/`'s business; this is the one place that joins it to `server/`.

use std::ffi::OsString;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::config::{Config, Mode};
use crate::server::process::serve_inherited_connection;
use crate::server::Server;

use crate::cli::{parse, usage, Action};

/// Runs the `servedir` command with these arguments (without the program name) and
/// returns its exit code: 0 done, 1 a runtime failure (said on stderr), 2 a usage error.
///
/// Prints `--help` and `--version` to stdout; serving blocks until the server stops and
/// logs each response to stdout unless `--quiet`. This is the whole `servedir` binary:
/// `fn main() -> ExitCode { servedir::run_command_line(std::env::args_os().skip(1)) }`.
///
/// # Examples
/// ```
/// use std::process::ExitCode;
///
/// assert_eq!(servedir::run_command_line(["--version"]), ExitCode::SUCCESS);
/// // A usage error is one line on stderr and exit code 2.
/// assert_eq!(servedir::run_command_line(["--port", "http"]), ExitCode::from(2));
/// ```
///
/// # Platform-specific behavior
/// On Linux, process mode's children run the very program this process runs, even if
/// its file was replaced since: `Server::bind` opens `/proc/self/exe` once and starts
/// each child through that open file (`/proc/self/fd/N`), and a child names itself
/// `servedir` in `/proc/self/comm`.
pub fn run_command_line<I>(args: I) -> ExitCode
where
    I: IntoIterator,
    I::Item: Into<OsString>,
{
    match parse(args) {
        Err(e) => {
            eprintln!("servedir: {e}");
            if e.hint() {
                eprintln!("Try 'servedir --help' for more information.");
            }
            ExitCode::from(2)
        }
        Ok(Action::Help) => {
            print!("{}", usage());
            ExitCode::SUCCESS
        }
        Ok(Action::Version) => {
            println!("servedir {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Ok(Action::Child(config)) => child(config),
        Ok(Action::Serve(config)) => serve(config),
    }
}

/// Process mode's child: serves the connection on standard input.
fn child(config: Config) -> ExitCode {
    // Started as /proc/self/fd/N, the kernel names this process "N": name it
    // as `ps`, `top` and `pgrep servedir` expect (Linux only; harmless elsewhere).
    let _ = std::fs::write("/proc/self/comm", "servedir");
    serve_inherited_connection(config)
}

/// Binds, says where it serves, and serves until the server stops.
fn serve(mut config: Config) -> ExitCode {
    if config.mode == Mode::Process {
        match own_executable() {
            Ok(exe) => config.process_exe = Some(exe),
            Err(e) => {
                eprintln!("servedir: cannot find my own executable for process mode: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let given_root = config.root.clone();
    let modes = switched_on(&config);
    let Some(server) = bind(config) else {
        return ExitCode::FAILURE;
    };
    announce(&server, &given_root);
    for line in modes {
        eprintln!("{line}");
    }
    match server.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("servedir: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `Server::bind`, saying why on stderr when it fails.
fn bind(config: Config) -> Option<Server> {
    // Run from anywhere but a project with an html/ folder, the default ROOT is
    // missing: say how to serve where the user is (issue 12, item 13).
    let default_root = (config.root == Config::default().root).then(|| config.root.clone());
    match Server::bind(config) {
        Ok(server) => Some(server),
        Err(e) => {
            eprintln!("servedir: {e}");
            if let Some(root) = default_root.filter(|_| e.kind() == io::ErrorKind::NotFound) {
                eprintln!(
                    "servedir: ROOT defaults to ./{}, which is not here; \
                     to serve the current directory, run: servedir .",
                    root.display()
                );
            }
            None
        }
    }
}

/// A line for each setting that changes what every client sees: a server reused from
/// the shell's history must not fail on purpose without a word (new-user review).
fn switched_on(config: &Config) -> Vec<String> {
    let mut lines = Vec::new();
    if config.live {
        lines.push("live reload on: HTML pages load /.servedir/live.js".to_owned());
    }
    if config.clean_urls {
        lines.push("clean URLs on: /about serves about.html".to_owned());
    }
    if let Some(faults) = config.faults.as_ref().filter(|f| !f.is_empty()) {
        let rules: Vec<String> = faults.iter().map(ToString::to_string).collect();
        lines.push(format!("fault rules on: {}", rules.join("; ")));
    }
    lines
}

/// Prints the root and every address served, on stderr.
fn announce(server: &Server, given_root: &Path) {
    // stderr is unbuffered: tests read these lines as soon as they are printed.
    let root = server.root();
    match std::path::absolute(given_root) {
        // A root given through a symlink is followed by every request: say so. Only
        // then: `c:\site` for `C:\Site` (Windows), `a/../b` or a short name has no link.
        Ok(given) if given != root && crate::respond::context::has_link(&given) => eprintln!(
            "serving {} (now {}; links on the way are followed by every request)",
            given.display(),
            root.display()
        ),
        _ => eprintln!("serving {}", root.display()),
    }
    for addr in server.local_addrs() {
        eprintln!("listening on http://{addr}/");
        // 0.0.0.0 and :: are not addresses a browser can open: print one it can.
        if addr.ip().is_unspecified() {
            let local = match addr {
                SocketAddr::V4(_) => SocketAddr::from((Ipv4Addr::LOCALHOST, addr.port())),
                SocketAddr::V6(_) => SocketAddr::from((Ipv6Addr::LOCALHOST, addr.port())),
            };
            eprintln!(
                "  on this machine: http://{local}/ (other machines: this machine's address)"
            );
        }
    }
}

/// The program this process is running, for process mode's children. On Linux,
/// `/proc/self/exe` opens the running program itself, even if its file was deleted or
/// replaced since start-up (`Server::bind` opens it once); the path from
/// `current_exe` would name whatever file sits there when a child starts.
fn own_executable() -> io::Result<PathBuf> {
    let proc_exe = Path::new("/proc/self/exe");
    if proc_exe.is_file() {
        return Ok(proc_exe.to_owned());
    }
    std::env::current_exe()
}
