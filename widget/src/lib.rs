//! legit's widget: BankID identification for contact-centre agents and customers, in Leptos (CSR).
//!
//! Two ways in, both exported to JavaScript: [`start_embed`] for the `/embed` iframe page, and
//! [`mount_element`] for `<legit-bankid>` (defined by `legit.js`, rendering into its shadow root). Everything
//! else is plain Rust: [`flow`] (the order's state machine), [`i18n`] (the catalogue), [`config`] (what the
//! embedding page says), [`launch`] (opening the app), [`host`] (events to the page), tested natively.

pub mod api;
pub mod app;
pub mod components;
pub mod config;
pub mod flow;
pub mod host;
pub mod i18n;
pub mod json;
pub mod launch;
#[cfg(feature = "agent")]
pub mod link_follow;
pub mod order;

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

pub use app::{App, Ctx, Settings};

#[cfg(all(test, target_arch = "wasm32"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use config::{EmbedConfig, Params};
use host::Host;

/// A mounted widget; JavaScript keeps it and calls `unmount` when the element leaves the page.
#[wasm_bindgen]
pub struct Mounted(
    Option<leptos::mount::UnmountHandle<leptos::tachys::view::any_view::AnyViewState>>,
);

impl From<leptos::mount::UnmountHandle<leptos::tachys::view::any_view::AnyViewState>> for Mounted {
    fn from(
        handle: leptos::mount::UnmountHandle<leptos::tachys::view::any_view::AnyViewState>,
    ) -> Self {
        Mounted(Some(handle))
    }
}

#[wasm_bindgen]
impl Mounted {
    pub fn unmount(&mut self) {
        self.0 = None;
    }
}

/// Mounts the widget into `container` with `settings`.
pub fn mount(container: web_sys::HtmlElement, settings: Settings) -> Mounted {
    let ctx = Ctx::new(settings);
    Mounted(Some(leptos::mount::mount_to(container, move || {
        view! { <App ctx=ctx /> }.into_any()
    })))
}

/// The `/embed` page: settings from the query string and fragment and the `legit-config` tag; results posted to the
/// parent page only if the tenant allows its origin. The widget stays for the page's lifetime: no handle goes
/// back to JavaScript, whose garbage collector would otherwise free it and so unmount the widget.
#[wasm_bindgen]
pub fn start_embed() -> Result<(), JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let document = window.document().ok_or("no document")?;
    let location = window.location();
    let params = Params::from_location(
        &location.search().unwrap_or_default(),
        &location.hash().unwrap_or_default(),
    );
    let config = document
        .query_selector("meta[name=legit-config]")?
        .and_then(|m| m.get_attribute("content"))
        .map(|c| EmbedConfig::parse(&c))
        .unwrap_or_default();
    let in_iframe = in_iframe(&window);
    let host = if in_iframe {
        // `location.ancestorOrigins` (Chromium, Safari): the parent's origin even without a referrer.
        let ancestor = js_sys::Reflect::get(&window.location(), &"ancestorOrigins".into())
            .and_then(|list| js_sys::Reflect::get(&list, &0.into()))
            .ok()
            .and_then(|o| o.as_string());
        let referrer = document.referrer();
        config::post_target(ancestor.as_deref(), Some(&referrer), &config.parent_origins)
            .map_or(Host::None, Host::Parent)
    } else {
        Host::None
    };
    let container = document
        .get_element_by_id("legit")
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        .or_else(|| document.body())
        .ok_or("no body")?;
    let mounted = mount(
        container,
        Settings {
            params,
            config,
            api_base: String::new(),
            host,
            platform: platform(&window),
            in_iframe,
            browser_langs: browser_langs(&window),
            open_app,
        },
    );
    if let Some(handle) = mounted.0 {
        handle.forget();
    }
    Ok(())
}

/// `<legit-bankid tenant mode lang mobnr session callid>`: `legit.js` calls this with the element, the container
/// inside its shadow root and the origin legit.js came from (the edge). Events are dispatched on the element.
#[wasm_bindgen]
pub fn mount_element(
    element: web_sys::HtmlElement,
    container: web_sys::HtmlElement,
    api_base: String,
) -> Result<Mounted, JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let params = Params::from_pairs(
        ["tenant", "mode", "lang", "mobnr", "session", "callid"]
            .map(|name| (name, element.get_attribute(name))),
    );
    Ok(mount(
        container,
        Settings {
            params,
            config: EmbedConfig::default(),
            api_base,
            host: Host::Element(element),
            platform: platform(&window),
            in_iframe: in_iframe(&window),
            browser_langs: browser_langs(&window),
            open_app,
        },
    ))
}

fn in_iframe(window: &web_sys::Window) -> bool {
    match window.top() {
        Ok(Some(top)) => !js_sys::Object::is(&top, window),
        _ => true,
    }
}

fn platform(window: &web_sys::Window) -> launch::Platform {
    let navigator = window.navigator();
    launch::platform(
        &navigator.user_agent().unwrap_or_default(),
        navigator.max_touch_points(),
    )
}

fn browser_langs(window: &web_sys::Window) -> Vec<String> {
    window
        .navigator()
        .languages()
        .iter()
        .filter_map(|l| l.as_string())
        .collect()
}

/// Tries the app on this device by navigating the (top-level) page to the launch URL.
fn open_app(url: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_href(url);
    }
}
