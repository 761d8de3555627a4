//! The command line: turns `servedir`'s arguments into an [`Action`] (usually a
//! [`Config`] to serve), and writes the `--help` text and the arguments a
//! process-mode child is re-executed with. Pure: no I/O, no filesystem or
//! environment access; printing, exiting and `process_exe` are `main.rs`'s job.

use std::ffi::OsString;
use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use crate::config::{Config, Limits, Mode, DEFAULT_PORT};

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Run the server with this configuration.
    Serve(Config),
    /// Print [`usage()`] to standard output and exit 0.
    Help,
    /// Print `servedir <version>` (`env!("CARGO_PKG_VERSION")`) and exit 0.
    Version,
    /// Hidden: process mode's child, which serves the one connection on its stdin.
    ///
    /// Only root, limits, `hidden`, `follow_symlinks` and `access_log` are meaningful;
    /// bind, port and mode keep their defaults ([`child_args`] does not pass them).
    Child(Config),
}

/// A usage error. Its `Display` is one line that quotes the bad input, e.g.
/// `invalid value 'abc' for '--port': expected a port number from 0 to 65535`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    message: String,
}

impl CliError {
    fn new(message: String) -> Self {
        CliError { message }
    }

    fn invalid_value(value: &str, option: &str, expected: &str) -> Self {
        CliError::new(format!(
            "invalid value {} for {}: expected {expected}",
            quote(value),
            quote(option)
        ))
    }

    fn unknown(option: &str) -> Self {
        CliError::new(format!("unknown option {}", quote(option)))
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// The hidden flag that makes [`parse`] return [`Action::Child`]; not in [`usage()`].
pub const CHILD_FLAG: &str = "--serve-child";

/// Longest timeout the command line accepts, in seconds (one day).
const MAX_SECS: u64 = 86_400;
/// Smallest `--max-head-bytes` the command line accepts.
const MIN_HEAD_BYTES: u64 = 256;

/// Every option the command line knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opt {
    Port,
    Bind,
    Mode,
    MaxConnections,
    HeadTimeout,
    KeepAlive,
    WriteTimeout,
    MinRate,
    MinRateGrace,
    MaxHeadBytes,
    MaxHeaders,
    MaxBodyDiscard,
    Hidden,
    FollowSymlinks,
    CacheControl,
    NoPrecompressed,
    Index,
    Header,
    Listing,
    Spa,
    Cors,
    Coi,
    Quiet,
    Help,
    Version,
    Child,
}

/// How an option is spelled and whether it takes a value.
struct Spec {
    opt: Opt,
    long: &'static str,
    short: Option<char>,
    takes_value: bool,
}

const fn spec(opt: Opt, long: &'static str, short: Option<char>, takes_value: bool) -> Spec {
    Spec {
        opt,
        long,
        short,
        takes_value,
    }
}

const SPECS: &[Spec] = &[
    spec(Opt::Port, "--port", Some('p'), true),
    spec(Opt::Bind, "--bind", Some('b'), true),
    spec(Opt::Mode, "--mode", None, true),
    spec(Opt::MaxConnections, "--max-connections", None, true),
    spec(Opt::HeadTimeout, "--timeout", None, true),
    spec(Opt::KeepAlive, "--keep-alive", None, true),
    spec(Opt::WriteTimeout, "--write-timeout", None, true),
    spec(Opt::MinRate, "--min-rate", None, true),
    spec(Opt::MinRateGrace, "--min-rate-grace", None, true),
    spec(Opt::MaxHeadBytes, "--max-head-bytes", None, true),
    spec(Opt::MaxHeaders, "--max-headers", None, true),
    spec(Opt::MaxBodyDiscard, "--max-body-discard", None, true),
    spec(Opt::Hidden, "--hidden", None, false),
    spec(Opt::FollowSymlinks, "--follow-symlinks", None, false),
    spec(Opt::CacheControl, "--cache-control", None, true),
    spec(Opt::NoPrecompressed, "--no-precompressed", None, false),
    spec(Opt::Index, "--index", None, true),
    spec(Opt::Header, "--header", Some('H'), true),
    spec(Opt::Listing, "--listing", None, false),
    spec(Opt::Spa, "--spa", None, false),
    spec(Opt::Cors, "--cors", None, false),
    spec(Opt::Coi, "--coi", None, false),
    spec(Opt::Quiet, "--quiet", Some('q'), false),
    spec(Opt::Help, "--help", Some('h'), false),
    spec(Opt::Version, "--version", Some('V'), false),
    spec(Opt::Child, CHILD_FLAG, None, false),
];

fn spec_long(name: &str) -> Option<&'static Spec> {
    SPECS.iter().find(|s| s.long == name)
}

fn spec_short(c: char) -> Option<&'static Spec> {
    SPECS.iter().find(|s| s.short == Some(c))
}

/// One option as given: which, the name as the user wrote it, and its value
/// (empty for a flag; lossily decoded, which no valid value needs).
struct Setting {
    opt: Opt,
    name: String,
    value: String,
}

/// The arguments split into options and the root, before any value is checked.
#[derive(Default)]
struct Scan {
    settings: Vec<Setting>,
    root: Option<OsString>,
    /// The first syntax error; kept aside so that `--help` anywhere still wins.
    error: Option<CliError>,
}

impl Scan {
    fn has(&self, opt: Opt) -> bool {
        self.settings.iter().any(|s| s.opt == opt)
    }

    fn fail(&mut self, error: CliError) {
        self.error.get_or_insert(error);
    }
}

/// Parses the command line (without `argv[0]`) into what it asks for.
///
/// Rules beyond the usage text:
/// - `-h`/`--help` anywhere an option may stand (before `--`, not as another option's
///   value) wins over everything, including errors; then `-V`/`--version`; then
///   [`CHILD_FLAG`]. A syntax error (unknown option, missing value, second root)
///   does not hide them; an invalid value is only checked when serving.
/// - An option that takes a value always consumes the next argument, even one that
///   starts with `-` (`--port -1` is a bad port, not a missing one).
/// - Long options are never abbreviated, short ones never combined (`-qV` is an error).
///   `-p8080`, `-p 8080` and `-p=8080` are the same.
/// - A single `-` is a positional argument (a root named `-`).
/// - `--bind` values accumulate in order without duplicates; the first replaces the
///   default loopback pair.
/// - Under [`CHILD_FLAG`] the numeric ranges are not enforced (any whole number, any
///   duration, an empty root), so [`child_args`] round-trips any `Config` exactly.
pub fn parse<I>(args: I) -> Result<Action, CliError>
where
    I: IntoIterator,
    I::Item: Into<OsString>,
{
    let scan = scan(args.into_iter().map(Into::into));
    if scan.has(Opt::Help) {
        return Ok(Action::Help);
    }
    if scan.has(Opt::Version) {
        return Ok(Action::Version);
    }
    if let Some(error) = scan.error {
        return Err(error);
    }
    let child = scan.has(Opt::Child);
    let config = build(scan, !child)?;
    Ok(if child {
        Action::Child(config)
    } else {
        Action::Serve(config)
    })
}

