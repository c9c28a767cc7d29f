//! A calendar date small enough to need no crate.
//!
//! Personal identity numbers need birth dates and ages, and nothing else in core needs a time zone or a
//! clock, so a three-field proleptic Gregorian date is all there is. Callers that hold a unix timestamp
//! convert with [`Date::from_unix_days`]; choosing the time zone (Sweden's, for "today") is their business.

use std::fmt;

/// A proleptic Gregorian calendar date.
///
/// Fields are public so that literals in tests and callers stay short; [`Date::new`] is the validating
/// constructor. Field order makes the derived `Ord` chronological.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

/// Days from 0000-03-01 to 1970-01-01, the shift between Hinnant's era-based count and the unix epoch.
const UNIX_EPOCH_SHIFT: i64 = 719_468;
const DAYS_PER_ERA: i64 = 146_097;

impl Date {
    /// The earliest date representable with an `i32` year; [`Date::from_unix_days`] clamps to it.
    pub const MIN: Date = Date {
        year: i32::MIN,
        month: 1,
        day: 1,
    };
    /// The latest date representable with an `i32` year; [`Date::from_unix_days`] clamps to it.
    pub const MAX: Date = Date {
        year: i32::MAX,
        month: 12,
        day: 31,
    };

    /// `None` for a date that does not exist, so an impossible birth date can never be constructed.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        (day >= 1 && day <= Self::days_in_month(year, month)).then_some(Date { year, month, day })
    }

    /// Returns 0 for a month outside 1–12, which makes every day of it invalid in [`Date::new`].
    pub fn days_in_month(year: i32, month: u8) -> u8 {
        match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if is_leap_year(year) => 29,
            2 => 28,
            _ => 0,
        }
    }

    /// Days since 1970-01-01. Results outside the `i32` year range are clamped to [`Date::MIN`] /
    /// [`Date::MAX`] rather than wrapping, so any `i64` is a safe input.
    ///
    /// Algorithm: Howard Hinnant's `civil_from_days`, done in `i64` so it cannot overflow.
    pub fn from_unix_days(days: i64) -> Date {
        if days <= Self::MIN.to_unix_days() {
            return Self::MIN;
        }
        if days >= Self::MAX.to_unix_days() {
            return Self::MAX;
        }
        let z = days + UNIX_EPOCH_SHIFT;
        let era = z.div_euclid(DAYS_PER_ERA);
        let doe = z.rem_euclid(DAYS_PER_ERA); // [0, 146096]
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365], year starting 1 March
        let mp = (5 * doy + 2) / 153; // [0, 11], March = 0
        let day = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
        let month = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
        let year = yoe + era * 400 + i64::from(month <= 2);
        // The range checks above keep `year` inside i32; the fallbacks are never taken.
        Date {
            year: i32::try_from(year).unwrap_or(if year < 0 { i32::MIN } else { i32::MAX }),
            month: u8::try_from(month).unwrap_or(1),
            day: u8::try_from(day).unwrap_or(1),
        }
    }

    /// Days since 1970-01-01 (negative before). Total for every field value: a date built by hand with an
    /// out-of-range month or day gives a meaningless number, never a panic.
    ///
    /// Algorithm: Howard Hinnant's `days_from_civil`.
    pub fn to_unix_days(self) -> i64 {
        let month = i64::from(self.month);
        let year = i64::from(self.year) - i64::from(month <= 2);
        let era = year.div_euclid(400);
        let yoe = year.rem_euclid(400); // [0, 399]
        let mp = if month > 2 { month - 3 } else { month + 9 }; // March = 0
        let doy = (153 * mp + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * DAYS_PER_ERA + doe - UNIX_EPOCH_SHIFT
    }

    /// Whole years from `self` to `on`; negative when `on` is earlier.
    ///
    /// A person born on 29 February becomes a year older on 1 March in common years: the comparison is
    /// on (month, day), the same rule the personal-number century logic uses, so both always agree.
    pub(crate) fn years_until(self, on: Date) -> i64 {
        let years = i64::from(on.year) - i64::from(self.year);
        if (on.month, on.day) < (self.month, self.day) {
            years - 1
        } else {
            years
        }
    }
}

