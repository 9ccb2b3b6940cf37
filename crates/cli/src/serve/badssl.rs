//! `selfsign serve --badssl`: the endpoints of [`selfsign_core::badssl`] made at start from the
//! local CA, each on its own SNI name under a suffix, the `/badssl.json` listing, the page's CSP
//! opened to exactly those origins, and the CRL over plain HTTP on loopback.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::Path;
use std::sync::Arc;

use selfsign_core::badssl::{build, BadsslOptions, ClientCerts, Endpoint, Outcome, TlsVersions};
use selfsign_core::{Ca, Certificate, KeyAlgorithm, KeyPair, UnixTime};
use selfsign_server::{tls_config_for_versions, BadsslSite, ClientAuth, SiteHost, TlsOptions};

use crate::files::{self, Secrecy};
use crate::store::{create_private_dir, Store};
use crate::Error;

/// Where the CRL is served on the plain-HTTP listener.
const CRL_PATH: &str = "/badssl.crl";

/// The page's connect-src before `--badssl` opens it to the badssl origins.
const PAGE_CONNECT_SRC: &str = "connect-src 'self'";

/// The CRL listener, bound before the certificates are made (their URL names its port).
pub struct CrlListener {
    listener: TcpListener,
    url: String,
}

/// Binds the CRL listener on 127.0.0.1:`port` (0: any free port).
pub fn bind_crl(port: u16) -> Result<CrlListener, Error> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let listener = TcpListener::bind(addr).map_err(|e| {
        Error::Usage(format!(
            "--badssl-crl-port {port}: cannot listen on {addr}: {e}"
        ))
    })?;
    let bound = listener
        .local_addr()
        .map_err(|e| Error::io("CRL listener", e))?;
    Ok(CrlListener {
        listener,
        url: format!("http://{bound}{CRL_PATH}"),
    })
}

/// What `serve --badssl` tells the user.
pub struct Started {
    /// The `/badssl.json` URL on the good host.
    pub listing_url: String,
    /// The CRL's URL.
    pub crl_url: String,
    /// How many endpoints.
    pub endpoints: usize,
}

/// Makes every endpoint under the local CA and the site the server adds.
pub fn site(
    store: &Store,
    suffix: &str,
    port: u16,
    crl: CrlListener,
    web_root: Option<&Path>,
    now: UnixTime,
) -> Result<(BadsslSite, Started), Error> {
    let (ca, _) = store.load_or_create_ca(now)?;
    let dir = store.serve_dir().join("badssl");
    create_private_dir(&dir)?;
    let options = BadsslOptions {
        suffix: suffix.to_string(),
        crl_url: crl.url.clone(),
        rsa2048: kept_key(&dir, KeyAlgorithm::Rsa2048)?,
        rsa4096: kept_key(&dir, KeyAlgorithm::Rsa4096)?,
    };
    let made = build(&ca, options, now)?;
    for e in &made.endpoints {
        if let Some(bits) = e.key.algorithm().rsa_bits() {
            keep_key(&dir, bits, &e.key)?;
        }
    }
    let suffix = suffix.trim_end_matches('.').to_ascii_lowercase();
    let url = |host: &str| format!("https://{host}:{port}/");
    let listing = listing(
        &made.endpoints,
        &suffix,
        port,
        &crl.url,
        &ca,
        &made.untrusted_root,
        store,
    );
    let mut hosts = Vec::with_capacity(made.endpoints.len());
    for e in &made.endpoints {
        hosts.push(SiteHost {
            host: e.host.clone(),
            config: endpoint_config(e, &ca)?,
            answer: answer(e, url(&e.host)),
        });
    }
    let origins: Vec<String> = made
        .endpoints
        .iter()
        .map(|e| url(&e.host).trim_end_matches('/').to_string())
        .collect();
    let index_html = match web_root {
        Some(root) => page_with_origins(&root.join("index.html"), &origins),
        None => None,
    };
    let good = &made.endpoints[0].host;
    let started = Started {
        listing_url: format!("{}badssl.json", url(good)),
        crl_url: crl.url.clone(),
        endpoints: made.endpoints.len(),
    };
    let site = BadsslSite {
        hosts,
        listing: listing.to_string(),
        index_html,
        crl: made.crl,
        crl_path: CRL_PATH.to_string(),
        crl_listener: crl.listener,
    };
    Ok((site, started))
}

/// The TLS configuration of one endpoint: its chain, versions and client-certificate policy.
fn endpoint_config(e: &Endpoint, ca: &Ca) -> Result<Arc<rustls::ServerConfig>, Error> {
    let roots = vec![ca.certificate().der().clone()];
    let client_auth = match e.client_certs {
        ClientCerts::None => ClientAuth::None,
        ClientCerts::Optional => ClientAuth::Optional(roots),
        ClientCerts::Required => ClientAuth::Required(roots),
    };
    let versions: &[&'static rustls::SupportedProtocolVersion] = match e.versions {
        TlsVersions::Both => &[&rustls::version::TLS13, &rustls::version::TLS12],
        TlsVersions::Tls12 => &[&rustls::version::TLS12],
        TlsVersions::Tls13 => &[&rustls::version::TLS13],
    };
    let options = TlsOptions {
        chain: e.chain.clone(),
        key: e.key.private_key_der(),
        client_auth,
        resumption: true,
    };
    Ok(tls_config_for_versions(options, versions)?)
}

