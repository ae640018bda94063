// The emulator's request-budget knobs: a per-API-key sliding-window rate limit with
// X-RateLimit-* / draft RateLimit headers, a daily cap on created tasks, and per-task durations
// drawn from a range. Every test talks real HTTP to the emulator. Windows are either long (no
// timing involved) or leave hundreds of ms of margin on each side.
import crypto from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../../fixtures/emulator/index.js';
import { keyHeaders, pollUntil, sleep, useTestEmulator } from './poll-until.js';

const PROCESSING_MS = 80;
const LONG = 10_000; // a window no test outlives: counts without timing
const imagesDir = new URL('../../fixtures/images/', import.meta.url);

interface FreepikTask {
  task_id: string;
  status: string;
  generated: string[];
}

let emu: Emulator;
let small: string; // base64 of small.png (200x160)

const fpHeaders = () => keyHeaders(emu.keys).freepik();
const comfyHeaders = () => keyHeaders(emu.keys).comfy();
const novitaHeaders = () => keyHeaders(emu.keys).novita();

const post = (path: string, body: unknown, headers: Record<string, string>) =>
  fetch(`${emu.apiUrl}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
const get = (path: string, headers: Record<string, string> = fpHeaders()) =>
  fetch(`${emu.apiUrl}${path}`, { headers });
const control = (path: string, body: unknown) =>
  fetch(`${emu.apiUrl}/__emulator/${path}`, { method: 'POST', body: JSON.stringify(body) });

/** One request per provider family and route kind (any answer counts, 404s included). */
const fpSubmit = (product = 'image-upscaler') => post(`/v1/ai/${product}`, { image: small }, fpHeaders());
const fpStatus = (id: string = crypto.randomUUID()) => get(`/v1/ai/image-upscaler/${id}`);
const fpList = () => get('/v1/ai/image-upscaler');
const comfySubmit = () => post('/proxy/freepik/v1/ai/image-upscaler', { image: small }, comfyHeaders());
const comfyStatus = () => get(`/proxy/freepik/v1/ai/image-upscaler/${crypto.randomUUID()}`, comfyHeaders());
const novitaSubmit = () =>
  post('/v3/async/image-upscaler', { image: `${emu.cdnUrl}/static/photo.jpg` }, novitaHeaders());
const novitaStatus = (id: string = crypto.randomUUID()) =>
  get(`/v3/async/task-result?task_id=${id}`, novitaHeaders());

/** Sends `n` requests one after the other; returns their statuses. */
async function statuses(n: number, send: () => Promise<Response>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const res = await send();
    await res.arrayBuffer();
    out.push(res.status);
  }
  return out;
}

const RATE_HEADERS = [
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'ratelimit',
  'ratelimit-policy',
];
/** The request-budget headers of an answer (absent ones left out). */
function rateHeaders(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of RATE_HEADERS) {
    const v = res.headers.get(name);
    if (v !== null) out[name] = v;
  }
  return out;
}

useTestEmulator(PROCESSING_MS, async (started) => {
  emu = started;
  small = (await readFile(new URL('small.png', imagesDir))).toString('base64');
});

/** The counters before any request (and after reset()). */
const NO_TRAFFIC = {
  allowed: 0,
  rejected: 0,
  maxInAnyWindow: 0,
  dailyTasks: 0,
  dailyRejected: 0,
  byProvider: {},
};

describe('defaults', () => {
  it('limits nothing and sends no rate-limit headers', async () => {
    for (let i = 0; i < 15; i++) {
      const res = i % 3 === 0 ? await fpSubmit() : await fpStatus();
      await res.arrayBuffer();
      expect(res.status).toBe(i % 3 === 0 ? 200 : 404);
      expect(rateHeaders(res)).toEqual({});
    }
    expect(emu.rateLimitStats()).toEqual(NO_TRAFFIC);
  });
});

describe('rateLimit', () => {
  it('allows exactly `limit` requests per window (submit, status, list alike), then 429 without Retry-After', async () => {
    emu.set({ rateLimit: { limit: 3, windowMs: LONG } });
    expect((await fpSubmit()).status).toBe(200);
    expect((await fpStatus()).status).toBe(404); // errors count too
    expect((await fpList()).status).toBe(200);
    for (const send of [fpStatus, fpList, fpSubmit]) {
      const res = await send();
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBeNull();
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(await res.json()).toEqual({ message: 'Rate limit exceeded' });
    }
    expect(emu.submissions()).toBe(1); // the refused submit created nothing
    expect(emu.requests.map((r) => [r.route, r.status, r.fault])).toEqual([
      ['submit', 200, null],
      ['status', 404, null],
      ['list', 200, null],
      ['status', 429, 'rate-limit'],
      ['list', 429, 'rate-limit'],
      ['submit', 429, 'rate-limit'],
    ]);
    expect(emu.requests.at(-1)?.authHeader).toBe('x-freepik-api-key');
    expect(emu.rateLimitStats()).toMatchObject({ allowed: 3, rejected: 3, maxInAnyWindow: 3 });
  });

  it("answers 429 in Comfy's and Novita's error shapes", async () => {
    emu.set({ rateLimit: { limit: 2, windowMs: LONG } });
    expect(await statuses(2, comfyStatus)).toEqual([404, 404]);
    let res = await comfySubmit();
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBeNull();
    expect(await res.json()).toEqual({
      error: { message: 'Rate limit exceeded', type: 'too_many_requests' },
    });

    expect(await statuses(2, novitaStatus)).toEqual([404, 404]);
    res = await novitaSubmit();
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBeNull();
    expect(await res.json()).toEqual({
      code: 429,
      reason: 'RATE_LIMIT_EXCEEDED',
      message: 'Rate limit exceeded',
      metadata: {},
    });
    expect(emu.submissions()).toBe(0);
  });

  it('does not count requests without a valid key (401 as before); checks before scripted faults', async () => {
    emu.set({ rateLimit: { limit: 2, windowMs: LONG } });
    const bad = { 'x-freepik-api-key': 'wrong' };
    expect(await statuses(4, () => get('/v1/ai/image-upscaler', bad))).toEqual([401, 401, 401, 401]);
    expect(await statuses(2, () => get('/v1/ai/image-upscaler', {}))).toEqual([401, 401]);
    expect(rateHeaders(await get('/v1/ai/image-upscaler', bad))).toEqual({});

    emu.script('status', [503]);
    expect(await statuses(3, fpList)).toEqual([200, 200, 429]);
    // Over the limit: the 429 comes first and the scripted 503 stays queued.
    expect(await statuses(1, fpStatus)).toEqual([429]);
    emu.set({ rateLimit: { limit: 3, windowMs: LONG } });
    const res = await fpStatus();
    expect(res.status).toBe(503); // admitted, then the fault: faulted answers count and carry headers
    expect(rateHeaders(res)).toMatchObject({ 'x-ratelimit-remaining': '0' });
    expect(emu.rateLimitStats()).toMatchObject({ allowed: 3, rejected: 2 });
  });

  it('refused requests do not count against the window', async () => {
    emu.set({ rateLimit: { limit: 2, windowMs: LONG } });
    expect(await statuses(5, fpList)).toEqual([200, 200, 429, 429, 429]);
    // A higher limit over the same window sees only the 2 admitted requests (+ this one).
    emu.set({ rateLimit: { limit: 10, windowMs: LONG } });
    const res = await fpList();
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ratelimit-remaining')).toBe('7');
    expect(emu.rateLimitStats()).toMatchObject({ allowed: 3, rejected: 3, maxInAnyWindow: 3 });
  });

  it('slides: a slot frees when the oldest admitted request leaves the window', async () => {
    const windowMs = 1000;
    emu.set({ rateLimit: { limit: 3, windowMs } });
    expect(await statuses(1, fpList)).toEqual([200]);
    const first = emu.requests[0]!.time;
    await sleep(500);
    // Two more fill the window; refused requests in between must not hold slots.
    expect(await statuses(4, fpList)).toEqual([200, 200, 429, 429]);
    const second = emu.requests[1]!.time;
    expect(second - first).toBeGreaterThanOrEqual(450);
    // Just after the first request left (the second stays in for ~450 ms more): one slot.
    await sleep(Math.max(0, first + windowMs + 30 - Date.now()));
    expect(await statuses(2, fpList)).toEqual([200, 429]);
    expect(emu.requests.at(-1)!.time).toBeLessThan(second + windowMs); // the margin held
    expect(emu.rateLimitStats()).toMatchObject({ allowed: 4, rejected: 3, maxInAnyWindow: 3 });
  });

  it('counts each API key separately; one Freepik key for every product and header', async () => {
    emu.set({ rateLimit: { limit: 2, windowMs: LONG } });
    expect((await fpSubmit('image-upscaler-precision')).status).toBe(200);
    expect((await fpStatus()).status).toBe(404);
    expect((await fpSubmit('image-upscaler-precision-v2')).status).toBe(429);
    const magnific = { 'x-magnific-api-key': emu.keys.freepik };
    expect((await get('/v1/ai/image-upscaler-precision', magnific)).status).toBe(429);

    expect((await novitaSubmit()).status).toBe(200);
    expect(await statuses(2, novitaStatus)).toEqual([404, 429]);
    expect(await statuses(3, comfyStatus)).toEqual([404, 404, 429]);

    const stats = emu.rateLimitStats();
    expect(stats).toMatchObject({ allowed: 6, rejected: 4, maxInAnyWindow: 2 });
    expect(stats.byProvider).toEqual({
      freepik: { allowed: 2, rejected: 2, maxInAnyWindow: 2, dailyTasks: 0, dailyRejected: 0 },
      novita: { allowed: 2, rejected: 1, maxInAnyWindow: 2, dailyTasks: 0, dailyRejected: 0 },
      comfy: { allowed: 2, rejected: 1, maxInAnyWindow: 2, dailyTasks: 0, dailyRejected: 0 },
    });
  });

  it('does not count downloads, static files or control routes', async () => {
    const task = ((await (await fpSubmit()).json()) as { data: FreepikTask }).data;
    const done = (
      await pollUntil(
        async () => ((await (await fpStatus(task.task_id)).json()) as { data: FreepikTask }).data,
        (t) => t.status === 'COMPLETED',
      )
    ).at(-1)!;
    const fileUrl = done.generated[0]!;

    emu.set({ rateLimit: { limit: 2, windowMs: LONG } });
    for (let i = 0; i < 4; i++) {
      const res = await fetch(fileUrl);
      await res.arrayBuffer();
      expect(res.status).toBe(200);
      expect(rateHeaders(res)).toEqual({});
    }
    for (let i = 0; i < 3; i++) expect((await fetch(`${emu.cdnUrl}/static/photo.jpg`)).status).toBe(200);
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${emu.apiUrl}/__emulator/state`);
      await res.arrayBuffer();
      expect(res.status).toBe(200);
    }
    expect((await control('set', { rateLimitHeaders: 'x-ratelimit' })).status).toBe(200);
    // A Novita submit's own fetch of its URL input is not counted either.
    expect((await novitaSubmit()).status).toBe(200);
    expect(emu.cdnRequests.some((r) => r.internal)).toBe(true);

    let res = await fpStatus(task.task_id);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ratelimit-remaining')).toBe('1');
    res = await fpStatus(task.task_id);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
    expect((await fpStatus(task.task_id)).status).toBe(429);
    expect(emu.rateLimitStats().byProvider.freepik).toMatchObject({ allowed: 2, rejected: 1 });
  });
});

