//! Mutual TLS as BankID does it: the server demands a client certificate from its own CA and the handshake fails
//! without one. Each connection's certificate CN becomes the request's [`RpIdentity`].

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt as _;

use super::SimError;
use super::rp::{DropConnection, RpIdentity};
use super::state::Sim;
use crate::certs::DemoCerts;

/// The server side of the simulator's TLS: its certificate, and client certificates required from its CA.
pub fn server_config(certs: &DemoCerts) -> Result<Arc<rustls::ServerConfig>, SimError> {
    let tls = |e: &dyn std::fmt::Display| SimError::Tls(e.to_string());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    for ca in pem_certs(&certs.ca.cert)? {
        roots.add(ca).map_err(|e| tls(&e))?;
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| tls(&e))?;
    let key = PrivateKeyDer::from_pem_slice(certs.server.key.as_bytes()).map_err(|e| tls(&e))?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls(&e))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(pem_certs(&certs.server.cert)?, key)
        .map_err(|e| tls(&e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn pem_certs(pem: &str) -> Result<Vec<CertificateDer<'static>>, SimError> {
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| SimError::Tls(e.to_string()))
}

/// The first CN of a DER certificate's subject.
fn common_name(der: &CertificateDer<'_>) -> Option<String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref()).ok()?;
    let cn = cert
        .subject()
        .iter_common_name()
        .next()?
        .as_str()
        .ok()?
        .to_owned();
    Some(cn)
}

#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for Dropped {}

/// Accepts TLS connections until the task is aborted.
pub async fn serve(
    listener: TcpListener,
    config: Arc<rustls::ServerConfig>,
    app: Router,
    sim: Arc<Sim>,
) {
    let acceptor = TlsAcceptor::from(config);
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let acceptor = acceptor.clone();
        let app = app.clone();
        let sim = sim.clone();
        tokio::spawn(async move {
            // A client that never finishes the handshake must not hold a task forever.
            let Ok(Ok(tls)) =
                tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await
            else {
                return;
            };
            sim.tls_connections.fetch_add(1, Ordering::Relaxed);
            let cn = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .and_then(common_name);
            let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                if let Some(cn) = &cn {
                    req.extensions_mut().insert(RpIdentity(cn.clone()));
                }
                let app = app.clone();
                async move {
                    let res = match app.oneshot(req).await {
                        Ok(res) => res,
                        Err(never) => match never {},
                    };
                    if res.extensions().get::<DropConnection>().is_some() {
                        return Err(Dropped);
                    }
                    Ok(res)
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tls), service)
                .await;
        });
    }
}
