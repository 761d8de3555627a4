//! Validators and conditional requests (RFC 9110 §8.8, §13): a file's ETag and Last-Modified,
//! and If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since and If-Range.
//!
//! Pure: it never reads the clock or the file (the ETag comes from size and mtime, not
//! content), and writes no response; the caller turns a [`Precondition`] into 304 or 412.

use std::time::SystemTime;

use crate::http::date;
use crate::http::request::trim_ows;
use crate::inline::ShortString;

/// A representation's validators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validators {
    /// The strong entity tag, quotes included, e.g. "\"1f4-65a1b2c3.1d2e\"".
    pub etag: ShortString,
    /// Last modification time in Unix seconds, if known (and within 1970..=9999).
    pub last_modified: Option<u64>,
}

impl Validators {
    /// Validators for a file of `len` bytes modified at `mtime` (None if unknown).
    ///
    /// The ETag is derived from size and modification time with nanoseconds (cheap, no
    /// hashing of content, stable across restarts and processes), and `variant` (e.g. "",
    /// "br", "gzip") is mixed in so each encoding of a file has a distinct tag. It is
    /// lowercase hex, `"<len>-<secs>.<nanos>"` or `"<len>-<secs>.<nanos>-<variant>"`; an
    /// mtime before the epoch is written `m<secs>.<nanos>` (its distance before 1970) and
    /// an unknown one `u`. Bytes of `variant` outside `[A-Za-z0-9._~+-]` are
    /// percent-encoded, so the tag is always a well-formed, comma-free entity-tag.
    pub fn new(len: u64, mtime: Option<SystemTime>, variant: &str) -> Validators {
        let mut etag = ShortString::new();
        etag.push('"');
        push_hex(&mut etag, len);
        etag.push('-');
        match mtime.map(|t| t.duration_since(SystemTime::UNIX_EPOCH)) {
            Some(Ok(after)) => {
                push_hex(&mut etag, after.as_secs());
                etag.push('.');
                push_hex(&mut etag, after.subsec_nanos().into());
            }
            // duration_since's error carries the (positive) distance before the epoch, so
            // no signed arithmetic is needed and nothing can overflow.
            Some(Err(before)) => {
                let d = before.duration();
                etag.push('m');
                push_hex(&mut etag, d.as_secs());
                etag.push('.');
                push_hex(&mut etag, d.subsec_nanos().into());
            }
            None => etag.push('u'),
        }
        if !variant.is_empty() {
            etag.push('-');
            push_variant(variant, &mut etag);
        }
        etag.push('"');
        Validators {
            etag,
            // Last-Modified must be an HTTP-date (RFC 9110 §8.8.2), which cannot express
            // instants outside 1970..=9999; such a file simply has none.
            last_modified: mtime.and_then(date::unix_secs),
        }
    }
}

/// Appends `variant`, percent-encoding (injectively) every byte that is not plainly safe
/// Appends `n` in lowercase hex, without leading zeros.
fn push_hex(out: &mut ShortString, n: u64) {
    let digits = (64 - n.leading_zeros()).div_ceil(4).max(1) as usize;
    let mut text = [0u8; 16];
    for (i, slot) in text[..digits].iter_mut().enumerate() {
        let nibble = (n >> ((digits - 1 - i) * 4)) & 0xf;
        *slot = b"0123456789abcdef"[nibble as usize];
    }
    // Hex digits are ASCII.
    out.push_str(std::str::from_utf8(&text[..digits]).unwrap_or_default());
}

/// inside an opaque-tag, so a strange variant can neither end the tag early nor add a comma.
fn push_variant(variant: &str, out: &mut ShortString) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for &b in variant.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b'+' | b'-') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
}

/// The outcome of evaluating preconditions (RFC 9110 §13.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// Every precondition holds (or none was sent): perform the method as usual.
    Proceed,
    /// A GET or HEAD whose cached copy is current: answer 304 Not Modified (§15.4.5).
    NotModified,
    /// A precondition is false: answer 412 Precondition Failed (§15.5.13).
    Failed,
}

