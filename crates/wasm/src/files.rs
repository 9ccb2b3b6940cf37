//! Suggested file names, as mkcert chooses them: `localhost+2.pem`, `localhost+2-key.pem`,
//! `rootCA.pem`, `rootCA-key.pem`.

use selfsign_core::{Name, Usage};

use crate::results::{CsrFileNames, FileNames};

/// File names for a CA's certificate and key.
pub fn ca() -> FileNames {
    FileNames {
        certificate: "rootCA.pem".into(),
        key: Some("rootCA-key.pem".into()),
        chain: None,
    }
}

/// File names for a leaf: the first name, `+N` for N more, `-client` for client certificates.
pub fn leaf(names: &[Name], usage: Usage, has_key: bool, has_chain: bool) -> FileNames {
    let base = base_name(names, usage);
    FileNames {
        certificate: format!("{base}.pem"),
        key: has_key.then(|| format!("{base}-key.pem")),
        chain: has_chain.then(|| format!("{base}-chain.pem")),
    }
}

/// File names for a CSR and its key.
pub fn csr(names: &[Name]) -> CsrFileNames {
    let base = base_name(names, Usage::Server);
    CsrFileNames {
        csr: format!("{base}.csr"),
        key: format!("{base}-key.pem"),
    }
}

fn base_name(names: &[Name], usage: Usage) -> String {
    let first = names.first().map(Name::value).unwrap_or_default();
    let mut base: String = first
        .replace('*', "_wildcard")
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '-' | '_' | '@' => c,
            _ => '_',
        })
        .collect();
    if base.is_empty() {
        base.push_str("cert");
    }
    if names.len() > 1 {
        base.push_str(&format!("+{}", names.len() - 1));
    }
    if usage == Usage::Client {
        base.push_str("-client");
    }
    base
}

#[cfg(test)]
mod tests {
    use super::*;
    use selfsign_core::parse_names;

    fn names(list: &[&str]) -> Vec<Name> {
        parse_names(list).expect("valid names")
    }

    #[test]
    fn leaf_names_follow_mkcert() {
        let files = leaf(
            &names(&["localhost", "127.0.0.1", "::1"]),
            Usage::Server,
            true,
            true,
        );
        assert_eq!(files.certificate, "localhost+2.pem");
        assert_eq!(files.key.as_deref(), Some("localhost+2-key.pem"));
        assert_eq!(files.chain.as_deref(), Some("localhost+2-chain.pem"));
    }

    #[test]
    fn wildcards_colons_and_client_certificates_get_safe_names() {
        let files = leaf(&names(&["*.example.test"]), Usage::Client, true, false);
        assert_eq!(files.certificate, "_wildcard.example.test-client.pem");
        assert_eq!(files.chain, None);
        let files = leaf(&names(&["::1"]), Usage::Server, false, false);
        assert_eq!(files.certificate, "__1.pem");
        assert_eq!(files.key, None);
        let files = leaf(&names(&["spiffe://a.test/x"]), Usage::Server, true, false);
        assert_eq!(files.certificate, "spiffe___a.test_x.pem");
    }

    #[test]
    fn ca_files_are_root_ca() {
        let files = ca();
        assert_eq!(files.certificate, "rootCA.pem");
        assert_eq!(files.key.as_deref(), Some("rootCA-key.pem"));
    }
}
