//! Verification links (DESIGN.md §3, §5): the reference number an agent reads and types, the token in the
//! URL the customer opens, and the life of one link.
//!
//! Randomness and time come in as arguments, like everywhere in core: the edge draws the bytes
//! (`getrandom`) and reads the clock, this module decides.
//!
//! - A [`ReferenceNumber`] (`K7QX-M4TR`) names a link for look-up by an authenticated agent. It is not a
//!   capability: knowing it opens nothing without an agent session.
//! - A [`LinkToken`] (22 URL-safe characters, 128 random bits) is the capability in
//!   `https://<edge>/v/<token>`. The edge keeps only its [`LinkTokenHash`], so a copy of the storage
//!   cannot be turned into working links.
//! - [`LinkState`] is one link's life: pending until opened once, expired if never opened in time, withdrawn
//!   when the agent who sent it takes it back.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};

use crate::rfa::Lang;

/// How long a link can be opened when the tenant does not say otherwise (DESIGN.md §5): 15 minutes.
pub const DEFAULT_LINK_TTL_MS: u64 = 15 * 60 * 1_000;

// ---------------------------------------------------------------------------------------------------------
// Reference number

/// The characters of a reference number: Crockford's base 32 without `0` and `1`.
///
/// Crockford already leaves out `I`, `L`, `O` and `U` (the first three look like digits, `U` avoids
/// accidental words); without `0` and `1` no character left can be mistaken for another one, whichever
/// way round it was misread. 30 symbols, so a character carries log2(30) ≈ 4.91 bits.
pub const REFERENCE_ALPHABET: &[u8; 30] = b"23456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Characters in a reference number, not counting the group dash.
pub const REFERENCE_LEN: usize = 8;

/// Letters and digits that are never part of a reference number (see [`REFERENCE_ALPHABET`]).
const EXCLUDED: &[u8] = b"01ILOU";

/// Why a typed reference number was refused. `Display` is for the agent who typed it; [`code`] is the stable
/// key.
///
/// [`code`]: ReferenceError::code
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("Enter a reference number.")]
    Empty,
    #[error(
        "Reference numbers never contain '{}': the digits 0 and 1 and the letters I, L, O and U are left \
         out so that no two characters look alike. Check the reference for a typo.",
        .0.escape_debug()
    )]
    ExcludedCharacter(char),
    #[error(
        "A reference number has only letters and digits, like K7QX-M4TR; '{}' is not allowed.",
        .0.escape_debug()
    )]
    InvalidCharacter(char),
    #[error("A reference number has 8 letters and digits; this one has {chars}.")]
    WrongLength { chars: usize },
}

impl ReferenceError {
    /// Stable snake_case identifier; never changes once released, unlike the `Display` text.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::ExcludedCharacter(_) => "excluded_character",
            Self::InvalidCharacter(_) => "invalid_character",
            Self::WrongLength { .. } => "wrong_length",
        }
    }
}

/// A link's reference number: 8 characters of [`REFERENCE_ALPHABET`], shown as two groups of four
/// (`K7QX-M4TR`).
///
/// **Entropy:** 30⁸ ≈ 6.6 × 10¹¹ values, 39.3 bits. That is plenty for a name that only an authenticated
/// agent of the same tenant can look up while the result is retained (minutes): it is a label, not a
/// secret. It is not unique by construction: the edge must treat a reference that is already in use as a
/// collision and draw new bytes (with a million live links, one draw in 650 000 collides).
///
/// Invariant: exactly 8 bytes, each in [`REFERENCE_ALPHABET`]. Private field, so only
/// [`ReferenceNumber::from_random`] and [`ReferenceNumber::parse`] create one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReferenceNumber(String);

impl ReferenceNumber {
    /// Builds a reference number from 8 random bytes (the caller draws them).
    ///
    /// The bytes are read as one 64-bit number and written in base 30, lowest digit last. 2⁶⁴ is not a
    /// multiple of 30⁸, so some values are more likely than others, by at most 30⁸ / 2⁶⁴ ≈ 3.6 × 10⁻⁸
    /// relative: no practical bias.
    pub fn from_random(bytes: [u8; 8]) -> ReferenceNumber {
        let mut value = u64::from_be_bytes(bytes);
        let mut chars = [0u8; REFERENCE_LEN];
        for slot in chars.iter_mut().rev() {
            let index = (value % 30) as usize;
            *slot = REFERENCE_ALPHABET[index];
            value /= 30;
        }
        ReferenceNumber(chars.iter().map(|&b| char::from(b)).collect())
    }

