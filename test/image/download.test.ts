/**
 * Downloads go through the HttpClient's one retry loop: Retry-After, retry events and the log
 * as for API requests, a gate of their own origin, and no request budget.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HttpClient, type RetryEvent } from '../../src/http/client.js';
import { downloadToTemp } from '../../src/image/download.js';
import { base, image, png, scripts, serveScripts } from './scripted-server.js';

const dir = mkdtempSync(join(tmpdir(), 'upscale-download-'));

serveScripts();

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function client(events: RetryEvent[], log: string[] = []) {
  return new HttpClient({ onRetry: (e) => events.push(e), onLog: (l) => log.push(l), random: () => 1 });
}

describe('downloadToTemp', () => {
  it("waits as the server's Retry-After says, and says so as a retry event", async () => {
    scripts.set('/busy.png', [(res) => res.writeHead(503, { 'retry-after': '1' }).end('busy'), image]);
    const events: RetryEvent[] = [];
    const log: string[] = [];
    const http = client(events, log);
    const started = Date.now();
    const got = await downloadToTemp(http, `${base}/busy.png`, join(dir, 'busy.png'));
    await http.close();
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(got).toMatchObject({ format: 'png', bytes: png.length, thumbnail: { width: 8, height: 6 } });
    expect(events).toEqual([{ url: `${base}/busy.png`, attempt: 1, delayMs: 1000, reason: 'HTTP 503' }]);
    expect(log.map((l) => l.replace(/\(\d+ ms\)/, '(… ms)'))).toEqual([
      `GET ${base}/busy.png → 503 (… ms)`,
      `GET ${base}/busy.png → 200 (… ms)`,
    ]);
  });

  it('tries a truncated answer again, and refuses an expired URL at once', async () => {
    scripts.set('/cut.png', [
      (res) => {
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length });
        res.write(png.subarray(0, 20), () => res.destroy());
      },
      image,
    ]);
    const events: RetryEvent[] = [];
    const http = client(events);
    await expect(downloadToTemp(http, `${base}/cut.png`, join(dir, 'cut.png'))).resolves.toMatchObject({
      bytes: png.length,
    });
    expect(events).toHaveLength(1);
    expect(events[0]!.reason).toMatch(/truncated|broke off/);
    scripts.set('/gone.png', [(res) => res.writeHead(410).end()]);
    await expect(downloadToTemp(http, `${base}/gone.png`, join(dir, 'gone.png'))).rejects.toMatchObject({
      code: 'DOWNLOAD',
      status: 410,
      message: 'download answered HTTP 410',
    });
    expect(events).toHaveLength(1);
    await http.close();
  });

  it('keeps its own error code when the host cannot be reached', async () => {
    const http = client([]);
    await expect(downloadToTemp(http, 'http://127.0.0.1:1/x.png', join(dir, 'x.png'))).rejects.toMatchObject({
      code: 'DOWNLOAD',
      message: 'download failed (ECONNREFUSED)',
    });
    await http.close();
  });
});
