//! Weighted lists (RFC 9110 §12.4.2): which precompressed coding `Accept-Encoding` allows
//! best, and how much `Accept` wants a media type (for listings' HTML or JSON).
//!
//! Pure. It only answers for the codings servedir can serve from a sidecar file (`br`,
//! `gzip`); it never compresses anything (std has no codec).

use crate::http::request::trim_ows;

/// A precompressed variant servedir looks for beside a file, in order of preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    /// Brotli, `FILE.br`.
    Brotli,
    /// gzip, `FILE.gz`.
    Gzip,
}

impl Coding {
    /// Every coding, best first: brotli is smaller, so it is preferred when both are allowed.
    pub const PREFERENCE: [Coding; 2] = [Coding::Brotli, Coding::Gzip];

    /// The token used in `Accept-Encoding` and `Content-Encoding`.
    pub fn token(self) -> &'static str {
        match self {
            Coding::Brotli => "br",
            Coding::Gzip => "gzip",
        }
    }

    /// The suffix of the sidecar file, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Coding::Brotli => "br",
            Coding::Gzip => "gz",
        }
    }
}

/// The q-value, in thousandths, `accept_encoding` gives `coding` (RFC 9110 §12.5.3): its
/// own element's, else that of `*`, else 0; a coding is allowed when this is above 0.
/// `x-gzip` counts as `gzip`. Without the field servedir sends no coding: the RFC would
/// allow any, but a client that did not ask (curl without `--compressed`) would then
/// save compressed bytes.
pub fn quality(accept_encoding: &str, coding: Coding) -> u16 {
    let mut star = None;
    for (name, q) in weighted(accept_encoding) {
        let named = name.eq_ignore_ascii_case(coding.token())
            || (coding == Coding::Gzip && name.eq_ignore_ascii_case("x-gzip"));
        if named {
            return q;
        }
        if name == "*" {
            star = Some(q);
        }
    }
    star.unwrap_or(0)
}

/// The codings `accept_encoding` allows, the client's favourite first; equal q-values
/// keep [`Coding::PREFERENCE`] (brotli, then gzip).
pub fn ranked(accept_encoding: &str) -> impl Iterator<Item = Coding> {
    let mut allowed = Coding::PREFERENCE.map(|c| (quality(accept_encoding, c), c));
    // Stable: ties stay in preference order. (A slice this short is sorted in place.)
    allowed.sort_by_key(|&(q, _)| std::cmp::Reverse(q));
    allowed.into_iter().filter(|&(q, _)| q > 0).map(|(_, c)| c)
}

/// The q-value (in thousandths) a `#( token [; q=…] )` list such as `Accept` gives to
/// exactly `name` (ASCII case-insensitive), 0 when it is not listed or the q is malformed.
pub(crate) fn q_of(list: &str, name: &str) -> u16 {
    weighted(list)
        .filter(|(item, _)| item.eq_ignore_ascii_case(name))
        .map(|(_, q)| q)
        .max()
        .unwrap_or(0)
}

/// The elements of a `#( token [; q=…] )` list with their q-values in thousandths (1000
/// when none is given). An element with a malformed q-value is skipped: it means
/// nothing, rather than "yes". The one parser of weighted lists (`Accept`,
/// `Accept-Encoding`).
fn weighted(list: &str) -> impl Iterator<Item = (&str, u16)> {
    list.split(',').filter_map(|element| {
        let mut params = element.split(';');
        let name = trim_ows(params.next().unwrap_or(""));
        if name.is_empty() {
            return None;
        }
        let q = params
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| trim_ows(k).eq_ignore_ascii_case("q"))
            .map_or(Some(1000), |(_, v)| qvalue(trim_ows(v)))?;
        Some((name, q))
    })
}

/// A qvalue (RFC 9110 §12.4.2) in thousandths: `1`, `1.000`, `0`, `0.5`, `0.001`.
pub(crate) fn qvalue(v: &str) -> Option<u16> {
    let (whole, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac_value: u16 = format!("{frac:0<3}").parse().ok()?;
    match whole {
        "0" => Some(frac_value),
        "1" if frac_value == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Coding::*;

    #[test]
    fn table() {
        let table: &[(&str, bool, bool)] = &[
            // (Accept-Encoding, br allowed, gzip allowed)
            ("", false, false),
            ("gzip", false, true),
            ("br", true, false),
            ("gzip, deflate, br", true, true),
            ("gzip, deflate, br, zstd", true, true),
            ("GZIP;Q=1", false, true),
            ("gzip;q=0", false, false),
            ("gzip;q=0.000", false, false),
            ("gzip;q=0.001", false, true),
            ("br;q=0, gzip;q=0.5", false, true),
            ("*", true, true),
            ("*;q=0", false, false),
            ("*, gzip;q=0", true, false),
            ("gzip;q=0, *", true, false),
            ("identity", false, false),
            ("x-gzip", false, true),
            ("gzip;q=2", false, false),
            ("gzip;q=1.5", false, false),
            ("gzip;q=abc", false, false),
            ("gzip;q=0.0001", false, false),
            (" , ,br , ", true, false),
            ("gzip ; q=0.8 ; level=1", false, true),
            ("brotli", false, false),
            // Only SP and HTAB are OWS (RFC 9110 §5.6.3); `str::trim` took U+00A0 too.
            ("\tgzip\t;\tq=1\t", false, true),
            ("gzip\u{a0}", false, false),
            ("br;q=\u{a0}1", false, false),
        ];
        for (header, br, gzip) in table {
            assert_eq!(quality(header, Brotli) > 0, *br, "br in {header:?}");
            assert_eq!(quality(header, Gzip) > 0, *gzip, "gzip in {header:?}");
        }
    }

    #[test]
    fn ranked_follows_the_clients_q_values_then_brotli() {
        let table: &[(&str, &[Coding])] = &[
            ("", &[]),
            ("gzip, br", &[Brotli, Gzip]),
            ("br;q=0.5, gzip", &[Gzip, Brotli]),
            ("gzip;q=0.9, br;q=0.9", &[Brotli, Gzip]),
            ("gzip;q=0.8, *;q=0.9", &[Brotli, Gzip]),
            ("*;q=0.5, gzip", &[Gzip, Brotli]),
            ("br;q=0, gzip;q=0.1", &[Gzip]),
            ("identity", &[]),
        ];
        for (header, want) in table {
            assert_eq!(ranked(header).collect::<Vec<_>>(), *want, "{header:?}");
        }
        assert_eq!(quality("gzip;q=0.25", Gzip), 250);
        assert_eq!(quality("*;q=0.3", Brotli), 300);
    }

    #[test]
    fn q_of_an_exact_item() {
        assert_eq!(
            q_of("text/html, application/json;q=0.5", "application/json"),
            500
        );
        assert_eq!(q_of("application/json", "APPLICATION/JSON"), 1000);
        assert_eq!(q_of("application/json;q=0", "application/json"), 0);
        assert_eq!(q_of("*/*", "application/json"), 0);
        assert_eq!(q_of("application/json;q=x", "application/json"), 0);
    }

    #[test]
    fn tokens_and_extensions() {
        assert_eq!(Coding::PREFERENCE, [Brotli, Gzip]);
        assert_eq!((Brotli.token(), Brotli.extension()), ("br", "br"));
        assert_eq!((Gzip.token(), Gzip.extension()), ("gzip", "gz"));
    }
}
