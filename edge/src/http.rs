//! What every answer of the edge carries: security headers, and CORS for an allowed cross-origin caller.
//! The header sets are plain data, so they are tested natively; [`finish`] applies them.

use worker::{Headers, Response};

/// The headers a cross-origin caller may send (a preflight asks for them).
pub const ALLOWED_REQUEST_HEADERS: &str = "Content-Type, Authorization, X-Legit-Tenant";
/// What an API answer allows: nothing to load, nothing to frame it.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// The widget's page: its own scripts, styles and wasm only; talks to this edge only; framed only by the
/// tenant's sites (`frame_ancestors`, from [`legit_core::tenant::Tenant::frame_ancestors`]).
pub fn page_csp(frame_ancestors: &str) -> String {
    format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; frame-ancestors {frame_ancestors}; base-uri 'none'; form-action 'none'"
    )
}

/// The headers added to an answer. `has` tells which the handler already set (a page's own CSP, an
/// asset's caching), which are kept.
pub fn added_headers(
    has: impl Fn(&str) -> bool,
    cors_origin: Option<&str>,
) -> Vec<(&'static str, String)> {
    let mut out = vec![
        (
            "Strict-Transport-Security",
            "max-age=31536000; includeSubDomains".to_owned(),
        ),
        ("X-Content-Type-Options", "nosniff".to_owned()),
        // Link pages carry a token in their URL; no page of ours hands its URL to anyone.
        ("Referrer-Policy", "no-referrer".to_owned()),
    ];
    if !has("Content-Security-Policy") {
        out.push(("Content-Security-Policy", API_CSP.to_owned()));
    }
    // Answers hold identities and one-time values: no cache keeps them unless a handler says otherwise.
    if !has("Cache-Control") {
        out.push(("Cache-Control", "no-store".to_owned()));
    }
    if let Some(origin) = cors_origin {
        out.push(("Access-Control-Allow-Origin", origin.to_owned()));
        out.push((
            "Access-Control-Expose-Headers",
            "Retry-After, WWW-Authenticate".to_owned(),
        ));
    }
    // The answer depends on Origin (CORS headers, 403) whether or not this one was cross-origin.
    out.push(("Vary", "Origin".to_owned()));
    out
}

/// The answer to a CORS preflight from an allowed origin (the origin check already ran).
pub fn preflight() -> worker::Result<Response> {
    let mut resp = Response::empty()?.with_status(204);
    let h = resp.headers_mut();
    h.set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")?;
    h.set("Access-Control-Allow-Headers", ALLOWED_REQUEST_HEADERS)?;
    h.set("Access-Control-Max-Age", "600")?;
    Ok(resp)
}

/// Adds [`added_headers`] to any answer. The headers are copied into a fresh set first: those of an answer
/// from a Durable Object or the assets binding are immutable.
pub fn finish(resp: Response, cors_origin: Option<&str>) -> worker::Result<Response> {
    let headers = Headers::new();
    for (name, value) in resp.headers().entries() {
        headers.append(&name, &value)?;
    }
    for (name, value) in added_headers(|n| headers.has(n).unwrap_or(false), cors_origin) {
        headers.set(name, &value)?;
    }
    Ok(resp.with_headers(headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[(&'static str, String)]) -> Vec<&'static str> {
        v.iter().map(|(n, _)| *n).collect()
    }

    #[test]
    fn every_answer_gets_the_security_headers() {
        let h = added_headers(|_| false, None);
        for name in [
            "Strict-Transport-Security",
            "X-Content-Type-Options",
            "Referrer-Policy",
            "Content-Security-Policy",
            "Cache-Control",
        ] {
            assert!(names(&h).contains(&name), "{name}");
        }
        assert!(!names(&h).contains(&"Access-Control-Allow-Origin"));
    }

    #[test]
    fn a_page_keeps_its_own_policy_and_caching() {
        let h = added_headers(
            |n| n == "Content-Security-Policy" || n == "Cache-Control",
            None,
        );
        assert!(!names(&h).contains(&"Content-Security-Policy"));
        assert!(!names(&h).contains(&"Cache-Control"));
    }

    #[test]
    fn an_allowed_origin_gets_cors_for_itself_only() {
        let h = added_headers(|_| false, Some("https://crm.acme.se"));
        let acao: Vec<_> = h
            .iter()
            .filter(|(n, _)| *n == "Access-Control-Allow-Origin")
            .collect();
        assert_eq!(acao.len(), 1);
        assert_eq!(acao[0].1, "https://crm.acme.se");
    }

    #[test]
    fn the_page_policy_names_the_frame_ancestors() {
        let csp = page_csp("https://crm.acme.se http://127.0.0.1:8790");
        assert!(csp.contains("frame-ancestors https://crm.acme.se http://127.0.0.1:8790;"));
        assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval'"));
        assert!(!csp.contains("unsafe-inline"));
    }
}
