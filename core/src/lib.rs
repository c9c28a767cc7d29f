//! Pure rules shared by every part of legit.
//!
//! Nothing here performs I/O, reads a clock or draws random numbers: callers pass time and randomness in,
//! so every rule is testable with plain `cargo test`. The crate compiles for native and wasm alike and
//! depends on neither wasm-bindgen nor workers.

pub mod api;
pub mod audit;
pub mod bankid;
pub mod certificate;
pub mod date;
pub mod email;
pub mod ivr;
pub mod link;
pub mod links_api;
pub mod message;
pub mod personal_number;
pub mod phone;
pub mod provider;
pub mod qr;
pub mod qr_symbol;
pub mod retry;
pub mod rfa;
pub mod session;
pub mod tenant;
pub mod text;
pub mod token;

pub use date::Date;
pub use email::{Email, EmailError};
pub use personal_number::{PersonalNumber, PersonalNumberError};
pub use phone::{PhoneNumber, PhoneNumberError};
pub use rfa::{Device, Flow, Lang, Rfa};
