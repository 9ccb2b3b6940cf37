//! Requests answered by code instead of the web root: a [`Handler`] claims paths (e.g. `/acme/`),
//! and for those the HTTP service reads a Content-Length body of bounded size and sends back
//! whatever the handler answers.

use std::fmt;

/// Answers the requests for the paths it claims, in place of the web root.
pub trait Handler: Send + Sync + fmt::Debug {
    /// Whether the request for `path` (no query) is this handler's.
    fn claims(&self, path: &str) -> bool;
    /// The largest request body it accepts, in bytes (413 beyond).
    fn max_body(&self) -> usize;
    /// Answers one request.
    fn handle(&self, request: &HandlerRequest<'_>) -> HandlerResponse;
    /// The answer to a request refused before it reached the handler (`status` 400, 411 or 413:
    /// unframeable, chunked or too large body); `None` sends a plain-text error. The connection
    /// closes after it either way.
    fn refuse(&self, status: u16) -> Option<HandlerResponse> {
        let _ = status;
        None
    }
}

/// One request for a [`Handler`].
#[derive(Debug, Clone, Copy)]
pub struct HandlerRequest<'a> {
    /// The method, e.g. `POST`.
    pub method: &'a str,
    /// The path, without the query.
    pub path: &'a str,
    /// The Content-Type field, if any.
    pub content_type: Option<&'a str>,
    /// The body (empty when there is none).
    pub body: &'a [u8],
}

/// A [`Handler`]'s answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerResponse {
    /// The status code.
    pub status: u16,
    /// Header fields besides Date, Content-Length and Connection (Content-Type among them).
    pub headers: Vec<(String, String)>,
    /// The body (not sent for HEAD).
    pub body: Vec<u8>,
}

/// Where a claimed request stands once its head has been parsed.
pub(crate) enum Framed<'a> {
    /// The body has not all arrived.
    Incomplete,
    /// Refuse with this status and close (unframeable or too large).
    Refuse(u16),
    /// The whole request, `end` bytes into the buffer.
    Complete {
        content_type: Option<&'a str>,
        body: &'a [u8],
        end: usize,
    },
}

/// Finds the body after a head of `head_len` bytes at the start of `buf`.
pub(crate) fn frame(buf: &[u8], head_len: usize, max_body: usize) -> Framed<'_> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut headers);
    if !matches!(
        req.parse(&buf[..head_len]),
        Ok(httparse::Status::Complete(_))
    ) {
        return Framed::Refuse(400);
    }
    let mut length = 0usize;
    let mut content_type = None;
    for h in req.headers.iter() {
        if h.name.eq_ignore_ascii_case("transfer-encoding") {
            return Framed::Refuse(411);
        }
        if h.name.eq_ignore_ascii_case("content-length") {
            match crate::http::content_length(h.value).and_then(|n| usize::try_from(n).ok()) {
                Some(n) => length = n,
                None => return Framed::Refuse(400),
            }
        }
        if h.name.eq_ignore_ascii_case("content-type") {
            content_type = std::str::from_utf8(h.value).ok();
        }
    }
    if length > max_body {
        return Framed::Refuse(413);
    }
    let end = head_len + length;
    if buf.len() < end {
        return Framed::Incomplete;
    }
    Framed::Complete {
        content_type,
        body: &buf[head_len..end],
        end,
    }
}

#[cfg(test)]
mod tests {
    use super::{frame, Framed};

    fn head(extra: &str) -> String {
        format!("POST /acme/new-order HTTP/1.1\r\nHost: localhost\r\n{extra}\r\n")
    }

    #[test]
    fn a_body_is_handed_over_once_content_length_bytes_have_arrived() {
        let h = head("Content-Type: application/jose+json\r\nContent-Length: 5\r\n");
        let partial = format!("{h}abc");
        assert!(matches!(
            frame(partial.as_bytes(), h.len(), 100),
            Framed::Incomplete
        ));
        let whole = format!("{h}abcdeGET / HTTP/1.1\r\n");
        match frame(whole.as_bytes(), h.len(), 100) {
            Framed::Complete {
                content_type,
                body,
                end,
            } => {
                assert_eq!(content_type, Some("application/jose+json"));
                assert_eq!(body, b"abcde");
                assert_eq!(end, h.len() + 5);
            }
            _ => panic!("expected a complete request"),
        }
    }

    #[test]
    fn chunked_and_oversized_bodies_are_refused() {
        let chunked = head("Transfer-Encoding: chunked\r\n");
        assert!(matches!(
            frame(chunked.as_bytes(), chunked.len(), 100),
            Framed::Refuse(411)
        ));
        let big = head("Content-Length: 101\r\n");
        assert!(matches!(
            frame(big.as_bytes(), big.len(), 100),
            Framed::Refuse(413)
        ));
        let bad = head("Content-Length: -1\r\n");
        assert!(matches!(
            frame(bad.as_bytes(), bad.len(), 100),
            Framed::Refuse(400)
        ));
    }
}
