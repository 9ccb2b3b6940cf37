//! selfsign-wasm: the browser face of selfsign-core.
//!
//! Every exported function takes plain JS values (option objects, PEM strings or DER
//! `Uint8Array`s) and returns a plain JS object (bytes as `Uint8Array`s); every failure is thrown
//! as a JS `Error` whose `message` is the core's explanation and whose `field` names the input at
//! fault (`names`, `key`, `days`, `caCert`, `caKey`, `csr`, `input`, ...). The WebCrypto path
//! (`prepare*`, then `finish`) returns the same objects as the synchronous functions. The clock
//! is read here (`Date.now()`), never in the core.
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
    generate_ca, generate_self_signed, import_ca, inspect, issue_leaf, make_csr, sign_csr,
    web_transport,
};
