//! Runs a [`Machine`] in the browser: keeps it in a signal, carries out its effects (the start request, the
//! live stream with its reconnects, cancel, host events, session storage) and feeds back what happens.

use gloo_timers::future::TimeoutFuture;
use legit_core::api::{OrderKind, StartOrderRequest};
use legit_core::rfa::Flow;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{ApiError, Stream, StreamEvent};
use crate::app::Ctx;
use crate::flow::{self, Effect, Input, Machine, Order, Phase};
use crate::json::{Json, Object};

/// A running order's handle; `Copy`, so views and handlers share it freely.
#[derive(Clone, Copy)]
pub struct Runner {
    pub machine: RwSignal<Machine>,
    request: StoredValue<Option<StartOrderRequest>>,
    stream: StoredValue<Option<Stream>, LocalStorage>,
    ctx: Ctx,
}

impl Runner {
    /// A runner for orders of `kind`; the stream closes when the owning component goes away.
    pub fn new(ctx: Ctx, kind: OrderKind, flow: Flow) -> Runner {
        let runner = Runner {
            machine: RwSignal::new(Machine::new(kind, flow)),
            request: StoredValue::new(None),
            stream: StoredValue::new_local(None),
            ctx,
        };
        on_cleanup(move || {
            runner.stream.try_set_value(None);
        });
        runner
    }

    /// Starts an order with `request` (kept for "try again").
    pub fn start(&self, request: StartOrderRequest) {
        self.request.set_value(Some(request));
        self.send(Input::Start);
    }

    /// Starts again with the last request.
    pub fn retry(&self) {
        self.send(Input::Start);
    }

    pub fn phase(&self) -> Phase {
        self.machine.with(|m| m.phase.clone())
    }

    /// Feeds `input` to the machine and carries out what it says.
    pub fn send(&self, input: Input) {
        let Some(effects) = self.machine.try_update(|m| m.step(input)) else {
            return;
        };
        for effect in effects {
            self.run(effect);
        }
    }

    fn order(&self) -> Option<Order> {
        self.machine.with_untracked(|m| m.order.clone())
    }

    fn run(&self, effect: Effect) {
        let this = *self;
        match effect {
            Effect::PostStart => {
                let Some(request) = self.request.get_value() else {
                    return;
                };
                let api = self.ctx.api.get_value();
                spawn_local(async move {
                    let input = match api.start_order(&request).await {
                        Ok(answer) => Input::Started(answer),
                        Err(ApiError::Unreachable) => Input::Unreachable,
                        Err(ApiError::Status { status, code, rfa }) => {
                            Input::Refused { status, code, rfa }
                        }
                    };
                    this.send(input);
                });
            }
            Effect::OpenStream => self.open_stream(),
            Effect::ReconnectIn(ms) => {
                let id = self.order().map(|o| o.id);
                spawn_local(async move {
                    TimeoutFuture::new(ms).await;
                    let still = this
                        .machine
                        .try_with_untracked(|m| {
                            matches!(m.phase, Phase::Pending { .. })
                                && m.order.as_ref().map(|o| &o.id) == id.as_ref()
                        })
                        .unwrap_or(false);
                    if still {
                        this.open_stream();
                    }
                });
            }
            Effect::CloseStream => {
                self.stream.try_set_value(None);
            }
            Effect::SendCancel => {
                if let Some(order) = self.order() {
                    let api = self.ctx.api.get_value();
                    spawn_local(async move {
                        let _ = api.cancel(&order).await;
                    });
                }
            }
            Effect::Remember => {
                if let Some(order) = self.order() {
                    let same_device = self
                        .machine
                        .with_untracked(|m| matches!(m.flow, Flow::SameDevice(_)));
                    remember(&self.ctx.storage_key(order.kind), &order, same_device);
                }
            }
            Effect::Forget => {
                let kind = self.machine.with_untracked(Machine::kind);
                forget(&self.ctx.storage_key(kind));
            }
            Effect::Host(event) => self.ctx.host.with_value(|h| h.emit(&event)),
        }
    }

