//! The widget end to end: the real `/embed` page of the edge (Worker in Miniflare, BankID simulator over mTLS)
//! in headless Chromium, driven as a customer and as an agent, at a softphone's 320 px and at 480 px.
//! Screenshots land in `target/screenshots/widget-*.png`.
//!
//! Needs the built widget (`cargo xtask widget`) and edge (`cargo xtask edge`); `cargo xtask test` builds both
//! first.

use std::time::Duration;

use legit_tests::browser::Browser;
use legit_tests::edge::{Edge, TENANT};
use legit_tests::{DEFAULT_NAME, DEFAULT_PNR, Sim};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(20);

type Error = Box<dyn std::error::Error>;
type TestResult = Result<(), Error>;

async fn stack() -> (Sim, Edge) {
    let sim = Sim::start().await;
    let edge = Edge::start(&sim).await;
    (sim, edge)
}

/// The simulator's only order.
async fn only_order_ref(sim: &Sim) -> String {
    let orders = sim.orders().await;
    assert_eq!(orders.len(), 1, "exactly one BankID order: {orders:#?}");
    orders[0]["orderRef"].as_str().expect("orderRef").to_owned()
}

/// Fails if the page scrolls sideways: everything must fit the window.
async fn assert_no_horizontal_overflow(browser: &Browser, what: &str) -> TestResult {
    let widths = browser
        .client()
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await?;
    let (scroll, inner) = (widths[0].as_f64(), widths[1].as_f64());
    assert!(
        scroll <= inner,
        "{what}: the page is {scroll:?} px wide in a {inner:?} px window"
    );
    Ok(())
}

/// Fails on any axe-core violation (WCAG 2 A/AA and best practice) on the page.
async fn assert_accessible(browser: &Browser, what: &str) -> TestResult {
    assert_eq!(
        browser.axe_violations().await?,
        json!([]),
        "axe-core on {what}"
    );
    Ok(())
}

