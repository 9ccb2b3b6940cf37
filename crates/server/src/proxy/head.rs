//! A response head as it arrives from the upstream, in a buffer zeroed once and reused for every
//! exchange of the connection (reads need initialized memory; zeroing per read would cost more
//! than the read).

/// Received bytes of response heads, at the start of a reusable buffer.
#[derive(Debug, Default)]
pub(crate) struct Head {
    buf: Vec<u8>,
    len: usize,
}

impl Head {
    /// The bytes received and not yet consumed.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Room for `at_least` more bytes after those received.
    pub(crate) fn spare(&mut self, at_least: usize) -> &mut [u8] {
        if self.buf.len() < self.len + at_least {
            self.buf.resize(self.len + at_least, 0);
        }
        &mut self.buf[self.len..]
    }

    /// `n` bytes were written into [`Head::spare`].
    pub(crate) fn filled(&mut self, n: usize) {
        self.len = (self.len + n).min(self.buf.len());
    }

    /// Drops the first `n` bytes received.
    pub(crate) fn consume(&mut self, n: usize) {
        let n = n.min(self.len);
        self.buf.copy_within(n..self.len, 0);
        self.len -= n;
    }

    /// Drops everything received.
    pub(crate) fn clear(&mut self) {
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn received_bytes_survive_until_consumed_and_the_buffer_is_reused() {
        let mut h = Head::default();
        h.spare(8)[..5].copy_from_slice(b"HTTP/");
        h.filled(5);
        h.spare(8)[..3].copy_from_slice(b"1.1");
        h.filled(3);
        assert_eq!(h.bytes(), b"HTTP/1.1");
        h.consume(5);
        assert_eq!(h.bytes(), b"1.1");
        h.clear();
        assert_eq!(h.bytes(), b"");
        assert!(h.spare(4).len() >= 4);
    }
}
