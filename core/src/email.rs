//! Email addresses, validated pragmatically.
//!
//! Full RFC 5322 accepts quoted local parts, comments and IP literals that no person types into a form
//! and few mail systems deliver to. The rules here accept what real addresses look like (including
//! internationalised domains and local parts) and refuse the typos people actually make: a missing `@`,
//! a space, a doubled dot, a missing top-level domain.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why an email address was refused. `Display` is for the person who typed it; [`EmailError::code`] is
/// the stable key for translations and logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("Enter an email address.")]
    Empty,
    #[error("An email address needs an @, as in name@example.com.")]
    MissingAt,
    #[error("An email address has only one @.")]
    MultipleAt,
    #[error(
        "The part before the @ is not valid: check for spaces, special characters or misplaced dots."
    )]
    InvalidLocalPart,
    #[error("The part after the @ is not a valid domain, such as example.com.")]
    InvalidDomain,
    #[error("This email address is too long.")]
    TooLong,
}

impl EmailError {
    /// Stable snake_case identifier; never changes once released, unlike the `Display` text.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::MissingAt => "missing_at",
            Self::MultipleAt => "multiple_at",
            Self::InvalidLocalPart => "invalid_local_part",
            Self::InvalidDomain => "invalid_domain",
            Self::TooLong => "too_long",
        }
    }
}

/// Lowercases a domain's ASCII and Latin-1 letters (A–Z, À–Þ: the Nordic and most Western European ones)
/// and keeps the rest as typed. Mail systems compare domains case-insensitively anyway; this is only for a
/// tidy, comparable form. Full Unicode case mapping (`str::to_lowercase`) would pull its tables into the
/// widget: 7.4 KB gzip of its 100 KB budget (DESIGN.md §8) for scripts a Swedish contact centre rarely sees.
fn lowercase_domain(domain: &str) -> String {
    domain
        .chars()
        .map(|c| match c {
            'A'..='Z' | 'À'..='Þ' if c != '×' => {
                char::from_u32(u32::from(c) + 0x20).unwrap_or(c)
            }
            _ => c,
        })
        .collect()
}

/// A plausible email address: trimmed, domain lowercased (ASCII and Latin-1 letters), local part kept exactly
/// as typed (it is case-sensitive in principle, and some systems still treat it so).
///
/// Invariant: exactly one `@`, and both sides pass the rules of [`Email::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

const MAX_TOTAL: usize = 254;
const MAX_LOCAL: usize = 64;
const MAX_DOMAIN: usize = 253;
const MAX_LABEL: usize = 63;

impl Email {
    /// Parses an address as typed.
    ///
    /// Lengths are counted in characters (RFC 5321 counts octets of the ASCII form; for internationalised
    /// domains that would need punycode, which is more machinery than this check is worth).
    /// Order of checks: `@` count, lengths, local part, domain.
    pub fn parse(input: &str) -> Result<Email, EmailError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(EmailError::Empty);
        }
        let Some((local, domain)) = trimmed.split_once('@') else {
            return Err(EmailError::MissingAt);
        };
        if domain.contains('@') {
            return Err(EmailError::MultipleAt);
        }
        let domain = lowercase_domain(domain);
        let (local_len, domain_len) = (local.chars().count(), domain.chars().count());
        if local_len > MAX_LOCAL
            || domain_len > MAX_DOMAIN
            || local_len + 1 + domain_len > MAX_TOTAL
        {
            return Err(EmailError::TooLong);
        }
        if !is_valid_local_part(local) {
            return Err(EmailError::InvalidLocalPart);
        }
        if !is_valid_domain(&domain) {
            return Err(EmailError::InvalidDomain);
        }
        Ok(Email(format!("{local}@{domain}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The lowercased domain, e.g. for allow- and block-lists.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, domain)| domain)
    }

    /// `"a•••@example.com"`: the first character of the local part, a fixed three bullets, the domain.
    ///
    /// Lets a person recognise which of their addresses is meant without revealing the rest or its
    /// length.
    pub fn masked(&self) -> String {
        let first = self.0.chars().next().unwrap_or('•');
        format!("{first}•••@{}", self.domain())
    }
}

fn is_valid_local_part(local: &str) -> bool {
    const FORBIDDEN: &[char] = &['<', '>', '(', ')', ',', ';', ':', '\\', '"', '[', ']'];
    !local.is_empty()
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !crate::text::contains(local, "..")
        && !local
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || FORBIDDEN.contains(&c))
}