/// Splits the arguments into options and the root, recording the first syntax error.
fn scan(args: impl Iterator<Item = OsString>) -> Scan {
    let mut out = Scan::default();
    let mut args = args;
    let mut options_done = false;
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy().into_owned();
        if options_done || text == "-" || !text.starts_with('-') {
            match &out.root {
                Some(first) => {
                    let error = CliError::new(format!(
                        "unexpected argument {} (the root was already given as {})",
                        quote(&text),
                        quote(&first.to_string_lossy())
                    ));
                    out.fail(error);
                }
                None => out.root = Some(arg),
            }
        } else if text == "--" {
            options_done = true;
        } else {
            match scan_option(&text, &mut args) {
                Ok(setting) => out.settings.push(setting),
                Err(error) => out.fail(error),
            }
        }
    }
    out
}

/// Reads one option (`text` starts with `-` and is not `-` or `--`), taking its
/// value from `rest` when it is not attached.
fn scan_option(text: &str, rest: &mut impl Iterator<Item = OsString>) -> Result<Setting, CliError> {
    if let Some(body) = text.strip_prefix("--") {
        let (name, attached) = match body.split_once('=') {
            Some((name, value)) => (format!("--{name}"), Some(value)),
            None => (text.to_owned(), None),
        };
        let spec = spec_long(&name).ok_or_else(|| CliError::unknown(&name))?;
        return take_value(spec, name, attached, rest);
    }
    // A long option written with one dash (`-port`) would otherwise be read as `-p ort`.
    let long = format!("-{}", text.split_once('=').map_or(text, |(name, _)| name));
    if text.chars().count() > 2 && spec_long(&long).is_some() {
        return Err(CliError::new(format!(
            "unknown option {} (did you mean {}?)",
            quote(text),
            quote(&long)
        )));
    }
    let mut chars = text.chars();
    chars.next(); // the '-'
    let Some(letter) = chars.next() else {
        return Err(CliError::unknown(text));
    };
    let spec = spec_short(letter).ok_or_else(|| CliError::unknown(text))?;
    let after = chars.as_str();
    let attached = if after.is_empty() {
        None
    } else if let Some(value) = after.strip_prefix('=') {
        Some(value)
    } else if spec.takes_value {
        Some(after)
    } else {
        return Err(CliError::new(format!(
            "unknown option {} (short options cannot be combined)",
            quote(text)
        )));
    };
    take_value(spec, format!("-{letter}"), attached, rest)
}

fn take_value(
    spec: &Spec,
    name: String,
    attached: Option<&str>,
    rest: &mut impl Iterator<Item = OsString>,
) -> Result<Setting, CliError> {
    let value = match (spec.takes_value, attached) {
        (true, Some(value)) => value.to_owned(),
        (true, None) => match rest.next() {
            Some(value) => value.to_string_lossy().into_owned(),
            None => {
                return Err(CliError::new(format!(
                    "option {} needs a value",
                    quote(&name)
                )))
            }
        },
        (false, Some(value)) => {
            return Err(CliError::new(format!(
                "option {} takes no value, but was given {}",
                quote(&name),
                quote(value)
            )))
        }
        (false, None) => String::new(),
    };
    Ok(Setting {
        opt: spec.opt,
        name,
        value,
    })
}

/// Checks every value and builds the configuration; `strict` enforces the ranges
/// a user may ask for (off for a process-mode child).
fn build(scan: Scan, strict: bool) -> Result<Config, CliError> {
    let mut config = Config {
        access_log: true,
        ..Config::default()
    };
    let mut binds: Option<Vec<IpAddr>> = None;
    for Setting { opt, name, value } in &scan.settings {
        let (name, value) = (name.as_str(), value.as_str());
        let limits = &mut config.limits;
        match opt {
            Opt::Port => config.port = port(value, name)?,
            Opt::Bind => {
                let addrs = parse_bind(value).ok_or_else(|| {
                    CliError::invalid_value(
                        value,
                        name,
                        "an IP address like 127.0.0.1, ::1 or 0.0.0.0, or 'localhost'",
                    )
                })?;
                let list = binds.get_or_insert_with(Vec::new);
                for addr in addrs {
                    if !list.contains(&addr) {
                        list.push(addr);
                    }
                }
            }
            Opt::Mode => config.mode = mode(value, name)?,
            Opt::MaxConnections => {
                limits.max_connections = Some(count(value, name, 1, strict)?);
            }
            Opt::HeadTimeout => limits.head_timeout = secs(value, name, strict)?,
            Opt::KeepAlive => limits.keep_alive_timeout = secs(value, name, strict)?,
            Opt::WriteTimeout => limits.write_timeout = secs(value, name, strict)?,
            Opt::MinRate => limits.min_send_rate = count(value, name, 0, strict)?,
            Opt::MinRateGrace => limits.min_rate_grace = secs(value, name, strict)?,
            Opt::MaxHeadBytes => {
                limits.max_head_bytes = count(value, name, MIN_HEAD_BYTES, strict)?;
            }
            Opt::MaxHeaders => limits.max_headers = count(value, name, 1, strict)?,
            Opt::MaxBodyDiscard => limits.max_discard_body = count(value, name, 0, strict)?,
            Opt::Hidden => config.hidden = true,
            Opt::FollowSymlinks => config.follow_symlinks = true,
            Opt::CacheControl => config.cache_control = header_value(value, name)?,
            Opt::NoPrecompressed => config.precompressed = false,
            Opt::Index => config.index = index_name(value, name)?,
            Opt::Header => config.headers.push(header_line(value, name)?),
            Opt::Listing => config.listing = true,
            Opt::Spa => config.spa = true,
            Opt::Cors => config.cors = true,
            Opt::Coi => config.coi = true,
            Opt::Quiet => config.access_log = false,
            Opt::Help | Opt::Version | Opt::Child => {}
        }
    }
    if let Some(binds) = binds {
        config.bind = binds;
    }
    if let Some(root) = scan.root {
        if strict && root.is_empty() {
            return Err(CliError::new(
                "invalid root '': expected the path of a directory".to_owned(),
            ));
        }
        config.root = root.into();
    }
    Ok(config)
}

