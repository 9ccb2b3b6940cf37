//! Message heads on their way through the proxy: hop-by-hop fields removed (RFC 9110 §7.6.1),
//! forwarding fields added, framing re-stated for the next hop.

use std::io::Write;
use std::net::SocketAddr;

use crate::http::{content_length, has_token, origin_form, transfer_codings, RequestHead};

use super::body::Body;

/// Fields that describe one connection, never forwarded (RFC 9110 §7.6.1), plus the forwarding
/// fields the proxy sets itself.
const HOP_BY_HOP: [&str; 7] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Fields besides `X-Forwarded-*` in which a client could name its address, scheme or host to
/// the app: never passed on (see [`claimed`]). The proxy sets the first two itself; the others
/// are set by CDNs in front of an app, which this proxy is not.
const CLIENT_CLAIMS: [&str; 7] = [
    "x-real-ip",
    "forwarded",
    "true-client-ip",
    "cf-connecting-ip",
    "x-client-ip",
    "x-cluster-client-ip",
    "fastly-client-ip",
];

/// Whether a client's field is a claim the proxy drops: any `X-Forwarded-*` (the proxy sets
/// For, Proto and Host itself; Port, Prefix, Server and the like would let a client steer the
/// app's URLs), as Traefik does for clients it does not trust, or one of [`CLIENT_CLAIMS`].
fn claimed(name: &str) -> bool {
    let forwarded = name
        .get(..12)
        .is_some_and(|p| p.eq_ignore_ascii_case("x-forwarded-"));
    forwarded || CLIENT_CLAIMS.iter().any(|c| name.eq_ignore_ascii_case(c))
}

/// What the client asked for, as far as forwarding it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Forwarded {
    /// The request body still to come.
    pub(crate) body: Body,
    /// A HEAD request (its response has no body whatever its fields say).
    pub(crate) head_only: bool,
    /// The `Upgrade` value when the client asks to switch protocols.
    pub(crate) upgrade: Option<Vec<u8>>,
}

/// Whether `name` is dropped on forwarding: hop-by-hop, or listed in a Connection field.
fn dropped(name: &str, connection: Connection<'_, '_>) -> bool {
    HOP_BY_HOP.iter().any(|h| name.eq_ignore_ascii_case(h)) || connection.lists(name)
}

/// The Connection fields of a head (read in place, nothing allocated per message).
#[derive(Clone, Copy)]
struct Connection<'a, 'h>(&'a [httparse::Header<'h>]);

impl<'a, 'h> Connection<'a, 'h> {
    /// The Connection fields among `headers`: those from the first one on.
    fn of(headers: &'a [httparse::Header<'h>]) -> Self {
        let first = headers
            .iter()
            .position(|h| h.name.eq_ignore_ascii_case("connection"))
            .unwrap_or(headers.len());
        Connection(&headers[first..])
    }

    /// Whether any Connection field lists `token`.
    fn lists(self, token: &str) -> bool {
        self.0
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case("connection") && has_token(h.value, token))
    }
}

/// A client's address as the forwarding fields write it, formatted once per connection.
#[derive(Debug, Clone)]
pub(crate) struct Client {
    /// For X-Forwarded-For: `192.0.2.7`, `2001:db8::1`.
    ip: String,
    /// For Forwarded: `for=192.0.2.7`, `for="[2001:db8::1]"`.
    node: String,
}

impl Client {
    /// The fields' forms of `addr` (its port is not forwarded).
    pub(crate) fn new(addr: SocketAddr) -> Client {
        let ip = addr.ip();
        let node = match ip {
            std::net::IpAddr::V4(v4) => format!("for={v4}"),
            std::net::IpAddr::V6(v6) => format!("for=\"[{v6}]\""),
        };
        Client {
            ip: ip.to_string(),
            node,
        }
    }
}

/// Where the request came from and where it goes, for the forwarding fields.
pub(crate) struct Hop<'a> {
    /// The client.
    pub(crate) client: &'a Client,
    /// The upstream's `host:port`, written as Host with `--rewrite-host`.
    pub(crate) authority: &'a str,
    /// Replace Host with `authority`.
    pub(crate) rewrite_host: bool,
}

