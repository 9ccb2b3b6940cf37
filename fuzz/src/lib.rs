//! The bodies of selfsign's fuzz targets, as plain functions.
//!
//! Each function takes arbitrary bytes and must return without panicking, whatever the bytes:
//! errors are fine, panics, aborts, hangs and unbounded memory are bugs. The libFuzzer binaries in
//! `fuzz_targets/` call them under nightly with sanitizers; `tests/corpus.rs` replays every file
//! under `corpus/<target>/` through them on stable so `make test` stays fast and deterministic.
#![forbid(unsafe_code)]

pub mod acme;
pub mod ca;
pub mod certificates;
pub mod csr;
pub mod forwarding;
pub mod listener;
pub mod names;
pub mod proxy;
pub mod sni;

use selfsign_core::UnixTime;

/// The fixed "now" every target judges validity at (2026-01-01T00:00:00Z), so runs reproduce.
pub const NOW: u64 = 1_767_225_600;

/// [`NOW`] as the type the core takes.
pub fn now() -> UnixTime {
    UnixTime::since_unix_epoch(std::time::Duration::from_secs(NOW))
}

/// A fuzz target: its name (the folder under `corpus/`) and its body.
pub struct Target {
    /// Name of the target, its binary and its corpus folder.
    pub name: &'static str,
    /// The body: any input must return without panicking; `true` when the input was accepted
    /// (parsed, imported or issued), so the replay can check the corpus reaches the deep paths.
    pub run: fn(&[u8]) -> bool,
}

/// Every target, for the corpus replay.
pub const TARGETS: &[Target] = &[
    Target {
        name: "inspect",
        run: certificates::inspect,
    },
    Target {
        name: "names",
        run: names::parse,
    },
    Target {
        name: "csr",
        run: csr::sign,
    },
    Target {
        name: "ca_import",
        run: ca::import,
    },
    Target {
        name: "http",
        run: listener::http,
    },
    Target {
        name: "tls",
        run: listener::tls,
    },
    Target {
        name: "acme",
        run: acme::requests,
    },
    Target {
        name: "upstream",
        run: proxy::upstream,
    },
    Target {
        name: "proxy_request",
        run: forwarding::request,
    },
    Target {
        name: "sni",
        run: sni::route,
    },
];
