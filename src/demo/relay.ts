/**
 * Run inside a lab namespace: `node relay.js SOCKET PORT` relays each
 * connection on the Unix socket SOCKET (a file, so the host can reach it) to
 * 127.0.0.1:PORT of this namespace. The demo's host side listens on a loopback
 * port and connects here, which puts a node's admin UI on the host's 127.0.0.1.
 */
import { createServer, connect } from 'node:net';
import { rmSync } from 'node:fs';
import { pipeBoth } from './pipe.js';

const [socket, port] = process.argv.slice(2);
if (!socket || !port) { process.stderr.write('usage: relay.js SOCKET PORT\n'); process.exit(2); }
rmSync(socket, { force: true });

createServer((c) => pipeBoth(c, connect(Number(port), '127.0.0.1'))).listen(socket);
