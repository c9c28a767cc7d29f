//! The audit log in D1 (binding `AUDIT`, schema in `edge/migrations/`): one row per ended order, written by
//! the order's object, and one per start BankID refused (`handlers::orders::audit_refused_start`); read by a
//! tenant's backend at `GET /admin/audit` (JSON a page at a time, or all of it as one CSV) and by its
//! administrator at `GET /admin`. What a row may hold is decided in `legit_core::audit`; this file only
//! stores and reads it.

use std::future::Future;

use futures_util::{Stream, TryStreamExt as _, stream};
use legit_core::audit::{AuditEntry, AuditPage, AuditQuery, CSV_HEADER, Channel, Outcome};
use legit_core::session::SessionKey;
use serde::Deserialize;
use worker::wasm_bindgen::JsValue;
use worker::{D1Database, Env, Response, console_log, console_warn};

use crate::error::ApiError;

/// The D1 binding's name in `wrangler.toml` and the local launcher.
pub const BINDING: &str = "AUDIT";

/// Stores `entry`, and says it in the log too (the same fields: nothing personal). A failing database
/// never fails the order: the person is identified either way, and the warning says a row is missing.
pub async fn record(env: &Env, entry: &AuditEntry) {
    console_log!(
        "audit tenant={} kind={} channel={} outcome={} code={} order={}",
        entry.tenant,
        entry.kind,
        entry.channel.map_or("-", Channel::as_str),
        entry.outcome.as_str(),
        entry.code.as_deref().unwrap_or("-"),
        entry.order
    );
    if let Err(e) = insert(env, entry).await {
        console_warn!("audit row for order {} not stored: {e}", entry.order);
    }
}

async fn insert(env: &Env, entry: &AuditEntry) -> Result<(), worker::Error> {
    let db = env.d1(BINDING)?;
    #[allow(clippy::cast_precision_loss)] // Unix ms stay below 2^53 for the next 285,000 years.
    let at = entry.at_ms as f64;
    db.prepare(
        "INSERT INTO audit (at_ms, tenant, kind, outcome, code, order_hash, channel) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .bind(&[
        JsValue::from_f64(at),
        JsValue::from_str(&entry.tenant),
        JsValue::from_str(&entry.kind),
        JsValue::from_str(entry.outcome.as_str()),
        entry
            .code
            .as_deref()
            .map_or(JsValue::NULL, JsValue::from_str),
        JsValue::from_str(&entry.order),
        entry
            .channel
            .map_or(JsValue::NULL, |c| JsValue::from_str(c.as_str())),
    ])?
    .run()
    .await?;
    Ok(())
}

#[derive(Deserialize)]
struct Row {
    id: f64,
    at_ms: f64,
    kind: String,
    channel: Option<String>,
    outcome: String,
    code: Option<String>,
    order_hash: String,
}

/// `GET /admin/audit`: the tenant's own rows only, oldest first, a JSON page or the whole CSV; with `order=`,
/// only that order's row, found by the hash `key` makes of the id.
pub async fn answer(
    env: &Env,
    tenant_id: &str,
    query: &AuditQuery,
    key: &SessionKey,
) -> Result<Response, ApiError> {
    if query.csv {
        csv_export(env, tenant_id, query, key).await
    } else {
        Ok(Response::from_json(
            &read(env, tenant_id, query, key).await?,
        )?)
    }
}

