//! Process mode's child argv: a `Config` written back as arguments, derived from the
//! option table, which `parse` reads back into the same `Config`. Spawning is
//! `server/process.rs`'s job.

use std::ffi::OsString;

use crate::config::Config;

use super::options::{ToChild, CHILD_FLAG, OPTIONS};

/// The arguments that make `parse` return `Action::Child(config)` with the same
/// effective config (everything except bind, port, mode and `process_exe`, which a
/// child does not use): used by process mode to re-execute itself.
///
/// Every limit is written out, so the child does not depend on defaults; the root comes
/// last, after `--`, so any path (one starting with `-`, or not UTF-8) survives.
pub(crate) fn child_args(config: &Config) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec![CHILD_FLAG.into()];
    for opt in OPTIONS {
        match opt.to_child {
            ToChild::No => {}
            ToChild::Flag(given) => {
                if given(config) {
                    args.push(opt.long.into());
                }
            }
            ToChild::Values(values) => {
                let values = values(config).into_iter();
                args.extend(values.map(|v| format!("{}={v}", opt.long).into()));
            }
        }
    }
    args.push("--".into());
    args.push(config.root.clone().into_os_string());
    args
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;
    use std::path::PathBuf;
    use std::time::Duration;

    use super::*;
    use crate::cli::parse::{parse, Action};
    use crate::cli::testkit::*;
    use crate::config::{Limits, Mode};

    /// Everything a child uses: the whole config but for what only the parent needs
    /// (bind, port, mode, process_exe), so a field added later is covered without
    /// touching this test.
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
            live: true,
            clean_urls: true,
            headers: vec![
                ("Access-Control-Allow-Origin".into(), "*".into()),
                ("X-Two".into(), "a: b".into()),
            ],
            observer: None,
            process_exe: Some(PathBuf::from("/usr/bin/servedir")),
            faults: Some(vec![
                crate::Fault::on("/a b/*.json").status(503).times(2),
                crate::Fault::on("**")
                    .delay(Duration::from_nanos(1))
                    .throttle(7)
                    .cut(0),
            ]),
        });
        // Faults on with no rule yet (the library's `Some(vec![])`): still on in the child.
        configs.push(Config {
            faults: Some(Vec::new()),
            ..base()
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
}