describe('rateLimitHeaders', () => {
  it("'x-ratelimit' (default): limit, remaining after this request, whole seconds to the oldest leaving", async () => {
    emu.set({ rateLimit: { limit: 3, windowMs: LONG } });
    const seen: Array<[number, Record<string, string>]> = [];
    for (const send of [() => fpSubmit(), () => fpStatus(), () => fpList(), () => fpList()]) {
      const res = await send();
      await res.arrayBuffer();
      seen.push([res.status, rateHeaders(res)]);
    }
    expect(seen.map(([s]) => s)).toEqual([200, 404, 200, 429]);
    expect(seen.map(([, h]) => h['x-ratelimit-limit'])).toEqual(['3', '3', '3', '3']);
    expect(seen.map(([, h]) => h['x-ratelimit-remaining'])).toEqual(['2', '1', '0', '0']);
    // The first request is the oldest in the window: 10 s minus what has elapsed, rounded up.
    expect(seen[0]![1]['x-ratelimit-reset']).toBe('10');
    for (const [, h] of seen) {
      expect(['9', '10']).toContain(h['x-ratelimit-reset']);
      expect(Object.keys(h).sort()).toEqual([
        'x-ratelimit-limit',
        'x-ratelimit-remaining',
        'x-ratelimit-reset',
      ]);
    }
  });

  it('rounds the reset up to whole seconds for a sub-second window', async () => {
    emu.set({ rateLimit: { limit: 5, windowMs: 300 } });
    const res = await fpList();
    expect(rateHeaders(res)).toEqual({
      'x-ratelimit-limit': '5',
      'x-ratelimit-remaining': '4',
      'x-ratelimit-reset': '1',
    });
  });

  it("'draft': RateLimit-Policy and RateLimit instead", async () => {
    emu.set({ rateLimit: { limit: 2, windowMs: LONG }, rateLimitHeaders: 'draft' });
    const seen: Array<[number, Record<string, string>]> = [];
    for (let i = 0; i < 3; i++) {
      const res = await novitaStatus();
      await res.arrayBuffer();
      seen.push([res.status, rateHeaders(res)]);
    }
    expect(seen.map(([s]) => s)).toEqual([404, 404, 429]);
    expect(seen[0]![1]).toEqual({
      'ratelimit-policy': '2;w=10',
      ratelimit: 'limit=2, remaining=1, reset=10',
    });
    expect(seen[1]![1].ratelimit).toMatch(/^limit=2, remaining=0, reset=(9|10)$/);
    expect(seen[2]![1].ratelimit).toMatch(/^limit=2, remaining=0, reset=(9|10)$/);
    expect(seen[2]![1]['ratelimit-policy']).toBe('2;w=10');

    emu.set({ rateLimit: { limit: 4, windowMs: 1500 } });
    expect(rateHeaders(await comfyStatus())['ratelimit-policy']).toBe('4;w=1.5');
  });

  it("'none': no headers at all, the limit still applies", async () => {
    emu.set({ rateLimit: { limit: 1, windowMs: LONG }, rateLimitHeaders: 'none' });
    const ok = await fpList();
    const refused = await fpList();
    expect([ok.status, refused.status]).toEqual([200, 429]);
    expect(rateHeaders(ok)).toEqual({});
    expect(rateHeaders(refused)).toEqual({});
    expect(refused.headers.get('retry-after')).toBeNull();
  });
});

