import crypto from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../../fixtures/emulator/index.js';
import { pollUntil, sleep, useTestEmulator } from './poll-until.js';

const PROCESSING_MS = 120;
const imagesDir = new URL('../../fixtures/images/', import.meta.url);

interface FreepikTask {
  task_id: string;
  status: string;
  generated: string[];
}
interface FreepikResponse {
  data: FreepikTask;
}
interface ProblemBody {
  message: string;
  invalid_params?: Array<{ name: string; reason: string }>;
}
interface NovitaResult {
  task: {
    task_id: string;
    task_type: string;
    status: string;
    reason: string;
    eta: number;
    progress_percent: number;
  };
  images: Array<{ image_url: string; image_url_ttl: string; image_type: string }>;
  extra: Record<string, unknown>;
}
interface NovitaError {
  code: number;
  reason: string;
  message: string;
  metadata: Record<string, unknown>;
}

let emu: Emulator;
let photo: string; // base64 of photo.jpg (320x240)
let small: string; // base64 of small.png (200x160)
let notAnImage: string;

function fpHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return { 'content-type': 'application/json', 'x-freepik-api-key': emu.keys.freepik, ...extra };
}
const comfyHeaders = () => ({
  'content-type': 'application/json',
  'x-api-key': emu.keys.comfy,
});
const novitaHeaders = () => ({
  'content-type': 'application/json',
  authorization: `Bearer ${emu.keys.novita}`,
});

async function post(path: string, body: unknown, headers: Record<string, string>, signal?: AbortSignal) {
  const init: RequestInit = {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
  if (signal) init.signal = signal;
  return fetch(`${emu.apiUrl}${path}`, init);
}
const get = (path: string, headers: Record<string, string>) => fetch(`${emu.apiUrl}${path}`, { headers });

async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

async function submitCreative(body: Record<string, unknown> = {}): Promise<FreepikTask> {
  const res = await post('/v1/ai/image-upscaler', { image: small, ...body }, fpHeaders());
  expect(res.status).toBe(200);
  return (await json<FreepikResponse>(res)).data;
}

const freepikStatus = async (product: string, id: string) =>
  (await json<FreepikResponse>(await get(`/v1/ai/${product}/${id}`, fpHeaders()))).data;

useTestEmulator(PROCESSING_MS, async (started) => {
  emu = started;
  photo = (await readFile(new URL('photo.jpg', imagesDir))).toString('base64');
  small = (await readFile(new URL('small.png', imagesDir))).toString('base64');
  notAnImage = (await readFile(new URL('not-an-image.jpg', imagesDir))).toString('base64');
});

describe('auth', () => {
  for (const product of ['image-upscaler', 'image-upscaler-precision', 'image-upscaler-precision-v2']) {
    it(`freepik ${product}: 401 missing / invalid key, both key headers accepted`, async () => {
      let res = await post(`/v1/ai/${product}`, { image: small }, { 'content-type': 'application/json' });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ message: 'Missing API key' });
      res = await post(`/v1/ai/${product}`, { image: small }, fpHeaders({ 'x-freepik-api-key': 'wrong' }));
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ message: 'Invalid API key' });
      res = await get(`/v1/ai/${product}/${crypto.randomUUID()}`, {});
      expect(res.status).toBe(401);

      res = await post(
        `/v1/ai/${product}`,
        { image: small },
        { 'content-type': 'application/json', 'x-magnific-api-key': emu.keys.freepik },
      );
      expect(res.status).toBe(200);
      expect(emu.requests.at(-1)?.authHeader).toBe('x-magnific-api-key');
      res = await post(`/v1/ai/${product}`, { image: small }, fpHeaders());
      expect(res.status).toBe(200);
      expect(emu.requests.at(-1)?.authHeader).toBe('x-freepik-api-key');
      expect(emu.submissions('freepik')).toBe(2);
    });
  }

  it('comfy: 401 with {error: {message, type}}; API key as X-API-KEY, JWT as Bearer', async () => {
    const path = '/proxy/freepik/v1/ai/image-upscaler';
    let res = await post(path, { image: small }, { 'content-type': 'application/json' });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { message: 'Missing API key', type: 'unauthorized' } });
    res = await post(
      path,
      { image: small },
      { 'content-type': 'application/json', authorization: 'Bearer nope' },
    );
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { message: 'Invalid token', type: 'unauthorized' } });
    // the Freepik key is not a Comfy key
    res = await post(path, { image: small }, fpHeaders());
    expect(res.status).toBe(401);

    res = await post(path, { image: small }, comfyHeaders());
    expect(res.status).toBe(200);
    res = await post(
      path,
      { image: small },
      { 'content-type': 'application/json', authorization: `Bearer ${emu.keys.comfyJwt}` },
    );
    expect(res.status).toBe(200);
    expect(emu.requests.filter((r) => r.status === 200).map((r) => [r.authHeader, r.credential])).toEqual([
      ['x-api-key', 'api-key'],
      ['authorization', 'jwt'],
    ]);
    expect(emu.submissions('comfy')).toBe(2);
  });

  it('novita: 401 with {code, reason, message, metadata}', async () => {
    const url = `${emu.cdnUrl}/static/photo.jpg`;
    let res = await post('/v3/async/image-upscaler', { image: url }, { 'content-type': 'application/json' });
    expect(res.status).toBe(401);
    let body = await json<NovitaError>(res);
    expect(body).toMatchObject({ code: 401, reason: 'INVALID_API_KEY', metadata: {} });
    expect(typeof body.message).toBe('string');
    res = await post(
      '/v3/async/image-upscaler',
      { image: url },
      { 'content-type': 'application/json', authorization: 'Bearer wrong' },
    );
    expect(res.status).toBe(403); // a wrong key is a 403 (seen live); a missing one a 401
    body = await json<NovitaError>(res);
    expect(body).toMatchObject({ code: 403, reason: 'INVALID_API_KEY' });
    res = await get(`/v3/async/task-result?task_id=${crypto.randomUUID()}`, {});
    expect(res.status).toBe(401);
    expect(emu.submissions()).toBe(0);
  });
});

