//! Every word the widget shows, in one catalogue: Swedish, English and Norwegian bokmål.
//!
//! BankID's recommended user messages (RFA) come from [`legit_core::rfa`], which also holds legit's bokmål
//! translation of them (BankID publishes none). Everything else is a [`Text`], declared with its three
//! translations side by side so a language cannot be forgotten: leaving one out does not compile, and an empty
//! one fails `every_text_exists_in_every_language`. The languages are core's [`Lang`], shared with the SMS,
//! e-mail and pages the edge writes.

pub use legit_core::Lang;
use legit_core::Rfa;
use legit_core::rfa;

/// What the widget says in a [`Lang`]; a trait because `Lang` is core's.
pub trait Say {
    /// What the widget shows for `text`.
    fn t(self, text: Text) -> &'static str;
    /// BankID's recommended message `rfa`.
    fn rfa(self, rfa: Rfa) -> &'static str;
}

impl Say for Lang {
    fn t(self, text: Text) -> &'static str {
        // `entry` lists the texts in core's declaration order (Sv, En, Nb); `the_catalogue_is_in_cores_order`.
        text.entry()[self as usize]
    }

    fn rfa(self, rfa: Rfa) -> &'static str {
        rfa.text(self)
    }
}

/// Picks the language: the embed's `lang=` first, then the browser's languages in order of preference, then
/// the tenant's configured locale; Swedish when none of them is one we speak.
pub fn pick(explicit: Option<&str>, tenant_locale: Option<&str>, browser: &[String]) -> Lang {
    explicit
        .and_then(Lang::from_tag)
        .or_else(|| browser.iter().find_map(|tag| Lang::from_tag(tag)))
        .or_else(|| tenant_locale.and_then(Lang::from_tag))
        .unwrap_or_default()
}

