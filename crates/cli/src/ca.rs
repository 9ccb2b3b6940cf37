//! `selfsign ca create|show|path`: the local CA that `new`, `sign` and `serve` issue under.

use selfsign_core::validity::CA_DAYS;
use selfsign_core::{CaOptions, ExternalCa, KeyAlgorithm, KeyPair, UnixTime};

use crate::inspect::describe_all;
use crate::store::{default_ca_options, Store};
use crate::{Error, Global};

/// `selfsign ca` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum CaCommand {
    /// Make the local CA (refuses to replace one without --force)
    Create(CreateArgs),
    /// Show the local CA decoded (like `selfsign inspect`)
    Show(ShowArgs),
    /// Print the data directory (or, with a flag, the CA certificate or key path)
    Path(PathArgs),
}

/// Arguments of `selfsign ca create`.
#[derive(clap::Args, Debug)]
pub struct CreateArgs {
    /// Only let the CA issue for these domains (DNS names, emails and URIs in them) and
    /// IPs/CIDR ranges, comma separated, e.g. `a.test,10.0.0.0/8`
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub name_constraints: Vec<String>,
    /// Validity in days [default: 3650, or what remains of the root for --intermediate]
    #[arg(long, value_name = "N")]
    pub days: Option<u32>,
    /// Key algorithm: p256, p384, ed25519, or rsa2048/rsa3072/rsa4096 for old clients
    #[arg(long, value_name = "ALG", default_value = "p256")]
    pub key: KeyAlgorithm,
    /// Subject common name [default: "selfsign development CA user@host"]
    #[arg(long, value_name = "NAME")]
    pub common_name: Option<String>,
    /// Make an intermediate CA under the local CA (intermediateCA.pem); use it with `new --intermediate`
    #[arg(long)]
    pub intermediate: bool,
    /// Replace an existing CA (certificates it issued stop verifying against the new one)
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `selfsign ca show`.
#[derive(clap::Args, Debug)]
pub struct ShowArgs {
    /// Show the intermediate CA (with the root after it) instead of the root
    #[arg(long)]
    pub intermediate: bool,
}

/// Arguments of `selfsign ca path`.
#[derive(clap::Args, Debug)]
pub struct PathArgs {
    /// Print the CA certificate's path instead of the directory
    #[arg(long, conflicts_with = "key")]
    pub cert: bool,
    /// Print the CA private key's path instead of the directory
    #[arg(long)]
    pub key: bool,
}

/// Runs a `selfsign ca` subcommand.
pub fn run(cmd: &CaCommand, global: &Global) -> Result<(), Error> {
    if let CaCommand::Create(args) = cmd {
        check_options(args)?;
    }
    let store = Store::open(global)?;
    match cmd {
        CaCommand::Create(args) => create(args, &store, global),
        CaCommand::Show(args) => show(args, &store, global),
        CaCommand::Path(args) => path(args, &store, global),
    }
}

fn create(args: &CreateArgs, store: &Store, global: &Global) -> Result<(), Error> {
    let now = UnixTime::now();
    let (ca, cert_path, key_path, created_root) = if args.intermediate {
        let (root, created) = store.load_or_create_ca(now)?;
        let remaining = (root.not_after() - unix(now)).div_euclid(86_400);
        let max_days = u32::try_from(remaining).unwrap_or(0);
        if max_days == 0 {
            return Err(Error::Usage(
                "the local CA expires within a day; replace it with `selfsign ca create --force` first".into(),
            ));
        }
        let mut options = CaOptions::intermediate();
        options.common_name = format!(
            "selfsign development intermediate CA {}",
            crate::store::user_at_host()
        );
        apply(
            args,
            &mut options,
            args.days.unwrap_or(CA_DAYS.min(max_days)),
        );
        let ca = store.create_intermediate(&root, &options, now, args.force)?;
        (
            ca,
            store.intermediate_cert_path(),
            store.intermediate_key_path(),
            created,
        )
    } else {
        let mut options = default_ca_options();
        apply(args, &mut options, args.days.unwrap_or(CA_DAYS));
        // A replaced CA stays trusted wherever `trust install` put it: say where, afterwards.
        let still_trusted = if args.force {
            crate::trust::still_trusted(store).unwrap_or_default()
        } else {
            Vec::new()
        };
        let ca = store.create_ca(&options, now, args.force)?;
        if !still_trusted.is_empty() {
            crate::output::warn(
                global,
                &format!(
                    "the CA this replaced is still trusted in the {}; remove it with `selfsign \
                     trust uninstall` (it takes out every CA installed from this data \
                     directory), then `selfsign trust install` the new one",
                    still_trusted.join(" and the ")
                ),
            );
        }
        (ca, store.ca_cert_path(), store.ca_key_path(), false)
    };
    let info = ca.certificate().inspect(now)?;
    if global.json {
        let value = serde_json::json!({
            "cert_file": cert_path,
            "key_file": key_path,
            "subject": info.subject,
            "not_after": info.not_after_rfc3339,
            "permitted_names": info.permitted_names,
            "sha256_fingerprint": info.sha256_fingerprint,
            "created_root": created_root,
        });
        out!("{value:#}");
    } else if !global.quiet {
        if created_root {
            out!(
                "Created the local root CA at {}.",
                store.ca_cert_path().display()
            );
        }
        let what = if args.intermediate {
            "intermediate CA"
        } else {
            "local CA"
        };
        out!(
            "Created the {what} \"{}\".",
            info.common_name.as_deref().unwrap_or(&info.subject)
        );
        out!("The certificate is at {}", cert_path.display());
        out!(
            "The key is at         {} (mode 0600; keep it private)",
            key_path.display()
        );
        out!(
            "It expires on {} ({} days).",
            info.not_after_rfc3339,
            info.days_left
        );
        if !info.permitted_names.is_empty() {
            out!("It may only issue for: {}", info.permitted_names.join(", "));
        }
        if args.intermediate {
            out!("Issue under it with `selfsign new --intermediate NAME...`; clients still trust {}.", store.ca_cert_path().display());
        } else {
            out!(
                "Trust it with `selfsign trust install`, or pass it to clients: curl --cacert {}",
                cert_path.display()
            );
        }
    }
    Ok(())
}

/// Refuses options the core would refuse before the data directory is touched: asks the core to
/// prepare such a CA for a throwaway P-256 key.
fn check_options(args: &CreateArgs) -> Result<(), Error> {
    if args.name_constraints.iter().any(|s| s.trim().is_empty()) {
        return Err(Error::Usage(
            "--name-constraints has an empty entry; list domains and IPs or CIDR ranges \
             separated by commas (leave the flag out for an unconstrained CA)"
                .into(),
        ));
    }
    let mut options = default_ca_options();
    apply(args, &mut options, args.days.unwrap_or(CA_DAYS));
    let probe = KeyPair::generate(KeyAlgorithm::P256)?;
    ExternalCa::prepare_root(&options, probe.public_key(), UnixTime::now())?;
    Ok(())
}

fn apply(args: &CreateArgs, options: &mut CaOptions, days: u32) {
    options.key = args.key;
    options.validity = selfsign_core::Validity::Days(days);
    // An empty entry reaches the core, which refuses it rather than make an unconstrained CA.
    options.name_constraints = args
        .name_constraints
        .iter()
        .map(|s| s.trim().to_string())
        .collect();
    if let Some(cn) = &args.common_name {
        options.common_name = cn.clone();
        options.unique_name = false;
    }
}

fn show(args: &ShowArgs, store: &Store, global: &Global) -> Result<(), Error> {
    let (ca, path) = if args.intermediate {
        let ca = store.load_intermediate()?.ok_or_else(|| {
            Error::Usage(format!(
                "no intermediate CA in {}; run `selfsign ca create --intermediate` first",
                store.dir().display()
            ))
        })?;
        (ca, store.intermediate_cert_path())
    } else {
        let ca = store
            .load_ca()?
            .ok_or_else(|| Error::NoCa(store.dir().to_path_buf()))?;
        (ca, store.ca_cert_path())
    };
    let now = UnixTime::now();
    let infos = selfsign_core::inspect(ca.chain_pem().as_bytes(), now)?;
    if global.json {
        let out = serde_json::to_string_pretty(&infos).map_err(|e| Error::Usage(e.to_string()))?;
        out!("{out}");
    } else {
        crate::output::write(describe_all(&path.display().to_string(), &infos).as_bytes());
        out!(
            "  Key file:     {} (not shown)",
            if args.intermediate {
                store.intermediate_key_path()
            } else {
                store.ca_key_path()
            }
            .display()
        );
    }
    Ok(())
}

fn path(args: &PathArgs, store: &Store, global: &Global) -> Result<(), Error> {
    if global.json {
        let value = serde_json::json!({
            "dir": store.dir(),
            "cert_file": store.ca_cert_path(),
            "key_file": store.ca_key_path(),
            "intermediate_cert_file": store.intermediate_cert_path(),
            "intermediate_key_file": store.intermediate_key_path(),
            "serve_dir": store.serve_dir(),
        });
        out!("{value:#}");
    } else if args.cert {
        out!("{}", store.ca_cert_path().display());
    } else if args.key {
        out!("{}", store.ca_key_path().display());
    } else {
        out!("{}", store.dir().display());
    }
    Ok(())
}

fn unix(now: UnixTime) -> i64 {
    i64::try_from(now.as_secs()).unwrap_or(i64::MAX)
}
