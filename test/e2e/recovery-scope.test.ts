/**
 * Issue 23, item 6: recovery of a lost submit adopts a task only when its result matches the
 * input AND the expected size for the requested scale, and never one that existed before this
 * run's submit. The run notes the newest listed task before its first submit (lists are newest
 * first) and considers only tasks above it, which also spares reading the account's history.
 */
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emulatorEnv, IMAGES, jsonLines, runCli, useEmulator } from './cli-harness.js';

const ctx = useEmulator({ processingMs: 100 });

/** A run from a config folder of its own: a new CI job, another machine, the same key. */
const cli = (args: string[], config: string, extra: Record<string, string> = {}) =>
  runCli([...args, '--json', '--poll-interval', '30'], {
    cwd: ctx.dir,
    env: { ...emulatorEnv(ctx.emu), UPSCALE_CONFIG_DIR: join(ctx.dir, config), ...extra },
  });

/** Creates a creative task straight through the API, as another client of the key would. */
async function submitDirectly(image: Buffer, body: Record<string, unknown> = {}): Promise<string> {
  const res = await fetch(`${ctx.emu.apiUrl}/v1/ai/image-upscaler`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-freepik-api-key': ctx.emu.keys.freepik },
    body: JSON.stringify({ image: image.toString('base64'), ...body }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: { task_id: string } }).data.task_id;
}

describe('item 6: an earlier task of the same picture is never adopted', () => {
  it('made with other settings (creativity 8, -8 asked) by an earlier job: the lost submit is sent again', {
    timeout: 60_000,
  }, async () => {
    await copyFile(join(IMAGES, 'photo.jpg'), join(ctx.dir, 'photo.jpg'));
    const earlier = await cli(['photo.jpg', '-o', 'old', '--creativity', '8'], 'cfg-a');
    expect(earlier.code, earlier.stderr).toBe(0);
    // A new job: nothing created, the answer lost.
    ctx.emu.script('submit', ['html502']);
    const run = await cli(['photo.jpg', '-o', 'new', '--creativity', '-8'], 'cfg-b');
    const info = run.stderr;
    const line = jsonLines(run.stdout)[0]!;
    expect(line, info).toMatchObject({ status: 'succeeded' });
    const task = ctx.emu.task(String(line.taskId));
    expect(task?.params.creativity, info).toBe(-8);
    expect(ctx.emu.submissions()).toBe(2);
  });

  it('a 2x task of an earlier job is not saved as @4x', { timeout: 60_000 }, async () => {
    await copyFile(join(IMAGES, 'photo.jpg'), join(ctx.dir, 'photo.jpg'));
    expect((await cli(['photo.jpg', '-o', 'old', '--scale', '2x'], 'cfg-a')).code).toBe(0);
    ctx.emu.script('submit', ['html502']);
    const run = await cli(['photo.jpg', '-o', 'new', '--scale', '4x'], 'cfg-b');
    const line = jsonLines(run.stdout)[0]!;
    expect(line, run.stderr).toMatchObject({ status: 'succeeded', width: 1280, height: 960 });
    expect(line.warnings, run.stderr).toBeUndefined();
    expect(ctx.emu.submissions()).toBe(2);
  });

  it('a task of the same picture at another scale created during the lost submit is not adopted', {
    timeout: 60_000,
  }, async () => {
    await copyFile(join(IMAGES, 'photo.jpg'), join(ctx.dir, 'photo.jpg'));
    const photo = await readFile(join(IMAGES, 'photo.jpg'));
    // Our submit is held, then answered with a 502 page (nothing created); meanwhile another
    // client of the key makes a 2x of the same picture.
    ctx.emu.script('submit', [{ delayMs: 1500, status: 502 }]);
    const running = cli(['photo.jpg', '-o', 'out', '--scale', '4x'], 'cfg-a');
    const deadline = Date.now() + 20_000;
    while (!ctx.emu.requests.some((r) => r.route === 'submit') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    const theirs = await submitDirectly(photo, { scale_factor: '2x' });
    const run = await running;
    const line = jsonLines(run.stdout)[0]!;
    // Never theirs: undecided (their task stays a candidate nobody explains) or sent again.
    expect(line.taskId, run.stderr).not.toBe(theirs);
    if (line.status === 'succeeded') expect(line).toMatchObject({ width: 1280, height: 960 });
    else expect(line.error, run.stderr).toMatchObject({ code: 'SUBMIT_UNCERTAIN' });
  });
});

describe('item 6: recovery reads only what this run may have made', () => {
  it('150 older tasks in the account: one lost submit is recovered without reading or downloading them', {
    timeout: 240_000,
  }, async () => {
    ctx.emu.set({ listPageSize: 50 });
    const tiny = await readFile(join(IMAGES, 'tiny.png'));
    for (let i = 0; i < 150; i++) await submitDirectly(tiny);
    await copyFile(join(IMAGES, 'photo.jpg'), join(ctx.dir, 'photo.jpg'));
    const before = { api: ctx.emu.requests.length, cdn: ctx.emu.cdnRequests.length };
    ctx.emu.script('submit', ['create-then-500']);
    const started = Date.now();
    const run = await cli(['photo.jpg', '-o', 'out'], 'cfg-fresh');
    const took = Date.now() - started;
    const api = ctx.emu.requests.slice(before.api);
    const downloads = ctx.emu.cdnRequests.slice(before.cdn).filter((r) => r.route === 'download');
    console.log(
      `item 6: one lost submit with 150 older tasks: ${took} ms, ${api.length} API requests (${api.filter((r) => r.route === 'list').length} lists, ${api.filter((r) => r.route === 'status').length} status), ${downloads.length} downloads`,
    );
    expect(jsonLines(run.stdout)[0], run.stderr).toMatchObject({ status: 'succeeded', width: 640 });
    expect(ctx.emu.submissions()).toBe(151);
    expect(api.length, run.stderr).toBeLessThan(15);
    expect(downloads.length).toBeLessThanOrEqual(2);
  });
});

describe('the mark never holds a run back', () => {
  it('a task list that does not answer delays the first submit by 10 s at most', {
    timeout: 60_000,
  }, async () => {
    await copyFile(join(IMAGES, 'photo.jpg'), join(ctx.dir, 'photo.jpg'));
    ctx.emu.script(
      'list',
      Array.from({ length: 8 }, () => 'hang'),
    );
    const started = Date.now();
    const run = await cli(['photo.jpg', '-o', 'out', '--request-timeout', '2'], 'cfg');
    const took = Date.now() - started;
    expect(jsonLines(run.stdout)[0], run.stderr).toMatchObject({ status: 'succeeded', width: 640 });
    expect(took, run.stderr).toBeLessThan(20_000);
    expect(ctx.emu.submissions()).toBe(1);
  });
});