describe('dailyTaskCap', () => {
  it('refuses the N+1th submit of a key with 429, X-RateLimit-Remaining 0 and hours to the reset; no task', async () => {
    emu.set({ dailyTaskCap: 2 });
    const first = ((await (await fpSubmit()).json()) as { data: FreepikTask }).data;
    // Refused submits (400) create nothing and do not use the cap.
    expect((await post('/v1/ai/image-upscaler', { image: 'nope' }, fpHeaders())).status).toBe(400);
    expect((await fpSubmit('image-upscaler-precision')).status).toBe(200);
    for (const product of ['image-upscaler', 'image-upscaler-precision-v2']) {
      const res = await fpSubmit(product);
      expect(res.status).toBe(429);
      expect(await res.json()).toEqual({ message: 'Daily limit of 2 tasks reached' });
      expect(res.headers.get('retry-after')).toBeNull();
      expect(res.headers.get('x-ratelimit-limit')).toBeNull();
      expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
      const reset = Number(res.headers.get('x-ratelimit-reset'));
      expect(reset).toBeGreaterThan(86_300);
      expect(reset).toBeLessThanOrEqual(86_400);
    }
    // Even an invalid body: the cap is checked before validation.
    expect((await post('/v1/ai/image-upscaler', { image: 'nope' }, fpHeaders())).status).toBe(429);
    expect(emu.submissions()).toBe(2);
    expect(emu.requests.filter((r) => r.fault === 'daily-cap')).toHaveLength(3);

    // Status and list are not affected, and carry no headers without rateLimit.
    const status = await fpStatus(first.task_id);
    expect(status.status).toBe(200);
    expect(rateHeaders(status)).toEqual({});
    expect(((await (await fpList()).json()) as { data: unknown[] }).data).toHaveLength(1);
    // Another key has its own cap.
    expect(await statuses(2, novitaSubmit)).toEqual([200, 200]);
    expect(await statuses(1, novitaSubmit)).toEqual([429]);
    expect(emu.submissions()).toBe(4);
    expect(emu.rateLimitStats()).toMatchObject({ dailyTasks: 4, dailyRejected: 4 });
    expect(emu.rateLimitStats().byProvider.freepik).toMatchObject({ dailyTasks: 2, dailyRejected: 3 });
  });

  it("answers in Comfy's and Novita's error shapes", async () => {
    emu.set({ dailyTaskCap: 1 });
    expect(await statuses(2, comfySubmit)).toEqual([200, 429]);
    const comfy = await comfySubmit();
    expect(await comfy.json()).toEqual({
      error: { message: 'Daily limit of 1 tasks reached', type: 'too_many_requests' },
    });
    expect(await statuses(1, novitaSubmit)).toEqual([200]);
    const novita = await novitaSubmit();
    expect(novita.status).toBe(429);
    expect(novita.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(await novita.json()).toEqual({
      code: 429,
      reason: 'RATE_LIMIT_EXCEEDED',
      message: 'Daily limit of 1 tasks reached',
      metadata: {},
    });
  });

  it('never lets concurrent submits past the cap', async () => {
    emu.set({ dailyTaskCap: 2 });
    const answers = await Promise.all(Array.from({ length: 6 }, () => fpSubmit()));
    expect(answers.map((r) => r.status).sort()).toEqual([200, 200, 429, 429, 429, 429]);
    expect(emu.submissions()).toBe(2);
  });

  it('sends its X-RateLimit-* whatever rateLimitHeaders says; the draft headers still describe the window', async () => {
    emu.set({ dailyTaskCap: 1, rateLimit: { limit: 5, windowMs: LONG }, rateLimitHeaders: 'none' });
    expect(await statuses(1, () => fpSubmit())).toEqual([200]);
    let res = await fpSubmit();
    expect(res.status).toBe(429);
    expect(emu.requests.at(-1)?.fault).toBe('daily-cap');
    expect(rateHeaders(res)).toMatchObject({ 'x-ratelimit-remaining': '0' });
    expect(Object.keys(rateHeaders(res)).sort()).toEqual(['x-ratelimit-remaining', 'x-ratelimit-reset']);

    emu.set({ rateLimitHeaders: 'draft' });
    res = await fpSubmit();
    expect(res.status).toBe(429);
    const h = rateHeaders(res);
    expect(h['x-ratelimit-remaining']).toBe('0');
    expect(Number(h['x-ratelimit-reset'])).toBeGreaterThan(86_300);
    expect(h.ratelimit).toMatch(/^limit=5, remaining=2, reset=(9|10)$/); // a daily 429 still counts
    expect(emu.rateLimitStats()).toMatchObject({ allowed: 3, rejected: 0, dailyRejected: 2 });
  });

  it('opens a new window dailyWindowMs after the first task of the last one', async () => {
    emu.set({ dailyTaskCap: 1, dailyWindowMs: 1000 });
    expect(await statuses(1, () => fpSubmit())).toEqual([200]);
    const res = await fpSubmit();
    expect(res.status).toBe(429);
    expect(res.headers.get('x-ratelimit-reset')).toBe('1');
    await sleep(Math.max(0, emu.tasks[0]!.createdAt + 1000 + 50 - Date.now()));
    expect(await statuses(2, () => fpSubmit())).toEqual([200, 429]);
    expect(emu.submissions()).toBe(2);
  });
});

describe('processingMsRange', () => {
  const RANGE: [number, number] = [2000, 9000]; // long: the tasks stay IN_PROGRESS during the test
  /** processingMs of `n` new precision v1 tasks. */
  async function durations(n: number): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const res = await fpSubmit('image-upscaler-precision');
      expect(res.status).toBe(200);
      out.push(emu.task(((await res.json()) as { data: FreepikTask }).data.task_id)!.processingMs);
    }
    return out;
  }
  const run = async (seed: number, more: Record<string, unknown> = {}) => {
    emu.reset();
    emu.set({ processingMsRange: RANGE, seed, ...more });
    return durations(12);
  };

  it('draws each task in [min, max], reproducibly per seed', async () => {
    expect(new Set(await durations(3))).toEqual(new Set([PROCESSING_MS]));
    const a = await run(3);
    expect(await run(3)).toEqual(a);
    expect(await run(4)).not.toEqual(a);
    for (const ms of a) {
      expect(Number.isInteger(ms)).toBe(true);
      expect(ms).toBeGreaterThanOrEqual(RANGE[0]);
      expect(ms).toBeLessThanOrEqual(RANGE[1]);
    }
    expect(new Set(a).size).toBeGreaterThan(6);
    // the drawn time drives the status: precision v1 stays IN_PROGRESS until then
    const id = emu.tasks.at(-1)!.id;
    const res = await get(`/v1/ai/image-upscaler-precision/${id}`);
    expect(((await res.json()) as { data: FreepikTask }).data.status).toBe('IN_PROGRESS');
  });

  it('wins over processingJitter, which keeps its own draws', async () => {
    const withJitter = await run(3, { processingMs: 5000, processingJitter: 0.5 });
    expect(withJitter).toEqual(await run(3, { processingJitter: 0 }));

    // jitter alone for 6 tasks, vs. the range for the first 3 then jitter alone: tasks 4-6 agree
    emu.reset();
    emu.set({ processingMs: 1000, processingJitter: 0.5, seed: 8, processingMsRange: null });
    const jitterOnly = await durations(6);
    emu.reset();
    emu.set({ processingMs: 1000, processingJitter: 0.5, seed: 8, processingMsRange: [10, 20] });
    const mixed = await durations(3);
    emu.set({ processingMsRange: null });
    mixed.push(...(await durations(3)));
    expect(mixed.slice(0, 3).every((ms) => ms >= 10 && ms <= 20)).toBe(true);
    expect(mixed.slice(3)).toEqual(jitterOnly.slice(3));
  });

  it("does not move other knobs' draws; a scripted outcome fixes the task without a draw", async () => {
    const failures = async (range: [number, number] | null) => {
      emu.reset();
      emu.set({ failRate: 0.5, seed: 9, processingMsRange: range });
      const out: string[] = [];
      for (let i = 0; i < 10; i++) {
        const res = await fpSubmit('image-upscaler-precision');
        out.push(emu.task(((await res.json()) as { data: FreepikTask }).data.task_id)!.outcome);
      }
      return out;
    };
    const alone = await failures(null);
    expect(alone).toContain('FAILED');
    expect(await failures([100, 200])).toEqual(alone);

    emu.reset();
    emu.set({ processingMsRange: RANGE, seed: 3 });
    emu.script('outcome', [{ processingMs: 50 }, 'FAILED']);
    const [scripted, plain, ...drawn] = await durations(4);
    expect(scripted).toBe(50);
    expect(plain).toBe(PROCESSING_MS); // a scripted item draws nothing: the plain processingMs
    expect(drawn).toEqual((await run(3)).slice(0, 2)); // the range stream was not advanced
  });
});

