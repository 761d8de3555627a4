//! The `servedir` command: arguments → `Config` → `Server::bind` → run; also the hidden
//! entry point of process mode's children. Exit codes: 0 ok, 1 runtime failure, 2 usage.

#![forbid(unsafe_code)]

use std::env;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use servedir::cli::{self, Action};
use servedir::{serve_inherited_connection, Config, Mode, Server};

fn main() -> ExitCode {
    let action = match cli::parse(env::args_os().skip(1)) {
        Ok(action) => action,
        Err(e) => {
            eprintln!("servedir: {e}\nTry 'servedir --help' for more information.");
            return ExitCode::from(2);
        }
    };
    match action {
        Action::Help => {
            print!("{}", cli::usage());
            ExitCode::SUCCESS
        }
        Action::Version => {
            println!("servedir {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Action::Child(config) => {
            // Started as /proc/self/fd/N, the kernel names this process "N": name it
            // as `ps`, `top` and `pgrep servedir` expect (Linux only; harmless elsewhere).
            let _ = std::fs::write("/proc/self/comm", "servedir");
            child(config)
        }
        Action::Serve(mut config) => {
            if config.mode == Mode::Process {
                match own_executable() {
                    Ok(exe) => config.process_exe = Some(exe),
                    Err(e) => {
                        eprintln!("servedir: cannot find my own executable for process mode: {e}");
                        return ExitCode::FAILURE;
                    }
                }
            }
            // Run from anywhere but a project with an html/ folder, the default ROOT is
            // missing: say how to serve where the user is (issue 12, item 13).
            let default_root = (config.root == Config::default().root).then(|| config.root.clone());
            let given_root = config.root.clone();
            let server = match Server::bind(config) {
                Ok(server) => server,
                Err(e) => {
                    eprintln!("servedir: {e}");
                    if let Some(root) = default_root.filter(|_| e.kind() == io::ErrorKind::NotFound)
                    {
                        eprintln!(
                            "servedir: ROOT defaults to ./{}, which is not here; \
                             to serve the current directory, run: servedir .",
                            root.display()
                        );
                    }
                    return ExitCode::FAILURE;
                }
            };
            // stderr is unbuffered: tests read these lines as soon as they are printed.
            let root = server.root();
            match std::path::absolute(&given_root) {
                // A root given through a symlink is followed by every request: say so.
                Ok(given) if given != root => eprintln!(
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
                    eprintln!("  on this machine: http://{local}/ (other machines: this machine's address)");
                }
            }
            match server.run() {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("servedir: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// The program this process is running, for process mode's children. On Linux,
/// `/proc/self/exe` opens the running program itself, even if its file was deleted or
/// replaced since start-up (`Server::bind` opens it once); the path from
/// `current_exe` would name whatever file sits there when a child starts.
fn own_executable() -> std::io::Result<PathBuf> {
    let proc_exe = Path::new("/proc/self/exe");
    if proc_exe.is_file() {
        return Ok(proc_exe.to_owned());
    }
    env::current_exe()
}

/// Process mode's child: serves the connection on standard input.
fn child(config: servedir::Config) -> ExitCode {
    serve_inherited_connection(config)
}