    /// Reads a reference number as an agent types or pastes it.
    ///
    /// Case does not matter; spaces and dashes (also the typographic ones a word processor puts in) may
    /// stand anywhere. A character from the excluded set (`0 1 I L O U`) gets its own error, since it
    /// means the reference was misread, not mistyped.
    pub fn parse(input: &str) -> Result<ReferenceNumber, ReferenceError> {
        let mut out = String::with_capacity(REFERENCE_LEN);
        let mut count = 0usize;
        for c in input.chars() {
            if c.is_whitespace() || matches!(c, '-' | '‐' | '‑' | '‒' | '–' | '—' | '−')
            {
                continue;
            }
            if !c.is_ascii_alphanumeric() {
                return Err(ReferenceError::InvalidCharacter(c));
            }
            let upper = c.to_ascii_uppercase() as u8;
            if EXCLUDED.contains(&upper) {
                return Err(ReferenceError::ExcludedCharacter(c));
            }
            count += 1;
            if count <= REFERENCE_LEN {
                out.push(char::from(upper));
            }
        }
        match count {
            0 => Err(ReferenceError::Empty),
            REFERENCE_LEN => Ok(ReferenceNumber(out)),
            chars => Err(ReferenceError::WrongLength { chars }),
        }
    }

    /// The 8 characters without the dash, e.g. `"K7QXM4TR"`: the key for storage (a Durable Object name).
    pub fn compact(&self) -> &str {
        &self.0
    }

    /// The entropy of a reference number in bits (8 · log2 30).
    pub fn entropy_bits() -> f64 {
        REFERENCE_LEN as f64 * (REFERENCE_ALPHABET.len() as f64).log2()
    }
}

/// `K7QX-M4TR`: the form people read; also the JSON form.
impl fmt::Display for ReferenceNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (a, b) = self.0.split_at(REFERENCE_LEN / 2);
        write!(f, "{a}-{b}")
    }
}

impl Serialize for ReferenceNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Validates with [`ReferenceNumber::parse`], so either form (and lowercase) is accepted.
impl<'de> Deserialize<'de> for ReferenceNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

// ---------------------------------------------------------------------------------------------------------
// Link token

/// Characters of a [`LinkToken`]: 16 bytes in unpadded base64url.
pub const LINK_TOKEN_LEN: usize = 22;

/// Why the token in a `/v/<token>` URL was refused before any look-up. The customer sees one page for all of
/// these ("this link is not valid"); the code is for logs and tests.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkTokenError {
    #[error("The link has no token.")]
    Empty,
    #[error("A link token has 22 characters; this one has {chars}.")]
    WrongLength { chars: usize },
    #[error("A link token has only letters, digits, '-' and '_'; '{}' is not allowed.", .0.escape_debug())]
    InvalidCharacter(char),
    #[error("This is not a token the edge issued (its last character is impossible).")]
    NotCanonical,
}

impl LinkTokenError {
    /// Stable snake_case identifier.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::WrongLength { .. } => "wrong_length",
            Self::InvalidCharacter(_) => "invalid_character",
            Self::NotCanonical => "not_canonical",
        }
    }
}

/// The capability in a link URL: 128 random bits as 22 base64url characters (no padding).
///
/// Never stored and never logged: `Debug` is redacted, there is no `Display`, and storage keeps
/// [`LinkToken::hash`]. [`LinkToken::as_str`] is for building the URL only.
#[derive(Clone, PartialEq, Eq)]
pub struct LinkToken {
    bytes: [u8; 16],
    text: String,
}

impl fmt::Debug for LinkToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LinkToken(..)")
    }
}

impl LinkToken {
    /// A token from 16 random bytes (the caller draws them).
    pub fn from_random(bytes: [u8; 16]) -> LinkToken {
        LinkToken {
            bytes,
            text: B64.encode(bytes),
        }
    }

    /// Reads the token from a URL path segment, checking its shape before anything is looked up.
    ///
    /// Only the exact form [`LinkToken::from_random`] produces is accepted: 22 characters of the base64url
    /// alphabet whose last character carries no stray bits. So a token has one spelling and one hash.
    pub fn parse(input: &str) -> Result<LinkToken, LinkTokenError> {
        if input.is_empty() {
            return Err(LinkTokenError::Empty);
        }
        if let Some(bad) = input
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Err(LinkTokenError::InvalidCharacter(bad));
        }
        if input.len() != LINK_TOKEN_LEN {
            return Err(LinkTokenError::WrongLength { chars: input.len() });
        }
        let decoded = B64
            .decode(input)
            .map_err(|_| LinkTokenError::NotCanonical)?;
        let bytes: [u8; 16] = decoded
            .try_into()
            .map_err(|_| LinkTokenError::NotCanonical)?;
        Ok(LinkToken {
            bytes,
            text: input.to_owned(),
        })
    }

    /// The 22 characters, for the URL.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// `{public_base}/v/{token}`, e.g. `https://legit.example.com/v/<token>`; a trailing `/` on the base is
    /// ignored.
    pub fn url(&self, public_base: &str) -> String {
        format!("{}/v/{}", public_base.trim_end_matches('/'), self.text)
    }

    /// What storage keeps instead of the token: SHA-256 of the 16 token bytes.
    ///
    /// A plain hash is enough (no salt, no slow hash): the input has 128 random bits, so there is nothing to
    /// guess from the hash.
    pub fn hash(&self) -> LinkTokenHash {
        LinkTokenHash(Sha256::digest(self.bytes).into())
    }
}

