//! `selfsign pkcs12`: bundle a certificate, its key and chain as a password-protected PKCS#12
//! file (`.p12`/`.pfx`) for Java keystores, Windows and macOS.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use p12_keystore::{EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm, PrivateKeyChain};
use selfsign_core::{parse_certificates, Certificate, KeyPair, UnixTime};
use serde_json::json;

use crate::files::{self, Secrecy};
use crate::{Error, Global};

/// Environment variable holding the password when no `--password-file` is given.
const PASSWORD_ENV: &str = "SELFSIGN_P12_PASSWORD";

/// Options of `selfsign pkcs12`.
#[derive(clap::Args, Debug)]
pub struct Pkcs12Args {
    /// The certificate (PEM or DER); further certificates in the file are taken as its chain
    #[arg(long, value_name = "FILE")]
    cert: PathBuf,
    /// Its private key (PEM: PKCS#8, SEC1 or PKCS#1)
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// Issuer certificates to include after the certificate (PEM bundle), e.g. the local CA
    #[arg(long, value_name = "FILE")]
    chain: Option<PathBuf>,
    /// Where to write the PKCS#12 file [default: the certificate's path with a .p12 extension]
    #[arg(long, short, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Read the password from the first line of FILE [default: $SELFSIGN_P12_PASSWORD, else prompt]
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
    /// Friendly name (Java alias) of the entry [default: the certificate's common name]
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// Use the legacy 3DES encryption and SHA-1 MAC that macOS Keychain and old Windows need
    /// (default: AES-256-CBC with PBKDF2/HMAC-SHA-256 and an HMAC-SHA-256 MAC)
    #[arg(long)]
    legacy: bool,
    /// Overwrite the output file if it exists
    #[arg(long)]
    force: bool,
}

/// How the bundle is protected.
struct Protection {
    encryption: EncryptionAlgorithm,
    mac: MacAlgorithm,
    iterations: u32,
    label: &'static str,
}

impl Protection {
    fn new(legacy: bool) -> Protection {
        if legacy {
            // What `openssl pkcs12 -export -certpbe PBE-SHA1-3DES -keypbe PBE-SHA1-3DES -macalg
            // sha1` writes: readable by macOS Keychain, Windows 7+ and every Java.
            Protection {
                encryption: EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc,
                mac: MacAlgorithm::HmacSha1,
                iterations: 2048,
                label: "legacy: pbeWithSHAAnd3-KeyTripleDES-CBC, HMAC-SHA-1 MAC",
            }
        } else {
            Protection {
                encryption: EncryptionAlgorithm::PbeWithHmacSha256AndAes256,
                mac: MacAlgorithm::HmacSha256,
                iterations: 10_000,
                label: "AES-256-CBC with PBKDF2/HMAC-SHA-256, HMAC-SHA-256 MAC",
            }
        }
    }
}

/// Runs `selfsign pkcs12`.
pub fn run(args: &Pkcs12Args, global: &Global) -> Result<(), Error> {
    let out = args.out.clone().unwrap_or_else(|| default_out(&args.cert));
    files::check_absent([out.as_path()], args.force)?;

    let mut certs = read_certs(&args.cert)?;
    if let Some(chain) = &args.chain {
        for cert in read_certs(chain)? {
            if !certs.contains(&cert) {
                certs.push(cert);
            }
        }
    }
    let key_pem = files::read_input(&args.key)?;
    let key_pem = String::from_utf8(key_pem).map_err(|_| {
        Error::Usage(format!(
            "{}: not a PEM private key (it is not text)",
            args.key.display()
        ))
    })?;
    let key = KeyPair::from_pem(&key_pem)?;
    check_key_matches(&certs[0], &key, &args.cert, &args.key)?;

    let info = certs[0].inspect(UnixTime::now())?;
    let name = args
        .name
        .clone()
        .or(info.common_name.clone())
        .or_else(|| info.subject_alt_names.first().map(|s| san_value(s)))
        .unwrap_or_else(|| "selfsign".into());

    let password = password(args)?;
    let protection = Protection::new(args.legacy);
    let der = bundle(&certs, &key, &name, &password, &protection)?;
    files::write_new(&out, &der, Secrecy::Secret, args.force)?;

    let text = if global.json {
        json!({
            "path": out, "friendly_name": name, "certificates": certs.len(),
            "legacy": args.legacy, "encryption": protection.label,
            "subject": info.subject, "not_after": info.not_after_rfc3339,
        })
        .to_string()
    } else {
        format!(
            "Wrote {} ({}): the key and {} certificate{} for \"{name}\", valid until {}.\n\
             Java: keytool -list -storetype PKCS12 -keystore {}",
            out.display(),
            protection.label,
            certs.len(),
            if certs.len() == 1 { "" } else { "s" },
            info.not_after_rfc3339,
            out.display()
        )
    };
    if !global.quiet || global.json {
        // A closed pipe (`| head`) is no reason to fail: the file is written.
        out!("{text}");
    }
    Ok(())
}

