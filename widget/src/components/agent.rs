use leptos::prelude::*;

use crate::app::Ctx;
use crate::components::call_status::CallStatus;
use crate::components::identify::IdentifyCaller;
use crate::components::lookup::Lookup;
use crate::components::send_link::SendLink;
use crate::i18n::Text;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Identify,
    Link,
    Lookup,
}

/// The agent's console: identify the caller, send a verification link, look a check up. Every panel stays
/// mounted while hidden, so switching tabs never loses a running identification. A softphone that opens the
/// widget with `?mobnr=` lands on "Send link"; one opened with `?callid=` shows that IVR call's identification
/// above the tabs.
#[component]
pub fn AgentConsole(
    /// The instance's context.
    ctx: Ctx,
) -> impl IntoView {
    let first = if ctx.mobnr.with_value(Option::is_some) {
        Tab::Link
    } else {
        Tab::Identify
    };
    let tab = RwSignal::new(first);
    let tab_button = move |t: Tab, id: &'static str, panel: &'static str, label: Text| {
        view! {
            <button
                type="button"
                role="tab"
                id=id
                aria-controls=panel
                aria-selected=move || (tab.get() == t).to_string()
                class="tab"
                on:click=move |_| tab.set(t)
            >
                {ctx.tr(label)}
            </button>
        }
    };
    view! {
        <section class="card agent" aria-labelledby="legit-agent-title">
            // Named for screen readers; a softphone pane has no room for a visible title.
            <h1 id="legit-agent-title" class="sr-only">{ctx.tr(Text::AgentTitle)}</h1>
            {ctx.callid.with_value(Option::is_some).then(|| view! { <CallStatus ctx=ctx /> })}
            <div class="tabs" role="tablist" aria-label=ctx.tr(Text::AgentTasks)>
                {tab_button(Tab::Identify, "legit-tab-identify", "legit-panel-identify", Text::TabIdentify)}
                {tab_button(Tab::Link, "legit-tab-link", "legit-panel-link", Text::TabLink)}
                {tab_button(Tab::Lookup, "legit-tab-lookup", "legit-panel-lookup", Text::TabLookup)}
            </div>
            <div role="tabpanel" id="legit-panel-identify" aria-labelledby="legit-tab-identify" hidden=move || tab.get() != Tab::Identify>
                <IdentifyCaller ctx=ctx />
            </div>
            <div role="tabpanel" id="legit-panel-link" aria-labelledby="legit-tab-link" hidden=move || tab.get() != Tab::Link>
                <SendLink ctx=ctx />
            </div>
            <div role="tabpanel" id="legit-panel-lookup" aria-labelledby="legit-tab-lookup" hidden=move || tab.get() != Tab::Lookup>
                <Lookup ctx=ctx />
            </div>
        </section>
    }
}
