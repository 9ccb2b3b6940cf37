//! selfsign-acme: an RFC 8555 ACME server for the local CA, as a state machine.
//!
//! [`Acme::handle`] takes one HTTP request (method, path, content type, body) and the time, and
//! returns the response; it does no I/O. Challenges that need the network come out of
//! [`Acme::take_validations`] for the caller to check, and their outcomes go back in through
//! [`Acme::finish_validation`]. The [`State`] (accounts, orders, authorizations, issued
//! certificates) serialises to JSON for the caller to persist whenever [`Acme::take_changed`]
//! says it changed.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod account;
mod error;
mod jws;
mod message;
mod nonce;
mod order;
mod problem;
mod revocation;
mod server;
mod state;

pub use error::Error;
pub use message::{Request, Response};
pub use problem::Problem;
pub use server::{Acme, Config, NamePolicy, MAX_BODY};
pub use state::{ChallengeFailure, ChallengeKind, FailureKind, State, Validation};
