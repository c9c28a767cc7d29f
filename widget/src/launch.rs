//! Opening the BankID app on the same device (BANKID.md §7, DESIGN.md §6): which device we are on, the launch
//! URL, and whether to try the app by ourselves or only offer the button. Pure; the component does the timing.

use legit_core::rfa::{Device, Flow};
use legit_core::text::contains;

/// Where the widget runs, as far as the user agent tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Platform {
    pub device: Device,
    /// Facebook, Instagram, LinkedIn and similar in-app browsers, and Android webviews: they often do not hand
    /// the launch URL to the app, so we offer the button and the QR code instead of relying on autostart.
    pub in_app: bool,
    /// The browser on an iPhone or iPad, where the app cannot tell which browser to go back to (BANKID.md §7);
    /// `None` elsewhere.
    pub ios: Option<IosBrowser>,
}

/// The iOS browsers BANKID.md §7 names a way back to, and the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IosBrowser {
    /// Returns only to an address it is given, and reloads the page there.
    Safari,
    /// Comes back to the tab the user left through its scheme.
    Chrome,
    Firefox,
    /// Edge, Opera, Google's app and the rest: no known way back; the user switches by hand.
    Other,
}

/// Substrings of in-app browsers' and webviews' user agents.
const IN_APP_MARKERS: &[&str] = &[
    "FBAN",
    "FBAV",
    "FB_IAB",
    "Instagram",
    "LinkedInApp",
    "Twitter",
    "Snapchat",
    "MicroMessenger",
    "Line/",
    "; wv)",
];

/// Reads the user agent. `touch_points` is `navigator.maxTouchPoints`: iPadOS presents itself as a Mac and
/// only its touch screen gives it away.
pub fn platform(user_agent: &str, touch_points: i32) -> Platform {
    let ipad_as_mac = contains(user_agent, "Macintosh") && touch_points > 1;
    let ios = ["iPhone", "iPad", "iPod"]
        .iter()
        .any(|m| contains(user_agent, m))
        || ipad_as_mac;
    let mobile = ios
        || ["Android", "Mobile"]
            .iter()
            .any(|m| contains(user_agent, m));
    let in_app = IN_APP_MARKERS.iter().any(|m| contains(user_agent, m));
    // Every iOS browser says "Safari"; the others add their own marker.
    let ios_browser = if contains(user_agent, "CriOS") {
        IosBrowser::Chrome
    } else if contains(user_agent, "FxiOS") {
        IosBrowser::Firefox
    } else if in_app
        || !contains(user_agent, "Safari")
        || ["EdgiOS", "OPiOS", "OPT/", "GSA/", "YaBrowser"]
            .iter()
            .any(|m| contains(user_agent, m))
    {
        IosBrowser::Other
    } else {
        IosBrowser::Safari
    };
    Platform {
        device: if mobile {
            Device::Mobile
        } else {
            Device::Desktop
        },
        in_app,
        ios: ios.then_some(ios_browser),
    }
}

/// The schemes that bring an iOS browser back to the tab the user left (BANKID.md §7).
const CHROME_IOS_RETURN: &str = "googlechrome://";
const FIREFOX_IOS_RETURN: &str = "firefox://";

/// Where the app sends the user back to after the order, on iOS: Safari to `page` (this page's address, which
/// Safari reloads there; from inside a frame the page is the host's, which the frame cannot read), Chrome and
/// Firefox to their own scheme, in a frame too. `None` (`redirect=null`) everywhere else: Android goes back to
/// the previous app by itself, and the desktop program always takes `null`.
pub fn return_to(
    platform: Platform,
    in_iframe: bool,
    page: impl FnOnce() -> Option<String>,
) -> Option<String> {
    match platform.ios? {
        IosBrowser::Safari if !in_iframe => page(),
        IosBrowser::Chrome => Some(CHROME_IOS_RETURN.to_owned()),
        IosBrowser::Firefox => Some(FIREFOX_IOS_RETURN.to_owned()),
        _ => None,
    }
}

/// This page's address, the `page` of [`return_to`] and [`order_return_url`] in the browser.
pub fn page_url() -> Option<String> {
    web_sys::window().and_then(|w| w.location().href().ok())
}

/// The order's `returnUrl` (BANKID.md §7: in v6 the return address goes in the order, and wins over the launch
/// URL's `redirect`): the page iOS Safari comes back to ([`return_to`]). A browser's scheme is not an
/// address BankID takes there; it stays in the launch URL. Only for an order opened on this device
/// (BANKID.md §2.1): scanned, the app runs on another phone, which must not open this page afterwards.
pub fn order_return_url(
    flow: Flow,
    platform: Platform,
    in_iframe: bool,
    page: impl FnOnce() -> Option<String>,
) -> Option<String> {
    if !matches!(flow, Flow::SameDevice(_)) {
        return None;
    }
    return_to(platform, in_iframe, page)
        .filter(|url| url.starts_with("https://") || url.starts_with("http://"))
}

