//! ACME challenge validation for `serve --acme`, off the event loop: a few worker threads take
//! challenges from a bounded queue, check them over the network (http-01: an HTTP GET of the
//! token; tls-alpn-01, RFC 8737: a TLS handshake offering `acme-tls/1`) with timeouts, and record
//! the outcome in the shared ACME server, where the client's next poll sees it.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, SubjectPublicKeyInfoDer, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme};
use selfsign_acme::{ChallengeFailure, ChallengeKind, FailureKind, Validation};

use super::acme::{unix_now, Shared};

/// Threads validating at once.
const WORKERS: usize = 4;
/// Challenges waiting for a worker; beyond it a challenge fails at once (the client may retry).
const QUEUE: usize = 64;
/// Time allowed for one whole check: resolving, connecting, sending and reading the answer
/// together, as Boulder and Pebble bound theirs, so a target that drips bytes or a name server
/// that never answers cannot hold a worker.
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
        let resolver = Resolver::start(system_lookup);
        for i in 0..WORKERS {
            let (jobs, shared, resolver) = (jobs.clone(), shared.clone(), resolver.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("acme-validator-{i}"))
                .spawn(move || work(&jobs, &shared, &resolver, ports));
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
        let busy = ChallengeFailure::new(
            FailureKind::ServerInternal,
            "the server is checking too many challenges at once; retry",
        );
        acme.finish_validation(&refused, Err(busy), unix_now());
        self.shared.save_if_changed(&mut acme);
    }
}

fn work(jobs: &Mutex<Receiver<Validation>>, shared: &Shared, resolver: &Resolver, ports: Ports) {
    loop {
        let job = jobs.lock().unwrap_or_else(|e| e.into_inner()).recv();
        let Ok(validation) = job else {
            return;
        };
        let check = Check {
            resolver,
            deadline: Deadline(Instant::now() + DEADLINE),
        };
        let outcome = match validation.kind {
            ChallengeKind::Http01 => http_01(&validation, ports.http, check),
            ChallengeKind::TlsAlpn01 => tls_alpn_01(&validation, ports.tls, check),
        };
        if let Err(why) = &outcome {
            tracing::info!(
                "ACME {} for {} failed ({}): {}",
                validation.kind.name(),
                validation.name,
                why.kind.name(),
                why.detail
            );
        }
        let mut acme = shared.lock();
        acme.finish_validation(&validation, outcome, unix_now());
        shared.save_if_changed(&mut acme);
    }
}

/// What a check fails with.
type Failed = ChallengeFailure;

fn connection(detail: String) -> Failed {
    ChallengeFailure::new(FailureKind::Connection, detail)
}

fn incorrect(detail: String) -> Failed {
    ChallengeFailure::new(FailureKind::IncorrectResponse, detail)
}

fn tls(detail: String) -> Failed {
    ChallengeFailure::new(FailureKind::Tls, detail)
}

fn dns(detail: String) -> Failed {
    ChallengeFailure::new(FailureKind::Dns, detail)
}

/// What one check runs with.
#[derive(Clone, Copy)]
struct Check<'a> {
    resolver: &'a Resolver,
    deadline: Deadline,
}

/// When a check must be over.
#[derive(Debug, Clone, Copy)]
struct Deadline(Instant);

impl Deadline {
    /// Why the check failed when it runs out of time on `target`.
    fn passed(target: &str) -> String {
        format!(
            "{target} timed out: the check did not finish within {} s",
            DEADLINE.as_secs()
        )
    }

    /// The time left, or why the check failed when there is none (a `connection` problem, as
    /// Boulder types timeouts).
    fn left(self, target: &str) -> Result<Duration, Failed> {
        match self.0.checked_duration_since(Instant::now()) {
            Some(left) if !left.is_zero() => Ok(left),
            _ => Err(connection(Deadline::passed(target))),
        }
    }

    /// Bounds the next reads and writes on `stream` by the time left.
    fn bound(self, stream: &TcpStream, target: &str) -> Result<(), Failed> {
        let left = self.left(target)?;
        stream
            .set_read_timeout(Some(left))
            .and_then(|()| stream.set_write_timeout(Some(left)))
            .map_err(|e| connection(format!("{target}: {e}")))
    }
}

