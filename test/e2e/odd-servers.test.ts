/**
 * Issue 23, items 3, 10, 12, 14, 15 and 16: servers that answer oddly. A 5xx means what its status
 * says whatever its words; an answer naming another task is refused; a result is capped by the
 * size it can have, must keep a minimum rate, and may lag its COMPLETED for a moment; secrets
 * are neither stored nor printed.
 */
import { copyFile, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeEach, describe, expect, it } from 'vitest';
import { emulatorEnv, IMAGES, jsonLines, runCli, useEmulator } from './cli-harness.js';

const ctx = useEmulator({ processingMs: 100 });

const env = (extra: Record<string, string> = {}) => ({ ...emulatorEnv(ctx.emu), ...extra });
const upscale = (args: string[], extra: Record<string, string> = {}) =>
  runCli([...args, '--json', '--poll-interval', '30'], { cwd: ctx.dir, env: env(extra) });

beforeEach(async () => {
  await copyFile(join(IMAGES, 'photo.jpg'), join(ctx.dir, 'photo.jpg'));
  await copyFile(join(IMAGES, 'small.png'), join(ctx.dir, 'small.png'));
});

/** Everything under a folder, recursively, as [relative path, text] (the ledger, recipes, …). */
async function filesUnder(dir: string): Promise<Array<[string, string]>> {
  const found: Array<[string, string]> = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    found.push([path, await readFile(path, 'latin1')]);
  }
  return found;
}

/** Mean difference (0–255) between two images squeezed to 16×16: which input a result was made from. */
async function distance(a: string, b: string): Promise<number> {
  const [x, y] = await Promise.all(
    [a, b].map((p) => sharp(p).resize(16, 16, { fit: 'fill' }).removeAlpha().raw().toBuffer()),
  );
  let sum = 0;
  for (let i = 0; i < x!.length; i++) sum += Math.abs(x![i]! - y![i]!);
  return sum / x!.length;
}

describe('item 3: only the status code says what a 5xx means', () => {
  it('a 500 speaking of billing after the task was created is a lost answer, not "no credits": paid once', async () => {
    ctx.emu.script('submit', [
      { status: 500, body: { message: 'Internal error: billing service timeout' }, afterCreate: true },
    ]);
    const first = await upscale(['photo.jpg']);
    const second = await upscale(['photo.jpg']);
    const info = `${first.stderr}\n${second.stderr}`;
    expect(ctx.emu.submissions(), info).toBe(1);
    expect(await readdir(ctx.dir)).toContain('photo@2x.png');
    expect(jsonLines(first.stdout)[0], info).toMatchObject({ status: 'succeeded' });
    expect(first.code, info).toBe(0);
  });

  it('Novita: a 400 BILLING_BALANCE_NOT_ENOUGH is still "no credits" (nothing was created)', async () => {
    const url = `${ctx.emu.cdnUrl}/static/photo.jpg`;
    ctx.emu.script('submit', ['billing'], { provider: 'novita' });
    const run = await upscale([url, '-p', 'novita', '-o', 'out']);
    expect(jsonLines(run.stdout)[0]).toMatchObject({ status: 'failed', error: { code: 'PAYMENT_REQUIRED' } });
    expect(ctx.emu.submissions()).toBe(0);
  });
});

describe('item 10: answers naming another task are refused and reported', () => {
  it('a submit answered with an id this run already holds: never the other input’s picture', {
    timeout: 60_000,
  }, async () => {
    await copyFile(join(IMAGES, 'tiny.png'), join(ctx.dir, 'tiny.png'));
    // The first submit answers normally; the second creates its task and names the first's.
    ctx.emu.script('submit', [{ delayMs: 1 }, 'create-then-reuse-id']);
    const run = await upscale(['photo.jpg', 'tiny.png', '-o', 'out', '--concurrency', '1']);
    const info = `${run.stderr}\n${run.stdout}`;
    expect(ctx.emu.submissions(), info).toBe(2);
    const lines = jsonLines(run.stdout);
    const tiny = lines.find((l) => String(l.input).endsWith('tiny.png'))!;
    const taskIds = lines.map((l) => l.taskId).filter(Boolean);
    expect(new Set(taskIds).size, info).toBe(taskIds.length);
    if (tiny.status === 'succeeded') {
      // Its own task, found in the list: the output is tiny.png's picture at its size.
      expect(tiny, info).toMatchObject({ width: 200, height: 160 });
      const own = await distance(join(ctx.dir, 'out/tiny@2x.png'), join(ctx.dir, 'tiny.png'));
      const other = await distance(join(ctx.dir, 'out/tiny@2x.png'), join(ctx.dir, 'photo.jpg'));
      expect(own, info).toBeLessThan(other);
    } else {
      expect(tiny.error, info).toMatchObject({ code: 'SUBMIT_UNCERTAIN' });
    }
    expect(info).toMatch(/already/);
  });

  it('one status answer carrying another task_id (a stale cache for a moment): asked again, collected now', {
    timeout: 60_000,
  }, async () => {
    const first = await upscale(['photo.jpg', '-o', 'out']);
    expect(first.code, first.stderr).toBe(0);
    ctx.emu.script('status', ['other-task']);
    const second = await upscale(['small.png', '-o', 'out']);
    expect(jsonLines(second.stdout)[0], second.stderr).toMatchObject({ status: 'succeeded', width: 400 });
    expect(ctx.emu.submissions()).toBe(2);
  });

  it('status answers that keep carrying another task_id (a cache in front of the API): refused, collected later', {
    timeout: 60_000,
  }, async () => {
    const first = await upscale(['photo.jpg', '-o', 'out']);
    expect(first.code, first.stderr).toBe(0);
    ctx.emu.script('status', ['other-task', 'other-task', 'other-task']);
    const second = await upscale(['small.png', '-o', 'out']);
    const info = `${second.stderr}\n${second.stdout}`;
    const line = jsonLines(second.stdout)[0]!;
    expect(line, info).toMatchObject({ status: 'failed', error: { code: 'TASK_MISMATCH' } });
    expect(String((line.error as { message: string }).message)).toMatch(/task/);
    expect(await readdir(join(ctx.dir, 'out'))).not.toContain('small@2x.png');
    // The entry was kept: the next run collects the right task without paying again.
    const third = await upscale(['small.png', '-o', 'out']);
    expect(jsonLines(third.stdout)[0], third.stderr).toMatchObject({
      status: 'succeeded',
      width: 400,
      height: 320,
    });
    expect(ctx.emu.submissions()).toBe(2);
  });
});

