/**
 * What a download will not take (issue 23, items 12, 14, 15): a body beyond what a result of its
 * size can weigh, a pace below the minimum, and a content type that lies; and what it waits for:
 * storage that answers 404 for a moment after the task completed.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HttpClient } from '../../src/http/client.js';
import { DOWNLOAD_POLICY } from '../../src/http/retry-policy.js';
import { downloadToTemp, maxResultBytes } from '../../src/image/download.js';
import { base, image, png, scripts, served, serveScripts } from './scripted-server.js';

const dir = mkdtempSync(join(tmpdir(), 'upscale-download-limits-'));

serveScripts();

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const client = () => new HttpClient({ random: () => 0 });

/** Zeros after a PNG signature, as fast as the client takes them, until it hangs up. */
function endless(res: ServerResponse, length?: number) {
  res.writeHead(200, { 'content-type': 'image/png', ...(length ? { 'content-length': length } : {}) });
  const chunk = Buffer.alloc(64 * 1024);
  png.copy(chunk, 0, 0, 8);
  const pump = () => {
    while (!res.destroyed) if (!res.write(chunk)) return void res.once('drain', pump);
  };
  res.on('error', () => undefined);
  pump();
}

describe('maxResultBytes', () => {
  it('is the raw pixels at 8 bytes each plus 16 MiB; the provider’s largest output without a size', () => {
    expect(maxResultBytes({ width: 640, height: 480 })).toBe(640 * 480 * 8 + 16 * 1024 * 1024);
    // Creative's largest output, 25.3 MP: about 219 MB.
    expect(Math.round(maxResultBytes(undefined, 25_300_000) / 1e6)).toBe(219);
    expect(maxResultBytes(undefined)).toBe(100_000_000 * 8 + 16 * 1024 * 1024);
  });
});

describe('a body beyond the cap', () => {
  it('is cut as it arrives, not retried, and nothing of it is kept', async () => {
    scripts.set('/endless.png', [(res) => endless(res)]);
    const http = client();
    await expect(
      downloadToTemp(http, `${base}/endless.png`, join(dir, 'endless.png'), { maxBytes: 1_000_000 }),
    ).rejects.toMatchObject({ code: 'DOWNLOAD', message: expect.stringMatching(/went past 1 MB/) });
    expect(served.get('/endless.png')).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
    await http.close();
  });

  it('is refused on its Content-Length before the body is read', async () => {
    scripts.set('/declared.png', [(res) => endless(res, 2_000_000_000)]);
    const http = client();
    await expect(
      downloadToTemp(http, `${base}/declared.png`, join(dir, 'declared.png'), { maxBytes: 1_000_000 }),
    ).rejects.toMatchObject({ code: 'DOWNLOAD', message: expect.stringMatching(/announces 2000 MB/) });
    expect(served.get('/declared.png')).toBe(1);
    await http.close();
  });
});

describe('the minimum pace', () => {
  it('a body that trickles is cut after the window and tried again', async () => {
    scripts.set('/slow.png', [
      (res) => {
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length });
        let sent = 0;
        const timer = setInterval(() => {
          if (res.destroyed || sent >= png.length) return clearInterval(timer);
          res.write(png.subarray(sent, sent + 1));
          sent++;
        }, 100);
      },
      image,
    ]);
    const http = client();
    const started = Date.now();
    const got = await downloadToTemp(http, `${base}/slow.png`, join(dir, 'slow.png'), {
      minRate: { bytesPerSecond: 1024, windowMs: 400 },
    });
    expect(got).toMatchObject({ format: 'png', bytes: png.length });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(served.get('/slow.png')).toBe(2);
    await http.close();
  });
});

describe('storage that lags its task, and types that lie', () => {
  it('a 404 is retried within lagging404Ms, and final at once without it', async () => {
    scripts.set('/lag.png', [(res) => res.writeHead(404).end(), (res) => res.writeHead(404).end(), image]);
    const http = client();
    await expect(
      downloadToTemp(http, `${base}/lag.png`, join(dir, 'lag.png'), { lagging404Ms: 5000 }),
    ).resolves.toMatchObject({ bytes: png.length });
    expect(served.get('/lag.png')).toBe(3);
    scripts.set('/gone.png', [(res) => res.writeHead(404).end(), image]);
    await expect(downloadToTemp(http, `${base}/gone.png`, join(dir, 'gone.png'))).rejects.toMatchObject({
      status: 404,
    });
    expect(served.get('/gone.png')).toBe(1);
    await http.close();
  });

  it('a PNG served as text/plain is a PNG; text served as an image is not', async () => {
    scripts.set('/plain.png', [(res) => image(res, 'text/plain')]);
    scripts.set('/page.png', [
      (res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>sign in</html>'),
    ]);
    const http = client();
    await expect(downloadToTemp(http, `${base}/plain.png`, join(dir, 'plain.png'))).resolves.toMatchObject({
      format: 'png',
      thumbnail: { width: 8, height: 6 },
    });
    const once = { policy: { ...DOWNLOAD_POLICY, maxAttempts: 1 } };
    await expect(downloadToTemp(http, `${base}/page.png`, join(dir, 'page.png'), once)).rejects.toMatchObject(
      {
        message: 'download is not an image (content type text/html)',
      },
    );
    await http.close();
  });
});
