/**
 * A real server with switchable misbehaviour for health-check tests:
 * `node http-test-server.js ADDRESS PORT [CERT KEY]` (with CERT/KEY it speaks TLS).
 * Prints "ready" once listening; then takes one command per stdin line and
 * answers "ok":
 *   mode ok | mode status N | mode hang | mode trickle | mode close | mode plain
 *   body TEXT      the body served in mode ok
 *   allow ADDRESS  answer 403 to any other client address
 *   listen off|on  close or reopen the listening socket (connection refused)
 * hang: accept, read the request, never answer. trickle: send the header with a
 * Content-Length, then one body byte every 300 ms. close: accept and close.
 * plain: on a TLS server, answer a clear-text 400 (the client's handshake fails).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createSecureContext, TLSSocket } from 'node:tls';

const [address, portText, certFile, keyFile] = process.argv.slice(2);
const port = Number(portText);
const secureContext = certFile && keyFile ? createSecureContext({ cert: readFileSync(certFile), key: readFileSync(keyFile) }) : null;
let mode = 'ok', status = 200, body = 'hello from the test server\n', allow: string | null = null;
const open = new Set<Socket>();

function respond(sock: Socket, peer: string | undefined): void {
  let got = '';
  sock.on('data', (d: Buffer) => {
    // Like any web server given a TLS ClientHello: a 400 in clear text.
    if (mode === 'plain') { sock.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'); return; }
    got += d.toString('latin1');
    if (!got.includes('\r\n\r\n')) return;
    if (allow && peer !== allow) { sock.end(`HTTP/1.0 403 Forbidden\r\nContent-Length: 0\r\n\r\n`); return; }
    if (mode === 'hang') return;
    if (mode === 'trickle') {
      sock.write(`HTTP/1.0 200 OK\r\nContent-Length: 1000\r\n\r\n`);
      const t = setInterval(() => sock.write('x'), 300);
      sock.on('close', () => clearInterval(t));
      return;
    }
    sock.end(`HTTP/1.0 ${status} X\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  });
}

function onConnection(raw: Socket): void {
  open.add(raw);
  raw.on('close', () => open.delete(raw));
  raw.on('error', () => undefined);
  if (mode === 'close') { raw.destroy(); return; }
  const peer = raw.remoteAddress;
  if (secureContext && mode !== 'plain') {
    const tls = new TLSSocket(raw, { isServer: true, secureContext });
    tls.on('error', () => raw.destroy());
    respond(tls, peer);
  } else respond(raw, peer);
}

let server: Server | null = null;
function listen(): Promise<void> {
  return new Promise((resolve, reject) => {
    server = createServer(onConnection);
    server.once('error', reject);
    server.listen(port, address, () => resolve());
  });
}

await listen();
process.stdout.write('ready\n');
createInterface({ input: process.stdin }).on('line', async (line) => {
  const [cmd, ...rest] = line.trim().split(' ');
  const arg = rest.join(' ');
  if (cmd === 'mode') {
    const [m, n] = arg.split(' ');
    mode = m === 'status' ? 'ok' : m!;
    status = m === 'status' ? Number(n) : 200;
  } else if (cmd === 'body') body = arg + '\n';
  else if (cmd === 'allow') allow = arg;
  else if (cmd === 'listen' && arg === 'off') {
    await new Promise((r) => { server?.close(r); for (const s of open) s.destroy(); });
    server = null;
  } else if (cmd === 'listen' && arg === 'on' && !server) await listen();
  process.stdout.write('ok\n');
});
