import { describe, expect, it } from 'vitest';
import { nextPollDelay, POLL_CAP_MS, pollUntilFinal } from '../../src/run/poll.js';

describe('nextPollDelay', () => {
  it.each([
    [2000, 0, 2000],
    [2000, 10_000, 2000],
    [2000, 20_000, 3000],
    [2000, 100_000, 15_000],
    [2000, 1_000_000, POLL_CAP_MS],
    [250, 4000, 600],
  ])('first %d ms, age %d ms → %d ms', (first, age, expected) => {
    expect(nextPollDelay(first, age)).toBe(expected);
  });

  it('lets a provider ETA bring the next poll forward', () => {
    expect(nextPollDelay(2000, 100_000, { status: 'running', etaSeconds: 1 })).toBe(1100);
    expect(nextPollDelay(2000, 100_000, { status: 'running', etaSeconds: 0 })).toBe(200);
  });

  it('polls a 60 s task at most 20 times and notices completion within 1 s + 15 % of its age', () => {
    let t = 0;
    let polls = 0;
    const completeAt = 60_000;
    while (t < completeAt) {
      t += nextPollDelay(2000, t);
      polls++;
    }
    expect(polls).toBeLessThanOrEqual(20);
    expect(t - completeAt).toBeLessThanOrEqual(1000 + 0.15 * completeAt);
  });
});

describe('pollUntilFinal', () => {
  it('times out at the deadline with the task id and a way to collect it', async () => {
    const start = Date.now();
    await expect(
      pollUntilFinal({
        taskId: 't-1',
        submittedAt: start,
        firstIntervalMs: 10,
        deadline: start + 60,
        fetchState: async () => ({ status: 'running' }),
      }),
    ).rejects.toMatchObject({ code: 'TIMEOUT', message: expect.stringContaining('t-1') });
  });

  it('returns the final state and reports each state', async () => {
    const states = [
      { status: 'queued' },
      { status: 'running' },
      { status: 'succeeded', urls: ['u'] },
    ] as const;
    const seen: string[] = [];
    let i = 0;
    const final = await pollUntilFinal({
      taskId: 't-2',
      submittedAt: Date.now(),
      firstIntervalMs: 1,
      deadline: Date.now() + 5000,
      fetchState: async () => states[i++]!,
      onState: (s) => seen.push(s.status),
    });
    expect(final).toEqual({ status: 'succeeded', urls: ['u'] });
    expect(seen).toEqual(['queued', 'running', 'succeeded']);
  });

  it('stops at once on abort', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    await expect(
      pollUntilFinal({
        taskId: 't-3',
        submittedAt: Date.now(),
        firstIntervalMs: 10_000,
        deadline: Date.now() + 60_000,
        signal: controller.signal,
        fetchState: async () => ({ status: 'running' }),
      }),
    ).rejects.toThrow(/abort/i);
  });
});
