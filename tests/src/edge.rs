//! Harness for end-to-end scenarios through the edge: the real Worker (`edge/build/`, built by `cargo xtask
//! test`) in Miniflare (`edge/local/run.mjs`), its mTLS binding pointed at a test's own simulator.
//!
//! [`Edge::start`] writes the simulator's certificates to a fresh folder and starts the launcher on a free port
//! with a fresh Durable Object store; [`Edge::restart`] stops the runtime and starts it again on the same port
//! and store, as a Cloudflare runtime restart would. Dropping an [`Edge`] stops the launcher with SIGTERM
//! (never SIGKILL, which would orphan workerd); its stdin is a pipe held here, so even if the test process dies
//! the launcher sees it close and stops.
//!
//! Everything the edge answered (every body, every SSE stream as raw text) and everything the launcher printed is
//! kept, so a test can assert that no secret ever left the edge ([`Edge::assert_no_secrets`]).

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE};
use serde_json::{Value, json};

use crate::Sim;
use crate::browser::{Browser, BrowserError};

/// How long the launcher may take to print `ready`.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long it may take to stop after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// Default wait for the next SSE event: several 2 s collect slots.
pub const EVENT_TIMEOUT: Duration = Duration::from_secs(20);
/// The header naming the tenant on a browser's request.
pub const TENANT_HEADER: &str = "X-Legit-Tenant";
/// The tenant every harness request names (`X-Legit-Tenant`) unless a test builds its own request.
pub const TENANT: &str = "demo";
/// A site the default tenant allows, for CORS and CSP scenarios.
pub const ALLOWED_ORIGIN: &str = "https://crm.test.example";
/// The SMS sender id a test edge's links come from.
pub const SMS_SENDER: &str = "DemoBank";
/// The sender address of a test edge's e-mails.
pub const EMAIL_FROM: &str = "noreply@legit.test";
/// The fake providers' credentials; [`Edge::assert_no_secrets`] holds the edge to never showing them.
const SMS_USER: &str = "legit-edge";
const SMS_PASSWORD: &str = "sms-pässword-for-tests-0123456789";
const EMAIL_KEY: &str = "email-key-for-tests-0123456789abcdef";

/// The TENANTS document a test edge runs with by default: one tenant, [`TENANT`], allowing
/// [`ALLOWED_ORIGIN`] and `extra_origins`, with `api_key`, full disclosure and a Unicode display name.
pub fn default_tenants(api_key: &str, extra_origins: &[&str]) -> Value {
    let mut origins = vec![ALLOWED_ORIGIN.to_owned()];
    origins.extend(extra_origins.iter().map(|o| (*o).to_owned()));
    serde_json::json!({
        TENANT: {
            "displayName": "Demo Försäkring",
            "locale": "sv",
            "allowedOrigins": origins,
            "apiKeyHashes": [legit_core::tenant::api_key_hash(api_key)],
            "disclosure": {"personalNumber": "full", "names": true},
            "retentionSeconds": 600
        }
    })
}

/// A fresh random API key: 64 hex digits (244 random bits).
pub fn new_api_key() -> String {
    let part = || uuid::Uuid::new_v4().simple().to_string();
    format!("{}{}", part(), part())
}

/// The project root (the workspace).
fn project_root() -> PathBuf {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR"));
    tests.parent().unwrap_or(tests).to_owned()
}

/// What the edge answered: status, `Content-Type` and body as JSON (`Value::Null` when empty, a string when it
/// is not JSON).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    pub content_type: String,
    /// `Cache-Control`, empty when absent.
    pub cache_control: String,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    /// A header's value, empty when absent.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

/// One server-sent event: its `event:` name (`message` when absent) and its `data:` as JSON (a string when
/// it is not JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct SseEvent {
    pub event: String,
    pub data: Value,
}

