//! Which clean segments Windows would not read as the name they spell: the aliases of
//! Win32 path handling (`\`, drive letters, alternate data streams, trailing dots and
//! spaces, reserved device names). Pure, compiled and tested on every platform;
//! `Target::parse` applies it where `platform::WINDOWS_FILE_NAMES` says so. 8.3 short
//! names are not here: they alias on some Unix mounts too (`policy.rs` hides them).

use super::TargetError;

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
pub(crate) fn windows_alias(segment: &str) -> Option<TargetError> {
    if segment.contains('\\') {
        return Some(TargetError::Backslash);
    }
    if segment.contains(':') {
        return Some(TargetError::DriveOrStream);
    }
    if segment
        .chars()
        .any(|c| matches!(c, '<' | '>' | '"' | '|' | '?' | '*') || c.is_ascii_control())
    {
        return Some(TargetError::NotAWindowsName);
    }
    if is_device_name(segment) {
        return Some(TargetError::DeviceName);
    }
    if segment.ends_with(['.', ' ']) {
        return Some(TargetError::TrailingDotOrSpace);
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
    //! One test per class of alias in issue 14 item 4. Each runs the whole cleaner with
    //! the Windows rules (as on Windows) and without them (as on Unix), on every platform.
    use super::*;
    use crate::http::target::Target;
    use TargetError::*;

    /// The cleaner as Windows runs it.
    fn on_windows(raw: &str) -> Result<Vec<String>, TargetError> {
        Target::parse_with(raw, true).map(|t| t.segments)
    }

    /// The cleaner as Unix runs it.
    fn on_unix(raw: &str) -> Result<Vec<String>, TargetError> {
        Target::parse_with(raw, false).map(|t| t.segments)
    }

    fn refused_on_windows(table: &[(&str, TargetError)]) {
        for &(raw, want) in table {
            assert_eq!(on_windows(raw), Err(want), "{raw:?}");
        }
    }

    #[test]
    fn backslash_and_5c_separate_on_windows_only() {
        refused_on_windows(&[
            ("/a\\b", Backslash),
            ("/..\\..\\secret.txt", Backslash),
            ("/%5c..%5csecret.txt", Backslash),
            ("/a%5C..%5Cb", Backslash),
            ("/sub/..%5c..%5c..%5cwindows%5cwin.ini", Backslash),
        ]);
        // Unix: one ordinary name (issue 12 item 11), which cannot climb.
        assert_eq!(
            on_unix("/..\\..\\secret.txt"),
            Ok(vec!["..\\..\\secret.txt".into()])
        );
        assert_eq!(
            on_unix("/%5c..%5csecret.txt"),
            Ok(vec!["\\..\\secret.txt".into()])
        );
    }

    #[test]
    fn drive_letters_are_refused_on_windows() {
        refused_on_windows(&[
            ("/C:/windows/win.ini", DriveOrStream),
            ("/c:", DriveOrStream),
            ("/C%3a/windows/win.ini", DriveOrStream),
            ("/sub/D:/x", DriveOrStream),
            ("http://h/C:/windows/win.ini", DriveOrStream),
            ("/c:%5cwindows%5cwin.ini", Backslash),
        ]);
        // Unix: a directory named `C:` below the root, like any other.
        assert_eq!(
            on_unix("/C:/windows/win.ini"),
            Ok(vec!["C:".into(), "windows".into(), "win.ini".into()])
        );
    }

    #[test]
    fn unc_and_device_paths_are_refused_on_windows() {
        refused_on_windows(&[
            ("/%5c%5chost%5cshare%5cx", Backslash),
            ("/\\\\?\\C:\\x", Backslash),
            ("/%5c%5c%3f%5cC:%5cx", Backslash),
            ("/%5c%5c.%5cCON", Backslash),
            ("//%3F/C:/x", NotAWindowsName),
            ("//./CON", DeviceName),
            ("//./C:/x", DriveOrStream),
            ("/%2f%2f.%2fnul", DeviceName),
        ]);
        // `//host/share` never reaches the OS as a UNC path: empty segments vanish, so it
        // is `host/share` below the root, everywhere. A raw `?` starts the query.
        assert_eq!(on_windows("//?/C:/x"), Ok(vec![]));
        for raw in ["//host/share", "/%2f%2fhost/share", "http://h//host/share"] {
            assert_eq!(
                on_windows(raw),
                Ok(vec!["host".into(), "share".into()]),
                "{raw}"
            );
            assert_eq!(on_unix(raw), on_windows(raw), "{raw}");
        }
    }

    #[test]
    fn alternate_data_streams_are_refused_on_windows() {
        refused_on_windows(&[
            ("/index.html::$DATA", DriveOrStream),
            ("/index.html::$data", DriveOrStream),
            ("/index.html%3a%3a$DATA", DriveOrStream),
            ("/a.txt:stream", DriveOrStream),
            ("/a.txt:stream:$DATA", DriveOrStream),
            ("/dir::$INDEX_ALLOCATION/a.txt", DriveOrStream),
            ("/dir:$I30:$INDEX_ALLOCATION/", DriveOrStream),
        ]);
        // Unix: `:` is an ordinary byte of a name (`a:b.txt`, `12:30.log`).
        assert_eq!(on_unix("/a.txt:stream"), Ok(vec!["a.txt:stream".into()]));
    }

    #[test]
    fn trailing_dots_and_spaces_are_refused_on_windows() {
        refused_on_windows(&[
            ("/.env.", TrailingDotOrSpace),
            ("/.env%20", TrailingDotOrSpace),
            ("/.env.%20.", TrailingDotOrSpace),
            ("/.git./config", TrailingDotOrSpace),
            ("/.git%20/config", TrailingDotOrSpace),
            ("/index.html.", TrailingDotOrSpace),
            ("/...", TrailingDotOrSpace),
            ("/..%20/secret.txt", TrailingDotOrSpace),
            ("/sub/.%20", TrailingDotOrSpace),
        ]);
        // Unix: distinct names, and still dot-names for `--hidden` to guard.
        assert_eq!(on_unix("/.env."), Ok(vec![".env.".into()]));
        assert_eq!(
            on_unix("/.git%20/config"),
            Ok(vec![".git ".into(), "config".into()])
        );
    }

    #[test]
    fn reserved_device_names_are_refused_on_windows_in_any_directory() {
        let mut table = vec![
            ("/CON", DeviceName),
            ("/con", DeviceName),
            ("/NUL", DeviceName),
            ("/nul.txt", DeviceName),
            ("/Aux.c", DeviceName),
            ("/PRN.tar.gz", DeviceName),
            ("/sub/dir/CON", DeviceName),
            ("/CON/x", DeviceName),
            ("/CONIN$", DeviceName),
            ("/conout$.log", DeviceName),
            ("/nul%20.txt", DeviceName),
            ("/CON%20", DeviceName),
            ("/COM%C2%B9", DeviceName),
            ("/lpt%C2%B3.txt", DeviceName),
            ("/COM1:", DriveOrStream),
        ];
        let ports: Vec<String> = (0..10)
            .flat_map(|n| [format!("/COM{n}"), format!("/lpt{n}.txt")])
            .collect();
        table.extend(ports.iter().map(|p| (p.as_str(), DeviceName)));
        refused_on_windows(&table);
        // Unix: ordinary names (many projects have an `aux/` directory).
        assert_eq!(
            on_unix("/aux/nul.txt"),
            Ok(vec!["aux".into(), "nul.txt".into()])
        );
    }

    #[test]
    fn characters_windows_never_has_in_a_name_are_refused_on_windows() {
        refused_on_windows(&[
            ("/a%3Fb", NotAWindowsName),
            ("/*", NotAWindowsName),
            ("/a%3Cb%3E", NotAWindowsName),
            ("/%22x%22", NotAWindowsName),
            ("/a|b", NotAWindowsName),
            ("/a%01b", NotAWindowsName),
            ("/a%1Fb", NotAWindowsName),
            ("/a%7Fb", NotAWindowsName),
        ]);
        assert_eq!(on_unix("/a|b"), Ok(vec!["a|b".into()]));
    }

    #[test]
    fn ordinary_names_pass_the_windows_rules() {
        for name in [
            "index.html",
            "a b.txt",
            " leading-space.txt",
            "café",
            ".well-known",
            ".env",
            "a.b.c",
            "COM10",
            "LPT",
            "CONSOLE.txt",
            "nul_x",
            "con-fig.txt",
            "xCON",
            "file~",
            "a+b;c=d,e!@(f)'g'&$h",
            "日本語.txt",
        ] {
            assert_eq!(windows_alias(name), None, "{name:?}");
        }
    }
}
