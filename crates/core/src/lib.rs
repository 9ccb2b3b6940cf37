//! selfsign-core: keys, names, profiles, issuance, CSRs, PEM/DER, inspection and fingerprints for
//! development TLS certificates.
//!
//! The crate is `no_std` (with `alloc`) so the compiler itself keeps it free of file and network
//! I/O and of clocks: every call that depends on time takes `now` from the caller, and randomness
//! comes only from the system CSPRNG through getrandom (directly for serial numbers and, as
//! `getrandom::SysRng`, for RSA keys made with the `rsa` crate; through ring's `SystemRandom` for
//! ring's own keys). The same code builds natively for the TLS
//! server and CLI, and for `wasm32-unknown-unknown` for the browser page. Certificates and keys are
//! exposed as rustls-pki-types DER types so both sides share them.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Without `full`, helpers that only the core's own crypto and parsing use are left unused.
#![cfg_attr(not(feature = "full"), allow(unused_imports, dead_code))]

extern crate alloc;

#[cfg(feature = "full")]
pub mod badssl;
mod ca;
mod certificate;
mod constraints;
#[cfg(feature = "full")]
mod crl;
#[cfg(feature = "full")]
mod csr;
mod error;
mod external_ca;
mod file_names;
mod inspect;
mod issue;
mod key;
pub mod names;
mod pem;
pub mod presets;
mod preview;
mod private_key;
mod profile;
mod public_key;
mod tbs;
pub mod validity;

#[cfg(feature = "full")]
pub use ca::Ca;
pub use certificate::{parse_certificates, Certificate};
pub use constraints::{NameConstraints, Subtree};
#[cfg(feature = "full")]
pub use crl::Revoked;
#[cfg(feature = "full")]
pub use csr::{Csr, CsrOptions};
pub use error::Error;
pub use external_ca::{ExternalCa, UnsignedCa};
pub use file_names::FileNames;
#[cfg(feature = "full")]
pub use inspect::inspect;
pub use inspect::CertInfo;
pub use issue::{prepare_self_signed, CaOptions, LeafOptions};
#[cfg(feature = "full")]
pub use issue::{self_signed, self_signed_with_key, Issued};
pub use key::KeyAlgorithm;
#[cfg(feature = "full")]
pub use key::KeyPair;
pub use names::{parse_names, Name};
pub use private_key::{read_exported_key, PrivateKey};
pub use profile::{unique_ca_name, Usage};
pub use public_key::PublicKey;
pub use tbs::UnsignedCertificate;
#[cfg(feature = "full")]
pub use tbs::UnsignedCsr;
pub use validity::Validity;

pub use rustls_pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