/// `dir/leaf.pem` becomes `dir/leaf.p12`.
fn default_out(cert: &Path) -> PathBuf {
    if cert == Path::new("-") {
        return PathBuf::from("cert.p12");
    }
    cert.with_extension("p12")
}

fn read_certs(path: &Path) -> Result<Vec<Certificate>, Error> {
    let data = files::read_input(path)?;
    parse_certificates(&data).map_err(|e| Error::Usage(format!("{}: {e}", path.display())))
}

/// "DNS:localhost" -> "localhost".
fn san_value(san: &str) -> String {
    san.split_once(':').map_or(san, |(_, v)| v).to_string()
}

/// Refuses a key that is not the certificate's: the bundle would be useless.
fn check_key_matches(
    cert: &Certificate,
    key: &KeyPair,
    cert_path: &Path,
    key_path: &Path,
) -> Result<(), Error> {
    if key.matches(cert) {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "the key in {} does not belong to the certificate in {}; pass the matching --key",
        key_path.display(),
        cert_path.display()
    )))
}

/// Encodes the PKCS#12 bytes: one private-key entry named `name`, leaf first, then its chain.
fn bundle(
    certs: &[Certificate],
    key: &KeyPair,
    name: &str,
    password: &str,
    protection: &Protection,
) -> Result<Vec<u8>, Error> {
    let failed =
        |e: p12_keystore::error::Error| Error::Usage(format!("PKCS#12 encoding failed: {e}"));
    let key_der = key.private_key_der();
    let p12_key = p12_keystore::PrivateKey::from_der(key_der.secret_der()).map_err(failed)?;
    let p12_certs = certs
        .iter()
        .map(|c| p12_keystore::Certificate::from_der(c.der()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(failed)?;
    let local_key_id = certs[0].sha256()[..20].to_vec();
    let chain = PrivateKeyChain::new(local_key_id, p12_key, p12_certs);
    let mut store = KeyStore::new();
    store.add_entry(name, KeyStoreEntry::PrivateKeyChain(chain));
    store
        .writer(password)
        .encryption_algorithm(protection.encryption)
        .encryption_iterations(protection.iterations)
        .mac_algorithm(protection.mac)
        .mac_iterations(protection.iterations)
        .write()
        .map_err(failed)
}

/// The password from `--password-file`, the environment, or a prompt on the terminal.
fn password(args: &Pkcs12Args) -> Result<String, Error> {
    let password = if let Some(path) = &args.password_file {
        let data = files::read_input(path)?;
        let text = String::from_utf8(data).map_err(|_| {
            Error::Usage(format!(
                "{}: the password file is not UTF-8 text",
                path.display()
            ))
        })?;
        text.lines().next().unwrap_or_default().to_string()
    } else if let Ok(p) = std::env::var(PASSWORD_ENV) {
        p
    } else {
        prompt()?
    };
    if password.is_empty() {
        return Err(Error::Usage(
            "the PKCS#12 password is empty; Java and macOS refuse such files, so choose one".into(),
        ));
    }
    Ok(password)
}

fn prompt() -> Result<String, Error> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::Usage(format!(
            "no PKCS#12 password: pass --password-file FILE or set {PASSWORD_ENV} (standard \
             input is not a terminal, so selfsign cannot ask)"
        )));
    }
    let tty = |e: std::io::Error| Error::io("/dev/tty", e);
    let first = rpassword::prompt_password("PKCS#12 password: ").map_err(tty)?;
    let again = rpassword::prompt_password("Again: ").map_err(tty)?;
    if first != again {
        return Err(Error::Usage("the two passwords differ; try again".into()));
    }
    Ok(first)
}
