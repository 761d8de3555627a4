//! A directory listing as a response: HTML or JSON by `Accept`, a weak ETag answered with
//! 304, and the page itself, bounded in bytes, every name escaped.
//!
//! It reads no directory (`listing.rs` does) and writes no filesystem path into a page.

use std::fmt::Write as _;

use crate::http::conditional::Validators;
use crate::http::date::IsoMinutes;
use crate::http::encoding::q_of;
use crate::http::request::Head;
use crate::http::target::{percent_encode_into, Target};
use crate::respond::file::preconditions;
use crate::respond::listing::{Entry, Listing};
use crate::response::{Body, Fields, Response, Status};

/// The listing stage: JSON when the client asks for it, else HTML; with a weak ETag,
/// so a revalidation that finds the directory unchanged costs a 304, not the page.
pub(crate) fn render(head: &Head<'_>, target: &Target, listing: &Listing) -> Response {
    // JSON only when asked for by name and preferred to HTML: a browser's */* or an
    // equal preference gets the page.
    let accept = head.header("accept").unwrap_or("");
    let wants_json = q_of(accept, "application/json") > q_of(accept, "text/html");
    let mut url_path = String::from("/");
    for seg in target.segments() {
        url_path.push_str(seg);
        url_path.push('/');
    }
    let format = if wants_json {
        Format::Json
    } else {
        Format::Html
    };
    let validators = Validators {
        etag: etag(&url_path, listing, format).into(),
        last_modified: None,
    };
    // RFC 9110 §15.4.5: a 304 carries the ETag, Cache-Control and Vary a 200 would. A weak
    // tag never matches If-Match, which compares strongly (§13.1.1): 412.
    let mut headers = Fields::from([
        ("ETag", validators.etag.clone()),
        ("Cache-Control", "no-cache".into()),
        ("Vary", "Accept".into()),
    ]);
    if let Some(resp) = preconditions(head, &validators, &mut headers) {
        return resp;
    }
    let (content_type, body) = match format {
        Format::Json => ("application/json", json(&listing.entries, listing.omitted)),
        Format::Html => (
            "text/html; charset=utf-8",
            html(&url_path, &listing.entries, listing.omitted),
        ),
    };
    Response {
        status: Status::Ok,
        content_type: Some(content_type.into()),
        headers,
        body: Body::Text(body),
    }
}

/// A listing page (HTML or JSON) never holds more than this many bytes of rows: entries
/// that would go past it are counted as not shown, like those past [`MAX_ENTRIES`](crate::respond::listing::MAX_ENTRIES). 1,000
/// entries with plain names up to ~200 bytes fit; 255-byte names that need escaping
/// everywhere (`&&&...`) fit about 190.
pub const MAX_PAGE_BYTES: usize = 512 * 1024;

/// Inline and tiny: the page loads nothing else, so it works the same offline and under
/// the strict Content-Security-Policy the page declares.
const STYLE: &str = "\
:root{color-scheme:light dark;--fg:#1f2328;--bg:#fff;--muted:#59636e;--link:#0969da;--line:#d1d9e0}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9198a1;--link:#4493f8;--line:#3d444d}}
body{margin:0 auto;max-width:60rem;padding:1rem;font:15px/1.5 system-ui,sans-serif;color:var(--fg);background:var(--bg)}
h1{font-size:1.25rem;font-weight:600;overflow-wrap:anywhere}
table{width:100%;border-collapse:collapse}
th,td{padding:.3rem .6rem;text-align:left;border-bottom:1px solid var(--line)}
th{color:var(--muted);font-weight:600}
td:first-child{overflow-wrap:anywhere}
td+td{white-space:nowrap;color:var(--muted);font-variant-numeric:tabular-nums}
th:nth-child(2),td:nth-child(2){text-align:right}
a{color:var(--link);text-decoration:none}
a:hover{text-decoration:underline}
p{color:var(--muted)}
";

/// Room kept at the end of a page for what closes it, including the "not shown" note
/// with the largest possible count (about 90 bytes in either format).
const TAIL_RESERVE: usize = 128;