/// A running edge Worker. Dropping it stops the runtime.
pub struct Edge {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base_url: String,
    client: reqwest::Client,
    launcher: Option<Launcher>,
    port: u16,
    bankid_base: String,
    dir: TempDir,
    /// Every body the edge answered, SSE streams as their raw text.
    captured: Arc<Mutex<Vec<String>>>,
    /// Everything the launcher (and so workerd and the Worker's console) printed, across restarts.
    output: Arc<Mutex<String>>,
    /// The default tenant's API key (the tenant's backend, the IVR).
    pub api_key: String,
    /// The order token of each order started through [`Edge::start_order`], by order id.
    order_tokens: Mutex<std::collections::HashMap<String, String>>,
    /// `--assets`, when not the launcher's default (`widget/dist`).
    assets: Option<PathBuf>,
    /// The fake SMS and e-mail providers the edge sends links through (`legit_demo::providers`), when
    /// started with them.
    pub providers: Option<legit_demo::providers::Running>,
    /// `--rate-limit-factor`: 1 (wrangler.toml's limits) but for load tests.
    rate_limit_factor: u32,
    /// `--var`s after the providers' ([`Edge::restart_with_var`]); a later one overrides.
    extra_vars: Vec<String>,
}

struct Launcher {
    child: Child,
    /// Held, never written: the launcher stops when it closes.
    stdin: Option<ChildStdin>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl Edge {
    /// Starts the Worker in Miniflare against `sim`, on a free port with an empty store, with
    /// [`default_tenants`].
    pub async fn start(sim: &Sim) -> Edge {
        let api_key = new_api_key();
        let tenants = default_tenants(&api_key, &[]);
        Edge::start_with(sim, api_key, tenants, None).await
    }

    /// [`Edge::start`] with every rate limit a hundred times wrangler.toml's: a load test sends thousands of
    /// orders from one address in a minute, which the limits exist to refuse.
    pub async fn start_for_load(sim: &Sim) -> Edge {
        let api_key = new_api_key();
        let tenants = default_tenants(&api_key, &[]);
        Edge::start_full(sim, api_key, tenants, None, true, 100).await
    }

    /// [`Edge::start`] with a TENANTS document of the test's own (`api_key` is what [`Edge::start_order`]
    /// sends for phone orders) and, when given, another folder of widget files than `widget/dist`.
    pub async fn start_with(
        sim: &Sim,
        api_key: String,
        tenants: Value,
        assets: Option<PathBuf>,
    ) -> Edge {
        Edge::start_with_providers(sim, api_key, tenants, assets, true).await
    }

    /// [`Edge::start_with`], choosing whether the fake SMS and e-mail providers run and the edge is
    /// configured to send links through them (`false`: no provider settings at all).
    pub async fn start_with_providers(
        sim: &Sim,
        api_key: String,
        tenants: Value,
        assets: Option<PathBuf>,
        with_providers: bool,
    ) -> Edge {
        Edge::start_full(sim, api_key, tenants, assets, with_providers, 1).await
    }

    async fn start_full(
        sim: &Sim,
        api_key: String,
        tenants: Value,
        assets: Option<PathBuf>,
        with_providers: bool,
        rate_limit_factor: u32,
    ) -> Edge {
        let providers = if with_providers {
            let credentials = legit_demo::providers::Credentials {
                sms_user: SMS_USER.into(),
                sms_password: legit_core::provider::Secret::new(SMS_PASSWORD),
                email_key: legit_core::provider::Secret::new(EMAIL_KEY),
            };
            Some(
                legit_demo::providers::start(legit_demo::providers::Config {
                    addr: ([127, 0, 0, 1], 0).into(),
                    credentials,
                })
                .await
                .expect("start the fake SMS and e-mail providers"),
            )
        } else {
            None
        };
        let root = project_root();
        for needed in ["edge/build/index.js", "edge/local/node_modules/miniflare"] {
            assert!(
                root.join(needed).exists(),
                "{needed} is missing: run `cargo xtask test` (it builds the edge) or `cargo xtask install`"
            );
        }
        let dir = TempDir::new("legit-edge");
        sim.certs
            .write(&dir.0.join("certs"))
            .expect("write the simulator's certificates for the launcher");
        std::fs::write(dir.0.join("tenants.json"), tenants.to_string())
            .expect("write tenants.json");
        let bankid_base = sim.running.rp_url.trim_end_matches('/').to_owned();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("edge client");
        let mut edge = Edge {
            base_url: String::new(),
            client,
            launcher: None,
            port: 0,
            bankid_base,
            dir,
            captured: Arc::default(),
            output: Arc::default(),
            api_key,
            order_tokens: Mutex::default(),
            assets,
            providers,
            rate_limit_factor,
            extra_vars: Vec::new(),
        };
        edge.launch().await;
        edge
    }

    /// Stops the runtime (SIGTERM, as a deploy or an eviction would) and starts it again on the same port with
    /// the same Durable Object store. SSE streams opened before end; open new ones.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.start_again().await;
    }

