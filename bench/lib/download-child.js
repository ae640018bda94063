// Times downloads of one URL in this process, as the CLI's process would do them (undici's parser
// kept on V8's baseline compiler, like the CLI's session does): a plain undici stream into a file,
// and the library's downloadToTemp (temp file, byte count, signature sniff), alternately.
// Prints {"plainMs":[…],"libraryMs":[…]} on stdout.
//   node bench/lib/download-child.js <url> <dir> <runs>
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { setFlagsFromString } from 'node:v8';
import { Agent, request } from 'undici';

setFlagsFromString('--liftoff-only');
const { HttpClient } = await import('../../dist/http/client.js');
const { downloadToTemp } = await import('../../dist/image/download.js');

const [url = '', dir = '', runs = '5'] = process.argv.slice(2);
const client = new HttpClient();
const agent = new Agent();

const plain = async () => {
  const path = join(dir, 'plain.png');
  const started = performance.now();
  const response = await request(url, { dispatcher: agent });
  await pipeline(response.body, createWriteStream(path));
  const ms = performance.now() - started;
  await rm(path);
  return ms;
};
const library = async () => {
  const started = performance.now();
  // The transfer alone: the full decode that verifies a result is timed apart (it is not streaming).
  const { tempPath } = await downloadToTemp(client, url, join(dir, 'library.png'), { decode: false });
  const ms = performance.now() - started;
  await rm(tempPath);
  return ms;
};

// One of each first, unmeasured: connections, parser and file cache warm.
await plain();
await library();
const plainMs = [];
const libraryMs = [];
for (let i = 0; i < Number(runs); i++) {
  plainMs.push(await plain());
  libraryMs.push(await library());
}
process.stdout.write(`${JSON.stringify({ plainMs, libraryMs })}\n`);
await client.close();
await agent.close();
