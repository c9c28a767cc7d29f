//! The simulator's phone page (`GET /` of the admin address) in a real headless Chromium: what a person clicks
//! there reaches the relying party, proven by the RP's own `collect` over mutual TLS.
//!
//! Each test starts its own simulator in-process and one browser; the page polls the admin API every second,
//! so every check waits for the page rather than sleeping. Screenshots land in `target/screenshots/`.

use std::time::Duration;

use legit_tests::browser::Browser;
use legit_tests::{DEFAULT_NAME, DEFAULT_PNR, Sim, StatusCode, assert_bankid_error};
use serde_json::Value;

/// Long enough for a poll cycle of the page on a busy 2-core machine, short enough to fail fast.
const WAIT: Duration = Duration::from_secs(10);

type Error = Box<dyn std::error::Error>;
type TestResult = Result<(), Error>;

/// A fresh browser showing `sim`'s phone page, after its first poll of the admin API.
async fn phone_page(sim: &Sim) -> Result<Browser, Error> {
    let browser = Browser::start().await?;
    browser.goto(&format!("{}/", sim.running.admin_url)).await?;
    browser.wait_for_text("#who", "Phone's user:", WAIT).await?;
    Ok(browser)
}

/// CSS for the card of one order on the page.
fn card(order_ref: &str) -> String {
    format!("#orders .order[data-ref=\"{order_ref}\"]")
}

/// CSS for the buttons of one order on the page.
fn buttons(order_ref: &str) -> String {
    format!("#orders button[data-ref=\"{order_ref}\"]")
}

/// Clicks the button labelled `label` on the order's card.
async fn press(browser: &Browser, order_ref: &str, label: &str) -> TestResult {
    browser.click_text(&buttons(order_ref), label, WAIT).await?;
    Ok(())
}

/// Waits until the order's card shows `text`.
async fn shows(browser: &Browser, order_ref: &str, text: &str) -> Result<String, Error> {
    Ok(browser.wait_for_text(&card(order_ref), text, WAIT).await?)
}

/// The RP's `collect`, which must answer 200.
async fn collect_ok(sim: &Sim, order_ref: &str) -> Value {
    let (status, body) = sim.collect(order_ref).await;
    assert_eq!(status, StatusCode::OK, "collect {order_ref}: {body}");
    body
}

/// The current value of a form field.
async fn value(browser: &Browser, css: &str) -> Result<String, Error> {
    Ok(browser
        .find(css)
        .await?
        .prop("value")
        .await?
        .unwrap_or_default())
}

#[track_caller]
fn assert_state(body: &Value, status: &str, hint: Option<&str>) {
    assert_eq!(body["status"], status, "collect answer {body}");
    match hint {
        Some(hint) => assert_eq!(body["hintCode"], hint, "collect answer {body}"),
        None => assert!(body.get("hintCode").is_none(), "collect answer {body}"),
    }
}

#[tokio::test]
async fn autostart_then_security_code_completes_the_order_with_the_unicode_name_intact()
-> TestResult {
    let sim = Sim::start().await;
    let browser = phone_page(&sim).await?;
    let order = sim.start_auth().await;
    let r = order.order_ref.as_str();

    let pending = shows(&browser, r, "pending · outstandingTransaction").await?;
    assert!(
        pending.contains(&format!("RP legit-rp · {r}")),
        "card: {pending:?}"
    );
    assert!(
        pending.contains("Open with autostart") && pending.contains("Scan QR"),
        "card: {pending:?}"
    );
    browser.screenshot("phone-page-order.png").await?;

    press(&browser, r, "Open with autostart").await?;
    shows(&browser, r, "pending · started").await?;
    assert_state(&collect_ok(&sim, r).await, "pending", Some("started"));

    press(&browser, r, "Enter security code").await?;
    let done = shows(&browser, r, "complete").await?;
    assert!(
        done.contains(&format!("✔ {DEFAULT_NAME}")),
        "card: {done:?}"
    );
    assert!(
        browser.find_all(&buttons(r)).await?.is_empty(),
        "an ended order has no buttons"
    );
    let who = browser.text("#who").await?;
    assert_eq!(who, format!("Phone's user: {DEFAULT_NAME} ({DEFAULT_PNR})"));
    browser
        .wait_for_text("#msg.ok", "Done: Enter security code", WAIT)
        .await?;

    let body = collect_ok(&sim, r).await;
    assert_state(&body, "complete", None);
    let user = &body["completionData"]["user"];
    assert_eq!(user["name"], DEFAULT_NAME, "{body}");
    assert_eq!(user["personalNumber"], DEFAULT_PNR, "{body}");
    browser.screenshot("phone-page-complete.png").await?;
    // The page's one-column layout, as on a phone-sized window.
    browser.set_window_size(420, 900).await?;
    browser.screenshot("phone-page-narrow.png").await?;
    browser.close().await?;
    Ok(())
}

