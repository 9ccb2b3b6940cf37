//! What every command prints: a reader that leaves early (`| head -1`) ends the output quietly,
//! as with coreutils, and with `--json` errors are one JSON object on stderr.

mod cli_support;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use cli_support::Env;

/// A bundle big enough (about 300 KB of text) to fill any pipe buffer.
fn big_bundle(env: &Env) -> String {
    env.ok(&["ca", "create", "-q"]);
    env.ok(&[
        "new",
        "a.test",
        "-q",
        "--cert-file",
        "a.pem",
        "--key-file",
        "a-key.pem",
    ]);
    let one = std::fs::read_to_string(env.file("a.pem")).unwrap();
    std::fs::write(env.file("bundle.pem"), one.repeat(400)).unwrap();
    "bundle.pem".into()
}

fn assert_quiet_exit(args: &[&str], out: std::process::Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    // `csr --out -` reports on stderr by design; nothing may be about the pipe.
    let about_pipe = ["panicked", "Broken pipe", "broken pipe", "selfsign:"];
    assert!(
        out.status.success() && !about_pipe.iter().any(|w| stderr.contains(w)),
        "selfsign {args:?} into a closed pipe: {} {stderr}",
        out.status
    );
}

#[test]
fn output_into_a_pipe_closed_before_the_first_write_ends_quietly() {
    let env = Env::new();
    let bundle = big_bundle(&env);
    for args in [
        &["inspect", bundle.as_str()][..],
        &["--json", "inspect", bundle.as_str()],
        &["ca", "show"],
        &["ca", "path"],
        &["completions", "bash"],
        &["new", "b.test", "--force"],
        &["csr", "c.test", "--new-key", "--out", "-", "--force"],
    ] {
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let out = env.cmd(args).stdout(writer).output().expect("run");
        assert_quiet_exit(args, out);
    }
}

#[test]
fn a_reader_that_stops_after_one_line_ends_a_big_output_quietly() {
    let env = Env::new();
    let bundle = big_bundle(&env);
    for args in [&["inspect", bundle.as_str()][..], &["completions", "bash"]] {
        let mut child = env
            .cmd(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .expect("read a line");
        assert!(!first.is_empty());
        // The reader is gone now, like `head -1`'s.
        assert_quiet_exit(args, child.wait_with_output().expect("wait"));
    }
}

#[test]
fn output_that_cannot_be_written_for_another_reason_is_an_error() {
    let env = Env::new();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = env.cmd(&["ca", "path"]).stdout(full).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("standard output") && stderr.contains("No space"),
        "{stderr}"
    );
}

/// Runs selfsign with `--json` expecting failure; returns the exit code and the one JSON error.
fn json_error(env: &Env, args: &[&str]) -> (Option<i32>, serde_json::Value) {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = env.run(&all);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "one line expected: {stderr}");
    let value: serde_json::Value =
        serde_json::from_str(&stderr).unwrap_or_else(|e| panic!("not JSON ({e}): {stderr}"));
    assert!(
        value["error"].as_str().is_some_and(|s| !s.is_empty()),
        "{value}"
    );
    assert!(out.stdout.is_empty(), "nothing on stdout");
    (out.status.code(), value)
}

#[test]
fn with_json_errors_are_a_json_object_on_stderr_with_the_same_exit_code() {
    let env = Env::new();
    let (code, v) = json_error(&env, &["new", "bad name"]);
    assert_eq!(
        (code, v["kind"].as_str()),
        (Some(1), Some("invalid")),
        "{v}"
    );
    let (code, v) = json_error(&env, &["ca", "show"]);
    assert_eq!((code, v["kind"].as_str()), (Some(1), Some("no_ca")), "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("selfsign ca create"),
        "{v}"
    );
    env.ok(&["new", "a.test", "-q"]);
    let (code, v) = json_error(&env, &["new", "a.test"]);
    assert_eq!((code, v["kind"].as_str()), (Some(1), Some("exists")), "{v}");
    let (code, v) = json_error(&env, &["inspect", "missing.pem"]);
    assert_eq!((code, v["kind"].as_str()), (Some(1), Some("io")), "{v}");
    // What clap refuses keeps its exit code 2.
    let (code, v) = json_error(&env, &["new", "--no-such-flag", "a.test"]);
    assert_eq!((code, v["kind"].as_str()), (Some(2), Some("usage")), "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("--no-such-flag"),
        "{v}"
    );
    // Without --json the same failure stays one plain line.
    assert!(env
        .fails(&["ca", "show", "--intermediate"])
        .starts_with("selfsign: "));
}
