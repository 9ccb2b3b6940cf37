//! What to issue (options) and what comes out (an issued certificate with its key and chain).

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use rustls_pki_types::{CertificateDer, UnixTime};

use crate::names::parse_names;
use crate::profile::{self, Usage};
use crate::validity::{self, Validity};
#[cfg(feature = "full")]
use crate::KeyPair;
use crate::{Certificate, Error, KeyAlgorithm, PublicKey, UnsignedCertificate};

/// Options for a leaf certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeafOptions {
    /// Names as the user typed them; the first becomes the subject CN.
    pub names: Vec<String>,
    /// Server, client or both.
    pub usage: Usage,
    /// Key to generate when none is supplied.
    pub key: KeyAlgorithm,
    /// Validity (default 397 days).
    pub validity: Validity,
}

impl LeafOptions {
    /// A server leaf for these names, P-256, valid 397 days.
    pub fn new<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        LeafOptions {
            names: names.into_iter().map(Into::into).collect(),
            usage: Usage::Server,
            key: KeyAlgorithm::P256,
            validity: Validity::Days(validity::LEAF_DAYS),
        }
    }

    /// Sets the usage.
    pub fn usage(mut self, usage: Usage) -> Self {
        self.usage = usage;
        self
    }

    /// Sets the key algorithm to generate.
    pub fn key(mut self, key: KeyAlgorithm) -> Self {
        self.key = key;
        self
    }

    /// Sets the validity.
    pub fn validity(mut self, validity: Validity) -> Self {
        self.validity = validity;
        self
    }

    /// Sets the validity in days from `now`.
    pub fn days(self, days: u32) -> Self {
        self.validity(Validity::Days(days))
    }
}

/// Options for a root or intermediate CA. By default its common name is made unique.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaOptions {
    /// Subject common name.
    pub common_name: String,
    /// Subject organisation (empty for none).
    pub organization: String,
    /// Key to generate.
    pub key: KeyAlgorithm,
    /// Validity (default ten years).
    pub validity: Validity,
    /// pathLenConstraint: how many intermediates may follow (None = unlimited).
    pub path_len: Option<u8>,
    /// Permitted domains and IP ranges; empty means unconstrained.
    pub name_constraints: Vec<String>,
    /// Append the creation date and a random id to the common name (see
    /// [`unique_ca_name`](crate::unique_ca_name)), so that no two CAs share a subject.
    pub unique_name: bool,
}

impl Default for CaOptions {
    fn default() -> Self {
        CaOptions {
            common_name: "selfsign development CA".to_string(),
            organization: "selfsign development CA".to_string(),
            key: KeyAlgorithm::P256,
            validity: Validity::Days(validity::CA_DAYS),
            path_len: Some(1),
            name_constraints: Vec::new(),
            unique_name: true,
        }
    }
}

impl CaOptions {
    /// Defaults for an intermediate CA: pathLen 0, so it can only issue leaves.
    pub fn intermediate() -> Self {
        CaOptions {
            common_name: "selfsign development intermediate CA".to_string(),
            path_len: Some(0),
            ..CaOptions::default()
        }
    }
}

/// An issued certificate with its private key and the issuers above it.
#[derive(Debug)]
#[cfg(feature = "full")]
pub struct Issued {
    /// The new certificate.
    pub certificate: Certificate,
    /// Its private key.
    pub key: KeyPair,
    /// Issuers, nearest first, ending with the root; empty when self-signed.
    pub chain: Vec<Certificate>,
}

#[cfg(feature = "full")]
impl Issued {
    /// The chain a TLS server sends: this certificate and its intermediates, without a
    /// self-issued root (an intermediate loaded without its root stays in).
    pub fn tls_chain(&self) -> Vec<CertificateDer<'static>> {
        core::iter::once(&self.certificate)
            .chain(self.chain.iter().filter(|c| !c.is_self_issued()))
            .map(|c| c.der().clone())
            .collect()
    }

    /// The full chain as PEM, leaf first, root last.
    pub fn chain_pem(&self) -> String {
        core::iter::once(&self.certificate)
            .chain(&self.chain)
            .map(Certificate::pem)
            .collect()
    }
}

/// Makes a self-signed leaf (not a CA) with SANs and the requested EKU: the seed's case.
#[cfg(feature = "full")]
pub fn self_signed(options: &LeafOptions, now: UnixTime) -> Result<Issued, Error> {
    let key = KeyPair::generate(options.key)?;
    self_signed_with_key(options, key, now)
}

/// Like [`self_signed`], with a key the caller already has.
#[cfg(feature = "full")]
pub fn self_signed_with_key(
    options: &LeafOptions,
    key: KeyPair,
    now: UnixTime,
) -> Result<Issued, Error> {
    let names = parse_names(&options.names)?;
    let period = options.validity.resolve(now)?;
    let params = profile::leaf(&names, options.usage, key.algorithm(), &period)?;
    let cert = params.self_signed(key.rcgen())?;
    Ok(Issued {
        certificate: Certificate::from_encoded(cert.der().clone()),
        key,
        chain: Vec::new(),
    })
}

/// Prepares the same self-signed leaf as [`self_signed`] for a key held elsewhere (e.g. a WebCrypto
/// `CryptoKey`; `options.key` is ignored): sign its to-be-signed bytes with that key, then finish.
pub fn prepare_self_signed(
    options: &LeafOptions,
    key: &PublicKey,
    now: UnixTime,
) -> Result<UnsignedCertificate, Error> {
    let names = parse_names(&options.names)?;
    let period = options.validity.resolve(now)?;
    let mut params = profile::leaf(&names, options.usage, key.algorithm(), &period)?;
    crate::tbs::key_id_once(&mut params, key);
    UnsignedCertificate::self_signed(&params, key)
}
