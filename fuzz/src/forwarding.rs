//! The reverse proxy's client side: request heads from a client admitted and rewritten, and
//! their bodies framed (Content-Length, chunked), through `selfsign_server::fuzzing::proxy_request`;
//! what goes upstream is read back by httparse and an RFC 9112 framing of its own.

use selfsign_server::{fuzzing, Limits};

use crate::proxy::{chunked_length, clean_coding_list, last_coding, reads};

/// Fields that describe one connection and must never go upstream as the client sent them.
const HOP_BY_HOP: [&str; 6] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
];

/// Fields naming the client's address, scheme or host that the proxy never passes on.
const CLAIMS: [&str; 5] = [
    "true-client-ip",
    "cf-connecting-ip",
    "x-client-ip",
    "x-cluster-client-ip",
    "fastly-client-ip",
];

/// The forwarding fields the proxy writes itself, once each, with the values it must give them
/// for a client at 127.0.0.1 (`None`: any value, from the request's host).
const SET_BY_PROXY: [(&str, Option<&[u8]>); 5] = [
    ("x-forwarded-for", Some(b"127.0.0.1")),
    ("x-real-ip", Some(b"127.0.0.1")),
    ("x-forwarded-proto", Some(b"https")),
    ("x-forwarded-host", None),
    ("forwarded", None),
];

/// One request as RFC 9112 frames it in a byte stream.
struct Framed {
    method: String,
    /// The request asks to switch protocols (Upgrade, listed in Connection).
    upgrade: bool,
    /// Lower-case tokens of its Connection fields.
    connection: Vec<String>,
    /// Where its body starts in the stream.
    body_at: usize,
    /// Its body's length, when the stream holds all of it.
    body_len: Option<usize>,
}

/// The first byte chooses `--rewrite-host` (bit 0), whether the upstream switches protocols
/// when asked (bit 1) and how the client's bytes arrive (bit 2: one read, else in pieces of
/// `1 + len % 61` bytes); the rest is what the client sends. Checked: the outcome does not
/// depend on the split; every forwarded request is the client's request of the same rank as an
/// independent RFC 9112 framing reads the client's bytes (so a request smuggled inside a body,
/// or after an ambiguous or closing one, never goes upstream), with the same method and its
/// body passed on verbatim; its head has exactly one framing (Content-Length of digits or one
/// Transfer-Encoding ending in chunked, never both) and no hop-by-hop field, no field the
/// client's Connection names and no address claim but the proxy's own. Returns whether a
/// request went upstream.
pub fn request(data: &[u8]) -> bool {
    let Some((&flags, stream)) = data.split_first() else {
        return false;
    };
    let rewrite_host = flags & 1 != 0;
    let switch = flags & 2 != 0;
    let reads = reads(flags, stream);
    let max_head = Limits::default().max_request_head;
    let sent = fuzzing::proxy_request(&reads, max_head, rewrite_host, switch);
    let whole = fuzzing::proxy_request(&[stream], max_head, rewrite_host, switch);
    assert_eq!(
        (sent.requests, sent.refused.is_some(), &sent.tunnel),
        (whole.requests, whole.refused.is_some(), &whole.tunnel),
        "what went upstream depends on how the client's bytes were split"
    );
    // (A head still arriving may reach the size limit, 431, before it is seen to be malformed,
    // 400: either way the stream is refused.) Until a refusal, what went upstream does not depend on the split either (a malformed
    // body stops forwarding at the read it is in, which the pieces may have passed on before).
    assert!(
        sent.upstream.starts_with(&whole.upstream)
            && (sent.refused.is_some() || sent.upstream == whole.upstream),
        "the bytes upstream depend on how the client's bytes were split"
    );
    let framed = frame(stream, switch);
    let mut upstream = &sent.upstream[..];
    let mut count = 0;
    while !upstream.is_empty() {
        let client = framed.get(count).unwrap_or_else(|| {
            panic!(
                "request {} went upstream, but the client's bytes frame only {}: {:?}",
                count + 1,
                framed.len(),
                String::from_utf8_lossy(stream)
            )
        });
        let (head_len, body_len) = check_head(upstream, client);
        let body = &upstream[head_len..];
        let client_body = &stream[client.body_at..];
        let n = body_len.map_or(body.len(), |n| n.min(body.len()));
        assert_eq!(
            &body[..n],
            &client_body[..n.min(client_body.len())],
            "the body that went upstream is not the client's"
        );
        if body_len.is_some_and(|n| n <= body.len()) {
            assert_eq!(
                body_len, client.body_len,
                "the body went upstream with another length than the client framed"
            );
        }
        upstream = &body[n..];
        count += 1;
    }
    assert_eq!(count, sent.requests, "heads upstream and heads forwarded");
    if !sent.tunnel.is_empty() {
        let last = count
            .checked_sub(1)
            .and_then(|i| framed.get(i))
            .expect("a tunnel after a request");
        assert!(
            last.upgrade,
            "a tunnel opened for a request that asked none"
        );
        let end = last.body_at + last.body_len.expect("a tunnel after a whole body");
        assert_eq!(
            &stream[end..],
            &sent.tunnel[..],
            "the tunnel does not carry the client's bytes after its request"
        );
    }
    count > 0
}

