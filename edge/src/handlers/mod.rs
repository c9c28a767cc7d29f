//! Route handlers, one file per area. Each returns `Result<Response, ApiError>`; the router turns errors
//! into the one error format.

pub mod admin_page;
pub mod ivr;
pub mod link_page;
pub mod links;
pub mod meta;
pub mod orders;
pub mod pages;
pub mod sessions;
