use leptos::prelude::*;

use crate::app::Ctx;
use crate::flow;
use crate::i18n::Text;

/// Help after a failure: after `startFailed`, the common causes and the link to install.bankid.com; after
/// `userCancel`, the alternatives.
#[component]
pub fn Guidance(
    /// The instance's context.
    ctx: Ctx,
    /// Which help to show.
    kind: flow::Guidance,
) -> impl IntoView {
    match kind {
        flow::Guidance::StartFailed { causes } => {
            let items = causes
                .iter()
                .map(|&c| view! { <li>{ctx.tr(c)}</li> })
                .collect_view();
            view! {
                <div class="guidance">
                    <p>{ctx.tr(Text::StartFailedCauses)}</p>
                    <ul>{items}</ul>
                    <p>
                        <a href="https://install.bankid.com" target="_blank" rel="noopener">
                            {ctx.tr(Text::InstallBankId)}
                        </a>
                    </p>
                </div>
            }
            .into_any()
        }
        flow::Guidance::UserCancelled => view! {
            <div class="guidance">
                <p>{ctx.tr(Text::UserCancelAlternatives)}</p>
            </div>
        }
        .into_any(),
    }
}
