//! Names a certificate covers: DNS names (IDNs as punycode, `*.` wildcards), IPs, emails and URIs.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use core::net::IpAddr;

use crate::Error;

/// One subject alternative name, validated and normalised.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Name {
    /// A DNS name in ASCII (punycode) form, lower case, possibly `*.`-prefixed.
    Dns(String),
    /// An IPv4 or IPv6 address.
    Ip(IpAddr),
    /// An email address (rfc822Name); its domain in ASCII form.
    Email(String),
    /// A URI such as `spiffe://example.test/service`.
    Uri(String),
}

impl Name {
    /// Parses what a user typed: `example.test`, `*.example.test`, `bücher.test`, `127.0.0.1`, `::1`,
    /// `[::1]`, `me@example.test` or `https://example.test/`.
    pub fn parse(input: &str) -> Result<Name, Error> {
        let s = input.trim();
        let bad = |reason| Error::InvalidName {
            input: input.to_string(),
            reason,
        };
        if s.is_empty() {
            return Err(bad("the name is empty"));
        }
        if s.contains("://") {
            return parse_uri(s).map(Name::Uri).map_err(bad);
        }
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Ok(Name::Ip(ip));
        }
        if let Some(inner) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            return inner
                .parse::<IpAddr>()
                .map(Name::Ip)
                .map_err(|_| bad("brackets may only hold an IPv6 address"));
        }
        if let Some((local, domain)) = s.rsplit_once('@') {
            return parse_email(local, domain).map(Name::Email).map_err(bad);
        }
        if s.contains(':') {
            return Err(bad(
                "not a valid IP address, and DNS names cannot contain `:` (leave out any port)",
            ));
        }
        parse_dns(s, true).map(Name::Dns).map_err(bad)
    }

    /// The value as it appears in the certificate (no type prefix).
    pub fn value(&self) -> String {
        match self {
            Name::Dns(s) | Name::Email(s) | Name::Uri(s) => s.clone(),
            Name::Ip(ip) => ip.to_string(),
        }
    }

    pub(crate) fn to_san(&self) -> Result<rcgen::SanType, Error> {
        let ascii = |s: &String| Error::InvalidName {
            input: s.clone(),
            reason: "only ASCII characters are allowed",
        };
        Ok(match self {
            Name::Dns(s) => rcgen::SanType::DnsName(s.clone().try_into().map_err(|_| ascii(s))?),
            Name::Ip(ip) => rcgen::SanType::IpAddress(*ip),
            Name::Email(s) => {
                rcgen::SanType::Rfc822Name(s.clone().try_into().map_err(|_| ascii(s))?)
            }
            Name::Uri(s) => rcgen::SanType::URI(s.clone().try_into().map_err(|_| ascii(s))?),
        })
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Name::Dns(s) => write!(f, "DNS:{s}"),
            Name::Ip(ip) => write!(f, "IP:{ip}"),
            Name::Email(s) => write!(f, "email:{s}"),
            Name::Uri(s) => write!(f, "URI:{s}"),
        }
    }
}

/// Parses a list of user names; an empty list is an error because a SAN is always required.
pub fn parse_names<S: AsRef<str>>(inputs: &[S]) -> Result<Vec<Name>, Error> {
    let mut names: Vec<Name> = Vec::with_capacity(inputs.len());
    for input in inputs {
        let name = Name::parse(input.as_ref())?;
        if !names.contains(&name) {
            names.push(name);
        }
    }
    if names.is_empty() {
        return Err(Error::NoNames);
    }
    Ok(names)
}

/// An internationalised domain name in its ASCII (punycode) form, by UTS 46.
#[cfg(feature = "full")]
fn to_ascii(name: &str) -> Result<String, &'static str> {
    idna::domain_to_ascii(name).map_err(|_| "not a valid internationalised domain name")
}

/// Built without `full` (the page's small module), the core has no Unicode tables: a non-ASCII
/// name is refused, and the page makes such certificates with its full module.
#[cfg(not(feature = "full"))]
fn to_ascii(_: &str) -> Result<String, &'static str> {
    Err("internationalised names need the page's full WebAssembly module, which was not used")
}

