-- The audit log (edge/src/audit.rs, legit_core::audit): one row per ended order, nothing that names a
-- person. `order_hash` is a keyed hash of the order id, never the id.
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms INTEGER NOT NULL,
  tenant TEXT NOT NULL,
  kind TEXT NOT NULL,
  outcome TEXT NOT NULL,
  code TEXT,
  order_hash TEXT NOT NULL
);
-- GET /admin/audit reads one tenant's rows by time, page by page (id is the cursor).
CREATE INDEX IF NOT EXISTS audit_tenant_at ON audit (tenant, at_ms, id);
