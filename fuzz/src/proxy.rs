//! The reverse proxy's upstream side: response heads from an upstream parsed and rewritten, and
//! their bodies framed (Content-Length, chunked, until close), through
//! `selfsign_server::fuzzing::upstream_response`.

use selfsign_server::fuzzing;

/// Fields that describe one connection and must never reach the client as the upstream sent
/// them (the proxy writes its own `Connection`).
const HOP_BY_HOP: [&str; 5] = ["keep-alive", "proxy-connection", "te", "trailer", "upgrade"];

/// The first byte says what the client asked (bit 0: HEAD, bit 1: an upgrade) and how the
/// upstream's bytes arrive (bit 2: one read, else in pieces of `1 + len % 61` bytes); the rest
/// is what the upstream sends. Checked: every head the client gets is one well-formed response
/// head with consistent framing and no hop-by-hop field; the body is passed on verbatim, right
/// after the final head; it never holds more bytes than its Content-Length or its chunked
/// framing says, and its framing does not depend on how the reads split it. Returns whether a
/// final response got through whole.
pub fn upstream(data: &[u8]) -> bool {
    let Some((&flags, stream)) = data.split_first() else {
        return false;
    };
    let head_only = flags & 1 != 0;
    let upgrade = flags & 2 != 0;
    let reads = reads(flags, stream);
    let relayed = fuzzing::upstream_response(&reads, head_only, upgrade);
    let whole = fuzzing::upstream_response(&[stream], head_only, upgrade);
    assert_eq!(
        (&relayed.heads, relayed.complete, relayed.error.is_some()),
        (&whole.heads, whole.complete, whole.error.is_some()),
        "the answer depends on how the upstream's bytes were split"
    );
    // Until an error, what went through does not depend on the split either (an error stops
    // the relay at the read it is in, which the pieces may have passed on before).
    assert!(
        relayed.body.starts_with(&whole.body)
            && (relayed.error.is_some() || relayed.body == whole.body),
        "the body depends on how the upstream's bytes were split"
    );
    let last = check_heads(&relayed.heads);
    let Some(last) = last.filter(|h| h.status >= 200) else {
        assert!(relayed.body.is_empty(), "a body without a final head");
        return false;
    };
    if last.status == 101 {
        return relayed.complete;
    }
    let body_at = relayed.final_head_at + relayed.final_head_len;
    assert_eq!(
        &stream[body_at..body_at + relayed.body.len()],
        &relayed.body[..],
        "the body was not passed on verbatim"
    );
    if head_only || last.status == 204 || last.status == 304 {
        assert!(
            relayed.body.is_empty(),
            "a body on a {} answer",
            last.status
        );
    } else if let Some(n) = last.length {
        assert!(
            relayed.body.len() as u64 <= n,
            "{} body bytes for Content-Length {n}",
            relayed.body.len()
        );
        if relayed.complete {
            assert_eq!(
                relayed.body.len() as u64,
                n,
                "a short body counted as whole"
            );
        }
    } else if last.chunked {
        assert_eq!(
            chunked_length(&relayed.body),
            relayed.complete.then_some(relayed.body.len()),
            "the chunked framing passed on does not end where the relay stopped"
        );
    }
    relayed.complete && relayed.error.is_none()
}

/// What a forwarded head says about its body.
struct Head {
    status: u16,
    length: Option<u64>,
    chunked: bool,
}

