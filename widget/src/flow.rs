//! The life of one order as the widget sees it: a pure state machine. The components feed it what happens
//! (the start answer, each `event: state` and `event: qr`, a lost stream, the app being opened on this device,
//! the user's cancel) and carry out the [`Effect`]s it returns (open or close the stream, send the cancel, tell
//! the host page). No I/O, no clock: every rule here is tested natively and in the browser.

use legit_core::api::{EventUser, FailReason, OrderEvent, OrderKind, OrderStatus, QrFrame};
#[cfg(feature = "customer")]
use legit_core::link::LinkRefusal;
#[cfg(feature = "customer")]
use legit_core::rfa::Device;
use legit_core::rfa::{self, Flow, Rfa};

use crate::host::HostEvent;
use crate::i18n::Text;
use crate::json::Json;

/// The answer to `POST /api/v1/orders`: `legit_core::api::StartOrderResponse` plus `orderToken`, the capability
/// for the events stream and cancel, which the edge is adding. Tolerates its absence (older edges).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartAnswer {
    pub order_id: String,
    pub auto_start_token: Option<String>,
    pub order_token: Option<String>,
}

impl StartAnswer {
    /// Reads the 201 body: `{orderId, autoStartToken?, orderToken?}`.
    pub fn parse(text: &str) -> Option<StartAnswer> {
        let j = Json::parse(text)?;
        Some(StartAnswer {
            order_id: j.string("orderId")?,
            auto_start_token: j.string("autoStartToken"),
            order_token: j.string("orderToken"),
        })
    }
}

/// The order being followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: String,
    pub kind: OrderKind,
    pub token: Option<String>,
    pub auto_start_token: Option<String>,
}

/// Why an order ended without a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// BankID's collect said `failed` with this hint code.
    BankId { hint: Option<String> },
    /// The edge ended the order itself (`errorCode` of the event: `cancelled`, `bankid_unavailable`, …).
    Edge { code: String },
    /// The edge refused to start the order (HTTP status, error code of the body).
    Refused { status: u16, code: String },
    /// The edge could not be reached, or the live stream stayed lost.
    Unreachable,
    /// The user pressed cancel here.
    CancelledHere,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// BankID's message for it.
    pub rfa: Rfa,
    pub why: Why,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Phase {
    /// Nothing started yet: the form or the choice screen.
    #[default]
    Idle,
    /// The start request is on its way.
    Starting,
    Pending {
        hint: Option<String>,
        rfa: Rfa,
        /// The current animated-QR content, while the order waits to be scanned.
        qr: Option<String>,
        /// The live stream was lost and is being reopened.
        reconnecting: bool,
    },
    Complete {
        user: Option<EventUser>,
        result_token: Option<String>,
    },
    Failed(Failure),
}

/// Something that happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// The user asked to start (or start again).
    Start,
    Started(StartAnswer),
    /// The start request was answered with an error.
    Refused {
        status: u16,
        code: String,
        rfa: Option<Rfa>,
    },
    /// The start request did not reach the edge.
    Unreachable,
    /// A page reload found an order still running (iOS Safari reloads the tab on return from the app).
    Resume(Order),
    /// The app was opened on this device with the order's autostart token: by the widget itself, by the
    /// user's tap on the start button, or before a reload (back from the app).
    AppOpened,
    State(OrderEvent),
    Qr(QrFrame),
    StreamOpened,
    StreamLost,
    Cancel,
    /// Back to the start screen.
    Reset,
}

/// What the glue must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Send the start request the component holds.
    PostStart,
    OpenStream,
    /// Reopen the stream after this many milliseconds.
    ReconnectIn(u32),
    CloseStream,
    /// `POST …/cancel` for the current order.
    SendCancel,
    /// Keep the order in session storage, so a reload resumes it instead of starting another.
    Remember,
    Forget,
    Host(HostEvent),
}

/// Reconnect attempts before the widget gives up on the live stream (about half a minute in all).
pub const MAX_RECONNECTS: u32 = 6;

/// Back-off before reconnect attempt `n` (1-based): 1 s, 2 s, 4 s, then 8 s.
pub fn backoff_ms(attempt: u32) -> u32 {
    1_000 << attempt.saturating_sub(1).min(3)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    /// How the order reaches the app; picks the messages (RFA13 vs RFA1, RFA15A vs B, RFA17A vs B).
    pub flow: Flow,
    pub phase: Phase,
    pub order: Option<Order>,
    kind: OrderKind,
    lost: u32,
    /// Whether this order's app was opened on this device ([`Input::AppOpened`]); until then the message is
    /// "Start your BankID app", not "Trying to start" ([`rfa::before_launch`]).
    launched: bool,
}

impl Machine {
    pub fn new(kind: OrderKind, flow: Flow) -> Machine {
        Machine {
            flow,
            phase: Phase::Idle,
            order: None,
            kind,
            lost: 0,
            launched: false,
        }
    }

    /// The kind of order the next start asks for.
    pub fn kind(&self) -> OrderKind {
        self.kind
    }

    /// Changes how the next order is opened (this device / QR). Only before it starts.
    pub fn set_flow(&mut self, flow: Flow) {
        if !self.is_running() {
            self.flow = flow;
        }
    }

    pub fn is_running(&self) -> bool {
        matches!(self.phase, Phase::Starting | Phase::Pending { .. })
    }

