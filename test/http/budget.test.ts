/** The request budget: never more than the limit in any window, highest priority first, learned from headers. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseRateLimit, RequestBudget } from '../../src/http/budget.js';
import { parseRateLimitHeaders } from '../../src/http/rate-limit-headers.js';

describe('parseRateLimit', () => {
  it.each([
    ['50/min', { limit: 50, windowMs: 60_000 }],
    ['20/3s', { limit: 20, windowMs: 3000 }],
    ['1250/day', { limit: 1250, windowMs: 86_400_000 }],
    [' 100 / 60s ', { limit: 100, windowMs: 60_000 }],
    ['10/500ms', { limit: 10, windowMs: 500 }],
    ['5/h', { limit: 5, windowMs: 3_600_000 }],
  ])('%s', (text, expected) => expect(parseRateLimit(text)).toEqual(expected));

  it.each([['fast'], ['0/min'], ['50'], ['-1/s'], ['50/0s'], ['5/fortnight']])('refuses %s', (text) => {
    expect(parseRateLimit(text)).toBeUndefined();
  });
});

describe('parseRateLimitHeaders', () => {
  const now = 1_700_000_000_000;
  it.each([
    [
      { 'x-ratelimit-limit': '50', 'x-ratelimit-remaining': '7', 'x-ratelimit-reset': '12' },
      { limit: 50, remaining: 7, resetMs: 12_000 },
    ],
    [{ 'x-ratelimit-reset': String(now / 1000 + 30) }, { resetMs: 30_000 }],
    [
      { ratelimit: 'limit=20, remaining=3, reset=2', 'ratelimit-policy': '20;w=3' },
      { limit: 20, remaining: 3, resetMs: 2000, windowMs: 3000 },
    ],
    [
      { ratelimit: '"default";r=4;t=9', 'ratelimit-policy': '"default";q=50;w=60' },
      { limit: 50, remaining: 4, resetMs: 9000, windowMs: 60_000 },
    ],
    [{ 'x-ratelimit-limit': 'lots' }, {}],
    [{}, {}],
  ])('%j', (headers, expected) => expect(parseRateLimitHeaders(headers, now)).toEqual(expected));
});

describe('RequestBudget', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Takes `n` slots (already answered, so no first-request wait) and records when each went. */
  async function drain(budget: RequestBudget, n: number, priority = () => 1): Promise<number[]> {
    const times: number[] = [];
    const all = Array.from({ length: n }, () => budget.acquire(priority).then(() => times.push(Date.now())));
    await vi.runAllTimersAsync();
    await Promise.all(all);
    return times;
  }

  it('never lets more than the limit go in any window', async () => {
    const budget = new RequestBudget({ limit: 5, windowMs: 1000 });
    budget.observe({});
    const times = await drain(budget, 23);
    for (const t of times) expect(times.filter((u) => u >= t && u < t + 1000).length).toBeLessThanOrEqual(5);
    expect(times[22]! - times[0]!).toBeGreaterThanOrEqual(4000);
    expect(budget.used).toBe(23);
  });

  it('gives a freed slot to the highest priority waiting', async () => {
    const budget = new RequestBudget({ limit: 1, windowMs: 1000 });
    budget.observe({});
    const order: string[] = [];
    await budget.acquire();
    const low = budget.acquire(() => 0.5).then(() => order.push('premature poll'));
    const mid = budget.acquire(() => 1).then(() => order.push('submit'));
    const high = budget.acquire(() => 3).then(() => order.push('result'));
    await vi.runAllTimersAsync();
    await Promise.all([low, mid, high]);
    expect(order).toEqual(['result', 'submit', 'premature poll']);
  });

  it('sends the first request alone, until its answer brings the limit', async () => {
    const budget = new RequestBudget({ limit: 50, windowMs: 60_000 });
    const sent: number[] = [];
    const all = [0, 1, 2].map(() => budget.acquire().then(() => sent.push(Date.now())));
    await vi.advanceTimersByTimeAsync(10);
    expect(sent).toHaveLength(1);
    budget.observe({ limit: 2, remaining: 1, resetMs: 3000 });
    await vi.advanceTimersByTimeAsync(10);
    expect(sent).toHaveLength(2);
    await vi.runAllTimersAsync();
    await Promise.all(all);
    expect(budget.limit).toEqual({ limit: 2, windowMs: 3000 });
    expect(sent[2]! - sent[0]!).toBeGreaterThanOrEqual(3000);
  });

  it('waits out the server’s reset when it says nothing remains', async () => {
    const budget = new RequestBudget({ limit: 100, windowMs: 60_000 });
    budget.observe({ remaining: 0, resetMs: 5000 });
    const start = Date.now();
    const [at] = await drain(budget, 1);
    expect(at! - start).toBeGreaterThanOrEqual(5000);
  });

  it('keeps a rate the user set as a ceiling: the server may lower it, not raise it', () => {
    const budget = new RequestBudget({ limit: 10, windowMs: 60_000 }, {}, Date.now, true);
    budget.observe({ limit: 50, windowMs: 60_000 });
    expect(budget.limit).toEqual({ limit: 10, windowMs: 60_000 });
    budget.observe({ limit: 5, windowMs: 60_000 });
    expect(budget.limit).toEqual({ limit: 5, windowMs: 60_000 });
  });

  it('a 429 pauses every waiter', async () => {
    const budget = new RequestBudget({ limit: 100, windowMs: 1000 });
    budget.observe({});
    budget.pause(2000);
    const start = Date.now();
    const [at] = await drain(budget, 1);
    expect(at! - start).toBeGreaterThanOrEqual(2000);
  });

  it('says when it makes requests wait', async () => {
    const waits: number[] = [];
    const budget = new RequestBudget(
      { limit: 1, windowMs: 10_000 },
      { onWait: (until) => waits.push(until) },
    );
    budget.observe({});
    await drain(budget, 2);
    expect(waits.length).toBeGreaterThan(0);
  });

  it('stops telling a listener once it is removed (a library caller runs many batches)', async () => {
    const budget = new RequestBudget({ limit: 1, windowMs: 10_000 });
    budget.observe({});
    const waits: number[] = [];
    const stop = budget.listen({ onWait: (until) => waits.push(until) });
    await drain(budget, 2);
    const heard = waits.length;
    expect(heard).toBeGreaterThan(0);
    stop();
    await drain(budget, 2);
    expect(waits).toHaveLength(heard);
  });

  it('a later connection with another rate reconfigures the shared budget', () => {
    const budget = new RequestBudget({ limit: 50, windowMs: 60_000 });
    budget.reconfigure({ limit: 3, windowMs: 2000 }, true);
    expect(budget.limit).toEqual({ limit: 3, windowMs: 2000 });
    // Learned from the server: a new default does not undo it, a stricter user rate does.
    budget.observe({ limit: 2, windowMs: 2000 });
    budget.reconfigure({ limit: 50, windowMs: 60_000 }, false);
    expect(budget.limit).toEqual({ limit: 2, windowMs: 2000 });
    budget.reconfigure({ limit: 1, windowMs: 2000 }, true);
    expect(budget.limit).toEqual({ limit: 1, windowMs: 2000 });
  });
});