/// The requests RFC 9112 frames in `stream`, in order, up to the first that cannot be framed
/// unambiguously (RFC 9112 §6.1, §6.3: Transfer-Encoding beside Content-Length, a coding list
/// not ending in chunked, conflicting or non-digit lengths, a transfer coding in HTTP/1.0), the
/// first after a `Connection: close` or an HTTP/1.0 request, or the end of the bytes; with
/// `switch`, a request to switch protocols is the last.
fn frame(stream: &[u8], switch: bool) -> Vec<Framed> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < stream.len() {
        let mut fields = [httparse::EMPTY_HEADER; 128];
        let mut req = httparse::Request::new(&mut fields);
        let Ok(httparse::Status::Complete(n)) = req.parse(&stream[at..]) else {
            break;
        };
        let mut length: Option<u64> = None;
        let mut codings: Vec<Vec<u8>> = Vec::new();
        let mut coded = false;
        let mut connection = Vec::new();
        let mut has_upgrade = false;
        let mut valid = true;
        for h in req.headers.iter() {
            let name = h.name.to_ascii_lowercase();
            let value = trim_ows(h.value);
            match name.as_str() {
                "content-length" => {
                    let digits = !value.is_empty() && value.iter().all(u8::is_ascii_digit);
                    let v = std::str::from_utf8(value).ok().and_then(|v| v.parse().ok());
                    valid &= digits && v.is_some() && length.is_none_or(|l| Some(l) == v);
                    length = v;
                }
                "transfer-encoding" => {
                    coded = true;
                    for c in h.value.split(|&b| b == b',') {
                        let c = trim_ows(c);
                        if !c.is_empty() {
                            codings.push(c.to_ascii_lowercase());
                        }
                    }
                }
                "connection" => {
                    for t in h.value.split(|&b| b == b',') {
                        connection.push(String::from_utf8_lossy(trim_ows(t)).to_lowercase());
                    }
                }
                "upgrade" => has_upgrade = true,
                _ => {}
            }
        }
        let http10 = req.version == Some(0);
        let chunked = coded;
        if coded {
            let tokens = codings.iter().all(|c| {
                c.iter()
                    .all(|&b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
            });
            let chunks = codings
                .iter()
                .filter(|c| c.as_slice() == b"chunked")
                .count();
            valid &= length.is_none()
                && !http10
                && tokens
                && chunks == 1
                && codings.last().is_some_and(|c| c == b"chunked");
        }
        if !valid {
            break;
        }
        let body_at = at + n;
        let rest = &stream[body_at..];
        let body_len = if chunked {
            chunked_length(rest)
        } else {
            let n = usize::try_from(length.unwrap_or(0)).unwrap_or(usize::MAX);
            (n <= rest.len()).then_some(n)
        };
        let close = http10 || connection.iter().any(|t| t == "close");
        let upgrade = has_upgrade && connection.iter().any(|t| t == "upgrade");
        out.push(Framed {
            method: req.method.unwrap_or_default().to_owned(),
            upgrade,
            connection,
            body_at,
            body_len,
        });
        let Some(len) = body_len else {
            break;
        };
        if close || (upgrade && switch) {
            break;
        }
        at = body_at + len;
    }
    out
}

