//! Checks one option's value at a time and turns it into what `Config` holds; also
//! writes durations back (`format_secs`) for `--help` and the child's argv. Knows no
//! option names and no syntax: an `Err` is what follows "invalid value 'V' for 'NAME': ".

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use crate::config::{Config, Mode};
pub(super) use crate::units::format_secs;
use crate::units::{parse_secs, parse_whole};

/// A checked value, or what was expected instead (`expected a port number ...`).
pub(super) type Checked<T> = Result<T, String>;

/// Longest timeout the command line accepts, in seconds (one day).
pub(super) const MAX_SECS: u64 = 86_400;

/// The configuration being built from the options, in the order they were given.
pub(super) struct Draft {
    /// What the options set so far.
    pub(super) config: Config,
    /// Enforce the ranges a user may ask for; off for a process-mode child, so that
    /// `child_args` round-trips any `Config` a library user may build.
    pub(super) strict: bool,
    /// Whether a `--bind` came yet: the first replaces the default loopback pair.
    pub(super) bound: bool,
    /// `--throttle` and `--delay`: added to every fault rule once all options are read.
    pub(super) shortcuts: crate::fault::Shortcuts,
}

fn expected(what: &str) -> String {
    format!("expected {what}")
}

/// A port number, 0 to 65535.
pub(super) fn port(value: &str) -> Checked<u16> {
    parse_whole(value)
        .and_then(|n| u16::try_from(n).ok())
        .ok_or_else(|| expected("a port number from 0 to 65535"))
}

/// `thread` or `process`, exactly.
pub(super) fn mode(value: &str) -> Checked<Mode> {
    [Mode::Thread, Mode::Process]
        .into_iter()
        .find(|m| m.as_str() == value)
        .ok_or_else(|| expected("'thread' or 'process'"))
}

/// A whole number of at least `min` (of at least 0 when not `strict`).
pub(super) fn count<T: TryFrom<u64>>(value: &str, min: u64, strict: bool) -> Checked<T> {
    let min = if strict { min } else { 0 };
    parse_whole(value)
        .filter(|&n| n >= min)
        .and_then(|n| T::try_from(n).ok())
        .ok_or_else(|| {
            if min > 0 {
                expected(&format!("a whole number of at least {min}"))
            } else {
                expected("a whole number")
            }
        })
}

/// A number of seconds, more than 0 and at most a day (anything when not `strict`).
pub(super) fn secs(value: &str, strict: bool) -> Checked<Duration> {
    let max = Duration::from_secs(MAX_SECS);
    parse_secs(value)
        .filter(|d| !strict || (!d.is_zero() && *d <= max))
        .ok_or_else(|| {
            if strict {
                expected(&format!(
                    "a number of seconds greater than 0 and at most {MAX_SECS}, like 2 or 0.5"
                ))
            } else {
                expected("a number of seconds, like 2 or 0.5")
            }
        })
}

/// An IP address; `localhost` (any case) is the loopback pair; `[::1]` is accepted for `::1`.
pub(super) fn bind(value: &str) -> Checked<Vec<IpAddr>> {
    parse_bind(value)
        .ok_or_else(|| expected("an IP address like 127.0.0.1, ::1 or 0.0.0.0, or 'localhost'"))
}

/// A header field value: not empty, visible ASCII and spaces only (RFC 9110 §5.5), so
/// it cannot break the response head.
pub(super) fn header_value(value: &str) -> Checked<String> {
    let ok = !value.trim().is_empty() && value.bytes().all(|b| b == b' ' || b.is_ascii_graphic());
    if ok {
        Ok(value.trim().to_owned())
    } else {
        Err(expected(
            "a header value of visible ASCII characters, like 'no-cache' or 'max-age=3600'",
        ))
    }
}

/// A plain file name, by the rule `Server::bind` applies to `Config::index`.
pub(super) fn index_name(value: &str) -> Checked<String> {
    if crate::config::is_index_name(value) {
        Ok(value.to_owned())
    } else {
        Err(expected("a file name like index.html"))
    }
}

