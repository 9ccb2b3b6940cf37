//! Echo mode: every byte the client sends is sent back.

use crate::service::{Service, CHUNK};

/// Plaintext held for echoing beyond which the connection stops reading.
const HELD_LIMIT: usize = 64 * 1024;

/// One connection's echo state.
#[derive(Debug, Default)]
pub(crate) struct Echo {
    held: Vec<u8>,
    peer_closed: bool,
    draining: bool,
}

impl Service for Echo {
    fn receive(&mut self, data: &[u8]) {
        self.held.extend_from_slice(data);
    }

    fn produce(&mut self, out: &mut Vec<u8>) -> Result<(), String> {
        let n = self.held.len().min(CHUNK);
        out.extend_from_slice(&self.held[..n]);
        self.held.drain(..n);
        Ok(())
    }

    fn wants_input(&self) -> bool {
        !self.peer_closed && !self.draining && self.held.len() < HELD_LIMIT
    }

    fn peer_closed(&mut self) {
        self.peer_closed = true;
    }

    fn drain(&mut self) {
        self.draining = true;
    }

    fn finished(&self) -> bool {
        (self.peer_closed || self.draining) && self.held.is_empty()
    }
}
