//! README's command-line block is a script that works: it is extracted exactly as written and run
//! with `bash -e` in an empty directory, so any line that fails fails this test.
//!
//! Safety flags injected (so the run never touches this machine's state):
//! - `SELFSIGN_DATA_DIR` is a scratch data directory, and `HOME` is the scratch directory, so the
//!   default NSS databases (`~/.pki/nssdb`, Firefox profiles) are scratch ones too;
//! - `selfsign` is a shell function that adds `--nss-db <scratch>` and, when missing,
//!   `--no-system` to every `trust` command, so no system store is ever written;
//! - `PORT` is a free loopback port, so `serve` and `connect` do not collide with anything.
//!
//! The script runs in its own process group, which is killed at the end (a `serve` left behind
//! by a failed line cannot outlive the test), and is given at most 120 s.

mod cli_support;

/// The fenced block under "## The command line" in README.md.
fn command_line_block() -> String {
    cli_support::readme_sh_blocks("The command line")
        .into_iter()
        .next()
        .expect("the section has a ```sh block")
}

const PRELUDE: &str = r#"
selfsign() {
    if [ "$1" = trust ]; then
        case " $* " in
            *" --no-system "*) command selfsign "$@" --nss-db "$SCRATCH_NSS_DB" ;;
            *) command selfsign "$@" --nss-db "$SCRATCH_NSS_DB" --no-system ;;
        esac
    else
        command selfsign "$@"
    fi
}
"#;

fn free_port() -> u16 {
    // Both loopback families, as `serve` listens on both by default.
    for _ in 0..20 {
        let v4 = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = v4.local_addr().unwrap().port();
        if std::net::TcpListener::bind(("::1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free loopback port");
}

#[test]
fn readme_command_line_block_runs_top_to_bottom_in_an_empty_directory() {
    let block = command_line_block();
    assert!(block.lines().count() > 10, "{block}");
    assert!(
        !block.contains("&&") && !block.contains("||"),
        "bash -e does not stop at a failure inside && or ||: keep one command per line"
    );
    let scratch = tempfile::tempdir().expect("temp dir");
    let work = scratch.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let script = scratch.path().join("readme.sh");
    std::fs::write(&script, format!("{PRELUDE}\n{block}\n")).unwrap();

    let out = cli_support::run_script(&script, &work, scratch.path(), free_port());
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        out.status.success(),
        "README block failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );
    // It really did the work: the served page came back over verified TLS, the system store was
    // left alone, and every file the block names is there.
    assert!(
        stdout.contains("hello"),
        "connect printed the page: {stdout}"
    );
    for file in [
        "localhost+2.pem",
        "localhost.pem",
        "wt/localhost.pem",
        "via-intermediate/localhost.pem",
        "api.test.pem",
        "localhost+2.p12",
        "selfsign.bash",
    ] {
        assert!(work.join(file).exists(), "{file} missing");
    }
    assert!(scratch.path().join("nssdb").join("cert9.db").exists());
}
