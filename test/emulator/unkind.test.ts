// The emulator's "unkind" knobs: what the live services were seen doing beyond their docs
// (submits that create a task and then answer badly, paged lists, sizes off by a few pixels or
// by a whole factor, empty completions, CANCELED/ERROR, slow or silently cut downloads, uneven
// durations). Every test talks real HTTP to the emulator.
import crypto from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../fixtures/emulator/index.js';
import { keyHeaders, pollUntil, sleep, useTestEmulator } from './poll-until.js';

const PROCESSING_MS = 80;
const imagesDir = new URL('../../fixtures/images/', import.meta.url);

interface FreepikTask {
  task_id: string;
  status: string;
  generated: string[];
}
interface ListBody {
  data: Array<{ task_id: string; status: string }>;
  meta?: { pagination: { current_page: number; last_page: number; per_page: number; total: number } };
}
interface NovitaResult {
  task: { task_id: string; status: string; reason: string };
  images: Array<{ image_url: string }>;
}

let emu: Emulator;
let small: string; // base64 of small.png (200x160)

const fpHeaders = () => keyHeaders(emu.keys).freepik();
const comfyHeaders = () => keyHeaders(emu.keys).comfy();
const novitaHeaders = () => keyHeaders(emu.keys).novita();

function post(path: string, body: unknown, headers: Record<string, string>, signal?: AbortSignal) {
  const init: RequestInit = { method: 'POST', headers, body: JSON.stringify(body) };
  if (signal) init.signal = signal;
  return fetch(`${emu.apiUrl}${path}`, init);
}
const get = (path: string, headers: Record<string, string> = fpHeaders()) =>
  fetch(`${emu.apiUrl}${path}`, { headers });

