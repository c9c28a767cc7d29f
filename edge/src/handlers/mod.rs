//! Route handlers, one file per area. Each returns `Result<Response, ApiError>`; the router turns errors
//! into the one error format.

pub mod meta;
pub mod orders;
pub mod pages;
pub mod sessions;
