//! Range requests (RFC 9110 §14): reads a `Range` field value and decides between 200, 206
//! with a set of byte ranges, and 416.
//!
//! Pure: it never touches the file, writes no `Content-Range` or multipart body, and leaves
//! `If-Range` (RFC 9110 §13.1.5) to `conditional.rs`.

use crate::http::request::trim_ows;

/// Most range-specs accepted in one Range header; more and the whole file is sent (200).
pub const MAX_RANGES: usize = 16;

/// Ranges separated by at most this many unrequested bytes are merged into one.
///
/// A multipart/byteranges part header (boundary, `Content-Type`, `Content-Range`) costs
/// about this much, so sending the gap costs no more than another part would, and many
/// tiny nearby ranges cannot multiply the response size (RFC 9110 §14.3, the Apache
/// "Range header DoS", CVE-2011-3192).
const COALESCE_GAP: u64 = 80;

/// An inclusive byte range `first..=last` inside a representation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// Offset of the first byte sent.
    pub first: u64,
    /// Offset of the last byte sent (inclusive, as in `Content-Range`).
    pub last: u64,
}

impl ByteRange {
    /// Number of bytes in the range, `last - first + 1`.
    ///
    /// Saturates instead of overflowing for `0..=u64::MAX`, and is 1 for a malformed range
    /// with `last < first` (which [`decide`] never returns).
    pub fn len(&self) -> u64 {
        self.last.saturating_sub(self.first).saturating_add(1)
    }
}

/// How to answer a request that carries a `Range` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeDecision {
    /// Ignore the header: send 200 with the whole representation.
    Full,
    /// Send 206 with these ranges: at least one, sorted, non-overlapping, coalesced, each within 0..len.
    Partial(Vec<ByteRange>),
    /// Valid syntax but no range overlaps the representation: 416 with `Content-Range: bytes */len`.
    Unsatisfiable,
}

/// One range-spec as written, before it is compared with the representation's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spec {
    /// `int-range`: `first-last`, or `first-` when `last` is None (RFC 9110 §14.1.2).
    Int { first: u64, last: Option<u64> },
    /// `suffix-range`: `-n`, the final `n` bytes.
    Suffix(u64),
}

/// Decides how to answer `Range: <header>` for a representation of `len` bytes.
///
/// An invalid header, a unit other than `bytes`, or more than [`MAX_RANGES`] range-specs
/// give [`RangeDecision::Full`]; valid specs none of which overlap `0..len` give
/// [`RangeDecision::Unsatisfiable`]; otherwise the satisfiable ranges, clamped to the
/// representation, sorted and coalesced, give [`RangeDecision::Partial`].
pub fn decide(header: &str, len: u64) -> RangeDecision {
    // RFC 9110 §14.2: a server MAY ignore the Range header, and an invalid one (or one
    // with an unknown unit) is simply not a request for ranges; 200 is always correct.
    let Some(specs) = parse(header) else {
        return RangeDecision::Full;
    };
    // RFC 9110 §14.1.1: unsatisfiable specs among satisfiable ones are dropped; only when
    // none is left is the whole set unsatisfiable (416, §15.5.17).
    let ranges: Vec<ByteRange> = specs
        .into_iter()
        .filter_map(|spec| satisfy(spec, len))
        .collect();
    if ranges.is_empty() {
        RangeDecision::Unsatisfiable
    } else {
        RangeDecision::Partial(coalesce(ranges))
    }
}