describe('strict validation', () => {
  const invalidCreative: Array<[string, Record<string, unknown>, string]> = [
    ['integer as string', { creativity: '2' }, 'creativity'],
    ['float', { hdr: 1.5 }, 'hdr'],
    ['out of range', { resemblance: 11 }, 'resemblance'],
    ['out of range negative', { fractality: -11 }, 'fractality'],
    ['scale enum', { scale_factor: '3x' }, 'scale_factor'],
    ['scale as number', { scale_factor: 2 }, 'scale_factor'],
    ['engine enum', { engine: 'magnific_turbo' }, 'engine'],
    ['optimized_for enum', { optimized_for: 'portraits' }, 'optimized_for'],
    ['prompt type', { prompt: 5 }, 'prompt'],
    ['null value', { prompt: null }, 'prompt'],
    ['unknown field (typo)', { scale: '2x' }, 'scale'],
    ['relative webhook_url', { webhook_url: '/hook' }, 'webhook_url'],
  ];
  for (const [name, extra, field] of invalidCreative) {
    it(`creative rejects ${name} with problem+json`, async () => {
      const res = await post('/v1/ai/image-upscaler', { image: small, ...extra }, fpHeaders());
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      const body = await json<ProblemBody>(res);
      expect(body.message).toBe("Your request parameters didn't validate.");
      expect(body.invalid_params?.map((p) => p.name)).toContain(field);
      expect(emu.submissions()).toBe(0);
    });
  }

  it('rejects bad images: data: prefix, invalid base64, not an image, missing, non-string, URL on creative', async () => {
    const cases: Array<Record<string, unknown>> = [
      { image: `data:image/png;base64,${small}` },
      { image: `${small.slice(0, -2)}` }, // broken padding/length
      { image: 'not base64 at all!' },
      { image: notAnImage },
      { image: '' },
      {},
      { image: 42 },
      { image: `${emu.cdnUrl}/static/photo.jpg` }, // creative documents base64 only
    ];
    for (const body of cases) {
      const res = await post('/v1/ai/image-upscaler', body, fpHeaders());
      expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(400);
      const problem = await json<ProblemBody>(res);
      expect(problem.invalid_params?.[0]?.name).toBe('image');
    }
    expect(emu.submissions()).toBe(0);
  });

  it('rejects non-JSON bodies and wrong content types with {message}', async () => {
    let res = await post('/v1/ai/image-upscaler', '{"image": ', fpHeaders());
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(typeof (await json<ProblemBody>(res)).message).toBe('string');
    res = await post('/v1/ai/image-upscaler', [small], fpHeaders());
    expect(res.status).toBe(400);
    res = await post('/v1/ai/image-upscaler', { image: small }, fpHeaders({ 'content-type': 'text/plain' }));
    expect(res.status).toBe(400);
    expect(emu.submissions()).toBe(0);
  });

  it('precision v1: integer ranges, no scale field', async () => {
    for (const extra of [
      { sharpen: 101 },
      { smart_grain: -1 },
      { ultra_detail: '30' },
      { scale_factor: 2 },
    ]) {
      const res = await post('/v1/ai/image-upscaler-precision', { image: small, ...extra }, fpHeaders());
      expect(res.status).toBe(400);
    }
    const ok = await post(
      '/v1/ai/image-upscaler-precision',
      { image: small, sharpen: 0, smart_grain: 100, ultra_detail: 30 },
      fpHeaders(),
    );
    expect(ok.status).toBe(200);
    expect(emu.submissions('freepik-precision')).toBe(1);
  });

  it('precision v2: scale_factor integer 2..16 or matching string; flavor enum', async () => {
    for (const scale_factor of [1, 17, 2.5, '4x', '04', '17', true]) {
      const res = await post(
        '/v1/ai/image-upscaler-precision-v2',
        { image: small, scale_factor },
        fpHeaders(),
      );
      expect(res.status, String(scale_factor)).toBe(400);
    }
    let res = await post('/v1/ai/image-upscaler-precision-v2', { image: small, flavor: 'art' }, fpHeaders());
    expect(res.status).toBe(400);
    for (const scale_factor of [2, 16, '3', '16']) {
      res = await post(
        '/v1/ai/image-upscaler-precision-v2',
        { image: small, scale_factor, flavor: 'photo' },
        fpHeaders(),
      );
      expect(res.status, String(scale_factor)).toBe(200);
    }
    expect(emu.tasks.map((t) => t.scale)).toEqual([2, 16, 3, 16]);
  });

  it('creative: output over 25.3 MP is rejected', async () => {
    const big = await sharp({ create: { width: 400, height: 400, channels: 3, background: '#888' } })
      .png()
      .toBuffer();
    let res = await post(
      '/v1/ai/image-upscaler',
      { image: big.toString('base64'), scale_factor: '16x' },
      fpHeaders(),
    );
    expect(res.status).toBe(400); // 400*400*256 = 40.96 MP
    res = await post(
      '/v1/ai/image-upscaler',
      { image: big.toString('base64'), scale_factor: '8x' },
      fpHeaders(),
    );
    expect(res.status).toBe(200); // 10.24 MP
  });

  it('comfy: {error: {message, type}} bodies; accepts URL images', async () => {
    let res = await post(
      '/proxy/freepik/v1/ai/image-upscaler',
      { image: `data:image/png;base64,${small}` },
      comfyHeaders(),
    );
    expect(res.status).toBe(400);
    const body = await json<{ error: { message: string; type: string } }>(res);
    expect(body.error.type).toBe('bad_request');
    expect(body.error.message).toMatch(/data:/);
    res = await post('/proxy/freepik/v1/ai/image-upscaler', { image: small, creativity: 20 }, comfyHeaders());
    expect(res.status).toBe(400);
    res = await post(
      '/proxy/freepik/v1/ai/image-upscaler',
      { image: 'https://example.com/a.png' }, // not loopback: the emulator cannot reach it
      comfyHeaders(),
    );
    expect(res.status).toBe(400);
    expect((await json<{ error: { message: string } }>(res)).error.message).toMatch(/not reachable/);
    res = await post(
      '/proxy/freepik/v1/ai/image-upscaler',
      { image: `${emu.cdnUrl}/static/small.png` },
      comfyHeaders(),
    );
    expect(res.status).toBe(200);
    expect(emu.tasks[0]?.input).toMatchObject({ width: 200, height: 160, source: 'url' });
  });

  it('novita: URL only, enums, content type', async () => {
    const url = `${emu.cdnUrl}/static/photo.jpg`;
    const bad: Array<[Record<string, unknown>, Record<string, string>]> = [
      [{ image: photo }, novitaHeaders()],
      [{ image: `data:image/jpeg;base64,${photo}` }, novitaHeaders()],
      [{ image: 'https://example.com/x.jpg' }, novitaHeaders()],
      [{ image: url, resolution: '3k' }, novitaHeaders()],
      [{ image: url, output_format: 'jpg' }, novitaHeaders()],
      [{ image: url, extra: { webhook: { url: 'not a url' } } }, novitaHeaders()],
      [{ image: url, scale: 2 }, novitaHeaders()],
      [{ image: url }, { authorization: `Bearer ${emu.keys.novita}` }], // no Content-Type
    ];
    for (const [body, headers] of bad) {
      const res = await post('/v3/async/image-upscaler', body, headers);
      expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(400);
      const err = await json<NovitaError>(res);
      expect(err).toMatchObject({ code: 400, reason: 'INVALID_REQUEST_BODY', metadata: {} });
    }
    expect(emu.submissions()).toBe(0);
  });
});

