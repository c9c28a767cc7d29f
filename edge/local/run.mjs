// Runs the legit edge Worker locally in Miniflare (workerd), with the BankID mTLS binding pointed at a BankID
// RP API such as the simulator in demo/.
//
//   node edge/local/run.mjs --certs target/demo/certs --tenants target/demo/tenants.json \
//       --bankid-base https://127.0.0.1:8443/rp/v6.0 [--port 8787] [--persist target/demo/edge-state] \
//       [--assets widget/dist] [--script edge/build/index.js] [--ignore-stdin] [--rate-limit-factor N]
//
//   --port N            listen on 127.0.0.1:N; 0 picks a free port (default 8787)
//   --certs DIR         rp.pem + rp.key (the RP client certificate), ca.pem (the BankID server root to pin) and
//                       result-signing.key (the result-token key, given to the Worker as its RESULT_SIGNING_KEY)
//   --tenants FILE      the TENANTS document (JSON, legit_core::tenant): origins, API-key hashes, disclosure
//   --assets DIR        the widget's built files, the ASSETS binding (default ../../widget/dist; created empty
//                       when missing, so the API runs before the widget is built)
//   --bankid-base URL   the RP API base, no trailing slash, e.g. https://127.0.0.1:8443/rp/v6.0
//   --persist DIR       where Durable Object storage lives across restarts (default: a folder beside the script)
//   --script PATH       the built Worker (default ../build/index.js, beside this file; `worker-build --release`)
//   --ignore-stdin      do not stop when stdin closes (for running it in the background from a shell)
//   --var NAME=VALUE    one more binding (repeatable), e.g. the link providers' SMS_GATEWAY_URL, SMS_PASSWORD …
//   --rate-limit-factor N  multiply every [[ratelimits]] limit by N (default 1), for load tests from one address
//
// stdout carries exactly one line, `ready http://127.0.0.1:PORT`, once the Worker answers; everything else
// (the Worker's console, workerd's messages, errors) goes to stderr. It stops cleanly (mf.dispose(), which also
// stops workerd) on SIGTERM, SIGINT, and when stdin closes, so a supervising process that dies, however it dies,
// never leaves workerd behind. Do not SIGKILL it: that orphans workerd.
//
// The Worker's settings that do not depend on the machine (compatibility date and flags, plain [vars], Durable
// Object bindings and which of them use SQLite, `[[ratelimits]]`) are read from ../wrangler.toml, so production and local runs
// agree. Only BANKID (a `network` service binding carrying the client certificate, standing in for the
// production `[[mtls_certificates]]` binding), BANKID_BASE, TENANTS, ASSETS, RESULT_SIGNING_KEY and
// BANKID_CLIENT_CERT (secrets in production, plain bindings here) are local. The key's text is never printed.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Miniflare } from "miniflare";

const here = path.dirname(fileURLToPath(import.meta.url));
const edgeDir = path.resolve(here, "..");

function fail(message) {
  process.stderr.write(`edge/local/run.mjs: ${message}\n`);
  process.exit(2);
}

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      port: { type: "string", default: "8787" },
      certs: { type: "string" },
      "bankid-base": { type: "string" },
      tenants: { type: "string" },
      assets: { type: "string", default: path.resolve(edgeDir, "..", "widget", "dist") },
      persist: { type: "string", default: path.join(here, ".state") },
      script: { type: "string", default: path.join(edgeDir, "build", "index.js") },
      "ignore-stdin": { type: "boolean", default: false },
      var: { type: "string", multiple: true, default: [] },
      // Multiplies every [[ratelimits]] limit: a load test from one address would otherwise meet them.
      "rate-limit-factor": { type: "string", default: "1" },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (e) {
  fail(`${e.message} (see the usage at the top of this file)`);
}

