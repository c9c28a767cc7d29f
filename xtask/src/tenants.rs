//! The demo's tenant: `target/demo/tenants.json` (the edge's TENANTS document) and the tenant's API key in
//! `target/demo/api-key`, made once and kept, so an integrator's scripts keep working across demo runs. The key
//! is 32 random bytes from the OS; only its SHA-256 goes into the tenants document (`sha256sum`, coreutils),
//! as in production.

use std::fs;
use std::io::{BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::util::Result;

pub const TENANT: &str = "demo";
const TENANTS_FILE: &str = "target/demo/tenants.json";
pub const API_KEY_FILE: &str = "target/demo/api-key";

/// Writes the tenants document (always, so a changed origin list takes effect) and returns
/// `(tenants file, api key)`.
pub fn prepare(allowed_origins: &[String]) -> Result<(String, String)> {
    let key = api_key()?;
    let hash = sha256_hex(&key)?;
    let origins = allowed_origins
        .iter()
        .map(|o| format!("\"{o}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let doc = format!(
        "{{\n  \"{TENANT}\": {{\n    \"displayName\": \"Demo Bank\",\n    \"locale\": \"sv\",\n    \
         \"allowedOrigins\": [{origins}],\n    \"apiKeyHashes\": [\"sha256:{hash}\"],\n    \
         \"disclosure\": {{\"personalNumber\": \"full\", \"names\": true}},\n    \"retentionSeconds\": 600,\n    \
         \"smsSender\": \"DemoBank\"\n  }}\n}}\n"
    );
    fs::write(TENANTS_FILE, doc).map_err(|e| format!("write {TENANTS_FILE}: {e}"))?;
    Ok((TENANTS_FILE.to_owned(), key))
}

fn api_key() -> Result<String> {
    if let Ok(key) = fs::read_to_string(API_KEY_FILE) {
        let key = key.trim().to_owned();
        if key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(key);
        }
    }
    let mut bytes = [0u8; 32];
    fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| format!("read /dev/urandom: {e}"))?;
    let key: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    if let Some(dir) = Path::new(API_KEY_FILE).parent() {
        fs::create_dir_all(dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    }
    write_private(API_KEY_FILE, &key)?;
    Ok(key)
}

#[cfg(unix)]
fn write_private(path: &str, text: &str) -> Result {
    use std::os::unix::fs::OpenOptionsExt as _;
    fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("write {path}: {e}"))
}

#[cfg(not(unix))]
fn write_private(path: &str, text: &str) -> Result {
    fs::write(path, text).map_err(|e| format!("write {path}: {e}"))
}

fn sha256_hex(text: &str) -> Result<String> {
    let mut child = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("run sha256sum (coreutils): {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(text.as_bytes())
            .map_err(|e| format!("sha256sum: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("sha256sum: {e}"))?;
    let hex = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    if hex.len() != 64 {
        return Err(format!(
            "sha256sum printed {:?}",
            String::from_utf8_lossy(&out.stdout)
        ));
    }
    Ok(hex)
}

/// Mints an agent session as the tenant's backend would (`POST /api/v1/sessions` with the API key), so the
/// printed agent URL works at once. `None` when the edge does not answer as expected.
pub fn mint_session(edge: SocketAddr, api_key: &str) -> Option<String> {
    let mut stream = TcpStream::connect_timeout(&edge, Duration::from_secs(2)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "POST /api/v1/sessions HTTP/1.1\r\nHost: {edge}\r\nAuthorization: Bearer {api_key}\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    BufReader::new(stream).read_to_string(&mut text).ok()?;
    let status_ok = text.lines().next()?.split_whitespace().nth(1) == Some("201");
    let body = &text[text.find("\r\n\r\n")? + 4..];
    let start = body.find("\"session\":\"")? + "\"session\":\"".len();
    let end = start + body[start..].find('"')?;
    status_ok.then(|| body[start..end].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufRead as _;

    #[test]
    fn sha256_matches_the_known_vector() {
        assert_eq!(
            sha256_hex("abc").unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_session_is_read_from_the_answer() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(&stream);
            let mut first = String::new();
            reader.read_line(&mut first).unwrap();
            assert_eq!(first, "POST /api/v1/sessions HTTP/1.1\r\n");
            // Read the whole head: closing with unread bytes would reset the connection.
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap() > 2 {
                line.clear();
            }
            stream
                .write_all(b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n\r\n{\"session\":\"s1.abc.def\",\"tenant\":\"demo\"}")
                .unwrap();
        });
        assert_eq!(mint_session(addr, "k").as_deref(), Some("s1.abc.def"));
        server.join().unwrap();
    }
}
