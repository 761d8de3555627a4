//! HTTP dates (RFC 9110 §5.6.7) and Common Log Format timestamps, to and from Unix seconds.
//!
//! Pure UTC arithmetic: it never reads the clock, knows no time zones or leap-second table,
//! and handles only 1970-01-01 through 9999-12-31.

use std::fmt;
use std::time::SystemTime;

/// Latest instant we format or accept: 9999-12-31T23:59:59Z.
pub const MAX_UNIX_SECS: u64 = 253_402_300_799;

const SECS_PER_DAY: u64 = 86_400;

/// Indexed by days since a Sunday, so `(days_since_epoch + 4) % 7` picks the right one
/// (1970-01-01 was a Thursday).
const DAY_NAMES: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// The long names used only by the obsolete RFC 850 form (RFC 9110 §5.6.7, `day-name-l`).
const DAY_NAMES_LONG: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

const MONTH_NAMES: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Seconds since the Unix epoch, or None before 1970 or after [`MAX_UNIX_SECS`] (never panics).
pub fn unix_secs(t: SystemTime) -> Option<u64> {
    // duration_since fails for any instant before the epoch, even by a nanosecond.
    let secs = t.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_secs();
    (secs <= MAX_UNIX_SECS).then_some(secs)
}

/// A calendar date and time of day in UTC, split out of Unix seconds.
struct Civil {
    year: u64,
    /// 0 = January; always < 12.
    month0: usize,
    day: u64,
    hour: u64,
    minute: u64,
    second: u64,
    /// 0 = Sunday; always < 7.
    weekday: usize,
}

impl Civil {
    /// Splits `secs`, clamped to [`MAX_UNIX_SECS`] so the year always has four digits.
    fn from_unix(secs: u64) -> Civil {
        let secs = secs.min(MAX_UNIX_SECS);
        let days = secs / SECS_PER_DAY;
        let sod = secs % SECS_PER_DAY;
        let (year, month0, day) = civil_from_days(days);
        Civil {
            year,
            month0,
            day,
            hour: sod / 3600,
            minute: sod % 3600 / 60,
            second: sod % 60,
            // The epoch was a Thursday (index 4).
            weekday: ((days + 4) % 7) as usize,
        }
    }

    fn month_name(&self) -> &'static str {
        // `% 12` is a no-op for month0 from civil_from_days; it makes the index visibly total.
        MONTH_NAMES[self.month0 % 12]
    }
}

/// Year, 0-based month and day of month for a count of days since 1970-01-01.
///
/// Howard Hinnant's `civil_from_days` ("chrono-Compatible Low-Level Date Algorithms"),
/// restricted to non-negative day counts so it needs only unsigned arithmetic.
fn civil_from_days(days: u64) -> (u64, usize, u64) {
    // Shift the epoch to 0000-03-01 so leap days fall at the end of each 400-year era.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097; // day of era, [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of March-based year, [0, 365]
    let mp = (5 * doy + 2) / 153; // March-based month, [0, 11]
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month0 = if mp < 10 { mp + 2 } else { mp - 10 };
    let year = yoe + era * 400 + u64::from(month0 < 2);
    (year, month0 as usize, day)
}

/// Days since 1970-01-01 for a valid date in 1970..=9999 (`month` is 1-based).
///
/// Howard Hinnant's `days_from_civil`; the caller has validated the date, so nothing here
/// can underflow, but the subtraction is checked anyway rather than trusted.
fn days_from_civil(year: u64, month: u64, day: u64) -> Option<u64> {
    // January and February count as months 10 and 11 of the previous March-based year.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y % 400;
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe).checked_sub(719_468)
}

fn is_leap(year: u64) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// An instant formatted as an IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
///
/// Holds Unix seconds. The caller guarantees `secs <= MAX_UNIX_SECS`; larger values are
/// clamped to [`MAX_UNIX_SECS`] rather than panicking or printing a five-digit year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpDate(pub u64);