describe('options', () => {
  it('strictLimits enforces the client-side limits (min side 160, aspect 1:3..3:1)', async () => {
    const tiny = (await readFile(new URL('tiny.png', imagesDir))).toString('base64');
    const wide = (await readFile(new URL('wide.png', imagesDir))).toString('base64');
    expect((await post('/v1/ai/image-upscaler', { image: tiny }, fpHeaders())).status).toBe(200);
    emu.set({ strictLimits: true });
    expect((await post('/v1/ai/image-upscaler', { image: tiny }, fpHeaders())).status).toBe(400);
    expect((await post('/v1/ai/image-upscaler', { image: wide }, fpHeaders())).status).toBe(400);
    expect((await post('/v1/ai/image-upscaler', { image: small }, fpHeaders())).status).toBe(200);
  });

  it('legacy response shapes: unwrapped task_status, generated objects, wrapped problem', async () => {
    emu.set({ freepikShape: 'legacy', processingMs: 0 });
    let res = await post('/v1/ai/image-upscaler', { image: small }, fpHeaders());
    const legacy = await json<{ task_id: string; task_status: string; generated: string[] }>(res);
    expect(legacy.task_status).toBe('CREATED');
    emu.set({ freepikShape: 'url-objects' });
    res = await get(`/v1/ai/image-upscaler/${legacy.task_id}`, fpHeaders());
    const objects = await json<{ data: { status: string; generated: Array<{ url: string }> } }>(res);
    expect(objects.data.status).toBe('COMPLETED');
    expect(objects.data.generated[0]?.url).toContain(emu.cdnUrl);
    emu.set({ problemShape: 'wrapped' });
    res = await post('/v1/ai/image-upscaler', { image: small, hdr: 99 }, fpHeaders());
    const wrapped = await json<{ problem: ProblemBody }>(res);
    expect(wrapped.problem.invalid_params?.[0]?.name).toBe('hdr');
  });

  it('fileOverride is served instead of a generated image', async () => {
    const override = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#f00' } })
      .webp()
      .toBuffer();
    emu.set({ fileOverride: override, processingMs: 0 });
    const t = await submitCreative();
    const url = (await freepikStatus('image-upscaler', t.task_id)).generated[0]!;
    expect(url).toMatch(/\.webp$/);
    const res = await fetch(url);
    expect(res.headers.get('content-type')).toBe('image/webp');
    expect(Buffer.from(await res.arrayBuffer()).equals(override)).toBe(true);
  });
});

