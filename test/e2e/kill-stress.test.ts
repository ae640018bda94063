/**
 * A batch killed (SIGKILL or Ctrl-C) at random moments against an emulator as unkind as the live
 * services (random 429/503/resets, lost submit answers, broken downloads, empty completions, sides
 * floored to a multiple of 4, tasks with two results), then run to the end. Odd rounds run one
 * copy at a time, four times; even rounds two copies at once (different config folders, one
 * output folder), three times, under a request limit. Whatever the moments: one task per input,
 * every result written once, nothing left behind.
 *
 * Two rounds run with `npm test`; `UPSCALE_STRESS_ROUNDS=40 npx vitest run test/e2e/kill-stress`
 * runs more (each round ~6 s), `UPSCALE_STRESS_PROVIDER=freepik-precision` another provider with
 * a task list. A failure prints the seed, the kill moments, every run's stderr,
 * the emulator's tasks by input width and the files written.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { emulatorEnv, runCli, useEmulator } from './cli-harness.js';

const ctx = useEmulator({ processingMs: 200 });
const ROUNDS = Number(process.env.UPSCALE_STRESS_ROUNDS ?? 2);
/** A provider of the Freepik family (they have a task list): `freepik-precision`, … */
const PROVIDER = process.env.UPSCALE_STRESS_PROVIDER ?? 'freepik';
/** The provider's part of the output names (docs/output-and-cost.md). */
const TAG =
  ({ 'freepik-precision': 'precision', 'freepik-precision-v2': 'precision-v2' } as Record<string, string>)[
    PROVIDER
  ] ?? '2x';
const COUNT = 12;

/** Every file below `root`, relative, hidden ones included. */
async function everything(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .sort();
}

/**
 * Solid colours of different widths; i and i + 10 share a colour, so only the shape tells their
 * results apart (a lost submit must never take the other's).
 */
async function inputs(): Promise<void> {
  await mkdir(join(ctx.dir, 'r'), { recursive: true });
  for (let i = 0; i < COUNT; i++) {
    const background = `#${(i * 7) % 10}${i % 10}${(i * 3) % 10}`;
    await sharp({ create: { width: 24 + i, height: 16, channels: 3, background } })
      .png()
      .toFile(join(ctx.dir, `r/p${i}.png`));
  }
}

/** One run of the batch, killed after a random moment; returns what it printed. */
async function killed(args: string[], env: Record<string, string>, within: number, label: string) {
  const delay = 100 + Math.floor(Math.random() * within);
  const signal = Math.random() < 0.5 ? 'SIGKILL' : 'SIGINT';
  const run = await runCli(args, {
    cwd: ctx.dir,
    env,
    onSpawn: (child) => {
      const timer = setTimeout(() => child.kill(signal), delay);
      child.on('exit', () => clearTimeout(timer));
    },
  });
  return `=== ${label}${signal} after ${delay} ms: exit ${run.code ?? run.signal}\n${run.stderr}`;
}

describe('a batch killed at random moments', () => {
  for (let round = 1; round <= ROUNDS; round++) {
    const twins = round % 2 === 0;
    const what = twins ? 'two copies at once' : 'one copy';
    it(`round ${round}, ${what}: one task per input, every result once, nothing left behind`, {
      timeout: 120_000,
    }, async () => {
      const seed = Math.floor(Math.random() * 1e9);
      const twoResults = Math.random() < 0.4;
      await inputs();
      ctx.emu.set({
        seed,
        processingMsRange: [100, 600],
        emptyCompletionRate: 0.2,
        emptyCompletionMs: 200,
        faultRate: 0.08,
        faultKinds: [
          429,
          503,
          'reset',
          'create-then-500',
          'reset-after-create',
          'truncate',
          'reset-mid',
          // Odd servers (issue 23): a stale cache's status, a wrong content type, a body far
          // beyond any result, storage lagging its task.
          'other-task',
          'text-plain',
          'huge',
        ],
        hugeBytes: 40_000_000,
        cdnLagMs: Math.random() < 0.5 ? 300 : 0,
        outputRounding: Math.random() < 0.5 ? 'floor4' : 'exact',
        ...(twins ? { rateLimit: { limit: 40, windowMs: 3000 } } : {}),
      });
      if (twoResults)
        ctx.emu.script(
          'outcome',
          Array.from({ length: COUNT }, () => ({ results: 2 })),
        );
      const concurrency = twins ? '8' : '4';
      const args = ['r', '-o', 'out', '-p', PROVIDER, '--concurrency', concurrency, '--poll-interval', '50'];
      const env = emulatorEnv(ctx.emu);
      const log: string[] = [`seed ${seed}, two results: ${twoResults}`];
      for (let k = 0; k < (twins ? 3 : 4); k++) {
        if (!twins) log.push(await killed(args, env, 1500, ''));
        else {
          const other = { ...env, UPSCALE_CONFIG_DIR: join(ctx.dir, 'cfg-b') };
          log.push(
            ...(await Promise.all([
              killed(args, env, 2500, 'copy A, '),
              killed(args, other, 2500, 'copy B, '),
            ])),
          );
        }
      }
      // To the end, with the faults still on: a fault no retry may cross (a stream past the
      // result's cap, a cache that keeps answering about another task) fails its input and keeps
      // the task, as a user's next run would collect it: up to three runs, none paying again.
      let last = await runCli(args, { cwd: ctx.dir, env });
      log.push(`=== to the end: exit ${last.code}\n${last.stderr}`);
      for (let again = 0; again < 2 && last.code === 1; again++) {
        last = await runCli(args, { cwd: ctx.dir, env });
        log.push(`=== once more: exit ${last.code}\n${last.stderr}`);
      }
      const files = await everything(join(ctx.dir, 'out'));
      const tasks = ctx.emu.tasks.map((t) => `width ${t.input.width}: ${t.id} ${t.status}`).sort();
      const info = `${log.join('\n')}\n=== tasks\n${tasks.join('\n')}\n=== files\n${files.join('\n')}`;

      expect(last.code, info).toBe(0);
      expect(ctx.emu.submissions(), info).toBe(COUNT);
      const wanted = Array.from({ length: COUNT }, (_, i) =>
        twoResults ? [`p${i}@${TAG}.png`, `p${i}@${TAG}-2.png`] : [`p${i}@${TAG}.png`],
      ).flat();
      const visible = files.filter((f) => !f.split('/').some((part) => part.startsWith('.')));
      expect(visible, info).toEqual(wanted.sort());
      const leftovers = files.filter(
        (f) => /\.(part|tmp|lock)$/.test(f) || /^\.upscale\/[^/]+\.json$/.test(f),
      );
      expect(leftovers, info).toEqual([]);
    });
  }
});
