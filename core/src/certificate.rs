//! When the RP certificate stops working: the one fact the edge reads from it, for `/healthz` (DESIGN.md §4).
//!
//! Once BankID's RP certificate expires, every order is refused, so operators watch its days to expiry. The
//! Worker reaches BankID through an `[[mtls_certificates]]` binding that never shows the certificate, so the
//! edge is also given the certificate's public PEM and reads `notAfter` from it. Reading one field of
//! X.509 takes a small DER walk, not an X.509 crate in the Worker's bundle.

use base64::Engine;
use thiserror::Error;

use crate::date::Date;

/// Why a certificate's expiry could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CertificateError {
    #[error("not a PEM certificate (no \"-----BEGIN CERTIFICATE-----\" block)")]
    NotPem,
    #[error("the PEM block is not valid base64")]
    NotBase64,
    #[error("not an X.509 certificate: {0}")]
    NotX509(&'static str),
}

/// How long the certificate has, as `/healthz` tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// More than [`Expiry::WARN_DAYS`] left.
    Ok,
    /// Renew now: a new RP certificate comes from the bank, which takes time.
    Expiring,
    /// BankID refuses every request.
    Expired,
}

impl Expiry {
    /// Days before `notAfter` from which the certificate is reported as expiring.
    pub const WARN_DAYS: i64 = 30;

    /// The state at `now_secs` (unix seconds) of a certificate valid until `not_after_secs`.
    pub fn at(not_after_secs: i64, now_secs: i64) -> Expiry {
        if now_secs >= not_after_secs {
            Expiry::Expired
        } else if days_left(not_after_secs, now_secs) < Self::WARN_DAYS {
            Expiry::Expiring
        } else {
            Expiry::Ok
        }
    }

    /// The wire spelling: `ok`, `expiring` or `expired`.
    pub fn as_str(self) -> &'static str {
        match self {
            Expiry::Ok => "ok",
            Expiry::Expiring => "expiring",
            Expiry::Expired => "expired",
        }
    }
}

/// Whole days from `now_secs` until `not_after_secs`, rounded down: 0 on the last day, negative once past.
pub fn days_left(not_after_secs: i64, now_secs: i64) -> i64 {
    not_after_secs.saturating_sub(now_secs).div_euclid(86_400)
}

/// A `notAfter` as RFC 3339 UTC (`2028-12-07T12:34:56Z`), as `/healthz` and the admin page show it.
pub fn utc_text(not_after_secs: i64) -> String {
    crate::links_api::rfc3339_utc(
        u64::try_from(not_after_secs)
            .unwrap_or(0)
            .saturating_mul(1_000),
    )
}

/// `notAfter` (unix seconds) of the first certificate in `pem`: the leaf, when a chain follows it.
pub fn not_after(pem: &str) -> Result<i64, CertificateError> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let start = pem.find(BEGIN).ok_or(CertificateError::NotPem)? + BEGIN.len();
    let len = pem[start..].find(END).ok_or(CertificateError::NotPem)?;
    let text: String = pem[start..start + len]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| CertificateError::NotBase64)?;
    not_after_der(&der)
}

/// `notAfter` of a DER certificate: Certificate → tbsCertificate → (version, serialNumber, signature,
/// issuer) → validity → notAfter (RFC 5280 §4.1).
pub fn not_after_der(der: &[u8]) -> Result<i64, CertificateError> {
    let not_x509 = CertificateError::NotX509;
    let (certificate, _) = tlv(der, SEQUENCE).ok_or(not_x509("no certificate sequence"))?;
    let (tbs, _) = tlv(certificate, SEQUENCE).ok_or(not_x509("no tbsCertificate"))?;
    let mut rest = tbs;
    if rest.first() == Some(&VERSION) {
        rest = tlv(rest, VERSION).ok_or(not_x509("bad version"))?.1;
    }
    for (tag, what) in [
        (INTEGER, "no serial number"),
        (SEQUENCE, "no signature algorithm"),
        (SEQUENCE, "no issuer"),
    ] {
        rest = tlv(rest, tag).ok_or(not_x509(what))?.1;
    }
    let (validity, _) = tlv(rest, SEQUENCE).ok_or(not_x509("no validity"))?;
    let after_not_before = match validity.first() {
        Some(&tag @ (UTC_TIME | GENERALIZED_TIME)) => tlv(validity, tag),
        _ => None,
    }
    .ok_or(not_x509("no notBefore"))?
    .1;
    let tag = *after_not_before.first().ok_or(not_x509("no notAfter"))?;
    let (time, _) = tlv(after_not_before, tag).ok_or(not_x509("no notAfter"))?;
    parse_time(tag, time).ok_or(not_x509("notAfter is not an RFC 5280 time"))
}

const INTEGER: u8 = 0x02;
const SEQUENCE: u8 = 0x30;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;
/// `[0] EXPLICIT Version`.
const VERSION: u8 = 0xa0;

/// The value of the DER element at the start of `input` if its tag is `tag`, and what follows the element.
/// `None` for another tag, an indefinite or over-long length, or a value running past the input.
fn tlv(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&found, rest) = input.split_first()?;
    if found != tag {
        return None;
    }
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        // Long form: the low bits count the length's bytes; four cover any certificate.
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let (bytes, after) = rest.split_at(count);
        rest = after;
        bytes
            .iter()
            .fold(0usize, |len, &b| (len << 8) | usize::from(b))
    };
    (rest.len() >= len).then(|| rest.split_at(len))
}