fn is_leap_year(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// `YYYY-MM-DD`; years outside 0–9999 get a sign and at least four digits (ISO 8601 expanded form),
/// so the output stays unambiguous for any field values.
impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if (0..=9999).contains(&self.year) {
            write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
        } else {
            write!(f, "{:+05}-{:02}-{:02}", self.year, self.month, self.day)
        }
    }
}

/// Unix ms of `2026-03-01` (its start, or with `end_of_day` the start of the next day) or
/// `2026-03-01T12:15:00Z`; `None` for anything else.
pub fn parse_utc_ms(text: &str, end_of_day: bool) -> Option<u64> {
    let (date, time) = match text.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (text, None),
    };
    let mut parts = date.splitn(3, '-');
    let year = number(parts.next()?, 4)?;
    let month = number(parts.next()?, 2)?;
    let day = number(parts.next()?, 2)?;
    let date = Date::new(
        i32::try_from(year).ok()?,
        u8::try_from(month).ok()?,
        u8::try_from(day).ok()?,
    )?;
    let days = u64::try_from(date.to_unix_days()).ok()?;
    let secs_of_day = match time {
        None if end_of_day => 86_400,
        None => 0,
        Some(t) => {
            let t = t.strip_suffix('Z')?;
            let mut hms = t.splitn(3, ':');
            let h = number(hms.next()?, 2)?;
            let m = number(hms.next()?, 2)?;
            let s = number(hms.next()?, 2)?;
            if h > 23 || m > 59 || s > 59 {
                return None;
            }
            h * 3_600 + m * 60 + s
        }
    };
    (days * 86_400 + secs_of_day).checked_mul(1_000)
}

