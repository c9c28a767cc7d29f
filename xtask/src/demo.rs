//! `cargo xtask demo`: the whole local stack on one laptop. Installs what is missing, builds (the simulator,
//! the widget, the Worker), makes the demo
//! certificates, starts the BankID simulator, the fake SMS and e-mail providers (the edge sends links
//! through them; their inbox page shows what arrived) and the edge Worker (in Miniflare, its mTLS binding pointed at the
//! simulator), waits until both answer and prints where everything is.
//!
//! Stopping: the children stay in the terminal's process group, so Ctrl-C reaches them as it reaches xtask,
//! and each shuts down by itself. xtask cannot catch SIGINT without `unsafe` (forbidden workspace-wide) or a
//! crate, so it ends at once with the usual status 130. Nothing is left behind either way: the simulator
//! (`--watch-stdin`) and the edge launcher (`edge/local/run.mjs`) both stop when their stdin closes, a pipe that
//! only xtask holds, so they stop whenever xtask goes (Ctrl-C, `kill`, even SIGKILL); on an error xtask closes
//! those pipes, waits briefly and kills what still runs.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::util::{self, Children, Result, cargo, spawn};
use crate::{edge, install, tenants, widget};

const RP_ADDR: &str = "127.0.0.1:8443";
const ADMIN_ADDR: &str = "127.0.0.1:8444";
const EDGE_ADDR: &str = "127.0.0.1:8787";
/// The fake SMS gateway and e-mail API with their inbox page (`legit-demo providers`).
const PROVIDERS_ADDR: &str = "127.0.0.1:8445";
/// Their demo credentials (`legit-demo providers` defaults), handed to the edge as its provider settings.
const SMS_USER: &str = "legit";
const SMS_PASSWORD: &str = "legit-demo-sms";
const EMAIL_KEY: &str = "legit-demo-email";
/// The IVR console (`legit-demo ivr`): plays the caller against the edge's IVR API with the demo API key,
/// and serves the pages that embed the widget (a CRM, a softphone, a self-service log-in).
const IVR_ADDR: &str = "127.0.0.1:8446";
const CERTS_DIR: &str = "target/demo/certs";
/// The edge's Durable Object storage, kept across demo runs.
const EDGE_STATE_DIR: &str = "target/demo/edge-state";
/// How long the simulator may take to answer after it started.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