/// RFC 5280 §4.1.2.5: `YYMMDDHHMMSSZ` (UTCTime, years 1950–2049) or `YYYYMMDDHHMMSSZ` (GeneralizedTime),
/// always in UTC with seconds.
fn parse_time(tag: u8, text: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(text).ok()?;
    let digits = text.strip_suffix('Z')?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (year, rest) = match (tag, digits.len()) {
        (UTC_TIME, 12) => {
            let yy: i32 = digits[..2].parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &digits[2..])
        }
        (GENERALIZED_TIME, 14) => (digits[..4].parse().ok()?, &digits[4..]),
        _ => return None,
    };
    let field = |i: usize| rest[i..i + 2].parse::<u8>().ok();
    let (month, day, hour, minute, second) =
        (field(0)?, field(2)?, field(4)?, field(6)?, field(8)?);
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let date = Date::new(year, month, day)?;
    Some(
        date.to_unix_days() * 86_400
            + i64::from(hour) * 3_600
            + i64::from(minute) * 60
            + i64::from(second),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Test certificates made with OpenSSL 3.0 (`openssl ca -selfsign -startdate 20260101000000Z`, a P-256
    /// key, CN=legit-test). This one is v3 (it has the optional `[0] version` and extensions) and its
    /// `-enddate 20281207123456Z` is a UTCTime.
    const UTC_CERT: &str = include_str!("../testdata/utc-time.pem");
    /// A v1 certificate (no version field) with `-enddate 20510101000000Z`: after 2049 RFC 5280 requires
    /// GeneralizedTime.
    const GENERALIZED_CERT: &str = include_str!("../testdata/generalized-time.pem");

    fn unix(year: i32, month: u8, day: u8, h: i64, m: i64, s: i64) -> i64 {
        Date::new(year, month, day).unwrap().to_unix_days() * 86_400 + h * 3_600 + m * 60 + s
    }

    #[test]
    fn reads_not_after_as_utc_time_and_as_generalized_time() {
        assert_eq!(not_after(UTC_CERT), Ok(unix(2028, 12, 7, 12, 34, 56)));
        assert_eq!(not_after(GENERALIZED_CERT), Ok(unix(2051, 1, 1, 0, 0, 0)));
    }

    #[test]
    fn the_leaf_counts_when_a_chain_follows_and_text_around_it_is_ignored() {
        let chain = format!("subject=CN=legit-test\n{UTC_CERT}\n{GENERALIZED_CERT}");
        assert_eq!(not_after(&chain), Ok(unix(2028, 12, 7, 12, 34, 56)));
    }

    #[test]
    fn what_is_not_a_certificate_says_so() {
        assert_eq!(not_after(""), Err(CertificateError::NotPem));
        assert_eq!(
            not_after("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"),
            Err(CertificateError::NotPem)
        );
        assert_eq!(
            not_after("-----BEGIN CERTIFICATE-----\n@@@@\n-----END CERTIFICATE-----"),
            Err(CertificateError::NotBase64)
        );
        assert!(matches!(
            not_after("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----"),
            Err(CertificateError::NotX509(_))
        ));
        // A certificate cut short anywhere is refused, never read past its end.
        let der = pem_der(UTC_CERT);
        for len in 0..der.len() {
            assert!(not_after_der(&der[..len]).is_err(), "cut at {len}");
        }
    }

    #[test]
    fn times_follow_rfc_5280() {
        assert_eq!(
            parse_time(UTC_TIME, b"491231235959Z"),
            Some(unix(2049, 12, 31, 23, 59, 59))
        );
        assert_eq!(
            parse_time(UTC_TIME, b"500101000000Z"),
            Some(unix(1950, 1, 1, 0, 0, 0))
        );
        for bad in [
            &b"2812071234Z"[..],  // no seconds
            b"281207123456",      // not UTC
            b"281207123456+0100", // an offset
            b"281307123456Z",     // month 13
            b"280230123456Z",     // 30 February
            b"281207243456Z",     // hour 24
            b"28120712345aZ",     // not digits
        ] {
            assert_eq!(
                parse_time(UTC_TIME, bad),
                None,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(parse_time(GENERALIZED_TIME, b"281207123456Z"), None);
        assert_eq!(parse_time(UTC_TIME, b"20281207123456Z"), None);
    }

    #[test]
    fn expiry_counts_whole_days_and_warns_a_month_ahead() {
        let end = unix(2028, 12, 7, 12, 34, 56);
        assert_eq!(days_left(end, end - 86_400 * 31), 31);
        assert_eq!(days_left(end, end - 1), 0);
        assert_eq!(days_left(end, end + 1), -1);
        assert_eq!(Expiry::at(end, end - 86_400 * 30), Expiry::Ok);
        assert_eq!(Expiry::at(end, end - 86_400 * 30 + 1), Expiry::Expiring);
        assert_eq!(Expiry::at(end, end - 1), Expiry::Expiring);
        assert_eq!(Expiry::at(end, end), Expiry::Expired);
        assert_eq!(
            [Expiry::Ok, Expiry::Expiring, Expiry::Expired].map(Expiry::as_str),
            ["ok", "expiring", "expired"]
        );
    }

    fn pem_der(pem: &str) -> Vec<u8> {
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap()
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = not_after_der(&bytes);
        }

        #[test]
        fn never_panics_on_a_damaged_certificate(at in 0usize..400, byte in any::<u8>()) {
            let mut der = pem_der(UTC_CERT);
            let at = at % der.len();
            der[at] = byte;
            let _ = not_after_der(&der);
        }
    }
}
