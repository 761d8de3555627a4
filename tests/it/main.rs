//! Integration tests: the real `servedir` binary over real sockets, in both modes.

mod fixture;
mod util;

mod browser;
mod caching;
mod cli;
mod faults;
mod features;
mod hostile;
mod http;
mod library;
mod live;
#[cfg(unix)]
mod process;
#[cfg(unix)]
mod races;
mod robust;
mod wire;