/// SHA-256 of a link token; the only form of the token the edge stores. Text form: 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct LinkTokenHash([u8; 32]);

impl LinkTokenHash {
    /// Reads the stored hex form back. `None` for anything but 64 hex digits.
    pub fn parse_hex(text: &str) -> Option<LinkTokenHash> {
        if text.len() != 64 {
            return None;
        }
        let bytes = hex::decode(text).ok()?;
        bytes.try_into().ok().map(LinkTokenHash)
    }

    /// 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Whether `token` is the one this hash was made from, in time independent of where they differ.
    pub fn verify(&self, token: &LinkToken) -> bool {
        constant_time_eq(&self.0, &token.hash().0)
    }
}

impl fmt::Debug for LinkTokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LinkTokenHash({})", self.to_hex())
    }
}

impl Serialize for LinkTokenHash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for LinkTokenHash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Self::parse_hex(&s)
            .ok_or_else(|| serde::de::Error::custom("a link token hash is 64 hex digits"))
    }
}

/// Equality of two byte strings whose running time does not depend on where they differ (only on the
/// length, which is public here).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

// ---------------------------------------------------------------------------------------------------------
// A link's life

/// Where a link stands, as the agent's widget shows it (`GET /api/v1/links/{reference}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LinkStatus {
    /// Sent; the customer has not opened it yet.
    Pending,
    /// The customer opened it; the BankID order runs.
    Opened,
    /// Identified.
    Complete,
    /// The order failed or was cancelled; the link cannot be used again.
    Failed,
    /// Never opened within its lifetime.
    Expired,
    /// The agent took it back (sent to the wrong number, say): it cannot be opened, and the order it had
    /// started was cancelled.
    Withdrawn,
}

impl LinkStatus {
    /// The wire spelling, e.g. `"opened"`.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkStatus::Pending => "pending",
            LinkStatus::Opened => "opened",
            LinkStatus::Complete => "complete",
            LinkStatus::Failed => "failed",
            LinkStatus::Expired => "expired",
            LinkStatus::Withdrawn => "withdrawn",
        }
    }

    /// Nothing more will happen to the link.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            LinkStatus::Complete | LinkStatus::Failed | LinkStatus::Expired | LinkStatus::Withdrawn
        )
    }
}

/// Why the customer page refuses a link. Each has a page text in Swedish, English and bokmål that says what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkRefusal {
    /// The token has a wrong shape or no link has it (also: deleted after retention).
    Unknown,
    /// Already opened once.
    Used,
    /// Not opened in time.
    Expired,
    /// Taken back by whoever sent it.
    Withdrawn,
}

impl LinkRefusal {
    pub const ALL: [LinkRefusal; 4] = [
        LinkRefusal::Unknown,
        LinkRefusal::Used,
        LinkRefusal::Expired,
        LinkRefusal::Withdrawn,
    ];

    /// The refusal a [`LinkRefusal::code`] names, as the link's object answers it to the Worker.
    pub fn from_code(code: &str) -> Option<LinkRefusal> {
        LinkRefusal::ALL.into_iter().find(|r| r.code() == code)
    }

