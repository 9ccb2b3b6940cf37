//! The command line as a whole: help on every subcommand, completions, exit codes.

mod cli_support;

use cli_support::Env;

/// Subcommand names listed under "Commands:" in a help text (without `help`).
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        // Wrapped descriptions are indented further than command names.
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect()
}

#[test]
fn help_works_for_every_subcommand_at_every_level() {
    let env = Env::new();
    let mut queue: Vec<Vec<String>> = vec![vec![]];
    let mut seen = 0;
    while let Some(path) = queue.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let out = env.run(&args);
        assert!(out.status.success(), "{args:?} --help failed: {out:?}");
        let help = String::from_utf8(out.stdout).unwrap();
        assert!(help.contains("Usage:"), "{args:?}: {help}");
        seen += 1;
        for sub in subcommands(&help) {
            let mut next = path.clone();
            next.push(sub);
            queue.push(next);
        }
    }
    assert!(seen >= 15, "only {seen} help pages found");
}

#[test]
fn completions_print_a_bash_script() {
    let env = Env::new();
    let out = env.ok(&["completions", "bash"]);
    assert!(
        out.contains("complete -F") && out.contains("selfsign"),
        "{}",
        &out[..200.min(out.len())]
    );
}

#[test]
fn unknown_subcommands_and_flags_are_usage_errors_with_exit_2() {
    let env = Env::new();
    assert_eq!(env.run(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(env.run(&["inspect"]).status.code(), Some(2));
    assert_eq!(env.run(&["serve", "--mode", "ftp"]).status.code(), Some(2));
}

#[test]
fn version_is_printed() {
    let env = Env::new();
    assert!(env.ok(&["--version"]).starts_with("selfsign "));
}
