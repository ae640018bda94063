// A plain HTTP server in a process of its own, for the download benchmark: serves the file named
// on the command line at /file.png, prints its URL on stdout, and runs until killed.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const file = readFileSync(/** @type {string} */ (process.argv[2]));
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'image/png', 'content-length': file.length });
  res.end(file);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`http://127.0.0.1:${port}/file.png\n`);
});
