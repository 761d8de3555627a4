//! What may be served: the `--hidden` and `--follow-symlinks` rules, as pure checks on
//! names and real paths. Both the lookup by name (`resolve.rs`) and the check of what was
//! opened (`open.rs`) apply them; this file touches no filesystem.

use std::path::{Component, Path};

/// What resolution may serve.
#[derive(Debug, Clone, Copy, Default)]
pub struct Policy {
    /// Serve names starting with `.`.
    pub hidden: bool,
    /// Serve files whose real path is outside the root.
    pub follow_symlinks: bool,
}

/// Whether an object whose real (canonical) path is `real` may be served: inside `root`
/// with no hidden name below it, or, with `follow_symlinks`, outside it with no hidden
/// name anywhere on its path (`--hidden` lifts the name rule). A link out of the root
/// must not publish `~/.ssh` just because the link's own name is innocent.
pub fn allowed(real: &Path, root: &Path, policy: Policy) -> bool {
    let names = match real.strip_prefix(root) {
        Ok(inside) => inside,
        Err(_) if policy.follow_symlinks => real,
        Err(_) => return false,
    };
    policy.hidden
        || !names.components().any(|c| match c {
            Component::Normal(name) => is_hidden_name(name.as_encoded_bytes()),
            // A real path has no `.` or `..`; should one appear, refuse.
            Component::CurDir | Component::ParentDir => true,
            Component::RootDir | Component::Prefix(_) => false,
        })
}

/// A name that `--hidden` guards: a dot-name, or a name shaped like an 8.3 short name,
/// which may be another name of a dot-name. `.well-known` (RFC 8615) is public by
/// design: ACME challenges, security.txt, app links.
///
/// A leading dot has no case, so `.GIT` and `.Env` are hidden on case-insensitive file
/// systems too; a case variant of `.well-known` is hidden as well (it fails closed).
pub(crate) fn is_hidden(name: &str) -> bool {
    is_hidden_name(name.as_bytes())
}

/// [`is_hidden`] for a name from the filesystem, which need not be UTF-8.
pub(crate) fn is_hidden_name(name: &[u8]) -> bool {
    (name.starts_with(b".") && name != b".well-known") || is_short_name(name)
}

/// Whether `name` could be an 8.3 short name: a base of at most 8 bytes ending in `~`
/// and digits (NTFS and FAT: `GIT~1`, `GI4A2D~1.TXT`), or in `~` and letters or digits
/// after at least one byte (Samba: `GIT~A3.___`; Wine: `_GIT~IBP`), and an extension
/// of at most 3.
///
/// Those file systems give every long name one, and a lookup by it opens the long name:
/// the short name of `.git` is `GIT~1`, with no dot for [`is_hidden`] to see. This holds
/// on every platform, not just Windows: Linux's vfat (a USB stick, an SD card) and SMB
/// mounts match short names too, and only the name is seen here (Windows also checks the
/// long name of what it opened, `open.rs`). The cost is that a name like `FOO~1.txt` or
/// `a~b` needs `--hidden`. Trailing dots and spaces are ignored, as FAT ignores them.
fn is_short_name(name: &[u8]) -> bool {
    let mut end = name.len();
    while end > 0 && matches!(name[end - 1], b'.' | b' ') {
        end -= 1;
    }
    let name = &name[..end];
    let (base, ext) = match name.iter().position(|&b| b == b'.') {
        Some(dot) => (&name[..dot], &name[dot + 1..]),
        None => (name, &[][..]),
    };
    let tail = base
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_alphanumeric())
        .count();
    let Some(tilde) = base.len().checked_sub(tail + 1) else {
        return false;
    };
    let digits_only = base[tilde + 1..].iter().all(u8::is_ascii_digit);
    base.len() <= 8
        && ext.len() <= 3
        && tail > 0
        && base[tilde] == b'~'
        && (digits_only || tilde > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{FOLLOW, OPEN, STRICT};

    #[test]
    fn allowed_table() {
        let root = Path::new("/srv/site");
        let table: &[(&str, Policy, bool)] = &[
            ("/srv/site/a.txt", STRICT, true),
            ("/srv/site", STRICT, true),
            ("/srv/site/dir/a.txt", STRICT, true),
            ("/srv/site/.env", STRICT, false),
            ("/srv/site/dir/.git/config", STRICT, false),
            ("/srv/site/.well-known/security.txt", STRICT, true),
            ("/srv/site/.env", OPEN, true),
            ("/srv/sitex/a.txt", STRICT, false),
            ("/srv/secret.txt", STRICT, false),
            ("/srv/secret.txt", FOLLOW, true),
            // `root/keys -> ../outside/.ssh`: the real path's names count (issue 12 #2).
            ("/home/u/outside/.ssh/id_rsa", FOLLOW, false),
            ("/home/u/outside/.env", FOLLOW, false),
            ("/home/u/outside/.ssh/id_rsa", OPEN, true),
            ("/srv/site/../secret.txt", STRICT, false),
            // Issue 14 item 4: the other names a dot-name has on Windows and FAT.
            ("/srv/site/.GIT/config", STRICT, false),
            ("/srv/site/GIT~1/config", STRICT, false),
            ("/srv/site/dir/ENV~1", STRICT, false),
            ("/srv/site/GIT~1/config", OPEN, true),
        ];
        for &(real, policy, want) in table {
            assert_eq!(
                allowed(Path::new(real), root, policy),
                want,
                "{real} {policy:?}"
            );
        }
        // The filesystem root as the served root.
        assert!(allowed(Path::new("/etc/hostname"), Path::new("/"), STRICT));
        assert!(!allowed(
            Path::new("/home/u/.ssh/id_rsa"),
            Path::new("/"),
            STRICT
        ));
    }

    #[test]
    fn case_variants_of_dot_names_are_hidden() {
        // Issue 14 item 4: Windows and macOS look names up without case.
        for name in [
            ".GIT",
            ".Git",
            ".ENV",
            ".Env",
            ".HTPASSWD",
            ".Well-Known",
            ".WELL-KNOWN",
        ] {
            assert!(is_hidden(name), "{name}");
        }
        assert!(!is_hidden(".well-known"));
        assert!(!is_hidden("GIT"));
    }

    #[test]
    fn short_names_are_hidden_on_every_platform() {
        // Issue 14 item 4: `/GIT~1/config` opens `.git/config` on NTFS and FAT.
        for name in [
            "GIT~1",
            "git~1",
            "ENV~1",
            "HTPASS~1",
            "GI4A2D~1",
            "WELL-K~1",
            "ABC~12.TXT",
            "GIT~1.",
            "GIT~1 ",
            "GIT~1. .",
            "~1",
            "A~1.B",
            // Samba's and Wine's shapes, in any case.
            "GIT~A3.___",
            "_GIT~IBP",
            "_git~ibp",
            "_ENV~G0W.LOC",
            "a~b",
            "GIT~1x",
        ] {
            assert!(is_hidden(name), "{name:?}");
        }
        for name in [
            "file~",
            "a.txt~",
            "file.txt.~1~",
            "~user",
            "~1a",
            "my-document~2",
            "x~1.html5",
            "GIT~",
            "GIT~-1",
            "report~2.pdf.bak",
            "index.html",
            "~",
        ] {
            assert!(!is_hidden(name), "{name:?}");
        }
    }
}
