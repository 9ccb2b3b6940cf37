#!/usr/bin/env python3
"""Whole-process time of the selfsign CLI against openssl and mkcert making the same certificate.

Usage: bench/cli.py [--runs N] [--bin PATH]
  pairs: `selfsign self-signed localhost`  vs `openssl req -x509 -newkey ec (P-256) ... -days 397`
         `selfsign new localhost`          vs `mkcert -ecdsa localhost` (both with an existing CA)
Every command writes a fresh key and certificate into a temporary directory. Runs are interleaved
(one of each command per round, the order rotating) so machine noise hits all commands alike; the
table shows the median and the 10th-90th percentile of the N runs, and the ratio of medians.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def percentile(xs, p):
    xs = sorted(xs)
    k = (len(xs) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def run(cmd, cwd, env):
    """Runs cmd to completion; returns (wall s, CPU s user+system, voluntary context switches)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode().strip()
    proc.stderr.close()
    if proc.returncode != 0:
        sys.exit(f"bench-cli: {' '.join(cmd)} failed ({proc.returncode}): {err}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_nvcsw


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "60")))
    default_bin = Path(os.environ.get("CARGO_TARGET_DIR", "target")) / "release" / "selfsign"
    ap.add_argument("--bin", default=os.environ.get("SELFSIGN_BIN", str(default_bin)))
    args = ap.parse_args()
    selfsign = str(Path(args.bin).resolve())
    for tool in (selfsign, "openssl", "mkcert"):
        if not shutil.which(tool):
            sys.exit(f"bench-cli: {tool} not found (make build; scripts/bootstrap --bench)")

    tmp = Path(tempfile.mkdtemp(prefix="selfsign-bench-cli-"))
    try:
        out = tmp / "out"
        out.mkdir()
        env = dict(os.environ)
        env["SELFSIGN_DATA_DIR"] = str(tmp / "selfsign-ca")
        env["CAROOT"] = str(tmp / "mkcert-ca")
        env.pop("SELFSIGN_LOG", None)
        # Make both CAs once, outside the timing (mkcert creates its CA on first use; no -install:
        # nothing is added to any trust store).
        run([selfsign, "-q", "ca", "create"], out, env)
        run(["mkcert", "-ecdsa", "localhost"], out, env)

        commands = {
            "selfsign self-signed": [selfsign, "-q", "self-signed", "localhost", "--out-dir", str(out), "--force"],
            "openssl req -x509": [
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                "-days", "397", "-keyout", str(out / "o-key.pem"), "-out", str(out / "o.pem"),
            ],
            "selfsign new": [selfsign, "-q", "new", "localhost", "--out-dir", str(out), "--force"],
            "mkcert -ecdsa": ["mkcert", "-ecdsa", "localhost"],
            "/bin/true (process floor)": ["/bin/true"],
        }
        names = list(commands)
        wall = {n: [] for n in names}
        cpu = {n: [] for n in names}
        sleeps = {n: [] for n in names}
        for n in names:  # one untimed warm-up each (page cache, CA files)
            run(commands[n], out, env)
        for i in range(args.runs):
            order = names[i % len(names):] + names[: i % len(names)]
            for n in order:
                w, c, v = run(commands[n], out, env)
                wall[n].append(w)
                cpu[n].append(c)
                sleeps[n].append(v)

        med = {n: statistics.median(t) * 1e3 for n, t in wall.items()}
        cmed = {n: statistics.median(t) * 1e3 for n, t in cpu.items()}
        print(f"bench-cli: {args.runs} interleaved runs each; wall = whole-process elapsed time,")
        print("cpu = the process's user+system time (from wait4), both in ms; sleeps = voluntary")
        print("context switches (waits for the disk, e.g. fsync), after each of which a loaded machine")
        print("may make the process queue for a CPU again\n")
        print(f"| {'command':<26} | wall median | wall p10-p90 | cpu median | sleeps |")
        print(f"|{'-' * 28}|-------------|--------------|------------|--------|")
        for n in names:
            t = wall[n]
            spread = f"{percentile(t, 0.1) * 1e3:.1f}-{percentile(t, 0.9) * 1e3:.1f}"
            print(f"| {n:<26} | {med[n]:11.1f} | {spread:<12} | {cmed[n]:10.1f} | {statistics.median(sleeps[n]):6.0f} |")
        print()
        print(f"| {'ratio of medians':<44} | wall | cpu  |")
        print(f"|{'-' * 46}|------|------|")
        for ours, peer in (("selfsign self-signed", "openssl req -x509"), ("selfsign new", "mkcert -ecdsa")):
            label = ours + " / " + peer
            print(f"| {label:<44} | {med[ours] / med[peer]:4.2f} | {cmed[ours] / cmed[peer]:4.2f} |")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
