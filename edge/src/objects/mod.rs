//! Durable Objects: one file each.

pub mod call;
pub mod link;
pub mod link_token;
pub mod order;
