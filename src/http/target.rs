//! Request-target → clean path segments: the one place a URL becomes a path.
//!
//! Pure: strips the query and fragment, percent-decodes exactly once, removes `.` and
//! `..` segments, and rejects anything that could name a file outside the root, or, on
//! Windows, any name the OS would alias (`platform/windows_names.rs`). It never touches the filesystem;
//! `resolve.rs` does.

use std::borrow::Cow;
use std::fmt;

use crate::platform::windows_names::{self, Alias};
use crate::platform::WINDOWS_FILE_NAMES;

/// A request-target reduced to path segments that are safe to join onto a root.
///
/// Every segment is non-empty, is not `.` or `..`, and contains no `/` or NUL. On Windows
/// no segment is one the OS would read as another name (see [`Target::parse`]).
///
/// It borrows from the request when it can: a target without escapes, empty, `.` or `..`
/// segments (nearly every request) is parsed without allocating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target<'a> {
    /// The decoded segments joined by `/`: no leading, trailing or doubled `/`; empty for
    /// `/`. Read it through [`Target::segments`].
    path: Cow<'a, str>,
    /// Whether the path ended in `/` (or in a `.`/`..` segment, which names a directory).
    pub trailing_slash: bool,
    /// The query string after `?`, without the `?`, as sent except that `\` is written
    /// `%5C` (it is not a URI character, and a redirect `Location` never carries it raw);
    /// kept for redirects.
    pub query: Option<Cow<'a, str>>,
}

/// Why a request-target was refused. Every variant is answered with 400.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetError {
    /// `*` (asterisk-form) or `host:port` (authority-form): not for GET/HEAD of a file.
    UnsupportedForm,
    /// An absolute-form target whose scheme is not http or https, or is malformed.
    BadAbsoluteForm,
    /// `%` not followed by two hex digits.
    BadEscape,
    /// A decoded NUL byte.
    Nul,
    /// A backslash, raw or decoded, on Windows, where it is a path separator. Never
    /// returned on Unix, where `\` is an ordinary byte in a file name.
    Backslash,
    /// A `:` in a segment, on Windows: a drive (`C:`) or an alternate data stream
    /// (`index.html::$DATA`). Never returned on Unix, where `a:b.txt` is a plain name.
    DriveOrStream,
    /// A character no Windows name holds (`< > " | ? *`, control characters), on Windows.
    NotAWindowsName,
    /// A reserved device name (`CON`, `NUL`, `COM1`, `nul.txt`, ...) on Windows, which
    /// would open the device, in any directory.
    DeviceName,
    /// A segment ending in `.` or a space, on Windows, which strips them (`.env.` is
    /// `.env`).
    TrailingDotOrSpace,
    /// The decoded path is not UTF-8.
    NotUtf8,
    /// A `..` segment would climb above the root.
    AboveRoot,
}

impl TargetError {
    /// A short description for the log (never sent to the client).
    pub fn as_str(self) -> &'static str {
        match self {
            TargetError::UnsupportedForm => "unsupported request-target form",
            TargetError::BadAbsoluteForm => "malformed absolute-form target",
            TargetError::BadEscape => "bad percent-escape in target",
            TargetError::Nul => "NUL in target",
            TargetError::Backslash => "backslash in target",
            TargetError::DriveOrStream => "drive letter or data stream (`:`) in target",
            TargetError::NotAWindowsName => "character Windows forbids in a name in target",
            TargetError::DeviceName => "Windows device name (CON, NUL, COM1...) in target",
            TargetError::TrailingDotOrSpace => "name ending in a dot or space in target",
            TargetError::NotUtf8 => "target is not UTF-8",
            TargetError::AboveRoot => "target climbs above the root",
        }
    }
}

