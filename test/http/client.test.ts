/**
 * HttpClient against a real HTTP server on 127.0.0.1 (port 0): what it sends, which answers it
 * retries and how long it waits, what it hands back, and how it fails. Policies here wait
 * milliseconds, not seconds.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient, type RetryEvent, wrapNetworkError } from '../../src/http/client.js';
import type { RetryPolicy } from '../../src/http/retry-policy.js';

/** What the server got: method, path, headers and body of each request. */
interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

type Handler = (req: Received, res: ServerResponse, count: number) => void;

let server: Server;
let base = '';
let handler: Handler = (_req, res) => res.writeHead(404).end();
let received: Received[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      const got = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      received.push(got);
      handler(got, res, received.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

let clients: HttpClient[] = [];
afterEach(async () => {
  for (const c of clients) await c.close();
  clients = [];
  received = [];
});

function client(events: RetryEvent[] = [], options: ConstructorParameters<typeof HttpClient>[0] = {}) {
  const c = new HttpClient({ random: () => 1, onRetry: (e) => events.push(e), ...options });
  clients.push(c);
  return c;
}

const FAST: RetryPolicy = {
  name: 'test',
  maxAttempts: 3,
  retryStatuses: [429, 500, 503],
  retryNetworkErrors: 'all',
  baseDelayMs: 10,
  maxDelayMs: 40,
  maxRetryAfterMs: 60,
};
const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

describe('HttpClient.json', () => {
  it('sends the body as JSON with its length and headers, and parses the answer', async () => {
    handler = (_req, res) => json(res, 201, { id: 'task-1' });
    const sent: number[] = [];
    const got = await client().json({
      url: `${base}/v1/tasks?x=1`,
      method: 'POST',
      headers: { authorization: 'Bearer k' },
      body: { scale: 2, name: 'ü' },
      policy: FAST,
      onSent: () => sent.push(1),
    });
    expect(got).toMatchObject({ status: 201, json: { id: 'task-1' }, text: '{"id":"task-1"}' });
    const [req] = received;
    expect(req).toMatchObject({ method: 'POST', url: '/v1/tasks?x=1' });
    expect(JSON.parse(req!.body)).toEqual({ scale: 2, name: 'ü' });
    expect(req!.headers).toMatchObject({
      authorization: 'Bearer k',
      accept: 'application/json',
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(req!.body)),
    });
    expect(sent).toEqual([1]);
  });

  it('hands back an answer that is not JSON with its text and json undefined', async () => {
    handler = (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>oops</html>');
    const got = await client().json({ url: `${base}/x`, method: 'GET', policy: FAST });
    expect(got).toMatchObject({ status: 200, text: '<html>oops</html>', json: undefined });
  });

  it('retries a retried status with backoff and says so, each attempt counted', async () => {
    handler = (_req, res, n) => (n < 3 ? json(res, 503, { busy: true }) : json(res, 200, { ok: true }));
    const events: RetryEvent[] = [];
    let sent = 0;
    const got = await client(events).json({
      url: `${base}/status`,
      method: 'GET',
      policy: FAST,
      onSent: () => sent++,
    });
    expect(got).toMatchObject({ status: 200, json: { ok: true } });
    expect(sent).toBe(3);
    expect(events).toEqual([
      { url: `${base}/status`, attempt: 1, delayMs: 10, reason: 'HTTP 503' },
      { url: `${base}/status`, attempt: 2, delayMs: 20, reason: 'HTTP 503' },
    ]);
  });

  it('gives the last answer of a retried status once the attempts are spent', async () => {
    handler = (_req, res) => json(res, 500, { error: 'down' });
    const got = await client().json({ url: `${base}/down`, method: 'GET', policy: FAST });
    expect(got).toMatchObject({ status: 500, json: { error: 'down' } });
    expect(received).toHaveLength(3);
  });

  it('does not retry a status outside the policy', async () => {
    handler = (_req, res) => json(res, 404, { error: 'no such task' });
    const got = await client().json({ url: `${base}/missing`, method: 'GET', policy: FAST });
    expect(got.status).toBe(404);
    expect(received).toHaveLength(1);
  });

  it("waits as the server's Retry-After says, capped by the policy", async () => {
    handler = (_req, res, n) =>
      n === 1 ? json(res, 503, {}, { 'retry-after': '3600' }) : json(res, 200, {});
    const events: RetryEvent[] = [];
    const started = Date.now();
    await client(events).json({ url: `${base}/later`, method: 'GET', policy: FAST });
    expect(events.map((e) => e.delayMs)).toEqual([FAST.maxRetryAfterMs]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(FAST.maxRetryAfterMs - 5);
  });

  it('takes an answer the caller calls final although its status is retried', async () => {
    handler = (_req, res) => json(res, 500, { status: 'FAILED' });
    const got = await client().json({
      url: `${base}/result`,
      method: 'GET',
      policy: FAST,
      isFinal: (status, text) => status === 500 && text.includes('FAILED'),
    });
    expect(got).toMatchObject({ status: 500, json: { status: 'FAILED' } });
    expect(received).toHaveLength(1);
  });

  it('a connection refused is UNREACHABLE after one quick second try: nothing was sent', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    let sent = 0;
    const error = await client()
      .json({
        url: `http://127.0.0.1:${port}/x`,
        method: 'GET',
        policy: { ...FAST, maxAttempts: 5 },
        onSent: () => sent++,
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'UNREACHABLE', hint: expect.stringContaining('nothing was sent') });
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect(sent).toBe(2);
  });

  it('a reset after the request went out is retried by a read, never by a submit', async () => {
    handler = (_req, res, n) => (n === 1 ? res.socket?.destroy() : json(res, 200, { ok: true }));
    const read = await client().json({ url: `${base}/read`, method: 'GET', policy: FAST });
    expect(read.status).toBe(200);
    expect(received).toHaveLength(2);
    received = [];
    const submit = client()
      .json({
        url: `${base}/submit`,
        method: 'POST',
        body: { a: 1 },
        policy: { ...FAST, retryNetworkErrors: 'connect-only' },
      })
      .catch((e: unknown) => e);
    expect(await submit).toMatchObject({ code: 'NETWORK' });
    expect(received).toHaveLength(1);
  });

  it('a body whose file cannot be read: thrown as the file error at once, never as the network', async () => {
    handler = (_req, res) => json(res, 200, { ok: true });
    const events: RetryEvent[] = [];
    const error = await client(events)
      .json({
        url: `${base}/submit`,
        method: 'POST',
        body: { image: { kind: 'file', path: '/nonexistent/upscale-photo.png', size: 3000 } },
        policy: FAST,
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ENOENT', path: '/nonexistent/upscale-photo.png' });
    expect(error).not.toMatchObject({ code: 'NETWORK' });
    // Not passing by itself: not tried again (an EMFILE would be, as the policy allows).
    expect(events).toEqual([]);
  });

  it('gives up a request whose headers do not come within the timeout', async () => {
    handler = () => undefined;
    const error = await client([], { timeouts: { headersMs: 100 } })
      .json({ url: `${base}/silent`, method: 'GET', policy: { ...FAST, maxAttempts: 1 } })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'NETWORK' });
    expect((error as Error).message).toContain('UND_ERR_HEADERS_TIMEOUT');
  });

  it('ends at once, with the signal’s reason, when aborted during a backoff', async () => {
    handler = (_req, res) => json(res, 503, {});
    const controller = new AbortController();
    const started = Date.now();
    const request = client()
      .json({
        url: `${base}/busy`,
        method: 'GET',
        policy: { ...FAST, maxAttempts: 10, baseDelayMs: 10_000, maxDelayMs: 10_000 },
        signal: controller.signal,
      })
      .catch((e: unknown) => e);
    setTimeout(() => controller.abort(new Error('stopped by the user')), 100);
    expect(await request).toMatchObject({ message: 'stopped by the user' });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(received).toHaveLength(1);
  });

  it('a 429 holds back every request to that origin, not only the one that met it', async () => {
    handler = (req, res, n) =>
      n === 1 ? json(res, 429, {}, { 'retry-after': '0.3' }) : json(res, 200, { url: req.url });
    let paused: () => void = () => undefined;
    const sawPause = new Promise<void>((resolve) => {
      paused = resolve;
    });
    const http = client([], { onRetry: () => paused() });
    const slow = { ...FAST, maxRetryAfterMs: 1000 };
    const first = http.json({ url: `${base}/a`, method: 'GET', policy: slow });
    await sawPause;
    const startedSecond = Date.now();
    const second = await http.json({ url: `${base}/b`, method: 'GET', policy: slow });
    expect(second).toMatchObject({ status: 200, json: { url: '/b' } });
    expect(Date.now() - startedSecond).toBeGreaterThanOrEqual(150);
    expect(await first).toMatchObject({ status: 200, json: { url: '/a' } });
  });

  it('logs each attempt with the secrets replaced', async () => {
    handler = (_req, res) => json(res, 200, {});
    const log: string[] = [];
    await client([], { onLog: (line) => log.push(line), secrets: ['sekrit-key'] }).json({
      url: `${base}/x?key=sekrit-key`,
      method: 'GET',
      policy: FAST,
    });
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/x\?key=\S+ → 200 \(\d+ ms\)$/);
    expect(log[0]).not.toContain('sekrit-key');
  });
});

describe('HttpClient.stream', () => {
  it('hands the body to read, and retries what read calls retryable', async () => {
    handler = (_req, res, n) => res.writeHead(200).end(n === 1 ? 'short' : 'whole body');
    const events: RetryEvent[] = [];
    const got = await client(events).stream({
      url: `${base}/file`,
      policy: FAST,
      read: async (response) => {
        const text = await response.body.text();
        if (text === 'short') throw new Error('cut short');
        return text;
      },
      retryable: (error) => (error as Error).message === 'cut short',
    });
    expect(got).toBe('whole body');
    expect(events.map((e) => e.reason)).toEqual(['cut short']);
  });

  it('an error read does not call retryable ends the request', async () => {
    handler = (_req, res) => res.writeHead(200).end('bad');
    const error = await client()
      .stream({
        url: `${base}/file`,
        policy: FAST,
        read: async () => {
          throw new Error('not an image');
        },
        retryable: () => false,
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ message: 'not an image' });
    expect(received).toHaveLength(1);
  });
});

describe('wrapNetworkError', () => {
  it('names the host and the reason, and tells a failed connection from a broken one', () => {
    const refused = Object.assign(new Error('connect'), { code: 'ECONNREFUSED' });
    expect(wrapNetworkError(refused, 'https://api.example.com/v1/x')).toMatchObject({
      code: 'UNREACHABLE',
      message: 'cannot reach api.example.com (ECONNREFUSED: the connection was refused)',
    });
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(wrapNetworkError(reset, 'https://api.example.com/v1/x')).toMatchObject({
      code: 'NETWORK',
      message: 'could not reach api.example.com (ECONNRESET)',
    });
  });
});
