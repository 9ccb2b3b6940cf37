//! TLS configuration: client certificates, resumption, and the errors users see.

mod common;

use std::io::{self, Read, Write};
use std::sync::Arc;

use common::*;
use rustls::HandshakeKind;
use selfsign_core::{Ca, CaOptions};
use selfsign_server::{
    tls_config, ClientAuth, Error, Limits, Mode, Server, ServerOptions, TlsOptions,
};

fn server_with(pki: &Pki, web: &WebRoot, client_auth: ClientAuth, resumption: bool) -> Running {
    Running::start(
        Mode::Http {
            root: web.root.clone(),
            serve_dotfiles: false,
        },
        Limits::default(),
        pki.server_config(client_auth, resumption),
    )
}

/// Sends GET / and returns the status, or the error that ended the connection.
fn try_get(running: &Running, config: &Arc<rustls::ClientConfig>) -> io::Result<u16> {
    let mut http = Http::new(connect(running.addr(), config)?);
    Ok(http.get("/")?.status)
}

fn assert_refused(result: io::Result<u16>, what: &str) {
    match result {
        Ok(status) => panic!("{what}: served with status {status}"),
        Err(e) => assert!(
            e.to_string().contains("alert") || e.kind() == io::ErrorKind::ConnectionReset,
            "{what}: unexpected error {e}"
        ),
    }
}

fn other_ca() -> Ca {
    Ca::new_root(&CaOptions::default(), rustls::pki_types::UnixTime::now()).expect("other CA")
}

#[test]
fn required_client_auth_serves_a_client_with_a_certificate_from_the_ca() {
    let (pki, web) = (pki(), web_root());
    let roots = vec![pki.ca.certificate().der().clone()];
    let running = server_with(&pki, &web, ClientAuth::Required(roots), false);
    let alice = pki.client_cert("alice@example.test");
    let status = try_get(&running, &pki.client_config_with_cert(&alice)).expect("served");
    assert_eq!(status, 200);
    running.stop();
}

#[test]
fn required_client_auth_refuses_a_client_without_a_certificate() {
    let (pki, web) = (pki(), web_root());
    let roots = vec![pki.ca.certificate().der().clone()];
    let running = server_with(&pki, &web, ClientAuth::Required(roots), false);
    assert_refused(try_get(&running, &pki.client_config()), "anonymous client");
    running.stop();
}

#[test]
fn required_client_auth_refuses_a_certificate_from_another_ca() {
    let (pki, web) = (pki(), web_root());
    let roots = vec![pki.ca.certificate().der().clone()];
    let running = server_with(&pki, &web, ClientAuth::Required(roots), false);
    let stranger_ca = other_ca();
    let now = rustls::pki_types::UnixTime::now();
    let mallory = stranger_ca
        .issue(
            &selfsign_core::LeafOptions::new(["mallory@example.test"])
                .usage(selfsign_core::Usage::Client),
            now,
        )
        .expect("foreign client cert");
    assert_refused(
        try_get(&running, &pki.client_config_with_cert(&mallory)),
        "client with a foreign certificate",
    );
    // The right client is still served afterwards.
    let alice = pki.client_cert("alice@example.test");
    assert_eq!(
        try_get(&running, &pki.client_config_with_cert(&alice)).expect("served"),
        200
    );
    running.stop();
}

#[test]
fn optional_client_auth_serves_anonymous_and_certified_clients() {
    let (pki, web) = (pki(), web_root());
    let roots = vec![pki.ca.certificate().der().clone()];
    let running = server_with(&pki, &web, ClientAuth::Optional(roots), false);
    assert_eq!(
        try_get(&running, &pki.client_config()).expect("anonymous"),
        200
    );
    let alice = pki.client_cert("alice@example.test");
    assert_eq!(
        try_get(&running, &pki.client_config_with_cert(&alice)).expect("certified"),
        200
    );
    running.stop();
}

/// Connects twice with one client config; returns how the second handshake went.
fn second_handshake(running: &Running, pki: &Pki) -> Option<HandshakeKind> {
    let config = pki.client_config();
    let mut first = Http::new(connect(running.addr(), &config).expect("first"));
    assert_eq!(first.get("/").expect("GET").status, 200); // also reads the session tickets
    first.stream.conn.send_close_notify();
    let _ = first.stream.flush();
    let mut second = connect(running.addr(), &config).expect("second");
    let kind = second.conn.handshake_kind();
    let _ = second.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let _ = second.read(&mut [0u8; 1]);
    kind
}

#[test]
fn resumption_on_resumes_sessions_and_off_always_does_full_handshakes() {
    let (pki, web) = (pki(), web_root());
    let on = server_with(&pki, &web, ClientAuth::None, true);
    assert_eq!(second_handshake(&on, &pki), Some(HandshakeKind::Resumed));
    on.stop();
    let off = server_with(&pki, &web, ClientAuth::None, false);
    assert_eq!(second_handshake(&off, &pki), Some(HandshakeKind::Full));
    off.stop();
}

#[test]
fn tls_config_names_an_empty_chain_a_foreign_key_and_missing_client_cas() {
    let pki = pki();
    let other = pki.client_cert("bob@example.test");
    let empty = tls_config(TlsOptions {
        chain: vec![],
        key: pki.leaf.key.private_key_der(),
        client_auth: ClientAuth::None,
        resumption: true,
    });
    assert!(matches!(empty, Err(Error::EmptyChain)));
    let mismatched = tls_config(TlsOptions {
        chain: pki.leaf.tls_chain(),
        key: other.key.private_key_der(),
        client_auth: ClientAuth::None,
        resumption: true,
    });
    let err = mismatched.expect_err("a key that is not the certificate's");
    assert!(matches!(err, Error::Key(_)), "{err}");
    let no_cas = tls_config(TlsOptions {
        chain: pki.leaf.tls_chain(),
        key: pki.leaf.key.private_key_der(),
        client_auth: ClientAuth::Required(vec![]),
        resumption: true,
    });
    let err = no_cas.expect_err("required client auth without CAs");
    assert!(err.to_string().contains("no CA certificate given"), "{err}");
}

#[test]
fn bind_names_the_address_in_use_and_a_missing_web_root() {
    let pki = pki();
    let web = web_root();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("occupy a port");
    let addr = taken.local_addr().expect("addr");
    let err = Server::bind(
        ServerOptions {
            listen: vec![addr],
            mode: Mode::Echo,
            limits: Limits::default(),
        },
        pki.server_config(ClientAuth::None, true),
    )
    .expect_err("bind on a taken port fails");
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!("cannot listen on {addr}: address in use")),
        "{msg}"
    );

    let missing = web.root.join("no-such-dir");
    let err = Server::bind(
        ServerOptions {
            listen: vec!["127.0.0.1:0".parse().expect("addr")],
            mode: Mode::Http {
                root: missing.clone(),
                serve_dotfiles: false,
            },
            limits: Limits::default(),
        },
        pki.server_config(ClientAuth::None, true),
    )
    .expect_err("bind with a missing web root fails");
    assert!(
        err.to_string().contains(&missing.display().to_string()),
        "{err}"
    );

    let err = Server::bind(
        ServerOptions {
            listen: vec![],
            mode: Mode::Echo,
            limits: Limits::default(),
        },
        pki.server_config(ClientAuth::None, true),
    )
    .expect_err("bind with no address fails");
    assert!(matches!(err, Error::NoListenAddress));
}