#[tokio::test]
async fn phone_orders_complete_after_the_call_is_confirmed_and_fail_when_it_is_declined()
-> TestResult {
    let sim = Sim::start().await;
    let browser = phone_page(&sim).await?;
    let confirmed = sim.start_phone("191212121212", "RP").await;
    let declined = sim.start_phone("199908072391", "user").await;

    let card_text = shows(&browser, &confirmed, "pending · outstandingTransaction").await?;
    assert!(
        card_text.starts_with("Phone identify"),
        "card: {card_text:?}"
    );
    assert!(
        card_text.contains("for 191212121212 · call by RP"),
        "card: {card_text:?}"
    );
    // The header names the phone's user (Åsa); a phone order answers as the person it names, and says so.
    assert!(
        card_text.contains("The app answers as Tolvan Tolvansson\nfor 191212121212"),
        "card: {card_text:?}"
    );
    browser.screenshot("phone-page-phone-order.png").await?;
    press(&browser, &confirmed, "Open BankID app").await?;
    shows(&browser, &confirmed, "pending · userCallConfirm").await?;
    assert_state(
        &collect_ok(&sim, &confirmed).await,
        "pending",
        Some("userCallConfirm"),
    );
    press(&browser, &confirmed, "Yes, I am on a call").await?;
    shows(&browser, &confirmed, "pending · userSign").await?;
    press(&browser, &confirmed, "Enter security code").await?;
    let done = shows(&browser, &confirmed, "✔ Tolvan Tolvansson").await?;
    assert!(!done.contains("answers as"), "card: {done:?}");
    let body = collect_ok(&sim, &confirmed).await;
    assert_state(&body, "complete", None);
    assert_eq!(
        body["completionData"]["user"]["personalNumber"], "191212121212",
        "{body}"
    );

    shows(&browser, &declined, "call by user").await?;
    press(&browser, &declined, "Open BankID app").await?;
    press(&browser, &declined, "No, I am not").await?;
    shows(&browser, &declined, "failed · userDeclinedCall").await?;
    assert_state(
        &collect_ok(&sim, &declined).await,
        "failed",
        Some("userDeclinedCall"),
    );
    browser.close().await?;
    Ok(())
}

#[tokio::test]
async fn scan_qr_reaches_user_sign_and_polling_keeps_the_button() -> TestResult {
    let sim = Sim::start().await;
    let browser = phone_page(&sim).await?;
    let order = sim.start_auth().await;
    let r = order.order_ref.as_str();

    // The page polls every second but rebuilds the list only when it changed, so an element found now is
    // still the one on screen after a few polls: a person's click or keyboard focus is not lost to a poll.
    shows(&browser, r, "pending · outstandingTransaction").await?;
    let scan = browser
        .find(&format!("{}[data-action=\"scan-current\"]", buttons(r)))
        .await?;
    assert_eq!(scan.text().await?, "Scan QR");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    scan.click().await?;
    shows(&browser, r, "pending · userSign").await?;
    assert_state(&collect_ok(&sim, r).await, "pending", Some("userSign"));
    browser.close().await?;
    Ok(())
}

