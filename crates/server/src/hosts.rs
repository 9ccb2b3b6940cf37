//! Host names as handshakes and requests carry them, and the one matching rule for names and
//! `*.SUFFIX` patterns that both on-demand certificates and proxy routes follow: a `*` stands for
//! exactly one label (`*.localhost` matches `app.localhost`, not `a.b.localhost` and not
//! `localhost`), as in mkcert, Caddy and certificate wildcards, and a name's own entry wins over
//! a wildcard's.

use std::collections::BTreeMap;

use rustls_pki_types::DnsName;

/// Values kept by host name or `*.SUFFIX` pattern, looked up by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostMap<T> {
    exact: BTreeMap<String, T>,
    /// Keyed by the suffix after `*.`.
    wild: BTreeMap<String, T>,
}

impl<T> Default for HostMap<T> {
    fn default() -> Self {
        HostMap {
            exact: BTreeMap::new(),
            wild: BTreeMap::new(),
        }
    }
}

impl<T> HostMap<T> {
    /// Keeps `value` for `pattern` (a name, or `*.` and a name; case and a trailing dot do not
    /// matter); gives back the value it replaces.
    pub(crate) fn insert(&mut self, pattern: &str, value: T) -> Option<T> {
        let key = normalize(pattern);
        match key.strip_prefix("*.") {
            Some(suffix) => self.wild.insert(suffix.to_owned(), value),
            None => self.exact.insert(key, value),
        }
    }

    /// The value for `host` (a name as [`normalize`] leaves it): its own, or else the one of the
    /// wildcard whose `*` stands for its first label. Only one wildcard can match a name, since
    /// `*` is exactly one label.
    pub(crate) fn get(&self, host: &str) -> Option<&T> {
        if let Some(v) = self.exact.get(host) {
            return Some(v);
        }
        let (label, suffix) = host.split_once('.')?;
        if label.is_empty() {
            return None;
        }
        self.wild.get(suffix)
    }

    /// Whether nothing is kept.
    pub(crate) fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.wild.is_empty()
    }

    /// The patterns, names first, then wildcards.
    pub(crate) fn patterns(&self) -> impl Iterator<Item = String> + '_ {
        let wild = self.wild.keys().map(|s| format!("*.{s}"));
        self.exact.keys().cloned().chain(wild)
    }
}

/// A host name as matched: lower case, without a trailing dot.
pub fn normalize(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// The host name in a Host field value, as matched: `App.Localhost.:8443` gives
/// `app.localhost`, `[::1]:8443` gives `::1`.
pub(crate) fn field_host(value: &[u8]) -> String {
    let value = value.trim_ascii();
    let name = match value.strip_prefix(b"[") {
        Some(rest) => rest.split(|&b| b == b']').next().unwrap_or(rest),
        None => match value.iter().rposition(|&b| b == b':') {
            Some(i) => &value[..i],
            None => value,
        },
    };
    normalize(&String::from_utf8_lossy(name))
}

/// Whether `name` (normalized) can be given to `--route NAME=...`: an IPv4 address or a DNS name.
pub(crate) fn routable(name: &str) -> bool {
    name.parse::<std::net::Ipv4Addr>().is_ok() || DnsName::try_from(name).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wildcard_stands_for_exactly_one_label_and_a_name_of_its_own_wins() {
        let mut m = HostMap::default();
        m.insert("*.w.localhost", "wild");
        m.insert("*.localhost", "outer");
        m.insert("Exact.W.localhost.", "exact");
        assert_eq!(m.get("a.w.localhost"), Some(&"wild"));
        assert_eq!(m.get("exact.w.localhost"), Some(&"exact"));
        assert_eq!(m.get("w.localhost"), Some(&"outer"));
        assert_eq!(m.get("a.b.w.localhost"), None);
        assert_eq!(m.get("localhost"), None);
        assert_eq!(m.get(".w.localhost"), None);
        assert_eq!(
            m.patterns().collect::<Vec<_>>(),
            ["exact.w.localhost", "*.localhost", "*.w.localhost"]
        );
    }

    #[test]
    fn host_fields_lose_port_case_and_trailing_dot() {
        assert_eq!(field_host(b"app.localhost:8443"), "app.localhost");
        assert_eq!(field_host(b"App.Localhost."), "app.localhost");
        assert_eq!(field_host(b"APP.localhost.:8443"), "app.localhost");
        assert_eq!(field_host(b"[::1]:8443"), "::1");
        assert_eq!(field_host(b""), "");
    }
}
