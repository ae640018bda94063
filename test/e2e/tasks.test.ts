/** `upscale status`, `upscale download` and `upscale resume` collect tasks by id or from the journal. */
import { copyFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeEach, describe, expect, it } from 'vitest';
import { emulatorEnv, IMAGES, jsonLines, runCli, tempDir, useEmulator } from './cli-harness.js';

const ctx = useEmulator({ processingMs: 100 });
const env = () => emulatorEnv(ctx.emu);

beforeEach(async () => {
  await copyFile(join(IMAGES, 'photo.jpg'), join(ctx.dir, 'photo.jpg'));
});

/** Submits photo.jpg and gives up at once (--timeout), leaving the task in the journal. */
async function leaveTaskRunning(processingMs = 1500): Promise<string> {
  ctx.emu.set({ processingMs });
  const run = await runCli(['photo.jpg', '--json', '--timeout', '0.2', '--poll-interval', '50'], {
    cwd: ctx.dir,
    env: env(),
  });
  const taskId = String(jsonLines(run.stdout)[0]?.taskId);
  expect(taskId).toMatch(/^[0-9a-f-]{36}$/);
  return taskId;
}

describe('tasks by id and from the journal', () => {
  it('status <id> prints the state as data; status alone lists the journal', async () => {
    // Long enough that the task is still running when a loaded machine gets to `status`.
    const taskId = await leaveTaskRunning(20_000);
    const one = await runCli(['status', taskId, '--json'], { cwd: ctx.dir, env: env() });
    expect(one.code).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({
      taskId,
      provider: 'freepik',
      status: expect.stringMatching(/queued|running/),
    });
    const list = await runCli(['status', '--json'], { cwd: ctx.dir, env: env() });
    expect(jsonLines(list.stdout)).toEqual([expect.objectContaining({ taskId, input: 'photo.jpg' })]);
  });

  it('download <id> -o file waits for the task and writes it', async () => {
    const taskId = await leaveTaskRunning();
    const run = await runCli(['download', taskId, '-o', 'got.png', '--poll-interval', '50', '--json'], {
      cwd: ctx.dir,
      env: env(),
    });
    expect(run.code).toBe(0);
    expect(jsonLines(run.stdout)[0]).toMatchObject({
      status: 'succeeded',
      output: 'got.png',
      width: 640,
      height: 480,
    });
    expect((await sharp(join(ctx.dir, 'got.png')).metadata()).width).toBe(640);
    expect(ctx.emu.submissions()).toBe(1);
  });

  it('resume collects journaled tasks from any folder, then the journal is empty', async () => {
    await leaveTaskRunning();
    const elsewhere = await tempDir();
    const run = await runCli(['resume', '--json'], {
      cwd: elsewhere,
      env: { ...env(), UPSCALE_CONFIG_DIR: join(ctx.dir, '.upscale-config') },
    });
    expect(run.code).toBe(0);
    expect(jsonLines(run.stdout)[0]).toMatchObject({
      status: 'succeeded',
      output: join(ctx.dir, 'photo@2x.png'),
    });
    expect(await readdir(ctx.dir)).toContain('photo@2x.png');
    expect(ctx.emu.submissions()).toBe(1);
    const again = await runCli(['resume'], {
      cwd: elsewhere,
      env: { ...env(), UPSCALE_CONFIG_DIR: join(ctx.dir, '.upscale-config') },
    });
    expect(again.stderr).toContain('nothing to resume');
  });

  it('download of an unknown task fails clearly', async () => {
    const run = await runCli(['download', '046b6c7f-0b8a-43b9-b35d-6489e6daee91', '--json'], {
      cwd: ctx.dir,
      env: env(),
    });
    expect(run.code).toBe(1);
    expect(jsonLines(run.stdout)[0]).toMatchObject({ status: 'failed', error: { code: 'TASK_NOT_FOUND' } });
  });
});
