//! Key hygiene, as a CA should handle keys: key files are 0600 whatever the umask, a write that
//! fails midway leaves no partial key (nor temp file) behind, and the CA's private key never
//! appears in what any command prints, even with debug logging.

mod cli_support;

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use cli_support::Env;

fn mode(path: &Path) -> u32 {
    fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Runs `selfsign --data-dir <data> ARGS` through `sh` after `prelude` (e.g. a umask or ulimit).
fn run_after(env: &Env, prelude: &str, args: &[&str]) -> Output {
    let script = format!("{prelude}; exec \"$0\" \"$@\"");
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_selfsign"))
        .arg("--data-dir")
        .arg(env.data())
        .args(args)
        .current_dir(env.path())
        .env_remove("SELFSIGN_DATA_DIR")
        .stdin(Stdio::null())
        .output()
        .expect("run selfsign through sh")
}

/// Every file below `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn assert_no_temp_files(dir: &Path) {
    let temps: Vec<_> = files_under(dir)
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(temps.is_empty(), "temp files left behind: {temps:?}");
}

#[test]
fn key_files_are_0600_and_certificates_0644_even_with_umask_000() {
    let env = Env::new();
    for args in [
        &[
            "new",
            "localhost",
            "--cert-file",
            "leaf.pem",
            "--key-file",
            "leaf-key.pem",
        ][..],
        &[
            "self-signed",
            "ss.test",
            "--cert-file",
            "ss.pem",
            "--key-file",
            "ss-key.pem",
        ],
        &["ca", "create", "--intermediate"],
    ] {
        let out = run_after(&env, "umask 000", args);
        assert!(out.status.success(), "selfsign {args:?}: {out:?}");
    }
    for key in [
        env.file("leaf-key.pem"),
        env.file("ss-key.pem"),
        env.data().join("rootCA-key.pem"),
        env.data().join("intermediateCA-key.pem"),
    ] {
        assert_eq!(mode(&key), 0o600, "{}", key.display());
    }
    for cert in [env.file("leaf.pem"), env.file("ss.pem"), env.ca()] {
        assert_eq!(mode(&cert), 0o644, "{}", cert.display());
    }
    // Replacing the CA with --force keeps the new key private too.
    let out = run_after(&env, "umask 000", &["ca", "create", "--force"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(mode(&env.data().join("rootCA-key.pem")), 0o600);
}

#[test]
fn a_key_write_cut_short_by_the_file_size_limit_leaves_no_partial_file() {
    let env = Env::new();
    // With RLIMIT_FSIZE 0 (and SIGXFSZ ignored) every write fails with EFBIG, as on a full disk.
    let limited = "trap '' XFSZ; ulimit -f 0";
    let out = run_after(
        &env,
        limited,
        &[
            "new",
            "a.test",
            "--cert-file",
            "a.pem",
            "--key-file",
            "a-key.pem",
        ],
    );
    assert!(!out.status.success(), "the write cannot have succeeded");
    assert!(!env.file("a-key.pem").exists(), "partial leaf key left");
    assert!(
        !env.file("a.pem").exists(),
        "certificate left without its key"
    );
    assert!(
        !env.data().join("rootCA-key.pem").exists(),
        "partial CA key left"
    );
    assert_no_temp_files(env.path());

    // The same with an existing CA: only the leaf's writes fail, and the CA is untouched.
    env.ok(&["ca", "create"]);
    let ca_key = fs::read(env.data().join("rootCA-key.pem")).expect("CA key");
    let out = run_after(
        &env,
        limited,
        &[
            "new",
            "b.test",
            "--cert-file",
            "b.pem",
            "--key-file",
            "b-key.pem",
        ],
    );
    assert!(!out.status.success());
    assert!(!env.file("b-key.pem").exists(), "partial leaf key left");
    assert_no_temp_files(env.path());
    assert_eq!(
        fs::read(env.data().join("rootCA-key.pem")).expect("CA key"),
        ca_key
    );
}

#[test]
fn a_key_that_cannot_be_moved_into_place_leaves_no_temp_file() {
    let env = Env::new();
    env.ok(&["ca", "create"]);
    // The key path is a directory: the temp file is written, then the rename fails.
    fs::create_dir(env.file("key-dir")).expect("mkdir");
    let out = env.run(&[
        "new",
        "c.test",
        "--cert-file",
        "c.pem",
        "--key-file",
        "key-dir",
        "--force",
    ]);
    assert!(!out.status.success(), "{out:?}");
    assert!(env.file("key-dir").is_dir());
    assert_eq!(fs::read_dir(env.file("key-dir")).expect("ls").count(), 0);
    assert_no_temp_files(env.path());
}

/// The lines of base64 inside the PEM key at `path`: any of them in an output is a leak.
fn secret_lines(path: &Path) -> Vec<String> {
    let pem = fs::read_to_string(path).expect("read key");
    let lines: Vec<String> = pem
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() >= 16)
        .map(str::to_string)
        .collect();
    assert!(!lines.is_empty(), "{} holds no PEM body", path.display());
    lines
}

fn assert_no_secret(what: &str, output: &[u8], secrets: &[String]) {
    let text = String::from_utf8_lossy(output);
    assert!(
        !text.contains("PRIVATE KEY"),
        "{what} printed a private key block"
    );
    for line in secrets {
        assert!(
            !text.contains(line.as_str()),
            "{what} printed CA key material"
        );
    }
}

#[test]
fn the_ca_key_never_appears_in_what_commands_print() {
    let env = Env::new();
    env.ok(&["ca", "create"]);
    env.ok(&["ca", "create", "--intermediate"]);
    let mut secrets = secret_lines(&env.data().join("rootCA-key.pem"));
    secrets.extend(secret_lines(&env.data().join("intermediateCA-key.pem")));
    let data = env.data();
    let data = data.to_str().expect("utf-8 path");
    let root_key = format!("{data}/rootCA-key.pem");
    let commands: Vec<Vec<&str>> = vec![
        vec!["ca", "show"],
        vec!["-vv", "ca", "show"],
        vec!["--json", "ca", "show"],
        vec!["ca", "show", "--intermediate"],
        vec!["ca", "path"],
        vec!["ca", "path", "--key"],
        vec!["-vv", "inspect", data],
        vec!["-vv", "inspect", &root_key],
        vec!["--json", "inspect", &root_key],
        vec![
            "-vv",
            "new",
            "d.test",
            "--cert-file",
            "d.pem",
            "--key-file",
            "d-key.pem",
        ],
        vec![
            "-vv",
            "new",
            "--intermediate",
            "e.test",
            "--cert-file",
            "e.pem",
            "--key-file",
            "e-key.pem",
        ],
        vec![
            "--json",
            "new",
            "f.test",
            "--cert-file",
            "f.pem",
            "--key-file",
            "f-key.pem",
        ],
    ];
    for args in &commands {
        let out = env.run(args);
        let what = format!("selfsign {args:?}");
        assert_no_secret(&what, &out.stdout, &secrets);
        assert_no_secret(&what, &out.stderr, &secrets);
    }
    let (stdout, stderr) = serve_briefly(&env);
    assert_no_secret("selfsign -vv serve (stdout)", &stdout, &secrets);
    assert_no_secret("selfsign -vv serve (stderr)", &stderr, &secrets);
    // serve issued and wrote its own leaf key, private like every other key.
    assert_eq!(mode(&env.data().join("serve/localhost-key.pem")), 0o600);
}

/// Runs `selfsign -vv serve --mode echo` on a free loopback port until it is listening, sends it
/// garbage (so it logs a connection problem), stops it with SIGTERM and returns what it printed.
fn serve_briefly(env: &Env) -> (Vec<u8>, Vec<u8>) {
    let mut child = env
        .cmd(&["-vv", "serve", "--mode", "echo", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    let (tx, rx) = mpsc::channel();
    let out_reader = std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut lines = BufReader::new(stdout);
        let mut line = String::new();
        while lines.read_line(&mut line).unwrap_or(0) > 0 {
            if let Some(addr) = line.trim().strip_prefix("Listening on") {
                let _ = tx.send(addr.trim().to_string());
            }
            all.extend_from_slice(line.as_bytes());
            line.clear();
        }
        all
    });
    let addr = rx.recv_timeout(Duration::from_secs(30));
    if let Ok(addr) = &addr {
        if let Ok(mut sock) = std::net::TcpStream::connect(addr.as_str()) {
            use std::io::Write;
            let _ = sock.write_all(b"not a TLS client hello\r\n\r\n");
            let _ = sock.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = sock.read(&mut [0u8; 64]);
        }
    }
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let status = child.wait().expect("serve exits");
    let stdout = out_reader.join().expect("stdout reader");
    let stderr = err_reader.join().expect("stderr reader");
    assert!(
        addr.is_ok(),
        "serve never printed its address ({status}):\n{}\n{}",
        String::from_utf8_lossy(&stdout),
        String::from_utf8_lossy(&stderr)
    );
    (stdout, stderr)
}

/// openssl's view of the public key in a certificate or private key file.
fn public_key_of(env: &Env, args: &[&str]) -> String {
    cli_support::tool_ok(env.path(), "openssl", args)
}

fn assert_pair_matches(env: &Env, cert: &Path, key: &Path) {
    let from_cert = public_key_of(
        env,
        &["x509", "-noout", "-pubkey", "-in", cert.to_str().unwrap()],
    );
    let from_key = public_key_of(env, &["pkey", "-pubout", "-in", key.to_str().unwrap()]);
    assert_eq!(
        from_cert,
        from_key,
        "{} does not match {}",
        cert.display(),
        key.display()
    );
}

#[test]
fn a_forced_replacement_cut_short_by_the_file_size_limit_keeps_the_old_pair_whole() {
    let env = Env::new();
    env.ok(&["ca", "create"]);
    env.ok(&[
        "new",
        "old.test",
        "--cert-file",
        "l.pem",
        "--key-file",
        "l-key.pem",
    ]);
    let (ca_cert, ca_key) = (env.ca(), env.data().join("rootCA-key.pem"));
    let (leaf_cert, leaf_key) = (env.file("l.pem"), env.file("l-key.pem"));
    let before: Vec<Vec<u8>> = [&ca_cert, &ca_key, &leaf_cert, &leaf_key]
        .iter()
        .map(|p| fs::read(p).expect("read"))
        .collect();
    // 512 bytes: the new key (about 240) fits, the new certificate (700 or more) does not.
    let limited = "trap '' XFSZ; ulimit -f 1";
    for args in [
        &["ca", "create", "--force"][..],
        &[
            "new",
            "new.test",
            "--cert-file",
            "l.pem",
            "--key-file",
            "l-key.pem",
            "--force",
        ],
    ] {
        let out = run_after(&env, limited, args);
        assert!(
            !out.status.success(),
            "the write cannot have succeeded: {args:?}"
        );
    }
    let after: Vec<Vec<u8>> = [&ca_cert, &ca_key, &leaf_cert, &leaf_key]
        .iter()
        .map(|p| fs::read(p).expect("read"))
        .collect();
    assert!(
        before == after,
        "a failed --force replacement changed the old files"
    );
    assert_pair_matches(&env, &ca_cert, &ca_key);
    assert_pair_matches(&env, &leaf_cert, &leaf_key);
    assert_eq!(mode(&ca_key), 0o600);
    assert_no_temp_files(env.path());
    let leftovers: Vec<_> = files_under(env.path())
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("selfsign-old"))
        .collect();
    assert!(leftovers.is_empty(), "backups left behind: {leftovers:?}");
    // And the replacement still works when it can.
    env.ok(&["ca", "create", "--force"]);
    assert_pair_matches(&env, &ca_cert, &ca_key);
    assert!(fs::read(&ca_key).expect("key") != before[1]);
}
