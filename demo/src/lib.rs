//! legit's local stack: everything needed to run legit on one laptop with no BankID agreement.
//!
//! - [`certs`]: a throw-away CA with the BankID server and relying-party certificates.
//! - [`simulator`]: the BankID RP API v6.0 over mutual TLS, with an admin API and a "phone" page.
//! - [`providers`]: fake SMS gateway and e-mail API that keep what they receive, with an inbox page.
//! - [`ivr_console`]: a page that plays an IVR's caller against the edge's IVR API.
//! - [`host_pages`]: a CRM, a softphone and a bank's log-in page with the widget in them, served by the
//!   console's process.

pub mod certs;
pub mod host_pages;
pub mod ivr_console;
pub mod providers;
pub mod simulator;