impl HttpDate {
    /// The IMF-fixdate's 29 bytes, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`, written without
    /// the formatting machinery: every response carries one or two of these.
    pub fn to_bytes(self) -> [u8; 29] {
        // RFC 9110 §5.6.7: senders MUST generate IMF-fixdate, always in GMT, zero-padded.
        let c = Civil::from_unix(self.0);
        let mut out = *b"Sun, 00 Jan 0000 00:00:00 GMT";
        out[..3].copy_from_slice(DAY_NAMES[c.weekday % 7].as_bytes());
        put_digits(&mut out[5..7], c.day);
        out[8..11].copy_from_slice(c.month_name().as_bytes());
        put_digits(&mut out[12..16], c.year);
        put_digits(&mut out[17..19], c.hour);
        put_digits(&mut out[20..22], c.minute);
        put_digits(&mut out[23..25], c.second);
        out
    }
}

/// Writes `n` as decimal digits filling `out`, zero-padded (higher digits are dropped;
/// callers pass fields that fit).
fn put_digits(out: &mut [u8], mut n: u64) {
    for b in out.iter_mut().rev() {
        *b = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

impl fmt::Display for HttpDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.to_bytes();
        // Only ASCII was written.
        f.write_str(std::str::from_utf8(&bytes).unwrap_or_default())
    }
}

/// An instant formatted as a Common Log Format timestamp, e.g. `06/Nov/1994:08:49:37 +0000`.
///
/// Holds Unix seconds, clamped to [`MAX_UNIX_SECS`] like [`HttpDate`]. Always UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClfDate(pub u64);

impl fmt::Display for ClfDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = Civil::from_unix(self.0);
        write!(
            f,
            "{:02}/{}/{:04}:{:02}:{:02}:{:02} +0000",
            c.day,
            c.month_name(),
            c.year,
            c.hour,
            c.minute,
            c.second
        )
    }
}

/// An instant as a person reads it in a listing, to the minute: `1994-11-06 08:49 UTC`.
///
/// Holds Unix seconds, clamped to [`MAX_UNIX_SECS`] like [`HttpDate`]. Always UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IsoMinutes(pub u64);

impl fmt::Display for IsoMinutes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = Civil::from_unix(self.0);
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02} UTC",
            c.year,
            c.month0 + 1,
            c.day,
            c.hour,
            c.minute
        )
    }
}

/// Parses an HTTP-date in any of the three forms RFC 9110 §5.6.7 requires recipients to accept,
/// returning Unix seconds, or None for anything invalid.
///
/// - IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`
/// - obsolete RFC 850: `Sunday, 06-Nov-94 08:49:37 GMT` (two-digit years 00-69 mean 20xx,
///   70-99 mean 19xx)
/// - asctime: `Sun Nov  6 08:49:37 1994` (day padded with a space, or two digits)
///
/// Matching is exact and case-sensitive: no surrounding whitespace (field parsing strips
/// it), no time zone but `GMT`, no non-ASCII. Dates before 1970 or after 9999 are None.
/// A second of 60 (a leap second) is read as 59. The weekday name must be a valid name
/// but is not checked against the date.
pub fn parse_http_date(s: &str) -> Option<u64> {
    // Non-ASCII bytes can never match the grammar; rejecting them up front keeps every
    // byte comparison below trivially on character boundaries.
    if !s.is_ascii() {
        return None;
    }
    let b = s.as_bytes();
    parse_imf_fixdate(b)
        .or_else(|| parse_rfc850(b))
        .or_else(|| parse_asctime(b))
}

/// `IMF-fixdate = day-name "," SP date1 SP time-of-day SP GMT` (RFC 9110 §5.6.7).
fn parse_imf_fixdate(b: &[u8]) -> Option<u64> {
    let mut c = Cursor(b);
    // RFC 9110 §5.6.7 lets recipients ignore a weekday that disagrees with the date (it is
    // redundant), so the name is only checked for validity.
    c.name(&DAY_NAMES)?;
    c.lit(b", ")?;
    let day = c.digits(2)?;
    c.lit(b" ")?;
    let month = c.month()?;
    c.lit(b" ")?;
    let year = c.digits(4)?;
    c.lit(b" ")?;
    let (hour, minute, second) = c.time_of_day()?;
    c.lit(b" GMT")?;
    c.end()?;
    to_unix(year, month, day, hour, minute, second)
}

