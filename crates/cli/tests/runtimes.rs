//! Trust in runtimes: `selfsign env` lines make Node, Python (`urllib`, `requests`) and curl
//! trust `selfsign serve` with no other flag, and `trust install --java` makes Java trust it.

mod cli_support;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use cli_support::served::{Served, PAGE};
use cli_support::{tool_ok, Env};

/// Variables `selfsign env` sets: a client must not inherit them from the test's environment.
const VARS: [&str; 6] = [
    "NODE_EXTRA_CA_CERTS",
    "DENO_CERT",
    "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "GIT_SSL_CAINFO",
];

/// Runs `script` in sh after evaluating `env_lines` (none when empty).
fn sh_after_eval(env: &Env, env_lines: &str, script: &str) -> Output {
    let mut cmd = Command::new("sh");
    cmd.args(["-c", &format!("eval \"$SELFSIGN_ENV\"\n{script}")])
        .env("SELFSIGN_ENV", env_lines)
        .current_dir(env.path())
        .stdin(Stdio::null());
    for var in VARS {
        cmd.env_remove(var);
    }
    cmd.output().expect("run sh")
}

/// Fetches `url` with each client; returns (client, output) pairs.
fn fetch_with_each_client(env: &Env, env_lines: &str, url: &str) -> Vec<(&'static str, Output)> {
    let node = format!(
        "node -e \"require('https').get('{url}', r => {{ r.setEncoding('utf8'); let b = ''; \
         r.on('data', d => b += d); r.on('end', () => process.stdout.write(b)); }})\
         .on('error', e => {{ console.error(e.message); process.exit(1); }})\""
    );
    let urllib = format!(
        "python3 -c \"import sys, urllib.request; \
         sys.stdout.write(urllib.request.urlopen('{url}', timeout=20).read().decode())\""
    );
    let requests = format!(
        "python3 -c \"import sys, requests; sys.stdout.write(requests.get('{url}', timeout=20).text)\""
    );
    let curl = format!("curl -sS --max-time 20 {url}");
    [
        ("node", node),
        ("python urllib", urllib),
        ("python requests", requests),
        ("curl", curl),
    ]
    .into_iter()
    .map(|(client, script)| (client, sh_after_eval(env, env_lines, &script)))
    .collect()
}

