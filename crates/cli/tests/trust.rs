//! `selfsign trust`: the local CA goes into an NSS database (as NSS's own `certutil` sees it) and
//! comes out again, idempotently, without touching the system store when told not to.

mod cli_support;

use std::path::Path;
use std::process::Output;

use cli_support::{tool, tool_ok, Env};

/// `selfsign trust ACTION --nss-db DIR --no-system`, with HOME inside the scratch directory so the
/// user's own databases are never touched.
fn trust(env: &Env, args: &[&str]) -> Output {
    let db = env.file("nssdb");
    let mut all = vec!["trust"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--nss-db", db.to_str().unwrap(), "--no-system"]);
    env.cmd(&all)
        .env("HOME", env.path())
        .output()
        .expect("run selfsign")
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The nicknames `certutil -L` lists in the database.
fn listed(db: &Path) -> Vec<String> {
    let spec = format!("sql:{}", db.display());
    tool_ok(db.parent().unwrap(), "certutil", &["-L", "-d", &spec])
        .lines()
        .skip(3)
        .filter_map(|l| l.trim_end().rsplit_once("  "))
        .map(|(nick, _trust)| nick.trim().to_string())
        .collect()
}

/// The nickname our CA got, from `status --json`.
fn nickname(env: &Env) -> String {
    let out = ok(trust(env, &["status", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["ca"]["nickname"].as_str().unwrap().to_string()
}

fn present_in_status(env: &Env) -> bool {
    let out = ok(trust(env, &["--json", "status"]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let stores = v["stores"].as_array().unwrap();
    assert_eq!(stores.len(), 1, "only the given database: {v}");
    assert_eq!(stores[0]["store"], "nss");
    stores[0]["present"].as_bool().unwrap()
}

#[test]
fn install_puts_the_local_ca_in_the_given_nss_database_and_uninstall_takes_it_out() {
    let env = Env::new();
    let db = env.file("nssdb");
    let out = ok(trust(&env, &["install"]));
    assert!(out.contains("Installed the local CA"), "{out}");
    assert!(db.join("cert9.db").exists(), "the database was created");

    let nick = nickname(&env);
    assert!(
        listed(&db).contains(&nick),
        "{:?} lacks {nick}",
        listed(&db)
    );
    // The certificate certutil holds under that nickname is the CA file's, trusted for TLS.
    let spec = format!("sql:{}", db.display());
    let held = tool_ok(
        env.path(),
        "certutil",
        &["-L", "-d", &spec, "-n", &nick, "-a"],
    );
    let ca_pem = std::fs::read_to_string(env.ca()).unwrap();
    assert_eq!(
        held.split_whitespace().collect::<String>(),
        ca_pem.split_whitespace().collect::<String>()
    );
    let trust_flags = tool_ok(env.path(), "certutil", &["-L", "-d", &spec]);
    assert!(
        trust_flags
            .lines()
            .any(|l| l.starts_with(&nick) && l.contains("C,,")),
        "{trust_flags}"
    );
    assert!(present_in_status(&env));

    let out = ok(trust(&env, &["uninstall"]));
    assert!(out.contains("Removed the local CA"), "{out}");
    assert!(!listed(&db).contains(&nick), "{:?}", listed(&db));
    let gone = tool(env.path(), "certutil", &["-L", "-d", &spec, "-n", &nick]);
    assert!(!gone.status.success(), "certutil still finds {nick}");
    assert!(!present_in_status(&env));
}

#[test]
fn installing_twice_keeps_one_entry_and_uninstalling_twice_is_harmless() {
    let env = Env::new();
    let db = env.file("nssdb");
    ok(trust(&env, &["install"]));
    let out = ok(trust(&env, &["install"]));
    assert!(out.contains("Already installed"), "{out}");
    let ours: Vec<String> = listed(&db)
        .into_iter()
        .filter(|n| n.starts_with("selfsign CA"))
        .collect();
    assert_eq!(ours.len(), 1, "{ours:?}");

    ok(trust(&env, &["uninstall"]));
    let out = ok(trust(&env, &["uninstall"]));
    assert!(out.contains("nothing to remove"), "{out}");
}

#[test]
fn two_local_cas_coexist_in_one_database_under_their_fingerprints() {
    let first = Env::new();
    let second = Env::new();
    let db = first.file("nssdb");
    let spec = db.to_str().unwrap();
    let install = |env: &Env, action: &str| {
        ok(env
            .cmd(&["trust", action, "--nss-db", spec, "--no-system"])
            .env("HOME", env.path())
            .output()
            .unwrap())
    };
    install(&first, "install");
    install(&second, "install");
    let nicks: Vec<String> = listed(&db)
        .into_iter()
        .filter(|n| n.starts_with("selfsign CA"))
        .collect();
    assert_eq!(nicks.len(), 2, "{nicks:?}");

    install(&first, "uninstall");
    let left: Vec<String> = listed(&db)
        .into_iter()
        .filter(|n| n.starts_with("selfsign CA"))
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
}

#[test]
fn status_without_a_local_ca_asks_to_create_one() {
    let env = Env::new();
    let out = trust(&env, &["status"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("no local CA") && err.contains("selfsign ca create"),
        "{err}"
    );
}

#[test]
fn missing_certutil_names_the_package_to_install() {
    let env = Env::new();
    let empty = env.file("empty-path");
    std::fs::create_dir(&empty).unwrap();
    let out = env
        .cmd(&["trust", "install", "--nss-db", "db", "--no-system"])
        .env("HOME", env.path())
        .env("PATH", &empty)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("certutil") && err.contains("libnss3-tools"),
        "{err}"
    );
    assert!(
        !env.data().exists(),
        "no CA is made for an install that cannot happen"
    );
}

#[test]
fn system_only_and_a_given_nss_database_conflict() {
    let env = Env::new();
    let out = env.run(&["trust", "install", "--system-only", "--nss-db", "db"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

#[test]
fn a_replaced_ca_is_reported_still_trusted_and_uninstall_takes_it_out_too() {
    let env = Env::new();
    let other = Env::new();
    let db = env.file("nssdb");
    ok(trust(&env, &["install"]));
    let old = nickname(&env);
    // Another data directory's CA in the same database must survive our uninstall.
    ok(other
        .cmd(&[
            "trust",
            "install",
            "--nss-db",
            db.to_str().unwrap(),
            "--no-system",
        ])
        .env("HOME", other.path())
        .output()
        .unwrap());
    let theirs = nickname_in(&other, &db);

    let out = env.run(&["ca", "create", "--force"]);
    assert!(out.status.success(), "{out:?}");
    let warning = String::from_utf8_lossy(&out.stderr);
    assert!(
        warning.contains("still trusted")
            && warning.contains(db.to_str().unwrap())
            && warning.contains("selfsign trust uninstall"),
        "{warning}"
    );
    ok(trust(&env, &["install"]));
    let new = nickname(&env);
    assert_ne!(old, new);
    assert!(listed(&db).contains(&old) && listed(&db).contains(&new));

    let out = ok(trust(&env, &["uninstall"]));
    assert!(out.contains("Earlier local CA"), "{out}");
    let left = listed(&db);
    assert!(!left.contains(&old) && !left.contains(&new), "{left:?}");
    assert!(left.contains(&theirs), "{left:?}");
    // Nothing is left to warn about.
    let out = env.run(&["ca", "create", "--force"]);
    assert!(out.status.success() && out.stderr.is_empty(), "{out:?}");
}

/// The nickname `other`'s CA got in `db`.
fn nickname_in(other: &Env, db: &Path) -> String {
    let out = other
        .cmd(&[
            "trust",
            "status",
            "--json",
            "--nss-db",
            db.to_str().unwrap(),
            "--no-system",
        ])
        .env("HOME", other.path())
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&ok(out)).unwrap();
    v["ca"]["nickname"].as_str().unwrap().to_string()
}