describe('rateLimitStats', () => {
  it('maxInAnyWindow is the most admitted requests inside one sliding window', async () => {
    emu.set({ rateLimit: { limit: 5, windowMs: 600 } });
    expect(await statuses(2, fpList)).toEqual([200, 200]);
    await sleep(Math.max(0, emu.requests[1]!.time + 800 - Date.now()));
    expect(await statuses(1, fpList)).toEqual([200]);
    expect(emu.rateLimitStats()).toMatchObject({ allowed: 3, rejected: 0, maxInAnyWindow: 2 });

    emu.reset();
    emu.set({ rateLimit: { limit: 3, windowMs: LONG } });
    expect(await statuses(4, fpList)).toEqual([200, 200, 200, 429]);
    expect(emu.rateLimitStats()).toMatchObject({ allowed: 3, rejected: 1, maxInAnyWindow: 3 });
    // A raised limit over the same window: the earlier admitted requests are still in it.
    emu.set({ rateLimit: { limit: 5, windowMs: LONG } });
    expect(await statuses(3, fpList)).toEqual([200, 200, 429]);
    expect(await statuses(1, novitaStatus)).toEqual([404]);
    const stats = emu.rateLimitStats();
    expect(stats).toMatchObject({ allowed: 6, rejected: 2, maxInAnyWindow: 5 });
    expect(stats.byProvider.novita).toMatchObject({ allowed: 1, maxInAnyWindow: 1 });

    const state = (await (await fetch(`${emu.apiUrl}/__emulator/state`)).json()) as {
      rateLimitStats: unknown;
    };
    expect(state.rateLimitStats).toEqual(stats);
  });

  it('reset() clears the counters and keeps the options', async () => {
    emu.set({ rateLimit: { limit: 2, windowMs: LONG }, dailyTaskCap: 1 });
    expect(await statuses(3, () => fpSubmit())).toEqual([200, 429, 429]);
    emu.reset();
    expect(emu.rateLimitStats()).toEqual(NO_TRAFFIC);
    expect(await statuses(3, () => fpSubmit())).toEqual([200, 429, 429]);
    expect(emu.requests.map((r) => r.fault)).toEqual([null, 'daily-cap', 'rate-limit']);
  });
});