fn number(text: &str, digits: usize) -> Option<u64> {
    if text.len() == digits && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(year: i32, month: u8, day: u8) -> Date {
        Date { year, month, day }
    }

    #[test]
    fn leap_years_follow_the_gregorian_rules() {
        assert_eq!(Date::days_in_month(1900, 2), 28);
        assert_eq!(Date::days_in_month(2000, 2), 29);
        assert_eq!(Date::days_in_month(2024, 2), 29);
        assert_eq!(Date::days_in_month(2023, 2), 28);
        assert_eq!(Date::days_in_month(2100, 2), 28);
        assert_eq!(Date::days_in_month(0, 2), 29);
        assert_eq!(Date::days_in_month(-4, 2), 29);
        assert_eq!(Date::days_in_month(-100, 2), 28);
    }

    #[test]
    fn months_have_their_lengths_and_invalid_months_have_none() {
        let lengths = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        for (i, len) in lengths.into_iter().enumerate() {
            assert_eq!(Date::days_in_month(2023, i as u8 + 1), len);
        }
        assert_eq!(Date::days_in_month(2023, 0), 0);
        assert_eq!(Date::days_in_month(2023, 13), 0);
        assert_eq!(Date::days_in_month(2023, 255), 0);
    }

    #[test]
    fn new_rejects_impossible_dates() {
        assert_eq!(Date::new(1981, 12, 28), Some(d(1981, 12, 28)));
        assert_eq!(Date::new(2000, 2, 29), Some(d(2000, 2, 29)));
        assert_eq!(Date::new(1900, 2, 29), None);
        assert_eq!(Date::new(1981, 2, 30), None);
        assert_eq!(Date::new(1981, 4, 31), None);
        assert_eq!(Date::new(1981, 1, 0), None);
        assert_eq!(Date::new(1981, 0, 1), None);
        assert_eq!(Date::new(1981, 13, 1), None);
        assert_eq!(Date::new(1981, 1, 32), None);
    }

    #[test]
    fn unix_days_known_values() {
        assert_eq!(Date::from_unix_days(0), d(1970, 1, 1));
        assert_eq!(Date::from_unix_days(-1), d(1969, 12, 31));
        assert_eq!(Date::from_unix_days(10_957), d(2000, 1, 1));
        assert_eq!(Date::from_unix_days(11_016), d(2000, 2, 29));
        assert_eq!(Date::from_unix_days(20_415), d(2025, 11, 23));
        assert_eq!(Date::from_unix_days(-25_567), d(1900, 1, 1));
        assert_eq!(d(2026, 11, 23).to_unix_days(), 20_780);
        assert_eq!(d(1970, 1, 1).to_unix_days(), 0);
        assert_eq!(d(0, 3, 1).to_unix_days(), -UNIX_EPOCH_SHIFT);
    }

    #[test]
    fn from_unix_days_clamps_instead_of_overflowing() {
        assert_eq!(Date::from_unix_days(i64::MAX), Date::MAX);
        assert_eq!(Date::from_unix_days(i64::MIN), Date::MIN);
        assert_eq!(Date::from_unix_days(Date::MAX.to_unix_days()), Date::MAX);
        assert_eq!(Date::from_unix_days(Date::MIN.to_unix_days()), Date::MIN);
        assert_eq!(
            Date::from_unix_days(Date::MAX.to_unix_days() - 1),
            d(i32::MAX, 12, 30)
        );
        assert_eq!(
            Date::from_unix_days(Date::MIN.to_unix_days() + 1),
            d(i32::MIN, 1, 2)
        );
    }

    #[test]
    fn to_unix_days_is_total_on_hand_built_nonsense() {
        for date in [d(i32::MIN, 0, 0), d(i32::MAX, 255, 255), d(2000, 13, 99)] {
            let _ = date.to_unix_days();
        }
    }

    #[test]
    fn display_is_iso_8601() {
        assert_eq!(d(1981, 12, 28).to_string(), "1981-12-28");
        assert_eq!(d(812, 1, 2).to_string(), "0812-01-02");
        assert_eq!(d(0, 1, 2).to_string(), "0000-01-02");
        assert_eq!(d(-1, 1, 2).to_string(), "-0001-01-02");
        assert_eq!(d(10_000, 1, 2).to_string(), "+10000-01-02");
    }

    #[test]
    fn ordering_is_chronological() {
        assert!(d(1981, 12, 28) < d(1981, 12, 29));
        assert!(d(1981, 12, 31) < d(1982, 1, 1));
        assert!(d(1981, 2, 28) < d(1981, 3, 1));
    }

    #[test]
    fn years_until_counts_birthdays() {
        let born = d(1926, 11, 23);
        assert_eq!(born.years_until(d(2026, 11, 22)), 99);
        assert_eq!(born.years_until(d(2026, 11, 23)), 100);
        let leapling = d(2000, 2, 29);
        assert_eq!(leapling.years_until(d(2001, 2, 28)), 0);
        assert_eq!(leapling.years_until(d(2001, 3, 1)), 1);
        assert_eq!(d(2030, 1, 1).years_until(d(2026, 1, 1)), -4);
    }

    proptest! {
        #[test]
        fn unix_days_round_trip(days in -1_000_000_000i64..1_000_000_000) {
            let date = Date::from_unix_days(days);
            prop_assert_eq!(Date::new(date.year, date.month, date.day), Some(date));
            prop_assert_eq!(date.to_unix_days(), days);
        }

        #[test]
        fn consecutive_days_are_consecutive_dates(days in -1_000_000i64..1_000_000) {
            let a = Date::from_unix_days(days);
            let b = Date::from_unix_days(days + 1);
            prop_assert!(a < b);
            let next = Date::new(a.year, a.month, a.day + 1)
                .or_else(|| Date::new(a.year, a.month + 1, 1))
                .or_else(|| Date::new(a.year + 1, 1, 1));
            prop_assert_eq!(next, Some(b));
        }

        #[test]
        fn any_i64_gives_a_valid_date(days in any::<i64>()) {
            let date = Date::from_unix_days(days);
            prop_assert!(Date::new(date.year, date.month, date.day).is_some());
        }

        #[test]
        fn new_accepts_exactly_days_in_month(year in any::<i32>(), month in any::<u8>(), day in any::<u8>()) {
            let valid = (1..=12).contains(&month) && day >= 1 && day <= Date::days_in_month(year, month);
            prop_assert_eq!(Date::new(year, month, day).is_some(), valid);
        }

        #[test]
        fn to_unix_days_never_panics(year in any::<i32>(), month in any::<u8>(), day in any::<u8>()) {
            let _ = Date { year, month, day }.to_unix_days();
        }
    }
}
