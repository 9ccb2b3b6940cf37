//! Shared test fixtures: certificates from selfsign-core, a server in a thread, TLS/HTTP clients.
#![allow(dead_code)] // each test binary uses a different part

use std::fs;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use selfsign_core::{Ca, CaOptions, Issued, LeafOptions, Usage};
use selfsign_server::{
    tls_config, ClientAuth, Error, Limits, Mode, Server, ServerOptions, ShutdownHandle, TlsOptions,
};

/// Socket timeout for every test client: no test can hang on a silent server.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// The page served at `/` in every web root.
pub const INDEX_HTML: &str = "<!doctype html><title>selfsign</title><p>hello from selfsign\n";

/// A marker that lives only in files outside the web root.
pub const SECRET: &str = "TOP-SECRET-OUTSIDE-ROOT";

/// A CA, a server leaf for localhost/127.0.0.1/::1 issued by it, and ca.pem on disk.
pub struct Pki {
    pub ca: Ca,
    pub leaf: Issued,
    pub dir: tempfile::TempDir,
    pub ca_pem: PathBuf,
}

/// Makes a fresh CA and server certificate.
pub fn pki() -> Pki {
    init_logs();
    let now = rustls::pki_types::UnixTime::now();
    let ca = Ca::new_root(&CaOptions::default(), now).expect("root CA");
    let leaf = ca
        .issue(&LeafOptions::new(["localhost", "127.0.0.1", "::1"]), now)
        .expect("server leaf");
    let dir = tempfile::tempdir().expect("temp dir");
    let ca_pem = dir.path().join("ca.pem");
    fs::write(&ca_pem, ca.certificate().pem()).expect("write ca.pem");
    Pki {
        ca,
        leaf,
        dir,
        ca_pem,
    }
}

impl Pki {
    /// A client certificate issued by this CA.
    pub fn client_cert(&self, name: &str) -> Issued {
        let now = rustls::pki_types::UnixTime::now();
        self.ca
            .issue(&LeafOptions::new([name]).usage(Usage::Client), now)
            .expect("client leaf")
    }

    /// Server TLS configuration for the leaf.
    pub fn server_config(
        &self,
        client_auth: ClientAuth,
        resumption: bool,
    ) -> Arc<rustls::ServerConfig> {
        tls_config(TlsOptions {
            chain: self.leaf.tls_chain(),
            key: self.leaf.key.private_key_der(),
            client_auth,
            resumption,
        })
        .expect("server TLS config")
    }

    /// A client that trusts this CA only.
    pub fn client_config(&self) -> Arc<ClientConfig> {
        Arc::new(self.client_builder().with_no_client_auth())
    }

    /// A client that trusts this CA and presents `cert`.
    pub fn client_config_with_cert(&self, cert: &Issued) -> Arc<ClientConfig> {
        Arc::new(
            self.client_builder()
                .with_client_auth_cert(cert.tls_chain(), cert.key.private_key_der())
                .expect("client cert"),
        )
    }

    fn client_builder(
        &self,
    ) -> rustls::ConfigBuilder<ClientConfig, rustls::client::WantsClientCert> {
        let mut roots = RootCertStore::empty();
        roots
            .add(self.ca.certificate().der().clone())
            .expect("add root");
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_root_certificates(roots)
    }
}

/// Logs from the server when RUST_LOG is set (e.g. RUST_LOG=selfsign_server=debug).
fn init_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

/// A web root with index.html, app.wasm and a sub directory, next to a secret file outside it.
pub struct WebRoot {
    pub parent: tempfile::TempDir,
    pub root: PathBuf,
}

/// The bytes of the small wasm file: the module header.
pub const WASM: &[u8] = b"\0asm\x01\0\0\0";