/// The JSON body an endpoint answers with; `client-cert-*` say which certificate they received.
fn answer(e: &Endpoint, url: String) -> selfsign_server::Answer {
    let reports_client = e.client_certs != ClientCerts::None;
    let base = serde_json::json!({
        "variant": e.variant.name(),
        "url": url,
        "description": e.variant.description(),
        "expect": outcome(e.expectation.outcome),
    });
    Arc::new(move |certs| {
        let mut body = base.clone();
        if reports_client {
            body["client_certificate"] = match certs.and_then(|c| c.first()) {
                Some(der) => client_summary(der),
                None => serde_json::Value::Null,
            };
        }
        format!("{body}\n")
    })
}

/// Subject, issuer and fingerprint of a client certificate (as much as can be read).
fn client_summary(der: &selfsign_core::CertificateDer<'static>) -> serde_json::Value {
    let cert = Certificate::from_der(der.clone());
    let info = cert
        .as_ref()
        .ok()
        .and_then(|c| c.inspect(UnixTime::now()).ok());
    match (cert, info) {
        (Ok(cert), Some(info)) => serde_json::json!({
            "subject": info.subject,
            "issuer": info.issuer,
            "sha256": cert.sha256_fingerprint(),
        }),
        _ => serde_json::json!({ "unreadable": true }),
    }
}

fn outcome(o: Outcome) -> &'static str {
    match o {
        Outcome::Accept => "accept",
        Outcome::Refuse => "refuse",
    }
}

/// The `/badssl.json` listing: every endpoint with its URL and the failure a client must report.
fn listing(
    endpoints: &[Endpoint],
    suffix: &str,
    port: u16,
    crl_url: &str,
    ca: &Ca,
    untrusted_root: &Certificate,
    store: &Store,
) -> serde_json::Value {
    let variants: Vec<serde_json::Value> = endpoints
        .iter()
        .map(|e| {
            serde_json::json!({
                "name": e.variant.name(),
                "host": e.host,
                "url": format!("https://{}:{port}/", e.host),
                "description": e.variant.description(),
                "expect": outcome(e.expectation.outcome),
                "reason": e.expectation.reason,
                "note": e.expectation.note,
            })
        })
        .collect();
    serde_json::json!({
        "suffix": suffix,
        "port": port,
        "ca_file": store.ca_cert_path(),
        "ca_sha256": ca.certificate().sha256_fingerprint(),
        "untrusted_root_sha256": untrusted_root.sha256_fingerprint(),
        "crl": crl_url,
        "variants": variants,
    })
}

/// The page at `index` with its CSP's connect-src widened to `origins` and its body naming the
/// listing (which shows the badssl panel); `None` (the file as it is) when it cannot be read,
/// sets no connect-src, has not exactly one `connect-src 'self'` or no `<body>`.
fn page_with_origins(index: &Path, origins: &[String]) -> Option<String> {
    let page = std::fs::read_to_string(index).ok()?;
    if !page.contains("connect-src") {
        return None;
    }
    if page.matches(PAGE_CONNECT_SRC).count() != 1 {
        tracing::warn!(
            "{}: no single \"{PAGE_CONNECT_SRC}\" in its CSP; the badssl panel cannot reach the endpoints",
            index.display()
        );
        return None;
    }
    if !page.contains("<body>") {
        return None;
    }
    let widened = format!("{PAGE_CONNECT_SRC} {}", origins.join(" "));
    let page = page.replacen(PAGE_CONNECT_SRC, &widened, 1);
    // The page loads its badssl panel when the body names the listing.
    Some(page.replacen("<body>", "<body data-badssl=\"/badssl.json\">", 1))
}

/// The RSA key kept for `algorithm` in `dir`, if there is a readable one.
fn kept_key(dir: &Path, algorithm: KeyAlgorithm) -> Result<Option<KeyPair>, Error> {
    let bits = algorithm.rsa_bits().unwrap_or_default();
    let path = dir.join(format!("rsa{bits}-key.pem"));
    let Ok(pem) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    match KeyPair::from_pem(&pem) {
        Ok(key) if key.algorithm() == algorithm => Ok(Some(key)),
        _ => {
            tracing::info!(
                "{} is not an RSA {bits}-bit key; making a new one",
                path.display()
            );
            Ok(None)
        }
    }
}

/// Keeps an RSA key in `dir` (they take a while to make) unless that key is already there.
fn keep_key(dir: &Path, bits: usize, key: &KeyPair) -> Result<(), Error> {
    let path = dir.join(format!("rsa{bits}-key.pem"));
    let pem = key.private_key_pem();
    if std::fs::read_to_string(&path).is_ok_and(|kept| kept == pem) {
        return Ok(());
    }
    // The file belongs to serve --badssl: replacing it needs no --force.
    files::write_new(&path, pem.as_bytes(), Secrecy::Secret, true)
}
