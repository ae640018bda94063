/** The programmatic API against the emulator: typed options, the CLI's callbacks, no process.env. */
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import exifReader from 'exif-reader';
import sharp from 'sharp';
import { beforeEach, describe, expect, it } from 'vitest';
import { providers, totalCost, UpscaleError, upscale, upscaleBatch } from '../../src/index.js';
import { IMAGES, useEmulator } from '../e2e/cli-harness.js';

const ctx = useEmulator({ processingMs: 100 }, 'upscale-api-');

beforeEach(async () => {
  await copyFile(join(IMAGES, 'phone-p3.jpg'), join(ctx.dir, 'phone-p3.jpg'));
  await copyFile(join(IMAGES, 'photo.jpg'), join(ctx.dir, 'photo.jpg'));
});

const connection = () => ({
  env: { UPSCALE_FREEPIK_BASE_URL: ctx.emu.apiUrl },
  apiKey: ctx.emu.keys.freepik,
  cwd: ctx.dir,
  pollIntervalMs: 50,
});

describe('upscale()', () => {
  it('upscales one file with typed options and reports through the callbacks', async () => {
    const stages: string[] = [];
    const submitted: string[] = [];
    const result = await upscale('phone-p3.jpg', {
      ...connection(),
      params: { scale: '4x', engine: 'sparkle' },
      format: 'keep',
      events: {
        onStage: (_input, stage) => stages.push(stage),
        onSubmitted: (_input, taskId) => submitted.push(taskId),
      },
    });
    expect(result).toMatchObject({
      status: 'succeeded',
      provider: 'freepik',
      output: join(ctx.dir, 'phone-p3@4x.jpg'),
      width: 640,
      height: 960,
    });
    expect(stages).toEqual(['checking', 'submitting', 'waiting', 'downloading', 'writing']);
    expect(submitted).toEqual([result.taskId]);
    const meta = await sharp(join(ctx.dir, 'phone-p3@4x.jpg')).metadata();
    expect(exifReader(meta.exif!).GPSInfo?.GPSLatitude).toEqual([48, 51, 29.64]);
  });

  it('reads no environment of its own: without a key in options or env it refuses', async () => {
    await expect(upscale('photo.jpg', { cwd: ctx.dir })).rejects.toMatchObject({ code: 'MISSING_KEY' });
  });

  it.each([[Number.NaN], [0], [2.5], [65]])(
    'refuses concurrency %s before sending anything',
    async (concurrency) => {
      const before = ctx.emu.requests.length;
      await expect(upscale('photo.jpg', { ...connection(), concurrency })).rejects.toMatchObject({
        code: 'USAGE',
        message: expect.stringMatching(/concurrency .* must be a whole number from 1 to 64/),
      });
      expect(ctx.emu.requests.length).toBe(before);
    },
  );

  it("tells onBudgetWait when requests wait for the key's budget, each call with its own rate", async () => {
    // A key of its own: budgets are shared per key in the process, and this one stays slow.
    ctx.emu.set({ rateLimit: { limit: 2, windowMs: 400 }, keys: { freepik: 'fpk-budget-test' } });
    const waits: number[] = [];
    const results = await upscaleBatch(['photo.jpg', 'phone-p3.jpg'], {
      ...connection(),
      apiKey: 'fpk-budget-test',
      env: { UPSCALE_FREEPIK_BASE_URL: ctx.emu.apiUrl, UPSCALE_RATE_LIMIT: '2/400ms' },
      events: { onBudgetWait: (until) => waits.push(until) },
    });
    expect(results.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    expect(waits.length).toBeGreaterThan(0);
    expect(ctx.emu.rateLimitStats().rejected).toBe(0);
  });

  it('checks provider flags like the CLI', async () => {
    await expect(upscale('photo.jpg', { ...connection(), params: { scale: '3x' } })).rejects.toThrow(
      /--scale "3x" must be one of 2x\|4x\|8x\|16x/,
    );
  });
});

describe('upscaleBatch()', () => {
  it('prices a dry run, and refuses above maxCost with COST_LIMIT before sending', async () => {
    const planned = await upscaleBatch(['.'], { ...connection(), params: { scale: '4x' }, dryRun: true });
    expect(planned.map((r) => r.status)).toEqual(['planned', 'planned']);
    expect(totalCost(planned)).toEqual({ amount: 0.572, currency: 'EUR', priced: 2, unknown: 0 });
    const refused = upscaleBatch(['.'], { ...connection(), params: { scale: '4x' }, maxCost: 0.5 });
    await expect(refused).rejects.toBeInstanceOf(UpscaleError);
    await expect(refused).rejects.toMatchObject({ code: 'COST_LIMIT' });
    expect(ctx.emu.submissions()).toBe(0);
  });

  it('resolves with one result per input as they end, and a failure does not reject', async () => {
    ctx.emu.script('outcome', ['FAILED']);
    const ended: string[] = [];
    const results = await upscaleBatch(['photo.jpg', 'phone-p3.jpg'], {
      ...connection(),
      concurrency: 1,
      events: { onResult: (r) => ended.push(`${r.input} ${r.status}`) },
    });
    expect(ended).toEqual([
      `${join(ctx.dir, 'photo.jpg')} failed`,
      `${join(ctx.dir, 'phone-p3.jpg')} succeeded`,
    ]);
    expect(results.map((r) => r.error?.code)).toEqual(['TASK_FAILED', undefined]);
  });

  it('exposes the provider table', () => {
    expect(providers.freepik.estimateCost({ width: 1000, height: 1000 }, { scale: 2 }).amount).toBe(0.143);
  });
});
