//! Shared helpers for the `selfsign` integration tests: a temporary working directory with its
//! own data directory, and runners for our binary and the real peers (openssl, Python).
#![allow(dead_code)]

pub mod served;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tempfile::TempDir;

/// A scratch directory: the working directory of every command, with `data/` as `--data-dir`.
pub struct Env {
    pub dir: TempDir,
}

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().expect("create temp dir"),
        }
    }

    /// The working directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A path inside the working directory.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The data directory passed as `--data-dir`.
    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The local CA certificate in the data directory.
    pub fn ca(&self) -> PathBuf {
        self.data().join("rootCA.pem")
    }

    /// `selfsign --data-dir <data> ARGS...` in the working directory, with a clean environment.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_selfsign"));
        cmd.arg("--data-dir")
            .arg(self.data())
            .args(args)
            .current_dir(self.path())
            .env_remove("SELFSIGN_DATA_DIR")
            .env_remove("PORT")
            .env_remove("SELFSIGN_LOG")
            .stdin(Stdio::null());
        cmd
    }

    /// Runs selfsign and returns its output.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run selfsign")
    }

    /// Runs selfsign, asserts exit 0 and returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "selfsign {args:?} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    /// Runs selfsign, asserts exit 1 with a one-line `selfsign: ` reason, and returns that line.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(out.status.code(), Some(1), "selfsign {args:?}: {out:?}");
        let err = String::from_utf8(out.stderr).expect("utf-8 stderr");
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 1, "one-line error expected, got {err:?}");
        assert!(lines[0].starts_with("selfsign: "), "{err:?}");
        lines[0].to_string()
    }
}

/// Runs a tool (openssl, python3, curl) in `dir` and returns its output.
pub fn tool(dir: &Path, program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{program} must be installed (scripts/bootstrap does): {e}"))
}

/// Runs a tool, asserts success and returns stdout.
pub fn tool_ok(dir: &Path, program: &str, args: &[&str]) -> String {
    let out = tool(dir, program, args);
    assert!(
        out.status.success(),
        "{program} {args:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `openssl verify -x509_strict -purpose PURPOSE -CAfile CA [-untrusted CERT] CERT` passes.
pub fn openssl_verifies(dir: &Path, ca: &Path, cert: &Path, purpose: &str) -> Output {
    let (ca, cert) = (ca.to_str().unwrap(), cert.to_str().unwrap());
    // The certificate file may carry intermediates after the leaf: offer them as untrusted.
    tool(
        dir,
        "openssl",
        &[
            "verify",
            "-x509_strict",
            "-purpose",
            purpose,
            "-CAfile",
            ca,
            "-untrusted",
            cert,
            cert,
        ],
    )
}

/// The Unix permission bits of a file.
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// How many PEM certificates a file holds.
pub fn cert_count(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .unwrap()
        .matches("-----BEGIN CERTIFICATE-----")
        .count()
}

/// Runs `script` with `bash -e` in `work`, our binary first on PATH, `scratch` as HOME, data
/// directory (`scratch/data`) and NSS db (`scratch/nssdb`), `PORT` set to `port`, in its own
/// process group that is killed when the script ends or after 120 s.
pub fn run_script(script: &Path, work: &Path, scratch: &Path, port: u16) -> Output {
    use std::os::unix::process::CommandExt;
    use std::time::{Duration, Instant};
    let bin = Path::new(env!("CARGO_BIN_EXE_selfsign"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut child = Command::new("bash")
        .arg("-e")
        .arg(script)
        .current_dir(work)
        .env("PATH", path)
        .env("HOME", scratch)
        .env("SELFSIGN_DATA_DIR", scratch.join("data"))
        .env("SCRATCH_NSS_DB", scratch.join("nssdb"))
        .env("PORT", port.to_string())
        .env_remove("XDG_DATA_HOME")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("REQUESTS_CA_BUNDLE")
        .env_remove("SELFSIGN_LOG")
        .env_remove("SELFSIGN_P12_PASSWORD")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("run bash");
    let pgid = child.id();
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().expect("wait").is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    // Whatever is left of the group (a server from a failed run) goes now.
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stderr(Stdio::null())
        .status();
    child.wait_with_output().expect("output")
}

/// The ```sh blocks of README.md's `## HEADING` section, as written.
pub fn readme_sh_blocks(heading: &str) -> Vec<String> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .expect("read README.md");
    let section = readme
        .split_once(&format!("\n## {heading}\n"))
        .unwrap_or_else(|| panic!("README has a \"{heading}\" section"))
        .1;
    let section = section.split("\n## ").next().unwrap();
    section
        .split("```sh\n")
        .skip(1)
        .map(|b| {
            b.split_once("\n```")
                .expect("the block is closed")
                .0
                .to_string()
        })
        .collect()
}
