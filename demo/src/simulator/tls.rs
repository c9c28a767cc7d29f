//! Mutual TLS as BankID does it: the server asks for a client certificate from its own CA, and the certificate
//! is the RP's identity. A request without one, or with one from another CA, gets `401 unauthorized`
//! (BANKID.md §1 asks a simulator for exactly that), so a client misconfigured that way sees BankID's answer
//! rather than a broken connection. Each connection's certificate CN becomes the request's [`RpIdentity`].

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, RootCertStore, SignatureScheme};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt as _;

use super::SimError;
use super::rp::{DropConnection, RpIdentity};
use super::state::Sim;
use crate::certs::DemoCerts;

/// The server side of the simulator's TLS.
pub struct RpTls {
    config: Arc<rustls::ServerConfig>,
    /// The check a connection's certificate must pass to name an RP: it chains to the demo CA.
    strict: Arc<dyn ClientCertVerifier>,
}

/// The simulator's certificate, and client certificates asked for from its CA.
pub fn server_config(certs: &DemoCerts) -> Result<RpTls, SimError> {
    let tls = |e: &dyn std::fmt::Display| SimError::Tls(e.to_string());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    for ca in pem_certs(&certs.ca.cert)? {
        roots.add(ca).map_err(|e| tls(&e))?;
    }
    let strict = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| tls(&e))?;
    let key = PrivateKeyDer::from_pem_slice(certs.server.key.as_bytes()).map_err(|e| tls(&e))?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls(&e))?
        .with_client_cert_verifier(Arc::new(AskForCertificate(strict.clone())))
        .with_single_cert(pem_certs(&certs.server.cert)?, key)
        .map_err(|e| tls(&e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(RpTls {
        config: Arc::new(config),
        strict,
    })
}

/// Asks every client for a certificate from the demo CA but lets the handshake finish without one, or with
/// another CA's, so the RP API can answer 401; [`rp_identity`] applies the strict check afterwards. A client
/// that presents a certificate must still prove it holds the key.
#[derive(Debug)]
struct AskForCertificate(Arc<dyn ClientCertVerifier>);

impl ClientCertVerifier for AskForCertificate {
    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.0.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// The RP a connection's certificate chain names: its CN, if the chain is valid and issued by the demo CA.
fn rp_identity(strict: &dyn ClientCertVerifier, chain: &[CertificateDer<'_>]) -> Option<String> {
    let (end_entity, intermediates) = chain.split_first()?;
    strict
        .verify_client_cert(end_entity, intermediates, UnixTime::now())
        .ok()?;
    common_name(end_entity)
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
pub async fn serve(listener: TcpListener, tls: RpTls, app: Router, sim: Arc<Sim>) {
    let RpTls { config, strict } = tls;
    let acceptor = TlsAcceptor::from(config);
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            // Accept errors such as EMFILE (out of file descriptors) persist until a connection closes; retrying
            // at once would spin a core at 100 % and starve the tasks that would close one.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let acceptor = acceptor.clone();
        let app = app.clone();
        let sim = sim.clone();
        let strict = strict.clone();
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
                .and_then(|chain| rp_identity(&*strict, chain));
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