/// The HTML page for the directory whose URL path is `url_path` (decoded, e.g.
/// `/docs/a b/`, always starting and ending with `/`), listing `entries` and saying that
/// `omitted` more exist.
///
/// A table of Name / Size / Modified with a `../` parent link (none at `/`), directories
/// first and with a trailing `/`; sizes human-readable (`512 B`, `1.2 KiB`; directories
/// `-`) and times as `YYYY-MM-DD HH:MM UTC` (or `-`). Inline CSS with light and dark
/// schemes; no JavaScript and no external resources, and a `<meta>` Content-Security-Policy
/// that forbids both. Names are HTML-escaped as text, and as links are percent-encoded
/// and made relative (`./` + name), so no name can become a protocol-relative or
/// `javascript:` URL. Control characters are shown as visible symbols (U+2400 block).
///
/// Rows are added only while the page stays within [`MAX_PAGE_BYTES`] (its allocation
/// too); entries past that count as not shown. When any are, a paragraph after the table
/// says so: `<p>3 more entries not shown.</p>`. Only the head, which repeats `url_path`
/// (bounded by the request head limit), is written whatever its length.
pub fn html(url_path: &str, entries: &[Entry], omitted: u64) -> String {
    let mut out = String::with_capacity(4096);
    out.push_str(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" \
         content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n<title>Index of ",
    );
    push_display(url_path, &mut out);
    out.push_str("</title>\n<style>\n");
    out.push_str(STYLE);
    out.push_str("</style>\n</head>\n<body>\n<h1>Index of ");
    push_display(url_path, &mut out);
    out.push_str(
        "</h1>\n<table>\n<thead><tr><th>Name</th><th>Size</th><th>Modified</th></tr></thead>\n\
         <tbody>\n",
    );
    // Also tolerate "" or "//" as the root: a parent link there would only lead to itself.
    if !url_path.trim_matches('/').is_empty() {
        out.push_str("<tr><td><a href=\"../\">../</a></td><td></td><td></td></tr>\n");
    }
    let limit = MAX_PAGE_BYTES.saturating_sub(TAIL_RESERVE);
    let (mut row, mut href) = (String::new(), String::new());
    let mut shown = 0;
    for entry in entries {
        row.clear();
        push_html_row(entry, &mut row, &mut href);
        if !push_within(&mut out, &row, limit) {
            break;
        }
        shown += 1;
    }
    let omitted = omitted.saturating_add((entries.len() - shown) as u64);
    let mut tail = String::from("</tbody>\n</table>\n");
    if omitted > 0 {
        let noun = if omitted == 1 { "entry" } else { "entries" };
        let _ = writeln!(tail, "<p>{omitted} more {noun} not shown.</p>");
    }
    tail.push_str("</body>\n</html>\n");
    out.reserve_exact(tail.len());
    out.push_str(&tail);
    out
}

/// One table row of the HTML page; `href` is scratch space.
fn push_html_row(entry: &Entry, out: &mut String, href: &mut String) {
    href.clear();
    // "./" keeps every href a relative path: a name such as `javascript:x` or one
    // that percent-encodes to something scheme-like can never be read as a URL scheme.
    href.push_str("./");
    percent_encode_into(&entry.name, href);
    if entry.is_dir {
        href.push('/');
    }
    out.push_str("<tr><td><a href=\"");
    // percent_encode_into keeps `&` and `'`; they still need escaping in an attribute.
    escape_html(href, out);
    out.push_str("\">");
    push_display(&entry.name, out);
    if entry.is_dir {
        out.push('/');
    }
    out.push_str("</a></td><td>");
    if entry.is_dir {
        out.push('-');
    } else {
        push_size(entry.size, out);
    }
    out.push_str("</td><td>");
    push_time(entry.mtime, out);
    out.push_str("</td></tr>\n");
}

/// Appends `piece` unless `out` would then pass `limit` bytes; returns whether it did.
/// `out` grows by doubling as usual, but never past `limit`, so the bound holds for its
/// allocation and not only its length.
fn push_within(out: &mut String, piece: &str, limit: usize) -> bool {
    let Some(need) = out.len().checked_add(piece.len()) else {
        return false;
    };
    if need > limit {
        return false;
    }
    if need > out.capacity() {
        let want = need.max(out.capacity().saturating_mul(2)).min(limit);
        out.reserve_exact(want - out.len());
    }
    out.push_str(piece);
    true
}

