//! Animated QR code content (BANKID.md §6).
//!
//! The QR changes every second and carries an HMAC of the elapsed seconds under `qrStartSecret`, so a
//! photo of the screen is useless a second later. The secret never leaves the RP backend, so this is
//! computed server-side (edge, simulator) and the browser only fetches the finished string. The simulator
//! uses [`parse_payload`] and [`verify`] to play the app's side.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const PREFIX: &str = "bankid.";
/// Hex digits of an HMAC-SHA256.
const AUTH_CODE_LEN: usize = 64;

/// Why a QR string is not a well-formed BankID QR payload. For logs and the simulator, not end users.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    #[error("QR content does not start with \"bankid.\"")]
    MissingPrefix,
    #[error(
        "QR content must be \"bankid.<token>.<time>.<code>\" with three fields after the prefix"
    )]
    WrongFieldCount,
    #[error("qrStartToken in the QR content must be non-empty letters, digits and '-'")]
    InvalidToken,
    #[error(
        "qrTime in the QR content must be a decimal number without leading zeros that fits in 64 bits"
    )]
    InvalidTime,
    #[error("qrAuthCode in the QR content must be 64 lowercase hex digits")]
    InvalidAuthCode,
}

impl QrError {
    /// Stable snake_case identifier, like the other error enums in core.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingPrefix => "missing_prefix",
            Self::WrongFieldCount => "wrong_field_count",
            Self::InvalidToken => "invalid_token",
            Self::InvalidTime => "invalid_time",
            Self::InvalidAuthCode => "invalid_auth_code",
        }
    }
}

/// The HMAC state keyed with the secret.
///
/// HMAC accepts keys of any length (longer ones are hashed first), so `new_from_slice` cannot fail;
/// its `Result` exists only because the `KeyInit` trait is shared with fixed-key-size algorithms.
fn keyed_mac(qr_start_secret: &str, qr_time: u64) -> HmacSha256 {
    let mut mac = match HmacSha256::new_from_slice(qr_start_secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(qr_time.to_string().as_bytes());
    mac
}

/// `qrAuthCode`: lowercase hex HMAC-SHA256 with the UTF-8 secret as key and the decimal `qr_time` as
/// message.
pub fn auth_code(qr_start_secret: &str, qr_time: u64) -> String {
    hex::encode(keyed_mac(qr_start_secret, qr_time).finalize().into_bytes())
}

/// The full QR content `bankid.<qrStartToken>.<qrTime>.<qrAuthCode>`.
///
/// `qr_time` is whole seconds since the auth/sign response arrived; the caller owns the clock.
pub fn payload(qr_start_token: &str, qr_start_secret: &str, qr_time: u64) -> String {
    format!(
        "{PREFIX}{qr_start_token}.{qr_time}.{}",
        auth_code(qr_start_secret, qr_time)
    )
}

/// A QR content string taken apart: what the BankID app would read from the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrPayload {
    pub qr_start_token: String,
    pub qr_time: u64,
    pub qr_auth_code: String,
}

/// Back to the QR content string, so a parsed payload prints exactly as it was scanned.
impl fmt::Display for QrPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{PREFIX}{}.{}.{}",
            self.qr_start_token, self.qr_time, self.qr_auth_code
        )
    }
}

/// Parses QR content strictly: the exact shape [`payload`] produces and nothing else, so that a
/// simulator built on it catches an RP that pads the time or upper-cases the code.
///
/// The token is checked for shape only (letters, digits, `-`; BankID issues UUIDs), not looked up:
/// matching it to an order is the caller's job.
pub fn parse_payload(s: &str) -> Result<QrPayload, QrError> {
    let rest = s.strip_prefix(PREFIX).ok_or(QrError::MissingPrefix)?;
    let mut fields = rest.split('.');
    let (Some(token), Some(time), Some(code), None) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        return Err(QrError::WrongFieldCount);
    };
    if token.is_empty()
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(QrError::InvalidToken);
    }
    let canonical_time = time == "0" || (!time.starts_with('0') && !time.is_empty());
    if !canonical_time || !time.bytes().all(|b| b.is_ascii_digit()) {
        return Err(QrError::InvalidTime);
    }
    let qr_time = time.parse::<u64>().map_err(|_| QrError::InvalidTime)?;
    if !is_lower_hex_auth_code(code) {
        return Err(QrError::InvalidAuthCode);
    }
    Ok(QrPayload {
        qr_start_token: token.to_owned(),
        qr_time,
        qr_auth_code: code.to_owned(),
    })
}

