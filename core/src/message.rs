//! What a verification link says: the SMS and e-mail texts in Swedish, English and bokmål, and the GSM-7 arithmetic
//! that decides how many SMS segments a text costs.
//!
//! ## Does the SMS fit one segment?
//! An SMS segment holds 160 GSM-7 septets, or 70 UTF-16 code units once any character outside GSM-7 forces
//! UCS-2. Swedish and Norwegian need no UCS-2: `å ä ö æ ø` and their capitals are all in the GSM 03.38 basic
//! table (as are `é ü`).
//! [`sms_text`] builds the text from the tenant's display name and the link URL and takes the first variant
//! that fits one segment:
//!
//! 1. `{name}: {call to action}\n{url}\n{validity and warning}`
//! 2. without the warning line;
//! 3. without the name (with the warning line);
//! 4. the call to action and the URL alone.
//!
//! With a 50-character URL (`https://legit.example.com/v/` + 22) the full Swedish text fits names of up to
//! 29 characters, the English one up to 23, the bokmål one up to 25 ([`SMS_NAME_BUDGET_SV`],
//! [`SMS_NAME_BUDGET_EN`], [`SMS_NAME_BUDGET_NB`]), counting
//! 2-septet characters (`€ [ ] { } \ ^ ~ |`) twice. A longer name first loses the warning line, then itself.
//! A name with a character outside GSM-7 (`Ł`, `ç`, an emoji, a curly quote) would force UCS-2 with a
//! 70-unit limit the URL alone nearly fills, so that name is dropped too. Only a URL too long for even
//! variant 4 (more than about 130 characters) sends more than one segment.

use std::fmt::Write as _;

use crate::rfa::Lang;

// ---------------------------------------------------------------------------------------------------------
// GSM-7

/// GSM 03.38 basic character set, in code order (0x00–0x7F). `\u{1b}` at 0x1B is the escape to the
/// extension table, never a character of its own.
const GSM7_BASIC: [char; 128] = [
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å', //
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', '\u{1b}', 'Æ', 'æ', 'ß', 'É', //
    ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', //
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', //
    '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', //
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§', //
    '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', //
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à', //
];

/// The escape septet that introduces an extension-table character.
const GSM7_ESCAPE: u8 = 0x1B;

/// GSM 03.38 extension table: character and code after the escape. Each costs two septets.
const GSM7_EXTENSION: [(char, u8); 10] = [
    ('\u{0c}', 0x0A),
    ('^', 0x14),
    ('{', 0x28),
    ('}', 0x29),
    ('\\', 0x2F),
    ('[', 0x3C),
    ('~', 0x3D),
    (']', 0x3E),
    ('|', 0x40),
    ('€', 0x65),
];

/// Septets in one GSM-7 SMS, and per part of a concatenated one (the 6-byte header takes 7 septets).
pub const GSM7_SINGLE: usize = 160;
pub const GSM7_PART: usize = 153;
/// UTF-16 code units in one UCS-2 SMS, and per part of a concatenated one.
pub const UCS2_SINGLE: usize = 70;
pub const UCS2_PART: usize = 67;

/// The GSM-7 septets for one character: one code, or the escape and an extension code. `None` if the
/// character is not in GSM-7.
fn gsm7_codes(c: char) -> Option<(u8, Option<u8>)> {
    if c == '\u{1b}' {
        return None;
    }
    if let Some(code) = GSM7_BASIC.iter().position(|&b| b == c) {
        return u8::try_from(code).ok().map(|code| (code, None));
    }
    GSM7_EXTENSION
        .iter()
        .find(|(e, _)| *e == c)
        .map(|&(_, code)| (GSM7_ESCAPE, Some(code)))
}

/// How many septets `c` takes in GSM-7: 1 (basic table), 2 (extension table) or `None` (not GSM-7).
pub fn gsm7_septets(c: char) -> Option<usize> {
    gsm7_codes(c).map(|(_, ext)| if ext.is_some() { 2 } else { 1 })
}

/// A character that GSM-7 cannot carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("'{}' cannot be sent in the GSM 7-bit alphabet.", .0.escape_debug())]
pub struct NotGsm7(pub char);

impl NotGsm7 {
    /// Stable snake_case identifier.
    pub fn code(&self) -> &'static str {
        "not_gsm7"
    }
}

