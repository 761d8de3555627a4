//! The command line: `servedir`'s arguments → what to do (serve, help, version, or be
//! process mode's child), from ONE option table (`options.rs`) that parsing, `--help`
//! and the child's argv are all derived from. Values are checked apart from the
//! syntax. Only `run.rs` prints, exits or touches the environment.

mod child;
mod error;
mod help;
mod options;
mod parse;
mod scan;
mod validate;
mod values;

pub(crate) use child::child_args;
pub(crate) use help::usage;
pub(crate) use parse::{parse, Action};

/// Helpers for the unit tests of every file here.
#[cfg(test)]
mod testkit {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    use super::parse::{parse, Action};
    use crate::config::Config;

    /// 127.0.0.1.
    pub(super) const V4: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
    /// ::1.
    pub(super) const V6: IpAddr = IpAddr::V6(Ipv6Addr::LOCALHOST);

    /// What `servedir` with no arguments serves.
    pub(super) fn base() -> Config {
        Config {
            access_log: true,
            ..Config::default()
        }
    }

    /// The config these arguments serve; panics on anything else.
    pub(super) fn serve(args: &[&str]) -> Config {
        match parse(args) {
            Ok(Action::Serve(config)) => config,
            other => panic!("{args:?} gave {other:?}"),
        }
    }

    /// The usage error these arguments give; panics on anything else.
    pub(super) fn error(args: &[&str]) -> String {
        match parse(args) {
            Err(e) => e.to_string(),
            other => panic!("{args:?} should fail but gave {other:?}"),
        }
    }

    /// An address from text.
    pub(super) fn ip(text: &str) -> IpAddr {
        text.parse().expect("test address")
    }
}
