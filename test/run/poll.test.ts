import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_POLL_INTERVAL_MS } from '../../src/options.js';
import {
  DurationEstimate,
  minPollGap,
  nextPollDelay,
  POLL_CAP_MS,
  pollUntilFinal,
  remainingHintMs,
} from '../../src/run/poll.js';

describe('nextPollDelay', () => {
  it.each([
    [800, 0, 800],
    [800, 10_000, 2300],
    [2000, 20_000, 5000],
    [800, 100_000, 15_800],
    [800, 1_000_000, POLL_CAP_MS],
    [250, 4000, 850],
  ])('first %d ms, age %d ms → %d ms', (first, age, expected) => {
    expect(nextPollDelay(first, age)).toBe(expected);
  });

  it('lets a provider ETA bring the next poll forward', () => {
    expect(nextPollDelay(2000, 100_000, { status: 'running', etaSeconds: 1 })).toBe(1100);
    expect(nextPollDelay(2000, 100_000, { status: 'running', etaSeconds: 0 })).toBe(200);
    expect(nextPollDelay(800, 1000, { status: 'running', etaSeconds: 60 })).toBe(950);
  });

  it.each([
    // age, progress %, eta s → remaining ms
    [30_000, 50, undefined, 30_000],
    [59_400, 99, undefined, 600],
    [30_000, 50, 2, 2000],
    [30_000, 0, undefined, undefined],
    [30_000, 100, undefined, undefined],
  ])('at age %d ms, progress %s %% and ETA %s s leave %s ms', (age, progress, eta, expected) => {
    const state = { status: 'running' as const, progress, ...(eta === undefined ? {} : { etaSeconds: eta }) };
    expect(remainingHintMs(age, state)).toBe(expected);
  });

  it('wakes just after the end that progress promises', () => {
    expect(nextPollDelay(800, 30_000, { status: 'running', progress: 90 })).toBe(3433);
  });

  /** Polls a task that completes at `completeAt` on the default schedule: [polls, lag]. */
  function simulate(completeAt: number): [number, number] {
    let t = 0;
    let polls = 0;
    while (t < completeAt) {
      t += nextPollDelay(DEFAULT_POLL_INTERVAL_MS, t);
      polls++;
    }
    return [polls, t - completeAt];
  }

  it('by default polls a 60 s task at most 20 times', () => {
    expect(simulate(60_000)[0]).toBeLessThanOrEqual(20);
  });

  it.each([100, 900, 1500, 2500, 4000, 6000, 10_000, 30_000, 60_000, 120_000, 600_000])(
    'by default notices a task done at %d ms within 1 s + 15 %% of its age, with room to spare',
    (completeAt) => {
      // Whatever the phase of the polls relative to the end: shift the end across one interval.
      for (let shift = 0; shift < 1000; shift += 50) {
        const [, lag] = simulate(completeAt + shift);
        expect(lag).toBeLessThanOrEqual(1000 + 0.15 * (completeAt + shift) - 150);
      }
    },
  );
});

