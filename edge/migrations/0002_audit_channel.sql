-- The door each order came in by (legit_core::audit::Channel: page, agent, backend, link, ivr); NULL in rows
-- written before this column existed.
ALTER TABLE audit ADD COLUMN channel TEXT;
-- GET /admin/audit?order=<id> finds one order's row by its hash.
CREATE INDEX IF NOT EXISTS audit_tenant_order ON audit (tenant, order_hash);
