//! Telling the embedding page what happened: `legit:started`, `legit:complete` (with the result token),
//! `legit:failed`, `legit:cancelled`. As DOM `CustomEvent`s on `<legit-bankid>` (bubbling, composed, so they
//! leave the shadow root), or as `postMessage` to the allowed parent origin from the `/embed` iframe.

use crate::json::Object;

/// One event for the host page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostEvent {
    Started {
        order_id: String,
    },
    Complete {
        order_id: String,
        result_token: Option<String>,
    },
    Failed {
        order_id: Option<String>,
        rfa: String,
        hint_code: Option<String>,
        error_code: Option<String>,
    },
    Cancelled {
        order_id: String,
    },
}

impl HostEvent {
    /// The DOM event's type and the message's `type`.
    pub fn name(&self) -> &'static str {
        match self {
            HostEvent::Started { .. } => "legit:started",
            HostEvent::Complete { .. } => "legit:complete",
            HostEvent::Failed { .. } => "legit:failed",
            HostEvent::Cancelled { .. } => "legit:cancelled",
        }
    }

    /// The event's `detail` as JSON: camelCase, absent fields left out. No personal data: the host gets the
    /// signed result token and verifies it on its server.
    pub fn detail(&self) -> String {
        self.members(Object::new()).finish()
    }

    /// The `postMessage` payload: the detail with `type` first.
    pub fn message(&self) -> String {
        self.members(Object::new().str("type", self.name()))
            .finish()
    }

    fn members(&self, o: Object) -> Object {
        match self {
            HostEvent::Started { order_id } | HostEvent::Cancelled { order_id } => {
                o.str("orderId", order_id)
            }
            HostEvent::Complete {
                order_id,
                result_token,
            } => o
                .str("orderId", order_id)
                .opt("resultToken", result_token.as_deref()),
            HostEvent::Failed {
                order_id,
                rfa,
                hint_code,
                error_code,
            } => o
                .opt("orderId", order_id.as_deref())
                .str("rfa", rfa)
                .opt("hintCode", hint_code.as_deref())
                .opt("errorCode", error_code.as_deref()),
        }
    }
}

/// Where host events go.
#[derive(Clone)]
pub enum Host {
    /// Nowhere (tests, or an iframe whose parent the tenant does not allow).
    None,
    /// `<legit-bankid>`: events dispatched on the element.
    Element(web_sys::HtmlElement),
    /// `/embed` in an iframe: `postMessage` to exactly this origin.
    Parent(String),
}

impl Host {
    pub fn emit(&self, event: &HostEvent) {
        match self {
            Host::None => {}
            Host::Element(element) => {
                let detail = to_js(&event.detail());
                let init = web_sys::CustomEventInit::new();
                init.set_bubbles(true);
                init.set_composed(true);
                init.set_detail(&detail);
                if let Ok(e) = web_sys::CustomEvent::new_with_event_init_dict(event.name(), &init) {
                    let _ = element.dispatch_event(&e);
                }
            }
            Host::Parent(origin) => {
                let parent = web_sys::window().and_then(|w| w.parent().ok().flatten());
                if let Some(parent) = parent {
                    let _ = parent.post_message(&to_js(&event.message()), origin);
                }
            }
        }
    }
}

/// JSON text as a plain JS object.
fn to_js(json: &str) -> wasm_bindgen::JsValue {
    js_sys::JSON::parse(json).unwrap_or(wasm_bindgen::JsValue::NULL)
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same tests run natively and, under `cargo xtask test`, in Chromium.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn details_carry_ids_and_codes_never_nulls() {
        let complete = HostEvent::Complete {
            order_id: "ab".into(),
            result_token: Some("eyJ.x.y".into()),
        };
        assert_eq!(complete.name(), "legit:complete");
        assert_eq!(
            complete.message(),
            r#"{"type":"legit:complete","orderId":"ab","resultToken":"eyJ.x.y"}"#
        );
        let failed = HostEvent::Failed {
            order_id: None,
            rfa: "RFA5".into(),
            hint_code: None,
            error_code: Some("bankid_unavailable".into()),
        };
        assert_eq!(
            failed.detail(),
            r#"{"rfa":"RFA5","errorCode":"bankid_unavailable"}"#
        );
        assert_eq!(
            HostEvent::Cancelled {
                order_id: "c".into()
            }
            .message(),
            r#"{"type":"legit:cancelled","orderId":"c"}"#
        );
        assert_eq!(
            HostEvent::Started {
                order_id: "s".into()
            }
            .name(),
            "legit:started"
        );
    }
}
