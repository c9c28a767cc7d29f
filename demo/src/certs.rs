//! Demo certificates: a throw-away CA, the simulator's TLS certificate and relying-party client certificates.
//!
//! BankID's test environment hands out a server root to pin and an `FPTestcert*.p12` client certificate; this
//! module makes the same kit for the local simulator, with no agreement. The folder layout is described in
//! `demo/SIMULATOR.md` ("Certificates"). Everything here is for development and tests only: private keys are
//! stored unencrypted next to the certificates (`rp.p12` aside), including the CA's own key (`ca.key`).
//!
//! Keys are ECDSA P-256, so a full set takes milliseconds; certificates are valid from yesterday (clock skew)
//! for two years.

use std::fs;
use std::io::{self, Write as _};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use p12_keystore::{
    Certificate, EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm, Pkcs12ImportPolicy,
    PrivateKey, PrivateKeyChain,
};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, SanType,
};
use sha2::{Digest as _, Sha256};
use time::{Duration, OffsetDateTime};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::FromDer as _;

/// Password of `rp.p12`, like the one BankID publishes for its `FPTestcert*.p12` files.
pub const RP_P12_PASSWORD: &str = "qwerty123";

/// Subject CN of the simulator's CA, the root a client pins.
pub const CA_NAME: &str = "legit demo BankID CA";
/// Subject CN of the CA that signs `foreign-rp`, which the simulator does not trust.
pub const FOREIGN_CA_NAME: &str = "legit demo untrusted CA";
/// CN of the relying party's client certificate (`rp.pem`).
pub const RP_NAME: &str = "legit-rp";
/// CN of the second relying party (`other-rp.pem`).
pub const OTHER_RP_NAME: &str = "other-rp";
/// CN of the client certificate from the untrusted CA (`foreign-rp.pem`).
pub const FOREIGN_RP_NAME: &str = "foreign-rp";

/// Every file [`DemoCerts::write`] puts in the folder.
pub const FILES: [&str; 12] = [
    "ca.pem",
    "ca.key",
    "server.pem",
    "server.key",
    "rp.pem",
    "rp.key",
    "rp.p12",
    "other-rp.pem",
    "other-rp.key",
    "foreign-rp.pem",
    "foreign-rp.key",
    "result-signing.key",
];

/// Validity of every certificate: from a day ago (tolerates clock skew) for two years.
const BACKDATE: Duration = Duration::days(1);
const LIFETIME: Duration = Duration::days(2 * 365);
/// [`DemoCerts::load_or_generate`] replaces a set that expires within this margin, so a demo started just
/// before expiry does not break halfway.
const RENEW_MARGIN: Duration = Duration::days(1);
/// PBKDF2 iterations for the PKCS#12 encryption and MAC (OpenSSL 3 uses 2048 by default, Java 10000).
const P12_ITERATIONS: u32 = 10_000;

/// A certificate and its private key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pem {
    /// The certificate, PEM (`-----BEGIN CERTIFICATE-----`).
    pub cert: String,
    /// Its private key, PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub key: String,
}

/// The simulator's certificate kit (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoCerts {
    /// The CA the simulator trusts for client certificates, and that issued the server certificate.
    pub ca: Pem,
    /// The simulator's TLS certificate: `localhost`, `127.0.0.1`, `::1`; serverAuth.
    pub server: Pem,
    /// The relying party's client certificate, CN `legit-rp`; clientAuth.
    pub rp: Pem,
    /// A second relying party, CN `other-rp`; clientAuth.
    pub other_rp: Pem,
    /// A client certificate, CN `foreign-rp`, issued by a CA the simulator does not trust.
    pub foreign_rp: Pem,
    /// The edge's result-token signing key (`result-signing.key`): a bare P-256 key, PKCS#8 PEM, no
    /// certificate. The local edge gets it as its `RESULT_SIGNING_KEY` secret.
    pub result_signing_key: String,
}