#[tokio::test]
async fn a_preset_person_chosen_on_the_page_is_the_one_who_completes() -> TestResult {
    let sim = Sim::start().await;
    let browser = phone_page(&sim).await?;
    // The form starts with the current user, then the preset fills it.
    browser.wait_for_text("#who", DEFAULT_NAME, WAIT).await?;
    browser
        .select("#preset", "Tolvan Tolvansson (191212121212)")
        .await?;
    assert_eq!(value(&browser, "#pnr").await?, "191212121212");
    assert_eq!(value(&browser, "#given").await?, "Tolvan");
    assert_eq!(value(&browser, "#surname").await?, "Tolvansson");
    browser
        .click_text("button#saveUser", "Use this person", WAIT)
        .await?;
    browser
        .wait_for_text(
            "#who",
            "Phone's user: Tolvan Tolvansson (191212121212)",
            WAIT,
        )
        .await?;
    let (_, user) = sim.admin_get("/admin/user").await;
    assert_eq!(user["personalNumber"], "191212121212", "{user}");

    let order = sim.start_auth().await;
    let r = order.order_ref.as_str();
    press(&browser, r, "Open with autostart").await?;
    press(&browser, r, "Enter security code").await?;
    shows(&browser, r, "✔ Tolvan Tolvansson").await?;
    let body = collect_ok(&sim, r).await;
    assert_state(&body, "complete", None);
    assert_eq!(
        body["completionData"]["user"]["personalNumber"], "191212121212",
        "{body}"
    );
    assert_eq!(
        body["completionData"]["user"]["name"], "Tolvan Tolvansson",
        "{body}"
    );
    browser.close().await?;
    Ok(())
}

#[tokio::test]
async fn a_fault_injected_from_the_page_hits_the_next_collect_only() -> TestResult {
    let sim = Sim::start().await;
    let browser = phone_page(&sim).await?;
    browser.wait_for_text("#faults", "No faults.", WAIT).await?;
    let order = sim.start_auth().await;
    let r = order.order_ref.as_str();

    browser.select("#fEndpoint", "collect").await?;
    browser.select("#fKind", "503 maintenance").await?;
    browser
        .click_text("button#addFault", "Inject", WAIT)
        .await?;
    browser
        .wait_for_text("#faults", "Active: maintenance on collect ×1", WAIT)
        .await?;
    browser
        .wait_for_text("#msg.ok", "Fault injected.", WAIT)
        .await?;

    let (status, body) = sim.collect(r).await;
    assert_bankid_error(status, &body, 503, "maintenance");
    // Spent: the next collect is answered normally, and the page says so.
    assert_state(
        &collect_ok(&sim, r).await,
        "pending",
        Some("outstandingTransaction"),
    );
    browser.wait_for_text("#faults", "No faults.", WAIT).await?;
    browser.close().await?;
    Ok(())
}

#[tokio::test]
async fn thirty_seconds_on_the_clock_fail_an_unopened_order_with_start_failed() -> TestResult {
    let sim = Sim::start().await;
    let browser = phone_page(&sim).await?;
    let order = sim.start_auth().await;
    let r = order.order_ref.as_str();
    shows(&browser, r, "pending · outstandingTransaction").await?;
    let before = sim.now().await;

    browser
        .click_text("button[data-advance]", "+30 s", WAIT)
        .await?;
    shows(&browser, r, "failed · startFailed").await?;
    browser
        .wait_for_text("#msg.ok", "Clock moved +30 s.", WAIT)
        .await?;
    assert!(sim.now().await >= before + 30.0, "the clock moved 30 s");
    assert_state(&collect_ok(&sim, r).await, "failed", Some("startFailed"));
    assert!(
        browser.find_all(&buttons(r)).await?.is_empty(),
        "a failed order has no buttons"
    );
    browser.close().await?;
    Ok(())
}

#[tokio::test]
async fn dropping_the_browser_leaves_no_chromium_or_chromedriver_process() -> TestResult {
    let browser = Browser::start().await?;
    browser.goto("about:blank").await?;
    let dir = browser.temp_dir().to_owned();
    let driver = std::path::Path::new("/proc").join(browser.driver_pid().to_string());
    assert!(!pids_naming(&dir).is_empty(), "Chromium runs in {dir:?}");
    assert!(driver.exists(), "chromedriver runs");
    drop(browser); // what a failing test does: no `close`
    assert_eq!(pids_naming(&dir), Vec::<String>::new(), "left behind");
    assert!(!driver.exists(), "chromedriver is gone");
    assert!(!dir.exists(), "the temporary folder is deleted");
    Ok(())
}

/// Processes whose command line names `path`.
fn pids_naming(path: &std::path::Path) -> Vec<String> {
    let out = std::process::Command::new("pgrep")
        .arg("-f")
        .arg(path)
        .output()
        .expect("pgrep");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}
