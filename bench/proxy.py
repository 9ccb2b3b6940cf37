#!/usr/bin/env python3
"""`selfsign serve --proxy` against nginx `proxy_pass` and Caddy `reverse_proxy` on loopback.

Usage: bench/proxy.py [--bin PATH] [--seconds S] [--rounds R] [--bulk-mib M]
The three proxies get the same P-256 certificate, TLS 1.3, and sit in front of the same upstream
(an nginx serving static files over plain HTTP, keep-alive). Each proxy is pinned to CPU 0; the
clients and the upstream run on CPU 1. nginx proxies with 1 worker, HTTP/1.1 and an upstream
keep-alive pool; Caddy with its defaults (it pools upstream connections itself). Figures:
  - small requests: `wrk -t1 -c16 -dS --latency` on keep-alive connections for a 3-byte file;
    proxy CPU per request from /proc/PID/stat utime+stime before and after (all its threads),
    its voluntary context switches per request (each a wait for work: a faster proxy waits more
    often, and each wait costs more when other processes share its CPU), and wrk's p50/p99. Median of R rounds, the proxies alternating.
  - bulk: one `curl --http1.1` download of an M MiB file through the proxy; MB/s (10^6 bytes).
Loopback only, every loop bounded, every child process killed on exit.
"""
import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server import (CLIENT_CPU, NPROC, SERVER_CPU, Server, cpu_seconds, free_port,  # noqa: E402
                    pinned)

UPSTREAM_CONF = """\
worker_processes 1;
pid {dir}/upstream.pid;
error_log {dir}/upstream-error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {dir}/tmp_body;
  proxy_temp_path {dir}/tmp_proxy;
  fastcgi_temp_path {dir}/tmp_fastcgi;
  uwsgi_temp_path {dir}/tmp_uwsgi;
  scgi_temp_path {dir}/tmp_scgi;
  keepalive_requests 1000000;
  server {{
    listen 127.0.0.1:{port};
    root {dir}/www;
  }}
}}
"""

NGINX_PROXY_CONF = """\
worker_processes 1;
pid {dir}/proxy.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {dir}/tmp_body;
  proxy_temp_path {dir}/tmp_proxy;
  fastcgi_temp_path {dir}/tmp_fastcgi;
  uwsgi_temp_path {dir}/tmp_uwsgi;
  scgi_temp_path {dir}/tmp_scgi;
  keepalive_requests 1000000;
  upstream app {{ server 127.0.0.1:{upstream}; keepalive 32; }}
  server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    ssl_protocols TLSv1.3;
    location / {{
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto https;
      proxy_buffering off;
    }}
  }}
}}
"""

CADDYFILE = """\
{{
  admin off
  auto_https off
  default_sni localhost
}}
https://:{port} {{
  bind 127.0.0.1
  tls {cert} {key} {{
    protocols tls1.3
  }}
  reverse_proxy 127.0.0.1:{upstream}
}}
"""


def say(msg):
    print(f"bench-proxy: {msg}", file=sys.stderr, flush=True)


def all_pids(server):
    """The proxy's processes: for nginx its worker, for the others the process itself."""
    return server.serving_pids()


def sleeps(pids):
    """Voluntary context switches of every thread of `pids`: how often the proxy waited for work."""
    total = 0
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").iterdir():
            for line in (task / "status").read_text().splitlines():
                if line.startswith("voluntary_ctxt_switches:"):
                    total += int(line.split()[1])
    return total


def wrk(server, seconds):
    cmd = pinned(CLIENT_CPU, ["wrk", "-t1", "-c16", f"-d{seconds}s", "--latency", f"{server.url}/small.txt"])
    before, slept = cpu_seconds(all_pids(server)), sleeps(all_pids(server))
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    cpu = cpu_seconds(all_pids(server)) - before
    slept = sleeps(all_pids(server)) - slept
    text = out.stdout
    if out.returncode != 0:
        raise RuntimeError(f"wrk against {server.name} failed:\n{text}{out.stderr}")
    requests = int(re.search(r"(\d+) requests in", text).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", text)
    if errors:
        raise RuntimeError(f"wrk against {server.name}: {errors.group(0)}")

    def ms(label):
        value, unit = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M).groups()
        return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]

    return {"cpu_us": cpu / requests * 1e6, "rps": requests / seconds, "p50": ms("50"), "p99": ms("99"),
            "sleeps": slept / requests}