describe('task lifecycle', () => {
  it('creative: CREATED -> IN_PROGRESS -> COMPLETED, file on the second origin', async () => {
    const created = await submitCreative({ scale_factor: '2x', prompt: 'a test' });
    expect(created.status).toBe('CREATED');
    expect(created.generated).toEqual([]);
    expect(created.task_id).toMatch(/^[0-9a-f-]{36}$/);

    const seen = await pollUntil(
      () => freepikStatus('image-upscaler', created.task_id),
      (t) => t.status === 'COMPLETED',
    );
    const statuses = [...new Set(seen.map((t) => t.status))];
    expect(statuses).toContain('IN_PROGRESS');
    expect(statuses.at(-1)).toBe('COMPLETED');
    for (const t of seen) if (t.status !== 'COMPLETED') expect(t.generated).toEqual([]);
    const done = seen.at(-1)!;
    expect(done.generated).toHaveLength(1);
    const fileUrl = done.generated[0]!;
    expect(fileUrl.startsWith(`${emu.cdnUrl}/files/${created.task_id}/`)).toBe(true);
    expect(fileUrl.startsWith(emu.apiUrl)).toBe(false);

    const file = await fetch(fileUrl);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('image/png');
    const buf = Buffer.from(await file.arrayBuffer());
    expect(Number(file.headers.get('content-length'))).toBe(buf.length);
    const meta = await sharp(buf).metadata();
    expect([meta.width, meta.height, meta.format]).toEqual([400, 320, 'png']);
    expect(emu.tasks[0]).toMatchObject({
      id: created.task_id,
      status: 'COMPLETED',
      params: { scale_factor: '2x', prompt: 'a test' },
      input: { width: 200, height: 160 },
      output: { width: 400, height: 320 },
    });
    expect(emu.cdnRequests).toHaveLength(1);
    expect(emu.keyLeaks).toEqual([]);
  });

  it('precision v1 starts IN_PROGRESS (no CREATED) and upscales 2x, jpeg output option', async () => {
    emu.set({ outputFormat: 'jpeg' });
    const res = await post('/v1/ai/image-upscaler-precision', { image: photo }, fpHeaders());
    const created = (await json<FreepikResponse>(res)).data;
    expect(created.status).toBe('IN_PROGRESS');
    const seen = await pollUntil(
      () => freepikStatus('image-upscaler-precision', created.task_id),
      (t) => t.status === 'COMPLETED',
    );
    expect(seen.some((t) => t.status === 'CREATED')).toBe(false);
    const url = seen.at(-1)!.generated[0]!;
    expect(url).toMatch(/\.jpg$/);
    const file = await fetch(url);
    expect(file.headers.get('content-type')).toBe('image/jpeg');
    const meta = await sharp(Buffer.from(await file.arrayBuffer())).metadata();
    expect([meta.width, meta.height]).toEqual([640, 480]);
  });

  it('precision v2 with a URL input and integer scale', async () => {
    const url = emu.addStatic('input.png', Buffer.from(small, 'base64'));
    const res = await post(
      '/v1/ai/image-upscaler-precision-v2',
      { image: url, scale_factor: 3 },
      fpHeaders(),
    );
    const created = (await json<FreepikResponse>(res)).data;
    expect(created.status).toBe('CREATED');
    expect(emu.requests.at(-1)?.body.image).toEqual({ length: url.length, kind: 'url', url });
    const seen = await pollUntil(
      () => freepikStatus('image-upscaler-precision-v2', created.task_id),
      (t) => t.status === 'COMPLETED',
    );
    const meta = await sharp(
      Buffer.from(await (await fetch(seen.at(-1)!.generated[0]!)).arrayBuffer()),
    ).metadata();
    expect([meta.width, meta.height]).toEqual([600, 480]);
    // tasks are per product: the v2 id is unknown to the creative route
    expect((await get(`/v1/ai/image-upscaler/${created.task_id}`, fpHeaders())).status).toBe(404);
  });

  it('comfy creative: status route and 404 Task not found', async () => {
    const res = await post(
      '/proxy/freepik/v1/ai/image-upscaler',
      { image: small, scale_factor: '4x' },
      comfyHeaders(),
    );
    const created = (await json<FreepikResponse>(res)).data;
    const seen = await pollUntil(
      async () =>
        (
          await json<FreepikResponse>(
            await get(`/proxy/freepik/v1/ai/image-upscaler/${created.task_id}`, comfyHeaders()),
          )
        ).data,
      (t) => t.status === 'COMPLETED',
    );
    expect(seen.at(-1)!.generated[0]).toContain(emu.cdnUrl);
    const miss = await get(`/proxy/freepik/v1/ai/image-upscaler/${crypto.randomUUID()}`, comfyHeaders());
    expect(miss.status).toBe(404);
    expect(await miss.json()).toEqual({ error: { message: 'Task not found', type: 'not_found' } });
    expect(emu.tasks[0]?.output).toMatchObject({ width: 800, height: 640 });
  });

  it('unknown or malformed ids give 404 {"message":"Not found"}', async () => {
    for (const id of [crypto.randomUUID(), 'not-a-uuid', '../etc']) {
      const res = await get(`/v1/ai/image-upscaler/${encodeURIComponent(id)}`, fpHeaders());
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ message: 'Not found' });
    }
  });

  it('list endpoint returns {data:[{task_id,status}]} per product', async () => {
    const a = await submitCreative();
    const b = await submitCreative();
    await post('/v1/ai/image-upscaler-precision', { image: small }, fpHeaders());
    const res = await get('/v1/ai/image-upscaler', fpHeaders());
    expect(res.status).toBe(200);
    const list = await json<{ data: Array<{ task_id: string; status: string }> }>(res);
    expect(list.data.map((t) => t.task_id).sort()).toEqual([a.task_id, b.task_id].sort());
    for (const t of list.data) expect(['CREATED', 'IN_PROGRESS', 'COMPLETED']).toContain(t.status);
  });

  it('scripted FAILED and NEVER outcomes', async () => {
    emu.script('outcome', ['FAILED', 'NEVER']);
    const failed = await submitCreative();
    const never = await submitCreative();
    const seen = await pollUntil(
      () => freepikStatus('image-upscaler', failed.task_id),
      (t) => t.status === 'FAILED',
    );
    expect(seen.at(-1)?.generated).toEqual([]);
    await sleep(PROCESSING_MS);
    const stuck = await freepikStatus('image-upscaler', never.task_id);
    expect(stuck.status).toBe('IN_PROGRESS');
    expect(stuck.generated).toEqual([]);
    // a file URL of a failed task does not exist
    expect(emu.tasks.map((t) => t.outcome)).toEqual(['FAILED', 'NEVER']);
  });

  it('scripted results: generated lists several URLs, each a download of the image', async () => {
    expect(() => emu.script('outcome', [{ results: 0 }])).toThrow(/results must be an integer >= 1/);
    emu.script('outcome', [{ results: 3 }]);
    const t = await submitCreative();
    const seen = await pollUntil(
      () => freepikStatus('image-upscaler', t.task_id),
      (s) => s.status === 'COMPLETED' && s.generated.length > 0,
    );
    const urls = seen.at(-1)!.generated as string[];
    expect(new Set(urls).size).toBe(3);
    for (const url of urls) {
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect((await sharp(Buffer.from(await res.arrayBuffer())).metadata()).width).toBeGreaterThan(0);
    }
  });

  it('failRate: 1 fails every task', async () => {
    emu.set({ failRate: 1 });
    const submitted = [await submitCreative(), await submitCreative(), await submitCreative()];
    for (const t of submitted) {
      // Wait for the final status, whatever it is, so a task that completes fails the test here.
      const seen = await pollUntil(
        () => freepikStatus('image-upscaler', t.task_id),
        (s) => s.status !== 'CREATED' && s.status !== 'IN_PROGRESS',
      );
      expect(seen.at(-1)).toEqual({ task_id: t.task_id, status: 'FAILED', generated: [] });
    }
    expect(emu.tasks.map((t) => [t.outcome, t.published])).toEqual([
      ['FAILED', false],
      ['FAILED', false],
      ['FAILED', false],
    ]);
  });
});

