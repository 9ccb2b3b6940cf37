//! `selfsign connect HOST:PORT`: a readable `openssl s_client`. It connects with rustls, shows what
//! was negotiated and the server's chain, says plainly why verification failed when it does, then
//! relays standard input and output over the connection (or sends one HTTP GET with `--http`).

mod relay;
mod report;
mod verify;

use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, RootCertStore};
use selfsign_core::{parse_certificates, KeyPair};

use crate::files;
use crate::{Error, Global};
use report::{explain_tls, Session};
use verify::Recorder;

/// Options of `selfsign connect`.
#[derive(clap::Args, Debug)]
pub struct ConnectArgs {
    /// The server, as HOST:PORT (IPv6 as [::1]:443)
    #[arg(value_name = "HOST:PORT")]
    address: String,
    /// Trust the CA certificates in FILE (PEM; repeatable) instead of the system roots
    #[arg(long, value_name = "FILE")]
    ca: Vec<PathBuf>,
    /// Refuse certificates revoked on this CRL (PEM or DER; repeatable), such as the one
    /// `serve --badssl` serves at its distribution point; only the server's own certificate is
    /// checked
    #[arg(long, value_name = "FILE")]
    crl: Vec<PathBuf>,
    /// Also trust the system's root certificates when --ca is given
    #[arg(long)]
    system_roots: bool,
    /// Present this client certificate (PEM, chain allowed) for mutual TLS
    #[arg(long, value_name = "FILE", requires = "client_key")]
    client_cert: Option<PathBuf>,
    /// The client certificate's private key (PEM)
    #[arg(long, value_name = "FILE", requires = "client_cert")]
    client_key: Option<PathBuf>,
    /// Offer this ALPN protocol, e.g. h2 or http/1.1 (repeatable, in order of preference)
    #[arg(long, value_name = "PROTO")]
    alpn: Vec<String>,
    /// Name to send as SNI and to verify the certificate against [default: HOST]
    #[arg(long, value_name = "NAME")]
    servername: Option<String>,
    /// DANGER: accept any certificate (the handshake signature is still checked)
    #[arg(long)]
    insecure: bool,
    /// Send `GET PATH HTTP/1.1` (Host, Connection: close) and print the response, instead of
    /// relaying standard input
    #[arg(long)]
    http: bool,
    /// The path --http requests
    #[arg(long, value_name = "PATH", default_value = "/", requires = "http")]
    path: String,
    /// Seconds allowed to connect, to finish the handshake, and for the server to answer after
    /// our input ends
    #[arg(long, value_name = "SECONDS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    timeout: u64,
}

/// HOST and PORT from the command line.
struct Target {
    host: String,
    port: u16,
}

impl Target {
    fn parse(address: &str) -> Result<Target, Error> {
        let bad = || {
            Error::Usage(format!(
                "{address:?} is not HOST:PORT (e.g. localhost:8443 or [::1]:8443)"
            ))
        };
        let (host, port) = address.rsplit_once(':').ok_or_else(bad)?;
        let host = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            Some(v6) => v6,
            None if host.contains(':') => return Err(bad()),
            None => host,
        };
        let port = port.parse().map_err(|_| bad())?;
        if host.is_empty() {
            return Err(bad());
        }
        Ok(Target {
            host: host.to_string(),
            port,
        })
    }

    /// `host:port` for messages and the Host header (IPv6 in brackets).
    fn authority(&self, host: &str, with_port: bool) -> String {
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.to_string()
        };
        if with_port {
            format!("{host}:{}", self.port)
        } else {
            host
        }
    }
}

