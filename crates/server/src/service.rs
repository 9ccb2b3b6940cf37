//! What runs on top of TLS: the plaintext side of a connection (HTTP files, echo or proxy).

use std::time::Instant;

/// Largest plaintext a service hands over at once; also the file read size.
pub(crate) const CHUNK: usize = 64 * 1024;

/// The application protocol of one connection, driven by [`crate::conn::Conn`].
///
/// The connection only asks for more output once everything produced before has been accepted by
/// rustls, and only reads from the socket while [`Service::wants_input`] holds: together these
/// bound the memory a peer can make the server hold.
pub(crate) trait Service: Send {
    /// Takes plaintext received from the peer.
    fn receive(&mut self, data: &[u8]);
    /// Appends the next plaintext to send to `out`, at most about [`CHUNK`] bytes; appends
    /// nothing when no output is ready. An error aborts the connection without close_notify.
    fn produce(&mut self, out: &mut Vec<u8>) -> Result<(), String>;
    /// Whether the connection should read more from the peer now.
    fn wants_input(&self) -> bool;
    /// The peer will send nothing more (close_notify or TCP EOF).
    fn peer_closed(&mut self);
    /// The server is shutting down: finish what is in flight, start nothing new.
    fn drain(&mut self);
    /// Nothing more will be produced: close once the output is flushed.
    fn finished(&self) -> bool;
    /// The TLS handshake is complete (called once, before any plaintext is received).
    fn established(&mut self, _tls: &rustls::ServerConnection) {}
    /// Part of a request head has arrived and its end has not: the header deadline runs.
    fn receiving_head(&self) -> bool {
        false
    }
    /// Moves bytes between the service and sockets it owns itself (a proxy's upstream);
    /// `Ok(true)` if anything moved. An error aborts the connection without close_notify.
    fn pump(&mut self, _now: Instant) -> Result<bool, String> {
        Ok(false)
    }
    /// While the service waits on something other than the peer (an upstream), when it must be
    /// looked at; this replaces the connection's idle deadline.
    fn deadline(&self) -> Option<Instant> {
        None
    }
    /// Its [`Service::deadline`] passed.
    fn expire(&mut self, _now: Instant) {}
}