describe('novita', () => {
  const result = async (id: string) =>
    json<NovitaResult>(await get(`/v3/async/task-result?task_id=${id}`, novitaHeaders()));

  it('QUEUED -> PROCESSING (progress grows) -> SUCCEED; long side = resolution; signed URL', async () => {
    emu.set({ processingMs: 400 });
    const image = `${emu.cdnUrl}/static/photo.jpg`;
    const res = await post(
      '/v3/async/image-upscaler',
      { image, resolution: '2k', output_format: 'png' },
      novitaHeaders(),
    );
    expect(res.status).toBe(200);
    const { task_id } = await json<{ task_id: string }>(res);
    expect(typeof task_id).toBe('string');

    const seen = await pollUntil(
      () => result(task_id),
      (r) => r.task.status === 'TASK_STATUS_SUCCEED',
    );
    const statuses = [...new Set(seen.map((r) => r.task.status))];
    expect(statuses).toEqual(['TASK_STATUS_QUEUED', 'TASK_STATUS_PROCESSING', 'TASK_STATUS_SUCCEED']);
    const progress = seen.map((r) => r.task.progress_percent);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!).toBeGreaterThanOrEqual(progress[i - 1]!);
    expect(progress.some((p) => p > 0 && p < 100)).toBe(true);
    for (const r of seen.filter((x) => x.task.status !== 'TASK_STATUS_SUCCEED')) {
      expect(r.images).toEqual([]);
      expect(r.task.eta).toBeGreaterThanOrEqual(0);
    }
    const last = seen.at(-1)!;
    expect(last.task).toMatchObject({
      task_id,
      task_type: 'IMAGE_UPSCALER',
      reason: '',
      progress_percent: 100,
      eta: 0,
    });
    expect(last.extra).toEqual({});
    expect(last.images).toHaveLength(1);
    const img = last.images[0]!;
    expect(img.image_url_ttl).toBe('3600');
    expect(img.image_type).toBe('png');
    expect(img.image_url.startsWith(emu.cdnUrl)).toBe(true);

    const file = await fetch(img.image_url);
    expect(file.headers.get('content-type')).toBe('image/png');
    const meta = await sharp(Buffer.from(await file.arrayBuffer())).metadata();
    expect([meta.width, meta.height]).toEqual([2048, 1536]);
    // the URL's query (signature) is required, like a presigned URL
    const unsigned = await fetch(img.image_url.split('?')[0]!);
    expect(unsigned.status).toBe(403);
    // the emulator fetched the input itself; that fetch is marked internal
    expect(emu.cdnRequests.filter((r) => r.internal).map((r) => r.path)).toEqual(['/static/photo.jpg']);
  });

  it('defaults: 4k and jpeg; portrait keeps aspect ratio', async () => {
    const portrait = await sharp({ create: { width: 150, height: 300, channels: 3, background: '#246' } })
      .png()
      .toBuffer();
    const image = emu.addStatic('portrait.png', portrait);
    const res = await post('/v3/async/image-upscaler', { image }, novitaHeaders());
    const { task_id } = await json<{ task_id: string }>(res);
    expect(emu.task(task_id)?.output).toEqual({ width: 2048, height: 4096, format: 'jpeg' });
    const seen = await pollUntil(
      () => result(task_id),
      (r) => r.task.status === 'TASK_STATUS_SUCCEED',
    );
    expect(seen.at(-1)?.images[0]?.image_type).toBe('jpeg');
  });

  it('failure has TASK_STATUS_FAILED and a reason; unknown task 404', async () => {
    emu.script('outcome', [{ outcome: 'FAILED', reason: 'NSFW detected' }], { provider: 'novita' });
    const res = await post(
      '/v3/async/image-upscaler',
      { image: `${emu.cdnUrl}/static/small.png` },
      novitaHeaders(),
    );
    const { task_id } = await json<{ task_id: string }>(res);
    const seen = await pollUntil(
      () => result(task_id),
      (r) => r.task.status === 'TASK_STATUS_FAILED',
    );
    expect(seen.at(-1)?.task.reason).toBe('NSFW detected');
    expect(seen.at(-1)?.images).toEqual([]);
    const miss = await get(`/v3/async/task-result?task_id=${crypto.randomUUID()}`, novitaHeaders());
    expect(miss.status).toBe(404);
    expect((await json<NovitaError>(miss)).code).toBe(404);
  });
});