/// Runs `selfsign connect`.
pub fn run(args: &ConnectArgs, global: &Global) -> Result<(), Error> {
    let target = Target::parse(&args.address)?;
    let asked = args
        .servername
        .clone()
        .unwrap_or_else(|| target.host.clone());
    let server_name = ServerName::try_from(asked.clone()).map_err(|_| {
        Error::Usage(format!(
            "{asked:?} is not a valid DNS name or IP address for --servername"
        ))
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let (inner, trusting) = verifier(args, &provider)?;
    let recorder = Arc::new(Recorder::new(inner, args.insecure, provider.clone()));
    let config = client_config(args, provider, recorder.clone())?;
    let timeout = Duration::from_secs(args.timeout);

    let (mut socket, peer) = connect_tcp(&target, timeout)?;
    let mut conn = ClientConnection::new(Arc::new(config), server_name)
        .map_err(|e| Error::Tls(format!("cannot start TLS: {e}")))?;
    let handshake = handshake(&mut conn, &mut socket, timeout);
    let seen = recorder.seen();
    let chain = verify::inspect_chain(&seen.chain);
    let would_fail = seen
        .would_fail
        .as_ref()
        .map(|e| explain_tls(e, &chain, &asked));
    let session = Session {
        address: target.authority(&target.host, true),
        peer,
        server_name: asked.clone(),
        trusting,
        chain,
        insecure: args.insecure,
        would_fail,
    };
    if let Err(failure) = handshake {
        let reason = match failure {
            HandshakeError::Tls(e) => explain_tls(&e, &session.chain, &asked),
            HandshakeError::Other(msg) => msg,
        };
        let reason = format!("{}: {reason}", session.address);
        if global.json {
            out!("{}", session.json(&conn, Some(&reason)));
        } else if global.verbose > 0 && !session.chain.is_empty() {
            // The reason stays one line; -v shows the chain it is about.
            crate::output::err_text(&session.chain_text());
        }
        return Err(Error::Tls(reason));
    }
    if global.json {
        out!("{}", session.json(&conn, None));
    } else if !global.quiet {
        crate::output::err_text(&session.text(&conn, args));
    } else if args.insecure {
        err!("WARNING: --insecure: the server's certificate is NOT verified");
    }

    let input = if args.http {
        let host = target.authority(&asked, target.port != 443);
        relay::Input::Fixed(
            format!(
                "GET {} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: selfsign/{}\r\nAccept: */*\r\n\
                 Connection: close\r\n\r\n",
                args.path,
                env!("CARGO_PKG_VERSION")
            )
            .into_bytes(),
        )
    } else {
        relay::Input::Stdin
    };
    let mut stdout = io::stdout().lock();
    let end = relay::relay(&mut conn, socket, input, timeout, &mut stdout);
    let _ = stdout.flush();
    match end {
        Ok(relay::End::ServerClosed { clean: true }) => {
            tracing::debug!("the server closed the connection");
            Ok(())
        }
        Ok(relay::End::ServerClosed { clean: false }) => {
            tracing::debug!("the server closed the TCP connection without a TLS close_notify");
            Ok(())
        }
        Ok(relay::End::Idle) => {
            tracing::debug!(
                "no data from the server for {} s after our input ended",
                args.timeout
            );
            Ok(())
        }
        Err(relay::Error::Tls(e)) => Err(Error::Tls(format!(
            "{}: {}",
            session.address,
            explain_tls(&e, &session.chain, &asked)
        ))),
        Err(relay::Error::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(relay::Error::Io(e)) => Err(Error::Tls(format!("{}: {e}", session.address))),
    }
}

/// The WebPKI verifier for the chosen roots (None when none were chosen and --insecure), and a
/// description of what is trusted.
fn verifier(
    args: &ConnectArgs,
    provider: &Arc<CryptoProvider>,
) -> Result<(Option<Arc<WebPkiServerVerifier>>, String), Error> {
    let mut roots = RootCertStore::empty();
    let mut trusting = Vec::new();
    for path in &args.ca {
        let data = files::read_input(path).map_err(|e| match e {
            Error::Io { source, .. } => Error::io(format!("--ca {}", path.display()), source),
            e => e,
        })?;
        let certs = parse_certificates(&data)
            .map_err(|e| Error::Usage(format!("--ca {}: {e}", path.display())))?;
        for cert in &certs {
            roots.add(cert.der().clone()).map_err(|e| {
                Error::Usage(format!(
                    "--ca {}: not usable as a trust anchor: {e}",
                    path.display()
                ))
            })?;
        }
        trusting.push(path.display().to_string());
    }
    if args.ca.is_empty() || args.system_roots {
        let native = rustls_native_certs::load_native_certs();
        let (added, _) = roots.add_parsable_certificates(native.certs);
        if added == 0 && !args.insecure {
            let why = native
                .errors
                .first()
                .map_or_else(|| "none found".to_string(), ToString::to_string);
            return Err(Error::Tls(format!(
                "cannot load the system's root certificates ({why}); pass --ca FILE"
            )));
        }
        trusting.push(format!("{added} system roots"));
    }
    if roots.is_empty() {
        return Ok((None, "nothing".into()));
    }
    let mut builder =
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone());
    if !args.crl.is_empty() {
        builder = builder
            .with_crls(crls(&args.crl)?)
            .only_check_end_entity_revocation()
            .allow_unknown_revocation_status();
    }
    let verifier = builder
        .build()
        .map_err(|e| Error::Tls(format!("cannot build the certificate verifier: {e}")))?;
    Ok((Some(verifier), trusting.join(" + ")))
}

/// The CRLs in `paths`, PEM or DER.
fn crls(
    paths: &[PathBuf],
) -> Result<Vec<rustls::pki_types::CertificateRevocationListDer<'static>>, Error> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateRevocationListDer as Crl;
    let mut out = Vec::new();
    for path in paths {
        let data = files::read_input(path)?;
        if data.starts_with(b"-----BEGIN") {
            for crl in Crl::pem_slice_iter(&data) {
                out.push(crl.map_err(|e| {
                    Error::Usage(format!("--crl {}: not a PEM CRL: {e}", path.display()))
                })?);
            }
        } else {
            out.push(Crl::from(data));
        }
    }
    Ok(out)
}

fn client_config(
    args: &ConnectArgs,
    provider: Arc<CryptoProvider>,
    verifier: Arc<Recorder>,
) -> Result<ClientConfig, Error> {
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(format!("TLS configuration: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match (&args.client_cert, &args.client_key) {
        (Some(cert_path), Some(key_path)) => {
            let certs = parse_certificates(&files::read_input(cert_path)?)
                .map_err(|e| Error::Usage(format!("--client-cert {}: {e}", cert_path.display())))?;
            let key_pem = String::from_utf8(files::read_input(key_path)?).map_err(|_| {
                Error::Usage(format!(
                    "--client-key {}: not a PEM key",
                    key_path.display()
                ))
            })?;
            let key = KeyPair::from_pem(&key_pem)?;
            let chain = certs.iter().map(|c| c.der().clone()).collect();
            builder
                .with_client_auth_cert(chain, key.private_key_der())
                .map_err(|e| {
                    Error::Usage(format!(
                        "--client-cert/--client-key: {e} (is the key the certificate's?)"
                    ))
                })?
        }
        _ => builder.with_no_client_auth(),
    };
    config.alpn_protocols = args.alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
    Ok(config)
}

/// Whether `host` is `localhost` or a name under it.
fn is_localhost(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost" || host.ends_with(".localhost")
}

fn connect_tcp(target: &Target, timeout: Duration) -> Result<(TcpStream, SocketAddr), Error> {
    let address = target.authority(&target.host, true);
    let resolved = (target.host.as_str(), target.port).to_socket_addrs();
    let addrs: Vec<SocketAddr> = match resolved {
        Ok(addrs) => addrs.collect(),
        // *.localhost is loopback (RFC 6761), as curl and browsers resolve it themselves.
        Err(_) if is_localhost(&target.host) => vec![
            SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, target.port)),
            SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, target.port)),
        ],
        Err(e) => {
            return Err(Error::Tls(format!(
                "{address}: cannot resolve the host: {e}"
            )))
        }
    };
    let mut last = None;
    for addr in &addrs {
        match TcpStream::connect_timeout(addr, timeout) {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Ok((s, *addr));
            }
            Err(e) => last = Some(e),
        }
    }
    let why = match last {
        Some(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
            "connection refused (is the server running on that port?)".to_string()
        }
        Some(e)
            if matches!(
                e.kind(),
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
            ) =>
        {
            format!("no answer within {} s", timeout.as_secs())
        }
        Some(e) => e.to_string(),
        None => "the name resolved to no address".into(),
    };
    Err(Error::Tls(format!("{address}: cannot connect: {why}")))
}

