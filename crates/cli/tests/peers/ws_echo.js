// A WebSocket echo server (npm `ws`, Debian node-ws) on plain HTTP for the proxy tests: it
// listens on 127.0.0.1:0, prints its port, and sends every message back prefixed "echo:". A
// message "bye" makes it close the socket (the client then reconnects).
const { WebSocketServer } = require('ws');
const http = require('http');

const server = http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end('ws echo upstream\n');
});
const wss = new WebSocketServer({ server });
wss.on('connection', (ws, req) => {
  ws.send(`hello ${req.headers['x-forwarded-proto'] || 'none'}`);
  ws.on('message', (data) => {
    if (String(data) === 'bye') ws.close(1000, 'bye');
    else ws.send(`echo:${data}`);
  });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
