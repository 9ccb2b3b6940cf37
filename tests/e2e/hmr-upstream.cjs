// A dev server's hot-reload pattern on plain HTTP, for the proxy's browser test: `/` is a page
// whose WebSocket says hello, is closed by the server after its first echo, and reconnects.
// Uses npm `ws` (Debian node-ws: NODE_PATH=/usr/share/nodejs). Prints its port.
const http = require('http');
const { WebSocketServer } = require('ws');

const PAGE = `<!doctype html><meta charset=utf-8><title>connecting</title><pre id=log></pre>
<script>
let opens = 0;
const log = [];
function connect() {
  const ws = new WebSocket('wss://' + location.host + '/hmr');
  ws.onopen = () => { opens += 1; ws.send('hi ' + opens); };
  ws.onmessage = (e) => {
    log.push(e.data);
    document.getElementById('log').textContent = log.join('\\n');
    if (e.data === 'echo:hi 1') ws.send('bye');
    if (e.data === 'echo:hi 2') document.title = 'reconnected';
  };
  ws.onclose = () => setTimeout(connect, 100);
}
connect();
</script>`;

const server = http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(PAGE);
});
const wss = new WebSocketServer({ server, path: '/hmr' });
wss.on('connection', (ws, req) => {
  ws.send(`proto ${req.headers['x-forwarded-proto']}`);
  ws.on('message', (data) => {
    if (String(data) === 'bye') ws.close(1000, 'reload');
    else ws.send(`echo:${data}`);
  });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