/// Writes the request head to send upstream into `out` and says what follows it.
pub(crate) fn request(
    req: &httparse::Request<'_, '_>,
    framing: &RequestHead,
    hop: &Hop<'_>,
    out: &mut Vec<u8>,
) -> Forwarded {
    let method = req.method.unwrap_or("GET");
    let target = origin_form(req.path.unwrap_or("/"));
    let connection = Connection::of(req.headers);
    let upgrade = req
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("upgrade"))
        .filter(|_| connection.lists("upgrade"))
        .map(|h| h.value.to_vec());
    out.extend_from_slice(method.as_bytes());
    out.push(b' ');
    out.extend_from_slice(target.path.as_bytes());
    out.extend_from_slice(target.query.as_bytes());
    // An HTTP/1.0 client cannot read a chunked answer: ask the upstream in its version.
    if req.version == Some(0) {
        out.extend_from_slice(b" HTTP/1.0\r\n");
    } else {
        out.extend_from_slice(b" HTTP/1.1\r\n");
    }
    let mut host: &[u8] = b"";
    for h in req.headers.iter() {
        let name = h.name;
        if name.eq_ignore_ascii_case("host") {
            // An absolute-form target's authority replaces Host (RFC 9112 §3.2.2).
            host = target.authority.map_or(h.value, str::as_bytes);
            if !hop.rewrite_host {
                field(out, name.as_bytes(), host);
            }
            continue;
        } else if name.eq_ignore_ascii_case("content-length")
            || claimed(name)
            || dropped(name, connection)
        {
            continue;
        }
        field(out, name.as_bytes(), h.value);
    }
    if let Some(authority) = target.authority.filter(|_| host.is_empty()) {
        host = authority.as_bytes();
        if !hop.rewrite_host {
            field(out, b"Host", host);
        }
    }
    if hop.rewrite_host {
        field(out, b"Host", hop.authority.as_bytes());
    }
    // The client's own forwarding fields are replaced, never extended: it could name any
    // address (as Caddy does with no trusted proxies).
    out.extend_from_slice(b"X-Forwarded-For: ");
    out.extend_from_slice(hop.client.ip.as_bytes());
    out.extend_from_slice(b"\r\nX-Real-IP: ");
    out.extend_from_slice(hop.client.ip.as_bytes());
    out.extend_from_slice(b"\r\nX-Forwarded-Proto: https\r\n");
    if !host.is_empty() {
        field(out, b"X-Forwarded-Host", host);
    }
    out.extend_from_slice(b"Forwarded: ");
    out.extend_from_slice(hop.client.node.as_bytes());
    if !host.is_empty() && host.iter().all(|&b| b.is_ascii_graphic() && b != b'"') {
        out.extend_from_slice(b";host=\"");
        out.extend_from_slice(host);
        out.push(b'"');
    }
    out.extend_from_slice(b";proto=https\r\n");
    let body = if framing.chunked {
        // Codings before chunked pass on, like the body they describe.
        if let Some(list) = transfer_codings(req.headers) {
            codings(list, out);
        }
        Body::chunked()
    } else {
        let n = framing.length.unwrap_or(0);
        if framing.length.is_some() {
            let _ = write!(out, "Content-Length: {n}\r\n");
        }
        Body::Length(n)
    };
    if let Some(u) = &upgrade {
        out.extend_from_slice(b"Connection: upgrade\r\n");
        field(out, b"Upgrade", u);
    }
    out.extend_from_slice(b"\r\n");
    Forwarded {
        body,
        head_only: method == "HEAD",
        upgrade,
    }
}

/// What an upstream response head says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answer {
    /// The status code.
    pub(crate) status: u16,
    /// The response body to come; `None` when it has none.
    pub(crate) body: Option<Body>,
    /// The upstream connection may carry another request after this response.
    pub(crate) reusable: bool,
    /// The body is chunked and goes to an HTTP/1.0 client: it is passed on decoded, delimited
    /// by the close of the connection.
    pub(crate) decode: bool,
}