pub fn run() -> Result {
    install::run()?;
    edge::check_node()?;
    util::run(cargo().args(["build", "-p", "legit-demo"]))?;
    // The edge serves the widget's files (`/embed`, `/legit.js`, `/widget/*`) from `widget/dist`.
    widget::build()?;
    edge::build()?;
    let bin = util::target_dir().join("debug").join(if cfg!(windows) {
        "legit-demo.exe"
    } else {
        "legit-demo"
    });

    let rp_addr = parse_addr(RP_ADDR)?;
    let admin_addr = parse_addr(ADMIN_ADDR)?;
    let edge_addr = parse_addr(EDGE_ADDR)?;
    let providers_addr = parse_addr(PROVIDERS_ADDR)?;
    let ivr_addr = parse_addr(IVR_ADDR)?;
    for addr in [rp_addr, admin_addr, edge_addr, providers_addr, ivr_addr] {
        check_port_free(addr)?;
    }

    util::run(Command::new(&bin).args(["certs", "--out", CERTS_DIR]))?;
    // The edge's own pages (/embed) are same-origin; sites that embed the widget are listed here: the
    // console's process also serves the demo CRM, softphone and self-service pages.
    let (tenants_file, api_key) =
        tenants::prepare(&[format!("http://{edge_addr}"), format!("http://{ivr_addr}")])?;

    let mut children = Children::default();
    let simulator = spawn(
        Command::new(&bin)
            .args([
                "simulator",
                "--certs",
                CERTS_DIR,
                "--rp-addr",
                RP_ADDR,
                "--admin-addr",
                ADMIN_ADDR,
            ])
            .arg("--watch-stdin")
            .stdin(Stdio::piped()),
    )?;
    children.push("the simulator", simulator);
    wait_until_answers(admin_addr, "/admin/clock", &mut children)?;

    let providers = spawn(
        Command::new(&bin)
            .args(["providers", "--addr", PROVIDERS_ADDR])
            .args(["--sms-user", SMS_USER, "--sms-password", SMS_PASSWORD])
            .args(["--email-key", EMAIL_KEY])
            .arg("--watch-stdin")
            .stdin(Stdio::piped())
            .stdout(Stdio::null()),
    )?;
    children.push("the fake SMS and e-mail providers", providers);
    wait_until_answers(providers_addr, "/inbox/messages", &mut children)?;
    let provider_vars = [
        format!("SMS_GATEWAY_URL=http://{providers_addr}/sms/send"),
        format!("SMS_USERNAME={SMS_USER}"),
        format!("SMS_PASSWORD={SMS_PASSWORD}"),
        // The deployment's sender; the demo tenant's own (`smsSender`, DemoBank) is what its texts show.
        "SMS_SENDER=LegitDemo".to_owned(),
        format!("EMAIL_API_URL=http://{providers_addr}/email/send"),
        format!("EMAIL_API_KEY={EMAIL_KEY}"),
        "EMAIL_FROM=noreply@legit.localhost".to_owned(),
    ];

    let mut launcher = spawn(
        Command::new("node")
            .arg(Path::new(edge::LOCAL_DIR).join("run.mjs"))
            .args(["--port", &edge_addr.port().to_string()])
            .args(["--certs", CERTS_DIR])
            .args(["--tenants", &tenants_file])
            .args(["--bankid-base", &format!("https://{rp_addr}/rp/v6.0")])
            .args(["--persist", EDGE_STATE_DIR])
            .args(provider_vars.iter().flat_map(|v| ["--var", v.as_str()]))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped()),
    )?;
    let ready = launcher_ready(&mut launcher);
    children.push("the edge (Miniflare)", launcher);
    let edge_url = wait_for_ready(&ready, &mut children)?;

    // The console holds the API key server-side (target/demo/api-key); its page never sees it.
    let ivr = spawn(
        Command::new(&bin)
            .args(["ivr", "--addr", IVR_ADDR, "--edge", &edge_url])
            .args(["--api-key-file", tenants::API_KEY_FILE])
            .arg("--watch-stdin")
            .stdin(Stdio::piped())
            .stdout(Stdio::null()),
    )?;
    children.push("the IVR console", ivr);
    wait_until_answers(ivr_addr, "/", &mut children)?;

    let session = tenants::mint_session(edge_addr, &api_key);
    let tenant = tenants::TENANT;
    let agent_url = match &session {
        Some(s) => format!("{edge_url}/embed?tenant={tenant}&mode=agent#session={s}"),
        None => "(no agent session: POST /api/v1/sessions failed)".to_owned(),
    };
    let certs = Path::new(CERTS_DIR)
        .canonicalize()
        .unwrap_or_else(|_| Path::new(CERTS_DIR).to_owned());
    let certs = certs.display();
    println!(
        "{}",
        boxed(&[
            "legit demo is running".to_owned(),
            String::new(),
            format!("BankID RP API (mTLS)   https://{rp_addr}/rp/v6.0/"),
            format!("phone page, admin API  http://{admin_addr}/"),
            format!("SMS / e-mail inbox     http://{providers_addr}/inbox"),
            format!("IVR console (caller)   http://{ivr_addr}/"),
            format!("CRM with the widget    http://{ivr_addr}/crm"),
            format!("softphone, a call      http://{ivr_addr}/softphone?mobnr=0701234567"),
            format!("self-service log-in    http://{ivr_addr}/self-service"),
            format!("edge API               {edge_url}"),
            format!("customer widget        {edge_url}/embed?tenant={tenant}&mode=customer"),
            "agent widget           the URL below the box (it carries a session)".to_owned(),
            format!("tenant {tenant:?} API key  in target/demo/api-key"),
            format!("audit log (admin page) {edge_url}/admin  (password: the API key)"),
            format!("tenants               {tenants_file}"),
            format!("certificates           {certs}"),
            "  pin as server root    ca.pem".to_owned(),
            "  client certificate    rp.pem + rp.key, or rp.p12".to_owned(),
            "  rp.p12 password       qwerty123".to_owned(),
            String::new(),
            "Ctrl-C stops everything.".to_owned(),
        ])
    );
    println!("agent widget (session valid 8 h):\n{agent_url}\n");
    children.wait_any()
}

fn parse_addr(addr: &str) -> Result<SocketAddr> {
    addr.parse().map_err(|e| format!("bad address {addr}: {e}"))
}

/// Fails with a clear message when something already listens on `addr`.
fn check_port_free(addr: SocketAddr) -> Result {
    match TcpListener::bind(addr) {
        Ok(_) => Ok(()),
        Err(e) => Err(format!(
            "cannot use {addr}: {e}. Is another `cargo xtask demo` (or legit-demo simulator) running? \
             `ss -ltnp 'sport = :{}'` shows who holds the port.",
            addr.port()
        )),
    }
}