/// A header field value: not empty, visible ASCII and spaces only (RFC 9110 §5.5), so
/// it cannot break the response head.
fn header_value(value: &str, name: &str) -> Result<String, CliError> {
    let ok = !value.trim().is_empty() && value.bytes().all(|b| b == b' ' || b.is_ascii_graphic());
    if ok {
        Ok(value.trim().to_owned())
    } else {
        Err(CliError::invalid_value(
            value,
            name,
            "a header value of visible ASCII characters, like 'no-cache' or 'max-age=3600'",
        ))
    }
}

/// A plain file name: no separators, not `.` or `..`.
fn index_name(value: &str, name: &str) -> Result<String, CliError> {
    let ok =
        !value.is_empty() && value != "." && value != ".." && !value.contains(['/', '\\', '\0']);
    if ok {
        Ok(value.to_owned())
    } else {
        Err(CliError::invalid_value(
            value,
            name,
            "a file name like index.html",
        ))
    }
}

/// `Name: value`, checked as `Server::bind` checks `Config::headers`.
fn header_line(value: &str, name: &str) -> Result<(String, String), CliError> {
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
        CliError::new(format!(
            "invalid value {} for {}: {why}{example}",
            quote(value),
            quote(name)
        ))
    })
}

fn port(value: &str, name: &str) -> Result<u16, CliError> {
    parse_whole(value)
        .and_then(|n| u16::try_from(n).ok())
        .ok_or_else(|| CliError::invalid_value(value, name, "a port number from 0 to 65535"))
}

fn mode(value: &str, name: &str) -> Result<Mode, CliError> {
    [Mode::Thread, Mode::Process]
        .into_iter()
        .find(|m| m.as_str() == value)
        .ok_or_else(|| CliError::invalid_value(value, name, "'thread' or 'process'"))
}

/// A whole number of at least `min` (of at least 0 when not `strict`).
fn count<T: TryFrom<u64>>(value: &str, name: &str, min: u64, strict: bool) -> Result<T, CliError> {
    let min = if strict { min } else { 0 };
    parse_whole(value)
        .filter(|&n| n >= min)
        .and_then(|n| T::try_from(n).ok())
        .ok_or_else(|| {
            let expected = if min > 0 {
                format!("a whole number of at least {min}")
            } else {
                "a whole number".to_owned()
            };
            CliError::invalid_value(value, name, &expected)
        })
}

/// A number of seconds, more than 0 and at most a day (anything when not `strict`).
fn secs(value: &str, name: &str, strict: bool) -> Result<Duration, CliError> {
    let max = Duration::from_secs(MAX_SECS);
    parse_secs(value)
        .filter(|d| !strict || (!d.is_zero() && *d <= max))
        .ok_or_else(|| {
            let expected = if strict {
                format!("a number of seconds greater than 0 and at most {MAX_SECS}, like 2 or 0.5")
            } else {
                "a number of seconds, like 2 or 0.5".to_owned()
            };
            CliError::invalid_value(value, name, &expected)
        })
}

/// ASCII digits only (no sign, no `_`), fitting a `u64`.
fn parse_whole(value: &str) -> Option<u64> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

/// `DIGITS` or `DIGITS.DIGITS` with 1 to 9 fractional digits, exactly (no floats):
/// `2`, `0.5`, `0.000000001`. Rejects `.5`, `1.`, signs, exponents, `inf`, `nan`.
fn parse_secs(value: &str) -> Option<Duration> {
    let (whole, fraction) = match value.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (value, None),
    };
    let secs = parse_whole(whole)?;
    let nanos = match fraction {
        None => 0,
        Some(fraction) => {
            if fraction.len() > 9 {
                return None;
            }
            let digits = u32::try_from(parse_whole(fraction)?).ok()?;
            let scale = 10_u32.pow(9 - fraction.len() as u32);
            digits * scale
        }
    };
    Some(Duration::new(secs, nanos))
}

/// `localhost` (any case) is the loopback pair; `[::1]` is accepted for `::1`.
fn parse_bind(value: &str) -> Option<Vec<IpAddr>> {
    if value.eq_ignore_ascii_case("localhost") {
        return Some(Config::loopback());
    }
    if let Some(inner) = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
        return inner.parse::<Ipv6Addr>().ok().map(|a| vec![IpAddr::V6(a)]);
    }
    value.parse::<IpAddr>().ok().map(|a| vec![a])
}

/// Seconds as `parse_secs` reads them back: `10`, `0.5`, `0.000000001`.
fn format_secs(d: Duration) -> String {
    let nanos = d.subsec_nanos();
    if nanos == 0 {
        return d.as_secs().to_string();
    }
    let fraction = format!("{nanos:09}");
    format!("{}.{}", d.as_secs(), fraction.trim_end_matches('0'))
}

/// `'text'`, with control characters escaped so the message stays on one line.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// The arguments that make [`parse`] return `Action::Child(config)` with the same
/// effective config (everything except bind, port, mode and `process_exe`, which a
/// child does not use): used by process mode to re-execute itself.
///
/// Every limit is written out, so the child does not depend on defaults; the root comes
/// last, after `--`, so any path (one starting with `-`, or not UTF-8) survives.
pub fn child_args(config: &Config) -> Vec<OsString> {
    let limits = &config.limits;
    let mut args: Vec<OsString> = vec![
        CHILD_FLAG.into(),
        format!("--timeout={}", format_secs(limits.head_timeout)).into(),
        format!("--keep-alive={}", format_secs(limits.keep_alive_timeout)).into(),
        format!("--write-timeout={}", format_secs(limits.write_timeout)).into(),
        format!("--min-rate={}", limits.min_send_rate).into(),
        format!("--min-rate-grace={}", format_secs(limits.min_rate_grace)).into(),
        format!("--max-head-bytes={}", limits.max_head_bytes).into(),
        format!("--max-headers={}", limits.max_headers).into(),
        format!("--max-body-discard={}", limits.max_discard_body).into(),
    ];
    // Unused by a child, but kept so its config equals the parent's (None: the default).
    if let Some(max) = limits.max_connections {
        args.push(format!("--max-connections={max}").into());
    }
    if config.hidden {
        args.push("--hidden".into());
    }
    if config.follow_symlinks {
        args.push("--follow-symlinks".into());
    }
    args.push(format!("--cache-control={}", config.cache_control).into());
    args.push(format!("--index={}", config.index).into());
    for (name, value) in &config.headers {
        args.push(format!("--header={name}: {value}").into());
    }
    for (on, flag) in [
        (config.listing, "--listing"),
        (config.spa, "--spa"),
        (config.cors, "--cors"),
        (config.coi, "--coi"),
    ] {
        if on {
            args.push(flag.into());
        }
    }
    if !config.precompressed {
        args.push("--no-precompressed".into());
    }
    if !config.access_log {
        args.push("--quiet".into());
    }
    args.push("--".into());
    args.push(config.root.clone().into_os_string());
    args
}

