//! `selfsign serve`: the mio + rustls listener, with certificates from `--cert/--key` or a
//! localhost leaf kept in the data directory under the local CA (reissued when it nears expiry
//! or the names change), and leaves issued on demand for allowed SNI names (`ondemand`).

mod acme;
mod badssl;
mod challenge;
mod ondemand;
mod proxy;

use std::collections::BTreeSet;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

use selfsign_core::{
    parse_certificates, Ca, Certificate, KeyPair, LeafOptions, Name, UnixTime, Usage,
};
use selfsign_server::{tls_config, ClientAuth, Limits, Mode, Server, ServerOptions, TlsOptions};

use crate::files::{self, read_input, Secrecy};
use crate::store::{create_private_dir, Store};
use crate::{Error, Global};

/// Names the kept server leaf always covers.
const LOCAL_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];
/// Reissue a kept leaf when it has less than this left (or less than a third of its validity).
const RENEW_BEFORE_SECS: i64 = 86_400;

/// What the server does with each connection.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModeArg {
    /// HTTP/1.1 static files from --root
    Http,
    /// Raw TLS echo
    Echo,
}

/// Arguments of `selfsign serve`.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on, e.g. 127.0.0.1:8443 or 0.0.0.0:443 (repeatable)
    /// [default: 127.0.0.1:PORT and [::1]:PORT]
    #[arg(long, value_name = "ADDR")]
    pub listen: Vec<String>,
    /// Port for the default loopback addresses
    #[arg(long, env = "PORT", default_value_t = 8443)]
    pub port: u16,
    /// Serve static files over HTTP/1.1, or echo raw bytes
    #[arg(long, value_enum, default_value = "http")]
    pub mode: ModeArg,
    /// Directory to serve [default: web/ in the current directory or the selfsign repository]
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Server certificate chain (PEM, leaf first) instead of the kept localhost leaf
    #[arg(long, value_name = "FILE", requires = "key")]
    pub cert: Option<PathBuf>,
    /// Private key of --cert (PEM)
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Extra name for the kept leaf besides localhost, 127.0.0.1 and ::1 (repeatable)
    #[arg(long = "name", value_name = "NAME", conflicts_with = "cert")]
    pub names: Vec<String>,
    /// Ask clients for a certificate issued by this CA (PEM); optional unless --require-client-cert
    #[arg(long, value_name = "FILE")]
    pub client_ca: Option<PathBuf>,
    /// Refuse clients without a valid certificate (from --client-ca, default the local CA)
    #[arg(long)]
    pub require_client_cert: bool,
    /// Turn session resumption off (every handshake is a full one), e.g. for benchmarks
    #[arg(long)]
    pub no_resumption: bool,
    /// Connections served at once; at the cap a newcomer replaces one that is silent or stuck in
    /// its handshake or request head (lowered to fit the open-file limit, two descriptors per
    /// connection)
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_connections)]
    pub max_connections: usize,
    /// Largest request line + headers accepted, in bytes (431/414 beyond)
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_request_head)]
    pub max_request_head: usize,
    /// Seconds a client has to finish the TLS handshake (1-86400)
    #[arg(long, value_name = "SECS", value_parser = seconds(1),
          default_value_t = Limits::default().handshake_timeout.as_secs())]
    pub handshake_timeout: u64,
    /// Seconds a client has to send a whole request head once it starts one, however steadily
    /// (1-86400)
    #[arg(long, value_name = "SECS", value_parser = seconds(1),
          default_value_t = Limits::default().header_timeout.as_secs())]
    pub header_timeout: u64,
    /// Seconds a connection may stay silent (1-86400)
    #[arg(long, value_name = "SECS", value_parser = seconds(1),
          default_value_t = Limits::default().idle_timeout.as_secs())]
    pub idle_timeout: u64,
    /// Seconds shutdown waits for responses in flight (0-86400)
    #[arg(long, value_name = "SECS", value_parser = seconds(0),
          default_value_t = Limits::default().shutdown_grace.as_secs())]
    pub shutdown_grace: u64,
    /// Serve files and directories whose name starts with '.' (.env, .git/...); without it they
    /// are 404, except /.well-known/ which is always served
    #[arg(long)]
    pub serve_dotfiles: bool,
    /// Issue a certificate from the local CA for each host name matching PATTERN the first time a
    /// client asks for it (SNI), e.g. '*.localhost' (one label: not a.b.localhost) or
    /// app.test (repeatable)
    #[arg(long = "on-demand", value_name = "PATTERN")]
    pub on_demand: Vec<String>,
    /// Serve an ACME (RFC 8555) directory at https://localhost:PORT/acme/directory that issues
    /// from the local CA, for certbot, lego, Caddy and other ACME clients
    #[arg(long)]
    pub acme: bool,
    /// Names ACME may issue for, as host patterns (repeatable) [default: localhost and
    /// *.localhost]
    #[arg(long = "acme-names", value_name = "PATTERN", requires = "acme")]
    pub acme_names: Vec<String>,
    /// Approve names matching PATTERN without a challenge, e.g. in CI (repeatable; implies
    /// --acme-names PATTERN)
    #[arg(long = "acme-trust-names", value_name = "PATTERN", requires = "acme")]
    pub acme_trust_names: Vec<String>,
    /// Days ACME certificates are valid (orders may ask for less; 1-397)
    #[arg(long, value_name = "DAYS", default_value_t = 7,
          value_parser = clap::value_parser!(u32).range(1..=397))]
    pub acme_days: u32,
    /// Port the http-01 challenge is fetched from (like Pebble's httpPort)
    #[arg(long, value_name = "PORT", default_value_t = 80)]
    pub acme_http_port: u16,
    /// Port the tls-alpn-01 challenge connects to (like Pebble's tlsPort)
    #[arg(long, value_name = "PORT", default_value_t = 443)]
    pub acme_tls_port: u16,
    /// Also serve deliberately broken TLS endpoints (expired, wrong-host, revoked, ...) on
    /// VARIANT.SUFFIX names, each made at start from the local CA and listed with the outcome a
    /// correct client must reach at https://good.SUFFIX:PORT/badssl.json
    #[arg(long)]
    pub badssl: bool,
    /// Parent domain of the --badssl endpoints (*.localhost resolves to loopback)
    #[arg(long, value_name = "SUFFIX", default_value = "badssl.localhost")]
    pub badssl_suffix: String,
    /// Port on 127.0.0.1 of the plain-HTTP listener serving the --badssl CRL (0: any free port)
    #[arg(long, value_name = "PORT", default_value_t = 0)]
    pub badssl_crl_port: u16,
    /// Reverse proxy: forward requests (HTTP/1.1, WebSockets too) to this plain-HTTP app, e.g.
    /// http://127.0.0.1:3000 (the target for hosts without a --route)
    #[arg(long, value_name = "URL", conflicts_with = "root")]
    pub proxy: Option<String>,
    /// Reverse proxy by host: HOST=http://ADDR:PORT or HOST=dir:PATH, e.g.
    /// app.localhost=http://127.0.0.1:5173; HOST may be *.NAME, for any one label in place of the
    /// * (repeatable; each HOST gets its certificate on demand)
    #[arg(long = "route", value_name = "HOST=TARGET")]
    pub routes: Vec<String>,
    /// Send the upstream's own host:port as Host instead of the client's
    #[arg(long)]
    pub rewrite_host: bool,
    /// Seconds an upstream may take to connect, read or answer before the client gets 504
    /// (1-86400)
    #[arg(long, value_name = "SECS", value_parser = seconds(1), default_value_t = 60)]
    pub upstream_timeout: u64,
}

