//! One component per file. Each mode's components build only into that mode's wasm.

#[cfg(feature = "agent")]
pub mod agent;
#[cfg(feature = "agent")]
pub mod call_status;
#[cfg(feature = "customer")]
pub mod customer;
pub mod footer;
#[cfg(feature = "customer")]
pub mod guidance;
#[cfg(feature = "agent")]
pub mod identify;
#[cfg(feature = "customer")]
pub mod launch_button;
#[cfg(feature = "agent")]
pub mod link_status;
#[cfg(feature = "agent")]
pub mod lookup;
#[cfg(feature = "customer")]
pub mod qr_code;
#[cfg(feature = "agent")]
pub mod result_card;
#[cfg(feature = "agent")]
pub mod send_link;
