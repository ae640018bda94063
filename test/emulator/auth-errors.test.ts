// The emulator authenticates and fails the way the real services do (issue 13): Comfy's two
// credentials (an API key only in X-API-KEY, a JWT only as a Bearer token), Comfy's nested error
// bodies, Freepik's error-body variants, Novita's 403 for a wrong key, out-of-credit answers
// ('billing'), an empty `reason`, and Novita's final HTTP 500 on the result endpoint.
// Every test talks real HTTP to the emulator.
import crypto from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../fixtures/emulator/index.js';
import { keyHeaders, pollUntil, sleep, useTestEmulator } from './poll-until.js';

const PROCESSING_MS = 80;
const imagesDir = new URL('../../fixtures/images/', import.meta.url);
const DEFAULT_JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ0ZXN0LXVzZXIifQ.signature';

const CREATIVE = '/proxy/freepik/v1/ai/image-upscaler';
const V2 = '/proxy/freepik/v1/ai/image-upscaler-precision-v2';

interface FreepikTask {
  task_id: string;
  status: string;
  generated: string[];
}
interface NovitaError {
  code: number;
  reason: string;
  message: string;
  metadata: Record<string, unknown>;
}
interface NovitaResult {
  task: { task_id: string; status: string; reason: string };
  images: Array<{ image_url: string }>;
}

let emu: Emulator;
let small: string; // base64 of small.png (200x160)
let photoUrl: string; // a loopback URL input for Novita

const json = { 'content-type': 'application/json' };
const headers = () => keyHeaders(emu.keys);

function post(path: string, body: unknown, h: Record<string, string>) {
  return fetch(`${emu.apiUrl}${path}`, { method: 'POST', headers: h, body: JSON.stringify(body) });
}
const get = (path: string, h: Record<string, string>) => fetch(`${emu.apiUrl}${path}`, { headers: h });
const control = (path: string, body: unknown) =>
  fetch(`${emu.apiUrl}/__emulator/${path}`, { method: 'POST', headers: json, body: JSON.stringify(body) });

async function answer(res: Response): Promise<[number, unknown]> {
  return [res.status, await res.json()];
}
const comfyError = (message: string, type: string) => ({ error: { message, type } });
const novitaError = (code: number, reason: string, message: string) => ({
  code,
  reason,
  message,
  metadata: {},
});

const novitaSubmit = (h: Record<string, string> = headers().novita()) =>
  post('/v3/async/image-upscaler', { image: photoUrl }, h);
const novitaResult = (id: string, h: Record<string, string> = headers().novita()) =>
  get(`/v3/async/task-result?task_id=${id}`, h);
async function novitaTask(): Promise<string> {
  const res = await novitaSubmit();
  expect(res.status).toBe(200);
  return ((await res.json()) as { task_id: string }).task_id;
}

useTestEmulator(PROCESSING_MS, async (started) => {
  emu = started;
  small = (await readFile(new URL('small.png', imagesDir))).toString('base64');
  photoUrl = `${emu.cdnUrl}/static/photo.jpg`;
});

describe('keys', () => {
  it('default Comfy credentials: the API key comfyui-test-key and a syntactically valid fake JWT', async () => {
    const fresh = await startEmulator();
    try {
      expect(fresh.keys).toEqual({
        freepik: 'test-freepik-key',
        comfy: 'comfyui-test-key',
        comfyJwt: DEFAULT_JWT,
        novita: 'test-novita-key',
      });
      const [header, payload, signature] = fresh.keys.comfyJwt.split('.');
      expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' });
      expect(JSON.parse(Buffer.from(payload!, 'base64url').toString())).toEqual({ sub: 'test-user' });
      expect(signature).toBe('signature');
      const state = (await (await fetch(`${fresh.apiUrl}/__emulator/state`)).json()) as { keys: unknown };
      expect(state.keys).toEqual(fresh.keys);
    } finally {
      await fresh.close();
    }
  });

  it('rejects a Comfy API key that looks like a JWT and a JWT that does not', async () => {
    expect(() => emu.set({ keys: { comfyJwt: 'not-a-jwt' } })).toThrow(/comfyJwt/);
    expect(() => emu.set({ keys: { comfy: DEFAULT_JWT } })).toThrow(/keys.comfy/);
    const res = await control('set', { keys: { comfyJwt: 'a.b' } });
    expect(res.status).toBe(400);
    expect(emu.keys.comfyJwt).toBe(DEFAULT_JWT);
    // another JWT is fine, and from then on only it is accepted
    const other = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJvdGhlciJ9.c2ln';
    emu.set({ keys: { comfyJwt: other } });
    expect(
      (await post(CREATIVE, { image: small }, { ...json, authorization: `Bearer ${other}` })).status,
    ).toBe(200);
    expect(
      (await post(CREATIVE, { image: small }, { ...json, authorization: `Bearer ${DEFAULT_JWT}` })).status,
    ).toBe(401);
  });
});

