//! The data directory holds the CA key: commands refuse bad input before touching it, keep it
//! private, and say plainly when its path is not a directory.

mod cli_support;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use cli_support::{mode, Env};

#[test]
fn commands_that_fail_validation_leave_the_data_directory_untouched() {
    let env = Env::new();
    env.ok(&["csr", "a.test", "--new-key", "--out", "a.csr"]);
    assert!(!env.data().exists(), "csr needs no data directory");
    let refused: &[&[&str]] = &[
        &["new", "bad name"],
        &["new", "localhost", "--days", "0"],
        &["new", "localhost", "--days", "99999999"],
        &["new", "--client", "localhost", "not..valid"],
        &["ca", "create", "--days", "0"],
        &["ca", "create", "--name-constraints", ""],
        &["ca", "create", "--name-constraints", "a.test,,b.test"],
        &["ca", "create", "--intermediate", "--days", "0"],
        &["sign", "a.csr", "--days", "0"],
    ];
    for args in refused {
        env.fails(args);
        assert!(
            !env.data().exists(),
            "selfsign {args:?} created the data directory"
        );
    }
}

#[test]
fn a_data_directory_writable_by_others_is_made_private_with_a_warning() {
    let env = Env::new();
    fs::create_dir(env.data()).unwrap();
    fs::set_permissions(env.data(), fs::Permissions::from_mode(0o777)).unwrap();
    let out = env.run(&["ca", "create"]);
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("writable by other users") && stderr.contains("0700"),
        "{stderr}"
    );
    assert_eq!(mode(&env.data()), 0o700);
    // Group-writable too, on any command that opens it.
    fs::set_permissions(env.data(), fs::Permissions::from_mode(0o770)).unwrap();
    env.ok(&["ca", "path"]);
    assert_eq!(mode(&env.data()), 0o700);
}

#[test]
fn a_data_directory_path_that_is_a_file_is_named_as_such() {
    let env = Env::new();
    fs::write(env.data(), "not a directory").unwrap();
    for args in [
        &["ca", "create"][..],
        &["new", "localhost"],
        &["ca", "path"],
    ] {
        let err = env.fails(args);
        assert!(
            err.contains("data directory") && err.contains("is a file"),
            "{args:?}: {err}"
        );
    }
}
