//! `GET /admin`: the administrator's page (DESIGN.md §1): the tenant's audit log by date, a page at a time,
//! all matching rows as one CSV download, an order found by its id, and a warning while the RP certificate runs
//! out. Plain HTML from the server, no script: the browser asks for the tenant's API key (HTTP Basic, as
//! the password) and sends it itself, so nothing on the page ever holds the key.

use legit_core::audit::{AuditPage, AuditQuery};
use legit_core::certificate::{Expiry, days_left, utc_text};
use legit_core::message::html_escape;
use legit_core::provider::form_urlencode;
use worker::{Env, Request, Response};

use crate::access::{self, RequestOrigin};
use crate::audit;
use crate::config::{self, Config, RpCertificate};
use crate::error::ApiError;

/// The form's fields, echoed back as typed.
const FIELDS: [&str; 3] = ["from", "to", "order"];

/// Scripts: none. Styles: the edge's own stylesheet. The form submits to this page only; nobody frames it.
const CSP: &str = "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; \
                   base-uri 'none'";

pub async fn serve(
    req: &Request,
    env: &Env,
    config: &Config,
    origin: &RequestOrigin,
    now_ms: u64,
) -> Result<Response, ApiError> {
    let authorization = req.headers().get("Authorization")?;
    let tenant = match access::admin_tenant(&config.tenants, origin, authorization.as_deref()) {
        Ok(tenant) => tenant,
        Err(ApiError::Unauthenticated(_)) => return sign_in(),
        Err(e) => return Err(e),
    };
    let url = req.url()?;
    // An empty field of the form is no filter.
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .into_owned()
        .filter(|(_, v)| !v.trim().is_empty())
        .collect();
    let typed = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    let mut query = AuditQuery::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    // A person reads the latest checks first, and each page's link leads to older ones; the CSV stays in the
    // order they happened.
    if let Ok(q) = &mut query
        && !q.csv
    {
        q.newest_first = true;
    }
    let key = config::session_key(env)?;
    if let Ok(q) = &query
        && q.csv
    {
        return audit::csv_export(env, &tenant.id, q, &key).await;
    }
    let result = match &query {
        Ok(q) => Ok(audit::read(env, &tenant.id, q, &key).await?),
        Err(e) => Err(e.to_string()),
    };
    let html = admin_html(&AdminView {
        tenant_name: &tenant.display_name,
        fields: FIELDS.map(typed),
        rows: result.as_ref().map_err(String::as_str),
        certificate: certificate_warning(&config.rp_certificate, now_ms / 1_000),
    });
    let mut resp = Response::from_html(html)?;
    let headers = resp.headers_mut();
    headers.set("Content-Security-Policy", CSP)?;
    headers.set("Cache-Control", "no-store")?;
    Ok(resp)
}

/// 401 with a Basic challenge: the browser asks for the credentials and sends them with every request here.
fn sign_in() -> Result<Response, ApiError> {
    let mut resp = Response::from_html(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign in</title></head>\
         <body><p>Sign in with your tenant's API key as the password (any user name).</p></body></html>\n",
    )?
    .with_status(401);
    let headers = resp.headers_mut();
    headers.set(
        "WWW-Authenticate",
        "Basic realm=\"legit audit log\", charset=\"UTF-8\"",
    )?;
    headers.set("Content-Security-Policy", CSP)?;
    headers.set("Cache-Control", "no-store")?;
    Ok(resp)
}

/// What the page shows.
pub struct AdminView<'a> {
    pub tenant_name: &'a str,
    /// `from`, `to` and `order` as typed (empty when not given).
    pub fields: [&'a str; 3],
    /// The rows, or why the query was refused.
    pub rows: Result<&'a AuditPage, &'a str>,
    pub certificate: Option<String>,
}

/// The administrator is told from 30 days before the RP certificate expires, and of a setting that cannot
/// tell. Nothing while all is well.
pub fn certificate_warning(certificate: &RpCertificate, now_secs: u64) -> Option<String> {
    let now = i64::try_from(now_secs).unwrap_or(i64::MAX);
    match certificate {
        RpCertificate::Unset => Some(
            "Set BANKID_CLIENT_CERT (the RP certificate's PEM) to be warned here before it expires."
                .to_owned(),
        ),
        RpCertificate::Unreadable(why) => Some(format!("{why}. Expiry cannot be watched.")),
        &RpCertificate::NotAfter(secs) => {
            let date = &utc_text(secs)[..10];
            match Expiry::at(secs, now) {
                Expiry::Ok => None,
                Expiry::Expiring => Some(format!(
                    "The RP certificate expires on {date}, in {} days: order a new one from your bank now, \
                     or BankID refuses every identification after that day.",
                    days_left(secs, now)
                )),
                Expiry::Expired => Some(format!(
                    "The RP certificate expired on {date}: BankID refuses every identification until a new \
                     one is installed."
                )),
            }
        }
    }
}

