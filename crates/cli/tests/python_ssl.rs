//! The seed's Python pattern loads our files unchanged: a server with
//! `create_default_context(Purpose.CLIENT_AUTH)` + `load_cert_chain(cert, key)` +
//! `wrap_socket(server_side=True)` on 127.0.0.1, verified by a Python client and by openssl.

mod cli_support;

use std::path::Path;

use cli_support::{tool, Env};

/// Serves one TLS connection with the seed's pattern, then connects to it with a verifying client.
const SEED_ROUND_TRIP: &str = r#"
import socket, ssl, sys, threading
cert, key, cafile = sys.argv[1], sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(certfile=cert, keyfile=key)
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.bind(("127.0.0.1", 0))
srv.listen(1)
srv.settimeout(20)
port = srv.getsockname()[1]
def serve():
    conn, _ = srv.accept()
    conn.settimeout(20)
    with ctx.wrap_socket(conn, server_side=True) as tls:
        tls.sendall(b"echo:" + tls.recv(64))
t = threading.Thread(target=serve, daemon=True)
t.start()
client = ssl.create_default_context(cafile=cafile)
with socket.create_connection(("127.0.0.1", port), timeout=20) as raw:
    with client.wrap_socket(raw, server_hostname="localhost") as tls:
        tls.sendall(b"ping")
        print(tls.recv(64).decode(), tls.version())
t.join(20)
"#;

/// Serves with the seed's pattern and lets `openssl s_client` verify it.
const SEED_FOR_OPENSSL: &str = r#"
import socket, ssl, subprocess, sys, threading
cert, key, cafile = sys.argv[1], sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(cert, key)
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
srv.settimeout(20)
port = srv.getsockname()[1]
def serve():
    conn, _ = srv.accept()
    conn.settimeout(20)
    try:
        with ctx.wrap_socket(conn, server_side=True) as tls:
            tls.recv(64)
    except (ssl.SSLError, OSError):
        pass
t = threading.Thread(target=serve, daemon=True)
t.start()
out = subprocess.run(
    ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", "localhost",
     "-verify_hostname", "localhost", "-verify_return_error", "-CAfile", cafile],
    input=b"bye\n", capture_output=True, timeout=20)
print(out.stdout.decode(errors="replace"))
t.join(20)
"#;

fn python(dir: &Path, script: &str, cert: &str, key: &str, cafile: &str) -> String {
    let out = tool(dir, "python3", &["-c", script, cert, key, cafile]);
    assert!(
        out.status.success(),
        "python failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn self_signed_files_load_in_the_seed_python_server_and_verify_with_the_cert_as_cafile() {
    let env = Env::new();
    env.ok(&["self-signed", "localhost", "127.0.0.1"]);
    let out = python(
        env.path(),
        SEED_ROUND_TRIP,
        "localhost+1.pem",
        "localhost+1-key.pem",
        "localhost+1.pem",
    );
    assert!(out.starts_with("echo:ping TLSv1.3"), "{out}");
}

#[test]
fn ca_issued_files_load_in_the_seed_python_server_and_verify_with_the_local_ca() {
    let env = Env::new();
    env.ok(&["new", "localhost", "--key", "p384"]);
    let ca = env.ca();
    let out = python(
        env.path(),
        SEED_ROUND_TRIP,
        "localhost.pem",
        "localhost-key.pem",
        ca.to_str().unwrap(),
    );
    assert!(out.starts_with("echo:ping"), "{out}");
}

#[test]
fn openssl_s_client_verifies_the_seed_python_server_using_our_leaf() {
    let env = Env::new();
    env.ok(&["new", "localhost"]);
    let ca = env.ca();
    let out = python(
        env.path(),
        SEED_FOR_OPENSSL,
        "localhost.pem",
        "localhost-key.pem",
        ca.to_str().unwrap(),
    );
    assert!(out.contains("Verify return code: 0 (ok)"), "{out}");
}
