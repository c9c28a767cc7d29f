//! Phone numbers as people type them, normalised to E.164.
//!
//! legit is Swedish first: a number with a single leading 0 is Swedish, and Swedish numbers get the
//! stricter national length rule. Everything else only has to look like E.164, because a full
//! numbering-plan database would be a large dependency for a field we only store, mask and dial; the one
//! exception is +7's ten digits, which keeps a Swedish mobile typed without its 0 from becoming a Russian one.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a phone number was refused. `Display` is for the person who typed it; [`PhoneNumberError::code`]
/// is the stable key for translations and logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneNumberError {
    #[error("Enter a phone number.")]
    Empty,
    #[error(
        "A phone number contains only digits, spaces and - . / ( ), with an optional + first; \
         '{}' is not allowed.",
        .0.escape_debug()
    )]
    InvalidCharacter(char),
    #[error("This phone number is too short: check that no digits are missing.")]
    TooShort,
    #[error("This phone number is too long: check for extra digits.")]
    TooLong,
    #[error(
        "This country code is not valid. Write a Swedish number like 070-123 45 67, \
         or start with + and the country code, like +46 70 123 45 67."
    )]
    InvalidCountryCode,
}

impl PhoneNumberError {
    /// Stable snake_case identifier; never changes once released, unlike the `Display` text.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::InvalidCharacter(_) => "invalid_character",
            Self::TooShort => "too_short",
            Self::TooLong => "too_long",
            Self::InvalidCountryCode => "invalid_country_code",
        }
    }
}

/// A phone number in E.164 form, stored as its digits without the `+` (e.g. `"46701234567"`).
///
/// Invariant: 8–15 ASCII digits, the first not 0; if it starts with 46, 7–9 more digits, the first
/// not 0; if it starts with 7, 10 more. Private field, so only [`PhoneNumber::parse`] creates one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

const SWEDEN: &str = "46";

impl PhoneNumber {
    /// Parses a phone number typed in any of the usual Swedish or international ways.
    ///
    /// `070-123 45 67`, `0701234567`, `+46701234567`, `0046701234567`, `46701234567` and
    /// `+46 (0)70-123 45 67` all give `46701234567`. Separators are whitespace, `-`, `.`, `/`, `(`, `)`.
    /// A single leading 0 means a Swedish national number; `00` or `+` an international one; bare digits
    /// without a leading 0 are taken as international with the country code first.
    ///
    /// Two forgiving rules for what people really type after a country code: a trunk `(0)` is dropped
    /// (`+44 (0)20 …`), and for Sweden a single plain 0 is dropped too (`+46 070 …`), since a Swedish
    /// national significant number never starts with 0, so the meaning is unambiguous. Other countries
    /// keep a plain 0 (Italian numbers start with one).
    pub fn parse(input: &str) -> Result<PhoneNumber, PhoneNumberError> {
        let mut plus = false;
        let mut seen_digit = false;
        // Digits and parentheses only, so that a "(0)" group can be recognised after the separators go.
        let mut compact = String::new();
        for c in input.trim().chars() {
            match c {
                '0'..='9' => {
                    seen_digit = true;
                    compact.push(c);
                }
                '(' | ')' => compact.push(c),
                '+' if !plus && !seen_digit => plus = true,
                '-' | '.' | '/' => {}
                c if c.is_whitespace() => {}
                other => return Err(PhoneNumberError::InvalidCharacter(other)),
            }
        }
        if !seen_digit {
            return Err(PhoneNumberError::Empty);
        }

        let all_digits: String = compact.chars().filter(char::is_ascii_digit).collect();
        let national = !plus && all_digits.starts_with('0') && !all_digits.starts_with("00");
        let digits = if national {
            format!("{SWEDEN}{}", all_digits.get(1..).unwrap_or(""))
        } else {
            let without_trunk = drop_trunk_zero_groups(&compact);
            let digits: String = without_trunk.chars().filter(char::is_ascii_digit).collect();
            match digits.strip_prefix("00") {
                Some(rest) if !plus => rest.to_owned(),
                _ => digits,
            }
        };

        if digits.is_empty() {
            return Err(PhoneNumberError::TooShort);
        }
        if digits.starts_with('0') {
            return Err(PhoneNumberError::InvalidCountryCode);
        }
        if let Some(nsn) = digits.strip_prefix(SWEDEN) {
            let nsn = nsn.strip_prefix('0').unwrap_or(nsn);
            if nsn.starts_with('0') {
                return Err(PhoneNumberError::InvalidCountryCode);
            }
            return match nsn.len() {
                0..=6 => Err(PhoneNumberError::TooShort),
                7..=9 => Ok(PhoneNumber(format!("{SWEDEN}{nsn}"))),
                _ => Err(PhoneNumberError::TooLong),
            };
        }
        // +7 (Russia, Kazakhstan) has exactly ten digits after the code. Bare digits that start with 7 and
        // miss that are a Swedish mobile typed without its 0 (`701234567`): read as +7 they would send the
        // SMS abroad, so they are refused as a country code the person did not mean.
        if let Some(nsn) = digits.strip_prefix('7') {
            let bare = !plus && !all_digits.starts_with("00");
            return match nsn.len() {
                10 => Ok(PhoneNumber(digits)),
                _ if bare => Err(PhoneNumberError::InvalidCountryCode),
                0..=9 => Err(PhoneNumberError::TooShort),
                _ => Err(PhoneNumberError::TooLong),
            };
        }
        match digits.len() {
            0..=7 => Err(PhoneNumberError::TooShort),
            8..=15 => Ok(PhoneNumber(digits)),
            _ => Err(PhoneNumberError::TooLong),
        }
    }

