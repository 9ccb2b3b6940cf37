//! Suggested file names for results, from the core's [`selfsign_core::FileNames`].

use selfsign_core::{FileNames, Name, Usage};

use crate::results::{CsrFileNames, FileNames as Suggested};

/// File names for a CA's certificate and key.
pub fn ca() -> Suggested {
    let files = FileNames::ca();
    Suggested {
        certificate: files.certificate(),
        key: Some(files.key()),
        chain: None,
    }
}

/// File names for a leaf, its key if it has one and its chain if it has one.
pub fn leaf(names: &[Name], usage: Usage, has_key: bool, has_chain: bool) -> Suggested {
    let files = FileNames::leaf(names, usage);
    Suggested {
        certificate: files.certificate(),
        key: has_key.then(|| files.key()),
        chain: has_chain.then(|| files.chain()),
    }
}

/// File names for a CSR and its key.
pub fn csr(names: &[Name]) -> CsrFileNames {
    let files = FileNames::leaf(names, Usage::Server);
    CsrFileNames {
        csr: files.csr(),
        key: files.key(),
    }
}
