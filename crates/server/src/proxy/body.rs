//! Message bodies passing through the proxy: where each one ends, so bytes are forwarded
//! verbatim and never one past the end of the message they belong to.

/// Longest chunk-size line (with extensions) or trailer section accepted.
const MAX_LINE: usize = 4096;

/// How a body in transit is delimited, and how much of it is still to come.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Body {
    /// This many bytes are left.
    Length(u64),
    /// Chunked transfer coding, at this point of its grammar.
    Chunked(Chunked),
    /// Until the sender closes (a response without Content-Length or chunked).
    UntilClose,
}

/// Where a chunked body is: RFC 9112 §7.1, sizes parsed by `httparse::parse_chunk_size`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Chunked {
    /// Reading a chunk-size line; the bytes of it so far.
    Size(Vec<u8>),
    /// Inside chunk data; this many bytes left.
    Data(u64),
    /// After chunk data: this many bytes of its CRLF seen.
    DataEnd(u8),
    /// In the trailer section: the bytes of the current field line so far, and the section's
    /// total.
    Trailer(Vec<u8>, usize),
    /// The last chunk and the trailer section are through.
    Done,
}

impl Body {
    /// A fresh chunked body.
    pub(crate) fn chunked() -> Body {
        Body::Chunked(Chunked::Size(Vec::new()))
    }

    /// Whether the whole body has gone by.
    pub(crate) fn done(&self) -> bool {
        matches!(self, Body::Length(0) | Body::Chunked(Chunked::Done))
    }

    /// Most bytes worth reading at once for this body (no more than `cap`).
    pub(crate) fn want(&self, cap: usize) -> usize {
        match self {
            Body::Length(n) => usize::try_from(*n).map_or(cap, |n| n.min(cap)),
            _ => cap,
        }
    }

    /// Takes the start of `data` that belongs to the body; returns its length, less than
    /// `data.len()` only once the body is done. Malformed chunked framing is an error.
    pub(crate) fn take(&mut self, data: &[u8]) -> Result<usize, String> {
        match self {
            Body::Length(n) => {
                let k = usize::try_from(*n).map_or(data.len(), |n| n.min(data.len()));
                *n -= k as u64;
                Ok(k)
            }
            Body::UntilClose => Ok(data.len()),
            Body::Chunked(state) => {
                let mut used = 0;
                while used < data.len() && *state != Chunked::Done {
                    used += state.step(&data[used..])?;
                }
                Ok(used)
            }
        }
    }
}

impl Body {
    /// [`Body::take`], decoding chunked framing away in place: the chunk data among the bytes
    /// taken moves to the start of `data`, chunk-size lines and trailers are dropped. Returns
    /// the bytes taken and how many of them are data.
    pub(crate) fn take_decoded(&mut self, data: &mut [u8]) -> Result<(usize, usize), String> {
        let Body::Chunked(state) = self else {
            let k = self.take(data)?;
            return Ok((k, k));
        };
        let (mut used, mut kept) = (0, 0);
        while used < data.len() && *state != Chunked::Done {
            let payload = matches!(state, Chunked::Data(_));
            let k = state.step(&data[used..])?;
            if payload {
                data.copy_within(used..used + k, kept);
                kept += k;
            }
            used += k;
        }
        Ok((used, kept))
    }
}

