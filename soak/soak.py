#!/usr/bin/env python3
"""Adversarial soak of `selfsign serve` on loopback: bounded, stops by itself.

While one well-behaved client does handshake + GET in a loop, a crowd of hostile clients attacks
the listener in waves (`--waves`, default 2); after each wave the crowd leaves and the server must
settle back.
The crowd:

  drip           `--crowd` connections (default: the connection cap) that drip one byte every
                 0.5-0.8 s (`--drip`), starting at once: half into the TLS handshake, half into
                 an HTTP request head after the handshake; they reconnect when dropped
  garbage        random bytes before TLS, after a ClientHello, and as HTTP after the handshake;
                 oversized heads; records with absurd lengths
  never-read     pipeline GETs of a large file and never read the answers
  handshake flood   full handshakes back to back, closed at once (half without close_notify)
  resets         RST (SO_LINGER 0) in the middle of the handshake and of a large response
  hoarder        opens plain TCP connections and sends nothing, until the cap is held and the
                 backlog fills, or until its own EMFILE

Report: the good client's success rate and latency (p50/p99/max), the server's RSS and open fds
(baseline, peak, after each wave; sampled from /proc/PID), and whether the process lived.
Exit status 0 only if the server never died, the good client succeeded every time with p99
under 1 s while the crowd was there, the fds returned to within a few of the baseline after every
wave, and RSS (all of it, and its anonymous part) came back to within RSS_SLACK_KB of the baseline
after every wave: memory the crowd made the server take must be given back once it has gone. The
baseline is the highest sample before the first wave, while the good client is already running.

Usage: soak.py --binary target/release/selfsign [--seconds 110] [--waves 2] ...
Standard library only (ssl, socket, threading).
"""

import argparse
import http.client
import os
import random
import resource
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time

BIG_FILE_BYTES = 4 * 1024 * 1024
RSS_SLACK_KB = 256
INDEX = b"<!doctype html><title>soak</title><p>selfsign soak target</p>\n"


