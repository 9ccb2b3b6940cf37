//! `selfsign env`: the environment variables that make Node, Python, curl, git and Deno trust the
//! local CA, pointing at the CA itself or at a bundle of the system roots plus the local CA.

use std::path::{Path, PathBuf};

use selfsign_core::UnixTime;
use serde_json::json;

use crate::files::{self, Secrecy};
use crate::store::Store;
use crate::{Error, Global};

/// Where distributions keep the system's trusted roots as one PEM file.
const SYSTEM_BUNDLES: [&str; 4] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// The shell syntax to print.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shell {
    /// POSIX sh, bash, zsh: export NAME='value'
    Sh,
    /// fish: set -gx NAME 'value'
    Fish,
}

/// Arguments of `selfsign env`.
#[derive(clap::Args, Debug)]
pub struct EnvArgs {
    /// The shell to print for (use: eval "$(selfsign env)", or selfsign env --shell fish | source)
    #[arg(long, value_enum, default_value = "sh")]
    shell: Shell,
}

/// Runs `selfsign env`.
pub fn run(args: &EnvArgs, global: &Global) -> Result<(), Error> {
    let store = Store::open(global)?;
    let (_, created) = store.load_or_create_ca(UnixTime::now())?;
    if created {
        tracing::info!("created the local CA {}", store.ca_cert_path().display());
    }
    let ca = store.ca_cert_path();
    let system = system_bundle();
    let bundle = write_bundle(&store, system.as_deref())?;
    if system.is_none() {
        crate::output::warn(
            global,
            &format!(
                "no system CA bundle found (looked in {} and OpenSSL's directory); {} holds only the local CA, so other HTTPS sites will fail in programs using it",
                SYSTEM_BUNDLES.join(", "),
                bundle.display()
            ),
        );
    }
    let vars = variables(&ca, &bundle);
    if global.json {
        let map: serde_json::Map<String, serde_json::Value> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        out!(
            "{}",
            json!({"variables": map, "ca_file": ca, "bundle_file": bundle, "system_bundle": system})
        );
        return Ok(());
    }
    for (name, value) in &vars {
        match args.shell {
            Shell::Sh => out!("export {name}={}", sh_quote(value)),
            Shell::Fish => out!("set -gx {name} {}", fish_quote(value)),
        }
    }
    Ok(())
}

/// Each variable and the file it names: runtimes that add to their roots get the CA, runtimes
/// that replace them get the bundle.
fn variables(ca: &Path, bundle: &Path) -> Vec<(&'static str, String)> {
    let ca = ca.display().to_string();
    let bundle = bundle.display().to_string();
    vec![
        ("NODE_EXTRA_CA_CERTS", ca.clone()),
        ("DENO_CERT", ca),
        ("SSL_CERT_FILE", bundle.clone()),
        ("REQUESTS_CA_BUNDLE", bundle.clone()),
        ("CURL_CA_BUNDLE", bundle.clone()),
        ("GIT_SSL_CAINFO", bundle),
    ]
}

/// The system's root bundle: a well-known path, else `cert.pem` in OpenSSL's directory.
fn system_bundle() -> Option<PathBuf> {
    let known = SYSTEM_BUNDLES.iter().map(PathBuf::from);
    known
        .chain(openssl_dir().map(|d| d.join("cert.pem")))
        .find(|p| p.is_file())
}

/// OPENSSLDIR as `openssl version -d` reports it.
fn openssl_dir() -> Option<PathBuf> {
    let out = std::process::Command::new("openssl")
        .args(["version", "-d"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let dir = text
        .trim()
        .strip_prefix("OPENSSLDIR:")?
        .trim()
        .trim_matches('"');
    Some(PathBuf::from(dir))
}

/// Writes `<data dir>/ca-bundle.pem` (system roots, then the local CA) when it differs.
fn write_bundle(store: &Store, system: Option<&Path>) -> Result<PathBuf, Error> {
    let path = store.dir().join("ca-bundle.pem");
    let mut text = match system {
        Some(p) => String::from_utf8_lossy(&files::read_input(p)?).into_owned(),
        None => String::new(),
    };
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&String::from_utf8_lossy(&files::read_input(
        &store.ca_cert_path(),
    )?));
    if std::fs::read(&path).ok().as_deref() != Some(text.as_bytes()) {
        files::write_new(&path, text.as_bytes(), Secrecy::Public, true)?;
    }
    Ok(path)
}

/// `value` as one sh word: single quotes, with `'` written as `'\''`.
fn sh_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// `value` as one fish word: single quotes, with `\` and `'` escaped.
fn fish_quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', r"\\").replace('\'', r"\'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_keeps_quotes_dollars_and_backslashes_literal() {
        assert_eq!(sh_quote("/a b/it's $HOME"), r"'/a b/it'\''s $HOME'");
        assert_eq!(fish_quote(r"/a\b/it's $x"), r"'/a\\b/it\'s $x'");
    }
}
