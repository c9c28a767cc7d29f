//! Durable Objects: one file each.

pub mod order;
