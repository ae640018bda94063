/** Issue 8 end to end: `-p local` needs no key and no network, and behaves like any provider. */
import { copyFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeEach, describe, expect, it } from 'vitest';
import { IMAGES, jsonLines, runCli, tempDir } from './cli-harness.js';

let dir: string;
beforeEach(async () => {
  dir = await tempDir();
  await copyFile(join(IMAGES, 'small.png'), join(dir, 'small.png'));
  await copyFile(join(IMAGES, 'alpha.png'), join(dir, 'alpha.png'));
});

describe('-p local', () => {
  it('upscales 4x with no key, keeps alpha, and skips on the second run', async () => {
    const run = await runCli(['small.png', 'alpha.png', '-p', 'local', '--scale', '4x', '--json'], {
      cwd: dir,
    });
    expect(run.stderr).not.toContain('error');
    expect(run.code).toBe(0);
    const lines = jsonLines(run.stdout);
    expect(lines.map((l) => l.status)).toEqual(['succeeded', 'succeeded']);
    const small = await sharp(join(dir, 'small@4x.png')).metadata();
    expect([small.width, small.height]).toEqual([800, 640]);
    const alpha = await sharp(join(dir, 'alpha@4x.png')).metadata();
    expect(alpha.hasAlpha).toBe(true);
    expect((await readdir(dir)).filter((f) => f.endsWith('.part'))).toEqual([]);

    const again = await runCli(['small.png', '-p', 'local', '--scale', '4x', '--json'], { cwd: dir });
    expect(jsonLines(again.stdout)[0]).toMatchObject({ status: 'skipped', output: 'small@4x.png' });
  });

  it('resizes to factors no model has (2.5x) exactly', async () => {
    const run = await runCli(['small.png', '-p', 'local', '--scale', '2.5', '-o', 'out.webp'], { cwd: dir });
    expect(run.code).toBe(0);
    const meta = await sharp(join(dir, 'out.webp')).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 500, 400]);
  });

  it.each([
    [['--api-key', 'k'], '--api-key does not apply to local'],
    [['--engine', 'sparkle'], '--engine does not apply to local'],
    [['--model', 'huge'], '--model'],
    [['--scale', '64x'], '--scale'],
    [['--scale', '1.05'], 'from 1.1 to 32'],
  ])('refuses %j with exit 2', async (flags, message) => {
    const run = await runCli(['small.png', '-p', 'local', ...flags], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });
});
