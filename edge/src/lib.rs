//! legit's Cloudflare Worker: the only holder of the BankID RP certificate. It starts BankID orders, runs
//! one Durable Object per order that collects every 2 s and streams state and QR frames to viewers, and
//! answers in the JSON types of `legit_core::api`.

mod access;
mod audit;
mod bankid;
mod config;
mod error;
mod handlers;
mod http;
mod objects;
mod providers;
mod rate_limit;
mod router;
mod sse;

pub use objects::call::CallObject;
pub use objects::link::LinkObject;
pub use objects::link_token::LinkTokenObject;
pub use objects::order::OrderObject;

#[worker::event(fetch)]
async fn fetch(
    req: worker::Request,
    env: worker::Env,
    _ctx: worker::Context,
) -> worker::Result<worker::Response> {
    router::handle(req, env).await
}
