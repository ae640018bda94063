/**
 * Issue 23, item 13: headers no timer may trust. A reset of 99999999999 s, a limit of 0.5, a
 * remaining of -3, a Retry-After date in the past, a Retry-After of minutes, a budget that has no
 * slot for longer than --timeout: each is validated (finite, positive, bounded) before it drives
 * a wait, and every wait is bounded and said.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emulatorEnv, jsonLines, runCli, useEmulator, writePngs } from './cli-harness.js';

const ctx = useEmulator({ processingMs: 300 });

const inputs = (count: number) => writePngs(join(ctx.dir, 'in'), count, { height: 32 });

const run = (args: string[], killAfterMs = 60_000) => {
  let killed = false;
  const started = Date.now();
  return runCli(['in', '-o', 'out', '--json', ...args], {
    cwd: ctx.dir,
    env: emulatorEnv(ctx.emu),
    onSpawn: (child) => {
      setTimeout(() => {
        killed = child.exitCode === null;
        child.kill('SIGKILL');
      }, killAfterMs).unref();
    },
  }).then((r) => ({ ...r, killed, ms: Date.now() - started }));
};

describe('headers that must not drive a timer', () => {
  it('a reset of 99999999999 s, a limit of 0.5 and a remaining of -3 are ignored, not believed', {
    timeout: 60_000,
  }, async () => {
    await inputs(4);
    ctx.emu.set({ rateLimit: { limit: 100, windowMs: 10_000 }, rateLimitHeaders: 'garbage' });
    const result = await run(['--verbose'], 30_000);
    expect(result.killed, result.stderr.slice(-2000)).toBe(false);
    expect(result.code, result.stderr).toBe(0);
    expect(jsonLines(result.stdout).filter((l) => l.status === 'succeeded')).toHaveLength(4);
    // Nothing was learned from them.
    expect(result.stderr).not.toMatch(/rate limit of .* \(from X-RateLimit headers\)/);
    expect(result.stderr).not.toMatch(/TimeoutOverflowWarning|\(node:/);
  });

  it('a Retry-After date in the past is not a reason to hammer', { timeout: 60_000 }, async () => {
    await inputs(1);
    const past = 'Thu, 01 Jan 2015 00:00:00 GMT';
    ctx.emu.script(
      'status',
      Array.from({ length: 5 }, () => ({ status: 503, retryAfter: past })),
    );
    const result = await run([]);
    expect(result.code, result.stderr).toBe(0);
    const polls = ctx.emu.requests.filter((r) => r.route === 'status').map((r) => r.time);
    expect(polls.length).toBeGreaterThanOrEqual(6);
    // Five refusals in a row: at least the backoff's least between them (250 ms, 500 ms, …), not 26 ms for all.
    expect(polls[5]! - polls[0]!).toBeGreaterThanOrEqual(1000);
  });

  it('a long Retry-After is said off a terminal, not waited out in silence', {
    timeout: 60_000,
  }, async () => {
    await inputs(1);
    ctx.emu.script('submit', [{ status: 429, retryAfter: '11' }]);
    const result = await run([]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/waiting 11 s before asking 127\.0\.0\.1:\d+ again \(HTTP 429\)/);
  });

  it('no request waits for the budget longer than --timeout', { timeout: 60_000 }, async () => {
    await inputs(6);
    // Two requests a minute: the third request's slot is a minute away, the --timeout 4 s.
    ctx.emu.set({ rateLimit: { limit: 2, windowMs: 60_000 } });
    const result = await run(['--timeout', '4'], 40_000);
    expect(result.killed, result.stderr.slice(-2000)).toBe(false);
    expect(result.ms).toBeLessThan(20_000);
    expect(result.code).toBe(1);
    const failed = jsonLines(result.stdout).filter((l) => l.status === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    for (const l of failed) expect(l).toMatchObject({ error: { code: 'TIMEOUT' } });
    expect(result.stderr).toMatch(/request budget has no slot within --timeout \(4 s\)/);
    expect(ctx.emu.rateLimitStats().rejected).toBe(0);
  });
});