/// Parses `ranges-specifier = range-unit "=" range-set` (RFC 9110 §14.1.2).
///
/// None for any syntax error, an unknown unit, no range-spec at all, or more than
/// [`MAX_RANGES`] of them (counted before the rest is even looked at).
fn parse(header: &str) -> Option<Vec<Spec>> {
    // The field value proper excludes surrounding whitespace (RFC 9110 §5.5).
    let header = trim_ows(header);
    let (unit, set) = header.split_once('=')?;
    // Range units are case-insensitive (RFC 9110 §14.1). The grammar has no whitespace
    // before "=", so `bytes =` leaves a unit of `bytes ` and is rejected here.
    if !unit.eq_ignore_ascii_case("bytes") {
        return None;
    }
    let mut specs = Vec::new();
    // `range-set = 1#range-spec`: a list, so OWS around elements and empty elements
    // (`a,,b`, leading or trailing commas) are tolerated (RFC 9110 §5.6.1). A range-spec
    // never contains a comma, so splitting on it is exact.
    for element in set.split(',').map(trim_ows) {
        if element.is_empty() {
            continue;
        }
        if specs.len() == MAX_RANGES {
            return None;
        }
        specs.push(parse_spec(element)?);
    }
    // `1#`: at least one real element.
    (!specs.is_empty()).then_some(specs)
}

/// Parses one `range-spec = int-range / suffix-range` (RFC 9110 §14.1.2).
fn parse_spec(s: &str) -> Option<Spec> {
    let (first, last) = s.split_once('-')?;
    if first.is_empty() {
        // `suffix-range = "-" suffix-length`; a lone `-` has no length and is invalid.
        return Some(Spec::Suffix(parse_digits(last)?));
    }
    let first_value = parse_digits(first)?;
    if last.is_empty() {
        return Some(Spec::Int {
            first: first_value,
            last: None,
        });
    }
    let last_value = parse_digits(last)?;
    // RFC 9110 §14.1.1: an int-range with last < first is invalid. Compare the digit
    // strings, not the saturated values, so `2e25-1e25` is caught even though both
    // saturate to u64::MAX.
    if digits_less(last, first) {
        return None;
    }
    Some(Spec::Int {
        first: first_value,
        last: Some(last_value),
    })
}

/// `1*DIGIT` as a u64, saturating at u64::MAX (a value no representation reaches, so it
/// means "to the end" for a last-pos and "past the end" for a first-pos). No sign, no
/// whitespace, no hex, no non-ASCII digits.
fn parse_digits(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.bytes().try_fold(0u64, |acc, b| {
        b.is_ascii_digit()
            .then(|| acc.saturating_mul(10).saturating_add(u64::from(b - b'0')))
    })
}

/// Whether the decimal string `a` is numerically less than `b`; both are all ASCII digits.
fn digits_less(a: &str, b: &str) -> bool {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    // Without leading zeros, a shorter number is smaller; equal lengths compare by digit.
    (a.len(), a.as_bytes()) < (b.len(), b.as_bytes())
}

/// Clamps a spec to a representation of `len` bytes, or None if it is unsatisfiable
/// (RFC 9110 §14.1.1: an int-range needs first-pos < len, a suffix-range a non-zero
/// suffix-length and a non-empty representation).
fn satisfy(spec: Spec, len: u64) -> Option<ByteRange> {
    // An empty representation has no byte for any range to select.
    let end = len.checked_sub(1)?;
    match spec {
        Spec::Int { first, last } => (first <= end).then(|| ByteRange {
            first,
            // A last-pos beyond the end (or absent) means through the last byte (§14.1.2).
            last: last.map_or(end, |last| last.min(end)),
        }),
        // A suffix longer than the representation selects all of it (§14.1.2).
        Spec::Suffix(n) => (n > 0).then(|| ByteRange {
            first: len.saturating_sub(n),
            last: end,
        }),
    }
}

