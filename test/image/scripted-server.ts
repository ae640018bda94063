/**
 * A file server for download tests, on 127.0.0.1, port 0: each path answers from a script, one
 * answer per request (the last one repeats; none: 404), and counts the requests it got. `png` is a
 * small image to serve. Bindings are live: `base` and `png` are set once the server is up.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll } from 'vitest';

export let base = '';
export let png: Buffer = Buffer.alloc(0);
export const scripts = new Map<string, ((res: ServerResponse) => void)[]>();
export const served = new Map<string, number>();

/** Answers with `png` whole, under `type`. */
export const image = (res: ServerResponse, type = 'image/png') =>
  res.writeHead(200, { 'content-type': type, 'content-length': png.length }).end(png);

/** Starts the server before the file's tests and stops it after them. */
export function serveScripts(): void {
  let server: Server;
  beforeAll(async () => {
    png = await sharp({ create: { width: 8, height: 6, channels: 3, background: '#369' } })
      .png()
      .toBuffer();
    server = createServer((req, res) => {
      const path = req.url ?? '';
      served.set(path, (served.get(path) ?? 0) + 1);
      const script = scripts.get(path) ?? [];
      const answer = script.length > 1 ? script.shift()! : script[0];
      if (answer) answer(res);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
}
