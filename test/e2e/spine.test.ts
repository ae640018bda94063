/**
 * Issue 2 end to end: the built CLI against the emulator over real HTTP.
 */
import { copyFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeEach, describe, expect, it } from 'vitest';
import { emulatorEnv, IMAGES, jsonLines, runCli, useEmulator } from './cli-harness.js';

const ctx = useEmulator({ processingMs: 150 });

const env = () => emulatorEnv(ctx.emu);

const submits = () => ctx.emu.requests.filter((r) => r.method === 'POST');

beforeEach(async () => {
  await copyFile(join(IMAGES, 'photo.jpg'), join(ctx.dir, 'photo.jpg'));
});

describe('upscale photo.jpg (freepik creative)', () => {
  it('writes photo@4x.<ext> at 4× the input size, sending exactly the flags given', async () => {
    const run = await runCli(['photo.jpg', '--engine', 'sparkle', '--scale', '4x', '--poll-interval', '50'], {
      cwd: ctx.dir,
      env: env(),
    });
    expect(run.stderr).not.toContain('error');
    expect(run.code).toBe(0);
    const outputs = (await readdir(ctx.dir)).filter((f) => f.startsWith('photo@4x.'));
    expect(outputs).toHaveLength(1);
    const meta = await sharp(join(ctx.dir, outputs[0]!)).metadata();
    expect([meta.width, meta.height]).toEqual([1280, 960]);
    expect(run.stdout.trim()).toBe(join(ctx.dir, outputs[0]!).replace(`${ctx.dir}/`, ''));

    const [submit] = submits();
    expect(submit?.path).toBe('/v1/ai/image-upscaler');
    expect(submit?.headers['x-freepik-api-key']).toBe(ctx.emu.keys.freepik);
    const { image, ...fields } = submit!.body as Record<string, unknown>;
    expect(image).toMatchObject({ kind: 'base64' });
    expect(fields).toEqual({ engine: 'magnific_sparkle', scale_factor: '4x' });
    expect(ctx.emu.keyLeaks).toEqual([]);
    expect(ctx.emu.cdnRequests.length).toBeGreaterThan(0);
    // Nothing half-written is left behind.
    expect((await readdir(ctx.dir)).filter((f) => f.endsWith('.part'))).toEqual([]);
  });

  it('prints the CONTRACT result line under --json and nothing else on stdout', async () => {
    const run = await runCli(['photo.jpg', '--json', '--poll-interval', '50', '-o', join(ctx.dir, 'out')], {
      cwd: ctx.dir,
      env: env(),
    });
    expect(run.code).toBe(0);
    const [line, ...rest] = jsonLines(run.stdout);
    expect(rest).toEqual([]);
    expect(line).toMatchObject({
      input: 'photo.jpg',
      status: 'succeeded',
      provider: 'freepik',
      width: 640,
      height: 480,
      output: expect.stringContaining(join(ctx.dir, 'out', 'photo@2x.')),
      taskId: expect.any(String),
    });
    expect(line).not.toHaveProperty('error');
  });

  it('reports a FAILED task with exit 1 and a failed JSON line', async () => {
    ctx.emu.script('outcome', ['FAILED']);
    const run = await runCli(['photo.jpg', '--json', '--poll-interval', '50'], { cwd: ctx.dir, env: env() });
    expect(run.code).toBe(1);
    const [line] = jsonLines(run.stdout);
    expect(line).toMatchObject({
      status: 'failed',
      error: { code: 'TASK_FAILED' },
      taskId: expect.any(String),
    });
    expect(run.stderr).toContain('photo.jpg');
  });

  it('exits 2 without sending anything when no key is set, naming the three ways to set one', async () => {
    const run = await runCli(['photo.jpg'], {
      cwd: ctx.dir,
      env: { UPSCALE_FREEPIK_BASE_URL: ctx.emu.apiUrl, UPSCALE_CONFIG_DIR: ctx.dir },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--api-key');
    expect(run.stderr).toContain('FREEPIK_API_KEY');
    expect(run.stderr).toContain('upscale config set freepik.apiKey');
    expect(ctx.emu.requests).toEqual([]);
  });

  it.each([
    [['--creativity', '11'], '--creativity'],
    [['--scale', '3x'], '--scale'],
    [['--engine', 'turbo'], '--engine'],
  ])('exits 2 on an invalid flag value %j, naming the flag and sending nothing', async (flags, flag) => {
    const run = await runCli(['photo.jpg', ...flags], { cwd: ctx.dir, env: env() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(flag);
    expect(run.stderr.split('\n').filter((l) => l.startsWith('error:'))).toHaveLength(1);
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(ctx.emu.requests).toEqual([]);
  });

  it('refuses an image whose output would exceed 25.3 MP, with its size and the largest scale that fits', async () => {
    await sharp({ create: { width: 1000, height: 800, channels: 3, background: '#864' } })
      .png()
      .toFile(join(ctx.dir, 'big.png'));
    const run = await runCli(['big.png', '--scale', '8x'], { cwd: ctx.dir, env: env() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('big.png');
    expect(run.stderr).toContain('1000×800');
    expect(run.stderr).toContain('--scale 4x');
    expect(ctx.emu.requests).toEqual([]);
  });

  it('exits 1 with a clear message on a wrong key (401)', async () => {
    const run = await runCli(['photo.jpg'], {
      cwd: ctx.dir,
      env: { ...env(), FREEPIK_API_KEY: 'wrong-key-123' },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/rejected the API key/);
    expect(run.stderr).toContain('Invalid API key');
    expect(run.stderr).not.toContain('wrong-key-123');
  });

  it('exits 2 naming a file that is not an image', async () => {
    await writeFile(join(ctx.dir, 'notes.jpg'), 'this is not a jpeg');
    const run = await runCli(['notes.jpg'], { cwd: ctx.dir, env: env() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('notes.jpg');
    expect(run.stderr).toContain('not an image');
    expect(ctx.emu.requests).toEqual([]);
  });

  it('skips an input whose output exists, sending nothing', async () => {
    await sharp({ create: { width: 4, height: 4, channels: 3, background: '#000' } })
      .png()
      .toFile(join(ctx.dir, 'photo@4x.png'));
    const run = await runCli(['photo.jpg', '--scale', '4x', '--json'], { cwd: ctx.dir, env: env() });
    expect(run.code).toBe(0);
    expect(jsonLines(run.stdout)[0]).toMatchObject({
      status: 'skipped',
      output: 'photo@4x.png',
      width: 4,
      height: 4,
    });
    expect(ctx.emu.requests).toEqual([]);
  });

  it('redoes an existing output with --overwrite', async () => {
    await sharp({ create: { width: 4, height: 4, channels: 3, background: '#000' } })
      .png()
      .toFile(join(ctx.dir, 'photo@2x.png'));
    const run = await runCli(['photo.jpg', '--overwrite', '--poll-interval', '50', '-o', 'photo@2x.png'], {
      cwd: ctx.dir,
      env: env(),
    });
    expect(run.code).toBe(0);
    expect((await sharp(join(ctx.dir, 'photo@2x.png')).metadata()).width).toBe(640);
  });

  it('never prints the key under --dry-run and sends nothing', async () => {
    const run = await runCli(['photo.jpg', '--dry-run', '--json', '--scale', '4x'], {
      cwd: ctx.dir,
      env: env(),
    });
    expect(run.code).toBe(0);
    expect(run.stdout + run.stderr).not.toContain(ctx.emu.keys.freepik);
    expect(jsonLines(run.stdout)[0]).toMatchObject({
      status: 'planned',
      request: { body: { scale_factor: '4x' } },
    });
    expect(ctx.emu.requests).toEqual([]);
  });
});