/// `rfc850-date = day-name-l "," SP date2 SP time-of-day SP GMT`,
/// `date2 = day "-" month "-" 2DIGIT` (RFC 9110 §5.6.7).
fn parse_rfc850(b: &[u8]) -> Option<u64> {
    let mut c = Cursor(b);
    c.name(&DAY_NAMES_LONG)?;
    c.lit(b", ")?;
    let day = c.digits(2)?;
    c.lit(b"-")?;
    let month = c.month()?;
    c.lit(b"-")?;
    let yy = c.digits(2)?;
    c.lit(b" ")?;
    let (hour, minute, second) = c.time_of_day()?;
    c.lit(b" GMT")?;
    c.end()?;
    // RFC 9110 §5.6.7 says to read a two-digit year that appears more than 50 years in the
    // future as the most recent past year with those digits. We use a fixed pivot instead,
    // so parsing stays a pure function of its input: 19xx for 00-69 would be before the
    // epoch (which we reject anyway), so those mean 20xx, and 70-99 mean 19xx. This differs
    // from the rolling rule only for dates 44-50 years ahead, which no real sender means.
    let year = if yy < 70 { 2000 + yy } else { 1900 + yy };
    to_unix(year, month, day, hour, minute, second)
}

/// `asctime-date = day-name SP date3 SP time-of-day SP year`,
/// `date3 = month SP ( 2DIGIT / ( SP DIGIT ) )` (RFC 9110 §5.6.7).
fn parse_asctime(b: &[u8]) -> Option<u64> {
    let mut c = Cursor(b);
    c.name(&DAY_NAMES)?;
    c.lit(b" ")?;
    let month = c.month()?;
    c.lit(b" ")?;
    // C's asctime() pads a one-digit day with a space; a zero-padded day is also allowed.
    let day = if c.lit(b" ").is_some() {
        c.digits(1)?
    } else {
        c.digits(2)?
    };
    c.lit(b" ")?;
    let (hour, minute, second) = c.time_of_day()?;
    c.lit(b" ")?;
    let year = c.digits(4)?;
    c.end()?;
    to_unix(year, month, day, hour, minute, second)
}

/// Validates the fields and converts them to Unix seconds; `month` is 1-based.
fn to_unix(year: u64, month: u64, day: u64, hour: u64, minute: u64, second: u64) -> Option<u64> {
    if !(1970..=9999).contains(&year)
        || !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    // RFC 9110 §5.6.7 allows second 60 (a leap second); Unix time has no such second, so
    // read it as :59, which keeps the instant inside the minute the sender named.
    let second = second.min(59);
    let days = days_from_civil(year, month, day)?;
    let secs = days * SECS_PER_DAY + hour * 3600 + minute * 60 + second;
    (secs <= MAX_UNIX_SECS).then_some(secs)
}