/// Header fields accepted in a request or response head.
pub(crate) const MAX_HEADERS: usize = 100;

/// What the client asked that shapes the response it gets.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Asked {
    /// A HEAD request.
    pub(crate) head_only: bool,
    /// The client asked to switch protocols.
    pub(crate) upgrade: bool,
    /// The client connection ends after this response.
    pub(crate) close: bool,
    /// The client speaks HTTP/1.0 (it reads no transfer coding).
    pub(crate) http10: bool,
}

/// The response head at the start of `buf`, if complete: writes what the client gets into `out`
/// (see [`response`]) and returns the head's length and what it says. A `101` the client did not
/// ask for and a malformed head are errors.
pub(crate) fn response_head(
    buf: &[u8],
    asked: Asked,
    out: &mut Vec<u8>,
) -> Result<Option<(usize, Answer)>, String> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut res = httparse::Response::new(&mut headers);
    let n = match res.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(format!("the upstream sent a malformed response: {e}")),
    };
    if res.code == Some(101) && !asked.upgrade {
        return Err("the upstream switched protocols unasked".into());
    }
    Ok(Some((n, response(&res, asked, out)?)))
}

/// Writes the response head to send to the client into `out`; `asked.close` adds
/// `Connection: close`. Refuses framing the proxy cannot pass on safely. A chunked body for an
/// HTTP/1.0 client loses its Transfer-Encoding and is decoded (as nginx does); any other transfer
/// coding is refused for it.
pub(crate) fn response(
    res: &httparse::Response<'_, '_>,
    asked: Asked,
    out: &mut Vec<u8>,
) -> Result<Answer, String> {
    let Asked {
        head_only, close, ..
    } = asked;
    let status = res.code.unwrap_or(502);
    // RFC 9110 §15: 100 to 599; written back as given, another would not parse downstream.
    if !(100..=599).contains(&status) {
        return Err(format!("the upstream sent status code {status:03}"));
    }
    let connection = Connection::of(res.headers);
    let mut length: Option<u64> = None;
    let mut coded = false;
    let mut upgrade: Option<&[u8]> = None;
    for h in res.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            let value =
                content_length(h.value).ok_or("the upstream sent an invalid Content-Length")?;
            if length.is_some_and(|l| l != value) {
                return Err("the upstream sent conflicting Content-Length fields".into());
            }
            length = Some(value);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            coded = true;
        } else if h.name.eq_ignore_ascii_case("upgrade") {
            upgrade = Some(h.value);
        }
    }
    let list = transfer_codings(res.headers)
        .ok_or("the upstream sent a Transfer-Encoding that is not a list of tokens")?;
    let chunked = coded
        && list
            .clone()
            .next_back()
            .is_some_and(|c| c.eq_ignore_ascii_case(b"chunked"));
    let no_body = head_only || status < 200 || status == 204 || status == 304;
    let decode = asked.http10 && coded && !no_body;
    let mut rest = list.clone();
    let only_chunked = rest
        .next()
        .is_some_and(|c| c.eq_ignore_ascii_case(b"chunked"))
        && rest.next().is_none();
    if decode && !only_chunked {
        let list: Vec<_> = list.map(String::from_utf8_lossy).collect();
        return Err(format!(
            "the upstream answered an HTTP/1.0 request with Transfer-Encoding: {}, which an HTTP/1.0 client cannot read",
            list.join(", ")
        ));
    }
    let body = match () {
        _ if no_body => None,
        _ if chunked => Some(Body::chunked()),
        _ if coded => Some(Body::UntilClose),
        _ => Some(length.map_or(Body::UntilClose, Body::Length)),
    };
    let upstream_close =
        connection.lists("close") || (res.version == Some(0) && !connection.lists("keep-alive"));
    let reusable = !upstream_close && body != Some(Body::UntilClose);
    let reason = res.reason.unwrap_or("");
    // httparse accepts only three-digit codes.
    let digits = [status / 100 % 10, status / 10 % 10, status % 10].map(|d| b'0' + d as u8);
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(&digits);
    out.push(b' ');
    out.extend_from_slice(reason.as_bytes());
    out.extend_from_slice(b"\r\n");
    for h in res.headers.iter() {
        let name = h.name;
        let framing = name.eq_ignore_ascii_case("content-length")
            || name.eq_ignore_ascii_case("transfer-encoding");
        if framing || dropped(name, connection) {
            continue;
        }
        field(out, name.as_bytes(), h.value);
    }
    // Framing is stated here, whatever Connection lists: the body is passed on as it came.
    if coded {
        // Any transfer coding overrides Content-Length (RFC 9112 §6.3), which must not pass on.
        if !no_body && !decode {
            codings(list, out);
        }
    } else if let Some(n) = length.filter(|_| status >= 200 && status != 204) {
        let _ = write!(out, "Content-Length: {n}\r\n");
    }
    if status == 101 {
        out.extend_from_slice(b"Connection: upgrade\r\n");
        if let Some(u) = upgrade {
            field(out, b"Upgrade", u);
        }
    } else if status >= 200 && (close || decode || body == Some(Body::UntilClose)) {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    Ok(Answer {
        status,
        body,
        reusable,
        decode,
    })
}

