//! THE option table: each option once, with its names, value placeholder, help text,
//! the default `--help` shows, how its value sets the `Config`, and how a `Config` is
//! written back for process mode's child. Adding an option is one entry here (plus its
//! `Config` field). Scanning, checking values and laying out help live elsewhere.

use crate::config::{Config, Mode};
use crate::fault::Fault;
use crate::units::parse_rate;

use super::values::{self, format_secs, Draft};

/// The `--help` option's long name: wins over every other argument.
pub(super) const HELP: &str = "--help";
/// The `--version` option's long name.
pub(super) const VERSION: &str = "--version";
/// The hidden flag that makes `parse` return `Action::Child`; not in `--help`.
pub(super) const CHILD_FLAG: &str = "--serve-child";

use crate::config::min_head_bytes;
/// Smallest `--max-head-bytes` the command line accepts: the one `Config::check` takes.
const MIN_HEAD_BYTES: u64 = min_head_bytes!();

/// One option of the command line.
pub(super) struct Opt {
    /// `--port`: never abbreviated.
    pub(super) long: &'static str,
    /// `-p`: never combined with another.
    pub(super) short: Option<char>,
    /// Whether it takes a value, and how the value or its presence sets the `Config`.
    pub(super) takes: Takes,
    /// Where `--help` lists it.
    pub(super) section: Section,
    /// Its `--help` text, one paragraph (wrapped when laid out).
    pub(super) help: &'static str,
    /// The default `--help` appends as `[default: X]`, read from `Config::default()`.
    pub(super) default: Option<fn(&Config) -> String>,
    /// How process mode passes it on to a child.
    pub(super) to_child: ToChild,
}

/// A flag, or an option with a value.
pub(super) enum Takes {
    /// A flag: applied to the `Config` when given (any number of times).
    Nothing(fn(&mut Config)),
    /// A value, shown in `--help` as the placeholder (`PORT`); the function checks it
    /// and applies it, or says what was expected (`values.rs`).
    Value(&'static str, fn(&mut Draft, &str) -> values::Checked<()>),
}

/// The `--help` section an option is listed in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Section {
    /// `OPTIONS:`.
    Main,
    /// `ADVANCED:`: limits few users need.
    Advanced,
    /// Not listed: [`CHILD_FLAG`].
    Hidden,
}

/// How a `Config` is written back as arguments for process mode's child.
pub(super) enum ToChild {
    /// Not passed: the child does not use it (bind, port, mode) or it is not a setting.
    No,
    /// `--long` when this says the `Config` has it.
    Flag(fn(&Config) -> bool),
    /// `--long=VALUE` once for each value returned (none: the default).
    Values(fn(&Config) -> Vec<String>),
}

impl Opt {
    /// Whether it consumes a value (attached or the next argument).
    pub(super) fn takes_value(&self) -> bool {
        matches!(self.takes, Takes::Value(..))
    }
}

/// The option with this long name (`--port`), exactly.
pub(super) fn by_long(name: &str) -> Option<&'static Opt> {
    OPTIONS.iter().find(|o| o.long == name)
}

/// The option with this short letter (`p`).
pub(super) fn by_short(letter: char) -> Option<&'static Opt> {
    OPTIONS.iter().find(|o| o.short == Some(letter))
}