    /// The E.164 digits without `+`, e.g. `"46701234567"`: the form for storage and comparison.
    pub fn digits(&self) -> &str {
        &self.0
    }

    /// `"+46701234567"`: the form SMS gateways and `tel:` links expect.
    pub fn e164(&self) -> String {
        format!("+{}", self.0)
    }

    /// The country calling code, e.g. `"46"`; from the ITU prefix structure (codes are prefix-free),
    /// without a per-country table.
    pub fn country_code(&self) -> &str {
        let len = country_code_len(self.0.as_bytes());
        self.0.get(..len).unwrap_or("")
    }

    pub fn is_swedish(&self) -> bool {
        self.0.starts_with(SWEDEN)
    }

    /// Swedish mobile ranges 070, 072, 073, 076 and 079 (eight digits after the 7x prefix); the other
    /// 07x ranges are paging and machine-to-machine numbers that cannot receive a person's SMS.
    pub fn is_swedish_mobile(&self) -> bool {
        let b = self.0.as_bytes();
        b.len() == 11
            && b.starts_with(b"467")
            && matches!(b.get(3), Some(b'0' | b'2' | b'3' | b'6' | b'9'))
    }

    /// `"+46 ••• •• 67"`: the country code and the last two digits, with a fixed number of bullets.
    ///
    /// Enough for a person to recognise their own number on screen or for an agent to confirm
    /// "ending in 67"; the fixed pattern does not reveal the number's length either.
    pub fn masked(&self) -> String {
        let last_two = self.0.get(self.0.len().saturating_sub(2)..).unwrap_or("");
        format!("+{} ••• •• {last_two}", self.country_code())
    }
}

/// Removes every `(0)` that follows at least one digit: the trunk prefix some countries print after
/// the country code (`+44 (0)20 …`). A leading `(0)` is left alone, as it then is the number's start.
fn drop_trunk_zero_groups(compact: &str) -> String {
    let mut out = String::with_capacity(compact.len());
    let mut rest = compact;
    while let Some(pos) = crate::text::find(rest, "(0)") {
        let (before, after) = rest.split_at(pos);
        out.push_str(before);
        if !out.chars().any(|c| c.is_ascii_digit()) {
            out.push_str("(0)");
        }
        rest = after.get(3..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// Length of the E.164 country code at the start of `digits`: 1 for 1 and 7, 2 for the two-digit
/// codes, 3 for everything else (ITU-T E.164 assignment structure).
fn country_code_len(digits: &[u8]) -> usize {
    let len = match digits {
        [b'1' | b'7', ..] => 1,
        [b'2', b'0' | b'7', ..]
        | [b'3', b'0'..=b'4' | b'6' | b'9', ..]
        | [b'4', b'0' | b'1' | b'3'..=b'9', ..]
        | [b'5', b'1'..=b'8', ..]
        | [b'6', b'0'..=b'6', ..]
        | [b'8', b'1' | b'2' | b'4' | b'6', ..]
        | [b'9', b'0'..=b'5' | b'8', ..] => 2,
        _ => 3,
    };
    len.min(digits.len())
}

/// E.164 with `+`, like [`PhoneNumber::e164`].
impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "+{}", self.0)
    }
}

