//! The rustls server configuration: certificate, key, client authentication, resumption.

use std::sync::Arc;

use rustls::crypto::ring as provider;
use rustls::server::{NoServerSessionStorage, ServerSessionMemoryCache, WebPkiClientVerifier};
use rustls::{RootCertStore, ServerConfig};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::Error;

/// Session IDs remembered for TLS 1.2/1.3 stateful resumption.
const SESSION_CACHE_SIZE: usize = 256;

/// Whether and how clients must present a certificate.
#[derive(Debug, Clone)]
pub enum ClientAuth {
    /// Clients are not asked for a certificate.
    None,
    /// Clients may present a certificate issued by one of these CA certificates.
    Optional(Vec<CertificateDer<'static>>),
    /// Clients must present a certificate issued by one of these CA certificates.
    Required(Vec<CertificateDer<'static>>),
}

/// What the TLS configuration is made from.
#[derive(Debug)]
pub struct TlsOptions {
    /// The server certificate first, then any intermediates (not the root).
    pub chain: Vec<CertificateDer<'static>>,
    /// The private key of the first certificate in `chain`.
    pub key: PrivateKeyDer<'static>,
    /// Client certificate policy.
    pub client_auth: ClientAuth,
    /// Whether to resume sessions (session cache and tickets) or always do full handshakes.
    pub resumption: bool,
}

/// Builds a TLS 1.3 + 1.2 server configuration offering ALPN `http/1.1`.
///
/// [`crate::Server::bind`] drops the ALPN offer in [`crate::Mode::Echo`].
pub fn tls_config(opts: TlsOptions) -> Result<Arc<ServerConfig>, Error> {
    tls_config_for_versions(opts, &[&rustls::version::TLS13, &rustls::version::TLS12])
}

/// Like [`tls_config`], speaking only the TLS `versions` given.
pub fn tls_config_for_versions(
    opts: TlsOptions,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Result<Arc<ServerConfig>, Error> {
    if opts.chain.is_empty() {
        return Err(Error::EmptyChain);
    }
    let provider = Arc::new(provider::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .map_err(Error::Tls)?;
    let builder = match opts.client_auth {
        ClientAuth::None => builder.with_no_client_auth(),
        ClientAuth::Optional(roots) => {
            let roots = root_store(roots)?;
            let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider.clone())
                .allow_unauthenticated()
                .build()
                .map_err(|e| Error::ClientRoots(e.to_string()))?;
            builder.with_client_cert_verifier(verifier)
        }
        ClientAuth::Required(roots) => {
            let roots = root_store(roots)?;
            let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider.clone())
                .build()
                .map_err(|e| Error::ClientRoots(e.to_string()))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder
        .with_single_cert(opts.chain, opts.key)
        .map_err(Error::Key)?;
    // HTTP/1.0 clients (curl --http1.0) offer only "http/1.0"; both are answered alike.
    config.alpn_protocols = vec![b"http/1.1".to_vec(), b"http/1.0".to_vec()];
    if opts.resumption {
        config.session_storage = ServerSessionMemoryCache::new(SESSION_CACHE_SIZE);
        config.ticketer = provider::Ticketer::new().map_err(Error::Tls)?;
    } else {
        config.session_storage = Arc::new(NoServerSessionStorage {});
        config.send_tls13_tickets = 0;
    }
    Ok(Arc::new(config))
}

/// Collects client CA certificates into a trust store, naming any that cannot be used.
fn root_store(roots: Vec<CertificateDer<'static>>) -> Result<Arc<RootCertStore>, Error> {
    if roots.is_empty() {
        return Err(Error::ClientRoots(
            "no CA certificate given: pass the CA that issued the client certificates".into(),
        ));
    }
    let mut store = RootCertStore::empty();
    for (i, cert) in roots.into_iter().enumerate() {
        store
            .add(cert)
            .map_err(|e| Error::ClientRoots(format!("CA certificate #{}: {e}", i + 1)))?;
    }
    Ok(Arc::new(store))
}