/// `Name: value`, checked as `Server::bind` checks `Config::headers`.
pub(super) fn header_line(value: &str) -> Checked<(String, String)> {
    // `X-Empty:` is an empty value (legal); `X-Empty` without a colon is a mistake.
    let checked = match value.split_once(':') {
        // Only SP/HTAB are whitespace around a value (RFC 9110 §5.6.3).
        Some((n, v)) => {
            let (n, v) = (n.to_owned(), crate::http::request::trim_ows(v).to_owned());
            crate::config::check_header(&n, &v).map(|()| (n, v))
        }
        None => Err("expected a token name and a value of visible ASCII characters"),
    };
    checked.map_err(|why| {
        let example = if why.starts_with("expected") {
            ", like 'Access-Control-Allow-Origin: *'"
        } else {
            ""
        };
        format!("{why}{example}")
    })
}

fn parse_bind(value: &str) -> Option<Vec<IpAddr>> {
    if value.eq_ignore_ascii_case("localhost") {
        return Some(Config::loopback());
    }
    if let Some(inner) = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
        return inner.parse::<Ipv6Addr>().ok().map(|a| vec![IpAddr::V6(a)]);
    }
    value.parse::<IpAddr>().ok().map(|a| vec![a])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::error::quote;
    use crate::cli::testkit::*;

    #[test]
    fn durations_are_parsed_exactly() {
        let good = [
            ("2", Duration::from_secs(2)),
            ("0.5", Duration::from_millis(500)),
            ("1.25", Duration::from_millis(1250)),
            ("0.000000001", Duration::from_nanos(1)),
            ("0.1", Duration::from_millis(100)),
            ("007", Duration::from_secs(7)),
            ("86400", Duration::from_secs(86_400)),
            ("86400.000000000", Duration::from_secs(86_400)),
            ("3.999999999", Duration::new(3, 999_999_999)),
        ];
        for (text, expected) in good {
            for option in [
                "--timeout",
                "--keep-alive",
                "--write-timeout",
                "--min-rate-grace",
            ] {
                let config = serve(&[option, text]);
                let got = match option {
                    "--timeout" => config.limits.head_timeout,
                    "--keep-alive" => config.limits.keep_alive_timeout,
                    "--min-rate-grace" => config.limits.min_rate_grace,
                    _ => config.limits.write_timeout,
                };
                assert_eq!(got, expected, "{option} {text}");
            }
        }
        let bad = [
            "",
            "-1",
            "1e3",
            "nan",
            "inf",
            "0",
            "0.0",
            "0.000000000",
            "1.",
            ".5",
            "+1",
            " 1",
            "1 ",
            "1.2.3",
            "1,5",
            "0.0000000001",
            "86400.000000001",
            "86401",
            "0x10",
            "1s",
            "99999999999999999999",
            // Issue 12, item 9: floats and huge values get this clear error, never a panic.
            "1e30",
            "18446744073709551616",
            "18446744073709551615.999999999",
            "inf",
        ];
        for text in bad {
            for option in [
                "--timeout",
                "--keep-alive",
                "--write-timeout",
                "--min-rate-grace",
            ] {
                assert_eq!(
                    error(&[option, text]),
                    format!(
                        "invalid value {} for '{option}': expected a number of seconds \
                         greater than 0 and at most 86400, like 2 or 0.5",
                        quote(text)
                    ),
                );
            }
        }
    }

    #[test]
    fn format_secs_reads_back() {
        for d in [
            Duration::ZERO,
            Duration::from_nanos(1),
            Duration::from_millis(500),
            Duration::new(12, 340_000_000),
            Duration::new(u64::MAX, 999_999_999),
        ] {
            assert_eq!(parse_secs(&format_secs(d)), Some(d), "{d:?}");
        }
        assert_eq!(format_secs(Duration::from_millis(1500)), "1.5");
        assert_eq!(format_secs(Duration::from_secs(10)), "10");
    }
}
