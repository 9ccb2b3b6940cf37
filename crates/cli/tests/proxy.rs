//! `selfsign serve --proxy/--route`: the reverse proxy against real upstreams (Python's
//! http.server and a Python app) and real clients (curl, Python http.client).

mod cli_support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use cli_support::served::Served;
use cli_support::{tool_ok, Env};

/// A plain-HTTP peer process started on 127.0.0.1:0, killed when dropped.
struct Upstream {
    child: Child,
    port: u16,
    /// Request lines it has seen, one a line (the Python app writes them).
    log: PathBuf,
}

impl Drop for Upstream {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Upstream {
    /// Starts `program args`, which prints its port as its first line.
    fn spawn(env: &Env, program: &str, args: &[&str], log: PathBuf) -> Upstream {
        let mut child = Command::new(program)
            .args(args)
            .current_dir(env.path())
            .env("NODE_PATH", "/usr/share/nodejs")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {program} (scripts/bootstrap installs it): {e}")
            });
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{program} printed {line:?}, not its port"));
        Upstream { child, port, log }
    }

    /// The test app (tests/peers/upstream.py).
    fn app(env: &Env) -> Upstream {
        let log = env.file("upstream.log");
        std::fs::write(&log, "").unwrap();
        let script = peer("upstream.py");
        Upstream::spawn(
            env,
            "python3",
            &[script.to_str().unwrap(), log.clone().to_str().unwrap()],
            log.clone(),
        )
    }

    /// The misbehaving upstream (tests/peers/raw_upstream.py); its log holds the request heads
    /// it read.
    fn raw(env: &Env) -> Upstream {
        let log = env.file("raw_upstream.log");
        std::fs::write(&log, "").unwrap();
        let script = peer("raw_upstream.py");
        Upstream::spawn(
            env,
            "python3",
            &[script.to_str().unwrap(), log.to_str().unwrap()],
            log.clone(),
        )
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The request lines the app has seen.
    fn seen(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap()
    }
}

/// A file under tests/peers.
fn peer(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/peers")
        .join(name)
}

