//! `selfsign inspect`: certificates decoded for people (or `--json` for programs): names,
//! validity with days left, usages, chain position and fingerprints.

use std::fmt::Write as _;
use std::path::PathBuf;

use selfsign_core::{CertInfo, Csr, UnixTime};

use crate::files::read_input;
use crate::{Error, Global};

/// Arguments of `selfsign inspect`.
#[derive(clap::Args, Debug)]
pub struct InspectArgs {
    /// PEM or DER certificate(s), a PEM bundle, or a CSR; `-` reads standard input
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// Runs `selfsign inspect`.
pub fn run(args: &InspectArgs, global: &Global) -> Result<(), Error> {
    let now = UnixTime::now();
    let mut json = Vec::new();
    for (i, path) in args.files.iter().enumerate() {
        let input = read_input(path)?;
        if is_csr(&input) {
            let csr = Csr::parse(&input)?;
            let names: Vec<String> = csr.names()?.iter().map(|n| n.to_string()).collect();
            let key = csr.key_algorithm()?.description();
            if global.json {
                json.push(serde_json::json!({
                    "file": path, "kind": "csr", "names": names, "key_algorithm": key,
                }));
            } else {
                out!("{}: certificate signing request", path.display());
                out!("  Names:     {}", names.join(", "));
                out!("  Key:       {key}");
            }
            continue;
        }
        let infos = selfsign_core::inspect(&input, now)?;
        if global.json {
            for (pos, info) in infos.iter().enumerate() {
                let mut v = serde_json::to_value(info).map_err(|e| Error::Usage(e.to_string()))?;
                if let Some(obj) = v.as_object_mut() {
                    obj.insert("file".into(), serde_json::json!(path));
                    obj.insert("position".into(), position(&infos, pos).into());
                }
                json.push(v);
            }
        } else {
            if i > 0 {
                out!();
            }
            crate::output::write(describe_all(&path.display().to_string(), &infos).as_bytes());
        }
    }
    if global.json {
        let out = serde_json::to_string_pretty(&json).map_err(|e| Error::Usage(e.to_string()))?;
        out!("{out}");
    }
    Ok(())
}

fn is_csr(input: &[u8]) -> bool {
    input
        .windows(27)
        .any(|w| w == b"BEGIN CERTIFICATE REQUEST--" || w == b"BEGIN NEW CERTIFICATE REQUE")
}

/// Where a certificate sits in a bundle: `leaf`, `intermediate`, `root` or `self-signed`.
pub fn position(infos: &[CertInfo], index: usize) -> &'static str {
    let info = &infos[index];
    match (info.is_ca, info.self_signed) {
        (true, true) => "root",
        (true, false) => "intermediate",
        (false, true) => "self-signed",
        (false, false) => "leaf",
    }
}

/// Text for every certificate of one input, with how each links to the next.
pub fn describe_all(source: &str, infos: &[CertInfo]) -> String {
    let mut out = String::new();
    let n = infos.len();
    for (i, info) in infos.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let pos = position(infos, i);
        if n == 1 {
            let _ = writeln!(out, "{source}: {pos} certificate");
        } else {
            let _ = writeln!(out, "{source}: certificate {} of {n}, {pos}", i + 1);
        }
        out.push_str(&describe(info));
        let link = if info.self_signed {
            "self-signed (its own issuer)".to_string()
        } else if let Some(j) = infos.iter().position(|c| c.subject == info.issuer) {
            format!("issued by certificate {} of this file", j + 1)
        } else {
            "issuer not in this file".to_string()
        };
        let _ = writeln!(out, "  Chain:        {link}");
    }
    out
}

/// Text for one certificate: the facts a developer looks for, in the order they look.
pub fn describe(info: &CertInfo) -> String {
    let mut out = String::new();
    let mut line = |label: &str, value: &str| {
        let _ = writeln!(out, "  {:<13} {value}", format!("{label}:"));
    };
    line("Subject", &info.subject);
    line("Issuer", &info.issuer);
    if !info.subject_alt_names.is_empty() {
        line("Names", &info.subject_alt_names.join(", "));
    }
    line("Valid from", &info.not_before_rfc3339);
    line(
        "Valid until",
        &format!("{} ({})", info.not_after_rfc3339, days_text(info)),
    );
    line(
        "Key",
        &format!(
            "{} ({} bits), signed with {}",
            info.key_algorithm, info.key_bits, info.signature_algorithm
        ),
    );
    let kind = if info.is_ca {
        match info.path_len {
            Some(n) => format!("CA (may sign {n} more intermediate level(s) below)"),
            None => "CA (no path length limit)".into(),
        }
    } else {
        "leaf (not a CA)".into()
    };
    line("Type", &kind);
    if !info.key_usage.is_empty() {
        line("Key usage", &info.key_usage.join(", "));
    }
    if !info.extended_key_usage.is_empty() {
        line("Used for", &info.extended_key_usage.join(", "));
    }
    if !info.permitted_names.is_empty() {
        line("Permitted", &info.permitted_names.join(", "));
    }
    if !info.excluded_names.is_empty() {
        line("Excluded", &info.excluded_names.join(", "));
    }
    line("Serial", &info.serial);
    line("SHA-256", &info.sha256_fingerprint);
    line("SPKI pin", &format!("sha256/{}", info.spki_sha256_base64));
    out
}

fn days_text(info: &CertInfo) -> String {
    if info.valid_now {
        match info.days_left {
            0 => "expires within a day".into(),
            1 => "1 day left".into(),
            d => format!("{d} days left"),
        }
    } else if let Some(ago) = info.expired_ago(UnixTime::now()) {
        format!("EXPIRED {ago}")
    } else {
        "NOT YET VALID".into()
    }
}