    pub fn step(&mut self, input: Input) -> Vec<Effect> {
        match input {
            Input::Start => {
                if self.is_running() {
                    return vec![];
                }
                self.phase = Phase::Starting;
                self.order = None;
                self.lost = 0;
                self.launched = false;
                vec![Effect::PostStart]
            }
            Input::Started(answer) => {
                if self.phase != Phase::Starting {
                    return vec![];
                }
                let order = Order {
                    id: answer.order_id,
                    kind: self.kind,
                    token: answer.order_token,
                    auto_start_token: answer.auto_start_token,
                };
                let started = HostEvent::Started {
                    order_id: order.id.clone(),
                };
                self.order = Some(order);
                self.phase = self.awaiting_app();
                vec![Effect::OpenStream, Effect::Remember, Effect::Host(started)]
            }
            Input::Refused { status, code, rfa } => {
                if self.phase != Phase::Starting {
                    return vec![];
                }
                let rfa = rfa.unwrap_or(if status == 429 || status >= 500 {
                    Rfa::Rfa5
                } else {
                    Rfa::Rfa22
                });
                self.fail(rfa, Why::Refused { status, code })
            }
            Input::Unreachable => {
                if self.phase != Phase::Starting {
                    return vec![];
                }
                self.fail(Rfa::Rfa5, Why::Unreachable)
            }
            Input::Resume(order) => {
                if self.phase != Phase::Idle || order.kind != self.kind {
                    return vec![];
                }
                self.order = Some(order);
                self.launched = false;
                // Until the stream's first state says otherwise, the order is taken to be where a new one
                // is: the user reads "Start your BankID app", not the generic RFA21 of an unknown state.
                self.phase = self.awaiting_app();
                vec![Effect::OpenStream]
            }
            Input::AppOpened => {
                self.launched = true;
                if let Phase::Pending { hint, .. } = &self.phase {
                    let now = self.pending_rfa(hint.as_deref());
                    if let Phase::Pending { rfa, .. } = &mut self.phase {
                        *rfa = now;
                    }
                }
                vec![]
            }
            Input::State(event) => self.on_state(event),
            Input::Qr(frame) => {
                if let Phase::Pending { hint, qr, .. } = &mut self.phase
                    && shows_qr(hint.as_deref())
                    && frame.qr.starts_with("bankid.")
                {
                    *qr = Some(frame.qr);
                }
                vec![]
            }
            Input::StreamOpened => {
                self.lost = 0;
                if let Phase::Pending { reconnecting, .. } = &mut self.phase {
                    *reconnecting = false;
                }
                vec![]
            }
            Input::StreamLost => {
                let Phase::Pending {
                    reconnecting, qr, ..
                } = &mut self.phase
                else {
                    return vec![];
                };
                self.lost += 1;
                if self.lost > MAX_RECONNECTS {
                    return self.fail(Rfa::Rfa5, Why::Unreachable);
                }
                *reconnecting = true;
                // No frames come while the stream is down, and a frame older than a second or two fails
                // when scanned (startFailed, BANKID.md §10): take the code down until a fresh one arrives.
                *qr = None;
                vec![
                    Effect::CloseStream,
                    Effect::ReconnectIn(backoff_ms(self.lost)),
                ]
            }
            Input::Cancel => {
                if !matches!(self.phase, Phase::Pending { .. }) {
                    return vec![];
                }
                let mut effects = vec![Effect::SendCancel];
                effects.extend(self.fail(rfa::CANCELLED_BY_US, Why::CancelledHere));
                effects
            }
            Input::Reset => {
                let was_running = self.is_running();
                self.phase = Phase::Idle;
                self.order = None;
                if was_running {
                    vec![Effect::CloseStream, Effect::Forget]
                } else {
                    vec![]
                }
            }
        }
    }

    fn on_state(&mut self, event: OrderEvent) -> Vec<Effect> {
        let ours = self.order.as_ref().is_some_and(|o| o.id == event.order_id);
        if !ours || !matches!(self.phase, Phase::Pending { .. }) {
            // Another order's late event (after a retry), or one after the end: nothing changes.
            return vec![];
        }
        self.lost = 0;
        match event.status {
            OrderStatus::Pending => {
                let qr = match &self.phase {
                    Phase::Pending { qr, .. } if shows_qr(event.hint_code.as_deref()) => qr.clone(),
                    _ => None,
                };
                self.phase = self.pending(event.hint_code, qr);
                vec![]
            }
            OrderStatus::Complete => {
                let order_id = event.order_id;
                self.phase = Phase::Complete {
                    user: event.user,
                    result_token: event.result_token.clone(),
                };
                vec![
                    Effect::CloseStream,
                    Effect::Forget,
                    Effect::Host(HostEvent::Complete {
                        order_id,
                        result_token: event.result_token,
                    }),
                ]
            }
            OrderStatus::Failed => match event.error_code {
                Some(code) => {
                    let rfa = event.rfa.unwrap_or(Rfa::Rfa22);
                    self.fail(rfa, Why::Edge { code })
                }
                None => {
                    let rfa = rfa::for_collect(self.flow, "failed", event.hint_code.as_deref())
                        .unwrap_or(Rfa::Rfa22);
                    self.fail(
                        rfa,
                        Why::BankId {
                            hint: event.hint_code,
                        },
                    )
                }
            },
        }
    }

    /// Where BankID puts a new order: nobody has opened it in the app yet.
    fn awaiting_app(&self) -> Phase {
        self.pending(Some("outstandingTransaction".into()), None)
    }

    /// The pending phase for `hint`, with the message for this widget's flow: the edge picks its message
    /// for the QR flow, as it cannot know whether the app was opened on this device.
    fn pending(&self, hint: Option<String>, qr: Option<String>) -> Phase {
        Phase::Pending {
            rfa: self.pending_rfa(hint.as_deref()),
            hint,
            qr,
            reconnecting: false,
        }
    }

    fn pending_rfa(&self, hint: Option<&str>) -> Rfa {
        let rfa = rfa::for_collect(self.flow, "pending", hint).unwrap_or(Rfa::Rfa21);
        if self.launched {
            rfa
        } else {
            rfa::before_launch(rfa)
        }
    }

