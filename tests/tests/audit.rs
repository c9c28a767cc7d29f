//! End to end over HTTP: the audit log (DESIGN.md §5). Every ended order leaves one row in D1 that says
//! what kind of check it was and how it ended; nothing in it names the person or gives the order id away;
//! each tenant's backend reads its own rows only, page by page, as JSON or CSV; rows outlive a restart.

use std::time::{Duration, Instant};

use legit_tests::browser::Browser;
use legit_tests::edge::{ALLOWED_ORIGIN, Answer, Edge, TENANT, default_tenants, new_api_key};
use legit_tests::{DEFAULT_GIVEN_NAME, DEFAULT_PNR, DEFAULT_SURNAME, Sim, StatusCode};
use reqwest::Method;
use serde_json::{Value, json};

/// A second tenant, to show that one tenant never reads another's rows.
const OTHER_TENANT: &str = "other";

async fn stack() -> (Sim, Edge, String) {
    let sim = Sim::start().await;
    let api_key = new_api_key();
    let other_key = new_api_key();
    let mut tenants = default_tenants(&api_key, &[]);
    tenants[OTHER_TENANT] = json!({
        "displayName": "Other AB",
        "allowedOrigins": ["https://other.test.example"],
        "apiKeyHashes": [legit_core::tenant::api_key_hash(&other_key)],
    });
    let edge = Edge::start_with(&sim, api_key, tenants, None).await;
    (sim, edge, other_key)
}

async fn audit(edge: &Edge, key: &str, query: &str) -> Answer {
    let request = edge
        .request(Method::GET, &format!("/admin/audit{query}"))
        .bearer_auth(key);
    edge.send(request, &format!("GET /admin/audit{query}"))
        .await
}

/// The tenant's rows once there are `n` of them: rows are written as an order ends, just after its final
/// event goes out.
async fn rows(edge: &Edge, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let answer = audit(edge, &edge.api_key, "").await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
        let entries = answer.body["entries"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if entries.len() >= n || Instant::now() > deadline {
            assert_eq!(entries.len(), n, "audit rows: {entries:#?}");
            return entries;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Each row as (kind, channel, outcome, code): what a row says of the check.
fn summary(entries: &[Value]) -> Vec<(&str, &str, &str, Option<&str>)> {
    entries
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap(),
                e["channel"].as_str().unwrap(),
                e["outcome"].as_str().unwrap(),
                e["code"].as_str(),
            )
        })
        .collect()
}