class Counter:
    """Thread-safe named counters for what the crowd did."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}

    def add(self, name, n=1):
        with self.lock:
            self.counts[name] = self.counts.get(name, 0) + n


class Soak:
    """One soak run: the server process, the good client, the crowd and the sampler."""

    def __init__(self, args):
        self.args = args
        self.tmp = tempfile.TemporaryDirectory(prefix="selfsign-soak-")
        self.dir = self.tmp.name
        self.port = free_port()
        self.stop = threading.Event()  # everything stops
        self.crowd_stop = threading.Event()  # the crowd leaves
        self.crowd = Counter()
        self.good = []  # (start time, latency or None, error or None)
        self.good_lock = threading.Lock()
        self.samples = []  # (time, rss kB, fds, phase, anonymous rss kB)
        self.phase = "baseline"
        self.died = None
        self.client_hello = b""
        self.proc = None
        self.t0 = time.monotonic()

    # -- set-up ---------------------------------------------------------------------------------

    def start_server(self):
        root = os.path.join(self.dir, "web")
        os.mkdir(root)
        with open(os.path.join(root, "index.html"), "wb") as f:
            f.write(INDEX)
        with open(os.path.join(root, "big.bin"), "wb") as f:
            f.write(os.urandom(BIG_FILE_BYTES))
        a = self.args
        cmd = [
            a.binary, "serve",
            "--data-dir", os.path.join(self.dir, "data"),
            "--listen", f"127.0.0.1:{self.port}",
            "--root", root,
            "--max-connections", str(a.max_connections),
            "--handshake-timeout", str(a.handshake_timeout),
            "--header-timeout", str(a.header_timeout),
            "--idle-timeout", str(a.idle_timeout),
        ] + a.server_arg
        self.log = open(os.path.join(self.dir, "server.log"), "wb")
        nofile = a.server_nofile

        def limit_fds():
            if nofile:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, preexec_fn=limit_fds)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"soak: server exited at start:\n{self.server_log()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit("soak: server did not start listening within 30 s")
        ca = os.path.join(self.dir, "data", "rootCA.pem")
        self.ctx = ssl.create_default_context(cafile=ca)
        self.ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        self.loose = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self.loose.check_hostname = False
        self.loose.verify_mode = ssl.CERT_NONE
        self.client_hello = capture_client_hello(self.loose)

    def server_log(self):
        self.log.flush()
        with open(self.log.name, "rb") as f:
            return f.read()[-4000:].decode(errors="replace")

    # -- the good client ------------------------------------------------------------------------

    def good_client(self):
        while not self.stop.is_set():
            start = time.monotonic()
            err = None
            try:
                conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx,
                                                   timeout=self.args.good_timeout)
                conn.request("GET", "/index.html", headers={"Connection": "close"})
                resp = conn.getresponse()
                body = resp.read()
                conn.close()
                if resp.status != 200 or body != INDEX:
                    err = f"status {resp.status}, {len(body)} body bytes"
            except (OSError, http.client.HTTPException) as e:
                err = f"{type(e).__name__}: {e}"
            latency = time.monotonic() - start
            with self.good_lock:
                self.good.append((start - self.t0, None if err else latency, err, self.phase))
            time.sleep(0.02)

    # -- the crowd ------------------------------------------------------------------------------

    def connect(self, timeout=3.0):
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)

    def tls(self, timeout=3.0):
        return self.loose.wrap_socket(self.connect(timeout), server_hostname="localhost")

    def slowloris(self, n):
        """One member of the drip crowd; even members drip into the handshake. The first byte
        goes at once (so the connection is never silent), then one every `--drip` seconds."""
        in_handshake = n % 2 == 0
        rng = random.Random(1000 + n)
        low, high = self.args.drip
        while not self.crowd_stop.is_set():
            try:
                if in_handshake:
                    s, payload = self.connect(), self.client_hello
                else:
                    s = self.tls()
                    payload = b"GET / HTTP/1.1\r\nHost: localhost\r\n" + b"X-Slow: a\r\n" * 1000
                self.crowd.add("drip connections")
                with s:
                    for i in range(len(payload)):
                        if i and self.crowd_stop.wait(rng.uniform(low, high)):
                            break
                        s.sendall(payload[i:i + 1])
                        self.crowd.add("drip bytes")
            except (OSError, ssl.SSLError):
                self.crowd.add("drip closed by server")
                self.crowd_stop.wait(0.2)

    def garbage(self, n):
        rng = random.Random(n)
        kinds = ["raw", "after-hello", "http", "huge-head", "huge-record"]
        while not self.crowd_stop.is_set():
            kind = kinds[rng.randrange(len(kinds))]
            try:
                if kind in ("raw", "after-hello", "huge-record"):
                    s = self.connect()
                    if kind == "after-hello":
                        s.sendall(self.client_hello)
                    if kind == "huge-record":
                        s.sendall(b"\x16\x03\x01\xff\xff" + rng.randbytes(4096))
                    else:
                        s.sendall(rng.randbytes(rng.randrange(1, 20000)))
                else:
                    s = self.tls()
                    if kind == "http":
                        s.sendall(rng.randbytes(rng.randrange(1, 8000)) + b"\r\n\r\n")
                    else:
                        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n")
                with s:
                    s.settimeout(3)
                    while s.recv(65536):
                        pass
                self.crowd.add(f"garbage {kind}")
            except (OSError, ssl.SSLError):
                self.crowd.add(f"garbage {kind}")

    def never_read(self, n):
        """Pipelines GETs for the big file and never reads; holds until the server gives up."""
        while not self.crowd_stop.is_set():
            try:
                s = self.tls()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                s.settimeout(1)
                req = b"GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n" * 64
                sent = 0
                with s:
                    while not self.crowd_stop.is_set():
                        try:
                            sent += s.send(req)
                        except (socket.timeout, ssl.SSLWantWriteError):
                            continue  # blocked: the server stopped reading us; keep trying
                self.crowd.add("never-read connections")
                self.crowd.add("never-read bytes sent", sent)
            except (OSError, ssl.SSLError):
                self.crowd.add("never-read closed by server")
                self.crowd_stop.wait(0.2)

    def handshake_flood(self, n):
        while not self.crowd_stop.is_set():
            try:
                s = self.tls()
                if n % 2:
                    s.unwrap()
                s.close()
                self.crowd.add("flood handshakes")
            except (OSError, ssl.SSLError):
                self.crowd.add("flood failures (cap or backlog)")

    def resets(self, n):
        linger = struct.pack("ii", 1, 0)
        while not self.crowd_stop.is_set():
            try:
                raw = self.connect()
                raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                raw.sendall(self.client_hello[: len(self.client_hello) // 2])
                time.sleep(0.01)
                raw.close()
                self.crowd.add("resets mid-handshake")
                s = self.tls()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n")
                s.recv(16384)
                s.close()
                self.crowd.add("resets mid-response")
            except (OSError, ssl.SSLError):
                self.crowd.add("reset attempts failed")
                self.crowd_stop.wait(0.1)

    def hoarder(self, n):
        """Opens silent TCP connections until it holds `--hoard` or hits EMFILE; refills."""
        held = []
        while not self.crowd_stop.is_set():
            alive = []
            for s in held:
                try:
                    s.setblocking(False)
                    if s.recv(1, socket.MSG_PEEK) == b"":
                        s.close()
                        continue
                except BlockingIOError:
                    pass
                except OSError:
                    s.close()
                    continue
                alive.append(s)
            held = alive
            while len(held) < self.args.hoard and not self.crowd_stop.is_set():
                try:
                    held.append(self.connect(timeout=0.5))
                    self.crowd.add("hoarder connections")
                except OSError as e:
                    self.crowd.add("hoarder refused (EMFILE or full backlog)")
                    if e.errno == 24:
                        self.crowd.add("hoarder hit EMFILE")
                    break
            self.crowd.add("hoarder peak held", 0)
            with self.crowd.lock:
                peak = self.crowd.counts.get("hoarder peak held", 0)
                self.crowd.counts["hoarder peak held"] = max(peak, len(held))
            self.crowd_stop.wait(0.5)
        for s in held:
            s.close()

    # -- sampling -------------------------------------------------------------------------------

    def sampler(self):
        pid = self.proc.pid
        while not self.stop.is_set():
            if self.proc.poll() is not None:
                self.died = f"exit status {self.proc.returncode} at {self.elapsed():.1f} s"
                self.stop.set()
                return
            try:
                rss, anon = read_rss_kb(pid)
                fds = len(os.listdir(f"/proc/{pid}/fd"))
                self.samples.append((self.elapsed(), rss, fds, self.phase, anon))
            except OSError:
                pass
            time.sleep(0.2)

    def elapsed(self):
        return time.monotonic() - self.t0

    # -- the run --------------------------------------------------------------------------------

    def run(self):
        a = self.args
        self.start_server()
        self.t0 = time.monotonic()
        threads = [threading.Thread(target=self.sampler, daemon=True),
                   threading.Thread(target=self.good_client, daemon=True)]
        for t in threads:
            t.start()
        waves = []
        for w, (start, end, settled) in enumerate(self.schedule(), 1):
            self.sleep_until(start)
            self.phase = f"crowd {w}"
            self.crowd_stop.clear()
            crowd = [threading.Thread(target=self.slowloris, args=(i,), daemon=True)
                     for i in range(a.crowd)]
            for fn, count in [(self.garbage, 2), (self.never_read, 2),
                              (self.handshake_flood, 2), (self.resets, 1), (self.hoarder, 1)]:
                crowd += [threading.Thread(target=fn, args=(i,), daemon=True)
                          for i in range(count)]
            for t in crowd:
                t.start()
            self.sleep_until(end)
            self.crowd_stop.set()
            self.phase = f"leaving {w}"
            for t in crowd:
                t.join(timeout=10)
            # Connections the crowd left open are the server's to time out.
            self.sleep_until(max(end + a.idle_timeout + 4, self.elapsed()))
            self.phase = f"after {w}"
            self.sleep_until(max(settled, self.elapsed() + 3))
            waves.append((start, end))
        self.stop.set()
        for t in threads:
            t.join(timeout=a.good_timeout + 2)
        alive = self.proc.poll() is None
        if alive:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.report(alive, waves)

    def schedule(self):
        """(crowd arrives, crowd leaves, settled) for each wave, in seconds from the start."""
        a = self.args
        base = max(3.0, a.seconds * 0.1)
        wave = (a.seconds - base) / a.waves
        settle = a.idle_timeout + 4 + 6
        return [(base + w * wave, base + w * wave + wave - settle, base + (w + 1) * wave)
                for w in range(a.waves)]

    def sleep_until(self, t):
        while not self.stop.is_set() and self.elapsed() < t:
            time.sleep(min(0.2, t - self.elapsed()))

    def report(self, alive, waves):
        a = self.args
        ok = [g for g in self.good if g[1] is not None]
        failed = [g for g in self.good if g[1] is None]
        lat = sorted(g[1] for g in ok)
        by_phase = {}
        for g in self.good:
            n, f = by_phase.get(g[3], (0, 0))
            by_phase[g[3]] = (n + 1, f + (g[1] is None))

        def samples(phase):
            return [s for s in self.samples if s[3] == phase]

        base = samples("baseline")
        base_fds = min((s[2] for s in base), default=0)
        base_rss = max((s[1] for s in base), default=0)
        base_anon = max((s[4] for s in base), default=0)
        after = [samples(f"after {w}") for w in range(1, len(waves) + 1)]
        after_fds = [s[-1][2] if s else None for s in after]
        after_rss = [s[-1][1] if s else None for s in after]
        after_anon = [s[-1][4] if s else None for s in after]
        peak_fds = max((s[2] for s in self.samples), default=0)
        peak_rss = max((s[1] for s in self.samples), default=0)
        hwm = read_hwm_kb(self.proc.pid) if alive else None
        rate = 100.0 * len(ok) / len(self.good) if self.good else 0.0
        out = []
        p = out.append
        p(f"selfsign soak: {a.seconds:.0f} s on 127.0.0.1:{self.port}, the crowd in "
          f"{len(waves)} waves: " + ", ".join(f"{s:.0f}-{e:.0f} s" for s, e in waves))
        p(f"  server limits: --max-connections {a.max_connections} --handshake-timeout "
          f"{a.handshake_timeout} --header-timeout {a.header_timeout} --idle-timeout "
          f"{a.idle_timeout} (request head 16 KiB)"
          + (f", RLIMIT_NOFILE {a.server_nofile}" if a.server_nofile else ""))
        p(f"  crowd: {a.crowd} drip (one byte every {a.drip[0]:g}-{a.drip[1]:g} s), 2 garbage, "
          f"2 never-read, "
          f"2 handshake flood, 1 reset, 1 hoarder (up to {a.hoard} silent connections)")
        p("good client (full handshake + GET /index.html, new connection each time):")
        p(f"  requests {len(self.good)}, ok {len(ok)}, failed {len(failed)}, "
          f"success {rate:.2f}%")
        if lat:
            p(f"  latency ms (all): p50 {pct(lat, 50) * 1e3:.1f}, p99 {pct(lat, 99) * 1e3:.1f}, "
              f"max {lat[-1] * 1e3:.1f}")
        phases = ["baseline"] + [f"{ph} {w}" for w in range(1, len(waves) + 1)
                                 for ph in ("crowd", "leaving", "after")]
        for phase in phases:
            n, f = by_phase.get(phase, (0, 0))
            pl = sorted(g[1] for g in self.good if g[3] == phase and g[1] is not None)
            ms = (f", latency ms p50 {pct(pl, 50) * 1e3:.1f} p99 {pct(pl, 99) * 1e3:.1f} "
                  f"max {pl[-1] * 1e3:.1f}") if pl else ""
            p(f"    {phase:9} {n:6} requests, {f} failed{ms}")
        for g in failed[:10]:
            p(f"    failure at {g[0]:.1f} s ({g[3]}): {g[2]}")
        p("server process:")
        p(f"  alive at the end: {'yes' if alive else 'NO: ' + str(self.died)}")
        p(f"  RSS kB: baseline {base_rss}, peak {peak_rss}, after each wave "
          + ", ".join(str(r) for r in after_rss)
          + (f", high-water mark {hwm}" if hwm else ""))
        p(f"  of which anonymous (heap, stacks; not the binary's pages) kB: baseline {base_anon}, "
          f"peak {max((s[4] for s in self.samples), default=0)}, after each wave "
          + ", ".join(str(r) for r in after_anon))
        kept = [r - base_rss for r in after_rss if r is not None]
        p("  RSS above the baseline after each wave kB: " + ", ".join(f"{k:+d}" for k in kept)
          + f" (allowed: {RSS_SLACK_KB})")
        p(f"  open fds: baseline {base_fds}, peak {peak_fds}, after each wave "
          + ", ".join(str(f) for f in after_fds))
        p("crowd activity:")
        for k in sorted(self.crowd.counts):
            p(f"  {k}: {self.crowd.counts[k]}")
        fds_ok = all(f is not None and f <= base_fds + 2 for f in after_fds)
        # Whatever the crowd made the process take must be given back once it has gone: RSS, and
        # its anonymous part, back within RSS_SLACK_KB of the baseline after every wave.
        rss_ok = (None not in after_rss and None not in after_anon
                  and all(r <= base_rss + RSS_SLACK_KB for r in after_rss)
                  and all(r <= base_anon + RSS_SLACK_KB for r in after_anon))
        crowd_lat = sorted(g[1] for g in self.good
                           if g[3].startswith("crowd") and g[1] is not None)
        crowd_p99 = pct(crowd_lat, 99) if crowd_lat else None
        p99_ok = crowd_p99 is not None and crowd_p99 < 1.0
        verdict = alive and not failed and fds_ok and rss_ok and p99_ok and self.good
        p(f"verdict: {'PASS' if verdict else 'FAIL'}"
          + ("" if alive else " (server died)")
          + ("" if not failed else f" ({len(failed)} good requests failed)")
          + ("" if p99_ok else " (p99 during the crowd not under 1 s)")
          + ("" if fds_ok else " (fds did not return to baseline)")
          + ("" if rss_ok else f" (RSS not back within {RSS_SLACK_KB} kB of the baseline)"))
        print("\n".join(out), flush=True)
        if not verdict:
            print(f"--- server log tail ---\n{self.server_log()}", file=sys.stderr)
        return 0 if verdict else 1


def pct(sorted_values, p):
    i = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[i]


def read_rss_kb(pid):
    """(VmRSS, RssAnon) in kB: all resident memory, and the part that is not file-backed."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon"):
                fields[key] = int(value.split()[0])
    return fields.get("VmRSS", 0), fields.get("RssAnon", 0)