    /// Stable snake_case identifier.
    pub fn code(self) -> &'static str {
        match self {
            LinkRefusal::Unknown => "link_unknown",
            LinkRefusal::Used => "link_used",
            LinkRefusal::Expired => "link_expired",
            LinkRefusal::Withdrawn => "link_withdrawn",
        }
    }

    /// HTTP status for the page: 404 for unknown, 410 Gone for used, expired and withdrawn.
    pub fn http_status(self) -> u16 {
        match self {
            LinkRefusal::Unknown => 404,
            LinkRefusal::Used | LinkRefusal::Expired | LinkRefusal::Withdrawn => 410,
        }
    }

    /// The page heading.
    pub fn title(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (LinkRefusal::Unknown, Lang::Sv) => "Länken fungerar inte",
            (LinkRefusal::Unknown, Lang::En) => "This link does not work",
            (LinkRefusal::Used, Lang::Sv) => "Länken är redan använd",
            (LinkRefusal::Used, Lang::En) => "This link has already been used",
            (LinkRefusal::Expired, Lang::Sv) => "Länken har gått ut",
            (LinkRefusal::Expired, Lang::En) => "This link has expired",
            (LinkRefusal::Withdrawn, Lang::Sv) => "Länken har dragits tillbaka",
            (LinkRefusal::Withdrawn, Lang::En) => "This link has been withdrawn",
            (LinkRefusal::Unknown, Lang::Nb) => "Lenken virker ikke",
            (LinkRefusal::Used, Lang::Nb) => "Lenken er allerede brukt",
            (LinkRefusal::Expired, Lang::Nb) => "Lenken har gått ut",
            (LinkRefusal::Withdrawn, Lang::Nb) => "Lenken er trukket tilbake",
        }
    }

    /// What to do now, one or two sentences.
    pub fn advice(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (LinkRefusal::Unknown, Lang::Sv) => {
                "Kontrollera att du öppnade hela länken från sms:et eller e-postmeddelandet. \
                 Fungerar den ändå inte, be den du pratar med om en ny länk."
            }
            (LinkRefusal::Unknown, Lang::En) => {
                "Check that you opened the whole link from the text message or e-mail. \
                 If it still does not work, ask the person you are talking to for a new link."
            }
            (LinkRefusal::Used, Lang::Sv) => {
                "En länk kan bara användas en gång. Behöver du identifiera dig igen, \
                 be den du pratar med om en ny länk."
            }
            (LinkRefusal::Used, Lang::En) => {
                "A link can only be used once. If you need to identify yourself again, \
                 ask the person you are talking to for a new link."
            }
            (LinkRefusal::Expired, Lang::Sv) => {
                "Av säkerhetsskäl gäller länken bara en kort stund. \
                 Be den du pratar med om en ny länk."
            }
            (LinkRefusal::Expired, Lang::En) => {
                "For your security a link is only valid for a short while. \
                 Ask the person you are talking to for a new link."
            }
            (LinkRefusal::Withdrawn, Lang::Sv) => {
                "Den som skickade länken har dragit tillbaka den, så den kan inte användas. \
                 Be den du pratar med om en ny länk om du behöver identifiera dig."
            }
            (LinkRefusal::Withdrawn, Lang::En) => {
                "Whoever sent this link has withdrawn it, so it cannot be used. \
                 Ask the person you are talking to for a new link if you need to identify yourself."
            }
            (LinkRefusal::Unknown, Lang::Nb) => {
                "Kontroller at du åpnet hele lenken fra SMS-en eller e-posten. \
                 Virker den fortsatt ikke, be den du snakker med om en ny lenke."
            }
            (LinkRefusal::Used, Lang::Nb) => {
                "En lenke kan bare brukes én gang. Må du identifisere deg på nytt, \
                 be den du snakker med om en ny lenke."
            }
            (LinkRefusal::Expired, Lang::Nb) => {
                "Av sikkerhetshensyn er lenken bare gyldig en kort stund. \
                 Be den du snakker med om en ny lenke."
            }
            (LinkRefusal::Withdrawn, Lang::Nb) => {
                "Den som sendte lenken, har trukket den tilbake, så den kan ikke brukes. \
                 Be den du snakker med om en ny lenke hvis du må identifisere deg."
            }
        }
    }
}

/// One link's state, kept by the edge's link object next to the token hash. All times are unix ms.
///
/// Single use: the first [`LinkState::open`] consumes the link. A browser that comes back to the page
/// (iOS Safari reloads the tab on return from the BankID app, BANKID.md §7) must therefore resume through
/// something the first open handed it (a cookie bound to the order), not through the token again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkState {
    pub created_ms: u64,
    pub expires_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opened_ms: Option<u64>,
    /// Set once the order behind the link ended: `Some(true)` complete, `Some(false)` failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<bool>,
    /// When the agent withdrew it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn_ms: Option<u64>,
}

impl LinkState {
    /// A link created at `now_ms` that can be opened for `ttl_ms`.
    pub fn new(now_ms: u64, ttl_ms: u64) -> LinkState {
        LinkState {
            created_ms: now_ms,
            expires_ms: now_ms.saturating_add(ttl_ms),
            opened_ms: None,
            outcome: None,
            withdrawn_ms: None,
        }
    }

    /// The status at `now_ms`. Expiry only applies to a link nobody opened: once opened, the BankID order
    /// has its own lifetime. An order that completed before its withdrawal reached BankID did identify
    /// someone, so complete stands over withdrawn; the failure a withdrawal causes reads as withdrawn.
    pub fn status(&self, now_ms: u64) -> LinkStatus {
        if self.withdrawn_ms.is_some() && self.outcome != Some(true) {
            return LinkStatus::Withdrawn;
        }
        match (self.opened_ms, self.outcome) {
            (_, Some(true)) => LinkStatus::Complete,
            (_, Some(false)) => LinkStatus::Failed,
            (Some(_), None) => LinkStatus::Opened,
            (None, None) if now_ms >= self.expires_ms => LinkStatus::Expired,
            (None, None) => LinkStatus::Pending,
        }
    }

    /// The customer opens the link at `now_ms`: allowed once, before expiry.
    pub fn open(&mut self, now_ms: u64) -> Result<(), LinkRefusal> {
        match self.status(now_ms) {
            LinkStatus::Pending => {
                self.opened_ms = Some(now_ms);
                Ok(())
            }
            LinkStatus::Expired => Err(LinkRefusal::Expired),
            LinkStatus::Withdrawn => Err(LinkRefusal::Withdrawn),
            LinkStatus::Opened | LinkStatus::Complete | LinkStatus::Failed => {
                Err(LinkRefusal::Used)
            }
        }
    }

