use legit_core::api::{OrderKind, StartOrderRequest};
use legit_core::rfa::{Device, Flow, Rfa};
use leptos::html;
use leptos::prelude::*;

use crate::app::Ctx;
use crate::components::guidance::Guidance;
use crate::components::launch_button::LaunchButton;
use crate::components::qr_code::QrCode;
use crate::flow::{self, Message, Phase};
use crate::i18n::{Say as _, Text};
use crate::launch;
use crate::order::Runner;

/// Which screen the customer sees; the details inside each react on their own, so a new QR frame redraws
/// the QR, not the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Screen {
    Choose,
    Waiting,
    Done,
    Failed,
}

/// The customer's flow: choose this device or another one (RFA19 / RFA20), then the start button or the
/// animated QR code, BankID's message for every state, and the outcome with help and "try again".
#[component]
pub fn CustomerFlow(
    /// The instance's context.
    ctx: Ctx,
) -> impl IntoView {
    let device = ctx.platform.device;
    let this_device = Flow::SameDevice(device);
    let runner = Runner::new(ctx, OrderKind::Auth, Flow::OtherDevice);
    runner.resume_if_any();
    // Back on a link's page without this tab's storage (another tab, a restored session): the edge
    // recognised this browser's cookie and named the order it started.
    if let Some(order) = ctx.link_order.get_value()
        && runner.machine.with_untracked(|m| m.order.is_none())
    {
        let flow = match device {
            Device::Mobile => this_device,
            Device::Desktop => Flow::OtherDevice,
        };
        runner.machine.update(|m| m.set_flow(flow));
        runner.send(crate::flow::Input::Resume(order));
    }

    let screen = Memo::new(move |_| {
        runner.machine.with(|m| match m.phase {
            Phase::Idle => Screen::Choose,
            Phase::Starting | Phase::Pending { .. } => Screen::Waiting,
            Phase::Complete { .. } => Screen::Done,
            Phase::Failed(_) => Screen::Failed,
        })
    });
    let same_device = Memo::new(move |_| {
        runner
            .machine
            .with(|m| matches!(m.flow, Flow::SameDevice(_)))
    });
    let qr = Memo::new(move |_| {
        runner.machine.with(|m| match &m.phase {
            Phase::Pending { qr, .. } => qr.clone(),
            _ => None,
        })
    });
    let app_not_opened = Memo::new(move |_| {
        runner.machine.with(|m| match &m.phase {
            Phase::Pending { hint, .. } => launch::app_not_opened(hint.as_deref()),
            _ => true,
        })
    });
    let token = Memo::new(move |_| {
        runner
            .machine
            .with(|m| m.order.as_ref().and_then(|o| o.auto_start_token.clone()))
    });

    let request = move || StartOrderRequest {
        kind: OrderKind::Auth,
        personal_number: None,
        call_initiator: None,
        user_visible_data: None,
        end_user_ip: None,
        return_url: launch::order_return_url(
            runner.machine.with_untracked(|m| m.flow),
            ctx.platform,
            ctx.in_iframe,
            launch::page_url,
        ),
    };
    let choose = move |flow: Flow| {
        runner.machine.update(|m| m.set_flow(flow));
        runner.start(request());
    };

    // After a failure, focus goes to what to do next: "Try again", or on a spent link the sentence saying
    // who can send a new one (nothing else there is for the keyboard). A button left from an earlier
    // failure is no longer in the page.
    let retry_button = NodeRef::<html::Button>::new();
    let spent_note = NodeRef::<html::P>::new();
    Effect::new(move |_| {
        if screen.get() != Screen::Failed {
            return;
        }
        if let Some(button) = retry_button.get().filter(|b| b.is_connected()) {
            let _ = button.focus();
        } else if let Some(note) = spent_note.get() {
            let _ = note.focus();
        }
    });

    let status = move || {
        let lang = ctx.lang.get();
        runner.machine.with(|m| {
            let main = match flow::customer_message(&m.phase) {
                Some(Message::Rfa(rfa)) => lang.rfa(rfa),
                Some(Message::Text(text)) => lang.t(text),
                None if matches!(m.phase, Phase::Complete { .. }) => lang.t(Text::Identified),
                None => "",
            };
            let mut line = main.to_owned();
            if matches!(
                m.phase,
                Phase::Pending {
                    reconnecting: true,
                    ..
                }
            ) {
                line.push(' ');
                line.push_str(lang.t(Text::Reconnecting));
            }
            line
        })
    };

    let question = match device {
        Device::Desktop => Rfa::Rfa19,
        Device::Mobile => Rfa::Rfa20,
    };
    let (this_label, other_label) = match device {
        Device::Desktop => (Text::ThisComputer, Text::MobileBankId),
        Device::Mobile => (Text::ThisDevice, Text::OtherDevice),
    };
    let use_this = match device {
        Device::Desktop => Text::UseThisComputer,
        Device::Mobile => Text::UseThisDevice,
    };
    // BANKID.md §7: desktop → QR first; mobile → this device first.
    let other_first = device == Device::Desktop;

    let choose_view = move || {
        let this_btn = view! {
            <button
                type="button"
                class=if other_first { "btn secondary" } else { "btn primary" }
                on:click=move |_| choose(this_device)
            >
                {ctx.tr(this_label)}
            </button>
        };
        let other_btn = view! {
            <button
                type="button"
                class=if other_first { "btn primary" } else { "btn secondary" }
                on:click=move |_| choose(Flow::OtherDevice)
            >
                {ctx.tr(other_label)}
            </button>
        };
        let buttons = if other_first {
            view! { {other_btn} {this_btn} }.into_any()
        } else {
            view! { {this_btn} {other_btn} }.into_any()
        };
        view! {
            <p class="lead">{move || ctx.lang.get().rfa(question)}</p>
            <div class="actions">{buttons}</div>
        }
    };

    // While waiting and after a failure alike: over to the other way of starting.
    let switch_button = move || {
        view! {
            <button
                type="button"
                class="btn link"
                on:click=move |_| {
                    let next = if same_device.get_untracked() { Flow::OtherDevice } else { this_device };
                    runner.switch_to(next);
                }
            >
                {move || {
                    if same_device.get() {
                        ctx.lang.get().t(Text::UseOtherDevice)
                    } else {
                        ctx.lang.get().t(use_this)
                    }
                }}
            </button>
        }
    };

    let waiting_view = move || {
        let body = move || {
            if same_device.get() {
                match token.get() {
                    Some(t) => {
                        view! { <LaunchButton ctx=ctx runner=runner token=t app_not_opened=app_not_opened /> }
                            .into_any()
                    }
                    None => view! { <div class="launch-slot"></div> }.into_any(),
                }
            } else {
                view! {
                    <QrCode ctx=ctx payload=Signal::from(qr) />
                    <p class="hint">{ctx.tr(Text::QrHowTo)}</p>
                }
                .into_any()
            }
        };
        view! {
            {body}
            <div class="actions">
                <button type="button" class="btn secondary" on:click=move |_| runner.send(flow::Input::Cancel)>
                    {ctx.tr(Text::Cancel)}
                </button>
                {switch_button()}
            </div>
        }
    };

    // A link's page has nothing more to do once its order ended: say so, and who now knows (or, after a
    // failure, who can send a new link). Embedded in a site, the site takes over from the host events.
    let on_link_page = ctx.api.with_value(|api| api.link_token.is_some());

    let failed_view = move || {
        let (guidance, spent) = runner.machine.with_untracked(|m| {
            let spent = on_link_page.then(|| flow::link_spent(&m.phase)).flatten();
            (flow::guidance(&m.phase, m.flow), spent)
        });
        match spent {
            // The install help still applies; "try again" and "another way" do not.
            Some(text) => view! {
                {guidance
                    .filter(|g| matches!(g, flow::Guidance::StartFailed { .. }))
                    .map(|kind| view! { <Guidance ctx=ctx kind=kind /> })}
                <p class="lead" tabindex="-1" node_ref=spent_note>{ctx.tr(text)}</p>
            }
            .into_any(),
            None => view! {
                {guidance.map(|kind| view! { <Guidance ctx=ctx kind=kind /> })}
                <div class="actions">
                    <button type="button" class="btn primary" node_ref=retry_button on:click=move |_| runner.retry()>
                        {ctx.tr(Text::TryAgain)}
                    </button>
                    {switch_button()}
                </div>
            }
            .into_any(),
        }
    };

    let done_view = move || {
        on_link_page.then(|| view! { <p class="lead">{ctx.tr(Text::LinkDoneNextStep)}</p> })
    };

    view! {
        <section class="card customer" aria-labelledby="legit-title">
            <h1 id="legit-title">{ctx.tr(Text::Title)}</h1>
            // A link arrives by SMS or e-mail: the page says whose it is, as the edge knows it.
            {ctx.link_sender.get_value().map(|name| view! {
                <p class="hint sender">{move || format!("{} {name}", ctx.lang.get().t(Text::LinkSentBy))}</p>
            })}
            <p
                class="status"
                role="status"
                aria-live="polite"
                class:pending=move || screen.get() == Screen::Waiting
                class:done=move || screen.get() == Screen::Done
                class:failed=move || screen.get() == Screen::Failed
            >
                {status}
            </p>
            {move || match screen.get() {
                Screen::Choose => choose_view().into_any(),
                Screen::Waiting => waiting_view().into_any(),
                Screen::Done => done_view().into_any(),
                Screen::Failed => failed_view().into_any(),
            }}
        </section>
    }
}
