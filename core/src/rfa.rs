//! BankID's recommended user messages (RFA) and the rules for which one to show (BANKID.md §8).
//!
//! BankID's Relying Party Guidelines ask RPs to show these texts, so users see the same words whichever
//! service they log in to. Keeping the texts and the choice of text here, as plain data and one pure
//! function per decision, lets the widget, the edge and the IVR prompts agree, and lets a table test
//! pin every decision.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A recommended user message. Identifiers are BankID's; RFA7, RFA10–12, RFA14 and RFA18 are no longer
/// in BankID's list and are deliberately absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rfa {
    Rfa1,
    Rfa2,
    Rfa3,
    Rfa4,
    Rfa5,
    Rfa6,
    Rfa8,
    Rfa9,
    Rfa13,
    Rfa15A,
    Rfa15B,
    Rfa16,
    Rfa17A,
    Rfa17B,
    Rfa19,
    Rfa20,
    Rfa21,
    Rfa22,
    Rfa23,
}

/// The languages legit speaks to end users: the two BankID publishes its texts in, and Norwegian bokmål.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// Swedish is the default because BankID is a Swedish service and its users expect it.
    #[default]
    Sv,
    En,
    /// Bokmål. BankID publishes no Norwegian texts; legit's are its own translations of the Swedish ones.
    Nb,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::Sv, Lang::En, Lang::Nb];

    /// Reads a BCP 47 tag such as `"sv"`, `"sv-SE"`, `"en-GB"` or `"nb-NO"` (also `"en_US"`),
    /// case-insensitively, by its primary language subtag. Norwegian without a written standard (`no`) and
    /// nynorsk (`nn`) get bokmål, the closest there is. `None` for other languages, so the caller decides
    /// the fallback.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or("");
        let is = |code: &str| primary.eq_ignore_ascii_case(code);
        if is("sv") {
            Some(Lang::Sv)
        } else if is("en") {
            Some(Lang::En)
        } else if is("nb") || is("no") || is("nn") {
            Some(Lang::Nb)
        } else {
            None
        }
    }

    /// `"sv"`, `"en"` or `"nb"`, for `lang` attributes and `Accept-Language`-style negotiation.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Sv => "sv",
            Lang::En => "en",
            Lang::Nb => "nb",
        }
    }

    /// The language's name in itself, for a language switch.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Sv => "Svenska",
            Lang::En => "English",
            Lang::Nb => "Norsk",
        }
    }
}

impl Rfa {
    /// Every message, in BankID's order; for exhaustive tests and for building translation catalogues.
    pub const ALL: [Rfa; 19] = [
        Rfa::Rfa1,
        Rfa::Rfa2,
        Rfa::Rfa3,
        Rfa::Rfa4,
        Rfa::Rfa5,
        Rfa::Rfa6,
        Rfa::Rfa8,
        Rfa::Rfa9,
        Rfa::Rfa13,
        Rfa::Rfa15A,
        Rfa::Rfa15B,
        Rfa::Rfa16,
        Rfa::Rfa17A,
        Rfa::Rfa17B,
        Rfa::Rfa19,
        Rfa::Rfa20,
        Rfa::Rfa21,
        Rfa::Rfa22,
        Rfa::Rfa23,
    ];