    /// Whether the browser running the link's order may hand the link to a new order of its own (it
    /// started over, on another device say): only while the link is open; otherwise why not, as a start
    /// through it would be told, so a link withdrawn meanwhile reads as withdrawn, not as used.
    pub fn may_switch(&self, now_ms: u64) -> Result<(), LinkRefusal> {
        match self.status(now_ms) {
            LinkStatus::Opened => Ok(()),
            LinkStatus::Expired => Err(LinkRefusal::Expired),
            LinkStatus::Withdrawn => Err(LinkRefusal::Withdrawn),
            LinkStatus::Pending | LinkStatus::Complete | LinkStatus::Failed => {
                Err(LinkRefusal::Used)
            }
        }
    }

    /// The agent withdraws the link at `now_ms`. `Ok(true)` when it was opened, so its order runs and must
    /// be cancelled; a link that is already final stays as it is (`Err` with its status).
    pub fn withdraw(&mut self, now_ms: u64) -> Result<bool, LinkStatus> {
        match self.status(now_ms) {
            LinkStatus::Pending => {
                self.withdrawn_ms = Some(now_ms);
                Ok(false)
            }
            LinkStatus::Opened => {
                self.withdrawn_ms = Some(now_ms);
                Ok(true)
            }
            done => Err(done),
        }
    }

