//! TLS configurations chosen by SNI: rustls's `Acceptor` reads the ClientHello, then the
//! connection starts with the configuration routed to its server name (certificate, TLS versions
//! and client authentication can all differ per name), or the default one.

use std::collections::HashMap;
use std::io::{self, BufRead, Read, Write};
use std::sync::Arc;

use rustls::server::{Accepted, AcceptedAlert, Acceptor};
use rustls::{ServerConfig, ServerConnection};

/// Server names with a configuration of their own; every other name gets the default.
#[derive(Debug, Clone)]
pub struct SniRouter {
    default: Arc<ServerConfig>,
    names: HashMap<String, Arc<ServerConfig>>,
}

impl SniRouter {
    /// A router that sends every name to `default` until [`SniRouter::route`] adds names.
    pub fn new(default: Arc<ServerConfig>) -> SniRouter {
        SniRouter {
            default,
            names: HashMap::new(),
        }
    }

    /// Serves `name` (a DNS name, matched without regard to case) with `config`.
    pub fn route(&mut self, name: &str, config: Arc<ServerConfig>) {
        self.names.insert(name.to_ascii_lowercase(), config);
    }

    /// The configuration for a ClientHello naming `sni` (or none).
    pub fn pick(&self, sni: Option<&str>) -> Arc<ServerConfig> {
        sni.and_then(|name| self.names.get(&name.to_ascii_lowercase()))
            .unwrap_or(&self.default)
            .clone()
    }

    /// The configuration for names not routed.
    pub fn default_config(&self) -> &Arc<ServerConfig> {
        &self.default
    }
}

/// A connection's TLS state: waiting for the ClientHello to choose a configuration, or running.
pub(crate) enum Tls {
    /// Reading the ClientHello; `alert` is a refusal still to be sent.
    Hello {
        acceptor: Box<Acceptor>,
        router: Arc<SniRouter>,
        alert: Option<AcceptedAlert>,
    },
    /// The configuration is chosen.
    Ready(Box<ServerConnection>),
}

impl From<ServerConnection> for Tls {
    fn from(conn: ServerConnection) -> Tls {
        Tls::Ready(Box::new(conn))
    }
}

impl Tls {
    /// A connection whose configuration `router` picks once the ClientHello is in.
    pub(crate) fn routed(router: Arc<SniRouter>) -> Tls {
        Tls::Hello {
            acceptor: Box::default(),
            router,
            alert: None,
        }
    }

    /// The running connection, once its configuration is chosen.
    pub(crate) fn connection(&self) -> Option<&ServerConnection> {
        match self {
            Tls::Ready(conn) => Some(conn),
            Tls::Hello { .. } => None,
        }
    }

    pub(crate) fn is_handshaking(&self) -> bool {
        match self {
            Tls::Ready(conn) => conn.is_handshaking(),
            Tls::Hello { .. } => true,
        }
    }

    pub(crate) fn wants_read(&self) -> bool {
        match self {
            Tls::Ready(conn) => conn.wants_read(),
            Tls::Hello { alert, .. } => alert.is_none(),
        }
    }

    pub(crate) fn wants_write(&self) -> bool {
        match self {
            Tls::Ready(conn) => conn.wants_write(),
            Tls::Hello { alert, .. } => alert.is_some(),
        }
    }

    pub(crate) fn read_tls(&mut self, rd: &mut dyn Read) -> io::Result<usize> {
        match self {
            Tls::Ready(conn) => conn.read_tls(rd),
            Tls::Hello { acceptor, .. } => acceptor.read_tls(rd),
        }
    }

    pub(crate) fn write_tls(&mut self, wr: &mut dyn Write) -> io::Result<usize> {
        match self {
            Tls::Ready(conn) => conn.write_tls(wr),
            Tls::Hello { alert, .. } => match alert {
                Some(pending) => {
                    // An alert is one small record: written whole or not at all.
                    let n = pending.write(wr)?;
                    *alert = None;
                    Ok(n.max(1))
                }
                None => Ok(0),
            },
        }
    }

    /// Processes received records; with a complete ClientHello, starts the routed connection.
    pub(crate) fn process_new_packets(&mut self) -> Result<(), rustls::Error> {
        let accepted: Accepted = match self {
            Tls::Ready(conn) => return conn.process_new_packets().map(|_| ()),
            Tls::Hello {
                acceptor, alert, ..
            } => match acceptor.accept() {
                Ok(None) => return Ok(()),
                Ok(Some(accepted)) => accepted,
                Err((e, refusal)) => {
                    *alert = Some(refusal);
                    return Err(e);
                }
            },
        };
        let Tls::Hello { router, alert, .. } = self else {
            return Ok(());
        };
        let config = router.pick(accepted.client_hello().server_name());
        match accepted.into_connection(config) {
            Ok(conn) => {
                *self = Tls::Ready(Box::new(conn));
                self.process_new_packets()
            }
            Err((e, refusal)) => {
                *alert = Some(refusal);
                Err(e)
            }
        }
    }

    pub(crate) fn send_close_notify(&mut self) {
        if let Tls::Ready(conn) = self {
            conn.send_close_notify();
        }
    }

    /// The next piece of decrypted application data, read in place (`WouldBlock` while none is
    /// available, empty at the peer's close_notify); [`Tls::consume_plaintext`] drops it.
    pub(crate) fn plaintext(&mut self) -> io::Result<&[u8]> {
        match self {
            Tls::Ready(conn) => conn.reader().into_first_chunk(),
            Tls::Hello { .. } => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    /// Drops the first `n` bytes of [`Tls::plaintext`].
    pub(crate) fn consume_plaintext(&mut self, n: usize) {
        if let Tls::Ready(conn) = self {
            conn.reader().consume(n);
        }
    }

    /// Queues application data; 0 when rustls's send buffer is full or the handshake not begun.
    pub(crate) fn write_plaintext(&mut self, data: &[u8]) -> io::Result<usize> {
        match self {
            Tls::Ready(conn) => conn.writer().write(data),
            Tls::Hello { .. } => Ok(0),
        }
    }
}