    /// BankID's identifier, e.g. `"RFA15A"`: the wire and log form.
    pub fn code(self) -> &'static str {
        match self {
            Rfa::Rfa1 => "RFA1",
            Rfa::Rfa2 => "RFA2",
            Rfa::Rfa3 => "RFA3",
            Rfa::Rfa4 => "RFA4",
            Rfa::Rfa5 => "RFA5",
            Rfa::Rfa6 => "RFA6",
            Rfa::Rfa8 => "RFA8",
            Rfa::Rfa9 => "RFA9",
            Rfa::Rfa13 => "RFA13",
            Rfa::Rfa15A => "RFA15A",
            Rfa::Rfa15B => "RFA15B",
            Rfa::Rfa16 => "RFA16",
            Rfa::Rfa17A => "RFA17A",
            Rfa::Rfa17B => "RFA17B",
            Rfa::Rfa19 => "RFA19",
            Rfa::Rfa20 => "RFA20",
            Rfa::Rfa21 => "RFA21",
            Rfa::Rfa22 => "RFA22",
            Rfa::Rfa23 => "RFA23",
        }
    }

    /// Inverse of [`Rfa::code`]; ASCII case-insensitive (`"rfa15a"` too), as hand-written config and
    /// query strings do not always keep the case.
    pub fn from_code(code: &str) -> Option<Rfa> {
        Rfa::ALL
            .into_iter()
            .find(|rfa| rfa.code().eq_ignore_ascii_case(code))
    }

    /// BankID's text, verbatim from its "Recommended user messages" page (BANKID.md §8), with two
    /// deliberate corrections of BankID's own typos, because users read these: Swedish RFA15B says
    /// "giltigt" (BankID: "gitligt") and English RFA23 says "your ID document" (BankID: "you ID
    /// document"). English RFA8 keeps BankID's typographic apostrophe (’). Bokmål is legit's translation
    /// ([`Lang::Nb`]).
    pub fn text(self, lang: Lang) -> &'static str {
        let (sv, en) = match self {
            Rfa::Rfa1 => ("Starta BankID-appen.", "Start your BankID app."),
            Rfa::Rfa2 => (
                "Du verkar inte ha BankID-appen. Installera den och skaffa ett BankID.",
                "You don't seem to have the BankID app. Install the app and get a BankID.",
            ),
            Rfa::Rfa3 => (
                "Åtgärden avbröts. Försök igen.",
                "The action was cancelled. Please try again.",
            ),
            Rfa::Rfa4 => (
                "En identifiering eller underskrift pågår redan för ditt personnummer. Försök igen.",
                "An identification or signature is already in progress for your personal identity number. Please try again.",
            ),
            Rfa::Rfa5 => (
                "Något gick fel. Försök igen.",
                "Something went wrong. Please try again.",
            ),
            Rfa::Rfa6 => ("Åtgärden avbröts.", "The action was cancelled."),
            Rfa::Rfa8 => (
                "BankID-appen svarar inte. Kontrollera att den är startad och att du har internetanslutning. Försök sedan igen.",
                "The BankID app is not responding. Please check that it’s started and that you have internet access. Try again.",
            ),
            Rfa::Rfa9 => (
                "Skriv in din säkerhetskod i BankID-appen och välj Identifiera eller Skriv under.",
                "Enter your security code in the BankID app and select Identify or Sign.",
            ),
            Rfa::Rfa13 => (
                "Försöker starta BankID-appen.",
                "Trying to start your BankID app.",
            ),
            Rfa::Rfa15A => (
                "Söker efter BankID. Säkerställ att du har ett giltigt BankID på den här datorn. Om du har ett BankID på kort, sätt in kortet i kortläsaren.",
                "Searching for BankID. Make sure you have a valid BankID on this computer. If you have a BankID on card, please insert the card into your card reader.",
            ),
            Rfa::Rfa15B => (
                "Söker efter BankID. Säkerställ att du har ett giltigt BankID på den här enheten.",
                "Searching for BankID. Make sure you have a valid BankID on this device.",
            ),
            Rfa::Rfa16 => (
                "Ditt BankID är för gammalt eller spärrat. Använd ett annat BankID eller skaffa ett nytt hos din bank.",
                "Your BankID is blocked or too old. Please use another BankID or get a new one from your bank.",
            ),
            Rfa::Rfa17A => (
                "Du verkar inte ha BankID-appen/programmet. Installera den och skaffa ett BankID hos din bank.",
                "You don't seem to have the BankID app/program. Please install it and get a BankID from your bank.",
            ),
            Rfa::Rfa17B => (
                "Misslyckades att läsa av QR-koden. Starta BankID-appen och läs av QR-koden.",
                "Failed to scan the QR code. Start the BankID app and scan the QR code.",
            ),
            Rfa::Rfa19 => (
                "Vill du använda BankID på den här datorn eller ett Mobilt BankID?",
                "Would you like to use BankID on this computer, or a Mobile BankID?",
            ),
            Rfa::Rfa20 => (
                "Vill du använda BankID på den här enheten eller på en annan enhet?",
                "Do you want to use BankID on this device or another device?",
            ),
            Rfa::Rfa21 => (
                "En identifiering eller underskrift pågår.",
                "An identification or signing is in progress.",
            ),
            Rfa::Rfa22 => (
                "Något gick fel. Försök igen.",
                "Something went wrong. Please try again.",
            ),
            Rfa::Rfa23 => (
                "Fotografera och läs av din ID-handling med BankID-appen.",
                "Take a photo of, and scan, your ID document with the BankID app.",
            ),
        };
        match lang {
            Lang::Sv => sv,
            Lang::En => en,
            Lang::Nb => self.text_nb(),
        }
    }

    /// legit's bokmål rendering of the Swedish text: the same content, BankID's own terms kept
    /// ("BankID-appen", "Mobilt BankID"), the app's buttons named as in its Norwegian-language menus
    /// ("Identifiser", "Signer").
    fn text_nb(self) -> &'static str {
        match self {
            Rfa::Rfa1 => "Start BankID-appen.",
            Rfa::Rfa2 => {
                "Det ser ikke ut til at du har BankID-appen. Installer den og skaff deg en BankID."
            }
            Rfa::Rfa3 => "Handlingen ble avbrutt. Prøv igjen.",
            Rfa::Rfa4 => {
                "En identifisering eller signering pågår allerede for personnummeret ditt. Prøv igjen."
            }
            Rfa::Rfa5 => "Noe gikk galt. Prøv igjen.",
            Rfa::Rfa6 => "Handlingen ble avbrutt.",
            Rfa::Rfa8 => {
                "BankID-appen svarer ikke. Kontroller at den er startet og at du har internettforbindelse. Prøv deretter igjen."
            }
            Rfa::Rfa9 => {
                "Skriv inn sikkerhetskoden din i BankID-appen og velg Identifiser eller Signer."
            }
            Rfa::Rfa13 => "Prøver å starte BankID-appen.",
            Rfa::Rfa15A => {
                "Søker etter BankID. Sørg for at du har en gyldig BankID på denne datamaskinen. Hvis du har BankID på kort, setter du kortet inn i kortleseren."
            }
            Rfa::Rfa15B => {
                "Søker etter BankID. Sørg for at du har en gyldig BankID på denne enheten."
            }
            Rfa::Rfa16 => {
                "BankID-en din er for gammel eller sperret. Bruk en annen BankID eller skaff deg en ny hos banken din."
            }
            Rfa::Rfa17A => {
                "Det ser ikke ut til at du har BankID-appen/-programmet. Installer det og skaff deg en BankID hos banken din."
            }
            Rfa::Rfa17B => "Kunne ikke lese QR-koden. Start BankID-appen og skann QR-koden.",
            Rfa::Rfa19 => "Vil du bruke BankID på denne datamaskinen eller Mobilt BankID?",
            Rfa::Rfa20 => "Vil du bruke BankID på denne enheten eller på en annen enhet?",
            Rfa::Rfa21 => "En identifisering eller signering pågår.",
            Rfa::Rfa22 => "Noe gikk galt. Prøv igjen.",
            Rfa::Rfa23 => "Ta bilde av og skann ID-dokumentet ditt med BankID-appen.",
        }
    }
}

