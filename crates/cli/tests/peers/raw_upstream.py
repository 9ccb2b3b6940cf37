#!/usr/bin/env python3
"""A misbehaving HTTP/1.1 upstream for the reverse proxy tests, written on raw sockets: the path
of each request picks what it does (see BEHAVIOURS). It listens on 127.0.0.1:0 and prints its
port; every request head it reads is appended to the file named by argv[1]."""

import socket
import struct
import sys
import threading
import time

LOG = sys.argv[1]
LOCK = threading.Lock()
# Per connection thread: how many requests it had read before the current one.
CONNECTION = threading.local()
# How long a connection is held open after a reply that does not end it.
HOLD = 120


def close(conn, head, rest):
    """Hangs up without answering."""
    conn.close()


def reset(conn, head, rest):
    """Resets the connection without answering."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def garbage(conn, head, rest):
    """Answers with something that is not HTTP, and keeps the connection open."""
    conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
    time.sleep(HOLD)


def switch(conn, head, rest):
    """Switches protocols although nobody asked, and keeps the connection open."""
    conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
    time.sleep(HOLD)


def until_close(conn, head, rest):
    """A body delimited by the end of the connection (no Content-Length, not chunked)."""
    body = b"".join(b"line %d\n" % i for i in range(1000))
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" + body)
    # The end comes a while after the last byte, in a later read than the body's.
    time.sleep(0.5)
    conn.close()


def connection_content_length(conn, head, rest):
    """Lists Content-Length in Connection, keeping the connection for more requests."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: Content-Length\r\nContent-Length: 6\r\n\r\nfirst\n")
    return True


def empty_chunk_size(conn, head, rest):
    """A chunked body whose first chunk-size line has no digits, then what looks like its end."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n\r\n")
    time.sleep(HOLD)


def always_continue(conn, head, rest):
    """Sends 100 Continue whatever the request's version, then reads the body and answers."""
    conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        data = conn.recv(65536)
        if not data:
            break
        rest += data
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\ngot")
    conn.close()


def echo_head(conn, head, rest):
    """Answers with the request head it received as the body, and closes."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(head), head))
    conn.close()


def chunked(conn, head, rest):
    """Answers chunked whatever the request's version (as real upstreams do): CHUNKED_BODY in
    chunks of varied sizes, with extensions and a trailer; keeps the connection for more."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nTrailer: X-Lines\r\n\r\n")
    at, size = 0, 1
    while at < len(CHUNKED_BODY):
        part = CHUNKED_BODY[at:at + size]
        conn.sendall(b"%x;n=%d\r\n%s\r\n" % (len(part), at, part))
        at += len(part)
        size = size * 3 % 70001 + 1
    conn.sendall(b"0\r\nX-Lines: 20000\r\n\r\n")
    return True


def ok(conn, head, rest):
    """Answers `ok`, keeping the connection for more requests."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    return True


def fresh_only(conn, head, rest):
    """Answers like /ok on a new connection; on one that served a request before, hangs up
    without answering (as an upstream whose keep-alive timeout ends just as a request comes)."""
    if CONNECTION.served:
        conn.close()
        return False
    return ok(conn, head, rest)


def partial_head(conn, head, rest):
    """Sends part of a response head, then hangs up."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nX: y\r\n")
    conn.close()


def late(conn, head, rest):
    """Answers `ok`, then a moment later a second response nobody asked for; keeps the
    connection. Logs `late sent PATH` once those bytes are out."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    time.sleep(0.3)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nINJECTD")
    return sent_late(head)


def head_then_body(conn, head, rest):
    """Answers a HEAD request with a head announcing a body, then a moment later sends that
    body anyway; keeps the connection. Logs `late sent PATH` once the body is out."""
    body = b"<html>the first answer</html>"
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(body))
    time.sleep(0.3)
    conn.sendall(body)
    return sent_late(head)


def sent_late(head):
    with LOCK, open(LOG, "ab") as f:
        f.write(b"late sent " + head.split(b" ")[1] + b"\n")
    return True


# What /chunked sends; the tests build the same bytes.
CHUNKED_BODY = b"".join(b"chunked line %d\n" % i for i in range(20000))

BEHAVIOURS = {
    "/close": close,
    "/reset": reset,
    "/garbage": garbage,
    "/switch": switch,
    "/until-close": until_close,
    "/connection-content-length": connection_content_length,
    "/empty-chunk-size": empty_chunk_size,
    "/continue": always_continue,
    "/echo-head": echo_head,
    "/chunked": chunked,
    "/ok": ok,
    "/fresh-only": fresh_only,
    "/partial-head": partial_head,
    "/late": late,
    "/head-then-body": head_then_body,
}


def serve(conn):
    buf = b""
    CONNECTION.served = 0
    with conn:
        while True:
            while b"\r\n\r\n" not in buf:
                data = conn.recv(65536)
                if not data:
                    return
                buf += data
            head, _, buf = buf.partition(b"\r\n\r\n")
            head += b"\r\n\r\n"
            with LOCK, open(LOG, "ab") as f:
                f.write(head)
            path = head.split(b" ")[1].decode().split("?")[0]
            if not BEHAVIOURS[path](conn, head, buf):
                return
            CONNECTION.served += 1


listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(64)
print(listener.getsockname()[1], flush=True)
while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
