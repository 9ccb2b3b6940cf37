# Connects to every badssl variant with Python's ssl module trusting only the local CA, and
# prints one JSON line per variant: {"name", "ok", "body" | "error"}.
# usage: peer.py CA_FILE PORT CRL_PEM_FILE NAME...   (revoked is checked against the CRL)
import json, socket, ssl, sys

ca, port, crl, names = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
for name in names:
    host = name + ".badssl.localhost"
    ctx = ssl.create_default_context(cafile=ca)
    if name == "revoked":
        ctx.load_verify_locations(crl)
        ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=20) as raw:
            with ctx.wrap_socket(raw, server_hostname=host) as tls:
                tls.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
                data = b""
                while chunk := tls.recv(65536):
                    data += chunk
        body = data.split(b"\r\n\r\n", 1)[1].decode()
        print(json.dumps({"name": name, "ok": True, "body": body}))
    except (ssl.SSLError, ssl.CertificateError, OSError) as e:
        print(json.dumps({"name": name, "ok": False, "error": str(e)}))
