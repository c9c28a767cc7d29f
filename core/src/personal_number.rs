//! Swedish personal identity numbers (personnummer) and coordination numbers (samordningsnummer).
//!
//! People type their number in half a dozen shapes; BankID accepts exactly one (12 digits). Everything
//! that accepts a number from a person goes through [`PersonalNumber::parse`], everything that reads one
//! from BankID or from storage through [`PersonalNumber::parse_api`], so the 12-digit string is the only
//! form that travels between components.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::date::Date;

/// Why a personal identity number was refused.
///
/// `Display` is written for the person who typed the number; [`PersonalNumberError::code`] is the stable
/// key for translations and logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PersonalNumberError {
    #[error("Enter a personal identity number.")]
    Empty,
    #[error(
        "A personal identity number contains only digits and a '-' or '+' before the last four; \
         '{}' is not allowed.",
        .0.escape_debug()
    )]
    InvalidCharacter(char),
    #[error("A personal identity number has 10 or 12 digits; this one has {digits}.")]
    WrongLength { digits: usize },
    #[error("A '-' or '+' can only stand right before the last four digits.")]
    MisplacedSeparator,
    #[error("There is no such date of birth in this number.")]
    InvalidDate,
    #[error("The date of birth in this number is in the future.")]
    FutureDate,
    #[error("The check digit does not match: check the number for a typo.")]
    WrongCheckDigit,
}

impl PersonalNumberError {
    /// Stable snake_case identifier; never changes once released, unlike the `Display` text.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::InvalidCharacter(_) => "invalid_character",
            Self::WrongLength { .. } => "wrong_length",
            Self::MisplacedSeparator => "misplaced_separator",
            Self::InvalidDate => "invalid_date",
            Self::FutureDate => "future_date",
            Self::WrongCheckDigit => "wrong_check_digit",
        }
    }
}

/// A valid personal identity number or coordination number in BankID's 12-digit form `YYYYMMDDNNNC`.
///
/// Invariant: exactly 12 ASCII digits, a real calendar date (day + 60 for coordination numbers) and a
/// correct check digit. The field is private so the invariant cannot be bypassed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PersonalNumber(String);

impl PersonalNumber {
    /// Parses a number as a person types it.
    ///
    /// Accepts `YYYYMMDDNNNC`, `YYYYMMDD-NNNC`, `YYMMDD-NNNC`, `YYMMDDNNNC` and `YYMMDD+NNNC`; whitespace
    /// anywhere is ignored. A 10-digit number without a sign is read as if it had a `-`, which is how
    /// people write it. For 12 digits the century is explicit, so a `+` or `-` there changes nothing.
    ///
    /// Century for 10 digits (BANKID.md §9): `-` is the most recent century in which the person is under
    /// 100 on `today`, `+` one century earlier. `today` is the caller's (Swedish) date, never read here.
    ///
    /// Checks run from the most to the least specific message: characters, length, separator, date,
    /// check digit, then future birth date (the check digit does not cover the century, so a correct
    /// check digit with a future date points at a mistyped century).
    pub fn parse(input: &str, today: Date) -> Result<PersonalNumber, PersonalNumberError> {
        let mut digits = [0u8; 12];
        let mut count = 0usize;
        let mut separator: Option<(char, usize)> = None;
        let mut separator_count = 0usize;
        let mut any_content = false;
        for c in input.chars() {
            if c.is_whitespace() {
                continue;
            }
            any_content = true;
            match c {
                '0'..='9' => {
                    if let Some(slot) = digits.get_mut(count) {
                        *slot = c as u8;
                    }
                    count += 1;
                }
                '-' | '+' => {
                    separator_count += 1;
                    separator = Some((c, count));
                }
                other => return Err(PersonalNumberError::InvalidCharacter(other)),
            }
        }
        if !any_content {
            return Err(PersonalNumberError::Empty);
        }
        if count != 10 && count != 12 {
            return Err(PersonalNumberError::WrongLength { digits: count });
        }
        let sign = match separator {
            None => '-',
            Some((sign, position)) if separator_count == 1 && position == count - 4 => sign,
            Some(_) => return Err(PersonalNumberError::MisplacedSeparator),
        };

        let full = if count == 12 {
            digits
        } else {
            let [y1, y2, m1, m2, d1, d2, ..] = digits;
            let year = resolve_century([y1, y2, m1, m2, d1, d2], sign, today);
            // A `today` outside years 100–9999 can resolve to a year with no 12-digit form.
            let Ok(century @ 0..=99) = u8::try_from(year.div_euclid(100)) else {
                return Err(PersonalNumberError::InvalidDate);
            };
            let mut full = [
                b'0' + century / 10,
                b'0' + century % 10,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
            ];
            full[2..].copy_from_slice(&digits[..10]);
            full
        };

        let number = Self::validate(full)?;
        if number.birth_date() > today {
            return Err(PersonalNumberError::FutureDate);
        }
        Ok(number)
    }