impl ServeArgs {
    /// Whether the listener runs as a reverse proxy.
    fn proxying(&self) -> bool {
        self.proxy.is_some() || !self.routes.is_empty()
    }
}

/// Longest accepted for any duration flag: a day.
const MAX_SECS: u64 = 86_400;

/// A parser for a duration flag in whole seconds, from `min` to a day.
fn seconds(min: u64) -> clap::builder::RangedU64ValueParser<u64> {
    clap::value_parser!(u64).range(min..=MAX_SECS)
}

/// The certificate the server will present, and what to tell users about trusting it.
struct Identity {
    chain: Vec<Certificate>,
    key: KeyPair,
    cert_file: PathBuf,
    ca_file: Option<PathBuf>,
}

/// Descriptors kept aside for listeners, stdio, logs and the poll itself.
const RESERVED_FDS: u64 = 32;

/// Raises the soft open-file limit to the hard one and caps `wanted` connections so each can hold
/// its socket and one open file: out of descriptors, a server can neither accept nor serve.
fn fit_to_descriptors(wanted: usize) -> usize {
    let limit = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(e) => {
            tracing::warn!(
                "cannot read the open-file limit ({e}); keeping --max-connections {wanted}"
            );
            return wanted;
        }
    };
    let fits = usize::try_from(limit.saturating_sub(RESERVED_FDS) / 2).unwrap_or(usize::MAX);
    if wanted > fits {
        tracing::warn!(
            "--max-connections {wanted} needs {} open files but the limit is {limit}; serving at most {} at once (raise it with `ulimit -n`)",
            wanted as u64 * 2 + RESERVED_FDS,
            fits.max(1)
        );
        return fits.max(1);
    }
    wanted
}