describe('Comfy auth, as the real proxy', () => {
  for (const [name, path] of [
    ['creative', CREATIVE],
    ['precision v2', V2],
  ] as const) {
    it(`${name}: API key only in X-API-KEY, JWT only as Bearer (submit and status)`, async () => {
      const apiKey = headers().comfy();
      const jwt = headers().comfyJwt();
      expect(apiKey).toEqual({ ...json, 'x-api-key': 'comfyui-test-key' });

      // both accepted on the submit
      let res = await post(path, { image: small }, apiKey);
      expect(res.status).toBe(200);
      const a = ((await res.json()) as { data: FreepikTask }).data;
      res = await post(path, { image: small }, jwt);
      expect(res.status).toBe(200);
      const b = ((await res.json()) as { data: FreepikTask }).data;

      // the wrong slot is a 401, and creates nothing
      expect(
        await answer(
          await post(path, { image: small }, { ...json, authorization: `Bearer ${emu.keys.comfy}` }),
        ),
      ).toEqual([401, comfyError('Invalid token', 'unauthorized')]);
      expect(
        await answer(await post(path, { image: small }, { ...json, 'x-api-key': emu.keys.comfyJwt })),
      ).toEqual([401, comfyError('Invalid API key', 'unauthorized')]);
      expect(emu.submissions('comfy')).toBe(2);

      // status polls: either credential reads either task
      expect((await get(`${path}/${a.task_id}`, jwt)).status).toBe(200);
      expect((await get(`${path}/${b.task_id}`, apiKey)).status).toBe(200);
      expect(
        await answer(await get(`${path}/${a.task_id}`, { authorization: `Bearer ${emu.keys.comfy}` })),
      ).toEqual([401, comfyError('Invalid token', 'unauthorized')]);
      expect(await answer(await get(`${path}/${a.task_id}`, { 'x-api-key': emu.keys.comfyJwt }))).toEqual([
        401,
        comfyError('Invalid API key', 'unauthorized'),
      ]);

      // the log says which credential was used
      expect(emu.requests.map((r) => [r.route, r.status, r.authHeader, r.credential])).toEqual([
        ['submit', 200, 'x-api-key', 'api-key'],
        ['submit', 200, 'authorization', 'jwt'],
        ['submit', 401, null, null],
        ['submit', 401, null, null],
        ['status', 200, 'authorization', 'jwt'],
        ['status', 200, 'x-api-key', 'api-key'],
        ['status', 401, null, null],
        ['status', 401, null, null],
      ]);
    });
  }

  it('missing credentials, a wrong one next to a right one, other schemes', async () => {
    expect(await answer(await post(CREATIVE, { image: small }, json))).toEqual([
      401,
      comfyError('Missing API key', 'unauthorized'),
    ]);
    // an empty Bearer counts as no credential
    expect(
      await answer(await post(CREATIVE, { image: small }, { ...json, authorization: 'Bearer' })),
    ).toEqual([401, comfyError('Missing API key', 'unauthorized')]);
    // every credential header sent must be right
    expect(
      await answer(
        await post(CREATIVE, { image: small }, { ...headers().comfy(), authorization: 'Bearer x.y.z' }),
      ),
    ).toEqual([401, comfyError('Invalid token', 'unauthorized')]);
    expect(
      await answer(
        await post(CREATIVE, { image: small }, { ...headers().comfyJwt(), 'x-api-key': 'comfyui-nope' }),
      ),
    ).toEqual([401, comfyError('Invalid API key', 'unauthorized')]);
    // the JWT without the Bearer scheme
    expect(
      await answer(await post(CREATIVE, { image: small }, { ...json, authorization: emu.keys.comfyJwt })),
    ).toEqual([401, comfyError('Invalid token', 'unauthorized')]);
    expect(emu.submissions()).toBe(0);
    // both right: accepted (logged as X-API-KEY)
    const res = await post(CREATIVE, { image: small }, { ...headers().comfy(), ...headers().comfyJwt() });
    expect(res.status).toBe(200);
    expect(emu.requests.at(-1)).toMatchObject({ authHeader: 'x-api-key', credential: 'api-key' });
  });

  it('the API key and the JWT have a request budget each', async () => {
    emu.set({ rateLimit: { limit: 1, windowMs: 60_000 } });
    expect((await get(`${CREATIVE}/${crypto.randomUUID()}`, headers().comfy())).status).toBe(404);
    expect((await get(`${CREATIVE}/${crypto.randomUUID()}`, headers().comfyJwt())).status).toBe(404);
    const res = await get(`${CREATIVE}/${crypto.randomUUID()}`, headers().comfyJwt());
    expect(await answer(res)).toEqual([429, comfyError('Rate limit exceeded', 'too_many_requests')]);
    expect(emu.requests.at(-1)).toMatchObject({ fault: 'rate-limit', credential: 'jwt' });
  });
});

