//! Name constraints: what a dev CA may issue for, so a leaked CA key cannot mint certificates for
//! other domains.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use x509_parser::extensions::{GeneralName, NameConstraints as X509NameConstraints};

use crate::names::{parse_dns, Name};
use crate::Error;

/// One subtree of a name constraint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subtree {
    /// A DNS suffix: `example.test` covers it and every name below; `.example.test` only names
    /// below; the empty string covers every DNS name.
    Dns(String),
    /// An IP range as address and prefix length.
    Ip(IpAddr, u8),
    /// Email addresses (rfc822Name, RFC 5280 4.2.1.10): `me@example.test` that mailbox,
    /// `example.test` any mailbox on that host, `.example.test` any mailbox below it, the empty
    /// string every address.
    Email(String),
    /// URIs by their host, as for email: `example.test`, `.example.test`, or the empty string for
    /// every URI.
    Uri(String),
    /// A constraint of another kind (e.g. a directory name), kept for display only.
    Other(String),
}

impl fmt::Display for Subtree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subtree::Dns(d) if d.is_empty() => f.write_str("DNS:(all names)"),
            Subtree::Dns(d) => write!(f, "DNS:{d}"),
            Subtree::Ip(ip, prefix) => write!(f, "IP:{ip}/{prefix}"),
            Subtree::Email(e) if e.is_empty() => f.write_str("email:(all addresses)"),
            Subtree::Email(e) => write!(f, "email:{e}"),
            Subtree::Uri(u) if u.is_empty() => f.write_str("URI:(all URIs)"),
            Subtree::Uri(u) => write!(f, "URI:{u}"),
            Subtree::Other(s) => f.write_str(s),
        }
    }
}

impl Subtree {
    /// Whether `name` falls in this subtree; `None` when they are of different types.
    fn matches(&self, name: &Name) -> Option<bool> {
        match (self, name) {
            (Subtree::Email(base), Name::Email(_)) | (Subtree::Uri(base), Name::Uri(_))
                if base == NOWHERE =>
            {
                Some(false)
            }
            (Subtree::Dns(base), Name::Dns(dns)) => Some(dns_within(dns, base)),
            (Subtree::Ip(net, prefix), Name::Ip(ip)) => Some(ip_within(*ip, *net, *prefix)),
            (Subtree::Email(base), Name::Email(email)) => Some(email_within(email, base)),
            (Subtree::Uri(base), Name::Uri(uri)) => {
                Some(uri_host(uri).is_some_and(|host| host_within(host, base)))
            }
            _ => None,
        }
    }
}

/// Hosts under the reserved `.invalid` top-level domain (RFC 6761), where no real host lies: the
/// one email and URI subtree a CA that may not issue those names permits, so OpenSSL and Go
/// refuse every other email address and URI. (An empty excluded base would not do: OpenSSL reads
/// it as matching nothing, and pkilint calls it invalid syntax.) This crate issues none of them.
const NOWHERE: &str = ".none.invalid";

/// Permitted and excluded subtrees, as in RFC 5280's NameConstraints extension.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NameConstraints {
    /// Names must fall in one of these (per name type that has any entry).
    pub permitted: Vec<Subtree>,
    /// Names must fall in none of these.
    pub excluded: Vec<Subtree>,
}

impl NameConstraints {
    /// Builds constraints from user entries such as `example.test`, `.dev.test`, `127.0.0.1`,
    /// `10.0.0.0/8` or `::1`. A domain permits DNS names, email addresses and URI hosts in it;
    /// an IP range permits addresses in it. Every name type no entry covers is shut out for
    /// OpenSSL and Go alike: with only domains no IP address can be issued, with only IP ranges
    /// no DNS name, email address or URI.
    pub fn permit<S: AsRef<str>>(entries: &[S]) -> Result<NameConstraints, Error> {
        let mut permitted = Vec::new();
        let mut email = Vec::new();
        let mut uri = Vec::new();
        for entry in entries {
            let subtree = parse_subtree(entry.as_ref())?;
            if let Subtree::Dns(domain) = &subtree {
                let below = match domain.starts_with('.') {
                    true => domain.clone(),
                    false => format!(".{domain}"),
                };
                for base in [domain.clone(), below] {
                    if !email.contains(&Subtree::Email(base.clone())) {
                        email.push(Subtree::Email(base.clone()));
                        uri.push(Subtree::Uri(base));
                    }
                }
            }
            if !permitted.contains(&subtree) {
                permitted.push(subtree);
            }
        }
        if permitted.is_empty() {
            return Err(Error::InvalidConstraint {
                input: String::new(),
                reason: "list at least one domain or IP range to permit",
            });
        }
        let mut excluded = Vec::new();
        if !permitted.iter().any(|s| matches!(s, Subtree::Ip(..))) {
            excluded.push(Subtree::Ip(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0));
            excluded.push(Subtree::Ip(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0));
        }
        if email.is_empty() {
            permitted.push(Subtree::Email(NOWHERE.into()));
            permitted.push(Subtree::Uri(NOWHERE.into()));
            excluded.push(Subtree::Dns(String::new()));
        }
        permitted.extend(email);
        permitted.extend(uri);
        Ok(NameConstraints {
            permitted,
            excluded,
        })
    }

