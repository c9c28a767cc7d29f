//! A BankID RP API v6.0 simulator (see `demo/SIMULATOR.md`): the RP API over mutual TLS, and an admin API with a
//! "phone" page on loopback.
//!
//! Rules live in [`order`] (one order's life) and [`state`] (every operation); the other modules are glue.

mod admin;
mod clock;
mod completion;
mod error;
mod faults;
mod order;
mod rp;
mod settings;
mod state;
mod tls;
mod users;

use std::net::SocketAddr;
use std::sync::Arc;

pub use faults::{Fault, FaultKind};
pub use order::Kind;
pub use settings::Settings;
pub use state::Sim;
pub use users::TestUser;

use crate::certs::DemoCerts;

/// What to start.
#[derive(Debug, Clone)]
pub struct Config {
    pub certs: DemoCerts,
    /// The RP API (mTLS). Port 0 picks a free port.
    pub rp_addr: SocketAddr,
    /// The admin API and phone page (plain HTTP). Must be a loopback address: it has no authentication.
    pub admin_addr: SocketAddr,
    pub settings: Settings,
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("TLS setup failed: {0}")]
    Tls(String),
    #[error("the admin API has no authentication, so it only listens on loopback, not {0}")]
    AdminNotLoopback(SocketAddr),
}

/// A started simulator. Dropping it stops both listeners.
#[derive(Debug)]
pub struct Running {
    /// Base URL of the RP API, e.g. `https://127.0.0.1:8443/rp/v6.0/`.
    pub rp_url: String,
    /// Base URL of the admin API and phone page, e.g. `http://127.0.0.1:8444`.
    pub admin_url: String,
    pub rp_addr: SocketAddr,
    pub admin_addr: SocketAddr,
    pub sim: Arc<Sim>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// The RP API as a router, for in-process tests (requests need an [`rp::RpIdentity`] extension to pass).
pub fn rp_app(sim: Arc<Sim>) -> axum::Router {
    rp::router(sim)
}

/// The admin API and phone page as a router.
pub fn admin_app(sim: Arc<Sim>) -> axum::Router {
    admin::router(sim)
}

/// Binds both listeners and serves them in background tasks.
pub async fn start(config: Config) -> Result<Running, SimError> {
    if !config.admin_addr.ip().is_loopback() {
        return Err(SimError::AdminNotLoopback(config.admin_addr));
    }
    let tls = tls::server_config(&config.certs)?;
    let sim = Arc::new(Sim::new(config.settings));
    let bind = |addr: SocketAddr| async move {
        tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| SimError::Bind { addr, source })
    };
    let rp_listener = bind(config.rp_addr).await?;
    let admin_listener = bind(config.admin_addr).await?;
    let rp_addr = rp_listener.local_addr().map_err(|source| SimError::Bind {
        addr: config.rp_addr,
        source,
    })?;
    let admin_addr = admin_listener
        .local_addr()
        .map_err(|source| SimError::Bind {
            addr: config.admin_addr,
            source,
        })?;
    let rp_task = tokio::spawn(tls::serve(
        rp_listener,
        tls,
        rp::router(sim.clone()),
        sim.clone(),
    ));
    let admin_router = admin::router(sim.clone());
    let admin_task = tokio::spawn(async move {
        let _ = axum::serve(admin_listener, admin_router).await;
    });
    Ok(Running {
        rp_url: format!("https://{rp_addr}/rp/v6.0/"),
        admin_url: format!("http://{admin_addr}"),
        rp_addr,
        admin_addr,
        sim,
        tasks: vec![rp_task, admin_task],
    })
}
