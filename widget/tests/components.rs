//! The widget's components in a real browser (`cargo xtask test` runs these in headless Chromium): each test
//! mounts the widget into a scratch node, drives it as a person would, and reads the HTML.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;

use gloo_timers::future::TimeoutFuture;
use legit_core::rfa::Device;
use legit_widget::config::{EmbedConfig, Mode, Params};
use legit_widget::host::{Host, HostEvent};
use legit_widget::launch::{IosBrowser, Platform};
use legit_widget::{Mounted, Settings, mount};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

thread_local! {
    static OPENED: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

fn record_open(url: &str) {
    OPENED.with(|o| o.borrow_mut().push(url.to_owned()));
}

fn opened() -> Vec<String> {
    OPENED.with(|o| o.borrow().clone())
}

const DESKTOP: Platform = Platform {
    device: Device::Desktop,
    in_app: false,
    ios: None,
};

fn params(query: &str) -> Params {
    Params::from_query(query)
}

fn settings(query: &str, platform: Platform) -> Settings {
    Settings {
        params: params(query),
        config: EmbedConfig::default(),
        // Port 9 is one browsers refuse outright: every API call fails at once, as with no network.
        api_base: "http://127.0.0.1:9".into(),
        host: Host::None,
        platform,
        in_iframe: false,
        browser_langs: vec![],
        open_app: record_open,
    }
}

struct Mounted2 {
    node: HtmlElement,
    _widget: Mounted,
}

impl Mounted2 {
    fn html(&self) -> String {
        self.node.inner_html()
    }

    fn text(&self) -> String {
        self.node.text_content().unwrap_or_default()
    }

    fn find(&self, css: &str) -> Option<Element> {
        self.node.query_selector(css).ok().flatten()
    }

    fn all(&self, css: &str) -> Vec<Element> {
        let list = self.node.query_selector_all(css).expect("selector");
        (0..list.length())
            .filter_map(|i| list.item(i))
            .filter_map(|n| n.dyn_into::<Element>().ok())
            .collect()
    }

    /// The first button (or link styled as one) whose text contains `label`.
    fn button(&self, label: &str) -> HtmlElement {
        self.all("button, a")
            .into_iter()
            .find(|b| b.text_content().unwrap_or_default().contains(label))
            .unwrap_or_else(|| panic!("no button {label:?} in {}", self.html()))
            .unchecked_into()
    }

    /// Leaves the field, as a click elsewhere in the host page does.
    fn leave(&self, css: &str) {
        let input = self.find(css).expect("input");
        let event = web_sys::Event::new("blur").expect("event");
        input.dispatch_event(&event).expect("dispatch");
    }

    fn type_into(&self, css: &str, value: &str) {
        let input: HtmlInputElement = self.find(css).expect("input").unchecked_into();
        input.set_value(value);
        let init = web_sys::EventInit::new();
        init.set_bubbles(true);
        let event = web_sys::Event::new_with_event_init_dict("input", &init).expect("event");
        input.dispatch_event(&event).expect("dispatch");
    }
}

/// The element that has the keyboard focus.
fn focused() -> Option<Element> {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element())
}

/// A node in the page, with the widget's stylesheet loaded once (layout assertions need it).
fn new_node() -> HtmlElement {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .expect("document");
    if document.get_element_by_id("legit-test-css").is_none() {
        let style = document.create_element("style").expect("style");
        style.set_id("legit-test-css");
        style.set_text_content(Some(include_str!("../static/legit.css")));
        document
            .head()
            .expect("head")
            .append_child(&style)
            .expect("append");
    }
    let node: HtmlElement = document
        .create_element("div")
        .expect("div")
        .unchecked_into();
    document
        .body()
        .expect("body")
        .append_child(&node)
        .expect("append");
    node
}

fn scratch(settings: Settings) -> Mounted2 {
    let node = new_node();
    let widget = mount(node.clone(), settings);
    Mounted2 {
        node,
        _widget: widget,
    }
}

async fn tick() {
    TimeoutFuture::new(20).await;
}

