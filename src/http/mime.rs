//! The Content-Type for a file, chosen from a small curated table by its extension alone.
//!
//! It never reads or sniffs file contents and never sets Content-Encoding: a `.gz` file is
//! served as `application/gzip`, the bytes it is, not as something for the client to unpack.

use std::path::Path;

/// What RFC 9110 §8.3 says a recipient may assume when the type is unknown; sending it
/// explicitly tells browsers to download rather than guess.
const OCTET_STREAM: &str = "application/octet-stream";

/// Extension (lowercase, no dot) → Content-Type. Text types carry `charset=utf-8`, the
/// registered label (never `utf8`); types whose registrations define no charset parameter
/// (JSON, RFC 8259 §11; YAML, RFC 9512) or whose documents declare their own encoding (XML,
/// RFC 7303 §3.2) get none.
static TYPES: &[(&str, &str)] = &[
    // Web pages and their parts.
    ("html", "text/html; charset=utf-8"),
    ("htm", "text/html; charset=utf-8"),
    ("xhtml", "application/xhtml+xml"),
    ("css", "text/css; charset=utf-8"),
    // RFC 9239 §6: text/javascript is the one type for both classic scripts and modules.
    ("js", "text/javascript; charset=utf-8"),
    ("mjs", "text/javascript; charset=utf-8"),
    ("cjs", "text/javascript; charset=utf-8"),
    ("json", "application/json"),
    ("jsonld", "application/ld+json"),
    ("geojson", "application/geo+json"),
    // Browsers refuse a <track> whose captions are not text/vtt.
    ("vtt", "text/vtt; charset=utf-8"),
    ("m3u8", "application/vnd.apple.mpegurl"),
    ("glb", "model/gltf-binary"),
    ("gltf", "model/gltf+json"),
    // Source maps are JSON (ECMA-426).
    ("map", "application/json"),
    ("webmanifest", "application/manifest+json"),
    ("wasm", "application/wasm"),
    // Data and feeds.
    ("xml", "application/xml"),
    ("rss", "application/rss+xml"),
    ("atom", "application/atom+xml"),
    ("csv", "text/csv; charset=utf-8"),
    // RFC 9512 registers application/yaml and lists text/yaml as a deprecated alias, so we
    // send the registered name even though some browsers download it instead of showing it.
    ("yaml", "application/yaml"),
    ("yml", "application/yaml"),
    // Plain text, documentation, configuration and source code. Markdown could be
    // text/markdown (RFC 7763), and TOML application/toml, but browsers download those;
    // developers serving a source tree want to read these files in the browser.
    ("txt", "text/plain; charset=utf-8"),
    ("md", "text/plain; charset=utf-8"),
    ("toml", "text/plain; charset=utf-8"),
    ("ini", "text/plain; charset=utf-8"),
    ("conf", "text/plain; charset=utf-8"),
    ("log", "text/plain; charset=utf-8"),
    ("diff", "text/plain; charset=utf-8"),
    ("patch", "text/plain; charset=utf-8"),
    ("rs", "text/plain; charset=utf-8"),
    ("c", "text/plain; charset=utf-8"),
    ("h", "text/plain; charset=utf-8"),
    ("cpp", "text/plain; charset=utf-8"),
    ("go", "text/plain; charset=utf-8"),
    ("py", "text/plain; charset=utf-8"),
    ("sh", "text/plain; charset=utf-8"),
    // `.ts` is deliberately absent: it is TypeScript or an MPEG transport stream, and a
    // wrong guess either way is worse than a download.
    // Images.
    ("svg", "image/svg+xml"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("avif", "image/avif"),
    // image/vnd.microsoft.icon is the registered name, but image/x-icon is what browsers
    // and favicon tooling expect.
    ("ico", "image/x-icon"),
    ("bmp", "image/bmp"),
    // Fonts (RFC 8081).
    ("woff", "font/woff"),
    ("woff2", "font/woff2"),
    ("ttf", "font/ttf"),
    ("otf", "font/otf"),
    // Audio and video. Ogg Opus files use audio/ogg (RFC 7845 §9); audio/opus names the
    // RTP payload, not the file.
    ("mp3", "audio/mpeg"),
    ("wav", "audio/wav"),
    ("flac", "audio/flac"),
    ("ogg", "audio/ogg"),
    ("oga", "audio/ogg"),
    ("opus", "audio/ogg"),
    ("m4a", "audio/mp4"),
    ("mp4", "video/mp4"),
    ("webm", "video/webm"),
    ("ogv", "video/ogg"),
    ("mov", "video/quicktime"),
    // Documents and archives.
    ("pdf", "application/pdf"),
    ("zip", "application/zip"),
    // RFC 6713 §3.
    ("gz", "application/gzip"),
    ("tar", "application/x-tar"),
];

/// The Content-Type for a file name or path, chosen by its extension (ASCII case-insensitive),
/// application/octet-stream when unknown or absent.
///
/// Only the last extension counts (`archive.tar.gz` is gzip), and names with no extension
/// after their first character (`Makefile`, `.bashrc`) or an empty one (`a.`) are unknown.
pub fn content_type(path: &Path) -> &'static str {
    // Path::extension already yields None for `.bashrc` and `..`, and Some("") for `a.`.
    let Some(ext) = path.extension() else {
        return OCTET_STREAM;
    };
    // Compare raw bytes so a non-UTF-8 name still matches; every table key is ASCII, which
    // the platform encoding (bytes on Unix, WTF-8 on Windows) represents as itself.
    let ext = ext.as_encoded_bytes();
    TYPES
        .iter()
        .find(|(known, _)| known.as_bytes().eq_ignore_ascii_case(ext))
        .map_or(OCTET_STREAM, |&(_, ty)| ty)
}