describe('item 12: a result is capped by the size it can have', () => {
  it('a stream of 100 MB for a 640×480 result stops near the cap, once, and keeps no .invalid file', {
    timeout: 60_000,
  }, async () => {
    ctx.emu.set({ hugeBytes: 100_000_000 });
    ctx.emu.script('download', ['huge', 'huge', 'huge', 'huge', 'huge', 'huge']);
    const first = await upscale(['photo.jpg', '-o', 'out']);
    const info = first.stderr;
    const huge = ctx.emu.cdnRequests.filter((r) => r.fault === 'huge');
    const sent = huge.reduce((sum, r) => sum + (r.bodyBytes ?? 0), 0);
    console.log(`item 12: ${huge.length} huge answer(s), ${(sent / 1e6).toFixed(1)} MB sent`);
    expect(huge.length, info).toBe(1);
    // 640×480 RGBA is 1.2 MB: the cap is a few times that plus some room, far below 100 MB.
    expect(sent, info).toBeLessThan(40_000_000);
    expect(jsonLines(first.stdout)[0], info).toMatchObject({ status: 'failed', error: { code: 'DOWNLOAD' } });
    expect(String((jsonLines(first.stdout)[0]!.error as { message: string }).message)).toMatch(/MB/);
    const left = (await readdir(ctx.dir, { recursive: true })).filter((n) => /invalid|\.part/.test(n));
    expect(left, info).toEqual([]);
    // The server behaves again (the huge answers left in the script are used up here)…
    ctx.emu.set({ hugeBytes: 16 });
    for (let i = huge.length; i < 6; i++) await (await fetch(ctx.emu.tasks[0]!.fileUrl)).arrayBuffer();
    // …and the task was kept: the next run downloads it without paying again.
    const again = await upscale(['photo.jpg', '-o', 'out']);
    expect(jsonLines(again.stdout)[0], again.stderr).toMatchObject({ status: 'succeeded', width: 640 });
    expect(ctx.emu.submissions()).toBe(1);
  });

  it('a declared Content-Length beyond the cap is refused before reading the body', async () => {
    ctx.emu.set({ hugeBytes: 1_500_000_000 });
    ctx.emu.script('download', ['huge-declared']);
    const run = await upscale(['photo.jpg', '-o', 'out']);
    const huge = ctx.emu.cdnRequests.filter((r) => r.fault === 'huge-declared');
    expect(huge).toHaveLength(1);
    expect(huge[0]!.bodyBytes ?? 0).toBeLessThan(40_000_000);
    expect(jsonLines(run.stdout)[0], run.stderr).toMatchObject({
      status: 'failed',
      error: { code: 'DOWNLOAD' },
    });
  });
});

describe('item 14: a download must keep a minimum rate', () => {
  it('one byte every 2 s is cut after --request-timeout and retried, not waited on until --timeout', {
    timeout: 90_000,
  }, async () => {
    ctx.emu.set({ trickleMs: 2000 });
    ctx.emu.script('download', ['trickle']);
    const started = Date.now();
    const run = await upscale(['photo.jpg', '-o', 'out', '--request-timeout', '3', '--timeout', '45']);
    const took = Date.now() - started;
    console.log(`item 14: ${took} ms with a trickling first download`);
    expect(jsonLines(run.stdout)[0], run.stderr).toMatchObject({ status: 'succeeded', width: 640 });
    expect(took, run.stderr).toBeLessThan(20_000);
    expect(ctx.emu.submissions()).toBe(1);
  });
});