    /// Parses BankID's wire form: exactly 12 ASCII digits, nothing else.
    ///
    /// No `today`, so no future-date check: what BankID or our own storage says is taken as it is, and a
    /// test identity with a future birth date still round-trips.
    pub fn parse_api(input: &str) -> Result<PersonalNumber, PersonalNumberError> {
        if input.is_empty() {
            return Err(PersonalNumberError::Empty);
        }
        if let Some(bad) = input.chars().find(|c| !c.is_ascii_digit()) {
            return Err(PersonalNumberError::InvalidCharacter(bad));
        }
        let full: [u8; 12] =
            input
                .as_bytes()
                .try_into()
                .map_err(|_| PersonalNumberError::WrongLength {
                    digits: input.len(),
                })?;
        Self::validate(full)
    }

    /// Date and check digit on 12 ASCII digits; shared by both parsers so they cannot disagree.
    fn validate(full: [u8; 12]) -> Result<PersonalNumber, PersonalNumberError> {
        let [y1, y2, y3, y4, m1, m2, d1, d2, ..] = full;
        let year = i32::from(num2(y1, y2)) * 100 + i32::from(num2(y3, y4));
        let month = num2(m1, m2);
        let raw_day = num2(d1, d2);
        let day = if raw_day > 60 { raw_day - 60 } else { raw_day };
        if Date::new(year, month, day).is_none() {
            return Err(PersonalNumberError::InvalidDate);
        }
        let [.., check] = full;
        let mut body = [0u8; 9];
        body.copy_from_slice(&full[2..11]);
        if luhn_check_digit(&body) != check - b'0' {
            return Err(PersonalNumberError::WrongCheckDigit);
        }
        // Only ASCII digits reach here, so this is always valid UTF-8.
        let text = full.iter().map(|&b| char::from(b)).collect();
        Ok(PersonalNumber(text))
    }

    /// The 12-digit form BankID wants, e.g. `"198112289874"`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `YYYYMMDD-NNNN`, e.g. `"19811228-9874"`: the 12 digits as people read them off a document, for a
    /// screen that shows the whole number to someone entitled to it.
    pub fn readable(&self) -> String {
        let (date, rest) = self.0.split_at(8.min(self.0.len()));
        format!("{date}-{rest}")
    }

    /// Coordination numbers are issued to people not registered in Sweden; they carry day + 60.
    pub fn is_coordination_number(&self) -> bool {
        let b = self.0.as_bytes();
        match (b.get(6), b.get(7)) {
            (Some(&d1), Some(&d2)) => num2(d1, d2) > 60,
            _ => false,
        }
    }