/// Runs `selfsign serve` until SIGINT/SIGTERM.
pub fn run(args: &ServeArgs, global: &Global) -> Result<(), Error> {
    if args.max_connections == 0 {
        return Err(Error::Usage("--max-connections must be at least 1".into()));
    }
    let now = UnixTime::now();
    let listen = listen_addrs(args)?;
    if args.proxying() && args.mode == ModeArg::Echo {
        return Err(Error::Usage(
            "--proxy and --route forward HTTP: drop --mode echo".into(),
        ));
    }
    let mut allowed = ondemand::patterns(&args.on_demand)?;
    let mode = match args.mode {
        _ if args.proxying() => Mode::Proxy(proxy::options(
            args.proxy.as_deref(),
            &args.routes,
            args.rewrite_host,
            Duration::from_secs(args.upstream_timeout),
            args.serve_dotfiles,
            &mut allowed,
        )?),
        ModeArg::Http => Mode::Http {
            root: web_root(args.root.as_deref())?,
            serve_dotfiles: args.serve_dotfiles,
        },
        ModeArg::Echo => Mode::Echo,
    };
    let mut store = None;
    let mut open_store = || -> Result<Store, Error> {
        if store.is_none() {
            store = Some(Store::open(global)?);
        }
        Ok(store.clone().expect("store opened above"))
    };
    let kept = args.cert.is_none();
    let identity = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => given_identity(cert, key)?,
        _ => kept_identity(&open_store()?, &args.names, now)?,
    };
    let client_auth = match (&args.client_ca, args.require_client_cert) {
        (Some(path), required) => {
            let roots = ders(&parse_certificates(&read_input(path)?)?);
            if required {
                ClientAuth::Required(roots)
            } else {
                ClientAuth::Optional(roots)
            }
        }
        (None, true) => {
            let (ca, _) = open_store()?.load_or_create_ca(now)?;
            ClientAuth::Required(vec![ca.certificate().der().clone()])
        }
        (None, false) => ClientAuth::None,
    };
    let config = tls_config(TlsOptions {
        chain: ders(&identity.chain),
        key: identity.key.private_key_der(),
        client_auth,
        resumption: !args.no_resumption,
    })?;
    let resolver_store = if kept || !allowed.is_empty() {
        Some(open_store()?)
    } else {
        None
    };
    let default = ondemand::DefaultIdentity {
        identity: &identity,
        kept_names: kept.then_some(args.names.as_slice()),
    };
    let config = ondemand::resolving(config, allowed, default, resolver_store, now)?;
    let limits = Limits {
        max_connections: fit_to_descriptors(args.max_connections),
        max_request_head: args.max_request_head,
        handshake_timeout: Duration::from_secs(args.handshake_timeout),
        header_timeout: Duration::from_secs(args.header_timeout),
        idle_timeout: Duration::from_secs(args.idle_timeout),
        shutdown_grace: Duration::from_secs(args.shutdown_grace),
    };
    let served = match &mode {
        Mode::Http { root, .. } => Some(root.clone()),
        Mode::Echo | Mode::Proxy(_) => None,
    };
    let crl = match args.badssl {
        true => Some(badssl::bind_crl(args.badssl_crl_port)?),
        false => None,
    };
    let mut server = Server::bind(
        ServerOptions {
            listen,
            mode,
            limits,
        },
        config,
    )?;
    let badssl = match crl {
        Some(crl) => {
            let port = server.local_addrs().first().map_or(args.port, |a| a.port());
            let suffix = &args.badssl_suffix;
            let (site, started) =
                badssl::site(&open_store()?, suffix, port, crl, served.as_deref(), now)?;
            server.serve_badssl(site)?;
            Some(started)
        }
        None => None,
    };
    server.handle_signals()?;
    let mut acme_state = None;
    if args.acme {
        if args.mode != ModeArg::Http {
            return Err(Error::Usage("--acme needs --mode http".into()));
        }
        let port = server.local_addrs().first().map_or(args.port, |a| a.port());
        let handler = acme::handler(args, &open_store()?, port, now)?;
        acme_state = Some(handler.shared());
        server.set_handler(std::sync::Arc::new(handler));
    }
    announce(
        &server.local_addrs(),
        &identity,
        served.as_deref(),
        args,
        global,
        now,
        badssl.as_ref(),
    )?;
    crate::memory::return_freed_memory_in_background();
    let result = server.run();
    if let Some(state) = acme_state {
        state.flush();
    }
    result?;
    if !global.quiet && !global.json {
        out!("Stopped.");
    }
    Ok(())
}

