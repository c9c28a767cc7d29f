//! The page a customer sees when a link cannot be used (unknown, used, expired): the texts of
//! `legit_core::link::LinkRefusal` in their language, as a small self-contained HTML document. Pure
//! functions, tested natively; `links::customer_page` serves it.

use legit_core::Lang;
use legit_core::link::LinkRefusal;
use legit_core::message::html_escape;
use legit_core::rfa;

/// The customer's language: the first of `Accept-Language` that legit speaks (Swedish, English, bokmål; by
/// preference order, `q` respected), else `fallback` (the link's language, or Swedish for an unknown link).
pub fn pick_lang(accept_language: Option<&str>, fallback: Lang) -> Lang {
    let Some(header) = accept_language else {
        return fallback;
    };
    let mut best: Option<(f32, usize, Lang)> = None;
    for (i, item) in header.split(',').enumerate() {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or("").trim();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let Some(lang) = Lang::from_tag(tag) else {
            continue;
        };
        if q <= 0.0 {
            continue;
        }
        // Higher q wins; at equal q the earlier entry.
        if best.is_none_or(|(bq, _, _)| q > bq) {
            best = Some((q, i, lang));
        }
    }
    best.map_or(fallback, |(_, _, lang)| lang)
}

/// The refusal page: title, what to do, and the widget's footer (BankID's help, the language switch, a plain
/// link: `?lang=`); nothing to load but the widget's style sheet (the page CSP allows nothing inline).
pub fn refusal_html(refusal: LinkRefusal, lang: Lang) -> String {
    let title = html_escape(refusal.title(lang));
    let advice = html_escape(refusal.advice(lang));
    let langs: String = Lang::ALL
        .iter()
        .map(|&l| {
            let current = if l == lang {
                " aria-current=\"true\""
            } else {
                ""
            };
            format!(
                "<a class=\"lang\" lang=\"{tag}\" href=\"?lang={tag}\"{current}>{name}</a>",
                tag = l.tag(),
                name = l.name(),
            )
        })
        .collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"{tag}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"/widget/legit.css\"></head>\
         <body class=\"legit-page\"><main class=\"legit\" data-refusal=\"{code}\">\
         <h1>{title}</h1><p class=\"lead\">{advice}</p>\
         <footer class=\"footer\"><a href=\"{support}\" target=\"_blank\" rel=\"noopener\">{help}</a>\
         <span class=\"langs\">{langs}</span></footer></main></body></html>\n",
        tag = lang.tag(),
        code = refusal.code(),
        support = rfa::SUPPORT_URL,
        help = html_escape(rfa::NEED_HELP[lang as usize]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browsers_preference_wins_over_the_links_language() {
        assert_eq!(pick_lang(Some("en-GB,en;q=0.9"), Lang::Sv), Lang::En);
        assert_eq!(
            pick_lang(Some("sv-SE,sv;q=0.9,en;q=0.8"), Lang::En),
            Lang::Sv
        );
        assert_eq!(
            pick_lang(Some("de-DE,en;q=0.5,sv;q=0.7"), Lang::En),
            Lang::Sv
        );
        assert_eq!(pick_lang(Some("de-DE,fr"), Lang::En), Lang::En);
        assert_eq!(
            pick_lang(Some("nb-NO,nb;q=0.9,sv;q=0.8"), Lang::Sv),
            Lang::Nb
        );
        assert_eq!(pick_lang(Some("da,no;q=0.8"), Lang::En), Lang::Nb);
        assert_eq!(pick_lang(Some("en;q=0,sv;q=0"), Lang::En), Lang::En);
        assert_eq!(pick_lang(None, Lang::Sv), Lang::Sv);
        assert_eq!(pick_lang(Some(";;;,q=,"), Lang::Sv), Lang::Sv);
    }

    #[test]
    fn the_page_says_what_happened_and_what_to_do() {
        let html = refusal_html(LinkRefusal::Used, Lang::Sv);
        assert!(html.contains("<html lang=\"sv\">"));
        assert!(html.contains(LinkRefusal::Used.title(Lang::Sv)));
        assert!(html.contains(LinkRefusal::Used.advice(Lang::Sv)));
        assert!(html.contains("data-refusal=\"link_used\""));
        assert!(!html.contains("<script") && !html.contains("style="));
        let html = refusal_html(LinkRefusal::Expired, Lang::En);
        assert!(html.contains("This link has expired"));
    }

    #[test]
    fn the_page_links_to_bankids_help_and_offers_each_language_marking_its_own() {
        for lang in Lang::ALL {
            let html = refusal_html(LinkRefusal::Used, lang);
            assert!(
                html.contains(&format!(
                    "<a href=\"https://support.bankid.com\" target=\"_blank\" rel=\"noopener\">{}</a>",
                    rfa::NEED_HELP[lang as usize]
                )),
                "{html}"
            );
            for other in Lang::ALL {
                let current = if other == lang {
                    " aria-current=\"true\""
                } else {
                    ""
                };
                let link = format!(
                    "<a class=\"lang\" lang=\"{tag}\" href=\"?lang={tag}\"{current}>{name}</a>",
                    tag = other.tag(),
                    name = other.name()
                );
                assert!(html.contains(&link), "{lang:?}: {link} in {html}");
            }
        }
    }
}
