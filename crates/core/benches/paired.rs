//! Paired overhead ratios: each operation in `ops` alternates selfsign-core and its peer in
//! batches of about 2 ms (the order swapping every round), and the ratio is taken per round, so
//! drift hits both sides of each ratio alike. On Linux a batch is timed by its thread's on-CPU
//! time (CLOCK_THREAD_CPUTIME_ID), so time spent preempted by other processes on a shared
//! machine is not counted; elsewhere by wall time. Prints the
//! median ratio with its interquartile range, and writes them to `<target>/criterion/paired.json`
//! for `bench/core-ratios.py`. Arguments other than flags filter by `group/alg` substring, as
//! criterion's do. `PAIRED_SECONDS` sets the time per operation (default 1.5).

#![forbid(unsafe_code)]

mod ops;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const BATCH: Duration = Duration::from_millis(2);
const MIN_ROUNDS: usize = 15;
const MAX_ROUNDS: usize = 2_000;

/// Seconds of this thread's on-CPU time (Linux), or of wall time elsewhere.
#[cfg(target_os = "linux")]
fn clock() -> f64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

#[cfg(not(target_os = "linux"))]
fn clock() -> f64 {
    use std::sync::OnceLock;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64()
}

fn batch(f: &mut dyn FnMut(), n: u32) -> f64 {
    let start = clock();
    for _ in 0..n {
        f();
    }
    clock() - start
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    let k = (sorted.len() - 1) as f64 * q;
    let (lo, hi) = (k.floor() as usize, k.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (k - lo as f64)
}

fn sorted(mut xs: Vec<f64>) -> Vec<f64> {
    xs.sort_by(f64::total_cmp);
    xs
}

fn fmt_time(secs: f64) -> String {
    if secs >= 1e-3 {
        format!("{:.2} ms", secs * 1e3)
    } else {
        format!("{:.1} us", secs * 1e6)
    }
}

struct Row {
    group: &'static str,
    alg: String,
    peer: &'static str,
    ours: f64,
    theirs: f64,
    ratio: f64,
    q1: f64,
    q3: f64,
    rounds: usize,
}

fn measure(op: &mut ops::Op, budget: Duration) -> Row {
    for _ in 0..3 {
        (op.ours)();
        (op.peer)();
    }
    let mut n = 1u32;
    while n < 1 << 16 && batch(&mut op.ours, n) < BATCH.as_secs_f64() {
        n *= 2;
    }
    let (mut ratios, mut ours, mut theirs) = (Vec::new(), Vec::new(), Vec::new());
    let start = Instant::now();
    while ratios.len() < MAX_ROUNDS && (ratios.len() < MIN_ROUNDS || start.elapsed() < budget) {
        let (o, p) = if ratios.len() % 2 == 0 {
            let o = batch(&mut op.ours, n);
            (o, batch(&mut op.peer, n))
        } else {
            let p = batch(&mut op.peer, n);
            (batch(&mut op.ours, n), p)
        };
        ratios.push(o / p);
        ours.push(o / f64::from(n));
        theirs.push(p / f64::from(n));
    }
    let rounds = ratios.len();
    let ratios = sorted(ratios);
    Row {
        group: op.group,
        alg: op.alg.clone(),
        peer: op.peer_name,
        ours: quantile(&sorted(ours), 0.5),
        theirs: quantile(&sorted(theirs), 0.5),
        ratio: quantile(&ratios, 0.5),
        q1: quantile(&ratios, 0.25),
        q3: quantile(&ratios, 0.75),
        rounds,
    }
}

/// `<target>/criterion`, found from this executable's path (`<target>/<profile>/deps/paired-*`).
fn criterion_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.ancestors().nth(3)?.join("criterion"))
}

fn main() {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let seconds: f64 = std::env::var("PAIRED_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.5);
    let budget = Duration::from_secs_f64(seconds);
    let mut rows = Vec::new();
    for mut op in ops::all() {
        let id = format!("{}/{}", op.group, op.alg);
        if !filters.is_empty() && !filters.iter().any(|f| id.contains(f.as_str())) {
            continue;
        }
        let row = measure(&mut op, budget);
        println!(
            "paired {id:<20} selfsign {:>10}  {} {:>10}  ratio {:.3} (IQR {:.3}-{:.3}, {} rounds)",
            fmt_time(row.ours),
            row.peer,
            fmt_time(row.theirs),
            row.ratio,
            row.q1,
            row.q3,
            row.rounds
        );
        rows.push(row);
    }
    let mut json = String::from("[\n");
    for (i, r) in rows.iter().enumerate() {
        let sep = if i + 1 < rows.len() { "," } else { "" };
        let _ = writeln!(
            json,
            "  {{\"group\": \"{}\", \"alg\": \"{}\", \"peer\": \"{}\", \"ours_s\": {:e}, \"peer_s\": {:e}, \
             \"ratio\": {}, \"q1\": {}, \"q3\": {}, \"rounds\": {}}}{sep}",
            r.group, r.alg, r.peer, r.ours, r.theirs, r.ratio, r.q1, r.q3, r.rounds
        );
    }
    json.push_str("]\n");
    if let Some(dir) = criterion_dir() {
        let written = std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(dir.join("paired.json"), &json));
        if let Err(e) = written {
            eprintln!(
                "paired: could not write {}: {e}",
                dir.join("paired.json").display()
            );
        }
    }
}
