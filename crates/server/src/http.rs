//! HTTP/1.1 mode: requests parsed by httparse, answered from the web root, in order.

use std::fs::File;
use std::io::{self, Read};
use std::sync::Arc;

use httparse::Status;
use percent_encoding::percent_decode_str;

use crate::badssl::Pages;
use crate::dynamic::{self, Framed, Handler, HandlerRequest, HandlerResponse};
use crate::files::{BadPath, Lookup, WebRoot};
use crate::service::{Service, CHUNK};

/// Header fields accepted in one request; more is answered with 431.
const MAX_HEADERS: usize = 64;

/// Response fields sent with every answer.
const COMMON_HEADERS: &str = "X-Content-Type-Options: nosniff\r\n\
     Cache-Control: no-cache\r\n\
     Referrer-Policy: no-referrer\r\n\
     X-Frame-Options: DENY\r\n";

/// One connection's HTTP state.
pub(crate) struct Http {
    root: Arc<WebRoot>,
    /// In-memory pages answered before the web root is looked at.
    pages: Option<Arc<Pages>>,
    max_head: usize,
    /// Received bytes not yet parsed: the next request head, maybe more pipelined ones.
    inbuf: Vec<u8>,
    /// The last parse found no complete head: `inbuf` is (the start of) one still arriving,
    /// not complete requests queued behind a response in progress.
    head_pending: bool,
    /// The rest of the file being sent.
    body: Option<Body>,
    /// Close once the response in progress is sent.
    close: bool,
    peer_closed: bool,
    /// Nothing more will be sent.
    done: bool,
    /// Answers the paths it claims instead of the web root.
    handler: Option<Arc<dyn Handler>>,
    /// Bytes of request body a claimed request may still bring in beyond its head.
    body_room: usize,
}

/// A file body being streamed.
struct Body {
    file: File,
    remaining: u64,
}

/// The fields of a request head this server acts on.
struct Request {
    method: String,
    target: String,
    http10: bool,
    close: bool,
    has_host: bool,
    has_body: bool,
}

/// The outcome of parsing the start of `inbuf`.
enum Parsed {
    /// A complete head of this many bytes.
    Request(Request, usize),
    /// More bytes are needed.
    Incomplete,
    /// Answer with this status and close: the rest of the stream cannot be framed.
    Refuse(u16, String),
}

impl Http {
    /// A fresh connection serving `root`, refusing request heads over `max_head` bytes.
    pub(crate) fn new(root: Arc<WebRoot>, max_head: usize) -> Http {
        Http {
            root,
            pages: None,
            max_head,
            inbuf: Vec::new(),
            head_pending: true,
            body: None,
            close: false,
            peer_closed: false,
            done: false,
            handler: None,
            body_room: 0,
        }
    }

    /// Lets `handler` answer the paths it claims.
    pub(crate) fn with_handler(mut self, handler: Option<Arc<dyn Handler>>) -> Http {
        self.handler = handler;
        self
    }

    /// The handler claiming `req`, if any.
    fn handler_for(&self, req: &Request) -> Option<Arc<dyn Handler>> {
        let handler = self.handler.as_ref()?;
        let path = origin_form(&req.target).path;
        handler.claims(path).then(|| handler.clone())
    }

    /// Answers a request a handler claims once its whole body is in; `head_len` is its head's.
    fn respond_dynamic(
        &mut self,
        handler: &dyn Handler,
        req: Request,
        head_len: usize,
        out: &mut Vec<u8>,
    ) {
        let head_only = req.method == "HEAD";
        let (response, end) = match dynamic::frame(&self.inbuf, head_len, handler.max_body()) {
            Framed::Incomplete => {
                self.body_room = handler.max_body();
                self.head_pending = true;
                self.done = self.peer_closed;
                return;
            }
            Framed::Refuse(status) => {
                self.close = true;
                self.inbuf.clear();
                match handler.refuse(status) {
                    Some(response) => (response, 0),
                    None => return self.error(out, status, head_only, &req, "body refused"),
                }
            }
            Framed::Complete {
                content_type,
                body,
                end,
            } => {
                let path = origin_form(&req.target).path;
                let request = HandlerRequest {
                    method: &req.method,
                    path,
                    content_type,
                    body,
                };
                (handler.handle(&request), end)
            }
        };
        self.body_room = 0;
        self.head_pending = false;
        self.inbuf.drain(..end);
        self.close |= req.close;
        handler_response(&response, head_only, self.close, out);
        tracing::trace!("{} {} -> {}", req.method, req.target, response.status);
    }

