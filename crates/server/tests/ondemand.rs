//! Certificates on demand: the certificate is picked by SNI; allowed names get a leaf of their
//! own the first time they are seen, others get the default and make the CA sign nothing;
//! leaves are renewed under a live server when the (injected) clock says so.

mod common;

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, IpAddr, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme, StreamOwned};
use selfsign_core::{Ca, CaOptions, Certificate, LeafOptions, Usage, Validity};
use selfsign_server::{
    ClientAuth, Clock, HostPatterns, Leaf, LeafSource, Limits, Mode, OnDemand, OnDemandLimits,
};

use common::{pki, tcp, Running};

/// Leaf validity in the tests: 30 days, so renewal is due after 20.
const DAYS: u64 = 30;
const DAY: u64 = 86_400;

/// A clock the test moves.
#[derive(Debug)]
struct TestClock(AtomicU64);

impl Clock for TestClock {
    fn now(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// A CA that counts what it signs, issuing at the time it is given.
#[derive(Debug)]
struct CountingCa {
    ca: Ca,
    signed: AtomicU64,
}

impl LeafSource for CountingCa {
    fn leaf(&self, name: Option<&str>, now: u64) -> Result<Leaf, String> {
        self.signed.fetch_add(1, Ordering::SeqCst);
        Ok(issue(&self.ca, name.unwrap_or("localhost"), now))
    }
}

fn issue(ca: &Ca, name: &str, now: u64) -> Leaf {
    let now = UnixTime::since_unix_epoch(std::time::Duration::from_secs(now));
    let options = LeafOptions::new([name])
        .usage(Usage::Server)
        .validity(Validity::Days(DAYS as u32));
    let issued = ca.issue(&options, now).expect("leaf");
    Leaf {
        chain: issued.tls_chain(),
        key: issued.key.private_key_der(),
        not_before: now.as_secs(),
        not_after: now.as_secs() + DAYS * DAY,
    }
}

/// A server resolving certificates on demand for `patterns`, its resolver, CA and clock.
struct Fixture {
    server: Running,
    resolver: Arc<OnDemand>,
    source: Arc<CountingCa>,
    clock: Arc<TestClock>,
    default_der: CertificateDer<'static>,
}

fn fixture(patterns: &[&str], limits: OnDemandLimits) -> Fixture {
    let base = pki();
    let start = UnixTime::now().as_secs();
    let ca = Ca::new_root(&CaOptions::default(), UnixTime::now()).expect("CA");
    let default = issue(&ca, "localhost", start);
    let default_der = default.chain[0].clone();
    let source = Arc::new(CountingCa {
        ca,
        signed: AtomicU64::new(0),
    });
    let clock = Arc::new(TestClock(AtomicU64::new(start)));
    let mut allowed = HostPatterns::new();
    for p in patterns {
        allowed.allow(p).expect("pattern");
    }
    let resolver = Arc::new(
        OnDemand::new(default, allowed, source.clone(), true)
            .expect("resolver")
            .with_clock(clock.clone())
            .with_limits(limits),
    );
    let config = resolver
        .clone()
        .install(&base.server_config(ClientAuth::None, true));
    let server = Running::start(Mode::Echo, Limits::default(), config);
    Fixture {
        server,
        resolver,
        source,
        clock,
        default_der,
    }
}

impl Fixture {
    fn signed(&self) -> u64 {
        self.source.signed.load(Ordering::SeqCst)
    }

    fn advance_days(&self, days: u64) {
        self.clock.0.fetch_add(days * DAY, Ordering::SeqCst);
    }
}

/// Records the certificate the server sends and accepts it (the tests look at it themselves).
#[derive(Debug)]
struct Recorder {
    seen: Mutex<Option<CertificateDer<'static>>>,
    provider: rustls::crypto::CryptoProvider,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        *self.seen.lock().unwrap() = Some(end_entity.clone().into_owned());
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The certificate served to a ClientHello naming `name` (an IP address sends no SNI).
fn served_to(addr: SocketAddr, name: &str) -> io::Result<CertificateDer<'static>> {
    let provider = rustls::crypto::ring::default_provider();
    let recorder = Arc::new(Recorder {
        seen: Mutex::new(None),
        provider: provider.clone(),
    });
    let config = ClientConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    let server_name = match name.parse::<std::net::IpAddr>() {
        Ok(ip) => ServerName::IpAddress(IpAddr::from(ip)),
        Err(_) => ServerName::try_from(name.to_string()).expect("DNS name"),
    };
    let conn = ClientConnection::new(Arc::new(config), server_name).map_err(io::Error::other)?;
    let mut tls = StreamOwned::new(conn, tcp(addr)?);
    while tls.conn.is_handshaking() {
        tls.conn.complete_io(&mut tls.sock)?;
    }
    let seen = recorder.seen.lock().unwrap().take();
    seen.ok_or_else(|| io::Error::other("no certificate seen"))
}

fn sans(der: &CertificateDer<'static>) -> Vec<String> {
    Certificate::from_der(der.clone())
        .expect("certificate")
        .inspect(UnixTime::now())
        .expect("inspect")
        .subject_alt_names
}

#[test]
fn names_outside_the_patterns_get_the_default_certificate_and_the_ca_signs_nothing() {
    let f = fixture(&["*.localhost", "app.test"], OnDemandLimits::default());
    for name in [
        "evil.example",
        "a.b.localhost",
        "localhost",
        "x.app.test",
        "127.0.0.1",
    ] {
        let der = served_to(f.server.addr(), name).expect("handshake");
        assert_eq!(der, f.default_der, "{name} got a certificate of its own");
    }
    assert_eq!(
        f.signed(),
        0,
        "the CA signed for a name outside the patterns"
    );
    assert!(f.resolver.names().is_empty());
    f.server.stop();
}

#[test]
fn two_allowed_names_get_two_leaves_each_naming_itself_once() {
    let f = fixture(&["*.localhost", "app.test"], OnDemandLimits::default());
    let a = served_to(f.server.addr(), "a.localhost").expect("a");
    let b = served_to(f.server.addr(), "APP.test").expect("app.test");
    let again = served_to(f.server.addr(), "a.localhost").expect("a again");
    assert_eq!(sans(&a), ["DNS:a.localhost"]);
    assert_eq!(sans(&b), ["DNS:app.test"]);
    assert_eq!(again, a, "a.localhost was issued twice");
    assert_eq!(f.signed(), 2);
    assert_eq!(f.resolver.names(), ["a.localhost", "app.test"]);
    f.server.stop();
}

#[test]
fn renewal_swaps_a_leaf_and_the_default_under_a_live_server() {
    let f = fixture(&["*.localhost"], OnDemandLimits::default());
    let first = served_to(f.server.addr(), "a.localhost").expect("a");
    f.advance_days(DAYS / 2);
    assert_eq!(served_to(f.server.addr(), "a.localhost").unwrap(), first);
    assert_eq!(
        served_to(f.server.addr(), "127.0.0.1").unwrap(),
        f.default_der
    );
    assert_eq!(f.signed(), 1, "renewed with more than a third left");
    f.advance_days(DAYS / 2 - DAYS / 3 + 1);
    let renewed = served_to(f.server.addr(), "a.localhost").expect("a renewed");
    assert_ne!(renewed, first, "the leaf was not renewed");
    assert_eq!(sans(&renewed), ["DNS:a.localhost"]);
    let default = served_to(f.server.addr(), "127.0.0.1").expect("default");
    assert_ne!(default, f.default_der, "the default was not renewed");
    assert_eq!(f.signed(), 3);
    assert_eq!(served_to(f.server.addr(), "a.localhost").unwrap(), renewed);
    assert_eq!(f.signed(), 3, "a renewed leaf was renewed again");
    f.server.stop();
}

#[test]
fn a_client_cycling_names_is_held_to_the_rate_and_the_name_cap() {
    let limits = OnDemandLimits {
        max_names: 5,
        burst: 3,
        refill_secs: 60,
    };
    let f = fixture(&["*.localhost"], limits);
    let mut own = 0;
    for i in 0..8 {
        let der = served_to(f.server.addr(), &format!("n{i}.localhost")).expect("handshake");
        if der != f.default_der {
            own += 1;
        }
    }
    assert_eq!(own, 3, "more new names than the burst got certificates");
    assert_eq!(f.signed(), 3);
    f.clock.0.fetch_add(3600, Ordering::SeqCst);
    for i in 0..8 {
        served_to(f.server.addr(), &format!("m{i}.localhost")).expect("handshake");
    }
    assert_eq!(f.resolver.names().len(), 5, "the name cap was exceeded");
    assert_eq!(f.signed(), 5);
    f.server.stop();
}