/// Sorts the ranges and merges any that overlap, touch, or are within [`COALESCE_GAP`]
/// bytes of each other, so the result never sends a byte twice (RFC 9110 §14.3).
fn coalesce(mut ranges: Vec<ByteRange>) -> Vec<ByteRange> {
    // RFC 9110 §14.2 lets a server send ranges in a different order than requested; in
    // offset order the file is also read forwards only.
    ranges.sort_unstable_by_key(|r| r.first);
    let mut out: Vec<ByteRange> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            // The gap is `r.first - prev.last - 1` bytes; merge when it is <= COALESCE_GAP.
            Some(prev) if r.first <= prev.last.saturating_add(COALESCE_GAP + 1) => {
                prev.last = prev.last.max(r.last);
            }
            _ => out.push(r),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::XorShift;
    use RangeDecision::{Full, Partial, Unsatisfiable};

    fn p(ranges: &[(u64, u64)]) -> RangeDecision {
        Partial(
            ranges
                .iter()
                .map(|&(first, last)| ByteRange { first, last })
                .collect(),
        )
    }

    const HUGE: &str = "99999999999999999999999";

    #[test]
    fn table() {
        let huge_last = format!("bytes=0-{HUGE}");
        let huge_first = format!("bytes={HUGE}-");
        let huge_suffix = format!("bytes=-{HUGE}");
        let huge_both = format!("bytes={HUGE}-{HUGE}");
        let huge_first_small_last = format!("bytes={HUGE}-5");
        let huge_reversed = format!("bytes={HUGE}9-{HUGE}");
        let table: &[(&str, u64, RangeDecision)] = &[
            // Valid forms.
            ("bytes=0-99", 1000, p(&[(0, 99)])),
            ("bytes=100-", 1000, p(&[(100, 999)])),
            ("bytes=-100", 1000, p(&[(900, 999)])),
            ("BYTES=0-0", 1000, p(&[(0, 0)])),
            ("Bytes=0-0", 1000, p(&[(0, 0)])),
            ("bytes=999-999", 1000, p(&[(999, 999)])),
            ("bytes=0-1,500-501", 1000, p(&[(0, 1), (500, 501)])),
            ("bytes= 0-1 , 500-501", 1000, p(&[(0, 1), (500, 501)])),
            ("bytes=0-1\t,\t500-501", 1000, p(&[(0, 1), (500, 501)])),
            (" bytes=0-1 ", 1000, p(&[(0, 1)])),
            ("bytes=0-1,,500-501", 1000, p(&[(0, 1), (500, 501)])),
            ("bytes=,0-1,", 1000, p(&[(0, 1)])),
            ("bytes=, ,0-1, ,", 1000, p(&[(0, 1)])),
            ("bytes=007-010", 1000, p(&[(7, 10)])),
            // Clamped to the representation.
            ("bytes=-2000", 1000, p(&[(0, 999)])),
            ("bytes=-1000", 1000, p(&[(0, 999)])),
            ("bytes=900-5000", 1000, p(&[(900, 999)])),
            ("bytes=0-", 1, p(&[(0, 0)])),
            ("bytes=-1", 1, p(&[(0, 0)])),
            // Unsatisfiable.
            ("bytes=1000-", 1000, Unsatisfiable),
            ("bytes=1000-1000", 1000, Unsatisfiable),
            ("bytes=5000-6000", 1000, Unsatisfiable),
            ("bytes=-0", 1000, Unsatisfiable),
            ("bytes=-000", 1000, Unsatisfiable),
            ("bytes=-0,1000-", 1000, Unsatisfiable),
            // Unsatisfiable specs among satisfiable ones are dropped.
            ("bytes=-0,0-1", 1000, p(&[(0, 1)])),
            ("bytes=2000-,0-1", 1000, p(&[(0, 1)])),
            // Empty representation: nothing is satisfiable.
            ("bytes=0-", 0, Unsatisfiable),
            ("bytes=0-0", 0, Unsatisfiable),
            ("bytes=-1", 0, Unsatisfiable),
            ("bytes=-0", 0, Unsatisfiable),
            // Overflowing numbers saturate instead of panicking or being rejected.
            (&huge_last, 1000, p(&[(0, 999)])),
            (&huge_first, 1000, Unsatisfiable),
            (&huge_suffix, 1000, p(&[(0, 999)])),
            (&huge_both, 1000, Unsatisfiable),
            (&huge_last, u64::MAX, p(&[(0, u64::MAX - 1)])),
            (&huge_suffix, u64::MAX, p(&[(0, u64::MAX - 1)])),
            ("bytes=18446744073709551615-", u64::MAX, Unsatisfiable),
            (
                "bytes=18446744073709551614-",
                u64::MAX,
                p(&[(u64::MAX - 1, u64::MAX - 1)]),
            ),
            // last < first is invalid even when both saturate.
            (&huge_first_small_last, 1000, Full),
            (&huge_reversed, 1000, Full),
            // Invalid: the header is ignored.
            ("", 1000, Full),
            ("bytes", 1000, Full),
            ("bytes=", 1000, Full),
            ("bytes=,", 1000, Full),
            ("bytes= , ", 1000, Full),
            ("bytes=-", 1000, Full),
            ("bytes=--1", 1000, Full),
            ("bytes=a-b", 1000, Full),
            ("bytes=5-1", 1000, Full),
            ("bytes=0-1,5-1", 1000, Full),
            ("bytes=1-2-3", 1000, Full),
            ("bytes=1", 1000, Full),
            ("bytes=0-1;2-3", 1000, Full),
            ("bytes=0-1 2-3", 1000, Full),
            ("items=0-1", 1000, Full),
            ("none", 1000, Full),
            ("bytes 0-1", 1000, Full),
            ("bytes =0-1", 1000, Full),
            ("bytes\t=0-1", 1000, Full),
            ("bytes=0 -1", 1000, Full),
            ("bytes=0- 1", 1000, Full),
            ("bytes=1 0-20", 1000, Full),
            ("bytes=+1-2", 1000, Full),
            ("bytes=1-+2", 1000, Full),
            ("bytes=-+2", 1000, Full),
            ("bytes=-1-2", 1000, Full),
            ("bytes=0x1-2", 1000, Full),
            ("bytes=1.0-2", 1000, Full),
            ("bytes=0-1=2", 1000, Full),
            ("bytes==0-1", 1000, Full),
            ("bytes=\u{0661}-2", 1000, Full),
            ("bytes=0-\u{ff11}", 1000, Full),
            ("bytés=0-1", 1000, Full),
            ("bytes=0-1\u{e9}", 1000, Full),
            ("bytes=\0-1", 1000, Full),
            ("bytes=0-1\r\n", 1000, Full),
        ];
        for (header, len, want) in table {
            assert_eq!(decide(header, *len), *want, "{header:?} len {len}");
        }
    }

    #[test]
    fn coalescing_and_sorting() {
        let table: &[(&str, RangeDecision)] = &[
            // Overlapping.
            ("bytes=0-10,5-20", p(&[(0, 20)])),
            ("bytes=5-20,0-10", p(&[(0, 20)])),
            ("bytes=0-100,10-20", p(&[(0, 100)])),
            ("bytes=0-,-10", p(&[(0, 999)])),
            ("bytes=0-0,0-0,0-0", p(&[(0, 0)])),
            // Adjacent.
            ("bytes=0-9,10-19", p(&[(0, 19)])),
            // A gap of exactly 80 bytes (20..=99) is merged; 81 bytes (20..=100) is not.
            ("bytes=0-19,100-110", p(&[(0, 110)])),
            ("bytes=0-19,101-110", p(&[(0, 19), (101, 110)])),
            // Out of order: sorted by offset.
            (
                "bytes=900-909,0-9,500-509",
                p(&[(0, 9), (500, 509), (900, 909)]),
            ),
            ("bytes=-10,0-9", p(&[(0, 9), (990, 999)])),
            // Chains of merges.
            ("bytes=0-9,200-209,50-60,140-160", p(&[(0, 209)])),
        ];
        for (header, want) in table {
            assert_eq!(decide(header, 1000), *want, "{header:?}");
        }
    }

    #[test]
    fn too_many_ranges_means_full() {
        let specs = |n: u64| {
            let list: Vec<String> = (0..n).map(|i| format!("{}-{}", i * 200, i * 200)).collect();
            format!("bytes={}", list.join(","))
        };
        let sixteen = decide(&specs(16), 10_000);
        let RangeDecision::Partial(ranges) = sixteen else {
            panic!("16 ranges refused: {sixteen:?}");
        };
        assert_eq!(ranges.len(), 16);
        assert_eq!(decide(&specs(17), 10_000), Full);
        // Empty elements do not count towards the limit.
        let padded = format!("{},,,,,,,,,,", specs(16));
        assert!(matches!(decide(&padded, 10_000), Partial(_)));
        // 16 overlapping ranges collapse into one.
        let overlapping = format!("bytes={}", vec!["0-"; 16].join(","));
        assert_eq!(decide(&overlapping, 10_000), p(&[(0, 9_999)]));
        // A huge list is refused early, without parsing the rest.
        let huge = format!("bytes={}", vec!["0-0"; 100_000].join(","));
        assert_eq!(decide(&huge, 10), Full);
        // Unsatisfiable specs still count.
        let mostly_unsatisfiable = format!("bytes=0-0,{}", vec!["-0"; 16].join(","));
        assert_eq!(decide(&mostly_unsatisfiable, 10), Full);
    }

    #[test]
    fn byte_range_len() {
        assert_eq!(ByteRange { first: 0, last: 0 }.len(), 1);
        assert_eq!(ByteRange { first: 5, last: 9 }.len(), 5);
        assert_eq!(
            ByteRange {
                first: 0,
                last: u64::MAX
            }
            .len(),
            u64::MAX
        );
        assert_eq!(ByteRange { first: 9, last: 5 }.len(), 1);
    }

    #[test]
    fn digits_compare_exactly() {
        assert!(digits_less("1", "2"));
        assert!(digits_less("9", "10"));
        assert!(digits_less("0009", "10"));
        assert!(!digits_less("10", "010"));
        assert!(!digits_less("0", "0"));
        assert!(digits_less(HUGE, "1000000000000000000000000"));
        assert_eq!(parse_digits("18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_digits("18446744073709551616"), Some(u64::MAX));
        assert_eq!(parse_digits("18446744073709551614"), Some(u64::MAX - 1));
        assert_eq!(parse_digits(""), None);
    }

    /// Checks the promises of [`RangeDecision::Partial`] for a representation of `len`.
    fn check_partial(header: &str, len: u64, ranges: &[ByteRange]) {
        assert!(!ranges.is_empty(), "{header:?}");
        assert!(ranges.len() <= MAX_RANGES, "{header:?}");
        let mut total: u128 = 0;
        for r in ranges {
            assert!(
                r.first <= r.last && r.last < len,
                "{header:?} len {len}: {r:?}"
            );
            total += u128::from(r.len());
        }
        for pair in ranges.windows(2) {
            let gap = pair[1].first.checked_sub(pair[0].last);
            assert!(
                gap.is_some_and(|g| g > COALESCE_GAP + 1),
                "{header:?} len {len}: {ranges:?}"
            );
        }
        assert!(total <= u128::from(len), "{header:?} len {len}: {ranges:?}");
    }

    /// Property: any header built from plausible and hostile fragments never panics, and a
    /// Partial answer is always within the representation, sorted, non-overlapping, coalesced,
    /// and no larger in total than the representation.
    #[test]
    fn random_headers_keep_the_promises() {
        // Ascending, so picking two indices in order gives first <= last.
        let numbers = [
            "0",
            "1",
            "7",
            "80",
            "81",
            "99",
            "100",
            "4096",
            "18446744073709551615",
            HUGE,
        ];
        let hostile = [
            "", " ", "\t", ",", "=", "bytes=", "x", "+", "é", "0x", ";", "-", "--", "1 2",
        ];
        let lens = [0, 1, 2, 80, 81, 100, 1000, 4096, u64::MAX - 1, u64::MAX];
        let mut rng = XorShift::from_env();
        let (mut partial, mut unsatisfiable, mut full) = (0, 0, 0);
        for _ in 0..5_000 {
            let mut header = String::from(if rng.below(10) == 0 {
                "BYTES="
            } else {
                "bytes="
            });
            for i in 0..rng.below(2 + MAX_RANGES as u64) {
                if i > 0 {
                    header.push(',');
                }
                let a = rng.below(numbers.len() as u64) as usize;
                let b = rng.below(numbers.len() as u64) as usize;
                let (lo, hi) = (numbers[a.min(b)], numbers[a.max(b)]);
                let element = match rng.below(4) {
                    0 => format!("{lo}-"),
                    1 => format!("-{lo}"),
                    _ => format!("{lo}-{hi}"),
                };
                // Mostly well-formed elements, with a hostile fragment spliced in now and then
                // (at the start, in the middle, or at the end).
                if rng.below(25) == 0 {
                    let at = rng.below(3);
                    let frag = rng.pick(&hostile);
                    match at {
                        0 => header.push_str(&format!("{frag}{element}")),
                        1 => header.push_str(&element.replacen('-', &format!("{frag}-"), 1)),
                        _ => header.push_str(&format!("{element}{frag}")),
                    }
                } else {
                    header.push_str(&element);
                }
            }
            let len = if rng.below(2) == 0 {
                lens[rng.below(lens.len() as u64) as usize]
            } else {
                rng.below(10_000)
            };
            match decide(&header, len) {
                Partial(ranges) => {
                    partial += 1;
                    check_partial(&header, len, &ranges);
                }
                Unsatisfiable => unsatisfiable += 1,
                Full => full += 1,
            }
        }
        println!("partial {partial}, unsatisfiable {unsatisfiable}, full {full}");
        assert!(
            partial > 1000 && unsatisfiable > 50 && full > 500,
            "{partial} {unsatisfiable} {full}"
        );
    }

    /// Property, against an oracle: for well-formed random range sets on small files, every
    /// requested byte is sent, and every Partial range starts and ends on a requested byte
    /// (so coalescing only fills gaps between requested ranges, never extends beyond them).
    #[test]
    fn random_valid_sets_cover_exactly_what_was_asked() {
        let mut rng = XorShift(XorShift::from_env().0.rotate_left(17) | 1);
        for _ in 0..3_000 {
            let len = rng.below(600);
            let n = 1 + rng.below(MAX_RANGES as u64);
            let mut requested = vec![false; len as usize];
            let mut any_satisfiable = false;
            let mut elements = Vec::new();
            for _ in 0..n {
                let first = rng.below(700);
                let spec = match rng.below(3) {
                    0 => {
                        let last = first + rng.below(300);
                        format!("{first}-{last}")
                    }
                    1 => format!("{first}-"),
                    _ => format!("-{}", rng.below(700)),
                };
                // The oracle: the bytes this spec selects, computed independently.
                let selected = if let Some(suffix) = spec.strip_prefix('-') {
                    let n: u64 = suffix.parse().unwrap();
                    len.saturating_sub(n)..len
                } else {
                    let (a, b) = spec.split_once('-').unwrap();
                    let a: u64 = a.parse().unwrap();
                    let b: u64 = if b.is_empty() {
                        len
                    } else {
                        b.parse::<u64>().unwrap() + 1
                    };
                    a..b.min(len)
                };
                for i in selected {
                    requested[i as usize] = true;
                    any_satisfiable = true;
                }
                let pad = [" ", "", "\t", ""];
                elements.push(format!("{}{spec}{}", rng.pick(&pad), rng.pick(&pad)));
                if rng.below(8) == 0 {
                    elements.push(String::new());
                }
            }
            let header = format!("bytes={}", elements.join(","));
            match decide(&header, len) {
                Partial(ranges) => {
                    assert!(any_satisfiable, "{header:?} len {len}");
                    check_partial(&header, len, &ranges);
                    let mut sent = vec![false; len as usize];
                    for r in &ranges {
                        assert!(requested[r.first as usize], "{header:?} len {len}: {r:?}");
                        assert!(requested[r.last as usize], "{header:?} len {len}: {r:?}");
                        for i in r.first..=r.last {
                            sent[i as usize] = true;
                        }
                    }
                    for (i, (&req, &s)) in requested.iter().zip(&sent).enumerate() {
                        assert!(!req || s, "{header:?} len {len}: byte {i} not sent");
                    }
                }
                Unsatisfiable => assert!(!any_satisfiable, "{header:?} len {len}"),
                Full => panic!("valid header refused: {header:?}"),
            }
        }
    }
}
