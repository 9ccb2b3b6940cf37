//! `selfsign csr` (a certificate signing request for names) and `selfsign sign` (issue from a
//! CSR under the local CA, with selfsign's leaf profile whatever the request asks for).

use std::path::{Path, PathBuf};

use selfsign_core::validity::LEAF_DAYS;
use selfsign_core::{
    Csr, CsrOptions, FileNames, KeyAlgorithm, KeyPair, LeafOptions, UnixTime, Usage, Validity,
};

use crate::files::{self, read_input, Output, Secrecy};
use crate::new::{check_leaf, default_stem, usage};
use crate::store::Store;
use crate::{Error, Global};

/// Arguments of `selfsign csr`.
#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("keysource").required(true).args(["key", "new_key"])))]
pub struct CsrArgs {
    /// DNS names, IP addresses, emails or URIs to request; the first becomes the subject CN
    #[arg(required = true, value_name = "NAME")]
    pub names: Vec<String>,
    /// Sign the request with this existing private key (PEM: PKCS#8, SEC1 or PKCS#1)
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Generate a new key (p256 by default; p384, ed25519, rsa2048, ...) and write it (mode 0600)
    #[arg(long, value_name = "ALG", num_args = 0..=1, default_missing_value = "p256")]
    pub new_key: Option<KeyAlgorithm>,
    /// Where to write the CSR; `-` for standard output [default: NAME+N.csr]
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Where to write the new key [default: NAME+N-key.pem]
    #[arg(long, value_name = "FILE", requires = "new_key")]
    pub key_file: Option<PathBuf>,
    /// Overwrite existing files
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `selfsign sign`.
#[derive(clap::Args, Debug)]
pub struct SignArgs {
    /// The CSR (PEM or DER); `-` reads standard input
    #[arg(value_name = "CSR")]
    pub csr: PathBuf,
    /// Where to write the certificate; `-` for standard output [default: NAME+N.pem from the CSR's names]
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Issue a client certificate (clientAuth); with --server, both
    #[arg(long)]
    pub client: bool,
    /// Issue a server certificate (serverAuth); the default
    #[arg(long)]
    pub server: bool,
    /// Validity in days
    #[arg(long, value_name = "N", default_value_t = LEAF_DAYS)]
    pub days: u32,
    /// Append the issuing CA certificate(s) to the output
    #[arg(long)]
    pub chain: bool,
    /// Issue under the intermediate CA made by `selfsign ca create --intermediate`
    #[arg(long)]
    pub intermediate: bool,
    /// Overwrite an existing output file
    #[arg(long)]
    pub force: bool,
}

/// Runs `selfsign csr`.
pub fn run_csr(args: &CsrArgs, global: &Global) -> Result<(), Error> {
    let stem = default_stem(&args.names, Usage::Server)?;
    let csr_path = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{stem}.csr")));
    let to_stdout = csr_path == Path::new("-");
    let new_key_path = args.new_key.map(|_| {
        args.key_file
            .clone()
            .unwrap_or_else(|| PathBuf::from(format!("{stem}-key.pem")))
    });
    let mut outputs: Vec<&Path> = new_key_path.iter().map(PathBuf::as_path).collect();
    if !to_stdout {
        outputs.push(&csr_path);
    }
    files::check_distinct(outputs.iter().copied())?;
    files::check_absent(outputs, args.force)?;

    let key = match (&args.key, args.new_key) {
        (Some(path), _) => {
            let pem = String::from_utf8(read_input(path)?)
                .map_err(|_| Error::Usage(format!("{}: not a PEM private key", path.display())))?;
            KeyPair::from_pem(&pem)?
        }
        (None, Some(alg)) => KeyPair::generate(alg)?,
        (None, None) => return Err(Error::Usage("pass --key FILE or --new-key".into())),
    };
    let csr = Csr::new(&args.names, &key)?;
    let (key_pem, csr_pem) = (key.private_key_pem(), csr.pem());
    let mut writes = Vec::new();
    if let Some(path) = &new_key_path {
        writes.push(Output {
            path,
            contents: key_pem.as_bytes(),
            secrecy: Secrecy::Secret,
        });
    }
    if !to_stdout {
        writes.push(Output {
            path: &csr_path,
            contents: csr_pem.as_bytes(),
            secrecy: Secrecy::Public,
        });
    }
    files::write_set(&writes, args.force)?;
    if to_stdout {
        crate::output::write(csr_pem.as_bytes());
    }
    if global.json {
        let value = serde_json::json!({
            "csr_file": (!to_stdout).then_some(&csr_path),
            "key_file": new_key_path,
            "names": csr.names()?.iter().map(|n| n.to_string()).collect::<Vec<_>>(),
        });
        eprintln_or_print(to_stdout, &format!("{value:#}"));
    } else if !global.quiet {
        let names: Vec<String> = csr.names()?.iter().map(|n| n.to_string()).collect();
        let mut msg = format!(
            "Created a certificate signing request for {}",
            names.join(", ")
        );
        if !to_stdout {
            msg.push_str(&format!("\nThe CSR is at {}", csr_path.display()));
        }
        if let Some(k) = &new_key_path {
            msg.push_str(&format!("\nThe new key is at {} (mode 0600)", k.display()));
        }
        msg.push_str("\nIssue a certificate from it with `selfsign sign <CSR>`.");
        eprintln_or_print(to_stdout, &msg);
    }
    Ok(())
}

/// Runs `selfsign sign`.
pub fn run_sign(args: &SignArgs, global: &Global) -> Result<(), Error> {
    let now = UnixTime::now();
    let csr = Csr::parse(&read_input(&args.csr)?)?;
    let names = csr.names()?;
    let name_values: Vec<String> = names.iter().map(|n| n.value()).collect();
    let named_for = match args.client && !args.server {
        true => Usage::Client,
        false => Usage::Server,
    };
    let out = match &args.out {
        Some(out) => out.clone(),
        None => PathBuf::from(FileNames::leaf(&names, named_for).certificate()),
    };
    let to_stdout = out == Path::new("-");
    if !to_stdout {
        files::check_absent([out.as_path()], args.force)?;
    }
    check_leaf(
        &LeafOptions::new(name_values.iter().cloned()).days(args.days),
        now,
    )?;
    let store = Store::open(global)?;
    let ca = if args.intermediate {
        store.load_intermediate()?.ok_or_else(|| {
            Error::Usage(format!(
                "no intermediate CA in {}; run `selfsign ca create --intermediate` first",
                store.dir().display()
            ))
        })?
    } else {
        store
            .load_ca()?
            .ok_or_else(|| Error::NoCa(store.dir().to_path_buf()))?
    };
    let options = CsrOptions {
        usage: usage(args.client, args.server),
        validity: Validity::Days(args.days),
    };
    let cert = ca.sign_csr(&csr, &options, now)?;
    let mut pem = cert.pem();
    let chain = ca.certificate().clone();
    let issuers: Vec<_> = std::iter::once(chain)
        .chain(ca.parents().iter().cloned())
        .collect();
    let shown = if args.chain {
        issuers.len()
    } else {
        ca.parents().len()
    };
    for c in issuers.iter().take(shown) {
        pem.push_str(&c.pem());
    }
    if to_stdout {
        crate::output::write(pem.as_bytes());
    } else {
        files::write_new(&out, pem.as_bytes(), Secrecy::Public, args.force)?;
    }
    let info = cert.inspect(now)?;
    if global.json {
        let value = serde_json::json!({
            "cert_file": (!to_stdout).then_some(&out),
            "names": info.subject_alt_names,
            "not_after": info.not_after_rfc3339,
            "extended_key_usage": info.extended_key_usage,
            "sha256_fingerprint": info.sha256_fingerprint,
            "ca_file": store.ca_cert_path(),
        });
        eprintln_or_print(to_stdout, &format!("{value:#}"));
    } else if !global.quiet {
        let mut msg = format!(
            "Issued a certificate from the CSR for {}\nIt is for {} and expires on {} ({} days).",
            info.subject_alt_names.join(", "),
            info.extended_key_usage.join(" + "),
            info.not_after_rfc3339,
            info.days_left
        );
        if !to_stdout {
            msg.push_str(&format!("\nThe certificate is at {}", out.display()));
        }
        msg.push_str(&format!(
            "\nClients trust it through {}",
            store.ca_cert_path().display()
        ));
        eprintln_or_print(to_stdout, &msg);
    }
    Ok(())
}

/// Messages go to stderr when stdout carries the PEM itself.
fn eprintln_or_print(stdout_taken: bool, msg: &str) {
    if stdout_taken {
        err!("{msg}");
    } else {
        out!("{msg}");
    }
}
