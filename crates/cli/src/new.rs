//! `selfsign new` (a leaf under the local CA, like mkcert) and `selfsign self-signed` (no CA).

use std::path::{Path, PathBuf};

use selfsign_core::presets::{self, WebTransportHash};
use selfsign_core::validity::LEAF_DAYS;
use selfsign_core::{
    parse_names, Ca, FileNames, Issued, KeyAlgorithm, LeafOptions, UnixTime, Usage,
};

use crate::files::{self, Output, Secrecy};
use crate::store::Store;
use crate::{Error, Global};

/// Flags shared by `new` and `self-signed`.
#[derive(clap::Args, Debug)]
pub struct LeafArgs {
    /// DNS names (`*.` wildcards allowed), IP addresses, emails or URIs the certificate covers
    #[arg(required = true, value_name = "NAME")]
    pub names: Vec<String>,
    /// Where to write the certificate [default: NAME+N.pem, as mkcert names it]
    #[arg(long, value_name = "FILE")]
    pub cert_file: Option<PathBuf>,
    /// Where to write the private key (mode 0600) [default: NAME+N-key.pem]
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// Directory for the default-named files [default: the current directory]
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Make a client certificate (clientAuth) for mutual TLS; with --server, both
    #[arg(long)]
    pub client: bool,
    /// Make a server certificate (serverAuth); the default
    #[arg(long)]
    pub server: bool,
    /// Validity in days [default: 397, or 14 with --webtransport]
    #[arg(long, value_name = "N")]
    pub days: Option<u32>,
    /// Key algorithm: p256, p384, ed25519, or rsa2048/rsa3072/rsa4096 for old clients [default: p256]
    #[arg(long, value_name = "ALG")]
    pub key: Option<KeyAlgorithm>,
    /// Overwrite existing certificate and key files
    #[arg(long)]
    pub force: bool,
    /// Self-signed P-256 valid at most 14 days, for WebTransport `serverCertificateHashes`
    #[arg(long, conflicts_with = "client")]
    pub webtransport: bool,
}

/// Arguments of `selfsign new`.
#[derive(clap::Args, Debug)]
pub struct NewArgs {
    #[command(flatten)]
    pub leaf: LeafArgs,
    /// Append the issuing CA certificate(s) to the certificate file
    #[arg(long, conflicts_with = "webtransport")]
    pub chain: bool,
    /// Issue under the intermediate CA made by `selfsign ca create --intermediate`
    #[arg(long, conflicts_with = "webtransport")]
    pub intermediate: bool,
}

/// Arguments of `selfsign self-signed`.
#[derive(clap::Args, Debug)]
pub struct SelfSignedArgs {
    #[command(flatten)]
    pub leaf: LeafArgs,
}

/// Runs `selfsign new`.
pub fn run_new(args: &NewArgs, global: &Global) -> Result<(), Error> {
    if args.leaf.webtransport {
        return webtransport(&args.leaf, global);
    }
    let now = UnixTime::now();
    let options = leaf_options(&args.leaf)?;
    let out = Outputs::from_args(&args.leaf)?;
    check_leaf(&options, now)?;
    out.check(args.leaf.force)?;
    let store = Store::open(global)?;
    let (ca, created) = if args.intermediate {
        let ca = store.load_intermediate()?.ok_or_else(|| {
            Error::Usage(format!(
                "no intermediate CA in {}; run `selfsign ca create --intermediate` first",
                store.dir().display()
            ))
        })?;
        (ca, false)
    } else {
        store.load_or_create_ca(now)?
    };
    if created && !global.quiet && !global.json {
        out!(
            "Created a new local CA at {} (certificate {}).",
            store.dir().display(),
            store.ca_cert_path().display()
        );
    }
    let issued = ca.issue(&options, now)?;
    let cert_pem = cert_file_pem(&issued, &ca, args.chain);
    out.write(&cert_pem, &issued, args.leaf.force)?;
    report(&issued, &out, Some(&store.ca_cert_path()), now, global)
}

