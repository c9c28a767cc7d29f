use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::app::Ctx;
use crate::flow::Input;
use crate::i18n::Text;
use crate::launch::{self, LaunchPlan};
use crate::order::{Runner, mark_token_used, token_used};

/// Opens the BankID app on this device with the order's autostart token.
///
/// On a desktop page of its own it tries the app at once and shows "Start BankID" (same token) after 5 s,
/// never earlier; on phones, in iframes, in in-app browsers, and when the token was used before (we are back
/// from the app), the button shows at once and nothing opens by itself. The button's slot keeps its height
/// while empty, so nothing moves when it appears.
#[component]
pub fn LaunchButton(
    /// The instance's context.
    ctx: Ctx,
    /// The order, told when the app is opened (its message changes from "Start" to "Trying to start").
    runner: Runner,
    /// The order's autostart token.
    token: String,
    /// Whether the app has yet to pick the order up; once it has, the button goes (its slot stays).
    app_not_opened: Memo<bool>,
) -> impl IntoView {
    let return_to = launch::return_to(ctx.platform, ctx.in_iframe, launch::page_url);
    let url = launch::launch_url(&token, ctx.platform.device, return_to.as_deref());
    let used = token_used(&token);
    let plan = launch::plan(ctx.platform, ctx.in_iframe, used);
    let visible = RwSignal::new(launch::button_visible(plan, 0));
    if used || plan == LaunchPlan::TryThenButton {
        runner.send(Input::AppOpened);
    }
    if plan == LaunchPlan::TryThenButton {
        mark_token_used(&token);
        (ctx.open_app)(&url);
        spawn_local(async move {
            TimeoutFuture::new(launch::START_BUTTON_DELAY_MS).await;
            visible.try_set(true);
        });
    }
    let button = move || {
        let token = token.clone();
        (visible.get() && app_not_opened.get()).then(|| {
            view! {
                <a
                    class="btn primary"
                    href=url.clone()
                    target="_top"
                    rel="noopener"
                    on:click=move |_| {
                        mark_token_used(&token);
                        runner.send(Input::AppOpened);
                    }
                >
                    {ctx.tr(Text::StartBankId)}
                </a>
            }
        })
    };
    view! {
        <div class="launch-slot">{button}</div>
        {ctx.platform.in_app.then(|| view! { <p class="hint">{ctx.tr(Text::InAppBrowser)}</p> })}
    }
}