/// Where the user's BankID app runs relative to the page they started from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    /// A computer: BankID Security Application with a BankID on file or card.
    Desktop,
    /// A phone or tablet: the BankID app.
    Mobile,
}

/// How the order reaches the app; the same hint code needs different words in each flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Autostart token opened on this device.
    SameDevice(Device),
    /// Animated QR code scanned with another device.
    OtherDevice,
    /// `phone/auth` or `phone/sign`: the user opens the app themselves during a call.
    Phone,
}

/// The message while this device's start button waits for its tap: nobody has tried to open the app yet, so
/// BankID's row for a user who starts the app manually (RFA1, "Start your BankID app"), not the autostart row
/// (RFA13, "Trying to start your BankID app", BANKID.md §8.1), which would claim an attempt nobody made. Every
/// other message stands.
pub fn before_launch(rfa: Rfa) -> Rfa {
    match rfa {
        Rfa::Rfa13 => Rfa::Rfa1,
        other => other,
    }
}

/// The message for a collect answer (BANKID.md §8.1).
///
/// Takes the wire strings, not an enum, so that hint codes BankID adds later still get a message:
/// unknown pending → RFA21, unknown failed → RFA22 (BankID's own advice). `complete` → `None`: the
/// caller shows its own success view. An unknown `status` (which BankID does not send) → RFA22, as
/// telling the user something went wrong is the only safe reading.
///
/// Decisions where BANKID.md leaves a choice: `userCallConfirm` → RFA21 (no RFA exists; RFA23, seen in
/// one client, is about ID documents and wrong); `userDeclinedCall` → RFA6, since declining is the
/// user's own decision, not a fault; `started` in the phone and QR flows → RFA15B, as the app is then on
/// a mobile device.
pub fn for_collect(flow: Flow, status: &str, hint_code: Option<&str>) -> Option<Rfa> {
    let same_device = matches!(flow, Flow::SameDevice(_));
    let rfa = match (status, hint_code.unwrap_or("")) {
        ("complete", _) => return None,
        ("pending", "outstandingTransaction") if same_device => Rfa::Rfa13,
        ("pending", "outstandingTransaction" | "noClient") => Rfa::Rfa1,
        ("pending", "started") if flow == Flow::SameDevice(Device::Desktop) => Rfa::Rfa15A,
        ("pending", "started") => Rfa::Rfa15B,
        ("pending", "userSign") => Rfa::Rfa9,
        ("pending", "userMrtd") => Rfa::Rfa23,
        ("pending", _) => Rfa::Rfa21,
        ("failed", "userCancel" | "userDeclinedCall") => Rfa::Rfa6,
        ("failed", "cancelled") => Rfa::Rfa3,
        ("failed", "expiredTransaction") => Rfa::Rfa8,
        ("failed", "certificateErr") => Rfa::Rfa16,
        ("failed", "startFailed") if flow == Flow::OtherDevice => Rfa::Rfa17B,
        ("failed", "startFailed") => Rfa::Rfa17A,
        _ => Rfa::Rfa22,
    };
    Some(rfa)
}

