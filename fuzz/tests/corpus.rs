//! Replays every committed corpus file through its target on stable: the fuzz targets' regression
//! suite, run by `make test`. A panic here is a crash libFuzzer found (or would find).

use std::fs;
use std::path::Path;

use selfsign_fuzz::TARGETS;

fn replay(name: &str) {
    let target = TARGETS
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no target {name}"));
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(name);
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("readable corpus entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} has no seed inputs", dir.display());
    let mut accepted = 0;
    for file in &files {
        let data = fs::read(file).expect("readable corpus file");
        eprintln!("{name}: {}", file.display());
        accepted += usize::from((target.run)(&data));
    }
    eprintln!("{name}: {accepted} of {} inputs accepted", files.len());
    assert!(
        accepted > 0,
        "no seed in {} reaches past parsing; add a valid one",
        dir.display()
    );
}

#[test]
fn every_target_has_a_corpus_test() {
    let here = include_str!("corpus.rs");
    for t in TARGETS {
        assert!(
            here.contains(&format!("fn {}_corpus_", t.name)),
            "{}",
            t.name
        );
    }
}

#[test]
fn inspect_corpus_never_panics() {
    replay("inspect");
}

#[test]
fn names_corpus_never_panics() {
    replay("names");
}

#[test]
fn csr_corpus_never_panics() {
    replay("csr");
}

#[test]
fn ca_import_corpus_never_panics() {
    replay("ca_import");
}

#[test]
fn http_corpus_never_panics() {
    replay("http");
}

#[test]
fn tls_corpus_never_panics() {
    replay("tls");
}

#[test]
fn acme_corpus_never_panics() {
    replay("acme");
}

#[test]
fn upstream_corpus_never_panics() {
    replay("upstream");
}

#[test]
fn proxy_request_corpus_never_panics() {
    replay("proxy_request");
}

#[test]
fn sni_corpus_never_panics() {
    replay("sni");
}