/// A forward-only reader over the ASCII bytes of a date; every step is exact-match.
struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    /// Consumes `lit` exactly (HTTP-date is case-sensitive, RFC 9110 §5.6.7).
    fn lit(&mut self, lit: &[u8]) -> Option<()> {
        self.0 = self.0.strip_prefix(lit)?;
        Some(())
    }

    /// Consumes the first name in `names` that the input starts with; returns its index.
    fn name(&mut self, names: &[&str]) -> Option<usize> {
        names.iter().enumerate().find_map(|(i, name)| {
            let rest = self.0.strip_prefix(name.as_bytes())?;
            self.0 = rest;
            Some(i)
        })
    }

    /// Consumes a month name; returns it 1-based.
    fn month(&mut self) -> Option<u64> {
        let i = self.name(&MONTH_NAMES)?;
        u64::try_from(i).ok().map(|i| i + 1)
    }

    /// Consumes exactly `n` ASCII digits (the grammar fixes every width, so a longer
    /// number fails at the next literal and `n <= 4` means the value cannot overflow).
    fn digits(&mut self, n: usize) -> Option<u64> {
        let (head, rest) = self.0.split_at_checked(n)?;
        let mut value = 0;
        for &d in head {
            if !d.is_ascii_digit() {
                return None;
            }
            value = value * 10 + u64::from(d - b'0');
        }
        self.0 = rest;
        Some(value)
    }

    /// `time-of-day = hour ":" minute ":" second`, each 2DIGIT (RFC 9110 §5.6.7).
    fn time_of_day(&mut self) -> Option<(u64, u64, u64)> {
        let hour = self.digits(2)?;
        self.lit(b":")?;
        let minute = self.digits(2)?;
        self.lit(b":")?;
        let second = self.digits(2)?;
        Some((hour, minute, second))
    }

    /// Succeeds only if nothing is left: trailing characters make the date invalid.
    fn end(&self) -> Option<()> {
        self.0.is_empty().then_some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::TIME_TICK;
    use std::time::Duration;

    const RFC_EXAMPLE: u64 = 784_111_777;
    const IMF: &str = "Sun, 06 Nov 1994 08:49:37 GMT";
    const RFC850: &str = "Sunday, 06-Nov-94 08:49:37 GMT";
    const ASCTIME: &str = "Sun Nov  6 08:49:37 1994";

    /// Deterministic pseudo-random Unix seconds covering the whole supported range.
    fn lcg_values(n: usize) -> impl Iterator<Item = u64> {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        (0..n).map(move |_| {
            // Knuth's MMIX constants.
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (x >> 11) % (MAX_UNIX_SECS + 1)
        })
    }

    /// The asctime form of `secs`, built independently of the parser under test.
    fn asctime(secs: u64) -> String {
        let c = Civil::from_unix(secs);
        format!(
            "{} {} {:>2} {:02}:{:02}:{:02} {:04}",
            DAY_NAMES[c.weekday],
            c.month_name(),
            c.day,
            c.hour,
            c.minute,
            c.second,
            c.year
        )
    }

    /// The RFC 850 form of `secs` (only meaningful for 1970-2069).
    fn rfc850(secs: u64) -> String {
        let c = Civil::from_unix(secs);
        format!(
            "{}, {:02}-{}-{:02} {:02}:{:02}:{:02} GMT",
            DAY_NAMES_LONG[c.weekday],
            c.day,
            c.month_name(),
            c.year % 100,
            c.hour,
            c.minute,
            c.second
        )
    }

    #[test]
    fn rfc_example_in_all_three_forms() {
        assert_eq!(parse_http_date(IMF), Some(RFC_EXAMPLE));
        assert_eq!(parse_http_date(RFC850), Some(RFC_EXAMPLE));
        assert_eq!(parse_http_date(ASCTIME), Some(RFC_EXAMPLE));
        assert_eq!(HttpDate(RFC_EXAMPLE).to_string(), IMF);
        assert_eq!(
            ClfDate(RFC_EXAMPLE).to_string(),
            "06/Nov/1994:08:49:37 +0000"
        );
        assert_eq!(asctime(RFC_EXAMPLE), ASCTIME);
        assert_eq!(rfc850(RFC_EXAMPLE), RFC850);
    }

    #[test]
    fn asctime_accepts_two_digit_day() {
        assert_eq!(
            parse_http_date("Sun Nov 06 08:49:37 1994"),
            Some(RFC_EXAMPLE)
        );
        assert_eq!(
            parse_http_date("Thu Nov 24 08:49:37 1994"),
            Some(RFC_EXAMPLE + 18 * SECS_PER_DAY)
        );
    }

    #[test]
    fn epoch_and_max() {
        assert_eq!(HttpDate(0).to_string(), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(ClfDate(0).to_string(), "01/Jan/1970:00:00:00 +0000");
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            HttpDate(MAX_UNIX_SECS).to_string(),
            "Fri, 31 Dec 9999 23:59:59 GMT"
        );
        assert_eq!(
            parse_http_date("Fri, 31 Dec 9999 23:59:59 GMT"),
            Some(MAX_UNIX_SECS)
        );
    }

    #[test]
    fn out_of_range_seconds_clamp_when_formatting() {
        for secs in [MAX_UNIX_SECS + 1, u64::MAX / 2, u64::MAX] {
            assert_eq!(HttpDate(secs).to_string(), "Fri, 31 Dec 9999 23:59:59 GMT");
            assert_eq!(ClfDate(secs).to_string(), "31/Dec/9999:23:59:59 +0000");
        }
    }

    #[test]
    fn leap_days() {
        let feb29_2000 = parse_http_date("Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(feb29_2000, Some(951_782_400));
        assert_eq!(
            HttpDate(951_782_400).to_string(),
            "Tue, 29 Feb 2000 00:00:00 GMT"
        );
        let feb29_2024 = parse_http_date("Thu, 29 Feb 2024 12:00:00 GMT");
        assert_eq!(feb29_2024, Some(1_709_208_000));
        assert_eq!(
            HttpDate(1_709_208_000).to_string(),
            "Thu, 29 Feb 2024 12:00:00 GMT"
        );
        // The day after each leap day is 1 March.
        assert_eq!(
            HttpDate(951_782_400 + SECS_PER_DAY).to_string(),
            "Wed, 01 Mar 2000 00:00:00 GMT"
        );
        // 1900 is divisible by 100 but not 400; 2023 is not divisible by 4.
        assert_eq!(parse_http_date("Thu, 29 Feb 1900 00:00:00 GMT"), None);
        assert_eq!(parse_http_date("Wed, 29 Feb 2023 00:00:00 GMT"), None);
        assert_eq!(parse_http_date("Wed Feb 29 00:00:00 2023"), None);
        assert_eq!(parse_http_date("Wednesday, 29-Feb-23 00:00:00 GMT"), None);
        assert_eq!(parse_http_date("Wed, 30 Feb 2024 00:00:00 GMT"), None);
    }

    #[test]
    fn field_ranges() {
        assert_eq!(parse_http_date("Sun, 31 Apr 2001 00:00:00 GMT"), None);
        assert_eq!(parse_http_date("Sun, 31 Nov 2001 00:00:00 GMT"), None);
        assert!(parse_http_date("Sun, 31 Dec 2001 00:00:00 GMT").is_some());
        assert_eq!(parse_http_date("Sun, 00 Dec 2001 00:00:00 GMT"), None);
        assert_eq!(parse_http_date("Sun, 32 Jan 2001 00:00:00 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 24:00:00 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 23:60:00 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 23:59:61 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 23:59:99 GMT"), None);
        // A leap second reads as :59 of the same minute.
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:60 GMT"),
            parse_http_date("Sun, 06 Nov 1994 08:49:59 GMT")
        );
        assert_eq!(
            parse_http_date("Fri, 31 Dec 9999 23:59:60 GMT"),
            Some(MAX_UNIX_SECS)
        );
        // Before the epoch.
        assert_eq!(parse_http_date("Wed, 31 Dec 1969 23:59:59 GMT"), None);
        assert_eq!(parse_http_date("Sat, 01 Jan 0000 00:00:00 GMT"), None);
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1969"), None);
    }

    #[test]
    fn weekday_must_be_a_name_but_need_not_match() {
        assert_eq!(
            parse_http_date("Mon, 06 Nov 1994 08:49:37 GMT"),
            Some(RFC_EXAMPLE)
        );
        assert_eq!(
            parse_http_date("Friday, 06-Nov-94 08:49:37 GMT"),
            Some(RFC_EXAMPLE)
        );
        assert_eq!(
            parse_http_date("Sat Nov  6 08:49:37 1994"),
            Some(RFC_EXAMPLE)
        );
        assert_eq!(parse_http_date("Xyz, 06 Nov 1994 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("Sunda, 06-Nov-94 08:49:37 GMT"), None);
    }

    #[test]
    fn rfc850_two_digit_year_pivot() {
        assert_eq!(parse_http_date("Thursday, 01-Jan-70 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_http_date("Friday, 31-Dec-99 23:59:59 GMT"),
            parse_http_date("Fri, 31 Dec 1999 23:59:59 GMT")
        );
        assert_eq!(
            parse_http_date("Saturday, 01-Jan-00 00:00:00 GMT"),
            parse_http_date("Sat, 01 Jan 2000 00:00:00 GMT")
        );
        assert_eq!(
            parse_http_date("Saturday, 31-Dec-69 23:59:59 GMT"),
            parse_http_date("Sat, 31 Dec 2069 23:59:59 GMT")
        );
    }

    #[test]
    fn round_trip_over_whole_range() {
        let mut count = 0;
        for secs in lcg_values(5000).chain([0, 1, MAX_UNIX_SECS - 1, MAX_UNIX_SECS]) {
            let imf = HttpDate(secs).to_string();
            assert_eq!(imf.len(), 29, "{imf}");
            assert_eq!(parse_http_date(&imf), Some(secs), "{imf}");
            let asc = asctime(secs);
            assert_eq!(parse_http_date(&asc), Some(secs), "{asc}");
            let clf = ClfDate(secs).to_string();
            assert_eq!(clf.len(), 26, "{clf}");
            // Days 1-9 of the month are space-padded in asctime and zero-padded elsewhere.
            assert_eq!(&clf[..2], &imf[5..7]);
            count += 1;
        }
        assert_eq!(count, 5004);
    }

    #[test]
    fn rfc850_round_trip_within_its_century() {
        // 2070-01-01T00:00:00Z: the pivot maps two-digit years onto 1970-2069.
        const END: u64 = 3_155_760_000;
        for secs in lcg_values(2000).map(|s| s % END) {
            let s = rfc850(secs);
            assert_eq!(parse_http_date(&s), Some(secs), "{s}");
        }
    }

    #[test]
    fn every_day_for_a_few_centuries_is_consistent() {
        // civil_from_days and days_from_civil must be inverses, and consecutive days must
        // advance the calendar by exactly one day.
        let mut prev: Option<(u64, usize, u64)> = None;
        for days in 0..(400 * 366) {
            let (y, m0, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m0 as u64 + 1, d), Some(days));
            assert!((1..=days_in_month(y, m0 as u64 + 1)).contains(&d));
            if let Some((py, pm0, pd)) = prev {
                let next_day = (y, m0, d) == (py, pm0, pd + 1);
                let next_month = (y, m0, d) == (py, pm0 + 1, 1);
                let next_year = (y, m0, d) == (py + 1, 0, 1);
                assert!(next_day || next_month || next_year, "{days}");
            }
            prev = Some((y, m0, d));
        }
    }

    #[test]
    fn unix_secs_bounds() {
        assert_eq!(unix_secs(SystemTime::UNIX_EPOCH), Some(0));
        let max = SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(MAX_UNIX_SECS));
        if let Some(t) = max {
            assert_eq!(unix_secs(t), Some(MAX_UNIX_SECS));
        }
        let past_max = SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(MAX_UNIX_SECS + 1));
        if let Some(t) = past_max {
            assert_eq!(unix_secs(t), None);
        }
        if let Some(t) = SystemTime::UNIX_EPOCH.checked_sub(Duration::from_secs(1)) {
            assert_eq!(unix_secs(t), None);
        }
        // The smallest step before the epoch this platform has (Windows: 100 ns; a
        // nanosecond less than the epoch would still be the epoch there).
        let just_before = SystemTime::UNIX_EPOCH.checked_sub(TIME_TICK);
        assert_ne!(just_before, Some(SystemTime::UNIX_EPOCH));
        if let Some(t) = just_before {
            assert_eq!(unix_secs(t), None);
        }
        let far = SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(300_000_000_000));
        if let Some(t) = far {
            assert_eq!(unix_secs(t), None);
        }
        assert!(unix_secs(SystemTime::now()).is_some());
    }

    #[test]
    fn every_proper_prefix_is_rejected() {
        for valid in [IMF, RFC850, ASCTIME] {
            for end in 0..valid.len() {
                assert_eq!(parse_http_date(&valid[..end]), None, "{:?}", &valid[..end]);
            }
        }
    }

    #[test]
    fn garbage_is_rejected() {
        let garbage = [
            "",
            " ",
            "GMT",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Nov 1994 08:49:37 gmt",
            "Sun, 06 Nov 1994 08:49:37 +0000",
            "Sun, 06 nov 1994 08:49:37 GMT",
            "Sun, 06 NOV 1994 08:49:37 GMT",
            "sun, 06 Nov 1994 08:49:37 GMT",
            "SUN, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 19940 08:49:37 GMT",
            "Sun, 06 Nov 01994 08:49:37 GMT",
            "Sun, 06 Nov 10000 08:49:37 GMT",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 94 08:49:37 GMT",
            "Sun, 06 Nov 1994 8:49:37 GMT",
            "Sun, 06 Nov 1994 08:49 GMT",
            "Sun, 06 Nov 1994 08:49:37.5 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT ",
            " Sun, 06 Nov 1994 08:49:37 GMT",
            "Sun,  06 Nov 1994 08:49:37 GMT",
            "Sun 06 Nov 1994 08:49:37 GMT",
            "Sun, 06-Nov-1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMTx",
            "Sun, 06 Nov 1994 08:49:37 GMT\0",
            "Sun, 06 Nov 1994\t08:49:37 GMT",
            "Sun, +6 Nov 1994 08:49:37 GMT",
            "Sun, -6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:-7 GMT",
            "Sun, 18446744073709551616 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 18446744073709551616 08:49:37 GMT",
            "Sun, 06 Nov 1994 99999999999999999999:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT\u{e9}",
            "S\u{fc}n, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 N\u{f6}v 1994 08:49:37 GMT",
            "Sun, \u{ff10}6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT\u{1f600}",
            "Sunday, 06-Nov-94 08:49:37 UTC",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sunday, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 6-Nov-94 08:49:37 GMT",
            "sunday, 06-Nov-94 08:49:37 GMT",
            "Sunday, 06-nov-94 08:49:37 GMT",
            "Sun Nov 6 08:49:37 1994",
            "Sun Nov   6 08:49:37 1994",
            "Sun Nov  06 08:49:37 1994",
            "Sun Nov  6 08:49:37 94",
            "Sun Nov  6 08:49:37 19940",
            "Sun Nov  6 08:49:37 1994 ",
            "Sun Nov  6 08:49:37 1994 GMT",
            "Sun nov  6 08:49:37 1994",
            "Sun Nov  0 08:49:37 1994",
            "Sunday Nov  6 08:49:37 1994",
            "784111777",
            "18446744073709551615",
        ];
        for s in garbage {
            assert_eq!(parse_http_date(s), None, "{s:?}");
        }
    }

    #[test]
    fn single_character_mutations_never_panic() {
        // Replace or insert each of these at every position of each valid form: some results
        // are still valid dates (another digit), so this checks only for panics and that any
        // accepted value is in range.
        let probes = [
            '0',
            '9',
            ' ',
            ',',
            ':',
            '-',
            'x',
            'G',
            '\u{e9}',
            '\u{1f600}',
        ];
        for valid in [IMF, RFC850, ASCTIME] {
            let chars: Vec<char> = valid.chars().collect();
            for i in 0..=chars.len() {
                for &p in &probes {
                    let mut replaced = chars.clone();
                    if i < replaced.len() {
                        replaced[i] = p;
                    }
                    let mut inserted = chars.clone();
                    inserted.insert(i, p);
                    for candidate in [replaced, inserted] {
                        let s: String = candidate.into_iter().collect();
                        if let Some(secs) = parse_http_date(&s) {
                            assert!(secs <= MAX_UNIX_SECS, "{s:?}");
                        }
                    }
                }
            }
        }
    }
}