/// One order approved, one cancelled by the page, one cancelled by the person in the app.
async fn three_orders(sim: &Sim, edge: &Edge) -> [String; 3] {
    let done = edge.start_order(json!({"kind": "auth"})).await;
    let done_id = done["orderId"].as_str().unwrap().to_owned();
    let mut events = edge.events(&done_id).await;
    let (status, _) = sim
        .admin_post(
            "/admin/open",
            json!({"autoStartToken": done["autoStartToken"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let order_ref = sim.orders().await[0]["orderRef"]
        .as_str()
        .unwrap()
        .to_owned();
    sim.act_ok(&order_ref, "approve", None).await;
    assert_eq!(events.final_state().await["status"], "complete");

    let cancelled_id = edge.start_order_id(json!({"kind": "auth"})).await;
    assert_eq!(edge.cancel(&cancelled_id).await.status, StatusCode::OK);

    // Bound to a person, so started with the tenant's API key: the backend's door.
    let refused = edge
        .start_order(
            json!({"kind": "sign", "userVisibleData": "Godkänn", "personalNumber": DEFAULT_PNR}),
        )
        .await;
    let refused_id = refused["orderId"].as_str().unwrap().to_owned();
    let mut events = edge.events(&refused_id).await;
    let order_ref = sim
        .orders()
        .await
        .into_iter()
        .find(|o| o["status"] == "pending")
        .and_then(|o| o["orderRef"].as_str().map(str::to_owned))
        .expect("the sign order");
    sim.act_ok(&order_ref, "cancel", None).await;
    assert_eq!(events.final_state().await["hintCode"], "userCancel");
    [done_id, cancelled_id, refused_id]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_ended_order_leaves_one_row_that_names_nobody() {
    let (sim, mut edge, other_key) = stack().await;
    let ids = three_orders(&sim, &edge).await;
    let entries = rows(&edge, 3).await;

    let seen = summary(&entries);
    assert_eq!(
        seen,
        [
            ("auth", "page", "complete", None),
            ("auth", "page", "cancelled", Some("cancelled")),
            ("sign", "backend", "cancelled", Some("userCancel")),
        ]
    );
    let hashes: Vec<&str> = entries
        .iter()
        .map(|e| e["order"].as_str().unwrap())
        .collect();
    for h in &hashes {
        assert_eq!(h.len(), 32, "{h}");
        assert!(h.bytes().all(|b| b.is_ascii_hexdigit()), "{h}");
    }
    assert_ne!(hashes[0], hashes[1]);
    assert!(entries[0]["at"].as_str().unwrap().ends_with('Z'));

    let text = serde_json::to_string(&entries).unwrap();
    for secret in [DEFAULT_PNR, DEFAULT_GIVEN_NAME, DEFAULT_SURNAME, TENANT]
        .into_iter()
        .chain(ids.iter().map(String::as_str))
    {
        assert!(
            !text.contains(secret),
            "{secret:?} is in the audit log: {text}"
        );
    }
    // The Worker's own log says the same and no more.
    let printed = edge.launcher_output();
    assert_eq!(printed.matches("audit tenant=demo").count(), 3, "{printed}");
    for secret in [DEFAULT_PNR, DEFAULT_GIVEN_NAME, DEFAULT_SURNAME] {
        assert!(!printed.contains(secret), "{secret:?} was printed");
    }
    // Orders go by their audit hash there too, so support can match a console line to its row; not even a
    // prefix of an id is printed.
    for id in &ids {
        assert!(!printed.contains(&id[..8]), "{id} was printed: {printed}");
    }
    for h in &hashes {
        assert!(
            printed.contains(&format!("order {h} (")),
            "no console line names {h}: {printed}"
        );
    }

    // Another tenant's backend sees none of it.
    let other = audit(&edge, &other_key, "").await;
    assert_eq!(other.status, StatusCode::OK);
    assert_eq!(other.body["entries"], json!([]));

    // The log is D1's, not the Worker's memory: a restart keeps it.
    edge.restart().await;
    let after = rows(&edge, 3).await;
    assert_eq!(after, entries);
    edge.assert_no_secrets(&sim).await;
}

/// A check BankID turned away is still a check: a backend's second phone order for the same person
/// (`alreadyInProgress`), and a page's and an IVR call's start during BankID's maintenance, each leave a
/// failed row with the code, though no order came of them. A start refused before BankID (a mistyped number) leaves none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starts_bankid_refuses_are_logged_and_starts_refused_here_are_not() {
    let (sim, edge, _) = stack().await;
    let phone = json!({"kind": "phoneAuth", "personalNumber": DEFAULT_PNR, "callInitiator": "RP"});
    let first = edge.post_as_agent("/api/v1/orders", &phone).await;
    assert_eq!(first.status, StatusCode::CREATED, "{first:?}");
    let second = edge.post_as_agent("/api/v1/orders", &phone).await;
    assert_eq!(second.status, StatusCode::CONFLICT, "{second:?}");
    sim.add_fault(json!({"endpoint": "auth", "kind": "maintenance"}))
        .await;
    let down = edge.post("/api/v1/orders", &json!({"kind": "auth"})).await;
    assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE, "{down:?}");
    sim.add_fault(json!({"endpoint": "phone/auth", "kind": "maintenance"}))
        .await;
    let ivr = edge
        .send(
            edge.request(Method::POST, "/api/v1/ivr/orders")
                .bearer_auth(&edge.api_key)
                .json(&json!({"personalNumber": DEFAULT_PNR, "callId": "c-1"})),
            "POST /api/v1/ivr/orders",
        )
        .await;
    assert_eq!(ivr.status, StatusCode::SERVICE_UNAVAILABLE, "{ivr:?}");
    let mistyped = edge
        .post_as_agent(
            "/api/v1/orders",
            &json!({"kind": "phoneAuth", "personalNumber": "198112289875", "callInitiator": "RP"}),
        )
        .await;
    assert_eq!(mistyped.status, StatusCode::BAD_REQUEST, "{mistyped:?}");

    // BankID ended the first order when the second was tried: its row comes from its object.
    let entries = rows(&edge, 4).await;
    let mut seen = summary(&entries);
    seen.sort_unstable();
    assert_eq!(
        seen,
        [
            ("auth", "page", "failed", Some("bankid_unavailable")),
            ("phoneAuth", "backend", "cancelled", Some("cancelled")),
            (
                "phoneAuth",
                "backend",
                "failed",
                Some("already_in_progress")
            ),
            ("phoneAuth", "ivr", "failed", Some("bankid_unavailable")),
        ]
    );
    let text = serde_json::to_string(&entries).unwrap();
    assert!(!text.contains(DEFAULT_PNR), "{text}");
    // Each row stands for itself: no two share an order hash.
    let mut hashes: Vec<&str> = entries
        .iter()
        .map(|e| e["order"].as_str().unwrap())
        .collect();
    hashes.sort_unstable();
    hashes.dedup();
    assert_eq!(hashes.len(), 4, "{entries:#?}");
    edge.assert_no_secrets(&sim).await;
}

/// `GET /admin` as the administrator's browser asks for it: the API key as a Basic password.
async fn admin_page(edge: &Edge, query: &str, key: Option<&str>, origin: Option<&str>) -> Answer {
    let mut request = edge.request(Method::GET, &format!("/admin{query}"));
    if let Some(key) = key {
        request = request.basic_auth("admin", Some(key));
    }
    if let Some(origin) = origin {
        request = request.header("Origin", origin);
    }
    edge.send(request, &format!("GET /admin{query}")).await
}

/// The administrator's page (DESIGN.md §1): the browser asks for the tenant's API key and the page lists
/// the checks by date, a page at a time, with the same filter as CSV; no script, nothing personal, no
/// order id. In Chromium it reads as a table and passes axe-core.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_administrator_reads_the_log_as_a_page_after_giving_the_api_key()
-> Result<(), Box<dyn std::error::Error>> {
    let (sim, edge, other_key) = stack().await;
    let ids = three_orders(&sim, &edge).await;
    rows(&edge, 3).await;

    let challenge = admin_page(&edge, "", None, None).await;
    assert_eq!(challenge.status, StatusCode::UNAUTHORIZED, "{challenge:?}");
    assert!(
        challenge
            .header("www-authenticate")
            .starts_with("Basic realm="),
        "{challenge:?}"
    );
    let wrong = admin_page(&edge, "", Some("not-the-key"), None).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{wrong:?}");
    // A script on another site cannot ride on the browser's remembered credentials.
    let scripted = admin_page(&edge, "", Some(&edge.api_key), Some(ALLOWED_ORIGIN)).await;
    assert_eq!(scripted.status, StatusCode::FORBIDDEN, "{scripted:?}");

    let page = admin_page(&edge, "", Some(&edge.api_key), None).await;
    assert_eq!(page.status, StatusCode::OK, "{page:?}");
    assert!(page.content_type.starts_with("text/html"), "{page:?}");
    let csp = page.header("content-security-policy");
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    let html = page.body.as_str().expect("HTML");
    assert_eq!(html.matches("<tr class=").count(), 3, "{html}");
    // The latest check comes first: the sign order the person cancelled, then the page's cancel, then the
    // identification.
    let at = |text: &str| {
        html.find(text)
            .unwrap_or_else(|| panic!("{text} in {html}"))
    };
    // (The code column, which the hash follows: `cancelled` is also the first two rows' outcome.)
    let (user_cancel, page_cancel) = (
        at("<td>userCancel</td>"),
        at("<td>cancelled</td><td class=\"hash\">"),
    );
    assert!(
        user_cancel < page_cancel && page_cancel < at("<tr class=\"complete\">"),
        "{html}"
    );
    // A page of two leads to the older one.
    let newest_two = admin_page(&edge, "?limit=2", Some(&edge.api_key), None).await;
    let html = newest_two.body.as_str().expect("HTML");
    assert_eq!(html.matches("<tr class=").count(), 2, "{html}");
    let older = html
        .split("<a href=\"")
        .filter_map(|a| a.split_once("\">Older checks</a>"))
        .map(|(href, _)| href.replace("&amp;", "&"))
        .next()
        .expect("a link to older checks");
    let older = admin_page(
        &edge,
        older.trim_start_matches("/admin"),
        Some(&edge.api_key),
        None,
    )
    .await;
    let html = older.body.as_str().expect("HTML");
    assert!(
        html.contains("<tr class=\"complete\">") && html.matches("<tr class=").count() == 1,
        "{html}"
    );
    for secret in [DEFAULT_PNR, DEFAULT_GIVEN_NAME, DEFAULT_SURNAME]
        .into_iter()
        .chain(ids.iter().map(String::as_str))
    {
        assert!(!html.contains(secret), "{secret:?} is on the admin page");
    }
    // The demo's RP certificate is good for two years: no warning.
    assert!(!html.contains("class=\"warning\""), "{html}");

    // The form's empty fields are no filter; a window long past has nothing; a bad date says what is wrong.
    let empty_fields = admin_page(&edge, "?from=&to=&order=", Some(&edge.api_key), None).await;
    assert_eq!(
        empty_fields
            .body
            .as_str()
            .unwrap()
            .matches("<tr class=")
            .count(),
        3
    );
    let past = admin_page(
        &edge,
        "?from=2001-01-01&to=2001-01-31",
        Some(&edge.api_key),
        None,
    )
    .await;
    assert!(
        past.body
            .as_str()
            .unwrap()
            .contains("No checks in this period.")
    );
    let bad = admin_page(&edge, "?from=yesterday", Some(&edge.api_key), None).await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(
        bad.body.as_str().unwrap().contains("class=\"error\""),
        "{bad:?}"
    );
    // Support finds one order by the id it was given.
    let one = admin_page(
        &edge,
        &format!("?order={}", ids[1]),
        Some(&edge.api_key),
        None,
    )
    .await;
    assert_eq!(one.body.as_str().unwrap().matches("<tr class=").count(), 1);
    // The CSV link downloads every matching row.
    let csv = admin_page(&edge, "?format=csv", Some(&edge.api_key), None).await;
    assert!(csv.content_type.starts_with("text/csv"), "{csv:?}");
    assert_eq!(csv.body.as_str().unwrap().lines().count(), 4);
    // Another tenant's key sees its own (empty) log.
    let other = admin_page(&edge, "", Some(&other_key), None).await;
    assert!(
        other
            .body
            .as_str()
            .unwrap()
            .contains("No checks in this period.")
    );

    let browser = Browser::start().await?;
    browser.set_window_size(1000, 700).await?;
    let with_key = edge
        .base_url
        .replacen("://", &format!("://admin:{}@", edge.api_key), 1);
    browser.goto(&format!("{with_key}/admin")).await?;
    browser
        .wait_for("tbody tr", Duration::from_secs(20))
        .await?;
    assert_eq!(browser.find_all("tbody tr").await?.len(), 3);
    browser.screenshot("admin-audit-1000.png").await?;
    assert_eq!(
        browser.axe_violations().await?,
        json!([]),
        "axe-core on the admin page"
    );
    browser.close().await?;
    edge.assert_no_secrets(&sim).await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_is_read_in_pages_as_json_or_csv_by_the_tenants_backend_only() {
    let (sim, edge, _) = stack().await;
    let ids = three_orders(&sim, &edge).await;
    let all = rows(&edge, 3).await;

    // Pages of two: the cursor leads to the rest, and the last page has none.
    let first = audit(&edge, &edge.api_key, "?limit=2").await;
    assert_eq!(first.body["entries"].as_array().unwrap()[..], all[..2]);
    let cursor = first.body["nextCursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let second = audit(&edge, &edge.api_key, &format!("?limit=2&cursor={cursor}")).await;
    assert_eq!(second.body["entries"].as_array().unwrap()[..], all[2..]);
    assert_eq!(second.body.get("nextCursor"), None);
    // Newest first, the cursor leads back in time.
    let latest = audit(&edge, &edge.api_key, "?limit=2&sort=newest").await;
    assert_eq!(
        latest.body["entries"].as_array().unwrap()[..],
        [all[2].clone(), all[1].clone()]
    );
    let cursor_back = latest.body["nextCursor"].as_str().expect("an older page");
    let oldest = audit(
        &edge,
        &edge.api_key,
        &format!("?limit=2&sort=newest&cursor={cursor_back}"),
    )
    .await;
    assert_eq!(oldest.body["entries"], json!([all[0]]));
    assert_eq!(oldest.body.get("nextCursor"), None);
    let bad = audit(&edge, &edge.api_key, "?sort=desc").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["error"]["code"], "invalid_sort");

    // Time windows: today has all three, a day long past none.
    let today = &all[0]["at"].as_str().unwrap()[..10];
    let window = audit(&edge, &edge.api_key, &format!("?from={today}&to={today}")).await;
    assert_eq!(window.body["entries"].as_array().unwrap().len(), 3);
    let past = audit(&edge, &edge.api_key, "?from=2001-01-01&to=2001-01-31").await;
    assert_eq!(past.body["entries"], json!([]));

    // CSV for a spreadsheet: a header and a line per row.
    let csv = audit(&edge, &edge.api_key, "?format=csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.content_type.starts_with("text/csv"),
        "{}",
        csv.content_type
    );
    let text = csv.body.as_str().expect("CSV text");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "at,kind,channel,outcome,code,order");
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[1].contains(",auth,page,complete,,"), "{}", lines[1]);
    // …streamed as it is read, not held whole first, and never cached on the way.
    assert_eq!(csv.header("content-length"), "", "{csv:?}");
    assert_eq!(csv.header("cache-control"), "no-store", "{csv:?}");
    // A download broken off resumes after the last row it got; a CSV has no pages to limit.
    let rest = audit(
        &edge,
        &edge.api_key,
        &format!("?format=csv&cursor={cursor}"),
    )
    .await;
    let rest = rest.body.as_str().expect("CSV text").to_owned();
    assert_eq!(rest.lines().collect::<Vec<_>>()[..], [lines[0], lines[3]]);
    let bad = audit(&edge, &edge.api_key, "?format=csv&limit=2").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["error"]["code"], "invalid_limit");

    // Support, given an order id, finds that order's row (the edge hashes the id; the log never holds it).
    let one = audit(&edge, &edge.api_key, &format!("?order={}", ids[2])).await;
    assert_eq!(one.status, StatusCode::OK, "{one:?}");
    assert_eq!(one.body["entries"], json!([all[2]]));
    let unknown = audit(&edge, &edge.api_key, &format!("?order={}", "0".repeat(32))).await;
    assert_eq!(unknown.body["entries"], json!([]));
    let bad = audit(&edge, &edge.api_key, "?order=198112289874").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["error"]["code"], "invalid_order");

    // Bad questions are answered with what is wrong, not with rows.
    let bad = audit(&edge, &edge.api_key, "?from=yesterday").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["error"]["code"], "invalid_time");
    let bad = audit(
        &edge,
        &edge.api_key,
        &format!("?personalNumber={DEFAULT_PNR}"),
    )
    .await;
    assert_eq!(bad.body["error"]["code"], "unknown_parameter");

    // Only the tenant's API key, from a server: no key, a wrong one, an agent session or a browser page
    // get nothing.
    let none = edge
        .send(edge.request(Method::GET, "/admin/audit"), "no key")
        .await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    let wrong = audit(&edge, &new_api_key(), "").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let session = edge.agent_session().await;
    let as_agent = audit(&edge, &session, "").await;
    assert_eq!(as_agent.status, StatusCode::FORBIDDEN);
    let from_page = edge
        .send(
            edge.request(Method::GET, "/admin/audit")
                .bearer_auth(&edge.api_key)
                .header("Origin", ALLOWED_ORIGIN),
            "from a page",
        )
        .await;
    assert_eq!(from_page.status, StatusCode::FORBIDDEN);
    edge.assert_no_secrets(&sim).await;
}
