import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { precheckFile } from '../../src/image/precheck.js';
import { providers } from '../../src/providers/index.js';

/** A 400×300 image in `format`, written whole or cut to 60 %; returns the path. */
async function image(format: 'png' | 'jpeg' | 'webp', cut: boolean): Promise<string> {
  const whole = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#3a6' } })
    .toFormat(format)
    .toBuffer();
  const path = join(await mkdtemp(join(tmpdir(), 'upscale-precheck-')), `image.${format}`);
  await writeFile(path, cut ? whole.subarray(0, Math.floor(whole.length * 0.6)) : whole);
  return path;
}

const check = (path: string, decode: boolean) => precheckFile(path, providers.freepik, {}, { decode });

describe('precheckFile', () => {
  it.each(['png', 'jpeg', 'webp'] as const)('passes a whole %s, decoded or not', async (format) => {
    const path = await image(format, false);
    for (const decode of [true, false]) {
      await expect(check(path, decode)).resolves.toMatchObject({ info: { width: 400, height: 300 } });
    }
  });

  it.each(['png', 'jpeg', 'webp'] as const)('refuses a truncated %s when decoding', async (format) => {
    await expect(check(await image(format, true), true)).rejects.toMatchObject({ code: 'NOT_AN_IMAGE' });
  });

  it.each(['png', 'jpeg'] as const)('reads only the header of a %s under --dry-run', async (format) => {
    await expect(check(await image(format, true), false)).resolves.toMatchObject({ info: { width: 400 } });
  });
});