describe('scripted faults', () => {
  it('429 with Retry-After, in the provider error style, creates no task', async () => {
    emu.script('submit', [{ status: 429, retryAfter: '1' }, 503]);
    let res = await post('/v1/ai/image-upscaler', { image: small }, fpHeaders());
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(typeof (await json<ProblemBody>(res)).message).toBe('string');
    res = await post('/v1/ai/image-upscaler', { image: small }, fpHeaders());
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBeNull();
    res = await post('/v1/ai/image-upscaler', { image: small }, fpHeaders());
    expect(res.status).toBe(200);
    expect(emu.submissions()).toBe(1);
    expect(emu.requests.map((r) => r.fault)).toEqual([
      JSON.stringify({ status: 429, retryAfter: '1' }),
      '503',
      null,
    ]);
  });

  it('HTTP-date Retry-After and a provider filter', async () => {
    const date = new Date(Date.now() + 2000).toUTCString();
    emu.script('submit', [{ status: 429, retryAfter: date }], { provider: 'novita' });
    // freepik is not affected
    expect((await post('/v1/ai/image-upscaler', { image: small }, fpHeaders())).status).toBe(200);
    const res = await post(
      '/v3/async/image-upscaler',
      { image: `${emu.cdnUrl}/static/small.png` },
      novitaHeaders(),
    );
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe(date);
    expect(await json<NovitaError>(res)).toMatchObject({ code: 429, metadata: {} });
  });

  it("'reset' destroys the socket and creates no task", async () => {
    emu.script('submit', ['reset']);
    await expect(post('/v1/ai/image-upscaler', { image: small }, fpHeaders())).rejects.toThrow();
    expect(emu.submissions()).toBe(0);
    expect(emu.requests[0]?.status).toBe(0);
  });

  it("'reset-after-create' creates the task although the client saw a reset", async () => {
    emu.script('submit', ['reset-after-create']);
    await expect(post('/v1/ai/image-upscaler', { image: small }, fpHeaders())).rejects.toThrow();
    expect(emu.submissions()).toBe(1);
    const id = emu.requests[0]?.taskId;
    expect(id).toBeTruthy();
    // the task is real: the list endpoint shows it
    const list = await json<{ data: Array<{ task_id: string }> }>(
      await get('/v1/ai/image-upscaler', fpHeaders()),
    );
    expect(list.data.map((t) => t.task_id)).toEqual([id]);
  });

  it('delayMs: a client that gives up before the answer creates no task', async () => {
    emu.script('submit', [{ delayMs: 250 }]);
    await expect(
      post('/v1/ai/image-upscaler', { image: small }, fpHeaders(), AbortSignal.timeout(60)),
    ).rejects.toThrow();
    await sleep(300);
    expect(emu.submissions()).toBe(0);
    emu.script('submit', [{ delayMs: 30 }]);
    expect((await post('/v1/ai/image-upscaler', { image: small }, fpHeaders())).status).toBe(200);
    expect(emu.submissions()).toBe(1);
  });

  it('html502, not-json and wrong-shape on status', async () => {
    const t = await submitCreative();
    emu.script('status', ['html502', 'not-json', 'wrong-shape']);
    let res = await get(`/v1/ai/image-upscaler/${t.task_id}`, fpHeaders());
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toBe('text/html');
    res = await get(`/v1/ai/image-upscaler/${t.task_id}`, fpHeaders());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.text()).toBe('<html>oops</html>');
    res = await get(`/v1/ai/image-upscaler/${t.task_id}`, fpHeaders());
    expect(await res.json()).toEqual({ foo: 1 });
    res = await get(`/v1/ai/image-upscaler/${t.task_id}`, fpHeaders());
    expect((await json<FreepikResponse>(res)).data.task_id).toBe(t.task_id);
  });

  it('download faults: truncate, html200, 404, then the real file', async () => {
    const t = await submitCreative();
    const [done] = (
      await pollUntil(
        () => freepikStatus('image-upscaler', t.task_id),
        (s) => s.status === 'COMPLETED',
      )
    ).slice(-1);
    const url = done!.generated[0]!;
    emu.script('download', ['truncate', 'html200', { status: 404 }, 'reset-mid']);
    await expect(fetch(url).then((r) => r.arrayBuffer())).rejects.toThrow();
    const html = await fetch(url);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toBe('text/html');
    await html.arrayBuffer();
    expect((await fetch(url)).status).toBe(404);
    await expect(fetch(url).then((r) => r.arrayBuffer())).rejects.toThrow();
    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect((await sharp(Buffer.from(await ok.arrayBuffer())).metadata()).width).toBe(400);
  });

  it('random faults are seeded and reproducible; submit faults never create tasks', async () => {
    const run = async () => {
      emu.reset();
      emu.set({ faultRate: 0.5, faultKinds: [429, 503], seed: 42 });
      const codes: number[] = [];
      for (let i = 0; i < 12; i++)
        codes.push((await post('/v1/ai/image-upscaler', { image: small }, fpHeaders())).status);
      return { codes, created: emu.submissions() };
    };
    const a = await run();
    const b = await run();
    expect(a).toEqual(b);
    expect(a.codes.some((c) => c !== 200)).toBe(true);
    expect(a.created).toBe(a.codes.filter((c) => c === 200).length);
  });
});