impl Chunked {
    /// Consumes the start of `data` (not empty) within the current grammar element.
    fn step(&mut self, data: &[u8]) -> Result<usize, String> {
        match self {
            Chunked::Data(left) => {
                let k = usize::try_from(*left).map_or(data.len(), |l| l.min(data.len()));
                *left -= k as u64;
                if *left == 0 {
                    *self = Chunked::DataEnd(0);
                }
                Ok(k)
            }
            Chunked::DataEnd(seen) => {
                let expected = if *seen == 0 { b'\r' } else { b'\n' };
                if data[0] != expected {
                    return Err("chunk data not followed by CRLF".into());
                }
                *seen += 1;
                if *seen == 2 {
                    *self = Chunked::Size(Vec::new());
                }
                Ok(1)
            }
            Chunked::Size(line) => {
                let (k, complete) = line_part(data);
                if line.len() + k > MAX_LINE {
                    return Err("chunk-size line too long".into());
                }
                line.extend_from_slice(&data[..k]);
                if complete {
                    // httparse takes a line without digits as size 0; RFC 9112 §7.1 wants 1*HEXDIG.
                    if !line.first().is_some_and(u8::is_ascii_hexdigit) {
                        return Err("chunk-size line without a size".into());
                    }
                    let size = match httparse::parse_chunk_size(line) {
                        Ok(httparse::Status::Complete((_, size))) => size,
                        _ => return Err("invalid chunk-size line".into()),
                    };
                    *self = if size == 0 {
                        Chunked::Trailer(Vec::new(), 0)
                    } else {
                        Chunked::Data(size)
                    };
                }
                Ok(k)
            }
            Chunked::Trailer(line, total) => {
                let (k, complete) = line_part(data);
                *total += k;
                if *total > MAX_LINE {
                    return Err("trailer section too long".into());
                }
                line.extend_from_slice(&data[..k]);
                if complete {
                    if line.as_slice() == b"\r\n" || line.as_slice() == b"\n" {
                        *self = Chunked::Done;
                    } else {
                        line.clear();
                    }
                }
                Ok(k)
            }
            Chunked::Done => Ok(0),
        }
    }
}

/// How much of `data` belongs to the current line (through its LF), and whether that ends it.
fn line_part(data: &[u8]) -> (usize, bool) {
    match data.iter().position(|&b| b == b'\n') {
        Some(i) => (i + 1, true),
        None => (data.len(), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_in_pieces(body: &mut Body, data: &[u8], piece: usize) -> Result<usize, String> {
        let mut used = 0;
        for part in data.chunks(piece) {
            used += body.take(part)?;
            if body.done() {
                break;
            }
        }
        Ok(used)
    }

    #[test]
    fn a_chunked_body_ends_after_its_last_chunk_and_trailers_however_it_is_split() {
        let message = b"5;ext=1\r\nhello\r\n10\r\n0123456789abcdef\r\n0\r\nX-T: 1\r\n\r\nNEXT";
        for piece in [1, 2, 3, 7, 100] {
            let mut body = Body::chunked();
            let used = feed_in_pieces(&mut body, message, piece).unwrap();
            assert!(body.done(), "piece {piece}");
            assert_eq!(&message[used..], b"NEXT", "piece {piece}");
        }
    }

    #[test]
    fn a_decoded_chunked_body_is_its_chunk_data_however_it_is_split() {
        let message = b"5;ext=1\r\nhello\r\n10\r\n0123456789abcdef\r\n0\r\nX-T: 1\r\n\r\nNEXT";
        for piece in [1, 2, 3, 7, 100] {
            let mut body = Body::chunked();
            let (mut used, mut decoded) = (0, Vec::new());
            for part in message.chunks(piece) {
                let mut part = part.to_vec();
                let (k, kept) = body.take_decoded(&mut part).unwrap();
                used += k;
                decoded.extend_from_slice(&part[..kept]);
                if body.done() {
                    break;
                }
            }
            assert!(body.done(), "piece {piece}");
            assert_eq!(decoded, b"hello0123456789abcdef", "piece {piece}");
            assert_eq!(&message[used..], b"NEXT", "piece {piece}");
        }
        assert!(Body::chunked()
            .take_decoded(&mut b"5\r\nhelloXX".to_vec())
            .is_err());
    }

    #[test]
    fn malformed_chunked_framing_is_refused() {
        for bad in [
            &b"zz\r\n"[..],
            b"5\r\nhelloXX",
            b"ffffffffffffffffff\r\n",
            b"\r\n\r\n",
            b";ext\r\n\r\n",
        ] {
            assert!(Body::chunked().take(bad).is_err(), "{bad:?}");
        }
        let long = vec![b'1'; MAX_LINE + 1];
        assert!(Body::chunked().take(&long).is_err());
    }

    #[test]
    fn a_length_body_takes_exactly_its_length() {
        let mut body = Body::Length(4);
        assert_eq!(body.take(b"ab").unwrap(), 2);
        assert_eq!(body.take(b"cdef").unwrap(), 2);
        assert!(body.done());
        assert_eq!(body.want(10), 0);
    }
}