pub fn admin_html(view: &AdminView<'_>) -> String {
    let [from, to, order] = view.fields.map(html_escape);
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>Audit log · {name}</title>\
         <link rel=\"stylesheet\" href=\"/widget/admin.css\"></head><body><main>\
         <h1>Audit log <span class=\"tenant\">{name}</span></h1>",
        name = html_escape(view.tenant_name),
    );
    if let Some(warning) = &view.certificate {
        out.push_str(&format!(
            "<p class=\"warning\" role=\"alert\">{}</p>",
            html_escape(warning)
        ));
    }
    out.push_str(&format!(
        "<form method=\"get\" action=\"/admin\">\
         <label>From <input type=\"date\" name=\"from\" value=\"{from}\"></label>\
         <label>To <input type=\"date\" name=\"to\" value=\"{to}\"></label>\
         <label>Order id <input type=\"text\" name=\"order\" value=\"{order}\" size=\"34\" \
         spellcheck=\"false\" autocomplete=\"off\"></label>\
         <button type=\"submit\">Show</button></form>\
         <p class=\"note\">One row per check: when (UTC), what kind, how it came in, how it ended. No row names \
         a person; the order is a keyed hash of its id.</p>"
    ));
    match view.rows {
        Err(why) => out.push_str(&format!(
            "<p class=\"error\" role=\"alert\">{}</p>",
            html_escape(why)
        )),
        Ok(page) if page.entries.is_empty() => {
            out.push_str("<p class=\"empty\">No checks in this period.</p>");
        }
        Ok(page) => {
            out.push_str(
                "<table><thead><tr><th scope=\"col\">Time (UTC)</th><th scope=\"col\">Check</th>\
                 <th scope=\"col\">Channel</th><th scope=\"col\">Outcome</th><th scope=\"col\">Code</th>\
                 <th scope=\"col\">Order</th></tr></thead><tbody>",
            );
            for e in &page.entries {
                out.push_str(&format!(
                    "<tr class=\"{outcome}\"><td>{at}</td><td>{kind}</td><td>{channel}</td>\
                     <td>{outcome}</td><td>{code}</td><td class=\"hash\">{order}</td></tr>",
                    at = html_escape(&e.at.replace('T', " ").replace('Z', "")),
                    kind = html_escape(&e.kind),
                    channel = e.channel.map_or("", |c| c.as_str()),
                    outcome = e.outcome.as_str(),
                    code = html_escape(e.code.as_deref().unwrap_or("")),
                    order = html_escape(&e.order),
                ));
            }
            out.push_str("</tbody></table><p class=\"pages\">");
            out.push_str(&format!(
                "<a href=\"{}\">Download all matching rows as CSV</a>",
                html_escape(&href(view.fields, None, true))
            ));
            if let Some(cursor) = &page.next_cursor {
                out.push_str(&format!(
                    " · <a href=\"{}\">Older checks</a>",
                    html_escape(&href(view.fields, Some(cursor), false))
                ));
            }
            out.push_str("</p>");
        }
    }
    out.push_str("</main></body></html>\n");
    out
}