/// At least two labels of letters (any script, for internationalised domains), ASCII digits and
/// inner hyphens; a top-level domain that is not all digits, which also keeps IPv4 addresses out.
fn is_valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |label: &&str| {
        let len = label.chars().count();
        (1..=MAX_LABEL).contains(&len)
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .chars()
                .all(|c| c.is_alphabetic() || c.is_ascii_digit() || c == '-')
    };
    let tld_ok = labels
        .last()
        .is_some_and(|tld| !tld.chars().all(|c| c.is_ascii_digit()));
    labels.len() >= 2 && labels.iter().all(label_ok) && tld_ok
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Email {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Validates with [`Email::parse`] (which also trims and lowercases the domain).
impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(s: &str) -> Result<String, EmailError> {
        Email::parse(s).map(|e| e.as_str().to_owned())
    }

    #[test]
    fn ordinary_addresses_are_accepted() {
        for ok in [
            "anna@example.com",
            "anna.andersson@example.co.uk",
            "anna+legit@example.se",
            "a@b.co",
            "first_last-1@sub-domain.example.org",
            "user@123.example",
            "x@xn--rksmrgs-5wao1o.se",
            "o'brien@example.ie",
            "!#$%&'*+/=?^_`{|}~-@example.com",
        ] {
            assert_eq!(parse(ok).as_deref(), Ok(ok), "{ok}");
        }
    }

    #[test]
    fn unicode_letters_are_allowed() {
        assert_eq!(
            parse("åsa@räksmörgås.se").as_deref(),
            Ok("åsa@räksmörgås.se")
        );
        assert_eq!(parse("用户@例子.广告").as_deref(), Ok("用户@例子.广告"));
        assert_eq!(parse("test@пример.рф").as_deref(), Ok("test@пример.рф"));
    }

    #[test]
    fn trims_and_lowercases_only_the_domain() {
        assert_eq!(
            parse("  Anna.Andersson@Example.COM \n").as_deref(),
            Ok("Anna.Andersson@example.com")
        );
        assert_eq!(parse("Ö@RÄKSMÖRGÅS.SE").as_deref(), Ok("Ö@räksmörgås.se"));
        assert_eq!(parse("Anna@ÆRØ-CAFÉ.DK").as_deref(), Ok("Anna@ærø-café.dk"));
        // Every capital up to Þ maps as Unicode maps it; others stay as typed.
        for c in ('A'..='Þ').filter(|c| c.is_uppercase()) {
            assert_eq!(
                lowercase_domain(&c.to_string()),
                c.to_lowercase().to_string(),
                "{c}"
            );
        }
        assert_eq!(lowercase_domain("ŁÓDŹ.PL"), "ŁódŹ.pl");
    }

    #[test]
    fn at_sign_count() {
        assert_eq!(parse(""), Err(EmailError::Empty));
        assert_eq!(parse(" \t "), Err(EmailError::Empty));
        assert_eq!(parse("anna.example.com"), Err(EmailError::MissingAt));
        assert_eq!(parse("anna＠example.com"), Err(EmailError::MissingAt));
        assert_eq!(parse("anna@@example.com"), Err(EmailError::MultipleAt));
        assert_eq!(parse("a@b@example.com"), Err(EmailError::MultipleAt));
        assert_eq!(parse("\"a@b\"@example.com"), Err(EmailError::MultipleAt));
    }

    #[test]
    fn bad_local_parts() {
        for bad in [
            "@example.com",
            ".anna@example.com",
            "anna.@example.com",
            "an..na@example.com",
            "an na@example.com",
            "an\tna@example.com",
            "an\u{0}na@example.com",
            "<anna>@example.com",
            "anna(x)@example.com",
            "a,b@example.com",
            "a;b@example.com",
            "a:b@example.com",
            "a\\b@example.com",
            "\"anna\"@example.com",
            "[a]@example.com",
            "anna\u{a0}x@example.com",
        ] {
            assert_eq!(parse(bad), Err(EmailError::InvalidLocalPart), "{bad:?}");
        }
    }

    #[test]
    fn bad_domains() {
        for bad in [
            "anna@",
            "anna@example",
            "anna@.example.com",
            "anna@example.com.",
            "anna@example..com",
            "anna@-example.com",
            "anna@example-.com",
            "anna@exa_mple.com",
            "anna@exa mple.com",
            "anna@192.168.0.1",
            "anna@[192.168.0.1]",
            "anna@example.123",
            "anna@example.com>",
            "anna@example。com",
        ] {
            assert_eq!(parse(bad), Err(EmailError::InvalidDomain), "{bad:?}");
        }
    }

    #[test]
    fn length_limits() {
        let local64 = "a".repeat(64);
        assert!(parse(&format!("{local64}@example.com")).is_ok());
        assert_eq!(
            parse(&format!("a{local64}@example.com")),
            Err(EmailError::TooLong)
        );

        let label63 = "b".repeat(63);
        assert!(parse(&format!("a@{label63}.com")).is_ok());
        assert_eq!(
            parse(&format!("a@b{label63}.com")),
            Err(EmailError::InvalidDomain)
        );

        // 4 labels of 63 + ".c" = 255 > 253 characters of domain.
        let long_domain = format!("{label63}.{label63}.{label63}.{label63}.c");
        assert_eq!(parse(&format!("a@{long_domain}")), Err(EmailError::TooLong));

        // Domain of exactly 253 with a 1-char local part: 255 in total, over 254.
        let domain253 = format!("{label63}.{label63}.{label63}.{}.se", "b".repeat(58));
        assert_eq!(domain253.len(), 253);
        assert_eq!(parse(&format!("a@{domain253}")), Err(EmailError::TooLong));
        let domain252 = format!("{label63}.{label63}.{label63}.{}.se", "b".repeat(57));
        assert!(parse(&format!("a@{domain252}")).is_ok());

        // Counted in characters, not bytes.
        assert!(parse(&format!("{}@example.com", "å".repeat(64))).is_ok());
    }

    #[test]
    fn accessors_and_masking() {
        let e = Email::parse("Anna@Example.com").unwrap();
        assert_eq!(e.as_str(), "Anna@example.com");
        assert_eq!(e.to_string(), "Anna@example.com");
        assert_eq!(e.domain(), "example.com");
        assert_eq!(e.masked(), "A•••@example.com");
        assert_eq!(
            Email::parse("a@example.com").unwrap().masked(),
            "a•••@example.com"
        );
        assert_eq!(
            Email::parse("åsa@räksmörgås.se").unwrap().masked(),
            "å•••@räksmörgås.se"
        );
    }

    #[test]
    fn serde_uses_the_string_and_validates() {
        let e = Email::parse("anna@example.com").unwrap();
        assert_eq!(serde_json::to_string(&e).unwrap(), "\"anna@example.com\"");
        assert_eq!(
            serde_json::from_str::<Email>("\"anna@EXAMPLE.com\"").unwrap(),
            e
        );
        for bad in ["\"anna\"", "\"anna@example\"", "1", "null"] {
            assert!(serde_json::from_str::<Email>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn codes_and_messages() {
        for (error, code) in [
            (EmailError::Empty, "empty"),
            (EmailError::MissingAt, "missing_at"),
            (EmailError::MultipleAt, "multiple_at"),
            (EmailError::InvalidLocalPart, "invalid_local_part"),
            (EmailError::InvalidDomain, "invalid_domain"),
            (EmailError::TooLong, "too_long"),
        ] {
            assert_eq!(error.code(), code);
            assert!(error.to_string().ends_with('.'));
        }
    }

    // ---- property tests ----

    fn local_part() -> impl Strategy<Value = String> {
        "[A-Za-z0-9!#$%&'*+/=?^_`{|}~åäöÅÄÖ-]{1,20}(\\.[A-Za-z0-9_+-]{1,10}){0,3}"
    }

    fn domain() -> impl Strategy<Value = String> {
        "([a-z0-9åäöü]([a-z0-9åäöü-]{0,10}[a-z0-9åäöü])?\\.){1,4}[a-zåäö][a-z0-9]{1,10}"
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in any::<String>()) {
            if let Ok(e) = Email::parse(&s) {
                prop_assert_eq!(Email::parse(e.as_str()), Ok(e.clone()));
                prop_assert_eq!(e.as_str().matches('@').count(), 1);
            }
        }

        #[test]
        fn parse_never_panics_on_email_like_input(s in "[a-zA-Z0-9@. \\-_åÅ]{0,30}") {
            if let Ok(e) = Email::parse(&s) {
                prop_assert_eq!(Email::parse(&e.to_string()), Ok(e.clone()));
            }
        }

        #[test]
        fn valid_addresses_round_trip(local in local_part(), domain in domain(), upper in any::<bool>()) {
            let typed_domain = if upper { domain.to_uppercase() } else { domain.clone() };
            let e = Email::parse(&format!(" {local}@{typed_domain} "));
            prop_assert!(e.is_ok(), "{}@{}: {:?}", local, typed_domain, e);
            let e = e.unwrap();
            prop_assert_eq!(e.as_str(), format!("{local}@{domain}"));
            prop_assert_eq!(e.domain(), domain.as_str());
            prop_assert_eq!(Email::parse(&e.to_string()), Ok(e.clone()));
            let json = serde_json::to_string(&e).unwrap();
            prop_assert_eq!(serde_json::from_str::<Email>(&json).unwrap(), e.clone());
            let masked_tail = format!("•••@{domain}");
            prop_assert!(e.masked().ends_with(&masked_tail));
        }
    }
}