impl Serialize for PhoneNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Validates with [`PhoneNumber::parse`], so anything a person may type is accepted and normalised;
/// what we serialize (E.164) always parses back to the same number.
impl<'de> Deserialize<'de> for PhoneNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn digits(s: &str) -> Result<String, PhoneNumberError> {
        PhoneNumber::parse(s).map(|p| p.digits().to_owned())
    }

    fn phone(s: &str) -> PhoneNumber {
        PhoneNumber::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn every_documented_form_gives_the_same_digits() {
        for input in [
            "070-123 45 67",
            "0701234567",
            "+46701234567",
            "0046701234567",
            "46701234567",
            "+46 (0)70-123 45 67",
            "070.123.45.67",
            "070/123 45 67",
            "(070) 123 45 67",
            " 070-1234567 ",
            "+46 70 123 45 67",
            "+46-70-123-45-67",
            "0046 (0)70 123 45 67",
            "070\u{a0}123\u{a0}45\u{a0}67",
        ] {
            assert_eq!(digits(input).as_deref(), Ok("46701234567"), "{input:?}");
        }
    }

    #[test]
    fn a_trunk_zero_after_plus_46_is_forgiven() {
        assert_eq!(digits("+46 070-123 45 67").as_deref(), Ok("46701234567"));
        assert_eq!(digits("0046 070 123 45 67").as_deref(), Ok("46701234567"));
        assert_eq!(
            digits("+46 00 70 123 45 67"),
            Err(PhoneNumberError::InvalidCountryCode)
        );
    }

    #[test]
    fn swedish_landlines_have_seven_to_nine_digits() {
        assert_eq!(digits("08-123 456").as_deref(), Ok("468123456"));
        assert_eq!(digits("08-123 456 78").as_deref(), Ok("46812345678"));
        assert_eq!(digits("031-12 34 56").as_deref(), Ok("4631123456"));
        assert_eq!(digits("08-12 34 5"), Err(PhoneNumberError::TooShort));
        assert_eq!(digits("070-123 45 67 8"), Err(PhoneNumberError::TooLong));
        assert_eq!(digits("+46 1234567890"), Err(PhoneNumberError::TooLong));
        assert_eq!(digits("0"), Err(PhoneNumberError::TooShort));
    }

    #[test]
    fn a_swedish_mobile_without_its_zero_is_not_sent_to_russia() {
        assert_eq!(
            digits("701234567"),
            Err(PhoneNumberError::InvalidCountryCode)
        );
        assert_eq!(
            digits("70-123 45 67"),
            Err(PhoneNumberError::InvalidCountryCode)
        );
        assert_eq!(digits("+7 01234567"), Err(PhoneNumberError::TooShort));
        assert_eq!(digits("+7 916 123 45 678"), Err(PhoneNumberError::TooLong));
        assert_eq!(digits("+7 916 123-45-67").as_deref(), Ok("79161234567"));
        assert_eq!(digits("79161234567").as_deref(), Ok("79161234567"));
        assert_eq!(digits("00 7 916 123 45 67").as_deref(), Ok("79161234567"));
        assert_eq!(digits("0070 123 45 67"), Err(PhoneNumberError::TooShort));
    }

    #[test]
    fn other_countries_follow_e164() {
        assert_eq!(digits("+47 912 34 567").as_deref(), Ok("4791234567"));
        assert_eq!(digits("+44 (0)20 7946 0958").as_deref(), Ok("442079460958"));
        assert_eq!(digits("+1 (415) 555-2671").as_deref(), Ok("14155552671"));
        assert_eq!(digits("0039 06 1234 5678").as_deref(), Ok("390612345678"));
        assert_eq!(digits("+358 40 1234567").as_deref(), Ok("358401234567"));
        assert_eq!(digits("+4712345"), Err(PhoneNumberError::TooShort));
        assert_eq!(digits("+47123456").as_deref(), Ok("47123456"));
        assert_eq!(digits("+123456789012345").as_deref(), Ok("123456789012345"));
        assert_eq!(digits("+1234567890123456"), Err(PhoneNumberError::TooLong));
    }

    #[test]
    fn a_country_code_cannot_start_with_zero() {
        assert_eq!(
            digits("+0701234567"),
            Err(PhoneNumberError::InvalidCountryCode)
        );
        assert_eq!(
            digits("000701234567"),
            Err(PhoneNumberError::InvalidCountryCode)
        );
        assert_eq!(
            digits("+(0)46701234567"),
            Err(PhoneNumberError::InvalidCountryCode)
        );
        assert_eq!(digits("00"), Err(PhoneNumberError::TooShort));
    }

    #[test]
    fn a_leading_paren_zero_is_the_national_prefix() {
        assert_eq!(digits("(0)70-123 45 67").as_deref(), Ok("46701234567"));
    }

    #[test]
    fn invalid_characters_are_named() {
        assert_eq!(
            digits("070-123 45 6x"),
            Err(PhoneNumberError::InvalidCharacter('x'))
        );
        assert_eq!(
            digits("070+1234567"),
            Err(PhoneNumberError::InvalidCharacter('+'))
        );
        assert_eq!(
            digits("++46701234567"),
            Err(PhoneNumberError::InvalidCharacter('+'))
        );
        assert_eq!(
            digits("070–123 45 67"),
            Err(PhoneNumberError::InvalidCharacter('–'))
        );
        assert_eq!(
            digits("٠٧٠١٢٣٤٥٦٧"),
            Err(PhoneNumberError::InvalidCharacter('٠'))
        );
        assert_eq!(
            digits("tel:0701234567"),
            Err(PhoneNumberError::InvalidCharacter('t'))
        );
    }

    #[test]
    fn blank_or_digitless_input_is_empty() {
        for input in ["", "   ", "+", "()", " - / . "] {
            assert_eq!(digits(input), Err(PhoneNumberError::Empty), "{input:?}");
        }
    }

    #[test]
    fn accessors() {
        let p = phone("070-123 45 67");
        assert_eq!(p.digits(), "46701234567");
        assert_eq!(p.e164(), "+46701234567");
        assert_eq!(p.to_string(), "+46701234567");
        assert_eq!(p.country_code(), "46");
        assert!(p.is_swedish());
        assert!(p.is_swedish_mobile());
        assert_eq!(p.masked(), "+46 ••• •• 67");
    }

    #[test]
    fn swedish_mobile_ranges() {
        for mobile in [
            "070-123 45 67",
            "072-123 45 67",
            "073-123 45 67",
            "076-123 45 67",
            "079-123 45 67",
        ] {
            assert!(phone(mobile).is_swedish_mobile(), "{mobile}");
        }
        for other in [
            "071-123 45 67",
            "074-123 45 67",
            "075-123 45 67",
            "08-123 456 78",
            "077-123 456",
        ] {
            assert!(!phone(other).is_swedish_mobile(), "{other}");
        }
        assert!(!phone("+47 912 34 567").is_swedish());
        assert!(!phone("+47 912 34 567").is_swedish_mobile());
    }

    #[test]
    fn masked_keeps_the_country_code() {
        assert_eq!(phone("+1 415 555 2671").masked(), "+1 ••• •• 71");
        assert_eq!(phone("+358 40 1234567").masked(), "+358 ••• •• 67");
        assert_eq!(phone("+44 20 7946 0958").masked(), "+44 ••• •• 58");
        assert_eq!(phone("08-123 456").masked(), "+46 ••• •• 56");
    }

    #[test]
    fn country_code_lengths() {
        for (number, cc) in [
            ("+14155552671", "1"),
            ("+79161234567", "7"),
            ("+201001234567", "20"),
            ("+27821234567", "27"),
            ("+212612345678", "212"),
            ("+4791234567", "47"),
            ("+420601123456", "420"),
            ("+353851234567", "353"),
            ("+393123456789", "39"),
            ("+551199998888", "55"),
            ("+85212345678", "852"),
            ("+8613912345678", "86"),
            ("+9715012345678", "971"),
            ("+989121234567", "98"),
        ] {
            assert_eq!(phone(number).country_code(), cc, "{number}");
        }
    }

    #[test]
    fn serde_uses_e164_and_validates() {
        let p = phone("070-123 45 67");
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"+46701234567\"");
        assert_eq!(
            serde_json::from_str::<PhoneNumber>("\"+46701234567\"").unwrap(),
            p
        );
        for bad in ["\"+4670\"", "\"abc\"", "46701234567", "null"] {
            assert!(serde_json::from_str::<PhoneNumber>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn codes_and_messages() {
        for (error, code) in [
            (PhoneNumberError::Empty, "empty"),
            (PhoneNumberError::InvalidCharacter('x'), "invalid_character"),
            (PhoneNumberError::TooShort, "too_short"),
            (PhoneNumberError::TooLong, "too_long"),
            (PhoneNumberError::InvalidCountryCode, "invalid_country_code"),
        ] {
            assert_eq!(error.code(), code);
            assert!(error.to_string().ends_with('.'));
        }
    }

    #[test]
    fn drop_trunk_zero_groups_only_after_a_digit() {
        assert_eq!(drop_trunk_zero_groups("46(0)70"), "4670");
        assert_eq!(drop_trunk_zero_groups("(0)70"), "(0)70");
        assert_eq!(drop_trunk_zero_groups("()(0)7(0)0"), "()(0)70");
        // The kept leading "(0)" is a digit, so a second group follows one.
        assert_eq!(drop_trunk_zero_groups("(0)(0)"), "(0)");
    }

    // ---- property tests ----

    /// A Swedish national significant number: 7–9 digits, the first not 0.
    fn swedish_nsn() -> impl Strategy<Value = String> {
        "[1-9][0-9]{6,8}"
    }

    /// Interleaves `digits` with separators picked by `seps`, as a person might type them.
    fn spaced(digits: &str, seps: &[usize]) -> String {
        const SEPARATORS: [&str; 7] = ["", "", " ", "-", ".", "/", "\u{a0}"];
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 {
                out.push_str(SEPARATORS[seps.get(i).copied().unwrap_or(0) % SEPARATORS.len()]);
            }
            out.push(c);
        }
        out
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in any::<String>()) {
            let _ = PhoneNumber::parse(&s);
        }

        #[test]
        fn parse_never_panics_on_phone_like_input(s in "[0-9 ()+\\-./]{0,24}") {
            if let Ok(p) = PhoneNumber::parse(&s) {
                prop_assert_eq!(PhoneNumber::parse(&p.to_string()), Ok(p.clone()));
                prop_assert!((8..=15).contains(&p.digits().len()));
            }
        }

        #[test]
        fn swedish_numbers_normalise_the_same_in_every_form(
            nsn in swedish_nsn(),
            seps in prop::collection::vec(0usize..100, 12),
        ) {
            let expected = format!("46{nsn}");
            let national = format!("0{nsn}");
            let area_len = 2.min(nsn.len());
            let forms = [
                spaced(&national, &seps),
                format!("+46 {}", spaced(&nsn, &seps)),
                format!("0046 {}", spaced(&nsn, &seps)),
                format!("46{}", spaced(&nsn, &seps)),
                format!("+46 (0){}", spaced(&nsn, &seps)),
                format!("+46 0{}", spaced(&nsn, &seps)),
                format!("(0{}) {}", &nsn[..area_len], spaced(&nsn[area_len..], &seps)),
            ];
            for form in forms {
                let p = PhoneNumber::parse(&form);
                prop_assert_eq!(p.as_ref().map(|p| p.digits()), Ok(expected.as_str()), "{:?}", form);
            }
            let p = phone(&national);
            prop_assert_eq!(PhoneNumber::parse(&p.to_string()), Ok(p.clone()));
            let json = serde_json::to_string(&p).unwrap();
            prop_assert_eq!(serde_json::from_str::<PhoneNumber>(&json).unwrap(), p.clone());
            prop_assert!(p.is_swedish());
            prop_assert!(p.masked().starts_with("+46 ") && p.masked().ends_with(&nsn[nsn.len() - 2..]));
        }

        #[test]
        fn international_numbers_normalise_the_same_in_every_form(
            e164 in "[1-9][0-9]{7,14}",
            seps in prop::collection::vec(0usize..100, 16),
        ) {
            prop_assume!(!e164.starts_with("46"));
            // +7 has its own length rule (a_swedish_mobile_without_its_zero_is_not_sent_to_russia).
            prop_assume!(!e164.starts_with('7') || e164.len() == 11);
            for form in [format!("+{}", spaced(&e164, &seps)), format!("00{}", spaced(&e164, &seps)), spaced(&e164, &seps)] {
                let p = PhoneNumber::parse(&form);
                prop_assert_eq!(p.as_ref().map(|p| p.digits()), Ok(e164.as_str()), "{:?}", form);
            }
            let p = phone(&e164);
            prop_assert_eq!(PhoneNumber::parse(&p.to_string()), Ok(p.clone()));
            prop_assert!(e164.starts_with(p.country_code()));
            prop_assert!(!p.is_swedish());
        }

        #[test]
        fn lengths_outside_the_rules_are_refused(nsn in "[1-9][0-9]{0,5}|[1-9][0-9]{9,20}") {
            let expected = if nsn.len() < 7 { PhoneNumberError::TooShort } else { PhoneNumberError::TooLong };
            prop_assert_eq!(PhoneNumber::parse(&format!("0{nsn}")), Err(expected));
        }
    }
}