fn ders(certs: &[Certificate]) -> Vec<selfsign_core::CertificateDer<'static>> {
    certs.iter().map(|c| c.der().clone()).collect()
}

/// `--listen` values (host names resolved), or loopback on `--port` (IPv6 only if available).
fn listen_addrs(args: &ServeArgs) -> Result<Vec<SocketAddr>, Error> {
    if args.listen.is_empty() {
        let mut addrs = vec![SocketAddr::from(([127, 0, 0, 1], args.port))];
        let v6 = SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, args.port));
        // Machines without IPv6 loopback still get a server on 127.0.0.1.
        if TcpListener::bind(SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, 0))).is_ok() {
            addrs.push(v6);
        } else {
            tracing::info!("IPv6 loopback unavailable; listening on 127.0.0.1 only");
        }
        return Ok(addrs);
    }
    let mut out = Vec::new();
    for spec in &args.listen {
        let resolved = spec.to_socket_addrs().map_err(|e| {
            Error::Usage(format!(
                "--listen {spec}: {e} (expected ADDR:PORT such as 127.0.0.1:8443 or [::1]:8443)"
            ))
        })?;
        for addr in resolved {
            if !out.contains(&addr) {
                out.push(addr);
            }
        }
    }
    Ok(out)
}

/// `--root`, else `web/` in the current directory or an enclosing Cargo workspace (also the one
/// holding this executable, for `cargo run` from elsewhere).
fn web_root(given: Option<&Path>) -> Result<PathBuf, Error> {
    if let Some(root) = given {
        if !root.is_dir() {
            return Err(Error::Usage(format!(
                "--root {}: not a directory",
                root.display()
            )));
        }
        return Ok(root.to_path_buf());
    }
    let cwd = std::env::current_dir().map_err(|e| Error::io(".", e))?;
    let exe = std::env::current_exe().ok();
    let mut candidates = vec![cwd.join("web")];
    let dirs = cwd
        .ancestors()
        .chain(exe.iter().flat_map(|e| e.ancestors()));
    candidates.extend(
        dirs.filter(|d| d.join("Cargo.toml").is_file())
            .map(|d| d.join("web")),
    );
    if let Some(root) = candidates
        .into_iter()
        .find(|c| c.join("index.html").is_file())
    {
        if !root.join("pkg").is_dir() {
            tracing::warn!(
                "{} has no pkg/ (the WebAssembly build); run `make web` for a working page",
                root.display()
            );
        }
        return Ok(root);
    }
    Err(Error::Usage(
        "no web/ directory with an index.html here or in the selfsign repository: run `make web` in the repository, pass --root DIR, or use --mode echo".into(),
    ))
}

/// `--cert/--key`: a PEM chain (leaf first) and its key, as made by `new` or the browser page.
fn given_identity(cert: &Path, key_path: &Path) -> Result<Identity, Error> {
    let chain = parse_certificates(&read_input(cert)?)?;
    let key_pem = String::from_utf8(read_input(key_path)?)
        .map_err(|_| Error::Usage(format!("{}: not a PEM private key", key_path.display())))?;
    let key = KeyPair::from_pem(&key_pem)?;
    let now = UnixTime::now();
    let leaf = chain[0].inspect(now)?;
    if leaf.is_ca {
        return Err(Error::Usage(format!(
            "{}: the first certificate is a CA, not a server certificate; put the leaf first",
            cert.display()
        )));
    }
    if !key.matches(&chain[0]) {
        return Err(Error::Usage(format!(
            "{} is not the private key of the certificate in {}: pass the key made together with that certificate",
            key_path.display(),
            cert.display()
        )));
    }
    let ca_file = leaf.self_signed.then(|| cert.to_path_buf());
    Ok(Identity {
        chain,
        key,
        cert_file: cert.to_path_buf(),
        ca_file,
    })
}

