// Connects to every badssl variant with Node's tls module trusting only the local CA, and
// prints one JSON line per variant: {"name", "ok", "body" | "error"}.
// usage: node peer.mjs CA_FILE PORT CRL_PEM_FILE NAME...   (revoked is checked against the CRL)
import { readFileSync } from "node:fs";
import tls from "node:tls";

const [ca, port, crl, ...names] = process.argv.slice(2);
const caPem = readFileSync(ca);
const crlPem = readFileSync(crl);

function attempt(name) {
  const host = `${name}.badssl.localhost`;
  return new Promise((resolve) => {
    const options = { host: "127.0.0.1", port: Number(port), servername: host, ca: caPem };
    if (name === "revoked") options.crl = crlPem;
    const socket = tls.connect(options, () => {
      socket.write(`GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    });
    let data = "";
    socket.setEncoding("utf8");
    socket.setTimeout(20000, () => socket.destroy(new Error("timed out")));
    socket.on("data", (chunk) => (data += chunk));
    socket.on("end", () => resolve({ name, ok: true, body: data.split("\r\n\r\n")[1] ?? "" }));
    socket.on("error", (e) => resolve({ name, ok: false, error: `${e.code ?? ""} ${e.message}` }));
  });
}

for (const name of names) console.log(JSON.stringify(await attempt(name)));