/// Checks that the `xn--` labels of `ascii` are A-labels: punycode of a valid internationalised
/// label that encodes back to the same text (RFC 5891 §5.4 by UTS 46).
#[cfg(feature = "full")]
fn check_a_labels(ascii: &str) -> Result<(), &'static str> {
    match idna::domain_to_ascii(ascii) {
        Ok(back) if back == ascii => Ok(()),
        _ => Err("an xn-- label must be the punycode of a valid internationalised name, and this one is not"),
    }
}

/// Built without `full`, the core cannot check punycode against the Unicode tables: an `xn--`
/// label is refused like any internationalised name, and the page uses its full module.
#[cfg(not(feature = "full"))]
fn check_a_labels(_: &str) -> Result<(), &'static str> {
    Err("internationalised names (xn-- labels too) need the page's full WebAssembly module, which was not used")
}

/// Validates a DNS name and returns its lower-case ASCII (punycode) form.
pub(crate) fn parse_dns(s: &str, allow_wildcard: bool) -> Result<String, &'static str> {
    let s = s.strip_suffix('.').unwrap_or(s);
    if s.is_empty() {
        return Err("the name is empty");
    }
    if s.chars().any(char::is_whitespace) {
        return Err("DNS names cannot contain spaces");
    }
    let (wildcard, rest) = match s.strip_prefix("*.") {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    if rest.contains('*') {
        return Err(
            "a wildcard `*` is only allowed as the whole leftmost label, as in *.example.test",
        );
    }
    if wildcard && !allow_wildcard {
        return Err("a wildcard is not allowed here");
    }
    let ascii = if rest.is_ascii() {
        rest.to_ascii_lowercase()
    } else {
        to_ascii(rest)?
    };
    if ascii.len() > 253 {
        return Err("DNS names are at most 253 characters long");
    }
    let labels: Vec<&str> = ascii.split('.').collect();
    for label in &labels {
        if label.is_empty() {
            return Err(
                "a DNS name cannot have an empty label (two dots in a row, or a leading dot)",
            );
        }
        if label.len() > 63 {
            return Err("a DNS label is at most 63 characters long");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("a DNS label cannot start or end with a hyphen");
        }
        if label.contains('_') {
            return Err("underscores are not allowed in host names");
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err("DNS names may only contain letters, digits, hyphens and dots");
        }
    }
    if labels
        .last()
        .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err("looks like an IPv4 address but is not a valid one");
    }
    if labels.iter().any(|l| l.starts_with("xn--")) {
        check_a_labels(&ascii)?;
    }
    if wildcard && labels.len() < 2 {
        return Err(
            "a wildcard must sit below a registrable domain, as in *.example.test, not *.test",
        );
    }
    Ok(if wildcard {
        format!("*.{ascii}")
    } else {
        ascii
    })
}

fn parse_email(local: &str, domain: &str) -> Result<String, &'static str> {
    if local.is_empty() || local.len() > 64 {
        return Err("an email address needs a local part of 1 to 64 characters before the @");
    }
    if !local
        .bytes()
        .all(|b| b.is_ascii_graphic() && !b"@()<>[]\\,;:\"".contains(&b))
    {
        return Err("the part before the @ has characters email addresses cannot use");
    }
    let domain = parse_dns(domain, false)?;
    Ok(format!("{local}@{domain}"))
}

fn parse_uri(s: &str) -> Result<String, &'static str> {
    let (scheme, rest) = s
        .split_once("://")
        .ok_or("a URI needs a scheme, as in https://")?;
    let scheme_ok = scheme
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    if !scheme_ok {
        return Err("the URI scheme must start with a letter and hold only letters, digits, + - .");
    }
    if rest.is_empty() {
        return Err("the URI has nothing after the scheme");
    }
    if !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("URIs may only hold visible ASCII characters (percent-encode the rest)");
    }
    Ok(s.to_string())
}