enum HandshakeError {
    Tls(rustls::Error),
    Other(String),
}

/// Drives the handshake on the blocking socket within `timeout`.
fn handshake(
    conn: &mut ClientConnection,
    socket: &mut TcpStream,
    timeout: Duration,
) -> Result<(), HandshakeError> {
    let deadline = Instant::now() + timeout;
    let timed_out = || {
        HandshakeError::Other(format!(
            "the TLS handshake did not finish within {} s",
            timeout.as_secs()
        ))
    };
    while conn.is_handshaking() || conn.wants_write() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(timed_out());
        }
        let _ = socket.set_read_timeout(Some(left));
        let _ = socket.set_write_timeout(Some(left));
        match conn.complete_io(socket) {
            Ok(_) => {}
            Err(e) => {
                let tls = e
                    .get_ref()
                    .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                    .cloned();
                return Err(match (tls, e.kind()) {
                    (Some(tls), _) => HandshakeError::Tls(tls),
                    (None, io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => timed_out(),
                    (None, io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset) => {
                        HandshakeError::Other(
                            "the server closed the connection during the TLS handshake (does it \
                             speak TLS on this port?)"
                                .into(),
                        )
                    }
                    (None, _) => HandshakeError::Other(format!("TLS handshake failed: {e}")),
                });
            }
        }
    }
    Ok(())
}
