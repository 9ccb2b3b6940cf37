//! Standard output and error for every command. A reader that goes away early (`| head -1`)
//! ends the output quietly, like coreutils, instead of a panic or an error; any other failure to
//! write standard output (a full disk) is reported once, at exit.

use std::fmt;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use crate::{Error, Global};

/// Set once standard output cannot take more: later output is dropped.
static STDOUT_GONE: AtomicBool = AtomicBool::new(false);
/// The first write error other than a closed pipe.
static STDOUT_FAILURE: OnceLock<(Option<i32>, io::ErrorKind)> = OnceLock::new();

/// Writes `bytes` to standard output (the `out!` macro and PEM output use this).
pub fn write(bytes: &[u8]) {
    if STDOUT_GONE.load(Ordering::Relaxed) {
        return;
    }
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_all(bytes).and_then(|()| out.flush()) {
        STDOUT_GONE.store(true, Ordering::Relaxed);
        if e.kind() != io::ErrorKind::BrokenPipe {
            let _ = STDOUT_FAILURE.set((e.raw_os_error(), e.kind()));
        }
    }
}

/// Writes one formatted line to standard output.
pub fn line(args: fmt::Arguments<'_>) {
    write(format!("{args}\n").as_bytes());
}

/// Writes one formatted line to standard error, ignoring a closed stderr.
pub fn err_line(args: fmt::Arguments<'_>) {
    let _ = writeln!(io::stderr().lock(), "{args}");
}

/// Writes text to standard error as it is, ignoring a closed stderr.
pub fn err_text(text: &str) {
    let _ = io::stderr().lock().write_all(text.as_bytes());
}

/// Warns on stderr (`selfsign: warning: ...`, or `{"warning": ...}` with `--json`), unless
/// `--quiet`.
pub fn warn(global: &Global, message: &str) {
    if global.quiet {
        return;
    }
    if global.json {
        err_line(format_args!(
            "{}",
            serde_json::json!({ "warning": message })
        ));
    } else {
        err_line(format_args!("selfsign: warning: {message}"));
    }
}

/// The outcome of the run's output: an error when standard output failed for a reason other
/// than its reader leaving.
pub fn finish() -> Result<(), Error> {
    match STDOUT_FAILURE.get() {
        Some(&(code, kind)) => {
            let e = code.map_or_else(|| io::Error::from(kind), io::Error::from_raw_os_error);
            Err(Error::io("(standard output)", e))
        }
        None => Ok(()),
    }
}