/// Encodes `text` as GSM-7 septet values (one per byte, unpacked; an extension character is `0x1B` and its
/// code). This is what an SMSC packs eight-into-seven; gateways take the text and do that themselves.
pub fn encode_gsm7(text: &str) -> Result<Vec<u8>, NotGsm7> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        let (code, ext) = gsm7_codes(c).ok_or(NotGsm7(c))?;
        out.push(code);
        out.extend(ext);
    }
    Ok(out)
}

/// Which alphabet an SMS goes out in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SmsEncoding {
    Gsm7,
    Ucs2,
}

/// The cost of one SMS text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SmsCount {
    pub encoding: SmsEncoding,
    /// Septets (GSM-7) or UTF-16 code units (UCS-2).
    pub units: usize,
    /// Segments the text is sent as; an empty text still costs one.
    pub segments: usize,
}

/// Counts the units and segments of an SMS text.
///
/// GSM-7 when every character is in the basic or extension table, else UCS-2. A text longer than one
/// segment is split into parts of 153 septets or 67 code units; an escape pair or a surrogate pair is never
/// split across parts (handsets show a broken character otherwise), so a part may end one unit short.
pub fn sms_count(text: &str) -> SmsCount {
    let gsm: Option<Vec<usize>> = text.chars().map(gsm7_septets).collect();
    let (encoding, sizes, single, part) = match gsm {
        Some(sizes) => (SmsEncoding::Gsm7, sizes, GSM7_SINGLE, GSM7_PART),
        None => (
            SmsEncoding::Ucs2,
            text.chars().map(char::len_utf16).collect(),
            UCS2_SINGLE,
            UCS2_PART,
        ),
    };
    let units: usize = sizes.iter().sum();
    let segments = if units <= single {
        1
    } else {
        let mut segments = 1;
        let mut filled = 0;
        for size in sizes {
            if filled + size > part {
                segments += 1;
                filled = 0;
            }
            filled += size;
        }
        segments
    };
    SmsCount {
        encoding,
        units,
        segments,
    }
}

// ---------------------------------------------------------------------------------------------------------
// Texts

/// Longest display name for which the full Swedish SMS fits one segment with a 50-character URL and a
/// two-digit validity.
pub const SMS_NAME_BUDGET_SV: usize = 29;
/// The same for English.
pub const SMS_NAME_BUDGET_EN: usize = 23;
/// The same for bokmål.
pub const SMS_NAME_BUDGET_NB: usize = 25;

/// An SMS as it will be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsText {
    pub text: String,
    pub count: SmsCount,
    /// Whether the tenant's display name made it into the text (see the module documentation).
    pub includes_name: bool,
}

/// The display name as it may appear in a message: control characters (line breaks, tabs) become spaces,
/// runs of whitespace one space, and the ends are trimmed. A configured name cannot add lines or headers.
pub fn clean_display_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for word in name
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The SMS with a link: the longest of four variants that fits one segment (module documentation).
///
/// `url` is the link as [`crate::link::LinkToken::url`] builds it; `ttl_minutes` how long it can be opened.
pub fn sms_text(display_name: &str, url: &str, ttl_minutes: u64, lang: Lang) -> SmsText {
    let name = clean_display_name(display_name);
    let (action, note) = match lang {
        Lang::Sv => (
            "Identifiera dig med BankID:",
            format!("Gäller {ttl_minutes} min. Öppna bara om du pratar med oss nu."),
        ),
        Lang::En => (
            "Identify yourself with BankID:",
            format!("Valid {ttl_minutes} min. Open only if you are talking to us now."),
        ),
        Lang::Nb => (
            "Identifiser deg med BankID:",
            format!("Gyldig i {ttl_minutes} min. Åpne bare hvis du snakker med oss nå."),
        ),
    };
    let mut variants = Vec::with_capacity(4);
    if !name.is_empty() {
        variants.push((format!("{name}: {action}\n{url}\n{note}"), true));
        variants.push((format!("{name}: {action}\n{url}"), true));
    }
    variants.push((format!("{action}\n{url}\n{note}"), false));
    variants.push((format!("{action}\n{url}"), false));
    let mut chosen = None;
    for (text, includes_name) in variants {
        let count = sms_count(&text);
        let candidate = SmsText {
            text,
            count,
            includes_name,
        };
        let fits = count.segments == 1;
        chosen = Some(candidate);
        if fits {
            break;
        }
    }
    // The list is never empty, so `chosen` is always set; the fallback only keeps this free of `expect`.
    chosen.unwrap_or_else(|| SmsText {
        text: String::new(),
        count: sms_count(""),
        includes_name: false,
    })
}

