#!/usr/bin/env python3
"""Issuance through ACME: `selfsign serve --acme` against Pebble, both driven by lego.

Usage: bench/acme.py [--bin PATH] [--certs N] [--rounds R]
Each round starts both servers fresh, lets lego register an account on each (not counted), then
has lego obtain N certificates one after another from each, for a new name every time: new order
to certificate (lego's `run` with the saved account). Our side approves the names by pattern
(`--acme-trust-names '*.bench.localhost'`); Pebble validates nothing (PEBBLE_VA_ALWAYS_VALID=1,
PEBBLE_VA_NOSLEEP=1) and rejects no nonces (PEBBLE_WFE_NONCEREJECT=0). Servers run on CPU 0,
lego on CPU 1. Figures per certificate: server CPU (utime+stime from /proc/PID/stat over the N
certificates, /N) and lego's wall time (median). Median of R rounds, then ours/Pebble.
Pebble is the Debian package; it signs with the RSA-2048 CA it generates at start. Ours runs
twice: with a P-256 local CA (the default) and with an RSA-2048 one (`ca create --key rsa2048`),
so the signing key is like for like in one of the two. Loopback only, bounded loops, every child
killed on exit.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")
NPROC = os.cpu_count() or 1
SERVER_CPU, CLIENT_CPU = ("0", "1") if NPROC >= 2 else (None, None)


def say(msg):
    print(f"bench-acme: {msg}", file=sys.stderr, flush=True)


def pinned(cpu, cmd):
    return (["taskset", "-c", cpu] if cpu is not None else []) + cmd


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def wait_directory(url, ca, proc, seconds=30):
    ctx = ssl.create_default_context(cafile=str(ca))
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, context=ctx, timeout=2) as r:
                json.load(r)
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} never answered")


class Server:
    """One ACME server process in its own process group."""

    def __init__(self, name, cmd, directory, ca, workdir, env=None):
        self.name, self.directory, self.ca = name, directory, ca
        self.log = open(workdir / f"{name}.log", "wb")
        self.proc = subprocess.Popen(pinned(SERVER_CPU, cmd), stdout=self.log,
                                     stderr=subprocess.STDOUT, env=env, cwd=workdir,
                                     start_new_session=True)
        wait_directory(directory, ca, self.proc)

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def lego(server, path, domain):
    """One `lego run`; returns its wall time in seconds."""
    env = dict(os.environ, LEGO_CA_CERTIFICATES=str(server.ca), HOME=str(path))
    cmd = pinned(CLIENT_CPU, [
        "lego", "--server", server.directory, "--email", "bench@example.test", "--accept-tos",
        "--path", str(path), "--domains", domain, "--http",
        "--http.port", f"127.0.0.1:{free_port()}", "run",
    ])
    start = time.monotonic()
    out = subprocess.run(cmd, env=env, capture_output=True, timeout=120)
    took = time.monotonic() - start
    if out.returncode != 0:
        raise RuntimeError(f"lego against {server.name} failed:\n{out.stderr.decode()[-2000:]}")
    return took


def measure(server, workdir, certs, tag):
    """Registers lego's account (not counted), then N certificates: CPU and wall per cert."""
    path = workdir / f"lego-{server.name}-{tag}"
    lego(server, path, f"warmup-{tag}.bench.localhost")
    before = cpu_seconds(server.proc.pid)
    walls = [lego(server, path, f"c{i}-{tag}.bench.localhost") for i in range(certs)]
    used = cpu_seconds(server.proc.pid) - before
    return used / certs, statistics.median(walls)


def start_selfsign(binary, workdir, tag, key="p256"):
    data = workdir / f"data-{key}-{tag}"
    port = free_port()
    www = workdir / "www"
    www.mkdir(exist_ok=True)
    (www / "index.html").write_text("bench\n")
    cmd = [str(binary), "--data-dir", str(data), "--quiet", "serve", "--listen",
           f"127.0.0.1:{port}", "--root", str(www), "--acme",
           "--acme-trust-names", "*.bench.localhost"]
    proc_ca = data / "rootCA.pem"
    directory = f"https://localhost:{port}/acme/directory"
    subprocess.run([str(binary), "--data-dir", str(data), "--quiet", "ca", "create", "--key", key],
                   check=True)
    name = "selfsign" if key == "p256" else f"selfsign-{key}"
    return Server(name, cmd, directory, proc_ca, workdir)


def start_pebble(binary, workdir, tag, key=None):
    certs = workdir / f"pebble-tls-{tag}"
    subprocess.run([str(binary), "--data-dir", str(certs), "--quiet", "new", "--out-dir",
                    str(certs), "localhost"], check=True)
    port = free_port()
    config = {"pebble": {
        "listenAddress": f"127.0.0.1:{port}",
        "managementListenAddress": f"127.0.0.1:{free_port()}",
        "certificate": str(certs / "localhost.pem"),
        "privateKey": str(certs / "localhost-key.pem"),
        "httpPort": free_port(), "tlsPort": free_port(),
        "ocspResponderURL": "", "externalAccountBindingRequired": False,
    }}
    conf = workdir / f"pebble-{tag}.json"
    conf.write_text(json.dumps(config))
    env = dict(os.environ, PEBBLE_VA_ALWAYS_VALID="1", PEBBLE_VA_NOSLEEP="1",
               PEBBLE_WFE_NONCEREJECT="0")
    return Server("pebble", ["pebble", "-config", str(conf)],
                  f"https://localhost:{port}/dir", certs / "rootCA.pem", workdir, env)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/selfsign")
    ap.add_argument("--certs", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    binary = Path(args.bin).resolve()
    for tool in ("lego", "pebble"):
        if shutil.which(tool) is None:
            sys.exit(f"bench-acme: {tool} is missing: run scripts/bootstrap --bench")
    names = ("selfsign", "selfsign-rsa2048", "pebble")
    results = {name: [] for name in names}
    with tempfile.TemporaryDirectory(prefix="bench-acme-") as tmp:
        workdir = Path(tmp)
        for r in range(args.rounds):
            order = names if r % 2 == 0 else tuple(reversed(names))
            for name in order:
                if name == "pebble":
                    server = start_pebble(binary, workdir, f"r{r}")
                else:
                    key = "rsa2048" if name.endswith("rsa2048") else "p256"
                    server = start_selfsign(binary, workdir, f"r{r}", key)
                try:
                    cpu, wall = measure(server, workdir, args.certs, f"r{r}")
                finally:
                    server.stop()
                results[name].append((cpu, wall))
                say(f"round {r + 1}: {name}: {cpu * 1000:.2f} ms server CPU, "
                    f"{wall * 1000:.0f} ms lego wall per certificate")
    med = {k: (statistics.median(c for c, _ in v), statistics.median(w for _, w in v))
           for k, v in results.items()}
    pebble_cpu, pebble_wall = med["pebble"]
    print("| server | CA key | server CPU per certificate | ratio to Pebble | lego wall per certificate | ratio to Pebble |")
    print("|---|---|---|---|---|---|")
    for name, key in (("selfsign", "P-256"), ("selfsign-rsa2048", "RSA 2048"), ("pebble", "RSA 2048")):
        cpu, wall = med[name]
        print(f"| {name} | {key} | {cpu * 1000:.2f} ms | {cpu / pebble_cpu:.2f} | "
              f"{wall * 1000:.0f} ms | {wall / pebble_wall:.2f} |")


if __name__ == "__main__":
    main()
