//! The SNI routing of `--badssl` and on-demand certificates: rustls's `Acceptor` reading a
//! ClientHello, the `SniRouter` picking a configuration by its server name, and the on-demand
//! resolver deciding which names the CA is asked to sign, through
//! `selfsign_server::fuzzing::sni_hello`.

use std::sync::{Arc, Mutex, OnceLock};

use rustls::pki_types::{CertificateDer, DnsName, PrivateKeyDer};
use selfsign_core::{Ca, CaOptions, LeafOptions};
use selfsign_server::{
    fuzzing, tls_config, ClientAuth, Clock, HostPatterns, Leaf, LeafSource, OnDemand, SniRouter,
    TlsOptions,
};

/// A ClientHello that `openssl s_client -servername app.localhost` sent (TLS 1.3 and 1.2 offered),
/// whose server name the target replaces.
const TEMPLATE: &[u8] = include_bytes!("client_hello.bin");

/// A leaf source standing for the CA: records every name it is asked to sign and hands back the
/// same certificate (the names in it do not matter to the routing).
#[derive(Debug, Default)]
struct Recorder {
    asked: Mutex<Vec<Option<String>>>,
}

impl LeafSource for Recorder {
    fn leaf(&self, name: Option<&str>, _now: u64) -> Result<Leaf, String> {
        let mut asked = self.asked.lock().unwrap_or_else(|e| e.into_inner());
        asked.push(name.map(str::to_owned));
        Ok(identity())
    }
}

/// The clock at [`crate::NOW`].
#[derive(Debug)]
struct Fixed;

impl Clock for Fixed {
    fn now(&self) -> u64 {
        crate::NOW
    }
}

/// A CA-issued P-256 leaf, made once per process; valid from a day before `NOW` for 90 days.
fn identity() -> Leaf {
    static KEPT: OnceLock<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> = OnceLock::new();
    let (chain, key) = KEPT.get_or_init(|| {
        let ca = Ca::new_root(&CaOptions::default(), crate::now()).expect("a root CA");
        let leaf = ca
            .issue(&LeafOptions::new(["localhost"]), crate::now())
            .expect("a leaf");
        (leaf.tls_chain(), leaf.key.private_key_der())
    });
    Leaf {
        chain: chain.clone(),
        key: key.clone_key(),
        not_before: crate::NOW - 86_400,
        not_after: crate::NOW + 90 * 86_400,
    }
}

/// The first byte says whether the bytes after the configuration are a server name to put in
/// a real ClientHello (bit 0) or the client's whole byte stream, whether they arrive in pieces
/// of `1 + len % 61` bytes (bit 1), and whether the default certificate renews from the CA
/// (bit 2). Then, up to the first NUL, lines: `=NAME` routes NAME to a configuration of its own
/// (as `--badssl` routes its sites), any other line is an on-demand host pattern. Checked: the
/// CA is asked to sign only lower-case DNS names, without a trailing dot, that an accepted
/// pattern allows (a `*` standing for exactly one label); a name the ClientHello carries that
/// the patterns allow, and that got a connection started, is the one signed. Returns whether
/// the CA was asked for a name.
pub fn route(data: &[u8]) -> bool {
    let Some((&flags, rest)) = data.split_first() else {
        return false;
    };
    let (config, hello) = match rest.iter().position(|&b| b == 0) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (&b""[..], rest),
    };
    let stream = if flags & 1 != 0 {
        with_server_name(TEMPLATE, hello).expect("the template is a ClientHello")
    } else {
        hello.to_vec()
    };
    let reads: Vec<&[u8]> = if flags & 2 != 0 && !stream.is_empty() {
        stream.chunks(1 + stream.len() % 61).collect()
    } else {
        vec![&stream[..]]
    };
    let plain = plain_config();
    let mut patterns = HostPatterns::new();
    let mut allowed = Vec::new();
    let mut routes = Vec::new();
    for line in String::from_utf8_lossy(config).lines() {
        match line.strip_prefix('=') {
            Some(name) => routes.push(name.to_owned()),
            None => {
                if patterns.allow(line).is_ok() {
                    allowed.push(line.to_owned());
                }
            }
        }
    }
    let recorder = Arc::new(Recorder::default());
    let on_demand = OnDemand::new(identity(), patterns, recorder.clone(), flags & 4 != 0)
        .expect("the identity loads")
        .with_clock(Arc::new(Fixed));
    let mut router = SniRouter::new(Arc::new(on_demand).install(&plain));
    for name in &routes {
        router.route(name, plain.clone());
    }
    let hello = fuzzing::sni_hello(Arc::new(router), &reads);
    let asked = recorder.asked.lock().unwrap_or_else(|e| e.into_inner());
    for name in asked.iter().flatten() {
        assert!(
            permits(&allowed, name),
            "the CA was asked to sign {name:?}, which no pattern of {allowed:?} allows"
        );
        assert!(
            DnsName::try_from(name.as_str()).is_ok() && name.parse::<std::net::IpAddr>().is_err(),
            "the CA was asked to sign {name:?}, not a DNS name"
        );
        assert_eq!(
            name,
            &name.to_ascii_lowercase().trim_end_matches('.'),
            "the CA was asked to sign a name not in normal form"
        );
    }
    let names: Vec<&String> = asked.iter().flatten().collect();
    assert!(names.len() <= 1, "one ClientHello, names signed: {names:?}");
    if let (Some(sni), Some(signed)) = (&hello.server_name, names.first()) {
        let sni = sni.trim_end_matches('.').to_ascii_lowercase();
        assert_eq!(
            &&sni, signed,
            "the CA signed another name than the client's"
        );
    }
    !names.is_empty()
}