/// An e-mail with a link: subject, plain text and HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailText {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The e-mail with a link, in `lang`.
///
/// The HTML part is a single self-contained document without images, styles from outside or scripts; the
/// display name and the URL are HTML-escaped wherever they appear.
pub fn email_text(display_name: &str, url: &str, ttl_minutes: u64, lang: Lang) -> EmailText {
    let name = clean_display_name(display_name);
    let (subject, lead, button, validity, ignore) = match lang {
        Lang::Sv => (
            if name.is_empty() {
                "Identifiera dig med BankID".to_owned()
            } else {
                format!("Identifiera dig med BankID – {name}")
            },
            if name.is_empty() {
                "Du ombeds identifiera dig med BankID.".to_owned()
            } else {
                format!("{name} ber dig identifiera dig med BankID.")
            },
            "Identifiera dig med BankID",
            format!(
                "Länken gäller i {ttl_minutes} minuter och kan bara användas en gång. \
                 Öppna den bara om du pratar med oss just nu."
            ),
            "Väntade du dig inte det här meddelandet kan du bortse från det.",
        ),
        Lang::En => (
            if name.is_empty() {
                "Identify yourself with BankID".to_owned()
            } else {
                format!("Identify yourself with BankID – {name}")
            },
            if name.is_empty() {
                "You are asked to identify yourself with BankID.".to_owned()
            } else {
                format!("{name} asks you to identify yourself with BankID.")
            },
            "Identify yourself with BankID",
            format!(
                "The link is valid for {ttl_minutes} minutes and can only be used once. \
                 Open it only if you are talking to us right now."
            ),
            "If you did not expect this message, you can ignore it.",
        ),
        Lang::Nb => (
            if name.is_empty() {
                "Identifiser deg med BankID".to_owned()
            } else {
                format!("Identifiser deg med BankID – {name}")
            },
            if name.is_empty() {
                "Du blir bedt om å identifisere deg med BankID.".to_owned()
            } else {
                format!("{name} ber deg identifisere deg med BankID.")
            },
            "Identifiser deg med BankID",
            format!(
                "Lenken er gyldig i {ttl_minutes} minutter og kan bare brukes én gang. \
                 Åpne den bare hvis du snakker med oss akkurat nå."
            ),
            "Hvis du ikke ventet denne meldingen, kan du se bort fra den.",
        ),
    };
    let open = match lang {
        Lang::Sv => "Öppna länken och följ anvisningarna:",
        Lang::En => "Open the link and follow the instructions:",
        Lang::Nb => "Åpne lenken og følg instruksjonene:",
    };
    let text = format!("{lead}\n\n{open}\n{url}\n\n{validity}\n\n{ignore}\n");
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"{tag}\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"font-family:sans-serif;line-height:1.5\">\
         <p>{lead}</p>\
         <p><a href=\"{href}\" style=\"display:inline-block;padding:0.6em 1.2em;background:#193e4f;\
         color:#ffffff;text-decoration:none;border-radius:4px\">{button}</a></p>\
         <p>{open}<br><a href=\"{href}\">{href}</a></p>\
         <p>{validity}</p><p>{ignore}</p></body></html>\n",
        tag = lang.tag(),
        title = html_escape(&subject),
        lead = html_escape(&lead),
        href = html_escape(url),
        button = html_escape(button),
        open = html_escape(open),
        validity = html_escape(&validity),
        ignore = html_escape(ignore),
    );
    EmailText {
        subject,
        text,
        html,
    }
}

