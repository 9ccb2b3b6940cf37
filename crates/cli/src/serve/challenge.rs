//! ACME challenge validation for `serve --acme`, off the event loop: a few worker threads take
//! challenges from a bounded queue, check them over the network (http-01: an HTTP GET of the
//! token; tls-alpn-01, RFC 8737: a TLS handshake offering `acme-tls/1`) with timeouts, and record
//! the outcome in the shared ACME server, where the client's next poll sees it.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, SubjectPublicKeyInfoDer, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme};
use selfsign_acme::{ChallengeKind, Validation};

use super::acme::{unix_now, Shared};

/// Threads validating at once.
const WORKERS: usize = 4;
/// Challenges waiting for a worker; beyond it a challenge fails at once (the client may retry).
const QUEUE: usize = 64;
/// Time allowed for one whole check (resolve aside): connecting, sending and reading the answer
/// together, as Boulder and Pebble bound theirs, so a target that drips bytes cannot hold a worker.
const DEADLINE: Duration = Duration::from_secs(10);
/// Largest HTTP response read for http-01 (a key authorization is under 100 bytes).
const MAX_RESPONSE: usize = 16 * 1024;
/// The RFC 8737 ALPN protocol and certificate extension.
const ACME_TLS_1: &[u8] = b"acme-tls/1";
const ACME_IDENTIFIER_OID: &str = "1.3.6.1.5.5.7.1.31";

/// The worker pool's queue.
#[derive(Debug)]
pub struct Validators {
    queue: SyncSender<Validation>,
    shared: Arc<Shared>,
}

/// The ports challenges are checked on.
#[derive(Debug, Clone, Copy)]
struct Ports {
    http: u16,
    tls: u16,
}

impl Validators {
    /// Starts the workers; http-01 is fetched from `http_port`, tls-alpn-01 from `tls_port`.
    pub fn start(shared: Arc<Shared>, http_port: u16, tls_port: u16) -> Validators {
        let (queue, jobs) = sync_channel(QUEUE);
        let jobs = Arc::new(Mutex::new(jobs));
        let ports = Ports {
            http: http_port,
            tls: tls_port,
        };
        for i in 0..WORKERS {
            let (jobs, shared) = (jobs.clone(), shared.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("acme-validator-{i}"))
                .spawn(move || work(&jobs, &shared, ports));
            if let Err(e) = spawned {
                tracing::warn!("cannot start an ACME validator thread: {e}");
            }
        }
        Validators { queue, shared }
    }

    /// Queues a challenge; when the queue is full it fails at once.
    pub fn submit(&self, validation: Validation) {
        let refused = match self.queue.try_send(validation) {
            Ok(()) => return,
            Err(TrySendError::Full(v) | TrySendError::Disconnected(v)) => v,
        };
        let mut acme = self.shared.lock();
        let busy = "the server is checking too many challenges at once; retry".to_string();
        acme.finish_validation(&refused, Err(busy), unix_now());
        self.shared.save_if_changed(&mut acme);
    }
}

fn work(jobs: &Mutex<Receiver<Validation>>, shared: &Shared, ports: Ports) {
    loop {
        let job = jobs.lock().unwrap_or_else(|e| e.into_inner()).recv();
        let Ok(validation) = job else {
            return;
        };
        let deadline = Deadline(Instant::now() + DEADLINE);
        let outcome = match validation.kind {
            ChallengeKind::Http01 => http_01(&validation, ports.http, deadline),
            ChallengeKind::TlsAlpn01 => tls_alpn_01(&validation, ports.tls, deadline),
        };
        if let Err(why) = &outcome {
            tracing::info!(
                "ACME {} for {} failed: {why}",
                validation.kind.name(),
                validation.name
            );
        }
        let mut acme = shared.lock();
        acme.finish_validation(&validation, outcome, unix_now());
        shared.save_if_changed(&mut acme);
    }
}