    fn fail(&mut self, rfa: Rfa, why: Why) -> Vec<Effect> {
        let order_id = self.order.as_ref().map(|o| o.id.clone());
        let cancelled = match &why {
            Why::CancelledHere => true,
            Why::Edge { code } => code == "cancelled",
            Why::BankId { hint } => hint.as_deref() == Some("cancelled"),
            _ => false,
        };
        let host = match (&order_id, cancelled) {
            (Some(id), true) => HostEvent::Cancelled {
                order_id: id.clone(),
            },
            _ => HostEvent::Failed {
                order_id,
                rfa: rfa.code().to_owned(),
                hint_code: match &why {
                    Why::BankId { hint } => hint.clone(),
                    _ => None,
                },
                error_code: match &why {
                    Why::Edge { code } | Why::Refused { code, .. } => Some(code.clone()),
                    Why::Unreachable => Some("unreachable".to_owned()),
                    _ => None,
                },
            },
        };
        let was_streaming = matches!(self.phase, Phase::Pending { .. });
        self.phase = Phase::Failed(Failure { rfa, why });
        let mut effects = Vec::new();
        if was_streaming {
            effects.extend([Effect::CloseStream, Effect::Forget]);
        }
        effects.push(Effect::Host(host));
        effects
    }
}

/// The QR code is shown only while nobody has picked the order up: before the first state, and on
/// `outstandingTransaction` or `noClient`, the hints the edge sends frames for (BANKID.md §6,
/// `OrderEvent::shows_qr`). Any other hint would freeze the last frame on screen, and scanning a stale frame
/// fails with startFailed.
fn shows_qr(hint: Option<&str>) -> bool {
    crate::launch::app_not_opened(hint)
}

/// Reads an `event: state` payload (`legit_core::api::OrderEvent` as JSON). Also takes
/// `"status": "cancelled"`, which the edge's contract allows, as the failed/cancelled event core describes;
/// `None` for anything unreadable (the stream goes on).
pub fn parse_state(data: &str) -> Option<OrderEvent> {
    let j = Json::parse(data)?;
    let order_id = j.string("orderId")?;
    let kind = OrderKind::parse(j.str("kind")?)?;
    let collects = j.u32("collects").unwrap_or(0);
    let status = match j.str("status")? {
        "pending" => OrderStatus::Pending,
        "failed" => OrderStatus::Failed,
        "complete" => OrderStatus::Complete,
        "cancelled" => {
            return Some(OrderEvent::failed(
                &order_id,
                kind,
                FailReason::Cancelled,
                collects,
            ));
        }
        _ => return None,
    };
    let user = j.get("user").map(|u| EventUser {
        personal_number: u.string("personalNumber"),
        name: u.string("name"),
        given_name: u.string("givenName"),
        surname: u.string("surname"),
    });
    Some(OrderEvent {
        order_id,
        kind,
        status,
        hint_code: j.string("hintCode"),
        rfa: j.str("rfa").and_then(Rfa::from_code),
        error_code: j.string("errorCode"),
        user,
        collects,
        result_token: j.string("resultToken"),
    })
}

/// Reads an `event: qr` payload: `{"qr": "bankid.…"}`.
pub fn parse_qr(data: &str) -> Option<QrFrame> {
    Some(QrFrame {
        qr: Json::parse(data)?.string("qr")?,
    })
}

/// What a customer reads: BankID's message, or one of ours where BankID has none.
#[cfg(feature = "customer")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    Rfa(Rfa),
    Text(Text),
}

/// The customer's status line for `phase` (`None` before the start and after success).
#[cfg(feature = "customer")]
pub fn customer_message(phase: &Phase) -> Option<Message> {
    match phase {
        Phase::Idle | Phase::Complete { .. } => None,
        Phase::Starting => Some(Message::Text(Text::Starting)),
        Phase::Pending { rfa, .. } => Some(Message::Rfa(*rfa)),
        Phase::Failed(f) => Some(match &f.why {
            Why::Unreachable => Message::Text(Text::Unreachable),
            Why::Refused { status: 429, .. } => Message::Text(Text::TooManyRequests),
            // The link, not BankID, ended it: the page says below why and who can send a new one, which
            // BankID's "try again" (RFA3 for the sender's cancel, RFA22 for a refusal) would contradict.
            Why::Refused { code, .. } | Why::Edge { code }
                if LinkRefusal::from_code(code).is_some() =>
            {
                Message::Text(Text::LinkUnusable)
            }
            _ => Message::Rfa(f.rfa),
        }),
    }
}

#[cfg(feature = "agent")]
/// The agent's status line for `phase`: the agent reads about the customer, not BankID's words to the
/// customer (DESIGN.md §6).
pub fn agent_text(phase: &Phase) -> Option<Text> {
    Some(match phase {
        Phase::Idle => return None,
        Phase::Starting => Text::Starting,
        Phase::Pending { hint, .. } if crate::launch::app_not_opened(hint.as_deref()) => {
            Text::AgentWaitingOpen
        }
        Phase::Pending { hint, .. } => match hint.as_deref() {
            Some("userCallConfirm") => Text::AgentConfirmCall,
            Some("started") => Text::AgentOpened,
            Some("userSign") => Text::AgentUserSign,
            Some("userMrtd") => Text::AgentMrtd,
            _ => Text::AgentInProgress,
        },
        Phase::Complete { .. } => Text::AgentComplete,
        Phase::Failed(f) => match &f.why {
            Why::BankId { hint } => match hint.as_deref() {
                Some("userCancel") => Text::AgentUserCancel,
                Some("userDeclinedCall") => Text::AgentDeclinedCall,
                Some("expiredTransaction") => Text::AgentExpired,
                Some("startFailed") => Text::AgentStartFailed,
                Some("certificateErr") => Text::AgentBlocked,
                Some("cancelled") => Text::AgentCancelled,
                _ => Text::AgentFailed,
            },
            Why::Edge { code } => match code.as_str() {
                "cancelled" => Text::AgentCancelled,
                "bankid_unavailable" => Text::AgentUnavailable,
                "identity_mismatch" => Text::AgentMismatch,
                "link_withdrawn" => Text::LinkWithdrawn,
                legit_core::ivr::ALREADY_IN_PROGRESS => Text::AgentAlreadyInProgress,
                _ => Text::AgentFailed,
            },
            Why::Refused { status, .. } if *status == 401 || *status == 403 => Text::SessionMissing,
            Why::Refused { status: 429, .. } => Text::TooManyRequests,
            Why::Refused { .. } if f.rfa == Rfa::Rfa4 => Text::AgentAlreadyInProgress,
            Why::Refused { .. } if f.rfa == Rfa::Rfa5 => Text::AgentUnavailable,
            Why::Refused { .. } => Text::AgentFailed,
            Why::Unreachable => Text::Unreachable,
            Why::CancelledHere => Text::AgentCancelled,
        },
    })
}

