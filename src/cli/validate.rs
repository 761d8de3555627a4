//! Checks every scanned value, in order, through its option's table entry, and the
//! root; builds the `Config`. The syntax was checked before (`scan.rs`).

use crate::config::Config;

use super::error::CliError;
use super::options::Takes;
use super::scan::{Scan, Setting};
use super::values::Draft;

/// The configuration the settings ask for, with the access log on (the command line's
/// default); `strict` enforces the ranges a user may ask for (off for a process-mode
/// child). The first bad value is the error.
pub(super) fn config(scan: Scan, strict: bool) -> Result<Config, CliError> {
    let mut draft = Draft {
        config: Config {
            access_log: true,
            ..Config::default()
        },
        strict,
        bound: false,
        shortcuts: Default::default(),
    };
    for Setting { opt, name, value } in &scan.settings {
        match opt.takes {
            Takes::Nothing(set) => set(&mut draft.config),
            Takes::Value(_, set) => {
                set(&mut draft, value).map_err(|why| CliError::bad_value(value, name, &why))?;
            }
        }
    }
    draft.shortcuts.apply(&mut draft.config.faults);
    if let (true, Some(why)) = (strict, crate::platform::NO_PROCESS_MODE) {
        if draft.config.mode == crate::config::Mode::Process {
            return Err(CliError::unavailable(format!(
                "--mode process is not available on this platform: {why}; use --mode thread \
                 (the default)"
            )));
        }
    }
    if let Some(root) = scan.root {
        if strict && root.is_empty() {
            return Err(CliError::new(
                "invalid root '': expected the path of a directory".to_owned(),
            ));
        }
        draft.config.root = root.into();
    }
    Ok(draft.config)
}
