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
    /// A DNS suffix: `example.test` covers it and every name below; `.example.test` only names below.
    Dns(String),
    /// An IP range as address and prefix length.
    Ip(IpAddr, u8),
    /// A constraint of another kind (email, URI, directory), kept for display only.
    Other(String),
}

impl fmt::Display for Subtree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subtree::Dns(d) if d.is_empty() => f.write_str("DNS:(all names)"),
            Subtree::Dns(d) => write!(f, "DNS:{d}"),
            Subtree::Ip(ip, prefix) => write!(f, "IP:{ip}/{prefix}"),
            Subtree::Other(s) => f.write_str(s),
        }
    }
}

impl Subtree {
    fn matches(&self, name: &Name) -> Option<bool> {
        match (self, name) {
            (Subtree::Dns(base), Name::Dns(dns)) => Some(dns_within(dns, base)),
            (Subtree::Ip(net, prefix), Name::Ip(ip)) => Some(ip_within(*ip, *net, *prefix)),
            _ => None,
        }
    }
}

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
    /// `10.0.0.0/8` or `::1`. Name types the user did not list are shut out entirely: with only DNS
    /// entries no IP address can be issued, and with only IP entries no DNS name can.
    pub fn permit<S: AsRef<str>>(entries: &[S]) -> Result<NameConstraints, Error> {
        let mut permitted = Vec::new();
        for entry in entries {
            permitted.push(parse_subtree(entry.as_ref())?);
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
        if !permitted.iter().any(|s| matches!(s, Subtree::Dns(_))) {
            excluded.push(Subtree::Dns(String::new()));
        }
        Ok(NameConstraints {
            permitted,
            excluded,
        })
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
            .filter_map(|s| s.matches(name))
            .peekable();
        if same_type.peek().is_some() && !same_type.any(|m| m) {
            return Err(outside());
        }
        Ok(())
    }

    fn describe_permitted(&self) -> String {
        if self.permitted.is_empty() {
            return "(nothing listed)".into();
        }
        let parts: Vec<String> = self.permitted.iter().map(|s| s.to_string()).collect();
        parts.join(", ")
    }

    pub(crate) fn to_rcgen(&self) -> rcgen::NameConstraints {
        let conv = |s: &Subtree| match s {
            Subtree::Dns(d) => Some(rcgen::GeneralSubtree::DnsName(d.clone())),
            Subtree::Ip(ip, prefix) => Some(rcgen::GeneralSubtree::IpAddress(
                rcgen::CidrSubnet::from_addr_prefix(*ip, *prefix),
            )),
            Subtree::Other(_) => None,
        };
        rcgen::NameConstraints {
            permitted_subtrees: self.permitted.iter().filter_map(conv).collect(),
            excluded_subtrees: self.excluded.iter().filter_map(conv).collect(),
        }
    }

    /// The constraints rcgen writes from `nc`, as decoding the certificate reads them back;
    /// `None` for subtrees other than DNS names and IP ranges (this crate writes no others).
    pub(crate) fn from_rcgen(nc: &rcgen::NameConstraints) -> Option<NameConstraints> {
        let conv = |trees: &[rcgen::GeneralSubtree]| {
            trees
                .iter()
                .map(|t| match t {
                    rcgen::GeneralSubtree::DnsName(d) => Some(Subtree::Dns(d.to_ascii_lowercase())),
                    rcgen::GeneralSubtree::IpAddress(rcgen::CidrSubnet::V4(addr, mask)) => {
                        Some(ip_range(IpAddr::from(*addr), mask))
                    }
                    rcgen::GeneralSubtree::IpAddress(rcgen::CidrSubnet::V6(addr, mask)) => {
                        Some(ip_range(IpAddr::from(*addr), mask))
                    }
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()
        };
        Some(NameConstraints {
            permitted: conv(&nc.permitted_subtrees)?,
            excluded: conv(&nc.excluded_subtrees)?,
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

fn subtree_from_general(name: &GeneralName<'_>) -> Subtree {
    match name {
        GeneralName::DNSName(d) => Subtree::Dns(d.to_ascii_lowercase()),
        GeneralName::IPAddress(bytes) => match bytes.len() {
            8 => {
                let addr: [u8; 4] = bytes[..4].try_into().unwrap_or_default();
                ip_range(IpAddr::from(addr), &bytes[4..])
            }
            32 => {
                let addr: [u8; 16] = bytes[..16].try_into().unwrap_or_default();
                ip_range(IpAddr::from(addr), &bytes[16..])
            }
            _ => Subtree::Other(format!("IP:(malformed, {} bytes)", bytes.len())),
        },
        GeneralName::RFC822Name(e) => Subtree::Other(format!("email:{e}")),
        GeneralName::URI(u) => Subtree::Other(format!("URI:{u}")),
        other => Subtree::Other(format!("{other}")),
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
