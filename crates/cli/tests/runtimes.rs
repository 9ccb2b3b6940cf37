//! Trust in runtimes: `selfsign env` lines make Node, Python (`urllib`, `requests`) and curl
//! trust `selfsign serve` with no other flag, and `trust install --java` makes Java trust it.

mod cli_support;

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
