//! Certificates chosen by SNI: a default identity, and leaves issued on demand for the names a
//! set of host patterns allows, cached, renewed before they expire, and bounded in number and
//! rate so that a client cycling SNI names can make the CA sign neither arbitrary names nor
//! unbounded numbers of them.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;
use rustls_pki_types::{CertificateDer, DnsName, PrivateKeyDer};

use crate::hosts::{self, HostMap};
use crate::Error;

/// The time in Unix seconds; the server reads it through this so tests can move it.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Seconds since the Unix epoch.
    fn now(&self) -> u64;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }
}

/// A certificate chain, its key and its validity period.
#[derive(Debug)]
pub struct Leaf {
    /// The leaf first, then any intermediates.
    pub chain: Vec<CertificateDer<'static>>,
    /// The leaf's private key.
    pub key: PrivateKeyDer<'static>,
    /// Start of validity, Unix seconds.
    pub not_before: u64,
    /// End of validity, Unix seconds.
    pub not_after: u64,
}

/// Where leaves come from: kept copies, or a CA that issues them.
pub trait LeafSource: Send + Sync + fmt::Debug {
    /// A leaf for `name` (`None`: the default identity) that [`needs_renewal`] does not flag at
    /// `now`: a kept one, or a newly issued one. `name` is always one the patterns allow.
    fn leaf(&self, name: Option<&str>, now: u64) -> Result<Leaf, String>;
}

/// Whether a certificate valid from `not_before` to `not_after` should be replaced at `now`:
/// when less than a third of its validity is left (or it is not valid at all).
pub fn needs_renewal(not_before: u64, not_after: u64, now: u64) -> bool {
    let third = not_after.saturating_sub(not_before) / 3;
    now < not_before || now.saturating_add(third) >= not_after
}

/// Host names certificates may be issued for: exact names and `*.SUFFIX`, where the `*` stands
/// for exactly one label (`*.localhost` allows `app.localhost`, not `a.b.localhost` and not
/// `localhost`), as in mkcert, Caddy and certificate wildcards; proxy routes match the same way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostPatterns(HostMap<()>);

impl HostPatterns {
    /// No name allowed.
    pub fn new() -> HostPatterns {
        HostPatterns::default()
    }

    /// Allows `pattern`: a DNS name, or `*.` followed by one (case does not matter).
    pub fn allow(&mut self, pattern: &str) -> Result<(), Error> {
        let bad = |reason: &str| Error::HostPattern {
            pattern: pattern.to_string(),
            reason: reason.to_string(),
        };
        let lower = hosts::normalize(pattern);
        let name = lower.strip_prefix("*.").unwrap_or(&lower);
        if name.contains('*') {
            return Err(bad(
                "only one leading `*.` label may be a wildcard, as in *.localhost",
            ));
        }
        if name.parse::<std::net::IpAddr>().is_ok() || DnsName::try_from(name).is_err() {
            return Err(bad(
                "not a DNS name (letters, digits, '-' and dots, like app.localhost or *.localhost)",
            ));
        }
        self.0.insert(&lower, ());
        Ok(())
    }

    /// Whether nothing is allowed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `host` (a lower-case DNS name) is allowed.
    pub fn permits(&self, host: &str) -> bool {
        self.0.get(host).is_some()
    }

    /// The patterns, for messages.
    pub fn describe(&self) -> Vec<String> {
        self.0.patterns().collect()
    }
}

/// Bounds on issuing: how many names are kept and how fast new ones may be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OnDemandLimits {
    /// Names with a certificate of their own; beyond it new names get the default certificate.
    pub max_names: usize,
    /// New names (and renewals) that may be fetched from the source at once.
    pub burst: u32,
    /// Seconds for one more to be allowed after the burst is used up.
    pub refill_secs: u64,
}

impl Default for OnDemandLimits {
    fn default() -> OnDemandLimits {
        OnDemandLimits {
            max_names: 1000,
            burst: 30,
            refill_secs: 2,
        }
    }
}

/// A certificate ready for rustls and when to renew it.
#[derive(Debug)]
struct Entry {
    key: Arc<CertifiedKey>,
    not_before: u64,
    not_after: u64,
    /// A failed renewal is not retried before this.
    retry_at: u64,
}

/// What changes while serving.
#[derive(Debug)]
struct State {
    default: Entry,
    names: HashMap<String, Entry>,
    tokens: u32,
    refilled_at: u64,
    fetched: u64,
}

/// Picks the certificate by SNI, fetching one from a [`LeafSource`] the first time an allowed
/// name is seen; unknown names and clients without SNI get the default certificate.
pub struct OnDemand {
    patterns: HostPatterns,
    source: Arc<dyn LeafSource>,
    clock: Arc<dyn Clock>,
    provider: Arc<CryptoProvider>,
    limits: OnDemandLimits,
    renew_default: bool,
    state: Mutex<State>,
}

impl fmt::Debug for OnDemand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnDemand")
            .field("patterns", &self.patterns)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// Seconds before a failed fetch for the same name is tried again.
const RETRY_SECS: u64 = 60;