describe('item 15: a lagging CDN and a wrong content type', () => {
  it('result URLs answering 404 for 2 s after COMPLETED are retried for a bounded time', {
    timeout: 60_000,
  }, async () => {
    ctx.emu.set({ cdnLagMs: 2000 });
    const run = await upscale(['photo.jpg', '-o', 'out']);
    expect(jsonLines(run.stdout)[0], run.stderr).toMatchObject({ status: 'succeeded', width: 640 });
    expect(ctx.emu.cdnRequests.filter((r) => r.status === 404).length).toBeGreaterThan(0);
    expect(ctx.emu.submissions()).toBe(1);
  });

  it('a result that keeps answering 404 fails in bounded time, the task kept', {
    timeout: 90_000,
  }, async () => {
    ctx.emu.set({ cdnLagMs: 600_000 });
    const started = Date.now();
    const run = await upscale(['photo.jpg', '-o', 'out']);
    expect(Date.now() - started).toBeLessThan(45_000);
    expect(jsonLines(run.stdout)[0], run.stderr).toMatchObject({
      status: 'failed',
      error: { code: 'DOWNLOAD' },
    });
    const status = await runCli(['status', '--json'], { cwd: ctx.dir, env: env() });
    expect(status.stdout + status.stderr).toMatch(/photo/);
  });

  it('a valid PNG served as text/plain is accepted by its bytes', async () => {
    ctx.emu.script('download', [
      'text-plain',
      'text-plain',
      'text-plain',
      'text-plain',
      'text-plain',
      'text-plain',
    ]);
    const run = await upscale(['photo.jpg', '-o', 'out']);
    expect(jsonLines(run.stdout)[0], run.stderr).toMatchObject({ status: 'succeeded', width: 640 });
    expect(ctx.emu.cdnRequests.filter((r) => r.fault === 'text-plain')).toHaveLength(1);
  });

  it('an HTML page is still refused, by its bytes', async () => {
    ctx.emu.script('download', ['html200']);
    const run = await upscale(['photo.jpg', '-o', 'out']);
    expect(jsonLines(run.stdout)[0], run.stderr).toMatchObject({ status: 'succeeded', width: 640 });
    expect(ctx.emu.cdnRequests.filter((r) => r.fault === 'html200')).toHaveLength(1);
  });
});

describe('item 16: secrets are neither stored nor printed', () => {
  it('a key echoed in a 500 body does not land in the ledger, the output or the messages', {
    timeout: 60_000,
  }, async () => {
    // Comfy has no task list: the lost submit stays uncertain, its reason kept in the ledger.
    ctx.emu.script('submit', [{ status: 500, echoKey: true }], { provider: 'comfy' });
    const run = await upscale(['photo.jpg', '-p', 'comfy', '-o', 'out', '-v']);
    expect(jsonLines(run.stdout)[0], run.stderr).toMatchObject({
      status: 'failed',
      error: { code: 'SUBMIT_UNCERTAIN' },
    });
    const key = ctx.emu.keys.comfy;
    const stored = await filesUnder(join(ctx.dir, 'out'));
    expect(
      stored.some(([path]) => path.includes('.upscale')),
      'the ledger was written',
    ).toBe(true);
    for (const [path, text] of stored) expect(text.includes(key), path).toBe(false);
    for (const [path, text] of await filesUnder(join(ctx.dir, '.upscale-config')))
      expect(text.includes(key), path).toBe(false);
    expect(run.stdout + run.stderr).not.toContain(key);
  });

  it('user:pass@ in --base-url is neither printed by -v nor stored in the ledger', async () => {
    const base = ctx.emu.apiUrl.replace('http://', 'http://proxyuser:s3cretpass@');
    ctx.emu.script('submit', ['create-then-500']);
    const run = await upscale(['photo.jpg', '-p', 'comfy', '-o', 'out', '-v', '--base-url', base]);
    expect(run.stderr).toMatch(/POST /);
    expect(run.stdout + run.stderr).not.toContain('s3cretpass');
    for (const [path, text] of await filesUnder(ctx.dir))
      expect(text.includes('s3cretpass'), path).toBe(false);
  });

  it("signed result URLs' query is redacted in -v lines", async () => {
    const url = `${ctx.emu.cdnUrl}/static/photo.jpg`;
    const run = await upscale([url, '-p', 'novita', '-o', 'out', '-v']);
    expect(jsonLines(run.stdout)[0], run.stderr).toMatchObject({ status: 'succeeded' });
    const signature = ctx.emu.tasks[0]!.fileUrl.match(/X-Amz-Signature=([0-9a-f]+)/)![1]!;
    expect(run.stderr).toMatch(/GET .*\/files\//);
    expect(run.stderr).not.toContain(signature);
  });
});

describe('nothing is left behind', () => {
  it('a failed huge download leaves no big temp file', async () => {
    ctx.emu.set({ hugeBytes: 60_000_000 });
    ctx.emu.script('download', ['huge', 'huge', 'huge', 'huge', 'huge', 'huge']);
    await upscale(['photo.jpg', '-o', 'out']);
    for (const name of await readdir(join(ctx.dir, 'out'), { recursive: true })) {
      const size = (await stat(join(ctx.dir, 'out', name))).size;
      expect(size, name).toBeLessThan(40_000_000);
    }
  });
});