/// The conditional request fields, raw values as received (None = absent).
///
/// A field present more than once: the caller joins values with ", " (RFC 9110 §5.3).
#[derive(Debug, Clone, Copy, Default)]
pub struct Conditions<'a> {
    /// `If-Match` (RFC 9110 §13.1.1).
    pub if_match: Option<&'a str>,
    /// `If-None-Match` (RFC 9110 §13.1.2).
    pub if_none_match: Option<&'a str>,
    /// `If-Modified-Since` (RFC 9110 §13.1.3).
    pub if_modified_since: Option<&'a str>,
    /// `If-Unmodified-Since` (RFC 9110 §13.1.4).
    pub if_unmodified_since: Option<&'a str>,
}

/// Evaluates preconditions in RFC 9110 §13.2.2 order for a GET or HEAD (`safe` = true) or
/// any other method (false):
/// 1. If-Match present: `*` passes (the representation exists); otherwise passes only if
///    some listed tag matches by strong comparison; else Failed.
/// 2. Else If-Unmodified-Since present, a valid HTTP-date, and `last_modified` known:
///    Failed if `last_modified` is later than the date. An invalid date is ignored.
/// 3. If-None-Match present: `*` or any tag matching by weak comparison gives NotModified
///    if `safe`, else Failed. When If-None-Match is present, If-Modified-Since is ignored.
/// 4. Else (safe only) If-Modified-Since a valid date and `last_modified` known:
///    NotModified if `last_modified` is not later than the date. Invalid: ignored.
/// 5. Otherwise Proceed.
///
/// A malformed entity-tag list matches nothing. The caller is assumed to have a current
/// representation (`v`), which is what makes `If-Match: *` true.
pub fn evaluate(c: &Conditions<'_>, v: &Validators, safe: bool) -> Precondition {
    // Step 1 (§13.1.1). If-Unmodified-Since is ignored when If-Match is present (§13.1.4).
    if let Some(if_match) = c.if_match {
        if !is_star(if_match) && !any_tag_matches(if_match, &v.etag, Comparison::Strong) {
            return Precondition::Failed;
        }
    } else if let Some(since) = c.if_unmodified_since.and_then(parse_date) {
        // Step 2 (§13.1.4): only a valid date with a known Last-Modified is evaluated.
        if v.last_modified.is_some_and(|lm| lm > since) {
            return Precondition::Failed;
        }
    }
    // Step 3 (§13.1.2): weak comparison, since a 304 only says the cached copy is
    // semantically equivalent.
    if let Some(if_none_match) = c.if_none_match {
        if is_star(if_none_match) || any_tag_matches(if_none_match, &v.etag, Comparison::Weak) {
            return if safe {
                Precondition::NotModified
            } else {
                Precondition::Failed
            };
        }
        // §13.1.3: If-Modified-Since MUST be ignored when If-None-Match is present, since
        // entity tags are the more accurate validator.
        return Precondition::Proceed;
    }
    // Step 4 (§13.1.3): only for GET and HEAD; an invalid date, including several joined
    // values, is ignored. Whole seconds, because HTTP-dates have no finer resolution and
    // last_modified is truncated the same way.
    if safe {
        if let Some(since) = c.if_modified_since.and_then(parse_date) {
            if v.last_modified.is_some_and(|lm| lm <= since) {
                return Precondition::NotModified;
            }
        }
    }
    Precondition::Proceed
}

