/**
 * Issue 12 end to end: the request budget against an emulator that limits each key (sliding
 * window, 429 without Retry-After, X-RateLimit-* headers) and caps tasks per day.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emulatorEnv, jsonLines, runCli, useEmulator, writePngs } from './cli-harness.js';

const ctx = useEmulator({ processingMs: 100 });

const images = (n: number) => writePngs(join(ctx.dir, 'in'), n, { width: 48, height: 40 });

const run = (...args: string[]) =>
  runCli(['in', '-o', 'out', '--json', ...args], { cwd: ctx.dir, env: emulatorEnv(ctx.emu) });

describe('the request budget', () => {
  it('a batch learns the limit from the headers and never exceeds it', async () => {
    await images(14);
    ctx.emu.set({ rateLimit: { limit: 8, windowMs: 2000 }, processingMsRange: [200, 900] });
    const result = await run('--verbose');
    const stats = ctx.emu.rateLimitStats();
    expect(result.code).toBe(0);
    expect(stats.rejected).toBe(0);
    expect(stats.maxInAnyWindow).toBeLessThanOrEqual(8);
    expect(result.stderr).toMatch(/rate limit of 127\.0\.0\.1:\d+: 8\/2s \(from X-RateLimit headers\)/);
    const lines = jsonLines(result.stdout);
    expect(lines).toHaveLength(14);
    const requests = lines.map((l) => Number(l.requests));
    for (const r of requests) expect(r).toBeGreaterThanOrEqual(2);
    const total = requests.reduce((a, b) => a + b, 0);
    // Every API request is accounted to an input (a shared list in shares).
    expect(Math.abs(total - stats.allowed)).toBeLessThan(1);
    expect(total / lines.length).toBeLessThanOrEqual(3);
    expect(result.stderr).toMatch(/summary: 14 succeeded.*; \d+ API requests, [\d.]+ per input sent/);
  });

  it('--rate-limit caps the requests even when the server allows more', async () => {
    await images(4);
    ctx.emu.set({ rateLimit: { limit: 100, windowMs: 1000 } });
    const started = Date.now();
    const result = await runCli(['in', '-o', 'out', '--json', '--rate-limit', '3/2s'], {
      cwd: ctx.dir,
      env: { ...emulatorEnv(ctx.emu), UPSCALE_RATE_LIMIT: undefined },
    });
    expect(result.code).toBe(0);
    // 4 submits and at least 4 polls at 3 per 2 s: at least two full windows.
    expect(Date.now() - started).toBeGreaterThan(4000);
    expect(ctx.emu.rateLimitStats().rejected).toBe(0);
  });

  it('a daily cap ends the batch cleanly: paid tasks collected, one refusal, the rest tomorrow', async () => {
    await images(6);
    ctx.emu.set({ dailyTaskCap: 3, dailyWindowMs: 4000 });
    const first = await run('--concurrency', '2');
    expect(first.code).toBe(1);
    const lines = jsonLines(first.stdout);
    expect(lines.filter((l) => l.status === 'succeeded')).toHaveLength(3);
    const refused = lines.filter((l) => l.status === 'failed');
    expect(refused).toHaveLength(3);
    for (const l of refused) expect(l).toMatchObject({ error: { code: 'DAILY_LIMIT' } });
    expect(first.stderr).toMatch(/daily limit of this API key is reached/);
    // One submit met the cap; the others were not sent at all.
    expect(ctx.emu.requests.filter((r) => r.fault === 'daily-cap')).toHaveLength(1);
    expect(ctx.emu.submissions()).toBe(3);

    await new Promise((r) => setTimeout(r, 4200));
    const tomorrow = await run();
    expect(tomorrow.code).toBe(0);
    expect(jsonLines(tomorrow.stdout).filter((l) => l.status === 'skipped')).toHaveLength(3);
    expect(ctx.emu.submissions()).toBe(6);
  });

  it('--concurrency counts the tasks the provider is working on, not results being written', async () => {
    await images(10);
    ctx.emu.set({ processingMsRange: [150, 700] });
    const result = await run('--concurrency', '3');
    expect(result.code, result.stderr).toBe(0);
    expect(jsonLines(result.stdout).filter((l) => l.status === 'succeeded')).toHaveLength(10);
    // At every submit, how many tasks the provider was still working on (it included).
    const tasks = ctx.emu.tasks;
    for (const t of tasks) {
      const busy = tasks.filter(
        (o) => o.createdAt <= t.createdAt && t.createdAt < o.createdAt + o.processingMs,
      );
      expect(busy.length).toBeLessThanOrEqual(3);
    }
    expect(tasks).toHaveLength(10);
  });
});