    /// Answers the paths of `pages` from memory.
    pub(crate) fn with_pages(mut self, pages: Option<Arc<Pages>>) -> Http {
        self.pages = pages;
        self
    }

    /// Parses the request at the start of `inbuf`.
    fn parse(&self) -> Parsed {
        if self.inbuf.is_empty() {
            return Parsed::Incomplete;
        }
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(&self.inbuf) {
            Ok(Status::Complete(n)) if n > self.max_head => self.too_large(),
            Ok(Status::Complete(n)) => match Request::from_parsed(&req) {
                Ok(r) => Parsed::Request(r, n),
                Err(why) => Parsed::Refuse(400, why),
            },
            Ok(Status::Partial) if self.inbuf.len() >= self.max_head => self.too_large(),
            Ok(Status::Partial) => Parsed::Incomplete,
            Err(httparse::Error::TooManyHeaders) => {
                Parsed::Refuse(431, format!("more than {MAX_HEADERS} header fields"))
            }
            Err(e) => Parsed::Refuse(400, format!("malformed request: {e}")),
        }
    }

    /// Refuses a head over `max_head`: 414 if the request line alone is too long, else 431.
    fn too_large(&self) -> Parsed {
        let line_end = self.inbuf.iter().position(|&b| b == b'\n');
        if line_end.is_some_and(|end| end < self.max_head) {
            Parsed::Refuse(431, format!("request head over {} bytes", self.max_head))
        } else {
            Parsed::Refuse(414, format!("request line over {} bytes", self.max_head))
        }
    }

    /// Answers one request, leaving any file body in `self.body`.
    fn respond(&mut self, req: Request, out: &mut Vec<u8>) {
        self.close |= req.close;
        let head_only = req.method == "HEAD";
        let allowed = head_only || req.method == "GET";
        if req.has_body {
            // The body cannot be skipped reliably: answer and close.
            self.close = true;
            let status = if allowed { 413 } else { 405 };
            return self.error(out, status, head_only, &req, "request has a body");
        }
        if !allowed {
            return self.error(out, 405, false, &req, "method not allowed");
        }
        if !req.http10 && !req.has_host {
            return self.error(out, 400, head_only, &req, "HTTP/1.1 request without Host");
        }
        let path = origin_form(&req.target)
            .path
            .split('#')
            .next()
            .unwrap_or_default();
        if !path.starts_with('/') || path.contains('\\') {
            return self.error(
                out,
                400,
                head_only,
                &req,
                "request target is not a plain path",
            );
        }
        let Ok(decoded) = percent_decode_str(path).decode_utf8() else {
            return self.error(out, 400, head_only, &req, "path is not UTF-8");
        };
        if let Some(pages) = self.pages.clone() {
            if let Some(page) = pages.get(&decoded) {
                self.head(out, 200, page.content_type, page.body.len() as u64, "");
                if !head_only {
                    out.extend_from_slice(page.body.as_bytes());
                }
                return;
            }
        }
        match self.root.lookup(&decoded) {
            Err(BadPath(why)) => self.error(out, 400, head_only, &req, why),
            Ok(Lookup::NotFound) => self.error(out, 404, head_only, &req, "not found"),
            Ok(Lookup::Forbidden) => self.error(out, 403, head_only, &req, "not readable"),
            Ok(Lookup::Busy) => {
                self.close = true;
                self.error(out, 503, head_only, &req, "out of file descriptors, retry")
            }
            Ok(Lookup::Directory) => {
                let location = format!("Location: {}\r\n", same_origin_slash_form(path));
                self.head(out, 301, "text/plain; charset=utf-8", 0, &location);
                tracing::trace!("{} {} -> 301", req.method, req.target);
            }
            Ok(Lookup::File {
                file,
                len,
                content_type,
            }) => {
                self.head(out, 200, content_type, len, "");
                if !head_only && len > 0 {
                    self.body = Some(Body {
                        file,
                        remaining: len,
                    });
                }
                tracing::trace!("{} {} -> 200 ({len} bytes)", req.method, req.target);
            }
        }
    }

