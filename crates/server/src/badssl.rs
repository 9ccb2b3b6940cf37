//! `serve --badssl`: hosts with TLS configurations of their own (chosen by SNI) that answer every
//! request with a short JSON body of their own, a listing at `/badssl.json`, and a CRL served
//! over plain HTTP. Other host names get the server's usual service.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use httparse::Status;
use rustls::{ServerConfig, ServerConnection};
use rustls_pki_types::CertificateDer;

use crate::service::Service;

/// Largest request head a badssl host reads.
const MAX_HEAD: usize = 16 * 1024;

/// The body a host answers with, given the client certificates it received (if any).
pub type Answer = Arc<dyn Fn(Option<&[CertificateDer<'static>]>) -> String + Send + Sync>;

/// One host with a TLS configuration and an answer of its own.
pub struct SiteHost {
    /// The SNI name.
    pub host: String,
    /// Its TLS configuration (certificate, versions, client authentication).
    pub config: Arc<ServerConfig>,
    /// Its JSON answer to every request.
    pub answer: Answer,
}

impl fmt::Debug for SiteHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SiteHost")
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

/// Everything `serve --badssl` adds to a server (see [`crate::Server::serve_badssl`]).
#[derive(Debug)]
pub struct BadsslSite {
    /// The hosts, each answering on its own SNI name.
    pub hosts: Vec<SiteHost>,
    /// `/badssl.json`, served on every badssl host and (in HTTP mode) on every other name.
    pub listing: String,
    /// In HTTP mode, served for `/` and `/index.html` instead of the file (the page with a
    /// Content-Security-Policy that lets it reach the badssl hosts).
    pub index_html: Option<String>,
    /// The CRL (DER) and the plain-HTTP listener (bound, loopback) that serves it.
    pub crl: Vec<u8>,
    /// The path of the CRL on `crl_listener`, e.g. `/badssl.crl`.
    pub crl_path: String,
    /// Where the CRL is served.
    pub crl_listener: std::net::TcpListener,
}

/// In-memory pages the static-file service answers before looking at the web root.
#[derive(Debug, Default)]
pub(crate) struct Pages {
    by_path: HashMap<String, Page>,
}

/// One in-memory page.
#[derive(Debug)]
pub(crate) struct Page {
    pub(crate) content_type: &'static str,
    pub(crate) body: Arc<str>,
}

impl Pages {
    /// The page at `path`, if any.
    pub(crate) fn get(&self, path: &str) -> Option<&Page> {
        self.by_path.get(path)
    }
}

/// What connections of a badssl server share.
pub(crate) struct Site {
    answers: HashMap<String, Answer>,
    listing: Arc<str>,
}

impl Site {
    /// Splits `site` into what connections need and the pages of the static-file service.
    pub(crate) fn new(site: &BadsslSite) -> (Site, Pages) {
        let listing: Arc<str> = Arc::from(site.listing.as_str());
        let answers = site
            .hosts
            .iter()
            .map(|h| (h.host.to_ascii_lowercase(), h.answer.clone()))
            .collect();
        let mut pages = Pages::default();
        let json = "application/json";
        pages.by_path.insert(
            "/badssl.json".into(),
            Page {
                content_type: json,
                body: listing.clone(),
            },
        );
        if let Some(index) = &site.index_html {
            let body: Arc<str> = Arc::from(index.as_str());
            for path in ["/", "/index.html"] {
                pages.by_path.insert(
                    path.into(),
                    Page {
                        content_type: "text/html; charset=utf-8",
                        body: body.clone(),
                    },
                );
            }
        }
        (Site { answers, listing }, pages)
    }

    /// `inner`, replaced by the host's own answer when the handshake names a badssl host.
    pub(crate) fn wrap(self: &Arc<Site>, inner: Box<dyn Service>) -> Box<dyn Service> {
        Box::new(ByHost {
            site: self.clone(),
            active: inner,
        })
    }
}

/// Runs the server's usual service, or a badssl host's answer once the SNI names one.
struct ByHost {
    site: Arc<Site>,
    active: Box<dyn Service>,
}

impl Service for ByHost {
    fn established(&mut self, tls: &ServerConnection) {
        let host = tls.server_name().map(str::to_ascii_lowercase);
        match host.and_then(|h| self.site.answers.get(&h)) {
            Some(answer) => {
                let body = answer(tls.peer_certificates());
                self.active = Box::new(Answering::new(body, self.site.listing.clone()));
            }
            None => self.active.established(tls),
        }
    }
    fn receive(&mut self, data: &[u8]) {
        self.active.receive(data);
    }
    fn produce(&mut self, out: &mut Vec<u8>) -> Result<(), String> {
        self.active.produce(out)
    }
    fn wants_input(&self) -> bool {
        self.active.wants_input()
    }
    fn peer_closed(&mut self) {
        self.active.peer_closed();
    }
    fn drain(&mut self) {
        self.active.drain();
    }
    fn finished(&self) -> bool {
        self.active.finished()
    }
    fn receiving_head(&self) -> bool {
        self.active.receiving_head()
    }
    fn pump(&mut self, now: std::time::Instant) -> Result<bool, String> {
        self.active.pump(now)
    }
    fn deadline(&self) -> Option<std::time::Instant> {
        self.active.deadline()
    }
    fn expire(&mut self, now: std::time::Instant) {
        self.active.expire(now);
    }
}

/// A badssl host: answers one request with its JSON body (or `/badssl.json`), then closes.
struct Answering {
    body: String,
    listing: Arc<str>,
    inbuf: Vec<u8>,
    peer_closed: bool,
    done: bool,
}

impl Answering {
    fn new(body: String, listing: Arc<str>) -> Answering {
        Answering {
            body,
            listing,
            inbuf: Vec::new(),
            peer_closed: false,
            done: false,
        }
    }
}

impl Service for Answering {
    fn receive(&mut self, data: &[u8]) {
        self.inbuf.extend_from_slice(data);
    }

    fn produce(&mut self, out: &mut Vec<u8>) -> Result<(), String> {
        if self.done {
            return Ok(());
        }
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut req = httparse::Request::new(&mut headers);
        let (status, body): (u16, &str) = match req.parse(&self.inbuf) {
            Ok(Status::Partial) if self.inbuf.len() < MAX_HEAD => {
                self.done = self.peer_closed;
                return Ok(());
            }
            Ok(Status::Complete(_)) => {
                let path = req.path.unwrap_or_default();
                match req.method.unwrap_or_default() {
                    "GET" | "HEAD" if path.split('?').next() == Some("/badssl.json") => {
                        (200, &self.listing)
                    }
                    "GET" | "HEAD" => (200, &self.body),
                    _ => (405, "{\"error\":\"method not allowed\"}\n"),
                }
            }
            _ => (400, "{\"error\":\"bad request\"}\n"),
        };
        let head_only = req.method == Some("HEAD");
        let reason = match status {
            200 => "OK",
            405 => "Method Not Allowed",
            _ => "Bad Request",
        };
        let head = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n\
             Access-Control-Allow-Origin: *\r\nX-Content-Type-Options: nosniff\r\n\r\n",
            body.len()
        );
        out.extend_from_slice(head.as_bytes());
        if !head_only {
            out.extend_from_slice(body.as_bytes());
        }
        self.done = true;
        Ok(())
    }

    fn wants_input(&self) -> bool {
        !self.done && !self.peer_closed && self.inbuf.len() < MAX_HEAD
    }

    fn peer_closed(&mut self) {
        self.peer_closed = true;
    }

    fn drain(&mut self) {
        if self.inbuf.is_empty() {
            self.done = true;
        }
    }

    fn finished(&self) -> bool {
        self.done
    }

    fn receiving_head(&self) -> bool {
        !self.done && !self.inbuf.is_empty()
    }
}