/// Reads the launcher's stdout on a thread: its `ready http://…` line is sent on the returned channel, and
/// anything else it prints is passed on (stdout must be drained, or a chatty child would block).
fn launcher_ready(child: &mut std::process::Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    if let Some(stdout) = child.stdout.take() {
        std::thread::spawn(move || {
            for line in BufReader::new(stdout)
                .lines()
                .map_while(std::result::Result::ok)
            {
                match line.strip_prefix("ready ") {
                    Some(url) => {
                        let _ = tx.send(url.trim().to_owned());
                    }
                    None => println!("{line}"),
                }
            }
        });
    }
    rx
}

/// Waits for the edge launcher's `ready` line, failing early if a child exits.
fn wait_for_ready(ready: &mpsc::Receiver<String>, children: &mut Children) -> Result<String> {
    let started = Instant::now();
    loop {
        match ready.recv_timeout(Duration::from_millis(100)) {
            Ok(url) => return Ok(url),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err("the edge launcher closed its stdout before it was ready".to_owned());
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if let Some((name, how)) = children.exited() {
            let how = how.map_or_else(|e| e, |status| status.to_string());
            return Err(format!("{name} exited before it was ready ({how})"));
        }
        if started.elapsed() > READY_TIMEOUT {
            return Err(format!(
                "the edge did not say `ready` within {}s",
                READY_TIMEOUT.as_secs()
            ));
        }
    }
}

/// Polls `GET path` on `addr` until it answers 200, failing early if a child exits.
fn wait_until_answers(addr: SocketAddr, path: &str, children: &mut Children) -> Result {
    let started = Instant::now();
    loop {
        if http_ok(addr, path) {
            return Ok(());
        }
        if let Some((name, how)) = children.exited() {
            let how = how.map_or_else(|e| e, |status| status.to_string());
            return Err(format!(
                "{name} exited before answering on http://{addr}{path} ({how})"
            ));
        }
        if started.elapsed() > READY_TIMEOUT {
            return Err(format!(
                "http://{addr}{path} did not answer within {}s",
                READY_TIMEOUT.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// One HTTP/1.1 request over a plain TcpStream: whether the status line says 200.
fn http_ok(addr: SocketAddr, path: &str) -> bool {
    let attempt = || -> std::io::Result<bool> {
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(500))?;
        stream.set_read_timeout(Some(Duration::from_secs(2)))?;
        stream.set_write_timeout(Some(Duration::from_secs(2)))?;
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )?;
        let mut status = String::new();
        BufReader::new(stream).read_line(&mut status)?;
        Ok(status.split_whitespace().nth(1) == Some("200"))
    };
    attempt().unwrap_or(false)
}

/// `lines` in a box drawn with Unicode box characters.
fn boxed(lines: &[String]) -> String {
    let width = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let rule = "─".repeat(width + 2);
    let mut out = format!("┌{rule}┐\n");
    for line in lines {
        let pad = width - line.chars().count();
        out.push_str(&format!("│ {line}{} │\n", " ".repeat(pad)));
    }
    out.push_str(&format!("└{rule}┘"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_lines_line_up() {
        let text = boxed(&["a".to_owned(), "long line".to_owned()]);
        let widths: Vec<usize> = text.lines().map(|l| l.chars().count()).collect();
        assert_eq!(widths, [13, 13, 13, 13]);
        assert!(text.contains("│ a         │"));
    }

    #[test]
    fn a_taken_port_is_reported() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let err = check_port_free(listener.local_addr().unwrap()).unwrap_err();
        assert!(err.contains("running?"), "{err}");
    }

    #[test]
    fn http_probe_reads_the_status_line() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            for answer in ["HTTP/1.1 200 OK\r\n\r\n", "HTTP/1.1 404 Not Found\r\n\r\n"] {
                let (mut stream, _) = listener.accept().unwrap();
                // The whole head is read before answering: closing a socket with unread
                // bytes sends a reset, which may discard the answer before the probe reads it.
                let mut reader = BufReader::new(&stream);
                let mut request = String::new();
                reader.read_line(&mut request).unwrap();
                assert_eq!(request, "GET /admin/clock HTTP/1.1\r\n");
                let mut header = String::new();
                while reader.read_line(&mut header).unwrap() > 0 && header != "\r\n" {
                    header.clear();
                }
                stream.write_all(answer.as_bytes()).unwrap();
            }
        });
        assert!(http_ok(addr, "/admin/clock"));
        assert!(!http_ok(addr, "/admin/clock"));
        server.join().unwrap();
    }
}
