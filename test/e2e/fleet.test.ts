/**
 * Issue 22: a fleet on one API key. Shards that share the key's limit instead of each spending
 * all of it, a daily cap that stops new submits without stalling the paid ones, polls spent on
 * need, and three processes — two config folders, one in a pid namespace of its own — on one key
 * and one output folder under a rate limit with faults and lost submit answers.
 *
 * Loop the fleet test: `for s in $(seq 1 20); do FLEET_SEED=$s npx vitest run test/e2e/fleet.test.ts -t fleet || break; done`
 */
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../fixtures/emulator/util.js';
import { type CliRun, emulatorEnv, jsonLines, runCli, useEmulator } from './cli-harness.js';
import { pidNamespace, runCliBehind } from './namespaces.js';

const ctx = useEmulator({ processingMs: 300 });

/** `count` noise pictures of one size, each of its own seed: p0.png, p1.png, … */
async function inputs(count: number, seed = 1): Promise<void> {
  await mkdir(join(ctx.dir, 'in'), { recursive: true });
  for (let i = 0; i < count; i++) {
    const next = createRng(seed * 1000 + i);
    const width = 64;
    const height = 48;
    const data = Buffer.alloc(width * height * 3);
    for (let p = 0; p < data.length; p++) data[p] = Math.floor(next() * 256);
    await sharp(data, { raw: { width, height, channels: 3 } })
      .png()
      .toFile(join(ctx.dir, 'in', `p${i}.png`));
  }
}

const env = (config: string) => ({ ...emulatorEnv(ctx.emu), UPSCALE_CONFIG_DIR: join(ctx.dir, config) });

const report = (runs: readonly CliRun[]) =>
  runs.map((r, i) => `run ${i}: exit ${r.code}\n${r.stderr.slice(-1500)}`).join('\n---\n');

/** The outputs in out/: each input's once, nothing half-written, no claim or entry left. */
async function expectOutputsOnce(count: number): Promise<void> {
  const names = await readdir(join(ctx.dir, 'out'), { recursive: true });
  expect(names.filter((n) => n.endsWith('.png')).sort()).toEqual(
    Array.from({ length: count }, (_, i) => `p${i}@2x.png`).sort(),
  );
  expect(names.filter((n) => /\.(lock|part|tmp)$/.test(n) || /^\.upscale\/[^/]+\.json$/.test(n))).toEqual([]);
}

describe('shards on one key', () => {
  it('share its limit: three shards at once meet no 429 storm', { timeout: 90_000 }, async () => {
    const count = 24;
    await inputs(count);
    ctx.emu.set({ rateLimit: { limit: 10, windowMs: 2000 }, processingMsRange: [300, 1500] });
    const runs = await Promise.all(
      [1, 2, 3].map((i) =>
        runCli(['in', '-o', 'out', '--json', '--shard', `${i}/3`], { cwd: ctx.dir, env: env(`cfg-${i}`) }),
      ),
    );
    const stats = ctx.emu.rateLimitStats();
    for (const run of runs) expect(run.code, report(runs)).toBe(0);
    expect(runs.flatMap((r) => jsonLines(r.stdout)).filter((l) => l.status === 'succeeded')).toHaveLength(
      count,
    );
    expect(ctx.emu.submissions()).toBe(count);
    // Each shard spending the whole limit met dozens (the server's count is the only shared state).
    expect(stats.rejected, report(runs)).toBeLessThanOrEqual(3);
    await expectOutputsOnce(count);
    // Each shard said when it was done, for the others to take its part; the last one cleared up.
    const left = await readdir(join(ctx.dir, 'out'), { recursive: true });
    expect(left.filter((n) => n.endsWith('.done'))).toEqual([]);
  });
});