/// A JSON array, one object per entry, e.g.
/// `[{"name":"a b","type":"file","size":12,"mtime":1700000000},{"name":"d","type":"directory","size":0,"mtime":null}]`.
///
/// Strings escape `"`, `\` and control characters (as `\u00XX`), and also `<`, `>`, `&`,
/// U+2028 and U+2029, so the output is safe to embed in HTML or a JavaScript literal.
///
/// Bounded like [`html`]: objects are added only while the text stays within
/// [`MAX_PAGE_BYTES`]. When entries are not shown (`omitted`, plus any the byte bound
/// left out), one last element says how many: `{"type":"omitted","count":3}`. It has no
/// `name`, so a client that lists by `type` sees an unknown type rather than a file;
/// a directory listed whole gives exactly the array it always did.
pub fn json(entries: &[Entry], omitted: u64) -> String {
    let mut out = String::with_capacity(4096);
    out.push('[');
    let limit = MAX_PAGE_BYTES.saturating_sub(TAIL_RESERVE);
    let mut row = String::new();
    let mut shown = 0;
    for entry in entries {
        row.clear();
        if shown > 0 {
            row.push(',');
        }
        row.push_str("{\"name\":");
        push_json_string(&entry.name, &mut row);
        let (kind, size) = if entry.is_dir {
            ("directory", 0)
        } else {
            ("file", entry.size)
        };
        // Writing to a String cannot fail.
        let _ = write!(row, ",\"type\":\"{kind}\",\"size\":{size},\"mtime\":");
        match entry.mtime {
            Some(secs) => {
                let _ = write!(row, "{secs}");
            }
            None => row.push_str("null"),
        }
        row.push('}');
        if !push_within(&mut out, &row, limit) {
            break;
        }
        shown += 1;
    }
    let omitted = omitted.saturating_add((entries.len() - shown) as u64);
    let mut tail = String::new();
    if omitted > 0 {
        let comma = if shown > 0 { "," } else { "" };
        let _ = write!(tail, "{comma}{{\"type\":\"omitted\",\"count\":{omitted}}}");
    }
    tail.push(']');
    out.reserve_exact(tail.len());
    out.push_str(&tail);
    out
}

/// The two pages a listing is rendered as; part of its ETag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// [`html`].
    Html,
    /// [`json`].
    Json,
}

/// Changed whenever `html` or `json` write something different for the same entries, so
/// a page cached under an older template is never confirmed as current by a 304.
const TEMPLATE_VERSION: &[u8] = b"servedir-listing-2";

/// A weak entity-tag (RFC 9110 §8.8.3) for the page `format` makes of `listing` at
/// `url_path`, e.g. `W/"l-3f2a9c0d1e2b4a5f"`: a hash of everything the page shows (each
/// entry's name, type, size and mtime in seconds, the count not shown, the URL path for
/// HTML) and of the format and template version, so it can be answered with a 304
/// without building the page. Weak, because two states of a directory within the same
/// second and of the same sizes give the same tag, and the page is generated, not stored.
pub fn etag(url_path: &str, listing: &Listing, format: Format) -> String {
    let mut h = Fnv::new();
    h.bytes(TEMPLATE_VERSION);
    match format {
        Format::Html => {
            h.bytes(b"html");
            h.bytes(url_path.as_bytes());
        }
        Format::Json => h.bytes(b"json"),
    }
    for entry in &listing.entries {
        h.bytes(entry.name.as_bytes());
        h.u64(u64::from(entry.is_dir));
        h.u64(entry.size);
        match entry.mtime {
            Some(secs) => {
                h.u64(1);
                h.u64(secs);
            }
            None => h.u64(0),
        }
    }
    h.u64(listing.omitted);
    format!("W/\"l-{:016x}\"", h.0)
}

