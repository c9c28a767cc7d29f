//! Server-sent events framing. Pure functions, so the wire format is tested natively.

use legit_core::api::{OrderEvent, QrFrame};
use legit_core::links_api::LinkView;

/// `event: state` with the order's state as one line of JSON.
pub fn state_frame(event: &OrderEvent) -> Vec<u8> {
    frame("state", &serde_json::to_string(event).unwrap_or_default())
}

/// `event: qr` with the QR content for this second.
pub fn qr_frame(qr: String) -> Vec<u8> {
    frame(
        "qr",
        &serde_json::to_string(&QrFrame { qr }).unwrap_or_default(),
    )
}

/// `event: link` with a verification link's view (the agent's stream of `/api/v1/links/{reference}`).
pub fn link_frame(view: &LinkView) -> Vec<u8> {
    frame("link", &serde_json::to_string(view).unwrap_or_default())
}

/// A comment line: keeps an idle stream from being cut by proxies, ignored by `EventSource`.
pub fn keep_alive() -> Vec<u8> {
    b": keep-alive\n\n".to_vec()
}

/// serde_json escapes newlines inside strings, so `data` is always a single line and needs no splitting.
fn frame(name: &str, data: &str) -> Vec<u8> {
    format!("event: {name}\ndata: {data}\n\n").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use legit_core::api::OrderKind;

    #[test]
    fn a_state_frame_is_one_event_with_one_data_line() {
        let e = OrderEvent::started("0123456789abcdef0123456789abcdef", OrderKind::Auth);
        let text = String::from_utf8(state_frame(&e)).unwrap();
        assert!(text.starts_with("event: state\ndata: {\"orderId\""));
        assert!(text.ends_with("}\n\n"));
        assert_eq!(text.matches('\n').count(), 3, "two lines and the blank one");
    }

    #[test]
    fn a_qr_frame_carries_the_payload_as_json() {
        let text = String::from_utf8(qr_frame("bankid.t.0.abc".into())).unwrap();
        assert_eq!(text, "event: qr\ndata: {\"qr\":\"bankid.t.0.abc\"}\n\n");
    }
}