    /// The first half of [`Edge::restart`]: the runtime is gone (its port refuses connections) until
    /// [`Edge::start_again`], so a test can look at what viewers show meanwhile.
    pub async fn stop(&mut self) {
        let mut launcher = self.launcher.take().expect("the edge is running");
        launcher.terminate();
        let deadline = Instant::now() + STOP_TIMEOUT;
        while launcher.running() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        launcher.finish();
    }

    /// [`Edge::restart`] with one more binding, `NAME=VALUE`, over what the edge had (e.g. a provider URL
    /// that never answers).
    pub async fn restart_with_var(&mut self, var: &str) {
        self.stop().await;
        self.extra_vars.push(var.to_owned());
        self.start_again().await;
    }

    /// The second half of [`Edge::restart`].
    pub async fn start_again(&mut self) {
        assert!(self.launcher.is_none(), "stop the edge first");
        self.launch().await;
    }

    /// Spawns `node edge/local/run.mjs` and waits for its `ready` line.
    async fn launch(&mut self) {
        let root = project_root();
        let mut command = Command::new("node");
        if let Some(assets) = &self.assets {
            command
                .arg(root.join("edge/local/run.mjs"))
                .arg("--assets")
                .arg(assets);
        } else {
            command.arg(root.join("edge/local/run.mjs"));
        }
        let mut child = command
            .args(["--port", &self.port.to_string()])
            .arg("--certs")
            .arg(self.dir.0.join("certs"))
            .args(["--bankid-base", &self.bankid_base])
            .arg("--tenants")
            .arg(self.dir.0.join("tenants.json"))
            .arg("--persist")
            .arg(self.dir.0.join("state"))
            .args(["--rate-limit-factor", &self.rate_limit_factor.to_string()])
            .args(
                self.provider_vars()
                    .iter()
                    .chain(&self.extra_vars)
                    .flat_map(|v| ["--var", v.as_str()]),
            )
            .current_dir(&root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start `node edge/local/run.mjs` (is Node.js 20+ installed?)");
        let stdin = child.stdin.take();
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<String>();
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        let out = Arc::clone(&self.output);
        let stdout_reader = std::thread::spawn(move || {
            let mut ready_tx = Some(ready_tx);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                out.lock().unwrap().push_str(&format!("[stdout] {line}\n"));
                if let Some(url) = line.strip_prefix("ready ") {
                    if let Some(tx) = ready_tx.take() {
                        let _ = tx.send(url.trim().to_owned());
                    }
                }
            }
        });
        let out = Arc::clone(&self.output);
        let stderr_reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                // Shown with the test's output when it fails.
                eprintln!("[edge] {line}");
                out.lock().unwrap().push_str(&format!("[stderr] {line}\n"));
            }
        });
        let launcher = Launcher {
            child,
            stdin,
            readers: vec![stdout_reader, stderr_reader],
        };
        let started = Instant::now();
        let url = match tokio::time::timeout(READY_TIMEOUT, ready_rx).await {
            Ok(Ok(url)) => url,
            outcome => {
                let mut launcher = launcher;
                launcher.stop();
                let why = if outcome.is_err() {
                    format!("did not say `ready` within {READY_TIMEOUT:?}")
                } else {
                    "exited before it was ready".to_owned()
                };
                panic!(
                    "the edge launcher {why}; its output:\n{}",
                    self.output.lock().unwrap()
                );
            }
        };
        eprintln!("edge ready at {url} in {:.1?}", started.elapsed());
        self.port = url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in the ready line's URL {url:?}"));
        self.base_url = url.trim_end_matches('/').to_owned();
        self.launcher = Some(launcher);
    }

    /// The launcher's `--var` settings pointing the edge at the fake providers.
    fn provider_vars(&self) -> Vec<String> {
        let Some(p) = &self.providers else {
            return Vec::new();
        };
        vec![
            format!("SMS_GATEWAY_URL={}/sms/send", p.url),
            format!("SMS_USERNAME={SMS_USER}"),
            format!("SMS_PASSWORD={SMS_PASSWORD}"),
            format!("SMS_SENDER={SMS_SENDER}"),
            format!("EMAIL_API_URL={}/email/send", p.url),
            format!("EMAIL_API_KEY={EMAIL_KEY}"),
            format!("EMAIL_FROM={EMAIL_FROM}"),
        ]
    }

    /// What the fake providers received for `to` (a phone number in any form, or an address), newest
    /// first.
    pub fn inbox(&self, to: &str) -> Vec<legit_demo::providers::Message> {
        self.providers
            .as_ref()
            .map(|p| p.providers.inbox.list(Some(to)))
            .unwrap_or_default()
    }

    /// Everything the fake providers received.
    pub fn inbox_all(&self) -> Vec<legit_demo::providers::Message> {
        self.providers
            .as_ref()
            .map(|p| p.providers.inbox.list(None))
            .unwrap_or_default()
    }

    /// `base_url` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// A request to `path` with nothing added: for tests that set every header themselves. Send it with
    /// [`Edge::send`].
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path))
    }

    /// `GET path`, naming [`TENANT`].
    pub async fn get(&self, path: &str) -> Answer {
        let request = self
            .client
            .get(self.url(path))
            .header(TENANT_HEADER, TENANT);
        self.send(request, &format!("GET {path}")).await
    }

    /// `POST path` with `body` as JSON.
    pub async fn post(&self, path: &str, body: &Value) -> Answer {
        let bytes = serde_json::to_vec(body).expect("serialise");
        self.post_raw(path, "application/json", bytes).await
    }

    /// `POST path` with raw bytes and the given `Content-Type`, as a careless or hostile caller would.
    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> Answer {
        let request = self
            .client
            .post(self.url(path))
            .header(TENANT_HEADER, TENANT)
            .header(CONTENT_TYPE, content_type)
            .body(body);
        self.send(request, &format!("POST {path} ({content_type})"))
            .await
    }

    /// An agent session for the default tenant, minted with its API key as the tenant's backend would.
    pub async fn agent_session(&self) -> String {
        self.agent_session_with(&self.api_key).await
    }

    /// An agent session minted with `api_key`: the tenant the key belongs to is the session's.
    pub async fn agent_session_with(&self, api_key: &str) -> String {
        let request = self
            .client
            .post(self.url("/api/v1/sessions"))
            .bearer_auth(api_key)
            .json(&json!({}));
        let answer = self.send(request, "POST /api/v1/sessions").await;
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        answer.body["session"]
            .as_str()
            .unwrap_or_else(|| panic!("a session: {answer:?}"))
            .to_owned()
    }

    /// The agent's widget in headless Chromium at a softphone pane's 320 × 800 px: the default tenant's
    /// `/embed` in agent mode with `query` (`lang=en&mobnr=…`), and `session` in the fragment, as integrators
    /// are told to put it.
    pub async fn agent_widget(&self, session: &str, query: &str) -> Result<Browser, BrowserError> {
        let browser = Browser::start().await?;
        browser.set_window_size(320, 800).await?;
        browser
            .goto(&self.url(&format!(
                "/embed?tenant={TENANT}&mode=agent&{query}#session={session}"
            )))
            .await?;
        Ok(browser)
    }

    /// `POST path` with `body` as JSON and the tenant's API key, as an agent's backend would.
    pub async fn post_as_agent(&self, path: &str, body: &Value) -> Answer {
        let request = self
            .client
            .post(self.url(path))
            .bearer_auth(&self.api_key)
            .json(body);
        self.send(request, &format!("POST {path} (agent)")).await
    }

    /// `POST path` with no body.
    pub async fn post_empty(&self, path: &str) -> Answer {
        let request = self
            .client
            .post(self.url(path))
            .header(TENANT_HEADER, TENANT);
        self.send(request, &format!("POST {path}")).await
    }

    /// Sends `request`; a failure to get any answer at all is a test failure naming `what`.
    pub async fn send(&self, request: reqwest::RequestBuilder, what: &str) -> Answer {
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{what}: {e:?}"));
        self.answer(response).await
    }

    async fn answer(&self, response: reqwest::Response) -> Answer {
        let status = response.status();
        let headers = response.headers().clone();
        let content_type = header(&response, CONTENT_TYPE);
        let cache_control = header(&response, reqwest::header::CACHE_CONTROL);
        let bytes = response.bytes().await.expect("edge answer body");
        let text = String::from_utf8_lossy(&bytes).into_owned();
        self.captured.lock().unwrap().push(text.clone());
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Answer {
            status,
            content_type,
            cache_control,
            headers,
            body,
        }
    }

    /// `POST /api/v1/orders` with `body`, as the widget would: naming [`TENANT`], and for a phone order
    /// with the tenant's API key (as an agent's backend). Asserts `201` with an `orderId` of 32 hex digits and
    /// an `orderToken`, remembers the token for [`Edge::events`] and [`Edge::cancel`], returns the body.
    pub async fn start_order(&self, body: Value) -> Value {
        let mut request = self
            .client
            .post(self.url("/api/v1/orders"))
            .header(TENANT_HEADER, TENANT)
            .json(&body);
        // Identifying a named person takes an agent (or the backend's key), as the edge requires.
        if body["kind"]
            .as_str()
            .is_some_and(|k| k.starts_with("phone"))
            || body.get("personalNumber").is_some()
        {
            request = request.bearer_auth(&self.api_key);
        }
        let answer = self.send(request, "POST /api/v1/orders").await;
        assert_eq!(
            answer.status,
            StatusCode::CREATED,
            "POST /api/v1/orders {body}: {answer:?}"
        );
        let id = answer.body["orderId"].as_str().unwrap_or_default();
        assert!(
            id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
            "orderId must be 32 hex digits: {answer:?}"
        );
        let token = answer.body["orderToken"]
            .as_str()
            .unwrap_or_else(|| panic!("no orderToken: {answer:?}"));
        self.order_tokens
            .lock()
            .unwrap()
            .insert(id.to_owned(), token.to_owned());
        answer.body
    }

    /// The order token [`Edge::start_order`] received for `order_id` (empty when it started none).
    pub fn order_token(&self, order_id: &str) -> String {
        self.order_tokens
            .lock()
            .unwrap()
            .get(order_id)
            .cloned()
            .unwrap_or_default()
    }

    /// [`Edge::start_order`], returning the `orderId`.
    pub async fn start_order_id(&self, body: Value) -> String {
        self.start_order(body).await["orderId"]
            .as_str()
            .expect("orderId")
            .to_owned()
    }

    /// `POST /api/v1/orders/{id}/cancel` with the order's token.
    pub async fn cancel(&self, order_id: &str) -> Answer {
        let path = format!("/api/v1/orders/{order_id}/cancel");
        let request = self
            .client
            .post(self.url(&path))
            .bearer_auth(self.order_token(order_id));
        self.send(request, &format!("POST {path}")).await
    }

    /// Opens `GET /api/v1/orders/{id}/events?token=…` with the order's token, asserting `200` and
    /// `text/event-stream`.
    pub async fn events(&self, order_id: &str) -> Events {
        let token = self.order_token(order_id);
        self.events_with(order_id, &format!("?token={token}")).await
    }

    /// Opens `GET /api/v1/orders/{id}/events{query}`, asserting `200` and `text/event-stream`.
    pub async fn events_with(&self, order_id: &str, query: &str) -> Events {
        self.stream(&format!("/api/v1/orders/{order_id}/events"), query)
            .await
    }

    /// Opens any SSE stream of the edge, `GET {path}{query}`, asserting `200` and `text/event-stream`.
    pub async fn stream(&self, path: &str, query: &str) -> Events {
        let path = path.to_owned();
        let response = self
            .client
            .get(self.url(&format!("{path}{query}")))
            .header(ACCEPT, "text/event-stream")
            // The stream lives as long as the order; the client's overall timeout must not cut it.
            .timeout(Duration::from_secs(600))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e:?}"));
        let status = response.status();
        let content_type = header(&response, CONTENT_TYPE);
        if status != StatusCode::OK || !content_type.starts_with("text/event-stream") {
            let answer = self.answer(response).await;
            panic!("GET {path} must answer 200 text/event-stream: {answer:?}");
        }
        // A stream may carry who identified: no cache on the way may keep it.
        assert_eq!(
            header(&response, CACHE_CONTROL),
            "no-store",
            "GET {path}: Cache-Control"
        );
        Events {
            path,
            response: Some(response),
            buffer: Vec::new(),
            raw: Vec::new(),
            seen: Vec::new(),
            captured: Arc::clone(&self.captured),
        }
    }

    /// Every body the edge answered so far (SSE streams once they are dropped).
    pub fn captured_bodies(&self) -> Vec<String> {
        self.captured.lock().unwrap().clone()
    }

    /// The folder the launcher reads its certificates and keys from (`--certs`). A test may change a file
    /// there and [`Edge::restart`] to run the edge with it.
    pub fn certs_dir(&self) -> PathBuf {
        self.dir.0.join("certs")
    }

    /// Everything the launcher printed so far, stdout and stderr.
    pub fn launcher_output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// The launcher's output once it contains `needle`, or as it stands after `timeout`. A line the Worker
    /// logs travels workerd → node → pipe → reader thread, so it can arrive after the answer it belongs to.
    pub async fn output_once_it_has(&self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let output = self.launcher_output();
            if output.contains(needle) || Instant::now() >= deadline {
                return output;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Asserts that nothing the edge answered, and nothing it printed, carries a secret: the word
    /// `qrStartSecret`, any BankID `orderRef` the simulator knows, the RP private key or the result-token signing
    /// key. What it printed must
    /// not carry personal data either (personal numbers and names of the simulator's orders and test user).
    pub async fn assert_no_secrets(&self, sim: &Sim) {
        let mut secrets = vec![
            "qrStartSecret".to_owned(),
            "PRIVATE KEY".to_owned(),
            self.api_key.clone(),
            SMS_PASSWORD.to_owned(),
            EMAIL_KEY.to_owned(),
        ];
        // Every line of the keys' base64 bodies: a leak of any part of them counts.
        for key in [&sim.certs.rp.key, &sim.certs.result_signing_key] {
            secrets.extend(
                key.lines()
                    .filter(|l| !l.starts_with("-----") && l.len() >= 16)
                    .map(str::to_owned),
            );
        }
        let orders = sim.orders().await;
        secrets.extend(
            orders
                .iter()
                .filter_map(|o| o["orderRef"].as_str())
                .map(str::to_owned),
        );
        let mut personal: Vec<String> = Vec::new();
        for order in &orders {
            personal.extend(order["personalNumber"].as_str().map(str::to_owned));
            let user = &order["completionData"]["user"];
            for field in ["personalNumber", "name", "givenName", "surname"] {
                personal.extend(user[field].as_str().map(str::to_owned));
            }
        }
        let (_, user) = sim.admin_get("/admin/user").await;
        for field in ["personalNumber", "givenName", "surname"] {
            personal.extend(user[field].as_str().map(str::to_owned));
        }
        personal.retain(|p| !p.is_empty());

        let bodies = self.captured_bodies();
        assert!(!bodies.is_empty(), "no answers were captured");
        for (i, body) in bodies.iter().enumerate() {
            for secret in &secrets {
                assert!(
                    !body.contains(secret.as_str()),
                    "answer #{i} of the edge carries a secret ({}): {body}",
                    describe(secret)
                );
            }
        }
        let output = self.launcher_output();
        for secret in secrets.iter().chain(&personal) {
            assert!(
                !output.contains(secret.as_str()),
                "the edge's output (Worker console, workerd, launcher) carries {}:\n{output}",
                describe(secret)
            );
        }
    }
}

/// How a secret is named in a failure message, without printing a key line.
fn describe(secret: &str) -> String {
    if secret.len() > 40 {
        "a line of a private key".to_owned()
    } else {
        format!("{secret:?}")
    }
}

impl Drop for Edge {
    fn drop(&mut self) {
        if let Some(mut launcher) = self.launcher.take() {
            launcher.stop();
        }
    }
}

impl Launcher {
    /// SIGTERM (the launcher then disposes Miniflare, which stops workerd) and close its stdin.
    fn terminate(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        drop(self.stdin.take());
    }

    fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Kills the launcher if it is still running (last resort: workerd may be left behind), reaps it and
    /// waits for its output to be read.
    fn finish(&mut self) {
        if self.running() {
            eprintln!(
                "the edge launcher did not stop within {STOP_TIMEOUT:?} of SIGTERM: killing it"
            );
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
    }

    /// [`Launcher::terminate`], wait up to [`STOP_TIMEOUT`], [`Launcher::finish`]. Blocks the thread.
    fn stop(&mut self) {
        self.terminate();
        let deadline = Instant::now() + STOP_TIMEOUT;
        while self.running() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        self.finish();
    }
}

/// A live `GET /api/v1/orders/{id}/events` stream, read as server-sent events.
pub struct Events {
    path: String,
    /// `None` once the stream ended.
    response: Option<reqwest::Response>,
    /// Bytes received but not yet split into events.
    buffer: Vec<u8>,
    /// The whole stream as received, handed to the edge's capture when dropped.
    raw: Vec<u8>,
    /// Every event read so far, for failure messages.
    pub seen: Vec<SseEvent>,
    captured: Arc<Mutex<Vec<String>>>,
}

impl Events {
    /// The next event, or `None` when the stream ended; `Err(())` when nothing came within `timeout`.
    pub async fn next_within(&mut self, timeout: Duration) -> Result<Option<SseEvent>, ()> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(event) = self.take_event() {
                self.seen.push(event.clone());
                return Ok(Some(event));
            }
            let Some(response) = self.response.as_mut() else {
                return Ok(None);
            };
            match tokio::time::timeout_at(deadline, response.chunk()).await {
                Err(_) => return Err(()),
                Ok(Ok(Some(chunk))) => {
                    self.raw.extend_from_slice(&chunk);
                    self.buffer.extend_from_slice(&chunk);
                }
                Ok(Ok(None)) => {
                    self.response = None;
                    // A last event without its blank line still counts.
                    if !self.buffer.iter().all(u8::is_ascii_whitespace) {
                        self.buffer.extend_from_slice(b"\n\n");
                    }
                }
                Ok(Err(e)) => panic!("{}: the stream broke: {e:?}", self.path),
            }
        }
    }

    /// The next event within [`EVENT_TIMEOUT`], or `None` when the stream ended.
    pub async fn next(&mut self) -> Option<SseEvent> {
        match self.next_within(EVENT_TIMEOUT).await {
            Ok(event) => event,
            Err(()) => panic!(
                "{}: no event within {EVENT_TIMEOUT:?}; seen so far: {:#?}",
                self.path, self.seen
            ),
        }
    }

    /// Skips events until a `state` whose data satisfies `pred`, within `timeout`; panics (listing what was
    /// seen) if the stream ends or time runs out first.
    pub async fn state_where_within(
        &mut self,
        timeout: Duration,
        what: &str,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_within(left).await {
                Ok(Some(event)) if event.event == "state" && pred(&event.data) => {
                    return event.data;
                }
                Ok(Some(_)) => {}
                Ok(None) => panic!(
                    "{}: the stream ended before a state where {what}; seen: {:#?}",
                    self.path,
                    self.states()
                ),
                Err(()) => panic!(
                    "{}: no state where {what} within {timeout:?}; seen: {:#?}",
                    self.path,
                    self.states()
                ),
            }
        }
    }

    /// Skips events until one named `name` whose data satisfies `pred`, within `timeout`.
    pub async fn event_where_within(
        &mut self,
        name: &str,
        timeout: Duration,
        what: &str,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_within(left).await {
                Ok(Some(event)) if event.event == name && pred(&event.data) => return event.data,
                Ok(Some(_)) => {}
                Ok(None) => panic!(
                    "{}: the stream ended before an `{name}` event where {what}; seen: {:#?}",
                    self.path, self.seen
                ),
                Err(()) => panic!(
                    "{}: no `{name}` event where {what} within {timeout:?}; seen: {:#?}",
                    self.path, self.seen
                ),
            }
        }
    }

    /// [`Events::state_where_within`] with [`EVENT_TIMEOUT`].
    pub async fn next_state_where(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        self.state_where_within(EVENT_TIMEOUT, what, pred).await
    }

    /// The next state that is not `pending`.
    pub async fn final_state(&mut self) -> Value {
        self.next_state_where("status is final", |s| s["status"] != "pending")
            .await
    }

    /// The next `qr` event's payload.
    pub async fn next_qr(&mut self) -> String {
        loop {
            match self.next().await {
                Some(event) if event.event == "qr" => {
                    return event.data["qr"]
                        .as_str()
                        .unwrap_or_else(|| panic!("qr event without a qr string: {event:?}"))
                        .to_owned();
                }
                Some(_) => {}
                None => panic!(
                    "{}: the stream ended before a qr event; seen: {:#?}",
                    self.path, self.seen
                ),
            }
        }
    }

    /// Asserts the stream ends within `timeout`, with no further `state` (a final state is the last word).
    pub async fn assert_ends_within(&mut self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_within(left).await {
                Ok(None) => return,
                Ok(Some(event)) if event.event == "state" => panic!(
                    "{}: a state after the final one: {event:?}; seen: {:#?}",
                    self.path,
                    self.states()
                ),
                Ok(Some(_)) => {}
                Err(()) => panic!(
                    "{}: the stream did not end within {timeout:?} after the final state",
                    self.path
                ),
            }
        }
    }

    /// The data of every `state` event seen so far.
    pub fn states(&self) -> Vec<&Value> {
        self.seen
            .iter()
            .filter(|e| e.event == "state")
            .map(|e| &e.data)
            .collect()
    }

    /// Splits one complete event (up to a blank line) off the buffer, skipping comment-only blocks.
    fn take_event(&mut self) -> Option<SseEvent> {
        loop {
            let (end, sep) = find_blank_line(&self.buffer)?;
            let block: Vec<u8> = self.buffer.drain(..end + sep).take(end).collect();
            if let Some(event) = parse_block(&String::from_utf8_lossy(&block)) {
                return Some(event);
            }
        }
    }
}

