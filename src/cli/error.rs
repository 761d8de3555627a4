//! A usage error and how it quotes the user's input: one line each, exit code 2.
//! Which inputs are errors is decided elsewhere (`scan.rs` for syntax, `values.rs`).

use std::fmt;

/// A usage error. Its `Display` is one line that quotes the bad input, e.g.
/// `invalid value 'abc' for '--port': expected a port number from 0 to 65535`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CliError {
    message: String,
    /// Whether `--help` would help: not when the option is right but cannot work here.
    hint: bool,
}

impl CliError {
    /// An error with this whole message.
    pub(super) fn new(message: String) -> Self {
        CliError {
            message,
            hint: true,
        }
    }

    /// A setting that is valid but cannot work on this platform: the message says why
    /// and what to use instead; `--help` has nothing to add.
    pub(super) fn unavailable(message: String) -> Self {
        CliError {
            message,
            hint: false,
        }
    }

    /// Whether to point the user to `--help` after the message.
    pub(crate) fn hint(&self) -> bool {
        self.hint
    }

    /// `invalid value 'VALUE' for 'NAME': WHY`, where `why` comes from `values.rs`.
    pub(super) fn bad_value(value: &str, name: &str, why: &str) -> Self {
        CliError::new(format!(
            "invalid value {} for {}: {why}",
            quote(value),
            quote(name)
        ))
    }

    /// `unknown option 'NAME'`.
    pub(super) fn unknown(option: &str) -> Self {
        CliError::new(format!("unknown option {}", quote(option)))
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// `'text'`, with control characters escaped so the message stays on one line.
pub(super) fn quote(text: &str) -> String {
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