/// Makes a web root; a file and a symlinked directory outside it hold [`SECRET`].
pub fn web_root() -> WebRoot {
    let parent = tempfile::tempdir().expect("temp dir");
    let root = parent.path().join("www");
    fs::create_dir_all(root.join("sub")).expect("mkdir");
    fs::write(root.join("index.html"), INDEX_HTML).expect("index");
    fs::write(root.join("app.wasm"), WASM).expect("wasm");
    fs::write(root.join("sub/index.html"), "sub index").expect("sub index");
    fs::write(root.join("sub/data.json"), "{}").expect("json");
    let outside = parent.path().join("outside");
    fs::create_dir_all(&outside).expect("mkdir");
    fs::write(parent.path().join("secret.txt"), SECRET).expect("secret");
    fs::write(outside.join("secret.txt"), SECRET).expect("secret");
    std::os::unix::fs::symlink(&outside, root.join("escape")).expect("symlink dir");
    std::os::unix::fs::symlink(parent.path().join("secret.txt"), root.join("leak.txt"))
        .expect("symlink file");
    WebRoot { parent, root }
}

/// A server running in a thread of the test process.
pub struct Running {
    pub addrs: Vec<SocketAddr>,
    pub handle: ShutdownHandle,
    thread: Option<JoinHandle<Result<(), Error>>>,
}

impl Running {
    /// Binds 127.0.0.1:0 and serves in a new thread.
    pub fn start(mode: Mode, limits: Limits, tls: Arc<rustls::ServerConfig>) -> Running {
        Running::start_on(
            vec!["127.0.0.1:0".parse().expect("addr")],
            mode,
            limits,
            tls,
        )
    }

    /// Binds the given addresses and serves in a new thread.
    pub fn start_on(
        listen: Vec<SocketAddr>,
        mode: Mode,
        limits: Limits,
        tls: Arc<rustls::ServerConfig>,
    ) -> Running {
        let server = Server::bind(
            ServerOptions {
                listen,
                mode,
                limits,
            },
            tls,
        )
        .expect("bind");
        let addrs = server.local_addrs();
        let handle = server.shutdown_handle();
        let thread = std::thread::spawn(move || server.run());
        Running {
            addrs,
            handle,
            thread: Some(thread),
        }
    }