describe('control endpoint', () => {
  it('sets the request-budget options and refuses nonsense', async () => {
    let res = await control('set', {
      rateLimit: { limit: 1, windowMs: LONG },
      rateLimitHeaders: 'draft',
      dailyTaskCap: 5,
      dailyWindowMs: 60_000,
      processingMsRange: [100, 200],
    });
    expect(res.status).toBe(200);
    const state = (await (await fetch(`${emu.apiUrl}/__emulator/state`)).json()) as {
      options: Record<string, unknown>;
    };
    expect(state.options).toMatchObject({
      rateLimit: { limit: 1, windowMs: LONG },
      rateLimitHeaders: 'draft',
      dailyTaskCap: 5,
      dailyWindowMs: 60_000,
      processingMsRange: [100, 200],
    });
    expect(await statuses(2, fpList)).toEqual([200, 429]);

    for (const bad of [
      { rateLimit: { limit: 0, windowMs: 1000 } },
      { rateLimit: { limit: 1.5, windowMs: 1000 } },
      { rateLimit: { limit: 1, windowMs: 0 } },
      { rateLimit: { limit: 1 } },
      { rateLimit: 50 },
      { rateLimitHeaders: 'ietf' },
      { dailyTaskCap: 0 },
      { dailyTaskCap: '5' },
      { dailyWindowMs: -1 },
      { processingMsRange: [900, 100] },
      { processingMsRange: [100] },
      { processingMsRange: [-1, 100] },
    ]) {
      res = await control('set', bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
    expect(() => emu.set({ rateLimit: { limit: -1, windowMs: 1 } })).toThrow(/rateLimit/);
    res = await control('set', { rateLimit: null, dailyTaskCap: null, processingMsRange: null });
    expect(res.status).toBe(200);
    expect(await statuses(3, fpList)).toEqual([200, 200, 200]);
  });
});