/// The leaf kept in `<data dir>/serve`, reissued under the local CA when missing, unreadable,
/// expiring within a day, for other names, or from another CA.
fn kept_identity(store: &Store, extra: &[String], now: UnixTime) -> Result<Identity, Error> {
    let (ca, created) = store.load_or_create_ca(now)?;
    if created {
        tracing::info!("created the local CA {}", store.ca_cert_path().display());
    }
    let mut names: Vec<String> = LOCAL_NAMES.iter().map(|s| s.to_string()).collect();
    for n in extra {
        if !names.contains(n) {
            names.push(n.clone());
        }
    }
    let wanted: BTreeSet<String> = names
        .iter()
        .map(|n| Name::parse(n).map(|n| n.to_string()))
        .collect::<Result<_, _>>()?;
    let dir = store.serve_dir();
    create_private_dir(&dir)?;
    let cert_file = dir.join("localhost.pem");
    let key_file = dir.join("localhost-key.pem");
    if let Some(identity) = load_kept(&cert_file, &key_file, &ca, &wanted, now) {
        return Ok(Identity {
            ca_file: Some(store.ca_cert_path()),
            ..identity
        });
    }
    let issued = ca.issue(&LeafOptions::new(names).usage(Usage::Server), now)?;
    // These files belong to selfsign serve, so replacing a stale leaf needs no --force.
    files::write_new(
        &key_file,
        issued.key.private_key_pem().as_bytes(),
        Secrecy::Secret,
        true,
    )?;
    files::write_new(
        &cert_file,
        issued.certificate.pem().as_bytes(),
        Secrecy::Public,
        true,
    )?;
    tracing::info!("issued a new server certificate {}", cert_file.display());
    Ok(Identity {
        chain: vec![issued.certificate],
        key: issued.key,
        cert_file,
        ca_file: Some(store.ca_cert_path()),
    })
}

fn load_kept(
    cert_file: &Path,
    key_file: &Path,
    ca: &Ca,
    wanted: &BTreeSet<String>,
    now: UnixTime,
) -> Option<Identity> {
    let chain = parse_certificates(&std::fs::read(cert_file).ok()?).ok()?;
    let key = KeyPair::from_pem(&std::fs::read_to_string(key_file).ok()?).ok()?;
    let info = chain.first()?.inspect(now).ok()?;
    let fresh = info.valid_now
        && info.not_after - i64::try_from(now.as_secs()).ok()? > RENEW_BEFORE_SECS
        && !selfsign_server::needs_renewal(
            u64::try_from(info.not_before).ok()?,
            u64::try_from(info.not_after).ok()?,
            now.as_secs(),
        );
    let names: BTreeSet<String> = info.subject_alt_names.iter().cloned().collect();
    let leaf = chain.first()?;
    let same_ca = leaf.issued_by(ca.certificate());
    let key_matches = key.matches(leaf);
    if !(fresh && same_ca && key_matches && &names == wanted) {
        tracing::info!(
            "the kept server certificate {} is stale; reissuing",
            cert_file.display()
        );
        return None;
    }
    Some(Identity {
        chain,
        key,
        cert_file: cert_file.to_path_buf(),
        ca_file: None,
    })
}

/// The first `--route` host when routes are all there is (no `--proxy` for other hosts).
fn route_only_host(args: &ServeArgs) -> Option<String> {
    if args.proxy.is_some() {
        return None;
    }
    let (host, _) = args.routes.first()?.split_once('=')?;
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    // A wildcard route answers any one label in place of its `*`.
    Some(match host.strip_prefix("*.") {
        Some(suffix) => format!("app.{suffix}"),
        None => host,
    })
}

