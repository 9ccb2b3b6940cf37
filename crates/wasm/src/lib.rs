//! selfsign-wasm: the browser face of selfsign-core. Functions take plain JS values and return
//! plain JS objects (output.rs); failures are JS `Error`s naming the input at fault (error.rs).
//! The WebCrypto path (`prepare*`, then `finish`) returns what the synchronous functions return.
//! The clock is read here (`Date.now()`), never in the core.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Without `full`, helpers that only the synchronous API uses are left unused.
#![cfg_attr(not(feature = "full"), allow(unused_imports, dead_code))]

mod error;
mod input;
mod output;
mod pending;
mod rules;
#[cfg(feature = "full")]
mod sync;
mod typescript;

pub use error::{Error, Field, Part};
pub use pending::{
    prepare_ca, prepare_ca_and_leaf, prepare_self_signed, prepare_web_transport, Pending,
    PendingCaAndLeaf,
};
#[cfg(feature = "full")]
pub use pending::{prepare_leaf, prepare_sign_csr};
pub use rules::{defaults, name_constraints_for};
#[cfg(feature = "full")]
pub use sync::{
    generate_ca, generate_self_signed, import_ca, inspect, issue_leaf, sign_csr, web_transport,
};
