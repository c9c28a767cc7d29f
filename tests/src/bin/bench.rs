//! `cargo xtask bench`: figures measured side by side in one run, printed as a table and written to
//! `target/bench.md`. Machines are shared and noisy, so each row is compared with a baseline taken in the
//! same run rather than with a fixed number.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use legit_tests::{Rp, Sim, StatusCode};
use serde_json::json;

/// Latency samples of one kind of call.
struct Samples {
    name: &'static str,
    micros: Vec<u64>,
}

impl Samples {
    fn percentile(&self, p: f64) -> u64 {
        let mut sorted = self.micros.clone();
        sorted.sort_unstable();
        // Nearest-rank percentile; the index is within bounds by construction.
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1]
    }
}

async fn measure<F, Fut>(name: &'static str, n: usize, mut call: F) -> Samples
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    // Warm-up: connection pools, allocator, branch predictors.
    for _ in 0..n / 10 {
        call().await;
    }
    let mut micros = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        call().await;
        micros.push(u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX));
    }
    Samples { name, micros }
}

#[tokio::main]
async fn main() {
    let sim = Sim::start().await;
    let admin = reqwest::Client::new();
    let clock_url = format!("{}/admin/clock", sim.running.admin_url);
    let order = sim.start_auth().await;
    let collect_body = json!({"orderRef": order.order_ref});

    let plain = measure("plain HTTP GET /admin/clock (baseline)", 1000, || async {
        let r = admin.get(&clock_url).send().await.expect("admin call");
        assert_eq!(r.status(), StatusCode::OK);
        r.bytes().await.expect("body");
    })
    .await;
    let collect = measure("mTLS collect, kept-alive connection", 1000, || async {
        let (status, _) = sim.post_rp("collect", &collect_body).await;
        assert_eq!(status, StatusCode::OK);
    })
    .await;
    let auth = measure("mTLS auth, kept-alive connection", 500, || async {
        let (status, _) = sim
            .post_rp("auth", &json!({"endUserIp": "192.0.2.1"}))
            .await;
        assert_eq!(status, StatusCode::OK);
    })
    .await;
    let handshake = measure("mTLS collect, new connection each call", 200, || async {
        let client = sim.rp_client(Rp::Legit);
        let r = client
            .post(sim.url("collect"))
            .header("Content-Type", "application/json")
            .body(collect_body.to_string())
            .send()
            .await
            .expect("collect");
        assert_eq!(r.status(), StatusCode::OK);
    })
    .await;

    let base = plain.percentile(50.0).max(1);
    let mut table = String::from(
        "| measurement | n | p50 µs | p95 µs | p50 vs baseline |\n|---|---|---|---|---|\n",
    );
    for s in [&plain, &collect, &auth, &handshake] {
        let p50 = s.percentile(50.0);
        // Display only.
        #[allow(clippy::cast_precision_loss)]
        let ratio = p50 as f64 / base as f64;
        let _ = writeln!(
            table,
            "| {} | {} | {} | {} | {ratio:.2}× |",
            s.name,
            s.micros.len(),
            p50,
            s.percentile(95.0)
        );
    }
    println!("\nSimulator latency per call (loopback, one client, sequential):\n\n{table}");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(std::path::Path::new("."));
    let out = root.join("target/bench.md");
    match std::fs::write(&out, format!("# cargo xtask bench\n\n{table}")) {
        Ok(()) => println!("written to {}", out.display()),
        Err(e) => eprintln!("could not write {}: {e}", out.display()),
    }
    tokio::time::sleep(Duration::from_millis(10)).await;
}