/// Whether an I/O error is a read or write timing out.
fn timed_out(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

/// How the resolver thread looks a name up.
type Lookup = fn(&str, u16) -> std::io::Result<Vec<SocketAddr>>;

/// The system's resolver (getaddrinfo: /etc/hosts, then DNS).
fn system_lookup(name: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
    Ok((name, port).to_socket_addrs()?.collect())
}

/// Name lookups for the workers, on one thread of their own: the system resolver takes no
/// timeout (with unreachable name servers it blocks for tens of seconds), so a worker waits for
/// an answer only until its deadline, and a lookup that hangs holds that thread, not a worker.
#[derive(Debug, Clone)]
struct Resolver {
    queue: SyncSender<Query>,
}

/// A name to look up and where its answer goes.
#[derive(Debug)]
struct Query {
    name: String,
    port: u16,
    /// The asking check's deadline: past it nobody waits for the answer.
    until: Instant,
    answer: SyncSender<std::io::Result<Vec<SocketAddr>>>,
}

impl Resolver {
    /// Starts the resolver thread, looking names up with `lookup`.
    fn start(lookup: Lookup) -> Resolver {
        let (queue, queries) = sync_channel::<Query>(QUEUE);
        let spawned = std::thread::Builder::new()
            .name("acme-resolver".into())
            .spawn(move || {
                for q in queries {
                    if Instant::now() < q.until {
                        let _ = q.answer.try_send(lookup(&q.name, q.port));
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::warn!("cannot start the ACME resolver thread: {e}");
        }
        Resolver { queue }
    }

    /// The addresses of `name`, or a `dns` failure, also when none come before `deadline`.
    fn resolve(
        &self,
        name: &str,
        port: u16,
        deadline: Deadline,
    ) -> Result<Vec<SocketAddr>, Failed> {
        let (answer, answers) = sync_channel(1);
        let query = Query {
            name: name.to_owned(),
            port,
            until: deadline.0,
            answer,
        };
        match self.queue.try_send(query) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                return Err(dns(format!(
                    "cannot resolve {name}: too many lookups are waiting; retry"
                )))
            }
            Err(TrySendError::Disconnected(_)) => {
                return Err(dns(format!(
                    "cannot resolve {name}: the resolver is not running"
                )))
            }
        }
        let left = deadline.0.saturating_duration_since(Instant::now());
        let found = match answers.recv_timeout(left) {
            Ok(found) => found.map_err(|e| dns(format!("cannot resolve {name}: {e}")))?,
            // The resolver drops a query whose deadline passed while it waited.
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                return Err(dns(Deadline::passed(&format!("resolving {name}"))))
            }
        };
        if found.is_empty() {
            return Err(dns(format!("{name} has no addresses")));
        }
        Ok(found)
    }
}

/// The addresses of `name`: loopback for `localhost` and names under it (RFC 6761), else the
/// resolver's.
fn addresses(name: &str, port: u16, check: Check<'_>) -> Result<Vec<SocketAddr>, Failed> {
    if name == "localhost" || name.ends_with(".localhost") {
        let v4 = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
        let v6 = SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port);
        return Ok(vec![v4, v6]);
    }
    check.resolver.resolve(name, port, check.deadline)
}

/// A connection to the first address of `name` that accepts one before the deadline.
fn connect(name: &str, port: u16, check: Check<'_>) -> Result<TcpStream, Failed> {
    let target = format!("{name}:{port}");
    let mut last = String::new();
    for addr in addresses(name, port, check)? {
        match TcpStream::connect_timeout(&addr, check.deadline.left(&target)?) {
            Ok(stream) => return Ok(stream),
            Err(e) if timed_out(&e) => last = Deadline::passed(&target),
            Err(e) => last = format!("cannot connect to {name} at {addr}: {e}"),
        }
    }
    Err(connection(last))
}

/// RFC 8555 §8.3: `GET /.well-known/acme-challenge/TOKEN` must answer 200 with the key
/// authorization (surrounding whitespace allowed).
fn http_01(v: &Validation, port: u16, check: Check<'_>) -> Result<(), Failed> {
    let deadline = check.deadline;
    let mut stream = connect(&v.name, port, check)?;
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
        return Err(connection(format!("sending to {host}: {e}")));
    }
    let raw = read_response(&mut stream, &host, deadline)?;
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    let head_len = match response.parse(&raw) {
        Ok(httparse::Status::Complete(n)) => n,
        _ => {
            return Err(incorrect(format!(
                "{host} did not answer with an HTTP response"
            )))
        }
    };
    if response.code != Some(200) {
        return Err(incorrect(format!(
            "http://{host}/.well-known/acme-challenge/{} answered {} instead of 200",
            v.token,
            response.code.unwrap_or_default()
        )));
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
        return Err(incorrect(format!(
            "{host} answered the challenge with something other than the key authorization"
        )));
    }
    Ok(())
}

/// The answer on `stream` until it closes, [`MAX_RESPONSE`] bytes are in, or `deadline` passes
/// (an error).
fn read_response(
    stream: &mut TcpStream,
    host: &str,
    deadline: Deadline,
) -> Result<Vec<u8>, Failed> {
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
            Err(e) => return Err(connection(format!("reading from {host}: {e}"))),
        }
    }
    Ok(raw)
}