/// Parses the heads the client got, one after another; each must be a whole, well-formed head
/// with consistent framing (one Transfer-Encoding, its codings listed cleanly, never beside
/// Content-Length, and with `Connection: close` unless chunked comes last). Returns the last.
fn check_heads(mut heads: &[u8]) -> Option<Head> {
    let mut last = None;
    while !heads.is_empty() {
        let mut fields = [httparse::EMPTY_HEADER; 128];
        let mut res = httparse::Response::new(&mut fields);
        let n = match res.parse(heads) {
            Ok(httparse::Status::Complete(n)) => n,
            other => panic!(
                "the client got a head it cannot parse ({other:?}): {:?}",
                String::from_utf8_lossy(heads)
            ),
        };
        let status = res.code.unwrap_or_default();
        let mut length = None;
        let mut chunked = false;
        let mut coded = false;
        let mut close = false;
        for h in res.headers.iter() {
            let name = h.name.to_ascii_lowercase();
            if name == "content-length" {
                // RFC 9110 §8.6: Content-Length = 1*DIGIT.
                let digits = !h.value.is_empty() && h.value.iter().all(u8::is_ascii_digit);
                assert!(
                    digits,
                    "an invalid Content-Length passed on: {:?}",
                    String::from_utf8_lossy(h.value)
                );
                let value = std::str::from_utf8(h.value).ok();
                let value = value.and_then(|v| v.parse::<u64>().ok());
                assert!(
                    length.is_none() || length == value,
                    "conflicting Content-Length passed on"
                );
                length = value;
            } else if name == "transfer-encoding" {
                assert!(!coded, "more than one Transfer-Encoding passed on");
                coded = true;
                let clean = clean_coding_list(h.value);
                assert!(
                    clean,
                    "a coding list recipients may read differently: {:?}",
                    String::from_utf8_lossy(h.value)
                );
                chunked = last_coding(h.value).eq_ignore_ascii_case(b"chunked");
            } else if name == "connection" {
                close |= h.value.eq_ignore_ascii_case(b"close");
            } else if name == "upgrade" && status == 101 {
            } else {
                assert!(
                    !HOP_BY_HOP.contains(&name.as_str()),
                    "hop-by-hop field {name} passed on"
                );
            }
        }
        assert!(
            !(coded && length.is_some()),
            "both Transfer-Encoding and Content-Length passed on"
        );
        // RFC 9112 §6.3: codings not ending in chunked leave the close as the body's end.
        assert!(
            !coded || chunked || close || status == 101,
            "a body delimited by the close on a connection kept open"
        );
        heads = &heads[n..];
        last = Some(Head {
            status,
            length,
            chunked,
        });
    }
    last
}

/// Whether a Transfer-Encoding value is a list every recipient reads alike: codings separated
/// by a comma and one space, none empty, no other whitespace.
pub(crate) fn clean_coding_list(value: &[u8]) -> bool {
    value.split(|&b| b == b',').enumerate().all(|(i, c)| {
        let c = if i == 0 {
            c
        } else {
            c.strip_prefix(b" ").unwrap_or(b"")
        };
        !c.is_empty() && c.trim_ascii() == c
    })
}

/// The last coding of a Transfer-Encoding value, whitespace trimmed: the one that frames the body.
pub(crate) fn last_coding(value: &[u8]) -> &[u8] {
    value
        .rsplit(|&b| b == b',')
        .next()
        .unwrap_or_default()
        .trim_ascii()
}

/// How a target's `stream` arrives: in one read if bit 2 of `flags` is set (or it is empty),
/// else in pieces of `1 + len % 61` bytes.
pub(crate) fn reads(flags: u8, stream: &[u8]) -> Vec<&[u8]> {
    if flags & 4 != 0 || stream.is_empty() {
        vec![stream]
    } else {
        stream.chunks(1 + stream.len() % 61).collect()
    }
}

/// The length of the complete chunked message at the start of `body`, read by a decoder of its
/// own (chunk sizes by httparse), or None if it does not end there.
pub(crate) fn chunked_length(body: &[u8]) -> Option<usize> {
    let mut at = 0;
    loop {
        // RFC 9112 §7.1: chunk-size = 1*HEXDIG (httparse also takes a line without digits).
        if !body.get(at).is_some_and(u8::is_ascii_hexdigit) {
            return None;
        }
        let (k, size) = match httparse::parse_chunk_size(&body[at..]) {
            Ok(httparse::Status::Complete(parsed)) => parsed,
            _ => return None,
        };
        at += k;
        if size == 0 {
            break;
        }
        let end = at.checked_add(usize::try_from(size).ok()?)?;
        if body.get(end..end + 2) != Some(b"\r\n") {
            return None;
        }
        at = end + 2;
    }
    // Trailer fields, then an empty line.
    loop {
        let line_end = body[at..].iter().position(|&b| b == b'\n')? + at + 1;
        let line = &body[at..line_end];
        at = line_end;
        if line == b"\r\n" || line == b"\n" {
            return Some(at);
        }
    }
}
