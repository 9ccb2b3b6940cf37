//! Java truststores (the JDK's `cacerts`, or `--java-truststore FILE`) through the JDK's own
//! `keytool`; the store password goes to keytool in its environment, not on its command line.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use super::{tool_error, Action, Outcome, TrustedCa};
use crate::Error;

/// The environment variable keytool reads the store password from (`-storepass:env`).
const PASS_VAR: &str = "SELFSIGN_KEYTOOL_STOREPASS";

/// A Java truststore file and its password.
pub struct JavaStore {
    keytool: PathBuf,
    file: PathBuf,
    storepass: String,
}

impl JavaStore {
    /// The store to touch: `given`, else `lib/security/cacerts` under `$JAVA_HOME` or the
    /// `java.home` that `java` reports; checks that keytool runs.
    pub fn find(given: Option<&Path>, storepass: &str) -> Result<JavaStore, Error> {
        let java_home = std::env::var_os("JAVA_HOME")
            .map(PathBuf::from)
            .filter(|h| h.join("bin/keytool").is_file())
            .or_else(java_home_of_java);
        let keytool = java_home
            .as_ref()
            .map(|h| h.join("bin/keytool"))
            .filter(|k| k.is_file())
            .unwrap_or_else(|| PathBuf::from("keytool"));
        match Command::new(&keytool).arg("-help").output() {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(tool_error(
                    "keytool",
                    "not found; install a JDK or JRE (Debian/Ubuntu: `apt install \
                     default-jre-headless`) or set JAVA_HOME",
                ))
            }
            Err(e) => return Err(tool_error("keytool", &e.to_string())),
        }
        let file = match given {
            Some(f) => std::path::absolute(f).map_err(|e| Error::io(f, e))?,
            None => java_home
                .map(|h| h.join("lib/security/cacerts"))
                .filter(|f| f.exists())
                .ok_or_else(|| {
                    tool_error(
                        "keytool",
                        "cannot find the JDK's cacerts (no JAVA_HOME, and `java` does not say \
                         its java.home); pass --java-truststore FILE",
                    )
                })?,
        };
        Ok(JavaStore {
            keytool,
            file,
            storepass: storepass.to_string(),
        })
    }

    fn run(&self, args: &[&str], stdin: Option<&[u8]>) -> Result<Output, Error> {
        let mut child = Command::new(&self.keytool)
            .args(args)
            .arg("-keystore")
            .arg(&self.file)
            .args(["-storepass:env", PASS_VAR])
            .env(PASS_VAR, &self.storepass)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| tool_error("keytool", &e.to_string()))?;
        if let (Some(data), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(data)
                .map_err(|e| tool_error("keytool", &e.to_string()))?;
        }
        child
            .wait_with_output()
            .map_err(|e| tool_error("keytool", &e.to_string()))
    }

    fn check(&self, args: &[&str], stdin: Option<&[u8]>) -> Result<(), Error> {
        let out = self.run(args, stdin)?;
        if out.status.success() {
            return Ok(());
        }
        // keytool reports errors on stdout.
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let hint = if said.contains("password was incorrect") {
            " (pass the store's password with --java-storepass)"
        } else {
            ""
        };
        Err(tool_error(
            "keytool",
            &format!(
                "{} failed on {}: {}{hint}",
                args.first().copied().unwrap_or_default(),
                self.file.display(),
                said.trim()
            ),
        ))
    }

    /// Whether the store holds our CA under our alias.
    fn contains(&self, ca: &TrustedCa) -> Result<bool, Error> {
        if !self.file.exists() {
            return Ok(false);
        }
        let out = self.run(&["-exportcert", "-rfc", "-alias", &alias(ca)], None)?;
        if !out.status.success() {
            if String::from_utf8_lossy(&out.stdout).contains("password was incorrect") {
                self.check(&["-list"], None)?;
            }
            return Ok(false);
        }
        let listed = selfsign_core::parse_certificates(&out.stdout).unwrap_or_default();
        Ok(listed.contains(&ca.cert))
    }

    /// Installs, removes or looks for the CA in the store.
    pub fn apply(&self, ca: &TrustedCa, action: Action) -> Result<Outcome, Error> {
        let mut changed = false;
        let mut note = None;
        let present_before = self.contains(ca)?;
        match action {
            _ if action != Action::Install && !self.file.exists() => {
                note = Some("no truststore there".into());
            }
            Action::Install if !present_before => {
                if !self.file.exists() {
                    note = Some("created the truststore".into());
                }
                let pem = ca.cert.pem();
                let args = ["-importcert", "-noprompt", "-trustcacerts", "-alias"];
                let alias = alias(ca);
                self.check(
                    &[&args[..], &[alias.as_str()]].concat(),
                    Some(pem.as_bytes()),
                )?;
                changed = true;
            }
            Action::Uninstall if present_before => {
                self.check(&["-delete", "-alias", &alias(ca)], None)?;
                changed = true;
            }
            _ => {}
        }
        Ok(Outcome {
            kind: "java",
            present: self.contains(ca)?,
            location: self.file.display().to_string(),
            changed,
            note,
        })
    }
}

/// The alias our CA goes by in a truststore (keytool folds aliases to lower case).
fn alias(ca: &TrustedCa) -> String {
    format!("selfsign-ca-{}", ca.prefix)
}

/// `java.home` as `java -XshowSettings:properties -version` prints it.
fn java_home_of_java() -> Option<PathBuf> {
    let out = Command::new("java")
        .args(["-XshowSettings:properties", "-version"])
        .stdin(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stderr);
    text.lines()
        .find_map(|l| l.trim().strip_prefix("java.home = "))
        .map(|h| PathBuf::from(h.trim()))
}