/// Extra help under a failure (DESIGN.md §6).
#[cfg(feature = "customer")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guidance {
    /// `startFailed`: the link to install.bankid.com and the common causes that fit the flow.
    StartFailed { causes: &'static [Text] },
    /// `userCancel`: the alternatives (try again, another device).
    UserCancelled,
}

#[cfg(feature = "customer")]
pub fn guidance(phase: &Phase, flow: Flow) -> Option<Guidance> {
    let Phase::Failed(Failure {
        why: Why::BankId { hint },
        ..
    }) = phase
    else {
        return None;
    };
    match hint.as_deref() {
        Some("startFailed") => Some(Guidance::StartFailed {
            causes: start_failed_causes(flow),
        }),
        Some("userCancel") => Some(Guidance::UserCancelled),
        _ => None,
    }
}

/// On a verification link's page, whether a failure used the link up, and what the customer is told instead
/// of "Try again". A link is single use (DESIGN.md §5): once its order has ended, however it ended, the link
/// only shows that order, and a start through it is refused (410 `link_used`); an expired or unknown link is
/// refused from the start, and so is one its sender withdrew (410 `link_withdrawn`). Only the customer's
/// contact can help then, with a new link. A start the edge
/// turned away for another reason (busy, BankID unreachable) or that never reached it left the link as it
/// was, so trying again is right.
#[cfg(feature = "customer")]
pub fn link_spent(phase: &Phase) -> Option<Text> {
    let Phase::Failed(Failure { why, .. }) = phase else {
        return None;
    };
    match why {
        Why::Refused { code, .. } => LinkRefusal::from_code(code).map(|refusal| match refusal {
            LinkRefusal::Expired => Text::LinkExpiredAskNew,
            LinkRefusal::Withdrawn => Text::LinkWithdrawnAskNew,
            LinkRefusal::Used | LinkRefusal::Unknown => Text::LinkSpentAskNew,
        }),
        // The stream was lost, not the order: a new start through the link asks the edge, which knows.
        Why::Unreachable => None,
        // Withdrawn while its order ran: the sender ended it, the person did not use it up.
        Why::Edge { code } if LinkRefusal::from_code(code) == Some(LinkRefusal::Withdrawn) => {
            Some(Text::LinkWithdrawnAskNew)
        }
        Why::BankId { .. } | Why::Edge { .. } | Why::CancelledHere => Some(Text::LinkSpentAskNew),
    }
}

