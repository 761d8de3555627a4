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

/// A dot-name that `--hidden` guards. `.well-known` (RFC 8615) is public by design:
/// ACME challenges, security.txt, app links.
pub(crate) fn is_hidden(name: &str) -> bool {
    is_hidden_name(name.as_bytes())
}

/// [`is_hidden`] for a name from the filesystem, which need not be UTF-8.
pub(crate) fn is_hidden_name(name: &[u8]) -> bool {
    name.starts_with(b".") && name != b".well-known"
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: Policy = Policy {
        hidden: false,
        follow_symlinks: false,
    };
    const FOLLOW: Policy = Policy {
        hidden: false,
        follow_symlinks: true,
    };
    const OPEN: Policy = Policy {
        hidden: true,
        follow_symlinks: true,
    };

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
}
