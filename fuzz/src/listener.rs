//! The TLS listener without sockets: its HTTP request path and its connection state machine,
//! through `selfsign_server::fuzzing`.

use std::fs;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use selfsign_core::{Ca, CaOptions, LeafOptions};
use selfsign_server::{fuzzing, tls_config, ClientAuth, Limits, Mode, TlsOptions};

/// Text only files that must never be served hold: one outside the web root, and a dotfile.
const SECRET: &[u8] = b"SECRET-OUTSIDE-THE-WEB-ROOT";

/// A web root with an index, a subdirectory, symlinks that point outside it (to the secret file
/// and to the directory holding it: the state a directory-for-symlink swap creates), a FIFO,
/// and a `.env` dotfile with the secret; made once per process under the system temp directory.
fn web_root() -> &'static PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let base = std::env::temp_dir().join(format!("selfsign-fuzz-{}", std::process::id()));
        let root = base.join("web");
        fs::create_dir_all(root.join("sub")).expect("make the fuzz web root");
        fs::write(base.join("secret.txt"), SECRET).expect("write the secret");
        fs::write(root.join("index.html"), b"<!doctype html><p>fuzz").expect("write index");
        fs::write(root.join("app.wasm"), b"\0asm\x01\0\0\0").expect("write wasm");
        fs::write(root.join("sub/a.txt"), b"a").expect("write sub/a.txt");
        fs::write(root.join(".env"), SECRET).expect("write .env");
        for (target, link) in [
            (base.join("secret.txt"), "escape.txt"),
            (base.clone(), "flip"),
        ] {
            let link = root.join(link);
            if fs::symlink_metadata(&link).is_err() {
                std::os::unix::fs::symlink(target, link).expect("symlink");
            }
        }
        // A FIFO: opening it for reading would block a server that does not open non-blocking.
        let fifo = root.join("fifo");
        if fs::symlink_metadata(&fifo).is_err() {
            let _ = std::process::Command::new("mkfifo").arg(&fifo).status();
        }
        root
    })
}

/// The server's TLS configuration: a CA-issued P-256 leaf, client certificates optional (so
/// TLS 1.2 client Certificate messages are parsed), resumption on; made once per process.
fn config() -> Arc<rustls::ServerConfig> {
    static CONFIG: OnceLock<Arc<rustls::ServerConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let ca = Ca::new_root(&CaOptions::default(), crate::now()).expect("a root CA");
            let leaf = ca
                .issue(&LeafOptions::new(["localhost", "127.0.0.1"]), crate::now())
                .expect("a leaf");
            tls_config(TlsOptions {
                chain: leaf.tls_chain(),
                key: leaf.key.private_key_der(),
                client_auth: ClientAuth::Optional(vec![ca.certificate().der().clone()]),
                resumption: true,
            })
            .expect("a TLS config")
        })
        .clone()
}

/// How the input arrives: in one read when its length is even, else in pieces of
/// `1 + len % 61` bytes (so seeds also exercise records split across reads).
fn reads(data: &[u8]) -> Vec<&[u8]> {
    if data.len().is_multiple_of(2) {
        return vec![data];
    }
    data.chunks(1 + data.len() % 61).collect()
}

fn assert_no_secret(output: &[u8]) {
    assert!(
        !output.windows(SECRET.len()).any(|w| w == SECRET),
        "a file outside the web root was served"
    );
}

/// Feeds the bytes to the HTTP service as decrypted request data; every answer must be an
/// HTTP/1.1 response, nothing outside the web root (nor a dotfile) may be served, and no
/// redirect may leave the origin. Returns whether a `200 OK` was among the answers.
pub fn http(data: &[u8]) -> bool {
    let output = fuzzing::http_exchange(web_root(), &Limits::default(), &reads(data))
        .expect("the web root opens");
    assert_no_secret(&output);
    assert!(
        !output
            .windows(12)
            .any(|w| w.eq_ignore_ascii_case(b"location: //")),
        "a redirect off this origin"
    );
    assert!(
        output.is_empty() || output.starts_with(b"HTTP/1.1 "),
        "output that is not an HTTP/1.1 response: {:?}",
        String::from_utf8_lossy(&output[..output.len().min(80)])
    );
    output.starts_with(b"HTTP/1.1 200 ")
}

/// Feeds the bytes to a server connection as a TLS client's byte stream, then EOF and timeouts;
/// the connection must close without panicking. Returns whether the server answered with a
/// handshake record (content type 22), i.e. the input got past ClientHello parsing.
pub fn tls(data: &[u8]) -> bool {
    let mode = Mode::Http {
        root: web_root().clone(),
        serve_dotfiles: false,
    };
    let output = fuzzing::tls_connection(config(), &mode, &Limits::default(), &reads(data))
        .expect("a server connection starts");
    output.first() == Some(&22)
}