#[wasm_bindgen_test]
async fn customers_on_a_computer_are_asked_rfa19_with_qr_first() {
    let w = scratch(settings("tenant=acme&lang=sv", DESKTOP));
    tick().await;
    let text = w.text();
    assert!(
        text.contains("Vill du använda BankID på den här datorn eller ett Mobilt BankID?"),
        "{text}"
    );
    let primary = w.find(".actions .btn.primary").expect("primary button");
    assert_eq!(primary.text_content().as_deref(), Some("Mobilt BankID"));
    assert!(text.contains("support.bankid.com"));
    assert!(w.find("a[href='https://support.bankid.com']").is_some());
}

#[wasm_bindgen_test]
async fn phones_are_asked_rfa20_with_this_device_first() {
    let phone = Platform {
        device: Device::Mobile,
        in_app: false,
        ios: None,
    };
    let w = scratch(settings("tenant=acme&lang=en", phone));
    tick().await;
    assert!(
        w.text()
            .contains("Do you want to use BankID on this device or another device?")
    );
    let primary = w.find(".actions .btn.primary").expect("primary button");
    assert_eq!(
        primary.text_content().as_deref(),
        Some("BankID on this device")
    );
}

#[wasm_bindgen_test]
async fn without_a_tenant_the_widget_says_so() {
    let w = scratch(settings("lang=en", DESKTOP));
    tick().await;
    assert!(w.find("[role=alert]").is_some());
    assert!(w.text().contains("missing its settings"), "{}", w.text());
}

#[wasm_bindgen_test]
async fn an_unreachable_edge_is_a_failure_with_retry_focused() {
    let w = scratch(settings("tenant=acme&lang=en", DESKTOP));
    tick().await;
    w.button("Mobile BankID").click();
    for _ in 0..50 {
        tick().await;
        if w.text().contains("cannot be reached") {
            break;
        }
    }
    let status = w.find("[role=status]").expect("status");
    assert!(
        status
            .text_content()
            .unwrap_or_default()
            .contains("cannot be reached"),
        "{}",
        w.html()
    );
    let retry = w.button("Try again");
    tick().await;
    assert_eq!(
        focused().as_ref(),
        Some(retry.unchecked_ref::<Element>()),
        "focus moves to retry"
    );
}

#[wasm_bindgen_test]
async fn the_language_switch_changes_every_text() {
    let w = scratch(settings("tenant=acme&lang=sv", DESKTOP));
    tick().await;
    assert!(w.text().contains("Legitimera dig med BankID"));
    w.button("Norsk").click();
    tick().await;
    assert!(
        w.text().contains("Identifiser deg med BankID"),
        "{}",
        w.text()
    );
    assert!(
        w.text()
            .contains("Vil du bruke BankID på denne datamaskinen eller Mobilt BankID?")
    );
    assert_eq!(
        w.find(".legit")
            .and_then(|e| e.get_attribute("lang"))
            .as_deref(),
        Some("nb")
    );
}

#[wasm_bindgen_test]
async fn the_agent_sees_the_personal_number_checked_as_typed_and_normalised() {
    let w = scratch(settings(
        "tenant=acme&mode=agent&lang=en&session=s",
        DESKTOP,
    ));
    tick().await;
    w.type_into("#legit-pnr", "811228-9874");
    tick().await;
    let note = w.find("#legit-pnr-hint").expect("note");
    assert_eq!(
        note.text_content().as_deref(),
        Some("Will be sent as 198112289874")
    );
    w.type_into("#legit-pnr", "811228-9875");
    tick().await;
    assert!(
        note.text_content()
            .unwrap_or_default()
            .contains("check digit"),
        "{}",
        w.html()
    );
    let input = w.find("#legit-pnr").expect("input");
    assert_eq!(input.get_attribute("aria-invalid").as_deref(), Some("true"));
    w.type_into("#legit-pnr", "8112");
    tick().await;
    assert_eq!(
        input.get_attribute("aria-invalid").as_deref(),
        Some("false"),
        "no error while the number is still being typed"
    );
    let identify = w.button("Identify the customer");
    identify.focus().expect("focus");
    identify.click();
    tick().await;
    assert_eq!(input.get_attribute("aria-invalid").as_deref(), Some("true"));
    assert_eq!(
        focused().map(|e| e.id()).as_deref(),
        Some("legit-pnr"),
        "an incomplete number sends focus back to it"
    );
}

