use leptos::prelude::*;

use crate::app::Ctx;
use crate::i18n::{Lang, Text};

/// The help link every screen carries (support.bankid.com) and the language switch.
#[component]
pub fn Footer(
    /// The instance's context.
    ctx: Ctx,
) -> impl IntoView {
    let langs = Lang::ALL
        .into_iter()
        .map(|lang| {
            view! {
                <button
                    type="button"
                    class="lang"
                    lang=lang.tag()
                    aria-pressed=move || (ctx.lang.get() == lang).to_string()
                    on:click=move |_| ctx.lang.set(lang)
                >
                    {lang.name()}
                </button>
            }
        })
        .collect_view();
    view! {
        <footer class="footer">
            <a href=legit_core::rfa::SUPPORT_URL target="_blank" rel="noopener">
                {ctx.tr(Text::NeedHelp)}
            </a>
            <span class="langs">{langs}</span>
        </footer>
    }
}
