//! selfsign-core: keys, names, profiles, issuance, CSRs, PEM/DER, inspection and fingerprints for
//! development TLS certificates.
//!
//! The crate is `no_std` (with `alloc`) so the compiler itself keeps it free of file and network
//! I/O and of clocks: every call that depends on time takes `now` from the caller, and randomness
//! comes only from ring's `SystemRandom` (getrandom). The same code builds natively for the TLS
//! server and CLI, and for `wasm32-unknown-unknown` for the browser page. Certificates and keys are
//! exposed as rustls-pki-types DER types so both sides share them.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

mod ca;
mod certificate;
mod constraints;
mod csr;
mod error;
mod inspect;
mod issue;
mod key;
pub mod names;
mod pem;
mod profile;
pub mod validity;

pub use ca::Ca;
pub use certificate::{parse_certificates, Certificate};
pub use constraints::{NameConstraints, Subtree};
pub use csr::{Csr, CsrOptions};
pub use error::Error;
pub use inspect::{inspect, CertInfo};
pub use issue::{self_signed, self_signed_with_key, CaOptions, Issued, LeafOptions};
pub use key::{KeyAlgorithm, KeyPair};
pub use names::{parse_names, Name};
pub use profile::Usage;
pub use validity::Validity;

pub use rustls_pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