    /// Sends an error status with a one-line text body (no body for HEAD).
    fn error(&mut self, out: &mut Vec<u8>, status: u16, head_only: bool, req: &Request, why: &str) {
        tracing::debug!("{} {} -> {status}: {why}", req.method, req.target);
        // A client that sent a bad request may be confused about framing: close.
        self.close |= status == 400;
        self.refuse(out, status, head_only);
    }

    /// Sends an error status with a one-line text body (no body for HEAD).
    fn refuse(&mut self, out: &mut Vec<u8>, status: u16, head_only: bool) {
        let body = format!("{status} {}\n", reason(status));
        let extra = match status {
            405 => "Allow: GET, HEAD\r\n",
            503 => "Retry-After: 1\r\n",
            _ => "",
        };
        self.head(
            out,
            status,
            "text/plain; charset=utf-8",
            body.len() as u64,
            extra,
        );
        if !head_only {
            out.extend_from_slice(body.as_bytes());
        }
    }

    /// Writes a response head.
    fn head(&self, out: &mut Vec<u8>, status: u16, content_type: &str, len: u64, extra: &str) {
        head(out, status, content_type, len, extra, self.close);
    }

    /// Appends the next chunk of the file body.
    fn stream_body(&mut self, out: &mut Vec<u8>) -> Result<(), String> {
        let Some(body) = self.body.as_mut() else {
            return Ok(());
        };
        let want = usize::try_from(body.remaining).map_or(CHUNK, |r| r.min(CHUNK));
        let start = out.len();
        out.resize(start + want, 0);
        let read = loop {
            match body.file.read(&mut out[start..]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        match read {
            Ok(0) => Err("file shrank while being sent".into()),
            Ok(n) => {
                out.truncate(start + n);
                body.remaining -= n as u64;
                if body.remaining == 0 {
                    self.body = None;
                }
                Ok(())
            }
            Err(e) => Err(format!("reading the file failed: {e}")),
        }
    }
}

impl Http {
    /// Every request received so far has been answered in full.
    pub(crate) fn idle(&self) -> bool {
        self.body.is_none() && self.inbuf.is_empty()
    }
}

impl Service for Http {
    fn receive(&mut self, data: &[u8]) {
        self.inbuf.extend_from_slice(data);
    }

    fn produce(&mut self, out: &mut Vec<u8>) -> Result<(), String> {
        if self.body.is_some() {
            return self.stream_body(out);
        }
        if self.done {
            return Ok(());
        }
        if self.close {
            self.done = true;
            return Ok(());
        }
        match self.parse() {
            Parsed::Request(req, n) => {
                if let Some(handler) = self.handler_for(&req) {
                    self.respond_dynamic(handler.as_ref(), req, n, out);
                    return Ok(());
                }
                self.head_pending = false;
                self.inbuf.drain(..n);
                self.respond(req, out);
            }
            Parsed::Incomplete => {
                self.head_pending = true;
                self.done = self.peer_closed;
            }
            Parsed::Refuse(status, why) => {
                tracing::debug!("refused request: {status}: {why}");
                self.close = true;
                self.inbuf.clear();
                self.refuse(out, status, false);
            }
        }
        Ok(())
    }

    fn wants_input(&self) -> bool {
        !self.close && !self.peer_closed && self.inbuf.len() < self.max_head + self.body_room
    }

    fn peer_closed(&mut self) {
        self.peer_closed = true;
    }

    fn drain(&mut self) {
        self.close = true;
    }

    fn finished(&self) -> bool {
        self.done
    }

    fn receiving_head(&self) -> bool {
        self.head_pending && !self.done && !self.close && !self.inbuf.is_empty()
    }
}

/// The slash form of a directory path as a redirect target on this origin: one leading `/`,
/// since `//host/` would send the browser to another site.
fn same_origin_slash_form(path: &str) -> String {
    format!("/{}/", path.trim_start_matches('/'))
}

impl Request {
    /// Extracts what the server needs from a parsed head, refusing ambiguous framing.
    fn from_parsed(req: &httparse::Request<'_, '_>) -> Result<Request, String> {
        let method = req.method.unwrap_or_default().to_owned();
        let target = req.path.unwrap_or_default().to_owned();
        let http10 = req.version == Some(0);
        let head = RequestHead::check(req.headers)?;
        Ok(Request {
            method,
            target,
            http10,
            close: http10 || head.close,
            has_host: head.has_host,
            has_body: head.chunked || head.length.is_some_and(|l| l > 0),
        })
    }
}

/// What a request head says about its framing and connection, with the rules every mode applies
/// before acting on a request (or forwarding it): one Content-Length value, no Content-Length
/// beside Transfer-Encoding, `chunked` as the last transfer coding, at most one Host.
/// (httparse itself refuses obs-fold continuation lines in requests.)
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RequestHead {
    /// The Content-Length value, if any.
    pub(crate) length: Option<u64>,
    /// The body is chunked.
    pub(crate) chunked: bool,
    /// `Connection: close` was asked for.
    pub(crate) close: bool,
    /// A Host field is present.
    pub(crate) has_host: bool,
}

impl RequestHead {
    /// Reads the framing fields of `headers`, refusing any that would let two parsers disagree
    /// about where the request ends.
    pub(crate) fn check(headers: &[httparse::Header<'_>]) -> Result<RequestHead, String> {
        let mut head = RequestHead::default();
        let mut coded = false;
        for h in headers {
            let name = h.name;
            if name.eq_ignore_ascii_case("content-length") {
                let value = content_length(h.value).ok_or("invalid Content-Length")?;
                if head.length.is_some_and(|l| l != value) {
                    return Err("conflicting Content-Length fields".into());
                }
                head.length = Some(value);
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                coded = true;
            } else if name.eq_ignore_ascii_case("host") {
                if head.has_host {
                    return Err("more than one Host field".into());
                }
                head.has_host = true;
            } else if name.eq_ignore_ascii_case("connection") {
                head.close |= has_token(h.value, "close");
            }
        }
        if coded {
            if head.length.is_some() {
                return Err("both Content-Length and Transfer-Encoding".into());
            }
            let shown = || {
                let fields: Vec<_> = headers
                    .iter()
                    .filter(|h| h.name.eq_ignore_ascii_case("transfer-encoding"))
                    .map(|h| String::from_utf8_lossy(h.value))
                    .collect();
                fields.join(",")
            };
            let Some(codings) = transfer_codings(headers) else {
                return Err(format!(
                    "Transfer-Encoding {:?} is not a list of tokens separated by commas",
                    shown()
                ));
            };
            let mut list = codings.rev();
            if !list
                .next()
                .is_some_and(|c| c.eq_ignore_ascii_case(b"chunked"))
            {
                return Err(format!(
                    "Transfer-Encoding {:?} does not end in chunked",
                    shown()
                ));
            }
            if list.any(|c| c.eq_ignore_ascii_case(b"chunked")) {
                return Err(format!(
                    "Transfer-Encoding {:?} applies chunked more than once",
                    shown()
                ));
            }
            head.chunked = true;
        }
        Ok(head)
    }
}

/// Appends a response head with the fields every answer of ours carries.
fn head(out: &mut Vec<u8>, status: u16, content_type: &str, len: u64, extra: &str, close: bool) {
    let connection = if close { "close" } else { "keep-alive" };
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    let head = format!(
        "HTTP/1.1 {status} {}\r\nDate: {date}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {len}\r\nConnection: {connection}\r\n{COMMON_HEADERS}{extra}\r\n",
        reason(status)
    );
    out.extend_from_slice(head.as_bytes());
}

/// Appends a [`Handler`]'s answer as a whole response (no body for HEAD); `close` says the
/// connection ends after it.
pub(crate) fn handler_response(
    response: &HandlerResponse,
    head_only: bool,
    close: bool,
    out: &mut Vec<u8>,
) {
    let extra: String = response
        .headers
        .iter()
        .filter(|(name, _)| !name.eq_ignore_ascii_case("content-type"))
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    let content_type = response
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        .map_or("text/plain; charset=utf-8", |(_, v)| v.as_str());
    let len = response.body.len() as u64;
    head(out, response.status, content_type, len, &extra, close);
    if !head_only {
        out.extend_from_slice(&response.body);
    }
}

/// A Content-Length value: RFC 9110 §8.6's `1*DIGIT` and nothing else (Rust's integer parsing
/// would also take `+5`, which other parsers read differently or refuse).
pub(crate) fn content_length(value: &[u8]) -> Option<u64> {
    let digits = trim_ows(value);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// Whether a comma-separated field value lists `token` (case-insensitively).
pub(crate) fn has_token(value: &[u8], token: &str) -> bool {
    value
        .split(|&b| b == b',')
        .any(|t| trim_ows(t).eq_ignore_ascii_case(token.as_bytes()))
}

/// The transfer codings of all Transfer-Encoding fields in `headers`, as one list (RFC 9110
/// §5.3, §10.1.4), empty elements left out (§5.6.1); `None` unless every element is a token
/// (§5.6.2) with only SP or HTAB around it: anything else, such as `chunked` followed by U+00A0,
/// is read as `chunked` by some parsers and not by others.
pub(crate) fn transfer_codings<'a>(
    headers: &'a [httparse::Header<'_>],
) -> Option<impl DoubleEndedIterator<Item = &'a [u8]> + Clone> {
    let list = headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("transfer-encoding"))
        .flat_map(|h| h.value.split(|&b| b == b','))
        .map(trim_ows)
        .filter(|c| !c.is_empty());
    list.clone()
        .all(|c| c.iter().all(|&b| is_tchar(b)))
        .then_some(list)
}