/// The `data-payload` of the QR box (the frame it shows).
async fn qr_payload(browser: &Browser) -> Result<String, Error> {
    let qr = browser.find(".qr").await?;
    Ok(qr.attr("data-payload").await?.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_scans_the_animated_qr_code_and_is_identified() -> TestResult {
    let (sim, edge) = stack().await;
    let browser = Browser::start().await?;
    browser.set_window_size(320, 720).await?;
    browser
        .goto(&edge.url(&format!("/embed?tenant={TENANT}&mode=customer&lang=sv")))
        .await?;
    browser
        .wait_for_text(".lead", "Vill du använda BankID på den här datorn", WAIT)
        .await?;
    assert_no_horizontal_overflow(&browser, "choice at 320 px").await?;
    browser.screenshot("widget-customer-choose-320.png").await?;
    assert_accessible(&browser, "choose screen").await?;

    browser.click_text("button", "Mobilt BankID", WAIT).await?;
    browser.wait_for(".qr svg", WAIT).await?;
    let first = qr_payload(&browser).await?;
    let mut second = first.clone();
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        second = qr_payload(&browser).await?;
        if second != first {
            break;
        }
    }
    assert_ne!(first, second, "a new QR frame within 6 s");
    for frame in [&first, &second] {
        assert_eq!(
            frame.split('.').count(),
            4,
            "bankid.<token>.<time>.<code>: {frame}"
        );
        assert!(frame.starts_with("bankid."), "{frame}");
    }
    browser
        .wait_for_text("[role=status]", "Starta BankID-appen.", WAIT)
        .await?;
    assert_no_horizontal_overflow(&browser, "QR at 320 px").await?;
    // A side panel this small still shows the code, Cancel and the other way to start without scrolling.
    let fit = browser
        .client()
        .execute(
            "const last = document.querySelector('.customer .actions').getBoundingClientRect();
             const qr = document.querySelector('.qr').getBoundingClientRect();
             return [last.bottom, window.innerHeight, qr.width];",
            vec![],
        )
        .await?;
    let (bottom, inner, qr_width) = (fit[0].as_f64(), fit[1].as_f64(), fit[2].as_f64());
    assert!(
        bottom <= inner,
        "the buttons under the QR end at {bottom:?} px in a {inner:?} px pane"
    );
    assert!(
        qr_width >= Some(176.0),
        "the QR code shrank to {qr_width:?} px"
    );
    // The footer's two lines start at one edge: the first language under the help link.
    let edges = browser
        .client()
        .execute(
            "const words = document.createRange();
             words.selectNodeContents(document.querySelector('.footer .lang'));
             const help = document.querySelector(\".footer a[href='https://support.bankid.com']\");
             return [words.getBoundingClientRect().left, help.getBoundingClientRect().left];",
            vec![],
        )
        .await?;
    let (language, help) = (
        edges[0].as_f64().unwrap_or(f64::NAN),
        edges[1].as_f64().unwrap_or(f64::NAN),
    );
    assert!(
        (language - help).abs() <= 1.0,
        "the languages start at {language} px, the help link at {help} px"
    );
    browser.screenshot("widget-customer-qr-320.png").await?;
    assert_accessible(&browser, "QR screen").await?;
    browser.set_window_size(480, 800).await?;
    // What the page draws decodes (zbarimg) to the frame it shows.
    let before = qr_payload(&browser).await?;
    let png = browser.screenshot("widget-customer-qr-480.png").await?;
    let after = qr_payload(&browser).await?;
    let decoded = std::process::Command::new("zbarimg")
        .args(["--quiet", "--raw"])
        .arg(&png)
        .output()?;
    let decoded = String::from_utf8_lossy(&decoded.stdout).trim().to_owned();
    assert!(
        decoded == before || decoded == after,
        "the drawn QR code reads {decoded:?}, the page shows {before:?} / {after:?}"
    );

    // The phone scans what the page shows now: the frame's code verifies at the simulator.
    let order_ref = only_order_ref(&sim).await;
    let shown = qr_payload(&browser).await?;
    let (status, order) = sim.scan(&shown).await;
    assert!(status.is_success(), "the shown frame must scan: {order}");
    browser
        .wait_for_text("[role=status]", "Skriv in din säkerhetskod", WAIT)
        .await?;
    assert!(
        browser.find_all(".qr svg").await?.is_empty(),
        "the QR code goes once scanned"
    );
    sim.act_ok(&order_ref, "approve", None).await;
    browser
        .wait_for_text("[role=status]", "Du är identifierad.", WAIT)
        .await?;
    // Embedded in a site, the site goes on from here: no "close this page", which is for a link's page.
    let page = browser.text("body").await?;
    assert!(!page.contains("stänga sidan"), "{page}");
    browser.screenshot("widget-customer-done-480.png").await?;
    assert_accessible(&browser, "done screen").await?;
    browser.close().await?;
    Ok(())
}

/// While the event stream is down no frames come, and a frame older than a second or two fails when scanned
/// (startFailed): the code is taken away until the stream is back, and then a fresh one is drawn.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_stream_is_down_no_stale_qr_code_is_left_to_scan() -> TestResult {
    let sim = Sim::start().await;
    let mut edge = Edge::start(&sim).await;
    let browser = Browser::start().await?;
    browser.set_window_size(320, 720).await?;
    browser
        .goto(&edge.url(&format!("/embed?tenant={TENANT}&mode=customer&lang=en")))
        .await?;
    browser.click_text("button", "Mobile BankID", WAIT).await?;
    browser.wait_for(".qr svg", WAIT).await?;
    assert!(
        browser.find_all(".sender").await?.is_empty(),
        "a site's own page names no sender: only a link's does"
    );
    let before = qr_payload(&browser).await?;

    edge.stop().await;
    browser
        .wait_for_text("[role=status]", "Reconnecting", WAIT)
        .await?;
    assert!(
        browser.find_all(".qr svg").await?.is_empty(),
        "no QR code while nothing keeps it fresh"
    );
    assert_eq!(qr_payload(&browser).await?, "");
    assert_eq!(
        how_to_scan_visibility(&browser).await?,
        "hidden",
        "no instruction to point the camera at a code that is not there"
    );
    assert_no_horizontal_overflow(&browser, "reconnecting at 320 px").await?;
    browser
        .screenshot("widget-customer-reconnecting-320.png")
        .await?;

    edge.start_again().await;
    browser.wait_for(".qr svg", Duration::from_secs(40)).await?;
    let after = qr_payload(&browser).await?;
    assert_ne!(after, before, "a fresh frame, not the old one");
    assert_eq!(how_to_scan_visibility(&browser).await?, "visible");
    let (status, order) = sim.scan(&after).await;
    assert!(status.is_success(), "the fresh frame scans: {order}");
    browser.close().await?;
    Ok(())
}

/// Whether the "point the camera at the code" line under the QR box shows.
async fn how_to_scan_visibility(browser: &Browser) -> Result<String, Error> {
    let visibility = browser
        .client()
        .execute(
            "return getComputedStyle(document.querySelector('.qr + .hint')).visibility",
            vec![],
        )
        .await?;
    Ok(visibility.as_str().unwrap_or_default().to_owned())
}

/// On a phone the app was asked to open but never took the order: the guidance names the causes a phone
/// can have (the app, the browser's question) and not a computer's (firewall, old operating system).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_start_failed_names_the_phones_causes() -> TestResult {
    const PHONE_UA: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) \
                            Chrome/131.0.0.0 Mobile Safari/537.36";
    let (sim, edge) = stack().await;
    let browser = Browser::start_as(PHONE_UA).await?;
    browser.set_window_size(360, 800).await?;
    browser
        .goto(&edge.url(&format!("/embed?tenant={TENANT}&mode=customer&lang=en")))
        .await?;
    browser
        .click_text("button", "BankID on this device", WAIT)
        .await?;
    browser.wait_for(".launch-slot a", WAIT).await?;
    // A phone opens nothing by itself, so nothing is "trying to start" until the tap (BANKID.md §8.1: RFA1
    // when the user starts the app, RFA13 for an autostart).
    browser
        .wait_for_text("[role=status]", "Start your BankID app.", WAIT)
        .await?;
    assert!(
        !browser.text("[role=status]").await?.contains("Trying"),
        "no attempt before the tap"
    );
    browser
        .screenshot("widget-customer-this-device-phone.png")
        .await?;
    // The tap, kept on this page: there is no app to go to here.
    browser
        .client()
        .execute(
            "const a = document.querySelector('.launch-slot a');
             a.addEventListener('click', e => e.preventDefault());
             a.click();",
            vec![],
        )
        .await?;
    browser
        .wait_for_text("[role=status]", "Trying to start your BankID app.", WAIT)
        .await?;
    // Waiting turns, failing is in the error colour, not the neutral grey of news.
    browser.find("[role=status].pending").await?;
    // Nobody takes the order in the app: BankID gives up after 30 s (the simulator's clock moves instead).
    sim.advance(31).await;
    browser.wait_for_text("button", "Try again", WAIT).await?;
    browser.find("[role=status].failed:not(.pending)").await?;
    let page = browser.text("body").await?;
    for cause in [
        "The BankID app is missing or too old.",
        "The browser's question about opening BankID was not accepted.",
    ] {
        assert!(page.contains(cause), "{cause:?} missing from:\n{page}");
    }
    for computer_only in ["firewall", "operating system", "Security Application"] {
        assert!(
            !page.contains(computer_only),
            "a computer's cause on a phone ({computer_only}):\n{page}"
        );
    }
    browser.find("a[href='https://install.bankid.com']").await?;
    assert_no_horizontal_overflow(&browser, "startFailed on a phone").await?;
    browser
        .screenshot("widget-customer-start-failed-phone.png")
        .await?;
    assert_accessible(&browser, "startFailed screen on a phone").await?;
    browser.close().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_start_failed_the_customer_gets_the_install_guidance() -> TestResult {
    let (sim, edge) = stack().await;
    let browser = Browser::start().await?;
    browser.set_window_size(320, 900).await?;
    browser
        .goto(&edge.url(&format!("/embed?tenant={TENANT}&mode=customer&lang=en")))
        .await?;
    browser.click_text("button", "Mobile BankID", WAIT).await?;
    browser.wait_for(".qr svg", WAIT).await?;
    // Nobody scans: BankID gives up after 30 s (the simulator's clock moves instead of the test waiting).
    sim.advance(31).await;
    browser
        .wait_for_text("[role=status]", "Failed to scan the QR code", WAIT)
        .await?;
    let install = browser.find("a[href='https://install.bankid.com']").await?;
    assert!(install.text().await?.contains("install.bankid.com"));
    browser.find("a[href='https://support.bankid.com']").await?;
    browser.wait_for_text("button", "Try again", WAIT).await?;
    assert_no_horizontal_overflow(&browser, "startFailed at 320 px").await?;
    browser
        .screenshot("widget-customer-start-failed-320.png")
        .await?;
    assert_accessible(&browser, "startFailed screen").await?;
    browser.close().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_identifies_a_caller_and_sees_the_unicode_name_intact() -> TestResult {
    let (sim, edge) = stack().await;
    let session = edge.agent_session().await;
    let browser = edge.agent_widget(&session, "lang=en").await?;
    browser.wait_for("#legit-pnr", WAIT).await?;
    browser.fill("#legit-pnr", "811228-9874").await?;
    browser
        .wait_for_text(
            "#legit-pnr-hint",
            &format!("Will be sent as {DEFAULT_PNR}"),
            WAIT,
        )
        .await?;
    // Pressed before saying who called: the question names its error, and nothing starts.
    browser
        .click_text("button", "Identify the customer", WAIT)
        .await?;
    browser
        .wait_for_text("#legit-who-error", "Choose who called", WAIT)
        .await?;
    assert_accessible(&browser, "agent form with who called missing").await?;
    assert!(sim.orders().await.is_empty(), "no order without the answer");
    browser
        .click_text("label", "The customer called us", WAIT)
        .await?;
    assert_no_horizontal_overflow(&browser, "agent form at 320 px").await?;
    browser.screenshot("widget-agent-form-320.png").await?;
    assert_accessible(&browser, "agent form").await?;
    browser
        .click_text("button", "Identify the customer", WAIT)
        .await?;
    browser
        .wait_for_text(
            "[role=status]",
            "Waiting for the customer to open BankID",
            WAIT,
        )
        .await?;
    // Read back to the caller as on a document: date, then the last four digits.
    let (date, last_four) = DEFAULT_PNR.split_at(8);
    let readable = format!("{date}-{last_four}");
    let subject = browser.text(".subject").await?;
    assert!(subject.ends_with(&readable), "{subject}");
    browser.screenshot("widget-agent-waiting-320.png").await?;
    assert_accessible(&browser, "agent waiting").await?;
    // The pane reloaded mid-call: the same order carries on. The number is not kept in the browser, so
    // the line that showed it goes rather than showing an empty number.
    browser.client().refresh().await?;
    browser
        .wait_for_text(
            "[role=status]",
            "Waiting for the customer to open BankID",
            WAIT,
        )
        .await?;
    assert!(
        !browser.find(".subject").await?.is_displayed().await?,
        "{}",
        browser.text(".subject").await?
    );
    assert_eq!(sim.orders().await.len(), 1, "the same order, not a new one");
    let order_ref = only_order_ref(&sim).await;
    let order = sim.order(&order_ref).await;
    assert_eq!(order["callInitiator"], "user", "{order}");
    sim.act_ok(&order_ref, "open", None).await;
    browser
        .wait_for_text(
            "[role=status]",
            "The customer is confirming the call in BankID",
            WAIT,
        )
        .await?;
    sim.act_ok(&order_ref, "confirm-call", None).await;
    browser
        .wait_for_text(
            "[role=status]",
            "The customer is entering their security code",
            WAIT,
        )
        .await?;
    sim.act_ok(&order_ref, "approve", None).await;
    browser
        .wait_for_text("[role=status]", "The customer is identified", WAIT)
        .await?;
    let card = browser.text(".result").await?;
    assert!(card.contains(DEFAULT_NAME), "{card}");
    assert!(card.contains(&readable), "{card}");
    assert_no_horizontal_overflow(&browser, "result at 320 px").await?;
    browser.screenshot("widget-agent-result-320.png").await?;
    assert_accessible(&browser, "agent result").await?;
    browser.set_window_size(480, 800).await?;
    browser.screenshot("widget-agent-result-480.png").await?;
    browser.close().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_softphone_opens_the_link_form_with_the_number_normalised() -> TestResult {
    let (_sim, edge) = stack().await;
    let session = edge.agent_session().await;
    let browser = edge
        .agent_widget(&session, "lang=sv&mobnr=070-123%2045%2067")
        .await?;
    browser
        .wait_for_text("#legit-to-note", "Skickas som +46701234567", WAIT)
        .await?;
    assert_no_horizontal_overflow(&browser, "link form at 320 px").await?;
    browser.screenshot("widget-agent-link-320.png").await?;
    assert_accessible(&browser, "agent link form").await?;
    // In a 320 px pane every tab's label stays on one line, in every language.
    for language in ["Norsk", "English", "Svenska"] {
        browser.click_text("button", language, WAIT).await?;
        browser
            .wait_for("[role=tab][aria-selected=true]", WAIT)
            .await?;
        let lines = browser
            .client()
            .execute(
                "return [...document.querySelectorAll('[role=tab]')].map(tab => {
                   const range = document.createRange();
                   range.selectNodeContents(tab);
                   const tops = [...range.getClientRects()].map(r => Math.round(r.top));
                   return [tab.textContent, new Set(tops).size];
                 });",
                vec![],
            )
            .await?;
        assert_eq!(lines.as_array().map(Vec::len), Some(3), "{lines}");
        for tab in lines.as_array().into_iter().flatten() {
            assert_eq!(tab[1], 1, "{language}: the tab {} wraps at 320 px", tab[0]);
        }
    }
    // Even with a 15 px scroll bar beside them, the longest labels (bokmål) do not make the pane scroll
    // sideways.
    browser.set_window_size(305, 700).await?;
    for language in ["English", "Norsk"] {
        browser.click_text("button", language, WAIT).await?;
        browser
            .wait_for("[role=tab][aria-selected=true]", WAIT)
            .await?;
        assert_no_horizontal_overflow(&browser, &format!("agent tabs in {language} at 305 px"))
            .await?;
    }
    browser.screenshot("widget-agent-link-nb-320.png").await?;
    browser.close().await?;
    Ok(())
}

