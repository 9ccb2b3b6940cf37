#!/usr/bin/env python3
"""An HTTP/1.1 app for the reverse proxy tests: it echoes request heads, streams large chunked
bodies, hashes uploads, stalls, hangs up mid-response and refuses to read. It listens on
127.0.0.1:0 and prints its port; every request line it sees is appended to the file named by
argv[1] (so tests can tell what reached it)."""

import hashlib
import http.server
import json
import socket
import sys
import threading
import time
import urllib.parse

LOG = sys.argv[1]
LOCK = threading.Lock()


class App(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def note(self):
        with LOCK, open(LOG, "a") as f:
            f.write(self.requestline + "\n")

    def send_json(self, value, status=200):
        body = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        """The request body, hashed as it streams (Content-Length or chunked)."""
        digest, total = hashlib.sha256(), 0
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                left = size
                while left:
                    data = self.rfile.read(min(left, 1 << 16))
                    digest.update(data)
                    left -= len(data)
                total += size
                self.rfile.readline()
        else:
            left = int(self.headers.get("Content-Length", "0"))
            while left:
                data = self.rfile.read(min(left, 1 << 16))
                if not data:
                    break
                digest.update(data)
                total += len(data)
                left -= len(data)
        return total, digest.hexdigest()

    def do_GET(self):
        self.note()
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/echo":
            self.send_json({
                "method": self.command,
                "path": self.path,
                "headers": [[k, v] for k, v in self.headers.items()],
                "client_port": self.client_address[1],
            })
        elif url.path == "/chunked":
            # n bytes of a repeating pattern in chunks of 64 KiB, then a trailer.
            n = int(query.get("n", "0"))
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            block = bytes(range(256)) * 256
            while n:
                part = block[: min(n, len(block))]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                n -= len(part)
            self.wfile.write(b"0\r\nX-Done: yes\r\n\r\n")
        elif url.path == "/length":
            n = int(query.get("n", "0"))
            self.send_response(200)
            self.send_header("Content-Length", str(n))
            self.end_headers()
            block = bytes(range(256)) * 256
            while n:
                part = block[: min(n, len(block))]
                self.wfile.write(part)
                n -= len(part)
        elif url.path == "/hangup":
            # Promises a megabyte, sends a kilobyte, hangs up.
            self.send_response(200)
            self.send_header("Content-Length", str(1 << 20))
            self.end_headers()
            self.wfile.write(b"x" * 1024)
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
        elif url.path == "/slow":
            time.sleep(float(query.get("s", "30")))
            self.send_json({"slept": True})
        else:
            self.send_json({"error": "no such path"}, 404)

    do_HEAD = do_GET

    def do_POST(self):
        self.note()
        if self.path == "/sink":
            # Never reads the upload; holds the connection open.
            time.sleep(120)
            self.close_connection = True
            return
        total, digest = self.read_body()
        self.send_json({"bytes": total, "sha256": digest})

    do_PUT = do_POST


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


server = Server(("127.0.0.1", 0), App)
print(server.server_address[1], flush=True)
server.serve_forever()
