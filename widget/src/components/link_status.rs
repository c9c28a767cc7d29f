use leptos::prelude::*;

use crate::api::LinkView;
use crate::app::Ctx;
use crate::components::result_card::ResultCard;
use crate::i18n::Text;

/// Where a verification link stands, in the agent's words.
pub fn status_text(status: &str) -> Text {
    match status {
        "pending" => Text::LinkWaiting,
        "opened" => Text::LinkOpened,
        "complete" => Text::AgentComplete,
        "expired" => Text::LinkExpired,
        _ => Text::AgentFailed,
    }
}

/// A link's reference, status and, once complete, the result card.
#[component]
pub fn LinkStatus(
    /// The instance's context.
    ctx: Ctx,
    /// The edge's answer for the link.
    link: LinkView,
) -> impl IntoView {
    let text = status_text(&link.status);
    let rfa = link.rfa;
    view! {
        <div class="link-status">
            <p class="reference">
                {ctx.tr(Text::Reference)} ": " <span class="mono">{link.reference.clone()}</span>
            </p>
            <p class="status-line" class:done=link.status == "complete">{ctx.tr(text)}</p>
            {rfa.map(|rfa| view! { <p class="hint">{move || ctx.lang.get().rfa(rfa)}</p> })}
            {link.user.map(|user| view! { <ResultCard ctx=ctx user=user /> })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn every_link_status_has_its_words() {
        assert_eq!(status_text("pending"), Text::LinkWaiting);
        assert_eq!(status_text("opened"), Text::LinkOpened);
        assert_eq!(status_text("complete"), Text::AgentComplete);
        assert_eq!(status_text("expired"), Text::LinkExpired);
        assert_eq!(status_text("failed"), Text::AgentFailed);
        assert_eq!(status_text("new"), Text::AgentFailed);
    }
}