    /// The real date of birth (for coordination numbers the day minus 60).
    pub fn birth_date(&self) -> Date {
        let b = self.0.as_bytes();
        let digit = |i: usize| b.get(i).copied().unwrap_or(b'0');
        let year = i32::from(num2(digit(0), digit(1))) * 100 + i32::from(num2(digit(2), digit(3)));
        let month = num2(digit(4), digit(5));
        let raw_day = num2(digit(6), digit(7));
        let day = if raw_day > 60 { raw_day - 60 } else { raw_day };
        // The invariant makes this a valid date; no re-validation needed.
        Date { year, month, day }
    }

    /// `YYMMDD-XXXX` (`+` from the day the person turns 100), e.g. `"811228-XXXX"`.
    ///
    /// For agents and IVR prompts: enough to confirm "born 28 December 1981" with the caller without
    /// revealing the birth number and check digit. Coordination numbers keep their day + 60 digits,
    /// as that is what the holder has written on their documents.
    pub fn masked(&self, today: Date) -> String {
        let sign = if self.birth_date().years_until(today) >= 100 {
            '+'
        } else {
            '-'
        };
        let yymmdd = self.0.get(2..8).unwrap_or("");
        format!("{yymmdd}{sign}XXXX")
    }
}

/// `YYMMDDNNN` as ASCII digits → the Luhn check digit (BANKID.md §9).
fn luhn_check_digit(body: &[u8; 9]) -> u8 {
    let sum: u32 = body
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            let weighted = u32::from(b - b'0') * if i % 2 == 0 { 2 } else { 1 };
            weighted / 10 + weighted % 10
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

fn num2(tens: u8, ones: u8) -> u8 {
    (tens - b'0') * 10 + (ones - b'0')
}

/// The full birth year for a 10-digit number, from its sign and `today`.
///
/// The comparison is on (month, day) of the raw digits, before any date validation, so the century
/// choice never depends on whether the date exists; 29 February then fails validation in a common year.
/// It uses the same (month, day) rule as [`Date::years_until`], so [`PersonalNumber::masked`] always
/// prints the sign that parses back to the same person.
fn resolve_century(yymmdd: [u8; 6], sign: char, today: Date) -> i64 {
    let [y1, y2, m1, m2, d1, d2] = yymmdd;
    let yy = i64::from(num2(y1, y2));
    let month = num2(m1, m2);
    let raw_day = num2(d1, d2);
    let day = if raw_day > 60 { raw_day - 60 } else { raw_day };
    let this_year = i64::from(today.year);
    let mut year = this_year - (this_year - yy).rem_euclid(100);
    if year == this_year && (month, day) > (today.month, today.day) {
        year -= 100;
    }
    if sign == '+' {
        year -= 100;
    }
    year
}

/// The 12 digits, like [`PersonalNumber::as_str`].
impl fmt::Display for PersonalNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Strict 12-digit form ([`PersonalNumber::parse_api`]): `FromStr` has no `today`, and the lenient
/// parser without one would have to guess the century.
impl FromStr for PersonalNumber {
    type Err = PersonalNumberError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_api(s)
    }
}

