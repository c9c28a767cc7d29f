use legit_core::rfa::Rfa;
use leptos::prelude::*;

use crate::api::LinkView;
use crate::app::Ctx;
use crate::components::result_card::ResultCard;
use crate::i18n::Text;

/// Where a verification link stands, in the agent's words. A failed link carries only the RFA its order
/// ended with: BankID's words for the customer, so the agent reads what it means for them (DESIGN.md §6).
pub fn status_text(status: &str, rfa: Option<Rfa>) -> Text {
    match (status, rfa) {
        ("pending", _) => Text::LinkWaiting,
        ("opened", _) => Text::LinkOpened,
        ("complete", _) => Text::AgentComplete,
        ("expired", _) => Text::LinkExpired,
        ("withdrawn", _) => Text::LinkWithdrawn,
        (_, Some(Rfa::Rfa6)) => Text::AgentUserCancel,
        (_, Some(Rfa::Rfa3)) => Text::AgentCancelled,
        (_, Some(Rfa::Rfa8)) => Text::AgentExpired,
        (_, Some(Rfa::Rfa17A | Rfa::Rfa17B)) => Text::AgentStartFailed,
        (_, Some(Rfa::Rfa16)) => Text::AgentBlocked,
        (_, Some(Rfa::Rfa4)) => Text::AgentAlreadyInProgress,
        (_, Some(Rfa::Rfa5)) => Text::AgentUnavailable,
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
    let text = status_text(&link.status, link.rfa);
    // The same order and reference size as the "sent" view it replaces, so nothing swaps places.
    view! {
        <div class="link-status">
            <p
                class="status-line"
                class:done=link.status == "complete"
                class:failed=matches!(link.status.as_str(), "failed" | "expired" | "withdrawn")
            >
                {ctx.tr(text)}
            </p>
            <p class="reference">
                {ctx.tr(Text::Reference)} ": " <span class="mono big">{link.reference.clone()}</span>
            </p>
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
        assert_eq!(status_text("pending", None), Text::LinkWaiting);
        assert_eq!(status_text("opened", None), Text::LinkOpened);
        assert_eq!(status_text("complete", None), Text::AgentComplete);
        assert_eq!(status_text("expired", None), Text::LinkExpired);
        assert_eq!(
            status_text("withdrawn", Some(Rfa::Rfa3)),
            Text::LinkWithdrawn,
            "the order a withdrawal cancelled reads as the withdrawal"
        );
        assert_eq!(status_text("failed", None), Text::AgentFailed);
        assert_eq!(status_text("new", None), Text::AgentFailed);
    }

    #[test]
    fn a_failed_link_says_why_in_the_agents_words_not_the_customers() {
        assert_eq!(
            status_text("failed", Some(Rfa::Rfa6)),
            Text::AgentUserCancel
        );
        assert_eq!(
            status_text("failed", Some(Rfa::Rfa17A)),
            Text::AgentStartFailed
        );
        assert_eq!(status_text("failed", Some(Rfa::Rfa8)), Text::AgentExpired);
        assert_eq!(
            status_text("failed", Some(Rfa::Rfa5)),
            Text::AgentUnavailable
        );
        assert_eq!(status_text("failed", Some(Rfa::Rfa22)), Text::AgentFailed);
    }
}