    /// The entries for [`NameConstraints::permit`] that permit exactly these names: DNS names
    /// (wildcards as their domain), IP addresses and email domains; URIs add nothing.
    pub fn entries_for(names: &[Name]) -> Result<Vec<String>, Error> {
        let mut entries: Vec<String> = Vec::new();
        for name in names {
            let entry = match name {
                Name::Dns(dns) => dns.strip_prefix("*.").unwrap_or(dns).to_string(),
                Name::Ip(ip) => ip.to_string(),
                Name::Email(email) => email.rsplit('@').next().unwrap_or_default().to_string(),
                Name::Uri(_) => continue,
            };
            if !entries.contains(&entry) {
                entries.push(entry);
            }
        }
        if entries.is_empty() {
            return Err(Error::NothingToConstrain);
        }
        Ok(entries)
    }

    /// Whether no subtree is listed at all.
    pub fn is_empty(&self) -> bool {
        self.permitted.is_empty() && self.excluded.is_empty()
    }

    /// Fails with a clear error when `name` is outside these constraints.
    pub fn check(&self, name: &Name) -> Result<(), Error> {
        let outside = || Error::OutsideNameConstraints {
            name: name.value(),
            permitted: self.describe_permitted(),
        };
        if self.excluded.iter().any(|s| s.matches(name) == Some(true)) {
            return Err(outside());
        }
        let mut same_type = self
            .permitted
            .iter()
            .chain(&self.excluded)
            .filter_map(|s| s.matches(name))
            .peekable();
        let constrained = same_type.peek().is_some();
        if constrained && uri_host_unusable(name) {
            // Go and OpenSSL refuse such a URI under any constraint of its type.
            return Err(outside());
        }
        let mut permitted = self
            .permitted
            .iter()
            .filter_map(|s| s.matches(name))
            .peekable();
        if permitted.peek().is_some() && !permitted.any(|m| m) {
            return Err(outside());
        }
        Ok(())
    }

    fn describe_permitted(&self) -> String {
        let parts: Vec<String> = self
            .permitted
            .iter()
            .filter(|s| !matches!(s, Subtree::Email(b) | Subtree::Uri(b) if b == NOWHERE))
            .map(|s| s.to_string())
            .collect();
        if parts.is_empty() {
            return "(nothing listed)".into();
        }
        parts.join(", ")
    }

    /// The DER NameConstraints extension value. rcgen writes no URI subtrees, so it is encoded
    /// here with the `der` crate.
    pub(crate) fn to_extension(&self) -> Result<rcgen::CustomExtension, Error> {
        let failed =
            |e: der::Error| Error::Generation(format!("cannot encode the name constraints: {e}"));
        let permitted = encode::subtrees(&self.permitted).map_err(failed)?;
        let excluded = encode::subtrees(&self.excluded).map_err(failed)?;
        let value = encode::NameConstraintsDer {
            permitted: (!permitted.is_empty()).then_some(permitted),
            excluded: (!excluded.is_empty()).then_some(excluded),
        };
        let der = der::Encode::to_der(&value).map_err(failed)?;
        let mut ext = rcgen::CustomExtension::from_oid_content(OID_NAME_CONSTRAINTS, der);
        ext.set_criticality(true);
        Ok(ext)
    }

    /// The constraints in a NameConstraints extension written by [`to_extension`](Self::to_extension).
    pub(crate) fn from_extension(ext: &rcgen::CustomExtension) -> Option<NameConstraints> {
        if !ext
            .oid_components()
            .eq(OID_NAME_CONSTRAINTS.iter().copied())
        {
            return None;
        }
        let nc: encode::NameConstraintsDer = der::Decode::from_der(ext.content()).ok()?;
        let trees = |t: Option<Vec<encode::GeneralSubtree>>| {
            t.unwrap_or_default()
                .iter()
                .map(encode::GeneralSubtree::to_subtree)
                .collect()
        };
        Some(NameConstraints {
            permitted: trees(nc.permitted),
            excluded: trees(nc.excluded),
        })
    }