/// If-Range (RFC 9110 §13.1.5): true when the range may be honoured: the value is an
/// entity-tag that strongly matches `v.etag` (a weak tag never matches), or an HTTP-date
/// exactly equal to `last_modified`.
///
/// Anything else (unparseable, weak, different) gives false: send the whole representation.
pub fn if_range_allows(value: &str, v: &Validators) -> bool {
    let value = trim_ows(value);
    // `If-Range = entity-tag / HTTP-date`: an entity-tag starts with `"` or `W/`, which no
    // HTTP-date does, so the first bytes say which one was sent.
    if value.starts_with('"') || value.starts_with("W/") {
        let Some(tag) = parse_single_tag(value) else {
            return false;
        };
        return parse_single_tag(&v.etag).is_some_and(|ours| strong_match(tag, ours));
    }
    // §13.1.5: a date is only a match when it equals Last-Modified exactly; any difference
    // (even an earlier or later date) means the client's partial copy is stale.
    match (date::parse_http_date(value), v.last_modified) {
        (Some(date), Some(lm)) => date == lm,
        _ => false,
    }
}

/// A parsed `entity-tag = [ weak ] opaque-tag` (RFC 9110 §8.8.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct EntityTag<'a> {
    weak: bool,
    /// The bytes between the quotes.
    opaque: &'a [u8],
}

/// The two ways to compare entity tags (RFC 9110 §8.8.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    /// Both tags strong and the opaque-tags identical.
    Strong,
    /// The opaque-tags identical, weakness ignored.
    Weak,
}

fn strong_match(a: EntityTag<'_>, b: EntityTag<'_>) -> bool {
    !a.weak && !b.weak && a.opaque == b.opaque
}

fn weak_match(a: EntityTag<'_>, b: EntityTag<'_>) -> bool {
    a.opaque == b.opaque
}

/// Whether a `#entity-tag` field value lists a tag that matches `ours`.
///
/// False for a malformed list, even if a matching tag came before the defect: a field we
/// cannot parse is treated as matching nothing, never partially trusted. False also when
/// `ours` itself is not a well-formed entity-tag.
fn any_tag_matches(field: &str, ours: &str, how: Comparison) -> bool {
    let Some(ours) = parse_single_tag(ours) else {
        return false;
    };
    let mut found = false;
    let mut rest = field.as_bytes();
    loop {
        match next_list_tag(rest) {
            ListItem::End => return found,
            ListItem::Malformed => return false,
            ListItem::Tag(tag, after) => {
                found |= match how {
                    Comparison::Strong => strong_match(tag, ours),
                    Comparison::Weak => weak_match(tag, ours),
                };
                rest = after;
            }
        }
    }
}

/// One step through a `#entity-tag` list.
enum ListItem<'a> {
    /// A tag, and the input after it and its trailing separator.
    Tag(EntityTag<'a>, &'a [u8]),
    /// Nothing but whitespace and commas left.
    End,
    /// Not a list of entity-tags.
    Malformed,
}

/// Reads the next entity-tag of a list, skipping OWS and empty elements (RFC 9110 §5.6.1).
///
/// Tags are found by scanning for their closing quote rather than by splitting on commas:
/// a comma is a legal `etagc`, so `"a,b"` is one tag.
fn next_list_tag(mut s: &[u8]) -> ListItem<'_> {
    loop {
        s = skip_ows(s);
        match s.split_first() {
            None => return ListItem::End,
            Some((b',', rest)) => s = rest,
            Some(_) => break,
        }
    }
    let Some((tag, rest)) = parse_tag(s) else {
        return ListItem::Malformed;
    };
    // After a tag: only OWS, then a comma or the end. Anything else is garbage between tags.
    let rest = skip_ows(rest);
    match rest.split_first() {
        None => ListItem::Tag(tag, rest),
        Some((b',', after)) => ListItem::Tag(tag, after),
        Some(_) => ListItem::Malformed,
    }
}