impl Serialize for PersonalNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Validates with [`PersonalNumber::parse_api`], so an invalid number in JSON fails at the boundary.
impl<'de> Deserialize<'de> for PersonalNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Self::parse_api(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// BANKID.md's reference date for the `121212+1212` example.
    const TODAY: Date = Date {
        year: 2026,
        month: 11,
        day: 23,
    };

    fn date(year: i32, month: u8, day: u8) -> Date {
        Date { year, month, day }
    }

    fn pn(s: &str) -> PersonalNumber {
        PersonalNumber::parse_api(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn parse(s: &str) -> Result<String, PersonalNumberError> {
        parse_on(s, TODAY)
    }

    fn parse_on(s: &str, today: Date) -> Result<String, PersonalNumberError> {
        PersonalNumber::parse(s, today).map(|p| p.as_str().to_owned())
    }

    /// Appends the correct check digit to `YYYYMMDDNNN` (or `YYMMDDNNN`).
    fn with_check(without: &str) -> String {
        let body: [u8; 9] = without.as_bytes()[without.len() - 9..].try_into().unwrap();
        format!("{without}{}", luhn_check_digit(&body))
    }

    #[test]
    fn bankid_md_examples_are_valid() {
        for s in [
            "198112289874",
            "199001010025",
            "191212121212",
            "199908072391",
            "198001629875",
        ] {
            assert_eq!(pn(s).to_string(), s);
            assert_eq!(parse(s).as_deref(), Ok(s));
        }
    }

    #[test]
    fn bankid_md_wrong_check_digit_is_rejected() {
        let wrong = Err(PersonalNumberError::WrongCheckDigit);
        assert_eq!(PersonalNumber::parse_api("198112289875"), wrong);
        assert_eq!(
            parse("198112289875"),
            Err(PersonalNumberError::WrongCheckDigit)
        );
        assert_eq!(
            parse("811228-9875"),
            Err(PersonalNumberError::WrongCheckDigit)
        );
    }

    #[test]
    fn bankid_md_worked_luhn_example() {
        assert_eq!(luhn_check_digit(b"811228987"), 4);
        assert_eq!(with_check("19811228987"), "198112289874");
    }

    #[test]
    fn ten_digits_with_minus_become_twelve() {
        for input in [
            "811228-9874",
            "8112289874",
            "19811228-9874",
            " 8112 28-98 74 ",
            "811228 - 9874",
        ] {
            assert_eq!(parse(input).as_deref(), Ok("198112289874"), "{input:?}");
        }
    }

    #[test]
    fn plus_means_one_hundred_or_older() {
        assert_eq!(parse("121212+1212").as_deref(), Ok("191212121212"));
        assert_eq!(pn("191212121212").masked(TODAY), "121212+XXXX");
        // Without the '+', the same digits are someone born in 2012.
        assert_eq!(parse("121212-1212").as_deref(), Ok("201212121212"));
        assert_eq!(pn("201212121212").masked(TODAY), "121212-XXXX");
    }

    #[test]
    fn century_switches_on_the_hundredth_birthday() {
        let born_today = with_check("261123123");
        let born_tomorrow = with_check("261124123");
        let minus = |s: &str| format!("{}-{}", &s[..6], &s[6..]);
        let plus = |s: &str| format!("{}+{}", &s[..6], &s[6..]);
        // '-': 2026-11-23 (age 0) and 1926-11-24 (age 99, turns 100 tomorrow).
        assert_eq!(parse(&minus(&born_today)), Ok(format!("20{born_today}")));
        assert_eq!(
            parse(&minus(&born_tomorrow)),
            Ok(format!("19{born_tomorrow}"))
        );
        // '+': one century earlier; 1926-11-23 turns 100 today.
        assert_eq!(parse(&plus(&born_today)), Ok(format!("19{born_today}")));
        assert_eq!(
            parse(&plus(&born_tomorrow)),
            Ok(format!("18{born_tomorrow}"))
        );
        assert_eq!(pn(&format!("19{born_today}")).masked(TODAY), "261123+XXXX");
        assert_eq!(
            pn(&format!("19{born_tomorrow}")).masked(TODAY),
            "261124-XXXX"
        );
        // Yesterday the 1926-11-23 person was 99 and wrote '-'.
        let yesterday = date(2026, 11, 22);
        assert_eq!(
            parse_on(&minus(&born_today), yesterday),
            Ok(format!("19{born_today}"))
        );
        assert_eq!(
            pn(&format!("19{born_today}")).masked(yesterday),
            "261123-XXXX"
        );
    }

    #[test]
    fn leap_day_depends_on_the_resolved_century() {
        let num = with_check("000229123");
        let (minus, plus) = (
            format!("000229-{}", &num[6..]),
            format!("000229+{}", &num[6..]),
        );
        assert_eq!(parse(&minus), Ok(format!("20{num}")));
        // '+' → 1900, which had no 29 February.
        assert_eq!(parse(&plus), Err(PersonalNumberError::InvalidDate));
        // On 2000-02-01 the '-' century is 1900 (2000-02-29 is still ahead): no such date.
        assert_eq!(
            parse_on(&minus, date(2000, 2, 1)),
            Err(PersonalNumberError::InvalidDate)
        );
    }

    #[test]
    fn born_on_29_february_turns_a_year_older_on_1_march() {
        let p = pn(&with_check("20000229123"));
        let (minus, plus) = (
            format!("000229-{}", &p.as_str()[8..]),
            format!("000229+{}", &p.as_str()[8..]),
        );
        // 2100 is a common year: 99 on 28 February, 100 on 1 March.
        let (feb_28, mar_1) = (date(2100, 2, 28), date(2100, 3, 1));
        assert_eq!(p.masked(feb_28), "000229-XXXX");
        assert_eq!(p.masked(mar_1), "000229+XXXX");
        assert_eq!(parse_on(&minus, feb_28).as_deref(), Ok(p.as_str()));
        assert_eq!(parse_on(&plus, mar_1).as_deref(), Ok(p.as_str()));
        // On 1 March '-' would mean 2100-02-29, which does not exist.
        assert_eq!(
            parse_on(&minus, mar_1),
            Err(PersonalNumberError::InvalidDate)
        );
    }

    #[test]
    fn coordination_numbers_are_accepted() {
        let p = pn("198001629875");
        assert!(p.is_coordination_number());
        assert_eq!(p.birth_date(), date(1980, 1, 2));
        assert_eq!(p.masked(TODAY), "800162-XXXX");
        assert_eq!(parse("800162-9875").as_deref(), Ok("198001629875"));
        assert!(!pn("198112289874").is_coordination_number());
        // Day 31 + 60.
        assert_eq!(
            pn(&with_check("19801291123")).birth_date(),
            date(1980, 12, 31)
        );
    }

    #[test]
    fn coordination_day_must_still_be_a_real_day() {
        // Day 60 (= day 0), 92 (= 32), 30 February + 60, 31 April + 60.
        for eleven in ["19800160123", "19800192123", "19800290123", "19800491123"] {
            let full = with_check(eleven);
            assert_eq!(
                PersonalNumber::parse_api(&full),
                Err(PersonalNumberError::InvalidDate),
                "{full}"
            );
        }
    }

    #[test]
    fn impossible_dates_are_rejected() {
        for yyyymmdd in [
            "19810230", "19810100", "19811301", "19810001", "19810431", "19819999",
        ] {
            let full = with_check(&format!("{yyyymmdd}123"));
            assert_eq!(
                PersonalNumber::parse_api(&full),
                Err(PersonalNumberError::InvalidDate),
                "{full}"
            );
            assert_eq!(
                parse(&full),
                Err(PersonalNumberError::InvalidDate),
                "{full}"
            );
            assert_eq!(
                parse(&full[2..]),
                Err(PersonalNumberError::InvalidDate),
                "{full}"
            );
        }
        // 1900 was not a leap year (the 10-digit form of these digits means 2000, which was).
        let full = with_check("19000229123");
        assert_eq!(
            PersonalNumber::parse_api(&full),
            Err(PersonalNumberError::InvalidDate)
        );
        assert_eq!(
            parse(&full[2..]).as_deref(),
            Ok(&*format!("20{}", &full[2..]))
        );
    }

    #[test]
    fn invalid_date_is_reported_before_check_digit() {
        assert_eq!(parse("198102300000"), Err(PersonalNumberError::InvalidDate));
    }

    #[test]
    fn future_birth_dates_are_rejected_only_with_today() {
        let future = with_check("20301228987");
        assert_eq!(parse(&future), Err(PersonalNumberError::FutureDate));
        assert!(PersonalNumber::parse_api(&future).is_ok());
        assert!(parse(&with_check("20261123987")).is_ok(), "born today");
        assert_eq!(
            parse(&with_check("20261124987")),
            Err(PersonalNumberError::FutureDate)
        );
    }

    #[test]
    fn check_digit_is_reported_before_future_date() {
        let good = with_check("20301228987");
        let wrong = format!("{}{}", &good[..11], (good.as_bytes()[11] - b'0' + 1) % 10);
        assert_eq!(parse(&wrong), Err(PersonalNumberError::WrongCheckDigit));
    }

    #[test]
    fn length_errors_report_the_digit_count() {
        assert_eq!(
            parse("81122898"),
            Err(PersonalNumberError::WrongLength { digits: 8 })
        );
        assert_eq!(
            parse("811228-987"),
            Err(PersonalNumberError::WrongLength { digits: 9 })
        );
        assert_eq!(
            parse("19811228987"),
            Err(PersonalNumberError::WrongLength { digits: 11 })
        );
        assert_eq!(
            parse("1981122898744"),
            Err(PersonalNumberError::WrongLength { digits: 13 })
        );
        assert_eq!(
            parse("-"),
            Err(PersonalNumberError::WrongLength { digits: 0 })
        );
        assert_eq!(
            parse(&"1".repeat(1000)),
            Err(PersonalNumberError::WrongLength { digits: 1000 })
        );
        assert_eq!(
            PersonalNumberError::WrongLength { digits: 9 }.to_string(),
            "A personal identity number has 10 or 12 digits; this one has 9."
        );
    }

    #[test]
    fn empty_and_blank_inputs_are_empty() {
        assert_eq!(parse(""), Err(PersonalNumberError::Empty));
        assert_eq!(parse("   \t\n"), Err(PersonalNumberError::Empty));
        assert_eq!(
            PersonalNumber::parse_api(""),
            Err(PersonalNumberError::Empty)
        );
    }

    #[test]
    fn separators_only_right_before_the_last_four_digits() {
        for input in [
            "81122-89874",
            "8112289-874",
            "811228--9874",
            "811228-+9874",
            "-8112289874",
            "8112289874-",
            "1981-1228-9874",
            "198112-289874",
        ] {
            assert_eq!(
                parse(input),
                Err(PersonalNumberError::MisplacedSeparator),
                "{input}"
            );
        }
    }

    #[test]
    fn twelve_digits_with_plus_keep_their_explicit_century() {
        assert_eq!(parse("19121212+1212").as_deref(), Ok("191212121212"));
        assert_eq!(parse("19811228+9874").as_deref(), Ok("198112289874"));
    }

    #[test]
    fn invalid_characters_are_named() {
        assert_eq!(
            parse("811228/9874"),
            Err(PersonalNumberError::InvalidCharacter('/'))
        );
        assert_eq!(
            parse("81122B-9874"),
            Err(PersonalNumberError::InvalidCharacter('B'))
        );
        // Non-ASCII digits and dashes are refused rather than guessed at.
        assert_eq!(
            parse("٨١١٢٢٨-٩٨٧٤"),
            Err(PersonalNumberError::InvalidCharacter('٨'))
        );
        assert_eq!(
            parse("811228–9874"),
            Err(PersonalNumberError::InvalidCharacter('–'))
        );
        assert_eq!(
            PersonalNumberError::InvalidCharacter('\n').to_string(),
            "A personal identity number contains only digits and a '-' or '+' before the last four; \
             '\\n' is not allowed."
        );
    }

    #[test]
    fn nbsp_and_tabs_count_as_spaces() {
        assert_eq!(parse("811228\u{a0}-\t9874").as_deref(), Ok("198112289874"));
    }

    #[test]
    fn parse_api_is_strict() {
        let api = PersonalNumber::parse_api;
        assert_eq!(
            api("19811228-9874"),
            Err(PersonalNumberError::InvalidCharacter('-'))
        );
        assert_eq!(
            api(" 198112289874"),
            Err(PersonalNumberError::InvalidCharacter(' '))
        );
        assert_eq!(
            api("8112289874"),
            Err(PersonalNumberError::WrongLength { digits: 10 })
        );
        assert_eq!(
            "198112289874".parse::<PersonalNumber>(),
            Ok(pn("198112289874"))
        );
        assert!("811228-9874".parse::<PersonalNumber>().is_err());
    }

    #[test]
    fn masked_hides_the_birth_number() {
        assert_eq!(pn("198112289874").masked(TODAY), "811228-XXXX");
        assert_eq!(pn("199908072391").masked(TODAY), "990807-XXXX");
    }

    #[test]
    fn readable_form_separates_the_birth_number_and_parses_back() {
        for digits in ["198112289874", "191212121212", "198001629875"] {
            let p = pn(digits);
            let readable = p.readable();
            assert_eq!(readable.len(), 13, "{readable}");
            assert_eq!(readable.replace('-', ""), digits);
            assert_eq!(PersonalNumber::parse(&readable, TODAY), Ok(p));
        }
        assert_eq!(pn("198112289874").readable(), "19811228-9874");
    }

    #[test]
    fn birth_date_of_examples() {
        assert_eq!(pn("198112289874").birth_date(), date(1981, 12, 28));
        assert_eq!(pn("191212121212").birth_date(), date(1912, 12, 12));
    }

    #[test]
    fn serde_uses_the_twelve_digit_string() {
        let p = pn("198112289874");
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"198112289874\"");
        assert_eq!(
            serde_json::from_str::<PersonalNumber>("\"198112289874\"").unwrap(),
            p
        );
        for bad in [
            "\"198112289875\"",
            "\"811228-9874\"",
            "198112289874",
            "null",
        ] {
            assert!(
                serde_json::from_str::<PersonalNumber>(bad).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn codes_are_stable_snake_case() {
        let all = [
            (PersonalNumberError::Empty, "empty"),
            (
                PersonalNumberError::InvalidCharacter('x'),
                "invalid_character",
            ),
            (
                PersonalNumberError::WrongLength { digits: 3 },
                "wrong_length",
            ),
            (
                PersonalNumberError::MisplacedSeparator,
                "misplaced_separator",
            ),
            (PersonalNumberError::InvalidDate, "invalid_date"),
            (PersonalNumberError::FutureDate, "future_date"),
            (PersonalNumberError::WrongCheckDigit, "wrong_check_digit"),
        ];
        for (error, code) in all {
            assert_eq!(error.code(), code);
            assert!(error.to_string().ends_with('.'));
        }
        assert_eq!(
            PersonalNumberError::WrongCheckDigit.to_string(),
            "The check digit does not match: check the number for a typo."
        );
        assert_eq!(
            PersonalNumberError::InvalidDate.to_string(),
            "There is no such date of birth in this number."
        );
    }

    #[test]
    fn extreme_todays_do_not_panic() {
        for today in [
            Date::MIN,
            Date::MAX,
            date(0, 1, 1),
            date(-1, 12, 31),
            date(10_000, 1, 1),
            date(99, 0, 0),
        ] {
            for s in ["811228-9874", "121212+1212", "198112289874", "8112289874"] {
                let _ = PersonalNumber::parse(s, today);
                let _ = pn("198112289874").masked(today);
            }
        }
        // In year 50, '-' on "991231" means year -1, which has no 12-digit form.
        assert_eq!(
            parse_on(
                &format!("991231-{}", &with_check("991231000")[6..]),
                date(50, 1, 1)
            ),
            Err(PersonalNumberError::InvalidDate)
        );
    }

    // ---- property tests ----

    /// A valid birth date, birth number and coordination flag → the 12-digit string.
    fn twelve(birth: Date, birth_number: u16, coordination: bool) -> String {
        let day = if coordination {
            birth.day + 60
        } else {
            birth.day
        };
        with_check(&format!(
            "{:04}{:02}{:02}{:03}",
            birth.year, birth.month, day, birth_number
        ))
    }

    /// 1800-01-01 ..= 2099-12-31.
    fn birth_date() -> impl Strategy<Value = Date> {
        (date(1800, 1, 1).to_unix_days()..=date(2099, 12, 31).to_unix_days())
            .prop_map(Date::from_unix_days)
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in any::<String>(), days in any::<i64>()) {
            let _ = PersonalNumber::parse(&s, Date::from_unix_days(days));
            let _ = PersonalNumber::parse_api(&s);
        }

        #[test]
        fn parse_never_panics_on_number_like_input(s in "[0-9 +\\-]{0,16}", days in -1_000_000i64..1_000_000) {
            let _ = PersonalNumber::parse(&s, Date::from_unix_days(days));
            let _ = PersonalNumber::parse_api(&s);
        }

        #[test]
        fn valid_numbers_round_trip(birth in birth_date(), n in 0u16..1000, coordination in any::<bool>()) {
            let s = twelve(birth, n, coordination);
            let p = PersonalNumber::parse_api(&s).unwrap();
            prop_assert_eq!(p.to_string(), s.clone());
            prop_assert_eq!(p.birth_date(), birth);
            prop_assert_eq!(p.is_coordination_number(), coordination);
            prop_assert_eq!(p.to_string().parse::<PersonalNumber>(), Ok(p.clone()));
            let json = serde_json::to_string(&p).unwrap();
            prop_assert_eq!(serde_json::from_str::<PersonalNumber>(&json).unwrap(), p.clone());
            // The lenient parser takes the 12-digit form, with or without '-', on any later day.
            let later = date(2100, 1, 1);
            prop_assert_eq!(PersonalNumber::parse(&s, later), Ok(p.clone()));
            prop_assert_eq!(PersonalNumber::parse(&format!("{}-{}", &s[..8], &s[8..]), later), Ok(p));
        }

        #[test]
        fn ten_digit_form_round_trips_with_the_masked_sign(
            birth in birth_date(),
            n in 0u16..1000,
            coordination in any::<bool>(),
            age_days in 0i64..(199 * 365),
        ) {
            let today = Date::from_unix_days(birth.to_unix_days() + age_days);
            let p = pn(&twelve(birth, n, coordination));
            let sign = p.masked(today).chars().nth(6).unwrap();
            prop_assert_eq!(sign == '+', birth.years_until(today) >= 100);
            let short = format!("{}{}{}", &p.as_str()[2..8], sign, &p.as_str()[8..]);
            prop_assert_eq!(PersonalNumber::parse(&short, today), Ok(p.clone()), "{} on {}", short, today);
            if sign == '-' {
                prop_assert_eq!(PersonalNumber::parse(&short.replace('-', ""), today), Ok(p));
            }
        }

        #[test]
        fn single_digit_typos_after_the_century_are_caught(
            birth in birth_date(),
            n in 0u16..1000,
            coordination in any::<bool>(),
            position in 2usize..12,
            delta in 1u8..10,
        ) {
            let mut bytes = twelve(birth, n, coordination).into_bytes();
            bytes[position] = b'0' + (bytes[position] - b'0' + delta) % 10;
            let typo = String::from_utf8(bytes).unwrap();
            prop_assert!(PersonalNumber::parse_api(&typo).is_err(), "{}", typo);
        }

        #[test]
        fn accepted_numbers_satisfy_the_invariant(s in "[0-9]{12}") {
            if let Ok(p) = PersonalNumber::parse_api(&s) {
                let b = p.birth_date();
                prop_assert!(Date::new(b.year, b.month, b.day).is_some());
                prop_assert_eq!(p.as_str(), s.as_str());
            }
        }
    }
}
