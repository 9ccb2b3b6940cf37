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
pub use pending::*;
pub use rules::*;
#[cfg(feature = "full")]
pub use sync::*;
