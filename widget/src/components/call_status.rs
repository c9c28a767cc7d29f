use gloo_timers::future::TimeoutFuture;
use legit_core::api::OrderKind;
use legit_core::rfa::Flow;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::ApiError;
use crate::app::Ctx;
use crate::flow::{self, Input, Order, Phase};
use crate::i18n::{Say as _, Text};
use crate::order::Runner;

/// The softphone opens the widget as the call arrives, often before the caller has typed the number: the
/// look-up is repeated this often until the IVR has started the call's order.
const LOOK_AGAIN_MS: u32 = 3_000;
/// And for at most this many tries (5 min): an IVR that never asks leaves the panel saying so.
const MAX_LOOKS: u32 = 100;

/// The call the agent is on, as the IVR identifies the caller (`?callid=`): its order followed live, in the
/// agent's words, ending with "Identification successful for personal identity number YYMMDD-XXXX" or the
/// reason it failed.
#[component]
pub fn CallStatus(
    /// The instance's context.
    ctx: Ctx,
) -> impl IntoView {
    let runner = Runner::new(ctx, OrderKind::PhoneAuth, Flow::Phone);
    let masked = RwSignal::new(String::new());
    let refused = RwSignal::new(None::<Text>);
    if let Some(call_id) = ctx.callid.get_value() {
        let api = ctx.api.get_value();
        spawn_local(async move {
            for _ in 0..MAX_LOOKS {
                match api.call_order(&call_id).await {
                    Ok(found) => {
                        masked.try_set(found.personal_number);
                        runner.send(Input::Resume(Order {
                            id: found.order_id,
                            kind: OrderKind::PhoneAuth,
                            token: Some(found.order_token),
                            auto_start_token: None,
                        }));
                        return;
                    }
                    Err(ApiError::Status { status: 404, .. }) => {}
                    Err(ApiError::Status {
                        status: 401 | 403, ..
                    }) => {
                        refused.try_set(Some(Text::SessionMissing));
                        return;
                    }
                    Err(_) => {
                        refused.try_set(Some(Text::Unreachable));
                        return;
                    }
                }
                TimeoutFuture::new(LOOK_AGAIN_MS).await;
            }
            refused.try_set(Some(Text::CallNotFound));
        });
    }

    let done = Memo::new(move |_| {
        runner
            .machine
            .with(|m| matches!(m.phase, Phase::Complete { .. }))
    });
    let failed = Memo::new(move |_| runner.machine.with(|m| matches!(m.phase, Phase::Failed(_))));
    let status = move || {
        let text = refused.get().or_else(|| {
            runner.machine.with(|m| {
                if done.get() {
                    None
                } else {
                    flow::agent_text(&m.phase)
                }
            })
        });
        match text {
            Some(t) => ctx.lang.get().t(t).to_owned(),
            None if done.get() => format!("{} ", ctx.lang.get().t(Text::CallIdentified)),
            None => ctx.lang.get().t(Text::CallWaiting).to_owned(),
        }
    };
    // The number is one word: it must not break at its hyphen.
    let number = move || {
        if done.get() && refused.with(Option::is_none) {
            format!("{}.", masked.get())
        } else {
            String::new()
        }
    };
    view! {
        <div class="panel call">
            <h2 class="call-title">{ctx.tr(Text::CallTitle)}</h2>
            <p
                class="status"
                role="status"
                aria-live="polite"
                class:pending=move || !done.get() && !failed.get() && refused.with(Option::is_none)
                class:done=move || done.get()
                class:failed=move || failed.get() || refused.with(Option::is_some)
            >
                {status}
                <span class="nowrap">{number}</span>
            </p>
        </div>
    }
}