/// Escapes text for HTML element content and quoted attribute values: `& < > " '`.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const URL: &str = "https://legit.example.com/v/-_-_ABCDEFGHIJKLMNOPQQ";
    const ACME: &str = "Acme Försäkring AB";

    #[test]
    fn swedish_letters_are_basic_gsm7() {
        for c in [
            'å', 'ä', 'ö', 'Å', 'Ä', 'Ö', 'é', 'É', 'ü', 'Ü', 'æ', 'ø', '@', '£', '\n',
        ] {
            assert_eq!(gsm7_septets(c), Some(1), "{c:?}");
        }
        for c in ['€', '[', ']', '{', '}', '\\', '^', '~', '|', '\u{0c}'] {
            assert_eq!(gsm7_septets(c), Some(2), "{c:?}");
        }
        for c in ['ç', 'Ł', 'á', '’', '“', '–', '😀', '\u{1b}', '\t', '`'] {
            assert_eq!(gsm7_septets(c), None, "{c:?}");
        }
    }

    #[test]
    fn encoder_uses_the_3gpp_codes() {
        assert_eq!(encode_gsm7("@Aa"), Ok(vec![0x00, 0x41, 0x61]));
        assert_eq!(
            encode_gsm7("åäöÅÄÖ"),
            Ok(vec![0x0F, 0x7B, 0x7C, 0x0E, 0x5B, 0x5C])
        );
        assert_eq!(encode_gsm7("$¤"), Ok(vec![0x02, 0x24]));
        assert_eq!(encode_gsm7("€["), Ok(vec![0x1B, 0x65, 0x1B, 0x3C]));
        assert_eq!(encode_gsm7("ok ç"), Err(NotGsm7('ç')));
        assert_eq!(NotGsm7('ç').code(), "not_gsm7");
        assert_eq!(encode_gsm7(""), Ok(vec![]));
    }

    #[test]
    fn basic_table_has_128_distinct_entries() {
        let mut seen = GSM7_BASIC.to_vec();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 128);
        for (c, _) in GSM7_EXTENSION {
            assert!(!GSM7_BASIC.contains(&c), "{c:?}");
        }
    }

    #[test]
    fn segment_boundaries() {
        let count = |s: &str| {
            let c = sms_count(s);
            (c.encoding, c.units, c.segments)
        };
        assert_eq!(count(""), (SmsEncoding::Gsm7, 0, 1));
        assert_eq!(count(&"a".repeat(160)), (SmsEncoding::Gsm7, 160, 1));
        assert_eq!(count(&"a".repeat(161)), (SmsEncoding::Gsm7, 161, 2));
        assert_eq!(count(&"a".repeat(306)), (SmsEncoding::Gsm7, 306, 2));
        assert_eq!(count(&"a".repeat(307)), (SmsEncoding::Gsm7, 307, 3));
        assert_eq!(count(&"€".repeat(80)), (SmsEncoding::Gsm7, 160, 1));
        // 152 plain septets and then an escape pair: the pair moves to part two.
        let straddle = format!("{}€{}", "a".repeat(152), "a".repeat(10));
        assert_eq!(count(&straddle), (SmsEncoding::Gsm7, 164, 2));
        let straddle3 = format!("{}€{}", "a".repeat(152), "a".repeat(152));
        assert_eq!(count(&straddle3), (SmsEncoding::Gsm7, 306, 3));
        assert_eq!(count(&"å".repeat(160)), (SmsEncoding::Gsm7, 160, 1));
        assert_eq!(count(&"ç".repeat(70)), (SmsEncoding::Ucs2, 70, 1));
        assert_eq!(count(&"ç".repeat(71)), (SmsEncoding::Ucs2, 71, 2));
        assert_eq!(
            count(&format!("{}ç", "a".repeat(69))),
            (SmsEncoding::Ucs2, 70, 1)
        );
        assert_eq!(count(&"😀".repeat(35)), (SmsEncoding::Ucs2, 70, 1));
        // 66 units and then a surrogate pair: the pair moves to part two.
        let emoji = format!("{}😀{}", "ç".repeat(66), "ç".repeat(3));
        assert_eq!(count(&emoji), (SmsEncoding::Ucs2, 71, 2));
    }

    #[test]
    fn acme_fits_one_segment_in_every_language() {
        let sv = sms_text(ACME, URL, 15, Lang::Sv);
        assert_eq!(
            sv.text,
            "Acme Försäkring AB: Identifiera dig med BankID:\n\
             https://legit.example.com/v/-_-_ABCDEFGHIJKLMNOPQQ\n\
             Gäller 15 min. Öppna bara om du pratar med oss nu."
        );
        assert_eq!(
            sv.count,
            SmsCount {
                encoding: SmsEncoding::Gsm7,
                units: 149,
                segments: 1
            }
        );
        assert!(sv.includes_name);

        let en = sms_text(ACME, URL, 15, Lang::En);
        assert_eq!(
            en.text,
            "Acme Försäkring AB: Identify yourself with BankID:\n\
             https://legit.example.com/v/-_-_ABCDEFGHIJKLMNOPQQ\n\
             Valid 15 min. Open only if you are talking to us now."
        );
        assert_eq!(
            en.count,
            SmsCount {
                encoding: SmsEncoding::Gsm7,
                units: 155,
                segments: 1
            }
        );
        assert!(en.includes_name);

        let nb = sms_text(ACME, URL, 15, Lang::Nb);
        assert_eq!(
            nb.text,
            "Acme Försäkring AB: Identifiser deg med BankID:\n\
             https://legit.example.com/v/-_-_ABCDEFGHIJKLMNOPQQ\n\
             Gyldig i 15 min. Åpne bare hvis du snakker med oss nå."
        );
        assert_eq!(
            nb.count,
            SmsCount {
                encoding: SmsEncoding::Gsm7,
                units: 153,
                segments: 1
            }
        );
        assert!(nb.includes_name);
    }

    #[test]
    fn name_budgets_are_exact() {
        for (lang, budget) in [
            (Lang::Sv, SMS_NAME_BUDGET_SV),
            (Lang::En, SMS_NAME_BUDGET_EN),
            (Lang::Nb, SMS_NAME_BUDGET_NB),
        ] {
            let fits = sms_text(&"N".repeat(budget), URL, 15, lang);
            assert_eq!(fits.count.units, 160, "{lang:?}");
            assert!(fits.text.contains("15 min"), "{lang:?}");
            let over = sms_text(&"N".repeat(budget + 1), URL, 15, lang);
            assert!(
                over.includes_name && !over.text.contains("15 min"),
                "{lang:?}"
            );
            assert_eq!(over.count.segments, 1);
        }
    }

    #[test]
    fn a_long_name_degrades_the_text_step_by_step() {
        // 39 characters: too long with the warning, fits without.
        let long = "Länsförsäkringar Göinge-Kristianstad AB";
        let t = sms_text(long, URL, 15, Lang::Sv);
        assert!(t.includes_name);
        assert!(t.text.starts_with(long));
        assert!(!t.text.contains("Gäller"));
        assert_eq!(t.count.segments, 1);

        // Very long: the name goes, the warning stays.
        let very_long = "N".repeat(120);
        let t = sms_text(&very_long, URL, 15, Lang::En);
        assert!(!t.includes_name);
        assert_eq!(
            t.text,
            format!(
                "Identify yourself with BankID:\n{URL}\nValid 15 min. Open only if you are talking to us now."
            )
        );
        assert_eq!(t.count.segments, 1);
    }

    #[test]
    fn a_name_outside_gsm7_is_dropped_rather_than_forcing_ucs2() {
        let t = sms_text("Łódź Bank", URL, 15, Lang::Sv);
        assert!(!t.includes_name);
        assert_eq!(t.count.encoding, SmsEncoding::Gsm7);
        assert_eq!(t.count.segments, 1);
        // `é` is GSM-7: kept.
        let t = sms_text("Café Ekström", URL, 15, Lang::Sv);
        assert!(t.includes_name);
        assert_eq!(t.count.encoding, SmsEncoding::Gsm7);
    }

    #[test]
    fn only_an_absurd_url_costs_two_segments() {
        let url = format!(
            "https://{}.example.com/v/-_-_ABCDEFGHIJKLMNOPQQ",
            "x".repeat(130)
        );
        let t = sms_text(ACME, &url, 15, Lang::Sv);
        assert!(!t.includes_name);
        assert_eq!(t.text, format!("Identifiera dig med BankID:\n{url}"));
        assert_eq!(t.count.segments, 2);
    }

    #[test]
    fn an_empty_or_blank_name_is_left_out() {
        for name in ["", "  \n\t "] {
            let t = sms_text(name, URL, 15, Lang::Sv);
            assert!(!t.includes_name);
            assert!(t.text.starts_with("Identifiera"));
        }
    }

    #[test]
    fn display_names_cannot_add_lines() {
        assert_eq!(clean_display_name("  Acme\r\nBank\t AB "), "Acme Bank AB");
        assert_eq!(clean_display_name("A\u{0}B"), "A B");
        let mail = email_text("Acme\r\nBcc: x@evil.example", URL, 15, Lang::En);
        assert!(!mail.subject.contains('\n') && !mail.subject.contains('\r'));
        assert_eq!(
            mail.subject,
            "Identify yourself with BankID – Acme Bcc: x@evil.example"
        );
    }

    #[test]
    fn email_texts_in_every_language() {
        let sv = email_text(ACME, URL, 15, Lang::Sv);
        assert_eq!(
            sv.subject,
            "Identifiera dig med BankID – Acme Försäkring AB"
        );
        assert!(
            sv.text
                .starts_with("Acme Försäkring AB ber dig identifiera dig med BankID.\n")
        );
        assert!(sv.text.contains(&format!("\n{URL}\n")));
        assert!(sv.text.contains("15 minuter"));
        assert!(sv.html.contains("<html lang=\"sv\">"));
        assert!(sv.html.contains(&format!("<a href=\"{URL}\">{URL}</a>")));
        assert!(sv.html.contains("Acme Försäkring AB ber dig"));

        let en = email_text(ACME, URL, 15, Lang::En);
        assert_eq!(
            en.subject,
            "Identify yourself with BankID – Acme Försäkring AB"
        );
        assert!(en.text.contains("15 minutes"));
        assert!(en.html.contains("<html lang=\"en\">"));

        let nb = email_text(ACME, URL, 15, Lang::Nb);
        assert_eq!(
            nb.subject,
            "Identifiser deg med BankID – Acme Försäkring AB"
        );
        assert!(
            nb.text.starts_with(
                "Acme Försäkring AB ber deg identifisere deg med BankID.\n\nÅpne lenken"
            )
        );
        assert!(nb.text.contains("15 minutter og kan bare brukes én gang"));
        assert!(nb.html.contains("<html lang=\"nb\">"));

        let anonymous = email_text("", URL, 15, Lang::En);
        assert_eq!(anonymous.subject, "Identify yourself with BankID");
        assert!(anonymous.text.starts_with("You are asked"));
        let anonymous = email_text("", URL, 15, Lang::Nb);
        assert_eq!(anonymous.subject, "Identifiser deg med BankID");
        assert!(anonymous.text.starts_with("Du blir bedt om"));
    }

    #[test]
    fn email_html_escapes_the_name_and_the_url() {
        let mail = email_text(
            "<script>alert('x')</script> & \"Co\"",
            "https://legit.example.com/v/a?b=1&c=\"2\"",
            15,
            Lang::Sv,
        );
        assert!(!mail.html.contains("<script>"));
        assert!(
            mail.html
                .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Co&quot;")
        );
        assert!(
            mail.html
                .contains("href=\"https://legit.example.com/v/a?b=1&amp;c=&quot;2&quot;\"")
        );
        // The plain text is not escaped.
        assert!(mail.text.starts_with("<script>"));
        assert_eq!(html_escape("a<b>&'\""), "a&lt;b&gt;&amp;&#39;&quot;");
    }

    proptest! {
        #[test]
        fn counting_never_panics_and_agrees_with_the_encoder(s in any::<String>()) {
            let c = sms_count(&s);
            prop_assert!(c.segments >= 1);
            match encode_gsm7(&s) {
                Ok(septets) => {
                    prop_assert_eq!(c.encoding, SmsEncoding::Gsm7);
                    prop_assert_eq!(c.units, septets.len());
                }
                Err(NotGsm7(bad)) => {
                    prop_assert_eq!(c.encoding, SmsEncoding::Ucs2);
                    prop_assert!(s.contains(bad));
                    prop_assert_eq!(c.units, s.encode_utf16().count());
                }
            }
        }

        #[test]
        fn segments_are_enough_for_the_units(s in "[a-zåäö€\\[ç😀]{0,400}") {
            let c = sms_count(&s);
            let (single, part) = match c.encoding {
                SmsEncoding::Gsm7 => (GSM7_SINGLE, GSM7_PART),
                SmsEncoding::Ucs2 => (UCS2_SINGLE, UCS2_PART),
            };
            if c.units <= single {
                prop_assert_eq!(c.segments, 1);
            } else {
                // At least the plain division, at most one unit lost per part to an unsplit pair.
                prop_assert!(c.segments >= c.units.div_ceil(part));
                prop_assert!(c.segments <= c.units.div_ceil(part - 1));
            }
        }

        #[test]
        fn texts_never_panic_and_always_carry_the_url(name in any::<String>(), ttl in 0u64..100_000, lang in 0..3usize) {
            let lang = Lang::ALL[lang];
            let sms = sms_text(&name, URL, ttl, lang);
            prop_assert!(sms.text.contains(URL));
            prop_assert_eq!(sms.count, sms_count(&sms.text));
            prop_assert_eq!(sms.count.segments, 1);
            prop_assert_eq!(sms.count.encoding, SmsEncoding::Gsm7);
            let mail = email_text(&name, URL, ttl, lang);
            prop_assert!(mail.text.contains(URL));
            prop_assert!(!mail.subject.contains(['\r', '\n']));
            prop_assert!(!mail.html.contains("<script"));
        }
    }
}
