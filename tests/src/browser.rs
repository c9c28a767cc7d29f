//! A real headless Chromium driven over WebDriver, for end-to-end tests of legit's pages (the simulator's
//! phone page now, the widget later).
//!
//! [`Browser::start`] runs `/usr/bin/chromedriver` on a free loopback port, in its own process group, and opens
//! one Chromium session with the flags TOOLCHAIN.md prescribes (no background networking on a closed network)
//! and a fresh profile in a temporary folder. Ending the browser — [`Browser::close`], or dropping it, even
//! while a failed test unwinds — ends the session, kills chromedriver's whole process group and deletes the
//! profile, so no Chromium process outlives its test.
//!
//! Pages re-render while they are driven (the phone page polls every second), so the helpers look elements up
//! afresh on every attempt and treat a stale element like one not there yet, until their timeout.

use std::fs;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fantoccini::elements::Element;
use fantoccini::error::{CmdError, NewSessionError};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Map, json};

/// Where `cargo xtask install` (Debian's `chromium` and `chromium-driver`) puts the browser and its driver.
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Chromium's flags, exactly as TOOLCHAIN.md ("Browsers") lists them: without the background-networking ones
/// it floods the closed network with refused connections. `--user-data-dir` is added per browser.
pub const CHROMIUM_FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// The window every browser starts with; [`Browser::set_window_size`] changes it.
pub const WINDOW: (u32, u32) = (1280, 900);

