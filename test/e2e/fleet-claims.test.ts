/**
 * Issue 22, failures 1–4: claims between runs that do not share a pid namespace, a clock or a
 * name for the output folder. Each test runs two copies of one command at once against an
 * emulator whose submits take seconds (as a large upload does), so a run that wrongly takes over
 * a live run's claim sends the submit a second time; then counts the tasks created.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, realpath, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BIN,
  type CliRun,
  emulatorEnv,
  jsonLines,
  runCli,
  scrubbedEnv,
  spawnCollect,
  useEmulator,
} from './cli-harness.js';
import { pidNamespace, runCliBehind as runCliIn } from './namespaces.js';

const ctx = useEmulator({ processingMs: 300 });
const SUBMIT_MS = 4000;
const SKEWED_HOST = resolve(import.meta.dirname, 'skewed-host.mjs');

/** Solid colours of different widths: each input's result is told apart by its shape. */
async function inputs(count: number): Promise<void> {
  await mkdir(join(ctx.dir, 'in'), { recursive: true });
  for (let i = 0; i < count; i++) {
    const background = `#${(i * 3) % 10}${(i * 7) % 10}${i % 10}`;
    await sharp({ create: { width: 40 + 4 * i, height: 24, channels: 3, background } })
      .png()
      .toFile(join(ctx.dir, `in/p${i}.png`));
  }
}

/** Every submit of both runs takes SUBMIT_MS before the task is created and answered. */
function slowSubmits(count: number): void {
  ctx.emu.script(
    'submit',
    Array.from({ length: count }, () => ({ delayMs: SUBMIT_MS })),
  );
}

const env = (extra: Record<string, string> = {}) => ({ ...emulatorEnv(ctx.emu), ...extra });
const args = (output: string, concurrency: number) => [
  'in',
  '-o',
  output,
  '--json',
  '--concurrency',
  String(concurrency),
  '--poll-interval',
  '50',
];

/** What a failed count prints: each run's stderr and the emulator's tasks. */
function report(runs: readonly CliRun[]): string {
  const tasks = ctx.emu.tasks.map((t) => `width ${t.input.width}: ${t.id} ${t.status}`).sort();
  return [...runs.map((r, i) => `=== run ${i}: exit ${r.code ?? r.signal}\n${r.stderr}`), ...tasks].join(
    '\n',
  );
}