/// Why a certificate set could not be made, written, read or packed.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    /// rcgen refused to build a key or a certificate.
    #[error("certificate generation failed: {0}")]
    Generate(#[from] rcgen::Error),
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: io::Error,
    },
    /// A certificate or key is unreadable, or does not belong with the rest of the set.
    #[error("{what}: {reason}")]
    Invalid {
        /// The file (or, in memory, the part) at fault.
        what: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Building or reading the PKCS#12 archive failed.
    #[error("PKCS#12: {0}")]
    Pkcs12(String),
}

impl DemoCerts {
    /// A fresh set: the CA ("legit demo BankID CA"); the server certificate for DNS `localhost` and IP
    /// `127.0.0.1` and `::1` (serverAuth); the client certificates `legit-rp` and `other-rp` (clientAuth), all
    /// issued by that CA; and `foreign-rp`, issued by a second CA that nobody trusts.
    pub fn generate() -> Result<DemoCerts, CertError> {
        let validity = Validity::from_now();

        let (ca, ca_issuer) = self_signed_ca(CA_NAME, &validity)?;
        let (_, foreign_issuer) = self_signed_ca(FOREIGN_CA_NAME, &validity)?;

        let mut server = leaf_params("localhost", ExtendedKeyUsagePurpose::ServerAuth, &validity);
        server.subject_alt_names = vec![
            SanType::DnsName("localhost".try_into()?),
            SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            SanType::IpAddress(IpAddr::V6(Ipv6Addr::LOCALHOST)),
        ];
        let client = |cn: &str| leaf_params(cn, ExtendedKeyUsagePurpose::ClientAuth, &validity);

        Ok(DemoCerts {
            ca,
            server: issue(&server, &ca_issuer)?,
            rp: issue(&client(RP_NAME), &ca_issuer)?,
            other_rp: issue(&client(OTHER_RP_NAME), &ca_issuer)?,
            foreign_rp: issue(&client(FOREIGN_RP_NAME), &foreign_issuer)?,
            result_signing_key: new_key()?.serialize_pem(),
        })
    }

    /// Writes [`FILES`] into `dir` (created if missing): `<name>.pem` and `<name>.key` for `ca`, `server`, `rp`,
    /// `other-rp` and `foreign-rp`, plus `rp.p12` (password [`RP_P12_PASSWORD`]). Each file is replaced
    /// atomically; on Unix, keys and the p12 are readable by the owner only.
    pub fn write(&self, dir: &Path) -> Result<(), CertError> {
        let p12 = pkcs12(&self.rp, &self.ca, RP_P12_PASSWORD)?;
        fs::create_dir_all(dir).map_err(io_error(dir))?;
        for (name, pem) in self.parts() {
            write_file(
                &dir.join(format!("{name}.pem")),
                pem.cert.as_bytes(),
                Access::Public,
            )?;
            write_file(
                &dir.join(format!("{name}.key")),
                pem.key.as_bytes(),
                Access::Private,
            )?;
        }
        write_file(
            &dir.join("result-signing.key"),
            self.result_signing_key.as_bytes(),
            Access::Private,
        )?;
        write_file(&dir.join("rp.p12"), &p12, Access::Private)
    }

    /// Reads a set written by [`DemoCerts::write`] and checks that it hangs together: every key belongs to
    /// its certificate, `server`, `rp` and `other-rp` were issued by `ca`, and `rp.p12` opens with
    /// [`RP_P12_PASSWORD`] and holds `rp.pem`. Expiry is not checked here (see [`DemoCerts::load_or_generate`]).
    pub fn load(dir: &Path) -> Result<DemoCerts, CertError> {
        let read = |name: &str| -> Result<Pem, CertError> {
            Ok(Pem {
                cert: read_text(&dir.join(format!("{name}.pem")))?,
                key: read_text(&dir.join(format!("{name}.key")))?,
            })
        };
        let certs = DemoCerts {
            ca: read("ca")?,
            server: read("server")?,
            rp: read("rp")?,
            other_rp: read("other-rp")?,
            foreign_rp: read("foreign-rp")?,
            result_signing_key: read_text(&dir.join("result-signing.key"))?,
        };
        certs.check(dir)?;
        Ok(certs)
    }