impl Drop for Events {
    fn drop(&mut self) {
        if let Ok(mut captured) = self.captured.lock() {
            captured.push(String::from_utf8_lossy(&self.raw).into_owned());
        }
    }
}

/// The first blank line in `buf`: where the block before it ends and how long the separator is.
fn find_blank_line(buf: &[u8]) -> Option<(usize, usize)> {
    (0..buf.len()).find_map(|i| {
        [&b"\r\n\r\n"[..], b"\n\n", b"\r\r"]
            .into_iter()
            .find(|sep| buf[i..].starts_with(sep))
            .map(|sep| (i, sep.len()))
    })
}

/// One SSE block: `event:` and `data:` lines (several `data:` lines join with `\n`); `None` when it has no
/// data (comments, `retry:` alone).
fn parse_block(block: &str) -> Option<SseEvent> {
    let mut event = None;
    let mut data: Option<String> = None;
    for line in block.lines() {
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => event = Some(value.to_owned()),
            "data" => {
                let data = data.get_or_insert_with(String::new);
                if !data.is_empty() {
                    data.push('\n');
                }
                data.push_str(value);
            }
            _ => {}
        }
    }
    let data = data?;
    Some(SseEvent {
        event: event.unwrap_or_else(|| "message".to_owned()),
        data: serde_json::from_str(&data).unwrap_or(Value::String(data)),
    })
}