/** Submits to a Freepik product and returns the created task. */
async function submit(product: string, body: Record<string, unknown> = {}): Promise<FreepikTask> {
  const res = await post(`/v1/ai/${product}`, { image: small, ...body }, fpHeaders());
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: FreepikTask }).data;
}
async function status(product: string, id: string): Promise<FreepikTask> {
  return ((await (await get(`/v1/ai/${product}/${id}`)).json()) as { data: FreepikTask }).data;
}
async function list(query = ''): Promise<ListBody> {
  const res = await get(`/v1/ai/image-upscaler${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as ListBody;
}
async function novitaResult(id: string): Promise<NovitaResult> {
  return (await (await get(`/v3/async/task-result?task_id=${id}`, novitaHeaders())).json()) as NovitaResult;
}

const isFinal = (t: FreepikTask) => !['CREATED', 'IN_PROGRESS'].includes(t.status);
async function finalStatus(product: string, id: string): Promise<FreepikTask> {
  return (await pollUntil(() => status(product, id), isFinal)).at(-1)!;
}

/** A solid PNG of the given size, base64. */
async function pngOf(width: number, height: number): Promise<string> {
  const buf = await sharp({ create: { width, height, channels: 3, background: { r: 40, g: 90, b: 160 } } })
    .png()
    .toBuffer();
  return buf.toString('base64');
}
async function sizeOf(url: string): Promise<[number | undefined, number | undefined]> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
  return [meta.width, meta.height];
}

/** A completed creative task's file URL. */
async function completedFileUrl(): Promise<string> {
  const t = await submit('image-upscaler');
  const done = await finalStatus('image-upscaler', t.task_id);
  expect(done.status).toBe('COMPLETED');
  return done.generated[0]!;
}

useTestEmulator(PROCESSING_MS, async (started) => {
  emu = started;
  small = (await readFile(new URL('small.png', imagesDir))).toString('base64');
});

describe('submit faults that create the task, then answer badly', () => {
  /** The task behind a garbled submit is a normal one: listed, completes, downloadable. */
  async function expectRealTask() {
    expect(emu.submissions()).toBe(1);
    const id = emu.requests.find((r) => r.route === 'submit')?.taskId;
    expect(id).toBeTruthy();
    expect((await list()).data.map((t) => t.task_id)).toEqual([id]);
    const done = await finalStatus('image-upscaler', id!);
    expect(done.status).toBe('COMPLETED');
    expect(await sizeOf(done.generated[0]!)).toEqual([400, 320]);
  }

  it("'create-then-500': 500 with the provider's JSON error body", async () => {
    emu.script('submit', ['create-then-500']);
    const res = await post('/v1/ai/image-upscaler', { image: small }, fpHeaders());
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ message: 'Internal Server Error' });
    await expectRealTask();
  });

  it("'create-then-html502': a 502 text/html page", async () => {
    emu.script('submit', ['create-then-html502']);
    const res = await post('/v1/ai/image-upscaler', { image: small }, fpHeaders());
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toBe('text/html');
    expect(await res.text()).toContain('502 Bad Gateway');
    await expectRealTask();
  });

  it("'create-then-not-json': 200 with a body that is not JSON", async () => {
    emu.script('submit', ['create-then-not-json']);
    const res = await post('/v1/ai/image-upscaler', { image: small }, fpHeaders());
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(() => JSON.parse(text)).toThrow();
    expect(text).toBe('<html>oops</html>');
    await expectRealTask();
  });

  it("'create-then-hang': never answers until the client gives up", async () => {
    emu.script('submit', ['create-then-hang']);
    const ac = new AbortController();
    const pending = post('/v1/ai/image-upscaler', { image: small }, fpHeaders(), ac.signal);
    // still no answer well after the task exists; then the client gives up
    await pollUntil(
      async () => emu.submissions(),
      (n) => n === 1,
    );
    const answered = await Promise.race([pending.then(() => true), sleep(150).then(() => false)]);
    expect(answered).toBe(false);
    ac.abort();
    await expect(pending).rejects.toThrow();
    expect(emu.requests[0]?.status).toBe(0);
    await expectRealTask();
  });

  it('auth and validation come first: a bad request is never created', async () => {
    emu.script('submit', ['create-then-500', 'create-then-hang']);
    const bad = await post('/v1/ai/image-upscaler', { image: `data:image/png;base64,${small}` }, fpHeaders());
    expect(bad.status).toBe(400);
    const noKey = await post(
      '/v1/ai/image-upscaler',
      { image: small },
      { 'content-type': 'application/json' },
    );
    expect(noKey.status).toBe(401);
    expect(emu.submissions()).toBe(0);
    expect(emu.requests.map((r) => r.fault)).toEqual(['create-then-500', 'create-then-hang']);
  });

  it('drawn from the random pool on submits only; Comfy gets its own error body', async () => {
    emu.set({ faultRate: 1, faultKinds: ['create-then-500'] });
    const res = await post('/proxy/freepik/v1/ai/image-upscaler', { image: small }, comfyHeaders());
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({
      error: { message: 'Internal Server Error', type: 'internal_server_error' },
    });
    expect(emu.submissions('comfy-creative')).toBe(1);
    const id = emu.requests[0]!.taskId!;
    // status polls are not affected: the pool has nothing for them
    const st = await get(`/proxy/freepik/v1/ai/image-upscaler/${id}`, comfyHeaders());
    expect(st.status).toBe(200);
    expect(emu.requests.at(-1)?.fault).toBeNull();
  });

  it('on other routes only the part after "then" applies', async () => {
    const t = await submit('image-upscaler');
    emu.script('status', ['create-then-html502']);
    const res = await get(`/v1/ai/image-upscaler/${t.task_id}`);
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toBe('text/html');
    expect(emu.submissions()).toBe(1);
  });
});

describe('task list: newest first, paginated with listPageSize', () => {
  it('without listPageSize: every task on one page, newest first, no meta', async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await submit('image-upscaler')).task_id);
    const body = await list('?page=2&per_page=1'); // paging query is ignored here
    expect(body.data.map((t) => t.task_id)).toEqual(ids.reverse());
    expect(body.meta).toBeUndefined();
  });

  it('pages of listPageSize with meta.pagination; per_page is capped; past the end is empty', async () => {
    emu.set({ listPageSize: 2 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await submit('image-upscaler')).task_id);
    await submit('image-upscaler-precision'); // another product: not in this list
    const newest = [...ids].reverse();

    let body = await list();
    expect(body.data.map((t) => t.task_id)).toEqual(newest.slice(0, 2));
    expect(body.meta).toEqual({ pagination: { current_page: 1, last_page: 3, per_page: 2, total: 5 } });
    body = await list('?page=3');
    expect(body.data.map((t) => t.task_id)).toEqual(newest.slice(4));
    body = await list('?page=2&per_page=1');
    expect(body.data.map((t) => t.task_id)).toEqual([newest[1]]);
    expect(body.meta?.pagination).toEqual({ current_page: 2, last_page: 5, per_page: 1, total: 5 });
    body = await list('?per_page=100');
    expect(body.data).toHaveLength(2);
    expect(body.meta?.pagination.per_page).toBe(2);
    body = await list('?page=4');
    expect(body.data).toEqual([]);
    expect(body.meta?.pagination).toMatchObject({ current_page: 4, last_page: 3, total: 5 });
  });

  it('page / per_page that are not positive integers: 400 problem+json', async () => {
    emu.set({ listPageSize: 2 });
    let res = await get('/v1/ai/image-upscaler?page=0');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toEqual({
      message: "Your request parameters didn't validate.",
      invalid_params: [{ name: 'page', reason: "Parameter 'page' must be greater than 0" }],
    });
    res = await get('/v1/ai/image-upscaler?page=abc&per_page=-1');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { invalid_params: Array<{ name: string }> }).invalid_params).toEqual([
      { name: 'page', reason: "Parameter 'page' must be greater than 0" },
      { name: 'per_page', reason: "Parameter 'per_page' must be greater than 0" },
    ]);
    for (const q of ['per_page=1.5', 'page=', 'page=%201']) {
      expect((await get(`/v1/ai/image-upscaler?${q}`)).status).toBe(400);
    }
  });

  it('list faults: 500, reset and html502, then the real list', async () => {
    await submit('image-upscaler');
    emu.script('list', [500, 'reset', 'html502']);
    let res = await get('/v1/ai/image-upscaler');
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ message: 'Internal Server Error' });
    await expect(get('/v1/ai/image-upscaler')).rejects.toThrow();
    res = await get('/v1/ai/image-upscaler');
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toBe('text/html');
    expect((await list()).data).toHaveLength(1);
  });
});

describe('outputRounding', () => {
  it("'floor4' floors the input sides to a multiple of 4 before scaling (758x647 at 4x -> 3024x2576)", async () => {
    const image = await pngOf(758, 647);
    let t = await submit('image-upscaler', { image, scale_factor: '4x' });
    expect(emu.task(t.task_id)?.output).toMatchObject({ width: 3032, height: 2588 }); // default: exact
    emu.set({ outputRounding: 'floor4' });
    t = await submit('image-upscaler', { image, scale_factor: '4x' });
    expect(emu.task(t.task_id)?.output).toMatchObject({ width: 3024, height: 2576 });
  });

  it('applies to creative, precision v1 / v2 and Comfy (the file too), not to Novita', async () => {
    emu.set({ outputRounding: 'floor4' });
    const image = await pngOf(202, 161);
    const creative = await submit('image-upscaler', { image, scale_factor: '2x' });
    const v1 = await submit('image-upscaler-precision', { image });
    const v2 = await submit('image-upscaler-precision-v2', { image, scale_factor: 3 });
    const comfyRes = await post(
      '/proxy/freepik/v1/ai/image-upscaler-precision-v2',
      { image, scale_factor: 2 },
      comfyHeaders(),
    );
    const comfy = ((await comfyRes.json()) as { data: FreepikTask }).data;
    const url = emu.addStatic('odd.png', Buffer.from(image, 'base64'));
    const nv = (await (
      await post('/v3/async/image-upscaler', { image: url, resolution: '2k' }, novitaHeaders())
    ).json()) as { task_id: string };
    const out = (id: string) => {
      const o = emu.task(id)?.output;
      return [o?.width, o?.height];
    };
    expect(out(creative.task_id)).toEqual([400, 320]);
    expect(out(v1.task_id)).toEqual([400, 320]);
    expect(out(v2.task_id)).toEqual([600, 480]);
    expect(out(comfy.task_id)).toEqual([400, 320]);
    expect(out(nv.task_id)).toEqual([2048, 1632]); // 161 × 2048 / 202, not floored
    const done = await finalStatus('image-upscaler', creative.task_id);
    expect(await sizeOf(done.generated[0]!)).toEqual([400, 320]);
  });
});

describe('wrong scale', () => {
  it('outcome script { scale } makes the task use that scale (precision v2 asked 4, got 2)', async () => {
    emu.script('outcome', [{ scale: 2 }]);
    const t = await submit('image-upscaler-precision-v2', { scale_factor: 4 });
    expect(emu.task(t.task_id)).toMatchObject({
      scale: 4,
      outputScale: 2,
      output: { width: 400, height: 320 },
    });
    const done = await finalStatus('image-upscaler-precision-v2', t.task_id);
    expect(await sizeOf(done.generated[0]!)).toEqual([400, 320]);
  });

  it('wrongScaleRate: 1 halves scales >= 4 (floored) and gives 1 below', async () => {
    emu.set({ wrongScaleRate: 1 });
    const cases: Array<[string, Record<string, unknown>, number]> = [
      ['image-upscaler-precision-v2', { scale_factor: 4 }, 2],
      ['image-upscaler-precision-v2', { scale_factor: 5 }, 2],
      ['image-upscaler-precision-v2', { scale_factor: 16 }, 8],
      ['image-upscaler-precision-v2', { scale_factor: 3 }, 1],
      ['image-upscaler', { scale_factor: '2x' }, 1],
      ['image-upscaler-precision', {}, 1],
    ];
    for (const [product, body, expected] of cases) {
      const t = await submit(product, body);
      const snap = emu.task(t.task_id)!;
      expect(snap.outputScale).toBe(expected);
      expect(snap.output).toMatchObject({ width: 200 * expected, height: 160 * expected });
    }
  });

  it('wrongScaleRate draws are seeded and reproducible', async () => {
    const run = async () => {
      emu.reset();
      emu.set({ wrongScaleRate: 0.5, seed: 11 });
      const scales: number[] = [];
      for (let i = 0; i < 10; i++) {
        const t = await submit('image-upscaler-precision-v2', { scale_factor: 4 });
        scales.push(emu.task(t.task_id)!.outputScale);
      }
      return scales;
    };
    const a = await run();
    expect(await run()).toEqual(a);
    expect(new Set(a)).toEqual(new Set([2, 4]));
  });
});

describe('empty completion', () => {
  it('emptyForMs: COMPLETED with generated [] and a 404 file, then the URL appears', async () => {
    emu.script('outcome', [{ emptyForMs: 400 }]);
    const t = await submit('image-upscaler-precision');
    const first = await finalStatus('image-upscaler-precision', t.task_id);
    expect(first).toMatchObject({ status: 'COMPLETED', generated: [] });
    const snap = emu.task(t.task_id)!;
    expect(snap).toMatchObject({ emptyForMs: 400, published: false });
    expect((await fetch(snap.fileUrl)).status).toBe(404);
    const seen = await pollUntil(
      () => status('image-upscaler-precision', t.task_id),
      (s) => s.generated.length > 0,
    );
    expect(seen.every((s) => s.status === 'COMPLETED')).toBe(true);
    expect(seen.at(-1)!.generated).toEqual([snap.fileUrl]);
    expect(await sizeOf(snap.fileUrl)).toEqual([400, 320]);
    expect(emu.task(t.task_id)?.published).toBe(true);
  });

  it("'forever' (or Infinity) never fills generated; the file stays 404", async () => {
    emu.script('outcome', [{ emptyForMs: 'forever' }, { emptyForMs: Number.POSITIVE_INFINITY }]);
    const a = await submit('image-upscaler-precision');
    const b = await submit('image-upscaler-precision');
    await sleep(PROCESSING_MS + 200);
    for (const t of [a, b]) {
      expect(await status('image-upscaler-precision', t.task_id)).toMatchObject({
        status: 'COMPLETED',
        generated: [],
      });
      expect((await fetch(emu.task(t.task_id)!.fileUrl)).status).toBe(404);
    }
  });

  it('emptyCompletionRate / emptyCompletionMs at random; Novita is not affected', async () => {
    emu.set({ emptyCompletionRate: 1, emptyCompletionMs: 400 });
    const t = await submit('image-upscaler');
    const first = await finalStatus('image-upscaler', t.task_id);
    expect(first).toMatchObject({ status: 'COMPLETED', generated: [] });
    await pollUntil(
      () => status('image-upscaler', t.task_id),
      (s) => s.generated.length === 1,
    );
    const res = await post(
      '/v3/async/image-upscaler',
      { image: `${emu.cdnUrl}/static/small.png`, resolution: '2k' },
      novitaHeaders(),
    );
    const { task_id } = (await res.json()) as { task_id: string };
    const done = (
      await pollUntil(
        () => novitaResult(task_id),
        (r) => r.task.status === 'TASK_STATUS_SUCCEED',
      )
    ).at(-1)!;
    expect(done.images).toHaveLength(1);
    expect(emu.task(task_id)?.emptyForMs).toBe(0);
  });
});

describe('CANCELED and ERROR', () => {
  it('scripted CANCELED / ERROR: final statuses in status, list and webhooks; no generated, no file', async () => {
    const received: string[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        received.push(JSON.parse(body).status);
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const hook = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    try {
      emu.script('outcome', ['CANCELED', 'ERROR']);
      const canceled = await submit('image-upscaler', { webhook_url: hook });
      const errored = await submit('image-upscaler');
      expect(await finalStatus('image-upscaler', canceled.task_id)).toMatchObject({
        status: 'CANCELED',
        generated: [],
      });
      expect(await finalStatus('image-upscaler', errored.task_id)).toMatchObject({
        status: 'ERROR',
        generated: [],
      });
      const listed = Object.fromEntries((await list()).data.map((t) => [t.task_id, t.status]));
      expect(listed).toEqual({ [canceled.task_id]: 'CANCELED', [errored.task_id]: 'ERROR' });
      expect((await fetch(emu.task(canceled.task_id)!.fileUrl)).status).toBe(404);
      await pollUntil(
        async () => received.length,
        (n) => n >= 2,
      );
      expect(received).toEqual(['IN_PROGRESS', 'CANCELED']);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('cancelRate: 1 cancels every task; failRate wins over it', async () => {
    emu.set({ cancelRate: 1 });
    let t = await submit('image-upscaler-precision-v2');
    expect((await finalStatus('image-upscaler-precision-v2', t.task_id)).status).toBe('CANCELED');
    emu.set({ failRate: 1 });
    t = await submit('image-upscaler-precision-v2');
    expect((await finalStatus('image-upscaler-precision-v2', t.task_id)).status).toBe('FAILED');
  });

  it('Novita: CANCELED / ERROR are TASK_STATUS_FAILED with reason canceled / error', async () => {
    emu.script('outcome', ['CANCELED', 'ERROR'], { provider: 'novita' });
    const reasons: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await post(
        '/v3/async/image-upscaler',
        { image: `${emu.cdnUrl}/static/small.png` },
        novitaHeaders(),
      );
      const { task_id } = (await res.json()) as { task_id: string };
      const done = (
        await pollUntil(
          () => novitaResult(task_id),
          (r) => r.task.status === 'TASK_STATUS_FAILED',
        )
      ).at(-1)!;
      expect(done.images).toEqual([]);
      reasons.push(done.task.reason);
    }
    expect(reasons).toEqual(['canceled', 'error']);
  });

  it('unknown outcome names are refused when scripted', () => {
    expect(() => emu.script('outcome', ['CANCELLED'])).toThrow(/unknown outcome/);
    expect(() => emu.script('outcome', [{ emptyForMs: -1 }])).toThrow(/emptyForMs/);
  });
});

describe('download faults: trickle and truncate-close', () => {
  it("'trickle': full Content-Length, then one byte every trickleMs until done", async () => {
    const file = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), crypto.randomBytes(16)]);
    emu.set({ fileOverride: file, trickleMs: 8 });
    const url = await completedFileUrl();
    emu.script('download', ['trickle']);
    const started = Date.now();
    const res = await fetch(url);
    expect(res.headers.get('content-length')).toBe(String(file.length));
    const got = Buffer.from(await res.arrayBuffer());
    expect(got.equals(file)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(file.length * 8 - 20);
    expect(emu.cdnRequests.at(-1)).toMatchObject({ fault: 'trickle', bodyBytes: file.length });
  });

  it("'trickle' stops writing when the client hangs up, and on reset()", async () => {
    emu.set({ trickleMs: 15 });
    const url = await completedFileUrl();
    const full = (await (await fetch(url)).arrayBuffer()).byteLength;
    emu.script('download', ['trickle', 'trickle']);

    const ac = new AbortController();
    const res = await fetch(url, { signal: ac.signal });
    expect(res.headers.get('content-length')).toBe(String(full));
    const reader = res.body!.getReader();
    let received = 0;
    while (received < 3) received += (await reader.read()).value?.length ?? 0;
    ac.abort();
    await sleep(30);
    const entry = emu.cdnRequests.at(-1)!;
    const sentAtAbort = entry.bodyBytes!;
    await sleep(150);
    expect(entry.bodyBytes).toBe(sentAtAbort);
    expect(sentAtAbort).toBeLessThan(10);

    const res2 = await fetch(url);
    const reader2 = res2.body!.getReader();
    await reader2.read();
    emu.reset();
    await expect(
      (async () => {
        for (;;) if ((await reader2.read()).done) return;
      })(),
    ).rejects.toThrow();
  });

  it("'trickle' does not keep close() waiting", async () => {
    const own = await startEmulator({ processingMs: 0, trickleMs: 1000 });
    try {
      const res = await fetch(`${own.apiUrl}/v1/ai/image-upscaler`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-freepik-api-key': own.keys.freepik },
        body: JSON.stringify({ image: small }),
      });
      const id = ((await res.json()) as { data: FreepikTask }).data.task_id;
      const url = own.task(id)!.fileUrl;
      own.script('download', ['trickle']);
      const file = await fetch(url);
      expect(file.status).toBe(200);
      const started = Date.now();
      await own.close();
      expect(Date.now() - started).toBeLessThan(500);
      await expect(file.arrayBuffer()).rejects.toThrow();
    } finally {
      await own.close();
    }
  });

  it("'truncate-close': no Content-Length, no chunking, half the bytes, clean end of body", async () => {
    const url = await completedFileUrl();
    const full = Buffer.from(await (await fetch(url)).arrayBuffer());
    emu.script('download', ['truncate-close']);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('content-length')).toBeNull();
    expect(res.headers.get('transfer-encoding')).toBeNull();
    expect(res.headers.get('connection')).toBe('close');
    const got = Buffer.from(await res.arrayBuffer()); // resolves: the body ended "normally"
    expect(got.length).toBe(Math.floor(full.length / 2));
    expect(got.equals(full.subarray(0, got.length))).toBe(true);
    expect(emu.cdnRequests.at(-1)).toMatchObject({ fault: 'truncate-close', bodyBytes: got.length });
  });

  it('both are drawn from the random pool on downloads only', async () => {
    emu.set({ faultRate: 1, faultKinds: ['truncate-close'] });
    const url = await completedFileUrl(); // submit and status polls are not affected
    const full = emu.tasks[0]!.output;
    const got = Buffer.from(await (await fetch(url)).arrayBuffer());
    expect(emu.cdnRequests.at(-1)?.fault).toBe('truncate-close');
    await expect(sharp(got).raw().toBuffer()).rejects.toThrow();
    expect(full).toMatchObject({ width: 400, height: 320 });
    expect(emu.requests.every((r) => r.fault === null)).toBe(true);
  });
});

describe('processingJitter and PRNG streams', () => {
  /** processingMs of `n` new precision v1 tasks. */
  async function durations(n: number): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < n; i++)
      out.push(emu.task((await submit('image-upscaler-precision')).task_id)!.processingMs);
    return out;
  }

  it('spreads per-task processingMs uniformly in processingMs x [1-j, 1+j], seeded', async () => {
    emu.set({ processingMs: 1000 });
    expect(new Set(await durations(3))).toEqual(new Set([1000]));
    const run = async () => {
      emu.reset();
      emu.set({ processingMs: 1000, processingJitter: 0.5, seed: 5 });
      return durations(10);
    };
    const a = await run();
    expect(await run()).toEqual(a);
    for (const ms of a) {
      expect(ms).toBeGreaterThanOrEqual(500);
      expect(ms).toBeLessThanOrEqual(1500);
    }
    expect(new Set(a).size).toBeGreaterThan(5);
  });

  it('each random knob has its own stream: turning others on does not move failRate draws', async () => {
    const failures = async (more: Record<string, number>) => {
      emu.reset();
      emu.set({ processingMs: 1000, failRate: 0.5, seed: 9, ...more });
      const out: boolean[] = [];
      for (let i = 0; i < 12; i++) {
        const id = (await submit('image-upscaler-precision-v2', { scale_factor: 4 })).task_id;
        out.push(emu.task(id)!.outcome === 'FAILED');
      }
      return out;
    };
    const alone = await failures({});
    expect(alone).toContain(true);
    expect(alone).toContain(false);
    const withOthers = await failures({
      cancelRate: 0.5,
      wrongScaleRate: 0.5,
      emptyCompletionRate: 0.5,
      processingJitter: 0.5,
    });
    expect(withOthers).toEqual(alone);
  });
});

describe('control endpoint', () => {
  const control = (path: string, body: unknown) =>
    fetch(`${emu.apiUrl}/__emulator/${path}`, { method: 'POST', body: JSON.stringify(body) });

  it('sets the new options, scripts the new outcome fields, refuses bad values', async () => {
    let res = await control('set', {
      listPageSize: 1,
      outputRounding: 'floor4',
      cancelRate: 0,
      trickleMs: 50,
      processingJitter: 0.1,
      wrongScaleRate: 0,
      emptyCompletionRate: 0,
      emptyCompletionMs: 300,
    });
    expect(res.status).toBe(200);
    const state = (await (await fetch(`${emu.apiUrl}/__emulator/state`)).json()) as {
      options: Record<string, unknown>;
    };
    expect(state.options).toMatchObject({
      listPageSize: 1,
      outputRounding: 'floor4',
      trickleMs: 50,
      processingJitter: 0.1,
      emptyCompletionMs: 300,
    });
    expect(
      (await control('script', { route: 'outcome', responses: [{ emptyForMs: 'forever', scale: 1 }] }))
        .status,
    ).toBe(200);
    const t = await submit('image-upscaler');
    await submit('image-upscaler');
    expect(emu.task(t.task_id)).toMatchObject({ outputScale: 1, emptyForMs: Number.POSITIVE_INFINITY });
    expect((await list()).meta?.pagination).toMatchObject({ per_page: 1, total: 2 });

    for (const bad of [{ outputRounding: 'round' }, { cancelRate: 2 }, { listPageSize: 0 }]) {
      res = await control('set', bad);
      expect(res.status).toBe(400);
    }
    expect((await control('script', { route: 'outcome', responses: ['CANCELLED'] })).status).toBe(400);
    res = await control('set', { listPageSize: null });
    expect(res.status).toBe(200);
    expect((await list()).meta).toBeUndefined();
  });
});