/// RFC 8737: a handshake with SNI `name` and ALPN `acme-tls/1` must present a certificate for
/// exactly `name` with a critical acmeIdentifier extension holding SHA-256 of the key
/// authorization. A handshake the target breaks off or gets wrong is a `tls` problem.
fn tls_alpn_01(v: &Validation, port: u16, check: Check<'_>) -> Result<(), Failed> {
    let deadline = check.deadline;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| tls(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
        .with_no_client_auth();
    config.alpn_protocols = vec![ACME_TLS_1.to_vec()];
    let server_name =
        ServerName::try_from(v.name.clone()).map_err(|e| tls(format!("{}: {e}", v.name)))?;
    let mut session = ClientConnection::new(Arc::new(config), server_name)
        .map_err(|e| tls(format!("cannot start TLS: {e}")))?;
    let mut stream = connect(&v.name, port, check)?;
    let target = format!("{}:{port}", v.name);
    // Each read and write is bounded by the time left (rustls' complete_io would keep reading
    // a record a target drips a byte at a time).
    while session.is_handshaking() {
        deadline.bound(&stream, &target)?;
        let io = if session.wants_write() {
            session.write_tls(&mut stream)
        } else {
            session.read_tls(&mut stream)
        };
        match io {
            Ok(0) => {
                return Err(tls(format!(
                    "TLS handshake with {target} failed: it closed the connection"
                )))
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if timed_out(&e) => deadline.left(&target).map(|_| ())?,
            Err(e) => return Err(tls(format!("TLS handshake with {target} failed: {e}"))),
        }
        if let Err(e) = session.process_new_packets() {
            // The alert saying why, if the target still listens.
            let _ = session.write_tls(&mut stream);
            return Err(tls(format!("TLS handshake with {target} failed: {e}")));
        }
    }
    if session.alpn_protocol() != Some(ACME_TLS_1) {
        return Err(incorrect(format!(
            "{}:{port} did not agree to ALPN acme-tls/1",
            v.name
        )));
    }
    let cert = session
        .peer_certificates()
        .and_then(|c| c.first())
        .ok_or_else(|| incorrect(format!("{}:{port} sent no certificate", v.name)))?;
    check_challenge_certificate(cert, &v.name, &v.key_authorization).map_err(incorrect)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A lookup that never answers in time, as with name servers that do not reply.
    fn hangs(_: &str, _: u16) -> std::io::Result<Vec<SocketAddr>> {
        std::thread::sleep(Duration::from_secs(3600));
        Ok(Vec::new())
    }

    fn fails(name: &str, _: u16) -> std::io::Result<Vec<SocketAddr>> {
        Err(std::io::Error::other(format!("{name}: no such host")))
    }

    fn soon() -> Deadline {
        Deadline(Instant::now() + Duration::from_millis(200))
    }

    #[test]
    fn a_lookup_that_hangs_fails_the_check_at_its_deadline_as_a_dns_problem() {
        let resolver = Resolver::start(hangs);
        let first = resolver.resolve("stuck.test", 80, soon()).unwrap_err();
        assert_eq!(first.kind, FailureKind::Dns);
        assert!(
            first.detail.contains("resolving stuck.test timed out"),
            "{}",
            first.detail
        );
        // A lookup queued behind the hanging one is bounded the same way.
        let second = resolver.resolve("next.test", 80, soon()).unwrap_err();
        assert_eq!(second.kind, FailureKind::Dns);
    }

    #[test]
    fn a_name_that_does_not_resolve_is_a_dns_problem() {
        let resolver = Resolver::start(fails);
        let e = resolver.resolve("nx.test", 80, soon()).unwrap_err();
        assert_eq!(e.kind, FailureKind::Dns);
        assert!(e.detail.contains("no such host"), "{}", e.detail);
        // RFC 6761: .invalid never resolves, whatever the system's resolver does.
        let system = Resolver::start(system_lookup);
        let deadline = Deadline(Instant::now() + DEADLINE);
        let e = system.resolve("acme.invalid", 80, deadline).unwrap_err();
        assert_eq!(e.kind, FailureKind::Dns, "{}", e.detail);
    }

    #[test]
    fn a_target_nothing_listens_on_is_a_connection_problem() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let check = Check {
            resolver: &Resolver::start(fails),
            deadline: Deadline(Instant::now() + DEADLINE),
        };
        let e = connect("nothing.localhost", port, check).unwrap_err();
        assert_eq!(e.kind, FailureKind::Connection, "{}", e.detail);
    }
}
