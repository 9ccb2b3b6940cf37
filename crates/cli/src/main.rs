//! `selfsign`: make development TLS certificates (like mkcert and `openssl req`) and serve TLS.
#![forbid(unsafe_code)]
// All output goes through `output`, which handles a closed pipe (`println!` panics on one).
#![deny(clippy::print_stdout, clippy::print_stderr)]

/// Prints a line to stdout; once the reader has gone (`selfsign inspect x | head`, or a log
/// reader of `selfsign serve` going away) the rest is dropped quietly, as coreutils do.
macro_rules! out {
    () => {
        $crate::output::line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::output::line(format_args!($($arg)*))
    };
}

/// Prints a line to stderr, ignoring a closed stderr.
macro_rules! err {
    ($($arg:tt)*) => {
        $crate::output::err_line(format_args!($($arg)*))
    };
}

mod ca;
mod completions;
mod connect;
mod csr;
mod env;
mod error;
mod files;
mod inspect;
mod memory;
mod new;
mod output;
mod pkcs12;
mod serve;
mod store;
mod trust;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use error::Error;

/// Development TLS certificates in seconds, and a sturdy TLS endpoint to test clients against.
#[derive(Parser, Debug)]
#[command(name = "selfsign", version, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Options every subcommand takes.
#[derive(clap::Args, Debug, Clone)]
pub struct Global {
    /// Where the local CA lives [default: $XDG_DATA_HOME/selfsign or ~/.local/share/selfsign]
    #[arg(long, global = true, env = "SELFSIGN_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print machine-readable JSON instead of text, where it makes sense
    #[arg(long, global = true)]
    pub json: bool,
    /// Print only errors
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more (repeat for debug logs)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Issue a leaf certificate for NAMEs under the local CA (created on first use)
    New(new::NewArgs),
    /// Make a self-signed leaf certificate for NAMEs, with no CA
    SelfSigned(new::SelfSignedArgs),
    /// Create, show or locate the local CA
    #[command(subcommand)]
    Ca(ca::CaCommand),
    /// Make a certificate signing request for NAMEs
    Csr(csr::CsrArgs),
    /// Issue a certificate from a CSR under the local CA, applying selfsign's profile
    Sign(csr::SignArgs),
    /// Decode certificates for people (or --json for programs)
    Inspect(inspect::InspectArgs),
    /// Install the local CA into (or remove it from) the NSS and system trust stores
    #[command(subcommand)]
    Trust(trust::TrustCommand),
    /// Bundle a certificate, its key and chain as PKCS#12 for Java, Windows and macOS
    Pkcs12(pkcs12::Pkcs12Args),
    /// Serve HTTPS (static files) or a TLS echo on a mio + rustls event loop
    Serve(serve::ServeArgs),
    /// Connect to a TLS server, show what was negotiated and why verification failed, then relay
    Connect(connect::ConnectArgs),
    /// Print the environment variables that make Node, Python, curl, git and Deno trust the local CA
    Env(env::EnvArgs),
    /// Print shell completions
    Completions(completions::CompletionsArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    init_logging(&cli.global);
    let result = match cli.command {
        Command::New(args) => new::run_new(&args, &cli.global),
        Command::SelfSigned(args) => new::run_self_signed(&args, &cli.global),
        Command::Ca(cmd) => ca::run(&cmd, &cli.global),
        Command::Csr(args) => csr::run_csr(&args, &cli.global),
        Command::Sign(args) => csr::run_sign(&args, &cli.global),
        Command::Inspect(args) => inspect::run(&args, &cli.global),
        Command::Trust(cmd) => trust::run(&cmd, &cli.global),
        Command::Pkcs12(args) => pkcs12::run(&args, &cli.global),
        Command::Serve(args) => serve::run(&args, &cli.global),
        Command::Connect(args) => connect::run(&args, &cli.global),
        Command::Env(args) => env::run(&args, &cli.global),
        Command::Completions(args) => completions::run::<Cli>(&args),
    };
    match result.and_then(|()| output::finish()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if cli.global.json => {
            err!("{}", json_error(&e.to_string(), e.kind()));
            ExitCode::FAILURE
        }
        Err(e) => {
            err!("selfsign: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `{"error": MESSAGE, "kind": KIND}`: how errors look on stderr with `--json`.
fn json_error(message: &str, kind: &str) -> serde_json::Value {
    serde_json::json!({ "error": message, "kind": kind })
}

/// Reports a command line clap rejects (exit 2), as JSON when `--json` was asked for; `--help`
/// and `--version` print as usual.
fn usage_error(e: &clap::Error) -> ExitCode {
    let json = std::env::args_os()
        .take_while(|a| a != "--")
        .any(|a| a == "--json");
    if !json || !e.use_stderr() {
        e.exit();
    }
    let rendered = e.render().to_string();
    let message = rendered
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ");
    err!("{}", json_error(message, "usage"));
    ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
}

fn init_logging(global: &Global) {
    let level = match (global.quiet, global.verbose) {
        (true, _) => "error",
        (false, 0) => "info",
        (false, 1) => "debug",
        (false, _) => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("SELFSIGN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
}