impl From<Alias> for TargetError {
    fn from(alias: Alias) -> TargetError {
        match alias {
            Alias::Backslash => TargetError::Backslash,
            Alias::DriveOrStream => TargetError::DriveOrStream,
            Alias::NotAName => TargetError::NotAWindowsName,
            Alias::DeviceName => TargetError::DeviceName,
            Alias::TrailingDotOrSpace => TargetError::TrailingDotOrSpace,
        }
    }
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'a> Target<'a> {
    /// Parses a request-target (origin-form `/a/b?q` or absolute-form `http://host/a/b`).
    ///
    /// # Errors
    /// A [`TargetError`] naming the defect; the caller answers 400.
    ///
    /// # Platform-specific behavior
    /// On Windows a segment is also refused when Windows would open something other
    /// than the name it spells: a `\` (a separator there), a `:` (a drive or an
    /// alternate data stream), a character no Windows name holds, a reserved device name
    /// (`CON`, `nul.txt`, ...), or a trailing dot or space (which Windows strips). On
    /// Unix each of these is an ordinary name below the root, and is served.
    pub fn parse(raw: &'a str) -> Result<Target<'a>, TargetError> {
        Target::parse_with(raw, WINDOWS_FILE_NAMES)
    }

    /// [`Target::parse`] with the Windows name rules on or off, so that both are tested
    /// on every platform.
    fn parse_with(raw: &'a str, windows_names: bool) -> Result<Target<'a>, TargetError> {
        let path_and_query = origin_part(raw)?;
        // RFC 9112 §3.2: a fragment is never sent, but a hostile client may; drop it.
        let path_and_query = match path_and_query.find('#') {
            Some(i) => &path_and_query[..i],
            None => path_and_query,
        };
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) if q.contains('\\') => (p, Some(Cow::Owned(q.replace('\\', "%5C")))),
            Some((p, q)) => (p, Some(Cow::Borrowed(q))),
            None => (path_and_query, None),
        };
        let decoded = match percent_decode(path)? {
            Cow::Borrowed(_) => Cow::Borrowed(path),
            Cow::Owned(bytes) => {
                Cow::Owned(String::from_utf8(bytes).map_err(|_| TargetError::NotUtf8)?)
            }
        };
        if decoded.contains('\0') {
            return Err(TargetError::Nul);
        }
        let (clean, mut trailing_slash) = clean_segments(decoded, windows_names)?;
        // Only a real `/` ends a directory URL: `/sub%2f` is redirected to `/sub/`, or
        // relative links on sub/index.html would resolve against the parent.
        if path.ends_with('/') {
            trailing_slash = true;
        }
        Ok(Target {
            path: clean,
            trailing_slash,
            query,
        })
    }

    /// A target of the given segments (each a single name, as [`Target::segments`]
    /// gives them), without a query.
    pub fn from_segments<'s>(
        segments: impl IntoIterator<Item = &'s str>,
        trailing_slash: bool,
    ) -> Target<'static> {
        let mut path = String::new();
        for seg in segments {
            if !path.is_empty() {
                path.push('/');
            }
            path.push_str(seg);
        }
        Target {
            path: Cow::Owned(path),
            trailing_slash,
            query: None,
        }
    }

    /// The decoded path segments, in order; none for `/`.
    pub fn segments(&self) -> impl DoubleEndedIterator<Item = &str> + Clone + '_ {
        self.path.split('/').filter(|s| !s.is_empty())
    }

    /// The last segment, if any.
    pub fn last(&self) -> Option<&str> {
        self.segments().next_back()
    }

    /// Replaces the last segment with what `f` makes of it (a name: no `/`).
    pub fn map_last(&mut self, f: impl FnOnce(&str) -> String) {
        let start = self.path.rfind('/').map_or(0, |i| i + 1);
        let new = f(&self.path[start..]);
        let path = self.path.to_mut();
        path.truncate(start);
        path.push_str(&new);
    }

    /// Removes the last segment.
    pub fn pop(&mut self) {
        let end = self.path.rfind('/').unwrap_or(0);
        self.path.to_mut().truncate(end);
    }

    /// The same target, owning its text.
    pub fn into_owned(self) -> Target<'static> {
        Target {
            path: Cow::Owned(self.path.into_owned()),
            trailing_slash: self.trailing_slash,
            query: self.query.map(|q| Cow::Owned(q.into_owned())),
        }
    }

    /// The clean path, percent-encoded, starting with exactly one `/`: safe as a
    /// `Location`, because no segment is empty or holds `/`, and a `\` in a name is
    /// written `%5C` (so it can never start with `//` or `/\`, the CVE-2021-28861 open
    /// redirect).
    pub fn encoded_path(&self, trailing_slash: bool) -> String {
        let mut out = String::with_capacity(2 + self.path.len());
        for seg in self.segments() {
            out.push('/');
            percent_encode_into(seg, &mut out);
        }
        if trailing_slash || self.path.is_empty() {
            out.push('/');
        }
        out
    }
}