    pub(crate) fn from_x509(nc: &X509NameConstraints<'_>) -> NameConstraints {
        let conv = |trees: &Option<Vec<x509_parser::extensions::GeneralSubtree<'_>>>| {
            trees
                .iter()
                .flatten()
                .map(|t| subtree_from_general(&t.base))
                .collect()
        };
        NameConstraints {
            permitted: conv(&nc.permitted_subtrees),
            excluded: conv(&nc.excluded_subtrees),
        }
    }
}

/// id-ce-nameConstraints (2.5.29.30).
const OID_NAME_CONSTRAINTS: &[u64] = &[2, 5, 29, 30];

/// NameConstraints (RFC 5280 4.2.1.10) in the `der` crate's terms, for the name types this crate
/// writes.
mod encode {
    use alloc::string::ToString;
    use alloc::vec::Vec;
    use core::net::IpAddr;

    use der::asn1::{Ia5String, OctetString};

    use super::Subtree;

    #[derive(der::Sequence)]
    pub(super) struct NameConstraintsDer {
        #[asn1(
            context_specific = "0",
            optional = "true",
            tag_mode = "IMPLICIT",
            constructed = "true"
        )]
        pub(super) permitted: Option<Vec<GeneralSubtree>>,
        #[asn1(
            context_specific = "1",
            optional = "true",
            tag_mode = "IMPLICIT",
            constructed = "true"
        )]
        pub(super) excluded: Option<Vec<GeneralSubtree>>,
    }

    #[derive(der::Sequence)]
    pub(super) struct GeneralSubtree {
        base: GeneralName,
    }

    impl GeneralSubtree {
        /// The subtree as [`to_extension`](super::NameConstraints::to_extension) wrote it.
        pub(super) fn to_subtree(&self) -> Subtree {
            match &self.base {
                GeneralName::Dns(d) => Subtree::Dns(d.to_string().to_ascii_lowercase()),
                GeneralName::Email(e) => Subtree::Email(e.to_string()),
                GeneralName::Uri(u) => Subtree::Uri(u.to_string().to_ascii_lowercase()),
                GeneralName::Ip(bytes) => super::ip_subtree(bytes.as_bytes()),
            }
        }
    }

    #[derive(der::Choice)]
    enum GeneralName {
        #[asn1(context_specific = "1", tag_mode = "IMPLICIT")]
        Email(Ia5String),
        #[asn1(context_specific = "2", tag_mode = "IMPLICIT")]
        Dns(Ia5String),
        #[asn1(context_specific = "6", tag_mode = "IMPLICIT")]
        Uri(Ia5String),
        #[asn1(context_specific = "7", tag_mode = "IMPLICIT")]
        Ip(OctetString),
    }

    /// The subtrees of the types this crate writes (others are only ever read).
    pub(super) fn subtrees(trees: &[Subtree]) -> der::Result<Vec<GeneralSubtree>> {
        trees
            .iter()
            .filter_map(|t| {
                let base = match t {
                    Subtree::Dns(d) => Ia5String::new(d).map(GeneralName::Dns),
                    Subtree::Email(e) => Ia5String::new(e).map(GeneralName::Email),
                    Subtree::Uri(u) => Ia5String::new(u).map(GeneralName::Uri),
                    Subtree::Ip(ip, prefix) => {
                        OctetString::new(address_and_mask(*ip, *prefix)).map(GeneralName::Ip)
                    }
                    Subtree::Other(_) => return None,
                };
                Some(base.map(|base| GeneralSubtree { base }))
            })
            .collect()
    }

    /// The address followed by its netmask, as the iPAddress form of a subtree carries a range.
    fn address_and_mask(ip: IpAddr, prefix: u8) -> Vec<u8> {
        let mut out = match ip {
            IpAddr::V4(a) => a.octets().to_vec(),
            IpAddr::V6(a) => a.octets().to_vec(),
        };
        for i in 0..out.len() {
            let ones = u32::from(prefix).saturating_sub(8 * i as u32).min(8);
            out.push((0xff00u16 >> ones) as u8);
        }
        out
    }
}

fn subtree_from_general(name: &GeneralName<'_>) -> Subtree {
    match name {
        GeneralName::DNSName(d) => Subtree::Dns(d.to_ascii_lowercase()),
        GeneralName::IPAddress(bytes) => ip_subtree(bytes),
        GeneralName::RFC822Name(e) => Subtree::Email(e.to_string()),
        GeneralName::URI(u) => Subtree::Uri(u.to_ascii_lowercase()),
        other => Subtree::Other(format!("{other}")),
    }
}