/// An agent clicks about the CRM all day: leaving one of the console's fields empty is no mistake, but
/// leaving it half typed is, and pressing the button with it empty is.
#[wasm_bindgen_test]
async fn leaving_an_empty_field_shows_no_error_leaving_a_half_typed_one_does() {
    let w = scratch(settings(
        "tenant=acme&mode=agent&lang=en&session=s",
        DESKTOP,
    ));
    tick().await;
    let invalid = |css: &str| {
        w.find(css)
            .and_then(|e| e.get_attribute("aria-invalid"))
            .unwrap_or_default()
    };
    for (tab, field, half) in [
        (None, "#legit-pnr", "8112"),
        (Some("Send link"), "#legit-to", "070 12"),
        (Some("Look up"), "#legit-reference", "K7QX"),
    ] {
        if let Some(tab) = tab {
            w.button(tab).click();
            tick().await;
        }
        w.leave(field);
        tick().await;
        assert_eq!(invalid(field), "false", "{field} left empty");
        w.type_into(field, half);
        w.leave(field);
        tick().await;
        assert_eq!(invalid(field), "true", "{field} left half typed");
    }
    w.button("Identify").click();
    tick().await;
    w.type_into("#legit-pnr", "");
    w.leave("#legit-pnr");
    w.button("Identify the customer").click();
    tick().await;
    assert_eq!(invalid("#legit-pnr"), "true", "pressed with it empty");
}

#[wasm_bindgen_test]
async fn the_agent_must_say_who_called() {
    let w = scratch(settings(
        "tenant=acme&mode=agent&lang=en&session=s",
        DESKTOP,
    ));
    tick().await;
    w.type_into("#legit-pnr", "19811228-9874");
    w.button("Identify the customer").click();
    tick().await;
    assert!(w.text().contains("Choose who called"), "{}", w.text());
    assert!(
        w.find("#legit-pnr").is_some(),
        "still on the form: nothing was sent"
    );
    // The question is where focus goes, and it names its error to a screen reader.
    let active = focused().expect("focus");
    assert_eq!(
        active.get_attribute("name").as_deref(),
        Some("legit-call-initiator")
    );
    let group = w.find(".choices").expect("fieldset");
    assert_eq!(
        group.get_attribute("aria-describedby").as_deref(),
        Some("legit-who-error")
    );
    assert!(
        w.find("#legit-who-error")
            .and_then(|e| e.text_content())
            .unwrap_or_default()
            .contains("Choose who called")
    );
}

#[wasm_bindgen_test]
async fn a_softphone_number_lands_on_send_link_prefilled_and_normalised() {
    let w = scratch(settings(
        "tenant=acme&mode=agent&lang=en&mobnr=070-123%2045%2067",
        DESKTOP,
    ));
    tick().await;
    let selected = w
        .find("[role=tab][aria-selected=true]")
        .expect("a selected tab");
    assert_eq!(selected.text_content().as_deref(), Some("Send link"));
    let input: HtmlInputElement = w.find("#legit-to").expect("input").unchecked_into();
    assert_eq!(input.value(), "070-123 45 67");
    assert_eq!(
        w.find("#legit-to-note")
            .and_then(|n| n.text_content())
            .as_deref(),
        Some("Will be sent as +46701234567")
    );
    // Switch to e-mail.
    let email: HtmlElement = w.all(".send-link input[type=radio]")[1]
        .clone()
        .unchecked_into();
    email.click();
    tick().await;
    assert_eq!(input.get_attribute("type").as_deref(), Some("email"));
    w.type_into("#legit-to", "Anna@Example.SE");
    tick().await;
    assert_eq!(
        w.find("#legit-to-note")
            .and_then(|n| n.text_content())
            .as_deref(),
        Some("Will be sent as Anna@example.se")
    );
}

#[wasm_bindgen_test]
async fn tabs_keep_their_panels_mounted() {
    let w = scratch(settings("tenant=acme&mode=agent&lang=en", DESKTOP));
    tick().await;
    w.type_into("#legit-pnr", "811228-9874");
    w.button("Look up").click();
    tick().await;
    let identify = w.find("#legit-panel-identify").expect("panel");
    assert!(identify.has_attribute("hidden"));
    w.button("Identify").click();
    tick().await;
    let input: HtmlInputElement = w.find("#legit-pnr").expect("input").unchecked_into();
    assert_eq!(
        input.value(),
        "811228-9874",
        "what was typed survives a tab switch"
    );
}

