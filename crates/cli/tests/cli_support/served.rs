//! A `selfsign serve` process for tests: started on 127.0.0.1:0 with a test root, its banner
//! read, killed when dropped.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::{tool, Env};

/// The index.html of the test root.
pub const PAGE: &str =
    "<!doctype html><title>selfsign test</title><p>hello from the test root</p>\n";

/// A running `selfsign serve`, killed if a test ends early.
pub struct Served {
    pub child: Child,
    pub port: u16,
    /// The startup lines printed on stdout.
    pub banner: Vec<String>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    /// Starts the server with a test root and waits (bounded) until it accepts connections.
    pub fn start(env: &Env, extra: &[&str]) -> Served {
        Served::start_on(env, "127.0.0.1:0", extra)
    }

    /// Like [`Served::start`], listening on `listen` (e.g. the port of an earlier run).
    pub fn start_on(env: &Env, listen: &str, extra: &[&str]) -> Served {
        let root = env.file("www");
        if !root.exists() {
            std::fs::create_dir(&root).unwrap();
            std::fs::write(root.join("index.html"), PAGE).unwrap();
        }
        let mut args = vec!["--root", "www"];
        args.extend_from_slice(extra);
        Served::start_listening(env, listen, &args)
    }

    /// Starts `selfsign serve --listen 127.0.0.1:0 ARGS` (no --root) and waits (bounded) until
    /// it accepts connections.
    pub fn start_with(env: &Env, extra: &[&str]) -> Served {
        Served::start_listening(env, "127.0.0.1:0", extra)
    }

    /// Starts `selfsign serve --listen LISTEN ARGS`.
    fn start_listening(env: &Env, listen: &str, extra: &[&str]) -> Served {
        let mut args = vec!["serve", "--listen", listen];
        args.extend_from_slice(extra);
        let mut child = env
            .cmd(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut banner = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        let port = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = rx
                .recv_timeout(left)
                .expect("serve printed its listening address within 30 s");
            banner.push(line.clone());
            if let Some(rest) = line.strip_prefix("Listening on") {
                let addr = rest.trim().split(", ").next().unwrap();
                break addr.rsplit(':').next().unwrap().parse::<u16>().unwrap();
            }
        };
        // The rest of the banner follows at once.
        while let Ok(line) = rx.recv_timeout(Duration::from_millis(300)) {
            banner.push(line);
        }
        let served = Served {
            child,
            port,
            banner,
        };
        served.wait_ready();
        served
    }

    pub fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "server never accepted a connection"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The server's resident memory in KiB (Linux /proc).
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.port)
    }

    pub fn resolve(&self) -> String {
        format!("localhost:{}:127.0.0.1", self.port)
    }

    /// Sends the bytes `raw` over TLS (to the server name `name`) with Python's ssl module and
    /// returns everything the server answers until it closes, as Latin-1.
    pub fn python_raw(&self, env: &Env, name: &str, raw: &[u8]) -> String {
        let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
        let script = format!(
            "import socket, ssl, sys\n\
             ctx = ssl.create_default_context(cafile={ca:?})\n\
             s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', {port}), timeout=20), server_hostname={name:?})\n\
             s.sendall(bytes.fromhex({hex:?}))\n\
             out = b''\n\
             while True:\n\
             \x20   data = s.recv(65536)\n\
             \x20   if not data: break\n\
             \x20   out += data\n\
             sys.stdout.write(out.decode('latin-1'))\n",
            ca = env.ca().to_str().unwrap(),
            port = self.port
        );
        let out = std::process::Command::new("python3")
            .args(["-c", &script])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Sends SIGTERM and waits (bounded) for the exit status.
    pub fn terminate(mut self, within: Duration) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        assert!(tool(Path::new("/"), "kill", &["-TERM", &pid])
            .status
            .success());
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "serve did not exit within {within:?} of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
