//! Replay-Nonce values (RFC 8555 §6.5): each issued once and accepted once; only the most
//! recently issued ones are remembered.

use std::collections::{HashSet, VecDeque};

use ring::rand::{SecureRandom, SystemRandom};

use crate::problem::Problem;

/// How many of the latest nonces stay usable; older ones are refused as badNonce (clients retry).
const REMEMBERED: usize = 10_000;

/// Nonces issued and not yet used.
#[derive(Debug, Default)]
pub(crate) struct Nonces {
    live: HashSet<String>,
    issued: VecDeque<String>,
}

impl Nonces {
    /// A new nonce, usable until used or pushed out by newer ones.
    pub(crate) fn issue(&mut self) -> Result<String, Problem> {
        let nonce = random_id(16)?;
        self.live.insert(nonce.clone());
        self.issued.push_back(nonce.clone());
        while self.issued.len() > REMEMBERED {
            if let Some(old) = self.issued.pop_front() {
                self.live.remove(&old);
            }
        }
        Ok(nonce)
    }

    /// Whether `nonce` was issued and is unused (does not use it).
    pub(crate) fn is_live(&self, nonce: &str) -> bool {
        self.live.contains(nonce)
    }

    /// Uses `nonce` up.
    pub(crate) fn consume(&mut self, nonce: &str) {
        self.live.remove(nonce);
    }
}

/// `bytes` random bytes from the system CSPRNG, base64url: nonces, ids and tokens.
pub(crate) fn random_id(bytes: usize) -> Result<String, Problem> {
    let mut buf = vec![0u8; bytes];
    SystemRandom::new()
        .fill(&mut buf)
        .map_err(|_| Problem::server_internal("the system random number generator failed"))?;
    Ok(crate::jws::encode(&buf))
}