/** The outputs written (no `-2` copies allowed), and nothing pending left in the ledger. */
async function expectOutputsOnce(count: number): Promise<void> {
  const names = await readdir(join(ctx.dir, 'out'), { recursive: true });
  const images = names.filter((n) => n.endsWith('.png')).sort();
  expect(images).toEqual(Array.from({ length: count }, (_, i) => `p${i}@2x.png`).sort());
  expect(names.filter((n) => /\.(lock|part|tmp)$/.test(n) || /^\.upscale\/[^/]+\.json$/.test(n))).toEqual([]);
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

const unshare = pidNamespace();
if ('reason' in unshare) console.warn(`fleet-claims: the pid-namespace test is skipped: ${unshare.reason}`);

/** The CLI behind `prefix`, in the test's folder, with its own config and data folders unless given. */
function runCliBehind(prefix: readonly string[], cliArgs: string[], extra: Record<string, string>) {
  return runCliIn(prefix, cliArgs, {
    cwd: ctx.dir,
    env: {
      UPSCALE_CONFIG_DIR: join(ctx.dir, '.upscale-config-ns'),
      UPSCALE_DATA_DIR: join(ctx.dir, '.upscale-data'),
      ...extra,
    },
  });
}

describe('1: two runs in different pid namespaces (containers sharing a host name) pay once', () => {
  it.skipIf('reason' in unshare)(
    'one run in a pid namespace of its own, slow submits: tasks created == inputs',
    { timeout: 90_000 },
    async () => {
      const count = 4;
      await inputs(count);
      slowSubmits(2 * count);
      const first = runCli(args('out', count), {
        cwd: ctx.dir,
        env: env({ UPSCALE_CONFIG_DIR: join(ctx.dir, 'cfg-a') }),
      });
      // The first run claims every output and starts its slow submits; the other then finds them.
      await wait(1500);
      const prefix = 'prefix' in unshare ? unshare.prefix : [];
      const second = runCliBehind(
        prefix,
        args('out', count),
        env({ UPSCALE_CONFIG_DIR: join(ctx.dir, 'cfg-b') }),
      );
      const runs = await Promise.all([first, second]);
      const info = report(runs);
      for (const run of runs) expect(run.code, info).toBe(0);
      expect(ctx.emu.submissions(), info).toBe(count);
      await expectOutputsOnce(count);
    },
  );
});

describe('2: a claim whose pid now belongs to an unrelated live process never blocks for good', () => {
  let sleeper: ReturnType<typeof spawn> | undefined;
  afterEach(() => {
    sleeper?.kill('SIGKILL');
    sleeper = undefined;
  });

  it('a day-old claim naming a live `sleep`: taken over after the lease, the run ends', {
    timeout: 90_000,
  }, async () => {
    await inputs(1);
    sleeper = spawn('sleep', ['300'], { stdio: 'ignore' });
    const pid = sleeper.pid!;
    // The claim as a run on this host left it a day ago (the format every version reads).
    const outDir = join(await realpath(ctx.dir), 'out');
    const key = createHash('sha256').update(join(outDir, 'p0@2x').toLowerCase()).digest('hex').slice(0, 24);
    const lock = join(outDir, '.upscale', `${key}.lock`);
    await mkdir(join(outDir, '.upscale'), { recursive: true });
    const day = Date.now() - 24 * 3600_000;
    const host = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
    await writeFile(
      lock,
      JSON.stringify({ pid, host, token: 'feedface00000000', since: day, input: 'in/p0.png' }),
    );
    await utimes(lock, day / 1000, day / 1000);

    const started = performance.now();
    const run = await spawnCollect(process.execPath, [BIN, ...args('out', 1)], {
      cwd: ctx.dir,
      env: { ...scrubbedEnv(), ...env(), CI: 'true', UPSCALE_CONFIG_DIR: join(ctx.dir, 'cfg') },
      // Bounded: the code before the lease waited here forever.
      timeout: 60_000,
    });
    const took = performance.now() - started;
    const info = `took ${Math.round(took)} ms, exit ${run.code ?? run.signal}\n${run.stderr}`;
    expect(run.code, info).toBe(0);
    expect(took, info).toBeLessThan(45_000);
    expect(run.stderr, info).toMatch(/another upscale.*is working on its output/);
    expect(jsonLines(run.stdout)[0]).toMatchObject({ status: 'succeeded' });
    expect(ctx.emu.submissions(), info).toBe(1);
    await expect(stat(lock)).rejects.toThrow();
    // The unrelated process was only looked at, never touched.
    expect(sleeper.exitCode).toBeNull();
  });
});

describe('3: a second host whose clock is two minutes behind pays once', () => {
  it('the skewed host claims first, its submits slower than a heartbeat: tasks created == inputs', {
    timeout: 90_000,
  }, async () => {
    const count = 4;
    await inputs(count);
    // Longer than the old 10 s heartbeat, whose refresh wrote the skewed host's time into the claims.
    ctx.emu.script('submit', [
      ...Array.from({ length: count }, () => ({ delayMs: 12_000 })),
      ...Array.from({ length: count }, () => ({ delayMs: SUBMIT_MS })),
    ]);
    const skewed = env({
      UPSCALE_CONFIG_DIR: join(ctx.dir, 'cfg-b'),
      NODE_OPTIONS: `--import=${SKEWED_HOST}`,
      FAKE_CLOCK_SHIFT_MS: String(-120_000),
      FAKE_HOSTNAME: 'other-host',
    });
    const runs = await Promise.all([
      runCli(args('out', count), { cwd: ctx.dir, env: skewed }),
      wait(1500).then(() =>
        runCli(args('out', count), {
          cwd: ctx.dir,
          env: env({ UPSCALE_CONFIG_DIR: join(ctx.dir, 'cfg-a') }),
        }),
      ),
    ]);
    const info = report(runs);
    for (const run of runs) expect(run.code, info).toBe(0);
    expect(ctx.emu.submissions(), info).toBe(count);
    await expectOutputsOnce(count);
  });
});

describe('4: one folder under two names pays once', () => {
  it('`-o out` and `-o outlink` (a symlink to out) at once: tasks created == inputs', {
    timeout: 90_000,
  }, async () => {
    const count = 4;
    await inputs(count);
    await mkdir(join(ctx.dir, 'out'));
    await symlink('out', join(ctx.dir, 'outlink'));
    slowSubmits(2 * count);
    const runs = await Promise.all([
      runCli(args('out', count), { cwd: ctx.dir, env: env({ UPSCALE_CONFIG_DIR: join(ctx.dir, 'cfg-a') }) }),
      wait(300).then(() =>
        runCli(args('outlink', count), {
          cwd: ctx.dir,
          env: env({ UPSCALE_CONFIG_DIR: join(ctx.dir, 'cfg-b') }),
        }),
      ),
    ]);
    const info = report(runs);
    for (const run of runs) expect(run.code, info).toBe(0);
    expect(ctx.emu.submissions(), info).toBe(count);
    await expectOutputsOnce(count);
    // What the user wrote stays what they read: the second run names its outputs through the link.
    for (const line of jsonLines(runs[1]!.stdout)) expect(String(line.output)).toMatch(/^outlink\//);
  });
});

describe('a run that stood still past the lease does not pay after losing its claim', () => {
  it('stopped (SIGSTOP) while its submit waits out a 429: the other run takes over, it sends nothing', {
    timeout: 90_000,
  }, async () => {
    const count = 2;
    await inputs(count);
    // The first submit is refused with a 30 s Retry-After: that run's next attempt goes at ~30 s.
    ctx.emu.script('submit', [{ status: 429, retryAfter: '30' }]);
    let stopped: ReturnType<typeof spawn> | undefined;
    const first = runCli(args('out', 1), {
      cwd: ctx.dir,
      env: env({ UPSCALE_CONFIG_DIR: join(ctx.dir, 'cfg-a') }),
      onSpawn: (child) => {
        stopped = child as ReturnType<typeof spawn>;
      },
    });
    await wait(2500);
    expect(ctx.emu.submissions()).toBe(0);
    stopped!.kill('SIGSTOP');
    try {
      const second = await runCli(args('out', 1), {
        cwd: ctx.dir,
        env: env({ UPSCALE_CONFIG_DIR: join(ctx.dir, 'cfg-b') }),
      });
      expect(second.code, second.stderr).toBe(0);
      // It took the stopped run's claim after the lease and paid for both inputs itself.
      expect(ctx.emu.submissions(), second.stderr).toBe(count);
    } finally {
      stopped!.kill('SIGCONT');
    }
    const resumed = await first;
    const info = report([resumed]);
    expect(resumed.code, info).toBe(0);
    expect(ctx.emu.submissions(), info).toBe(count);
    expect(jsonLines(resumed.stdout).map((l) => l.status)).toEqual(['skipped', 'skipped']);
    await expectOutputsOnce(count);
  });
});