/// Parses one entity-tag at the start of `s`; returns it and what follows.
fn parse_tag(s: &[u8]) -> Option<(EntityTag<'_>, &[u8])> {
    // `weak = %s"W/"`: case-sensitive (RFC 9110 §8.8.3).
    let (weak, s) = match s.strip_prefix(b"W/") {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let s = s.strip_prefix(b"\"")?;
    let close = s.iter().position(|&b| b == b'"')?;
    let (opaque, rest) = s.split_at_checked(close)?;
    // `etagc = %x21 / %x23-7E / obs-text`: no whitespace, controls or DEL inside a tag.
    if !opaque
        .iter()
        .all(|&b| b == 0x21 || (0x23..=0x7e).contains(&b) || b >= 0x80)
    {
        return None;
    }
    let rest = rest.strip_prefix(b"\"")?;
    Some((EntityTag { weak, opaque }, rest))
}

/// Parses a value that must be exactly one entity-tag (If-Range, or our own ETag).
fn parse_single_tag(s: &str) -> Option<EntityTag<'_>> {
    let (tag, rest) = parse_tag(trim_ows(s).as_bytes())?;
    rest.is_empty().then_some(tag)
}

/// Whether a field value is the `*` form of If-Match or If-None-Match (surrounding OWS
/// allowed; `*` inside a list of tags is malformed, as the grammar has no such form).
fn is_star(field: &str) -> bool {
    trim_ows(field) == "*"
}

/// Parses an HTTP-date field value, tolerating surrounding OWS (RFC 9110 §5.5).
fn parse_date(field: &str) -> Option<u64> {
    date::parse_http_date(trim_ows(field))
}