/// Prints the URLs, the CA to trust, the leaf's fingerprint and a ready command.
fn announce(
    addrs: &[SocketAddr],
    identity: &Identity,
    root: Option<&Path>,
    args: &ServeArgs,
    global: &Global,
    now: UnixTime,
    badssl: Option<&badssl::Started>,
) -> Result<(), Error> {
    let leaf = identity.chain[0].inspect(now)?;
    let host_for = |a: &SocketAddr| -> String {
        if a.ip().is_loopback() || a.ip().is_unspecified() {
            "localhost".into()
        } else if a.is_ipv6() {
            format!("[{}]", a.ip())
        } else {
            a.ip().to_string()
        }
    };
    let mut urls: Vec<String> = Vec::new();
    for a in addrs {
        let url = format!("https://{}:{}/", host_for(a), a.port());
        if !urls.contains(&url) {
            urls.push(url);
        }
    }
    let ca = identity.ca_file.as_ref().map(|p| p.display().to_string());
    let acme = args.acme.then(|| {
        let port = addrs.first().map_or(args.port, |a| a.port());
        format!("https://localhost:{port}/acme/directory")
    });
    // With routes only, other hosts get the no-route page: try the first route's host instead.
    let try_url = match route_only_host(args) {
        Some(host) => {
            let a = addrs.first();
            let port = a.map_or(args.port, |a| a.port());
            let url = format!("https://{host}:{port}/");
            let loopback = host == "localhost" || host.ends_with(".localhost");
            match a.filter(|_| !loopback) {
                Some(a) if a.ip().is_unspecified() || a.ip().is_loopback() => {
                    format!("--resolve {host}:{port}:127.0.0.1 {url}")
                }
                Some(a) if a.is_ipv6() => format!("--resolve {host}:{port}:[{}] {url}", a.ip()),
                Some(a) => format!("--resolve {host}:{port}:{} {url}", a.ip()),
                None => url,
            }
        }
        None => urls[0].clone(),
    };
    let try_cmd = match (
        if args.proxying() {
            ModeArg::Http
        } else {
            args.mode
        },
        &ca,
    ) {
        (ModeArg::Http, Some(ca)) => format!("curl --cacert {ca} {try_url}"),
        (ModeArg::Http, None) => format!(
            "curl --cacert <the CA that issued {}> {try_url}",
            identity.cert_file.display(),
        ),
        (ModeArg::Echo, _) => {
            let hostport = urls[0].trim_start_matches("https://").trim_end_matches('/');
            format!(
                "openssl s_client -connect {hostport} -CAfile {}",
                ca.as_deref().unwrap_or("<CA file>")
            )
        }
    };
    if global.json {
        let value = serde_json::json!({
            "urls": urls,
            "listen": addrs.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
            "mode": match args.mode {
                _ if args.proxying() => "proxy",
                ModeArg::Http => "http",
                ModeArg::Echo => "echo",
            },
            "proxy": args.proxy,
            "routes": args.routes,
            "root": root,
            "cert_file": identity.cert_file,
            "ca_file": identity.ca_file,
            "sha256_fingerprint": leaf.sha256_fingerprint,
            "names": leaf.subject_alt_names,
            "on_demand": args.on_demand,
            "acme_directory": acme,
            "try": try_cmd,
            "badssl": badssl.map(|b| serde_json::json!({
                "listing": b.listing_url,
                "crl": b.crl_url,
                "endpoints": b.endpoints,
            })),
        });
        out!("{value}");
        return Ok(());
    }
    if global.quiet {
        return Ok(());
    }
    let what = match (root, &args.proxy) {
        (Some(r), _) => format!("serving {}", r.display()),
        (None, Some(url)) => format!("proxying to {url}"),
        (None, None) if !args.routes.is_empty() => "proxying by host".into(),
        (None, None) => "echoing".into(),
    };
    out!("selfsign serve: {what} over TLS");
    for url in &urls {
        out!("  {url}");
    }
    let listening: Vec<String> = addrs.iter().map(|a| a.to_string()).collect();
    out!("Listening on   {}", listening.join(", "));
    out!(
        "Certificate    {} ({})",
        identity.cert_file.display(),
        leaf.subject_alt_names.join(", ")
    );
    out!("SHA-256        {}", leaf.sha256_fingerprint);
    for route in &args.routes {
        out!("Route          {}", route.replacen('=', " -> ", 1));
    }
    if !args.on_demand.is_empty() {
        out!(
            "On demand      {} (a certificate from the local CA at first visit)",
            args.on_demand.join(", ")
        );
    }
    if let Some(acme) = &acme {
        out!("ACME           {acme}");
    }
    if let Some(b) = badssl {
        out!(
            "Badssl         {} ({} endpoints; CRL at {})",
            b.listing_url,
            b.endpoints,
            b.crl_url
        );
    }
    match &ca {
        Some(ca) => out!("CA to trust    {ca}"),
        None => out!(
            "CA to trust    the CA that issued {}",
            identity.cert_file.display()
        ),
    }
    out!("Try            {try_cmd}");
    out!("Stop with Ctrl-C (in-flight responses finish first).");
    Ok(())
}