/// `value` without the optional whitespace (SP and HTAB, RFC 9110 §5.6.3) around it.
fn trim_ows(value: &[u8]) -> &[u8] {
    let ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = value.iter().position(|b| !ows(b)).unwrap_or(value.len());
    let end = value.iter().rposition(|b| !ows(b)).map_or(start, |i| i + 1);
    &value[start..end]
}

/// Whether `b` may appear in a token (RFC 9110 §5.6.2).
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A request target as origin-form writes it: `path` then `query`; and the authority of an
/// absolute-form target, which stands in for the Host field (RFC 9112 §3.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OriginForm<'a> {
    /// An absolute-form target's `host[:port]` (without userinfo), when not empty.
    pub(crate) authority: Option<&'a str>,
    /// The path (`/` when an absolute-form target has none), or `*`.
    pub(crate) path: &'a str,
    /// `?` and the query, or nothing.
    pub(crate) query: &'a str,
}

/// A request target in origin form, accepting absolute-form too (RFC 9112 §3.2.2): the scheme
/// (`http` or `https`) in any case, the authority up to the first `/`, `?` or `#` (RFC 3986
/// §3.2), so `http://a?/admin` is the path `/` with the query `?/admin`; a fragment is dropped.
pub(crate) fn origin_form(target: &str) -> OriginForm<'_> {
    let absolute = ["http://", "https://"].iter().find_map(|scheme| {
        let head = target.get(..scheme.len())?;
        head.eq_ignore_ascii_case(scheme)
            .then(|| &target[scheme.len()..])
    });
    let (authority, rest) = match absolute {
        Some(after_scheme) => {
            let end = after_scheme
                .find(['/', '?', '#'])
                .unwrap_or(after_scheme.len());
            let (authority, after_authority) = after_scheme.split_at(end);
            let host = authority.rsplit('@').next().unwrap_or_default();
            let rest = after_authority.split('#').next().unwrap_or_default();
            ((!host.is_empty()).then_some(host), rest)
        }
        None => (None, target),
    };
    let (path, query) = rest.find('?').map_or((rest, ""), |i| rest.split_at(i));
    let path = match path {
        "" if absolute.is_some() => "/",
        path => path,
    };
    OriginForm {
        authority,
        path,
        query,
    }
}

