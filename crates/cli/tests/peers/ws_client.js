// Through the proxy: a Node https GET, then a WebSocket (npm `ws`) that echoes, is closed by the
// upstream and reconnects (the hot-reload pattern). argv: URL (https://host:port) and the CA file.
const https = require('https');
const fs = require('fs');
const WebSocket = require('ws');

const [url, caFile] = process.argv.slice(2);
const ca = fs.readFileSync(caFile);
const fail = (why) => { console.error(why); process.exit(1); };
setTimeout(() => fail('timed out'), 20000).unref();

function get() {
  return new Promise((resolve, reject) => {
    https.get(url + '/', { ca }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve(`${res.statusCode} ${body.trim()}`));
    }).on('error', reject);
  });
}

function session(n) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace('https:', 'wss:') + '/hmr', { ca });
    const seen = [];
    ws.on('message', (data) => {
      seen.push(String(data));
      if (seen.length === 1) ws.send(`ping ${n}`);
      else if (seen.length === 2) ws.send('bye');
    });
    ws.on('close', (code) => resolve(`${seen.join(' | ')} | closed ${code}`));
    ws.on('error', reject);
  });
}

(async () => {
  console.log(await get());
  console.log(await session(1));
  console.log(await session(2));
})().catch((e) => fail(String(e)));