/// Every row `query` asks for as one CSV download (DESIGN.md §4), streamed a page of
/// [`legit_core::audit::MAX_PAGE`] rows at a time, so a year of checks never sits in the Worker's memory.
/// The first page is read before the answer starts, so a database that is down gets an error status; one
/// failing later breaks the download off, and the client sees a failed download, never a file that looks
/// whole.
pub async fn csv_export(
    env: &Env,
    tenant_id: &str,
    query: &AuditQuery,
    key: &SessionKey,
) -> Result<Response, ApiError> {
    let first = read(env, tenant_id, query, key).await?;
    let (env, tenant_id, query, key) = (
        env.clone(),
        tenant_id.to_owned(),
        query.clone(),
        key.clone(),
    );
    let chunks = csv_chunks(first, move |after| {
        let (env, tenant_id, key) = (env.clone(), tenant_id.clone(), key.clone());
        let query = AuditQuery {
            after,
            ..query.clone()
        };
        async move { read(&env, &tenant_id, &query, &key).await }
    });
    let mut resp = Response::from_stream(
        chunks.map_err(|e| worker::Error::RustError(format!("audit export broken off: {e}"))),
    )?;
    let headers = resp.headers_mut();
    headers.set("Content-Type", "text/csv; charset=utf-8")?;
    headers.set(
        "Content-Disposition",
        "attachment; filename=\"legit-audit.csv\"",
    )?;
    headers.set("Cache-Control", "no-store")?;
    Ok(resp)
}

/// The export's chunks: the header and the `first` page, then a page per cursor, each read by `next` only
/// when the client has taken the one before.
pub fn csv_chunks<F, Fut>(first: AuditPage, next: F) -> impl Stream<Item = Result<String, ApiError>>
where
    F: FnMut(u64) -> Fut,
    Fut: Future<Output = Result<AuditPage, ApiError>>,
{
    enum Step {
        Page(AuditPage),
        After(u64),
        Done,
    }
    stream::try_unfold(
        (Step::Page(first), next, CSV_HEADER),
        |(step, mut next, header)| async move {
            let page = match step {
                Step::Done => return Ok(None),
                Step::Page(page) => page,
                Step::After(after) => next(after).await?,
            };
            let step = page
                .next_cursor
                .as_deref()
                .and_then(|c| c.parse().ok())
                .map_or(Step::Done, Step::After);
            Ok(Some((
                format!("{header}{}", page.csv_rows()),
                (step, next, ""),
            )))
        },
    )
}

/// The tenant's rows that `query` asks for.
pub async fn read(
    env: &Env,
    tenant_id: &str,
    query: &AuditQuery,
    key: &SessionKey,
) -> Result<AuditPage, ApiError> {
    let db: D1Database = env
        .d1(BINDING)
        .map_err(|e| ApiError::Config(format!("{BINDING}: {e}")))?;
    #[allow(clippy::cast_precision_loss)]
    let (from, to, after) = (query.from_ms as f64, query.to_ms as f64, query.after as f64);
    // NULL matches every row: no `order=`, no filter.
    let order_hash = query
        .order_id
        .as_deref()
        .map_or(JsValue::NULL, |id| JsValue::from_str(&key.audit_hash(id)));
    // Two statements rather than one with a computed ORDER BY, so SQLite walks the id index either way. Newest
    // first, the cursor is the row before which the page starts (none: from the latest).
    let sql = if query.newest_first {
        "SELECT id, at_ms, kind, channel, outcome, code, order_hash FROM audit \
         WHERE tenant = ?1 AND at_ms >= ?2 AND at_ms < ?3 AND (?4 = 0 OR id < ?4) \
         AND (?6 IS NULL OR order_hash = ?6) ORDER BY id DESC LIMIT ?5"
    } else {
        "SELECT id, at_ms, kind, channel, outcome, code, order_hash FROM audit \
         WHERE tenant = ?1 AND at_ms >= ?2 AND at_ms < ?3 AND id > ?4 \
         AND (?6 IS NULL OR order_hash = ?6) ORDER BY id LIMIT ?5"
    };
    let rows: Vec<Row> = db
        .prepare(sql)
        .bind(&[
            JsValue::from_str(tenant_id),
            JsValue::from_f64(from),
            JsValue::from_f64(to),
            JsValue::from_f64(after),
            // One more than asked, to know whether another page follows.
            JsValue::from_f64(f64::from(query.limit) + 1.0),
            order_hash,
        ])?
        .all()
        .await?
        .results()?;
    let more = rows.len() > query.limit as usize;
    let rows = &rows[..rows.len().min(query.limit as usize)];
    let entries = rows
        .iter()
        .filter_map(|r| {
            Some(
                AuditEntry {
                    at_ms: whole(r.at_ms)?,
                    tenant: tenant_id.to_owned(),
                    kind: r.kind.clone(),
                    channel: r.channel.as_deref().and_then(Channel::parse),
                    outcome: Outcome::parse(&r.outcome)?,
                    code: r.code.clone(),
                    order: r.order_hash.clone(),
                }
                .view(),
            )
        })
        .collect();
    let next_cursor = more
        .then(|| rows.last().and_then(|r| whole(r.id)))
        .flatten()
        .map(|id| id.to_string());
    Ok(AuditPage {
        entries,
        next_cursor,
    })
}