/// FNV-1a, 64 bits: tiny, deterministic across runs and processes (std's `DefaultHasher`
/// promises neither across releases), and plenty against accidental collisions between
/// two states of one directory. Not meant to resist a chosen collision: an ETag is only
/// compared against tags this same URL gave out.
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn raw(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    /// Length-prefixed, so field boundaries cannot shift (`ab`+`c` ≠ `a`+`bc`).
    fn bytes(&mut self, bytes: &[u8]) {
        self.u64(bytes.len() as u64);
        self.raw(bytes);
    }

    fn u64(&mut self, n: u64) {
        self.raw(&n.to_le_bytes());
    }
}

/// Escapes text for HTML element content and attribute values (quoted with `"` or `'`):
/// `&`, `<`, `>`, `"` and `'`; everything else is copied unchanged.
pub fn escape_html(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
}

/// Text a person reads: HTML-escaped, with control characters made visible, because raw
/// they are HTML parse errors and a newline would look like a space (`a\nb` vs `a b`).
fn push_display(s: &str, out: &mut String) {
    for c in s.chars() {
        let shown = match c {
            // U+2400..U+241F are the "control pictures" for U+0000..U+001F, in order.
            '\0'..='\u{1f}' => char::from_u32(0x2400 + u32::from(c)).unwrap_or('\u{fffd}'),
            '\u{7f}' => '\u{2421}',
            // C1 controls have no pictures.
            '\u{80}'..='\u{9f}' => '\u{fffd}',
            _ => c,
        };
        let mut buf = [0; 4];
        escape_html(shown.encode_utf8(&mut buf), out);
    }
}

/// A JSON string literal (RFC 8259 §7) that is also inert inside HTML and `<script>`.
fn push_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\0'..='\u{1f}' | '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            _ => out.push(c),
        }
    }
    out.push('"');
}

/// `512 B`, `1.2 KiB`, `3.4 MiB`: bytes below 1 KiB, else one decimal in the largest unit
/// that keeps the rounded value below 1024 (so never `1024.0 KiB`).
fn push_size(bytes: u64, out: &mut String) {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        let _ = write!(out, "{bytes} B");
        return;
    }
    // u128: tenths of u64::MAX bytes overflow u64.
    let mut divisor: u128 = 1024;
    for (i, unit) in UNITS.iter().enumerate() {
        let tenths = (u128::from(bytes) * 10 + divisor / 2) / divisor;
        if tenths < 10_240 || i == UNITS.len() - 1 {
            let _ = write!(out, "{}.{} {unit}", tenths / 10, tenths % 10);
            return;
        }
        divisor *= 1024;
    }
}

