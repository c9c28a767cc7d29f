use legit_core::PersonalNumber;
use legit_core::api::{OrderKind, StartOrderRequest};
use legit_core::bankid::CallInitiator;
use legit_core::rfa::Flow;
use leptos::html;
use leptos::prelude::*;

use crate::app::Ctx;
use crate::components::result_card::ResultCard;
use crate::flow::{self, Input, Phase};
use crate::i18n::{Say as _, Text};
use crate::order::Runner;

/// The agent identifies the caller with BankID's phone flow: the personal number, checked as typed and
/// shown as BankID will get it; who called whom; then the live status in the agent's words, the result
/// card, cancel, retry and a new identification.
#[component]
pub fn IdentifyCaller(
    /// The instance's context.
    ctx: Ctx,
) -> impl IntoView {
    let runner = Runner::new(ctx, OrderKind::PhoneAuth, Flow::Phone);
    runner.resume_if_any();

    let input = RwSignal::new(String::new());
    let touched = RwSignal::new(false);
    let who = RwSignal::new(None::<CallInitiator>);
    let submitted = RwSignal::new(false);
    let today = legit_core::api::swedish_date(js_sys::Date::now() as i64);
    // As BankID gets it, or why not. The send-link screen's memo has this type too: each value type a
    // memo holds costs the page its own copy of Leptos's memo code.
    let parsed = Memo::new(move |_| {
        PersonalNumber::parse(&input.get(), today)
            .map(|n| n.as_str().to_owned())
            .map_err(|e| Text::personal_number_error(e.code()))
    });
    // Checked as typed once the number could be complete; before that only after leaving the field.
    let show_error = move || {
        let digits = input.with(|s| s.chars().filter(char::is_ascii_digit).count());
        parsed.with(|p| p.is_err()) && (touched.get() || submitted.get() || digits >= 10)
    };
    let error_text = move || match parsed.get() {
        Err(text) if show_error() => Some(ctx.lang.get().t(text)),
        _ => None,
    };
    let who_missing = move || submitted.get() && who.get().is_none();
    let field = NodeRef::<html::Input>::new();
    let first_choice = NodeRef::<html::Input>::new();

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submitted.set(true);
        match (parsed.get_untracked(), who.get_untracked()) {
            (Ok(number), Some(initiator)) => runner.start(StartOrderRequest {
                kind: OrderKind::PhoneAuth,
                personal_number: Some(number),
                call_initiator: Some(initiator),
                user_visible_data: None,
                end_user_ip: None,
                return_url: None,
            }),
            // Back to the number, so a screen reader reads its error with it.
            (Err(_), _) => {
                if let Some(f) = field.get_untracked() {
                    let _ = f.focus();
                }
            }
            // To the question not yet answered, which names its error.
            (Ok(_), None) => {
                if let Some(r) = first_choice.get_untracked() {
                    let _ = r.focus();
                }
            }
        }
    };
    let new_identification = move |_| {
        runner.send(Input::Reset);
        input.set(String::new());
        who.set(None);
        touched.set(false);
        submitted.set(false);
    };

    let idle = Memo::new(move |_| runner.machine.with(|m| m.phase == Phase::Idle));
    let pending = Memo::new(move |_| runner.machine.with(flow::Machine::is_running));
    let failed = Memo::new(move |_| runner.machine.with(|m| matches!(m.phase, Phase::Failed(_))));
    let user = Memo::new(move |_| {
        runner.machine.with(|m| match &m.phase {
            Phase::Complete { user, .. } => Some(user.clone().unwrap_or_default()),
            _ => None,
        })
    });
    let status = move || {
        runner
            .machine
            .with(|m| flow::agent_text(&m.phase))
            .map(|t| ctx.lang.get().t(t))
            .unwrap_or("")
    };

    let after = NodeRef::<html::Button>::new();
    Effect::new(move |_| {
        // Focus follows the task: the field when the form comes back, the next action when it ends.
        if idle.get() {
            if let Some(f) = field.get() {
                let _ = f.focus();
            }
        } else if !pending.get()
            && let Some(b) = after.get()
        {
            let _ = b.focus();
        }
    });

    let radio = move |value: CallInitiator, label: Text, node_ref: NodeRef<html::Input>| {
        view! {
            <label class="choice">
                <input
                    node_ref=node_ref
                    type="radio"
                    name="legit-call-initiator"
                    prop:checked=move || who.get() == Some(value)
                    on:change=move |_| who.set(Some(value))
                />
                <span>{ctx.tr(label)}</span>
            </label>
        }
    };

    let form = move || {
        view! {
            <form class="form" on:submit=submit novalidate>
                <label for="legit-pnr">{ctx.tr(Text::PersonalNumber)}</label>
                <input
                    id="legit-pnr"
                    node_ref=field
                    type="text"
                    inputmode="numeric"
                    autocomplete="off"
                    spellcheck="false"
                    aria-describedby="legit-pnr-hint"
                    aria-invalid=move || show_error().to_string()
                    prop:value=move || input.get()
                    on:input=move |ev| input.set(event_target_value(&ev))
                    // Leaving it empty (a click elsewhere in the CRM) is not a mistake; pressing the button is.
                    on:blur=move |_| touched.set(input.with(|s| !s.trim().is_empty()))
                />
                <p id="legit-pnr-hint" class="field-note" class:error=show_error>
                    {move || match (parsed.get(), error_text()) {
                        (_, Some(error)) => error.to_owned(),
                        (Ok(number), None) => {
                            format!("{} {number}", ctx.lang.get().t(Text::SentAs))
                        }
                        (Err(_), None) => ctx.lang.get().t(Text::PersonalNumberHint).to_owned(),
                    }}
                </p>
                <fieldset
                    class="choices"
                    aria-invalid=move || who_missing().to_string()
                    // A String, not an Option: an attribute of a new value type costs ~1.4 KB of wasm.
                    aria-describedby=move || if who_missing() { "legit-who-error" } else { "" }.to_owned()
                >
                    <legend>{ctx.tr(Text::WhoCalled)}</legend>
                    {radio(CallInitiator::User, Text::CustomerCalled, first_choice)}
                    {radio(CallInitiator::Rp, Text::WeCalled, NodeRef::new())}
                </fieldset>
                {move || {
                    who_missing()
                        .then(|| {
                            view! {
                                <p id="legit-who-error" class="field-note error">
                                    {ctx.tr(Text::ChooseWhoCalled)}
                                </p>
                            }
                        })
                }}
                <button type="submit" class="btn primary">{ctx.tr(Text::IdentifyCustomer)}</button>
            </form>
        }
    };

    let progress = move || {
        // As it is read back to the caller; absent when a reload resumed the order (the number is not kept).
        let number = parsed
            .get_untracked()
            .ok()
            .and_then(|n| PersonalNumber::parse(&n, today).ok())
            .map(|n| n.readable())
            .unwrap_or_default();
        let unknown = number.is_empty();
        view! {
            <p class="subject" hidden=move || unknown || user.with(Option::is_some)>
                {ctx.tr(Text::PersonalNumber)} ": " <span class="mono">{number}</span>
            </p>
            {move || user.get().map(|u| view! { <ResultCard ctx=ctx user=u /> })}
            <div class="actions">
                {move || {
                    if pending.get() {
                        view! {
                            <button type="button" class="btn secondary" on:click=move |_| runner.send(Input::Cancel)>
                                {ctx.tr(Text::Cancel)}
                            </button>
                        }
                        .into_any()
                    } else {
                        view! {
                            {failed.get().then(|| view! {
                                <button type="button" class="btn primary" on:click=move |_| runner.retry()>
                                    {ctx.tr(Text::TryAgain)}
                                </button>
                            })}
                            <button type="button" class="btn secondary" node_ref=after on:click=new_identification>
                                {ctx.tr(Text::NewIdentification)}
                            </button>
                        }
                        .into_any()
                    }
                }}
            </div>
        }
    };

    view! {
        <div class="panel identify">
            <p
                class="status"
                role="status"
                aria-live="polite"
                class:pending=move || pending.get()
                class:done=move || user.with(Option::is_some)
                class:failed=move || failed.get()
            >
                {status}
            </p>
            {move || if idle.get() { form().into_any() } else { progress().into_any() }}
        </div>
    }
}
