/** A demo real server: `node web-server.js NAME ADDRESS` answers every request on port 80 with its name. */
import { createServer } from 'node:http';

const [name = 'web', address = '0.0.0.0'] = process.argv.slice(2);
createServer((_req, res) => {
  res.setHeader('x-served-by', name);
  res.end(`${name} (${address})\n`);
}).listen(80, '0.0.0.0');
