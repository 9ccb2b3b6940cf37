//! What can stop the ACME server from starting, worded as what the user must fix.

/// Why ACME state could not be loaded or the server configured.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The saved state file is not state this version wrote.
    #[error("the saved ACME state is damaged ({0}); move it aside to start with no accounts")]
    State(serde_json::Error),
    /// The server's URL is not an https origin.
    #[error("the ACME origin {0:?} must look like https://localhost:8443 (no path)")]
    Origin(String),
    /// The leaf validity is zero or too long.
    #[error("ACME certificates must be valid for 1 to {max} days, not {days}")]
    LeafDays {
        /// The days asked for.
        days: u32,
        /// The most allowed.
        max: u32,
    },
}