/// Help lines are wrapped to this many columns.
const WIDTH: usize = 80;
/// Joins words that must stay on one line in help text (shown as a space).
const GLUE: char = '\u{1}';

/// Appends `words` wrapped to [`WIDTH`], every line indented by `indent` columns;
/// the first line continues `out`'s current line, which is `start` columns long.
/// `[default: X]` is never split.
fn push_wrapped(out: &mut String, start: usize, indent: usize, words: &str) {
    let words = words.replace("[default: ", &format!("[default:{GLUE}"));
    let mut col = start;
    let mut first = true;
    for word in words.split_whitespace() {
        let len = word.chars().count();
        if !first && col + 1 + len > WIDTH {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            col = indent;
            first = true;
        }
        if !first {
            out.push(' ');
            col += 1;
        }
        out.push_str(&word.replace(GLUE, " "));
        col += len;
        first = false;
    }
    out.push('\n');
}

/// Appends `term` and its `desc` in two columns, the second starting at column
/// `desc_col`; a `term` too long for the first column gets a line of its own.
fn push_row(out: &mut String, desc_col: usize, term: &str, desc: &str) {
    out.push_str(term);
    let mut col = term.chars().count();
    if col + 2 > desc_col {
        out.push('\n');
        col = 0;
    }
    out.push_str(&" ".repeat(desc_col - col));
    push_wrapped(out, desc_col, desc_col, desc);
}