describe('second origin', () => {
  it('flags API keys sent to the file origin', async () => {
    const t = await submitCreative();
    const [done] = (
      await pollUntil(
        () => freepikStatus('image-upscaler', t.task_id),
        (s) => s.status === 'COMPLETED',
      )
    ).slice(-1);
    const url = done!.generated[0]!;
    await (await fetch(url)).arrayBuffer();
    expect(emu.keyLeaks).toHaveLength(0);
    await (await fetch(url, { headers: { 'x-freepik-api-key': emu.keys.freepik } })).arrayBuffer();
    await (await fetch(url, { headers: { authorization: `Bearer ${emu.keys.novita}` } })).arrayBuffer();
    await (await fetch(url, { headers: { 'x-custom': `k=${emu.keys.comfy}` } })).arrayBuffer();
    expect(emu.keyLeaks).toHaveLength(3);
    expect(emu.keyLeaks.map((l) => l.leaks?.[0]?.key)).toEqual(['freepik', 'novita', 'comfy']);
    expect(emu.cdnRequests).toHaveLength(4);
  });

  it('serves static inputs and 404s unknown paths', async () => {
    const res = await fetch(`${emu.cdnUrl}/static/photo.jpg`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect((await sharp(Buffer.from(await res.arrayBuffer())).metadata()).width).toBe(320);
    expect((await fetch(`${emu.cdnUrl}/static/nope.png`)).status).toBe(404);
    expect((await fetch(`${emu.cdnUrl}/files/${crypto.randomUUID()}/x.png`)).status).toBe(404);
    expect((await fetch(`${emu.cdnUrl}/elsewhere`)).status).toBe(404);
  });
});

describe('webhooks', () => {
  it('freepik: signed task objects on each status change; novita: ASYNC_TASK_RESULT', async () => {
    const received: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const hook = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    try {
      const t = await submitCreative({ webhook_url: hook });
      await post(
        '/v3/async/image-upscaler',
        { image: `${emu.cdnUrl}/static/small.png`, resolution: '2k', extra: { webhook: { url: hook } } },
        novitaHeaders(),
      );
      await submitCreative({ webhook_url: 'https://example.com/hook' }); // not loopback: never delivered
      await pollUntil(
        async () => received.length,
        (n) => n >= 4,
      );
      await sleep(50);
      const fp = received.filter((r) => r.headers['webhook-id']);
      expect(fp.map((r) => JSON.parse(r.body).status)).toEqual(['IN_PROGRESS', 'COMPLETED']);
      const completed = JSON.parse(fp[1]!.body) as FreepikTask;
      expect(completed.task_id).toBe(t.task_id);
      expect(completed.generated).toHaveLength(1);
      for (const r of fp) {
        const id = String(r.headers['webhook-id']);
        const ts = String(r.headers['webhook-timestamp']);
        const mac = crypto
          .createHmac('sha256', 'whsec_test')
          .update(`${id}.${ts}.${r.body}`)
          .digest('base64');
        expect(r.headers['webhook-signature']).toBe(`v1,${mac}`);
      }
      const nv = received.filter((r) => !r.headers['webhook-id']).map((r) => JSON.parse(r.body));
      expect(nv.map((b) => b.event_type)).toEqual(['ASYNC_TASK_RESULT', 'ASYNC_TASK_RESULT']);
      expect(nv.map((b) => b.payload.task.status)).toEqual(['TASK_STATUS_PROCESSING', 'TASK_STATUS_SUCCEED']);
      expect(emu.webhooks.filter((w) => w.skipped).length).toBeGreaterThan(0);
      expect(received).toHaveLength(4);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('control endpoints', () => {
  it('script / set / state / reset over HTTP', async () => {
    let res = await fetch(`${emu.apiUrl}/__emulator/script`, {
      method: 'POST',
      body: JSON.stringify({ route: 'submit', responses: [500] }),
    });
    expect(res.status).toBe(200);
    expect((await post('/v1/ai/image-upscaler', { image: small }, fpHeaders())).status).toBe(500);
    res = await fetch(`${emu.apiUrl}/__emulator/set`, {
      method: 'POST',
      body: JSON.stringify({ processingMs: 0 }),
    });
    expect(res.status).toBe(200);
    const t = await submitCreative();
    expect((await freepikStatus('image-upscaler', t.task_id)).status).toBe('COMPLETED');
    const state = (await (await fetch(`${emu.apiUrl}/__emulator/state`)).json()) as {
      submissions: { total: number; byVariant: Record<string, number> };
      requests: unknown[];
    };
    expect(state.submissions.total).toBe(1);
    expect(state.submissions.byVariant['freepik-creative']).toBe(1);
    expect(state.requests).toHaveLength(3);
    await fetch(`${emu.apiUrl}/__emulator/reset`, { method: 'POST' });
    expect(emu.requests).toHaveLength(0);
    expect(emu.submissions()).toBe(0);
  });
});
