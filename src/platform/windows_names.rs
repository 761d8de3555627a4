//! Which clean segments Windows would not read as the name they spell: the aliases of
//! Win32 path handling (`\`, drive letters, alternate data streams, trailing dots and
//! spaces, reserved device names). Pure, compiled and tested on every platform:
//! `Target::parse` applies it where [`super::WINDOWS_FILE_NAMES`] says so (and maps each
//! [`Alias`] to its 400), and `canonicalize` to tell a plain path from one Win32 would
//! read differently. 8.3 short names are not here: they alias on some Unix mounts too
//! (`respond/policy.rs` hides them).

/// How a name aliases on Windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Alias {
    /// `\` separates like `/`.
    Backslash,
    /// `:` starts a drive or an alternate data stream.
    DriveOrStream,
    /// A character no Windows name can hold (`< > " | ? *`, control characters).
    NotAName,
    /// A reserved device name (`CON`, `NUL`, `COM1`...), with or without extension.
    DeviceName,
    /// A trailing dot or space, which Win32 strips.
    TrailingDotOrSpace,
}

/// Why Windows would not open `segment` (one clean, decoded path segment) as the plain
/// file or directory of that name below the root, or `None` when it would.
///
/// - `\` separates like `/`: `..\` would climb, `\\?\` and `\\.\` name devices.
/// - `:` starts a drive (`C:` joined onto a path *replaces* it) or an alternate data
///   stream (`index.html::$DATA` is the file's source, `a.txt:s` a hidden stream).
/// - `< > " | ? *` and control characters (DEL too) are never in a Windows name; `?`
///   and `*` (and `< > "` for NT) are wildcards: refused before any API reads them so.
/// - a reserved device name (`CON`, `NUL`, `COM1`, `conin$`, `nul.txt`, `aux .c`) opens
///   the device, in any directory; opening `CON` blocks.
/// - a trailing `.` or space is stripped, so `.env.` and `.git./config` would open
///   `.env` and `.git`, and `.. ` or `...` could be read as `..`.
pub(crate) fn alias(segment: &str) -> Option<Alias> {
    if segment.contains('\\') {
        return Some(Alias::Backslash);
    }
    if segment.contains(':') {
        return Some(Alias::DriveOrStream);
    }
    if segment
        .chars()
        .any(|c| matches!(c, '<' | '>' | '"' | '|' | '?' | '*') || c.is_ascii_control())
    {
        return Some(Alias::NotAName);
    }
    if is_device_name(segment) {
        return Some(Alias::DeviceName);
    }
    if segment.ends_with(['.', ' ']) {
        return Some(Alias::TrailingDotOrSpace);
    }
    None
}

/// Whether Win32 opens `name` as a device: its part before the first `.`, less trailing
/// spaces, is one of the names Microsoft's "Naming Files, Paths, and Namespaces" reserves
/// (with the superscript digits it lists), in any case, with or without an extension.
fn is_device_name(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name).trim_end_matches(' ');
    const NAMES: [&str; 6] = ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"];
    if NAMES.iter().any(|n| stem.eq_ignore_ascii_case(n)) {
        return true;
    }
    let Some((prefix, number)) = stem.char_indices().nth(3).map(|(i, _)| stem.split_at(i)) else {
        return false;
    };
    let mut digits = number.chars();
    let one_port = matches!(
        (digits.next(), digits.next()),
        (Some('0'..='9' | '¹' | '²' | '³'), None)
    );
    one_port && (prefix.eq_ignore_ascii_case("COM") || prefix.eq_ignore_ascii_case("LPT"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each class by itself; the cleaner's own tests (`http/target.rs`) run whole targets.
    #[test]
    fn each_alias_class() {
        let table = [
            ("a\\b", Some(Alias::Backslash)),
            ("C:", Some(Alias::DriveOrStream)),
            ("a.txt::$DATA", Some(Alias::DriveOrStream)),
            ("a?b", Some(Alias::NotAName)),
            ("a\u{7f}", Some(Alias::NotAName)),
            ("CON", Some(Alias::DeviceName)),
            ("nul.txt", Some(Alias::DeviceName)),
            ("aux .c", Some(Alias::DeviceName)),
            ("COM\u{b9}", Some(Alias::DeviceName)),
            ("conin$", Some(Alias::DeviceName)),
            (".env.", Some(Alias::TrailingDotOrSpace)),
            ("a ", Some(Alias::TrailingDotOrSpace)),
            ("COM10", None),
            ("CONSOLE", None),
            ("index.html", None),
            (".env", None),
            ("GIT~1", None),
        ];
        for (name, want) in table {
            assert_eq!(alias(name), want, "{name:?}");
        }
    }
}