/// Runs `selfsign self-signed`.
pub fn run_self_signed(args: &SelfSignedArgs, global: &Global) -> Result<(), Error> {
    if args.leaf.webtransport {
        return webtransport(&args.leaf, global);
    }
    let now = UnixTime::now();
    let options = leaf_options(&args.leaf)?;
    let out = Outputs::from_args(&args.leaf)?;
    out.check(args.leaf.force)?;
    let issued = selfsign_core::self_signed(&options, now)?;
    out.write(&issued.certificate.pem(), &issued, args.leaf.force)?;
    report(&issued, &out, None, now, global)
}

/// The usage the flags ask for.
pub fn usage(client: bool, server: bool) -> Usage {
    match (client, server) {
        (true, true) => Usage::Both,
        (true, false) => Usage::Client,
        _ => Usage::Server,
    }
}

/// Refuses options the core would refuse (names, days, ...) before anything is created: asks the
/// core to prepare the same leaf, self-signed, for a throwaway P-256 key.
pub fn check_leaf(options: &LeafOptions, now: UnixTime) -> Result<(), Error> {
    let probe = selfsign_core::KeyPair::generate(KeyAlgorithm::P256)?;
    selfsign_core::prepare_self_signed(options, probe.public_key(), now)?;
    Ok(())
}

fn leaf_options(args: &LeafArgs) -> Result<LeafOptions, Error> {
    Ok(LeafOptions::new(args.names.iter().cloned())
        .usage(usage(args.client, args.server))
        .key(args.key.unwrap_or_default())
        .days(args.days.unwrap_or(LEAF_DAYS)))
}

/// The certificate file: the leaf, any intermediates (servers must send them), and with
/// `--chain` the root too.
fn cert_file_pem(issued: &Issued, ca: &Ca, chain: bool) -> String {
    let mut pem = issued.certificate.pem();
    let shown = if chain {
        issued.chain.len()
    } else {
        ca.parents().len()
    };
    for c in issued.chain.iter().take(shown) {
        pem.push_str(&c.pem());
    }
    pem
}

/// mkcert's default file name stem for these names (see [`FileNames::leaf`]).
pub fn default_stem(names: &[String], usage: Usage) -> Result<String, Error> {
    Ok(FileNames::leaf(&parse_names(names)?, usage)
        .stem()
        .to_string())
}

/// The certificate and key paths a command writes.
#[derive(Debug)]
pub struct Outputs {
    /// The certificate (PEM).
    pub cert: PathBuf,
    /// The private key (PEM, 0600).
    pub key: PathBuf,
}

impl Outputs {
    fn from_args(args: &LeafArgs) -> Result<Outputs, Error> {
        let usage = match args.webtransport {
            true => Usage::Server,
            false => usage(args.client, args.server),
        };
        let stem = default_stem(&args.names, usage)?;
        Outputs::resolve(
            &stem,
            args.out_dir.as_deref(),
            args.cert_file.clone(),
            args.key_file.clone(),
        )
    }

    /// Explicit paths win; otherwise `<out_dir>/<stem>.pem` and `<out_dir>/<stem>-key.pem`.
    pub fn resolve(
        stem: &str,
        out_dir: Option<&Path>,
        cert: Option<PathBuf>,
        key: Option<PathBuf>,
    ) -> Result<Outputs, Error> {
        let dir = out_dir.unwrap_or(Path::new("."));
        let out = Outputs {
            cert: cert.unwrap_or_else(|| dir.join(format!("{stem}.pem"))),
            key: key.unwrap_or_else(|| dir.join(format!("{stem}-key.pem"))),
        };
        files::check_distinct([out.cert.as_path(), out.key.as_path()])?;
        Ok(out)
    }

    /// Refuses (before anything is generated or written) when an output exists and not `force`.
    pub fn check(&self, force: bool) -> Result<(), Error> {
        files::check_absent([self.cert.as_path(), self.key.as_path()], force)
    }

    fn write(&self, cert_pem: &str, issued: &Issued, force: bool) -> Result<(), Error> {
        for dir in [&self.cert, &self.key]
            .into_iter()
            .filter_map(|p| p.parent())
        {
            if !dir.as_os_str().is_empty() && !dir.exists() {
                std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
            }
        }
        let key_pem = issued.key.private_key_pem();
        files::write_set(
            &[
                Output {
                    path: &self.key,
                    contents: key_pem.as_bytes(),
                    secrecy: Secrecy::Secret,
                },
                Output {
                    path: &self.cert,
                    contents: cert_pem.as_bytes(),
                    secrecy: Secrecy::Public,
                },
            ],
            force,
        )
    }
}