#[wasm_bindgen_test]
async fn a_mistyped_reference_is_explained_without_asking_the_edge() {
    let w = scratch(settings("tenant=acme&mode=agent&lang=en", DESKTOP));
    tick().await;
    w.button("Look up").click();
    let form: web_sys::HtmlFormElement = w.find(".lookup form").expect("form").unchecked_into();
    let field = || w.find("#legit-reference").expect("field");
    // A character no reference has is named at once; a short one only when asked for.
    w.type_into("#legit-reference", "K7QX-M4T0");
    tick().await;
    assert!(
        w.text().contains("never contain 0, 1, I, L, O or U"),
        "{}",
        w.text()
    );
    assert_eq!(
        field().get_attribute("aria-invalid").as_deref(),
        Some("true")
    );
    w.type_into("#legit-reference", "K7QX-M4T");
    tick().await;
    assert!(
        w.text().contains("8 characters, for example"),
        "{}",
        w.text()
    );
    assert_eq!(
        field().get_attribute("aria-invalid").as_deref(),
        Some("false")
    );
    form.request_submit().expect("submit");
    tick().await;
    assert!(
        w.text().contains("A reference number has 8 characters"),
        "{}",
        w.text()
    );
    assert_eq!(
        field().get_attribute("aria-invalid").as_deref(),
        Some("true")
    );
    assert_eq!(
        focused().map(|e| e.id()).as_deref(),
        Some("legit-reference"),
        "focus went back to the field whose error it is"
    );
    let found = w.find(".lookup [role=status]").expect("status");
    assert_eq!(
        found.text_content().unwrap_or_default(),
        "",
        "nothing was looked up"
    );
}

#[wasm_bindgen_test]
async fn sending_a_link_to_an_edge_without_the_links_api_never_pretends_success() {
    let w = scratch(settings(
        "tenant=acme&mode=agent&lang=en&mobnr=0701234567",
        DESKTOP,
    ));
    tick().await;
    w.button("Send link").click();
    let form: web_sys::HtmlFormElement = w.find(".send-link form").expect("form").unchecked_into();
    form.request_submit().expect("submit");
    for _ in 0..50 {
        tick().await;
        if w.find(".send-link .notice").is_some() {
            break;
        }
    }
    assert!(!w.text().contains("The link has been sent"));
    assert!(w.text().contains("cannot be reached"), "{}", w.text());
}

#[wasm_bindgen_test]
fn host_events_bubble_out_of_the_element_with_their_detail() {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .expect("document");
    let outer = document.create_element("div").expect("div");
    let element: HtmlElement = document
        .create_element("legit-test")
        .expect("el")
        .unchecked_into();
    outer.append_child(&element).expect("append");
    let seen = std::rc::Rc::new(RefCell::new(None::<(String, String)>));
    let sink = seen.clone();
    let listener =
        Closure::<dyn FnMut(web_sys::CustomEvent)>::new(move |e: web_sys::CustomEvent| {
            let detail = js_sys::JSON::stringify(&e.detail())
                .map(String::from)
                .unwrap_or_default();
            *sink.borrow_mut() = Some((e.type_(), detail));
        });
    outer
        .add_event_listener_with_callback("legit:complete", listener.as_ref().unchecked_ref())
        .expect("listen");
    Host::Element(element).emit(&HostEvent::Complete {
        order_id: "ab".into(),
        result_token: Some("eyJ.x.y".into()),
    });
    assert_eq!(
        seen.borrow().clone(),
        Some((
            "legit:complete".to_owned(),
            r#"{"orderId":"ab","resultToken":"eyJ.x.y"}"#.to_owned()
        ))
    );
}

mod launch_button {
    use super::*;
    use legit_core::api::OrderKind;
    use legit_core::rfa::Flow;
    use legit_widget::Ctx;
    use legit_widget::components::launch_button::LaunchButton;
    use legit_widget::order::Runner;
    use leptos::prelude::*;

    fn mount_button(platform: Platform, in_iframe: bool, token: &'static str) -> Mounted2 {
        mount_button_while(platform, in_iframe, token, RwSignal::new(true))
    }