def bulk(server, size):
    cmd = pinned(CLIENT_CPU, ["curl", "-sk", "--http1.1", "--tlsv1.3", "--max-time", "120",
                              "-o", "/dev/null", "-w", "%{size_download} %{time_total}",
                              f"{server.url}/big.bin"])
    before = cpu_seconds(all_pids(server))
    out = subprocess.run(cmd, capture_output=True, timeout=150)
    cpu = cpu_seconds(all_pids(server)) - before
    if out.returncode != 0:
        raise RuntimeError(f"curl through {server.name} failed ({out.returncode}): {out.stderr.decode()}")
    got, secs = out.stdout.decode().split()
    if int(got) != size:
        raise RuntimeError(f"{server.name} sent {got} bytes of {size}")
    return {"mbps": size / float(secs) / 1e6, "cpu_per_gb": cpu / (size / 1e9)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_bin = Path(os.environ.get("CARGO_TARGET_DIR", "target")) / "release" / "selfsign"
    ap.add_argument("--bin", default=os.environ.get("SELFSIGN_BIN", str(default_bin)))
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", "3")))
    ap.add_argument("--bulk-mib", type=int, default=256)
    args = ap.parse_args()
    selfsign = str(Path(args.bin).resolve())
    for tool in (selfsign, "nginx", "caddy", "wrk", "curl", "taskset"):
        if not shutil.which(tool):
            sys.exit(f"bench-proxy: {tool} not found (make build; scripts/bootstrap --bench)")
    if CLIENT_CPU is not None:
        os.sched_setaffinity(0, {int(CLIENT_CPU)})

    def on_signal(signum, _frame):
        raise SystemExit(f"bench-proxy: stopped by signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    work = Path(tempfile.mkdtemp(prefix="selfsign-bench-proxy-"))
    running = []
    try:
        os.chmod(work, 0o755)
        www = work / "www"
        www.mkdir()
        (www / "small.txt").write_text("ok\n")
        size = args.bulk_mib * 1024 * 1024
        with open(www / "big.bin", "wb") as f:
            f.truncate(size)
        env = dict(os.environ, SELFSIGN_DATA_DIR=str(work / "data"), HOME=str(work),
                   XDG_DATA_HOME=str(work / "xdg"), XDG_CONFIG_HOME=str(work / "xdg"))
        subprocess.run([selfsign, "-q", "self-signed", "localhost", "127.0.0.1", "--out-dir", str(work),
                        "--cert-file", str(work / "cert.pem"), "--key-file", str(work / "key.pem")],
                       check=True, env=env, timeout=30)
        os.chmod(work / "key.pem", 0o644)  # nginx and Caddy workers read it; a throwaway key
        cert, key = work / "cert.pem", work / "key.pem"

        up_port = free_port()
        conf = work / "upstream.conf"
        conf.write_text(UPSTREAM_CONF.format(dir=work, port=up_port))
        upstream = Server("upstream", pinned(CLIENT_CPU, ["nginx", "-p", str(work), "-c", str(conf), "-e",
                                                          str(work / "upstream-error.log"), "-g", "daemon off;"]),
                          up_port, work)
        running.append(upstream)

        port = free_port()
        ours = Server("selfsign serve", pinned(SERVER_CPU, [
            selfsign, "-q", "serve", "--listen", f"127.0.0.1:{port}", "--proxy", f"http://127.0.0.1:{up_port}",
            "--cert", str(cert), "--key", str(key), "--shutdown-grace", "1"]), port, work, env)
        running.append(ours)
        port = free_port()
        conf = work / "proxy.conf"
        conf.write_text(NGINX_PROXY_CONF.format(dir=work, port=port, upstream=up_port, cert=cert, key=key))
        nginx = Server("nginx", pinned(SERVER_CPU, ["nginx", "-p", str(work), "-c", str(conf), "-e",
                                                    str(work / "error.log"), "-g", "daemon off;"]), port, work)
        running.append(nginx)
        port = free_port()
        caddyfile = work / "Caddyfile"
        caddyfile.write_text(CADDYFILE.format(port=port, upstream=up_port, cert=cert, key=key))
        caddy = Server("caddy", pinned(SERVER_CPU, ["caddy", "run", "--config", str(caddyfile),
                                                    "--adapter", "caddyfile"]), port, work, env)
        running.append(caddy)
        proxies = [ours, nginx, caddy]
        versions = [subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip(),
                    "caddy " + subprocess.run(["caddy", "version"], capture_output=True, text=True).stdout.strip()]
        say("; ".join(versions))
        say(f"small requests: {args.rounds} rounds x {args.seconds} s of wrk -c16 each")
        for p in proxies:
            wrk(p, 1)  # warm up: connections, pools, caches
        small = {p.name: [] for p in proxies}
        for r in range(args.rounds):
            order = proxies[r % 3:] + proxies[:r % 3]
            for p in order:
                small[p.name].append(wrk(p, args.seconds))
        say(f"bulk: {args.rounds} x {args.bulk_mib} MiB through each")
        big = {p.name: [] for p in proxies}
        for p in proxies:
            bulk(p, size)
        for r in range(args.rounds):
            for p in proxies:
                big[p.name].append(bulk(p, size))
    finally:
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(sig, signal.SIG_IGN)
        for s in list(running):
            try:
                s.stop()
            except Exception as e:
                say(f"could not stop {s.name} (pid {s.proc.pid}): {e}")
        shutil.rmtree(work, ignore_errors=True)

    med = lambda runs, k: statistics.median(r[k] for r in runs)
    a, b, c = "selfsign serve", "nginx", "caddy"
    rows = [
        ("proxy CPU per request, keep-alive (us)", "cpu_us", small, "{:.1f}"),
        ("requests/s (wrk -c16, 1 thread)", "rps", small, "{:.0f}"),
        ("proxy sleeps per request (voluntary context switches)", "sleeps", small, "{:.2f}"),
        ("latency p50 (ms)", "p50", small, "{:.3f}"),
        ("latency p99 (ms)", "p99", small, "{:.3f}"),
        (f"bulk MB/s ({args.bulk_mib} MiB through the proxy)", "mbps", big, "{:.0f}"),
        ("bulk proxy CPU s per GB", "cpu_per_gb", big, "{:.2f}"),
    ]
    print(f"bench-proxy: {NPROC} CPUs; proxies on CPU {SERVER_CPU}, clients and upstream on CPU {CLIENT_CPU}; "
          f"{args.rounds} rounds, medians\n")
    cells = []
    for label, key, runs, fmt in rows:
        x, y, z = med(runs[a], key), med(runs[b], key), med(runs[c], key)
        cells.append((label, fmt.format(x), fmt.format(y), fmt.format(z),
                      f"{x / y:.2f}" if y else "n/a", f"{x / z:.2f}" if z else "n/a"))
    header = ("measure", "selfsign serve", "nginx", "caddy", "ours/nginx", "ours/caddy")
    widths = [max(len(r[i]) for r in cells + [header]) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(s.ljust(w) for s, w in zip(r, widths)) + " |"
    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in cells:
        print(line(r))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("bench-proxy: interrupted")
