//! UTC timestamps: RFC 3339 for files and the journal, `YYYY-MM-DD HH:MM` for people.
//!
//! The domain needs only formatting, parsing and differences of UTC times, so this is a few
//! pure functions rather than a date crate. Reading the clock is left to the callers.

use std::fmt;

/// Seconds since the Unix epoch, in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub u64);

/// A timestamp that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read timestamp {0:?}; write it as RFC 3339 in UTC, such as 2026-11-21T14:30:00Z")]
pub struct TimestampError(pub String);

impl Timestamp {
    /// `2026-11-21T14:30:00Z`.
    pub fn rfc3339(self) -> String {
        let (date, seconds) = self.split();
        format!(
            "{date}T{:02}:{:02}:{:02}Z",
            seconds / 3600,
            seconds % 3600 / 60,
            seconds % 60
        )
    }

    /// `2026-11-21 14:30`, as the plan shows times to people.
    pub fn minutes(self) -> String {
        let (date, seconds) = self.split();
        format!("{date} {:02}:{:02}", seconds / 3600, seconds % 3600 / 60)
    }

    fn split(self) -> (String, u64) {
        let (year, month, day) = civil_from_days(self.0 / 86_400);
        (format!("{year:04}-{month:02}-{day:02}"), self.0 % 86_400)
    }

    /// Reads `2026-11-21T14:30:00Z`, `2026-11-21T14:30:00+02:00`, `2026-11-21 14:30:00` or
    /// `2026-11-21 14:30` (the last two taken as UTC). Fractions of a second are dropped.
    pub fn parse(text: &str) -> Result<Timestamp, TimestampError> {
        let error = || TimestampError(text.to_owned());
        let t = text.trim();
        let number = |range: std::ops::Range<usize>| -> Result<u64, TimestampError> {
            let part = t.get(range).ok_or_else(error)?;
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(error());
            }
            part.parse().map_err(|_| error())
        };
        if t.len() < 16
            || t.as_bytes()[4] != b'-'
            || t.as_bytes()[7] != b'-'
            || t.as_bytes()[13] != b':'
        {
            return Err(error());
        }
        if !matches!(t.as_bytes()[10], b'T' | b't' | b' ') {
            return Err(error());
        }
        let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
        let (hour, minute) = (number(11..13)?, number(14..16)?);
        let mut rest = &t[16..];
        let mut second = 0;
        if let Some(after) = rest.strip_prefix(':') {
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            if digits != 2 {
                return Err(error());
            }
            second = after[..2].parse().map_err(|_| error())?;
            rest = &after[2..];
            if let Some(fraction) = rest.strip_prefix('.') {
                let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
                rest = &fraction[digits..];
            }
        }
        let offset: i64 = match rest {
            "" | "Z" | "z" => 0,
            _ => {
                let sign = match rest.as_bytes()[0] {
                    b'+' => 1,
                    b'-' => -1,
                    _ => return Err(error()),
                };
                let body = &rest[1..];
                if body.len() != 5 || body.as_bytes()[2] != b':' {
                    return Err(error());
                }
                let h: i64 = body[..2].parse().map_err(|_| error())?;
                let m: i64 = body[3..].parse().map_err(|_| error())?;
                sign * (h * 3600 + m * 60)
            }
        };
        if !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 60
        {
            return Err(error());
        }
        let days = days_from_civil(year, month, day).ok_or_else(error)?;
        let local = days * 86_400 + hour * 3600 + minute * 60 + second;
        let utc = i64::try_from(local).map_err(|_| error())? - offset;
        u64::try_from(utc).map(Timestamp).map_err(|_| error())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc3339())
    }
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: u64, month: u64, day: u64) -> Option<u64> {
    let year = if month <= 2 {
        year.checked_sub(1)?
    } else {
        year
    };
    let era = year / 400;
    let year_of_era = year % 400;
    let shifted_month = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    (era * 146_097 + day_of_era).checked_sub(719_468)
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_dates() {
        assert_eq!(Timestamp(0).minutes(), "1970-01-01 00:00");
        assert_eq!(Timestamp(951_782_400).rfc3339(), "2000-02-29T00:00:00Z");
        assert_eq!(Timestamp(1_700_000_000).rfc3339(), "2023-11-14T22:13:20Z");
        assert_eq!(Timestamp(4_107_542_400).minutes(), "2100-03-01 00:00");
    }

    #[test]
    fn parses_what_it_formats_and_common_variants() {
        for seconds in [0, 951_782_400, 1_700_000_000, 1_709_251_199, 4_107_542_400] {
            let t = Timestamp(seconds);
            assert_eq!(Timestamp::parse(&t.rfc3339()), Ok(t));
        }
        assert_eq!(
            Timestamp::parse("2023-11-14 22:13"),
            Ok(Timestamp(1_699_999_980))
        );
        assert_eq!(
            Timestamp::parse("2023-11-14T23:13:20.123+01:00"),
            Ok(Timestamp(1_700_000_000))
        );
        for bad in [
            "",
            "-",
            "2023-13-01T00:00Z",
            "2023-02-30 10:00",
            "2023-11-14",
            "yesterday",
            "2023-11-14T22:13:20+0100",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad:?}");
        }
    }

    proptest::proptest! {
        /// Any text at all, multibyte characters included: an answer, never a panic.
        #[test]
        fn parsing_never_panics(text in "[0-9:T+ Z.\\-é中]{0,30}") {
            let _ = Timestamp::parse(&text);
            let _ = crate::Estimate::parse(&text);
            let _ = crate::parse_duration(&text);
        }
    }
}