/// Skips leading OWS in a byte slice.
fn skip_ows(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&b| b == b' ' || b == b'\t').count();
    s.get(n..).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{XorShift, TIME_TICK};
    use std::time::Duration;
    use Precondition::{Failed, NotModified, Proceed};

    /// Sun, 06 Nov 1994 08:49:37 GMT, the RFC 9110 §5.6.7 example.
    const LM: u64 = 784_111_777;
    const IMF: &str = "Sun, 06 Nov 1994 08:49:37 GMT";
    const RFC850: &str = "Sunday, 06-Nov-94 08:49:37 GMT";
    const ASCTIME: &str = "Sun Nov  6 08:49:37 1994";
    const EARLIER: &str = "Sun, 06 Nov 1994 08:49:36 GMT";
    const LATER: &str = "Sun, 06 Nov 1994 08:49:38 GMT";

    fn validators() -> Validators {
        Validators {
            etag: "\"abc\"".into(),
            last_modified: Some(LM),
        }
    }

    fn inm(value: &str) -> Conditions<'_> {
        Conditions {
            if_none_match: Some(value),
            ..Conditions::default()
        }
    }

    fn im(value: &str) -> Conditions<'_> {
        Conditions {
            if_match: Some(value),
            ..Conditions::default()
        }
    }

    fn ims(value: &str) -> Conditions<'_> {
        Conditions {
            if_modified_since: Some(value),
            ..Conditions::default()
        }
    }

    fn ius(value: &str) -> Conditions<'_> {
        Conditions {
            if_unmodified_since: Some(value),
            ..Conditions::default()
        }
    }

    #[test]
    fn if_none_match() {
        let table: &[(&str, Precondition)] = &[
            ("\"abc\"", NotModified),
            (" \"abc\" ", NotModified),
            ("W/\"abc\"", NotModified),
            ("\"x\", \"abc\"", NotModified),
            ("\"x\",\"abc\",\"y\"", NotModified),
            ("\"x\" ,\t W/\"abc\"", NotModified),
            (", ,\"abc\",,", NotModified),
            ("*", NotModified),
            (" * ", NotModified),
            ("\"abd\"", Proceed),
            ("\"ABC\"", Proceed),
            ("w/\"abc\"", Proceed),
            ("\"x\", \"y\"", Proceed),
            ("\"\"", Proceed),
            ("", Proceed),
            (" , ", Proceed),
            // Malformed lists match nothing, even when they contain our tag.
            ("abc", Proceed),
            ("\"abc", Proceed),
            ("\"abc\" x", Proceed),
            ("\"abc\"x", Proceed),
            ("\"abc\" \"x\"", Proceed),
            ("\"abc\", \"x", Proceed),
            ("\"abc\", *", Proceed),
            ("**", Proceed),
            ("W/ \"abc\"", Proceed),
            ("\"a bc\"", Proceed),
            ("\"abc\u{7f}\"", Proceed),
            ("\"abc\",\"\t\"", Proceed),
            // A comma inside a tag does not split it.
            ("\"x,\"abc\"\"", Proceed),
            ("\"abc,x\"", Proceed),
            // Non-ASCII (obs-text) is legal inside a tag and never panics.
            ("\"caf\u{e9}\", \"abc\"", NotModified),
            ("\u{e9}\"abc\"", Proceed),
        ];
        for (value, want) in table {
            assert_eq!(
                evaluate(&inm(value), &validators(), true),
                *want,
                "{value:?}"
            );
        }
        // A tag containing a comma matches as a whole.
        let comma = Validators {
            etag: "\"a,b\"".into(),
            last_modified: None,
        };
        assert_eq!(evaluate(&inm("\"x\", \"a,b\""), &comma, true), NotModified);
        assert_eq!(evaluate(&inm("\"a\", \"b\""), &comma, true), Proceed);
        assert_eq!(evaluate(&inm("\"a,b"), &comma, true), Proceed);
        // Our own tag weak: weak comparison still matches.
        let weak = Validators {
            etag: "W/\"abc\"".into(),
            last_modified: None,
        };
        assert_eq!(evaluate(&inm("\"abc\""), &weak, true), NotModified);
        assert_eq!(evaluate(&inm("W/\"abc\""), &weak, true), NotModified);
    }

    #[test]
    fn if_none_match_for_unsafe_methods_fails() {
        assert_eq!(evaluate(&inm("\"abc\""), &validators(), false), Failed);
        assert_eq!(evaluate(&inm("*"), &validators(), false), Failed);
        assert_eq!(evaluate(&inm("\"x\""), &validators(), false), Proceed);
    }

    #[test]
    fn if_modified_since() {
        let table: &[(&str, Precondition)] = &[
            (IMF, NotModified),
            (RFC850, NotModified),
            (ASCTIME, NotModified),
            (" Sun, 06 Nov 1994 08:49:37 GMT ", NotModified),
            (LATER, NotModified),
            ("Sunday, 06-Nov-94 08:49:38 GMT", NotModified),
            ("Sun Nov  6 08:49:38 1994", NotModified),
            (EARLIER, Proceed),
            ("Sunday, 06-Nov-94 08:49:36 GMT", Proceed),
            ("Sun Nov  6 08:49:36 1994", Proceed),
            ("garbage", Proceed),
            ("", Proceed),
            ("784111777", Proceed),
            ("Sun, 06 Nov 1994 08:49:37 UTC", Proceed),
            // Two joined values are not one valid date (§13.1.3).
            (
                "Sun, 06 Nov 1994 08:49:37 GMT, Sun, 06 Nov 1994 08:49:37 GMT",
                Proceed,
            ),
        ];
        for (value, want) in table {
            assert_eq!(
                evaluate(&ims(value), &validators(), true),
                *want,
                "{value:?}"
            );
        }
        // Only for GET and HEAD.
        assert_eq!(evaluate(&ims(IMF), &validators(), false), Proceed);
        // Unknown Last-Modified: nothing to compare.
        let unknown = Validators {
            etag: "\"abc\"".into(),
            last_modified: None,
        };
        assert_eq!(evaluate(&ims(IMF), &unknown, true), Proceed);
    }

    #[test]
    fn if_none_match_takes_precedence_over_if_modified_since() {
        let both = |tag, date| Conditions {
            if_none_match: Some(tag),
            if_modified_since: Some(date),
            ..Conditions::default()
        };
        let v = validators();
        // A different tag wins over a date that would give 304.
        assert_eq!(evaluate(&both("\"x\"", LATER), &v, true), Proceed);
        assert_eq!(evaluate(&both("\"abc\"", EARLIER), &v, true), NotModified);
        assert_eq!(evaluate(&both("\"abc\"", LATER), &v, true), NotModified);
        // Even a malformed or empty If-None-Match is present, so the date is ignored.
        assert_eq!(evaluate(&both("\"abc", LATER), &v, true), Proceed);
        assert_eq!(evaluate(&both("", LATER), &v, true), Proceed);
    }

    #[test]
    fn if_match() {
        let table: &[(&str, Precondition)] = &[
            ("\"abc\"", Proceed),
            ("*", Proceed),
            ("\"x\", \"abc\"", Proceed),
            ("W/\"abc\"", Failed),
            ("W/\"abc\", \"x\"", Failed),
            ("\"x\"", Failed),
            ("", Failed),
            ("\"abc", Failed),
            ("\"abc\" junk", Failed),
        ];
        for (value, want) in table {
            for safe in [true, false] {
                assert_eq!(
                    evaluate(&im(value), &validators(), safe),
                    *want,
                    "{value:?}"
                );
            }
        }
        // Our own tag weak: strong comparison never matches it.
        let weak = Validators {
            etag: "W/\"abc\"".into(),
            last_modified: Some(LM),
        };
        assert_eq!(evaluate(&im("\"abc\""), &weak, true), Failed);
        assert_eq!(evaluate(&im("W/\"abc\""), &weak, true), Failed);
        assert_eq!(evaluate(&im("*"), &weak, true), Proceed);
    }

    #[test]
    fn if_unmodified_since() {
        let table: &[(&str, Precondition)] = &[
            (IMF, Proceed),
            (RFC850, Proceed),
            (ASCTIME, Proceed),
            (LATER, Proceed),
            (EARLIER, Failed),
            ("Sunday, 06-Nov-94 08:49:36 GMT", Failed),
            ("Sun Nov  6 08:49:36 1994", Failed),
            ("garbage", Proceed),
            ("", Proceed),
        ];
        for (value, want) in table {
            for safe in [true, false] {
                assert_eq!(
                    evaluate(&ius(value), &validators(), safe),
                    *want,
                    "{value:?}"
                );
            }
        }
        let unknown = Validators {
            etag: "\"abc\"".into(),
            last_modified: None,
        };
        assert_eq!(evaluate(&ius(EARLIER), &unknown, true), Proceed);
        // If-Match present: If-Unmodified-Since is ignored (§13.1.4).
        let both = Conditions {
            if_match: Some("\"abc\""),
            if_unmodified_since: Some(EARLIER),
            ..Conditions::default()
        };
        assert_eq!(evaluate(&both, &validators(), true), Proceed);
    }

    #[test]
    fn order_of_evaluation() {
        let v = validators();
        // A failing If-Match wins over a matching If-None-Match.
        let c = Conditions {
            if_match: Some("\"x\""),
            if_none_match: Some("\"abc\""),
            ..Conditions::default()
        };
        assert_eq!(evaluate(&c, &v, true), Failed);
        // A failing If-Unmodified-Since wins over a matching If-None-Match.
        let c = Conditions {
            if_unmodified_since: Some(EARLIER),
            if_none_match: Some("\"abc\""),
            ..Conditions::default()
        };
        assert_eq!(evaluate(&c, &v, true), Failed);
        // Passing step 1 or 2 still evaluates If-None-Match.
        let c = Conditions {
            if_match: Some("*"),
            if_none_match: Some("\"abc\""),
            ..Conditions::default()
        };
        assert_eq!(evaluate(&c, &v, true), NotModified);
        let c = Conditions {
            if_unmodified_since: Some(LATER),
            if_modified_since: Some(LATER),
            ..Conditions::default()
        };
        assert_eq!(evaluate(&c, &v, true), NotModified);
        assert_eq!(evaluate(&Conditions::default(), &v, true), Proceed);
        assert_eq!(evaluate(&Conditions::default(), &v, false), Proceed);
    }

    #[test]
    fn if_range() {
        let v = validators();
        let table: &[(&str, bool)] = &[
            ("\"abc\"", true),
            (" \"abc\" ", true),
            ("W/\"abc\"", false),
            ("\"abd\"", false),
            ("\"abc\", \"abc\"", false),
            ("\"abc", false),
            ("*", false),
            (IMF, true),
            (RFC850, true),
            (ASCTIME, true),
            (EARLIER, false),
            (LATER, false),
            ("garbage", false),
            ("", false),
            ("784111777", false),
        ];
        for (value, want) in table {
            assert_eq!(if_range_allows(value, &v), *want, "{value:?}");
        }
        let weak = Validators {
            etag: "W/\"abc\"".into(),
            last_modified: None,
        };
        assert!(!if_range_allows("\"abc\"", &weak));
        assert!(!if_range_allows("W/\"abc\"", &weak));
        assert!(!if_range_allows(IMF, &weak));
    }

    fn at(after_epoch: Option<Duration>, before_epoch: Option<Duration>) -> Option<SystemTime> {
        match (after_epoch, before_epoch) {
            (Some(d), _) => SystemTime::UNIX_EPOCH.checked_add(d),
            (_, Some(d)) => SystemTime::UNIX_EPOCH.checked_sub(d),
            _ => None,
        }
    }

    /// The etag is one strong entity-tag, its opaque part only etagc, and no comma.
    fn assert_well_formed(etag: &str) {
        let tag = parse_single_tag(etag);
        assert!(tag.is_some_and(|t| !t.weak), "{etag}");
        assert!(
            etag.starts_with('"') && etag.ends_with('"') && etag.len() >= 2,
            "{etag}"
        );
        let inner = &etag[1..etag.len() - 1];
        assert!(
            inner
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'"' && b != b','),
            "{etag}"
        );
    }

    /// [`TIME_TICK`] in nanoseconds: the smallest difference two mtimes can have here.
    fn tick() -> u32 {
        TIME_TICK.subsec_nanos()
    }

    #[test]
    fn validators_new() {
        let t = |secs, nanos| at(Some(Duration::new(secs, nanos)), None);
        let base = Validators::new(500, t(1_705_000_000, 7_000), "");
        assert_eq!(base.etag, "\"1f4-65a03c40.1b58\"");
        assert_eq!(base.last_modified, Some(1_705_000_000));
        assert_eq!(base, Validators::new(500, t(1_705_000_000, 7_000), ""));
        assert_eq!(
            Validators::new(500, t(1_705_000_000, 7_000), "br").etag,
            "\"1f4-65a03c40.1b58-br\""
        );
        let others = [
            Validators::new(501, t(1_705_000_000, 7_000), ""),
            // One tick later: 1 ns on Unix, 100 ns on Windows (a finer step is no step).
            Validators::new(500, t(1_705_000_000, 7_000 + tick()), ""),
            Validators::new(500, t(1_705_000_001, 7_000), ""),
            Validators::new(500, t(1_705_000_000, 7_000), "br"),
            Validators::new(500, t(1_705_000_000, 7_000), "gzip"),
            Validators::new(500, None, ""),
        ];
        let mut all = vec![base.etag.clone()];
        all.extend(others.iter().map(|v| v.etag.clone()));
        for (i, a) in all.iter().enumerate() {
            assert_well_formed(a);
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(Validators::new(500, None, "").last_modified, None);
        // Our own tag matches itself both ways, and not its other encodings.
        let c = inm(&base.etag);
        assert_eq!(evaluate(&c, &base, true), NotModified);
        assert!(if_range_allows(&base.etag, &base));
        assert_eq!(evaluate(&c, &others[3], true), Proceed);
    }

    #[test]
    fn validators_at_extreme_times() {
        let times = [
            at(Some(Duration::ZERO), None),
            at(Some(TIME_TICK), None),
            at(None, Some(TIME_TICK)),
            at(None, Some(Duration::new(1, 0))),
            at(None, Some(Duration::new(86_400 * 365 * 100, 999_999_999))),
            at(Some(Duration::from_secs(date::MAX_UNIX_SECS)), None),
            at(Some(Duration::from_secs(date::MAX_UNIX_SECS + 1)), None),
            at(Some(Duration::new(u64::MAX / 4, 999_999_999)), None),
            at(None, Some(Duration::new(u64::MAX / 4, 999_999_999))),
            at(Some(Duration::MAX), None),
            at(None, Some(Duration::MAX)),
        ];
        let mut seen = Vec::new();
        for time in times.into_iter().flatten() {
            for variant in ["", "br", "a b\"c,\u{e9}\n"] {
                let v = Validators::new(u64::MAX, Some(time), variant);
                assert_well_formed(&v.etag);
                if let Some(lm) = v.last_modified {
                    assert!(lm <= date::MAX_UNIX_SECS, "{v:?}");
                }
                assert!(!seen.contains(&v.etag), "{v:?}");
                seen.push(v.etag);
            }
        }
        let epoch = Validators::new(0, Some(SystemTime::UNIX_EPOCH), "");
        assert_eq!(epoch.etag, "\"0-0.0\"");
        assert_eq!(epoch.last_modified, Some(0));
        // Five ticks and a second before 1970: `m1.5` on Unix, `m1.1f4` (500 ns) on Windows.
        if let Some(t) = at(None, Some(Duration::new(1, 5 * tick()))) {
            let v = Validators::new(0, Some(t), "");
            let want = if cfg!(windows) {
                "\"0-m1.1f4\""
            } else {
                "\"0-m1.5\""
            };
            assert_eq!(v.etag, want);
            assert_eq!(v.last_modified, None);
        }
        if let Some(t) = at(Some(Duration::from_secs(date::MAX_UNIX_SECS + 1)), None) {
            assert_eq!(Validators::new(0, Some(t), "").last_modified, None);
        }
    }

    #[test]
    fn variant_encoding_is_injective() {
        let variants = [
            "", "-", "%2d", "a%", "a,b", "a b", "a\"b", "%22", "\u{e9}", "%c3%a9",
        ];
        let tags: Vec<String> = variants
            .iter()
            .map(|v| {
                Validators::new(1, Some(SystemTime::UNIX_EPOCH), v)
                    .etag
                    .to_string()
            })
            .collect();
        for (i, a) in tags.iter().enumerate() {
            assert_well_formed(a);
            for b in &tags[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    /// Property: random field values built from tag fragments never panic, and a value that
    /// the list parser accepts as well-formed agrees with a naive oracle on whether it matches.
    #[test]
    fn random_fields_never_panic() {
        let fragments = [
            "\"", "\"abc\"", "W/", "w/", ",", ", ", " ", "\t", "abc", "*", "\u{e9}", "\u{7f}",
            "\"a,b\"", IMF, "\0",
        ];
        let v = validators();
        let mut rng = XorShift::from_env();
        for _ in 0..5_000 {
            let mut field = String::new();
            for _ in 0..(rng.next() % 8) {
                field.push_str(rng.pick(&fragments));
            }
            let c = Conditions {
                if_match: Some(&field),
                if_none_match: Some(&field),
                if_modified_since: Some(&field),
                if_unmodified_since: Some(&field),
            };
            for safe in [true, false] {
                let _ = evaluate(&c, &v, safe);
                let _ = evaluate(&inm(&field), &v, safe);
            }
            let _ = if_range_allows(&field, &v);
            // A well-formed, fully parsed list (per an independent collector) matches
            // exactly when one of its tags does.
            let mut tags = Vec::new();
            let mut rest = field.as_bytes();
            let well_formed = loop {
                match next_list_tag(rest) {
                    ListItem::End => break true,
                    ListItem::Malformed => break false,
                    ListItem::Tag(tag, after) => {
                        tags.push(tag);
                        rest = after;
                    }
                }
            };
            let weak = any_tag_matches(&field, &v.etag, Comparison::Weak);
            let want = well_formed && tags.iter().any(|t| t.opaque == b"abc");
            assert_eq!(weak, want, "{field:?}");
        }
    }
}