    fn open_stream(&self) {
        let Some(order) = self.order() else {
            return;
        };
        let this = *self;
        let url = self.ctx.api.with_value(|api| api.events_url(&order));
        let stream = Stream::open(&url, move |event| {
            let input = match event {
                StreamEvent::Opened => Input::StreamOpened,
                StreamEvent::State(data) => match flow::parse_state(&data) {
                    Some(state) => Input::State(state),
                    None => return,
                },
                StreamEvent::Qr(data) => match flow::parse_qr(&data) {
                    Some(frame) => Input::Qr(frame),
                    None => return,
                },
                StreamEvent::Lost => Input::StreamLost,
                StreamEvent::Link(_) => return,
            };
            // Out of the EventSource callback: the machine may close this very stream.
            spawn_local(async move { this.send(input) });
        });
        self.stream.try_set_value(stream);
    }

    /// Picks up an order a reload interrupted (same tab, same tenant, still young), in the flow it was
    /// started in.
    pub fn resume_if_any(&self) {
        let kind = self.machine.with_untracked(Machine::kind);
        if let Some((order, same_device)) = recall(&self.ctx.storage_key(kind), kind) {
            if !kind.is_phone() {
                let device = self.ctx.platform.device;
                self.machine.update(|m| {
                    m.set_flow(if same_device {
                        Flow::SameDevice(device)
                    } else {
                        Flow::OtherDevice
                    })
                });
            }
            self.send(Input::Resume(order));
        }
    }

    /// Changes between this device and QR: a running order is cancelled quietly (the host hears only of the
    /// new one) and a new one starts in `flow`.
    pub fn switch_to(&self, flow: Flow) {
        let running = self.machine.with_untracked(Machine::is_running);
        // On a link's page the edge ends the old order itself when the new one takes the link over;
        // cancelling it here first would end the link with it.
        let on_link = self.ctx.api.with_value(|api| api.link_token.is_some());
        if let (true, false, Some(order)) = (running, on_link, self.order()) {
            let api = self.ctx.api.get_value();
            spawn_local(async move {
                let _ = api.cancel(&order).await;
            });
        }
        self.send(Input::Reset);
        self.machine.update(|m| m.set_flow(flow));
        self.send(Input::Start);
    }
}

/// An order older than this is over at BankID (3 min lifetime); no point resuming it.
const RESUME_WITHIN_MS: f64 = 170_000.0;

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// Keeps `{id, token?, ast?, same, at}` in session storage.
fn remember(key: &str, order: &Order, same_device: bool) {
    let kept = Object::new()
        .str("id", &order.id)
        .opt("token", order.token.as_deref())
        .opt("ast", order.auto_start_token.as_deref())
        .raw("same", if same_device { "true" } else { "false" })
        .raw("at", &(js_sys::Date::now() as u64).to_string())
        .finish();
    if let Some(s) = session_storage() {
        let _ = s.set_item(key, &kept);
    }
}

fn forget(key: &str) {
    if let Some(s) = session_storage() {
        let _ = s.remove_item(key);
    }
}

fn recall(key: &str, kind: OrderKind) -> Option<(Order, bool)> {
    let json = session_storage()?.get_item(key).ok()??;
    let kept = Json::parse(&json)?;
    let at = kept
        .get("at")
        .and_then(|n| match n {
            Json::Num(n) => n.parse::<u64>().ok(),
            _ => None,
        })
        .unwrap_or(0);
    if js_sys::Date::now() - at as f64 > RESUME_WITHIN_MS {
        forget(key);
        return None;
    }
    let order = Order {
        id: kept.string("id")?,
        kind,
        token: kept.string("token"),
        auto_start_token: kept.string("ast"),
    };
    Some((order, kept.get("same") == Some(&Json::Bool(true))))
}

/// Whether the app was already opened with this autostart token (by us, or by the user's click): coming
/// back from the app must not start it again.
pub fn token_used(token: &str) -> bool {
    session_storage()
        .and_then(|s| s.get_item(&format!("legit:used:{token}")).ok().flatten())
        .is_some()
}

pub fn mark_token_used(token: &str) {
    if let Some(s) = session_storage() {
        let _ = s.set_item(&format!("legit:used:{token}"), "1");
    }
}
