//! The syntax scan: splits the arguments into options (looked up in the table) and the
//! root, and finds syntax errors (unknown option, missing value, second root). It does
//! not look inside any value: `validate.rs` does.

use std::ffi::OsString;

use super::error::{quote, CliError};
use super::options::{self, Opt};

/// One option as given: which, the name as the user wrote it, and its value
/// (empty for a flag; lossily decoded, which no valid value needs).
pub(super) struct Setting {
    /// Its table entry.
    pub(super) opt: &'static Opt,
    /// `--port` or `-p`, as written: error messages quote it.
    pub(super) name: String,
    /// The value, attached or the next argument.
    pub(super) value: String,
}

/// The arguments split into options and the root, before any value is checked.
#[derive(Default)]
pub(super) struct Scan {
    /// The options in the order given.
    pub(super) settings: Vec<Setting>,
    /// The one positional argument.
    pub(super) root: Option<OsString>,
    /// The first syntax error; kept aside so that `--help` anywhere still wins.
    pub(super) error: Option<CliError>,
}

impl Scan {
    /// Whether the option with this long name was given.
    pub(super) fn has(&self, long: &str) -> bool {
        self.settings.iter().any(|s| s.opt.long == long)
    }

    fn fail(&mut self, error: CliError) {
        self.error.get_or_insert(error);
    }
}

/// Splits the arguments into options and the root, recording the first syntax error.
pub(super) fn scan(args: impl Iterator<Item = OsString>) -> Scan {
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
        let opt = options::by_long(&name).ok_or_else(|| CliError::unknown(&name))?;
        return take_value(opt, name, attached, rest);
    }
    // A long option written with one dash (`-port`) would otherwise be read as `-p ort`.
    let long = format!("-{}", text.split_once('=').map_or(text, |(name, _)| name));
    if text.chars().count() > 2 && options::by_long(&long).is_some() {
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
    let opt = options::by_short(letter).ok_or_else(|| CliError::unknown(text))?;
    let after = chars.as_str();
    let attached = if after.is_empty() {
        None
    } else if let Some(value) = after.strip_prefix('=') {
        Some(value)
    } else if opt.takes_value() {
        Some(after)
    } else {
        return Err(CliError::new(format!(
            "unknown option {} (short options cannot be combined)",
            quote(text)
        )));
    };
    take_value(opt, format!("-{letter}"), attached, rest)
}

/// Pairs the option with its value: the attached one, else the next argument (even one
/// starting with `-`: `--port -1` is a bad port, not a missing one).
fn take_value(
    opt: &'static Opt,
    name: String,
    attached: Option<&str>,
    rest: &mut impl Iterator<Item = OsString>,
) -> Result<Setting, CliError> {
    let value = match (opt.takes_value(), attached) {
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
    Ok(Setting { opt, name, value })
}