macro_rules! catalogue {
    ($($(#[$attr:meta])* $key:ident => [$sv:expr, $en:expr, $nb:expr $(,)?],)*) => {
        /// A text of the widget's own (not one of BankID's RFA messages).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Text {
            $($(#[$attr])* $key,)*
        }

        impl Text {
            /// Every text, for the completeness test.
            pub const ALL: &[Text] = &[$($(#[$attr])* Text::$key,)*];

            /// Swedish, English, bokmål.
            fn entry(self) -> [&'static str; 3] {
                match self {
                    $($(#[$attr])* Text::$key => [$sv, $en, $nb],)*
                }
            }
        }
    };
}

catalogue! {
    // --- Customer ---
    #[cfg(feature = "customer")]
    Title => ["Legitimera dig med BankID", "Identify yourself with BankID", "Identifiser deg med BankID"],
    #[cfg(feature = "customer")]
    ThisDevice => ["BankID på den här enheten", "BankID on this device", "BankID på denne enheten"],
    #[cfg(feature = "customer")]
    ThisComputer => ["BankID på den här datorn", "BankID on this computer", "BankID på denne datamaskinen"],
    #[cfg(feature = "customer")]
    OtherDevice => ["BankID på en annan enhet", "BankID on another device", "BankID på en annen enhet"],
    #[cfg(feature = "customer")]
    MobileBankId => ["Mobilt BankID", "Mobile BankID", "Mobilt BankID"],
    #[cfg(feature = "customer")]
    StartBankId => ["Starta BankID", "Start BankID", "Start BankID"],
    Starting => ["Startar\u{a0}…", "Starting\u{a0}…", "Starter\u{a0}…"],
    #[cfg(feature = "customer")]
    QrLabel => ["QR-kod att skanna med BankID-appen", "QR code to scan with the BankID app", "QR-kode som skannes med BankID-appen"],
    #[cfg(feature = "customer")]
    QrHowTo => [
        "Öppna BankID-appen i mobilen, tryck på QR-symbolen och rikta kameran mot koden.",
        "Open the BankID app on your phone, tap the QR symbol and point the camera at the code.",
        "Åpne BankID-appen på mobilen, trykk på QR-symbolet og rett kameraet mot koden.",
    ],
    Cancel => ["Avbryt", "Cancel", "Avbryt"],
    TryAgain => ["Försök igen", "Try again", "Prøv igjen"],
    #[cfg(feature = "customer")]
    UseOtherDevice => ["Använd BankID på en annan enhet", "Use BankID on another device", "Bruk BankID på en annen enhet"],
    #[cfg(feature = "customer")]
    UseThisComputer => ["Använd BankID på den här datorn", "Use BankID on this computer", "Bruk BankID på denne datamaskinen"],
    #[cfg(feature = "customer")]
    UseThisDevice => ["Använd BankID på den här enheten", "Use BankID on this device", "Bruk BankID på denne enheten"],
    #[cfg(feature = "customer")]
    Identified => ["Du är identifierad.", "You are identified.", "Du er identifisert."],
    #[cfg(feature = "customer")]
    LinkSentBy => ["Skickad av", "Sent by", "Sendt av"],
    #[cfg(feature = "customer")]
    LinkDoneNextStep => [
        "Du kan stänga sidan nu. Den som skickade länken ser att du är identifierad.",
        "You can close this page now. Whoever sent you the link can see that you are identified.",
        "Du kan lukke siden nå. Den som sendte deg lenken, ser at du er identifisert.",
    ],
    // The status line above the three texts below, in place of BankID's "try again".
    #[cfg(feature = "customer")]
    LinkUnusable => [
        "Länken kan inte användas längre.",
        "This link can no longer be used.",
        "Denne lenken kan ikke brukes lenger.",
    ],
    #[cfg(feature = "customer")]
    LinkSpentAskNew => [
        "Länken kan bara användas en gång. Be den du pratar med om en ny länk om du behöver identifiera dig igen.",
        "A link can only be used once. Ask the person you are talking to for a new link if you need to identify yourself again.",
        "Lenken kan bare brukes én gang. Be den du snakker med om en ny lenke hvis du må identifisere deg på nytt.",
    ],
    #[cfg(feature = "customer")]
    LinkWithdrawnAskNew => [
        "Den som skickade länken har dragit tillbaka den. Be den du pratar med om en ny länk om du behöver identifiera dig.",
        "Whoever sent this link has withdrawn it. Ask the person you are talking to for a new link if you need to identify yourself.",
        "Den som sendte lenken, har trukket den tilbake. Be den du snakker med om en ny lenke hvis du må identifisere deg.",
    ],
    #[cfg(feature = "customer")]
    LinkExpiredAskNew => [
        "Länken har gått ut. Be den du pratar med om en ny länk.",
        "This link has expired. Ask the person you are talking to for a new link.",
        "Lenken er utløpt. Be den du snakker med om en ny lenke.",
    ],
    #[cfg(feature = "customer")]
    Signed => ["Underskriften är klar.", "Your signature is done.", "Signeringen er fullført."],
    NeedHelp => [rfa::NEED_HELP[0], rfa::NEED_HELP[1], rfa::NEED_HELP[2]],
    #[cfg(feature = "customer")]
    StartFailedCauses => ["Vanliga orsaker:", "Common causes:", "Vanlige årsaker:"],
    #[cfg(feature = "customer")]
    CauseOldApp => [
        "BankID-appen saknas eller är för gammal.",
        "The BankID app is missing or too old.",
        "BankID-appen mangler eller er for gammel.",
    ],
    #[cfg(feature = "customer")]
    CauseOldSecurityApp => [
        "BankID Säkerhetsprogram saknas eller är för gammalt.",
        "The BankID Security Application is missing or too old.",
        "BankID Säkerhetsprogram mangler eller er for gammelt.",
    ],
    #[cfg(feature = "customer")]
    CausePrompt => [
        "Webbläsarens fråga om att öppna BankID godkändes inte.",
        "The browser's question about opening BankID was not accepted.",
        "Nettleserens spørsmål om å åpne BankID ble ikke godtatt.",
    ],
    #[cfg(feature = "customer")]
    CauseFirewall => [
        "Ett antivirusprogram eller en brandvägg stoppar BankID.",
        "Antivirus software or a firewall is blocking BankID.",
        "Et antivirusprogram eller en brannmur stopper BankID.",
    ],
    #[cfg(feature = "customer")]
    CauseOldOs => [
        "Datorns operativsystem är för gammalt: använd Mobilt BankID i stället.",
        "The computer's operating system is too old: use Mobile BankID instead.",
        "Datamaskinens operativsystem er for gammelt: bruk Mobilt BankID i stedet.",
    ],
    #[cfg(feature = "customer")]
    CauseQrLate => [
        "QR-koden lästes inte av i tid, eller en gammal kod lästes av.",
        "The QR code was not scanned in time, or an old code was scanned.",
        "QR-koden ble ikke skannet i tide, eller en gammel kode ble skannet.",
    ],
    #[cfg(feature = "customer")]
    InstallBankId => [
        "Installera eller uppdatera BankID på install.bankid.com",
        "Install or update BankID at install.bankid.com",
        "Installer eller oppdater BankID på install.bankid.com",
    ],
    #[cfg(feature = "customer")]
    // Whatever the flow: the button under it names the other way (QR code, or this device).
    UserCancelAlternatives => [
        "Du kan försöka igen, eller starta BankID på ett annat sätt.",
        "You can try again, or start BankID another way.",
        "Du kan prøve igjen, eller starte BankID på en annen måte.",
    ],
    #[cfg(feature = "customer")]
    InAppBrowser => [
        "Öppnas inte BankID? Öppna sidan i din vanliga webbläsare, eller använd BankID på en annan enhet.",
        "BankID does not open? Open this page in your usual browser, or use BankID on another device.",
        "Åpnes ikke BankID? Åpne siden i den vanlige nettleseren din, eller bruk BankID på en annen enhet.",
    ],
    Reconnecting => ["Anslutningen bröts. Ansluter igen\u{a0}…", "Connection lost. Reconnecting\u{a0}…", "Forbindelsen ble brutt. Kobler til igjen\u{a0}…"],
    Unreachable => [
        "Tjänsten går inte att nå just nu. Kontrollera anslutningen och försök igen.",
        "The service cannot be reached right now. Check your connection and try again.",
        "Tjenesten kan ikke nås akkurat nå. Kontroller forbindelsen og prøv igjen.",
    ],
    TooManyRequests => [
        "För många försök. Vänta en stund och försök igen.",
        "Too many attempts. Wait a moment and try again.",
        "For mange forsøk. Vent litt og prøv igjen.",
    ],
    NotConfigured => [
        "Widgeten saknar inställningar (tenant). Kontakta den som driftar sidan.",
        "The widget is missing its settings (tenant). Contact whoever runs this page.",
        "Widgeten mangler innstillinger (tenant). Kontakt den som drifter siden.",
    ],
    // --- Agent ---
    #[cfg(feature = "agent")]
    AgentTitle => ["Kundidentifiering med BankID", "Customer identification with BankID", "Kundeidentifisering med BankID"],
    #[cfg(feature = "agent")]
    TabIdentify => ["Identifiera", "Identify", "Identifiser"],
    #[cfg(feature = "agent")]
    TabLink => ["Skicka länk", "Send link", "Send lenke"],
    #[cfg(feature = "agent")]
    TabLookup => ["Sök", "Look up", "Søk"],
    #[cfg(feature = "agent")]
    AgentTasks => ["Uppgifter", "Tasks", "Oppgaver"],
    #[cfg(feature = "agent")]
    PersonalNumber => ["Personnummer", "Personal identity number", "Personnummer"],
    #[cfg(feature = "agent")]
    PersonalNumberHint => ["ÅÅÅÅMMDD-NNNN eller ÅÅMMDD-NNNN", "YYYYMMDD-NNNN or YYMMDD-NNNN", "ÅÅÅÅMMDD-NNNN eller ÅÅMMDD-NNNN"],
    #[cfg(feature = "agent")]
    SentAs => ["Skickas som", "Will be sent as", "Sendes som"],
    #[cfg(feature = "agent")]
    WhoCalled => ["Vem ringde?", "Who called?", "Hvem ringte?"],
    #[cfg(feature = "agent")]
    CustomerCalled => ["Kunden ringde oss", "The customer called us", "Kunden ringte oss"],
    #[cfg(feature = "agent")]
    WeCalled => ["Vi ringde kunden", "We called the customer", "Vi ringte kunden"],
    #[cfg(feature = "agent")]
    ChooseWhoCalled => [
        "Välj vem som ringde: BankID visar det för kunden.",
        "Choose who called: BankID shows it to the customer.",
        "Velg hvem som ringte: BankID viser det til kunden.",
    ],
    #[cfg(feature = "agent")]
    IdentifyCustomer => ["Identifiera kunden", "Identify the customer", "Identifiser kunden"],
    #[cfg(feature = "agent")]
    NewIdentification => ["Ny identifiering", "New identification", "Ny identifisering"],
    #[cfg(feature = "agent")]
    AgentWaitingOpen => [
        "Väntar på att kunden öppnar BankID",
        "Waiting for the customer to open BankID",
        "Venter på at kunden åpner BankID",
    ],
    #[cfg(feature = "agent")]
    AgentOpened => ["Kunden har öppnat BankID", "The customer has opened BankID", "Kunden har åpnet BankID"],
    #[cfg(feature = "agent")]
    AgentConfirmCall => [
        "Kunden bekräftar samtalet i BankID",
        "The customer is confirming the call in BankID",
        "Kunden bekrefter samtalen i BankID",
    ],
    #[cfg(feature = "agent")]
    AgentUserSign => [
        "Kunden skriver in sin säkerhetskod",
        "The customer is entering their security code",
        "Kunden skriver inn sikkerhetskoden sin",
    ],
    #[cfg(feature = "agent")]
    AgentMrtd => [
        "Kunden läser av sin ID-handling",
        "The customer is scanning their ID document",
        "Kunden skanner ID-dokumentet sitt",
    ],
    #[cfg(feature = "agent")]
    AgentInProgress => ["Identifiering pågår", "Identification in progress", "Identifisering pågår"],
    #[cfg(feature = "agent")]
    AgentComplete => ["Kunden är identifierad", "The customer is identified", "Kunden er identifisert"],
    #[cfg(feature = "agent")]
    AgentUserCancel => ["Kunden avbröt i BankID", "The customer cancelled in BankID", "Kunden avbrøt i BankID"],
    #[cfg(feature = "agent")]
    AgentDeclinedCall => [
        "Kunden nekade samtalet i BankID",
        "The customer declined the call in BankID",
        "Kunden avviste samtalen i BankID",
    ],
    #[cfg(feature = "agent")]
    AgentCancelled => ["Identifieringen avbröts", "The identification was cancelled", "Identifiseringen ble avbrutt"],
    #[cfg(feature = "agent")]
    AgentExpired => [
        "Kunden svarade inte i tid",
        "The customer did not respond in time",
        "Kunden svarte ikke i tide",
    ],
    #[cfg(feature = "agent")]
    AgentStartFailed => [
        "Kunden öppnade inte BankID i tid",
        "The customer did not open BankID in time",
        "Kunden åpnet ikke BankID i tide",
    ],
    #[cfg(feature = "agent")]
    AgentBlocked => [
        "Kundens BankID är spärrat eller för gammalt",
        "The customer's BankID is blocked or too old",
        "Kundens BankID er sperret eller for gammelt",
    ],
    #[cfg(feature = "agent")]
    AgentAlreadyInProgress => [
        "Kunden har redan en identifiering eller underskrift pågående",
        "The customer already has an identification or signature in progress",
        "Kunden har allerede en identifisering eller signering på gang",
    ],
    #[cfg(feature = "agent")]
    AgentMismatch => [
        "Någon annan än den angivna personen legitimerade sig. Ingen identitet visas.",
        "Someone other than the person asked for identified themselves. No identity is shown.",
        "Noen andre enn den oppgitte personen identifiserte seg. Ingen identitet vises.",
    ],
    #[cfg(feature = "agent")]
    AgentUnavailable => [
        "BankID svarar inte just nu. Försök igen om en stund.",
        "BankID is not answering right now. Try again in a while.",
        "BankID svarer ikke akkurat nå. Prøv igjen om litt.",
    ],
    #[cfg(feature = "agent")]
    AgentFailed => ["Identifieringen misslyckades", "The identification failed", "Identifiseringen mislyktes"],
    SessionMissing => [
        "Agentsessionen saknas eller har gått ut. Öppna widgeten igen från ert system.",
        "The agent session is missing or has expired. Open the widget again from your system.",
        "Agentøkten mangler eller er utløpt. Åpne widgeten på nytt fra systemet deres.",
    ],
    #[cfg(feature = "agent")]
    Name => ["Namn", "Name", "Navn"],
    #[cfg(feature = "agent")]
    GivenName => ["Förnamn", "Given name", "Fornavn"],
    #[cfg(feature = "agent")]
    Surname => ["Efternamn", "Surname", "Etternavn"],
    #[cfg(feature = "agent")]
    Withheld => ["Visas inte (policy)", "Not shown (policy)", "Vises ikke (policy)"],
    // --- Agent: the IVR's call (`?callid=`) ---
    #[cfg(feature = "agent")]
    CallTitle => ["Samtalet i röstsvaret", "The call in the IVR", "Samtalen i talesvaret"],
    #[cfg(feature = "agent")]
    CallWaiting => [
        "Väntar på att den som ringer anger sitt personnummer",
        "Waiting for the caller to enter their personal number",
        "Venter på at den som ringer taster inn personnummeret sitt",
    ],
    #[cfg(feature = "agent")]
    CallNotFound => [
        "Röstsvaret har inte identifierat någon i det här samtalet",
        "The IVR has not identified anyone in this call",
        "Talesvaret har ikke identifisert noen i denne samtalen",
    ],
    #[cfg(feature = "agent")]
    CallIdentified => [
        "Identifieringen lyckades för personnummer",
        "Identification successful for personal identity number",
        "Identifiseringen lyktes for personnummer",
    ],
    // --- Agent: links ---
    #[cfg(feature = "agent")]
    Channel => ["Skicka med", "Send by", "Send med"],
    #[cfg(feature = "agent")]
    Sms => ["SMS", "Text message", "SMS"],
    #[cfg(feature = "agent")]
    Email => ["E-post", "E-mail", "E-post"],
    #[cfg(feature = "agent")]
    MobileNumber => ["Mobilnummer", "Mobile number", "Mobilnummer"],
    #[cfg(feature = "agent")]
    EmailAddress => ["E-postadress", "E-mail address", "E-postadresse"],
    #[cfg(feature = "agent")]
    SendLink => ["Skicka länk", "Send link", "Send lenke"],
    #[cfg(feature = "agent")]
    LinkSending => ["Skickar länken\u{a0}…", "Sending the link\u{a0}…", "Sender lenken\u{a0}…"],
    #[cfg(feature = "agent")]
    LinkSent => ["Länken är skickad", "The link has been sent", "Lenken er sendt"],
    #[cfg(feature = "agent")]
    LinkWaiting => [
        "Väntar på att kunden legitimerar sig via länken",
        "Waiting for the customer to identify themselves through the link",
        "Venter på at kunden identifiserer seg via lenken",
    ],
    #[cfg(feature = "agent")]
    LinkOpened => ["Kunden har öppnat länken", "The customer has opened the link", "Kunden har åpnet lenken"],
    #[cfg(feature = "agent")]
    LinkExpired => ["Länken har gått ut", "The link has expired", "Lenken er utløpt"],
    #[cfg(feature = "agent")]
    LinkWithdrawn => ["Länken är tillbakadragen", "The link has been withdrawn", "Lenken er trukket tilbake"],
    #[cfg(feature = "agent")]
    WithdrawLink => ["Dra tillbaka länken", "Withdraw the link", "Trekk tilbake lenken"],
    #[cfg(feature = "agent")]
    WithdrawFailed => ["Länken kunde inte dras tillbaka", "The link could not be withdrawn", "Lenken kunne ikke trekkes tilbake"],
    #[cfg(feature = "agent")]
    LinkFailed => ["Länken kunde inte skickas", "The link could not be sent", "Lenken kunne ikke sendes"],
    #[cfg(feature = "agent")]
    LinksUnavailable => [
        "Länkar och ärendesökning finns inte på den här servern ännu.",
        "Links and look-up are not available on this server yet.",
        "Lenker og oppslag er ikke tilgjengelig på denne serveren ennå.",
    ],
    #[cfg(feature = "agent")]
    Reference => ["Referensnummer", "Reference number", "Referansenummer"],
    #[cfg(feature = "agent")]
    ValidUntil => ["Giltig till", "Valid until", "Gyldig til"],
    #[cfg(feature = "agent")]
    FetchStatus => ["Hämta status", "Fetch status", "Hent status"],
    #[cfg(feature = "agent")]
    SendAnother => ["Skicka en ny länk", "Send another link", "Send en ny lenke"],
    #[cfg(feature = "agent")]
    LookUp => ["Sök", "Look up", "Søk"],
    #[cfg(feature = "agent")]
    ReferenceNotFound => [
        "Inget ärende med det referensnumret (eller så har resultatet raderats).",
        "No check with that reference number (or its result has been deleted).",
        "Ingen sak med det referansenummeret (eller resultatet er slettet).",
    ],
    #[cfg(feature = "agent")]
    ReferenceHint => [
        "8 tecken, till exempel K7QX‑M4TR.",
        "8 characters, for example K7QX‑M4TR.",
        "8 tegn, for eksempel K7QX‑M4TR.",
    ],
    // --- Input errors, by the code of legit_core's parse errors ---
    #[cfg(feature = "agent")]
    PnrEmpty => ["Skriv ett personnummer.", "Enter a personal identity number.", "Skriv inn et personnummer."],
    #[cfg(feature = "agent")]
    PnrInvalidCharacter => [
        "Ett personnummer har bara siffror och ett - eller + före de fyra sista.",
        "A personal identity number has only digits and a - or + before the last four.",
        "Et personnummer har bare sifre og en - eller + før de fire siste.",
    ],
    #[cfg(feature = "agent")]
    PnrWrongLength => [
        "Ett personnummer har 10 eller 12 siffror.",
        "A personal identity number has 10 or 12 digits.",
        "Et personnummer har 10 eller 12 sifre.",
    ],
    #[cfg(feature = "agent")]
    PnrMisplacedSeparator => [
        "Ett - eller + får bara stå före de fyra sista siffrorna.",
        "A - or + can only stand before the last four digits.",
        "En - eller + kan bare stå før de fire siste sifrene.",
    ],
    #[cfg(feature = "agent")]
    PnrInvalidDate => [
        "Numret innehåller inget giltigt födelsedatum.",
        "There is no valid date of birth in this number.",
        "Nummeret inneholder ingen gyldig fødselsdato.",
    ],
    #[cfg(feature = "agent")]
    PnrFutureDate => [
        "Födelsedatumet ligger i framtiden.",
        "The date of birth is in the future.",
        "Fødselsdatoen ligger i fremtiden.",
    ],
    #[cfg(feature = "agent")]
    PnrWrongCheckDigit => [
        "Kontrollsiffran stämmer inte: leta efter en felskrivning.",
        "The check digit does not match: look for a typo.",
        "Kontrollsifferet stemmer ikke: se etter en skrivefeil.",
    ],
    #[cfg(feature = "agent")]
    RefEmpty => ["Skriv ett referensnummer.", "Enter a reference number.", "Skriv inn et referansenummer."],
    #[cfg(feature = "agent")]
    RefExcludedCharacter => [
        "Referensnummer innehåller aldrig 0, 1, I, L, O eller U: leta efter en felläsning.",
        "Reference numbers never contain 0, 1, I, L, O or U: check for a misread character.",
        "Referansenumre inneholder aldri 0, 1, I, L, O eller U: se etter et feillest tegn.",
    ],
    #[cfg(feature = "agent")]
    RefInvalidCharacter => [
        "Ett referensnummer har bara bokstäverna A–Z och siffror.",
        "A reference number has only the letters A–Z and digits.",
        "Et referansenummer har bare bokstavene A–Z og sifre.",
    ],
    #[cfg(feature = "agent")]
    RefWrongLength => [
        "Ett referensnummer har 8 tecken, till exempel K7QX‑M4TR.",
        "A reference number has 8 characters, for example K7QX‑M4TR.",
        "Et referansenummer har 8 tegn, for eksempel K7QX‑M4TR.",
    ],
    #[cfg(feature = "agent")]
    PhoneEmpty => ["Skriv ett mobilnummer.", "Enter a mobile number.", "Skriv inn et mobilnummer."],
    #[cfg(feature = "agent")]
    PhoneInvalidCharacter => [
        "Ett telefonnummer har bara siffror, mellanslag och - . / ( ), och kan börja med +.",
        "A phone number has only digits, spaces and - . / ( ), and may start with +.",
        "Et telefonnummer har bare sifre, mellomrom og - . / ( ), og kan begynne med +.",
    ],
    #[cfg(feature = "agent")]
    PhoneTooShort => ["Numret är för kort.", "The number is too short.", "Nummeret er for kort."],
    #[cfg(feature = "agent")]
    PhoneTooLong => ["Numret är för långt.", "The number is too long.", "Nummeret er for langt."],
    #[cfg(feature = "agent")]
    PhoneInvalidCountryCode => [
        "Landsnumret är ogiltigt. Skriv till exempel 070-123 45 67 eller +46 70 123 45 67.",
        "The country code is not valid. Write e.g. 070-123 45 67 or +46 70 123 45 67.",
        "Landskoden er ugyldig. Skriv for eksempel 070-123 45 67 eller +46 70 123 45 67.",
    ],
    #[cfg(feature = "agent")]
    PhoneNotMobile => [
        "Det här är inget mobilnummer: SMS kräver ett nummer som börjar med 07.",
        "This is not a mobile number: a text message needs a number starting with 07.",
        "Dette er ikke et mobilnummer: SMS krever et nummer som begynner med 07.",
    ],
    #[cfg(feature = "agent")]
    EmailEmpty => ["Skriv en e-postadress.", "Enter an e-mail address.", "Skriv inn en e-postadresse."],
    #[cfg(feature = "agent")]
    EmailMissingAt => [
        "En e-postadress behöver ett @, som i namn@exempel.se.",
        "An e-mail address needs an @, as in name@example.com.",
        "En e-postadresse trenger en @, som i navn@eksempel.no.",
    ],
    #[cfg(feature = "agent")]
    EmailMultipleAt => ["En e-postadress har bara ett @.", "An e-mail address has only one @.", "En e-postadresse har bare én @."],
    #[cfg(feature = "agent")]
    EmailInvalidLocalPart => [
        "Delen före @ är ogiltig.",
        "The part before the @ is not valid.",
        "Delen før @ er ugyldig.",
    ],
    #[cfg(feature = "agent")]
    EmailInvalidDomain => [
        "Delen efter @ är ingen giltig domän.",
        "The part after the @ is not a valid domain.",
        "Delen etter @ er ikke et gyldig domene.",
    ],
    #[cfg(feature = "agent")]
    EmailTooLong => ["E-postadressen är för lång.", "The e-mail address is too long.", "E-postadressen er for lang."],
}

#[cfg(feature = "agent")]
impl Text {
    /// The message for a [`legit_core::PersonalNumberError`] code.
    pub fn personal_number_error(code: &str) -> Text {
        match code {
            "empty" => Text::PnrEmpty,
            "invalid_character" => Text::PnrInvalidCharacter,
            "wrong_length" => Text::PnrWrongLength,
            "misplaced_separator" => Text::PnrMisplacedSeparator,
            "invalid_date" => Text::PnrInvalidDate,
            "future_date" => Text::PnrFutureDate,
            _ => Text::PnrWrongCheckDigit,
        }
    }

    /// The message for a [`legit_core::link::ReferenceError`] code.
    pub fn reference_error(code: &str) -> Text {
        match code {
            "empty" => Text::RefEmpty,
            "excluded_character" => Text::RefExcludedCharacter,
            "invalid_character" => Text::RefInvalidCharacter,
            _ => Text::RefWrongLength,
        }
    }

    /// The message for a [`legit_core::PhoneNumberError`] code.
    pub fn phone_error(code: &str) -> Text {
        match code {
            "empty" => Text::PhoneEmpty,
            "invalid_character" => Text::PhoneInvalidCharacter,
            "too_short" => Text::PhoneTooShort,
            "too_long" => Text::PhoneTooLong,
            _ => Text::PhoneInvalidCountryCode,
        }
    }

    /// The message for a [`legit_core::EmailError`] code.
    pub fn email_error(code: &str) -> Text {
        match code {
            "empty" => Text::EmailEmpty,
            "missing_at" => Text::EmailMissingAt,
            "multiple_at" => Text::EmailMultipleAt,
            "invalid_local_part" => Text::EmailInvalidLocalPart,
            "invalid_domain" => Text::EmailInvalidDomain,
            _ => Text::EmailTooLong,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same tests run natively and, under `cargo xtask test`, in Chromium.
    use legit_core::link::ReferenceNumber;
    use legit_core::{Date, Email, PersonalNumber, PhoneNumber};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn every_text_exists_in_every_language() {
        for text in Text::ALL {
            for lang in Lang::ALL {
                assert!(!lang.t(*text).trim().is_empty(), "{text:?} in {lang:?}");
            }
        }
        for rfa in Rfa::ALL {
            for lang in Lang::ALL {
                assert!(!lang.rfa(rfa).trim().is_empty(), "{rfa} in {lang:?}");
            }
        }
    }

    #[test]
    fn the_catalogue_is_in_cores_order() {
        assert_eq!(Lang::Sv.t(Text::TryAgain), "Försök igen");
        assert_eq!(Lang::En.t(Text::TryAgain), "Try again");
        assert_eq!(Lang::Nb.t(Text::TryAgain), "Prøv igjen");
    }

    #[test]
    fn an_ellipsis_never_wraps_onto_a_line_of_its_own() {
        for text in Text::ALL {
            for lang in Lang::ALL {
                let s = lang.t(*text);
                assert!(
                    !s.contains(" …"),
                    "{text:?} in {lang:?}: {s:?} needs a no-break space"
                );
            }
        }
    }

    #[test]
    fn translations_are_not_copies_of_english() {
        // Names and codes may be the same in every language; sentences may not.
        let sentences = Text::ALL
            .iter()
            .filter(|t| Lang::En.t(**t).contains(' ') && Lang::En.t(**t).len() > 20);
        for text in sentences {
            assert_ne!(Lang::Sv.t(*text), Lang::En.t(*text), "{text:?}");
            assert_ne!(Lang::Nb.t(*text), Lang::En.t(*text), "{text:?}");
        }
        for rfa in Rfa::ALL {
            assert_ne!(Lang::Nb.rfa(rfa), Lang::En.rfa(rfa), "{rfa}");
            assert_ne!(Lang::Nb.rfa(rfa), Lang::Sv.rfa(rfa), "{rfa}");
        }
    }

    #[test]
    fn rfa_texts_are_bankids_from_core() {
        assert_eq!(Lang::Sv.rfa(Rfa::Rfa1), "Starta BankID-appen.");
        assert_eq!(Lang::En.rfa(Rfa::Rfa1), "Start your BankID app.");
        assert_eq!(Lang::Nb.rfa(Rfa::Rfa1), "Start BankID-appen.");
    }

    #[test]
    fn every_input_error_of_core_has_its_own_text() {
        let today = Date::new(2026, 11, 23).unwrap_or(Date {
            year: 2026,
            month: 11,
            day: 23,
        });
        let pnr_inputs = [
            "",
            "81122x-9874",
            "8112289",
            "81-1228-9874",
            "811399-9874",
            "20991228-9874",
            "811228-9875",
        ];
        let mut seen = Vec::new();
        for input in pnr_inputs {
            let code = PersonalNumber::parse(input, today).unwrap_err().code();
            let text = Text::personal_number_error(code);
            assert!(!seen.contains(&text), "{input:?} → {code} shares a text");
            seen.push(text);
        }
        let phone_inputs = [
            "",
            "070-123 45 6x",
            "0701",
            "0701234567891234567",
            "+0701234567",
        ];
        let mut seen = Vec::new();
        for input in phone_inputs {
            let code = PhoneNumber::parse(input).unwrap_err().code();
            let text = Text::phone_error(code);
            assert!(!seen.contains(&text), "{input:?} → {code} shares a text");
            seen.push(text);
        }
        let mut seen = Vec::new();
        for input in ["", "K7QX-M4T0", "K7QX-M4TÅ", "K7QX-M4T"] {
            let code = ReferenceNumber::parse(input).unwrap_err().code();
            let text = Text::reference_error(code);
            assert!(!seen.contains(&text), "{input:?} → {code} shares a text");
            seen.push(text);
        }
        let long = format!("{}@example.com", "a".repeat(300));
        let email_inputs = [
            "",
            "a.example.com",
            "a@b@c.se",
            "a..b@example.com",
            "a@example",
            &long,
        ];
        let mut seen = Vec::new();
        for input in email_inputs {
            let code = Email::parse(input).unwrap_err().code();
            let text = Text::email_error(code);
            assert!(!seen.contains(&text), "{input:?} → {code} shares a text");
            seen.push(text);
        }
    }

    #[test]
    fn language_comes_from_the_embed_then_the_browser_then_the_tenant() {
        let browser = vec!["de-DE".to_owned(), "en-GB".to_owned()];
        assert_eq!(pick(Some("nb"), Some("sv"), &browser), Lang::Nb);
        assert_eq!(pick(Some("fi"), Some("sv"), &browser), Lang::En);
        assert_eq!(pick(None, Some("nb"), &[]), Lang::Nb);
        assert_eq!(pick(None, None, &["no-NO".to_owned()]), Lang::Nb);
        assert_eq!(pick(None, None, &["fr".to_owned()]), Lang::Sv);
        assert_eq!(Lang::from_tag("SV_se"), Some(Lang::Sv));
        assert_eq!(Lang::from_tag(""), None);
    }
}