    /// Idempotent: loads the set in `dir` when every file is present, consistent and valid for at least one
    /// more day; otherwise generates a new set and writes it over the old one. An I/O error other than a
    /// missing file (a permission, say) is returned rather than papered over.
    pub fn load_or_generate(dir: &Path) -> Result<DemoCerts, CertError> {
        match DemoCerts::load(dir) {
            Ok(certs) if certs.valid_throughout(OffsetDateTime::now_utc(), RENEW_MARGIN)? => {
                return Ok(certs);
            }
            Err(CertError::Io { path, source }) if source.kind() != io::ErrorKind::NotFound => {
                return Err(CertError::Io { path, source });
            }
            // Missing, unreadable, mismatched or expiring: start again.
            _ => {}
        }
        let certs = DemoCerts::generate()?;
        certs.write(dir)?;
        Ok(certs)
    }

    /// The five parts, named as their files are.
    fn parts(&self) -> [(&'static str, &Pem); 5] {
        [
            ("ca", &self.ca),
            ("server", &self.server),
            ("rp", &self.rp),
            ("other-rp", &self.other_rp),
            ("foreign-rp", &self.foreign_rp),
        ]
    }

    /// Whether every certificate of the set is valid from `now` until `now + margin`.
    fn valid_throughout(&self, now: OffsetDateTime, margin: Duration) -> Result<bool, CertError> {
        for (name, pem) in self.parts() {
            let der = cert_der(&pem.cert, name)?;
            let cert = parse_cert(&der, name)?;
            let validity = cert.validity();
            let (from, until) = (
                validity.not_before.timestamp(),
                validity.not_after.timestamp(),
            );
            if from > now.unix_timestamp() || until < (now + margin).unix_timestamp() {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The consistency checks of [`DemoCerts::load`]; `dir` only names files in errors.
    fn check(&self, dir: &Path) -> Result<(), CertError> {
        let file = |name: &str| dir.join(name).display().to_string();
        let signing = KeyPair::from_pem(&self.result_signing_key)
            .map_err(|e| invalid(&file("result-signing.key"), e))?;
        if signing.algorithm() != &PKCS_ECDSA_P256_SHA256 {
            return Err(invalid(&file("result-signing.key"), "not a P-256 key"));
        }
        let mut ders = Vec::new();
        for (name, pem) in self.parts() {
            let der = cert_der(&pem.cert, &file(&format!("{name}.pem")))?;
            check_key_matches(&der, &pem.key, &file(&format!("{name}.key")))?;
            ders.push(der);
        }
        let ca = parse_cert(&ders[0], &file("ca.pem"))?;
        let ca_id = key_ids(&ca).subject;
        for (name, der) in [
            ("server", &ders[1]),
            ("rp", &ders[2]),
            ("other-rp", &ders[3]),
        ] {
            let what = file(&format!("{name}.pem"));
            let cert = parse_cert(der, &what)?;
            if cert.issuer() != ca.subject() || ca_id.is_none() || key_ids(&cert).authority != ca_id
            {
                return Err(invalid(&what, "not issued by the CA in ca.pem"));
            }
        }

        let p12_path = dir.join("rp.p12");
        let p12 = fs::read(&p12_path).map_err(io_error(&p12_path))?;
        let store = KeyStore::from_pkcs12(&p12, RP_P12_PASSWORD, Pkcs12ImportPolicy::Strict)
            .map_err(|e| invalid(&p12_path.display().to_string(), e))?;
        match store.private_key_chain() {
            Some((_, chain))
                if chain.certs().first().map(Certificate::as_der) == Some(&ders[2][..]) =>
            {
                Ok(())
            }
            _ => Err(invalid(
                &p12_path.display().to_string(),
                "does not hold the key and certificate of rp.pem",
            )),
        }
    }
}

/// PKCS#12 of `pem` (certificate and key, with `ca` as the rest of the chain) under `password`, encrypted the
/// modern way: PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) for keys and certificates and an HMAC-SHA256 MAC, so
/// OpenSSL 3, Node's `tls` (`pfx` + `passphrase`), Python's `cryptography` and Java read it. (The legacy
/// RC2/3DES kind that `FPTestcert*.p12` files use needs OpenSSL 3's legacy provider.)
pub fn pkcs12(pem: &Pem, ca: &Pem, password: &str) -> Result<Vec<u8>, CertError> {
    let leaf = cert_der(&pem.cert, "certificate")?;
    let key = check_key_matches(&leaf, &pem.key, "private key")?;
    let ca_der = cert_der(&ca.cert, "CA certificate")?;
    let alias = common_name(&parse_cert(&leaf, "certificate")?).unwrap_or_else(|| "key".to_owned());

    let p12 = |e: p12_keystore::error::Error| CertError::Pkcs12(e.to_string());
    // The local key id ties the key bag to its certificate bag; OpenSSL uses a digest of the certificate.
    let local_key_id = Sha256::digest(&leaf)[..20].to_vec();
    let chain = PrivateKeyChain::new(
        local_key_id,
        PrivateKey::from_der(&key.serialize_der()).map_err(p12)?,
        [
            Certificate::from_der(&leaf).map_err(p12)?,
            Certificate::from_der(&ca_der).map_err(p12)?,
        ],
    );
    let mut store = KeyStore::new();
    store.add_entry(&alias, KeyStoreEntry::PrivateKeyChain(chain));
    store
        .writer(password)
        .encryption_algorithm(EncryptionAlgorithm::PbeWithHmacSha256AndAes256)
        .encryption_iterations(P12_ITERATIONS)
        .mac_algorithm(MacAlgorithm::HmacSha256)
        .mac_iterations(P12_ITERATIONS)
        .write()
        .map_err(p12)
}

/// Not-before and not-after of a new set.
struct Validity {
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
}

impl Validity {
    fn from_now() -> Validity {
        let now = OffsetDateTime::now_utc();
        // Whole seconds: X.509 times have no fractions.
        let now = now.replace_nanosecond(0).unwrap_or(now);
        Validity {
            not_before: now - BACKDATE,
            not_after: now - BACKDATE + LIFETIME,
        }
    }
}

fn distinguished_name(cn: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::OrganizationName, "legit demo");
    name.push(DnType::CommonName, cn);
    name
}

fn new_key() -> Result<KeyPair, CertError> {
    Ok(KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?)
}

/// A self-signed CA that may issue end-entity certificates only (path length 0).
fn self_signed_ca(
    cn: &str,
    validity: &Validity,
) -> Result<(Pem, Issuer<'static, KeyPair>), CertError> {
    let mut params = CertificateParams::default();
    params.distinguished_name = distinguished_name(cn);
    params.not_before = validity.not_before;
    params.not_after = validity.not_after;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let key = new_key()?;
    let cert = params.self_signed(&key)?;
    let pem = Pem {
        cert: cert.pem(),
        key: key.serialize_pem(),
    };
    Ok((pem, Issuer::new(params, key)))
}

/// An end-entity certificate for `usage`, carrying the authority key identifier of its issuer.
fn leaf_params(cn: &str, usage: ExtendedKeyUsagePurpose, validity: &Validity) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = distinguished_name(cn);
    params.not_before = validity.not_before;
    params.not_after = validity.not_after;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![usage];
    params.use_authority_key_identifier_extension = true;
    params
}

fn issue(params: &CertificateParams, issuer: &Issuer<'_, KeyPair>) -> Result<Pem, CertError> {
    let key = new_key()?;
    let cert = params.signed_by(&key, issuer)?;
    Ok(Pem {
        cert: cert.pem(),
        key: key.serialize_pem(),
    })
}

fn invalid(what: &str, reason: impl ToString) -> CertError {
    CertError::Invalid {
        what: what.to_owned(),
        reason: reason.to_string(),
    }
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> CertError + '_ {
    move |source| CertError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The DER of the first PEM block of `pem`, which must be a certificate.
fn cert_der(pem: &str, what: &str) -> Result<Vec<u8>, CertError> {
    let (_, block) = x509_parser::pem::parse_x509_pem(pem.as_bytes())
        .map_err(|e| invalid(what, format!("not a PEM certificate ({e})")))?;
    if block.label != "CERTIFICATE" {
        return Err(invalid(
            what,
            format!("a PEM {:?}, not a CERTIFICATE", block.label),
        ));
    }
    Ok(block.contents)
}

fn parse_cert<'a>(der: &'a [u8], what: &str) -> Result<X509Certificate<'a>, CertError> {
    X509Certificate::from_der(der)
        .map(|(_, cert)| cert)
        .map_err(|e| invalid(what, format!("not an X.509 certificate ({e})")))
}

/// Parses `key_pem` and checks that it is the private key of the certificate `der`.
fn check_key_matches(der: &[u8], key_pem: &str, what: &str) -> Result<KeyPair, CertError> {
    let key = KeyPair::from_pem(key_pem)
        .map_err(|e| invalid(what, format!("not a PKCS#8 PEM key ({e})")))?;
    let cert = parse_cert(der, what)?;
    if cert.public_key().subject_public_key.data.as_ref() != key.public_key_raw() {
        return Err(invalid(what, "does not belong to its certificate"));
    }
    Ok(key)
}

fn common_name(cert: &X509Certificate<'_>) -> Option<String> {
    cert.subject()
        .iter_common_name()
        .next()?
        .as_str()
        .ok()
        .map(str::to_owned)
}

/// Subject and authority key identifiers of a certificate.
struct KeyIds {
    subject: Option<Vec<u8>>,
    authority: Option<Vec<u8>>,
}

fn key_ids(cert: &X509Certificate<'_>) -> KeyIds {
    let mut ids = KeyIds {
        subject: None,
        authority: None,
    };
    for extension in cert.extensions() {
        match extension.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(id) => ids.subject = Some(id.0.to_vec()),
            ParsedExtension::AuthorityKeyIdentifier(aki) => {
                ids.authority = aki.key_identifier.as_ref().map(|id| id.0.to_vec());
            }
            _ => {}
        }
    }
    ids
}