describe('Comfy error bodies', () => {
  it('nested {error: {message, type}} by default: 400, 404, 405, 413, scripted 429 / 503, 500', async () => {
    const h = headers().comfy();
    const [status, body] = await answer(await post(CREATIVE, { image: small, creativity: 20 }, h));
    expect(status).toBe(400);
    expect(body).toEqual(
      comfyError(expect.stringMatching(/^Your request parameters didn't validate: /), 'bad_request'),
    );
    expect(await answer(await get(`${CREATIVE}/${crypto.randomUUID()}`, h))).toEqual([
      404,
      comfyError('Task not found', 'not_found'),
    ]);
    expect(await answer(await get('/proxy/freepik/v1/ai/image-upscaler-precision', h))).toEqual([
      404,
      comfyError('Not found', 'not_found'),
    ]);
    const put = await fetch(`${emu.apiUrl}${CREATIVE}`, { method: 'PUT', headers: h });
    expect(put.headers.get('allow')).toBe('POST');
    expect(await answer(put)).toEqual([405, comfyError('Method not allowed', 'method_not_allowed')]);
    emu.set({ maxBodyBytes: 100 });
    expect(await answer(await post(CREATIVE, { image: small }, h))).toEqual([
      413,
      comfyError('Request body too large', 'payload_too_large'),
    ]);
    emu.set({ maxBodyBytes: 200 * 1024 * 1024 });
    emu.script('submit', [{ status: 429, retryAfter: '1' }, 503, 'create-then-500']);
    const limited = await post(CREATIVE, { image: small }, h);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(await answer(limited)).toEqual([
      429,
      comfyError('Too many requests. Please slow down.', 'too_many_requests'),
    ]);
    expect(await answer(await post(CREATIVE, { image: small }, h))).toEqual([
      503,
      comfyError('Service Unavailable. Please try again later.', 'service_unavailable'),
    ]);
    expect(await answer(await post(CREATIVE, { image: small }, h))).toEqual([
      500,
      comfyError('Internal Server Error', 'internal_server_error'),
    ]);
  });

  it("comfyErrorShape 'flat' keeps the old {error, message} form (404: {message})", async () => {
    emu.set({ comfyErrorShape: 'flat' });
    expect(await answer(await post(CREATIVE, { image: small }, json))).toEqual([
      401,
      { error: 'Unauthorized', message: 'Missing API key' },
    ]);
    const [status, body] = await answer(await post(CREATIVE, { image: small, hdr: 99 }, headers().comfy()));
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: 'Bad Request', message: expect.stringMatching(/didn't validate/) });
    expect(await answer(await get(`${V2}/${crypto.randomUUID()}`, headers().comfyJwt()))).toEqual([
      404,
      { message: 'Task not found' },
    ]);
    emu.script('status', [503]);
    expect(await answer(await get(`${V2}/${crypto.randomUUID()}`, headers().comfyJwt()))).toEqual([
      503,
      { error: 'Service Unavailable', message: 'Service Unavailable. Please try again later.' },
    ]);
    expect(() => emu.set({ comfyErrorShape: 'deep' as 'flat' })).toThrow(/comfyErrorShape/);
    expect((await control('set', { comfyErrorShape: 'deep' })).status).toBe(400);
    expect((await control('set', { comfyErrorShape: 'nested' })).status).toBe(200);
    expect((await answer(await post(CREATIVE, { image: small }, json)))[1]).toEqual(
      comfyError('Missing API key', 'unauthorized'),
    );
  });
});

describe('Freepik error bodies (freepikErrorShape)', () => {
  const path = '/v1/ai/image-upscaler';
  const validation = async () => post(path, { image: small, hdr: 99 }, headers().freepik());

  it("default 'problem-flat': {message}, validation as flat problem+json", async () => {
    const fresh = await startEmulator();
    expect(fresh.state().options).toMatchObject({
      freepikErrorShape: 'problem-flat',
      problemShape: 'flat',
      comfyErrorShape: 'nested',
      novitaEmptyReason: false,
    });
    await fresh.close();
    const res = await validation();
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await answer(res)).toEqual([
      400,
      {
        message: "Your request parameters didn't validate.",
        invalid_params: [expect.objectContaining({ name: 'hdr' })],
      },
    ]);
    expect(await answer(await post(path, { image: small }, json))).toEqual([
      401,
      { message: 'Missing API key' },
    ]);
    expect(await answer(await get(`${path}/${crypto.randomUUID()}`, headers().freepik()))).toEqual([
      404,
      { message: 'Not found' },
    ]);
  });

  it("'detail': {detail} for every error, validation included", async () => {
    emu.set({ freepikErrorShape: 'detail' });
    const res = await validation();
    expect(res.headers.get('content-type')).toBe('application/json');
    const [status, body] = await answer(res);
    expect(status).toBe(400);
    expect(body).toEqual({
      detail: expect.stringMatching(/^Your request parameters didn't validate: .*hdr/),
    });
    expect(
      await answer(await post(path, { image: small }, { ...json, 'x-freepik-api-key': 'nope' })),
    ).toEqual([401, { detail: 'Invalid API key' }]);
    expect(await answer(await get(`${path}/${crypto.randomUUID()}`, headers().freepik()))).toEqual([
      404,
      { detail: 'Not found' },
    ]);
    emu.script('submit', [429, 'billing']);
    expect(await answer(await post(path, { image: small }, headers().freepik()))).toEqual([
      429,
      { detail: 'Too many requests. Please slow down.' },
    ]);
    expect(await answer(await post(path, { image: small }, headers().freepik()))).toEqual([
      402,
      { detail: 'Payment required' },
    ]);
  });

  it("'message': validation as a plain {message} without invalid_params", async () => {
    emu.set({ freepikErrorShape: 'message' });
    const res = await validation();
    expect(res.headers.get('content-type')).toBe('application/json');
    const [status, body] = await answer(res);
    expect(status).toBe(400);
    expect(body).toEqual({
      message: expect.stringMatching(/^Your request parameters didn't validate: .*hdr/),
    });
  });

  it("'problem-wrapped' and the old problemShape are one knob", async () => {
    emu.set({ freepikErrorShape: 'problem-wrapped' });
    expect(emu.state().options).toMatchObject({
      freepikErrorShape: 'problem-wrapped',
      problemShape: 'wrapped',
    });
    let [, body] = await answer(await validation());
    expect(body).toEqual({
      problem: { message: "Your request parameters didn't validate.", invalid_params: [expect.anything()] },
    });
    emu.set({ problemShape: 'flat' });
    expect(emu.state().options).toMatchObject({ freepikErrorShape: 'problem-flat', problemShape: 'flat' });
    [, body] = await answer(await validation());
    expect(body).toMatchObject({ message: "Your request parameters didn't validate." });
    emu.set({ freepikErrorShape: 'detail' });
    emu.set({ problemShape: 'wrapped' }); // the old name alone still switches to problem+json
    expect(emu.state().options).toMatchObject({ freepikErrorShape: 'problem-wrapped' });
    expect(() => emu.set({ freepikErrorShape: 'problem-flat', problemShape: 'wrapped' })).toThrow(
      /contradicts/,
    );
    expect(() => emu.set({ freepikErrorShape: 'json' as 'detail' })).toThrow(/freepikErrorShape/);
    expect((await control('set', { freepikErrorShape: 'json' })).status).toBe(400);
  });
});

describe('Novita auth and errors', () => {
  it('a missing key is a 401, a wrong key a 403 INVALID_API_KEY', async () => {
    let [status, body] = await answer(await novitaSubmit(json));
    expect(status).toBe(401);
    expect(body).toMatchObject({ code: 401, reason: 'INVALID_API_KEY', metadata: {} });
    expect(await answer(await novitaSubmit({ ...json, authorization: 'Bearer wrong' }))).toEqual([
      403,
      novitaError(403, 'INVALID_API_KEY', 'invalid API key'),
    ]);
    // the key without the Bearer scheme is not the key
    [status, body] = await answer(await novitaSubmit({ ...json, authorization: emu.keys.novita }));
    expect([status, (body as NovitaError).reason]).toEqual([403, 'INVALID_API_KEY']);
    expect((await novitaResult(crypto.randomUUID(), { authorization: 'Bearer wrong' })).status).toBe(403);
    expect((await novitaResult(crypto.randomUUID(), {})).status).toBe(401);
    // a scripted 403 looks like the real one
    emu.script('status', [403]);
    [status, body] = await answer(await novitaResult(crypto.randomUUID()));
    expect([status, (body as NovitaError).reason]).toEqual([403, 'INVALID_API_KEY']);
    expect(emu.submissions()).toBe(0);
  });

  it("'billing': Novita 400 BILLING_BALANCE_NOT_ENOUGH, Freepik and Comfy 402; no task", async () => {
    emu.script('submit', ['billing', 'billing', 'billing', 'billing']);
    expect(await answer(await novitaSubmit())).toEqual([
      400,
      novitaError(400, 'BILLING_BALANCE_NOT_ENOUGH', 'Insufficient balance'),
    ]);
    expect(
      await answer(await post('/v1/ai/image-upscaler-precision', { image: small }, headers().freepik())),
    ).toEqual([402, { message: 'Payment required' }]);
    expect(await answer(await post(CREATIVE, { image: small }, headers().comfy()))).toEqual([
      402,
      comfyError('Payment required', 'payment_required'),
    ]);
    emu.set({ comfyErrorShape: 'flat' });
    expect(await answer(await post(V2, { image: small }, headers().comfyJwt()))).toEqual([
      402,
      { error: 'Payment Required', message: 'Payment required' },
    ]);
    expect(emu.submissions()).toBe(0);
    expect(emu.requests.map((r) => r.fault)).toEqual(['billing', 'billing', 'billing', 'billing']);
    // the next submit goes through
    expect((await novitaSubmit()).status).toBe(200);
  });

  it("'billing' in the random pool hits submits only", async () => {
    emu.set({ faultRate: 1, faultKinds: ['billing'] });
    const id = crypto.randomUUID();
    expect((await novitaResult(id)).status).toBe(404);
    expect((await novitaSubmit()).status).toBe(400);
    expect(emu.submissions()).toBe(0);
  });

  it('novitaEmptyReason: reason "" in every Novita error body', async () => {
    emu.set({ novitaEmptyReason: true });
    const bodies: Array<[number, unknown]> = [];
    bodies.push(await answer(await novitaSubmit(json)));
    bodies.push(await answer(await novitaSubmit({ ...json, authorization: 'Bearer wrong' })));
    // scripted faults come before auth: queue them only now
    emu.script('submit', ['billing', 429]);
    bodies.push(await answer(await novitaSubmit()));
    bodies.push(await answer(await novitaSubmit()));
    bodies.push(await answer(await post('/v3/async/image-upscaler', { image: small }, headers().novita())));
    bodies.push(await answer(await novitaResult(crypto.randomUUID())));
    bodies.push(await answer(await get('/v3/async/task-result', headers().novita())));
    emu.script('outcome', [{ novitaResultError: 'TASK_FAILED', processingMs: 0 }]);
    const id = await novitaTask();
    bodies.push(await answer(await novitaResult(id)));
    expect(bodies.map((b) => (b as [number, NovitaError])[0])).toEqual([
      401, 403, 400, 429, 400, 404, 400, 500,
    ]);
    for (const [, body] of bodies as Array<[number, NovitaError]>) {
      expect(body).toMatchObject({ reason: '', metadata: {} });
      expect(body.message.length).toBeGreaterThan(0);
    }
    expect((bodies[7] as [number, NovitaError])[1].message).toMatch(/^task failed: /);
    expect(() => emu.set({ novitaEmptyReason: 'yes' as unknown as boolean })).toThrow(/novitaEmptyReason/);
  });
});

describe('Novita failed tasks on the result endpoint (outcome novitaResultError)', () => {
  const isFinalOr500 = (r: [number, unknown]) =>
    r[0] !== 200 ||
    !['TASK_STATUS_QUEUED', 'TASK_STATUS_PROCESSING'].includes((r[1] as NovitaResult).task.status);

  it('TASK_FAILED: 200 while queued/processing, then HTTP 500 TASK_FAILED, for good', async () => {
    emu.script('outcome', [{ novitaResultError: 'TASK_FAILED', reason: 'upstream model crashed' }]);
    const id = await novitaTask();
    const seen = await pollUntil(async () => answer(await novitaResult(id)), isFinalOr500);
    expect(seen.slice(0, -1).every(([s]) => s === 200)).toBe(true);
    expect(seen[0]![0]).toBe(200);
    const expected = [500, novitaError(500, 'TASK_FAILED', 'task failed: upstream model crashed')];
    expect(seen.at(-1)).toEqual(expected);
    for (let i = 0; i < 3; i++) {
      await sleep(20);
      expect(await answer(await novitaResult(id))).toEqual(expected);
    }
    expect(emu.task(id)).toMatchObject({ novitaResultError: 'TASK_FAILED', outcome: 'FAILED' });
  });

  it('GET_RESULT_FAILED, also after a completed task; other tasks are not affected', async () => {
    emu.script('outcome', [
      { novitaResultError: 'GET_RESULT_FAILED', outcome: 'COMPLETED', processingMs: 0 },
    ]);
    const broken = await novitaTask();
    const fine = await novitaTask();
    const [status, body] = await answer(await novitaResult(broken));
    expect(status).toBe(500);
    expect(body).toMatchObject({
      code: 500,
      reason: 'GET_RESULT_FAILED',
      message: expect.stringMatching(/^get result failed: /),
    });
    const ok = await pollUntil(
      async () => answer(await novitaResult(fine)),
      (r) => (r[1] as NovitaResult).task.status === 'TASK_STATUS_SUCCEED',
    );
    expect(ok.every(([s]) => s === 200)).toBe(true);
    expect(emu.task(broken)?.status).toBe('TASK_STATUS_SUCCEED');
    expect(emu.task(fine)?.novitaResultError).toBeNull();
  });

  it('is checked when queued, and ignored by the Freepik family', async () => {
    expect(() => emu.script('outcome', [{ novitaResultError: 'TASK_FAILED_500' as 'TASK_FAILED' }])).toThrow(
      /novitaResultError/,
    );
    expect(() => emu.script('outcome', [{ novitaResultError: 'TASK_FAILED', outcome: 'NEVER' }])).toThrow(
      /NEVER/,
    );
    expect(
      (await control('script', { route: 'outcome', responses: [{ novitaResultError: 'NOPE' }] })).status,
    ).toBe(400);
    emu.script('outcome', [{ novitaResultError: 'TASK_FAILED', processingMs: 0 }]);
    const res = await post('/v1/ai/image-upscaler', { image: small }, headers().freepik());
    const id = ((await res.json()) as { data: FreepikTask }).data.task_id;
    const st = await get(`/v1/ai/image-upscaler/${id}`, headers().freepik());
    expect(st.status).toBe(200);
    expect(((await st.json()) as { data: FreepikTask }).data.status).toBe('FAILED');
    expect(emu.task(id)?.novitaResultError).toBeNull();
  });
});
