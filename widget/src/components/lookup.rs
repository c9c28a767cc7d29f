use leptos::prelude::*;
use leptos::task::spawn_local;

use legit_core::link::ReferenceNumber;

use crate::api::{ApiError, LinkView};
use crate::app::Ctx;
use crate::components::link_status::LinkStatus;
use crate::i18n::{Say as _, Text};

/// What the agent typed, read by core's rule for reference numbers (`K7QX-M4TR`, any case, spaces and dashes
/// anywhere): the form the edge gets, or the error's message.
pub fn read_reference(input: &str) -> Result<String, Text> {
    ReferenceNumber::parse(input)
        .map(|reference| reference.to_string())
        .map_err(|e| Text::reference_error(e.code()))
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
    let touched = RwSignal::new(false);
    let submitted = RwSignal::new(false);
    let found = RwSignal::new(Found::Nothing);
    // Re-read on demand rather than memoised: parsing 8 characters costs less than a Memo's code in the wasm.
    let parsed = move || input.with(|s| read_reference(s));
    // Checked as typed once the reference could be complete, or at once for a character it can never hold;
    // otherwise only after leaving the field or pressing the button.
    let show_error = move || {
        let typed = input.with(|s| s.chars().filter(char::is_ascii_alphanumeric).count());
        match parsed() {
            Ok(_) => false,
            Err(Text::RefWrongLength | Text::RefEmpty) => {
                touched.get() || submitted.get() || typed > 8
            }
            Err(_) => true,
        }
    };
    let field = NodeRef::<leptos::html::Input>::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submitted.set(true);
        let Ok(reference) = input.with_untracked(|s| read_reference(s)) else {
            found.set(Found::Nothing);
            // Back to the field, so a screen reader reads its error with it.
            if let Some(f) = field.get_untracked() {
                let _ = f.focus();
            }
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
                    node_ref=field
                    type="text"
                    autocomplete="off"
                    spellcheck="false"
                    autocapitalize="characters"
                    aria-describedby="legit-reference-hint"
                    aria-invalid=move || show_error().to_string()
                    prop:value=move || input.get()
                    on:input=move |ev| input.set(event_target_value(&ev))
                    // Leaving it empty (a click elsewhere in the CRM) is not a mistake; pressing the button is.
                    on:blur=move |_| touched.set(input.with(|s| !s.trim().is_empty()))
                />
                <p id="legit-reference-hint" class="field-note" class:error=show_error>
                    {move || match parsed() {
                        Err(error) if show_error() => ctx.lang.get().t(error),
                        _ => ctx.lang.get().t(Text::ReferenceHint),
                    }}
                </p>
                <button type="submit" class="btn primary" disabled=move || matches!(found.get(), Found::Busy)>
                    {ctx.tr(Text::LookUp)}
                </button>
            </form>
            <div class="found" role="status" aria-live="polite">
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
        assert_eq!(read_reference("k7qx m4tr"), Ok("K7QX-M4TR".to_owned()));
        assert_eq!(read_reference(" K7QX–M4TR "), Ok("K7QX-M4TR".to_owned()));
        assert_eq!(read_reference("K7QX-M4T"), Err(Text::RefWrongLength));
        assert_eq!(
            read_reference("K7QX-M4T0"),
            Err(Text::RefExcludedCharacter),
            "0 is never used: misread, not mistyped"
        );
        assert_eq!(read_reference("K7QX-M4TÅ"), Err(Text::RefInvalidCharacter));
        assert_eq!(read_reference(" - "), Err(Text::RefEmpty));
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