    /// `app_not_opened` stands for the order's hint: true until the app picks the order up.
    fn mount_button_while(
        platform: Platform,
        in_iframe: bool,
        token: &'static str,
        app_not_opened: RwSignal<bool>,
    ) -> Mounted2 {
        let node = new_node();
        node.set_class_name("legit");
        let mut s = settings("tenant=acme&lang=en", platform);
        s.in_iframe = in_iframe;
        let handle = leptos::mount::mount_to(node.clone(), move || {
            let ctx = Ctx::new(s);
            let runner = Runner::new(ctx, OrderKind::Auth, Flow::SameDevice(platform.device));
            let app_not_opened = Memo::new(move |_| app_not_opened.get());
            view! {
                <LaunchButton ctx=ctx runner=runner token=token.to_owned() app_not_opened=app_not_opened />
            }
            .into_any()
        });
        Mounted2 {
            node,
            _widget: legit_widget::Mounted::from(handle),
        }
    }

    #[wasm_bindgen_test]
    async fn the_button_goes_once_the_app_has_the_order_and_nothing_moves() {
        let phone = Platform {
            device: Device::Mobile,
            in_app: false,
            ios: None,
        };
        let waiting = RwSignal::new(true);
        let w = mount_button_while(
            phone,
            false,
            "99999999-2222-4333-8444-555555555555",
            waiting,
        );
        tick().await;
        assert!(
            w.find("a.btn").is_some(),
            "the button while the app has not opened"
        );
        let height = w
            .find(".launch-slot")
            .map(|s| s.get_bounding_client_rect().height());
        waiting.set(false);
        tick().await;
        assert!(
            w.find("a.btn").is_none(),
            "no button once the app has the order"
        );
        assert_eq!(
            w.find(".launch-slot")
                .map(|s| s.get_bounding_client_rect().height()),
            height,
            "the slot kept its height"
        );
    }

    #[wasm_bindgen_test]
    async fn ios_safari_comes_back_by_the_orders_return_url_and_ios_chrome_by_its_scheme_even_from_a_frame()
     {
        let safari = Platform {
            device: Device::Mobile,
            in_app: false,
            ios: Some(IosBrowser::Safari),
        };
        let token = "aaaaaaaa-2222-4333-8444-555555555555";
        for in_iframe in [false, true] {
            let w = mount_button(safari, in_iframe, token);
            tick().await;
            let href = w.find("a.btn").and_then(|a| a.get_attribute("href"));
            assert_eq!(
                href,
                Some(format!(
                    "https://app.bankid.com/?autostarttoken={token}&redirect=null"
                )),
                "BANKID.md §7: the order carries returnUrl, so the launch URL says redirect=null (framed: {in_iframe})"
            );
        }
        let chrome = Platform {
            ios: Some(IosBrowser::Chrome),
            ..safari
        };
        let framed = mount_button(chrome, true, token);
        tick().await;
        let href = framed.find("a.btn").and_then(|a| a.get_attribute("href"));
        assert_eq!(
            href,
            Some(format!(
                "https://app.bankid.com/?autostarttoken={token}&redirect=googlechrome%3A%2F%2F"
            )),
            "Chrome's scheme brings back the tab the user left"
        );
    }

    #[wasm_bindgen_test]
    async fn on_a_computer_the_app_is_tried_and_the_button_shows_after_five_seconds_not_earlier() {
        let token = "11111111-2222-4333-8444-555555555555";
        let w = mount_button(DESKTOP, false, token);
        tick().await;
        let url = format!("bankid:///?autostarttoken={token}&redirect=null");
        assert_eq!(
            opened(),
            vec![url.clone()],
            "the app is tried once, at once"
        );
        let slot_height = w
            .find(".launch-slot")
            .map(|s| s.get_bounding_client_rect().height());
        assert!(
            slot_height > Some(40.0),
            "{slot_height:?} {}",
            w.node.outer_html()
        );
        TimeoutFuture::new(4_400).await;
        assert!(w.find("a.btn").is_none(), "no button at 4.5 s");
        TimeoutFuture::new(1_000).await;
        let button = w.find("a.btn").expect("the button at 5.5 s");
        assert_eq!(button.get_attribute("href"), Some(url), "same token");
        assert_eq!(button.get_attribute("target").as_deref(), Some("_top"));
        assert_eq!(
            w.find(".launch-slot")
                .map(|s| s.get_bounding_client_rect().height()),
            slot_height,
            "the slot kept its height: nothing moved"
        );
    }