/// The iPAddress form of a subtree: an address followed by its netmask.
fn ip_subtree(bytes: &[u8]) -> Subtree {
    match bytes.len() {
        8 => {
            let addr: [u8; 4] = bytes[..4].try_into().unwrap_or_default();
            ip_range(IpAddr::from(addr), &bytes[4..])
        }
        32 => {
            let addr: [u8; 16] = bytes[..16].try_into().unwrap_or_default();
            ip_range(IpAddr::from(addr), &bytes[16..])
        }
        _ => Subtree::Other(format!("IP:(malformed, {} bytes)", bytes.len())),
    }
}

/// An address with its netmask as a range: the prefix is the mask's leading one bits.
fn ip_range(addr: IpAddr, mask: &[u8]) -> Subtree {
    let ones = mask
        .iter()
        .map_while(|b| (*b == 0xff).then_some(8))
        .sum::<u32>();
    let partial = mask.get(ones as usize / 8).map_or(0, |b| b.leading_ones());
    Subtree::Ip(addr, (ones + partial) as u8)
}

fn parse_subtree(input: &str) -> Result<Subtree, Error> {
    let s = input.trim();
    let bad = |reason| Error::InvalidConstraint {
        input: input.to_string(),
        reason,
    };
    if s.is_empty() {
        return Err(bad(
            "an empty entry names nothing: give a domain such as example.test or an IP range such as 10.0.0.0/8",
        ));
    }
    if let Some((addr, prefix)) = s.split_once('/') {
        let ip: IpAddr = addr
            .parse()
            .map_err(|_| bad("not an IP address before the /"))?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|p| *p <= max)
            .ok_or(bad("the prefix length after / is out of range"))?;
        let network = network_of(ip, prefix);
        if network != ip {
            return Err(Error::ConstraintHostBits {
                input: input.to_string(),
                network: format!("{network}/{prefix}"),
            });
        }
        return Ok(Subtree::Ip(ip, prefix));
    }
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok(Subtree::Ip(ip, if ip.is_ipv4() { 32 } else { 128 }));
    }
    if s.starts_with("*.") {
        return Err(bad(
            "write the domain without `*.`: example.test permits it and all names below it",
        ));
    }
    let (dot, rest) = match s.strip_prefix('.') {
        Some(rest) => (".", rest),
        None => ("", s),
    };
    let dns = parse_dns(rest, false).map_err(bad)?;
    Ok(Subtree::Dns(format!("{dot}{dns}")))
}

/// `ip` with every bit after the first `prefix` cleared.
fn network_of(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(a) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask))
        }
        IpAddr::V6(a) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask))
        }
    }
}

/// RFC 5280 host matching for email and URI subtrees: `example.test` is that host only,
/// `.example.test` any host below it, the empty base every host.
fn host_within(host: &str, base: &str) -> bool {
    let host = host.to_ascii_lowercase();
    let base = base.to_ascii_lowercase();
    if base.is_empty() {
        return true;
    }
    if base.starts_with('.') {
        return host.ends_with(&base) && host.len() > base.len();
    }
    host == base
}

fn email_within(email: &str, base: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    match base.rsplit_once('@') {
        Some((base_local, base_host)) => {
            local == base_local && domain.eq_ignore_ascii_case(base_host)
        }
        None => host_within(domain, base),
    }
}

/// The host of a `scheme://[userinfo@]host[:port]/...` URI, without brackets.
fn uri_host(uri: &str) -> Option<&str> {
    let (_, rest) = uri.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host_port.strip_prefix('[') {
        Some(bracketed) => bracketed.split_once(']').map(|(h, _)| h)?,
        None => host_port.split(':').next().unwrap_or_default(),
    };
    (!host.is_empty()).then_some(host)
}

/// A URI that no URI constraint can judge: no host, or an IP address as its host.
fn uri_host_unusable(name: &Name) -> bool {
    match name {
        Name::Uri(uri) => uri_host(uri).is_none_or(|h| h.parse::<IpAddr>().is_ok()),
        _ => false,
    }
}

fn dns_within(name: &str, base: &str) -> bool {
    let name = name.to_ascii_lowercase();
    if base.is_empty() {
        return true;
    }
    if let Some(suffix) = base.strip_prefix('.') {
        return name.ends_with(base) && name.len() > suffix.len() + 1;
    }
    name == base || name.ends_with(&format!(".{base}"))
}

fn ip_within(ip: IpAddr, net: IpAddr, prefix: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}