/// Appends one Transfer-Encoding field with the codings in `list` in a form no recipient
/// reads differently (nothing when there are none).
fn codings<'a>(mut list: impl Iterator<Item = &'a [u8]>, out: &mut Vec<u8>) {
    let Some(first) = list.next() else {
        return;
    };
    out.extend_from_slice(b"Transfer-Encoding: ");
    out.extend_from_slice(first);
    for c in list {
        out.extend_from_slice(b", ");
        out.extend_from_slice(c);
    }
    out.extend_from_slice(b"\r\n");
}

/// Appends `name: value\r\n`.
fn field(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forward(raw: &[u8], rewrite_host: bool) -> (String, Forwarded) {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut req = httparse::Request::new(&mut headers);
        assert!(req.parse(raw).unwrap().is_complete());
        let framing = RequestHead::check(req.headers).unwrap();
        let client = Client::new("192.0.2.7:5555".parse().unwrap());
        let hop = Hop {
            client: &client,
            authority: "127.0.0.1:3000",
            rewrite_host,
        };
        let mut out = Vec::new();
        let f = request(&req, &framing, &hop, &mut out);
        (String::from_utf8(out).unwrap(), f)
    }

    #[test]
    fn hop_by_hop_fields_and_those_named_in_connection_are_not_forwarded() {
        let (head, f) = forward(
            b"GET http://app.localhost/x?y HTTP/1.1\r\nHost: app.localhost\r\nConnection: keep-alive, X-Secret\r\n\
              Keep-Alive: 5\r\nTE: trailers\r\nX-Secret: 1\r\nProxy-Connection: x\r\nAccept: */*\r\n\r\n",
            false,
        );
        assert!(
            head.starts_with("GET /x?y HTTP/1.1\r\nHost: app.localhost\r\n"),
            "{head}"
        );
        for gone in [
            "Keep-Alive",
            "TE:",
            "X-Secret",
            "Proxy-Connection",
            "Connection",
        ] {
            assert!(!head.contains(gone), "{gone} in {head}");
        }
        assert!(head.contains("Accept: */*\r\n"));
        assert_eq!(f.body, Body::Length(0));
        assert_eq!(f.upgrade, None);
    }

    #[test]
    fn forwarding_fields_the_client_sent_are_replaced_by_the_proxys() {
        let (head, _) = forward(
            b"POST / HTTP/1.1\r\nHost: app.localhost:8443\r\nX-Forwarded-For: 10.0.0.1\r\n\
              X-Forwarded-Proto: http\r\nForwarded: for=10.0.0.1\r\nX-Forwarded-Host: evil\r\n\
              X-Real-IP: 10.0.0.1\r\nTrue-Client-IP: 10.0.0.1\r\nCF-Connecting-IP: 10.0.0.1\r\n\
              Content-Length: 3\r\n\r\n",
            true,
        );
        assert!(head.contains("\r\nHost: 127.0.0.1:3000\r\n"), "{head}");
        assert!(
            !head.contains("10.0.0.1") && !head.contains("evil"),
            "{head}"
        );
        assert!(head.contains("X-Forwarded-For: 192.0.2.7\r\n"));
        assert!(head.contains("X-Real-IP: 192.0.2.7\r\n"));
        assert!(head.contains("X-Forwarded-Proto: https\r\n"));
        assert!(!head.contains("X-Forwarded-Proto: http\r\n"));
        assert!(head.contains("X-Forwarded-Host: app.localhost:8443\r\n"));
        assert!(
            head.contains("Forwarded: for=192.0.2.7;host=\"app.localhost:8443\";proto=https\r\n")
        );
        assert!(head.contains("Content-Length: 3\r\n"));
    }

    #[test]
    fn request_framing_is_stated_whatever_connection_lists() {
        let (head, f) = forward(
            b"POST / HTTP/1.1\r\nHost: a\r\nConnection: Content-Length\r\nContent-Length: 3\r\n\r\n",
            false,
        );
        assert_eq!(f.body, Body::Length(3));
        assert!(head.contains("\r\nContent-Length: 3\r\n"), "{head}");
        let (head, f) = forward(
            b"POST / HTTP/1.1\r\nHost: a\r\nConnection: Transfer-Encoding\r\nTransfer-Encoding: gzip\r\n\
              Transfer-Encoding: chunked\r\n\r\n",
            false,
        );
        assert_eq!(f.body, Body::chunked());
        assert!(
            head.contains("\r\nTransfer-Encoding: gzip, chunked\r\n"),
            "{head}"
        );
    }

    #[test]
    fn an_absolute_form_targets_authority_replaces_host() {
        let (head, _) = forward(
            b"GET HTTP://App.localhost:8443?q HTTP/1.1\r\nHost: other.localhost\r\n\r\n",
            false,
        );
        assert!(
            head.starts_with("GET /?q HTTP/1.1\r\nHost: App.localhost:8443\r\n"),
            "{head}"
        );
        assert!(!head.contains("other"), "{head}");
        assert!(head.contains("X-Forwarded-Host: App.localhost:8443\r\n"));
    }

    #[test]
    fn an_http_1_0_request_goes_upstream_as_http_1_0() {
        let (head, _) = forward(b"GET /a HTTP/1.0\r\nHost: a\r\n\r\n", false);
        assert!(head.starts_with("GET /a HTTP/1.0\r\n"), "{head}");
    }

    #[test]
    fn an_upgrade_request_keeps_its_upgrade() {
        let (head, f) = forward(
            b"GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
            false,
        );
        assert_eq!(f.upgrade.as_deref(), Some(&b"websocket"[..]));
        assert!(
            head.contains("Connection: upgrade\r\nUpgrade: websocket\r\n"),
            "{head}"
        );
    }

    fn answer(raw: &[u8], head_only: bool) -> (String, Answer) {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut res = httparse::Response::new(&mut headers);
        assert!(res.parse(raw).unwrap().is_complete());
        let mut out = Vec::new();
        let a = response(
            &res,
            Asked {
                head_only,
                ..Asked::default()
            },
            &mut out,
        )
        .unwrap();
        (String::from_utf8(out).unwrap(), a)
    }

    #[test]
    fn response_framing_follows_rfc_9112() {
        let (head, a) = answer(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 9\r\nKeep-Alive: x\r\n\r\n",
            false,
        );
        assert_eq!(a.body, Some(Body::chunked()));
        assert!(
            head.contains("Transfer-Encoding: chunked\r\n") && !head.contains("Content-Length")
        );
        assert!(!head.contains("Keep-Alive"));
        let (_, a) = answer(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", true);
        assert_eq!(a.body, None);
        assert!(a.reusable);
        let (head, a) = answer(b"HTTP/1.0 200 OK\r\n\r\n", false);
        assert_eq!(a.body, Some(Body::UntilClose));
        assert!(!a.reusable);
        assert!(head.contains("Connection: close\r\n"));
        let mut headers = [httparse::EMPTY_HEADER; 4];
        let mut res = httparse::Response::new(&mut headers);
        res.parse(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")
            .unwrap();
        assert!(response(&res, Asked::default(), &mut Vec::new()).is_err());
    }

    #[test]
    fn framing_fields_named_in_connection_are_still_stated() {
        let (head, a) = answer(
            b"HTTP/1.1 200 OK\r\nConnection: Content-Length, Transfer-Encoding\r\nContent-Length: 5\r\n\r\n",
            false,
        );
        assert_eq!(a.body, Some(Body::Length(5)));
        assert!(head.contains("\r\nContent-Length: 5\r\n"), "{head}");
        let (head, a) = answer(
            b"HTTP/1.1 200 OK\r\nConnection: Transfer-Encoding\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
            false,
        );
        assert_eq!(a.body, Some(Body::chunked()));
        assert!(
            head.contains("\r\nTransfer-Encoding: gzip, chunked\r\n"),
            "{head}"
        );
    }

    #[test]
    fn an_upstream_transfer_coding_that_is_not_a_token_is_refused() {
        for te in [&b"chunked\xc2\xa0"[..], b"?chunked", b"gzip;x=1, chunked"] {
            let mut raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: ".to_vec();
            raw.extend_from_slice(te);
            raw.extend_from_slice(b"\r\n\r\n");
            let mut headers = [httparse::EMPTY_HEADER; 4];
            let mut res = httparse::Response::new(&mut headers);
            res.parse(&raw).unwrap();
            assert!(
                response(&res, Asked::default(), &mut Vec::new()).is_err(),
                "{te:?}"
            );
        }
    }

    #[test]
    fn content_length_beside_any_transfer_coding_is_not_passed_on() {
        let (head, a) = answer(
            b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\nTransfer-Encoding: x-chunked\r\n\r\n",
            false,
        );
        assert_eq!(a.body, Some(Body::UntilClose));
        assert!(!head.contains("Content-Length"), "{head}");
        assert!(head.contains("Connection: close\r\n"), "{head}");
    }

    #[test]
    fn a_chunked_answer_to_an_http_1_0_client_is_decoded_and_ended_by_the_close() {
        let http10 = Asked {
            http10: true,
            ..Asked::default()
        };
        let mut headers = [httparse::EMPTY_HEADER; 4];
        let mut res = httparse::Response::new(&mut headers);
        res.parse(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\nTrailer: X\r\n\r\n")
            .unwrap();
        let mut out = Vec::new();
        let a = response(&res, http10, &mut out).unwrap();
        let head = String::from_utf8(out).unwrap();
        assert!(a.decode);
        assert_eq!(a.body, Some(Body::chunked()));
        assert_eq!(head, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
        for codings in ["gzip, chunked", "gzip"] {
            let raw = format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: {codings}\r\n\r\n");
            let mut headers = [httparse::EMPTY_HEADER; 4];
            let mut res = httparse::Response::new(&mut headers);
            res.parse(raw.as_bytes()).unwrap();
            let e = response(&res, http10, &mut Vec::new()).unwrap_err();
            assert!(e.contains("HTTP/1.0 client cannot read"), "{e}");
        }
    }

    #[test]
    fn a_status_code_outside_100_to_599_is_refused() {
        for status in ["099", "000", "600", "999"] {
            let raw = format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\n\r\n");
            let mut headers = [httparse::EMPTY_HEADER; 4];
            let mut res = httparse::Response::new(&mut headers);
            res.parse(raw.as_bytes()).unwrap();
            assert!(
                response(&res, Asked::default(), &mut Vec::new()).is_err(),
                "{status}"
            );
        }
    }

    #[test]
    fn a_content_length_that_is_not_only_digits_is_refused() {
        for value in ["+3", "-1", "0x3", "3 3", ""] {
            let raw = format!("HTTP/1.1 200 OK\r\nContent-Length: {value}\r\n\r\nabc");
            let mut headers = [httparse::EMPTY_HEADER; 4];
            let mut res = httparse::Response::new(&mut headers);
            res.parse(raw.as_bytes()).unwrap();
            let mut out = Vec::new();
            assert!(
                response(&res, Asked::default(), &mut out).is_err(),
                "{value:?}"
            );
        }
    }
}