    /// The order behind the opened link ended. Only the first outcome counts; a link never opened has no
    /// order, so nothing changes.
    pub fn finish(&mut self, complete: bool) {
        if self.opened_ms.is_some() && self.outcome.is_none() {
            self.outcome = Some(complete);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reference(s: &str) -> Result<String, ReferenceError> {
        ReferenceNumber::parse(s).map(|r| r.to_string())
    }

    #[test]
    fn the_alphabet_has_no_look_alikes_and_no_repeats() {
        for excluded in "01ILOU".bytes() {
            assert!(!REFERENCE_ALPHABET.contains(&excluded));
        }
        let mut sorted = REFERENCE_ALPHABET.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 30);
        assert!(REFERENCE_ALPHABET.iter().all(u8::is_ascii_alphanumeric));
        assert!(REFERENCE_ALPHABET.iter().all(|b| !b.is_ascii_lowercase()));
        let bits = ReferenceNumber::entropy_bits();
        assert!((39.2..39.3).contains(&bits), "{bits}");
    }

    #[test]
    fn from_random_spans_the_alphabet_and_is_deterministic() {
        assert_eq!(
            ReferenceNumber::from_random([0; 8]).to_string(),
            "2222-2222"
        );
        // 29 · 30⁰ + 1 · 30¹ → last two digits 'Z' and '3'.
        let mut b = [0u8; 8];
        b[7] = 59;
        assert_eq!(ReferenceNumber::from_random(b).compact(), "2222223Z");
        let r = ReferenceNumber::from_random([0xff; 8]);
        assert_eq!(r, ReferenceNumber::from_random([0xff; 8]));
        assert_ne!(r, ReferenceNumber::from_random([0xfe; 8]));
        assert_eq!(r.compact().len(), 8);
    }

    #[test]
    fn parse_forgives_case_spaces_and_dashes() {
        for typed in [
            "K7QX-M4TR",
            "k7qx-m4tr",
            "K7QXM4TR",
            " k7qx m4tr ",
            "K7-QX-M4-TR",
            "K7QX–M4TR",
            "K7QX\u{a0}M4TR",
        ] {
            assert_eq!(reference(typed).as_deref(), Ok("K7QX-M4TR"), "{typed:?}");
        }
        assert_eq!(
            ReferenceNumber::parse("k7qx-m4tr").unwrap().compact(),
            "K7QXM4TR"
        );
    }

    #[test]
    fn parse_names_what_is_wrong() {
        assert_eq!(reference(""), Err(ReferenceError::Empty));
        assert_eq!(reference(" - - "), Err(ReferenceError::Empty));
        assert_eq!(
            reference("K7QX-M4T0"),
            Err(ReferenceError::ExcludedCharacter('0'))
        );
        assert_eq!(
            reference("k7qx-m4tl"),
            Err(ReferenceError::ExcludedCharacter('l'))
        );
        for c in ['O', 'o', 'I', 'i', '1', 'U'] {
            assert_eq!(
                reference(&format!("K7QX-M4T{c}")),
                Err(ReferenceError::ExcludedCharacter(c))
            );
        }
        assert_eq!(
            reference("K7QX/M4TR"),
            Err(ReferenceError::InvalidCharacter('/'))
        );
        assert_eq!(
            reference("K7QX-M4TÄ"),
            Err(ReferenceError::InvalidCharacter('Ä'))
        );
        assert_eq!(
            reference("K7QX-M4T"),
            Err(ReferenceError::WrongLength { chars: 7 })
        );
        assert_eq!(
            reference("K7QX-M4TRR"),
            Err(ReferenceError::WrongLength { chars: 9 })
        );
    }

    #[test]
    fn reference_errors_have_codes_and_sentences() {
        for (e, code) in [
            (ReferenceError::Empty, "empty"),
            (ReferenceError::ExcludedCharacter('O'), "excluded_character"),
            (ReferenceError::InvalidCharacter('/'), "invalid_character"),
            (ReferenceError::WrongLength { chars: 3 }, "wrong_length"),
        ] {
            assert_eq!(e.code(), code);
            assert!(e.to_string().ends_with('.'), "{e}");
        }
        assert!(
            ReferenceError::ExcludedCharacter('O')
                .to_string()
                .contains("'O'")
        );
    }

    #[test]
    fn reference_serde_is_the_grouped_form() {
        let r = ReferenceNumber::parse("K7QXM4TR").unwrap();
        assert_eq!(serde_json::to_string(&r).unwrap(), "\"K7QX-M4TR\"");
        assert_eq!(
            serde_json::from_str::<ReferenceNumber>("\"k7qxm4tr\"").unwrap(),
            r
        );
        assert!(serde_json::from_str::<ReferenceNumber>("\"K7QX-M4T0\"").is_err());
    }

    // A token from the tests of other implementations would not help: the format is ours. These bytes are
    // chosen so every base64url character class shows up.
    const BYTES: [u8; 16] = [
        0xfb, 0xff, 0xbf, 0x00, 0x10, 0x83, 0x10, 0x51, 0x87, 0x20, 0x92, 0x8b, 0x30, 0xd3, 0x8f,
        0x41,
    ];

    #[test]
    fn token_text_is_22_url_safe_characters() {
        let t = LinkToken::from_random(BYTES);
        assert_eq!(t.as_str(), "-_-_ABCDEFGHIJKLMNOPQQ");
        assert_eq!(LinkToken::parse(t.as_str()), Ok(t.clone()));
        assert_eq!(
            t.url("https://legit.example.com/"),
            "https://legit.example.com/v/-_-_ABCDEFGHIJKLMNOPQQ"
        );
        assert_eq!(
            t.url("https://legit.example.com"),
            t.url("https://legit.example.com/")
        );
    }

    #[test]
    fn token_parse_checks_shape_first() {
        assert_eq!(LinkToken::parse(""), Err(LinkTokenError::Empty));
        assert_eq!(
            LinkToken::parse("abc"),
            Err(LinkTokenError::WrongLength { chars: 3 })
        );
        assert_eq!(
            LinkToken::parse("AAAAAAAAAAAAAAAAAAAAAA="),
            Err(LinkTokenError::InvalidCharacter('='))
        );
        assert_eq!(
            LinkToken::parse("AAAAAAAAAAAAAAAAAAAA+A"),
            Err(LinkTokenError::InvalidCharacter('+'))
        );
        assert_eq!(
            LinkToken::parse("AAAAAAAAAAAAAAAAAAAAÅA"),
            Err(LinkTokenError::InvalidCharacter('Å'))
        );
        // The last character holds 2 bits of data and 4 zero bits: only A, Q, g and w are possible.
        assert!(LinkToken::parse("AAAAAAAAAAAAAAAAAAAAAw").is_ok());
        assert_eq!(
            LinkToken::parse("AAAAAAAAAAAAAAAAAAAAAB"),
            Err(LinkTokenError::NotCanonical)
        );
        for (e, code) in [
            (LinkTokenError::Empty, "empty"),
            (LinkTokenError::WrongLength { chars: 1 }, "wrong_length"),
            (LinkTokenError::InvalidCharacter('='), "invalid_character"),
            (LinkTokenError::NotCanonical, "not_canonical"),
        ] {
            assert_eq!(e.code(), code);
            assert!(e.to_string().ends_with('.'));
        }
    }

    #[test]
    fn the_token_never_shows_in_debug() {
        let t = LinkToken::from_random(BYTES);
        let debug = format!("{t:?} {:?}", Some(&t));
        assert!(!debug.contains(t.as_str()), "{debug}");
        assert!(!debug.contains("ABCDEF"), "{debug}");
    }

    #[test]
    fn hash_is_sha256_of_the_bytes_and_verifies_in_constant_time() {
        let t = LinkToken::from_random([0; 16]);
        // sha256 of 16 zero bytes (Python: hashlib.sha256(bytes(16)).hexdigest()).
        assert_eq!(
            t.hash().to_hex(),
            "374708fff7719dd5979ec875d56cd2286f6d3cf7ec317a3b25632aab28ec37bb"
        );
        let h = t.hash();
        assert!(h.verify(&t));
        assert!(!h.verify(&LinkToken::from_random(BYTES)));
        assert_eq!(LinkTokenHash::parse_hex(&h.to_hex()), Some(h));
        assert_eq!(LinkTokenHash::parse_hex("abc"), None);
        assert_eq!(LinkTokenHash::parse_hex(&"g".repeat(64)), None);
        assert_eq!(LinkTokenHash::parse_hex(&"é".repeat(32)), None);
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(serde_json::from_str::<LinkTokenHash>(&json).unwrap(), h);
        assert!(serde_json::from_str::<LinkTokenHash>("\"00\"").is_err());
    }

    #[test]
    fn constant_time_eq_is_equality() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    const T0: u64 = 1_700_000_000_000;

    #[test]
    fn a_link_opens_once_before_expiry() {
        let mut link = LinkState::new(T0, DEFAULT_LINK_TTL_MS);
        assert_eq!(link.expires_ms, T0 + 900_000);
        assert_eq!(link.status(T0), LinkStatus::Pending);
        assert_eq!(link.may_switch(T0), Err(LinkRefusal::Used), "never opened");
        assert_eq!(link.open(T0 + 899_999), Ok(()));
        assert_eq!(link.status(T0 + 899_999), LinkStatus::Opened);
        assert_eq!(
            link.may_switch(T0 + 10 * 900_000),
            Ok(()),
            "open until its order ends"
        );
        assert_eq!(link.open(T0 + 900_000), Err(LinkRefusal::Used));
        // Opened links do not expire; the order does.
        assert_eq!(link.status(T0 + 10 * 900_000), LinkStatus::Opened);
        link.finish(true);
        assert_eq!(link.status(T0 + 900_000), LinkStatus::Complete);
        assert_eq!(link.may_switch(T0 + 900_000), Err(LinkRefusal::Used));
        link.finish(false);
        assert_eq!(link.status(T0 + 900_000), LinkStatus::Complete);
        assert_eq!(link.open(T0 + 900_000), Err(LinkRefusal::Used));
    }

    #[test]
    fn an_unopened_link_expires() {
        let mut link = LinkState::new(T0, 1_000);
        assert_eq!(link.status(T0 + 999), LinkStatus::Pending);
        assert_eq!(link.status(T0 + 1_000), LinkStatus::Expired);
        assert_eq!(link.open(T0 + 1_000), Err(LinkRefusal::Expired));
        link.finish(true);
        assert_eq!(link.status(T0 + 1_000), LinkStatus::Expired);
        assert_eq!(LinkState::new(u64::MAX, 1).expires_ms, u64::MAX);
    }

    #[test]
    fn a_failed_order_fails_the_link() {
        let mut link = LinkState::new(T0, DEFAULT_LINK_TTL_MS);
        link.open(T0 + 1).unwrap();
        link.finish(false);
        assert_eq!(link.status(T0 + 2), LinkStatus::Failed);
        assert!(link.status(T0 + 2).is_final());
        let json = serde_json::to_value(link).unwrap();
        assert_eq!(serde_json::from_value::<LinkState>(json).unwrap(), link);
    }

    #[test]
    fn a_withdrawn_link_cannot_be_opened() {
        let mut link = LinkState::new(T0, DEFAULT_LINK_TTL_MS);
        assert_eq!(link.withdraw(T0 + 1), Ok(false), "nothing runs yet");
        assert_eq!(link.status(T0 + 2), LinkStatus::Withdrawn);
        assert!(link.status(T0 + 2).is_final());
        assert_eq!(link.open(T0 + 2), Err(LinkRefusal::Withdrawn));
        assert_eq!(link.withdraw(T0 + 3), Err(LinkStatus::Withdrawn));
        // Past its expiry it still says why it cannot be opened.
        assert_eq!(
            link.status(T0 + 2 * DEFAULT_LINK_TTL_MS),
            LinkStatus::Withdrawn
        );
        let json = serde_json::to_value(link).unwrap();
        assert_eq!(serde_json::from_value::<LinkState>(json).unwrap(), link);
        // Records stored before withdrawal existed read as never withdrawn.
        let old: LinkState =
            serde_json::from_str(r#"{"createdMs":1,"expiresMs":2,"openedMs":1}"#).unwrap();
        assert_eq!(old.withdrawn_ms, None);
    }

    #[test]
    fn withdrawing_an_opened_link_stops_its_order_unless_it_already_identified_someone() {
        let mut link = LinkState::new(T0, DEFAULT_LINK_TTL_MS);
        link.open(T0 + 1).unwrap();
        assert_eq!(
            link.withdraw(T0 + 2),
            Ok(true),
            "its order must be cancelled"
        );
        assert_eq!(link.status(T0 + 2), LinkStatus::Withdrawn);
        // A browser starting over just then is told the link was withdrawn, not that it was used.
        assert_eq!(link.may_switch(T0 + 2), Err(LinkRefusal::Withdrawn));
        // The cancelled order's end reads as the withdrawal it was.
        let mut cancelled = link;
        cancelled.finish(false);
        assert_eq!(cancelled.status(T0 + 3), LinkStatus::Withdrawn);
        // An order that completed before the withdrawal reached it did identify someone.
        link.finish(true);
        assert_eq!(link.status(T0 + 3), LinkStatus::Complete);
        assert_eq!(link.withdraw(T0 + 4), Err(LinkStatus::Complete));
        let mut expired = LinkState::new(T0, 1_000);
        assert_eq!(expired.withdraw(T0 + 1_000), Err(LinkStatus::Expired));
        assert_eq!(expired.withdrawn_ms, None);
    }

    #[test]
    fn statuses_and_refusals_have_wire_names_and_texts() {
        for s in [
            LinkStatus::Pending,
            LinkStatus::Opened,
            LinkStatus::Complete,
            LinkStatus::Failed,
            LinkStatus::Expired,
            LinkStatus::Withdrawn,
        ] {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert!(!LinkStatus::Opened.is_final());
        for r in LinkRefusal::ALL {
            // A new refusal must join ALL, or the Worker would read it as `link_unknown`.
            match r {
                LinkRefusal::Unknown
                | LinkRefusal::Used
                | LinkRefusal::Expired
                | LinkRefusal::Withdrawn => {}
            }
            assert_eq!(LinkRefusal::from_code(r.code()), Some(r));
            assert!(r.code().starts_with("link_"));
            assert!(matches!(r.http_status(), 404 | 410));
            for lang in Lang::ALL {
                assert!(!r.title(lang).is_empty());
                assert!(r.advice(lang).ends_with('.'));
            }
            assert_ne!(r.advice(Lang::Sv), r.advice(Lang::En));
            assert_ne!(r.advice(Lang::Nb), r.advice(Lang::Sv));
            assert_ne!(r.title(Lang::Nb), r.title(Lang::Sv));
        }
        assert_eq!(LinkRefusal::from_code("link_gone"), None);
    }

    proptest! {
        #[test]
        fn reference_parse_never_panics(s in any::<String>()) {
            if let Ok(r) = ReferenceNumber::parse(&s) {
                prop_assert_eq!(ReferenceNumber::parse(&r.to_string()), Ok(r.clone()));
                prop_assert!(r.compact().bytes().all(|b| REFERENCE_ALPHABET.contains(&b)));
            }
        }

        #[test]
        fn every_random_reference_round_trips(bytes in any::<[u8; 8]>(), lower in any::<bool>()) {
            let r = ReferenceNumber::from_random(bytes);
            prop_assert_eq!(r.compact().len(), REFERENCE_LEN);
            prop_assert!(r.compact().bytes().all(|b| REFERENCE_ALPHABET.contains(&b)));
            let shown = r.to_string();
            let typed = if lower { shown.to_lowercase() } else { shown.replace('-', " ") };
            prop_assert_eq!(ReferenceNumber::parse(&typed), Ok(r));
        }

        #[test]
        fn token_parse_never_panics(s in any::<String>()) {
            if let Ok(t) = LinkToken::parse(&s) {
                prop_assert_eq!(t.as_str(), s.as_str());
            }
        }

        #[test]
        fn token_parse_never_panics_on_token_like_text(s in "[A-Za-z0-9_=+/-]{20,24}") {
            if let Ok(t) = LinkToken::parse(&s) {
                let again = LinkToken::from_random(t.bytes);
                prop_assert_eq!(again.as_str(), s.as_str());
            }
        }

        #[test]
        fn every_random_token_round_trips(bytes in any::<[u8; 16]>()) {
            let t = LinkToken::from_random(bytes);
            prop_assert_eq!(t.as_str().len(), LINK_TOKEN_LEN);
            let parsed = LinkToken::parse(t.as_str());
            prop_assert_eq!(parsed.as_ref(), Ok(&t));
            prop_assert!(t.hash().verify(&parsed.unwrap()));
        }

        #[test]
        fn link_state_never_goes_back(ttl in 0u64..10_000, steps in prop::collection::vec((0u8..4, 0u64..5_000), 0..12)) {
            let mut link = LinkState::new(T0, ttl);
            let mut now = T0;
            let mut was_final = None;
            for (op, dt) in steps {
                now += dt;
                match op {
                    0 => { let _ = link.open(now); }
                    1 => link.finish(true),
                    2 => link.finish(false),
                    _ => { let _ = link.withdraw(now); }
                }
                let s = link.status(now);
                // The one change after a final status: the order of an opened link completed before its
                // withdrawal reached it.
                let raced = was_final == Some(LinkStatus::Withdrawn)
                    && s == LinkStatus::Complete
                    && link.opened_ms.is_some();
                if let Some(f) = was_final && !raced { prop_assert_eq!(s, f); }
                if s.is_final() { was_final = Some(s); }
            }
        }
    }
}