/// The decoded path (starting with `/`) without empty, `.` and `..` segments, joined by
/// `/`, and whether it names a directory so far. Borrowed when nothing was removed.
///
/// Decoding happens before splitting, so `%2f` separates segments and `..%2f` is an
/// ordinary `..`: whatever the encoding, `..` is resolved here, never by the OS.
fn clean_segments(
    decoded: Cow<'_, str>,
    windows_names: bool,
) -> Result<(Cow<'_, str>, bool), TargetError> {
    let check = |seg: &str| -> Result<(), TargetError> {
        // Issue 12 item 11: on Unix `\` (like `:` or a trailing dot) is an ordinary byte
        // in a name, and a listed `back\slash.txt` must be fetchable; only `/` separates,
        // so it cannot climb. Windows reads these as separators, drives, streams or
        // devices (issue 14 item 4). Checked before `..` can pop it: a refused name is
        // refused anywhere.
        match windows_names.then(|| windows_names::alias(seg)).flatten() {
            Some(alias) => Err(alias.into()),
            None => Ok(()),
        }
    };
    let inner = decoded.strip_prefix('/').unwrap_or(&decoded);
    let inner = inner.strip_suffix('/').unwrap_or(inner);
    if !inner.is_empty() && inner.split('/').all(|seg| !matches!(seg, "" | "." | "..")) {
        // The usual case: every segment is a name; the decoded text is the clean path.
        for seg in inner.split('/') {
            check(seg)?;
        }
        let range = {
            let start = usize::from(decoded.starts_with('/'));
            start..start + inner.len()
        };
        let clean = match decoded {
            Cow::Borrowed(text) => Cow::Borrowed(&text[range]),
            Cow::Owned(mut text) => {
                text.truncate(range.end);
                text.drain(..range.start);
                Cow::Owned(text)
            }
        };
        return Ok((clean, false));
    }
    let mut path = String::new();
    let mut trailing_slash = true;
    for seg in decoded.split('/') {
        match seg {
            "" => {}
            "." => trailing_slash = true,
            ".." => {
                if path.is_empty() {
                    return Err(TargetError::AboveRoot);
                }
                path.truncate(path.rfind('/').unwrap_or(0));
                trailing_slash = true;
            }
            _ => {
                check(seg)?;
                if !path.is_empty() {
                    path.push('/');
                }
                path.push_str(seg);
                trailing_slash = false;
            }
        }
    }
    Ok((Cow::Owned(path), trailing_slash))
}