/// curl through the proxy at `host` (resolved to the server), trusting the local CA.
fn curl(env: &Env, served: &Served, host: &str, path: &str, extra: &[&str]) -> Output {
    let resolve = format!("{host}:{}:127.0.0.1", served.port);
    let url = format!("https://{host}:{}{path}", served.port);
    let ca = env.ca();
    let mut args = vec![
        "-sS",
        "--max-time",
        "60",
        "--cacert",
        ca.to_str().unwrap(),
        "--resolve",
        &resolve,
    ];
    args.extend_from_slice(extra);
    args.push(&url);
    Command::new("curl")
        .args(&args)
        .current_dir(env.path())
        .output()
        .expect("curl runs")
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A free local port with nothing listening on it.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn proxy_serves_pythons_http_server_to_curl() {
    let env = Env::new();
    std::fs::create_dir(env.file("site")).unwrap();
    std::fs::write(env.file("site/hello.txt"), "hello through the proxy\n").unwrap();
    let up = Upstream::spawn(
        &env,
        "python3",
        &["-u", "-c", "import http.server as h, functools as f, sys; \
            s = h.ThreadingHTTPServer(('127.0.0.1', 0), f.partial(h.SimpleHTTPRequestHandler, directory='site')); \
            print(s.server_address[1], flush=True); s.serve_forever()"],
        env.file("unused.log"),
    );
    let served = Served::start_with(&env, &["--proxy", &up.url()]);
    assert!(
        served.banner.iter().any(|l| l.contains(&up.url())),
        "{:?}",
        served.banner
    );
    let out = curl(&env, &served, "localhost", "/hello.txt", &["-f"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(text(&out), "hello through the proxy\n");
    let out = curl(
        &env,
        &served,
        "localhost",
        "/missing",
        &["-o", "/dev/null", "-w", "%{http_code}"],
    );
    assert_eq!(text(&out), "404");
}

#[test]
fn forwarded_requests_carry_forwarding_fields_and_lose_hop_by_hop_ones() {
    let env = Env::new();
    let up = Upstream::app(&env);
    let served = Served::start_with(&env, &["--proxy", &up.url()]);
    let out = curl(
        &env,
        &served,
        "localhost",
        "/echo?q=1",
        &[
            "-f",
            "-H",
            "Connection: keep-alive, X-Private",
            "-H",
            "X-Private: secret",
            "-H",
            "Keep-Alive: timeout=5",
            "-H",
            "X-App: kept",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let echo: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(echo["path"], "/echo?q=1");
    let field = |name: &str| -> Option<String> {
        echo["headers"].as_array().unwrap().iter().find_map(|h| {
            (h[0].as_str().unwrap().eq_ignore_ascii_case(name))
                .then(|| h[1].as_str().unwrap().to_owned())
        })
    };
    let host = format!("localhost:{}", served.port);
    assert_eq!(field("host").as_deref(), Some(host.as_str()));
    assert_eq!(field("x-forwarded-for").as_deref(), Some("127.0.0.1"));
    assert_eq!(field("x-forwarded-proto").as_deref(), Some("https"));
    assert_eq!(field("x-forwarded-host").as_deref(), Some(host.as_str()));
    assert_eq!(
        field("forwarded"),
        Some(format!("for=127.0.0.1;host=\"{host}\";proto=https"))
    );
    assert_eq!(field("x-app").as_deref(), Some("kept"));
    for gone in ["x-private", "keep-alive", "connection"] {
        assert_eq!(field(gone), None, "{gone} was forwarded");
    }
}

#[test]
fn forwarding_fields_a_client_sends_are_replaced_so_it_cannot_spoof_its_address() {
    let env = Env::new();
    let up = Upstream::app(&env);
    let served = Served::start_with(&env, &["--proxy", &up.url()]);
    let out = curl(
        &env,
        &served,
        "localhost",
        "/echo",
        &[
            "-f",
            "-H",
            "X-Forwarded-For: 1.2.3.4",
            "-H",
            "x-forwarded-for: 5.6.7.8",
            "-H",
            "Forwarded: for=1.2.3.4;proto=http",
            "-H",
            "X-Forwarded-Proto: http",
            "-H",
            "X-Forwarded-Host: admin.internal",
            // Read before X-Forwarded-For by chi's RealIP and others.
            "-H",
            "X-Real-IP: 1.2.3.4",
            "-H",
            "True-Client-IP: 1.2.3.4",
            "-H",
            "CF-Connecting-IP: 1.2.3.4",
            "-H",
            "X-Client-IP: 1.2.3.4",
            // Read by frameworks to build URLs: a client must not choose them either.
            "-H",
            "X-Forwarded-Port: 1234",
            "-H",
            "X-Forwarded-Prefix: /evil",
            "-H",
            "X-Forwarded-Server: admin.internal",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let echo: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let forwarding: Vec<(String, String)> = echo["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let name = h[0].as_str().unwrap().to_ascii_lowercase();
            (name, h[1].as_str().unwrap().to_owned())
        })
        .filter(|(name, value)| {
            name.starts_with("x-forwarded-")
                || name.ends_with("-ip")
                || name == "forwarded"
                || value.contains("1.2.3.4")
        })
        .collect();
    let host = format!("localhost:{}", served.port);
    let expected = [
        ("x-forwarded-for", "127.0.0.1".to_owned()),
        ("x-real-ip", "127.0.0.1".to_owned()),
        ("x-forwarded-proto", "https".to_owned()),
        ("x-forwarded-host", host.clone()),
        (
            "forwarded",
            format!("for=127.0.0.1;host=\"{host}\";proto=https"),
        ),
    ]
    .map(|(n, v)| (n.to_owned(), v));
    assert_eq!(forwarding, expected);
}

#[test]
fn absolute_form_targets_reach_the_app_and_the_files_in_origin_form() {
    let env = Env::new();
    let up = Upstream::app(&env);
    std::fs::create_dir(env.file("static")).unwrap();
    std::fs::write(env.file("static/page.txt"), "a page\n").unwrap();
    let route = format!("files.localhost=dir:{}", env.file("static").display());
    let served = Served::start_with(&env, &["--proxy", &up.url(), "--route", &route]);
    for t in ["HTTP://localhost/echo?upper", "http://localhost?/admin"] {
        let out = curl(&env, &served, "localhost", "/", &["--request-target", t]);
        assert!(
            out.status.success(),
            "{t}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The scheme is case-insensitive; the authority ends at `?` (RFC 3986 §3.2).
    assert_eq!(
        up.seen(),
        "GET /echo?upper HTTP/1.1\nGET /?/admin HTTP/1.1\n"
    );
    let out = curl(
        &env,
        &served,
        "files.localhost",
        "/",
        &["-f", "--request-target", "HTTPS://files.localhost/page.txt"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(text(&out), "a page\n");
    // The target's authority, not the Host field, picks the route and is the Host sent on
    // (RFC 9112 §3.2.2).
    let out = curl(
        &env,
        &served,
        "localhost",
        "/",
        &["-f", "--request-target", "http://files.localhost/page.txt"],
    );
    assert_eq!(text(&out), "a page\n");
    let out = curl(
        &env,
        &served,
        "files.localhost",
        "/",
        &["-f", "--request-target", "http://App.localhost/echo"],
    );
    let echo: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(echo["path"], "/echo");
    let headers = echo["headers"].to_string();
    assert!(
        headers.contains("[\"Host\",\"App.localhost\"]"),
        "{headers}"
    );
}

#[test]
fn rewrite_host_sends_the_upstreams_own_host() {
    let env = Env::new();
    let up = Upstream::app(&env);
    let served = Served::start_with(&env, &["--proxy", &up.url(), "--rewrite-host"]);
    let out = curl(&env, &served, "localhost", "/echo", &["-f"]);
    let echo: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let headers = echo["headers"].to_string();
    assert!(
        headers.contains(&format!("[\"Host\",\"127.0.0.1:{}\"]", up.port)),
        "{headers}"
    );
}

#[test]
fn a_keep_alive_client_reuses_one_pooled_upstream_connection() {
    let env = Env::new();
    let up = Upstream::app(&env);
    let served = Served::start_with(&env, &["--proxy", &up.url()]);
    let script = format!(
        "import http.client, json, ssl\n\
         ctx = ssl.create_default_context(cafile={ca:?})\n\
         c = http.client.HTTPSConnection('localhost', {port}, context=ctx, timeout=20)\n\
         ports = []\n\
         for i in range(5):\n\
         \x20   c.request('GET', '/echo')\n\
         \x20   r = c.getresponse()\n\
         \x20   assert r.status == 200, r.status\n\
         \x20   ports.append(json.loads(r.read())['client_port'])\n\
         c.request('POST', '/upload', body=b'x' * 100000)\n\
         r = c.getresponse()\n\
         print(json.loads(r.read())['bytes'], len(set(ports)))\n",
        ca = env.ca().to_str().unwrap(),
        port = served.port
    );
    let out = tool_ok(env.path(), "python3", &["-c", &script]);
    // Five requests over one client connection reached the app over one upstream connection.
    assert_eq!(out.trim(), "100000 1");
}

#[test]
fn an_upstream_that_is_down_gets_a_502_page_naming_it_and_the_error() {
    let env = Env::new();
    let port = closed_port();
    let url = format!("http://127.0.0.1:{port}");
    let served = Served::start_with(&env, &["--proxy", &url]);
    let out = curl(&env, &served, "localhost", "/", &["-i"]);
    let page = text(&out);
    assert!(page.starts_with("HTTP/1.1 502 Bad Gateway\r\n"), "{page}");
    assert!(page.contains("Content-Type: text/html"), "{page}");
    assert!(
        page.contains(&url) && page.contains("connection refused"),
        "{page}"
    );
}

/// Sends `raw` over TLS with Python's ssl module and returns everything the server answers
/// until it closes.
fn python_raw(env: &Env, served: &Served, raw: &str) -> String {
    python_raw_to(env, served, "localhost", raw)
}

/// [`python_raw`] with `name` as the TLS server name.
fn python_raw_to(env: &Env, served: &Served, name: &str, raw: &str) -> String {
    served.python_raw(env, name, raw.as_bytes())
}

#[test]
fn ambiguous_framing_is_refused_before_anything_reaches_the_upstream() {
    let env = Env::new();
    let up = Upstream::app(&env);
    let served = Served::start_with(&env, &["--proxy", &up.url()]);
    let smuggled = "GET /echo?smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n";
    let cases = [
        format!("POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{smuggled}"),
        format!("POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nContent-Length: 44\r\n\r\n{smuggled}"),
        format!("POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n{smuggled}"),
        format!("GET /echo HTTP/1.1\r\nHost: localhost\r\nX-Folded: a\r\n b\r\n\r\n{smuggled}"),
        format!("POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n{smuggled}"),
        // A chunk-size line without digits is not the last chunk.
        format!("POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n\r\n\r\n{smuggled}"),
    ];
    for raw in &cases {
        let answer = python_raw(&env, &served, raw);
        assert!(
            answer.starts_with("HTTP/1.1 400 Bad Request\r\n"),
            "{raw:?} got {answer:?}"
        );
        assert_eq!(answer.matches("HTTP/1.1 ").count(), 1, "{answer}");
    }
    let seen = up.seen();
    assert!(!seen.contains("smuggled"), "{seen}");
    // Only the malformed chunked body got as far as its head (nothing else was forwarded).
    assert_eq!(
        seen.lines().count(),
        seen.matches("POST /upload").count(),
        "{seen}"
    );
}

#[test]
fn each_route_host_gets_its_own_certificate_and_its_own_upstream() {
    let env = Env::new();
    let app = Upstream::app(&env);
    std::fs::create_dir(env.file("static")).unwrap();
    std::fs::write(env.file("static/index.html"), "static route\n").unwrap();
    let route_app = format!("app.localhost={}", app.url());
    let route_dir = format!("files.localhost=dir:{}", env.file("static").display());
    let served = Served::start_with(&env, &["--route", &route_app, "--route", &route_dir]);
    let out = curl(&env, &served, "app.localhost", "/echo", &["-f", "-v"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text(&out).contains("\"/echo\""));
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        log.contains("subjectAltName: host \"app.localhost\" matched"),
        "{log}"
    );
    let out = curl(&env, &served, "files.localhost", "/", &["-f", "-v"]);
    assert_eq!(text(&out), "static route\n");
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        log.contains("subjectAltName: host \"files.localhost\" matched"),
        "{log}"
    );
    // Host picks the route, whatever host the TLS server name chose the certificate for.
    let out = curl(
        &env,
        &served,
        "app.localhost",
        "/",
        &["-f", "-H", "Host: files.localhost"],
    );
    assert_eq!(text(&out), "static route\n");
    // A host without a route gets a page listing the routed ones, and no certificate of its own.
    let out = curl(&env, &served, "localhost", "/", &["-i"]);
    let page = text(&out);
    assert!(page.starts_with("HTTP/1.1 404 Not Found\r\n"), "{page}");
    assert!(page.contains("app.localhost, files.localhost"), "{page}");
    let leaves = std::fs::read_dir(env.data().join("serve/on-demand"))
        .unwrap()
        .count();
    assert_eq!(
        leaves, 4,
        "a certificate and a key for each of the two route hosts"
    );
}

#[test]
fn wildcard_routes_match_one_label_like_their_certificates_and_a_name_of_its_own_wins() {
    let env = Env::new();
    let wild = Upstream::app(&env);
    let own = {
        let log = env.file("own.log");
        std::fs::write(&log, "").unwrap();
        let script = peer("upstream.py");
        Upstream::spawn(
            &env,
            "python3",
            &[script.to_str().unwrap(), log.to_str().unwrap()],
            log.clone(),
        )
    };
    let route_wild = format!("*.w.localhost={}", wild.url());
    let route_own = format!("own.w.localhost={}", own.url());
    let served = Served::start_with(&env, &["--route", &route_wild, "--route", &route_own]);
    let out = curl(&env, &served, "a.w.localhost", "/echo?to-a", &["-f", "-v"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        log.contains("subjectAltName: host \"a.w.localhost\" matched"),
        "{log}"
    );
    let out = curl(&env, &served, "own.w.localhost", "/echo?to-own", &["-f"]);
    assert!(out.status.success());
    // Host is matched without case, trailing dot or port.
    let host = format!("Host: B.W.LocalHost.:{}", served.port);
    let out = curl(
        &env,
        &served,
        "a.w.localhost",
        "/echo?to-b",
        &["-f", "-H", &host],
    );
    assert!(out.status.success());
    assert!(wild.seen().contains("GET /echo?to-a "), "{}", wild.seen());
    assert!(wild.seen().contains("GET /echo?to-b "), "{}", wild.seen());
    assert!(!wild.seen().contains("to-own"), "{}", wild.seen());
    assert!(own.seen().contains("GET /echo?to-own "), "{}", own.seen());
    // `*` is one label: a.b.w.localhost has neither a route nor a certificate of its own.
    let out = curl(&env, &served, "a.b.w.localhost", "/", &["-i", "-k"]);
    let page = text(&out);
    assert!(page.starts_with("HTTP/1.1 404 Not Found\r\n"), "{page}");
    assert!(page.contains("own.w.localhost, *.w.localhost"), "{page}");
    // The page's --route hint, with the app's port filled in, is a route the CLI takes.
    let hint = page
        .split("--route ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no --route hint in {page}"))
        .replace("PORT", &wild.port.to_string());
    assert_eq!(hint, format!("a.b.w.localhost={}", wild.url()));
    let env2 = Env::new();
    let hinted = Served::start_with(&env2, &["--route", &hint]);
    let out = curl(&env2, &hinted, "a.b.w.localhost", "/echo?hinted", &["-f"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(wild.seen().contains("GET /echo?hinted "), "{}", wild.seen());
}

/// The banner's `Try` command, run as printed with `extra` curl flags after it.
fn run_try_line(env: &Env, served: &Served, extra: &str) -> Output {
    let try_cmd = served
        .banner
        .iter()
        .find_map(|l| l.strip_prefix("Try"))
        .unwrap_or_else(|| panic!("no Try line in {:?}", served.banner))
        .trim();
    Command::new("bash")
        .args(["-c", &format!("{try_cmd} {extra}")])
        .current_dir(env.path())
        .output()
        .expect("bash runs")
}

/// Serves a directory on the route hosts `hosts` (the first one first), nothing else, and runs
/// the Try line; its output.
fn try_with_routes_only(hosts: &[&str]) -> Output {
    let env = Env::new();
    std::fs::create_dir(env.file("static")).unwrap();
    std::fs::write(env.file("static/index.html"), "static route\n").unwrap();
    let dir = env.file("static");
    let routes: Vec<String> = hosts
        .iter()
        .map(|h| format!("{h}=dir:{}", dir.display()))
        .collect();
    let mut args = Vec::new();
    for r in &routes {
        args.extend(["--route", r.as_str()]);
    }
    let served = Served::start_with(&env, &args);
    run_try_line(&env, &served, "-sS -f --max-time 60")
}

#[test]
fn with_routes_only_the_try_line_reaches_the_first_route() {
    // Other hosts get the no-route 404; a host outside .localhost comes with its --resolve.
    for hosts in [
        &["files.localhost", "other.test"][..],
        &["app.test"],
        &["*.files.localhost"],
    ] {
        let out = try_with_routes_only(hosts);
        assert!(
            out.status.success(),
            "{hosts:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(text(&out), "static route\n", "{hosts:?}");
    }
}

#[test]
fn large_bodies_stream_both_ways_chunked_and_with_a_length() {
    let env = Env::new();
    let up = Upstream::app(&env);
    let served = Served::start_with(&env, &["--proxy", &up.url()]);
    let n: usize = 64 << 20;
    let expected = {
        let block: Vec<u8> = (0..=255u8).cycle().take(1 << 16).collect();
        let out = Command::new("python3")
            .args([
                "-c",
                &format!("import hashlib; b = bytes(range(256)) * 256; h = hashlib.sha256(); [h.update(b) for _ in range({})]; print(h.hexdigest())", n >> 16),
            ])
            .output()
            .unwrap();
        assert_eq!(block.len(), 1 << 16);
        text(&out).trim().to_owned()
    };
    for path in [format!("/chunked?n={n}"), format!("/length?n={n}")] {
        let out = curl(&env, &served, "localhost", &path, &["-f", "-o", "body"]);
        assert!(
            out.status.success(),
            "{path}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got = Command::new("sha256sum")
            .arg(env.file("body"))
            .output()
            .unwrap();
        assert!(text(&got).starts_with(&expected), "{path}");
    }
    std::fs::copy(env.file("body"), env.file("upload")).unwrap();
    // curl -T streams a file of known size with Content-Length; from stdin it sends chunked.
    let out = curl(
        &env,
        &served,
        "localhost",
        "/upload",
        &["-f", "-T", "upload"],
    );
    assert!(
        text(&out).contains(&format!("\"bytes\": {n}, \"sha256\": \"{expected}\"")),
        "{}",
        text(&out)
    );
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "curl -sS -f --cacert {ca} -T - https://localhost:{port}/upload < upload",
            ca = env.ca().display(),
            port = served.port
        ))
        .current_dir(env.path())
        .output()
        .unwrap();
    assert!(
        text(&out).contains(&format!("\"bytes\": {n}, \"sha256\": \"{expected}\"")),
        "{}",
        text(&out)
    );
}

#[test]
fn a_slow_upstream_gets_a_504_after_the_upstream_timeout() {
    let env = Env::new();
    let up = Upstream::app(&env);
    let served = Served::start_with(&env, &["--proxy", &up.url(), "--upstream-timeout", "1"]);
    let out = curl(&env, &served, "localhost", "/slow?s=30", &["-i"]);
    let page = text(&out);
    assert!(
        page.starts_with("HTTP/1.1 504 Gateway Timeout\r\n"),
        "{page}"
    );
    assert!(
        page.contains(&up.url()) && page.contains("--upstream-timeout"),
        "{page}"
    );
}

#[test]
fn an_upstream_hanging_up_mid_response_gives_the_client_a_clean_close() {
    let env = Env::new();
    let up = Upstream::app(&env);
    let served = Served::start_with(&env, &["--proxy", &up.url()]);
    // curl exit 18: "transfer closed with bytes remaining" (a TLS close_notify after a short
    // body), not 56 (a reset or a TLS error).
    let out = curl(&env, &served, "localhost", "/hangup", &["-o", "/dev/null"]);
    assert_eq!(
        out.status.code(),
        Some(18),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The server goes on serving.
    let out = curl(&env, &served, "localhost", "/echo", &["-f"]);
    assert!(out.status.success());
}

#[test]
fn websockets_tunnel_through_and_reconnect_for_node_clients() {
    let env = Env::new();
    let ws = Upstream::spawn(
        &env,
        "node",
        &[peer("ws_echo.js").to_str().unwrap()],
        env.file("unused.log"),
    );
    let served = Served::start_with(&env, &["--proxy", &ws.url()]);
    let out = Command::new("node")
        .args([
            peer("ws_client.js").to_str().unwrap(),
            &format!("https://localhost:{}", served.port),
            env.ca().to_str().unwrap(),
        ])
        .env("NODE_PATH", "/usr/share/nodejs")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        text(&out),
        "200 ws echo upstream\n\
         hello https | echo:ping 1 | closed 1000\n\
         hello https | echo:ping 2 | closed 1000\n"
    );
}

/// Starts a Python client that runs `body` (with `s`, a TLS socket to the server, and `ctx`)
/// after printing "ready"; returns once it printed that.
fn python_client(env: &Env, served: &Served, body: &str) -> Child {
    let script = format!(
        "import socket, ssl, sys, threading, time\n\
         ctx = ssl.create_default_context(cafile={ca:?})\n\
         s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', {port}), timeout=60), server_hostname='localhost')\n\
         {body}\n",
        ca = env.ca().to_str().unwrap(),
        port = served.port
    );
    let mut child = Command::new("python3")
        .args(["-c", &script])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "ready");
    child
}

/// Resident memory may grow this much while a peer holds back 256 MiB: a few buffers' worth.
const RSS_SLACK_KIB: u64 = 24 * 1024;

#[test]
fn a_client_that_never_reads_a_huge_response_holds_the_server_to_bounded_memory() {
    let env = Env::new();
    let up = Upstream::app(&env);
    let served = Served::start_with(&env, &["--proxy", &up.url()]);
    assert!(curl(
        &env,
        &served,
        "localhost",
        "/length?n=1000000",
        &["-f", "-o", "/dev/null"]
    )
    .status
    .success());
    let before = served.rss_kib();
    let mut client = python_client(
        &env,
        &served,
        "s.sendall(b'GET /length?n=268435456 HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n')\n\
         s.recv(100)\nprint('ready', flush=True)\ntime.sleep(60)",
    );
    // Give the upstream every chance to push its 256 MiB (it cannot: nobody reads).
    std::thread::sleep(std::time::Duration::from_secs(3));
    let during = served.rss_kib();
    let _ = client.kill();
    let _ = client.wait();
    assert!(
        during < before + RSS_SLACK_KIB,
        "RSS grew from {before} to {during} KiB"
    );
}

#[test]
fn an_upstream_that_never_reads_a_huge_upload_holds_the_server_to_bounded_memory() {
    let env = Env::new();
    let up = Upstream::app(&env);
    let served = Served::start_with(&env, &["--proxy", &up.url()]);
    assert!(curl(
        &env,
        &served,
        "localhost",
        "/echo",
        &["-f", "-o", "/dev/null"]
    )
    .status
    .success());
    let before = served.rss_kib();
    let mut client = python_client(
        &env,
        &served,
        "s.sendall(b'POST /sink HTTP/1.1\\r\\nHost: localhost\\r\\nContent-Length: 268435456\\r\\n\\r\\n')\n\
         def upload():\n\
         \x20   block = b'u' * 65536\n\
         \x20   try:\n\
         \x20       for _ in range(4096): s.sendall(block)\n\
         \x20   except Exception: pass\n\
         threading.Thread(target=upload, daemon=True).start()\n\
         print('ready', flush=True)\ntime.sleep(60)",
    );
    std::thread::sleep(std::time::Duration::from_secs(3));
    let during = served.rss_kib();
    let _ = client.kill();
    let _ = client.wait();
    assert!(
        during < before + RSS_SLACK_KIB,
        "RSS grew from {before} to {during} KiB"
    );
    assert!(up.seen().contains("POST /sink"));
}

#[test]
fn a_client_dripping_a_request_head_is_closed_at_the_header_timeout_before_anything_is_forwarded() {
    let env = Env::new();
    let up = Upstream::app(&env);
    let served = Served::start_with(&env, &["--proxy", &up.url(), "--header-timeout", "1"]);
    // 200 bytes at one every 50 ms would take 10 s; the server closes after about 1 s.
    let mut client = python_client(
        &env,
        &served,
        "print('ready', flush=True)\n\
         head = b'GET /echo?dripped HTTP/1.1\\r\\nHost: localhost\\r\\nX-Pad: ' + b'p' * 150 + b'\\r\\n\\r\\n'\n\
         try:\n\
         \x20   for b in head:\n\
         \x20       s.sendall(bytes([b])); time.sleep(0.05)\n\
         \x20   print('sent whole head', flush=True)\n\
         except Exception:\n\
         \x20   print('closed by the server', flush=True)",
    );
    let mut rest = String::new();
    std::io::Read::read_to_string(client.stdout.as_mut().unwrap(), &mut rest).unwrap();
    let _ = client.wait();
    assert_eq!(rest.trim(), "closed by the server");
    assert!(!up.seen().contains("dripped"));
}

#[test]
fn an_http_1_0_client_is_forwarded_as_http_1_0_so_no_chunked_answer_reaches_it() {
    let env = Env::new();
    let up = Upstream::app(&env);
    let served = Served::start_with(&env, &["--proxy", &up.url()]);
    let answer = python_raw(
        &env,
        &served,
        "GET /echo?old HTTP/1.0\r\nHost: localhost\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(
        !answer.to_ascii_lowercase().contains("transfer-encoding"),
        "{answer}"
    );
    assert!(answer.contains("\"/echo?old\""), "{answer}");
    assert!(
        up.seen().contains("GET /echo?old HTTP/1.0"),
        "{}",
        up.seen()
    );
}

#[test]
fn the_proxy_refuses_flags_it_cannot_honour() {
    let env = Env::new();
    let e = env.fails(&["serve", "--proxy", "http://127.0.0.1:1", "--mode", "echo"]);
    assert!(e.contains("drop --mode echo"), "{e}");
    let e = env.fails(&["serve", "--proxy", "https://127.0.0.1:1"]);
    assert!(e.contains("plain HTTP"), "{e}");
}

/// curl bounded well below the 60 s idle and upstream timeouts: a reply that only comes when
/// one of those expires fails it.
fn curl_promptly(env: &Env, served: &Served, path: &str, extra: &[&str]) -> Output {
    let mut args = vec!["--max-time", "10"];
    args.extend_from_slice(extra);
    curl(env, served, "localhost", path, &args)
}

#[test]
fn an_upstream_failing_before_it_answers_gets_the_client_a_502_at_once() {
    let env = Env::new();
    let up = Upstream::raw(&env);
    let served = Served::start_with(&env, &["--proxy", &up.url()]);
    for path in ["/close", "/reset", "/garbage", "/switch", "/partial-head"] {
        let out = curl_promptly(&env, &served, path, &["-i"]);
        let page = text(&out);
        assert!(
            page.starts_with("HTTP/1.1 502 Bad Gateway\r\n"),
            "{path}: {page:?} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(page.contains(&up.url()), "{path}: {page}");
    }
}

/// curl sending `requests` (path, options) one after another over one connection, each bounded
/// like [`curl_promptly`].
fn curl_keep_alive(env: &Env, served: &Served, requests: &[(&str, &[&str])]) -> Output {
    let resolve = format!("localhost:{}:127.0.0.1", served.port);
    let ca = env.ca();
    let mut args: Vec<String> = Vec::new();
    for (i, (path, extra)) in requests.iter().enumerate() {
        if i > 0 {
            args.push("--next".into());
        }
        args.extend(
            ["-sS", "--max-time", "10", "--cacert", ca.to_str().unwrap()].map(String::from),
        );
        args.extend(["--resolve".to_owned(), resolve.clone()]);
        args.extend(extra.iter().map(|a| a.to_string()));
        args.push(format!("https://localhost:{}{path}", served.port));
    }
    Command::new("curl")
        .args(&args)
        .current_dir(env.path())
        .output()
        .expect("curl runs")
}

/// curl's write-out for [`curl_keep_alive`]: the status and whether the request needed a new
/// connection (1) or reused the previous one (0).
const STATUS_AND_CONNECTS: [&str; 4] = ["-o", "/dev/null", "-w", "%{http_code} %{num_connects}\n"];

#[test]
fn a_request_that_is_not_idempotent_is_never_sent_twice_when_a_reused_upstream_connection_fails() {
    let env = Env::new();
    let up = Upstream::raw(&env);
    let served = Served::start_with(&env, &["--proxy", &up.url()]);
    let post = [&STATUS_AND_CONNECTS[..], &["-d", ""]].concat();
    // The upstream reads the POST on the connection the GET used, then resets it: whether the
    // app acted on it is unknown, so it is not sent again (RFC 9110 §9.2.2).
    let out = curl_keep_alive(
        &env,
        &served,
        &[("/ok", &STATUS_AND_CONNECTS), ("/reset", &post)],
    );
    assert_eq!(
        text(&out),
        "200 1\n502 0\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen = up.seen();
    assert_eq!(seen.matches("POST /reset ").count(), 1, "{seen}");
}

#[test]
fn an_idempotent_request_is_sent_again_on_a_fresh_connection_when_a_reused_one_drops_it() {
    let env = Env::new();
    let up = Upstream::raw(&env);
    let served = Served::start_with(&env, &["--proxy", &up.url()]);
    let out = curl_keep_alive(
        &env,
        &served,
        &[
            ("/ok", &STATUS_AND_CONNECTS),
            ("/fresh-only", &STATUS_AND_CONNECTS),
        ],
    );
    assert_eq!(
        text(&out),
        "200 1\n200 0\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen = up.seen();
    assert_eq!(seen.matches("GET /fresh-only ").count(), 2, "{seen}");
}

#[test]
fn bytes_an_idle_upstream_connection_sends_unasked_never_answer_the_next_request() {
    let env = Env::new();
    let up = Upstream::raw(&env);
    let served = Served::start_with(&env, &["--proxy", &up.url()]);
    // Each first request is answered, then its upstream connection, kept for the client's next
    // request, receives more: a second response, or a body after the answer to a HEAD. Once
    // the upstream has sent those bytes, the client asks again on the same connection.
    let script = format!(
        "import http.client, ssl, time\n\
         ctx = ssl.create_default_context(cafile={ca:?})\n\
         for method, path in [('GET', '/late'), ('HEAD', '/head-then-body')]:\n\
         \x20   c = http.client.HTTPSConnection('localhost', {port}, context=ctx, timeout=20)\n\
         \x20   c.request(method, path)\n\
         \x20   r = c.getresponse()\n\
         \x20   first = r.read()\n\
         \x20   for i in range(400):\n\
         \x20       if ('late sent ' + path).encode() in open({log:?}, 'rb').read(): break\n\
         \x20       time.sleep(0.05)\n\
         \x20   c.request('GET', '/ok')\n\
         \x20   r = c.getresponse()\n\
         \x20   print(method, path, first, r.status, r.read())\n",
        ca = env.ca().to_str().unwrap(),
        port = served.port,
        log = up.log.to_str().unwrap(),
    );
    let out = tool_ok(env.path(), "python3", &["-c", &script]);
    assert_eq!(
        out,
        "GET /late b'ok' 200 b'ok'\nHEAD /head-then-body b'' 200 b'ok'\n"
    );
}

#[test]
fn a_response_delimited_by_the_upstreams_close_reaches_the_client_whole_and_ends() {
    let env = Env::new();
    let up = Upstream::raw(&env);
    let served = Served::start_with(&env, &["--proxy", &up.url()]);
    let out = curl_promptly(&env, &served, "/until-close", &["-f"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected: String = (0..1000).map(|i| format!("line {i}\n")).collect();
    assert_eq!(text(&out), expected);
}

#[test]
fn content_length_named_in_connection_still_frames_the_response() {
    let env = Env::new();
    let up = Upstream::raw(&env);
    let served = Served::start_with(&env, &["--proxy", &up.url()]);
    // Two requests on one keep-alive connection: the first response must end where it ends.
    let url = format!(
        "https://localhost:{}/connection-content-length",
        served.port
    );
    let out = curl_promptly(&env, &served, "/connection-content-length", &["-f", &url]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(text(&out), "first\nfirst\n");
}

#[test]
fn an_upstream_chunk_size_line_without_digits_is_not_passed_on_as_the_end_of_the_body() {
    let env = Env::new();
    let up = Upstream::raw(&env);
    let served = Served::start_with(&env, &["--proxy", &up.url()]);
    let out = curl_promptly(&env, &served, "/empty-chunk-size", &["-i"]);
    let page = text(&out);
    assert!(page.starts_with("HTTP/1.1 502 Bad Gateway\r\n"), "{page}");
    assert!(page.contains("chunk-size"), "{page}");
}

#[test]
fn transfer_codings_before_chunked_reach_the_upstream_intact() {
    let env = Env::new();
    let up = Upstream::raw(&env);
    let served = Served::start_with(&env, &["--proxy", &up.url()]);
    let answer = python_raw(
        &env,
        &served,
        "POST /echo-head HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(
        answer.contains("\r\nTransfer-Encoding: gzip, chunked\r\n"),
        "{answer}"
    );
}

#[test]
fn transfer_codings_that_do_not_frame_a_request_are_refused() {
    let env = Env::new();
    let up = Upstream::raw(&env);
    let served = Served::start_with(&env, &["--proxy", &up.url()]);
    let smuggled = "GET /echo-head?smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n";
    let cases = [
        // chunked twice: the first one is not the final coding.
        format!("POST /echo-head HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{smuggled}"),
        // HTTP/1.0 has no transfer codings (RFC 9112 6.1).
        format!("POST /echo-head HTTP/1.0\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{smuggled}"),
    ];
    for raw in &cases {
        let answer = python_raw(&env, &served, raw);
        assert!(
            answer.starts_with("HTTP/1.1 400 Bad Request\r\n"),
            "{raw:?} got {answer:?}"
        );
    }
    assert_eq!(up.seen(), "");
}

#[test]
fn transfer_codings_with_whitespace_other_than_sp_or_htab_are_refused_before_anything_is_forwarded()
{
    let env = Env::new();
    let up = Upstream::raw(&env);
    let served = Served::start_with(&env, &["--proxy", &up.url()]);
    // Rust's str::trim would read each as ending in chunked; werkzeug reads no body.
    for te in ["chunked\u{a0}", "\u{85}chunked", "gzip, chunked\u{3000}"] {
        let raw = format!(
            "POST /echo-head HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: {te}\r\n\r\n\
             5\r\nhello\r\n0\r\n\r\nGET /echo-head?smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n"
        );
        let answer = python_raw(&env, &served, &raw);
        assert!(
            answer.starts_with("HTTP/1.1 400 Bad Request\r\n"),
            "{te:?} got {answer:?}"
        );
        assert_eq!(answer.matches("HTTP/1.1 ").count(), 1, "{answer}");
    }
    assert_eq!(up.seen(), "");
}

#[test]
fn an_http_1_0_client_never_gets_a_1xx_response() {
    let env = Env::new();
    let up = Upstream::raw(&env);
    let served = Served::start_with(&env, &["--proxy", &up.url()]);
    let answer = python_raw(
        &env,
        &served,
        "POST /continue HTTP/1.0\r\nHost: localhost\r\nContent-Length: 4\r\n\r\nbody",
    );
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer:?}");
    assert!(answer.ends_with("\r\n\r\ngot"), "{answer:?}");
    assert!(!answer.contains("100 Continue"), "{answer:?}");
}

#[test]
fn a_request_body_on_a_dir_route_is_never_read_as_another_request() {
    let env = Env::new();
    std::fs::create_dir(env.file("static")).unwrap();
    std::fs::write(env.file("static/index.html"), "public\n").unwrap();
    std::fs::write(env.file("static/secret.txt"), "SECRET\n").unwrap();
    let route = format!("files.localhost=dir:{}", env.file("static").display());
    let served = Served::start_with(&env, &["--route", &route]);
    let smuggled = "GET /secret.txt HTTP/1.1\r\nHost: files.localhost\r\n\r\n";
    for method in ["POST", "GET"] {
        let raw = format!(
            "{method} /index.html HTTP/1.1\r\nHost: files.localhost\r\nContent-Length: {}\r\n\r\n{smuggled}",
            smuggled.len()
        );
        let answer = python_raw_to(&env, &served, "files.localhost", &raw);
        assert!(!answer.contains("SECRET"), "{method}: {answer}");
        assert_eq!(answer.matches("HTTP/1.1 ").count(), 1, "{method}: {answer}");
    }
}

/// What tests/peers/raw_upstream.py sends chunked for `/chunked`.
fn chunked_body() -> String {
    (0..20000).map(|i| format!("chunked line {i}\n")).collect()
}

#[test]
fn an_http_1_0_client_gets_a_chunked_answer_decoded_and_delimited_by_the_close_with_curl() {
    let env = Env::new();
    let up = Upstream::raw(&env);
    let served = Served::start_with(&env, &["--proxy", &up.url()]);
    let out = curl_promptly(&env, &served, "/chunked", &["--http1.0", "-f", "-i"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer = text(&out);
    let (head, body) = answer.split_once("\r\n\r\n").expect("a response head");
    let fields = head.to_ascii_lowercase();
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    for absent in ["transfer-encoding", "content-length", "x-lines", "trailer:"] {
        assert!(!fields.contains(absent), "{absent} in {head}");
    }
    assert!(fields.contains("\r\nconnection: close"), "{head}");
    assert!(body == chunked_body(), "{} bytes of body", body.len());
    assert!(
        up.seen().starts_with("GET /chunked HTTP/1.0\r\n"),
        "{}",
        up.seen()
    );
}

#[test]
fn an_http_1_0_client_gets_a_chunked_answer_decoded_and_delimited_by_the_close_with_python() {
    let env = Env::new();
    let up = Upstream::raw(&env);
    let served = Served::start_with(&env, &["--proxy", &up.url()]);
    // http.client speaking HTTP/1.0; reading to the end fails unless the TLS close is clean.
    let script = format!(
        "import http.client, ssl, sys\n\
         http.client.HTTPConnection._http_vsn = 10\n\
         http.client.HTTPConnection._http_vsn_str = 'HTTP/1.0'\n\
         ctx = ssl.create_default_context(cafile={ca:?})\n\
         c = http.client.HTTPSConnection('localhost', {port}, context=ctx, timeout=20)\n\
         c.request('GET', '/chunked')\n\
         r = c.getresponse()\n\
         assert r.status == 200, r.status\n\
         assert r.getheader('Transfer-Encoding') is None, r.getheaders()\n\
         assert r.getheader('Content-Length') is None, r.getheaders()\n\
         assert not r.chunked and r.will_close\n\
         body = r.read()\n\
         assert r.fp is None or r.fp.read() == b''\n\
         sys.stdout.buffer.write(body)\n",
        ca = env.ca().to_str().unwrap(),
        port = served.port
    );
    let body = tool_ok(env.path(), "python3", &["-c", &script]);
    assert!(body == chunked_body(), "{} bytes of body", body.len());
}