/// The reason phrase for the statuses this server sends.
pub(crate) fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        411 => "Length Required",
        413 => "Content Too Large",
        414 => "URI Too Long",
        431 => "Request Header Fields Too Large",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Error",
    }
}

#[cfg(test)]
mod tests {
    use super::{content_length, origin_form, same_origin_slash_form, RequestHead};

    #[test]
    fn a_transfer_coding_list_is_tokens_separated_by_commas_and_sp_or_htab() {
        let check = |te: &[u8]| {
            let headers = [httparse::Header {
                name: "Transfer-Encoding",
                value: te,
            }];
            RequestHead::check(&headers).map(|h| h.chunked)
        };
        for te in [&b"chunked"[..], b" gzip ,\tChunked\t", b"gzip,,chunked"] {
            assert_eq!(check(te), Ok(true), "{te:?}");
        }
        for te in [
            &b"chunked\xc2\xa0"[..],
            b"\xc2\x85chunked",
            b"gzip, chunked\xe3\x80\x80",
            b"\"chunked\"",
            b"gzip;q=1, chunked",
            b"",
        ] {
            assert!(check(te).is_err(), "{te:?}");
        }
    }

    #[test]
    fn content_length_takes_only_sp_or_htab_around_its_digits() {
        assert_eq!(content_length(b" \t5\t "), Some(5));
        assert_eq!(content_length(b"5\xc2\xa0"), None);
        assert_eq!(content_length(b"\x0c5"), None);
    }