/// Reduces absolute-form (RFC 9112 §3.2.2) to its path and query; checks origin-form.
fn origin_part(raw: &str) -> Result<&str, TargetError> {
    if raw.starts_with('/') {
        return Ok(raw);
    }
    if raw == "*" {
        return Err(TargetError::UnsupportedForm);
    }
    let rest = strip_prefix_ignore_case(raw, "http://")
        .or_else(|| strip_prefix_ignore_case(raw, "https://"));
    let Some(rest) = rest else {
        // Neither `/...` nor `scheme://...`: authority-form (`host:port`) or garbage.
        return Err(if raw.contains("://") {
            TargetError::BadAbsoluteForm
        } else {
            TargetError::UnsupportedForm
        });
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    if authority.is_empty() || authority.contains('@') {
        // `http:///x` has no host; userinfo is deprecated (RFC 9110 §4.2.4).
        return Err(TargetError::BadAbsoluteForm);
    }
    // `path` is empty or starts with `/`, `?` or `#`; `http://h?q` has the path `/`.
    Ok(if path.is_empty() { "/" } else { path })
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XX` escapes once. `+` stays `+`: it means space only in form bodies.
pub(crate) fn percent_decode(s: &str) -> Result<Cow<'_, [u8]>, TargetError> {
    let bytes = s.as_bytes();
    if !bytes.contains(&b'%') {
        return Ok(Cow::Borrowed(bytes));
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hi = bytes.get(i + 1).copied().and_then(hex_value);
            let lo = bytes.get(i + 2).copied().and_then(hex_value);
            match (hi, lo) {
                (Some(h), Some(l)) => out.push(h << 4 | l),
                _ => return Err(TargetError::BadEscape),
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(Cow::Owned(out))
}

/// Percent-encodes one path segment: everything but RFC 3986 unreserved characters and
/// the sub-delimiters that are harmless in a path is escaped.
pub fn percent_encode_into(segment: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in segment.as_bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
            );
        if keep {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        }
    }
}

/// The Windows name rules live in `platform/windows_names.rs`; these run the whole cleaner
/// with them.
#[cfg(test)]
mod windows {
    mod tests {
        //! One test per class of alias in issue 14 item 4. Each runs the whole cleaner with
        //! the Windows rules (as on Windows) and without them (as on Unix), on every platform.
        use crate::http::target::{Target, TargetError};
        use TargetError::*;

        /// The cleaner as Windows runs it.
        fn on_windows(raw: &str) -> Result<Vec<String>, TargetError> {
            Target::parse_with(raw, true).map(|t| t.segment_list())
        }

        /// The cleaner as Unix runs it.
        fn on_unix(raw: &str) -> Result<Vec<String>, TargetError> {
            Target::parse_with(raw, false).map(|t| t.segment_list())
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
                assert_eq!(
                    crate::platform::windows_names::alias(name),
                    None,
                    "{name:?}"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::XorShift;

    fn segs(raw: &str) -> Result<Vec<String>, TargetError> {
        Target::parse(raw).map(|t| t.segment_list())
    }

    #[test]
    fn clean_targets() {
        let table: &[(&str, &[&str], bool)] = &[
            ("/", &[], true),
            ("/index.html", &["index.html"], false),
            ("/a/b/", &["a", "b"], true),
            ("//x", &["x"], false),
            ("/./a/./b", &["a", "b"], false),
            ("/a/.", &["a"], true),
            ("/a/b/..", &["a"], true),
            ("/a/../b", &["b"], false),
            ("/a%20b.txt", &["a b.txt"], false),
            ("/a+b", &["a+b"], false),
            ("/%41%62", &["Ab"], false),
            ("/caf%C3%A9", &["café"], false),
            ("/a%2fb", &["a", "b"], false),
            ("/sub%2f", &["sub"], false),
            ("/sub%2F/", &["sub"], true),
            ("/x?q=1", &["x"], false),
            ("/x#frag", &["x"], false),
            ("/%252e%252e/", &["%2e%2e"], true),
            ("http://host/a/b", &["a", "b"], false),
            ("HTTP://host:80/a", &["a"], false),
            ("https://h", &[], true),
            ("http://h?x=1", &[], true),
            // Issue 12 item 11: on Unix a backslash is part of a name, never a separator,
            // so `..\` cannot climb: each of these is one ordinary segment.
            #[cfg(unix)]
            ("/a\\b", &["a\\b"], false),
            #[cfg(unix)]
            ("/back%5Cslash.txt", &["back\\slash.txt"], false),
            #[cfg(unix)]
            ("/..\\..\\x", &["..\\..\\x"], false),
            #[cfg(unix)]
            ("/a%5C..%5Cb/", &["a\\..\\b"], true),
            #[cfg(unix)]
            ("/\\evil.com", &["\\evil.com"], false),
            #[cfg(unix)]
            ("/..%5c/../x", &["x"], false),
        ];
        for (raw, want, slash) in table {
            let t = Target::parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
            assert_eq!(t.segment_list(), *want, "{raw}");
            assert_eq!(t.trailing_slash, *slash, "{raw}");
        }
    }

    #[test]
    fn hostile_targets() {
        use TargetError::*;
        let table: &[(&str, TargetError)] = &[
            ("/../", AboveRoot),
            ("/..", AboveRoot),
            ("/../../etc/passwd", AboveRoot),
            ("/%2e%2e/", AboveRoot),
            ("/%2E%2e%2f", AboveRoot),
            ("/%2E%2e/etc/passwd", AboveRoot),
            ("/..%2f..%2fetc/passwd", AboveRoot),
            ("/a/../../b", AboveRoot),
            ("/a/%2e%2e/%2e%2e/b", AboveRoot),
            ("http://h/../x", AboveRoot),
            ("http://h/a/%2e%2e/..", AboveRoot),
            ("/a%00.txt", Nul),
            ("/a%00/../b", Nul),
            ("/%", BadEscape),
            ("/%4", BadEscape),
            ("/%zz", BadEscape),
            ("/%%30", BadEscape),
            ("/%ff", NotUtf8),
            ("/%c3", NotUtf8),
            ("*", UnsupportedForm),
            ("example.com:80", UnsupportedForm),
            ("index.html", UnsupportedForm),
            ("", UnsupportedForm),
            ("ftp://h/x", BadAbsoluteForm),
            ("http:///x", BadAbsoluteForm),
            ("http://user@h/x", BadAbsoluteForm),
            // On Unix `..\` is one name, so climbing still needs real `..` segments.
            #[cfg(unix)]
            ("/a%5c../../../x", AboveRoot),
            #[cfg(windows)]
            ("/a\\b", Backslash),
            #[cfg(windows)]
            ("/..\\..\\x", Backslash),
            #[cfg(windows)]
            ("/a%5cb", Backslash),
            #[cfg(windows)]
            ("/a%5C..%5Cb", Backslash),
        ];
        for (raw, want) in table {
            assert_eq!(Target::parse(raw), Err(*want), "{raw:?}");
        }
    }

    #[test]
    fn query_is_kept_raw() {
        let t = Target::parse("/d?a=%20&b").unwrap();
        assert_eq!(t.query.as_deref(), Some("a=%20&b"));
        assert_eq!(Target::parse("/d").unwrap().query, None);
        assert_eq!(Target::parse("/d?").unwrap().query.as_deref(), Some(""));
        // Only `\` changes: the query goes into a redirect's Location.
        let t = Target::parse("/d?a\\b=%5c\\").unwrap();
        assert_eq!(t.query.as_deref(), Some("a%5Cb=%5c%5C"));
    }

    #[test]
    fn over_long_target_is_fine_and_bounded() {
        let long = format!("/{}", "a/".repeat(10_000));
        assert_eq!(segs(&long).unwrap().len(), 10_000);
        let climb = format!("/{}", "../".repeat(10_000));
        assert_eq!(segs(&climb), Err(TargetError::AboveRoot));
    }

    #[test]
    fn encoded_path_never_starts_with_two_slashes() {
        // A name holding `\` is a plain name on Unix; Windows refuses it as a separator.
        let backslashed = ["/\\evil.com", "/%5c%5cevil.com", "/%5C/evil.com"];
        for raw in [
            "//evil.com",
            "/%2f%2fevil.com",
            "///a",
            "/%2fa/",
            "/./%2f/b",
        ]
        .into_iter()
        .chain(backslashed.into_iter().filter(|_| !WINDOWS_FILE_NAMES))
        {
            let t = Target::parse(raw).unwrap();
            let loc = t.encoded_path(true);
            assert!(
                loc.starts_with('/') && !loc.starts_with("//"),
                "{raw} → {loc}"
            );
            assert!(!loc.contains('\\'), "{raw} → {loc}");
        }
        if WINDOWS_FILE_NAMES {
            for raw in backslashed {
                assert_eq!(Target::parse(raw), Err(TargetError::Backslash), "{raw}");
            }
        } else {
            // A redirect to a directory named with a backslash writes it encoded.
            assert_eq!(
                Target::parse("/\\evil.com").unwrap().encoded_path(true),
                "/%5Cevil.com/"
            );
        }
        // Every byte a name may hold that a path must escape comes out escaped. `< > ?` are
        // in no Windows name (the cleaner refuses them there), so Windows checks the rest.
        let escaped = if WINDOWS_FILE_NAMES {
            "/a%20b/x%23%25%7B%7D%5E%60%5B%5D%C3%A9/"
        } else {
            "/a%20b/%3Cx%3E%23%3F%25/"
        };
        assert_eq!(Target::parse(escaped).unwrap().encoded_path(true), escaped);
        assert_eq!(Target::parse("/").unwrap().encoded_path(false), "/");
    }

    #[test]
    fn encoding_round_trips() {
        let everywhere = [
            "a b",
            "b x&y'.txt",
            "a b#c.txt",
            "100%",
            "é",
            "x;y=z",
            "[a]{b}^`~!$(),+@",
        ];
        // Names with characters no Windows name holds: plain names on Unix, refused there.
        let unix_only = ["<b>x&y\".txt", "a b#c?.txt", "back\\slash.txt"];
        let encode = |name: &str| {
            let mut enc = String::from("/");
            percent_encode_into(name, &mut enc);
            enc
        };
        for name in everywhere {
            let t = Target::parse(&encode(name)).unwrap().into_owned();
            assert_eq!(t.segment_list(), [name], "{}", encode(name));
        }
        for name in unix_only {
            let parsed = Target::parse(&encode(name)).map(|t| t.segment_list());
            if WINDOWS_FILE_NAMES {
                assert!(parsed.is_err(), "{name:?}: {parsed:?}");
            } else {
                assert_eq!(parsed, Ok(vec![name.to_owned()]), "{}", encode(name));
            }
        }
    }

    /// The usual target borrows from the request (no allocation); every spelling of the
    /// same path, borrowed or rebuilt, gives the same target.
    #[test]
    fn plain_targets_borrow_and_every_spelling_agrees() {
        for raw in [
            "/a/b.txt",
            "/a/b.txt?x=1",
            "/a/b/",
            "http://h/a/b.txt",
            "/x",
        ] {
            let t = Target::parse(raw).unwrap();
            assert!(matches!(t.path, Cow::Borrowed(_)), "{raw}");
            assert!(t
                .query
                .as_ref()
                .is_none_or(|q| matches!(q, Cow::Borrowed(_))));
        }
        let same = [
            (
                "/a/b.txt",
                vec![
                    "/a//b.txt",
                    "/./a/b.txt",
                    "/a/c/../b.txt",
                    "/a/%62.txt",
                    "/%61/b.txt#f",
                ],
            ),
            (
                "/a/b/",
                vec!["/a/b//", "/a/b/.", "/a/b/c/..", "/a/%62/", "//a/b/"],
            ),
            ("/", vec!["/.", "/a/..", "//", "http://h", "http://h?"]),
        ];
        for (want, spellings) in same {
            let want = Target::parse(want).unwrap();
            for raw in spellings {
                let mut got = Target::parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
                got.query = None;
                assert_eq!(got, want, "{raw}");
            }
        }
        let t = Target::parse("/a%2Fb/c?q=\\").unwrap();
        assert_eq!(t.segment_list(), ["a", "b", "c"]);
        assert_eq!(t.query.as_deref(), Some("q=%5C"));
        let mut t = Target::parse("/a/b.html").unwrap();
        t.map_last(|l| l.replace(".html", ""));
        assert_eq!(t.encoded_path(false), "/a/b");
        t.pop();
        t.pop();
        assert_eq!((t.encoded_path(false), t.last()), ("/".to_string(), None));
    }

    /// Property: whatever the client sends, an accepted target's segments, joined onto a
    /// root, stay below it, and the redirect form of it is a same-origin path.
    #[test]
    fn random_hostile_targets_never_escape() {
        let fragments = [
            "/", "//", "..", ".", "%2e", "%2E", "%2f", "%2F", "%5c", "\\", "%00", "a", "b.txt",
            "%252e", "?", "#", "%", "%c0%ae", "..%2f", ".%2e", "%2e.", "~", "http://h", ":", "%20",
            "etc", "passwd", "....", ".../", "%u002e", "C:", "%3a", "::$DATA", "CON", "nul.txt",
            " ", "%3F", "*", "GIT~1",
        ];
        let mut rng = XorShift::from_env();
        let mut accepted = [0, 0];
        for i in 0..20_000 {
            // Both rule sets on every platform: Unix names, and Windows names.
            let windows_names = i % 2 == 1;
            let n = 1 + rng.next() % 12;
            let mut raw = String::from(if rng.next().is_multiple_of(8) {
                "http://h/"
            } else {
                "/"
            });
            for _ in 0..n {
                raw.push_str(rng.pick(&fragments));
            }
            let Ok(t) = Target::parse_with(&raw, windows_names) else {
                continue;
            };
            accepted[usize::from(windows_names)] += 1;
            for s in t.segments() {
                assert!(!s.is_empty() && s != "." && s != "..", "{raw:?} → {s:?}");
                assert!(!s.contains(['/', '\0']), "{raw:?} → {s:?}");
                // What Windows would alias, checked apart from `windows.rs`'s own rules.
                if windows_names {
                    assert!(!s.contains(['\\', ':', '?', '*']), "{raw:?} → {s:?}");
                    assert!(!s.ends_with(['.', ' ']), "{raw:?} → {s:?}");
                    let stem = s.split('.').next().unwrap_or(s).trim_end().to_uppercase();
                    assert!(!["CON", "NUL"].contains(&stem.as_str()), "{raw:?} → {s:?}");
                }
            }
            // Joined onto a root as path components, depth never drops below 0 because no
            // segment is `.`, `..`, empty, or holds a separator or NUL. This platform's
            // `Path` is the oracle, so it checks the rule set this platform uses; on Unix
            // the Windows rules too (they only refuse more). Windows' `Path` reads `\` and
            // `C:` as separator and drive, which the Unix rules keep as plain bytes.
            if windows_names || !WINDOWS_FILE_NAMES {
                let root = std::path::Path::new("/srv/root");
                let path = t.segments().fold(root.to_path_buf(), |p, s| p.join(s));
                assert!(path.starts_with(root), "{raw:?}");
                assert!(
                    !path
                        .components()
                        .any(|c| matches!(c, std::path::Component::ParentDir)),
                    "{raw:?}"
                );
            }
            let location = t.encoded_path(true);
            assert!(!location.starts_with("//"), "{raw:?}");
            assert!(!location.contains('\\'), "{raw:?} → {location}");
        }
        assert!(
            accepted.iter().all(|&n| n > 500),
            "generator too hostile to test much: {accepted:?}"
        );
    }
}

#[cfg(test)]
impl Target<'_> {
    /// The segments as owned strings, to compare in tests.
    pub(crate) fn segment_list(&self) -> Vec<String> {
        self.segments().map(str::to_owned).collect()
    }
}