/// The common causes of `startFailed` where the app was to start (BANKID.md §10). A computer runs the
/// BankID Security Application, a phone the BankID app: each user is told of the one they have. Antivirus,
/// firewalls and an old operating system stop the computer's, so a phone user is not sent looking for them.
#[cfg(feature = "customer")]
fn start_failed_causes(flow: Flow) -> &'static [Text] {
    match flow {
        Flow::OtherDevice => &[Text::CauseOldApp, Text::CauseQrLate],
        Flow::SameDevice(Device::Mobile) => &[Text::CauseOldApp, Text::CausePrompt],
        Flow::SameDevice(Device::Desktop) => &[
            Text::CauseOldSecurityApp,
            Text::CausePrompt,
            Text::CauseFirewall,
            Text::CauseOldOs,
        ],
        // BankID does not end phone orders with startFailed; should it, the app is the only suspect.
        Flow::Phone => &[Text::CauseOldApp],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same tests run natively and, under `cargo xtask test`, in Chromium.
    use legit_core::rfa::Device;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const ID: &str = "0123456789abcdef0123456789abcdef";

    fn started(m: &mut Machine) -> Vec<Effect> {
        assert_eq!(m.step(Input::Start), vec![Effect::PostStart]);
        m.step(Input::Started(StartAnswer {
            order_id: ID.into(),
            auto_start_token: Some("ast".into()),
            order_token: Some("otk".into()),
        }))
    }

    fn event(status: &str, hint: Option<&str>) -> OrderEvent {
        OrderEvent {
            order_id: ID.into(),
            kind: OrderKind::Auth,
            status: match status {
                "pending" => OrderStatus::Pending,
                "complete" => OrderStatus::Complete,
                _ => OrderStatus::Failed,
            },
            hint_code: hint.map(str::to_owned),
            rfa: None,
            error_code: None,
            user: None,
            collects: 1,
            result_token: None,
        }
    }

    fn qr_frame(s: &str) -> Input {
        Input::Qr(QrFrame { qr: s.into() })
    }

    #[test]
    fn a_started_order_opens_the_stream_and_tells_the_host() {
        let mut m = Machine::new(OrderKind::Auth, Flow::SameDevice(Device::Desktop));
        let effects = started(&mut m);
        assert_eq!(
            effects,
            vec![
                Effect::OpenStream,
                Effect::Remember,
                Effect::Host(HostEvent::Started {
                    order_id: ID.into()
                })
            ]
        );
        assert_eq!(
            m.order.as_ref().and_then(|o| o.token.as_deref()),
            Some("otk")
        );
        assert_eq!(
            m.step(Input::Start),
            vec![],
            "no second order while one runs"
        );
    }

    fn shown(m: &Machine) -> Option<Rfa> {
        match m.phase {
            Phase::Pending { rfa, .. } => Some(rfa),
            _ => None,
        }
    }

    #[test]
    fn on_this_device_the_message_says_trying_to_start_only_once_the_app_was_opened() {
        let mut m = Machine::new(OrderKind::Auth, Flow::SameDevice(Device::Mobile));
        started(&mut m);
        assert_eq!(shown(&m), Some(Rfa::Rfa1), "the button waits for a tap");
        m.step(Input::State(event(
            "pending",
            Some("outstandingTransaction"),
        )));
        assert_eq!(shown(&m), Some(Rfa::Rfa1), "a collect does not change that");
        assert_eq!(m.step(Input::AppOpened), vec![]);
        assert_eq!(shown(&m), Some(Rfa::Rfa13));
        m.step(Input::State(event(
            "pending",
            Some("outstandingTransaction"),
        )));
        assert_eq!(shown(&m), Some(Rfa::Rfa13), "and it stays so");
        m.step(Input::State(event("pending", Some("started"))));
        assert_eq!(shown(&m), Some(Rfa::Rfa15B));

        // The next order starts unopened again.
        m.step(Input::Cancel);
        started(&mut m);
        assert_eq!(shown(&m), Some(Rfa::Rfa1));

        // The QR flow never says either: the app is on another device.
        let mut qr = Machine::new(OrderKind::Auth, Flow::OtherDevice);
        started(&mut qr);
        qr.step(Input::AppOpened);
        assert_eq!(shown(&qr), Some(Rfa::Rfa1));
    }

    #[test]
    fn an_edge_without_order_tokens_is_tolerated() {
        let answer = StartAnswer::parse(r#"{"orderId":"ab","autoStartToken":"t"}"#);
        assert_eq!(answer.and_then(|a| a.order_token), None);
        let answer = StartAnswer::parse(r#"{"orderId":"ab","orderToken":"k","x":1}"#);
        assert_eq!(answer.and_then(|a| a.order_token).as_deref(), Some("k"));
        assert_eq!(StartAnswer::parse(r#"{"autoStartToken":"t"}"#), None);
    }

    #[test]
    fn messages_follow_the_flow_the_widget_knows() {
        let mut qr = Machine::new(OrderKind::Auth, Flow::OtherDevice);
        started(&mut qr);
        assert!(matches!(qr.phase, Phase::Pending { rfa: Rfa::Rfa1, .. }));
        qr.step(Input::State(event("pending", Some("started"))));
        assert!(matches!(
            qr.phase,
            Phase::Pending {
                rfa: Rfa::Rfa15B,
                ..
            }
        ));

        let mut desk = Machine::new(OrderKind::Auth, Flow::SameDevice(Device::Desktop));
        started(&mut desk);
        desk.step(Input::State(event("pending", Some("started"))));
        assert!(matches!(
            desk.phase,
            Phase::Pending {
                rfa: Rfa::Rfa15A,
                ..
            }
        ));
        desk.step(Input::State(event("pending", Some("userSign"))));
        assert!(matches!(desk.phase, Phase::Pending { rfa: Rfa::Rfa9, .. }));
        desk.step(Input::State(event("failed", Some("startFailed"))));
        assert_eq!(
            desk.phase,
            Phase::Failed(Failure {
                rfa: Rfa::Rfa17A,
                why: Why::BankId {
                    hint: Some("startFailed".into())
                }
            })
        );
        assert_eq!(
            guidance(&desk.phase, desk.flow),
            Some(Guidance::StartFailed {
                causes: &[
                    Text::CauseOldSecurityApp,
                    Text::CausePrompt,
                    Text::CauseFirewall,
                    Text::CauseOldOs
                ]
            })
        );
    }

    #[test]
    fn a_phone_is_not_sent_looking_for_a_firewall_after_start_failed() {
        let mut m = Machine::new(OrderKind::Auth, Flow::SameDevice(Device::Mobile));
        started(&mut m);
        m.step(Input::State(event("failed", Some("startFailed"))));
        assert_eq!(
            guidance(&m.phase, m.flow),
            Some(Guidance::StartFailed {
                causes: &[Text::CauseOldApp, Text::CausePrompt]
            })
        );
    }

    #[test]
    fn qr_frames_show_until_the_code_is_scanned() {
        let mut m = Machine::new(OrderKind::Auth, Flow::OtherDevice);
        m.step(qr_frame("bankid.a.0.x"));
        assert_eq!(m.phase, Phase::Idle, "no QR before the order");
        started(&mut m);
        m.step(qr_frame("bankid.a.0.x"));
        m.step(qr_frame("bankid.a.1.y"));
        assert!(matches!(&m.phase, Phase::Pending { qr: Some(q), .. } if q == "bankid.a.1.y"));
        m.step(Input::State(event(
            "pending",
            Some("outstandingTransaction"),
        )));
        assert!(
            matches!(&m.phase, Phase::Pending { qr: Some(_), .. }),
            "same state keeps the frame"
        );
        m.step(qr_frame("<script>"));
        assert!(matches!(&m.phase, Phase::Pending { qr: Some(q), .. } if q == "bankid.a.1.y"));
        m.step(Input::State(event("pending", Some("noClient"))));
        assert!(
            matches!(&m.phase, Phase::Pending { qr: Some(_), .. }),
            "noClient: still nobody has scanned, the code stays (BANKID.md §4)"
        );
        m.step(qr_frame("bankid.a.2.v"));
        assert!(matches!(&m.phase, Phase::Pending { qr: Some(q), .. } if q == "bankid.a.2.v"));
        m.step(Input::State(event("pending", Some("started"))));
        assert!(
            matches!(&m.phase, Phase::Pending { qr: None, .. }),
            "picked up: no frozen code left to scan"
        );
        m.step(Input::State(event(
            "pending",
            Some("outstandingTransaction"),
        )));
        m.step(qr_frame("bankid.a.3.w"));
        assert!(matches!(&m.phase, Phase::Pending { qr: Some(q), .. } if q == "bankid.a.3.w"));
        m.step(Input::State(event("pending", Some("userSign"))));
        assert!(
            matches!(&m.phase, Phase::Pending { qr: None, .. }),
            "scanned: QR gone"
        );
        m.step(qr_frame("bankid.a.2.z"));
        assert!(
            matches!(&m.phase, Phase::Pending { qr: None, .. }),
            "late frame ignored"
        );
    }

    #[test]
    fn completion_closes_the_stream_and_hands_over_the_token() {
        let mut m = Machine::new(OrderKind::PhoneAuth, Flow::Phone);
        started(&mut m);
        let mut done = event("complete", None);
        done.kind = OrderKind::PhoneAuth;
        done.result_token = Some("jwt".into());
        done.user = Some(EventUser {
            name: Some("Åsa Ørnulf Ämström-Lindé".into()),
            ..EventUser::default()
        });
        let effects = m.step(Input::State(done));
        assert_eq!(
            effects,
            vec![
                Effect::CloseStream,
                Effect::Forget,
                Effect::Host(HostEvent::Complete {
                    order_id: ID.into(),
                    result_token: Some("jwt".into())
                })
            ]
        );
        assert_eq!(agent_text(&m.phase), Some(Text::AgentComplete));
        assert_eq!(
            m.step(Input::State(event("failed", Some("userCancel")))),
            vec![],
            "final is final"
        );
    }

    #[test]
    fn events_of_another_order_are_ignored() {
        let mut m = Machine::new(OrderKind::Auth, Flow::OtherDevice);
        started(&mut m);
        let mut other = event("failed", Some("userCancel"));
        other.order_id = "ffffffffffffffffffffffffffffffff".into();
        assert_eq!(m.step(Input::State(other)), vec![]);
        assert!(matches!(m.phase, Phase::Pending { .. }));
    }

    #[test]
    fn cancel_here_sends_the_cancel_and_says_cancelled() {
        let mut m = Machine::new(OrderKind::Auth, Flow::OtherDevice);
        assert_eq!(m.step(Input::Cancel), vec![], "nothing to cancel");
        started(&mut m);
        let effects = m.step(Input::Cancel);
        assert_eq!(
            effects,
            vec![
                Effect::SendCancel,
                Effect::CloseStream,
                Effect::Forget,
                Effect::Host(HostEvent::Cancelled {
                    order_id: ID.into()
                })
            ]
        );
        assert_eq!(customer_message(&m.phase), Some(Message::Rfa(Rfa::Rfa3)));
        // Retry after any failure.
        assert_eq!(m.step(Input::Start), vec![Effect::PostStart]);
    }

    #[test]
    fn an_edge_failure_keeps_its_code_and_message() {
        let mut m = Machine::new(OrderKind::PhoneAuth, Flow::Phone);
        started(&mut m);
        let failed = OrderEvent::failed(ID, OrderKind::PhoneAuth, FailReason::IdentityMismatch, 3);
        let effects = m.step(Input::State(failed));
        assert!(effects.contains(&Effect::Host(HostEvent::Failed {
            order_id: Some(ID.into()),
            rfa: "RFA22".into(),
            hint_code: None,
            error_code: Some("identity_mismatch".into())
        })));
        assert_eq!(agent_text(&m.phase), Some(Text::AgentMismatch));
        let mut m = Machine::new(OrderKind::Auth, Flow::OtherDevice);
        started(&mut m);
        let effects = m.step(Input::State(OrderEvent::failed(
            ID,
            OrderKind::Auth,
            FailReason::Cancelled,
            1,
        )));
        assert!(effects.contains(&Effect::Host(HostEvent::Cancelled {
            order_id: ID.into()
        })));
        // An agent who looks up the order of a link they withdrew reads that, not a plain failure.
        let mut m = Machine::new(OrderKind::Auth, Flow::OtherDevice);
        started(&mut m);
        m.step(Input::State(OrderEvent::failed(
            ID,
            OrderKind::Auth,
            FailReason::LinkWithdrawn,
            1,
        )));
        assert_eq!(agent_text(&m.phase), Some(Text::LinkWithdrawn));
    }

    #[test]
    fn start_refusals_map_to_messages() {
        let refuse = |status, rfa| {
            let mut m = Machine::new(OrderKind::PhoneAuth, Flow::Phone);
            m.step(Input::Start);
            let effects = m.step(Input::Refused {
                status,
                code: "x".into(),
                rfa,
            });
            assert_eq!(effects.len(), 1, "only the host event: no stream was open");
            m
        };
        assert_eq!(
            agent_text(&refuse(401, None).phase),
            Some(Text::SessionMissing)
        );
        assert_eq!(
            agent_text(&refuse(409, Some(Rfa::Rfa4)).phase),
            Some(Text::AgentAlreadyInProgress)
        );
        assert_eq!(
            customer_message(&refuse(429, None).phase),
            Some(Message::Text(Text::TooManyRequests))
        );
        assert_eq!(
            customer_message(&refuse(503, None).phase),
            Some(Message::Rfa(Rfa::Rfa5))
        );
        assert_eq!(
            customer_message(&refuse(400, None).phase),
            Some(Message::Rfa(Rfa::Rfa22))
        );
        let mut m = Machine::new(OrderKind::Auth, Flow::OtherDevice);
        m.step(Input::Start);
        m.step(Input::Unreachable);
        assert_eq!(
            customer_message(&m.phase),
            Some(Message::Text(Text::Unreachable))
        );
    }

    #[test]
    fn a_lost_stream_takes_the_qr_code_down_until_a_fresh_frame_comes() {
        let mut m = Machine::new(OrderKind::Auth, Flow::OtherDevice);
        started(&mut m);
        m.step(qr_frame("bankid.a.4.x"));
        m.step(Input::StreamLost);
        assert!(
            matches!(
                &m.phase,
                Phase::Pending {
                    qr: None,
                    reconnecting: true,
                    ..
                }
            ),
            "a frozen frame would fail when scanned: {:?}",
            m.phase
        );
        m.step(Input::StreamOpened);
        assert!(matches!(&m.phase, Phase::Pending { qr: None, .. }));
        m.step(qr_frame("bankid.a.7.y"));
        assert!(matches!(&m.phase, Phase::Pending { qr: Some(q), .. } if q == "bankid.a.7.y"));
    }

    #[test]
    fn a_lost_stream_is_reopened_with_back_off_then_given_up() {
        let mut m = Machine::new(OrderKind::Auth, Flow::OtherDevice);
        assert_eq!(m.step(Input::StreamLost), vec![]);
        started(&mut m);
        let mut waits = Vec::new();
        for _ in 0..MAX_RECONNECTS {
            let effects = m.step(Input::StreamLost);
            assert!(matches!(
                m.phase,
                Phase::Pending {
                    reconnecting: true,
                    ..
                }
            ));
            match effects.as_slice() {
                [Effect::CloseStream, Effect::ReconnectIn(ms)] => waits.push(*ms),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(waits, vec![1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
        m.step(Input::StreamOpened);
        assert!(matches!(
            m.phase,
            Phase::Pending {
                reconnecting: false,
                ..
            }
        ));
        for _ in 0..MAX_RECONNECTS {
            m.step(Input::StreamLost);
        }
        assert!(
            matches!(m.phase, Phase::Pending { .. }),
            "the count starts again after a success"
        );
        m.step(Input::StreamLost);
        assert!(matches!(
            &m.phase,
            Phase::Failed(Failure {
                why: Why::Unreachable,
                ..
            })
        ));
    }

    #[test]
    fn a_reload_resumes_the_same_order_without_a_new_start() {
        let mut m = Machine::new(OrderKind::Auth, Flow::SameDevice(Device::Mobile));
        let order = Order {
            id: ID.into(),
            kind: OrderKind::Auth,
            token: None,
            auto_start_token: Some("ast".into()),
        };
        assert_eq!(
            m.step(Input::Resume(order.clone())),
            vec![Effect::OpenStream]
        );
        assert!(
            matches!(m.phase, Phase::Pending { rfa: Rfa::Rfa1, .. }),
            "{:?}",
            m.phase
        );
        m.step(Input::State(event("pending", Some("userSign"))));
        assert!(matches!(m.phase, Phase::Pending { rfa: Rfa::Rfa9, .. }));
        let mut phone = Machine::new(OrderKind::PhoneAuth, Flow::Phone);
        assert_eq!(
            phone.step(Input::Resume(order)),
            vec![],
            "another kind's order is not ours"
        );
    }

    #[test]
    fn user_cancel_and_start_failed_bring_guidance() {
        let mut m = Machine::new(OrderKind::Auth, Flow::OtherDevice);
        started(&mut m);
        m.step(Input::State(event("failed", Some("userCancel"))));
        assert_eq!(guidance(&m.phase, m.flow), Some(Guidance::UserCancelled));
        assert_eq!(customer_message(&m.phase), Some(Message::Rfa(Rfa::Rfa6)));
        let mut m = Machine::new(OrderKind::Auth, Flow::OtherDevice);
        started(&mut m);
        m.step(Input::State(event("failed", Some("startFailed"))));
        assert_eq!(
            guidance(&m.phase, m.flow),
            Some(Guidance::StartFailed {
                causes: &[Text::CauseOldApp, Text::CauseQrLate]
            })
        );
        assert_eq!(customer_message(&m.phase), Some(Message::Rfa(Rfa::Rfa17B)));
    }

    #[test]
    fn on_a_link_page_an_ended_order_or_a_refused_link_asks_for_a_new_link_not_a_retry() {
        for (hint, cancel_here) in [
            (Some("userCancel"), false),
            (Some("startFailed"), false),
            (Some("expiredTransaction"), false),
            (None, true),
        ] {
            let mut m = Machine::new(OrderKind::Auth, Flow::OtherDevice);
            started(&mut m);
            if cancel_here {
                m.step(Input::Cancel);
            } else {
                m.step(Input::State(event("failed", hint)));
            }
            assert_eq!(
                link_spent(&m.phase),
                Some(Text::LinkSpentAskNew),
                "{hint:?}"
            );
        }
        let refused = |status: u16, code: &str| link_spent(&refused_at_start(status, code).phase);
        assert_eq!(refused(410, "link_used"), Some(Text::LinkSpentAskNew));
        assert_eq!(refused(404, "link_unknown"), Some(Text::LinkSpentAskNew));
        assert_eq!(refused(410, "link_expired"), Some(Text::LinkExpiredAskNew));
        assert_eq!(
            refused(410, "link_withdrawn"),
            Some(Text::LinkWithdrawnAskNew)
        );
        // Withdrawn while its order ran: the order's end says so, and the customer is not told the link was
        // used up, nor offered a try that the edge would refuse.
        let mut m = Machine::new(OrderKind::Auth, Flow::OtherDevice);
        started(&mut m);
        let ended = OrderEvent::failed(ID, OrderKind::Auth, FailReason::LinkWithdrawn, 2);
        let effects = m.step(Input::State(ended));
        assert_eq!(link_spent(&m.phase), Some(Text::LinkWithdrawnAskNew));
        assert!(
            effects.iter().any(|e| matches!(e, Effect::Host(HostEvent::Failed { error_code: Some(c), .. }) if c == "link_withdrawn")),
            "{effects:?}"
        );
        // The link is untouched by these: trying again is the way on.
        assert_eq!(refused(429, "rate_limited"), None);
        assert_eq!(refused(503, "bankid_unavailable"), None);
        let mut m = Machine::new(OrderKind::Auth, Flow::OtherDevice);
        m.step(Input::Start);
        m.step(Input::Unreachable);
        assert_eq!(link_spent(&m.phase), None);
        // Nor is a running order: nothing is spent before the end.
        let mut m = Machine::new(OrderKind::Auth, Flow::OtherDevice);
        started(&mut m);
        assert_eq!(link_spent(&m.phase), None);
    }

    /// A link page's start the edge turned away with `code`, and no RFA of its own.
    fn refused_at_start(status: u16, code: &str) -> Machine {
        let mut m = Machine::new(OrderKind::Auth, Flow::OtherDevice);
        m.step(Input::Start);
        m.step(Input::Refused {
            status,
            code: code.into(),
            rfa: None,
        });
        m
    }

    #[test]
    fn a_link_that_ended_the_order_is_not_followed_by_bankids_try_again() {
        let unusable = Some(Message::Text(Text::LinkUnusable));
        for (status, code) in [
            (410, "link_used"),
            (404, "link_unknown"),
            (410, "link_expired"),
            (410, "link_withdrawn"),
        ] {
            let m = refused_at_start(status, code);
            assert_eq!(customer_message(&m.phase), unusable, "{code}");
        }
        // The sender withdrew it while the customer was at it: the edge's RFA3 says "try again".
        let mut m = Machine::new(OrderKind::Auth, Flow::OtherDevice);
        started(&mut m);
        m.step(Input::State(OrderEvent::failed(
            ID,
            OrderKind::Auth,
            FailReason::LinkWithdrawn,
            2,
        )));
        assert_eq!(customer_message(&m.phase), unusable);
        // BankID's own endings keep BankID's words, and other refusals keep theirs.
        let mut m = Machine::new(OrderKind::Auth, Flow::OtherDevice);
        started(&mut m);
        m.step(Input::State(event("failed", Some("userCancel"))));
        assert_eq!(customer_message(&m.phase), Some(Message::Rfa(Rfa::Rfa6)));
        let mut m = Machine::new(OrderKind::Auth, Flow::OtherDevice);
        m.step(Input::Start);
        m.step(Input::Refused {
            status: 503,
            code: "bankid_unavailable".into(),
            rfa: Some(Rfa::Rfa5),
        });
        assert_eq!(customer_message(&m.phase), Some(Message::Rfa(Rfa::Rfa5)));
    }

    #[test]
    fn agent_wording_covers_the_phone_flow() {
        let mut m = Machine::new(OrderKind::PhoneAuth, Flow::Phone);
        started(&mut m);
        assert_eq!(agent_text(&m.phase), Some(Text::AgentWaitingOpen));
        for (hint, want) in [
            ("userCallConfirm", Text::AgentConfirmCall),
            ("started", Text::AgentOpened),
            ("userSign", Text::AgentUserSign),
            ("somethingNew", Text::AgentInProgress),
        ] {
            m.step(Input::State(event("pending", Some(hint))));
            assert_eq!(agent_text(&m.phase), Some(want), "{hint}");
        }
        m.step(Input::State(event("failed", Some("userDeclinedCall"))));
        assert_eq!(agent_text(&m.phase), Some(Text::AgentDeclinedCall));
    }

    #[test]
    fn the_widget_reads_every_event_exactly_as_core_writes_it() {
        let mut complete = event("complete", None);
        complete.user = Some(EventUser {
            personal_number: Some("198112289874".into()),
            name: Some("Åsa Ørnulf Ämström-Lindé".into()),
            given_name: None,
            surname: Some("Ämström-Lindé".into()),
        });
        complete.result_token = Some("eyJ.x.y".into());
        let events = [
            OrderEvent::started(ID, OrderKind::Auth),
            OrderEvent::started(ID, OrderKind::PhoneSign),
            OrderEvent::failed(ID, OrderKind::Auth, FailReason::IdentityMismatch, 7),
            OrderEvent::failed(ID, OrderKind::Sign, FailReason::Cancelled, 0),
            event("failed", Some("startFailed")),
            complete,
        ];
        for e in events {
            let wire = serde_json::to_string(&e).unwrap_or_default();
            assert_eq!(parse_state(&wire), Some(e), "{wire}");
        }
    }

    #[test]
    fn state_payloads_parse_leniently() {
        let e = parse_state(
            r#"{"orderId":"ab","kind":"auth","status":"pending","hintCode":"noClient","rfa":"RFA1","collects":2,"new":true}"#,
        );
        assert_eq!(e.map(|e| e.hint_code), Some(Some("noClient".to_owned())));
        let c = parse_state(r#"{"orderId":"ab","kind":"auth","status":"cancelled","collects":2}"#);
        assert_eq!(c.as_ref().map(|e| e.status), Some(OrderStatus::Failed));
        assert_eq!(c.and_then(|e| e.error_code).as_deref(), Some("cancelled"));
        assert_eq!(parse_state("{"), None);
        assert_eq!(
            parse_state(r#"{"orderId":"ab","kind":"auth","status":"odd","collects":2}"#),
            None
        );
        assert_eq!(
            parse_qr(r#"{"qr":"bankid.a.1.b"}"#)
                .map(|f| f.qr)
                .as_deref(),
            Some("bankid.a.1.b")
        );
    }

    #[test]
    fn reset_goes_back_to_the_start_screen() {
        let mut m = Machine::new(OrderKind::Auth, Flow::OtherDevice);
        started(&mut m);
        assert_eq!(
            m.step(Input::Reset),
            vec![Effect::CloseStream, Effect::Forget]
        );
        assert_eq!(m.phase, Phase::Idle);
        m.set_flow(Flow::SameDevice(Device::Mobile));
        assert_eq!(m.flow, Flow::SameDevice(Device::Mobile));
        assert_eq!(backoff_ms(0), 1_000);
    }
}