/// Every option, in `--help` order.
pub(super) const OPTIONS: &[Opt] = &[
    Opt {
        long: "--port",
        short: Some('p'),
        takes: Takes::Value("PORT", |d, v| {
            d.config.port = values::port(v)?;
            Ok(())
        }),
        section: Section::Main,
        help: "Port to listen on; 0 picks any free port",
        default: Some(|c| c.port.to_string()),
        to_child: ToChild::No,
    },
    Opt {
        long: "--bind",
        short: Some('b'),
        // Repeatable: addresses accumulate in order without duplicates, the first
        // replacing the default loopback pair.
        takes: Takes::Value("ADDR", |d, v| {
            let addrs = values::bind(v)?;
            if !d.bound {
                d.config.bind.clear();
                d.bound = true;
            }
            for addr in addrs {
                if !d.config.bind.contains(&addr) {
                    d.config.bind.push(addr);
                }
            }
            Ok(())
        }),
        section: Section::Main,
        help: "Address to listen on: an IPv4 or IPv6 address (like 127.0.0.1, ::1 or \
               [::1]), or 'localhost' for both 127.0.0.1 and ::1. Repeat to listen on \
               several. Use 0.0.0.0 or :: to serve other machines",
        default: Some(|_| "localhost".to_owned()),
        to_child: ToChild::No,
    },
    Opt {
        long: "--mode",
        short: None,
        takes: Takes::Value("MODE", |d, v| {
            d.config.mode = values::mode(v)?;
            Ok(())
        }),
        section: Section::Main,
        help: "thread or process, see MODES",
        default: Some(|c| c.mode.as_str().to_owned()),
        to_child: ToChild::No,
    },
    Opt {
        long: "--max-connections",
        short: None,
        takes: Takes::Value("N", |d, v| {
            d.config.limits.max_connections = Some(values::count(v, 1, d.strict)?);
            Ok(())
        }),
        section: Section::Main,
        help: "Most connections served at once; the excess get 503. In thread mode more \
               than ~1,000 needs 'ulimit -n' raised",
        default: Some(|c| match c.limits.max_connections {
            Some(max) => max.to_string(),
            // Each connection is a process in process mode: a lower default.
            None => format!(
                "{} threads, {} processes",
                Mode::Thread.default_max_connections(),
                Mode::Process.default_max_connections()
            ),
        }),
        // Unused by a child, but kept so its config equals the parent's (None: the default).
        to_child: ToChild::Values(|c| {
            c.limits
                .max_connections
                .iter()
                .map(usize::to_string)
                .collect()
        }),
    },
    Opt {
        long: "--timeout",
        short: None,
        takes: Takes::Value("SECS", |d, v| {
            d.config.limits.head_timeout = values::secs(v, d.strict)?;
            Ok(())
        }),
        section: Section::Main,
        help: "Time allowed to receive each request's head (request line and headers)",
        default: Some(|c| format_secs(c.limits.head_timeout)),
        to_child: ToChild::Values(|c| vec![format_secs(c.limits.head_timeout)]),
    },
    Opt {
        long: "--keep-alive",
        short: None,
        takes: Takes::Value("SECS", |d, v| {
            d.config.limits.keep_alive_timeout = values::secs(v, d.strict)?;
            Ok(())
        }),
        section: Section::Main,
        help: "How long an idle connection is kept open between requests",
        default: Some(|c| format_secs(c.limits.keep_alive_timeout)),
        to_child: ToChild::Values(|c| vec![format_secs(c.limits.keep_alive_timeout)]),
    },
    Opt {
        long: "--write-timeout",
        short: None,
        takes: Takes::Value("SECS", |d, v| {
            d.config.limits.write_timeout = values::secs(v, d.strict)?;
            Ok(())
        }),
        section: Section::Main,
        help: "How long one write may stall before the client is given up on",
        default: Some(|c| format_secs(c.limits.write_timeout)),
        to_child: ToChild::Values(|c| vec![format_secs(c.limits.write_timeout)]),
    },
    Opt {
        long: "--min-rate",
        short: None,
        takes: Takes::Value("BYTES", |d, v| {
            d.config.limits.min_send_rate = values::count(v, 0, d.strict)?;
            Ok(())
        }),
        section: Section::Main,
        help: "Slowest average rate, in bytes per second, a client may read a response \
               at: each response may take the grace below plus 1 s per BYTES sent, then \
               the client is cut off; 0 turns it off",
        default: Some(|c| c.limits.min_send_rate.to_string()),
        to_child: ToChild::Values(|c| vec![c.limits.min_send_rate.to_string()]),
    },
    Opt {
        long: "--min-rate-grace",
        short: None,
        takes: Takes::Value("SECS", |d, v| {
            d.config.limits.min_rate_grace = values::secs(v, d.strict)?;
            Ok(())
        }),
        section: Section::Main,
        help: "Time every response gets before --min-rate applies",
        default: Some(|c| format_secs(c.limits.min_rate_grace)),
        to_child: ToChild::Values(|c| vec![format_secs(c.limits.min_rate_grace)]),
    },
    Opt {
        long: "--hidden",
        short: None,
        takes: Takes::Nothing(|c| c.hidden = true),
        section: Section::Main,
        help: "Serve files and directories whose name starts with '.' (otherwise they \
               get 404)",
        default: None,
        to_child: ToChild::Flag(|c| c.hidden),
    },
    Opt {
        long: "--follow-symlinks",
        short: None,
        takes: Takes::Nothing(|c| c.follow_symlinks = true),
        section: Section::Main,
        help: "Serve files whose real path, after symlinks, is outside ROOT (otherwise \
               they get 404); dot-names on that path stay private unless --hidden",
        default: None,
        to_child: ToChild::Flag(|c| c.follow_symlinks),
    },
    Opt {
        long: "--cache-control",
        short: None,
        takes: Takes::Value("VALUE", |d, v| {
            d.config.cache_control = values::header_value(v)?;
            Ok(())
        }),
        section: Section::Main,
        help: "Cache-Control sent with files; the default makes browsers revalidate \
               every time, answered cheaply with 304",
        default: Some(|c| c.cache_control.clone()),
        to_child: ToChild::Values(|c| vec![c.cache_control.clone()]),
    },
    Opt {
        long: "--index",
        short: None,
        takes: Takes::Value("NAME", |d, v| {
            d.config.index = values::index_name(v)?;
            Ok(())
        }),
        section: Section::Main,
        help: "The file served for a directory requested with its trailing slash",
        default: Some(|c| c.index.clone()),
        to_child: ToChild::Values(|c| vec![c.index.clone()]),
    },
    Opt {
        long: "--header",
        short: Some('H'),
        takes: Takes::Value("'NAME: VALUE'", |d, v| {
            d.config.headers.push(values::header_line(v)?);
            Ok(())
        }),
        section: Section::Main,
        help: "Add this field to every response (repeatable), e.g. -H \
               'Access-Control-Allow-Origin: *'",
        default: None,
        to_child: ToChild::Values(|c| {
            c.headers
                .iter()
                .map(|(name, value)| format!("{name}: {value}"))
                .collect()
        }),
    },
    Opt {
        long: "--listing",
        short: None,
        takes: Takes::Nothing(|c| c.listing = true),
        section: Section::Main,
        help: "List directories that have no index file (HTML; JSON for 'Accept: \
               application/json'); otherwise they get 404",
        default: None,
        to_child: ToChild::Flag(|c| c.listing),
    },
    Opt {
        long: "--spa",
        short: None,
        takes: Takes::Nothing(|c| c.spa = true),
        section: Section::Main,
        help: "Single-page app: a missing path without a file extension (or asked for \
               with 'Accept: text/html') gets ROOT's index file",
        default: None,
        to_child: ToChild::Flag(|c| c.spa),
    },
    Opt {
        long: "--cors",
        short: None,
        takes: Takes::Nothing(|c| c.cors = true),
        section: Section::Main,
        help: "Allow cross-origin requests: Access-Control-Allow-Origin: * and answers \
               to preflight OPTIONS requests",
        default: None,
        to_child: ToChild::Flag(|c| c.cors),
    },
    Opt {
        long: "--coi",
        short: None,
        takes: Takes::Nothing(|c| c.coi = true),
        section: Section::Main,
        help: "Cross-origin isolation headers (COOP same-origin, COEP require-corp), for \
               SharedArrayBuffer and wasm threads",
        default: None,
        to_child: ToChild::Flag(|c| c.coi),
    },
    Opt {
        long: "--live",
        short: None,
        takes: Takes::Nothing(|c| c.live = true),
        section: Section::Main,
        help: "Live reload: HTML pages get a script that swaps a changed stylesheet in \
               place and reloads the page on any other change to what it loaded",
        default: None,
        to_child: ToChild::Flag(|c| c.live),
    },
    Opt {
        long: "--clean-urls",
        short: None,
        takes: Takes::Nothing(|c| c.clean_urls = true),
        section: Section::Main,
        help: "/about serves about.html when no 'about' exists; /about.html redirects to \
               /about",
        default: None,
        to_child: ToChild::Flag(|c| c.clean_urls),
    },
    Opt {
        long: "--no-precompressed",
        short: None,
        takes: Takes::Nothing(|c| c.precompressed = false),
        section: Section::Main,
        help: "Do not serve FILE.br or FILE.gz in place of FILE to clients that accept \
               that encoding",
        default: None,
        to_child: ToChild::Flag(|c| !c.precompressed),
    },
    Opt {
        long: "--fault",
        short: None,
        takes: Takes::Value("'GLOB=ACTION,...'", |d, v| {
            let rule = Fault::parse(v).map_err(|e| e.why().to_owned())?;
            d.config.faults.get_or_insert_with(Vec::new).push(rule);
            Ok(())
        }),
        section: Section::Main,
        help: "Misbehave for paths matching GLOB ('*' within a segment, '**' across), to \
               test a client (repeatable; the first matching rule applies). ACTIONs: \
               status:CODE, times:N, delay:SECS, throttle:RATE (like 64k or 1.5M), \
               cut:BYTES, drop, stall; e.g. '/data.json=status:503,times:2'",
        default: None,
        to_child: ToChild::Values(|c| c.faults.iter().flatten().map(Fault::to_string).collect()),
    },
    Opt {
        long: "--throttle",
        short: None,
        takes: Takes::Value("RATE", |d, v| {
            let rate = parse_rate(v).ok_or("expected bytes per second, like 65536, 64k or 1.5M")?;
            d.shortcuts.throttle = Some(rate);
            Ok(())
        }),
        section: Section::Main,
        help: "Send every response at most RATE bytes per second (like 64k or 1.5M): a \
               slow link; a --fault rule's own throttle wins",
        default: None,
        // Written into the rules (`Shortcuts::apply`), which the child gets.
        to_child: ToChild::No,
    },
    Opt {
        long: "--delay",
        short: None,
        takes: Takes::Value("SECS", |d, v| {
            d.shortcuts.delay = Some(values::secs(v, d.strict)?);
            Ok(())
        }),
        section: Section::Main,
        help: "Wait SECS before every response head; a --fault rule's own delay wins",
        default: None,
        to_child: ToChild::No,
    },
    Opt {
        long: "--quiet",
        short: Some('q'),
        takes: Takes::Nothing(|c| c.access_log = false),
        section: Section::Main,
        help: "Do not log each response to standard output",
        default: None,
        to_child: ToChild::Flag(|c| !c.access_log),
    },
    Opt {
        long: HELP,
        short: Some('h'),
        takes: Takes::Nothing(|_| {}),
        section: Section::Main,
        help: "Print this help and exit (wins over any other argument)",
        default: None,
        to_child: ToChild::No,
    },
    Opt {
        long: VERSION,
        short: Some('V'),
        takes: Takes::Nothing(|_| {}),
        section: Section::Main,
        help: "Print the version and exit",
        default: None,
        to_child: ToChild::No,
    },
    Opt {
        long: "--max-head-bytes",
        short: None,
        takes: Takes::Value("N", |d, v| {
            d.config.limits.max_head_bytes = values::count(v, MIN_HEAD_BYTES, d.strict)?;
            Ok(())
        }),
        section: Section::Advanced,
        help: concat!(
            "Largest request head (request line and headers) in bytes, at least ",
            min_head_bytes!(),
            "; a larger one gets 431"
        ),
        default: Some(|c| c.limits.max_head_bytes.to_string()),
        to_child: ToChild::Values(|c| vec![c.limits.max_head_bytes.to_string()]),
    },
    Opt {
        long: "--max-headers",
        short: None,
        takes: Takes::Value("N", |d, v| {
            d.config.limits.max_headers = values::count(v, 1, d.strict)?;
            Ok(())
        }),
        section: Section::Advanced,
        help: "Most header fields in one request; more get 431",
        default: Some(|c| c.limits.max_headers.to_string()),
        to_child: ToChild::Values(|c| vec![c.limits.max_headers.to_string()]),
    },
    Opt {
        long: "--max-body-discard",
        short: None,
        takes: Takes::Value("BYTES", |d, v| {
            d.config.limits.max_discard_body = values::count(v, 0, d.strict)?;
            Ok(())
        }),
        section: Section::Advanced,
        help: "Largest request body read and thrown away to keep the connection open; a \
               larger one is answered and the connection closed",
        default: Some(|c| c.limits.max_discard_body.to_string()),
        to_child: ToChild::Values(|c| vec![c.limits.max_discard_body.to_string()]),
    },
    Opt {
        // Fault injection on with no rule yet (`Config::faults` is `Some(vec![])`): only
        // a library user can ask for it, and a child must know it.
        long: "--faults-on",
        short: None,
        takes: Takes::Nothing(|c| {
            c.faults.get_or_insert_with(Vec::new);
        }),
        section: Section::Hidden,
        help: "",
        default: None,
        to_child: ToChild::Flag(|c| c.faults.as_ref().is_some_and(Vec::is_empty)),
    },
    Opt {
        long: CHILD_FLAG,
        short: None,
        takes: Takes::Nothing(|_| {}),
        section: Section::Hidden,
        help: "",
        default: None,
        // `child_args` writes it first, itself.
        to_child: ToChild::No,
    },
];