/// Checks the forwarded head at the start of `upstream` against the client's request; returns
/// its length and the length of the body it frames (`None`: chunked, until its end).
fn check_head(upstream: &[u8], client: &Framed) -> (usize, Option<usize>) {
    let mut fields = [httparse::EMPTY_HEADER; 128];
    let mut req = httparse::Request::new(&mut fields);
    let n = match req.parse(upstream) {
        Ok(httparse::Status::Complete(n)) => n,
        other => panic!(
            "a head went upstream that does not parse ({other:?}): {:?}",
            String::from_utf8_lossy(upstream)
        ),
    };
    assert_eq!(
        req.method,
        Some(client.method.as_str()),
        "another method went upstream"
    );
    let mut length: Option<usize> = None;
    let mut chunked = false;
    let mut set = [0; SET_BY_PROXY.len()];
    for h in req.headers.iter() {
        let name = h.name.to_ascii_lowercase();
        if name == "content-length" {
            assert!(length.is_none(), "two Content-Length fields went upstream");
            let digits = !h.value.is_empty() && h.value.iter().all(u8::is_ascii_digit);
            assert!(
                digits,
                "a Content-Length of other than digits went upstream"
            );
            let value = std::str::from_utf8(h.value).ok();
            length = Some(value.and_then(|v| v.parse().ok()).unwrap_or(usize::MAX));
        } else if name == "transfer-encoding" {
            assert!(!chunked, "two Transfer-Encoding fields went upstream");
            let clean = clean_coding_list(h.value);
            assert!(clean, "a coding list recipients may read differently");
            assert!(
                last_coding(h.value).eq_ignore_ascii_case(b"chunked"),
                "a Transfer-Encoding not ending in chunked went upstream"
            );
            chunked = true;
        } else if let Some(i) = SET_BY_PROXY.iter().position(|(f, _)| *f == name) {
            set[i] += 1;
            if let Some(expected) = SET_BY_PROXY[i].1 {
                assert_eq!(h.value, expected, "{name} is not the proxy's own");
            }
            if name == "forwarded" {
                assert!(
                    h.value.starts_with(b"for=127.0.0.1;"),
                    "Forwarded is not ours"
                );
            }
        } else if client.upgrade && (name == "upgrade" || name == "connection") {
            if name == "connection" {
                assert_eq!(h.value, b"upgrade", "a Connection field of the client's");
            }
        } else {
            assert!(
                !HOP_BY_HOP.contains(&name.as_str()),
                "hop-by-hop field {name} went upstream"
            );
            assert!(
                !CLAIMS.contains(&name.as_str()) && !name.starts_with("x-forwarded-"),
                "the client's {name} went upstream"
            );
            assert!(
                name == "host" || !client.connection.contains(&name),
                "{name}, listed in the client's Connection, went upstream"
            );
        }
    }
    assert!(
        !(chunked && length.is_some()),
        "both Content-Length and Transfer-Encoding went upstream"
    );
    for (i, (name, _)) in SET_BY_PROXY.iter().enumerate() {
        let once = set[i] == 1 || (*name == "x-forwarded-host" && set[i] == 0);
        assert!(once, "{name} went upstream {} times", set[i]);
    }
    let body = if chunked {
        chunked_length(&upstream[n..])
    } else {
        Some(length.unwrap_or(0))
    };
    (n, body)
}

/// `value` without SP and HTAB around it (RFC 9110 §5.6.3's OWS, nothing else).
fn trim_ows(value: &[u8]) -> &[u8] {
    let ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = value.iter().position(|b| !ows(b)).unwrap_or(value.len());
    let end = value.iter().rposition(|b| !ows(b)).map_or(start, |i| i + 1);
    &value[start..end]
}
