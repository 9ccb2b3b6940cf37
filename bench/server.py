#!/usr/bin/env python3
"""`selfsign serve` against nginx on loopback: full TLS 1.3 handshakes, bulk transfer, idle memory.

Usage: bench/server.py [--bin PATH] [--handshakes N] [--rounds R] [--idle N] [--bulk-mib M]
Both servers get the same P-256 certificate (made by `selfsign self-signed`), TLS 1.3, no session
resumption and no tickets, and run pinned to CPU 0 while every client (h2load --h1, curl, this
script's own probes) runs on CPU 1. nginx runs as an unprivileged-config instance in a temporary
prefix with 1 worker. Figures (each for both servers, and ours/nginx):
  - handshakes: `h2load --h1 -H 'Connection: close'` (every request a new connection and a full
    handshake); server CPU per handshake from /proc/PID/stat utime+stime before and after, h2load's
    handshake rate and its own CPU per handshake, and h2load's mean connect time. Median of R
    rounds, the servers alternating.
  - connect latency p50/p99: sequential TCP connect + TLS handshake from this script (Python ssl),
    one at a time, so it is unloaded latency and includes the client's own handshake work.
  - bulk: one `curl --http1.1` download of an M MiB file over one connection; MB/s (10^6 bytes)
    and server CPU seconds per GB (10^9 bytes); median of R rounds.
  - memory: RSS growth of the serving process per idle TLS connection after N connections have
    completed a handshake and stay open (fresh server start, measured after a 1 s settle).
Loopback only, every loop bounded, every child process killed on exit.
"""
import argparse
import os
import re
import resource
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")
NPROC = os.cpu_count() or 1
SERVER_CPU, CLIENT_CPU = ("0", "1") if NPROC >= 2 else (None, None)

NGINX_CONF = """\
worker_processes 1;
worker_rlimit_nofile {nofile};
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections {conns}; }}
http {{
  access_log off;
  client_body_temp_path {dir}/tmp_body;
  proxy_temp_path {dir}/tmp_proxy;
  fastcgi_temp_path {dir}/tmp_fastcgi;
  uwsgi_temp_path {dir}/tmp_uwsgi;
  scgi_temp_path {dir}/tmp_scgi;
  keepalive_timeout 0;
  client_header_timeout 300s;
  server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    ssl_protocols TLSv1.3;
    ssl_session_cache off;
    ssl_session_tickets off;
    root {dir}/www;
  }}
}}
"""


def say(msg):
    print(f"bench-server: {msg}", file=sys.stderr, flush=True)


def pinned(cpu, cmd):
    return (["taskset", "-c", cpu] if cpu is not None else []) + cmd


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {seconds} s")


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / CLK_TCK


def rss_kib(pids):
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