#[test]
fn env_lines_let_node_python_and_curl_fetch_from_serve_with_no_other_flag() {
    let env = Env::new();
    let lines = env.ok(&["env"]);
    let served = Served::start(&env, &[]);
    let url = format!("https://127.0.0.1:{}/", served.port);
    for (client, out) in fetch_with_each_client(&env, "", &url) {
        assert!(
            !out.status.success(),
            "{client} trusted the local CA without the env lines"
        );
    }
    for (client, out) in fetch_with_each_client(&env, &lines, &url) {
        assert!(
            out.status.success(),
            "{client} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), PAGE, "{client}");
    }
}

#[test]
fn the_bundle_holds_the_system_roots_and_the_local_ca() {
    let env = Env::new();
    env.ok(&["env"]);
    let bundle = std::fs::read_to_string(env.data().join("ca-bundle.pem")).unwrap();
    let ca = std::fs::read_to_string(env.ca()).unwrap();
    assert!(bundle.ends_with(&ca), "the local CA is not in the bundle");
    let system = std::fs::read_to_string("/etc/ssl/certs/ca-certificates.crt").unwrap();
    assert!(
        bundle.starts_with(system.trim_end()),
        "the system roots are not in the bundle"
    );
}

#[test]
fn env_prints_fish_and_json_forms_of_the_same_variables() {
    let env = Env::new();
    let sh = env.ok(&["env"]);
    let fish = env.ok(&["env", "--shell", "fish"]);
    let json: serde_json::Value = serde_json::from_str(&env.ok(&["--json", "env"])).unwrap();
    let (ca, bundle) = (env.ca(), env.data().join("ca-bundle.pem"));
    for var in VARS {
        let file = match var {
            "NODE_EXTRA_CA_CERTS" | "DENO_CERT" => &ca,
            _ => &bundle,
        };
        let file = file.to_str().unwrap();
        assert!(sh.contains(&format!("export {var}='{file}'\n")), "{sh}");
        assert!(
            fish.contains(&format!("set -gx {var} '{file}'\n")),
            "{fish}"
        );
        assert_eq!(json["variables"][var], file, "{json}");
    }
}

#[test]
fn sh_lines_survive_a_data_dir_with_quotes_spaces_and_dollars() {
    let env = Env::new();
    let odd = env.file("it's a $HOME dir");
    let out = Command::new(env!("CARGO_BIN_EXE_selfsign"))
        .arg("--data-dir")
        .arg(&odd)
        .arg("env")
        .current_dir(env.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let lines = String::from_utf8(out.stdout).unwrap();
    let seen = sh_after_eval(&env, &lines, "printf %s \"$NODE_EXTRA_CA_CERTS\"");
    assert_eq!(
        String::from_utf8_lossy(&seen.stdout),
        odd.join("rootCA.pem").to_str().unwrap()
    );
    // The file it names is the CA.
    tool_ok(
        env.path(),
        "openssl",
        &[
            "x509",
            "-noout",
            "-in",
            odd.join("rootCA.pem").to_str().unwrap(),
        ],
    );
}

/// Runs `script` with `shell` (`sh` or `fish`) in the scratch directory, $HOME in it too.
fn shell_in(env: &Env, shell: &str, script: &str) -> Output {
    let mut cmd = Command::new(shell);
    if shell == "fish" {
        cmd.arg("--no-config");
    }
    cmd.args(["-c", script])
        .current_dir(env.path())
        .env("HOME", env.path())
        .env("XDG_CONFIG_HOME", env.file("config"))
        .env("XDG_DATA_HOME", env.file("share"))
        .stdin(Stdio::null());
    for var in VARS {
        cmd.env_remove(var);
    }
    cmd.output()
        .unwrap_or_else(|e| panic!("{shell} must be installed (scripts/bootstrap does): {e}"))
}

#[test]
fn env_keeps_the_bytes_of_a_data_dir_that_is_not_utf8_and_json_refuses_it_clearly() {
    let env = Env::new();
    let mut raw = env.path().as_os_str().as_bytes().to_vec();
    raw.extend_from_slice(b"/data-\xff\xfe-it's");
    let odd = PathBuf::from(OsStr::from_bytes(&raw));
    let selfsign = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_selfsign"))
            .arg("--data-dir")
            .arg(&odd)
            .args(args)
            .current_dir(env.path())
            .env_remove("SELFSIGN_DATA_DIR")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let mut ca = odd.join("rootCA.pem").as_os_str().as_bytes().to_vec();
    ca.push(b'\n');
    // printenv, another program, sees the exported bytes.
    for (shell, args, file, script) in [
        (
            "sh",
            &["env"][..],
            "env.sh",
            ". ./env.sh && printenv NODE_EXTRA_CA_CERTS",
        ),
        (
            "fish",
            &["env", "--shell", "fish"][..],
            "env.fish",
            "source env.fish; and printenv NODE_EXTRA_CA_CERTS",
        ),
    ] {
        let out = selfsign(args);
        assert!(out.status.success(), "{shell}: {out:?}");
        std::fs::write(env.file(file), &out.stdout).unwrap();
        let seen = shell_in(&env, shell, script);
        assert_eq!(
            seen.stdout,
            ca,
            "{shell} got {:?} from {:?}: {}",
            String::from_utf8_lossy(&seen.stdout),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&seen.stderr)
        );
    }
    let json = selfsign(&["--json", "env"]);
    assert_eq!(json.status.code(), Some(1), "{json:?}");
    let err: serde_json::Value = serde_json::from_slice(&json.stderr).unwrap();
    let message = err["error"].as_str().unwrap();
    assert!(
        message.contains("not valid UTF-8") && message.contains("--json"),
        "{message}"
    );
    assert!(json.stdout.is_empty(), "{:?}", json.stdout);
}

/// A Java HTTPS client (single-file source launch) that prints the body of `args[0]`.
const JAVA_CLIENT: &str = r#"
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

public class Client {
    public static void main(String[] args) throws Exception {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(args[0]))
            .timeout(Duration.ofSeconds(20)).build();
        System.out.print(client.send(request, HttpResponse.BodyHandlers.ofString()).body());
    }
}
"#;

