use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{ApiError, LinkView};
use crate::app::Ctx;
use crate::components::link_status::LinkStatus;
use crate::i18n::Text;

/// Reference numbers: 8 characters without the look-alikes 0 1 I L O U, read in any case, with spaces
/// and dashes anywhere; shown as `K7QX-M4TR`.
pub fn normalise_reference(input: &str) -> Option<String> {
    const ALPHABET: &str = "23456789ABCDEFGHJKMNPQRSTVWXYZ";
    let chars: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '‐' | '–' | '—'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (chars.len() == 8 && chars.chars().all(|c| ALPHABET.contains(c)))
        .then(|| format!("{}-{}", &chars[..4], &chars[4..]))
}

/// What the look-up answered.
#[derive(Clone)]
enum Found {
    Nothing,
    Busy,
    Link(Box<LinkView>),
    Error(Text),
}

/// An agent looks a check up by its reference number ("fetch status").
#[component]
pub fn Lookup(
    /// The instance's context.
    ctx: Ctx,
) -> impl IntoView {
    let input = RwSignal::new(String::new());
    let found = RwSignal::new_local(Found::Nothing);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(reference) = normalise_reference(&input.get_untracked()) else {
            found.set(Found::Error(Text::ReferenceInvalid));
            return;
        };
        found.set(Found::Busy);
        let api = ctx.api.get_value();
        spawn_local(async move {
            let result = match api.link(&reference).await {
                Ok(link) => Found::Link(Box::new(link)),
                Err(e) if e.is_missing_route() => Found::Error(Text::LinksUnavailable),
                Err(ApiError::Status { status: 404, .. }) => Found::Error(Text::ReferenceNotFound),
                Err(e) => Found::Error(error_text(&e)),
            };
            found.try_set(result);
        });
    };
    view! {
        <div class="panel lookup">
            <form class="form" on:submit=submit novalidate>
                <label for="legit-reference">{ctx.tr(Text::Reference)}</label>
                <input
                    id="legit-reference"
                    type="text"
                    autocomplete="off"
                    spellcheck="false"
                    autocapitalize="characters"
                    prop:value=move || input.get()
                    on:input=move |ev| input.set(event_target_value(&ev))
                />
                <button type="submit" class="btn primary" disabled=move || matches!(found.get(), Found::Busy)>
                    {ctx.tr(Text::LookUp)}
                </button>
            </form>
            <div role="status" aria-live="polite">
                {move || match found.get() {
                    Found::Nothing | Found::Busy => ().into_any(),
                    Found::Link(link) => view! { <LinkStatus ctx=ctx link=*link /> }.into_any(),
                    Found::Error(text) => view! { <p class="notice error">{ctx.tr(text)}</p> }.into_any(),
                }}
            </div>
        </div>
    }
}

/// The agent's words for a failed link call.
pub fn error_text(e: &ApiError) -> Text {
    match e {
        ApiError::Unreachable => Text::Unreachable,
        e if e.is_missing_route() => Text::LinksUnavailable,
        ApiError::Status {
            status: 401 | 403, ..
        } => Text::SessionMissing,
        ApiError::Status { status: 429, .. } => Text::TooManyRequests,
        ApiError::Status { .. } => Text::LinkFailed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn references_are_read_as_agents_type_them() {
        assert_eq!(
            normalise_reference("k7qx m4tr").as_deref(),
            Some("K7QX-M4TR")
        );
        assert_eq!(
            normalise_reference(" K7QX–M4TR ").as_deref(),
            Some("K7QX-M4TR")
        );
        assert_eq!(normalise_reference("K7QX-M4T"), None);
        assert_eq!(normalise_reference("K7QX-M4T0"), None, "0 is never used");
        assert_eq!(normalise_reference("ÅÄÖÅÄÖÅÄ"), None);
        assert_eq!(normalise_reference(""), None);
    }

    #[test]
    fn link_errors_say_what_the_agent_can_do() {
        let status = |status, code: &str| ApiError::Status {
            status,
            code: code.into(),
            rfa: None,
        };
        assert_eq!(
            error_text(&status(404, "not_found")),
            Text::LinksUnavailable
        );
        assert_eq!(
            error_text(&status(401, "unauthorized")),
            Text::SessionMissing
        );
        assert_eq!(
            error_text(&status(429, "rate_limited")),
            Text::TooManyRequests
        );
        assert_eq!(
            error_text(&status(400, "invalid_phone_number")),
            Text::LinkFailed
        );
        assert_eq!(error_text(&ApiError::Unreachable), Text::Unreachable);
    }
}
