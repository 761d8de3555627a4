//! Path globs for fault rules: `*` matches within one segment (no `/`), `**` across
//! segments (anything), every other character itself. Pure.
//!
//! Matching is a table over (glob position, path position), linear in their product, so
//! a glob like `*a*a*a*b` cannot make a long hostile path cost exponential time.

/// Whether `glob` can be a rule's glob; says what is wrong.
pub(super) fn check(glob: &str) -> Result<(), String> {
    if glob.is_empty() {
        return Err("empty glob: expected a path like /data.json, /api/*.json or **".into());
    }
    if !glob.starts_with(['/', '*']) {
        return Err(format!(
            "glob '{glob}': a glob starts with '/' or '*' (it matches the request's path)"
        ));
    }
    if glob.chars().any(char::is_control) {
        return Err(format!("glob {glob:?} holds control characters"));
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq)]
enum Token {
    Byte(u8),
    /// `*`: any run of bytes but `/`.
    Star,
    /// `**`: any run of bytes.
    Stars,
}

fn tokens(glob: &str) -> Vec<Token> {
    let bytes = glob.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'*' {
            let run = bytes[i..].iter().take_while(|&&b| b == b'*').count();
            out.push(if run >= 2 { Token::Stars } else { Token::Star });
            i += run;
        } else {
            out.push(Token::Byte(bytes[i]));
            i += 1;
        }
    }
    out
}

/// Whether `path` (decoded) matches `glob`.
pub(super) fn matches(glob: &str, path: &str) -> bool {
    let path = path.as_bytes();
    // at[j]: the tokens so far can match exactly path[..j].
    let mut at = vec![false; path.len() + 1];
    at[0] = true;
    for token in tokens(glob) {
        let mut next = vec![false; path.len() + 1];
        match token {
            Token::Byte(b) => {
                for j in 0..path.len() {
                    next[j + 1] = at[j] && path[j] == b;
                }
            }
            Token::Star | Token::Stars => {
                let mut reach = false;
                for j in 0..=path.len() {
                    // A star extends a match over one more byte, `*` never over a `/`.
                    reach = at[j] || (reach && (token == Token::Stars || path[j - 1] != b'/'));
                    next[j] = reach;
                }
            }
        }
        at = next;
    }
    at[path.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_within_and_across_segments() {
        let table: &[(&str, &str, bool)] = &[
            ("/data.json", "/data.json", true),
            ("/data.json", "/data.jsonx", false),
            ("/data.json", "/a/data.json", false),
            ("/api/*.json", "/api/users.json", true),
            ("/api/*.json", "/api/.json", true),
            ("/api/*.json", "/api/v1/users.json", false),
            ("/api/**.json", "/api/v1/users.json", true),
            ("/downloads/**", "/downloads/a/b/c.bin", true),
            ("/downloads/**", "/downloads/", true),
            ("/downloads/**", "/downloads", false),
            ("/downloads/**", "/downloadsx/a", false),
            ("**", "/", true),
            ("**", "/any/thing", true),
            ("*", "/", false),
            ("/*", "/", true),
            ("/*", "/x", true),
            ("/*", "/x/y", false),
            ("/*/", "/dir/", true),
            ("/***", "/a/b", true),
            ("/a*b*c", "/abc", true),
            ("/a*b*c", "/aXbYc", true),
            ("/a*b*c", "/aXcYb", false),
            ("/caf\u{e9}", "/caf\u{e9}", true),
            ("/A", "/a", false),
        ];
        for (glob, path, want) in table {
            assert_eq!(matches(glob, path), *want, "{glob} vs {path}");
        }
    }

    #[test]
    fn a_hostile_path_costs_linear_time() {
        let path = format!("/{}", "a".repeat(8000));
        let start = std::time::Instant::now();
        assert!(!matches("/*a*a*a*a*a*a*a*a*b", &path));
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
    }
}
