use gloo_timers::future::TimeoutFuture;
use legit_core::{Email, PhoneNumber};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use crate::api::{CreateLink, Stream};
use crate::app::Ctx;
use crate::components::link_status::LinkStatus;
use crate::components::lookup::error_text;
use crate::i18n::{Say as _, Text};
use crate::link_follow::{Following, follow};

/// How the link travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Sms,
    Email,
}

impl Channel {
    fn wire(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Email => "email",
        }
    }
}

/// Checks what the agent typed and gives what the edge gets: E.164 for a text message (a Swedish number must
/// be a mobile one), the normalised address for e-mail.
pub fn destination(channel: Channel, input: &str) -> Result<String, Text> {
    match channel {
        Channel::Sms => {
            let number = PhoneNumber::parse(input).map_err(|e| Text::phone_error(e.code()))?;
            if number.is_swedish() && !number.is_swedish_mobile() {
                return Err(Text::PhoneNotMobile);
            }
            Ok(number.e164())
        }
        Channel::Email => Email::parse(input)
            .map(|e| e.as_str().to_owned())
            .map_err(|e| Text::email_error(e.code())),
    }
}

/// What a button on this screen does.
#[derive(Debug, Clone, Copy)]
enum Action {
    /// Back to the form, for another link.
    Again,
    /// Take the sent link back.
    Withdraw,
    /// Follow the link again after the stream gave up.
    Follow,
}

#[derive(Clone)]
enum Stage {
    Editing,
    Sending,
    /// Sent: the link is followed live (its state is in the `following` signal).
    Sent,
    Failed(Text),
}

