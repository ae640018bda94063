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
    // A broken gateway's values drive no timer and no count.
    [{ 'x-ratelimit-limit': '0.5', 'x-ratelimit-remaining': '-3', 'x-ratelimit-reset': '99999999999' }, {}],
    [{ 'x-ratelimit-limit': '0', 'x-ratelimit-remaining': '2.5' }, {}],
    [
      { ratelimit: 'limit=10, remaining=1, reset=5', 'ratelimit-policy': '10;w=0' },
      { limit: 10, remaining: 1, resetMs: 5000 },
    ],
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

describe('RequestBudget in a fleet (several processes on one key)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Acquires `n` slots at once and records when each went, after `advance` ms. */
  async function sendTimes(budget: RequestBudget, n: number, advance: number): Promise<number[]> {
    const times: number[] = [];
    for (let i = 0; i < n; i++) void budget.acquire().then(() => times.push(Date.now()));
    await vi.advanceTimersByTimeAsync(advance);
    return times;
  }

  it('holds every request behind the first until its answer comes, however slow (no burst into a spent quota)', async () => {
    const budget = new RequestBudget({ limit: 50, windowMs: 60_000 });
    const times = await sendTimes(budget, 5, 10_000);
    expect(times).toHaveLength(1);
    budget.observe({ limit: 50, remaining: 49, resetMs: 60_000 });
    await vi.advanceTimersByTimeAsync(10);
    expect(times).toHaveLength(5);
  });

  it('after a network failure the next request goes alone again', async () => {
    const budget = new RequestBudget({ limit: 50, windowMs: 60_000 });
    const times = await sendTimes(budget, 3, 100);
    expect(times).toHaveLength(1);
    budget.unanswered();
    await vi.advanceTimersByTimeAsync(100);
    expect(times).toHaveLength(2);
  });

  it('a shard with a third of the inputs sends a third of the limit: its part at once, then evenly spread', async () => {
    const budget = new RequestBudget({ limit: 30, windowMs: 3000 });
    budget.observe({});
    budget.expectSplit({ sizes: [1, 1, 1], index: 0 });
    expect(budget.pace).toEqual({ limit: 10, windowMs: 3000 });
    const times = await sendTimes(budget, 25, 9000);
    const start = times[0]!;
    // The first window: the server's window is empty and the parts add up to the limit.
    expect(times.filter((t) => t - start < 100)).toHaveLength(10);
    // Then never more than the part in a window, one every window / part.
    for (const t of times) expect(times.filter((u) => u >= t && u < t + 3000).length).toBeLessThanOrEqual(10);
    const later = times.slice(10);
    expect(later.length).toBeGreaterThanOrEqual(8);
    for (let i = 1; i < later.length; i++) expect(later[i]! - later[i - 1]!).toBeGreaterThanOrEqual(300);
  });

  it('its part holds when the real limit is learned later (a third of 50/min is a third of 20/3 s, in whole requests)', () => {
    const parts = [0, 1, 2].map((index) => {
      const budget = new RequestBudget({ limit: 50, windowMs: 60_000 });
      budget.expectSplit({ sizes: [1, 1, 1], index });
      budget.observe({ limit: 20, windowMs: 3000 });
      return budget.pace.limit;
    });
    expect(parts).toEqual([7, 7, 6]);
  });

  it('keeps to what the other clients leave, as the server’s count shows', () => {
    const budget = new RequestBudget({ limit: 20, windowMs: 3000 });
    const sentAt = Date.now();
    void budget.acquire();
    // One request of ours in the window, yet the server counted 15: others sent 14.
    budget.observe({ limit: 20, windowMs: 3000, remaining: 5 }, sentAt);
    expect(budget.pace.limit).toBeLessThanOrEqual(20 - 14 - 1);
  });

  it('alone on the key, a single process keeps the whole limit', () => {
    const budget = new RequestBudget({ limit: 20, windowMs: 3000 });
    for (let i = 0; i < 5; i++) {
      const sentAt = Date.now();
      void budget.acquire();
      budget.observe({ limit: 20, windowMs: 3000, remaining: 19 - i }, sentAt);
    }
    expect(budget.pace).toEqual({ limit: 20, windowMs: 3000 });
  });

  it('grows its part when the others leave room, not in the split’s first two windows, then at most once a window', async () => {
    const budget = new RequestBudget({ limit: 20, windowMs: 3000 });
    budget.expectSplit({ sizes: [1, 3], index: 0 });
    expect(budget.pace.limit).toBe(5);
    // The others' first windows: they may not have spread their parts yet; room then is no room.
    for (let t = 0; t < 6000; t += 1000) {
      budget.observe({ limit: 20, windowMs: 3000, remaining: 19 }, Date.now());
      expect(budget.pace.limit).toBe(5);
      await vi.advanceTimersByTimeAsync(1000);
    }
    budget.observe({ limit: 20, windowMs: 3000, remaining: 19 }, Date.now());
    const grown = budget.pace.limit;
    expect(grown).toBeGreaterThan(5);
    budget.observe({ limit: 20, windowMs: 3000, remaining: 19 }, Date.now());
    expect(budget.pace.limit).toBe(grown);
  });

  it('a 429 pauses every request for the reset and takes a smaller part', async () => {
    const budget = new RequestBudget({ limit: 20, windowMs: 3000 });
    budget.observe({});
    budget.expectSplit({ sizes: [1, 1], index: 0 });
    budget.throttled(1000);
    expect(budget.pace.limit).toBe(10);
    const before = Date.now();
    const times = await sendTimes(budget, 1, 2000);
    expect(times[0]! - before).toBeGreaterThanOrEqual(1000);
  });

  it('alone, a 429 cuts the pace to 70 %', () => {
    const budget = new RequestBudget({ limit: 20, windowMs: 3000 });
    budget.throttled(500);
    expect(budget.pace.limit).toBe(14);
  });

  it('while sharing, waits for the reset when the server says nothing is left', async () => {
    const budget = new RequestBudget({ limit: 20, windowMs: 3000 });
    budget.expectSplit({ sizes: [1, 1], index: 0 });
    budget.observe({ limit: 20, windowMs: 3000, remaining: 0, resetMs: 1500 }, Date.now());
    const before = Date.now();
    const times = await sendTimes(budget, 1, 3000);
    expect(times[0]! - before).toBeGreaterThanOrEqual(1500);
  });

  it('a lone process does not take its own reordered requests for a peer’s', async () => {
    const budget = new RequestBudget({ limit: 20, windowMs: 3000 });
    budget.observe({});
    const sentAt = Date.now();
    void budget.acquire();
    await vi.advanceTimersByTimeAsync(20);
    for (let i = 0; i < 9; i++) void budget.acquire();
    // The first request's answer comes after nine later ones arrived (a big upload sent first).
    budget.observe({ limit: 20, windowMs: 3000, remaining: 10 }, sentAt);
    expect(budget.pace).toEqual({ limit: 20, windowMs: 3000 });
  });

  it('a request that would wait past --timeout fails at once with TIMEOUT', async () => {
    const budget = new RequestBudget({ limit: 1, windowMs: 60_000 });
    budget.observe({});
    budget.bound(4000);
    await budget.acquire();
    const second = budget.acquire();
    await expect(second).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('a wait longer than a Node timer can hold does not fire early', async () => {
    const budget = new RequestBudget({ limit: 1, windowMs: 1000 });
    budget.observe({});
    budget.pause(2 ** 31 + 60_000);
    let sent = false;
    void budget.acquire().then(() => {
      sent = true;
    });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sent).toBe(false);
  });

  it('a reset far beyond the window (a daily quota) holds nothing up', async () => {
    const budget = new RequestBudget({ limit: 20, windowMs: 3000 });
    budget.observe({ limit: 20, windowMs: 3000, remaining: 10, resetMs: 1000 });
    budget.observe({ remaining: 0, resetMs: 80_000_000 });
    const before = Date.now();
    const times = await sendTimes(budget, 1, 10);
    expect(times[0]! - before).toBeLessThan(10);
  });
});