/// When a check must be over.
#[derive(Debug, Clone, Copy)]
struct Deadline(Instant);

impl Deadline {
    /// The time left, or why the check failed when there is none.
    fn left(self, target: &str) -> Result<Duration, String> {
        match self.0.checked_duration_since(Instant::now()) {
            Some(left) if !left.is_zero() => Ok(left),
            _ => Err(format!(
                "{target} timed out: the check did not finish within {} s",
                DEADLINE.as_secs()
            )),
        }
    }

    /// Bounds the next reads and writes on `stream` by the time left.
    fn bound(self, stream: &TcpStream, target: &str) -> Result<(), String> {
        let left = self.left(target)?;
        stream
            .set_read_timeout(Some(left))
            .and_then(|()| stream.set_write_timeout(Some(left)))
            .map_err(|e| format!("{target}: {e}"))
    }
}

/// Whether an I/O error is a read or write timing out.
fn timed_out(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

/// The addresses of `name`: loopback for `localhost` and names under it (RFC 6761), else DNS.
fn addresses(name: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
    if name == "localhost" || name.ends_with(".localhost") {
        let v4 = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
        let v6 = SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port);
        return Ok(vec![v4, v6]);
    }
    let found: Vec<SocketAddr> = (name, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {name}: {e}"))?
        .collect();
    if found.is_empty() {
        return Err(format!("{name} has no addresses"));
    }
    Ok(found)
}

/// A connection to the first address of `name` that accepts one before `deadline`.
fn connect(name: &str, port: u16, deadline: Deadline) -> Result<TcpStream, String> {
    let target = format!("{name}:{port}");
    let mut last = String::new();
    for addr in addresses(name, port)? {
        match TcpStream::connect_timeout(&addr, deadline.left(&target)?) {
            Ok(stream) => return Ok(stream),
            Err(e) => last = format!("cannot connect to {name} at {addr}: {e}"),
        }
    }
    Err(last)
}

/// RFC 8555 §8.3: `GET /.well-known/acme-challenge/TOKEN` must answer 200 with the key
/// authorization (surrounding whitespace allowed).
fn http_01(v: &Validation, port: u16, deadline: Deadline) -> Result<(), String> {
    let mut stream = connect(&v.name, port, deadline)?;
    let host = if port == 80 {
        v.name.clone()
    } else {
        format!("{}:{port}", v.name)
    };
    let request = format!(
        "GET /.well-known/acme-challenge/{} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: selfsign-acme\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        v.token
    );
    deadline.bound(&stream, &host)?;
    if let Err(e) = stream.write_all(request.as_bytes()) {
        deadline.left(&host)?;
        return Err(format!("sending to {host}: {e}"));
    }
    let raw = read_response(&mut stream, &host, deadline)?;
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    let head_len = match response.parse(&raw) {
        Ok(httparse::Status::Complete(n)) => n,
        _ => return Err(format!("{host} did not answer with an HTTP response")),
    };
    if response.code != Some(200) {
        return Err(format!(
            "http://{host}/.well-known/acme-challenge/{} answered {} instead of 200",
            v.token,
            response.code.unwrap_or_default()
        ));
    }
    let length = response
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .and_then(|h| {
            std::str::from_utf8(h.value)
                .ok()?
                .trim()
                .parse::<usize>()
                .ok()
        });
    let body = &raw[head_len..];
    let body = &body[..length.unwrap_or(body.len()).min(body.len())];
    if String::from_utf8_lossy(body).trim() != v.key_authorization {
        return Err(format!(
            "{host} answered the challenge with something other than the key authorization"
        ));
    }
    Ok(())
}

/// The answer on `stream` until it closes, [`MAX_RESPONSE`] bytes are in, or `deadline` passes
/// (an error).
fn read_response(
    stream: &mut TcpStream,
    host: &str,
    deadline: Deadline,
) -> Result<Vec<u8>, String> {
    let mut raw = Vec::new();
    let mut chunk = [0u8; 4096];
    while raw.len() < MAX_RESPONSE {
        deadline.bound(stream, host)?;
        let room = chunk.len().min(MAX_RESPONSE - raw.len());
        match stream.read(&mut chunk[..room]) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if timed_out(&e) => deadline.left(host).map(|_| ())?,
            Err(e) => return Err(format!("reading from {host}: {e}")),
        }
    }
    Ok(raw)
}