    /// The first listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addrs[0]
    }

    /// Whether `run()` is still going (it has neither returned nor panicked).
    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Waits up to `limit` for `run()` to return, and returns what it returned and how long it took.
    pub fn join(&mut self, limit: Duration) -> (Result<(), Error>, Duration) {
        let start = Instant::now();
        let thread = self.thread.take().expect("server already joined");
        while !thread.is_finished() {
            assert!(
                start.elapsed() < limit,
                "server did not stop within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        let result = thread.join().expect("server thread panicked");
        (result, start.elapsed())
    }

    /// Shuts down gracefully and asserts that `run()` returned Ok in time.
    pub fn stop(mut self) {
        self.handle.shutdown();
        let (result, _) = self.join(Duration::from_secs(15));
        result.expect("run() returned an error");
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // A failed test must not leave the server thread running forever.
        if self.thread.is_some() {
            self.handle.shutdown();
        }
    }
}

/// A TLS client stream.
pub type Tls = StreamOwned<ClientConnection, TcpStream>;

/// Connects and completes the TLS handshake as "localhost".
pub fn connect(addr: SocketAddr, config: &Arc<ClientConfig>) -> io::Result<Tls> {
    let mut tls = start_tls(addr, config)?;
    while tls.conn.is_handshaking() {
        tls.conn.complete_io(&mut tls.sock)?;
    }
    Ok(tls)
}

/// Connects TCP and prepares TLS without doing any I/O yet.
pub fn start_tls(addr: SocketAddr, config: &Arc<ClientConfig>) -> io::Result<Tls> {
    let sock = tcp(addr)?;
    let conn = ClientConnection::new(config.clone(), "localhost".try_into().expect("name"))
        .map_err(io::Error::other)?;
    Ok(StreamOwned::new(conn, sock))
}

/// A TCP connection with bounded read and write timeouts.
pub fn tcp(addr: SocketAddr) -> io::Result<TcpStream> {
    let sock = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
    sock.set_read_timeout(Some(IO_TIMEOUT))?;
    sock.set_write_timeout(Some(IO_TIMEOUT))?;
    Ok(sock)
}

/// A parsed HTTP response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header value with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// An HTTP/1.1 client over any stream, keeping bytes that belong to the next response.
pub struct Http<S> {
    pub stream: S,
    buf: Vec<u8>,
}

impl<S: Read + Write> Http<S> {
    pub fn new(stream: S) -> Self {
        Http {
            stream,
            buf: Vec::new(),
        }
    }

    /// Sends raw request bytes.
    pub fn send(&mut self, raw: &str) -> io::Result<()> {
        self.stream.write_all(raw.as_bytes())?;
        self.stream.flush()
    }

    /// Sends `GET path` with Host and reads the response.
    pub fn get(&mut self, path: &str) -> io::Result<Response> {
        self.send(&format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n"))?;
        self.response(false)
    }

    /// Reads one response; `head_only` for answers to HEAD (no body despite Content-Length).
    pub fn response(&mut self, head_only: bool) -> io::Result<Response> {
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 64];
            let mut resp = httparse::Response::new(&mut headers);
            match resp.parse(&self.buf).map_err(io::Error::other)? {
                httparse::Status::Complete(n) => {
                    let status = resp.code.unwrap_or(0);
                    let headers: Vec<(String, String)> = resp
                        .headers
                        .iter()
                        .map(|h| {
                            (
                                h.name.to_owned(),
                                String::from_utf8_lossy(h.value).into_owned(),
                            )
                        })
                        .collect();
                    self.buf.drain(..n);
                    let mut r = Response {
                        status,
                        headers,
                        body: Vec::new(),
                    };
                    let len: usize = if head_only {
                        0
                    } else {
                        r.header("content-length")
                            .and_then(|v| v.parse().ok())
                            .ok_or_else(|| io::Error::other("no Content-Length"))?
                    };
                    while self.buf.len() < len {
                        self.fill()?;
                    }
                    r.body = self.buf.drain(..len).collect();
                    return Ok(r);
                }
                httparse::Status::Partial => self.fill()?,
            }
        }
    }

    /// Reads until the peer closes; returns what arrived (Ok(0) or close_notify ends it).
    pub fn read_to_close(&mut self) -> io::Result<Vec<u8>> {
        let mut rest = std::mem::take(&mut self.buf);
        self.stream.read_to_end(&mut rest)?;
        Ok(rest)
    }

    fn fill(&mut self) -> io::Result<()> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.stream.read(&mut chunk)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed",
            ));
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }
}

/// Starts an HTTP server on a fresh web root; returns the pieces tests need.
pub fn http_server(limits: Limits) -> (Pki, WebRoot, Running) {
    let pki = pki();
    let web = web_root();
    let running = Running::start(
        Mode::Http {
            root: web.root.clone(),
            serve_dotfiles: false,
        },
        limits,
        pki.server_config(ClientAuth::None, true),
    );
    (pki, web, running)
}

/// Asserts that a fresh client gets index.html: the server is alive and serving.
pub fn assert_serves_index(addr: SocketAddr, pki: &Pki) {
    let mut http = Http::new(connect(addr, &pki.client_config()).expect("connect"));
    let r = http.get("/").expect("GET /");
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), INDEX_HTML);
}

/// Asserts that a fresh client gets its bytes echoed: the echo server is alive.
pub fn assert_echoes(addr: SocketAddr, pki: &Pki) {
    let mut tls = connect(addr, &pki.client_config()).expect("connect");
    tls.write_all(b"ping").expect("write");
    let mut back = [0u8; 4];
    tls.read_exact(&mut back).expect("read echo");
    assert_eq!(&back, b"ping");
}

/// Output of an external program run with a time limit.
pub struct Output {
    pub status: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `cmd` with `input` on stdin, killing it after `limit`.
pub fn run_with_timeout(cmd: &mut Command, input: &[u8], limit: Duration) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input);
    }
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status.code();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

/// Writes a file of `len` bytes with a position-dependent pattern.
pub fn write_pattern_file(path: &Path, len: usize) {
    let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    fs::write(path, data).expect("write big file");
}