/// Whether a type may have a precompressed sidecar worth looking for: anything but
/// formats that are compressed already (most images, audio, video, archives, woff
/// fonts). Skipping those saves two failed lookups per request; unknown types
/// (`application/octet-stream`, e.g. a game's `.data`) are looked up.
pub fn compressible(content_type: &str) -> bool {
    let compressed_images = content_type.starts_with("image/")
        && !matches!(content_type, "image/svg+xml" | "image/x-icon" | "image/bmp");
    !(compressed_images
        || content_type.starts_with("audio/")
        || content_type.starts_with("video/")
        || matches!(
            content_type,
            "application/gzip" | "application/zip" | "font/woff" | "font/woff2" | "application/pdf"
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compressible_types() {
        for name in [
            "a.html", "a.css", "a.js", "a.mjs", "a.json", "a.svg", "a.wasm", "a.txt", "a.xml",
            "a.ico",
        ] {
            assert!(compressible(content_type(Path::new(name))), "{name}");
        }
        for name in ["a.bin", "a.data", "a.yaml", "a.tar"] {
            assert!(compressible(content_type(Path::new(name))), "{name}");
        }
        for name in [
            "a.png", "a.jpg", "a.gz", "a.zip", "a.mp4", "a.woff2", "a.mp3",
        ] {
            assert!(!compressible(content_type(Path::new(name))), "{name}");
        }
    }

    use std::collections::HashSet;

    const HTML: &str = "text/html; charset=utf-8";
    const JS: &str = "text/javascript; charset=utf-8";
    const PLAIN: &str = "text/plain; charset=utf-8";

    #[test]
    fn names_to_types() {
        let cases = [
            ("index.html", HTML),
            ("index.htm", HTML),
            ("INDEX.HTML", HTML),
            ("Index.HtMl", HTML),
            ("page.xhtml", "application/xhtml+xml"),
            ("style.css", "text/css; charset=utf-8"),
            ("app.js", JS),
            ("a.Js", JS),
            ("mod.mjs", JS),
            ("data.json", "application/json"),
            ("app.js.map", "application/json"),
            ("site.webmanifest", "application/manifest+json"),
            ("feed.xml", "application/xml"),
            ("feed.rss", "application/rss+xml"),
            ("feed.atom", "application/atom+xml"),
            ("notes.txt", PLAIN),
            ("README.md", PLAIN),
            ("table.csv", "text/csv; charset=utf-8"),
            ("ci.yaml", "application/yaml"),
            ("ci.YML", "application/yaml"),
            ("Cargo.toml", PLAIN),
            ("main.rs", PLAIN),
            ("x.c", PLAIN),
            ("x.h", PLAIN),
            ("x.py", PLAIN),
            ("run.sh", PLAIN),
            ("server.log", PLAIN),
            ("php.ini", PLAIN),
            ("nginx.conf", PLAIN),
            ("logo.svg", "image/svg+xml"),
            ("logo.png", "image/png"),
            ("photo.jpg", "image/jpeg"),
            ("photo.JPEG", "image/jpeg"),
            ("anim.gif", "image/gif"),
            ("pic.webp", "image/webp"),
            ("pic.avif", "image/avif"),
            ("favicon.ico", "image/x-icon"),
            ("old.bmp", "image/bmp"),
            ("app.wasm", "application/wasm"),
            ("f.woff", "font/woff"),
            ("f.woff2", "font/woff2"),
            ("f.ttf", "font/ttf"),
            ("f.otf", "font/otf"),
            ("clip.mp4", "video/mp4"),
            ("clip.webm", "video/webm"),
            ("clip.ogv", "video/ogg"),
            ("song.ogg", "audio/ogg"),
            ("song.opus", "audio/ogg"),
            ("song.mp3", "audio/mpeg"),
            ("song.wav", "audio/wav"),
            ("song.flac", "audio/flac"),
            ("song.m4a", "audio/mp4"),
            ("paper.pdf", "application/pdf"),
            ("bundle.zip", "application/zip"),
            ("archive.tar.gz", "application/gzip"),
            ("archive.tar", "application/x-tar"),
            ("archive.TAR.GZ", "application/gzip"),
            ("my.page.v2.html", HTML),
            ("index.html.bak", OCTET_STREAM),
            ("Makefile", OCTET_STREAM),
            ("LICENSE", OCTET_STREAM),
            (".bashrc", OCTET_STREAM),
            (".html", OCTET_STREAM),
            (".config.json", "application/json"),
            ("a.", OCTET_STREAM),
            ("a..", OCTET_STREAM),
            ("...", OCTET_STREAM),
            ("", OCTET_STREAM),
            ("/", OCTET_STREAM),
            ("..", OCTET_STREAM),
            ("video.ts", OCTET_STREAM),
            ("x.unknownext", OCTET_STREAM),
            ("x.htmlx", OCTET_STREAM),
            ("x.htm l", OCTET_STREAM),
            ("x.ht", OCTET_STREAM),
            ("caf\u{e9}.html", HTML),
            ("x.\u{e9}", OCTET_STREAM),
            // Case folding is ASCII-only: Kelvin sign K (U+212A) is not `k`.
            ("x.htm\u{212a}", OCTET_STREAM),
            ("site/assets.v1/app.css", "text/css; charset=utf-8"),
            ("site.d/Makefile", OCTET_STREAM),
            ("/srv/www/index.html", HTML),
            ("./docs/", OCTET_STREAM),
            ("./docs/guide.md/", PLAIN),
        ];
        for (name, want) in cases {
            assert_eq!(content_type(Path::new(name)), want, "{name:?}");
        }
    }

    // Names of arbitrary bytes: Unix only (Windows names are UTF-16).
    #[cfg(unix)]
    #[test]
    fn non_utf8_names() {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        let name = OsStr::from_bytes(b"\xff\xfe.HTML");
        assert_eq!(content_type(Path::new(name)), HTML);
        let ext = OsStr::from_bytes(b"x.ht\xffml");
        assert_eq!(content_type(Path::new(ext)), OCTET_STREAM);
        let dir = OsStr::from_bytes(b"\xff.d/page.css");
        assert_eq!(content_type(Path::new(dir)), "text/css; charset=utf-8");
    }

    #[test]
    fn table_is_well_formed() {
        let mut seen = HashSet::new();
        for &(ext, ty) in TYPES {
            assert!(!ext.is_empty(), "empty extension for {ty}");
            assert!(
                ext.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
                "extension {ext:?} must be lowercase ASCII alphanumerics"
            );
            assert!(seen.insert(ext), "extension {ext:?} appears twice");
            // A bare `type/subtype` of lowercase token characters, before any parameter.
            let essence = ty.split(';').next().unwrap_or(ty);
            assert_eq!(essence.matches('/').count(), 1, "{ty}");
            assert!(
                essence
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"/+.-".contains(&b)),
                "{ty}"
            );
            // Every type with a charset uses exactly the label `utf-8`, once, at the end.
            let charsets = ty.matches("charset").count();
            if charsets > 0 {
                assert_eq!(charsets, 1, "{ty}");
                assert!(ty.ends_with("; charset=utf-8"), "{ty}");
            }
            // All text/* types and JavaScript are text a browser decodes, so they must name
            // their charset; JSON (RFC 8259 §11) defines no charset parameter.
            if ty.starts_with("text/") || ty.contains("javascript") {
                assert!(ty.ends_with("; charset=utf-8"), "{ty}");
            }
            if ty.contains("json") {
                assert_eq!(charsets, 0, "{ty}");
            }
        }
        assert!(TYPES.len() >= 50 && TYPES.len() <= 80, "{}", TYPES.len());
    }
}
