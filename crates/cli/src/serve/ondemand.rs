//! Certificates on demand for `selfsign serve --on-demand PATTERN` (and the hosts of routes):
//! a leaf from the local CA the first time an allowed name arrives in SNI, kept in
//! `<data dir>/serve/on-demand/`, and renewed in the running server, like the default leaf.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;
use selfsign_core::{Ca, LeafOptions, Name, UnixTime, Usage};
use selfsign_server::{HostPatterns, Leaf, LeafSource, OnDemand, OnDemandLimits};

use super::{ders, kept_identity, load_kept, Identity};
use crate::files::{self, Output, Secrecy};
use crate::store::{create_private_dir, Store};
use crate::Error;

/// The allowed names from `--on-demand` values. Routes add their hosts with
/// [`HostPatterns::allow`] before [`resolving`] is called.
pub fn patterns(given: &[String]) -> Result<HostPatterns, Error> {
    let mut patterns = HostPatterns::new();
    for p in given {
        patterns
            .allow(p)
            .map_err(|e| Error::Usage(format!("--on-demand: {e}")))?;
    }
    Ok(patterns)
}

/// Allows the host of a `--route HOST=...` (routes imply their hosts get certificates): a port
/// is ignored, and IP addresses and `localhost` are left to the default certificate, which
/// covers `localhost`, `127.0.0.1` and `::1`; any other host must be a DNS name or `*.` pattern.
pub fn allow_route_host(patterns: &mut HostPatterns, host: &str) -> Result<(), Error> {
    let host = host.trim();
    let bare = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(rest),
        None => match host.rsplit_once(':') {
            Some((name, port)) if !name.contains(':') && port.parse::<u16>().is_ok() => name,
            _ => host,
        },
    };
    if bare.parse::<std::net::IpAddr>().is_ok() || bare.eq_ignore_ascii_case("localhost") {
        return Ok(());
    }
    patterns
        .allow(bare)
        .map_err(|e| Error::Usage(format!("--route {host}: {e}")))
}

/// What the resolver needs to know about the default identity.
pub struct DefaultIdentity<'a> {
    /// The certificate served when SNI names nothing allowed.
    pub identity: &'a Identity,
    /// The identity is the kept leaf (renewed from the data directory), with these extra names.
    pub kept_names: Option<&'a [String]>,
}

/// `config` choosing certificates by SNI when names are allowed on demand or the default
/// identity is the kept leaf (which is then renewed without a restart); else `config` itself.
pub fn resolving(
    config: Arc<ServerConfig>,
    patterns: HostPatterns,
    default: DefaultIdentity<'_>,
    store: Option<Store>,
    now: UnixTime,
) -> Result<Arc<ServerConfig>, Error> {
    let Some(store) = store else {
        return Ok(config);
    };
    if patterns.is_empty() && default.kept_names.is_none() {
        return Ok(config);
    }
    let limits = OnDemandLimits::default();
    let (ca, _) = store.load_or_create_ca(now)?;
    let dir = store.serve_dir().join("on-demand");
    create_private_dir(&dir)?;
    let kept = count_kept(&dir)?;
    let source = StoreLeaves {
        ca,
        store,
        default_names: default.kept_names.unwrap_or_default().to_vec(),
        room: AtomicUsize::new(limits.max_names.saturating_sub(kept)),
        dir,
    };
    let resolver = Arc::new(
        OnDemand::new(
            leaf_of(default.identity, now)?,
            patterns,
            Arc::new(source),
            default.kept_names.is_some(),
        )?
        .with_limits(limits),
    );
    Ok(resolver.install(&config))
}

/// Leaves kept for on-demand names, issued by the local CA when missing or due for renewal.
struct StoreLeaves {
    ca: Ca,
    store: Store,
    default_names: Vec<String>,
    dir: PathBuf,
    /// New names that may still be written to `dir`.
    room: AtomicUsize,
}

impl std::fmt::Debug for StoreLeaves {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreLeaves")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl LeafSource for StoreLeaves {
    fn leaf(&self, name: Option<&str>, now: u64) -> Result<Leaf, String> {
        let now = UnixTime::since_unix_epoch(Duration::from_secs(now));
        let identity = match name {
            None => kept_identity(&self.store, &self.default_names, now),
            Some(name) => self.named(name, now),
        };
        identity
            .and_then(|id| leaf_of(&id, now))
            .map_err(|e| e.to_string())
    }
}

impl StoreLeaves {
    /// The kept leaf for `name`, or a new one written next to it (replacing a stale one).
    fn named(&self, name: &str, now: UnixTime) -> Result<Identity, Error> {
        let cert_file = self.dir.join(format!("{name}.pem"));
        let key_file = self.dir.join(format!("{name}-key.pem"));
        let wanted = BTreeSet::from([Name::parse(name)?.to_string()]);
        if let Some(identity) = load_kept(&cert_file, &key_file, &self.ca, &wanted, now) {
            return Ok(identity);
        }
        let new_name = !files::exists(&cert_file);
        if new_name
            && self
                .room
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_err()
        {
            return Err(Error::Usage(format!(
                "{} already holds {} certificates; delete the ones no longer needed",
                self.dir.display(),
                OnDemandLimits::default().max_names
            )));
        }
        let issued = self
            .ca
            .issue(&LeafOptions::new([name]).usage(Usage::Server), now)?;
        let (key_pem, cert_pem) = (issued.key.private_key_pem(), issued.certificate.pem());
        // These files belong to selfsign serve: replacing a stale leaf needs no --force.
        files::write_set(
            &[
                Output {
                    path: &key_file,
                    contents: key_pem.as_bytes(),
                    secrecy: Secrecy::Secret,
                },
                Output {
                    path: &cert_file,
                    contents: cert_pem.as_bytes(),
                    secrecy: Secrecy::Public,
                },
            ],
            true,
        )?;
        tracing::info!("issued {} for {name}", cert_file.display());
        Ok(Identity {
            chain: vec![issued.certificate],
            key: issued.key,
            cert_file,
            ca_file: None,
        })
    }
}

/// Certificates kept in `dir` (one `NAME.pem` per name).
fn count_kept(dir: &Path) -> Result<usize, Error> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    Ok(entries
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.ends_with(".pem") && !name.ends_with("-key.pem")
        })
        .count())
}

/// An identity as the server library takes it.
fn leaf_of(identity: &Identity, now: UnixTime) -> Result<Leaf, Error> {
    let info = identity.chain[0].inspect(now)?;
    Ok(Leaf {
        chain: ders(&identity.chain),
        key: identity.key.private_key_der(),
        not_before: u64::try_from(info.not_before).unwrap_or(0),
        not_after: u64::try_from(info.not_after).unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_hosts_are_allowed_without_port_and_addresses_are_left_to_the_default() {
        let mut p = HostPatterns::new();
        for host in [
            "app.localhost:8443",
            "API.test",
            "*.dev.localhost",
            "127.0.0.1:3000",
            "[::1]:8443",
            "::1",
            "localhost",
        ] {
            allow_route_host(&mut p, host).unwrap();
        }
        assert!(p.permits("app.localhost"));
        assert!(p.permits("api.test"));
        assert!(p.permits("x.dev.localhost"));
        assert!(!p.permits("localhost"));
        assert_eq!(p.describe().len(), 3);
        assert!(allow_route_host(&mut p, "bad host").is_err());
    }
}