fn read_text(path: &Path) -> Result<String, CertError> {
    fs::read_to_string(path).map_err(io_error(path))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    Public,
    Private,
}

/// Writes `data` to a temporary sibling and renames it over `path`, so a reader never sees half a file.
fn write_file(path: &Path, data: &[u8], access: Access) -> Result<(), CertError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        if access == Access::Private {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        #[cfg(not(unix))]
        let _ = access;
        let mut file = options.open(&tmp).map_err(io_error(&tmp))?;
        file.write_all(data).map_err(io_error(&tmp))?;
        drop(file);
        fs::rename(&tmp, path).map_err(io_error(path))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use std::process::Command;
    use std::sync::Arc;
    use std::time::{SystemTime, UNIX_EPOCH};

    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
    use x509_parser::extensions::GeneralName;

    use super::*;

    /// A scratch folder under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(label: &str) -> TempDir {
            static COUNTER: AtomicU64 = AtomicU64::new(0);
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            TempDir(std::env::temp_dir().join(format!(
                "legit-certs-{label}-{}-{nanos}-{n}",
                std::process::id()
            )))
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn der(pem: &Pem) -> Vec<u8> {
        cert_der(&pem.cert, "test").unwrap()
    }

    fn read_all(dir: &Path) -> Vec<(&'static str, Vec<u8>, SystemTime)> {
        FILES
            .iter()
            .map(|name| {
                let path = dir.join(name);
                (
                    *name,
                    fs::read(&path).unwrap(),
                    fs::metadata(&path).unwrap().modified().unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn generate_write_load_round_trips() {
        let dir = TempDir::new("round-trip");
        let certs = DemoCerts::generate().unwrap();
        certs.write(&dir.0).unwrap();
        for name in FILES {
            assert!(dir.0.join(name).is_file(), "{name} missing");
        }
        assert_eq!(DemoCerts::load(&dir.0).unwrap(), certs);
    }

    #[test]
    fn pem_shapes_are_certificate_and_pkcs8_key() {
        let certs = DemoCerts::generate().unwrap();
        for (name, pem) in certs.parts() {
            assert!(
                pem.cert.starts_with("-----BEGIN CERTIFICATE-----"),
                "{name}"
            );
            assert!(pem.key.starts_with("-----BEGIN PRIVATE KEY-----"), "{name}");
        }
    }

    #[test]
    fn server_certificate_names_localhost_and_loopback_addresses() {
        let certs = DemoCerts::generate().unwrap();
        let der = der(&certs.server);
        let cert = parse_cert(&der, "server").unwrap();
        let san = cert.subject_alternative_name().unwrap().unwrap().value;
        let mut dns = Vec::new();
        let mut ips = Vec::new();
        for name in &san.general_names {
            match name {
                GeneralName::DNSName(name) => dns.push(name.to_string()),
                GeneralName::IPAddress(ip) => ips.push(ip.to_vec()),
                other => panic!("unexpected SAN {other:?}"),
            }
        }
        assert_eq!(dns, ["localhost"]);
        assert_eq!(
            ips,
            [vec![127, 0, 0, 1], Ipv6Addr::LOCALHOST.octets().to_vec()]
        );
        assert_eq!(common_name(&cert).as_deref(), Some("localhost"));
    }

    #[test]
    fn names_issuers_and_validity_are_as_documented() {
        let certs = DemoCerts::generate().unwrap();
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let ca_der = der(&certs.ca);
        let ca = parse_cert(&ca_der, "ca").unwrap();
        assert_eq!(common_name(&ca).as_deref(), Some(CA_NAME));
        assert!(ca.is_ca());
        for (pem, cn, trusted) in [
            (&certs.rp, RP_NAME, true),
            (&certs.other_rp, OTHER_RP_NAME, true),
            (&certs.foreign_rp, FOREIGN_RP_NAME, false),
        ] {
            let der = der(pem);
            let cert = parse_cert(&der, cn).unwrap();
            assert_eq!(common_name(&cert).as_deref(), Some(cn));
            assert_eq!(
                key_ids(&cert).authority == key_ids(&ca).subject,
                trusted,
                "{cn}"
            );
            assert!(!cert.is_ca());
            let eku = cert.extended_key_usage().unwrap().unwrap().value;
            assert!(eku.client_auth && !eku.server_auth, "{cn}");
        }
        for (name, pem) in certs.parts() {
            let der = der(pem);
            let validity = parse_cert(&der, name).unwrap().validity().clone();
            let from = validity.not_before.timestamp();
            let until = validity.not_after.timestamp();
            assert!(
                (now - 86_400 - 5..=now - 86_400 + 5).contains(&from),
                "{name} not_before"
            );
            assert_eq!(until - from, 2 * 365 * 86_400, "{name} lifetime");
        }
    }

    #[test]
    fn load_rejects_a_key_from_another_set() {
        let dir = TempDir::new("mismatch");
        DemoCerts::generate().unwrap().write(&dir.0).unwrap();
        let other = DemoCerts::generate().unwrap();
        fs::write(dir.0.join("rp.key"), &other.rp.key).unwrap();
        let err = DemoCerts::load(&dir.0).unwrap_err();
        assert!(err.to_string().contains("rp.key"), "{err}");
        // ... and a certificate from another CA.
        let dir = TempDir::new("mismatch-ca");
        DemoCerts::generate().unwrap().write(&dir.0).unwrap();
        fs::write(dir.0.join("server.pem"), &other.server.cert).unwrap();
        fs::write(dir.0.join("server.key"), &other.server.key).unwrap();
        let err = DemoCerts::load(&dir.0).unwrap_err();
        assert!(err.to_string().contains("not issued by the CA"), "{err}");
    }

    #[test]
    fn load_or_generate_is_idempotent() {
        let dir = TempDir::new("idempotent");
        let first = DemoCerts::load_or_generate(&dir.0).unwrap();
        let files = read_all(&dir.0);
        let second = DemoCerts::load_or_generate(&dir.0).unwrap();
        assert_eq!(first, second);
        assert_eq!(read_all(&dir.0), files, "the second call rewrote files");
    }

    #[test]
    fn load_or_generate_replaces_an_incomplete_or_broken_set() {
        let dir = TempDir::new("repair");
        let first = DemoCerts::load_or_generate(&dir.0).unwrap();
        fs::remove_file(dir.0.join("rp.p12")).unwrap();
        let second = DemoCerts::load_or_generate(&dir.0).unwrap();
        assert_ne!(first, second);
        fs::write(dir.0.join("ca.pem"), "garbage").unwrap();
        let third = DemoCerts::load_or_generate(&dir.0).unwrap();
        assert_ne!(second, third);
        assert_eq!(DemoCerts::load(&dir.0).unwrap(), third);
        // A folder from before the result-signing key: a new set, with the key.
        fs::remove_file(dir.0.join("result-signing.key")).unwrap();
        let fourth = DemoCerts::load_or_generate(&dir.0).unwrap();
        assert_ne!(third, fourth);
        assert!(dir.0.join("result-signing.key").is_file());
        fs::write(dir.0.join("result-signing.key"), &fourth.rp.cert).unwrap();
        assert!(DemoCerts::load(&dir.0).is_err());
    }

    #[test]
    fn result_signing_key_is_a_pkcs8_p256_key_the_token_signer_reads() {
        let certs = DemoCerts::generate().unwrap();
        assert!(
            certs
                .result_signing_key
                .starts_with("-----BEGIN PRIVATE KEY-----")
        );
        let key = legit_core::token::SigningKey::from_pkcs8_pem(&certs.result_signing_key).unwrap();
        assert_eq!(key.jwks()["keys"][0]["crv"], "P-256");
        assert_ne!(certs.result_signing_key, certs.rp.key);
    }

    #[test]
    fn only_a_set_valid_for_another_day_is_reused() {
        let certs = DemoCerts::generate().unwrap();
        let now = OffsetDateTime::now_utc();
        assert!(certs.valid_throughout(now, RENEW_MARGIN).unwrap());
        assert!(
            !certs
                .valid_throughout(now + LIFETIME - Duration::hours(12), RENEW_MARGIN)
                .unwrap()
        );
        assert!(
            !certs
                .valid_throughout(now - Duration::days(2), RENEW_MARGIN)
                .unwrap()
        );
    }

    #[cfg(unix)]
    #[test]
    fn private_keys_are_owner_only() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = TempDir::new("mode");
        DemoCerts::generate().unwrap().write(&dir.0).unwrap();
        for name in [
            "ca.key",
            "server.key",
            "rp.key",
            "rp.p12",
            "result-signing.key",
        ] {
            let mode = fs::metadata(dir.0.join(name)).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{name} is {mode:o}");
        }
    }

    #[test]
    fn p12_parses_back_with_p12_keystore() {
        let certs = DemoCerts::generate().unwrap();
        let p12 = pkcs12(&certs.rp, &certs.ca, RP_P12_PASSWORD).unwrap();
        let store =
            KeyStore::from_pkcs12(&p12, RP_P12_PASSWORD, Pkcs12ImportPolicy::Strict).unwrap();
        let (alias, chain) = store.private_key_chain().unwrap();
        assert_eq!(alias, RP_NAME);
        let ders: Vec<&[u8]> = chain.certs().iter().map(Certificate::as_der).collect();
        assert_eq!(ders, [&der(&certs.rp)[..], &der(&certs.ca)[..]]);
        let key = KeyPair::from_pem(&certs.rp.key).unwrap();
        assert_eq!(chain.key().as_der(), key.serialized_der());

        assert!(KeyStore::from_pkcs12(&p12, "wrong", Pkcs12ImportPolicy::Strict).is_err());
    }

    #[test]
    fn p12_opens_with_the_openssl_cli_using_modern_algorithms() {
        let dir = TempDir::new("openssl");
        let certs = DemoCerts::generate().unwrap();
        certs.write(&dir.0).unwrap();
        let p12 = dir.0.join("rp.p12");
        let pass = format!("pass:{RP_P12_PASSWORD}");
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(["pkcs12", "-in"])
                .arg(&p12)
                .args(["-passin", &pass])
                .args(args)
                .output()
                .expect("the openssl CLI must be installed (apt-get install openssl)");
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            assert!(
                out.status.success(),
                "openssl pkcs12 {args:?} failed:\n{stdout}\n{stderr}"
            );
            format!("{stdout}{stderr}")
        };

        let info = openssl(&["-info", "-noout"]);
        assert!(info.contains("MAC: sha256"), "{info}");
        assert!(info.contains("PBES2, PBKDF2, AES-256-CBC"), "{info}");
        assert!(!info.contains("RC2") && !info.contains("3DES"), "{info}");

        let dump = openssl(&["-nodes"]);
        let body = |pem: &str| {
            pem.lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<String>()
        };
        assert!(dump.contains("BEGIN PRIVATE KEY"), "{dump}");
        let dumped: String = dump.lines().filter(|l| !l.starts_with("-----")).collect();
        assert!(
            dumped.contains(&body(&certs.rp.cert)),
            "rp certificate missing from:\n{dump}"
        );
        assert!(
            dumped.contains(&body(&certs.ca.cert)),
            "CA certificate missing from:\n{dump}"
        );

        let wrong = Command::new("openssl")
            .args(["pkcs12", "-info", "-noout", "-passin", "pass:wrong", "-in"])
            .arg(&p12)
            .output()
            .unwrap();
        assert!(!wrong.status.success());
    }

    // --- The set works with a strict TLS stack (webpki via rustls), the way the simulator uses it. ---

    fn cert_chain(pem: &Pem) -> Vec<CertificateDer<'static>> {
        vec![CertificateDer::from(der(pem))]
    }

    fn private_key(pem: &Pem) -> PrivateKeyDer<'static> {
        let key = KeyPair::from_pem(&pem.key).unwrap();
        PrivatePkcs8KeyDer::from(key.serialize_der()).into()
    }

    /// Runs a TLS handshake in memory: a server with `certs.server` that requires a client certificate from
    /// `certs.ca`, and a client that pins `certs.ca`, connects to `name` and presents `client`.
    fn handshake(certs: &DemoCerts, name: &str, client: Option<&Pem>) -> Result<(), rustls::Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        roots.add(CertificateDer::from(der(&certs.ca))).unwrap();
        let roots = Arc::new(roots);

        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            roots.clone(),
            provider.clone(),
        )
        .build()
        .unwrap();
        let server_config = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(cert_chain(&certs.server), private_key(&certs.server))
            .unwrap();
        let client_config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots);
        let client_config = match client {
            Some(pem) => client_config
                .with_client_auth_cert(cert_chain(pem), private_key(pem))
                .unwrap(),
            None => client_config.with_no_client_auth(),
        };

        let server_name = ServerName::try_from(name.to_owned()).unwrap();
        let mut client =
            rustls::ClientConnection::new(Arc::new(client_config), server_name).unwrap();
        let mut server = rustls::ServerConnection::new(Arc::new(server_config)).unwrap();
        for _ in 0..10 {
            let mut wire = Vec::new();
            while client.wants_write() {
                client.write_tls(&mut wire).unwrap();
            }
            let mut rd = &wire[..];
            while !rd.is_empty() {
                server.read_tls(&mut rd).unwrap();
            }
            server.process_new_packets()?;

            let mut wire = Vec::new();
            while server.wants_write() {
                server.write_tls(&mut wire).unwrap();
            }
            let mut rd = &wire[..];
            while !rd.is_empty() {
                client.read_tls(&mut rd).unwrap();
            }
            client.process_new_packets()?;

            if !client.is_handshaking() && !server.is_handshaking() {
                return Ok(());
            }
        }
        panic!("handshake did not finish");
    }

    #[test]
    fn rustls_accepts_server_for_every_name_and_trusted_clients_only() {
        let certs = DemoCerts::generate().unwrap();
        for name in ["localhost", "127.0.0.1", "::1"] {
            handshake(&certs, name, Some(&certs.rp)).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        handshake(&certs, "127.0.0.1", Some(&certs.other_rp)).unwrap();
        assert!(handshake(&certs, "127.0.0.1", Some(&certs.foreign_rp)).is_err());
        assert!(handshake(&certs, "127.0.0.1", None).is_err());
        assert!(handshake(&certs, "example.com", Some(&certs.rp)).is_err());
    }
}
