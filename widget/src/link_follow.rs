//! Follows a sent verification link live: the edge's `event: link` stream, reopened with back-off when it
//! drops, closed once the link is final. [`Following`] holds the rules (pure, tested natively and in
//! Chromium); [`follow`] runs them in the browser.

use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{LinkView, Stream, StreamEvent};
use crate::app::Ctx;
use crate::flow::{MAX_RECONNECTS, backoff_ms};

/// A sent link as the agent sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Following {
    pub reference: String,
    pub expires_at: Option<String>,
    /// What opens the link's stream ([`crate::api::LinkCreated::stream_token`]).
    pub stream_token: String,
    /// The latest view; `None` until the stream's first one arrives.
    pub view: Option<LinkView>,
    /// Drops since the stream last opened.
    pub lost: u32,
    /// The stream could not be reopened: the agent may try again by hand.
    pub gave_up: bool,
}

/// What the browser does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Nothing,
    Close,
    ReconnectIn(u32),
}

impl Following {
    pub fn new(reference: String, expires_at: Option<String>, stream_token: String) -> Following {
        Following {
            reference,
            expires_at,
            stream_token,
            view: None,
            lost: 0,
            gave_up: false,
        }
    }

    pub fn is_final(&self) -> bool {
        self.view.as_ref().is_some_and(LinkView::is_final)
    }

    pub fn opened(&mut self) {
        self.lost = 0;
        self.gave_up = false;
    }

    /// A view from the stream; another link's is ignored. A final one ends the stream: nothing more comes.
    pub fn viewed(&mut self, view: LinkView) -> Next {
        if view.reference != self.reference {
            return Next::Nothing;
        }
        self.lost = 0;
        let last = view.is_final();
        self.view = Some(view);
        if last { Next::Close } else { Next::Nothing }
    }

    /// The stream dropped. The edge ends it after a final view, so a drop then is the end, not a fault;
    /// otherwise reopen after 1, 2, 4, 8 s … and give up after [`MAX_RECONNECTS`] tries in a row.
    pub fn dropped(&mut self) -> Next {
        if self.is_final() {
            return Next::Close;
        }
        self.lost += 1;
        if self.lost > MAX_RECONNECTS {
            self.gave_up = true;
            return Next::Close;
        }
        Next::ReconnectIn(backoff_ms(self.lost))
    }

    /// The agent asks to follow again after the widget gave up.
    pub fn retry(&mut self) {
        self.lost = 0;
        self.gave_up = false;
    }
}

/// Follows `state`'s link until it is final, the agent moves on (`state` no longer holds that link) or the
/// component goes away (`stream` is dropped with it).
pub fn follow(
    ctx: Ctx,
    state: RwSignal<Option<Following>>,
    stream: StoredValue<Option<Stream>, LocalStorage>,
) {
    let Some((reference, token)) = state.with_untracked(|s| {
        s.as_ref()
            .map(|f| (f.reference.clone(), f.stream_token.clone()))
    }) else {
        return;
    };
    let url = ctx
        .api
        .with_value(|api| api.link_events_url(&reference, &token));
    let ours = reference.clone();
    let opened = Stream::open(&url, move |event| {
        let reference = ours.clone();
        // Out of the EventSource callback: what follows may drop this very stream.
        spawn_local(async move {
            let next = state
                .try_update(|s| match s {
                    Some(f) if f.reference == reference => match event {
                        StreamEvent::Opened => {
                            f.opened();
                            Next::Nothing
                        }
                        StreamEvent::Link(data) => match LinkView::parse(&data) {
                            Some(view) => f.viewed(view),
                            None => Next::Nothing,
                        },
                        StreamEvent::Lost => f.dropped(),
                        StreamEvent::State(_) | StreamEvent::Qr(_) => Next::Nothing,
                    },
                    _ => Next::Close,
                })
                .unwrap_or(Next::Close);
            match next {
                Next::Nothing => {}
                Next::Close => {
                    stream.try_set_value(None);
                }
                Next::ReconnectIn(ms) => {
                    // The browser would retry on its own, but not after an HTTP error: we decide.
                    stream.try_set_value(None);
                    TimeoutFuture::new(ms).await;
                    let still = state
                        .try_with_untracked(|s| {
                            s.as_ref()
                                .is_some_and(|f| f.reference == reference && !f.gave_up)
                        })
                        .unwrap_or(false);
                    if still {
                        follow(ctx, state, stream);
                    }
                }
            }
        });
    });
    if opened.is_none() {
        // The browser refused to open it (it only does for a malformed URL): say so rather than wait forever.
        state.try_update(|s| {
            if let Some(f) = s.as_mut().filter(|f| f.reference == reference) {
                f.gave_up = true;
            }
        });
    }
    stream.try_set_value(opened);
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn view(reference: &str, status: &str) -> LinkView {
        LinkView {
            reference: reference.into(),
            status: status.into(),
            to: None,
            expires_at: None,
            rfa: None,
            user: None,
        }
    }

    #[test]
    fn the_stream_is_kept_until_the_link_is_final_and_then_closed() {
        let mut f = Following::new("K7QX-M4TR".into(), None, "ls1.acme.x".into());
        assert_eq!(f.viewed(view("K7QX-M4TR", "pending")), Next::Nothing);
        assert_eq!(f.viewed(view("K7QX-M4TR", "opened")), Next::Nothing);
        assert!(!f.is_final());
        assert_eq!(f.viewed(view("K7QX-M4TR", "complete")), Next::Close);
        assert!(f.is_final());
        // The edge ends the stream after the final view: that drop is not a fault to retry.
        assert_eq!(f.dropped(), Next::Close);
        assert!(!f.gave_up);
        for last in ["failed", "expired"] {
            let mut f = Following::new("K7QX-M4TR".into(), None, "ls1.acme.x".into());
            assert_eq!(f.viewed(view("K7QX-M4TR", last)), Next::Close, "{last}");
        }
    }

    #[test]
    fn another_links_view_changes_nothing() {
        let mut f = Following::new("K7QX-M4TR".into(), None, "ls1.acme.x".into());
        assert_eq!(f.viewed(view("ABCD-EFGH", "complete")), Next::Nothing);
        assert_eq!(f.view, None);
    }

    #[test]
    fn drops_reconnect_with_back_off_then_give_up_and_a_retry_starts_afresh() {
        let mut f = Following::new("K7QX-M4TR".into(), None, "ls1.acme.x".into());
        let waits: Vec<Next> = (0..MAX_RECONNECTS).map(|_| f.dropped()).collect();
        assert_eq!(
            waits,
            [1_000, 2_000, 4_000, 8_000, 8_000, 8_000].map(Next::ReconnectIn)
        );
        assert!(!f.gave_up);
        assert_eq!(f.dropped(), Next::Close);
        assert!(f.gave_up);
        f.retry();
        assert_eq!(f.dropped(), Next::ReconnectIn(1_000));
        // An open stream, or a view through it, resets the count.
        f.dropped();
        f.opened();
        assert_eq!(f.dropped(), Next::ReconnectIn(1_000));
        f.viewed(view("K7QX-M4TR", "opened"));
        assert_eq!(f.dropped(), Next::ReconnectIn(1_000));
    }
}