def read_hwm_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def capture_client_hello(ctx):
    """The bytes a real client sends first (Python's OpenSSL ClientHello), without a socket."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def main():
    env = os.environ.get
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", required=True, help="the selfsign executable (release build)")
    ap.add_argument("--seconds", type=float, default=float(env("SOAK_SECONDS", "110")))
    ap.add_argument("--waves", type=int, default=2,
                    help="times the crowd comes and leaves; RSS must come back after each [2]")
    ap.add_argument("--max-connections", type=int, default=64)
    ap.add_argument("--handshake-timeout", type=int, default=5)
    ap.add_argument("--header-timeout", type=int, default=10)
    ap.add_argument("--idle-timeout", type=int, default=10)
    ap.add_argument("--crowd", type=int, help="drip connections [default: the cap]")
    ap.add_argument("--drip", type=float, nargs=2, default=[0.5, 0.8], metavar=("MIN", "MAX"),
                    help="seconds between two dripped bytes, drawn from MIN..MAX [0.5 0.8]")
    ap.add_argument("--hoard", type=int, help="hoarder connections [default: 4 x the cap]")
    ap.add_argument("--server-nofile", type=int,
                    help="run the server with this RLIMIT_NOFILE, e.g. below the cap to make "
                         "accept fail with EMFILE [default: inherited]")
    ap.add_argument("--server-arg", action="append", default=[], metavar="ARG",
                    help="one more argument for `selfsign serve`, e.g. --server-arg=--no-resumption")
    ap.add_argument("--good-timeout", type=float, default=10.0,
                    help="seconds the good client waits for one request before counting a failure")
    a = ap.parse_args()
    a.crowd = a.max_connections if a.crowd is None else a.crowd
    a.hoard = 4 * a.max_connections if a.hoard is None else a.hoard
    settle = a.idle_timeout + 4 + 6
    shortest = max(3.0, a.seconds * 0.1) + a.waves * (settle + 10)
    if a.waves < 1 or a.seconds < shortest:
        ap.error(f"--seconds must be at least {shortest:.0f} for {a.waves} waves: each needs "
                 f"10 s of crowd and {settle} s to settle (--idle-timeout + 10)")
    sys.exit(Soak(a).run())


if __name__ == "__main__":
    main()
