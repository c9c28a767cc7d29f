//! A stock BankID RP API v6.0 client library, installed from its registry and used unchanged, completes an auth
//! order against the simulator over mutual TLS, given only the generated PKCS#12, its password, the simulator's
//! CA and the RP base URL.
//!
//! The library is PyPI's `bankid-sdk` (pinned in `tests/stock-client/requirements.txt`), driven by
//! `tests/stock-client/auth.py` through its documented `configure(api_base_url, certificate, ca_cert)`. It lives
//! in a virtualenv that `cargo xtask install` makes under `target/tools/stock-client-venv`; without it this test
//! fails (it never skips).
//!
//! Self-contained on purpose: it starts its own simulator rather than using the crate's harness.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use legit_demo::certs::{DemoCerts, RP_P12_PASSWORD};
use legit_demo::simulator::{self, Config, Settings};
use serde_json::Value;

/// The whole run, library start-up included. The order itself needs 6 collects, 1 s apart.
const TIMEOUT: Duration = Duration::from_secs(60);
/// Seconds between collects: the least BankID allows (BANKID.md §5), to keep the test short.
const COLLECT_INTERVAL: &str = "1";

const PNR: &str = "198112289874";
const NAME: &str = "Åsa Ørnulf Ämström-Lindé";
/// With `autoProgress` an order completes on its 6th collect (SIMULATOR.md).
const COLLECTS_TO_COMPLETE: u64 = 6;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn project_root() -> PathBuf {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR"));
    tests.parent().unwrap_or(tests).to_owned()
}

/// The stock client's folder.
fn client_dir() -> PathBuf {
    project_root().join("tests").join("stock-client")
}

/// Where `cargo xtask install` puts the virtualenv: `<target>/tools/stock-client-venv`, with `<target>` as
/// xtask reads it (`CARGO_TARGET_DIR` relative to the project root, or `target`).
fn venv_dir() -> PathBuf {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from);
    project_root()
        .join(target)
        .join("tools")
        .join("stock-client-venv")
}

/// The virtualenv's python, or a failure telling how to get it: missing, or filled from other requirements
/// than the committed ones (xtask keeps a copy of the file it installed from).
fn venv_python() -> PathBuf {
    let venv = venv_dir();
    let python = venv.join("bin").join("python");
    assert!(
        python.exists(),
        "the stock BankID client is not installed ({} is missing): run `cargo xtask install`",
        python.display()
    );
    let wanted = std::fs::read(client_dir().join("requirements.txt"))
        .expect("read tests/stock-client/requirements.txt");
    let installed = std::fs::read(venv.join("installed-requirements.txt")).ok();
    assert!(
        installed.as_deref() == Some(&wanted[..]),
        "the stock BankID client in {} is not the one tests/stock-client/requirements.txt pins: \
         run `cargo xtask install`",
        venv.display()
    );
    python
}

/// A fresh folder, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> std::io::Result<TempDir> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir =
            std::env::temp_dir().join(format!("legit-stock-client-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_client_library_completes_auth_and_collect() -> TestResult {
    let python = venv_python();

    let certs = DemoCerts::generate()?;
    let dir = TempDir::new()?;
    certs.write(&dir.0)?;
    let running = simulator::start(Config {
        certs,
        rp_addr: "127.0.0.1:0".parse()?,
        admin_addr: "127.0.0.1:0".parse()?,
        settings: Settings {
            auto_progress: true,
            ..Default::default()
        },
    })
    .await?;

    let mut command = tokio::process::Command::new(&python);
    command
        .arg(client_dir().join("auth.py"))
        .arg(&running.rp_url)
        .arg(dir.0.join("rp.p12"))
        .arg(RP_P12_PASSWORD)
        .arg(dir.0.join("ca.pem"))
        .env("BANKID_COLLECT_INTERVAL", COLLECT_INTERVAL)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let started = Instant::now();
    let output = tokio::time::timeout(TIMEOUT, command.output())
        .await
        .map_err(|_| format!("the stock client did not finish within {TIMEOUT:?}"))??;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the stock client failed ({}) against {}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status,
        running.rp_url
    );
    eprintln!(
        "stock client completed in {:.1?}\n{stderr}",
        started.elapsed()
    );

    let completion: Value = serde_json::from_str(&stdout)
        .map_err(|e| format!("the stock client printed no JSON ({e}):\n{stdout}"))?;
    assert_eq!(
        completion["user"]["personalNumber"], PNR,
        "completionData: {completion:#}"
    );
    assert_eq!(
        completion["user"]["name"], NAME,
        "the name did not survive the stock library intact; completionData: {completion:#}"
    );

    let stats_url = format!("{}/admin/stats", running.admin_url.trim_end_matches('/'));
    let stats: Value = reqwest::get(&stats_url)
        .await?
        .error_for_status()?
        .json()
        .await?;
    let count = |endpoint: &str| stats["requests"][endpoint].as_u64().unwrap_or(0);
    assert!(count("auth") >= 1, "no auth reached the simulator: {stats}");
    assert!(
        count("collect") >= COLLECTS_TO_COMPLETE,
        "fewer than {COLLECTS_TO_COMPLETE} collects reached the simulator: {stats}"
    );
    Ok(())
}