/// How often the waiting helpers look again.
const POLL: Duration = Duration::from_millis(100);
/// How long chromedriver may take to listen, and a session to end.
const DRIVER_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    #[error("{0} is missing: run `cargo xtask install`")]
    Missing(&'static str),
    #[error("cannot set up the browser: {0}")]
    Io(#[from] io::Error),
    #[error("chromedriver did not start: {0}")]
    Driver(String),
    // fantoccini's errors are large: boxed, so that every `Result` here stays small.
    #[error("chromedriver could not open a Chromium session: {0}")]
    Session(Box<NewSessionError>),
    #[error("WebDriver command failed: {0}")]
    Command(Box<CmdError>),
    #[error("no element matches {css:?}")]
    NotFound { css: String },
    #[error("timed out after {timeout:?} waiting for {what}; last seen: {last_seen}")]
    Timeout {
        what: String,
        timeout: Duration,
        last_seen: String,
    },
}

impl From<NewSessionError> for BrowserError {
    fn from(e: NewSessionError) -> Self {
        BrowserError::Session(Box::new(e))
    }
}

impl From<CmdError> for BrowserError {
    fn from(e: CmdError) -> Self {
        BrowserError::Command(Box::new(e))
    }
}

/// One headless Chromium with its own chromedriver and profile. Not `Clone`: it owns the processes.
pub struct Browser {
    client: Client,
    driver: Driver,
}

impl Browser {
    /// Starts chromedriver and a Chromium session with a `1280×900` window.
    pub async fn start() -> Result<Browser, BrowserError> {
        Browser::start_with(None).await
    }

    /// The same as a phone's browser: Chromium presenting `user_agent`, touch events on.
    pub async fn start_as(user_agent: &str) -> Result<Browser, BrowserError> {
        Browser::start_with(Some(user_agent)).await
    }

    async fn start_with(user_agent: Option<&str>) -> Result<Browser, BrowserError> {
        for binary in [CHROMIUM, CHROMEDRIVER] {
            if !Path::new(binary).is_file() {
                return Err(BrowserError::Missing(binary));
            }
        }
        let mut driver = Driver::spawn()?;
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| (*f).to_owned()).collect();
        args.push(format!("--user-data-dir={}", driver.profile().display()));
        args.push(format!("--window-size={},{}", WINDOW.0, WINDOW.1));
        if let Some(agent) = user_agent {
            args.push(format!("--user-agent={agent}"));
            args.push("--touch-events=enabled".into());
        }
        let mut capabilities = Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": CHROMIUM, "args": args }),
        );
        // chromedriver speaks plain HTTP on loopback: no TLS stack needed for it.
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&driver.url())
            .await?;
        driver.session = client.session_id().await?;
        Ok(Browser { client, driver })
    }

    /// The WebDriver client, for anything the helpers do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The temporary folder of this browser: Chromium's profile and home, and chromedriver's log. Every
    /// Chromium process of this browser, crashpad helpers included, names it on its command line.
    pub fn temp_dir(&self) -> &Path {
        &self.driver.dir
    }

    /// chromedriver's process id.
    pub fn driver_pid(&self) -> u32 {
        self.driver.child.id()
    }

    /// Navigates to `url` and waits for the page to load.
    pub async fn goto(&self, url: &str) -> Result<(), BrowserError> {
        Ok(self.client.goto(url).await?)
    }

    /// Resizes the window (the page's viewport follows; screenshots show the viewport).
    pub async fn set_window_size(&self, width: u32, height: u32) -> Result<(), BrowserError> {
        Ok(self.client.set_window_size(width, height).await?)
    }

    /// The first element matching `css`, now.
    pub async fn find(&self, css: &str) -> Result<Element, BrowserError> {
        match self.client.find(Locator::Css(css)).await {
            Err(e) if e.is_no_such_element() => Err(BrowserError::NotFound { css: css.into() }),
            other => Ok(other?),
        }
    }

    /// Every element matching `css`, now (possibly none).
    pub async fn find_all(&self, css: &str) -> Result<Vec<Element>, BrowserError> {
        Ok(self.client.find_all(Locator::Css(css)).await?)
    }

    /// The rendered text of the first element matching `css`, now.
    pub async fn text(&self, css: &str) -> Result<String, BrowserError> {
        Ok(self.find(css).await?.text().await?)
    }

    /// Waits until an element matches `css` and returns it.
    pub async fn wait_for(&self, css: &str, timeout: Duration) -> Result<Element, BrowserError> {
        self.poll(format!("an element matching {css:?}"), timeout, || async {
            match self.client.find(Locator::Css(css)).await {
                Ok(element) => Ok(Ok(element)),
                Err(e) if e.is_no_such_element() => Ok(Err("nothing".to_owned())),
                Err(e) => Err(e.into()),
            }
        })
        .await
    }

    /// Waits until the first element matching `css` shows `text` (a substring of its rendered text) and
    /// returns its whole text.
    pub async fn wait_for_text(
        &self,
        css: &str,
        text: &str,
        timeout: Duration,
    ) -> Result<String, BrowserError> {
        self.poll(format!("{css:?} to show {text:?}"), timeout, || async {
            let element = match self.client.find(Locator::Css(css)).await {
                Ok(element) => element,
                Err(e) if e.is_no_such_element() => return Ok(Err("no such element".into())),
                Err(e) => return Err(e.into()),
            };
            match element.text().await {
                Ok(seen) if seen.contains(text) => Ok(Ok(seen)),
                Ok(seen) => Ok(Err(format!("{seen:?}"))),
                Err(e) if e.is_stale_element_reference() => Ok(Err("a re-rendered element".into())),
                Err(e) => Err(e.into()),
            }
        })
        .await
    }

    /// Clicks the first element matching `css`, waiting up to `timeout` for it to appear.
    pub async fn click(&self, css: &str, timeout: Duration) -> Result<(), BrowserError> {
        self.poll(format!("a clickable {css:?}"), timeout, || async {
            let element = match self.client.find(Locator::Css(css)).await {
                Ok(element) => element,
                Err(e) if e.is_no_such_element() => return Ok(Err("nothing".into())),
                Err(e) => return Err(e.into()),
            };
            retry_if_stale(element.click().await)
        })
        .await
    }

    /// Clicks the element matching `css` whose whole rendered text is `text` (e.g. a button by its label),
    /// waiting up to `timeout` for it to appear. A test that clicks by label also proves the label.
    pub async fn click_text(
        &self,
        css: &str,
        text: &str,
        timeout: Duration,
    ) -> Result<(), BrowserError> {
        self.poll(format!("{css:?} labelled {text:?}"), timeout, || async {
            let mut seen = Vec::new();
            for element in self.client.find_all(Locator::Css(css)).await? {
                match element.text().await {
                    Ok(label) if label.trim() == text => {
                        return retry_if_stale(element.click().await);
                    }
                    Ok(label) => seen.push(label),
                    Err(e) if e.is_stale_element_reference() => {}
                    Err(e) => return Err(e.into()),
                }
            }
            Ok(Err(format!("{seen:?}")))
        })
        .await
    }

    /// Picks the `<option>` labelled `label` in the `<select>` matching `css`, as a user would, so the page's
    /// `change` handlers run.
    pub async fn select(&self, css: &str, label: &str) -> Result<(), BrowserError> {
        self.click_text(&format!("{css} option"), label, Duration::from_secs(5))
            .await
    }

    /// Replaces the value of the input matching `css` with `text`, typed key by key.
    pub async fn fill(&self, css: &str, text: &str) -> Result<(), BrowserError> {
        let input = self.find(css).await?;
        input.clear().await?;
        Ok(input.send_keys(text).await?)
    }

    /// Runs axe-core (npm, `widget/a11y`, put there by `cargo xtask install`) on the page: the WCAG 2 A/AA
    /// and best-practice violations it finds, each with its rule, impact, help text and the nodes at fault;
    /// `[]` when there are none.
    pub async fn axe_violations(&self) -> Result<serde_json::Value, BrowserError> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../widget/a11y/node_modules/axe-core/axe.min.js");
        let axe = fs::read_to_string(&path).map_err(|_| BrowserError::Missing("axe-core"))?;
        let script = format!(
            "{axe}\n;const done = arguments[arguments.length - 1];\
             window.axe.run(document, {{resultTypes: ['violations']}})\
             .then((r) => done(r.violations.map((v) => ({{id: v.id, impact: v.impact, help: v.help, \
                nodes: v.nodes.map((n) => n.target.join(' '))}}))))\
             .catch((e) => done(String(e)));"
        );
        Ok(self.client.execute_async(&script, vec![]).await?)
    }

    /// Saves a PNG of the viewport as `name` under `target/screenshots/` (an absolute `name` is used as is)
    /// and returns its path.
    pub async fn screenshot(&self, name: impl AsRef<Path>) -> Result<PathBuf, BrowserError> {
        let path = screenshots_dir().join(name);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::write(&path, self.client.screenshot().await?)?;
        Ok(path)
    }

    /// Ends the session, then chromedriver, and checks that no process of this browser is left.
    pub async fn close(mut self) -> Result<(), BrowserError> {
        let session = self.driver.session.take();
        if session.is_some() {
            self.client.clone().close().await?;
        }
        self.driver.stop();
        let left = self.driver.survivors();
        if left.is_empty() {
            Ok(())
        } else {
            Err(BrowserError::Driver(format!(
                "processes still running after close: {left:?}"
            )))
        }
    }

    /// Calls `attempt` every [`POLL`] until it answers `Ok(Ok(value))` or `timeout` passes. `Ok(Err(seen))`
    /// means "not yet" and says what was there instead, for the timeout message; `Err` stops at once.
    async fn poll<T, F, Fut>(
        &self,
        what: String,
        timeout: Duration,
        mut attempt: F,
    ) -> Result<T, BrowserError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Result<T, String>, BrowserError>>,
    {
        let deadline = Instant::now() + timeout;
        loop {
            let last_seen = match attempt().await? {
                Ok(value) => return Ok(value),
                Err(seen) => seen,
            };
            if Instant::now() >= deadline {
                return Err(BrowserError::Timeout {
                    what,
                    timeout,
                    last_seen,
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

/// A click on an element the page has just replaced is retried; anything else is final.
fn retry_if_stale(click: Result<(), CmdError>) -> Result<Result<(), String>, BrowserError> {
    match click {
        Ok(()) => Ok(Ok(())),
        Err(e) if e.is_stale_element_reference() => Ok(Err("a re-rendered element".into())),
        Err(e) => Err(e.into()),
    }
}

/// `target/screenshots/` of this workspace (or of `CARGO_TARGET_DIR`).
pub fn screenshots_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    );
    target.join("screenshots")
}

/// chromedriver, the Chromium it starts, and the temporary folder they use.
struct Driver {
    child: Child,
    port: u16,
    /// Holds `profile/` and `chromedriver.log`; deleted when the driver stops.
    dir: PathBuf,
    /// `dir/profile`, Chromium's `--user-data-dir`.
    profile: PathBuf,
    /// The WebDriver session, while open.
    session: Option<String>,
    stopped: bool,
}

impl Driver {
    /// Runs chromedriver on a free loopback port as the leader of a new process group (so that Chromium,
    /// which it starts, can be killed with it) and waits until it listens.
    fn spawn() -> Result<Driver, BrowserError> {
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "legit-browser-{}-{}-{nanos}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let profile = dir.join("profile");
        fs::create_dir_all(&profile)?;
        let log = fs::File::create(dir.join("chromedriver.log"))?;
        // Take a free port and release it for chromedriver; another process could grab it in between, which
        // shows as chromedriver exiting and is reported with its log.
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
            .local_addr()?
            .port();
        // Chromium keeps crash reports under `$HOME/.config`, outside `--user-data-dir`, in crashpad helpers
        // that leave the process group: a home of its own keeps both inside this folder.
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .env("HOME", &dir)
            .env("XDG_CONFIG_HOME", dir.join("config"))
            .env("XDG_CACHE_HOME", dir.join("cache"))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .process_group(0)
            .spawn()?;
        let mut driver = Driver {
            child,
            port,
            dir,
            profile,
            session: None,
            stopped: false,
        };
        driver.wait_until_listening()?;
        Ok(driver)
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn profile(&self) -> &Path {
        &self.profile
    }

    fn wait_until_listening(&mut self) -> Result<(), BrowserError> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let deadline = Instant::now() + DRIVER_TIMEOUT;
        loop {
            if reports_ready(&addr) {
                return Ok(());
            }
            if let Some(status) = self.child.try_wait()? {
                return Err(BrowserError::Driver(format!(
                    "chromedriver exited with {status}: {}",
                    self.log()
                )));
            }
            if Instant::now() >= deadline {
                return Err(BrowserError::Driver(format!(
                    "not listening on {addr} after {DRIVER_TIMEOUT:?}: {}",
                    self.log()
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log(&self) -> String {
        fs::read_to_string(self.dir.join("chromedriver.log")).unwrap_or_default()
    }

    /// Ends an open session the plain way (chromedriver then quits Chromium cleanly), kills the process group
    /// for whatever is left, reaps chromedriver and deletes the folder. Safe to call twice.
    fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        if let Some(session) = self.session.take() {
            // Blocking on purpose: this also runs in `Drop`, where nothing can be awaited.
            let _ = self.delete_session(&session);
        }
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Chromium's helpers may take a moment to notice their parent is gone.
        let deadline = Instant::now() + Duration::from_secs(5);
        while !self.survivors().is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = fs::remove_dir_all(&self.dir);
    }

    /// `DELETE /session/{id}` over a plain socket.
    fn delete_session(&self, session: &str) -> io::Result<()> {
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port))?;
        stream.set_read_timeout(Some(DRIVER_TIMEOUT))?;
        stream.set_write_timeout(Some(DRIVER_TIMEOUT))?;
        write!(
            stream,
            "DELETE /session/{session} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        )?;
        // chromedriver answers only once Chromium has quit, and may keep the connection open afterwards:
        // read exactly one answer (headers, then `Content-Length` bytes) instead of waiting for the close.
        let mut answer = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = stream.read(&mut chunk)?;
            if n == 0 {
                return Ok(());
            }
            answer.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&answer);
            if let Some(end) = text.find("\r\n\r\n") {
                let length = text[..end]
                    .lines()
                    .find_map(|line| {
                        let (name, value) = line.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(0);
                if answer.len() >= end + 4 + length {
                    return Ok(());
                }
            }
        }
    }

    /// Processes whose command line names this browser's folder (Chromium and its helpers), by pid.
    fn survivors(&self) -> Vec<u32> {
        Command::new("pgrep")
            .arg("-f")
            .arg(self.dir.as_os_str())
            .output()
            .map(|out| {
                String::from_utf8_lossy(&out.stdout)
                    .split_whitespace()
                    .filter_map(|pid| pid.parse().ok())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Whether chromedriver answers `GET /status` with `"ready": true`. Accepting a TCP connection is not enough:
/// under load it accepts before it serves, and resets the first session request.
fn reports_ready(addr: &SocketAddr) -> bool {
    use std::io::{Read as _, Write as _};
    let Ok(mut stream) = TcpStream::connect_timeout(addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let request = format!("GET /status HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.replace(' ', "").contains("\"ready\":true")
}