/// Prints what was made, like mkcert: names, files, expiry, the CA to trust.
fn report(
    issued: &Issued,
    out: &Outputs,
    ca_file: Option<&Path>,
    now: UnixTime,
    global: &Global,
) -> Result<(), Error> {
    let info = issued.certificate.inspect(now)?;
    if global.json {
        let value = serde_json::json!({
            "names": info.subject_alt_names,
            "cert_file": out.cert,
            "key_file": out.key,
            "not_after": info.not_after_rfc3339,
            "days_left": info.days_left,
            "extended_key_usage": info.extended_key_usage,
            "sha256_fingerprint": info.sha256_fingerprint,
            "ca_file": ca_file,
        });
        out!("{value:#}");
        return Ok(());
    }
    if global.quiet {
        return Ok(());
    }
    out!("Created a new certificate valid for the following names:");
    for name in &info.subject_alt_names {
        out!(" - {name}");
    }
    if info
        .subject_alt_names
        .iter()
        .any(|n| n.starts_with("DNS:*."))
    {
        out!("Reminder: X.509 wildcards cover one label only (*.a.test covers x.a.test, not a.test).");
    }
    out!();
    out!("The certificate is at {}", out.cert.display());
    out!("The key is at         {} (mode 0600)", out.key.display());
    out!(
        "It is for {} and expires on {} ({} days).",
        info.extended_key_usage.join(" + "),
        info.not_after_rfc3339,
        info.days_left
    );
    match ca_file {
        Some(ca) => out!(
            "Clients trust it through the local CA {} (`selfsign trust install`, or curl --cacert {}).",
            ca.display(),
            ca.display()
        ),
        None => out!(
            "It is self-signed: clients trust it by trusting {} itself.",
            out.cert.display()
        ),
    }
    Ok(())
}

/// `--webtransport`: a self-signed P-256 leaf of at most 14 days and its SHA-256 in the forms
/// `serverCertificateHashes` code needs.
fn webtransport(args: &LeafArgs, global: &Global) -> Result<(), Error> {
    let now = UnixTime::now();
    let options = presets::web_transport(args.names.clone(), args.key, args.days)?;
    let out = Outputs::from_args(args)?;
    out.check(args.force)?;
    let issued = selfsign_core::self_signed(&options, now)?;
    out.write(&issued.certificate.pem(), &issued, args.force)?;
    let hash = WebTransportHash::new(&issued.certificate, &parse_names(&options.names)?);
    if global.json {
        let info = issued.certificate.inspect(now)?;
        let value = serde_json::json!({
            "names": info.subject_alt_names,
            "cert_file": out.cert,
            "key_file": out.key,
            "not_after": info.not_after_rfc3339,
            "sha256_hex": hash.hex,
            "sha256_base64": hash.base64,
            "sha256_bytes": hash.sha256,
        });
        out!("{value:#}");
        return Ok(());
    }
    report(&issued, &out, None, now, global)?;
    if !global.quiet {
        out!();
        out!("SHA-256 of the certificate, for WebTransport serverCertificateHashes:");
        out!("  hex:    {}", hash.hex);
        out!("  base64: {}", hash.base64);
        out!(
            "  JS:     {{ algorithm: \"sha-256\", value: {} }}",
            hash.literal
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names_follow_mkcert() {
        let n = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let stem = |v: &[&str], usage| default_stem(&n(v), usage).unwrap();
        assert_eq!(stem(&["localhost"], Usage::Server), "localhost");
        assert_eq!(
            stem(&["example.test", "localhost", "127.0.0.1"], Usage::Server),
            "example.test+2"
        );
        assert_eq!(
            stem(&["*.a.test"], Usage::Client),
            "_wildcard.a.test-client"
        );
        assert_eq!(stem(&["::1"], Usage::Server), "__1");
    }
}