/// A whole, non-negative number stored as SQLite INTEGER and read back as a JS number.
fn whole(n: f64) -> Option<u64> {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    (n.is_finite() && n >= 0.0 && n.fract() == 0.0).then_some(n as u64)
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use futures_util::FutureExt as _;
    use legit_core::audit::{AuditView, Outcome};

    use super::*;

    fn page(orders: &[&str], next_cursor: Option<&str>) -> AuditPage {
        AuditPage {
            entries: orders
                .iter()
                .map(|order| AuditView {
                    at: "2026-12-07T09:15:02Z".into(),
                    kind: "auth".into(),
                    channel: Some(Channel::Page),
                    outcome: Outcome::Complete,
                    code: None,
                    order: (*order).to_owned(),
                })
                .collect(),
            next_cursor: next_cursor.map(str::to_owned),
        }
    }

    /// Drives the stream to its end; the fake pages are ready at once, so no executor is needed.
    fn collect(
        chunks: impl Stream<Item = Result<String, ApiError>>,
    ) -> (Vec<String>, Option<ApiError>) {
        let mut chunks = Box::pin(chunks);
        let mut out = Vec::new();
        loop {
            match chunks.try_next().now_or_never().expect("ready") {
                Ok(Some(chunk)) => out.push(chunk),
                Ok(None) => return (out, None),
                Err(e) => return (out, Some(e)),
            }
        }
    }

    #[test]
    fn the_export_holds_every_page_once_in_order_under_one_header() {
        let asked = RefCell::new(Vec::new());
        let chunks = csv_chunks(page(&["a1", "a2"], Some("2")), |after| {
            asked.borrow_mut().push(after);
            let next = match after {
                2 => page(&["b3", "b4"], Some("4")),
                _ => page(&["c5"], None),
            };
            async move { Ok(next) }
        });
        let (chunks, error) = collect(chunks);
        assert!(error.is_none());
        assert_eq!(
            *asked.borrow(),
            [2, 4],
            "each page after the last one's cursor"
        );
        let csv = chunks.concat();
        let orders: Vec<&str> = csv.lines().map(|l| l.rsplit(',').next().unwrap()).collect();
        assert_eq!(orders, ["order", "a1", "a2", "b3", "b4", "c5"]);
    }

    #[test]
    fn an_empty_period_is_the_header_alone() {
        let (chunks, error) = collect(csv_chunks(AuditPage::default(), |_| async {
            Ok(page(&["never"], None))
        }));
        assert!(error.is_none());
        assert_eq!(chunks, [CSV_HEADER]);
    }

    #[test]
    fn a_page_that_fails_breaks_the_export_off_after_what_was_sent() {
        let (chunks, error) = collect(csv_chunks(page(&["a1"], Some("1")), |_| async {
            Err(ApiError::Config("D1 is down".into()))
        }));
        assert_eq!(chunks.len(), 1, "the first page went out");
        assert!(matches!(error, Some(ApiError::Config(_))), "{error:?}");
    }
}