class Server:
    """One running server: its processes, the PIDs whose CPU and memory count, and its URL."""

    def __init__(self, name, cmd, port, workdir, env=None):
        self.name, self.port = name, port
        self.log = open(workdir / f"{name.split()[0]}.log", "wb")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True)
        wait_listening(port, self.proc)
        self.pids = self.serving_pids()

    def serving_pids(self):
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        return [int(c) for c in children] or [self.proc.pid]  # nginx: the worker; ours: itself

    @property
    def url(self):
        return f"https://127.0.0.1:{self.port}"

    def stop(self):
        """SIGTERM to the server's process group (nginx: master and worker), SIGKILL after 5 s."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if self.proc.poll() is not None:
                break
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                continue
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # anything left in the group
        except ProcessLookupError:
            pass
        self.log.close()


def client_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    return ctx


def tls_connect(ctx, port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    return ctx.wrap_socket(sock, server_hostname="localhost")


def run_h2load(server, handshakes, clients):
    cmd = pinned(CLIENT_CPU, ["h2load", "--h1", "-n", str(handshakes), "-c", str(clients), "-t", "1",
                              "-H", "Connection: close", f"{server.url}/index.html"])
    before = cpu_seconds(server.pids)
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        out, _ = proc.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise RuntimeError("h2load did not finish within 300 s")
    wall = time.perf_counter() - start
    server_cpu = cpu_seconds(server.pids) - before
    text = out.decode(errors="replace")
    done = re.search(r"requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed", text)
    if proc.returncode != 0 or not done or int(done.group(1)) == 0:
        raise RuntimeError(f"h2load against {server.name} failed:\n{text[-2000:]}")
    ok = int(done.group(1))
    rate = float(re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", text).group(1))
    connect = re.search(r"time for connect:\s+(\S+)\s+(\S+)\s+(\S+)", text)
    tls = re.search(r"TLS Protocol: (\S+)\s+Cipher: (\S+)\s+Server Temp Key: (\S+)", text)
    # h2load's own CPU (the client side): the servers are never reaped during a run, so the
    # change in this process's reaped-children usage is h2load's alone.
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_cpu = (after.ru_utime + after.ru_stime) - (children_before.ru_utime + children_before.ru_stime)
    return {
        "ok": ok, "failed": int(done.group(2)), "rate": rate, "wall": wall,
        "server_us": server_cpu / ok * 1e6, "client_us": client_cpu / ok * 1e6,
        "connect_mean": to_ms(connect.group(3)) if connect else None,
        "tls": " ".join(tls.groups()) if tls else "?",
    }


def to_ms(value):
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", value)
    if not m:
        return None
    return float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]


def handshake_rounds(servers, rounds, handshakes, clients):
    results = {s.name: [] for s in servers}
    for s in servers:  # warm-up
        run_h2load(s, max(100, handshakes // 10), clients)
    for r in range(rounds):
        for s in (servers if r % 2 == 0 else servers[::-1]):
            results[s.name].append(run_h2load(s, handshakes, clients))
    return results


def latency_probe(server, count):
    ctx = client_context()
    times = []
    for _ in range(count):
        start = time.perf_counter()
        conn = tls_connect(ctx, server.port)
        times.append((time.perf_counter() - start) * 1e3)
        conn.close()
    times.sort()
    pick = lambda p: times[min(len(times) - 1, int(round(p * (len(times) - 1))))]
    return pick(0.5), pick(0.99)


def bulk(server, size):
    cmd = pinned(CLIENT_CPU, ["curl", "-sk", "--http1.1", "--tlsv1.3", "--max-time", "120",
                              "-o", "/dev/null", "-w", "%{size_download} %{time_total}",
                              f"{server.url}/big.bin"])
    before = cpu_seconds(server.pids)
    out = subprocess.run(cmd, capture_output=True, timeout=150)
    cpu = cpu_seconds(server.pids) - before
    if out.returncode != 0:
        raise RuntimeError(f"curl from {server.name} failed ({out.returncode}): {out.stderr.decode()}")
    got, seconds = out.stdout.decode().split()
    if int(got) != size:
        raise RuntimeError(f"{server.name} sent {got} bytes of {size}")
    return {"mbps": size / float(seconds) / 1e6, "cpu_per_gb": cpu / (size / 1e9)}


def idle_memory(server, count):
    ctx = client_context()
    for _ in range(10):  # warm the allocator with a few complete connections
        tls_connect(ctx, server.port).close()
    time.sleep(0.5)
    base = rss_kib(server.pids)
    conns = []
    try:
        for i in range(count):
            conns.append(tls_connect(ctx, server.port))
        time.sleep(1.0)
        held = rss_kib(server.pids)
        alive = server.proc.poll() is None
    finally:
        for c in conns:
            c.close()
    time.sleep(1.0)
    after = rss_kib(server.pids)
    if not alive:
        raise RuntimeError(f"{server.name} died while holding {count} connections")
    return {"base_mib": base / 1024, "per_conn_kib": (held - base) / count, "after_close_mib": after / 1024}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_bin = Path(os.environ.get("CARGO_TARGET_DIR", "target")) / "release" / "selfsign"
    ap.add_argument("--bin", default=os.environ.get("SELFSIGN_BIN", str(default_bin)))
    ap.add_argument("--handshakes", type=int, default=int(os.environ.get("BENCH_HANDSHAKES", "4000")))
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", "3")))
    ap.add_argument("--probes", type=int, default=500, help="sequential handshakes for p50/p99")
    ap.add_argument("--idle", type=int, default=2000, help="idle TLS connections for the memory figure")
    ap.add_argument("--bulk-mib", type=int, default=256)
    args = ap.parse_args()
    selfsign = str(Path(args.bin).resolve())
    for tool in (selfsign, "nginx", "h2load", "curl", "taskset"):
        if not shutil.which(tool):
            sys.exit(f"bench-server: {tool} not found (make build; scripts/bootstrap --bench)")

    # Room for the idle connections in this process and, inherited, in both servers.
    nofile = max(4 * args.idle + 256, 8192)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < nofile:
        sys.exit(f"bench-server: the fd limit is {hard}; {nofile} needed (ulimit -n)")
    resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, hard))
    if CLIENT_CPU is not None:
        os.sched_setaffinity(0, {int(CLIENT_CPU)})
    else:
        say("only one CPU: client and server share it (figures are less meaningful)")

    def on_signal(signum, _frame):
        raise SystemExit(f"bench-server: stopped by signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    work = Path(tempfile.mkdtemp(prefix="selfsign-bench-server-"))
    running = []
    try:
        os.chmod(work, 0o755)  # nginx's worker drops to an unprivileged user when run as root
        www = work / "www"
        www.mkdir()
        (www / "index.html").write_text("ok\n")
        size = args.bulk_mib * 1024 * 1024
        with open(www / "big.bin", "wb") as f:
            f.truncate(size)  # sparse: both servers read zeros from the page cache
        env = dict(os.environ, SELFSIGN_DATA_DIR=str(work / "data"))
        subprocess.run([selfsign, "-q", "self-signed", "localhost", "127.0.0.1", "--out-dir", str(work),
                        "--cert-file", str(work / "cert.pem"), "--key-file", str(work / "key.pem")],
                       check=True, env=env, timeout=30)
        os.chmod(work / "key.pem", 0o600)

        def start_ours():
            port = free_port()
            cmd = pinned(SERVER_CPU, [selfsign, "-q", "serve", "--listen", f"127.0.0.1:{port}", "--mode", "http",
                                      "--root", str(www), "--cert", str(work / "cert.pem"),
                                      "--key", str(work / "key.pem"), "--no-resumption",
                                      "--max-connections", str(args.idle + 1024),
                                      "--idle-timeout", "300", "--shutdown-grace", "1"])
            s = Server("selfsign serve", cmd, port, work, env)
            running.append(s)
            return s

        def start_nginx():
            port = free_port()
            conf = work / "nginx.conf"
            conf.write_text(NGINX_CONF.format(dir=work, port=port, cert=work / "cert.pem", key=work / "key.pem",
                                              conns=args.idle + 1024, nofile=nofile))
            cmd = pinned(SERVER_CPU, ["nginx", "-p", str(work), "-c", str(conf), "-e", str(work / "error.log"),
                                      "-g", "daemon off;"])
            s = Server("nginx", cmd, port, work)
            running.append(s)
            return s

        def stop(s):
            s.stop()
            running.remove(s)

        version = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip()
        say(f"{version}; {subprocess.run(['h2load', '--version'], capture_output=True, text=True).stdout.strip()}")
        ours, nginx = start_ours(), start_nginx()
        servers = [ours, nginx]
        say(f"handshakes: {args.rounds} rounds x {args.handshakes} (h2load -c {args.clients})")
        hs = handshake_rounds(servers, args.rounds, args.handshakes, args.clients)
        say(f"connect latency: {args.probes} sequential handshakes each")
        lat = {s.name: latency_probe(s, args.probes) for s in servers}
        say(f"bulk: {args.rounds} x {args.bulk_mib} MiB over one connection")
        bulk_runs = {s.name: [] for s in servers}
        for s in servers:
            bulk(s, size)  # warm the page cache
        for r in range(args.rounds):
            for s in (servers if r % 2 == 0 else servers[::-1]):
                bulk_runs[s.name].append(bulk(s, size))
        stop(ours)
        stop(nginx)
        say(f"memory: {args.idle} idle TLS connections, fresh servers")
        mem = {}
        for start in (start_ours, start_nginx):
            s = start()
            mem[s.name] = idle_memory(s, args.idle)
            stop(s)
        errors = (work / "error.log").read_text(errors="replace") if (work / "error.log").exists() else ""
    finally:
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(sig, signal.SIG_IGN)  # let the clean-up finish
        for s in list(running):
            try:
                s.stop()
            except Exception as e:  # keep stopping the others
                say(f"could not stop {s.name} (pid {s.proc.pid}): {e}")
        shutil.rmtree(work, ignore_errors=True)

    med = lambda runs, key: statistics.median(r[key] for r in runs)
    a, b = "selfsign serve", "nginx"
    rows = [
        ("server CPU per full handshake (us)", med(hs[a], "server_us"), med(hs[b], "server_us"), "{:.0f}"),
        ("handshakes/s (h2load, 1 thread)", med(hs[a], "rate"), med(hs[b], "rate"), "{:.0f}"),
        ("h2load CPU per handshake (us)", med(hs[a], "client_us"), med(hs[b], "client_us"), "{:.0f}"),
        ("h2load mean connect time (ms)", med(hs[a], "connect_mean"), med(hs[b], "connect_mean"), "{:.2f}"),
        ("connect latency p50, sequential (ms)", lat[a][0], lat[b][0], "{:.3f}"),
        ("connect latency p99, sequential (ms)", lat[a][1], lat[b][1], "{:.3f}"),
        (f"bulk MB/s ({args.bulk_mib} MiB, 1 connection)", med(bulk_runs[a], "mbps"), med(bulk_runs[b], "mbps"), "{:.0f}"),
        ("bulk server CPU s per GB", med(bulk_runs[a], "cpu_per_gb"), med(bulk_runs[b], "cpu_per_gb"), "{:.2f}"),
        (f"RSS per idle TLS connection (KiB, {args.idle} open)", mem[a]["per_conn_kib"], mem[b]["per_conn_kib"], "{:.1f}"),
        ("RSS before the idle connections (MiB)", mem[a]["base_mib"], mem[b]["base_mib"], "{:.1f}"),
        ("RSS after they closed (MiB)", mem[a]["after_close_mib"], mem[b]["after_close_mib"], "{:.1f}"),
    ]
    failed = {n: sum(r["failed"] for r in runs) for n, runs in hs.items()}
    print(f"bench-server: {NPROC} CPUs; servers on CPU {SERVER_CPU}, clients on CPU {CLIENT_CPU}; "
          f"{args.rounds} rounds x {args.handshakes} handshakes, medians")
    print(f"negotiated: ours {hs[a][0]['tls']}; nginx {hs[b][0]['tls']}; failed requests: {failed}\n")
    cells = [(label, fmt.format(x), fmt.format(y), f"{x / y:.2f}" if y else "n/a") for label, x, y, fmt in rows]
    header = ("measure", "selfsign serve", "nginx", "ours/nginx")
    widths = [max(len(r[i]) for r in cells + [header]) for i in range(4)]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"
    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in cells:
        print(line(r))
    serious = [l for l in errors.splitlines() if "[emerg]" in l or "[alert]" in l or "[crit]" in l]
    if serious:
        print("\nnginx error log:\n" + "\n".join(serious[-5:]))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("bench-server: interrupted")