    #[wasm_bindgen_test]
    async fn coming_back_with_a_used_token_never_starts_the_app_again() {
        let token = "66666666-2222-4333-8444-555555555555";
        legit_widget::order::mark_token_used(token);
        let before = opened().len();
        let w = mount_button(DESKTOP, false, token);
        tick().await;
        assert_eq!(opened().len(), before, "not opened by itself");
        assert!(w.find("a.btn").is_some(), "the button at once");
    }

    #[wasm_bindgen_test]
    async fn phones_and_iframes_get_the_button_at_once_and_nothing_opens_by_itself() {
        let before = opened().len();
        let phone = Platform {
            device: Device::Mobile,
            in_app: true,
            ios: None,
        };
        let w = mount_button(phone, false, "77777777-2222-4333-8444-555555555555");
        tick().await;
        let href = w
            .find("a.btn")
            .and_then(|a| a.get_attribute("href"))
            .unwrap_or_default();
        assert!(
            href.starts_with("https://app.bankid.com/?autostarttoken=77777777"),
            "{href}"
        );
        assert!(
            w.text().contains("use BankID on another device"),
            "in-app browser hint"
        );
        let framed = mount_button(DESKTOP, true, "88888888-2222-4333-8444-555555555555");
        tick().await;
        assert!(framed.find("a.btn").is_some());
        assert_eq!(opened().len(), before);
    }
}

mod pieces {
    use super::*;
    use legit_core::api::EventUser;
    use legit_widget::Ctx;
    use legit_widget::components::qr_code::QrCode;
    use legit_widget::components::result_card::ResultCard;
    use leptos::prelude::*;

    fn mount_view<V: IntoView + 'static>(f: impl FnOnce(Ctx) -> V + 'static) -> Mounted2 {
        let node = new_node();
        let s = settings("tenant=acme&lang=sv", DESKTOP);
        let handle = leptos::mount::mount_to(node.clone(), move || f(Ctx::new(s)).into_any());
        Mounted2 {
            node,
            _widget: legit_widget::Mounted::from(handle),
        }
    }

    #[wasm_bindgen_test]
    async fn the_qr_code_redraws_for_each_frame() {
        let payload = RwSignal::new(None::<String>);
        let w = mount_view(move |ctx| view! { <QrCode ctx=ctx payload=Signal::from(payload) /> });
        tick().await;
        assert!(w.find(".qr svg").is_none());
        payload.set(Some("bankid.67df3917-fa0d-44e5-b327-edcc928297f8.0.dc69358e712458a66a7525beef148ae8526b1c71610eff2c16cdffb4cdac9bf8".into()));
        tick().await;
        let first = w.find(".qr").map(|q| q.inner_html()).unwrap_or_default();
        assert!(first.starts_with("<svg"), "{first}");
        payload.set(Some("bankid.67df3917-fa0d-44e5-b327-edcc928297f8.1.949d559bf23403952a94d103e67743126381eda00f0b3cbddbf7c96b1adcbce2".into()));
        tick().await;
        let second = w.find(".qr").map(|q| q.inner_html()).unwrap_or_default();
        assert_ne!(first, second);
        assert_eq!(
            w.find(".qr")
                .and_then(|q| q.get_attribute("aria-label"))
                .as_deref(),
            Some("QR-kod att skanna med BankID-appen")
        );
    }

    #[wasm_bindgen_test]
    async fn the_result_card_shows_unicode_names_intact_and_withheld_fields_as_such() {
        let user = EventUser {
            personal_number: Some("811228-XXXX".into()),
            name: Some("Åsa Ørnulf Ämström-Lindé".into()),
            given_name: None,
            surname: Some("Ämström-Lindé".into()),
        };
        let w = mount_view(move |ctx| view! { <ResultCard ctx=ctx user=user /> });
        tick().await;
        let text = w.text();
        assert!(text.contains("Åsa Ørnulf Ämström-Lindé"), "{text}");
        assert!(text.contains("811228-XXXX"));
        assert_eq!(w.all("dd.withheld").len(), 1);
        assert!(text.contains("Visas inte (policy)"));
    }
}

#[wasm_bindgen_test]
fn the_embed_config_and_query_are_read() {
    let p = params("tenant=acme&mode=agent");
    assert_eq!(p.mode, Mode::Agent);
}