/// `YYYY-MM-DD HH:MM UTC` (`date.rs` does the calendar), or `-` when unknown.
fn push_time(mtime: Option<u64>, out: &mut String) {
    match mtime {
        Some(secs) => {
            let _ = write!(out, "{}", IsoMinutes(secs));
        }
        None => out.push('-'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::respond::listing::MAX_ENTRIES;
    use crate::testutil::{dir_entry as dir, file_entry as file};

    fn escaped(s: &str) -> String {
        let mut out = String::new();
        escape_html(s, &mut out);
        out
    }

    /// Hostile names with the exact href and link text the page must contain for each.
    const HOSTILE: &[(&str, &str, &str)] = &[
        (
            "<b>x&y\".txt",
            "./%3Cb%3Ex&amp;y%22.txt",
            "&lt;b&gt;x&amp;y&quot;.txt",
        ),
        ("a b#c?.txt", "./a%20b%23c%3F.txt", "a b#c?.txt"),
        ("%41.txt", "./%2541.txt", "%41.txt"),
        ("'quote'", "./&#39;quote&#39;", "&#39;quote&#39;"),
        (
            "javascript:alert(1)",
            "./javascript:alert(1)",
            "javascript:alert(1)",
        ),
        ("\u{1}ctl", "./%01ctl", "\u{2401}ctl"),
        ("日本.txt", "./%E6%97%A5%E6%9C%AC.txt", "日本.txt"),
        ("line\nbreak", "./line%0Abreak", "line\u{240a}break"),
        ("del\u{7f}\u{85}", "./del%7F%C2%85", "del\u{2421}\u{fffd}"),
    ];

    #[test]
    fn escape_html_escapes_exactly_five_characters() {
        assert_eq!(
            escaped("<b>x&y\"'z'</b>"),
            "&lt;b&gt;x&amp;y&quot;&#39;z&#39;&lt;/b&gt;"
        );
        assert_eq!(escaped("plain 日本 \n\u{1}"), "plain 日本 \n\u{1}");
        assert_eq!(escaped("&amp;"), "&amp;amp;", "escaping is not idempotent");
        assert_eq!(escaped(""), "");
    }

    #[test]
    fn hostile_names_are_escaped_and_linked_exactly() {
        let entries: Vec<Entry> = HOSTILE
            .iter()
            .map(|(name, _, _)| file(name, 12, Some(1_700_000_000)))
            .collect();
        let page = html("/d/", &entries, 0);
        for (name, href, text) in HOSTILE {
            let row = format!(
                "<tr><td><a href=\"{href}\">{text}</a></td><td>12 B</td>\
                 <td>2023-11-14 22:13 UTC</td></tr>\n"
            );
            assert!(page.contains(&row), "{name:?}: want {row:?} in\n{page}");
        }
        // Nothing hostile survived anywhere: no raw markup, controls or script.
        for bad in ["<b>", "\"'", "\u{1}", "\n\u{7f}", "<script", "src=", "//"] {
            assert!(!page.contains(bad), "{bad:?} in\n{page}");
        }
        // Every link is relative: ./name or ../.
        for (i, _) in page.match_indices("href=\"") {
            let rest = &page[i + 6..];
            assert!(
                rest.starts_with("./") || rest.starts_with("../"),
                "{}",
                &rest[..rest.len().min(40)]
            );
        }
    }

    #[test]
    fn directories_get_a_slash_and_no_size() {
        let page = html("/a b/", &[dir("sub dir"), dir("&"), file("f", 0, None)], 0);
        assert!(page.contains(
            "<tr><td><a href=\"./sub%20dir/\">sub dir/</a></td><td>-</td><td>-</td></tr>\n"
        ));
        assert!(page.contains("<tr><td><a href=\"./&amp;/\">&amp;/</a></td><td>-</td>"));
        assert!(page.contains("<tr><td><a href=\"./f\">f</a></td><td>0 B</td><td>-</td></tr>"));
    }

    #[test]
    fn page_structure_and_parent_link() {
        let root = html("/", &[], 0);
        assert!(root.starts_with(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        ));
        assert!(root.contains("<meta name=\"viewport\""));
        assert!(root.contains("<title>Index of /</title>"));
        assert!(root.contains("<h1>Index of /</h1>"));
        assert!(root.contains("<th>Name</th><th>Size</th><th>Modified</th>"));
        assert!(root.contains("prefers-color-scheme:dark"));
        assert!(root.contains("default-src 'none'"));
        assert!(!root.contains("../"), "no parent link at the root");
        assert!(!root.contains("<script"));
        assert!(root.ends_with("</html>\n"));

        let sub = html("/docs/<a b>/", &[], 0);
        assert!(sub.contains("<title>Index of /docs/&lt;a b&gt;/</title>"));
        assert!(sub.contains("<h1>Index of /docs/&lt;a b&gt;/</h1>"));
        assert!(sub.contains("<tr><td><a href=\"../\">../</a></td><td></td><td></td></tr>\n"));
        // The parent row comes before every entry.
        let page = html("/x/", &[dir("a")], 0);
        assert!(page.find("href=\"../\"") < page.find("href=\"./a/\""));
        // A control character in the URL path is made visible in the title too.
        assert!(html("/a\nb/", &[], 0).contains("<title>Index of /a\u{240a}b/</title>"));
    }

    #[test]
    fn human_sizes_at_boundaries() {
        const KIB: u64 = 1024;
        const MIB: u64 = KIB * 1024;
        const GIB: u64 = MIB * 1024;
        let table = [
            (0, "0 B"),
            (1, "1 B"),
            (512, "512 B"),
            (1023, "1023 B"),
            (KIB, "1.0 KiB"),
            (1229, "1.2 KiB"),
            (1536, "1.5 KiB"),
            (10 * KIB - 1, "10.0 KiB"),
            (MIB - 52, "1023.9 KiB"),
            (MIB - 51, "1.0 MiB"),
            (MIB - 1, "1.0 MiB"),
            (MIB, "1.0 MiB"),
            (3565158, "3.4 MiB"),
            (GIB - 1, "1.0 GiB"),
            (5 * GIB, "5.0 GiB"),
            (1 << 40, "1.0 TiB"),
            (1 << 50, "1.0 PiB"),
            (1 << 60, "1.0 EiB"),
            (u64::MAX, "16.0 EiB"),
        ];
        for (bytes, want) in table {
            let mut out = String::new();
            push_size(bytes, &mut out);
            assert_eq!(out, want, "{bytes}");
        }
    }

    #[test]
    fn times_are_utc_to_the_minute() {
        let table = [
            (None, "-"),
            (Some(0), "1970-01-01 00:00 UTC"),
            (Some(59), "1970-01-01 00:00 UTC"),
            (Some(1_700_000_000), "2023-11-14 22:13 UTC"),
            (Some(951_782_400), "2000-02-29 00:00 UTC"),
            (
                Some(crate::http::date::MAX_UNIX_SECS),
                "9999-12-31 23:59 UTC",
            ),
            // Clamped rather than printing a five-digit year.
            (Some(u64::MAX), "9999-12-31 23:59 UTC"),
        ];
        for (mtime, want) in table {
            let mut out = String::new();
            push_time(mtime, &mut out);
            assert_eq!(out, want, "{mtime:?}");
        }
    }

    #[test]
    fn json_is_exact_and_valid() {
        let entries = [
            dir("d"),
            file("a b", 12, Some(1_700_000_000)),
            Entry {
                name: "x".into(),
                is_dir: true,
                size: 99,
                mtime: Some(5),
            },
        ];
        assert_eq!(
            json(&entries, 0),
            "[{\"name\":\"d\",\"type\":\"directory\",\"size\":0,\"mtime\":null},\
             {\"name\":\"a b\",\"type\":\"file\",\"size\":12,\"mtime\":1700000000},\
             {\"name\":\"x\",\"type\":\"directory\",\"size\":0,\"mtime\":5}]"
        );
        assert_eq!(json(&[], 0), "[]");

        let mut s = String::new();
        push_json_string("<b>x&y\"\\'\u{1}\n\u{1f}\u{7f}日\u{2028}", &mut s);
        assert_eq!(
            s,
            "\"\\u003cb\\u003ex\\u0026y\\\"\\\\'\\u0001\\u000a\\u001f\u{7f}日\\u2028\""
        );

        let entries: Vec<Entry> = HOSTILE
            .iter()
            .map(|(name, _, _)| file(name, 7, None))
            .collect();
        let text = json(&entries, 0);
        assert!(!text.contains(['<', '>', '&', '\n', '\u{1}']), "{text}");
        let parsed = Json::parse(&text).unwrap_or_else(|| panic!("invalid JSON: {text}"));
        let Json::Arr(items) = parsed else {
            panic!("not an array")
        };
        assert_eq!(items.len(), HOSTILE.len());
        for (item, (name, _, _)) in items.iter().zip(HOSTILE) {
            assert_eq!(
                *item,
                Json::Obj(vec![
                    ("name".into(), Json::Str((*name).into())),
                    ("type".into(), Json::Str("file".into())),
                    ("size".into(), Json::Num(7)),
                    ("mtime".into(), Json::Null),
                ])
            );
        }
    }

    /// Names of 255 bytes that cost the most once escaped: `&` is `&amp;` in the href
    /// and again in the text (10 bytes per byte), `<` is `\u003c` in JSON.
    fn worst_case_entries() -> Vec<Entry> {
        (0..MAX_ENTRIES)
            .map(|i| {
                let mut name = format!("{i:04}");
                let fill = if i % 2 == 0 { '&' } else { '<' };
                name.extend(std::iter::repeat_n(fill, 255 - name.len()));
                file(&name, u64::MAX, Some(u64::MAX))
            })
            .collect()
    }

    /// Issue 12 item 6: one listing response holds at most MAX_PAGE_BYTES however
    /// hostile the names, and says exactly how many entries it left out.
    #[test]
    fn pages_of_worst_case_names_stay_within_the_byte_bound() {
        let entries = worst_case_entries();
        for omitted in [0, 5, u64::MAX - 1] {
            let page = html("/d/", &entries, omitted);
            assert!(page.len() <= MAX_PAGE_BYTES, "{}", page.len());
            assert!(page.capacity() <= MAX_PAGE_BYTES, "{}", page.capacity());
            let shown = page.matches("<tr><td><a href=\"./").count();
            assert!(shown > 100 && shown < MAX_ENTRIES, "{shown}");
            let not_shown = omitted.saturating_add((MAX_ENTRIES - shown) as u64);
            assert!(
                page.ends_with(&format!(
                    "</tbody>\n</table>\n<p>{not_shown} more entries not shown.</p>\n\
                     </body>\n</html>\n"
                )),
                "{}",
                &page[page.len() - 200..]
            );

            let text = json(&entries, omitted);
            assert!(text.len() <= MAX_PAGE_BYTES, "{}", text.len());
            assert!(text.capacity() <= MAX_PAGE_BYTES, "{}", text.capacity());
            let Some(Json::Arr(items)) = Json::parse(&text) else {
                panic!("invalid JSON: {}", &text[text.len() - 200..])
            };
            let shown = items.len() - 1;
            assert!(shown > 100 && shown < MAX_ENTRIES, "{shown}");
            let not_shown = omitted.saturating_add((MAX_ENTRIES - shown) as u64);
            assert!(
                text.ends_with(&format!(",{{\"type\":\"omitted\",\"count\":{not_shown}}}]")),
                "{}",
                &text[text.len() - 100..]
            );
        }
    }

    /// The byte bound is not the usual limit: MAX_ENTRIES ordinary long names all fit.
    #[test]
    fn max_entries_of_plain_names_fit_whole() {
        let entries: Vec<Entry> = (0..MAX_ENTRIES)
            .map(|i| file(&format!("{i:04}{}", "n".repeat(196)), 1 << 30, Some(0)))
            .collect();
        let page = html("/d/", &entries, 0);
        assert_eq!(page.matches("<tr><td><a href=\"./").count(), MAX_ENTRIES);
        assert!(!page.contains("<p>"), "no note when all are shown");
        let text = json(&entries, 0);
        assert_eq!(text.matches("{\"name\":").count(), MAX_ENTRIES);
        assert!(!text.contains("omitted"));
    }

    #[test]
    fn the_not_shown_note_is_exact() {
        let one = html("/d/", &[file("a", 1, None)], 1);
        assert!(
            one.ends_with("</table>\n<p>1 more entry not shown.</p>\n</body>\n</html>\n"),
            "{one}"
        );
        assert!(html("/d/", &[], 2).contains("\n<p>2 more entries not shown.</p>\n"));
        assert!(!html("/d/", &[file("a", 1, None)], 0).contains("<p>"));
        assert_eq!(json(&[], 3), "[{\"type\":\"omitted\",\"count\":3}]");
        assert_eq!(
            json(&[dir("d")], 1),
            "[{\"name\":\"d\",\"type\":\"directory\",\"size\":0,\"mtime\":null},\
             {\"type\":\"omitted\",\"count\":1}]"
        );
    }

    /// Issue 12 item 14: a listing's ETag is weak, stable, and changes with anything the
    /// page shows.
    #[test]
    fn etags_follow_what_the_listing_shows() {
        let base = Listing {
            entries: vec![dir("d"), file("a", 3, Some(100)), file("b", 0, None)],
            omitted: 0,
        };
        let tag = |l: &Listing| etag("/x/", l, Format::Html);
        let ours = tag(&base);
        assert!(ours.starts_with("W/\"l-") && ours.ends_with('"'), "{ours}");
        assert_eq!(ours.len(), "W/\"l-\"".len() + 16, "{ours}");
        assert_eq!(ours, tag(&base.clone()), "stable");
        let mut changes: Vec<String> = Vec::new();
        let mut with = |f: &dyn Fn(&mut Listing)| {
            let mut l = base.clone();
            f(&mut l);
            changes.push(tag(&l));
        };
        with(&|l| l.entries.push(file("c", 0, None)));
        with(&|l| l.entries[1].name = "A".into());
        with(&|l| l.entries[1].size = 4);
        with(&|l| l.entries[1].mtime = Some(101));
        with(&|l| l.entries[1].mtime = None);
        with(&|l| l.entries[2].mtime = Some(0));
        with(&|l| l.entries[0].is_dir = false);
        with(&|l| l.omitted = 1);
        with(&|l| {
            // Same bytes, other boundaries: "d"+"a" vs "da"+"".
            l.entries[0].name = "da".into();
            l.entries[1].name = String::new();
        });
        changes.push(etag("/y/", &base, Format::Html));
        changes.push(etag("/x/", &base, Format::Json));
        for (i, other) in changes.iter().enumerate() {
            assert_ne!(*other, ours, "change {i}");
            for later in &changes[i + 1..] {
                assert_ne!(other, later, "changes {i} and another collide");
            }
        }
        // JSON does not show the URL path.
        assert_eq!(
            etag("/x/", &base, Format::Json),
            etag("/y/", &base, Format::Json)
        );
    }

    /// Just enough of a strict JSON parser (RFC 8259) to check `json`'s output.
    #[derive(Debug, PartialEq)]
    enum Json {
        Null,
        Num(u64),
        Str(String),
        Arr(Vec<Json>),
        Obj(Vec<(String, Json)>),
    }

    impl Json {
        fn parse(s: &str) -> Option<Json> {
            let mut p = Parser(s.as_bytes(), 0);
            let v = p.value()?;
            (p.1 == s.len()).then_some(v)
        }
    }

    struct Parser<'a>(&'a [u8], usize);

    impl Parser<'_> {
        fn peek(&self) -> Option<u8> {
            self.0.get(self.1).copied()
        }
        fn eat(&mut self, b: u8) -> Option<()> {
            (self.peek()? == b).then(|| self.1 += 1)
        }
        fn value(&mut self) -> Option<Json> {
            match self.peek()? {
                b'n' => {
                    self.0.get(self.1..)?.starts_with(b"null").then_some(())?;
                    self.1 += 4;
                    Some(Json::Null)
                }
                b'0'..=b'9' => {
                    let start = self.1;
                    while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                        self.1 += 1;
                    }
                    let digits = std::str::from_utf8(&self.0[start..self.1]).ok()?;
                    if digits.len() > 1 && digits.starts_with('0') {
                        return None;
                    }
                    digits.parse().ok().map(Json::Num)
                }
                b'"' => self.string().map(Json::Str),
                b'[' => {
                    self.1 += 1;
                    let mut items = Vec::new();
                    if self.eat(b']').is_some() {
                        return Some(Json::Arr(items));
                    }
                    loop {
                        items.push(self.value()?);
                        if self.eat(b']').is_some() {
                            return Some(Json::Arr(items));
                        }
                        self.eat(b',')?;
                    }
                }
                b'{' => {
                    self.1 += 1;
                    let mut members = Vec::new();
                    if self.eat(b'}').is_some() {
                        return Some(Json::Obj(members));
                    }
                    loop {
                        let key = self.string()?;
                        self.eat(b':')?;
                        members.push((key, self.value()?));
                        if self.eat(b'}').is_some() {
                            return Some(Json::Obj(members));
                        }
                        self.eat(b',')?;
                    }
                }
                _ => None,
            }
        }
        fn string(&mut self) -> Option<String> {
            self.eat(b'"')?;
            let mut out = Vec::new();
            loop {
                let b = self.peek()?;
                self.1 += 1;
                match b {
                    b'"' => return String::from_utf8(out).ok(),
                    0..=0x1f => return None,
                    b'\\' => {
                        let e = self.peek()?;
                        self.1 += 1;
                        let c = match e {
                            b'"' => '"',
                            b'\\' => '\\',
                            b'/' => '/',
                            b'n' => '\n',
                            b'u' => {
                                let hex = std::str::from_utf8(self.0.get(self.1..self.1 + 4)?);
                                self.1 += 4;
                                char::from_u32(u32::from_str_radix(hex.ok()?, 16).ok()?)?
                            }
                            _ => return None,
                        };
                        out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                    }
                    _ => out.push(b),
                }
            }
        }
    }
}
