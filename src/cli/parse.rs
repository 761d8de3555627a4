//! Arguments → [`Action`]: scans the syntax, lets help and version win, then checks
//! the values. Neither prints nor exits (`run.rs` does).

use std::ffi::OsString;

use crate::config::Config;

use super::error::CliError;
use super::options::{CHILD_FLAG, HELP, VERSION};
use super::{scan, validate};

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    /// Run the server with this configuration.
    Serve(Config),
    /// Print the `--help` text to standard output and exit 0.
    Help,
    /// Print `servedir <version>` (`env!("CARGO_PKG_VERSION")`) and exit 0.
    Version,
    /// Hidden: process mode's child, which serves the one connection on its stdin.
    ///
    /// Everything the parent's config says but bind, port, mode and `process_exe`, which
    /// only the parent needs (`child_args` does not pass them).
    Child(Config),
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
///   duration, an empty root), so `child_args` round-trips any `Config` exactly.
pub(crate) fn parse<I>(args: I) -> Result<Action, CliError>
where
    I: IntoIterator,
    I::Item: Into<OsString>,
{
    let scan = scan::scan(args.into_iter().map(Into::into));
    if scan.has(HELP) {
        return Ok(Action::Help);
    }
    if scan.has(VERSION) {
        return Ok(Action::Version);
    }
    if let Some(error) = scan.error {
        return Err(error);
    }
    let child = scan.has(CHILD_FLAG);
    let config = validate::config(scan, !child)?;
    Ok(if child {
        Action::Child(config)
    } else {
        Action::Serve(config)
    })
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    use std::path::PathBuf;
    use std::time::Duration;

    use super::*;
    use crate::cli::testkit::*;
    use crate::config::{Mode, DEFAULT_PORT};

    #[test]
    fn no_arguments_serve_the_defaults_with_the_access_log_on() {
        assert_eq!(parse(Vec::<OsString>::new()), Ok(Action::Serve(base())));
        assert_eq!(base().port, DEFAULT_PORT);
        assert_eq!(base().bind, vec![V4, V6]);
    }

    /// Issue 14, item 3: where process mode cannot work it is refused at start-up, with
    /// the reason and no pointer to `--help` (the option was spelt right).
    #[test]
    fn process_mode_is_served_where_available_and_refused_elsewhere() {
        for args in [
            &["--mode=process"][..],
            &["--mode", "process"],
            &["-p0", "--mode", "process"],
        ] {
            match crate::platform::NO_PROCESS_MODE {
                None => assert_eq!(serve(args).mode, Mode::Process),
                Some(why) => {
                    let e = parse(args).unwrap_err();
                    assert_eq!(
                        e.to_string(),
                        format!(
                            "--mode process is not available on this platform: {why}; use \
                             --mode thread (the default)"
                        )
                    );
                    assert!(!e.hint());
                }
            }
        }
        assert_eq!(Mode::Process.is_available(), cfg!(unix));
        // A usage error still points to --help.
        assert!(parse(["--mode", "fork"]).unwrap_err().hint());
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
                    ".", "--bind", "0.0.0.0", "--hidden", "-q", "--mode", "thread",
                ]],
                |c| {
                    c.root = PathBuf::from(".");
                    c.bind = vec![IpAddr::V4(Ipv4Addr::UNSPECIFIED)];
                    c.hidden = true;
                    c.access_log = false;
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
    fn errors_are_std_errors_on_one_line() {
        let e = match parse(["--port", "x\r\ny"]) {
            Err(e) => e,
            other => panic!("{other:?}"),
        };
        let boxed: Box<dyn std::error::Error> = Box::new(e.clone());
        assert_eq!(boxed.to_string(), e.to_string());
        assert!(!e.to_string().contains('\n') && !e.to_string().contains('\r'));
    }
}