fn is_lower_hex_auth_code(code: &str) -> bool {
    code.len() == AUTH_CODE_LEN && code.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Whether `p.qr_auth_code` is the code for `p.qr_time` under `qr_start_secret`.
///
/// The comparison is constant-time (the `hmac` crate's `verify_slice`), so response timing reveals
/// nothing about how much of a forged code was right. Only the code's shape (length, lowercase hex) is
/// checked before, which is public anyway. The token is not covered by the HMAC: check that it belongs
/// to the order separately.
pub fn verify(p: &QrPayload, qr_start_secret: &str) -> bool {
    if !is_lower_hex_auth_code(&p.qr_auth_code) {
        return false;
    }
    let Ok(claimed) = hex::decode(&p.qr_auth_code) else {
        return false;
    };
    keyed_mac(qr_start_secret, p.qr_time)
        .verify_slice(&claimed)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TOKEN: &str = "67df3917-fa0d-44e5-b327-edcc928297f8";
    const SECRET: &str = "d28db9a7-4cde-429e-a983-359be676944c";

    /// BANKID.md §6.
    const VECTORS: [(u64, &str); 4] = [
        (
            0,
            "dc69358e712458a66a7525beef148ae8526b1c71610eff2c16cdffb4cdac9bf8",
        ),
        (
            1,
            "949d559bf23403952a94d103e67743126381eda00f0b3cbddbf7c96b1adcbce2",
        ),
        (
            2,
            "a9e5ec59cb4eee4ef4117150abc58fad7a85439a6a96ccbecc3668b41795b3f3",
        ),
        (
            10,
            "2822ca616ce1e64a1c171df69154ebc5adef4011244c867d6ad88a02db178962",
        ),
    ];

    /// BANKID.md §6, the three full strings.
    const QR_STRINGS: [&str; 3] = [
        "bankid.67df3917-fa0d-44e5-b327-edcc928297f8.0.dc69358e712458a66a7525beef148ae8526b1c71610eff2c16cdffb4cdac9bf8",
        "bankid.67df3917-fa0d-44e5-b327-edcc928297f8.1.949d559bf23403952a94d103e67743126381eda00f0b3cbddbf7c96b1adcbce2",
        "bankid.67df3917-fa0d-44e5-b327-edcc928297f8.10.2822ca616ce1e64a1c171df69154ebc5adef4011244c867d6ad88a02db178962",
    ];

    #[test]
    fn auth_codes_match_the_bankid_md_vectors() {
        for (time, code) in VECTORS {
            assert_eq!(auth_code(SECRET, time), code, "time {time}");
        }
    }

    #[test]
    fn payloads_match_the_bankid_md_strings() {
        assert_eq!(payload(TOKEN, SECRET, 0), QR_STRINGS[0]);
        assert_eq!(payload(TOKEN, SECRET, 1), QR_STRINGS[1]);
        assert_eq!(payload(TOKEN, SECRET, 10), QR_STRINGS[2]);
    }

    #[test]
    fn bankid_md_strings_parse_and_verify() {
        for (s, time) in QR_STRINGS.into_iter().zip([0, 1, 10]) {
            let p = parse_payload(s).unwrap();
            assert_eq!(p.qr_start_token, TOKEN);
            assert_eq!(p.qr_time, time);
            assert_eq!(p.qr_auth_code, auth_code(SECRET, time));
            assert_eq!(p.to_string(), s);
            assert!(verify(&p, SECRET));
            assert!(!verify(&p, "d28db9a7-4cde-429e-a983-359be676944d"));
            assert!(!verify(
                &QrPayload {
                    qr_time: time + 1,
                    ..p.clone()
                },
                SECRET
            ));
        }
    }

    #[test]
    fn verify_refuses_badly_shaped_codes() {
        let good = parse_payload(QR_STRINGS[0]).unwrap();
        for code in [
            good.qr_auth_code.to_uppercase(),
            good.qr_auth_code[..63].to_owned(),
            format!("{}0", good.qr_auth_code),
            String::new(),
            "zz".repeat(32),
        ] {
            assert!(
                !verify(
                    &QrPayload {
                        qr_auth_code: code.clone(),
                        ..good.clone()
                    },
                    SECRET
                ),
                "{code}"
            );
        }
    }

    #[test]
    fn parse_is_strict() {
        let code = VECTORS[0].1;
        let cases: [(String, QrError); 16] = [
            (format!("BankID.{TOKEN}.0.{code}"), QrError::MissingPrefix),
            (format!("{TOKEN}.0.{code}"), QrError::MissingPrefix),
            (format!(" bankid.{TOKEN}.0.{code}"), QrError::MissingPrefix),
            (format!("bankid.{TOKEN}.0"), QrError::WrongFieldCount),
            (
                format!("bankid.{TOKEN}.0.{code}.x"),
                QrError::WrongFieldCount,
            ),
            (
                format!("bankid.{TOKEN}.0.{code}."),
                QrError::WrongFieldCount,
            ),
            ("bankid.".to_owned(), QrError::WrongFieldCount),
            (format!("bankid..0.{code}"), QrError::InvalidToken),
            (format!("bankid.{TOKEN} .0.{code}"), QrError::InvalidToken),
            (format!("bankid.{TOKEN}.00.{code}"), QrError::InvalidTime),
            (format!("bankid.{TOKEN}.01.{code}"), QrError::InvalidTime),
            (format!("bankid.{TOKEN}.+1.{code}"), QrError::InvalidTime),
            (format!("bankid.{TOKEN}..{code}"), QrError::InvalidTime),
            (
                format!("bankid.{TOKEN}.18446744073709551616.{code}"),
                QrError::InvalidTime,
            ),
            (
                format!("bankid.{TOKEN}.0.{}", code.to_uppercase()),
                QrError::InvalidAuthCode,
            ),
            (
                format!("bankid.{TOKEN}.0.{}", &code[1..]),
                QrError::InvalidAuthCode,
            ),
        ];
        for (input, error) in cases {
            assert_eq!(parse_payload(&input), Err(error), "{input}");
        }
        let max = format!("bankid.{TOKEN}.18446744073709551615.{code}");
        assert_eq!(parse_payload(&max).map(|p| p.qr_time), Ok(u64::MAX));
    }

    #[test]
    fn error_codes_are_distinct() {
        let all = [
            QrError::MissingPrefix,
            QrError::WrongFieldCount,
            QrError::InvalidToken,
            QrError::InvalidTime,
            QrError::InvalidAuthCode,
        ];
        let codes: std::collections::HashSet<_> = all.iter().map(QrError::code).collect();
        assert_eq!(codes.len(), all.len());
    }

    #[test]
    fn empty_secret_still_works() {
        let p = parse_payload(&payload("t", "", 5)).unwrap();
        assert!(verify(&p, ""));
        assert!(!verify(&p, " "));
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in any::<String>()) {
            if let Ok(p) = parse_payload(&s) {
                prop_assert_eq!(p.to_string(), s);
            }
        }

        #[test]
        fn parse_never_panics_on_payload_like_input(s in "bankid\\.[a-f0-9.-]{0,80}") {
            let _ = parse_payload(&s);
        }

        #[test]
        fn generated_payloads_round_trip_and_verify(
            token in "[A-Za-z0-9-]{1,40}",
            secret in any::<String>(),
            other_secret in any::<String>(),
            time in any::<u64>(),
        ) {
            let s = payload(&token, &secret, time);
            let p = parse_payload(&s).unwrap();
            prop_assert_eq!(&p.qr_start_token, &token);
            prop_assert_eq!(p.qr_time, time);
            prop_assert_eq!(p.to_string(), s);
            prop_assert!(verify(&p, &secret));
            if other_secret != secret {
                prop_assert!(!verify(&p, &other_secret));
            }
            let other_time = QrPayload { qr_time: time.wrapping_add(1), ..p };
            prop_assert!(!verify(&other_time, &secret));
        }

        #[test]
        fn auth_code_is_64_lowercase_hex(secret in any::<String>(), time in any::<u64>()) {
            prop_assert!(is_lower_hex_auth_code(&auth_code(&secret, time)));
        }
    }
}
