//! The `servedir` command: everything it does (arguments, serving, process mode's
//! children, exit codes 0 ok, 1 runtime failure, 2 usage) is the library's
//! `run_command_line`, so that the CLI stays private to the library.

#![forbid(unsafe_code)]

use std::process::ExitCode;

fn main() -> ExitCode {
    servedir::run_command_line(std::env::args_os().skip(1))
}
