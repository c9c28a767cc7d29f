//! legit's Cloudflare Worker. Its BankID relay, order objects and routes arrive with issue #4; until then the
//! crate only reserves its place in the workspace.
