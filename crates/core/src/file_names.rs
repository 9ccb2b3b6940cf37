//! File names for what selfsign writes, as mkcert chooses them: `localhost+2.pem`,
//! `localhost+2-key.pem`, `rootCA.pem`. The CLI and the page name files with this, so the same
//! names give the same files.

use alloc::format;
use alloc::string::String;

use crate::{Name, Usage};

/// The names of one certificate's files, from a common stem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileNames {
    stem: String,
}

impl FileNames {
    /// A leaf's files: the first name (IDNs in punycode, `*` as `_wildcard`, any character but
    /// ASCII letters, digits, `.`, `-`, `_` and `@` as `_`), `+N` for N more names, and
    /// `-client` for client certificates.
    pub fn leaf(names: &[Name], usage: Usage) -> Self {
        let first = names.first().map(Name::value).unwrap_or_default();
        let mut stem: String = first
            .replace('*', "_wildcard")
            .chars()
            .map(|c| match c {
                'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '-' | '_' | '@' => c,
                _ => '_',
            })
            .collect();
        if stem.is_empty() {
            stem.insert_str(0, "cert");
        }
        if names.len() > 1 {
            stem.push_str(&format!("+{}", names.len() - 1));
        }
        if usage == Usage::Client {
            stem.push_str("-client");
        }
        FileNames { stem }
    }

    /// A root CA's files: `rootCA.pem` and `rootCA-key.pem`.
    pub fn ca() -> Self {
        FileNames {
            stem: "rootCA".into(),
        }
    }

    /// The stem every name starts with, e.g. `localhost+2`.
    pub fn stem(&self) -> &str {
        &self.stem
    }

    /// The certificate, e.g. `localhost+2.pem`.
    pub fn certificate(&self) -> String {
        format!("{}.pem", self.stem)
    }

    /// The private key, e.g. `localhost+2-key.pem`.
    pub fn key(&self) -> String {
        format!("{}-key.pem", self.stem)
    }

    /// The certificate followed by its issuers, e.g. `localhost+2-chain.pem`.
    pub fn chain(&self) -> String {
        format!("{}-chain.pem", self.stem)
    }

    /// A certificate signing request, e.g. `localhost+2.csr`.
    pub fn csr(&self) -> String {
        format!("{}.csr", self.stem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_names;

    fn stem(names: &[&str], usage: Usage) -> String {
        let names = parse_names(names).expect("valid names");
        FileNames::leaf(&names, usage).stem().into()
    }

    #[test]
    fn leaf_names_follow_mkcert() {
        let files = FileNames::leaf(
            &parse_names(&["localhost", "127.0.0.1", "::1"]).unwrap(),
            Usage::Server,
        );
        assert_eq!(files.certificate(), "localhost+2.pem");
        assert_eq!(files.key(), "localhost+2-key.pem");
        assert_eq!(files.chain(), "localhost+2-chain.pem");
        assert_eq!(files.csr(), "localhost+2.csr");
    }

    #[test]
    fn wildcards_colons_unicode_and_client_certificates_get_safe_names() {
        assert_eq!(
            stem(&["*.example.test"], Usage::Client),
            "_wildcard.example.test-client"
        );
        assert_eq!(stem(&["::1"], Usage::Server), "__1");
        assert_eq!(
            stem(&["spiffe://a.test/x"], Usage::Both),
            "spiffe___a.test_x"
        );
        assert_eq!(
            stem(&["bücher.example.test", "a.test"], Usage::Server),
            "xn--bcher-kva.example.test+1"
        );
        assert_eq!(stem(&["a.test", "a.test"], Usage::Server), "a.test");
    }

    #[test]
    fn ca_files_are_root_ca() {
        assert_eq!(FileNames::ca().certificate(), "rootCA.pem");
        assert_eq!(FileNames::ca().key(), "rootCA-key.pem");
    }
}