/// BANKID.md §7: the desktop program answers `bankid:///`, phones the universal link. `redirect=null` (the
/// user or the OS switches back, or the order's `returnUrl` brings Safari back, [`order_return_url`]) except
/// for an iOS browser's own scheme ([`return_to`]).
pub fn launch_url(auto_start_token: &str, device: Device, return_to: Option<&str>) -> String {
    let token: String = auto_start_token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    match device {
        Device::Desktop => format!("bankid:///?autostarttoken={token}&redirect=null"),
        Device::Mobile => {
            let redirect = return_to
                .filter(|url| [CHROME_IOS_RETURN, FIREFOX_IOS_RETURN].contains(url))
                .map_or_else(|| "null".to_owned(), encode_component);
            format!("https://app.bankid.com/?autostarttoken={token}&redirect={redirect}")
        }
    }
}

/// Percent-encodes all but RFC 3986's unreserved characters, as `encodeURIComponent` does for a query value.
fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b >> 4)]));
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b & 15)]));
        }
    }
    out
}

/// How to bring the app up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaunchPlan {
    /// Desktop, top-level page, token not used yet: open the app at once, and show the "Start BankID" button
    /// (same token) only after [`START_BUTTON_DELAY_MS`], as BankID advises.
    TryThenButton,
    /// Phones (which open the app only from a user gesture), iframes (which cannot switch apps everywhere),
    /// in-app browsers, and a token already used (we came back from the app: never start it again by
    /// ourselves): the button at once.
    ButtonNow,
}

/// BankID: if the app has not come up after 5 s, offer the button; never earlier.
pub const START_BUTTON_DELAY_MS: u32 = 5_000;

pub fn plan(platform: Platform, in_iframe: bool, token_used: bool) -> LaunchPlan {
    if platform.device == Device::Desktop && !platform.in_app && !in_iframe && !token_used {
        LaunchPlan::TryThenButton
    } else {
        LaunchPlan::ButtonNow
    }
}

/// Whether the app has yet to pick the order up: no state yet, `outstandingTransaction` or `noClient`
/// (BANKID.md §4). Once it has (`started`, `userSign`, …), a start button could only open the app again
/// (BANKID.md §5: the button is for when the app did not open).
pub fn app_not_opened(hint: Option<&str>) -> bool {
    hint.is_none_or(legit_core::bankid::waits_for_app)
}