/// A fresh folder, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(prefix: &str) -> TempDir {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        // Memory-backed when the machine has it: Miniflare's Durable Object storage is SQLite, and on disk each
        // order's first write waits ~30 ms for fsync, which production storage does not.
        let shm = Path::new("/dev/shm");
        let base = if shm.is_dir() {
            shm.to_owned()
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!(
            "{prefix}-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A response header as text; absent or not text reads as empty.
fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sse_blocks_parse_like_a_browser_reads_them() {
        let mut buf = b"event: state\ndata: {\"a\":1}\n\n: keep-alive\n\nevent: qr\r\ndata: {\"qr\":\"bankid.x\"}\r\n\r\ndata: partial".to_vec();
        let mut events = Vec::new();
        while let Some((end, sep)) = find_blank_line(&buf) {
            let block: Vec<u8> = buf.drain(..end + sep).take(end).collect();
            events.extend(parse_block(&String::from_utf8_lossy(&block)));
        }
        assert_eq!(
            events,
            [
                SseEvent {
                    event: "state".into(),
                    data: json!({"a": 1})
                },
                SseEvent {
                    event: "qr".into(),
                    data: json!({"qr": "bankid.x"})
                },
            ]
        );
        assert_eq!(buf, b"data: partial");
        assert_eq!(
            parse_block("data: one\ndata: two"),
            Some(SseEvent {
                event: "message".into(),
                data: json!("one\ntwo")
            })
        );
    }
}