/// `java [-Djavax.net.ssl.trustStore=STORE ...] Client.java URL`.
fn java_fetch(env: &Env, store: Option<&str>, url: &str) -> Output {
    std::fs::write(env.file("Client.java"), JAVA_CLIENT).unwrap();
    let mut cmd = Command::new("java");
    if let Some(store) = store {
        cmd.arg(format!("-Djavax.net.ssl.trustStore={store}"))
            .arg("-Djavax.net.ssl.trustStorePassword=changeit");
    }
    cmd.args(["Client.java", url])
        .current_dir(env.path())
        .stdin(Stdio::null())
        .output()
        .expect("java is installed (scripts/bootstrap installs default-jre-headless)")
}

/// `keytool -list` of a scratch truststore.
fn keytool_list(env: &Env, store: &str) -> String {
    tool_ok(
        env.path(),
        "keytool",
        &["-list", "-keystore", store, "-storepass", "changeit"],
    )
}

#[test]
fn trust_install_java_lets_a_java_client_fetch_from_serve_and_uninstall_takes_it_out() {
    let env = Env::new();
    let store = "truststore.p12";
    let args = ["--java-only", "--java-truststore", store];
    let out = env.ok(&[&["trust", "install"][..], &args].concat());
    assert!(
        out.contains("Installed the local CA in the Java truststore"),
        "{out}"
    );
    let fingerprint = tool_ok(
        env.path(),
        "openssl",
        &[
            "x509",
            "-noout",
            "-fingerprint",
            "-sha256",
            "-in",
            env.ca().to_str().unwrap(),
        ],
    );
    let fingerprint = fingerprint.trim().rsplit('=').next().unwrap().to_string();
    let listed = keytool_list(&env, store);
    assert!(listed.contains("trustedCertEntry"), "{listed}");
    assert!(listed.contains(&fingerprint), "{listed}");
    let ledger = std::fs::read_to_string(env.data().join("trusted.json")).unwrap();
    assert!(
        ledger.contains(&format!("java:{}", env.file(store).display())),
        "{ledger}"
    );

    let served = Served::start(&env, &[]);
    let url = format!("https://127.0.0.1:{}/", served.port);
    let without = java_fetch(&env, None, &url);
    assert!(
        !without.status.success(),
        "Java trusted the local CA by default"
    );
    let with = java_fetch(&env, Some(store), &url);
    assert!(
        with.status.success(),
        "{}",
        String::from_utf8_lossy(&with.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&with.stdout), PAGE);

    let out = env.ok(&[&["trust", "uninstall"][..], &args].concat());
    assert!(
        out.contains("Removed the local CA from the Java truststore"),
        "{out}"
    );
    let listed = keytool_list(&env, store);
    assert!(!listed.contains(&fingerprint), "{listed}");
    assert!(
        !env.data().join("trusted.json").exists() || {
            let ledger = std::fs::read_to_string(env.data().join("trusted.json")).unwrap();
            !ledger.contains("java:")
        }
    );
}

#[test]
fn a_wrong_java_storepass_is_one_line_naming_the_flag_and_changes_nothing() {
    let env = Env::new();
    let store = "truststore.p12";
    env.ok(&[
        "trust",
        "install",
        "--java-only",
        "--java-truststore",
        store,
    ]);
    let before = std::fs::read(env.file(store)).unwrap();
    let err = env.fails(&[
        "trust",
        "uninstall",
        "--java-only",
        "--java-truststore",
        store,
        "--java-storepass",
        "wrong",
    ]);
    assert!(err.contains("--java-storepass"), "{err}");
    assert_eq!(std::fs::read(env.file(store)).unwrap(), before);
}