/// The user (or the RP) cancelled in our own UI: BankID's message for an aborted action.
pub const CANCELLED_BY_US: Rfa = Rfa::Rfa3;

/// BankID's help pages, which every screen a customer sees links to (BANKID.md §10).
pub const SUPPORT_URL: &str = "https://support.bankid.com";

/// The words of the link to [`SUPPORT_URL`], in [`Lang`] order: the widget's footer and the edge's refusal
/// pages say the same.
pub const NEED_HELP: [&str; 3] = [
    "Behöver du hjälp? support.bankid.com",
    "Need help? support.bankid.com",
    "Trenger du hjelp? support.bankid.com",
];

/// The code, e.g. `RFA15A`; use [`Rfa::text`] for what the user reads.
impl fmt::Display for Rfa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Rfa {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Rfa {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Rfa::from_code(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown RFA code {s:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DESKTOP: Flow = Flow::SameDevice(Device::Desktop);
    const MOBILE: Flow = Flow::SameDevice(Device::Mobile);
    const QR: Flow = Flow::OtherDevice;
    const PHONE: Flow = Flow::Phone;
    const FLOWS: [Flow; 4] = [DESKTOP, MOBILE, QR, PHONE];

    /// One row of BANKID.md §8.1 for collect: status, hintCode, expected RFA per flow in [`FLOWS`] order.
    type Row = (&'static str, Option<&'static str>, [Option<Rfa>; 4]);

    /// Every row of BANKID.md §8.1 for collect, plus unknown and malformed inputs.
    const COLLECT_TABLE: &[Row] = {
        use Rfa::*;
        &[
            (
                "pending",
                Some("outstandingTransaction"),
                [Some(Rfa13), Some(Rfa13), Some(Rfa1), Some(Rfa1)],
            ),
            (
                "pending",
                Some("noClient"),
                [Some(Rfa1), Some(Rfa1), Some(Rfa1), Some(Rfa1)],
            ),
            (
                "pending",
                Some("started"),
                [Some(Rfa15A), Some(Rfa15B), Some(Rfa15B), Some(Rfa15B)],
            ),
            ("pending", Some("userSign"), [Some(Rfa9); 4]),
            ("pending", Some("userMrtd"), [Some(Rfa23); 4]),
            ("pending", Some("userCallConfirm"), [Some(Rfa21); 4]),
            ("pending", Some("processing"), [Some(Rfa21); 4]),
            ("pending", Some(""), [Some(Rfa21); 4]),
            ("pending", None, [Some(Rfa21); 4]),
            ("failed", Some("userCancel"), [Some(Rfa6); 4]),
            ("failed", Some("cancelled"), [Some(Rfa3); 4]),
            ("failed", Some("expiredTransaction"), [Some(Rfa8); 4]),
            ("failed", Some("certificateErr"), [Some(Rfa16); 4]),
            (
                "failed",
                Some("startFailed"),
                [Some(Rfa17A), Some(Rfa17A), Some(Rfa17B), Some(Rfa17A)],
            ),
            ("failed", Some("userDeclinedCall"), [Some(Rfa6); 4]),
            ("failed", Some("notSupportedByUserApp"), [Some(Rfa22); 4]),
            ("failed", Some("transactionRiskBlocked"), [Some(Rfa22); 4]),
            ("failed", Some("mrtdVerificationFailed"), [Some(Rfa22); 4]),
            ("failed", None, [Some(Rfa22); 4]),
            ("complete", None, [None; 4]),
            ("complete", Some("userSign"), [None; 4]),
            ("exploded", None, [Some(Rfa22); 4]),
            // Wire strings are case-sensitive: BankID sends exactly these spellings.
            ("Pending", Some("userSign"), [Some(Rfa22); 4]),
            ("pending", Some("usersign"), [Some(Rfa21); 4]),
        ]
    };

    #[test]
    fn collect_mapping_matches_the_table() {
        for (status, hint, expected) in COLLECT_TABLE {
            for (flow, want) in FLOWS.into_iter().zip(expected) {
                assert_eq!(
                    for_collect(flow, status, *hint),
                    *want,
                    "{status}/{hint:?} in {flow:?}"
                );
            }
        }
    }

    #[test]
    fn before_the_app_is_opened_the_user_is_asked_to_start_it() {
        let waiting = for_collect(MOBILE, "pending", Some("outstandingTransaction")).unwrap();
        assert_eq!(before_launch(waiting), Rfa::Rfa1);
        // Only the autostart row depends on an attempt; every other answer means the same before and after.
        for (status, hint, expected) in COLLECT_TABLE {
            for rfa in expected.iter().flatten().filter(|r| **r != Rfa::Rfa13) {
                assert_eq!(before_launch(*rfa), *rfa, "{status}/{hint:?}");
            }
        }
    }

    #[test]
    fn texts_are_bankids_verbatim() {
        assert_eq!(Rfa::Rfa1.text(Lang::Sv), "Starta BankID-appen.");
        assert_eq!(Rfa::Rfa1.text(Lang::En), "Start your BankID app.");
        assert_eq!(Rfa::Rfa3.text(Lang::Sv), "Åtgärden avbröts. Försök igen.");
        assert_eq!(Rfa::Rfa5.text(Lang::Sv), "Något gick fel. Försök igen.");
        assert_eq!(
            Rfa::Rfa8.text(Lang::En),
            "The BankID app is not responding. Please check that it\u{2019}s started and that you have internet \
             access. Try again."
        );
        assert_eq!(
            Rfa::Rfa9.text(Lang::Sv),
            "Skriv in din säkerhetskod i BankID-appen och välj Identifiera eller Skriv under."
        );
        assert_eq!(
            Rfa::Rfa17B.text(Lang::En),
            "Failed to scan the QR code. Start the BankID app and scan the QR code."
        );
        assert_eq!(
            Rfa::Rfa21.text(Lang::Sv),
            "En identifiering eller underskrift pågår."
        );
        assert_eq!(Rfa::Rfa22.text(Lang::En), Rfa::Rfa5.text(Lang::En));
    }

    #[test]
    fn bankids_two_typos_are_corrected() {
        assert_eq!(
            Rfa::Rfa15B.text(Lang::Sv),
            "Söker efter BankID. Säkerställ att du har ett giltigt BankID på den här enheten."
        );
        assert_eq!(
            Rfa::Rfa23.text(Lang::En),
            "Take a photo of, and scan, your ID document with the BankID app."
        );
        for rfa in Rfa::ALL {
            assert!(!rfa.text(Lang::Sv).contains("gitligt"));
            assert!(!rfa.text(Lang::En).contains("you ID"));
        }
    }

    #[test]
    fn every_message_has_every_language() {
        for rfa in Rfa::ALL {
            for lang in Lang::ALL {
                let text = rfa.text(lang);
                assert!(
                    text.ends_with('.') || text.ends_with('?'),
                    "{rfa:?} {lang:?}"
                );
                assert_eq!(text.trim(), text);
            }
            assert_ne!(rfa.text(Lang::Sv), rfa.text(Lang::En), "{rfa:?}");
            // A translation, not a copy of either original.
            assert_ne!(rfa.text(Lang::Nb), rfa.text(Lang::Sv), "{rfa:?}");
            assert_ne!(rfa.text(Lang::Nb), rfa.text(Lang::En), "{rfa:?}");
        }
        assert_eq!(
            Rfa::Rfa9.text(Lang::Nb),
            "Skriv inn sikkerhetskoden din i BankID-appen og velg Identifiser eller Signer."
        );
    }

    #[test]
    fn codes_round_trip_and_are_unique() {
        let codes: std::collections::HashSet<_> = Rfa::ALL.iter().map(|r| r.code()).collect();
        assert_eq!(codes.len(), Rfa::ALL.len());
        for rfa in Rfa::ALL {
            assert_eq!(Rfa::from_code(rfa.code()), Some(rfa));
            assert_eq!(Rfa::from_code(&rfa.code().to_lowercase()), Some(rfa));
            assert_eq!(rfa.to_string(), rfa.code());
            assert!(rfa.code().starts_with("RFA"));
        }
        assert_eq!(Rfa::Rfa15A.code(), "RFA15A");
        for unknown in ["RFA7", "RFA15", "RFA24", "", "15A", " RFA1"] {
            assert_eq!(Rfa::from_code(unknown), None, "{unknown:?}");
        }
    }

    #[test]
    fn serde_uses_the_code() {
        assert_eq!(serde_json::to_string(&Rfa::Rfa17B).unwrap(), "\"RFA17B\"");
        assert_eq!(
            serde_json::from_str::<Rfa>("\"RFA17B\"").unwrap(),
            Rfa::Rfa17B
        );
        assert_eq!(
            serde_json::to_string(&Rfa::ALL.to_vec())
                .unwrap()
                .matches("RFA")
                .count(),
            19
        );
        assert!(serde_json::from_str::<Rfa>("\"RFA7\"").is_err());
        assert!(serde_json::from_str::<Rfa>("1").is_err());
    }

    #[test]
    fn language_tags() {
        for (tag, lang) in [
            ("sv", Some(Lang::Sv)),
            ("sv-SE", Some(Lang::Sv)),
            ("SV-se", Some(Lang::Sv)),
            ("sv_FI", Some(Lang::Sv)),
            ("en", Some(Lang::En)),
            ("en-GB", Some(Lang::En)),
            ("EN-us", Some(Lang::En)),
            (" en ", Some(Lang::En)),
            ("nb-NO", Some(Lang::Nb)),
            ("no", Some(Lang::Nb)),
            ("nn-NO", Some(Lang::Nb)),
            ("fi", None),
            ("", None),
            ("svenska", None),
            ("english", None),
        ] {
            assert_eq!(Lang::from_tag(tag), lang, "{tag:?}");
        }
        assert_eq!(Lang::default(), Lang::Sv);
        assert_eq!(Lang::Sv.tag(), "sv");
        assert_eq!(Lang::En.tag(), "en");
        for lang in Lang::ALL {
            assert_eq!(Lang::from_tag(lang.tag()), Some(lang));
        }
    }

    proptest! {
        #[test]
        fn any_collect_answer_gets_a_message_unless_complete(status in any::<String>(), hint in any::<Option<String>>()) {
            for flow in FLOWS {
                let rfa = for_collect(flow, &status, hint.as_deref());
                prop_assert_eq!(rfa.is_none(), status == "complete");
            }
        }

        #[test]
        fn unknown_hints_are_generic(hint in "[a-zA-Z]{1,30}") {
            let known = COLLECT_TABLE.iter().any(|(_, h, _)| *h == Some(hint.as_str()));
            prop_assume!(!known);
            for flow in FLOWS {
                prop_assert_eq!(for_collect(flow, "pending", Some(&hint)), Some(Rfa::Rfa21));
                prop_assert_eq!(for_collect(flow, "failed", Some(&hint)), Some(Rfa::Rfa22));
            }
        }

        #[test]
        fn any_string_is_safe(s in any::<String>()) {
            let _ = Rfa::from_code(&s);
            let _ = Lang::from_tag(&s);
        }
    }
}
