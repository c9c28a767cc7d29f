//! The audit log in D1 (binding `AUDIT`, schema in `edge/migrations/`): one row per ended order, written by
//! the order's object, and one per start BankID refused (`handlers::orders::audit_refused_start`), read page by page by a tenant's backend at `GET /admin/audit`. What a row may hold
//! is decided in `legit_core::audit`; this file only stores and reads it.

use legit_core::audit::{AuditEntry, AuditPage, AuditQuery, Channel, Outcome};
use legit_core::session::SessionKey;
use legit_core::tenant::Tenant;
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

/// `GET /admin/audit`: the tenant's own rows only, oldest first, JSON or CSV; with `order=`, only that
/// order's row, found by the hash `key` makes of the id.
pub async fn page(
    env: &Env,
    tenant: &Tenant,
    query: &AuditQuery,
    key: &SessionKey,
) -> Result<Response, ApiError> {
    let page = read(env, tenant, query, key).await?;
    if query.csv {
        csv(&page)
    } else {
        Ok(Response::from_json(&page)?)
    }
}

/// A page of rows as a CSV download; `X-Next-Cursor` names the next page.
pub fn csv(page: &AuditPage) -> Result<Response, ApiError> {
    let mut resp = Response::ok(page.to_csv())?;
    let headers = resp.headers_mut();
    headers.set("Content-Type", "text/csv; charset=utf-8")?;
    headers.set(
        "Content-Disposition",
        "attachment; filename=\"legit-audit.csv\"",
    )?;
    if let Some(cursor) = &page.next_cursor {
        headers.set("X-Next-Cursor", cursor)?;
    }
    Ok(resp)
}

/// The tenant's rows that `query` asks for.
pub async fn read(
    env: &Env,
    tenant: &Tenant,
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
    let rows: Vec<Row> = db
        .prepare(
            "SELECT id, at_ms, kind, channel, outcome, code, order_hash FROM audit \
             WHERE tenant = ?1 AND at_ms >= ?2 AND at_ms < ?3 AND id > ?4 \
             AND (?6 IS NULL OR order_hash = ?6) ORDER BY id LIMIT ?5",
        )
        .bind(&[
            JsValue::from_str(&tenant.id),
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
                    tenant: tenant.id.clone(),
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
