/**
 * Issue 24, Must 1: a run's one signal gets one `abort` listener, however many sleeps, budget
 * waits and requests wait on it (Node warns past ten: MaxListenersExceededWarning).
 */
import { getEventListeners } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onAbort } from '../../src/http/abort-listeners.js';
import { RequestBudget } from '../../src/http/budget.js';
import { HttpClient } from '../../src/http/client.js';
import { delay } from '../../src/http/delay.js';
import { READ_POLICY } from '../../src/http/retry-policy.js';

const listeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;

describe('one abort listener per signal', () => {
  it('fifty sleeps on one signal: one listener, and every sleep ends when it aborts', async () => {
    const controller = new AbortController();
    const sleeps = Array.from({ length: 50 }, () => delay(60_000, controller.signal));
    expect(listeners(controller.signal)).toBe(1);
    controller.abort(new Error('stop'));
    const ended = await Promise.allSettled(sleeps);
    expect(ended.every((s) => s.status === 'rejected' && (s.reason as Error).message === 'stop')).toBe(true);
  });

  it('a sleep that ends leaves nothing to call', async () => {
    const controller = new AbortController();
    let called = 0;
    const off = onAbort(controller.signal, () => called++);
    await delay(1, controller.signal);
    off();
    controller.abort();
    expect(called).toBe(0);
  });

  it('fifty requests waiting for the budget on one signal: one listener', async () => {
    const controller = new AbortController();
    const budget = new RequestBudget({ limit: 1, windowMs: 60_000 });
    await budget.acquire(() => 1, controller.signal);
    const waiting = Array.from({ length: 50 }, () => budget.acquire(() => 1, controller.signal));
    expect(listeners(controller.signal)).toBe(1);
    controller.abort();
    expect((await Promise.allSettled(waiting)).every((w) => w.status === 'rejected')).toBe(true);
  });

  describe('requests in flight', () => {
    let server: Server;
    let url: string;
    const held: (() => void)[] = [];
    beforeAll(async () => {
      server = createServer((_req, res) => {
        held.push(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('twenty requests in flight on one signal: one listener, no warning', async () => {
      const warnings: Error[] = [];
      const onWarning = (w: Error) => warnings.push(w);
      process.on('warning', onWarning);
      const client = new HttpClient();
      const controller = new AbortController();
      try {
        const requests = Array.from({ length: 20 }, () =>
          client.json({ url, method: 'GET', policy: READ_POLICY, signal: controller.signal }),
        );
        for (let i = 0; i < 100 && held.length < 20; i++) await delay(20);
        expect(held).toHaveLength(20);
        expect(listeners(controller.signal)).toBe(1);
        for (const answer of held.splice(0)) answer();
        expect((await Promise.all(requests)).every((r) => r.status === 200)).toBe(true);
        // Node emits the warning on the next tick.
        await delay(20);
        expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
      } finally {
        process.off('warning', onWarning);
        for (const answer of held.splice(0)) answer();
        await client.close();
      }
    });
  });
});
