/**
 * Issue 5: faults against the emulator. Every case checks: no duplicate submission, no lost
 * result, no partial file, the right exit code.
 */
import { copyFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeEach, describe, expect, it } from 'vitest';
import { emulatorEnv, IMAGES, jsonLines, runCli, useEmulator } from './cli-harness.js';

const ctx = useEmulator({ processingMs: 100 });

const env = () => emulatorEnv(ctx.emu);
const upscale = (...extra: string[]) =>
  runCli(['photo.jpg', '--json', '--poll-interval', '30', ...extra], { cwd: ctx.dir, env: env() });

async function outputs(): Promise<string[]> {
  return (await readdir(ctx.dir)).filter((f) => f.startsWith('photo@'));
}
async function leftovers(): Promise<string[]> {
  return (await readdir(ctx.dir)).filter((f) => f.endsWith('.part') || f.startsWith('.photo'));
}
const requestsTo = (route: string) => ctx.emu.requests.filter((r) => r.route === route);

beforeEach(async () => {
  await copyFile(join(IMAGES, 'photo.jpg'), join(ctx.dir, 'photo.jpg'));
});

async function expectOneGoodOutput(run: { code: number | null; stdout: string }) {
  expect(run.code).toBe(0);
  expect(jsonLines(run.stdout)[0]).toMatchObject({ status: 'succeeded', width: 640, height: 480 });
  expect(await outputs()).toEqual(['photo@2x.png']);
  expect(await leftovers()).toEqual([]);
  expect(ctx.emu.submissions()).toBe(1);
  expect(ctx.emu.keyLeaks).toEqual([]);
}

describe('transient faults are retried without paying twice', () => {
  it('a 429 storm with Retry-After', async () => {
    ctx.emu.script('submit', [
      { status: 429, retryAfter: '1' },
      { status: 429, retryAfter: '0' },
      { status: 429, retryAfter: '1' },
    ]);
    const run = await upscale();
    await expectOneGoodOutput(run);
    expect(requestsTo('submit')).toHaveLength(4);
  });

  it('429s without Retry-After (backoff with jitter)', async () => {
    ctx.emu.script('submit', [429, 429]);
    ctx.emu.script('status', [429]);
    await expectOneGoodOutput(await upscale());
  });

  it('a 503 burst on submit and on status, and an HTML 502 page on status', async () => {
    ctx.emu.script('submit', [503, 503]);
    ctx.emu.script('status', [503, 'html502', 503]);
    await expectOneGoodOutput(await upscale());
  });

  it('connection resets on status polls', async () => {
    ctx.emu.script('status', ['reset', 'reset']);
    await expectOneGoodOutput(await upscale());
  });

  it.each([['reset-mid'], ['truncate'], ['html200'], [{ status: 502 }]])(
    'a broken download (%o) is retried',
    async (fault) => {
      ctx.emu.script('download', [fault]);
      await expectOneGoodOutput(await upscale());
      expect(ctx.emu.cdnRequests.filter((r) => r.route === 'download').length).toBeGreaterThanOrEqual(2);
    },
  );
});

describe('submits that may have reached the server', () => {
  it('a reset before the task was created: the list shows no unknown task, so it is sent again', async () => {
    ctx.emu.script('submit', ['reset']);
    const run = await upscale();
    await expectOneGoodOutput(run);
    expect(requestsTo('list').length).toBeGreaterThanOrEqual(1);
  });

  it('a reset after the task was created: the task is found in the list, not created twice', async () => {
    ctx.emu.script('submit', ['reset-after-create']);
    const run = await upscale();
    await expectOneGoodOutput(run);
    expect(requestsTo('submit')).toHaveLength(1);
  });

  it('a slow server trips the per-request timeout; the submit is recovered, not duplicated', async () => {
    ctx.emu.script('submit', [{ delayMs: 2500 }]);
    const run = await upscale('--request-timeout', '1');
    await expectOneGoodOutput(run);
  });

  it.each([['html502'], ['not-json'], ['wrong-shape'], [500]])(
    'a submit answered %o without a task: the list shows none, so it is sent once more',
    async (fault) => {
      ctx.emu.script('submit', [fault]);
      const run = await upscale();
      await expectOneGoodOutput(run);
      expect(requestsTo('submit')).toHaveLength(2);
      expect(requestsTo('list').length).toBeGreaterThanOrEqual(1);
    },
  );

  it.each([['create-then-500'], ['create-then-html502'], ['create-then-not-json']])(
    'a submit answered %s after creating the task: the task is found in the list, not paid twice',
    async (fault) => {
      ctx.emu.script('submit', [fault]);
      const run = await upscale();
      await expectOneGoodOutput(run);
      expect(requestsTo('submit')).toHaveLength(1);
      expect(run.stderr.split('\n').filter((l) => /\bat\s.+:\d+:\d+/.test(l))).toEqual([]);
      // The search of the list (and the candidate's status) are counted to the input too.
      expect(jsonLines(run.stdout)[0]!.requests).toBe(ctx.emu.requests.length);
    },
  );
});

describe('nothing is lost', () => {
  it('a download that keeps failing fails the input; the next run collects the same task', async () => {
    ctx.emu.script(
      'download',
      Array.from({ length: 8 }, () => 'truncate'),
    );
    const first = await upscale();
    expect(first.code).toBe(1);
    expect(jsonLines(first.stdout)[0]).toMatchObject({ status: 'failed', error: { code: 'DOWNLOAD' } });
    expect(await outputs()).toEqual([]);
    expect(await leftovers()).toEqual([]);
    await expectOneGoodOutput(await upscale());
  });

  it('a task that outlives --timeout is collected by a later run', async () => {
    ctx.emu.script('outcome', [{ processingMs: 2500 }]);
    const first = await upscale('--timeout', '0.5');
    expect(first.code).toBe(1);
    const [line] = jsonLines(first.stdout);
    expect(line).toMatchObject({ status: 'failed', error: { code: 'TIMEOUT' }, taskId: expect.any(String) });
    expect(first.stderr).toContain(String(line?.taskId));
    await new Promise((r) => setTimeout(r, 2500));
    await expectOneGoodOutput(await upscale());
  });

  it('with 30 % of all requests failing transiently, every image completes once', async () => {
    for (let i = 0; i < 8; i++) {
      await sharp({ create: { width: 24 + i, height: 24, channels: 3, background: `#${i}${9 - i}${i}` } })
        .png()
        .toFile(join(ctx.dir, `f${i}.png`));
    }
    ctx.emu.set({ faultRate: 0.3, seed: 7 });
    const run = await runCli(['.', '--json', '--poll-interval', '30', '-o', 'out', '--concurrency', '4'], {
      cwd: ctx.dir,
      env: env(),
    });
    ctx.emu.set({ faultRate: 0 });
    const lines = jsonLines(run.stdout);
    const inputs = lines.filter((l) => /^f\d\.png$/.test(String(l.input)));
    expect(
      inputs.map((l) => l.status),
      run.stderr,
    ).toEqual(Array(8).fill('succeeded'));
    expect(ctx.emu.submissions()).toBe(9); // the 8 PNGs and photo.jpg
    expect(run.code).toBe(0);
    expect((await readdir(join(ctx.dir, 'out'))).filter((f) => f.endsWith('.part'))).toEqual([]);
  });
});
