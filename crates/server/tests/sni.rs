//! Configurations chosen by SNI (`Server::route_sni`): a routed name gets its own certificate
//! and TLS versions, every other name the default; a peer that sends no ClientHello gets an
//! alert and the server goes on serving.

mod common;

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use selfsign_core::LeafOptions;
use selfsign_server::{
    tls_config_for_versions, ClientAuth, Limits, Mode, Server, ServerOptions, SniRouter, TlsOptions,
};

use common::{pki, tcp, Pki};

/// A server whose default is the localhost leaf and which routes `other.test` to a TLS 1.2-only
/// configuration with a leaf of its own; returns its address and shutdown handle.
fn routed(pki: &Pki) -> (std::net::SocketAddr, selfsign_server::ShutdownHandle) {
    let default = pki.server_config(ClientAuth::None, false);
    let other = pki
        .ca
        .issue(&LeafOptions::new(["other.test"]), UnixTime::now())
        .expect("leaf");
    let other_config = tls_config_for_versions(
        TlsOptions {
            chain: other.tls_chain(),
            key: other.key.private_key_der(),
            client_auth: ClientAuth::None,
            resumption: false,
        },
        &[&rustls::version::TLS12],
    )
    .expect("config");
    let mut router = SniRouter::new(default.clone());
    router.route("Other.Test", other_config);
    let mut server = Server::bind(
        ServerOptions {
            listen: vec!["127.0.0.1:0".parse().unwrap()],
            mode: Mode::Echo,
            limits: Limits::default(),
        },
        default,
    )
    .expect("bind");
    server.route_sni(router);
    let addr = server.local_addrs()[0];
    let handle = server.shutdown_handle();
    std::thread::spawn(move || server.run());
    (addr, handle)
}

fn client(pki: &Pki, versions: &[&'static rustls::SupportedProtocolVersion]) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots.add(pki.ca.certificate().der().clone()).unwrap();
    let config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_protocol_versions(versions)
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
    Arc::new(config)
}

/// Handshakes as `name` and echoes one line; the negotiated version on success.
fn echo(
    addr: std::net::SocketAddr,
    config: &Arc<ClientConfig>,
    name: &str,
) -> Result<rustls::ProtocolVersion, String> {
    let conn = ClientConnection::new(
        config.clone(),
        ServerName::try_from(name.to_string()).unwrap(),
    )
    .map_err(|e| e.to_string())?;
    let mut tls = StreamOwned::new(conn, tcp(addr).map_err(|e| e.to_string())?);
    tls.write_all(b"hello\n").map_err(|e| e.to_string())?;
    let mut buf = [0u8; 6];
    tls.read_exact(&mut buf).map_err(|e| e.to_string())?;
    assert_eq!(&buf, b"hello\n");
    Ok(tls.conn.protocol_version().unwrap())
}

#[test]
fn a_routed_name_gets_its_own_certificate_and_versions_and_others_the_default() {
    let pki = pki();
    let (addr, handle) = routed(&pki);
    let any = client(&pki, &[&rustls::version::TLS13, &rustls::version::TLS12]);
    assert_eq!(
        echo(addr, &any, "other.test"),
        Ok(rustls::ProtocolVersion::TLSv1_2)
    );
    assert_eq!(
        echo(addr, &any, "localhost"),
        Ok(rustls::ProtocolVersion::TLSv1_3)
    );
    // A name not routed gets the default certificate, which does not cover it.
    let err = echo(addr, &any, "third.test").unwrap_err();
    assert!(
        err.contains("not valid for name") && err.contains("localhost"),
        "{err}"
    );
    let tls13 = client(&pki, &[&rustls::version::TLS13]);
    assert!(
        echo(addr, &tls13, "other.test").is_err(),
        "other.test speaks TLS 1.2 only"
    );
    handle.shutdown();
}

#[test]
fn a_peer_that_sends_no_client_hello_gets_an_alert_and_the_server_serves_on() {
    let pki = pki();
    let (addr, handle) = routed(&pki);
    let mut raw = tcp(addr).unwrap();
    raw.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    let _ = raw.read_to_end(&mut answer);
    assert_eq!(
        answer.first(),
        Some(&0x15),
        "a TLS alert record: {answer:?}"
    );
    let any = client(&pki, &[&rustls::version::TLS13]);
    assert_eq!(
        echo(addr, &any, "localhost"),
        Ok(rustls::ProtocolVersion::TLSv1_3)
    );
    std::thread::sleep(Duration::from_millis(10));
    handle.shutdown();
}
