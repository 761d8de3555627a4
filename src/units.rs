//! Numbers as people write them on a command line or in a fault rule: whole numbers,
//! seconds with fractions (read exactly, no floats), rates with a unit (`64k`). Pure; it
//! knows no option and no rule.

use std::time::Duration;

/// ASCII digits only (no sign, no `_`), fitting a `u64`.
pub(crate) fn parse_whole(value: &str) -> Option<u64> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

/// `DIGITS` or `DIGITS.DIGITS` with 1 to 9 fractional digits, exactly (no floats):
/// `2`, `0.5`, `0.000000001`. Rejects `.5`, `1.`, signs, exponents, `inf`, `nan`.
pub(crate) fn parse_secs(value: &str) -> Option<Duration> {
    let (whole, fraction) = match value.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (value, None),
    };
    let secs = parse_whole(whole)?;
    let nanos = match fraction {
        None => 0,
        Some(fraction) => {
            if fraction.len() > 9 {
                return None;
            }
            let digits = u32::try_from(parse_whole(fraction)?).ok()?;
            let scale = 10_u32.pow(9 - fraction.len() as u32);
            digits * scale
        }
    };
    Some(Duration::new(secs, nanos))
}

/// Seconds as `secs` reads them back: `10`, `0.5`, `0.000000001`.
pub(crate) fn format_secs(d: Duration) -> String {
    let nanos = d.subsec_nanos();
    if nanos == 0 {
        return d.as_secs().to_string();
    }
    let fraction = format!("{nanos:09}");
    format!("{}.{}", d.as_secs(), fraction.trim_end_matches('0'))
}

/// A rate in bytes per second: a number (fractions allowed) with an optional binary
/// suffix, `k` (1024), `M` (1024²) or `G` (1024³), either case, as curl's
/// `--limit-rate` and nginx's `limit_rate` read them; rounded down, at least 1.
pub(crate) fn parse_rate(text: &str) -> Option<u64> {
    let (number, unit) = match text.as_bytes().last()? {
        b'k' | b'K' => (&text[..text.len() - 1], 1u128 << 10),
        b'm' | b'M' => (&text[..text.len() - 1], 1 << 20),
        b'g' | b'G' => (&text[..text.len() - 1], 1 << 30),
        _ => (text, 1),
    };
    // Seconds are read exactly (nine fractional digits at most): the same decimals.
    let exact: Duration = parse_secs(number)?;
    let bytes = exact.as_nanos() * unit / 1_000_000_000;
    u64::try_from(bytes).ok().filter(|&b| b > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates() {
        let table: &[(&str, Option<u64>)] = &[
            ("1", Some(1)),
            ("65536", Some(65_536)),
            ("64k", Some(65_536)),
            ("64K", Some(65_536)),
            ("1.5M", Some(1_572_864)),
            ("1.5m", Some(1_572_864)),
            ("2G", Some(2 << 30)),
            ("0.5k", Some(512)),
            ("0.001k", Some(1)),
            ("0.0001k", None),
            ("0", None),
            ("", None),
            ("k", None),
            ("-1", None),
            ("1.5", Some(1)),
            ("64kb", None),
            ("1e3", None),
            ("18446744073709551616", None),
            ("99999999999G", None),
        ];
        for (text, want) in table {
            assert_eq!(parse_rate(text), *want, "{text:?}");
        }
    }
}