/// RFC 8737: a handshake with SNI `name` and ALPN `acme-tls/1` must present a certificate for
/// exactly `name` with a critical acmeIdentifier extension holding SHA-256 of the key
/// authorization.
fn tls_alpn_01(v: &Validation, port: u16, deadline: Deadline) -> Result<(), String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
        .with_no_client_auth();
    config.alpn_protocols = vec![ACME_TLS_1.to_vec()];
    let server_name =
        ServerName::try_from(v.name.clone()).map_err(|e| format!("{}: {e}", v.name))?;
    let mut tls = ClientConnection::new(Arc::new(config), server_name)
        .map_err(|e| format!("cannot start TLS: {e}"))?;
    let mut stream = connect(&v.name, port, deadline)?;
    let target = format!("{}:{port}", v.name);
    while tls.is_handshaking() {
        deadline.bound(&stream, &target)?;
        match tls.complete_io(&mut stream) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if timed_out(&e) => deadline.left(&target).map(|_| ())?,
            Err(e) => return Err(format!("TLS handshake with {target} failed: {e}")),
        }
    }
    if tls.alpn_protocol() != Some(ACME_TLS_1) {
        return Err(format!(
            "{}:{port} did not agree to ALPN acme-tls/1",
            v.name
        ));
    }
    let cert = tls
        .peer_certificates()
        .and_then(|c| c.first())
        .ok_or_else(|| format!("{}:{port} sent no certificate", v.name))?;
    check_challenge_certificate(cert, &v.name, &v.key_authorization)
}

fn check_challenge_certificate(
    der: &CertificateDer<'_>,
    name: &str,
    key_authorization: &str,
) -> Result<(), String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|_| "the challenge certificate does not parse".to_string())?;
    let sans = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|ext| ext.value.general_names.clone())
        .unwrap_or_default();
    let only_name = matches!(sans.as_slice(),
        [x509_parser::extensions::GeneralName::DNSName(n)] if n.eq_ignore_ascii_case(name));
    if !only_name {
        return Err(format!(
            "the challenge certificate must name exactly {name} in its SAN"
        ));
    }
    let digest = ring::digest::digest(&ring::digest::SHA256, key_authorization.as_bytes());
    let mut expected = vec![0x04, 0x20];
    expected.extend_from_slice(digest.as_ref());
    let extension = cert
        .extensions()
        .iter()
        .find(|e| e.oid.to_id_string() == ACME_IDENTIFIER_OID)
        .ok_or("the challenge certificate has no acmeIdentifier extension")?;
    if !extension.critical || extension.value != expected.as_slice() {
        return Err("the challenge certificate's acmeIdentifier does not match the key authorization (or is not critical)".into());
    }
    Ok(())
}

/// Accepts any server certificate: a tls-alpn-01 certificate is self-signed by design and is
/// judged by its contents, not its issuer. The TLS 1.3 handshake signature is still checked,
/// against the certificate's key alone (webpki would refuse the certificate for its critical
/// acmeIdentifier extension).
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Err(rustls::Error::General(
            "tls-alpn-01 is checked over TLS 1.3 only".into(),
        ))
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let (_, parsed) = x509_parser::parse_x509_certificate(cert)
            .map_err(|_| rustls::Error::General("the certificate does not parse".into()))?;
        let spki = SubjectPublicKeyInfoDer::from(parsed.tbs_certificate.subject_pki.raw);
        rustls::crypto::verify_tls13_signature_with_raw_key(
            message,
            &spki,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