/// `/admin?…` with the form's fields and, for the next page, its cursor.
fn href(fields: [&str; 3], cursor: Option<&str>, csv: bool) -> String {
    let mut pairs: Vec<(&str, &str)> = FIELDS
        .into_iter()
        .zip(fields)
        .filter(|(_, v)| !v.is_empty())
        .collect();
    if let Some(cursor) = cursor {
        pairs.push(("cursor", cursor));
    }
    if csv {
        pairs.push(("format", "csv"));
    }
    if pairs.is_empty() {
        "/admin".to_owned()
    } else {
        format!("/admin?{}", form_urlencode(&pairs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use legit_core::audit::{AuditView, Channel, Outcome};

    fn row(code: Option<&str>) -> AuditView {
        AuditView {
            at: "2026-12-07T09:15:02Z".into(),
            kind: "phoneAuth".into(),
            channel: Some(Channel::Agent),
            outcome: Outcome::Failed,
            code: code.map(str::to_owned),
            order: "0123456789abcdef0123456789abcdef".into(),
        }
    }

    #[test]
    fn rows_show_with_links_to_the_next_page_and_the_csv_of_the_same_filter() {
        let page = AuditPage {
            entries: vec![row(Some("already_in_progress")), row(None)],
            next_cursor: Some("42".into()),
        };
        let html = admin_html(&AdminView {
            tenant_name: "Åsa & Ørn <AB>",
            fields: ["2026-12-01", "2026-12-07", ""],
            rows: Ok(&page),
            certificate: None,
        });
        assert!(html.contains("Åsa &amp; Ørn &lt;AB&gt;"), "{html}");
        assert_eq!(html.matches("<tr class=\"failed\">").count(), 2);
        assert!(html.contains("<td>2026-12-07 09:15:02</td>"));
        assert!(html.contains("<td>already_in_progress</td>"));
        assert!(html.contains("href=\"/admin?from=2026-12-01&amp;to=2026-12-07&amp;cursor=42\""));
        assert!(html.contains("href=\"/admin?from=2026-12-01&amp;to=2026-12-07&amp;format=csv\""));
        assert!(html.contains("name=\"from\" value=\"2026-12-01\""));
        assert!(!html.contains("<script") && !html.contains("style="));
        assert!(!html.contains("class=\"warning\""));
    }

    #[test]
    fn a_refused_query_and_an_empty_period_say_so_and_typed_text_is_escaped() {
        let html = admin_html(&AdminView {
            tenant_name: "Demo",
            fields: ["\"><script>", "", ""],
            rows: Err("\"from\" must be a date"),
            certificate: None,
        });
        assert!(
            html.contains("value=\"&quot;&gt;&lt;script&gt;\""),
            "{html}"
        );
        assert!(!html.contains("<script>"));
        assert!(
            html.contains("<p class=\"error\" role=\"alert\">&quot;from&quot; must be a date</p>")
        );
        let empty = AuditPage {
            entries: vec![],
            next_cursor: None,
        };
        let html = admin_html(&AdminView {
            tenant_name: "Demo",
            fields: ["", "", ""],
            rows: Ok(&empty),
            certificate: None,
        });
        assert!(html.contains("No checks in this period."));
        assert!(!html.contains("Older checks"));
    }

    #[test]
    fn the_certificate_is_warned_of_from_thirty_days_before_it_expires() {
        let day = 86_400;
        let end = 1_796_601_600; // 2026-12-07T00:00:00Z
        let at = |days_before: i64| {
            certificate_warning(
                &RpCertificate::NotAfter(end),
                u64::try_from(end - days_before * day).unwrap(),
            )
        };
        assert_eq!(at(31), None);
        let soon = at(12).unwrap();
        assert!(soon.contains("expires on 2026-12-07, in 12 days"), "{soon}");
        let gone = certificate_warning(&RpCertificate::NotAfter(end), u64::try_from(end).unwrap())
            .unwrap();
        assert!(gone.contains("expired on 2026-12-07"), "{gone}");
        assert!(
            certificate_warning(&RpCertificate::Unset, 0)
                .unwrap()
                .contains("BANKID_CLIENT_CERT")
        );
        let unreadable =
            RpCertificate::Unreadable("BANKID_CLIENT_CERT: not a PEM certificate".into());
        assert!(
            certificate_warning(&unreadable, 0)
                .unwrap()
                .starts_with("BANKID_CLIENT_CERT: not a PEM")
        );
        // Shown on the page, escaped like everything else.
        let html = admin_html(&AdminView {
            tenant_name: "Demo",
            fields: ["", "", ""],
            rows: Err("x"),
            certificate: Some(soon),
        });
        assert!(html.contains("<p class=\"warning\" role=\"alert\">The RP certificate expires on"));
    }

    #[test]
    fn links_carry_the_filter_encoded() {
        assert_eq!(href(["", "", ""], None, false), "/admin");
        assert_eq!(
            href(["2026-12-01T08:00:00Z", "", "ab"], Some("7"), true),
            "/admin?from=2026-12-01T08%3A00%3A00Z&order=ab&cursor=7&format=csv"
        );
    }
}