/// The agent sends the caller a verification link by text message or e-mail: the number prefilled from
/// `?mobnr=` and shown as it will be used, a switch to e-mail, then the reference number and the link's
/// status followed live until the customer is identified, the order fails or the link expires.
#[component]
pub fn SendLink(
    /// The instance's context.
    ctx: Ctx,
) -> impl IntoView {
    let channel = RwSignal::new(Channel::Sms);
    let phone = RwSignal::new(ctx.mobnr.get_value().unwrap_or_default());
    let email = RwSignal::new(String::new());
    let touched = RwSignal::new(false);
    let stage = RwSignal::new(Stage::Editing);
    let following = RwSignal::new(None::<Following>);
    let stream = StoredValue::new_local(None::<Stream>);
    let problem = RwSignal::new(None::<Text>);
    on_cleanup(move || {
        stream.try_set_value(None);
    });
    let value = move || match channel.get() {
        Channel::Sms => phone,
        Channel::Email => email,
    };
    let checked = Memo::new(move |_| {
        let c = channel.get();
        value().with(|v| destination(c, v))
    });
    let show_error =
        move || touched.get() || (channel.get() == Channel::Sms && !phone.with(String::is_empty));

    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        touched.set(true);
        let Ok(to) = checked.get_untracked() else {
            return;
        };
        let request = CreateLink {
            channel: channel.get_untracked().wire(),
            to,
            // The language the agent speaks with the customer in.
            locale: ctx.lang.get_untracked(),
        };
        stage.set(Stage::Sending);
        let api = ctx.api.get_value();
        spawn_local(async move {
            match api.create_link(&request).await {
                Ok(created) => {
                    following.try_set(Some(Following::new(
                        created.reference,
                        created.expires_at,
                        created.stream_token,
                    )));
                    stage.try_set(Stage::Sent);
                    follow(ctx, following, stream);
                }
                Err(e) => {
                    stage.try_set(Stage::Failed(error_text(&e)));
                }
            }
        });
    };
    let follow_again = move || {
        following.update(|f| {
            if let Some(f) = f {
                f.retry();
            }
        });
        follow(ctx, following, stream);
    };

    let channel_radio = move |c: Channel, label: Text| {
        view! {
            <label class="choice">
                <input
                    type="radio"
                    name="legit-channel"
                    prop:checked=move || channel.get() == c
                    on:change=move |_| {
                        channel.set(c);
                        touched.set(false);
                    }
                />
                <span>{ctx.tr(label)}</span>
            </label>
        }
    };

    let form = move || {
        view! {
            <form class="form" on:submit=send novalidate>
                <fieldset class="choices inline">
                    <legend>{ctx.tr(Text::Channel)}</legend>
                    {channel_radio(Channel::Sms, Text::Sms)}
                    {channel_radio(Channel::Email, Text::Email)}
                </fieldset>
                <label for="legit-to">
                    {move || match channel.get() {
                        Channel::Sms => ctx.lang.get().t(Text::MobileNumber),
                        Channel::Email => ctx.lang.get().t(Text::EmailAddress),
                    }}
                </label>
                <input
                    id="legit-to"
                    type=move || if channel.get() == Channel::Sms { "tel" } else { "email" }
                    autocomplete="off"
                    spellcheck="false"
                    aria-describedby="legit-to-note"
                    aria-invalid=move || (show_error() && checked.with(Result::is_err)).to_string()
                    prop:value=move || value().get()
                    on:input=move |ev| value().set(event_target_value(&ev))
                    // Leaving it empty (a click elsewhere in the CRM) is not a mistake; pressing the button is.
                    on:blur=move |_| touched.set(value().with(|s| !s.trim().is_empty()))
                />
                <p id="legit-to-note" class="field-note" class:error=move || show_error() && checked.with(Result::is_err)>
                    {move || match checked.get() {
                        Ok(to) => format!("{} {to}", ctx.lang.get().t(Text::SentAs)),
                        Err(text) if show_error() => ctx.lang.get().t(text).to_owned(),
                        Err(_) => String::new(),
                    }}
                </p>
                <button type="submit" class="btn primary" disabled=move || matches!(stage.get(), Stage::Sending)>
                    {move || {
                        if matches!(stage.get(), Stage::Sending) {
                            ctx.lang.get().t(Text::LinkSending)
                        } else {
                            ctx.lang.get().t(Text::SendLink)
                        }
                    }}
                </button>
            </form>
        }
    };

    let again = move || {
        stream.set_value(None);
        following.set(None);
        stage.set(Stage::Editing);
        touched.set(false);
        problem.set(None);
    };
    // Sent to the wrong number, say: the agent takes the link back. The answer is the link's view, so the
    // screen changes even before the stream says so.
    let withdraw = move |actions: Option<web_sys::Element>| {
        let Some(reference) = following.with_untracked(|f| f.as_ref().map(|f| f.reference.clone()))
        else {
            return;
        };
        problem.set(None);
        let api = ctx.api.get_value();
        spawn_local(async move {
            match api.withdraw_link(&reference).await {
                Ok(view) => {
                    following.try_update(|f| f.as_mut().map(|f| f.viewed(view)));
                    // The pressed button is gone; focus goes to what the agent may do next, the last
                    // action left ("Send another link"), once the page has drawn it.
                    TimeoutFuture::new(0).await;
                    if let Some(next) = actions
                        .and_then(|a| a.last_element_child())
                        .and_then(|b| b.dyn_into::<web_sys::HtmlElement>().ok())
                    {
                        let _ = next.focus();
                    }
                }
                Err(e) => {
                    problem.try_set(Some(match error_text(&e) {
                        Text::LinkFailed => Text::WithdrawFailed,
                        text => text,
                    }));
                }
            }
        });
    };
    // Every button here is this one element, so the page carries its code once (DESIGN.md §8).
    let act = move |action: Action, ev: leptos::ev::MouseEvent| match action {
        Action::Again => again(),
        // The button's row, found from the click: the path's first element is the button even inside
        // `<legit-bankid>`'s shadow root, where `target` is the host.
        Action::Withdraw => withdraw(
            ev.composed_path()
                .get(0)
                .dyn_into::<web_sys::Element>()
                .ok()
                .and_then(|b| b.parent_element()),
        ),
        Action::Follow => follow_again(),
    };
    let button = move |action: Action, class: &'static str, text: Text| {
        view! {
            <button type="button" class=class on:click=move |ev| act(action, ev)>{ctx.tr(text)}</button>
        }
    };
    let alert = move |text: Text| view! { <p class="notice error" role="alert">{ctx.tr(text)}</p> };
    // One live region that stays in the page while the link is followed, so each change is announced.
    let live = move || {
        following.with(|f| {
            let f = f.as_ref()?;
            // Until the customer opens it, the agent's news is that it went out.
            let status = match &f.view {
                Some(link) if link.status != "pending" => {
                    view! { <LinkStatus ctx=ctx link=link.clone() /> }.into_any()
                }
                _ => view! {
                    <p class="status-line done">{ctx.tr(Text::LinkSent)}</p>
                    <p class="reference">
                        {ctx.tr(Text::Reference)} ": " <span class="mono big">{f.reference.clone()}</span>
                    </p>
                    <p class="hint">{ctx.tr(Text::LinkWaiting)}</p>
                }
                .into_any(),
            };
            let pending = !f.is_final();
            let expiry = f.expires_at.clone().filter(|_| pending).map(|at| {
                view! { <p class="hint">{ctx.tr(Text::ValidUntil)} " " {local_time(&at)}</p> }
            });
            let connection = if f.gave_up {
                Some(view! { <p class="notice error">{ctx.tr(Text::Unreachable)}</p> }.into_any())
            } else if f.lost > 0 && pending {
                Some(view! { <p class="hint">{ctx.tr(Text::Reconnecting)}</p> }.into_any())
            } else {
                None
            };
            Some(view! { {status} {expiry} {connection} })
        })
    };
    let gave_up =
        move || following.with(|f| f.as_ref().is_some_and(|f| f.gave_up && !f.is_final()));
    let open = move || following.with(|f| f.as_ref().is_some_and(|f| !f.is_final()));
    view! {
        <div class="panel send-link">
            {move || match stage.get() {
                Stage::Editing | Stage::Sending => form().into_any(),
                Stage::Sent => view! {
                    <div role="status" aria-live="polite">{live}</div>
                    {move || problem.get().map(alert)}
                    <div class="actions">
                        {move || gave_up().then(|| button(Action::Follow, "btn primary", Text::FetchStatus))}
                        {button(Action::Again, "btn secondary", Text::SendAnother)}
                        {move || open().then(|| button(Action::Withdraw, "btn secondary", Text::WithdrawLink))}
                    </div>
                }
                .into_any(),
                Stage::Failed(text) => view! {
                    {alert(text)}
                    <div class="actions">{button(Action::Again, "btn secondary", Text::TryAgain)}</div>
                }
                .into_any(),
            }}
        </div>
    }
}

/// `HH:MM` of an RFC 3339 time in the browser's zone; the text as given if the browser cannot read it.
fn local_time(rfc3339: &str) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(rfc3339));
    if date.get_time().is_nan() {
        return rfc3339.to_owned();
    }
    format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn numbers_from_the_softphone_are_normalised() {
        for typed in [
            "070-123 45 67",
            "+46701234567",
            "46701234567",
            "0046 70 123 45 67",
        ] {
            assert_eq!(
                destination(Channel::Sms, typed).as_deref(),
                Ok("+46701234567"),
                "{typed}"
            );
        }
        assert_eq!(
            destination(Channel::Sms, "08-123 456 78"),
            Err(Text::PhoneNotMobile)
        );
        assert_eq!(destination(Channel::Sms, ""), Err(Text::PhoneEmpty));
        assert_eq!(
            destination(Channel::Email, " Anna@Example.SE ").as_deref(),
            Ok("Anna@example.se")
        );
        assert_eq!(
            destination(Channel::Email, "anna.example.se"),
            Err(Text::EmailMissingAt)
        );
    }
}