describe('a daily cap', () => {
  it('stops new submits, not the polls and downloads of tasks already paid for', {
    timeout: 60_000,
  }, async () => {
    await inputs(8);
    // The cap's answer says the quota resets in about 80,000 s: not a rate window to wait out.
    ctx.emu.set({
      rateLimit: { limit: 50, windowMs: 5000 },
      dailyTaskCap: 4,
      dailyWindowMs: 80_000_000,
      processingMs: 1500,
    });
    let killed = false;
    const run = await runCli(['in', '-o', 'out', '--json'], {
      cwd: ctx.dir,
      env: env('cfg'),
      // Stalled until tomorrow is a failure: give it 40 s.
      onSpawn: (child) => {
        setTimeout(() => {
          killed = child.exitCode === null;
          child.kill('SIGKILL');
        }, 40_000).unref();
      },
    });
    expect(killed, run.stderr.slice(-2000)).toBe(false);
    expect(run.code, run.stderr).toBe(1);
    const lines = jsonLines(run.stdout);
    expect(lines.filter((l) => l.status === 'succeeded')).toHaveLength(4);
    const refused = lines.filter((l) => l.status === 'failed');
    expect(refused).toHaveLength(4);
    for (const l of refused) expect(l).toMatchObject({ error: { code: 'DAILY_LIMIT' } });
    expect(ctx.emu.submissions()).toBe(4);
    // The reset time and what is left to do, once.
    expect(run.stderr).toMatch(/daily limit .* resets at \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(run.stderr).toMatch(/4 inputs? not sent/);
  });

  it('sees no burst of submits before the run’s first answer', { timeout: 60_000 }, async () => {
    await inputs(6);
    ctx.emu.set({ rateLimit: { limit: 50, windowMs: 5000 }, dailyTaskCap: 2, dailyWindowMs: 80_000_000 });
    // The first submit's answer is slow (a big upload on a slow line): 2.5 s.
    ctx.emu.script('submit', [{ delayMs: 2500 }]);
    const run = await runCli(['in', '-o', 'out', '--json'], { cwd: ctx.dir, env: env('cfg') });
    expect(run.code, run.stderr).toBe(1);
    const submits = ctx.emu.requests.filter((r) => r.route === 'submit').map((r) => r.time);
    const first = Math.min(...submits);
    for (const t of submits.filter((t) => t !== first)) expect(t - first).toBeGreaterThanOrEqual(2400);
    expect(ctx.emu.submissions()).toBe(2);
  });
});

describe('polls are spent on need', () => {
  it('a 4 s task under a generous limit takes at most 12 polls, also once its duration is known', {
    timeout: 60_000,
  }, async () => {
    await inputs(8);
    ctx.emu.set({ rateLimit: { limit: 6000, windowMs: 60_000 }, processingMs: 4000 });
    // The first run teaches how long such tasks take (remembered in the config folder).
    const teach = await runCli(['in/p0.png', 'in/p1.png', 'in/p2.png', '-o', 'out'], {
      cwd: ctx.dir,
      env: env('cfg'),
    });
    expect(teach.code, teach.stderr).toBe(0);
    const from = ctx.emu.requests.length;
    const run = await runCli(['in/p3.png', 'in/p4.png', 'in/p5.png', 'in/p6.png', '-o', 'out'], {
      cwd: ctx.dir,
      env: env('cfg'),
    });
    expect(run.code, run.stderr).toBe(0);
    const requests = ctx.emu.requests.slice(from);
    const submits = requests.filter((r) => r.route === 'submit' && r.taskId !== null);
    expect(submits).toHaveLength(4);
    for (const submit of submits) {
      // Its own status polls, and every list asked while it was in flight (a list answers all).
      const own = requests.filter((r) => r.route === 'status' && r.taskId === submit.taskId);
      const last = Math.max(...own.map((r) => r.time));
      const lists = requests.filter((r) => r.route === 'list' && r.time > submit.time && r.time <= last);
      expect(own.length + lists.length, `task ${submit.taskId}`).toBeLessThanOrEqual(12);
    }
  });
});

const SEED = Number(process.env.FLEET_SEED ?? 7);
const namespace = pidNamespace();
if ('reason' in namespace)
  console.warn(`fleet: the third process runs without a pid namespace: ${namespace.reason}`);

describe('a fleet on one key and one folder', () => {
  it(`seed ${SEED}: three processes, faults and lost submit answers: one task per input, every output once`, {
    timeout: 150_000,
  }, async () => {
    const count = 18;
    await inputs(count, SEED);
    ctx.emu.set({
      seed: SEED,
      rateLimit: { limit: 12, windowMs: 2000 },
      processingMsRange: [300, 1500],
      faultRate: 0.08,
      faultKinds: [503, 'reset', 'html502', 'create-then-500', 'create-then-not-json', 'reset-after-create'],
      outputRounding: 'floor4',
    });
    // Besides the random faults, early submits lose their answers, after or before the task exists.
    ctx.emu.script('submit', ['create-then-500', { delayMs: 1 }, 'reset', 'reset-after-create']);
    const args = ['in', '-o', 'out', '--json', '--request-timeout', '3', '--timeout', '60'];
    // Two shards of a split with config folders of their own, and a third run of the whole batch
    // (a CI retry while they still run) in a pid namespace of its own, sharing the first's config.
    const runs = await Promise.all([
      runCli([...args, '--shard', '1/2'], { cwd: ctx.dir, env: env('cfg-a') }),
      runCli([...args, '--shard', '2/2'], { cwd: ctx.dir, env: env('cfg-b') }),
      'prefix' in namespace
        ? runCliBehind(namespace.prefix, args, { cwd: ctx.dir, env: env('cfg-a') })
        : runCli(args, { cwd: ctx.dir, env: env('cfg-a') }),
    ]);
    const rejected = ctx.emu.rateLimitStats().rejected;
    // A lost submit that recovery cannot attribute stays uncertain (never sent again on a guess):
    // the user's next run settles it. Whatever the runs said, nothing was paid twice.
    const final = await runCli(args, { cwd: ctx.dir, env: env('cfg-b') });
    const info = `${report([...runs, final])}\n429s: ${rejected}`;
    expect(ctx.emu.submissions(), info).toBe(count);
    expect(rejected, info).toBeLessThanOrEqual(3);
    const finalLines = jsonLines(final.stdout);
    expect(
      finalLines.filter((l) => l.status === 'failed'),
      info,
    ).toEqual([]);
    await expectOutputsOnce(count);
    console.log(
      `fleet seed ${SEED}: exits ${runs.map((r) => r.code).join(', ')}, final ${final.code}; ${ctx.emu.submissions()} tasks for ${count} inputs; ${rejected} × 429`,
    );
  });
});