describe('DurationEstimate', () => {
  it('knows nothing until a task succeeded', () => {
    expect(new DurationEstimate().nextProbe(0)).toBeUndefined();
  });

  it('probes the middle of a wide bracket, then its end, then nothing', () => {
    const estimate = new DurationEstimate();
    estimate.observe(3000, 4000);
    expect(estimate.nextProbe(1000)).toBe(3500);
    expect(estimate.nextProbe(3500)).toBe(4000);
    expect(estimate.nextProbe(4000)).toBeUndefined();
  });

  it('narrows the bracket with every task that agrees, and starts anew on one that does not', () => {
    const estimate = new DurationEstimate();
    estimate.observe(3000, 4000);
    estimate.observe(3500, 4200);
    expect(estimate.nextProbe(0)).toBe(3750);
    estimate.observe(3750, 3900);
    expect(estimate.nextProbe(0)).toBe(3900); // 150 ms wide: not worth halving
    estimate.observe(9000, 10_000);
    expect(estimate.nextProbe(0)).toBe(9500);
  });

  it('finds like tasks sooner round after round', () => {
    const estimate = new DurationEstimate();
    const duration = 4321;
    const lags: number[] = [];
    for (let round = 0; round < 4; round++) {
      let t = 0;
      let runningAt = 0;
      for (;;) {
        const probe = estimate.nextProbe(t);
        t += Math.min(nextPollDelay(250, t), probe === undefined ? Number.POSITIVE_INFINITY : probe - t);
        if (t >= duration) break;
        runningAt = t;
      }
      estimate.observe(runningAt, t);
      lags.push(t - duration);
    }
    expect(lags[3]).toBeLessThan(lags[0]! / 4);
    expect(lags[3]).toBeLessThanOrEqual(250);
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

  it('teaches the shared estimate when the task succeeded, not when it failed', async () => {
    const estimate = new DurationEstimate();
    const poll = (final: 'succeeded' | 'failed') => {
      const submittedAt = Date.now();
      return pollUntilFinal({
        taskId: 't-4',
        submittedAt,
        firstIntervalMs: 10,
        deadline: submittedAt + 5000,
        estimate,
        fetchState: async () =>
          Date.now() - submittedAt < 40
            ? { status: 'running' }
            : final === 'failed'
              ? { status: 'failed' }
              : { status: 'succeeded', urls: ['u'] },
      });
    };
    await poll('failed');
    expect(estimate.nextProbe(0)).toBeUndefined();
    await poll('succeeded');
    expect(estimate.nextProbe(0)).toBeGreaterThan(10);
  });

  it('asks at once about a resumed task, then follows the schedule', async () => {
    const started = Date.now();
    const final = await pollUntilFinal({
      taskId: 't-5',
      submittedAt: started - 3_600_000,
      firstIntervalMs: 10_000,
      deadline: started + 60_000,
      immediate: true,
      fetchState: async () => ({ status: 'succeeded', urls: ['u'] }),
    });
    expect(final.status).toBe('succeeded');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('a 4 s task takes at most 12 polls, at least 500 ms apart, however eager the hints', async () => {
    vi.useFakeTimers();
    try {
      const submittedAt = Date.now();
      const asked: number[] = [];
      const estimate = new DurationEstimate();
      estimate.observe(1900, 2000); // like tasks were done at 2 s: probes come early and often
      const done = pollUntilFinal({
        taskId: 't-6',
        submittedAt,
        firstIntervalMs: 800,
        deadline: submittedAt + 60_000,
        estimate,
        // A provider that keeps promising the end now (an ETA of 0) until the task is done at 4 s.
        fetchState: async () => {
          asked.push(Date.now() - submittedAt);
          return Date.now() - submittedAt < 4000
            ? { status: 'running', etaSeconds: 0 }
            : { status: 'succeeded', urls: ['u'] };
        },
      });
      await vi.runAllTimersAsync();
      await done;
      expect(asked.length).toBeLessThanOrEqual(12);
      for (let i = 1; i < asked.length; i++) {
        expect(asked[i]! - asked[i - 1]!).toBeGreaterThanOrEqual(Math.max(500, 0.1 * asked[i - 1]!));
      }
    } finally {
      vi.useRealTimers();
    }
  });

  it('a faster --poll-interval lowers the 500 ms floor, the tenth of the age stays', () => {
    expect(minPollGap(800, 1000)).toBe(500);
    expect(minPollGap(50, 1000)).toBe(100);
    expect(minPollGap(50, 100)).toBe(50);
    expect(minPollGap(800, 20_000)).toBe(2000);
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

describe('pollUntilFinal: a completion without results', () => {
  const base = { taskId: 't1', submittedAt: Date.now(), firstIntervalMs: 5, deadline: Date.now() + 5000 };

  it('asks again until the result is published, and returns it', async () => {
    const answers = [
      { status: 'running' as const },
      { status: 'succeeded' as const, urls: [] },
      { status: 'succeeded' as const, urls: [] },
      { status: 'succeeded' as const, urls: ['https://cdn/x.png'] },
    ];
    let asked = 0;
    const final = await pollUntilFinal({ ...base, fetchState: async () => answers[asked++]! });
    expect(final).toEqual({ status: 'succeeded', urls: ['https://cdn/x.png'] });
    expect(asked).toBe(4);
  });

  it('gives up with EMPTY_RESULT after the grace period, never as a failed task', async () => {
    let asked = 0;
    const polling = pollUntilFinal({
      ...base,
      emptyGraceMs: 60,
      fetchState: async () => {
        asked++;
        return { status: 'succeeded', urls: [] };
      },
    });
    await expect(polling).rejects.toMatchObject({
      code: 'EMPTY_RESULT',
      message: /t1 says it completed but gave no result/,
    });
    expect(asked).toBeGreaterThan(1);
  });
});