/// Whether a pattern of `allowed` allows `name`: the same name, or `*.SUFFIX` with exactly one
/// non-empty label before SUFFIX (case and trailing dots of a pattern do not count).
fn permits(allowed: &[String], name: &str) -> bool {
    allowed.iter().any(|p| {
        let p = p.trim_end_matches('.').to_ascii_lowercase();
        match p.strip_prefix("*.") {
            Some(suffix) => name
                .strip_suffix(suffix)
                .and_then(|l| l.strip_suffix('.'))
                .is_some_and(|label| !label.is_empty() && !label.contains('.')),
            None => name == p,
        }
    })
}

/// The configuration routed names get, without the on-demand resolver; made once per process.
fn plain_config() -> Arc<rustls::ServerConfig> {
    static CONFIG: OnceLock<Arc<rustls::ServerConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let leaf = identity();
            tls_config(TlsOptions {
                chain: leaf.chain,
                key: leaf.key,
                client_auth: ClientAuth::None,
                resumption: true,
            })
            .expect("a TLS config")
        })
        .clone()
}

/// `hello` (one TLS record holding a ClientHello) with its server_name extension naming `name`
/// (at most 1,000 bytes of it), every length around it restated; `None` if it is no ClientHello.
pub fn with_server_name(hello: &[u8], name: &[u8]) -> Option<Vec<u8>> {
    let name = &name[..name.len().min(1000)];
    let body = hello.get(9..)?;
    let mut at = 34;
    at += 1 + usize::from(*body.get(at)?);
    at += 2 + usize::from(u16::from_be_bytes(body.get(at..at + 2)?.try_into().ok()?));
    at += 1 + usize::from(*body.get(at)?);
    let ext_len = usize::from(u16::from_be_bytes(body.get(at..at + 2)?.try_into().ok()?));
    let mut exts = body.get(at + 2..at + 2 + ext_len)?;
    let mut out_exts = Vec::new();
    while exts.len() >= 4 {
        let kind = u16::from_be_bytes([exts[0], exts[1]]);
        let len = usize::from(u16::from_be_bytes([exts[2], exts[3]]));
        let data = exts.get(4..4 + len)?;
        out_exts.extend_from_slice(&exts[..2]);
        if kind == 0 {
            let n = name.len() as u16;
            out_exts.extend_from_slice(&(n + 5).to_be_bytes());
            out_exts.extend_from_slice(&(n + 3).to_be_bytes());
            out_exts.push(0);
            out_exts.extend_from_slice(&n.to_be_bytes());
            out_exts.extend_from_slice(name);
        } else {
            out_exts.extend_from_slice(&exts[2..4]);
            out_exts.extend_from_slice(data);
        }
        exts = &exts[4 + len..];
    }
    let mut hs_body = body[..at].to_vec();
    hs_body.extend_from_slice(&(out_exts.len() as u16).to_be_bytes());
    hs_body.extend_from_slice(&out_exts);
    let hs_len = (hs_body.len() as u32).to_be_bytes();
    let mut out = vec![22, 3, 1];
    out.extend_from_slice(&((hs_body.len() + 4) as u16).to_be_bytes());
    out.extend_from_slice(&[1, hs_len[1], hs_len[2], hs_len[3]]);
    out.extend_from_slice(&hs_body);
    Some(out)
}