/// Whether the "Start BankID" button shows `elapsed_ms` after the order started.
pub fn button_visible(plan: LaunchPlan, elapsed_ms: u32) -> bool {
    match plan {
        LaunchPlan::ButtonNow => true,
        LaunchPlan::TryThenButton => elapsed_ms >= START_BUTTON_DELAY_MS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same tests run natively and, under `cargo xtask test`, in Chromium.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const CHROME_WIN: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    const SAFARI_IOS: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
    const IPAD_AS_MAC: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15";
    const FACEBOOK_ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/126.0 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/470.0.0.0;]";
    const INSTAGRAM_IOS: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 339.0.3.12.91";

    #[test]
    fn devices_are_told_apart_by_user_agent() {
        assert_eq!(platform(CHROME_WIN, 0).device, Device::Desktop);
        assert_eq!(platform(SAFARI_IOS, 5).device, Device::Mobile);
        assert_eq!(platform(IPAD_AS_MAC, 5).device, Device::Mobile);
        assert_eq!(platform(IPAD_AS_MAC, 0).device, Device::Desktop);
        assert!(!platform(SAFARI_IOS, 5).in_app);
        assert!(platform(FACEBOOK_ANDROID, 5).in_app);
        assert!(platform(INSTAGRAM_IOS, 5).in_app);
    }

    #[test]
    fn ios_browsers_are_sent_back_the_way_each_can_be_reached() {
        const CHROME_IOS: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1";
        const FIREFOX_IOS: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/127.0 Mobile/15E148 Safari/605.1.15";
        const EDGE_IOS: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 EdgiOS/126.0.2592.56 Mobile/15E148 Safari/605.1.15";
        const CHROME_ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36";
        let page = || Some("https://shop.example/account".to_owned());
        let back =
            |ua: &str, touch: i32, in_iframe: bool| return_to(platform(ua, touch), in_iframe, page);

        assert_eq!(platform(SAFARI_IOS, 5).ios, Some(IosBrowser::Safari));
        assert_eq!(back(SAFARI_IOS, 5, false), page(), "Safari: this page");
        assert_eq!(back(IPAD_AS_MAC, 5, false), page(), "an iPad is iOS");
        assert_eq!(
            back(SAFARI_IOS, 5, true),
            None,
            "a frame cannot know its host page"
        );
        for in_iframe in [false, true] {
            assert_eq!(
                back(CHROME_IOS, 5, in_iframe).as_deref(),
                Some("googlechrome://")
            );
            assert_eq!(
                back(FIREFOX_IOS, 5, in_iframe).as_deref(),
                Some("firefox://")
            );
        }
        for ua in [
            EDGE_IOS,
            INSTAGRAM_IOS,
            CHROME_ANDROID,
            FACEBOOK_ANDROID,
            CHROME_WIN,
        ] {
            assert_eq!(back(ua, 5, false), None, "{ua}");
        }
        assert_eq!(platform(IPAD_AS_MAC, 0).ios, None, "a Mac is not an iPad");
        assert_eq!(back(IPAD_AS_MAC, 0, false), None);
    }

    #[test]
    fn only_a_page_address_becomes_the_orders_return_url() {
        let page = || Some("https://shop.example/account".to_owned());
        let safari = platform(SAFARI_IOS, 5);
        let here = Flow::SameDevice(Device::Mobile);
        assert_eq!(order_return_url(here, safari, false, page), page());
        assert_eq!(
            order_return_url(here, safari, true, page),
            None,
            "a frame cannot know its host page"
        );
        assert_eq!(
            order_return_url(Flow::OtherDevice, safari, false, page),
            None,
            "scanned on another phone: that phone must not open this page"
        );
        const CHROME_IOS: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1";
        assert_eq!(
            order_return_url(here, platform(CHROME_IOS, 5), false, page),
            None,
            "Chrome comes back through its scheme, in the launch URL"
        );
        assert_eq!(
            order_return_url(here, platform(CHROME_WIN, 0), false, page),
            None
        );
    }

    #[test]
    fn launch_urls_follow_bankids_sample() {
        let t = "46c8b7a6-5b5b-4b5a-9a0f-0123456789ab";
        assert_eq!(
            launch_url(t, Device::Desktop, None),
            format!("bankid:///?autostarttoken={t}&redirect=null")
        );
        assert_eq!(
            launch_url(t, Device::Mobile, None),
            format!("https://app.bankid.com/?autostarttoken={t}&redirect=null")
        );
        let page = "https://shop.example/account?x=1&y=å#top";
        assert_eq!(
            launch_url(t, Device::Mobile, Some(page)),
            format!("https://app.bankid.com/?autostarttoken={t}&redirect=null"),
            "iOS Safari: the order's returnUrl brings it back; with returnUrl, redirect=null"
        );
        assert_eq!(
            launch_url(t, Device::Desktop, Some(page)),
            format!("bankid:///?autostarttoken={t}&redirect=null"),
            "the desktop program always takes redirect=null"
        );
        assert_eq!(
            launch_url(t, Device::Mobile, Some("googlechrome://")),
            format!("https://app.bankid.com/?autostarttoken={t}&redirect=googlechrome%3A%2F%2F"),
            "Chrome on iOS: back through its scheme"
        );
        for other in ["javascript:alert(1)", "googlechrome://evil.example/"] {
            assert_eq!(
                launch_url(t, Device::Mobile, Some(other)),
                format!("https://app.bankid.com/?autostarttoken={t}&redirect=null"),
                "{other}"
            );
        }
        assert_eq!(
            launch_url(t, Device::Mobile, Some("javascript:alert(1)")),
            format!("https://app.bankid.com/?autostarttoken={t}&redirect=null")
        );
        assert_eq!(
            launch_url("a&redirect=https://evil", Device::Mobile, None),
            "https://app.bankid.com/?autostarttoken=aredirecthttpsevil&redirect=null",
            "a token cannot smuggle in parameters"
        );
    }

    #[test]
    fn the_start_button_shows_after_five_seconds_on_desktop_never_earlier() {
        let desktop = platform(CHROME_WIN, 0);
        let p = plan(desktop, false, false);
        assert_eq!(p, LaunchPlan::TryThenButton);
        assert!(!button_visible(p, 0));
        assert!(!button_visible(p, 4_500));
        assert!(!button_visible(p, 4_999));
        assert!(button_visible(p, 5_000));
        assert!(button_visible(p, 5_500));
    }

    #[test]
    fn phones_iframes_in_app_browsers_and_used_tokens_get_the_button_at_once() {
        let desktop = platform(CHROME_WIN, 0);
        assert_eq!(
            plan(platform(SAFARI_IOS, 5), false, false),
            LaunchPlan::ButtonNow
        );
        assert_eq!(plan(desktop, true, false), LaunchPlan::ButtonNow);
        assert_eq!(
            plan(platform(FACEBOOK_ANDROID, 5), false, false),
            LaunchPlan::ButtonNow
        );
        assert_eq!(
            plan(desktop, false, true),
            LaunchPlan::ButtonNow,
            "coming back from the app must not start it again"
        );
        assert!(button_visible(LaunchPlan::ButtonNow, 0));
    }

    #[test]
    fn the_start_button_is_gone_once_the_app_has_the_order() {
        for hint in [None, Some("outstandingTransaction"), Some("noClient")] {
            assert!(app_not_opened(hint), "{hint:?}");
        }
        for hint in ["started", "userSign", "userMrtd", "brandNewHint2027"] {
            assert!(!app_not_opened(Some(hint)), "{hint}");
        }
    }
}