const port = Number(args.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port ${args.port}: not a port number`);
if (!args.certs) fail("--certs DIR is required (rp.pem, rp.key, ca.pem, result-signing.key)");
const bankidBase = args["bankid-base"];
if (!bankidBase || !/^https:\/\/[^/]+(\/.*)?[^/]$/.test(bankidBase)) {
  fail(`--bankid-base must be an https URL without a trailing slash, got ${JSON.stringify(bankidBase)}`);
}
if (!args.tenants) fail("--tenants FILE is required (the TENANTS document, JSON)");
let tenants;
try {
  tenants = fs.readFileSync(args.tenants, "utf8");
  JSON.parse(tenants);
} catch (e) {
  fail(`--tenants ${args.tenants}: ${e.message}`);
}
const assets = path.resolve(args.assets);
fs.mkdirSync(assets, { recursive: true });
const script = path.resolve(args.script);
if (!fs.existsSync(script)) fail(`${script} is missing: build the Worker first (cargo xtask test or cargo xtask demo)`);

const rateLimitFactor = Number(args["rate-limit-factor"]);
if (!Number.isInteger(rateLimitFactor) || rateLimitFactor < 1) {
  fail(`--rate-limit-factor ${args["rate-limit-factor"]}: not a whole number of at least 1`);
}

const extraVars = {};
for (const item of args.var) {
  const eq = item.indexOf("=");
  if (eq < 1) fail(`--var ${JSON.stringify(item)}: expected NAME=VALUE`);
  extraVars[item.slice(0, eq)] = item.slice(eq + 1);
}

const pem = (name) => {
  const file = path.join(args.certs, name);
  try {
    return fs.readFileSync(file, "utf8");
  } catch (e) {
    fail(`cannot read ${file}: ${e.message}`);
  }
};

const wrangler = readWranglerToml(path.join(edgeDir, "wrangler.toml"));

const mf = new Miniflare({
  host: "127.0.0.1",
  port,
  modules: true,
  scriptPath: script,
  // Module names are paths relative to this root; the default (the current folder) breaks when run elsewhere.
  modulesRoot: path.dirname(script),
  modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"], fallthrough: true }],
  compatibilityDate: wrangler.compatibilityDate ?? "2026-04-01",
  compatibilityFlags: wrangler.compatibilityFlags,
  bindings: {
    ...wrangler.vars,
    BANKID_BASE: bankidBase,
    END_USER_IP_FALLBACK: wrangler.vars.END_USER_IP_FALLBACK ?? "127.0.0.1",
    TENANTS: tenants,
    RESULT_SIGNING_KEY: pem("result-signing.key"),
    // The public half of the client certificate below, as production passes it: `/healthz` tells its expiry.
    BANKID_CLIENT_CERT: pem("rp.pem"),
    ...extraVars,
  },
  serviceBindings: {
    // A `network` service connects to the host the URL names. Loopback must be allowed explicitly.
    BANKID: {
      network: {
        allow: ["public", "private", "local"],
        tlsOptions: {
          keypair: { certificateChain: pem("rp.pem"), privateKey: pem("rp.key") },
          trustedCertificates: [pem("ca.pem")],
        },
      },
    },
  },
  assets: {
    directory: assets,
    binding: "ASSETS",
    // As `run_worker_first = true` in wrangler.toml: the Worker sees every request and adds its headers.
    routerConfig: { has_user_worker: true, invoke_user_worker_ahead_of_assets: true },
    assetConfig: { html_handling: "none", not_found_handling: "none" },
  },
  durableObjects: wrangler.durableObjects,
  ratelimits: Object.fromEntries(
    Object.entries(wrangler.ratelimits).map(([name, { simple }]) => [
      name,
      { simple: { ...simple, limit: simple.limit * rateLimitFactor } },
    ]),
  ),
  // The audit log, as `[[d1_databases]]` in wrangler.toml; its schema is applied below, before `ready`.
  d1Databases: { AUDIT: "legit-audit-local" },
  d1Persist: true,
  defaultPersistRoot: path.resolve(args.persist),
  durableObjectsPersist: true,
  // Keep stdout for the ready line: the Worker's console and workerd's own output go to stderr.
  handleRuntimeStdio(stdout, stderr) {
    stdout.pipe(process.stderr);
    stderr.pipe(process.stderr);
  },
});

let stopping = false;
async function stop(why) {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`edge/local/run.mjs: ${why}: stopping\n`);
  try {
    await mf.dispose();
  } catch (e) {
    process.stderr.write(`edge/local/run.mjs: dispose failed: ${e?.stack ?? e}\n`);
    process.exit(1);
  }
  process.exit(0);
}
// Miniflare installs its own SIGINT/SIGTERM handlers, which SIGKILL workerd and exit at once with 130/143. Ours
// replace them: an orderly dispose and exit status 0. Its `exit` hook stays as a last resort.
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) {
  process.removeAllListeners(signal);
  process.on(signal, () => stop(signal));
}
if (!args["ignore-stdin"]) {
  process.stdin.on("end", () => stop("stdin closed"));
  process.stdin.on("error", () => stop("stdin closed"));
  process.stdin.on("data", () => {});
  process.stdin.resume();
}

try {
  const url = await mf.ready;
  await applyMigrations(await mf.getD1Database("AUDIT"), path.join(edgeDir, "migrations"));
  if (!stopping) process.stdout.write(`ready ${url.origin}\n`);
} catch (e) {
  process.stderr.write(`edge/local/run.mjs: Miniflare did not start: ${e?.stack ?? e}\n`);
  await mf.dispose().catch(() => {});
  process.exit(1);
}

// What `wrangler d1 migrations apply` does in production: every `NNNN_*.sql` not applied yet, in order, each
// recorded in wrangler's own `d1_migrations` table, so a persisted local database takes only the new files (an
// `ALTER TABLE` cannot run twice). 0001 is `CREATE … IF NOT EXISTS`, so a database from before the table
// existed takes it again harmlessly. Few round trips, in `exec` (one statement a line): each call from Node
// goes through Miniflare's synchronous proxy, which fails now and then under load.
async function applyMigrations(db, dir) {
  await db.exec(
    "CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, " +
      "applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)",
  );
  const applied = new Set((await db.prepare("SELECT name FROM d1_migrations").all()).results.map((r) => r.name));
  const files = fs.readdirSync(dir).filter((f) => /^\d+_[\w-]+\.sql$/.test(f)).sort();
  const lines = [];
  for (const file of files.filter((f) => !applied.has(f))) {
    const sql = fs.readFileSync(path.join(dir, file), "utf8").replace(/--.*$/gm, "");
    for (const statement of sql.split(";").map((s) => s.replace(/\s+/g, " ").trim()).filter(Boolean)) {
      lines.push(statement);
    }
    lines.push(`INSERT INTO d1_migrations (name) VALUES ('${file}')`);
  }
  if (lines.length > 0) await db.exec(lines.join("\n"));
}

// The parts of wrangler.toml the local run needs, from the small TOML subset wrangler files use: top-level
// `compatibility_date`/`compatibility_flags`, string `[vars]`, `[[durable_objects.bindings]]` and
// `[[migrations]] new_sqlite_classes`. Without the file: the Worker's contract (ORDER → OrderObject, SQLite).
function readWranglerToml(file) {
  const out = { compatibilityDate: undefined, compatibilityFlags: [], vars: {}, durableObjects: undefined, ratelimits: {} };
  let text;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    out.durableObjects = { ORDER: { className: "OrderObject", useSQLite: true } };
    return out;
  }
  const bindings = [];
  const sqlite = new Set();
  let table = "";
  let current = null;
  // Join multi-line arrays onto one line before reading key = value pairs.
  const lines = text.replace(/\[[^\]\n]*\n[^\]]*\]/g, (m) => m.replace(/\n/g, " ")).split("\n");
  for (const raw of lines) {
    const line = raw.replace(/(^|\s)#.*$/, "").trim();
    if (!line) continue;
    const header = line.match(/^\[\[?\s*([^\]]+?)\s*\]\]?$/);
    if (header) {
      table = header[1];
      current = {};
      if (table === "durable_objects.bindings") bindings.push(current);
      continue;
    }
    const kv = line.match(/^([A-Za-z0-9_.-]+)\s*=\s*(.+)$/);
    if (!kv) continue;
    const [, key, valueText] = kv;
    if (table === "ratelimits") {
      // `[[ratelimits]]`: name = "…", simple = { limit = N, period = N }.
      if (key === "name") current.name = JSON.parse(valueText);
      const simple = key === "simple" && valueText.match(/limit\s*=\s*(\d+).*period\s*=\s*(\d+)/);
      if (simple) current.simple = { limit: Number(simple[1]), period: Number(simple[2]) };
      if (current.name && current.simple) out.ratelimits[current.name] = { simple: current.simple };
      continue;
    }
    let value;
    try {
      value = JSON.parse(valueText.replace(/,\s*\]$/, "]"));
    } catch {
      continue; // inline tables, numbers with underscores …: nothing the local run needs
    }
    if (table === "") {
      if (key === "compatibility_date") out.compatibilityDate = value;
      if (key === "compatibility_flags" && Array.isArray(value)) out.compatibilityFlags = value;
    } else if (table === "vars" && typeof value === "string") {
      out.vars[key] = value;
    } else if (table === "durable_objects.bindings") {
      current[key] = value;
    } else if (table === "migrations" && key === "new_sqlite_classes" && Array.isArray(value)) {
      value.forEach((c) => sqlite.add(c));
    }
  }
  out.durableObjects = Object.fromEntries(
    bindings
      .filter((b) => b.name && b.class_name && !b.script_name)
      .map((b) => [b.name, { className: b.class_name, useSQLite: sqlite.has(b.class_name) }]),
  );
  if (Object.keys(out.durableObjects).length === 0) {
    out.durableObjects = { ORDER: { className: "OrderObject", useSQLite: true } };
  }
  return out;
}