    #[test]
    fn directory_redirects_never_leave_the_origin() {
        assert_eq!(same_origin_slash_form("/sub"), "/sub/");
        assert_eq!(same_origin_slash_form("//evil.test"), "/evil.test/");
        assert_eq!(same_origin_slash_form("///evil.test/a"), "/evil.test/a/");
    }

    fn joined(target: &str) -> String {
        let o = origin_form(target);
        format!("{}{}", o.path, o.query)
    }

    #[test]
    fn origin_form_strips_scheme_and_authority() {
        assert_eq!(joined("/a/b?q"), "/a/b?q");
        assert_eq!(origin_form("/a/b?q").path, "/a/b");
        assert_eq!(joined("https://localhost:8443/x.js"), "/x.js");
        assert_eq!(joined("http://localhost"), "/");
        assert_eq!(joined("*"), "*");
    }

    #[test]
    fn absolute_form_has_a_case_insensitive_scheme_and_an_authority_ending_at_slash_query_or_fragment(
    ) {
        assert_eq!(joined("HTTP://host/x"), "/x");
        assert_eq!(joined("HtTpS://host:8443/x?y"), "/x?y");
        assert_eq!(joined("http://a?/admin"), "/?/admin");
        assert_eq!(origin_form("http://a?/admin").path, "/");
        assert_eq!(joined("http://a#/admin"), "/");
        assert_eq!(joined("http://a/b?c#d"), "/b?c");
        assert_eq!(joined("http://user@a/b"), "/b");
        assert_eq!(joined("ftp://a/b"), "ftp://a/b");
        assert_eq!(joined("http:/a"), "http:/a");
        assert_eq!(
            origin_form("HTTP://A.test:8443?x").authority,
            Some("A.test:8443")
        );
        assert_eq!(origin_form("http://u:p@a.test/b").authority, Some("a.test"));
        assert_eq!(origin_form("http:///b").authority, None);
        assert_eq!(origin_form("/b").authority, None);
        assert_eq!(joined("?a"), "?a");
    }
}