impl OnDemand {
    /// Serves `default` to clients whose name is not allowed, and leaves from `source` to the
    /// others; `renew_default` also renews the default from `source` (`leaf(None, now)`).
    pub fn new(
        default: Leaf,
        patterns: HostPatterns,
        source: Arc<dyn LeafSource>,
        renew_default: bool,
    ) -> Result<OnDemand, Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let default = entry(&provider, default).map_err(Error::Key)?;
        let limits = OnDemandLimits::default();
        Ok(OnDemand {
            patterns,
            source,
            clock: Arc::new(SystemClock),
            provider,
            limits,
            renew_default,
            state: Mutex::new(State {
                default,
                names: HashMap::new(),
                tokens: limits.burst,
                refilled_at: 0,
                fetched: 0,
            }),
        })
    }

    /// Reads the time from `clock` instead of the system clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> OnDemand {
        self.clock = clock;
        self
    }

    /// Replaces the default bounds.
    pub fn with_limits(mut self, limits: OnDemandLimits) -> OnDemand {
        self.limits = limits;
        self.state
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .tokens = limits.burst;
        self
    }

    /// Names that have a certificate of their own.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.lock().names.keys().cloned().collect();
        names.sort();
        names
    }

    /// How many leaves were taken from the source (new names and renewals, default included).
    pub fn fetched(&self) -> u64 {
        self.lock().fetched
    }

    /// `config` answering with this resolver instead of its single certificate.
    pub fn install(self: Arc<Self>, config: &Arc<ServerConfig>) -> Arc<ServerConfig> {
        let mut config = (**config).clone();
        config.cert_resolver = self;
        Arc::new(config)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The certificate for `sni` at `now`, fetching or renewing as allowed.
    fn pick(&self, sni: Option<&str>, now: u64) -> Arc<CertifiedKey> {
        let host = sni.map(hosts::normalize);
        let host = host.filter(|h| self.patterns.permits(h));
        let mut state = self.lock();
        let state = &mut *state;
        let Some(host) = host else {
            if self.renew_default
                && due(&state.default, now)
                && take_token(state, &self.limits, now)
            {
                if let Some(fresh) = self.fetch(state, None, now) {
                    state.default = fresh;
                } else {
                    state.default.retry_at = now + RETRY_SECS;
                }
            }
            return state.default.key.clone();
        };
        match state.names.get(&host) {
            Some(e) if !due(e, now) => return e.key.clone(),
            Some(_) => {}
            None if state.names.len() >= self.limits.max_names => {
                tracing::warn!(
                    "{host}: already {} names with certificates of their own; serving the default certificate",
                    self.limits.max_names
                );
                return state.default.key.clone();
            }
            None => {}
        }
        if !take_token(state, &self.limits, now) {
            tracing::warn!("{host}: too many new certificates at once; serving the default certificate for now");
            return match state.names.get(&host) {
                Some(e) => e.key.clone(),
                None => state.default.key.clone(),
            };
        }
        match self.fetch(state, Some(&host), now) {
            Some(fresh) => {
                let key = fresh.key.clone();
                state.names.insert(host, fresh);
                key
            }
            None => match state.names.get_mut(&host) {
                Some(old) => {
                    old.retry_at = now + RETRY_SECS;
                    old.key.clone()
                }
                None => state.default.key.clone(),
            },
        }
    }

    fn fetch(&self, state: &mut State, name: Option<&str>, now: u64) -> Option<Entry> {
        state.fetched += 1;
        let what = name.unwrap_or("the default identity");
        let leaf = match self.source.leaf(name, now) {
            Ok(leaf) => leaf,
            Err(e) => {
                tracing::warn!("no certificate for {what}: {e}");
                return None;
            }
        };
        match entry(&self.provider, leaf) {
            Ok(e) => {
                tracing::info!("serving a new certificate for {what}");
                Some(e)
            }
            Err(e) => {
                tracing::warn!("the certificate for {what} cannot be used: {e}");
                None
            }
        }
    }
}

impl ResolvesServerCert for OnDemand {
    fn resolve(&self, client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.pick(client_hello.server_name(), self.clock.now()))
    }
}

fn due(e: &Entry, now: u64) -> bool {
    now >= e.retry_at && needs_renewal(e.not_before, e.not_after, now)
}

/// Takes one token from the bucket, refilled one per `refill_secs`.
fn take_token(state: &mut State, limits: &OnDemandLimits, now: u64) -> bool {
    let step = limits.refill_secs.max(1);
    let earned = now.saturating_sub(state.refilled_at) / step;
    if earned > 0 {
        let earned = u32::try_from(earned).unwrap_or(u32::MAX);
        state.tokens = state.tokens.saturating_add(earned).min(limits.burst);
        state.refilled_at = now;
    }
    if state.tokens == 0 {
        return false;
    }
    state.tokens -= 1;
    true
}

fn entry(provider: &CryptoProvider, leaf: Leaf) -> Result<Entry, rustls::Error> {
    let signer = provider.key_provider.load_private_key(leaf.key)?;
    let key = CertifiedKey::new(leaf.chain, signer);
    key.keys_match()?;
    Ok(Entry {
        key: Arc::new(key),
        not_before: leaf.not_before,
        not_after: leaf.not_after,
        retry_at: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patterns(list: &[&str]) -> HostPatterns {
        let mut p = HostPatterns::new();
        for s in list {
            p.allow(s).unwrap();
        }
        p
    }

    #[test]
    fn a_wildcard_pattern_stands_for_exactly_one_label() {
        let p = patterns(&["*.localhost", "api.test"]);
        assert!(p.permits("app.localhost"));
        assert!(!p.permits("a.b.localhost"));
        assert!(!p.permits("localhost"));
        assert!(!p.permits(".localhost"));
        assert!(p.permits("api.test"));
        assert!(!p.permits("x.api.test"));
        assert!(!p.permits("evil.example"));
    }

    #[test]
    fn patterns_that_are_not_dns_names_are_refused() {
        for bad in [
            "*",
            "*.*.localhost",
            "a.*.localhost",
            "127.0.0.1",
            "",
            "a b",
        ] {
            assert!(HostPatterns::new().allow(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn renewal_is_due_with_a_third_of_the_validity_left() {
        assert!(!needs_renewal(0, 300, 199));
        assert!(needs_renewal(0, 300, 200));
        assert!(needs_renewal(100, 400, 50));
    }
}