/// The `--help` text: every option with its default, the modes, and examples;
/// no line is wider than 80 columns.
pub fn usage() -> String {
    let config = Config::default();
    let limits = Limits::default();
    let root = config.root.display();
    let secs = format_secs;
    let options = [
        (
            "  -p, --port PORT",
            format!("Port to listen on; 0 picks any free port [default: {DEFAULT_PORT}]"),
        ),
        (
            "  -b, --bind ADDR",
            "Address to listen on: an IPv4 or IPv6 address (like 127.0.0.1, \
             ::1 or [::1]), or 'localhost' for both 127.0.0.1 and ::1. Repeat \
             to listen on several. Use 0.0.0.0 or :: to serve other machines \
             [default: localhost]"
                .to_owned(),
        ),
        (
            "      --mode MODE",
            format!(
                "thread or process, see MODES [default: {}]",
                config.mode.as_str()
            ),
        ),
        (
            "      --max-connections N",
            format!(
                "Most connections served at once; the excess get 503. In \
                 thread mode more than ~1,000 needs 'ulimit -n' raised \
                 [default: {}]",
                match limits.max_connections {
                    Some(max) => max.to_string(),
                    // Each connection is a process in process mode: a lower default.
                    None => format!(
                        "{}{GLUE}threads,{GLUE}{}{GLUE}processes",
                        Mode::Thread.default_max_connections(),
                        Mode::Process.default_max_connections()
                    ),
                }
            ),
        ),
        (
            "      --timeout SECS",
            format!(
                "Time allowed to receive each request's head (request line \
                 and headers) [default: {}]",
                secs(limits.head_timeout)
            ),
        ),
        (
            "      --keep-alive SECS",
            format!(
                "How long an idle connection is kept open between requests \
                 [default: {}]",
                secs(limits.keep_alive_timeout)
            ),
        ),
        (
            "      --write-timeout SECS",
            format!(
                "How long one write may stall before the client is given up \
                 on [default: {}]",
                secs(limits.write_timeout)
            ),
        ),
        (
            "      --min-rate BYTES",
            format!(
                "Slowest average rate, in bytes per second, a client may read \
                 a response at: each response may take the grace below plus \
                 1 s per BYTES sent, then the client is cut off; 0 turns it off \
                 [default: {}]",
                limits.min_send_rate
            ),
        ),
        (
            "      --min-rate-grace SECS",
            format!(
                "Time every response gets before --min-rate applies [default: {}]",
                secs(limits.min_rate_grace)
            ),
        ),
        (
            "      --hidden",
            "Serve files and directories whose name starts with '.' \
             (otherwise they get 404)"
                .to_owned(),
        ),
        (
            "      --follow-symlinks",
            "Serve files whose real path, after symlinks, is outside ROOT \
             (otherwise they get 404); dot-names on that path stay private \
             unless --hidden"
                .to_owned(),
        ),
        (
            "      --cache-control VALUE",
            format!(
                "Cache-Control sent with files; the default makes browsers \
                 revalidate every time, answered cheaply with 304 \
                 [default: {}]",
                config.cache_control
            ),
        ),
        (
            "      --index NAME",
            format!(
                "The file served for a directory requested with its trailing \
                 slash [default: {}]",
                config.index
            ),
        ),
        (
            "  -H, --header 'NAME: VALUE'",
            "Add this field to every response (repeatable), e.g. -H \
             'Access-Control-Allow-Origin: *'"
                .to_owned(),
        ),
        (
            "      --listing",
            "List directories that have no index file (HTML; JSON for \
             'Accept: application/json'); otherwise they get 404"
                .to_owned(),
        ),
        (
            "      --spa",
            "Single-page app: a missing path without a file extension (or \
             asked for with 'Accept: text/html') gets ROOT's index file"
                .to_owned(),
        ),
        (
            "      --cors",
            "Allow cross-origin requests: Access-Control-Allow-Origin: * and \
             answers to preflight OPTIONS requests"
                .to_owned(),
        ),
        (
            "      --coi",
            "Cross-origin isolation headers (COOP same-origin, COEP \
             require-corp), for SharedArrayBuffer and wasm threads"
                .to_owned(),
        ),
        (
            "      --no-precompressed",
            "Do not serve FILE.br or FILE.gz in place of FILE to clients \
             that accept that encoding"
                .to_owned(),
        ),
        (
            "  -q, --quiet",
            "Do not log each response to standard output".to_owned(),
        ),
        (
            "  -h, --help",
            "Print this help and exit (wins over any other argument)".to_owned(),
        ),
        ("  -V, --version", "Print the version and exit".to_owned()),
    ];
    let advanced = [
        (
            "      --max-head-bytes N",
            format!(
                "Largest request head (request line and headers) in bytes, \
                 at least {MIN_HEAD_BYTES}; a larger one gets 431 [default: {}]",
                limits.max_head_bytes
            ),
        ),
        (
            "      --max-headers N",
            format!(
                "Most header fields in one request; more get 431 [default: {}]",
                limits.max_headers
            ),
        ),
        (
            "      --max-body-discard BYTES",
            format!(
                "Largest request body read and thrown away to keep the \
                 connection open; a larger one is answered and the connection \
                 closed [default: {}]",
                limits.max_discard_body
            ),
        ),
    ];
    let notes = [
        format!(
            "SECS is a number of seconds greater than 0 and at most {MAX_SECS}, \
             with up to 9 digits after the dot: 2, 0.5 or 1.25 (not .5 or 2.)."
        ),
        "Options may come before or after ROOT, and are written --port 8080, \
         --port=8080, -p 8080 or -p8080. An option given twice keeps its last \
         value, except --bind, which adds an address each time (the first \
         replacing the default). '--' ends the options: what follows is ROOT."
            .to_owned(),
    ];
    let modes = [
        (
            "  thread",
            "One thread per connection; the default. The fastest and \
             lightest: what you want normally.",
        ),
        (
            "  process",
            "One child process per connection, re-executing servedir. \
             Isolation: a crash affects only that connection, at the cost of \
             starting a process per connection. Useful for comparison and \
             for isolation.",
        ),
    ];
    let examples = [
        (
            "  servedir",
            format!("Serve ./{root} at http://localhost:{DEFAULT_PORT}/"),
        ),
        (
            "  servedir ./public -p 8080",
            "Serve ./public on port 8080".to_owned(),
        ),
        (
            "  servedir . --bind 0.0.0.0",
            "Serve this directory to other machines (IPv4)".to_owned(),
        ),
        (
            "  servedir --mode process",
            format!("Serve ./{root} with one process per connection"),
        ),
    ];

    let mut out = format!(
        "servedir {}\n\
         A static-file HTTP/1.1 server: serves the files under one directory.\n\
         \n\
         USAGE:\n  servedir [OPTIONS] [ROOT]\n\
         \n\
         ARGS:\n",
        env!("CARGO_PKG_VERSION")
    );
    let root_desc = format!("The directory to serve [default: {root}]");
    push_row(&mut out, 28, "  ROOT", &root_desc);
    out.push_str("\nOPTIONS:\n");
    for (term, desc) in &options {
        push_row(&mut out, 28, term, desc);
    }
    out.push_str("\nADVANCED:\n");
    for (term, desc) in &advanced {
        push_row(&mut out, 28, term, desc);
    }
    for note in &notes {
        out.push_str("\n  ");
        push_wrapped(&mut out, 2, 2, note);
    }
    out.push_str("\nMODES:\n");
    for (term, desc) in &modes {
        push_row(&mut out, 12, term, desc);
    }
    out.push_str("\nEXAMPLES:\n");
    for (term, desc) in &examples {
        push_row(&mut out, 30, term, desc);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;
    use std::path::PathBuf;

    const V4: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
    const V6: IpAddr = IpAddr::V6(Ipv6Addr::LOCALHOST);

    /// What `servedir` with no arguments serves.
    fn base() -> Config {
        Config {
            access_log: true,
            ..Config::default()
        }
    }

    fn serve(args: &[&str]) -> Config {
        match parse(args) {
            Ok(Action::Serve(config)) => config,
            other => panic!("{args:?} gave {other:?}"),
        }
    }

    fn error(args: &[&str]) -> String {
        match parse(args) {
            Err(e) => e.to_string(),
            other => panic!("{args:?} should fail but gave {other:?}"),
        }
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("test address")
    }

    #[test]
    fn no_arguments_serve_the_defaults_with_the_access_log_on() {
        assert_eq!(parse(Vec::<OsString>::new()), Ok(Action::Serve(base())));
        assert_eq!(base().port, DEFAULT_PORT);
        assert_eq!(base().bind, vec![V4, V6]);
    }

    #[test]
    fn each_option_in_every_spelling() {
        type Edit = fn(&mut Config);
        let cases: &[(&[&[&str]], Edit)] = &[
            (
                &[
                    &["--port=8080"],
                    &["--port", "8080"],
                    &["-p", "8080"],
                    &["-p8080"],
                    &["-p=8080"],
                ],
                |c| c.port = 8080,
            ),
            (&[&["--port", "0"], &["-p0"]], |c| c.port = 0),
            (&[&["--port", "65535"]], |c| c.port = 65535),
            (
                &[
                    &["--bind=0.0.0.0"],
                    &["--bind", "0.0.0.0"],
                    &["-b", "0.0.0.0"],
                    &["-b0.0.0.0"],
                ],
                |c| c.bind = vec![IpAddr::V4(Ipv4Addr::UNSPECIFIED)],
            ),
            (&[&["--bind", "::"], &["-b", "[::]"]], |c| {
                c.bind = vec![IpAddr::V6(Ipv6Addr::UNSPECIFIED)]
            }),
            (&[&["--bind", "[::1]"], &["--bind=::1"]], |c| {
                c.bind = vec![V6]
            }),
            (&[&["--bind", "localhost"], &["-b", "LocalHost"]], |c| {
                c.bind = vec![V4, V6]
            }),
            (
                &[&["--bind", "192.168.1.5", "-b", "::1", "--bind", "10.0.0.1"]],
                |c| c.bind = vec![ip("192.168.1.5"), V6, ip("10.0.0.1")],
            ),
            (
                &[&["--bind", "::1", "--bind", "localhost", "-b", "127.0.0.1"]],
                |c| c.bind = vec![V6, V4],
            ),
            (&[&["--mode=process"], &["--mode", "process"]], |c| {
                c.mode = Mode::Process
            }),
            (
                &[&["--mode", "thread"], &["--mode=process", "--mode=thread"]],
                |_| {},
            ),
            (
                &[&["--max-connections=1"], &["--max-connections", "1"]],
                |c| c.limits.max_connections = Some(1),
            ),
            (&[&["--timeout=0.5"], &["--timeout", "0.5"]], |c| {
                c.limits.head_timeout = Duration::from_millis(500)
            }),
            (&[&["--keep-alive=2"], &["--keep-alive", "2"]], |c| {
                c.limits.keep_alive_timeout = Duration::from_secs(2)
            }),
            (
                &[&["--write-timeout=1.25"], &["--write-timeout", "1.25"]],
                |c| c.limits.write_timeout = Duration::from_millis(1250),
            ),
            (&[&["--min-rate=0"], &["--min-rate", "0"]], |c| {
                c.limits.min_send_rate = 0
            }),
            (&[&["--min-rate=50000"], &["--min-rate", "50000"]], |c| {
                c.limits.min_send_rate = 50_000
            }),
            (
                &[&["--min-rate-grace=0.5"], &["--min-rate-grace", "0.5"]],
                |c| c.limits.min_rate_grace = Duration::from_millis(500),
            ),
            (
                &[&["--max-head-bytes=256"], &["--max-head-bytes", "256"]],
                |c| c.limits.max_head_bytes = 256,
            ),
            (&[&["--max-headers=1"], &["--max-headers", "1"]], |c| {
                c.limits.max_headers = 1
            }),
            (
                &[&["--max-body-discard=0"], &["--max-body-discard", "0"]],
                |c| c.limits.max_discard_body = 0,
            ),
            (&[&["--hidden"]], |c| c.hidden = true),
            (&[&["--follow-symlinks"]], |c| c.follow_symlinks = true),
            (
                &[
                    &["--cache-control=max-age=60"],
                    &["--cache-control", " max-age=60 "],
                ],
                |c| c.cache_control = "max-age=60".to_owned(),
            ),
            (&[&["--no-precompressed"]], |c| c.precompressed = false),
            (&[&["--listing"]], |c| c.listing = true),
            (&[&["--spa"]], |c| c.spa = true),
            (&[&["--cors"]], |c| c.cors = true),
            (&[&["--coi"]], |c| c.coi = true),
            (&[&["--index=home.htm"], &["--index", "home.htm"]], |c| {
                c.index = "home.htm".to_owned()
            }),
            (
                &[
                    &["-H", "X-A: 1", "--header=X-B:2"],
                    &["-HX-A: 1", "-H", "X-B:  2"],
                ],
                |c| c.headers = vec![("X-A".into(), "1".into()), ("X-B".into(), "2".into())],
            ),
            (
                // An empty value is legal (RFC 9110 §5.5); issue 12, item 13.
                &[
                    &["-H", "X-Empty:"],
                    &["-HX-Empty: \t "],
                    &["--header=X-Empty:"],
                ],
                |c| c.headers = vec![("X-Empty".into(), String::new())],
            ),
            (&[&["--quiet"], &["-q"], &["-q", "-q"]], |c| {
                c.access_log = false
            }),
            (
                &[
                    &["public"],
                    &["--", "public"],
                    &["-p", "1", "public", "-p", "7890"],
                ],
                |c| c.root = PathBuf::from("public"),
            ),
            (&[&["-"]], |c| c.root = PathBuf::from("-")),
            (&[&["--", "-weird-dir-name"]], |c| {
                c.root = PathBuf::from("-weird-dir-name")
            }),
            (&[&["--", "--help"]], |c| c.root = PathBuf::from("--help")),
            (&[&["--port", "1", "--port", "2"]], |c| c.port = 2),
            (
                &[&[
                    ".", "--bind", "0.0.0.0", "--hidden", "-q", "--mode", "process",
                ]],
                |c| {
                    c.root = PathBuf::from(".");
                    c.bind = vec![IpAddr::V4(Ipv4Addr::UNSPECIFIED)];
                    c.hidden = true;
                    c.access_log = false;
                    c.mode = Mode::Process;
                },
            ),
        ];
        for (spellings, edit) in cases {
            let mut expected = base();
            edit(&mut expected);
            for args in spellings.iter() {
                assert_eq!(serve(args), expected, "{args:?}");
            }
        }
    }

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
    fn bad_values_are_rejected_and_quoted() {
        let cases: &[(&[&str], &str)] = &[
            (
                &["--port", "abc"],
                "invalid value 'abc' for '--port': expected a port number from 0 to 65535",
            ),
            (
                &["--port", "70000"],
                "invalid value '70000' for '--port': expected a port number from 0 to 65535",
            ),
            (
                &["--port", "-1"],
                "invalid value '-1' for '--port': expected a port number from 0 to 65535",
            ),
            (
                &["--port="],
                "invalid value '' for '--port': expected a port number from 0 to 65535",
            ),
            (
                &["-p", ""],
                "invalid value '' for '-p': expected a port number from 0 to 65535",
            ),
            (
                &["-p+80"],
                "invalid value '+80' for '-p': expected a port number from 0 to 65535",
            ),
            (
                &["--mode", "fork"],
                "invalid value 'fork' for '--mode': expected 'thread' or 'process'",
            ),
            (
                &["--index", "../x"],
                "invalid value '../x' for '--index': expected a file name like index.html",
            ),
            (
                &["-H", "X-A"],
                "invalid value 'X-A' for '-H': expected a token name and a value of visible ASCII characters, like 'Access-Control-Allow-Origin: *'",
            ),
            (
                &["--header", "X A: 1"],
                "invalid value 'X A: 1' for '--header': expected a token name and a value of visible ASCII characters, like 'Access-Control-Allow-Origin: *'",
            ),
            (
                &["-H", "Content-Length: 5"],
                "invalid value 'Content-Length: 5' for '-H': servedir sets that field itself",
            ),
            (
                &["-H", "content-encoding: identity"],
                "invalid value 'content-encoding: identity' for '-H': servedir sets that field itself",
            ),
            (
                &["-H", "Content-Range: bytes 0-1/2"],
                "invalid value 'Content-Range: bytes 0-1/2' for '-H': servedir sets that field itself",
            ),
            (
                &["-H", "ETag: \"x\""],
                "invalid value 'ETag: \"x\"' for '-H': servedir sets that field itself",
            ),
            (
                &["--cache-control", "a\r\nSet-Cookie: x"],
                "invalid value 'a\\r\\nSet-Cookie: x' for '--cache-control': expected a header \
                 value of visible ASCII characters, like 'no-cache' or 'max-age=3600'",
            ),
            (
                &["--mode", "Thread"],
                "invalid value 'Thread' for '--mode': expected 'thread' or 'process'",
            ),
            (
                &["--bind", "example.com"],
                "invalid value 'example.com' for '--bind': expected an IP address like \
                 127.0.0.1, ::1 or 0.0.0.0, or 'localhost'",
            ),
            (
                &["-b", "[127.0.0.1]"],
                "invalid value '[127.0.0.1]' for '-b': expected an IP address like \
                 127.0.0.1, ::1 or 0.0.0.0, or 'localhost'",
            ),
            (
                &["--bind", "127.0.0.1:80"],
                "invalid value '127.0.0.1:80' for '--bind': expected an IP address like \
                 127.0.0.1, ::1 or 0.0.0.0, or 'localhost'",
            ),
            (
                &["--max-connections", "0"],
                "invalid value '0' for '--max-connections': expected a whole number of at least 1",
            ),
            (
                &["--max-connections", "1.5"],
                "invalid value '1.5' for '--max-connections': \
                 expected a whole number of at least 1",
            ),
            (
                &["--max-head-bytes", "255"],
                "invalid value '255' for '--max-head-bytes': \
                 expected a whole number of at least 256",
            ),
            (
                &["--max-headers", "0"],
                "invalid value '0' for '--max-headers': expected a whole number of at least 1",
            ),
            (
                &["--max-body-discard", "-5"],
                "invalid value '-5' for '--max-body-discard': expected a whole number",
            ),
            (
                &["--max-body-discard", "18446744073709551616"],
                "invalid value '18446744073709551616' for '--max-body-discard': \
                 expected a whole number",
            ),
            (&["--frobnicate"], "unknown option '--frobnicate'"),
            (&["--frobnicate=3"], "unknown option '--frobnicate'"),
            (&["--Port", "80"], "unknown option '--Port'"),
            (&["--por", "80"], "unknown option '--por'"),
            (&["-x"], "unknown option '-x'"),
            (
                &["-port", "80"],
                "unknown option '-port' (did you mean '--port'?)",
            ),
            (
                &["-hidden"],
                "unknown option '-hidden' (did you mean '--hidden'?)",
            ),
            (
                &["-qV"],
                "unknown option '-qV' (short options cannot be combined)",
            ),
            (&["--port"], "option '--port' needs a value"),
            (&["html", "-b"], "option '-b' needs a value"),
            (&["--timeout"], "option '--timeout' needs a value"),
            (
                &["--hidden=x"],
                "option '--hidden' takes no value, but was given 'x'",
            ),
            (
                &["--quiet="],
                "option '--quiet' takes no value, but was given ''",
            ),
            (&["-q=1"], "option '-q' takes no value, but was given '1'"),
            (
                &["a", "b"],
                "unexpected argument 'b' (the root was already given as 'a')",
            ),
            (
                &["a", "--", "b"],
                "unexpected argument 'b' (the root was already given as 'a')",
            ),
            (&[""], "invalid root '': expected the path of a directory"),
            (
                &["--port", "8\n0"],
                "invalid value '8\\n0' for '--port': expected a port number from 0 to 65535",
            ),
        ];
        for (args, expected) in cases {
            assert_eq!(&error(args), expected, "{args:?}");
        }
    }

    #[test]
    fn an_option_taking_a_value_consumes_the_next_argument() {
        assert_eq!(
            error(&["--port", "--hidden"]),
            "invalid value '--hidden' for '--port': expected a port number from 0 to 65535"
        );
        // The value is consumed, so it is not a help request either.
        assert_eq!(
            error(&["--mode", "-h"]),
            "invalid value '-h' for '--mode': expected 'thread' or 'process'"
        );
    }

    #[test]
    fn the_first_error_is_reported() {
        assert_eq!(error(&["--bogus", "a", "b"]), "unknown option '--bogus'");
        assert_eq!(
            error(&["--port", "x", "--mode", "y"]),
            "invalid value 'x' for '--port': expected a port number from 0 to 65535"
        );
    }

    #[test]
    fn help_and_version_win() {
        let help: &[&[&str]] = &[
            &["-h"],
            &["--help"],
            &["--port", "abc", "--help"],
            &["--bogus", "-h"],
            &["a", "b", "-h"],
            &["-V", "--help"],
            &["--help", "-V"],
            &["--help", CHILD_FLAG],
            &["-h", "--port"],
        ];
        for args in help {
            assert_eq!(parse(*args), Ok(Action::Help), "{args:?}");
        }
        let version: &[&[&str]] = &[
            &["-V"],
            &["--version"],
            &["--bogus", "-V"],
            &["-V", "x", "y"],
        ];
        for args in version {
            assert_eq!(parse(*args), Ok(Action::Version), "{args:?}");
        }
        // After `--`, and as a flag with a value, they are not requests.
        assert_eq!(serve(&["--", "-h"]).root, PathBuf::from("-h"));
        assert_eq!(
            error(&["--help=yes"]),
            "option '--help' takes no value, but was given 'yes'"
        );
    }

    #[test]
    fn child_flag_anywhere_makes_a_child() {
        let mut expected = base();
        expected.hidden = true;
        assert_eq!(
            parse([CHILD_FLAG, "--hidden"]),
            Ok(Action::Child(expected.clone()))
        );
        assert_eq!(parse(["--hidden", CHILD_FLAG]), Ok(Action::Child(expected)));
        assert_eq!(error(&[CHILD_FLAG, "--bogus"]), "unknown option '--bogus'");
        assert_eq!(serve(&["--", CHILD_FLAG]).root, PathBuf::from(CHILD_FLAG));
    }

    /// The fields a child uses; the rest (bind, port, mode, process_exe) it ignores.
    /// Everything a child uses: the whole config but for what only the parent needs, so
    /// a field added later is covered without touching this test.
    fn child_view(c: &Config) -> Config {
        let d = Config::default();
        Config {
            bind: d.bind,
            port: d.port,
            mode: d.mode,
            process_exe: None,
            ..c.clone()
        }
    }

    fn round_trip(config: &Config) {
        match parse(child_args(config)) {
            Ok(Action::Child(child)) => {
                assert_eq!(child_view(&child), child_view(config));
                assert_eq!(child.process_exe, None);
            }
            other => panic!("{config:?} came back as {other:?}"),
        }
    }

    #[test]
    fn child_args_round_trip() {
        let mut configs = vec![base(), Config::default()];
        configs.push(Config {
            root: PathBuf::from("/srv/www with spaces/-x=y"),
            bind: vec![ip("0.0.0.0")],
            port: 0,
            mode: Mode::Process,
            limits: Limits {
                max_head_bytes: 300,
                max_headers: 7,
                max_connections: Some(12),
                head_timeout: Duration::from_nanos(1),
                keep_alive_timeout: Duration::new(86_400, 0),
                write_timeout: Duration::new(3, 250_000_000),
                min_send_rate: 7,
                min_rate_grace: Duration::new(2, 5),
                max_discard_body: 0,
            },
            hidden: true,
            follow_symlinks: true,
            access_log: false,
            cache_control: "public, max-age=60".to_owned(),
            precompressed: false,
            index: "start.html".to_owned(),
            listing: true,
            spa: true,
            cors: true,
            coi: true,
            headers: vec![
                ("Access-Control-Allow-Origin".into(), "*".into()),
                ("X-Two".into(), "a: b".into()),
            ],
            observer: None,
            process_exe: Some(PathBuf::from("/usr/bin/servedir")),
        });
        configs.push(Config {
            root: PathBuf::from("--"),
            follow_symlinks: true,
            ..base()
        });
        // Outside what a user may ask for, but a library user may: still exact.
        configs.push(Config {
            root: PathBuf::new(),
            limits: Limits {
                max_head_bytes: 0,
                max_headers: 0,
                max_connections: Some(0),
                head_timeout: Duration::ZERO,
                keep_alive_timeout: Duration::new(u64::MAX, 999_999_999),
                write_timeout: Duration::from_secs(7 * 86_400),
                min_send_rate: u64::MAX,
                min_rate_grace: Duration::ZERO,
                max_discard_body: u64::MAX,
            },
            ..base()
        });
        for config in &configs {
            round_trip(config);
        }
        assert!(!child_args(&base()).is_empty());
        assert_eq!(child_args(&base())[0], OsString::from(CHILD_FLAG));
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_root_is_kept_and_survives_the_round_trip() {
        use std::os::unix::ffi::OsStringExt;
        let raw = OsString::from_vec(b"caf\xe9-\xff".to_vec());
        match parse([raw.clone()]) {
            Ok(Action::Serve(c)) => assert_eq!(c.root.as_os_str(), raw.as_os_str()),
            other => panic!("{other:?}"),
        }
        let config = Config {
            root: PathBuf::from(raw.clone()),
            ..base()
        };
        round_trip(&config);
        let dashed = OsString::from_vec(b"-\xff".to_vec());
        let config = Config {
            root: PathBuf::from(dashed),
            ..base()
        };
        round_trip(&config);
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_options_are_errors_quoted_lossily() {
        use std::os::unix::ffi::OsStringExt;
        let bad = |bytes: &[u8]| OsString::from_vec(bytes.to_vec());
        assert_eq!(
            parse([bad(b"--po\xffrt")]).map_err(|e| e.to_string()),
            Err("unknown option '--po\u{fffd}rt'".to_owned())
        );
        assert_eq!(
            parse([bad(b"--port=80\xff")]).map_err(|e| e.to_string()),
            Err(
                "invalid value '80\u{fffd}' for '--port': expected a port number \
                 from 0 to 65535"
                    .to_owned()
            )
        );
        assert_eq!(
            parse([OsString::from("--bind"), bad(b"\xff::1")]).map_err(|e| e.to_string()),
            Err(
                "invalid value '\u{fffd}::1' for '--bind': expected an IP address \
                 like 127.0.0.1, ::1 or 0.0.0.0, or 'localhost'"
                    .to_owned()
            )
        );
        // A non-UTF-8 second root is quoted lossily too.
        assert_eq!(
            parse([OsString::from("a"), bad(b"b\xff")]).map_err(|e| e.to_string()),
            Err("unexpected argument 'b\u{fffd}' (the root was already given as 'a')".to_owned())
        );
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

    #[test]
    fn errors_are_std_errors_on_one_line() {
        let e = match parse(["--port", "x\r\ny"]) {
            Err(e) => e,
            other => panic!("{other:?}"),
        };
        let boxed: Box<dyn std::error::Error> = Box::new(e.clone());
        assert_eq!(boxed.to_string(), e.to_string());
        assert!(!e.to_string().contains('\n') && !e.to_string().contains('\r'));
    }

    /// The whole `--help` text, byte for byte: pinned before the restructure of issue 13
    /// so that deriving it from the option table provably changed nothing.
    #[test]
    fn usage_is_exactly_the_pinned_text() {
        let pinned = include_str!("help.golden.txt");
        let expected = pinned.replacen("VERSION", env!("CARGO_PKG_VERSION"), 1);
        assert_eq!(usage(), expected);
    }

    #[test]
    fn usage_is_complete_and_fits_80_columns() {
        let text = usage();
        for line in text.lines() {
            assert!(line.chars().count() <= WIDTH, "too wide: {line:?}");
            assert_eq!(line, line.trim_end(), "trailing space: {line:?}");
        }
        for spec in SPECS.iter().filter(|s| s.opt != Opt::Child) {
            assert!(text.contains(spec.long), "{} missing", spec.long);
            if let Some(c) = spec.short {
                assert!(
                    text.contains(&format!("-{c}, {}", spec.long)),
                    "-{c} missing"
                );
            }
        }
        assert!(!text.contains(CHILD_FLAG));
        assert!(!text.contains(GLUE));
        for needle in [
            "USAGE:",
            "ROOT",
            "OPTIONS:",
            "ADVANCED:",
            "MODES:",
            "EXAMPLES:",
            "[default: 7890]",
            "[default: html]",
            "[default: 10000 threads, 256 processes]",
            "[default: 10]",
            "[default: 5]",
            "[default: 30]",
            "[default: 8192]",
            "[default: 100]",
            "[default: 65536]",
            "ulimit -n",
            "0.0.0.0 or ::",
            "servedir ./public -p 8080",
            "servedir . --bind 0.0.0.0",
            "servedir --mode process",
            env!("CARGO_PKG_VERSION"),
        ] {
            assert!(text.contains(needle), "usage lacks {needle:?}");
        }
        // The advanced options come after their heading.
        let advanced = text.find("ADVANCED:").unwrap_or(usize::MAX);
        assert!(text.find("--max-head-bytes").is_some_and(|i| i > advanced));
    }
}