/// A loopback port for the CRM page that frames the widget, bound first so the edge can allow its origin.
fn host_page_port() -> (std::net::TcpListener, String) {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").expect("bind a port for the host page");
    let origin = format!("http://{}", listener.local_addr().expect("local address"));
    (listener, origin)
}

/// Serves `html` at every path of `listener`, from a thread, for as long as the test runs.
fn serve_page(listener: std::net::TcpListener, html: String) {
    use std::io::{Read as _, Write as _};
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{html}",
                html.len()
            );
            let _ = stream.write_all(answer.as_bytes());
        }
    });
}

/// A CRM page that frames `/embed` and keeps every message it receives in `window.seen`.
fn crm_page(edge: &Edge) -> String {
    format!(
        r#"<!doctype html><html><body>
<iframe id="w" width="480" height="700" src="{}"></iframe>
<script>
window.seen = [];
window.addEventListener('message', (e) => window.seen.push({{origin: e.origin, data: e.data}}));
</script></body></html>"#,
        edge.url(&format!("/embed?tenant={TENANT}&mode=customer&lang=en"))
    )
}

/// Runs the customer's QR flow inside the page's iframe to completion, and returns what the page received.
async fn complete_in_frame(
    sim: &Sim,
    browser: &Browser,
    origin: &str,
) -> Result<Vec<Value>, Error> {
    browser.goto(&format!("{origin}/")).await?;
    browser.wait_for("iframe#w", WAIT).await?;
    browser.client().clone().enter_frame(0).await?;
    browser.click_text("button", "Mobile BankID", WAIT).await?;
    browser.wait_for(".qr svg", WAIT).await?;
    let order_ref = only_order_ref(sim).await;
    let (status, order) = sim.act(&order_ref, "scan-current", None).await;
    assert!(status.is_success(), "scan: {order}");
    sim.act_ok(&order_ref, "approve", None).await;
    browser
        .wait_for_text("[role=status]", "You are identified.", WAIT)
        .await?;
    browser.client().clone().enter_parent_frame().await?;
    let seen = browser
        .client()
        .execute("return window.seen;", vec![])
        .await?;
    Ok(seen.as_array().cloned().unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_reach_the_allowed_parent_page_by_post_message() -> TestResult {
    let (sim, edge, listener, origin) = stack_allowing_a_host().await;
    serve_page(listener, crm_page(&edge));

    let browser = Browser::start().await?;
    let seen = complete_in_frame(&sim, &browser, &origin).await?;
    let types: Vec<&str> = seen
        .iter()
        .filter_map(|m| m["data"]["type"].as_str())
        .collect();
    assert_eq!(types, ["legit:started", "legit:complete"], "{seen:#?}");
    for message in &seen {
        assert_eq!(message["origin"], edge.base_url, "sent by the edge's page");
    }
    let token = seen[1]["data"]["resultToken"].as_str().unwrap_or_default();
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");
    browser.screenshot("widget-embed-in-crm.png").await?;
    browser.close().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_the_tenant_does_not_allow_can_neither_frame_the_widget_nor_hear_from_it()
-> TestResult {
    let (sim, edge) = stack().await;
    let (listener, origin) = host_page_port();
    serve_page(listener, crm_page(&edge));
    let browser = Browser::start().await?;
    browser.goto(&format!("{origin}/")).await?;
    browser.wait_for("iframe#w", WAIT).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    browser.client().clone().enter_frame(0).await?;
    assert!(
        browser.find_all(".legit").await?.is_empty(),
        "frame-ancestors keeps the widget out of {origin}"
    );
    browser.client().clone().enter_parent_frame().await?;
    let seen = browser
        .client()
        .execute("return window.seen;", vec![])
        .await?;
    assert_eq!(seen, serde_json::json!([]), "no message to {origin}");
    assert!(sim.orders().await.is_empty());
    browser.close().await?;
    Ok(())
}

/// The stack with a host page's port bound first and its origin in the tenant's `allowedOrigins`.
async fn stack_allowing_a_host() -> (Sim, Edge, std::net::TcpListener, String) {
    use legit_tests::edge::{default_tenants, new_api_key};
    let sim = Sim::start().await;
    let (listener, origin) = host_page_port();
    let api_key = new_api_key();
    let tenants = default_tenants(&api_key, &[&origin]);
    let edge = Edge::start_with(&sim, api_key, tenants, None).await;
    (sim, edge, listener, origin)
}

/// Presses "Mobile BankID" in the page's `<legit-bankid>` (the widget lives in its shadow root), then has
/// the simulator's phone scan the code on screen and approve.
async fn scan_and_approve_in_element(browser: &Browser, sim: &Sim) -> TestResult {
    let mut clicked = false;
    for _ in 0..100 {
        let done = browser
            .client()
            .execute(
                "const r = document.querySelector('legit-bankid')?.shadowRoot; if (!r) return false; \
                 const b = [...r.querySelectorAll('button')].find(b => b.textContent.trim() === 'Mobile BankID'); \
                 if (!b) return false; b.click(); return true;",
                vec![],
            )
            .await?;
        if done == Value::Bool(true) {
            clicked = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(clicked, "the element rendered its choice screen");
    let mut order_ref = None;
    for _ in 0..100 {
        let orders = sim.orders().await;
        if let Some(o) = orders.iter().find(|o| o["status"] == "pending") {
            order_ref = o["orderRef"].as_str().map(str::to_owned);
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let order_ref = order_ref.expect("the element started an order through the edge (CORS)");
    let (status, order) = sim.act(&order_ref, "scan-current", None).await;
    assert!(status.is_success(), "scan: {order}");
    sim.act_ok(&order_ref, "approve", None).await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_custom_element_works_on_an_allowed_site_and_raises_dom_events() -> TestResult {
    let (sim, edge, listener, origin) = stack_allowing_a_host().await;
    serve_page(
        listener,
        format!(
            r#"<!doctype html><html><body>
<script type="module" src="{}"></script>
<legit-bankid tenant="{TENANT}" mode="customer" lang="en"></legit-bankid>
<script>
window.seen = [];
for (const name of ['legit:started', 'legit:complete', 'legit:failed', 'legit:cancelled']) {{
  document.addEventListener(name, (e) => window.seen.push({{type: e.type, detail: e.detail}}));
}}
</script></body></html>"#,
            edge.url("/legit.js")
        ),
    );
    let browser = Browser::start().await?;
    browser.goto(&format!("{origin}/")).await?;
    scan_and_approve_in_element(&browser, &sim).await?;
    let mut seen = Value::Null;
    for _ in 0..100 {
        seen = browser
            .client()
            .execute("return window.seen;", vec![])
            .await?;
        if seen.as_array().is_some_and(|s| s.len() >= 2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(seen[0]["type"], "legit:started", "{seen}");
    assert_eq!(seen[1]["type"], "legit:complete", "{seen}");
    let token = seen[1]["detail"]["resultToken"]
        .as_str()
        .unwrap_or_default();
    assert_eq!(token.split('.').count(), 3, "a JWT: {seen}");
    browser.screenshot("widget-element-on-site.png").await?;
    browser.close().await?;
    Ok(())
}

/// The demo's host pages (`legit-demo ivr`, `cargo xtask demo`), as a new user opens them: the softphone's
/// incoming call opens the agent widget with the calling number prefilled and normalised; the CRM shows it
/// in its pane; the bank's log-in page identifies a customer with the element and greets them by their
/// given name, Unicode intact from BankID through the result token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_pages_embed_the_widget_for_agents_and_customers() -> TestResult {
    use legit_core::provider::Secret;
    use legit_demo::ivr_console;

    let (sim, edge, listener, origin) = stack_allowing_a_host().await;
    let _console =
        ivr_console::start_on(listener, &edge.base_url, Secret::new(edge.api_key.as_str()))?;
    let browser = Browser::start().await?;
    browser.set_window_size(1100, 800).await?;

    browser
        .goto(&format!("{origin}/softphone?mobnr=070-123%2045%2067"))
        .await?;
    browser
        .wait_for_text("#caller", "070-123 45 67", WAIT)
        .await?;
    browser.screenshot("demo-softphone.png").await?;
    browser.client().clone().enter_frame(0).await?;
    browser
        .wait_for_text("#legit-to-note", "Will be sent as +46701234567", WAIT)
        .await?;
    browser.client().clone().enter_parent_frame().await?;

    // The CRM's case learns who called from the widget's postMessage, name intact.
    browser.goto(&format!("{origin}/crm")).await?;
    browser.client().clone().enter_frame(0).await?;
    browser.wait_for("#legit-pnr", WAIT).await?;
    browser.fill("#legit-pnr", "811228-9874").await?;
    browser
        .click_text("label", "The customer called us", WAIT)
        .await?;
    browser
        .click_text("button", "Identify the customer", WAIT)
        .await?;
    browser
        .wait_for_text("[role=status]", "Waiting for the customer", WAIT)
        .await?;
    let order_ref = only_order_ref(&sim).await;
    for act in ["open", "confirm-call", "approve"] {
        sim.act_ok(&order_ref, act, None).await;
    }
    browser
        .wait_for_text("[role=status]", "The customer is identified", WAIT)
        .await?;
    browser.client().clone().enter_parent_frame().await?;
    browser
        .wait_for_text(
            "#customer",
            &format!("{DEFAULT_NAME}, identified with BankID"),
            WAIT,
        )
        .await?;
    browser.screenshot("demo-crm.png").await?;

    browser.goto(&format!("{origin}/self-service")).await?;
    scan_and_approve_in_element(&browser, &sim).await?;
    let welcome = browser.wait_for_text("#welcome", "Welcome, ", WAIT).await?;
    let given = DEFAULT_NAME
        .rsplit_once(' ')
        .map_or(DEFAULT_NAME, |(g, _)| g);
    assert_eq!(welcome, format!("Welcome, {given}."));
    browser.screenshot("demo-self-service.png").await?;
    for page in ["softphone", "crm", "self-service"] {
        browser.goto(&format!("{origin}/{page}")).await?;
        let html = browser.client().source().await?;
        assert!(
            !html.contains(edge.api_key.as_str()),
            "the {page} page carries the API key"
        );
    }
    browser.close().await?;
    Ok(())
}
