use legit_core::PersonalNumber;
use legit_core::api::EventUser;
use leptos::prelude::*;

use crate::app::Ctx;
use crate::i18n::{Say as _, Text};

/// Who was identified, as far as the tenant's disclosure policy lets the edge say: a field it withholds is
/// shown as withheld, never guessed.
#[component]
pub fn ResultCard(
    /// The instance's context.
    ctx: Ctx,
    /// The person, from the final event.
    user: EventUser,
) -> impl IntoView {
    let row = move |label: Text, value: Option<String>| {
        let withheld = value.is_none();
        view! {
            <dt>{ctx.tr(label)}</dt>
            <dd class:withheld=withheld>
                {move || value.clone().unwrap_or_else(|| ctx.lang.get().t(Text::Withheld).to_owned())}
            </dd>
        }
    };
    view! {
        <dl class="result">
            {row(Text::PersonalNumber, user.personal_number.map(readable))}
            {row(Text::Name, user.name)}
            {row(Text::GivenName, user.given_name)}
            {row(Text::Surname, user.surname)}
        </dl>
    }
}

/// `YYYYMMDD-NNNN`, as the agent reads it back to the caller; anything the edge sends that is not a valid
/// number is shown as it came rather than hidden.
fn readable(number: String) -> String {
    PersonalNumber::parse_api(&number)
        .map(|p| p.readable())
        .unwrap_or(number)
}
