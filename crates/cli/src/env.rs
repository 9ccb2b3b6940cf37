//! `selfsign env`: the environment variables that make Node, Python, curl, git and Deno trust the
//! local CA, pointing at the CA itself or at a bundle of the system roots plus the local CA.

use std::os::unix::ffi::OsStrExt;
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
    if global.json {
        json_text(store.dir())?;
    }
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
        let map = vars
            .iter()
            .map(|(k, v)| Ok((k.to_string(), json!(json_text(v)?))))
            .collect::<Result<serde_json::Map<String, serde_json::Value>, Error>>()?;
        let system = system.as_deref().map(json_text).transpose()?;
        out!(
            "{}",
            json!({"variables": map, "ca_file": json_text(&ca)?, "bundle_file": json_text(&bundle)?, "system_bundle": system})
        );
        return Ok(());
    }
    let mut lines = Vec::new();
    for (name, value) in &vars {
        let value = value.as_os_str().as_bytes();
        let (set, quoted) = match args.shell {
            Shell::Sh => ("export ", sh_quote(value)),
            Shell::Fish => ("set -gx ", fish_quote(value)),
        };
        lines.extend_from_slice(set.as_bytes());
        lines.extend_from_slice(name.as_bytes());
        lines.push(if args.shell == Shell::Sh { b'=' } else { b' ' });
        lines.extend_from_slice(&quoted);
        lines.push(b'\n');
    }
    crate::output::write(&lines);
    Ok(())
}

/// A path as JSON text: JSON strings are Unicode, so a path that is not UTF-8 is an error.
fn json_text(path: &Path) -> Result<&str, Error> {
    path.to_str().ok_or_else(|| {
        Error::Usage(format!(
            "{} is not valid UTF-8, which JSON cannot carry; drop --json (the sh and fish lines keep the path's bytes), or use a data directory whose path is UTF-8",
            path.display()
        ))
    })
}

/// Each variable and the file it names: runtimes that add to their roots get the CA, runtimes
/// that replace them get the bundle.
fn variables<'a>(ca: &'a Path, bundle: &'a Path) -> Vec<(&'static str, &'a Path)> {
    vec![
        ("NODE_EXTRA_CA_CERTS", ca),
        ("DENO_CERT", ca),
        ("SSL_CERT_FILE", bundle),
        ("REQUESTS_CA_BUNDLE", bundle),
        ("CURL_CA_BUNDLE", bundle),
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

/// `value` as one sh word: single quotes, with `'` written as `'\''`; any other byte (UTF-8 or
/// not) stands for itself inside single quotes.
fn sh_quote(value: &[u8]) -> Vec<u8> {
    let mut word = vec![b'\''];
    for &b in value {
        match b {
            b'\'' => word.extend_from_slice(br"'\''"),
            _ => word.push(b),
        }
    }
    word.push(b'\'');
    word
}

/// `value` as one fish word: UTF-8 runs in single quotes with `\` and `'` escaped, and each byte
/// that is not UTF-8 as fish's byte escape `\XHH` between them (fish reads its input as text).
fn fish_quote(value: &[u8]) -> Vec<u8> {
    let mut word = Vec::new();
    for chunk in value.utf8_chunks() {
        let text = chunk.valid();
        if !text.is_empty() {
            let escaped = text.replace('\\', r"\\").replace('\'', r"\'");
            word.extend_from_slice(format!("'{escaped}'").as_bytes());
        }
        for b in chunk.invalid() {
            word.extend_from_slice(format!(r"\X{b:02X}").as_bytes());
        }
    }
    if word.is_empty() {
        word.extend_from_slice(b"''");
    }
    word
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_keeps_quotes_dollars_and_backslashes_literal() {
        assert_eq!(sh_quote(b"/a b/it's $HOME"), br"'/a b/it'\''s $HOME'");
        assert_eq!(fish_quote(br"/a\b/it's $x"), br"'/a\\b/it\'s $x'");
        assert_eq!(fish_quote(b""), b"''");
    }

    #[test]
    fn bytes_that_are_not_utf8_stay_as_they_are_for_sh_and_become_byte_escapes_for_fish() {
        assert_eq!(sh_quote(b"/d\xff\xfe'x"), b"'/d\xff\xfe'\\''x'");
        assert_eq!(
            fish_quote(b"/d\xff\xfe\xc3\xa9x"),
            b"'/d'\\XFF\\XFE'\xc3\xa9x'"
        );
    }
}
